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
from versioned_estimator._format import MAX_ENVELOPE_BYTES, REBUILD_MODULE, REBUILD_NAME

__all__ = ["open_source", "read_head"]

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
    """Reads exactly ``n`` bytes at a time from a raw file, decompressing if needed."""

    def __init__(self, raw: IO[bytes], what: str) -> None:
        self._raw = raw
        self.what = what
        self.compression: str | None = None
        self._pending = b""
        self._decompress: Callable[[bytes], bytes] | None = None
        self._consumed = 0
        first = self._raw_read(8)
        for magic, name in _MAGIC:
            if first.startswith(magic):
                self.compression = name
                break
        if self.compression is not None:
            self._decompress = _decompressor(self.compression, what)
        self._pending = b""
        self._feed(first)

    def _raw_read(self, n: int) -> bytes:
        data = self._raw.read(n)
        if data is None:
            data = b""
        if not isinstance(data, bytes):
            data = bytes(data)
        return data

    def _feed(self, data: bytes) -> None:
        if self._decompress is None:
            self._pending += data
            return
        try:
            self._pending += self._decompress(data)
        except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
            raise EnvelopeError(
                f"{self.what} looks {self.compression}-compressed but does not "
                f"decompress ({exc}): it is corrupt or not a joblib file."
            ) from exc

    def read(self, n: int) -> bytes:
        if self._consumed + n > MAX_ENVELOPE_BYTES:
            raise EnvelopeError(
                f"{self.what}: the envelope would exceed "
                f"{MAX_ENVELOPE_BYTES // (1024 * 1024)} MiB; the file is corrupt or "
                "not a versioned-estimator file."
            )
        while len(self._pending) < n:
            chunk = self._raw_read(max(_CHUNK, n - len(self._pending)))
            if not chunk:
                raise EnvelopeError(
                    f"{self.what} ends inside its envelope (after "
                    f"{self._consumed + len(self._pending)} bytes): the file is "
                    "truncated."
                )
            self._feed(chunk)
        out, self._pending = self._pending[:n], self._pending[n:]
        self._consumed += n
        return out

    def readline(self) -> bytes:
        line = b""
        while not line.endswith(b"\n"):
            line += self.read(1)
            if len(line) > 4096:
                raise EnvelopeError(f"{self.what}: a text opcode line is too long.")
        return line


def _decompressor(name: str, what: str) -> Callable[[bytes], bytes]:
    if name == "zlib":
        return zlib.decompressobj().decompress
    if name == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if name == "bz2":
        return bz2.BZ2Decompressor().decompress
    if name in ("xz", "lzma"):
        return lzma.LZMADecompressor().decompress
    try:
        import lz4.frame  # type: ignore[import-not-found]
    except ImportError as exc:
        raise EnvelopeError(
            f"{what} is lz4-compressed; install the lz4 package to read it."
        ) from exc
    decompressor: Any = lz4.frame.LZ4FrameDecompressor()
    return decompressor.decompress  # type: ignore[no-any-return]


def open_source(source: Any) -> tuple[IO[bytes], bool, str]:
    """Open a path, bytes or binary file; return (file, whether to close, label)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True, "the given bytes"
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            raise EnvelopeError(f"{path!r} is a directory, not a model file.")
        try:
            return open(path, "rb"), True, repr(path)  # noqa: SIM115 - caller closes
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
        while True:
            op = self.src.read(1)
            if first:
                first = False
                if op != b"\x80":
                    self.not_a_pickle(op)
            if self.started:
                envelope = self.complete()
                if envelope is not None and op not in _CONTINUES:
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

    def not_a_pickle(self, op: bytes) -> None:
        if op == b"P":
            raise self.fail("is a zip archive (a skops or MLflow file?), not a pickle.")
        if op == b"\x93":
            raise self.fail("is a .npy file, not a pickled model.")
        raise self.fail(
            f"is not a pickle (it starts with byte {op.hex() or 'nothing'}; a pickle "
            "starts with 80)."
        )

    def step(self, op: bytes) -> None:  # noqa: C901, PLR0912, PLR0915 - one opcode table
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
            push(dict(zip(items[::2], items[1::2], strict=False)))
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
            push(int.from_bytes(self.sized(struct.unpack("<i", read(4))[0]), "little", signed=True))
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
            push(self.src.readline()[:-1].decode("raw-unicode-escape"))
        elif op == b"\x94":
            if not self.stack:
                raise self.fail("is not a valid pickle (MEMOIZE on empty stack).")
            self.memo[len(self.memo)] = self.stack[-1]
        elif op in (b"q", b"r", b"p"):
            if op == b"q":
                index = read(1)[0]
            elif op == b"r":
                index = struct.unpack("<I", read(4))[0]
            else:
                index = self.number(int, self.src.readline().strip())
            if not self.stack:
                raise self.fail("is not a valid pickle (PUT on empty stack).")
            self.memo[index] = self.stack[-1]
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
    except RecursionError as exc:  # pragma: no cover - defensive
        raise EnvelopeError(f"{what} nests too deeply to be an envelope.") from exc
    except (struct.error, IndexError) as exc:
        raise EnvelopeError(f"{what} is not a valid pickle ({exc}).") from exc
    return envelope, src.compression
