"""Provenance captured at fit, in real git repositories, by real processes.

The envelope records the commit and dirty flag of the work tree a model was
trained in. These tests build a throwaway repository in ``tmp_path``, fit in a
child interpreter whose working directory is that repository, and compare with
``git`` itself. A ``git`` stand-in first on ``PATH`` counts invocations, to show
that pickling never runs git. The envelope must also be deterministic: the
same fitted model pickles to the same bytes (``joblib.hash`` and
``joblib.Memory`` keys depend on it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests._seed_helpers import child_env, run_python

GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")

FIT = """\
import datetime as dt

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator, read_envelope

X, y = load_iris(return_X_y=True)
start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
wrapped = VersionedEstimator.wrap(LogisticRegression(max_iter=1000).fit(X, y))
emit(
    start=start.isoformat(),
    git=model.envelope.git,
    wrapped_git=wrapped.envelope.git,
    created_at=model.envelope.created_at,
)
"""


def git_env(ceiling):
    """Git isolated from the user's configuration, and never looking above
    ``ceiling`` for a repository."""
    return {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": os.fspath(ceiling),
    }


def git(repo, *args):
    done = subprocess.run(
        [GIT, *args],
        cwd=repo,
        env=child_env(extra=git_env(repo.parent)),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A git repository with one commit of one tracked file."""
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    git(folder, "config", "user.name", "Seed Tester")
    git(folder, "config", "user.email", "seed@example.invalid")
    (folder / "train.py").write_text("ALPHA = 1\n", encoding="utf-8")
    git(folder, "add", "train.py")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def fit_in(folder, **extra_env):
    return run_python(FIT, cwd=folder, env={**git_env(folder.parent), **extra_env})


# ----------------------------------------------------------------------------
# Commit and dirty flag
# ----------------------------------------------------------------------------


def test_clean_work_tree_records_its_commit(repo):
    """Fitting (or wrapping) in a clean repository records HEAD and dirty
    False, and a UTC creation time taken at fit."""
    child = fit_in(repo)
    seen = child.data

    assert child.returncode == 0
    head = git(repo, "rev-parse", "HEAD")
    # a ``python -c`` fit of a library estimator: the working directory's repo
    expected = {"commit": head, "dirty": False, "source": "cwd", "file": None}
    assert seen["git"] == expected
    assert seen["wrapped_git"] == expected
    assert seen["created_at"].endswith("Z")
    created = dt.datetime.fromisoformat(seen["created_at"].replace("Z", "+00:00"))
    start = dt.datetime.fromisoformat(seen["start"])
    assert start <= created <= start + dt.timedelta(minutes=5)


def test_modified_tracked_file_records_dirty(repo):
    """After a tracked file changes, the envelope says dirty True and still
    names HEAD."""
    (repo / "train.py").write_text("ALPHA = 2\n", encoding="utf-8")
    child = fit_in(repo)
    assert child.returncode == 0
    assert child.data["git"] == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "dirty": True,
        "source": "cwd",
        "file": None,
    }


def test_outside_a_repository_records_no_commit(tmp_path):
    """Outside any git repository commit and dirty are None."""
    folder = tmp_path / "plain"
    folder.mkdir()
    child = fit_in(folder)
    assert child.returncode == 0
    expected = {"commit": None, "dirty": None, "source": "cwd", "file": None}
    assert child.data["git"] == expected
    assert child.data["wrapped_git"] == expected


def test_a_script_records_its_own_repository_wherever_it_runs(repo, tmp_path):
    """``python repo/train.py`` run from a folder outside the repository records
    the repository of the script (source "script"), not the working directory."""
    (repo / "train.py").write_text(
        "import json\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from versioned_estimator import VersionedEstimator\n"
        "X, y = load_iris(return_X_y=True)\n"
        "model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)\n"
        "print(json.dumps(model.envelope.git))\n",
        encoding="utf-8",
    )
    git(repo, "commit", "-q", "-am", "training script")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, os.fspath(repo / "train.py")],
        cwd=elsewhere,
        env=child_env(extra=git_env(tmp_path)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "dirty": False,
        "source": "script",
        "file": "train.py",
    }


def test_a_user_estimator_module_records_its_repository(repo, tmp_path):
    """Fitted from ``python -c`` outside any repository, a user's estimator
    class records the repository of the module defining it (source "module")."""
    (repo / "shop_models.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n\n\n"
        "class ShopClassifier(LogisticRegression):\n    pass\n",
        encoding="utf-8",
    )
    git(repo, "add", "shop_models.py")
    git(repo, "commit", "-q", "-m", "shop models")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    child = run_python(
        "from sklearn.datasets import load_iris\n"
        "from shop_models import ShopClassifier\n"
        "from versioned_estimator import VersionedEstimator\n"
        "X, y = load_iris(return_X_y=True)\n"
        "model = VersionedEstimator(ShopClassifier(max_iter=1000)).fit(X, y)\n"
        "emit(git=model.envelope.git)\n",
        cwd=elsewhere,
        pythonpath=[repo],
        env=git_env(tmp_path),
    )
    assert child.data["git"] == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "dirty": False,
        "source": "module",
        "file": "shop_models.py",
    }


REFIT_AFTER_COMMIT = """\
import subprocess

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator

X, y = load_iris(return_X_y=True)
first = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
with open("train.py", "w", encoding="utf-8") as handle:
    handle.write("ALPHA = 3\\n")
subprocess.run(["git", "commit", "-q", "-am", "second"], check=True)
second = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
emit(first=first.envelope.git, second=second.envelope.git)
"""


def test_fit_after_a_commit_in_the_same_process_records_the_new_commit(repo):
    """A script that commits and then fits again records the new commit, not
    the one of its previous fit."""
    child = run_python(REFIT_AFTER_COMMIT, cwd=repo, env=git_env(repo.parent))
    assert child.returncode == 0
    head = git(repo, "rev-parse", "HEAD")
    assert child.data["first"]["commit"] == git(repo, "rev-parse", "HEAD~1")
    assert child.data["second"]["commit"] == head
    assert child.data["second"]["dirty"] is False


# ----------------------------------------------------------------------------
# git runs at fit, never when pickling
# ----------------------------------------------------------------------------

COUNT_GIT = """\
import copy
import os
import pickle

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator

log = os.environ["SEED_GIT_LOG"]


def calls():
    if not os.path.exists(log):
        return 0
    with open(log, encoding="utf-8") as handle:
        return len(handle.read().splitlines())


X, y = load_iris(return_X_y=True)
before_fit = calls()
model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
after_fit = calls()

for _ in range(50):
    pickle.dumps(model)
for _ in range(50):
    model.set_params(probe_size=5)  # a parameter set between pickles
    pickle.dumps(model)
joblib.hash(model)
copy.deepcopy(model)
loaded = pickle.loads(pickle.dumps(model))
loaded.predict(X)  # materializes
for _ in range(10):
    pickle.dumps(loaded)

emit(
    before_fit=before_fit,
    after_fit=after_fit,
    after_pickling=calls(),
    git=model.envelope.git,
)
"""


@pytest.fixture
def logging_git(tmp_path):
    """Environment for a child whose ``git`` is a stand-in first on PATH that
    logs each invocation to ``SEED_GIT_LOG`` and runs the real git."""
    if sys.platform == "win32":
        pytest.skip("the git stand-in is a sh script")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "git"
    stand_in.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$*" >> "$SEED_GIT_LOG"\n'
        f'exec {shlex.quote(GIT)} "$@"\n',
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    return {
        "SEED_GIT_LOG": os.fspath(tmp_path / "git.log"),
        "PATH": os.fspath(bin_dir) + os.pathsep + os.environ.get("PATH", ""),
    }


def test_git_runs_at_fit_never_when_pickling(repo, logging_git):
    """With a logging git first on PATH, fit runs it once, and 100
    pickle.dumps (with parameters set between them), joblib.hash, deepcopy and
    a reload run it not at all."""
    child = run_python(COUNT_GIT, cwd=repo, env={**git_env(repo.parent), **logging_git})
    seen = child.data

    assert child.returncode == 0
    assert seen["before_fit"] == 0
    assert seen["after_fit"] == 1  # one process: porcelain v2 says both
    assert seen["after_pickling"] == seen["after_fit"]
    # the stand-in really was the git that answered
    assert seen["git"]["commit"] == git(repo, "rev-parse", "HEAD")
    assert seen["git"]["dirty"] is False


def test_no_git_runs_outside_a_repository(tmp_path, logging_git):
    """With no ``.git`` in the folder or above it, a fit records no commit
    without starting git (each worker of a search would start one)."""
    folder = tmp_path / "plain"
    folder.mkdir()
    child = run_python(COUNT_GIT, cwd=folder, env={**git_env(tmp_path), **logging_git})

    assert child.returncode == 0
    assert child.data["after_pickling"] == 0
    assert child.data["git"] == {
        "commit": None,
        "dirty": None,
        "source": "cwd",
        "file": None,
    }


def test_git_dir_names_a_repository_elsewhere(repo, tmp_path, logging_git):
    """``GIT_DIR`` names a repository with no ``.git`` above the folder: git
    still runs, and the commit is that repository's."""
    folder = tmp_path / "plain"
    folder.mkdir()
    env = {**git_env(tmp_path), **logging_git, "GIT_DIR": os.fspath(repo / ".git")}
    child = run_python(COUNT_GIT, cwd=folder, env=env)

    assert child.returncode == 0
    assert child.data["after_fit"] == 1
    assert child.data["git"]["commit"] == git(repo, "rev-parse", "HEAD")


# ----------------------------------------------------------------------------
# Determinism
# ----------------------------------------------------------------------------

DUMP_TWICE = """\
import pickle

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator

X, y = load_iris(return_X_y=True)
model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
first = pickle.dumps(model)
second = pickle.dumps(model)
hashes = [joblib.hash(model), joblib.hash(model)]
model.set_params(probe_size=5)  # set to its own value: the same bytes
rebuilt = pickle.dumps(model)
hashes.append(joblib.hash(model))
joblib.dump(model, "model.joblib")
with open("model.pkl", "wb") as handle:
    handle.write(first)
emit(
    same_bytes=first == second,
    same_after_rebuild=first == rebuilt,
    same_p5=pickle.dumps(model, protocol=5) == pickle.dumps(model, protocol=5),
    hashes=hashes,
)
"""

HASH_LOADED = """\
import pickle

import joblib
from sklearn.datasets import load_iris

X, _ = load_iris(return_X_y=True)
with open("model.pkl", "rb") as handle:
    saved = handle.read()
sealed = pickle.loads(saved)
loaded = joblib.load("model.joblib")
emit(
    sealed_bytes=pickle.dumps(sealed) == saved,
    sealed_hash=joblib.hash(sealed),
    joblib_sealed_hash=joblib.hash(loaded),
)
loaded.predict(X)
again = pickle.loads(pickle.dumps(loaded))


def described(envelope):
    # what the envelope says of the model, apart from the payload's bytes (a
    # stream pickled again after a load may memoize strings differently)
    data = envelope.to_dict()
    data.pop("payload")
    data["trailer"].pop("checksums")
    return data


emit(
    used_hashes=[joblib.hash(loaded), joblib.hash(loaded)],
    used_bytes_stable=pickle.dumps(loaded) == pickle.dumps(loaded),
    used_envelope=described(again.envelope) == described(sealed.envelope),
    used_same_predictions=bool((again.predict(X) == loaded.predict(X)).all()),
)
"""


@pytest.fixture(scope="module")
def hashed_model(tmp_path_factory):
    """A wrapped model pickled and hashed several times in one process, then
    saved by joblib.dump and pickle."""
    folder = tmp_path_factory.mktemp("hashed")
    child = run_python(DUMP_TWICE, cwd=folder)
    assert child.returncode == 0
    return folder, child.data


@pytest.fixture(scope="module")
def reloaded(hashed_model):
    """What another process sees when it reloads, hashes, uses and hashes
    again the saved model."""
    folder, _ = hashed_model
    child = run_python(HASH_LOADED, cwd=folder)
    assert child.returncode == 0
    return child.data


def test_same_fitted_model_pickles_to_the_same_bytes(hashed_model):
    """Two pickle.dumps give identical bytes, also after a parameter is set to
    its own value; joblib.hash is stable across calls."""
    _, seen = hashed_model
    assert seen["same_bytes"] is True
    assert seen["same_after_rebuild"] is True
    assert seen["same_p5"] is True
    assert len(set(seen["hashes"])) == 1


def test_reloaded_model_hashes_like_the_saved_one(hashed_model, reloaded):
    """In another process, a model loaded by pickle or joblib (not yet used)
    pickles to the saved bytes and has the saved joblib.hash."""
    _, saved = hashed_model
    assert reloaded["sealed_bytes"] is True
    assert reloaded["sealed_hash"] == saved["hashes"][0]
    assert reloaded["joblib_sealed_hash"] == saved["hashes"][0]


def test_a_used_loaded_model_hashes_deterministically(reloaded):
    """After its first predict a loaded model pickles its live object: the
    same bytes and joblib.hash (a joblib.Memory key) every time, and the
    envelope it was saved with (probe outputs included)."""
    assert len(set(reloaded["used_hashes"])) == 1
    assert reloaded["used_bytes_stable"] is True
    assert reloaded["used_envelope"] is True
    assert reloaded["used_same_predictions"] is True
