"""The wrapper as a drop-in in scikit-learn's composites and I/O paths: every
result here is compared with what the bare estimator gives in the same place."""

from __future__ import annotations

import bz2
import gzip
import inspect
import io
import json
import lzma
import os
import pickle
import socket
import subprocess
import sys
import textwrap
import threading

import joblib
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_array_equal
from scipy import sparse
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import AdaBoostClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    Binarizer,
    FunctionTransformer,
    Normalizer,
    StandardScaler,
)
from sklearn.utils.validation import has_fit_parameter

from versioned_estimator import (
    EnvelopeError,
    UntrustedGlobalError,
    VersionedEstimator,
    load,
    read_envelope,
    save,
)
from versioned_estimator._estimator import NO_PROBE


@pytest.fixture(scope="module")
def weights(iris):
    """Integer sample weights for iris, zeros included."""
    return np.random.default_rng(0).integers(0, 4, size=len(iris[1])).astype(float)


# ----------------------------------------------------------------------------
# Signatures: what scikit-learn reads to decide what to pass
# ----------------------------------------------------------------------------

_METHODS = (
    "fit",
    "partial_fit",
    "fit_transform",
    "fit_predict",
    "predict",
    "predict_proba",
    "transform",
    "score",
    "score_samples",
)


@pytest.mark.parametrize(
    "inner",
    [
        LogisticRegression(),
        KMeans(n_clusters=2, n_init=1),
        SGDClassifier(),
        KNeighborsClassifier(),
        StandardScaler(),
        PLSRegression(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_signatures_are_the_inner_estimators(inner):
    """inspect.signature and has_fit_parameter see the inner estimator's own
    parameters, per instance (sample_weight where it takes one, not elsewhere)."""
    wrapped = VersionedEstimator(inner)
    for method in _METHODS:
        assert hasattr(wrapped, method) == hasattr(inner, method), method
        if hasattr(inner, method):
            expected = inspect.signature(getattr(inner, method))
            assert inspect.signature(getattr(wrapped, method)) == expected, method
    for name in ("sample_weight", "classes"):
        assert has_fit_parameter(wrapped, name) == has_fit_parameter(inner, name)


def test_signatures_follow_fitted_sealed_and_reset_models(iris):
    """A fitted and a loaded (sealed) model show the inner signatures; a new
    ``estimator`` parameter brings its own fit signature."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    sealed = pickle.loads(pickle.dumps(model))
    assert "_sealed" in vars(sealed)
    expected = inspect.signature(LogisticRegression().fit)
    assert inspect.signature(sealed.fit) == expected
    assert has_fit_parameter(model, "sample_weight")
    model.set_params(estimator=KNeighborsClassifier())
    assert not has_fit_parameter(model, "sample_weight")
    # The class keeps its own, generic signature (no set_*_request methods).
    assert "args" in inspect.signature(VersionedEstimator.fit).parameters
    assert not hasattr(VersionedEstimator, "set_fit_request")


def test_bound_methods_pickle_compare_and_are_methods(iris):
    """Delegated bound methods behave as bound methods: pickle by name,
    compare equal, ``inspect.ismethod``."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    assert inspect.ismethod(model.predict)
    assert model.predict == model.predict
    assert hash(model.predict) == hash(model.predict)
    assert model.predict != model.predict_proba
    assert model.predict.__self__ is model
    assert model.predict.__name__ == "predict"
    again = pickle.loads(pickle.dumps(model.predict))
    assert_array_equal(again(X), model.predict(X))


# ----------------------------------------------------------------------------
# Sample weights through AdaBoost, calibration, search
# ----------------------------------------------------------------------------


def test_adaboost_takes_the_wrapper(iris):
    """AdaBoost boosts a wrapped estimator as it boosts the bare one."""
    X, y = iris

    def boost(estimator):
        return AdaBoostClassifier(estimator=estimator, n_estimators=5, random_state=0)

    bare = boost(LogisticRegression(max_iter=500)).fit(X, y)
    wrapped = boost(VersionedEstimator(LogisticRegression(max_iter=500))).fit(X, y)
    assert_array_equal(wrapped.estimator_weights_, bare.estimator_weights_)
    assert_array_equal(wrapped.predict_proba(X), bare.predict_proba(X))
    assert_array_equal(wrapped.predict(X), bare.predict(X))


def test_calibration_passes_the_weights_on(iris, weights):
    """CalibratedClassifierCV fits the wrapped model with the weights (no
    warning, which is an error here) and gives the bare probabilities."""
    X, y = iris

    def calibrated(estimator):
        return CalibratedClassifierCV(estimator, cv=3)

    bare = calibrated(LogisticRegression(max_iter=500)).fit(X, y, sample_weight=weights)
    wrapped = calibrated(VersionedEstimator(LogisticRegression(max_iter=500)))
    wrapped.fit(X, y, sample_weight=weights)
    assert_array_equal(wrapped.predict_proba(X), bare.predict_proba(X))
    unweighted = calibrated(LogisticRegression(max_iter=500)).fit(X, y)
    assert not np.allclose(unweighted.predict_proba(X), bare.predict_proba(X))


def test_grid_search_scores_folds_with_the_weights(iris, weights):
    """GridSearchCV (scoring=None: the estimator's score) fits and scores each
    fold with the weights, as for the bare estimator."""
    X, y = iris

    def search(estimator, key):
        return GridSearchCV(estimator, {key: [0.01, 1.0]}, cv=3)

    bare = search(LogisticRegression(max_iter=500), "C")
    bare.fit(X, y, sample_weight=weights)
    wrapped = search(
        VersionedEstimator(LogisticRegression(max_iter=500)), "estimator__C"
    )
    wrapped.fit(X, y, sample_weight=weights)
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_array_equal(wrapped.cv_results_[key], bare.cv_results_[key])
    assert_array_equal(wrapped.predict_proba(X), bare.predict_proba(X))
    unweighted = search(LogisticRegression(max_iter=500), "C").fit(X, y)
    assert not np.allclose(
        unweighted.cv_results_["mean_test_score"], bare.cv_results_["mean_test_score"]
    )


# ----------------------------------------------------------------------------
# Positional arguments, stateless transformers, sparsify
# ----------------------------------------------------------------------------


def test_pls_positional_y_everywhere(regression):
    """PLS takes Y positionally in transform, fit_transform and score: the
    wrapper passes it on, with the bare results."""
    X, y = regression
    Y = np.c_[y, y**2 / 100.0]
    bare = PLSRegression(n_components=2).fit(X, Y)
    wrapped = VersionedEstimator(PLSRegression(n_components=2)).fit(X, Y)
    for got, expected in zip(
        wrapped.transform(X, Y), bare.transform(X, Y), strict=True
    ):
        assert_array_equal(got, expected)
    assert_array_equal(wrapped.transform(X), bare.transform(X))
    assert_array_equal(wrapped.predict(X), bare.predict(X))
    scores = bare.transform(X)
    assert_array_equal(
        wrapped.inverse_transform(scores), bare.inverse_transform(scores)
    )
    assert wrapped.score(X, Y) == bare.score(X, Y)
    fresh = VersionedEstimator(PLSRegression(n_components=2))
    for got, expected in zip(
        fresh.fit_transform(X, Y), clone(bare).fit_transform(X, Y), strict=True
    ):
        assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "inner",
    [Normalizer(), Binarizer(threshold=2.0), FunctionTransformer(np.log1p)],
    ids=lambda e: type(e).__name__,
)
def test_stateless_transformers_transform_unfitted(inner, iris):
    """A transformer that needs no fit transforms through an unfitted wrapper
    (as bare), has no envelope until fitted, and has one after."""
    X, _ = iris
    wrapped = VersionedEstimator(inner)
    assert_array_equal(wrapped.transform(X), inner.transform(X))
    assert_array_equal(clone(wrapped).transform(X), inner.transform(X))
    assert_array_equal(
        pickle.loads(pickle.dumps(wrapped)).transform(X), inner.transform(X)
    )
    with pytest.raises(NotFittedError):
        wrapped.envelope  # noqa: B018
    with pytest.raises(NotFittedError):
        wrapped.verify()
    assert not hasattr(wrapped, "envelope")
    wrapped.fit(X)
    assert_array_equal(wrapped.transform(X), inner.transform(X))
    assert wrapped.envelope.schema["n_samples"] == len(X)


def test_stateful_transformer_still_needs_fit(iris):
    """Only requires_fit=False estimators skip fitting."""
    with pytest.raises(NotFittedError, match="not fitted"):
        VersionedEstimator(StandardScaler()).transform(iris[0])


def test_sparsify_and_densify_reach_the_inner_model(iris):
    """sparsify/densify change the inner coefficients, return the wrapper, and
    the next pickle holds the change; a sealed model has them too."""
    X, y = iris
    bare = SGDClassifier(random_state=0).fit(X, y)
    wrapped = VersionedEstimator(SGDClassifier(random_state=0)).fit(X, y)
    assert wrapped.sparsify() is wrapped
    bare.sparsify()
    assert sparse.issparse(wrapped.coef_)
    assert_array_equal(wrapped.predict(X), bare.predict(X))
    loaded = pickle.loads(pickle.dumps(wrapped))
    assert hasattr(loaded, "densify")
    assert sparse.issparse(loaded.coef_)
    assert loaded.densify() is loaded
    assert isinstance(loaded.coef_, np.ndarray)
    assert_array_equal(loaded.predict(X), bare.predict(X))
    assert not hasattr(VersionedEstimator(Ridge()), "sparsify")


# ----------------------------------------------------------------------------
# Metadata routing of every method
# ----------------------------------------------------------------------------


class ShiftRegressor(RegressorMixin, BaseEstimator):
    """Predicts the (weighted) mean of y, shifted by a metadata argument."""

    def fit(self, X, y, sample_weight=None):
        self.mean_ = float(np.average(y, weights=sample_weight))
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X, shift=0.0):
        return np.full(len(X), self.mean_) + shift

    def transform(self, X, shift=0.0):
        return np.asarray(X, dtype=float) + shift


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_routing_refuses_unrequested_metadata(routing, regression):
    """With routing on, metadata no one requested is an error in every method,
    as in scikit-learn's own meta-estimators."""
    X, y = regression
    model = VersionedEstimator(ShiftRegressor()).fit(X, y)
    for method in ("predict", "transform"):
        with pytest.raises(ValueError, match="shift"):
            getattr(model, method)(X, shift=1.0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.score(X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight"):
        VersionedEstimator(ShiftRegressor()).fit(X, y, np.ones(len(y)))


def test_routing_follows_requests_and_aliases(routing, regression):
    """Requested metadata reaches the inner method, under its alias too, and
    positional metadata is routed by its name."""
    X, y = regression
    weights = np.linspace(0.0, 2.0, len(y))
    inner = (
        ShiftRegressor()
        .set_predict_request(shift=True)
        .set_fit_request(sample_weight=True)
    )
    bare = clone(inner).fit(X, y, sample_weight=weights)
    model = VersionedEstimator(inner).fit(X, y, weights)  # positional metadata
    assert model.estimator_.mean_ == bare.mean_
    assert_array_equal(model.predict(X, shift=2.0), bare.predict(X, shift=2.0))
    aliased = VersionedEstimator(ShiftRegressor().set_transform_request(shift="offset"))
    aliased.fit(X, y)
    assert_array_equal(aliased.transform(X, offset=3.0), X + 3.0)
    with pytest.raises((TypeError, ValueError), match="shift"):
        aliased.transform(X, shift=3.0)
    scored = VersionedEstimator(ShiftRegressor().set_score_request(sample_weight=True))
    scored.fit(X, y)
    expected = ShiftRegressor().fit(X, y).score(X, y, sample_weight=weights)
    assert scored.score(X, y, sample_weight=weights) == expected


def test_routing_through_a_pipeline(routing, regression):
    """A Pipeline routes predict metadata through the wrapper to the model."""
    X, y = regression

    def pipeline(last):
        return make_pipeline(StandardScaler(), last).fit(X, y)

    inner = ShiftRegressor().set_predict_request(shift=True)
    bare = pipeline(clone(inner))
    wrapped = pipeline(VersionedEstimator(inner))
    assert_array_equal(wrapped.predict(X, shift=1.5), bare.predict(X, shift=1.5))


def _routed_models(X, y, weights):
    """Models whose metadata requests were set, fitted with routing on: each
    keeps ``_metadata_request`` naming the estimator it was set on (itself,
    or the template a clone was made of)."""
    from sklearn.ensemble import RandomForestClassifier, StackingClassifier
    from sklearn.metrics import accuracy_score, make_scorer
    from sklearn.model_selection import TunedThresholdClassifierCV

    labels = (y > np.median(y)).astype(int)

    def weighted(model):
        return model.set_fit_request(sample_weight=True)

    def scorer():
        return make_scorer(accuracy_score).set_score_request(sample_weight=True)

    fitted_first = LogisticRegression().fit(X, labels)
    weighted(fitted_first).set_score_request(sample_weight="score_weights")
    return {
        "set-after-fit": (VersionedEstimator.wrap(fitted_first), {}),
        "alias": (Ridge().set_fit_request(sample_weight="weights"), {"weights": 1}),
        "pipeline": (make_pipeline(weighted(StandardScaler()), weighted(Ridge())), {}),
        "search": (
            GridSearchCV(
                weighted(LogisticRegression()),
                {"C": [0.1, 1.0]},
                cv=3,
                scoring=scorer(),
            ),
            {"labels": True},
        ),
        "search-of-calibrated-pipeline": (
            GridSearchCV(
                weighted(
                    CalibratedClassifierCV(
                        make_pipeline(
                            weighted(StandardScaler()),
                            weighted(LogisticRegression()),
                        ),
                        cv=3,
                    )
                ).set_score_request(sample_weight=True),
                {"method": ["sigmoid", "isotonic"]},
                cv=3,
            ),
            {"labels": True},
        ),
        "stacking": (
            StackingClassifier(
                [
                    ("lr", weighted(LogisticRegression())),
                    (
                        "rf",
                        RandomForestClassifier(n_estimators=3).set_fit_request(
                            sample_weight=False
                        ),
                    ),
                ],
                cv=3,
            ),
            {"labels": True},
        ),
        "tuned-threshold": (
            TunedThresholdClassifierCV(
                weighted(LogisticRegression()), cv=3, scoring=scorer()
            ),
            {"labels": True},
        ),
    }, labels


@pytest.mark.parametrize(
    "name",
    [
        "set-after-fit",
        "alias",
        "pipeline",
        "search",
        "search-of-calibrated-pipeline",
        "stacking",
        "tuned-threshold",
    ],
)
def test_routed_models_load_safely(routing, regression, tmp_path, name):
    """A model whose metadata requests were set loads under the default
    policy (its requests name the estimator they were set on), predicts as
    it did, keeps its requests, and clones (rounds 173 and 174's false
    positives: a search's clones each name the template they came from)."""
    X, y = regression
    weights = np.linspace(0.5, 1.5, len(y))
    models, labels = _routed_models(X, y, weights)
    model, how = models[name]
    target = labels if how.get("labels") else y
    if not isinstance(model, VersionedEstimator):
        key = "weights" if "weights" in how else "sample_weight"
        model = VersionedEstimator(model).fit(X, target, **{key: weights})
    path = tmp_path / "routed.joblib"
    joblib.dump(model, path)
    loaded = load(path)
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert str(loaded.estimator_.get_metadata_routing()) == str(
        model.estimator_.get_metadata_routing()
    )
    again = clone(loaded)
    assert str(again.get_metadata_routing()) == str(model.get_metadata_routing())


def test_without_routing_arguments_pass_as_given(regression):
    """Routing off: every argument reaches the inner method, as for a bare call."""
    X, y = regression
    model = VersionedEstimator(ShiftRegressor()).fit(X, y)
    assert_array_equal(model.predict(X, shift=1.0), model.estimator_.predict(X, 1.0))
    assert_array_equal(model.predict(X, 1.0), model.estimator_.predict(X, 1.0))


def test_routing_declares_every_delegated_method():
    """get_metadata_routing maps each routable method to the inner one."""
    router = VersionedEstimator(ShiftRegressor()).get_metadata_routing()
    text = str(router)
    for method in (
        "fit",
        "partial_fit",
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "score",
        "transform",
        "inverse_transform",
        "fit_transform",
        "fit_predict",
    ):
        assert f"'caller': '{method}'" in text, method


# ----------------------------------------------------------------------------
# Callbacks (scikit-learn >= 1.9)
# ----------------------------------------------------------------------------


class Recorder:
    """A fit callback that records what it sees."""

    def __init__(self):
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context, **kwargs):
        self.events.append(("begin", type(estimator).__name__, context.task_name))

    def on_fit_task_end(self, estimator, context, **kwargs):
        self.events.append(("end", type(estimator).__name__, context.task_name))


class AutoRecorder(Recorder):
    """The same, propagated by meta-estimators to their sub-estimators."""

    max_propagation_depth = None


@pytest.fixture
def callbacks():
    return pytest.importorskip("sklearn.callback")


def test_callbacks_set_on_the_wrapper_reach_the_inner_fit(callbacks, iris):
    """Callbacks set on the wrapper see the inner fit as they would see it bare;
    clone keeps them; the fitted model does not carry them into its pickle."""
    X, y = iris
    for inner in (StandardScaler(), LogisticRegression(max_iter=300)):
        bare_recorder, recorder = Recorder(), Recorder()
        clone(inner).set_callbacks(bare_recorder).fit(X, y)
        wrapped = VersionedEstimator(inner).set_callbacks(recorder)
        copy = clone(wrapped)
        assert copy._skl_callbacks == [recorder]
        copy.fit(X, y)
        assert recorder.events == bare_recorder.events
        assert len(recorder.events) >= 4
        assert not hasattr(copy.estimator_, "_skl_callbacks")
        assert "_parent_callback_ctx" not in vars(copy.estimator_)
        data = pickle.dumps(copy)
        assert b"Recorder" not in data


@pytest.mark.parametrize("outer", ["pipeline", "search"])
def test_auto_propagated_callbacks_pass_through(callbacks, outer, iris):
    """A callback auto-propagated by a Pipeline or GridSearchCV reaches the
    wrapped model's fit: the same events as around the bare model."""
    X, y = iris

    def around(estimator, key):
        if outer == "pipeline":
            return make_pipeline(StandardScaler(), estimator)
        return GridSearchCV(estimator, {key: [0.1, 1.0]}, cv=2)

    bare, wrapped = AutoRecorder(), AutoRecorder()
    around(LogisticRegression(max_iter=300), "C").set_callbacks(bare).fit(X, y)
    model = around(VersionedEstimator(LogisticRegression(max_iter=300)), "estimator__C")
    model.set_callbacks(wrapped).fit(X, y)
    assert wrapped.events == bare.events
    assert ("begin", "LogisticRegression", "fit") in wrapped.events


def test_no_callback_support_warns_as_bare(callbacks, iris):
    """An inner estimator without callbacks: the wrapper has no set_callbacks,
    so the outer meta-estimator warns exactly as for the bare one."""
    X, y = iris
    inner = KNeighborsClassifier()
    assert hasattr(VersionedEstimator(inner), "set_callbacks") == hasattr(
        inner, "set_callbacks"
    )
    if hasattr(inner, "set_callbacks"):
        pytest.skip("KNeighborsClassifier supports callbacks in this release")
    for last in (clone(inner), VersionedEstimator(clone(inner))):
        with pytest.warns(UserWarning, match="does not support callbacks"):
            make_pipeline(StandardScaler(), last).set_callbacks(AutoRecorder()).fit(
                X, y
            )


# ----------------------------------------------------------------------------
# partial_fit, nesting, wrap without probe
# ----------------------------------------------------------------------------


def test_partial_fit_counts_every_row_and_matches_bare(iris):
    """n_samples is the sum of the batches, through a pickle round trip too;
    the model equals the bare one fitted on the same batches."""
    X, y = iris
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    bare = SGDClassifier(random_state=0)
    model = VersionedEstimator(SGDClassifier(random_state=0))
    for start in (0, 50, 100):
        rows = slice(start, start + 50)
        bare.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        model.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert model.envelope.schema["n_samples"] == 150
    assert read_envelope(pickle.dumps(model)).schema["n_samples"] == 150
    assert_array_equal(model.predict(X), bare.predict(X))
    loaded = pickle.loads(pickle.dumps(model))
    loaded.partial_fit(X[:30], y[:30])
    assert loaded.envelope.schema["n_samples"] == 180


def test_nested_wrapper_is_refused_at_fit(iris):
    """A wrapper around a wrapper is constructed (init stores only) and
    refused at fit and by wrap."""
    X, y = iris
    nested = VersionedEstimator(VersionedEstimator(LogisticRegression()))
    assert isinstance(nested.estimator, VersionedEstimator)
    with pytest.raises(TypeError, match="already a VersionedEstimator"):
        nested.fit(X, y)
    fitted = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    with pytest.raises(TypeError, match="already a VersionedEstimator"):
        VersionedEstimator.wrap(fitted)


def test_wrap_without_probe_says_so(iris, tmp_path):
    """wrap() without probe= records no probe, and says what to do where the
    user looks: the docstring and verify()'s report (also after a load)."""
    X, y = iris
    fitted = LogisticRegression(max_iter=500).fit(X, y)
    assert "probe=X" in VersionedEstimator.wrap.__doc__
    report = VersionedEstimator.wrap(fitted).verify()
    assert not report.probed
    assert report.skipped == NO_PROBE == "no probe: pass probe=X to wrap"
    assert report.to_dict()["skipped"] == NO_PROBE
    path = save(fitted, tmp_path / "bare.joblib")
    assert read_envelope(path).probe is None
    assert load(path).verify().skipped == NO_PROBE
    probed = save(fitted, tmp_path / "probed.joblib", probe=X[::30])
    envelope = read_envelope(probed)
    assert envelope.probe["n_rows"] == 5
    assert load(probed).verify().probed
    # A model fit with probe_size=0 chose no probe: nothing to suggest.
    chosen = VersionedEstimator(LogisticRegression(max_iter=500), probe_size=0)
    assert chosen.fit(X, y).verify().skipped is None


# ----------------------------------------------------------------------------
# Array API (array-api-strict), in a process with SCIPY_ARRAY_API=1
# ----------------------------------------------------------------------------

_ARRAY_API = textwrap.dedent(
    """
    import json, pickle, sys, warnings
    warnings.simplefilter("error")
    import array_api_strict as xp
    import numpy as np
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from versioned_estimator import VersionedEstimator, load, save

    X, y = load_iris(return_X_y=True)
    Xa, ya = xp.asarray(X), xp.asarray(y)
    out = {}
    with sklearn.config_context(array_api_dispatch=True):
        bare = LinearDiscriminantAnalysis().fit(Xa, ya)
        model = VersionedEstimator(LinearDiscriminantAnalysis()).fit(Xa, ya)
        proba = model.predict_proba(Xa)
        out["namespace"] = type(proba).__module__.split(".")[0]
        out["same_proba"] = bool(np.array_equal(np.asarray(proba),
                                                np.asarray(bare.predict_proba(Xa))))
        out["same_predict"] = bool(np.array_equal(np.asarray(model.predict(Xa)),
                                                  np.asarray(bare.predict(Xa))))
        out["schema"] = model.envelope.schema
        out["probe"] = model.envelope.probe
        again = pickle.loads(pickle.dumps(model))
        out["same_after_pickle"] = bool(np.array_equal(
            np.asarray(again.predict_proba(Xa)), np.asarray(proba)))
    # Without dispatch scikit-learn converts to numpy: so does the probe.
    plain = VersionedEstimator(LinearDiscriminantAnalysis()).fit(Xa, ya)
    save(plain, sys.argv[1])
    loaded = load(sys.argv[1], replay="always")
    out["plain_probe_rows"] = plain.envelope.probe["n_rows"]
    out["plain_replay_ok"] = loaded.verify().ok
    expected = LinearDiscriminantAnalysis().fit(X, y).predict_proba(X)
    out["plain_same"] = bool(np.array_equal(loaded.predict_proba(X), expected))
    json.dump(out, sys.stdout)
    """
)


@pytest.mark.slow
def test_array_api_strict_inputs_equal_bare(tmp_path):
    """Under array_api_dispatch with array-api-strict inputs the wrapped model
    fits, predicts in that namespace and equals the bare one, before and after
    a pickle; dtypes are recorded by name; the probe is left out (numpy rows
    would not replay in that namespace). Without dispatch the rows are kept."""
    pytest.importorskip("array_api_strict")
    done = subprocess.run(
        [sys.executable, "-c", _ARRAY_API, str(tmp_path / "plain.joblib")],
        capture_output=True,
        text=True,
        env=dict(os.environ, SCIPY_ARRAY_API="1"),
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["namespace"] == "array_api_strict"
    assert out["same_proba"]
    assert out["same_predict"]
    assert out["same_after_pickle"]
    assert out["schema"]["dtypes"] == ["float64"]
    assert out["schema"]["n_samples"] == 150
    assert out["schema"]["n_features_in"] == 4
    assert out["probe"] is None
    assert out["plain_probe_rows"] == 5
    assert out["plain_replay_ok"]
    assert out["plain_same"]


# ----------------------------------------------------------------------------
# Code stored by value: a scorer defined in __main__
# ----------------------------------------------------------------------------

_MAIN_SCORER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GridSearchCV
    from versioned_estimator import VersionedEstimator, save

    def share_right(y_true, y_pred):
        return float(np.mean(y_true == y_pred))

    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]},
                          scoring=make_scorer(share_right), cv=3)
    model = VersionedEstimator(search).fit(X, y)
    save(model, sys.argv[1])
    np.save(sys.argv[2], model.predict_proba(X))
    """
)


@pytest.fixture(scope="module")
def main_scorer_model(tmp_path_factory):
    """A search whose scorer lives in ``__main__`` of another process, saved."""
    folder = tmp_path_factory.mktemp("main-scorer")
    script = folder / "train.py"
    script.write_text(_MAIN_SCORER)
    path, expected = folder / "model.joblib", folder / "proba.npy"
    subprocess.run(
        [sys.executable, str(script), str(path), str(expected)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=300,
        check=True,
    )
    return path, np.load(expected)


def test_main_scorer_is_stored_by_value_and_refused_with_the_names(
    main_scorer_model,
):
    """The stream is cloudpickle's (the scorer's code by value); safe load
    refuses it, saying so and listing the exact names to trust."""
    path, _ = main_scorer_model
    envelope = read_envelope(path)
    assert envelope.payload["pickler"] == "cloudpickle"
    assert "__main__.share_right" in envelope.globals
    with pytest.raises(UntrustedGlobalError, match="by value") as caught:
        load(path)
    names = caught.value.names
    assert names
    assert all(name in str(caught.value) for name in names)
    assert f"trusted={list(names)!r}" in str(caught.value)


def test_main_scorer_model_loads_unsafely_elsewhere(main_scorer_model, iris):
    """joblib.load, in a process whose __main__ has no such function, loads and
    predicts as the training process did (the code travels by value)."""
    path, expected = main_scorer_model
    assert_array_equal(joblib.load(path).predict_proba(iris[0]), expected)


def test_main_scorer_loads_once_its_names_are_trusted(main_scorer_model, iris):
    """Trusting exactly the names the error lists loads the model, with the
    predictions of the process that trained it."""
    path, expected = main_scorer_model
    with pytest.raises(UntrustedGlobalError) as caught:
        load(path)
    model = load(path, trusted=caught.value.names)
    assert_array_equal(model.predict_proba(iris[0]), expected)


# ----------------------------------------------------------------------------
# Safe load from every stream joblib.load reads
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(iris):
    """A wrapped model and the bare one's probabilities."""
    X, y = iris
    bare = LogisticRegression(max_iter=500).fit(X, y)
    return VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y), bare


def _same(model, bare, X):
    assert isinstance(model, VersionedEstimator)
    assert_array_equal(model.predict_proba(X), bare.predict_proba(X))


@pytest.mark.parametrize(
    ("compress", "opener"),
    [
        ("gzip", lambda raw: gzip.GzipFile(fileobj=raw)),
        ("bz2", bz2.BZ2File),
        ("xz", lzma.LZMAFile),
        ("lzma", lzma.LZMAFile),
    ],
)
def test_load_from_decompressing_file_objects(fitted, iris, tmp_path, compress, opener):
    """A gzip/bz2/lzma file object over a compressed joblib file loads safely,
    equal to the bare model; so does the path."""
    model, bare = fitted
    path = tmp_path / f"model.{compress}.joblib"
    joblib.dump(model, path, compress=(compress, 3))
    with open(path, "rb") as raw, opener(raw) as stream:
        _same(load(stream), bare, iris[0])
    _same(load(path), bare, iris[0])


def test_load_from_a_gzip_file_of_a_plain_pickle(fitted, iris, tmp_path):
    """pickle.dump into gzip.open, read back through gzip.open."""
    model, bare = fitted
    path = tmp_path / "model.pkl.gz"
    with gzip.open(path, "wb") as stream:
        pickle.dump(model, stream)
    with gzip.open(path, "rb") as stream:
        _same(load(stream), bare, iris[0])


def _feed(write, data):
    """Write ``data`` from a thread (a pipe holds only so much)."""
    thread = threading.Thread(target=write, args=(data,))
    thread.start()
    return thread


def test_load_from_an_os_pipe(fitted, iris):
    """A pipe (not seekable, no size) fed by a writer thread loads safely."""
    model, bare = fitted
    data = pickle.dumps(model)
    read_fd, write_fd = os.pipe()

    def write(payload):
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)

    thread = _feed(write, data)
    with os.fdopen(read_fd, "rb") as stream:
        loaded = load(stream)
    thread.join()
    _same(loaded, bare, iris[0])


def test_load_from_a_subprocess_stdout(fitted, iris, tmp_path):
    """The stdout of a process that prints a joblib file loads safely."""
    model, bare = fitted
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    code = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
    with subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE
    ) as proc:
        loaded = load(proc.stdout)
    assert proc.returncode == 0
    _same(loaded, bare, iris[0])


def test_load_from_a_socket(fitted, iris):
    """socket.makefile('rb') loads safely."""
    model, bare = fitted
    data = joblib_bytes(model)
    left, right = socket.socketpair()

    def write(payload):
        with right:
            right.sendall(payload)

    thread = _feed(write, data)
    with left, left.makefile("rb") as stream:
        loaded = load(stream)
    thread.join()
    _same(loaded, bare, iris[0])


def joblib_bytes(model):
    """What joblib.dump writes for ``model``."""
    out = io.BytesIO()
    joblib.dump(model, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def wide(iris):
    """A model with an out-of-band buffer (KNN's training data, > 64 KiB) and
    one holding empty arrays, with the bare model."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 8))
    y = (X[:, 0] > 0).astype(int)
    knn = VersionedEstimator(KNeighborsClassifier()).fit(X, y)
    assert read_envelope(pickle.dumps(knn, protocol=5)).payload["buffers"]
    return knn, KNeighborsClassifier().fit(X, y), X[:50]


_OLD = {("joblib", 0), ("joblib", 1)}
_JOBLIB_OLD_PROTOCOL = pytest.mark.xfail(
    strict=True,
    raises=EnvelopeError,
    reason=(
        "joblib.dump at protocol 0/1 writes its array wrappers through "
        "copy_reg._reconstructor, which the safe reader refuses in the outer "
        "pickle (joblib.load and read_envelope read the file): _reader, the lead's"
    ),
)
_WRITES = [
    pytest.param(
        writer,
        protocol,
        marks=_JOBLIB_OLD_PROTOCOL if (writer, protocol) in _OLD else (),
        id=f"{writer}-{protocol}",
    )
    for writer in ("pickle", "joblib")
    for protocol in range(6)
]


@pytest.mark.parametrize(("writer", "protocol"), _WRITES)
def test_load_every_protocol(fitted, wide, iris, tmp_path, protocol, writer):
    """Files written at every pickle protocol (0 to 5), by pickle and by
    joblib, load safely: a small model, one with an out-of-band buffer, one
    holding empty arrays (numeric and object)."""
    model, bare = fitted
    knn, bare_knn, X_knn = wide
    empty = clone(model).fit(*iris)
    empty.estimator_.empty_ = np.empty((0, 3))
    empty.estimator_.empty_objects_ = np.array([], dtype=object)
    for name, obj in (("small", model), ("wide", knn), ("empty", empty)):
        path = tmp_path / f"{name}.p{protocol}"
        if writer == "pickle":
            with open(path, "wb") as out:
                pickle.dump(obj, out, protocol=protocol)
        else:
            joblib.dump(obj, path, protocol=protocol)
        loaded = load(path)
        if name == "wide":
            assert_array_equal(
                loaded.predict_proba(X_knn), bare_knn.predict_proba(X_knn)
            )
        else:
            _same(loaded, bare, iris[0])
        if name == "empty":
            assert loaded.empty_.shape == (0, 3)
            assert loaded.empty_objects_.shape == (0,)


@pytest.mark.parametrize(
    "grid",
    [
        {"C": [0.1, 1.0]},  # a float column: its masked array's fill is a scalar
        {"C": [0.1, 1.0], "fit_intercept": [True, False]},
        {"C": [0.1], "class_weight": [None, "balanced"]},  # an object column
    ],
)
def test_safe_load_of_a_search_with_masked_results(tmp_path, iris, grid):
    """A GridSearchCV's cv_results_ holds masked arrays (one per parameter,
    with numpy scalars as fill values): the safe load reads them, whole."""
    X, y = iris
    search = GridSearchCV(LogisticRegression(max_iter=500), grid, cv=3).fit(X, y)
    # Through a pickle first, as a search loaded from a cache is: numpy then
    # keeps each fill value as a 0-d array.
    model = VersionedEstimator.wrap(pickle.loads(pickle.dumps(search)), probe=X[:5])
    path = tmp_path / "search.joblib"
    save(model, path)
    loaded = load(path)
    assert_array_equal(loaded.predict(X), model.predict(X))
    for key, column in model.estimator_.cv_results_.items():
        got = loaded.estimator_.cv_results_[key]
        assert type(got) is type(column), key
        if isinstance(column, np.ma.MaskedArray):
            assert_array_equal(got.mask, column.mask)
            assert got.fill_value == column.fill_value, key


USER_FUNCTIONS = """\
import numpy as np


def double(X):
    return np.asarray(X) * 2.0
"""


def test_trusted_user_function_stays_itself(tmp_path, monkeypatch):
    """A function of the user's own module, trusted by name, is a value of the
    model (a FunctionTransformer's func): the safe load hands back that very
    function, which transforms, replays and pickles again."""
    from sklearn.preprocessing import FunctionTransformer

    (tmp_path / "user_functions.py").write_text(USER_FUNCTIONS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_functions

    X = np.arange(6.0).reshape(3, 2)
    model = FunctionTransformer(func=user_functions.double).fit(X)
    path = tmp_path / "model.joblib"
    save(VersionedEstimator.wrap(model, probe=X), path)
    with pytest.raises(UntrustedGlobalError, match=r"user_functions\.double"):
        load(path)
    loaded = load(path, trusted=["user_functions.double"], replay="always")
    assert loaded.verify().ok
    assert loaded.estimator_.func is user_functions.double
    assert_array_equal(loaded.transform(X), X * 2.0)
    again = pickle.loads(pickle.dumps(loaded))
    assert_array_equal(again.transform(X), X * 2.0)
