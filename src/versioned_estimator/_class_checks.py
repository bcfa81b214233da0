"""Checks by class name: what a safe load verifies of each class it names.

:data:`CHECKS` maps a class's dotted name to its check, which returns what is
wrong with a loaded instance or None. Each holds the counts that size what a
method of the class allocates or loops over (an output width, a class count,
a degree, an iteration count) to what its fitted arrays and parameters give,
as the class's own ``fit`` computes them: k-means, nearest neighbours (data,
labels, distance parameters), text and dict vectorizers, the one-hot and
ordinal encoders, feature agglomeration, dummy estimators, the spline and
polynomial transformers, Birch, the multi-label binarizer, kernel
approximations, voting, searches, stacking, chains, one-vs-rest and
one-vs-one, bagging, calibration, networks, random projections,
discriminants, imputers, column transformers and target regressors.

The checks every object gets by its type, and the helpers they share, are
:mod:`versioned_estimator._fitted_state`'s; :mod:`versioned_estimator._structures`
runs both.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import string
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from versioned_estimator._fitted_state import (
    _MIXTURE_MATRICES,
    MAX_NAME,
    MAX_THREADS,
    RESPONSE_METHODS,
    Check,
    _arguments,
    _callable_parameter,
    _columns,
    _extent,
    _final_step,
    _inside,
    _int,
    _is_pipeline,
    _name,
    _one_to_one,
    _own_text,
    _real,
    _width,
    grid_options,
    once,
    search_grids,
    truth,
)
from versioned_estimator._settings import same_settings, same_value
from versioned_estimator._shapes import fitted_rows

__all__ = ["CHECKS", "TREE_LIMITS", "member_limits"]


# -- by class -------------------------------------------------------------


def _ascending_values(array: Any) -> bool:
    values = np.asarray(array)
    return bool(np.all(values[1:] > values[:-1]))


def _fitted_kernel(model: Any, kernel: Any, width: int) -> str | None:
    """A fitted kernel is a tree (fit clones every part) whose numbers are
    scalars or one per column of the data. A part shared by both operands
    of a sum nested 15 deep is evaluated 2**15 times a predict, and 300,000
    ``None`` of padding once paid for that many references; a (1, 20000)
    ``sigma_0`` broadcast a (30000, 1) kernel to 4.5 GB."""
    seen: set[int] = set()
    stack = [kernel]
    while stack:
        part = stack.pop()
        if id(part) in seen:
            return f"a {_name(model)} whose fitted kernel uses one part twice"
        seen.add(id(part))
        if len(seen) > _MOST_KERNELS:
            return (
                f"a {_name(model)} whose fitted kernel has over {_MOST_KERNELS} parts"
            )
        for name, value in part.get_params(deep=False).items():
            if hasattr(value, "get_params") and not isinstance(value, type):
                stack.append(value)
            elif name == "kernels" and isinstance(value, list):
                stack.extend(value)
            elif not name.endswith("_bounds") and (
                np.ndim(value) > 1 or np.size(value) > max(width, 1)
            ):
                return (
                    f"a {_name(model)} whose kernel's {name} is not a number or "
                    "one a column"
                )
    return None


def _default_kernel() -> Any:
    """The kernel a Gaussian process fits when given none (its structure)."""
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    return ConstantKernel() * RBF()


class _KernelShapes:
    """Kernels' structures (their classes and how they combine, numbers
    left out), each a number: two kernels are built alike when their
    numbers are equal. With ``values``, a structure holds every setting fit
    leaves as it was given too: all but the hyperparameters it tunes (a
    Matern's ``nu`` of 2.5 made 1.7, which takes a Bessel function, made
    predict 3.7 times as long, round 90). Each kernel object is read once,
    so a product of one kernel with itself nested 60 deep (2**60 paths)
    costs 60 readings, and so does comparing two of them."""

    def __init__(self, values: bool = False) -> None:
        self.values = values
        self.numbers: dict[Any, int] = {}
        self.read: dict[int, int | None] = {}
        self.alive: list[Any] = []  # ids are only an object's while it lives

    def of(self, kernel: Any, depth: int = 0) -> int | None:
        """The structure's number; None for a kernel that cannot be read, is
        nested more than ``_MOST_KERNEL_DEPTH`` deep, or is part of a cycle."""
        if id(kernel) in self.read:
            return self.read[id(kernel)]
        if depth > _MOST_KERNEL_DEPTH or len(self.read) > _MOST_KERNELS:
            return None
        self.alive.append(kernel)
        self.read[id(kernel)] = None  # a cycle reads as unreadable
        try:
            params = kernel.get_params(deep=False)
            tuned = (
                {h.name for h in kernel.hyperparameters if not h.fixed}
                if self.values
                else set()
            )
        except Exception:  # not a kernel, or one too broken to read
            return None
        parts: list[tuple[str, Any]] = []
        for name, value in sorted(params.items()):
            if hasattr(value, "get_params") and not isinstance(value, type):
                part = self.of(value, depth + 1)
                if part is None:
                    return None
                parts.append((name, part))
            elif self.values and name not in tuned and name != "kernels":
                parts.append((name, _setting(value)))
        key = (type(kernel).__name__, tuple(parts))
        number = self.numbers.setdefault(key, len(self.numbers))
        self.read[id(kernel)] = number
        return number


def _setting(value: Any, depth: int = 0) -> Any:
    """A kernel setting as a value that compares equal exactly when the
    setting does (numbers by their type and bits, containers item by item)."""
    if value is None or isinstance(value, (str, bool, int, float, np.generic)):
        return (type(value).__name__, repr(value))
    if depth < 4 and isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return (value.dtype.str, value.shape, value.tobytes())
    if depth < 4 and isinstance(value, (list, tuple)):
        return tuple(_setting(v, depth + 1) for v in value)
    if depth < 4 and isinstance(value, dict):
        return tuple(sorted((str(k), _setting(v, depth + 1)) for k, v in value.items()))
    return (type(value).__qualname__, repr(value)[:200])


#: The most kernels, and the deepest, a Gaussian process's kernel is read
#: through (scikit-learn's own combine a handful).
_MOST_KERNELS = 1_000


_MOST_KERNEL_DEPTH = 200


#: The longest n-gram a text vectorizer may ask for.
MAX_NGRAM = 100


def _ascending(array: np.ndarray) -> bool:
    """Whether a 1-D array strictly increases (read once per array)."""
    return once(array, "ascending", _ascending_values)


def _feature_name_format(model: Any) -> str | None:
    """ColumnTransformer's ``verbose_feature_names_out`` as a string is a
    format for each output column's name: each of its two fields at most
    once, no format spec, conversion or attribute, and no more text of its
    own than a name (``{feature_name:>1100000000}`` was a 1.1 GB name a
    column; a field repeated 150 times, nested four deep, names of 150**4
    characters from a 10 KB file)."""
    value = getattr(model, "verbose_feature_names_out", None)
    if not isinstance(value, str):
        return None
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError:
        parts = None
    fields = [field for _, field, _, _ in parts or () if field is not None]
    if (
        parts is None
        or any(
            field is not None
            and (
                field not in ("transformer_name", "feature_name") or spec or conversion
            )
            for _, field, spec, conversion in parts
        )
        or len(fields) != len(set(fields))
        or _own_text(value) > MAX_NAME
    ):
        return (
            f"a {_name(model)} whose feature name format {value[:40]!r} is not "
            "{transformer_name} and {feature_name}, each at most once, with at "
            f"most {MAX_NAME} characters of its own"
        )
    return None


def _importance_getter(selector: Any) -> str | None:
    """A feature selector's ``importance_getter`` as a string is a dotted
    path read off the fitted estimator at every transform: public attribute
    names only (``__class__.__init__.__globals__`` read the module's
    globals)."""
    getter = getattr(selector, "importance_getter", "auto")
    if not isinstance(getter, str) or getter == "auto":
        return None
    parts = getter.split(".")
    if len(parts) > 4 or not all(p.isidentifier() and p[0] != "_" for p in parts):
        return (
            f"a {_name(selector)} whose importance_getter {getter[:40]!r} is not "
            "a path of public attributes"
        )
    return None


def _flat_labels(value: Any) -> Any:
    """A list of label numbers as an array (anything else as it is, for
    :func:`_codes` to refuse)."""
    if (
        isinstance(value, list)
        and len(value) <= 1_000
        and all(isinstance(v, (int, float, np.number)) for v in value)
    ):
        return np.asarray(value)
    return value


def _gaussian_process(model: Any) -> str | None:
    """A fitted Gaussian process's training rows, of the model's width, and
    as many as its weights and factor have: predict multiplies the kernel
    between the rows it is given and these by them (an empty (65536, 0)
    training set cost the file nothing)."""
    namespace = getattr(model, "__dict__", {})
    X = namespace.get("X_train_")
    if X is None or not isinstance(X, np.ndarray):
        return None  # a kernel given precomputed rows, or not fitted
    n = X.shape[0] if X.ndim == 2 else -1
    width = _width(model)
    if n < 0 or (width is not None and X.shape[1] != width):
        return f"a {_name(model)} whose training rows are not of its width"
    for name in ("alpha_", "y_train_", "L_", "pi_", "W_sr_", "f_cached"):
        value = namespace.get(name)
        if value is not None and np.shape(value)[:1] != (n,):
            return f"a {_name(model)} whose {name} is not one per training row"
    factor = namespace.get("L_")
    if factor is not None and np.shape(factor) != (n, n):
        # A Cholesky factor of the rows' kernel: square (an (n, 1) one made
        # predict solve against it out of shape).
        return f"a {_name(model)} whose L_ is not square over its training rows"
    weights = namespace.get("alpha_")
    outputs = np.shape(weights)[1:] if weights is not None else ()
    for name in ("_y_train_mean", "_y_train_std"):
        # What predict scales its (rows, outputs) means by: one number an
        # output (round 82: 3,000 of them beside one output made predict
        # return (rows, 3,000), 1.6 GB).
        value = namespace.get(name)
        if value is not None and (
            getattr(value, "dtype", np.dtype(float)).kind != "f"
            or np.shape(value) not in ((outputs,) if outputs else ((), (1,)))
        ):
            return f"a {_name(model)} whose {name} is not one number an output"
    fitted = namespace.get("kernel_")
    given = namespace.get("kernel")
    shapes = _KernelShapes(values=given is not None)
    if fitted is not None and (
        shapes.of(fitted) is None
        or shapes.of(fitted) != shapes.of(_default_kernel() if given is None else given)
    ):
        # Fit tunes the given kernel's numbers, never its structure: a
        # product of 60 kernels behind kernel=RBF() keeps 60 (rows, training
        # rows) matrices alive at predict.
        return f"a {_name(model)} whose fitted kernel is not the kernel it was given"
    return None if fitted is None else _fitted_kernel(model, fitted, X.shape[1])


def _mixture(model: Any) -> str | None:
    """A Gaussian mixture's components: weights, means of the input's width,
    and matrices of the shape its covariance type gives (out-of-place
    products of others broadcast to their outer product)."""
    namespace = getattr(model, "__dict__", {})
    weights = namespace.get("weights_")
    if weights is None:
        return None
    k = np.shape(weights)[0] if np.ndim(weights) == 1 else -1
    d = _width(model)
    if d is None:  # no recorded width: the means' is the one all must share
        d = (*getattr(namespace.get("means_"), "shape", ()), -1, -1)[1]
    shapes = {
        "full": (k, d, d),
        "tied": (d, d),
        "diag": (k, d),
        "spherical": (k,),
    }.get(str(namespace.get("covariance_type")))
    tied = str(namespace.get("covariance_type")) == "tied"
    expected = {
        "means_": (k, d),
        **dict.fromkeys(_MIXTURE_MATRICES, shapes),
        "mean_precision_": (k,),
        # One Wishart distribution for all the components when tied.
        "degrees_of_freedom_": () if tied else (k,),
    }
    for name, shape in expected.items():
        value = namespace.get(name)
        if value is not None and (shape is None or np.shape(value) != shape):
            return f"a {_name(model)} whose {name} is not of its components"
    return None


def _metric_parameters(params: Any, width: int) -> str | None:
    """Distance parameters (``VI``, ``V``, ``w``) of the data's width, and
    none the compiled reductions read per row unchecked: precomputed norms
    (``X_norm_squared``, ``Y_norm_squared``) are computed from the data,
    never kept."""
    if not isinstance(params, Mapping):
        return None
    for key in params:
        if not isinstance(key, str) or key.endswith("norm_squared"):
            return f"distance parameters with the key {str(key)[:40]!r}"
    for key, shape in (("VI", (width, width)), ("V", (width,)), ("w", (width,))):
        if params.get(key) is not None and np.shape(params[key]) != shape:
            return f"a distance whose {key} is not of its data's width"
    return None


def _kmeans(model: Any) -> str | None:
    """k-means: a sane thread count for OpenMP, centres of the fitted width."""
    threads = getattr(model, "_n_threads", None)
    if threads is not None:
        count = _int(threads)
        if count is None or not 1 <= count <= MAX_THREADS:
            return f"a {_name(model)} with {str(threads)[:20]} threads"
    centers: Any = getattr(model, "cluster_centers_", None)
    if centers is None:
        return None
    centers = np.asarray(centers)
    width = _width(model)
    n_clusters = _int(getattr(model, "n_clusters", None))
    expected = (n_clusters, width)
    if type(model).__name__ == "BisectingKMeans":
        expected = (centers.shape[0], width)
    if centers.ndim != 2 or centers.dtype.kind != "f" or centers.shape != expected:
        return f"a {_name(model)} whose centres are not of its clusters and width"
    tree = getattr(model, "_bisecting_tree", None)
    nodes, seen = [tree] if tree is not None else [], 0
    leaves: list[Any] = []
    while nodes:
        node = nodes.pop()
        seen += 1
        if seen > 2 * int(centers.shape[0]) + 1:
            return f"a {_name(model)} whose tree has more nodes than clusters"
        # The root's centre, never a predict's, is the data's mean: on
        # sparse data a one-row matrix.
        shapes = ((width,), (1, width)) if node is tree else ((width,),)
        if np.shape(node.center) not in shapes:
            return f"a {_name(model)} whose tree centres are not of its width"
        children = [n for n in (node.left, node.right) if n is not None]
        if len(children) == 1:
            return f"a {_name(model)} whose tree has a node of one child"
        if not children:
            leaves.append(node)
        nodes.extend(children)
    if tree is not None:
        # Fit labels the leaves 0 to k - 1 and copies their centres (less the
        # data's mean, for dense data) into cluster_centers_: predict routes
        # rows down the tree, a copy of them a level, to those leaves.
        labels = [_int(getattr(leaf, "label", None)) for leaf in leaves]
        if sorted(-1 if n is None else n for n in labels) != list(
            range(centers.shape[0])
        ):
            return f"a {_name(model)} whose tree's leaves are not its clusters"
        mean = getattr(model, "_X_mean", None)
        columns = centers.shape[1]
        shift = np.zeros(columns) if mean is None else np.asarray(mean, dtype=float)
        if shift.shape != (columns,):
            return f"a {_name(model)} whose data mean is not of its width"
        for leaf in leaves:
            found = np.asarray(leaf.center, dtype=float) + shift
            if not np.allclose(found, centers[int(leaf.label)], equal_nan=True):
                return f"a {_name(model)} whose tree's leaves are not its clusters"
    return None


def _neighbors(model: Any) -> str | None:
    """Nearest neighbours: fitted data, tree and distance of the fitted width."""
    problem = _effective_metric(model)
    if problem is not None:
        return problem
    width = _width(model)
    fit_x = getattr(model, "_fit_X", None)
    if fit_x is None:
        return None
    if width is None:
        # Without it scikit-learn does not hold X to the data's width.
        return f"a fitted {_name(model)} without its input width"
    if _columns(fit_x) not in (width, None) or np.ndim(fit_x) == 1:
        return f"a {_name(model)} whose data is not of its fitted width"
    n_samples = getattr(model, "n_samples_fit_", None)
    rows = getattr(fit_x, "shape", (None,))[0]
    if n_samples is not None and (_int(n_samples) is None or n_samples != rows):
        # The graph transformers size their output by it, and index it with
        # positions in the data.
        return f"a {_name(model)} whose sample count is not its data's"
    tree = getattr(model, "_tree", None)
    if tree is not None and hasattr(tree, "data"):
        # Its neighbours are positions in the data, and the graph transformers
        # write them as columns of a matrix sized by the data's rows.
        data = np.asarray(tree.data)
        if (
            _columns(data) != width
            or data.shape[0] != rows
            # A tree over other rows answers every search from them (one
            # row repeated: predictions of another model, round 96).
            or not np.array_equal(data, np.asarray(fit_x))
        ):
            return f"a {_name(model)} whose tree is not its fitted data"
    if tree is not None and hasattr(tree, "data"):
        problem = _tree_distance(
            model,
            tree,
            getattr(model, "effective_metric_", None),
            getattr(model, "effective_metric_params_", None),
        )
        if problem is not None:
            return problem
    problem = _search_method(model, width)
    if problem is not None:
        return problem
    from sklearn.metrics import DistanceMetric

    for name in ("metric", "effective_metric_"):
        metric = getattr(model, name, None)
        if isinstance(metric, DistanceMetric):
            problem = distance_width(metric, width)
            if problem is not None:
                return f"a {_name(model)} whose {name} {problem}"
    for name in ("effective_metric_params_", "metric_params"):
        problem = _metric_parameters(getattr(model, name, None), width)
        if problem is not None:
            return problem
    neighbors = _int(getattr(model, "n_neighbors", None))
    if (
        type(model).__name__ == "KNeighborsClassifier"
        and neighbors is not None
        and rows is not None
        and neighbors > rows
    ):
        # Its probabilities' fast path allocates rows x n_neighbors without
        # the check kneighbors makes.
        return f"a {_name(model)} asking more neighbours than its fitted rows"
    return _neighbor_labels(model, rows)


#: The tree each search keeps (``_fit_method``: what fit makes of
#: ``algorithm``).
_SEARCH_TREES = {"brute": None, "kd_tree": "KDTree", "ball_tree": "BallTree"}


def _search_method(model: Any, width: int) -> str | None:
    """The search a neighbours model runs is the one fit makes of its
    parameters: ``algorithm`` itself, brute force over sparse data, and under
    ``"auto"`` brute force where scikit-learn's rule asks it (a precomputed
    metric, more than 15 columns, neighbours of half the rows or more), with
    the tree of that search built with the model's ``leaf_size``. Parameters
    saying brute force over a tree of one row a leaf made predict 4.6 times
    as long, and a tree of one leaf of every row a search of every row by a
    scalar loop (round 88). A model fitted on a tree or another model keeps
    that one's search, and is refused."""
    namespace = getattr(model, "__dict__", {})
    if "_fit_method" not in namespace:
        return None
    method, tree = namespace["_fit_method"], namespace.get("_tree")
    if not isinstance(method, str) or method not in _SEARCH_TREES:
        return f"a {_name(model)} of an unknown search"
    kind = _SEARCH_TREES[method]
    if (tree is None) != (kind is None) or (
        kind is not None and type(tree).__name__ != kind
    ):
        return f"a {_name(model)} whose tree is not its search's"
    algorithm = getattr(model, "algorithm", None)
    fit_x = namespace.get("_fit_X")
    if method == "brute" and hasattr(fit_x, "tocsr"):
        return None  # a tree takes no sparse data
    if algorithm == "auto":
        rows = getattr(fit_x, "shape", (0,))[0]
        neighbors = getattr(model, "n_neighbors", None)
        brute = (
            getattr(model, "metric", None) == "precomputed"
            or width > 15
            or (isinstance(neighbors, int) and neighbors >= rows // 2)
        )
        if brute and method != "brute":
            return f"a {_name(model)} searching a tree where fit searches all rows"
    elif method != algorithm:
        return f"a {_name(model)} whose search is not its algorithm"
    return None if tree is None else _leaf_size(model, tree)


def _leaf_size(model: Any, tree: Any) -> str | None:
    """A neighbours tree is built with its model's ``leaf_size``."""
    if tree.__getstate__()[4] != getattr(model, "leaf_size", None):
        return f"a {_name(model)} whose tree's leaf size is not its leaf_size"
    return None


def _label_propagation(model: Any) -> str | None:
    """A label propagation's neighbours (``kernel="knn"``) are the ones its
    fit makes: fitted on its data ``X_`` (round 88:
    neighbours fitted on other rows of the same count gave every prediction
    from them)."""
    namespace = getattr(model, "__dict__", {})
    found = namespace.get("nn_fit")
    if found is None:
        return None
    data = namespace.get("X_")
    fit_x = getattr(found, "_fit_X", None)
    if getattr(model, "kernel", None) != "knn" or data is None or fit_x is None:
        return f"a {_name(model)} with neighbours its kernel does not make"
    if fit_x is data or np.shape(fit_x) != np.shape(data):
        return None  # their counts are held to the model's elsewhere
    if hasattr(fit_x, "tocsr") and hasattr(data, "tocsr"):
        same = (fit_x != data).nnz == 0
    else:
        same = not hasattr(fit_x, "tocsr") and np.array_equal(
            np.asarray(fit_x), np.asarray(data)
        )
    return None if same else f"a {_name(model)} whose neighbours are of other data"


def _effective_metric(model: Any) -> str | None:
    """The distance a neighbours model computes with (``effective_metric_``
    and ``effective_metric_params_``, what its methods call) is what fit
    makes of its ``metric``, ``p`` and ``metric_params``: "minkowski" named
    for p = 1, 2 or infinity, else with its p and weights. Set apart from
    the parameters it hides what runs: a public Python function there,
    under ``metric="euclidean"``, made a predict of 300 rows take 32 s
    instead of 0.03; "minkowski" of p=3 behind p=2 made a brute predict 48
    times as long (round 75)."""
    namespace = getattr(model, "__dict__", {})
    if "effective_metric_" not in namespace:
        return None
    metric = getattr(model, "metric", None)
    expected, params = _fitted_metric(metric, getattr(model, "p", 2), model)
    found = namespace["effective_metric_"]
    found_params = namespace.get("effective_metric_params_", {})
    same_metric = found is expected or (
        isinstance(found, str) and isinstance(expected, str) and found == expected
    )
    if same_metric and (
        "effective_metric_params_" not in namespace or same_value(found_params, params)
    ):
        return None
    return f"a {_name(model)} whose effective metric is not its metric parameters'"


def _fitted_metric(metric: Any, p: Any, model: Any) -> tuple[Any, Any]:
    """What a neighbours fit makes of its distance parameters: the metric
    its methods call and that metric's parameters."""
    given = getattr(model, "metric_params", None)
    params = dict(given) if isinstance(given, dict) else {}
    if metric != "minkowski":
        return metric, params
    p = params.pop("p", p)
    weights = params.pop("w", None)
    if weights is None and (p == 1 or p == 2 or p == np.inf):
        return {1: "manhattan", 2: "euclidean"}.get(p, "chebyshev"), params
    return metric, {**params, "p": p, "w": weights}


def _neighbor_labels(model: Any, rows: Any) -> str | None:
    """A neighbours classifier's encoded labels: one per fitted row, each a
    position in its output's classes (the radius vote counts them with
    ``np.bincount``, which allocates up to the largest), and every class
    among them, as ``np.unique`` finds them (``predict_proba`` makes a row
    of every class: 40,000 classes behind labels of two ran out of memory,
    round 79)."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    labels = np.asarray(getattr(model, "_y", None))
    per_output = classes if isinstance(classes, list) else [classes]
    # scikit-learn reads classes_ as one array per output only when
    # outputs_2d_ says so, and as one array of classes otherwise.
    two_d = getattr(model, "outputs_2d_", isinstance(classes, list))
    if not isinstance(two_d, (bool, np.bool_)) or bool(two_d) != isinstance(
        classes, list
    ):
        return f"a {_name(model)} whose classes are not laid out as its outputs"
    if labels.ndim == 1:
        labels = labels[:, None]
    if (
        labels.dtype.kind not in "iu"
        or labels.ndim != 2
        or labels.shape != (rows, len(per_output))
    ):
        return f"a {_name(model)} whose labels are not one per fitted row"
    if labels.dtype.kind in "iu" and labels.size:
        # read once however many classifiers share the labels
        low, high = once(
            model._y, "columns", lambda _: (labels.min(axis=0), labels.max(axis=0))
        )
        for k, known in enumerate(per_output):
            if low[k] < 0 or high[k] >= len(known):
                return f"a {_name(model)} whose labels are not its classes'"
        found = once(
            model._y,
            "distinct",
            lambda _: [
                int(np.count_nonzero(np.bincount(labels[:, k])))
                for k in range(labels.shape[1])
            ],
        )
        if any(
            count != len(known) for count, known in zip(found, per_output, strict=True)
        ):
            return f"a {_name(model)} with classes none of its labels is"
    elif any(len(known) for known in per_output):
        return f"a {_name(model)} with classes none of its labels is"
    return None


def _ngrams(vectorizer: Any) -> str | None:
    """An n-gram range within bounds, and the n-grams the probe's replay
    makes of the probe's text (each n of the range, at most one a character)
    within ``MAX_REPLAY_NGRAMS``: a 100,000-character document, which gzip
    keeps in 5 KB, made 10 million strings at (1, 100)."""
    ngrams = getattr(vectorizer, "ngram_range", None)
    if not (
        isinstance(ngrams, tuple)
        and len(ngrams) == 2
        and all(_int(n) is not None for n in ngrams)
        and 1 <= ngrams[0] <= ngrams[1] <= MAX_NGRAM
    ):
        return f"a {_name(vectorizer)} with the n-gram range {str(ngrams)[:40]}"
    text = REPLAY_TEXT.get()
    if text * (ngrams[1] - ngrams[0] + 1) > MAX_REPLAY_NGRAMS:
        return (
            f"a {_name(vectorizer)} with the n-gram range {ngrams} over the "
            f"{text} characters of text the probe replays (at most "
            f"{MAX_REPLAY_NGRAMS} n-grams)"
        )
    return None


def _text_analysis(vectorizer: Any) -> str | None:
    """How a vectorizer reads text: n-grams within bounds, a token pattern
    of the reviewed ones, documents given as text (``input="filename"``
    opens the rows it is given as paths)."""
    problem = _ngrams(vectorizer) or _token_pattern(vectorizer)
    if problem is not None:
        return problem
    encoding = getattr(vectorizer, "encoding", "utf-8")
    if str(encoding).lower().replace("_", "-") not in TEXT_ENCODINGS:
        # Bytes are decoded by the codec the name looks up, importing its
        # module from the encodings package.
        return (
            f"a {_name(vectorizer)} whose encoding {str(encoding)[:30]!r} is not "
            "one of the reviewed ones"
        )
    source = getattr(vectorizer, "input", "content")
    if source != "content":
        return (
            f"a {_name(vectorizer)} that reads its documents from files "
            f"(input={str(source)[:20]!r}): transform, and the probe replay, "
            "would open what they are given as paths"
        )
    stop = getattr(vectorizer, "stop_words", None)
    if not (
        stop is None
        or (isinstance(stop, str) and stop == "english")
        or (
            isinstance(stop, (list, tuple, set, frozenset, np.ndarray))
            and _all_text(np.ravel(stop) if isinstance(stop, np.ndarray) else stop)
        )
    ):
        # Made a set at every transform: words are text, whose hashes a file
        # cannot choose alike (40,000 floats of one hash: 131 times as long).
        return f"a {_name(vectorizer)} whose stop words are not a list of words"
    return None


def _all_text(values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


#: The encodings a safe load lets a vectorizer decode bytes with.
TEXT_ENCODINGS = frozenset(
    {
        "utf-8",
        "utf8",
        "utf-8-sig",
        "ascii",
        "us-ascii",
        "latin-1",
        "latin1",
        "iso-8859-1",
        "iso8859-1",
        "utf-16",
        "utf-32",
        "cp1252",
        "windows-1252",
    }
)

#: The token patterns a safe load lets a vectorizer match against every
#: document: scikit-learn's default and the common ones, each one repetition
#: a match that cannot backtrack. A pattern is code the file runs on the
#: user's text: ``(a|aa)+$`` backtracks exponentially, twelve ``[^!]*`` in a
#: row polynomially, and no syntax check tells every such pattern apart.
TOKEN_PATTERNS = frozenset(
    {
        r"(?u)\b\w\w+\b",
        r"(?u)\b\w+\b",
        r"\b\w\w+\b",
        r"\b\w+\b",
        r"(?u)\w+",
        r"\w+",
        r"\S+",
        r"[a-zA-Z]+",
        r"(?u)\b[a-zA-Z]+\b",
        r"\b[a-zA-Z]+\b",
        r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
    }
)


def _token_pattern(vectorizer: Any) -> str | None:
    pattern = getattr(vectorizer, "token_pattern", None)
    if pattern is None or pattern in TOKEN_PATTERNS:
        return None
    return (
        f"a {_name(vectorizer)} whose token pattern {str(pattern)[:40]!r} is not "
        "one of the reviewed ones (a pattern runs on every document: some "
        "take exponential time)"
    )


def _vocabulary(
    vectorizer: Any, size: int | None = None, vocabulary: Any = None
) -> str | None:
    """Column indices of a vocabulary: each column once, inside the output."""
    if vocabulary is None:
        vocabulary = getattr(vectorizer, "vocabulary_", None)
    if vocabulary is None:
        return None
    if not isinstance(vocabulary, Mapping):
        return f"a {_name(vectorizer)} whose vocabulary is not a mapping"
    problem = f"a {_name(vectorizer)} whose vocabulary points outside its columns"
    values = vocabulary.values()
    # Integers only (no bool, no float numpy would truncate), checked by type
    # in C: a vocabulary holds hundreds of thousands of them.
    if not set(map(type, values)) <= _INTEGER_TYPES:
        return problem
    columns = np.fromiter(values, dtype=np.int64, count=len(vocabulary))
    n = len(vocabulary) if size is None else size
    if not _inside(columns, n) or (np.bincount(columns, minlength=n) > 1).any():
        return problem
    return None


_INTEGER_TYPES = frozenset(
    {int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32}
)


def _count_vectorizer(vectorizer: Any) -> str | None:
    problem = _text_analysis(vectorizer) or _vocabulary(vectorizer)
    if problem is not None:
        return problem
    tfidf = getattr(vectorizer, "_tfidf", None)
    idf = getattr(tfidf, "idf_", None) if tfidf is not None else None
    vocabulary = getattr(vectorizer, "vocabulary_", None)
    if (
        idf is not None
        and vocabulary is not None
        and np.shape(idf) != (len(vocabulary),)
    ):
        return f"a {_name(vectorizer)} whose weights are not its vocabulary's"
    return None


def _dict_vectorizer(vectorizer: Any) -> str | None:
    # The output has one column per vocabulary entry: the names must be as
    # many, and the indices inside them.
    names = getattr(vectorizer, "feature_names_", None)
    vocabulary = getattr(vectorizer, "vocabulary_", None)
    if names is not None and (
        not isinstance(vocabulary, Mapping) or len(names) != len(vocabulary)
    ):
        return "a DictVectorizer whose feature names are not its vocabulary's"
    return _vocabulary(vectorizer)


def _one_hot_encoder(encoder: Any) -> str | None:
    """The output width per feature ``transform`` sizes its matrix with must
    be the one the categories give (scikit-learn's own computation, which
    only reads them)."""
    outs = getattr(encoder, "_n_features_outs", None)
    if outs is None:
        return None
    try:
        expected = encoder._compute_n_features_outs()
    except Exception as exc:  # categories too broken to count
        return f"a OneHotEncoder whose categories cannot be counted ({exc})"[:200]
    if [_int(n) for n in outs] != [int(n) for n in expected]:
        return "a OneHotEncoder whose output widths are not its categories'"
    # transform maps category codes through these, then builds its columns.
    categories = getattr(encoder, "categories_", None) or []
    for values in categories:
        # Numbers are encoded by np.searchsorted: in any other order a known
        # value gets a code past its feature's columns; numbers in an object
        # array too, when the data given is numbers (round 88).
        if not once(values, "categories", _in_order):
            return "a OneHotEncoder whose categories are not in order"
    # A dropped category is one of the feature's; after grouping, one of its
    # codes, which number the feature's columns plus the dropped one.
    bounds = {
        "drop_idx_": [len(values) for values in categories],
        "_drop_idx_after_grouping": [int(n) + 1 for n in outs],
    }
    for name, bound in bounds.items():
        drops = getattr(encoder, name, None)
        if drops is None:
            continue
        for i, drop in enumerate(np.asarray(drops, dtype=object).ravel()):
            if drop is not None and not (
                _int(drop) is not None and i < len(bound) and 0 <= drop < bound[i]
            ):
                return "a OneHotEncoder whose dropped categories are not its own"
    return _infrequent_mappings(encoder, categories)


def _in_order(values: Any) -> bool:
    """Numbers strictly increasing, NaN (one, last, as fit keeps it) aside,
    in a numeric array or an object array of numbers (and None); any other
    values are looked up, not searched."""
    values = np.asarray(values)
    if values.dtype.kind == "O":
        items = [v for v in values.ravel() if v is not None]
        if not all(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, bool)
            for v in items
        ):
            return True
        known = [v for v in items if v == v]  # NaN aside; ints compared exactly
        if items[len(known) :] != [v for v in items if v != v]:
            return False  # a NaN before a number (round 170)
        return all(a < b for a, b in itertools.pairwise(known))
    elif values.dtype.kind not in "biuf":
        return True
    known = values[~np.isnan(values)] if values.dtype.kind == "f" else values
    if len(known) < values.size and np.isnan(values.ravel()[: len(known)]).any():
        return False  # a NaN before a number (round 170)
    return len(known) < 2 or bool((known[1:] > known[:-1]).all())


def _infrequent_mappings(encoder: Any, categories: Any) -> str | None:
    """``transform`` codes unknown values as a feature's first infrequent
    category and maps every code through its mapping, unchecked: both must be
    what fit builds from the infrequent categories (each a category, the
    frequent ones numbered in order, the infrequent ones after them)."""
    infrequent = getattr(encoder, "_infrequent_indices", None)
    mappings = getattr(encoder, "_default_to_infrequent_mappings", None)
    if infrequent is None and mappings is None:
        return None  # no infrequent categories were looked for
    problem = "a OneHotEncoder whose infrequent categories are not its own"
    if not (
        isinstance(infrequent, list)
        and isinstance(mappings, list)
        and len(infrequent) == len(mappings) == len(categories)
    ):
        return problem
    for indices, mapping, values in zip(infrequent, mappings, categories, strict=True):
        if indices is None and mapping is None:
            continue
        if indices is None or mapping is None:
            return problem
        indices, mapping = np.asarray(indices), np.asarray(mapping)
        n = len(mapping)
        if (
            indices.ndim != 1
            or indices.dtype.kind not in "iu"
            or n not in (len(values), len(values) - 1)  # less a missing value
            or not _inside(indices, n)
            or len(np.unique(indices)) != len(indices)
        ):
            return problem
        frequent = n - len(indices)
        expected = np.empty(n, dtype=np.int64)
        expected[indices] = frequent
        expected[np.setdiff1d(np.arange(n), indices)] = np.arange(frequent)
        if mapping.shape != expected.shape or not np.array_equal(mapping, expected):
            return problem
    return None


def _feature_agglomeration(model: Any) -> str | None:
    """Cluster labels of the input features: ``transform`` counts them with
    ``np.bincount``, which allocates up to the largest."""
    labels = getattr(model, "labels_", None)
    if labels is None:
        return None
    labels = np.asarray(labels)
    clusters, width = _int(getattr(model, "n_clusters_", None)), _width(model)
    if (
        labels.ndim != 1
        or clusters is None
        or (width is not None and len(labels) != width)
        or not _inside(labels, clusters)
    ):
        return "a FeatureAgglomeration whose labels are not its clusters'"
    return None


def _tfidf_transformer(transformer: Any) -> str | None:
    idf, width = getattr(transformer, "idf_", None), _width(transformer)
    if idf is not None and width is not None and np.shape(idf) != (width,):
        return "a TfidfTransformer whose weights are not of its fitted width"
    return None


def _dummy_regressor(model: Any) -> str | None:
    if not hasattr(model, "constant_"):
        return None
    outputs = _int(getattr(model, "n_outputs_", None))
    if outputs is None or outputs < 1 or np.shape(model.constant_) != (1, outputs):
        # Fit makes one output at least: none makes predict answer (n, 0),
        # into which a boosting model writes its first column (round 111).
        return "a DummyRegressor whose outputs are not its constants'"
    return None


def _dummy_classifier(model: Any) -> str | None:
    if not hasattr(model, "classes_"):
        return None
    outputs = _int(getattr(model, "n_outputs_", None))
    classes, counts = model.classes_, model.n_classes_
    prior = getattr(model, "class_prior_", None)
    if outputs == 1:
        classes, counts, prior = [classes], [counts], [prior]
    if (
        outputs is None
        or outputs < 1
        or not isinstance(classes, list)
        or not isinstance(counts, list)
        or not isinstance(prior, list)
        or not len(classes) == len(counts) == len(prior) == outputs
    ):
        return "a DummyClassifier whose outputs are not its classes'"
    for labels, count, weights in zip(classes, counts, prior, strict=True):
        if np.ndim(labels) != 1 or _int(count) != len(labels):
            return "a DummyClassifier whose class counts are not its classes'"
        if weights is not None and np.shape(weights) != (len(labels),):
            return "a DummyClassifier whose priors are not its classes'"
    strategy = getattr(model, "strategy", None)
    if getattr(model, "_strategy", strategy) != strategy:
        # predict branches on fit's copy of the parameter: a "constant" there
        # behind strategy="prior" would skip the check below.
        return "a DummyClassifier whose strategy is not the one it was fit with"
    if strategy == "constant":
        # predict returns the constant itself: one of the classes, as fit
        # requires (a meta-estimator may count it with np.bincount).
        constants = np.ravel(np.asarray(model.constant, dtype=object))
        if len(constants) != outputs or any(
            not np.isin(np.asarray([value], dtype=np.asarray(known).dtype), known)[0]
            for value, known in zip(constants, classes, strict=True)
        ):
            return "a DummyClassifier whose constant is not one of its classes"
    return None


def _native(spline: Any) -> bool:
    """Whether a B-spline's knots and coefficients, as stored (``_t`` and
    ``_c`` in scipy 1.15 on, ``t`` and ``c`` before), are arrays of float64
    in this machine's byte order."""
    stored = getattr(spline, "__dict__", {})
    arrays = [stored[name] for name in ("t", "c", "_t", "_c") if name in stored]
    return len(arrays) == 2 and all(
        type(a) is np.ndarray and a.dtype == np.float64 for a in arrays
    )


def _spline_transformer(model: Any) -> str | None:
    splines = getattr(model, "bsplines_", None)
    if splines is None:
        return None
    width, degree = _width(model), _int(getattr(model, "degree", None))
    if not isinstance(splines, list) or len(splines) != width or not splines:
        return "a SplineTransformer whose splines are not one per feature"
    if any(_int(getattr(s, "axis", None)) != 0 or not _native(s) for s in splines):
        # scipy's compiled evaluation reads the knots and coefficients as
        # native doubles whatever their byte order, where every check here
        # reads them through numpy (byte-swapped ones passed the magnitude
        # checks, round 116); BSpline makes both native float64, axis 0.
        return "a SplineTransformer whose splines are not native float64 on axis 0"
    shapes = {np.shape(s.c) for s in splines}
    if len(shapes) != 1 or any(_int(s.k) != degree for s in splines):
        return "a SplineTransformer whose splines differ in degree or size"
    # Fit gives each feature its own knots and one coefficient matrix
    # eye(n_splines) (periodic: degree rows more) for all, n_splines the
    # knots' count less the degree, less one: one knot vector under every
    # feature, with a wide matrix, made a million columns a row from 50 KB.
    if len({id(s.t) for s in splines}) != len(splines):
        return "a SplineTransformer whose features share one knot vector"
    shape = next(iter(shapes))
    if (
        degree is None
        or len(shape) != 2
        or shape[1] not in (shape[0], shape[0] - degree)
        or any(np.shape(s.t) != (shape[0] + degree + 1,) for s in splines)
    ):
        return "a SplineTransformer whose coefficients are not its knots'"
    # transform allocates its output by n_features_out_ and fills it by the
    # splines' coefficients.
    n_splines = shape[1] if len(shape) == 2 else None
    bias = getattr(model, "include_bias", True)
    if n_splines is None or _int(getattr(model, "n_features_out_", None)) != (
        width * (n_splines - (0 if bias else 1))
    ):
        return "a SplineTransformer whose output width is not its splines'"
    return None


#: The highest polynomial degree a model may ask for: beyond it, any input
#: other than 0 and 1 overflows a float, and the sparse expansion loops once
#: per degree.
MAX_DEGREE = 100


def _polynomial_features(model: Any) -> str | None:
    """The degrees and output widths transform loops over and allocates by:
    those its parameters and fitted width give (scikit-learn's own count,
    which only computes)."""
    if not hasattr(model, "n_output_features_"):
        return None
    width = _width(model)
    low, high = (
        _int(getattr(model, "_min_degree", None)),
        _int(getattr(model, "_max_degree", None)),
    )
    degree = model.degree
    expected = (0, degree) if _int(degree) is not None else tuple(degree)
    if (
        width is None
        or low is None
        or high is None
        or (low, high) != expected
        or not 0 <= low <= high
    ):
        return "a PolynomialFeatures whose degrees are not its parameter's"
    if high > MAX_DEGREE:
        return f"a PolynomialFeatures of degree {high} (more than {MAX_DEGREE})"
    widest = _widest_row()
    if _int(model.n_output_features_) is None or not (
        0 <= model.n_output_features_ <= widest
    ):
        return (
            f"a PolynomialFeatures of {str(model.n_output_features_)[:20]} output "
            f"columns (at most {widest} with {REPLAY_ROWS.get()} probe rows)"
        )
    count = type(model)._num_combinations
    options = {
        "n_features": width,
        "interaction_only": bool(model.interaction_only),
        "include_bias": bool(model.include_bias),
        "max_degree": high,
    }
    if _int(model.n_output_features_) != count(min_degree=low, **options) or (
        hasattr(model, "_n_out_full")
        and _int(model._n_out_full) != count(min_degree=0, **options)
    ):
        return "a PolynomialFeatures whose output width is not its degrees'"
    return None


#: The most sampling steps the additive chi-squared sampler may take: its
#: transform loops over them, each allocating the data's size again (scikit-
#: learn documents 1 to 3).
MAX_SAMPLE_STEPS = 100
#: The most values one row may become in a transformer whose output width
#: its parameters alone give (a polynomial expansion, a count sketch times
#: its degree), with no fitted array of that size to hold it to: 128 MiB of
#: float64 a row.
MAX_OUTPUT_WIDTH = 1 << 24
#: The most values such an output may hold over all the probe rows a safe
#: load replays (512 MiB of float64): the file says how many rows there are.
MAX_REPLAY_VALUES = 1 << 26
#: How many probe rows the load being checked replays (set by ``_lazy``).
REPLAY_ROWS: contextvars.ContextVar[int] = contextvars.ContextVar(
    "REPLAY_ROWS", default=1
)


#: How many characters of text the probe rows the load replays hold.
REPLAY_TEXT: contextvars.ContextVar[int] = contextvars.ContextVar(
    "REPLAY_TEXT", default=0
)
#: The most n-grams a vectorizer may make of them.
MAX_REPLAY_NGRAMS = 1 << 22


def _widest_row() -> int:
    """The most values one row may become in such a transformer, now."""
    return min(MAX_OUTPUT_WIDTH, MAX_REPLAY_VALUES // max(1, REPLAY_ROWS.get()))


def _hashed_width(model: Any) -> str | None:
    """A hasher's output width is its parameter alone, free in its sparse
    output: any step after it that densifies pays for all of it (2**31
    columns made a mean of two rows ask for 16 GiB). Held to what a
    polynomial expansion's is."""
    width = _int(getattr(model, "n_features", None))
    widest = _widest_row()
    if width is None or not 1 <= width <= widest:
        return (
            f"a {_name(model)} of {str(model.n_features)[:20]} columns (at most "
            f"{widest} with {REPLAY_ROWS.get()} probe rows)"
        )
    return None


def _hashing_vectorizer(model: Any) -> str | None:
    return _text_analysis(model) or _hashed_width(model)


def _additive_chi2(model: Any) -> str | None:
    steps = _int(getattr(model, "sample_steps", None))
    if steps is None or not 1 <= steps <= MAX_SAMPLE_STEPS:
        return (
            f"an AdditiveChi2Sampler with {str(model.sample_steps)[:20]} sampling "
            f"steps (at most {MAX_SAMPLE_STEPS})"
        )
    return None


#: Iterations a transform may run per row, where a parameter (or, for
#: MiniBatchNMF, a count fit copies from one) is the only bound: with a zero
#: tolerance, LDA's per-document updates, NMF's solver and sparse coding's
#: lasso run exactly that many times. scikit-learn's defaults are 100 to 1000.
MAX_TRANSFORM_ITERATIONS = 100_000
#: And over all the rows a load replays: the file chooses those rows, and each
#: runs the iterations (sklearn's defaults over 1,000 probe rows fit).
MAX_REPLAY_ITERATIONS = 1 << 20

_TRANSFORM_ITERATIONS = {
    "sklearn.decomposition._lda.LatentDirichletAllocation": "max_doc_update_iter",
    "sklearn.decomposition._nmf.NMF": "max_iter",
    "sklearn.decomposition._nmf.MiniBatchNMF": "_transform_max_iter",
    "sklearn.decomposition._dict_learning.DictionaryLearning": "transform_max_iter",
    "sklearn.decomposition._dict_learning.MiniBatchDictionaryLearning": (
        "transform_max_iter"
    ),
    "sklearn.decomposition._dict_learning.SparseCoder": "transform_max_iter",
}


def _transform_iterations(model: Any) -> str | None:
    kind = type(model)
    name = _TRANSFORM_ITERATIONS[f"{kind.__module__}.{kind.__qualname__}"]
    value = getattr(model, name, None)
    if value is None:
        return None  # a release that does not have it
    count = _int(value)
    if name.startswith("_"):
        # A count fit copies (MiniBatchNMF: transform_max_iter, else
        # max_iter): the parameters are what a reader of the model sees.
        asked = getattr(model, "transform_max_iter", None)
        asked = getattr(model, "max_iter", None) if asked is None else asked
        if count is None or _int(asked) != count:
            return (
                f"a {kind.__name__} whose {name} is not what its "
                "transform_max_iter and max_iter give"
            )
    rows = max(1, REPLAY_ROWS.get())
    most = min(MAX_TRANSFORM_ITERATIONS, MAX_REPLAY_ITERATIONS // rows)
    if count is None or not 0 <= count <= most:
        return (
            f"a {kind.__name__} whose {name} is {str(value)[:20]} (at most "
            f"{MAX_TRANSFORM_ITERATIONS} iterations a row, "
            f"{MAX_REPLAY_ITERATIONS} over the {rows} probe rows a load replays)"
        )
    return None


def _nmf_loss(model: Any) -> str | None:
    """NMF's copies of its loss (``_beta_loss``, and MiniBatchNMF's
    ``_gamma``), which its solver runs by: what ``beta_loss`` gives (a
    Frobenius model run as a 0.5 loss, each step with powers and divisions,
    took its transform 41 times as long)."""
    namespace = getattr(model, "__dict__", {})
    if "_beta_loss" not in namespace:
        return None
    named = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}
    asked = getattr(model, "beta_loss", None)
    beta = named.get(asked) if isinstance(asked, str) else _real(asked)
    found = namespace["_beta_loss"]
    problem = f"a {_name(model)} whose _beta_loss is not its beta_loss"
    if beta is None or _real(found) != beta:
        return problem
    if "_gamma" in namespace:
        gamma = (
            1.0 / (2.0 - beta) if beta < 1 else 1.0 / (beta - 1.0) if beta > 2 else 1.0
        )
        if _real(namespace["_gamma"]) != gamma:
            return f"a {_name(model)} whose _gamma is not what its beta_loss gives"
    return None


def _nmf(model: Any) -> str | None:
    """NMF and MiniBatchNMF: the loss their solver runs, and its iterations."""
    return _nmf_loss(model) or _transform_iterations(model)


def _count_sketch(model: Any) -> str | None:
    """PolynomialCountSketch: hashes of one row per degree and one column per
    input feature, pointing inside a sketch of bounded width."""
    width = _int(getattr(model, "n_components", None))
    degree = _int(getattr(model, "degree", None))
    widest = _widest_row()
    if (
        width is None
        or degree is None
        or width < 1
        or degree < 1
        or width * degree > widest
    ):
        return (
            f"a PolynomialCountSketch of width {str(model.n_components)[:20]} and "
            f"degree {str(model.degree)[:20]} (at most {widest} values a row "
            f"with {REPLAY_ROWS.get()} probe rows)"
        )
    index = getattr(model, "indexHash_", None)
    if index is None:
        return None
    index, bits = np.asarray(index), np.asarray(getattr(model, "bitHash_", None))
    expected = (_int(getattr(model, "degree", None)), _width(model))
    if index.shape != expected or bits.shape != expected or not _inside(index, width):
        return "a PolynomialCountSketch whose hashes are not its degree and width"
    return None


def _voting_classifier(model: Any) -> str | None:
    """Hard voting counts its voters' predictions with ``np.bincount``,
    which allocates up to the largest: each voter was fit on the labels
    encoded as 0 to k - 1, and predicts nothing else. A voter predicts
    through whatever label store it holds (a network's label binarizer, a
    Gaussian process's binary member, a pipeline's last step), so every
    ``classes_`` anywhere inside it is held to those codes."""
    voters = getattr(model, "estimators_", None)
    encoder = getattr(model, "le_", None)
    if voters is None:
        return None
    classes = getattr(encoder, "classes_", None)
    if classes is None:
        return "a VotingClassifier without its label encoder"
    for voter in voters:
        labels = getattr(voter, "classes_", None)
        if not (isinstance(labels, np.ndarray) and _codes(labels, len(classes))):
            return "a VotingClassifier whose voters' classes are not its own"
        for stored in _label_stores(voter):
            if not all(
                _codes(one, len(classes))
                for one in (stored if isinstance(stored, list) else [stored])
            ):
                return "a VotingClassifier whose voters hold labels not its own"
    return None


def _codes(values: Any, count: int) -> bool:
    """Whether ``values`` are label codes ``0..count-1``: integers, or the
    floats a forest's trees keep them as. Only an array: numpy reading a
    list the file nested into itself 27 deep makes 2**27 items."""
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        return False
    if values.dtype.kind == "f":
        extent = once(values, "whole", _whole_extent)
        return extent is not False and (
            extent is None or (extent[0] >= 0 and extent[1] < count)
        )
    return values.dtype.kind == "b" or _inside(values, count)


def _whole_extent(values: np.ndarray) -> tuple[Any, Any] | Literal[False] | None:
    """The extent of finite whole numbers; False when one is not."""
    if not (np.isfinite(values).all() and (values == np.floor(values)).all()):
        return False
    return _extent(values)


#: Attributes a classifier predicts through: the estimator it delegates to.
_DELEGATES = ("base_estimator_", "estimator_", "best_estimator_")
#: How many delegates deep the labels a model predicts are looked for.
_MOST_DELEGATES = 64


def _label_stores(model: Any) -> list[Any]:
    """The ``classes_`` a classifier's predict can return labels from: its
    own, its label binarizers' and encoders' (a network's), and those of
    the estimator it delegates to (a Gaussian process's binary member, a
    search's best estimator, a pipeline's last step), however deep. Members
    a model combines (a forest's trees, an output code's columns) predict
    codes of their own that it maps back to its classes."""
    from sklearn.preprocessing import LabelBinarizer, LabelEncoder

    found: list[Any] = []
    for _ in range(_MOST_DELEGATES):
        namespace = getattr(model, "__dict__", None)
        if not isinstance(namespace, dict):
            break
        if "classes_" in namespace:
            found.append(namespace["classes_"])
        outliers = namespace.get("outlier_label_")
        if outliers is not None:
            # Radius neighbours predict it for a row with no neighbour.
            found.append(_flat_labels(outliers))
        found.extend(
            value.__dict__.get("classes_")
            for value in namespace.values()
            if isinstance(value, (LabelBinarizer, LabelEncoder))
        )
        if _name(model) == "Pipeline" and _is_pipeline(model):
            model = _final_step(model)
            continue
        model = next(
            (namespace[name] for name in _DELEGATES if name in namespace), None
        )
        if model is None:
            break
    return [labels for labels in found if labels is not None]


def _ordinal_encoder(encoder: Any) -> str | None:
    """``transform`` compares each column of codes with its missing value's
    code, ``_missing_indices[column]``, and writes it into the output: one
    code of a category of that column, never an array (a (40000, 1) one
    broadcast one column of 30,000 rows to 1.2 GB)."""
    missing = getattr(encoder, "_missing_indices", None)
    if missing is None:
        return None
    categories = getattr(encoder, "categories_", None)
    problem = "an OrdinalEncoder whose missing values are not among its categories"
    if not isinstance(missing, dict) or not isinstance(categories, list):
        return problem
    for column, code in missing.items():
        column, code = _int(column), _int(code)
        if (
            column is None
            or code is None
            or not 0 <= column < len(categories)
            or not 0 <= code < len(np.asarray(categories[column]))
        ):
            return problem
    return None


#: The settings that bound a decision tree's depth and its leaves.
TREE_LIMITS = ("max_depth", "max_leaf_nodes")

#: Where an ensemble's trees take those settings from: the ensemble itself
#: (forests, gradient boosting), its ``estimator`` (bagging, AdaBoost, whose
#: default tree is one or three levels deep), or its sample count (an
#: isolation forest grows each tree to the depth log2 of it).
_LIMITED_BY = {
    **dict.fromkeys(
        (
            "RandomForestClassifier",
            "RandomForestRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
            "RandomTreesEmbedding",
            "GradientBoostingClassifier",
            "GradientBoostingRegressor",
        ),
        "itself",
    ),
    **dict.fromkeys(
        (
            "BaggingClassifier",
            "BaggingRegressor",
            "AdaBoostClassifier",
            "AdaBoostRegressor",
        ),
        "estimator",
    ),
    "IsolationForest": "samples",
}
_DEFAULT_DEPTH = {"AdaBoostClassifier": 1, "AdaBoostRegressor": 3}


def member_limits(model: Any) -> str | None:
    """An ensemble's trees are held to the depth and leaves it gives them
    (each tree to its own, by the tree's check): a forest of
    ``max_depth=2`` whose 20 trees were chains 5,000 levels deep predicted
    85 times as long, an isolation forest's trees 1,500 deep 30 times
    (round 90)."""
    kind = type(model).__name__
    source = _LIMITED_BY.get(kind)
    members = getattr(model, "__dict__", {}).get("estimators_")
    if source is None or members is None:
        return None
    if source == "itself":
        limits = {name: getattr(model, name, None) for name in TREE_LIMITS}
    elif source == "estimator":
        given = getattr(model, "estimator", None)
        limits = (
            {"max_depth": _DEFAULT_DEPTH.get(kind), "max_leaf_nodes": None}
            if given is None
            else {name: getattr(given, name, None) for name in TREE_LIMITS}
        )
    else:
        samples = _int(model.__dict__.get("max_samples_"))
        rows = fitted_rows(model)
        if samples is None or samples < 1 or (rows is not None and samples > rows):
            return f"a {_name(model)} whose sample count is not its data's"
        depth = int(np.ceil(np.log2(max(samples, 2))))
        limits = {"max_depth": depth, "max_leaf_nodes": None}
    flat = members.ravel() if isinstance(members, np.ndarray) else members
    for member in flat:
        if getattr(member, "__dict__", {}).get("tree_") is None:
            continue
        for name, value in limits.items():
            if getattr(member, name, None) != value:
                return f"a {_name(model)} whose trees are not held to its {name}"
    return None


def _self_training(model: Any) -> str | None:
    """A self-training classifier's classes are its fitted estimator's (fit
    copies them: 40,000 beside a member of two loaded, round 92)."""
    namespace = getattr(model, "__dict__", {})
    classes, inner = namespace.get("classes_"), namespace.get("estimator_")
    if classes is None or inner is None:
        return None
    held = getattr(inner, "classes_", None)
    if held is classes:
        return None
    if held is None or np.shape(held) != np.shape(classes):
        return f"a {_name(model)} whose classes are not its estimator's"
    if not np.array_equal(np.asarray(held), np.asarray(classes)):
        return f"a {_name(model)} whose classes are not its estimator's"
    return None


def _nystroem(model: Any) -> str | None:
    """A Nystroem map keeps at most its ``n_components`` training rows (fewer
    when it was fitted on fewer): 2,000 behind ``n_components=50`` made
    transform 46 times as long as an honest map of 200 (round 90)."""
    components = getattr(model, "__dict__", {}).get("components_")
    wanted = _int(getattr(model, "n_components", None))
    if components is None or wanted is None:
        return None
    if np.shape(components)[0] > wanted:
        return f"a {_name(model)} of more components than its n_components"
    return None


def _random_trees_embedding(model: Any) -> str | None:
    """The one-hot encoder of the trees' leaves: each tree's categories are
    leaves of that tree (8,000 categories for a tree of 4 leaves made a
    dense (30000, 8004) output)."""
    problem = member_limits(model)
    if problem is not None:
        return problem
    encoder = getattr(model, "one_hot_encoder_", None)
    trees = getattr(model, "estimators_", None)
    if encoder is None or trees is None:
        return None
    categories = getattr(encoder, "categories_", None)
    problem = "a RandomTreesEmbedding whose encoder's categories are not its leaves"
    if not isinstance(categories, list) or len(categories) != len(trees):
        return problem
    for values, tree in zip(categories, trees, strict=True):
        structure = getattr(tree, "tree_", None)
        left = getattr(structure, "children_left", None)
        values = np.asarray(values)
        if left is None or values.ndim != 1 or not _inside(values, len(left)):
            return problem
        if (np.asarray(left)[values] != -1).any():
            return problem
    return None


def _search(model: Any) -> str | None:
    """A search's scorer is what its ``scoring`` makes, and its best
    parameters one candidate of its grid, set on its best estimator: a
    scorer of a slow metric behind ``scoring="r2"`` (2,600 times as long to
    score), or a ``metric`` named among the best parameters of a grid that
    searched only ``n_neighbors`` (215x at predict), ran what no setting of
    the file asked for."""
    return _search_scorer(model) or _best_params(model)


def _search_scorer(model: Any) -> str | None:
    namespace = getattr(model, "__dict__", {})
    if "scorer_" not in namespace:
        return None
    try:
        from sklearn.metrics._scorer import _MultimetricScorer

        expected, _ = model._get_scorers()
        if isinstance(expected, _MultimetricScorer):
            expected = expected._scorers
    except AttributeError:
        return None  # a release that builds its scorers another way
    except Exception:  # a scoring no release accepts
        expected = None
    if expected is None or not _same_scorer(namespace["scorer_"], expected):
        return f"a {_name(model)} whose scorer_ is not what its scoring makes"
    return None


def _same_scorer(found: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return (
            isinstance(found, dict)
            and found.keys() == expected.keys()
            and all(_same_scorer(found[k], expected[k]) for k in expected)
        )
    if found is expected:
        return True
    if type(found) is not type(expected) or not hasattr(expected, "_score_func"):
        # The search's estimator's own score (a passthrough): of that type.
        return type(found) is type(expected) and _name(found) == "_PassthroughScorer"
    return all(
        same_value(getattr(found, name, None), getattr(expected, name, None))
        for name in ("_score_func", "_sign", "_kwargs", "_response_method")
    )


def _best_params(model: Any) -> str | None:
    namespace = getattr(model, "__dict__", {})
    best = namespace.get("best_params_")
    if best is None:
        return None
    problem = f"a {_name(model)} whose best parameters are not a candidate it searched"
    randomized = "param_distributions" in namespace
    grids = search_grids(
        namespace.get("param_grid", namespace.get("param_distributions"))
    )
    if not isinstance(best, dict) or grids is None:
        return problem
    resource = namespace.get("resource")
    if _name(model).startswith("Halving") and resource != "n_samples":
        # Successive halving sets its resource (say n_estimators) on every
        # candidate, beside the grid's parameters (round 196's false
        # positive); the best estimator is compared with all of them.
        best = {key: value for key, value in best.items() if key != resource}
    if not any(
        isinstance(grid, Mapping) and _candidate_of(best, grid, randomized)
        for grid in grids
    ):
        return problem
    # The best estimator is compared with the estimator the best parameters
    # set (``_members.fitted_members``), every setting of it.
    return None


def _candidate_of(
    best: dict[Any, Any], grid: Mapping[Any, Any], randomized: bool
) -> bool:
    """Whether ``best`` is one candidate of ``grid``: every key of it, each
    value one of its list (any a distribution draws)."""
    if set(best) != set(grid):
        return False
    for key, value in best.items():
        options = grid[key]
        if randomized and grid_options(options) is None:
            continue  # a distribution: any value it draws
        try:
            if not any(same_value(value, option) for option in options):
                return False
        except TypeError:  # not a sequence of options
            return False
    return True


_LINKAGE_FIELDS = (
    ("left_node", np.dtype(np.intp)),
    ("right_node", np.dtype(np.intp)),
    ("value", np.dtype(np.float64)),
    ("cluster_size", np.dtype(np.intp)),
)


def _single_linkage(model: Any) -> str | None:
    """HDBSCAN's single-linkage tree: ``dbscan_clustering`` hands it to
    compiled union-find code that indexes an array of twice its rows with
    each node, unchecked (a left node of 2**40: SIGSEGV). As fit builds it,
    row i merges two nodes made before it (a point, below the point count,
    or the cluster of an earlier row, point count + that row), each merged
    once, and there is one row fewer than the points labelled."""
    tree = getattr(model, "__dict__", {}).get("_single_linkage_tree_")
    if tree is None:
        return None
    problem = f"a {_name(model)} whose single-linkage tree is not one fit builds"
    if (
        not isinstance(tree, np.ndarray)
        or tree.ndim != 1
        or tree.dtype.names is None
        or [(n, tree.dtype.fields[n][0]) for n in tree.dtype.names]
        != list(_LINKAGE_FIELDS)
    ):
        return problem
    points = tree.shape[0] + 1
    labels: Any = getattr(model, "labels_", None)
    if np.shape(labels) != (points,):
        return problem
    made = points + np.arange(tree.shape[0])
    children = np.concatenate([tree["left_node"], tree["right_node"]])
    if (
        (children < 0).any()
        or (children >= np.concatenate([made, made])).any()
        or np.unique(children).size != children.size
    ):
        return problem
    return None


def _birch(model: Any) -> str | None:
    """Birch's subclusters: the compiled nearest-centre search reads one
    precomputed norm per centre, unchecked."""
    centers = getattr(model, "subcluster_centers_", None)
    if centers is None:
        return None
    centers = np.asarray(centers)
    norms = np.asarray(getattr(model, "_subcluster_norms", None))
    labels = np.asarray(getattr(model, "subcluster_labels_", None))
    if (
        centers.ndim != 2
        or centers.shape[1] != _width(model)
        or norms.shape != (centers.shape[0],)
        or norms.dtype.kind != "f"
        or labels.shape != (centers.shape[0],)
    ):
        return "a Birch whose subclusters are not its centres'"
    # Its leaves, one list from the dummy leaf (partial_fit follows it to
    # the end): no leaf twice, each the previous one's next.
    # And they are the tree's leaves, none else: nodes listed outside the
    # tree were clustered by partial_fit (700 over one array of 30 centres:
    # 12 times the memory of an honest file, round 175).
    dummy = getattr(model, "dummy_leaf_", None)
    leaf, previous, seen = dummy, None, set()
    while leaf is not None:
        if id(leaf) in seen or getattr(leaf, "prev_leaf_", None) is not previous:
            return "a Birch whose leaves are not one list"
        seen.add(id(leaf))
        previous, leaf = leaf, getattr(leaf, "next_leaf_", None)
    seen.discard(id(dummy))
    return _cf_tree(model, len(centers), seen)


#: How tall a Birch tree of n subclusters and branching factor b may be:
#: this many times log(n) / log((b + 1) / 2) levels, plus the slack. A split
#: adds a level only once the level below has filled: fits of 100 to 30,000
#: rows, branching factors 2 to 50, reached at most 1.14 times that.
BIRCH_HEIGHT_FACTOR = 2
BIRCH_HEIGHT_SLACK = 2


def _cf_tree(model: Any, subclusters: int, listed: set[int]) -> str | None:
    """Birch's tree, which partial_fit sends each row down, a level at a
    time, comparing it with every subcluster of a node: no node wider than
    the branching factor, no taller than splits of its subclusters could
    grow it, no more nodes than they make (honest fits: at most 3 a
    subcluster). 300 levels of one subcluster above an honest root made
    partial_fit 17 times as slow (round 126). Its leaves are the ``listed``
    ones (ids), the list of leaves partial_fit reads."""
    root = getattr(model, "root_", None)
    if root is None:
        return None if not listed else "a Birch whose listed leaves have no tree"
    width = getattr(model, "branching_factor", None)
    width = (
        int(width)
        if isinstance(width, (int, np.integer)) and not isinstance(width, bool)
        else 2
    )
    width = max(width, 2)
    most = BIRCH_HEIGHT_SLACK + int(
        BIRCH_HEIGHT_FACTOR * math.log(max(subclusters, 2)) / math.log((width + 1) / 2)
    )
    level, height, nodes, leaves = [root], 1, 0, set()
    while level:
        below = []
        for node in level:
            parts = getattr(node, "subclusters_", None)
            if not isinstance(parts, list) or len(parts) > width:
                return "a Birch tree whose nodes are wider than its branching factor"
            nodes += 1
            if not getattr(node, "is_leaf", True):
                below += [getattr(part, "child_", None) for part in parts]
            else:
                leaves.add(id(node))
        if any(node is None for node in below):
            return "a Birch tree whose nodes lack their children"
        level = below
        height += bool(below)
        if height > most or nodes > 6 * subclusters + 64:
            return (
                f"a Birch tree taller than {most} levels or of more nodes than its "
                f"{subclusters} subclusters make"
            )
    if leaves != listed:
        return "a Birch whose list of leaves is not its tree's leaves"
    return None


def _multilabel_binarizer(model: Any) -> str | None:
    """The cached label -> column mapping: each column once, inside the
    output (scipy builds the matrix from these indices unchecked)."""
    cached = getattr(model, "_cached_dict", None)
    if cached is None:
        return None
    classes = getattr(model, "classes_", None)
    if (
        not isinstance(cached, Mapping)
        or classes is None
        or (len(cached) != len(classes))
    ):
        return "a MultiLabelBinarizer whose cache is not its classes'"
    return _vocabulary(model, size=len(cached), vocabulary=cached)


_NEIGHBORS = (
    "_classification.KNeighborsClassifier",
    "_classification.RadiusNeighborsClassifier",
    "_regression.KNeighborsRegressor",
    "_regression.RadiusNeighborsRegressor",
    "_graph.KNeighborsTransformer",
    "_graph.RadiusNeighborsTransformer",
    "_unsupervised.NearestNeighbors",
    "_lof.LocalOutlierFactor",
)


def _tree_distance(model: Any, tree: Any, metric: Any, params: Any) -> str | None:
    """A neighbours tree measures with a distance of its own, the one its
    estimator's metric and parameters make (round 85: a Mahalanobis tree
    behind a Euclidean model cost 6.7 times, one of a subnormal matrix 8.6
    to 25 times, its numbers in no parameter the checks read). A metric
    that makes no distance (a Python function) needs the caller's trust."""
    from sklearn.metrics import DistanceMetric

    held = tree.__getstate__()[11]
    if isinstance(metric, DistanceMetric):
        expected = metric
    else:
        try:
            expected = DistanceMetric.get_metric(metric, **(params or {}))
        except Exception:  # not a distance scikit-learn names
            return None
    found, wanted = held.__getstate__()[:3], expected.__getstate__()[:3]
    if distance_name(held) != distance_name(expected) or not all(
        np.array_equal(np.asarray(a), np.asarray(b))
        for a, b in zip(found, wanted, strict=True)
    ):
        return f"a {_name(model)} whose tree measures another distance than its metric"
    return None


def _density(model: Any) -> str | None:
    """A kernel density's tree is the one its ``algorithm`` names (under
    ``"auto"`` a KD tree where its metric allows one), built with its
    ``leaf_size``, and measures its metric (:func:`_tree_distance`)."""
    tree = getattr(model, "__dict__", {}).get("tree_")
    if tree is None or not hasattr(tree, "__getstate__"):
        return None
    from sklearn.neighbors import KDTree

    algorithm, metric = getattr(model, "algorithm", None), model.metric
    if algorithm == "auto":
        kd = isinstance(metric, str) and metric in KDTree.valid_metrics
        algorithm = "kd_tree" if kd else "ball_tree"
    kind = _SEARCH_TREES.get(algorithm) if isinstance(algorithm, str) else None
    if kind is None or type(tree).__name__ != kind:
        return f"a {_name(model)} whose tree is not its algorithm's"
    return _leaf_size(model, tree) or _tree_distance(
        model, tree, metric, getattr(model, "metric_params", None)
    )


def distance_name(metric: Any) -> str:
    """A ``DistanceMetric``'s class name without its float width
    (``EuclideanDistance`` of ``EuclideanDistance64`` and ``...32``)."""
    return type(metric).__name__.rstrip("0123456789")


def distance_width(metric: Any, width: int) -> str | None:
    """What is wrong with a ``DistanceMetric`` its compiled distances use on
    rows of ``width`` values (its weights and matrix are of that width)."""
    name = distance_name(metric)
    _, vec, mat = (np.asarray(s) for s in metric.__getstate__()[:3])
    if (
        (name == "MahalanobisDistance" and mat.shape != (width, width))
        or (name == "SEuclideanDistance" and vec.shape != (width,))
        or (name == "MinkowskiDistance" and vec.shape not in ((0,), (width,)))
        or (name == "HaversineDistance" and width != 2)
    ):
        return "is not of its data's width"
    return None


def _response_names(value: Any) -> bool:
    names = [value] if isinstance(value, str) else value
    return (
        isinstance(names, (list, tuple))
        and len(names) > 0
        and all(isinstance(n, str) and n in RESPONSE_METHODS for n in names)
    )


def _stacking(model: Any) -> str | None:
    methods = getattr(model, "stack_method_", None)
    estimators = getattr(model, "estimators_", None)
    if methods is None:
        return None
    if not (
        isinstance(methods, list)
        and isinstance(estimators, list)
        and len(methods) == len(estimators)
        and all(
            (m == "drop" and e == "drop") or _response_names(m)
            for m, e in zip(methods, estimators, strict=True)
        )
    ):
        return f"a {_name(model)} whose stacked methods are not predictions"
    # The final estimator is fitted on the stack's encoded labels: its
    # classes are as many as the stack's.
    final = model.__dict__.get("final_estimator_")
    classes = model.__dict__.get("classes_")
    own = getattr(final, "__dict__", {}).get("classes_")
    if (
        isinstance(classes, np.ndarray)
        and isinstance(own, np.ndarray)
        and own.ndim == 1
        and classes.ndim == 1
        and len(own) > len(classes)
    ):
        return f"a {_name(model)} whose final estimator has more classes than it"
    return None


def _chain(model: Any) -> str | None:
    """A chain calls a prediction method, and reorders its outputs by
    ``order_``: a permutation of its members (200,000 positions asked
    numpy for 48 GB)."""
    method = getattr(model, "chain_method_", "predict")
    if not _response_names(method):
        return f"a {_name(model)} whose chained method is not a prediction"
    order = model.__dict__.get("order_")
    members = model.__dict__.get("estimators_")
    if order is not None and isinstance(members, list):
        order = np.asarray(order) if isinstance(order, list) else order
        if not _distinct(order, len(members)) or len(order) != len(members):
            return f"a {_name(model)} whose order is not of its members"
    return None


def _transformer_weights(model: Any) -> str | None:
    """A union's or column transformer's weights multiply each transformer's
    output: a number each (an array broadcast one column of 30,000 rows to
    10,000)."""
    weights = getattr(model, "transformer_weights", None)
    if weights is None:
        return None
    if not isinstance(weights, Mapping) or not all(
        isinstance(w, (int, float, np.integer, np.floating))
        and not isinstance(w, (bool, np.bool_))
        for w in weights.values()
    ):
        return f"a {_name(model)} whose transformer weights are not numbers"
    return None


def _target_transformer(model: Any) -> str | None:
    """A target regressor's transformer is fitted on the target as a table
    (one column for a one-dimensional target), and records its width: a
    target transformer fitted on a one-dimensional target maps the
    regressor's output back to one column (a PCA of 10,000 targets behind
    a one-output regressor made 10,000 columns)."""
    namespace = model.__dict__
    transformer = namespace.get("transformer_")
    if transformer is None:
        return None
    width = getattr(transformer, "__dict__", {}).get("n_features_in_")
    if namespace.get("_training_dim") not in (1, 2) or _int(width) is None:
        # Round 69: without them the regressor's outputs went unbounded.
        return f"a {_name(model)} whose target's dimensions are not what fit records"
    if namespace["_training_dim"] == 1 and width != 1:
        return f"a {_name(model)} whose target transformer is not of one target"
    return None


def _scorer(scorer: Any) -> str | None:
    """A scorer calls its metric with its stored keywords on the data
    ``score`` is given: a metric like a hyper-parameter, public and not
    compiled (a private k-means driver with a (1, 1) centre array wrote past
    it), and keywords that hold no other function."""
    method = getattr(scorer, "_response_method", None)
    if method is not None and not _response_names(method):
        return "a scorer whose response method is not a prediction"
    problem = _callable_parameter(getattr(scorer, "_score_func", None))
    if problem is not None:
        return f"a scorer whose metric is {problem}"
    keywords = getattr(scorer, "_kwargs", None) or {}
    problem = _arguments((), keywords, function=getattr(scorer, "_score_func", None))
    if problem is not None:
        return f"a scorer whose keywords hold {problem}"
    return None


def _member_count(model: Any) -> str | None:
    """One-vs-rest fits a member a class (one for two classes), one-vs-one a
    member a pair of classes, output codes a member a column of the code
    book, ``int(classes * code_size)`` of them: each member is a column of
    rows at predict, so their count is the classes', not the file's."""
    members = model.__dict__.get("estimators_")
    classes = model.__dict__.get("classes_")
    if members is None or classes is None:
        return None
    count = np.size(classes) if isinstance(classes, np.ndarray) else None
    kind = _name(model)
    if count is None or not isinstance(members, (list, tuple)):
        return f"a {kind} whose members are not a list beside its classes"
    if kind == "OneVsRestClassifier":
        expected = {count, 1} if count == 2 else {count}
    elif kind == "OneVsOneClassifier":
        expected = {count * (count - 1) // 2}
    else:  # OutputCodeClassifier
        book = model.__dict__.get("code_book_")
        size = getattr(model, "code_size", None)
        if not isinstance(book, np.ndarray) or book.ndim != 2:
            return f"a {kind} whose code book is not a table"
        size = _real(size)
        if size is None:
            return f"a {kind} whose code size is not a number"
        expected = {book.shape[1]} if book.shape[1] == int(count * size) else set()
    if len(members) not in expected:
        return f"a {kind} with {len(members)} members for {count} classes"
    return None


def _binary_members(model: Any) -> str | None:
    """One-vs-rest and one-vs-one fit each member on two classes, and read
    one column of decision from each (one-vs-rest takes the positions of
    positive decisions as rows): a member with more classes decides wider."""
    problem = _member_count(model)
    if problem is not None:
        return problem
    for member in getattr(model, "estimators_", None) or []:
        classes = getattr(member, "classes_", None)
        if classes is not None and len(np.atleast_1d(np.asarray(classes))) > 2:
            return f"a {_name(model)} whose member has more than two classes"
        if _decision_width(member) not in (None, 1):
            # A nested one-vs-rest of two classes and 400 members decided
            # 400 columns: their positions wrote past an (n, 2) matrix.
            return f"a {_name(model)} whose member decides more than one column"
        # A label column fit saw one value of: a constant, repeated a row.
        if type(member).__name__ == "_ConstantPredictor" and (
            np.size(np.asarray(getattr(member, "y_", None))) != 1
        ):
            return f"a {_name(model)} whose constant member is not one value"
    return None


def _constant_predictor(model: Any) -> str | None:
    """A member fitted on a label column of one value predicts it for every
    row (``np.repeat(y_, rows)``): one value, not a column of them."""
    if np.size(np.asarray(model.__dict__.get("y_"))) != 1:
        return f"a {_name(model)} whose constant is not one value"
    return None


def _decision_width(member: Any, depth: int = 0) -> int | None:
    """How many columns a member's ``decision_function`` gives, where its
    state says (a linear model's coefficient rows, a one-vs-rest's members),
    through what hands the call on (pipelines, searches, a self-training or
    stacking model's estimator, bagging's members); None when it has none
    to say, and 0 past a nesting no fit makes (refused: a binary
    one-vs-rest over nine pipelines, or over a bagging, of a one-vs-rest
    of two members decided two columns and crashed predict)."""
    if depth > 8:
        return 0
    if _is_pipeline(member):
        return _decision_width(_final_step(member), depth + 1)
    namespace = getattr(member, "__dict__", {})
    kind = type(member).__name__
    if kind in ("BaggingClassifier", "BaggingRegressor"):
        members = namespace.get("estimators_")
        if not isinstance(members, list):
            return None
        widths = {_decision_width(m, depth + 1) for m in members}
        return widths.pop() if len(widths) == 1 else 0
    for name in ("best_estimator_", "final_estimator_", "estimator_"):
        inner = namespace.get(name)
        if inner is not None and kind not in ("AdaBoostClassifier",):
            return _decision_width(inner, depth + 1)
    if kind in ("OneVsRestClassifier", "OneVsOneClassifier"):
        # Two classes: one member (one-vs-rest), one pair (one-vs-one).
        members = namespace.get("estimators_")
        return None if members is None else len(members)
    coef = namespace.get("coef_")
    shape = tuple(getattr(coef, "shape", ()))
    return shape[0] if len(shape) == 2 else None


def _bagging(model: Any) -> str | None:
    """Bagging and isolation forests hand each member the columns its
    feature subset picks (isolation trees unchecked, ``check_input=False``):
    positions in the model's width, as many as the member is wide; and
    their feature count is at most that width; their trees are held to
    the depth it gives them (:func:`member_limits`)."""
    problem = member_limits(model)
    if problem is not None:
        return problem
    members = getattr(model, "estimators_", None)
    subsets = getattr(model, "estimators_features_", None)
    if members is None or subsets is None:
        return None
    width = _width(model)
    problem = f"a {_name(model)} whose members' features are not its own"
    count = getattr(model, "_max_features", None)
    if count is not None and (
        not isinstance(count, (int, np.integer))
        or isinstance(count, bool)
        or width is None
        or not 1 <= count <= width
    ):
        # It sizes a chunk of rows (an isolation forest's scoring: one row a
        # chunk, each over every tree, when it claims 2**40 features).
        return f"a {_name(model)} whose feature count is not of its width"
    if (
        width is None
        or not isinstance(members, list)
        or not isinstance(subsets, list)
        or len(members) != len(subsets)
    ):
        return problem
    for member, subset in zip(members, subsets, strict=True):
        subset = np.asarray(subset)
        if subset.ndim != 1 or not _inside(subset, width):
            return problem
        if _width(member) not in (None, len(subset)):
            return problem
        # A member gets as many columns as the feature count (drawn with or
        # without replacement): one column repeated N times is a (rows, N)
        # copy at predict.
        if len(subset) > width if count is None else len(subset) != count:
            return problem
    return None


def _calibrated(model: Any) -> str | None:
    """A calibrated classifier's members (plain objects, not estimators)
    each allocate (rows, their class count) at predict and keep one
    calibrator a class (one for two classes): their classes are its own."""
    members = getattr(model, "calibrated_classifiers_", None)
    classes = getattr(model, "classes_", None)
    if members is None or classes is None:
        return None
    problem = f"a {_name(model)} whose calibrated members are not of its classes"
    classes = np.asarray(classes)
    if not isinstance(members, list) or classes.ndim != 1:
        return problem
    count = len(classes)
    method = getattr(model, "method", None)
    # Temperature scaling keeps one calibrator for all the classes.
    single = method == "temperature"
    calibrator = _calibrator_of(method)
    given = getattr(model, "estimator", None)
    for member in members:
        # Each member's classifier a fit of the estimator parameter (a brute
        # neighbours model with a Python metric behind a logistic
        # regression: 470x), or that estimator itself, fitted before.
        inner = getattr(member, "estimator", None)
        if given is None:
            if _name(inner) != "LinearSVC":
                return f"a {_name(model)} whose members are not of its estimator"
        elif _name(given) == "FrozenEstimator":
            # A frozen estimator is its own clone: every member holds it,
            # and fit refuses one of other classes than the data's (one of
            # 3,000 behind two made predict_proba 1,500 times as long).
            if inner is not given:
                return f"a {_name(model)} whose members are not of its estimator"
            held = np.asarray(getattr(given, "classes_", None))
            if held.shape != classes.shape or not np.array_equal(held, classes):
                return problem
        elif inner is not given and not same_settings(
            inner, given, random_states=False
        ):
            return f"a {_name(model)} whose members are not of its estimator"
        own = getattr(member, "classes", None)
        calibrators = getattr(member, "calibrators", None)
        if (
            not isinstance(own, np.ndarray)
            or own.shape != classes.shape
            or own.dtype != classes.dtype
            or not np.array_equal(own, classes)
            or not isinstance(calibrators, list)
            or len(calibrators) != (1 if count == 2 or single else count)
        ):
            return problem
        # Each calibrator what the method fits (a stacking regressor over a
        # neighbours model of a Python metric behind method="sigmoid" took
        # predict_proba 6,600 times as long; a dummy of 12,000 outputs asked
        # 2.7 GB).
        if calibrator is None or getattr(member, "method", None) != method:
            return f"a {_name(model)} whose members do not calibrate by its method"
        if not all(
            type(one) is type(calibrator) and same_settings(one, calibrator)
            for one in calibrators
        ):
            return f"a {_name(model)} whose calibrators are not what its method fits"
    return None


def _calibrator_of(method: Any) -> Any:
    """The calibrator a calibration ``method`` fits, unfitted; None for a
    method no release has."""
    from sklearn import calibration
    from sklearn.isotonic import IsotonicRegression

    if method == "isotonic":
        return IsotonicRegression(out_of_bounds="clip")
    kind = {"sigmoid": "_SigmoidCalibration", "temperature": "_TemperatureScaling"}
    name = kind.get(method) if isinstance(method, str) else None
    found = getattr(calibration, name, None) if name is not None else None
    return found() if isinstance(found, type) else None


def _network(model: Any) -> str | None:
    """A network's hidden layers are as wide as ``hidden_layer_sizes`` says
    (predict allocates a (rows, width) activation a layer), and as many."""
    coefs = getattr(model, "coefs_", None)
    if coefs is None:
        return None
    sizes = getattr(model, "hidden_layer_sizes", None)
    hidden = [sizes] if isinstance(sizes, (int, np.integer)) else sizes
    problem = f"a {_name(model)} whose layers are not its hidden_layer_sizes"
    intercepts = model.__dict__.get("intercepts_")
    if not all(isinstance(v, list) for v in (coefs, intercepts)) or not isinstance(
        hidden, (list, tuple)
    ):
        return problem  # fit makes lists of layers
    if (
        len(coefs) != len(hidden) + 1
        or model.__dict__.get("n_layers_") != len(coefs) + 1
    ):
        return problem
    for layers in (coefs, intercepts):
        if len({id(layer) for layer in layers}) != len(layers):
            # Fit makes every layer its own array: one array as many layers
            # is a deep network the file did not pay for.
            return f"a {_name(model)} whose layers are one array over and over"
    for layer, width in zip(coefs, hidden, strict=False):
        if not isinstance(layer, np.ndarray) or layer.ndim != 2:
            return problem
        if layer.shape[1] != width:
            return problem
    # The output layer: as wide as the outputs, a classifier's at most its
    # classes (one for two, one a label); every layer fed by the one before.
    last = coefs[-1]
    outputs = model.__dict__.get("n_outputs_")
    classes = model.__dict__.get("classes_")
    if (
        not isinstance(last, np.ndarray)
        or last.ndim != 2
        or _int(outputs) is None
        or last.shape[1] != outputs
        or (classes is not None and not 1 <= outputs <= max(np.size(classes), 1))
    ):
        return f"a {_name(model)} whose output layer is not its outputs"
    if any(
        not isinstance(before, np.ndarray)
        or not isinstance(after, np.ndarray)
        or before.ndim != 2
        or after.ndim != 2
        or before.shape[1] != after.shape[0]
        for before, after in itertools.pairwise(coefs)
    ):
        return problem
    return None


def _projection(model: Any) -> str | None:
    """A random projection's output width is the ``n_components`` asked
    for, when it is a number (a sparse matrix of no entries declares any
    shape, and transform's output is that wide)."""
    asked = getattr(model, "n_components", None)
    made = model.__dict__.get("n_components_")
    if isinstance(asked, (int, np.integer)) and made is not None and made != asked:
        return f"a {_name(model)} whose n_components_ is not its n_components"
    return None


def _discriminant(model: Any) -> str | None:
    """Linear discriminant analysis projects on at most as many axes as the
    data has columns, and keeps at most one fewer than its classes."""
    width = _width(model)
    shape = getattr(model.__dict__.get("scalings_"), "shape", None)
    if isinstance(shape, tuple) and shape and width is not None and shape[-1] > width:
        return f"a {_name(model)} whose scalings_ is wider than its data"
    most = model.__dict__.get("_max_components")
    classes = model.__dict__.get("classes_")
    if most is None or classes is None or width is None:
        return None
    if not isinstance(most, (int, np.integer)) or not (
        0 <= most <= min(len(classes) - 1, width)
    ):
        return f"a {_name(model)} whose component count is not of its classes"
    return None


def _target_encoder(model: Any) -> str | None:
    """A target encoder's output is one column per feature and class (one
    a feature but for several classes): transform allocates that width and
    fills it from ``encodings_``, one per column."""
    encodings = model.__dict__.get("encodings_")
    width = _width(model)
    if encodings is None or width is None:
        return None
    columns = width
    if model.__dict__.get("target_type_") == "multiclass":
        classes = np.asarray(model.__dict__.get("classes_"))
        mean = np.asarray(model.__dict__.get("target_mean_"))
        if classes.ndim != 1 or mean.shape != classes.shape:
            return f"a {_name(model)} whose classes are not its target means"
        columns = width * len(classes)
    if not isinstance(encodings, list) or len(encodings) != columns:
        return f"a {_name(model)} whose encodings are not one a column"
    # transform codes each value by its feature's categories (numbers by
    # np.searchsorted, as a one-hot encoder does, round 88), then reads the
    # code's encoding: categories in order, an encoding a category.
    categories = model.__dict__.get("categories_")
    if not isinstance(categories, list) or len(categories) != width:
        return f"a {_name(model)} whose categories are not one a feature"
    per_feature = columns // width
    for index, encoding in enumerate(encodings):
        values = categories[index // per_feature]
        if np.shape(encoding) != (len(values),):
            return f"a {_name(model)} whose encodings are not one a category"
    for values in categories:
        if not once(values, "categories", _in_order):
            return f"a {_name(model)} whose categories are not in order"
    return None


def _bins(model: Any) -> str | None:
    """A discretizer makes at most the bins asked for (a feature of fewer
    distinct values gets fewer), each with its edges, and one-hot encodes
    them into as many columns."""
    counts = model.__dict__.get("n_bins_")
    edges = model.__dict__.get("bin_edges_")
    asked = np.asarray(getattr(model, "n_bins", None))
    width = _width(model)
    if counts is None or edges is None or width is None:
        return None
    problem = f"a {_name(model)} whose bins are not the ones it asked for"
    counts = np.asarray(counts)
    if (
        counts.shape != (width,)
        or counts.dtype.kind not in "iu"
        or asked.dtype.kind not in "iu"
        or asked.ndim > 1
        or np.any(counts > asked)
        or np.shape(edges) != (width,)
    ):
        return problem
    for count, edge in zip(counts, edges, strict=True):
        if np.shape(edge) != (int(count) + 1,):
            return problem
    encoder = model.__dict__.get("_encoder")
    categories = getattr(encoder, "categories_", None) if encoder is not None else None
    if categories is not None and (
        not isinstance(categories, list)
        or [np.shape(c) for c in categories] != [(int(n),) for n in counts]
    ):
        return problem
    return None


def _increasing(index: Any, bound: int) -> bool:
    """Whether ``index`` is a 1-D integer array of distinct positions in
    ``0..bound-1``, in order: each column once, so a copy of the columns it
    names is at most as wide as the data."""
    return (
        isinstance(index, np.ndarray)
        and index.ndim == 1
        and _inside(index, bound)
        and _ascending(index)
    )


def _selects(columns: np.ndarray, width: int) -> bool:
    """Integer columns of ``width``, negative from the end, each once."""
    extent = _extent(columns)
    if extent is not None and (extent[0] < -width or extent[1] >= width):
        return False
    return _distinct(columns % width, width)


def _distinct(index: Any, bound: int) -> bool:
    """Whether ``index`` is a 1-D integer array of distinct positions in
    ``0..bound-1``, in any order (read once per array and bound: the sorted
    copy is the check's own, so the memo is keyed by the array held)."""
    return (
        isinstance(index, np.ndarray)
        and index.dtype.kind in "iu"
        and once(
            index, f"distinct in {bound}", lambda a: _increasing(np.sort(a), bound)
        )
    )


def _iterative_imputer(model: Any) -> str | None:
    """An iterative imputer's rounds: each predicts a column of the data from
    other columns, each once, by a model of that many columns (transform
    copies the named columns of every row with a missing value); no more
    rounds than its iterations over the data's columns."""
    sequence = model.__dict__.get("imputation_sequence_")
    if sequence is None:
        return None
    width = _width(model)
    iterations = _int(model.__dict__.get("n_iter_"))
    most = _int(getattr(model, "max_iter", None))
    if (
        width is None
        or iterations is None
        or most is None
        # n_iter_ is the file's: the iterations run, at most max_iter (900
        # rounds of each column behind max_iter=3: 118x at transform).
        or not 0 <= iterations <= most
        or not isinstance(sequence, list)
        or len(sequence) > iterations * width
    ):
        return f"a {_name(model)} whose rounds are not its iterations over its data"
    for step in sequence:
        if not (isinstance(step, tuple) and len(step) == 3):
            return f"a {_name(model)} whose rounds are not its iterations over its data"
        feature, others, estimator = step
        column = _int(feature)
        if column is None or not 0 <= column < width:
            return f"a {_name(model)} that imputes a column outside its data"
        if not _distinct(others, width) or column in once(others, "set", _as_set):
            return f"a {_name(model)} that imputes from columns outside its data"
        if _width(estimator) not in (None, len(others)):
            return f"a {_name(model)} whose models are not of their columns"
        template = model.__dict__.get("_estimator")
        if template is None or not same_settings(
            estimator, template, random_states=False
        ):
            # Each round fits a clone of the estimator: a round of other
            # settings (a neighbours model asking every row, or a Python
            # metric) runs at every transform behind the settings shown.
            return f"a {_name(model)} whose rounds are not fits of its estimator"
    for name in ("_min_value", "_max_value"):
        bound = model.__dict__.get(name)
        if bound is not None and np.shape(bound) != (width,):
            return f"a {_name(model)} whose {name} is not one per column"
    return None


def _as_set(values: Any) -> frozenset[Any]:
    return frozenset(np.asarray(values).tolist())


def _isotonic(model: Any) -> str | None:
    """Isotonic thresholds strictly increase, as fit leaves them (restoring
    a model of one threshold builds ``lambda x: y.repeat(x.shape)``, which
    the outputs' rank and length, in the shapes table, keep to a value a
    row)."""
    thresholds = model.__dict__.get("X_thresholds_")
    if thresholds is None:
        return None
    if not (
        isinstance(thresholds, np.ndarray)
        and thresholds.ndim == 1
        and thresholds.dtype.kind == "f"
        and _ascending(thresholds)
    ):
        return f"a {_name(model)} whose thresholds do not increase"
    return None


def _missing_indicator(model: Any) -> str | None:
    """A missing indicator's features are columns of the data, each once:
    transform copies its mask's columns at those positions."""
    features = model.__dict__.get("features_")
    if features is None:
        return None
    count = _int(model.__dict__.get("_n_features"))
    width = _width(model)
    if count is None or (width is not None and count != width):
        return f"a {_name(model)} whose feature count is not its width"
    if not _increasing(features, count):
        return f"a {_name(model)} whose features are not columns of its data"
    return None


def _one_vs_one(model: Any) -> str | None:
    """One-vs-one's members, and for a pairwise (precomputed kernel) model
    the training columns each pair reads: distinct columns of the data, a
    pair's two classes' rows, so ``predict`` copies at most ``classes - 1``
    times the data."""
    problem = _binary_members(model)
    indices = model.__dict__.get("pairwise_indices_")
    if problem is not None or indices is None:
        return problem
    members = model.__dict__.get("estimators_")
    classes = model.__dict__.get("classes_")
    width = _width(model)
    problem = f"a {_name(model)} whose pairwise indices are not its training rows"
    if (
        width is None
        or not isinstance(indices, (list, tuple))
        or not isinstance(members, (list, tuple))
        or len(indices) != len(members)
        or not all(_increasing(index, width) for index in indices)
    ):
        return problem
    if sum(len(index) for index in indices) > max(np.size(classes) - 1, 1) * width:
        return problem
    return None


def _cross_decomposition(model: Any) -> str | None:
    """PLS, CCA and PLSSVD learn at most one component a column of the data
    (more is an error): their weights, rotations and loadings have a column
    a component, and transform's output as many."""
    width = _width(model)
    if width is None:
        return None
    for name in _CROSS_DECOMPOSITION:
        shape = getattr(model.__dict__.get(name), "shape", None)
        if isinstance(shape, tuple) and len(shape) == 2 and shape[1] > width:
            return f"a {_name(model)} with more components than its data's width"
    return None


_CROSS_DECOMPOSITION = tuple(
    f"{side}_{kind}_"
    for side in "xy"
    for kind in ("weights", "rotations", "loadings", "scores")
)


def _kernel_pca(model: Any) -> str | None:
    """Kernel PCA keeps at most one component a training row (each an
    output column at transform)."""
    vectors = model.__dict__.get("eigenvectors_")
    shape = getattr(vectors, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2 and shape[1] > shape[0]:
        return f"a {_name(model)} with more components than training rows"
    # inverse_transform computes kernel(X, X_transformed_fit_) @ dual_coef_:
    # fit makes the first the training rows' components, the second one row
    # of the input's width a training row (one row against 20,000 columns
    # asked 4.5 GiB of 30,000 rows from a 75 KB file, round 103).
    transformed = model.__dict__.get("X_transformed_fit_")
    dual = model.__dict__.get("dual_coef_")
    if transformed is None and dual is None:
        return None
    rows = np.shape(transformed)
    if (
        not isinstance(shape, tuple)
        or rows != shape
        or np.shape(dual) != (shape[0], _width(model))
    ):
        return f"a {_name(model)} whose inverse transform is not of its training rows"
    return None


def _column_selection(columns: Any, width: int) -> int | None:
    """How many columns of data ``width`` wide a column transformer's
    selection takes, where it names each at most once: a position, a name,
    a slice, a mask as wide as the data, or a list of distinct positions
    or names; None for any other selection."""
    if isinstance(columns, slice):
        bounds = (columns.start, columns.stop, columns.step)
        if all(_int(b) is not None or b is None for b in bounds) and columns.step != 0:
            return len(range(width)[columns])
        return width  # a slice of names: at most every column
    if isinstance(columns, str):
        return 1
    if _int(columns) is not None:
        return 1 if -width <= int(columns) < width else None
    if isinstance(columns, (list, tuple)):
        if not columns:
            return 0
        if all(isinstance(c, str) for c in columns):
            return len(columns) if len(set(columns)) == len(columns) else None
        if all(isinstance(c, (bool, np.bool_)) for c in columns):
            columns = np.asarray(columns, dtype=bool)  # a mask (the remainder's)
        elif all(_int(c) is not None for c in columns):
            columns = np.asarray(columns, dtype=np.int64)
        else:
            return None
    if not isinstance(columns, np.ndarray) or columns.ndim != 1:
        return None
    if columns.dtype.kind == "b":
        return int(columns.sum()) if len(columns) == width else None
    if columns.dtype.kind in "iu":
        distinct = once(columns, f"columns of {width}", lambda c: _selects(c, width))
        return len(columns) if distinct else None
    if columns.dtype.kind in "OU":
        names = [str(c) for c in columns]
        named = all(isinstance(c, str) for c in columns)
        return len(names) if named and len(set(names)) == len(names) else None
    return None


def _column_transformer(model: Any) -> str | None:
    """A column transformer copies the columns each of its transformers
    selects (by position, or by name for a data frame) at transform: each
    selection names each column at most once, and the transformers are
    those of its parameters (and the remainder), each once."""
    problem = _feature_name_format(model) or _transformer_weights(model)
    fitted = model.__dict__.get("transformers_")
    width = _width(model)
    if problem is not None or fitted is None or width is None:
        return problem
    problem = f"a {_name(model)} whose column selections are not of its data"
    asked = getattr(model, "transformers", None)
    if not isinstance(fitted, list) or not isinstance(asked, list):
        return problem
    names = [e[0] if isinstance(e, tuple) and len(e) == 3 else None for e in fitted]
    allowed = {e[0] for e in asked if isinstance(e, tuple) and e} | {"remainder"}
    if len(set(names)) != len(names) or not set(names) <= allowed:
        return problem
    if any(_column_selection(entry[2], width) is None for entry in fitted):
        return problem
    templates = {e[0]: e[1] for e in asked if isinstance(e, tuple) and len(e) >= 2}
    templates["remainder"] = getattr(model, "remainder", "drop")
    for name, transformer, _ in fitted:
        # Each fitted transformer a fit of a clone of its parameter (a
        # PolynomialFeatures of degree 8 behind degree=2: MemoryError), or
        # what fit makes of "drop" and "passthrough" (a neighbours
        # transformer of a Python metric behind "passthrough": past 60 s).
        template = templates.get(name)
        if not (
            same_settings(transformer, template, random_states=False)
            if hasattr(template, "get_params")
            else _fitted_as(transformer, template)
        ):
            return (
                f"a {_name(model)} whose fitted transformer {str(name)[:40]!r} is "
                "not a fit of its parameter"
            )
    positions = model.__dict__.get("_transformer_to_input_indices")
    if positions is not None:
        if not isinstance(positions, dict):
            return problem
        for index in positions.values():
            # Positions in the order the selection named them.
            if isinstance(index, list):
                if not all(_int(i) is not None for i in index):
                    return problem
                index = np.asarray(index, dtype=np.int64)
            if not isinstance(index, np.ndarray) or not (
                index.size == 0 or _distinct(index, width)
            ):
                return problem
    return _dense_where_sparse(model)


def _dense_where_sparse(model: Any) -> str | None:
    """Fit makes a column transformer's output sparse where its density (a
    sparse block's stored entries, a dense block's every cell) is below
    ``sparse_threshold``, and transform makes every block dense where it
    is not. Where the most entries each block can store a row bound the
    density below the threshold, no fit made the output dense (round 71:
    the flag turned off made a one-hot column of 5,000 categories 30,000 x
    5,003 dense, 800 times as long; rounds 72-73: the same through a
    pipeline, a scaler after the encoder, a feature union, a nested column
    transformer, a binner, a neighbours graph, a trees embedding, a sparse
    spline, and with the recorded column positions deleted).

    The bound is an upper one, so every block is followed step by step as
    its transform makes its output (:func:`_block_extent`): a block counted
    fuller than it is would let the flag through. A transformer no rule
    there names counts as full: scikit-learn's others make dense outputs,
    except text and hashing blocks and radius neighbours graphs, full for
    want of a bound (a fit on long documents stores most of a vocabulary's
    columns, one of a wide radius most of its rows)."""
    namespace = model.__dict__
    threshold = getattr(model, "sparse_threshold", None)
    threshold = _real(threshold)
    if truth(namespace.get("sparse_output_")) is True or threshold is None:
        return None
    width, stored = _blocks_extent(model)
    if width > 0 and stored / width < threshold:
        return f"a {_name(model)} whose output is dense where its fit makes it sparse"
    return None


def _blocks_extent(model: Any) -> tuple[int, int]:
    """A fitted column transformer's blocks together: their columns and the
    most entries they store a row, each block fed the columns it selects."""
    namespace = model.__dict__
    width = _width(model) or 0
    positions = namespace.get("_transformer_to_input_indices")
    total = stored = 0
    for name, transformer, columns in namespace.get("transformers_") or ():
        selected = _column_selection(columns, width)
        if selected is None:  # refused by the model's own check
            selected = width
        if isinstance(positions, dict) and isinstance(
            positions.get(name), (list, np.ndarray)
        ):
            selected = min(selected, len(positions[name]))
        columns_out, entries = _block_extent(transformer, selected, selected)
        total += columns_out
        stored += min(columns_out, entries)
    return total, stored


def _block_extent(transformer: Any, width: int, entries: int) -> tuple[int, int]:
    """The columns a fitted transformer outputs and the most entries it
    stores a row, fed ``width`` columns of at most ``entries`` a row: a
    one-hot encoder one a feature (a binner's and a trees embedding's
    through theirs), a neighbours graph its neighbours and the row, a
    sparse spline a few a feature, a sparse random projection the
    components each entry meets, a pipeline step after step, a union and
    a nested column transformer their parts together; a step that keeps
    zeros (a scaler without centring, a normaliser, a selector) keeps the
    entries it is fed, and a dense output stores every column. A block of
    no width its state says counts as wide as its input, and full."""
    if isinstance(transformer, str):
        return (0, 0) if transformer == "drop" else (width, entries)
    kind, held = _name(transformer), getattr(transformer, "__dict__", {})
    if kind == "Pipeline":
        for step in held.get("steps") or ():
            if isinstance(step, tuple) and len(step) == 2 and step[1] is not None:
                width, entries = _block_extent(step[1], width, entries)
        return width, entries
    if kind == "FeatureUnion":
        parts = [
            _block_extent(part[1], width, entries)
            for part in held.get("transformer_list") or ()
            if isinstance(part, tuple) and len(part) == 2
        ]
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    if kind == "ColumnTransformer":
        columns, stored = _blocks_extent(transformer)
        dense = truth(held.get("sparse_output_")) is False
        return columns, columns if dense else stored
    if kind in _KEEPS_ZEROS or _one_to_one(transformer, ("func",)):
        return width, entries
    if kind == "SimpleImputer":  # its columns, and their missing indicator's
        times = 1 if truth(held.get("add_indicator")) is False else 2
        return width * times, entries * times
    out = _block_width(transformer)
    if out is None:
        return width, width
    return out, _row_entries(transformer, out, entries)


#: Transformers whose output has at most the entries a row its input has
#: (zeros stay zeros, or columns are dropped), at most as many columns.
_KEEPS_ZEROS = frozenset(
    {
        "VarianceThreshold",
        "SelectKBest",
        "SelectPercentile",
        "SelectFpr",
        "SelectFdr",
        "SelectFwe",
        "GenericUnivariateSelect",
        "SelectFromModel",
        "RFE",
        "RFECV",
        "SequentialFeatureSelector",
        "MissingIndicator",
    }
)


def _row_entries(transformer: Any, width: int, entries: int) -> int:
    """The most entries a block's transform stores a row, of ``width``
    columns, fed rows of at most ``entries``: see :func:`_block_extent`."""
    kind, held = _name(transformer), getattr(transformer, "__dict__", {})
    if kind in _ENCODER_OF:
        inner = held.get(_ENCODER_OF[kind])
        encodes = kind != "KBinsDiscretizer" or held.get("encode") == "onehot"
        if encodes and inner is not None:
            return _row_entries(inner, width, entries)
        return width
    features = held.get("categories_" if kind == "OneHotEncoder" else "bsplines_")
    if kind == "OneHotEncoder" and truth(held.get("sparse_output")):
        return len(features) if isinstance(features, list) else width
    if kind == "SplineTransformer" and truth(held.get("sparse_output")):
        degree = _int(held.get("degree"))
        if isinstance(features, list) and degree is not None:
            return len(features) * (degree + 2)
    if kind == "KNeighborsTransformer":
        neighbours = _int(held.get("n_neighbors"))
        return width if neighbours is None else neighbours + 1
    if kind == "PolynomialFeatures":
        # the products of at most ``degree`` of a row's entries, and a bias
        degree = _int(held.get("_max_degree"))
        if degree is not None and 0 <= degree <= MAX_DEGREE:
            return math.comb(entries + degree, degree)
    if kind == "SparseRandomProjection" and truth(held.get("dense_output")) is False:
        # a row's entries each meet the components that draw on their column
        most = _most_a_column(held.get("components_"))
        if most is not None:
            return entries * most
    if kind == "AdditiveChi2Sampler":
        steps = _int(held.get("sample_steps"))
        if steps is not None:
            return entries * (2 * steps - 1)
    return width


def _most_a_column(matrix: Any) -> int | None:
    """The most entries a column of a compressed sparse row matrix stores
    (counted over its column indices, never allocated by their values)."""
    indices = getattr(matrix, "indices", None)
    if getattr(matrix, "format", None) != "csr" or not isinstance(indices, np.ndarray):
        return None
    if indices.dtype.kind not in "iu" or indices.ndim != 1:
        return None
    if indices.size == 0:
        return 0
    return int(np.unique(indices, return_counts=True)[1].max())


#: The one-hot encoder a class's transform ends in, by class.
_ENCODER_OF = {
    "KBinsDiscretizer": "_encoder",
    "RandomTreesEmbedding": "one_hot_encoder_",
}


def _block_width(transformer: Any) -> int | None:
    """How many columns a fitted transformer outputs, read where its
    transform reads it: a one-hot encoder's outputs a feature (a binner's
    and a trees embedding's through theirs), a vocabulary's or hasher's
    size, a neighbours graph's fitted rows, or the count a transformer
    keeps of its outputs."""
    kind, held = _name(transformer), getattr(transformer, "__dict__", {})
    if kind == "OneHotEncoder":
        outs = held.get("_n_features_outs")
        if isinstance(outs, list) and all(_int(n) is not None for n in outs):
            return sum(int(n) for n in outs)
        return None
    if kind in _ENCODER_OF:
        if kind == "KBinsDiscretizer" and held.get("encode") != "onehot":
            return _width(transformer)
        inner = held.get(_ENCODER_OF[kind])
        return None if inner is None else _block_width(inner)
    if kind in ("CountVectorizer", "TfidfVectorizer", "DictVectorizer"):
        vocabulary = held.get("vocabulary_")
        return len(vocabulary) if isinstance(vocabulary, dict) else None
    if kind in ("HashingVectorizer", "FeatureHasher"):
        return _int(held.get("n_features"))
    if kind in ("KNeighborsTransformer", "RadiusNeighborsTransformer"):
        return _int(held.get("n_samples_fit_"))
    if kind == "SplineTransformer":
        return _int(held.get("n_features_out_"))
    if kind == "PolynomialFeatures":
        return _int(held.get("n_output_features_"))
    try:  # a property of the transformer's fitted arrays (a PCA's components)
        return _int(getattr(transformer, "_n_features_out", None))
    except Exception:  # state too broken to say: no bound
        return None


def _fitted_as(transformer: Any, template: Any) -> bool:
    """Whether a column transformer's fitted entry is what fit makes of the
    string given: itself (a "drop", or columns left empty), or for
    "passthrough" the function transformer that passes columns on."""
    from sklearn.preprocessing import FunctionTransformer

    if not isinstance(template, str):
        return False
    if isinstance(transformer, str):
        return transformer == template
    return (
        template == "passthrough"
        and type(transformer) is FunctionTransformer
        and same_settings(
            transformer,
            FunctionTransformer(
                accept_sparse=True, check_inverse=False, feature_names_out="one-to-one"
            ),
        )
    )


#: Checks by the full name of the class they apply to.
CHECKS: dict[str, Check] = {
    "sklearn.preprocessing._target_encoder.TargetEncoder": _target_encoder,
    "sklearn.preprocessing._discretization.KBinsDiscretizer": _bins,
    "sklearn.kernel_approximation.Nystroem": _nystroem,
    "sklearn.semi_supervised._self_training.SelfTrainingClassifier": _self_training,
    "sklearn.random_projection.SparseRandomProjection": _projection,
    "sklearn.random_projection.GaussianRandomProjection": _projection,
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis": _discriminant,
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier": _network,
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor": _network,
    "sklearn.calibration.CalibratedClassifierCV": _calibrated,
    "sklearn.cluster._kmeans.KMeans": _kmeans,
    "sklearn.cluster._kmeans.MiniBatchKMeans": _kmeans,
    "sklearn.cluster._bisect_k_means.BisectingKMeans": _kmeans,
    **{f"sklearn.neighbors.{name}": _neighbors for name in _NEIGHBORS},
    "sklearn.neighbors._kde.KernelDensity": _density,
    "sklearn.semi_supervised._label_propagation.LabelPropagation": (_label_propagation),
    "sklearn.semi_supervised._label_propagation.LabelSpreading": _label_propagation,
    "sklearn.feature_extraction.text.CountVectorizer": _count_vectorizer,
    "sklearn.feature_extraction.text.TfidfVectorizer": _count_vectorizer,
    "sklearn.feature_extraction.text.HashingVectorizer": _hashing_vectorizer,
    "sklearn.feature_extraction._hash.FeatureHasher": _hashed_width,
    "sklearn.feature_extraction.text.TfidfTransformer": _tfidf_transformer,
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer": _dict_vectorizer,
    "sklearn.dummy.DummyRegressor": _dummy_regressor,
    "sklearn.dummy.DummyClassifier": _dummy_classifier,
    "sklearn.preprocessing._polynomial.SplineTransformer": _spline_transformer,
    "sklearn.preprocessing._encoders.OneHotEncoder": _one_hot_encoder,
    "sklearn.cluster._agglomerative.FeatureAgglomeration": (_feature_agglomeration),
    "sklearn.preprocessing._polynomial.PolynomialFeatures": _polynomial_features,
    "sklearn.cluster._birch.Birch": _birch,
    "sklearn.cluster._hdbscan.hdbscan.HDBSCAN": _single_linkage,
    "sklearn.preprocessing._label.MultiLabelBinarizer": _multilabel_binarizer,
    "sklearn.kernel_approximation.AdditiveChi2Sampler": _additive_chi2,
    "sklearn.kernel_approximation.PolynomialCountSketch": _count_sketch,
    "sklearn.ensemble._voting.VotingClassifier": _voting_classifier,
    "sklearn.preprocessing._encoders.OrdinalEncoder": _ordinal_encoder,
    "sklearn.ensemble._forest.RandomTreesEmbedding": _random_trees_embedding,
    "sklearn.model_selection._search.GridSearchCV": _search,
    "sklearn.model_selection._search.RandomizedSearchCV": _search,
    "sklearn.model_selection._search_successive_halving.HalvingGridSearchCV": (_search),
    "sklearn.model_selection._search_successive_halving.HalvingRandomSearchCV": (
        _search
    ),
    **{
        name: _nmf
        if name.startswith("sklearn.decomposition._nmf.")
        else (_transform_iterations)
        for name in _TRANSFORM_ITERATIONS
    },
    "sklearn.ensemble._stacking.StackingClassifier": _stacking,
    "sklearn.ensemble._stacking.StackingRegressor": _stacking,
    "sklearn.multioutput.ClassifierChain": _chain,
    "sklearn.multiclass.OneVsRestClassifier": _binary_members,
    "sklearn.multiclass.OutputCodeClassifier": _member_count,
    "sklearn.multiclass._ConstantPredictor": _constant_predictor,
    "sklearn.ensemble._weight_boosting.AdaBoostClassifier": member_limits,
    "sklearn.ensemble._weight_boosting.AdaBoostRegressor": member_limits,
    "sklearn.ensemble._bagging.BaggingClassifier": _bagging,
    "sklearn.ensemble._bagging.BaggingRegressor": _bagging,
    "sklearn.ensemble._iforest.IsolationForest": _bagging,
    "sklearn.multiclass.OneVsOneClassifier": _one_vs_one,
    "sklearn.impute._base.MissingIndicator": _missing_indicator,
    "sklearn.impute._iterative.IterativeImputer": _iterative_imputer,
    "sklearn.isotonic.IsotonicRegression": _isotonic,
    "sklearn.decomposition._kernel_pca.KernelPCA": _kernel_pca,
    **{
        f"sklearn.cross_decomposition._pls.{name}": _cross_decomposition
        for name in ("PLSRegression", "PLSCanonical", "CCA", "PLSSVD")
    },
    "sklearn.multioutput.RegressorChain": _chain,
    "sklearn.metrics._scorer._Scorer": _scorer,
    "sklearn.mixture._gaussian_mixture.GaussianMixture": _mixture,
    "sklearn.mixture._bayesian_mixture.BayesianGaussianMixture": _mixture,
    "sklearn.gaussian_process._gpr.GaussianProcessRegressor": _gaussian_process,
    "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace": (
        _gaussian_process
    ),
    "sklearn.feature_selection._from_model.SelectFromModel": _importance_getter,
    "sklearn.feature_selection._rfe.RFE": _importance_getter,
    "sklearn.feature_selection._rfe.RFECV": _importance_getter,
    "sklearn.compose._column_transformer.ColumnTransformer": _column_transformer,
    "sklearn.pipeline.FeatureUnion": _transformer_weights,
    "sklearn.compose._target.TransformedTargetRegressor": _target_transformer,
    "sklearn.metrics._scorer._CurveScorer": _scorer,
}
