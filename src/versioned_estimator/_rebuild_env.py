"""Build virtual environments from a model's requirements, and run code in them.

Used by ``versioned-estimator env`` (the saving environment, kept in a folder
of the user's) and ``versioned-estimator upgrade-check`` (a throwaway one with
candidate versions). Everything runs as real subprocesses:

- **Python**: the interpreter a model was saved with is found by its
  version, first as the running interpreter, then as ``pythonX.Y`` (and
  ``python3``) on ``PATH``, then under pyenv's ``versions`` folder; every
  candidate is asked its own version (a pyenv shim for a version that is not
  selected exits with an error, and is skipped).
- **Installer**: uv when it is installed (on ``PATH``, beside this
  interpreter, or as the ``uv`` Python package), else ``venv`` and pip.
- **versioned-estimator itself** is not on the package index when it runs
  from a checkout: :func:`local_project` finds the source tree of the running
  release, which is installed next to the pins (the installer checks that its
  version satisfies the pin ``versioned-estimator==X``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from versioned_estimator._envelope import checked_distribution, checked_version
from versioned_estimator._errors import EnvelopeError

__all__ = [
    "BuildError",
    "Installer",
    "Interpreter",
    "VirtualEnv",
    "build_wheel",
    "checked_line",
    "choose_installer",
    "create",
    "find_python",
    "find_uv",
    "install",
    "interpreter_at",
    "local_project",
    "run_python",
    "throwaway",
]

SELF = "versioned-estimator"
# Generous: a first install downloads scipy, numpy and scikit-learn.
INSTALL_TIMEOUT = 1800
QUICK_TIMEOUT = 120
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
# Variables that would make a child interpreter import from elsewhere.
_LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "CONDA_PREFIX")


class BuildError(RuntimeError):
    """An environment could not be built (no such Python, the installer failed).

    The message says what was tried and what the tool answered.
    """


def _tail(text: str, lines: int = 25) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def clean_environ(extra_path: Sequence[str] = ()) -> dict[str, str]:
    """``os.environ`` without the variables that point an interpreter at
    another environment; ``PYTHONPATH`` set to ``extra_path`` when given."""
    environ = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    if extra_path:
        environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in extra_path)
    return environ


def _run(
    command: Sequence[str],
    *,
    timeout: float,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=dict(environ) if environ is not None else clean_environ(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildError(
            f"{' '.join(command[:3])} ... did not finish within {timeout:.0f} s"
        ) from exc
    except OSError as exc:
        raise BuildError(f"cannot run {command[0]}: {exc}") from exc


def run_python(
    python: str | os.PathLike[str],
    args: Sequence[str],
    *,
    environ: Mapping[str, str],
    timeout: float = INSTALL_TIMEOUT,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with exactly ``environ``; output captured as text.

    Raises
    ------
    BuildError
        When the interpreter cannot be started or runs out of time.
    """
    return _run([os.fspath(python), *args], timeout=timeout, cwd=cwd, environ=environ)


# ----------------------------------------------------------------------------
# Python interpreters
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter and the version it reports."""

    path: str
    version: str

    @property
    def minor(self) -> str:
        """``"X.Y"``."""
        return ".".join(self.version.split(".")[:2])


_ASK_VERSION = "import sys; print('.'.join(map(str, sys.version_info[:3])))"


def interpreter_at(path: str | os.PathLike[str]) -> Interpreter | None:
    """The interpreter at ``path``, or None when it does not run.

    Examples
    --------
    >>> import sys
    >>> interpreter_at(sys.executable).version == ".".join(
    ...     map(str, sys.version_info[:3]))
    True
    >>> interpreter_at("/no/such/python") is None
    True
    """
    try:
        done = subprocess.run(
            [os.fspath(path), "-c", _ASK_VERSION],
            capture_output=True,
            text=True,
            timeout=QUICK_TIMEOUT,
            env=clean_environ(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip()
    if done.returncode != 0 or not _VERSION.fullmatch(version):
        return None
    return Interpreter(os.fspath(path), version)


def _pyenv_roots() -> list[Path]:
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(Path(os.environ["PYENV_ROOT"]))
    roots.append(Path.home() / ".pyenv")
    return roots


def _candidates(minor: str, search_path: str | None, running: bool) -> Iterator[Path]:
    if running:
        yield Path(sys.executable)
    for name in (f"python{minor}", "python3", "python"):
        found = shutil.which(name, path=search_path)
        if found:
            yield Path(found)
    for root in _pyenv_roots():
        versions = root / "versions"
        if not versions.is_dir():
            continue
        for folder in sorted(versions.iterdir(), reverse=True):
            if folder.name == minor or folder.name.startswith(minor + "."):
                yield folder / "bin" / f"python{minor}"


def _patch(version: str) -> int:
    match = _VERSION.fullmatch(version)
    return int(match.group(3) or 0) if match else 0


def find_python(
    version: str, *, search_path: str | None = None, running: bool = True
) -> Interpreter | None:
    """An interpreter of ``version`` (``"3.11.7"`` or ``"3.11"``).

    The same patch release is preferred; else the newest patch release of
    the same minor version. The running interpreter (unless ``running`` is
    False), ``pythonX.Y``, ``python3`` and ``python`` on ``search_path``
    (default ``PATH``) and pyenv's versions (``$PYENV_ROOT`` or
    ``~/.pyenv``) are asked, in that order.

    Returns
    -------
    Interpreter or None
        None when no interpreter of that minor version was found.

    Examples
    --------
    >>> import sys
    >>> here = ".".join(map(str, sys.version_info[:3]))
    >>> find_python(here).version == here
    True
    >>> find_python("2.1") is None
    True
    """
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        return None
    minor = f"{match.group(1)}.{match.group(2)}"
    wanted = version.strip() if match.group(3) is not None else None
    best: Interpreter | None = None
    seen: set[str] = set()
    for candidate in _candidates(minor, search_path, running):
        key = os.path.realpath(candidate)
        if key in seen:
            continue
        seen.add(key)
        found = interpreter_at(candidate)
        if found is None or found.minor != minor:
            continue
        if wanted is not None and found.version == wanted:
            return found
        if best is None or _patch(found.version) > _patch(best.version):
            best = found
    return best


def python_hint(version: str) -> str:
    """How to get Python ``version``, in words.

    Examples
    --------
    >>> python_hint("3.10.13")
    'install it (for example `pyenv install 3.10.13`) or pass --python PATH'
    """
    return f"install it (for example `pyenv install {version}`) or pass --python PATH"


# ----------------------------------------------------------------------------
# Installers
# ----------------------------------------------------------------------------


def find_uv() -> str | None:
    """The ``uv`` executable: on ``PATH``, beside this interpreter, or from
    the ``uv`` Python package; None when uv is not installed."""
    found = shutil.which("uv")
    if found:
        return found
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except Exception:  # the package is there without its binary
        return None


@dataclass(frozen=True)
class Installer:
    """How environments are created and filled: ``uv`` or ``pip``."""

    name: str
    uv: str | None = None

    def __str__(self) -> str:
        return "uv" if self.name == "uv" else "venv + pip"


def choose_installer(choice: str = "auto") -> Installer:
    """uv when ``choice`` is ``"uv"``, or ``"auto"`` and uv is installed;
    else venv + pip.

    Examples
    --------
    >>> choose_installer("pip")
    Installer(name='pip', uv=None)
    """
    if choice not in ("auto", "uv", "pip"):
        raise ValueError(f"installer={choice!r}; expected 'auto', 'uv' or 'pip'")
    if choice == "pip":
        return Installer("pip")
    uv = find_uv()
    if uv is not None:
        return Installer("uv", uv)
    if choice == "uv":
        raise BuildError(
            "--installer uv: uv is not installed (not on PATH, not beside this "
            "Python); `pip install uv`, or use --installer pip"
        )
    return Installer("pip")


# ----------------------------------------------------------------------------
# Environments
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VirtualEnv:
    """A virtual environment: its folder and its interpreter."""

    path: Path

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        if os.name == "nt":  # pragma: no cover - the tests run on POSIX
            return self.path / "Scripts" / "python.exe"
        return self.path / "bin" / "python"

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float = INSTALL_TIMEOUT,
        cwd: str | None = None,
        extra_path: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in this environment (no ``PYTHONPATH`` from
        here; ``extra_path`` folders put on ``sys.path``)."""
        return run_python(
            self.python,
            args,
            timeout=timeout,
            cwd=cwd,
            environ=clean_environ(extra_path),
        )

    def versions(self) -> dict[str, str]:
        """Every distribution installed in the environment, with its version."""
        code = (
            "import importlib.metadata as m, json, re\n"
            "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower():"
            " d.version for d in m.distributions() if d.metadata['Name']}))"
        )
        done = self.run(["-c", code], timeout=QUICK_TIMEOUT)
        if done.returncode != 0:
            raise BuildError(f"cannot list the packages of {self.path}: {done.stderr}")
        found: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
        return dict(sorted(found.items()))


def create(
    path: str | os.PathLike[str],
    python: Interpreter,
    installer: Installer,
    *,
    with_pip: bool = True,
) -> VirtualEnv:
    """Create a virtual environment at ``path`` with ``python``.

    With venv + pip the environment always gets pip (it installs with it);
    with uv, only when ``with_pip`` (``uv venv --seed``).
    """
    target = os.path.abspath(os.fspath(path))
    if installer.name == "uv":
        assert installer.uv is not None
        command = [installer.uv, "venv", "--quiet", "--python", python.path]
        command += ["--seed"] if with_pip else []
        done = _run([*command, target], timeout=QUICK_TIMEOUT * 5)
    else:
        done = _run([python.path, "-m", "venv", target], timeout=QUICK_TIMEOUT * 5)
    if done.returncode != 0:
        raise BuildError(
            f"cannot create a virtual environment with Python {python.version} "
            f"({python.path}) at {target}:\n{_tail(done.stderr or done.stdout)}"
        )
    env = VirtualEnv(Path(target))
    if not env.python.exists():  # pragma: no cover - venv succeeded without one
        raise BuildError(f"{target} has no interpreter after its creation")
    return env


def checked_line(line: str) -> str:
    """``line`` if it is ``NAME`` or ``NAME==VERSION`` exactly as the strict
    grammar renders them; else an :class:`EnvelopeError`.

    The last check before a line reaches an installer: nothing pip could
    read as a path, a URL, an option or a marker gets through.

    Examples
    --------
    >>> checked_line("scikit-learn==1.6.1")
    'scikit-learn==1.6.1'
    >>> checked_line("scikit-learn==1.9.1+cpu.zip")
    Traceback (most recent call last):
    ...
    versioned_estimator._errors.EnvelopeError: '1.9.1+cpu.zip' is a version ...
    >>> checked_line("./evil.whl")
    Traceback (most recent call last):
    ...
    versioned_estimator._errors.EnvelopeError: './evil.whl' is not ...
    """
    name, sep, version = line.partition("==")
    what = "a requirement to install"
    rendered = checked_distribution(name, what=what)
    if sep:
        rendered += "==" + checked_version(version, what=what)
    if rendered != line:
        raise EnvelopeError(
            f"{line!r} is not a requirement as it is rendered ({rendered!r}); "
            "refusing to install it."
        )
    return line


def install(
    env: VirtualEnv,
    requirements: Sequence[str],
    installer: Installer,
    *,
    constraints: Sequence[str] = (),
    local: Sequence[str] = (),
    find_links: Sequence[str] = (),
) -> None:
    """Install ``requirements`` into ``env``: wheels only, ``constraints``
    with ``-c``.

    Parameters
    ----------
    env : VirtualEnv
    requirements : sequence of str
        The distributions to install: ``NAME`` or ``NAME==VERSION``, each
        checked by :func:`checked_line`.
    installer : Installer
    constraints : sequence of str
        ``NAME==VERSION`` lines that fix the version of whatever gets
        installed, and install nothing by themselves (checked the same way).
    local : sequence of str
        Wheels installed with them, for distributions that are not on the
        index (this checkout of versioned-estimator, built by
        :func:`build_wheel`). The installer checks each against the pins.
    find_links : sequence of str
        Extra folders of wheels to look in.

    Raises
    ------
    BuildError
        With the installer's own last lines.
    EnvelopeError
        A line is not a plain requirement (nothing is run).
    """
    requirements = [checked_line(line) for line in requirements]
    constraints = [checked_line(line) for line in constraints]
    with tempfile.TemporaryDirectory(prefix="ve-requirements-") as folder:
        listing = os.path.join(folder, "requirements.txt")
        with open(listing, "w", encoding="utf-8") as handle:
            handle.write("\n".join(requirements) + "\n")
        pinned = os.path.join(folder, "constraints.txt")
        with open(pinned, "w", encoding="utf-8") as handle:
            handle.write("\n".join(constraints) + "\n")
        links = [arg for link in find_links for arg in ("--find-links", link)]
        if installer.name == "uv":
            assert installer.uv is not None
            command = [installer.uv, "pip", "install", "--quiet"]
            command += ["--python", str(env.python), "--only-binary", ":all:"]
            command += ["-r", listing, "-c", pinned, *links, *local]
            # uv reuses a local project's wheel until its pyproject.toml
            # changes: build the source as it is now.
            folders = [path for path in local if os.path.isdir(path)]
            command += ["--refresh-package", SELF] if folders else []
        else:
            command = [str(env.python), "-m", "pip", "install", "--quiet"]
            command += ["--disable-pip-version-check", "--no-input"]
            command += ["--only-binary=:all:"]
            command += ["-r", listing, "-c", pinned, *links, *local]
        done = _run(command, timeout=INSTALL_TIMEOUT, cwd=folder)
    if done.returncode != 0:
        raise BuildError(
            f"{installer} could not install the requirements:\n"
            f"{_tail(done.stderr or done.stdout)}"
        )


def build_wheel(
    source: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    installer: Installer,
    python: str | os.PathLike[str],
) -> str:
    """A wheel of the source tree ``source``, built into ``folder`` (a wheel
    file given as ``source`` is returned as it is).

    Built once per command, so that retries install the same files without
    building again. ``python`` runs pip when uv is not the installer (it
    needs pip).
    """
    given = os.fspath(source)
    if os.path.isfile(given) and given.endswith(".whl"):
        return given
    out = os.path.abspath(os.fspath(folder))
    os.makedirs(out, exist_ok=True)
    if installer.name == "uv":
        assert installer.uv is not None
        command = [installer.uv, "build", "--wheel", "--quiet", "--out-dir", out]
        command += ["--python", os.fspath(python), given]
    else:
        command = [os.fspath(python), "-m", "pip", "wheel", "--quiet", "--no-deps"]
        command += ["--disable-pip-version-check", "--wheel-dir", out, given]
    done = _run(command, timeout=INSTALL_TIMEOUT, cwd=out)
    wheels = sorted(Path(out).glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise BuildError(
            f"cannot build a wheel of {given} with {installer}:\n"
            f"{_tail(done.stderr or done.stdout)}"
        )
    return str(wheels[-1])


@contextlib.contextmanager
def throwaway(prefix: str = "ve-env-") -> Iterator[Path]:
    """A temporary folder for an environment, removed on exit (errors too)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ----------------------------------------------------------------------------
# versioned-estimator itself
# ----------------------------------------------------------------------------


def _declares_self(folder: Path) -> bool:
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return (
        re.search(r'^name\s*=\s*"versioned-estimator"', text, re.MULTILINE) is not None
    )


def local_project() -> Path | None:
    """The source tree the running versioned-estimator was installed from.

    The checkout this module runs from (``src`` layout: an editable
    install, or ``PYTHONPATH=src``), else the ``file://`` URL pip recorded
    for a local install (``direct_url.json``); None when it came from an
    index.

    Examples
    --------
    >>> found = local_project()
    >>> found is None or (found / "pyproject.toml").is_file()
    True
    """
    import importlib.metadata as metadata

    candidates = [Path(__file__).resolve().parents[2]]
    with contextlib.suppress(metadata.PackageNotFoundError):
        text = metadata.distribution(SELF).read_text("direct_url.json")
        record: Any = json.loads(text) if text else None
        url = record.get("url") if isinstance(record, dict) else None
        if isinstance(url, str) and url.startswith("file://"):
            from urllib.parse import unquote, urlparse

            candidates.append(Path(unquote(urlparse(url).path)))
    for folder in candidates:
        if folder.is_dir() and _declares_self(folder):
            return folder
    return None
