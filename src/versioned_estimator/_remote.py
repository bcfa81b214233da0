"""Remote files through fsspec (``s3://``, ``gs://``, ``http://``, ``memory://``).

fsspec is optional: a URL without it installed is a clear error. Reading the
envelope of a remote file fetches only its head: the file is opened with a
small block size, so inspecting a model of several GB in a bucket costs one
small range request.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import warnings
from typing import Any

from versioned_estimator._errors import EnvelopeError

__all__ = [
    "HEAD_BLOCK_SIZE",
    "RemoteFile",
    "RemoteRangeWarning",
    "is_url",
    "open_url",
    "upload",
]

HEAD_BLOCK_SIZE = 64 * 1024
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(source: Any) -> bool:
    """Whether ``source`` is a URL for fsspec (``file://`` included).

    Examples
    --------
    >>> is_url("s3://bucket/model.joblib"), is_url("model.joblib")
    (True, False)
    """
    return isinstance(source, str) and bool(_URL.match(source))


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError as exc:
        raise EnvelopeError(
            "Reading or writing a URL needs fsspec: `pip install fsspec` (plus "
            "s3fs, gcsfs or aiohttp for the protocol)."
        ) from exc
    return fsspec


class RemoteFile:
    """A remote file read forward, by byte ranges when the server serves them.

    A server that ignores ``Range`` (it answers a request for the middle of
    the file with the whole file) cannot serve the next block: the file is
    then read again from the start as one stream, the bytes already read are
    skipped, and a :class:`RemoteRangeWarning` says so (the whole file is
    transferred, not just the parts read).
    """

    def __init__(self, url: str, block_size: int | None) -> None:
        self.url = url
        self.name = url
        self._fsspec = _fsspec()
        self._handle: Any = self._open(block_size)
        self._position = 0
        self.size = getattr(self._handle, "size", None)
        self.streaming = False

    def _open(self, block_size: int | None) -> Any:
        try:
            _refuse_local_targets(self.url)
            opened = self._fsspec.open(self.url, "rb", block_size=block_size)
            _refuse_local_special(opened)
            return opened.open()
        except EnvelopeError:
            raise
        except FileNotFoundError as exc:
            raise EnvelopeError(f"{self.url!r} does not exist.") from exc
        except (OSError, ValueError) as exc:
            raise EnvelopeError(f"{self.url!r} cannot be read: {exc}.") from exc

    def read(self, n: int = -1) -> bytes:
        try:
            data: bytes = self._handle.read(n)
        except ValueError as exc:
            if self.streaming or "range" not in str(exc).lower():
                raise
            self._stream()
            data = self._handle.read(n)
        self._position += len(data)
        return data

    def _stream(self) -> None:
        warnings.warn(
            RemoteRangeWarning(
                f"{self.url} does not serve byte ranges: reading the whole file "
                "as one stream from its start."
            ),
            stacklevel=4,
        )
        self._handle.close()
        self._handle = self._open(0)
        self.streaming = True
        left = self._position
        while left:
            chunk = self._handle.read(min(left, 8 << 20))
            if not chunk:
                raise EnvelopeError(f"{self.url!r} ended early when read again.")
            left -= len(chunk)

    def close(self) -> None:
        self._handle.close()


def _refuse_local_targets(url: str) -> None:
    """Every local path a chained URL names (``zip://m.joblib::file:///x``)
    is a regular file, checked before fsspec builds the chain: an archive
    file system opens its target as it is built, and a FIFO there blocks
    forever."""
    for part in url.split("::")[1:]:
        protocol, _, path = part.rpartition("://")
        if protocol in ("", "file", "local"):
            # fsspec expands ``~`` and ``~user`` as it builds the chain.
            _refuse_special_path(os.path.expanduser(path))


def _refuse_special_path(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing: fsspec says so
    if not stat.S_ISREG(mode):
        raise EnvelopeError(
            f"{path!r} is not a regular file (a directory, pipe, socket or device)."
        )


def _refuse_local_special(opened: Any) -> None:
    """A URL fsspec resolves to a local path (``file://``, a cache over one)
    names a regular file: fsspec opens the path with a blocking ``open``,
    which waits forever on a FIFO and never ends on a device."""
    fs, path = getattr(opened, "fs", None), getattr(opened, "path", None)
    while fs is not None:
        if "file" in (getattr(fs, "protocol", None) or ()) and isinstance(path, str):
            _refuse_special_path(path)
            return
        fs = getattr(fs, "fs", None)  # a caching file system's target


class RemoteRangeWarning(UserWarning):
    """A server ignored byte ranges: the whole file was read as one stream."""


def open_url(url: str, *, block_size: int | None = HEAD_BLOCK_SIZE) -> RemoteFile:
    """Open a URL for reading with fsspec, fetching ``block_size`` bytes at a time."""
    return RemoteFile(url, block_size or HEAD_BLOCK_SIZE)


def upload(local_path: str, url: str) -> None:
    """Copy a finished local file to ``url`` (object stores commit on close)."""
    fsspec = _fsspec()
    with open(local_path, "rb") as source, fsspec.open(url, "wb") as target:
        shutil.copyfileobj(source, target, length=8 * 1024 * 1024)
    os.unlink(local_path)
