"""The demo: it behaves, every command it prints runs as printed, it cleans up."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from versioned_estimator import read_envelope
from versioned_estimator._cli import main
from versioned_estimator._demo import demo_folder

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "versioned_estimator"
SCRIPTS = Path(sys.executable).parent


def _user_env() -> dict[str, str]:
    """The environment of a user who activated this venv (one whose Python
    writes bytecode, as Python does unless told not to)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("VERSIONED_ESTIMATOR_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PATH"] = os.pathsep.join([str(SCRIPTS), env.get("PATH", os.defpath)])
    return env


def _commands(out: str) -> list[tuple[str, int]]:
    """Each ``$`` line the demo printed, with the exit code it printed for it."""
    found = []
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("$ "):
            code = next(
                int(m.group(1))
                for later in lines[i + 1 :]
                if (m := re.fullmatch(r"  \(exit (\d+)\)", later))
            )
            found.append((line[2:], code))
    return found


@pytest.mark.slow
def test_demo_commands_run_as_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not (SCRIPTS / "versioned-estimator").exists():
        pytest.skip("the versioned-estimator console script is not installed here")
    folder = tmp_path / "demo files"  # a space, to test the quoting
    code = main(["demo", "--dir", str(folder)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "demo: all steps behaved as expected"
    assert "NOT AS EXPECTED" not in out
    # the staged file says what it is
    assert "STAGED" in out
    assert "envelope edited to record scikit-learn" in " ".join(out.split())
    commands = _commands(out)
    assert len(commands) == 6
    assert {code for _, code in commands} == {0, 1}
    assert f"cd '{folder}' && . {SCRIPTS / 'activate'}" in out
    for command, printed in commands:
        # the console script, not python -m (which has the folder on sys.path)
        assert command.startswith("versioned-estimator ")
        # pasted in the folder, after the demo ended, in a shell
        done = subprocess.run(
            command,
            shell=True,
            cwd=folder,
            env=_user_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == printed, (command, done.stdout, done.stderr)
    verify = [c for c, _ in commands if c.startswith("versioned-estimator verify")]
    assert all("--path ." in c for c in verify)
    assert any("flowers.IrisClassifier=flowers.FlowerClassifier" in c for c in verify)
    assert (folder / "shop_models_v2.py").exists()
    assert not (folder / "shop_models.py").exists()
    assert not (folder / "__pycache__").exists()
    envelope = read_envelope(folder / "shop.joblib")
    assert envelope.estimator_class == "shop_models.ShopClassifier"


# Installed by the dev extra, not by the runtime dependencies `make demo` installs.
NOT_RUNTIME = ["pandas", "fsspec", "dask", "mlflow", "pytest", "hypothesis"]


@pytest.mark.slow
def test_demo_removes_its_temporary_folder(tmp_path: Path) -> None:
    # as after `make demo`: only the runtime dependencies importable, in the
    # demo and in every command it runs
    blocked = tmp_path / "blocked"
    for name in NOT_RUNTIME:
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(
            f"raise ImportError('{name} is not a runtime dependency')\n"
        )
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = _user_env()
    env["TMPDIR"] = str(temp)
    env["PYTHONPATH"] = str(blocked)
    done = subprocess.run(
        [sys.executable, "-m", "versioned_estimator", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith(f"demo folder: {temp}")
    assert "(temporary: removed at the end)" in done.stdout.splitlines()[0]
    assert "versioned-estimator demo --dir DIR" in done.stdout
    assert list(temp.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "tmp"]


def test_demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given = tmp_path / "new" / "folder"
    with demo_folder(str(given)) as folder:
        assert folder == str(given)
        (given / "kept.txt").write_text("x")
    assert (given / "kept.txt").exists()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    used: list[Path] = []

    def interrupted() -> None:
        with demo_folder(None) as folder:
            used.append(Path(folder))
            (Path(folder) / "model.joblib").write_text("x")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert used[0].parent == tmp_path
    assert not used[0].exists()


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_import_cycle_between_the_command_line_and_the_demo() -> None:
    # _cli runs the demo; the demo and _cli share _render; neither of those
    # imports _cli, even lazily
    assert "versioned_estimator._demo" in _imports("_cli")
    assert "versioned_estimator._render" in _imports("_cli")
    assert "versioned_estimator._render" in _imports("_demo")
    assert "versioned_estimator._cli" not in _imports("_demo")
    assert not {"versioned_estimator._cli", "versioned_estimator._demo"} & _imports(
        "_render"
    )
    for module in ("_demo", "_render"):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import versioned_estimator.{module}, sys; "
                "print('versioned_estimator._cli' in sys.modules)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip() == "False"
