"""Every pickle is the model as it is now: no stale state, no stale probe, and
by-value code travels wherever the bare model's does.

Each file is loaded in a fresh process (``load`` with ``replay="always"`` and
``on_drift="error"``), so a stale checksum, a stale probe or a stale part of
the state shows as a failure there, not as a silent success in the process
that wrote it.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from versioned_estimator import (
    UntrustedGlobalError,
    VersionedEstimator,
    VersionedEstimatorError,
    load,
    read_envelope,
)

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import json, sys
import numpy as np
from versioned_estimator import load
model = load(sys.argv[1], replay="always", on_drift="error", trusted=sys.argv[3:])
X = np.load(sys.argv[2])
out = {"predict": model.predict(X).tolist(), "report": str(model._verification)}
if hasattr(model, "predict_proba"):
    out["proba"] = model.predict_proba(X).tolist()
out["metadata"] = model.envelope.metadata
out["params"] = model.get_params(deep=True).get("estimator__C")
print(json.dumps(out))
"""


def fresh_load(path: Path, X: np.ndarray, *trusted: str) -> dict[str, Any]:
    """Load ``path`` in a new interpreter, strictly; its predictions on X."""
    np.save(path.with_suffix(".npy"), X)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECK,
            str(path),
            str(path.with_suffix(".npy")),
            *trusted,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    """3000 rows: a KNN keeps them as an out-of-band buffer (96 KB)."""
    return make_classification(
        n_samples=3000, n_features=4, n_informative=3, n_redundant=1, random_state=0
    )


def _pickled_once(model: VersionedEstimator, tmp_path: Path) -> None:
    """A first pickle (and envelope), so that any cache would now exist."""
    joblib.dump(model, tmp_path / "first.joblib")
    _ = model.envelope


# ----------------------------------------------------------------------------
# Changes after a first pickle reach the next one
# ----------------------------------------------------------------------------


def test_an_array_changed_in_place_is_saved_and_replays(tmp_path, data):
    """``coef_ *= 2`` after a first pickle: the next file loads (checksums of
    the new content), predicts as the changed model, and its probe describes
    the changed model (no drift alarm against itself)."""
    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    _pickled_once(model, tmp_path)
    model.estimator_.coef_ *= 2
    joblib.dump(model, tmp_path / "m.joblib")
    found = fresh_load(tmp_path / "m.joblib", X[:50])
    np.testing.assert_allclose(found["proba"], model.predict_proba(X[:50]))


def test_an_out_of_band_buffer_changed_in_place_is_saved(tmp_path, data):
    """The KNN's training array (an out-of-band buffer, whose view is kept for
    loky) is changed in place after a first pickle: the next file holds the
    new bytes, with their checksums, and a probe recorded on them."""
    X, y = data
    model = VersionedEstimator(KNeighborsClassifier(algorithm="brute")).fit(X, y)
    assert model.envelope.payload["buffers"]
    _pickled_once(model, tmp_path)
    model.estimator_._fit_X[:] *= -1
    joblib.dump(model, tmp_path / "m.joblib")
    found = fresh_load(tmp_path / "m.joblib", X[:50])
    np.testing.assert_array_equal(found["predict"], model.predict(X[:50]))


def test_a_rebound_attribute_is_saved(tmp_path, data):
    """``estimator_.coef_ = new`` and a changed intercept reach the next file."""
    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    _pickled_once(model, tmp_path)
    model.estimator_.coef_ = -model.estimator_.coef_
    model.estimator_.intercept_ = model.estimator_.intercept_ + 1.0
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(model))
    found = fresh_load(tmp_path / "m.pkl", X[:50])
    np.testing.assert_allclose(found["proba"], model.predict_proba(X[:50]))


def test_partial_fit_after_a_pickle_is_saved(tmp_path, data):
    """More batches of partial_fit after a first pickle reach the next file;
    the schema counts every row seen."""
    X, y = data
    model = VersionedEstimator(SGDClassifier(random_state=0))
    model.partial_fit(X[:1000], y[:1000], classes=np.unique(y))
    _pickled_once(model, tmp_path)
    model.partial_fit(X[1000:], y[1000:])
    joblib.dump(model, tmp_path / "m.joblib")
    found = fresh_load(tmp_path / "m.joblib", X[:50])
    np.testing.assert_array_equal(found["predict"], model.predict(X[:50]))
    assert read_envelope(tmp_path / "m.joblib").schema["n_samples"] == 3000


def test_parameters_and_metadata_set_after_fit_survive(tmp_path, data):
    """``set_params(metadata=...)`` reaches the envelope at the next pickle and
    ``set_params(estimator__C=0.5)`` survives the round trip, as any
    scikit-learn parameter does."""
    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    _pickled_once(model, tmp_path)
    model.set_params(metadata={"stage": "prod"}, estimator__C=0.5)
    joblib.dump(model, tmp_path / "m.joblib")
    assert read_envelope(tmp_path / "m.joblib").metadata == {"stage": "prod"}
    found = fresh_load(tmp_path / "m.joblib", X[:5])
    assert found["metadata"] == {"stage": "prod"}
    assert found["params"] == 0.5


def test_set_output_after_a_pickle_is_saved(tmp_path, data):
    """set_output on the wrapper after a first pickle reaches the next file:
    the loaded transformer gives DataFrames."""
    X, _ = data
    model = VersionedEstimator(StandardScaler()).fit(X)
    _pickled_once(model, tmp_path)
    model.set_output(transform="pandas")
    joblib.dump(model, tmp_path / "m.joblib")
    loaded = load(tmp_path / "m.joblib", replay="always", on_drift="error")
    assert type(loaded.transform(X[:5])).__name__ == "DataFrame"


def test_a_nested_step_change_is_saved(tmp_path, data):
    """A Pipeline's nested step changed after a first pickle (its C, then its
    coefficients) reaches the next file: envelope and behaviour."""
    X, y = data
    model = VersionedEstimator(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    ).fit(X, y)
    _pickled_once(model, tmp_path)
    clf = model.estimator_.steps[1][1]
    clf.set_params(C=0.25)
    clf.coef_ = clf.coef_ * 3
    joblib.dump(model, tmp_path / "m.joblib")
    envelope = read_envelope(tmp_path / "m.joblib")
    assert envelope.params["logisticregression__C"] == 0.25
    found = fresh_load(tmp_path / "m.joblib", X[:50])
    np.testing.assert_allclose(found["proba"], model.predict_proba(X[:50]))


def test_a_loaded_model_changed_and_saved_again(tmp_path, data):
    """Load, change in place, save again: the new file holds the change and
    replays without an alarm in a fresh process."""
    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    joblib.dump(model, tmp_path / "a.joblib")
    loaded = load(tmp_path / "a.joblib")
    loaded.estimator_.coef_ *= 0.5
    joblib.dump(loaded, tmp_path / "b.joblib")
    found = fresh_load(tmp_path / "b.joblib", X[:50])
    np.testing.assert_allclose(found["proba"], loaded.predict_proba(X[:50]))


def test_reduce_and_reduce_ex_give_the_same_envelope_and_payload(data):
    """``__reduce__()`` called directly (some serializers do) gives the
    envelope-plus-payload call, as ``__reduce_ex__`` does."""
    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    by_reduce, by_ex = model.__reduce__(), model.__reduce_ex__(4)
    assert by_reduce[0] is by_ex[0]
    assert by_reduce[1][0] == by_ex[1][0]
    assert by_reduce[1][1] == by_ex[1][1]
    assert len(by_reduce[1]) == 4


def test_joblib_hash_follows_the_state(data):
    """joblib.hash (joblib.Memory's key) is the same for the same model and
    changes when the model changes."""
    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    first = joblib.hash(model)
    assert joblib.hash(model) == first
    model.estimator_.coef_ *= 2
    assert joblib.hash(model) != first


def test_a_scipy_ufunc_pickles(tmp_path):
    """FunctionTransformer(scipy.special.expit): scipy ufuncs have no
    ``__module__``; the model pickles as the bare model does and loads."""
    from scipy.special import expit

    X = np.linspace(-3, 3, 40).reshape(-1, 2)
    model = VersionedEstimator(FunctionTransformer(expit)).fit(X)
    assert model.envelope.estimator_class.endswith("FunctionTransformer")
    joblib.dump(model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_allclose(loaded.transform(X), expit(X))


def test_an_error_inside_envelope_surfaces_as_itself(data):
    """A model that cannot be pickled says why from ``model.envelope``, not
    "no attribute 'envelope'"."""
    import threading

    X, y = data
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    model.estimator_.lock_ = threading.Lock()
    with pytest.raises((TypeError, VersionedEstimatorError), match="lock"):
        _ = model.envelope


# ----------------------------------------------------------------------------
# Code stored by value travels
# ----------------------------------------------------------------------------

BY_VALUE = """
import json, pickle, sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from versioned_estimator import VersionedEstimator

class Doubler(FunctionTransformer):
    '''A class defined in __main__.'''

def make(offset):
    def shift(X):  # a closure
        return X + offset
    return shift

rng = np.random.default_rng(0)
X = rng.standard_normal((60, 3)); y = (X[:, 0] > 0).astype(int)
model = VersionedEstimator(make_pipeline(
    FunctionTransformer(lambda X: X * 2), FunctionTransformer(make(1.0)),
    Doubler(), LogisticRegression())).fit(X, y)
expected = model.predict_proba(X).tolist()
results = {}

def same(m):
    return m.predict_proba(X).tolist() == expected

import cloudpickle
results["cloudpickle"] = same(cloudpickle.loads(cloudpickle.dumps(model)))
import dill
results["dill"] = same(dill.loads(dill.dumps(model)))
results["pickle-same-process"] = same(pickle.loads(pickle.dumps(model)))

from joblib import Parallel, delayed
def fitted_copy(m):
    return m
back = Parallel(n_jobs=2)(delayed(fitted_copy)(model) for _ in range(2))
results["loky-return"] = all(b.predict_proba(X).tolist() == expected for b in back)

from sklearn.model_selection import cross_validate
fresh = VersionedEstimator(make_pipeline(
    FunctionTransformer(lambda X: X * 2), Doubler(), LogisticRegression()))
cv = cross_validate(fresh, X, y, cv=2, n_jobs=2, return_estimator=True)
results["cross_validate"] = all(hasattr(e, "predict") for e in cv["estimator"])

from versioned_estimator import read_envelope
head = read_envelope(pickle.dumps(model))
results["pickler"] = head.payload["pickler"]
results["cloudpickle-pinned"] = "cloudpickle" in head.requirements
with open(sys.argv[1], "wb") as handle:
    pickle.dump(model, handle)
np.save(sys.argv[2], X)
with open(sys.argv[3], "w") as handle:
    json.dump(expected, handle)
print(json.dumps(results))
"""

LOAD_BY_VALUE = """
import json, pickle, sys
import numpy as np
from versioned_estimator import UntrustedGlobalError, load
X = np.load(sys.argv[2])
expected = json.load(open(sys.argv[3]))
out = {}
with open(sys.argv[1], "rb") as handle:
    out["plain-pickle"] = pickle.load(handle).predict_proba(X).tolist() == expected
try:
    load(sys.argv[1])
except UntrustedGlobalError as exc:
    out["refused"] = True
    out["message"] = str(exc)
    names = list(exc.names)
    back = load(sys.argv[1], trusted=names)
    out["trusted-load"] = back.predict_proba(X).tolist() == expected
else:
    out["refused"] = False
print(json.dumps(out))
"""


def test_by_value_code_travels_through_every_pickler(tmp_path):
    """A wrapped pipeline holding a lambda, a closure and a class defined in
    __main__ round-trips through cloudpickle, dill, pickle, loky (Parallel
    returning models, cross_validate with return_estimator); its stream is
    written by cloudpickle, which the envelope pins. In another process,
    plain pickle.load works (as for the bare model), the safe load refuses
    the code stored by value, saying so, and loads when the caller trusts the
    names it lists."""
    paths = [str(tmp_path / n) for n in ("m.pkl", "X.npy", "expected.json")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", BY_VALUE, *paths],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.splitlines()[-1])
    assert results == {
        "cloudpickle": True,
        "dill": True,
        "pickle-same-process": True,
        "loky-return": True,
        "cross_validate": True,
        "pickler": "cloudpickle",
        "cloudpickle-pinned": True,
    }
    done = subprocess.run(
        [sys.executable, "-c", LOAD_BY_VALUE, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded["plain-pickle"] is True
    assert loaded["refused"] is True
    assert "stored by value" in loaded["message"]
    assert loaded["trusted-load"] is True


def test_dask_sends_a_model_with_a_lambda(tmp_path):
    """A wrapped model holding a lambda predicts on a dask worker (a real
    LocalCluster on loopback), as the bare model does."""
    distributed = pytest.importorskip("distributed")
    X, y = make_classification(n_samples=200, n_features=4, random_state=0)
    model = VersionedEstimator(
        make_pipeline(FunctionTransformer(lambda A: A * 3), LogisticRegression())
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with (
            distributed.LocalCluster(
                n_workers=1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            future = client.submit(lambda m, A: m.predict(A), model, X)
            np.testing.assert_array_equal(future.result(), model.predict(X))


def test_safe_load_of_by_value_code_names_every_global(tmp_path):
    """In this process too: the refusal lists cloudpickle's names, none of
    them imported or run, and trusting exactly them loads the model."""
    X, y = make_classification(
        n_samples=60, n_features=3, n_informative=2, n_redundant=0, random_state=0
    )
    model = VersionedEstimator(
        make_pipeline(FunctionTransformer(lambda A: A + 1), LogisticRegression())
    ).fit(X, y)
    path = tmp_path / "m.joblib"
    joblib.dump(model, path)
    with pytest.raises(UntrustedGlobalError, match="stored by value") as caught:
        load(path)
    assert any("cloudpickle" in name for name in caught.value.names)
    loaded = load(path, trusted=list(caught.value.names))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_main_class_script(tmp_path):
    """A class defined in a script's __main__, pickled wrapped, loads in
    another script (the class travels by value)."""
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import pickle, sys
            import numpy as np
            from sklearn.linear_model import LogisticRegression
            from versioned_estimator import VersionedEstimator

            class Mine(LogisticRegression):
                pass

            X = np.arange(40.0).reshape(-1, 2); y = (X[:, 0] > 20).astype(int)
            m = VersionedEstimator(Mine()).fit(X, y)
            pickle.dump(m, open(sys.argv[1], "wb"))
            print(m.predict(X).sum())
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "m.pkl")],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = pickle.loads((tmp_path / "m.pkl").read_bytes())
    X = np.arange(40.0).reshape(-1, 2)
    assert str(loaded.predict(X).sum()) == done.stdout.strip()
