"""Fitted state that scikit-learn's compiled code trusts, crafted, then loaded.

Each case fits a real model, wraps it with its probe, then corrupts the
fitted state the way an attacker would (a thread count, a width, an index
past an array, a generator position, a private compiled function as a
parameter) and writes the file with valid checksums (``_forge``). The safe
``load`` must refuse every such file with ``UntrustedGlobalError`` naming the
problem, before any method of the model runs. The loads run in one worker
process, so that a check that lets a file through crashes the worker, not
pytest.

So that no test passes on a harmless corruption, each case that crashes
scikit-learn has a *control*: the same corrupted model, unpickled plainly and
called in a worker, must die of a signal or an abort (or raise
``MemoryError`` under an address-space limit). And intact models of every
family must still load, replay their probe and predict as before.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial as _partial
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.cluster import (
    Birch,
    BisectingKMeans,
    FeatureAgglomeration,
    KMeans,
    MiniBatchKMeans,
)
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    BaggingClassifier,
    BaggingRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    RandomTreesEmbedding,
    VotingClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfVectorizer,
)
from sklearn.feature_selection import VarianceThreshold
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.kernel_approximation import AdditiveChi2Sampler, PolynomialCountSketch
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import DistanceMetric
from sklearn.model_selection import LeavePOut, RepeatedKFold, ShuffleSplit
from sklearn.multioutput import (
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)
from sklearn.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    KNeighborsTransformer,
    RadiusNeighborsClassifier,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MultiLabelBinarizer,
    OneHotEncoder,
    PolynomialFeatures,
    SplineTransformer,
    TargetEncoder,
)
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree._tree import Tree
from sklearn.utils.validation import check_array

import versioned_estimator as ve
from tests._forge import Reduced, forge, parts
from versioned_estimator._fitted_state import MAX_THREADS, _bit_generator_state
from versioned_estimator._structures import check_structure

RS = np.random.RandomState(0)
TEXT = ["hello world", "foo bar hello", "world foo"]


@dataclass
class Case:
    """A fitted model, its probe, how to corrupt it, and what must happen."""

    build: Callable[[], tuple[Any, Any]]  # (fitted model, probe rows)
    corrupt: Callable[[Any], None]
    refusal: str  # in the load's message
    method: str = "predict"
    # "crash": the control dies of a signal or abort; "memory": MemoryError;
    # "unchecked": scikit-learn runs its compiled code on the state without
    # raising (an out-of-bounds access that need not crash every time).
    control: str | None = None
    control_rows: Callable[[], Any] | None = None
    # An error the control may raise after compiled code ran on the state (a
    # structure it wrote past its end, caught by a later check; a value read
    # from outside an array): a pattern for the "RAISED <type> <message>" line.
    raised_after: str | None = None


def _kmeans() -> tuple[Any, Any]:
    X = RS.rand(20, 1)
    return KMeans(n_clusters=4, n_init=1, random_state=0).fit(X), X[:3]


def _gbr() -> tuple[Any, Any]:
    X, y = RS.rand(50, 1), RS.rand(50)
    model = GradientBoostingRegressor(n_estimators=2, max_depth=1, init="zero")
    return model.fit(X, y), X[:3]


def _gb_wide_tree(model: Any) -> None:
    """A tree whose width is huge, with a split on its last feature."""
    wide = 10**9
    regressor = model.estimators_[1, 0]
    _, args, state = regressor.tree_.__reduce__()
    state = dict(state)
    state["nodes"] = state["nodes"].copy()
    state["nodes"]["feature"][0] = wide - 1
    tree = Tree(wide, args[1], args[2])
    tree.__setstate__(state)
    regressor.tree_ = tree
    regressor.n_features_in_ = wide


def _gb_many_outputs(model: Any) -> None:
    """Stages of 500 outputs for a model of one: each its own tree (one tree
    referred to 40,000 times is the walk's to refuse, before any check)."""
    grid = np.empty((2, 500), dtype=object)
    for index in np.ndindex(grid.shape):
        grid[index] = copy.deepcopy(model.estimators_[0, 0])
    model.estimators_ = grid


def _gbc() -> tuple[Any, Any]:
    X, y = RS.rand(60, 2), np.arange(60) % 3
    model = GradientBoostingClassifier(n_estimators=2, max_depth=1)
    return model.fit(X, y), X[:3]


def _gbc_two_class_guess(model: Any) -> None:
    model.init_ = DummyClassifier(strategy="prior").fit(np.zeros((4, 2)), [0, 1, 0, 1])


HGB_WIDTH = 4_000_000


def _hgb_categorical() -> tuple[Any, Any]:
    X = np.c_[RS.rand(300), RS.randint(0, 5, 300)]
    y = X[:, 0] + X[:, 1] + RS.rand(300)
    model = HistGradientBoostingRegressor(max_iter=3, categorical_features=[1])
    return model.fit(X, y), X[:3]


def _hgb_one_categorical() -> tuple[Any, Any]:
    X = RS.randint(0, 5, size=(200, 1)).astype(float)
    y = X[:, 0] + RS.rand(200)
    model = HistGradientBoostingRegressor(max_iter=2, categorical_features=[0])
    return model.fit(X, y), X[:3]


def _hgb_wide(model: Any) -> None:
    """d_hgb: a categorical split on a feature the bins do not know."""
    model._preprocessor = None
    model.n_features_in_ = HGB_WIDTH
    nodes = model._predictors[0][0].nodes
    split = (nodes["is_leaf"] == 0) & (nodes["is_categorical"] == 1)
    assert split.any()
    nodes["feature_idx"][split] = HGB_WIDTH - 1


def _hgb_wide_rows() -> Any:
    rows = np.zeros((1, HGB_WIDTH), dtype=np.int8)
    rows[0, -1] = 100
    return rows


def _hgb_split_on_numeric(model: Any) -> None:
    categorical = np.asarray(model._bin_mapper.is_categorical_) != 0
    for stage in model._predictors:
        nodes = stage[0].nodes
        numeric = (nodes["is_leaf"] == 0) & ~categorical[nodes["feature_idx"]]
        if numeric.any():
            nodes["is_categorical"][np.flatnonzero(numeric)[0]] = 1
            nodes["bitset_idx"][np.flatnonzero(numeric)[0]] = 0
            return
    raise AssertionError("no numeric split to corrupt")


def _hgb_split_in_a_list_of_its_own(model: Any) -> None:
    """Round 52's class where the holder check admits any list: histogram
    boosting's iterations in an allowed list subclass (pickled as a new
    object, then its state), one split corrupted; the walk opens it."""
    from versioned_estimator._compat import RemainderColsList

    _hgb_split_on_numeric(model)
    stages = RemainderColsList()
    stages.data = list(model._predictors)
    model._predictors = stages


def _hgb_predictor_holds_a_model(model: Any) -> None:
    """A predictor holding an estimator beside its arrays: the model's
    check holds each predictor whole (the walk checks none of them alone)."""
    model._predictors[-1][0].fallback = LogisticRegression()


def _hgb_unlimited() -> tuple[Any, Any]:
    """A boosting model without depth or leaf limits, over two features of
    four values each (four bins)."""
    X = (RS.rand(200, 2) * 4).astype(int).astype(float)
    model = HistGradientBoostingRegressor(
        max_iter=1, max_depth=None, max_leaf_nodes=None, min_samples_leaf=1
    )
    return model.fit(X, X[:, 0] + RS.rand(200)), X[:3]


def _hgb_chain_past_its_bins(model: Any) -> None:
    """Round 117: its tree a chain every row walks to the end, 60 levels
    where a path can split two features of four bins 10 times at most."""
    from sklearn.ensemble._hist_gradient_boosting.common import (
        PREDICTOR_RECORD_DTYPE,
    )

    levels = 60
    nodes = np.zeros(2 * levels + 1, PREDICTOR_RECORD_DTYPE)
    splits = np.arange(levels)
    nodes["is_leaf"] = 1
    nodes["is_leaf"][2 * splits] = 0
    nodes["left"][2 * splits] = 2 * splits + 2
    nodes["right"][2 * splits] = 2 * splits + 1
    nodes["depth"][2 * splits] = splits
    nodes["depth"][2 * splits + 1] = splits + 1
    nodes["depth"][-1] = levels
    nodes["num_threshold"] = np.inf
    nodes["missing_go_to_left"] = 1
    nodes["count"] = 1
    model._predictors[0][0].nodes = nodes


def _hgb_narrow_preprocessor(model: Any) -> None:
    name, transformer, columns = model._preprocessor.transformers_[1]
    model._preprocessor.transformers_[1] = (name, transformer, np.zeros_like(columns))


BALL_WIDTH = 500


def _ball_tree_knn() -> tuple[Any, Any]:
    X = RS.rand(10, BALL_WIDTH)
    model = KNeighborsClassifier(
        n_neighbors=1,
        algorithm="ball_tree",
        metric="seuclidean",
        metric_params={"V": np.ones(BALL_WIDTH)},
    )
    return model.fit(X, np.arange(10) % 2), X[:2]


def _ball_tree_small_distance(model: Any) -> None:
    state = list(model._tree.__getstate__())
    state[11] = DistanceMetric.get_metric("mahalanobis", VI=np.eye(1))
    model._tree.__setstate__(tuple(state))
    model.effective_metric_params_ = {}
    model.metric_params = None


def _brute_knn() -> tuple[Any, Any]:
    X = RS.rand(10, 2000)
    model = KNeighborsClassifier(n_neighbors=1, algorithm="brute")
    return model.fit(X, np.arange(10) % 2), X[:2]


def _brute_small_distance(model: Any) -> None:
    model.metric = model.effective_metric_ = "mahalanobis"
    model.metric_params = {"VI": np.eye(1)}
    model.effective_metric_params_ = {"VI": np.eye(1)}


def _small_knn() -> tuple[Any, Any]:
    X = RS.rand(10, 1)
    return KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(
        X, np.arange(10) % 2
    ), X[:3]


def _stratified_dummy() -> tuple[Any, Any]:
    model = DummyClassifier(
        strategy="stratified", random_state=np.random.RandomState(0)
    )
    return model.fit(np.zeros((10, 1)), np.arange(10) % 2), np.zeros((3, 1))


def _far_position(model: Any) -> None:
    state = model.random_state.get_state(legacy=False)
    state["state"]["pos"] = 100_000_000
    model.random_state.set_state(state)


def _sparse_logistic() -> tuple[Any, Any]:
    X = RS.rand(20, 3)
    model = LogisticRegression().fit(X, np.arange(20) % 2)
    model.sparsify()
    return model, X[:3]


def _far_index(model: Any) -> None:
    model.coef_.indices = np.array([0, 1, 2_000_000_000], dtype=np.int32)


def _function_transformer() -> tuple[Any, Any]:
    return FunctionTransformer().fit(np.zeros((4, 1))), np.zeros((4, 1))


def _private_function(model: Any) -> None:
    from sklearn.cluster._kmeans import _kmeans_single_lloyd

    model.func = _kmeans_single_lloyd
    model.kw_args = {
        "sample_weight": np.ones(4),
        "centers_init": np.zeros((2, 1)),
        "max_iter": 2,
    }


def _method_replaced(model: Any) -> None:
    model.__dict__["transform"] = np.mean


def _set_item(name: str, index: int, value: Any) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        getattr(model, name)[index] = value

    return corrupt


def _set(name: str, value: Any) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        setattr(model, name, value)

    return corrupt


def _count_vectorizer() -> tuple[Any, Any]:
    return CountVectorizer().fit(TEXT), TEXT


def _tfidf_vectorizer() -> tuple[Any, Any]:
    return TfidfVectorizer().fit(TEXT), TEXT


def _short_idf(model: Any) -> None:
    model._tfidf.idf_ = model._tfidf.idf_[:1]


def _spline() -> tuple[Any, Any]:
    X = np.linspace(0, 1, 10)[:, None]
    return SplineTransformer(n_knots=3, degree=2).fit(X), X[:3]


def _short_coefficients(model: Any) -> None:
    spline = model.bsplines_[0]
    spline.t = np.linspace(-1, 2, 4_000_000)
    spline.c = spline.c[:1].copy()


def _swapped_coefficients(model: Any) -> None:
    """Round 116: coefficients stored big-endian, read by numpy (and every
    check) as their values, by scipy's compiled evaluation as native doubles
    (1.0 as 3e-319)."""
    for spline in model.bsplines_:
        stored = vars(spline)
        name = "_c" if "_c" in stored else "c"
        stored[name] = stored[name].astype(">f8")


def _dummy_regressor() -> tuple[Any, Any]:
    return DummyRegressor().fit(np.zeros((3, 1)), np.zeros(3)), np.zeros((1, 1))


def _delete(name: str) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        delattr(model, name)

    return corrupt


def _one_hot() -> tuple[Any, Any]:
    X = np.array([["a", "x"], ["b", "y"], ["c", "y"]], dtype=object)
    return OneHotEncoder(handle_unknown="ignore").fit(X), X[:2]


def _one_hot_infrequent() -> tuple[Any, Any]:
    X = np.array([["a"], ["a"], ["b"], ["c"], ["a"], ["d"]], dtype=object)
    encoder = OneHotEncoder(
        min_frequency=2, handle_unknown="infrequent_if_exist", sparse_output=False
    )
    return encoder.fit(X), X[:3]


def _far_infrequent_mapping(model: Any) -> None:
    model._default_to_infrequent_mappings = [
        np.full_like(model._default_to_infrequent_mappings[0], 10**12)
    ]


def _one_hot_drop_first() -> tuple[Any, Any]:
    X = np.array([["a", "x"], ["b", "y"], ["c", "y"]], dtype=object)
    return OneHotEncoder(drop="first").fit(X), X[:2]


def _feature_agglomeration() -> tuple[Any, Any]:
    X = RS.rand(20, 4)
    return FeatureAgglomeration(n_clusters=3).fit(X), X[:3]


def _knn_transformer() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    return KNeighborsTransformer(n_neighbors=3).fit(X), X[:3]


def _tree_model() -> tuple[Any, Any]:
    X, y = RS.rand(30, 3), RS.rand(30)
    return DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y), X[:3]


def _svc_precomputed() -> tuple[Any, Any]:
    X = RS.rand(20, 3)
    gram = X @ X.T
    return SVC(kernel="precomputed").fit(gram, np.arange(20) % 2), gram[:3]


def _svc_far_support(model: Any) -> None:
    model.shape_fit_ = list(model.shape_fit_)
    model.support_ = model.support_.copy()
    model.support_[0] = 2**30


def _function_transformer_identity() -> tuple[Any, Any]:
    X = np.array([[1.0, 2.0]])
    return FunctionTransformer().fit(X), X


def _dict_vectorizer_model() -> tuple[Any, Any]:
    rows = [{"a": 1.0}, {"b": 2.0}]
    return DictVectorizer().fit(rows), None


def _dict_far_index(model: Any) -> None:
    # Indices inside the names, but the output has one column per entry.
    model.vocabulary_ = {"a": 0, "b": 7}
    model.feature_names_ = ["a", "b", *"cdefgh"]


def _birch() -> tuple[Any, Any]:
    X = RS.rand(200, 1)
    return Birch(n_clusters=None, threshold=0.001).fit(X), X[:3]


def _multilabel() -> tuple[Any, Any]:
    return MultiLabelBinarizer().fit([[1, 2], [3]]), None


def _brute_regressor() -> tuple[Any, Any]:
    X = RS.rand(200_000, 1)
    model = KNeighborsRegressor(algorithm="brute").fit(X, RS.rand(200_000))
    return model, X[:3]


def _precomputed_norms(model: Any) -> None:
    model.metric_params = {"Y_norm_squared": np.zeros(1)}
    model.effective_metric_params_ = {"Y_norm_squared": np.zeros(1)}


def _polynomial() -> tuple[Any, Any]:
    X = RS.rand(10, 3)
    return PolynomialFeatures(degree=2).fit(X), X[:3]


def _interactions() -> tuple[Any, Any]:
    X = RS.rand(10, 3)
    return PolynomialFeatures(degree=2, interaction_only=True).fit(X), X[:3]


def _forest() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    model = RandomForestClassifier(n_estimators=2, random_state=0)
    return model.fit(X, np.arange(30) % 2), X[:3]


def _hgb_regressor() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    model = HistGradientBoostingRegressor(max_iter=2).fit(X, RS.rand(40))
    return model, X[:3]


def _radius_classifier() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    return RadiusNeighborsClassifier(radius=2.0).fit(X, np.arange(30) % 2), X[:3]


def _far_labels(model: Any) -> None:
    model._y = np.full_like(model._y, 10**9)


def _svr() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    return SVR().fit(X, RS.rand(40)), X[:3]


def _svc() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    return SVC().fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _long_support_counts(model: Any) -> None:
    # libsvm copies len(counts) * (len(counts) - 1) / 2 intercepts.
    counts = np.zeros(4000, dtype=np.int32)
    counts[0] = len(model.support_)
    model._n_support = counts


def _classes_deleted(model: Any) -> None:
    _long_support_counts(model)
    model._intercept_ = model._intercept_[:1].copy()
    model._dual_coef_ = model._dual_coef_[:1].copy()
    model._probA, model._probB = np.empty(0), np.empty(0)
    del model.classes_


def _additive_chi2() -> tuple[Any, Any]:
    X = RS.rand(10, 3)
    return AdditiveChi2Sampler().fit(X), X[:3]


def _count_sketch() -> tuple[Any, Any]:
    X = RS.rand(10, 3)
    return PolynomialCountSketch(n_components=10, random_state=0).fit(X), X[:3]


def _shallow_recorded_depth(model: Any) -> None:
    # decision_path allocates max_depth + 1 entries a row.
    state = model.tree_.__getstate__()
    state["max_depth"] = 0
    model.tree_.__setstate__(state)


def _forest_regressor() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    model = RandomForestRegressor(n_estimators=2, random_state=0)
    return model.fit(X, RS.rand(30)), X[:3]


def _sparse_svr() -> tuple[Any, Any]:
    X = sp.csr_matrix(RS.rand(40, 3))
    return SVR().fit(X, RS.rand(40)), X[:3]


def _unstored_coefficients(model: Any) -> None:
    model._dual_coef_ = sp.csr_matrix(model._dual_coef_.shape)


def _kd_tree_knn() -> tuple[Any, Any]:
    X = RS.rand(200, 2)
    return KNeighborsRegressor(algorithm="kd_tree").fit(X, RS.rand(200)), X[:3]


def _lower_bounds_only(model: Any) -> None:
    state = list(model._tree.__getstate__())
    state[3] = state[3][:1].copy()
    model._tree.__setstate__(tuple(state))


def _numeric_one_hot() -> tuple[Any, Any]:
    X = np.array([[9.0], [1.0], [2.0]])
    return OneHotEncoder(sparse_output=False).fit(X), X


def _unordered_categories(model: Any) -> None:
    model.categories_ = [np.array([9.0, 1.0, 2.0])]


def _hard_voting() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    voters = [
        (name, DecisionTreeClassifier(max_depth=2, random_state=seed))
        for seed, name in enumerate("abc")
    ]
    model = VotingClassifier(voters, voting="hard")
    return model.fit(X, np.arange(40) % 2), X[:3]


def _bunch_item(name: str) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        model.named_estimators_[name] = model.estimators_[0]

    return corrupt


def _requests_of(owner: Any, slots: Callable[[Any], Any] | None = None) -> Any:
    """A ``MetadataRequest`` as ``set_*_request`` leaves it, or with each of
    its method slots holding ``slots(child)`` instead."""
    from sklearn.utils._metadata_requests import (
        SIMPLE_METHODS,
        MetadataRequest,
        MethodMetadataRequest,
    )

    request = MetadataRequest(owner=owner)
    if slots is not None:
        child = MethodMetadataRequest(owner=None, method="fit")
        for _ in range(2):  # each level's ten slots hold one child
            child = slots(child)
        for method in SIMPLE_METHODS:
            setattr(request, method, child)
    return request


def _nested_requests(model: Any) -> None:
    """Round 173: ``clone`` and routing walk a request's ten methods, and
    each held a request of its own: 10**depth steps from a few bytes."""
    from sklearn.utils._metadata_requests import SIMPLE_METHODS, MetadataRequest

    def level(child: Any) -> Any:
        request = MetadataRequest.__new__(MetadataRequest)
        request.owner = None
        for method in SIMPLE_METHODS:
            setattr(request, method, child)
        return request

    model._metadata_request = _requests_of(None, level)


def _requests_of_another_model(model: Any) -> None:
    model._metadata_request = _requests_of(DecisionTreeClassifier())


def _request_alias(alias: Any) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        model._metadata_request = _requests_of(model)
        model._metadata_request.fit._requests["sample_weight"] = alias

    return corrupt


def _holding_itself(model: Any) -> None:
    model.inv_kw_args = {"kept": [model]}


def _far_voter_labels(model: Any) -> None:
    model.estimators_[0].classes_ = np.array([2**30, 2**30 + 1])


def _gb_linear_first_guess() -> tuple[Any, Any]:
    X = RS.rand(50, 4)
    model = GradientBoostingRegressor(n_estimators=2, init=LinearRegression())
    return model.fit(X, RS.rand(50)), X[:3]


def _row_shaped_guess(model: Any) -> None:
    # predict gives (1, n) where predict_stages writes (n, 1).
    model.init_.intercept_ = np.array([[0.5]])


def _voting_with_constant() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    voters = [
        ("constant", DummyClassifier(strategy="constant", constant=1)),
        ("a", DecisionTreeClassifier(max_depth=2, random_state=0)),
        ("b", DecisionTreeClassifier(max_depth=2, random_state=1)),
    ]
    model = VotingClassifier(voters, voting="hard")
    return model.fit(X, np.arange(40) % 2), X[:3]


def _far_constant(model: Any) -> None:
    # Given so too, as an author would: a member is a fit of its parameter.
    model.estimators_[0].constant = model.estimators[0][1].constant = 2 * 10**9


def _hgb_narrowing_transformer(model: Any) -> None:
    # A transformer that drops its columns, where the model's keeps them.
    name, _, columns = model._preprocessor.transformers_[1]
    narrowing = VarianceThreshold().fit(np.c_[RS.rand(10), RS.rand(10)][:, :1])
    narrowing.variances_ = np.zeros(1)
    model._preprocessor.transformers_[1] = (name, narrowing, columns)


def _identity_infrequent_mapping(model: Any) -> None:
    # Inside the categories, but not what fit builds: codes past the width.
    size = len(model._default_to_infrequent_mappings[0])
    model._default_to_infrequent_mappings = [np.arange(size)]


def _one_hot_unknown_as_infrequent() -> tuple[Any, Any]:
    X = np.array([["a"], ["b"], ["c"]], dtype=object)
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False)
    return encoder.fit(X), X[:2]


def _far_infrequent_category(model: Any) -> None:
    # An unknown value is coded as the first infrequent category, unmapped.
    model._infrequent_indices = [np.array([10**9])]


def _sparse_svc() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    return SVC().fit(sp.csr_matrix(X), y), X[:3]


def _sparse_precomputed_vectors(model: Any) -> None:
    # The sparse build reads a precomputed kernel at the vectors' values.
    n_sv = len(model.support_)
    model._sparse = True
    model.support_vectors_ = sp.csr_matrix(
        (np.full(n_sv, 1e9), np.zeros(n_sv, dtype=np.int32), np.arange(n_sv + 1)),
        shape=(n_sv, 1),
    )
    model._dual_coef_ = sp.csr_matrix(model._dual_coef_)


def _lda() -> tuple[Any, Any]:
    from sklearn.decomposition import LatentDirichletAllocation

    X = RS.randint(0, 5, size=(20, 6)).astype(float)
    model = LatentDirichletAllocation(n_components=2, max_iter=2, random_state=0)
    return model.fit(X), X[:2]


def _nmf() -> tuple[Any, Any]:
    from sklearn.decomposition import NMF

    X = RS.rand(20, 4)
    return NMF(n_components=2, max_iter=500, random_state=0).fit(X), X[:2]


def _polynomial_many_rows() -> tuple[Any, Any]:
    X = RS.rand(40, 5)
    return PolynomialFeatures(degree=2).fit(X), X[:25]


def _polynomial_degree_64(model: Any) -> None:
    # 11.2 million columns a row: under the cap for one row, 2 GiB for the
    # 25 rows of the probe.
    model.degree = model._max_degree = 64
    count = type(model)._num_combinations(
        n_features=5,
        min_degree=0,
        max_degree=64,
        interaction_only=False,
        include_bias=True,
    )
    model.n_output_features_ = model._n_out_full = count


def _search_of_neighbours() -> tuple[Any, Any]:
    from sklearn.model_selection import GridSearchCV

    X = RS.rand(60, 3)
    search = GridSearchCV(
        KNeighborsClassifier(algorithm="brute"), {"n_neighbors": [3, 5]}, cv=2
    )
    return search.fit(X, np.arange(60) % 2), X[:3]


def _search_with_scorer() -> tuple[Any, Any]:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    X = RS.rand(40, 3)
    search = GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, cv=2, scoring="r2")
    return search.fit(X, RS.rand(40)), X[:3]


def _fit_as_response(model: Any) -> None:
    model.scorer_._response_method = "fit"
    model.scoring = model.scorer_  # a scorer given as scoring, kept as is


def _one_vs_rest_multilabel() -> tuple[Any, Any]:
    from sklearn.multiclass import OneVsRestClassifier

    X = RS.rand(40, 3)
    Y = np.c_[X[:, 0] > 0.5, X[:, 1] > 0.5].astype(int)
    return OneVsRestClassifier(LogisticRegression()).fit(X, Y), X[:3]


def _member_with_many_rows(model: Any) -> None:
    # One-vs-rest takes the positions of positive decisions as sample rows.
    member = model.estimators_[0]
    member.coef_ = np.ones((5_000, member.coef_.shape[1]))
    member.intercept_ = np.ones(5_000)


def _kd_transformer() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    return KNeighborsTransformer(n_neighbors=3, algorithm="kd_tree").fit(X), X[:3]


def _larger_tree(model: Any) -> None:
    from sklearn.neighbors import KDTree

    model._tree = KDTree(RS.rand(3_000, 2))


def _narrow_mahalanobis(model: Any) -> None:
    metric = DistanceMetric.get_metric("mahalanobis", VI=np.eye(3))
    model.metric = model.effective_metric_ = metric


def _minibatch_nmf() -> tuple[Any, Any]:
    from sklearn.decomposition import MiniBatchNMF

    X = RS.rand(20, 4)
    return MiniBatchNMF(n_components=2, random_state=0).fit(X), X[:2]


def _uniform_dummy() -> tuple[Any, Any]:
    X = RS.rand(20, 2)
    model = DummyClassifier(strategy="uniform", random_state=0)
    return model.fit(X, np.arange(20) % 2), X[:3]


def _classes_of_no_bytes(model: Any) -> None:
    # Sixty million classes that cost the file nothing: predict_proba
    # allocates a float for each.
    model.classes_ = np.zeros(60_000_000, dtype=np.dtype([]))
    model.n_classes_ = 60_000_000
    model.class_prior_ = None


def _brute_classifier() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    model = KNeighborsClassifier(3, algorithm="brute", metric="manhattan")
    return model.fit(X, np.arange(30) % 2), X[:3]


def _classes_as_outputs(model: Any) -> None:
    # One output read as a list of outputs: labels checked against the
    # wrong classes.
    model.classes_ = [model.classes_]


def _three_class_member(model: Any) -> None:
    X = RS.rand(30, 3)
    model.estimators_[0] = LogisticRegression().fit(X, np.arange(30) % 3)


def _matmul_kernel_far_support(model: Any) -> None:
    model.kernel = np.matmul
    model.support_ = model.support_.copy()
    model.support_[0] = 10**9


def _isolation_forest() -> tuple[Any, Any]:
    from sklearn.ensemble import IsolationForest

    X = RS.rand(40, 4)
    return IsolationForest(n_estimators=3, max_features=2).fit(X), X[:3]


def _far_feature(model: Any) -> None:
    model.estimators_features_[0] = np.array([0, 7])


def _wide_constant_member(model: Any) -> None:
    from sklearn.multiclass import _ConstantPredictor

    # A label column fit saw one value of, repeated two million times a row.
    constant = _ConstantPredictor().fit(np.zeros((1, 3)), np.array([1]))
    constant.y_ = np.ones(2_000_000, dtype=bool)
    model.estimators_[0] = constant


def _empty_hidden_layer(model: Any) -> None:
    # (n, 0) times (0, H) is (n, H): fifty million outputs a row from
    # arrays that hold no bytes.
    model.coefs_ = [np.zeros((3, 0)), np.zeros((0, 50_000_000))]
    model.intercepts_ = [np.zeros(0), np.zeros(1)]


def _compiled_driver_as_metric(model: Any) -> None:
    from sklearn.cluster._kmeans import _kmeans_single_lloyd

    # score() would run k-means' compiled loop over centres of (1, 1).
    model.scorer_._score_func = _kmeans_single_lloyd
    model.scorer_._kwargs = {"centers_init": np.zeros((1, 1))}
    model.scoring = model.scorer_  # a scorer given as scoring, kept as is


def _compiled_driver_as_metric_attribute(model: Any) -> None:
    from sklearn.cluster._kmeans import _kmeans_single_lloyd

    # brute force calls its fitted metric with the data's rows.
    model.effective_metric_ = _kmeans_single_lloyd


def _fixed_threshold() -> tuple[Any, Any]:
    from sklearn.model_selection import FixedThresholdClassifier

    X = RS.rand(40, 3)
    model = FixedThresholdClassifier(LogisticRegression(), threshold=0.5)
    return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _ordinal() -> tuple[Any, Any]:
    from sklearn.preprocessing import OrdinalEncoder

    X = np.array([["a"], ["b"], ["c"]], dtype=object)
    return OrdinalEncoder().fit(X), X[:2]


def _scaler_with_output() -> tuple[Any, Any]:
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(10, 2)
    return StandardScaler().fit(X), X[:2]


def _mlp() -> tuple[Any, Any]:
    from sklearn.neural_network import MLPRegressor

    X = RS.rand(40, 3)
    model = MLPRegressor(hidden_layer_sizes=(16, 16), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, X[:, 0]), X[:3]


def _repeated_layer(model: Any) -> None:
    """Round 18: one hidden layer referred to 5,000 times (bytes a
    reference): predict multiplies by it 5,000 times."""
    repeats = 5000
    model.coefs_ = [model.coefs_[0], *[model.coefs_[1]] * repeats, model.coefs_[2]]
    model.intercepts_ = [
        model.intercepts_[0],
        *[model.intercepts_[1]] * repeats,
        model.intercepts_[2],
    ]
    model.n_layers_ = len(model.coefs_) + 1


def _small_forest() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    model = RandomForestRegressor(n_estimators=2, max_depth=3, random_state=0)
    return model.fit(X, X[:, 0]), X[:3]


def _repeated_tree(model: Any) -> None:
    """One tree 50,000 times, and the parameter asking for as many: what
    refuses it is the references, two bytes each in the file."""
    model.estimators_ = [model.estimators_[0]] * 50_000
    model.n_estimators = 50_000


def _gaussian_process() -> tuple[Any, Any]:
    from sklearn.gaussian_process import GaussianProcessRegressor

    X = RS.rand(20, 2)
    return GaussianProcessRegressor(optimizer=None).fit(X, X[:, 0]), X[:3]


def _normalizer() -> tuple[Any, Any]:
    from sklearn.preprocessing import Normalizer

    X = RS.rand(10, 3)
    return Normalizer().fit(X), X[:3]


def _linear_regression() -> tuple[Any, Any]:
    X = RS.rand(20, 2)
    return LinearRegression().fit(X, X[:, 0]), X[:3]


def _small_isolation_forest() -> tuple[Any, Any]:
    from sklearn.ensemble import IsolationForest

    X = RS.rand(30, 2)
    return IsolationForest(n_estimators=3, random_state=0).fit(X), X[:3]


def _sigmoid_calibration() -> tuple[Any, Any]:
    from sklearn.calibration import CalibratedClassifierCV

    X = RS.rand(40, 2)
    y = (X[:, 0] > 0.5).astype(int)
    model = CalibratedClassifierCV(LogisticRegression(), method="sigmoid", cv=2)
    return model.fit(X, y), X[:3]


def _sigmoid_slope_column(model: Any) -> None:
    model.calibrated_classifiers_[0].calibrators[0].a_ = np.ones((16_000, 1))


def _tuned_threshold() -> tuple[Any, Any]:
    from sklearn.model_selection import TunedThresholdClassifierCV

    X = RS.rand(40, 2)
    y = (X[:, 0] > 0.5).astype(int)
    return TunedThresholdClassifierCV(LogisticRegression(), cv=2).fit(X, y), X[:3]


def _object_holding(value: Any) -> Any:
    """A 0-d object array whose one item is ``value``."""
    held = np.empty((), dtype=object)
    held[()] = value
    return held


def _coefficients_of_columns(model: Any) -> None:
    """A (2,) object array of coefficients, each item a (6000, 1) column:
    its shape is the one every fit makes."""
    columns = np.empty(2, dtype=object)
    for i in range(2):
        columns[i] = np.ones((6_000, 1))
    model.coef_ = columns


def _hgb_on_two_columns() -> tuple[Any, Any]:
    X = RS.rand(60, 2)
    return HistGradientBoostingRegressor(max_iter=2).fit(X, X[:, 0]), X[:3]


def _calibrated_class_count(model: Any) -> None:
    """A calibrated member of 100,000 classes: predict_proba allocates
    (rows, 100,000) for it."""
    model.calibrated_classifiers_[0].classes = np.arange(100_000, dtype=np.int32)


def _logistic() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    return LogisticRegression().fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _ridge_one_row_of_coefficients() -> tuple[Any, Any]:
    from sklearn.linear_model import Ridge

    X = RS.rand(20, 2)
    model = Ridge().fit(X, X[:, 0])
    model.coef_ = model.coef_.reshape(1, -1)
    return model, X[:3]


def _sqrt_transformer() -> tuple[Any, Any]:
    X = RS.rand(20, 4)
    return FunctionTransformer(np.sqrt).fit(X), X[:3]


def _where_without_out(model: Any) -> None:
    """Round 185: a ``where=`` mask given to a ufunc without ``out=``: numpy
    leaves the output where it is false as the memory it took (3e200 and
    subnormal numbers here, others at each call)."""
    model.kw_args = {"where": np.array([True, False, True, True])}


def _clip_where_without_out() -> tuple[Any, Any]:
    X = RS.rand(20, 4)
    clip = FunctionTransformer(np.clip, kw_args={"a_min": 0.2, "a_max": 0.8})
    return clip.fit(X), X[:3]


def _where_as_lists(model: Any) -> None:
    """A ``where=`` mask of (2000, 1, 1) as nested lists: the output is
    (2000, rows, width)."""
    model.kw_args = {"where": np.ones((2_000, 1, 1), dtype=bool).tolist()}


def _qda_five() -> tuple[Any, Any]:
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

    X = RS.rand(100, 4)
    return QuadraticDiscriminantAnalysis().fit(X, np.arange(100) % 5), X[:3]


def _qda_wide_last_rotation(model: Any) -> None:
    model.rotations_[4] = np.zeros((4, 8_000))
    model.scalings_[4] = np.ones(8_000)


def _categorical_nb() -> tuple[Any, Any]:
    from sklearn.naive_bayes import CategoricalNB

    X = RS.randint(0, 3, size=(60, 6))
    return CategoricalNB().fit(X, np.arange(60) % 2), X[:3]


def _network_wide_hidden() -> tuple[Any, Any]:
    from sklearn.neural_network import MLPRegressor

    X = RS.rand(30, 4)
    model = MLPRegressor(hidden_layer_sizes=(5, 5), max_iter=5, random_state=0)
    return model.fit(X, X[:, 0]), X[:3]


def _widen_second_layer(model: Any) -> None:
    """The second hidden layer 8,000 wide, its best-so-far copy too."""
    model.coefs_[1] = np.zeros((5, 8_000))
    model.intercepts_[1] = np.zeros(8_000)
    model.coefs_[2] = np.zeros((8_000, 1))
    model._best_coefs = model.coefs_
    model._best_intercepts = model.intercepts_
    _optimizer_in_step(model)


def _optimizer_in_step(model: Any) -> None:
    """The optimizer's state made the weights' shapes again (the check of
    round 60 holds the two together), so that a case reaches its own check."""
    optimizer = getattr(model, "_optimizer", None)
    weights = [*model.coefs_, *model.intercepts_]
    for name in ("ms", "vs", "velocities"):
        if hasattr(optimizer, name):
            setattr(optimizer, name, [np.zeros_like(w) for w in weights])


def _sparse_projection() -> tuple[Any, Any]:
    from sklearn.random_projection import SparseRandomProjection

    X = RS.rand(20, 4)
    return SparseRandomProjection(n_components=3, random_state=0).fit(X), X[:3]


def _projection_of_no_entries(model: Any) -> None:
    """A sparse matrix of no entries declares 65,536 outputs a row."""
    model.components_ = sp.csr_matrix((65_536, 4))
    model.n_components_ = 65_536


def _nca() -> tuple[Any, Any]:
    from sklearn.neighbors import NeighborhoodComponentsAnalysis

    X = RS.rand(30, 4)
    model = NeighborhoodComponentsAnalysis(max_iter=3, random_state=0)
    return model.fit(X, np.arange(30) % 3), X[:3]


def _discriminant_analysis() -> tuple[Any, Any]:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    X = RS.rand(30, 4)
    return LinearDiscriminantAnalysis().fit(X, np.arange(30) % 3), X[:3]


def _discriminant_wide(model: Any) -> None:
    model.scalings_ = np.zeros((4, 8_000))
    model._max_components = 8_000


def _target_encoder() -> tuple[Any, Any]:
    from sklearn.preprocessing import TargetEncoder

    X = RS.randint(0, 4, size=(60, 2))
    return TargetEncoder(random_state=0).fit(X, np.arange(60) % 3), X[:3]


def _many_target_classes(model: Any) -> None:
    """20,000 classes where 3 were fitted: transform allocates a column a
    feature and class, and leaves those no encoding fills uninitialised."""
    model.classes_ = np.arange(20_000, dtype=np.int16)
    model.target_mean_ = np.zeros(20_000, dtype=np.float16)


def _binned() -> tuple[Any, Any]:
    from sklearn.preprocessing import KBinsDiscretizer

    X = RS.rand(40, 1)
    return KBinsDiscretizer(n_bins=3, encode="onehot-dense").fit(X), X[:3]


def _many_bins(model: Any) -> None:
    """A 3-bin model with 20,000 bins, edges and encoder widened to match."""
    model.n_bins_ = np.array([20_000])
    edges = np.empty(1, dtype=object)
    edges[0] = np.linspace(0.0, 1.0, 20_001)
    model.bin_edges_ = edges
    model._encoder.categories_ = [np.arange(20_000, dtype=float)]
    model._encoder._n_features_outs = [20_000]


def _pls() -> tuple[Any, Any]:
    from sklearn.cross_decomposition import PLSRegression

    X = RS.rand(20, 3)
    return PLSRegression(n_components=2).fit(X, X[:, 0]), X[:3]


def _kernel_of_one_operand_twice(model: Any) -> None:
    """Round 18: Product(k, k) nested 40 deep, both operands one object:
    41 objects, 2**40 kernel evaluations a predict."""
    from sklearn.gaussian_process.kernels import Product

    kernel = model.kernel_
    for _ in range(40):
        kernel = Product(kernel, kernel)
    # Given as the kernel too, as its author would: fit keeps the structure
    # it was given, so only the references give it away.
    model.kernel_ = model.kernel = kernel


def _check_array_transformer() -> tuple[Any, Any]:
    from functools import partial

    X = RS.rand(10, 4)
    return FunctionTransformer(partial(check_array)).fit(X), X[:3]


def _wide_dtype_keyword(model: Any) -> None:
    model.kw_args = {"dtype": "(60000000,)f8"}


def _wide_dtype_in_partial(model: Any) -> None:
    from functools import partial

    model.func = partial(model.func.func, dtype="(60000000,)f8")


def _negative_transformer() -> tuple[Any, Any]:
    X = RS.rand(10, 2)
    return FunctionTransformer(np.negative).fit(X), X[:3]


def _out_into_fitted_array(model: Any) -> None:
    model.kw_args = {"out": np.zeros((3, 2))}


def _column_transformer() -> tuple[Any, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(10, 2)
    model = ColumnTransformer([("scale", StandardScaler(), [0, 1])])
    return model.fit(X), X[:3]


def _embedding() -> tuple[Any, Any]:
    from sklearn.manifold import LocallyLinearEmbedding

    X = RS.rand(40, 3)
    return LocallyLinearEmbedding(n_neighbors=5, n_components=1).fit(X), X[:3]


def _kmeans_names() -> tuple[Any, Any]:
    X = RS.rand(20, 2)
    return KMeans(3, n_init=1, random_state=0).fit(X), X[:3]


def _scaler() -> tuple[Any, Any]:
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(10, 2)
    return StandardScaler().fit(X), X[:3]


def _names_in_pandas(name: str, value: int) -> Callable[[Any], None]:
    """A count of names, with pandas output: transform names its columns."""

    def corrupt(model: Any) -> None:
        setattr(model, name, value)
        model._sklearn_output_config = {"transform": "pandas"}

    return corrupt


def _selector() -> tuple[Any, Any]:
    from sklearn.feature_selection import SelectFromModel

    X = RS.rand(20, 3)
    return SelectFromModel(LinearRegression()).fit(X, X[:, 0]), X[:3]


def _tfidf() -> tuple[Any, Any]:
    return TfidfVectorizer().fit(TEXT), TEXT


def _gb_three_classes() -> tuple[Any, Any]:
    X, y = RS.rand(60, 3), np.arange(60) % 3
    return GradientBoostingClassifier(n_estimators=2).fit(X, y), X[:3]


def _binomial_loss(model: Any) -> None:
    """Round 19: a binomial loss on three classes makes the raw predictions
    one column wide; predict_stages writes three (heap corruption)."""
    from sklearn._loss.loss import HalfBinomialLoss

    model._loss = HalfBinomialLoss()


def _hashing() -> tuple[Any, Any]:
    return HashingVectorizer(n_features=16).fit(TEXT), TEXT


def _width_paid_by_an_empty_matrix(model: Any) -> None:
    """Round 19: a name count 'as wide as an array' the file paid nothing for."""
    model.n_features_in_ = 10**9
    model.padding_ = sp.csr_matrix((1, 10**9))


def _text_constant_kernel(model: Any) -> None:
    """Round 20: ConstantKernel fills an array of its constant's dtype, rows
    times training rows: a 1,000-character text made 4 KB items."""
    from sklearn.gaussian_process.kernels import ConstantKernel

    # Given as the kernel too: fit keeps the structure it was given.
    model.kernel_ = model.kernel = ConstantKernel(constant_value="x" * 1000)


def _empty_training_rows(model: Any) -> None:
    """Round 20: a (65536, 0) training set costs the file nothing."""
    model.X_train_ = np.empty((65536, 0))
    model.n_features_in_ = 0


def _narrow_bitsets(model: Any) -> None:
    """Round 21: one word a row where the predictor reads word code // 32."""
    for stage in model._predictors:
        for predictor in stage:
            predictor.raw_left_cat_bitsets = np.ascontiguousarray(
                predictor.raw_left_cat_bitsets[:, :1]
            )


def _mutual_info_transformer() -> tuple[Any, Any]:
    from sklearn.feature_selection import mutual_info_classif

    X = RS.rand(5, 2)
    model = FunctionTransformer(mutual_info_classif, kw_args={"y": [0, 1, 0, 1, 0]})
    return model.fit(X), X


def _nested_one_vs_rest() -> tuple[Any, Any]:
    from sklearn.multiclass import OneVsRestClassifier

    X = RS.rand(40, 3)
    Y = np.c_[X[:, 0] > 0.5, X[:, 1] > 0.5].astype(int)  # two labels
    return OneVsRestClassifier(LogisticRegression()).fit(X, Y), X[:5]


def _wide_inner_member(model: Any) -> None:
    """Round 21: a member that is itself a one-vs-rest of two classes and
    40 members decides 40 columns (400 wrote past an (n, 2) matrix)."""
    from sklearn.multiclass import OneVsRestClassifier

    X, y = RS.rand(20, 3), np.arange(20) % 2
    # Every member a fit of the parameter, as an author giving a
    # one-vs-rest as the estimator would have them.
    model.estimator = OneVsRestClassifier(LogisticRegression())
    for index in range(len(model.estimators_)):
        nested = OneVsRestClassifier(LogisticRegression()).fit(X, y)
        nested.estimators_ = [LogisticRegression().fit(X, y) for _ in range(40)]
        model.estimators_[index] = nested


def _naive_bayes() -> tuple[Any, Any]:
    from sklearn.naive_bayes import GaussianNB

    X = RS.rand(30, 3)
    return GaussianNB().fit(X, np.arange(30) % 2), X[:5]


def _four_dimensional_means(model: Any) -> None:
    """Round 22: a (2, 3500, 1, 1) mean broadcast against the data made
    (2, 3500, n, d) at predict from 16 KB."""
    model.theta_ = np.zeros((2, 3500, 1, 1), dtype=np.int8)
    model.var_ = np.ones((2, 3500, 1, 1, 1), dtype=np.int8)


def _elliptic_envelope() -> tuple[Any, Any]:
    from sklearn.covariance import EllipticEnvelope

    X = RS.rand(40, 3)
    return EllipticEnvelope(random_state=0).fit(X), X[:5]


def _bernoulli_nb() -> tuple[Any, Any]:
    from sklearn.naive_bayes import BernoulliNB

    X = (RS.rand(30, 3) > 0.5).astype(float)
    return BernoulliNB().fit(X, np.arange(30) % 2), X[:5]


def _diag_mixture() -> tuple[Any, Any]:
    from sklearn.mixture import GaussianMixture

    X = RS.rand(40, 3)
    return GaussianMixture(2, covariance_type="diag", random_state=0).fit(X), X[:5]


def _outer_product_means(model: Any) -> None:
    """Round 23: (A, 1) means against (1, B) precisions broadcast to (A, B)
    before the width mismatch is noticed."""
    model.means_ = np.zeros((16_000, 1))
    model.precisions_cholesky_ = np.ones((1, 16_000))


# Round 29: column positions repeated (each a copy of the column at predict)
# and output widths beyond the count asked for.

WIDE = 20_000  # columns: (30,000, WIDE) float64 is 4.8 GB, past a 3 GB cap


def _bagging_of_two() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    model = BaggingClassifier(DecisionTreeClassifier(), n_estimators=2, random_state=0)
    return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _repeat_first_subset(model: Any) -> None:
    """The first member's columns: one valid column WIDE times."""
    model.estimators_features_[0] = np.zeros(WIDE, dtype=np.int64)


def _missing_indicator() -> tuple[Any, Any]:
    from sklearn.impute import MissingIndicator

    X = RS.rand(10, 2)
    X[0, 0] = np.nan
    return MissingIndicator().fit(X), X[:3]  # the columns that had gaps


def _many_missing_features(model: Any) -> None:
    """A bool mask's column WIDE * 10 times: 6 GB at 30,000 rows."""
    model.features_ = np.zeros(10 * WIDE, dtype=np.int64)
    model._n_features = 20 * WIDE


def _pairwise_one_vs_one() -> tuple[Any, Any]:
    from sklearn.multiclass import OneVsOneClassifier

    X = RS.rand(30, 2)
    y = np.arange(30) % 3
    return OneVsOneClassifier(LogisticRegression()).fit(X, y), X[:3]


def _pairwise_indices(model: Any) -> None:
    """A model that is not pairwise given each pair's training columns: a
    (rows, WIDE) copy a pair."""
    # three arrays: one array three times is refused as such, before this
    model.pairwise_indices_ = [np.zeros(WIDE, dtype=np.int64) for _ in range(3)]


def _column_repeated(model: Any) -> None:
    name, transformer, _ = model.transformers_[0]
    model.transformers_[0] = (name, transformer, [0] * WIDE)


def _decomposition(kind: str, **params: Any) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        import sklearn.decomposition as decomposition
        import sklearn.kernel_approximation as approximation
        import sklearn.neural_network as network

        for module in (decomposition, approximation, network):
            if hasattr(module, kind):
                X = RS.rand(20, 3)
                return getattr(module, kind)(**params).fit(X), X[:3]
        raise AssertionError(kind)

    return build


def _components_wide(model: Any) -> None:
    """WIDE components of the data's width, and every count beside them."""
    model.components_ = np.zeros((WIDE, model.n_features_in_))
    for name in ("n_components_", "_n_components"):
        if name in vars(model):
            setattr(model, name, WIDE)
    for name in (
        "explained_variance_",
        "explained_variance_ratio_",
        "singular_values_",
        "intercept_hidden_",
    ):
        if isinstance(vars(model).get(name), np.ndarray):
            setattr(model, name, np.ones(WIDE))


def _sampler_wide(model: Any) -> None:
    model.random_weights_ = np.zeros((model.n_features_in_, WIDE))
    model.random_offset_ = np.zeros(WIDE)


def _rotations_wide(model: Any) -> None:
    model.x_rotations_ = np.zeros((model.n_features_in_, WIDE))


# Round 30: arguments that broadcast against the data, PLSSVD's weights.


def _exp_of_one_column() -> tuple[Any, Any]:
    X = RS.rand(20, 1)
    return FunctionTransformer(np.exp).fit(X), X[:3]


def _nystroem_laplacian() -> tuple[Any, Any]:
    from sklearn.kernel_approximation import Nystroem

    X = RS.rand(20, 1)
    return Nystroem(kernel="laplacian", n_components=1).fit(X), X[:3]


def _plssvd() -> tuple[Any, Any]:
    from sklearn.cross_decomposition import PLSSVD

    X = RS.rand(20, 3)
    return PLSSVD(n_components=1).fit(X, X[:, :2]), X[:3]


# Round 31: members beyond what the classes or parameters make, an output
# layer wider than the outputs, a constant of many values, references paid
# for by padding.


def _three_class_meta(kind: str) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        import sklearn.multiclass as multiclass

        X = RS.rand(30, 2)
        seeded = {"random_state": 0} if kind == "OutputCodeClassifier" else {}
        model = getattr(multiclass, kind)(LogisticRegression(), **seeded)
        return model.fit(X, np.arange(30) % 3), X[:3]

    return build


def _copied_members(count: int) -> Callable[[Any], None]:
    """``count`` distinct copies of the first member (a compressed file
    keeps them for a few bytes each)."""

    def corrupt(model: Any) -> None:
        first = pickle.dumps(model.estimators_[0])
        # held as fit holds them (one-vs-one: a tuple)
        model.estimators_ = type(model.estimators_)(
            pickle.loads(first) for _ in range(count)
        )

    return corrupt


def _long_constant(model: Any) -> None:
    from sklearn.multiclass import _ConstantPredictor

    rows = np.zeros((2, 2))
    model.estimators_[0] = _ConstantPredictor().fit(rows, np.zeros(WIDE))


def _network_output(model: Any) -> None:
    """An output layer WIDE wide, the copies that would tie it dropped."""
    model.coefs_[-1] = np.zeros((model.coefs_[-1].shape[0], WIDE))
    model.intercepts_[-1] = np.zeros(WIDE)
    for name in ("_best_coefs", "_best_intercepts"):
        vars(model).pop(name, None)
    _optimizer_in_step(model)


def _small_network() -> tuple[Any, Any]:
    from sklearn.neural_network import MLPRegressor

    X = RS.rand(20, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 5 iterations
        model = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5).fit(X, X[:, 0])
    return model, X[:3]


def _padded_layers(model: Any) -> None:
    """One hidden layer referred to 50,000 times, paid for by 16 MiB of
    zeros (nothing, compressed) when arrays weighed their bytes, and by the
    50,000 sizes of ``hidden_layer_sizes`` once plain items weighed."""
    first, hidden, last = model.coefs_[0], model.coefs_[1], model.coefs_[-1]
    count = 50_000
    model.coefs_ = [first, *([np.zeros((4, 4))] * count), last]
    bias = model.intercepts_[0]
    model.intercepts_ = [bias] * (count + 1) + [model.intercepts_[-1]]
    model.hidden_layer_sizes = (4,) * (count + 1)
    model.n_layers_ = count + 3
    model.padding_ = np.zeros(16 << 20, dtype=np.int8)
    for name in ("_best_coefs", "_best_intercepts"):
        vars(model).pop(name, None)
    _optimizer_in_step(model)
    del hidden


def _forest_of_three() -> tuple[Any, Any]:
    X = RS.rand(20, 2)
    return RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0]), X[:3]


# Round 32: a list where every fit leaves an array (no group reads a list's
# length).


def _one_class_qda() -> tuple[Any, Any]:
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

    X = RS.rand(20, 2)
    model = QuadraticDiscriminantAnalysis().fit(X, np.arange(20) % 2)
    return model, X[:3]


def _rotations_as_lists(model: Any) -> None:
    model.x_rotations_ = np.zeros((model.n_features_in_, WIDE)).tolist()


def _cca() -> tuple[Any, Any]:
    from sklearn.cross_decomposition import CCA

    X = RS.rand(20, 3)
    return CCA(n_components=1).fit(X, X[:, :2]), X[:3]


# Round 34: a union's weight as an array, a target transformer wider than
# the target, a final estimator of more classes, a chain's order.


def _union_of_one_column() -> tuple[Any, Any]:
    from sklearn.decomposition import PCA
    from sklearn.pipeline import FeatureUnion

    X = RS.rand(20, 3)
    model = FeatureUnion([("a", PCA(n_components=1))], transformer_weights={"a": 2.0})
    return model.fit(X), X[:3]


def _target_pca() -> tuple[Any, Any]:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(20, 2)
    model = TransformedTargetRegressor(LinearRegression(), transformer=StandardScaler())
    return model.fit(X, X[:, 0]), X[:3]


def _wide_target_transformer(model: Any) -> None:
    """A PCA of WIDE targets behind the one-output regressor."""
    from sklearn.decomposition import PCA

    model.transformer = PCA(n_components=1)  # the parameter too: a fit of it
    model.transformer_ = PCA(n_components=1).fit(RS.rand(3, WIDE))


def _stacking() -> tuple[Any, Any]:
    from sklearn.ensemble import StackingClassifier

    X = RS.rand(30, 2)
    model = StackingClassifier([("lr", LogisticRegression())], cv=2)
    return model.fit(X, np.arange(30) % 2), X[:3]


def _final_of_many_classes(model: Any) -> None:
    final = model.final_estimator_
    final.classes_ = np.arange(WIDE)
    final.coef_ = np.zeros((WIDE, final.coef_.shape[1]))
    final.intercept_ = np.zeros(WIDE)


def _chain() -> tuple[Any, Any]:
    from sklearn.multioutput import ClassifierChain

    X = RS.rand(30, 2)
    Y = np.c_[np.arange(30) % 2, (np.arange(30) // 2) % 2]
    return ClassifierChain(LogisticRegression()).fit(X, Y), X[:3]


# -- round 36 ----------------------------------------------------------------


def _ordinal_with_missing() -> tuple[Any, Any]:
    from sklearn.preprocessing import OrdinalEncoder

    X = RS.randint(0, 3, size=(60, 3)).astype(float)
    X[::7, 0] = np.nan
    return OrdinalEncoder().fit(X), X[:3]


def _missing_code_a_column(model: Any) -> None:
    # A (40000, 1) code broadcast one column of 30,000 rows to 1.2 GB: one of
    # 110,000 passes the control's 3 GiB.
    model._missing_indices = {0: np.full((110_000, 1), 3, dtype=np.int8)}


def _categorical_boosting() -> tuple[Any, Any]:
    X = RS.randint(0, 3, size=(80, 3)).astype(float)
    X[::7, 0] = np.nan
    y = (np.nan_to_num(X[:, 0]) + X[:, 1] > 2).astype(int)
    model = HistGradientBoostingClassifier(max_iter=3, categorical_features=[0, 1])
    return model.fit(X, y), X[:3]


def _boosting_missing_code_a_column(model: Any) -> None:
    encoder = next(t for n, t, _ in model._preprocessor.transformers_ if n == "encoder")
    _missing_code_a_column(encoder)


def _prior_dummy() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    return DummyClassifier(strategy="prior").fit(X, np.arange(40) % 2), X[:3]


def _private_constant_strategy(model: Any) -> None:
    model._strategy = "constant"
    model.constant = np.zeros(120_000, dtype=np.int8)


def _hard_voting_with(voter: Any) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        X = RS.rand(60, 3)
        model = VotingClassifier(
            [("voter", voter), ("lr", LogisticRegression())], voting="hard"
        )
        return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]

    return build


def _voter_store(path: str) -> Callable[[Any], None]:
    """Labels of 10**8 in the first voter's label store at ``path`` (its
    own ``classes_`` left as fit made it)."""

    def corrupt(model: Any) -> None:
        owner = model.estimators_[0]
        for name in path.split("."):
            owner = getattr(owner, name)
        owner.classes_ = np.array([0, 10**8])

    return corrupt


def _dense_tree_embedding() -> tuple[Any, Any]:
    X = RS.rand(60, 3)
    model = RandomTreesEmbedding(
        n_estimators=2, max_depth=2, sparse_output=False, random_state=0
    )
    return model.fit(X), X[:3]


def _leaves_beyond_tree(model: Any) -> None:
    encoder = model.one_hot_encoder_
    dtype = encoder.categories_[1].dtype
    encoder.categories_ = [encoder.categories_[0], np.arange(16_000, dtype=dtype)]
    encoder._n_features_outs = [len(encoder.categories_[0]), 16_000]


def _imputer_keeping_empty() -> tuple[Any, Any]:
    from sklearn.impute import SimpleImputer

    X = RS.rand(40, 3)
    return SimpleImputer(keep_empty_features=True).fit(X), X[:3]


# -- round 38 ----------------------------------------------------------------


def _nested_product(count: int) -> Any:
    """A product of ``count`` distinct RBF kernels, nested to the right."""
    from sklearn.gaussian_process.kernels import RBF, Product

    kernel: Any = RBF()
    for _ in range(count - 1):
        kernel = Product(RBF(), kernel)
    return kernel


def _gaussian_regressor() -> tuple[Any, Any]:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF

    X = RS.rand(100, 2)
    return GaussianProcessRegressor(kernel=RBF()).fit(X, X[:, 0]), X[:3]


def _binary_gaussian_classifier() -> tuple[Any, Any]:
    X = RS.rand(60, 2)
    model = GaussianProcessClassifier().fit(X, (X[:, 0] > 0.5).astype(int))
    return model, X[:3]


def _deep_kernel(owner: str) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        target = model.base_estimator_ if owner == "base_estimator_" else model
        target.kernel_ = _nested_product(150)

    return corrupt


def _stacking_of_ridge() -> tuple[Any, Any]:
    from sklearn.ensemble import StackingRegressor
    from sklearn.linear_model import Ridge

    X = RS.rand(60, 3)
    model = StackingRegressor([("r", Ridge())], final_estimator=Ridge(), cv=2)
    return model.fit(X, X[:, 0]), X[:3]


def _final_of_another_class(model: Any) -> None:
    from sklearn.linear_model import Lasso

    stacked = RS.rand(60, 1)
    model.final_estimator_ = Lasso().fit(stacked, stacked[:, 0])


def _ransac() -> tuple[Any, Any]:
    from sklearn.linear_model import RANSACRegressor

    X = RS.rand(60, 3)
    return RANSACRegressor(LinearRegression(), random_state=0).fit(X, X[:, 0]), X[:3]


def _member_of_other_settings(model: Any) -> None:
    X = RS.rand(60, 3)
    model.estimator_ = LinearRegression(fit_intercept=False).fit(X, X[:, 0])


def _bisecting() -> tuple[Any, Any]:
    from sklearn.cluster import BisectingKMeans

    X = RS.rand(80, 3)
    return BisectingKMeans(n_clusters=4, random_state=0).fit(X), X[:3]


def _bunch_as_step(model: Any) -> None:
    from sklearn.utils import Bunch

    model.steps[0] = ("standardscaler", Bunch(transform=np.exp))


def _leaf_off_its_cluster(model: Any) -> None:
    node = model._bisecting_tree
    while node.left is not None:
        node = node.left
    node.center = node.center + 1e6


# -- round 40 ----------------------------------------------------------------


def _nested_list(depth: int) -> Any:
    """A list holding itself twice, ``depth`` times over: 2**depth paths."""
    value: Any = [0]
    for _ in range(depth):
        value = [value, value]
    return value


def _bagged_constant() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    model = BaggingClassifier(DummyClassifier(strategy="prior"), n_estimators=2)
    return model.fit(X, np.arange(40) % 2), X[:3]


def _settings_of_shared_lists(model: Any) -> None:
    """The template's and every member's ``constant``: one-item object
    arrays, each holding its own list nested 40 deep (compared path by
    path, 2**40 comparisons)."""
    for owner in [model.estimator, *model.estimators_]:
        held = np.empty(1, dtype=object)
        held[0] = _nested_list(40)
        owner.constant = held


def _voter_classes_nested(model: Any) -> None:
    model.estimators_[0].classes_ = _nested_list(27)


def _tree() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    return DecisionTreeClassifier(max_depth=2).fit(X, np.arange(40) % 2), X[:3]


def _shared_long_list(count: int, length: int) -> list[Any]:
    """``count`` references to one list of ``length`` plain numbers: a few
    bytes each in the file, ``count * length`` values to a check reading it."""
    values = [float(i) for i in range(length)]
    return [values] * count


def _isotonic() -> tuple[Any, Any]:
    from sklearn.isotonic import IsotonicRegression

    X = RS.rand(40)
    return IsotonicRegression().fit(X, X + RS.rand(40)), X[:5]


def _isotonic_one_input_many_outputs(model: Any) -> None:
    """20,000 thresholds of one input, which no fit leaves (its restore's
    ``y.repeat`` of one output is held by the outputs' rank and length)."""
    model.X_thresholds_ = np.ones(20_000)
    model.y_thresholds_ = np.arange(20_000.0)


def _scaled_logistic() -> tuple[Any, Any]:
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(40, 2)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    return model.fit(X, np.arange(40) % 2), X[:3]


def _repeated_step(model: Any) -> None:
    """One step 1,000 times over: every predict runs it 1,000 times, each
    time a reference of two bytes (and 1,000 ``None`` of padding paid for
    the walk's allowance)."""
    model.steps = [model.steps[0]] * 1_000 + [model.steps[-1]]
    model.padding_ = [None] * 20_000


def _multi_output_forests() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    model = MultiOutputRegressor(RandomForestRegressor(n_estimators=2, max_depth=2))
    return model.fit(X, X * 2), X[:3]


def _one_forest_many_outputs(model: Any) -> None:
    """One forest as 2,000 outputs, in an object array, the walk's allowance
    paid by 50,000 ``None``: every predict runs it 2,000 times. (Refused by
    the bound on references once; an array of objects is now held to the
    rule of lists, one part at one place, which refuses it first.)"""
    held = np.empty(2_000, dtype=object)
    held[:] = [model.estimators_[0]] * 2_000
    model.estimators_ = held
    model.padding_ = [None] * 50_000


def _shells_of_one_tree(model: Any) -> None:
    """Three trees, each its own estimator, all over one fitted tree."""
    model.estimators_ = [copy.copy(model.estimators_[0]) for _ in range(3)]


def _voting_ridges() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor
    from sklearn.linear_model import Ridge

    X = RS.rand(40, 2)
    model = VotingRegressor([("a", Ridge()), ("b", Ridge(alpha=2.0))])
    return model.fit(X, X[:, 0]), X[:3]


def _voting_dag(model: Any) -> None:
    """Voters of voters, 16 levels, each level's two voters holding both of
    the next level's (every part has two holders, no list holds one twice):
    2**16 runs of the last ridges a predict, the walk's allowance paid by
    2,000,000 ``None``."""
    level = list(model.estimators_)
    for _ in range(16):
        shells = [copy.copy(model) for _ in range(2)]
        for shell in shells:
            shell.estimators_ = list(level)
            del shell.named_estimators_
        level = shells
    model.estimators_ = level
    del model.named_estimators_
    model.padding_ = [None] * 2_000_000


def _kernel_pca_inverse() -> tuple[Any, Any]:
    from sklearn.decomposition import KernelPCA

    X = RS.rand(40, 3)
    return KernelPCA(2, kernel="rbf", fit_inverse_transform=True).fit(X), X[:3]


def _inverse_of_one_wide_row(model: Any) -> None:
    """One transformed row against 100,000 columns (round 103: 20,000 asked
    4.5 GiB of 30,000 rows from a 75 KB file)."""
    model.X_transformed_fit_ = np.ascontiguousarray(model.X_transformed_fit_[:1])
    model.dual_coef_ = np.ones((1, 100_000), np.int8)


def _svc_callable_kernel() -> tuple[Any, Any]:
    from sklearn.gaussian_process.kernels import RBF

    X = RS.rand(40, 3)
    return SVC(kernel=RBF()).fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _kernel_ridge() -> tuple[Any, Any]:
    from sklearn.kernel_ridge import KernelRidge

    X = RS.rand(40, 2)
    return KernelRidge(kernel="rbf").fit(X, X[:, 0]), X[:3]


def _kernel_dag(depth: int) -> Any:
    """A sum of one kernel with itself, ``depth`` times over: ``depth + 1``
    objects, evaluated 2**depth times a call."""
    from sklearn.gaussian_process.kernels import RBF, Sum

    kernel: Any = RBF()
    for _ in range(depth):
        kernel = Sum(kernel, kernel)
    return kernel


def _kernel_parameter_a_dag(model: Any) -> None:
    """Round 46: the kernel a kernel ridge or support vector model was given
    (as a callable), a DAG 12 deep (4,096 evaluations of one RBF a predict;
    60 s past at 30,000 rows) and 200,000 values of padding to pay the
    walk's general bound."""
    model.kernel = _kernel_dag(12)
    model.padding_ = list(range(200_000))


def _stateless_pipeline() -> tuple[Any, Any]:
    from sklearn.pipeline import Pipeline

    X = RS.rand(20, 2)
    return Pipeline([("f", FunctionTransformer(np.sin))]).fit(X), X[:3]


def _pipeline_dag_over_a_stateless_step(model: Any) -> None:
    """Round 46: pipelines of two references to one pipeline, 10 deep, over a
    step that keeps nothing (never fitted: no fitted part is repeated, and it
    transforms all the same): the step runs 1,024 times a transform."""
    model.steps = [("dag", _pipeline_dag(FunctionTransformer(np.sin), 10))]
    model.padding_ = [None] * 50_000


def _scaled_pipeline() -> tuple[Any, Any]:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(20, 2)
    return Pipeline([("s", StandardScaler())]).fit(X), X[:3]


def _pipeline_dag(leaf: Any, depth: int) -> Any:
    from sklearn.pipeline import Pipeline

    part = leaf
    for _ in range(depth):
        part = Pipeline([("a", part), ("b", part)])
    return part


def _dag_under_a_record_name(name: str) -> Callable[[Any], None]:
    """Round 47: a DAG of pipelines 16 deep over one fitted scaler, its
    top's steps also held under a name whose reference no method follows
    (the bounds once left out the object itself, on any class), 400,000
    values of padding for the general bound: 65,536 transforms a call."""

    def corrupt(model: Any) -> None:
        model.steps = [("dag", _pipeline_dag(model.steps[0][1], 16))]
        setattr(model, name, model.steps)
        model.padding_ = [0] * 400_000

    return corrupt


def _search_best_a_hidden_dag(model: Any) -> None:
    """Round 47: a real search whose best estimator is a DAG of pipelines
    16 deep over one ridge, its steps also its cv_results_ (2,000,000
    values of padding)."""
    from sklearn.pipeline import Pipeline

    best = Pipeline([("dag", _pipeline_dag(model.best_estimator_, 16))])
    model.best_estimator_ = best
    model.cv_results_ = best.steps
    model.padding_ = [None] * 2_000_000


def _named_bunch_held_again(model: Any) -> None:
    """Round 47: a voting model's named_estimators_ Bunch also held where a
    pipeline takes it for a step (a Bunch answers ``transform`` with any
    item), met after the ensemble's own reference."""
    namespace = dict(model.__dict__)
    model.__dict__.clear()
    model.steps_ = [("b", namespace["named_estimators_"])]  # first: met last
    model.__dict__.update(namespace)


# Round 48: one value of the stream under many parts, each part its own
# object (so no bound on references to parts sees it), the model copying or
# running the value once per part.


def _deep_forest() -> tuple[Any, Any]:
    X = RS.rand(3000, 4)
    model = RandomForestRegressor(n_estimators=60, max_depth=None, random_state=0)
    return model.fit(X, RS.rand(3000)), X[:5]


def _trees_one_state(model: Any) -> None:
    """Round 48: every tree of the forest rebuilt from one memoized state
    (a tree copies its state when restored: 60 copies of one)."""
    build, args, state = model.estimators_[0].tree_.__reduce__()
    for member in model.estimators_:
        member.tree_ = Reduced((build, args, state))


def _big_leaf_hgb() -> tuple[Any, Any]:
    X = RS.rand(4000, 3)
    model = HistGradientBoostingRegressor(
        max_iter=2, max_leaf_nodes=2000, min_samples_leaf=1, early_stopping=False
    )
    return model.fit(X, RS.rand(4000)), X[:5]


def _predictors_one_nodes_array(model: Any) -> None:
    """Round 48: 200 boosting iterations, each its own predictor, all over
    the first predictor's nodes array."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    first = model._predictors[0][0]
    model._predictors = [
        [
            TreePredictor(
                first.nodes, first.binned_left_cat_bitsets, first.raw_left_cat_bitsets
            )
        ]
        for _ in range(200)
    ]
    model.train_score_ = np.zeros(0)  # n_iter_ is len(_predictors)


def _deep_mlp() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    model = MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=5, random_state=0)
    return model.fit(X, np.arange(40) % 2), X[:5]


def _layers_over_one_bytes(model: Any) -> None:
    """Round 48: 400 hidden layers, distinct arrays rebuilt from one memoized
    bytes object (the file holds one 64 x 64 layer)."""
    from numpy._core.numeric import _frombuffer

    square, bias = model.coefs_[1], model.intercepts_[1]
    weights, offsets = square.tobytes(), bias.tobytes()
    hidden = [
        Reduced((_frombuffer, (weights, square.dtype, square.shape, "C")))
        for _ in range(400)
    ]
    biases = [
        Reduced((_frombuffer, (offsets, bias.dtype, bias.shape, "C")))
        for _ in range(400)
    ]
    model.coefs_ = [model.coefs_[0], *hidden, model.coefs_[-1]]
    model.intercepts_ = [model.intercepts_[0], *biases, model.intercepts_[-1]]
    model.hidden_layer_sizes = (64,) * 401
    model.n_layers_ = len(model.coefs_) + 1


def _many_category_encoder() -> tuple[Any, Any]:
    from sklearn.preprocessing import OrdinalEncoder

    X = RS.randint(0, 600, (3000, 30)).astype(float)
    return OrdinalEncoder().fit(X), X[:5]


def _one_category_list_for_every_feature(model: Any) -> None:
    """Round 49: every feature's categories one array of 600 values (the
    file pays for one; transform looks each feature up in all of it)."""
    model.categories_ = [model.categories_[0]] * len(model.categories_)


def _many_bin_discretizer() -> tuple[Any, Any]:
    from sklearn.preprocessing import KBinsDiscretizer

    X = RS.rand(3000, 30)
    model = KBinsDiscretizer(n_bins=600, encode="ordinal", quantile_method="linear")
    return model.fit(X), X[:5]


def _one_bin_edges_for_every_feature(model: Any) -> None:
    """Every feature's edges one array of 601 values, in an array of
    objects (a list to the code that loops over it, as round 49's was)."""
    edges = np.empty(len(model.bin_edges_), dtype=object)
    edges[:] = [model.bin_edges_[0]] * len(edges)
    model.bin_edges_ = edges


def _isotonic_vote() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor
    from sklearn.isotonic import IsotonicRegression

    X = np.arange(40_000, dtype=float)[:, None]
    members = [(f"i{k}", IsotonicRegression(out_of_bounds="clip")) for k in range(16)]
    # an increasing target keeps every point a threshold: 640 KB a member
    model = VotingRegressor(members).fit(X, X[:, 0] + RS.rand(len(X)) * 0.5)
    return model, X[:5]


def _members_one_threshold_pair(model: Any) -> None:
    """Round 50: every member over the first one's thresholds (the file pays
    for one pair; restoring an isotonic regression copies its thresholds into
    an interpolator, once a member: 2.5 GB from 16 MB at 150 members)."""
    first = model.estimators_[0]
    for member in model.estimators_[1:]:
        member.X_thresholds_ = first.X_thresholds_
        member.y_thresholds_ = first.y_thresholds_


def _linear_vote() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor

    X = RS.rand(50, 600)
    members = [(f"r{k}", LinearRegression()) for k in range(5)]
    return VotingRegressor(members).fit(X, X[:, 0]), X[:5]


def _members_one_coef(model: Any) -> None:
    """Round 50: every member over the first one's 600 coefficients (1,500
    members of a few hundred bytes of file each ran 26x an honest vote of
    their file's size a predict)."""
    for member in model.estimators_[1:]:
        member.coef_ = model.estimators_[0].coef_


def _projection_union() -> tuple[Any, Any]:
    from sklearn.pipeline import FeatureUnion
    from sklearn.random_projection import SparseRandomProjection

    X = RS.rand(30, 2_000)
    parts = [
        (f"p{k}", SparseRandomProjection(n_components=30, density=0.2, random_state=k))
        for k in range(4)
    ]
    return FeatureUnion(parts).fit(X), X[:3]


def _projections_over_one_matrix(model: Any) -> None:
    """Round 50: each projection's matrix its own object over the first one's
    data, indices and pointers (400 of them: 350x an honest file's size in
    every transform, and 2.4 GB at load while the check converted them)."""
    first = model.transformer_list[0][1].components_
    for _, projection in model.transformer_list[1:]:
        matrix = projection.components_
        matrix.data, matrix.indices, matrix.indptr = (
            first.data,
            first.indices,
            first.indptr,
        )


def _small_linear_vote() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor

    X = RS.rand(50, 100)
    members = [(f"r{k}", LinearRegression()) for k in range(5)]
    return VotingRegressor(members).fit(X, X[:, 0]), X[:5]


def _kd_tree_knn_of_2000_rows() -> tuple[Any, Any]:
    X = RS.rand(2_000, 2)
    return KNeighborsRegressor(algorithm="kd_tree").fit(X, X[:, 0]), X[:5]


def _tree_weights_of_int8(model: Any) -> None:
    """Round 51: the tree's sample weights as int8 (restoring converts them
    to float64, a copy per tree: 250 trees over one million shared weights
    held 2.2 GB from 25 MB)."""
    from sklearn.neighbors import KDTree
    from sklearn.neighbors._kd_tree import newObj

    state = list(model._tree.__getstate__())
    state[12] = np.ones(len(state[0]), dtype=np.int8)
    model._tree = Reduced((newObj, (KDTree,), tuple(state)))


def _projection() -> tuple[Any, Any]:
    from sklearn.random_projection import SparseRandomProjection

    X = RS.rand(40, 300)
    model = SparseRandomProjection(n_components=20, density=0.3, random_state=0)
    return model.fit(X), X[:5]


def _masked_far_index(model: Any) -> None:
    """Round 51: one index of 2**30 behind a mask (the checks' min and max
    skipped it; the sparse product read it: SIGSEGV)."""
    indices = model.components_.indices.copy()
    indices[0] = 2**30
    model.components_.indices = np.ma.MaskedArray(indices, mask=indices == 2**30)


def _small_category_encoder() -> tuple[Any, Any]:
    X = RS.randint(0, 50, (500, 30)).astype(float)
    return OneHotEncoder().fit(X), X[:5]


def _one_small_category_array(model: Any) -> None:
    """Round 51: every feature's categories one array of 50 values, 400 bytes
    (2,000 features over one array of 4,088 bytes made a million columns a
    row from 20 KB)."""
    model.categories_ = [model.categories_[0]] * len(model.categories_)


def _split_outside(tree: Any) -> None:
    """The tree's first split on feature 10**8, of a model of two."""
    _, args, state = tree.tree_.__reduce__()
    state = dict(state)
    state["nodes"] = state["nodes"].copy()
    state["nodes"]["feature"][0] = 10**8
    broken = Tree(*args)
    broken.__setstate__(state)
    tree.tree_ = broken


def _trees_in_a_list_of_its_own(model: Any) -> None:
    """Round 52: the trees in a list of a class of its own (an allowed list
    subclass the walk did not open), one of them split outside the data:
    predict crashed (SIGSEGV) on a file load() passed."""
    from versioned_estimator._compat import RemainderColsList

    _split_outside(model.estimators_[0])
    # as scikit-learn 1.6 wrote its list: a new object, then its state
    trees = RemainderColsList()
    trees.data = list(model.estimators_)  # pickled as the state {"data": ...}
    model.estimators_ = trees


def _tree_imputer() -> tuple[Any, Any]:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    X = RS.rand(60, 3)
    X[::4, 0] = np.nan
    model = IterativeImputer(DecisionTreeRegressor(max_depth=3), max_iter=2)
    return model.fit(X), X[:8]


def _round_tree_outside(model: Any) -> None:
    """Round 52: a round's tree (in a named tuple, which the walk did not
    open) split outside the data: transform crashed (SIGSEGV)."""
    for step in model.imputation_sequence_:
        _split_outside(step.estimator)


def _gp_on_one_row() -> tuple[Any, Any]:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import DotProduct

    X = RS.rand(1, 1)
    model = GaussianProcessRegressor(DotProduct(), optimizer=None)
    return model.fit(X, [1.0]), X


def _kernel_shared_part(model: Any) -> None:
    """A fitted kernel whose sum has one part twice, as its given kernel
    does (a user may build that; fit clones it into a tree)."""
    from sklearn.gaussian_process.kernels import RBF

    part, given = RBF(), RBF()
    model.kernel_ = part + part
    model.kernel = given + given


def _gb_first_guess_of_many_classes(model: Any) -> None:
    """A two-class model's first guess of 20,000 classes, its own arrays
    agreeing: predict asks its probabilities, (30000, 20000) of them."""
    init = model.init_
    width = init.coef_.shape[1]
    init.classes_ = np.arange(20_000)
    init.coef_ = np.zeros((20_000, width))
    init.intercept_ = np.zeros(20_000)


def _gb_with_logistic_guess() -> tuple[Any, Any]:
    X = RS.rand(40, 2)
    model = GradientBoostingClassifier(n_estimators=2, init=LogisticRegression())
    return model.fit(X, np.arange(40) % 2), X[:3]


def _iterative_imputer() -> tuple[Any, Any]:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    X = RS.rand(60, 4)
    X[::5, 1] = np.nan
    return IterativeImputer(max_iter=2, random_state=0).fit(X), X[:10]


def _imputer_rounds(change: Callable[[Any], Any]) -> Callable[[Any], None]:
    """Replace the first round's (column, other columns, model) triple."""

    def corrupt(model: Any) -> None:
        step = model.imputation_sequence_[0]
        model.imputation_sequence_[0] = type(step)(*change(step))

    return corrupt


def _imputer_more_rounds(model: Any) -> None:
    """A thousand rounds, each its own copy, for two iterations over four
    columns: every transform runs them all."""
    rounds = model.imputation_sequence_
    model.imputation_sequence_ = [copy.deepcopy(rounds[0]) for _ in range(1_000)]


def _imputer_missing_rows() -> Any:
    rows = RS.rand(30_000, 4)
    rows[:, 1] = np.nan
    return rows


def _voting_with_radius() -> tuple[Any, Any]:
    from sklearn.neighbors import RadiusNeighborsClassifier

    X = RS.rand(60, 3)
    voters = [
        ("lr", LogisticRegression()),
        ("rn", RadiusNeighborsClassifier(radius=0.01, outlier_label="most_frequent")),
    ]
    model = VotingClassifier(voters, voting="hard")
    return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _far_outlier_label(model: Any) -> None:
    model.estimators_[1].outlier_label_ = [10**9]


def _one_leaf_of_classes(estimator: Any, classes: int) -> None:
    """Round 54: the estimator's tree made one leaf whose values are
    ``classes`` wide (Tree.predict writes that many values a row)."""
    _, args, state = estimator.tree_.__reduce__()
    nodes = state["nodes"][:1].copy()
    nodes["left_child"] = nodes["right_child"] = -1
    nodes["feature"] = -2
    values = np.zeros((1, args[2], classes))
    values[0, :, 0] = 1.0
    leaf = Tree(args[0], np.full(args[2], classes, dtype=np.intp), args[2])
    leaf.__setstate__(
        {"max_depth": 0, "node_count": 1, "nodes": nodes, "values": values}
    )
    estimator.tree_ = leaf


def _forest_member_of_many_classes(model: Any) -> None:
    """Round 54: a member's tree and labels of 40,000 classes in a forest of
    two (the member's predict_proba, which the forest sums, is rows x 40,000
    before the sum fails)."""
    member = model.estimators_[0]
    member.classes_ = np.arange(40_000, dtype=float)
    member.n_classes_ = 40_000
    _one_leaf_of_classes(member, 40_000)


def _leaves_claiming_every_row(state: list[Any]) -> None:
    """Round 54: every node of a neighbours tree covering all the rows
    (1,024 leaves, each claiming every row, searched 850 times longer than
    the honest tree)."""
    nodes = state[2].copy()
    nodes["idx_start"] = 0
    nodes["idx_end"] = len(state[0])
    state[2] = nodes


def _tree_new_obj(tree: Any) -> Any:
    from sklearn.neighbors import _ball_tree, _kd_tree

    return (_kd_tree if type(tree).__name__ == "KDTree" else _ball_tree).newObj


def _search_tree(model: Any) -> Any:
    from sklearn.neighbors import KDTree

    return KDTree(model._fit_X, leaf_size=model.leaf_size)


def _kernel_density() -> tuple[Any, Any]:
    from sklearn.neighbors import KernelDensity

    X = RS.rand(2_000, 2)
    return KernelDensity(algorithm="ball_tree").fit(X), X[:5]


def _tree_state(change: Callable[[list[Any]], None]) -> Callable[[Any], None]:
    """A neighbours tree's state changed by ``change`` (rounds 54, 55)."""

    def corrupt(model: Any) -> None:
        tree = model._tree if hasattr(model, "_tree") else model.tree_
        state = list(tree.__getstate__())
        change(state)
        rebuilt = Reduced((_tree_new_obj(tree), (type(tree),), tuple(state)))
        if hasattr(model, "_tree"):
            model._tree = rebuilt
        else:
            model.tree_ = rebuilt

    return corrupt


def _leaf_size_zero(state: list[Any]) -> None:
    state[4] = 0  # the breadth-first density divides by it: SIGFPE


def _nan_weights(state: list[Any]) -> None:
    state[12] = np.full(len(state[0]), np.nan)


def _bounds_one_point(state: list[Any]) -> None:
    """Every node's box one point: a radius query counts the root, and
    so every row, as inside the radius of a query there."""
    bounds = np.zeros_like(state[3])
    bounds[:] = 0.5
    state[3] = bounds


def _bounds_widened(state: list[Any]) -> None:
    """Round 88: boxes that take in far more than their rows prune nothing
    (a query visits every node, 9 to 40 times a brute-force search)."""
    bounds = state[3].copy()
    if bounds.shape[0] == 2:  # a KD tree's boxes
        bounds[0] -= 1e300
        bounds[1] += 1e300
    state[3] = bounds


def _radius_widened(state: list[Any]) -> None:
    nodes = state[2].copy()
    nodes["radius"] = nodes["radius"] * 1e6 + 1e6
    state[2] = nodes


def _centre_moved(state: list[Any]) -> None:
    """A ball's centre away from its rows' mean, its radius still taking
    them all in: a ball larger than they need."""
    bounds = state[3].copy()
    bounds[0, 0] += 10.0
    nodes = state[2].copy()
    nodes["radius"][0] += 20.0
    state[2], state[3] = nodes, bounds


def _order_of_one_row(state: list[Any]) -> None:
    """Round 88: an order of all zeros (in range, not each row once): every
    answer is row 0."""
    state[1] = np.zeros_like(state[1])


def _order_shuffled(state: list[Any]) -> None:
    """Rows in any order with every box tight around its node's rows: boxes
    as wide as the data, none pruned (the split is not where rows spread)."""
    data, order, nodes = state[0], RS.permutation(len(state[0])), state[2]
    bounds = np.empty_like(state[3])
    radius = nodes["radius"].copy()
    for i, (start, end) in enumerate(
        zip(nodes["idx_start"], nodes["idx_end"], strict=True)
    ):
        rows = data[order[start:end]]
        bounds[0, i], bounds[1, i] = rows.min(axis=0), rows.max(axis=0)
        radius[i] = np.sqrt(((0.5 * (bounds[1, i] - bounds[0, i])) ** 2).sum())
    changed = nodes.copy()
    changed["radius"] = radius
    state[1], state[2], state[3] = order, changed, bounds


def _search_swapped(method: str, leaf_size: int | None = None) -> Callable[[Any], None]:
    """A neighbours model whose search is not its parameters' (round 88:
    brute force said, a tree of one row a leaf run)."""

    def corrupt(model: Any) -> None:
        from sklearn.neighbors import BallTree, KDTree

        trees = {"kd_tree": KDTree, "ball_tree": BallTree}
        model._fit_method = method
        model._tree = (
            None
            if method == "brute"
            else trees[method](model._fit_X, leaf_size=leaf_size or model.leaf_size)
        )

    return corrupt


def _brute_knn_of_2000_rows() -> tuple[Any, Any]:
    X = RS.rand(2_000, 2)
    return KNeighborsRegressor(algorithm="brute").fit(X, X[:, 0]), X[:5]


def _auto_knn_of_20_columns() -> tuple[Any, Any]:
    X = RS.rand(2_000, 20)
    model = KNeighborsRegressor().fit(X, X[:, 0])
    assert model._fit_method == "brute"  # scikit-learn's rule past 15 columns
    return model, X[:5]


def _label_spreading_knn() -> tuple[Any, Any]:
    from sklearn.semi_supervised import LabelSpreading

    X = RS.rand(300, 2)
    y = np.where(np.arange(300) % 5 == 0, np.arange(300) % 2, -1)
    return LabelSpreading(kernel="knn", n_neighbors=5).fit(X, y), X[:5]


def _label_spreading_knn_tree() -> tuple[Any, Any]:
    model, rows = _label_spreading_knn()
    assert model.nn_fit._fit_method in ("kd_tree", "ball_tree")
    return model, rows


def _neighbours_of_other_rows(model: Any) -> None:
    from sklearn.neighbors import NearestNeighbors

    model.nn_fit = NearestNeighbors(n_neighbors=model.n_neighbors).fit(
        np.zeros_like(model.X_)
    )


def _tree_of_one_row_repeated(model: Any) -> None:
    """A tree over other rows than the model's (round 96: one row repeated,
    every search answered from it)."""
    from sklearn.neighbors import BallTree, KDTree

    tree = KDTree if type(model._tree).__name__ == "KDTree" else BallTree
    rows = np.repeat(model._fit_X[:1], len(model._fit_X), axis=0)
    model._tree = tree(rows, leaf_size=model.leaf_size)


def _ball_tree_knn_of_2000_rows() -> tuple[Any, Any]:
    X = RS.rand(2_000, 2)
    return KNeighborsClassifier(algorithm="ball_tree").fit(X, X[:, 0] > 0.5), X[:5]


def _density_tree_swapped(kind: str, leaf_size: int) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        from sklearn.neighbors import BallTree, KDTree

        tree = {"kd_tree": KDTree, "ball_tree": BallTree}[kind]
        model.tree_ = tree(np.asarray(model.tree_.data), leaf_size=leaf_size)

    return corrupt


def _object_numbers_encoder() -> tuple[Any, Any]:
    X = np.array([[1], [2.5], [7], [2.5]] * 10, dtype=object)
    return OneHotEncoder(handle_unknown="ignore").fit(X), X[:4]


def _categories_reversed(model: Any) -> None:
    model.categories_ = [values[::-1].copy() for values in model.categories_]


def _multiclass_target_encoder() -> tuple[Any, Any]:
    X = RS.randint(0, 5, size=(200, 2)).astype(float)
    y = RS.randint(0, 3, size=200)
    return TargetEncoder(target_type="multiclass").fit(X, y), X[:4]


def _one_hot_with_nan() -> tuple[Any, Any]:
    X = np.array([[0.0], [1.0], [2.0], [np.nan]] * 5)
    return OneHotEncoder(handle_unknown="ignore").fit(X), X[:4]


def _nan_among_numbers(model: Any) -> None:
    model.categories_ = [np.array([0.0, np.nan, 1.0, 2.0])]


def _short_encoding(model: Any) -> None:
    model.encodings_[1] = model.encodings_[1][:2].copy()


def _chain_tree(tree: Any, levels: int) -> Any:
    """A tree of ``tree``'s width and outputs that is a chain ``levels``
    deep, every row sent down its right branch to the bottom (round 90)."""
    n = 2 * levels + 1
    i = np.arange(n)
    split = (i % 2 == 0) & (i < 2 * levels)
    state = tree.__getstate__()
    nodes = np.zeros(n, dtype=state["nodes"].dtype)
    nodes["left_child"] = np.where(split, i + 1, -1)
    nodes["right_child"] = np.where(split, i + 2, -1)
    nodes["feature"] = np.where(split, 0, -2)
    nodes["threshold"] = np.where(split, -1e10, -2.0)
    nodes["n_node_samples"] = np.where(split, 2, 1)
    nodes["weighted_n_node_samples"] = nodes["n_node_samples"]
    chain = Tree(
        tree.n_features, np.asarray(tree.n_classes, dtype=np.intp), tree.n_outputs
    )
    chain.__setstate__(
        {
            "max_depth": levels,
            "node_count": n,
            "nodes": nodes,
            "values": np.repeat(state["values"][:1], n, axis=0).copy(),
        }
    )
    return chain


def _chained(levels: int, unlimited: bool = False) -> Callable[[Any], None]:
    """Every decision tree of the model a chain; with ``unlimited``, each
    member's own max_depth set free as well (its ensemble's still binds)."""

    def corrupt(model: Any) -> None:
        members = getattr(model, "estimators_", None)
        trees = (
            [model] if members is None else np.asarray(members, dtype=object).ravel()
        )
        for tree in trees:
            tree.tree_ = _chain_tree(tree.tree_, levels)
            if unlimited:
                tree.max_depth = None

    return corrupt


def _shallow_tree() -> tuple[Any, Any]:
    X = RS.rand(500, 2)
    return DecisionTreeClassifier(max_depth=3).fit(X, X[:, 0] > 0.5), X[:5]


def _few_leaves_tree() -> tuple[Any, Any]:
    X = RS.rand(500, 2)
    model = DecisionTreeRegressor(max_leaf_nodes=4).fit(X, X[:, 0])
    return model, X[:5]


def _shallow_forest() -> tuple[Any, Any]:
    X = RS.rand(200, 2)
    model = RandomForestClassifier(n_estimators=3, max_depth=2, random_state=0)
    return model.fit(X, X[:, 0] > 0.5), X[:5]


def _isolation_forest_of_300_rows() -> tuple[Any, Any]:
    from sklearn.ensemble import IsolationForest

    X = RS.rand(300, 2)
    return IsolationForest(n_estimators=3, random_state=0).fit(X), X[:5]


def _stumps() -> tuple[Any, Any]:
    from sklearn.ensemble import AdaBoostClassifier

    X = RS.rand(200, 2)
    model = AdaBoostClassifier(n_estimators=3, random_state=0)
    return model.fit(X, X[:, 0] > 0.5), X[:5]


def _hgb_nodes(change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        old = model._predictors[0][0]
        nodes = change(old.nodes.copy())
        model._predictors[0][0] = TreePredictor(
            nodes, old.binned_left_cat_bitsets, old.raw_left_cat_bitsets
        )

    return corrupt


def _hgb_chain(nodes: np.ndarray) -> np.ndarray:
    """A chain of 200 levels (31 leaves at most, as fit grows)."""
    levels = 200
    n = 2 * levels + 1
    i = np.arange(n)
    split = (i % 2 == 0) & (i < 2 * levels)
    chain = np.zeros(n, dtype=nodes.dtype)
    chain["left"] = np.where(split, i + 1, 0)
    chain["right"] = np.where(split, i + 2, 0)
    chain["num_threshold"] = np.where(split, -1e10, 0)
    chain["is_leaf"] = ~split
    chain["depth"] = (i + 1) // 2
    chain["count"] = 1
    return chain


def _hgb_both_branches_one_node(nodes: np.ndarray) -> np.ndarray:
    split = nodes["is_leaf"] == 0
    nodes["right"][split] = nodes["left"][split]
    return nodes


def _hgb_depths_off(nodes: np.ndarray) -> np.ndarray:
    nodes["depth"] = 0
    return nodes


def _nystroem() -> tuple[Any, Any]:
    from sklearn.kernel_approximation import Nystroem

    X = RS.rand(300, 3)
    return Nystroem(n_components=20, random_state=0).fit(X), X[:5]


def _more_components(model: Any) -> None:
    """Round 90: 2,000 copies of one row behind n_components=50."""
    count = 100
    model.components_ = np.tile(model.components_[:1], (count, 1))
    model.component_indices_ = np.arange(count)
    model.normalization_ = np.eye(count)
    model._n_features_out = count


def _matern_process() -> tuple[Any, Any]:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import Matern

    X = RS.rand(40, 2)
    model = GaussianProcessRegressor(Matern(nu=2.5), optimizer=None)
    return model.fit(X, X[:, 0]), X[:5]


def _self_training() -> tuple[Any, Any]:
    from sklearn.semi_supervised import SelfTrainingClassifier

    X = RS.rand(100, 2)
    labels = np.where(np.arange(100) % 3 == 0, (X[:, 0] > 0.5).astype(int), -1)
    model = SelfTrainingClassifier(LogisticRegression(), max_iter=2)
    return model.fit(X, labels), X[:5]


def _nu_changed(model: Any) -> None:
    """Round 90: fit never changes a Matern's nu; 1.7 takes a Bessel
    function (3.7 times as long)."""
    model.kernel_.nu = 1.7


def _radius_knn() -> tuple[Any, Any]:
    from sklearn.neighbors import RadiusNeighborsRegressor

    X = RS.rand(12_000, 2)
    model = RadiusNeighborsRegressor(radius=0.01, algorithm="kd_tree")
    return model.fit(X, X[:, 0]), X[:5]


def _density_with_weights() -> tuple[Any, Any]:
    from sklearn.neighbors import KernelDensity

    X = RS.rand(2_000, 2)
    return KernelDensity(algorithm="kd_tree").fit(X, sample_weight=RS.rand(2_000)), X[
        :5
    ]


def _soft_vote_of_trees() -> tuple[Any, Any]:
    X = RS.rand(60, 2)
    voters = [("a", DecisionTreeClassifier(max_depth=2)), ("b", LogisticRegression())]
    model = VotingClassifier(voters, voting="soft")
    return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _member_of_many_classes(model: Any) -> None:
    """Round 56: a voter's one leaf and labels of 40,000 classes in a vote
    of two (its own tree checks passed: the member was not held to the
    model's classes)."""
    member = model.estimators_[0]
    member.classes_ = np.arange(40_000)
    member.n_classes_ = 40_000
    _one_leaf_of_classes(member, 40_000)


def _round_of_a_classifier(model: Any) -> None:
    """Round 56: a round's regressor swapped for a classifier whose one leaf
    claims 40,000 classes (transform predicts with it)."""
    triplet = model.imputation_sequence_[0]
    X = RS.rand(20, 2)
    member = DecisionTreeClassifier(max_depth=1).fit(X, np.arange(20) % 2)
    member.classes_ = np.arange(40_000, dtype=float)
    member.n_classes_ = 40_000
    member.n_features_in_ = len(triplet.neighbor_feat_idx)
    _one_leaf_of_classes(member, 40_000)
    if member.tree_.n_features != member.n_features_in_:
        _, args, state = member.tree_.__reduce__()
        leaf = Tree(member.n_features_in_, args[1], args[2])
        leaf.__setstate__(state)
        member.tree_ = leaf
    model.imputation_sequence_[0] = type(triplet)(
        triplet.feat_idx, triplet.neighbor_feat_idx, member
    )


def _binary_rest_over_bagging() -> tuple[Any, Any]:
    from sklearn.multiclass import OneVsRestClassifier

    X = RS.rand(80, 2)
    inner = OneVsRestClassifier(LogisticRegression())
    model = OneVsRestClassifier(BaggingClassifier(inner, n_estimators=2))
    return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _bagged_rest_of_two_members(model: Any) -> None:
    """Round 57: the bagged one-vs-rest members of a binary one-vs-rest each
    given a second member (two columns of decision, which the outer model
    takes as rows of a one-column matrix: SIGSEGV in predict)."""
    for member in model.estimators_[0].estimators_:
        member.estimators_.append(copy.deepcopy(member.estimators_[0]))


def _bagged_linear() -> tuple[Any, Any]:
    from sklearn.ensemble import BaggingRegressor

    X = RS.rand(60, 2)
    model = BaggingRegressor(LinearRegression(), n_estimators=2, random_state=0)
    return model.fit(X, X[:, 0]), X[:3]


def _rows_of_outputs(model: Any) -> None:
    """Round 57: a bagged linear member of 40,000 coefficient rows (each
    predict is rows x 40,000 before the model's sum fails)."""
    _rows_of_outputs_of(model.estimators_[0])


def _bagged_neighbours() -> tuple[Any, Any]:
    from sklearn.ensemble import BaggingRegressor

    X = RS.rand(20, 2)
    model = BaggingRegressor(
        KNeighborsRegressor(n_neighbors=2), n_estimators=2, random_state=0
    )
    return model.fit(X, X[:, 0]), X[:3]


def _label_columns(model: Any) -> None:
    """Round 57: a bagged neighbours member whose labels are 20,000 columns
    (its predict gathers rows x neighbours x 20,000)."""
    member = model.estimators_[0]
    member._y = np.zeros((len(member._y), 20_000))


def _target_regressor() -> tuple[Any, Any]:
    from sklearn.compose import TransformedTargetRegressor

    X = RS.rand(40, 2)
    model = TransformedTargetRegressor(
        LinearRegression(), func=np.log1p, inverse_func=np.expm1
    )
    return model.fit(X, X[:, 0]), X[:3]


def _regressor_of_outputs(model: Any) -> None:
    """Round 57: a target regressor of one target column whose regressor has
    40,000 coefficient rows."""
    _rows_of_outputs_of(model.regressor_)


def _rows_of_outputs_of(member: Any) -> None:
    """A fitted linear model given 40,000 coefficient rows."""
    member.coef_ = np.zeros((40_000, member.coef_.shape[-1]))
    member.intercept_ = np.zeros(40_000)


def _nested_column_transformers() -> tuple[Any, Any]:
    from sklearn.compose import ColumnTransformer

    X = RS.rand(20, 2)
    model: Any = "passthrough"
    for _ in range(5):
        model = ColumnTransformer([("c", model, [0, 1])])
    return model.fit(X), X[:3]


def _repeated_name_fields(model: Any) -> None:
    """Round 58: each of five nested column transformers names its columns
    by its inner one's name 73 times over (a format of 1,022 characters):
    names of 73**5 characters."""
    for _ in range(5):
        model.verbose_feature_names_out = "{feature_name}" * 73
        model = model.transformers_[0][1]


def _scaled_columns() -> tuple[Any, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(20, 2)
    return ColumnTransformer([("c", StandardScaler(), [0, 1])]).fit(X), X[:3]


def _long_transformer_name(model: Any) -> None:
    """Round 58: a long name repeated in each column's name (20,000
    characters then; 1,000 here, under the bound on any text)."""
    name = "n" * 1_000
    model.transformers = [(name, *model.transformers[0][1:])]
    model.transformers_ = [(name, *model.transformers_[0][1:])]
    model._transformer_to_input_indices = {
        name: model._transformer_to_input_indices["c"],
        "remainder": model._transformer_to_input_indices["remainder"],
    }


def _dict_vectorizer() -> tuple[Any, Any]:
    rows = [{"a": "x", "b": 1.0}, {"a": "y", "b": 2.0}]
    return DictVectorizer().fit(rows), rows


def _long_separator(model: Any) -> None:
    """Round 58: a long separator built into the key of each text value of
    each row (1 MiB then, 450 times the time of "="; 1,000 characters here,
    under the bound on any text)."""
    model.separator = "=" * 1_000


def _pipeline() -> tuple[Any, Any]:
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(20, 2)
    return make_pipeline(StandardScaler(), LinearRegression()).fit(X, X[:, 0]), X[:3]


def _text_labels() -> tuple[Any, Any]:
    X = RS.rand(20, 2)
    return DummyClassifier().fit(X, np.array(["a", "b"] * 10, dtype=object)), X[:3]


def _label_of_text(length: int) -> Callable[[Any], None]:
    """Round 59: a label of ``length`` characters (predict tiles it, at four
    bytes a character, into every row)."""

    def corrupt(model: Any) -> None:
        model.classes_ = np.array(["a" * length, "b"], dtype=object)

    return corrupt


def _label_of_numbers(model: Any) -> None:
    """Round 59: a label that is an array of 20,000 numbers (predict makes
    a row of them for each row)."""
    labels = np.empty(2, dtype=object)
    labels[0], labels[1] = np.zeros(20_000), "b"
    model.classes_ = labels


def _text_encoder() -> tuple[Any, Any]:
    X = np.array([["a"], ["b"], ["c"]] * 4, dtype=object)
    return OneHotEncoder().fit(X), X[:3]


def _one_text_many_times(model: Any) -> None:
    """Round 59: 100,000 categories that are one text of 1,000 characters
    (a reference each in the file, a name each of it). 10,000 here: the
    walk's bound on text reached refuses 100,000 first, and this is the
    check after it."""
    text = "t" * 1_000
    model.categories_ = [np.array([text] * 10_000, dtype=object)]
    model._n_features_outs = [10_000]


def _key_of_a_million_characters(model: Any) -> None:
    """Round 59: one vocabulary key of a million characters (inverse_transform
    widens every key to it: 4 GB over 1,000 keys)."""
    vocabulary = {f"w{i}": i for i in range(999)}
    vocabulary["k" * 1_000_000] = 999
    model.vocabulary_ = vocabulary


def _bagged_trees() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    model = BaggingClassifier(DecisionTreeClassifier(), n_estimators=2)
    return model.fit(X, np.arange(30) % 2), X[:3]


def _unions_of_long_names() -> tuple[Any, Any]:
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import Normalizer

    X = RS.rand(20, 2)
    model: Any = Normalizer()
    for level in range(6):
        model = FeatureUnion([(f"{level}" + "u" * 200, model)])
    return model.fit(X), X[:3]


def _averaged_sgd() -> tuple[Any, Any]:
    from sklearn.linear_model import SGDRegressor

    X = RS.rand(40, 200_000 // 1_000)
    return SGDRegressor(average=True, max_iter=5, tol=None).fit(X, X[:, 0]), X[:3]


def _one_averaged_coefficient(model: Any) -> None:
    """Round 60: averaging state of one value beside the model's features
    (partial_fit writes one a feature past it)."""
    model._standard_coef = np.zeros(1)
    model._average_coef = np.zeros(1)


def _seeds_for_many_draws(model: Any) -> None:
    """Round 60: 400,000 seeds for two members (estimators_samples_ draws
    one index array a seed)."""
    model._seeds = np.arange(400_000)


def _moments_of_another_shape(model: Any) -> None:
    """Round 60: Adam's first moment of a layer as (100000, 1, 1) (partial_fit
    broadcasts the layer's update to it: 8 GB)."""
    model._optimizer.ms[0] = np.zeros((100_000, 1, 1))


def _keys_sharing_one_hash(model: Any) -> None:
    """Round 60: vocabulary keys that are multiples of 2**61 - 1, which
    Python hashes alike (a dict of 80,000 took 74 s to unpickle)."""
    model.vocabulary_ = {k * (2**61 - 1): k for k in range(1, 2_000)}


def _integer_encoder() -> tuple[Any, Any]:
    X = np.array([[1], [2], [3]] * 4, dtype=object)
    return OneHotEncoder().fit(X), X[:3]


def _categories_sharing_one_hash(model: Any) -> None:
    """Round 60: categories that are multiples of 2**61 - 1 (every
    transform looks them up in a dict: 10 s for 30,000)."""
    # Past 64 bits (within them, at most 8 integers share a hash).
    model.categories_ = [np.array([k * (2**61 - 1) for k in range(9, 12)], object)]


def _birch_of_two_columns() -> tuple[Any, Any]:
    from sklearn.cluster import Birch

    X = RS.rand(400, 2)
    return Birch(threshold=0.05, n_clusters=None).fit(X), X[:3]


def _leaves_in_a_ring(model: Any) -> None:
    """Round 60's Birch, made a ring: its third leaf's next is its first
    (partial_fit gathers the leaves until memory runs out)."""
    first = model.dummy_leaf_.next_leaf_
    first.next_leaf_.next_leaf_ = first


def _birch_chain(model: Any, levels: int = 40) -> None:
    """Round 126: levels of one subcluster stacked above an honest root;
    partial_fit sends every row down each (17 times as slow at 300; 40
    here, where pickle recursion allows)."""
    from sklearn.cluster._birch import _CFNode, _CFSubcluster

    child = model.root_
    for _ in range(levels):
        node = _CFNode(
            threshold=model.threshold,
            branching_factor=model.branching_factor,
            is_leaf=False,
            n_features=child.n_features,
            dtype=child.init_centroids_.dtype,
        )
        whole = _CFSubcluster(linear_sum=child.centroids_.mean(axis=0))
        whole.child_ = child
        node.append_subcluster(whole)
        child = node
    model.root_ = child


def _leaves_outside_the_tree(bare: bool) -> Callable[[Any], None]:
    """Round 175: nodes linked after the last leaf, in no node of the tree:
    partial_fit clustered the centres of every one (``bare``: nodes of
    nothing but the links, which a check followed from each, n times n)."""

    def corrupt(model: Any) -> None:
        from sklearn.cluster._birch import _CFNode

        previous = model._get_leaves()[-1]
        centres = previous.centroids_
        for _ in range(50):
            node = _CFNode.__new__(_CFNode)
            node.__dict__.update(
                {} if bare else {"centroids_": centres, "subclusters_": []}
            )
            node.prev_leaf_, node.next_leaf_ = previous, None
            previous.next_leaf_ = previous = node

    return corrupt


def _one_array_in_many_grids(model: Any) -> None:
    """Round 175: clone copies a parameter's list item by item, each with a
    deepcopy of its own: one array under 100 dicts of a grid, 100 copies."""
    shared = RS.rand(1 << 15)
    grids = [{"alpha": [1.0, 2.0]}] + [{"tol": [shared]} for _ in range(100)]
    model.param_grid = grids


def _one_masked_array_in_many_grids(model: Any) -> None:
    """Round 176: a masked array (a search's results hold some) weighed
    nothing in bytes: clone copied it under every grid dict."""
    shared = np.ma.MaskedArray(RS.rand(1 << 15), mask=False)
    model.cv_results_["param_extra"] = shared
    model.param_grid = [{"alpha": [1.0, 2.0]}] + [{"tol": shared} for _ in range(100)]


def _small_arrays_under_many_grids(model: Any) -> None:
    """Round 176: arrays under 512 bytes weighed one object each, paid for
    by a list of zeros: clone copied 1,000 of them under each grid dict."""
    shared = [np.zeros(63) for _ in range(1000)]
    model.cv_results_["pad"] = [0] * 60_000
    model.param_grid = [{"alpha": [1.0, 2.0]}] + [{"tol": shared} for _ in range(300)]


def _one_record_dtype_in_many_grids(model: Any) -> None:
    """Round 177: a dtype weighed one object whatever its fields: clone
    rebuilt one of 1,000 fields under each grid dict, the display
    formatted it at each."""
    record = np.dtype([(f"f{i}", "f8") for i in range(1000)])
    model.param_grid = [{"alpha": [1.0, 2.0]}] + [
        {"random_state": [record]} for _ in range(300)
    ]


def _one_random_state_listed_over_and_over(model: Any) -> None:
    """Round 178: a random generator weighed one object, and clone copies a
    parameter's list item by item: one RandomState under 100,000 items of
    a search's grid, reseeded and restored at each (184 us a copy), took
    clone 30.7 times an honest file's time."""
    model.param_grid = [{"alpha": [1.0, 2.0]}] + [np.random.RandomState(0)] * 2000


def _one_generator_in_many_grids(model: Any) -> None:
    """The same of a Generator, one per dict of the grid: each dict is
    copied on its own."""
    generator = np.random.default_rng(0)
    model.param_grid = [{"alpha": [1.0, 2.0]}] + [
        {"random_state": [generator]} for _ in range(6000)
    ]


def _random_state_of_much_entropy(model: Any) -> None:
    """Round 179: a seed's entropy is copied with its generator, and the
    walk weighs a generator by a fixed cost: 10**6 words of it under one
    generator 600 templates of a vote shared, 35 times an honest file's
    time at clone."""
    seed = np.random.SeedSequence(entropy=[7] * 1000)
    model.random_state = np.random.RandomState(np.random.PCG64(seed))


def _generator_of_a_long_spawn_key(model: Any) -> None:
    """The same of a spawn key, a word a nested ``spawn`` when numpy makes
    one."""
    seed = np.random.SeedSequence(0, spawn_key=tuple(range(1000)))
    generator = np.random.Generator(np.random.MT19937(seed))
    # In a dict of no candidate (an empty list beside it): no more than the
    # search's results record (a bound of its own).
    model.param_grid = [{"alpha": [1.0, 2.0]}, {"random_state": [generator], "tol": []}]


def _random_state_of_an_object_pool(model: Any) -> None:
    """Round 180: a seed's pool of objects, one array of 4 MiB under each,
    and the walk does not open a generator: clone copied it at each of
    3,500 references (16 times an honest file's memory)."""
    rebuild, head, state = np.random.SeedSequence(1).__reduce__()
    entropy, spawned, _, size, key = state
    pool = np.empty(4, dtype=object)
    for i in range(4):
        pool[i] = np.zeros(1000)
    seed = rebuild(*head[:2], (entropy, spawned, pool, size, key))
    bits = np.random.PCG64(1)
    bits.__setstate__((bits.state, seed))
    model.random_state = np.random.RandomState(bits)


def _random_state_spawned_near_its_limit(model: Any) -> None:
    """Round 181: a seed that spawned 2**32 - 2 children, which no fit
    reaches: the user's next ``spawn`` never ends."""
    rebuild, head, state = np.random.SeedSequence(1).__reduce__()
    entropy, _, pool, size, key = state
    seed = rebuild(*head[:2], (entropy, 2**32 - 2, pool, size, key))
    model.random_state = np.random.RandomState(np.random.MT19937(seed))


def _masked_column_as_fitted_rows(model: Any) -> None:
    """Round 182: a search's masked column of parameters, held by its best
    model as its rows too: the mask hid their subnormal numbers from the
    checks, and predict computed with all of them (50 times as long)."""
    rows = model.best_estimator_._fit_X
    column = np.ma.MaskedArray(rows * 1e-310, mask=np.ones(rows.shape, bool))
    model.best_estimator_._fit_X = column
    model.cv_results_["param_extra"] = column


def _search_of_a_routed_scorer() -> tuple[Any, Any]:
    import sklearn
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import GridSearchCV

    X = RS.rand(60, 3)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_scorer(f1_score).set_score_request(sample_weight=None)
        search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring=scorer)
        return search.fit(X, np.arange(60) % 2), X[:3]


def _scorer_request_owned_by_shared_lists(model: Any) -> None:
    """Round 183: a scorer's request owned by another scorer (a clone's
    owner is the one it was made from) whose keywords hold lists over and
    over: no bound from the root reached the owner, and a check read its
    keywords path by path (a load past 60 s from 7.7 KB)."""
    from sklearn.metrics import f1_score, make_scorer

    lists: Any = [7] * 40
    for _ in range(3):
        lists = [lists] * 40
    owner = make_scorer(f1_score, labels=lists)
    request = model.scoring._metadata_request
    request.owner = owner
    for method in vars(request).values():
        if hasattr(method, "owner"):
            method.owner = owner


def _scorer_keywords_of_one_slice(model: Any) -> None:
    """Round 185: a scorer's keywords of one slice referred to 300,000 times
    (two bytes of stream each): read item by item at each depth by the
    keyword check, 23 characters each in the scorer's repr, which the
    search's scorer check makes (a 5 MB file 15 times an honest one's time).
    A slice is an object pickle memoizes: its references count."""
    from sklearn.metrics import make_scorer, r2_score

    items = [slice(None)] * 300_000
    model.scoring = model.scorer_ = make_scorer(
        r2_score, labels=items, more=[[items]], most=[[[items]]]
    )


def _weights_of_other_classes(model: Any) -> None:
    """Round 188: class weights of 300,000 keys fit ignores (all but the
    model's classes): scikit-learn's display sorts and prints each, its
    clone copies each (12x an honest file's time)."""
    model.class_weight = {label: 1.0 for label in range(300_000)}


def _weights_of_lists(model: Any) -> None:
    """Round 188: a class weight of a list of 10**6 Nones (a byte each)."""
    model.class_weight = {0: [None] * 1_000_000, 1: 1.0}


def _stop_words_over_and_over(model: Any) -> None:
    """Round 188: a parameter of 600,000 references to one text (two bytes
    of stream each): the display, repr and clone go through each."""
    model.stop_words = ["the"] * 600_000


def _ridge_cv_in_pipelines(depth: int) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        X = RS.rand(30, 2)
        model: Any = RidgeCV(alphas=[0.1, 1.0, 10.0])
        for _ in range(depth):
            model = Pipeline([("m", model)])
        return model.fit(X, X[:, 0]), X[:3]

    return build


def _innermost(model: Any) -> Any:
    while isinstance(model, Pipeline):
        model = model.steps[-1][1]
    return model


def _alphas_of_one_long_text(model: Any) -> None:
    """Round 189: 16,000 references to one text of 1,000 characters in a
    parameter three pipelines deep (36 KB of file): scikit-learn's display
    prints the text at each reference, and again at each level (HTML 25.6
    s, 12 times an honest file's of twice the size)."""
    _innermost(model).alphas = [0.1, 1.0, 10.0] + ["y" * 1000] * 16_000


def _alphas_nine_pipelines_deep(model: Any) -> None:
    """4,000 numbers a parameter nine pipelines deep: each level displays
    what it holds about 2.3 times over (well past a minute)."""
    _innermost(model).alphas = np.logspace(-3, 3, 4_000).tolist()


def _alphas_of_escaped_bytes(model: Any) -> None:
    """Round 193: an array of 1,000 texts of 4,096 bytes, each printed as an
    escape of four characters (4 MB of file), two pipelines deep: numpy
    copies what it printed so far for each line, a display prints the
    array for each of its views, and the weight took each item as a number
    (past a minute; a RidgeCV alone, 6.9 s)."""
    _innermost(model).alphas = np.array([b"\x01" * 4096] * 1_000)


def _alphas_of_raw_bytes(model: Any) -> None:
    """Round 194: an array of 1,000 raw (void) items of 4,096 zero bytes,
    each byte printed as an escape of four characters (4 MB of file; ten
    such arrays compress to 182 KB), two pipelines deep: the weight took
    only text as text (a RidgeCV alone, 10 s of HTML display; ten arrays
    past a minute)."""
    _innermost(model).alphas = np.zeros(1_000, dtype="V4096")


def _alphas_of_a_row_of_texts(model: Any) -> None:
    """Round 195: an array of objects of one row of 1,000 distinct texts of
    zero-width spaces (each printed as a six-character escape), three
    pipelines deep: weighed as a list of plain texts (its rows), though
    numpy prints a row as it prints a flat array (a search over a pipeline
    of it: 42 s of HTML display)."""
    texts = np.empty(1_000, dtype=object)
    texts[:] = ["\u200b" * 1020 + f"{i:04d}" for i in range(1_000)]
    _innermost(model).alphas = texts.reshape(1, 1_000)


def _grid_of_a_million_candidates(model: Any) -> None:
    """Round 195: a search's grid as a list of two dicts, the second of
    three lists of 100 values (a few KB): a fit of the loaded model asks for
    10**6 candidates where its results record 2 (past a minute)."""
    values = list(np.linspace(0.1, 10, 100))
    model.param_grid = [
        {"alpha": [1.0, 2.0]},
        {"alpha": values, "tol": values, "max_iter": list(range(1_000, 1_100))},
    ]


def _cv_of(splitter: Callable[[], Any]) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        """Round 196: a splitter whose count no fit recorded (10**5
        shuffles on a search of two recorded splits; 20,000 on a RidgeCV,
        which records none; 30,000 repeated folds on an elastic net's
        three): a refit of the loaded model ran past a minute."""
        model.cv = splitter()

    return corrupt


def _ridge_cv_of_three_folds() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    return RidgeCV(alphas=[0.1, 1.0], cv=3).fit(X, RS.rand(40)), X[:3]


def _elastic_net_cv_of_three_folds() -> tuple[Any, Any]:
    from sklearn.linear_model import ElasticNetCV

    X = RS.rand(40, 3)
    return ElasticNetCV(alphas=5, cv=3).fit(X, RS.rand(40)), X[:3]


def _logistic_regression_cv_of_three_cs() -> tuple[Any, Any]:
    from sklearn.linear_model import LogisticRegressionCV

    X = RS.rand(60, 3)
    model = LogisticRegressionCV(
        Cs=3, cv=3, l1_ratios=(0,), scoring="accuracy", use_legacy_attributes=False
    )
    return model.fit(X, np.arange(60) % 2), X[:3]


def _lasso_cv_of_five_alphas() -> tuple[Any, Any]:
    from sklearn.linear_model import LassoCV

    X = RS.rand(40, 3)
    return LassoCV(alphas=5, cv=3).fit(X, RS.rand(40)), X[:3]


def _path_of(**count: int) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        """Round 197: a cross-validated model's path longer than the fitted
        one (``Cs=100000`` beside a fitted ``Cs_`` of 3): a refit fits each
        point of it on each split."""
        for name, value in count.items():
            setattr(model, name, value)

    return corrupt


def _forest_of_ten_trees() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    model = RandomForestRegressor(n_estimators=10, max_depth=2, random_state=0)
    return model.fit(X, RS.rand(40)), X[:3]


def _asking_for_trees(count: int) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        """Round 196: a forest of 10 trees whose n_estimators asks a refit
        for 20,000 (1,590 times as long)."""
        model.n_estimators = count

    return corrupt


def _adaboost_of_ten_stumps() -> tuple[Any, Any]:
    from sklearn.ensemble import AdaBoostClassifier

    X = RS.rand(60, 3)
    model = AdaBoostClassifier(n_estimators=10, random_state=0)
    return model.fit(X, np.arange(60) % 2), X[:3]


def _spline_of_five_knots() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    return SplineTransformer().fit(X), X[:3]


def _asking_for_knots(model: Any) -> None:
    """Round 201: a spline transformer fitted with 5 knots whose n_knots
    asks a refit for 12,000 (7.7 times its control's memory)."""
    model.n_knots = 12_000


def _randomized_pca() -> tuple[Any, Any]:
    from sklearn.decomposition import PCA

    X = RS.rand(40, 5)
    return PCA(3, svd_solver="randomized", random_state=0).fit(X), X[:3]


def _oversampled(model: Any) -> None:
    """Round 201: 20,000 random vectors beside three components: scipy
    crashed in a refit (a bare PCA of them crashes alike)."""
    model.n_oversamples = 20_000


def _grid_search_of_three_alphas() -> tuple[Any, Any]:
    from sklearn.model_selection import GridSearchCV

    X = RS.rand(30, 3)
    search = GridSearchCV(Ridge(), {"alpha": [1.0, 2.0, 3.0]}, cv=3)
    return search.fit(X, RS.rand(30)), X[:3]


def _grid_of_bytes(model: Any) -> None:
    """Round 201: two grid lists written as 1,001 bytes each (bytes are a
    sequence to scikit-learn's grid), counted as one candidate each: a
    refit of about a million candidates, where its results record three."""
    best = int(model.best_params_["alpha"])
    options = bytes([best]) + bytes(range(1, 251)) * 4
    model.param_grid = {"alpha": options, "max_iter": options}
    model.best_params_ = {"alpha": best, "max_iter": best}
    model.best_estimator_.set_params(alpha=best, max_iter=best)


def _halving_over_trees() -> tuple[Any, Any]:
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    X = RS.rand(60, 3)
    search = HalvingGridSearchCV(
        RandomForestRegressor(random_state=0),
        {"max_depth": [2, 3]},
        resource="n_estimators",
        max_resources=8,
        min_resources=2,
        cv=2,
        random_state=0,
    )
    return search.fit(X, RS.rand(60)), X[:3]


def _max_resources(count: int) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        """Round 196: a successive halving over a forest's trees whose
        max_resources asks a refit for forests of a million trees where its
        fit went to 8."""
        model.max_resources = count

    return corrupt


def _categories_of_nones(model: Any) -> None:
    """An encoder's ``categories`` parameter as an array of 600,000 Nones
    (a byte of stream each): every clone copies each in Python, 10 times
    an array of texts of the same file size."""
    model.categories = [np.empty(600_000, dtype=object)]


def _grid_of_one_record_dtype(model: Any) -> None:
    """Round 190: 2,300 references to one dtype of 50 fields in a search's
    grid (10 KB of file): numpy prints a record dtype field by field in
    Python, about 1.4 ms a reference in the display, which weighed each as
    an object printed by its name (HTML 4.6 s, 11.5 times an honest file's
    time, and past a minute two pipelines deep)."""
    record = np.dtype([(f"f{i}", "f8") for i in range(50)])
    model.param_grid = [{"alpha": [1.0]}, {"alpha": [2.0], "tol": [record] * 2_300}]


def _kernel_of_a_million_length_scales(model: Any) -> None:
    """Round 191: the kernel parameter's length scale as 10**6 values (8 MB):
    a kernel's repr formats each, with no numpy summary, at every level of
    a display (47 times an honest file's time; past a minute a pipeline
    deep). A length scale is a column's."""
    model.kernel.length_scale = np.linspace(1.0, 2.0, 1_000_000)


def _splitter_of_nones(model: Any) -> None:
    """Round 191: a search's splitter holding 600,000 Nones as its folds:
    its repr prints them all, and clone copies each; it was weighed as an
    object printed by its name."""
    from sklearn.model_selection._split import _CVIterableWrapper

    splitter = _CVIterableWrapper([])
    splitter.cv = [None] * 600_000
    model.cv = splitter


def _fill_value_holding(wrap: Callable[[list[Any]], Any]) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        """Round 191: 600,000 Nones in an array of one object, or in a
        slice, past the count of a parameter's values (which opened lists,
        tuples, sets and dicts only)."""
        model.fill_value = wrap([None] * 600_000)

    return corrupt


def _one_object(items: list[Any]) -> Any:
    array = np.empty(1, dtype=object)
    array[0] = items
    return array


def _categories_of_one_wide_text(model: Any) -> None:
    """Round 192: an encoder's categories as arrays of objects referring
    1,000 times to one text of 300 emoji: numpy pads each item to the
    widest and a display prints the array again for each of its views
    (1.4 us a 4-byte character), weighed as a list's text (HTML 11.9 s
    from 60 KB, 21.8 times an honest encoder's)."""
    wide = np.array(["\U0001f600" * 300] * 1_000, dtype=object)
    model.categories = [wide, wide.copy(), wide.copy()]


def _scores_masked(model: Any) -> None:
    """Round 180: a search's scores as a masked array (fit masks only the
    columns of parameters a candidate does not set), numbers judged by
    what the mask shows only there."""
    scores = model.cv_results_["mean_test_score"]
    model.cv_results_["mean_test_score"] = np.ma.MaskedArray(
        np.full_like(scores, 1e-310), mask=True
    )


def _birch_wider_than_its_branching(model: Any) -> None:
    """A node of more subclusters than the branching factor lets a split
    leave: each row of partial_fit is compared with all of them."""
    model.branching_factor = 2


def _pairs_sharing_one_hash(model: Any) -> None:
    """Round 61: an extra attribute keyed by 2-tuples of small integers
    (a tuple's hash can be inverted: 10,000 such keys of one hash timed a
    load out at 60 s)."""
    model.extra_ = {(k, -k): k for k in range(50)}


def _frozensets_as_keys(model: Any) -> None:
    model.extra_ = {frozenset({k}): k for k in range(50)}


def _complex_scalars_as_keys(model: Any) -> None:
    """Round 61: numpy complex scalars as keys (a complex hash is its real
    part's plus a multiple of its imaginary part's)."""
    model.extra_ = {np.complex128(k - 1_000_003j * k): k for k in range(50)}


def _complex_scalars_in_a_set(model: Any) -> None:
    model.extra_ = {np.complex128(k - 1_000_003j * k) for k in range(50)}


def _complex_categories(model: Any) -> None:
    """Round 61: categories that are complex numbers of one hash (every
    transform looks them up in a dict: 85x)."""
    codes = [np.complex128(k - 1j * k) for k in range(3)]
    model.categories_ = [np.array(codes, object)]


def _python_function_as_metric(model: Any) -> None:
    """Round 61: under metric="euclidean", the metric predict calls is a
    public Python function (300 rows: 32 s instead of 0.03)."""
    from sklearn.metrics import mean_squared_error

    model.effective_metric_ = mean_squared_error


def _transform_iterations_behind_their_parameters(model: Any) -> None:
    """Round 61: MiniBatchNMF's copy of its iteration count, 100,000 where its
    parameters say 200 (546x)."""
    model._transform_max_iter = 100_000


def _past_the_double(count: int) -> list[Any]:
    """Round 62: 128-bit floats past the largest double, which numpy hashes
    alike (as the double they round to: infinity)."""
    big = np.longdouble(np.finfo(np.float64).max) * 4
    return [big * (k + 1) for k in range(count)]


def _hdbscan() -> tuple[Any, Any]:
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(copy=True).fit(RS.rand(200, 2)), None


def _linkage_node_far_away(model: Any) -> None:
    """Round 62: a left node of 2**40 (dbscan_clustering's union-find writes
    there: SIGSEGV)."""
    tree = model._single_linkage_tree_.copy()
    tree["left_node"][0] = 2**40
    model._single_linkage_tree_ = tree


def _frobenius_run_as_half(model: Any) -> None:
    """Round 62: a Frobenius MiniBatchNMF whose solver's copy of the loss
    says 0.5 (41x at transform)."""
    model._beta_loss = 0.5
    model._gamma = 1.0 / 1.5


def _isomap() -> tuple[Any, Any]:
    from sklearn.manifold import Isomap

    X = RS.rand(60, 3)
    return Isomap(n_neighbors=5, n_components=2).fit(X), X[:3]


def _spreading() -> tuple[Any, Any]:
    from sklearn.semi_supervised import LabelSpreading

    X = RS.rand(40, 2)
    return LabelSpreading(kernel="knn", n_neighbors=5).fit(X, np.arange(40) % 2), X[:3]


def _dense_after_all(attribute: str) -> Callable[[Any], None]:
    """Round 62: a part's one-hot encoder made dense behind its parameters'
    sparse output (1.4 GB instead of 36 MB)."""

    def corrupt(model: Any) -> None:
        getattr(model, attribute).sparse_output = False

    return corrupt


def _trees_embedding() -> tuple[Any, Any]:
    from sklearn.ensemble import RandomTreesEmbedding

    X = RS.rand(40, 2)
    return RandomTreesEmbedding(n_estimators=3, random_state=0).fit(X), X[:3]


def _onehot_bins() -> tuple[Any, Any]:
    from sklearn.preprocessing import KBinsDiscretizer

    X = RS.rand(40, 2)
    return KBinsDiscretizer(n_bins=4, encode="onehot").fit(X), X[:3]


def _binary_gp_classifier() -> tuple[Any, Any]:
    from sklearn.gaussian_process import GaussianProcessClassifier

    X = RS.rand(30, 2)
    return GaussianProcessClassifier().fit(X, np.arange(30) % 2), X[:3]


def _kernels_behind_the_parameter(model: Any) -> None:
    """Round 62: the binary model's kernel (and fitted kernel) a sum of
    kernels behind the classifier's default (70x at predict_proba)."""
    from sklearn.gaussian_process.kernels import RBF

    many = RBF() + RBF() + RBF()
    model.base_estimator_.kernel = many
    model.base_estimator_.kernel_ = many


def _neighbours_member(model: Any) -> None:
    """Round 62: a calibrated member's classifier a brute neighbours model
    behind LogisticRegression (with a Python metric: 470x)."""
    rows = RS.rand(40, 2)
    model.calibrated_classifiers_[0].estimator = KNeighborsClassifier(3).fit(
        rows, np.arange(40) % 2
    )


def _polynomial_column_transformer() -> tuple[Any, Any]:
    from sklearn.compose import ColumnTransformer

    X = RS.rand(30, 3)
    model = ColumnTransformer([("poly", PolynomialFeatures(2), [0, 1])])
    return model.fit(X), X[:3]


def _higher_degree_fitted(model: Any) -> None:
    """Round 62: the fitted transformer of degree 8 behind degree=2
    (MemoryError at transform)."""
    name, _, columns = model.transformers_[0]
    fitted = PolynomialFeatures(8).fit(RS.rand(5, 2))
    model.transformers_[0] = (name, fitted, columns)


def _neighbours_search() -> tuple[Any, Any]:
    from sklearn.model_selection import GridSearchCV

    X = RS.rand(40, 2)
    grid = {"n_neighbors": [3, 5]}
    model = GridSearchCV(KNeighborsClassifier(), grid, cv=2, scoring="accuracy")
    return model.fit(X, np.arange(40) % 2), X[:3]


def _metric_among_the_best(model: Any) -> None:
    """Round 62: a metric the grid never searched named among the best
    parameters, and set on the best estimator (215x at predict)."""
    model.best_params_ = {**model.best_params_, "metric": "chebyshev"}
    model.best_estimator_.metric = "chebyshev"
    model.best_estimator_.effective_metric_ = "chebyshev"


def _slow_metric_scorer(model: Any) -> None:
    """Round 62: the scorer of a slow metric behind scoring="accuracy"
    (2,600x at score)."""
    from sklearn.metrics import adjusted_mutual_info_score, make_scorer

    model.scorer_ = make_scorer(adjusted_mutual_info_score)


def _part_swapped(attribute: str, degree: int = 3) -> Callable[[Any], None]:
    """Round 63: a part fit builds itself swapped for an allowed transformer
    of a huge output (a PolynomialFeatures of degree 8 as a power
    transformer's scaler: 229x; of degree 11: MemoryError)."""

    def corrupt(model: Any) -> None:
        setattr(model, attribute, PolynomialFeatures(degree).fit(RS.rand(5, 3)))

    return corrupt


def _power_transformer() -> tuple[Any, Any]:
    from sklearn.preprocessing import PowerTransformer

    X = RS.rand(40, 3)
    return PowerTransformer().fit(X), X[:3]


def _kernel_pca_rbf() -> tuple[Any, Any]:
    from sklearn.decomposition import KernelPCA

    X = RS.rand(40, 3)
    return KernelPCA(2, kernel="rbf").fit(X), X[:3]


def _imputer_with_indicator() -> tuple[Any, Any]:
    from sklearn.impute import SimpleImputer

    X = RS.rand(40, 3)
    X[::4, 1] = np.nan
    return SimpleImputer(add_indicator=True).fit(X), X[:3]


def _target_scaled() -> tuple[Any, Any]:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(40, 3)
    model = TransformedTargetRegressor(LinearRegression(), transformer=StandardScaler())
    return model.fit(X, X[:, 0]), X[:3]


def _rounds_of_neighbours() -> tuple[Any, Any]:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    X = RS.rand(60, 4)
    X[::5, 1] = np.nan
    X[::7, 2] = np.nan
    model = IterativeImputer(KNeighborsRegressor(), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two rounds: a convergence note
        return model.fit(X), X[:5]


def _rounds_asking_every_row(model: Any) -> None:
    """Round 64: each round's neighbours model asking every row it holds
    behind the imputer's ``KNeighborsRegressor()`` (44x at transform; a
    Python metric instead took past 60 s)."""
    for step in model.imputation_sequence_:
        step.estimator.n_neighbors = step.estimator.n_samples_fit_


def _pipeline_search() -> tuple[Any, Any]:
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(40, 2)
    pipe = Pipeline([("sc", StandardScaler()), ("clf", KNeighborsClassifier())])
    model = GridSearchCV(pipe, {"clf__n_neighbors": [3, 5]}, cv=2)
    return model.fit(X, np.arange(40) % 2), X[:3]


def _best_step_of_another_metric(model: Any) -> None:
    """Round 64: a nested best parameter (``clf__n_neighbors``) left every
    other setting of the best pipeline unchecked: its neighbours model of a
    Python metric took past 60 s at predict."""
    step = model.best_estimator_.steps[-1][1]
    step.metric = step.effective_metric_ = "chebyshev"


def _vote_of_two() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor

    X = RS.rand(40, 3)
    members = [("lr", LinearRegression()), ("knn", KNeighborsRegressor())]
    return VotingRegressor(members).fit(X, X[:, 0]), X[:5]


def _stack_of_two() -> tuple[Any, Any]:
    from sklearn.ensemble import StackingClassifier

    X = RS.rand(40, 3)
    members = [("lr", LogisticRegression()), ("knn", KNeighborsClassifier())]
    return StackingClassifier(members, cv=2).fit(X, np.arange(40) % 2), X[:5]


def _one_member_left(model: Any) -> None:
    """Round 64: one member where two were named escaped the comparison of
    each with its estimator (a neighbours model of a Python metric, past
    60 s at predict)."""
    knn = model.estimators_[1]
    knn.n_neighbors = knn.n_samples_fit_
    model.estimators_ = [knn]
    model.named_estimators_ = type(model.named_estimators_)(knn=knn)
    if hasattr(model, "stack_method_"):
        model.stack_method_ = model.stack_method_[1:]


def _named_member_apart(model: Any) -> None:
    model.named_estimators_["knn"] = KNeighborsRegressor(1).fit(
        RS.rand(5, 3), RS.rand(5)
    )


def _boosting_from_a_guess() -> tuple[Any, Any]:
    X, y = RS.rand(50, 2), RS.rand(50)
    model = GradientBoostingRegressor(n_estimators=2, max_depth=1)
    return model.fit(X, y), X[:3]


def _first_guess_of_neighbours(model: Any) -> None:
    """Boosting's first guess (``init_``) predicts at every call: a model
    other than the one its ``init`` makes runs behind it."""
    model.init_ = KNeighborsRegressor(40).fit(RS.rand(50, 2), RS.rand(50))


def _first_guess_of_no_outputs(model: Any) -> None:
    """A dummy first guess of no outputs answers (n, 0), whose first column
    predict_stages reads and writes unchecked (round 111)."""
    model.init_.n_outputs_ = 0
    model.init_.constant_ = np.zeros((1, 0))


def _forest_member_of_neighbours(model: Any) -> None:
    model.estimators_[0] = KNeighborsRegressor(2).fit(RS.rand(20, 3), RS.rand(20))


def _categories_boosting() -> tuple[Any, Any]:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "x": RS.rand(80),
            "c": pd.Categorical(np.array(["a", "b", "c", "d"])[np.arange(80) % 4]),
        }
    )
    y = (frame["x"] > 0.5).astype(int).to_numpy()
    model = HistGradientBoostingClassifier(
        max_iter=3, categorical_features="from_dtype"
    )
    return model.fit(frame, y), frame.iloc[:5]


def _preprocessor_of_another_check(model: Any) -> None:
    """Histogram boosting's preprocessor runs at every predict: one that is
    not what fit builds (here its check of the numbers swapped) is refused."""
    for steps in (model._preprocessor.transformers, model._preprocessor.transformers_):
        steps[1][1].func = _partial(check_array, dtype=None)


def _private_neighbours(model: Any) -> None:
    """An estimator held where no parameter or fit accounts for it."""
    model._helper = KNeighborsRegressor(2).fit(RS.rand(5, 3), RS.rand(5))


def _scaler_remainder() -> tuple[Any, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(20, 3)
    model = ColumnTransformer(
        [("a", StandardScaler(), [0])], remainder=StandardScaler()
    )
    return model.fit(X), X[:3]


def _remainder_of_higher_degree(model: Any) -> None:
    name, _, columns = model._remainder
    model._remainder = (name, PolynomialFeatures(8), columns)


def _calibrated_sigmoid() -> tuple[Any, Any]:
    from sklearn.calibration import CalibratedClassifierCV

    X = RS.rand(60, 3)
    model = CalibratedClassifierCV(LogisticRegression(), method="sigmoid", cv=3)
    return model.fit(X, np.arange(60) % 2), X[:5]


def _calibrators_of_neighbours(model: Any) -> None:
    """Round 65: calibrators other than the method's (a stacking regressor
    over a neighbours model of a Python metric behind method="sigmoid":
    6,600x at predict_proba; a dummy of 12,000 outputs: 2.7 GB)."""
    for member in model.calibrated_classifiers_:
        scores = RS.rand(20, 1)
        member.calibrators = [KNeighborsRegressor(3).fit(scores, RS.rand(20))]


def _members_of_another_method(model: Any) -> None:
    for member in model.calibrated_classifiers_:
        member.method = "isotonic"


def _strings_column_transformer() -> tuple[Any, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(20, 4)
    steps = [
        ("p", "passthrough", [0]),
        ("d", "drop", [1]),
        ("s", StandardScaler(), [2]),
    ]
    model = ColumnTransformer(steps, remainder="passthrough")
    return model.fit(X), X[:3]


def _string_entry_of_neighbours(index: int) -> Callable[[Any], None]:
    """Round 65: a fitted entry for "passthrough", "drop" or the remainder's
    "passthrough" swapped for a neighbours transformer (of a Python metric:
    past 60 s at transform)."""

    def corrupt(model: Any) -> None:
        name, _, columns = model.transformers_[index]
        knn = KNeighborsTransformer(n_neighbors=2).fit(RS.rand(10, 1))
        model.transformers_[index] = (name, knn, columns)

    return corrupt


def _copies(items: list[Any], times: int) -> list[Any]:
    """``times`` distinct copies of each item (references to one would be
    refused as shared)."""
    return [item for _ in range(times) for item in pickle.loads(pickle.dumps(items))]


def _hist_boosting() -> tuple[Any, Any]:
    X = RS.rand(60, 3)
    model = HistGradientBoostingRegressor(max_iter=5, early_stopping=False)
    return model.fit(X, X[:, 0]), X[:5]


def _more_iterations_than_asked(model: Any) -> None:
    """Round 66: 7,000 boosting iterations behind max_iter=10 (452x at
    predict; ``n_iter_`` is computed from them, so it agrees)."""
    model._predictors = _copies(model._predictors, 3)


def _more_calibrated_members(model: Any) -> None:
    """Round 66: 2,000 calibrated members behind cv=5 (200x at
    predict_proba)."""
    model.calibrated_classifiers_ = _copies(model.calibrated_classifiers_, 3)


def _more_imputer_iterations(model: Any) -> None:
    """Round 66: rounds repeated with ``n_iter_`` to match, behind
    max_iter=2 (118x at transform)."""
    model.imputation_sequence_ = _copies(model.imputation_sequence_, 3)
    model.n_iter_ *= 3


def _calibrated_on_one_split() -> tuple[Any, Any]:
    from sklearn.calibration import CalibratedClassifierCV

    X = RS.rand(60, 3)
    index = np.arange(60)
    split = [(index[:40], index[40:])]
    model = CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=split)
    return model.fit(X, index % 2), X[:5]


def _regression_boosting_of_many_outputs(model: Any) -> None:
    """Round 67: a histogram boosting regressor given 40 trees an iteration
    and a multinomial loss of 40 classes (15,000 asked a (rows, 15,000)
    array of every predict)."""
    from sklearn._loss.loss import HalfMultinomialLoss

    count = 40
    model.n_trees_per_iteration_ = count
    model._loss = HalfMultinomialLoss(n_classes=count)
    model._predictors = [
        [pickle.loads(pickle.dumps(stage[0])) for _ in range(count)]
        for stage in model._predictors
    ]
    model._baseline_prediction = np.zeros((1, count))


def _gaussian_classes_of_three() -> tuple[Any, Any]:
    X = RS.rand(30, 2)
    return GaussianProcessClassifier().fit(X, np.arange(30) % 3), X[:5]


def _more_one_vs_rest_classes(model: Any) -> None:
    """Round 67: the built one-vs-rest given 12 members and classes behind
    the model's 3 (300 timed predict out)."""
    ovr = model.base_estimator_
    ovr.estimators_ = _copies(ovr.estimators_, 4)
    ovr.classes_ = np.arange(12)
    ovr.label_binarizer_.classes_ = np.arange(12)


def _target_regressor_of(
    regressor: Any, columns: int = 2
) -> Callable[[], tuple[Any, Any]]:
    """A target regressor over ``regressor`` fit on a target of ``columns``
    columns (two dimensions, one column or more)."""

    def build() -> tuple[Any, Any]:
        from sklearn.compose import TransformedTargetRegressor

        X = RS.rand(40, 3)
        model = TransformedTargetRegressor(regressor=regressor)
        return model.fit(X, RS.rand(40, columns)), X[:5]

    return build


def _one_target_of_many_outputs(model: Any) -> None:
    """Round 68: a target regressor claiming one target over a multi-output
    regressor (or chain) of many members (3,000 made predict 385 times as
    long; a chain of 1,000, past 60 s)."""
    model.regressor_ = clone(model.regressor).fit(RS.rand(40, 3), RS.rand(40, 30))
    model._training_dim = 1
    model.transformer_.n_features_in_ = 1


def _voting_of_ridge() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor

    X = RS.rand(40, 3)
    return VotingRegressor([("m", Ridge())]).fit(X, X[:, 0]), X[:5]


def _voter_of_many_outputs(model: Any) -> None:
    """Round 68: a voter swapped, parameter and fit alike, for a
    multi-output regressor of 3,000 members (1,090 times as long)."""
    from sklearn.utils import Bunch

    member = MultiOutputRegressor(Ridge()).fit(RS.rand(40, 3), RS.rand(40, 30))
    model.estimators = [("m", MultiOutputRegressor(Ridge()))]
    model.estimators_ = [member]
    model.named_estimators_ = Bunch(m=member)


def _projection_of_ten_columns() -> tuple[Any, Any]:
    from sklearn.random_projection import SparseRandomProjection

    X = RS.rand(40, 10)
    return SparseRandomProjection(n_components=5, random_state=0).fit(X), X[:5]


def _sparse_coefficients() -> tuple[Any, Any]:
    X = RS.rand(40, 10)
    model = LogisticRegression().fit(X, np.arange(40) % 2)
    return model.sparsify(), X[:5]


def _one_cell_repeated(name: str) -> Callable[[Any], None]:
    def corrupt(model: Any) -> None:
        """Round 68: a sparse matrix holding one cell many times (a million
        in a 5 x 10 matrix made transform 975 times as long)."""
        rows, columns = getattr(model, name).shape
        count = rows * columns + 1
        indptr = np.full(rows + 1, count, dtype=np.int32)
        indptr[0] = 0
        indices = np.zeros(count, dtype=np.int32)
        matrix = sp.csr_matrix((np.ones(count), indices, indptr), shape=(rows, columns))
        setattr(model, name, matrix)

    return corrupt


def _members_beyond_one_column(model: Any) -> None:
    """Round 69: a target regressor honestly fit on one target column (two
    dimensions) over a multi-output regressor given 3,000 members (3,100
    times as long)."""
    model.regressor_.estimators_ = _copies(model.regressor_.estimators_, 30)


def _target_dimensions_edited(model: Any) -> None:
    """Round 69: a one-dimensional target said to be two, the regressor's
    coefficients tiled to 3,000 rows (640 times as long)."""
    model._training_dim = 2
    model.regressor_.coef_ = np.tile(model.regressor_.coef_, (30, 1))
    model.regressor_.intercept_ = np.zeros(30)


def _pca_of_three_columns() -> tuple[Any, Any]:
    from sklearn.decomposition import PCA

    return PCA().fit(RS.rand(40, 3)), RS.rand(5, 3)


def _target_of_one_dimension() -> tuple[Any, Any]:
    from sklearn.compose import TransformedTargetRegressor

    X = RS.rand(40, 3)
    return TransformedTargetRegressor(Ridge()).fit(X, RS.rand(40)), X[:5]


def _multi_output_trees() -> tuple[Any, Any]:
    X = RS.rand(40, 3)
    model = MultiOutputRegressor(DecisionTreeRegressor(max_depth=3))
    return model.fit(X, RS.rand(40, 2)), X[:5]


def _trees_of_numpy_outputs(model: Any) -> None:
    """Round 70: each member a tree of 30 outputs whose count is a numpy
    integer (3,000 made predict ask 1.4 GB where the model predicts 2)."""
    X = RS.rand(40, 3)
    for index, _ in enumerate(model.estimators_):
        tree = DecisionTreeRegressor(max_depth=3).fit(X, RS.rand(40, 30))
        tree.n_outputs_ = np.int64(tree.n_outputs_)
        model.estimators_[index] = tree


def _members_as_a_tuple(model: Any) -> None:
    """Round 70: a multi-output regressor's members as a tuple of many (the
    outputs counted only lists)."""
    inner = model.regressor_
    inner.estimators_ = tuple(_copies(inner.estimators_, 30))


def _forest_of_many_outputs(model: Any) -> None:
    """Round 70: a target regressor of one target over a forest of 1,500
    outputs (the forest's ``estimator_`` is an unfitted template, and the
    outputs were read there: 313 times as long)."""
    model.regressor_ = RandomForestRegressor(n_estimators=2, max_depth=2).fit(
        RS.rand(40, 3), RS.rand(40, 30)
    )
    model.regressor = RandomForestRegressor(n_estimators=2, max_depth=2)


def _bagged_trees_of_three_classes() -> tuple[Any, Any]:
    X = RS.rand(60, 3)
    model = BaggingClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=2)
    return model.fit(X, np.arange(60) % 3), X[:5]


def _bagging_classes_deleted(model: Any) -> None:
    """Round 70: a bagging classifier's classes deleted beside a class count
    of 3,000 (its probabilities 30,000 x 3,000)."""
    del model.classes_
    model.n_classes_ = 300


def _tree_of_three_classes() -> tuple[Any, Any]:
    X = RS.rand(60, 3)
    return DecisionTreeClassifier(max_depth=2).fit(X, np.arange(60) % 3), X[:5]


def _one_class_repeated(model: Any) -> None:
    """Round 70: a voter's classes one code many times (each a column of
    its probabilities: 3,000 asked 1.4 GB)."""
    model.classes_ = np.zeros_like(model.classes_)


def _one_hot_of_many_categories(categories: int) -> Callable[[], tuple[Any, Any]]:
    return _sparse_block_beside_scaler(
        lambda: OneHotEncoder(handle_unknown="ignore"), categories
    )


def _sparse_block_beside_scaler(
    block: Callable[[], Any], categories: int = 300
) -> Callable[[], tuple[Any, Any]]:
    """A column transformer of a sparse block over an id column of so many
    categories (and the numbers beside it) and a scaler of the numbers."""

    def build() -> tuple[Any, Any]:
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import StandardScaler

        X = np.c_[np.arange(600) % categories, RS.rand(600, 3)]
        model = ColumnTransformer(
            [("ids", block(), [0]), ("num", StandardScaler(), [1, 2, 3])]
        )
        return model.fit(X), X[:5]

    return build


def _one_hot_in_a_pipeline() -> Any:

    return make_pipeline(OneHotEncoder(handle_unknown="ignore"))


def _binned_block() -> Any:
    from sklearn.preprocessing import KBinsDiscretizer

    return KBinsDiscretizer(n_bins=200, encode="onehot", strategy="uniform")


def _neighbours_graph() -> Any:
    from sklearn.neighbors import KNeighborsTransformer

    return KNeighborsTransformer(n_neighbors=5)


def _trees_embedding_block() -> Any:
    from sklearn.ensemble import RandomTreesEmbedding

    return RandomTreesEmbedding(n_estimators=5, max_depth=6, random_state=0)


def _sparse_spline() -> Any:
    from sklearn.preprocessing import SplineTransformer

    return SplineTransformer(n_knots=200, sparse_output=True)


def _one_hot_then(step: Callable[[], Any]) -> Callable[[], Any]:
    def block() -> Any:

        return make_pipeline(OneHotEncoder(handle_unknown="ignore"), step())

    return block


def _one_hot_in_a_union() -> Any:
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([("ids", OneHotEncoder(handle_unknown="ignore"))])


def _one_hot_in_a_column_transformer() -> Any:
    from sklearn.compose import ColumnTransformer

    return ColumnTransformer([("ids", OneHotEncoder(handle_unknown="ignore"), [0])])


def _sparse_blocks() -> dict[str, Callable[[], Any]]:
    """Blocks whose transform is sparse, each its own way (rounds 72-73)."""
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import MaxAbsScaler, Normalizer

    return {
        "one-hot-in-a-pipeline": _one_hot_in_a_pipeline,
        "binned": _binned_block,
        "neighbours-graph": _neighbours_graph,
        "trees-embedding": _trees_embedding_block,
        "sparse-spline": _sparse_spline,
        "one-hot-then-scaled": _one_hot_then(MaxAbsScaler),
        "one-hot-then-normalized": _one_hot_then(Normalizer),
        "one-hot-then-selected": _one_hot_then(VarianceThreshold),
        "one-hot-then-imputed": _one_hot_then(SimpleImputer),
        "one-hot-in-a-union": _one_hot_in_a_union,
        "one-hot-in-a-column-transformer": _one_hot_in_a_column_transformer,
        "one-hot-of-a-numpy-flag": _one_hot_of_a_numpy_flag,
        "one-hot-then-projected": _one_hot_then_projected,
    }


def _made_dense_as(flag: Any) -> Callable[[Any], None]:
    """Round 74: the flag made another false value than ``False`` itself
    (``if self.sparse_output_:`` reads them all as dense)."""

    def corrupt(model: Any) -> None:
        model.sparse_output_ = flag

    return corrupt


def _made_dense_under_a_numpy_threshold(model: Any) -> None:
    """Round 74: the threshold a numpy float (which scikit-learn's
    constraints accept) had switched the bound off."""
    model.sparse_output_ = False
    model.sparse_threshold = np.float32(0.3)


def _one_hot_of_a_numpy_flag() -> Any:
    return OneHotEncoder(handle_unknown="ignore", sparse_output=np.True_)


def _one_hot_then_projected() -> Any:
    from sklearn.random_projection import SparseRandomProjection

    return _one_hot_then(
        lambda: SparseRandomProjection(100, dense_output=False, random_state=0)
    )()


def _ensembling_as_numpy_false(model: Any) -> None:
    """Round 74: ``ensemble`` a numpy False beside the members of an
    ensemble (predict_proba runs every member; fit makes one)."""
    model.ensemble = np.False_


def _density(**params: Any) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        from sklearn.neighbors import KernelDensity

        X = RS.rand(200, 3)
        return KernelDensity(**params).fit(X), X[:5]

    return build


def _incremental_pca_of_sparse_rows() -> tuple[Any, Any]:
    from sklearn.decomposition import IncrementalPCA

    X = sp.random(60, 4, density=0.5, format="csr", random_state=0)
    return IncrementalPCA(2).fit(X), X[:5]


def _topics() -> tuple[Any, Any]:
    from sklearn.decomposition import LatentDirichletAllocation

    X = RS.randint(0, 5, (40, 6))
    return LatentDirichletAllocation(3, max_iter=5, random_state=0).fit(X), X[:5]


def _brute_neighbours(**params: Any) -> Callable[[], tuple[Any, Any]]:
    def build() -> tuple[Any, Any]:
        X = RS.rand(60, 3)
        model = KNeighborsClassifier(algorithm="brute", **params)
        return model.fit(X, np.arange(60) % 2), X[:5]

    return build


def _distance_of_p3(model: Any) -> None:
    """Round 75: "minkowski" of p=3 behind p=2 (which fit names
    "euclidean"): every distance by the generic code, 48 times as long."""
    model.effective_metric_ = "minkowski"
    model.effective_metric_params_ = {"p": 3.0, "w": None}


def _made_dense_positions_deleted(model: Any) -> None:
    """Round 72: the flag, and the recorded column positions (which only a
    data frame's columns read) deleted, which had turned the bound off."""
    model.sparse_output_ = False
    del model._transformer_to_input_indices


def _lof_of_many_neighbours() -> tuple[Any, Any]:
    from sklearn.neighbors import LocalOutlierFactor

    X = RS.rand(60, 3)
    return LocalOutlierFactor(n_neighbors=50, novelty=True).fit(X), X[:5]


def _quantiles_of_many() -> tuple[Any, Any]:
    from sklearn.preprocessing import QuantileTransformer

    X = RS.rand(600, 3)
    return QuantileTransformer(n_quantiles=500).fit(X), X[:5]


def _made_dense_its_spans_widened(model: Any) -> None:
    """Round 71's flag, and the recorded output positions (which only names
    read) claiming the scaled block 100,000 wide, so that the density
    bound would read as dense."""
    model.sparse_output_ = False
    model.output_indices_["num"] = slice(300, 100_300)


def _made_dense(model: Any) -> None:
    """Round 71: the flag fit sets from its output's density turned off (a
    one-hot column of 5,000 categories made 30,000 x 5,003 dense: 800
    times as long)."""
    model.sparse_output_ = False


def _scaled(name: str, factor: float) -> Callable[[Any], None]:
    """Every number of a fitted array (or list of arrays) times ``factor``."""

    def corrupt(model: Any) -> None:
        value = getattr(model, name)
        if isinstance(value, list):
            setattr(model, name, [v * factor for v in value])
        else:
            setattr(model, name, value * factor)

    return corrupt


def _widened(name: str, dtype: Any) -> Callable[[Any], None]:
    """A fitted array (or list of arrays) stored as ``dtype``."""

    def corrupt(model: Any) -> None:
        value = getattr(model, name)
        if isinstance(value, list):
            setattr(model, name, [v.astype(dtype) for v in value])
        else:
            setattr(model, name, value.astype(dtype))

    return corrupt


def _scaled_then_neighbours() -> tuple[Any, Any]:
    """Round 79: a scale of 1e308 divides every row near 1e-308, and the
    neighbours search after it computes with subnormal numbers (21x)."""
    from sklearn.preprocessing import StandardScaler

    X = RS.rand(40, 3)
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(3))
    return model.fit(X, (X[:, 0] > 0.5).astype(int)), X[:3]


def _two_small_steps(pipeline: Any) -> None:
    """Round 80: a scale and the training rows each 2**-511, the square root
    of the smallest normal number: the data under 1 times both is
    subnormal (23x)."""
    pipeline[0].scale_ = np.full_like(pipeline[0].scale_, 2.0**511)
    pipeline[-1]._fit_X = np.sign(pipeline[-1]._fit_X - 0.5) * 2.0**-511


#: Whether this platform's long double is wider than float64 (not on every
#: processor: there the same file holds plain float64).
WIDE_LONG_DOUBLE = np.dtype(np.longdouble).itemsize > 8


def _tree_of_another_distance(model: Any) -> None:
    """Round 85: a neighbours model's tree rebuilt to measure a Mahalanobis
    distance (of a subnormal matrix: 8.6 to 25 times; of the identity behind
    a Euclidean model, 6.7 times): the tree's distance is its own."""
    from sklearn.neighbors import BallTree

    model._tree = BallTree(model._fit_X, metric="mahalanobis", VI=np.eye(2))


def _leaves_subnormal(model: Any) -> None:
    """Round 85: boosting's leaves at 1e-310, each row's sum a product by the
    learning rate of one (300 trees: 6.5 to 10.8 times)."""
    for tree in model.estimators_.ravel():
        tree.tree_.value[:] = 1e-310


def _tree_weights_subnormal(model: Any) -> None:
    from sklearn.neighbors import KDTree
    from sklearn.neighbors._kd_tree import newObj

    state = list(model.tree_.__getstate__())
    state[12] = np.full(len(state[0]), 1e-310)
    model.tree_ = Reduced((newObj, (KDTree,), tuple(state)))


def _positive_transformer() -> tuple[Any, Any]:
    """Round 83: its output's dtype a keyword of its function: long doubles
    made the network after it 48 times as long."""
    X = RS.rand(10, 3)
    return FunctionTransformer(np.positive).fit(X), X[:3]


def _gp_one_output_column() -> tuple[Any, Any]:
    """A Gaussian process fitted on a target of one column, normalized: its
    output statistics are one number, its weights (rows, 1)."""
    from sklearn.gaussian_process import GaussianProcessRegressor

    X = RS.rand(40, 3)
    model = GaussianProcessRegressor(normalize_y=True, optimizer=None)
    return model.fit(X, X[:, :1]), X[:3]


def _output_statistics(count: int, dtype: Any = float) -> Callable[[Any], None]:
    """Round 82: 3,000 output statistics beside one output broadcast
    predict's (rows, 1) means to (rows, 3,000), 1.6 GB (int8 ones too)."""

    def corrupt(model: Any) -> None:
        model._y_train_std = np.ones(count, dtype=dtype)
        model._y_train_mean = np.zeros(count, dtype=dtype)

    return corrupt


def _dirichlet_mixture() -> tuple[Any, Any]:
    """A Bayesian mixture of a Dirichlet distribution prior: its
    concentrations an array, where a Dirichlet process's are a tuple."""
    from sklearn.mixture import BayesianGaussianMixture

    X = RS.rand(60, 3)
    model = BayesianGaussianMixture(
        n_components=1,
        weight_concentration_prior_type="dirichlet_distribution",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, on 60 rows
        return model.fit(X), X[:3]


def _mlp_lbfgs() -> tuple[Any, Any]:
    """A network of no optimizer state to hold its layers (lbfgs)."""
    from sklearn.neural_network import MLPRegressor

    X = RS.rand(40, 3)
    model = MLPRegressor(
        hidden_layer_sizes=(16, 16), solver="lbfgs", max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        return model.fit(X, X[:, 0]), X[:3]


def _objects(*arrays: Any) -> Any:
    """A 1-D array of objects holding ``arrays`` (not stacked by numpy)."""
    held = np.empty(len(arrays), dtype=object)
    held[:] = list(arrays)
    return held


def _qda_rotations_as_objects(model: Any) -> None:
    """Round 82: a class's rotation 3,000 columns wide, in an array of
    arrays where fit makes a list (the list was refused, the array not):
    (rows, 3,000) a class at predict."""
    rotations = list(model.rotations_)
    scalings = list(model.scalings_)
    rotations[-1], scalings[-1] = np.zeros((4, 3000)), np.ones(3000)
    model.rotations_, model.scalings_ = _objects(*rotations), _objects(*scalings)


def _knn_rows_as_matrix(model: Any) -> None:
    """Round 81: the training rows as a numpy matrix were not judged by
    magnitude (subnormal ones made the search 19 times as long)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        model._fit_X = np.asmatrix(model._fit_X * 1e-310)


CASES: dict[str, Case] = {
    "kmeans-negative-threads": Case(
        _kmeans, _set("_n_threads", -1), "with -1 threads", control="crash"
    ),
    "kmeans-too-many-threads": Case(
        _kmeans, _set("_n_threads", 100_000), "with 100000 threads"
    ),
    "kmeans-width": Case(
        _kmeans,
        _set("n_features_in_", 400_000),
        "centres are not of its",
        control="unchecked",
        control_rows=lambda: np.ones((1, 400_000)),
    ),
    "kmeans-negative-clusters": Case(
        _kmeans, _set("n_clusters", -3), "'n_clusters' parameter of KMeans"
    ),
    "gradient-boosting-outputs": Case(
        _gbr, _gb_many_outputs, "trees are not its stages", control="unchecked"
    ),
    "gradient-boosting-tree-width": Case(
        _gbr, _gb_wide_tree, "tree not of its width", control="crash"
    ),
    "gradient-boosting-first-guess": Case(
        _gbc, _gbc_two_class_guess, "first guess has other classes"
    ),
    "hist-gradient-boosting-width": Case(
        _hgb_one_categorical,
        _hgb_wide,
        "bins are not one per feature",
        control="crash",
        control_rows=_hgb_wide_rows,
    ),
    "hist-gradient-boosting-split": Case(
        _hgb_categorical, _hgb_split_on_numeric, "categorical split on a feature"
    ),
    "hist-gradient-boosting-split-in-a-list-of-its-own-class": Case(
        _hgb_categorical,
        _hgb_split_in_a_list_of_its_own,
        # Refused before its split is read: fit keeps plain lists.
        "stages are not its outputs",
    ),
    "hist-gradient-boosting-predictor-holds-a-model": Case(
        _hgb_categorical,
        _hgb_predictor_holds_a_model,
        "tree that holds more than its arrays",
    ),
    "hist-gradient-boosting-chain-past-its-bins": Case(
        _hgb_unlimited,
        _hgb_chain_past_its_bins,
        "larger than its max_leaf_nodes or max_depth",
        control="unchecked",
    ),
    "hist-gradient-boosting-preprocessor": Case(
        _hgb_categorical, _hgb_narrow_preprocessor, "gives another width"
    ),
    "ball-tree-distance": Case(
        _ball_tree_knn,
        _ball_tree_small_distance,
        "distance is not of its data's width",
        control="unchecked",
    ),
    "brute-neighbours-distance": Case(
        _brute_knn, _brute_small_distance, "VI is not of its data", control="crash"
    ),
    "neighbours-width": Case(
        _small_knn, _set("n_features_in_", 2_000_000), "data is not of its fitted"
    ),
    "random-state-position": Case(
        _stratified_dummy,
        _far_position,
        "position is outside its key",
        control="crash",
    ),
    "sparse-coefficients": Case(
        _sparse_logistic, _far_index, "sparse matrix whose indices", control="crash"
    ),
    "private-compiled-function": Case(
        _function_transformer,
        _private_function,
        "func is the private function sklearn.cluster._kmeans._kmeans_single_lloyd",
        method="transform",
    ),
    "method-replaced-by-state": Case(
        _function_transformer,
        _method_replaced,
        "sets 'transform', which hides its class's own attribute",
        method="transform",
    ),
    "special-name-in-state": Case(
        # (round 171: pickle asks the instance for __reduce_ex__, so a file's
        # callable under that key ran when the loaded model was pickled)
        _scaler_with_output,
        _set("__reduce__", np.exp),
        "sets '__reduce__', a name that starts with two underscores",
        method="transform",
    ),
    "unmangled-private-name-in-state": Case(
        # (round 172: scikit-learn's HTML display formats this key into a
        # link: a file's markup, or 5e8 characters of padding)
        _scaler_with_output,
        _set("__doc_link_template", "{estimator_name:>500000000}"),
        "sets '__doc_link_template', a name that starts with two underscores",
        method="transform",
    ),
    "special-name-among-a-bunchs-items": Case(
        # (round 172: a Bunch answers attributes with its items, and
        # copy.deepcopy called the one named __deepcopy__)
        _hard_voting,
        _bunch_item("__deepcopy__"),
        "Bunch whose items name special attributes",
    ),
    "display-hook-in-state": Case(
        # (round 173: scikit-learn's diagram calls _sk_visual_block_ on any
        # estimator that has one)
        _scaler_with_output,
        _set("_sk_visual_block_", np.float64),
        "sets '_sk_visual_block_', a hook that display code looks up by name",
        method="transform",
    ),
    "metadata-requests-nested": Case(
        _scaler_with_output,
        _nested_requests,
        "metadata request holding 'fit', which is not one method's request",
        method="transform",
    ),
    "metadata-requests-of-another-model": Case(
        _scaler_with_output,
        _requests_of_another_model,
        "holding an estimator in '_metadata_request'",
        method="transform",
    ),
    "metadata-request-marked-to-warn": Case(
        # (round 174: a request marked so formats its owner into a warning
        # at every call; no class of scikit-learn declares it)
        _scaler_with_output,
        _request_alias("$WARN$"),
        "metadata request whose alias is not a name",
        method="transform",
    ),
    "parameter-holding-its-holder": Case(
        # (round 174: steps sharing a parameter dict that held them: a
        # repr followed the cycle path by path, 54 s for 6 steps)
        _function_transformer,
        _holding_itself,
        "holds, through its members, an object that holds it",
        method="transform",
    ),
    "metadata-request-alias-not-a-name": Case(
        _scaler_with_output,
        _request_alias("{weights}" * 20),
        "metadata request whose alias is not a name",
        method="transform",
    ),
    "hashing-no-features": Case(
        _hashing,
        _set("n_features", 0),
        "'n_features' parameter of HashingVectorizer",
        method="transform",
        control="crash",
    ),
    "ngram-range": Case(
        _hashing, _set("ngram_range", (-(10**7), 2)), "n-gram range", "transform"
    ),
    "ngram-range-huge": Case(
        _count_vectorizer, _set("ngram_range", (1, 10**6)), "n-gram range", "transform"
    ),
    "vocabulary-index": Case(
        _count_vectorizer,
        _set("vocabulary_", {"hello": 100_000_000, "world": 0}),
        "vocabulary points outside its columns",
        method="transform",
        control="unchecked",
    ),
    "vocabulary-duplicate": Case(
        _count_vectorizer,
        _set("vocabulary_", {"hello": 0, "world": 0, "foo": 1}),
        "vocabulary points outside its columns",
        method="transform",
    ),
    "spline-byte-order": Case(
        _spline,
        _swapped_coefficients,
        "not native float64 on axis 0",
        "transform",
        control="unchecked",
    ),
    "tfidf-weights": Case(
        _tfidf_vectorizer, _short_idf, "weights are not its vocabulary's", "transform"
    ),
    "spline-coefficients": Case(
        _spline,
        _short_coefficients,
        # the transformer's own check (round 51) ties coefficients to knots
        # before each B-spline's
        "coefficients are not its knots'",
        "transform",
        control="unchecked",
        control_rows=lambda: np.array([[1.9], [1.5]]),
    ),
    "dummy-regressor-outputs": Case(
        _dummy_regressor,
        _set("n_outputs_", 250_000_000),
        "outputs are not its constants'",
        control="memory",
    ),
    # A number outside its constraint is refused; an unknown string option is
    # not (another release may name it: test_cross_release loads one).
    "dummy-regressor-quantile": Case(
        _dummy_regressor, _set("quantile", 7.0), "parameter of DummyRegressor"
    ),
    "dummy-classifier-outputs": Case(
        _stratified_dummy, _set("n_outputs_", 10**9), "outputs are not its classes'"
    ),
    # Red-team round 4: state the first checks measured against, bypassed.
    "one-hot-output-widths": Case(
        _one_hot, _set("_n_features_outs", [10**9, -(10**9) + 6]), "output widths"
    ),
    "neighbors-graph-sample-count": Case(
        _knn_transformer, _set("n_samples_fit_", 6), "sample count is not its data's"
    ),
    "tree-width-as-float": Case(
        _tree_model, _set("n_features_in_", 3.0), "input width is 3.0"
    ),
    "tree-width-deleted": Case(
        _tree_model, _delete("n_features_in_"), "tree without its input width"
    ),
    "svc-shape-as-list": Case(
        _svc_precomputed, _svc_far_support, "support points outside its data"
    ),
    "function-transformer-class-as-func": Case(
        _function_transformer_identity,
        _set("func", np.ndarray),
        "func is the class numpy.ndarray",
        method="transform",
    ),
    # Red-team round 5.
    "one-hot-infrequent-mapping": Case(
        _one_hot_infrequent,
        _far_infrequent_mapping,
        "infrequent categories are not its own",
        method="transform",
    ),
    "one-hot-drop-index": Case(
        _one_hot_drop_first,
        _set("drop_idx_", np.array([-(10**12), -(10**12)], dtype=object)),
        "dropped categories are not its own",
        method="transform",
    ),
    "feature-agglomeration-labels": Case(
        _feature_agglomeration,
        _set("labels_", np.array([0, 1, 1, 2**29])),
        "labels are not its clusters'",
        method="transform",
    ),
    "dict-vectorizer-names-short": Case(
        _dict_vectorizer_model, _dict_far_index, "names are not its vocabulary's"
    ),
    # Round 6: a survey of every allowed estimator with compiled or
    # allocating predict and transform, then a red team.
    "birch-subcluster-norms": Case(
        _birch,
        _set("_subcluster_norms", np.zeros(1)),
        "subclusters are not its centres'",
        control="unchecked",
    ),
    "multilabel-cache-index": Case(
        _multilabel,
        _set("_cached_dict", {1: 10**9, 2: 1, 3: 2}),
        "vocabulary points outside its columns",
        method="transform",
        control="crash",
        control_rows=lambda: [[1, 2], [3], [2, 3]],
    ),
    "neighbours-precomputed-norms": Case(
        _brute_regressor,
        _precomputed_norms,
        "distance parameters with the key 'Y_norm_squared'",
        control="unchecked",
    ),
    "polynomial-degree-loop": Case(
        _interactions,
        _set("_max_degree", 10**12),
        "degrees are not its parameter's",
        method="transform",
    ),
    "polynomial-degree-parameter": Case(
        _polynomial,
        _set("degree", 10**6),
        "degrees are not its parameter's",
        method="transform",
    ),
    "polynomial-output-width": Case(
        _polynomial,
        _set("_n_out_full", 10**12),
        "output width is not its degrees'",
        method="transform",
        control="memory",
    ),
    "spline-output-width": Case(
        _spline,
        _set("n_features_out_", 10**9),
        "output width is not its splines'",
        method="transform",
        control="memory",
    ),
    "hist-gradient-boosting-outputs": Case(
        _hgb_regressor,
        _set("n_trees_per_iteration_", 10**9),
        "stages are not its outputs",
        control="memory",
    ),
    "forest-class-count": Case(
        _forest,
        _set("n_classes_", 10**9),
        "class count is not its classes'",
        method="predict_proba",
        control="memory",
    ),
    "radius-neighbours-labels": Case(
        _radius_classifier,
        _far_labels,
        "labels are not its classes'",
        control="memory",
    ),
    # Round 79: classes no label is, a row of each at predict_proba.
    "radius-neighbours-classes-no-label-is": Case(
        _radius_classifier,
        _set("classes_", np.arange(40_000)),
        "with classes none of its labels is",
        method="predict_proba",
    ),
    "neighbours-classes-no-label-is": Case(
        _ball_tree_knn,
        _set("classes_", np.arange(3)),
        "with classes none of its labels is",
        method="predict_proba",
    ),
    # Round 7 (a red team on fitted state).
    "svr-support-counts": Case(
        _svr,
        _long_support_counts,
        "support vector model whose counts disagree",
        control="crash",
    ),
    "svc-classes-deleted": Case(
        _svc,
        _classes_deleted,
        "support vector classifier whose counts disagree",
        method="decision_function",
        control="crash",
    ),
    "additive-chi2-steps": Case(
        _additive_chi2,
        _set("sample_steps", 10**9),
        "sampling steps (at most 100)",
        method="transform",
    ),
    "count-sketch-width": Case(
        _count_sketch,
        _set("n_components", 10**9),
        "PolynomialCountSketch of width 1000000000",
        method="transform",
        control="memory",
    ),
    # Round 8.
    "tree-recorded-depth": Case(
        _tree_model,
        _shallow_recorded_depth,
        "recorded depth is not its depth",
        method="decision_path",
        control="unchecked",
        # decision_path wrote past the index array it sized by the depth;
        # scipy sees the index pointer run past it when it builds the matrix.
        raised_after="ValueError Last value of index pointer should be less than",
    ),
    "forest-outputs": Case(
        _forest_regressor,
        _set("n_outputs_", 2**28),
        "outputs are not its trees'",
        control="memory",
    ),
    "sparse-svm-coefficients": Case(
        _sparse_svr,
        _unstored_coefficients,
        "coefficients are not all stored",
        control="unchecked",
    ),
    "kd-tree-bounds": Case(
        _kd_tree_knn,
        _lower_bounds_only,
        "node count disagrees with its arrays",
        control="unchecked",
    ),
    "one-hot-unordered-categories": Case(
        _numeric_one_hot,
        _unordered_categories,
        "categories are not in order",
        method="transform",
        control="crash",
        control_rows=lambda: np.full((100, 1), 9.0),
    ),
    "voting-labels": Case(
        _hard_voting,
        _far_voter_labels,
        "voters' classes are not its own",
        control="memory",
    ),
    # Round 9: what a checked estimator takes from its children.
    "gradient-boosting-first-guess-shape": Case(
        _gb_linear_first_guess,
        _row_shaped_guess,
        "first guess is a LinearRegression",
        control="unchecked",
        control_rows=lambda: RS.rand(2000, 4),
    ),
    "voting-dummy-constant": Case(
        _voting_with_constant,
        _far_constant,
        "constant is not one of its classes",
        control="memory",
    ),
    "hist-gradient-boosting-narrowing-transformer": Case(
        _hgb_categorical,
        _hgb_narrowing_transformer,
        "transformer the model does not build",
        control="unchecked",
    ),
    # Round 10: state that names what the class defines, flags that choose a
    # compiled path, mappings inside their categories but not fit's, counts
    # a transform loops or allocates by, times the probe's rows.
    "svr-classifier-implementation": Case(
        _svr, _set("_impl", "c_svc"), "sets '_impl', which hides its class's own"
    ),
    "svc-sparse-flag-on-dense-arrays": Case(
        _svc, _set("_sparse", True), "arrays are not stored as it says"
    ),
    "svc-sparse-precomputed": Case(
        _svc_precomputed,
        _sparse_precomputed_vectors,
        "sparse support vector model with a precomputed or callable kernel",
        control="crash",
        control_rows=lambda: np.zeros((2, 20)),
    ),
    "svc-probability-without-parameters": Case(
        _sparse_svc,
        _set("_effective_probability", True),
        "classifier whose counts disagree with its arrays",
        control="crash",
    ),
    "one-hot-identity-infrequent-mapping": Case(
        _one_hot_infrequent,
        _identity_infrequent_mapping,
        "infrequent categories are not its own",
        method="transform",
        control="unchecked",
    ),
    "one-hot-unknown-as-far-category": Case(
        _one_hot_unknown_as_infrequent,
        _far_infrequent_category,
        "infrequent categories are not its own",
        method="transform",
        control="crash",
        control_rows=lambda: np.array([["z"]], dtype=object),
    ),
    "one-hot-drop-after-grouping": Case(
        _one_hot_drop_first,
        _set("_drop_idx_after_grouping", np.array([5, 5], dtype=object)),
        "dropped categories are not its own",
        method="transform",
    ),
    "lda-document-iterations": Case(
        _lda,
        _set("max_doc_update_iter", 10**15),
        "max_doc_update_iter is 1000000000000000 (at most 100000",
        method="transform",
    ),
    "nmf-solver-iterations": Case(
        _nmf,
        _set("max_iter", 10**15),
        "max_iter is 1000000000000000",
        method="transform",
    ),
    "polynomial-width-times-probe-rows": Case(
        _polynomial_many_rows,
        _polynomial_degree_64,
        "with 25 probe rows",
        method="transform",
    ),
    # Round 11: method names the state holds, members' output widths, a
    # neighbours tree over other data, a distance object, counts kept beside
    # the arrays they count, threads.
    "stacking-method-name": Case(
        _stacking, _set("stack_method_", ["fit"]), "stacked methods are not predictions"
    ),
    "scorer-response-method": Case(
        _search_with_scorer,
        _fit_as_response,
        "scorer whose response method is not a prediction",
    ),
    "chain-method-name": Case(
        _chain, _set("chain_method_", "fit"), "chained method is not a prediction"
    ),
    "one-vs-rest-member-rows": Case(
        _one_vs_rest_multilabel,
        _member_with_many_rows,
        "decides more than one column",
    ),
    "neighbors-tree-over-other-data": Case(
        _kd_transformer,
        _larger_tree,
        "tree is not its fitted data",
        method="transform",
    ),
    "neighbors-metric-object-width": Case(
        _brute_regressor,
        _narrow_mahalanobis,
        "metric is not of its data's width",
    ),
    "minibatch-nmf-component-count": Case(
        _minibatch_nmf,
        _set("_n_components", 24_000_000),
        "_n_components is not its components'",
        method="transform",
    ),
    "threads-from-n-jobs": Case(
        _kd_transformer, _set("n_jobs", 100_000), "n_jobs=100000 (at most"
    ),
    # Round 12: arrays whose items cost no bytes, classes laid out as
    # another output count, members deciding wider than two classes, kernels
    # given as functions, bagging's feature subsets.
    "classes-of-no-bytes": Case(
        _uniform_dummy,
        _classes_of_no_bytes,
        "60,000,000 items of no bytes",
    ),
    "neighbors-classes-as-outputs": Case(
        _brute_classifier,
        _classes_as_outputs,
        "classes are not laid out as its outputs",
        method="predict_proba",
    ),
    "one-vs-rest-wide-member": Case(
        _one_vs_rest_multilabel,
        _three_class_member,
        # the model's two labels: refused as wider than the model, before
        # the one-vs-rest check (a member of more than two classes)
        "members claim classes it does not hold",
    ),
    "svc-function-kernel-support": Case(
        _svc, _matmul_kernel_far_support, "support points outside its data"
    ),
    "svc-sparse-function-kernel": Case(
        _sparse_svc,
        _set("kernel", np.matmul),
        "sparse support vector model with a precomputed or callable kernel",
    ),
    "one-vs-rest-wide-constant-member": Case(
        _one_vs_rest_multilabel,
        _wide_constant_member,
        "constant member is not one value",
    ),
    "neighbors-more-than-fitted-rows": Case(
        _brute_classifier,
        _set("n_neighbors", 30_000_000),
        "asking more neighbours than its fitted rows",
        method="predict_proba",
    ),
    # Round 13: empty arrays whose other dimension is free.
    # The walk refuses an empty array this wide before the network's check.
    "empty-layer-of-any-width": Case(
        _mlp, _empty_hidden_layer, "an empty array of shape (0, 50000000)"
    ),
    # The same empty array where no table of sizes holds it: the walk's rule.
    "empty-array-of-any-width": Case(
        _normalizer,
        _set("layer_", np.zeros((0, 50_000_000))),
        "empty array of shape (0, 50000000)",
        method="transform",
    ),
    # Round 14: what a scorer calls, with what.
    "scorer-private-compiled-metric": Case(
        _search_with_scorer,
        _compiled_driver_as_metric,
        "scorer whose metric is the private function",
    ),
    "fitted-private-function": Case(
        _brute_regressor,
        _compiled_driver_as_metric_attribute,
        "effective_metric_ is the private function",
    ),
    # Round 16: a string parameter outside its options that names a method.
    "threshold-response-method-fit": Case(
        _fixed_threshold,
        _set("response_method", "fit"),
        "with parameters scikit-learn refuses",
    ),
    # Round 17: dtypes that multiply every copy, output containers.
    "dtype-sub-array": Case(
        _ordinal,
        _set("dtype", "(80000,)f8"),
        "whose dtype is (80000,)f8",
        method="transform",
    ),
    "output-container-unknown": Case(
        _scaler_with_output,
        _set("_sklearn_output_config", {"transform": "arrow"}),
        "output container is not one set_output sets",
        method="transform",
    ),
    "isolation-forest-feature-subset": Case(
        _isolation_forest,
        _far_feature,
        "members' features are not its own",
        method="score_samples",
    ),
    # Round 18: shared references that make a list's length, or a kernel's
    # evaluations, free; arguments the file gives functions.
    # A network's layer count is held to its hidden_layer_sizes first; the
    # forest below keeps the expansion bound's own case.
    "mlp-repeated-layer": Case(
        # one layer twice in the list: refused as such since round 51, before
        # the bound on references
        _mlp,
        _repeated_layer,
        "holds one estimator, step or array more than once",
    ),
    "forest-repeated-tree": Case(
        _small_forest,
        _repeated_tree,
        "holds one estimator, step or array more than once",
    ),
    "gaussian-process-kernel-dag": Case(
        _gaussian_process,
        _kernel_of_one_operand_twice,
        "references to its parts that reach over",
    ),
    "function-keyword-wide-dtype": Case(
        _check_array_transformer,
        _wide_dtype_keyword,
        "kw_args holds the dtype (60000000,)f8",
        method="transform",
        control="memory",
    ),
    "function-partial-wide-dtype": Case(
        _check_array_transformer,
        _wide_dtype_in_partial,
        "partial function given the dtype",
        method="transform",
        control="memory",
    ),
    "function-out-argument": Case(
        _negative_transformer,
        _out_into_fitted_array,
        "an out= argument",
        method="transform",
    ),
    # Survey after round 18: counts names or outputs are made by.
    "embedding-width-parameter": Case(
        _embedding,
        _set("n_components", 1_000_000_000),
        "n_components is not its embedding's",
        method="transform",
        control="memory",
    ),
    "output-names-count": Case(
        _kmeans_names,
        _names_in_pandas("_n_features_out", 100_000_000),
        "_n_features_out is 100000000",
        method="transform",
        control="memory",
    ),
    "input-names-count": Case(
        _scaler,
        _set("n_features_in_", 100_000_000),
        "n_features_in_ is 100000000",
        method="get_feature_names_out",
        control="memory",
        control_rows=lambda: None,
    ),
    "token-pattern-backtracks": Case(
        _tfidf,
        _set("token_pattern", "(?:(?:(?:(?:\\w*)*)*)*)*\\W"),
        "token pattern",
        method="transform",
    ),
    "vectorizer-reads-files": Case(
        _tfidf, _set("input", "filename"), "reads its documents from files"
    ),
    "importance-getter-private-path": Case(
        _selector,
        _set("importance_getter", "__class__.__init__.__globals__"),
        "not a path of public attributes",
        method="transform",
    ),
    # Round 19.
    "gradient-boosting-loss-of-other-outputs": Case(
        _gb_three_classes, _binomial_loss, "loss (HalfBinomialLoss) is not one"
    ),
    "hashing-width": Case(
        _hashing,
        _set("n_features", 2**31 - 2),
        "HashingVectorizer of 2147483646 columns",
        method="transform",
    ),
    "names-count-paid-by-sparse": Case(
        _scaler,
        _width_paid_by_an_empty_matrix,
        "n_features_in_ is 1000000000",
        method="get_feature_names_out",
        control="memory",
        control_rows=lambda: None,
    ),
    # Round 20: Gaussian process kernels and training rows.
    "gaussian-process-text-constant": Case(
        _gaussian_process, _text_constant_kernel, "constant_value is str"
    ),
    "gaussian-process-empty-training-rows": Case(
        _gaussian_process, _empty_training_rows, "is not one per training row"
    ),
    # Round 21.
    "gradient-boosting-narrow-bitsets": Case(
        _hgb_categorical, _narrow_bitsets, "category bitsets are not 8 words a row"
    ),
    "function-keyword-processes": Case(
        _mutual_info_transformer,
        lambda m: m.kw_args.update(n_jobs=24),
        "kw_args holds n_jobs=24",
        method="transform",
    ),
    "vectorizer-encoding": Case(
        _count_vectorizer, _set("encoding", "idna"), "encoding 'idna'"
    ),
    "one-vs-rest-nested-member": Case(
        _nested_one_vs_rest, _wide_inner_member, "decides more than one column"
    ),
    # Round 22: arrays of more dimensions than fit makes, covariance widths.
    "naive-bayes-extra-dimensions": Case(
        _naive_bayes, _four_dimensional_means, "theta_ has 4 dimensions"
    ),
    "covariance-precision-narrow": Case(
        _elliptic_envelope,
        _set("precision_", np.eye(1)),
        "precision_ is not of its width",
        method="score_samples",
    ),
    # Round 23: arrays of other shapes that broadcast to their outer product.
    "naive-bayes-prior-column": Case(
        _bernoulli_nb,
        _set("class_log_prior_", np.zeros((16_000, 1))),
        "class_log_prior_ is not one a class",
    ),
    "mixture-outer-product": Case(
        _diag_mixture, _outer_product_means, "means_ is not of its components"
    ),
    # The generated table of sizes every fit makes equal (``_shapes_data``):
    # families no hand-written check names.
    "process-normalisation-column": Case(
        _gaussian_process,
        _set("_y_train_std", np.ones((16_000, 1))),
        "whose _y_train_std is not one number an output",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    # A fitted value every fit leaves a number (or of one dimension), made
    # an (A, 1) array or a list of lists: the same outer product, in any
    # dtype (an int8 column is 16 KB of file).
    "intercept-as-column": Case(
        _linear_regression,
        _set("intercept_", np.ones((16_000, 1), dtype=np.int8)),
        "intercept_ has 2 dimensions (no fit makes more than 1)",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "outlier-offset-as-column": Case(
        _small_isolation_forest,
        _set("offset_", np.ones((16_000, 1), dtype=bool)),
        "offset_ has 2 dimensions (every fit makes it a number)",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "sigmoid-slope-as-column": Case(
        _sigmoid_calibration,
        _sigmoid_slope_column,
        "_SigmoidCalibration whose a_ has 2 dimensions",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "threshold-as-list-of-lists": Case(
        _tuned_threshold,
        _set("best_threshold_", [[0.5] for _ in range(16_000)]),
        "best_threshold_ is a list (every fit makes it an array or a number)",
    ),
    # What every fit makes numeric holds objects or text: an object array's
    # items are arrays of any shape (numpy's arithmetic on them is the same
    # outer product, item by item), a text dtype's items of any size.
    "intercept-holding-a-column": Case(
        _linear_regression,
        _set("intercept_", _object_holding(np.ones((16_000, 1)))),
        "intercept_ is of dtype '|O' (every fit makes it numeric)",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "coefficients-holding-columns": Case(
        _linear_regression,
        _coefficients_of_columns,
        "coef_ is of dtype '|O' (every fit makes it numeric)",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "baseline-of-wide-text": Case(
        _hgb_on_two_columns,
        _set("_baseline_prediction", np.zeros((1, 1), dtype="U40000")),
        "an array of items of 160000 bytes",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    # What round 26 found beside the table: a calibrated classifier's
    # members (plain objects), text labels of any width, a bagging model's
    # feature count, and an intercept as long as no coefficient row.
    "calibrated-member-classes": Case(
        _sigmoid_calibration,
        _calibrated_class_count,
        "calibrated members are not of its classes",
        method="predict_proba",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "labels-of-wide-text": Case(
        _logistic,
        _set("classes_", np.array(["a" * 30_000, "b" * 30_000])),
        "an array of items of 120000 bytes",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "isolation-feature-count": Case(
        _small_isolation_forest,
        _set("_max_features", 2**40),
        "feature count is not of its width",
    ),
    "intercept-longer-than-coefficients": Case(
        _ridge_one_row_of_coefficients,
        _set("intercept_", np.zeros(16_000, dtype=np.float16)),
        "coef_ and intercept_ disagree in size (1 and 16000)",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    # Round 27: a keyword mask as nested lists, list members past those the
    # table's fits made, a network wider than its hidden_layer_sizes.
    "keyword-mask-as-lists": Case(
        _sqrt_transformer,
        _where_as_lists,
        "kw_args holds an array of 2000 values along an axis",
        method="transform",
    ),
    "last-class-rotation-wide": Case(
        _qda_five,
        _qda_wide_last_rotation,
        "disagree in size",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 4),
    ),
    "last-feature-probabilities-tall": Case(
        _categorical_nb,
        _set_item("feature_log_prob_", 5, np.zeros((8_000, 2))),
        "feature_log_prob_[] disagree in size",
    ),
    "hidden-layer-wider-than-its-size": Case(
        _network_wide_hidden,
        _widen_second_layer,
        "layers are not its hidden_layer_sizes",
    ),
    "projection-of-no-entries": Case(
        _sparse_projection,
        _projection_of_no_entries,
        "n_components_ is not its n_components",
        method="transform",
    ),
    "components-wider-than-data": Case(
        _nca,
        _set("components_", np.zeros((8_000, 4))),
        "more components than its data's width",
        method="transform",
    ),
    "discriminant-wider-than-data": Case(
        _discriminant_analysis,
        _discriminant_wide,
        "scalings_ is wider than its data",
        method="transform",
    ),
    # Round 28: output widths held to the fit (a target encoder's classes,
    # a discretizer's bins).
    "target-classes-beyond-encodings": Case(
        _target_encoder,
        _many_target_classes,
        "encodings are not one a column",
        method="transform",
    ),
    "bins-beyond-those-asked": Case(
        _binned,
        _many_bins,
        "bins are not the ones it asked for",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 1),
    ),
    "pls-scale-width": Case(
        _pls,
        _set("_x_std", np.ones(7)),
        "disagree in size",
    ),
    "column-names-format-spec": Case(
        _column_transformer,
        _set("verbose_feature_names_out", "{feature_name:>100000000}"),
        "feature name format",
        method="get_feature_names_out",
    ),
    # Round 29: a column position repeated (a copy of the column each
    # time), output widths beyond the count the parameters ask for.
    "bagging-subset-one-column-repeated": Case(
        _bagging_of_two,
        _repeat_first_subset,
        "members' features are not its own",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "missing-indicator-features-repeated": Case(
        _missing_indicator,
        _many_missing_features,
        "feature count is not its width",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "one-vs-one-pairwise-indices": Case(
        _pairwise_one_vs_one,
        _pairwise_indices,
        "pairwise indices are not its training rows",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "column-transformer-column-repeated": Case(
        _column_transformer,
        _column_repeated,
        "column selections are not of its data",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "pca-components-beyond-width": Case(
        _decomposition("PCA"),
        _components_wide,
        "more components than its data's width",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "factor-analysis-components-beyond-width": Case(
        _decomposition("FactorAnalysis"),
        _components_wide,
        "more components than its data's width",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "truncated-svd-components-beyond-count": Case(
        _decomposition("TruncatedSVD"),
        _components_wide,
        "more components than its data's width",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "rbm-hidden-units-beyond-count": Case(
        _decomposition("BernoulliRBM", n_components=4),
        _components_wide,
        "disagree in size",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "rbf-sampler-beyond-count": Case(
        _decomposition("RBFSampler", n_components=10),
        _sampler_wide,
        "disagree in size",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "skewed-sampler-beyond-count": Case(
        _decomposition("SkewedChi2Sampler", n_components=10),
        _sampler_wide,
        "disagree in size",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "pls-rotations-beyond-count": Case(
        _pls,
        _rotations_wide,
        "more components than its data's width",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    # Round 30: an argument as wide as the file likes, broadcast against one
    # column of 30,000 rows; PLSSVD's weights past the data's width.
    "function-argument-mask-wide": Case(
        _exp_of_one_column,
        _set("kw_args", {"where": np.ones((1, WIDE), dtype=bool)}),
        "an array of 20000 values along an axis (at most 8)",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 1),
    ),
    "function-argument-list-wide": Case(
        _exp_of_one_column,
        _set("kw_args", {"where": [[True] * WIDE]}),
        "an array of 20000 values along an axis",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 1),
    ),
    "kernel-parameter-wide": Case(
        _nystroem_laplacian,
        _set("kernel_params", {"gamma": np.ones((1, WIDE), dtype=np.int8)}),
        "an array of 20000 values along an axis",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 1),
    ),
    "plssvd-weights-beyond-width": Case(
        _plssvd,
        _set("x_weights_", np.zeros((3, WIDE))),
        "more components than its data's width",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    # Round 31.
    "one-vs-rest-members-beyond-classes": Case(
        _three_class_meta("OneVsRestClassifier"),
        _copied_members(4_000),
        "with 4000 members for 3 classes",
    ),
    "one-vs-one-members-beyond-pairs": Case(
        _three_class_meta("OneVsOneClassifier"),
        _copied_members(4_000),
        "with 4000 members for 3 classes",
    ),
    "output-code-members-beyond-code-book": Case(
        _three_class_meta("OutputCodeClassifier"),
        _copied_members(4_000),
        "with 4000 members for 3 classes",
    ),
    "output-code-constant-of-many-values": Case(
        _three_class_meta("OutputCodeClassifier"),
        _long_constant,
        "constant is not one value",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "network-output-layer-wide": Case(
        _small_network,
        _network_output,
        "output layer is not its outputs",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "network-layer-referred-to-over-padding": Case(
        _small_network,
        _padded_layers,
        # the list rule (round 51: any array twice) comes before the layers'
        "holds one estimator, step or array more than once",
    ),
    "forest-members-beyond-n-estimators": Case(
        _forest_of_three,
        _copied_members(5_000),
        "with 5000 members (its parameters ask for 3)",
    ),
    # Round 32.
    # Round 34.
    "union-weight-an-array": Case(
        _union_of_one_column,
        _set("transformer_weights", {"a": np.zeros((1, WIDE))}),
        "transformer weights are not numbers",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "target-transformer-wider-than-target": Case(
        _target_pca,
        _wide_target_transformer,
        "target transformer is not of one target",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "stacking-final-estimator-of-more-classes": Case(
        _stacking,
        _final_of_many_classes,
        # refused as a member wider than the model (round 57), before the
        # stacking check of the same (final estimator has more classes)
        "members claim classes it does not hold",
    ),
    "chain-order-beyond-members": Case(
        _chain,
        _set("order_", np.zeros(200_000, dtype=np.int64)),
        "order is not of its members",
    ),
    "intercept-as-a-long-list": Case(
        _ridge_one_row_of_coefficients,
        _set("intercept_", [0.0] * WIDE),
        "intercept_ is a list",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "priors-as-a-long-list": Case(
        _one_class_qda,
        _set("priors_", [0.5] * WIDE),
        "priors_ is a list",
    ),
    "rotations-as-lists": Case(
        _cca,
        _rotations_as_lists,
        "x_rotations_ is a list",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    # Round 36.
    "ordinal-missing-code-a-column": Case(
        _ordinal_with_missing,
        _missing_code_a_column,
        "missing values are not among its categories",
        method="transform",
        control="memory",
        control_rows=lambda: RS.randint(0, 3, size=(30_000, 3)).astype(float),
    ),
    "boosting-missing-code-a-column": Case(
        _categorical_boosting,
        _boosting_missing_code_a_column,
        "missing values are not among its categories",
        control="memory",
        control_rows=lambda: RS.randint(0, 3, size=(30_000, 3)).astype(float),
    ),
    "dummy-private-strategy": Case(
        _prior_dummy,
        _private_constant_strategy,
        "strategy is not the one it was fit with",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "voting-network-label-binarizer": Case(
        _hard_voting_with(MLPClassifier(hidden_layer_sizes=(4,), max_iter=30)),
        _voter_store("_label_binarizer"),
        "voters hold labels not its own",
    ),
    "voting-gaussian-process-member": Case(
        _hard_voting_with(GaussianProcessClassifier()),
        _voter_store("base_estimator_"),
        "voters hold labels not its own",
    ),
    "tree-embedding-leaves-beyond-tree": Case(
        _dense_tree_embedding,
        _leaves_beyond_tree,
        "categories are not its leaves",
        method="transform",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    # Round 38.
    "gaussian-process-kernel-not-given": Case(
        _gaussian_regressor,
        _deep_kernel("kernel_"),
        "fitted kernel is not the kernel it was given",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "gaussian-classifier-kernel-not-given": Case(
        _binary_gaussian_classifier,
        _deep_kernel("base_estimator_"),
        "fitted kernel is not the kernel it was given",
    ),
    "stacking-final-estimator-of-another-class": Case(
        _stacking_of_ridge,
        _final_of_another_class,
        "final_estimator_ is not a fit of its final_estimator",
    ),
    "member-of-other-settings": Case(
        _ransac,
        _member_of_other_settings,
        "estimator_ is not a fit of its estimator",
    ),
    "bisecting-leaf-not-its-cluster": Case(
        _bisecting,
        _leaf_off_its_cluster,
        "tree's leaves are not its clusters",
    ),
    # Round 39.
    "bunch-as-a-pipeline-step": Case(
        _scaled_logistic,
        _bunch_as_step,
        "outside an ensemble's named_estimators_",
    ),
    # Round 40.
    "member-settings-of-shared-lists": Case(
        _bagged_constant,
        _settings_of_shared_lists,
        "references to its parts that reach over",
    ),
    "voter-classes-a-nested-list": Case(
        _hard_voting_with(LogisticRegression()),
        _voter_classes_nested,
        "references to its parts that reach over",
    ),
    "voter-outlier-label-beyond-codes": Case(
        _voting_with_radius,
        _far_outlier_label,
        "voters hold labels not its own",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3) + 5,
    ),
    # A list of plain values weighs as many: 4,000 references to one of
    # 80,000 numbers made checks build 2.6 GB from a 286 KB file (round 41).
    "classes-shared-long-lists": Case(
        _tree,
        _set("classes_", [_shared_long_list(4_000, 80_000)]),
        "references to its parts that reach over",
    ),
    "kernel-scale-shared-long-lists": Case(
        _gaussian_process,
        lambda m: setattr(m.kernel_, "length_scale", _shared_long_list(4_000, 80_000)),
        "references to its parts that reach over",
    ),
    # Round 43: a kernel is evaluated once a part a predict; fit clones
    # every part, and its numbers are scalars or one a column.
    # Round 44: one fitted part held in many places by no list twice.
    "outputs-one-forest-in-an-object-array": Case(
        _multi_output_forests,
        _one_forest_many_outputs,
        "array of objects that holds one estimator, step or array more than once",
    ),
    "forest-shells-of-one-tree": Case(
        _forest_of_three, _shells_of_one_tree, "held in more than 2 places"
    ),
    "voters-a-dag-of-two-holders": Case(
        _voting_ridges, _voting_dag, "references to its models that reach them"
    ),
    "pipeline-repeated-step": Case(
        _scaled_logistic,
        _repeated_step,
        "holds one estimator, step or array more than once",
    ),
    # Round 46: parts no fit ever made, repeated: a kernel given as a
    # parameter, a step that keeps nothing.
    "kernel-ridge-kernel-a-dag": Case(
        _kernel_ridge,
        _kernel_parameter_a_dag,
        "references to its estimators and kernels",
    ),
    "svr-callable-kernel-a-dag": Case(
        _svr, _kernel_parameter_a_dag, "references to its estimators and kernels"
    ),
    "pipeline-dag-over-a-stateless-step": Case(
        _stateless_pipeline,
        _pipeline_dag_over_a_stateless_step,
        "references to its estimators and kernels",
        method="transform",
    ),
    # Round 47: the references no method follows are one reference of one
    # class each, not whatever object a name holds.
    "pipeline-dag-steps-as-cv-results": Case(
        _scaled_pipeline,
        _dag_under_a_record_name("cv_results_"),
        "references to its models that reach them",
        method="transform",
    ),
    "pipeline-dag-steps-as-named-estimators": Case(
        _scaled_pipeline,
        _dag_under_a_record_name("named_estimators_"),
        "references to its models that reach them",
        method="transform",
    ),
    "search-best-estimator-a-dag-also-its-cv-results": Case(
        _search_with_scorer,
        _search_best_a_hidden_dag,
        "references to its models that reach them",
    ),
    "voting-named-estimators-held-again": Case(
        _voting_ridges,
        _named_bunch_held_again,
        "named_estimators_ held in another place too",
    ),
    # Round 48: one value of the stream rebuilt under many parts.
    "forest-trees-one-state": Case(
        _deep_forest,
        _trees_one_state,
        "a state another restore copies",
        method="predict",
    ),
    "boosting-predictors-one-nodes-array": Case(
        # counted as each restore copies it (round 125)
        _big_leaf_hgb,
        _predictors_one_nodes_array,
        "past what the real unpickle may copy",
    ),
    "network-layers-over-one-bytes": Case(
        _deep_mlp, _layers_over_one_bytes, "rebuilds over"
    ),
    "encoder-one-category-array-for-every-feature": Case(
        _many_category_encoder,
        _one_category_list_for_every_feature,
        "holds one estimator, step or array more than once",
        method="transform",
    ),
    "discretizer-one-edges-array-for-every-feature": Case(
        _many_bin_discretizer,
        _one_bin_edges_for_every_feature,
        "array of objects that holds one estimator, step or array more than once",
        method="transform",
    ),
    "isotonic-members-one-threshold-pair": Case(
        # counted as each restore copies it (round 125)
        _isotonic_vote,
        _members_one_threshold_pair,
        "past what the real unpickle may copy",
    ),
    "vote-members-one-coef": Case(
        _linear_vote, _members_one_coef, "none of them holding the others"
    ),
    "projections-over-one-matrix": Case(
        _projection_union,
        _projections_over_one_matrix,
        "none of them holding the others",
        method="transform",
    ),
    "vote-members-one-small-coef": Case(
        _small_linear_vote, _members_one_coef, "none of them holding the others"
    ),
    "neighbours-tree-int8-weights": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_weights_of_int8,
        "sample weights that are not float64",
    ),
    "projection-index-behind-a-mask": Case(
        _projection,
        _masked_far_index,
        "masked array outside a search's columns of parameters",
        method="transform",
    ),
    "encoder-one-small-category-array-for-every-feature": Case(
        _small_category_encoder,
        _one_small_category_array,
        "holds one estimator, step or array more than once",
        method="transform",
    ),
    # Since round 70 the members' holder is checked first: a list, as fit
    # makes it (the split outside is refused too when the walk meets it).
    "forest-trees-in-a-list-of-its-own-class": Case(
        _forest_of_three, _trees_in_a_list_of_its_own, "whose members are not a list"
    ),
    "imputer-round-tree-split-outside": Case(
        _tree_imputer,
        _round_tree_outside,
        "point outside it",
        method="transform",
        control_rows=_imputer_missing_rows,
    ),
    "kernel-part-used-twice": Case(
        _gaussian_process, _kernel_shared_part, "fitted kernel uses one part twice"
    ),
    "kernel-number-wider-than-the-data": Case(
        _gp_on_one_row,
        lambda m: setattr(m.kernel_, "sigma_0", np.ones((1, 20_000))),
        "kernel's sigma_0 is not a number or one a column",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 1),
    ),
    "boosting-first-guess-of-other-classes": Case(
        _gb_with_logistic_guess,
        _gb_first_guess_of_many_classes,
        "first guess has other classes",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "isotonic-thresholds-of-one-input": Case(
        _isotonic,
        _isotonic_one_input_many_outputs,
        "thresholds do not increase",
    ),
    # An iterative imputer copies the columns a round names for every row
    # missing its column: one column named 100,000 times is 24 GB at 30,000.
    "imputer-round-of-repeated-columns": Case(
        _iterative_imputer,
        _imputer_rounds(lambda s: (1, np.zeros(100_000, dtype=np.intp), s[2])),
        "imputes from columns outside its data",
        method="transform",
        control="memory",
        control_rows=_imputer_missing_rows,
    ),
    "imputer-round-outside-the-columns": Case(
        _iterative_imputer,
        _imputer_rounds(lambda s: (10**6, s[1], s[2])),
        "imputes a column outside its data",
        method="transform",
    ),
    "imputer-rounds-beyond-its-iterations": Case(
        _iterative_imputer,
        _imputer_more_rounds,
        "rounds are not its iterations over its data",
        method="transform",
    ),
    "dtype-of-sub-arrays": Case(
        _imputer_keeping_empty,
        _set("_fill_dtype", np.dtype(("f8", (20_000,)))),
        "a dtype of sub-arrays",
        method="transform",
    ),
    "tree-values-wider-than-its-classes": Case(
        _tree_model,
        lambda m: _one_leaf_of_classes(m, 40_000),
        "tree whose classes are not its estimator's",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 3),
    ),
    "forest-member-of-other-classes": Case(
        _forest,
        _forest_member_of_many_classes,
        "members claim classes it does not hold",
        method="predict_proba",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "kd-tree-leaves-claiming-every-row": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_state(_leaves_claiming_every_row),
        "not its data halved level by level",
        control="unchecked",
    ),
    "ball-tree-leaves-claiming-every-row": Case(
        _kernel_density,
        _tree_state(_leaves_claiming_every_row),
        "not its data halved level by level",
        method="score_samples",
        control="unchecked",
    ),
    "hist-gradient-boosting-saved-in-its-fit": Case(
        _hgb_regressor,
        _set("_in_fit", True),
        "saved in the middle of its fit",
        control="unchecked",
        # Taken as bins, unchecked: one column for a model of two.
        control_rows=lambda: np.zeros((1_000, 1), dtype=np.uint8),
    ),
    "kd-tree-leaf-size-zero": Case(
        _kernel_density,
        _tree_state(_leaf_size_zero),
        "leaf size is not its",
        method="score_samples",
        control="crash",
    ),
    "kd-tree-weights-not-weights": Case(
        _density_with_weights,
        _tree_state(_nan_weights),
        "sample weights are not weights",
        method="score_samples",
    ),
    "decision-tree-deeper-than-max-depth": Case(
        _shallow_tree, _chained(400), "decision tree deeper than its max_depth"
    ),
    "decision-tree-more-leaves-than-max-leaf-nodes": Case(
        _few_leaves_tree, _chained(20), "more leaves than its max_leaf_nodes"
    ),
    "forest-trees-freed-of-its-max-depth": Case(
        _shallow_forest,
        _chained(400, unlimited=True),
        "trees are not held to its max_depth",
    ),
    "isolation-forest-trees-freed-of-their-depth": Case(
        _isolation_forest_of_300_rows,
        _chained(400, unlimited=True),
        "trees are not held to its max_depth",
        method="score_samples",
    ),
    "adaboost-stumps-freed-of-their-depth": Case(
        _stumps,
        _chained(400, unlimited=True),
        "trees are not held to its max_depth",
    ),
    "hist-gradient-boosting-tree-past-max-leaf-nodes": Case(
        _hgb_regressor,
        _hgb_nodes(_hgb_chain),
        "larger than its max_leaf_nodes or max_depth",
    ),
    "hist-gradient-boosting-node-of-two-parents": Case(
        _hgb_regressor,
        _hgb_nodes(_hgb_both_branches_one_node),
        "nodes have more than one parent",
    ),
    "hist-gradient-boosting-depths-not-levels": Case(
        _hgb_regressor,
        _hgb_nodes(_hgb_depths_off),
        "depths are not their levels",
    ),
    # Rows a method computes against, None: scikit-learn reads it as the
    # caller's rows, a kernel of X against X (round 98: 6.7 GiB asked of a
    # 30,000-row predict from a 4.5 KB file).
    "kernel-pca-inverse-of-other-width": Case(
        _kernel_pca_inverse,
        _inverse_of_one_wide_row,
        "inverse transform is not of its training rows",
        method="inverse_transform",
        control="memory",
        control_rows=lambda: np.ones((60_000, 2)),
    ),
    "svm-callable-kernel-rows-none": Case(
        _svc_callable_kernel,
        lambda model: model.__dict__.update(_BaseLibSVM__Xfit=None),
        "kernel's rows are not its data",
        control="memory",
        control_rows=lambda: np.ones((60_000, 3)),
    ),
    "kernel-ridge-training-rows-none": Case(
        _kernel_ridge,
        _set("X_fit_", None),
        "X_fit_ is None",
        control="memory",
        control_rows=lambda: np.ones((60_000, 2)),
    ),
    "kernel-pca-training-rows-none": Case(
        _kernel_pca_rbf,
        _set("X_fit_", None),
        "X_fit_ is None",
        method="transform",
        control="memory",
        control_rows=lambda: np.ones((60_000, 3)),
    ),
    "nystroem-components-none": Case(
        _nystroem,
        _set("components_", None),
        "components_ is None",
        method="transform",
        control="memory",
        control_rows=lambda: np.ones((60_000, 3)),
    ),
    "gaussian-process-training-rows-none": Case(
        _gaussian_process,
        _set("X_train_", None),
        "X_train_ is None",
        control="memory",
        control_rows=lambda: np.ones((60_000, 2)),
    ),
    "nystroem-more-components-than-asked": Case(
        _nystroem,
        _more_components,
        "more components than its n_components",
        method="transform",
    ),
    "self-training-classes-not-its-estimators": Case(
        _self_training,
        _set("classes_", np.arange(40_000)),
        "classes are not its estimator's",
    ),
    "gaussian-process-matern-nu-changed": Case(
        _matern_process, _nu_changed, "fitted kernel is not the kernel it was given"
    ),
    "kd-tree-bounds-wider-than-rows": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_state(_bounds_widened),
        "bounds are not their rows'",
    ),
    "ball-tree-radius-wider-than-rows": Case(
        _kernel_density,
        _tree_state(_radius_widened),
        "bounds are not their rows'",
        method="score_samples",
    ),
    "ball-tree-centre-off-its-rows": Case(
        _kernel_density,
        _tree_state(_centre_moved),
        "bounds are not their rows'",
        method="score_samples",
    ),
    "kd-tree-order-of-one-row": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_state(_order_of_one_row),
        "order does not hold each row once",
    ),
    "kd-tree-rows-not-split-where-they-spread": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_state(_order_shuffled),
        "do not split their rows where they spread",
    ),
    "neighbours-brute-said-tree-run": Case(
        _brute_knn_of_2000_rows,
        _search_swapped("kd_tree", leaf_size=1),
        "search is not its algorithm",
    ),
    "neighbours-brute-holding-a-tree": Case(
        _brute_knn_of_2000_rows,
        lambda model: setattr(model, "_tree", _search_tree(model)),
        "tree is not its search's",
    ),
    "neighbours-tree-of-another-leaf-size": Case(
        _kd_tree_knn_of_2000_rows,
        _search_swapped("kd_tree", leaf_size=1),
        "tree's leaf size is not its leaf_size",
    ),
    "neighbours-auto-tree-over-20-columns": Case(
        _auto_knn_of_20_columns,
        _search_swapped("kd_tree"),
        "searching a tree where fit searches all rows",
    ),
    "neighbours-kd-tree-of-other-rows": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_of_one_row_repeated,
        "tree is not its fitted data",
    ),
    "neighbours-ball-tree-of-other-rows": Case(
        _ball_tree_knn_of_2000_rows,
        _tree_of_one_row_repeated,
        "tree is not its fitted data",
    ),
    "label-spreading-tree-of-other-rows": Case(
        _label_spreading_knn_tree,
        lambda model: _tree_of_one_row_repeated(model.nn_fit),
        "tree is not its fitted data",
    ),
    "label-spreading-neighbours-of-other-rows": Case(
        _label_spreading_knn,
        _neighbours_of_other_rows,
        "neighbours are of other data",
    ),
    "kernel-density-tree-of-another-leaf-size": Case(
        _kernel_density,
        _density_tree_swapped("ball_tree", 1),
        "tree's leaf size is not its leaf_size",
        method="score_samples",
    ),
    "kernel-density-tree-not-its-algorithm": Case(
        _kernel_density,
        _density_tree_swapped("kd_tree", 40),
        "tree is not its algorithm's",
        method="score_samples",
    ),
    "one-hot-object-numbers-out-of-order": Case(
        _object_numbers_encoder,
        _categories_reversed,
        "categories are not in order",
        method="transform",
    ),
    "target-encoder-categories-out-of-order": Case(
        # (round 169: read by np.searchsorted, as a one-hot encoder's are;
        # transform raised numpy's IndexError, or encoded another category)
        _multiclass_target_encoder,
        _categories_reversed,
        "categories are not in order",
        method="transform",
    ),
    "one-hot-nan-among-numbers": Case(
        # (round 170: NaN is kept last; one before numbers was set aside and
        # the rest judged in order)
        _one_hot_with_nan,
        _nan_among_numbers,
        "categories are not in order",
        method="transform",
    ),
    "target-encoder-encoding-not-a-category": Case(
        _multiclass_target_encoder,
        _short_encoding,
        "encodings are not one a category",
        method="transform",
    ),
    "kd-tree-bounds-of-one-point": Case(
        _radius_knn,
        _tree_state(_bounds_one_point),
        "bounds are not their rows'",
        control="memory",
        # every row within its radius of 0.5: each returns all 12,000
        control_rows=lambda: np.full((30_000, 2), 0.5),
    ),
    "vote-member-of-other-classes": Case(
        _soft_vote_of_trees,
        _member_of_many_classes,
        "members claim classes it does not hold",
        method="predict_proba",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "imputer-round-of-a-classifier": Case(
        _tree_imputer,
        _round_of_a_classifier,
        "rounds' models are not its estimator",
        method="transform",
    ),
    "rest-over-bagging-deciding-two-columns": Case(
        _binary_rest_over_bagging,
        _bagged_rest_of_two_members,
        "member decides more than one column",
        control="crash",
        control_rows=lambda: RS.rand(30_000, 2),
        # Row numbers past the one-column matrix: its inverse transform reads
        # outside the arrays; where it does not fault, it meets whatever
        # "row" lies beyond them (4294967298 on a CI machine, 2 here).
        raised_after=r"IndexError index \d+ is out of bounds",
    ),
    "bagged-linear-member-of-many-outputs": Case(
        _bagged_linear,
        _rows_of_outputs,
        "members predict different outputs",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "bagged-neighbours-member-of-many-label-columns": Case(
        _bagged_neighbours,
        _label_columns,
        "members predict different outputs",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "target-regressor-of-many-outputs": Case(
        _target_regressor,
        _regressor_of_outputs,
        "members claim outputs it does not have",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "column-transformer-name-fields-repeated": Case(
        _nested_column_transformers,
        _repeated_name_fields,
        "each at most once",
        method="get_feature_names_out",
        control="memory",
        control_rows=lambda: None,
    ),
    "column-transformer-name-of-1000-characters": Case(
        _scaled_columns,
        _long_transformer_name,
        "transformers names are longer than 256",
        method="transform",
    ),
    "dict-vectorizer-separator-of-1000-characters": Case(
        _dict_vectorizer,
        _long_separator,
        "separator is longer than 256",
        method="transform",
    ),
    "pipeline-memory-folder": Case(
        _pipeline,
        # A refit caches its steps there and reads back what it finds.
        _set("memory", "shared-cache"),
        "memory is a cache folder the file names",
    ),
    "dummy-label-of-100000-characters": Case(
        _text_labels,
        _label_of_text(100_000),
        "a text of 100000 characters",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "dummy-label-of-20000-numbers": Case(
        _text_labels,
        _label_of_numbers,
        "classes_ holds values no data has",
        control="memory",
        control_rows=lambda: RS.rand(30_000, 2),
    ),
    "encoder-categories-one-text-10000-times": Case(
        _text_encoder,
        _one_text_many_times,
        "categories_ holds a value twice",
        method="transform",
    ),
    "vectorizer-key-of-a-million-characters": Case(
        _count_vectorizer,
        _key_of_a_million_characters,
        "a text of 1000000 characters",
        method="inverse_transform",
        control="memory",
        control_rows=lambda: sp.csr_matrix((1, 1_000)),
    ),
    "bagging-draw-count-of-4e8": Case(
        _bagged_trees,
        _set("_max_samples", 400_000_000),
        "draw count is not its rows'",
    ),
    "forest-draw-count-of-4e8": Case(
        _forest,
        _set("_n_samples_bootstrap", 400_000_000),
        "draw count is not its rows'",
    ),
    "unions-nested-six-deep-of-long-names": Case(
        _unions_of_long_names,
        lambda model: None,  # each name is short enough; the six are not
        "carry more than 256 characters of its members' names",
        method="transform",
    ),
    "sgd-averaging-state-of-one-value": Case(
        _averaged_sgd,
        _one_averaged_coefficient,
        "_standard_coef is not of its coefficients' size",
    ),
    "bagging-seeds-for-400000-draws": Case(
        _bagged_trees,
        _seeds_for_many_draws,
        "more seeds than members",
    ),
    "network-moments-of-another-shape": Case(
        lambda: INTACT["MLPClassifier-adam"],
        _moments_of_another_shape,
        "optimizer's ms are not its weights'",
    ),
    "vectorizer-keys-sharing-one-hash": Case(
        _count_vectorizer,
        _keys_sharing_one_hash,
        "integer of more than 64 bits",
    ),
    "encoder-categories-sharing-one-hash": Case(
        _integer_encoder,
        _categories_sharing_one_hash,
        "categories_ holds values no data has",
        method="transform",
    ),
    "birch-leaves-in-a-ring": Case(
        _birch_of_two_columns,
        _leaves_in_a_ring,
        "leaves are not one list",
    ),
    "birch-a-chain-above-its-root": Case(
        _birch_of_two_columns, _birch_chain, "a Birch tree taller than"
    ),
    "birch-leaves-outside-its-tree": Case(
        _birch_of_two_columns,
        _leaves_outside_the_tree(bare=False),
        "list of leaves is not its tree's leaves",
    ),
    "birch-bare-nodes-among-its-leaves": Case(
        _birch_of_two_columns,
        _leaves_outside_the_tree(bare=True),
        "list of leaves is not its tree's leaves",
    ),
    "search-grid-of-one-array-in-many-dicts": Case(
        _search_with_scorer,
        _one_array_in_many_grids,
        "dtypes or random generators referred to over and over",
    ),
    "search-grid-of-one-masked-array-in-many-dicts": Case(
        _search_with_scorer,
        _one_masked_array_in_many_grids,
        "masked column of parameters held elsewhere too",
    ),
    "search-grid-of-small-arrays-under-many-dicts": Case(
        _search_with_scorer,
        _small_arrays_under_many_grids,
        "dtypes or random generators referred to over and over",
    ),
    "search-grid-of-one-record-dtype-in-many-dicts": Case(
        _search_with_scorer,
        _one_record_dtype_in_many_grids,
        "dtypes or random generators referred to over and over",
    ),
    "search-grid-of-one-random-state-listed-over-and-over": Case(
        _search_with_scorer,
        _one_random_state_listed_over_and_over,
        "or random generators referred to over and over",
    ),
    "search-grid-of-one-generator-in-many-dicts": Case(
        _search_with_scorer,
        _one_generator_in_many_grids,
        "or random generators referred to over and over",
    ),
    "random-state-of-much-entropy": Case(
        _logistic, _random_state_of_much_entropy, "a random seed of 1,000 entropy"
    ),
    "generator-of-a-long-spawn-key": Case(
        _search_with_scorer,
        _generator_of_a_long_spawn_key,
        "a random seed of 1,000 spawn key",
    ),
    "random-state-seeded-by-an-object-pool": Case(
        _logistic, _random_state_of_an_object_pool, "a random seed whose pool is not"
    ),
    "random-state-spawned-near-its-limit": Case(
        _logistic, _random_state_spawned_near_its_limit, "a random seed that spawned"
    ),
    "search-masked-column-as-fitted-rows": Case(
        _search_of_neighbours,
        _masked_column_as_fitted_rows,
        "masked column of parameters held elsewhere too",
    ),
    "scorer-request-owned-by-shared-lists": Case(
        _search_of_a_routed_scorer,
        _scorer_request_owned_by_shared_lists,
        "reach over 8 times the parts themselves",
    ),
    "function-transformer-where-without-out": Case(
        _sqrt_transformer,
        _where_without_out,
        "where= argument, which leaves the output unset",
    ),
    "function-transformer-clip-where-without-out": Case(
        _clip_where_without_out,
        lambda model: model.kw_args.update(where=np.array([1, 0, 1, 1], bool)),
        "where= argument, which leaves the output unset",
    ),
    "scorer-keywords-of-one-slice-over-and-over": Case(
        _search_with_scorer,
        _scorer_keywords_of_one_slice,
        "references to objects it holds already",
    ),
    "class-weights-of-other-classes": Case(
        _logistic,
        _weights_of_other_classes,
        "class_weight is not a number a class of its own",
    ),
    "class-weights-of-lists": Case(
        _logistic,
        _weights_of_lists,
        "class_weight is not a number a class of its own",
    ),
    "parameter-of-one-text-over-and-over": Case(
        _count_vectorizer,
        _stop_words_over_and_over,
        "parameters hold over 524,288 values",
        method="transform",
    ),
    "ridge-alphas-of-one-long-text-over-and-over": Case(
        _ridge_cv_in_pipelines(3),
        _alphas_of_one_long_text,
        "times as long as a display of what the file wrote of it",
    ),
    "ridge-alphas-nine-pipelines-deep": Case(
        _ridge_cv_in_pipelines(9),
        _alphas_nine_pipelines_deep,
        "whose display would take about 20 s or more",
    ),
    "ridge-alphas-of-escaped-bytes-two-pipelines-deep": Case(
        _ridge_cv_in_pipelines(2),
        _alphas_of_escaped_bytes,
        "whose display would take about 20 s or more",
    ),
    "ridge-alphas-of-raw-bytes-two-pipelines-deep": Case(
        _ridge_cv_in_pipelines(2),
        _alphas_of_raw_bytes,
        "whose display would take about 20 s or more",
    ),
    "ridge-alphas-of-a-row-of-escaped-texts": Case(
        _ridge_cv_in_pipelines(3),
        _alphas_of_a_row_of_texts,
        "whose display would take about 20 s or more",
    ),
    "search-grid-of-a-million-candidates": Case(
        _search_with_scorer,
        _grid_of_a_million_candidates,
        "candidates, more than its results record",
    ),
    "search-cv-of-a-hundred-thousand-shuffles": Case(
        _search_with_scorer,
        _cv_of(lambda: ShuffleSplit(n_splits=100_000)),
        "whose cv makes 100,000 splits, more than its fit recorded (2)",
    ),
    "search-cv-of-leave-three-out": Case(
        _search_with_scorer,
        _cv_of(lambda: LeavePOut(3)),
        "whose cv is a LeavePOut of more than pairs",
    ),
    "search-cv-leaving-pairs-out-beside-two-recorded-splits": Case(
        _search_with_scorer,
        _cv_of(lambda: LeavePOut(2)),
        # wrapped by wrap(): the envelope does not say on how many rows
        "whose cv leaves out pairs of rows, with no record of its rows",
    ),
    "ridge-cv-of-twenty-thousand-shuffles": Case(
        _ridge_cv_of_three_folds,
        _cv_of(lambda: ShuffleSplit(n_splits=20_000)),
        "(at most 100 where a fit records none)",
    ),
    "elastic-net-cv-of-thirty-thousand-repeated-folds": Case(
        _elastic_net_cv_of_three_folds,
        _cv_of(lambda: RepeatedKFold(n_splits=3, n_repeats=10_000)),
        "whose cv makes 30,000 splits, more than its fit recorded (3)",
    ),
    "logistic-regression-cv-path-of-a-hundred-thousand-cs": Case(
        _logistic_regression_cv_of_three_cs,
        _path_of(Cs=100_000),
        "whose parameter Cs and Cs_ disagree in size (100000 and 3)",
    ),
    "lasso-cv-path-of-a-million-alphas": Case(
        _lasso_cv_of_five_alphas,
        _path_of(alphas=1_000_000),
        "whose parameter alphas and alphas_ disagree in size (1000000 and 5)",
    ),
    "forest-of-ten-trees-asking-for-twenty-thousand": Case(
        _forest_of_ten_trees,
        _asking_for_trees(20_000),
        "that asks a fit for 20,000 members where its fit made 10",
    ),
    "adaboost-of-ten-stumps-asking-for-twenty-thousand": Case(
        _adaboost_of_ten_stumps,
        _asking_for_trees(20_000),
        "that asks a fit for 20,000 members where its fit made 10",
    ),
    "spline-of-five-knots-asking-for-twelve-thousand": Case(
        _spline_of_five_knots,
        _asking_for_knots,
        "whose n_knots asks a fit for more than the 11 knots its fit made",
        method="transform",
    ),
    "randomized-pca-of-twenty-thousand-random-vectors": Case(
        _randomized_pca,
        _oversampled,
        "whose n_oversamples asks a fit for more than 39 random vectors",
        method="transform",
    ),
    "search-grid-of-options-written-as-bytes": Case(
        _grid_search_of_three_alphas,
        _grid_of_bytes,
        "whose grid makes 1,002,001 candidates, more than its results record",
    ),
    "halving-over-trees-asking-for-a-million": Case(
        _halving_over_trees,
        _max_resources(10**6),
        "whose max_resources is not what its fit recorded",
    ),
    "encoder-categories-of-600-thousand-nones": Case(
        _one_hot,
        _categories_of_nones,
        "values in lists, tuples, sets, dicts and arrays of objects",
        method="transform",
    ),
    "search-grid-of-one-record-dtype-over-and-over": Case(
        _search_with_scorer,
        _grid_of_one_record_dtype,
        "times as long as a display of what the file wrote of it",
    ),
    "gaussian-process-kernel-of-a-million-length-scales": Case(
        _gaussian_regressor,
        _kernel_of_a_million_length_scales,
        "more than two a column of the widest data",
    ),
    "search-splitter-of-600-thousand-nones": Case(
        _search_with_scorer,
        _splitter_of_nones,
        "values in lists, tuples, sets, dicts and arrays of objects",
    ),
    "imputer-fill-value-an-array-of-a-list": Case(
        _imputer_keeping_empty,
        _fill_value_holding(_one_object),
        "values in lists, tuples, sets, dicts and arrays of objects",
        method="transform",
    ),
    "imputer-fill-value-a-slice-of-a-list": Case(
        _imputer_keeping_empty,
        _fill_value_holding(slice),
        "values in lists, tuples, sets, dicts and arrays of objects",
        method="transform",
    ),
    "encoder-categories-of-one-wide-text-over-and-over": Case(
        _one_hot,
        _categories_of_one_wide_text,
        "times as long as a display of what the file wrote of it",
        method="transform",
    ),
    "search-scores-masked": Case(
        _search_with_scorer,
        _scores_masked,
        "masked array outside a search's columns of parameters",
    ),
    "birch-nodes-wider-than-its-branching-factor": Case(
        _birch_of_two_columns,
        _birch_wider_than_its_branching,
        "wider than its branching factor",
    ),
    # Round 61: hash flooding through keys other than big integers; a
    # neighbours model's metric apart from its parameter; a private count.
    "extra-keys-pairs-of-one-hash": Case(
        _logistic, _pairs_sharing_one_hash, "is a tuple or a frozenset"
    ),
    "extra-keys-frozensets": Case(
        _logistic, _frozensets_as_keys, "is a tuple or a frozenset"
    ),
    "extra-keys-complex-scalars": Case(
        _logistic, _complex_scalars_as_keys, "a complex128 scalar"
    ),
    "extra-set-of-complex-scalars": Case(
        _logistic, _complex_scalars_in_a_set, "a complex128 scalar"
    ),
    "extra-keys-objects-the-stream-builds": Case(
        _logistic,
        lambda m: setattr(m, "extra_", {Ridge(alpha=k): k for k in range(3)}),
        "keys a dict or set by an object of sklearn.linear_model._ridge.Ridge",
    ),
    "encoder-complex-categories": Case(
        _integer_encoder,
        _complex_categories,
        "a complex128 scalar",
        method="transform",
    ),
    "neighbors-metric-a-python-function": Case(
        _brute_classifier,
        _python_function_as_metric,
        "effective metric is not its metric parameters'",
    ),
    # Round 62: floats past the double as keys and labels; a linkage tree's
    # node; NMF's copy of its loss.
    "extra-keys-past-the-double": Case(
        _logistic,
        lambda m: setattr(m, "extra_", dict.fromkeys(_past_the_double(50), 0)),
        "float128 scalar",
    ),
    "vectorizer-stop-words-past-the-double": Case(
        _count_vectorizer,
        _set("stop_words", _past_the_double(50)),
        "float128 scalar",
        method="transform",
    ),
    "vectorizer-stop-words-pairs": Case(
        _count_vectorizer,
        _set("stop_words", [(k, -k) for k in range(50)]),
        "stop words are not a list of words",
        method="transform",
    ),
    "multilabel-classes-past-the-double": Case(
        _multilabel,
        lambda m: setattr(m, "classes_", np.array(_past_the_double(3))),
        "float128 numbers, wider than 64-bit floats",
        method="transform",
    ),
    "hdbscan-linkage-node-far-away": Case(
        _hdbscan,
        _linkage_node_far_away,
        "single-linkage tree is not one fit builds",
        method="dbscan_clustering",
        control="crash",
        control_rows=lambda: 0.5,  # the cut distance
    ),
    "minibatch-nmf-loss-behind-parameters": Case(
        _minibatch_nmf,
        _frobenius_run_as_half,
        "_beta_loss is not its beta_loss",
        method="transform",
    ),
    "isomap-graph-asking-more": Case(
        _isomap,
        lambda m: setattr(m.nbrs_, "n_neighbors", 60),
        "nbrs_ is not what its parameters build",
        method="transform",
    ),
    "spreading-graph-of-another-metric": Case(
        _spreading,
        lambda m: setattr(m.nn_fit, "metric", "chebyshev"),
        "nn_fit is not what its parameters build",
    ),
    "trees-embedding-dense-encoder": Case(
        _trees_embedding,
        _dense_after_all("one_hot_encoder_"),
        "one_hot_encoder_ is not what its parameters build",
        method="transform",
    ),
    "bins-dense-encoder": Case(
        _onehot_bins,
        _dense_after_all("_encoder"),
        "_encoder is not what its parameters build",
        method="transform",
    ),
    "gp-classifier-kernels-behind-parameter": Case(
        _binary_gp_classifier,
        _kernels_behind_the_parameter,
        "base_estimator_ is not what its parameters build",
        method="predict_proba",
    ),
    "calibrated-member-of-another-estimator": Case(
        _sigmoid_calibration,
        _neighbours_member,
        "members are not of its estimator",
    ),
    "column-transformer-fitted-of-higher-degree": Case(
        _polynomial_column_transformer,
        _higher_degree_fitted,
        "fitted transformer 'poly' is not a fit of its parameter",
        method="transform",
    ),
    "search-best-parameters-outside-the-grid": Case(
        _neighbours_search,
        _metric_among_the_best,
        "best parameters are not a candidate it searched",
    ),
    "search-best-estimator-apart-from-its-parameters": Case(
        _neighbours_search,
        # the other value the grid offers: 5 for 3, 3 for 5
        lambda m: setattr(
            m.best_estimator_, "n_neighbors", 8 - m.best_params_["n_neighbors"]
        ),
        "best_estimator_ is not a fit of its estimator",
    ),
    "search-scorer-apart-from-scoring": Case(
        _neighbours_search,
        _slow_metric_scorer,
        "scorer_ is not what its scoring makes",
    ),
    "power-transformer-scaler-swapped": Case(
        _power_transformer,
        _part_swapped("_scaler"),
        "_scaler is not what its parameters build",
        method="transform",
    ),
    "kernel-pca-centerer-swapped": Case(
        _kernel_pca_rbf,
        _part_swapped("_centerer"),
        "_centerer is not what its parameters build",
        method="transform",
    ),
    "imputer-indicator-swapped": Case(
        _imputer_with_indicator,
        _part_swapped("indicator_"),
        "indicator_ is not what its parameters build",
        method="transform",
    ),
    "isomap-kernel-pca-swapped": Case(
        _isomap,
        _part_swapped("kernel_pca_", 2),
        "kernel_pca_ is not what its parameters build",
        method="transform",
    ),
    "target-transformer-swapped": Case(
        _target_scaled,
        _part_swapped("transformer_"),
        "transformer_ is not a fit of its transformer",
    ),
    "minibatch-nmf-iterations-behind-parameters": Case(
        _minibatch_nmf,
        _transform_iterations_behind_their_parameters,
        "_transform_max_iter is not what its transform_max_iter",
        method="transform",
    ),
    "imputer-rounds-asking-every-row": Case(
        _rounds_of_neighbours,
        _rounds_asking_every_row,
        "rounds are not fits of its estimator",
        method="transform",
    ),
    "search-best-pipeline-step-apart": Case(
        _pipeline_search,
        _best_step_of_another_metric,
        "best_estimator_ is not a fit of its estimator",
    ),
    "vote-one-member-where-two-were-named": Case(
        _vote_of_two,
        _one_member_left,
        "estimators_ are not one fit of each of its estimators",
    ),
    "stack-one-member-where-two-were-named": Case(
        _stack_of_two,
        _one_member_left,
        "estimators_ are not one fit of each of its estimators",
    ),
    "vote-named-member-apart": Case(
        _vote_of_two,
        _named_member_apart,
        "named_estimators_ are not its members",
    ),
    "boosting-first-guess-swapped": Case(
        _boosting_from_a_guess,
        _first_guess_of_neighbours,
        "init_ is a KNeighborsRegressor, not the DummyRegressor",
    ),
    "boosting-first-guess-of-no-outputs": Case(
        _boosting_from_a_guess, _first_guess_of_no_outputs, "DummyRegressor"
    ),
    "boosting-zero-guess-swapped": Case(
        _gbr,
        _first_guess_of_neighbours,
        "init_ is not its init 'zero'",
    ),
    "forest-member-of-neighbours": Case(
        _small_forest,
        _forest_member_of_neighbours,
        "trees are not all DecisionTreeRegressors",
    ),
    "hist-boosting-preprocessor-apart": Case(
        _categories_boosting,
        _preprocessor_of_another_check,
        "_preprocessor is not what fit builds",
    ),
    "hist-boosting-bins-apart": Case(
        _categories_boosting,
        lambda m: setattr(m._bin_mapper, "n_bins", 7),
        "_bin_mapper is not what its parameters build",
    ),
    "estimator-in-a-private-attribute": Case(
        _small_forest,
        _private_neighbours,
        "holding an estimator in '_helper'",
    ),
    "column-transformer-remainder-apart": Case(
        _scaler_remainder,
        _remainder_of_higher_degree,
        "_remainder is not its remainder",
        method="transform",
    ),
    "calibrators-other-than-the-method-fits": Case(
        _calibrated_sigmoid,
        _calibrators_of_neighbours,
        "calibrators are not what its method fits",
        method="predict_proba",
    ),
    "calibrated-members-of-another-method": Case(
        _calibrated_sigmoid,
        _members_of_another_method,
        "members do not calibrate by its method",
        method="predict_proba",
    ),
    **{
        f"column-transformer-{what}-swapped": Case(
            _strings_column_transformer,
            _string_entry_of_neighbours(index),
            f"fitted transformer {name!r} is not a fit of its parameter",
            method="transform",
        )
        for what, index, name in (
            ("passthrough", 0, "p"),
            ("drop", 1, "d"),
            ("remainder-passthrough", 3, "remainder"),
        )
    },
    "hist-boosting-more-iterations-than-max-iter": Case(
        _hist_boosting,
        _more_iterations_than_asked,
        "with 15 members (its max_iter asks for 5)",
    ),
    "calibrated-more-members-than-cv-splits": Case(
        _calibrated_sigmoid,
        _more_calibrated_members,
        "with 9 members (its cv asks for 3)",
        method="predict_proba",
    ),
    "imputer-more-iterations-than-max-iter": Case(
        _rounds_of_neighbours,
        _more_imputer_iterations,
        "rounds are not its iterations over its data",
        method="transform",
    ),
    "calibrated-more-members-than-listed-splits": Case(
        _calibrated_on_one_split,
        _more_calibrated_members,
        "with 3 members (its cv asks for 1)",
        method="predict_proba",
    ),
    "hist-boosting-regressor-of-many-outputs": Case(
        _hist_boosting,
        _regression_boosting_of_many_outputs,
        "gradient boosting regressor of more than one output",
    ),
    "gaussian-one-vs-rest-of-more-classes": Case(
        _gaussian_classes_of_three,
        _more_one_vs_rest_classes,
        "base_estimator_ is not what fit builds",
    ),
    **{
        f"target-regressor-of-one-target-over-{kind}": Case(
            _target_regressor_of(regressor),
            _one_target_of_many_outputs,
            "whose members claim outputs it does not have",
        )
        for kind, regressor in (
            ("multi-output", MultiOutputRegressor(Ridge())),
            ("chain", RegressorChain(Ridge())),
        )
    },
    "voting-regressor-member-of-many-outputs": Case(
        _voting_of_ridge,
        _voter_of_many_outputs,
        "whose members claim outputs it does not have",
    ),
    "sparse-projection-one-cell-repeated": Case(
        _projection_of_ten_columns,
        _one_cell_repeated("components_"),
        "storing more entries than its shape has cells",
        method="transform",
    ),
    "target-regressor-of-one-column-over-more-members": Case(
        _target_regressor_of(MultiOutputRegressor(Ridge()), 1),
        _members_beyond_one_column,
        "whose members claim outputs it does not have",
    ),
    "target-regressor-dimensions-edited": Case(
        _target_of_one_dimension,
        _target_dimensions_edited,
        "whose members claim outputs it does not have",
    ),
    "target-regressor-dimensions-not-recorded": Case(
        _target_of_one_dimension,
        lambda m: setattr(m, "_training_dim", 3),
        "whose target's dimensions are not what fit records",
    ),
    "pca-without-its-width": Case(
        _pca_of_three_columns,
        lambda m: delattr(m, "n_features_in_"),
        "without the n_features_in_ every fit records",
        method="transform",
    ),
    "multi-output-trees-of-numpy-output-counts": Case(
        _multi_output_trees,
        _trees_of_numpy_outputs,
        "whose members claim outputs it does not have",
    ),
    "target-regressor-over-a-tuple-of-members": Case(
        _target_regressor_of(MultiOutputRegressor(Ridge())),
        _members_as_a_tuple,
        "whose members claim outputs it does not have",
    ),
    "multi-output-members-a-tuple": Case(
        _multi_output_trees,
        lambda m: setattr(m, "estimators_", tuple(m.estimators_)),
        "whose members are not a list",
    ),
    "target-regressor-of-one-target-over-a-forest": Case(
        _target_of_one_dimension,
        _forest_of_many_outputs,
        "whose members claim outputs it does not have",
    ),
    "bagging-classes-deleted": Case(
        _bagged_trees_of_three_classes,
        _bagging_classes_deleted,
        "without the classes_ every fit records",
        method="predict_proba",
    ),
    "tree-of-one-class-repeated": Case(
        _tree_of_three_classes,
        _one_class_repeated,
        "classes_ holds a value twice",
        method="predict_proba",
    ),
    "column-transformer-dense-where-sparse": Case(
        _one_hot_of_many_categories(300),
        _made_dense,
        "whose output is dense where its fit makes it sparse",
        method="transform",
    ),
    "column-transformer-dense-where-sparse-its-spans-widened": Case(
        _one_hot_of_many_categories(300),
        _made_dense_its_spans_widened,
        "whose output is dense where its fit makes it sparse",
        method="transform",
    ),
    **{
        f"column-transformer-dense-where-sparse-{kind}": Case(
            _sparse_block_beside_scaler(block),
            _made_dense,
            "whose output is dense where its fit makes it sparse",
            method="transform",
        )
        # Rounds 72-73: every sparse block's entries a row bound the density,
        # not only a one-hot encoder's, read step by step through pipelines,
        # unions and nested column transformers.
        for kind, block in _sparse_blocks().items()
    },
    **{
        f"column-transformer-dense-where-sparse-as-{name}": Case(
            _one_hot_of_many_categories(300),
            _made_dense_as(flag),
            "whose output is dense where its fit makes it sparse",
            method="transform",
        )
        for name, flag in {
            "numpy-false": np.False_,
            "zero": 0,
            "none": None,
            "empty-list": [],
        }.items()
    },
    "column-transformer-dense-where-sparse-numpy-threshold": Case(
        _one_hot_of_many_categories(300),
        _made_dense_under_a_numpy_threshold,
        "whose output is dense where its fit makes it sparse",
        method="transform",
    ),
    "calibrated-one-member-asked-by-a-numpy-false": Case(
        _calibrated_sigmoid,
        _ensembling_as_numpy_false,
        "with 3 members (its cv asks for 1)",
        method="predict_proba",
    ),
    # Round 75: what fit copies from a parameter and methods read instead.
    "kernel-density-bandwidth-not-asked": Case(
        _density(kernel="epanechnikov", bandwidth=0.3),
        _set("bandwidth_", 4.0),
        "whose bandwidth_ is not what its parameters make it",
        method="score_samples",
    ),
    "kernel-density-bandwidth-not-scotts": Case(
        _density(bandwidth="scott"),
        _set("bandwidth_", 4.0),
        "whose bandwidth_ is not what its parameters make it",
        method="score_samples",
    ),
    "incremental-pca-batches-of-one-row": Case(
        _incremental_pca_of_sparse_rows,
        _set("batch_size_", 1),
        "whose batch_size_ is not what its parameters make it",
        method="transform",
    ),
    "topics-prior-not-asked": Case(
        _topics,
        _set("doc_topic_prior_", np.nan),
        "whose doc_topic_prior_ is not what its parameters make it",
        method="transform",
    ),
    "neighbours-minkowski-behind-euclidean": Case(
        _brute_neighbours(),
        _distance_of_p3,
        "whose effective metric is not its metric parameters'",
    ),
    "neighbours-distance-parameters-not-asked": Case(
        _brute_neighbours(p=3),
        _set("effective_metric_params_", {"p": 30.0, "w": None}),
        "whose effective metric is not its metric parameters'",
    ),
    "column-transformer-dense-where-sparse-positions-deleted": Case(
        _one_hot_of_many_categories(300),
        _made_dense_positions_deleted,
        "whose output is dense where its fit makes it sparse",
        method="transform",
    ),
    # Numbers no fit makes, which a processor computes with 10 to 100 times
    # slower (red-team round 78): subnormal ones, ones two of which multiply
    # to one, and floats wider than float64 (numpy has no fast routine).
    "network-layers-subnormal": Case(
        _mlp, _scaled("coefs_", 1e-310), "outside [2.2e-103, 9e+74)"
    ),
    "network-layers-tiny-enough-to-multiply-to-subnormal": Case(
        _mlp, _scaled("coefs_", 1e-160), "outside [2.2e-103, 9e+74)"
    ),
    "kernel-pca-eigenvectors-subnormal": Case(
        _kernel_pca_rbf,
        _scaled("eigenvectors_", 1e-310),
        "outside [2.2e-103, 9e+74)",
        method="transform",
    ),
    "scaler-scale-huge-before-neighbours": Case(
        _scaled_then_neighbours,
        lambda pipeline: setattr(
            pipeline[0], "scale_", np.full_like(pipeline[0].scale_, 1e308)
        ),
        "outside [2.2e-103, 9e+74)",
    ),
    "scaler-scale-and-neighbours-rows-at-the-root-of-the-smallest": Case(
        _scaled_then_neighbours,
        _two_small_steps,
        "outside [2.2e-103, 9e+74)",
    ),
    "kernel-pca-width-subnormal": Case(
        _kernel_pca_rbf,
        _set("gamma_", 1e-310),
        "a number, 1e-310, outside [2.2e-103, 9e+74)",
        method="transform",
    ),
    "nystroem-normalization-complex-subnormal": Case(
        _nystroem_laplacian,
        lambda model: setattr(
            model, "normalization_", model.normalization_ * (1e-310 + 0j)
        ),
        "outside [2.2e-103, 9e+74)",
        method="transform",
    ),
    **(
        {
            "network-layers-long-double": Case(
                _mlp, _widened("coefs_", np.longdouble), "wider than 64-bit floats"
            ),
            "nystroem-normalization-complex-long-double": Case(
                _nystroem_laplacian,
                _widened("normalization_", np.clongdouble),
                "wider than 64-bit floats",
                method="transform",
            ),
            "function-transformer-output-long-double": Case(
                _positive_transformer,
                _set("kw_args", {"dtype": np.dtype(np.longdouble)}),
                f"holds the dtype {np.dtype(np.longdouble)}",
                method="transform",
            ),
            "function-transformer-loop-of-long-doubles": Case(
                _positive_transformer,
                _set("kw_args", {"signature": "g->g"}),
                "a signature= argument",
                method="transform",
            ),
            "one-hot-output-long-double": Case(
                _one_hot,
                _set("dtype", np.dtype(np.longdouble).char),
                f"whose dtype is {np.dtype(np.longdouble).char}",
                method="transform",
            ),
            "neighbours-training-rows-long-double": Case(
                _knn_transformer,
                _widened("_fit_X", np.longdouble),
                "wider than 64-bit floats",
                method="transform",
            ),
        }
        if WIDE_LONG_DOUBLE
        else {}
    ),
    "local-outlier-factor-more-neighbours-than-asked": Case(
        _lof_of_many_neighbours,
        _set("n_neighbors", 5),
        "whose n_neighbors_ is not what its parameters make it",
        method="score_samples",
    ),
    "quantile-transformer-more-quantiles-than-asked": Case(
        _quantiles_of_many,
        _set("n_quantiles", 10),
        "whose n_quantiles_ is not what its parameters make it",
        method="transform",
    ),
    "sparse-coefficients-one-cell-repeated": Case(
        _sparse_coefficients,
        _one_cell_repeated("coef_"),
        "storing more entries than its shape has cells",
        method="predict_proba",
    ),
    "function-transformer-output-float16": Case(
        _positive_transformer,
        _set("kw_args", {"dtype": "float16"}),
        "holds the dtype float16",
        method="transform",
    ),
    "neighbours-tree-of-another-distance": Case(
        _kd_tree_knn_of_2000_rows,
        _tree_of_another_distance,
        "whose tree measures another distance than its metric",
    ),
    "boosting-leaves-subnormal": Case(
        _gbr, _leaves_subnormal, "a decision tree that holds an array of float64"
    ),
    "density-tree-weights-subnormal": Case(
        _density_with_weights,
        _tree_weights_subnormal,
        "a neighbours tree that holds an array of float64",
        method="score_samples",
    ),
    "gp-output-statistics-of-other-outputs": Case(
        _gp_one_output_column,
        _output_statistics(3000),
        "whose _y_train_mean is not one number an output",
    ),
    "gp-output-statistics-of-integers": Case(
        _gp_one_output_column,
        _output_statistics(1, np.int8),
        "whose _y_train_mean is not one number an output",
    ),
    "mixture-dirichlet-concentrations-wider-than-components": Case(
        _dirichlet_mixture,
        lambda model: setattr(model, "weight_concentration_", np.ones(5000)),
        "n_components and weight_concentration_[0] disagree in size (1 and 5000)",
        method="score_samples",
    ),
    "mixture-dirichlet-concentrations-of-two-dimensions": Case(
        _dirichlet_mixture,
        lambda model: setattr(model, "weight_concentration_", np.ones((1, 5000))),
        "weight_concentration_[] has 2 dimensions",
        method="score_samples",
    ),
    "qda-rotations-as-an-array-of-arrays": Case(
        _qda_five, _qda_rotations_as_objects, "disagree in size (4 and 3000)"
    ),
    "network-intercepts-as-an-array-of-arrays": Case(
        _mlp_lbfgs,
        lambda model: setattr(model, "intercepts_", _objects(*model.intercepts_)),
        "whose layers are not its hidden_layer_sizes",
    ),
    "scaler-scale-a-huge-integer-before-neighbours": Case(
        _scaled_then_neighbours,
        lambda pipeline: setattr(pipeline[0], "scale_", 10**308),
        "an integer of 1024 bits",
    ),
    "neighbours-rows-a-subnormal-matrix": Case(
        _knn_transformer,
        _knn_rows_as_matrix,
        "a numpy matrix where fit makes an array",
        method="transform",
    ),
}

WORKER_ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}

LOADER = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import versioned_estimator as ve
    for name, path in json.loads(sys.argv[1]).items():
        print(json.dumps({"name": name, "started": True}), flush=True)
        try:
            ve.load(path)
        except ve.VersionedEstimatorError as exc:
            result = {"error": type(exc).__name__, "message": str(exc)}
        except BaseException as exc:
            result = {"error": "escaped " + type(exc).__name__, "message": str(exc)}
        else:
            result = {"error": None, "message": "loaded"}
        print(json.dumps({"name": name, **result}), flush=True)
    """
)

CONTROL = textwrap.dedent(
    """
    import pickle, resource, sys, warnings
    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    with open(sys.argv[1], "rb") as f:
        model, method, rows = pickle.load(f)
    try:
        getattr(model, method)(rows)
    except MemoryError:
        print("MEMORY", flush=True)
    except Exception as exc:
        print("RAISED", type(exc).__name__, exc, flush=True)
    else:
        print("RAN", flush=True)
    """
)


def _write(case: Case, folder: Path, name: str) -> tuple[Path, Path]:
    """The crafted file (valid checksums) and the bare corrupted model."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fitting tiny data: convergence notes
        model, rows = case.build()
        wrapped = ve.VersionedEstimator.wrap(model, probe=rows)
    found = parts(wrapped)
    loaded = pickle.loads(found["stream"], buffers=found["buffers"])
    # With a parameter template (a random state among the parameters), the
    # stream holds (estimator, template).
    template = found["envelope"]["payload"]["template"]
    inner = loaded[0] if template else loaded
    case.corrupt(inner)
    stream = pickle.dumps(loaded, protocol=5)
    path = folder / f"{name}.joblib"
    joblib.dump(forge(wrapped, stream=stream, buffers=[]), path)
    rows = case.control_rows() if case.control_rows is not None else rows
    bare = folder / f"{name}.bare.pkl"
    bare.write_bytes(pickle.dumps((inner, case.method, rows), protocol=5))
    return path, bare


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("compiled-state")
    return {name: _write(case, folder, name) for name, case in CASES.items()}


@pytest.fixture(scope="module")
def loads(crafted: dict[str, tuple[Path, Path]]) -> dict[str, Any]:
    """Every crafted file through the safe load, in one worker process."""
    paths = {name: str(path) for name, (path, _) in crafted.items()}
    done = subprocess.run(
        [sys.executable, "-c", LOADER, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=600,
        env=WORKER_ENV,
    )
    results: dict[str, Any] = {"returncode": done.returncode, "stderr": done.stderr}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        results.setdefault(record["name"], {}).update(record)
    return results


#: Controls run at once: each imports scikit-learn and some fill their 3 GiB
#: (a hundred at once on two cores ran one past its timeout under load).
CONTROLS_AT_ONCE = 4


@pytest.fixture(scope="module")
def controls(crafted: dict[str, tuple[Path, Path]]) -> dict[str, tuple[int, str]]:
    """The corrupted models, unpickled plainly and called: in parallel workers,
    a few at a time, each with its own timeout."""

    def control(name: str) -> tuple[int, str]:
        command = [sys.executable, "-c", CONTROL, str(crafted[name][1])]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=WORKER_ENV, timeout=240
            )
        except subprocess.TimeoutExpired as exc:  # its output as bytes, if any
            said = b"".join(o for o in (exc.stdout, exc.stderr) if isinstance(o, bytes))
            return -9, said.decode(errors="replace") + "\nTIMEOUT"
        return done.returncode, done.stdout + done.stderr

    names = [name for name, case in CASES.items() if case.control is not None]
    with concurrent.futures.ThreadPoolExecutor(CONTROLS_AT_ONCE) as pool:
        return dict(zip(names, pool.map(control, names), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_crafted_state_is_refused(name: str, loads: dict[str, Any]) -> None:
    """The safe load refuses the file, naming the problem, before any method."""
    result = loads.get(name)
    died = (
        f"the load worker died at or before {name} "
        f"(exit {loads['returncode']}): {loads['stderr'][-2000:]}"
    )
    assert result is not None, died
    assert "error" in result, died
    assert result["error"] == "UntrustedGlobalError", result
    assert CASES[name].refusal in result["message"], result["message"]
    # refused by the walk of the loaded model, or before unpickling it
    assert (
        "Nothing of the model was run" in result["message"]
        or "Nothing was unpickled" in result["message"]
    )


CONTROLLED = [name for name, case in CASES.items() if case.control is not None]


@pytest.mark.parametrize("name", CONTROLLED)
def test_control_the_corruption_is_harmful(
    name: str, controls: dict[str, tuple[int, str]]
) -> None:
    """Without the checks, the same model crashes the process, blows its
    memory, or at least runs compiled code on the state unrefused."""
    returncode, output = controls[name]
    if CASES[name].control == "memory":
        assert "MEMORY" in output, output[-2000:]
        return
    assert "TIMEOUT" not in output, output[-2000:]
    after = CASES[name].raised_after
    if after is not None and re.search(f"^RAISED {after}", output, re.M):
        return
    # "crash": a signal (SIGSEGV, SIGFPE, SIGABRT) or a runtime abort in most
    # runs; a read outside an array does not fault every time (it depends on
    # what lies next to it), so a run that returns is accepted too: compiled
    # code ran on the state unrefused, which is what the check prevents. A
    # process that then dies of a signal may have printed anything first (a
    # write outside an array corrupts the heap: numpy once raised "array is
    # too big" on the next allocation); one that exits cleanly must not have
    # had scikit-learn refuse the state.
    assert returncode != 0 or ("RAN" in output and "RAISED" not in output), output[
        -2000:
    ]


# -- intact models of every family ----------------------------------------


def _sparse_svc_with_probability(X: Any, y: Any) -> Any:
    # Deprecated in scikit-learn 1.9, and files written before still hold it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return SVC(probability=True).fit(sp.csr_matrix(X), y)


_WITH_MISSING = np.array([[1.0], [1.0], [2.0], [3.0], [1.0], [np.nan], [4.0], [2.0]])


def _gaussian_process_of_products() -> Any:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    X = RS.rand(20, 2)
    kernel = ConstantKernel() * RBF() * RBF(2.0)
    return GaussianProcessRegressor(kernel, optimizer=None).fit(X, X[:, 0])


def _gaussian_mixture() -> Any:
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(2, covariance_type="full", random_state=0).fit(
        RS.rand(40, 3)
    )


def _logistic_cv() -> Any:
    from sklearn.linear_model import LogisticRegressionCV

    X = RS.rand(60, 3)
    model = LogisticRegressionCV(
        Cs=2, cv=2, l1_ratios=(0.0,), scoring="accuracy", use_legacy_attributes=True
    )
    return model.fit(X, np.arange(60) % 3)


def _qda() -> Any:
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

    return QuadraticDiscriminantAnalysis().fit(RS.rand(60, 3), np.arange(60) % 3)


def _intact() -> dict[str, tuple[Any, Any]]:
    X, y = RS.rand(60, 3), np.arange(60) % 3
    y_reg = RS.rand(60)
    Xc = np.c_[RS.rand(60, 2), RS.randint(0, 4, 60)]
    models: dict[str, tuple[Any, Any]] = {
        # libsvm keeps a sparse model's coefficients sparse.
        "SVC-sparse": (SVC().fit(sp.csr_matrix(X), y), sp.csr_matrix(X[:5])),
        "SVR": (SVR().fit(X, y_reg), X),
        "SVC-sparse-probability": (_sparse_svc_with_probability(X, y % 2), X[:5]),
        "OneHotEncoder-infrequent-missing-dropped": (
            OneHotEncoder(
                min_frequency=2, drop="first", handle_unknown="infrequent_if_exist"
            ).fit(_WITH_MISSING),
            _WITH_MISSING[:4],
        ),
        "LatentDirichletAllocation": (_lda()[0], RS.randint(0, 5, size=(3, 6))),
        "NMF": (_nmf()[0], RS.rand(3, 4)),
        # Round 18: arguments a transformer gives its function, a name format,
        # a kernel of distinct operands, a network's layers.
        "FunctionTransformer-keywords": (
            FunctionTransformer(
                _partial(check_array, dtype=np.float64), kw_args={"ensure_2d": True}
            ).fit(X),
            X[:3],
        ),
        "ColumnTransformer-name-format": (
            _column_transformer()[0].set_params(
                verbose_feature_names_out="{transformer_name}-{feature_name}"
            ),
            RS.rand(3, 2),
        ),
        "GaussianProcessRegressor-product-kernel": (
            _gaussian_process_of_products(),
            RS.rand(3, 2),
        ),
        "MLPRegressor": (_mlp()[0], RS.rand(3, 3)),
        # Round 22: the arrays of three dimensions and more fit makes.
        "GaussianMixture-full": (_gaussian_mixture(), RS.rand(3, 3)),
        "LogisticRegressionCV": (_logistic_cv(), RS.rand(3, 3)),
        "EllipticEnvelope": (_elliptic_envelope()[0], RS.rand(3, 3)),
        "BernoulliNB": (_bernoulli_nb()[0], RS.rand(3, 3)),
        "GaussianMixture-diag": (_diag_mixture()[0], RS.rand(3, 3)),
        "QuadraticDiscriminantAnalysis": (_qda(), RS.rand(3, 3)),
        "GradientBoostingRegressor-linear-init": (
            GradientBoostingRegressor(n_estimators=3, init=LinearRegression()).fit(
                X, y_reg
            ),
            X,
        ),
        "KMeans": (KMeans(3, n_init=1, random_state=0).fit(X), X),
        "MiniBatchKMeans": (
            MiniBatchKMeans(3, n_init=1, random_state=0).fit(X),
            X,
        ),
        "BisectingKMeans": (BisectingKMeans(3, random_state=0).fit(X), X),
        "GradientBoostingClassifier": (
            GradientBoostingClassifier(n_estimators=3).fit(X, y),
            X,
        ),
        "GradientBoostingClassifier-binary": (
            GradientBoostingClassifier(n_estimators=3).fit(X, y % 2),
            X,
        ),
        "GradientBoostingRegressor": (
            GradientBoostingRegressor(n_estimators=3).fit(X, y_reg),
            X,
        ),
        "HistGradientBoostingClassifier-categorical": (
            HistGradientBoostingClassifier(max_iter=3, categorical_features=[2]).fit(
                Xc, y
            ),
            Xc,
        ),
        "HistGradientBoostingRegressor": (
            HistGradientBoostingRegressor(max_iter=3).fit(X, y_reg),
            X,
        ),
        "KNeighborsClassifier-ball-tree-mahalanobis": (
            KNeighborsClassifier(
                3,
                algorithm="ball_tree",
                metric="mahalanobis",
                metric_params={"VI": np.eye(3)},
            ).fit(X, y),
            X,
        ),
        "KNeighborsRegressor-kd-tree-weighted": (
            KNeighborsRegressor(3, algorithm="kd_tree", metric="minkowski", p=3).fit(
                X, y_reg
            ),
            X,
        ),
        "KNeighborsClassifier-brute-seuclidean": (
            KNeighborsClassifier(
                3,
                algorithm="brute",
                metric="seuclidean",
                metric_params={"V": np.ones(3)},
            ).fit(X, y),
            X,
        ),
        "DummyClassifier-stratified": (
            DummyClassifier(strategy="stratified", random_state=0).fit(X, y),
            X,
        ),
        "DummyClassifier-multioutput": (
            DummyClassifier(strategy="prior").fit(X, np.c_[y, y % 2]),
            X,
        ),
        "DummyRegressor-multioutput": (
            DummyRegressor().fit(X, np.c_[y_reg, y_reg]),
            X,
        ),
        "LogisticRegression-sparse": (_sparse_logistic()[0], RS.rand(5, 3)),
        "CountVectorizer-ngrams": (
            CountVectorizer(ngram_range=(1, 3)).fit(TEXT),
            TEXT,
        ),
        "TfidfVectorizer": (TfidfVectorizer().fit(TEXT), TEXT),
        "HashingVectorizer": (HashingVectorizer(n_features=64), TEXT),
        "DictVectorizer": (
            DictVectorizer().fit([{"a": 1, "b": 2}, {"c": 3}]),
            [{"a": 1}, {"c": 2}],
        ),
        "SplineTransformer": (SplineTransformer(n_knots=4, degree=3).fit(X), X),
        "FunctionTransformer-ufunc": (
            FunctionTransformer(np.log1p, inverse_func=np.expm1).fit(X),
            X,
        ),
        "MultiOutputRegressor-n_jobs": (
            MultiOutputRegressor(KNeighborsRegressor(2), n_jobs=2).fit(
                X, np.c_[y_reg, y_reg]
            ),
            X,
        ),
        **_intact_round_29(X, y),
        **_intact_round_36(X, y),
    }
    return models


def _intact_round_29(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """What round 29's checks hold, as scikit-learn fits it: column
    selections of every kind, pairwise one-vs-one, components asked for by
    a ratio, more than the data allows, or none."""
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA, FastICA, KernelPCA
    from sklearn.impute import MissingIndicator
    from sklearn.multiclass import OneVsOneClassifier
    from sklearn.multioutput import RegressorChain
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import StandardScaler

    mask = np.array([True, False, True])
    gaps = X.copy()
    gaps[::4, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_components is too large": cut
        ica = FastICA(n_components=10, random_state=0).fit(X)
    return {
        "ColumnTransformer-mask-remainder": (
            ColumnTransformer(
                [("s", StandardScaler(), mask)], remainder="passthrough"
            ).fit(X),
            X,
        ),
        "ColumnTransformer-negative-slice": (
            ColumnTransformer(
                [("s", StandardScaler(), [-1, 0]), ("p", "passthrough", slice(1, 2))]
            ).fit(X),
            X,
        ),
        "OneVsOneClassifier-precomputed": (
            OneVsOneClassifier(SVC(kernel="precomputed")).fit(X @ X.T, y),
            (X @ X.T)[:5],
        ),
        "MissingIndicator-missing-only": (MissingIndicator().fit(gaps), gaps),
        "PCA-ratio": (PCA(n_components=0.9).fit(X), X),
        "PCA-mle": (PCA(n_components="mle").fit(X), X),
        "FastICA-more-than-width": (ica, X),
        "KernelPCA-more-than-rows": (KernelPCA(n_components=100).fit(X[:20]), X),
        # A chain's order given as a list stays that list (a setting).
        "RegressorChain-order-list": (
            RegressorChain(LinearRegression(), order=[1, 0]).fit(X, X[:, :2]),
            X,
        ),
        "FeatureUnion-weights": (
            FeatureUnion(
                [("a", StandardScaler()), ("b", PCA(n_components=1))],
                transformer_weights={"a": 2, "b": 0.5},
            ).fit(X),
            X,
        ),
    }


def _intact_round_40(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Members fit changes by design: bagged pipelines (every random state
    drawn, however deep), a search that swaps a whole step, a radius voter
    labelling outliers."""
    from sklearn.ensemble import BaggingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import RadiusNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    trees = make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=2))
    swap = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]),
        {"clf": [LogisticRegression(C=0.5), DecisionTreeClassifier(max_depth=2)]},
        cv=2,
    )
    radius = RadiusNeighborsClassifier(radius=0.05, outlier_label="most_frequent")
    return {
        "Bagging-of-pipelines": (
            BaggingClassifier(trees, n_estimators=3, random_state=0).fit(X, y),
            X,
        ),
        "BaggingRegressor-of-pipelines": (
            BaggingRegressor(
                make_pipeline(StandardScaler(), Ridge()), n_estimators=2, random_state=0
            ).fit(X, X[:, 0]),
            X,
        ),
        "GridSearchCV-swapping-a-step": (swap.fit(X, y), X),
        "VotingClassifier-radius-outliers": (
            VotingClassifier(
                [("lr", LogisticRegression()), ("rn", radius)], voting="hard"
            ).fit(X, y),
            X,
        ),
    }


def _intact_drop_in(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """What a safe load once refused for want of a name or a shape it knew:
    imputation by models, Gaussian processes of every kernel, k-means
    bisecting sparse data, boosting from a fitted first guess."""
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process import kernels as k
    from sklearn.impute import IterativeImputer
    from sklearn.linear_model import Ridge

    holes = X.copy()
    holes[::5, 1] = np.nan
    target = X[:, 0] + X[:, 1]
    from sklearn.isotonic import IsotonicRegression

    found: dict[str, tuple[Any, Any]] = {
        # Inputs of one value: its restore builds a function of its own.
        "IsotonicRegression-one-value": (
            IsotonicRegression().fit(np.ones(len(X)), target),
            np.ones(5),
        ),
        "IterativeImputer": (
            IterativeImputer(max_iter=3, random_state=0).fit(holes),
            holes,
        ),
        "IterativeImputer-ridge-neighbours": (
            IterativeImputer(
                Ridge(), n_nearest_features=1, max_iter=2, random_state=0
            ).fit(holes),
            holes,
        ),
        "BisectingKMeans-sparse": (
            BisectingKMeans(n_clusters=3, random_state=0).fit(sp.csr_matrix(X)),
            sp.csr_matrix(X),
        ),
        "GradientBoostingClassifier-init-logistic": (
            GradientBoostingClassifier(
                n_estimators=3, init=LogisticRegression(), random_state=0
            ).fit(X, y),
            X,
        ),
        "GradientBoostingRegressor-init-ridge": (
            GradientBoostingRegressor(n_estimators=3, init=Ridge()).fit(X, target),
            X,
        ),
    }
    kernels = {
        "sum-white": k.ConstantKernel() * k.RBF() + k.WhiteKernel(),
        "matern-dot": k.Matern() + k.DotProduct(),
        "rational-power": k.RationalQuadratic() ** 2,
        "pairwise": k.PairwiseKernel(metric="laplacian"),
    }
    for name, kernel in kernels.items():
        model = GaussianProcessRegressor(kernel, alpha=0.1, optimizer=None)
        found[f"GaussianProcessRegressor-{name}"] = (model.fit(X, target), X)
    periodic = GaussianProcessRegressor(k.ExpSineSquared(), alpha=0.1, optimizer=None)
    found["GaussianProcessRegressor-periodic"] = (
        periodic.fit(X[:, :1], target),
        X[:, :1],
    )
    return found


def _intact_round_36(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """What round 36's checks hold, as scikit-learn fits it: missing values
    among an encoder's categories, a dummy of every strategy, hard voters
    predicting through label stores of their own, leaves of an embedding,
    label spreading's neighbours graph."""
    from sklearn.multiclass import OutputCodeClassifier
    from sklearn.preprocessing import OrdinalEncoder
    from sklearn.semi_supervised import LabelSpreading

    codes = RS.randint(0, 3, size=(len(X), 3)).astype(float)
    codes[::5, 0] = np.nan
    voters = [
        ("mlp", MLPClassifier(hidden_layer_sizes=(3,), max_iter=20, random_state=0)),
        ("gpc", GaussianProcessClassifier(random_state=0)),
        ("dummy", DummyClassifier(strategy="constant", constant=y[0])),
        # Members that keep codes of their own: trees as floats, output-code
        # columns as -1 and 1.
        ("forest", RandomForestClassifier(n_estimators=2, random_state=0)),
        ("codes", OutputCodeClassifier(LogisticRegression(), random_state=0)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the network's convergence note
        voting = VotingClassifier(voters, voting="hard").fit(X, y)
    found: dict[str, tuple[Any, Any]] = {
        "OrdinalEncoder-missing": (OrdinalEncoder().fit(codes), codes),
        "HistGradientBoosting-categorical-missing": (
            HistGradientBoostingClassifier(max_iter=3, categorical_features=[0, 1]).fit(
                codes, y
            ),
            codes,
        ),
        "VotingClassifier-label-stores": (voting, X),
        "RandomTreesEmbedding-dense": (
            RandomTreesEmbedding(
                n_estimators=3, max_depth=3, sparse_output=False, random_state=0
            ).fit(X),
            X,
        ),
        "LabelSpreading-knn": (
            LabelSpreading(kernel="knn", n_neighbors=3).fit(X, y),
            X,
        ),
    }
    found.update(_intact_round_40(X, y))
    found.update(_intact_drop_in(X, y))
    found.update(_intact_round_46(X, y))
    found.update(_intact_round_48(X, y))
    found.update(_intact_round_82(X, y))
    for strategy in ("most_frequent", "prior", "stratified", "uniform", "constant"):
        dummy = DummyClassifier(strategy=strategy, constant=y[0], random_state=0)
        found[f"DummyClassifier-{strategy}-fit"] = (dummy.fit(X, y), X)
    return found


def _intact_round_82(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Output statistics of every target shape, concentrations of both
    priors, and a naive Bayes of float32 features of small scale (round
    81's false positive: its epsilon_ is 1e-13)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.mixture import BayesianGaussianMixture
    from sklearn.naive_bayes import GaussianNB

    found: dict[str, tuple[Any, Any]] = {}
    targets = {"1d": X[:, 0], "one-column": X[:, :1], "three-columns": X}
    for name, target in targets.items():
        for normalized in (False, True):
            model = GaussianProcessRegressor(normalize_y=normalized, optimizer=None)
            found[f"GaussianProcessRegressor-{name}-normalized-{normalized}"] = (
                model.fit(X, target),
                X[:5],
            )
    for prior in ("dirichlet_distribution", "dirichlet_process"):
        for k in (1, 3):
            mixture = BayesianGaussianMixture(
                n_components=k, weight_concentration_prior_type=prior, random_state=0
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence, on 60 rows
                found[f"BayesianGaussianMixture-{prior}-{k}"] = (mixture.fit(X), X[:5])
    # Round 84's false positives: number types as dtype parameters.
    labels = np.array([["a"], ["b"], ["c"]] * 20, dtype=object)
    for kind in (np.float32, np.int8, np.bool_):
        encoder = OneHotEncoder(dtype=kind, handle_unknown="ignore")
        found[f"OneHotEncoder-{kind.__name__}"] = (encoder.fit(labels), labels[:5])
    from sklearn.preprocessing import KBinsDiscretizer

    binned = KBinsDiscretizer(
        n_bins=3, encode="ordinal", dtype=np.float32, quantile_method="linear"
    )
    found["KBinsDiscretizer-float32"] = (binned.fit(X), X[:5])
    typed = FunctionTransformer(np.positive, kw_args={"dtype": np.float32})
    found["FunctionTransformer-float32"] = (typed.fit(X), X[:5])
    small = (X * 0.01).astype(np.float32)
    found["GaussianNB-float32-hundredths"] = (GaussianNB().fit(small, y), small[:5])
    found.update(_intact_round_88(X, y))
    found.update(_intact_round_90(X, y))
    found.update(_intact_round_103(X, y))
    found.update(_intact_round_108(X, y))
    return found


def _intact_round_108(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Gradient boosting from a first guess of the user's: a tree, a forest
    (fitted in place as ``init_``, so held twice), nearest neighbours."""
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.tree import DecisionTreeRegressor

    found: dict[str, tuple[Any, Any]] = {}
    tree = GradientBoostingRegressor(
        n_estimators=5, init=DecisionTreeRegressor(max_depth=2), loss="huber"
    )
    found["GradientBoostingRegressor-tree-first-guess"] = (
        tree.fit(X, X[:, 0]),
        X[:5],
    )
    knn = GradientBoostingRegressor(n_estimators=5, init=KNeighborsRegressor(5))
    found["GradientBoostingRegressor-neighbours-first-guess"] = (
        knn.fit(X, X[:, 0]),
        X[:5],
    )
    forest = GradientBoostingClassifier(
        n_estimators=5, init=RandomForestClassifier(10, random_state=0)
    )
    found["GradientBoostingClassifier-forest-first-guess"] = (forest.fit(X, y), X[:5])
    return found


def _intact_round_103(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Arrays only some settings make: a kernel PCA's inverse transform, a
    quadratic discriminant analysis's
    covariances (a list, one a class), support vector models of callable
    kernels."""
    from sklearn.decomposition import KernelPCA
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.gaussian_process.kernels import RBF
    from sklearn.svm import OneClassSVM

    found: dict[str, tuple[Any, Any]] = {}
    kpca = KernelPCA(3, kernel="rbf", fit_inverse_transform=True)
    found["KernelPCA-inverse"] = (kpca.fit(X), X[:5])
    linear = KernelPCA(2, kernel="linear", fit_inverse_transform=True)
    found["KernelPCA-linear-inverse"] = (linear.fit(X), X[:5])
    qda = QuadraticDiscriminantAnalysis(store_covariance=True, reg_param=0.1)
    found["QuadraticDiscriminantAnalysis-covariances"] = (qda.fit(X, y), X[:5])
    found["SVR-callable-kernel"] = (SVR(kernel=RBF()).fit(X, X[:, 0]), X[:5])
    found["OneClassSVM-callable-kernel"] = (OneClassSVM(kernel=RBF()).fit(X), X[:5])
    return found


def _intact_round_90(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Trees at their limits and ensembles that give them: depth and leaf
    caps, forests, isolation forests of every sample setting, AdaBoost's
    stumps and a deeper estimator, bagged and boosted trees, histogram
    boosting capped both ways; a Nystroem map asked more components than
    rows; Gaussian processes whose kernels hold settings fit never tunes."""
    from sklearn.ensemble import AdaBoostClassifier, IsolationForest
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import (
        RBF,
        DotProduct,
        Exponentiation,
        Matern,
        PairwiseKernel,
        WhiteKernel,
    )
    from sklearn.kernel_approximation import Nystroem

    found: dict[str, tuple[Any, Any]] = {}
    big = RS.rand(400, 3)
    target = big[:, 0] + big[:, 1] ** 2
    labels = (target > 0.7).astype(int)
    found["DecisionTreeRegressor-max_depth-4"] = (
        DecisionTreeRegressor(max_depth=4).fit(big, target),
        big[:5],
    )
    found["DecisionTreeClassifier-max_leaf_nodes-7"] = (
        DecisionTreeClassifier(max_leaf_nodes=7).fit(big, labels),
        big[:5],
    )
    found["RandomForestRegressor-max_depth-3-leaves-5"] = (
        RandomForestRegressor(4, max_depth=3, max_leaf_nodes=5).fit(big, target),
        big[:5],
    )
    for samples in ("auto", 50, 0.5):
        forest = IsolationForest(n_estimators=4, max_samples=samples, random_state=0)
        found[f"IsolationForest-max_samples-{samples}"] = (forest.fit(big), big[:5])
    found["AdaBoostClassifier-stumps"] = (
        AdaBoostClassifier(n_estimators=4, random_state=0).fit(big, labels),
        big[:5],
    )
    found["AdaBoostClassifier-depth-3"] = (
        AdaBoostClassifier(DecisionTreeClassifier(max_depth=3), n_estimators=4).fit(
            big, labels
        ),
        big[:5],
    )
    found["BaggingRegressor-trees-depth-2"] = (
        BaggingRegressor(DecisionTreeRegressor(max_depth=2), n_estimators=3).fit(
            big, target
        ),
        big[:5],
    )
    found["GradientBoostingRegressor-leaves-6"] = (
        GradientBoostingRegressor(n_estimators=3, max_leaf_nodes=6).fit(big, target),
        big[:5],
    )
    for leaves, depth in ((7, None), (None, 3), (15, 2)):
        boosted = HistGradientBoostingRegressor(
            max_iter=3, max_leaf_nodes=leaves, max_depth=depth
        )
        found[f"HistGradientBoostingRegressor-leaves-{leaves}-depth-{depth}"] = (
            boosted.fit(big, target),
            big[:5],
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_components > n_samples
        found["Nystroem-more-asked-than-rows"] = (
            Nystroem(n_components=100, random_state=0).fit(X),
            X[:5],
        )
    kernels = {
        "matern-0.5": Matern(nu=0.5),
        "matern-1.5-fixed": Matern(
            length_scale=0.5, nu=1.5, length_scale_bounds="fixed"
        ),
        "pairwise-laplacian": PairwiseKernel(metric="laplacian"),
        "exponentiation": Exponentiation(RBF(), exponent=2.0) + WhiteKernel(),
        "dot-product": DotProduct(sigma_0=0.5) * RBF([1.0, 2.0, 3.0]),
    }
    for name, kernel in kernels.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence of the optimizer
            process = GaussianProcessRegressor(kernel, random_state=0).fit(X, X[:, 0])
        found[f"GaussianProcessRegressor-{name}"] = (process, X[:5])
    return found


def _intact_round_88(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Every search a neighbours fit makes, and the trees it keeps: each
    algorithm, "auto" over few and many columns, a weighted Minkowski ball
    tree, sparse data under a tree algorithm (brute force), every leaf size
    down to one, weighted densities, label spreading over neighbours, and an
    encoder of numbers held as objects."""
    from sklearn.neighbors import KernelDensity
    from sklearn.semi_supervised import LabelSpreading

    found: dict[str, tuple[Any, Any]] = {}
    wide = RS.rand(200, 20)
    for algorithm in ("auto", "brute", "kd_tree", "ball_tree"):
        for leaf_size in (1, 2, 30):
            model = KNeighborsRegressor(algorithm=algorithm, leaf_size=leaf_size)
            found[f"KNeighborsRegressor-{algorithm}-leaf-{leaf_size}"] = (
                model.fit(RS.rand(500, 3) * 1e3, RS.rand(500)),
                RS.rand(5, 3) * 1e3,
            )
        found[f"KNeighborsRegressor-{algorithm}-20-columns"] = (
            KNeighborsRegressor(algorithm=algorithm).fit(wide, wide[:, 0]),
            wide[:5],
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "cannot use tree with sparse input"
        sparse_model = KNeighborsRegressor(algorithm="kd_tree")
        sparse_model.fit(sp.csr_matrix(X), y)
    found["KNeighborsRegressor-kd_tree-sparse"] = (sparse_model, sp.csr_matrix(X[:5]))
    weighted = KNeighborsRegressor(p=3, metric_params={"w": [1.0, 2.0, 3.0]})
    found["KNeighborsRegressor-weighted-minkowski"] = (weighted.fit(X, y), X[:5])
    found["KNeighborsRegressor-chebyshev-kd_tree"] = (
        KNeighborsRegressor(algorithm="kd_tree", metric="chebyshev").fit(X, y),
        X[:5],
    )
    for algorithm in ("auto", "kd_tree", "ball_tree"):
        density = KernelDensity(algorithm=algorithm, leaf_size=3)
        found[f"KernelDensity-{algorithm}-weighted"] = (
            density.fit(X, sample_weight=RS.rand(len(X)) + 0.1),
            X[:5],
        )
    found["KernelDensity-canberra"] = (
        KernelDensity(metric="canberra").fit(X + 1),
        X[:5] + 1,
    )
    labels = np.where(np.arange(len(X)) % 4 == 0, y, -1)
    found["LabelSpreading-knn"] = (
        LabelSpreading(kernel="knn", n_neighbors=4).fit(X, labels),
        X[:5],
    )
    numbers = np.array([[3], [1.5], [2], [None], [1.5]] * 4, dtype=object)
    found["OneHotEncoder-object-numbers"] = (
        OneHotEncoder(handle_unknown="ignore").fit(numbers),
        numbers[:5],
    )
    return found


def _intact_round_46(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Models that reach one estimator or kernel through several paths, as
    scikit-learn fits them: forests whose estimator_ is their estimator, in a
    vote of ten; grids of a dozen candidates (a search's cv_results_ holds
    each twice), sampled with repeats; a kernel summed with itself; a step
    that keeps nothing given twice."""
    from sklearn.ensemble import VotingRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process import kernels as k
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    target = X[:, 0] + X[:, 1]
    forests = [
        (f"f{i}", RandomForestRegressor(n_estimators=2, max_depth=2, random_state=i))
        for i in range(10)
    ]
    candidates = [Ridge(alpha=a) for a in (0.01, 0.1, 1.0, 10.0)] + [
        DecisionTreeRegressor(max_depth=d, random_state=0) for d in range(1, 9)
    ]
    grid = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("model", Ridge())]),
        {"model": candidates},
        cv=2,
    )
    sampled = RandomizedSearchCV(
        Pipeline([("model", Ridge())]),
        {"model": candidates[:3]},
        n_iter=12,
        cv=2,
        random_state=0,
    )
    kernels = GridSearchCV(
        GaussianProcessRegressor(alpha=0.1, optimizer=None),
        {"kernel": [k.RBF(s) for s in (0.1, 0.3, 1.0, 3.0)] + [k.Matern(0.5)]},
        cv=2,
    )
    rbf = k.RBF()
    sine = FunctionTransformer(np.sin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a sampled search's repeated candidates
        return {
            "VotingRegressor-ten-forests": (
                VotingRegressor(forests).fit(X, target),
                X,
            ),
            "GridSearchCV-twelve-estimator-candidates": (grid.fit(X, target), X),
            "RandomizedSearchCV-candidates-sampled-again": (
                sampled.fit(X, target),
                X,
            ),
            "GridSearchCV-kernel-candidates": (kernels.fit(X, target), X),
            "KernelRidge-one-kernel-summed-thrice": (
                KernelRidge(kernel=rbf + rbf + rbf).fit(X, target),
                X,
            ),
            "Pipeline-stateless-step-twice": (
                Pipeline([("a", sine), ("b", sine), ("r", Ridge())]).fit(X, target),
                X,
            ),
        }


def _self_training_600() -> tuple[Any, Any]:
    from sklearn.semi_supervised import SelfTrainingClassifier

    labels = np.r_[np.arange(1_200) % 600, [-1] * 100]  # 100 rows unlabelled
    model = SelfTrainingClassifier(MLPClassifier((4,), max_iter=5, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # five iterations: convergence notes
        return model.fit(RS.rand(len(labels), 3), labels), RS.rand(5, 3)


def _gp_vote() -> tuple[Any, Any]:
    from sklearn.ensemble import VotingRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor

    X = RS.rand(100, 3)
    members = [
        (f"g{k}", GaussianProcessRegressor(alpha=1e-2 * (k + 1), copy_X_train=False))
        for k in range(3)
    ]
    return VotingRegressor(members).fit(X, X[:, 0]), X[:5]


def _intact_round_48(X: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """Models that hold one value in several places, as scikit-learn fits
    them: a KNN's data is its tree's too; a vote of stacked KNNs names each
    member twice at both levels (8 references to each KNN's data); a spline
    transformer's B-splines, one per feature, over one coefficient matrix;
    a discretizer's 30 arrays of 601 edges in an array of objects; one column
    selector given to two transformers; networks trained by every solver (sgd
    keeps its optimizer)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import StackingClassifier, VotingRegressor
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.metrics import fbeta_score, make_scorer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    columns = np.arange(40)  # one selector given to two transformers
    knn = [
        (f"k{i}", KNeighborsClassifier(n_neighbors=3, algorithm="kd_tree"))
        for i in range(2)
    ]
    stack = StackingClassifier(knn, final_estimator=LogisticRegression(), cv=2)
    vote = VotingClassifier([("s", stack), ("t", clone(stack))], voting="soft")
    rows = np.c_[X, RS.rand(len(X), 60)]  # data dominate the file
    found: dict[str, tuple[Any, Any]] = {
        "VotingClassifier-of-stacked-kd-tree-knns": (vote.fit(rows, y), rows),
        "ColumnTransformer-one-column-array-twice": (
            ColumnTransformer(
                [("a", StandardScaler(), columns), ("b", MinMaxScaler(), columns)]
            ).fit(rows),
            rows,
        ),
        "SplineTransformer-30-features-150-knots": (
            SplineTransformer(n_knots=150).fit(rows[:, :30]),
            rows[:5, :30],
        ),
        # an array of objects: 30 edge arrays of 601 values, each its own
        "KBinsDiscretizer-600-bins": _many_bin_discretizer(),
        # restored isotonic regressions copy their thresholds: each its own
        "VotingRegressor-of-16-isotonic": _isotonic_vote(),
        # what fit keeps by reference, shared by every member fitted on it
        "VotingRegressor-of-brute-knn-over-one-X": (
            VotingRegressor(
                [
                    (f"k{k}", KNeighborsRegressor(k + 1, algorithm="brute"))
                    for k in range(5)
                ]
            ).fit(rows, rows[:, 0]),
            rows[:5],
        ),
        "MultiOutputRegressor-of-KernelRidge": (
            MultiOutputRegressor(KernelRidge()).fit(rows, rows[:, :4]),
            rows[:5],
        ),
        # a self-training model's classes are its network's, which are its
        # label binarizer's: one array, three estimators along one chain
        "SelfTrainingClassifier-MLP-600-classes": _self_training_600(),
        # a search's column of a parameter: the grid's one estimator in each
        # of the candidates that try it (an array of objects, masked)
        "GridSearchCV-estimator-in-the-grid": (
            GridSearchCV(
                Pipeline([("clf", LogisticRegression())]),
                {"clf": [LogisticRegression()], "clf__C": [0.1, 1.0, 10.0]},
                cv=2,
            ).fit(X, y),
            X[:5],
        ),
        # Gaussian processes told not to copy: one X and one y, three members
        "VotingRegressor-of-gaussian-processes-over-one-X-and-y": _gp_vote(),
        # a vote's classes are its label encoder's: 600 of them, 4.8 KB
        "VotingClassifier-600-classes": (
            VotingClassifier(
                [
                    ("a", DummyClassifier()),
                    ("b", DummyClassifier(strategy="most_frequent")),
                ]
            ).fit(RS.rand(600, 3), np.arange(600)),
            RS.rand(5, 3),
        ),
    }
    from sklearn.cluster import Birch
    from sklearn.preprocessing import StandardScaler

    with_nan = RS.rand(200, 3)
    with_nan[::7, 1] = np.nan
    # Round 60's false positives: a scaler of data with missing values counts
    # its rows per column; Birch of 5,000 subclusters links its leaves.
    found["StandardScaler-missing-values"] = (
        StandardScaler().fit(with_nan),
        with_nan[:5],
    )
    found["Birch-thousands-of-subclusters"] = (
        Birch(threshold=0.02, n_clusters=None).fit(RS.randn(10_000, 2)),
        RS.rand(5, 2),
    )
    # Round 61's checks: dict keys that are numpy scalars of numbers or text;
    # "minkowski" computed as the distance of its p; MiniBatchNMF's copy of
    # the transform's iteration count.
    labels = np.array(["no", "yes"])[(X[:, 0] > 0.5).astype(int)]
    found["LogisticRegression-numpy-keyed-class-weights"] = (
        LogisticRegression(class_weight={labels[0]: 1.0, labels[-1]: 2.0}).fit(
            X, labels
        ),
        X[:5],
    )
    found["LogisticRegression-numpy-int-keyed-class-weights"] = (
        LogisticRegression(class_weight={np.int64(0): 1.0, np.int64(1): 3.0}).fit(
            X, (X[:, 0] > 0.5).astype(int)
        ),
        X[:5],
    )
    for p in (1, 2, np.inf, 3):
        found[f"KNeighborsClassifier-minkowski-p{p}"] = (
            KNeighborsClassifier(3, metric="minkowski", p=p).fit(X, y),
            X[:5],
        )
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.decomposition import MiniBatchNMF

    # Round 63's false positive: temperature scaling, one calibrator for all
    # the classes.
    found["CalibratedClassifierCV-temperature"] = (
        CalibratedClassifierCV(LogisticRegression(), cv=3, method="temperature").fit(
            X, y
        ),
        X[:5],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few iterations: convergence notes
        found["MiniBatchNMF-transform-iterations"] = (
            MiniBatchNMF(2, transform_max_iter=50, random_state=0).fit(np.abs(X)),
            np.abs(X[:5]),
        )
        for solver in ("sgd", "lbfgs", "adam"):
            network = MLPClassifier((8, 8), solver=solver, max_iter=20, random_state=0)
            found[f"MLPClassifier-{solver}"] = (network.fit(X, y), X)
    # Round 64's checks: members accounted for in every shape fit leaves them.
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import IsolationForest, StackingRegressor, VotingRegressor
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    found["HistGradientBoosting-categories-from-dtype"] = _categories_boosting()
    found["HistGradientBoostingRegressor"] = (
        HistGradientBoostingRegressor(max_iter=3).fit(X, X[:, 0]),
        X[:5],
    )
    found["IterativeImputer-of-neighbours"] = _rounds_of_neighbours()
    found["GradientBoosting-init-estimator"] = (
        GradientBoostingRegressor(n_estimators=3, init=LinearRegression()).fit(
            X, X[:, 0]
        ),
        X[:5],
    )
    found["GradientBoosting-default-init"] = _boosting_from_a_guess()
    found["GradientBoostingClassifier-default-init"] = (
        GradientBoostingClassifier(n_estimators=3).fit(X, y),
        X[:5],
    )
    found["ColumnTransformer-estimator-remainder"] = _scaler_remainder()
    found["VotingRegressor-one-dropped"] = (
        VotingRegressor(
            [("a", Ridge()), ("b", "drop"), ("c", KNeighborsRegressor(3))]
        ).fit(X, X[:, 0]),
        X[:5],
    )
    found["StackingRegressor-one-dropped"] = (
        StackingRegressor([("a", Ridge()), ("b", "drop")], cv=2).fit(X, X[:, 0]),
        X[:5],
    )
    found["GridSearchCV-pipeline-nested"] = _pipeline_search()
    pipe = Pipeline([("sc", StandardScaler()), ("clf", KNeighborsClassifier())])
    found["GridSearchCV-pipeline-steps-swapped"] = (
        GridSearchCV(
            pipe,
            [
                {"clf": [LogisticRegression()], "clf__C": [0.5, 1.0]},
                {"clf": [KNeighborsClassifier()], "clf__n_neighbors": [3, 5]},
            ],
            cv=2,
        ).fit(X, y),
        X[:5],
    )
    found["ColumnTransformer-passthrough-drop-remainder"] = (
        _strings_column_transformer()
    )
    from sklearn.calibration import CalibratedClassifierCV

    for method in ("sigmoid", "isotonic"):
        found[f"CalibratedClassifierCV-{method}-three-classes"] = (
            CalibratedClassifierCV(LogisticRegression(), method=method, cv=3).fit(
                X, np.arange(len(X)) % 3
            ),
            X[:5],
        )
    from sklearn.model_selection import KFold, StratifiedKFold

    for name, calibrated in {
        "one-member": CalibratedClassifierCV(LogisticRegression(), ensemble=False),
        "kfold-splits": CalibratedClassifierCV(LogisticRegression(), cv=KFold(4)),
        "stratified-splits": CalibratedClassifierCV(
            LogisticRegression(), cv=StratifiedKFold(3)
        ),
    }.items():
        found[f"CalibratedClassifierCV-{name}"] = (calibrated.fit(X, y), X[:5])
    found["HistGradientBoosting-early-stopped"] = (
        HistGradientBoostingRegressor(max_iter=50, early_stopping=True).fit(
            RS.rand(200, 3), RS.rand(200)
        ),
        X[:5],
    )
    found["CalibratedClassifierCV-listed-split"] = _calibrated_on_one_split()
    found["GaussianProcessClassifier-three-classes"] = _gaussian_classes_of_three()
    found["IsolationForest"] = (
        IsolationForest(n_estimators=5, random_state=0).fit(X),
        X[:5],
    )
    two = RS.rand(len(X), 2)
    from sklearn.ensemble import VotingRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.kernel_ridge import KernelRidge

    found["BaggingRegressor-two-outputs"] = (
        BaggingRegressor(DecisionTreeRegressor(max_depth=4), n_estimators=3).fit(
            X, two
        ),
        X[:5],
    )
    found["BaggingRegressor-kernel-ridge-two-outputs"] = (
        BaggingRegressor(KernelRidge(), n_estimators=2).fit(X, two),
        X[:5],
    )
    found["TransformedTargetRegressor-multi-output"] = _target_regressor_of(
        MultiOutputRegressor(Ridge())
    )()
    found["TransformedTargetRegressor-chain"] = _target_regressor_of(
        RegressorChain(Ridge())
    )()
    found["VotingRegressor-dummy-gaussian"] = (
        VotingRegressor(
            [("d", DummyRegressor()), ("g", GaussianProcessRegressor())]
        ).fit(X, X[:, 0]),
        X[:5],
    )
    found["SparseRandomProjection"] = _projection_of_ten_columns()
    found["ColumnTransformer-one-hot-sparse"] = _one_hot_of_many_categories(300)()
    found["ColumnTransformer-one-hot-dense"] = _one_hot_of_many_categories(3)()
    for kind, block in _sparse_blocks().items():
        # sparse as fit makes them, and dense where few columns encode
        found[f"ColumnTransformer-{kind}-sparse"] = _sparse_block_beside_scaler(block)()
        if kind.startswith("one-hot") and not kind.endswith("projected"):
            found[f"ColumnTransformer-{kind}-dense"] = _sparse_block_beside_scaler(
                block, 3
            )()
    for name, params in {
        "scott": {"bandwidth": "scott"},
        "silverman": {"bandwidth": "silverman", "kernel": "tophat"},
        "float32": {"bandwidth": np.float32(0.5)},
    }.items():
        found[f"KernelDensity-{name}"] = _density(**params)()
    found["IncrementalPCA-sparse"] = _incremental_pca_of_sparse_rows()
    found["LatentDirichletAllocation-default-priors"] = _topics()
    for name, params in {
        "p3": {"p": 3},
        "p1": {"p": 1.0},
        "infinite-p": {"p": np.inf},
        "weighted": {"metric_params": {"w": np.ones(3)}},
        "cosine": {"metric": "cosine"},
    }.items():
        found[f"KNeighborsClassifier-brute-{name}"] = _brute_neighbours(**params)()
    with warnings.catch_warnings():  # more neighbours, quantiles asked than rows
        warnings.simplefilter("ignore", UserWarning)
        found["LocalOutlierFactor-more-neighbours-than-rows"] = (
            _lof_of_many_neighbours()[0].fit(X[:20]),
            X[:5],
        )
        found["QuantileTransformer-more-quantiles-than-rows"] = (
            _quantiles_of_many()[0].fit(X),
            X[:5],
        )
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    found["TransformedTargetRegressor-one-column-multi-output"] = _target_regressor_of(
        MultiOutputRegressor(Ridge()), 1
    )()
    found["TransformedTargetRegressor-scaled-two-outputs"] = (
        TransformedTargetRegressor(
            MultiOutputRegressor(Ridge()), transformer=StandardScaler()
        ).fit(X, two),
        X[:5],
    )
    # A function transformer's keywords as wide as the data, in templates
    # that keep no width of their own (round 176's false positives).
    wide = RS.rand(60, 10)
    mean = FunctionTransformer(
        np.mean, kw_args={"axis": 1, "keepdims": True, "where": np.arange(10) % 3 != 0}
    )
    found["GridSearchCV-function-transformer-keywords-as-wide-as-data"] = (
        GridSearchCV(
            make_pipeline(mean, Ridge()), {"ridge__alpha": [0.1, 1.0]}, cv=3
        ).fit(wide, wide[:, 0]),
        wide[:5],
    )
    found["ColumnTransformer-function-transformer-keywords-as-wide-as-data"] = (
        ColumnTransformer([("m", mean, list(range(10)))]).fit(wide),
        wide[:5],
    )
    # A search's column of a parameter only some candidates set: the others'
    # entries are masked over memory numpy left as it was, here as it held
    # 4.67e-310 in round 178 (refused at random then).
    search = GridSearchCV(
        SVC(),
        [{"kernel": ["linear"], "C": [1, 2]}, {"kernel": ["rbf"], "gamma": [0.1, 1.0]}],
        cv=3,
    ).fit(X, y)
    gamma = search.cv_results_["param_gamma"]
    np.ma.getdata(gamma)[np.ma.getmaskarray(gamma)] = 4.67e-310
    found["GridSearchCV-grids-of-distinct-parameters"] = (search, X[:5])
    # A network fitted with random_state=None keeps numpy's one global
    # generator: 700 members of a multi-output model share it (round 179).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        found["MultiOutputClassifier-networks-sharing-the-global-generator"] = (
            MultiOutputClassifier(MLPClassifier((2,), solver="lbfgs", max_iter=2)).fit(
                X, RS.rand(len(X), 700) > 0.5
            ),
            X[:5],
        )
    # A generator of a seed sequence of a few words and a spawn key.
    seed = np.random.SeedSequence([1, 2], spawn_key=(0, 3))
    found["LogisticRegression-seeded-by-a-seed-sequence"] = (
        LogisticRegression(
            random_state=np.random.RandomState(np.random.PCG64(seed))
        ).fit(X, y),
        X[:5],
    )
    # Gradient boosting gives every tree its one random generator: 600
    # trees refer to it, each reference weighed as a copy of it.
    found["GradientBoostingClassifier-trees-sharing-its-generator"] = (
        GradientBoostingClassifier(n_estimators=200, max_depth=1).fit(
            X, np.arange(len(X)) % 3
        ),
        X[:5],
    )
    found["TransformedTargetRegressor-pca-of-two-targets"] = (
        TransformedTargetRegressor(
            Ridge(), transformer=PCA(1), check_inverse=False
        ).fit(X, two),
        X[:5],
    )
    # Class weights as fit takes them: a number a class, one dict an output.
    found["LogisticRegression-class-weights"] = (
        LogisticRegression(class_weight={0: 1, 1: 2.5, 2: np.float64(0.5)}).fit(
            X, np.arange(len(X)) % 3
        ),
        X[:5],
    )
    found["DecisionTreeClassifier-class-weights-an-output"] = (
        DecisionTreeClassifier(
            class_weight=[{0: 1, 1: 2}, {0: 3, 1: 1, 2: 1}], max_depth=3
        ).fit(X, np.c_[np.arange(len(X)) % 2, np.arange(len(X)) % 3]),
        X[:5],
    )
    # Functions users name (round 184): a metric no named scorer uses, and
    # numpy's element-wise functions that are not ufuncs.
    found["GridSearchCV-scored-by-fbeta"] = (
        GridSearchCV(
            LogisticRegression(),
            {"C": [0.5, 1.0]},
            scoring=make_scorer(fbeta_score, beta=2, average="macro"),
            cv=3,
        ).fit(X, np.arange(len(X)) % 3),
        X[:5],
    )
    found["Pipeline-of-clipped-and-rounded-columns"] = (
        make_pipeline(
            FunctionTransformer(np.clip, kw_args={"a_min": 0.1, "a_max": 0.9}),
            FunctionTransformer(np.round, kw_args={"decimals": 2}),
            FunctionTransformer(np.nan_to_num, kw_args={"nan": 0.0}),
        ).fit(X),
        X[:5],
    )
    # A fixed vocabulary of 60,000 words (a dict) three estimators deep:
    # its display is slow, but no slower than the file it takes to write.
    words = {f"w{i:05d}": i for i in range(60_000)}
    docs = [" ".join(list(words)[i::40][:200]) for i in range(40)]
    found["GridSearchCV-of-a-fixed-vocabulary"] = (
        GridSearchCV(
            make_pipeline(CountVectorizer(vocabulary=words), LogisticRegression()),
            {"logisticregression__C": [0.5, 1.0]},
            cv=2,
        ).fit(docs, np.arange(40) % 2),
        docs[:3],
    )
    # Round 194's false positive: a search's candidate categories, a list
    # of one array of text, in a grid's list (counted three dimensions).
    cities = np.array(
        [[f"city {i % 50}", "red" if i % 3 else "blue"] for i in range(150)]
    )
    found["GridSearchCV-of-explicit-categories"] = (
        GridSearchCV(
            make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression()),
            {
                "onehotencoder__categories": [
                    [np.unique(cities[:, 0]), np.array(["blue", "red"])],
                    "auto",
                ]
            },
            cv=3,
        ).fit(cities, np.arange(150) % 2),
        cities[:3],
    )
    found["HalvingGridSearchCV-over-trees"] = (_halving_over_trees()[0], X[:3])
    found["GridSearchCV-of-five-shuffles"] = (
        GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=ShuffleSplit(5)).fit(X, y),
        X[:3],
    )
    found["RidgeCV-of-a-hundred-repeated-folds"] = (
        RidgeCV(cv=RepeatedKFold(n_splits=10, n_repeats=10)).fit(X, y),
        X[:3],
    )
    return found


INTACT = _intact()


@pytest.mark.parametrize("name", list(INTACT))
def test_intact_model_loads_and_replays(name: str, tmp_path: Path) -> None:
    """No false positive: a model fitted by scikit-learn passes every check,
    replays its probe and gives the same outputs."""
    model, rows = INTACT[name]
    path = tmp_path / "model.joblib"
    ve.save(ve.VersionedEstimator.wrap(model, probe=rows), path)
    loaded = ve.load(path, replay="always", on_drift="error")
    assert loaded.verify().ok
    method = next(
        name
        for name in ("transform", "predict", "score_samples")
        if hasattr(model, name)
    )
    if name.startswith("DummyClassifier-stratified"):
        method = "predict_proba"
    before, after = getattr(model, method)(rows), getattr(loaded, method)(rows)
    if sp.issparse(before):
        before, after = before.toarray(), after.toarray()
    if np.asarray(before).dtype.kind in "USO":  # labels
        np.testing.assert_array_equal(np.asarray(after), np.asarray(before))
        return
    np.testing.assert_allclose(np.asarray(after), np.asarray(before))


def test_keywords_are_read_once_a_container_and_a_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A function's keywords (a scorer's, a transformer's kw_args) shared
    over and over are read once a container (again only met deeper) and
    once a text by its value: one text under 10**6 items, parsed as a
    dtype at each, kept a load past 60 s from 2 MB (round 184); lists
    shared four deep were read path by path (round 183)."""
    from versioned_estimator import _fitted_state

    parsed: list[Any] = []
    real = _fitted_state._wide_dtype

    def counted(value: Any) -> bool:
        parsed.append(value)
        return real(value)

    monkeypatch.setattr(_fitted_state, "_wide_dtype", counted)
    text = [","] * 100_000
    shared: Any = [text] * 50
    assert _fitted_state._arguments((), {"labels": text, "nested": [shared]}) is None
    assert parsed == [","]
    # Equal texts that are distinct objects: parsed once, by value.
    parsed.clear()
    equal = ["".join(["<", "f8"]) for _ in range(1_000)]
    assert len({id(item) for item in equal}) == 1_000
    assert _fitted_state._arguments((), {"labels": equal, "more": [equal]}) is None
    assert parsed == ["<f8"]
    assert _fitted_state._arguments((), {"dtype": "f8", "labels": ["(9,)f8"]})
    for labels in (["(9,)f8"] * 3, [",", [1.0, None], "(9,)f8"], {"a": "(9,)f8"}):
        problem = _fitted_state._arguments((), {"labels": labels})
        assert "many values an item" in str(problem), labels


def test_a_search_grid_is_ranked_by_its_candidates() -> None:
    """A grid lists candidates, each a parameter's value: ranked one by one,
    in a dict or a list of dicts (round 194 refused a list of one array of
    categories, in the grid's list, as three dimensions)."""
    from sklearn.model_selection import GridSearchCV

    from versioned_estimator import _fitted_state

    search = GridSearchCV(OneHotEncoder(), {"categories": [[np.array(["a"])], "auto"]})
    assert _fitted_state._array_ranks(search) is None
    search.param_grid = [{"categories": [np.zeros((2, 3))]}, {"max_categories": [2]}]
    assert _fitted_state._array_ranks(search) is None
    search.param_grid = [{"max_categories": [2]}, {"categories": [np.zeros((2, 3, 1))]}]
    assert "param_grid has 3 dimensions" in str(_fitted_state._array_ranks(search))
    search.param_grid = {"categories": np.zeros((4, 2, 3, 1))}
    assert "param_grid has 3 dimensions" in str(_fitted_state._array_ranks(search))


def test_a_search_asks_at_most_the_candidates_it_records() -> None:
    """A fit of a loaded search runs every candidate of its grid: a fitted
    search's at most its results', an unfitted one's (a wrapper's template)
    at most MAX_CANDIDATES; a randomized search's its draws."""
    from scipy.stats import uniform
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    from versioned_estimator._refit import MAX_CANDIDATES
    from versioned_estimator._refit import candidates_problem as _candidates

    X, y = RS.rand(30, 2), RS.rand(30)
    grid = {"alpha": [0.5, 1.0], "tol": [1e-3, 1e-4]}
    search = GridSearchCV(Ridge(), [grid, {"alpha": [3.0]}], cv=2).fit(X, y)
    assert _candidates(search) is None
    search.param_grid = [grid, {"alpha": [3.0], "tol": [1e-3, 1e-4]}]
    assert "6 candidates, more than its results" in str(_candidates(search))
    values = list(range(10))
    honest = GridSearchCV(Ridge(), dict.fromkeys(["alpha", "tol", "max_iter"], values))
    assert _candidates(honest) is None  # 1,000, unfitted
    honest.param_grid = {**honest.param_grid, "solver": [*"abcdefghijklmnopqrstuvwxyz"]}
    honest.param_grid["positive"] = [True, False, None]
    assert f"at most {MAX_CANDIDATES:,} before a fit" in str(_candidates(honest))
    drawn = RandomizedSearchCV(Ridge(), {"alpha": uniform()}, n_iter=10**6)
    assert "1,000,000 candidates" in str(_candidates(drawn))
    listed = RandomizedSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, n_iter=10**6)
    assert _candidates(listed) is None  # at most the grid's two
    fitted = RandomizedSearchCV(Ridge(), {"alpha": uniform()}, n_iter=3, cv=2)
    assert _candidates(fitted.fit(X, y)) is None


def test_a_splitter_the_rows_decide_is_counted_on_the_fitted_rows(
    tmp_path: Path,
) -> None:
    """Leave-one-out and leave-pairs-out make as many splits as the rows
    decide: on the rows the envelope says the model was fitted on, at most
    those its fit recorded (round 197: LeavePOut(2) beside three recorded
    splits asked a refit on 300 rows for 44,850)."""
    from sklearn.model_selection import GridSearchCV, LeaveOneOut

    X, y = RS.rand(40, 3), RS.rand(40)
    path = tmp_path / "model.joblib"
    honest = GridSearchCV(
        Ridge(),
        {"alpha": [1.0, 2.0]},
        cv=LeaveOneOut(),
        scoring="neg_mean_squared_error",
    )
    ve.save(ve.VersionedEstimator(honest).fit(X, y), path)
    assert ve.load(path).estimator_.n_splits_ == 40
    model = ve.VersionedEstimator(GridSearchCV(Ridge(), {"alpha": [1.0]}, cv=2))
    model.fit(X, y)
    for splitter, count in ((LeaveOneOut(), 40), (LeavePOut(2), 780)):
        model.estimator_.cv = splitter
        ve.save(model, path)
        message = f"whose cv makes {count} splits, more than its fit recorded (2)"
        with pytest.raises(ve.UntrustedGlobalError, match=re.escape(message)):
            ve.load(path)


def test_a_splitter_makes_at_most_the_splits_a_fit_recorded() -> None:
    """A fit of a loaded model makes every split of its cv: a search's,
    RFECV's, a path's or a logistic regression's at most those its fit
    recorded scores of; where a fit records none (RidgeCV, a model before a
    fit), at most MAX_SPLITS; leave-p-out at most pairs."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_selection import RFECV
    from sklearn.linear_model import ElasticNetCV, LogisticRegressionCV
    from sklearn.model_selection import GridSearchCV, LeaveOneOut

    from versioned_estimator._fitted_state import splits_of
    from versioned_estimator._refit import MAX_SPLITS, splits_problem

    X, y = RS.rand(30, 3), RS.rand(30)
    labels = np.arange(30) % 2
    fitted = [
        GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, cv=ShuffleSplit(4)).fit(X, y),
        RFECV(Ridge(), cv=RepeatedKFold(n_splits=2, n_repeats=2)).fit(X, y),
        ElasticNetCV(alphas=3, cv=4).fit(X, y),
        LogisticRegressionCV(
            Cs=2, cv=4, l1_ratios=(0,), scoring="accuracy", use_legacy_attributes=False
        ).fit(X, labels),
    ]
    for model in fitted:
        assert splits_of(model.cv) == 4
        assert splits_problem(model) is None, model
        model.cv = ShuffleSplit(n_splits=5)
        assert "makes 5 splits, more than its fit recorded (4)" in str(
            splits_problem(model)
        )
    calibrated = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(X, labels)
    assert splits_problem(calibrated) is None
    calibrated.cv = ShuffleSplit(n_splits=50)  # within 100, but fitted on 3
    assert "more than its fit recorded (3)" in str(splits_problem(calibrated))
    ridge = RidgeCV(cv=RepeatedKFold(n_splits=10, n_repeats=10)).fit(X, y)
    assert splits_problem(ridge) is None  # 100: the allowance
    ridge.cv = ShuffleSplit(n_splits=MAX_SPLITS + 1)
    assert "where a fit records none" in str(splits_problem(ridge))
    repeated = RepeatedKFold(n_splits=50, n_repeats=50)
    repeated.n_splits = 2  # not what it splits by (round 198): its cvargs are
    assert splits_of(repeated) == 2_500
    pairs = RidgeCV(cv=3).fit(X, y)
    pairs.cv = LeavePOut(2)  # no fit records a RidgeCV's splits, nor its rows here
    assert "leaves out pairs of rows, with no record of its rows" in str(
        splits_problem(pairs)
    )
    shuffled = GridSearchCV(Ridge(), {}, cv=ShuffleSplit(4)).fit(X, y)
    shuffled.cv.n_splits = np.array(100_000)  # read by range() as 100,000
    assert "makes 100,000 splits" in str(splits_problem(shuffled))
    assert splits_problem(GridSearchCV(Ridge(), {}, cv=LeaveOneOut())) is None
    # Pairs of rows: counted on the rows the model was fitted on, which
    # nothing says of a model before a fit.
    assert "no record of its rows" in str(
        splits_problem(GridSearchCV(Ridge(), {}, cv=LeavePOut(2)))
    )
    assert "more than pairs" in str(
        splits_problem(GridSearchCV(Ridge(), {}, cv=LeavePOut(3)))
    )


def test_a_model_asks_at_most_the_members_its_fit_made() -> None:
    """A forest's or bagging model's n_estimators, and a boosting model's
    where it cannot have stopped early, are the members its fit made; a
    boosting model that may have stopped early is not held (documented)."""
    from versioned_estimator._refit import members_problem

    X, y = RS.rand(60, 3), RS.rand(60)
    models = {
        "n_estimators": [
            RandomForestRegressor(n_estimators=4, max_depth=2),
            BaggingRegressor(Ridge(), n_estimators=3),
            GradientBoostingRegressor(n_estimators=5, max_depth=1),
        ],
        "max_iter": [HistGradientBoostingRegressor(max_iter=6, early_stopping=False)],
    }
    for count, fitted in models.items():
        for model in fitted:
            model.fit(X, y)
            assert members_problem(model) is None
            setattr(model, count, getattr(model, count) - 1)
            assert members_problem(model) is None  # fewer: a smaller refit
            setattr(model, count, 1_000)
            assert "asks a fit for 1,000 members where its fit made" in str(
                members_problem(model)
            )
    stopping = GradientBoostingRegressor(n_estimators=50, n_iter_no_change=1)
    stopping.fit(X, y).n_estimators = 1_000
    assert members_problem(stopping) is None


def test_a_template_asks_at_most_the_fits_of_the_fitted_model(
    tmp_path: Path,
) -> None:
    """The wrapper's estimator, changed after its fit, is pickled beside the
    fitted one: it may ask a refit for fewer fits, not more (round 196: a
    template of 20,000 trees beside a forest of 10). A search that keeps no
    best estimator records nothing of its template: at most
    MAX_TEMPLATE_FITS."""
    from sklearn.feature_selection import SequentialFeatureSelector
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import StandardScaler

    from versioned_estimator._refit import MAX_TEMPLATE_FITS, fits_asked, refit_problem

    X, y = RS.rand(40, 3), RS.rand(40)
    path = tmp_path / "model.joblib"
    model = ve.VersionedEstimator(RandomForestRegressor(n_estimators=10, max_depth=2))
    model.fit(X, y)
    model.set_params(estimator__n_estimators=5, estimator__max_depth=3)
    ve.save(model, path)
    assert ve.load(path).estimator.n_estimators == 5
    model.set_params(estimator=make_pipeline(StandardScaler(), Ridge()))
    ve.save(model, path)  # two fits where one was made: a scaler more
    assert isinstance(ve.load(path).estimator, Pipeline)
    model.set_params(estimator=RandomForestRegressor(n_estimators=20_000))
    ve.save(model, path)
    with pytest.raises(ve.UntrustedGlobalError, match="asks for 20,000 fits"):
        ve.load(path)
    assert joblib.load(path).estimator.n_estimators == 20_000  # its maker's

    inner = GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, cv=2)
    outer = GridSearchCV(inner, {"cv": [2, 3]}, cv=2, refit=False)
    wrapped = ve.VersionedEstimator(outer, probe_size=0).fit(X, y)
    ve.save(wrapped, path)
    assert ve.load(path).estimator_.cv_results_["params"] == [{"cv": 2}, {"cv": 3}]
    grid = {"alpha": list(np.linspace(0.1, 10, 64)), "tol": [1e-4, 1e-3] * 5}
    assert fits_asked(GridSearchCV(Ridge(), grid, cv=2)) > MAX_TEMPLATE_FITS
    wrapped.estimator_.estimator.param_grid = grid
    wrapped.estimator.estimator.param_grid = grid
    ve.save(wrapped, path)
    with pytest.raises(ve.UntrustedGlobalError, match="which no fit it keeps"):
        ve.load(path)
    # A sequential feature selector keeps no fit of its estimator either.
    selector = SequentialFeatureSelector(Ridge(), n_features_to_select=1, cv=2)
    selector.fit(X, y)
    assert refit_problem(selector) is None
    selector.estimator = GridSearchCV(Ridge(), grid, cv=2)
    assert "whose estimator asks a fit for 1,281 fits" in str(refit_problem(selector))


def test_a_halving_search_asks_for_the_iterations_its_fit_made() -> None:
    """A fitted successive halving's factor and resources make the
    iterations its fit recorded (round 197: factor=1.0001 made 11,000
    iterations of a search that made four); a template's count its
    iterations and, over another resource than the rows, that resource."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV, HalvingRandomSearchCV

    from versioned_estimator._refit import fits_asked, refit_problem

    X, y = RS.rand(200, 3), RS.rand(200)
    grid = {"alpha": list(np.linspace(0.1, 10, 9))}
    searches = [
        HalvingGridSearchCV(Ridge(), grid, cv=2, factor=2.5),
        HalvingGridSearchCV(Ridge(), grid, cv=2, min_resources="exhaust"),
        HalvingRandomSearchCV(Ridge(), grid, cv=2, n_candidates=6, random_state=0),
        _halving_over_trees()[0],
    ]
    for search in searches:
        search.fit(X, y)
        assert refit_problem(search) is None, search
        search.factor = 1.0001
        assert "whose factor is not what its fit recorded" in str(refit_problem(search))
    trees = _halving_over_trees()[0]
    trees.min_resources = 1
    assert "whose min_resources is not" in str(refit_problem(trees))
    template = clone(trees)
    assert fits_asked(template) == fits_asked(trees)
    template.max_resources = 100_000
    assert fits_asked(template) > 10_000 * fits_asked(trees)


def test_a_search_candidate_that_fits_is_a_template() -> None:
    """An estimator or a splitter among a search's candidates is a
    template no fit keeps (round 197: {"cv": [3, ShuffleSplit(100000)]})."""
    from sklearn.model_selection import GridSearchCV

    from versioned_estimator._refit import refit_problem

    inner = GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, cv=3)
    outer = GridSearchCV(inner, {"cv": [3, ShuffleSplit(100)]}, cv=2)
    assert refit_problem(outer) is None
    outer.param_grid = {"cv": [3, ShuffleSplit(100_000)]}
    assert "holds a ShuffleSplit of more than 100 splits" in str(refit_problem(outer))
    choices = np.empty(2, dtype=object)
    choices[:] = [Ridge(), RandomForestRegressor(n_estimators=5_000)]
    outer = GridSearchCV(make_pipeline(Ridge()), {"ridge": choices})
    assert "holds a RandomForestRegressor of 5,000 fits" in str(refit_problem(outer))
    outer.param_grid = {"ridge": [LeavePOut(3)]}
    assert "more than 100 splits" in str(refit_problem(outer))
    forest = RandomForestRegressor(n_estimators=20_000)
    outer.param_grid = {"steps": [[("ridge", Ridge())], [("ridge", forest)]]}
    assert "holds a RandomForestRegressor of 20,000 fits" in str(refit_problem(outer))


def test_a_template_counts_its_path_and_its_feature_steps() -> None:
    """A path's points (Cs, alphas, l1_ratio) are fits on every split, and
    a feature selector fits once a step over the columns: a template that
    asks for more than its fitted model is refused (round 198: Cs=100000
    beside a fitted Cs of 3; recursive elimination of 200 columns one at a
    time beside a fitted ridge)."""
    from sklearn.feature_selection import RFE, SequentialFeatureSelector
    from sklearn.linear_model import ElasticNetCV, LogisticRegressionCV

    from versioned_estimator._refit import refit_problem, template_problem

    X, y = RS.rand(60, 40), np.arange(60) % 2
    cv_model = LogisticRegressionCV(
        Cs=3, cv=2, l1_ratios=(0,), scoring="accuracy", use_legacy_attributes=False
    ).fit(X, y)
    assert template_problem(cv_model, clone(cv_model).set_params(Cs=6)) is None
    template = clone(cv_model).set_params(Cs=100_000)
    assert "asks for 300,000 fits (the fitted model: 9)" in str(
        template_problem(cv_model, template)
    )
    ridge = Ridge().fit(X, y)
    for selector in (
        RFE(Ridge(), n_features_to_select=1),
        SequentialFeatureSelector(RandomForestRegressor(n_estimators=7), cv=2),
    ):
        assert "the fitted model: 1)" in str(template_problem(ridge, selector))
    net = ElasticNetCV(l1_ratio=0.5, cv=3).fit(X[:, :3], RS.rand(60))
    ratios = clone(net).set_params(l1_ratio=[0.1, 0.5, 0.9])
    assert template_problem(net, ratios) is None  # three paths where one was
    net.l1_ratio = list(np.linspace(0.05, 1, 400))
    assert "l1_ratio asks a fit for 400 points of its path where its fit made 1" in (
        str(refit_problem(net))
    )


def test_round_199_refits_are_held_to_the_fit(tmp_path: Path) -> None:
    """Round 199: a recursive elimination's step, a halving search switched
    from rows to trees, leave-one-out where no split is recorded, and an
    unfitted model where a fit belongs, each held to what the fit made."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.feature_selection import RFE, RFECV, SequentialFeatureSelector
    from sklearn.model_selection import HalvingGridSearchCV, LeaveOneOut

    from versioned_estimator._refit import refit_problem

    X, y = RS.rand(120, 30), RS.rand(120)
    for model in (
        RFE(Ridge(), n_features_to_select=2, step=10),
        RFECV(Ridge(), step=0.3, cv=2),
    ):
        model.fit(X, y)
        assert refit_problem(model) is None
        model.step = 1
        assert "whose step asks a fit for" in str(refit_problem(model))
    rows = HalvingGridSearchCV(
        RandomForestRegressor(n_estimators=3, random_state=0),
        {"max_depth": [2, 3, 4]},
        cv=2,
        random_state=0,
    ).fit(X[:, :3], y)
    assert refit_problem(rows) is None
    rows.resource = "n_estimators"
    rows.max_resources, rows.min_resources = rows.max_resources_, rows.min_resources_
    assert "whose resource is not what its fit recorded" in str(refit_problem(rows))
    path = tmp_path / "model.joblib"
    selecting = ve.VersionedEstimator(
        make_pipeline(SequentialFeatureSelector(Ridge(), n_features_to_select=2))
    ).fit(X[:, :4], y)
    selecting.estimator_.steps[0][1].cv = LeaveOneOut()  # 120 rows, none recorded
    ve.save(selecting, path)
    with pytest.raises(ve.UntrustedGlobalError, match="makes 120 splits"):
        ve.load(path)
    model = ve.VersionedEstimator(Ridge()).fit(X, y)
    model.estimator_ = SequentialFeatureSelector(RandomForestRegressor(1_000), cv=3)
    ve.save(model, path)
    with pytest.raises(ve.UntrustedGlobalError, match="unfitted Sequential"):
        ve.load(path)


def test_round_200_refits_are_held_to_the_fit() -> None:
    """Round 200: a tuned threshold's thresholds, a graphical lasso's grid
    and refinements, a recursive elimination's target, a halving's
    ``"exhaust"``, and splits wrapped as a tuple, held to what the fit
    recorded (or to an allowance where it keeps nothing)."""
    from sklearn.covariance import GraphicalLassoCV
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.feature_selection import RFE
    from sklearn.model_selection import (
        GridSearchCV,
        HalvingRandomSearchCV,
        TunedThresholdClassifierCV,
    )
    from sklearn.model_selection._split import _CVIterableWrapper

    from versioned_estimator._refit import MAX_THRESHOLDS, refit_problem

    X, y, labels = RS.rand(200, 6), RS.rand(200), np.arange(200) % 2
    tuned = TunedThresholdClassifierCV(LogisticRegression(), cv=3).fit(X, labels)
    kept = TunedThresholdClassifierCV(
        LogisticRegression(), thresholds=50, cv=3, store_cv_results=True
    ).fit(X, labels)
    lasso = GraphicalLassoCV(alphas=4, n_refinements=2, cv=3).fit(X)
    wide = RS.rand(100, 40)
    eliminated = RFE(Ridge(), n_features_to_select=39).fit(wide, y[:100])
    grid = {"max_depth": list(range(1, 41)), "min_samples_leaf": list(range(1, 41))}
    halving = HalvingRandomSearchCV(
        DecisionTreeRegressor(),
        grid,
        n_candidates=3,
        cv=3,
        scoring="neg_mean_squared_error",
        random_state=0,
    ).fit(X, y)
    changes = [
        (tuned, "thresholds", MAX_THRESHOLDS + 1, "where its fit keeps none"),
        (kept, "thresholds", 51, "51 points of its path where its fit made 50"),
        (lasso, "alphas", 2_000, "4,000 points of its path where its fit made 9"),
        (lasso, "n_refinements", 3, "12 points of its path"),
        (eliminated, "n_features_to_select", 1, "39 steps where its fit made 1"),
        (halving, "n_candidates", "exhaust", "more than its results record"),
    ]
    for model, name, value, message in changes:
        assert refit_problem(model) is None, model
        honest = getattr(model, name)
        setattr(model, name, value)
        assert message in str(refit_problem(model)), refit_problem(model)
        setattr(model, name, honest)
    search = GridSearchCV(Ridge(), {}, cv=2).fit(X, y)
    search.cv = _CVIterableWrapper([])
    search.cv.cv = ((np.arange(3), np.arange(3, 6)),) * 500
    assert "makes 500 splits" in str(refit_problem(search))


def test_a_halving_search_sets_its_resource_beside_the_grid() -> None:
    """Successive halving over a resource other than the rows sets it on
    every candidate: the best parameters name it beside the grid's (round
    196's false positive), and name no other key."""
    from versioned_estimator._class_checks import _best_params

    search = _halving_over_trees()[0]
    assert "n_estimators" in search.best_params_
    assert _best_params(search) is None
    search.best_params_ = {**search.best_params_, "min_samples_leaf": 3}
    assert "not a candidate" in str(_best_params(search))


def test_plain_items_are_sorted_by_type_before_any_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Round 187: a fitted attribute of 4 x 10**7 Nones, a byte of stream
    each, was ranked item by item and scanned opcode by opcode (28 times an
    honest file's time). A list of plain values is sorted out by type in C;
    a list holding lists is still ranked. The scan takes a run of one-byte
    constants at once, and refuses what it refused before: runs cut by a
    frame's end (as the unpickler does) or by the count of opcodes a
    compressed file allows."""
    from versioned_estimator import _fitted_state
    from versioned_estimator._inner import Refusal, scan_stream

    ranked: list[Any] = []
    real = _fitted_state._numeric_rank

    def counted(value: Any) -> int | None:
        ranked.append(value)
        return real(value)

    monkeypatch.setattr(_fitted_state, "_numeric_rank", counted)
    model = LogisticRegression().fit(RS.rand(20, 3), np.arange(20) % 2)
    model.notes_ = [None] * 100_000
    assert _fitted_state._array_ranks(model) is None
    assert not any(value is None for value in ranked)
    model.notes_ = [None] * 100_000 + [[[[1.0]]]]
    assert "notes_ has 3 dimensions" in str(_fitted_state._array_ranks(model))

    stream = pickle.dumps([None, True, (), False] * 50_000 + [1], protocol=5)
    scan_stream(stream, 0)
    with pytest.raises(Refusal, match="more than 1,000 opcodes"):
        scan_stream(stream, 0, most_ops=1_000)
    # A frame that ends inside a run: the rest is read after it, as the
    # unpickler reads it; one opcode more than the stream holds is refused.
    body = pickle.dumps([None] * 10, protocol=4)[11:]  # no PROTO, no FRAME
    framed = b"\x80\x04\x95" + struct.pack("<Q", len(body) - 5) + body
    assert pickle.loads(framed) == [None] * 10
    scan_stream(framed, 0)
    with pytest.raises(Refusal, match="more than 12 opcodes"):
        scan_stream(framed, 0, most_ops=12)


def test_a_restore_that_fails_on_its_state_is_not_called_a_missing_class(
    tmp_path: Path,
) -> None:
    """An estimator given an empty (dict, slots) pair as its state passes
    the dry run (an object made by its class may have slots) and fails in
    scikit-learn's restore, which takes a dict: the error says so, not that
    a class is missing (round 187)."""
    import copyreg
    import io

    X, y = RS.rand(20, 3), np.arange(20) % 2
    model = LogisticRegression().fit(X, y)
    wrapped = ve.VersionedEstimator.wrap(model, probe=X[:3])

    class Pairs(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if obj is model:
                return (copyreg.__newobj__, (LogisticRegression,), ({}, {}))
            return NotImplemented

    out = io.BytesIO()
    Pairs(out, protocol=5).dump(model)
    path = tmp_path / "model.joblib"
    joblib.dump(forge(wrapped, stream=out.getvalue(), buffers=[]), path)
    with pytest.raises(ve.InnerLoadError) as caught:
        ve.load(path)
    assert "unpickling failed with AttributeError" in str(caught.value)
    assert "is missing" not in str(caught.value)


def test_a_list_of_empty_texts_is_one_character_wide(tmp_path: Path) -> None:
    """The bound on lists of text divides by the widest text: a scorer's
    keywords holding only empty texts made it a ZeroDivisionError out of
    ``load()`` (round 185); numpy makes such a list one character wide."""
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import GridSearchCV

    X, y = RS.rand(30, 3), np.arange(30) % 2
    search = GridSearchCV(LogisticRegression(), {"C": [0.5, 1.0]}, cv=2).fit(X, y)
    search.scoring = search.scorer_ = make_scorer(f1_score, labels=["", ""])
    path = tmp_path / "model.joblib"
    ve.save(ve.VersionedEstimator.wrap(search, probe=X[:3]), path)
    loaded = ve.load(path)
    np.testing.assert_array_equal(loaded.predict(X[:3]), search.predict(X[:3]))


def test_a_parameter_validated_once_is_judged_alike_after() -> None:
    """Validation of a plain parameter value is kept per class and value (a
    forest's trees share their settings): a value refused once is refused
    again, and a value judged for one parameter is not taken for another."""
    X, y = RS.rand(20, 2), RS.rand(20) > 0.5
    trees = [DecisionTreeClassifier(max_depth=3).fit(X, y) for _ in range(2)]
    assert [check_structure(tree) for tree in trees] == [None, None]
    for tree in trees:
        tree.criterion = "fit"  # no criterion, and a method's name
        problem = check_structure(tree)
        assert problem is not None
        assert "parameters scikit-learn refuses" in problem
    trees[1].criterion = "gini"
    assert check_structure(trees[1]) is None
    trees[1].ccp_alpha = 0  # valid here, and refused as a leaf count:
    trees[1].min_samples_leaf = 0
    problem = check_structure(trees[1])
    assert problem is not None
    assert "min_samples_leaf" in problem


def test_every_intact_family_is_checked() -> None:
    """The intact models above do reach the checks: each corrupted copy of
    them is refused in memory, so their passing is not for lack of a check."""
    model = INTACT["KMeans"][0]
    assert check_structure(model) is None
    model._n_threads, saved = 0, model._n_threads
    try:
        assert "threads" in (check_structure(model) or "")
    finally:
        model._n_threads = saved


# -- the checks, one by one, in memory -------------------------------------


def test_checks_leave_the_model_as_the_file_holds_it(tmp_path: Path) -> None:
    """Round 50: the sparse check ran scipy's ``check_format``, which makes a
    matrix's data native and its index arrays of one type in place: a copy a
    matrix when many share one array (2.4 GB from 6 MB), and a model that
    passed was not the file's any more. Checks only read."""
    from sklearn.random_projection import SparseRandomProjection

    X = RS.rand(40, 300)
    model = SparseRandomProjection(n_components=20, density=0.3, random_state=0)
    model.fit(X)
    expected = model.transform(X[:5])
    model.components_.data = model.components_.data.astype(">f8")
    path = tmp_path / "model.joblib"
    ve.save(ve.VersionedEstimator.wrap(model, probe=X[:5]), path)
    loaded = ve.load(path, replay="always", on_drift="error")
    assert loaded.estimator_.components_.data.dtype == np.dtype(">f8")
    np.testing.assert_allclose(loaded.transform(X[:5]), expected)


def test_one_knot_vector_under_every_spline_is_read_once(tmp_path: Path) -> None:
    """Round 50: 200,000 B-splines over one knot vector of a million knots (a
    few bytes of file each): the check of every spline read all the knots,
    past a minute. What a check reads over an array alone it reads once per
    array while a walk lasts: 100,000 splines over two million knots are
    checked in seconds (in a child process: the previous code ran past the
    minute given to it). Round 51: a spline transformer whose features share
    one knot vector is refused, whatever its checks cost."""
    code = textwrap.dedent(
        """
        import numpy as np
        from scipy.interpolate import BSpline
        from versioned_estimator._structures import check_structure, covering

        knots = np.linspace(-1.0, 2.0, 2_000_000)
        coefficients = np.ones((len(knots) - 2, 1))
        one = BSpline.construct_fast
        splines = [one(knots, coefficients, 1) for _ in range(100_000)]
        with covering():
            print(sum(check_structure(s) is None for s in splines))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["100000"]
    from scipy.interpolate import BSpline

    X = RS.rand(4, 30)
    model = SplineTransformer(n_knots=2, degree=1).fit(X)
    first = model.bsplines_[0]
    model.bsplines_ = [
        BSpline.construct_fast(first.t, first.c, 1) for _ in model.bsplines_
    ]
    path = tmp_path / "model.joblib"
    ve.save(ve.VersionedEstimator.wrap(model), path)
    with pytest.raises(ve.UntrustedGlobalError, match="share one knot vector"):
        ve.load(path)


def test_compiled_callable_parameter_is_named() -> None:
    from sklearn.utils import murmurhash3_32

    assert type(murmurhash3_32).__name__ == "cython_function_or_method"
    problem = check_structure(FunctionTransformer(func=murmurhash3_32))
    assert problem is not None
    assert "func is the compiled function" in problem
    assert "murmurhash3_32" in problem


def test_public_python_callables_pass() -> None:
    from functools import partial

    from sklearn.feature_selection import SelectKBest, f_classif

    assert check_structure(SelectKBest(f_classif)) is None
    assert check_structure(FunctionTransformer(partial(check_array))) is None
    problem = check_structure(FunctionTransformer(partial(_short_idf)))
    assert problem is not None
    assert "private function" in problem


def _hgb_three_stages() -> Any:
    X = np.c_[RS.rand(200, 3), RS.randint(0, 4, 200)]
    y = X[:, 0] + X[:, 3] + RS.rand(200)
    model = HistGradientBoostingRegressor(max_iter=3, categorical_features=[3])
    return model.fit(X, y)


@pytest.mark.parametrize("field", ["left", "right"])
def test_predictors_checked_together_each_in_its_own_tree(field: str) -> None:
    """The model's predictors are checked in one batch: a child index that
    points into the next tree's nodes (inside the batch, outside its own
    tree) or back to its parent is refused, for any tree of the model."""
    from versioned_estimator._structures import covering

    model = _hgb_three_stages()
    assert check_structure(model) is None
    nodes = model._predictors[1][0].nodes
    split = np.flatnonzero(nodes["is_leaf"] == 0)
    for value in (len(nodes), split[0]):
        saved = nodes[field].copy()
        nodes[field][split[0]] = value
        try:
            assert "point outside it" in (check_structure(model) or "")
            # the lone predictor's own check says the same
            assert "point outside it" in (
                check_structure(model._predictors[1][0]) or ""
            )
        finally:
            nodes[field] = saved
    assert check_structure(model) is None
    # A predictor the model covered is not checked again alone; one elsewhere is.
    stray = pickle.loads(pickle.dumps(model._predictors[0][0]))
    stray.nodes[field][np.flatnonzero(stray.nodes["is_leaf"] == 0)[0]] = 0
    with covering():
        assert check_structure(model) is None
        assert check_structure(model._predictors[0][0]) is None
        assert "point outside it" in (check_structure(stray) or "")


def test_predictor_features_and_categories_inside_the_model() -> None:
    model = _hgb_three_stages()
    nodes = model._predictors[2][0].nodes
    split = np.flatnonzero(nodes["is_leaf"] == 0)
    saved = nodes.copy()
    nodes["feature_idx"][split[-1]] = 4  # the model has 4 features
    assert "point outside it" in (check_structure(model) or "")
    nodes[:] = saved
    categorical = np.flatnonzero(
        (nodes["is_leaf"] == 0) & (nodes["is_categorical"] == 1)
    )
    if categorical.size:
        nodes["bitset_idx"][categorical[0]] = 10**6
        assert "categories point outside" in (check_structure(model) or "")
        nodes[:] = saved
    assert check_structure(model) is None


def test_tree_depth_and_parents() -> None:
    """A decision tree whose recorded depth is not its depth (shallower: a
    decision_path written past its rows; deeper: one asked for by every
    node), or with a node of two parents, is refused; the tree's own depth
    pass agrees with the fit."""
    from sklearn.tree import DecisionTreeRegressor

    X = RS.rand(300, 3)
    tree = DecisionTreeRegressor(random_state=0).fit(X, X[:, 0])
    assert check_structure(tree.tree_) is None
    state = tree.tree_.__getstate__()
    state["max_depth"] = tree.tree_.max_depth - 1
    shallow = pickle.loads(pickle.dumps(tree.tree_))
    shallow.__setstate__(state)
    assert "recorded depth is not its depth" in (check_structure(shallow) or "")
    state["max_depth"] = tree.tree_.node_count - 1
    deep = pickle.loads(pickle.dumps(tree.tree_))
    deep.__setstate__(state)
    assert "recorded depth is not its depth" in (check_structure(deep) or "")
    state = tree.tree_.__getstate__()
    nodes = state["nodes"].copy()
    inner = np.flatnonzero(nodes["left_child"] != -1)
    # the last split's two children are one node, counted twice
    nodes["right_child"][inner[-1]] = nodes["left_child"][inner[-1]]
    twice = pickle.loads(pickle.dumps(tree.tree_))
    twice.__setstate__({**state, "nodes": nodes})
    assert "more than one parent" in (check_structure(twice) or "")


def test_transform_iterations_over_the_replayed_rows() -> None:
    """A transform's iterations are capped a row and over all the probe rows
    a load replays (round 18: NMF with max_iter=100,000 and zero tolerance
    over 200,000 probe rows ran past a minute from a 3 KB file)."""
    from sklearn.decomposition import NMF

    from versioned_estimator._class_checks import (
        MAX_REPLAY_ITERATIONS,
        MAX_TRANSFORM_ITERATIONS,
        REPLAY_ROWS,
    )

    model = NMF(2, max_iter=MAX_TRANSFORM_ITERATIONS, tol=0.0).fit(RS.rand(8, 3))
    assert check_structure(model) is None  # one row, the per-row cap
    token = REPLAY_ROWS.set(5)  # sklearn's defaults over the default probe
    try:
        assert check_structure(model) is None
    finally:
        REPLAY_ROWS.reset(token)
    token = REPLAY_ROWS.set(MAX_REPLAY_ITERATIONS // MAX_TRANSFORM_ITERATIONS + 1)
    try:
        assert "probe rows a load replays" in (check_structure(model) or "")
        model.max_iter = 200  # the default, over as many rows
        assert check_structure(model) is None
    finally:
        REPLAY_ROWS.reset(token)


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        (r"(?u)\b\w\w+\b", False),  # scikit-learn's default
        (r"\S+", False),
        (r"(a|aa)+$", True),  # exponential backtracking
        ("(?u)" + "[^!]*" * 12 + "!", True),  # polynomial, no nesting (round 19)
        (r"[a-z]+(?:-[a-z]+)*", True),  # linear, but not a reviewed one
    ],
)
def test_token_patterns(pattern: str, refused: bool) -> None:
    vectorizer = TfidfVectorizer(token_pattern=pattern)
    problem = check_structure(vectorizer)
    assert (problem is not None) is refused, problem


def test_sparse_outputs_are_cut_before_they_are_made_dense() -> None:
    """Round 19: the replay made a 2**25-wide sparse output dense (1.25 GiB
    twice) before cutting it to the saved columns, and the MemoryError of
    the comparison escaped load()."""
    from versioned_estimator._probe import MAX_OUTPUT_VALUES, _found

    wide = sp.random(3, 2**25, density=1e-7, format="csr", random_state=0)
    cut = _found(wide, 100)
    assert cut.shape == (3, 100)
    np.testing.assert_array_equal(cut, wide[:, :100].toarray())
    uncut = _found(wide, None)  # wider than any saved output: its shape only
    assert uncut.shape == (3, 2**25)
    assert uncut.strides == (0, 0)
    assert MAX_OUTPUT_VALUES < 3 * 2**25


def test_ngrams_over_the_replayed_text() -> None:
    """Round 20: a char n-gram range over the probe's text is bounded (a
    100,000-character document at (1, 100) made 10 million strings at load)."""
    from versioned_estimator._class_checks import MAX_REPLAY_NGRAMS, REPLAY_TEXT

    vectorizer = CountVectorizer(analyzer="char", ngram_range=(1, 100)).fit(TEXT)
    assert check_structure(vectorizer) is None  # no probe text
    token = REPLAY_TEXT.set(MAX_REPLAY_NGRAMS // 100 + 1)
    try:
        assert "characters of text the probe replays" in (
            check_structure(vectorizer) or ""
        )
        vectorizer.ngram_range = (1, 5)
        assert check_structure(vectorizer) is None
    finally:
        REPLAY_TEXT.reset(token)


def test_load_bounds_ngrams_over_its_probe_text(tmp_path: Path) -> None:
    """The load tells the walk how much text its probe replays."""
    document = "the cat sat on the mat " * 2_500  # 57,500 characters
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(1, 100))
    path = tmp_path / "model.joblib"
    ve.save(
        ve.VersionedEstimator.wrap(vectorizer.fit([document]), probe=[document]), path
    )
    with pytest.raises(ve.UntrustedGlobalError, match="characters of text"):
        ve.load(path)
    vectorizer.set_params(ngram_range=(1, 3))
    ve.save(
        ve.VersionedEstimator.wrap(vectorizer.fit([document]), probe=[document]), path
    )
    assert ve.load(path).transform([document]).shape[0] == 1


def test_random_state_key_and_position() -> None:
    state = np.random.RandomState(0).get_state(legacy=False)
    assert _bit_generator_state(state) is None
    state["state"]["pos"] = 624
    assert _bit_generator_state(state) is None
    state["state"]["pos"] = 625
    assert "position" in (_bit_generator_state(state) or "")
    state["state"]["pos"] = 0
    state["state"]["key"] = state["state"]["key"][:10]
    assert "position" in (_bit_generator_state(state) or "")
    generator = np.random.default_rng(0)
    assert check_structure(generator) is None


def test_sparse_pointers_out_of_order() -> None:
    matrix = sp.csr_matrix(np.eye(3))
    assert check_structure(matrix) is None
    matrix.indptr = np.array([0, 2, 1, 3], dtype=np.int32)
    assert "sparse matrix" in (check_structure(matrix) or "")


def test_thread_count_bound() -> None:
    model = KMeans(2, n_init=1).fit(RS.rand(10, 2))
    model._n_threads = MAX_THREADS
    assert check_structure(model) is None
    model._n_threads = MAX_THREADS + 1
    assert "threads" in (check_structure(model) or "")


def test_probe_replay_runs_sequentially(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's n_jobs does not start workers during the check."""
    model, rows = INTACT["MultiOutputRegressor-n_jobs"]
    path = tmp_path / "model.joblib"
    ve.save(ve.VersionedEstimator.wrap(model, probe=rows), path)
    backends: list[str] = []
    original = joblib.Parallel.__call__

    def spy(self: Any, iterable: Any) -> Any:
        backends.append(type(self._backend).__name__)
        return original(self, iterable)

    monkeypatch.setattr(joblib.Parallel, "__call__", spy)
    loaded = ve.load(path, replay="always", on_drift="error")
    assert set(backends) == {"SequentialBackend"}
    backends.clear()
    loaded.predict(rows)  # the caller's own calls keep the model's n_jobs
    assert backends
    assert "SequentialBackend" not in backends


def test_outputs_sized_by_parameters_alone_are_capped() -> None:
    """A polynomial expansion or a count sketch whose parameters alone make
    a row wider than the cap is refused: a 2 KB file must not allocate
    gigabytes a row (a legitimately fitted one included)."""
    wide = PolynomialFeatures(degree=10).fit(np.zeros((1, 25)))
    assert "183579396 output columns" in (check_structure(wide) or "")
    assert check_structure(PolynomialFeatures(degree=3).fit(np.zeros((1, 25)))) is None
    sketch = PolynomialCountSketch(n_components=2**24, degree=5).fit(np.zeros((2, 3)))
    assert "at most 16777216 values a row" in (check_structure(sketch) or "")


def test_callable_kernel_support_is_held_to_the_data() -> None:
    """A callable kernel keeps no vectors: libsvm reads the kernel it computes
    against the training rows at the support's positions."""
    from sklearn.metrics.pairwise import rbf_kernel

    X = RS.rand(30, 3)
    model = SVC(kernel=rbf_kernel).fit(X, (X[:, 0] > 0.5).astype(int))
    assert check_structure(model) is None
    model.support_ = model.support_.copy()
    model.support_[0] = 10**9
    assert "support points outside its data" in (check_structure(model) or "")


def test_callable_kernel_rows_are_the_data_fit_was_given(tmp_path: Path) -> None:
    """Every predict of a callable kernel's model computes the kernel against
    the training rows it keeps: None there is the caller's own rows (round
    101: 3.4 GiB asked from an 8 KB file), and no more rows than the
    envelope's."""
    from scipy import sparse
    from sklearn.gaussian_process.kernels import RBF

    X = RS.rand(200, 3)
    y = (X[:, 0] > 0.5).astype(int)
    model = SVC(kernel=RBF()).fit(X, y)
    assert check_structure(model) is None
    for rows in (None, X[:, :2], sparse.csr_matrix((10**6, 3)), np.float64(1.0)):
        broken = SVC(kernel=RBF()).fit(X, y)
        broken.__dict__["_BaseLibSVM__Xfit"] = rows
        assert "kernel's rows are not its data" in (check_structure(broken) or "")
    wrapped = ve.VersionedEstimator(SVC(kernel=RBF())).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(wrapped, path)
    assert ve.load(path).predict(X[:3]).shape == (3,)
    inner = wrapped.estimator_
    inner.__dict__["_BaseLibSVM__Xfit"] = np.zeros((1500, 3))
    inner.shape_fit_ = (1500, 3)
    joblib.dump(wrapped, path)
    with pytest.raises(ve.UntrustedGlobalError, match="kernel's rows are 1500"):
        ve.load(path)


def test_keyword_arrays_are_held_to_the_data_and_to_their_rank() -> None:
    """An argument the file gives a function broadcasts against the data:
    no axis wider than the data (or a few values), no more dimensions than
    it. Scikit-learn's own uses of such arguments pass."""
    X = RS.rand(10, 3)
    model = FunctionTransformer(np.mean).fit(X)  # a reduction: where= leaves out
    for where, refusal in (
        (np.ones((1, 9), dtype=bool), "an array of 9 values along an axis"),
        ([[True] * 9], "an array of 9 values along an axis"),
        ([[[True]]] * 3, "kw_args has 3 dimensions"),
    ):
        model.kw_args = {"axis": 1, "where": where}
        assert refusal in (check_structure(model) or ""), where
    model.kw_args = {"axis": 1, "where": np.ones((1, 3), dtype=bool)}
    assert check_structure(model) is None
    model.kw_args = {"axis": 1, "where": [True] * 8}  # short, beyond the width
    assert check_structure(model) is None
    # A ufunc's where= leaves the rest of its output unset (round 185), as
    # a transformer's function, a metric or a scorer's metric.
    model.func = np.exp
    assert "leaves the output unset" in (check_structure(model) or "")
    for metric_params in ({"dtype": "f8"}, {"where": np.ones(3, dtype=bool)}):
        knn = KNeighborsClassifier(
            algorithm="brute", metric=np.hypot, metric_params=metric_params
        ).fit(X, np.arange(10) % 2)
        problem = check_structure(knn)
        assert (problem is None) == ("where" not in metric_params), problem
        assert "where" not in metric_params or "output unset" in str(problem)
    from sklearn.metrics import make_scorer

    scorer = make_scorer(np.add, where=np.ones(3, dtype=bool))
    assert "leaves the output unset" in (check_structure(scorer) or "")
    knn = KNeighborsClassifier(
        metric="mahalanobis", metric_params={"VI": np.eye(3)}, algorithm="brute"
    ).fit(X, np.arange(10) % 2)
    assert check_structure(knn) is None


def test_a_read_only_view_is_only_of_the_buffer_just_taken() -> None:
    """Round 49: pickle writes READONLY_BUFFER only right after NEXT_BUFFER.
    After a memoized bytearray (or a buffer fetched again) it makes a new
    view of data the stream already used, a new object each time: one
    block under a thousand trees, unseen by a check of data by identity."""
    from versioned_estimator._inner import Refusal, scan_stream

    block = np.arange(100.0)
    honest = pickle.dumps(
        [pickle.PickleBuffer(block.data.toreadonly())],
        protocol=5,
        buffer_callback=lambda b: False,
    )
    assert b"\x97\x98" in honest  # NEXT_BUFFER READONLY_BUFFER
    scan_stream(honest, 1)
    data = bytes(800)
    crafted = (
        b"\x80\x05"  # PROTO 5
        + b"\x96"  # BYTEARRAY8
        + len(data).to_bytes(8, "little")
        + data
        + b"\x94"  # MEMOIZE
        + b"\x98"  # READONLY_BUFFER of the bytearray
        + b"h\x00"  # BINGET 0
        + b"\x98"  # and again: a second view of the same bytes
        + b"\x86."  # TUPLE2 STOP
    )
    first, second = pickle.loads(crafted)
    assert first is not second  # what a check by identity misses
    assert first.obj is second.obj
    with pytest.raises(Refusal, match="read-only view of data other than"):
        scan_stream(crafted, 0)


def test_memory_mapped_buffers_are_data_too(tmp_path: Path) -> None:
    """A memory-mapped load hands the dry run np.memmap buffers: used twice,
    they are noticed, and counted by their bytes (by exact type, a forest
    over one shared tree state loaded with ``mmap_mode="r"``)."""
    from versioned_estimator._inner import DryRun, expanded_size

    mapped = np.memmap(tmp_path / "b", mode="w+", shape=(1000,), dtype=np.uint8)
    assert type(mapped) is not np.ndarray
    dry = DryRun(None)
    dry.own((mapped,), False)
    assert not dry.shares
    dry.own((mapped,), False)
    assert dry.shares
    assert expanded_size([mapped, mapped]) == 2001


def _more_rows(array: Any, rows: int) -> Any:
    return np.resize(array, (rows, *np.shape(array)[1:]))


@pytest.mark.parametrize(
    ("name", "build", "attributes"),
    [
        ("MeanShift", lambda: _cluster("MeanShift"), ("cluster_centers_",)),
        (
            "AffinityPropagation",
            lambda: _cluster("AffinityPropagation"),
            ("cluster_centers_",),
        ),
        ("Birch", lambda: _cluster("Birch"), ("subcluster_centers_",)),
        (
            "KernelPCA",
            lambda: _kernel_pca_inverting(),
            ("X_transformed_fit_", "dual_coef_"),
        ),
    ],
)
def test_rows_kept_are_held_to_the_envelope(
    name: str, build: Callable[[], Any], attributes: tuple[str, ...], tmp_path: Path
) -> None:
    """Round 60: rows (or centres drawn from them) that some options keep,
    which no group of the shapes table names, are no more than the rows the
    envelope says the wrapper was fitted on (400,000 mean-shift centres
    beside 100 rows made predict 1,250 times slower)."""
    X = RS.rand(100, 2)
    wrapper = ve.VersionedEstimator(build()).fit(X)
    path = tmp_path / "model.joblib"
    ve.save(wrapper, path)
    ve.load(path)  # as fitted: loads
    inner = wrapper.estimator_
    for attribute in attributes:
        setattr(inner, attribute, _more_rows(getattr(inner, attribute), 1_000))
    if name == "Birch":  # its centres' own arrays, as many
        inner._subcluster_norms = _more_rows(inner._subcluster_norms, 1_000)
        inner.subcluster_labels_ = _more_rows(inner.subcluster_labels_, 1_000)
    ve.save(wrapper, path)
    with pytest.raises(ve.UntrustedGlobalError, match="its envelope says 100"):
        ve.load(path)


def _cluster(name: str) -> Any:
    from sklearn import cluster

    kind = getattr(cluster, name)
    return kind(n_clusters=None) if name == "Birch" else kind()


def _kernel_pca_inverting() -> Any:
    from sklearn.decomposition import KernelPCA

    return KernelPCA(n_components=2, fit_inverse_transform=True)


def test_no_function_of_the_test_files_is_defined_twice() -> None:
    """A builder or corruption defined twice silently replaces the first for
    every case (three did, and round 70's ``_classes_deleted`` replaced
    an SVC case's): each name once per test module."""
    import ast
    from collections import Counter

    for path in Path(__file__).parent.glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names = Counter(
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
        # ``_``: functions a decorator registers, never called by name.
        twice = [n for n, count in names.items() if count > 1 and n != "_"]
        assert twice == [], path.name


def test_round_201_refits_are_held_to_the_fit() -> None:
    """Round 201: an adaptive boosting's members held to the weights its fit
    sized (an early stop keeps fewer members, never fewer weights); a
    spline's knots to its fitted splines', a wrapper's template's to four
    times those; a randomized SVD's extra vectors to three a component and
    30; and grid options read as scikit-learn reads them (bytes a
    sequence)."""
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.feature_selection import RFE

    from versioned_estimator._refit import refit_problem, template_problem

    X, labels = RS.rand(60, 4), np.arange(60) % 2
    # Deep trees fit the data at once: one member of the 50 weights asked.
    early = AdaBoostClassifier(
        DecisionTreeClassifier(), n_estimators=50, random_state=0
    ).fit(X, labels)
    assert len(early.estimators_) < 50 == len(early.estimator_weights_)
    spline = SplineTransformer(n_knots=7, degree=2, extrapolation="periodic").fit(X)
    pca = PCA(3, svd_solver="randomized", random_state=0).fit(X)
    svd = TruncatedSVD(2, random_state=0).fit(X)
    changes = [
        (early, "n_estimators", 51, "its fit made 1 and stopped early (at most 50)"),
        (spline, "n_knots", 8, "more than the 11 knots its fit made"),
        (spline, "degree", 3, "more than the 11 knots its fit made"),
        (pca, "n_oversamples", 40, "more than 39 random vectors"),
        (svd, "n_oversamples", 37, "more than 36 random vectors"),
    ]
    for model, name, value, message in changes:
        assert refit_problem(model) is None, model
        honest = getattr(model, name)
        setattr(model, name, value)
        assert message in str(refit_problem(model)), refit_problem(model)
        setattr(model, name, honest)
    # A template of the spline's class: four times its fit's knots, and two.
    assert template_problem(spline, SplineTransformer(n_knots=42, degree=2)) is None
    wider = template_problem(spline, SplineTransformer(n_knots=43, degree=2))
    assert "a template SplineTransformer whose n_knots" in str(wider)
    # ... found as a pipeline's step too.
    fitted = make_pipeline(SplineTransformer(), Ridge()).fit(X, RS.rand(60))
    template = make_pipeline(SplineTransformer(n_knots=100), Ridge())
    assert "a template SplineTransformer" in str(template_problem(fitted, template))
    # A share of 1.0 keeps every column: its elimination made no step.
    whole = RFE(Ridge(), n_features_to_select=1.0).fit(X, RS.rand(60))
    assert refit_problem(whole) is None


def test_round_202_refits_are_held_to_the_fit() -> None:
    """Round 202: an AdaBoost model's weights past its members (an early
    stop's) count to 1,024 members, not as many as the file pads them to;
    a discretizer's uniform bins to its fitted bins, its quantile bins to
    four times those and two (fewer where a column has fewer values)."""
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.preprocessing import KBinsDiscretizer

    from versioned_estimator._refit import (
        MAX_TEMPLATE_FITS,
        MIN_BINS_ALLOWED,
        refit_problem,
    )

    X, labels = RS.rand(60, 4), np.arange(60) % 2
    assert refit_problem(AdaBoostClassifier(n_estimators=10)) is None  # unfitted
    stumps = AdaBoostClassifier(n_estimators=10, random_state=0).fit(X, labels)
    padded = 12_000
    stumps.n_estimators = padded
    stumps.estimator_weights_ = np.r_[stumps.estimator_weights_, np.zeros(padded - 10)]
    assert "made 10 and stopped early (at most 1,024)" in str(refit_problem(stumps))
    stumps.n_estimators = MAX_TEMPLATE_FITS
    assert refit_problem(stumps) is None
    del stumps.estimator_weights_
    assert "whose members are not what its fit made" in str(refit_problem(stumps))
    assert refit_problem(KBinsDiscretizer(n_bins=5)) is None  # unfitted
    uniform = KBinsDiscretizer(n_bins=5, strategy="uniform").fit(X)
    uniform.n_bins = 23
    assert "more than 22 bins (its fit made 5)" in str(refit_problem(uniform))
    for per_column in ([5, 5, 4, 22], (5.0, 3.0, 5.0, 5.0), np.array([5, 2, 3, 4])):
        uniform.n_bins = per_column  # one a column, as its fit reads them
        assert refit_problem(uniform) is None
    uniform.n_bins = [5, 23, 5, 5]
    assert "more than 22 bins (its fit made 5)" in str(refit_problem(uniform))
    few = np.repeat(np.arange(3.0), 20)[:, None] * np.ones((1, 2))
    with pytest.warns(UserWarning, match="Bins whose width are too small"):
        quantile = KBinsDiscretizer(n_bins=10, strategy="quantile").fit(few)
    assert quantile.n_bins_.max() < 10
    assert refit_problem(quantile) is None
    quantile.n_bins = MIN_BINS_ALLOWED + 1
    assert "n_bins asks a fit for more than" in str(refit_problem(quantile))


def test_round_203_a_fitted_record_deleted_is_no_count() -> None:
    """Round 203: a fitted AdaBoost without its members, a discretizer
    without its ``n_bins_``, a spline without its splines passed every
    count (a refit of 20,000 stumps took 50 times its control); a spectral
    biclustering's singular vectors are at most its fitted width (20,000
    crashed scipy). Honest: a constant column's one uniform bin, binary
    columns' one quantile bin of 20 asked."""
    from sklearn.cluster import SpectralBiclustering
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.preprocessing import KBinsDiscretizer

    from versioned_estimator._refit import refit_problem

    X, labels = RS.rand(60, 4), np.arange(60) % 2
    fitted = [
        (AdaBoostClassifier(n_estimators=10).fit(X, labels), "estimators_"),
        (KBinsDiscretizer(n_bins=5).fit(X), "n_bins_"),
        (SplineTransformer().fit(X), "bsplines_"),
    ]
    for model, record in fitted:
        assert refit_problem(model) is None
        delattr(model, record)
        assert refit_problem(model) is not None, model
    bicluster = SpectralBiclustering(n_clusters=2, random_state=0).fit(X + 1)
    assert refit_problem(bicluster) is None
    bicluster.n_components = 19
    assert "n_components asks a fit for more than 18 (4 columns)" in str(
        refit_problem(bicluster)
    )
    constant = X.copy()
    constant[:, 0] = 7.0
    with pytest.warns(UserWarning, match="constant"):
        uniform = KBinsDiscretizer(n_bins=5, strategy="uniform").fit(constant[:, :1])
    assert uniform.n_bins_.max() == 1
    assert refit_problem(uniform) is None
    with pytest.warns(UserWarning, match="Bins whose width are too small"):
        binary = KBinsDiscretizer(n_bins=20, strategy="quantile").fit(
            (X > 0.5).astype(float)
        )
    assert refit_problem(binary) is None
