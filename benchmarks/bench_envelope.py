"""``read_envelope`` on wrapped KNN models from 1 MB to 1 GB.

A brute-force KNN of each size is wrapped and written three ways
(``pickle.dump``, ``joblib.dump``, ``versioned_estimator.save``); then each
file's envelope is read in a process of its own (the first call of that
process, and the median of 20 more), sizes and formats interleaved, 3 times.
Writes ``results/read_envelope.json``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common

FORMATS = ("pickle", "joblib", "save")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument(
        "--max-mb",
        type=int,
        default=int(os.environ.get("BENCH_ENVELOPE_MAX_MB", "1000")),
        help="largest model (1000 = 1 GB; 500 if time is short)",
    )
    args = _common.settle(p.parse_args(argv))
    if args.quick:
        args.max_mb = min(args.max_mb, 100)
    sizes = [mb for mb in (1, 10, 100, 1000) if mb <= args.max_mb]
    if args.max_mb not in sizes:
        sizes.append(args.max_mb)
    started = time.perf_counter()
    runner = _common.Runner()
    reps = args.reps or 3
    scratch = _common.scratch_dir()
    made: dict[int, dict[str, Any]] = {}
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    try:
        for mb in sizes:
            paths = {fmt: os.path.join(scratch, f"knn{mb}.{fmt}") for fmt in FORMATS}
            made[mb] = runner.run(
                {"op": "make_envelope_files", "mb": mb, "paths": paths}
            )
            if "error" in made[mb]:
                _common.log(f"[envelope] {mb} MB: ERROR {made[mb]['error']}")
        for _ in range(reps):
            for mb in sizes:
                for fmt in FORMATS:
                    path = os.path.join(scratch, f"knn{mb}.{fmt}")
                    if os.path.exists(path):
                        _common.warm_file(
                            path, limit=2**20
                        )  # the head, as after a save
                        result = runner.run({"op": "read_envelope", "path": path})
                        runs.setdefault((mb, fmt), []).append(result)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results: dict[str, Any] = {}
    for mb in sizes:
        entry: dict[str, Any] = {"written": made[mb], "formats": {}}
        for fmt in FORMATS:
            found = runs.get((mb, fmt), [])
            entry["formats"][fmt] = _common.summarize(found) | {"runs": found}
        results[str(mb)] = entry
        firsts = {
            fmt: entry["formats"][fmt].get("median", {}).get("first_s", float("nan"))
            for fmt in FORMATS
        }
        line = ", ".join(f"{fmt} {t * 1000:.2f} ms" for fmt, t in firsts.items())
        _common.log(f"[envelope] {mb} MB: first call {line}")
    data = {
        "benchmark": "read_envelope",
        "environment": _common.environment(),
        "sizes_mb": sizes,
        "scaled_down": args.max_mb < 1000,
        "wall_s": time.perf_counter() - started,
        "results": results,
    }
    _common.write_json(args.out, "read_envelope.json", data)
    import report

    report.print_targets(args.out, sections=("read_envelope",))
    return data


if __name__ == "__main__":
    main()
