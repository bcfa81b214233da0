"""Dump and load: time, peak memory, file size, mmap, for every competitor.

For each model, every competitor's dump runs in a process of its own, then
every competitor's load (load + predict on a few rows, wrapped and bare
alike), competitors interleaved (A B C, B C A, ...), 5 repetitions (an
operation slower than 2 s gets 3, slower than 6 s gets 2, slower than 20 s
gets 1). Loads read from the page cache. Writes ``results/io.json``.

    python benchmarks/bench_io.py [--quick] [--scale 0.5] [--models knn,text]
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import _models

DUMPS = _common.DUMPS
# mmap loads, and the dump whose file each one reads.
MMAPS = {
    "joblib_mmap": "joblib",
    "ve_joblib_mmap": "ve_joblib",
    "ve_load_mmap": "ve_save",
    "ve_load_mmap_fast": "ve_save",
}
EXTENSIONS = {"pickle": ".pkl", "ve_pickle": ".pkl", "skops": ".skops"}


def _main_time(phase: str, result: dict[str, Any]) -> float:
    return float(result.get("dump_s" if phase == "dump" else "total_s", 0.0))


def _reps_after_first(seconds: float, reps: int) -> int:
    if seconds > 20:
        return 1
    if seconds > 6:
        return min(reps, 2)
    if seconds > 2:
        return min(reps, 3)
    return reps


def _rotate(items: list[Any], n: int) -> list[Any]:
    if not items:
        return items
    n %= len(items)
    return items[n:] + items[:n]


def bench_model(
    runner: _common.Runner, spec: _models.ModelSpec, args: Any, scratch: str
) -> dict[str, Any]:
    meta = _models.ensure_cached(spec.name, args.scale, rebuild=args.rebuild)
    _common.log(
        f"[io] {spec.name}: {meta['pickle_mb']:.1f} MB pickled"
        + (" (cached)" if meta["cached"] else f", built in {meta['build_s']:.1f} s")
    )
    reps = _common.reps_for(args)
    chosen = set(args.competitors.split(",")) if args.competitors else None
    dumps = [c for c in DUMPS if chosen is None or c in chosen]
    mmaps = [c for c in MMAPS if chosen is None or c in chosen]
    files = {
        c: os.path.join(scratch, f"{spec.name}.{c}{EXTENSIONS.get(c, '.joblib')}")
        for c in DUMPS
    }
    plan: dict[tuple[str, str], int] = {("dump", c): reps for c in dumps}
    plan.update({("load", c): reps for c in dumps})
    if spec.mmap:
        plan.update({("mmap", c): reps for c in mmaps})
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in plan}
    for rep in range(reps):
        # Interleaved, and rotated each round so that no competitor always runs
        # right after the same other one: A B C, B C A, C A B ...
        order = [
            key
            for phase in ("dump", "load", "mmap")
            for key in _rotate([k for k in plan if k[0] == phase], rep)
        ]
        for phase, competitor in order:
            wanted = plan[phase, competitor]
            if len(runs[phase, competitor]) >= wanted or rep >= wanted:
                continue
            source = MMAPS.get(competitor, competitor)
            if phase != "dump" and not os.path.exists(files[source]):
                continue
            op: dict[str, Any] = {
                "op": "dump" if phase == "dump" else "load",
                "competitor": competitor,
                "path": files[source],
                "model_path": meta["model_path"],
                "probe_path": meta["probe_path"],
                "materialize": True,
            }
            if phase != "dump":
                _common.warm_file(files[source])
            result = runner.run(op)
            runs[phase, competitor].append(result)
            if "error" in result:
                _common.log(f"  {phase} {competitor}: ERROR {result['error'][:300]}")
            elif rep == 0:
                plan[phase, competitor] = _reps_after_first(
                    _main_time(phase, result), wanted
                )
    for path in files.values():
        if os.path.exists(path):
            os.unlink(path)
    results: dict[str, dict[str, Any]] = {"dump": {}, "load": {}, "mmap": {}}
    for (phase, competitor), found in runs.items():
        if found:
            results[phase][competitor] = _common.summarize(found) | {"runs": found}
    _print_model(spec.name, results)
    return {
        "label": spec.label,
        "category": spec.category,
        "pickle_mb": meta["pickle_mb"],
        "build_s": meta["build_s"],
        "estimator": meta["estimator"],
        **({"vocabulary": meta["vocabulary"]} if "vocabulary" in meta else {}),
        "results": {k: v for k, v in results.items() if v},
    }


def _print_model(name: str, results: dict[str, dict[str, Any]]) -> None:
    for phase, key in (
        ("dump", "dump_s"),
        ("load", "total_s"),
        ("mmap", "load_materialize_s"),
    ):
        parts = []
        for competitor, summary in results.get(phase, {}).items():
            value = summary.get("median", {}).get(key)
            if value is not None:
                mem = summary["median"].get("footprint_mb", 0.0)
                parts.append(f"{competitor} {value * 1000:.0f}ms/{mem:.0f}MB")
        if parts:
            _common.log(f"  {name} {phase}: " + ", ".join(parts))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(m.name for m in _models.MODELS))
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached models")
    p.add_argument(
        "--competitors",
        default="",
        help="comma-separated subset; an mmap load needs the dump it reads "
        "(joblib, ve_joblib or ve_save)",
    )
    args = _common.settle(p.parse_args(argv))
    started = time.perf_counter()
    runner = _common.Runner()
    scratch = _common.scratch_dir()
    models: dict[str, Any] = {}
    try:
        for name in args.models.split(","):
            models[name] = bench_model(runner, _models.BY_NAME[name], args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    data = {
        "benchmark": "io",
        "environment": _common.environment(),
        "scale": args.scale,
        "wall_s": time.perf_counter() - started,
        "processes": runner.count,
        "models": models,
    }
    path = _common.write_json(args.out, "io.json", data)
    name = os.path.basename(path)
    _common.log(f"[io] {runner.count} processes in {data['wall_s']:.0f} s -> {name}")
    import report

    report.print_targets(args.out, sections=("io",))
    return data


if __name__ == "__main__":
    main()
