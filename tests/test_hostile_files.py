"""Crafted model files: code in the inner stream, code in the outer pickle,
resource bombs in the head, and random damage.

An attacker controls every byte of a file and can recompute the payload digest
(it is not a secret), so each inner-stream attack below carries a valid digest.
Every attack stream is first shown to work, by running it with plain
``pickle.loads`` against a control marker, so that no test passes because its
exploit was broken. The promises checked: ``read_envelope`` never runs what the
file names, ``audit`` names every global, including those hidden by memo and
dotted-name tricks, and ``load`` refuses before anything runs.
"""

from __future__ import annotations

import bz2
import importlib
import io
import operator
import os
import pickle
import pickletools
import resource
import shlex
import signal
import struct
import tempfile
import tracemalloc
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import versioned_estimator
from versioned_estimator import (
    EnvelopeError,
    UntrustedGlobalError,
    VersionedEstimator,
    VersionedEstimatorError,
    audit,
    config_context,
    load,
    read_envelope,
    save,
)
from versioned_estimator._payload import payload_digests

# ----------------------------------------------------------------------------
# Building hostile files
# ----------------------------------------------------------------------------

P = pickle  # opcode constants, for hand-assembled streams


class RunsCommand:
    """Pickles as ``os.system(command)``: the textbook malicious pickle."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


class Forged:
    """Pickles as a wrapped model with the parts an attacker chose."""

    def __init__(self, reduced: tuple[Any, Any]) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, Any]:
        return self.reduced


def forge(
    model: VersionedEstimator,
    *,
    stream: Any = None,
    buffers: Any = None,
    envelope: dict[str, Any] | None = None,
) -> Forged:
    """A real model's reduce tuple with parts replaced; when the stream and the
    buffers are bytes-like, the payload record is recomputed, as an attacker
    would, so that the digest check passes."""
    rebuild, (real_envelope, real_stream, real_buffers) = model.__reduce_ex__(5)
    stream = real_stream if stream is None else stream
    buffers = list(real_buffers) if buffers is None else buffers
    envelope = dict(real_envelope if envelope is None else envelope)
    if isinstance(stream, bytes) and all(isinstance(b, np.ndarray) for b in buffers):
        envelope["payload"] = payload_digests(stream, buffers)
    return Forged((rebuild, (envelope, stream, buffers)))


def write(obj: Any, path: Path, writer: str) -> Path:
    """Write ``obj`` with joblib (as ``save`` does) or plain pickle."""
    if writer == "joblib":
        joblib.dump(obj, path)
    else:
        path.write_bytes(pickle.dumps(obj, protocol=5))
    return path


def text(value: str) -> bytes:
    """BINUNICODE: a str of any length."""
    data = value.encode()
    return P.BINUNICODE + struct.pack("<I", len(data)) + data


def glob(module: str, name: str) -> bytes:
    """GLOBAL: a global named by text lines (protocols 0 to 2)."""
    return P.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n"


def call1(argument: bytes) -> bytes:
    """Call what is on the stack with one argument."""
    return argument + P.TUPLE1 + P.REDUCE


def reexport(obj: Any, candidates: list[str]) -> str:
    """A scikit-learn module that imports ``obj`` under its own name."""
    name = obj.__name__
    for module in candidates:
        if getattr(importlib.import_module(module), name, None) is obj:
            return module
    raise AssertionError(f"none of {candidates} imports {name}: update the list")


def module_importing_os() -> tuple[str, str]:
    """(module, dotted name) under scikit-learn that resolves to os.system."""
    for module in ("sklearn.utils._array_api", "sklearn.utils.fixes", "sklearn.base"):
        mod = importlib.import_module(module)
        if getattr(mod, "os", None) is os:
            return module, "os.system"
        inspect_module = getattr(mod, "inspect", None)
        if getattr(inspect_module, "os", None) is os:
            return module, "inspect.os.system"
    raise AssertionError("no candidate scikit-learn module imports os or inspect")


def inner_attacks(command: str) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    """Inner streams that run ``command``, and the names an audit must report."""
    attrgetter_home = reexport(
        operator.attrgetter,
        ["sklearn.feature_selection._base", "sklearn.utils._metadata_requests"],
    )
    itemgetter_home = reexport(
        operator.itemgetter,
        [
            "sklearn.feature_extraction.text",
            "sklearn.gaussian_process._gpc",
        ],
    )
    os_module, os_path = module_importing_os()
    attr = glob(attrgetter_home, "attrgetter")
    item = glob(itemgetter_home, "itemgetter")
    return {
        # The textbook: REDUCE(os.system, (command,)).
        "reduce": (pickle.dumps(RunsCommand(command), protocol=5), ("posix.system",)),
        # STACK_GLOBAL fed from memoized strings stashed in a discarded list:
        # a backwards opcode walk before STACK_GLOBAL sees two BINGETs.
        "memo-stack-global": (
            P.PROTO
            + b"\x04"
            + P.EMPTY_LIST
            + P.MARK
            + P.SHORT_BINUNICODE
            + b"\x02os"
            + P.MEMOIZE
            + P.SHORT_BINUNICODE
            + b"\x06system"
            + P.MEMOIZE
            + P.APPENDS
            + P.POP
            + P.BINGET
            + b"\x00"
            + P.BINGET
            + b"\x01"
            + P.STACK_GLOBAL
            + call1(text(command))
            + P.STOP,
            ("os.system",),
        ),
        # GLOBAL memoized and dropped at once, fetched again far from the call.
        "memo-global": (
            P.PROTO
            + b"\x02"
            + glob("posix", "system")
            + P.BINPUT
            + b"\x07"
            + P.POP
            + P.NONE
            + P.POP
            + P.BINGET
            + b"\x07"
            + call1(text(command))
            + P.STOP,
            ("posix.system",),
        ),
        # builtins + getattr: getattr(__import__("os"), "system")(command).
        "builtins-getattr": (
            P.PROTO
            + b"\x02"
            + glob("builtins", "getattr")
            + glob("builtins", "__import__")
            + call1(text("os"))
            + text("system")
            + P.TUPLE2
            + P.REDUCE
            + call1(text(command))
            + P.STOP,
            ("builtins.getattr", "builtins.__import__"),
        ),
        # A dotted name (protocol 4 resolves it attribute by attribute).
        "dotted-call": (
            P.PROTO
            + b"\x04"
            + text("os")
            + text("system.__call__")
            + P.STACK_GLOBAL
            + call1(text(command))
            + P.STOP,
            ("os.system.__call__",),
        ),
        # A dotted name through an allowed package: sklearn.<module>.os.system.
        "dotted-through-sklearn": (
            P.PROTO
            + b"\x04"
            + text(os_module)
            + text(os_path)
            + P.STACK_GLOBAL
            + call1(text(command))
            + P.STOP,
            (f"{os_module}.{os_path}",),
        ),
        # Gadgets scikit-learn modules import from the standard library:
        # attrgetter("system")(itemgetter("__import__")(itemgetter("__builtins__")(
        #     attrgetter("__init__.__globals__")(LogisticRegression)))("os"))(command)
        "gadget-chain": (
            P.PROTO
            + b"\x02"
            + attr
            + call1(text("system"))
            + item
            + call1(text("__import__"))
            + item
            + call1(text("__builtins__"))
            + attr
            + call1(text("__init__.__globals__"))
            + call1(glob("sklearn.linear_model._logistic", "LogisticRegression"))
            + P.TUPLE1
            + P.REDUCE
            + P.TUPLE1
            + P.REDUCE
            + call1(text("os"))
            + P.TUPLE1
            + P.REDUCE
            + call1(text(command))
            + P.STOP,
            (f"{attrgetter_home}.attrgetter", f"{itemgetter_home}.itemgetter"),
        ),
        # Operations a naive dry run of stubs fails on, so that it stops before
        # the dangerous global: BUILD on a class, ADDITEMS on a set.
        "dry-run-evasion": (
            P.PROTO
            + b"\x04"
            + glob("builtins", "object")
            + P.NONE
            + P.EMPTY_DICT
            + P.TUPLE2
            + P.BUILD
            + P.POP
            + glob("builtins", "set")
            + P.EMPTY_TUPLE
            + P.REDUCE
            + P.MARK
            + P.BININT1
            + b"\x01"
            + P.ADDITEMS
            + P.POP
            + glob("posix", "system")
            + call1(text(command))
            + P.STOP,
            ("posix.system",),
        ),
    }


@pytest.fixture(scope="module")
def model(iris: Any) -> VersionedEstimator:
    """A real wrapped model to forge files from."""
    X, y = iris
    return VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """A file the attacks try to create; it must never appear."""
    return tmp_path / "pwned"


def touch(path: Path) -> str:
    return f"touch {shlex.quote(str(path))}"


ATTACKS = list(inner_attacks("true"))

# ----------------------------------------------------------------------------
# 1. Code in the inner stream
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_streams_are_real_exploits(attack, tmp_path):
    """Each inner attack stream runs its command under plain pickle.loads."""
    control = tmp_path / "control"
    stream, _ = inner_attacks(touch(control))[attack]
    pickle.loads(stream)
    assert control.exists()


@pytest.mark.parametrize("writer", ["joblib", "pickle"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_inner_stream_code_is_reported_and_refused(
    model, attack, writer, marker, tmp_path
):
    """audit names the dangerous globals, load refuses them naming each one,
    read_envelope still works, and the command never runs."""
    stream, expected = inner_attacks(touch(marker))[attack]
    path = write(forge(model, stream=stream, buffers=[]), tmp_path / "m.pkl", writer)

    envelope = read_envelope(path)
    assert envelope.estimator_class == model.envelope.estimator_class
    assert not marker.exists()

    report = audit(path)
    assert not marker.exists()
    assert not report.ok
    for name in expected:
        assert name in report.untrusted
        assert name in report.dangerous

    with pytest.raises(UntrustedGlobalError, match=r"trusted=\[") as caught:
        load(path)
    assert not marker.exists()
    assert set(expected) <= set(caught.value.names)
    assert "can run arbitrary code" in str(caught.value)


def test_audit_and_load_see_a_global_hidden_after_an_odd_prefix(model, tmp_path):
    """A dry run is not stopped by BUILD on a class or ADDITEMS on a set: the
    global after them is still listed (and its file still refused)."""
    marker = tmp_path / "pwned"
    stream, _ = inner_attacks(touch(marker))["dry-run-evasion"]
    path = write(forge(model, stream=stream, buffers=[]), tmp_path / "m.pkl", "joblib")
    report = audit(path)
    assert report.globals == ["builtins.object", "builtins.set", "posix.system"]
    assert report.untrusted == ["posix.system"]
    assert "class builtins.object itself" in str(report.error)


def test_trusting_a_dangerous_name_is_the_callers_choice(model, marker, tmp_path):
    """Only the caller's trusted= lets a name through: the same file then runs
    it, which is why the error says what the names are."""
    stream, _ = inner_attacks(touch(marker))["reduce"]
    path = write(forge(model, stream=stream, buffers=[]), tmp_path / "m.pkl", "joblib")
    with pytest.raises(UntrustedGlobalError):
        load(path, trusted=["os.system"])  # the stream names posix.system
    assert not marker.exists()


def test_plain_joblib_load_trusts_the_file_as_pickle_does(model, marker, tmp_path):
    """The threat model, stated: joblib.load returns a sealed model without
    running anything, but its first use unpickles the inner stream unguarded."""
    stream, _ = inner_attacks(touch(marker))["reduce"]
    path = write(forge(model, stream=stream, buffers=[]), tmp_path / "m.pkl", "joblib")
    with config_context(on_drift="ignore"):
        sealed = joblib.load(path)
    assert sealed.envelope.estimator_class == model.envelope.estimator_class
    assert not marker.exists()
    with pytest.raises(AttributeError):
        sealed.predict([[0.0, 0.0, 0.0, 0.0]])
    assert marker.exists()


# ----------------------------------------------------------------------------
# 2. Code in the outer pickle
# ----------------------------------------------------------------------------


def outer_attacks(model: VersionedEstimator, command: str) -> dict[str, Any]:
    """Objects whose outer pickle names a dangerous global somewhere."""
    envelope = model.__reduce_ex__(5)[1][0]
    return {
        "first-global": RunsCommand(command),
        "after-the-envelope": forge(model, stream=RunsCommand(command)),
        "inside-the-envelope": forge(
            model, envelope={**envelope, "metadata": {"note": RunsCommand(command)}}
        ),
        "object-array-buffer": forge(
            model, buffers=[np.array([RunsCommand(command)], dtype=object)]
        ),
    }


@pytest.mark.parametrize("writer", ["joblib", "pickle"])
@pytest.mark.parametrize(
    "attack",
    [
        "first-global",
        "after-the-envelope",
        "inside-the-envelope",
        "object-array-buffer",
    ],
)
def test_outer_pickle_code_is_refused(model, attack, writer, marker, tmp_path):
    """A dangerous global in the outer pickle: read_envelope returns the
    envelope only when it lies before the global, load and audit refuse the
    file with EnvelopeError, and the command never runs."""
    obj = outer_attacks(model, touch(marker))[attack]
    path = write(obj, tmp_path / "m.pkl", writer)
    if attack in ("first-global", "inside-the-envelope"):
        with pytest.raises(EnvelopeError, match=r"system|global"):
            read_envelope(path)
    else:
        assert read_envelope(path).estimator_class == model.envelope.estimator_class
    assert not marker.exists()
    for mmap_mode in (None, "r"):
        with pytest.raises(EnvelopeError, match=r"crafted|not a model saved"):
            load(path, mmap_mode=mmap_mode)
        assert not marker.exists()
    with pytest.raises(EnvelopeError):
        audit(path)
    assert not marker.exists()


def test_outer_attack_files_are_real_exploits(model, tmp_path):
    """Each outer attack file runs its command under plain joblib.load."""
    for attack in outer_attacks(model, "true"):
        control = tmp_path / f"control-{attack}"
        path = write(
            outer_attacks(model, touch(control))[attack], tmp_path / "f", "joblib"
        )
        with warnings.catch_warnings(), suppress(TypeError, ValueError, AttributeError):
            # The command runs while the file is read; the rest may then fail.
            warnings.simplefilter("ignore")
            joblib.load(path)
        assert control.exists(), attack


# ----------------------------------------------------------------------------
# Resource bombs and malformed heads
# ----------------------------------------------------------------------------

HEAD = P.PROTO + b"\x04" + glob("versioned_estimator", "_rebuild")


class Hang(BaseException):
    """Raised by :func:`time_limit`; a BaseException, so that no ``except
    Exception`` in the code under test can turn it into an ordinary error."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM after ``seconds``."""

    def expired(signum: int, frame: Any) -> None:
        raise Hang(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_long_head_costs_linear_time():
    """200 000 one-byte opcodes after _rebuild are refused in about a second
    (a reader that rescans its stack per opcode took 40 s for 40 000)."""
    data = HEAD + P.NONE * 200_000 + P.STOP
    with time_limit(20), pytest.raises(EnvelopeError):
        read_envelope(data)


def test_a_compression_bomb_in_the_head_is_not_inflated():
    """A bz2 file whose 81 bytes inflate to 50 MB is refused after reading a
    little of it: read_envelope's memory does not follow the expansion."""
    bomb = bz2.compress(P.PROTO + b"\x04" + P.FRAME + bytes(8) + bytes(50_000_000))
    assert len(bomb) < 1000
    tracemalloc.start()
    try:
        with pytest.raises(EnvelopeError):
            read_envelope(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000


def head_end(data: bytes) -> int:
    """Offset of the opcode after the envelope dict, where the head reader stops."""
    head = versioned_estimator._reader._Source(io.BytesIO(data), "data")
    versioned_estimator._reader._Interpreter(head).run()
    return head.consumed - 1


def with_entry(model: VersionedEstimator, key: str, value: bytes) -> bytes:
    """A protocol 2 pickle of ``model`` whose envelope gets one more entry,
    written as raw opcodes into its last SETITEMS batch."""
    data = pickle.dumps(model, protocol=2)
    cut = head_end(data) - 1
    assert data[cut : cut + 1] == P.SETITEMS
    return data[:cut] + text(key) + value + data[cut:]


@pytest.mark.parametrize("shape", ["cycle", "doubling", "deep"])
def test_envelopes_that_refer_to_themselves_are_refused(model, shape, tmp_path):
    """A memo-built envelope that contains itself, doubles per level (2**60
    nodes when expanded) or nests 10 000 deep is an EnvelopeError, not a hang
    or a RecursionError, for read_envelope and load."""
    if shape == "deep":
        nested = P.EMPTY_LIST * 10_000 + P.APPEND * 9_999
        path = tmp_path / "m.pkl"
        path.write_bytes(with_entry(model, "deep", nested))
    else:
        envelope = dict(model.__reduce_ex__(5)[1][0])
        if shape == "cycle":
            envelope["metadata"] = {"self": envelope}
        else:
            node: list[Any] = []
            for _ in range(60):
                node = [node, node]
            envelope["metadata"] = {"bomb": node}
        path = write(forge(model, envelope=envelope), tmp_path / "m.pkl", "joblib")
    with time_limit(20):
        with pytest.raises(EnvelopeError, match=r"refers to itself|nests"):
            read_envelope(path)
        with pytest.raises(EnvelopeError):
            load(path)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(P.EMPTY_DICT + P.UNICODE + b"\\u12\n", id="bad-raw-unicode"),
        pytest.param(P.MARK + P.EMPTY_LIST + P.NONE + P.DICT, id="unhashable-key"),
        pytest.param(P.MARK + P.TUPLE1 + P.STOP, id="captured-mark"),
        pytest.param(
            P.EMPTY_DICT + P.BININT1 + b"\x01" + P.NONE + P.SETITEM, id="int-key"
        ),
        pytest.param(P.LONG4 + struct.pack("<i", -5), id="negative-length"),
        pytest.param(P.BINUNICODE8 + struct.pack("<Q", 2**62), id="huge-length"),
        pytest.param(P.BINGET + b"\x09", id="unknown-memo"),
    ],
)
def test_malformed_heads_raise_envelope_error(body):
    """Malformed opcodes in the head are an EnvelopeError, never another type."""
    with time_limit(10), pytest.raises(EnvelopeError):
        read_envelope(HEAD + body + P.STOP)


@pytest.mark.parametrize("protocol", [0, 1])
def test_protocol_0_and_1_pickles_are_read_whole(model, iris, protocol):
    """Pickles without PROTO may set the envelope one item at a time: the head
    reader still returns all of it, and load reads such files."""
    X, _ = iris
    data = pickle.dumps(model, protocol=protocol)
    assert read_envelope(data) == model.envelope
    np.testing.assert_array_equal(load(data).predict(X), model.predict(X))


def amend_after_head(model: VersionedEstimator) -> bytes:
    """A pickle whose envelope gets a SETITEM after the point where the head
    reader stops: pickle builds an envelope that read_envelope never sees."""
    data = pickle.dumps(model, protocol=2)
    cut = head_end(data)
    return (
        data[:cut]
        + text("metadata")
        + P.EMPTY_DICT
        + text("owner")
        + text("mallory")
        + P.SETITEM
        + P.SETITEM
        + data[cut:]
    )


def test_an_envelope_can_be_amended_after_its_head(model):
    """The head reader stops at the end of the envelope dict, so what follows
    can still change the dict pickle builds (the reason load must compare)."""
    amended = amend_after_head(model)
    assert read_envelope(amended).metadata == {}
    assert pickle.loads(amended).envelope.metadata == {"owner": "mallory"}


def test_load_refuses_an_envelope_amended_after_its_head(model):
    """load raises EnvelopeError when the envelope it would use differs from
    the one read_envelope shows."""
    with pytest.raises(EnvelopeError):
        load(amend_after_head(model))


@pytest.mark.parametrize(
    "payload",
    ["not a record", [], {"buffers": 5}],
    ids=["str", "list", "int-buffers"],
)
def test_a_malformed_payload_record_is_this_packages_error(model, payload):
    """An envelope whose payload record has the wrong types makes load raise
    this package's error."""
    envelope = {**model.__reduce_ex__(5)[1][0], "payload": payload}
    rebuild, (_, stream, buffers) = model.__reduce_ex__(5)
    data = pickle.dumps(Forged((rebuild, (envelope, stream, buffers))))
    with pytest.raises(VersionedEstimatorError):
        load(data)


def declared_length_at(data: bytes, opcode: str) -> int:
    """Offset of the 8-byte length of the first ``opcode`` in a pickle."""
    for op, _, position in pickletools.genops(data):
        if op.name == opcode:
            return position + 1
    raise AssertionError(f"no {opcode} in the pickle")


def test_a_huge_declared_length_in_the_outer_pickle_allocates_nothing(model):
    """A 1 GiB length declared for a few-byte buffer is refused without
    allocating it (10 bytes of a file must not cost gigabytes of memory)."""
    data = bytearray(pickle.dumps(model, protocol=5))
    at = declared_length_at(bytes(data), "BYTEARRAY8")
    data[at : at + 8] = struct.pack("<Q", 2**30)
    tracemalloc.start()
    try:
        with pytest.raises(EnvelopeError):
            load(bytes(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000_000


def test_a_compressed_file_that_ends_early_is_refused_quickly(model, tmp_path):
    """A zlib stream that ends before the pickle does, followed by one more
    byte, is an EnvelopeError within a second (joblib.load itself hangs)."""
    raw = io.BytesIO()
    joblib.dump(model, raw)
    whole = raw.getvalue()
    path = tmp_path / "early.joblib"
    path.write_bytes(zlib.compress(whole[:-16]) + b"\x00")
    assert read_envelope(path) == model.envelope
    with time_limit(1), pytest.raises(EnvelopeError):
        load(path)


# ----------------------------------------------------------------------------
# 4. Random damage: only this package's errors, never a hang
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def originals(model: VersionedEstimator, tmp_path_factory: Any) -> dict[str, bytes]:
    """The same model as save writes it, as pickle writes it, and compressed."""
    folder = tmp_path_factory.mktemp("originals")
    files = {
        "save": save(model, folder / "m.joblib"),
        "zlib": save(model, folder / "m.joblib.z"),
    }
    out = {name: Path(path).read_bytes() for name, path in files.items()}
    out["pickle"] = pickle.dumps(model, protocol=5)
    out["pickle-p2"] = pickle.dumps(model, protocol=2)
    out["pickle-p0"] = pickle.dumps(model, protocol=0)
    return out


@contextmanager
def memory_cap(extra: int = 4 * 2**30) -> Iterator[None]:
    """Cap this process's address space at its current size plus ``extra``, so
    that a damaged length that asks for gigabytes fails at once instead of
    filling the machine."""
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def only_our_errors(data: bytes, *, compressed: bool = False) -> None:
    """read_envelope and load on ``data`` (as a file) succeed or raise this
    package's errors; each gets 10 s, compressed files included (load reads them
    with its own bounded decompression)."""
    del compressed
    actions = (read_envelope, _quiet_load)
    with tempfile.TemporaryDirectory() as folder, memory_cap():
        path = Path(folder) / "model.joblib"
        path.write_bytes(data)
        for action in actions:
            with time_limit(10), suppress(VersionedEstimatorError):
                action(path)


def _quiet_load(path: Path) -> Any:
    # Damage to the (unsigned) envelope may change versions or the probe: the
    # policies are set to ignore, the checks of integrity and trust still run.
    return load(path, on_mismatch="ignore", on_drift="ignore")


def _mutate(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, payload in edits:
        position = where % (len(out) + 1)
        if kind == "flip" and position < len(out):
            out[position] ^= payload[0] or 1
        elif kind == "insert":
            out[position:position] = payload
        elif kind == "delete":
            del out[position : position + len(payload)]
    return bytes(out)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete"]),
        st.integers(min_value=0, max_value=2**31),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=4,
)
KINDS = st.sampled_from(["save", "zlib", "pickle", "pickle-p2", "pickle-p0"])
HYPOTHESIS = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@HYPOTHESIS
@given(kind=KINDS, edits=EDITS)
def test_mutated_files_raise_only_our_errors(originals, kind, edits):
    """Flipped, inserted and deleted bytes anywhere: load and read_envelope
    raise VersionedEstimatorError subclasses (or succeed), never hang."""
    only_our_errors(_mutate(originals[kind], edits), compressed=kind == "zlib")


@HYPOTHESIS
@given(kind=KINDS, fraction=st.floats(min_value=0, max_value=1))
def test_truncated_files_raise_only_our_errors(originals, kind, fraction):
    """A file cut anywhere (head, envelope, stream, buffers, tail) raises only
    this package's errors."""
    data = originals[kind]
    only_our_errors(data[: int(len(data) * fraction)], compressed=kind == "zlib")


@pytest.mark.parametrize("kind", ["save", "zlib", "pickle", "pickle-p2"])
def test_truncated_at_every_opcode_of_the_head(originals, model, kind):
    """Cut at every opcode boundary, just after it, and inside every first
    512 bytes: read_envelope raises this package's error, or (once the
    envelope is whole) returns exactly the saved one."""
    data = originals[kind]
    whole = model.envelope
    cuts = set(range(512)) | set(range(0, len(data), 5))
    if kind != "zlib":
        # joblib's raw array bytes after a wrapper are not opcodes: stop there.
        with suppress(ValueError):
            for _, _, position in pickletools.genops(data):
                cuts |= {position, position + 1, position + 2}
    for cut in sorted(cuts):
        with time_limit(10):
            try:
                envelope = read_envelope(data[:cut])
            except VersionedEstimatorError:
                continue
        assert envelope == whole, cut


@HYPOTHESIS
@given(
    data=st.one_of(
        st.binary(max_size=4096),
        st.binary(max_size=256).map(lambda b: HEAD + b),
        st.binary(max_size=256).map(lambda b: P.PROTO + b"\x05" + b),
    )
)
def test_random_bytes_raise_only_our_errors(data):
    """Garbage, and garbage after a valid-looking head, raise only
    VersionedEstimatorError subclasses."""
    only_our_errors(data)


def test_a_flip_in_the_data_of_a_saved_file_is_an_integrity_error(model, originals):
    """The property tests' success case is real: a damaged buffer is caught."""
    data = bytearray(originals["save"])
    buffer = model.__reduce_ex__(5)[1][2][0].tobytes()
    at = bytes(data).find(buffer)
    assert at > 0
    data[at + len(buffer) // 2] ^= 0xFF
    with pytest.raises(versioned_estimator.IntegrityError):
        load(bytes(data))
