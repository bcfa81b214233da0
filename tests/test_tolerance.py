"""The probe's tolerances tell the truth: no drift alarm for a model loaded
where only BLAS/OpenMP thread counts differ, an alarm for a real change.

Every estimator of the fidelity matrix, fitted on float64 and on float32
data, plus BLAS-heavy models on 1000 features (where OpenBLAS splits the
products between threads and float32 outputs move by a few ulps), is saved
wrapped, then loaded in fresh processes with one and with two BLAS and OpenMP
threads, with ``on_drift="error"`` and ``replay="always"``: none may fail.
The seed's case, a user module whose constant changed, is still caught there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.random_projection import GaussianRandomProjection

from tests.test_all_estimators import ESTIMATORS, fit
from versioned_estimator import VersionedEstimator, save

pytestmark = pytest.mark.slow

WIDE = 1000


def wide_models() -> dict[str, tuple[object, np.ndarray, np.ndarray | None]]:
    """Models whose probe products are big enough to use several BLAS threads."""
    X, y = make_regression(n_samples=200, n_features=WIDE, random_state=0)
    Xc, yc = make_classification(n_samples=200, n_features=WIDE, random_state=0)
    return {
        "MLPRegressor": (
            MLPRegressor(hidden_layer_sizes=(64,), max_iter=50, random_state=0),
            X,
            y,
        ),
        "MLPClassifier": (
            MLPClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0),
            Xc,
            yc,
        ),
        "PCA": (PCA(n_components=20, random_state=0), X, None),
        "GaussianRandomProjection": (
            GaussianRandomProjection(n_components=50, random_state=0),
            X,
            None,
        ),
        "Ridge": (Ridge(), X, y),
        "LogisticRegression": (LogisticRegression(max_iter=200), Xc, yc),
    }


def write_models(folder: Path) -> list[str]:
    """Save every model, in float64 and float32, wrapped with a probe."""
    written = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = []
        for name, cls in ESTIMATORS.items():
            try:
                estimator, case = fit(cls)
            except Exception:
                continue
            X = case.X
            if isinstance(X, np.ndarray) and X.dtype.kind == "f":
                fitted.append((f"{name}-f64", estimator, X))
                try:
                    f32 = fit(cls)[0]
                    f32.fit(
                        *[a.astype(np.float32) if a is X else a for a in case.fit_args]
                    )
                    fitted.append((f"{name}-f32", f32, X.astype(np.float32)))
                except Exception:
                    pass
            else:
                fitted.append((name, estimator, X))
        for name, (template, X, y) in wide_models().items():
            for dtype in (np.float64, np.float32):
                Xd = X.astype(dtype)
                model = clone(template)
                model.fit(Xd) if y is None else model.fit(Xd, y)
                label = f"{name}-wide-{np.dtype(dtype).name}"
                fitted.append(
                    (label, VersionedEstimator.wrap(model, probe=Xd[::10]), Xd)
                )
        for name, model, X in fitted:
            wrapped = (
                model
                if isinstance(model, VersionedEstimator)
                else VersionedEstimator.wrap(model, probe=X)
            )
            try:
                save(wrapped, folder / f"{name}.joblib")
            except Exception:
                continue
            written.append(name)
    return written


LOAD_ALL = """
import json, sys, warnings
from pathlib import Path
from versioned_estimator import BehaviorDriftError, load
folder = Path(sys.argv[1])
found = {}
for path in sorted(folder.glob("*.joblib")):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load(path, on_drift="error", replay="always")
    except BehaviorDriftError as exc:
        found[path.stem] = "drift: " + str(exc.report)
    except Exception as exc:
        found[path.stem] = "error: " + type(exc).__name__ + ": " + str(exc)[:200]
    else:
        found[path.stem] = "ok"
print(json.dumps(found))
"""


def load_all(folder: Path, threads: int) -> dict[str, str]:
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
    }
    done = subprocess.run(
        [sys.executable, "-c", LOAD_ALL, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=True,
    )
    result: dict[str, str] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("tolerance")
    return folder, write_models(folder)


@pytest.mark.parametrize("threads", [1, 2])
def test_no_false_drift_alarm_across_thread_counts(saved, threads):
    """Loaded with 1 or 2 BLAS threads, no model of the matrix (float32 and
    float64) nor any wide BLAS-heavy model raises a drift alarm."""
    folder, written = saved
    assert len(written) > 200
    results = load_all(folder, threads)
    drift = {name: r for name, r in results.items() if r.startswith("drift")}
    assert drift == {}
    assert sum(r == "ok" for r in results.values()) >= len(written) - 5, {
        name: r for name, r in results.items() if r != "ok"
    }


SHOP = """
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

SCALE = {scale}


class Scaled(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        self.coef_ = np.linalg.lstsq(X, y, rcond=None)[0]
        return self

    def predict(self, X):
        return (X @ self.coef_) * SCALE
"""


def test_a_changed_constant_is_still_caught(tmp_path):
    """The seed's case: the user's module multiplies by 1.0001 instead of 1.0
    after the model was saved; loading it raises BehaviorDriftError, under
    the new tolerances, with one or two threads."""
    (tmp_path / "shop.py").write_text(textwrap.dedent(SHOP.format(scale="1.0")))
    save_code = (
        "import numpy as np, shop\n"
        "from versioned_estimator import VersionedEstimator, save\n"
        "X = np.random.default_rng(0).standard_normal((50, 4)); y = X.sum(axis=1)\n"
        "save(VersionedEstimator(shop.Scaled()).fit(X, y), 'shop.joblib')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    subprocess.run([sys.executable, "-c", save_code], cwd=tmp_path, env=env, check=True)
    (tmp_path / "shop.py").write_text(textwrap.dedent(SHOP.format(scale="1.0001")))
    load_code = (
        "from versioned_estimator import BehaviorDriftError, load\n"
        "try:\n"
        "    load('shop.joblib', trusted=['shop.Scaled'], on_drift='error')\n"
        "except BehaviorDriftError as exc:\n"
        "    print('drift', exc.report.failures[0].detail)\n"
    )
    for threads in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", load_code],
            cwd=tmp_path,
            env={**env, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads},
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.startswith("drift"), done.stdout + done.stderr
