"""The public file functions: ``load``, ``save`` and ``audit``.

``load`` reads a file once, through the one reader (``_reader``), checks
the environment as soon as the envelope is read, checksums the buffers while
they are read, then opens the payload through the checks of ``_lazy`` in safe
mode (the allow-list of ``_allowlist``). ``save`` writes with joblib into a
temporary file beside the target and renames it. ``audit`` dry-runs the inner
stream (``_inner``) and builds nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib

from versioned_estimator._allowlist import Allowed, runs_code
from versioned_estimator._config import (
    REPLAY,
    VERIFY,
    get_config,
    normalize_aliases,
    normalize_trusted,
)
from versioned_estimator._envelope import validate
from versioned_estimator._errors import (
    EnvironmentMismatchError,
    VersionedEstimatorError,
)
from versioned_estimator._estimator import VersionedEstimator, seal
from versioned_estimator._inner import DryRun, Refusal, scan_stream
from versioned_estimator._lazy import Policy, environment_error
from versioned_estimator._payload import BlockHasher
from versioned_estimator._reader import Parts, read_parts
from versioned_estimator._remote import is_url, upload
from versioned_estimator._signing import resolve_key
from versioned_estimator._sources import open_source

__all__ = ["AuditReport", "audit", "load", "save"]

_REMOTE_BLOCK_SIZE = 8 * 1024 * 1024

# ----------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------


def _read(
    source: Any,
    *,
    mmap_mode: str | None = None,
    on_mismatch: str = "ignore",
    hash_buffers: bool = False,
    skip_buffers: bool = False,
) -> tuple[Parts, list[list[str]] | None]:
    """Every part of a model file, in one pass; buffer checksums as they are
    read (format 2); the environment refused before the payload is read when
    ``on_mismatch="error"``."""
    src = open_source(source, block_size=_REMOTE_BLOCK_SIZE if is_url(source) else None)
    hasher: BlockHasher | None = None

    def on_envelope(envelope: dict[str, Any]) -> tuple[int, list[int]]:
        nonlocal hasher
        validate(envelope, source=src.what)
        if on_mismatch == "error":
            found = environment_error(envelope, on_mismatch)
            if found is not None:
                raise EnvironmentMismatchError(found[0], report=found[1])
        payload = envelope["payload"]
        sizes = [int(part["nbytes"]) for part in payload["buffers"]]
        if hash_buffers and envelope["format_version"] >= 2:
            hasher = BlockHasher(payload["checksum"], sizes)
        return int(payload["stream"]["nbytes"]), sizes

    def on_block(index: int, block: memoryview) -> None:
        if hasher is not None:
            hasher.add(index, block)

    try:
        parts = read_parts(
            src,
            mmap_mode=mmap_mode,
            on_envelope=on_envelope,
            on_block=on_block,
            skip_buffers=skip_buffers,
        )
    finally:
        src.close()
    return parts, hasher.values() if hasher is not None else None


# ----------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------


def load(
    source: Any,
    *,
    on_mismatch: str = "warn",
    on_drift: str | None = None,
    trusted: Sequence[str] = (),
    module_aliases: Mapping[str, str] | None = None,
    mmap_mode: str | None = None,
    key: str | bytes | None = None,
    verify: str = "full",
    replay: str | None = None,
) -> VersionedEstimator:
    """Load a wrapped model safely and eagerly.

    In order, reading the file once: the envelope is read and checked (and
    the environment compared, under ``on_mismatch="error"``, before the
    payload is read); the payload is read by a reader that builds only plain
    data and raw ``uint8`` buffers, checksummed as it is read; the signature
    (with a key) and the checksums are checked; the inner stream is scanned
    and dry-run against the allow-list and ``trusted``, then unpickled, and
    the loaded graph walked; the probe is replayed.

    Parameters
    ----------
    source : str, path-like, URL, bytes or binary file object
        Any file or stream ``joblib.load`` reads: pickle or joblib files,
        compressed or not, pipes and compressed file objects included.
    on_mismatch : {"warn", "error", "ignore"}, default="warn"
    on_drift : {"warn", "error", "ignore"}, optional
        Defaults to the configured policy (``"warn"``).
    trusted : sequence of str
        Extra ``"module.qualname"`` globals to admit (your own classes).
    module_aliases : dict, optional
        ``{"old.module": "new.module"}`` for code that moved, or
        ``{"old.module.OldClass": "new.module.NewClass"}`` for a renamed class.
    mmap_mode : {None, "r", "r+", "c"}
        Memory-map the array buffers of an uncompressed joblib file.
    key : str or bytes, optional
        Verify the HMAC-SHA256 signature (default: ``VERSIONED_ESTIMATOR_KEY``).
    verify : {"full", "fast"}, default="full"
        Checksum every byte, or only the object graph and the buffer sizes.
    replay : {"auto", "always"}, optional
        Replay the probe even when nothing that could change the model's
        behaviour changed (default: the configured policy, ``"auto"``).

    Returns
    -------
    VersionedEstimator
        Materialized: ``estimator_`` is loaded and checked.

    Raises
    ------
    EnvelopeError, IntegrityError, EnvironmentMismatchError,
    UntrustedGlobalError, InnerLoadError, BehaviorDriftError

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator, load, save
    >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 1])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> _ = save(model, path)
    >>> load(path).predict([[2]]).round(6)
    array([2.])
    """
    if verify not in VERIFY or verify == "auto":
        raise ValueError(f"verify={verify!r}; expected 'full' or 'fast'.")
    if replay is not None and replay not in REPLAY:
        raise ValueError(f"replay={replay!r}; expected one of {REPLAY}.")
    config = get_config()
    policy = Policy(
        on_mismatch=on_mismatch,
        on_drift=on_drift or config["on_drift"],
        verify=verify,
        replay=replay or config["replay"],
        module_aliases=normalize_aliases(module_aliases),
        allowed=Allowed(normalize_trusted(trusted)),
        key=resolve_key(key),
    )
    parts, values = _read(
        source,
        mmap_mode=mmap_mode,
        on_mismatch=on_mismatch,
        hash_buffers=verify == "full",
    )
    model = seal(
        parts.envelope,
        parts.stream,
        parts.buffers,
        parts.trailer,
        policy,
        source="the file",
    )
    model.__dict__["_sealed"].buffer_values = values
    model.__dict__["_sealed"].most_ops = parts.most_ops
    del parts  # the model alone holds the buffers (see _materialize)
    model._materialize()
    return model


# ----------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------

_EXTENSIONS = {
    ".z": "zlib",
    ".gz": "gzip",
    ".bz2": "bz2",
    ".xz": "xz",
    ".lzma": "lzma",
    ".lz4": "lz4",
}


class _Reduced:
    """Pickles as a given reduce tuple (a signed model's)."""

    def __init__(self, reduced: Any) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self.reduced


def save(
    model: Any,
    path: Any,
    *,
    compress: Any = 0,
    key: str | bytes | None = None,
    probe: Any = None,
) -> str:
    """Save a model atomically with joblib, wrapping a bare estimator first.

    The file is written to a temporary file beside ``path``, flushed to disk,
    then renamed over ``path``: a crash leaves the old file or the new one,
    never a partial one. It gets the permissions ``joblib.dump`` would give it
    (an existing file's, else those the umask allows).

    Parameters
    ----------
    model : VersionedEstimator or fitted estimator
    path : str, path-like or URL
    compress : int, bool, str or tuple, default=0
        As for ``joblib.dump``; an extension such as ``.gz`` selects a
        compressor when ``compress`` is 0. Compressed files cannot be
        memory-mapped.
    key : str or bytes, optional
        Sign with HMAC-SHA256 (default: ``VERSIONED_ESTIMATOR_KEY``); the
        checksums are then SHA-256.
    probe : array-like, optional
        For a bare estimator: sample input to record the model's outputs on
        (see :meth:`VersionedEstimator.wrap`); without it, no drift check.

    Returns
    -------
    str
        The path written.
    """
    wrapped = (
        model
        if isinstance(model, VersionedEstimator)
        else VersionedEstimator.wrap(model, probe=probe)
    )
    wrapped._materialize()
    if "estimator_" not in wrapped.__dict__:
        raise VersionedEstimatorError("Only a fitted model can be saved: fit it first.")
    secret = resolve_key(key)
    obj: Any = wrapped if secret is None else _Reduced(wrapped._reduce_fitted(secret))
    if is_url(path):
        folder = tempfile.mkdtemp(prefix="versioned-estimator-")
        local = os.path.join(folder, path.rstrip("/").rpartition("/")[2] or "model")
        try:
            save(wrapped, local, compress=compress, key=key)
            upload(local, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(local)
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        return str(path)
    given = os.fspath(path)
    target: str = os.path.abspath(given)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(f"{given!r} is a directory; give a file path.")
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save to {given!r}: the folder {os.path.dirname(given) or '.'!r} "
            "does not exist."
        )
    if not compress:
        ext = os.path.splitext(target)[1].lower()
        if ext in _EXTENSIONS:
            compress = (_EXTENSIONS[ext], 3)
    _remove_stale_temps(folder, os.path.basename(target))
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.{os.getpid()}.",
            suffix=".tmp",
            dir=folder,
        )
    except OSError as exc:
        raise OSError(exc.errno, f"Cannot save to {given!r}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            joblib.dump(obj, handle, compress=compress)
            handle.flush()
            os.fchmod(handle.fileno(), _mode_for(target))
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return target


def _mode_for(target: str) -> int:
    """The permissions ``open(target, "wb")`` would leave: the existing file's,
    or 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _remove_stale_temps(folder: str, name: str) -> None:
    """Remove temporary files that killed saves of ``name`` left behind.

    Each temp file names the process that wrote it; one whose process is gone
    (killed with SIGKILL mid-save) is removed by the next save to that path.
    """
    prefix = f".{name}."
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        pid = entry[len(prefix) :].partition(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------
# Audit
# ----------------------------------------------------------------------------


@dataclass
class AuditReport:
    """The globals a model's inner stream would import.

    Attributes
    ----------
    globals : list of str
        Every global, in the order the stream names them.
    untrusted : list of str
        Those outside the allow-list (and outside ``trusted``).
    dangerous : list of str
        Those known to run code, spawn processes or touch files.
    error : str or None
        Why the dry run stopped early (a corrupt stream), if it did.
    """

    globals: list[str] = field(default_factory=list)
    untrusted: list[str] = field(default_factory=list)
    dangerous: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every global is allowed and the stream read to its end."""
        return not self.untrusted and self.error is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "ok": self.ok,
            "globals": list(self.globals),
            "untrusted": list(self.untrusted),
            "dangerous": list(self.dangerous),
            "error": self.error,
        }

    def __str__(self) -> str:
        lines = [
            f"{len(self.globals)} globals, {len(self.untrusted)} untrusted, "
            f"{len(self.dangerous)} known to run code"
        ]
        dangerous, untrusted = set(self.dangerous), set(self.untrusted)
        for name in self.globals:
            mark = (
                "DANGEROUS"
                if name in dangerous
                else ("untrusted" if name in untrusted else "allowed")
            )
            lines.append(f"  {mark:<9}  {name}")
        if self.error:
            lines.append(f"  dry run stopped: {self.error}")
        return "\n".join(lines)


def audit(source: Any, *, trusted: Sequence[str] = ()) -> AuditReport:
    """List the globals a saved model would import, without importing them.

    The inner stream is scanned, then dry-run: every global it names is
    recorded and answered with an inert stub, so memo tricks that fool an
    opcode walk do not hide a name; nothing named by the file is imported or
    run, and the payload's arrays are not read.

    Parameters
    ----------
    source : path, URL, bytes, binary file object or VersionedEstimator
    trusted : sequence of str
        Names to count as allowed.

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> import pickle
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator, audit
    >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 1])
    >>> report = audit(pickle.dumps(model))
    >>> report.ok, "sklearn.linear_model._base.LinearRegression" in report.globals
    (True, True)
    """
    if isinstance(source, VersionedEstimator):
        stream, buffers = source.__reduce_ex__(5)[1][1:3]
    else:
        parts, _ = _read(source, skip_buffers=True)
        return audit_stream(
            parts.stream, parts.buffers, trusted=trusted, most_ops=parts.most_ops
        )
    return audit_stream(stream, buffers, trusted=trusted)


def audit_stream(
    stream: bytes,
    buffers: Sequence[Any],
    *,
    trusted: Sequence[str] = (),
    most_ops: int | None = None,
) -> AuditReport:
    """:func:`audit` of an inner stream already read (``_read``'s parts)."""
    allowed = Allowed(normalize_trusted(trusted))
    try:
        scan_stream(stream, len(buffers), most_ops)
    except Refusal as exc:
        # Not dry-run: what the scan refuses could exhaust the dry run too.
        names = [n for n in exc.names if n not in allowed.trusted]
        return AuditReport(
            names,
            names,
            [n for n in names if runs_code(*n.rsplit(".", 1))],
            f"the stream holds {exc}, which no model's pickle does",
        )
    error: str | None = None
    dry = DryRun(allowed, buffers=buffers, most_ops=most_ops)
    dry.run(stream)
    names = list(dry.names)
    refused = set(dry.untrusted)
    untrusted = [name for name in names if dry.resolved[name].full in refused]
    dangerous = [n for n in names if runs_code(*n.rsplit(".", 1))]
    if error is None and dry.violations:
        error = dry.violations[0]
    return AuditReport(names, untrusted, dangerous, error)
