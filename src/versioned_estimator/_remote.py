"""Remote files: ``http(s)://`` by :mod:`._http`, the rest through fsspec.

fsspec is optional (``s3://``, ``gs://``, ``memory://``...): a URL that needs
it, without it installed, is a clear error. Reading the envelope of a remote
file fetches only its head: the file is opened with a small block size, so
inspecting a model of several GB in a bucket costs one small range request.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._http import HttpFile, RemoteRangeWarning, unreadable

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
    """A remote file of an fsspec file system, read forward by blocks."""

    def __init__(self, url: str, block_size: int | None) -> None:
        self.url = self.name = url
        fsspec = _fsspec()
        try:
            _refuse_unread(url)
            opened = fsspec.open(url, "rb", block_size=block_size)
            _refuse_local_special(opened)
            self._handle: Any = opened.open()
        except EnvelopeError:
            raise
        except FileNotFoundError as exc:
            raise EnvelopeError(f"{url!r} does not exist.") from exc
        except Exception as exc:  # the transport's own (a store's)
            raise self.unreadable(exc) from exc
        self.size = getattr(self._handle, "size", None)

    def unreadable(self, exc: BaseException) -> EnvelopeError:
        return unreadable(self.url, exc)

    def read(self, n: int = -1) -> bytes:
        try:
            data: bytes = self._handle.read(n)
        except EnvelopeError:
            raise
        except Exception as exc:  # a store that fails, or times out, mid-read
            raise self.unreadable(exc) from exc
        return data

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
    protocol, _, rest = url.partition("://")
    if "::" in url or protocol.lower() not in ("file", "local"):
        return None
    try:  # fsspec knows the scheme in lower case only (FILE:// raised, round 139)
        fs, path = _fsspec().core.url_to_fs(f"{protocol.lower()}://{rest}")
    except (ValueError, ImportError, OSError) as exc:
        raise EnvelopeError(f"{url!r} is not a path fsspec reads: {exc}.") from exc
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


#: The fsspec protocols a model is read from: object stores (whose host the
#: URL does not name: the store's own service answers) and fsspec's memory.
#: Others name any host and read its answers with libraries that take what
#: it sends whole (``webhdfs://``: 2.85 GB in 5 s from a server sending
#: without end, round 137; ``jupyter://``, ``github://`` alike): download
#: such a file first.
STORES = frozenset(
    {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oci", "oss", "hf"}
    | {"memory"}
)

#: What may wrap a store's file in a chain (``zip://m.joblib::s3://b/x.zip``).
WRAPPERS = frozenset({"zip", "tar", "simplecache", "blockcache", "filecache"})


def _refuse_unread(url: str) -> None:
    """Refuse, before fsspec builds anything, a URL whose parts fsspec would
    read unsafely. Each part's protocol is fsspec's own reading of it (up to
    the first ``://``: read up to the last, ``file:///d://f.zip`` passed as
    a protocol of ``file:///d``, round 135).

    - An HTTP(S) part anywhere in a chain: fsspec's HTTP file reads a
      range's answer whole, and a server answering with endless data filled
      memory (round 135); an HTTP(S) URL alone is read by :class:`HttpFile`,
      at most the bytes it asks for.
    - A chained local target (``zip://m.joblib::file:///x``), or a target of
      no protocol fsspec knows: an archive file system opens its target by
      name as it is built (a FIFO there blocked forever, round 42; checked
      first by name, a FIFO renamed over it after the check, round 133).
    - Any part but a store, or an archive or cache over one: see
      :data:`STORES`.
    """
    fsspec = _fsspec()
    parts = url.split("::")
    if len(parts) > 1 and any(_protocol(part) in _HTTP for part in parts):
        raise EnvelopeError(
            f"{url!r} chains an HTTP(S) URL, which fsspec would read without "
            "a bound on what the server sends: not read. Download the file "
            "first, or pass the model's own http(s) URL."
        )
    protocols = []
    for i, part in enumerate(parts):
        protocol, path = fsspec.core.split_protocol(part)
        if i:  # a chained target
            try:
                kind = fsspec.get_filesystem_class(protocol) if protocol else None
            except (ValueError, ImportError) as exc:
                raise EnvelopeError(
                    f"{url!r} names {protocol!r}, not a protocol fsspec reads here."
                ) from exc
            if kind is None or _is_local(kind):
                raise _local_refused(url, path)
        protocols.append((protocol or "").lower())
    for i, protocol in enumerate(protocols):
        last = i == len(protocols) - 1
        if protocol in STORES or (protocol in WRAPPERS and not last):
            continue
        raise EnvelopeError(
            f"{url!r} is read through fsspec's {protocol or 'local'!r} file "
            "system, which takes what a server sends whole, however much: not "
            "read. Object stores are read (s3://, gs://, az://, hf://...), and "
            "http(s):// by this package: download other files first and pass "
            "the path."
        )


def _refuse_local_special(opened: Any) -> None:
    """Whatever else fsspec would open as a local path (a caching file
    system over one): refused, as a chained URL's local target is."""
    fs, path = getattr(opened, "fs", None), getattr(opened, "path", None)
    while fs is not None:
        if _is_local(fs):
            raise _local_refused(str(opened), str(path))
        fs = getattr(fs, "fs", None)  # a caching file system's target


def open_url(
    url: str, *, block_size: int | None = HEAD_BLOCK_SIZE
) -> RemoteFile | HttpFile:
    """Open a URL for reading, fetching ``block_size`` bytes at a time: an
    HTTP(S) URL with :class:`HttpFile`, any other with fsspec."""
    if _protocol(url) in _HTTP and not _chained(url):
        return HttpFile(url, block_size or HEAD_BLOCK_SIZE)
    return RemoteFile(url, block_size or HEAD_BLOCK_SIZE)


_HTTP = ("http", "https")


def _protocol(url: str) -> str:
    return url.partition("://")[0].lower()


def _chained(url: str) -> bool:
    """Whether ``url`` chains URLs with ``::``, outside an IPv6 host's
    brackets (``http://[::1]:8000/m`` was refused as a chain, round 144)."""
    return "::" in re.sub(r"\[[^\]/]*\]", "", url)


def upload(local_path: str, url: str) -> None:
    """Copy a finished local file to ``url`` (object stores commit on close)."""
    fsspec = _fsspec()
    with open(local_path, "rb") as source, fsspec.open(url, "wb") as target:
        shutil.copyfileobj(source, target, length=8 * 1024 * 1024)
    os.unlink(local_path)
