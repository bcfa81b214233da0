"""Round trips through every pickler a user meets give identical outputs."""

from __future__ import annotations

import copy
import io
import pickle

import cloudpickle
import joblib
import numpy as np
import pytest

from versioned_estimator import VersionedEstimator, load, read_envelope, save

OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "transform")


def outputs(model, X):
    """Every output method the model has, on X."""
    return {
        name: getattr(model, name)(X) for name in OUTPUT_METHODS if hasattr(model, name)
    }


def assert_same_outputs(expected, found):
    assert expected.keys() == found.keys()
    for name, value in expected.items():
        np.testing.assert_array_equal(found[name], value, err_msg=name)


def _pickle(protocol):
    def roundtrip(model, tmp_path):
        return pickle.loads(pickle.dumps(model, protocol=protocol))

    return roundtrip


def _joblib(compress):
    def roundtrip(model, tmp_path):
        path = tmp_path / "model.joblib"
        joblib.dump(model, path, compress=compress)
        return joblib.load(path)

    return roundtrip


def _cloudpickle(model, tmp_path):
    return cloudpickle.loads(cloudpickle.dumps(model))


def _deepcopy(model, tmp_path):
    return copy.deepcopy(model)


def _safe(model, tmp_path):
    return load(save(model, tmp_path / "model.joblib"))


CHANNELS = {
    "pickle-p4": _pickle(4),
    "pickle-p5": _pickle(5),
    "joblib": _joblib(0),
    "joblib-z3": _joblib(3),
    "cloudpickle": _cloudpickle,
    "deepcopy": _deepcopy,
    "safe-load": _safe,
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_roundtrip_gives_identical_outputs(model_case, channel, tmp_path):
    """A wrapped model predicts exactly the same after any round trip."""
    estimator, X, y = model_case
    model = VersionedEstimator(estimator).fit(X, y)
    expected = outputs(model, X)
    loaded = CHANNELS[channel](model, tmp_path)
    assert isinstance(loaded, VersionedEstimator)
    assert_same_outputs(expected, outputs(loaded, X))
    assert loaded.envelope.estimator_class == model.envelope.estimator_class


def test_unpickled_model_is_sealed_until_first_use(iris):
    """pickle.loads returns a sealed wrapper: envelope and hasattr need no load."""
    X, y = iris
    from sklearn.svm import SVC

    model = VersionedEstimator(SVC()).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    assert "_sealed" in vars(loaded)
    assert loaded.envelope.estimator_class == "sklearn.svm._classes.SVC"
    assert hasattr(loaded, "decision_function")
    assert not hasattr(loaded, "predict_proba")
    assert "_sealed" in vars(loaded), "hasattr must not materialize"
    loaded.predict(X[:2])
    assert "_sealed" not in vars(loaded)
    assert loaded.estimator_.__class__ is SVC


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_read_envelope_reads_every_pickle_protocol(iris, protocol):
    """The head reader understands pickles of protocols 2 to 5."""
    X, y = iris
    from sklearn.linear_model import LogisticRegression

    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    data = pickle.dumps(model, protocol=protocol)
    assert read_envelope(data).to_dict() == model.envelope.to_dict()
    np.testing.assert_array_equal(pickle.loads(data).predict(X), model.predict(X))


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("bz2", 1), ("xz", 1)])
def test_read_envelope_reads_joblib_files(iris, tmp_path, compress):
    """read_envelope reads joblib files, compressed or not."""
    X, y = iris
    from sklearn.tree import DecisionTreeClassifier

    model = VersionedEstimator(DecisionTreeClassifier(random_state=0)).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path, compress=compress)
    assert read_envelope(path) == model.envelope
    with open(path, "rb") as handle:
        assert read_envelope(handle) == model.envelope
    assert read_envelope(io.BytesIO(path.read_bytes())) == model.envelope


def test_reloaded_model_pickles_to_the_same_envelope(iris):
    """A sealed model re-pickles its original bytes without being loaded."""
    X, y = iris
    from sklearn.linear_model import LogisticRegression

    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    data = pickle.dumps(model)
    assert pickle.dumps(pickle.loads(data)) == data


def test_materialized_model_keeps_its_provenance_when_saved_again(iris):
    """After a load, a re-save keeps created_at, git, schema, probe and metadata."""
    X, y = iris
    from sklearn.linear_model import LogisticRegression

    model = VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"owner": "ana"}
    ).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    loaded.predict(X[:1])
    again = read_envelope(pickle.dumps(loaded)).to_dict()
    first = model.envelope.to_dict()
    for key in ("created_at", "git", "schema", "probe", "metadata", "evaluation"):
        assert again[key] == first[key], key
    assert again["payload"]["digest"] == first["payload"]["digest"]


def test_pickling_is_deterministic_and_cached(iris):
    """The same fitted model pickles to identical bytes; joblib.hash is stable."""
    X, y = iris
    from sklearn.ensemble import RandomForestClassifier

    model = VersionedEstimator(RandomForestClassifier(n_estimators=5, random_state=0))
    model.fit(X, y)
    first = model.__reduce_ex__(5)
    assert model.__reduce_ex__(5) is first
    assert pickle.dumps(model) == pickle.dumps(model)
    assert joblib.hash(model) == joblib.hash(model)
    model.set_params(estimator__n_estimators=5)
    assert model.__reduce_ex__(5) is not first


def test_fit_drops_the_cached_pickle(iris):
    """Refitting on other data changes what the model pickles to."""
    X, y = iris
    from sklearn.linear_model import LogisticRegression

    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    before = read_envelope(pickle.dumps(model)).payload["digest"]
    model.fit(X[:100], y[:100])
    after = read_envelope(pickle.dumps(model))
    assert after.payload["digest"] != before
    assert after.schema["n_samples"] == 100


def test_buffers_are_zero_copy_views_of_the_model(iris):
    """The reduce tuple's buffers view the model's own memory."""
    X, y = iris
    from sklearn.neighbors import KNeighborsClassifier

    model = VersionedEstimator(KNeighborsClassifier(algorithm="brute")).fit(X, y)
    _, (envelope, stream, buffers) = model.__reduce_ex__(5)
    fit_X = model.estimator_._fit_X
    assert any(np.shares_memory(buf, fit_X) for buf in buffers)
    assert all(buf.dtype == np.uint8 and buf.ndim == 1 for buf in buffers)
    assert len(stream) < fit_X.nbytes
    assert [b["nbytes"] for b in envelope["payload"]["buffers"]] == [
        b.nbytes for b in buffers
    ]


def test_unfitted_wrapper_pickles_its_parameters(iris):
    """An unfitted wrapper (a clone shipped to a worker) pickles like any estimator."""
    from sklearn.linear_model import LogisticRegression

    model = VersionedEstimator(LogisticRegression(C=0.3), metadata={"a": 1})
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.get_params()["estimator__C"] == 0.3
    assert loaded.metadata == {"a": 1}
    X, y = iris
    loaded.fit(X, y)
    assert loaded.score(X, y) > 0.9
