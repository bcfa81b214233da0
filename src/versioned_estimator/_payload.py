"""The payload: the wrapped estimator's own pickle, its buffers, their checksums.

Writing
-------
The inner estimator goes through the C pickler at protocol 5 with a
``buffer_callback``: the stream holds the object graph, and every contiguous
numpy array of at least ``INBAND_BELOW`` bytes leaves it as an out-of-band
buffer, handed on as a 1-D ``uint8`` array that views the model's own memory
(joblib writes such arrays raw and aligned, and maps them back with
``mmap_mode``). Smaller arrays stay in the stream: one buffer per tiny array
costs more in wrappers and checksums than it saves (HistGradientBoosting keeps
hundreds of arrays of a few hundred bytes).

Objects that only pickle by value (a lambda, a closure, a class defined in
``__main__`` or a notebook) make the C pickler fail or write a reference no
other process can resolve; the stream is then written by cloudpickle when it
is importable, so the wrapped model travels wherever the bare model does.

The uint8 views are kept per wrapper from one pickle to the next, keyed by
the memory they view: loky and joblib de-duplicate arrays by identity, so the
same view object, not a new one, must reach them each time the same model is
sent. A view only ever shows the model's memory as it is now.

Checksums
---------
Each part (the stream, each buffer) is checked in blocks of ``BLOCK_SIZE``
bytes, so that several threads share even one large array (the CRC-32
functions and ``hashlib`` release the GIL): CRC-32 for unsigned files, SHA-256
for signed ones (see ``_format`` for why). CRC-32 comes from ISA-L (the
``isal`` package, a dependency where it has wheels) when it imports: the same
checksum as ``zlib.crc32``, four to six times faster with the carry-less
multiply every x86-64 and ARMv8 CPU has, for blocks of a megabyte or more
(imported on the first one); else from zlib. They are computed
while the pickler writes the buffers and stored in the trailer, after the
buffers; the payload digest binds every part's size and block checksums.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import threading
import weakref
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import BuiltinFunctionType, FunctionType
from typing import Any

import numpy as np

from versioned_estimator._errors import IntegrityError
from versioned_estimator._format import BLOCK_SIZE, canonical_json

__all__ = [
    "Checksums",
    "Payload",
    "dump_inner",
    "format1_digests",
    "start_checksums",
    "verify_format1",
]

PROTOCOL = 5
INBAND_BELOW = 64 * 1024
# Below this many bytes in all, checksums are computed in the calling thread.
_THREADS_ABOVE = 4 * 1024 * 1024

# ----------------------------------------------------------------------------
# The inner pickler
# ----------------------------------------------------------------------------


class _ByValue(Exception):
    """The model holds code that only pickles by value."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _by_value_reason(obj: Any) -> str | None:
    """Why ``obj`` (a class or function) cannot be pickled by reference, if so."""
    module = getattr(obj, "__module__", None)
    qualname = str(getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "?"))
    if module == "__main__":
        return f"{qualname}, defined in __main__ (a script or notebook)"
    if module is None:
        return f"{qualname}, which belongs to no module"
    if "<lambda>" in qualname:
        return f"a lambda in {module}"
    if "<locals>" in qualname:
        return f"{qualname}, defined inside a function"
    return None


def _global_name(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None)
    if isinstance(obj, np.ufunc) and not module:
        # numpy and scipy ufuncs pickle by name (numpy finds their module).
        module = "numpy" if getattr(np, obj.__name__, None) is obj else "scipy.special"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(module, str) and isinstance(name, str):
        return f"{module}.{name}"
    return None


def _class_facts(kind: type) -> tuple[str | None, tuple[str, ...], str | None]:
    """What pickling ``kind`` records: its name, the modules of its bases (a
    user's subclass of LogisticRegression needs scikit-learn too), and why
    it pickles only by value, if it does."""
    modules = tuple(
        base.__module__
        for base in kind.__mro__[1:]
        if isinstance(getattr(base, "__module__", None), str)
    )
    return _global_name(kind), modules, _by_value_reason(kind)


#: :func:`_class_facts` by class (a model pickles a few classes, again at
#: every pickle), for as long as the class lives.
_CLASSES: weakref.WeakKeyDictionary[
    type, tuple[str | None, tuple[str, ...], str | None]
] = weakref.WeakKeyDictionary()


class _Recorder:
    """What the pickler saw: globals, the modules of their bases, and memmaps."""

    def __init__(self, by_value: bool) -> None:
        self.globals: set[str] = set()
        self.modules: set[str] = set()
        self.by_value = by_value

    def see(self, obj: Any) -> Any:
        if type(obj) is np.ndarray or isinstance(obj, np.dtype):
            return NotImplemented  # a model's most common objects
        if isinstance(obj, type):
            found = _CLASSES.get(obj)
            if found is None:
                found = _CLASSES[obj] = _class_facts(obj)
            name, modules, reason = found
            if name:
                self.globals.add(name)
            self.modules.update(modules)
            if reason and not self.by_value:
                raise _ByValue(reason)
        elif isinstance(obj, (FunctionType, BuiltinFunctionType, np.ufunc)):
            name = _global_name(obj)
            if name:
                self.globals.add(name)
            if not self.by_value and isinstance(obj, FunctionType):
                reason = _by_value_reason(obj)
                if reason:
                    raise _ByValue(reason)
        elif isinstance(obj, np.memmap):
            # A model loaded with mmap_mode holds memmaps: pickle them as plain
            # ndarray views so they leave the stream out-of-band, uncopied.
            return obj.view(np.ndarray).__reduce_ex__(PROTOCOL)
        return NotImplemented


class _InnerPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, callback: Callable[[Any], Any]) -> None:
        super().__init__(file, protocol=PROTOCOL, buffer_callback=callback)
        self.recorder = _Recorder(by_value=False)

    def reducer_override(self, obj: Any) -> Any:
        return self.recorder.see(obj)


def _cloud_pickler() -> type[pickle.Pickler] | None:
    try:
        import cloudpickle
    except ImportError:
        return None
    base: type[pickle.Pickler] = cloudpickle.Pickler

    class _CloudInnerPickler(base):  # type: ignore[misc, valid-type]
        def __init__(self, file: io.BytesIO, callback: Callable[[Any], Any]) -> None:
            super().__init__(file, protocol=PROTOCOL, buffer_callback=callback)
            self.recorder = _Recorder(by_value=True)

        def reducer_override(self, obj: Any) -> Any:
            found = self.recorder.see(obj)
            if found is not NotImplemented:
                return found
            return super().reducer_override(obj)

    return _CloudInnerPickler


class Payload:
    """The wrapped estimator as a stream, its buffers, and what the stream names.

    Attributes
    ----------
    stream : bytes
    buffers : list of numpy.ndarray
        1-D ``uint8`` views of the model's memory.
    globals : tuple of str
        ``"module.qualname"`` of every class and function the stream names.
    modules : tuple of str
        Modules the model needs: those of its globals and their base classes.
    pickler : str
        ``"pickle"`` or ``"cloudpickle"`` (code stored by value).
    """

    __slots__ = ("buffers", "by_value", "globals", "modules", "pickler", "stream")

    def __init__(
        self,
        stream: bytes,
        buffers: list[np.ndarray],
        globals_: Sequence[str],
        modules: Sequence[str] = (),
        pickler: str = "pickle",
        by_value: str | None = None,
    ) -> None:
        self.stream = stream
        self.buffers = buffers
        self.globals = tuple(globals_)
        self.modules = tuple(
            sorted({g.rpartition(".")[0] for g in self.globals} | set(modules))
        )
        self.pickler = pickler
        self.by_value = by_value


def _address(view: np.ndarray) -> int:
    return int(view.__array_interface__["data"][0])


def dump_inner(
    obj: Any,
    *,
    views: dict[tuple[int, int], np.ndarray] | None = None,
    inband_below: int = INBAND_BELOW,
) -> Payload:
    """Pickle ``obj`` at protocol 5, its larger arrays out-of-band.

    Parameters
    ----------
    obj : object
    views : dict, optional
        The uint8 views of the last pickle of the same model, by (address,
        size); replaced, in place, by this pickle's.
    inband_below : int
        Arrays smaller than this stay in the stream.

    Examples
    --------
    >>> import numpy as np
    >>> payload = dump_inner({"weights": np.arange(10_000.0), "bias": np.ones(2)})
    >>> [b.nbytes for b in payload.buffers]
    [80000]
    >>> "numpy.dtype" in payload.globals
    True
    """
    previous = dict(views) if views else {}
    found: dict[tuple[int, int], np.ndarray] = {}
    buffers: list[np.ndarray] = []

    def keep(buffer: pickle.PickleBuffer) -> bool:
        raw = buffer.raw()
        if raw.nbytes < inband_below:
            return True  # in-band
        view = np.frombuffer(raw, dtype=np.uint8)
        key = (_address(view), view.nbytes)
        cached = previous.get(key)
        if cached is not None:
            view = cached
        found[key] = view
        buffers.append(view)
        return False

    out = io.BytesIO()
    pickler: Any = _InnerPickler(out, keep)
    pickler_name = "pickle"
    by_value: str | None = None
    try:
        pickler.dump(obj)
    except (_ByValue, pickle.PicklingError, AttributeError, TypeError) as exc:
        reason = exc.what if isinstance(exc, _ByValue) else None
        cloud = _cloud_pickler()
        if cloud is None or (reason is None and not _looks_by_value(exc)):
            if reason is not None:
                raise pickle.PicklingError(
                    f"The model holds {reason}, which pickle can only store by "
                    "value: install cloudpickle (pip install cloudpickle), or move "
                    "the code into a module."
                ) from exc
            raise
        buffers.clear()
        found.clear()
        out = io.BytesIO()
        pickler = cloud(out, keep)  # type: ignore[arg-type]
        pickler.dump(obj)
        pickler_name = "cloudpickle"
        by_value = reason or str(exc)
    if views is not None:
        views.clear()
        views.update(found)
    recorder: _Recorder = pickler.recorder
    return Payload(
        out.getvalue(),
        buffers,
        sorted(recorder.globals),
        sorted(recorder.modules),
        pickler_name,
        by_value,
    )


def _looks_by_value(exc: BaseException) -> bool:
    text = str(exc)
    return any(
        mark in text
        for mark in ("<lambda>", "<locals>", "__main__", "attribute lookup", "Can't")
    )


# ----------------------------------------------------------------------------
# Checksums
# ----------------------------------------------------------------------------


#: Bytes zlib sums in a process before isal is imported: importing isal
#: costs about a millisecond, what zlib takes over 4 MiB (measured: 0.96 ms
#: for 4 MiB, isal 0.16 ms), so a small model's first load does not pay
#: for the import, and a process that sums more pays for it once.
_ISAL_FROM = 4 << 20
_zlib_summed = 0


@functools.cache
def _fast_crc32() -> Callable[[memoryview], int]:
    try:
        from isal.isal_zlib import crc32
    except ImportError:  # no wheel for this platform: zlib's, the same checksum
        return zlib.crc32
    return crc32


def _crc32(block: memoryview) -> str:
    global _zlib_summed
    if _zlib_summed + block.nbytes < _ISAL_FROM:
        _zlib_summed += block.nbytes  # a race only moves the switch
        return f"{zlib.crc32(block):08x}"
    return f"{_fast_crc32()(block):08x}"


def _sha256(block: memoryview) -> str:
    return hashlib.sha256(block).hexdigest()


CHECKSUMS: Mapping[str, Callable[[memoryview], str]] = {
    "crc32": _crc32,
    "sha256": _sha256,
}

_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """A process-wide pool of checksum threads (recreated after a fork)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            workers = max(1, min(4, os.cpu_count() or 1))
            _pool = (
                os.getpid(),
                ThreadPoolExecutor(workers, thread_name_prefix="ve-checksum"),
            )
        return _pool[1]


def _blocks(data: Any) -> list[memoryview]:
    view = memoryview(data).cast("B")
    if view.nbytes <= BLOCK_SIZE:
        return [view]
    return [view[i : i + BLOCK_SIZE] for i in range(0, view.nbytes, BLOCK_SIZE)]


class Checksums:
    """Block checksums of a stream and its buffers, computed in the background.

    ``result()`` waits and returns the trailer's record::

        {"algorithm", "block_size", "stream": {"nbytes", "blocks"},
         "buffers": [{"nbytes", "blocks"}, ...], "digest"}
    """

    def __init__(self, algorithm: str, parts: Sequence[Any]) -> None:
        self.algorithm = algorithm
        func = CHECKSUMS[algorithm]
        self.sizes = [memoryview(part).nbytes for part in parts]
        blocks = [_blocks(part) for part in parts]
        self._counts = [len(b) for b in blocks]
        flat = [block for part in blocks for block in part]
        self._futures: list[Future[str]] | None = None
        self._values: list[str] | None = None
        if sum(self.sizes) > _THREADS_ABOVE:
            pool = _executor()
            self._futures = [pool.submit(func, block) for block in flat]
        else:
            self._values = [func(block) for block in flat]

    def values(self) -> list[list[str]]:
        """Per part, its block checksums (waits for the threads)."""
        if self._values is None:
            assert self._futures is not None
            self._values = [future.result() for future in self._futures]
            self._futures = None
        out = []
        start = 0
        for count in self._counts:
            out.append(self._values[start : start + count])
            start += count
        return out

    def result(self) -> dict[str, Any]:
        values = self.values()
        record = {
            "algorithm": self.algorithm,
            "block_size": BLOCK_SIZE,
            "stream": {"nbytes": self.sizes[0], "blocks": values[0]},
            "buffers": [
                {"nbytes": n, "blocks": v}
                for n, v in zip(self.sizes[1:], values[1:], strict=True)
            ],
        }
        record["digest"] = payload_digest(record)
        return record


def start_checksums(algorithm: str, stream: bytes, buffers: Sequence[Any]) -> Checksums:
    """Start checksumming ``stream`` and ``buffers`` (in threads when large).

    Examples
    --------
    >>> record = start_checksums("crc32", b"abc", [b"xyz"]).result()
    >>> record["stream"], record["buffers"][0]["nbytes"]
    ({'nbytes': 3, 'blocks': ['352441c2']}, 3)
    """
    return Checksums(algorithm, [stream, *buffers])


def payload_digest(record: Mapping[str, Any]) -> str:
    """SHA-256 over every part's size and block checksums, in order: no part
    can be resized, reordered or replaced by its own checksums unnoticed."""
    parts = [record["stream"], *record["buffers"]]
    bound = [
        record["algorithm"],
        record["block_size"],
        [[part["nbytes"], list(part["blocks"])] for part in parts],
    ]
    return hashlib.sha256(canonical_json(bound)).hexdigest()


class BlockHasher:
    """Checksums blocks as a reader reads them, in the background."""

    def __init__(self, algorithm: str, sizes: Sequence[int]) -> None:
        self.algorithm = algorithm
        self._func = CHECKSUMS[algorithm]
        self._sizes = list(sizes)
        self._futures: list[list[Future[str] | str]] = [[] for _ in sizes]
        self._pool = _executor() if sum(sizes) > _THREADS_ABOVE else None

    def add(self, index: int, block: memoryview) -> None:
        if index >= len(self._futures):
            return  # a size mismatch, reported by the check that follows
        if self._pool is not None:
            self._futures[index].append(self._pool.submit(self._func, block))
        else:
            self._futures[index].append(self._func(block))

    def values(self) -> list[list[str]]:
        return [
            [f if isinstance(f, str) else f.result() for f in part]
            for part in self._futures
        ]


# ----------------------------------------------------------------------------
# Verification
# ----------------------------------------------------------------------------


def outputs_checksum(outputs: Mapping[str, Any]) -> str:
    """The CRC-32 of a trailer's probe outputs (their canonical JSON), so
    that damage to them reads as damage, not as a model that drifted (a
    signature, when there is one, covers them besides).

    Examples
    --------
    >>> outputs_checksum({})
    'a3a6bf43'
    """
    return _crc32(memoryview(canonical_json(dict(outputs))))


def verify_outputs(probe: Mapping[str, Any] | None) -> None:
    """Raise :class:`IntegrityError` when the probe outputs do not match the
    checksum beside them (files written before it was kept have none)."""
    if not probe or "checksum" not in probe:
        return
    if outputs_checksum(probe.get("outputs") or {}) != probe["checksum"]:
        raise IntegrityError(
            "The checksum of the probe's saved outputs does not match the "
            "trailer: the file changed after the model was saved. Do not use "
            "this file; restore it from a trusted copy."
        )


def verify_checksums(
    record: Mapping[str, Any],
    stream: bytes,
    buffers: Sequence[Any],
    *,
    full: bool,
    buffer_values: list[list[str]] | None = None,
) -> None:
    """Check the payload against its trailer record; raise :class:`IntegrityError`.

    With ``full=False`` only the stream and the buffer sizes are checked
    (reading every page of a memory-mapped buffer defeats mmap).
    ``buffer_values`` are block checksums already computed while reading.
    """
    saved = list(record["buffers"])
    if len(saved) != len(buffers):
        raise IntegrityError(
            f"The file holds {len(buffers)} array buffers but its trailer lists "
            f"{len(saved)}: the file was truncated or altered after it was written."
        )
    for i, (entry, buf) in enumerate(zip(saved, buffers, strict=True)):
        nbytes = memoryview(buf).nbytes
        if nbytes != entry["nbytes"]:
            raise IntegrityError(
                f"Array buffer {i} has {nbytes} bytes, the trailer says "
                f"{entry['nbytes']}: the file was altered after it was written."
            )
    if payload_digest(record) != record["digest"]:
        raise IntegrityError(
            "The payload digest does not match the checksums it binds: the trailer "
            "was altered after the model was saved."
        )
    algorithm = record["algorithm"]
    func = CHECKSUMS[algorithm]
    if len(stream) != record["stream"]["nbytes"] or [
        func(b) for b in _blocks(stream)
    ] != list(record["stream"]["blocks"]):
        raise IntegrityError(
            "The checksum of the pickled object graph (inner stream) does not match "
            "the trailer: the file changed after the model was saved. Do not use "
            "this file; restore it from a trusted copy."
        )
    if not full:
        return
    if buffer_values is None:
        buffer_values = Checksums(algorithm, [b"", *buffers]).values()[1:]
    bad = [
        str(i)
        for i, (found, entry) in enumerate(zip(buffer_values, saved, strict=True))
        if found != list(entry["blocks"])
    ]
    if bad:
        raise IntegrityError(
            f"The checksum of array buffer(s) {', '.join(bad)} does not match the "
            "trailer: the model's arrays changed after it was saved. Do not use "
            "this file; restore it from a trusted copy."
        )


# -- format 1: SHA-256 per part (a tree of 8 MiB blocks), digest in the head ---


def _format1_part(data: Any) -> str:
    digests = [hashlib.sha256(block).digest() for block in _blocks(data)]
    if len(digests) == 1:
        return digests[0].hex()
    return hashlib.sha256(b"".join(digests)).hexdigest()


def format1_digests(stream: bytes, buffers: Sequence[Any]) -> dict[str, Any]:
    """The payload record format 1 wrote into the head (for reference files)."""
    parts = [stream, *buffers]
    sizes = [memoryview(part).nbytes for part in parts]
    digests = [_format1_part(part) for part in parts]
    return {
        "protocol": PROTOCOL,
        "algorithm": "sha256",
        "block_size": BLOCK_SIZE,
        "digest": hashlib.sha256("".join(digests).encode("ascii")).hexdigest(),
        "nbytes": sum(sizes),
        "stream": {"nbytes": sizes[0], "digest": digests[0]},
        "buffers": [
            {"nbytes": n, "digest": d}
            for n, d in zip(sizes[1:], digests[1:], strict=True)
        ],
    }


def verify_format1(
    record: Mapping[str, Any], stream: bytes, buffers: Sequence[Any], *, full: bool
) -> None:
    """Check a format 1 payload against the record in its head.

    Every part's size is checked first: format 1's digest alone does not bind
    sizes (a stream of two 8 MiB blocks has the digest of the 64 bytes of its
    block digests).
    """
    saved = list(record.get("buffers", []))
    if len(saved) != len(buffers):
        raise IntegrityError(
            f"The file holds {len(buffers)} array buffers but its envelope lists "
            f"{len(saved)}: the file was truncated or altered after it was written."
        )
    sizes = [memoryview(b).nbytes for b in buffers]
    if len(stream) != record["stream"]["nbytes"] or any(
        n != entry["nbytes"] for n, entry in zip(sizes, saved, strict=True)
    ):
        raise IntegrityError(
            "A part of the payload does not have the size its envelope records: "
            "the file was altered after it was written."
        )
    if _format1_part(stream) != record["stream"]["digest"]:
        raise IntegrityError(
            "The digest of the pickled object graph (inner stream) does not match "
            "the envelope: the file changed after the model was saved. Do not use "
            "this file; restore it from a trusted copy."
        )
    if not full:
        return
    found = format1_digests(stream, buffers)
    if found["digest"] != record.get("digest"):
        bad = [
            str(i)
            for i, (a, b) in enumerate(zip(found["buffers"], saved, strict=True))
            if a["digest"] != b.get("digest")
        ]
        raise IntegrityError(
            f"The payload digest does not match the envelope: array buffer(s) "
            f"{', '.join(bad) or '?'} changed after the model was saved. Do not "
            "use this file; restore it from a trusted copy."
        )
