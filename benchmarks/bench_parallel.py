"""Parallelism: ``GridSearchCV(n_jobs=2)`` and ``joblib.Parallel(n_jobs=2)``.

GridSearchCV: LogisticRegression on large data, 6 values of C x 5 folds,
and Ridge on 2,000 x 20 (fits of a few milliseconds), 6 values of alpha x 5
folds, bare against wrapped (``estimator__C``, ``estimator__alpha``).
Parallel: a brute-force KNN of about 70 MB shipped to 8 tasks that each
predict 5 rows, bare against wrapped; loky's memmapping of large arrays is
counted (files and bytes written to its temporary folder).
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
    small = {"n_samples": 2000, "n_features": 20, "model": "ridge"}
    runs: dict[str, list[dict[str, Any]]] = {
        f"{name}_{kind}": []
        for name in ("gridsearch", "gridsmall", "parallel")
        for kind in ("bare", "wrapped")
    }
    for rep in range(reps):
        # bare and wrapped alternate, and swap places every round
        kinds = ("bare", "wrapped") if rep % 2 == 0 else ("wrapped", "bare")
        for name, op, params in (
            ("gridsearch", "gridsearch", grid),
            ("gridsmall", "gridsearch", small),
            ("parallel", "parallel", {"mb": mb}),
        ):
            # Small searches take a tenth of a second: three runs a round.
            for _ in range(3 if name == "gridsmall" else 1):
                for kind in kinds:
                    spec = {"op": op, "wrapped": kind == "wrapped", **params}
                    runs[f"{name}_{kind}"].append(runner.run(spec))
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
        "gridsmall": {"estimator": "Ridge()", "candidates": 6, "cv": 5, **small},
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
