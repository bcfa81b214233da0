"""The seed's cases, each played with real processes.

A model is fitted and saved in one interpreter; the user's code or the saved
environment is then changed on disk; a second interpreter loads the model the
way a user would (``joblib.load``, ``pickle.load``, ``versioned_estimator.load``)
and reports what happened as JSON. No mocks: the modules are real files in
``tmp_path``, the processes are real ``python -c`` runs.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests._seed_helpers import run_python, write_module
from versioned_estimator import read_envelope

# ----------------------------------------------------------------------------
# 1. The user's module was renamed after the model was saved
# ----------------------------------------------------------------------------

SHOP_CLASSIFIER = """\
from sklearn.linear_model import LogisticRegression


class ShopClassifier(LogisticRegression):
    \"\"\"A user's own classifier: pickles name it by its module, models.\"\"\"
"""

SAVE_SHOP_CLASSIFIER = """\
import joblib
import numpy as np
from sklearn.datasets import load_iris

from models import ShopClassifier
from versioned_estimator import VersionedEstimator

X, y = load_iris(return_X_y=True)
model = VersionedEstimator(ShopClassifier(max_iter=1000)).fit(X, y)
joblib.dump(model, "shop.joblib")
np.save("predictions.npy", model.predict(X))
emit(
    estimator_class=model.envelope.estimator_class,
    packages=model.envelope.packages,
)
"""

LOAD_RENAMED = """\
import sys
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_iris

import versioned_estimator as ve

warnings.simplefilter("error")
X, _ = load_iris(return_X_y=True)
expected = np.load("predictions.npy")

emit(envelope_class=ve.read_envelope("shop.joblib").estimator_class)

model = joblib.load("shop.joblib")  # sealed: the missing module is not touched
emit(loaded=type(model).__name__, has_predict=hasattr(model, "predict"))

failures = []
for attempt in range(2):  # a failed materialization can be retried, and fails again
    try:
        model.predict(X)
    except ve.InnerLoadError as exc:
        failures.append(
            {
                "message": str(exc),
                "module": exc.module,
                "is_import_error": isinstance(exc, ImportError),
                "cause": type(exc.__cause__).__name__,
            }
        )
emit(failures=failures, imported_classifiers="classifiers" in sys.modules)

with ve.config_context(module_aliases={"models": "classifiers"}):
    aliased = joblib.load("shop.joblib")
emit(
    aliased_class=type(aliased.estimator_).__module__
    + "." + type(aliased.estimator_).__qualname__,
    aliased_same=bool(np.array_equal(aliased.predict(X), expected)),
)

safe = ve.load(
    "shop.joblib",
    module_aliases={"models": "classifiers"},
    trusted=["classifiers.ShopClassifier"],
)
emit(safe_same=bool(np.array_equal(safe.predict(X), expected)))

try:
    ve.load("shop.joblib", module_aliases={"models": "classifiers"})
except ve.UntrustedGlobalError as exc:
    emit(untrusted=list(exc.names))
"""


@pytest.fixture(scope="module")
def saved_shop_classifier(tmp_path_factory):
    """A wrapped ShopClassifier saved from models.py, which is then renamed."""
    folder = tmp_path_factory.mktemp("renamed")
    write_module(folder, "models", SHOP_CLASSIFIER)
    saved = run_python(SAVE_SHOP_CLASSIFIER, cwd=folder, pythonpath=[folder])
    (folder / "models.py").rename(folder / "classifiers.py")
    return folder, saved.data


def test_renamed_module_fails_on_first_use_and_loads_with_module_aliases(
    saved_shop_classifier,
):
    """After models.py becomes classifiers.py the envelope still reads, the load
    is lazy, the first predict names the module and the fix, and module_aliases
    (config_context around joblib.load, or load()) restores the exact model."""
    folder, saved = saved_shop_classifier
    assert saved["estimator_class"] == "models.ShopClassifier"

    child = run_python(LOAD_RENAMED, cwd=folder, pythonpath=[folder])
    seen = child.data

    assert child.returncode == 0
    assert seen["envelope_class"] == "models.ShopClassifier"
    assert seen["loaded"] == "VersionedEstimator"
    assert seen["has_predict"] is True
    assert len(seen["failures"]) == 2
    for failure in seen["failures"]:
        assert failure["module"] == "models"
        assert failure["is_import_error"] is True
        assert failure["cause"] == "ModuleNotFoundError"
        assert re.search(r"module 'models'", failure["message"])
        assert "module_aliases" in failure["message"]
        assert "models.ShopClassifier" in failure["message"]
    assert seen["imported_classifiers"] is False
    assert seen["aliased_class"] == "classifiers.ShopClassifier"
    assert seen["aliased_same"] is True
    assert seen["safe_same"] is True
    assert seen["untrusted"] == ["classifiers.ShopClassifier"]


def test_subclass_of_a_library_estimator_records_the_library_version(
    saved_shop_classifier,
):
    """A user class that inherits LogisticRegression records scikit-learn's
    version: its predictions come from scikit-learn's code."""
    _, saved = saved_shop_classifier
    assert "scikit-learn" in saved["packages"]


# ----------------------------------------------------------------------------
# 2. A class constant changed after the model was saved
# ----------------------------------------------------------------------------

SHOP_REGRESSOR = """\
from sklearn.linear_model import Ridge


class ShopRegressor(Ridge):
    \"\"\"Scales Ridge's predictions by a class constant (not pickled state).\"\"\"

    SCALE = {scale}

    def predict(self, X):
        return super().predict(X) * self.SCALE
"""

SAVE_SHOP_REGRESSOR = """\
import joblib
import numpy as np
from sklearn.datasets import load_diabetes

from shop import ShopRegressor
from versioned_estimator import VersionedEstimator

X, y = load_diabetes(return_X_y=True)
model = VersionedEstimator(ShopRegressor(alpha=0.5)).fit(X, y)
joblib.dump(model, "shop.joblib")
np.save("predictions.npy", model.predict(X))
emit(probed=sorted(model.envelope.probe["outputs"]))
"""

LOAD_UNCHANGED = """\
import joblib
import numpy as np
from sklearn.datasets import load_diabetes

X, _ = load_diabetes(return_X_y=True)
model = joblib.load("shop.joblib")
emit(same=bool(np.array_equal(model.predict(X), np.load("predictions.npy"))))
"""

LOAD_DRIFTED = """\
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_diabetes

import versioned_estimator as ve

X, _ = load_diabetes(return_X_y=True)
saved = np.load("predictions.npy")


def attempt(policy):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if policy is None:
            model = joblib.load("shop.joblib")
        else:
            with ve.config_context(on_drift=policy):
                model = joblib.load("shop.joblib")
        # the policy was captured at load: it holds outside the context too
        try:
            predictions = model.predict(X)
        except ve.BehaviorDriftError as exc:
            outcome = {
                "raised": type(exc).__name__,
                "message": str(exc),
                "report_ok": exc.report.ok,
            }
        else:
            outcome = {
                "raised": None,
                "doubled": bool(np.allclose(predictions, 2 * saved)),
            }
    outcome["warnings"] = [
        {
            "category": w.category.__name__,
            "message": str(w.message),
            "report_ok": getattr(w.message, "report", None) is not None
            and w.message.report.ok,
        }
        for w in caught
    ]
    return outcome


emit(
    default=attempt(None),
    error=attempt("error"),
    ignore=attempt("ignore"),
)
"""

LOAD_DRIFTED_ENV_POLICY = """\
import joblib
from sklearn.datasets import load_diabetes

import versioned_estimator as ve

X, _ = load_diabetes(return_X_y=True)
model = joblib.load("shop.joblib")
try:
    model.predict(X)
except ve.BehaviorDriftError as exc:
    emit(raised=type(exc).__name__)
"""


@pytest.fixture(scope="module")
def shop_regressor_files(tmp_path_factory):
    """A wrapped ShopRegressor saved while shop.py says SCALE = 1.0."""
    folder = tmp_path_factory.mktemp("shop")
    write_module(folder, "shop", SHOP_REGRESSOR.format(scale="1.0"))
    saved = run_python(SAVE_SHOP_REGRESSOR, cwd=folder, pythonpath=[folder])
    assert saved.data["probed"] == ["predict"]
    return folder


@pytest.fixture
def saved_shop_regressor(shop_regressor_files, tmp_path):
    """A private copy of the saved ShopRegressor and its shop.py, to edit."""
    folder = tmp_path / "shop"
    shutil.copytree(shop_regressor_files, folder)
    return folder


def test_unchanged_module_loads_without_any_warning(saved_shop_regressor):
    """With shop.py untouched, joblib.load + predict under ``-W error`` succeeds
    and gives the saved predictions."""
    child = run_python(
        LOAD_UNCHANGED,
        cwd=saved_shop_regressor,
        pythonpath=[saved_shop_regressor],
        warnings_as_errors=True,
    )
    assert child.returncode == 0
    assert child.data == {"same": True}


def test_changed_class_constant_is_caught_by_the_probe(saved_shop_regressor):
    """After SCALE = 2.0 the probe replay warns by default
    (BehaviorDriftWarning), raises under on_drift="error" and stays silent
    under on_drift="ignore"."""
    write_module(saved_shop_regressor, "shop", SHOP_REGRESSOR.format(scale="2.0"))

    child = run_python(
        LOAD_DRIFTED, cwd=saved_shop_regressor, pythonpath=[saved_shop_regressor]
    )
    seen = child.data

    assert child.returncode == 0
    default = seen["default"]
    assert default["raised"] is None
    assert default["doubled"] is True
    assert [w["category"] for w in default["warnings"]] == ["BehaviorDriftWarning"]
    message = default["warnings"][0]["message"]
    assert "shop.ShopRegressor" in message
    assert "predict" in message
    assert default["warnings"][0]["report_ok"] is False

    error = seen["error"]
    assert error["raised"] == "BehaviorDriftError"
    assert error["report_ok"] is False
    assert "on_drift=error" in error["message"]
    assert error["warnings"] == []

    ignore = seen["ignore"]
    assert ignore == {"raised": None, "doubled": True, "warnings": []}


def test_drift_policy_from_the_environment_variable(saved_shop_regressor):
    """VERSIONED_ESTIMATOR_ON_DRIFT=error makes a plain joblib.load raise
    BehaviorDriftError at first use."""
    write_module(saved_shop_regressor, "shop", SHOP_REGRESSOR.format(scale="2.0"))
    child = run_python(
        LOAD_DRIFTED_ENV_POLICY,
        cwd=saved_shop_regressor,
        pythonpath=[saved_shop_regressor],
        env={"VERSIONED_ESTIMATOR_ON_DRIFT": "error"},
    )
    assert child.returncode == 0
    assert child.data == {"raised": "BehaviorDriftError"}


# ----------------------------------------------------------------------------
# 3. The file was saved in another environment
# ----------------------------------------------------------------------------

# Importing this module leaves a mark: the proof that the inner stream was (or
# was not) unpickled, since only the inner stream names it.
MARKED_MODULE = """\
import os

from sklearn.preprocessing import StandardScaler

if os.environ.get("SEED_MARKER"):
    with open(os.environ["SEED_MARKER"], "a", encoding="utf-8") as _file:
        _file.write("marked imported\\n")


class MarkedScaler(StandardScaler):
    \"\"\"A scaler whose module marks every import.\"\"\"
"""

SAVE_FOREIGN = """\
import copy

import joblib
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from marked import MarkedScaler
from versioned_estimator import VersionedEstimator

X, y = load_iris(return_X_y=True)
model = VersionedEstimator(
    make_pipeline(MarkedScaler(), LogisticRegression(max_iter=1000))
).fit(X, y)
np.save("predictions.npy", model.predict(X))

rebuild, (envelope, stream, buffers, trailer) = model.__reduce_ex__(5)


class Foreign:
    \"\"\"Pickles as the model's own reduce tuple around an edited envelope
    (the checksums in the trailer cover the payload, which is unchanged).\"\"\"

    def __init__(self, reduced):
        self.reduced = reduced

    def __reduce_ex__(self, protocol):
        return self.reduced


def write(path, **packages):
    edited = copy.deepcopy(envelope)
    edited["packages"].update(packages)
    edited["requirements"].update(packages)
    joblib.dump(Foreign((rebuild, (edited, stream, buffers, trailer))), path)


write("old-sklearn.joblib", **{"scikit-learn": "1.5.2"})
write("missing-dist.joblib", **{"no-such-dist": "1.0"})
emit(packages=envelope["packages"])
"""

LOAD_FOREIGN = """\
import os
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_iris

import versioned_estimator as ve

X, _ = load_iris(return_X_y=True)
expected = np.load("predictions.npy")
marker = os.environ["SEED_MARKER"]


def marked():
    return os.path.exists(marker)


def reported(path):
    report = ve.check_environment(path)
    return {
        "ok": report.ok,
        "changes": {p.name: [p.saved, p.installed, p.change] for p in report.packages},
        "json": report.to_dict(),
    }


emit(
    envelope_packages=ve.read_envelope("old-sklearn.joblib").packages,
    old=reported("old-sklearn.joblib"),
    missing=reported("missing-dist.joblib"),
    marked_after_check=marked(),
)

# error: raised when the file is read, before the inner stream is unpickled
errors = {}
for path in ("old-sklearn.joblib", "missing-dist.joblib"):
    try:
        with ve.config_context(on_mismatch="error"):
            model = joblib.load(path)
    except ve.EnvironmentMismatchError as exc:
        errors[path] = {
            "at": "load",
            "message": str(exc),
            "report_ok": exc.report.ok,
            "marked": marked(),
        }
    else:
        try:
            model.predict(X)
        except ve.EnvironmentMismatchError as exc:
            errors[path] = {"at": "first use", "marked": marked()}
try:
    ve.load("old-sklearn.joblib", on_mismatch="error", trusted=["marked.MarkedScaler"])
except ve.EnvironmentMismatchError:
    errors["load"] = {"marked": marked()}
emit(errors=errors)


def recorded(policy, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if policy is None:
            model = joblib.load(path)
        else:
            with ve.config_context(on_mismatch=policy):
                model = joblib.load(path)
        same = bool(np.array_equal(model.predict(X), expected))
    return {
        "same": same,
        "warnings": [
            {
                "category": w.category.__name__,
                "message": str(w.message),
                "report_ok": w.message.report.ok,
            }
            for w in caught
        ],
    }


emit(
    ignore=recorded("ignore", "old-sklearn.joblib"),
    marked_after_ignore=marked(),
    warn=recorded(None, "old-sklearn.joblib"),
    warn_missing=recorded(None, "missing-dist.joblib"),
)
"""

LOAD_FOREIGN_ENV_POLICY = """\
import os
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_iris

import versioned_estimator as ve

X, _ = load_iris(return_X_y=True)
marker = os.environ["SEED_MARKER"]

try:
    model = joblib.load("old-sklearn.joblib")
except ve.EnvironmentMismatchError as exc:
    emit(raised=type(exc).__name__, at="load", marked=os.path.exists(marker))
else:
    try:
        model.predict(X)
    except ve.EnvironmentMismatchError as exc:
        emit(raised=type(exc).__name__, at="first use", marked=os.path.exists(marker))

# an explicit config_context still overrides the deployment's default
with ve.config_context(on_mismatch="warn"):
    model = joblib.load("old-sklearn.joblib")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    same = bool(np.array_equal(model.predict(X), np.load("predictions.npy")))
emit(
    overridden=[w.category.__name__ for w in caught],
    same=same,
    marked_after_override=os.path.exists(marker),
)
"""


@pytest.fixture(scope="module")
def foreign_files(tmp_path_factory):
    """Two files whose envelopes record another environment: scikit-learn 1.5.2,
    and an extra distribution that is not installed here."""
    folder = tmp_path_factory.mktemp("foreign")
    write_module(folder, "marked", MARKED_MODULE)
    saved = run_python(SAVE_FOREIGN, cwd=folder, pythonpath=[folder])
    assert "scikit-learn" in saved.data["packages"]
    return folder


@pytest.fixture
def marker(tmp_path):
    """Where the marked module writes when it is imported (absent until then)."""
    return tmp_path / "marker.txt"


def installed_sklearn():
    import sklearn

    return sklearn.__version__


def test_foreign_environment_under_each_policy(foreign_files, marker):
    """check_environment classifies the differences; on_mismatch="error" raises
    when the file is read (joblib.load itself), before the inner stream is
    unpickled; "ignore" is silent; the default warns at first use with the
    package, both versions and the pip command."""
    child = run_python(
        LOAD_FOREIGN,
        cwd=foreign_files,
        pythonpath=[foreign_files],
        env={"SEED_MARKER": str(marker)},
    )
    seen = child.data
    here = installed_sklearn()

    assert child.returncode == 0
    assert seen["envelope_packages"]["scikit-learn"] == "1.5.2"
    assert seen["old"]["ok"] is False
    assert seen["old"]["changes"]["scikit-learn"] == ["1.5.2", here, "minor"]
    assert seen["old"]["json"]["ok"] is False
    assert seen["missing"]["ok"] is False
    assert seen["missing"]["changes"]["no-such-dist"] == ["1.0", None, "missing"]
    assert seen["missing"]["changes"]["scikit-learn"][2] == "same"
    assert seen["marked_after_check"] is False

    errors = seen["errors"]
    old = errors["old-sklearn.joblib"]
    assert old["at"] == "load"
    assert old["marked"] is False
    assert old["report_ok"] is False
    assert "scikit-learn" in old["message"]
    assert "1.5.2" in old["message"]
    assert here in old["message"]
    missing = errors["missing-dist.joblib"]
    assert missing["at"] == "load"
    assert missing["marked"] is False
    assert "no-such-dist" in missing["message"]
    assert "not installed" in missing["message"]
    assert errors["load"] == {"marked": False}

    assert seen["ignore"] == {"same": True, "warnings": []}
    assert seen["marked_after_ignore"] is True  # the marker works

    warn = seen["warn"]
    assert warn["same"] is True
    assert [w["category"] for w in warn["warnings"]] == ["EnvironmentMismatchWarning"]
    message = warn["warnings"][0]["message"]
    assert "scikit-learn" in message
    assert "1.5.2" in message
    assert here in message
    assert "pip install scikit-learn==1.5.2" in message
    assert warn["warnings"][0]["report_ok"] is False

    warn_missing = seen["warn_missing"]
    assert warn_missing["same"] is True
    assert [w["category"] for w in warn_missing["warnings"]] == [
        "EnvironmentMismatchWarning"
    ]
    assert "no-such-dist" in warn_missing["warnings"][0]["message"]


def test_mismatch_policy_from_the_environment_variable(foreign_files, marker):
    """VERSIONED_ESTIMATOR_ON_MISMATCH=error makes a plain joblib.load raise
    when it reads the file, before the inner stream is unpickled;
    config_context overrides it."""
    child = run_python(
        LOAD_FOREIGN_ENV_POLICY,
        cwd=foreign_files,
        pythonpath=[foreign_files],
        env={"SEED_MARKER": str(marker), "VERSIONED_ESTIMATOR_ON_MISMATCH": "error"},
    )
    assert child.returncode == 0
    assert child.data == {
        "raised": "EnvironmentMismatchError",
        "at": "load",
        "marked": False,
        "overridden": ["EnvironmentMismatchWarning"],
        "same": True,
        "marked_after_override": True,
    }


# ----------------------------------------------------------------------------
# 5. read_envelope reads the head of the file only, and imports nothing
# ----------------------------------------------------------------------------


class CountingFile:
    """A binary file that adds up every byte read through it."""

    def __init__(self, raw):
        self._raw = raw
        self.nbytes = 0
        self.name = raw.name

    def read(self, size=-1):
        data = self._raw.read(size)
        self.nbytes += len(data)
        return data

    def readinto(self, buffer):
        n = self._raw.readinto(buffer)
        self.nbytes += n or 0
        return n

    def readline(self, size=-1):
        line = self._raw.readline(size)
        self.nbytes += len(line)
        return line


SAVE_BIG_MODEL = """\
import pickle

import joblib
import numpy as np
from sklearn.neighbors import KNeighborsRegressor

import versioned_estimator as ve

rng = np.random.default_rng(0)
X = rng.random((500_000, 125))  # 500 MB of float64
y = rng.random(500_000)
model = ve.VersionedEstimator(KNeighborsRegressor(algorithm="brute")).fit(X, y)
del X, y
joblib.dump(model, "big.joblib")
with open("big.pkl", "wb") as handle:
    pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
ve.save(model, "big-saved.joblib")
emit(nbytes=model.envelope.payload["nbytes"])
"""

BIG_FILES = ("big.joblib", "big.pkl", "big-saved.joblib")


@pytest.fixture(scope="module")
def big_model_files(tmp_path_factory):
    """A 500 MB wrapped KNN written by joblib.dump, pickle.dump and save, in a
    child process (its memory goes with it); the files are removed after."""
    folder = tmp_path_factory.mktemp("big")
    saved = run_python(SAVE_BIG_MODEL, cwd=folder)
    yield folder, saved.data["nbytes"]
    for name in BIG_FILES:
        (folder / name).unlink(missing_ok=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", BIG_FILES)
def test_read_envelope_reads_under_64_kib_of_a_500_mb_model(big_model_files, name):
    """read_envelope of a 500 MB model reads fewer than 64 KiB of the file,
    whichever way it was written."""
    folder, nbytes = big_model_files
    path = folder / name
    assert nbytes >= 500_000_000
    assert path.stat().st_size >= 500_000_000
    with open(path, "rb") as raw:
        counting = CountingFile(raw)
        envelope = read_envelope(counting)
    assert envelope.estimator_class == (
        "sklearn.neighbors._regression.KNeighborsRegressor"
    )
    assert envelope.payload["nbytes"] == nbytes
    assert 0 < counting.nbytes < 64 * 1024


HIDDEN_MODULE = """\
from sklearn.linear_model import Ridge


class HiddenRegressor(Ridge):
    \"\"\"Lives in a module the reading process cannot import.\"\"\"
"""

SAVE_HIDDEN = """\
import os
import pickle

import joblib
from sklearn.datasets import load_diabetes

from hidden_models import HiddenRegressor
from versioned_estimator import VersionedEstimator

X, y = load_diabetes(return_X_y=True)
model = VersionedEstimator(HiddenRegressor()).fit(X, y)
out = os.environ["SEED_OUT"]
joblib.dump(model, os.path.join(out, "hidden.joblib"))
with open(os.path.join(out, "hidden.pkl"), "wb") as handle:
    pickle.dump(model, handle)
"""

READ_HIDDEN = """\
import importlib.util
import sys

import versioned_estimator as ve

read_envelope = ve.read_envelope  # the reader's own modules load on first use
imported = set(sys.modules)
envelopes = [
    read_envelope(path).estimator_class
    for path in ("hidden.joblib", "hidden.pkl")
]
after = set(sys.modules)
emit(
    envelopes=envelopes,
    importable=importlib.util.find_spec("hidden_models") is not None,
    hidden_imported="hidden_models" in sys.modules,
    new_on_read=sorted(after - imported),
)
"""


def test_read_envelope_imports_nothing_the_file_names(tmp_path):
    """In a process where the model's module is not importable, read_envelope
    of a joblib and a pickle file works and imports no module at all (neither
    the user's module nor any library the model uses)."""
    code = tmp_path / "code"
    data = tmp_path / "data"
    code.mkdir()
    data.mkdir()
    write_module(code, "hidden_models", HIDDEN_MODULE)
    run_python(SAVE_HIDDEN, cwd=code, pythonpath=[code], env={"SEED_OUT": str(data)})

    child = run_python(READ_HIDDEN, cwd=data)
    seen = child.data

    assert child.returncode == 0
    assert seen["importable"] is False
    assert seen["envelopes"] == ["hidden_models.HiddenRegressor"] * 2
    assert seen["hidden_imported"] is False
    assert seen["new_on_read"] == []


# ----------------------------------------------------------------------------
# 6. mmap_mode: a memory-mapped model stays mapped, and can be saved again
# ----------------------------------------------------------------------------

SAVE_KNN = """\
import joblib
import numpy as np
from sklearn.datasets import make_classification
from sklearn.neighbors import KNeighborsClassifier

from versioned_estimator import VersionedEstimator

# 3000 x 4 float64: 96 KB, above the 64 KiB below which arrays stay in-band
X, y = make_classification(n_samples=3000, n_features=4, random_state=0)
np.save("X.npy", X)
model = VersionedEstimator(KNeighborsClassifier(algorithm="brute")).fit(X, y)
joblib.dump(model, "knn.joblib")
np.save("predictions.npy", model.predict_proba(X))
del model
"""

MAPPED = """\
import mmap

import numpy as np


def mapping_chain(array):
    \"\"\"The types along an array's .base chain, and whether it ends in a map.\"\"\"
    chain, obj = [], array
    for _ in range(32):
        if obj is None:
            break
        chain.append(type(obj).__name__)
        if isinstance(obj, (np.memmap, mmap.mmap)):
            return True, chain
        base = getattr(obj, "base", None)
        obj = base if base is not None else getattr(obj, "obj", None)
    return False, chain
"""

RESAVE_MAPPED = """\
import pickle

import joblib

X = np.load("X.npy")
expected = np.load("predictions.npy")

sealed = joblib.load("knn.joblib", mmap_mode="r")
joblib.dump(sealed, "sealed-again.joblib")  # saved before first use

model = joblib.load("knn.joblib", mmap_mode="r")
same = bool(np.array_equal(model.predict_proba(X), expected))
mapped, chain = mapping_chain(model.estimator_._fit_X)
joblib.dump(model, "again.joblib")
with open("again.pkl", "wb") as handle:
    handle.write(pickle.dumps(model))
with open("again-p5.pkl", "wb") as handle:
    handle.write(pickle.dumps(model, protocol=5))
emit(
    same=same,
    mapped=mapped,
    chain=chain,
    writeable=bool(model.estimator_._fit_X.flags.writeable),
    still_same=bool(np.array_equal(model.predict_proba(X), expected)),
)
"""

RELOAD_RESAVED = """\
import pickle

import joblib

import versioned_estimator as ve

X = np.load("X.npy")
expected = np.load("predictions.npy")
found = {}
for path in ("sealed-again.joblib", "again.joblib"):
    found[path] = np.array_equal(joblib.load(path).predict_proba(X), expected)
    mapped = joblib.load(path, mmap_mode="r")
    found[path + " mmap"] = bool(
        np.array_equal(mapped.predict_proba(X), expected)
        and mapping_chain(mapped.estimator_._fit_X)[0]
    )
    found[path + " load"] = bool(
        np.array_equal(ve.load(path).predict_proba(X), expected)
    )
for path in ("again.pkl", "again-p5.pkl"):
    with open(path, "rb") as handle:
        reloaded = pickle.load(handle)
    found[path] = bool(np.array_equal(reloaded.predict_proba(X), expected))
    found[path + " load"] = bool(
        np.array_equal(ve.load(path).predict_proba(X), expected)
    )
emit(found=found)
"""


def test_mmap_load_keeps_arrays_mapped_and_saves_again(tmp_path):
    """joblib.load(mmap_mode="r") leaves the KNN's _fit_X memory-mapped and
    predicting as before; the mapped model (sealed or materialized) saves again
    through joblib.dump and pickle.dumps and reloads, in a fresh process, with
    identical predictions (and mapped again under mmap_mode)."""
    first = run_python(SAVE_KNN + MAPPED + RESAVE_MAPPED, cwd=tmp_path)
    assert first.returncode == 0
    assert first.data["same"] is True
    assert first.data["mapped"] is True, first.data["chain"]
    assert first.data["writeable"] is False
    assert first.data["still_same"] is True

    second = run_python(MAPPED + RELOAD_RESAVED, cwd=tmp_path)
    assert second.returncode == 0
    assert second.data["found"] == dict.fromkeys(second.data["found"], True)
    assert len(second.data["found"]) == 10
