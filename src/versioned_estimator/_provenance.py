"""Provenance captured once, at fit or wrap time: when, which commit, which data.

Nothing here runs inside ``__reduce_ex__``: a ``git`` subprocess costs more
than a millisecond and GridSearchCV pickles its estimators dozens of times.
What depends on the pickling process itself (python, platform) is computed
once per process.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import platform
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from versioned_estimator._packages import library_dirs

__all__ = [
    "created_at",
    "git_state",
    "platform_info",
    "python_version",
    "schema_of",
    "training_code",
    "training_git_state",
]

_GIT_TTL_SECONDS = 2.0
_git_lock = threading.Lock()
_git_cache: dict[str, tuple[float, tuple[int, ...] | None, dict[str, Any]]] = {}


def created_at() -> str:
    """The current UTC time, ISO 8601, to the second."""
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


def _git(args: list[str], cwd: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(cwd: str | None = None) -> dict[str, Any]:
    """The commit and dirty flag of the git work tree around ``cwd``.

    Cached per folder for two seconds, and only while ``.git/HEAD``, the
    branch it points to and the index are unchanged: a grid search that fits
    hundreds of clones runs git once, and a fit after a commit sees the commit.

    Returns
    -------
    dict
        ``{"commit": str or None, "dirty": bool or None}``; both None outside a
        repository or without git.
    """
    folder = os.path.realpath(cwd or os.getcwd())
    stamp = _git_stamp(folder)
    if stamp is None and "GIT_DIR" not in os.environ:
        # no .git above the folder: git would only say so (a process start
        # per worker of a search run outside a repository)
        return {"commit": None, "dirty": None}
    with _git_lock:
        hit = _git_cache.get(folder)
        if (
            hit is not None
            and hit[1] == stamp
            and time.monotonic() - hit[0] < _GIT_TTL_SECONDS
        ):
            return dict(hit[2])
    # One process: the commit is porcelain v2's header (git 2.11 and later),
    # any other line a change to a tracked file; a repository with no commit
    # yet has neither.
    commit: str | None = None
    dirty: bool | None = None
    status = _git(
        ["status", "--porcelain=v2", "--branch", "--untracked-files=no"], folder
    )
    lines = status.splitlines() if status is not None else []
    head = [line for line in lines if line.startswith("# branch.oid ")]
    if head and head[0] != "# branch.oid (initial)":
        commit = head[0][len("# branch.oid ") :]
        dirty = any(not line.startswith("#") for line in lines)
    state = {"commit": commit or None, "dirty": dirty}
    with _git_lock:
        _git_cache[folder] = (time.monotonic(), stamp, state)
    return dict(state)


@functools.lru_cache(maxsize=64)
def _in_site_or_stdlib(path: str) -> bool:
    # Cached: every fit asks about the same script and module files, and
    # resolving symbolic links costs a system call per path component.
    real = os.path.realpath(path)
    roots = library_dirs("stdlib", "platstdlib", "purelib", "platlib")
    return any(real.startswith(root) for root in roots)


def training_code(estimator: Any = None) -> tuple[str, str | None, str]:
    """Where the code that fits the model lives: (kind, file name, folder).

    In order: the script run as ``__main__`` (``python repo/train.py`` from
    anywhere), the notebook (Jupyter and VS Code say which), the module that
    defines the estimator's class when it is the user's own code, else the
    working directory.

    Examples
    --------
    >>> kind, name, folder = training_code()
    >>> kind in ("script", "notebook", "module", "cwd")
    True
    """
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if isinstance(script, str) and script and not _in_site_or_stdlib(script):
        path = os.path.abspath(script)
        return "script", os.path.basename(path), os.path.dirname(path)
    notebook = getattr(main, "__vsc_ipynb_file__", None) or os.environ.get(
        "JPY_SESSION_NAME"
    )
    if isinstance(notebook, str) and notebook.endswith(".ipynb"):
        path = os.path.abspath(notebook)
        return "notebook", os.path.basename(path), os.path.dirname(path)
    if estimator is not None:
        module = sys.modules.get(type(estimator).__module__)
        origin = getattr(module, "__file__", None)
        if isinstance(origin, str) and not _in_site_or_stdlib(origin):
            path = os.path.abspath(origin)
            return "module", os.path.basename(path), os.path.dirname(path)
    return "cwd", None, os.getcwd()


def training_git_state(estimator: Any = None) -> dict[str, Any]:
    """The git state of the training code's repository, and which code that
    was (``source``: script, notebook, module or cwd; ``file``: its name)."""
    kind, name, folder = training_code(estimator)
    state = git_state(folder)
    state.update(source=kind, file=name)
    return state


def _git_stamp(folder: str) -> tuple[int, ...] | None:
    """Modification times of what a commit or ``git add`` changes, so the cache
    never outlives them (a few ``stat`` calls, no subprocess); None when no
    folder from ``folder`` up holds a ``.git``."""
    current = folder
    while True:
        dot_git = os.path.join(current, ".git")
        if os.path.exists(dot_git):
            break
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    names = ["HEAD", "index", "packed-refs"]
    try:
        with open(os.path.join(dot_git, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except OSError:
        head = ""
    if head.startswith("ref: "):
        names.append(head[5:])
    stamp = []
    for name in names:
        try:
            stamp.append(os.stat(os.path.join(dot_git, name)).st_mtime_ns)
        except OSError:
            stamp.append(0)
    return tuple(stamp)


def forget_git() -> None:
    """Drop the git cache (tests change repositories under it)."""
    with _git_lock:
        _git_cache.clear()


def python_version() -> str:
    """This interpreter's version, such as ``"3.11.7"``."""
    return ".".join(str(part) for part in sys.version_info[:3])


@functools.lru_cache(maxsize=1)
def platform_info() -> dict[str, str]:
    """Operating system, machine and Python implementation of this process."""
    return {
        "system": platform.system(),
        "machine": platform.machine(),
        "implementation": platform.python_implementation(),
        "byteorder": sys.byteorder,
    }


def _dtype_name(dtype: Any) -> str:
    """numpy's name of a dtype; for another array library's (torch,
    array-api-strict, cupy), its own name without the module
    (``torch.float32`` -> ``float32``), which is numpy's name too."""
    try:
        return str(np.dtype(dtype))
    except TypeError:
        return str(dtype).rsplit(".", 1)[-1]


def schema_of(X: Any, estimator: Any = None) -> dict[str, Any]:
    """What the data a model was fit on looked like: shape, names, dtypes.

    Arrays of any array API library count (``X.shape``, ``X.dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> schema_of(np.zeros((3, 2), dtype=np.float32))["dtypes"]
    ['float32']
    >>> import array_api_strict as xp
    >>> schema_of(xp.zeros((3, 2), dtype=xp.float32))["dtypes"]
    ['float32']
    """
    n_samples: int | None = None
    n_features: int | None = None
    names: list[str] | None = None
    dtypes: list[str] | None = None
    if X is not None:
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) >= 1:
            n_samples = int(shape[0])
            n_features = int(shape[1]) if len(shape) > 1 else None
        elif hasattr(X, "__len__"):
            n_samples = len(X)
            first = X[0] if n_samples and isinstance(X, (list, tuple)) else None
            if isinstance(first, (list, tuple)):  # rows as lists: [[1, 2], ...]
                n_features = len(first)
        columns = getattr(X, "columns", None)
        column_dtypes = getattr(X, "dtypes", None)
        if columns is not None and column_dtypes is not None:
            names = [str(c) for c in columns]
            dtypes = [str(t) for t in column_dtypes]
        elif getattr(X, "dtype", None) is not None:
            dtypes = [_dtype_name(X.dtype)]
    if estimator is not None:
        inner_n = getattr(estimator, "n_features_in_", None)
        if isinstance(inner_n, (int, np.integer)):
            n_features = int(inner_n)
        inner_names = getattr(estimator, "feature_names_in_", None)
        if inner_names is not None and names is None:
            names = [str(c) for c in inner_names]
    return {
        "n_samples": n_samples,
        "n_features_in": n_features,
        "feature_names_in": names,
        "dtypes": dtypes,
    }
