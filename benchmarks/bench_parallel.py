"""Parallelism: ``GridSearchCV(n_jobs=2)`` and ``joblib.Parallel(n_jobs=2)``.

GridSearchCV: LogisticRegression, 6 values of C x 5 folds, bare against
wrapped (``estimator__C``). Parallel: a brute-force KNN of about 70 MB shipped
to 8 tasks that each predict 5 rows, bare against wrapped; loky's memmapping
of large arrays is counted (files and bytes written to its temporary folder).
Each run is a process of its own with the worker pool started before the
clock; bare and wrapped interleaved. Writes ``results/parallel.json``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _common.settle(_common.parser(__doc__.splitlines()[0]).parse_args(argv))
    started = time.perf_counter()
    runner = _common.Runner()
    reps = args.reps or 5
    grid = {
        "n_samples": int(max(2000, 100_000 * min(1.0, args.scale * 4))),
        "n_features": 100,
    }
    mb = 70 * min(1.0, args.scale * 4)
    runs: dict[str, list[dict[str, Any]]] = {
        "gridsearch_bare": [],
        "gridsearch_wrapped": [],
        "parallel_bare": [],
        "parallel_wrapped": [],
    }
    for rep in range(reps):
        # bare and wrapped alternate, and swap places every round
        kinds = ("bare", "wrapped") if rep % 2 == 0 else ("wrapped", "bare")
        for op, params in (("gridsearch", grid), ("parallel", {"mb": mb})):
            for kind in kinds:
                spec = {"op": op, "wrapped": kind == "wrapped", **params}
                runs[f"{op}_{kind}"].append(runner.run(spec))
    results = {k: _common.summarize(v) | {"runs": v} for k, v in runs.items()}
    for name, summary in results.items():
        if summary.get("errors"):
            _common.log(f"[parallel] {name}: ERROR {summary['errors'][0][:300]}")
        _common.log(f"[parallel] {name}: {summary.get('median')}")
    data = {
        "benchmark": "parallel",
        "environment": _common.environment(),
        "gridsearch": {
            "estimator": "LogisticRegression(max_iter=2000)",
            "candidates": 6,
            "cv": 5,
            **grid,
        },
        "parallel": {
            "model": "KNeighborsRegressor(algorithm='brute')",
            "model_mb": mb,
            "tasks": 8,
        },
        "wall_s": time.perf_counter() - started,
        "results": results,
    }
    _common.write_json(args.out, "parallel.json", data)
    import report

    report.print_targets(args.out, sections=("parallel",))
    return data


if __name__ == "__main__":
    main()
