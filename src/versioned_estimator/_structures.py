"""Checks of the structures scikit-learn's compiled code indexes memory with.

A safe load admits scikit-learn's classes, and their restore code trusts the
state it is given: a decision tree whose child index points past its nodes
makes ``predict`` read outside its arrays (SIGSEGV), and one that points back
to its parent never ends. Before any method of a loaded model runs, the walk
of the loaded graph (``_walk.walk_loaded``) hands every such structure it
meets to :func:`check_structure`, which holds it to the invariants the
library's own builders guarantee: children after their parent and inside the
node array, features inside the fitted width, index arrays inside the data,
libsvm's counts consistent with its arrays.

This module holds the node structures (decision trees, gradient boosting
grids and HistGradientBoosting predictors with their bin mapper and
preprocessor, libsvm) and hands neighbours trees to ``_neighbor_trees``; the
rest of the fitted state is checked by type in ``_fitted_state`` (hyper-parameters,
sparse matrices, random states, members) and by class in ``_class_checks``
(k-means, neighbours, vectorizers, dummies, splines...), and what a refit
would ask for in ``_refit`` (candidates, splits, members), which
:func:`check_structure`, the one entry point, also runs. What none checks
is listed in ``_fitted_state``'s docstring.

Only reading: properties and ``__getstate__`` of the structures, never a
method that computes on them, but a decision tree's own depth pass once its
children are proven inside and after their parent.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np

from versioned_estimator._class_checks import CHECKS as FITTED_CHECKS
from versioned_estimator._class_checks import TREE_LIMITS, member_limits
from versioned_estimator._display import weighing
from versioned_estimator._fitted_state import (
    _int,
    _width,
    check_by_type,
    check_last,
    class_counts,
    reading_once,
)
from versioned_estimator._magnitudes import slow_array
from versioned_estimator._neighbor_trees import binary_tree
from versioned_estimator._refit import refit_problem
from versioned_estimator._routing import metadata_request, method_request
from versioned_estimator._shapes import fitted_rows

__all__ = ["check_structure", "covering"]


#: The ids of structures a check of the object holding them has covered, while
#: a walk lasts (see :func:`covering`).
_COVERED: ContextVar[set[int] | None] = ContextVar("covered", default=None)


@contextlib.contextmanager
def covering() -> Iterator[None]:
    """While a walk of one loaded graph lasts, a structure that the check of
    the object holding it covered in bulk is not checked again alone (the
    objects stay alive, so their ids are theirs)."""
    token = _COVERED.set(set())
    try:
        with reading_once(), weighing():
            yield
    finally:
        _COVERED.reset(token)


def _ints(array: Any) -> np.ndarray | None:
    array = np.asarray(array)
    return array if array.dtype.kind in "iu" and array.ndim == 1 else None


def _children_in_order(left: np.ndarray, right: np.ndarray, leaf: np.ndarray) -> bool:
    """Leaves have no children, every other node two, each after it and
    inside the nodes (arithmetic on whole arrays: masked selections cost ten
    times more on a forest's millions of nodes)."""
    n = len(left)
    index = np.arange(n)
    return bool(
        np.array_equal(right == -1, leaf)
        and not ((left <= index) & ~leaf).any()
        and not ((right <= index) & ~leaf).any()
        and (n == 0 or (int(left.max()) < n and int(right.max()) < n))
    )


def _tree(tree: Any) -> str | None:
    """``sklearn.tree._tree.Tree``: children after their node, inside the
    nodes; features inside the tree's width (the estimator holding it checks
    that width is its own)."""
    n = int(tree.node_count)
    left, right = _ints(tree.children_left), _ints(tree.children_right)
    feature = _ints(tree.feature)
    if left is None or right is None or feature is None:
        return "a decision tree without integer node arrays"
    if not (len(left) == len(right) == len(feature) == n) or n < 1:
        return "a decision tree whose node arrays disagree with its node count"
    width = int(tree.n_features)
    left, right, feature = (np.ascontiguousarray(a) for a in (left, right, feature))
    leaf = left == -1
    if (
        not _children_in_order(left, right, leaf)
        or (((feature < 0) | (feature >= width)) & ~leaf).any()
    ):
        return "a decision tree whose nodes point outside it or back to themselves"
    depth = _depth(tree, left, right)
    if depth is None:
        return "a decision tree whose nodes have more than one parent"
    # decision_path allocates max_depth + 1 entries a row and writes one per
    # node on the path, unchecked; fit records the depth it built (a
    # recorded depth of every node made decision_path of a balanced tree of
    # 45,000 nodes ask gigabytes).
    if depth != int(tree.max_depth):
        return "a decision tree whose recorded depth is not its depth"
    value = np.asarray(tree.value)
    if value.ndim != 3 or value.shape[0] != n or value.shape[1] != tree.n_outputs:
        return "a decision tree whose values do not match its nodes"
    # Compiled state the walk does not open: its leaves' values judged as a
    # model's numbers (round 85: boosting over 300 trees of leaves at 1e-310
    # multiplied by its learning rate, 6.5 to 10.8x).
    problem = slow_array(value)
    return None if problem is None else f"a decision tree that holds {problem}"


def _depth(tree: Any, left: np.ndarray, right: np.ndarray) -> int | None:
    """The depth of a tree whose every node but the root is the child of
    exactly one node, or None. Its children are inside and after their parent
    (checked first), so the tree's own pass, which writes each child's depth
    from its parent's in node order, stays inside its nodes and sees every
    parent before its children (a level-by-level walk in numpy took 0.6 ms a
    tree of a fully grown forest, this 5 us)."""
    # Leaves' -1 children counted in bin 0, node j's parents in bin j + 1
    # (no masked selection: half the time on a forest's million nodes).
    parents = np.bincount(np.concatenate([left, right]) + 1, minlength=len(left) + 1)
    if parents[1] != 0 or (parents[2:] != 1).any():
        return None
    return int(tree.compute_node_depths().max()) - 1  # the root is at 1


def _predictor(predictor: Any) -> str | None:
    """HistGradientBoosting's ``TreePredictor``, one the model holding it has
    not checked already (see :func:`_predictors`)."""
    return _predictors([predictor])


_PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
#: A predictor's whole state, as fit builds it.
_PREDICTOR_STATE = frozenset(
    {"nodes", "binned_left_cat_bitsets", "raw_left_cat_bitsets"}
)


def _predictors(
    predictors: list[Any],
    width: int | None = None,
    categorical: Any = None,
    limits: tuple[int | None, int | None] = (None, None),
) -> str | None:
    """HistGradientBoosting's ``TreePredictor``s, all at once (a model holds
    hundreds of small ones): the tree invariants on their node records,
    category bitsets inside their arrays and, given the model's ``width`` and
    the bin mapper's ``categorical`` flags, features inside that width and
    categorical splits on categorical features; given the model's
    ``limits`` (``max_leaf_nodes``, ``max_depth``), trees within them."""
    needed = ("left", "right", "is_leaf", "feature_idx", "is_categorical", "bitset_idx")
    records = []
    complete: set[np.dtype[Any]] = set()  # dtypes with every needed field
    kinds: set[type] = set()  # classes named as the predictor's
    for predictor in predictors:
        nodes = getattr(predictor, "nodes", None)
        if not isinstance(nodes, np.ndarray) or nodes.ndim != 1 or not len(nodes):
            return "a gradient boosting tree without nodes"
        kind = type(predictor)
        if kind not in kinds:
            if f"{kind.__module__}.{kind.__qualname__}" != _PREDICTOR:
                return "a gradient boosting tree that holds more than its arrays"
            kinds.add(kind)
        if not _PREDICTOR_STATE.issuperset(vars(predictor)):
            # Its whole state is held here (the walk checks it no further):
            # the three arrays fit gives it, nothing else.
            return "a gradient boosting tree that holds more than its arrays"
        if nodes.dtype not in complete:
            if not all(name in (nodes.dtype.names or ()) for name in needed):
                return "a gradient boosting tree whose nodes lack their fields"
            complete.add(nodes.dtype)
        records.append(nodes)
        for name in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
            bitsets = getattr(predictor, name, None)
            # The compiled predictor reads word category // 32 of a row, for
            # categories up to 255, unchecked: 8 uint32 words a row.
            if bitsets is not None and not (
                isinstance(bitsets, np.ndarray)
                and bitsets.ndim == 2
                and bitsets.shape[1] == 8
                and bitsets.dtype == np.uint32
                and bitsets.flags.c_contiguous
            ):
                return (
                    "a gradient boosting tree whose category bitsets are not "
                    "8 words a row"
                )
    if not records:
        return None
    dtype = records[0].dtype
    if dtype.hasobject:
        return "a gradient boosting tree whose nodes hold objects"
    if any(r.dtype != dtype for r in records):  # not as one fit builds them
        for predictor in predictors:
            problem = _predictors([predictor], width, categorical, limits)
            if problem is not None:
                return problem
        return None
    # Checked in chunks of whole trees that stay under the allocator's mapping
    # threshold: one array of a model's 25,000 nodes (1.4 MB) and its int64
    # fields came from fresh pages on every load (640 page faults, a third
    # of the check's time).
    chunk: list[int] = []
    held = 0
    for number, nodes in enumerate(records):
        if chunk and held + nodes.nbytes > _CHUNK_BYTES:
            problem = _predictor_nodes(
                predictors, records, chunk, width, categorical, limits
            )
            if problem is not None:
                return problem
            chunk, held = [], 0
        chunk.append(number)
        held += nodes.nbytes
    return _predictor_nodes(predictors, records, chunk, width, categorical, limits)


#: The bytes of node records :func:`_predictors` checks at once.
_CHUNK_BYTES = 120 << 10


def _predictor_nodes(
    predictors: list[Any],
    records: list[np.ndarray],
    chunk: list[int],
    width: int | None,
    categorical: Any,
    limits: tuple[int | None, int | None],
) -> str | None:
    """The node checks of :func:`_predictors` over the trees ``chunk`` numbers."""
    # Joined as bytes: concatenating structured arrays promotes their fields
    # pair by pair (3 ms for a model's 200 predictors).
    dtype = records[0].dtype
    parts: list[Any] = [records[k] for k in chunk]
    try:
        raw = b"".join(parts)  # their buffers, one copy
    except (TypeError, ValueError, BufferError):  # one not contiguous
        raw = b"".join(part.tobytes() for part in parts)
    joined: Any = np.frombuffer(raw, dtype=dtype)
    sizes = np.array([len(records[k]) for k in chunk])
    roots = np.cumsum(sizes) - sizes  # of each tree, in the joined nodes
    start = np.repeat(roots, sizes)  # of each node's tree
    index = np.arange(len(joined)) - start  # in its tree
    # Only split nodes have children (leaves keep 0): the checks read those,
    # taken once (a mask indexing each field anew cost a third of the check).
    at = np.flatnonzero(joined["is_leaf"] == 0)
    left = joined["left"][at].astype(np.int64)
    right = joined["right"][at].astype(np.int64)
    feature = joined["feature_idx"][at].astype(np.int64)
    size = np.repeat(sizes, sizes)[at]  # of each split node's tree
    if (
        # children after their node and inside its tree
        (
            (left <= index[at])
            | (right <= index[at])
            | (left >= size)
            | (right >= size)
        ).any()
        or (feature < 0).any()
        or (width is not None and (feature >= width).any())
    ):
        return "a gradient boosting tree whose nodes point outside it"
    # Every node but a root the child of one node (a node reached by both
    # branches of each of 60 levels made a partial dependence walk 2**60
    # paths, round 90), each one level below its parent.
    left += start[at]
    right += start[at]
    parents = np.bincount(np.concatenate([left, right]), minlength=len(joined))
    wrong = parents != 1
    wrong[roots] = parents[roots] != 0
    if wrong.any():
        return "a gradient boosting tree whose nodes have more than one parent"
    depth = joined["depth"].astype(np.int64)
    below = depth[at] + 1
    if (
        (depth[roots] != 0).any()
        or (depth[left] != below).any()
        or (depth[right] != below).any()
    ):
        return "a gradient boosting tree whose nodes' depths are not their levels"
    most_leaves, most_depth = limits
    if (most_leaves is not None and (sizes > 2 * most_leaves - 1).any()) or (
        most_depth is not None and (depth > most_depth).any()
    ):
        # Fit grows at most max_leaf_nodes leaves, max_depth levels deep: one
        # tree a chain of 140,000 nodes behind 31 leaves predicted 9 times
        # as long as an honest model of its file's size (round 90).
        return (
            "a gradient boosting tree larger than its max_leaf_nodes or max_depth "
            "(or than its bins let a fit grow it)"
        )
    on_categories = joined["is_categorical"][at] != 0  # of the split nodes
    if on_categories.any():
        if categorical is not None and not categorical[feature[on_categories]].all():
            return (
                "a gradient boosting tree with a categorical split on a "
                "feature its bins do not hold as categorical"
            )
        bitsets = np.array(
            [
                min(
                    len(np.asarray(getattr(predictors[k], name, np.empty((0, 8)))))
                    for name in ("binned_left_cat_bitsets", "raw_left_cat_bitsets")
                )
                for k in chunk
            ]
        )
        idx = joined["bitset_idx"][at][on_categories].astype(np.int64)
        if ((idx < 0) | (idx >= np.repeat(bitsets, sizes)[at][on_categories])).any():
            return "a gradient boosting tree whose categories point outside it"
    return None


_KERNELS = ("linear", "poly", "rbf", "sigmoid", "precomputed")


def _libsvm(model: Any) -> str | None:
    """libsvm's fitted arrays, as ``predict`` hands them to C: counts that
    add up to the support vectors, coefficients of their shape.

    libsvm sizes what it copies by the length of the support counts (one per
    class, two for regression and one-class models), so that length is held
    to the model's kind, by its class, never by whether ``classes_`` is there.
    """
    if not hasattr(model, "support_vectors_"):
        return None  # not fitted
    vectors = model.support_vectors_
    counts = _ints(getattr(model, "_n_support", None))
    support = _ints(getattr(model, "support_", None))
    kernel = getattr(model, "kernel", None)
    # A precomputed kernel keeps no vectors: the support indexes the data.
    # So does a callable one: predict hands libsvm the kernel it computes
    # against the training data (as wide as the data's rows, which
    # scikit-learn checks).
    precomputed = kernel == "precomputed" or callable(kernel)
    n_sv = len(support) if precomputed and support is not None else 0
    n_sv = n_sv or int(vectors.shape[0])
    # Sparse models keep sparse coefficients: their shape, not an array of
    # them; libsvm copies every coefficient from the stored values, so all
    # must be stored.
    dual: Any = getattr(model, "_dual_coef_", None)
    dual_shape = tuple(getattr(dual, "shape", (0,)))
    stored = getattr(dual, "data", None) if hasattr(dual, "format") else None
    if stored is not None and (
        dual.format != "csr"
        or len(dual_shape) != 2
        or len(stored) != dual_shape[0] * dual_shape[1]
    ):
        return "a support vector model whose coefficients are not all stored"
    intercept = np.asarray(getattr(model, "_intercept_", np.empty(0)))
    prob_a = np.asarray(getattr(model, "_probA", np.empty(0)))
    prob_b = np.asarray(getattr(model, "_probB", np.empty(0)))
    shape_fit = getattr(model, "shape_fit_", None)
    if counts is None or support is None or len(support) != n_sv:
        return "a support vector model whose counts are not integers"
    rows = fitted_rows(model)
    if rows is not None and n_sv > rows:
        # Every prediction evaluates the kernel against every vector.
        return (
            f"a support vector model of {n_sv} vectors (its envelope says {rows} rows)"
        )
    if (counts < 0).any() or len(dual_shape) != 2 or dual_shape[1] != n_sv:
        return "a support vector model whose coefficients are not its vectors'"
    if isinstance(kernel, str) and kernel not in _KERNELS:
        return f"a support vector model with the kernel {kernel[:20]!r}"
    # Which of libsvm's two builds runs is chosen by ``_sparse``, and each
    # reads the vectors and coefficients its own way.
    sparse = getattr(model, "_sparse", False)
    if (
        not isinstance(sparse, (bool, np.bool_))
        or bool(sparse) != hasattr(vectors, "format")
        or bool(sparse) != hasattr(dual, "format")
    ):
        return "a support vector model whose arrays are not stored as it says"
    if sparse and precomputed:
        # The sparse build reads a precomputed kernel at positions the
        # vectors' values give; scikit-learn fits no such model.
        return "a sparse support vector model with a precomputed or callable kernel"
    # libsvm copies the probability parameters when told the model has them.
    probability = getattr(model, "_effective_probability", False)
    if probability is not None and not isinstance(probability, (bool, np.bool_)):
        return "a support vector model whose probability flag is not a bool"
    if type(model).__name__ in _LIBSVM_CLASSIFIERS:
        classes = getattr(model, "classes_", None)
        k = len(np.asarray(classes)) if classes is not None else 0
        pairs = k * (k - 1) // 2
        if not (
            k >= 2
            and len(counts) == k
            and int(counts.sum()) == n_sv
            and dual_shape[0] == k - 1
            and intercept.shape == (pairs,)
            and len(prob_a) in (0, pairs)
            and len(prob_b) in (0, pairs)
            and (not probability or len(prob_a) == len(prob_b) == pairs)
        ):
            return "a support vector classifier whose counts disagree with its arrays"
    elif probability or not (
        len(counts) == 2
        and int(counts[0]) == n_sv
        and (counts <= n_sv).all()
        and dual_shape[0] == 1
        and intercept.shape == (1,)
    ):
        return "a support vector model whose counts disagree with its arrays"
    if not (
        isinstance(shape_fit, (tuple, list))
        and len(shape_fit) == 2
        and all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape_fit)
    ):
        # predict holds X to it, and a precomputed kernel's support to its rows.
        return "a support vector model without the shape of its data"
    if precomputed:
        if n_sv and ((support < 0).any() or (support >= shape_fit[0]).any()):
            return "a support vector model whose support points outside its data"
        if callable(kernel):
            return _kernel_rows(model, shape_fit, rows)
    elif len(vectors.shape) != 2 or (n_sv and vectors.shape[1] != shape_fit[1]):
        return "a support vector model whose vectors are not its data's width"
    return None


_LIBSVM_CLASSIFIERS = ("SVC", "NuSVC")


def _kernel_rows(model: Any, shape_fit: Any, rows: int | None) -> str | None:
    """A callable kernel's training rows (``_BaseLibSVM__Xfit``), which
    every predict computes the kernel against: the data fit was given, of
    its shape (None, scikit-learn computes the caller's rows against
    themselves: 3.4 GiB asked from an 8 KB file, round 101), and no more
    rows than the envelope's."""
    data = getattr(model, "__dict__", {}).get("_BaseLibSVM__Xfit")
    shape = getattr(data, "shape", None)
    width = _width(model)
    if (
        not (isinstance(data, np.ndarray) or hasattr(data, "format"))
        or shape is None
        or tuple(shape) != tuple(shape_fit)
        or (width is not None and shape[1] != width)
    ):
        return "a support vector model whose kernel's rows are not its data"
    if rows is not None and shape[0] > rows:
        return (
            f"a support vector model whose kernel's rows are {shape[0]} (its "
            f"envelope says {rows})"
        )
    return None


def _decision_tree(estimator: Any) -> str | None:
    tree = getattr(estimator, "tree_", None)
    if tree is None:
        return None
    width = _width(estimator)
    if width is None:
        # Without it scikit-learn does not hold X to the tree's width.
        return "a fitted decision tree without its input width"
    if int(tree.n_features) != width:
        # The walk checks the tree itself, against its own width.
        return "a decision tree of another width than its estimator"
    if _int(getattr(estimator, "n_outputs_", None)) != int(tree.n_outputs):
        return "a decision tree whose outputs are not its tree's"
    if _tree_classes(tree) != _class_counts(estimator, int(tree.n_outputs)):
        # Tree.predict writes a row of max_n_classes values per input row
        # before anything reads classes_: a regressor of two features whose
        # one-leaf tree claimed 40,000 classes asked 9 GiB of 30,000 rows.
        return "a decision tree whose classes are not its estimator's"
    # Fit grows no deeper and no more leaves than its settings allow (its
    # recorded depth is its depth, checked with the tree): max_depth=3 over
    # a chain of 30,000 levels predicted 320 times as long (round 90).
    depth, leaves = (_int(getattr(estimator, name, None)) for name in TREE_LIMITS)
    if depth is not None and int(tree.max_depth) > depth:
        return "a decision tree deeper than its max_depth"
    if leaves is not None and int(tree.n_leaves) > leaves:
        return "a decision tree of more leaves than its max_leaf_nodes"
    return None


def _tree_classes(tree: Any) -> list[int] | None:
    """A tree's classes per output, when its values are that wide."""
    counts = _ints(tree.n_classes)
    value = np.asarray(tree.value)
    if counts is None or not len(counts) or value.ndim != 3:
        return None
    if value.shape[2] != int(counts.max()):
        return None
    return [int(c) for c in counts]


def _class_counts(estimator: Any, outputs: int) -> list[int] | None:
    """The classes per output an estimator's tree must have: its ``classes_``
    (one array, or one per output), or one per output for a regressor."""
    if not hasattr(estimator, "classes_"):
        return [1] * outputs
    classes = estimator.classes_
    counts = class_counts(classes)
    if (
        counts is None
        or len(counts) != outputs
        or isinstance(classes, list) != (outputs > 1)  # a list only of outputs
        or not all(counts)
    ):
        return None
    return counts


def _forest(estimator: Any) -> str | None:
    """A forest's outputs, which predict allocates by: its trees'; its trees
    held to its depth and leaves (:func:`member_limits`)."""
    trees = getattr(estimator, "estimators_", None)
    if trees is None:
        return None
    problem = member_limits(estimator)
    if problem is not None:
        return problem
    outputs = _int(getattr(estimator, "n_outputs_", None))
    if outputs is None or not isinstance(trees, list):
        return f"a {type(estimator).__name__} without its outputs"
    # Its predict_proba sums its trees' into arrays of its classes (each
    # tree's own are its tree's, checked with the tree).
    counts = _class_counts(estimator, outputs)
    for tree in trees:
        if _int(getattr(tree, "n_outputs_", None)) != outputs:
            return f"a {type(estimator).__name__} whose outputs are not its trees'"
        if _class_counts(tree, outputs) != counts:
            return f"a {type(estimator).__name__} whose classes are not its trees'"
    return None


def _loss_outputs(estimator: Any, outputs: int) -> str | None:
    """A gradient boosting model's loss shapes the raw predictions its
    compiled code writes a column per output into: a binomial loss on three
    classes made them one column wide (heap corruption at predict)."""
    from sklearn._loss.loss import BaseLoss

    loss = getattr(estimator, "_loss", None)
    if loss is None:
        return None  # a release that does not keep it
    multiclass = outputs > 1  # regressors have one output (checked before)
    if not (
        isinstance(loss, BaseLoss)
        and loss.is_multiclass is multiclass
        and (not multiclass or getattr(loss, "n_classes", None) == outputs)
    ):
        return (
            f"a gradient boosting model whose loss ({type(loss).__name__[:40]}) "
            "is not one for its outputs"
        )
    return None


def _gradient_boosting(estimator: Any) -> str | None:
    """``GradientBoosting*``: a grid of regression trees of the model's width,
    one column per output its raw predictions have (``predict_stages`` writes
    to column ``k`` of them unchecked)."""
    stages = getattr(estimator, "estimators_", None)
    if stages is None:
        return None
    problem = member_limits(estimator)
    if problem is not None:
        return problem
    width = _width(estimator)
    if width is None:
        return "a fitted gradient boosting model without its input width"
    outputs: Any = getattr(estimator, "n_trees_per_iteration_", None)
    classes: Any = getattr(estimator, "n_classes_", None)
    if classes is not None and outputs != (classes if classes > 2 else 1):
        return "a gradient boosting classifier whose outputs are not its classes'"
    if classes is None and outputs != 1:
        return "a gradient boosting regressor with more than one output"
    if not (
        isinstance(stages, np.ndarray)
        and stages.dtype.hasobject
        and stages.shape == (getattr(estimator, "n_estimators_", None), outputs)
    ):
        return "a gradient boosting model whose trees are not its stages and outputs"
    problem = _loss_outputs(estimator, outputs)
    if problem is not None:
        return problem
    init = getattr(estimator, "init_", None)
    classes_of_init = len(np.asarray(getattr(init, "classes_", ())))
    if (
        classes is not None
        and not (isinstance(init, str) and init == "zero")
        and classes_of_init != classes
    ):
        # Fit gives the first guess the model's own targets: its
        # probabilities have a column a class (20,000 made a predict of
        # 30,000 rows ask 4.5 GB).
        return "a gradient boosting model whose first guess has other classes"
    if not (isinstance(init, str) and init == "zero") and not _first_guess(
        init, classes is not None
    ):
        # predict_stages writes one column per output of the first guess's
        # predictions, unchecked: only guesses of a known shape are taken.
        return (
            f"a gradient boosting model whose first guess is a "
            f"{type(init).__name__[:40]}, of no shape it can check"
        )
    for tree in stages.ravel():
        inner = getattr(tree, "tree_", None)
        if (
            type(tree).__name__ != "DecisionTreeRegressor"
            or inner is None
            or _width(tree) != width
            or int(inner.n_features) != width
            or np.asarray(inner.value).shape[1:] != (1, 1)
        ):
            return "a gradient boosting model with a tree not of its width"
    return None


_ROW_MODELS = ("sklearn.tree.", "sklearn.ensemble._forest", "sklearn.neighbors.")


def _first_guess(init: Any, classifier: bool) -> bool:
    """A first guess whose predictions have one row per sample and the
    columns gradient boosting expects: the dummy estimator it builds itself
    (checked as such), a linear regressor with one coefficient a feature and
    a scalar intercept, or a linear classifier with probabilities (a row of
    coefficients per class, one for two, and an intercept each): products
    with the data, whose rows numpy keeps."""
    kind = type(init).__name__
    if kind == ("DummyClassifier" if classifier else "DummyRegressor"):
        return _int(getattr(init, "n_outputs_", None)) == 1
    if type(init).__module__.startswith(_ROW_MODELS) and kind.endswith(
        "Classifier" if classifier else "Regressor"
    ):
        # Trees, forests and neighbours of one output answer one row a
        # sample, with a column a class of theirs (their trees' checked with
        # them) or one value.
        return (
            _int(getattr(init, "n_outputs_", 1)) == 1
            and np.ndim(getattr(init, "_y", ())) <= 1
            and not getattr(init, "outputs_2d_", False)
        )
    if not type(init).__module__.startswith("sklearn.linear_model."):
        return False
    coef = np.asarray(getattr(init, "coef_", None))
    intercept = np.asarray(getattr(init, "intercept_", None))
    if coef.dtype.kind != "f" or intercept.dtype.kind != "f":
        return False
    if not classifier:
        return coef.ndim == 1 and intercept.ndim == 0
    classes = len(np.asarray(getattr(init, "classes_", ())))
    rows = 1 if classes == 2 else classes
    return (
        callable(getattr(init, "predict_proba", None))
        and classes >= 2
        and coef.ndim == 2
        and coef.shape[0] == rows
        and intercept.shape == (rows,)
    )


def _hist_gradient_boosting(estimator: Any) -> str | None:
    """``HistGradientBoosting*``: predictors of the model's width, whose
    categorical splits are on features the bin mapper knows as categorical,
    and a preprocessor that gives back that width."""
    if "_in_fit" in getattr(estimator, "__dict__", {}):
        # Fit sets it while it predicts on binned data, then deletes it:
        # kept, predict takes the caller's input as bins, unchecked (a
        # narrower uint8 array is read past its rows' end).
        return "a gradient boosting model saved in the middle of its fit"
    width = _width(estimator)
    predictors = getattr(estimator, "_predictors", None) or []
    if not predictors:
        return None
    if width is None:
        return "a gradient boosting model without a width"
    mapper: Any = getattr(estimator, "_bin_mapper", None)
    problem = _bin_mapper(mapper, width)
    if problem is not None:
        return problem
    categorical = np.asarray(mapper.is_categorical_) != 0
    # Raw predictions have one column per tree of an iteration, allocated by
    # this count, and each of a stage's trees writes its own column.
    per_iteration: Any = getattr(estimator, "n_trees_per_iteration_", None)
    classes = getattr(estimator, "classes_", None)
    if classes is not None and per_iteration != (
        1 if len(classes) <= 2 else len(classes)
    ):
        return "a gradient boosting classifier whose outputs are not its classes'"
    if type(predictors) is not list or any(
        type(stage) is not list or len(stage) != per_iteration for stage in predictors
    ):
        return "a gradient boosting model whose stages are not its outputs"
    if type(estimator).__name__ == "HistGradientBoostingRegressor" and (
        per_iteration != 1
    ):
        # One tree an iteration: 15,000 behind a multinomial loss asked a
        # (rows, 15,000) array of every predict (round 67).
        return "a gradient boosting regressor of more than one output"
    problem = _loss_outputs(estimator, per_iteration)
    if problem is not None:
        return problem
    trees = [predictor for stage in predictors for predictor in stage]
    # Each split on a path parts the bins (or categories) of its feature
    # that reach it, or the missing values from the others: no path splits
    # a feature more often than it has bins, whatever max_depth allows (a
    # chain of 20,000 levels over 8 features of 255 bins, under
    # max_depth=None, predicted 150 times as long, round 117).
    bins = _ints(mapper.n_bins_non_missing_)  # checked one count a feature
    by_bins = width + (0 if bins is None else int(bins.sum()))
    depth = _int(getattr(estimator, "max_depth", None))
    limits = (
        _int(getattr(estimator, "max_leaf_nodes", None)),
        by_bins if depth is None else min(depth, by_bins),
    )
    problem = _predictors(trees, width, categorical, limits)
    if problem is not None:
        return problem
    covered = _COVERED.get()
    if covered is not None:  # the walk meets them next: checked already, whole
        covered.update(id(tree) for tree in trees)
    return _preprocessor(getattr(estimator, "_preprocessor", None), width)


def _bin_mapper(mapper: Any, width: int) -> str | None:
    """``_BinMapper``: one entry per feature in each array, categories that
    fit a bitset's 256 bits."""
    if mapper is None:
        return "a gradient boosting model without its bins"
    categorical = np.asarray(getattr(mapper, "is_categorical_", None))
    counts = _ints(getattr(mapper, "n_bins_non_missing_", None))
    thresholds = getattr(mapper, "bin_thresholds_", None)
    if (
        categorical.shape != (width,)
        or categorical.dtype.kind not in "biu"
        or counts is None
        or len(counts) != width
        or not isinstance(thresholds, list)
        or len(thresholds) != width
    ):
        return "a gradient boosting model whose bins are not one per feature"
    n_bins: Any = getattr(mapper, "n_bins", None)
    if getattr(mapper, "missing_values_bin_idx_", None) != n_bins - 1 or not (
        (counts >= 0).all() and (counts <= n_bins - 1).all()
    ):
        return "a gradient boosting model whose bin counts are not its bins'"
    for is_categorical, count, values in zip(
        categorical, counts, thresholds, strict=True
    ):
        values = np.asarray(values)
        if values.ndim != 1:
            return "a gradient boosting model whose bin thresholds are not lists"
        if is_categorical and not (
            len(values) == count
            and (values >= 0).all()
            and (values < 256).all()
            and (values == np.floor(values)).all()
        ):
            return "a gradient boosting model whose known categories do not fit"
    return None


def _preprocessor(preprocessor: Any, width: int) -> str | None:
    """HistGradientBoosting's categorical preprocessor: its output, which the
    predictors index unchecked, has the model's width."""
    if preprocessor is None:
        return None
    if (
        type(preprocessor).__name__ != "ColumnTransformer"
        or _width(preprocessor) != width
    ):
        return "a gradient boosting model with another preprocessor"
    total = 0
    for _, transformer, columns in getattr(preprocessor, "transformers_", []):
        if isinstance(transformer, str) and transformer == "drop":
            continue
        if not _keeps_width(transformer):
            # Columns are counted as they go in: only the transformers the
            # model builds give as many out.
            return (
                "a gradient boosting preprocessor with a transformer the model "
                "does not build"
            )
        selected = np.asarray(columns)
        if selected.dtype.kind == "b" and selected.shape == (width,):
            total += int(selected.sum())
        elif selected.dtype.kind in "iu" and selected.ndim == 1:
            if len(selected) and ((selected < 0).any() or (selected >= width).any()):
                return "a gradient boosting preprocessor with columns outside its data"
            total += len(selected)
        else:
            return "a gradient boosting preprocessor with columns it cannot show"
    if total != width:
        return "a gradient boosting preprocessor that gives another width"
    return None


def _keeps_width(transformer: Any) -> bool:
    """The transformers HistGradientBoosting's preprocessor is built of: an
    OrdinalEncoder, and a FunctionTransformer of ``check_array``."""
    kind = type(transformer).__name__
    if kind == "OrdinalEncoder":
        return True
    func = getattr(transformer, "func", None)
    inner = getattr(func, "func", None)
    return (
        kind == "FunctionTransformer"
        and isinstance(func, functools.partial)
        and getattr(inner, "__module__", "") == "sklearn.utils.validation"
        and getattr(inner, "__name__", "") == "check_array"
    )


_CHECKS: dict[str, Callable[..., str | None]] = {
    "sklearn.tree._tree.Tree": _tree,
    "sklearn.utils._metadata_requests.MetadataRequest": metadata_request,
    "sklearn.utils._metadata_requests.MethodMetadataRequest": method_request,
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": _predictor,
    "sklearn.neighbors._kd_tree.KDTree": binary_tree,
    "sklearn.neighbors._ball_tree.BallTree": binary_tree,
    "sklearn.svm._classes.SVC": _libsvm,
    "sklearn.svm._classes.NuSVC": _libsvm,
    "sklearn.svm._classes.SVR": _libsvm,
    "sklearn.svm._classes.NuSVR": _libsvm,
    "sklearn.svm._classes.OneClassSVM": _libsvm,
    **{
        f"sklearn.ensemble._forest.{name}": _forest
        for name in (
            "RandomForestClassifier",
            "RandomForestRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
        )
    },
    "sklearn.tree._classes.DecisionTreeClassifier": _decision_tree,
    "sklearn.tree._classes.DecisionTreeRegressor": _decision_tree,
    "sklearn.tree._classes.ExtraTreeClassifier": _decision_tree,
    "sklearn.tree._classes.ExtraTreeRegressor": _decision_tree,
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting."
    "HistGradientBoostingClassifier": _hist_gradient_boosting,
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting."
    "HistGradientBoostingRegressor": _hist_gradient_boosting,
    "sklearn.ensemble._gb.GradientBoostingClassifier": _gradient_boosting,
    "sklearn.ensemble._gb.GradientBoostingRegressor": _gradient_boosting,
    **FITTED_CHECKS,
}


def check_structure(obj: Any) -> str | None:
    """What is wrong with ``obj``'s compiled-code structures, or None.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> tree = DecisionTreeClassifier(random_state=0).fit([[0], [1]], [0, 1])
    >>> check_structure(tree) is None and check_structure(tree.tree_) is None
    True
    >>> tree.tree_.children_left[0] = 0  # a node that is its own child
    >>> check_structure(tree.tree_)
    'a decision tree whose nodes point outside it or back to themselves'
    """
    kind = type(obj)
    covered = _COVERED.get()
    if covered is not None and id(obj) in covered:
        return None  # its holder's check covered it (a boosting model's trees)
    try:
        for check in check_by_type(obj):
            problem = check(obj)
            if problem is not None:
                return problem
        named = _CHECKS.get(f"{kind.__module__}.{kind.__qualname__}")
        problem = None if named is None else named(obj)
        if problem is None and (kind.__module__ or "").startswith("sklearn."):
            problem = check_last(obj) or refit_problem(obj)
    except Exception as exc:  # a structure too broken to read
        return f"a {kind.__name__} whose state cannot be read ({str(exc)[:200]})"
    return problem
