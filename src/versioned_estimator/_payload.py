"""The payload: the wrapped estimator's own pickle, its buffers, their digests.

The inner estimator goes through the C pickler at protocol 5 with a
``buffer_callback``: the stream holds the object graph, and every contiguous
numpy array leaves it as an out-of-band buffer, handed on as a 1-D ``uint8``
array that views the model's own memory (joblib writes such arrays raw and
aligned, and maps them back with ``mmap_mode``).

Digests are SHA-256, per part: the stream, and each buffer hashed as a tree of
8 MiB blocks so that several threads share even one large array (hashlib
releases the GIL). The payload digest is the SHA-256 of the part digests.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import BuiltinFunctionType, FunctionType
from typing import Any

import numpy as np

from versioned_estimator._errors import IntegrityError

__all__ = ["Payload", "dump_inner", "load_inner", "payload_digests", "verify_payload"]

PROTOCOL = 5
BLOCK_SIZE = 8 * 1024 * 1024
_PARALLEL_ABOVE = 16 * 1024 * 1024

# ----------------------------------------------------------------------------
# Dumping
# ----------------------------------------------------------------------------


class _InnerPickler(pickle.Pickler):
    """C pickler that records the globals it writes and unwraps memmaps."""

    def __init__(self, file: io.BytesIO, buffers: list[pickle.PickleBuffer]) -> None:
        super().__init__(file, protocol=PROTOCOL, buffer_callback=buffers.append)
        self.globals: set[str] = set()
        self.modules: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type):
            self.globals.add(f"{obj.__module__}.{obj.__qualname__}")
            # A user's subclass of LogisticRegression needs scikit-learn too.
            self.modules.update(base.__module__ for base in obj.__mro__[1:])
        elif isinstance(obj, FunctionType):
            self.globals.add(f"{obj.__module__}.{obj.__qualname__}")
        elif isinstance(obj, BuiltinFunctionType):
            owner = getattr(obj, "__self__", None)
            module = getattr(obj, "__module__", None) or getattr(
                owner, "__name__", None
            )
            if module:
                self.globals.add(f"{module}.{obj.__qualname__}")
        elif isinstance(obj, np.memmap):
            # A model loaded with mmap_mode holds memmaps: pickle them as plain
            # ndarray views so they leave the stream out-of-band, uncopied.
            return obj.view(np.ndarray).__reduce_ex__(PROTOCOL)
        elif isinstance(obj, np.ufunc):
            self.globals.add(f"{obj.__module__ or 'numpy'}.{obj.__name__}")
        return NotImplemented


class Payload:
    """The wrapped estimator as a stream, its buffers, and what the stream names."""

    __slots__ = ("buffers", "globals", "modules", "stream")

    def __init__(
        self,
        stream: bytes,
        buffers: list[np.ndarray],
        globals_: Sequence[str],
        modules: Sequence[str] = (),
    ) -> None:
        self.stream = stream
        self.buffers = buffers
        self.globals = tuple(globals_)
        # Modules the model needs: those of its globals and their base classes.
        self.modules = tuple(
            sorted({g.rpartition(".")[0] for g in self.globals} | set(modules))
        )


def _as_uint8(buffer: pickle.PickleBuffer) -> np.ndarray:
    return np.frombuffer(buffer.raw(), dtype=np.uint8)


def dump_inner(estimator: Any) -> Payload:
    """Pickle ``estimator`` at protocol 5 with its arrays out-of-band.

    Examples
    --------
    >>> import numpy as np
    >>> payload = dump_inner({"weights": np.arange(4.0)})
    >>> [b.nbytes for b in payload.buffers]
    [32]
    >>> "numpy.dtype" in payload.globals
    True
    """
    raw: list[pickle.PickleBuffer] = []
    out = io.BytesIO()
    pickler = _InnerPickler(out, raw)
    pickler.dump(estimator)
    buffers = [_as_uint8(b) for b in raw]
    return Payload(
        out.getvalue(), buffers, sorted(pickler.globals), sorted(pickler.modules)
    )


# ----------------------------------------------------------------------------
# Digests
# ----------------------------------------------------------------------------


def _blocks(data: Any) -> list[memoryview]:
    view = memoryview(data).cast("B")
    if view.nbytes <= BLOCK_SIZE:
        return [view]
    return [view[i : i + BLOCK_SIZE] for i in range(0, view.nbytes, BLOCK_SIZE)]


def _sha256(data: Any) -> bytes:
    return hashlib.sha256(data).digest()


def _combine(block_digests: list[bytes]) -> str:
    if len(block_digests) == 1:
        return block_digests[0].hex()
    return hashlib.sha256(b"".join(block_digests)).hexdigest()


def payload_digests(stream: bytes, buffers: Sequence[Any]) -> dict[str, Any]:
    """Digest the stream and every buffer; return the envelope's payload record.

    Examples
    --------
    >>> record = payload_digests(b"abc", [b"xyz"])
    >>> record["stream"]["digest"][:12], record["buffers"][0]["nbytes"]
    ('ba7816bf8f01', 3)
    """
    parts = [stream, *buffers]
    blocks = [_blocks(part) for part in parts]
    flat = [block for part in blocks for block in part]
    total = sum(block.nbytes for block in flat)
    if total > _PARALLEL_ABOVE and len(flat) > 1:
        workers = max(1, min(len(flat), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            digests = list(pool.map(_sha256, flat))
    else:
        digests = [_sha256(block) for block in flat]
    part_digests: list[str] = []
    start = 0
    for part in blocks:
        part_digests.append(_combine(digests[start : start + len(part)]))
        start += len(part)
    sizes = [memoryview(part).nbytes for part in parts]
    return {
        "protocol": PROTOCOL,
        "algorithm": "sha256",
        "block_size": BLOCK_SIZE,
        "digest": hashlib.sha256("".join(part_digests).encode("ascii")).hexdigest(),
        "nbytes": sum(sizes),
        "stream": {"nbytes": sizes[0], "digest": part_digests[0]},
        "buffers": [
            {"nbytes": n, "digest": d}
            for n, d in zip(sizes[1:], part_digests[1:], strict=True)
        ],
    }


def verify_payload(
    record: Mapping[str, Any], stream: bytes, buffers: Sequence[Any], *, full: bool
) -> None:
    """Check the payload against its record; raise :class:`IntegrityError`.

    With ``full=False`` only the stream's digest and the buffer sizes are
    checked (reading every page of a memory-mapped buffer defeats mmap).
    """
    saved = record.get("buffers", [])
    if len(saved) != len(buffers):
        raise IntegrityError(
            f"The file holds {len(buffers)} array buffers but its envelope lists "
            f"{len(saved)}: the file was truncated or altered after it was written."
        )
    for i, (entry, buf) in enumerate(zip(saved, buffers, strict=True)):
        nbytes = memoryview(buf).nbytes
        if nbytes != entry.get("nbytes"):
            raise IntegrityError(
                f"Array buffer {i} has {nbytes} bytes, the envelope says "
                f"{entry.get('nbytes')}: the file was altered after it was written."
            )
    if full:
        found = payload_digests(stream, buffers)
        if found["digest"] == record.get("digest"):
            return
        if found["stream"]["digest"] != record.get("stream", {}).get("digest"):
            what = "the pickled object graph (inner stream)"
        else:
            bad = [
                str(i)
                for i, (a, b) in enumerate(zip(found["buffers"], saved, strict=True))
                if a["digest"] != b.get("digest")
            ]
            what = f"array buffer(s) {', '.join(bad)}"
        raise IntegrityError(
            f"The payload digest does not match the envelope: {what} changed after "
            "the model was saved. Do not use this file; restore it from a trusted copy."
        )
    found_stream = _combine([_sha256(b) for b in _blocks(stream)])
    if found_stream != record.get("stream", {}).get("digest"):
        raise IntegrityError(
            "The digest of the pickled object graph (inner stream) does not match "
            "the envelope: the file changed after the model was saved. Do not use "
            "this file; restore it from a trusted copy."
        )


# ----------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------


_NUMPY_2 = int(np.__version__.split(".")[0]) >= 2


def numpy_core_module(module: str) -> str:
    """Map numpy's core module between its numpy 1 and numpy 2 names.

    numpy 2 renamed ``numpy.core`` to ``numpy._core``: a numpy 2 pickle names
    ``numpy._core.numeric._frombuffer``, which numpy 1 cannot import, and a
    numpy 1 pickle names ``numpy.core``, which numpy 2 imports with a
    DeprecationWarning. The reconstructors are the same functions under both
    names (checked bit for bit across real numpy 1.26 and 2.x releases).

    Examples
    --------
    >>> numpy_core_module("numpy.core.multiarray") == (
    ...     "numpy._core.multiarray" if _NUMPY_2 else "numpy.core.multiarray")
    True
    >>> numpy_core_module("sklearn.tree._tree")
    'sklearn.tree._tree'
    """
    if _NUMPY_2 and (module == "numpy.core" or module.startswith("numpy.core.")):
        return "numpy._core" + module[len("numpy.core") :]
    if not _NUMPY_2 and (module == "numpy._core" or module.startswith("numpy._core.")):
        return "numpy.core" + module[len("numpy._core") :]
    return module


def apply_alias(module: str, aliases: Mapping[str, str]) -> str:
    """Map ``module`` through ``{"old": "new"}`` aliases, longest prefix first.

    Examples
    --------
    >>> apply_alias("models.trees", {"models": "classifiers"})
    'classifiers.trees'
    >>> apply_alias("modelsx", {"models": "classifiers"})
    'modelsx'
    """
    for old in sorted(aliases, key=len, reverse=True):
        if module == old or module.startswith(old + "."):
            return aliases[old] + module[len(old) :]
    return module


_FROMBUFFER = {
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
}


class _InnerUnpickler(pickle.Unpickler):
    """C unpickler with module aliases and an optional gate on every global.

    It also keeps a weak reference to each array rebuilt from an out-of-band
    buffer, to tell afterwards whether the model still views the buffers or
    copied them (scikit-learn's trees do).
    """

    def __init__(
        self,
        file: io.BytesIO,
        buffers: Sequence[Any],
        aliases: Mapping[str, str],
        gate: Callable[[str, str], Any] | None,
    ) -> None:
        super().__init__(file, buffers=buffers)
        self._aliases = aliases
        self._gate = gate
        self.views: list[weakref.ref[Any]] = []

    def find_class(self, module: str, name: str) -> Any:
        if self._aliases:
            module = apply_alias(module, self._aliases)
        module = numpy_core_module(module)
        if self._gate is not None:
            replacement = self._gate(module, name)
            if replacement is not None:
                return replacement
        found = super().find_class(module, name)
        if (module, name) in _FROMBUFFER:
            return self._tracked(found)
        return found

    def _tracked(self, frombuffer: Callable[..., Any]) -> Callable[..., Any]:
        # The closure must not hold the unpickler: the memo holds this function,
        # and a cycle would keep every rebuilt array alive until the next GC.
        views = self.views

        def rebuild(*args: Any, **kwargs: Any) -> Any:
            array = frombuffer(*args, **kwargs)
            views.append(weakref.ref(array))
            return array

        return rebuild


def load_inner(
    stream: bytes,
    buffers: Sequence[Any],
    *,
    aliases: Mapping[str, str] | None = None,
    gate: Callable[[str, str], Any] | None = None,
) -> tuple[Any, bool]:
    """Unpickle the inner stream with its buffers (zero-copy views).

    ``gate(module, name)`` sees every global after aliasing; it returns None to
    let it resolve, or an object to use in its place.

    Returns
    -------
    estimator : object
    views_buffers : bool
        True when every array rebuilt from a buffer is still alive once the
        unpickler is gone: the estimator views the buffers rather than copies.
    """
    unpickler = _InnerUnpickler(io.BytesIO(stream), buffers, aliases or {}, gate)
    estimator = unpickler.load()
    views = unpickler.views
    unpickler.memo.clear()  # the memo holds every rebuilt array
    del unpickler
    views_buffers = len(views) >= len(buffers) and all(v() is not None for v in views)
    return estimator, views_buffers
