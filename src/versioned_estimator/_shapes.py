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
  other options and releases make fewer; ``=n_components`` is the parameter,
  where it is a number: a sampler's weights are as many);
* no fitted value that every fit makes a number or a vector, and no array a
  group names, has more dimensions than any fit gave it: an array where
  every fit left a number (an ``offset_``, a sigmoid's ``a_``), or an (A, 1)
  where every fit made (n,), is the same outer product at predict. The
  table names the classes estimators hold too (a calibrated classifier's
  sigmoids), and a list counts as numpy would read it;
* a fitted value every fit makes an array or a number is one, never a
  list (whose length no group would read);
* a fitted value every fit makes numeric is numeric: an object array's
  items can be arrays of any shape (numpy's arithmetic on them is the same
  outer product, item by item) and a text dtype's items any size (a
  predict buffer made in its dtype, 48 KB a cell).

Only sizes are read; nothing of the model runs.
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any

import numpy as np

from versioned_estimator._errors import UntrustedGlobalError
from versioned_estimator._shapes_data import (
    DIMENSIONS,
    EQUAL,
    LABELS_RECORDED,
    TEXT,
    WIDTH_RECORDED,
)

__all__ = [
    "SCALARS",
    "TRAINING_ROWS",
    "check_shapes",
    "fitted_rows",
    "nesting",
    "param_names",
    "param_set",
    "training_rows",
]

#: The size the table calls ``<rows>``: the rows the wrapper fitted its
#: estimator on (the envelope's ``n_samples``); a group's members that name
#: it may be no larger (a model fitted in batches keeps its last batch's).
ROWS = "<rows>"
#: While a safe load walks a model: the ids of the objects fitted on the
#: envelope's rows (the wrapped estimator, a pipeline's steps) and that count.
TRAINING_ROWS: contextvars.ContextVar[tuple[frozenset[int], int] | None] = (
    contextvars.ContextVar("TRAINING_ROWS", default=None)
)


def training_rows(estimator: Any, n_samples: Any) -> tuple[frozenset[int], int] | None:
    """What :data:`TRAINING_ROWS` holds for ``estimator`` fitted on
    ``n_samples`` rows: it and every estimator fitted inside it (a pipeline's
    steps, a search's best estimator, an ensemble's members, a helper's
    parts, under any name: label spreading's ``nn_fit``), however deep, each
    on at most those rows; not what a frozen estimator holds (fitted before,
    on other data), nor what a parameter holds. None when the envelope does
    not say.

    Raises :class:`~versioned_estimator.UntrustedGlobalError` for a graph of
    more objects than any model holds (the walk would refuse it anyway; a
    bound that gave up there would let the rest escape it).
    """
    if type(n_samples) is not int:
        return None
    found: set[int] = set()
    seen: set[int] = set()
    stack: list[Any] = [estimator]
    while stack:
        obj = stack.pop()
        if isinstance(obj, _PLAIN) or id(obj) in seen:
            continue
        if type(obj) in CONTAINER_TYPES and not obj:  # holds nothing
            continue
        seen.add(id(obj))
        if len(seen) > _MOST_OBJECTS:
            raise UntrustedGlobalError(
                f"The loaded model holds more than {_MOST_OBJECTS} objects "
                "where estimators may be: more than any model holds. Nothing "
                "of the model was run.",
                names=[],
            )
        if isinstance(obj, (list, tuple, dict)):
            items = obj.values() if isinstance(obj, dict) else obj
            # Every item, however many plain ones surround it: a stacking
            # model skips its "drop" members, so a model between two of
            # them is predicted with (round 43).
            if not set(map(type, items)) <= SCALARS:  # in C: most hold none
                stack.extend(v for v in items if type(v) not in SCALARS)
            continue
        kind: type = type(obj)
        if (
            not (kind.__module__ or "").startswith("sklearn.")
            or kind.__name__ == "FrozenEstimator"
        ):
            continue
        found.add(id(obj))  # an estimator, or a compiled part (a KD tree)
        namespace = getattr(obj, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        params = param_set(kind)
        for name, value in namespace.items():
            # What is not a hyper-parameter is fitted state, whatever its name.
            if name not in params or name in _FITTED_IN_PLACE:
                stack.append(value)
    return frozenset(found), n_samples


def fitted_rows(obj: Any) -> int | None:
    """The most training rows ``obj`` (an estimator or a compiled part of
    one, a neighbours tree) may keep: the envelope's, when it was fitted on
    them (see :func:`training_rows`); None when nothing says."""
    training = TRAINING_ROWS.get()
    return training[1] if training and id(obj) in training[0] else None


_PLAIN = (str, bytes, int, float, np.generic, np.ndarray, type(None))
#: The plain containers: empty, one holds nothing to search or walk (a
#: stream makes one from a byte: 1.95 million, round 140).
CONTAINER_TYPES = frozenset({list, tuple, dict, set, frozenset})
#: Values that hold nothing: no search looks inside them.
SCALARS = frozenset({str, bytes, int, float, bool, type(None)})
#: Parameters a meta-estimator fits in place: a pipeline's steps, a union's
#: transformers.
_FITTED_IN_PLACE = frozenset({"steps", "transformer_list"})
#: Over how many objects (plain values aside) the estimators fitted on the
#: envelope's rows are looked for: a forest of a thousand trees holds a few
#: thousand.
_MOST_OBJECTS = 2_000_000


@functools.lru_cache(maxsize=1024)
def param_names(kind: type) -> tuple[str, ...]:
    """A scikit-learn class's hyper-parameter names, read once per class
    (``_get_param_names`` inspects ``__init__``'s signature on every call)."""
    return tuple(kind._get_param_names())  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=512)
def param_set(kind: type) -> frozenset[str]:
    """:func:`param_names` as a set, none for a helper object that is not
    an estimator or a class whose ``__init__`` signature is not plain."""
    if not callable(getattr(kind, "_get_param_names", None)):
        return frozenset()
    try:
        return frozenset(param_names(kind))
    except Exception:  # a class whose __init__ signature is not plain
        return frozenset()


#: A count parameter named as a size (``=n_components``): what the fitted
#: axes a fit makes of it must equal where it is a number.
PARAMETER = "="
#: A member of a group: attribute, index in a list (or None), axis from the
#: last (or None for a count).
Member = tuple[str, "int | None", "int | None"]


#: The index of a member that stands for every member of a list
#: (``rotations_[].-2``: each class's rotation has the data's width).
EVERY = -1


def _member(text: str) -> Member:
    name, _, axis = text.rpartition(".-") if ".-" in text else (text, "", "")
    index = None
    if name.endswith("]"):
        name, _, position = name[:-1].partition("[")
        index = int(position) if position else EVERY
    return name, index, int(axis) if axis else None


@functools.lru_cache(maxsize=256)
def _groups(kind: str) -> tuple[tuple[Member, ...], ...]:
    return tuple(tuple(_member(m) for m in group) for group in EQUAL.get(kind, ()))


def _value(namespace: dict[str, Any], name: str, index: int | None) -> Any:
    # ``=n_components``: the parameter, where it is a number.
    value = namespace.get(name.removeprefix(PARAMETER))
    if index is not None:
        listed = _listed(value)
        if listed is None or index >= len(listed):
            return None
        value = listed[index]
    return value


def _listed(value: Any) -> list[Any] | None:
    """What code that indexes a value where fits make a list (``name[]``)
    reads at each position: a list's or a tuple's members, an array of
    arrays' items (round 82: a discriminant analysis's rotations as one
    went unchecked, a class 3,000 columns wide), or an array itself, one
    member (one output's classes where many outputs make a list, a mixture's
    concentrations as fit makes them of a Dirichlet distribution); None for
    anything else."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if not isinstance(value, np.ndarray):
        return None
    if (
        value.dtype.hasobject
        and value.ndim == 1
        and value.size
        and all(isinstance(item, np.ndarray) for item in value)
    ):
        return list(value)
    return [value]


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


def _sizes(namespace: dict[str, Any], member: Member) -> list[int]:
    """The size ``member`` names: one, none, or every list member's."""
    name, index, axis = member
    if index != EVERY:
        size = _size(namespace, member)
        return [] if size is None else [size]
    found = []
    for item in _listed(namespace.get(name)) or ():
        shape = _shape(item)
        if shape is not None and axis is not None and len(shape) >= axis:
            found.append(shape[-axis])
    return found


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
    if name.startswith(PARAMETER):
        return f"parameter {name.removeprefix(PARAMETER)}"
    if index == EVERY:
        return f"{name}[]"
    return name if index is None else f"{name}[{index}]"


def nesting(value: Any) -> tuple[int, Any]:
    """How deep lists and tuples nest around ``value``'s first item, and
    that item (None under an empty one), as numpy would read them.

    >>> nesting([[1.0], [2.0]])
    (2, 1.0)
    """
    depth = 0
    while isinstance(value, (list, tuple)) and depth < _MOST_NESTING:
        depth += 1
        if not value:
            return depth, None
        value = value[0]
    return depth, value


def _rank(value: Any) -> int | None:
    """The dimensions numpy would read in ``value``: an array's or sparse
    matrix's, 0 for a number, a list's nesting, None for anything else."""
    depth, value = nesting(value)
    shape = _shape(value)
    if shape is not None:
        return depth + len(shape)
    if isinstance(value, (int, float, np.number, np.bool_)):
        return depth
    return depth or None


#: How deep :func:`nesting` follows lists: any depth above a table's entry
#: (at most numpy's 64 dimensions) refuses the same.
_MOST_NESTING = 65


#: The kinds of numpy dtype that hold numbers.
_NUMERIC_KINDS = frozenset("biufc")


def _numbers(value: Any) -> bool:
    """Whether ``value`` holds numbers, as far as its dtype says (a value
    without one is judged by its rank alone)."""
    dtype = getattr(value, "dtype", None)
    return not isinstance(dtype, np.dtype) or dtype.kind in _NUMERIC_KINDS


@functools.lru_cache(maxsize=256)
def _grouped(kind: str) -> frozenset[str]:
    """The values a group of ``kind`` names."""
    return frozenset(name for group in _groups(kind) for name, _, _ in group)


def _values(namespace: dict[str, Any], text: str) -> list[Any]:
    """The value ``text`` names, or every member of the list ``name[]`` does."""
    if text.endswith("[]"):
        return _listed(namespace.get(text[:-2])) or []
    name, index, _ = _member(f"{text}.-1")
    return [_value(namespace, name, index)]


def _mirrors_parameter(
    kind: type, namespace: dict[str, Any], text: str, value: Any
) -> bool:
    """Whether a fitted value is its class's parameter as given (a chain's
    ``order_`` is the ``order`` list the user passed): a setting, held
    where it is used. Only a hyper-parameter of the class counts, not any
    name the file sets beside the value."""
    name = text[:-1]
    if not text.endswith("_") or text.endswith("__") or name not in param_set(kind):
        return False
    given = namespace.get(name)
    if given is value:
        return True
    try:
        return type(given) is type(value) and bool(given == value)
    except Exception:  # items that do not compare plainly
        return False


def _dimensions(kind: type, full: str, namespace: dict[str, Any]) -> str | None:
    """Why a fitted value has more dimensions, or other than numbers, than
    every fit gives it. Ranks are held where every fit makes a number or a
    vector (what broadcasts against a model's rows) and for the arrays a
    group names; a list's members each."""
    text_of = TEXT.get(full, ())
    grouped = _grouped(full)
    for text, most in DIMENSIONS[full].items():
        held = most <= 1 or text.removesuffix("[]") in grouped
        for value in _values(namespace, text):
            if value is None:
                if (
                    most >= 2
                    and _member(f"{text.removesuffix('[]')}.-1")[0] in namespace
                ):
                    # A matrix of rows a method computes against: scikit-learn
                    # reads None there as the caller's own rows (a kernel of
                    # X against X: 6.7 GiB asked of a 30,000-row predict from
                    # a 4.5 KB file, round 98).
                    return (
                        f"a {kind.__name__} whose {text} is None (every fit "
                        "makes it an array)"
                    )
                continue
            if (
                isinstance(value, (list, tuple))
                and not text.endswith("[]")
                and not _mirrors_parameter(kind, namespace, text, value)
            ):
                # numpy reads a list as an array, but no size is checked on
                # it: an intercept of 6,000 numbers beside one coefficient
                # row broadcast 30,000 rows to 1.5 GB.
                return (
                    f"a {kind.__name__} whose {text} is a list (every fit "
                    "makes it an array or a number)"
                )
            if text not in text_of and not _numbers(value):
                return (
                    f"a {kind.__name__} whose {text} is of dtype "
                    f"{value.dtype.str!r} (every fit makes it numeric)"
                )
            rank = _rank(value) if held else None
            if rank is not None and rank > most:
                limit = (
                    "every fit makes it a number"
                    if most == 0
                    else f"no fit makes more than {most}"
                )
                return f"a {kind.__name__} whose {text} has {rank} dimensions ({limit})"
    return None


@functools.lru_cache(maxsize=512)
def width_required(full: str) -> bool:
    """Whether a fitted model of class ``full`` must record its input width:
    every fit of it did (``WIDTH_RECORDED``), and either a group ties the
    width to its arrays (a fit of input without a width could not make
    them) or its fit takes only tables (``ALWAYS_A_TABLE``). Other classes
    may honestly lack it: a support vector machine of a callable kernel, a
    function transformer or a dummy of a list of strings, a meta-estimator
    over one of those."""
    if full not in WIDTH_RECORDED:
        return False
    tied = any("n_features_in_" in group for group in EQUAL.get(full, ()))
    return tied or full in ALWAYS_A_TABLE


#: Classes whose fit reads its input as a table, always (their checks
#: bound output widths by the input's).
ALWAYS_A_TABLE = frozenset(
    {
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._target_encoder.TargetEncoder",
        "sklearn.preprocessing._polynomial.PolynomialFeatures",
        "sklearn.preprocessing._polynomial.SplineTransformer",
    }
)


def _width_recorded(kind: type, full: str, namespace: dict[str, Any]) -> str | None:
    """A fitted model of a class every fit of which records its input width
    records it, as a number: the checks of widths read it, and without it
    round 69 made a PCA of 3,000 components on 10 columns, a column
    transformer's selection of one column 3,000 times and a discretizer of
    3,000 bins behind ``n_bins=5`` (6.7 GiB asked) all load."""
    if not width_required(full):
        return None
    width = namespace.get("n_features_in_")
    if isinstance(width, (int, np.integer)) and not isinstance(width, bool):
        return None
    if "n_features_in_" not in namespace and not _fitted(full, namespace):
        return None  # an unfitted estimator: a parameter
    return f"a {kind.__name__} without the n_features_in_ every fit records as a number"


def _fitted(full: str, namespace: dict[str, Any]) -> bool:
    """Whether the model holds any value a fit of its class makes, or any
    fitted attribute (scikit-learn's test: a name ending in an underscore)."""
    return any(
        name in namespace for name in DIMENSIONS[full] if "[" not in name
    ) or any(name.endswith("_") and not name.startswith("__") for name in namespace)


def _labels_recorded(kind: type, full: str, namespace: dict[str, Any]) -> str | None:
    """A fitted model holds the classes, class count and output count every
    fit of its class records (``LABELS_RECORDED``): round 70 deleted a
    bagging classifier's ``classes_`` beside a count of 3,000, and no check
    of classes had any to hold its members or its probabilities to."""
    names = LABELS_RECORDED.get(full, ())
    missing = [name for name in names if namespace.get(name) is None]
    if not missing or not _fitted(full, namespace):
        return None
    return f"a {kind.__name__} without the {missing[0]} every fit records"


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
    >>> model.epsilon_ = np.array(np.zeros((16000, 1)), dtype=object)
    >>> check_shapes(model)
    "a GaussianNB whose epsilon_ is of dtype '|O' (every fit makes it numeric)"
    """
    kind = type(estimator)
    full = f"{kind.__module__}.{kind.__qualname__}"
    if full not in DIMENSIONS:
        return None
    namespace = getattr(estimator, "__dict__", {})
    problem = (
        _dimensions(kind, full, namespace)
        or _width_recorded(kind, full, namespace)
        or _labels_recorded(kind, full, namespace)
    )
    if problem is not None:
        return problem
    rows = fitted_rows(estimator)
    for group in _groups(full):
        first: tuple[Member, int] | None = None
        for member in group:
            if member[0] == ROWS:
                continue
            for size in _sizes(namespace, member):
                if first is None:
                    first = (member, size)
                elif size != first[1]:
                    one, other = _label(first[0]), _label(member)
                    which = f"{one}'s axes" if one == other else f"{one} and {other}"
                    return (
                        f"a {kind.__name__} whose {which} disagree in size "
                        f"({first[1]} and {size})"
                    )
        # At most: a model fitted in batches keeps its last batch's.
        if (
            rows is not None
            and first is not None
            and first[1] > rows
            and any(member[0] == ROWS for member in group)
        ):
            return (
                f"a {kind.__name__} whose {_label(first[0])} holds "
                f"{first[1]} rows (its envelope says it was fitted on {rows})"
            )
    return None
