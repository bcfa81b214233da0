"""MLflow: the sklearn flavor saves a wrapped model, pyfunc loads it."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator, read_envelope

mlflow = pytest.importorskip("mlflow")

# MLflow's own modules warn about their own type hints when first imported.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*type hint.* is inferred as AnyType:UserWarning"
)


@pytest.fixture
def fitted(iris):
    X, y = iris
    model = VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"run": "mlflow-test"}
    ).fit(X, y)
    return model, X


def _pickle_file(folder):
    names = [n for n in os.listdir(folder) if n.endswith((".pkl", ".pickle"))]
    assert len(names) == 1, os.listdir(folder)
    return os.path.join(folder, names[0])


@pytest.mark.parametrize("serialization_format", ["cloudpickle", "pickle"])
def test_save_model_and_pyfunc_load(fitted, tmp_path, serialization_format):
    """mlflow.sklearn.save_model keeps the envelope; pyfunc predicts the same."""
    model, X = fitted
    folder = tmp_path / "model"
    mlflow.sklearn.save_model(
        model, str(folder), serialization_format=serialization_format
    )
    envelope = read_envelope(_pickle_file(folder))
    assert envelope.metadata == {"run": "mlflow-test"}
    expected = model.envelope.to_dict()
    expected.pop("trailer")  # read_envelope reads the head of the file only
    assert envelope.to_dict() == expected
    loaded = mlflow.pyfunc.load_model(str(folder))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    native = mlflow.sklearn.load_model(str(folder))
    assert isinstance(native, VersionedEstimator)
    assert native.envelope == model.envelope
    np.testing.assert_array_equal(native.predict_proba(X), model.predict_proba(X))


def test_log_model_on_a_local_file_store(fitted, tmp_path, monkeypatch):
    """log_model to a local file store, then load it back by run URI."""
    model, X = fitted
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    try:
        with mlflow.start_run() as run:
            mlflow.sklearn.log_model(
                model, name="model", serialization_format="cloudpickle"
            )
        loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    finally:
        mlflow.set_tracking_uri(None)
