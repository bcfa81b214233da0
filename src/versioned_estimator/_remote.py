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
from typing import IO, Any

from versioned_estimator._errors import EnvelopeError

__all__ = ["HEAD_BLOCK_SIZE", "is_url", "open_url", "upload"]

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


def open_url(url: str, *, block_size: int = HEAD_BLOCK_SIZE) -> IO[bytes]:
    """Open a URL for reading with fsspec, fetching ``block_size`` bytes at a time."""
    fsspec = _fsspec()
    try:
        handle: IO[bytes] = fsspec.open(url, "rb", block_size=block_size).open()
    except FileNotFoundError as exc:
        raise EnvelopeError(f"{url!r} does not exist.") from exc
    except (OSError, ValueError) as exc:
        raise EnvelopeError(f"{url!r} cannot be read: {exc}.") from exc
    return handle


def upload(local_path: str, url: str) -> None:
    """Copy a finished local file to ``url`` (object stores commit on close)."""
    fsspec = _fsspec()
    with open(local_path, "rb") as source, fsspec.open(url, "wb") as target:
        shutil.copyfileobj(source, target, length=8 * 1024 * 1024)
    os.unlink(local_path)
