"""One comparison of estimator settings, for the writer and the safe load."""

from __future__ import annotations

import pickle
import time

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import fbeta_score, make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import versioned_estimator as ve
from versioned_estimator._settings import MOST_COMPARED, same_settings


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


def test_shared_parts_are_compared_within_a_budget() -> None:
    """A list holding itself twice, 60 levels deep, is 2**60 paths: the
    comparison gives up (not the same) instead of walking them."""
    nested: list[object] = [0]
    for _ in range(60):
        nested = [nested, nested]
    other: list[object] = [0]
    for _ in range(60):
        other = [other, other]
    start = time.perf_counter()
    assert not same_settings(
        SimpleImputer(fill_value=nested), SimpleImputer(fill_value=other)
    )
    assert time.perf_counter() - start < 5  # a bound, not a benchmark
    budget = [MOST_COMPARED]
    assert same_settings(Ridge(), Ridge(), budget=budget)
    assert 0 < budget[0] < MOST_COMPARED


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
