"""The ``versioned-estimator`` command line (also ``python -m versioned_estimator``).

Every reading command builds an :class:`Outcome` (a plain-data form for
``--json``, a text form for people and an exit code) and one of the two output
formats renders it. Exit codes are the same everywhere: 0 ok, 1 a check failed
(environment mismatch, untrusted global, integrity, behaviour drift), 2 the file
could not be read (one line on stderr, no traceback).

``inspect``, ``check``, ``audit``, ``requirements`` and ``diff`` read only the
envelope (or, for ``audit``, dry-run the inner stream): they never unpickle the
model. ``verify`` is the only command that does, and only through the safe
:func:`versioned_estimator.load`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from versioned_estimator._signing import KEY_VARIABLE, resolve_key, verify_signature
from versioned_estimator._version import __version__

__all__ = [
    "JsonFormat",
    "Outcome",
    "TextFormat",
    "build_parser",
    "main",
    "terminal_safe",
]

PROG = "versioned-estimator"
# Widest value shown in a text cell before it is cut with "...".
_CELL = 72

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


def terminal_safe(text: str) -> str:
    r"""``text`` with every control or format character escaped (newlines
    kept): nothing read from a file reaches a terminal as an escape sequence.

    Examples
    --------
    >>> print(terminal_safe("signed\x1b[2K yes"))
    signed\x1b[2K yes
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == "\n" or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


class TextFormat:
    """Aligned, readable text."""

    def render(self, outcome: Outcome) -> str:
        """Return the text form of ``outcome``, control characters escaped."""
        return terminal_safe(outcome.text)


class JsonFormat:
    """JSON for machines: sorted keys, two-space indent."""

    def render(self, outcome: Outcome) -> str:
        """Return the JSON form of ``outcome``."""
        return json.dumps(outcome.data, sort_keys=True, indent=2)


def _format(args: argparse.Namespace) -> TextFormat | JsonFormat:
    return JsonFormat() if getattr(args, "json", False) else TextFormat()


# ----------------------------------------------------------------------------
# Text helpers
# ----------------------------------------------------------------------------


def human_size(nbytes: int | None) -> str:
    """A byte count as people read it.

    Examples
    --------
    >>> human_size(974), human_size(12_900_000), human_size(None)
    ('974 B', '12.3 MiB', 'unknown')
    """
    if nbytes is None:
        return "unknown"
    size = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _show(value: Any, width: int = _CELL) -> str:
    """One value on one line, as Python writes it (strings bare), cut to ``width``.

    Examples
    --------
    >>> _show(None), _show("lbfgs"), _show({"C": [0.1, 1]}), _show("x" * 9, 6)
    ('None', 'lbfgs', "{'C': [0.1, 1]}", 'xxx...')
    """
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _table(rows: Sequence[Sequence[str]], indent: int = 2) -> list[str]:
    """Left-aligned columns, the last one unpadded."""
    if not rows:
        return []
    n_columns = max(len(row) for row in rows)
    widths = [
        max((len(row[i]) for row in rows if i < len(row)), default=0)
        for i in range(n_columns)
    ]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append((" " * indent + "  ".join(cells)).rstrip())
    return lines


def _section(
    title: str, rows: Sequence[Sequence[str]], empty: str = "none"
) -> list[str]:
    return [title, *(_table(rows) if rows else [f"  ({empty})"])]


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def _wrap(message: object, indent: str = "  ") -> str:
    return textwrap.fill(
        _one_line(message), width=88, initial_indent=indent, subsequent_indent=indent
    )


# ----------------------------------------------------------------------------
# inspect
# ----------------------------------------------------------------------------


def _evaluation_summary(evaluation: Mapping[str, Any] | None) -> list[list[str]]:
    if not evaluation:
        return []
    rows = []
    for key in ("best_score", "best_params", "scoring", "n_splits", "n_candidates"):
        if key in evaluation:
            value = evaluation[key]
            shown = (
                "(estimator's default)" if key == "scoring" and value is None else value
            )
            rows.append([key, _show(shown)])
    return rows


def _probe_summary(probe: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not probe:
        return None
    return {
        "n_rows": probe.get("n_rows"),
        "methods": list((probe.get("outputs") or {}).keys()),
    }


def inspect_data(path: str, envelope: Envelope) -> dict[str, Any]:
    """The ``inspect --json`` document of an envelope."""
    payload = envelope.payload
    signature = envelope.signature
    git = envelope.git or {}
    return {
        "file": path,
        "format_version": envelope.format_version,
        "writer": envelope.writer,
        "estimator_class": envelope.estimator_class,
        "params": envelope.params,
        "methods": envelope.methods,
        "created_at": envelope.created_at,
        "git": {"commit": git.get("commit"), "dirty": git.get("dirty")},
        "python": envelope.python,
        "platform": envelope.platform,
        "packages": envelope.packages,
        "schema": envelope.schema,
        "evaluation": envelope.evaluation,
        "metadata": envelope.metadata,
        "globals": envelope.globals,
        "payload": {
            "protocol": payload.get("protocol"),
            "algorithm": payload.get("algorithm"),
            "digest": payload.get("digest"),
            "nbytes": payload.get("nbytes"),
            "size": human_size(payload.get("nbytes")),
            "n_buffers": len(payload.get("buffers") or []),
        },
        "signed": isinstance(signature, Mapping),
        "signature": signature.get("algorithm")
        if isinstance(signature, Mapping)
        else None,
        "probe": _probe_summary(envelope.probe),
    }


def _features_rows(schema: Mapping[str, Any]) -> list[list[str]]:
    rows = [
        ["n_samples", _show(schema.get("n_samples"))],
        ["n_features_in", _show(schema.get("n_features_in"))],
    ]
    names = list(schema.get("feature_names_in") or [])
    dtypes = list(schema.get("dtypes") or [])
    if names:
        shown = 20
        typed = len(dtypes) == len(names)
        width = max(len(str(name)) for name in names[:shown])
        for i, name in enumerate(names[:shown]):
            cell = f"{name!s:<{width}}  {dtypes[i]}" if typed else str(name)
            rows.append(["features" if i == 0 else "", cell.rstrip()])
        if len(names) > shown:
            rows.append(["", f"... and {len(names) - shown} more"])
    else:
        rows.append(["features", "unnamed (fit on an array)"])
        if dtypes:
            rows.append(["dtypes", ", ".join(sorted(set(map(str, dtypes))))])
    return rows


def inspect_text(data: Mapping[str, Any]) -> str:
    """The ``inspect`` text of an :func:`inspect_data` document."""
    git = data["git"]
    if git["commit"]:
        commit = git["commit"][:12] + (
            " (dirty work tree)" if git["dirty"] else " (clean)"
        )
    else:
        commit = "not recorded (not fitted inside a git work tree)"
    platform = data["platform"] or {}
    payload = data["payload"]
    probe = data["probe"]
    digest = payload["digest"] or "-"
    signed = f"yes ({data['signature']})" if data["signed"] else "no"
    summary = [
        ["created", _show(data["created_at"])],
        ["git commit", commit],
        ["python", _show(data["python"])],
        [
            "platform",
            " ".join(
                str(platform[k])
                for k in ("system", "machine", "implementation")
                if platform.get(k)
            )
            or "-",
        ],
        [
            "format",
            f"{data['format_version']} (written by versioned-estimator "
            f"{data['writer'] or '?'})",
        ],
        [
            "payload",
            f"{payload['size']} (protocol {payload['protocol']}, "
            f"{payload['n_buffers']} out-of-band buffers)",
        ],
        ["digest", f"{payload['algorithm'] or 'sha256'}:{digest}"],
        ["signed", signed],
        [
            "probe",
            f"{probe['n_rows']} rows; {', '.join(probe['methods'])}"
            if probe
            else "none (probe_size=0)",
        ],
        ["methods", ", ".join(data["methods"]) or "-"],
    ]
    lines = [f"{data['file']}: {data['estimator_class']}", *_table(summary), ""]
    lines += _section(
        "parameters", [[str(k), _show(v)] for k, v in sorted(data["params"].items())]
    )
    lines += [""]
    lines += _section(
        "packages", [[k, str(v)] for k, v in sorted(data["packages"].items())]
    )
    lines += [""]
    lines += _section("schema", _features_rows(data["schema"] or {}))
    if data["evaluation"]:
        lines += [""]
        lines += _section("evaluation", _evaluation_summary(data["evaluation"]))
    lines += [""]
    lines += _section(
        "metadata", [[str(k), _show(v)] for k, v in sorted(data["metadata"].items())]
    )
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> Outcome:
    """``inspect FILE``: everything the envelope says; never unpickles."""
    data = inspect_data(args.file, read_envelope(args.file))
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
    lines = [f"{args.file}: {envelope.estimator_class}", str(report)]
    if not report.ok:
        if fix:
            lines.append(f"to recreate the saved versions: {fix}")
        lines.append(f"(or every pin: {PROG} requirements {args.file})")
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
    lines = [f"{args.file}:", str(report)]
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
    """``requirements FILE``: pip pins recreating the saved environment."""
    envelope = read_envelope(args.file)
    pins = [f"{name}=={version}" for name, version in sorted(envelope.packages.items())]
    python = envelope.python
    lines = [
        f"# python {python or 'unknown'}",
        f"# {envelope.estimator_class} saved in {args.file}",
        *pins,
    ]
    return Outcome({"python": python, "requirements": pins}, "\n".join(lines))


# ----------------------------------------------------------------------------
# diff
# ----------------------------------------------------------------------------

_ABSENT = object()


def _difference(name: str, a: Any, b: Any) -> dict[str, Any] | None:
    if a == b:
        return None
    change = "added" if a is _ABSENT else "removed" if b is _ABSENT else "changed"
    return {
        "field": name,
        "change": change,
        "a": None if a is _ABSENT else a,
        "b": None if b is _ABSENT else b,
    }


def diff_envelopes(a: Envelope, b: Envelope) -> list[dict[str, Any]]:
    """Field-by-field differences between two envelopes, in a fixed order.

    Mappings (params, packages, platform, schema, evaluation, metadata) are
    compared per key; each difference has ``field``, ``change`` (``added``,
    ``removed`` or ``changed``), and the values ``a`` and ``b``.
    """
    found: list[dict[str, Any] | None] = []

    def scalar(name: str, x: Any, y: Any) -> None:
        found.append(_difference(name, x, y))

    def mapping(
        prefix: str, x: Mapping[str, Any] | None, y: Mapping[str, Any] | None
    ) -> None:
        x, y = x or {}, y or {}
        for key in sorted(set(x) | set(y), key=str):
            found.append(
                _difference(f"{prefix}.{key}", x.get(key, _ABSENT), y.get(key, _ABSENT))
            )

    scalar("estimator_class", a.estimator_class, b.estimator_class)
    scalar("created_at", a.created_at, b.created_at)
    mapping("params", a.params, b.params)
    mapping("packages", a.packages, b.packages)
    scalar("python", a.python, b.python)
    mapping("platform", a.platform, b.platform)
    git_a, git_b = a.git or {}, b.git or {}
    scalar("git.commit", git_a.get("commit"), git_b.get("commit"))
    scalar("git.dirty", git_a.get("dirty"), git_b.get("dirty"))
    mapping("schema", a.schema, b.schema)
    mapping("evaluation", a.evaluation, b.evaluation)
    mapping("metadata", a.metadata, b.metadata)
    scalar("payload.digest", a.payload.get("digest"), b.payload.get("digest"))
    scalar("payload.nbytes", a.payload.get("nbytes"), b.payload.get("nbytes"))
    scalar("signed", a.signature is not None, b.signature is not None)
    return [entry for entry in found if entry is not None]


def cmd_diff(args: argparse.Namespace) -> Outcome:
    """``diff A B``: a report of what differs; exit 0 either way."""
    first, second = read_envelope(args.a), read_envelope(args.b)
    differences = diff_envelopes(first, second)
    data = {
        "a": args.a,
        "b": args.b,
        "same": not differences,
        "differences": differences,
    }
    width = 34

    def cell(entry: Mapping[str, Any], side: str) -> str:
        absent = entry["change"] == ("added" if side == "a" else "removed")
        return "(absent)" if absent else _show(entry[side], width)

    lines = [f"A: {args.a}", f"B: {args.b}"]
    if differences:
        rows = [["field", "A", "B"]]
        rows += [[e["field"], cell(e, "a"), cell(e, "b")] for e in differences]
        lines += _table(rows)
        lines.append(f"{len(differences)} difference(s)")
    else:
        lines.append("no differences")
    return Outcome(data, "\n".join(lines))


# ----------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------

# The order in which load runs them.
_STAGES = ("signature", "digest", "environment", "unpickle", "probe")


class _UsageError(Exception):
    """A bad command line that argparse cannot see (exit 2)."""


def _aliases(values: Sequence[str]) -> dict[str, str]:
    return dict(value.split("=", 1) for value in values)


def _alias_argument(value: str) -> str:
    old, sep, new = value.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise argparse.ArgumentTypeError(f"expected OLD=NEW, got {value!r}")
    return f"{old.strip()}={new.strip()}"


def _key(args: argparse.Namespace) -> str | None:
    if args.key_env is None:
        return None
    key = os.environ.get(args.key_env)
    if not key:
        raise _UsageError(
            f"--key-env {args.key_env}: that environment variable is not set"
        )
    return key


def _failed_stage(
    exc: VersionedEstimatorError, envelope: Envelope, key: bytes | None
) -> str:
    if isinstance(exc, IntegrityError):
        if key is None:
            return "digest"
        try:
            verify_signature(envelope.to_dict(), key)
        except IntegrityError:
            return "signature"
        return "digest"
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


def cmd_verify(args: argparse.Namespace) -> Outcome:
    """``verify FILE``: load safely (every check, in order), then replay the probe."""
    from versioned_estimator._io import load

    given = _key(args)
    envelope = read_envelope(args.file)
    key = resolve_key(given)
    trusted = list(args.trust or [])
    aliases = _aliases(args.module_alias or [])
    failed: str | None = None
    error: dict[str, Any] | None = None
    probe: dict[str, Any] | None = None
    with warnings.catch_warnings(record=True) as caught:
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
            failed = _failed_stage(exc, envelope, key)
            error = {
                "type": type(exc).__name__,
                "stage": failed,
                "message": _one_line(exc),
            }
            if isinstance(exc, UntrustedGlobalError):
                error["names"] = list(exc.names)
            if isinstance(exc, InnerLoadError):
                error["module"] = exc.module
            if isinstance(exc, BehaviorDriftError) and exc.report is not None:
                probe = exc.report.to_dict()
        else:
            probe = model.verify().to_dict()
            if not probe["ok"]:
                failed = "probe"
    mismatch = [w for w in caught if issubclass(w.category, EnvironmentMismatchWarning)]
    others = [
        w for w in caught if not issubclass(w.category, EnvironmentMismatchWarning)
    ]

    stages: dict[str, dict[str, Any]] = {}
    reached = True
    for name in _STAGES:
        status = "failed" if name == failed else "ok" if reached else "not reached"
        stages[name] = {"status": status, "detail": ""}
        reached = reached and name != failed
    signed = isinstance(envelope.signature, Mapping)
    if key is None:
        stages["signature"] = (
            {
                "status": "unchecked",
                "detail": f"signed; no key (--key-env VAR or {KEY_VARIABLE})",
            }
            if signed
            else {"status": "absent", "detail": "the file is not signed"}
        )
    elif stages["signature"]["status"] == "ok":
        stages["signature"]["detail"] = "HMAC-SHA256 matches the key"
    payload = envelope.payload
    if stages["digest"]["status"] == "ok":
        stages["digest"]["detail"] = (
            f"{payload.get('algorithm') or 'sha256'}:"
            f"{str(payload.get('digest'))[:16]}..."
            f" over all {human_size(payload.get('nbytes'))}"
        )
    if stages["environment"]["status"] == "ok":
        stages["environment"]["detail"] = "no version change of minor or more"
        if mismatch:
            stages["environment"] = {
                "status": "warned",
                "detail": "saved in another environment (not a failure; see warning)",
            }
    if stages["unpickle"]["status"] == "ok":
        stages["unpickle"]["detail"] = (
            f"{len((probe or {}).get('globals') or [])} globals, all allowed"
            + (f" ({len(trusted)} trusted by you)" if trusted else "")
            + (f", module aliases {_show(aliases)}" if aliases else "")
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
        "warnings": [
            {"category": w.category.__name__, "message": _one_line(w.message)}
            for w in [*mismatch, *others]
        ],
    }
    rows = [
        [
            name,
            stage["status"].upper() if stage["status"] == "failed" else stage["status"],
            stage["detail"],
        ]
        for name, stage in stages.items()
    ]
    lines = [f"{args.file}: {envelope.estimator_class}", *_table(rows)]
    differing = [c for c in (probe or {}).get("checks", []) if c["status"] != "same"]
    if differing:
        lines.append("probe replay differences:")
        lines += _table([[c["method"], c["status"], c["detail"]] for c in differing], 4)
    if error is not None:
        lines += [f"{error['type']}:", _wrap(error["message"], "    ")]
    for w in [*mismatch, *others]:
        lines += [f"{w.category.__name__}:", _wrap(w.message, "    ")]
    lines.append("verify: ok" if ok else f"verify: FAILED at {failed}")
    return Outcome(data, "\n".join(lines), 0 if ok else 1)


# ----------------------------------------------------------------------------
# The parser and main
# ----------------------------------------------------------------------------


def _add_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a model file (joblib or pickle)")


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (sorted keys) for machines"
    )


def _add_trust(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust",
        metavar="NAME",
        action="append",
        default=[],
        help="a 'module.qualname' global to trust, e.g. your own class (repeatable)",
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
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Read, check and verify models saved with versioned-estimator. "
            "Exit codes: 0 ok, 1 a check failed, 2 the file could not be read."
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
    _add_trust(sub)
    sub.set_defaults(handler=cmd_audit)

    sub = commands.add_parser(
        "requirements", help="pip pins of the saved environment (pip install -r)"
    )
    _add_file(sub)
    _add_json(sub)
    sub.set_defaults(handler=cmd_requirements)

    sub = commands.add_parser(
        "diff", help="field-by-field differences of two envelopes"
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
    _add_trust(sub)
    sub.add_argument(
        "--module-alias",
        metavar="OLD=NEW",
        action="append",
        default=[],
        type=_alias_argument,
        help="load module OLD from NEW, for code that moved (repeatable)",
    )
    sub.set_defaults(handler=cmd_verify)

    sub = commands.add_parser(
        "demo", help="save a model, then show a version mismatch and a renamed module"
    )
    sub.add_argument(
        "--dir",
        metavar="DIR",
        help="where to write the demo's files (default: a new temp folder)",
    )
    sub.set_defaults(handler=_run_demo)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from versioned_estimator._demo import cmd_demo

    return cmd_demo(args)


def _error(message: str) -> int:
    print(f"{PROG}: error: {terminal_safe(_one_line(message))}", file=sys.stderr)
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
        0 ok, 1 a check failed, 2 the file could not be read.
    """
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], Outcome | int] = args.handler
    try:
        result = handler(args)
    except EnvelopeError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(_os_message(exc))
    except _UsageError as exc:
        return _error(str(exc))
    if isinstance(result, int):
        return result
    try:
        print(_format(args).render(result), flush=True)
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, keep the verdict.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return result.code
