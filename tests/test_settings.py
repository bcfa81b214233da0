"""One comparison of estimator settings, for the writer and the safe load."""

from __future__ import annotations

import functools
import pickle
import time

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import fbeta_score, make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import versioned_estimator as ve
from versioned_estimator._settings import MOST_COMPARED, same_settings, same_value


def test_missing_value_markers_compare_equal() -> None:
    """NaN is how a missing value is given: two NaN markers are one setting."""
    assert same_settings(
        SimpleImputer(missing_values=float("nan")),
        SimpleImputer(missing_values=np.nan),
    )
    assert not same_settings(
        SimpleImputer(missing_values=np.nan), SimpleImputer(missing_values=-1)
    )


def test_arrays_compare_by_dtype_shape_and_values() -> None:
    weights = {0: 1.0, 1: 2.0}
    a = LogisticRegression(class_weight=weights)
    assert same_settings(a, LogisticRegression(class_weight=dict(weights)))
    grid = np.array([0.1, 1.0])
    assert same_settings(Ridge(alpha=grid), Ridge(alpha=grid.copy()))
    assert not same_settings(Ridge(alpha=grid), Ridge(alpha=grid.astype(np.float32)))
    assert not same_settings(Ridge(alpha=grid), Ridge(alpha=grid[:1]))


def test_objects_without_parameters_compare_by_state() -> None:
    """A scorer cloned is a copy: equal by its state, not its identity."""
    two = make_scorer(fbeta_score, beta=2)
    search = GridSearchCV(Ridge(), {"alpha": [1.0]}, scoring=two)
    assert same_settings(
        search,
        GridSearchCV(
            Ridge(), {"alpha": [1.0]}, scoring=pickle.loads(pickle.dumps(two))
        ),
    )
    half = make_scorer(fbeta_score, beta=0.5)
    assert not same_settings(
        search, GridSearchCV(Ridge(), {"alpha": [1.0]}, scoring=half)
    )


def _first(values: np.ndarray) -> np.ndarray:
    return values[:1]


def _last(values: np.ndarray) -> np.ndarray:
    return values[-1:]


def test_code_is_the_same_only_as_the_same_object() -> None:
    """Two functions' namespaces are both empty whatever they run: a
    function, and the function a partial wraps, compare by identity; a copied
    partial (as clone makes) is the same by its function and arguments."""
    assert not same_settings(FunctionTransformer(_first), FunctionTransformer(_last))
    assert same_settings(FunctionTransformer(_first), FunctionTransformer(_first))
    first = functools.partial(np.take, indices=0)
    assert same_settings(
        FunctionTransformer(first),
        FunctionTransformer(pickle.loads(pickle.dumps(first))),
    )
    for other in (
        functools.partial(np.take, indices=1),
        functools.partial(np.compress, indices=0),
    ):
        assert not same_settings(FunctionTransformer(first), FunctionTransformer(other))
    assert not same_settings(
        FunctionTransformer(np.log1p), FunctionTransformer(np.expm1)
    )


def test_a_value_compares_numbers_of_one_kind_by_value() -> None:
    """A search's grid holds np.float64 where its report may hold a float."""
    assert same_value(np.float64(0.5), 0.5)
    assert same_value(np.int64(3), 3)
    assert same_value(Ridge(alpha=np.float64(2.0)), Ridge(alpha=2.0))
    assert not same_value(np.float64(0.5), 0.25)
    assert not same_value(np.float64(0.5), "0.5")
    # One feature is not all of them; a bool is not a number.
    assert not same_value(1, 1.0)
    assert not same_value(np.int64(1), np.float64(1.0))
    assert not same_value(True, 1)
    assert not same_value(np.bool_(True), 1)


def test_random_states_count_unless_told_otherwise_at_every_depth() -> None:
    def model(seed: int) -> object:
        return make_pipeline(StandardScaler(), LogisticRegression(random_state=seed))

    assert not same_settings(model(1), model(2))
    assert same_settings(model(1), model(2), random_states=False)
    assert not same_settings(
        LogisticRegression(C=1, random_state=1),
        LogisticRegression(C=2, random_state=2),
        random_states=False,
    )


def test_ignored_names_are_the_top_level_ones() -> None:
    a = make_pipeline(StandardScaler(), LogisticRegression(C=1))
    b = make_pipeline(StandardScaler(), LogisticRegression(C=2))
    assert same_settings(a, b, ignore={"steps"})
    assert not same_settings(a, b, ignore={"C"})


def test_shared_parts_are_compared_once_within_a_bound() -> None:
    """A list holding another twice, 60 levels deep, is 2**60 paths: each
    pair of lists is compared once, so equal graphs are found equal and
    graphs differing at the bottom unequal, at once (results are kept in
    names: a failing assert would print the graphs, path by path)."""

    def nested(bottom: int) -> list[object]:
        value: list[object] = [bottom]
        for _ in range(60):
            value = [value, value]
        return value

    start = time.perf_counter()
    same = same_settings(
        SimpleImputer(fill_value=nested(0)), SimpleImputer(fill_value=nested(0))
    )
    other = same_settings(
        SimpleImputer(fill_value=nested(0)), SimpleImputer(fill_value=nested(1))
    )
    bounded = same_settings(
        SimpleImputer(fill_value=nested(0)),
        SimpleImputer(fill_value=nested(0)),
        most=30,
    )
    assert time.perf_counter() - start < 5  # a bound, not a benchmark
    assert (same, other, bounded) == (True, False, False)
    pipeline = make_pipeline(StandardScaler(), Ridge())
    assert same_settings(pipeline, make_pipeline(StandardScaler(), Ridge()))
    assert not same_settings(pipeline, make_pipeline(StandardScaler(), Ridge()), most=2)


def test_each_pair_counts_once_and_plain_containers_once() -> None:
    """A member's fixed vocabulary of 150,000 words is one comparison (the
    file pays for its size), and one array referred to 1,000 times is
    compared once: a safe load of a one-vs-rest text model refused this."""
    vocabulary = {f"w{i}": i for i in range(150_000)}
    assert same_settings(
        CountVectorizer(vocabulary=vocabulary),
        CountVectorizer(vocabulary=dict(vocabulary)),
        most=3,
    )
    assert not same_settings(
        CountVectorizer(vocabulary=vocabulary),
        CountVectorizer(vocabulary={**vocabulary, "w0": 7}),
    )
    shared = np.arange(10.0)
    assert same_settings(
        Ridge(alpha=[shared] * 1_000), Ridge(alpha=[shared.copy()] * 1_000), most=3
    )


def test_graphs_that_hold_themselves_compare() -> None:
    a: list[object] = [1]
    a.append(a)
    b: list[object] = [1]
    b.append(b)
    assert same_settings(Ridge(alpha=a), Ridge(alpha=b))


def test_a_parameter_changed_after_fit_survives_the_round_trip(tmp_path) -> None:
    """The writer's use: a set_params after fit is carried in the stream."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = ve.VersionedEstimator(LogisticRegression()).fit(X, y)
    model.set_params(estimator__C=0.25, estimator__random_state=3)
    path = tmp_path / "model.joblib"
    ve.save(model, path)
    loaded = ve.load(path)
    assert loaded.get_params()["estimator__C"] == 0.25
    assert loaded.get_params()["estimator__random_state"] == 3
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_large_parameter_array_is_not_carried_twice(tmp_path) -> None:
    """The writer compares the user's own objects without the load's budget:
    a search over a k-means started from 200,000 given values does not carry
    its parameters a second time (its grid, compared after them, would fail
    an exhausted budget)."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(0)
    start = rng.normal(size=(10, 20_000))
    assert start.size > MOST_COMPARED
    kmeans = KMeans(n_clusters=10, init=start, n_init=1, max_iter=2)
    search = GridSearchCV(kmeans, {"tol": [1e-4]}, cv=2)
    model = ve.VersionedEstimator(search).fit(rng.normal(size=(40, 20_000)))
    ve.save(model, tmp_path / "same.joblib")
    assert not ve.read_envelope(tmp_path / "same.joblib").payload["template"]
    model.set_params(estimator__cv=3)
    ve.save(model, tmp_path / "changed.joblib")
    assert ve.read_envelope(tmp_path / "changed.joblib").payload["template"]
    assert ve.load(tmp_path / "changed.joblib").get_params()["estimator__cv"] == 3
