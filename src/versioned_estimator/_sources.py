"""Where the bytes of a model file come from: the only code that opens one.

A :class:`Source` reads forward through a path, bytes, a binary file object
(seekable or not: pipes, sockets, ``gzip.GzipFile``) or a URL, decompressing
joblib's compressed files on the fly. It knows, when it can, how many bytes
are left, so that the reader checks every declared length before it
allocates; it refuses what is not a regular file (a FIFO would block forever,
a device never ends); and it maps a part of the file into memory only when
the file is a regular, uncompressed local file.

Decompression is bounded twice: each step inflates at most what the reader
asked for, and the whole stream may not inflate more than
``MAX_RATIO`` times its compressed size (plus ``RATIO_SLACK``), so a
compression bomb costs what its compressed bytes would, not what they expand
to.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import stat
import zlib
from typing import IO, Any

import numpy as np

from versioned_estimator._errors import EnvelopeError, IntegrityError
from versioned_estimator._remote import is_url, local_path, open_url

__all__ = ["MAX_RATIO", "Source", "detect_compression", "open_source"]

CHUNK = 16 * 1024
# Large reads go straight into their destination in blocks of this size.
BLOCK = 8 * 1024 * 1024
# zlib cannot exceed about 1032:1; bz2 and xz can, on constant data. A real
# model never does; a bomb does.
MAX_RATIO = 1100
RATIO_SLACK = 64 * 1024 * 1024

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x5d\x00\x00", "lzma"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"\x78", "zlib"),
)

# ----------------------------------------------------------------------------
# Decompressors
# ----------------------------------------------------------------------------


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
    def unused(self) -> bytes:
        """Input read past the end of the compressed stream."""
        return bytes(self._obj.unused_data)

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


# ----------------------------------------------------------------------------
# The source
# ----------------------------------------------------------------------------


class Source:
    """Forward-only bytes of one file, with known bounds where there are any.

    Parameters
    ----------
    raw : binary file object
        Read with ``read``; never seeked except forward by :meth:`skip`.
    what : str
        How messages name the file (the path as the user gave it).
    size : int, optional
        Bytes left in ``raw`` (a regular file or bytes).
    path : str, optional
        The local path of ``raw`` when it is a regular file (for ``mmap``).
    owned : bool
        ``raw`` was opened here (a path or URL), and is closed here.
    whole : bool
        ``raw`` holds one file and nothing after it (bytes given); owned
        sources are whole too. A file object handed in is not: the caller
        may read on after the model.
    claimed : bool
        ``size`` is what a server says, not what the bytes are: lengths are
        checked against it, but nothing is allocated by it.
    """

    def __init__(
        self,
        raw: IO[bytes],
        what: str,
        *,
        size: int | None = None,
        path: str | None = None,
        owned: bool = False,
        whole: bool = False,
        claimed: bool = False,
    ) -> None:
        self.what = what
        self._claimed = claimed
        self._raw = raw
        self._owned = owned
        #: Read whole, not a stream the caller goes on reading: a path, a URL,
        #: bytes.
        self.given_whole = owned or whole
        self._buffer = bytearray()
        self._mapped: dict[str, np.ndarray] = {}  # the whole file, by mode
        self._pos = 0  # next unread byte of _buffer
        self._offset = 0  # position of _buffer[0] in the (decompressed) stream
        self._raw_read = 0  # compressed bytes taken from raw
        first = self._take(8)
        self.compression = detect_compression(first)
        self._inflater: _Inflater | None = None
        if self.compression is not None:
            self._inflater = _Inflater(self.compression, what)
            self._size = None
            self.path = None
            self._inflate(first, CHUNK)
        else:
            self._size = size
            self.path = path
            self._buffer += first

    @property
    def raw_read(self) -> int:
        """Bytes taken from the file so far (compressed, when it is)."""
        return self._raw_read

    # -- raw input ------------------------------------------------------------

    def _take(self, n: int) -> bytes:
        try:
            data = self._raw.read(n)
        except OSError as exc:
            raise EnvelopeError(f"{self.what} cannot be read: {exc}.") from exc
        if data is None:  # a non-blocking stream with nothing yet
            data = b""
        if not isinstance(data, bytes):
            if isinstance(data, str):
                raise TypeError(
                    "the file object returns text: open the model file in binary "
                    "mode ('rb')."
                )
            if not isinstance(data, (bytearray, memoryview)):
                # bytes() of an integer is that many zeros (round 135)
                raise TypeError(
                    f"the file object's read returns {type(data).__name__}, not bytes."
                )
            data = bytes(data)
        self._raw_read += len(data)
        return data

    def _inflate(self, data: bytes, limit: int) -> None:
        assert self._inflater is not None
        try:
            out = self._inflater.inflate(data, limit)
        except (OSError, EOFError, ValueError, RuntimeError) as exc:
            raise EnvelopeError(
                f"{self.what} looks {self.compression}-compressed but does not "
                f"decompress ({exc}): it is corrupt or not a joblib file."
            ) from exc
        except (zlib.error, lzma.LZMAError) as exc:
            raise EnvelopeError(
                f"{self.what} looks {self.compression}-compressed but does not "
                f"decompress ({exc}): it is corrupt or not a joblib file."
            ) from exc
        self._buffer += out
        produced = self._offset + len(self._buffer)
        if produced > MAX_RATIO * self._raw_read + RATIO_SLACK:
            raise EnvelopeError(
                f"{self.what} inflates more than {MAX_RATIO} times its compressed "
                "size: a compression bomb, or a model of constant arrays that no "
                "real model is. It was not read further."
            )

    def _fill(self, n: int) -> bool:
        """Have at least ``n`` unread bytes buffered; False at the end."""
        if self._pos > CHUNK:
            del self._buffer[: self._pos]
            self._offset += self._pos
            self._pos = 0
        while len(self._buffer) - self._pos < n:
            want = n - (len(self._buffer) - self._pos)
            inflater = self._inflater
            if inflater is None:
                chunk = self._take(max(CHUNK, want))
                if not chunk:
                    return False
                self._buffer += chunk
                continue
            if inflater.eof:
                return False
            chunk = b""
            if inflater.needs_input:
                chunk = self._take(CHUNK)
                if not chunk:
                    return False
            before = len(self._buffer)
            self._inflate(chunk, max(want, CHUNK))
            if len(self._buffer) == before and not chunk and inflater.needs_input:
                return False
        return True

    def at_end(self) -> bool:
        """Whether nothing follows: no byte left, and of a compressed file the
        compressed stream ended (its end marker read) with nothing after it."""
        if self.read_byte() >= 0:
            return False
        inflater = self._inflater
        if inflater is None:
            return True
        return inflater.eof and not inflater.unused and not self._take(1)

    def truncated(self, what: str = "a value") -> EnvelopeError:
        return EnvelopeError(
            f"{self.what} ends inside {what} (at byte {self.tell()}): the file is "
            "truncated."
        )

    # -- reading --------------------------------------------------------------

    def tell(self) -> int:
        """Position in the (decompressed) stream."""
        return self._offset + self._pos

    def remaining(self) -> int | None:
        """Bytes left, when the source knows (a regular file or bytes)."""
        if self._size is None:
            return None
        return self._size - self.tell()

    def allocatable(self) -> bool:
        """Whether :meth:`remaining` is the bytes' own (a regular file, bytes),
        so that a value of a length within it may be allocated before it is
        read. A server's stated size is not: a `Content-Length` of 10**12
        and a stream declaring 2 GB had 2 GB zeroed for 42 KB sent (round
        148)."""
        return self._size is not None and not self._claimed

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes (``n`` is small: an opcode and its argument)."""
        pos = self._pos
        if pos + n <= len(self._buffer):
            self._pos = pos + n
            return bytes(self._buffer[pos : pos + n])
        if not self._fill(n):
            raise self.truncated()
        out = bytes(self._buffer[self._pos : self._pos + n])
        self._pos += n
        return out

    def read_byte(self) -> int:
        """One byte, or -1 at the end."""
        if self._pos >= len(self._buffer) and not self._fill(1):
            return -1
        value = self._buffer[self._pos]
        self._pos += 1
        return value

    def readline(self, limit: int = 4096) -> bytes:
        """One text line of a protocol 0 or 1 opcode, newline included."""
        searched = 0  # bytes after _pos already searched (_fill may move _pos)
        while True:
            end = self._buffer.find(b"\n", self._pos + searched, self._pos + limit)
            if end >= 0:
                out = bytes(self._buffer[self._pos : end + 1])
                self._pos = end + 1
                return out
            searched = len(self._buffer) - self._pos
            if searched >= limit:
                raise EnvelopeError(f"{self.what}: a text opcode line is too long.")
            if not self._fill(searched + 1):
                raise self.truncated("a text line")

    def check_length(self, n: int, what: str) -> None:
        """Refuse a declared length the file cannot hold, before allocating it."""
        left = self.remaining()
        if n < 0 or (left is not None and n > left):
            raise EnvelopeError(
                f"{self.what} declares {what} of {n} bytes but holds only "
                f"{left} more: it is truncated or crafted."
            )

    def readinto(self, view: memoryview, on_block: Any = None) -> None:
        """Fill ``view`` exactly, in blocks; call ``on_block(block)`` on each."""
        view = view.cast("B")
        total = view.nbytes
        done = 0
        while done < total:
            step = min(BLOCK, total - done)
            block = view[done : done + step]
            self._fill_exact(block)
            if on_block is not None:
                on_block(block)
            done += step

    def _fill_exact(self, block: memoryview) -> None:
        need = block.nbytes
        have = min(need, len(self._buffer) - self._pos)
        if have:
            block[:have] = self._buffer[self._pos : self._pos + have]
            self._pos += have
        if have == need:
            return
        if self._inflater is None:
            # Straight from the file into the destination: no extra copy.
            filled = have
            while filled < need:
                try:
                    got = self._raw.readinto(block[filled:])  # type: ignore[attr-defined]
                except AttributeError:
                    data = self._take(need - filled)
                    got = len(data)
                    block[filled : filled + got] = data
                else:
                    if got is None:
                        got = 0
                    self._raw_read += got
                if not got:
                    raise self.truncated("an array")
                filled += got
            self._offset += need - have
            return
        rest = need - have
        while rest:
            if not self._fill(min(rest, BLOCK)):
                raise self.truncated("an array")
            take = min(rest, len(self._buffer) - self._pos)
            start = need - rest
            block[start : start + take] = self._buffer[self._pos : self._pos + take]
            self._pos += take
            rest -= take

    def skip(self, n: int) -> None:
        """Move ``n`` bytes forward: a seek when possible, else reading them."""
        have = min(n, len(self._buffer) - self._pos)
        self._pos += have
        n -= have
        if not n:
            return
        if self._inflater is None and self._size is not None:
            try:
                self._raw.seek(n, io.SEEK_CUR)
            except (AttributeError, OSError, ValueError):
                pass
            else:
                self._offset = self.tell() + n
                del self._buffer[:]
                self._pos = 0
                return
        scratch = bytearray(min(n, BLOCK))
        while n:
            step = min(n, len(scratch))
            self._fill_exact(memoryview(scratch)[:step])
            n -= step

    def read_whole(self, n: int) -> bytes | None:
        """The next ``n`` bytes as one ``bytes`` object read from a regular
        file this source opened, uncompressed (``pread`` into the object
        itself); None from any other source, which is read in blocks.

        A model's stream read into a bytearray, then copied into the bytes
        the unpicklers take, had every page of it faulted in twice (1 ms of
        a 1.5 MB stream's first load)."""
        if self._inflater is not None or self.path is None or not self._owned:
            return None
        offset = self.tell()
        try:
            data = os.pread(self._raw.fileno(), n, offset)
        except OSError as exc:
            raise EnvelopeError(f"{self.what} cannot be read: {exc}.") from exc
        if len(data) != n:
            raise self.truncated("a value")
        self.skip(n)
        return data

    def map(self, n: int, mode: str) -> np.ndarray:
        """The next ``n`` bytes as a memory-mapped ``uint8`` array, then skip them.

        Mapped from the file this source opened and is reading: its path is
        opened again (numpy maps a file of its own, at its own position, and
        ``"r+"`` asks for writing) only to be that same file. A path swapped
        for a pipe once the head was read blocked the load for good, and
        another file there would be mapped unread (round 131).
        """
        assert self.path is not None
        mapped = self._mapped.get(mode)
        if mapped is None:
            mapped = self._mapped[mode] = self._map_whole(mode)
        offset = self.tell()
        if offset + n > mapped.shape[0]:
            raise self.truncated("an array")
        array: np.ndarray = mapped[offset : offset + n]
        self.skip(n)
        return array

    def _map_whole(self, mode: str) -> np.ndarray:
        """The whole file, mapped once: every array of it is a view of this
        one map. A map an array kept an open descriptor each: 20,100 arrays
        of one byte ran out of descriptors, an OSError from the load (round
        152), and an honest model of more arrays than the process may open
        files could not be mapped."""
        assert self.path is not None
        flags = (os.O_RDWR if mode == "r+" else os.O_RDONLY) | _NONBLOCK
        try:
            fd = os.open(self.path, flags)
        except OSError as exc:
            raise self.replaced() from exc
        with os.fdopen(fd, "r+b" if mode == "r+" else "rb", buffering=0) as file:
            info = os.fstat(fd)
            if not os.path.samestat(info, os.fstat(self._raw.fileno())):
                raise self.replaced()
            try:
                mapped: np.ndarray = np.memmap(
                    file,
                    dtype=np.uint8,
                    mode=mode,  # type: ignore[call-overload]
                    shape=(info.st_size,),
                )
            except (OSError, ValueError) as exc:
                raise EnvelopeError(
                    f"{self.what} cannot be memory-mapped: {exc}."
                ) from exc
        return mapped

    def replaced(self) -> IntegrityError:
        return IntegrityError(
            f"{self.what} is no longer the file being read (replaced or removed "
            "while it was loaded): nothing of it was mapped. Load it again."
        )

    def close(self) -> None:
        if self._owned:
            self._raw.close()


# ----------------------------------------------------------------------------
# Opening
# ----------------------------------------------------------------------------


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _open_path(path: str, label: str) -> Source:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    except FileNotFoundError as exc:
        raise EnvelopeError(f"{label} does not exist.") from exc
    except IsADirectoryError as exc:
        raise EnvelopeError(f"{label} is a directory, not a model file.") from exc
    except OSError as exc:
        raise EnvelopeError(f"{label} cannot be read: {exc.strerror or exc}.") from exc
    except ValueError as exc:  # a NUL in the name
        raise EnvelopeError(f"{label} is not a path a file can have: {exc}.") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise EnvelopeError(f"{label} is a directory, not a model file.")
        if not stat.S_ISREG(info.st_mode):
            raise EnvelopeError(
                f"{label} is not a regular file (a pipe, socket or device): pass "
                "an open binary file object to read from a stream."
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    return Source(raw, label, size=info.st_size, path=path, owned=True)


def open_source(source: Any, *, block_size: int | None = None) -> Source:
    """A :class:`Source` over a path, URL, bytes or binary file object.

    Examples
    --------
    >>> src = open_source(b"\\x80\\x05N.")
    >>> src.read(2), src.remaining()
    (b'\\x80\\x05', 2)
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = memoryview(source).cast("B")
        return Source(io.BytesIO(data), "the given bytes", size=data.nbytes, whole=True)
    if is_url(source):
        local = local_path(source)
        if local is not None:  # opened here, as a path is, never by fsspec
            return _open_path(local, repr(source))
        raw = open_url(source, block_size=block_size)
        size = getattr(raw, "size", None)
        return Source(
            raw,  # type: ignore[arg-type]
            repr(source),
            size=size if isinstance(size, int) else None,
            owned=True,
            claimed=True,
        )
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not isinstance(path, str):
            path = os.fsdecode(path)
        return _open_path(path, repr(path))
    if hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise TypeError(
                "the file object is open in text mode: open the model file in binary "
                "mode ('rb')."
            )
        name = getattr(source, "name", None)
        label = repr(name) if isinstance(name, str) else "the file object"
        return Source(source, label, size=_size_of(source))
    raise TypeError(
        "expected a path, a URL, bytes or a binary file object; got "
        f"{type(source).__name__}."
    )


def _size_of(handle: Any) -> int | None:
    """Bytes left in a file object over a plain regular file, if that is what it is."""
    if not isinstance(handle, (io.BufferedReader, io.FileIO, io.BytesIO)):
        return None
    try:
        if isinstance(handle, io.BytesIO):
            return handle.getbuffer().nbytes - handle.tell()
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        return int(info.st_size) - handle.tell()
    except (OSError, ValueError, AttributeError):
        return None
