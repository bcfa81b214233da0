"""The ``versioned-estimator`` command line (also ``python -m versioned_estimator``).

Every reading command builds an :class:`Outcome` (a plain-data form for
``--json``, a text form for people and an exit code) and one of the two output
formats renders it. Exit codes are the same everywhere: 0 ok, 1 a check failed
(environment mismatch, untrusted global, integrity, behaviour drift) or, for
``diff``, the files differ (as diff(1)), 2 the file could not be read (one
line on stderr, no traceback).

``inspect``, ``check``, ``audit``, ``requirements`` and ``diff`` read only the
envelope (or, for ``audit``, dry-run the inner stream): they never unpickle the
model. ``verify`` is the only command that does, and only through the safe
:func:`versioned_estimator.load`; it imports the user's own code only from the
folders given with ``--path`` (never implicitly from the working directory).

The text and data of an envelope (``inspect``, ``diff``) are rendered by
``_render``, which the demo (``_demo``) uses too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from versioned_estimator._config import get_config
from versioned_estimator._demo import cmd_demo
from versioned_estimator._envelope import Envelope
from versioned_estimator._environment import CHANGES
from versioned_estimator._errors import (
    BehaviorDriftError,
    EnvelopeError,
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    InnerLoadError,
    IntegrityError,
    UntrustedGlobalError,
    VersionedEstimatorError,
)
from versioned_estimator._inspect import check_environment, read_envelope
from versioned_estimator._render import (
    PROG,
    diff_envelopes,
    diff_text,
    human_size,
    inspect_data,
    inspect_text,
    one_line,
    plain,
    printed_repeats,
    shown_path,
    table,
    terminal_safe,
    wrap,
    write_line,
)
from versioned_estimator._signing import KEY_VARIABLE, resolve_key
from versioned_estimator._version import __version__

__all__ = [
    "JsonFormat",
    "Outcome",
    "TextFormat",
    "build_parser",
    "human_size",
    "main",
    "terminal_safe",
]

# The text helpers of _render under their former names here, for commands
# defined in other modules.
_table = table
_one_line = one_line
_wrap = wrap


def _show(value: Any, width: int | None = None) -> str:
    """A value whole, on one line (``width`` is ignored: nothing is cut)."""
    return plain(value)


# ----------------------------------------------------------------------------
# Outcomes and output formats
# ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a command found.

    Attributes
    ----------
    data : dict
        Plain data, printed by ``--json``.
    text : str
        The same for people.
    code : int
        The exit code: 0 ok, 1 a check failed.
    """

    data: dict[str, Any]
    text: str
    code: int = 0


class TextFormat:
    """Aligned, readable text."""

    def render(self, outcome: Outcome) -> str:
        """Return the text form of ``outcome``, control characters escaped."""
        return terminal_safe(outcome.text)


class JsonFormat:
    """JSON for machines: sorted keys, strict JSON (a float that is not
    finite is written as the string ``"NaN"``, ``"Infinity"`` or
    ``"-Infinity"``, which every parser reads), indented two spaces a level
    for the first :data:`_INDENTED` levels and on one line below them, so
    its length follows its values, not their depth (a million values 96
    levels deep, indented, wrote 820 MB for a 1 MB file)."""

    def render(self, outcome: Outcome) -> str:
        """Return the JSON form of ``outcome``."""
        return _json(_finite(outcome.data), 0)


#: How many levels of a JSON document are indented.
_INDENTED = 3


def _json(value: Any, depth: int) -> str:
    if depth >= _INDENTED or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, sort_keys=True)
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(str(key))}: {_json(value[key], depth + 1)}"
            for key in sorted(value)
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [inner + _json(item, depth + 1) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _format(args: argparse.Namespace) -> TextFormat | JsonFormat:
    return JsonFormat() if getattr(args, "json", False) else TextFormat()


# ----------------------------------------------------------------------------
# inspect
# ----------------------------------------------------------------------------


def _printable(path: str) -> Any:
    """The envelope of ``path``, refused when printing it would repeat its
    values out of proportion to the file (:func:`printed_repeats`)."""
    envelope = read_envelope(path)
    problem = printed_repeats(envelope)
    if problem is not None:
        raise EnvelopeError(
            f"{shown_path(path)}'s envelope {problem}: it is crafted or corrupt, "
            "and is not printed."
        )
    return envelope


def cmd_inspect(args: argparse.Namespace) -> Outcome:
    """``inspect FILE``: everything the envelope says; never unpickles."""
    data = inspect_data(args.file, _printable(args.file))
    return Outcome(data, inspect_text(data))


# ----------------------------------------------------------------------------
# check
# ----------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> Outcome:
    """``check FILE``: the saved environment against this one."""
    envelope = read_envelope(args.file)
    report = check_environment(envelope, threshold=args.policy)
    data = report.to_dict()
    fix = report.fix()
    data.update(
        file=args.file,
        estimator_class=envelope.estimator_class,
        mismatches=[entry.name for entry in report.mismatches],
        fix=fix or None,
    )
    lines = [f"{shown_path(args.file)}: {envelope.estimator_class}", str(report)]
    if not report.ok:
        if fix:
            lines.append(f"to recreate the saved versions: {fix}")
        lines.append(f"(or every pin: {PROG} requirements {shown_path(args.file)})")
    return Outcome(data, "\n".join(lines), 0 if report.ok else 1)


# ----------------------------------------------------------------------------
# audit
# ----------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace) -> Outcome:
    """``audit FILE``: the globals the inner stream would import, by dry run."""
    from versioned_estimator._io import audit

    trusted = list(args.trust or [])
    report = audit(args.file, trusted=trusted)
    data = report.to_dict()
    data.update(file=args.file, trusted=trusted)
    lines = [f"{shown_path(args.file)}:", str(report)]
    if report.dangerous:
        lines.append(
            f"DANGEROUS: {', '.join(report.dangerous)} can run arbitrary code. Do not "
            "load this file; nothing was imported or run by this audit."
        )
    if report.error:
        lines.append("audit: FAILED, the dry run could not read the inner stream")
    elif report.untrusted:
        lines.append(f"audit: UNTRUSTED ({len(report.untrusted)})")
        if not report.dangerous:
            flags = " ".join(f"--trust {name}" for name in report.untrusted)
            lines.append(f"if this is your own code and you trust the file: {flags}")
    else:
        lines.append("audit: ok")
    return Outcome(data, "\n".join(lines), 0 if report.ok else 1)


# ----------------------------------------------------------------------------
# requirements
# ----------------------------------------------------------------------------


def cmd_requirements(args: argparse.Namespace) -> Outcome:
    """``requirements FILE``: every pin that rebuilds the saved environment
    (``_requirements``), as pip, python-env or conda text, or ``--out DIR``
    writing all three files as in an MLflow model directory."""
    from versioned_estimator._requirements import render, requirements_of, write_files

    found = requirements_of(read_envelope(args.file))
    data = {"file": args.file, **found.to_dict(), "written": None}
    if args.out is None:
        return Outcome(data, render(found, args.format, source=args.file))
    data["written"] = write_files(found, args.out, source=args.file, force=args.force)
    wrote = "\n".join(f"wrote {shown_path(path)}" for path in data["written"])
    return Outcome(data, wrote)


# ----------------------------------------------------------------------------
# diff
# ----------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> Outcome:
    """``diff A B``: the envelope fields that differ; exit 1 when any does."""
    first, second = _printable(args.a), _printable(args.b)
    differences, complete = diff_envelopes(first, second)
    data = {
        "a": args.a,
        "b": args.b,
        "same": not differences,
        "differences": differences,
        "complete": complete,
    }
    text = diff_text(args.a, args.b, differences, complete)
    return Outcome(data, text, 1 if differences else 0)


# ----------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------

# The order in which load runs them.
_STAGES = ("signature", "digest", "environment", "unpickle", "probe")


class _UsageError(Exception):
    """A bad command line that argparse cannot see (exit 2)."""


def _key(args: argparse.Namespace) -> str | None:
    if args.key_env is None:
        return None
    key = os.environ.get(args.key_env)
    if not key:
        raise _UsageError(
            f"--key-env {args.key_env}: that environment variable is not set"
        )
    return key


@contextlib.contextmanager
def _import_path(folders: Sequence[str]) -> Iterator[list[str]]:
    """Put ``folders`` first on ``sys.path`` for the duration, then take them off.

    The console script does not have the working directory on ``sys.path``
    (``python -m`` does): a user's own modules are importable only from the
    folders they name with ``--path``. A command that reads a model writes
    nothing into them: no ``__pycache__`` of the modules it imported.
    """
    added = []
    for folder in folders:
        if not os.path.isdir(folder):
            raise _UsageError(f"--path {folder}: no such folder")
        added.append(os.path.abspath(folder))
    sys.path[:0] = added
    importlib.invalidate_caches()
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        yield added
    finally:
        sys.dont_write_bytecode = writes
        for folder in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)


def _raised_in(exc: BaseException, module: str) -> bool:
    """Whether ``exc`` was raised by code of ``module``."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == module:
            return True
        tb = tb.tb_next
    return False


def _failed_stage(exc: VersionedEstimatorError) -> str:
    if isinstance(exc, IntegrityError):
        # The signature is checked before the checksums, by _signing alone.
        signature = _raised_in(exc, "versioned_estimator._signing")
        return "signature" if signature else "digest"
    if isinstance(exc, EnvironmentMismatchError):
        return "environment"
    if isinstance(exc, BehaviorDriftError):
        return "probe"
    return "unpickle"


def _probe_detail(probe: Mapping[str, Any] | None) -> str:
    if probe is None:
        return ""
    if not probe["probed"]:
        return "no probe recorded (probe_size=0)"
    return ", ".join(f"{c['method']} {c['status']}" for c in probe["checks"])


def _digest_detail(payload: Mapping[str, Any]) -> str:
    algorithm = payload.get("algorithm") or "sha256"
    size = human_size(payload.get("nbytes"))
    digest = payload.get("digest")
    if digest:
        return f"{algorithm}:{str(digest)[:16]}... over all {size}"
    return f"{algorithm} checksums match over all {size}"


def cmd_verify(args: argparse.Namespace) -> Outcome:
    """``verify FILE``: load safely (every check, in order), then replay the probe."""
    from versioned_estimator._env_commands import module_aliases
    from versioned_estimator._io import load

    given = _key(args)
    key = resolve_key(given)
    trusted = list(args.trust or [])
    aliases = module_aliases(args)
    failed: str | None = None
    error: dict[str, Any] | None = None
    probe: dict[str, Any] | None = None
    loaded: Envelope | None = None
    with (
        _import_path(args.path or []) as folders,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        try:
            model = load(
                args.file,
                trusted=trusted,
                key=given,
                module_aliases=aliases or None,
                on_mismatch="warn",
                on_drift="error",
            )
        except EnvelopeError:
            raise
        except VersionedEstimatorError as exc:
            failed = _failed_stage(exc)
            error = {
                "type": type(exc).__name__,
                "stage": failed,
                "message": one_line(exc),
            }
            if isinstance(exc, UntrustedGlobalError):
                error["names"] = list(exc.names)
            if isinstance(exc, InnerLoadError):
                error["module"] = exc.module
            if isinstance(exc, BehaviorDriftError) and exc.report is not None:
                probe = exc.report.to_dict()
        else:
            loaded = model.envelope
            probe = model.verify().to_dict()
            if not probe["ok"]:
                failed = "probe"
    said = _warnings_said(caught)
    # What the load read and checked (round 133: not a head read before it,
    # which a URL also made a second read); the head alone when it failed.
    envelope = loaded if loaded is not None else read_envelope(args.file)

    stages: dict[str, dict[str, Any]] = {}
    reached = True
    for name in _STAGES:
        status = "failed" if name == failed else "ok" if reached else "not reached"
        stages[name] = {"status": status, "detail": ""}
        reached = reached and name != failed
    if key is None:
        stages["signature"] = (
            {
                "status": "unchecked",
                "detail": f"signed; no key (--key-env VAR or {KEY_VARIABLE})",
            }
            if envelope.signed
            else {"status": "absent", "detail": "the file is not signed"}
        )
    elif stages["signature"]["status"] == "ok":
        stages["signature"]["detail"] = "HMAC-SHA256 matches the key"
    if stages["digest"]["status"] == "ok":
        stages["digest"]["detail"] = _digest_detail(envelope.payload)
    if stages["environment"]["status"] == "ok":
        stages["environment"]["detail"] = "no version change of minor or more"
        if any(category == EnvironmentMismatchWarning.__name__ for category, _ in said):
            stages["environment"] = {
                "status": "warned",
                "detail": "saved in another environment (not a failure; see warning)",
            }
    if stages["unpickle"]["status"] == "ok":
        stages["unpickle"]["detail"] = (
            f"{len((probe or {}).get('globals') or [])} globals, all allowed"
            + (f" ({len(trusted)} trusted by you)" if trusted else "")
            + (f", module aliases {plain(aliases)}" if aliases else "")
        )
    if stages["probe"]["status"] != "not reached":
        stages["probe"]["detail"] = _probe_detail(probe)
        if probe is not None and not probe["probed"] and failed is None:
            stages["probe"]["status"] = "absent"
    if error is not None:
        stages[error["stage"]]["detail"] = error["type"]
    ok = failed is None
    data = {
        "file": args.file,
        "estimator_class": envelope.estimator_class,
        "ok": ok,
        "stages": stages,
        "probe": probe,
        "error": error,
        "path": folders,
        "warnings": [
            {"category": category, "message": message} for category, message in said
        ],
    }
    rows = [
        [
            name,
            stage["status"].upper() if stage["status"] == "failed" else stage["status"],
            one_line(stage["detail"]),
        ]
        for name, stage in stages.items()
    ]
    lines = [f"{shown_path(args.file)}: {envelope.estimator_class}", *table(rows)]
    differing = [c for c in (probe or {}).get("checks", []) if c["status"] != "same"]
    if differing:
        lines.append("probe replay differences:")
        lines += table(
            [
                [plain(c["method"]), c["status"], one_line(c["detail"])]
                for c in differing
            ],
            4,
        )
    if error is not None:
        lines += [f"{error['type']}:", wrap(error["message"], "    ")]
        if error["type"] == "InnerLoadError" and not folders:
            lines.append(
                wrap(
                    f"({PROG} imports your own modules only from folders given "
                    "with --path DIR, e.g. --path .)"
                )
            )
    for category, message in said:
        lines += [f"{category}:", wrap(message, "    ")]
    lines.append("verify: ok" if ok else f"verify: FAILED at {failed}")
    return Outcome(data, "\n".join(lines), 0 if ok else 1)


MAX_WARNINGS = 20
MAX_WARNING_TEXT = 2_000


def _warnings_said(caught: list[warnings.WarningMessage]) -> list[tuple[str, str]]:
    """The warnings a load gave, environment mismatches first, each once and
    cut to :data:`MAX_WARNING_TEXT` characters, at most :data:`MAX_WARNINGS`:
    a file can make scikit-learn warn once an object, quoting its text (100
    objects naming one version string of 1 MB printed 106 MB, round 106)."""
    ordered = sorted(
        caught, key=lambda w: not issubclass(w.category, EnvironmentMismatchWarning)
    )
    said: dict[tuple[str, str], None] = {}
    left = 0
    for w in ordered:
        text = str(w.message)
        if len(text) > MAX_WARNING_TEXT:
            text = text[: MAX_WARNING_TEXT - 3] + "..."
        key = (w.category.__name__, one_line(text))
        if key in said:
            continue
        if len(said) == MAX_WARNINGS:
            left += 1
            continue
        said[key] = None
    out = list(said)
    if left:
        out.append(("note", f"{left} more warnings, not shown"))
    return out


# ----------------------------------------------------------------------------
# The parser and main
# ----------------------------------------------------------------------------


def _add_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a model file (joblib or pickle)")


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (sorted keys) for machines"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``versioned-estimator``.

    Returns
    -------
    argparse.ArgumentParser
        Each sub-command sets ``handler`` to the function that runs it.

    Examples
    --------
    >>> args = build_parser().parse_args(["check", "model.joblib", "--policy", "major"])
    >>> args.command, args.file, args.policy, args.json
    ('check', 'model.joblib', 'major', False)
    """
    # upgrade-check and env, and the load options they share with verify
    from versioned_estimator._env_commands import (
        add_commands,
        add_load_options,
        add_trust,
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Read, check and verify models saved with versioned-estimator. "
            "Exit codes: 0 ok, 1 a check failed (or, for diff, the files differ), "
            "2 the file could not be read."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub = commands.add_parser(
        "inspect",
        help="show the envelope: class, params, versions, schema (no unpickling)",
    )
    _add_file(sub)
    _add_json(sub)
    sub.set_defaults(handler=cmd_inspect)

    sub = commands.add_parser(
        "check", help="compare the saved environment with this one (exit 1 on mismatch)"
    )
    _add_file(sub)
    _add_json(sub)
    sub.add_argument(
        "--policy",
        choices=CHANGES[1:],
        default="minor",
        help="the smallest version change that fails the check (default: minor)",
    )
    sub.set_defaults(handler=cmd_check)

    sub = commands.add_parser(
        "audit", help="list the globals the model would import (exit 1 if untrusted)"
    )
    _add_file(sub)
    _add_json(sub)
    add_trust(sub)
    sub.set_defaults(handler=cmd_audit)

    sub = commands.add_parser(
        "requirements", help="pins rebuilding the saved environment (pip install -r)"
    )
    _add_file(sub)
    _add_json(sub)
    sub.add_argument("--format", choices=("pip", "python-env", "conda"), default="pip")
    sub.add_argument(
        "--out",
        metavar="DIR",
        help="write requirements.txt, python_env.yaml and conda.yaml to DIR "
        "(as MLflow does)",
    )
    sub.add_argument("--force", action="store_true", help="overwrite with --out")
    sub.set_defaults(handler=cmd_requirements)

    add_commands(commands)

    sub = commands.add_parser(
        "diff",
        help="the envelope fields that differ, params as step__param "
        "(exit 1 when different)",
    )
    sub.add_argument("a", metavar="A", help="the first model file")
    sub.add_argument("b", metavar="B", help="the second model file")
    _add_json(sub)
    sub.set_defaults(handler=cmd_diff)

    sub = commands.add_parser(
        "verify",
        help="load safely: signature, digest, environment, probe (exit 1 on failure)",
    )
    _add_file(sub)
    _add_json(sub)
    sub.add_argument(
        "--key-env",
        metavar="VAR",
        help="verify the signature with the key held in environment variable VAR",
    )
    add_load_options(sub)
    sub.set_defaults(handler=cmd_verify)

    sub = commands.add_parser(
        "demo", help="save a model, then show a version mismatch and a renamed module"
    )
    sub.add_argument(
        "--dir",
        metavar="DIR",
        help="write the demo's files to DIR and keep them, to run its commands "
        "yourself (default: a temporary folder, removed at the end)",
    )
    sub.set_defaults(handler=cmd_demo)
    return parser


def _error(message: str) -> int:
    # The exit code says it when the message cannot be written either.
    with contextlib.suppress(OSError, ValueError):
        write_line(f"{PROG}: error: {terminal_safe(one_line(message))}", sys.stderr)
    return 2


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 ok, 1 a check failed, 2 the file could not be read (or the
        output could not be written).
    """
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], Outcome | int] = args.handler
    try:
        # The policies the environment sets (VERSIONED_ESTIMATOR_ON_DRIFT...),
        # read before any command: a bad one is a usage error, not a
        # traceback from inside a load (round 124).
        get_config()
    except ValueError as exc:
        return _error(str(exc))
    from versioned_estimator._http import one_clock_per_url  # urllib: when run

    try:
        with one_clock_per_url():  # a command reading a URL twice waits once
            result = handler(args)
        if isinstance(result, int):
            return result
        text = _format(args).render(result)
    except EnvelopeError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(_os_message(exc))
    except _UsageError as exc:
        return _error(str(exc))
    except MemoryError:
        # The readers bound what a file may expand to; this is the backstop.
        return _error(
            "The file describes more than fits in memory: it is crafted or corrupt."
        )
    try:
        write_line(text, sys.stdout)
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, keep the verdict.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError) as exc:
        # A full disk, a closed stream: the verdict never reached anyone,
        # which a CI gate must not read as "a check failed" (1). Python
        # would fail again flushing the same stream at exit: silence it.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return _error(f"the output could not be written: {exc}")
    return result.code
