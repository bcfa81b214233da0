"""The one reader of model files: a restricted pickle interpreter.

Everything this package reads from a file (``read_envelope``, ``load``,
``audit``, the command line) goes through :class:`Reader`. It interprets a
fixed set of pickle opcodes, builds plain data only (dict with text keys,
list, tuple, str, bytes, int, float, bool, None), and recognises the outer
shape of a wrapped model structurally::

    _rebuild(envelope, stream, buffers)            # format 1
    _rebuild(envelope, stream, buffers, trailer)   # format 2, trailer = _rebuild({...})

No callable named by the file is ever called. The few globals an outer
pickle may name are tokens, compared by name and never imported: the
wrapper's own ``versioned_estimator._rebuild``, and the ``uint8`` array
encodings of pickle and joblib (``numpy.dtype``, ``_frombuffer``,
``_reconstruct``, ``joblib.numpy_pickle.NumpyArrayWrapper``,
``_codecs.encode`` for protocols 0 to 2). Each may appear only where that
encoding puts it, with the arguments and state it writes for a ``uint8``
buffer; the reader then builds the array itself, from bytes whose length it
checked against the file before allocating them (memory-mapped only onto the
file being read). In the envelope only, numpy's ``scalar`` of a bool,
integer, float or text dtype (as earlier releases wrote numpy values) reads
as the Python value it stands for.

Limits are part of the grammar, checked as the input is read: opcodes and
memo entries per file, text keys only, nesting depth and expanded node
count (shared references counted each time) of the envelope and trailer, and
every length against what the file holds and what the envelope declares.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from versioned_estimator._errors import EnvelopeError, IntegrityError
from versioned_estimator._format import (
    MAX_ENVELOPE_BYTES,
    REBUILD_MODULE,
    REBUILD_NAME,
    plain_data_problem,
    plain_size,
)
from versioned_estimator._sources import Source
from versioned_estimator._text import cut

__all__ = ["Parts", "Reader", "read_head", "read_parts"]

# Far more than any envelope needs (a search over 200 candidates with a
# 1000-entry metadata list takes about 6000 opcodes), and they bound what a
# crafted file costs.
MAX_OPCODES = 4_000_000
MAX_MEMO = 1_000_000
#: Opcodes a compressed byte may give a compressed file's pickle structure,
#: past the first ``OPCODE_SLACK`` (see :meth:`Reader.check_structure_ratio`).
MAX_OPCODES_PER_BYTE = 16
OPCODE_SLACK = 1 << 18
#: The most a compressed file's pickle stream may inflate, past the slack:
#: the stream is copied once it is read (the unpicklers take bytes), and a
#: stream of 1.2 GB of zeros, gzipped to 1.17 MB, took 2.4 GB before the
#: scan refused it (round 150); a model keeps its arrays out of the stream,
#: and honest streams inflate at most about 100 times (a one-hot encoder's
#: categories, lzma).
MAX_STREAM_RATIO = 256
STREAM_RATIO_SLACK = 64 << 20
#: Values on the stack at once: pickle appends and sets items a thousand at
#: a time, so a writer's stack stays a few thousand deep; 4 million empty
#: dicts pushed and dropped held 380 MB (round 93).
MAX_STACK = 65_536
MAX_BUFFERS = 1_000_000
#: Values a call copies of at most this many bytes may be shared
#: (:meth:`Reader.take`).
_SHARED_SMALL = 64
# Deeper than any envelope this package writes, shallow enough for json,
# repr, deepcopy and canonical signing to walk without recursing out of stack.
MAX_DEPTH = 100

# ----------------------------------------------------------------------------
# Tokens: what the few recognised globals and their results stand for
# ----------------------------------------------------------------------------


class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_MARK = _Token("mark")
REBUILD = _Token("versioned_estimator._rebuild")
_DTYPE = _Token("numpy.dtype")
_NDARRAY = _Token("numpy.ndarray")
_FROMBUFFER = _Token("numpy._core.numeric._frombuffer")
_RECONSTRUCT = _Token("numpy._core.multiarray._reconstruct")
_WRAPPER = _Token("joblib.numpy_pickle.NumpyArrayWrapper")
_ENCODE = _Token("_codecs.encode")
_BYTES = _Token("builtins.bytes")
_OBJECT = _Token("builtins.object")
_RECONSTRUCTOR = _Token("copyreg._reconstructor")
_SCALAR = _Token("numpy._core.multiarray.scalar")

_GLOBALS: dict[tuple[str, str], _Token] = {
    (REBUILD_MODULE, REBUILD_NAME): REBUILD,
    ("numpy", "dtype"): _DTYPE,
    ("numpy", "ndarray"): _NDARRAY,
    # joblib's wrapper records a memory-mapped array's class; the reader builds
    # a plain array either way.
    ("numpy", "memmap"): _NDARRAY,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("joblib.numpy_pickle", "NumpyArrayWrapper"): _WRAPPER,
    ("_codecs", "encode"): _ENCODE,
    ("builtins", "bytes"): _BYTES,
    ("__builtin__", "bytes"): _BYTES,
    ("builtins", "object"): _OBJECT,
    ("__builtin__", "object"): _OBJECT,
    ("copyreg", "_reconstructor"): _RECONSTRUCTOR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
}
#: What an envelope may name: numpy's scalars, which format 2 files written by
#: earlier releases hold where the fit's data gave numpy text or numbers (this
#: release writes Python values). Read as the Python value they stand for.
_ENVELOPE_GLOBALS = frozenset({_SCALAR, _DTYPE})
#: The dtypes of those scalars: bool, integers, floats of at most 64 bits,
#: and text of at most this many characters (an envelope holds no bytes).
_SCALAR_CODES = frozenset(
    {"b1", "f2", "f4", "f8"} | {f"{k}{n}" for k in "iu" for n in (1, 2, 4, 8)}
)
_MOST_SCALAR_TEXT = 1 << 16
# The state numpy gives a uint8 dtype (the same in numpy 1 and 2).
_UINT8_ARGS = ("u1", False, True)
_UINT8_STATE = (3, "|", None, None, None, -1, -1, 0)


class _Pending:
    """An object the file is building, whose BUILD the reader must see once.

    A dtype stays this object once built (``kind == "uint8"``): files memoize
    it and refer to it again for every later buffer.
    """

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


def _is_uint8(value: Any) -> bool:
    return isinstance(value, _Pending) and value.kind == "uint8"


class _ScalarType:
    """The dtype of a numpy scalar in an envelope: built by the reader from a
    code it checked, its byte order set once by the dtype's state."""

    __slots__ = ("built", "dtype")

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        self.built = False


def _scalar_dtype(args: tuple[Any, ...]) -> np.dtype[Any] | None:
    """The dtype ``numpy.dtype(code, False, True)`` names, if a scalar's."""
    if len(args) != 3 or args[1:] != (False, True) or not isinstance(args[0], str):
        return None
    code = args[0]
    if len(code) > 8:
        return None  # (before a slice of it copies it: a file may repeat one)
    if code not in _SCALAR_CODES:
        width = code[1:]
        if not (
            code[:1] == "U"
            and width.isascii()
            and width.isdigit()
            and 0 < int(width) <= _MOST_SCALAR_TEXT
        ):
            return None
    return np.dtype(code)


_Held = TypeVar("_Held", bound=bytes | bytearray)


class _ReadBytes(bytearray):
    """Bytes the reader read for a bytes opcode, kept mutable so that an array
    built on them views them without a copy."""


class _BufferBytes(_ReadBytes):
    """What a bytearray opcode held: an array's data, which may inflate as far
    as an array may. Never the payload stream, whose own bound it escaped (a
    stream written as a bytearray of 1 GB of zeros took 2 GB from 974 KB,
    round 154)."""


#: What an array's data may be read as.
_ARRAY_DATA = (_ReadBytes, _BufferBytes)


class Buffer:
    """A payload buffer the reader built: a 1-D ``uint8`` array, the
    ``index``-th built (whose bytes the checksums saw as that one)."""

    __slots__ = ("array", "index")

    def __init__(self, array: np.ndarray, index: int) -> None:
        self.array = array
        self.index = index


class _Trailer:
    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


@dataclass
class Parts:
    """What a model file holds, read without running anything from it."""

    envelope: dict[str, Any]
    stream: bytes = b""
    buffers: list[np.ndarray] = field(default_factory=list)
    trailer: dict[str, Any] | None = None
    compression: str | None = None
    protocol: int = 0
    #: The most opcodes the inner stream may run (of a compressed file: as
    #: many a compressed byte as the outer pickle may; None when plain).
    most_ops: int | None = None


class _Done(Exception):
    """The head is complete (head-only reads stop here)."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        super().__init__()
        self.envelope = envelope


# Opcodes that may follow a complete-looking envelope dict and still belong to it.
_CONTINUES = frozenset(b"(su\x94qrp\x95")


# ----------------------------------------------------------------------------
# The interpreter
# ----------------------------------------------------------------------------


class Reader:
    """Interpret a model file's outer pickle, building only plain data.

    Parameters
    ----------
    src : Source
    head_only : bool
        Stop as soon as the envelope is complete (never read the payload).
    mmap_mode : str, optional
        Map joblib's array buffers onto the file (uncompressed local files).
    on_envelope : callable, optional
        Called with the envelope as soon as it is complete, before the payload
        is read: it may refuse the file, and returns what the payload must
        hold (stream and buffer sizes) or None.
    on_block : callable, optional
        ``on_block(index, block)`` sees each block of buffer ``index`` as it
        is read (to hash while reading).
    """

    def __init__(
        self,
        src: Source,
        *,
        head_only: bool = False,
        mmap_mode: str | None = None,
        on_envelope: Callable[[dict[str, Any]], Any] | None = None,
        on_block: Callable[[int, memoryview], None] | None = None,
        skip_buffers: bool = False,
    ) -> None:
        self.src = src
        self.skip_buffers = skip_buffers
        self.head_only = head_only
        self.mmap_mode = mmap_mode if src.path is not None else None
        self.on_envelope = on_envelope
        self.on_block = on_block
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.protocol = 0
        self.started = False
        self.envelope: dict[str, Any] | None = None
        self.sizes: Sequence[int] | None = None
        self.largest = 0  # of the sizes
        self.stream_size: int | None = None
        self.n_buffers = 0
        # Values a call copied or took (an array's data, a text encoded, a
        # scalar's bytes), by id, each once (kept: an id stays its own).
        self.taken: dict[int, Any] = {}
        self.rebuilt: set[int] = set()  # the loader's calls made, by arity
        self.values_bytes = 0  # read for values other than arrays' data
        self.array_bytes = 0  # read for arrays' data (bytearray values)
        self.declared = 0  # what the envelope declares for the payload
        self.frame_end: int | None = None
        self.frozen: set[int] = set()
        self.ops = 0
        self._dispatch = self._build_dispatch()

    # -- helpers --------------------------------------------------------------

    def fail(self, why: str) -> EnvelopeError:
        return EnvelopeError(f"{self.src.what} {why}")

    def crafted(self, what: str) -> EnvelopeError:
        return self.fail(f"{what}: it is crafted or corrupt. Nothing was run.")

    def pop(self) -> Any:
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            raise self.fail("is not a valid pickle (stack underflow).")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise self.fail("is not a valid pickle (no MARK).")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def text(self, data: bytes | bytearray) -> str:
        try:
            return data.decode("utf-8", "strict")
        except UnicodeDecodeError as exc:
            raise self.fail("holds text that is not UTF-8.") from exc

    def data(
        self,
        length: int,
        what: str,
        per_byte: int = 1,
        *,
        frozen: bool = False,
        array: bool = False,
    ) -> bytes | _ReadBytes:
        """A value of ``length`` bytes, checked before it is allocated;
        ``frozen``: of a bytes opcode (else a bytearray, which an array over
        it views without a copy); ``per_byte``: what a byte of it counts among
        the values read (:meth:`held`: a text's four); ``array``: a buffer,
        which may inflate as far as a compressed file may (every other value
        is copied, or decoded, once read: at most :data:`MAX_STREAM_RATIO`
        times its compressed bytes; a text of 1,000 MiB, or a stream one byte
        off its declared size, took 2.2 GB from 1 MB, round 152)."""
        if self.envelope is None and self.src.tell() + length > MAX_ENVELOPE_BYTES:
            # Checked before the value is read, whatever of it the envelope
            # keeps: the head is read whole.
            raise self.fail(f"has a head of more than {MAX_ENVELOPE_BYTES} bytes.")
        limit = self.data_limit()
        if limit is not None and length > limit:
            raise self.crafted(
                f"declares {what} of {length} bytes, more than the {limit} its "
                "envelope declares for the whole payload"
            )
        self.src.check_length(length, what)
        if array:
            self.array_bytes += length
            if self.sizes is not None and self.array_bytes > self.declared:
                # Array data past what the envelope declares for the payload:
                # values no buffer takes (1,500 of 1 MiB, each within the
                # ratio, held 1.6 GB from 1.5 MB, round 158).
                raise self.crafted(
                    f"holds {self.array_bytes:,} bytes of array data where its "
                    f"envelope declares {self.declared:,}"
                )
            return self.read_bytes(length, kind=_BufferBytes)
        if frozen and length == self.stream_size and length:
            # The payload stream (its size the envelope's): bytes, as the
            # unpicklers take it, read once.
            whole = self.src.read_whole(length)
            if whole is not None:
                return self.held(whole)
        value = self.read_bytes(length, most_ratio=MAX_STREAM_RATIO, what=what)
        return self.held(value, per_byte)

    def held(self, value: _Held, per_byte: int = 1) -> _Held:
        """``value`` (bytes read for a text or bytes value), counted: all the
        values a compressed file's reader reads but arrays' data, together,
        at most :data:`MAX_STREAM_RATIO` times the compressed bytes taken
        past :data:`STREAM_RATIO_SLACK`, text four bytes a character (as
        Python may keep it). Each value had its own bound: 500 texts of
        1 MiB held 2.15 GB from 516 KB (round 158)."""
        self.values_bytes += len(value) * per_byte
        if (
            self.src.compression is not None
            and self.values_bytes
            > MAX_STREAM_RATIO * self.src.raw_read + STREAM_RATIO_SLACK
        ):
            raise self.fail(
                f"holds values of {self.values_bytes:,} bytes in all, more than "
                f"{MAX_STREAM_RATIO} times its compressed size allows (a model "
                "keeps its arrays apart, and nothing else of it inflates so "
                "far): a compression bomb. It was not read further."
            )
        return value

    def read_bytes(
        self,
        length: int,
        most_ratio: int | None = None,
        what: str = "a value",
        kind: type[_ReadBytes] = _ReadBytes,
    ) -> _ReadBytes:
        """``length`` bytes; from a source of unknown size (compressed, a
        stream) or of a size a server states, in blocks, so that memory
        follows the bytes that really come, not the length the file
        declares; of a compressed file, at most ``most_ratio`` times the
        compressed bytes they take (past :data:`STREAM_RATIO_SLACK`)."""
        if self.src.allocatable() or length <= (1 << 20):
            out = kind(length)
            if length:
                self.src.readinto(memoryview(out))
            return out
        out = kind()
        left = length
        start = self.src.raw_read
        while left:
            part = bytearray(min(left, 8 << 20))
            self.src.readinto(memoryview(part))
            out += part
            left -= len(part)
            taken = self.src.raw_read - start
            if (
                most_ratio is not None
                and self.src.compression is not None
                and len(out) > most_ratio * taken + STREAM_RATIO_SLACK
            ):
                raise self.fail(
                    f"holds {what} that inflates more than {most_ratio} times "
                    "its compressed size (a model keeps its arrays apart, and "
                    "nothing else of it inflates so far): a compression bomb. "
                    "It was not read further."
                )
        return out

    def data_limit(self) -> int | None:
        """The most bytes one value may hold: what the envelope declares, with
        room for the envelope and trailer themselves."""
        if self.envelope is None or self.sizes is None:
            return None
        return self.largest + (self.stream_size or 0) + (1 << 20)

    def remember(self, index: int, value: Any) -> None:
        if index < 0 or index > len(self.memo) + 1 or len(self.memo) >= MAX_MEMO:
            raise self.crafted(f"memoizes at index {index}")
        self.memo[index] = value

    def number(self, kind: Callable[[str], Any], line: bytes) -> Any:
        try:
            text = line.decode("ascii")
            if len(text) > 64:
                raise ValueError(text)
            return kind(text)
        except (UnicodeDecodeError, ValueError, OverflowError) as exc:
            raise self.fail("is not a valid pickle (bad number).") from exc

    # -- the head -------------------------------------------------------------

    def envelope_complete(self, op: int) -> bool:
        """Whether the envelope dict is complete, before executing ``op``.

        Constant time: the envelope is complete when the stack holds only
        ``_rebuild``, the dict (and the MARK of a 4-tuple) and ``op`` starts
        the next argument. Protocols 0 and 1 set one item at a time, so the
        dict looks complete after every SETITEM: there it ends only where the
        next argument, the stream's ``_codecs.encode``, begins.
        """
        if len(self.stack) not in (2,) or self.stack[0] is not REBUILD:
            return False
        top = self.stack[1]
        if not isinstance(top, dict) or not top or op in _CONTINUES:
            return False
        if len(self.marks) > 1 or (self.marks and self.marks[0] != 1):
            return False
        return self.protocol >= 2 or op == 0x63

    def finish_envelope(self) -> None:
        envelope = self.stack[1]
        check_plain(envelope, self.src.what, "envelope")
        self.envelope = envelope
        self.freeze(envelope)
        if self.head_only:
            raise _Done(envelope)
        if self.on_envelope is not None:
            sizes = self.on_envelope(envelope)
            if sizes is not None:
                self.stream_size, self.sizes = sizes
                self.declared = sum(self.sizes) + (self.stream_size or 0)
                # once: a value read after the envelope asks it (200,000
                # buffers asked it of every one, quadratic, round 93)
                self.largest = max(self.sizes, default=0)

    # -- main loop ------------------------------------------------------------

    def run(self) -> Any:
        read_byte = self.src.read_byte
        dispatch = self._dispatch
        first = read_byte()
        if first not in (0x80, 0x63):
            self.not_a_pickle(first)
        op = first
        while True:
            self.ops += 1
            if self.ops > MAX_OPCODES:
                raise self.crafted(f"runs past {MAX_OPCODES} opcodes")
            if not self.ops & 0xFFFF and self.src.compression is not None:
                self.check_structure_ratio()
            if self.envelope is None:
                if self.src.tell() > MAX_ENVELOPE_BYTES:
                    # Whatever its opcodes (short texts were read apart from
                    # the length checks: a 51 MB head from 615 KB gzipped,
                    # round 161).
                    raise self.fail(
                        f"has a head of more than {MAX_ENVELOPE_BYTES} bytes."
                    )
                if len(self.stack) == 2 and self.started and self.envelope_complete(op):
                    self.finish_envelope()
            handler = dispatch.get(op)
            if handler is None:
                raise self.unexpected(op)
            if op == 0x2E:  # STOP
                result = self.pop()
                self.end_frame()
                self.check_end()
                return result
            handler()
            if len(self.stack) > MAX_STACK:
                raise self.crafted(f"holds more than {MAX_STACK:,} values at once")
            if self.frame_end is not None:
                self.end_frame()
            if not self.started and self.stack:
                self.check_start()
            op = read_byte()
            if op < 0:
                if self.envelope is None:
                    raise self.src.truncated("its envelope")
                raise self.src.truncated("its payload")

    def check_structure_ratio(self) -> None:
        """A compressed file's pickle structure (its opcodes, not the data
        they take) comes from its compressed bytes at most
        :data:`MAX_OPCODES_PER_BYTE` opcodes a byte, after a slack: arrays
        of zeros may compress 1,000 times, but the records around them do
        not (200,000 empty buffer records in 43 KB were read for 9 s before
        a limit refused them, round 93)."""
        if self.ops > MAX_OPCODES_PER_BYTE * self.src.raw_read + OPCODE_SLACK:
            raise self.crafted(
                f"runs more than {MAX_OPCODES_PER_BYTE} pickle opcodes a "
                "compressed byte"
            )

    def end_frame(self) -> None:
        """No opcode runs past the end of its frame, and a frame ends where
        its length says (pickle's own unframer holds files to the same)."""
        if self.frame_end is None:
            return
        here = self.src.tell()
        if here > self.frame_end:
            raise self.crafted("runs an opcode past the end of its pickle frame")
        if here == self.frame_end:
            self.frame_end = None

    def check_end(self) -> None:
        """Nothing after the pickle's STOP in a file or bytes this reader was
        given whole (a stream handed in may go on, and is not judged): no
        writer puts bytes there, and other readers could take them for more.
        A compressed file's stream ends with the pickle too, and nothing
        follows it (bytes appended to a signed file verified, round 107)."""
        if self.frame_end is not None:
            raise self.crafted("ends before its last pickle frame does")
        if self.src.given_whole and not self.src.at_end():
            if self.src.compression is None:
                raise self.crafted("holds bytes after the end of its pickle")
            raise self.crafted(
                "holds bytes after the end of its pickle, or its "
                f"{self.src.compression} stream does not end where the pickle does"
            )

    def check_start(self) -> None:
        top = self.stack[-1]
        if isinstance(top, (dict, list)) or top is None:
            kind = type(top).__name__ if top is not None else "None"
            raise self.fail(
                f"is a pickle whose top-level object is a plain {kind}, not a model "
                "saved through VersionedEstimator."
            )

    def not_a_pickle(self, op: int) -> None:
        if op == ord("P"):
            raise self.fail("is a zip archive (a skops or MLflow file?), not a pickle.")
        if op == 0x93:
            raise self.fail("is a .npy file, not a pickled model.")
        if op >= 0 and bytes([op]) in b"(]})NILFVSXGJKMUT":
            raise self.fail(
                f"is not a wrapped model: a protocol 0 or 1 pickle of something else, "
                f"or not a pickle at all (it starts with byte {op:02x})."
            )
        shown = f"{op:02x}" if op >= 0 else "nothing"
        raise self.fail(
            f"is not a pickle (it starts with byte {shown}; a pickle starts with 80)."
        )

    def unexpected(self, op: int) -> EnvelopeError:
        if not self.started:
            return self.fail(
                "is a pickle whose top-level object is not a wrapped model "
                f"(opcode {bytes([op])!r} before any global)."
            )
        where = "envelope" if self.envelope is None else "outer pickle"
        return self.crafted(
            f"holds the opcode {bytes([op])!r} in its {where}, which no "
            "versioned-estimator file holds"
        )

    # -- opcodes --------------------------------------------------------------

    def _build_dispatch(self) -> dict[int, Callable[[], None]]:
        read = self.src.read
        push = self.stack.append
        u8 = struct.Struct("<B").unpack
        u16 = struct.Struct("<H").unpack
        i32 = struct.Struct("<i").unpack
        u32 = struct.Struct("<I").unpack
        u64 = struct.Struct("<Q").unpack
        f64 = struct.Struct(">d").unpack

        def proto() -> None:
            self.protocol = read(1)[0]
            if self.protocol > 5:
                raise self.fail(f"uses pickle protocol {self.protocol}, unknown here.")

        def frame() -> None:
            (length,) = u64(read(8))
            here = self.src.tell()
            if self.frame_end is not None and here < self.frame_end:
                raise self.crafted("starts a frame inside another")
            self.frame_end = here + length

        def mark() -> None:
            self.marks.append(len(self.stack))

        def dict_mark() -> None:
            items = self.pop_mark()
            target: dict[str, Any] = {}
            self.setitems(target, items)
            push(target)

        def setitem() -> None:
            value = self.pop()
            key = self.pop()
            self.setitems(self.stack[-1] if self.stack else None, [key, value])

        def setitems() -> None:
            items = self.pop_mark()
            self.setitems(self.stack[-1] if self.stack else None, items)

        def append() -> None:
            value = self.pop()
            self.appends(self.stack[-1] if self.stack else None, [value])

        def appends() -> None:
            items = self.pop_mark()
            self.appends(self.stack[-1] if self.stack else None, items)

        def list_mark() -> None:
            push(self.pop_mark())

        def tuple_mark() -> None:
            push(tuple(self.pop_mark()))

        def tuple_n(n: int) -> Callable[[], None]:
            def run() -> None:
                items = [self.pop() for _ in range(n)]
                push(tuple(reversed(items)))

            return run

        def memoize() -> None:
            if not self.stack:
                raise self.fail("is not a valid pickle (MEMOIZE on empty stack).")
            self.remember(len(self.memo), self.stack[-1])

        def put(reader: Callable[[], int]) -> Callable[[], None]:
            def run() -> None:
                index = reader()
                if not self.stack:
                    raise self.fail("is not a valid pickle (PUT on empty stack).")
                self.remember(index, self.stack[-1])

            return run

        def get(reader: Callable[[], int]) -> Callable[[], None]:
            def run() -> None:
                index = reader()
                if index not in self.memo:
                    raise self.fail("is not a valid pickle (unknown memo entry).")
                push(self.memo[index])

            return run

        def text_line() -> bytes:
            return self.src.readline().rstrip(b"\r\n")

        def int_line() -> None:
            line = text_line().rstrip(b"L")
            if line in (b"00", b"01"):
                push(line == b"01")
            else:
                push(self.number(int, line))

        def long_line() -> None:
            push(self.number(int, text_line().rstrip(b"L")))

        def long_n(width: int) -> Callable[[], None]:
            def run() -> None:
                if width == 1:
                    length = read(1)[0]
                else:
                    (length,) = i32(read(4))
                    if length < 0 or length > 1024:
                        raise self.crafted(f"holds a {length}-byte integer")
                # counted among the values read, as text and bytes are
                # (2.4 million of 1 KB gzipped: 2.8 GB from 5.5 MB, round 159)
                push(int.from_bytes(self.held(read(length)), "little", signed=True))

            return run

        def unicode_line() -> None:
            line = self.held(self.src.readline(1 << 20)[:-1], 4)
            try:
                value = line.decode("raw-unicode-escape")
                # Escapes can spell lone surrogates, which no UTF-8 text
                # holds: every digest and JSON dump of the value would fail.
                value.encode("utf-8", "strict")
            except UnicodeError as exc:
                raise self.fail("holds a malformed text line.") from exc
            push(value)

        def global_line() -> None:
            module = self.text(text_line())
            name = self.text(text_line())
            self.on_global(module, name)

        def stack_global() -> None:
            name = self.pop()
            module = self.pop()
            if not (isinstance(module, str) and isinstance(name, str)):
                raise self.fail("is not a valid pickle (bad STACK_GLOBAL).")
            self.on_global(module, name)

        def pop_top() -> None:
            self.pop()

        def pop_mark() -> None:
            self.pop_mark()

        def dup() -> None:
            if not self.stack:
                raise self.fail("is not a valid pickle (DUP on empty stack).")
            push(self.stack[-1])

        def unsupported() -> None:  # pragma: no cover - replaced below
            raise AssertionError

        table: dict[int, Callable[[], None]] = {
            0x80: proto,
            0x95: frame,
            0x28: mark,
            0x7D: lambda: push({}),
            0x5D: lambda: push([]),
            0x29: lambda: push(()),
            0x64: dict_mark,
            0x6C: list_mark,
            0x74: tuple_mark,
            0x85: tuple_n(1),
            0x86: tuple_n(2),
            0x87: tuple_n(3),
            0x73: setitem,
            0x75: setitems,
            0x61: append,
            0x65: appends,
            0x4E: lambda: push(None),
            0x88: lambda: push(True),
            0x89: lambda: push(False),
            0x4A: lambda: push(i32(read(4))[0]),
            0x4B: lambda: push(read(1)[0]),
            0x4D: lambda: push(u16(read(2))[0]),
            0x8A: long_n(1),
            0x8B: long_n(4),
            0x49: int_line,
            0x4C: long_line,
            0x47: lambda: push(f64(read(8))[0]),
            0x46: lambda: push(self.number(float, text_line())),
            0x8C: lambda: push(self.text(self.held(read(u8(read(1))[0]), 4))),
            0x58: lambda: push(self.text(self.data(u32(read(4))[0], "a text", 4))),
            0x8D: lambda: push(self.text(self.data(u64(read(8))[0], "a text", 4))),
            0x56: unicode_line,
            0x43: lambda: push(self.held(read(u8(read(1))[0]))),
            0x42: lambda: push(
                self.data(u32(read(4))[0], "a bytes value", frozen=True)
            ),
            0x8E: lambda: push(
                self.data(u64(read(8))[0], "a bytes value", frozen=True)
            ),
            0x96: lambda: push(self.data(u64(read(8))[0], "a buffer", array=True)),
            0x94: memoize,
            0x71: put(lambda: read(1)[0]),
            0x72: put(lambda: u32(read(4))[0]),
            0x70: put(lambda: self.number(int, text_line())),
            0x68: get(lambda: read(1)[0]),
            0x6A: get(lambda: u32(read(4))[0]),
            0x67: get(lambda: self.number(int, text_line())),
            0x63: global_line,
            0x93: stack_global,
            0x52: self.reduce,
            0x81: self.newobj,
            0x92: self.newobj_ex,
            0x62: self.build,
            0x30: pop_top,
            0x31: pop_mark,
            0x32: dup,
            0x2E: unsupported,  # STOP, handled in run
        }
        return table

    # -- containers -----------------------------------------------------------

    def setitems(self, target: Any, items: list[Any]) -> None:
        if type(target) is not dict or len(items) % 2:
            raise self.fail("is not a valid pickle (SETITEMS on a non-dict).")
        if id(target) in self.frozen:
            raise self.crafted("amends its envelope after the head")
        for i in range(0, len(items), 2):
            key = items[i]
            if type(key) is not str:
                raise self.crafted(
                    f"holds the non-text dict key {shown(key)} where every key is text"
                )
            target[key] = items[i + 1]

    def appends(self, target: Any, items: list[Any]) -> None:
        if type(target) is not list:
            raise self.fail("is not a valid pickle (APPENDS on a non-list).")
        if id(target) in self.frozen:
            raise self.crafted("amends its envelope after the head")
        target.extend(items)

    # -- globals and their calls ----------------------------------------------

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
            self.stack.append(REBUILD)
            return
        token = _GLOBALS.get((module, name))
        if token is None or (self.envelope is None and token not in _ENVELOPE_GLOBALS):
            where = "envelope" if self.envelope is None else "outer pickle"
            raise self.crafted(
                f"names the global {shown(module + '.' + name)} in its {where}, "
                "where a versioned-estimator file names only its own loader and "
                "uint8 array buffers"
            )
        self.stack.append(token)

    def reduce(self) -> None:
        args = self.pop()
        func = self.pop()
        if not isinstance(args, tuple):
            raise self.fail("is not a valid pickle (REDUCE without a tuple).")
        self.stack.append(self.call(func, args))

    def newobj(self) -> None:
        args = self.pop()
        cls = self.pop()
        if cls is not _WRAPPER or args != ():
            raise self.crafted(f"builds an object of {shown(cls)}")
        self.stack.append(_Pending("wrapper"))

    def newobj_ex(self) -> None:
        kwargs = self.pop()
        args = self.pop()
        cls = self.pop()
        if cls is not _WRAPPER or args != () or kwargs != {}:
            raise self.crafted(f"builds an object of {shown(cls)}")
        self.stack.append(_Pending("wrapper"))

    def call(self, func: Any, args: tuple[Any, ...]) -> Any:
        if func is REBUILD:
            return self.call_rebuild(args)
        if func is _DTYPE and self.envelope is None:
            dtype = _scalar_dtype(args)
            if dtype is None:
                raise self.crafted(f"builds the dtype {shown(args)} in its envelope")
            return _ScalarType(dtype)
        if func is _SCALAR:
            return self.scalar(args)
        if func is _DTYPE:
            if args != _UINT8_ARGS:
                raise self.crafted(f"builds the dtype {shown(args)}, not uint8")
            return _Pending("dtype")
        if func is _FROMBUFFER:
            return self.frombuffer(args)
        if func is _RECONSTRUCT:
            if args not in ((_NDARRAY, (0,), b"b"), (_NDARRAY, (0,), "b")):
                raise self.crafted("rebuilds an array other than a plain ndarray")
            return _Pending("array")
        if func is _ENCODE:
            if (
                len(args) != 2
                or not isinstance(args[0], str)
                or args[1] not in ("latin1", "latin-1")
            ):
                raise self.crafted("encodes text other than latin-1 bytes")
            self.take(args[0], "two values to encode from one text")
            try:
                return args[0].encode("latin-1")
            except UnicodeEncodeError as exc:
                raise self.crafted("encodes text that is not latin-1") from exc
        if func is _BYTES:
            if args != ():
                raise self.crafted("builds bytes from arguments")
            return b""
        if func is _RECONSTRUCTOR:
            if args != (_WRAPPER, _OBJECT, None):
                raise self.crafted("rebuilds an object other than joblib's array")
            return _Pending("wrapper")
        raise self.crafted(f"calls {shown(func)}")

    def call_rebuild(self, args: tuple[Any, ...]) -> Any:
        """The loader's two calls, each made once: ``_rebuild(trailer)``
        and ``_rebuild(envelope, stream, buffers[, trailer])``. Each checks
        or copies what it takes (200,000 calls on one memoized trailer took
        past 60 s from 4.4 KB; 2,400 on one memoized stream of 1 MiB, 2.5 GB
        from 3.7 KB: round 159)."""
        kind = 1 if len(args) == 1 else 3
        if kind in self.rebuilt:
            raise self.crafted("calls its loader twice for one part")
        self.rebuilt.add(kind)
        if len(args) == 1:
            if self.envelope is None or not isinstance(args[0], dict):
                raise self.crafted("holds a malformed trailer")
            check_plain(args[0], self.src.what, "trailer")
            self.freeze(args[0])
            return _Trailer(args[0])
        if len(args) not in (3, 4):
            raise self.crafted(f"calls its loader with {len(args)} arguments")
        envelope, stream, buffers = args[:3]
        if envelope is not self.envelope:
            raise self.crafted("builds an envelope other than the one at its head")
        if type(stream) not in (bytes, _ReadBytes):  # (not a bytearray's)
            raise self.crafted("holds a payload stream that is not bytes")
        if not isinstance(buffers, list) or not all(
            isinstance(b, Buffer) for b in buffers
        ):
            raise self.crafted("holds payload buffers that are not raw uint8 arrays")
        if len(buffers) != self.n_buffers or any(
            b.index != i for i, b in enumerate(buffers)
        ):
            # Each buffer's bytes were seen, and checked against its
            # checksum, as the one built in its place: two buffers of one
            # size swapped through the memo passed signature and checksums
            # (round 161).
            raise self.crafted(
                "lists its payload buffers other than as it holds them, each "
                "once and in order"
            )
        trailer = None
        if len(args) == 4:
            if not isinstance(args[3], _Trailer):
                raise self.crafted("holds a malformed trailer")
            trailer = args[3].data
        return Parts(
            self.envelope,
            bytes(stream),
            [b.array for b in buffers],
            trailer,
            self.src.compression,
            self.protocol,
            None
            if self.src.compression is None
            else MAX_OPCODES_PER_BYTE * self.src.raw_read + OPCODE_SLACK,
        )

    def frombuffer(self, args: tuple[Any, ...]) -> Buffer:
        if len(args) != 4:
            raise self.crafted("rebuilds an array with unexpected arguments")
        data, dtype, shape, order = args
        if not _is_uint8(dtype) or order not in ("C", "F"):
            raise self.crafted("rebuilds an array that is not uint8")
        data = self.array_data(data)
        if type(data) not in _ARRAY_DATA or shape != (len(data),):
            raise self.crafted("rebuilds an array whose shape is not its data's")
        return self.buffer(np.frombuffer(data, dtype=np.uint8))

    def scalar(self, args: tuple[Any, ...]) -> Any:
        """``scalar(dtype, data)``: the Python value of a numpy scalar."""
        if self.envelope is not None or len(args) != 2:
            raise self.crafted("builds a numpy scalar outside its envelope")
        kind, data = args
        if not (isinstance(kind, _ScalarType) and kind.built):
            raise self.crafted(f"builds a numpy scalar of {shown(kind)}")
        if type(data) not in (bytes, *_ARRAY_DATA) or len(data) != kind.dtype.itemsize:
            raise self.crafted("builds a numpy scalar whose data is not its size")
        self.take(data, "two numpy scalars one value as their data")
        data = bytes(data)
        if kind.dtype.kind == "U":
            # Code points, as numpy stores them: each a Unicode scalar value
            # (numpy fails with SystemError past U+10FFFF; surrogates would
            # fail every UTF-8 encoding of the envelope).
            points = np.frombuffer(data, dtype=kind.dtype.byteorder + "u4")
            if np.any((points > 0x10FFFF) | ((points >= 0xD800) & (points < 0xE000))):
                raise self.crafted("builds numpy text that is not Unicode")
        return np.frombuffer(data, dtype=kind.dtype)[0].item()

    def scalar_type_state(self, target: _ScalarType, state: Any) -> None:
        """The dtype's state: only its byte order may differ from numpy's."""
        expected = target.dtype.__reduce__()[2]
        if (
            target.built
            or not isinstance(state, tuple)
            or len(state) != len(expected)
            or state[0] != expected[0]
            or state[2:] != expected[2:]
            or state[1] not in ("<", ">", "|")
            or (state[1] == "|") != (expected[1] == "|")
        ):
            raise self.crafted("sets a dtype state other than a scalar's")
        if state[1] in "<>":
            target.dtype = target.dtype.newbyteorder(state[1])
        target.built = True

    def build(self) -> None:
        state = self.pop()
        target = self.stack[-1] if self.stack else None
        if isinstance(target, _ScalarType):
            self.scalar_type_state(target, state)
            return
        if not isinstance(target, _Pending) or target.kind not in (
            "dtype",
            "array",
            "wrapper",
        ):
            raise self.crafted(f"sets state on {shown(target)}")
        if target.kind == "dtype":
            if state != _UINT8_STATE:
                raise self.crafted("sets a dtype state other than uint8's")
            target.kind = "uint8"
            return
        kind, target.kind = target.kind, "built"
        if kind == "array":
            self.stack[-1] = self.array_state(state)
        else:
            self.stack[-1] = self.wrapper_state(state)

    def array_data(self, data: Any) -> Any:
        """An array's data, each value once (:meth:`take`): no writer gives
        two arrays one (pickle memoizes the array, not its data). A value of
        64 MiB that 20 arrays shared was copied, or hashed, for each: 1.5 GB,
        or past 60 s, from 68 KB (round 156)."""
        self.take(data, "two payload buffers one value as their data")
        return _ReadBytes(data) if type(data) is bytes else data

    def take(self, value: Any, what: str) -> None:
        """``value``, which a call copies (or an array keeps), taken once: a
        file refers to a value again for two bytes, and a call that copies
        it each time made memory the file never held (one memoized text of
        1 MiB encoded 2,400 times, 2.5 GB from 3.7 KB; an envelope's numpy
        text scalars of one memoized 256 KB value, 2,000 of them 512 MB
        from 280 KB: round 159). Values of at most :data:`_SHARED_SMALL`
        bytes may be shared: Python keeps one object of each byte, and
        writers memoize it."""
        if (
            not isinstance(value, (bytes, bytearray, str))
            or len(value) <= _SHARED_SMALL
        ):
            return  # (a value of another type is refused by the caller's checks)
        if id(value) in self.taken:
            raise self.crafted(f"gives {what}")
        self.taken[id(value)] = value

    def array_state(self, state: Any) -> Buffer:
        """``ndarray.__setstate__((1, (n,), uint8, False, data))``."""
        if not (isinstance(state, tuple) and len(state) == 5):
            raise self.crafted("sets a malformed array state")
        version, shape, dtype, fortran, data = state
        if version != 1 or not _is_uint8(dtype) or fortran not in (False, 0):
            raise self.crafted("sets an array state that is not a uint8 buffer")
        data = self.array_data(data)  # (bytes: from _codecs.encode, protocols 0-2)
        if type(data) not in _ARRAY_DATA or shape != (len(data),):
            raise self.crafted("sets an array state whose shape is not its data's")
        return self.buffer(np.frombuffer(data, dtype=np.uint8))

    def wrapper_state(self, state: Any) -> Buffer:
        """joblib's ``NumpyArrayWrapper`` state, then its raw bytes, read here."""
        if not isinstance(state, dict):
            raise self.crafted("sets a malformed array wrapper state")
        keys = set(state)
        allowed = {
            "subclass",
            "shape",
            "order",
            "dtype",
            "allow_mmap",
            "numpy_array_alignment_bytes",
        }
        shape = state.get("shape")
        if (
            not keys <= allowed
            or not {"subclass", "shape", "order", "dtype"} <= keys
            or state["subclass"] is not _NDARRAY
            or not _is_uint8(state["dtype"])
            or state["order"] not in ("C", "F")
            or not (
                isinstance(shape, tuple)
                and len(shape) == 1
                and type(shape[0]) is int
                and shape[0] >= 0
            )
            or state.get("allow_mmap", False) not in (True, False)
        ):
            raise self.crafted(
                "holds an array wrapper that does not describe a raw uint8 buffer"
            )
        if state.get("numpy_array_alignment_bytes") != 16:
            # Written by joblib before 1.2 or to an unseekable file: the bytes
            # follow the wrapper unpadded, where pickle.load would run them
            # as opcodes. This reader never tells such a file safe.
            raise self.crafted(
                "holds an array wrapper without joblib's 16-byte alignment (joblib "
                "before 1.2, or joblib.dump to an unseekable file): save it again "
                "to a file"
            )
        if self.frame_end is not None and self.src.tell() < self.frame_end:
            raise self.crafted("writes array bytes inside a pickle frame")
        self.frame_end = None
        padding = self.src.read_byte()
        if not 1 <= padding <= 16 or self.src.read(padding) != b"\xff" * padding:
            raise self.crafted("pads an array with bytes joblib does not write")
        (n,) = shape
        self.check_buffer_size(n)
        self.src.check_length(n, "an array")
        index = self.n_buffers
        if self.skip_buffers:
            # audit: the sizes matter, not the bytes (never allocated).
            self.src.skip(n)
            return self.buffer(np.broadcast_to(np.uint8(0), (n,)))
        if self.mmap_mode is not None and state.get("allow_mmap"):
            array = self.src.map(n, self.mmap_mode)
        elif not self.src.allocatable():
            data = self.read_bytes(n)
            array = np.frombuffer(data, dtype=np.uint8)
        else:
            array = np.empty(n, dtype=np.uint8)
            callback = None
            if self.on_block is not None:
                on_block = self.on_block

                def callback(block: memoryview) -> None:
                    on_block(index, block)

            view = memoryview(array)  # type: ignore[arg-type]
            self.src.readinto(view, callback)
            if n == 0 and callback is not None:
                callback(view)
            return self.buffer(array, seen=True)
        return self.buffer(array)

    def check_buffer_size(self, n: int) -> None:
        if self.sizes is None:
            return
        index = self.n_buffers
        if index >= len(self.sizes) or self.sizes[index] != n:
            declared = self.sizes[index] if index < len(self.sizes) else "none"
            raise self.crafted(
                f"holds a payload buffer {index} of {n} bytes where its envelope "
                f"declares {declared}"
            )

    def freeze(self, value: Any) -> None:
        """No container of a checked part may change afterwards."""
        stack = [value]
        while stack:
            item = stack.pop()
            if type(item) in (dict, list) and id(item) not in self.frozen:
                self.frozen.add(id(item))
                stack.extend(item.values() if type(item) is dict else item)
            elif type(item) is tuple:
                stack.extend(item)

    def buffer(self, array: np.ndarray, *, seen: bool = False) -> Buffer:
        """A payload buffer; ``seen`` when ``on_block`` already saw its bytes
        as they were read (joblib's raw arrays), else they are shown now."""
        if self.envelope is None:
            raise self.crafted("holds an array inside its envelope")
        if self.n_buffers >= MAX_BUFFERS:
            raise self.crafted(f"holds more than {MAX_BUFFERS} buffers")
        if not self.skip_buffers:
            self.check_buffer_size(array.nbytes)
            if self.on_block is not None and not seen:
                view = memoryview(array)  # type: ignore[arg-type]
                for start in range(0, max(1, array.nbytes), 8 << 20):
                    self.on_block(self.n_buffers, view[start : start + (8 << 20)])
        self.n_buffers += 1
        return Buffer(array, self.n_buffers - 1)


# ----------------------------------------------------------------------------
# Checks on what was built
# ----------------------------------------------------------------------------


def shown(value: Any, width: int = 80) -> str:
    """A short, printable description of a value read from a file.

    Never walks a container (a file can make one that nests 10**5 deep or
    expands to 2**60 nodes): containers are described by type and length.

    Examples
    --------
    >>> shown(("a", 1)), shown("x\\n" * 50, 10)
    ('a tuple of 2 items', "'x\\\\nx\\\\n...")
    """
    if isinstance(value, _Token):
        text = value.name
    elif isinstance(value, (list, tuple, dict, set, frozenset)):
        return f"a {type(value).__name__} of {len(value)} items"
    elif isinstance(value, (str, bytes, bytearray)):
        text = repr(value[: width + 1])
    elif value is None or isinstance(value, (bool, int, float)):
        text = (
            repr(value)
            if not isinstance(value, int) or abs(value) < 10**30
            else "a huge int"
        )
    else:
        return f"a {type(value).__name__}"
    return cut(text, width)


def _describe_global(module: str, name: str) -> str:
    full = shown(f"{module}.{name}")
    if module == "joblib.numpy_pickle":
        return f"a joblib file whose top-level object is built by {full} (arrays)"
    return f"a pickle whose top-level object is built by {full}"


def check_plain(value: Any, what: str, part: str) -> None:
    """Refuse a part that is not a tree of plain data of its own size.

    The memo lets a stream refer to one container many times: a list that
    holds itself, or ``a = [b, b]; b = [c, c]; ...`` whose expansion doubles
    per level (every JSON dump, repr or signature check of it would never
    end). Each object and reference costs the file an opcode byte at least,
    so a walk that meets more nodes than twice the part's own objects and
    references (:func:`plain_size`), or goes deeper than ``MAX_DEPTH``, is
    a crafted or corrupt file (four times let a 1 MB head print 820 MB of
    indented JSON, round 91). Bytes the file spent elsewhere (its arrays,
    values it dropped) buy nothing: a trailer of 27 shared levels after a
    72 MB model was once walked for minutes.
    """
    problem = plain_data_problem(
        value, max_depth=MAX_DEPTH, max_nodes=2 * plain_size(value) + 10_000
    )
    if problem is not None:
        raise EnvelopeError(
            f"{what} has {'an' if part[0] in 'aeiou' else 'a'} {part} holding "
            f"{problem}: it is crafted or corrupt."
        )


# ----------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------


def read_head(src: Source) -> dict[str, Any]:
    """The envelope at the head of a file, read without reading the payload."""
    reader = Reader(src, head_only=True)
    try:
        reader.run()
    except _Done as done:
        return done.envelope
    except EnvelopeError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise EnvelopeError(
            f"{src.what} cannot be read within the memory and recursion limits "
            f"({type(exc).__name__}): it is crafted or corrupt."
        ) from exc
    except (struct.error, IndexError, TypeError, ValueError, OverflowError) as exc:
        raise EnvelopeError(f"{src.what} is not a valid pickle ({exc}).") from exc
    raise EnvelopeError(f"{src.what} ends before its envelope is complete.")


def read_parts(
    src: Source,
    *,
    mmap_mode: str | None = None,
    on_envelope: Callable[[dict[str, Any]], Any] | None = None,
    on_block: Callable[[int, memoryview], None] | None = None,
    skip_buffers: bool = False,
) -> Parts:
    """Every part of a model file, in one forward pass, built by the reader.

    With ``skip_buffers``, joblib's array buffers are skipped (seeked past
    when the file allows) and stand as zero-cost arrays of their size.
    """
    reader = Reader(
        src,
        mmap_mode=mmap_mode,
        on_envelope=on_envelope,
        on_block=on_block,
        skip_buffers=skip_buffers,
    )
    try:
        result = reader.run()
    except (EnvelopeError, IntegrityError):  # the file's own, or it changed
        raise
    except MemoryError as exc:
        raise EnvelopeError(
            f"{src.what} declares more data than this process can hold: it is "
            "crafted, corrupt, or too large for this machine."
        ) from exc
    except RecursionError as exc:
        raise EnvelopeError(f"{src.what} nests too deeply: it is crafted.") from exc
    except (struct.error, IndexError, TypeError, ValueError, OverflowError) as exc:
        raise EnvelopeError(f"{src.what} is not a valid pickle ({exc}).") from exc
    if not isinstance(result, Parts):
        raise EnvelopeError(f"{src.what} is not a wrapped model.")
    if reader.stack:
        raise reader.crafted("leaves values on its stack")
    return result
