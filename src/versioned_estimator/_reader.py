"""Reading the envelope without trusting the file.

:func:`read_head` interprets just enough of a pickle stream to rebuild the
envelope dict that opens it, and stops there: it never resolves a global (the
one it accepts, ``versioned_estimator._rebuild``, is only compared by name),
never imports a library, never builds an object other than dicts, lists,
tuples, str, int, float, bool and None, and never reads the payload. Its cost
depends on the envelope, not on the model: the head of a 1 GB file costs what
the head of a 1 KB one does.

Files written by ``pickle``, by ``joblib.dump`` (uncompressed, or compressed
with zlib, gzip, bz2, lzma/xz; lz4 when the lz4 package is installed) and by
:func:`versioned_estimator.save` are all read the same way; for compressed
files only the head is decompressed.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import pickle
import struct
import zlib
from collections.abc import Callable
from typing import IO, Any

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import (
    MAX_ENVELOPE_BYTES,
    REBUILD_MODULE,
    REBUILD_NAME,
    plain_data_problem,
)

__all__ = ["InflatingFile", "detect_compression", "open_source", "read_head"]

_CHUNK = 16 * 1024

# ----------------------------------------------------------------------------
# Byte sources (plain or decompressed on the fly)
# ----------------------------------------------------------------------------

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x5d\x00\x00", "lzma"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"\x78", "zlib"),
)
_ZIP_MAGIC = b"PK\x03\x04"


class _Source:
    """Reads exactly ``n`` bytes at a time from a raw file, decompressing if needed.

    Decompression is bounded: each step inflates at most what the reader still
    needs (or one chunk), so a compression bomb in the head costs what its
    envelope would, not what it expands to.
    """

    def __init__(self, raw: IO[bytes], what: str) -> None:
        self._raw = raw
        self.what = what
        self.compression: str | None = None
        self._buffer = bytearray()
        self._pos = 0
        self._inflater: _Inflater | None = None
        self._consumed = 0
        first = self._raw_read(8)
        for magic, name in _MAGIC:
            if first.startswith(magic):
                self.compression = name
                break
        if self.compression is not None:
            self._inflater = _Inflater(self.compression, what)
            self._inflate(first, _CHUNK)
        else:
            self._buffer += first

    def _raw_read(self, n: int) -> bytes:
        data = self._raw.read(n)
        if data is None:
            data = b""
        if not isinstance(data, bytes):
            data = bytes(data)
        return data

    def _inflate(self, data: bytes, limit: int) -> None:
        assert self._inflater is not None
        try:
            self._buffer += self._inflater.inflate(data, limit)
        except (
            OSError,
            EOFError,
            ValueError,
            RuntimeError,
            zlib.error,
            lzma.LZMAError,
        ) as exc:
            raise EnvelopeError(
                f"{self.what} looks {self.compression}-compressed but does not "
                f"decompress ({exc}): it is corrupt or not a joblib file."
            ) from exc

    def _truncated(self) -> EnvelopeError:
        return EnvelopeError(
            f"{self.what} ends inside its envelope (after "
            f"{self._consumed + len(self._buffer) - self._pos} bytes): the file is "
            "truncated."
        )

    def _fill(self, n: int) -> None:
        if self._pos > _CHUNK:
            del self._buffer[: self._pos]
            self._pos = 0
        while len(self._buffer) - self._pos < n:
            want = n - (len(self._buffer) - self._pos)
            inflater = self._inflater
            if inflater is None:
                chunk = self._raw_read(max(_CHUNK, want))
                if not chunk:
                    raise self._truncated()
                self._buffer += chunk
                continue
            if inflater.eof:
                raise self._truncated()
            chunk = b""
            if inflater.needs_input:
                chunk = self._raw_read(_CHUNK)
                if not chunk:
                    raise self._truncated()
            self._inflate(chunk, max(want, _CHUNK))

    def read(self, n: int) -> bytes:
        if self._consumed + n > MAX_ENVELOPE_BYTES:
            raise EnvelopeError(
                f"{self.what}: the envelope would exceed "
                f"{MAX_ENVELOPE_BYTES // (1024 * 1024)} MiB; the file is corrupt or "
                "not a versioned-estimator file."
            )
        self._fill(n)
        out = bytes(self._buffer[self._pos : self._pos + n])
        self._pos += n
        self._consumed += n
        return out

    @property
    def consumed(self) -> int:
        """How many (decompressed) bytes the reader has taken so far."""
        return self._consumed

    def readline(self) -> bytes:
        line = b""
        while not line.endswith(b"\n"):
            line += self.read(1)
            if len(line) > 4096:
                raise EnvelopeError(f"{self.what}: a text opcode line is too long.")
        return line


class _Inflater:
    """One interface over zlib, gzip, bz2, xz/lzma and lz4 frame decompressors,
    always called with an output limit."""

    def __init__(self, name: str, what: str) -> None:
        self._zlib = name in ("zlib", "gzip")
        self._obj: Any
        if name == "zlib":
            self._obj = zlib.decompressobj()
        elif name == "gzip":
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "bz2":
            self._obj = bz2.BZ2Decompressor()
        elif name in ("xz", "lzma"):
            self._obj = lzma.LZMADecompressor()
        else:
            try:
                import lz4.frame  # type: ignore[import-not-found]
            except ImportError as exc:
                raise EnvelopeError(
                    f"{what} is lz4-compressed; install the lz4 package to read it."
                ) from exc
            self._obj = lz4.frame.LZ4FrameDecompressor()

    @property
    def eof(self) -> bool:
        return bool(self._obj.eof)

    @property
    def needs_input(self) -> bool:
        if self._zlib:
            return not self._obj.unconsumed_tail
        return bool(self._obj.needs_input)

    def inflate(self, data: bytes, limit: int) -> bytes:
        """Decompress ``data`` (after any input held back), at most ``limit`` bytes."""
        if self._zlib:
            data = self._obj.unconsumed_tail + data
        out: bytes = self._obj.decompress(data, max(1, limit))
        return out


def detect_compression(first: bytes) -> str | None:
    """The joblib compressor whose magic number starts ``first``, if any.

    Examples
    --------
    >>> detect_compression(b"\\x80\\x05"), detect_compression(b"\\x1f\\x8b\\x08")
    (None, 'gzip')
    """
    for magic, name in _MAGIC:
        if first.startswith(magic):
            return name
    return None


class InflatingFile(io.RawIOBase):
    """A whole compressed file, decompressed as it is read, never ahead of need.

    Used by ``load`` for compressed joblib files instead of joblib's own
    decompressing files, which loop forever on data after the end of a zlib
    stream. A stream that ends early simply ends: the unpickler then reports a
    truncated file.
    """

    def __init__(self, raw: IO[bytes], compression: str, what: str) -> None:
        super().__init__()
        self._raw = raw
        self._what = what
        self._compression = compression
        self._inflater = _Inflater(compression, what)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = view.nbytes
        if not want:
            return 0
        stalls = 0
        while not self._pending:
            if self._inflater.eof:
                return 0
            chunk = b""
            if self._inflater.needs_input:
                chunk = self._raw.read(_CHUNK) or b""
                if not chunk:
                    return 0
            try:
                self._pending = self._inflater.inflate(chunk, max(want, _CHUNK))
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                raise EnvelopeError(
                    f"{self._what} looks {self._compression}-compressed but does not "
                    f"decompress ({exc}): it is corrupt."
                ) from exc
            stalls = 0 if self._pending or chunk else stalls + 1
            if stalls > 2:
                return 0
        take = min(want, len(self._pending))
        view[:take] = self._pending[:take]
        self._pending = self._pending[take:]
        return take


def open_source(source: Any) -> tuple[IO[bytes], bool, str]:
    """Open a path, bytes or binary file; return (file, whether to close, label)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True, "the given bytes"
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            raise EnvelopeError(f"{path!r} is a directory, not a model file.")
        try:
            return open(path, "rb"), True, repr(path)
        except FileNotFoundError as exc:
            raise EnvelopeError(f"{path!r} does not exist.") from exc
        except OSError as exc:
            raise EnvelopeError(f"{path!r} cannot be read: {exc}.") from exc
    if hasattr(source, "read"):
        return source, False, repr(getattr(source, "name", "the file object"))
    raise TypeError(
        "read_envelope takes a path, bytes or a binary file object; got "
        f"{type(source).__name__}."
    )


# ----------------------------------------------------------------------------
# The restricted opcode interpreter
# ----------------------------------------------------------------------------


class _Mark:
    pass


class _Rebuild:
    pass


_MARK = _Mark()
_REBUILD = _Rebuild()

# Far more opcodes and memo entries than any envelope needs (a search over 200
# candidates with a 1000-entry metadata list takes about 6000 opcodes); they
# bound what a crafted head can cost in time and memory.
MAX_OPCODES = 4_000_000
MAX_MEMO = 1_000_000

# Opcodes that may follow a complete-looking dict and still belong to it.
_CONTINUES = {b"(", b"s", b"u", b"\x94", b"q", b"r", b"p", b"\x95"}


def _describe_global(module: str, name: str) -> str:
    full = f"{module}.{name}"
    if module == "joblib.numpy_pickle":
        return f"a joblib file whose top-level object is built by {full} (arrays)"
    return f"a pickle whose top-level object is built by {full}"


class _Interpreter:
    def __init__(self, src: _Source) -> None:
        self.src = src
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.protocol = 0
        self.started = False

    # -- helpers ------------------------------------------------------------

    def fail(self, why: str) -> EnvelopeError:
        return EnvelopeError(f"{self.src.what} {why}")

    def pop_mark(self) -> list[Any]:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _MARK:
                items = self.stack[i + 1 :]
                del self.stack[i:]
                return items
        raise self.fail("is not a valid pickle (no MARK).")

    def pop(self) -> Any:
        if not self.stack:
            raise self.fail("is not a valid pickle (stack underflow).")
        return self.stack.pop()

    def text(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail("holds text that is not UTF-8.") from exc

    def sized(self, length: int) -> bytes:
        if length < 0 or length > MAX_ENVELOPE_BYTES:
            raise self.fail(f"declares a {length}-byte value in its envelope.")
        return self.src.read(length)

    def complete(self) -> dict[str, Any] | None:
        # Called before every opcode: constant time, whatever the stack holds
        # (the envelope is complete only when the stack is _rebuild, the dict
        # and at most a MARK or two).
        if len(self.stack) > 4:
            return None
        stack = [item for item in self.stack if item is not _MARK]
        if (
            len(stack) == 2
            and stack[0] is _REBUILD
            and isinstance(stack[1], dict)
            and stack[1]
            and self.stack[-1] is stack[1]
        ):
            return stack[1]
        return None

    def on_global(self, module: str, name: str) -> None:
        if not self.started:
            if (module, name) != (REBUILD_MODULE, REBUILD_NAME):
                raise EnvelopeError(
                    f"{self.src.what} is {_describe_global(module, name)}, not a model "
                    "saved through VersionedEstimator: wrap the estimator with "
                    "VersionedEstimator (or use versioned_estimator.save) and save "
                    "it again."
                )
            self.started = True
            self.stack.append(_REBUILD)
            return
        raise self.fail(
            f"names the global {module}.{name} inside its envelope, where only "
            "plain data belongs: it is corrupt or crafted."
        )

    # -- main loop ----------------------------------------------------------

    def run(self) -> dict[str, Any]:
        first = True
        for _ in range(MAX_OPCODES):
            op = self.src.read(1)
            if first:
                first = False
                # Protocols 0 and 1 have no PROTO opcode: a reduce starts with GLOBAL.
                if op not in (b"\x80", b"c"):
                    self.not_a_pickle(op)
            if self.started:
                envelope = self.complete()
                # Protocols 0 and 1 (no PROTO) may set one item at a time, so the
                # dict looks complete after every SETITEM: there it ends only
                # where the next argument, the stream's _codecs.encode, begins.
                if (
                    envelope is not None
                    and op not in _CONTINUES
                    and (self.protocol >= 2 or op == b"c")
                ):
                    return envelope
            self.step(op)
            if not self.started and len(self.stack) > 0 and op not in (b"\x80",):
                top = self.stack[-1]
                if isinstance(top, (dict, list)) or top is None:
                    kind = type(top).__name__ if top is not None else "None"
                    raise self.fail(
                        f"is a pickle whose top-level object is a plain {kind}, not "
                        "a model saved through VersionedEstimator."
                    )
        raise self.fail(
            f"runs past {MAX_OPCODES} opcodes without completing its envelope: it "
            "is crafted or corrupt."
        )

    def not_a_pickle(self, op: bytes) -> None:
        if op == b"P":
            raise self.fail("is a zip archive (a skops or MLflow file?), not a pickle.")
        if op == b"\x93":
            raise self.fail("is a .npy file, not a pickled model.")
        if op and op in b"(]})NILFVSXGJKMUT":
            raise self.fail(
                f"is not a wrapped model: a protocol 0 or 1 pickle of something else, "
                f"or not a pickle at all (it starts with byte {op.hex()})."
            )
        raise self.fail(
            f"is not a pickle (it starts with byte {op.hex() or 'nothing'}; a pickle "
            "starts with 80)."
        )

    def step(self, op: bytes) -> None:
        read = self.src.read
        push = self.stack.append
        if op == b"\x80":  # PROTO
            self.protocol = read(1)[0]
            if self.protocol > pickle.HIGHEST_PROTOCOL:
                raise self.fail(f"uses pickle protocol {self.protocol}, unknown here.")
        elif op == b"\x95":  # FRAME
            read(8)
        elif op == b"(":
            push(_MARK)
        elif op == b"}":
            push({})
        elif op == b"]":
            push([])
        elif op == b")":
            push(())
        elif op == b"d":
            items = self.pop_mark()
            push({})
            self.setitems(items)
        elif op == b"l":
            push(self.pop_mark())
        elif op == b"t":
            push(tuple(self.pop_mark()))
        elif op in (b"\x85", b"\x86", b"\x87"):
            n = op[0] - 0x84
            if len(self.stack) < n:
                raise self.fail("is not a valid pickle (short tuple).")
            items = self.stack[-n:]
            del self.stack[-n:]
            push(tuple(items))
        elif op == b"s":
            value, key = self.pop(), self.pop()
            self.setitems([key, value])
        elif op == b"u":
            self.setitems(self.pop_mark())
        elif op == b"a":
            value = self.pop()
            self.append([value])
        elif op == b"e":
            self.append(self.pop_mark())
        elif op == b"N":
            push(None)
        elif op == b"\x88":
            push(True)
        elif op == b"\x89":
            push(False)
        elif op == b"J":
            push(struct.unpack("<i", read(4))[0])
        elif op == b"K":
            push(read(1)[0])
        elif op == b"M":
            push(struct.unpack("<H", read(2))[0])
        elif op == b"\x8a":
            push(int.from_bytes(read(read(1)[0]), "little", signed=True))
        elif op == b"\x8b":
            push(
                int.from_bytes(
                    self.sized(struct.unpack("<i", read(4))[0]), "little", signed=True
                )
            )
        elif op in (b"I", b"L"):
            line = self.src.readline().strip().rstrip(b"L")
            if line in (b"00", b"01"):
                push(line == b"01")
            else:
                push(self.number(int, line))
        elif op == b"G":
            push(struct.unpack(">d", read(8))[0])
        elif op == b"F":
            push(self.number(float, self.src.readline().strip()))
        elif op == b"\x8c":
            push(self.text(read(read(1)[0])))
        elif op == b"X":
            push(self.text(self.sized(struct.unpack("<I", read(4))[0])))
        elif op == b"\x8d":
            push(self.text(self.sized(struct.unpack("<Q", read(8))[0])))
        elif op == b"V":
            try:
                push(self.src.readline()[:-1].decode("raw-unicode-escape"))
            except UnicodeDecodeError as exc:
                raise self.fail("holds a malformed text line.") from exc
        elif op == b"\x94":
            if not self.stack:
                raise self.fail("is not a valid pickle (MEMOIZE on empty stack).")
            self.remember(len(self.memo), self.stack[-1])
        elif op in (b"q", b"r", b"p"):
            if op == b"q":
                index = read(1)[0]
            elif op == b"r":
                index = struct.unpack("<I", read(4))[0]
            else:
                index = self.number(int, self.src.readline().strip())
            if not self.stack:
                raise self.fail("is not a valid pickle (PUT on empty stack).")
            self.remember(index, self.stack[-1])
        elif op in (b"h", b"j", b"g"):
            if op == b"h":
                index = read(1)[0]
            elif op == b"j":
                index = struct.unpack("<I", read(4))[0]
            else:
                index = self.number(int, self.src.readline().strip())
            if index not in self.memo:
                raise self.fail("is not a valid pickle (unknown memo entry).")
            push(self.memo[index])
        elif op == b"c":
            module = self.text(self.src.readline()[:-1])
            name = self.text(self.src.readline()[:-1])
            self.on_global(module, name)
        elif op == b"\x93":
            name, module = self.pop(), self.pop()
            if not (isinstance(module, str) and isinstance(name, str)):
                raise self.fail("is not a valid pickle (bad STACK_GLOBAL).")
            self.on_global(module, name)
        elif op == b".":
            raise self.fail("ends before its envelope is complete.")
        else:
            if not self.started:
                raise self.fail(
                    f"is a pickle whose top-level object is not a wrapped model "
                    f"(opcode {op!r} before any global)."
                )
            raise self.fail(
                f"holds the opcode {op!r} inside its envelope, where only plain data "
                "belongs: it is corrupt or crafted."
            )

    def remember(self, index: int, value: Any) -> None:
        if len(self.memo) >= MAX_MEMO and index not in self.memo:
            raise self.fail(f"memoizes more than {MAX_MEMO} values in its envelope.")
        self.memo[index] = value

    def number(self, kind: Callable[[str], Any], line: bytes) -> Any:
        try:
            return kind(line.decode("ascii"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise self.fail("is not a valid pickle (bad number).") from exc

    def setitems(self, items: list[Any]) -> None:
        target = self.pop()
        if not isinstance(target, dict) or len(items) % 2:
            raise self.fail("is not a valid pickle (SETITEMS on a non-dict).")
        for key, value in zip(items[::2], items[1::2], strict=True):
            try:
                target[key] = value
            except TypeError as exc:
                raise self.fail("holds an unhashable dict key.") from exc
        self.stack.append(target)

    def append(self, items: list[Any]) -> None:
        target = self.pop()
        if not isinstance(target, list):
            raise self.fail("is not a valid pickle (APPENDS on a non-list).")
        target.extend(items)
        self.stack.append(target)


def read_head(raw: IO[bytes], what: str) -> tuple[dict[str, Any], str | None]:
    """Read the envelope dict at the head of a pickle or joblib stream.

    Returns
    -------
    envelope : dict
        The raw envelope, not yet validated.
    compression : str or None
        The joblib compression of the file, if any.
    """
    src = _Source(raw, what)
    try:
        envelope = _Interpreter(src).run()
        _check_plain(envelope, src.consumed, what)
    except EnvelopeError:
        raise
    except RecursionError as exc:  # pragma: no cover - defensive
        raise EnvelopeError(f"{what} nests too deeply to be an envelope.") from exc
    except (struct.error, IndexError, TypeError, ValueError, OverflowError) as exc:
        raise EnvelopeError(f"{what} is not a valid pickle ({exc}).") from exc
    return envelope, src.compression


# Deeper than any envelope this package writes, shallow enough for json, repr,
# deepcopy and canonical signing to walk without recursing out of stack.
MAX_DEPTH = 100


def _check_plain(envelope: dict[str, Any], consumed: int, what: str) -> None:
    """Refuse an envelope that is not a tree of plain data of its own size.

    The memo lets a stream refer to one container many times: a list that
    holds itself, or ``a = [b, b]; b = [c, c]; ...`` whose expansion doubles
    per level (every JSON dump, repr or signature check of it would never
    end). Each node of a tree costs at least one opcode byte, so a walk that
    meets more nodes than a few times the bytes read, or goes deeper than
    ``MAX_DEPTH``, is a crafted or corrupt file.
    """
    problem = plain_data_problem(
        envelope, max_depth=MAX_DEPTH, max_nodes=4 * consumed + 10_000
    )
    if problem is not None:
        raise EnvelopeError(
            f"{what} has an envelope holding {problem}: it is crafted or corrupt."
        )
