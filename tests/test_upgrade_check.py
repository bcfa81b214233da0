"""``upgrade-check`` and ``env`` with real releases from the package index.

An "old" environment (scikit-learn 1.6.1 on numpy 2.2, built with uv, with
this checkout installed) saves the models; the commands then build their own
environments for real:

- a LogisticRegression(solver="liblinear") on iris keeps behaving under
  scikit-learn 1.7.2 (exit 0), and really changes under the current release:
  1.6.1 normalized its one-versus-rest sigmoids in ``predict_proba``, 1.8
  (which removed ``multi_class``) takes the softmax of the decision
  function, so the probabilities move by up to 0.19 on the probe rows while
  labels and decision function stay the same. Found by loading 35 kinds of
  1.6.1 models (and every default-constructed estimator) under 1.7.2, 1.8.0
  and 1.9.1: the liblinear and ``multi_class="ovr"`` logistic regressions
  were the ones whose outputs changed (a few others, MaxAbsScaler,
  SimpleImputer, RidgeClassifier, fail at predict under 1.9.1).
- a Pipeline with a class from the user's own module cannot load without
  ``--trust`` (exit 2), and loads with ``--trust`` and ``--path``;
- ``env`` rebuilds the 1.6.1 environment with venv + pip and verifies there.

The upgrade-check runs use uv (installed once per session into a throwaway
folder); ``env`` uses venv + pip, so both installers run for real.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from tests._forge import forge
from tests._rebuild_helpers import (
    ROOT,
    checked,
    run,
    uv_folder,
    versions_in,
    with_path,
)
from versioned_estimator import EnvelopeError, VersionedEstimator, save
from versioned_estimator._cli import main
from versioned_estimator._env_commands import compare_outputs, parse_with
from versioned_estimator._format import encode_array
from versioned_estimator._rebuild_env import find_python

OLD = (
    "scikit-learn==1.6.1",
    "numpy==2.2.6",
    "scipy==1.15.3",
    "joblib==1.5.3",
    "threadpoolctl==3.5.0",
)
# The release with no behaviour change for the liblinear model, and the one
# installed here (the newest), where predict_proba changed (from 1.8.0 on).
SAME = "1.7.2"
CURRENT = sklearn.__version__

USER_MODULE = '''
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class Doubler(TransformerMixin, BaseEstimator):
    """A user's own transformer, imported from shop_models."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) * 2.0
'''

SAVE_SCRIPT = """
import sys

folder, modules = sys.argv[1:]
sys.path.insert(0, modules)
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from shop_models import Doubler
from versioned_estimator import EnvelopeError, VersionedEstimator, save

X, y = load_iris(return_X_y=True)
save(VersionedEstimator(LogisticRegression(solver="liblinear")).fit(X, y),
     folder + "/liblinear.joblib")
pipe = make_pipeline(Doubler(), LogisticRegression(max_iter=1000))
save(VersionedEstimator(pipe).fit(X, y), folder + "/pipeline.joblib")
"""


@pytest.fixture(scope="module")
def uv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a real uv in it."""
    return uv_folder(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def old(tmp_path_factory: pytest.TempPathFactory, uv_bin: Path) -> dict[str, Path]:
    """The scikit-learn 1.6.1 environment, the files it saved, and data."""
    folder = tmp_path_factory.mktemp("old-release")
    uv = str(uv_bin / "uv")
    venv = folder / "venv"
    checked([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "--quiet", "--python", str(python)]
    checked([*install, *OLD, "pandas==2.2.3"])  # pandas reads the user's .csv
    checked([*install, str(ROOT), "--refresh-package", "versioned-estimator"])
    modules = folder / "usermods"
    modules.mkdir()
    (modules / "shop_models.py").write_text(USER_MODULE)
    files = folder / "files"
    files.mkdir()
    script = folder / "save.py"
    script.write_text(SAVE_SCRIPT)
    checked([str(python), str(script), str(files), str(modules)])
    X, _ = load_iris(return_X_y=True)
    np.save(files / "X.npy", X)
    pd.DataFrame(X, columns=["a", "b", "c", "d"]).to_csv(files / "X.csv", index=False)
    return {
        "python": python,
        "cli": venv / "bin" / "versioned-estimator",
        "files": files,
        "modules": modules,
    }


def _json(done: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _row(data: dict[str, Any], name: str) -> dict[str, Any]:
    rows = data["candidate"]["packages"]
    return next(row for row in rows if row["name"] == name)


# ----------------------------------------------------------------------------
# upgrade-check, for real
# ----------------------------------------------------------------------------


@pytest.mark.slow
def test_upgrade_check_keeps_behaving_on_a_release_without_the_change(
    old: dict[str, Path], uv_bin: Path
) -> None:
    """Run from the 1.6.1 environment: with scikit-learn 1.7.2 the liblinear
    model loads, replays its probe and gives the same outputs on the user's
    .npy data as here: exit 0, and the JSON names what was installed."""
    done = run(
        [
            str(old["cli"]),
            "upgrade-check",
            str(old["files"] / "liblinear.joblib"),
            "--with",
            f"scikit-learn=={SAME}",
            "--data",
            str(old["files"] / "X.npy"),
            "--json",
        ],
        env=with_path(uv_bin),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = _json(done)
    assert (data["ok"], data["verdict"]) == (True, "same")
    assert data["candidate"]["installer"] == "uv"
    assert data["candidate"]["pins"] == "exact"
    row = _row(data, "scikit-learn")
    assert (row["saved"], row["candidate"], row["change"]) == ("1.6.1", SAME, "minor")
    assert _row(data, "numpy")["change"] == "same"
    assert data["load"]["ok"] is True
    assert {c["status"] for c in data["probe"]["checks"]} == {"same"}
    assert {c["method"]: c["status"] for c in data["data"]["checks"]} == {
        "decision_function": "same",
        "predict": "same",
        "predict_proba": "same",
    }
    assert any(w["category"] == "InconsistentVersionWarning" for w in data["warnings"])


@pytest.mark.slow
def test_upgrade_check_finds_the_real_change_of_the_current_release(
    old: dict[str, Path], uv_bin: Path
) -> None:
    """With the current scikit-learn the same model's predict_proba changes:
    exit 1, the probe replay and the user's .csv data both list it, labels
    and decision function stay the same."""
    major, minor = (int(part) for part in CURRENT.split(".")[:2])
    if (major, minor) < (1, 8):
        pytest.skip(f"the change came with scikit-learn 1.8; {CURRENT} is installed")
    done = run(
        [
            str(old["cli"]),
            "upgrade-check",
            str(old["files"] / "liblinear.joblib"),
            "--with",
            f"scikit-learn=={CURRENT}",
            "--data",
            str(old["files"] / "X.csv"),
        ],
        env=with_path(uv_bin),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout
    assert "probe replay  DIFFERS" in text
    assert "data          DIFFERS" in text
    assert "upgrade-check: DIFFERS: the model behaves differently with" in text
    rows = {
        line.split()[0]: line.split()[1]
        for line in text.splitlines()
        if line.startswith("    ") and len(line.split()) > 1
    }
    assert rows["predict_proba"] == "differs"
    assert rows["predict"] == "same"
    assert rows["decision_function"] == "same"
    assert "150 rows x 4 columns" in text
    assert f"scikit-learn  1.6.1  {CURRENT}" in text


@pytest.mark.slow
def test_upgrade_check_cannot_load_an_untrusted_user_class(
    old: dict[str, Path],
    uv_bin: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Pipeline holding the user's own class: without --trust it cannot
    load there (exit 2, the class named); with --trust and --path (passed
    through to the environment) it loads and keeps behaving (exit 0)."""
    monkeypatch.setenv("PATH", with_path(uv_bin)["PATH"])
    path = str(old["files"] / "pipeline.joblib")
    argv = ["upgrade-check", path, "--with", "scikit-learn==1.6.1", "--json"]
    code = main(argv)
    data = json.loads(capsys.readouterr().out)
    assert (code, data["verdict"]) == (2, "cannot load")
    assert data["load"]["type"] == "UntrustedGlobalError"
    assert data["load"]["names"] == ["shop_models.Doubler"]
    code = main(
        [*argv, "--trust", "shop_models.Doubler", "--path", str(old["modules"])]
    )
    data = json.loads(capsys.readouterr().out)
    assert (code, data["verdict"]) == (0, "same"), data
    assert data["probe"]["ok"] is True


@pytest.mark.slow
def test_conflicting_saved_pins_are_relaxed_and_reported(
    tmp_path: Path,
    uv_bin: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """scipy 1.13.1 needs numpy < 2.3, the file pins numpy 2.4 or newer: the
    exact pins fail, so do the direct ones (numpy is imported by the
    pickle), and the loose attempt builds; the report says so and shows
    numpy's new version."""
    monkeypatch.setenv("PATH", with_path(uv_bin)["PATH"])
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    path = save(model, tmp_path / "iris.joblib")
    code = main(["upgrade-check", path, "--with", "scipy==1.13.1", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    assert data["candidate"]["pins"] == "loose"
    assert [a.split(":")[0] for a in data["candidate"]["attempts"]] == [
        "exact",
        "direct",
    ]
    assert _row(data, "scipy")["candidate"] == "1.13.1"
    assert _row(data, "numpy")["change"] != "same"
    code = main(["upgrade-check", path, "--with", "scipy==1.13.1"])
    assert "only the candidates are pinned" in capsys.readouterr().out


# ----------------------------------------------------------------------------
# env, for real
# ----------------------------------------------------------------------------


@pytest.mark.slow
def test_env_rebuilds_the_saving_environment_with_pip_and_verifies(
    old: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``env FILE DIR --installer pip``: a venv in DIR with the saved Python
    and exactly the saved versions (scikit-learn 1.6.1), where ``verify``
    passed; the venv is kept and works."""
    target = tmp_path / "rebuilt"
    path = str(old["files"] / "liblinear.joblib")
    code = main(["env", path, str(target), "--installer", "pip", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    assert data["ok"] is True
    assert data["installer"] == "pip"
    assert data["python"] == ".".join(map(str, sys.version_info[:3]))
    assert data["verify"]["ok"] is True
    assert data["verify"]["stages"]["probe"]["status"] == "ok"
    assert {row["change"] for row in data["packages"]} == {"same"}
    installed = versions_in(target / "bin" / "python")
    expected = versions_in(old["python"])
    for name in ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl"):
        assert installed[name] == expected[name], name
    done = checked([str(target / "bin" / "versioned-estimator"), "verify", path])
    assert "verify: ok" in done.stdout


# ----------------------------------------------------------------------------
# Refusals and arguments (no environment is built)
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    return Path(save(model, tmp_path_factory.mktemp("iris") / "iris.joblib"))


def test_env_refuses_when_the_saved_python_is_missing(
    iris_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model saved under a Python that is nowhere here: exit 2, the message
    names the Python needed and how to get it, and DIR is not created."""
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    path = tmp_path / "py399.joblib"
    joblib.dump(forge(model, envelope={"python": "3.99.1"}), path)
    target = tmp_path / "never"
    code = main(["env", str(path), str(target)])
    out = capsys.readouterr().out
    assert code == 2
    assert "saved under Python 3.99.1; no Python 3.99 was found" in out
    assert "pyenv install 3.99.1" in out
    assert "--python PATH" in out
    assert not target.exists()


def test_env_refuses_a_folder_that_is_not_empty(
    iris_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``env`` never builds into (or cleans) a folder that holds files."""
    (tmp_path / "keep.txt").write_text("mine")
    code = main(["env", str(iris_file), str(tmp_path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 2
    assert "not an empty folder" in data["error"]
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_upgrade_check_refuses_unreadable_data_before_building(
    iris_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--data`` of an unknown kind, or a .npy holding pickles: exit 2 at
    once, no environment built."""
    bad = tmp_path / "X.txt"
    bad.write_text("1,2,3,4\n")
    argv = ["upgrade-check", str(iris_file), "--with", "numpy", "--data"]
    assert main([*argv, str(bad)]) == 2
    assert "expected a .npy, .csv or .parquet file" in capsys.readouterr().out
    pickled = tmp_path / "X.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main([*argv, str(pickled)]) == 2
    assert "allow_pickle" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("numpy>=2", "expected NAME==VERSION or NAME"),
        ("numpy==2.0\n--pre", "expected NAME==VERSION or NAME"),
        ("versioned-estimator==0.0.1", "the checker itself"),
    ],
)
def test_with_takes_exact_candidates_only(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--with`` is NAME==VERSION or NAME, validated before anything runs."""
    with pytest.raises(SystemExit) as info:
        main(["upgrade-check", "m.joblib", "--with", value])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert parse_with("NumPy==2.0") == ("numpy", "2.0")


def test_unreadable_files_exit_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not a model: exit 2, one line on stderr."""
    for argv in (
        ["upgrade-check", str(tmp_path / "none.joblib"), "--with", "numpy"],
        ["env", str(tmp_path / "none.joblib"), str(tmp_path / "env")],
    ):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1
        assert "does not exist" in err


def test_find_python_looks_under_pyenv_past_failing_shims(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``pythonX.Y`` shim that exits with an error is skipped, and the
    interpreter is found under ``$PYENV_ROOT/versions`` (a real one, linked)."""
    here = ".".join(map(str, sys.version_info[:3]))
    minor = ".".join(here.split(".")[:2])
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / f"python{minor}"
    shim.write_text("#!/bin/sh\necho 'pyenv: command not found' >&2\nexit 127\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    root = tmp_path / "pyenv"
    (root / "versions" / here / "bin").mkdir(parents=True)
    real = Path(sys.base_prefix) / "bin" / f"python{minor}"
    (root / "versions" / here / "bin" / f"python{minor}").symlink_to(real)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    found = find_python(here, search_path=str(shims), running=False)
    assert found is not None
    assert found.version == here
    assert found.path.startswith(str(root))
    assert find_python("3.99", search_path=str(shims), running=False) is None


def test_outputs_are_compared_per_method_with_the_probe_tolerance() -> None:
    """Floats within the dtype's tolerance are the same, beyond it they
    differ; a method failing on one side only is a difference."""
    base = np.linspace(0.0, 1.0, 6)
    ok = {"ok": True, "array": encode_array(base)}
    close = {"ok": True, "array": encode_array(base + 1e-12)}
    far = {"ok": True, "array": encode_array(base + 1e-3)}
    failed = {"ok": False, "error": "AttributeError: gone"}
    checks = compare_outputs(
        {"predict": ok, "predict_proba": ok, "transform": ok, "score": failed},
        {"predict": close, "predict_proba": far, "transform": failed, "score": failed},
    )
    status = {c["method"]: c["status"] for c in checks}
    assert status == {
        "predict": "same",
        "predict_proba": "differs",
        "transform": "fails there",
        "score": "fails in both",
    }


# ----------------------------------------------------------------------------
# What is installed from a file's metadata
# ----------------------------------------------------------------------------

KEY = "upgrade-check-test-key"


def _evil(envelope: dict[str, Any]) -> None:
    """A distribution the model does not need, recorded everywhere it could
    be: requirements, packages, and as the provider of scikit-learn."""
    envelope["requirements"] = {**envelope["requirements"], "evil-dist": "6.6.6"}
    envelope["packages"] = {**envelope["packages"], "evil-dist": "6.6.6"}
    envelope["modules"] = {**envelope["modules"], "sklearn": "evil-dist"}


class _Stop(Exception):
    pass


@pytest.fixture
def stop_before_building(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """``create`` (the first step that builds anything) stops the command;
    the local wheel is not built."""
    from versioned_estimator import _env_commands
    from versioned_estimator._rebuild_env import BuildError

    calls: list[Any] = []

    def create(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise BuildError("stopped by the test before building")

    monkeypatch.setattr(_env_commands, "create", create)
    monkeypatch.setattr(_env_commands, "build_wheel", lambda source, *a: str(source))
    return calls


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any process started (pip, uv, an interpreter) fails the test."""
    import subprocess

    started: list[Any] = []

    def popen(args: Any, *rest: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", popen)
    return started


def test_the_plan_names_only_what_the_pickle_imports(
    iris_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stop_before_building: list[Any],
) -> None:
    """A distribution recorded in requirements and packages, and claimed as
    scikit-learn's provider, is not named to the installer: only the
    providers of the modules the stream imports (numpy, scikit-learn) and
    versioned-estimator are, the file's pins go as constraints, and the plan
    is printed before anything is built, by both commands."""
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    path = tmp_path / "evil.joblib"
    joblib.dump(forge(model, envelope=_evil), path)
    for argv in (
        ["env", str(path), str(tmp_path / "env"), "--json", "--installer", "pip"],
        ["upgrade-check", str(path), "--with", "scipy", "--json"],
    ):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        data = json.loads(out)
        assert "stopped by the test" in data["error"]
        plan = data["plan"]
        names = [line.split("==")[0] for line in plan["install"]]
        assert names == ["numpy", "scikit-learn", "versioned-estimator"], argv
        assert "evil-dist==6.6.6" in plan["constraints"]
        assert "evil-dist==6.6.6" in plan["left_out"]
        assert plan["only_binary"] is True
        assert any("sklearn comes from evil-dist" in note for note in plan["notes"])
        assert "install plan" in err
        assert "evil-dist==6.6.6 " in err.split("not named", 1)[1]
    assert len(stop_before_building) == 2
    assert not (tmp_path / "env").exists()


def test_untrusted_globals_bring_no_distribution(tmp_path: Path) -> None:
    """The plan is computed from the stream's globals the safe load would
    accept: a global outside the allow-list (not --trust'ed) adds nothing."""
    from versioned_estimator._requirements import Pin, RequirementSet, plan_install

    found = RequirementSet(
        [
            Pin("numpy", "2.2.6", "requirements"),
            Pin("pandas", "2.2.3", "requirements"),
            Pin("scikit-learn", "1.6.1", "requirements"),
        ],
        "3.11.7",
    )
    plan = plan_install(found, ["numpy", "sklearn.base"])
    assert plan.requirement_lines == [
        "numpy==2.2.6",
        "scikit-learn==1.6.1",
        "versioned-estimator",
    ]
    assert plan_install(found, [], frame_probe=True).requirement_lines == [
        "pandas==2.2.3",
        "versioned-estimator",
    ]


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_the_installer_gets_wheels_only_and_the_pins_as_constraints(
    installer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``install`` runs pip or uv with ``--only-binary :all:`` (no sdist's
    setup.py runs), ``-r`` of the named distributions and ``-c`` of the
    pins; a line that is not a plain pin is refused before anything runs."""
    import subprocess

    from versioned_estimator import _rebuild_env
    from versioned_estimator._rebuild_env import Installer, VirtualEnv, install

    seen: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(command: list[str], **kwargs: Any) -> Any:
        files = {
            name: Path(command[command.index(flag) + 1]).read_text()
            for flag, name in (("-r", "requirements"), ("-c", "constraints"))
        }
        seen.append((command, files))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(_rebuild_env, "_run", fake_run)
    env = VirtualEnv(tmp_path / "venv")
    tool = Installer("uv", uv="uv") if installer == "uv" else Installer("pip")
    install(
        env,
        ["numpy==2.2.6", "scikit-learn"],
        tool,
        constraints=["numpy==2.2.6", "evil-dist==6.6.6"],
    )
    (command, files) = seen.pop()
    only = ["--only-binary", ":all:"] if installer == "uv" else ["--only-binary=:all:"]
    assert " ".join(only) in " ".join(command)
    assert files == {
        "requirements": "numpy==2.2.6\nscikit-learn\n",
        "constraints": "numpy==2.2.6\nevil-dist==6.6.6\n",
    }
    for bad in ("numpy==1.0+cpu.zip", "./x.whl", "numpy>=1", "numpy==1.0 --pre"):
        with pytest.raises(EnvelopeError):
            install(env, [bad], tool)
        with pytest.raises(EnvelopeError):
            install(env, ["numpy"], tool, constraints=[bad])
    assert seen == []


@pytest.fixture(scope="module")
def signed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    folder = tmp_path_factory.mktemp("signed")
    return Path(save(model, folder / "signed.joblib", key=KEY))


def _commands(path: Path, target: Path) -> list[list[str]]:
    return [
        ["env", str(path), str(target), "--installer", "pip"],
        ["upgrade-check", str(path), "--with", "numpy", "--installer", "pip"],
    ]


@pytest.mark.parametrize("key", ["wrong-key", None])
def test_with_a_key_a_file_whose_signature_fails_installs_nothing(
    key: str | None,
    signed_file: Path,
    iris_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_subprocess: list[Any],
) -> None:
    """With ``VERSIONED_ESTIMATOR_KEY`` set, a signed file checked with the
    wrong key, or an unsigned file, is refused (exit 2) before any process
    runs and before DIR is created."""
    monkeypatch.setenv("VERSIONED_ESTIMATOR_KEY", key or KEY)
    path = signed_file if key else iris_file
    target = tmp_path / "env"
    for argv in _commands(path, target):
        assert main(argv) == 2
        out = capsys.readouterr().out
        assert "signature does not verify with the key" in out
        assert "nothing is installed" in out
    assert not target.exists()
    assert no_subprocess == []


def test_a_signed_file_altered_to_name_another_distribution_is_refused(
    signed_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_subprocess: list[Any],
) -> None:
    """Adding a distribution to a signed file's requirements (checksums
    recomputed, as anyone can) breaks the signature: with the right key in
    ``--key-env VAR`` nothing runs; an unset VAR is refused too."""
    from tests._forge import Reduced, _Trailer
    from versioned_estimator._estimator import _rebuild
    from versioned_estimator._io import _read

    parts, _ = _read(str(signed_file))
    assert parts.trailer is not None
    assert "signature" in parts.trailer
    _evil(parts.envelope)
    path = tmp_path / "altered.joblib"
    args = (parts.envelope, parts.stream, parts.buffers)
    joblib.dump(Reduced((_rebuild, (*args, _Trailer(_rebuild, parts.trailer)))), path)
    monkeypatch.setenv("MODEL_KEY", KEY)
    monkeypatch.delenv("VERSIONED_ESTIMATOR_KEY", raising=False)
    target = tmp_path / "env"
    for argv in _commands(path, target):
        assert main([*argv, "--key-env", "MODEL_KEY"]) == 2
        assert "The signature does not match" in capsys.readouterr().out
        assert main([*argv, "--key-env", "UNSET_MODEL_KEY"]) == 2
        assert "UNSET_MODEL_KEY: that environment variable is not set" in (
            capsys.readouterr().out
        )
    assert not target.exists()
    assert no_subprocess == []


def test_a_signed_file_with_its_key_gets_its_plan(
    signed_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stop_before_building: list[Any],
) -> None:
    """With the right key the signature verifies and the plan is made."""
    monkeypatch.setenv("VERSIONED_ESTIMATOR_KEY", KEY)
    for argv in _commands(signed_file, tmp_path / "env"):
        assert main([*argv, "--json"]) == 2
        data = json.loads(capsys.readouterr().out)
        assert "stopped by the test" in data["error"]
        assert "scikit-learn" in " ".join(data["plan"]["install"])
    assert len(stop_before_building) == 2


def _evil_wheel(folder: Path, marker: Path) -> Path:
    """A real wheel of evil-dist 6.6.6 whose .pth file writes ``marker``
    whenever an interpreter of the environment starts."""
    import base64
    import hashlib
    import zipfile

    files = {
        "evil_dist.pth": f"import os; open({str(marker)!r}, 'w').write('ran')\n",
        "evil_dist-6.6.6.dist-info/METADATA": (
            "Metadata-Version: 2.1\nName: evil-dist\nVersion: 6.6.6\n"
        ),
        "evil_dist-6.6.6.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{name},sha256={encoded},{len(text.encode())}")
    record.append("evil_dist-6.6.6.dist-info/RECORD,,")
    files["evil_dist-6.6.6.dist-info/RECORD"] = "\n".join(record) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "evil_dist-6.6.6-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return wheel


@pytest.mark.slow
def test_env_does_not_install_a_distribution_the_model_does_not_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The red team's ``env`` attack, for real: the file records evil-dist
    (requirements, packages, claimed provider of sklearn), whose wheel is in
    the ``--find-links`` folder and runs code at every interpreter start.
    Installed by name it would (checked first); ``env`` builds a working
    environment without it, and nothing of it ever ran."""
    marker = tmp_path / "PWNED_ENV"
    wheels = tmp_path / "wheels"
    _evil_wheel(wheels, marker)
    control = tmp_path / "control"
    checked([sys.executable, "-m", "venv", "--without-pip", str(control)])
    python = control / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    checked([*pip, "--no-index", "--find-links", str(wheels), "evil-dist==6.6.6"])
    checked([str(python), "-c", "pass"])
    assert marker.exists(), "the control wheel does not run: the test proves nothing"
    marker.unlink()

    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    path = tmp_path / "evil.joblib"
    joblib.dump(forge(model, envelope=_evil), path)
    target = tmp_path / "rebuilt"
    argv = ["env", str(path), str(target), "--installer", "pip", "--json"]
    code = main([*argv, "--find-links", str(wheels)])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert code == 0, data
    assert data["verify"]["ok"] is True
    assert "install plan" in err
    assert "evil-dist" not in versions_in(target / "bin" / "python")
    rows = {row["name"]: row["change"] for row in data["packages"]}
    assert rows["evil-dist"] == "not installed"
    assert not marker.exists()
