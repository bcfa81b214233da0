"""Shared plumbing: the process runner, statistics, options, the environment."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
OPS_SCRIPT = os.path.join(HERE, "_ops.py")

# ----------------------------------------------------------------------------
# Options
# ----------------------------------------------------------------------------

# Every dump competitor, in the order runs and tables use.
DUMPS = (
    "pickle",
    "joblib",
    "joblib_c3",
    "skops",
    "ve_joblib",
    "ve_joblib_c3",
    "ve_pickle",
    "ve_save",
)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", "1")),
        help="multiply the size of the big models (1 = about 200 MB)",
    )
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 3-5)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="scale 0.05, one repetition, results to a temporary folder",
    )
    p.add_argument("--out", default=None, help="folder for the JSON (default results/)")
    return p


def settle(args: argparse.Namespace) -> argparse.Namespace:
    if args.quick:
        args.scale = min(args.scale, 0.05)
        args.reps = args.reps or 1
        args.out = args.out or tempfile.mkdtemp(prefix="ve-bench-quick-")
    args.out = args.out or RESULTS
    os.makedirs(args.out, exist_ok=True)
    return args


def reps_for(args: argparse.Namespace) -> int:
    """5 repetitions unless told (slow operations get fewer, see bench_io)."""
    return int(args.reps or 5)


def scratch_dir() -> str:
    """A temporary folder for the files a benchmark writes (not committed)."""
    root = os.environ.get("BENCH_TMPDIR") or None
    return tempfile.mkdtemp(prefix="ve-bench-", dir=root)


def _no_paths(text: str) -> str:
    """Error messages go into committed JSON: no path of this machine in them."""
    for path, name in (
        (os.environ.get("BENCH_TMPDIR", ""), "<tmp>"),
        (os.environ.get("BENCH_CACHE", ""), "<cache>"),
        (tempfile.gettempdir(), "<tmp>"),
        (os.path.dirname(HERE), "<checkout>"),
        (sys.prefix, "<venv>"),
        (os.path.expanduser("~"), "<home>"),
    ):
        if path and len(path) > 1:
            text = text.replace(path, name)
    return text


# ----------------------------------------------------------------------------
# Running operations in processes of their own
# ----------------------------------------------------------------------------


# OpenMP and BLAS pools stay single-threaded in the measured processes: on a
# shared 2-core machine, OpenMP spin-waits turn a 5-row predict into seconds.
# The library's own hashing threads are not affected.
THREAD_LIMITS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class Runner:
    """Runs each operation in a child forked from a preloaded forkserver."""

    def __init__(self) -> None:
        for key, value in THREAD_LIMITS.items():
            os.environ.setdefault(key, value)
        # Some shells set this; an installed package has its bytecode cached,
        # and without the cache importing versioned_estimator costs 45 ms
        # instead of 8 (every measured process and loky worker would pay it).
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        if HERE not in sys.path:
            sys.path.insert(0, HERE)
        # Python 3.11's forkserver ignores the parent's sys.path when it
        # preloads (and skips a module it cannot import without a word).
        paths = [
            HERE,
            *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)),
        ]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        import _ops

        self._ops = _ops
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload(_ops.PRELOAD)
        self.count = 0
        missing = self.run({"op": "check_preload"}).get("missing")
        if missing is None or missing:
            raise RuntimeError(f"the forkserver did not preload {missing}")

    def run(self, spec: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
        receive, send = self.ctx.Pipe(duplex=False)
        process = self.ctx.Process(target=self._ops.child_main, args=(spec, send))
        process.start()
        send.close()
        try:
            if receive.poll(timeout):
                result: dict[str, Any] = receive.recv()
            else:
                result = {"error": f"timed out after {timeout} s"}
                process.kill()
        except EOFError:
            result = {"error": "the process died without an answer"}
        process.join()
        receive.close()
        self.count += 1
        if process.exitcode not in (0, None) and "error" not in result:
            result["error"] = f"exit code {process.exitcode}"
        if "error" in result:
            result["error"] = _no_paths(result["error"])
        return result

    def fresh(self, spec: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
        """Run an operation in a brand-new interpreter (``python _ops.py``)."""
        done = subprocess.run(
            [sys.executable, OPS_SCRIPT, json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=HERE,
            check=False,
        )
        self.count += 1
        try:
            return dict(json.loads(done.stdout.strip().splitlines()[-1]))
        except (IndexError, ValueError):
            return {"error": _no_paths((done.stderr or done.stdout)[-2000:])}


def warm_file(path: str, limit: int | None = None) -> float:
    """Read a file (or its first ``limit`` bytes) so that it is in the page cache.

    Loads are measured from the page cache: on this machine DAMON pages out
    memory unused for about a minute, so a file written a minute earlier is
    read back from disk, at a cost that depends on the order of the runs.
    Returns the seconds the read took.
    """
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as handle:
        left = limit
        while left is None or left > 0:
            chunk = handle.read(16 * 2**20 if left is None else min(left, 16 * 2**20))
            if not chunk:
                break
            if left is not None:
                left -= len(chunk)
    return time.perf_counter() - start


# ----------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------


def summarize(runs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max of every numeric field over the runs without error."""
    good = [r for r in runs if "error" not in r]
    out: dict[str, Any] = {"n": len(good)}
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        out["errors"] = errors
    keys = sorted({k for r in good for k, v in r.items() if _is_number(v)})
    for stat, fn in (("median", statistics.median), ("min", min), ("max", max)):
        out[stat] = {k: fn([r[k] for r in good if k in r]) for k in keys}
    extra = {k: v for r in good for k, v in r.items() if not _is_number(v)}
    if extra:
        out["info"] = extra
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ----------------------------------------------------------------------------
# Environment and output
# ----------------------------------------------------------------------------


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def source_state() -> dict[str, Any]:
    """The commit measured, and whether the package source differed from it."""
    status = _git("status", "--porcelain", "--", "src")
    return {
        "commit": _git("rev-parse", "--short=12", "HEAD"),
        "src_modified": None if status is None else bool(status),
    }


def environment() -> dict[str, Any]:
    """What the numbers were measured with (no paths, no host names)."""
    return {
        "source": source_state(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "packages": {
            name: _version(name)
            for name in (
                "versioned-estimator",
                "numpy",
                "scipy",
                "scikit-learn",
                "joblib",
                "skops",
            )
        },
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def write_json(folder: str, name: str, data: dict[str, Any]) -> str:
    path = os.path.join(folder, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def read_json(folder: str, name: str) -> dict[str, Any] | None:
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return dict(json.load(handle))


def log(*parts: Any) -> None:
    print(*parts, flush=True)
