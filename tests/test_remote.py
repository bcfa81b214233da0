"""Remote files through fsspec: memory filesystem and a real HTTP server on loopback."""

from __future__ import annotations

import http.server
import os
import threading
import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsRegressor

from versioned_estimator import (
    EnvelopeError,
    VersionedEstimator,
    load,
    read_envelope,
    save,
)

fsspec = pytest.importorskip("fsspec")


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves files from one folder with Range support; counts body bytes sent."""

    folder = ""
    sent = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _path(self):
        return os.path.join(self.folder, os.path.basename(self.path))

    def do_HEAD(self):
        path = self._path()
        if not os.path.exists(path):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        path = self._path()
        if not os.path.exists(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start, end = 0, size - 1
        header = self.headers.get("Range")
        if header and header.startswith("bytes="):
            first, _, last = header[6:].partition("-")
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        with open(path, "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining:
                chunk = handle.read(min(remaining, 1 << 20))
                self.wfile.write(chunk)
                remaining -= len(chunk)
                with self.lock:
                    type(self).sent += len(chunk)


def head(envelope):
    """What read_envelope finds in a file: the envelope without its trailer."""
    data = envelope.to_dict()
    data.pop("trailer")
    return data


@pytest.fixture
def http_folder(tmp_path):
    """A real HTTP server on loopback serving tmp_path; yields (base_url, handler)."""
    handler = type("Handler", (_RangeHandler,), {"folder": str(tmp_path), "sent": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def big_model():
    """A wrapped brute-force KNN holding about 40 MB of training data."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(250_000, 20))
    y = X[:, 0]
    return VersionedEstimator(KNeighborsRegressor(algorithm="brute")).fit(X, y)


def test_read_envelope_over_http_fetches_only_the_head(
    http_folder, big_model, tmp_path
):
    """Inspecting a 40 MB model over HTTP transfers a few kilobytes, not the file."""
    base, handler = http_folder
    model = big_model
    path = save(model, tmp_path / "knn.joblib")
    assert os.path.getsize(path) > 40_000_000
    envelope = read_envelope(f"{base}/knn.joblib")
    assert envelope.to_dict() == head(model.envelope)
    assert envelope.payload["nbytes"] > 40_000_000
    assert handler.sent < 256 * 1024, handler.sent


def test_load_over_http_predicts_the_same(http_folder, iris, tmp_path):
    """load() of an http:// URL reads the whole file and predicts the same."""
    base, _ = http_folder
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    save(model, tmp_path / "iris.joblib")
    loaded = load(f"{base}/iris.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_memory_filesystem_round_trip(iris):
    """save/read_envelope/load accept fsspec's memory:// URLs."""
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    url = "memory://models/iris.joblib"
    assert save(model, url) == url
    assert read_envelope(url).to_dict() == head(model.envelope)
    loaded = load(url)
    assert loaded.envelope == model.envelope  # the trailer read too
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    save(model, "memory://models/iris.joblib.gz")
    with fsspec.open("memory://models/iris.joblib.gz", "rb") as handle:
        assert handle.read(2) == b"\x1f\x8b"


def test_missing_remote_file_is_an_envelope_error(http_folder):
    """A URL that does not exist is this package's error, not fsspec's."""
    base, _ = http_folder
    with pytest.raises(EnvelopeError, match=r"does not exist|cannot be read"):
        read_envelope(f"{base}/nothing.joblib")
    with pytest.raises(EnvelopeError):
        read_envelope("memory://nowhere/model.joblib")


class _FailingHandler(_RangeHandler):
    """Answers HEAD honestly; each GET with ``mode``: an error, or silence."""

    mode = "error"
    release = threading.Event()

    def do_GET(self):
        if self.mode == "error":
            self.send_error(500)
            return
        self.release.wait(30)  # silent until the test ends


@pytest.mark.parametrize("mode", ["error", "silent"])
def test_a_server_that_fails_mid_read_is_an_envelope_error(
    tmp_path, iris, monkeypatch, mode
):
    """A server whose reads fail, or never answer: this package's error in
    bounded time, not aiohttp's exception or a wait of aiohttp's 300 s
    (round 135)."""
    from versioned_estimator import _remote

    X, y = iris
    save(VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y), tmp_path / "m")
    handler = type(
        "Handler",
        (_FailingHandler,),
        {"folder": str(tmp_path), "mode": mode, "release": threading.Event()},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(_remote, "NETWORK_TIMEOUT", 2.0)
    url = f"http://127.0.0.1:{server.server_address[1]}/m"
    try:
        for reader in (read_envelope, load):
            started = time.perf_counter()
            with pytest.raises(EnvelopeError, match="cannot be read"):
                reader(url)
            assert time.perf_counter() - started < 20
    finally:
        handler.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_chained_local_target_is_refused_however_its_path_reads(tmp_path):
    """fsspec takes a chained part's protocol up to its first ``://``: a local
    path holding ``://`` is local still, refused before fsspec opens it (a
    FIFO there hung the load, round 135)."""
    folder = tmp_path / "d:"
    folder.mkdir()
    os.mkfifo(folder / "f.zip")
    for url in (
        f"zip://m.joblib::file://{tmp_path}/d://f.zip",
        "zip://m.joblib::nosuchprotocol://x.zip",
    ):
        with pytest.raises(EnvelopeError, match=r"opens it by name|not a protocol"):
            read_envelope(url)
