"""What the command line and the demo print about envelopes.

A plain-data document (for ``--json``) and its text (for people) of one
envelope (:func:`inspect_data`, :func:`inspect_text`) and of the differences
between two (:func:`diff_envelopes`, :func:`diff_text`), and the small text
helpers both need. Values are shown whole, never cut: a class path or a
nested parameter cut in the middle hides the change that matters. Parameters
are shown as the envelope keeps them, flattened as ``get_params(deep=True)``
flattens them (``logisticregression__C``), estimators as their class path.

Everything from a file goes through :func:`plain` (one line, whitespace
collapsed) before it reaches a table, so a key or value holding a newline
cannot forge a line of the output; the command line then escapes control
characters (:func:`terminal_safe`).

This module reads no file and imports neither scikit-learn nor the command
line (``_cli``) or the demo (``_demo``): both import it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from versioned_estimator._envelope import Envelope
from versioned_estimator._text import escaped, printable, python_form

__all__ = [
    "MAX_COLUMN",
    "MAX_DIFFERENCES",
    "MAX_REPEATS",
    "PROG",
    "best_score_metric",
    "cell",
    "diff_envelopes",
    "diff_text",
    "human_size",
    "inspect_data",
    "inspect_text",
    "one_line",
    "plain",
    "printed_repeats",
    "section",
    "table",
    "shown_path",
    "terminal_safe",
    "wrap",
    "write_line",
]

PROG = "versioned-estimator"

# A diff whose table would be wider than this is shown one block per field.
_DIFF_WIDTH = 100
# Features listed by inspect before "... and N more".
_FEATURES_SHOWN = 20

# ----------------------------------------------------------------------------
# Text helpers
# ----------------------------------------------------------------------------


def terminal_safe(text: str) -> str:
    r"""``text`` with every control or format character escaped (newlines
    kept): nothing read from a file reaches a terminal as an escape sequence.

    Examples
    --------
    >>> print(terminal_safe("signed\x1b[2K yes"))
    signed\x1b[2K yes
    """
    return escaped(text, _terminal_form, keep="\n")


def _terminal_form(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown_path(path: object) -> str:
    r"""A path as one line of output: a file name may hold a newline (a
    name such as ``"m\nverify: ok"`` would print a line of its own), and
    every control character is escaped.

    Examples
    --------
    >>> print(shown_path("models/m\nverify: ok.joblib"))
    models/m\nverify: ok.joblib
    """
    text = str(path).replace("\n", "\\n")
    return terminal_safe(text)


def write_line(text: str, stream: Any) -> None:
    r"""Print ``text`` to ``stream``, whatever encoding the stream has: text
    it cannot encode (a name in another script, on a console of one code
    page) is written as backslash escapes, never a traceback.

    Examples
    --------
    >>> import io
    >>> out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    >>> write_line("Zoë", out)
    >>> _ = out.seek(0); out.buffer.read()
    b'Zo\\xeb\n'
    """
    if stream is None:  # closed at start (``2>&-``): print would use stdout
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        pass
    print(text, file=stream, flush=True)


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


def plain(value: Any) -> str:
    """One value on one line, whole: strings bare, anything else as Python
    writes it.

    Examples
    --------
    >>> plain(None), plain("sklearn.linear_model._logistic.LogisticRegression")
    ('None', 'sklearn.linear_model._logistic.LogisticRegression')
    >>> plain({"C": [0.1, 1]}), plain("two\\nlines"), plain("\\x1b[2Jx")
    ("{'C': [0.1, 1]}", 'two lines', '\\\\x1b[2Jx')
    """
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    return escaped(text, python_form)  # terminal escapes and other controls, shown


def label(value: Any) -> str:
    """A key read from a file (a parameter, package, metadata or feature
    name): bare when it is one printable word, else quoted with its escapes
    shown, so no key can pass for a line or a column of the report.

    Examples
    --------
    >>> label("sepal length (cm)"), label(" x"), label("\\r  signed  yes")
    ('sepal length (cm)', "' x'", "'\\\\r  signed  yes'")
    """
    if (
        isinstance(value, str)
        and printable(value)
        and value == value.strip()
        and "  " not in value
    ):
        return value
    if not isinstance(value, str):
        return plain(value)
    # repr escapes what Python calls unprintable; characters that show as
    # blank space are escaped too (round 124)
    if len(value) <= MAX_LABEL:
        return escaped(repr(value), python_form)
    # repr escapes without bound: a key of 15 million NULs printed 60 MB
    # (round 113)
    head = escaped(repr(value[:MAX_LABEL]), python_form)
    return f"{head}... ({len(value):,} characters, cut)"


#: The most characters of a key shown (quoted keys only: a plain word is
#: shown whole, as a value is).
MAX_LABEL = 1 << 16


def cell(value: Any) -> str:
    """A value for a table cell: lists of lists (a Pipeline's ``steps``, a
    ColumnTransformer's ``transformers``) one item a line, lists of records
    counted, anything else :func:`plain`.

    Examples
    --------
    >>> print(cell([["scaler", "sklearn.preprocessing._data.StandardScaler"],
    ...             ["clf", "sklearn.linear_model._logistic.LogisticRegression"]]))
    scaler  sklearn.preprocessing._data.StandardScaler
    clf     sklearn.linear_model._logistic.LogisticRegression
    >>> cell([{"mean_test_score": 0.9}, {"mean_test_score": 0.8}])
    '2 records (--json has them)'
    """
    if isinstance(value, list) and value:
        if all(isinstance(item, list) and item for item in value):
            return "\n".join(table([[plain(x) for x in item] for item in value], 0))
        if all(isinstance(item, dict) for item in value):
            return f"{len(value)} records (--json has them)"
    return plain(value)


#: The widest a column is padded to. A row with a wider cell (not its last)
#: is shown a cell a line, and a table whose padding would outweigh its text
#: is not aligned: one key of 20,000 characters once padded every row of its
#: table to it (2.8 GB of text from a 194 KB file).
MAX_COLUMN = 60


#: The most padding all the tables of one ``inspect`` or ``diff`` text add
#: together: a table in a cell is a cell's lines, each padded again by the
#: table around it (3,000 small tables printed 207 MB of spaces from a 7 MB
#: file, round 97). Past it, tables are not aligned.
MAX_PADDING = 1 << 20
_padding_left: ContextVar[list[int] | None] = ContextVar("padding_left", default=None)


@contextlib.contextmanager
def _padding_budget() -> Iterator[None]:
    """:data:`MAX_PADDING` shared by every table rendered inside."""
    if _padding_left.get() is not None:
        yield  # within a rendering already: its budget
        return
    token = _padding_left.set([MAX_PADDING])
    try:
        yield
    finally:
        _padding_left.reset(token)


def _fits(row: Sequence[Sequence[str]]) -> bool:
    """Whether every line of every cell but the last is at most
    :data:`MAX_COLUMN` wide."""
    return all(len(line) <= MAX_COLUMN for c in row[:-1] for line in c)


def table(rows: Sequence[Sequence[str]], indent: int = 2) -> list[str]:
    """Left-aligned columns, the last one unpadded; a cell may hold several
    lines. A row whose cell before the last is wider than
    :data:`MAX_COLUMN` is shown a cell a line, the later ones indented;
    columns are not aligned when that would more than double the text.

    Examples
    --------
    >>> print("\\n".join(table([["a", "1"], ["long", "x\\ny"]], 0)))
    a     1
    long  x
          y
    >>> print("\\n".join(table([["a", "1"], ["k" * 65, "2"]], 0)))
    a  1
    kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk
        2
    """
    split = [[str(c).split("\n") for c in row] for row in rows]
    aligned = [_fits(row) for row in split]
    widths: list[int] = []
    for row, fits in zip(split, aligned, strict=True):
        if not fits:
            continue
        widths += [0] * (len(row) - len(widths))
        for i, c in enumerate(row[:-1]):
            widths[i] = max(widths[i], *(len(line) for line in c))
    given = sum(len(line) for row in split for c in row for line in c)
    padding = sum(
        sum(widths[: len(row) - 1]) * max(len(c) for c in row)
        for row, fits in zip(split, aligned, strict=True)
        if fits and row
    )
    left = _padding_left.get()
    if padding > 2 * given + 65536 or (left is not None and padding > left[0]):
        widths = [0] * len(widths)
    elif left is not None:
        left[0] -= padding
    pad = " " * indent
    lines = []
    for row, fits in zip(split, aligned, strict=True):
        if not fits:
            lines += [pad + line for line in row[0]]
            lines += [(pad + "    " + line).rstrip() for c in row[1:] for line in c]
            continue
        for k in range(max((len(c) for c in row), default=1)):
            cells = [c[k] if k < len(c) else "" for c in row]
            padded = [text.ljust(widths[i]) for i, text in enumerate(cells[:-1])]
            lines.append((pad + "  ".join([*padded, *cells[-1:]])).rstrip())
    return lines


def section(
    title: str, rows: Sequence[Sequence[str]], empty: str = "none"
) -> list[str]:
    """A titled table, or ``(empty)`` under the title."""
    return [title, *(table(rows) if rows else [f"  ({empty})"])]


def one_line(message: object) -> str:
    """``message`` with its whitespace runs collapsed to single spaces."""
    return " ".join(str(message).split())


def wrap(message: object, indent: str = "  ") -> str:
    """``message`` on one line, then filled to 88 columns under ``indent``."""
    return textwrap.fill(
        one_line(message), width=88, initial_indent=indent, subsequent_indent=indent
    )


# ----------------------------------------------------------------------------
# inspect
# ----------------------------------------------------------------------------


def best_score_metric(evaluation: Mapping[str, Any] | None) -> str | None:
    """The metric a search's ``best_score`` is measured with.

    A multi-metric search ranks by its ``refit`` metric; a single ``scoring``
    is that metric; no scoring is the estimator's own ``score`` method
    (``"score"``). None when there is no best score to name.

    Examples
    --------
    >>> best_score_metric({"scoring": ["accuracy", "f1_macro"], "refit": "f1_macro"})
    'f1_macro'
    >>> best_score_metric({"scoring": "roc_auc", "refit": True})
    'roc_auc'
    >>> best_score_metric({"scoring": None, "refit": True})
    'score'
    """
    if not evaluation:
        return None
    scoring, refit = evaluation.get("scoring"), evaluation.get("refit")
    if isinstance(scoring, (list, dict)):
        if isinstance(refit, str) and refit in scoring:
            return refit
        return None
    if scoring is None:
        return "score"
    return plain(scoring)


def _metric_note(evaluation: Mapping[str, Any]) -> str:
    metric = best_score_metric(evaluation)
    scoring = evaluation.get("scoring")
    if metric is None:
        return ""
    if isinstance(scoring, (list, dict)):
        return f" ({metric}, the refit metric)"
    if metric == "score" and scoring is None:
        return " (the estimator's score method)"
    return f" ({metric})"


def _evaluation_rows(evaluation: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    if "best_score" in evaluation:
        rows.append(
            ["best_score", plain(evaluation["best_score"]) + _metric_note(evaluation)]
        )
    if "best_params" in evaluation:
        rows.append(["best_params", plain(evaluation["best_params"])])
    if "scoring" in evaluation:
        scoring = evaluation["scoring"]
        if scoring is None:
            shown = "(the estimator's score method)"
        elif isinstance(scoring, (list, dict)):
            shown = ", ".join(map(label, scoring))
        else:
            shown = plain(scoring)
        rows.append(["scoring", shown])
        refit = evaluation.get("refit")
        if isinstance(scoring, (list, dict)) or not isinstance(refit, bool):
            rows.append(["refit", plain(refit)])
    for key in ("n_splits", "n_candidates"):
        if key in evaluation:
            rows.append([key, plain(evaluation[key])])
    return [[name, plain(value)] for name, value in rows]


def _probe_summary(probe: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not probe:
        return None
    outputs = probe.get("outputs")
    return {
        "n_rows": probe.get("n_rows"),
        # format 2 keeps the outputs after the payload: unknown from the head
        "methods": list(outputs) if isinstance(outputs, Mapping) else None,
    }


#: How many times its distinct values a head may print by referring to them
#: again (past :data:`_REPEAT_SLACK` characters).
MAX_REPEATS = 4
_REPEAT_SLACK = 1 << 20
# Keys this short count as printed anew at every dict that names them.
_SHORT_KEY = 16


def printed_repeats(envelope: Envelope) -> str | None:
    """Why printing ``envelope`` would repeat what its file holds out of
    proportion, or None: a value the pickle memo refers to again costs the
    file a byte or two a reference and prints whole each time (a string of
    16 escaped characters a million times printed 164 MB from a 1 MB file,
    round 94). Printed sizes are estimated by ``ascii`` (escapes counted),
    each distinct value once and as often as it is referred to."""
    sizes: dict[int, int] = {}  # printed size of each object, references expanded
    distinct = 0

    def key_size(key: Any) -> int:
        # Printed at every dict that names it; distinct there only when
        # short (a record's field name): a long key shared by many dicts is
        # one value (one of 1,000 characters under 100,000 dicts printed
        # 101 MB from 605 KB, round 95).
        nonlocal distinct
        found = sizes.get(id(key))
        if found is None:
            found = sizes[id(key)] = len(ascii(key)) + 4
            distinct += found
        elif len(key) <= _SHORT_KEY:
            distinct += len(key) + 4
        return found

    def size(value: Any) -> int:
        nonlocal distinct
        known = sizes.get(id(value))
        if known is not None:
            return known
        if isinstance(value, dict):
            own = 2
            found = own + sum(key_size(k) for k in value)
            found += sum(size(v) for v in value.values())
        elif isinstance(value, list):
            own = 2 + 2 * len(value)
            found = own + sum(size(v) for v in value)
        else:
            own = found = len(ascii(value))
        distinct += own
        sizes[id(value)] = found
        return found

    data = envelope.to_dict()
    total = size(data)
    if total > MAX_REPEATS * distinct + _REPEAT_SLACK:
        return (
            f"prints {total:,} characters from {distinct:,} of distinct values "
            "(a value it refers to many times)"
        )
    return None


def inspect_data(path: str, envelope: Envelope) -> dict[str, Any]:
    """The ``inspect --json`` document of an envelope.

    ``payload.digest`` and ``probe.methods`` are None when the file keeps
    them after the payload (format 2) and only its head was read.
    """
    payload = envelope.payload
    signature = envelope.signature
    git = envelope.git or {}
    if isinstance(signature, Mapping):
        algorithm = signature.get("algorithm")
    else:
        algorithm = payload.get("signed") if envelope.signed else None
    evaluation = envelope.evaluation
    return {
        "file": path,
        "format_version": envelope.format_version,
        "writer": envelope.writer,
        "estimator_class": envelope.estimator_class,
        "params": envelope.params,
        "methods": envelope.methods,
        "created_at": envelope.created_at,
        "git": {
            "commit": git.get("commit"),
            "dirty": git.get("dirty"),
            "source": git.get("source"),
        },
        "python": envelope.python,
        "platform": envelope.platform,
        "packages": envelope.packages,
        "schema": envelope.schema,
        "evaluation": evaluation,
        "best_score_metric": best_score_metric(evaluation),
        "metadata": envelope.metadata,
        "globals": envelope.globals,
        "payload": {
            "protocol": payload.get("protocol"),
            "algorithm": payload.get("algorithm") or "sha256",
            "digest": payload.get("digest"),
            "nbytes": payload.get("nbytes"),
            "size": human_size(payload.get("nbytes")),
            "n_buffers": len(payload.get("buffers") or []),
        },
        "signed": envelope.signed,
        "signature": algorithm,
        "probe": _probe_summary(envelope.probe),
    }


def _features_rows(schema: Mapping[str, Any]) -> list[list[str]]:
    rows = [
        ["n_samples", plain(schema.get("n_samples"))],
        ["n_features_in", plain(schema.get("n_features_in"))],
    ]
    names = list(schema.get("feature_names_in") or [])
    dtypes = list(schema.get("dtypes") or [])
    if names:
        typed = len(dtypes) == len(names)
        shown = [label(name) for name in names[:_FEATURES_SHOWN]]
        # Name and type aligned as a table aligns them (a name of 15 million
        # characters once padded the other 19 to it: 300 MB, round 93).
        listed = table(
            [
                [name, plain(dtypes[i])] if typed else [name]
                for i, name in enumerate(shown)
            ],
            indent=0,
        )
        for i, text in enumerate(listed):
            rows.append(["features" if i == 0 else "", text])
        if len(names) > _FEATURES_SHOWN:
            rows.append(["", f"... and {len(names) - _FEATURES_SHOWN} more (--json)"])
    else:
        rows.append(["features", "unnamed (fit on an array)"])
        if dtypes:
            rows.append(["dtypes", ", ".join(sorted({label(d) for d in dtypes}))])
    return rows


# Whose repository the envelope's git commit is (``git.source``).
_GIT_SOURCES = {
    "script": "the training script's repository",
    "notebook": "the notebook's repository",
    "module": "the repository of the estimator's module",
    "cwd": "the working directory's repository",
}


def _commit(git: Mapping[str, Any]) -> str:
    if not git.get("commit"):
        return "not recorded (not fitted inside a git work tree)"
    state = "dirty work tree" if git.get("dirty") else "clean"
    source = _GIT_SOURCES.get(str(git.get("source")))
    commit = plain(git["commit"])[:12]
    return f"{commit} ({state}" + (f"; {source})" if source else ")")


def inspect_text(data: Mapping[str, Any]) -> str:
    """The ``inspect`` text of an :func:`inspect_data` document."""
    with _padding_budget():
        return _inspect_text(data)


def _inspect_text(data: Mapping[str, Any]) -> str:
    platform = data["platform"] or {}
    payload = data["payload"]
    probe = data["probe"]
    if payload["digest"]:
        digest = f"{payload['algorithm']}:{payload['digest']}"
    else:
        digest = (
            f"{payload['algorithm']}, kept after the payload "
            f"(`{PROG} verify` checks it)"
        )
    if not probe:
        probed = "none (probe_size=0)"
    elif probe["methods"] is None:
        probed = f"{probe['n_rows']} rows (their outputs are kept after the payload)"
    else:
        probed = f"{probe['n_rows']} rows; {', '.join(probe['methods'])}"
    summary = [
        ["created", plain(data["created_at"])],
        ["git commit", _commit(data["git"])],
        ["python", plain(data["python"])],
        [
            "platform",
            " ".join(
                plain(platform[k])
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
        ["digest", digest],
        [
            "signed",
            # inspect reads the head only: the claim is the file's, unchecked.
            f"claimed ({data['signature']}), not checked: verify --key-env VAR"
            if data["signed"]
            else "no",
        ],
        ["probe", probed],
        ["methods", ", ".join(data["methods"]) or "-"],
    ]
    # Every summary value quotes the file somewhere: one line each, escapes shown.
    summary = [[name, plain(value)] for name, value in summary]
    lines = [
        f"{plain(data['file'])}: {plain(data['estimator_class'])}",
        *table(summary),
        "",
    ]
    lines += section(
        "parameters", [[label(k), cell(v)] for k, v in sorted(data["params"].items())]
    )
    lines += [""]
    lines += section(
        "packages", [[label(k), plain(v)] for k, v in sorted(data["packages"].items())]
    )
    lines += [""]
    lines += section("schema", _features_rows(data["schema"] or {}))
    if data["evaluation"]:
        lines += [""]
        lines += section("evaluation", _evaluation_rows(data["evaluation"]))
    lines += [""]
    lines += section(
        "metadata", [[label(k), cell(v)] for k, v in sorted(data["metadata"].items())]
    )
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# diff
# ----------------------------------------------------------------------------


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT: Any = _Absent()
# How deep dicts are compared key by key (params are flat, their values not).
_MAX_DEPTH = 6


def _same(a: Any, b: Any) -> bool:
    # As JSON: 1 and 1.0, 1 and True are different values in a file.
    if a is _ABSENT or b is _ABSENT:
        return a is b
    if type(a) is type(b) and type(a) in (str, int, bool, float, type(None)):
        return repr(a) == repr(b)  # a list's items: one at a time, no JSON
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(
        b, sort_keys=True, default=repr
    )


#: The longest path a difference is shown at: a head's keys may be
#: megabytes long, and a path repeated for every difference under it.
_MAX_PATH = 240


#: The most differences ``diff`` lists; past them it says there are more
#: (3.9 million differing items of one list, a pair of 7.8 MB files, asked
#: 3 GB of ``diff`` for their paths).
MAX_DIFFERENCES = 1000


class _Full(Exception):
    """The differences listed reached :data:`MAX_DIFFERENCES`."""


def _child(field: str, step: str) -> str:
    """The path of a part of ``field``, cut to :data:`_MAX_PATH` characters
    (an 8 MB key over 500 differing values once asked 4 GB of ``diff``); the
    callers cut a key to that length first."""
    path = field + step
    return path if len(path) < _MAX_PATH else path[: _MAX_PATH - 3] + "..."


def _walk(
    found: list[dict[str, Any]],
    field: str,
    a: Any,
    b: Any,
    *,
    depth: int = 0,
    leaf: bool = False,
) -> None:
    """Append the differences of ``a`` and ``b``: dicts key by key, lists of
    the same length item by item (a list inside a list is one value)."""
    if _same(a, b):
        return
    if not leaf and a is not _ABSENT and b is not _ABSENT and depth < _MAX_DEPTH:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                _walk(
                    found,
                    _child(field, f".{str(key)[:_MAX_PATH]}"),
                    a.get(key, _ABSENT),
                    b.get(key, _ABSENT),
                    depth=depth + 1,
                )
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _walk(
                    found,
                    _child(field, f"[{i}]"),
                    x,
                    y,
                    depth=depth + 1,
                    leaf=isinstance(x, list) or isinstance(y, list),
                )
            return
    if len(found) == MAX_DIFFERENCES:
        raise _Full
    change = "added" if a is _ABSENT else "removed" if b is _ABSENT else "changed"
    found.append(
        {
            "field": field,
            "change": change,
            "a": None if a is _ABSENT else a,
            "b": None if b is _ABSENT else b,
        }
    )


def diff_envelopes(a: Envelope, b: Envelope) -> tuple[list[dict[str, Any]], bool]:
    """The envelope fields that differ between ``a`` and ``b``, in a fixed
    order, and whether that is all of them (at most :data:`MAX_DIFFERENCES`
    are listed).

    Each difference has ``field`` (a path: ``params.logisticregression__C``,
    ``schema.feature_names_in[3]``), ``change`` (``added``, ``removed`` or
    ``changed``) and the values ``a`` and ``b`` (None when absent). Mappings
    are compared key by key and lists of the same length item by item, so
    the path names the value that changed. ``requirements`` lists only the
    distributions that ``packages`` does not already show; payload digests
    are compared when both heads hold one (format 1).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from versioned_estimator import VersionedEstimator
    >>> def fitted(C):
    ...     model = make_pipeline(LogisticRegression(C=C))
    ...     return VersionedEstimator(model).fit([[0], [1]], [0, 1]).envelope
    >>> found, complete = diff_envelopes(fitted(1.0), fitted(0.5))
    >>> params = [d for d in found if d["field"].startswith("params")]
    >>> [(d["field"], d["a"], d["b"]) for d in params]
    [('params.logisticregression__C', 1.0, 0.5)]
    """
    found: list[dict[str, Any]] = []
    try:
        _walk_envelopes(found, a, b)
    except _Full:
        return found, False
    return found, True


def _walk_envelopes(found: list[dict[str, Any]], a: Envelope, b: Envelope) -> None:
    for name in ("format_version", "writer", "estimator_class", "created_at"):
        _walk(found, name, getattr(a, name), getattr(b, name), leaf=True)
    _walk(found, "params", a.params, b.params)
    _walk(found, "methods", a.methods, b.methods, leaf=True)
    _walk(found, "tags", a.tags, b.tags)
    _walk(found, "packages", a.packages, b.packages)
    shown = set(a.packages) | set(b.packages)
    _walk(
        found,
        "requirements",
        {k: v for k, v in a.requirements.items() if k not in shown},
        {k: v for k, v in b.requirements.items() if k not in shown},
    )
    _walk(found, "modules", a.modules, b.modules)
    _walk(found, "globals", _named(a.globals), _named(b.globals))
    _walk(found, "python", a.python, b.python)
    _walk(found, "platform", a.platform, b.platform)
    _walk(found, "git", a.git or {}, b.git or {})
    _walk(found, "schema", a.schema, b.schema)
    eval_a, eval_b = a.evaluation or {}, b.evaluation or {}
    _walk(
        found,
        "evaluation",
        {k: v for k, v in eval_a.items() if k != "candidates"},
        {k: v for k, v in eval_b.items() if k != "candidates"},
    )
    _walk(
        found,
        "evaluation.candidates",
        eval_a.get("candidates", _ABSENT),
        eval_b.get("candidates", _ABSENT),
        leaf=True,
    )
    _walk(found, "metadata", a.metadata, b.metadata)
    _walk(found, "probe_size", a.probe_size, b.probe_size)
    _walk(found, "probe", _probe_digests(a.probe), _probe_digests(b.probe))
    _walk(found, "payload", _payload_shape(a.payload), _payload_shape(b.payload))
    digest_a, digest_b = a.payload.get("digest"), b.payload.get("digest")
    if digest_a and digest_b:
        _walk(found, "payload.digest", digest_a, digest_b)
    _walk(found, "signed", a.signed, b.signed)
    _walk(found, "signature", a.signature, b.signature)


def _named(names: Any) -> dict[str, bool]:
    """A list of names as a mapping, so a difference names the name added
    or removed (``globals.numpy.dtype``), wherever it sits in the list."""
    return {str(name): True for name in names} if isinstance(names, list) else {}


def _digest(value: Any) -> str:
    """A short digest of a JSON value: probe rows and outputs may be large."""
    text = json.dumps(value, sort_keys=True, default=repr)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _probe_digests(probe: Mapping[str, Any] | None) -> dict[str, Any]:
    """The probe as ``diff`` compares it: its row count, and a digest of its
    rows and of each method's outputs."""
    if not probe:
        return {}
    outputs = probe.get("outputs")
    return {
        "n_rows": probe.get("n_rows"),
        "X": _digest(probe.get("X")),
        "outputs": (
            {str(k): _digest(v) for k, v in outputs.items()}
            if isinstance(outputs, dict)
            else _digest(outputs)
        ),
    }


def _payload_shape(payload: Mapping[str, Any]) -> dict[str, Any]:
    """How the model's pickle was written: pickler, protocol, checksum, and
    its parts' count and sizes (the digest is compared on its own)."""
    buffers = payload.get("buffers")
    buffers = buffers if isinstance(buffers, list) else []
    return {
        **{
            key: payload.get(key)
            for key in ("pickler", "protocol", "checksum", "template", "block_size")
        },
        "nbytes": payload.get("nbytes"),
        "buffers": len(buffers),
        "buffers.nbytes": sum(
            int(b.get("nbytes", 0))
            for b in buffers
            if isinstance(b, dict) and isinstance(b.get("nbytes"), int)
        ),
    }


def diff_text(
    path_a: str,
    path_b: str,
    differences: Sequence[Mapping[str, Any]],
    complete: bool = True,
) -> str:
    """The ``diff`` text: a table of field, A and B, or one block per field
    when the values are too wide for a table; values whole. ``complete``
    False: the files differ in more than the ``differences`` listed."""
    with _padding_budget():
        return _diff_text(path_a, path_b, differences, complete)


def _diff_text(
    path_a: str,
    path_b: str,
    differences: Sequence[Mapping[str, Any]],
    complete: bool,
) -> str:
    def shown(entry: Mapping[str, Any], side: str) -> str:
        absent = entry["change"] == ("added" if side == "a" else "removed")
        return "(absent)" if absent else cell(entry[side])

    lines = [f"A: {shown_path(path_a)}", f"B: {shown_path(path_b)}"]
    if not differences:
        return "\n".join([*lines, "no differences"])
    rows = [["field", "A", "B"]]
    rows += [[label(e["field"]), shown(e, "a"), shown(e, "b")] for e in differences]
    grid = table(rows)
    if max(len(line) for line in grid) <= _DIFF_WIDTH and all(
        _fits([str(c).split("\n") for c in row]) for row in rows
    ):
        lines += grid
    else:
        for e in differences:
            lines += [
                label(e["field"]),
                *table([["A", shown(e, "a")], ["B", shown(e, "b")]]),
            ]
    n = len(differences)
    more = "" if complete else "more than "
    lines.append(f"{more}{n} difference{'s' if n != 1 else ''}")
    return "\n".join(lines)
