"""Generate the safe load's table of fitted shapes from what real fits make.

    python tests/data/make_shapes.py          # rewrite src/.../_shapes_data.py
    python tests/data/make_shapes.py --check  # exit 1 if it would change

Every array estimator of the fidelity matrix (``tests/test_all_estimators.py``)
is fitted on data of four shapes (rows, width, classes and targets all
varied, one with fewer rows than columns), with its counts
(``n_components``, ``n_clusters``, ``n_neighbors``...) changed (once to
more than the data's rows and columns: what a class keeps of them then
shows whether its sizes follow the count), with each value its
constraints name for an option (strings, booleans, None, a list where it
takes one), with every two of those that are not strings together, with
24 random mixes, with text labels and text inputs, and with a missing
value in every other column. For each
fitted array attribute, every axis counted from the last (``coef_.-1``) is a
size in each fit, and so is every count the estimator records
(``n_features_in_``, ``_max_features``...) and every count parameter set to
a number (``=n_components``: a sampler's weights are as many). Sizes that
were equal in every fit, and are not all 1, are one group: the safe load
refuses a model whose members of a group disagree. Two arrays of sizes no
fit makes, (A, 1) and (B,), are what broadcast to an (A, B) outer product
at predict.

Each fitted value that every fit made an array or a number also gets the
most dimensions any fit gave it (0 for a number): an array where every fit
left a number (an ``offset_``, a sigmoid's ``a_``), or a (A, 1) array where
every fit made (n,), is the same outer product. These are read from the
estimators each fit holds too (a forest's trees, a calibrated classifier's
sigmoids), under their own class. And each is recorded as numeric or not:
what every fit made numeric may not hold objects or text (labels and
categories are text where the fits on text made them so).

A class fitted on fewer than three of the shapes gets no entry (a coincidence
of two sizes would then refuse real models); a group whose sizes never
changed is kept only when the fit with other counts held it too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import warnings
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA_FILE = os.path.join(ROOT, "src", "versioned_estimator", "_shapes_data.py")

#: (rows, width, classes, targets) of each fit.
SHAPES = ((80, 5, 3, 1), (50, 9, 4, 2), (14, 19, 2, 1), (64, 7, 5, 3))

#: Counts changed for the fits with other hyperparameters, and to what: each
#: set on the data of the shape of the same position.
COUNTS = (
    {
        "n_components": 1,
        "n_clusters": 2,
        "n_neighbors": 2,
        "n_estimators": 2,
        "n_bins": 4,
        "n_quantiles": 7,
        "n_nonzero_coefs": 1,
        "n_features_to_select": 1,
        "n_knots": 3,
        "degree": 3,
        "hidden_layer_sizes": (3, 2),
        "k": 1,
        "batch_size": 5,
        "max_features": 0.5,
        "max_samples": 0.5,
    },
    {
        "n_components": 2,
        "n_clusters": 3,
        "n_neighbors": 3,
        "n_estimators": 3,
        "n_bins": 3,
        "n_quantiles": 11,
        "n_nonzero_coefs": 2,
        "n_features_to_select": 2,
        "n_knots": 4,
        "degree": 2,
        "hidden_layer_sizes": (7,),
        "k": 2,
        "batch_size": 7,
        "max_features": 2,
        "max_samples": 0.7,
        # A Bayesian mixture's prior is the data's width unless given: one
        # given, of no width the shapes have (above the width less one).
        "degrees_of_freedom_prior": 20,
    },
    {
        "n_components": 3,
        "n_clusters": 4,
        "n_neighbors": 4,
        "n_estimators": 4,
        "n_bins": 5,
        "n_quantiles": 9,
        "n_nonzero_coefs": 3,
        "n_features_to_select": 3,
        "n_knots": 5,
        "degree": 1,
        "hidden_layer_sizes": (4,),
        "k": 3,
        "batch_size": 6,
        "max_features": 0.3,
        "max_samples": 0.9,
    },
    # More than the data's rows or columns: a class that keeps fewer than
    # asked (independent components at most the width, kernel components
    # at most the rows) ties none of its sizes to the count.
    {
        "n_components": 70,
        "n_clusters": 70,
        "n_neighbors": 70,
        "n_bins": 70,
        "n_quantiles": 70,
        "n_nonzero_coefs": 70,
        "n_features_to_select": 70,
        "n_knots": 70,
        "k": 70,
    },
)

#: Inputs that are not arrays (text, dicts, label lists, images): their
#: widths come from the data, and their own checks hold them.
SKIPPED = frozenset(
    {
        "CountVectorizer",
        "TfidfVectorizer",
        "HashingVectorizer",
        "DictVectorizer",
        "FeatureHasher",
        "LabelEncoder",
        "LabelBinarizer",
        "MultiLabelBinarizer",
        "PatchExtractor",
    }
)


def data(estimator: Any, shape: tuple[int, int, int, int]) -> tuple[Any, ...]:
    """What to fit ``estimator`` on, of ``shape``, suited to its tags."""
    from sklearn.base import is_classifier, is_regressor
    from sklearn.utils import get_tags

    rows, width, classes, targets = shape
    rng = np.random.default_rng(width)
    tags = get_tags(estimator)
    X = rng.normal(size=(rows, width))
    if tags.classifier_tags is not None and not tags.classifier_tags.multi_class:
        classes = 2
    y: Any = np.arange(rows) % classes
    X[:, 0] += 3 * y  # separable enough for every classifier to converge
    if is_regressor(estimator):
        y = X @ rng.normal(size=(width, targets)) + rng.normal(size=(rows, targets))
        if not tags.target_tags.single_output:
            y = np.column_stack([y, y[:, :1] * 2]) if targets == 1 else y
        elif not tags.target_tags.multi_output or targets == 1:
            y = y[:, 0]
        if tags.target_tags.positive_only:
            y = np.abs(y) + 1.0
        if type(estimator).__name__ == "IsotonicRegression":
            X = X[:, 0]
    elif (
        is_classifier(estimator)
        and tags.target_tags.multi_output
        and (targets > 1 or not tags.target_tags.single_output)
    ):
        extra = range(1, max(targets, 2))
        y = np.column_stack([y] + [(X[:, t] > 0).astype(int) for t in extra])
    if tags.input_tags.pairwise:
        X = X @ X.T
    elif tags.input_tags.categorical and not tags.input_tags.string:
        X = np.rint(np.abs(X)).astype(np.int64)
    elif tags.input_tags.positive_only:
        X = np.abs(X)
    dictionary = estimator.get_params().get("dictionary")
    if isinstance(dictionary, np.ndarray):
        return ()  # SparseCoder: its width is its dictionary's, a parameter
    return (X, y)


#: A run: one fitted object's sizes (see :func:`sizes`) and the dimensions of
#: its fitted values and whether they are numeric (see :func:`ranks`).
Run = tuple[dict[str, int], dict[str, tuple[int, bool]]]

#: In :func:`ranks`, a value numpy would not read as an array or a number.
OTHER = -1


def _fitted_names(estimator: Any) -> list[tuple[str, Any]]:
    """The fitted attributes of ``estimator`` (ending or starting with an
    underscore, not a hyper-parameter) and their values."""
    from versioned_estimator._shapes import param_names

    params = set(param_names(type(estimator)))
    return [
        (name, value)
        for name, value in vars(estimator).items()
        if name not in params
        and not name.startswith("__")
        and (name.endswith("_") or name.startswith("_"))
    ]


def _arrays(value: Any) -> bool:
    """Whether ``value`` is a short list of arrays (a network's layers, a
    multi-output model's classes), whose members are named by position."""
    return (
        isinstance(value, (list, tuple))
        and 0 < len(value) <= 8
        and all(isinstance(member, np.ndarray) for member in value)
    )


def sizes(estimator: Any) -> dict[str, int]:
    """Every fitted array's axes (from the last) and every count, by name;
    a list of arrays' axes its members share as ``name[].-k`` (each class's
    rotation is of the data's width, however many classes)."""
    found: dict[str, int] = {}
    for name, value in _fitted_names(estimator):
        if (
            isinstance(value, (list, tuple))
            and len(value) > 1
            and all(isinstance(member, np.ndarray) for member in value)
        ):
            for axis in range(1, min(member.ndim for member in value) + 1):
                shared = {int(member.shape[-axis]) for member in value}
                if len(shared) == 1:
                    found[f"{name}[].-{axis}"] = shared.pop()
        if _arrays(value):
            for index, member in enumerate(value):
                for axis in range(1, member.ndim + 1):
                    found[f"{name}[{index}].-{axis}"] = int(member.shape[-axis])
            continue
        shape = getattr(value, "shape", None)
        if isinstance(value, np.ndarray) or (
            type(value).__module__.startswith("scipy.sparse") and shape is not None
        ):
            for axis in range(1, len(shape) + 1):
                found[f"{name}.-{axis}"] = int(shape[-axis])
        elif (
            isinstance(value, (int, np.integer))
            and not isinstance(value, (bool, np.bool_))
            and name not in UNCOUNTED
        ):
            found[name] = int(value)
    own = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    for name in COUNTED:
        value = own.get(name)
        if type(value) is int:
            found[PARAMETER + name] = value
    return found


#: Counts a cross-validated model's path is as long as, each changed in a
#: fit of its own (``alphas`` is a list for other classes): a path of
#: ``Cs=100000`` beside a fitted ``Cs_`` of 3 asked a refit for 100,000
#: fits a split (round 197).
PATH_COUNTS = {"Cs": 3, "alphas": 4, "n_refinements": 2, "thresholds": 7}
#: Fitted integers that are not sizes: how a fit went, not what it made.
UNCOUNTED = frozenset({"n_iter_", "best_index_", "best_iteration_", "t_"})
#: A count parameter as a size (``=n_components``): a group ties the fitted
#: axes a fit makes of it (a sampler's weights, a decomposition's
#: components) wherever a fit sets it to a number.
PARAMETER = "="
#: The parameters :data:`COUNTS` changes that are integers and size what a
#: model outputs (not ``n_estimators``: early stopping keeps fewer; nor
#: ``batch_size``: fewer rows make smaller batches).
COUNTED = (
    *(
        name
        for name, value in COUNTS[0].items()
        if type(value) is int and name not in ("n_estimators", "batch_size")
    ),
    *PATH_COUNTS,
)


def _rank(value: Any) -> int:
    """The dimensions numpy sees in a fitted value: an array's or a sparse
    matrix's, 0 for a number, :data:`OTHER` for anything else."""
    if isinstance(value, np.ndarray):
        return value.ndim
    if type(value).__module__.startswith("scipy.sparse"):
        return len(value.shape)
    if isinstance(value, (int, float, np.number, np.bool_)):
        return 0
    return OTHER


def _numeric(value: Any) -> bool:
    """Whether a fitted value is a number or holds numbers (not objects,
    text, bytes or records)."""
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, np.dtype):
        return dtype.kind in NUMERIC_KINDS
    return isinstance(value, (int, float, np.number, np.bool_))


#: The kinds of numpy dtype that hold numbers.
NUMERIC_KINDS = "biufc"


def ranks(estimator: Any) -> dict[str, tuple[int, bool]]:
    """The dimensions of every fitted value that is not None, and whether
    it is numeric, by name; a short list of arrays: its members' as
    ``name[]`` (the most dimensions, numeric if all are), and
    :data:`OTHER` for itself."""
    found: dict[str, tuple[int, bool]] = {}
    for name, value in _fitted_names(estimator):
        if value is None:
            continue
        if (
            isinstance(value, (list, tuple))
            and value
            and all(isinstance(member, np.ndarray) for member in value)
        ):
            found[f"{name}[]"] = (
                max(member.ndim for member in value),
                all(map(_numeric, value)),
            )
        found[name] = (_rank(value), _numeric(value))
    return found


def nested(value: Any, depth: int = 0) -> list[Any]:
    """The scikit-learn estimators a fitted value holds (a forest's trees, a
    calibrated classifier's calibrators), themselves included: each of their
    fitted attributes has its own dimensions, in the class that holds it."""
    from sklearn.base import BaseEstimator

    if depth > 5:
        return []
    found = []
    if isinstance(value, (list, tuple)):
        members: list[Any] = list(value[:8])
    elif isinstance(value, dict):
        members = list(value.values())[:8]
    elif (type(value).__module__ or "").startswith("sklearn.") and hasattr(
        value, "__dict__"
    ):
        if isinstance(value, BaseEstimator):
            found.append(value)
        members = (
            [v for _, v in _fitted_names(value)]
            if isinstance(value, BaseEstimator)
            else list(vars(value).values())
        )
    else:
        return []
    for member in members:
        found += nested(member, depth + 1)
    return found


#: Changes that are not parameters: labels given as text, inputs given as
#: text (an encoder's categories, an imputer's most frequent value): what
#: makes a fitted value of other than numbers.
TEXT_LABELS = "<text labels>"
TEXT_INPUTS = "<text inputs>"
#: Inputs with a missing value in every other column (for estimators that
#: take them: a scaler then counts its rows per column, an array).
MISSING_INPUTS = "<missing inputs>"


def _as_text(values: Any) -> Any:
    """Integer-like ``values`` as words, of object dtype."""
    words = np.rint(np.abs(np.asarray(values, dtype=float)) * 2).astype(int)
    return np.vectorize(lambda n: f"w{n}", otypes=[object])(words)


#: The size that stands for the training rows (a model that keeps them, a
#: kernel model's dual coefficients): the safe load reads it from the
#: envelope's ``n_samples`` for the estimator the wrapper fitted.
ROWS = "<rows>"
#: The rows each fitted estimator was fitted on, by ``id`` (while it lives).
_ROWS: dict[int, int] = {}


def _fitted(cls: type, shape: tuple[int, int, int, int], counts: Any = None) -> Any:
    """``cls`` fitted on data of ``shape`` (with ``counts`` changed), or None."""
    from tests.test_all_estimators import build

    estimator = build(cls)
    counts = dict(counts or {})
    text = {
        key
        for key in (TEXT_LABELS, TEXT_INPUTS, MISSING_INPUTS)
        if counts.pop(key, False)
    }
    if counts:
        own = estimator.get_params(deep=False)
        changes = {k: v for k, v in counts.items() if k in own}
        if not changes:
            return None
        estimator.set_params(**changes)
    args = data(estimator, shape)
    if not args:
        return None
    if TEXT_INPUTS in text:
        args = (_as_text(args[0]), *args[1:])
    if MISSING_INPUTS in text:
        X = np.asarray(args[0])
        if X.ndim != 2 or X.dtype.kind != "f":
            return None
        X = X.copy()
        # In every other column, so that the columns' counts differ.
        every_other = np.arange(0, X.shape[1], 2)
        X[every_other % len(X), every_other] = np.nan
        args = (X, *args[1:])
    if TEXT_LABELS in text:
        if np.asarray(args[1]).dtype.kind not in "iu":
            return None
        args = (args[0], _as_text(args[1]))
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            estimator.fit(*args)  # quietly: some options are ``verbose``
    except Exception:
        return None
    _ROWS[id(estimator)] = len(args[0])
    return estimator


def _differs(value: Any, default: Any) -> bool:
    try:
        return bool(value != default)
    except (TypeError, ValueError):  # an array default
        return True


def _lists(constraints: list[Any]) -> list[list[float]]:
    """Lists for a parameter that also takes one (a cross-validated model's
    ``l1_ratios``, ``alphas``, ``Cs``): two values inside its interval, and
    its lower end alone (a ratio of 0, which every solver takes). A list is
    what adds an axis to a model's paths."""
    from sklearn.utils._param_validation import Interval

    for constraint in constraints:
        if isinstance(constraint, Interval):
            low = 0.0 if constraint.left is None else float(constraint.left)
            high = low + 2.0 if constraint.right is None else float(constraint.right)
            if constraint.type is not float and high - low >= 4:
                return [[low + 1, low + 3], [low + 1]]
            return [[low + (high - low) * 0.2, low + (high - low) * 0.8], [low]]
    return [[0.2, 0.8], [0.0]]


def options(cls: type) -> dict[str, list[Any]]:
    """The other values each parameter's constraints name (string options,
    booleans and None, and a list of two values where it takes a list):
    what changes an array's rank or which of its axes are which (a
    mixture's covariance type, early stopping's scores, a path over
    several ratios)."""
    from sklearn.utils._param_validation import StrOptions
    from tests.test_all_estimators import build

    own = build(cls).get_params(deep=False)
    found = {}
    for name, constraints in sorted(getattr(cls, "_parameter_constraints", {}).items()):
        if name not in own:
            continue
        values: list[Any] = []
        for constraint in constraints:
            if isinstance(constraint, StrOptions):
                values += sorted(
                    o for o in constraint.options if o not in constraint.deprecated
                )
            elif constraint in ("boolean", bool):
                values += [True, False]
            elif constraint is None:
                values.append(None)
            elif constraint == "array-like":
                values += _lists(constraints)
        values = [value for value in values if _differs(value, own[name])]
        if values:
            found[name] = values
    return found


#: Fits with many options changed at once, at random, a class: options that
#: matter only together (early stopping on the training data) meet in one.
MIXED = 24
#: Classes with at most this many values of options that are not strings
#: (booleans, None, lists) are also fitted with every two of them together
#: (a cross-validated model's legacy attributes over a list of ratios).
PAIRED = 16


#: A class's groups, most dimensions, and values not always numeric.
Entry = tuple[list[tuple[str, ...]], dict[str, int], list[str], bool, list[str]]


def key(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def fits(cls: type) -> tuple[list[Run], list[Run], dict[str, list[Run]]]:
    """The runs of ``cls`` fitted on each of ``SHAPES``, and with other
    counts and options (each on the next shape), and of the estimators
    those fits hold, by class."""
    choices = options(cls)
    changes: list[dict[str, Any]] = [*COUNTS]
    changes += [{name: value} for name, values in choices.items() for value in values]
    rng = np.random.default_rng(sum(map(ord, cls.__name__)))
    if len(choices) > 1:
        for _ in range(MIXED):
            mixed = {}
            for name, values in choices.items():
                pick = int(rng.integers(len(values) + 1))
                if pick < len(values):
                    mixed[name] = values[pick]
            changes.append(mixed)
    single = [{name: value} for name, values in choices.items() for value in values]
    plain = [c for c in single if not isinstance(next(iter(c.values())), str)]
    if len(plain) <= PAIRED:
        changes += [
            {**a, **b}
            for i, a in enumerate(plain)
            for b in plain[i + 1 :]
            if a.keys() != b.keys()
        ]
    for text in (TEXT_LABELS, TEXT_INPUTS):
        changes += [{text: True}] + [{text: True, **c} for c in single]
    changes += [{MISSING_INPUTS: True}]
    # A successive halving over another resource than the rows (its
    # estimator's iterations): then its sizes do not follow the rows.
    changes += [{"resource": "max_iter", "max_resources": 20}]
    changes += [{name: value} for name, value in PATH_COUNTS.items()]
    base = [_fitted(cls, s) for s in SHAPES]
    changed = [_fitted(cls, SHAPES[i % len(SHAPES)], c) for i, c in enumerate(changes)]
    inner: dict[str, list[Run]] = {}
    for fitted in [*base, *changed]:
        for held in nested(fitted)[1:] if fitted is not None else []:
            inner.setdefault(key(type(held)), []).append((sizes(held), ranks(held)))
    found = [(_rows(e), ranks(e)) for e in base if e is not None]
    other = [(_rows(e), ranks(e)) for e in changed if e is not None]
    _ROWS.clear()
    return found, other, inner


def _rows(estimator: Any) -> dict[str, int]:
    """The sizes of an estimator fitted here, and its training rows."""
    return {**sizes(estimator), ROWS: _ROWS[id(estimator)]}


def _together(a: str, b: str, runs: list[dict[str, int]]) -> bool:
    """Whether ``a`` and ``b`` were equal in every fit that made both, and
    those fits made them of more than one size (else a coincidence)."""
    both = [run[a] for run in runs if a in run and b in run and run[a] == run[b]]
    apart = any(a in run and b in run and run[a] != run[b] for run in runs)
    return not apart and len(set(both)) > 1


def groups(
    found: list[dict[str, int]], other: list[dict[str, int]]
) -> list[tuple[str, ...]]:
    """Sizes every fit made equal: each name joins the first group all of
    whose members it was equal to wherever both were made. A name made by
    two fits of the four shapes at least counts (a multi-output model's
    target axis, absent with one target)."""
    if len(found) < 3:
        return []
    runs = [*found, *other]
    kept: list[list[str]] = []
    for name in candidates(found, other):
        for group in kept:
            if all(_together(name, member, runs) for member in group):
                group.append(name)
                break
        else:
            kept.append([name])
    return sorted(tuple(group) for group in kept if len(group) > 1)


def candidates(found: list[dict[str, int]], other: list[dict[str, int]]) -> list[str]:
    """The sizes a group or a bound may name: those two fits of the four
    shapes made at least, and count parameters two fits set to a number."""
    made = [name for run in found for name in run]
    named = {name for name in made if made.count(name) >= 2}
    set_ = [name for run in other for name in run if name.startswith(PARAMETER)]
    named |= {name for name in set_ if set_.count(name) >= 2}
    return sorted(named)


def dimensions(
    runs: list[dict[str, tuple[int, bool]]],
) -> tuple[dict[str, int], list[str]]:
    """The most dimensions any run gave each fitted value that every run
    made an array or a number, never anything else; and which of those
    some run made of other than numbers (labels, categories)."""
    most: dict[str, int] = {}
    other: set[str] = set()
    text: set[str] = set()
    for run in runs:
        for name, (rank, numeric) in run.items():
            if rank == OTHER:
                other.add(name)
                continue
            most[name] = max(most.get(name, 0), rank)
            if not numeric:
                text.add(name)
    kept = {name: rank for name, rank in sorted(most.items()) if name not in other}
    return kept, sorted(text & set(kept))


def classes() -> dict[str, type]:
    """The fidelity matrix's estimators, and every other scikit-learn one
    (density, outlier and covariance estimators)."""
    from sklearn.utils import all_estimators
    from tests.test_all_estimators import ESTIMATORS

    return {**dict(all_estimators()), **ESTIMATORS}


def collect() -> dict[str, Entry]:
    """Each class's groups and dimensions, from its own fits and from the
    estimators other fits hold (a class only held elsewhere, such as a
    calibrated classifier's sigmoid, gets dimensions from three runs)."""
    own: dict[str, tuple[list[Run], list[Run]]] = {}
    held: dict[str, list[Run]] = {}
    for name, cls in sorted(classes().items()):
        if name in SKIPPED:
            continue
        found, other, inner = fits(cls)
        own[key(cls)] = (found, other)
        for kind, runs in inner.items():
            held.setdefault(kind, []).extend(runs)
    table = {}
    for kind in sorted(set(own) | set(held)):
        found, other = own.get(kind, ([], []))
        other = [*other, *held.get(kind, [])]
        kept = groups([s for s, _ in found], [s for s, _ in other])
        enough = len(found) >= 3 if kind in own else len(other) >= 3
        runs = [r for _, r in [*found, *other]]
        most, text = dimensions(runs) if enough else ({}, [])
        # Every fit recorded the input width, as a number.
        width = enough and all(run.get(WIDTH, (None,))[0] == 0 for run in runs)
        labels = [n for n in LABELS if enough and all(n in run for run in runs)]
        if kept or most:
            table[kind] = (kept, most, text, width, labels)
    return table


#: The fitted count every check of input widths reads.
WIDTH = "n_features_in_"
#: The labels and counts of them that checks of classes and outputs read:
#: those every fit of a class recorded are required of it.
LABELS = ("classes_", "n_classes_", "n_outputs_")


def versions() -> str:
    import scipy
    import sklearn

    return (
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}"
    )


def render(table: dict[str, Entry]) -> str:
    lines = [
        "# ruff: noqa: E501",
        '"""Sizes a fit makes equal, by class: generated by',
        "``tests/data/make_shapes.py`` and checked by ``tests/test_shapes.py``; do",
        "not edit by hand, run the script and review the difference like code.",
        "",
        "``EQUAL``: each class's groups of sizes every fit made equal, fitted arrays'",
        "axes counted from the last (``coef_.-1``, ``coefs_[0].-2`` for a list's",
        "member) and recorded counts (``n_features_in_``). ``DIMENSIONS``: the most",
        "dimensions any fit gave each fitted value that every fit made an array or a",
        "number (0: a number; ``coefs_[]``: any member of a list), also of classes",
        "only other estimators hold. ``TEXT``: those of them some fit made of",
        "other than numbers (labels, categories, strings); every other is numeric",
        "(see ``_shapes``). ``=n_components``: a count parameter, where a fit set",
        "it to a number. ``WIDTH_RECORDED``: the classes every fit of which recorded",
        "``n_features_in_`` as a number (checks of input widths read it).",
        "``LABELS_RECORDED``: the classes, counts of classes and outputs every fit",
        "of a class recorded (checks of classes and outputs read them).",
        "",
        f"Generated under {versions()}.",
        '"""',
        "",
        "EQUAL: dict[str, tuple[tuple[str, ...], ...]] = {",
    ]
    # Every tuple and dict is written exploded with a trailing comma: the
    # form ``ruff format`` keeps.
    for name, (kept, _, _, _, _) in table.items():
        if not kept:
            continue
        lines.append(f'    "{name}": (')
        for group in kept:
            lines += [
                "        (",
                *(f'            "{m}",' for m in group),
                "        ),",
            ]
        lines.append("    ),")
    lines += ["}", "", "DIMENSIONS: dict[str, dict[str, int]] = {"]
    for name, (_, most, _, _, _) in table.items():
        if not most:
            continue
        lines += [
            f'    "{name}": {{',
            *(f'        "{k}": {v},' for k, v in most.items()),
        ]
        lines.append("    },")
    lines += ["}", "", "TEXT: dict[str, tuple[str, ...]] = {"]
    for name, (_, _, text, _, _) in table.items():
        one = f'    "{name}": ("{text[0]}",),' if len(text) == 1 else ""
        if one and len(one) <= 88:
            lines.append(one)  # the form ruff keeps for a one-item tuple
        elif text:
            lines += [
                f'    "{name}": (',
                *(f'        "{k}",' for k in text),
                "    ),",
            ]
    lines += ["}", "", "WIDTH_RECORDED: frozenset[str] = frozenset("]
    lines += ["    {", *(f'        "{k}",' for k, e in table.items() if e[3]), "    }"]
    lines += [")", "", "LABELS_RECORDED: dict[str, tuple[str, ...]] = {"]
    for name, entry in table.items():
        labels = entry[4]
        one = f'    "{name}": ("{labels[0]}",),' if len(labels) == 1 else ""
        if one and len(one) <= 88:
            lines.append(one)
        elif labels:
            lines += [
                f'    "{name}": (',
                *(f'        "{k}",' for k in labels),
                "    ),",
            ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT)
    text = render(collect())
    if args.check:
        with open(DATA_FILE) as f:
            return 0 if f.read() == text else 1
    with open(DATA_FILE, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
