"""Remote files from an HTTP server that ignores byte ranges.

Python's own ``http.server`` answers every GET with the whole file (status
200), whatever ``Range`` asks for. Reading such a file block by block used to
fail with "not a valid pickle"; it now falls back to one stream from the
start, with a :class:`RemoteRangeWarning`.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsRegressor

from versioned_estimator import VersionedEstimator, load, read_envelope, save
from versioned_estimator._io import _REMOTE_BLOCK_SIZE
from versioned_estimator._remote import HEAD_BLOCK_SIZE, RemoteRangeWarning

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    requests: list[str | None]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading a whole-file answer it no longer needs
        # resets the connection: expected here, not an error to print.
        pass


@pytest.fixture
def no_range_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[Any]]]:
    """``http.server`` on loopback serving a folder; yields (base URL, folder,
    the Range header of every GET)."""
    folder = tmp_path / "served"
    folder.mkdir()
    ranges: list[Any] = []

    class Handler(_Quiet):
        def do_GET(self) -> None:
            ranges.append(self.headers.get("Range"))
            super().do_GET()

    server = _Server(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder, ranges
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def knn() -> tuple[Any, Any]:
    """A wrapped brute-force KNN holding about 11 MB: more than one block."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70_000, 20))
    model = VersionedEstimator(KNeighborsRegressor(algorithm="brute"))
    return model.fit(X, X[:, 0]), X[:5]


def test_the_server_ignores_ranges(
    no_range_server: tuple[str, Path, list[Any]],
) -> None:
    import urllib.request

    base, folder, _ = no_range_server
    (folder / "f.bin").write_bytes(bytes(range(256)) * 8)
    request = urllib.request.Request(f"{base}/f.bin", headers={"Range": "bytes=100-"})
    with urllib.request.urlopen(request) as answer:
        assert (answer.status, len(answer.read())) == (200, 2048)


def test_load_a_model_larger_than_a_block(
    no_range_server: tuple[str, Path, list[Any]], knn: tuple[Any, Any]
) -> None:
    base, folder, ranges = no_range_server
    model, X = knn
    save(model, folder / "knn.joblib")
    assert os.path.getsize(folder / "knn.joblib") > 1.2 * _REMOTE_BLOCK_SIZE
    with pytest.warns(RemoteRangeWarning, match="does not serve byte ranges"):
        loaded = load(f"{base}/knn.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.envelope == model.envelope  # head and trailer, read whole
    assert any(r is not None for r in ranges)  # it did ask for ranges first


def test_read_envelope_of_a_head_within_one_block(
    no_range_server: tuple[str, Path, list[Any]], knn: tuple[Any, Any]
) -> None:
    base, folder, _ = no_range_server
    model, _ = knn
    save(model, folder / "knn.joblib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the first block holds the head
        envelope = read_envelope(f"{base}/knn.joblib")
    assert envelope == read_envelope(folder / "knn.joblib")


def test_read_envelope_of_a_head_larger_than_a_block(
    no_range_server: tuple[str, Path, list[Any]], knn: tuple[Any, Any]
) -> None:
    base, folder, _ = no_range_server
    model, X = knn
    notes = [f"note {i:06d} " + "x" * 40 for i in range(3 * HEAD_BLOCK_SIZE // 50)]
    wide = VersionedEstimator.wrap(model.estimator_, metadata={"notes": notes})
    save(wide, folder / "noted.joblib")
    with pytest.warns(RemoteRangeWarning):
        envelope = read_envelope(f"{base}/noted.joblib")
    assert envelope.metadata["notes"] == notes
    assert envelope == read_envelope(folder / "noted.joblib")
    with pytest.warns(RemoteRangeWarning):
        loaded = load(f"{base}/noted.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
