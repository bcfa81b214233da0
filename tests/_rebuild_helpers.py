"""Shared pieces of the tests that build real environments (requirements,
upgrade-check, env): uv installed once per session, subprocess helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_UV: dict[str, Path] = {}


def run(
    command: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (no PYTHONPATH from here), output captured as text."""
    environ = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
        check=False,
    )


def checked(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """:func:`run`, failing with the command's own words when it fails."""
    done = run(command, **kwargs)
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def uv_folder(base: Path) -> Path:
    """A folder holding a real ``uv`` (pip-installed into a venv, once per
    session), to put first on ``PATH``."""
    if "uv" not in _UV:
        venv = base / "uv-tool"
        checked([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        checked(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(venv / "bin" / "python"),
                "install",
                "--quiet",
                "uv",
            ]
        )
        assert (venv / "bin" / "uv").exists()
        _UV["uv"] = venv / "bin"
    return _UV["uv"]


def with_path(folder: Path) -> dict[str, str]:
    """This process's environment with ``folder`` first on ``PATH``."""
    environ = dict(os.environ)
    environ["PATH"] = f"{folder}{os.pathsep}{environ.get('PATH', '')}"
    return environ


def versions_in(python: Path) -> dict[str, str]:
    """Every distribution installed for ``python``, normalized names."""
    code = (
        "import importlib.metadata as m, json, re\n"
        "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower():"
        " d.version for d in m.distributions()}))"
    )
    done = checked([str(python), "-c", code])
    found: dict[str, str] = json.loads(done.stdout)
    return found
