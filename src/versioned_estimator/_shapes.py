"""Fitted sizes that must agree, read from the generated table ``_shapes_data``.

A fitted estimator's arrays are sized by a few counts: its input's width, its
classes, its components, its training rows. Out-of-place numpy code combines
them (``X @ coef_.T + intercept_``, ``theta_ - X[:, None]``), so two arrays of
sizes no fit makes, (A, 1) and (B,), broadcast to an (A, B) outer product at
predict before any shape mismatch could raise: a few bytes of file, gigabytes
of memory. Hand-written checks named these families one at a time; the table
names every size every fit of every scikit-learn estimator made equal
(``tests/data/make_shapes.py`` fits each on data of four shapes and with each
of its options), and this module holds a loaded model to it:

* each group's members that the model has are of one size (an absent
  attribute, or an array of fewer dimensions than an axis named, is skipped:
  other options and releases make fewer);
* no array named has more dimensions than any fit gave it.

Only sizes are read; nothing of the model runs.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from versioned_estimator._shapes_data import DIMENSIONS, EQUAL

__all__ = ["check_shapes"]

#: A member of a group: attribute, index in a list (or None), axis from the
#: last (or None for a count).
Member = tuple[str, "int | None", "int | None"]


def _member(text: str) -> Member:
    name, _, axis = text.rpartition(".-") if ".-" in text else (text, "", "")
    index = None
    if name.endswith("]"):
        name, _, position = name[:-1].partition("[")
        index = int(position)
    return name, index, int(axis) if axis else None


@functools.lru_cache(maxsize=256)
def _groups(kind: str) -> tuple[tuple[Member, ...], ...]:
    return tuple(tuple(_member(m) for m in group) for group in EQUAL.get(kind, ()))


def _value(namespace: dict[str, Any], name: str, index: int | None) -> Any:
    value = namespace.get(name)
    if index is not None:
        if not isinstance(value, (list, tuple)) or index >= len(value):
            return None
        value = value[index]
    return value


def _shape(value: Any) -> tuple[int, ...] | None:
    """An array's or a sparse matrix's shape, else None."""
    if isinstance(value, np.ndarray):
        shape: tuple[int, ...] = value.shape
        return shape
    if (type(value).__module__ or "").startswith("scipy.sparse."):
        found = getattr(value, "shape", None)
        if isinstance(found, tuple) and all(type(n) is int for n in found):
            return found
    return None


def _size(namespace: dict[str, Any], member: Member) -> int | None:
    name, index, axis = member
    value = _value(namespace, name, index)
    if axis is None:
        if isinstance(value, (bool, np.bool_)):
            return None
        return int(value) if isinstance(value, (int, np.integer)) else None
    shape = _shape(value)
    return None if shape is None or len(shape) < axis else shape[-axis]


def _label(member: Member) -> str:
    name, index, _ = member
    return name if index is None else f"{name}[{index}]"


def check_shapes(estimator: Any) -> str | None:
    """What sizes of ``estimator`` disagree, or None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> model = GaussianNB().fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    >>> check_shapes(model) is None
    True
    >>> model.class_prior_ = np.ones((16000, 1)) / 2
    >>> check_shapes(model)
    'a GaussianNB whose class_prior_ has 2 dimensions (no fit makes more than 1)'
    >>> model.class_prior_ = np.ones(3) / 3
    >>> check_shapes(model)
    'a GaussianNB whose class_count_ and class_prior_ disagree in size (2 and 3)'
    """
    kind = type(estimator)
    full = f"{kind.__module__}.{kind.__qualname__}"
    if full not in EQUAL:
        return None
    namespace = getattr(estimator, "__dict__", {})
    for text, most in DIMENSIONS[full].items():
        name, index, _ = _member(f"{text}.-1")
        shape = _shape(_value(namespace, name, index))
        if shape is not None and len(shape) > most:
            return (
                f"a {kind.__name__} whose {text} has {len(shape)} dimensions "
                f"(no fit makes more than {most})"
            )
    for group in _groups(full):
        first: tuple[Member, int] | None = None
        for member in group:
            size = _size(namespace, member)
            if size is None:
                continue
            if first is None:
                first = (member, size)
            elif size != first[1]:
                one, other = _label(first[0]), _label(member)
                which = f"{one}'s axes" if one == other else f"{one} and {other}"
                return (
                    f"a {kind.__name__} whose {which} disagree in size "
                    f"({first[1]} and {size})"
                )
    return None
