"""Run Python snippets in fresh interpreters, as a user's scripts would run.

The seed-case tests save a model in one process and load it in another, after
renaming or editing the user's module between the two. Each snippet reports
what it saw by calling ``emit(key=value, ...)``; :func:`run_python` collects
those JSON records, checks the exit code, and returns them merged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Result", "child_env", "run_python", "write_module"]

_TAG = "SEED-JSON "

# Prepended to every snippet: one way to report back to the test.
_PRELUDE = f"""\
import json as _json


def emit(**fields):
    print({_TAG!r} + _json.dumps(fields), flush=True)

"""


@dataclass
class Result:
    """What a child interpreter printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str
    data: dict[str, Any] = field(default_factory=dict)

    def explain(self) -> str:
        return (
            f"exit code {self.returncode}\n--- stdout ---\n{self.stdout}"
            f"\n--- stderr ---\n{self.stderr}"
        )


def child_env(
    pythonpath: Iterable[os.PathLike[str] | str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The parent's environment, made predictable for a child interpreter.

    The package's own policy variables are dropped (a developer's shell must
    not change what a test sees), bytecode caching is off (an edited module
    of the same size, saved within the same second, would otherwise load from
    its stale ``.pyc``), and ``pythonpath`` goes first on ``PYTHONPATH``.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VERSIONED_ESTIMATOR_", "GIT_"))
    }
    env.pop("PYTHONWARNINGS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    entries = [os.fspath(p) for p in pythonpath]
    if env.get("PYTHONPATH"):
        entries.append(env["PYTHONPATH"])
    if entries:
        env["PYTHONPATH"] = os.pathsep.join(entries)
    else:
        env.pop("PYTHONPATH", None)
    env.update(extra or {})
    return env


def run_python(
    code: str,
    *,
    cwd: os.PathLike[str] | str,
    pythonpath: Iterable[os.PathLike[str] | str] = (),
    env: Mapping[str, str] | None = None,
    warnings_as_errors: bool = False,
    check: bool = True,
    timeout: float = 180,
) -> Result:
    """Run ``code`` in a new interpreter (``sys.executable -c``) and collect
    what it emitted.

    With ``check`` (the default) a non-zero exit code fails with the child's
    output; ``warnings_as_errors`` runs it under ``-W error``.
    """
    args = [sys.executable]
    if warnings_as_errors:
        args += ["-W", "error"]
    args += ["-c", _PRELUDE + textwrap.dedent(code)]
    done = subprocess.run(
        args,
        cwd=os.fspath(cwd),
        env=child_env(pythonpath, env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    data: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        if line.startswith(_TAG):
            data.update(json.loads(line[len(_TAG) :]))
    result = Result(done.returncode, done.stdout, done.stderr, data)
    if check and done.returncode != 0:
        raise AssertionError(f"the child interpreter failed:\n{result.explain()}")
    return result


def write_module(folder: Path, name: str, source: str) -> Path:
    """Write a user's module ``name.py`` into ``folder``."""
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path
