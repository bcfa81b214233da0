"""A small model: what the wrapper adds to one pickle round trip.

Warm: ``__reduce_ex__`` (cached, and rebuilt each call), ``pickle.dumps``
and a ``pickle.loads(pickle.dumps(m)).predict(rows)`` round trip, bare and
wrapped, averaged over thousands of calls in one process. Cold: the first
``pickle.dumps`` of a just-fitted model, and the first ``pickle.loads`` +
predict, each in a brand-new interpreter, bare and wrapped interleaved.
Writes ``results/small.json``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _common.settle(_common.parser(__doc__.splitlines()[0]).parse_args(argv))
    started = time.perf_counter()
    runner = _common.Runner()
    reps = _common.reps_for(args)
    warm = [
        runner.run({"op": "small_warm", "n": 200 if args.quick else 1000})
        for _ in range(3 if reps > 1 else 1)
    ]
    scratch = _common.scratch_dir()
    cold: dict[str, list[dict[str, Any]]] = {
        "first_pickle_bare": [],
        "first_pickle_wrapped": [],
        "first_unpickle_bare": [],
        "first_unpickle_wrapped": [],
    }
    try:
        paths = {
            kind: os.path.join(scratch, f"iris.{kind}.pkl")
            for kind in ("bare", "wrapped")
        }
        # bare and wrapped alternate, and swap places every round
        for op in ("first_pickle", "first_unpickle"):
            for rep in range(reps):
                kinds = ("bare", "wrapped") if rep % 2 == 0 else ("wrapped", "bare")
                for kind in kinds:
                    spec = {"op": op, "wrapped": kind == "wrapped", "path": paths[kind]}
                    cold[f"{op}_{kind}"].append(runner.fresh(spec))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    warm_summary: dict[str, Any] = {}
    for name in warm[0]:
        if name == "error":
            continue
        values = [w[name]["median_us"] for w in warm if name in w]
        warm_summary[name] = {
            "median_us": sorted(values)[len(values) // 2],
            "min_us": min(values),
            "max_us": max(values),
            "processes": len(values),
            "calls_per_process": warm[0][name]["calls"],
        }
    data = {
        "benchmark": "small",
        "environment": _common.environment(),
        "model": "LogisticRegression on iris (probe_size=5 when wrapped)",
        "wall_s": time.perf_counter() - started,
        "warm": warm_summary,
        "warm_errors": [w["error"] for w in warm if "error" in w],
        "cold": {k: _common.summarize(v) | {"runs": v} for k, v in cold.items()},
    }
    for name, values in warm_summary.items():
        _common.log(f"[small] warm {name}: {values['median_us']:.1f} us")
    for name, summary in data["cold"].items():
        _common.log(f"[small] {name}: {summary.get('median')}")
    _common.write_json(args.out, "small.json", data)
    import report

    report.print_targets(args.out, sections=("small",))
    return data


if __name__ == "__main__":
    main()
