"""The checks of a model's own pickle before a safe load unpickles it.

The inner stream is the wrapped estimator's own pickle (protocol 5), which
``_unpickle`` rebuilds with the C unpickler and every global remapped. In
safe mode (``load()``, or ``config_context(trusted=...)``) two checks run
before that, both here, and one after:

1. **scan** (:func:`scan_stream`): one pass over the opcodes, building
   nothing. Only the binary opcodes of protocols 2 to 5 that the C pickler
   writes; memo indices below the number of memoized values; buffers no more
   than there are; and every dict key and set member one value whose hash
   the file cannot choose (text, an integer of at most 64 bits, a float,
   None, or an object the dry run judges): never a tuple or a frozenset, whose
   hashes can be inverted (2,000 keys of one hash make a dict quadratic), and
   which a file can nest or share until hashing one overflows the C stack.
2. **dry run** (:class:`DryRun`): the C unpickler again, where every global is
   a stub that records how the stream uses it. A name outside the allow-list
   (``_allowlist``) and the caller's ``trusted`` names is untrusted; a use the
   allow-list does not grant (calling what is only ever a value, state set on
   a class object, calling an object the stream built, container operations
   on a class) is refused; numpy's reconstructors are checked argument by
   argument (dtypes against a freshly built dtype of the same description,
   never an object array from raw bytes, every shape against its data).
   What it built may rebuild no more than :data:`MAX_EXPANSION` times the
   stream and its buffers (:func:`expanded_size`: raw data, and the state of
   a tree or a boosting predictor, at every reference). Nothing is imported
   to decide.
3. **load** (``_unpickle.load_inner``): the real unpickler, whose
   ``find_class`` imports only names the dry run allowed, and rebuilds dtypes
   through the same checks.
4. **walk** (``_walk.walk_loaded``): every object of the loaded graph has a
   type the allow-list names, its state sets no name its class defines (a
   method, ``SVR._impl``), and its compiled-code structures pass
   ``_structures``, before any method of the model runs.

A plain ``pickle.load`` of a wrapper imports none of this: only ``_unpickle``.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import io
import itertools
import pickle
import re
import struct
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from versioned_estimator._allowlist import CALL, NEW, Allowed
from versioned_estimator._names import Resolved, resolve_name
from versioned_estimator._reader import MAX_OPCODES_PER_BYTE, OPCODE_SLACK, shown
from versioned_estimator._text import printable
from versioned_estimator._unpickle import FLOAT_NAME

__all__ = ["DryRun", "Refusal", "expanded_size", "scan_stream"]


class Refusal(Exception):
    """The inner stream does something the safe load does not allow.

    ``names`` holds the globals the refused part names, when known.
    """

    def __init__(self, message: str, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.names = list(names)


# ----------------------------------------------------------------------------
# 1. The scan: structure and bounds, building nothing
# ----------------------------------------------------------------------------

# Deeper than any model's containers (a Pipeline of ColumnTransformers of
# lists of tuples is a few dozen levels).
MAX_NESTING = 1_000

# Per opcode: how its argument is read (n >= 0: n bytes; "line", "lines":
# one or two text lines; "u1", "i4", "u4", "u8": a length prefix) and its
# effect on the stack (items popped, items pushed; "mark": pops to the MARK).
_ARGS: dict[int, Any] = {}
_EFFECT: dict[int, tuple[Any, int]] = {}


def _opcode_table() -> None:
    import pickletools

    lengths = {
        pickletools.UP_TO_NEWLINE: "line",
        pickletools.TAKEN_FROM_ARGUMENT1: "u1",
        pickletools.TAKEN_FROM_ARGUMENT4: "i4",
        pickletools.TAKEN_FROM_ARGUMENT4U: "u4",
        pickletools.TAKEN_FROM_ARGUMENT8U: "u8",
    }
    for code in pickletools.opcodes:
        op = code.code.encode("latin-1")[0]
        if code.name in ("EXT1", "EXT2", "EXT4"):
            # Resolved through copyreg's process-wide extension cache, which
            # never asks find_class again: no model's pickle uses them.
            continue
        arg = code.arg
        kind: Any = 0 if arg is None else (arg.n if arg.n >= 0 else lengths[arg.n])
        if code.name in ("GLOBAL", "INST"):
            kind = "lines"
        _ARGS[op] = kind
        before = [item.name for item in code.stack_before]
        after = len(code.stack_after)
        if "mark" in before:
            # What lies below the MARK (APPENDS' list) stays where it was.
            _EFFECT[op] = ("mark", after - before.index("mark"))
        else:
            _EFFECT[op] = (len(before), after)


_opcode_table()
_ATOM = (1, 0)
# An integer of more than 64 bits: as a dict key or set member it is refused
# (Python hashes integers modulo 2**61 - 1: multiples of it all collide, and
# a dict of 80,000 of them took 74 s to build).
_BIG = (1, len(""))  # equal to _ATOM, but another object (not folded)
_LONG1, _INT, _LONG = 0x8A, 0x49, 0x4C
_BIG_KEY = (
    "a dict key or set member that is an integer of more than 64 bits (such "
    "keys can be chosen to share one hash: building the dict takes time in "
    "the square of its size)"
)
_TUPLE_KEY = (
    "a dict key or set member that is a tuple or a frozenset (their hashes "
    "can be inverted, so keys can be chosen to share one: building the dict "
    "takes time in the square of its size)"
)
_u32 = struct.Struct("<I").unpack_from
_u64 = struct.Struct("<Q").unpack_from
_i32 = struct.Struct("<i").unpack_from
# Opcodes whose effect the scan follows itself.
_MEMOIZE, _BINGET, _LONG_BINGET, _GET = 0x94, 0x68, 0x6A, 0x67
_BINPUT, _LONG_BINPUT, _PUT = 0x71, 0x72, 0x70
_MARK, _STOP, _FRAME, _PROTO = 0x28, 0x2E, 0x95, 0x80
_TUPLE, _TUPLE1, _TUPLE2, _TUPLE3, _FROZENSET = 0x74, 0x85, 0x86, 0x87, 0x91
_SETITEM, _SETITEMS, _DICT, _ADDITEMS = 0x73, 0x75, 0x64, 0x90
_NEXT_BUFFER, _READONLY_BUFFER = 0x97, 0x98
_DUP, _POP, _POP_MARK = 0x32, 0x30, 0x31
_LIST, _EMPTY_LIST, _EMPTY_DICT, _EMPTY_SET = 0x6C, 0x5D, 0x7D, 0x8F
_NAMING = frozenset({0x93, 0x63, 0x69})  # STACK_GLOBAL, GLOBAL, INST
#: The longest module or qualified name a global may have (scikit-learn's
#: longest is under 100 characters).
MAX_NAME_LENGTH = 1000
#: The most globals a stream may name. Pickle names each once and then
#: refers to it; a model names a few hundred. 60,000 names (772 KB) made
#: the dry run stub a class each, beyond a minute (round 93).
MAX_NAMED = 10_000
#: The most characters of names a dry run records whole; past them each
#: further name is recorded by its start. A model's few hundred names hold
#: tens of thousands; one module name of 1,000 characters memoized under
#: 10,000 globals recorded 20 MB of names, and 10x more escaped (round 99).
MAX_NAMES_TEXT = 1 << 20
#: The most distinct violations a dry run keeps (errors show the first).
MAX_VIOLATIONS = 100
_LONG4 = 0x8B
_MAX_INT_BYTES = 1024
#: The magnitude from which an integer is refused (floats too: ``_magnitudes``).
HUGE = 1 << 249
_HASHED = {_SETITEMS: 2, _DICT: 2, _ADDITEMS: 1, _FROZENSET: 1}
_EXT = {0x82: 1, 0x83: 2, 0x84: 4}


# Classes of opcodes, for the scan's dispatch (most frequent first).
_C_SHORT, _C_MEMOIZE, _C_FIXED, _C_BINGET, _C_MARK, _C_LONG = 1, 2, 3, 4, 5, 6
_C_LONG_BINGET, _C_KEEP, _C_TUPLE1, _C_TUPLE2, _C_TUPLE = 7, 8, 9, 10, 11
_C_UNPACK = 12  # REDUCE, NEWOBJ, NEWOBJ_EX: calls that unpack their arguments
_C_POP = 13  # POP, POP_MARK, DUP (refused), TUPLE3, SETITEM, APPENDS, LIST
_C_EMPTY = 14  # EMPTY_LIST, EMPTY_DICT, EMPTY_SET: a container, counted
_CLASS = [0] * 256
_FIXED_PUSH = [0] * 256
_LONG_WIDTH = [0] * 256
# Opcodes without an argument of their own that take a value off the stack
# and keep the object under it as their result: BUILD, APPEND.
_KEEPS = (0x62, 0x61)


def _classes() -> None:
    for op, kind in _ARGS.items():
        pops, pushes = _EFFECT[op]
        if (pops, pushes) == (0, 1) and kind == "u1":
            _CLASS[op] = _C_SHORT
        elif (
            (pops, pushes) == (0, 1)
            and kind.__class__ is int
            and op
            not in (
                _NEXT_BUFFER,
                _BINGET,
                _LONG_BINGET,
                0x82,
                0x83,
                0x84,
            )
        ):
            _CLASS[op] = _C_FIXED
            _FIXED_PUSH[op] = kind
        elif (pops, pushes) == (0, 1) and kind in ("u4", "u8"):
            # BINUNICODE, BINBYTES, BYTEARRAY8...: a length, then the bytes.
            # (LONG4's signed length has checks of its own.)
            _CLASS[op] = _C_LONG
            _LONG_WIDTH[op] = 4 if kind == "u4" else 8
    for op in _KEEPS:
        assert _EFFECT[op] == (2, 1)
        assert _ARGS[op] == 0
        _CLASS[op] = _C_KEEP
    _CLASS[0x52] = _CLASS[0x81] = _CLASS[0x92] = _C_UNPACK
    _CLASS[_MEMOIZE] = _C_MEMOIZE
    _CLASS[_TUPLE1] = _C_TUPLE1
    _CLASS[_TUPLE2] = _C_TUPLE2
    _CLASS[_TUPLE] = _C_TUPLE
    _CLASS[_BINGET] = _C_BINGET
    _CLASS[_LONG_BINGET] = _C_LONG_BINGET
    _CLASS[_MARK] = _C_MARK
    _CLASS[_LONG1] = 0  # its length decides whether it is a _BIG
    for op in (_POP, _POP_MARK, _DUP, _TUPLE3, _SETITEM, 0x65, _LIST):  # 0x65 APPENDS
        _CLASS[op] = _C_POP
    for op in (_EMPTY_LIST, _EMPTY_DICT, _EMPTY_SET):
        _CLASS[op] = _C_EMPTY


_classes()

#: Runs of opcodes of one byte that push one constant each (None, True,
#: False, the empty tuple), matched in C: 4 x 10**7 Nones in a list, a byte
#: of stream each, were 4 s of the scan's Python loop (round 187).
_IN_RUN = [_CLASS[op] == _C_FIXED and _FIXED_PUSH[op] == 0 for op in range(256)]
_CONSTANT_RUN = re.compile(
    b"[%s]+" % b"".join(re.escape(bytes([op])) for op in range(256) if _IN_RUN[op])
)


def _too_many_ops(most_ops: int | None) -> Refusal:
    return Refusal(
        f"more than {most_ops:,} opcodes from a compressed file of "
        "fewer bytes than they need (its stream inflates far past "
        "what the model's structure compresses to)"
    )


def scan_stream(stream: bytes, n_buffers: int, most_ops: int | None = None) -> None:
    """Refuse a stream whose structure could exhaust time or memory when
    unpickled, before anything is built. Raises :class:`Refusal`.

    One pass over the opcodes, following the stack as sizes only: memo
    indices must not run ahead of what was memoized (the C unpickler sizes
    its memo by the largest index), the stream must take exactly the file's
    buffers, and no dict key or set member may be a tuple, a frozenset or an
    integer past 64 bits (hashes a file can choose alike). At most
    ``most_ops`` opcodes, when given: a compressed file's, bounded by its
    compressed size as the outer pickle's are (``Parts.most_ops``).

    Examples
    --------
    >>> import pickle
    >>> scan_stream(pickle.dumps({"a": (1, 2)}, protocol=5), 0)
    >>> scan_stream(pickle.dumps({(1, 2): "a"}, protocol=5), 0)
    Traceback (most recent call last):
    ...
    versioned_estimator._inner.Refusal: a dict key or set member that is a tuple ...
    >>> scan_stream(b"\\x80\\x05N\\x8c\\x01a\\x94r\\xff\\xff\\xff\\x7f.", 0)
    Traceback (most recent call last):
    ...
    versioned_estimator._inner.Refusal: a memo index (2147483647) ahead of ...
    """
    data = stream
    i = 0
    stack: list[tuple[int, int]] = []
    marks: list[int] = []
    memo: list[tuple[int, int] | None] = []
    size = len(data)
    # out-of-band buffers seen, globals named, where the last NEXT_BUFFER
    # ended, where the current frame ends (past the stream: in none)
    counts = [0, 0, -1, size + 1]
    frame_end = size + 1
    # The values calls unpack, in all: a call copies its argument tuple, so
    # a million-item tuple memoized once and passed to 1,000 calls copied a
    # billion (a 1 MB file past 60 s and 2.9 GB, round 102).
    unpacked = 0
    most_unpacked = len(data) + 65_536
    # Lists, tuples, dicts and sets made (the empty tuple is one object).
    containers = 0
    classes = _CLASS
    fixed = _FIXED_PUSH
    widths = _LONG_WIDTH
    unpack_u32, unpack_u64 = _u32, _u64
    atom = _ATOM
    append = stack.append
    in_run, constant_run = _IN_RUN, _CONSTANT_RUN
    remember = memo.append
    # Every opcode takes a byte at least: only a stream longer than the
    # bound counts them.
    left = size if most_ops is None or most_ops >= size else most_ops
    try:
        while True:
            if i >= frame_end:
                if i > frame_end:
                    # The C unpickler drops what is left of a frame when an
                    # opcode reads past it, and goes on from after the
                    # frame: the scan and it parted, and the opcodes only
                    # the unpickler read went unjudged (a tuple nested two
                    # million deep as a key: SIGSEGV, round 121).
                    raise Refusal("an opcode that runs past the end of its frame")
                frame_end = counts[3] = size + 1
            op = data[i]
            i += 1
            left -= 1
            if left < 0:
                raise _too_many_ops(most_ops)
            cls = classes[op]
            if cls == 1:  # SHORT_BINUNICODE, SHORT_BINBYTES...
                i += 1 + data[i]
                append(atom)
                if data[i] == 0x94:  # memoized at once, as pickle does with text
                    i += 1
                    remember(atom)
            elif cls == 2:  # MEMOIZE
                remember(stack[-1])
            elif cls == 3:  # a constant with a fixed-size argument
                if in_run[op] and i < size and in_run[data[i]]:
                    # a run of constants of one byte: to its end at once,
                    # within the frame (as the unpickler reads them)
                    run = constant_run.match(data, i, min(frame_end, size))
                    count = run.end() - i if run is not None else 0
                    left -= count
                    if left < 0:
                        raise _too_many_ops(most_ops)
                    i += count
                    stack.extend(itertools.repeat(atom, count + 1))
                else:
                    i += fixed[op]
                    append(atom)
            elif cls == 4:  # BINGET
                found = memo[data[i]]
                if found is None:
                    raise IndexError
                i += 1
                append(found)
            elif cls == 5:
                marks.append(len(stack))
            elif cls == 13:  # a byte each, not through the slow path
                if op == 0x30:  # POP
                    if marks and marks[-1] == len(stack):
                        # POP takes a MARK on top, as the C unpickler does
                        # (the scan took the value under it: a key of 76
                        # bits was never judged a key, round 119).
                        marks.pop()
                    elif stack:
                        del stack[-1]
                    else:
                        raise IndexError
                elif op == 0x32:
                    # DUP: no pickler writes it, and it makes a reference of
                    # one byte, each judged by the walk (four million to one
                    # numpy number took 9 s and 650 MB, round 136). (Taken
                    # as a fresh value, it had laundered a big key, a tuple's
                    # depth and size, round 118.)
                    raise Refusal("a DUP opcode, which no pickler writes")
                elif op == 0x87:  # TUPLE3
                    if len(stack) < 3:
                        raise IndexError
                    _fold(stack, len(stack) - 3)
                    containers += 1
                elif op == 0x73:  # SETITEM: its key judged
                    key = stack[-2]
                    if key is not atom:
                        raise Refusal(_BIG_KEY if key is _BIG else _TUPLE_KEY)
                    del stack[-2:]
                else:  # POP_MARK, APPENDS, LIST: down to the mark
                    del stack[marks.pop() :]
                    if op == _LIST:
                        append(atom)  # the list
                        containers += 1
            elif cls == 8:  # BUILD, APPEND: the object below stays, as it was
                # (a fresh value in its place laundered an integer past 64
                # bits, a tuple's depth and its size through BUILD(None),
                # round 119)
                if len(stack) < 2:
                    raise IndexError
                del stack[-1]
            elif cls == 7:  # LONG_BINGET
                found = memo[unpack_u32(data, i)[0]]
                if found is None:
                    raise IndexError
                i += 4
                append(found)
            elif cls == 6:  # a length of 4 or 8 bytes, then as many bytes
                width = widths[op]
                i += width + (unpack_u32 if width == 4 else unpack_u64)(data, i)[0]
                if i > size:
                    raise IndexError
                append(atom)
            elif cls == 10:  # TUPLE2: the size and depth of what hashing walks
                first, second = stack[-2], stack[-1]
                depth = first[1] if first[1] > second[1] else second[1]
                if depth >= MAX_NESTING:
                    raise Refusal(f"tuples nested more than {MAX_NESTING} deep")
                del stack[-1]
                stack[-1] = (min(1 + first[0] + second[0], 1 << 40), depth + 1)
                containers += 1
            elif cls == 9:  # TUPLE1
                item = stack[-1]
                if item[1] >= MAX_NESTING:
                    raise Refusal(f"tuples nested more than {MAX_NESTING} deep")
                stack[-1] = (item[0] + 1, item[1] + 1)
                containers += 1
            elif cls == 11:  # TUPLE
                _fold(stack, marks.pop())
                containers += 1
            elif cls == 12:  # REDUCE, NEWOBJ(_EX): the call copies its arguments
                pops = 3 if op == 0x92 else 2  # NEWOBJ_EX: class, tuple, keywords
                if len(stack) < pops:
                    raise IndexError
                unpacked += stack[1 - pops][0] + (pops - 2) * stack[-1][0]
                if unpacked > most_unpacked:
                    raise Refusal(
                        "calls whose arguments add up to more values than the "
                        "stream holds (one memoized tuple passed again and again)"
                    )
                del stack[-pops:]
                append(atom)
            elif cls == 14:  # EMPTY_LIST, EMPTY_DICT, EMPTY_SET
                append(atom)
                containers += 1
            else:
                if op in (_DICT, _FROZENSET):
                    containers += 1
                i = _scan_other(data, i - 1, stack, marks, memo, counts, n_buffers)
                if i < 0:
                    break
                frame_end = counts[3]
    except IndexError as exc:
        raise Refusal(
            "an opcode without its operands, a reference to a value never "
            "memoized, or a value that runs past the end of the stream"
        ) from exc
    except (struct.error, ValueError) as exc:
        raise Refusal(f"a truncated or malformed opcode ({exc})") from exc
    most = most_containers(size, most_ops)
    if containers > most:
        raise Refusal(
            f"{containers:,} lists, tuples, dicts and sets from a stream of "
            f"{size:,} bytes (at most {most:,}: a model holds one every 20 bytes "
            "or more, and each costs the checks after the load microseconds)"
        )
    if counts[0] != n_buffers:
        # The writer gives every buffer to the stream; one left over is bytes
        # a reader other than this one could take for something else.
        raise Refusal(
            f"{counts[0]} buffer references for the file's {n_buffers} buffers"
        )


def _scan_other(
    data: bytes,
    start: int,
    stack: list[tuple[int, int]],
    marks: list[int],
    memo: list[tuple[int, int] | None],
    counts: list[int],
    n_buffers: int,
) -> int:
    """One opcode of the scan outside the fast paths (which take BINGET,
    LONG_BINGET, every length of 4 or 8 bytes, REDUCE, BUILD, NEWOBJ,
    APPEND, TUPLE, TUPLE1 and TUPLE2); the next position, or -1 at STOP."""
    op = data[start]
    i = start + 1
    kind = _ARGS.get(op)
    index = -1
    if kind is None:
        if op in _EXT:
            width = _EXT[op]
            code = int.from_bytes(data[i : i + width], "little")
            found = copyreg._inverted_registry.get(code)  # type: ignore[attr-defined]
            name = ".".join(found) if found else None
            raise Refusal(
                f"the extension code {code}"
                + (f" ({name}, registered in this process)" if name else "")
                + ", which copyreg resolves from a process-wide cache without "
                "asking the allow-list",
                [name] if name else [],
            )
        raise Refusal(f"the byte {op:#04x} where an opcode belongs")
    big = False
    if kind.__class__ is int:
        if op == _BINPUT:
            index = data[i]
        elif op == _LONG_BINPUT:
            index = _u32(data, i)[0]
        i += kind
    elif kind == "u1":
        big = op == _LONG1 and data[i] > 8
        if big:
            _huge(int.from_bytes(data[i + 1 : i + 1 + data[i]], "little", signed=True))
        i += 1 + data[i]
    elif kind == "i4":
        length = _i32(data, i)[0]
        if length < 0:
            raise Refusal("a negative length")
        if op == _LONG4 and length > _MAX_INT_BYTES:
            # Python's own int conversions are quadratic in the digits: no
            # model holds an integer of more than a few hundred bits.
            raise Refusal(f"an integer of {length} bytes")
        big = op == _LONG4 and length > 8
        if big:
            _huge(int.from_bytes(data[i + 4 : i + 4 + length], "little", signed=True))
        i += 4 + length
    elif kind == "line":
        end = data.index(b"\n", i)
        if op in (_GET, _PUT):
            try:
                index = int(data[i:end])
            except ValueError as exc:
                raise Refusal("a malformed memo index") from exc
        digits = data[i:end]
        if op in (_INT, _LONG) and not (op == _INT and digits in (b"00", b"01")):
            # In any base Python reads (0x, 0o, 0b, digits apart by _), as the
            # C unpickler does: 21 characters were taken for 64 bits at most,
            # and "0x" and 19 hex digits are 76 (round 119).
            try:
                value = int(digits[:-1] if digits.endswith(b"L") else digits, 0)
            except ValueError as exc:  # 4,300 digits at most
                raise Refusal("a malformed or overlong integer") from exc
            big = not -(1 << 63) <= value < 1 << 63
            if big:
                _huge(value)
        i = end + 1
    else:  # two lines
        i = data.index(b"\n", data.index(b"\n", i) + 1) + 1
    if i > len(data):
        raise IndexError
    append = stack.append
    if index >= 0:
        if op == _GET:
            found = memo[index]
            if found is None:
                raise IndexError
            append(found)
        elif index < len(memo):
            memo[index] = stack[-1]
        elif index == len(memo):
            memo.append(stack[-1])
        else:
            # Pickle memoizes at the next index, always: an index ahead left
            # slots the C unpickler sizes its memo by (1,025 slots a PUT of 5
            # bytes: 2.2 GB from 1 MB, round 102), and it puts MEMOIZE's
            # value at its count of values, not after the last index, so the
            # scan's memo and the unpickler's parted (a value the scan held
            # plain was a 76-bit key to the unpickler, round 119).
            raise Refusal(
                f"a memo index ({index}) ahead of the {len(memo)} values memoized"
            )
    elif op in _HASHED:
        begin = marks.pop()
        for key in stack[begin :: _HASHED[op]]:
            if key is not _ATOM:
                raise Refusal(_BIG_KEY if key is _BIG else _TUPLE_KEY)
        if op == _FROZENSET:
            _fold(stack, begin)
        else:
            del stack[begin:]
            if op == _DICT:
                append(_ATOM)
    elif op == _SETITEM:
        key = stack[-2]
        if key is not _ATOM:
            raise Refusal(_BIG_KEY if key is _BIG else _TUPLE_KEY)
        del stack[-2:]
    elif op == _TUPLE3:
        if len(stack) < 3:
            raise IndexError
        _fold(stack, len(stack) - 3)
    elif op == _STOP:
        return -1
    elif op == _FRAME:
        if counts[3] <= len(data):
            raise Refusal("a frame that begins inside another")
        counts[3] = i + _u64(data, start + 1)[0]
        if counts[3] > len(data):
            raise IndexError
    elif op == _PROTO:
        pass
    else:
        if op == _NEXT_BUFFER:
            counts[0] += 1
            counts[2] = i
            if counts[0] > n_buffers:
                raise Refusal("more out-of-band buffers than the file holds")
        elif op in _NAMING:
            counts[1] += 1
            if counts[1] > MAX_NAMED:
                raise Refusal(f"more than {MAX_NAMED:,} globals named")
        elif op == _READONLY_BUFFER and start != counts[2]:
            # Pickle writes it only right after NEXT_BUFFER. Anywhere else it
            # makes a new view of a buffer or bytearray the stream already
            # used: one block of data under a thousand trees, each view a new
            # object to the dry run, each tree a copy of the block. (The
            # opcode before it, not the byte: BINPUT 0x97 passed, round 119.)
            raise Refusal("a read-only view of data other than the buffer just taken")
        elif op == _POP and marks and marks[-1] == len(stack):
            # POP takes a MARK when one is on top, as the C unpickler does
            # (the scan took the value under it for the POP: a key of 76
            # bits was never judged a key, round 119).
            marks.pop()
            return i
        pops, pushes = _EFFECT[op]
        if pops == "mark":
            del stack[marks.pop() :]
        elif pops:
            if len(stack) < pops:
                raise IndexError
            del stack[len(stack) - pops :]
        for _ in range(pushes):
            append(_BIG if big else _ATOM)
    return i


def _cut(text: str, most: int = MAX_NAME_LENGTH) -> str:
    """A name too long to record, by its start and its length."""
    return text if len(text) <= most else f"{text[:60]}...({len(text):,})"


def _huge(value: int) -> None:
    """Refuse an integer of :data:`HUGE` or more: no fit makes one, and a
    method computes with it as a float (a scaler's scale of 10**308 made the
    data it divides subnormal and the neighbours search after it 19 times as
    long, red-team round 81); floats are held to the same bound by the walk
    (``_magnitudes``)."""
    if not -HUGE < value < HUGE:
        raise Refusal(
            f"an integer of {value.bit_length()} bits (at most 249: the data "
            "over it comes near the subnormal range, which the processor "
            "computes in 20 to 100 times slower; no fit makes it)"
        )


def _fold(stack: list[tuple[int, int]], start: int) -> None:
    items = stack[start:]
    del stack[start:]
    nodes = 1
    depth = 0
    for item in items:
        nodes += item[0]
        if item[1] > depth:
            depth = item[1]
    if depth >= MAX_NESTING:
        # hash() of a tuple recurses in C without a limit.
        raise Refusal(f"tuples nested more than {MAX_NESTING} deep")
    stack.append((min(nodes, 1 << 40), depth + 1))


# ----------------------------------------------------------------------------
# 2. The dry run: the C unpickler over stubs that record every use
# ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CallPlan:
    """What a call of one name is, whatever its arguments: granted by the
    allow-list, its cost and how a refusal names it, its check, whether its
    arguments are an own-state part's (:data:`OWN_STATE`), whether it may
    read a record dtype's fields, whether it is a ``newObj``."""

    granted: bool
    cost: int
    what: str
    check: Callable[[DryRun, tuple[Any, ...]], Any] | None
    whole: bool
    reads_fields: bool
    new_object: bool


def _dict_state(state: Any) -> bool:
    """Whether ``state`` is what pickle gives an object it made by its class
    (``copyreg.__newobj__``): its ``__dict__``, or that and its slots."""
    if type(state) is dict:
        return True
    return (
        type(state) is tuple
        and len(state) == 2
        and all(part is None or type(part) is dict for part in state)
    )


class _StubMeta(type):
    """Stands for a global of the stream. Calling it (REDUCE) and building an
    object of it (NEWOBJ) are recorded and judged by the dry run."""

    _ve_dry: DryRun
    _ve_name: str

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._ve_dry.on_call(cls, args, kwargs)

    def __getattr__(cls, name: str) -> Any:
        if (name.startswith("__") and name.endswith("__")) or name.startswith("_ve_"):
            raise AttributeError(name)  # Python's own, or the base stub's
        cls._ve_dry.charge(ITEM_COST, _CLASS_USED)
        cls._ve_dry.violation_once(
            ("class attribute", cls, name),
            lambda: f"reads the attribute {name} of {cls._ve_name}",
        )
        raise AttributeError(name)

    def __setitem__(cls, key: Any, value: Any) -> None:
        cls._ve_dry.charge(ITEM_COST, _CLASS_USED)
        cls._ve_dry.violation_once(
            ("class items", cls),
            lambda: f"sets items on the class {cls._ve_name} itself",
        )


class _SetState:
    """BUILD on a stub instance is judged; on a stub class, refused: no
    model's pickle sets state on a class object, and the real unpickler would
    set it as class attributes, changing the class for the whole process."""

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return functools.partial(_class_build, owner)
        return instance._ve_build


def _class_build(owner: Any, *state: Any) -> None:
    owner._ve_dry.charge(ITEM_COST, _CLASS_USED)
    owner._ve_dry.violation_once(
        ("class state", owner),
        lambda: (
            f"sets state on the class {owner._ve_name} itself (BUILD on a "
            "class object), which would change that class for the whole process"
        ),
    )


class _Stub(metaclass=_StubMeta):
    """An object the stream builds from a stub global."""

    _ve_dry: DryRun
    _ve_name: str
    __setstate__ = _SetState()
    # how the stream made it (CALL, NEW), what a check learnt of it, how many
    # times its state was set, and what the stream built it from (arguments,
    # state, items), for expanded_size: the real objects are built from the
    # same values. Slots: a model's stream makes a stub per array.
    __slots__ = ("_ve_builds", "_ve_how", "_ve_info", "_ve_parts")
    _ve_how: str
    _ve_info: Any
    _ve_builds: int
    _ve_parts: list[Any]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._ve_dry.on_new(cls, args, kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def _ve_build(self, state: Any) -> None:
        self._ve_dry.on_build(self, state)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        dry = self._ve_dry
        dry.charge(OBJECT_COST, _OBJECT_USED)
        if dry.allowed is None or type(self)._ve_name not in dry.allowed.trusted:
            dry.violation_once(
                ("object call", type(self)),
                lambda: (
                    f"calls an object it built (of {type(self)._ve_name}), "
                    "which no model's pickle does"
                ),
            )
        return dry.inert()

    def __hash__(self) -> int:
        # Called when a dict or set the stream builds takes it as a key.
        self._ve_dry.charge(ITEM_COST, _OBJECT_USED)
        self._ve_dry.on_key(self)
        return object.__hash__(self)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._ve_dry.charge(ITEM_COST, _OBJECT_USED)
        self._ve_dry.on_items(self, "setitems")
        self._ve_dry.on_key(key)
        self._ve_parts.append((key, value))

    def _ve_add(self, item: Any) -> None:
        self._ve_dry.charge(ITEM_COST, _OBJECT_USED)
        self._ve_dry.on_key(item)
        self._ve_parts.append(item)

    def __getattr__(self, name: str) -> Any:
        if (name.startswith("__") and name.endswith("__")) or name.startswith("_ve_"):
            raise AttributeError(name)  # Python's own, or a slot not set
        # APPEND asks for append at each item, APPENDS for extend once.
        self._ve_dry.charge(ITEM_COST, _OBJECT_USED)
        if name in ("append", "extend"):
            self._ve_dry.on_items(self, "appends")
            return self._ve_parts.append
        if name == "add":
            self._ve_dry.on_items(self, "additems")
            return self._ve_add
        self._ve_dry.violation_once(
            ("object attribute", type(self), name),
            lambda: f"reads the attribute {name} of an object of {type(self)._ve_name}",
        )
        raise AttributeError(name)


_MAX_NDIM = 64


def _shape_size(shape: Any) -> int | None:
    if not isinstance(shape, tuple) or len(shape) > _MAX_NDIM:
        return None
    size = 1
    for n in shape:
        if type(n) is not int or n < 0:
            return None
        size *= n
    return size


class DryRun:
    """Run the C unpickler over stubs; record every global and judge every use.

    Parameters
    ----------
    allowed : Allowed or None
        The allow-list (with the caller's trusted names); None records only
        (``audit`` without judging, and the allow-list generator).
    aliases : mapping
        ``module_aliases`` of the load.
    buffers : sequence
        The out-of-band buffers (their sizes are checked against shapes).
    """

    def __init__(
        self,
        allowed: Allowed | None,
        aliases: Mapping[str, str] | None = None,
        buffers: Sequence[Any] = (),
        most_ops: int | None = None,
    ) -> None:
        self.allowed = allowed
        self.aliases = aliases or {}
        self.buffers = buffers
        self.names: list[str] = []  # every global, as named by the stream
        self._name_text = 0  # their characters
        self.resolved: dict[str, Resolved] = {}
        self.untrusted: list[str] = []
        self.violations: list[str] = []
        # the three lists as sets, for lookups (lists are searched in time
        # their length: 60,000 names took the dry run past a minute)
        self._seen: dict[str, set[str]] = {
            "names": set(),
            "untrusted": set(),
            "violations": set(),
        }
        self.uses: dict[str, set[str]] = {}
        self._granted: dict[tuple[str, str], bool] = {}
        # what on_call decides once a name (a model's stream calls one
        # array reconstructor for every array): see _CallPlan
        self._plans: dict[str, _CallPlan | None] = {}
        self._violated: set[Hashable] = set()
        self._judged: dict[tuple[str, int], Any] = {}  # argument tuples judged
        # dtypes judged, by (description, state): see _dtype_build
        self._dtypes: dict[tuple[Any, ...], Any] = {}
        # the parts of dtype states, each with its checked value and size,
        # by id: see _real
        self.dtype_done: dict[int, tuple[Any, Any, int]] = {}
        self.copies: dict[int, Any] = {}  # values a restore copies, see copied
        self.dtype_values = 0
        self.dtype_budget = 65_536
        # The fields dicts of record dtypes, by id, each with the copy that
        # was judged: numpy keeps the dict it is given, which the stream can
        # change after the judgment (a node dtype's field moved 2 GB past its
        # records, then a tree's restore cast them: SIGSEGV, round 123).
        self.fields_judged: dict[int, tuple[dict[Any, Any], dict[Any, Any]]] = {}
        self.intact_work = 0
        # dtype_layout's results, by id (the dtypes kept with them): a dtype
        # of 4,000 fields shared by 40,000 others was walked at each (round
        # 123)
        self.layouts: dict[int, tuple[tuple[int, int, bool], Any]] = {}
        self._classes: dict[str, type] = {}
        # values an own-state part holds and arrays' data, by id: one seen
        # twice makes the run measure what the model rebuilds
        self._owned: set[int] = set()
        self.shares = False
        # what the restores of own-state parts copied, as they ran, and the
        # most all of them may (set by run)
        self.copied_bytes = 0
        self.held = 0
        self.rebuild_limit = EXPANSION_SLACK
        # the objects made (calls, NEWOBJ), and the most a compressed file's
        # stream may make (:func:`most_objects` of the opcodes ``scan_stream``
        # allowed it; None: not compressed)
        self.objects = 0
        self.most_objects = most_objects(most_ops)
        # the objects made by NEWOBJ (instances of classes: estimators and
        # their parts), and the most the stream's bytes pay for (set by run)
        self.instances = 0
        self.most_instances = INSTANCE_SLACK

    # -- recording ------------------------------------------------------------

    def violation(self, message: str) -> None:
        # Messages quote the stream (and pickle's own errors quote it too):
        # one line, escapes shown, whatever the file holds.
        message = " ".join(message.split())
        if not printable(message):
            message = ascii(message)[1:-1]
        if (
            message not in self._seen["violations"]
            and len(self.violations) < MAX_VIOLATIONS
        ):
            self._seen["violations"].add(message)
            self.violations.append(message)

    def violation_once(self, key: Hashable, message: str | Callable[[], str]) -> None:
        """:meth:`violation` of a use a stream can repeat at every opcode:
        judged once a key, its message (which quotes a name of up to 2,000
        characters) built only then; a short one may come built. Built at
        every opcode, 2 bytes of stream each, a 23 KB compressed file kept a
        load past a minute (round 100). Each costs :data:`VIOLATION_COST`
        against the file: no model's pickle makes one, and a stream that
        repeats one makes the dry run judge it again (a refused call, 5 bytes
        of stream, took 3.4 us)."""
        self.charge(VIOLATION_COST, "uses again and again what no model's pickle uses")
        if key not in self._violated:
            self._violated.add(key)
            if len(self.violations) < MAX_VIOLATIONS:
                self.violation(message if isinstance(message, str) else message())

    def use(self, name: str, how: str) -> bool:
        """Record a use of ``name``; whether the allow-list grants it."""
        granted = self._granted.get((name, how))
        if granted is None:
            # Decided once a name and use (a boosting model calls one
            # reconstructor 600 times): a name is judged untrusted when the
            # stream names it, before any use of it.
            self.uses.setdefault(name, set()).add(how)
            granted = (
                name in self._seen["untrusted"]  # reported once, as untrusted
                or self.allowed is None
                or self.allowed.grants(name, how)
            )
            self._granted[(name, how)] = granted
        return granted

    def stub_class(self, resolved: Resolved) -> type:
        name = resolved.canonical
        found = self._classes.get(name)
        if found is None:
            short = resolved.name.rpartition(".")[2]
            found = _StubMeta(
                short if short.isidentifier() else "Stub",
                (_Stub,),
                {"_ve_dry": self, "_ve_name": name, "__slots__": ()},
            )
            self._classes[name] = found
        return found

    def find_class(self, module: str, name: str) -> type:
        if len(module) > MAX_NAME_LENGTH or len(name) > MAX_NAME_LENGTH:
            # Recorded by its start: one memoized name of 100,000 characters
            # under 9,900 globals was copied into every list (2.9 GB).
            self.violation(
                f"names a global of {len(module) + len(name) + 1:,} characters"
            )
            module, name = _cut(module), _cut(name)
        if not (_dotted(module) and _dotted(name)):
            # Not a name Python could have written: refused, and shown with
            # its escapes wherever names are listed.
            # The module part is kept when it is one, so a name under a module
            # known to run code is still flagged as such.
            # Escapes can make a name ten times as long: cut once escaped.
            module = module if _dotted(module) else _cut(ascii(module))
            name = name if _dotted(name) else _cut(ascii(name))
            self.violation(f"names a global that is not a Python name: {module}.{name}")
        if self._name_text > MAX_NAMES_TEXT:
            module, name = _cut(module, 60), _cut(name, 60)
        resolved = resolve_name(module, name, self.aliases)
        full = resolved.canonical
        if resolved.original not in self._seen["names"]:
            self._seen["names"].add(resolved.original)
            self.names.append(resolved.original)
            self._name_text += len(resolved.original)
            if self._name_text > MAX_NAMES_TEXT:
                self.violation(
                    f"names globals of more than {MAX_NAMES_TEXT:,} characters in all"
                )
        self.resolved[resolved.original] = resolved
        if (
            self.allowed is not None
            and not self.allowed.named(full)
            and full not in self._seen["untrusted"]
        ):
            self._seen["untrusted"].add(full)
            self.untrusted.append(full)
        return self.stub_class(resolved)

    def trusted_result(self, name: str) -> type:
        """What a call of a name the caller trusted returns in the dry run.

        Trusted code (cloudpickle's rebuilders of code stored by value) may
        return a class, a function or an object; the dry run cannot know
        which, so it stands for all of them: a stub class that may be called,
        instantiated and given state under the trusted name. Every other use
        the stream makes goes on being judged.
        """
        return _StubMeta(
            "trusted", (_Stub,), {"_ve_dry": self, "_ve_name": name, "__slots__": ()}
        )

    def inert(self) -> Any:
        """An object that accepts everything, so the dry run goes on listing."""
        return self.instance(
            self.stub_class(Resolved("refused", "object", "", None)), CALL, []
        )

    def instance(self, cls: type, how: str, parts: list[Any]) -> _Stub:
        """A stub object of ``cls``, made by ``how``, of ``parts``."""
        obj: _Stub = object.__new__(cls)
        obj._ve_how = how
        obj._ve_info = None
        obj._ve_builds = 0
        obj._ve_parts = parts
        return obj

    # -- the uses -------------------------------------------------------------

    def on_call(self, cls: type, args: tuple[Any, ...], kwargs: Any) -> Any:
        name = cls._ve_name  # type: ignore[attr-defined]
        try:
            plan = self._plans[name]
        except KeyError:
            plan = self._plans[name] = self.call_plan(name)
        if plan is None:  # trusted by the caller
            return self.trusted_result(name)
        if not plan.granted:
            self.violation_once(
                ("call", name),
                lambda: f"calls {name}, which the allow-list admits only as a value",
            )
        self.count_object()
        cost = plan.cost
        if plan.new_object and len(args) == 1:
            owner = getattr(args[0], "_ve_name", "")
            cost += _NEW_OBJECT_COSTS.get(owner.rpartition(".")[0], 0)
        self.charge(cost, plan.what)
        check = plan.check
        obj = self.instance(cls, CALL, [args])
        self.own(args, plan.whole, args)
        if plan.reads_fields:
            self.records_intact(args)
        if check is not None:
            try:
                obj._ve_info = check(self, args)
            except Refusal as exc:
                self.violation_once(("call check", name), f"calls {name} with {exc}")
        elif plan.new_object:
            # scikit-learn's trees and metrics: cls.__new__(cls), their own
            # classes only (never a dtype or an array built without checks).
            module = name.rpartition(".")[0]
            owner = getattr(args[0], "_ve_name", "") if len(args) == 1 else ""
            if owner.rpartition(".")[0] != module or not self.use(owner, "instance"):
                self.violation_once(
                    ("new object", name, owner),
                    lambda: f"calls {name} for {_shown(args)}, not a class of {module}",
                )
        elif name.rpartition(".")[2].startswith("__pyx_unpickle_"):
            owner = name.rpartition(".")[0] + "." + name.rpartition(".")[2][15:]
            if not args or getattr(args[0], "_ve_name", None) != owner:
                self.violation_once(
                    ("cython", name),
                    lambda: f"calls {name} for a class other than {owner}",
                )
        elif name.startswith("builtins."):
            self.check_builtin_args(name, args)
        return obj

    def call_plan(self, name: str) -> _CallPlan | None:
        """What :meth:`on_call` decides of ``name`` whatever its arguments
        (None: the caller trusts it), once a name."""
        if self.allowed is not None and name in self.allowed.trusted:
            return None
        return _CallPlan(
            granted=self.use(name, CALL),
            cost=OBJECT_COST + _CALL_COSTS.get(name, 0),
            what=f"makes an object by {_cut(name, 200)}",
            check=_CALL_CHECKS.get(name),
            whole=name in OWN_STATE,
            reads_fields=name not in _MADE_OVER_A_DTYPE,
            new_object=name.endswith(".newObj"),
        )

    def on_new(self, cls: type, args: tuple[Any, ...], kwargs: Any) -> Any:
        name = cls._ve_name  # type: ignore[attr-defined]
        if kwargs:
            # NEWOBJ_EX's keywords: no class a model pickles takes any, and
            # each call copies them (one memoized dict of 100,000 keys given
            # to 1,000 calls kept the dry run past 30 s, round 106): the run
            # stops here.
            raise Refusal(
                f"creates an object of {_cut(name, 200)} with keyword arguments, "
                "which no model's pickle does"
            )
        if not self.use(name, NEW):
            self.violation_once(
                ("new", name), lambda: f"creates an object of {name} without calling it"
            )
        self.count_object()
        self.instances += 1
        if self.instances > self.most_instances:
            raise Refusal(
                f"makes more than {self.most_instances:,} objects of classes from "
                "a stream of fewer bytes than their states take (an estimator's "
                f"takes over {STREAM_BYTES_AN_INSTANCE} bytes, and the checks after "
                "the load spend about 100 us on each)"
            )
        self.charge(OBJECT_COST, lambda: f"makes an object of {_cut(name, 200)}")
        obj = self.instance(cls, NEW, [args])
        return obj

    def on_build(self, obj: _Stub, state: Any) -> None:
        name = type(obj)._ve_name
        obj._ve_builds += 1
        if obj._ve_builds > 1:
            self.charge(ITEM_COST, _OBJECT_USED)
            # Pickle sets an object's state once; again, the real load would
            # restore it again each time (one dict of 200,000 entries set
            # 1,000 times, round 102).
            self.violation_once(
                ("built twice", name),
                lambda: f"sets state twice on an object of {name}",
            )
            return
        self.charge(BUILD_COST, lambda: f"sets state on an object of {_cut(name, 200)}")
        obj._ve_parts.append(state)
        own = name in OWN_STATE
        try:
            if (own and type(state) is not dict) or (
                obj._ve_how == NEW and not _dict_state(state)
            ):
                # Made by its class alone, as pickle makes a Python object,
                # its state is its __dict__; as pairs, a boosting predictor's
                # restore took them all the same, past every check of a dict
                # (nodes of 1-byte records cast to 56: 556 MB more from 10 MB).
                raise Refusal(
                    f"with a state of {type(state).__name__}, not the dict (and "
                    "slots) pickle gives an object made by its class"
                )
            # Shared first: one state given to 600 objects was read for
            # changed records at each (60 million values from 1 MB).
            self.copied(state, "a state")
            self.records_intact(
                state.values()
                if type(state) is dict
                else state
                if type(state) is tuple
                else (state,)
            )
            pair = type(state) is tuple and len(state) == 2
            if pair and (state[1] is None or type(state[1]) is dict):
                self.copied(state[0], "a state")
                if state[1]:
                    # (__dict__, slots): pickle sets each slot by setattr,
                    # through any property of the class (a kernel's theta
                    # setter walks its whole tree: 2**22 from 4.3 KB, round
                    # 109); no class a model pickles has slots to set.
                    raise Refusal("with slots set by setattr")
            if type(state) is dict:
                self.check_state_values(name, state)
            if own:
                self.restored(state)
        except Refusal as exc:
            self.violation_once(
                ("shared state", name), f"sets on an object of {name} {exc}"
            )
            return
        if own:  # the dict, then each value: held whole
            self.own(state.values(), True, state)
        elif isinstance(state, tuple):
            self.own(state, False, state)  # an array's (version, shape, ..., data)
        if not self.use(name, "build"):
            self.violation_once(
                ("build", name), lambda: f"sets state on an object of {name}"
            )
        check = _BUILD_CHECKS.get(name)
        if check is None and obj._ve_how == CALL and name in _CALL_CHECKS:
            check = _BUILD_CHECKS.get(name + "()")
        if check is not None:
            try:
                check(self, obj, state)
            except Refusal as exc:
                self.violation_once(
                    ("build check", name),
                    f"sets on an object of {name} the state {exc}",
                )

    def check_state_values(self, name: str, state: dict[Any, Any]) -> None:
        """Values a restore runs code on before the walk sees them: the
        version scikit-learn compares and formats into a warning (a
        memoized list of a billion items hung it, round 109), and the arrays
        an own-state part converts (a tree's nodes, an isotonic regression's
        thresholds): never containers, which the dry run does not size."""
        version = state.get("_sklearn_version")
        if version is not None and not (
            type(version) is str and len(version) <= MAX_VERSION_TEXT
        ):
            raise Refusal(f"with the version {_shown(version)}")
        if name in OWN_STATE:
            for value in state.values():
                if type(value) in _HELD:
                    raise Refusal(f"holding {_shown(value)} where its arrays go")
            for key, kinds in _CAST_ON_RESTORE.get(name, {}).items():
                info = getattr(state.get(key), "_ve_info", None)
                dtype = getattr(info, "dtype", None)
                if (
                    isinstance(info, _ArrayInfo)
                    and dtype is not None
                    and not kinds(dtype)
                ):
                    # Its restore converts it (a boosting predictor's nodes
                    # of 1-byte records cast to 56: 1.8 GB from 155 KB;
                    # isotonic thresholds of uint8 sorted and cast: 1 GB,
                    # round 112): only what fit makes, converted in place.
                    raise Refusal(f"holding {key} of {_dtype_text(dtype)}")

    def copied(self, value: Any, what: str) -> None:
        """``value`` is one a restore copies (an object's state into its
        ``__dict__``, a masked array's items, mask or fill value into arrays
        of their own, a remainder list's columns): each restore its own, as
        every writer gives it (one memoized dict of 100,000 entries as the
        state of 600 estimators took a load to 2.4 GB from 1 MB, one list as
        the fill value of 2,500 masked arrays to 2 GB; round 106). Numbers,
        short text and empty containers may be shared."""
        kind = type(value)
        if kind in _PLAIN_LEAVES and (
            kind is not str or len(value) <= _SHARED_TEXT_MAX
        ):
            return
        if isinstance(value, (bytes, bytearray, tuple, list, dict)) and (
            len(value) == 0 or (kind is bytes and len(value) <= _SHARED_TEXT_MAX)
        ):
            return
        if id(value) in self.copies:
            raise Refusal(f"with {what} another restore copies too")
        self.copies[id(value)] = value  # kept: its id stays its own

    def own(self, values: Iterable[Any], whole: bool, container: Any = None) -> None:
        """Note the data among ``values`` (every value when ``whole``: what an
        own-state part holds) as used; one used before means shared. A
        ``container`` of them used again is shared whole, not walked again:
        one memoized tuple of a million items as the arguments of 1,000
        calls was walked at each (round 102)."""
        if container is not None:
            if id(container) in self._owned:
                self.shares = True
                return
            self._owned.add(id(container))
        plain = _PLAIN_LEAVES
        owned = self._owned
        for value in values:
            kind = type(value)
            if kind in plain:
                continue
            if isinstance(value, _Stub):
                if not whole:
                    continue  # not data, and outside an own-state part not held whole
            elif not whole and kind is tuple:
                continue
            else:
                # (bytes and bytearrays, a stream's arrays, sized here: the
                # common case, without a call)
                size = (
                    len(value)
                    if kind is bytearray or kind is bytes
                    else _data_size(value)
                )
                if size is not None:
                    if size < _SHARED_DATA_MIN:
                        continue  # b"" is one object; a few bytes cost nothing
                elif not whole or not _items(value):
                    continue
            key = id(value)
            if key in owned:
                self.shares = True
            else:
                owned.add(key)

    def on_items(self, obj: _Stub, how: str) -> None:
        name = type(obj)._ve_name
        if not self.use(name, how):
            self.violation_once(
                ("items", name, how),
                lambda: f"adds items to an object of {name} ({how})",
            )

    def on_key(self, key: Any) -> None:
        """A dict key or set member the stream built by a call: only a numpy
        scalar of numbers or text (a ``MultiLabelBinarizer``'s labels), whose
        hash is its value's. Any other object hashes as its class says: a
        complex number's hash can be inverted (10,000 keys of one hash took
        a load past 60 s)."""
        if not isinstance(key, _Stub):
            return  # plain values: the scan judged them
        name = type(key)._ve_name
        info = key._ve_info
        if name == _SCALAR and isinstance(info, np.dtype) and info.kind in _KEY_KINDS:
            return
        if self.allowed is not None and name in self.allowed.trusted:
            return  # the caller vouches for the class, its hash included
        dtype = info if isinstance(info, np.dtype) else None
        self.violation_once(
            ("key", name, dtype),
            lambda: (
                f"keys a dict or set by an object of {name}"
                f"{'' if dtype is None else f' of dtype {dtype}'}: only text, "
                "integers of at most 64 bits, floats and numpy scalars of those "
                "are keys whose hashes a file cannot choose alike"
            ),
        )

    def check_builtin_args(self, name: str, args: tuple[Any, ...]) -> None:
        """Builtins allocate what their arguments say: only literal data
        (the same arguments judged once)."""
        if (name, id(args)) in self._judged:
            return
        self._judged[name, id(args)] = args  # kept: its id stays its own
        for value in args:
            if isinstance(value, _Stub) or (
                name in ("builtins.bytearray", "builtins.bytes")
                and isinstance(value, int)
            ):
                self.violation_once(
                    ("builtin arguments", name, type(value)),
                    f"calls {name} with {type(value).__name__} arguments",
                )

    # -- numpy values ---------------------------------------------------------

    def dtype_of(self, value: Any) -> np.dtype[Any]:
        """The checked dtype a stub stands for."""
        if isinstance(value, _Stub) and isinstance(value._ve_info, _DtypeInfo):
            info = value._ve_info
            if info.dtype is None:
                raise Refusal("a dtype used before its state was set")
            return info.dtype
        raise Refusal(f"a {type(value).__name__} where a dtype belongs")

    def nbytes(self, value: Any) -> int | None:
        return _data_size(value)

    def restored(self, state: dict[Any, Any]) -> None:
        """Count what a restore of an own-state part (:data:`OWN_STATE`)
        copies, as it is restored: all the restores of a stream copy at most
        :data:`MAX_EXPANSION` times the file. Measured at the end, from the
        root, the count missed trees the memo alone kept (1,000 restores of
        one tree's nodes: 1.85 GB from 1.8 MB) and states the stream
        emptied after their restore (round 125). Its state is a dict (the
        only one :meth:`on_build` lets such a part have)."""
        for value in state.values():
            info = value._ve_info if isinstance(value, _Stub) else None
            count = None
            if type(info) is _ArrayInfo and info.dtype is not None:
                itemsize = info.dtype.itemsize
                count = _shape_size(info.shape)
            if count is not None:
                size = count * itemsize  # what the array holds
            elif type(value) in _PLAIN_LEAVES:
                size = 1
            else:  # sized afresh: a value may have changed since
                size = _whole_size(value, {}, self.rebuild_limit - self.copied_bytes)
            self.charge(size, "that its restore copies")

    def count_object(self) -> None:
        """One more object made; past :attr:`most_objects`, refused."""
        self.objects += 1
        if self.most_objects is not None and self.objects > self.most_objects:
            raise Refusal(
                f"makes more than {self.most_objects:,} objects from a compressed "
                "file of fewer bytes than they need (its stream inflates far "
                "past what a model's objects compress to)"
            )

    def charge(self, size: int, what: str | Callable[[], str]) -> None:
        """Count ``size`` bytes the real unpickle copies or allocates as it
        goes (a restore copying its state, an array's restore its data, a
        scalar its bytes, a tree's constructor its outputs, a random
        generator seeded): at most :data:`MAX_EXPANSION` times the file in
        all, whatever the model keeps at the end. Objects the memo alone
        keeps, or the stream drops, cost while the load runs (2,000
        byte-swapped arrays of one shared MiB: 2.2 GB from 1.3 MB; 400,000
        generators seeded from 5 MB, past 60 s; round 127). ``what`` says
        what is charged, or makes the text when it is needed (a refusal)."""
        self.copied_bytes += size
        if self.copied_bytes > self.rebuild_limit:
            said = what if isinstance(what, str) else what()
            raise Refusal(
                f"{said}, past what the real unpickle may copy and allocate in "
                f"all (over {self.copied_bytes:,} bytes from the {self.held:,} "
                "the file holds: one value made again and again); at most "
                f"{MAX_EXPANSION} times the file is allowed"
            )

    def records_intact(self, values: Iterable[Any]) -> None:
        """Raise :class:`Refusal` when an array or dtype among ``values`` has
        a record dtype whose fields the stream changed since they were judged:
        before every call and restore, which may read the fields (a tree's
        restore casts its nodes by them)."""
        for value in values:
            if isinstance(value, _Stub):
                info = value._ve_info
                if isinstance(info, _ArrayInfo):
                    info = info.source
                if isinstance(info, _DtypeInfo) and info.records is not None:
                    _intact(self, info)

    # -- running --------------------------------------------------------------

    def run(self, stream: bytes) -> None:
        self.dtype_budget = len(stream) + 65_536
        self.held = len(stream) + sum(memoryview(b).nbytes for b in self.buffers)
        self.rebuild_limit = MAX_EXPANSION * self.held + EXPANSION_SLACK
        self.most_instances = INSTANCE_SLACK + len(stream) // STREAM_BYTES_AN_INSTANCE
        buffers: Iterable[Any] = self.buffers if self.buffers else itertools.repeat(b"")
        unpickler = _DryUnpickler(io.BytesIO(stream), self, buffers)
        try:
            root = unpickler.load()
        except Refusal as exc:  # a use the run cannot go on past
            self.violation(str(exc))
            return
        except Exception as exc:  # the real load would stop there too
            self.violation(f"cannot be read to its end ({type(exc).__name__}: {exc})")
            return
        if any(live != judged for live, judged in self.fields_judged.values()):
            # what the model keeps, as the walk and its methods will read it
            self.violation(_CHANGED_FIELDS)
            return
        if not self.shares:
            return  # every array's data and every own-state part's are their own
        held, limit = self.held, self.rebuild_limit
        rebuilt = expanded_size(root, limit)
        if rebuilt > limit:
            self.violation(
                f"rebuilds over {rebuilt:,} bytes from the {held:,} it holds: one "
                "value referenced again and again (a tree's or a layer's data "
                "under many parts), which the model would copy or run once per "
                f"reference; at most {MAX_EXPANSION} times the file is allowed"
            )


# The parts whose state is their own: a tree copies its state when restored,
# a boosting predictor runs its nodes, an isotonic regression copies its
# thresholds into an interpolator (``__setstate__``), once per reference.
# scikit-learn never gives two of them one value; a crafted stream can (one
# memoized state under a thousand trees: 2.4 GB from 2.5 MB; one pair of
# thresholds under 150 calibrators: 2.5 GB from 16 MB). Every other restore
# of the allow-list sets its state as given (its classes' ``__setstate__``
# listed, round 50), and everything else may share honestly (every KNN of an
# ensemble keeps the same training data, and its tree too; a spline
# transformer's B-splines, one per feature, share one coefficient matrix):
# counted once.
OWN_STATE = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.isotonic.IsotonicRegression",
    }
)
# How much larger than the stream and its buffers the model may rebuild.
MAX_EXPANSION = 8
EXPANSION_SLACK = 1 << 20
_PLAIN_LEAVES = frozenset({int, float, bool, complex, str, type(None)})


def expanded_size(root: Any, limit: int = 1 << 62) -> int:
    """The size of what the dry run built, raw data (bytes, buffers) by its
    length and every other value as 1, where raw data and the parts whose
    state is their own (:data:`OWN_STATE`) count at every reference, with all
    they hold, and every other value once.

    The real load copies, and the model's methods run, those once per
    reference: this is their cost, not the file's size. Honest models give
    each array its own data and each such part its own state, so they rebuild
    about their size (the dry run measures only when it saw an own-state part
    or an array share data). Iterative; stops early past ``limit``.

    Examples
    --------
    >>> block = b"x" * 1000
    >>> expanded_size([block, block, 1.0])  # an array's data: never shared
    2002
    >>> shared = [block]
    >>> expanded_size([shared, shared])  # any other value: once
    1003
    >>> loop = []
    >>> loop.append(loop)
    >>> expanded_size(loop)  # the list, and one reference back to it
    2
    """
    whole: dict[int, int] = {}  # every object an own-state part holds, by all it holds
    seen: set[int] = set()
    plain = _PLAIN_LEAVES
    total = 0
    todo = [root]
    while todo:
        obj = todo.pop()
        kind = type(obj)
        size = _data_size(obj)
        if size is not None:
            total += size
        elif isinstance(obj, _Stub) and kind._ve_name in OWN_STATE:
            found = whole.get(id(obj))
            total += _whole_size(obj, whole, limit) if found is None else found
        elif id(obj) in seen:
            total += 1
            continue
        else:
            seen.add(id(obj))
            items = _items(obj)
            if items is None:
                total += 1
                continue
            nested = [item for item in items if type(item) not in plain]
            total += 1 + len(items) - len(nested)
            todo.extend(nested)
        if total > limit:
            break
    return total


_SHARED_DATA_MIN = 64
_POINTER_BYTES = np.dtype(object).itemsize
#: The most bytes an array's item may take (the walk's bound, judged here
#: before any restore converts a value to the array's dtype).
MAX_ITEM_BYTES = 4096
_SHARED_TEXT_MAX = 64
#: The most characters of the scikit-learn version an object's state keeps
#: (its restore compares and formats it).
MAX_VERSION_TEXT = 64
#: Containers, which the dry run holds whole but does not size.
_HELD = frozenset({list, tuple, dict, set, frozenset})


def _data_size(value: Any) -> int | None:
    """The bytes of raw data (bytes, a bytearray, the file's buffers: numpy
    arrays over the file, memory-mapped ones too, or views), else None."""
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (np.ndarray, pickle.PickleBuffer, memoryview)):
        return memoryview(value).nbytes  # type: ignore[arg-type]
    return None


def _items(obj: Any) -> Any:
    """What a value holds, or None for a leaf (a stub class, a number)."""
    kind = type(obj)
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return obj
    if kind is dict:
        return [*obj, *obj.values()]
    if isinstance(obj, _Stub):
        return obj._ve_parts
    return None


def _whole_size(root: Any, sizes: dict[int, int], limit: int) -> int:
    """The size of everything ``root`` holds, every reference counted (a
    value shared within it, as often as it is reached); each object sized
    once (``sizes``, kept from one part to the next: the dtype every
    predictor's nodes share), a cycle adding nothing."""
    plain = _PLAIN_LEAVES
    todo: list[tuple[Any, list[Any] | None, int]] = [(root, None, 0)]
    while todo:
        obj, children, base = todo.pop()
        if children is not None:  # its children are sized
            total = base
            for child in children:
                total += sizes[id(child)]
            sizes[id(obj)] = total
            if total > limit:
                return total
            continue
        key = id(obj)
        if key in sizes:
            continue
        size = _data_size(obj)
        if size is not None:
            sizes[key] = size
            continue
        items = _items(obj)
        if items is None:
            sizes[key] = 1
            continue
        nested = [item for item in items if type(item) not in plain]
        sizes[key] = 0  # being sized: a cycle back to it adds nothing
        todo.append((obj, nested, 1 + len(items) - len(nested)))
        todo.extend((item, None, 0) for item in nested if id(item) not in sizes)
    return sizes[id(root)]


def _dotted(text: str) -> bool:
    return isinstance(text, str) and all(
        part.isidentifier() for part in text.split(".")
    )


class _DryUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, dry: DryRun, buffers: Iterable[Any]) -> None:
        super().__init__(file, buffers=buffers)
        self._dry = dry

    def find_class(self, module: str, name: str) -> Any:
        return self._dry.find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        self._dry.violation("names a persistent object")
        raise pickle.UnpicklingError("persistent ids are not supported")


class _DtypeInfo:
    __slots__ = ("args", "dtype", "fields", "records")

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args
        self.dtype: np.dtype[Any] | None = None
        # a record dtype's fields dict, as the stream gave it (numpy keeps
        # it); the record dtypes its fields and sub-array hold; None for a
        # dtype that holds no records
        self.fields: dict[Any, Any] | None = None
        self.records: list[_DtypeInfo] | None = None


_CHANGED_FIELDS = (
    "a record dtype whose fields the stream changed after they were judged "
    "(numpy keeps the dict it is given: a field moved past the records is "
    "read from outside their memory)"
)


def _judged_fields(dry: DryRun, fields: dict[Any, Any]) -> None:
    """Note ``fields`` as judged now, or check it is as it was when judged
    for another dtype (the judgment of its parts is kept by id)."""
    found = dry.fields_judged.get(id(fields))
    if found is None:
        dry.intact_work += len(fields) + 1
        dry.fields_judged[id(fields)] = (fields, dict(fields))
    elif found[0] != found[1]:
        raise Refusal(_CHANGED_FIELDS)


def _intact(dry: DryRun, info: _DtypeInfo) -> None:
    """Refuse a record dtype (or one it holds) whose fields changed since
    they were judged; each check counts its fields against the stream's
    size."""
    if not info.records:  # a dtype of plain fields: the common case
        if info.fields is not None:
            _fields_intact(dry, info.fields)
        return
    todo = [info]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.fields is not None:
            _fields_intact(dry, current.fields)
        todo.extend(current.records or ())


def _fields_intact(dry: DryRun, fields: dict[Any, Any]) -> None:
    live, judged = dry.fields_judged[id(fields)]
    dry.intact_work += len(judged) + 1
    if dry.intact_work > dry.dtype_budget:
        raise Refusal(
            "record dtypes used more often than the stream's size "
            "allows their fields to be checked"
        )
    if live != judged:
        raise Refusal(_CHANGED_FIELDS)


def _records_of(fields: Any, subarray: Any) -> list[_DtypeInfo]:
    """The judged record dtypes a dtype's fields and sub-array hold."""
    parts = [value[0] for value in fields.values()] if type(fields) is dict else []
    if isinstance(subarray, tuple) and subarray:
        parts.append(subarray[0])
    found: list[_DtypeInfo] = []
    for part in parts:
        info = part._ve_info if isinstance(part, _Stub) else None
        if isinstance(info, _DtypeInfo) and info.records is not None:
            found.append(info)
    return found


def _dtype_call(dry: DryRun, args: tuple[Any, ...]) -> _DtypeInfo:
    if not (
        len(args) == 3
        and isinstance(args[0], str)
        and FLOAT_NAME.fullmatch(args[0])
        and args[1] in (False, True, 0, 1)
        and args[2] in (False, True, 0, 1)
    ):
        raise Refusal(f"the dtype description {_shown(args)}")
    return _DtypeInfo(args)


#: The most distinct values all the dtype states of a stream may hold (a
#: structured dtype's names and fields among them).
_MAX_DTYPE_STATE = 100_000


def _real(dry: DryRun, value: Any) -> Any:
    """A dtype state with its stub dtypes replaced by the checked dtypes.

    Each value is walked once a stream, and every state costs what it holds
    as written out, of a budget of the stream's size: 50 levels of shared
    tuples were walked 2**50 times, and 1,500 dtypes sharing one list of
    200,000 names each judged it whole (round 102)."""
    result, size = _real_sized(dry, value)
    dry.dtype_values += size
    if dry.dtype_values > dry.dtype_budget:
        raise Refusal(
            "dtype states that hold more values than the stream does (one "
            "value shared among them again and again)"
        )
    return result


def _real_sized(dry: DryRun, value: Any) -> tuple[Any, int]:
    done = dry.dtype_done
    found = done.get(id(value))
    if found is not None:
        return found[1], found[2]
    if len(done) > _MAX_DTYPE_STATE:
        raise Refusal(f"dtype states of more than {_MAX_DTYPE_STATE:,} values")
    size = 1
    if isinstance(value, _Stub):
        result: Any = dry.dtype_of(value)
    elif isinstance(value, tuple):
        parts = [_real_sized(dry, v) for v in value]
        result = tuple(part[0] for part in parts)
        size += sum(part[1] for part in parts)
    elif isinstance(value, dict):
        items = {k: _real_sized(dry, v) for k, v in value.items()}
        result = {k: part[0] for k, part in items.items()}
        size += sum(part[1] for part in items.values())
    else:
        result = value
    done[id(value)] = (value, result, size)  # the value kept: its id stays its own
    return result, size


def _fresh_dtypes(args: tuple[Any, ...], state: tuple[Any, ...]) -> list[np.dtype[Any]]:
    """Dtypes built from the description alone that this state may describe."""
    base = np.dtype(args[0])
    order = state[1] if len(state) > 1 else "|"
    candidates: list[np.dtype[Any]] = []
    names = state[3] if len(state) > 3 else None
    fields = state[4] if len(state) > 4 else None
    subarray = state[2] if len(state) > 2 else None
    if names is not None:
        if not (
            isinstance(names, tuple)
            and isinstance(fields, dict)
            # text before any set of them: integers that share one hash made
            # the set of 60,000 names quadratic, 22 s (round 121)
            and all(type(n) is str for n in names)
            and set(names) == set(fields)
            and all(
                isinstance(fields[n], tuple)
                and len(fields[n]) == 2
                and isinstance(fields[n][0], np.dtype)
                and type(fields[n][1]) is int
                for n in names
            )
        ):
            raise Refusal("a structured dtype with malformed fields")
        spec = {
            "names": list(names),
            "formats": [fields[n][0] for n in names],
            "offsets": [fields[n][1] for n in names],
            "itemsize": state[5],
        }
        for align in (False, True):
            with contextlib.suppress(TypeError, ValueError):
                candidates.append(np.dtype(spec, align=align))  # type: ignore[call-overload]
        return candidates
    if subarray is not None:
        if not (
            isinstance(subarray, tuple)
            and len(subarray) == 2
            and isinstance(subarray[0], np.dtype)
            and _shape_size(subarray[1]) is not None
        ):
            raise Refusal("a malformed subarray dtype")
        return [np.dtype((subarray[0], subarray[1]))]
    if base.kind in "Mm" and len(state) > 8:
        metadata = state[8]
        if not (
            isinstance(metadata, tuple)
            and len(metadata) == 2
            and isinstance(metadata[1], tuple)
            and len(metadata[1]) == 4
            and isinstance(metadata[1][0], bytes)
            and re.fullmatch(rb"[a-zA-Z]{1,3}", metadata[1][0])
            and type(metadata[1][1]) is int
        ):
            raise Refusal("a datetime dtype with malformed units")
        unit, count = metadata[1][0].decode("ascii"), metadata[1][1]
        base = np.dtype(f"{args[0]}[{count}{unit}]")
    if order in "<>" and base.byteorder != "|":
        base = base.newbyteorder(order)
    candidates.append(base)
    return candidates


def _dtype_build(dry: DryRun, obj: _Stub, state: Any) -> None:
    info = obj._ve_info
    if not isinstance(info, _DtypeInfo) or obj._ve_builds > 1:
        raise Refusal("of a dtype set twice")
    if not isinstance(state, tuple) or not 8 <= len(state) <= 9:
        raise Refusal(f"{_shown(state)}, not a dtype's")
    fields = state[4] if len(state) > 4 else None
    if isinstance(fields, dict):
        _judged_fields(dry, fields)
    # One state judged once a description: 1,500 dtypes given one state of
    # 200,000 names were each judged whole (round 102), and 40,000 given new
    # state tuples of the same parts each judged again (round 123).
    key = _state_key(info.args, state)
    known = dry._dtypes.get(key)
    if known is not None:
        if isinstance(known[2], Refusal):
            raise known[2]
        info.dtype = known[2]
        _note_records(info, state)
        return
    try:
        info.dtype = _judged_dtype(dry, info, state)
    except Refusal as exc:
        # kept: their ids stay theirs (the refusal without its frames)
        dry._dtypes[key] = (info.args, state, Refusal(str(exc)))
        raise
    dry._dtypes[key] = (info.args, state, info.dtype)
    _note_records(info, state)


#: The values a dtype's judgment is keyed by (type and value); any other
#: part by identity.
_BY_VALUE = frozenset({int, str, bool, type(None)})


def _state_key(args: tuple[Any, ...], state: tuple[Any, ...]) -> tuple[Any, ...]:
    """A dtype's description and state as the judgment reads them: plain
    values by type and value, every other part by identity (each kept alive
    with the judgment, so no id is another's)."""
    by_value = _BY_VALUE
    return tuple(
        (type(v), v) if type(v) in by_value else (None, id(v)) for v in (*args, *state)
    )


def _note_records(info: _DtypeInfo, state: tuple[Any, ...]) -> None:
    fields = state[4] if len(state) > 4 else None
    records = _records_of(fields, state[2] if len(state) > 2 else None)
    if isinstance(fields, dict):
        info.fields = fields
        info.records = records
    elif records:
        info.records = records


def _judged_dtype(dry: DryRun, info: _DtypeInfo, state: tuple[Any, ...]) -> Any:
    real = _real(dry, state)
    try:
        candidates = _fresh_dtypes(info.args, real)
    except (TypeError, ValueError) as exc:
        raise Refusal(f"of a dtype numpy cannot build ({exc})") from exc
    for fresh in candidates:
        # The description too: a state of fields or sub-arrays makes its
        # candidates alone, and numpy's restore keeps the description's kind
        # ('O' over a record's state made an object dtype that claims no
        # references, items read as pointers; 'M8' over one crashed the
        # restore; round 118).
        args = fresh.__reduce__()[1]
        if fresh.__reduce__()[2] == real and args[0] == info.args[0]:
            fields, depth, _ = dtype_layout(fresh, dry.layouts)
            if fields > MAX_DTYPE_FIELDS or depth > MAX_DTYPE_DEPTH:
                raise Refusal(
                    f"a dtype of more than {MAX_DTYPE_FIELDS:,} fields or nested "
                    f"more than {MAX_DTYPE_DEPTH} deep, counted at every reference"
                )
            return fresh
    raise Refusal(
        f"{_shown(state)} for the dtype {info.args[0]!r}: not the state numpy "
        "gives that dtype (forged flags or layout)"
    )


class _ArrayInfo:
    __slots__ = ("dtype", "kind", "shape", "source")

    def __init__(
        self,
        kind: str,
        dtype: np.dtype[Any] | None = None,
        shape: Any = None,
        source: _DtypeInfo | None = None,
    ) -> None:
        self.kind = kind
        self.dtype = dtype  # once known (built, or made over a buffer)
        self.shape = shape  # the same
        self.source = source  # the stream's dtype it was made of, the same


def _array_of(value: Any) -> _ArrayInfo | None:
    """What the dry run knows of an array the stream built, if it is one."""
    info = getattr(value, "_ve_info", None) if isinstance(value, _Stub) else None
    return info if isinstance(info, _ArrayInfo) and info.dtype is not None else None


#: Array classes numpy rebuilds by ``_reconstruct`` then an array's state:
#: the plain array, and the matrix a mean over a sparse matrix's axis gives
#: (a bisecting k-means fitted on sparse data keeps one).
_ARRAY_CLASSES = frozenset({"numpy.ndarray", "numpy.matrix"})


def _reconstruct_call(dry: DryRun, args: tuple[Any, ...]) -> _ArrayInfo:
    if not (
        len(args) == 3
        and getattr(args[0], "_ve_name", None) in _ARRAY_CLASSES
        and args[1] == (0,)
        and args[2] in (b"b", "b")
    ):
        raise Refusal(f"{_shown(args)}, not a plain ndarray's")
    return _ArrayInfo("ndarray")


def _mareconstruct_call(dry: DryRun, args: tuple[Any, ...]) -> _ArrayInfo:
    if not (
        len(args) == 4
        and getattr(args[0], "_ve_name", None)
        in ("numpy.ma.MaskedArray", "numpy.ma.core.MaskedArray")
        and getattr(args[1], "_ve_name", None) == "numpy.ndarray"
        and args[2] == (0,)
        and args[3] in (b"b", "b")
    ):
        raise Refusal(f"{_shown(args)}, not a plain masked array's")
    return _ArrayInfo("masked")


def _check_data(dry: DryRun, shape: Any, dtype: np.dtype[Any], data: Any) -> None:
    size = _shape_size(shape)
    if size is None:
        raise Refusal(f"with the shape {_shown(shape)}")
    if size and not dtype.itemsize:
        # Items of no bytes cost the file nothing, and every restore that
        # compares or converts them works on each: 2e9 of them made a
        # version check allocate 2 GB from 3.9 KB (round 109).
        raise Refusal(f"an array of {size:,} items of no bytes ({_dtype_text(dtype)})")
    if dtype.itemsize > MAX_ITEM_BYTES:
        # As the walk bounds them, before a restore makes one: an empty
        # masked array of 800 MB items converted its fill value to one
        # (round 112).
        raise Refusal(f"an array of items of {dtype.itemsize} bytes")
    if dtype.hasobject:
        if dtype.itemsize > _POINTER_BYTES:
            # Records of objects and bytes: each item of the list, a memo
            # reference of two bytes, becomes a record of up to 4 KB
            # (300,000 references to one tuple: 1.5 GB from 600 KB, round
            # 118). No model keeps one; an object array's items are pointers.
            raise Refusal(
                f"of records holding objects and bytes ({_dtype_text(dtype)})"
            )
        if dtype_layout(dtype, dry.layouts)[2]:
            # numpy copies each item into every slot of the sub-array: one
            # item of the file becomes any number of objects.
            raise Refusal(f"of the object dtype {_dtype_text(dtype)} with sub-arrays")
        if not isinstance(data, list) or len(data) != size:
            raise Refusal("of an object array not built from a list of its items")
        return
    nbytes = len(data) if type(data) is bytearray else dry.nbytes(data)
    if nbytes is None or nbytes != size * dtype.itemsize:
        raise Refusal(
            f"whose data ({nbytes} bytes) is not its shape {_shown(shape)} of "
            f"{_dtype_text(dtype)}"
        )


def _dtype_text(dtype: np.dtype[Any]) -> str:
    """A dtype as a refusal names it: records by their count of fields and
    bytes, not field by field (printing one of 4,096 fields takes 20 ms,
    and a refusal may be met once per array sharing it, round 119)."""
    if dtype.names is not None:
        return f"records of {len(dtype.names)} fields, {dtype.itemsize} bytes"
    return _cut(str(dtype), 200)


#: The most fields a dtype may hold, each nested record's counted at every
#: reference to it, and the deepest its records may nest. numpy (and the
#: checks) walk a dtype's fields again at every reference: records of two
#: fields, each the level below, 28 levels deep in 5.4 KB of file, made
#: 2**28 fields to walk (round 122). A model's records hold a dozen.
MAX_DTYPE_FIELDS = 4096
MAX_DTYPE_DEPTH = 16


def dtype_layout(
    dtype: np.dtype[Any],
    known: dict[int, tuple[tuple[int, int, bool], Any]] | None = None,
) -> tuple[int, int, bool]:
    """The fields of ``dtype`` counted at every reference (past
    :data:`MAX_DTYPE_FIELDS`: that bound plus one), how deep its records and
    sub-arrays nest, and whether any part of it is a sub-array. Each dtype
    it holds is walked once, without recursion; once for all the calls that
    share ``known`` (layouts by id, each kept with its dtype), where dtypes
    share parts.

    Examples
    --------
    >>> dtype_layout(np.dtype("f8"))
    (1, 0, False)
    >>> dtype_layout(np.dtype([("a", "f8"), ("b", [("c", "i4"), ("d", "i4", (2,))])]))
    (3, 3, True)
    """
    done = {} if known is None else known
    todo: list[tuple[np.dtype[Any], bool]] = [(dtype, False)]
    while todo:
        current, ready = todo.pop()
        if id(current) in done:
            continue
        parts = [field[0] for field in (current.fields or {}).values()]
        if current.subdtype is not None:
            parts.append(current.subdtype[0])
        if not parts:
            done[id(current)] = ((1, 0, False), current)
        elif ready:
            held = [done[id(part)][0] for part in parts]
            done[id(current)] = (
                (
                    min(sum(h[0] for h in held), MAX_DTYPE_FIELDS + 1),
                    1 + max(h[1] for h in held),
                    current.subdtype is not None or any(h[2] for h in held),
                ),
                current,
            )
        elif len(todo) > MAX_DTYPE_DEPTH * MAX_DTYPE_FIELDS:
            return MAX_DTYPE_FIELDS + 1, MAX_DTYPE_DEPTH + 1, False
        else:
            todo.append((current, True))
            todo.extend((part, False) for part in parts)
    return done[id(dtype)][0]


def _array_build(dry: DryRun, obj: _Stub, state: Any) -> None:
    info = obj._ve_info
    if not isinstance(info, _ArrayInfo) or obj._ve_builds > 1:
        raise Refusal("of an array set twice")
    if info.kind == "ndarray":
        if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1):
            raise Refusal(f"{_shown(state)}, not an array's")
        _, shape, dtype, fortran, data = state
        info.dtype = dry.dtype_of(dtype)
        _check_data(dry, shape, info.dtype, data)
        info.shape = shape
        info.source = dtype._ve_info
        # numpy copies the data (byte-swapped, unaligned or small ones)
        dry.charge(_array_bytes(shape, info.dtype), "with data its restore copies")
        _own_items(dry, data)
        if fortran not in (False, True, 0, 1):
            raise Refusal("with a malformed order flag")
        return
    if not (isinstance(state, tuple) and len(state) == 7):
        raise Refusal(f"{_shown(state)}, not a masked array's")
    _, shape, dtype, fortran, data, mask, _fill = state
    real = dry.dtype_of(dtype)
    dry.charge(2 * _array_bytes(shape, real), "with data and a mask its restore copies")
    if real.fields is not None or real.subdtype is not None:
        # Its restore makes the mask's dtype and the default fill value
        # field by field, in Python, each masked array again: one dtype of
        # 4,096 fields under 3,000 empty masked arrays, 17 s and 1.7 GB from
        # 262 KB (round 119). A search's results, the only masked arrays fit
        # makes, hold numbers, text or objects.
        raise Refusal(f"of records or sub-arrays ({_dtype_text(real)})")
    _check_data(dry, shape, real, data)
    _own_items(dry, data)
    dry.copied(mask, "a mask")
    if type(_fill) in _HELD:
        # numpy converts it to the array's dtype, walking every item it
        # refers to (a list of 25 levels of shared halves: 2**25, round
        # 112); a fill value is one value.
        raise Refusal(f"with the fill value {_shown(_fill)}")
    if not (isinstance(_fill, _Stub) and type(_fill)._ve_name == _SCALAR):
        dry.copied(_fill, "a fill value")  # a scalar's few bytes may be shared
    size = _shape_size(shape) or 0
    if dry.nbytes(mask) not in (size, 1) and not (
        real.hasobject and isinstance(mask, list)
    ):
        raise Refusal("with a mask that is not its shape")
    filled = _fill._ve_info if isinstance(_fill, _Stub) else None
    if isinstance(filled, np.dtype) and filled.hasobject:
        # An object scalar is the object it is given (where numpy unpickles
        # one; 2.4 refuses), shared by any number of masked arrays, each
        # converting it (round 121); a fill value fit keeps is a 0-d array
        # or a number.
        raise Refusal("with an object scalar as fill value")
    if isinstance(filled, _ArrayInfo):
        count = _shape_size(filled.shape)
        if filled.dtype is None or count is None or count > 1:
            # The restore converts the fill value to the array's dtype, item
            # by item: an array of 300,000 bytes as the fill value of an
            # empty array of 4 KB strings asked 2.5 GB (round 118).
            raise Refusal("with a fill value of more than one value")
    if isinstance(_fill, _Stub) and type(_fill)._ve_name not in _FILL_VALUES:
        # A numpy scalar (a float column's 1e20), or the 0-d array numpy keeps
        # once a masked array went through a pickle, is a fill value (judged
        # as such where it was built); any other object the stream built is
        # not.
        raise Refusal("with an object as fill value")


def _array_bytes(shape: Any, dtype: np.dtype[Any]) -> int:
    return (_shape_size(shape) or 0) * dtype.itemsize


def _own_items(dry: DryRun, data: Any) -> None:
    """An object array's items, a list numpy copies into the array: each
    array its own (numpy writes one a pickle; 200 arrays given one memoized
    list of a million items took a load to 1.7 GB from 1 MB, round 105)."""
    if isinstance(data, list):
        dry.copied(data, "items")


def _frombuffer_call(dry: DryRun, args: tuple[Any, ...]) -> _ArrayInfo:
    if len(args) not in (4, 5):
        raise Refusal(f"{len(args)} arguments")
    data, dtype, shape, order = args[:4]
    axis_order = args[4] if len(args) == 5 else None
    if axis_order is not None and (
        not isinstance(axis_order, tuple)
        or not isinstance(shape, tuple)
        or len(axis_order) != len(shape)
        or len(shape) > _MAX_NDIM
        or sorted(axis_order) != list(range(len(shape)))
    ):
        raise Refusal(f"the axis order {_shown(axis_order)}")
    real = dry.dtype_of(dtype)
    if real.hasobject:
        raise Refusal(
            "an object dtype over raw bytes, which would read them as pointers"
        )
    if order not in ("C", "F", "K"):
        raise Refusal(f"the order {_shown(order)}")
    _check_data(dry, shape, real, data)
    return _ArrayInfo("frombuffer", real, shape, dtype._ve_info)


def _binary_tree_build(dry: DryRun, obj: _Stub, state: Any) -> None:
    """A KD or ball tree's sample weights, when it keeps any, are the float64
    values it computes with: restoring converts any other array, a copy per
    tree (250 trees over one million int8 weights: 2.2 GB from 25 MB).
    A neighbours estimator's tree keeps none; a kernel density's, its fit's."""
    # the state as BinaryTree.__getstate__ gives it: sample_weight last
    if not (isinstance(state, tuple) and len(state) == 13) or state[12] is None:
        return
    info = getattr(state[12], "_ve_info", None)
    if not (isinstance(info, _ArrayInfo) and info.dtype == np.float64):
        raise Refusal("with sample weights that are not float64 values")


_SCALAR = "numpy._core.multiarray.scalar"
# The kinds of numpy scalar a dict or set may take as keys: booleans,
# integers (64 bits at most), floats, text and bytes (``_scalar_call`` refuses
# every float wider than 64 bits: numpy hashes one as the double it rounds to,
# so every one past the double's range hashes alike).
_KEY_KINDS = frozenset("biufSU")


_MAX_SCALAR_BYTES = 64
_FILL_VALUES = (
    _SCALAR,
    "numpy._core.multiarray._reconstruct",
    "numpy._core.numeric._frombuffer",
)


def _scalar_call(dry: DryRun, args: tuple[Any, ...]) -> np.dtype[Any]:
    """The scalar's dtype (:meth:`DryRun.on_key` reads it). Never a complex
    number or a float wider than 64 bits: no model holds one as an object,
    and their hashes can be chosen alike wherever scikit-learn puts values in
    a set or a dict (stop words, labels, categories)."""
    if len(args) not in (1, 2):
        raise Refusal(f"{len(args)} arguments")
    real = dry.dtype_of(args[0])
    if real.kind == "c" or (real.kind == "f" and real.itemsize > 8):
        raise Refusal(f"a {real} scalar, whose hash a file can choose")
    if real.hasobject:
        # An object scalar is the object it is given (its own uses judged);
        # any other dtype holding objects (a record of object fields) reads
        # its data, or memory numpy leaves as it was, as object pointers:
        # SIGSEGV from 3 KB (round 106).
        if real != np.dtype(object) or len(args) != 2:
            raise Refusal(f"a {real} scalar: objects from raw data")
        return real
    if len(args) == 1:
        # numpy allocates the scalar's bytes itself: bounded as no scalar of
        # a model needs more.
        if real.itemsize > _MAX_SCALAR_BYTES:
            raise Refusal(f"no data for a {real.itemsize}-byte scalar")
        return real
    if dry.nbytes(args[1]) != real.itemsize:
        raise Refusal(f"{dry.nbytes(args[1])} bytes for a {real} scalar")
    if real.itemsize > MAX_ITEM_BYTES:
        # as the walk bounds an array's items (text of 1,024 characters)
        raise Refusal(f"a {real.itemsize}-byte scalar, larger than a model keeps")
    dry.charge(real.itemsize, "a scalar whose bytes it copies")
    return real


# numpy.random's pickle helpers call what they are given: only its own bit
# generators, by name or class, and its own helper.
_BIT_GENERATORS = {
    "MT19937": "numpy.random._mt19937.MT19937",
    "PCG64": "numpy.random._pcg64.PCG64",
    "PCG64DXSM": "numpy.random._pcg64.PCG64DXSM",
    "Philox": "numpy.random._philox.Philox",
    "SFC64": "numpy.random._sfc64.SFC64",
}
_BIT_GENERATOR_CTOR = "numpy.random._pickle.__bit_generator_ctor"


#: What every object the real unpickle makes, and every state it sets,
#: costs at least, counted against the file as bytes (:meth:`DryRun.charge`):
#: a restore runs code (scikit-learn's warns of another release: 4.4 us a
#: state, a million empty states of 6 bytes each took 7 times an honest load
#: of the file's size; round 129).
OBJECT_COST = 64
BUILD_COST = 512
#: What each other use of a stand-in the C unpickler calls back for costs
#: (an item added to an object, a key hashed, an attribute asked, an object
#: or class given state again): the dry run runs Python at each and keeps
#: the items for sizing (ten million items of 2 bytes each added to a Bunch
#: the memo alone kept took 9 times an honest load of the file's size and
#: 5 times its memory, round 130).
ITEM_COST = 64


#: Lists, tuples, dicts and sets any stream may make...
CONTAINER_SLACK = 65_536
#: ... and one more for every so many bytes of the stream...
STREAM_BYTES_A_CONTAINER = 16
#: ... and, of a compressed file, at most this many a compressed byte.
CONTAINERS_A_COMPRESSED_BYTE = 4


def most_containers(size: int, most_ops: int | None = None) -> int:
    """The most lists, tuples, dicts and sets a stream of ``size`` bytes may
    make: :data:`CONTAINER_SLACK` and one every
    :data:`STREAM_BYTES_A_CONTAINER` bytes; of a compressed file (``most_ops``
    given, ``Parts.most_ops``), also at most the slack and
    :data:`CONTAINERS_A_COMPRESSED_BYTE` a compressed byte.

    An empty set is one byte of stream and costs the checks after the load
    about 15 us (the walk, the fitted-state checks): 1.95 million of them in
    a fitted attribute took a load 22 s and 1.5 GB from 2 MB, and 29 s from
    131 KB compressed (round 140). Honest models make one every 20 bytes or
    more (a one-hot encoder's categories, two tuples an array, 21 bytes; a
    forest's trees 24), and a compressed one-hot encoder of binary features
    four a compressed byte (its categories alone; the slack covers them).

    Examples
    --------
    >>> most_containers(1_000_000)
    128036
    >>> most_containers(10_000_000, most_ops=262_144 + 16 * 100_000)
    465536
    """
    return _most(size, most_ops, CONTAINERS_A_COMPRESSED_BYTE)


def most_references(size: int, most_ops: int | None = None) -> int:
    """The most times the loaded graph may refer again to an object it
    holds (not plain data: a list, an array, an estimator, a numpy number),
    from a stream of ``size`` bytes: :data:`CONTAINER_SLACK` and one every
    :data:`STREAM_BYTES_A_CONTAINER` bytes; of a compressed file also at most
    the slack and one a compressed byte.

    A reference is a memo lookup, two bytes of stream that compress to
    almost nothing, and costs the walk and the checks after it about 2 us
    (the checks read a list by its items): 3 million references to one
    empty list took a load 12 s from 267 KB compressed (round 141). Honest
    models refer again to few of their objects (an ensemble's estimators,
    named twice; a search's candidates): at most 3,716 in 946 files of every
    kind, 0.02 a compressed byte.

    Examples
    --------
    >>> most_references(1_000_000)
    128036
    >>> most_references(10_000_000, most_ops=262_144 + 16 * 100_000)
    165536
    """
    return _most(size, most_ops, 1)


def _most(size: int, most_ops: int | None, a_compressed_byte: int) -> int:
    most = CONTAINER_SLACK + size // STREAM_BYTES_A_CONTAINER
    if most_ops is not None:
        compressed = _compressed_size(most_ops)
        most = min(most, CONTAINER_SLACK + compressed * a_compressed_byte)
    return most


def _compressed_size(most_ops: int) -> int:
    """The compressed bytes that ``most_ops`` (``Parts.most_ops``) pays for."""
    return max(0, most_ops - OPCODE_SLACK) // MAX_OPCODES_PER_BYTE


def most_objects(most_ops: int | None) -> int | None:
    """The most objects a compressed file's inner stream may make, given the
    most opcodes it may run (``Parts.most_ops``, None for a file not
    compressed): :data:`OBJECT_SLACK`, and one for each
    :data:`COMPRESSED_BYTES_AN_OBJECT` compressed bytes.

    Each object costs the safe path tens of microseconds (the dry run, the
    real unpickle, the walk: about 20 us a one-item array), and a stream
    repeating one compresses a thousand times: 16 opcodes a compressed byte
    made 3 arrays of it, 80 s from 1 MB (round 132). An honest model makes
    one object every 10 compressed bytes or more (a vocabulary whose indices
    are numpy integers) but for repeated small arrays: a one-hot encoder's
    categories of binary features compress to half a byte each, inside the
    slack up to about 250,000 features.

    Examples
    --------
    >>> most_objects(None) is None
    True
    >>> most_objects(262_144 + 16 * 1_000_000)  # a file of 1 MB compressed
    512144
    """
    if most_ops is None:
        return None
    return OBJECT_SLACK + _compressed_size(most_ops) // COMPRESSED_BYTES_AN_OBJECT


OBJECT_SLACK = 262_144
COMPRESSED_BYTES_AN_OBJECT = 4
#: The objects of classes (NEWOBJ: estimators, their parts, Bunches) a stream
#: makes: :data:`INSTANCE_SLACK`, and one for each
#: :data:`STREAM_BYTES_AN_INSTANCE` bytes of the stream itself (not of its
#: buffers, which cost the checks nothing a byte). The checks after the load
#: spend about 100 us on an estimator, and one made without its state takes
#: 4 bytes: a million in 4 MB, paid for by an honest model's 17 MB of
#: arrays, took a load 51 s (round 134). An honest estimator's state (its
#: parameters, its fitted arrays) takes over 150 bytes of stream.
INSTANCE_SLACK = 4_096
STREAM_BYTES_AN_INSTANCE = 128
#: What each use the allow-list refuses costs (:meth:`DryRun.violation_once`).
VIOLATION_COST = 1_024
_OBJECT_USED = "adds items to or uses an object it made"
_CLASS_USED = "uses a class it names as an object"
#: What the calls that allocate more cost: a neighbours tree's constructor
#: allocates five arrays (3.2 KB: a million from a 180 KB compressed file
#: asked 3 GB), a distance metric's 1.3 KB, a masked array's restore 0.7 KB,
#: an array's restore (on top of its data and the object's 64) 128 bytes:
#: an array costs the safe path about 20 us (scan, dry run, unpickle, walk),
#: and a stream can make one in 10 bytes (800,000 one-item arrays from 8 MB
#: took 13.5 times an honest load, round 132); a one-hot encoder's
#: categories hold 32 bytes an array (6.5 charged a byte, of the 8 allowed).
_NEW_OBJECT_COSTS = {
    "sklearn.neighbors._ball_tree": 4_096,
    "sklearn.neighbors._kd_tree": 4_096,
    "sklearn.metrics._dist_metrics": 2_048,
}
ARRAY_COST = 128
_CALL_COSTS = {
    "numpy.ma.core._mareconstruct": 1_024,
    "numpy._core.numeric._frombuffer": ARRAY_COST,
    "numpy._core.multiarray._reconstruct": ARRAY_COST,
}
#: What seeding a random generator costs, counted against the file as
#: bytes (:meth:`DryRun.charge`): about 165 us, from the system's entropy;
#: an honest one holds about 2.5 KB of state (a RandomState) or 200 bytes
#: (a Generator) and comes once an estimator.
GENERATOR_COST = 16_384


def _bit_generator_call(dry: DryRun, args: tuple[Any, ...]) -> None:
    if len(args) > 1:
        raise Refusal(f"{len(args)} arguments")
    dry.charge(GENERATOR_COST, "a random generator, seeded")
    if args and not (
        (isinstance(args[0], str) and args[0] in _BIT_GENERATORS)
        or (
            isinstance(args[0], type)
            and getattr(args[0], "_ve_name", None) in _BIT_GENERATORS.values()
        )
    ):
        raise Refusal(f"the bit generator {_shown(args[0])}")


def _random_ctor_call(dry: DryRun, args: tuple[Any, ...]) -> None:
    if len(args) > 2:
        raise Refusal(f"{len(args)} arguments")
    dry.charge(GENERATOR_COST, "a random generator, seeded")
    if len(args) == 2 and not (
        isinstance(args[1], type) and args[1]._ve_name == _BIT_GENERATOR_CTOR  # type: ignore[attr-defined]
    ):
        raise Refusal(f"the constructor {_shown(args[1])}")
    if args and not (
        (isinstance(args[0], str) and args[0] in _BIT_GENERATORS)
        or (
            isinstance(args[0], _Stub) and type(args[0])._ve_name == _BIT_GENERATOR_CTOR
        )
    ):
        raise Refusal(f"the bit generator {_shown(args[0])}")


def _reconstructor_call(dry: DryRun, args: tuple[Any, ...]) -> None:
    if len(args) != 3:
        raise Refusal(f"{len(args)} arguments")
    cls, base, state = args
    name = getattr(cls, "_ve_name", None)
    if name is None or not isinstance(cls, type):
        raise Refusal(f"the class {_shown(cls)}")
    if not dry.use(name, NEW):
        raise Refusal(f"the class {name}, which the allow-list does not build")
    if getattr(base, "_ve_name", None) not in ("builtins.object",):
        raise Refusal(f"the base {_shown(base)}")
    if state is not None:
        raise Refusal("a base state")


def _partial_call(dry: DryRun, args: tuple[Any, ...]) -> None:
    if len(args) != 1 or not dry.use(getattr(args[0], "_ve_name", ""), "partial"):
        raise Refusal(f"the function {_shown(args[0] if args else None)}")


def _partial_build(dry: DryRun, obj: _Stub, state: Any) -> None:
    if obj._ve_builds > 1:
        raise Refusal("of a partial set twice")
    if not (isinstance(state, tuple) and len(state) == 4):
        raise Refusal(f"{_shown(state)}, not a partial's")
    func, args, keywords, namespace = state
    if not dry.use(getattr(func, "_ve_name", ""), "partial"):
        raise Refusal(f"naming the function {_shown(func)}")
    if not isinstance(args, tuple) or not isinstance(keywords, (dict, type(None))):
        raise Refusal("with malformed arguments")
    if namespace not in (None, {}):
        raise Refusal("with attributes")


def _plain_int(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _tree_call(dry: DryRun, args: tuple[Any, ...]) -> int:
    """A decision tree's ``Tree(n_features, n_classes, n_outputs)``: its
    constructor copies ``n_classes`` item by item, for ``n_outputs`` of
    them, before any state (20 million outputs of no classes, one array of
    zeros shared by 7 trees: 11 s and 1.5 GB from 355 KB, round 115).
    ``n_classes`` is an int array of ``n_outputs`` items, and the outputs
    are those of the tree's values (:func:`_tree_build`), which the file
    holds."""
    if len(args) != 3:
        raise Refusal(f"{len(args)} arguments")
    features, classes, outputs = args
    info = _array_of(classes)
    if not (
        _plain_int(features, 0, 1 << 31)
        and _plain_int(outputs, 1, 1 << 31)
        and info is not None
        and info.dtype is not None
        and info.dtype.kind in "iu"
        and info.shape == (outputs,)
    ):
        raise Refusal(f"{_shown(args)}, not a tree's features, classes and outputs")
    dry.charge(16 * int(outputs), "a tree whose constructor copies its outputs")
    return int(outputs)


def _tree_build(dry: DryRun, obj: _Stub, state: Any) -> None:
    """A tree's values: a row a node, a column an output, a class at least."""
    outputs = obj._ve_info
    values = _array_of(state.get("values")) if isinstance(state, dict) else None
    shape = values.shape if values is not None else None
    if not (
        isinstance(outputs, int)
        and isinstance(shape, tuple)
        and len(shape) == 3
        and shape[0] >= 1
        and shape[1] == outputs
        and shape[2] >= 1
    ):
        raise Refusal("whose values are not a node's outputs and classes")


#: The calls that make a value over a dtype without reading its fields (by
#: its item size): a record dtype's fields are checked where they are read.
_MADE_OVER_A_DTYPE = frozenset(
    {
        "numpy.dtype",
        "numpy._core.numeric._frombuffer",
        "numpy._core.multiarray._reconstruct",
        _SCALAR,
    }
)
_CALL_CHECKS: dict[str, Callable[[DryRun, tuple[Any, ...]], Any]] = {
    "numpy.dtype": _dtype_call,
    "numpy._core.multiarray._reconstruct": _reconstruct_call,
    "numpy._core.numeric._frombuffer": _frombuffer_call,
    _SCALAR: _scalar_call,
    "numpy.ma.core._mareconstruct": _mareconstruct_call,
    "copyreg._reconstructor": _reconstructor_call,
    "functools.partial": _partial_call,
    "sklearn.tree._tree.Tree": _tree_call,
    _BIT_GENERATOR_CTOR: _bit_generator_call,
    "numpy.random._pickle.__randomstate_ctor": _random_ctor_call,
    "numpy.random._pickle.__generator_ctor": _random_ctor_call,
}


def _predictor_nodes(dtype: np.dtype[Any]) -> bool:
    names, itemsize = _predictor_record()
    # The same records, their node index 4 bytes narrower when a 32-bit
    # Python wrote them (the restore widens it).
    return bool(dtype.names == names and dtype.itemsize >= itemsize - 4)


@functools.cache
def _predictor_record() -> tuple[tuple[str, ...] | None, int]:
    """The field names and size of a boosting predictor's node records (asked
    once per tree: imported once)."""
    from sklearn.ensemble._hist_gradient_boosting.common import (
        PREDICTOR_RECORD_DTYPE,
    )

    return PREDICTOR_RECORD_DTYPE.names, PREDICTOR_RECORD_DTYPE.itemsize


def _floats(dtype: np.dtype[Any]) -> bool:
    return dtype.kind == "f" and dtype.itemsize in (4, 8)


def _bitsets(dtype: np.dtype[Any]) -> bool:
    return dtype == np.uint32


#: What an own-state part's restore converts, and the dtypes fit gives it.
_CAST_ON_RESTORE: dict[str, dict[str, Callable[[np.dtype[Any]], bool]]] = {
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": {
        "nodes": _predictor_nodes,
        "binned_left_cat_bitsets": _bitsets,
        "raw_left_cat_bitsets": _bitsets,
    },
    "sklearn.isotonic.IsotonicRegression": {
        "X_thresholds_": _floats,
        "y_thresholds_": _floats,
    },
}


def _remainder_build(dry: DryRun, obj: _Stub, state: Any) -> None:
    """scikit-learn 1.6's remainder columns: a dict whose ``data`` is the
    list of columns, copied into the list (a string there is copied a
    character an item: 2.4 GB from one shared 1 MB string, round 106)."""
    data = state.get("data", []) if isinstance(state, dict) else None
    if not isinstance(data, list):
        raise Refusal(f"{_shown(state)}, not a list of columns")
    dry.copied(data, "columns")


_BUILD_CHECKS: dict[str, Callable[[DryRun, _Stub, Any], None]] = {
    "numpy.dtype()": _dtype_build,
    "numpy._core.multiarray._reconstruct()": _array_build,
    "numpy.ma.core._mareconstruct()": _array_build,
    "functools.partial()": _partial_build,
    "sklearn.neighbors._kd_tree.newObj": _binary_tree_build,
    "sklearn.neighbors._ball_tree.newObj": _binary_tree_build,
    "versioned_estimator._compat.RemainderColsList": _remainder_build,
    "sklearn.tree._tree.Tree()": _tree_build,
}


def _shown(value: Any, width: int = 60) -> str:
    """A short description of a value of the stream, never walking a
    container (a stream can nest 10**5 deep or expand to 2**60 nodes)."""
    if isinstance(value, _Stub):
        return f"an object of {type(value)._ve_name}"
    if isinstance(value, type) and hasattr(value, "_ve_name"):
        return str(value._ve_name)
    return shown(value, width)
