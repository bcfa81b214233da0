"""Files: ``read_envelope``, ``check_environment``, ``audit``, ``load``, ``save``.

``read_envelope`` reads only the head of a file (``_reader``). ``load`` reads
the outer pickle with a restricted unpickler that admits only ``_rebuild`` and
the array wrappers of joblib and numpy, then opens the payload through the
checks of ``_lazy`` with the allow-list gate of ``_trust``. ``save`` writes
with joblib into a temporary file beside the target and renames it.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import struct
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
from joblib import numpy_pickle

from versioned_estimator._config import (
    VERIFY,
    get_config,
    normalize_aliases,
    normalize_trusted,
)
from versioned_estimator._envelope import Envelope
from versioned_estimator._errors import EnvelopeError, VersionedEstimatorError
from versioned_estimator._estimator import VersionedEstimator, seal
from versioned_estimator._format import REBUILD_MODULE, REBUILD_NAME
from versioned_estimator._inspect import read_envelope
from versioned_estimator._lazy import Policy
from versioned_estimator._payload import numpy_core_module
from versioned_estimator._reader import InflatingFile, detect_compression
from versioned_estimator._remote import is_url, open_url, upload
from versioned_estimator._signing import resolve_key, sign
from versioned_estimator._trust import TrustGate, audit_stream, is_allowed, runs_code

__all__ = ["AuditReport", "audit", "load", "save"]

# ----------------------------------------------------------------------------
# Reading the whole outer pickle, restricted
# ----------------------------------------------------------------------------


_REMOTE_BLOCK_SIZE = 8 * 1024 * 1024
_READ_CHUNK = 64 * 1024 * 1024


@dataclass
class _Outer:
    envelope: Any
    stream: Any
    buffers: Any


def _capture(envelope: Any, stream: Any, buffers: Any) -> _Outer:
    return _Outer(envelope, stream, buffers)


_OUTER_GLOBALS = {
    ("joblib.numpy_pickle", "NumpyArrayWrapper"): numpy_pickle.NumpyArrayWrapper,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "memmap"): np.memmap,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): None,
    ("numpy._core.numeric", "_frombuffer"): None,
    ("numpy.core.numeric", "_frombuffer"): None,
    ("numpy._core.multiarray", "_reconstruct"): None,
    ("numpy.core.multiarray", "_reconstruct"): None,
}


class _OuterUnpickler(numpy_pickle.NumpyUnpickler):
    """joblib's unpickler (mmap, compression) admitting only the outer shape."""

    dispatch = numpy_pickle.NumpyUnpickler.dispatch.copy()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (REBUILD_MODULE, REBUILD_NAME):
            return _capture
        if (module, name) in _OUTER_GLOBALS:
            return super().find_class(numpy_core_module(module), name)
        raise EnvelopeError(
            f"{self.filename or 'The file'}: its outer pickle names {module}.{name}, "
            "where a versioned-estimator file names only its own loader and array "
            "wrappers. It is crafted or corrupt; nothing was run."
        )

    def load_build(self) -> None:
        state, target = self.stack[-1], self.stack[-2]
        if isinstance(target, numpy_pickle.NumpyArrayWrapper):
            dtype = state.get("dtype") if isinstance(state, dict) else None
            if dtype != np.dtype(np.uint8) or state.get("subclass") not in (
                np.ndarray,
                np.memmap,
            ):
                raise EnvelopeError(
                    "The file holds an array of dtype "
                    f"{dtype} where versioned-estimator writes raw uint8 buffers; it "
                    "is crafted or corrupt. Nothing was run."
                )
        numpy_pickle.NumpyUnpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build

    # -- lengths declared by the file are checked before anything is allocated

    def _remaining(self) -> int | None:
        """Bytes left: in the current pickle frame plus in the file, if known."""
        handle = self.file_handle
        frame = getattr(getattr(self, "_unframer", None), "current_frame", None)
        in_frame = frame.getbuffer().nbytes - frame.tell() if frame else 0
        try:
            if isinstance(handle, io.BytesIO):
                return in_frame + handle.getbuffer().nbytes - handle.tell()
            left = os.fstat(handle.fileno()).st_size - handle.tell()
            return in_frame + int(left)
        except (AttributeError, OSError, ValueError):
            return None  # a decompressing or remote file: read in chunks

    def _sized(self, length: int) -> bytes:
        remaining = self._remaining()
        if length < 0 or (remaining is not None and length > remaining):
            raise EnvelopeError(
                f"{self.filename or 'The file'} declares a {length}-byte value but "
                f"holds only {remaining} more bytes: it is truncated or crafted."
            )
        if remaining is not None:
            data: bytes = self.read(length)
        else:
            parts = []
            left = length
            while left:
                part = self.read(min(left, _READ_CHUNK))
                if not part:
                    break
                parts.append(part)
                left -= len(part)
            data = b"".join(parts)
        if len(data) != length:
            raise EnvelopeError(
                f"{self.filename or 'The file'} ends inside a {length}-byte value: "
                "it is truncated."
            )
        return data

    def load_binbytes8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        self.append(self._sized(length))

    def load_bytearray8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        self.append(bytearray(self._sized(length)))

    def load_binunicode8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        self.append(str(self._sized(length), "utf-8", "surrogatepass"))

    def load_binbytes(self) -> None:
        (length,) = struct.unpack("<I", self.read(4))
        self.append(self._sized(length))

    def load_binunicode(self) -> None:
        (length,) = struct.unpack("<I", self.read(4))
        self.append(str(self._sized(length), "utf-8", "surrogatepass"))

    dispatch[pickle.BINBYTES8[0]] = load_binbytes8
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8
    dispatch[pickle.BINUNICODE8[0]] = load_binunicode8
    dispatch[pickle.BINBYTES[0]] = load_binbytes
    dispatch[pickle.BINUNICODE[0]] = load_binunicode


def _outer_of(source: Any, mmap_mode: str | None) -> _Outer:
    """Read a whole wrapped-model file, local or remote, with the restricted reader."""
    if is_url(source):
        with open_url(source, block_size=_REMOTE_BLOCK_SIZE) as remote:
            return _read_outer(remote, None)
    return _read_outer(source, mmap_mode)


def _read_outer(source: Any, mmap_mode: str | None) -> _Outer:
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if isinstance(source, str):
        if os.path.isdir(source):
            raise EnvelopeError(f"{source!r} is a directory, not a model file.")
        if not os.path.exists(source):
            raise EnvelopeError(f"{source!r} does not exist.")
        cm: Any = open(source, "rb")  # noqa: SIM115 - closed below
        filename = source
    else:
        cm = contextlib.nullcontext(source)
        name = getattr(source, "name", "")
        filename = name if isinstance(name, str) else ""
        mmap_mode = None  # only a path can be memory-mapped
    with cm as handle:
        start = handle.tell()
        compression = detect_compression(handle.read(8))
        handle.seek(start)
        fobj: Any = handle
        if compression is not None:
            # Our own bounded decompression: joblib's loops forever on data after
            # the end of a zlib stream. Compressed files cannot be mapped.
            what = filename or "the file"
            fobj = io.BufferedReader(InflatingFile(handle, compression, what))
            mmap_mode = None
        unpickler = _OuterUnpickler(filename, fobj, mmap_mode is None, mmap_mode)
        try:
            outer = unpickler.load()
        except VersionedEstimatorError:
            raise
        except Exception as exc:
            raise EnvelopeError(
                f"{filename or 'The file'} cannot be read to the end "
                f"({type(exc).__name__}: {exc}): it is truncated or corrupt."
            ) from exc
    if not isinstance(outer, _Outer):
        raise EnvelopeError(f"{filename or 'The file'} is not a wrapped model.")
    if not isinstance(outer.stream, bytes) or not isinstance(outer.buffers, list):
        raise EnvelopeError(f"{filename or 'The file'} has a malformed payload.")
    for buffer in outer.buffers:
        if not (
            isinstance(buffer, np.ndarray)
            and buffer.dtype == np.uint8
            and buffer.ndim == 1
        ):
            raise EnvelopeError(
                f"{filename or 'The file'} holds a payload buffer that is not raw "
                "bytes: it is crafted or corrupt."
            )
    return outer


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
) -> VersionedEstimator:
    """Load a wrapped model safely and eagerly.

    In order: the file's head is read without trusting it; the outer pickle is
    read with a reader that admits only the wrapper's own loader and array
    buffers; the signature (with a key) and the payload digest are checked;
    the environment is compared with the envelope; the inner stream is
    unpickled admitting only the built-in allow-list and ``trusted``; the probe
    is replayed.

    Parameters
    ----------
    source : str, path-like, bytes or binary file object
    on_mismatch : {"warn", "error", "ignore"}, default="warn"
    on_drift : {"warn", "error", "ignore"}, optional
        Defaults to the configured policy (``"warn"``).
    trusted : sequence of str
        Extra ``"module.qualname"`` globals to admit (your own classes).
    module_aliases : dict, optional
        ``{"old.module": "new.module"}`` for code that moved.
    mmap_mode : {None, "r", "r+", "c"}
        Memory-map the array buffers of an uncompressed file.
    key : str or bytes, optional
        Verify the HMAC-SHA256 signature (default: ``VERSIONED_ESTIMATOR_KEY``).
    verify : {"full", "fast"}, default="full"
        Hash every byte, or only the object graph and the buffer sizes.

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
    if verify not in VERIFY:
        raise ValueError(f"verify={verify!r}; expected 'full' or 'fast'.")
    config = get_config()
    policy = Policy(
        on_mismatch=on_mismatch,
        on_drift=on_drift or config["on_drift"],
        verify=verify,
        module_aliases=normalize_aliases(module_aliases),
        key=resolve_key(key),
    )
    policy.gate = TrustGate(normalize_trusted(trusted))
    # Refuse anything that is not ours before reading it all.
    head: Envelope | None = None
    if is_url(source) or not hasattr(source, "read"):
        head = read_envelope(source)
    elif not isinstance(source, (str, os.PathLike)) and hasattr(source, "seek"):
        start = source.tell()
        head = read_envelope(source)
        source.seek(start)
    outer = _outer_of(source, mmap_mode)
    if head is not None and head.to_dict() != outer.envelope:
        raise EnvelopeError(
            "The envelope at the head of the file differs from the one its pickle "
            "builds (entries were amended after the head): the file is crafted. "
            "Nothing was unpickled."
        )
    model = seal(outer.envelope, outer.stream, outer.buffers, policy)
    del outer  # the model alone holds the buffers (see _materialize)
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


class _Signed:
    """Pickles as a signed copy of a wrapper's reduce tuple."""

    def __init__(self, reduced: Any) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self.reduced


def save(
    model: Any, path: Any, *, compress: Any = 0, key: str | bytes | None = None
) -> str:
    """Save a model atomically with joblib, wrapping a bare estimator first.

    The file is written to a temporary file beside ``path``, flushed to disk,
    then renamed over ``path``: a crash leaves the old file or the new one,
    never a partial one.

    Parameters
    ----------
    model : VersionedEstimator or fitted estimator
    path : str or path-like
    compress : int, bool, str or tuple, default=0
        As for ``joblib.dump``; an extension such as ``.gz`` selects a
        compressor when ``compress`` is 0. Compressed files cannot be
        memory-mapped.
    key : str or bytes, optional
        Sign the envelope with HMAC-SHA256 (default: ``VERSIONED_ESTIMATOR_KEY``).

    Returns
    -------
    str
        The path written.
    """
    wrapped = (
        model
        if isinstance(model, VersionedEstimator)
        else VersionedEstimator.wrap(model)
    )
    reduced = wrapped.__reduce_ex__(5)
    if not (isinstance(reduced, tuple) and reduced[0].__name__ == REBUILD_NAME):
        raise VersionedEstimatorError("Only a fitted model can be saved: fit it first.")
    secret = resolve_key(key)
    obj: Any = wrapped
    if secret is not None:
        envelope, stream, buffers = reduced[1]
        obj = _Signed((reduced[0], (sign(envelope, secret), stream, buffers)))
    if is_url(path):
        folder = tempfile.mkdtemp(prefix="versioned-estimator-")
        local = os.path.join(folder, path.rstrip("/").rpartition("/")[2] or "model")
        save(wrapped, local, compress=compress, key=key)
        upload(local, path)
        os.rmdir(os.path.dirname(local))
        return str(path)
    target: str = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(f"{target!r} is a directory; give a file path.")
    if not compress:
        ext = os.path.splitext(target)[1].lower()
        if ext in _EXTENSIONS:
            compress = (_EXTENSIONS[ext], 3)
    _remove_stale_temps(folder, os.path.basename(target))
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.{os.getpid()}.", suffix=".tmp", dir=folder
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            joblib.dump(obj, handle, compress=compress)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return target


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
        for name in self.globals:
            mark = (
                "DANGEROUS"
                if name in self.dangerous
                else ("untrusted" if name in self.untrusted else "allowed")
            )
            lines.append(f"  {mark:<9}  {name}")
        if self.error:
            lines.append(f"  dry run stopped: {self.error}")
        return "\n".join(lines)


def audit(source: Any, *, trusted: Sequence[str] = ()) -> AuditReport:
    """List the globals a saved model would import, without importing them.

    A dry-run unpickler records every ``find_class`` and returns inert stubs,
    so memo tricks that fool an opcode walk do not hide a name; nothing named
    by the file is imported or run.

    Parameters
    ----------
    source : path, bytes, binary file object or VersionedEstimator
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
        stream = source.__reduce_ex__(5)[1][1]
    else:
        if not hasattr(source, "read"):
            read_envelope(source)  # refuse anything that is not ours first
        stream = _outer_of(source, None).stream
    names, error = audit_stream(stream)
    allowed = set(normalize_trusted(trusted))
    untrusted = [
        n for n in names if n not in allowed and not is_allowed(*n.rsplit(".", 1))
    ]
    dangerous = [n for n in names if runs_code(*n.rsplit(".", 1))]
    return AuditReport(names, untrusted, dangerous, error)
