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
* no fitted value has more dimensions than any fit gave it: an array where
  every fit left a number (an ``offset_``, a sigmoid's ``a_``), or an (A, 1)
  where every fit made (n,), is the same outer product at predict. The
  table names the classes estimators hold too (a calibrated classifier's
  sigmoids), and a list counts as numpy would read it.

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


def _rank(value: Any) -> int | None:
    """The dimensions numpy would read in ``value``: an array's or sparse
    matrix's, 0 for a number, a list's nesting, None for anything else."""
    depth = 0
    while isinstance(value, (list, tuple)) and depth < _MOST_NESTING:
        depth += 1
        if not value:
            return depth
        value = value[0]
    shape = _shape(value)
    if shape is not None:
        return depth + len(shape)
    if isinstance(value, (int, float, np.number, np.bool_)):
        return depth
    return depth or None


#: How deep :func:`_rank` follows lists: any depth above a table's entry
#: (at most numpy's 64 dimensions) refuses the same.
_MOST_NESTING = 65


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
    >>> model.class_prior_ = np.ones(2) / 2
    >>> model.epsilon_ = np.zeros((16000, 1))
    >>> check_shapes(model)
    'a GaussianNB whose epsilon_ has 2 dimensions (every fit makes it a number)'
    """
    kind = type(estimator)
    full = f"{kind.__module__}.{kind.__qualname__}"
    most_of = DIMENSIONS.get(full)
    if most_of is None:
        return None
    namespace = getattr(estimator, "__dict__", {})
    for text, most in most_of.items():
        name, index, _ = _member(f"{text}.-1")
        value = _value(namespace, name, index)
        rank = None if value is None else _rank(value)
        if rank is not None and rank > most:
            limit = (
                "every fit makes it a number"
                if most == 0
                else f"no fit makes more than {most}"
            )
            return f"a {kind.__name__} whose {text} has {rank} dimensions ({limit})"
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
