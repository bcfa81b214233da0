"""The envelope: plain metadata written around the model's own pickle.

``build_envelope`` assembles the head that ``__reduce_ex__`` writes;
``validate`` checks, field by field, that a dict read from a file is an
envelope this release reads, so that nothing downstream meets a wrong type
(every field a reader or the command line uses is typed here, and package
names and versions are what pip accepts); :class:`Envelope` is the read-only
view users get back from a model, a file or bytes.

Field order is fixed and every value is plain data, so the same fitted model
always pickles to the same bytes (``joblib.hash`` and ``joblib.Memory`` keys
depend on it).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import (
    BLOCK_SIZE,
    FORMAT_NAME,
    FORMAT_VERSION,
    PROBE_METHODS,
    READABLE_FORMATS,
    normalize_name,
)
from versioned_estimator._text import cut
from versioned_estimator._version import __version__

__all__ = [
    "ARCHIVE_SUFFIXES",
    "Envelope",
    "build_envelope",
    "checked_distribution",
    "checked_version",
    "valid_distribution",
    "valid_version",
    "validate",
    "validate_trailer",
]

# Far above any real model, low enough that a crafted list costs nothing.
MAX_PACKAGES = 1000
MAX_GLOBALS = 100_000

# ----------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------


def build_envelope(
    provenance: Mapping[str, Any],
    payload: Any,
    environment: Mapping[str, Any],
    *,
    checksum: str,
    signed: bool,
    template: bool,
) -> dict[str, Any]:
    """Assemble the head of a fitted model's file (format 2).

    ``provenance`` is what fit or wrap captured (class, params, time, git,
    schema, probe rows, evaluation, metadata, methods, tags); ``environment``
    the pickling process's packages, python and platform, since that is the
    process whose libraries wrote the inner stream.
    """
    sizes = [int(b.nbytes) for b in payload.buffers]
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "writer": __version__,
        "created_at": provenance["created_at"],
        "estimator_class": provenance["estimator_class"],
        "params": provenance["params"],
        "methods": list(provenance["methods"]),
        "tags": provenance["tags"],
        "packages": dict(environment["packages"]),
        "modules": dict(environment["modules"]),
        "requirements": dict(environment["requirements"]),
        "python": environment["python"],
        "platform": dict(environment["platform"]),
        "git": dict(provenance["git"]),
        "globals": list(payload.globals),
        "payload": {
            "protocol": 5,
            "pickler": payload.pickler,
            "template": template,
            "checksum": checksum,
            "signed": "hmac-sha256" if signed else None,
            "block_size": BLOCK_SIZE,
            "nbytes": len(payload.stream) + sum(sizes),
            "stream": {"nbytes": len(payload.stream)},
            "buffers": [{"nbytes": n} for n in sizes],
        },
        "schema": dict(provenance["schema"]),
        "probe_size": provenance["probe_size"],
        "probe": provenance["probe"],
        "evaluation": provenance["evaluation"],
        "metadata": provenance["metadata"],
    }


# ----------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------

# PEP 508 names: letters, digits and ``._-``, starting and ending with a
# letter or digit.
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
# The characters any PEP 440 spelling uses; checked on the raw text before it
# is parsed, because the parser forgives surrounding whitespace.
_VERSION_TEXT = re.compile(r"[A-Za-z0-9.!+_-]{1,64}")
# The last segment of a local label that would make pip read a requirement as
# an archive file (``scikit-learn==1.0+cpu.zip`` installs ``./...cpu.zip``).
ARCHIVE_SUFFIXES = frozenset(
    {
        "zip", "whl", "tar", "gz", "tgz", "bz2", "tbz", "tbz2", "xz", "txz",
        "lz", "tlz", "lzma", "zst", "egg", "7z", "rar", "exe", "msi", "pyz",
    }
)  # fmt: skip
_LOCAL = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")
# A plain release ("1.9.1"): a PEP 440 version spelled as PEP 440 renders it
# (no leading zeros), so read without the parser.
_RELEASE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_<>][A-Za-z0-9_<>]*)*")
_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _name_problem(name: Any) -> str | None:
    if not isinstance(name, str):
        return f"a {type(name).__name__}, not text"
    if _NAME.fullmatch(name) is None:
        return (
            "not a distribution name (PEP 508: up to 100 letters, digits and "
            "'._-', starting and ending with a letter or digit)"
        )
    return None


def _version_problem(version: Any) -> tuple[str | None, str]:
    """``(why it is refused or None, the canonical rendering)``."""
    if not isinstance(version, str):
        return f"a {type(version).__name__}, not text", ""
    if _VERSION_TEXT.fullmatch(version) is None:
        return (
            "not a version (PEP 440: at most 64 letters, digits and '.!+_-')",
            "",
        )
    if _RELEASE.fullmatch(version) is not None:
        return None, version  # "1.9.1": PEP 440 spells it so, no label
    # Imported here: 1.5 ms of every process's import of this package (a
    # search's workers), for versions that are not plain releases.
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version)
    except InvalidVersion:
        return "not a version (PEP 440)", ""
    local = parsed.local
    if local is not None:
        if _LOCAL.fullmatch(local) is None:
            return "a version whose local label is not [a-z0-9.]", ""
        if local.rsplit(".", 1)[-1] in ARCHIVE_SUFFIXES:
            return (
                "a version whose local label ends in an archive suffix "
                f"(.{local.rsplit('.', 1)[-1]}): pip would read the requirement as "
                "a file to install",
                "",
            )
    rendered = str(parsed)
    if len(rendered) > 64:
        return "a version longer than 64 characters", ""
    return None, rendered


def checked_distribution(name: Any, *, what: str = "a distribution name") -> str:
    """``name``, normalized (PEP 503), if it is a valid PEP 508 distribution
    name; else an :class:`EnvelopeError` saying why.

    Every distribution name taken from a file passes here before it is
    written into a requirement or an install command.

    Parameters
    ----------
    name : object
        The text from the file (or the command line).
    what : str
        What the name is, for the message.

    Returns
    -------
    str
        Lower case, runs of ``-_.`` as one ``-``.

    Raises
    ------
    EnvelopeError

    Examples
    --------
    >>> checked_distribution("Scikit_Learn")
    'scikit-learn'
    >>> checked_distribution("./evil.whl")
    Traceback (most recent call last):
    ...
    versioned_estimator._errors.EnvelopeError: './evil.whl' is not ...
    """
    problem = _name_problem(name)
    if problem is not None:
        raise EnvelopeError(
            f"{_printable(str(name))!r} is {problem}; refusing to use it as {what}."
        )
    return normalize_name(name)


def checked_version(version: Any, *, what: str = "a version") -> str:
    """``version`` rendered from its parsed form, if it is a PEP 440 version
    pip can only read as a version; else an :class:`EnvelopeError`.

    The text is parsed with :class:`packaging.version.Version` and the result
    re-rendered (the file's own spelling is never printed). A local label
    (``+cpu``) must be made of ``[a-z0-9.]`` and must not end in an archive
    suffix (``+cpu.zip``, ``+x.tar.gz``, ``+x.whl``...): pip reads
    ``name==1.0+cpu.zip`` as the path of an archive to install.

    Parameters
    ----------
    version : object
        The text from the file (or the command line).
    what : str
        What the version is, for the message.

    Returns
    -------
    str
        The canonical spelling (``v1.0-post1`` becomes ``1.0.post1``).

    Raises
    ------
    EnvelopeError

    Examples
    --------
    >>> checked_version("1.9.1"), checked_version("V2.0-RC1+Ubuntu-1")
    ('1.9.1', '2.0rc1+ubuntu.1')
    >>> checked_version("1.9.1+cpu.zip")
    Traceback (most recent call last):
    ...
    versioned_estimator._errors.EnvelopeError: '1.9.1+cpu.zip' is a version ...
    >>> checked_version("1.0 ; python_version<'4'")
    Traceback (most recent call last):
    ...
    versioned_estimator._errors.EnvelopeError: "1.0 ; python_version<'4'" is not ...
    """
    problem, rendered = _version_problem(version)
    if problem is not None:
        raise EnvelopeError(
            f"{_printable(str(version))!r} is {problem}; refusing to use it as {what}."
        )
    return rendered


def valid_distribution(name: Any) -> bool:
    """Whether ``name`` is a distribution name pip accepts (PEP 508); see
    :func:`checked_distribution`.

    Examples
    --------
    >>> valid_distribution("scikit-learn"), valid_distribution("x\\n--index-url")
    (True, False)
    """
    return _name_problem(name) is None


def valid_version(version: Any) -> bool:
    """Whether ``version`` is a version pip reads only as a version (PEP 440,
    no archive-like local label); see :func:`checked_version`.

    Examples
    --------
    >>> valid_version("1.9.1"), valid_version("2.0.0rc1+local.7")
    (True, True)
    >>> valid_version("1.0\\n-e git+https://evil"), valid_version("")
    (False, False)
    >>> valid_version("1.9.1+cpu.zip"), valid_version("1.0+x/../../evil")
    (False, False)
    """
    return _version_problem(version)[0] is None


class _Check:
    """Field-by-field checks of one envelope, raising EnvelopeError at the first."""

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data = data
        self.source = source

    def bad(self, field: str, why: str) -> EnvelopeError:
        return EnvelopeError(
            f"{self.source} has an envelope whose {field} {why}: it is corrupt or "
            "crafted."
        )

    def typed(
        self, field: str, kinds: tuple[type, ...], *, optional: bool = True
    ) -> Any:
        if field not in self.data:
            if optional:
                return None
            raise EnvelopeError(f"{self.source} lacks the required field {field}.")
        value = self.data[field]
        if value is None and optional:
            return None
        if not isinstance(value, kinds) or (
            isinstance(value, bool) and bool not in kinds
        ):
            names = " or ".join(k.__name__ for k in kinds)
            raise self.bad(field, f"is a {type(value).__name__}, not a {names}")
        return value

    def mapping(
        self,
        field: str,
        key_ok: Callable[[Any], bool],
        value_ok: Callable[[Any], bool],
        limit: int,
        what: str,
        explain: Callable[[Any, Any], str | None] | None = None,
    ) -> None:
        value = self.typed(field, (dict,))
        if value is None:
            return
        if len(value) > limit:
            raise self.bad(field, f"lists {len(value)} entries, more than {limit}")
        for key, item in value.items():
            if type(key) is str and type(item) is str and (field, key, item) in _SEEN:
                continue
            if not key_ok(key) or not value_ok(item):
                shown = _printable(f"{key}: {item}")
                why = explain(key, item) if explain is not None else None
                raise self.bad(
                    field, f"holds {shown!r}, which is not {what}" + (why or "")
                )
            _remember((field, key, item))

    def pins(self, field: str) -> None:
        """Distribution names and versions, each distribution named once
        (``scikit-learn`` and ``scikit_learn`` are one)."""
        self.mapping(
            field,
            valid_distribution,
            valid_version,
            MAX_PACKAGES,
            "a distribution name and version",
            explain=_pin_problem,
        )
        value = self.data.get(field)
        if not value or (field, *value) in _SEEN:
            return
        seen: dict[str, str] = {}
        for key in value:
            other = seen.setdefault(normalize_name(key), key)
            if other != key:
                shown = _printable(f"{other} and {key}")
                raise self.bad(field, f"names one distribution twice: {shown}")
        _remember((field, *value))

    def strings(self, field: str, ok: Callable[[str], bool], limit: int) -> None:
        value = self.typed(field, (list,))
        if value is None:
            return
        if len(value) > limit:
            raise self.bad(field, f"lists {len(value)} entries, more than {limit}")
        for item in value:
            if type(item) is str and (field, item) in _SEEN:
                continue
            if not isinstance(item, str) or not ok(item):
                raise self.bad(field, f"holds {_printable(str(item))!r}")
            _remember((field, item))


def _pin_problem(name: Any, version: Any) -> str | None:
    problem = _name_problem(name)
    if problem is None:
        problem = _version_problem(version)[0]
    return f" (it is {problem})" if problem else None


# Entries already found valid (package pins, globals): a process loads the
# same few over and over; the set is bounded.
_SEEN: set[tuple[Any, ...]] = set()


def _remember(entry: tuple[Any, ...]) -> None:
    if len(_SEEN) > 100_000:
        _SEEN.clear()
    _SEEN.add(entry)


def _printable(text: str, width: int = 60) -> str:
    return cut(text, width)


_ATOMS = (str, int, float, bool, type(None))


def _copy(value: Any) -> Any:
    """A copy of plain data (dicts, lists, text, numbers) as ``copy.deepcopy``
    makes it, at a twentieth of its cost for a long list of numbers (a head
    of 3.9 million list items took deepcopy 4 seconds an access); anything
    else is deep-copied."""
    kind = type(value)
    if kind is list:
        return [v if type(v) in _ATOMS else _copy(v) for v in value]
    if kind is dict:
        return {k: v if type(v) in _ATOMS else _copy(v) for k, v in value.items()}
    return value if kind in _ATOMS else copy.deepcopy(value)


def _is_int(value: Any) -> bool:
    """A size: a non-negative int a file can hold."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 62
    )


def _check_payload(check: _Check, version: int) -> None:
    payload = check.typed("payload", (dict,), optional=False)

    def part_ok(part: Any, digest: bool) -> bool:
        return (
            isinstance(part, dict)
            and _is_int(part.get("nbytes"))
            and (not digest or isinstance(part.get("digest"), str))
        )

    buffers = payload.get("buffers")
    ok = isinstance(buffers, list) and len(buffers) <= 1_000_000
    if version == 1:
        ok = ok and (
            payload.get("algorithm", "sha256") == "sha256"
            and payload.get("protocol", 5) in (2, 3, 4, 5)
            and isinstance(payload.get("digest"), str)
            and payload["digest"].isalnum()
            and part_ok(payload.get("stream"), True)
            and all(part_ok(part, True) for part in buffers)
        )
    else:
        ok = ok and (
            payload.get("checksum") in ("crc32", "sha256")
            and payload.get("block_size") == BLOCK_SIZE
            and payload.get("protocol") == 5
            and payload.get("pickler") in ("pickle", "cloudpickle")
            and payload.get("signed") in (None, "hmac-sha256")
            and isinstance(payload.get("template", False), bool)
            and part_ok(payload.get("stream"), False)
            and all(part_ok(part, False) for part in buffers)
            and payload.get("nbytes")
            == payload["stream"]["nbytes"] + sum(part["nbytes"] for part in buffers)
        )
    if version == 1 and "nbytes" in payload:
        ok = ok and _is_int(payload["nbytes"])
    if not ok:
        raise EnvelopeError(
            f"{check.source} has a malformed payload record (sizes of the stream "
            "and buffers): it is corrupt or crafted."
        )


def validate(data: Any, *, source: str = "the envelope") -> dict[str, Any]:
    """Check that ``data`` is an envelope this version reads; return it.

    Every field is type-checked; package names and versions must be what pip
    accepts, globals and the class dotted names. Anything else is an
    :class:`EnvelopeError` naming the field.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise EnvelopeError(
            f"{source} is not a versioned-estimator envelope (no "
            f"'format': {FORMAT_NAME!r} entry)."
        )
    version: Any = data.get("format_version")
    if not _is_int(version) or version < 1:
        raise EnvelopeError(
            f"{source} has no valid format_version: {_printable(repr(version))}."
        )
    if version > FORMAT_VERSION:
        writer = data.get("writer")
        writer = _printable(writer) if isinstance(writer, str) else "(unknown)"
        raise EnvelopeError(
            f"{source} uses file format {version}, newer than format "
            f"{FORMAT_VERSION} that versioned-estimator {__version__} reads. It was "
            f"written by versioned-estimator {writer}: upgrade with "
            "`pip install -U versioned-estimator`."
        )
    if version not in READABLE_FORMATS:  # pragma: no cover - every version is
        raise EnvelopeError(f"{source} uses file format {version}, unknown here.")
    check = _Check(data, source)
    name = check.typed("estimator_class", (str,), optional=False)
    if len(name) > 1000 or not _DOTTED.fullmatch(name):
        raise check.bad("estimator_class", f"is {_printable(name)!r}")
    _check_payload(check, version)
    for field in ("writer", "created_at", "python"):
        value = check.typed(field, (str,))
        if value is not None and (len(value) > 200 or not value.isprintable()):
            raise check.bad(field, "holds control characters or is too long")
    if isinstance(data.get("python"), str) and not valid_version(data["python"]):
        raise check.bad("python", f"is {_printable(data['python'])!r}")
    for field in ("params", "tags", "platform", "schema", "evaluation", "metadata"):
        check.typed(field, (dict,))
    probe_size = check.typed("probe_size", (int,))
    if probe_size is not None and probe_size < 0:
        raise check.bad("probe_size", "is negative, not a count of rows")
    check.pins("packages")
    check.pins("requirements")
    check.mapping(
        "modules",
        lambda k: isinstance(k, str) and _DOTTED.fullmatch(k) is not None,
        valid_distribution,
        MAX_PACKAGES,
        "a module and a distribution name",
    )
    check.strings("methods", str.isidentifier, 100)
    check.strings(
        "globals",
        lambda g: len(g) <= 1000 and _DOTTED.fullmatch(g) is not None,
        MAX_GLOBALS,
    )
    git = check.typed("git", (dict,))
    if git is not None:
        commit, dirty = git.get("commit"), git.get("dirty")
        if not (commit is None or (isinstance(commit, str) and _HEX.fullmatch(commit))):
            raise check.bad("git", "has a commit that is not a hexadecimal hash")
        if dirty not in (None, True, False):
            raise check.bad("git", "has a dirty flag that is not a bool")
        if git.get("source") not in (None, "script", "notebook", "module", "cwd"):
            raise check.bad("git", "names an unknown source of the training code")
        name = git.get("file")
        if name is not None and not (
            isinstance(name, str) and len(name) <= 255 and name.isprintable()
        ):
            raise check.bad("git", "names a file that is not printable text")
    probe = check.typed("probe", (dict,))
    if probe is not None and not isinstance(probe.get("X"), dict):
        raise check.bad("probe", "has no rows")
    if probe is not None and not _is_int(probe.get("n_rows")):
        raise check.bad("probe", "has a row count that is not a count")
    if probe is not None and "outputs" in probe and not _outputs_ok(probe["outputs"]):
        raise check.bad("probe", "has outputs of methods no probe records")
    schema = data.get("schema") or {}
    for key in ("n_samples", "n_features_in"):
        if schema.get(key) is not None and not _is_int(schema[key]):
            raise check.bad("schema", f"has a {key} that is not a count")
    for key in ("feature_names_in", "dtypes"):
        value = schema.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise check.bad("schema", f"has {key} that are not text")
    if version == 1:
        signature = check.typed("signature", (dict,))
        if signature is not None and not _is_signature(signature):
            raise check.bad("signature", "is not an algorithm and a value")
    elif "signature" in data:
        # Format 2 signs in the trailer; a signature here would be text the
        # file shows as its own that no key covers.
        raise check.bad("signature", "is in the head, where format 2 never writes it")
    return data


def _outputs_ok(outputs: Any) -> bool:
    return isinstance(outputs, dict) and all(
        isinstance(name, str) and name in PROBE_METHODS for name in outputs
    )


def _is_signature(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"algorithm", "value"}
        and value["algorithm"] == "hmac-sha256"
        and isinstance(value["value"], str)
        and value["value"].isalnum()
    )


def validate_trailer(
    trailer: Any, envelope: Mapping[str, Any], *, source: str = "the file"
) -> dict[str, Any]:
    """Check a format 2 trailer against the head that declared it."""
    bad = EnvelopeError(
        f"{source} has a malformed trailer (the checksums after the payload): it "
        "was truncated, or is corrupt or crafted."
    )
    if not isinstance(trailer, dict):
        raise bad
    record = trailer.get("checksums")
    head = envelope["payload"]
    if not isinstance(record, dict):
        raise bad

    def part_ok(part: Any, declared: Any) -> bool:
        if not (isinstance(part, dict) and isinstance(declared, dict)):
            return False
        nbytes: Any = part.get("nbytes")
        blocks = part.get("blocks")
        return (
            _is_int(nbytes)
            and nbytes == declared.get("nbytes")
            and isinstance(blocks, list)
            and len(blocks) == max(1, -(-nbytes // BLOCK_SIZE))
            and all(isinstance(b, str) and len(b) <= 64 for b in blocks)
        )

    buffers = record.get("buffers")
    if not (
        record.get("algorithm") == head["checksum"]
        and record.get("block_size") == BLOCK_SIZE
        and isinstance(record.get("digest"), str)
        and part_ok(record.get("stream"), head["stream"])
        and isinstance(buffers, list)
        and len(buffers) == len(head["buffers"])
        and all(
            part_ok(part, declared)
            for part, declared in zip(buffers, head["buffers"], strict=True)
        )
    ):
        raise bad
    probe = trailer.get("probe")
    if probe is not None and not (
        isinstance(probe, dict)
        and _outputs_ok(probe.get("outputs"))
        and set(probe) <= {"outputs", "checksum"}
        and isinstance(probe.get("checksum", ""), str)
    ):
        raise bad
    signature = trailer.get("signature")
    if signature is not None and not _is_signature(signature):
        raise bad
    return trailer


# ----------------------------------------------------------------------------
# The read-only view
# ----------------------------------------------------------------------------


class Envelope:
    """A read-only view of a saved model's envelope.

    Get one from a wrapped model (``model.envelope``), or from a file or bytes
    without loading the model (:func:`read_envelope`, which reads the head of
    the file only: in files of format 2 the checksums and the probe's outputs
    follow the payload, so ``payload`` then lists sizes without digests and
    ``probe`` rows without outputs).

    Attributes
    ----------
    format_version : int
    created_at : str
        UTC time of fit or wrap, ISO 8601.
    estimator_class : str
        ``"module.qualname"`` of the wrapped estimator.
    params : dict
        The wrapped estimator's parameters, described as plain data.
    methods : list of str
        The prediction methods the wrapped estimator offers.
    tags : dict
        The wrapped estimator's scikit-learn tags, as plain data.
    packages : dict
        Distribution name (normalized as pip does) -> version, for every
        distribution whose modules the model's pickle imports.
    requirements : dict
        Every distribution needed to load and verify the model (``packages``,
        what they require, versioned-estimator itself), with its version.
    python : str
    platform : dict
    git : dict
        ``commit`` and ``dirty`` of the training code's repository, and
        ``source``: which folder that was (None outside git).
    globals : list of str
        Every global the inner stream imports, as ``"module.qualname"``.
    payload : dict
        ``protocol``, ``nbytes``, the size of every part, the checksum
        ``algorithm`` and, when known, the ``digest``.
    schema : dict
        ``n_samples``, ``n_features_in``, ``feature_names_in``, ``dtypes``.
    probe_size : int or None
        The ``probe_size`` the model was fit with (None in older files).
    probe : dict or None
        ``n_rows``, ``X`` and, when known, ``outputs``.
    evaluation : dict or None
        For a search: ``best_score``, ``best_params``, ``scoring``, ``n_splits``.
    metadata : dict
        The user's own provenance.
    signature : dict or None

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator
    >>> model = VersionedEstimator(LinearRegression(), metadata={"owner": "ana"})
    >>> envelope = model.fit([[0], [1]], [0, 1]).envelope
    >>> envelope.estimator_class
    'sklearn.linear_model._base.LinearRegression'
    >>> envelope.metadata
    {'owner': 'ana'}
    >>> "scikit-learn" in envelope.packages
    True
    >>> envelope.probe_size, envelope.tags["estimator_type"]
    (5, 'regressor')
    """

    __slots__ = ("_data", "_trailer")
    _data: dict[str, Any]
    _trailer: dict[str, Any] | None

    def __init__(
        self, data: Mapping[str, Any], trailer: Mapping[str, Any] | None = None
    ) -> None:
        data = dict(data)
        if trailer is None and isinstance(data.get("trailer"), dict):
            trailer = data.pop("trailer")
        data.pop("trailer", None)
        head = validate(_copy(data))
        if trailer is not None:
            trailer = validate_trailer(_copy(dict(trailer)), head)
        object.__setattr__(self, "_data", head)
        object.__setattr__(self, "_trailer", trailer)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Envelope is read-only")

    def _get(self, key: str, default: Any = None) -> Any:
        value = self._data.get(key)
        return _copy(default if value is None else value)

    format_version = property(lambda self: self._data["format_version"])
    writer = property(lambda self: self._get("writer"))
    created_at = property(lambda self: self._get("created_at"))
    estimator_class = property(lambda self: self._data["estimator_class"])
    params = property(lambda self: self._get("params", {}))
    methods = property(lambda self: self._get("methods", []))
    tags = property(lambda self: self._get("tags", {}))
    packages = property(lambda self: self._get("packages", {}))
    requirements = property(lambda self: self._get("requirements", {}))
    modules = property(lambda self: self._get("modules", {}))
    python = property(lambda self: self._get("python"))
    platform = property(lambda self: self._get("platform", {}))
    git = property(lambda self: self._get("git", {"commit": None, "dirty": None}))
    globals = property(lambda self: self._get("globals", []))
    schema = property(lambda self: self._get("schema", {}))
    evaluation = property(lambda self: self._get("evaluation"))
    metadata = property(lambda self: self._get("metadata", {}))
    probe_size = property(lambda self: self._data.get("probe_size"))

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = self._get("payload", {})
        if self._data["format_version"] >= 2:
            payload["algorithm"] = payload.get("checksum")
            record = (self._trailer or {}).get("checksums")
            payload["digest"] = record["digest"] if record else None
        return payload

    @property
    def probe(self) -> dict[str, Any] | None:
        probe: dict[str, Any] | None = self._get("probe")
        if probe is not None and self._data["format_version"] >= 2:
            outputs = ((self._trailer or {}).get("probe") or {}).get("outputs")
            if outputs is not None:
                probe["outputs"] = _copy(outputs)
        return probe

    @property
    def signature(self) -> dict[str, Any] | None:
        if self._data["format_version"] >= 2:
            found = (self._trailer or {}).get("signature")
            return dict(_copy(found)) if found is not None else None
        signature = self._get("signature")
        return dict(signature) if isinstance(signature, dict) else None

    @property
    def signed(self) -> bool:
        """Whether the file says it is signed (checked only with the key)."""
        if self._data["format_version"] >= 2:
            return bool(self._data["payload"].get("signed")) or (
                self.signature is not None
            )
        return self.signature is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable copy of every field (the trailer under ``trailer``)."""
        data: dict[str, Any] = _copy(self._data)
        if self._trailer is not None:
            data["trailer"] = _copy(self._trailer)
        return data

    def to_json(self, **kwargs: Any) -> str:
        """The envelope as JSON text."""
        return json.dumps(self.to_dict(), **kwargs)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Envelope)
            and self._data == other._data
            and self._trailer == other._trailer
        )

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self) -> str:
        commit = (self._data.get("git") or {}).get("commit")
        return (
            f"Envelope({self.estimator_class}, created {self._data.get('created_at')},"
            f" commit {commit[:10] if commit else None},"
            f" {len(self._data.get('packages') or {})} packages,"
            f" {self._data['payload'].get('nbytes', 0)} payload bytes)"
        )
