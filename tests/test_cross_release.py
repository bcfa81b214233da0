"""Models move between real releases: saved in one environment, read in another.

Throwaway virtual environments (one per release, created once per session)
hold real older releases with this checkout installed into them:

- ``numpy1``: scikit-learn 1.6.1 on numpy 1.26.4 (the last numpy 1),
- ``numpy2``: the same scikit-learn 1.6.1 on numpy 2.2, so that a numpy 2 pickle
  and a numpy 1 environment differ in numpy alone.

The running environment (today scikit-learn 1.9, numpy 2.4) is the third. A
small driver (assembled from the ``_driver_*`` functions below) fits, saves and
reads models inside each environment and answers in JSON. Every environment
runs this checkout, so every file is written in the current file format (the
committed reference files of older formats are read in
``test_format_reference.py``). The models are a LogisticRegression and a small
forest on iris, whose arrays all stay inside the inner stream (below 64 KiB),
and a brute-force KNN on iris repeated 20 times, whose 96 KB of training data
leaves it as an out-of-band buffer: the outer pickle then holds a numpy array.

What is checked, both directions: the envelope reads everywhere; the packages
it records are the versions installed where it was saved (the ``requirements``
pins); ``check_environment`` names scikit-learn and numpy with their saved and
installed versions and the kind of change; models from the old release load
here and predict the same; a numpy 2 protocol-5 pickle with an out-of-band
buffer fails in numpy itself under numpy 1.26, while ``load()`` reads it; and
``module_aliases={"numpy._core": "numpy.core"}`` loads it into a model whose
parameters are bit-identical and whose outputs equal the same model unpickled
from a protocol-4 pickle in that environment (the alias is sound).

Known library failures are listed in ``KNOWN_FAILURES`` (strict: a known
failure that starts passing fails its test). A release pip reports unavailable
skips the tests that need it, with pip's words; any other set-up error fails.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn

from versioned_estimator._format import FORMAT_VERSION

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

RELEASES = {
    "numpy1": (
        "scikit-learn==1.6.1",
        "numpy==1.26.4",
        "scipy==1.13.1",
        "joblib==1.5.3",
        "threadpoolctl==3.5.0",
        "packaging==25.0",
        "isal==1.6.1",  # the declared floor, where it has wheels
    ),
    "numpy2": (
        "scikit-learn==1.6.1",
        "numpy==2.2.6",
        "scipy==1.15.3",
        "joblib==1.5.3",
        "threadpoolctl==3.5.0",
        "packaging==25.0",
        "isal==1.6.1",  # the declared floor, where it has wheels
    ),
}
KINDS = ("lr", "rf", "knn")
WRAPPED_FILES = ("{kind}.pkl", "{kind}.joblib", "{kind}_save.joblib")
NUMPY_ALIAS = {"numpy._core": "numpy.core"}
PIP_UNAVAILABLE = (
    "No matching distribution found",
    "Could not find a version that satisfies the requirement",
)

# Library failures found here: {scenario: cause}. Strict: see _outcome.
KNOWN_FAILURES: dict[str, str] = {}


# ----------------------------------------------------------------------------
# The driver: these functions run inside each environment (and here)
# ----------------------------------------------------------------------------


def _driver_versions():
    import importlib.metadata as metadata
    import sys

    import joblib

    found = {}
    for name in ("scikit-learn", "numpy", "scipy", "joblib", "versioned-estimator"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    found["python"] = ".".join(str(part) for part in sys.version_info[:3])
    found["joblib imported"] = joblib.__version__
    return found


def _driver_iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


def _driver_fingerprint(estimator):
    """SHA-256 of the fitted parameters: coefficients, every tree's nodes, or
    a KNN's training data."""
    import hashlib

    import numpy as np

    parts = []
    if hasattr(estimator, "coef_"):
        parts += [estimator.coef_, estimator.intercept_]
    if hasattr(estimator, "_fit_X"):
        parts += [estimator._fit_X]
    for tree in getattr(estimator, "estimators_", []):
        state = tree.tree_.__getstate__()
        parts += [state["nodes"], state["values"]]
    digest = hashlib.sha256()
    for part in parts:
        part = np.ascontiguousarray(part)
        digest.update(str(part.dtype).encode())
        digest.update(part.tobytes())
    return digest.hexdigest()


def _driver_outputs(model, X):
    from versioned_estimator import VersionedEstimator

    inner = model.estimator_ if isinstance(model, VersionedEstimator) else model
    return {
        "predict": model.predict(X).tolist(),
        "predict_proba": model.predict_proba(X).tolist(),
        "fingerprint": _driver_fingerprint(inner),
    }


def _driver_save(folder):
    """Fit a LogisticRegression and a RandomForest on iris and a KNN on iris
    repeated 20 times (96 KB of training data: an out-of-band buffer),
    wrapped, and write each with pickle (protocol 5), joblib and save, plus
    the bare estimator pickled at protocol 4."""
    import os
    import pickle

    import joblib
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    from versioned_estimator import VersionedEstimator, save

    X, y = _driver_iris()
    estimators = {
        "lr": (LogisticRegression(max_iter=1000), X, y),
        "rf": (RandomForestClassifier(n_estimators=5, random_state=0), X, y),
        "knn": (
            KNeighborsClassifier(n_neighbors=25, algorithm="brute"),
            np.repeat(X, 20, axis=0),
            np.repeat(y, 20),
        ),
    }
    expected = {}
    for kind, (estimator, fit_X, fit_y) in estimators.items():
        model = VersionedEstimator(estimator).fit(fit_X, fit_y)
        with open(os.path.join(folder, f"{kind}.pkl"), "wb") as handle:
            pickle.dump(model, handle, protocol=5)
        joblib.dump(model, os.path.join(folder, f"{kind}.joblib"))
        save(model, os.path.join(folder, f"{kind}_save.joblib"))
        with open(os.path.join(folder, f"{kind}_bare_p4.pkl"), "wb") as handle:
            pickle.dump(model.estimator_, handle, protocol=4)
        expected[kind] = _driver_outputs(model, X)
        expected[kind]["packages"] = model.envelope.packages
        expected[kind]["buffers"] = len(model.envelope.payload["buffers"])
    return {"versions": _driver_versions(), "expected": expected}


def _driver_error(exc):
    import traceback

    return {
        "type": type(exc).__name__,
        "bases": [cls.__name__ for cls in type(exc).__mro__],
        "message": str(exc),
        "module": getattr(exc, "module", None),
        "traceback": "".join(traceback.format_exception(exc)[-3:]),
    }


def _driver_read(spec):
    """Read one file: its envelope, the environment check, then load it
    (``mode``: ``load``, ``lazy`` = pickle/joblib.load, ``bare`` = a plain
    estimator pickle, ``envelope`` = not at all) and record the outputs or the
    error, and every warning."""
    import pickle
    import warnings

    import joblib

    from versioned_estimator import (
        check_environment,
        config_context,
        load,
        read_envelope,
    )

    path, mode = spec["path"], spec["mode"]
    aliases = spec.get("aliases") or {}
    on_drift = spec.get("on_drift", "warn")
    result = {"spec": spec}
    if mode != "bare":
        try:
            envelope = read_envelope(path)
            result["envelope"] = {
                "format_version": envelope.format_version,
                "estimator_class": envelope.estimator_class,
                "packages": envelope.packages,
                "globals": envelope.globals,
            }
            result["environment"] = check_environment(path).to_dict()
        except Exception as exc:
            result["envelope_error"] = _driver_error(exc)
    if mode == "envelope":
        return result
    X, _ = _driver_iris()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if mode == "load":
                model = load(
                    path,
                    on_mismatch="ignore",
                    on_drift=on_drift,
                    module_aliases=aliases,
                )
            elif mode == "lazy":
                context = config_context(
                    on_mismatch="ignore", on_drift=on_drift, module_aliases=aliases
                )
                with context:
                    if path.endswith(".pkl"):
                        with open(path, "rb") as handle:
                            model = pickle.load(handle)
                    else:
                        model = joblib.load(path)
                    model.estimator_  # noqa: B018 - materializes here
            else:
                with open(path, "rb") as handle:
                    model = pickle.load(handle)
            result["outputs"] = _driver_outputs(model, X)
        except Exception as exc:
            result["error"] = _driver_error(exc)
    result["warnings"] = [[w.category.__name__, str(w.message)] for w in caught]
    return result


def _driver_main():
    import json
    import sys

    command, argument = sys.argv[1], json.loads(sys.argv[2])
    if command == "versions":
        answer = _driver_versions()
    elif command == "save":
        answer = _driver_save(argument)
    elif command == "read":
        answer = [_driver_read(spec) for spec in argument]
    else:
        raise SystemExit(f"unknown command {command!r}")
    print("\n" + json.dumps(answer))


def driver_source():
    """The driver script: the ``_driver_*`` functions, then a call to main."""
    functions = [
        _driver_versions,
        _driver_iris,
        _driver_fingerprint,
        _driver_outputs,
        _driver_save,
        _driver_error,
        _driver_read,
        _driver_main,
    ]
    body = "\n\n".join(inspect.getsource(f) for f in functions)
    return f"{body}\n\nif __name__ == '__main__':\n    _driver_main()\n"


# ----------------------------------------------------------------------------
# Environments
# ----------------------------------------------------------------------------


def _pip(*args, python=None):
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    if python is not None:
        command += ["--python", str(python)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=1200, check=False
    )


def _install(python, requirements, *, what, extra=()):
    """pip install; skip only when pip reports the release unavailable."""
    done = _pip("install", "--quiet", *extra, *requirements, python=python)
    if done.returncode == 0:
        return
    for line in done.stderr.splitlines():
        if any(marker in line for marker in PIP_UNAVAILABLE):
            pytest.skip(f"pip reports {what} unavailable here: {line.strip()}")
    raise RuntimeError(
        f"pip install {' '.join(requirements)} failed ({done.returncode}):\n"
        f"{done.stderr[-4000:]}"
    )


def declared_floor(distribution):
    """The lowest version of a dependency pyproject.toml declares (``>=``)."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        match = re.fullmatch(rf"{re.escape(distribution)}\s*>=\s*([\d.]+)", requirement)
        if match:
            return match.group(1)
    raise LookupError(f"pyproject.toml declares no {distribution}>=...")


class Environment:
    """One Python environment: its interpreter, versions, and driver calls."""

    def __init__(self, name, python, folder):
        self.name = name
        self.python = Path(python)
        self.folder = Path(folder)
        self.driver = self.folder / "driver.py"
        self.driver.write_text(driver_source())
        self.versions = self.run("versions", None)
        self._saved = None

    def run(self, command, argument, *, pythonpath=None):
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if pythonpath is not None:
            environ["PYTHONPATH"] = str(pythonpath)
        done = subprocess.run(
            [str(self.python), str(self.driver), command, json.dumps(argument)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=self.folder,  # outside any git work tree
            env=environ,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"driver {command} in {self.name} failed:\n{done.stderr[-4000:]}"
            )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def saved(self):
        """The files this environment wrote (once), and what they predicted."""
        if self._saved is None:
            folder = self.folder / "saved"
            folder.mkdir(exist_ok=True)
            answer = self.run("save", str(folder))
            self._saved = (folder, answer["expected"])
        return self._saved

    def read(self, specs, *, pythonpath=None):
        return self.run("read", specs, pythonpath=pythonpath)


def create_release(name, requirements, folder):
    """A venv with ``requirements`` and this checkout (editable, no deps), whose
    declared runtime requirements pip check finds satisfied."""
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("the tests do not run from a checkout: nothing to install")
    venv = folder / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _install(
        python,
        requirements,
        what=" ".join(requirements),
        extra=("--only-binary=:all:",),
    )
    _install(python, ["-e", str(ROOT)], what="this checkout", extra=("--no-deps",))
    check = _pip("check", python=python)
    assert check.returncode == 0, (
        f"{name}: the project's declared requirements are not met by "
        f"{requirements}:\n{check.stdout}{check.stderr}"
    )
    return Environment(name, python, folder)


@pytest.fixture(scope="session")
def environments(tmp_path_factory):
    """Created on first use, one per release, shared by every test."""
    cache = {}

    def get(name):
        if name not in cache:
            folder = tmp_path_factory.mktemp(f"release-{name}")
            if name == "here":
                cache[name] = Environment(name, sys.executable, folder)
            else:
                cache[name] = create_release(name, RELEASES[name], folder)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def here(environments):
    return environments("here")


@pytest.fixture(scope="session")
def numpy1(environments):
    return environments("numpy1")


@pytest.fixture(scope="session")
def numpy2(environments):
    return environments("numpy2")


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


def expected_change(saved, installed):
    """same / patch / minor / major, from the release numbers."""
    old = [int(p) for p in re.findall(r"\d+", saved)[:3]]
    new = [int(p) for p in re.findall(r"\d+", installed)[:3]]
    if old == new:
        return "same"
    if old[0] != new[0]:
        return "major"
    return "minor" if old[1] != new[1] else "patch"


def files(folder, kinds=KINDS, patterns=WRAPPED_FILES):
    return [str(folder / p.format(kind=kind)) for kind in kinds for p in patterns]


def kind_of(path):
    return Path(path).name.split("_")[0].split(".")[0]


def packages_entry(environment, name):
    entries = {entry["name"]: entry for entry in environment["packages"]}
    return entries[name]


def warning_names(result):
    return {category for category, _ in result["warnings"]}


def assert_loaded_like(result, recorded, *, rtol=1e-9):
    """Loaded without error and predicted what was recorded: labels exactly,
    probabilities within ``rtol`` (numpy's kernels differ by an ulp between
    builds; the fitted parameters are compared bit for bit elsewhere)."""
    assert "error" not in result, result["error"]
    assert result["outputs"]["predict"] == recorded["predict"]
    np.testing.assert_allclose(
        result["outputs"]["predict_proba"], recorded["predict_proba"], rtol=rtol
    )


def _outcome(scenario, passed, detail, symptom):
    """Assert a scenario passes, unless it is a known failure, which must still
    fail, and fail the known way (``symptom``, a regex over ``detail``): it is
    then reported as an expected failure. A known failure that passes fails."""
    if scenario in KNOWN_FAILURES:
        assert not passed, f"{scenario} now passes: remove it from KNOWN_FAILURES"
        assert re.search(symptom, str(detail)), f"{scenario} fails otherwise: {detail}"
        pytest.xfail(f"known failure: {KNOWN_FAILURES[scenario]}")
    assert passed, detail


# Warnings a load across releases may legitimately raise.
SKLEARN_VERSION_WARNING = "InconsistentVersionWarning"
NUMPY_CORE_RENAMED = re.compile(r"numpy\.core\.\w+ is deprecated and has been renamed")


def unexpected_warnings(result):
    """Warnings other than scikit-learn's version warning and numpy 2's
    deprecation of the ``numpy.core`` names a numpy 1 pickle uses."""
    return [
        (category, message)
        for category, message in result["warnings"]
        if category != SKLEARN_VERSION_WARNING
        and not (
            category == "DeprecationWarning" and NUMPY_CORE_RENAMED.search(message)
        )
    ]


# ----------------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------------


def test_old_releases_are_installed_with_this_checkout(numpy1, numpy2):
    """Each environment runs the pinned releases and this checkout, and meets
    the project's declared runtime requirements (pip check, at creation)."""
    for environment in (numpy1, numpy2):
        pins = dict(r.split("==") for r in RELEASES[environment.name])
        for name, version in pins.items():
            if name in environment.versions:
                assert environment.versions[name] == version, (environment.name, name)
        assert environment.versions["versioned-estimator"] is not None
    assert numpy1.versions["numpy"].startswith("1.")
    assert numpy2.versions["numpy"].startswith("2.")


# ----------------------------------------------------------------------------
# Old release -> here
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", WRAPPED_FILES)
def test_envelope_of_an_old_release_reads_here(numpy1, pattern):
    """The envelope a numpy 1 / scikit-learn 1.6.1 environment wrote reads here,
    and records the versions installed there."""
    from versioned_estimator import read_envelope

    folder, expected = numpy1.saved()
    for kind in KINDS:
        envelope = read_envelope(folder / pattern.format(kind=kind))
        assert envelope.format_version == FORMAT_VERSION
        assert envelope.packages == {
            "numpy": numpy1.versions["numpy"],
            "scikit-learn": numpy1.versions["scikit-learn"],
        }
        assert envelope.packages == expected[kind]["packages"]
        assert "numpy.core.numeric._frombuffer" in envelope.globals
        assert not any(g.startswith("numpy._core.") for g in envelope.globals)


def test_check_environment_here_names_the_old_versions(numpy1):
    """check_environment compares the saved scikit-learn and numpy with the ones
    installed here, with the right kind of change, and gives the pins back."""
    from versioned_estimator import check_environment

    folder, _ = numpy1.saved()
    report = check_environment(folder / "lr_save.joblib")
    entries = {entry.name: entry for entry in report.packages}
    assert set(entries) == {"numpy", "scikit-learn"}
    for name, installed in (
        ("numpy", np.__version__),
        ("scikit-learn", sklearn.__version__),
    ):
        saved = numpy1.versions[name]
        assert (entries[name].saved, entries[name].installed) == (saved, installed)
        assert entries[name].change == expected_change(saved, installed), name
    assert not report.ok
    assert report.fix() == (
        f"pip install numpy=={numpy1.versions['numpy']} "
        f"scikit-learn=={numpy1.versions['scikit-learn']}"
    )
    text = str(report)
    assert numpy1.versions["numpy"] in text
    assert numpy1.versions["scikit-learn"] in text


def test_requirements_pins_are_the_versions_of_the_saving_environment(numpy1):
    """``versioned-estimator requirements`` pins exactly what was installed where
    the model was saved (scikit-learn, numpy and what they need, this
    package), and names its Python in a comment."""
    from versioned_estimator import read_envelope

    folder, _ = numpy1.saved()
    path = folder / "rf.joblib"
    done = subprocess.run(
        [sys.executable, "-m", "versioned_estimator", "requirements", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    pins = [line for line in lines if line.strip() and not line.startswith("#")]
    assert pins == [
        f"{name}=={version}"
        for name, version in sorted(read_envelope(path).requirements.items())
    ]
    installed = dict(r.split("==") for r in RELEASES["numpy1"])
    assert {f"{name}=={version}" for name, version in installed.items()} <= set(pins)
    assert f"versioned-estimator=={numpy1.versions['versioned-estimator']}" in pins
    assert any(
        line.startswith("#") and numpy1.versions["python"] in line for line in lines
    )


@pytest.mark.parametrize("mode", ["load", "lazy"])
@pytest.mark.parametrize("pattern", WRAPPED_FILES)
@pytest.mark.parametrize("kind", KINDS)
def test_models_of_an_old_release_load_here_and_predict_the_same(
    numpy1, kind, pattern, mode
):
    """A scikit-learn 1.6.1 / numpy 1.26 model loads here (safe load and plain
    pickle/joblib) and predicts what it predicted there, with no drift alarm:
    only scikit-learn's version warning and numpy's numpy.core deprecation."""
    folder, expected = numpy1.saved()
    path = str(folder / pattern.format(kind=kind))
    result = _driver_read({"path": path, "mode": mode})
    assert_loaded_like(result, expected[kind])
    assert not unexpected_warnings(result), result["warnings"]
    assert SKLEARN_VERSION_WARNING in warning_names(result)


def test_mismatch_policies_on_a_model_of_an_old_release(numpy1):
    """on_mismatch="error" refuses before unpickling; the default warns with a
    report naming scikit-learn and numpy."""
    from sklearn.exceptions import InconsistentVersionWarning

    from versioned_estimator import (
        EnvironmentMismatchError,
        EnvironmentMismatchWarning,
        load,
    )

    folder, _ = numpy1.saved()
    path = folder / "lr_save.joblib"
    with pytest.raises(EnvironmentMismatchError, match="numpy") as refused:
        load(path, on_mismatch="error")
    assert {e.name for e in refused.value.report.mismatches} >= {
        "numpy",
        "scikit-learn",
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        warnings.filterwarnings(
            "ignore", NUMPY_CORE_RENAMED.pattern, DeprecationWarning
        )
        with pytest.warns(EnvironmentMismatchWarning, match="scikit-learn") as caught:
            load(path)
    mismatch = [w for w in caught if w.category is EnvironmentMismatchWarning]
    assert mismatch
    report = mismatch[0].message.report
    assert {e.name: e.saved for e in report.packages} == {
        "numpy": numpy1.versions["numpy"],
        "scikit-learn": numpy1.versions["scikit-learn"],
    }


# ----------------------------------------------------------------------------
# Here -> old release
# ----------------------------------------------------------------------------


def test_envelope_of_this_release_reads_in_the_old_one(here, numpy1):
    """Under numpy 1.26 and scikit-learn 1.6.1, the envelope written here reads
    (plain data: no numpy needed) and check_environment names the downgrade."""
    folder, expected = here.saved()
    results = numpy1.read([{"path": p, "mode": "envelope"} for p in files(folder)])
    for result in results:
        assert "envelope_error" not in result, result["envelope_error"]
        kind = kind_of(result["spec"]["path"])
        envelope = result["envelope"]
        assert envelope["format_version"] == FORMAT_VERSION
        assert envelope["packages"] == expected[kind]["packages"]
        assert envelope["packages"] == {
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        }
        for name in ("numpy", "scikit-learn"):
            entry = packages_entry(result["environment"], name)
            saved, installed = envelope["packages"][name], numpy1.versions[name]
            assert (entry["saved"], entry["installed"]) == (saved, installed)
            assert entry["change"] == expected_change(saved, installed)
        assert result["environment"]["ok"] is False


def test_a_numpy2_model_loads_under_numpy1_through_the_core_alias(numpy2, numpy1):
    """A numpy 2 inner stream names numpy._core.numeric, which numpy 1.26 lacks:
    the built-in numpy core alias loads it (load() and joblib.load, all three
    file kinds) and it predicts what it predicted, with no drift alarm."""
    folder, expected = numpy2.saved()
    specs = [
        {"path": path, "mode": mode, "on_drift": "error"}
        for path in files(folder)
        for mode in ("load", "lazy")
        if not (mode == "lazy" and path.endswith(".pkl"))
    ]
    for result in numpy1.read(specs):
        kind = kind_of(result["spec"]["path"])
        assert_loaded_like(result, expected[kind])
        assert not unexpected_warnings(result), result["warnings"]


def test_the_models_have_in_band_and_out_of_band_arrays(numpy1, numpy2, here):
    """The KNN's training data is an out-of-band buffer in every environment;
    the LogisticRegression's and the forest's arrays stay in the stream."""
    for environment in (numpy1, numpy2, here):
        _, expected = environment.saved()
        buffers = {kind: expected[kind]["buffers"] for kind in KINDS}
        assert buffers == {"lr": 0, "rf": 0, "knn": 1}, environment.name


def test_a_numpy2_plain_pickle_under_numpy1(numpy2, numpy1):
    """A wrapper written by pickle.dump with an out-of-band buffer (the KNN)
    holds it as a numpy 2 array in the outer pickle, so under numpy 1.26 plain
    pickle.load fails in numpy itself (nothing of ours runs first), while
    load(), whose outer reader builds the buffers itself, loads it and predicts
    the same. Without buffers (LogisticRegression, forest) the outer pickle
    names no numpy, and plain pickle.load works too (the built-in numpy core
    alias reads the inner stream)."""
    folder, expected = numpy2.saved()
    specs = [
        {"path": path, "mode": mode}
        for path in files(folder, patterns=("{kind}.pkl",))
        for mode in ("lazy", "load")
    ]
    results = numpy1.read(specs)
    for result in results:
        assert "envelope_error" not in result, "read_envelope needs no numpy"
    for result in results:
        kind = kind_of(result["spec"]["path"])
        if kind == "knn" and result["spec"]["mode"] == "lazy":
            assert "ImportError" in result["error"]["bases"]
            assert "numpy._core" in result["error"]["message"]
        else:
            assert_loaded_like(result, expected[kind])
            assert not unexpected_warnings(result), result["warnings"]


def test_the_numpy_core_alias_is_sound(numpy2, numpy1):
    """module_aliases={"numpy._core": "numpy.core"} loads a numpy 2 model under
    numpy 1.26 (same scikit-learn) into bit-identical fitted parameters whose
    outputs equal those of the same model unpickled from a protocol-4 pickle
    there, with no drift alarm: numpy 1.26's numpy.core reconstructors
    (_frombuffer, _reconstruct, scalar) are the ones numpy 2 renamed."""
    folder, expected = numpy2.saved()
    wrapped = [
        {"path": path, "mode": mode, "aliases": NUMPY_ALIAS, "on_drift": "error"}
        for path in files(folder, patterns=("{kind}.joblib", "{kind}_save.joblib"))
        for mode in ("load", "lazy")
    ]
    bare = [
        {"path": str(folder / f"{kind}_bare_p4.pkl"), "mode": "bare"} for kind in KINDS
    ]
    results = numpy1.read(wrapped + bare)
    reference = {kind_of(r["spec"]["path"]): r for r in results[len(wrapped) :]}
    for kind, result in reference.items():
        assert "error" not in result, result["error"]
        assert result["outputs"]["fingerprint"] == expected[kind]["fingerprint"]
    for result in results[: len(wrapped)]:
        kind = kind_of(result["spec"]["path"])
        assert "error" not in result, result["error"]
        assert result["warnings"] == [], result["warnings"]
        outputs = result["outputs"]
        assert outputs["fingerprint"] == expected[kind]["fingerprint"]
        assert outputs == reference[kind]["outputs"]
        assert_loaded_like(result, expected[kind])


def test_a_model_of_this_release_in_older_scikit_learn(here, numpy2):
    """Here (scikit-learn 1.9) -> scikit-learn 1.6.1 on numpy 2: the forest loads
    and predicts the same; the LogisticRegression's probe catches predict_proba
    breaking (BehaviorDriftError with on_drift="error")."""
    folder, expected = here.saved()
    path = {kind: str(folder / f"{kind}_save.joblib") for kind in KINDS}
    results = numpy2.read(
        [
            {"path": path["rf"], "mode": "load", "on_drift": "error"},
            {"path": path["lr"], "mode": "load", "on_drift": "error"},
            {"path": path["lr"], "mode": "load", "on_drift": "warn"},
        ]
    )
    forest, strict, lenient = results
    assert_loaded_like(forest, expected["rf"])
    assert not unexpected_warnings(forest), forest["warnings"]
    assert strict["error"]["type"] == "BehaviorDriftError", strict["error"]
    assert "predict_proba" in strict["error"]["message"]
    assert "multi_class" in strict["error"]["message"]
    drift_warned = "BehaviorDriftWarning" in warning_names(lenient)
    error = lenient.get("error")
    # load() itself succeeds with a warning; the model's own predict_proba then
    # fails in the older release, which is what the drift warning announced.
    handled = (
        error is None
        or "VersionedEstimatorError" in error["bases"]
        or "predict_proba" in error["traceback"]
    )
    _outcome(
        "newer-scikit-learn-model-in-older-scikit-learn-warn-policy",
        drift_warned and handled,
        lenient,
        symptom=r"'type': 'AttributeError'.*multi_class",
    )


# ----------------------------------------------------------------------------
# The declared joblib floor
# ----------------------------------------------------------------------------


def test_safe_load_works_at_the_declared_joblib_floor(numpy1, tmp_path_factory):
    """pyproject declares joblib>=X: with joblib X.* put first on the path of the
    numpy1 environment, load() reads that environment's own files."""
    floor = declared_floor("joblib")
    target = tmp_path_factory.mktemp("joblib-floor")
    _install(
        numpy1.python,
        [f"joblib=={floor}.*"],
        what=f"joblib {floor}",
        extra=("--no-deps", "--only-binary=:all:", "--target", str(target)),
    )
    folder, expected = numpy1.saved()
    results = numpy1.read(
        [{"path": str(folder / "lr_save.joblib"), "mode": "load"}],
        pythonpath=target,
    )
    (result,) = results
    versions = numpy1.run("versions", None, pythonpath=target)
    imported = versions["joblib imported"].split(".")
    assert imported[: len(floor.split("."))] == floor.split("."), imported
    works = "error" not in result and result["outputs"] == {
        key: expected["lr"][key] for key in ("predict", "predict_proba", "fingerprint")
    }
    _outcome(
        "safe-load-at-the-declared-joblib-floor",
        works,
        result.get("error", result.get("outputs")),
        symptom=r"_validate_fileobject_and_memmap",
    )
