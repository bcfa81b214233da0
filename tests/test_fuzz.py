"""Fuzzing the readers with damaged and crafted copies of real model files.

Real files of every kind (pickle protocols 0 to 5, joblib uncompressed and
compressed with zlib, gzip, bz2, xz and lzma, lz4 when installed,
``versioned_estimator.save`` and a signed ``save``), of a small model and of
a model whose arrays leave the stream as buffers above 64 KiB, are damaged by

* a mutational fuzzer (seeded, reproducible): bit flips, byte writes,
  insertions, deletions, truncations, chunk duplications, pickle opcodes and
  large lengths written over the file, near its head or anywhere;
* hypothesis: the same operations drawn by its engine, plus crafted files
  whose inner stream was mutated or whose envelope or trailer fields were
  replaced by arbitrary plain data, with every checksum recomputed (anyone
  can), so that the damage reaches the scan, the dry run, the unpickler, the
  walk of the loaded graph and the probe replay.

Each case runs ``read_envelope``, ``audit`` and ``load`` (``replay="always"``,
with the key for the signed file) in a worker process limited to 2 GiB of
address space over its baseline, watched from outside: only this package's
errors may escape (or a successful read), no case may hang (a per-case
timeout), crash the process or grow its memory beyond what the file's size
explains. Counts are printed per kind, entry point and outcome.

``FUZZ_EXAMPLES=20000`` runs that many cases per engine (and lifts the time
cap; ``FUZZ_SECONDS`` sets one); the default run takes about two minutes.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import json
import os
import pickle
import random
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

KEY = "fuzz-test-key"
MIB = 1024 * 1024
MEMORY_LIMIT = 2 * 1024 * MIB
CASE_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXAMPLES = {"random": 1500, "hypothesis": 1000}
DEFAULT_SECONDS = 70.0
ENGINES = ("random", "hypothesis")


def _budget() -> tuple[dict[str, int], float | None]:
    examples = os.environ.get("FUZZ_EXAMPLES")
    seconds = os.environ.get("FUZZ_SECONDS")
    if examples:
        counts = {engine: int(examples) for engine in ENGINES}
        cap = float(seconds) if seconds else None
    else:
        counts = dict(DEFAULT_EXAMPLES)
        cap = float(seconds) if seconds else DEFAULT_SECONDS
    return counts, cap


# ----------------------------------------------------------------------------
# The real files
# ----------------------------------------------------------------------------


def build_originals(folder: Path) -> dict[str, Path]:
    """Every kind of file, for a small model and for one with large buffers."""
    import joblib
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    import versioned_estimator as ve

    X, y = load_iris(return_X_y=True)
    small = ve.VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    rng = np.random.default_rng(0)
    Xb = rng.random((9000, 8))
    big = ve.VersionedEstimator(KNeighborsClassifier(algorithm="brute"))
    big.fit(Xb, rng.integers(0, 3, 9000))
    compressors = ["zlib", "gzip", "bz2", "xz", "lzma"]
    with contextlib.suppress(ImportError):
        import lz4  # type: ignore[import-not-found]  # noqa: F401

        compressors.append("lz4")
    files = {}
    for label, model in (("small", small), ("big", big)):
        for protocol in range(6):
            path = folder / f"{label}-pickle{protocol}.pkl"
            path.write_bytes(pickle.dumps(model, protocol=protocol))
            files[path.stem] = path
        path = folder / f"{label}-joblib.joblib"
        joblib.dump(model, path)
        files[path.stem] = path
        for name in compressors:
            path = folder / f"{label}-joblib-{name}.joblib"
            joblib.dump(model, path, compress=(name, 3))
            files[path.stem] = path
        path = folder / f"{label}-save.joblib"
        ve.save(model, path)
        files[path.stem] = path
        path = folder / f"{label}-save-signed.joblib"
        ve.save(model, path, key=KEY)
        files[path.stem] = path
    buffers = [
        b["nbytes"] for b in ve.read_envelope(files["big-save"]).payload["buffers"]
    ]
    assert max(buffers, default=0) > 64 * 1024, buffers
    return files


# ----------------------------------------------------------------------------
# Mutations (shared by both engines; a case is its kind and its operations)
# ----------------------------------------------------------------------------

OPCODES = [
    bytes([c]) for c in b"()0123BCFGIJKLMNPQRSTUVXabcdeghijklopqrstu}]\x80\x81\x82"
]
OPCODES += [bytes([c]) for c in range(0x83, 0x98)]
LENGTHS = [
    struct.pack("<I", 0xFFFFFFFF),
    struct.pack("<I", 0x7FFFFFFF),
    struct.pack("<Q", 2**62),
    struct.pack("<Q", 2**31),
    struct.pack("<i", -1),
    b"\x00" * 8,
]
HEAD = 4096


def where(data: bytes, fraction: float, head: bool) -> int:
    span = min(len(data), HEAD) if head else len(data)
    return min(int(fraction * span), max(0, len(data) - 1)) if data else 0


def mutate(data: bytes, ops: list[list[Any]]) -> bytes:
    """Apply operations ``[name, head, fraction, argument...]``."""
    buf = bytearray(data)
    for op in ops:
        name, head, fraction = op[0], op[1], op[2]
        at = where(bytes(buf), fraction, head)
        if name == "flip" and buf:
            buf[at] ^= 1 << op[3]
        elif name == "set" and buf:
            buf[at] = op[3]
        elif name == "insert":
            buf[at:at] = bytes.fromhex(op[3])
        elif name == "write":
            raw = bytes.fromhex(op[3])
            buf[at : at + len(raw)] = raw
        elif name == "delete":
            del buf[at : at + op[3]]
        elif name == "truncate":
            del buf[at:]
        elif name == "duplicate":
            chunk = bytes(buf[at : at + op[3]])
            to = where(bytes(buf), op[4], head)
            buf[to:to] = chunk
    return bytes(buf)


def random_ops(rng: random.Random) -> list[list[Any]]:
    ops: list[list[Any]] = []
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        head = rng.random() < 0.6
        fraction = rng.random()
        kind = rng.choice(
            (
                "flip",
                "flip",
                "set",
                "insert",
                "write",
                "delete",
                "truncate",
                "duplicate",
            )
        )
        if kind == "flip":
            ops.append([kind, head, fraction, rng.randrange(8)])
        elif kind == "set":
            ops.append([kind, head, fraction, rng.randrange(256)])
        elif kind in ("insert", "write"):
            choice = rng.random()
            if choice < 0.4:
                raw = rng.choice(OPCODES)
            elif choice < 0.7:
                raw = rng.choice(LENGTHS)
            else:
                raw = rng.randbytes(rng.randrange(1, 17))
            ops.append([kind, head, fraction, raw.hex()])
        elif kind == "delete":
            ops.append([kind, head, fraction, rng.randrange(1, 65)])
        elif kind == "truncate":
            ops.append([kind, head, fraction])
        else:
            ops.append([kind, head, fraction, rng.randrange(1, 513), rng.random()])
    return ops


# ----------------------------------------------------------------------------
# Crafted files: parts replaced, checksums recomputed
# ----------------------------------------------------------------------------


class _Reduced:
    def __init__(self, reduced: tuple[Any, ...]) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.reduced


class _TrailerCall:
    def __init__(self, rebuild: Any, data: dict[str, Any]) -> None:
        self.rebuild, self.data = rebuild, data

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (self.rebuild, (self.data,))


def reassemble(
    parts: Any,
    *,
    stream: bytes | None = None,
    envelope: dict[str, Any] | None = None,
    trailer: dict[str, Any] | None = None,
) -> bytes:
    """A format 2 file from read parts, with valid checksums (signed if the
    original was, with the test's key)."""
    from versioned_estimator._estimator import _rebuild
    from versioned_estimator._payload import start_checksums
    from versioned_estimator._signing import signature_for

    head = copy.deepcopy(parts.envelope) if envelope is None else envelope
    tail = copy.deepcopy(parts.trailer) if trailer is None else trailer
    new_stream = parts.stream if stream is None else stream
    buffers = list(parts.buffers)
    payload = head.get("payload") if isinstance(head, dict) else None
    payload = payload if isinstance(payload, dict) else {}
    if payload and envelope is None:
        payload["stream"] = {"nbytes": len(new_stream)}
        payload["nbytes"] = len(new_stream) + sum(b.nbytes for b in buffers)
    if isinstance(tail, dict) and trailer is None:
        algorithm = payload.get("checksum", "crc32")
        if algorithm not in ("crc32", "sha256"):
            algorithm = "crc32"
        tail["checksums"] = start_checksums(algorithm, new_stream, buffers).result()
        if "signature" in tail:
            del tail["signature"]
            tail["signature"] = signature_for(head, tail, KEY.encode())
    args = (head, new_stream, buffers, _TrailerCall(_rebuild, tail))
    return pickle.dumps(_Reduced((_rebuild, args)), protocol=5)


# ----------------------------------------------------------------------------
# The worker (runs in a subprocess: ``python -c "...; main()"``)
# ----------------------------------------------------------------------------


def _status(key: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _address_space() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


class _Fuzzer:
    """Runs cases and reports each one before it runs (so that a hang or a
    crash is attributed from outside)."""

    def __init__(self, setup: dict[str, Any], out: Any) -> None:
        import versioned_estimator as ve
        from versioned_estimator._reader import read_parts
        from versioned_estimator._sources import open_source

        self.ve = ve
        self.out = out
        self.folder = Path(setup["folder"])
        self.engine = setup["engine"]
        self.cases = 0
        # Everything written to stderr (CPython's own complaints included)
        # lands here and is attributed to the entry point that was running.
        self.stderr = open(self.folder / f"stderr-{self.engine}.txt", "w+b")  # noqa: SIM115
        os.dup2(self.stderr.fileno(), 2)
        self.seen_stderr = 0
        self.current = self.folder / f"current-{setup['engine']}.bin"
        self.originals = {
            name: Path(path).read_bytes() for name, path in setup["files"].items()
        }
        self.kinds = sorted(self.originals)
        self.parts = {}
        for name in ("small-save", "big-save", "small-save-signed", "big-pickle5"):
            if name in self.originals:
                source = open_source(self.originals[name])
                self.parts[name] = read_parts(source)

    def say(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message, default=repr) + "\n")
        self.out.flush()

    def entries(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        entries: list[tuple[str, dict[str, Any]]] = [
            ("read_envelope", {}),
            ("audit", {}),
            ("load", {"replay": "always"}),
        ]
        if "signed" in kind:
            entries.append(("load[key]", {"replay": "always", "key": KEY}))
        return entries

    def run(self, kind: str, data: bytes, description: Any) -> None:
        """One case: every entry point on ``data``."""
        self.cases += 1
        self.current.write_bytes(data)
        source: Any = data
        if self.cases % 4 == 0:
            source = str(self.current)  # a path now and then (not only bytes)
        limit = 512 * MIB + 64 * len(data)
        for entry, kwargs in self.entries(kind):
            self.say({"case": self.cases, "kind": kind, "entry": entry})
            with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            rss = _status("VmRSS")
            outcome = "ok"
            problem = None
            try:
                if entry == "read_envelope":
                    self.ve.read_envelope(source)
                elif entry == "audit":
                    self.ve.audit(source)
                else:
                    self.ve.load(source, **kwargs)
            except self.ve.VersionedEstimatorError as exc:
                outcome = type(exc).__name__
            except BaseException as exc:  # the finding
                outcome = "FAIL " + type(exc).__name__
                problem = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"[:500]
                problem += " | " + " ".join(traceback.format_exc()[-700:].split())
            peak = _status("VmHWM") - rss
            if peak > limit:
                outcome = "FAIL memory"
                problem = f"resident memory grew by {peak // MIB} MiB"
            said = self.new_stderr()
            if said and problem is None:
                outcome = "FAIL stderr"
                problem = f"printed to stderr: {said[-500:]!r}"
            self.say({"count": f"{kind}|{entry}|{outcome}"})
            if problem is not None:
                saved = self.folder / f"failure-{self.engine}-{self.cases}-{entry}.bin"
                shutil.copyfile(self.current, saved)
                failure = {
                    "kind": kind,
                    "entry": entry,
                    "problem": problem,
                    "case": description,
                    "file": str(saved),
                }
                self.say({"failure": failure})

    def new_stderr(self) -> str:
        sys.stderr.flush()
        self.stderr.seek(self.seen_stderr)
        data = self.stderr.read()
        self.seen_stderr += len(data)
        return data.decode("utf-8", "replace").strip()

    # -- the engines -----------------------------------------------------------------

    def random_engine(self, seed: int, start: int, count: int, deadline: float) -> None:
        for index in range(start, start + count):
            if time.monotonic() > deadline:
                break
            rng = random.Random(f"{seed}-{index}")
            kind = self.kinds[index % len(self.kinds)]
            ops = random_ops(rng)
            data = mutate(self.originals[kind], ops)
            self.say({"next": index})
            self.run(kind, data, {"engine": "random", "seed": seed, "index": index})
        self.say({"next": start + count})

    def hypothesis_engine(self, seed: int, count: int, deadline: float) -> None:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import strategies as st

        fraction = st.floats(0, 1, allow_nan=False)
        head = st.booleans()
        op = st.one_of(
            st.tuples(st.just("flip"), head, fraction, st.integers(0, 7)),
            st.tuples(st.just("set"), head, fraction, st.integers(0, 255)),
            st.tuples(
                st.sampled_from(["insert", "write"]),
                head,
                fraction,
                st.one_of(
                    st.sampled_from(OPCODES + LENGTHS),
                    st.binary(min_size=1, max_size=16),
                ).map(bytes.hex),
            ),
            st.tuples(st.just("delete"), head, fraction, st.integers(1, 64)),
            st.tuples(st.just("truncate"), head, fraction),
            st.tuples(
                st.just("duplicate"), head, fraction, st.integers(1, 512), fraction
            ),
        ).map(list)
        plain = st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=True)
            | st.text(max_size=40),
            lambda inner: (
                st.lists(inner, max_size=5)
                | st.dictionaries(st.text(max_size=12), inner, max_size=5)
            ),
            max_leaves=12,
        )
        crafted = list(self.parts)
        fields = [
            "format_version", "estimator_class", "payload", "packages",
            "requirements", "modules", "python", "platform", "git", "globals",
            "schema", "probe", "probe_size", "params", "tags", "methods",
            "evaluation", "metadata", "writer", "created_at",
        ]  # fmt: skip
        nested = [
            ("payload", "stream"), ("payload", "buffers"), ("payload", "checksum"),
            ("payload", "nbytes"), ("probe", "X"), ("probe", "n_rows"),
            ("schema", "n_features_in"), ("schema", "feature_names_in"),
            ("git", "commit"), ("platform", "system"),
        ]  # fmt: skip
        trailer_fields = [("probe",), ("probe", "outputs"), ("checksums", "digest")]
        case = st.one_of(
            st.tuples(
                st.just("bytes"),
                st.sampled_from(self.kinds),
                st.lists(op, min_size=1, max_size=5),
            ),
            st.tuples(
                st.just("stream"),
                st.sampled_from(crafted),
                st.lists(op, min_size=1, max_size=4),
            ),
            st.tuples(
                st.just("envelope"),
                st.sampled_from(crafted),
                st.one_of(
                    st.tuples(st.sampled_from(fields)),
                    st.sampled_from(nested),
                ),
                plain,
            ),
            st.tuples(
                st.just("trailer"),
                st.sampled_from(crafted),
                st.sampled_from(trailer_fields),
                plain,
            ),
        )

        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case)
        def fuzz(example: tuple[Any, ...]) -> None:
            if time.monotonic() > deadline:
                return
            how, name = example[0], example[1]
            described: dict[str, Any] = {"engine": "hypothesis", "case": example}
            if how == "bytes":
                self.run(name, mutate(self.originals[name], example[2]), described)
                return
            parts = self.parts[name]
            if how == "stream":
                data = reassemble(parts, stream=mutate(parts.stream, example[2]))
            elif how == "envelope":
                head = copy.deepcopy(parts.envelope)
                target, path = head, example[2]
                for key in path[:-1]:
                    target = target.get(key) if isinstance(target, dict) else None
                if isinstance(target, dict):
                    target[path[-1]] = example[3]
                data = reassemble(parts, envelope=head)
            else:
                tail = copy.deepcopy(parts.trailer)
                target, path = tail, example[2]
                for key in path[:-1]:
                    target = target.get(key) if isinstance(target, dict) else None
                if isinstance(target, dict):
                    target[path[-1]] = example[3]
                data = reassemble(parts, trailer=tail)
            kind = f"crafted-{how}-{name}"
            self.run(kind, data, described)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fuzz()

    def sanity(self) -> None:
        """Every original must read and load (a refusal there is a bug too)."""
        said = self.new_stderr()
        if said:
            self.say({"original": "(startup)", "entry": "-", "outcome": said[-300:]})
        for kind in self.kinds:
            for entry, kwargs in self.entries(kind):
                try:
                    if entry == "read_envelope":
                        self.ve.read_envelope(self.originals[kind])
                    elif entry == "audit":
                        report = self.ve.audit(self.originals[kind])
                        if not report.ok:
                            raise AssertionError(f"audit not ok: {report}")
                    else:
                        self.ve.load(self.originals[kind], **kwargs)
                    outcome = "ok"
                except BaseException as exc:
                    outcome = f"{type(exc).__name__}: {str(exc)[:300]}"
                said = self.new_stderr()
                if said:
                    outcome += f" (stderr: {said[-300:]!r})"
                self.say({"original": kind, "entry": entry, "outcome": outcome})


def main() -> None:
    """The worker's entry point (``python -c``)."""
    import resource

    warnings.simplefilter("ignore")
    setup = json.loads(sys.argv[1])
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    fuzzer = _Fuzzer(setup, out)
    limit = _address_space() + setup["memory"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    deadline = time.monotonic() + setup["seconds"]
    try:
        if setup.get("sanity"):
            fuzzer.sanity()
        if setup["engine"] == "random":
            fuzzer.random_engine(
                setup["seed"], setup["start"], setup["count"], deadline
            )
        else:
            fuzzer.hypothesis_engine(setup["seed"], setup["count"], deadline)
    finally:
        fuzzer.say({"done": True})


# ----------------------------------------------------------------------------
# Driving the workers from the test process
# ----------------------------------------------------------------------------


class Run:
    """One engine's whole run, across worker restarts."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.counts: collections.Counter[str] = collections.Counter()
        self.failures: list[dict[str, Any]] = []
        self.originals: list[dict[str, Any]] = []
        self.cases = 0
        self.restarts = 0
        self.seconds = 0.0


def drive(engine: str, files: dict[str, Path], folder: Path) -> Run:
    counts, cap = _budget()
    run = Run(engine)
    started = time.monotonic()
    end = started + cap if cap is not None else None
    remaining = counts[engine]
    seed = 20_261_202
    start = 0
    sanity = engine == "random"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERSIONED_")}
    env.update(
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1"
    )
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    log = folder / f"worker-{engine}.log"
    while remaining > 0:
        seconds = (end - time.monotonic()) if end is not None else 10**7
        if seconds <= 0:
            break
        setup = {
            "engine": engine,
            "folder": str(folder),
            "files": {k: str(v) for k, v in files.items()},
            "memory": MEMORY_LIMIT,
            "seconds": seconds,
            "seed": seed,
            "start": start,
            "count": remaining,
            "sanity": sanity,
        }
        sanity = False
        with open(log, "ab") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", "from tests.test_fuzz import main; main()",
                 json.dumps(setup)],
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=str(ROOT),
                start_new_session=True,
            )  # fmt: skip
        current: dict[str, Any] | None = None
        finished = False
        seen = 0
        for message, status in _lines(proc, CASE_TIMEOUT, startup=600.0):
            if status is not None:
                # A hang or a crash in ``current``: record it, go on after it.
                kind = (current or {}).get("kind", "?")
                entry = (current or {}).get("entry", "?")
                saved = folder / f"failure-{engine}-{run.restarts}.bin"
                with contextlib.suppress(OSError):
                    shutil.copyfile(folder / f"current-{engine}.bin", saved)
                run.counts[f"{kind}|{entry}|FAIL {status}"] += 1
                run.failures.append(
                    {
                        "kind": kind,
                        "entry": entry,
                        "problem": status,
                        "case": current,
                        "file": str(saved),
                    }
                )
                break
            if "original" in message:
                run.originals.append(message)
            elif "next" in message:
                start = int(message["next"])
            elif "case" in message:
                current = message
                if message["case"] != seen:
                    seen = message["case"]
                    run.cases += 1
            elif "count" in message:
                run.counts[message["count"]] += 1
            elif "failure" in message:
                run.failures.append(message["failure"])
            elif "done" in message:
                finished = True
        run.restarts += 0 if finished else 1
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
        if finished:
            break
        # Resume after the culprit: the random engine where it stopped, the
        # hypothesis engine with a new seed and what is left of its budget.
        remaining -= max(1, seen)
        if engine == "random":
            start += 1
        seed += 1
        if run.restarts > 50:
            break
    run.seconds = time.monotonic() - started
    return run


def _lines(
    proc: subprocess.Popen[bytes], timeout: float, *, startup: float
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The worker's messages; ``(None, "hang ...")`` or ``(None, "crash ...")``
    when it stops answering or dies."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending = b""
    wait = startup
    while True:
        deadline = time.monotonic() + wait
        while b"\n" not in pending:
            left = deadline - time.monotonic()
            if left <= 0:
                yield {}, f"hang (no progress for {wait:.0f} s)"
                return
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                code = proc.wait()
                if code == 0:
                    return
                yield {}, f"crash (exit status {code})"
                return
            pending += chunk
        line, _, pending = pending.partition(b"\n")
        wait = timeout
        yield json.loads(line), None


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("fuzz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = build_originals(folder)
    runs: dict[str, Run] = {}

    def one(engine: str) -> None:
        runs[engine] = drive(engine, files, folder)

    threads = [threading.Thread(target=one, args=(e,)) for e in ENGINES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs


def _table(run: Run) -> str:
    per: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for key, n in run.counts.items():
        kind, entry, outcome = key.split("|")
        per[(kind, entry)][outcome] += n
    lines = [
        f"{run.engine}: {run.cases} cases, {sum(run.counts.values())} entry-point "
        f"runs, {len(run.failures)} failures, {run.restarts} restarts, "
        f"{run.seconds:.0f} s"
    ]
    for (kind, entry), outcomes in sorted(per.items()):
        shown = ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items()))
        lines.append(f"  {kind:<34} {entry:<14} {shown}")
    return "\n".join(lines)


def _failures(run: Run) -> str:
    lines = []
    for failure in run.failures[:25]:
        lines.append(
            f"{failure['kind']} / {failure['entry']}: {failure['problem']}\n"
            f"    case {json.dumps(failure['case'], default=repr)[:400]}\n"
            f"    file {failure['file']}"
        )
    return "\n".join(lines)


def test_original_files_read_and_load(fuzz: dict[str, Run]) -> None:
    """Every real file, undamaged, reads, audits clean and loads."""
    originals = fuzz["random"].originals
    assert originals, "the sanity pass did not run"
    bad = [o for o in originals if o["outcome"] != "ok"]
    assert not bad, "\n".join(
        f"{o['original']} / {o['entry']}: {o['outcome']}" for o in bad
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_fuzzed_files_raise_only_our_errors(fuzz: dict[str, Run], engine: str) -> None:
    """Only VersionedEstimatorError subclasses (or success); no hang, crash or
    memory blow-up."""
    run = fuzz[engine]
    print(_table(run))
    wanted = min(100, _budget()[0][engine] // 2)
    assert run.cases >= wanted, f"only {run.cases} cases ran"
    assert not run.failures, f"{len(run.failures)} failures:\n{_failures(run)}"


def test_every_kind_was_fuzzed(fuzz: dict[str, Run]) -> None:
    kinds = {key.split("|")[0] for run in fuzz.values() for key in run.counts}
    bytes_kinds = {k for k in kinds if not k.startswith("crafted-")}
    assert len(bytes_kinds) >= 28, sorted(bytes_kinds)
    assert any(k.startswith("crafted-stream") for k in kinds), sorted(kinds)
    assert any(k.startswith("crafted-envelope") for k in kinds), sorted(kinds)
