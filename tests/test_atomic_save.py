"""save is atomic: a writer killed at any moment leaves the old model or the
new one at the path, never a partial file.

A ``kill -9`` cannot run cleanup code, so the killed writer's temporary file
(``.<name>.<pid>.<random>.tmp`` beside the target) stays behind until the next
``save`` to that path, which removes temporary files of dead writers.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from versioned_estimator import (
    VersionedEstimator,
    VersionedEstimatorError,
    load,
    read_envelope,
    save,
)

# 750 000 rows x 50 float64 columns: a 300 MB model (a brute-force KNN keeps
# its training data as one array).
ROWS = 750_000

WRITER = """
import sys

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from versioned_estimator import VersionedEstimator, save

path, rows = sys.argv[1], int(sys.argv[2])
X = np.random.default_rng(0).random((rows, 50))
y = (X[:, 0] > 0.5).astype(np.int64)
model = VersionedEstimator(KNeighborsClassifier(algorithm="brute"), probe_size=0)
model.fit(X, y)
print("saving", flush=True)
save(model, path)
print("saved", flush=True)
"""

OLD = "sklearn.linear_model._logistic.LogisticRegression"
NEW = "sklearn.neighbors._classification.KNeighborsClassifier"


def temp_files(folder: Path, name: str) -> list[Path]:
    """The temporary files save makes beside ``name``."""
    return sorted(folder.glob(f".{name}.*.tmp"))


def start_writer(path: Path) -> subprocess.Popen[bytes]:
    """A process that builds a 300 MB model and saves it over ``path``; returns
    once it is about to call save."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(ROWS)],
        stdout=subprocess.PIPE,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"saving\n"
    return writer


def test_a_save_killed_at_any_moment_leaves_a_loadable_model(iris, tmp_path):
    """SIGKILL a writer from the start of save to its end, nine times: the
    path always loads, fully verified, as the old model or the new one, and
    at most the killed writer's own temporary file is left."""
    X, y = iris
    path = tmp_path / "model.joblib"
    old = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    save(old, path)
    outcomes: list[tuple[float, str, bool]] = []
    for delay in (0.0, 0.05, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.5):
        writer = start_writer(path)
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert writer.stdout is not None
        writer.stdout.close()
        left = temp_files(tmp_path, path.name)
        assert len(left) <= 1, left
        found = read_envelope(path).estimator_class
        assert found in (OLD, NEW)
        loaded = load(path)
        if found == OLD:
            np.testing.assert_array_equal(loaded.predict(X), old.predict(X))
        else:
            assert loaded.estimator_._fit_X.shape == (ROWS, 50)
        del loaded
        outcomes.append((delay, found, bool(left)))
    # The next save to the path removes what the killed writers left.
    save(old, path)
    assert temp_files(tmp_path, path.name) == []
    # The kills did land inside save's writing, not only before or after it.
    assert any(mid_write for _, _, mid_write in outcomes), outcomes


def test_a_completed_save_replaces_the_file_and_leaves_no_temporary(iris, tmp_path):
    """Control: a writer that finishes leaves the new model and nothing else."""
    X, y = iris
    path = tmp_path / "model.joblib"
    save(VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y), path)
    writer = start_writer(path)
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"saved\n"
    assert writer.wait() == 0
    writer.stdout.close()
    assert read_envelope(path).estimator_class == NEW
    assert temp_files(tmp_path, path.name) == []


def test_saving_to_a_directory_raises(iris, tmp_path):
    """A directory is not a model path: save raises and writes nothing."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    with pytest.raises(IsADirectoryError, match=r"is a directory"):
        save(model, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("model", "error", "message"),
    [
        (LogisticRegression(), NotFittedError, r"not fitted: fit it first"),
        (
            VersionedEstimator(LogisticRegression()),
            VersionedEstimatorError,
            r"Only a fitted model can be saved",
        ),
    ],
    ids=["bare", "wrapped"],
)
def test_saving_an_unfitted_model_raises_clearly(
    model: Any, error: type[Exception], message: str, tmp_path: Path
):
    """An unfitted model, bare or wrapped, is refused with a message that says
    to fit it, and no file (temporary or not) is left."""
    with pytest.raises(error, match=message):
        save(model, tmp_path / "model.joblib")
    assert list(tmp_path.iterdir()) == []
