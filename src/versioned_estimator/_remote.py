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
            opened = self._fsspec.open(
                self.url, "rb", block_size=block_size, **_options(self.url)
            )
            _refuse_local_special(opened)
            return opened.open()
        except EnvelopeError:
            raise
        except FileNotFoundError as exc:
            raise EnvelopeError(f"{self.url!r} does not exist.") from exc
        except Exception as exc:  # the transport's own (aiohttp's, a store's)
            raise self.unreadable(exc) from exc

    def unreadable(self, exc: BaseException) -> EnvelopeError:
        return EnvelopeError(
            f"{self.url!r} cannot be read: {type(exc).__name__}: {exc}."
        )

    def read(self, n: int = -1) -> bytes:
        try:
            try:
                data: bytes = self._handle.read(n)
            except ValueError as exc:
                if self.streaming or "range" not in str(exc).lower():
                    raise
                self._stream()
                data = self._handle.read(n)
        except EnvelopeError:
            raise
        except Exception as exc:  # a server that fails, or times out, mid-read
            # (aiohttp's errors escaped load as they were, round 135)
            raise self.unreadable(exc) from exc
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


def local_path(url: str) -> str | None:
    """The path a ``file://`` or ``local://`` URL names, as fsspec reads it;
    None for any other URL.

    Such a file is opened as a path is (never waiting on a pipe, then
    checked a regular file: the one opened, not the name). Through fsspec
    it was opened by name with a blocking ``open``, after a check of the
    name: a pipe renamed over the path between the two hung the load for
    good (round 133).

    Examples
    --------
    >>> local_path("file:///models/churn.joblib")
    '/models/churn.joblib'
    >>> local_path("s3://models/churn.joblib") is None
    True
    """
    protocol = url.partition("://")[0].lower()
    if "::" in url or protocol not in ("file", "local"):
        return None
    fs, path = _fsspec().core.url_to_fs(url)
    return path if _is_local(fs) and isinstance(path, str) else None


def _is_local(fs: Any) -> bool:
    protocol = getattr(fs, "protocol", None) or ()
    return "file" in ((protocol,) if isinstance(protocol, str) else protocol)


def _local_refused(url: str, path: str) -> EnvelopeError:
    return EnvelopeError(
        f"{url!r} reaches the local file {path!r} through fsspec, which opens it "
        "by name with a blocking open (a pipe renamed over it waits forever): "
        "not read. Pass its path, or the file opened yourself."
    )


#: How long a remote read waits to connect, or for the next bytes, before it
#: gives up: a server that never answers kept a load past a minute (aiohttp
#: waits 300 s by default, round 135).
NETWORK_TIMEOUT = 30.0


def _options(url: str) -> dict[str, Any]:
    """fsspec's options for ``url``: a bounded wait on HTTP(S)."""
    if url.partition("://")[0].lower() not in ("http", "https"):
        return {}
    try:
        import aiohttp
    except ImportError:  # fsspec says what it needs
        return {}
    timeout = aiohttp.ClientTimeout(
        sock_connect=NETWORK_TIMEOUT, sock_read=NETWORK_TIMEOUT
    )
    return {"client_kwargs": {"timeout": timeout}}


def _refuse_local_targets(url: str) -> None:
    """A chained URL's local target (``zip://m.joblib::file:///x``), or a
    target of no protocol fsspec knows, is refused before fsspec builds the
    chain: an archive file system opens its target by name as it is built
    (a FIFO there blocked forever, round 42; checked first by name, a FIFO
    renamed over it after the check, round 133). Each part's protocol is
    fsspec's own reading of it (up to the first ``://``: read up to the
    last, ``file:///d://f.zip`` passed as a protocol of ``file:///d``,
    round 135)."""
    fsspec = _fsspec()
    for part in url.split("::")[1:]:
        protocol, path = fsspec.core.split_protocol(part)
        try:
            kind = fsspec.get_filesystem_class(protocol) if protocol else None
        except (ValueError, ImportError) as exc:
            raise EnvelopeError(
                f"{url!r} names {protocol!r}, not a protocol fsspec reads here."
            ) from exc
        if kind is None or _is_local(kind):
            raise _local_refused(url, path)


def _refuse_local_special(opened: Any) -> None:
    """Whatever else fsspec would open as a local path (a caching file
    system over one): refused, as a chained URL's local target is."""
    fs, path = getattr(opened, "fs", None), getattr(opened, "path", None)
    while fs is not None:
        if _is_local(fs):
            raise _local_refused(str(opened), str(path))
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
