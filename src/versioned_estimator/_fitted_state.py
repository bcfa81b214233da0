"""Checks of the fitted state scikit-learn's compiled code trusts, by type.

``_structures`` holds the node structures (trees, predictors, neighbours trees,
libsvm) and ``_class_checks`` the checks of named classes; this module holds
what every object of a loaded graph is held to by its type, and the helpers
the class checks share, each check returning what is wrong or None:

* the hyper-parameters of every scikit-learn estimator (its own
  ``_parameter_constraints``), callables among them, instance attributes
  that would stand for the class's methods, the class count beside the
  classes, labels and categories each value once, the widths and outputs of
  the members a model holds, kernels, covariances and per-class arrays,
  compressed sparse matrices (what scipy's ``check_format(full_check=True)``
  asks), numpy random states, scipy B-splines;
* the estimators a model holds, each accounted for by what made it, are
  :mod:`versioned_estimator._members`' (run from :func:`check_by_type`);
* after every class's own checks, the recorded widths and counts
  (:func:`check_last`, with :mod:`versioned_estimator._shapes`).

The counts that size what a method allocates or loops over (an output
width, a class count, a degree) are held to what the fitted arrays and the
parameters give, as the class's own ``fit`` computes them.

Checks only read (attributes, shapes, dtypes, ``get_state``); the one call
into the libraries, scikit-learn's ``validate_parameter_constraints``, only
validates (scipy's ``check_format`` converts a matrix's arrays in place, so
it is not called). What a check reads over an array's values alone it reads
once per array however many objects hold it (:func:`once`).

What is not checked. Compiled code that trusts state of its own that no check
here knows about stays trusted: the Cython loss objects (``sklearn._loss``)
and SGD loss functions restored from their pickled arguments; the numeric
content of arrays (NaN, infinities, thresholds), which changes results but not
memory accesses; distance metrics outside a neighbours tree or estimator of
known width; fitted attributes (not parameters) that hold a function; the
internal consistency of estimators whose predict is numpy code (numpy checks
its own indices, so a wrong shape raises instead of reading outside memory);
and OpenMP or BLAS thread counts the libraries choose themselves. A class
no check names is only held to its parameters and what its type gets.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import string
import types
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from versioned_estimator._display import _PLAIN as _PLAIN_VALUES
from versioned_estimator._display import display_problem, held
from versioned_estimator._magnitudes import wider_than_float64
from versioned_estimator._members import (
    DEFAULT_MEMBERS,
    HIST_BOOSTING,
    accounted_members,
    built_parts,
    class_name,
    fitted_members,
)
from versioned_estimator._settings import same_value
from versioned_estimator._shapes import (
    check_shapes,
    fitted_rows,
    nesting,
    param_names,
)

__all__ = ["check_by_type", "check_last", "once", "reading_once"]

#: The largest ``_n_threads`` a k-means model may hold: its fitting machine's
#: core count (any machine's, so a bound, not this one's count).
MAX_THREADS = max(os.cpu_count() or 1, 512)

Check = Callable[[Any], "str | None"]


_name = class_name


def _int(value: Any) -> int | None:
    """An integer as ``range`` and indexing read one (an int, a numpy
    integer, a 0-d integer array), never a bool: ``n_splits`` as
    ``np.array(100000)`` passed as no count and split 100,000 times (round
    197)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    return None


def _real(value: Any) -> float | None:
    """A real number as a float (never a bool), else None."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    ):
        return float(value)
    return None


def truth(value: Any) -> bool | None:
    """What ``if value:`` makes of a flag, as scikit-learn's code tests it:
    numpy's bools, numbers and one-value arrays as much as Python's (a
    check that asked ``is False`` let ``np.False_``, ``0`` and ``None``
    through, round 74); None for any other object, whose truth is its own
    code's to say."""
    if value is None or isinstance(value, (bool, np.bool_, int, float, np.number)):
        return bool(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return bool(value.reshape(-1)[0])
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return len(value) > 0
    return None


def _width(estimator: Any) -> int | None:
    return _int(getattr(estimator, "n_features_in_", None))


def _columns(array: Any) -> int | None:
    """The number of columns of a 2-D array or sparse matrix, else None."""
    shape = getattr(array, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2:
        return _int(shape[1])
    return None


# -- what the checks read -------------------------------------------------

#: The widest data any estimator of the graph being checked was fitted on
#: (its ``n_features_in_``), for the parts that keep no width of their own.
_GRAPH_WIDTH: contextvars.ContextVar[int] = contextvars.ContextVar(
    "graph_width", default=0
)


@contextlib.contextmanager
def graph_width(width: int) -> Iterator[None]:
    """While the checks of one loaded graph run, its widest data is
    ``width`` columns."""
    token = _GRAPH_WIDTH.set(width)
    try:
        yield
    finally:
        _GRAPH_WIDTH.reset(token)


#: What the checks found over each array, while a walk of one loaded graph
#: lasts (see :func:`once`), by (id, fact): the array (weakly: a value the
#: checks made dies with its id) and the fact.
_FACTS: contextvars.ContextVar[dict[tuple[int, str], tuple[Any, Any]] | None] = (
    contextvars.ContextVar("facts", default=None)
)
#: What checks found over whole subgraphs, by fact, then object id
#: (:func:`walk_memo`).
_MEMOS: contextvars.ContextVar[dict[str, dict[int, Any]] | None] = (
    contextvars.ContextVar("memos", default=None)
)
_T = TypeVar("_T")


@contextlib.contextmanager
def reading_once() -> Iterator[None]:
    """While a walk lasts, every check reads each array's values once."""
    token, memos = _FACTS.set({}), _MEMOS.set({})
    try:
        yield
    finally:
        _MEMOS.reset(memos)
        _FACTS.reset(token)


def walk_memo(fact: str) -> dict[int, Any]:
    """A memo of ``fact`` by object id that lasts while a walk lasts (the
    graph, alive throughout, keeps its ids), or a fresh one outside a walk:
    what a check computes over a whole subgraph (the fits a template asks
    for), computed once for each object however many holders ask."""
    memos = _MEMOS.get()
    return {} if memos is None else memos.setdefault(fact, {})


def once(array: Any, fact: str, compute: Callable[[Any], _T]) -> _T:
    """``compute(array)``, computed once per array while a walk lasts.

    Many objects of one graph may hold one array: 200,000 B-splines over one
    knot vector are a few bytes of file each, and a check that reads the
    knots of every spline reads them 200,000 times. Whatever a check finds
    over an array's values alone (its extent, its order) is a fact of that
    array: read once, then compared with each holder's counts. Lists need no
    memo: the walk weighs their every value at every reference.

    Examples
    --------
    >>> knots = np.arange(5.0)
    >>> with reading_once():
    ...     first = once(knots, "sorted", lambda t: bool((np.diff(t) >= 0).all()))
    ...     again = once(knots, "sorted", lambda t: 1 / 0)  # not computed again
    >>> first, again
    (True, True)
    """
    memo = _FACTS.get()
    if memo is None or not isinstance(array, np.ndarray):
        return compute(array)
    key = (id(array), fact)
    found = memo.get(key)
    if found is not None and found[0]() is array:
        return found[1]  # type: ignore[no-any-return]
    value = compute(array)
    memo[key] = (weakref.ref(array), value)
    return value


def _extent(array: np.ndarray) -> tuple[Any, Any] | None:
    """The least and largest value of an array, None when it is empty."""
    return once(array, "extent", _raw_extent)


def _raw_extent(array: Any) -> tuple[Any, Any] | None:
    # every value compiled code reads: a masked array's min and max skip
    # what its mask hides (an index of 2**30 behind a mask crashed a product)
    values = np.asarray(array)
    return (values.min(), values.max()) if values.size else None


def _inside(index: Any, bound: int) -> bool:
    """Whether ``index`` is an integer array of positions in ``0..bound-1``:
    what compiled code, ``np.bincount`` or scipy's constructors take it for."""
    if index.dtype.kind not in "iu":
        return False
    extent = _extent(index)
    return extent is None or (extent[0] >= 0 and extent[1] < bound)


# -- by type --------------------------------------------------------------


def _parameters(estimator: Any) -> str | None:
    """A scikit-learn estimator's hyper-parameters, held to the constraints of
    its class (never ones its state brings along)."""
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    kind: type = type(estimator)
    constraints = getattr(kind, "_parameter_constraints", None)
    names = param_names(kind)
    missing = object()
    params = {name: getattr(estimator, name, missing) for name in names}
    for name, value in params.items():
        problem = _callable_parameter(value)
        if problem is not None:
            return f"a {kind.__name__} whose {name} is {problem}"
        if name in _KEYWORD_PARAMETERS and value:
            # Arrays among them broadcast against the data: no axis wider
            # than it (a (1, 20000) ``where=`` mask made 30,000 rows of one
            # column 4.5 GB). A stateless function transformer is run
            # unfitted: then no axis wider than the widest data of the
            # model it is part of (a search's or a column transformer's
            # template, round 176's false positives), or a few values.
            width = _width(estimator)
            if width is None and kind.__name__ == "FunctionTransformer":
                width = _GRAPH_WIDTH.get()
            problem = _arguments(
                (),
                value,
                widest=_widest_argument(width),
                function=params.get(_KEYWORDS_OF.get(name, "")),
            )
            if problem is not None:
                return f"a {kind.__name__} whose {name} holds {problem}"
    problem = (
        _class_weight(estimator, params)
        or _parameter_values(kind, params)
        or display_problem(estimator)
    )
    if problem is not None:
        return problem
    if "dtype" in params and not _scalar_dtype(params["dtype"]):
        # A sub-array dtype ("(80000,)f8") makes every astype a copy that
        # many times the data's size.
        return f"a {kind.__name__} whose dtype is {str(params['dtype'])[:40]}"
    memory = params.get("memory")
    if memory is not None and memory is not missing:
        # A folder the file names: a fit of the loaded model (a pipeline's,
        # a clustering's) caches its steps there and reads back, unchecked,
        # any pickle it finds under the key of its arguments.
        return (
            f"a {kind.__name__} whose memory is a cache folder the file "
            f"names ({str(memory)[:40]!r}); set memory=None before saving"
        )
    jobs = _int(params.get("n_jobs"))
    if jobs is not None and not -MAX_THREADS <= jobs <= MAX_THREADS:
        # Threads or processes the user's own calls start.
        return f"a {kind.__name__} with n_jobs={jobs} (at most {MAX_THREADS})"
    if not isinstance(constraints, dict):
        return None
    for name, value in params.items():
        if value is missing or name not in constraints:
            continue  # saved by a release without this parameter
        plain = type(value) in _PLAIN and len(_VALIDATED) < _MOST_VALIDATED
        key = (kind, name, type(value), value)
        if plain and key in _VALIDATED:
            refused = _VALIDATED[key]
        else:
            try:
                validate_parameter_constraints(
                    {name: constraints[name]}, {name: value}, caller_name=kind.__name__
                )
                refused = None
            except InvalidParameterError as exc:
                refused = str(exc)
            if plain:
                _VALIDATED[key] = refused
        if refused is None or (isinstance(value, str) and not _names_code(kind, value)):
            # An option another release names ("deprecated", a renamed
            # solver): Python code branches on it, and raises when it
            # knows no branch; no compiled code indexes memory with it.
            continue
        return f"a {kind.__name__} with parameters scikit-learn refuses ({refused})"
    return None


#: The most values one estimator's parameters may hold in lists, tuples,
#: sets and dicts (keys and values, each container one more, counted at
#: every reference), arrays aside. scikit-learn's display, repr, get_params
#: and clone go through each in Python, a dict's sorted first: a
#: class_weight of {0: [None] * 4 x 10**6} (one byte of stream an item) made
#: the HTML display 18.5 s and clone 2.9 s, 26x an honest file's time, and
#: 10**7 items past a minute (round 188). A fixed vocabulary of 250,000
#: words fits. Arrays of objects count their items: clone copies each (an
#: encoder's categories of 4 x 10**6 Nones, 4 MB of file, took 0.53 s a
#: clone, 10 times an array of 400,000 texts of the same size).
MAX_PARAMETER_VALUES = 1 << 19


def _parameter_values(kind: type, params: Mapping[str, Any]) -> str | None:
    """Why an estimator's parameters hold too many values, or None: counted
    a container at a time, each sorted by type in C; what an array of
    objects, a slice, a partial or a helper object (a splitter, a scorer, a
    kernel) holds counted as a container's items. A nested estimator's
    parameters are its own."""
    from sklearn.base import BaseEstimator

    count = 0
    stack = list(params.values())
    opened: set[int] = set()  # clone copies an object once however held
    while stack and count <= MAX_PARAMETER_VALUES:
        value = stack.pop()
        if id(value) in opened:
            continue
        if isinstance(value, BaseEstimator):
            continue  # its parameters are its own
        members = held(value, every_item=True)
        if members is None:
            continue
        opened.add(id(value))
        count += 1 + len(members)
        kinds = set(map(type, members))
        if not kinds <= _PLAIN_VALUES:  # which hold nothing to count
            stack.extend(m for m in members if type(m) not in _PLAIN_VALUES)
    if count > MAX_PARAMETER_VALUES:
        return (
            f"a {kind.__name__} whose parameters hold over "
            f"{MAX_PARAMETER_VALUES:,} values in lists, tuples, sets, dicts "
            "and arrays of objects (its display, repr and clone go through each)"
        )
    return None


_WEIGHTS = (int, float, np.number)


def _class_weight(estimator: Any, params: Mapping[str, Any]) -> str | None:
    """A fitted classifier's ``class_weight`` weighs at most its classes, by
    a number each, one dict an output: fit ignores other keys, which only
    cost the display and every clone (300,000 of them, 12x an honest file's
    time, round 188), and takes no other weight."""
    weights = params.get("class_weight")
    classes = getattr(estimator, "__dict__", {}).get("classes_")
    if not isinstance(weights, (dict, list)) or classes is None:
        return None
    outputs = classes if isinstance(classes, list) else [classes]
    per_output = weights if isinstance(weights, list) else [weights]
    if isinstance(weights, list) and len(weights) != len(outputs):
        return f"a {_name(estimator)} whose class_weight is not one dict an output"
    for weight, known in zip(per_output, outputs, strict=True):
        if (
            not isinstance(weight, dict)
            or len(weight) > np.size(known)
            or not all(isinstance(w, _WEIGHTS) for w in weight.values())
        ):
            name = _name(estimator)
            return f"a {name} whose class_weight is not a number a class of its own"
    return None


#: What scikit-learn's validation said of each plain value of a class's
#: parameter, by (class, name, type, value): a forest's hundred trees share
#: their settings, and validating each tree's alone was a tenth of a forest's
#: load. A value of any other type is validated every time.
_VALIDATED: dict[tuple[type, str, type, Any], str | None] = {}
_PLAIN = (int, float, str, bool, type(None))
_MOST_VALIDATED = 4096


def _scalar_dtype(value: Any) -> bool:
    """Whether a ``dtype`` parameter is None or one plain number type (a
    name, a type or a dtype of one number a value, no fields, no sub-array),
    of floats of 32 or 64 bits: numpy multiplies matrices of long doubles
    and of half-precision floats in plain loops (round 83: an encoder's or
    a function transformer's output of long doubles made the network after
    it 25 to 49 times as long, as a network's own layers of them were,
    round 78; round 84: of float16, beside layers of float16, 8 to 13
    times)."""
    if value is None:
        return True
    if not isinstance(value, (str, type, np.dtype)):
        return False
    try:
        dtype = np.dtype(value)
    except (TypeError, ValueError):
        return isinstance(value, str) and not _names_code(object, value)
    return (
        dtype.subdtype is None
        and dtype.fields is None
        and dtype.kind in "biufc"
        and dtype.itemsize > 0
        and not wider_than_float64(dtype)
        and dtype != np.float16
    )


#: What scikit-learn's meta-estimators and scorers may call by a name their
#: state holds (``getattr(estimator, name)(X)``): anything else could be
#: ``fit``, which writes to a cache folder the file names.
RESPONSE_METHODS = frozenset(
    {"predict", "predict_proba", "predict_log_proba", "decision_function"}
)


#: What scikit-learn's code may look up by a name a parameter holds
#: (``response_method="fit"`` made a threshold classifier fit its pipeline,
#: which created the cache folder the file named).
_ESTIMATOR_METHODS = RESPONSE_METHODS | {
    "fit",
    "partial_fit",
    "fit_transform",
    "fit_predict",
    "transform",
    "inverse_transform",
    "score",
    "score_samples",
    "set_params",
    "get_params",
    "set_output",
    "kneighbors",
    "apply",
    "decision_path",
}


def _names_code(kind: type, value: str) -> bool:
    """Whether a string is a name code could be looked up by: a method of
    estimators, a private or special name, or anything the class defines."""
    return value.startswith("_") or value in _ESTIMATOR_METHODS or hasattr(kind, value)


_COMPILED = ("cython_function_or_method", "fused_cython_function")


def _input_width(estimator: Any) -> str | None:
    """``n_features_in_``, when fitted, is a count: the width every check of
    compiled state measures against, and what scikit-learn holds X to (a
    float that equals it would pass there and slip past the checks here)."""
    if "n_features_in_" not in getattr(estimator, "__dict__", {}):
        return None
    value = estimator.__dict__["n_features_in_"]
    if (type(value) is not int and not isinstance(value, np.integer)) or value < 0:
        return f"a {_name(estimator)} whose input width is {str(value)[:20]}"
    return None


def _class_count(estimator: Any) -> str | None:
    """``n_classes_``, when kept beside ``classes_``, is their count per
    output: predictions are allocated by it (``np.zeros((n, n_classes_))``)."""
    namespace = getattr(estimator, "__dict__", {})
    if "n_classes_" not in namespace or "classes_" not in namespace:
        return None
    classes, counts = namespace["classes_"], namespace["n_classes_"]
    per_output = classes if isinstance(classes, list) else [classes]
    counts = list(np.ravel(np.asarray(counts, dtype=object)))
    if [_int(n) for n in counts] != [len(np.asarray(c)) for c in per_output]:
        return f"a {_name(estimator)} whose class count is not its classes'"
    return None


def _bootstrap_count(model: Any) -> str | None:
    """A forest's or a bagging model's draw count (``estimators_samples_``
    and an isolation forest's scoring draw that many row indices a member):
    what its ``max_samples`` gives on its rows: all of them (None), the
    number asked, at most its rows for an isolation forest (it caps them)
    and, for a fraction of the rows' weights, at most 8 times its rows (a
    count of 4e8 asked 3.2 GB a member from a 7 KB file)."""
    namespace = getattr(model, "__dict__", {})
    name = next(
        (n for n in ("_n_samples_bootstrap", "_max_samples") if n in namespace), None
    )
    if name is None or (name == "_n_samples_bootstrap" and namespace[name] is None):
        return None  # no bootstrap: a forest draws nothing
    if "_n_samples" not in namespace:
        return None  # an older release's: nothing draws by it here
    count, rows = _int(namespace[name]), _int(namespace["_n_samples"])
    asked = getattr(model, "max_samples", None)
    if count is None or rows is None or count < 0:
        ok = False
    elif asked is None:
        ok = count == rows
    elif isinstance(asked, str) or _name(model) == "IsolationForest":
        ok = count <= rows
    elif _int(asked) is not None:
        ok = count == asked
    else:
        ok = count <= 8 * max(rows, 1)
    if not ok:
        return f"a {_name(model)} whose draw count is not its rows'"
    # One draw a seed (``estimators_samples_``): a seed a member, or fewer
    # (a warm start keeps the new members' seeds); 400,000 seeds for 5
    # members drew until memory ran out.
    seeds, members = namespace.get("_seeds"), namespace.get("estimators_")
    if seeds is not None and not (
        isinstance(seeds, np.ndarray)
        and seeds.ndim == 1
        and isinstance(members, list)
        and seeds.size <= len(members)
    ):
        return f"a {_name(model)} with more seeds than members"
    return None


def _averaged_coefficients(model: Any) -> str | None:
    """Stochastic gradient descent's averaging state (kept with ``average``)
    is the coefficients' and intercepts' own size: ``partial_fit`` hands it
    to compiled code that writes a value a feature of the data (a (1, 1)
    ``_average_coef`` beside 200,000 features: SIGSEGV)."""
    namespace = getattr(model, "__dict__", {})
    coef = namespace.get("coef_")
    intercept = namespace.get("intercept_", namespace.get("offset_"))
    for name, like in (
        ("_standard_coef", coef),
        ("_average_coef", coef),
        ("_standard_intercept", intercept),
        ("_average_intercept", intercept),
    ):
        if name not in namespace:
            continue
        value = namespace[name]
        if (
            not isinstance(value, np.ndarray)
            or not isinstance(like, np.ndarray)
            or value.size != like.size
            or value.shape[-1:] != like.shape[-1:]
        ):
            return f"a {_name(model)} whose {name} is not of its coefficients' size"
    return None


def _optimizer_state(model: Any) -> str | None:
    """A network's optimizer keeps a value per weight and bias (Adam's
    moments, SGD's velocities), which ``partial_fit`` adds to them: each of
    their shapes in order (a (100000, 1, 1) moment beside a (1, h) layer
    broadcast ``partial_fit`` to 8 GB)."""
    namespace = getattr(model, "__dict__", {})
    optimizer = namespace.get("_optimizer")
    if optimizer is None:
        return None
    coefs, intercepts = namespace.get("coefs_"), namespace.get("intercepts_")
    if not isinstance(coefs, list) or not isinstance(intercepts, list):
        return f"a {_name(model)} whose optimizer has no weights to follow"
    shapes = [np.shape(w) for w in [*coefs, *intercepts]]
    for name in ("ms", "vs", "velocities"):
        kept = getattr(optimizer, "__dict__", {}).get(name)
        if kept is not None and (
            not isinstance(kept, list)
            or [np.shape(k) if isinstance(k, np.ndarray) else None for k in kept]
            != shapes
        ):
            return f"a {_name(model)} whose optimizer's {name} are not its weights'"
    return None


#: Arrays of training rows, or of centres that are rows or hold some, that
#: a class keeps only under some options (no group of the shapes table ties
#: them to the rows): predict and transform measure every row against each.
_ROWS_KEPT = {
    "KernelPCA": ("X_transformed_fit_", "dual_coef_"),
    "AffinityPropagation": ("cluster_centers_",),
    "MeanShift": ("cluster_centers_",),
    "Birch": ("subcluster_centers_",),
    "GaussianProcessRegressor": ("X_train_",),
    "_BinaryGaussianProcessClassifierLaplace": ("X_train_",),
}


def _rows_kept(model: Any) -> str | None:
    """No more of those rows than the envelope says the model was fitted on
    (200,000 mean-shift centres beside 100 rows: predict 1,250 times
    slower)."""
    names = _ROWS_KEPT.get(_name(model))
    rows = fitted_rows(model) if names is not None else None
    if rows is None:
        return None
    for name in names or ():
        shape = np.shape(getattr(model, "__dict__", {}).get(name, ()))
        if shape and shape[0] > rows:
            return (
                f"a {_name(model)} whose {name} holds {shape[0]} rows (its "
                f"envelope says {rows})"
            )
    return None


def _bandwidth(model: Any) -> Any:
    """A kernel density's bandwidth: the number asked, or Scott's or
    Silverman's rule over the rows and width of its tree's data."""
    asked = model.__dict__.get("bandwidth")
    if not isinstance(asked, str):
        return asked
    try:  # the tree's own state, as the structures' checks read it
        rows = int(np.shape(model.__dict__["tree_"].__getstate__()[0])[0])
    except Exception:
        return _UNSAID
    width = _width(model)
    if width is None:
        return _UNSAID
    if asked == "scott":
        return rows ** (-1 / (width + 4))
    if asked == "silverman":
        return (rows * (width + 2) / 4) ** (-1 / (width + 4))
    return _UNSAID


def _prior(name: str) -> Callable[[Any], Any]:
    def prior(model: Any) -> Any:
        asked = model.__dict__.get(name)
        count = _int(model.__dict__.get("n_components"))
        if asked is not None:
            return asked
        return _UNSAID if count is None or count < 1 else 1 / count

    return prior


def _batch_size(model: Any) -> Any:
    asked, width = model.__dict__.get("batch_size"), _width(model)
    if asked is not None:
        return asked
    return _UNSAID if width is None else 5 * width


def _target_type(model: Any) -> Any:
    asked = model.__dict__.get("target_type")
    return _UNSAID if asked == "auto" else asked


_UNSAID = object()


def _asked(name: str) -> Callable[[Any], Any]:
    """The parameter itself."""
    return lambda model: model.__dict__.get(name)


def _clipped(found: Any, made: Any) -> bool:
    """A count fit clips to the parameter, ``max(1, min(asked, rows))``."""
    count, asked = _int(found), _int(made)
    return count is not None and asked is not None and 1 <= count <= max(1, asked)


#: Fitted values fit copies from a parameter, computes from it or clips it
#: to, that the class's methods read instead of the parameter: by class,
#: each value, what fit makes of the parameters (``_UNSAID`` where the
#: data alone says) and how the fitted value stands to it.
_FROM_PARAMETERS: dict[
    str,
    tuple[tuple[str, Callable[[Any], Any], Callable[[Any, Any], bool]], ...],
] = {
    "KernelDensity": (("bandwidth_", _bandwidth, same_value),),
    "IncrementalPCA": (("batch_size_", _batch_size, same_value),),
    "LatentDirichletAllocation": (
        ("doc_topic_prior_", _prior("doc_topic_prior"), same_value),
        ("topic_word_prior_", _prior("topic_word_prior"), same_value),
    ),
    "TargetEncoder": (("target_type_", _target_type, same_value),),
    "LocalOutlierFactor": (("n_neighbors_", _asked("n_neighbors"), _clipped),),
    "QuantileTransformer": (("n_quantiles_", _asked("n_quantiles"), _clipped),),
}


def _from_parameters(model: Any) -> str | None:
    """What fit makes of a parameter is what the parameter makes (round 75:
    a kernel density's bandwidth_ 4.0 behind bandwidth=0.3 made
    score_samples 80 times as long; an incremental PCA's batch_size_ of one
    row, 47 times; round 72: a local outlier factor of 1,999 neighbours
    behind n_neighbors=20 made score_samples hold two 30,000 x 1,999
    arrays, 1.8 GB more)."""
    namespace = getattr(model, "__dict__", {})
    for name, made, relation in _FROM_PARAMETERS.get(_name(model), ()):
        if name not in namespace:
            continue
        expected = made(model)
        if expected is not _UNSAID and not relation(namespace[name], expected):
            return f"a {_name(model)} whose {name} is not what its parameters make it"
    return None


#: The arrays of labels, categories and column names fit finds in the data.
_LABEL_ARRAYS = ("classes_", "categories_", "feature_names_in_")


def _label_items(estimator: Any) -> str | None:
    """Labels, categories and column names are values fit found in the data,
    each once (``np.unique``; scikit-learn refuses a column name twice): an
    array of objects among them holds plain values (numbers, text, None),
    no value twice. A label that was an array of 20,000 numbers made a
    dummy's predict 30,000 x 20,000 (4.8 GB); one text of 32,000 characters
    held 100,000 times as categories made 100,000 column names of it."""
    namespace = getattr(estimator, "__dict__", {})
    for name in _LABEL_ARRAYS:
        value = namespace.get(name)
        for array in value if isinstance(value, list) else [value]:
            if isinstance(array, np.ndarray) and (
                array.dtype.kind == "c"
                or (array.dtype.kind == "f" and array.dtype.itemsize > 8)
            ):
                # Complex numbers, and floats wider than 64 bits (numpy hashes
                # them as the double they round to: all past its range alike).
                return f"a {_name(estimator)} whose {name} are of {array.dtype}"
            if isinstance(array, np.ndarray) and array.dtype.kind in "biufUS":
                # Round 70: a voter's 3,000 classes all 0 (each a column of
                # its probabilities) passed as codes of one class.
                if not once(array, "distinct", _distinct_values):
                    return f"a {_name(estimator)} whose {name} holds a value twice"
                continue
            if not (isinstance(array, np.ndarray) and array.dtype.hasobject):
                continue
            items = array.ravel().tolist()
            if not all(v is None or isinstance(v, _LABEL_TYPES) for v in items) or any(
                # Integers no array of data holds: beyond 64 bits they can be
                # chosen to share one hash (30,000 such categories took every
                # transform 10 s: scikit-learn looks them up in a dict).
                type(v) is int and not -(2**63) <= v < 2**64
                for v in items
            ):
                return f"a {_name(estimator)} whose {name} holds values no data has"
            try:
                distinct = len(set(items)) == len(items)
            except TypeError:  # unhashable: not a label
                distinct = False
            if not distinct:
                return f"a {_name(estimator)} whose {name} holds a value twice"
    return None


def _distinct_values(array: Any) -> bool:
    values = np.asarray(array).ravel()
    return bool(np.unique(values).size == values.size)


# No complex number, no float wider than 64 bits: their hashes can be chosen
# alike (30,000 categories of one hash made a transform quadratic).
_LABEL_TYPES: tuple[type, ...] = (
    str,
    bytes,
    int,
    float,
    np.integer,
    np.bool_,
    np.float16,
    np.float32,
    np.float64,
)


def _component_count(estimator: Any) -> str | None:
    """A count of components kept beside ``components_``: ``transform``
    allocates by it (MiniBatchNMF's ``np.full((n, _n_components))``)."""
    namespace = getattr(estimator, "__dict__", {})
    components = namespace.get("components_")
    if _columns(components) is None:
        return None
    count = getattr(components, "shape", (None,))[0]
    for name in ("n_components_", "_n_components"):
        if name in namespace and _int(namespace[name]) != count:
            return f"a {_name(estimator)} whose {name} is not its components'"
    # Asked for no number (None, a variance ratio, "mle", "auto"), a fit
    # learns at most one component a column of the data, and some classes
    # never more whatever the number (where it is given, the table ties the
    # components to it): each is an output column at transform, and a
    # factor analysis inverts their square.
    width = _width(estimator)
    asked = getattr(estimator, "n_components", 0)
    if (
        (_int(asked) is None or _name(estimator) in _NEVER_WIDER)
        and width is not None
        and count is not None
        and count > width
    ):
        return f"a {_name(estimator)} with more components than its data's width"
    return None


#: Classes that learn at most one component a column of the data whatever
#: ``n_components`` asks (more is an error, or cut to the width).
_NEVER_WIDER = frozenset(
    {
        "PCA",
        "IncrementalPCA",
        "FastICA",
        "FactorAnalysis",
        "TruncatedSVD",
        "NeighborhoodComponentsAnalysis",
    }
)


def _splits_asked(model: Any) -> int | None:
    """How many members a calibrated classifier fits: one a split of its
    ``cv`` when it ensembles (as many as its splitter says, if it says),
    else one."""
    ensemble = model.__dict__.get("ensemble", True)
    if ensemble == "auto":
        ensemble = _name(model.__dict__.get("estimator")) != "FrozenEstimator"
    if truth(ensemble) is False:
        return 1
    return splits_of(model.__dict__.get("cv"))


def splits_of(cv: Any) -> int | None:
    """How many splits a fit makes of a ``cv`` parameter, as scikit-learn's
    ``check_cv`` reads it: five for None, an int's own count, a list's
    length (the splits themselves: round 67's list of one split behind 2,000
    members), a splitter's ``n_splits`` (times its ``n_repeats``), one for
    a train fraction or ``"prefit"``; None where the data decides (leave
    one out, groups) or for a splitter of another kind.

    Examples
    --------
    >>> from sklearn.model_selection import RepeatedKFold, ShuffleSplit
    >>> splits_of(None), splits_of(3), splits_of(ShuffleSplit(20))
    (5, 3, 20)
    >>> splits_of(RepeatedKFold(n_splits=4, n_repeats=10))
    40
    """
    if cv is None:
        return 5
    if isinstance(cv, (str, float)):
        return 1
    if _int(cv) is not None:
        return _int(cv)
    if isinstance(cv, (list, tuple)) or (isinstance(cv, np.ndarray) and cv.ndim):
        return len(cv)
    state = getattr(cv, "__dict__", {})
    if not isinstance(state, dict):
        return None
    if isinstance(state.get("cv"), (list, tuple)):  # splits, wrapped
        return len(state["cv"])
    if isinstance(state.get("unique_folds"), np.ndarray):  # predefined folds
        return len(state["unique_folds"])
    arguments = state.get("cvargs")
    if "cvargs" in state:  # a repeated splitter splits by these, as its class
        if not isinstance(arguments, dict):
            return None
        splits = _int(arguments.get("n_splits", 5))  # reads them (round 198)
    else:
        splits = _int(state.get("n_splits"))
    repeats = _int(state.get("n_repeats", 1))
    if splits is None or repeats is None:
        return None
    return splits * repeats


def _estimators_asked(model: Any) -> int | None:
    """A forest's ``n_estimators`` (boosting fits fewer when it stops early),
    or one member an estimator a voting or stacking model names."""
    asked = _int(getattr(model, "n_estimators", None))
    named = getattr(model, "estimators", None)
    if asked is None and isinstance(named, (list, tuple)):
        return len(named)
    return asked


def _iterations_asked(model: Any) -> int | None:
    return _int(getattr(model, "max_iter", None))


#: Every list of members a call runs, each member at every call, and what
#: bounds its length: (the classes, None for any; the attribute; the bound
#: from the parameters; the parameter the message names; whether a model
#: without a bound is refused). Round 66 found 7,000 boosting iterations
#: behind ``max_iter=10`` (predict 452 times as long) and 2,000 calibrated
#: members behind ``cv=5`` (predict_proba 200 times); round 67 a list of
#: one split behind 2,000 members.
_MEMBER_LISTS: tuple[
    tuple[frozenset[str] | None, str, Callable[[Any], int | None], str, bool], ...
] = (
    (None, "estimators_", _estimators_asked, "parameters", False),
    (frozenset(HIST_BOOSTING), "_predictors", _iterations_asked, "max_iter", True),
    (
        frozenset({"CalibratedClassifierCV"}),
        "calibrated_classifiers_",
        _splits_asked,
        "cv",
        False,
    ),
)


#: Models whose fit holds its ``estimators_`` in other than a list: gradient
#: boosting a grid of trees (a row an iteration), one-vs-one a tuple.
_HELD_AS: dict[str, type] = {
    "GradientBoostingClassifier": np.ndarray,
    "GradientBoostingRegressor": np.ndarray,
    "OneVsOneClassifier": tuple,
}


def _members_asked(model: Any) -> str | None:
    """A model holds at most the members its parameters ask for: each is
    run at every call, so their count is the parameters', not the file's
    (``_MEMBER_LISTS``)."""
    namespace = model.__dict__
    kind = _name(model)
    for classes, attribute, bound, what, required in _MEMBER_LISTS:
        if attribute not in namespace or (classes is not None and kind not in classes):
            continue
        found = namespace[attribute]
        if classes is None and not isinstance(found, (list, tuple, np.ndarray)):
            continue  # another class's own use of the name
        if classes is None and type(found) is not _HELD_AS.get(kind, list):
            # What fit makes (round 70: a tuple or an array of 3,000 members
            # escaped the counts that read lists).
            return f"a {kind} whose members are not a list"
        most = bound(model)
        if not isinstance(found, list if classes else (list, tuple, np.ndarray)) or (
            required and most is None
        ):
            return f"a {kind} whose members are not a list its parameters bound"
        if most is not None and len(found) > most:
            verb = "ask" if what == "parameters" else "asks"
            return f"a {kind} with {len(found)} members (its {what} {verb} for {most})"
    return None


#: The most feature names a count may make without an array that wide:
#: ``get_feature_names_out`` (and every transform with pandas output) makes
#: a name for each of ``n_features_in_`` or ``_n_features_out``.
MAX_NAMES = 1 << 20

_NAME_COUNTS = ("n_features_in_", "_n_features_out", "n_components_")


def _name_counts(estimator: Any) -> str | None:
    """Counts of input and output features that names are made by, and an
    embedding's width: within what the fitted arrays hold (``n_components``
    sized LocallyLinearEmbedding's transform, ``_n_features_out=10**8`` made
    100 million names: 1.7 GB from a few bytes)."""
    namespace = getattr(estimator, "__dict__", {})
    if not any(name in namespace for name in (*_NAME_COUNTS, "embedding_")):
        return None
    widths = None
    for name in _NAME_COUNTS:
        count = _int(namespace.get(name))
        if count is None or count <= MAX_NAMES:
            continue
        if widths is None:
            widths = _extents(namespace.values())
        if count not in widths:
            return (
                f"a {_name(estimator)} whose {name} is {count}, more than any of "
                f"its arrays holds (at most {MAX_NAMES} without one)"
            )
    shape: tuple[int, ...] = getattr(namespace.get("embedding_"), "shape", ())
    components = _int(namespace.get("n_components"))
    if len(shape) == 2 and components is not None and components != shape[1]:
        return f"a {_name(estimator)} whose n_components is not its embedding's"
    return None


def _extents(values: Any) -> set[int]:
    """Every dimension of the arrays that hold data, and every length of the
    lists, among ``values``: what the file paid for (an empty or sparse
    matrix of a billion columns costs it a hundred bytes)."""
    found: set[int] = set()
    for value in values:
        if isinstance(value, np.ndarray) and value.size:
            found.update(value.shape)
        elif isinstance(value, (list, tuple)):
            found.add(len(value))
    return found


def _linear_classifier(estimator: Any) -> str | None:
    """A linear classifier's decision has one column per row of ``coef_``:
    one for two classes, else one per class (two for two labels of a
    multi-label ridge classifier). Meta-estimators index by it
    (one-vs-rest takes the positions of positive decisions as rows)."""
    from sklearn.linear_model._base import LinearClassifierMixin

    namespace = getattr(estimator, "__dict__", {})
    if not isinstance(estimator, LinearClassifierMixin) or "coef_" not in namespace:
        return None
    classes = namespace.get("classes_")
    if classes is None:
        return None  # predict reads classes_ first, and fails
    k = len(np.asarray(classes))
    rows = {1} if k == 2 else {k}
    binarizer = namespace.get("_label_binarizer")
    if str(getattr(binarizer, "y_type_", "")).startswith("multilabel"):
        rows.add(k)
    shape = tuple(getattr(namespace["coef_"], "shape", ()))  # sparse after sparsify()
    if len(shape) == 1:  # a binary ridge classifier's single row
        shape = (1, *shape)
    if len(shape) != 2 or shape[0] not in rows or shape[1] != _width(estimator):
        return f"a {_name(estimator)} whose coefficients are not its classes'"
    intercept = np.asarray(namespace.get("intercept_", 0.0))
    if intercept.ndim > 1 or intercept.size not in (1, shape[0]):
        return f"a {_name(estimator)} whose intercept is not its coefficients'"
    return None


#: Fitted attributes scikit-learn itself sets to a private function, and the
#: functions it sets them to (by the function's full name).
_FITTED_FUNCTIONS = {
    ("BisectingKMeans", "_kmeans_single"): frozenset(
        {
            "sklearn.cluster._kmeans._kmeans_single_lloyd",
            "sklearn.cluster._kmeans._kmeans_single_elkan",
        }
    ),
}


#: What ``set_output`` may have stored: the container ``transform`` returns
#: (scikit-learn's registered adapters; "pandas" imports pandas when used).
_OUTPUT_CONTAINERS = frozenset({"default", "pandas", "polars"})


def _output_config(estimator: Any) -> str | None:
    config = getattr(estimator, "__dict__", {}).get("_sklearn_output_config")
    if config is None:
        return None
    if not (
        isinstance(config, dict)
        and set(config) <= {"transform"}
        and all(value in _OUTPUT_CONTAINERS for value in config.values())
    ):
        return f"a {_name(estimator)} whose output container is not one set_output sets"
    return None


def _fitted_functions(estimator: Any) -> str | None:
    """Functions held in fitted state (not parameters) are held like
    parameters (public, not compiled), but for the few scikit-learn sets
    itself, which must be what it sets them to: whatever calls them passes
    the data."""
    namespace = getattr(estimator, "__dict__", {})
    kind: type = type(estimator)
    params = param_names(kind)
    for name, value in namespace.items():
        if name in params or not (
            isinstance(value, (types.FunctionType, types.BuiltinFunctionType))
            or hasattr(value, "keywords")  # functools.partial
            or type(value).__name__ in _COMPILED
        ):
            continue
        known = _FITTED_FUNCTIONS.get((type(estimator).__name__, name), ())
        module = getattr(value, "__module__", "")
        if f"{module}.{getattr(value, '__qualname__', '')}" in known:
            continue
        problem = _callable_parameter(value)
        if problem is not None:
            return f"a {_name(estimator)} whose {name} is {problem}"
    return None


def _callable_parameter(value: Any) -> str | None:
    """Why a callable hyper-parameter may not be called by a safe load."""
    seen = 0
    while hasattr(value, "func") and hasattr(value, "keywords") and seen < 8:
        problem = _arguments(value.args, value.keywords)  # functools.partial
        if problem is not None:
            return f"a partial function given {problem}"
        value = value.func
        seen += 1
    if isinstance(value, type):
        # dtype=np.float64, dtype=float: scalar types. Any other class given
        # as a parameter is called with the data by whatever calls it
        # (FunctionTransformer(func=numpy.ndarray) allocates the data's values).
        if issubclass(value, (np.generic, int, float, complex, str, bytes)) or (
            value is object
        ):
            return None
        return f"the class {value.__module__}.{value.__qualname__}"[:100]
    if not callable(value) or isinstance(value, np.ufunc):
        return None
    if hasattr(value, "get_params"):
        return None  # an estimator: checked as an object of its own
    qualname = str(getattr(value, "__qualname__", "") or getattr(value, "__name__", ""))
    module = str(getattr(value, "__module__", "") or "")
    label = f"{module}.{qualname}" if module else qualname
    if type(value).__name__ in _COMPILED:
        return f"the compiled function {label[:80]}"
    if isinstance(value, types.BuiltinFunctionType) and module.split(".")[0] in (
        "sklearn",
        "scipy",
    ):
        return f"the compiled function {label[:80]}"
    if qualname.rsplit(".", 1)[-1].startswith("_"):
        return f"the private function {label[:80]}, not for calling with any data"
    return None


#: Parameters that hold keyword arguments for a function another parameter
#: names (``FunctionTransformer``'s, a kernel's or a metric's).
_KEYWORD_PARAMETERS = ("kw_args", "inv_kw_args", "kernel_params", "metric_params")
#: The function each of those is given to, where a parameter names it.
_KEYWORDS_OF = {
    "kw_args": "func",
    "inv_kw_args": "inverse_func",
    "kernel_params": "kernel",
    "metric_params": "metric",
}


def _where_without_out(function: Any) -> str | None:
    """Why ``where=`` may not be given to ``function``: a ufunc (and
    ``numpy.clip``, which hands its keywords to one) leaves the output
    where the mask is false as the memory it was allocated over, with no
    ``out=`` (which is refused): values of other objects, subnormal numbers
    that slow every step after it, different at each call (round 185). A
    reduction's ``where=`` (``numpy.mean``) only leaves values out."""
    if isinstance(function, np.ufunc) or function is np.clip:
        return "a where= argument, which leaves the output unset where it is false"
    return None


#: The widest axis an array given as an argument may have beyond the data's
#: width (a short list of options, quantiles, axes).
ARGUMENT_AXIS = 8


def _widest_argument(width: int | None) -> int | None:
    return None if width is None else max(width, ARGUMENT_AXIS)


def _arguments(
    args: Any, keywords: Any, widest: int | None = None, function: Any = None
) -> str | None:
    """Why arguments the file gives a function (a partial's, a transformer's
    ``kw_args``, a scorer's or a metric's keywords) may not be passed to it,
    ``function`` when known:
    ``out=`` (numpy writes the result into that array: one the checks passed,
    rewritten at predict, crashed the next step's tree query), a ufunc's
    ``signature=``, a ``dtype`` that is not one plain number type, a value
    numpy reads as a dtype of many values (``"(60000000,)f8"`` multiplies
    the data by that), a function a parameter could not be, and, where
    ``widest`` is given, an array or list with an axis longer than that
    (numpy broadcasts it against the data's rows), a ``where=`` the function
    leaves its output unset by (:func:`_where_without_out`). Nested
    containers are read 4 levels deep."""
    if not isinstance(args, (list, tuple)) or not isinstance(keywords, Mapping):
        return "arguments that are not a tuple and a mapping"
    if "out" in keywords:
        return "an out= argument, an array it would write into"
    if keywords.keys() & {"signature", "sig"}:
        # The loop a ufunc computes with, by its types: "g->g" made its
        # output long doubles past the dtype's check (round 84: the network
        # after it 9 to 15 times as long). No model needs one.
        return "a signature= argument, the types a function computes in"
    if keywords.get("n_jobs") not in (None, 1, -1):
        # Processes the user's own calls would start: one, or the machine's.
        return f"n_jobs={str(keywords['n_jobs'])[:20]} (1 or -1 only)"
    dtype = keywords.get("dtype")
    if not (
        _scalar_dtype(dtype)
        # check_array's list of dtypes to choose from
        or (
            isinstance(dtype, list)
            and len(dtype) <= 16
            and all(_scalar_dtype(d) for d in dtype)
        )
    ):
        return f"the dtype {str(dtype)[:40]}"
    stack = [(value, 0) for value in (*args, *keywords.values())]
    # Containers by id: the deepest they were read at and what they hold
    # still to read. Met again no deeper, nothing is read again; deeper,
    # only the depth of what they hold is. Lists held over and over, 4 deep,
    # were read path by path (round 183: a scorer's keywords of 100 lists of
    # one list of 100..., a load past 60 s from 7.7 KB), then at each depth
    # (round 185).
    opened: dict[int, tuple[int, list[Any]]] = {}
    read: dict[Any, Any] = {}  # other values: texts by value, others by id
    while stack:
        value, depth = stack.pop()
        if depth > 4:
            return "arguments nested more than 4 deep"
        if isinstance(value, (list, tuple, Mapping)):
            found = opened.get(id(value))
            if found is not None:
                if depth <= found[0]:
                    continue
                if depth >= 4 and value and isinstance(value, (list, tuple)):
                    return "arguments nested more than 4 deep"
                opened[id(value)] = (depth, found[1])
                stack.extend((item, depth + 1) for item in found[1])
                continue
        else:
            key = value if type(value) is str else id(value)
            if key in read:
                continue
            read[key] = value  # kept alive: an id stays its object's
        if widest is not None:
            shape = getattr(value, "shape", None)
            axes: list[Any] = (
                [len(value)]
                if isinstance(value, (list, tuple))
                else list(shape)
                if isinstance(shape, tuple)
                and (
                    isinstance(value, np.ndarray)
                    or (type(value).__module__ or "").startswith("scipy.sparse.")
                )
                else []
            )
            if any(type(axis) is int and axis > widest for axis in axes):
                return (
                    f"an array of {max(axes)} values along an axis (at most {widest})"
                )
        if isinstance(value, (list, tuple)):
            if value and depth >= 4:
                return "arguments nested more than 4 deep"
            items = _unread(value, read)
            opened[id(value)] = (depth, items)
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(value, Mapping):
            if "out" in value:
                return "an out= argument, an array it would write into"
            items = _unread(value.values(), read)
            opened[id(value)] = (depth, items)
            stack.extend((item, depth + 1) for item in items)
        elif type(value) in _PLAIN_ARGUMENTS:
            continue
        elif isinstance(value, (str, np.dtype)):
            # Each text parsed once (round 184: one text under 10**6 items
            # of a list, 2 bytes each, parsed at each, a load past 60 s).
            if _wide_dtype(value):
                return f"the dtype {str(value)[:40]}, many values an item"
        elif isinstance(value, type) or callable(value):
            problem = _callable_parameter(value)
            if problem is not None:
                return problem
    return _where_without_out(function) if "where" in keywords else None


#: Argument values that hold nothing and that no check reads.
_PLAIN_ARGUMENTS = frozenset({int, float, bool, type(None)})
_PLAIN_OR_TEXT = _PLAIN_ARGUMENTS | {str}


def _unread(items: Collection[Any], read: Mapping[Any, Any]) -> list[Any]:
    """The items of a container :func:`_arguments` has still to read: not
    plain numbers, each text once by its value and every other object once
    by its identity (not in ``read``). Sorted by type in C before any item
    is read in Python: 10**6 references to one text, 2 bytes of stream
    each, took 0.7 us an item read one by one (round 184)."""
    kinds = set(map(type, items))
    if kinds <= _PLAIN_ARGUMENTS:
        return []
    if kinds <= _PLAIN_OR_TEXT:  # hashable all: the distinct texts
        return [item for item in set(items) if type(item) is str and item not in read]
    # Every other object once, told apart by identity in C (10**6 references
    # to one slice took 2.3 us each read one by one, round 185).
    distinct = dict(zip(map(id, items), items, strict=True))
    return [
        item
        for key, item in distinct.items()
        if type(item) not in _PLAIN_ARGUMENTS
        and (item if type(item) is str else key) not in read
    ]


def _wide_dtype(value: Any) -> bool:
    """Whether numpy reads ``value`` as a dtype of sub-arrays, fields, items
    of no bytes or items wider than 64 bytes."""
    try:
        dtype = np.dtype(value)
    except (TypeError, ValueError, SyntaxError):
        return False
    return bool(
        dtype.subdtype is not None
        or dtype.fields is not None
        or not 0 < dtype.itemsize <= 64
    )


#: The longest string scikit-learn repeats in each output column's name or
#: for each value of each row: a step's, transformer's or member's name, a
#: feature-name format's own text, a DictVectorizer's separator.
MAX_NAME = 256

#: Parameters (and fitted lists) of ``(name, estimator, ...)`` entries.
_NAMED_LISTS = ("steps", "transformers", "transformer_list", "estimators")


def _own_text(name_format: str) -> int:
    """The characters a name format adds of its own, outside its fields (all
    of it when it is not a format)."""
    try:
        return sum(len(text) for text, _, _, _ in string.Formatter().parse(name_format))
    except ValueError:
        return len(name_format)


def _repeated_strings(model: Any) -> str | None:
    """Names and separators no longer than ``MAX_NAME``: scikit-learn
    repeats a member's name in each output column's name it makes (a
    20,000-character transformer name over 3,000 columns) and a
    DictVectorizer's separator in the key of each text value of each row
    (a 1 MiB separator: 450 times the time of "=")."""
    namespace = getattr(model, "__dict__", {})
    separator = namespace.get("separator")
    if isinstance(separator, str) and len(separator) > MAX_NAME:
        return f"a {_name(model)} whose separator is longer than {MAX_NAME} characters"
    for attr in (*_NAMED_LISTS, "transformers_"):
        entries = namespace.get(attr)
        if isinstance(entries, list) and any(
            isinstance(e, tuple)
            and e
            and isinstance(e[0], str)
            and len(e[0]) > MAX_NAME
            for e in entries
        ):
            return (
                f"a {_name(model)} whose {attr} names are longer than "
                f"{MAX_NAME} characters"
            )
    if _name_prefix(model) > MAX_NAME:
        return (
            f"a {_name(model)} whose output column names carry more than "
            f"{MAX_NAME} characters of its members' names"
        )
    return None


def _name_prefix(model: Any, depth: int = 0) -> int:
    """The most characters an output column's name carries before its input
    column's below ``model``: a feature union's or column transformer's
    member name and separator (or name format) at each level, summed over a
    pipeline's steps (each names the next one's input). Six unions nested,
    each name 256 characters, over 2**20 columns made names of 1.6 billion
    characters."""
    namespace = getattr(model, "__dict__", None)
    if not isinstance(namespace, dict):
        return 0
    if depth > 100:  # deeper than any fit nests: too long to say
        return MAX_NAME + 1
    entries = namespace.get("steps")
    if isinstance(entries, list):
        return sum(
            _name_prefix(e[1], depth + 1)
            for e in entries
            if isinstance(e, tuple) and len(e) >= 2
        )
    entries = namespace.get("transformers_", namespace.get("transformer_list"))
    if not isinstance(entries, list):
        return 0
    verbose = namespace.get("verbose_feature_names_out", True)
    if isinstance(verbose, str):  # a format: its own text, the name if it has it
        own, with_name = _own_text(verbose), "{transformer_name}" in verbose
    else:
        own, with_name = (2, True) if verbose else (0, False)  # "name__"
    longest = 0
    for e in entries:
        if isinstance(e, tuple) and len(e) >= 2 and isinstance(e[0], str):
            named = own + (len(e[0]) if with_name else 0)
            longest = max(longest, named + _name_prefix(e[1], depth + 1))
    return longest


def _sparse(matrix: Any) -> str | None:
    """A compressed sparse matrix: indices inside its shape, pointers in order
    (what scipy's ``check_format(full_check=True)`` asks, without its
    conversions: it makes a matrix's arrays native and of one index type in
    place, a copy per matrix when many share them); coordinates inside it."""
    shape = getattr(matrix, "shape", None)
    if not (
        isinstance(shape, tuple)
        and len(shape) == 2
        and all(_int(n) is not None and n >= 0 for n in shape)
    ):
        return "a sparse matrix without a shape"
    if matrix.format == "coo":
        for index, bound in zip(matrix.coords, shape, strict=False):
            if type(index) not in (np.ndarray, np.memmap) or not _inside(index, bound):
                return "a sparse matrix whose indices are not its shape's"
            if len(index) > shape[0] * shape[1]:
                return _MORE_ENTRIES
        return None
    if matrix.format not in ("csr", "csc", "bsr"):
        return None
    block = (1, 1) if matrix.format != "bsr" else getattr(matrix, "blocksize", None)
    if matrix.format == "csc":
        shape = shape[::-1]
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    if not (
        isinstance(block, tuple)
        and len(block) == 2
        and all(_int(n) is not None and n > 0 for n in block)
        and shape[0] % block[0] == 0
        and shape[1] % block[1] == 0
        and all(type(a) in (np.ndarray, np.memmap) for a in (indptr, indices, data))
    ):
        return "a sparse matrix whose parts are not arrays of its shape"
    rows, columns = shape[0] // block[0], shape[1] // block[1]
    if not (
        indptr.ndim == indices.ndim == 1
        and indptr.dtype == indices.dtype
        and indptr.dtype in (np.dtype(np.int32), np.dtype(np.int64))
        and len(indptr) == rows + 1
        and data.shape[:1] == indices.shape
        and data.shape[1:] == (() if matrix.format != "bsr" else block)
        and data.dtype.kind in "biufc"
    ):
        return "a sparse matrix whose index arrays are not of its shape"
    first, last = int(indptr[0]), int(indptr[-1])
    if first != 0 or last > len(indices) or not _nondecreasing(indptr):
        return "a sparse matrix whose row pointers are not in order"
    if len(indices) > rows * columns:
        return _MORE_ENTRIES
    if not _inside(indices, columns):
        return "a sparse matrix whose indices are not its shape's"
    return None


# Every product with a matrix costs its stored entries: a 5 x 10 matrix
# holding one cell a million times made transform 975 times as long (round
# 68). Fit stores each cell at most once.
_MORE_ENTRIES = "a sparse matrix storing more entries than its shape has cells"


def _nondecreasing(array: np.ndarray) -> bool:
    return once(array, "nondecreasing", _nondecreasing_values)


def _nondecreasing_values(array: Any) -> bool:
    values = np.asarray(array)
    return bool(np.all(values[1:] >= values[:-1]))


_MT_KEY = 624


def _bit_generator_state(state: Any) -> str | None:
    if not isinstance(state, Mapping):
        return "a random generator with an unreadable state"
    inner: Any = state.get("state")
    if state.get("bit_generator") == "MT19937":
        key = np.asarray(inner["key"])
        pos = _int(inner["pos"])
        if key.shape != (_MT_KEY,) or pos is None or not 0 <= pos <= _MT_KEY:
            return "a random generator whose position is outside its key"
    if "buffer_pos" in state:  # Philox
        pos = _int(state["buffer_pos"])
        buffer = np.asarray(state.get("buffer"))
        if pos is None or buffer.ndim != 1 or not 0 <= pos <= len(buffer):
            return "a random generator whose position is outside its buffer"
    return None


#: What a ``SeedSequence`` holds when numpy makes one from a seed: an int
#: (128 bits from the system) or a few, a spawn key one word per nested
#: ``spawn``, a pool of ``pool_size`` words (4 unless asked). A copy of a
#: generator copies them all: 10**6 words of entropy under one generator
#: that 600 templates of a vote shared made a clone of the model copy 600
#: of them, 35 times an honest file's time (round 179).
MAX_SEED_WORDS = 64
MAX_SEED_BITS = 4096
MAX_POOL_SIZE = 64
#: The most children a seed may have spawned: a billion.
MAX_SPAWNED = 1 << 30


def _seed_words(words: Any, what: str) -> str | None:
    if words is None or isinstance(words, (int, np.integer)):
        words = [words]  # one int (numpy's from a numpy seed), or None
    elif type(words) in (list, tuple):
        if len(words) > MAX_SEED_WORDS:
            return f"a random seed of {len(words):,} {what} words"
    elif type(words) is np.ndarray and words.dtype.kind in "iu":
        if words.size > MAX_SEED_WORDS:
            return f"a random seed of {words.size:,} {what} words"
        return None
    else:
        return f"a random seed whose {what} is a {type(words).__name__}"
    for word in words:
        if word is None and what == "entropy":
            continue
        if not isinstance(word, (int, np.integer)) or isinstance(word, bool):
            return f"a random seed whose {what} holds a {type(word).__name__}"
        if int(word) < 0 or int(word).bit_length() > MAX_SEED_BITS:
            return f"a random seed whose {what} holds a number of {MAX_SEED_BITS}+ bits"
    return None


def _seed_sequence(sequence: Any) -> str | None:
    """numpy's ``SeedSequence``: what a seed makes (:data:`MAX_SEED_WORDS`)."""
    if sequence is None or type(sequence).__name__ == "SeedlessSeedSequence":
        return None
    if not isinstance(sequence, np.random.SeedSequence):
        return f"a random generator seeded by a {type(sequence).__name__}"
    size = _int(sequence.pool_size)
    pool = sequence.pool
    if (
        size is None
        or not 4 <= size <= MAX_POOL_SIZE
        or type(pool) is not np.ndarray
        or pool.dtype != np.uint32
        or pool.shape != (size,)
    ):
        # Words, never objects: the walk does not open a generator, and a
        # copy copies all its seed holds (one array of 4 MiB in an object
        # pool, copied at each of 3,500 references by clone, round 180).
        return "a random seed whose pool is not one numpy makes"
    spawned = _int(sequence.n_children_spawned)
    if spawned is None or not 0 <= spawned <= MAX_SPAWNED:
        # numpy counts children in 32 bits: near 2**32, spawn() never ends
        # (round 181).
        return f"a random seed that spawned {spawned} children"
    return _seed_words(sequence.entropy, "entropy") or _seed_words(
        sequence.spawn_key, "spawn key"
    )


def _bit_generator(bits: Any) -> str | None:
    """A numpy bit generator: its position, and its seed."""
    return _bit_generator_state(bits.state) or _seed_sequence(
        getattr(bits, "_seed_seq", None)
    )


def _random_state(random_state: Any) -> str | None:
    """numpy's legacy ``RandomState``: its bit generator's position and seed
    (``get_state(legacy=False)`` is that generator's state)."""
    return _bit_generator(random_state._bit_generator)


def _generator(generator: Any) -> str | None:
    return _bit_generator(generator.bit_generator)


def _bspline(spline: Any) -> str | None:
    """scipy's ``BSpline``, restored without its constructor's checks."""
    t, c, k = np.asarray(spline.t), np.asarray(spline.c), _int(spline.k)
    if k is None or k < 0 or t.ndim != 1 or c.ndim < 1 or t.dtype.kind != "f":
        return "a B-spline whose knots or degree are not a spline's"
    n = len(t) - k - 1
    if n < k + 1 or c.shape[0] < n:
        return "a B-spline with fewer coefficients than its knots need"
    # keyed by the array the spline holds (asarray of a subclass is a new view)
    if not once(spline.t, "knots", _knots_in_order):
        return "a B-spline whose knots are not in order"
    axis = _int(getattr(spline, "axis", 0))
    if axis is None or not 0 <= axis < max(c.ndim, 1):
        return "a B-spline whose axis is not its coefficients'"
    return None


def _knots_in_order(knots: Any) -> bool:
    return bool(np.isfinite(knots).all()) and _nondecreasing_values(knots)


def _frozen_holds_one(model: Any) -> str | None:
    """A frozen estimator forwards every attribute it lacks to the object it
    holds (``__getattr__``): it holds one estimator and nothing else, so all
    a method or a name in another object's state reaches through it is that
    estimator's (holding an array, a stacking model's method name
    ``tofile`` wrote a file)."""
    from sklearn.base import BaseEstimator

    namespace = model.__dict__
    held = namespace.get("estimator")
    if (
        not set(namespace) <= _FROZEN_STATE
        or not isinstance(held, BaseEstimator)
        or held is model
    ):
        return f"a {_name(model)} that holds something other than one estimator"
    return None


#: What a frozen estimator's state may hold: its estimator, and the metadata
#: requests ``set_*_request`` record.
_FROZEN_STATE = frozenset({"estimator", "_metadata_request"})


def check_by_type(obj: Any) -> tuple[Check, ...]:
    """The checks that apply to ``obj`` by its type (not its class name)."""
    kind: type = type(obj)
    if (kind.__module__ or "").startswith("scipy.sparse."):
        return (_sparse,) if hasattr(obj, "format") else ()
    return _checks_of_type(kind)


@functools.lru_cache(maxsize=1024)
def _checks_of_type(kind: type) -> tuple[Check, ...]:
    """:func:`check_by_type` of every type but scipy's sparse ones, once a
    type (a boosting model holds 600 objects of three)."""
    checks: list[Check] = []
    module = kind.__module__ or ""
    if module.startswith("sklearn."):
        from sklearn.base import BaseEstimator

        # Kernels are all defined in one module: asking issubclass would
        # import it (5 ms) on the first load of any model.
        if module == "sklearn.gaussian_process.kernels":
            checks.append(_kernel)
        if module == "sklearn.frozen._frozen":
            # Before any check that asks it an attribute it would forward.
            checks.append(_frozen_holds_one)
        if not issubclass(kind, BaseEstimator):
            # Helper objects hold estimators too (a calibrated classifier's
            # members): each only where a check holds it.
            checks.append(accounted_members)
        else:
            checks.append(_parameters)
            checks.append(_input_width)
            checks.append(_class_count)
            checks.append(_label_items)
            checks.append(_bootstrap_count)
            checks.append(_averaged_coefficients)
            checks.append(_optimizer_state)
            checks.append(_rows_kept)
            checks.append(_from_parameters)
            checks.append(_component_count)
            checks.append(_members_asked)
            checks.append(_linear_classifier)
            checks.append(_fitted_functions)
            checks.append(_output_config)
            checks.append(_array_ranks)
            checks.append(_covariance)
            checks.append(_per_class_arrays)
            checks.append(fitted_members)
            checks.append(built_parts)
            checks.append(accounted_members)
            checks.append(_member_widths)
            checks.append(_repeated_strings)
    elif issubclass(kind, np.random.RandomState):
        checks.append(_random_state)
    elif issubclass(kind, np.random.Generator):
        checks.append(_generator)
    elif issubclass(kind, np.random.BitGenerator):
        checks.append(_bit_generator)
    elif issubclass(kind, np.random.SeedSequence):
        checks.append(_seed_sequence)
    elif module.startswith("scipy.interpolate.") and kind.__name__ == "BSpline":
        checks.append(_bspline)
    return tuple(checks)


#: Models whose members each predict one output: what fit gives them is the
#: model's own one-column target (or, for an imputer, one column). A bagging
#: regressor's members predict the model's target, of any width, alike.
_ONE_OUTPUT_MEMBERS = frozenset(
    {
        "AdaBoostRegressor",
        "VotingRegressor",
        "StackingRegressor",
        "MultiOutputRegressor",
        "RegressorChain",
        "IterativeImputer",
    }
)


def _member_widths(model: Any) -> str | None:
    """A model's fitted members claim no more classes than it holds, nor,
    where each predicts one output, more outputs: a member's predict writes
    a value a class (or output) a row before the model reads any, and
    members are fitted on the model's own labels (bagging's, boosting's,
    voting's and stacking's members, output codes', self-training's model;
    a multi-output model's members on one output each). A voter, bagged or
    boosted tree, stacked model or code member whose one leaf claimed
    40,000 classes made a 646 KB file ask 9 GiB of 30,000 rows."""
    namespace = getattr(model, "__dict__", {})
    members: list[Any] = []
    for name in ("estimators_", "estimator_", "final_estimator_", "regressor_"):
        value = namespace.get(name)
        if isinstance(value, (list, tuple)):
            members.extend(value)
        elif isinstance(value, np.ndarray) and value.dtype.hasobject:
            members.extend(value.ravel().tolist())  # boosting's grid of trees
        elif name != "estimators_" and value is not None:
            members.append(value)
    calibrated = namespace.get("calibrated_classifiers_")
    if isinstance(calibrated, list):
        members.extend(getattr(c, "estimator", None) for c in calibrated)
    sequence = namespace.get("imputation_sequence_")
    if isinstance(sequence, list):
        # Each round's model a clone of the estimator (a round's regressor
        # swapped for a classifier of 40,000 classes asked 9 GiB).
        given = namespace.get("estimator")
        kind = (
            DEFAULT_MEMBERS[("IterativeImputer", "estimator")]
            if given is None
            else type(given).__name__
        )
        rounds = [getattr(t, "estimator", None) for t in sequence]
        if any(type(r).__name__ != kind for r in rounds):
            return f"a {_name(model)} whose rounds' models are not its estimator"
        members.extend(rounds)
    if not members:
        return None
    classes = namespace.get("classes_")
    most = _widest(classes)
    if isinstance(classes, list):
        width: int | None = len(classes)  # a forest's members hold every output
    elif most is not None or _name(model) in _ONE_OUTPUT_MEMBERS:
        width = 1
    else:
        width = _target_width(model)
    alike: set[int] = set()
    for member in members:
        held = getattr(member, "__dict__", None)
        if not isinstance(held, dict):
            continue
        own = held.get("classes_")
        if own is None and ("steps" in held or "best_estimator_" in held):
            # A pipeline's or a search's are its last step's, its best's.
            try:
                own = getattr(member, "classes_", None)
            except Exception:  # no classes to say
                own = None
        if most is not None and own is not None:
            count = _widest(own)
            if (
                count is None
                or count > most
                # no more outputs than the model's (one, or one a member)
                or (
                    isinstance(own, list)
                    and not (isinstance(classes, list) and len(own) <= len(classes))
                )
            ):
                return f"a {_name(model)} whose members claim classes it does not hold"
        outputs = _outputs_of(member)
        if outputs == TOO_DEEP:
            return f"a {_name(model)} whose member is nested past any fit"
        if width is not None and outputs is not None and outputs > width:
            return f"a {_name(model)} whose members claim outputs it does not have"
        if outputs is not None and _name(model) in _ALIKE_MEMBERS:
            alike.add(outputs)
    if len(alike) > 1:
        return f"a {_name(model)} whose members predict different outputs"
    return None


#: Models whose members are each fit on the model's whole target, so
#: predict as many outputs as one another (one bagged member of 40,000
#: outputs beside one of one asked 9 GiB of 30,000 rows).
_ALIKE_MEMBERS = frozenset({"BaggingRegressor"})


def _outputs_of(member: Any, depth: int = 0) -> int | None:
    """How many outputs a fitted member predicts, where its state says: a
    tree's targets, a linear model's coefficient rows (a classifier's are
    its classes', held above), a network's last layer, a neighbours model's
    label columns, through pipelines; None when it has none to say. A
    bagged linear member of 40,000 coefficient rows asked 9 GiB."""
    held = getattr(member, "__dict__", None)
    if depth > 8:
        return TOO_DEEP  # refused, as no fit nests so deep (round 70)
    if not isinstance(held, dict):
        return None
    if _is_pipeline(member):
        return _outputs_of(_final_step(member), depth + 1)
    if "classes_" in held:
        return None  # a classifier: its classes are held to the model's
    if "tree_" in held:
        return _int(held.get("n_outputs_"))
    kind = type(member).__name__
    raw = held.get("estimators_")
    members: list[Any] = (
        raw.ravel().tolist()
        if isinstance(raw, np.ndarray)
        else list(raw)
        if isinstance(raw, (list, tuple))
        else []
    )
    if kind in _OUTPUT_A_MEMBER:
        return len(members) if "estimators_" in held else None
    for name in ("regressor_", "best_estimator_", "final_estimator_"):
        if name in held:
            return _outputs_of(held[name], depth + 1)
    if members:
        # Voting, bagging, boosting, forests: each member predicts every
        # output (their ``estimator_`` is an unfitted template: round 70's
        # forest of 1,500 outputs behind a target regressor of one).
        known = [_outputs_of(m, depth + 1) for m in members]
        if TOO_DEEP in known:
            return TOO_DEEP
        own = _int(held.get("n_outputs_"))
        return max((n for n in [*known, own] if n is not None), default=None)
    if "estimator_" in held:
        return _outputs_of(held["estimator_"], depth + 1)
    table = held.get(_OUTPUT_ARRAYS.get(kind, ""))
    if isinstance(table, np.ndarray):
        return table.shape[1] if table.ndim == 2 else 1
    coef = held.get("coef_")
    if isinstance(coef, np.ndarray):
        return coef.shape[0] if coef.ndim == 2 else 1
    layers = held.get("coefs_")
    if isinstance(layers, list) and layers and isinstance(layers[-1], np.ndarray):
        return int(layers[-1].shape[-1])
    labels = held.get("_y")
    if isinstance(labels, np.ndarray):
        return labels.shape[1] if labels.ndim == 2 else 1
    return None


#: What :func:`_outputs_of` says of a member nested past 8 levels.
TOO_DEEP = -1

#: Multi-output models: one member an output (round 68: a target regressor
#: of one target over a multi-output regressor of 3,000 members predicted
#: 385 times as long; a chain of 1,000 members past 60 s).
_OUTPUT_A_MEMBER = frozenset(
    {"MultiOutputRegressor", "MultiOutputClassifier", "RegressorChain"}
)

#: Regressors whose fitted table has a column an output (one dimension: one
#: output): a kernel ridge's dual coefficients, a Gaussian process's
#: weights, a dummy's constant.
_OUTPUT_ARRAYS = {
    "KernelRidge": "dual_coef_",
    "GaussianProcessRegressor": "alpha_",
    "DummyRegressor": "constant_",
}


def _is_pipeline(model: Any) -> bool:
    """Whether ``model`` holds steps, the last of which predicts."""
    steps = getattr(model, "__dict__", {}).get("steps")
    return (
        isinstance(steps, list)
        and bool(steps)
        and isinstance(steps[-1], tuple)
        and len(steps[-1]) == 2
    )


def _final_step(pipeline: Any) -> Any:
    """A pipeline's last step, the one that predicts (``_is_pipeline``), as
    scikit-learn reads it."""
    return pipeline.__dict__["steps"][-1][1]


def class_counts(classes: Any) -> list[int] | None:
    """The classes of each output: one array of labels (one output), or a
    list of them, one an output; None for anything else."""
    if isinstance(classes, np.ndarray) and classes.ndim == 1:
        return [len(classes)]
    if isinstance(classes, list) and all(
        isinstance(c, np.ndarray) and c.ndim == 1 for c in classes
    ):
        return [len(c) for c in classes]
    return None


def _widest(classes: Any) -> int | None:
    """The most classes of any output."""
    counts = class_counts(classes)
    return None if counts is None else max(counts, default=0)


def _kernel(kernel: Any) -> str | None:
    """A Gaussian process kernel (not an estimator, so no constraint holds
    its parameters): numbers, numeric arrays, bounds ("fixed" or numbers),
    other kernels, and a pairwise kernel's metric and keywords held like a
    metric's. A text constant made ``ConstantKernel`` fill an array of
    1,000-character items as large as the rows times the training rows."""
    from sklearn.gaussian_process.kernels import Kernel

    try:
        params = kernel.get_params(deep=False)
    except Exception as exc:  # a kernel too broken to read
        return f"a {_name(kernel)} whose parameters cannot be read ({exc!s:.80})"
    for name, value in params.items():
        if name == "metric" and isinstance(value, str):
            continue  # a name pairwise_kernels looks up, or refuses
        if name == "pairwise_kernels_kwargs":
            problem = None if value is None else _arguments((), value)
        elif name.endswith("_bounds") and isinstance(value, str):
            problem = None if value == "fixed" else f"the bounds {value[:20]!r}"
        elif (name.startswith("k") and name[1:].isdigit()) or name == "kernel":
            # an operand, checked as an object of its own
            problem = None if isinstance(value, Kernel) else "not a kernel"
        elif name == "kernels":
            problem = (
                None
                if isinstance(value, list) and all(isinstance(k, Kernel) for k in value)
                else "not a list of kernels"
            )
        elif callable(value):
            problem = _callable_parameter(value)
        else:
            problem = _kernel_number(value)
            size = np.size(value) if problem is None else 0
            if size > 2 * max(_GRAPH_WIDTH.get(), _KERNEL_VALUES_FREE):
                # A length scale a column (bounds two): its repr formats
                # each, no numpy summary, at every level of a display
                # (round 191: 10**6 of them, 8 MB, 47 times an honest
                # file's time).
                problem = (
                    f"{size:,} values, more than two a column of the widest "
                    f"data ({_GRAPH_WIDTH.get():,} columns)"
                )
        if problem is not None:
            return f"a {_name(kernel)} whose {name} is {problem}"
    return None


#: The values a kernel's array may hold in a graph fitted on no data.
_KERNEL_VALUES_FREE = 64


def _kernel_number(value: Any) -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return None
    array = value if isinstance(value, np.ndarray) else None
    if array is None and isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            array = None
    if array is not None and array.dtype.kind in "biuf" and array.ndim <= 2:
        return None
    return f"{type(value).__name__} {str(value)[:40]!r}, not a number"


#: Arrays of more than two dimensions scikit-learn's estimators hold, and
#: their most: what a search or path records during fit (no method but fit
#: reads them), by name, and a full Gaussian mixture's matrices. Any other
#: array an estimator holds has one or two (read off 414 fitted instances of
#: its tested estimators and the cross-validated linear models' variants): a
#: (2, 3500, 1, 1) mean broadcast against the data makes (2, 3500, n, d)
#: from a few kilobytes.
RANKS: dict[str, int] = {
    "coefs_paths_": 5,
    "n_iter_": 4,
    "scores_": 4,
    "mse_path_": 3,
    "cv_results_": 3,
    "cv_values_": 3,
}
_MIXTURE_MATRICES = ("covariances_", "precisions_", "precisions_cholesky_")


def _array_ranks(estimator: Any) -> str | None:
    """Arrays in an estimator's state (directly, in its lists and tuples, or
    in its dicts; lists nested around numbers count as arrays) of at most
    two dimensions, but those ``RANKS`` names."""
    namespace = getattr(estimator, "__dict__", {})
    most = RANKS
    if namespace.get("covariance_type") == "full":  # GaussianMixture's kinds
        most = {**RANKS, **dict.fromkeys((*_MIXTURE_MATRICES, "precisions_init"), 3)}
    for name, value in namespace.items():
        if name in _GRIDS:
            members: Any = _grid_values(value)
        elif isinstance(value, (list, tuple)):
            members = value
        elif isinstance(value, dict):
            members = value.values()
        else:
            members = (value,)
        if not any(issubclass(kind, _RANKED) for kind in set(map(type, members))):
            continue  # numbers and texts: no dimensions (sorted out in C)
        for member in members:
            rank = _numeric_rank(member)
            if rank is not None and rank > 2 and rank > most.get(name, 2):
                return (
                    f"a {_name(estimator)} whose {name} has {rank} "
                    "dimensions (no fit makes it so)"
                )
    return None


#: What can have dimensions of its own: lists nested around numbers, arrays.
_RANKED = (list, tuple, np.ndarray)
#: A search's grids: dicts (or lists of them) of lists of candidates, each
#: a parameter's value (an encoder's categories as a list of arrays is a
#: candidate of two dimensions, in a list of three).
_GRIDS = ("param_grid", "param_distributions")


def search_grids(grids: Any) -> list[Any] | tuple[Any, ...] | None:
    """A search's ``param_grid`` or ``param_distributions`` as a list of
    grids (one dict alone, a list of one), or None when neither."""
    if isinstance(grids, Mapping):
        return [grids]
    return grids if isinstance(grids, (list, tuple)) else None


def grid_options(options: Any) -> Sequence[Any] | np.ndarray | None:
    """The options of one parameter of a search's grid as scikit-learn's
    ``ParameterGrid`` and ``ParameterSampler`` read them: any sequence but
    text (a list, a tuple, bytes: round 201's 1,001 options written as
    bytes were counted as one), or an array of at least one dimension; None
    for anything else (a distribution)."""
    if isinstance(options, np.ndarray):
        return options if options.ndim else None
    if isinstance(options, Sequence) and not isinstance(options, str):
        return options
    return None


def _grid_values(grids: Any) -> list[Any]:
    """The candidate values of a search's grids (a dict, or a list of
    dicts, of lists of candidates)."""
    found: list[Any] = []
    for grid in search_grids(grids) or [grids]:
        if not isinstance(grid, dict):
            found.append(grid)
            continue
        for candidates in grid.values():
            options = grid_options(candidates)
            if isinstance(options, np.ndarray):
                found.extend(options[:1])  # each row of one rank
            elif options is not None:
                found.extend(options)
            else:
                found.append(candidates)
    return found


def _numeric_rank(value: Any) -> int | None:
    """The dimensions numpy reads in an array, or in lists nested around
    numbers or arrays (a ``where=`` mask as a list is the same array), else
    None."""
    depth, value = nesting(value)
    if isinstance(value, np.ndarray):
        return depth + value.ndim
    if isinstance(value, (int, float, np.number, np.bool_)):
        return depth
    return None


def _covariance(estimator: Any) -> str | None:
    """A covariance estimator's location and matrices are of the data's
    width: ``mahalanobis`` hands ``precision_`` to scipy's distances as
    ``VI``, which read width x width values from it unchecked."""
    namespace = getattr(estimator, "__dict__", {})
    if "precision_" not in namespace and "covariance_" not in namespace:
        return None
    width = _width(estimator)
    if width is None:
        return None
    for name, shape in (
        ("precision_", (width, width)),
        ("covariance_", (width, width)),
        ("location_", (width,)),
    ):
        value = namespace.get(name)
        # A quadratic discriminant analysis keeps a list, one a class.
        listed = name == "covariance_" and isinstance(value, list)
        if value is not None and any(
            np.shape(v) != shape for v in (value if listed else [value])
        ):
            return f"a {_name(estimator)} whose {name} is not of its width"
    return None


#: Arrays a classifier keeps one entry, or one row of its input's width, a
#: class of: naive Bayes and discriminant analysis add and multiply them out
#: of place, so two of other shapes, (A, 1) and (B,), broadcast to (A, B)
#: before anything notices (16,000 each made 2 GB from a few KB).
_PER_CLASS = ("class_log_prior_", "class_prior_", "class_count_", "priors_")
_PER_CLASS_ROWS = ("feature_log_prob_", "feature_count_", "theta_", "var_", "means_")


def _per_class_arrays(estimator: Any) -> str | None:
    namespace = getattr(estimator, "__dict__", {})
    classes = namespace.get("classes_")
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        return None
    k, width = len(classes), _width(estimator)
    for name in _PER_CLASS:
        value = namespace.get(name)
        if isinstance(value, np.ndarray) and value.shape != (k,):
            return f"a {_name(estimator)} whose {name} is not one a class"
    for name in _PER_CLASS_ROWS:
        value = namespace.get(name)
        if isinstance(value, np.ndarray) and (
            value.ndim != 2
            or value.shape[0] != k
            or (width is not None and value.shape[1] != width)
        ):
            return f"a {_name(estimator)} whose {name} is not a row a class"
    rotations, scalings = namespace.get("rotations_"), namespace.get("scalings_")
    if isinstance(rotations, list):  # quadratic discriminant analysis
        if not isinstance(scalings, list) or not len(rotations) == len(scalings) == k:
            return f"a {_name(estimator)} whose rotations are not one a class"
        for rotation, scaling in zip(rotations, scalings, strict=True):
            shape = np.shape(rotation)
            if (
                len(shape) != 2
                or (width is not None and shape[0] != width)
                or np.shape(scaling) != shape[1:]
            ):
                return f"a {_name(estimator)} whose rotations are not its scalings'"
    return None


def _target_width(model: Any) -> int | None:
    """How many outputs a target regressor's regressor predicts, where its
    transformer says: one for a one-dimensional target, else the target's
    columns when the transformer keeps them (no function, or a scaler of
    one output a column); None for any other model or transformer (round
    69: an identity transformer of one column over a multi-output regressor
    of 3,000 members made predict 3,100 times as long)."""
    if _name(model) != "TransformedTargetRegressor":
        return None
    namespace = model.__dict__
    if namespace.get("_training_dim") == 1:
        return 1
    transformer = namespace.get("transformer_")
    held = getattr(transformer, "__dict__", {})
    keeps = _one_to_one(transformer, ("func", "inverse_func"))
    return _int(held.get("n_features_in_")) if keeps else None


def _one_to_one(transformer: Any, functions: tuple[str, ...]) -> bool:
    """Whether a transformer gives a column for each it takes, both ways
    the caller uses: scikit-learn's one-to-one transformers, or a function
    transformer given none of ``functions``."""
    from sklearn.base import OneToOneFeatureMixin

    held = getattr(transformer, "__dict__", {})
    return isinstance(transformer, OneToOneFeatureMixin) or (
        _name(transformer) == "FunctionTransformer"
        and all(held.get(name) is None for name in functions)
    )


def check_last(obj: Any) -> str | None:
    """The checks that apply to every estimator after those of its class,
    which say more precisely what is wrong with the same counts."""
    from sklearn.base import BaseEstimator

    if not isinstance(obj, BaseEstimator):
        return None
    return _name_counts(obj) or check_shapes(obj)
