"""``versioned-estimator requirements``: pins that rebuild an environment the
model verifies in, checked by building real virtual environments from them."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import sys
from pathlib import Path
from typing import Any

import joblib
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from tests._forge import forge
from tests._rebuild_helpers import ROOT, checked, uv_folder, versions_in
from versioned_estimator import Envelope, VersionedEstimator, read_envelope, save
from versioned_estimator._cli import main
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
