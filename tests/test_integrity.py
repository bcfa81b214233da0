"""Integrity: checksums catch damaged bytes on every load path, signatures
catch edits by someone without the key, and a lazily loaded model
materializes once.

Where each path checks what (``verify``):

==========================  ==========================================
``load(path)``              every byte (stream and buffers)
``joblib.load(path)``       every byte, at first use
``joblib.load(path, mmap)`` stream checksum and buffer sizes only, unless
                            ``config_context(verify="full")``
==========================  ==========================================

In files of format 2 the checksums (CRC-32, or SHA-256 when signed) and the
signature are in the trailer, after the buffers; the signature covers the
envelope and the trailer.
"""

from __future__ import annotations

import base64
import copy
import pickle
import pickletools
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from tests._forge import Reduced, parts
from versioned_estimator import (
    EnvelopeError,
    IntegrityError,
    UntrustedGlobalError,
    VersionedEstimator,
    _lazy,
    _signing,
    config_context,
    load,
    read_envelope,
    save,
)
from versioned_estimator._payload import start_checksums

# ----------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """20 000 rows: a KNN keeps them as a 3.2 MB array buffer."""
    return make_classification(n_samples=20_000, n_features=20, random_state=0)


@pytest.fixture(scope="module")
def knn(data: Any) -> VersionedEstimator:
    """A model whose largest part is one big array."""
    X, y = data
    return VersionedEstimator(KNeighborsClassifier(algorithm="brute")).fit(X, y)


@pytest.fixture(scope="module")
def saved(knn: VersionedEstimator, tmp_path_factory: Any) -> Path:
    """The KNN as save writes it."""
    return Path(save(knn, tmp_path_factory.mktemp("saved") / "knn.joblib"))


def flip(path: Path, needle: bytes, out: Path) -> int:
    """Copy ``path`` to ``out`` with the lowest byte of the 8-byte word in the
    middle of ``needle``'s bytes XOR 1; return the element index."""
    data = bytearray(path.read_bytes())
    start = bytes(data).find(needle)
    assert start > 0, "the bytes to damage are not in the file"
    element = len(needle) // 2 // 8
    data[start + element * 8] ^= 0x01
    out.write_bytes(bytes(data))
    return element


@pytest.fixture(scope="module")
def flipped_data(knn: VersionedEstimator, saved: Path, tmp_path_factory: Any) -> Path:
    """The saved KNN with one bit flipped in the middle of its training array."""
    fit_X = knn.estimator_._fit_X
    out = tmp_path_factory.mktemp("flipped") / "knn.joblib"
    flip(saved, fit_X.tobytes(), out)
    return out


@pytest.fixture(scope="module")
def flipped_stream(knn: VersionedEstimator, saved: Path, tmp_path_factory: Any) -> Path:
    """The saved KNN with one bit flipped in the middle of its inner stream."""
    stream = parts(knn)["stream"]
    out = tmp_path_factory.mktemp("flipped") / "knn.joblib"
    flip(saved, stream, out)
    return out


# ----------------------------------------------------------------------------
# 3. A flipped byte in the array data
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("mmap_mode", [None, "r"])
def test_load_catches_a_flip_in_array_data(flipped_data, mmap_mode):
    """load verifies every byte, memory-mapped or not."""
    with pytest.raises(IntegrityError, match=r"array buffer"):
        load(flipped_data, mmap_mode=mmap_mode)


def test_lazy_in_memory_load_catches_a_flip_in_array_data(flipped_data, data):
    """joblib.load returns a sealed model; its first predict raises."""
    X, _ = data
    model = joblib.load(flipped_data)
    with pytest.raises(IntegrityError, match=r"array buffer"):
        model.predict(X[:5])


def test_lazy_mmap_load_with_verify_full_catches_a_flip_in_array_data(
    flipped_data, data
):
    """Under config_context(verify="full") a memory-mapped load hashes every
    page, so the flip is caught; the policy is kept from the unpickling."""
    X, _ = data
    with config_context(verify="full"):
        model = joblib.load(flipped_data, mmap_mode="r")
        with pytest.raises(IntegrityError, match=r"array buffer"):
            model.predict(X[:5])
    with config_context(verify="full"):
        later = joblib.load(flipped_data, mmap_mode="r")
    with pytest.raises(IntegrityError, match=r"array buffer"):
        later.predict(X[:5])  # the policy in force at unpickling applies at first use


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
def test_a_copy_of_a_sealed_model_keeps_the_policies_it_was_read_with(
    flipped_data, data, tmp_path, copier
):
    """A model read but not used yet, copied outside the config_context it
    was read in, is checked as it would have been: its verify="full" and
    its allow-list are the copy's (a copy was sealed under the config of
    the moment: the flip loaded, and a stream naming os.system ran, round
    163)."""
    X, _ = data
    with config_context(verify="full"):
        model = joblib.load(flipped_data, mmap_mode="r")
    with pytest.raises(IntegrityError, match=r"array buffer"):
        copier(model).predict(X[:5])

    from sklearn.preprocessing import FunctionTransformer

    # numpy.spacing is out of the default allow-list (EXCLUDED)
    path = tmp_path / "spacing.joblib"
    save(VersionedEstimator(FunctionTransformer(np.spacing)).fit(X[:50]), path)
    model = joblib.load(path)  # no allow-list: the copy runs, as the model would
    assert copier(model).transform(X[:2]).shape == (2, 20)
    with config_context(trusted=[]):
        model = joblib.load(path)
    with pytest.raises(UntrustedGlobalError, match="numpy"):
        copier(model).transform(X[:2])


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` or an exception it was raised from is a ``kind`` (loky
    hands over the cause of a task it could not pickle as its traceback's
    text)."""
    while exc is not None:
        if isinstance(exc, kind) or f"{kind.__module__}.{kind.__name__}" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _predict_in(model: Any, X: Any) -> Any:
    return model.predict(X)


@pytest.mark.parametrize("how", ["pickle", "loky"])
def test_a_sealed_model_pickled_again_keeps_the_policies_it_was_read_with(
    flipped_data, data, tmp_path, how
):
    """A model read but not used yet, under an allow-list or verify="full",
    is checked under them before it is pickled again: its parts as read
    would be opened under the reader's config, and a loky worker has none
    (set_config(trusted=[]), joblib.load, then Parallel: a stream naming
    os.system ran in the worker, round 167). A model read under the default
    policy still travels as its parts, unopened."""
    X, _ = data

    def send(model: Any) -> Any:
        if how == "pickle":
            return pickle.loads(pickle.dumps(model)).predict(X[:5])
        return joblib.Parallel(n_jobs=2)(
            joblib.delayed(_predict_in)(model, X[:5]) for _ in range(2)
        )[0]

    with config_context(verify="full"):
        model = joblib.load(flipped_data, mmap_mode="r")
    with pytest.raises((IntegrityError, pickle.PicklingError)) as caught:
        send(model)
    assert _caused_by(caught.value, IntegrityError), caught.value

    from sklearn.preprocessing import FunctionTransformer

    # numpy.spacing is out of the default allow-list (EXCLUDED)
    path = tmp_path / "spacing.joblib"
    save(VersionedEstimator(FunctionTransformer(np.spacing)).fit(X[:50]), path)
    with config_context(trusted=[]):
        model = joblib.load(path)
    with pytest.raises((UntrustedGlobalError, pickle.PicklingError)) as caught:
        send(model)
    assert _caused_by(caught.value, UntrustedGlobalError), caught.value

    # An honest model read under the allow-list goes anywhere, checked once.
    honest = tmp_path / "honest.joblib"
    fitted = VersionedEstimator(LogisticRegression()).fit(X[:200], data[1][:200])
    save(fitted, honest)
    with config_context(trusted=[]):
        model = joblib.load(honest)
    np.testing.assert_array_equal(send(model), fitted.predict(X[:5]))
    assert "_sealed" not in model.__dict__  # opened here, under the allow-list

    # Read under the default policy: pickled as read, still unopened.
    model = joblib.load(honest)
    np.testing.assert_array_equal(send(model), fitted.predict(X[:5]))
    assert "_sealed" in model.__dict__


def test_lazy_mmap_load_by_default_checks_only_the_stream_and_sizes(
    knn, flipped_data, data
):
    """The documented trade-off: with mmap and verify="auto", array data is not
    hashed (that would read every page), so a flip there goes unnoticed; the
    model holds the damaged value. load(..., verify="fast") does the same."""
    X, _ = data
    model = joblib.load(flipped_data, mmap_mode="r")
    np.testing.assert_array_equal(model.predict(X[:50]), knn.predict(X[:50]))
    damaged = np.asarray(model.estimator_._fit_X).ravel()
    original = knn.estimator_._fit_X.ravel()
    assert np.count_nonzero(damaged != original) == 1
    load(flipped_data, verify="fast")


def _repickled(path: Path, X: Any) -> Any:
    sealed = joblib.load(path)
    return pickle.loads(pickle.dumps(sealed)).predict(X)


LOAD_PATHS = {
    "load": lambda path, X: load(path),
    "load-mmap-fast": lambda path, X: load(path, mmap_mode="r", verify="fast"),
    "load-fast": lambda path, X: load(path, verify="fast"),
    "joblib": lambda path, X: joblib.load(path).predict(X),
    "joblib-mmap": lambda path, X: joblib.load(path, mmap_mode="r").predict(X),
    "pickle-again": _repickled,
}


@pytest.mark.parametrize("how", LOAD_PATHS)
def test_a_flip_in_the_inner_stream_is_caught_on_every_path(flipped_stream, data, how):
    """The inner stream's digest is checked by every path and every verify
    level, memory-mapped or not."""
    X, _ = data
    with pytest.raises(IntegrityError, match=r"inner stream"):
        LOAD_PATHS[how](flipped_stream, X[:5])


def test_the_undamaged_file_loads_on_every_path(saved, knn, data):
    """Control: the same file without the flip loads everywhere."""
    X, _ = data
    expected = knn.predict(X[:20])
    for model in (
        load(saved),
        load(saved, mmap_mode="r"),
        joblib.load(saved),
        joblib.load(saved, mmap_mode="r"),
    ):
        np.testing.assert_array_equal(model.predict(X[:20]), expected)


def test_the_stream_read_from_a_path_is_the_stream_read_any_other_way(
    knn, saved, tmp_path
):
    """A path's stream is read in one piece (bytes, straight from the file);
    an open file's, bytes' and a compressed file's in blocks: the same stream,
    and a path cut short inside it is a clean EnvelopeError."""
    from versioned_estimator._reader import read_parts
    from versioned_estimator._sources import open_source

    def read(source: Any) -> Any:
        src = open_source(source)
        try:
            return read_parts(src, skip_buffers=True).stream
        finally:
            src.close()

    stream = parts(knn)["stream"]
    compressed = tmp_path / "knn.z.joblib"
    joblib.dump(knn, compressed, compress=3)
    with open(saved, "rb") as handle:
        found = {
            "path": read(str(saved)),
            "file": read(handle),
            "bytes": read(saved.read_bytes()),
            "compressed": read(str(compressed)),
        }
    assert {name: value == stream for name, value in found.items()} == dict.fromkeys(
        found, True
    )
    assert type(found["path"]) is bytes
    data = saved.read_bytes()
    cut = tmp_path / "cut.joblib"
    cut.write_bytes(data[: data.find(stream) + len(stream) // 2])
    with pytest.raises(EnvelopeError, match="truncated"):
        read(str(cut))


def test_a_path_no_file_can_have_is_an_envelope_error():
    """A NUL in the name: this package's error, as for a missing file, not
    the ValueError of ``os.open`` (round 133)."""
    from versioned_estimator import audit

    for reader in (load, read_envelope, audit):
        with pytest.raises(EnvelopeError, match="not a path a file can have"):
            reader("model\0.joblib")


@pytest.mark.parametrize("mmap_mode", ["r", "c", "r+"])
@pytest.mark.parametrize("replacement", ["a copy", "a pipe", "nothing"])
def test_a_memory_mapped_load_maps_only_the_file_it_is_reading(
    saved, tmp_path, mmap_mode, replacement
):
    """The path swapped once the head is read (by anyone who can write its
    folder): the arrays are mapped from the file being read or not at all.
    numpy opened the path again: a pipe there blocked the load for good, and
    another file's bytes were mapped unread (round 131)."""
    import os

    from versioned_estimator._reader import read_parts
    from versioned_estimator._sources import open_source

    path = tmp_path / "knn.joblib"
    path.write_bytes(saved.read_bytes())
    after = tmp_path / "after"
    if replacement == "a copy":  # the same bytes, another file
        after.write_bytes(saved.read_bytes())
    elif replacement == "a pipe":
        os.mkfifo(after)

    def swap(envelope: dict[str, Any]) -> None:
        if replacement == "nothing":
            path.unlink()
        else:
            os.replace(after, path)

    src = open_source(str(path))
    try:
        with pytest.raises(IntegrityError, match="no longer the file being read"):
            read_parts(src, mmap_mode=mmap_mode, on_envelope=swap)
    finally:
        src.close()
    # control: left in place, the same file maps
    path.unlink(missing_ok=True)
    path.write_bytes(saved.read_bytes())
    src = open_source(str(path))
    try:
        found = read_parts(src, mmap_mode=mmap_mode)
    finally:
        src.close()
    assert any(isinstance(b, np.memmap) for b in found.buffers)


# ----------------------------------------------------------------------------
# 5. Signatures
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(iris: Any) -> VersionedEstimator:
    """A small real model to sign."""
    X, y = iris
    return VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"owner": "ana"}
    ).fit(X, y)


@pytest.fixture
def signed(small: VersionedEstimator, tmp_path: Path) -> Path:
    """The small model saved with key b"k"."""
    return Path(save(small, tmp_path / "signed.joblib", key=b"k"))


def rewrite(path: Path, out: Path, edit: Any) -> Path:
    """Rewrite a saved file with its parts, read from the file itself (a
    sealed model re-pickles its own bytes), edited in place by ``edit(found)``
    (``found`` holds envelope, stream, buffers, trailer)."""
    found = parts(joblib.load(path))
    edit(found)

    class Trailer:
        def __reduce_ex__(self, protocol: Any) -> Any:
            return (found["rebuild"], (found["trailer"],))

    args = (found["envelope"], found["stream"], found["buffers"], Trailer())
    joblib.dump(Reduced((found["rebuild"], args)), out)
    return out


def test_a_signed_model_loads_with_its_key(signed, small, iris):
    """save(key=...) signs the envelope and trailer (SHA-256 checksums);
    load(key=...) checks it and loads."""
    X, _ = iris
    head = read_envelope(signed)
    assert head.signed
    assert head.payload["checksum"] == "sha256"
    assert load(signed, key=b"k").envelope.signature["algorithm"] == "hmac-sha256"
    for key in (b"k", "k"):
        np.testing.assert_array_equal(
            load(signed, key=key).predict(X), small.predict(X)
        )


def test_a_wrong_key_is_an_integrity_error(signed):
    """A key other than the signer's is refused."""
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        load(signed, key=b"other")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("metadata", {"owner": "mallory"}),
        ("packages", {"scikit-learn": "0.1"}),
        ("estimator_class", "sklearn.svm._classes.SVC"),
        ("probe", None),
    ],
)
def test_an_edited_envelope_keeping_the_signature_is_refused(
    signed, tmp_path, field, value
):
    """Any edit of the signed envelope, signature kept, is an IntegrityError."""

    def edit(found: dict[str, Any]) -> None:
        found["envelope"][field] = value

    path = rewrite(signed, tmp_path / "edited.joblib", edit)
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        load(path, key=b"k")


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t["probe"]["outputs"].clear(),
        lambda t: t["checksums"]["stream"]["blocks"].__setitem__(0, "0" * 64),
    ],
    ids=["probe-outputs", "checksum"],
)
def test_an_edited_trailer_keeping_the_signature_is_refused(signed, tmp_path, edit):
    """The signature covers the trailer too: its probe outputs and checksums."""
    path = rewrite(signed, tmp_path / "edited.joblib", lambda f: edit(f["trailer"]))
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        load(path, key=b"k")


def test_another_payload_with_a_recomputed_digest_is_refused(signed, tmp_path, iris):
    """An attacker without the key swaps in another model and recomputes the
    checksums: they match, the signature does not. Without a key the swap is
    not detectable (checksums are no secret)."""
    X, y = iris
    other = VersionedEstimator(LogisticRegression(C=1e-3, max_iter=500)).fit(X, y)
    theirs = parts(other)

    def edit(found: dict[str, Any]) -> None:
        found["stream"], found["buffers"] = theirs["stream"], theirs["buffers"]
        payload = found["envelope"]["payload"]
        payload["stream"] = {"nbytes": len(theirs["stream"])}
        payload["buffers"] = [{"nbytes": b.nbytes} for b in theirs["buffers"]]
        found["trailer"]["checksums"] = start_checksums(
            "sha256", theirs["stream"], theirs["buffers"]
        ).result()

    path = rewrite(signed, tmp_path / "swapped.joblib", edit)
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        load(path, key=b"k")
    with config_context(on_drift="ignore"):
        swapped = load(path, on_drift="ignore")
    np.testing.assert_array_equal(swapped.predict(X), other.predict(X))


def test_edited_probe_outputs_in_an_unsigned_file_are_refused(small, tmp_path):
    """The trailer keeps a checksum of the probe's outputs: damage there is an
    IntegrityError, not a model that seems to have drifted."""
    path = Path(save(small, tmp_path / "plain.joblib"))

    def edit(found: dict[str, Any]) -> None:
        # One class label changed, as a flipped bit in the text would.
        saved = found["trailer"]["probe"]["outputs"]["predict"]
        raw = bytearray(base64.b64decode(saved["base64"]))
        raw[0] ^= 1
        saved["base64"] = base64.b64encode(bytes(raw)).decode("ascii")

    edited = rewrite(path, tmp_path / "edited.joblib", edit)
    with pytest.raises(IntegrityError, match=r"probe's saved outputs"):
        load(edited)


def test_a_negative_probe_size_is_an_envelope_error(small, tmp_path):
    """The head's count of probe rows is a count (round 131: -5 read as a
    model's setting and showed no difference in `diff`)."""
    path = Path(save(small, tmp_path / "model.joblib"))

    def negative(found: dict[str, Any]) -> None:
        found["envelope"]["probe_size"] = -5

    out = rewrite(path, tmp_path / "negative.joblib", negative)
    with pytest.raises(EnvelopeError, match="probe_size is negative"):
        read_envelope(out)
    assert read_envelope(path).to_dict()["probe_size"] == 5


def test_a_flipped_payload_byte_in_a_signed_file_is_refused(small, signed, tmp_path):
    """The signature covers the checksums, the checksums cover the bytes."""
    out = tmp_path / "flipped.joblib"
    flip(signed, parts(small)["stream"], out)
    with pytest.raises(IntegrityError, match=r"inner stream"):
        load(out, key=b"k")


@pytest.mark.parametrize("signed_with", [b"k", None], ids=["signed", "unsigned"])
def test_bytes_after_the_pickle_are_refused(small, iris, tmp_path, signed_with):
    """Nothing follows a file's STOP: bytes appended after it (which pickle
    and joblib would skip) are refused, with or without a key, by every path
    that reads the whole file; a stream handed in as a file object may go on
    (the caller reads on), and the model in front of it loads."""
    X, _ = iris
    path = Path(save(small, tmp_path / "model.joblib", key=signed_with))
    data = path.read_bytes()
    appended = tmp_path / "appended.joblib"
    appended.write_bytes(data + b"\x00anything")
    with pytest.raises(EnvelopeError, match=r"bytes after the end of its pickle"):
        load(appended, key=signed_with)
    with pytest.raises(EnvelopeError, match=r"bytes after the end of its pickle"):
        load(appended.read_bytes(), key=signed_with)
    with appended.open("rb") as stream:
        np.testing.assert_array_equal(
            load(stream, key=signed_with).predict(X), small.predict(X)
        )


def _compressed_member(name: str, data: bytes) -> bytes:
    """``data`` compressed as one more member of the named kind."""
    import bz2
    import gzip
    import lzma
    import zlib

    if name == "gzip":
        return gzip.compress(data)
    if name == "zlib":
        return zlib.compress(data)
    if name == "bz2":
        return bz2.compress(data)
    return lzma.compress(
        data, format=lzma.FORMAT_XZ if name == "xz" else lzma.FORMAT_ALONE
    )


@pytest.mark.parametrize("compression", ["gzip", "zlib", "bz2", "lzma", "xz"])
def test_bytes_after_a_compressed_stream_are_refused(
    small, iris, tmp_path, compression
):
    """Of a compressed file, the compressed stream ends with the pickle and
    nothing follows it: a byte or a whole second member appended to a signed
    file, or the stream's end marker cut, is refused by load and by the
    command line's verify (both went through: round 107); a file object
    handed in may go on."""
    X, _ = iris
    path = Path(
        save(small, tmp_path / "model.joblib", key=b"k", compress=(compression, 3))
    )
    data = path.read_bytes()
    assert load(path, key=b"k") is not None
    changed = {
        "a byte": data + b"x",
        "a member": data + _compressed_member(compression, b"more" * 100),
        "its end cut": data[:-4],
    }
    for what, content in changed.items():
        out = tmp_path / "changed.joblib"
        out.write_bytes(content)
        with pytest.raises(
            EnvelopeError, match=r"after the end of its pickle|truncated"
        ):
            load(out, key=b"k")
        with pytest.raises(
            EnvelopeError, match=r"after the end of its pickle|truncated"
        ):
            load(content, key=b"k")
        done = subprocess.run(
            [sys.executable, "-m", "versioned_estimator", "verify", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2, (what, done.stdout, done.stderr)
        assert "ok" not in done.stdout, what
    tail = tmp_path / "tail.joblib"
    tail.write_bytes(changed["a member"])
    with tail.open("rb") as stream:
        np.testing.assert_array_equal(
            load(stream, key=b"k").predict(X), small.predict(X)
        )


def _with_frame_end(data: bytes, end: int) -> bytes:
    """``data`` with its first frame declared to end at byte ``end``."""
    ops = list(pickletools.genops(data))
    at = next(pos for op, _, pos in ops if op.name == "FRAME")
    start = at + 9  # the opcode and its 8-byte length
    return data[: at + 1] + struct.pack("<Q", end - start) + data[start:]


def test_a_frame_that_does_not_end_where_it_says_is_refused(small, tmp_path):
    """Frames are held to their lengths as pickle's own unframer holds them:
    a frame declared past the file's STOP, or ending inside an opcode (an
    opcode re-encoded longer pushes the frame's last opcodes past its end),
    is refused, signed or not."""
    path = Path(save(small, tmp_path / "model.joblib", key=b"k"))
    data = path.read_bytes()
    inside = next(
        at + 1
        for op, _, at in reversed(list(pickletools.genops(data)))
        if op.name == "SHORT_BINUNICODE"
    )
    for end, message in (
        (len(data) + 1, "ends before its last pickle frame does"),
        (inside, "runs an opcode past the end of its pickle frame"),
    ):
        out = tmp_path / "reframed.joblib"
        out.write_bytes(_with_frame_end(data, end))
        for key in (b"k", None):
            with pytest.raises(EnvelopeError, match=message):
                load(out, key=key)


def test_an_unsigned_file_is_refused_when_a_key_is_given(small, tmp_path):
    """A key makes the signature mandatory."""
    path = save(small, tmp_path / "plain.joblib")
    assert not read_envelope(path).signed
    with pytest.raises(IntegrityError, match=r"not signed"):
        load(path, key=b"k")


def test_a_stripped_signature_is_refused(signed, tmp_path):
    """Removing the signature does not turn a signed file into an unsigned one
    that passes."""

    def edit(found: dict[str, Any]) -> None:
        del found["trailer"]["signature"]
        found["envelope"]["payload"]["signed"] = None

    path = rewrite(signed, tmp_path / "stripped.joblib", edit)
    with pytest.raises(IntegrityError, match=r"not signed"):
        load(path, key=b"k")


def test_the_key_comes_from_the_environment_when_not_given(
    small, tmp_path, monkeypatch, iris
):
    """VERSIONED_ESTIMATOR_KEY signs on save and verifies on load when key is
    None; an explicit key wins over it."""
    X, _ = iris
    monkeypatch.setenv("VERSIONED_ESTIMATOR_KEY", "s3cret")
    path = save(small, tmp_path / "env.joblib")
    assert read_envelope(path).signed
    load(path).predict(X)
    load(path, key="s3cret")
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        load(path, key="other")
    monkeypatch.setenv("VERSIONED_ESTIMATOR_KEY", "other")
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        load(path)
    monkeypatch.delenv("VERSIONED_ESTIMATOR_KEY")
    assert not read_envelope(save(small, tmp_path / "plain.joblib")).signed
    load(path).predict(X)  # no key anywhere: the signature is not checked


@pytest.mark.parametrize(
    "envelope",
    [
        {"a": {1: "x"}},
        {"a": np.zeros(2)},
        {"a": {"b": object()}},
    ],
    ids=["int-key", "array", "object"],
)
def test_an_envelope_that_is_not_plain_data_fails_verification_cleanly(envelope):
    """Signature checks on envelopes canonical JSON cannot write raise
    IntegrityError, not TypeError."""
    envelope = {
        **envelope,
        "format_version": 1,
        "signature": {"algorithm": "hmac-sha256", "value": "00"},
    }
    with pytest.raises(IntegrityError, match=r"cannot be checked"):
        _signing.verify_signature(envelope, b"k")


def test_a_non_ascii_signature_value_fails_verification_cleanly():
    """compare_digest refuses non-ASCII str; the check compares bytes."""
    envelope = {
        "a": 1,
        "format_version": 1,
        "signature": {"algorithm": "hmac-sha256", "value": "é" * 64},
    }
    with pytest.raises(IntegrityError, match=r"signature does not match"):
        _signing.verify_signature(envelope, b"k")
    good = _signing.sign({"a": 1, "format_version": 1}, b"k")
    _signing.verify_signature(good, b"k")


def test_int_and_str_keys_cannot_share_a_signature():
    """JSON writes {1: x} and {"1": x} alike: only str keys are signed."""
    good = _signing.sign({"a": {"1": "x"}, "format_version": 1}, b"k")
    forged = {"a": {1: "x"}, "format_version": 1, "signature": good["signature"]}
    with pytest.raises(IntegrityError):
        _signing.verify_signature(forged, b"k")


# ----------------------------------------------------------------------------
# 7. Materialization happens once, whatever the number of threads
# ----------------------------------------------------------------------------


def test_sixteen_threads_materialize_a_lazy_model_once(small, iris, monkeypatch):
    """Sixteen threads call predict together on a model from pickle.loads: the
    payload is opened exactly once and every thread gets the same answer."""
    X, _ = iris
    calls: list[int] = []
    lock = threading.Lock()
    original = _lazy.Sealed.open

    def counting_open(self: Any) -> Any:
        with lock:
            calls.append(threading.get_ident())
        time.sleep(0.05)  # widen the window in which others could enter
        return original(self)

    monkeypatch.setattr(_lazy.Sealed, "open", counting_open)
    lazy = pickle.loads(pickle.dumps(small))
    start = threading.Barrier(16)

    def predict() -> np.ndarray:
        start.wait()
        return lazy.predict(X)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = [f.result() for f in [pool.submit(predict) for _ in range(16)]]
    assert len(calls) == 1
    expected = small.predict(X)
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_the_fast_crc32_is_zlibs_checksum() -> None:
    """ISA-L's CRC-32 (a dependency where it has wheels) gives zlib's values
    on every size, aligned or not: files written with either verify with the
    other. On the machines CI runs on, it is the one in use."""
    import platform
    import zlib

    from versioned_estimator import _payload

    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (9 << 20) + 7, dtype=np.uint8)
    for size in (0, 1, 15, 4096, 8 << 20, (9 << 20) + 7):
        for offset in (0, 3):
            block = memoryview(data[offset : offset + size])
            assert _payload._crc32(block) == f"{zlib.crc32(block):08x}"
    if platform.machine() in ("x86_64", "AMD64", "aarch64", "arm64"):
        assert _payload._fast_crc32().__module__.startswith("isal")


def test_a_small_model_loads_without_importing_isal() -> None:
    """Blocks under a megabyte are summed by zlib: importing ISA-L costs a
    small model's first load a millisecond, what zlib spends on a megabyte.
    A fresh interpreter, as a first load is."""
    code = (
        "import pickle, sys\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from versioned_estimator import VersionedEstimator\n"
        "m = VersionedEstimator(LogisticRegression()).fit([[0.0], [1.0]], [0, 1])\n"
        "back = pickle.loads(pickle.dumps(m))\n"
        "assert list(back.predict([[0.0], [1.0]])) == [0, 1]\n"
        "print(sorted(n for n in sys.modules if n.startswith('isal')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_model_of_many_arrays_maps_with_few_descriptors(tmp_path):
    """Each mapped array kept a descriptor open: a file of 20,100 one-byte
    arrays made a load raise OSError (round 152), and an honest model of more
    arrays than the process may open files could not be mapped. The file is
    mapped once; its arrays are views of that map."""
    from sklearn.linear_model import Ridge
    from sklearn.multioutput import MultiOutputRegressor

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 8_200)), rng.normal(size=(20, 300))
    model = VersionedEstimator(MultiOutputRegressor(Ridge())).fit(X, Y)
    path = tmp_path / "many.joblib"
    save(model, path)
    np.save(tmp_path / "X.npy", X[:5])
    np.save(tmp_path / "expected.npy", model.predict(X[:5]))
    child = (
        "import resource, sys\n"
        "import numpy as np\n"
        "import versioned_estimator as ve\n"
        "from versioned_estimator._lazy import is_mapped\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))\n"
        "model = ve.load(sys.argv[1], mmap_mode='r')\n"
        "coefs = [e.coef_ for e in model.estimator_.estimators_]\n"
        "assert len(coefs) == 300 and all(is_mapped(c) for c in coefs)\n"
        "X, expected = np.load(sys.argv[2]), np.load(sys.argv[3])\n"
        "np.testing.assert_allclose(model.predict(X), expected)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            child,
            str(path),
            str(tmp_path / "X.npy"),
            str(tmp_path / "expected.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.strip() == "ok", done.stderr[-3000:]
