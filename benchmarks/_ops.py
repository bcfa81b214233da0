"""The measured operations. Each one runs in a process of its own.

Most operations run in a child forked from a multiprocessing *forkserver*
that has imported numpy, scikit-learn, joblib and versioned_estimator and
done nothing else: every operation starts from the same clean state
(no model loaded, no first-call cache warmed, its own memory peak), without
paying the two seconds scikit-learn takes to import for each of the few
hundred operations of a run. The operations about a *fresh interpreter*
(the first ``pickle.dumps`` of a process) run this file as a script instead.

Each operation returns a dict of plain data: times in seconds (``perf_counter``),
memory in MiB from ``/proc/self/status`` (``VmRSS``; ``VmHWM`` after a reset of
the peak through ``/proc/self/clear_refs``, with ``ru_maxrss`` as a fallback).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import json
import mmap
import os
import pickle
import resource
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

# Modules the forkserver imports once; every forked operation inherits them.
# Not skops: it imports the importlib_metadata backport, whose finder changes
# what every distribution look-up costs; skops operations import it in set-up.
PRELOAD = ["_preload", "_ops"]

WRAPPED = ("ve_joblib", "ve_joblib_c3", "ve_pickle", "ve_save")

# ----------------------------------------------------------------------------
# Memory
# ----------------------------------------------------------------------------


def _status_mib(key: str) -> float:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def rss_mib() -> float:
    """Resident memory now."""
    return _status_mib("VmRSS")


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Peak:
    """The memory high-water mark of one operation, over a baseline."""

    def __init__(self) -> None:
        self.start = rss_mib()  # after imports, before any set-up
        self.baseline = self.start
        self.reset = False
        self.maxrss_before = 0.0

    def arm(self) -> None:
        """Set the baseline: call after set-up, right before the operation."""
        trim()
        self.baseline = rss_mib()
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self.reset = True
        except OSError:
            self.reset = False
        self.maxrss_before = _maxrss_mib()

    def read(self) -> dict[str, Any]:
        # ru_maxrss cannot be reset: without VmHWM a peak below an earlier one
        # reads as 0
        peak = _status_mib("VmHWM") if self.reset else max(_maxrss_mib(), self.baseline)
        return {
            "peak_extra_mb": max(0.0, peak - self.baseline),
            "footprint_mb": max(0.0, peak - self.start),
            "peak_method": "VmHWM" if self.reset else "ru_maxrss",
        }


def trim() -> None:
    """Collect garbage and hand free heap memory back to the system."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# ----------------------------------------------------------------------------
# Arrays: are they memory-mapped?
# ----------------------------------------------------------------------------


def _walk(obj: Any, seen: set[int], depth: int = 0) -> Iterator[np.ndarray]:
    if id(obj) in seen or depth > 8:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        if obj.dtype != object:
            yield obj
            return
        items: Any = obj.ravel().tolist()
    elif isinstance(obj, dict):
        items = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        items = obj
    elif hasattr(obj, "__dict__"):
        items = list(vars(obj).values())
    else:
        return
    for item in items:
        yield from _walk(item, seen, depth + 1)


def is_mapped(array: Any) -> bool:
    """Walk ``.base`` (and memoryview ``.obj``) down to an np.memmap or mmap."""
    for _ in range(64):
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        if isinstance(array, np.ndarray):
            array = array.base
        elif isinstance(array, memoryview):
            array = array.obj
        elif isinstance(array, pickle.PickleBuffer):
            array = memoryview(array).obj
        else:
            return False
    return False


def mapped_share(estimator: Any) -> dict[str, Any]:
    """Bytes of the estimator's arrays, and how many of them are mapped."""
    total = mapped = 0
    for array in _walk(estimator, set()):
        total += array.nbytes
        if is_mapped(array):
            mapped += array.nbytes
    return {
        "array_mb": total / 2**20,
        "mapped_mb": mapped / 2**20,
        "mapped_fraction": mapped / total if total else 0.0,
    }


# ----------------------------------------------------------------------------
# Competitors
# ----------------------------------------------------------------------------


def _read(path: str) -> Any:
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _dump(competitor: str, obj: Any, path: str) -> None:
    import joblib

    if competitor in ("pickle", "ve_pickle"):
        with open(path, "wb") as handle:
            pickle.dump(obj, handle, protocol=5)
    elif competitor in ("joblib", "ve_joblib"):
        joblib.dump(obj, path)
    elif competitor in ("joblib_c3", "ve_joblib_c3"):
        joblib.dump(obj, path, compress=3)
    elif competitor == "skops":
        import skops.io

        skops.io.dump(obj, path)
    elif competitor == "ve_save":
        import versioned_estimator

        versioned_estimator.save(obj, path)
    else:
        raise ValueError(competitor)


def _safe_load(path: str, info: dict[str, Any], **kwargs: Any) -> Any:
    """``versioned_estimator.load``; an allow-list refusal is recorded, then
    the load is retried (and timed again) trusting the names it gave."""
    import versioned_estimator

    try:
        return versioned_estimator.load(path, **kwargs)
    except versioned_estimator.UntrustedGlobalError as exc:
        info["needed_trusted"] = list(exc.names)
    info["restart"] = time.perf_counter()
    return versioned_estimator.load(path, trusted=info["needed_trusted"], **kwargs)


def _load(competitor: str, path: str, info: dict[str, Any]) -> Any:
    import joblib

    if competitor in ("pickle", "ve_pickle"):
        return _read(path)
    if competitor in ("joblib", "joblib_c3", "ve_joblib", "ve_joblib_c3"):
        return joblib.load(path)
    if competitor == "skops":
        import skops.io

        trusted = skops.io.get_untrusted_types(file=path)
        info["skops_untrusted_types"] = len(trusted)
        return skops.io.load(path, trusted=trusted)
    if competitor == "ve_save":
        return _safe_load(path, info)
    if competitor == "joblib_mmap":
        return joblib.load(path, mmap_mode="r")
    if competitor == "ve_joblib_mmap":
        return joblib.load(path, mmap_mode="r")
    if competitor == "ve_load_mmap":
        return _safe_load(path, info, mmap_mode="r")
    if competitor == "ve_load_mmap_fast":
        return _safe_load(path, info, mmap_mode="r", verify="fast")
    raise ValueError(competitor)


def _import_for(competitor: str) -> None:
    """Imports that belong to set-up, not to the measured operation."""
    if competitor == "skops":
        import skops.io  # noqa: F401


def _inner(model: Any) -> Any:
    from versioned_estimator import VersionedEstimator

    return model.estimator_ if isinstance(model, VersionedEstimator) else model


@contextlib.contextmanager
def _warnings_recorded(result: dict[str, Any]) -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    names = sorted({type(w.message).__name__ for w in caught})
    if names:
        result["warnings"] = names


# ----------------------------------------------------------------------------
# Operations
# ----------------------------------------------------------------------------


def op_dump(spec: dict[str, Any]) -> dict[str, Any]:
    """Dump a cached model with one competitor; time, peak and file size."""
    peak = Peak()
    competitor = spec["competitor"]
    _import_for(competitor)
    model = _read(spec["model_path"])
    obj = model
    if competitor in WRAPPED:
        from versioned_estimator import VersionedEstimator

        obj = VersionedEstimator.wrap(model, probe=_read(spec["probe_path"]))
    result: dict[str, Any] = {}
    with _warnings_recorded(result):
        peak.arm()
        start = time.perf_counter()
        _dump(competitor, obj, spec["path"])
        result["dump_s"] = time.perf_counter() - start
    result.update(peak.read())
    result["file_mb"] = os.path.getsize(spec["path"]) / 2**20
    return result


def op_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Load with one competitor, then predict on a few rows (first use)."""
    peak = Peak()
    competitor = spec["competitor"]
    _import_for(competitor)
    probe = _read(spec["probe_path"])
    info: dict[str, Any] = {}
    result: dict[str, Any] = {}
    with _warnings_recorded(result):
        peak.arm()
        start = time.perf_counter()
        model = _load(competitor, spec["path"], info)
        start = info.pop("restart", start)
        loaded = time.perf_counter()
        if spec.get("materialize"):
            inner = _inner(model)  # a lazy wrapper materializes here
        materialized = time.perf_counter()
        model.predict(probe)
        done = time.perf_counter()
    result.update(peak.read())
    trim()
    result["retained_mb"] = max(0.0, rss_mib() - peak.start)  # what the model holds
    result.update(info)
    result["load_s"] = loaded - start
    result["use_s"] = done - loaded
    result["total_s"] = done - start
    if spec.get("materialize"):
        result["load_materialize_s"] = materialized - start
        result["predict_s"] = done - materialized
        result.update(mapped_share(inner))
    return result


def op_make_envelope_files(spec: dict[str, Any]) -> dict[str, Any]:
    """Write a brute-force KNN of ``mb`` MB as a pickle, a joblib and a save file."""
    import joblib
    from sklearn.neighbors import KNeighborsRegressor

    import versioned_estimator
    from versioned_estimator import VersionedEstimator

    rng = np.random.default_rng(0)
    n_features = 100
    n_rows = max(10, int(spec["mb"] * 1e6 / (8 * n_features)))
    X = rng.standard_normal((n_rows, n_features))
    y = rng.standard_normal(n_rows)
    model = KNeighborsRegressor(algorithm="brute").fit(X, y)
    wrapped = VersionedEstimator.wrap(model, probe=X[:5])
    times = {}
    for fmt, path in spec["paths"].items():
        start = time.perf_counter()
        if fmt == "pickle":
            with open(path, "wb") as handle:
                pickle.dump(wrapped, handle, protocol=5)
        elif fmt == "joblib":
            joblib.dump(wrapped, path)
        else:
            versioned_estimator.save(wrapped, path)
        times[fmt] = time.perf_counter() - start
    sizes = {fmt: os.path.getsize(p) / 2**20 for fmt, p in spec["paths"].items()}
    return {"dump_s": times, "file_mb": sizes}


def op_read_envelope(spec: dict[str, Any]) -> dict[str, Any]:
    """``read_envelope``: the first call in this process, then warm calls."""
    from versioned_estimator import read_envelope

    path = spec["path"]
    start = time.perf_counter()
    envelope = read_envelope(path)
    first = time.perf_counter() - start
    warm = []
    for _ in range(spec.get("warm", 20)):
        start = time.perf_counter()
        read_envelope(path)
        warm.append(time.perf_counter() - start)
    return {
        "first_s": first,
        "warm_s": float(np.median(warm)),
        "payload_mb": envelope.payload["nbytes"] / 2**20,
    }


def _iris_models() -> tuple[Any, Any, Any]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from versioned_estimator import VersionedEstimator

    X, y = load_iris(return_X_y=True)
    bare = LogisticRegression(max_iter=1000).fit(X, y)
    wrapped = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    return bare, wrapped, X[:2]


def _per_call(fn: Callable[[], Any], n: int, blocks: int = 5) -> dict[str, float]:
    """Mean time of one call, per block of ``n // blocks`` calls; median over blocks."""
    per_block = max(1, n // blocks)
    means = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(per_block):
            fn()
        means.append((time.perf_counter() - start) / per_block)
    return {
        "median_us": float(np.median(means)) * 1e6,
        "min_us": min(means) * 1e6,
        "max_us": max(means) * 1e6,
        "calls": per_block * blocks,
    }


def op_small_warm(spec: dict[str, Any]) -> dict[str, Any]:
    """Warm costs on a small model: ``__reduce_ex__`` and pickle round trips."""
    bare, wrapped, rows = _iris_models()
    n = spec.get("n", 2000)

    # A reduce never caches since format 2: every pickle is built from the
    # model as it is. The "cached" and "uncached" cases (names kept for the
    # report) therefore both measure that full reduce.
    def reduce_cached() -> None:
        wrapped.__reduce_ex__(5)

    def reduce_uncached() -> None:
        wrapped.__reduce_ex__(5)

    def round_trip(model: Any) -> Callable[[], None]:
        def run() -> None:
            pickle.loads(pickle.dumps(model, protocol=5)).predict(rows)

        return run

    cases = {
        "reduce_ex_cached": reduce_cached,
        "reduce_ex_uncached": reduce_uncached,
        "dumps_bare": lambda: pickle.dumps(bare, protocol=5),
        "dumps_wrapped_cached": lambda: pickle.dumps(wrapped, protocol=5),
        "round_trip_bare": round_trip(bare),
        "round_trip_wrapped_cached": round_trip(wrapped),
        "round_trip_wrapped_uncached": round_trip(wrapped),
    }
    for fn in cases.values():  # warm every path once
        fn()
    result: dict[str, Any] = {}
    for name, fn in cases.items():
        calls = n * 10 if name.startswith(("reduce_ex_cached", "dumps")) else n
        result[name] = _per_call(fn, calls)
    return result


def op_gridsearch(spec: dict[str, Any]) -> dict[str, Any]:
    """Wall time of ``GridSearchCV(n_jobs=2).fit``, bare or wrapped."""
    from joblib import Parallel, delayed
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV

    from versioned_estimator import VersionedEstimator

    X, y = make_classification(
        n_samples=spec["n_samples"], n_features=spec["n_features"], random_state=0
    )
    values = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]
    # Ridge on small data: fits of a few milliseconds, where what the wrapper
    # adds per fit shows; LogisticRegression on large data: fits of seconds.
    bare: Any = (
        Ridge() if spec.get("model") == "ridge" else LogisticRegression(max_iter=2000)
    )
    name = "alpha" if spec.get("model") == "ridge" else "C"
    if spec["wrapped"]:
        estimator: Any = VersionedEstimator(bare)
        grid = {f"estimator__{name}": values}
    else:
        estimator, grid = bare, {name: values}
    # Start the workers and import the libraries in them before the clock runs.
    Parallel(n_jobs=2)(delayed(_warm_worker)() for _ in range(4))
    start = time.perf_counter()
    search = GridSearchCV(estimator, grid, cv=5, n_jobs=2).fit(X, y)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "best_score": float(search.best_score_)}


def _warm_worker() -> int:
    # The libraries a task unpickles with, imported before the clock as a
    # reused pool has them: scikit-learn, and the wrapper (about 3 ms a
    # worker the first time, which a pool's first search pays).
    import sklearn.linear_model
    import sklearn.model_selection
    import sklearn.neighbors  # noqa: F401

    import versioned_estimator._estimator  # noqa: F401

    return os.getpid()


def _predict_task(model: Any, rows: Any) -> int:
    return len(model.predict(rows))


def op_parallel(spec: dict[str, Any]) -> dict[str, Any]:
    """``joblib.Parallel(n_jobs=2)`` shipping one model to 8 tasks."""
    import joblib._memmapping_reducer as reducer
    from joblib import Parallel, delayed
    from sklearn.neighbors import KNeighborsRegressor

    from versioned_estimator import VersionedEstimator

    rng = np.random.default_rng(0)
    n_rows = int(spec["mb"] * 1e6 / 800)
    X = rng.standard_normal((n_rows, 100))
    model: Any = KNeighborsRegressor(algorithm="brute").fit(
        X, rng.standard_normal(n_rows)
    )
    if spec["wrapped"]:
        model = VersionedEstimator.wrap(model, probe=X[:5])
    rows = X[:5].copy()
    written = {"files": 0, "bytes": 0}
    original = reducer.dump

    def counting_dump(value: Any, filename: str, *args: Any, **kwargs: Any) -> Any:
        names = original(value, filename, *args, **kwargs)
        for name in names:
            written["files"] += 1
            written["bytes"] += os.path.getsize(name)
        return names

    reducer.dump = counting_dump
    try:
        Parallel(n_jobs=2)(delayed(_warm_worker)() for _ in range(4))
        start = time.perf_counter()
        out = Parallel(n_jobs=2)(delayed(_predict_task)(model, rows) for _ in range(8))
        wall = time.perf_counter() - start
    finally:
        reducer.dump = original
    assert out == [5] * 8
    return {
        "wall_s": wall,
        "temp_files": written["files"],
        "temp_mb": written["bytes"] / 2**20,
        "model_mb": X.nbytes / 2**20,
    }


# -- fresh interpreters -------------------------------------------------------


def op_first_pickle(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh interpreter: the first ``pickle.dumps`` of a small model."""
    start = time.perf_counter()
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    sklearn_s = time.perf_counter() - start
    X, y = load_iris(return_X_y=True)
    result: dict[str, Any] = {"import_sklearn_s": sklearn_s}
    if spec["wrapped"]:
        start = time.perf_counter()
        from versioned_estimator import VersionedEstimator

        result["import_versioned_estimator_s"] = time.perf_counter() - start
        model: Any = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    else:
        model = LogisticRegression(max_iter=1000).fit(X, y)
    start = time.perf_counter()
    data = pickle.dumps(model, protocol=5)
    result["first_dumps_s"] = time.perf_counter() - start
    start = time.perf_counter()
    pickle.dumps(model, protocol=5)
    result["second_dumps_s"] = time.perf_counter() - start
    if spec.get("path"):
        with open(spec["path"], "wb") as handle:
            handle.write(data)
    return result


def op_first_unpickle(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh interpreter: the first ``pickle.loads`` + predict of a small model."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression  # noqa: F401

    result: dict[str, Any] = {}
    if spec["wrapped"]:
        start = time.perf_counter()
        import versioned_estimator

        versioned_estimator.VersionedEstimator  # noqa: B018 - imports the lazy modules
        result["import_versioned_estimator_s"] = time.perf_counter() - start
    X, _ = load_iris(return_X_y=True)
    with open(spec["path"], "rb") as handle:
        data = handle.read()
    start = time.perf_counter()
    model = pickle.loads(data)
    loaded = time.perf_counter()
    model.predict(X[:2])
    done = time.perf_counter()
    result.update(loads_s=loaded - start, total_s=done - start)
    return result


def op_check_preload(spec: dict[str, Any]) -> dict[str, Any]:
    """Which preloaded modules this process did not inherit (should be none)."""
    expected = ["_preload", "sklearn.neighbors", "versioned_estimator._io"]
    return {"missing": [name for name in expected if name not in sys.modules]}


OPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "check_preload": op_check_preload,
    "dump": op_dump,
    "load": op_load,
    "make_envelope_files": op_make_envelope_files,
    "read_envelope": op_read_envelope,
    "small_warm": op_small_warm,
    "gridsearch": op_gridsearch,
    "parallel": op_parallel,
    "first_pickle": op_first_pickle,
    "first_unpickle": op_first_unpickle,
}


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one operation; errors come back as data."""
    try:
        return OPS[spec["op"]](spec)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:2000]}


def _stop_workers() -> None:
    """Stop loky's reusable workers: the process would wait for their idle
    time-out (5 minutes) before it exits."""
    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None)
    if executor is not None:
        # joblib's executor also deletes its memmapping folders here
        if hasattr(executor, "terminate"):
            executor.terminate(kill_workers=True)
        else:
            executor.shutdown(wait=True, kill_workers=True)
        # A forked child leaves through os._exit: run joblib's clean-up of its
        # memmapping folders, registered with atexit, now.
        atexit._run_exitfuncs()


def child_main(spec: dict[str, Any], conn: Any) -> None:
    """Entry point of a forked operation: send the result back on ``conn``."""
    try:
        conn.send(run(spec))
    finally:
        conn.close()
        _stop_workers()


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
