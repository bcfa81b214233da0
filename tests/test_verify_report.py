"""model.verify(X): the probe replay and the checks of X are reported apart.

``checks`` compare the replayed probe with the saved outputs (drift);
``data_checks`` compare X's schema with the saved one and say whether each
probed method ran on X (``ran``) or raised (``error``). A schema difference
is not a replay difference.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator
from versioned_estimator._probe import ProbeCheck

METHODS = ["decision_function", "predict", "predict_proba"]


@pytest.fixture(scope="module")
def frame() -> tuple[Any, Any]:
    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def model(frame: tuple[Any, Any]) -> Any:
    X, y = frame
    return VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)


def _statuses(checks: list[dict[str, Any]]) -> dict[str, str]:
    return {c["method"]: c["status"] for c in checks}


def test_an_X_whose_schema_differs_is_not_probe_drift(
    model: Any, frame: tuple[Any, Any]
) -> None:
    X, _ = frame
    report = model.verify(X.astype("float32"))
    text = str(report).splitlines()
    assert text[0] == "probe replay: ok"
    assert "probe replay: DIFFERS" not in str(report)
    assert "given X: DIFFERS" in text
    given = text[text.index("given X: DIFFERS") + 1 :]
    assert given[0].split() == ["schema.n_features", "same"]
    assert given[1].split() == ["schema.feature_names", "same"]
    assert given[2].split()[:2] == ["schema.dtypes", "differs"]
    assert "X has ['float32'," in given[2]
    assert "saved ['float64'," in given[2]
    assert [line.split() for line in given[3:]] == [
        [f"{method}(X)", "ran"] for method in METHODS
    ]
    assert not report.ok
    assert [c.method for c in report.failures] == ["schema.dtypes"]

    data = report.to_dict()
    json.dumps(data)  # plain data
    assert data["ok"] is False
    assert _statuses(data["checks"]) == dict.fromkeys(
        ["predict", "predict_proba", "decision_function"], "same"
    )
    assert _statuses(data["data_checks"]) == {
        "schema.n_features": "same",
        "schema.feature_names": "same",
        "schema.dtypes": "differs",
        **{f"{method}(X)": "ran" for method in METHODS},
    }


def test_an_X_the_model_cannot_take(model: Any, frame: tuple[Any, Any]) -> None:
    X, _ = frame
    report = model.verify(X.iloc[:, :3])
    assert str(report).splitlines()[0] == "probe replay: ok"
    assert "given X: DIFFERS" in str(report)
    data = report.to_dict()
    assert all(c["status"] == "same" for c in data["checks"])
    statuses = _statuses(data["data_checks"])
    assert statuses["schema.n_features"] == "differs"
    assert statuses["schema.feature_names"] == "differs"
    for method in METHODS:
        assert statuses[f"{method}(X)"] == "error"
    errors = [c for c in data["data_checks"] if c["status"] == "error"]
    assert all(c["detail"].startswith("ValueError: ") for c in errors)
    assert "schema.n_features    differs (X has 3, saved 4)" in str(report)
    assert "predict(X)           error (ValueError: " in str(report)


def test_an_X_like_the_training_data(model: Any, frame: tuple[Any, Any]) -> None:
    X, _ = frame
    report = model.verify(X.iloc[:10])
    assert report.ok
    text = str(report).splitlines()
    assert text[0] == "probe replay: ok"
    assert "given X: ok" in text
    data = report.to_dict()
    assert set(_statuses(data["data_checks"]).values()) == {"same", "ran"}
    assert data["ok"] is True


def test_without_X_there_are_no_data_checks(model: Any) -> None:
    report = model.verify()
    assert report.ok
    assert report.data_checks == []
    assert report.to_dict()["data_checks"] == []
    assert "given X" not in str(report)
    assert str(report).splitlines()[0] == "probe replay: ok"


def test_drift_and_a_good_X_are_reported_apart(
    model: Any, frame: tuple[Any, Any]
) -> None:
    X, _ = frame
    loaded = pickle.loads(pickle.dumps(model))
    loaded.estimator_.coef_ *= -1  # the model no longer gives its saved outputs
    report = loaded.verify(X.iloc[:10])
    text = str(report).splitlines()
    assert text[0] == "probe replay: DIFFERS"
    assert "given X: ok" in text
    data = report.to_dict()
    assert set(_statuses(data["checks"]).values()) == {"differs"}
    assert set(_statuses(data["data_checks"]).values()) == {"same", "ran"}
    assert data["ok"] is False
    assert {c.method for c in report.failures} == set(METHODS)


def test_which_statuses_pass() -> None:
    passing = {"same", "ran", "random"}
    for status in ["same", "differs", "error", "ran", "random"]:
        assert ProbeCheck("m", status).ok is (status in passing)


class _RepeatsByChance:
    """A random predict whose first calls after loading happen to agree: the
    saved outputs were all 0, the loaded model answers 1, 1, 1 and then 2."""

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, X: Any) -> Any:
        import numpy as np

        self.calls += 1
        return np.full(len(X), 1 if self.calls <= 3 else 2)


def test_a_random_output_that_repeats_by_chance_is_not_drift() -> None:
    """A differing method is called again until calls disagree: two equal calls
    in a row (1 in 32 for two labels over five rows) do not make it drift."""
    import numpy as np

    from versioned_estimator._probe import record_outputs, replay
    from versioned_estimator._rows import encode_input

    rows = np.zeros((5, 2))
    saved = record_outputs(
        type("Zero", (), {"predict": lambda self, X: np.zeros(5)})(), rows
    )
    probe = {"X": encode_input(rows), "n_rows": 5}
    random_model = _RepeatsByChance()
    report = replay(random_model, probe, saved)
    assert _statuses([c.to_dict() for c in report.checks]) == {"predict": "random"}
    steady = type("One", (), {"predict": lambda self, X: np.ones(5)})()
    report = replay(steady, probe, saved)
    assert _statuses([c.to_dict() for c in report.checks]) == {"predict": "differs"}
