"""``upgrade-check`` and ``env``: the model in another environment, for real.

``versioned-estimator upgrade-check FILE --with scikit-learn==X`` answers
"can I upgrade?" before production does: it builds a throwaway virtual
environment from the file's saved requirements with the candidate versions
swapped in, loads the model there through the safe
:func:`versioned_estimator.load`, replays the probe against the saved
outputs and, with ``--data``, compares the model's outputs on your data
there with its outputs here. Exit 0: it keeps behaving; 1: it loads but its
outputs differ (the report lists them); 2: it cannot load there (or the
environment could not be built). The environment is removed afterwards.

When the saved pins conflict with a candidate (scikit-learn X needs a newer
numpy), the pins are relaxed in two steps, and the report says so and lists
every version that changed: first only the distributions the model's pickle
imports keep their saved versions, then only the candidates are pinned.

``versioned-estimator env FILE DIR`` builds the saving environment as a
virtual environment in ``DIR`` (the saved Python, found on ``PATH`` or under
pyenv; a clear refusal naming the Python needed when it is missing), installs
the saved requirements, and runs ``versioned-estimator verify`` in it.

Both install the running release of versioned-estimator from its source tree
when it runs from one (:func:`~versioned_estimator._rebuild_env.local_project`),
or from ``--local-project PATH``; the installer checks it against the pin.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from versioned_estimator._config import normalize_trusted
from versioned_estimator._envelope import (
    Envelope,
    checked_distribution,
    checked_version,
)
from versioned_estimator._environment import classify
from versioned_estimator._errors import EnvelopeError, IntegrityError
from versioned_estimator._inspect import read_envelope
from versioned_estimator._rebuild_env import (
    BuildError,
    Installer,
    Interpreter,
    VirtualEnv,
    build_wheel,
    choose_installer,
    clean_environ,
    create,
    find_python,
    install,
    interpreter_at,
    local_project,
    python_hint,
    run_python,
    throwaway,
)
from versioned_estimator._render import shown_path, table, write_line
from versioned_estimator._requirements import (
    InstallPlan,
    RequirementSet,
    plan_install,
    requirements_of,
)
from versioned_estimator._signing import KEY_VARIABLE, resolve_key, verify_signature
from versioned_estimator._version import __version__

if TYPE_CHECKING:
    from versioned_estimator._cli import Outcome

__all__ = [
    "LEVELS",
    "add_commands",
    "add_load_options",
    "add_trust",
    "candidate_constraints",
    "candidate_lines",
    "cmd_env",
    "cmd_upgrade_check",
    "compare_outputs",
    "parse_with",
    "read_data",
]

SELF = "versioned-estimator"
# How strictly the saved pins are kept around the candidates, in the order tried.
LEVELS = ("exact", "direct", "loose")
_LEVEL_WORDS = {
    "exact": "every other distribution at its saved version",
    "direct": (
        "the saved pins conflict with the candidates: only the distributions the "
        "model's pickle imports kept their saved versions, the installer chose "
        "the rest"
    ),
    "loose": (
        "the saved pins conflict with the candidates: only the candidates are "
        "pinned, the installer chose every other version"
    ),
}
WORKER = "versioned_estimator._replay_worker"
# The stages of ``verify``, in the order it runs them.
_STAGES = ("signature", "digest", "environment", "unpickle", "probe")
# Installed by venv or uv --seed, not by the model's requirements.
_TOOLS = frozenset({"pip", "setuptools", "wheel", "distribute"})

# ----------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------


def parse_with(value: str) -> tuple[str, str | None]:
    """``NAME==VERSION`` (or a bare ``NAME``: its newest release) of ``--with``.

    Examples
    --------
    >>> parse_with("Scikit_Learn==1.7.2")
    ('scikit-learn', '1.7.2')
    >>> parse_with("numpy")
    ('numpy', None)
    >>> parse_with("numpy>=2")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected NAME==VERSION or NAME, got 'numpy>=2'
    """
    name, sep, version = value.strip().partition("==")
    name, version = name.strip(), version.strip()
    try:
        name = checked_distribution(name)
        version = checked_version(version) if sep else ""
    except EnvelopeError as exc:
        raise argparse.ArgumentTypeError(
            f"expected NAME==VERSION or NAME, got {value!r}"
        ) from exc
    if name == SELF:
        raise argparse.ArgumentTypeError(
            f"{SELF} is the checker itself: upgrade-check runs this release "
            f"({__version__}) in the candidate environment"
        )
    return name, (version or None)


def _alias_argument(value: str) -> str:
    old, sep, new = value.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise argparse.ArgumentTypeError(f"expected OLD=NEW, got {value!r}")
    return f"{old.strip()}={new.strip()}"


def _trusted_argument(value: str) -> str:
    try:
        return normalize_trusted(value.strip())[0]
    except TypeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _python_argument(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("expected a version (3.11) or a path")
    return value.strip()


# ----------------------------------------------------------------------------
# Candidate pins
# ----------------------------------------------------------------------------


def candidate_lines(
    plan: InstallPlan,
    overrides: Mapping[str, str | None],
    level: str,
    *,
    self_version: str = __version__,
) -> list[str]:
    """The distributions named to the installer for a candidate environment.

    The plan's distributions (those the model's pickle imports, pandas for a
    DataFrame probe), ``overrides`` in place of their own, and
    ``versioned-estimator==self_version``. ``level`` says how strictly the
    saved pins are kept (see :data:`LEVELS`): ``exact`` and ``direct`` pin
    the named distributions at their saved versions, ``loose`` names them
    bare; see :func:`candidate_constraints` for the rest.

    Examples
    --------
    >>> from versioned_estimator._requirements import InstallPlan, Pin
    >>> pins = [Pin("numpy", "2.2.6", "requirements"),
    ...         Pin("scikit-learn", "1.6.1", "requirements"),
    ...         Pin("scipy", "1.15.3", "requirements")]
    >>> plan = InstallPlan(pins[:2], pins)
    >>> for line in candidate_lines(plan, {"scikit-learn": "1.9.1"}, "exact",
    ...                             self_version="0.1.0"):
    ...     print(line)
    numpy==2.2.6
    scikit-learn==1.9.1
    versioned-estimator==0.1.0
    >>> candidate_lines(plan, {"scikit-learn": "1.9.1"}, "loose",
    ...                 self_version="0.1.0")
    ['numpy', 'scikit-learn==1.9.1', 'versioned-estimator==0.1.0']
    """
    if level not in LEVELS:
        raise ValueError(f"level={level!r}; expected one of {LEVELS}")
    lines = []
    for pin in plan.install:
        if pin.name == SELF or pin.name in overrides:
            continue
        lines.append(pin.line if level != "loose" else pin.name)
    for name, version in overrides.items():
        lines.append(f"{name}=={version}" if version else name)
    lines.append(f"{SELF}=={self_version}")
    return lines


def candidate_constraints(
    plan: InstallPlan, overrides: Mapping[str, str | None], level: str
) -> list[str]:
    """The constraints (``-c``) of a candidate environment: at ``exact``
    every saved pin but the candidates' and versioned-estimator's, else none
    (the installer chooses what the named distributions require).

    Examples
    --------
    >>> from versioned_estimator._requirements import InstallPlan, Pin
    >>> pins = [Pin("numpy", "2.2.6", "requirements"),
    ...         Pin("scikit-learn", "1.6.1", "requirements"),
    ...         Pin("scipy", "1.15.3", "requirements")]
    >>> plan = InstallPlan(pins[:2], pins)
    >>> candidate_constraints(plan, {"scikit-learn": "1.9.1"}, "exact")
    ['numpy==2.2.6', 'scipy==1.15.3']
    >>> candidate_constraints(plan, {"scikit-learn": "1.9.1"}, "direct")
    []
    """
    if level not in LEVELS:
        raise ValueError(f"level={level!r}; expected one of {LEVELS}")
    if level != "exact":
        return []
    return [
        pin.line
        for pin in plan.constraints
        if pin.name != SELF and pin.name not in overrides
    ]


# ----------------------------------------------------------------------------
# The user's data
# ----------------------------------------------------------------------------


class DataError(ValueError):
    """``--data`` names a file that cannot be read here."""


def read_data(path: str, schema: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """Read ``--data``: ``.npy`` (no pickles), ``.csv`` (a header row) or
    ``.parquet``.

    Tables become a DataFrame with the model's feature columns, in its
    order, when the model was fitted on named features (its ``schema``),
    else an array.

    Returns
    -------
    X : array or DataFrame
    description : str
        ``"FILE, R rows x C columns"``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "X.npy")
    >>> np.save(path, np.zeros((3, 2)))
    >>> X, described = read_data(path)
    >>> X.shape, described.endswith("3 rows x 2 columns")
    ((3, 2), True)
    """
    import numpy as np

    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        try:
            X: Any = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"--data {path}: {exc}") from exc
    elif suffix in (".csv", ".parquet"):
        try:
            import pandas as pd
        except ImportError as exc:
            raise DataError(
                f"--data {path}: reading {suffix} needs pandas in this environment"
            ) from exc
        try:
            X = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        except ImportError as exc:
            raise DataError(f"--data {path}: {exc}") from exc
        names = list((schema or {}).get("feature_names_in") or [])
        if names and all(name in X.columns for name in names):
            X = X[names]
        elif not names:
            X = X.to_numpy()
    else:
        raise DataError(f"--data {path}: expected a .npy, .csv or .parquet file")
    shape: tuple[int, ...] = tuple(getattr(X, "shape", ()))
    rows = int(shape[0]) if len(shape) else 0
    columns = int(shape[1]) if len(shape) > 1 else 1
    return X, f"{path}, {rows} rows x {columns} columns"


def _data_spec(X: Any, folder: Path) -> dict[str, str]:
    import numpy as np

    if isinstance(X, np.ndarray) and X.dtype.kind in "biufc":
        target = folder / "data.npy"
        np.save(target, X, allow_pickle=False)
        return {"npy": str(target)}
    from versioned_estimator._rows import encode_input

    target = folder / "data.json"
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(encode_input(X), handle)
    return {"encoded": str(target)}


# ----------------------------------------------------------------------------
# Running the model elsewhere
# ----------------------------------------------------------------------------


def _replay(
    python: str | os.PathLike[str],
    spec: Mapping[str, Any],
    folder: Path,
    name: str,
    environ: Mapping[str, str],
) -> dict[str, Any]:
    """Run the worker with ``python``; its findings, or a ``crash`` record."""
    out = folder / f"{name}.result.json"
    spec_path = folder / f"{name}.spec.json"
    spec_path.write_text(json.dumps({**spec, "out": str(out)}), encoding="utf-8")
    done = run_python(
        python, ["-m", WORKER, str(spec_path)], environ=environ, cwd=str(folder)
    )
    if done.returncode != 0 or not out.exists():
        lines = [x for x in (done.stderr or done.stdout).strip().splitlines() if x]
        return {"crash": " ".join(lines[-1:]) or f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _here_environ(extra_path: Sequence[str]) -> dict[str, str]:
    """This environment as it runs (its ``PYTHONPATH`` kept), ``--path`` first,
    writing no ``__pycache__`` into the folders it reads code from."""
    environ = dict(os.environ)
    paths = [os.path.abspath(p) for p in extra_path]
    if environ.get("PYTHONPATH"):
        paths.append(environ["PYTHONPATH"])
    if paths:
        environ["PYTHONPATH"] = os.pathsep.join(paths)
    if extra_path:
        environ["PYTHONDONTWRITEBYTECODE"] = "1"
    return environ


def compare_outputs(
    here: Mapping[str, Any] | None, there: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Per method, the outputs on the user's data here against there.

    Each check has ``method``, ``status`` (``same``, ``differs``,
    ``fails there``, ``fails here``, ``fails in both``), ``detail`` and
    ``max_abs_diff``; labels must be equal, floats within the probe's
    tolerance for their dtype.

    Examples
    --------
    >>> from versioned_estimator._format import encode_array
    >>> import numpy as np
    >>> a = {"ok": True, "array": encode_array(np.array([0.5, 0.25]))}
    >>> b = {"ok": True, "array": encode_array(np.array([0.5, 0.26]))}
    >>> [c["status"] for c in compare_outputs({"predict": a}, {"predict": a})]
    ['same']
    >>> compare_outputs({"predict": a}, {"predict": b})[0]["detail"]
    '1 of 2 values differ, largest by 0.01'
    """
    from versioned_estimator._format import decode_array
    from versioned_estimator._probe import compare

    here, there = here or {}, there or {}
    checks = []
    for method in sorted(set(here) | set(there)):
        mine, theirs = here.get(method), there.get(method)
        if mine is None or theirs is None:
            side = "there" if theirs is None else "here"
            checks.append(
                {
                    "method": method,
                    "status": "differs",
                    "detail": f"the method is missing {side}",
                    "max_abs_diff": None,
                }
            )
            continue
        if not mine["ok"] or not theirs["ok"]:
            status = (
                "fails in both"
                if not mine["ok"] and not theirs["ok"]
                else "fails here"
                if not mine["ok"]
                else "fails there"
            )
            error = theirs.get("error") if not theirs["ok"] else mine.get("error")
            checks.append(
                {
                    "method": method,
                    "status": status,
                    "detail": str(error),
                    "max_abs_diff": None,
                }
            )
            continue
        check = compare(
            method, decode_array(mine["array"]), decode_array(theirs["array"])
        )
        checks.append(check.to_dict())
    return checks


def _data_ok(checks: Sequence[Mapping[str, Any]]) -> bool:
    return all(c["status"] in ("same", "fails in both") for c in checks)


# ----------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------


def _wrap(message: object, indent: str = "  ") -> str:
    return textwrap.fill(
        " ".join(str(message).split()),
        width=88,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


# ----------------------------------------------------------------------------
# Shared set-up
# ----------------------------------------------------------------------------


def _say(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "json", False):
        write_line(f"{args.command}: {message}", sys.stderr)


def _resolve_python(spec: str) -> Interpreter:
    """``--python``: a version (``3.11``, ``3.11.7``) or a path."""
    looks_like_version = all(part.isdigit() for part in spec.split(".")) and (
        spec.count(".") in (1, 2)
    )
    found = find_python(spec) if looks_like_version else interpreter_at(spec)
    if found is None:
        what = f"Python {spec}" if looks_like_version else spec
        raise BuildError(
            f"--python {spec}: no {what} found (PATH, pyenv); {python_hint(spec)}"
        )
    return found


def _self_source(args: argparse.Namespace, wanted: str | None) -> tuple[list[str], str]:
    """Where versioned-estimator comes from: (extra install arguments, words)."""
    if args.local_project:
        return [os.path.abspath(args.local_project)], f"from {args.local_project}"
    project = local_project()
    if project is not None and wanted in (None, __version__):
        return [str(project)], f"from {project} (the running release's source)"
    return [], "from the package index"


def _run_verify_args(args: argparse.Namespace) -> list[str]:
    extra = [arg for name in args.trust for arg in ("--trust", name)]
    extra += [arg for alias in args.module_alias for arg in ("--module-alias", alias)]
    if getattr(args, "key_env", None):
        extra += ["--key-env", args.key_env]
    return extra


def _install_key(args: argparse.Namespace) -> bytes | None:
    """The key of ``--key-env VAR``, else of ``VERSIONED_ESTIMATOR_KEY``."""
    name = getattr(args, "key_env", None)
    if name is None:
        return resolve_key(None)
    value = os.environ.get(name)
    if not value:
        raise BuildError(f"--key-env {name}: that environment variable is not set")
    return resolve_key(value)


def _plan(
    args: argparse.Namespace, envelope: Envelope, found: RequirementSet
) -> InstallPlan:
    """What to install for the model of ``args.file``, read from the file
    itself before anything is installed.

    With a key (``--key-env`` or ``VERSIONED_ESTIMATOR_KEY``) the file's
    signature must verify first (:class:`IntegrityError` otherwise). The
    distributions to install are those providing the modules the inner
    stream imports and the safe load accepts (the allow-list, ``--trust``),
    found by a dry run of the stream that imports nothing.
    """
    from versioned_estimator._io import _read, audit_stream

    key = _install_key(args)
    parts, _ = _read(_model_path(args.file), skip_buffers=True)
    if key is not None:
        verify_signature(parts.envelope, key, parts.trailer)
    if parts.envelope != envelope.to_dict():
        raise IntegrityError(
            f"{args.file} changed while it was read: its envelope differs between "
            "two reads. Nothing was installed."
        )
    report = audit_stream(
        parts.stream, parts.buffers, trusted=list(args.trust), most_ops=parts.most_ops
    )
    untrusted = set(report.untrusted)
    imported = [
        name.rsplit(".", 1)[0] for name in report.globals if name not in untrusted
    ]
    probe = envelope.probe or {}
    rows = probe.get("X")
    frame = isinstance(rows, Mapping) and rows.get("kind") == "dataframe"
    plan = plan_install(found, imported, claimed=envelope.modules, frame_probe=frame)
    if untrusted:
        plan.notes.append(
            f"{len(untrusted)} global(s) of the pickle are not allowed (--trust "
            "them): their distributions are not installed"
        )
    return plan


def _show_plan(args: argparse.Namespace, plan: InstallPlan) -> None:
    """The plan on stderr, before anything runs (with ``--json`` too)."""
    for line in plan.describe():
        write_line(f"{args.command}: {line}", sys.stderr)


def _refusal(exc: IntegrityError) -> str:
    return (
        f"the file's signature does not verify with the key, so nothing is "
        f"installed from its metadata: {exc}"
    )


def _model_path(path: str) -> str:
    return path if "://" in path else os.path.abspath(path)


def _version_rows(
    found: RequirementSet,
    installed: Mapping[str, str],
    requested: Mapping[str, str | None],
) -> list[dict[str, Any]]:
    """Per distribution: saved, installed and the change; a recorded pin
    that nothing installed required is ``not installed``."""
    names = [pin.name for pin in found.pins]
    names += [name for name in requested if name not in names]
    # what the installer brought in besides (a new release's new requirement)
    names += sorted(set(installed) - set(names) - _TOOLS)
    rows = []
    for name in names:
        pin = found.get(name)
        saved = pin.version if pin is not None else None
        now = installed.get(name)
        if saved is None:
            change = "added" if pin is None else "unpinned"
            change = "missing" if now is None else change
        elif now is None:
            change = "not installed"
        else:
            change = classify(saved, now)
        rows.append(
            {
                "name": name,
                "saved": saved,
                "candidate": now,
                "change": change,
                "requested": name in requested,
            }
        )
    return rows


def _version_lines(rows: Sequence[Mapping[str, Any]], title: str) -> list[str]:
    shown = [r for r in rows if r["requested"] or r["change"] != "same"]
    cells = [["package", "saved", title, "change"]] if shown else []
    for row in shown:
        cells.append(
            [
                row["name"],
                row["saved"] or "-",
                row["candidate"] or "-",
                row["change"] + ("  (asked)" if row["requested"] else ""),
            ]
        )
    lines = table(cells)
    same = len(rows) - len(shown)
    if same:
        lines.append(f"  ({same} others at their saved versions)")
    return lines


def _failure(
    data: dict[str, Any], lines: list[str], message: str, code: int = 2
) -> Outcome:
    from versioned_estimator._cli import Outcome

    data.update(ok=False, error=message)
    first, _, rest = message.partition("\n")
    text = [*lines, f"{data.get('command', 'error')}: {first}"]
    text += [_wrap(line, "    ") for line in rest.splitlines() if line.strip()]
    return Outcome(data, "\n".join(text), code)


# ----------------------------------------------------------------------------
# upgrade-check
# ----------------------------------------------------------------------------


@dataclass
class _Built:
    installer: Installer
    python: Interpreter
    level: str
    versions: dict[str, str]
    lines: list[str]
    attempts: list[str] = field(default_factory=list)


def _build_candidate(
    args: argparse.Namespace,
    plan: InstallPlan,
    found: RequirementSet,
    overrides: Mapping[str, str | None],
    folder: Path,
    notes: list[str],
) -> tuple[VirtualEnv, _Built]:
    installer = choose_installer(args.installer)
    if args.python:
        python = _resolve_python(args.python)
    elif found.python:
        located = find_python(found.python)
        if located is None:
            located = interpreter_at(sys.executable)
            assert located is not None
            notes.append(
                f"Python {found.python} (saved) not found: the candidate runs on "
                f"this Python, {located.version}"
            )
        python = located
    else:
        python = interpreter_at(sys.executable)  # type: ignore[assignment]
        assert python is not None
    local, words = _self_source(args, __version__)
    saved_self = found.get(SELF)
    if saved_self is not None and saved_self.version not in (None, __version__):
        notes.append(
            f"{SELF} {__version__} (the running release, {words}) replaces the "
            f"saved {saved_self.version}: the check runs this release there"
        )
    attempts: list[str] = []
    if local:
        local = [build_wheel(local[0], folder / "wheels", installer, python.path)]
    for level in LEVELS:
        lines = candidate_lines(plan, overrides, level)
        constraints = candidate_constraints(plan, overrides, level)
        target = folder / f"env-{level}"
        _say(
            args,
            f"building a throwaway environment ({installer}, Python "
            f"{python.version}, {len(lines)} requirements, {level} pins)"
            if not attempts
            else f"the saved pins conflict with the candidates; retrying with "
            f"{level} pins",
        )
        env = create(target, python, installer, with_pip=False)
        try:
            install(
                env,
                lines,
                installer,
                constraints=constraints,
                local=local,
                find_links=args.find_links or [],
            )
        except BuildError as exc:
            attempts.append(f"{level}: {exc}")
            shutil.rmtree(target, ignore_errors=True)
            continue
        built = _Built(installer, python, level, env.versions(), lines, attempts)
        return env, built
    raise BuildError(
        "no candidate environment could be installed:\n" + "\n".join(attempts)
    )


def cmd_upgrade_check(args: argparse.Namespace) -> Outcome:
    """``upgrade-check FILE --with NAME==VERSION``: the model with candidate
    versions, in a throwaway environment.

    Parameters
    ----------
    args : argparse.Namespace
        ``file``, ``with_`` (pairs from :func:`parse_with`), ``data``,
        ``trust``, ``module_alias``, ``path``, ``python``, ``installer``,
        ``local_project``, ``find_links``, ``json``.

    Returns
    -------
    Outcome
        Exit code 0 when the model loads there and every probe output (and
        every output on ``--data``) is the same, 1 when one differs, 2 when
        it cannot load there or the environment cannot be built. An
        unreadable FILE raises :class:`EnvelopeError` (exit 2 in ``main``).
    """
    from versioned_estimator._cli import Outcome

    envelope = read_envelope(args.file)
    found = requirements_of(envelope)
    overrides = dict(args.with_)
    path = _model_path(args.file)
    notes: list[str] = list(found.notes)
    asked = [f"{n}=={v}" if v else n for n, v in overrides.items()]
    data: dict[str, Any] = {
        "command": "upgrade-check",
        "file": args.file,
        "estimator_class": envelope.estimator_class,
        "with": asked,
        "ok": False,
        "verdict": "not built",
        "candidate": None,
        "load": None,
        "probe": None,
        "data": None,
        "warnings": [],
        "notes": notes,
        "plan": None,
        "error": None,
    }
    head = [
        f"{shown_path(args.file)}: {envelope.estimator_class}",
        f"candidate: {', '.join(asked)}",
    ]
    X = None
    described = None
    if args.data:
        try:
            X, described = read_data(args.data, envelope.schema)
        except (DataError, OSError) as exc:
            return _failure(data, head, str(exc))
    try:
        plan = _plan(args, envelope, found)
    except IntegrityError as exc:
        return _failure(data, head, _refusal(exc))
    except BuildError as exc:
        return _failure(data, head, str(exc))
    data["plan"] = plan.to_dict()
    notes += plan.notes
    _show_plan(args, plan)
    spec: dict[str, Any] = {
        "file": path,
        "trusted": list(args.trust),
        "aliases": module_aliases(args),
        "key_env": getattr(args, "key_env", None),
        "data": None,
    }
    with throwaway("ve-upgrade-check-") as folder:
        if X is not None:
            spec["data"] = _data_spec(X, folder)
        try:
            env, built = _build_candidate(args, plan, found, overrides, folder, notes)
        except BuildError as exc:
            return _failure(data, head, str(exc))
        _say(args, "loading the model there and replaying its probe")
        there = _replay(env.python, spec, folder, "there", clean_environ(args.path))
        here = None
        if X is not None:
            _say(args, "running the model on the data here too")
            here = _replay(
                sys.executable, spec, folder, "here", _here_environ(args.path)
            )
    rows = _version_rows(found, built.versions, overrides)
    data["candidate"] = {
        "python": built.python.version,
        "installer": built.installer.name,
        "pins": built.level,
        "requirements": built.lines,
        "packages": rows,
        "attempts": built.attempts,
    }
    lines = [
        *head,
        f"environment (throwaway, removed): Python {built.python.version}, "
        f"{built.installer}",
        *_version_lines(rows, "candidate"),
    ]
    if built.level != "exact":
        lines.append(_wrap(_LEVEL_WORDS[built.level]))
    if "crash" in there:
        data["verdict"] = "cannot load"
        data["load"] = {"ok": False, "type": "crash", "message": there["crash"]}
        return _failure(data, lines, f"the check crashed there: {there['crash']}")
    data["warnings"] = there.get("warnings", [])
    load = there["load"]
    data["load"] = load
    code = 0
    if not load["ok"]:
        data["verdict"] = "cannot load"
        code = 2
        lines.append(f"load          FAILED  {load.get('type')}")
        lines.append(_wrap(load.get("message", ""), "    "))
    else:
        lines.append("load          ok  (safe load: digest, allow-list)")
        probe = there.get("probe") or {}
        data["probe"] = probe
        if not probe.get("probed", False):
            lines.append("probe replay  none recorded (probe_size=0)")
            notes.append("no probe in the file: only loading was checked (see --data)")
        else:
            replay_ok = all(
                c["status"] in ("same", "random") for c in probe.get("checks", [])
            )
            code = 0 if replay_ok else 1
            lines.append(f"probe replay  {'ok' if replay_ok else 'DIFFERS'}")
            lines += table(
                [[c["method"], c["status"], c["detail"]] for c in probe["checks"]], 4
            )
        for old, new in (probe.get("remapped") or {}).items():
            lines.append(f"    remapped {old} -> {new}")
        if here is not None:
            checks: list[dict[str, Any]] = []
            error = None
            if "crash" in here or not here["load"]["ok"]:
                error = here.get("crash") or here["load"].get("message")
            elif here.get("data_error") or there.get("data_error"):
                error = here.get("data_error") or there.get("data_error")
            else:
                checks = compare_outputs(here.get("outputs"), there.get("outputs"))
            data["data"] = {"file": args.data, "checks": checks, "error": error}
            if error is not None:
                return _failure(
                    data,
                    lines,
                    f"--data could not be compared: {error}",
                )
            same = _data_ok(checks)
            code = code if same else 1
            lines.append(
                f"data          {'ok' if same else 'DIFFERS'}  ({described}: "
                "outputs here against the candidate)"
            )
            lines += table([[c["method"], c["status"], c["detail"]] for c in checks], 4)
        data["verdict"] = "same" if code == 0 else "differs"
    for warning in data["warnings"]:
        lines += [f"{warning['category']}:", _wrap(warning["message"], "    ")]
    for note in notes:
        lines.append(_wrap(f"note: {note}", ""))
    data["ok"] = code == 0
    verdict = {
        0: f"ok: the model keeps behaving with {', '.join(asked)}",
        1: f"DIFFERS: the model behaves differently with {', '.join(asked)}",
        2: f"CANNOT LOAD with {', '.join(asked)}",
    }[code]
    lines.append(f"upgrade-check: {verdict}")
    return Outcome(data, "\n".join(lines), code)


# ----------------------------------------------------------------------------
# env
# ----------------------------------------------------------------------------


def cmd_env(args: argparse.Namespace) -> Outcome:
    """``env FILE DIR``: the saving environment as a venv in DIR, verified.

    Parameters
    ----------
    args : argparse.Namespace
        ``file``, ``dir``, ``trust``, ``module_alias``, ``path``, ``python``,
        ``installer``, ``local_project``, ``find_links``, ``json``.

    Returns
    -------
    Outcome
        Exit code 0 when ``verify`` passes in the new environment, 1 when it
        fails there, 2 when the environment cannot be built (no such Python,
        DIR not empty, the installer failed; what it built is removed).
    """
    from versioned_estimator._cli import Outcome

    envelope = read_envelope(args.file)
    found = requirements_of(envelope)
    target = Path(args.dir)
    data: dict[str, Any] = {
        "command": "env",
        "file": args.file,
        "estimator_class": envelope.estimator_class,
        "dir": str(target),
        "ok": False,
        "python": None,
        "installer": None,
        "requirements": found.lines,
        "packages": None,
        "verify": None,
        "notes": list(found.notes),
        "plan": None,
        "error": None,
    }
    head = [f"{shown_path(args.file)}: {envelope.estimator_class}"]
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        return _failure(
            data, head, f"{target} exists and is not an empty folder: choose a new DIR"
        )
    try:
        plan = _plan(args, envelope, found)
    except IntegrityError as exc:
        return _failure(data, head, _refusal(exc))
    except BuildError as exc:
        return _failure(data, head, str(exc))
    data["plan"] = plan.to_dict()
    data["notes"] += plan.notes
    try:
        installer = choose_installer(args.installer)
        if args.python:
            python = _resolve_python(args.python)
        elif found.python is None:
            raise BuildError(
                "the file does not record its Python version: pass --python"
            )
        else:
            located = find_python(found.python)
            if located is None:
                minor = ".".join(found.python.split(".")[:2])
                raise BuildError(
                    f"the model was saved under Python {found.python}; no Python "
                    f"{minor} was found (python{minor} on PATH, pyenv versions): "
                    f"{python_hint(found.python)}"
                )
            python = located
    except BuildError as exc:
        return _failure(data, head, str(exc))
    if found.python and python.version != found.python:
        data["notes"].append(
            f"Python {python.version} stands in for the saved {found.python}"
        )
    saved_self = found.get(SELF)
    local, words = _self_source(args, saved_self.version if saved_self else None)
    data.update(python=python.version, installer=installer.name)
    created = not target.exists()
    _show_plan(args, plan)
    _say(
        args,
        f"building {target} ({installer}, Python {python.version}, "
        f"{len(plan.install)} distributions, {len(plan.constraints)} constraints)",
    )
    try:
        env = create(target, python, installer, with_pip=True)
        with throwaway("ve-wheel-") as wheels:
            local = [build_wheel(p, wheels, installer, env.python) for p in local]
            install(
                env,
                plan.requirement_lines,
                installer,
                constraints=plan.constraint_lines,
                local=local,
                find_links=args.find_links,
            )
        installed = env.versions()
    except BuildError as exc:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in list(target.iterdir()):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink()
        message = str(exc)
        if saved_self is not None and not local:
            message += (
                f"\n({SELF}=={saved_self.version} comes from the package index; "
                "for a checkout of that release pass --local-project PATH)"
            )
        return _failure(data, head, f"{message}\n(nothing is left in {target})")
    rows = _version_rows(found, installed, {})
    data["packages"] = rows
    _say(args, "verifying the model there")
    done = env.run(
        [
            "-m",
            "versioned_estimator",
            "verify",
            _model_path(args.file),
            "--json",
            *_run_verify_args(args),
        ],
        cwd=str(target),
        extra_path=args.path,
    )
    lines = [
        *head,
        f"environment  {target}: Python {python.version} ({python.path}), {installer}",
        f"installed    {len(plan.install)} distributions named, the file's "
        f"{len(plan.constraints)} pins as constraints; {SELF} {words}",
        *_version_lines(rows, "installed"),
    ]
    try:
        report = json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        return _failure(
            data,
            lines,
            f"verify could not run there: {' '.join(tail) or done.returncode}",
        )
    data["verify"] = report
    lines.append("verify (in the new environment)")
    stages = report.get("stages", {})
    order = [name for name in _STAGES if name in stages]
    order += sorted(set(stages) - set(order))
    lines += table(
        [[name, stages[name]["status"], stages[name]["detail"]] for name in order], 4
    )
    if report.get("error"):
        lines.append(_wrap(f"{report['error']['type']}: {report['error']['message']}"))
    for note in data["notes"]:
        lines.append(_wrap(f"note: {note}", ""))
    ok = done.returncode == 0 and bool(report.get("ok"))
    data["ok"] = ok
    lines.append(f"use it: {env.python} (or: source {target}/bin/activate)")
    lines.append("env: ok" if ok else "env: built, but verify FAILED there")
    return Outcome(data, "\n".join(lines), 0 if ok else 1)


# ----------------------------------------------------------------------------
# The parsers
# ----------------------------------------------------------------------------


def add_trust(parser: argparse.ArgumentParser) -> None:
    """``--trust NAME``, repeatable (audit, verify, env, upgrade-check)."""
    parser.add_argument(
        "--trust",
        metavar="NAME",
        action="append",
        default=[],
        type=_trusted_argument,
        help="a 'module.qualname' global to trust, e.g. your own class (repeatable)",
    )


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """What a safe load takes on the command line: ``--trust``,
    ``--module-alias`` and ``--path`` (verify, env, upgrade-check)."""
    add_trust(parser)
    parser.add_argument(
        "--module-alias",
        metavar="OLD=NEW",
        action="append",
        default=[],
        type=_alias_argument,
        help="load module OLD from module NEW (old.mod=new.mod), or a renamed class "
        "by its whole name (old.mod.OldClass=new.mod.NewClass); repeatable",
    )
    parser.add_argument(
        "--path",
        metavar="DIR",
        action="append",
        default=[],
        help="import your own modules (the model's classes) from DIR too; "
        "repeatable. Nothing is imported from the current folder unless you "
        "give --path .",
    )


def module_aliases(args: argparse.Namespace) -> dict[str, str]:
    """The ``--module-alias OLD=NEW`` options of ``add_load_options``, as the
    mapping ``load(module_aliases=...)`` takes."""
    return dict(value.split("=", 1) for value in args.module_alias or [])


def _add_build_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("file", metavar="FILE", help="a model file (joblib or pickle)")
    sub.add_argument(
        "--json", action="store_true", help="print JSON (sorted keys) for machines"
    )
    add_load_options(sub)
    sub.add_argument(
        "--python",
        metavar="VERSION|PATH",
        type=_python_argument,
        help="the Python to build with (default: the one the model was saved with)",
    )
    sub.add_argument(
        "--installer",
        choices=("auto", "uv", "pip"),
        default="auto",
        help="uv or venv + pip (default: uv when installed)",
    )
    sub.add_argument(
        "--local-project",
        metavar="PATH",
        help=f"install {SELF} from this source tree (default: the running one's)",
    )
    sub.add_argument(
        "--find-links",
        metavar="DIR",
        action="append",
        default=[],
        help="also look for packages in this folder of wheels (repeatable)",
    )
    sub.add_argument(
        "--key-env",
        metavar="VAR",
        help="require the file's signature to verify with the key held in "
        f"environment variable VAR before installing anything (default: "
        f"{KEY_VARIABLE} when set)",
    )


def add_commands(commands: Any) -> None:
    """Register ``upgrade-check`` and ``env`` on the CLI's sub-parsers.

    Examples
    --------
    >>> from versioned_estimator._cli import build_parser
    >>> args = build_parser().parse_args(
    ...     ["upgrade-check", "m.joblib", "--with", "scikit-learn==1.7.2"])
    >>> args.with_, args.installer
    ([('scikit-learn', '1.7.2')], 'auto')
    """
    sub = commands.add_parser(
        "upgrade-check",
        help="load and replay the model with candidate versions (exit 1 if it "
        "behaves differently, 2 if it cannot load)",
    )
    _add_build_options(sub)
    sub.add_argument(
        "--with",
        dest="with_",
        metavar="NAME==VERSION",
        action="append",
        required=True,
        type=parse_with,
        help="a candidate version, e.g. scikit-learn==1.7.2 (repeatable)",
    )
    sub.add_argument(
        "--data",
        metavar="FILE",
        help="also compare outputs on this data (.npy, .csv, .parquet) with here",
    )
    sub.set_defaults(handler=cmd_upgrade_check)

    sub = commands.add_parser(
        "env",
        help="build the saving environment as a venv in DIR and verify the model",
    )
    _add_build_options(sub)
    sub.add_argument("dir", metavar="DIR", help="a new (or empty) folder")
    sub.set_defaults(handler=cmd_env)
