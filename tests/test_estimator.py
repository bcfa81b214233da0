"""VersionedEstimator as an estimator: delegation, tags, searches, routing."""

from __future__ import annotations

import ast
import json
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tests._forge import forge
from versioned_estimator import (
    BehaviorDriftError,
    BehaviorDriftWarning,
    VersionedEstimator,
    config_context,
    read_envelope,
)
from versioned_estimator._estimator import DELEGATED_METHODS
from versioned_estimator._format import decode_array, encode_array
from versioned_estimator._rows import spread_rows


@pytest.mark.parametrize(
    "inner",
    [
        LogisticRegression(max_iter=1000),
        StandardScaler(),
        SVC(),
        Ridge(),
        SGDClassifier(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_hasattr_tells_the_truth_before_and_after_fit(inner, iris):
    """Each delegated method exists on the wrapper exactly when the inner has it."""
    X, y = iris
    wrapped = VersionedEstimator(inner)
    for method in DELEGATED_METHODS:
        assert hasattr(wrapped, method) == hasattr(inner, method), method
    wrapped.fit(X, y)
    sealed = pickle.loads(pickle.dumps(wrapped))
    for method in DELEGATED_METHODS:
        expected = hasattr(wrapped.estimator_, method)
        assert hasattr(wrapped, method) == expected, method
        assert hasattr(sealed, method) == expected, method
    assert "_sealed" in vars(sealed)


def test_tags_follow_the_inner_estimator(iris, regression):
    """A wrapped classifier is a classifier; a sealed one too, without loading."""
    X, y = iris
    clf = VersionedEstimator(LogisticRegression(max_iter=500))
    assert is_classifier(clf)
    assert not is_regressor(clf)
    reg = VersionedEstimator(Ridge())
    assert is_regressor(reg)
    sealed = pickle.loads(pickle.dumps(clf.fit(X, y)))
    assert is_classifier(sealed)
    assert "_sealed" in vars(sealed)


def test_fitted_attributes_read_through(iris):
    """coef_, classes_, n_features_in_ of the inner estimator read through."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.coef_.shape == (3, 4)
    assert model.n_features_in_ == 4
    with pytest.raises(AttributeError, match="no_such_thing_"):
        _ = model.no_such_thing_
    unfitted = VersionedEstimator(LogisticRegression())
    assert not hasattr(unfitted, "coef_")
    with pytest.raises(NotFittedError):
        unfitted.predict(X)


def test_search_inside_records_evaluation(iris):
    """A wrapped GridSearchCV records its best score, parameters, scoring, splits."""
    X, y = iris
    search = GridSearchCV(
        LogisticRegression(max_iter=500), {"C": [0.01, 1.0]}, cv=4, scoring="accuracy"
    )
    model = VersionedEstimator(search).fit(X, y)
    evaluation = read_envelope(pickle.dumps(model)).evaluation
    assert evaluation["best_params"] == model.best_params_ == {"C": 1.0}
    assert evaluation["best_score"] == pytest.approx(model.best_score_)
    assert evaluation["scoring"] == "accuracy"
    assert evaluation["n_splits"] == 4
    assert len(evaluation["candidates"]) == 2
    assert {"params", "mean_test_score", "std_test_score"} <= set(
        evaluation["candidates"][0]
    )


def test_search_around_the_wrapper_with_real_workers(iris):
    """GridSearchCV(n_jobs=2) tunes estimator__C through loky workers."""
    X, y = iris
    search = GridSearchCV(
        VersionedEstimator(LogisticRegression(max_iter=500)),
        {"estimator__C": [0.01, 1.0]},
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    assert search.best_params_ == {"estimator__C": 1.0}
    assert isinstance(search.best_estimator_, VersionedEstimator)
    bare = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.01, 1.0]}, cv=3).fit(
        X, y
    )
    assert search.best_score_ == pytest.approx(bare.best_score_)


WORKER_MODULES = """
import sys
import pickle
from joblib import Parallel, delayed
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from versioned_estimator import VersionedEstimator

def task(model, X, y):
    model.set_params(estimator__C=0.5).fit(X, y).score(X, y)
    return sorted(m for m in sys.modules if m.startswith("versioned_estimator"))

X, y = load_iris(return_X_y=True)
model = VersionedEstimator(LogisticRegression(max_iter=500))
found = Parallel(n_jobs=2)(delayed(task)(model, X, y) for _ in range(4))
print(sorted(set().union(*found)))
"""


def test_a_search_worker_imports_only_the_fitting_path():
    """A loky worker that fits and scores clones imports the wrapper, the
    probe capture and the provenance only: not the file's writer or reader,
    the envelope's validation or the safe load's checks (each import is paid
    once per worker, inside a search's time)."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER_MODULES],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found = set(ast.literal_eval(done.stdout.strip().splitlines()[-1]))
    assert "versioned_estimator._estimator" in found  # the task did run there
    assert found <= {
        "versioned_estimator",
        "versioned_estimator._config",
        "versioned_estimator._errors",
        "versioned_estimator._estimator",
        "versioned_estimator._format",
        "versioned_estimator._packages",
        "versioned_estimator._provenance",
        "versioned_estimator._rows",
        "versioned_estimator._version",
    }, found


def test_cross_validate_in_parallel_matches_bare(iris):
    """cross_validate(n_jobs=2) scores the wrapper as the bare model."""
    X, y = iris
    wrapped = cross_validate(
        VersionedEstimator(LogisticRegression(max_iter=500)), X, y, cv=3, n_jobs=2
    )
    bare = cross_validate(LogisticRegression(max_iter=500), X, y, cv=3)
    np.testing.assert_allclose(wrapped["test_score"], bare["test_score"])


def test_sample_weight_reaches_the_inner_estimator(iris):
    """fit(sample_weight=...) gives the same coefficients as the bare model."""
    X, y = iris
    weights = np.linspace(0.1, 2.0, len(y))
    wrapped = VersionedEstimator(LogisticRegression(max_iter=1000))
    wrapped.fit(X, y, sample_weight=weights)
    bare = LogisticRegression(max_iter=1000).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(wrapped.coef_, bare.coef_)
    unweighted = LogisticRegression(max_iter=1000).fit(X, y)
    assert not np.allclose(wrapped.coef_, unweighted.coef_)


@pytest.mark.skipif(
    tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 8),
    reason="scikit-learn < 1.8 (the newest on Python 3.10) routes score "
    "parameters of meta-estimators differently; the wrapper follows 1.8+",
)
def test_metadata_routing_routes_sample_weight(iris):
    """With metadata routing on, cross_validate routes sample_weight through."""
    X, y = iris
    weights = np.linspace(0.1, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):

        def inner():
            return (
                LogisticRegression(max_iter=1000)
                .set_fit_request(sample_weight=True)
                .set_score_request(sample_weight=True)
            )

        params = {"sample_weight": weights}
        wrapped = cross_validate(VersionedEstimator(inner()), X, y, cv=3, params=params)
        bare = cross_validate(inner(), X, y, cv=3, params=params)
        unweighted = cross_validate(VersionedEstimator(inner()), X, y, cv=3)
    np.testing.assert_allclose(wrapped["test_score"], bare["test_score"])
    assert not np.allclose(wrapped["test_score"], unweighted["test_score"])


def test_works_as_a_pipeline_step_and_in_a_column_transformer(frame):
    """A wrapped transformer inside a ColumnTransformer, a wrapped classifier last."""
    X, y = frame
    pre = ColumnTransformer(
        [("num", VersionedEstimator(StandardScaler()), ["age", "income"])]
    )
    pipe = Pipeline([("pre", pre), ("clf", VersionedEstimator(LogisticRegression()))])
    pipe.fit(X, y)
    loaded = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    names = pipe[:-1].get_feature_names_out()
    assert list(names) == ["num__age", "num__income"]


def test_set_output_pandas_reaches_the_inner_transformer(frame):
    """set_output(transform='pandas') gives a DataFrame with the inner's names."""
    X, _ = frame
    model = VersionedEstimator(StandardScaler()).set_output(transform="pandas")
    out = model.fit(X[["age", "income"]]).transform(X[["age", "income"]])
    assert list(out.columns) == ["age", "income"]


def test_wrapping_a_pipeline_records_its_schema(frame):
    """The envelope records the DataFrame's columns and dtypes."""
    X, y = frame
    model = VersionedEstimator(
        make_pipeline(
            ColumnTransformer([("num", StandardScaler(), ["age", "income"])]),
            LogisticRegression(),
        )
    ).fit(X, y)
    schema = model.envelope.schema
    assert schema["feature_names_in"] == ["age", "income", "city"]
    assert schema["dtypes"][:2] == ["int64", "float64"]
    assert schema["n_samples"] == len(X)
    assert schema["n_features_in"] == 3


def test_wrap_keeps_the_fitted_object(iris):
    """wrap() neither refits nor copies; estimator is an unfitted clone."""
    X, y = iris
    fitted = LogisticRegression(max_iter=500).fit(X, y)
    wrapped = VersionedEstimator.wrap(
        fitted, metadata={"source": "notebook"}, probe=X[:3]
    )
    assert wrapped.estimator_ is fitted
    assert not hasattr(wrapped.estimator, "coef_")
    envelope = wrapped.envelope
    assert envelope.metadata == {"source": "notebook"}
    assert envelope.probe["n_rows"] == 3
    assert envelope.schema["n_features_in"] == 4
    with pytest.raises(NotFittedError, match="not fitted"):
        VersionedEstimator.wrap(LogisticRegression())


def test_metadata_must_be_json_safe(iris):
    """A metadata value that is not JSON-safe is a clear TypeError at fit."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(), metadata={"score": np.int64(3)})
    with pytest.raises(TypeError, match=r"metadata\['score'\].*int64.*item\(\)"):
        model.fit(X, y)
    model = VersionedEstimator(LogisticRegression(), metadata={"when": {1, 2}})
    with pytest.raises(TypeError, match="not JSON-safe"):
        model.fit(X, y)


def test_envelope_is_read_only_and_json_serializable(iris):
    """to_dict() is strict JSON; the view cannot be changed."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    envelope = model.envelope
    json.dumps(envelope.to_dict(), allow_nan=False)
    with pytest.raises(AttributeError):
        envelope.metadata = {}
    envelope.metadata["x"] = 1
    assert envelope.metadata == {}


def test_clone_of_fitted_wrapper_is_unfitted(iris):
    """clone gives an unfitted wrapper with the same parameters."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(C=0.5), probe_size=2).fit(X, y)
    copy = clone(model)
    assert copy.get_params()["estimator__C"] == 0.5
    assert copy.probe_size == 2
    assert not hasattr(copy, "estimator_")


def test_partial_fit_updates_the_envelope(iris):
    """partial_fit fits a clone first; each later batch adds its rows to the
    schema and reaches the next pickle, probe outputs included."""
    X, y = iris
    model = VersionedEstimator(SGDClassifier(random_state=0))
    model.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    first = model.envelope
    model.partial_fit(X[50:], y[50:])
    second = model.envelope
    assert first.payload["digest"] != second.payload["digest"]
    assert first.schema["n_samples"] == 50
    assert second.schema["n_samples"] == 150
    # the probe keeps the first batch's rows; its outputs are the model's now
    assert second.probe["X"] == first.probe["X"]
    rows = spread_rows(X[:50], 5)
    assert (
        decode_array(second.probe["outputs"]["decision_function"]).tolist()
        == model.decision_function(rows).tolist()
    )
    with config_context(replay="always"):
        loaded = pickle.loads(pickle.dumps(model))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.verify().ok
    assert not loaded.verify().skipped


def test_probe_size_zero_stores_no_rows(iris):
    """probe_size=0 keeps training rows out of the file."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500), probe_size=0).fit(X, y)
    assert model.envelope.probe is None
    assert model.verify().probed is False
    with pytest.raises(ValueError, match="probe_size"):
        VersionedEstimator(LogisticRegression(), probe_size=-1).fit(X, y)


def _with_probe_outputs_changed(model):
    """Pickled bytes of ``model`` whose probe says the model predicted otherwise."""

    def change(trailer):
        outputs = trailer["probe"]["outputs"]
        outputs["predict"] = encode_array(decode_array(outputs["predict"]) + 1)

    return pickle.dumps(forge(model, trailer=change))


def test_probe_replay_warns_or_raises_on_drift(iris):
    """A probe that no longer matches warns by default and raises on_drift='error'
    when the replay runs (always, or when the environment changed)."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    data = _with_probe_outputs_changed(model)
    with config_context(replay="always"):
        loaded = pickle.loads(data)
    with pytest.warns(BehaviorDriftWarning, match="predict") as record:
        loaded.predict(X[:1])
    assert not record[0].message.report.ok
    with config_context(on_drift="error", replay="always"):
        strict = pickle.loads(data)
    with pytest.raises(BehaviorDriftError, match="labels differ"):
        strict.predict(X[:1])
    with config_context(on_drift="ignore", replay="always"):
        quiet = pickle.loads(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.predict(X[:1])


def test_probe_replay_is_skipped_when_nothing_changed(iris):
    """Same versions, same python, no user code: the replay is skipped, and the
    report says why; verify() still replays and finds the difference."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    loaded = pickle.loads(_with_probe_outputs_changed(model))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.predict(X[:1])
    assert "distributions at their saved versions" in loaded._verification.skipped
    assert str(loaded._verification).startswith("probe replay: skipped (")
    report = loaded.verify()
    assert report.skipped is None
    assert [(c.method, c.status) for c in report.failures] == [("predict", "differs")]


def test_verify_checks_x_against_the_schema(frame):
    """verify(X) reports a DataFrame with other columns."""
    X, y = frame
    from tests.conftest import column_pipeline

    model = VersionedEstimator(column_pipeline()).fit(X, y)
    assert model.verify().ok
    assert model.verify(X).ok
    renamed = X.rename(columns={"age": "years"})
    report = model.verify(renamed)
    assert not report.ok
    assert any(c.method == "schema.feature_names" for c in report.failures)


def test_wrapping_a_wrapper_is_a_type_error_at_fit(iris):
    """VersionedEstimator(VersionedEstimator(...)) is refused at fit."""
    X, y = iris
    double = VersionedEstimator(VersionedEstimator(LogisticRegression()))
    with pytest.raises(TypeError, match="already a VersionedEstimator"):
        double.fit(X, y)
    assert not hasattr(double, "estimator_")


def test_params_are_flattened_as_get_params_deep(iris):
    """The envelope's params name nested parameters as get_params(deep=True)
    does, an estimator-valued parameter by its class path."""
    X, y = iris
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=500))
    params = VersionedEstimator(pipe).fit(X, y).envelope.params
    assert set(params) == set(pipe.get_params(deep=True))
    assert params["logisticregression"] == (
        "sklearn.linear_model._logistic.LogisticRegression"
    )
    assert params["logisticregression__C"] == 0.5
    assert params["standardscaler__with_mean"] is True
    assert params["steps"] == [
        ["standardscaler", "sklearn.preprocessing._data.StandardScaler"],
        ["logisticregression", "sklearn.linear_model._logistic.LogisticRegression"],
    ]
    json.dumps(params, allow_nan=False)


def test_rejects_something_that_is_not_an_estimator(iris):
    """Wrapping an object without fit is a clear TypeError."""
    X, y = iris
    with pytest.raises(TypeError, match="fit method"):
        VersionedEstimator("LogisticRegression").fit(X, y)


def test_parameters_of_a_subclass_and_nested_set_params():
    """Parameter names are read once per class, a subclass's its own; nested
    set_params reaches the inner estimator and refuses names it lacks, as
    scikit-learn's path does."""

    class Tagged(VersionedEstimator):
        def __init__(self, estimator, *, metadata=None, probe_size=5, tag="x"):
            super().__init__(estimator, metadata=metadata, probe_size=probe_size)
            self.tag = tag

    assert sorted(VersionedEstimator(Ridge()).get_params(deep=False)) == [
        "estimator",
        "metadata",
        "probe_size",
    ]
    tagged = Tagged(Ridge(), tag="y")
    assert tagged.get_params(deep=False)["tag"] == "y"
    assert clone(tagged).tag == "y"
    wrapped = VersionedEstimator(Ridge())
    assert wrapped.set_params(estimator__alpha=3.0) is wrapped
    assert wrapped.estimator.alpha == 3.0
    with pytest.raises(ValueError, match="Invalid parameter 'nope'"):
        wrapped.set_params(estimator__nope=1)
    wrapped.set_params(estimator=SVC(), estimator__C=2.0)  # replaced, then set
    assert isinstance(wrapped.estimator, SVC)
    assert wrapped.estimator.C == 2.0
    with pytest.raises(ValueError, match="Invalid parameter"):
        wrapped.set_params(nope=1)
