"""The Jupyter display: scikit-learn's diagram beside an envelope card."""

from __future__ import annotations

import pickle

from sklearn.linear_model import LogisticRegression

from tests._forge import forge
from versioned_estimator import VersionedEstimator, config_context


def _fitted(iris):
    X, y = iris
    return VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"owner": "ana"}
    ).fit(X, y)


def _with_packages(model, packages):
    """A sealed copy of ``model`` whose envelope records other packages."""
    edited = forge(model, envelope=lambda e: e["packages"].update(packages))
    return pickle.loads(pickle.dumps(edited))


def test_sealed_model_shows_its_card_without_loading(iris):
    """The card and the repr of a sealed model come from the envelope alone."""
    sealed = pickle.loads(pickle.dumps(_fitted(iris)))
    page = sealed._repr_html_()
    assert "ve-card" in page
    assert "LogisticRegression" in page
    assert "owner=ana" in page
    assert "replayed on first use" in page
    assert "sealed" in repr(sealed)
    assert "_sealed" in vars(sealed)


def test_fitted_model_shows_diagram_and_card(iris):
    """A fitted model shows scikit-learn's diagram and the card side by side."""
    page = _fitted(iris)._repr_html_()
    assert "sk-estimator" in page or "sk-top-container" in page
    assert "ve-card" in page
    assert "environment matches" in page


def test_unfitted_model_shows_only_the_diagram():
    """Before fit there is no envelope, so no card."""
    page = VersionedEstimator(LogisticRegression())._repr_html_()
    assert "ve-card" not in page


def test_card_colours_changed_and_missing_packages(iris):
    """A changed version is marked as such, a missing package in red."""
    sealed = _with_packages(
        _fitted(iris), {"scikit-learn": "0.24.2", "no-such-dist": "1.0"}
    )
    page = sealed._repr_html_()
    assert 'class="ve-minor"' in page or 'class="ve-major"' in page
    assert 'class="ve-missing"' in page
    assert "scikit-learn 0.24.2 →" in page


def test_loaded_model_reports_the_probe_replay(iris):
    """After materializing, the card says what the probe replay found: that it
    was skipped when nothing changed, what it compared when it ran."""
    X, _ = iris
    data = pickle.dumps(_fitted(iris))
    loaded = pickle.loads(data)
    loaded.predict(X[:1])
    page = loaded._repr_html_()
    assert ">loaded<" in page
    assert "probe replay: skipped (" in page
    with config_context(replay="always"):
        replayed = pickle.loads(data)
    replayed.predict(X[:1])
    page = replayed._repr_html_()
    assert "probe replay: ok" in page
    assert "skipped" not in page


def test_the_diagram_draws_the_fitted_model(iris, tmp_path):
    """Once fitted, the diagram draws ``estimator_``, as a search draws its
    best estimator: the unfitted template drawn as fitted broke it (a
    one-to-one FunctionTransformer's names, round 173), fresh and loaded."""
    import joblib
    import numpy as np
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from versioned_estimator import load

    X, y = iris
    steps = make_pipeline(
        FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
        LogisticRegression(max_iter=500),
    )
    fitted = VersionedEstimator(steps).fit(X, y)
    assert "estimator_: Pipeline" in fitted._repr_html_()
    joblib.dump(fitted, tmp_path / "m.joblib")
    loaded = load(tmp_path / "m.joblib")
    loaded.predict(X[:2])
    assert "estimator_: Pipeline" in loaded._repr_html_()
    assert "estimator: Pipeline" in VersionedEstimator(steps)._repr_html_()
