"""How long scikit-learn's display of an estimator takes, beside the weight
the safe load gives it (``versioned_estimator._display``).

The safe load refuses a model whose display (``repr``, the HTML a notebook
shows) would take far longer than a display of what the file wrote, or
about a minute. It weighs the display in units, each object's own cost
fixed per type (a float, an int, None, a text and its characters, a dict's
pair, an estimator, an array's printed item), every reference counted, each
enclosing estimator a factor. This script checks that the units track time:
for parameters of each kind (20,000 values), flat and two pipelines deep,
and an ensemble of 200 estimators, it times the HTML display and ``repr``
(best of 3, one after the other) and prints nanoseconds a unit. The
constants hold while the spread stays within a few times (a unit should
cost about 5 ns on a 2-core machine; deeper displays cost less a unit, as
the factor a level, 3, is above the measured 2.2 to 2.8).

Writes ``results/display.json``. About a minute::

    .venv/bin/python benchmarks/bench_display.py [--quick] [--out PATH]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline

import _common
from versioned_estimator._display import shown


def _cases(n: int) -> dict[str, Callable[[], Any]]:
    return {
        "floats": lambda: np.logspace(-3, 3, n).tolist(),
        "ints": lambda: list(range(n)),
        "short texts": lambda: [f"w{i}" for i in range(n)],
        "Nones": lambda: [None] * n,
        "dict of text to int": lambda: {f"w{i}": i for i in range(n)},
        "tuples": lambda: [(i,) for i in range(n)],
        "one long text": lambda: ["y" * (10 * n)],
        "numpy floats": lambda: list(np.logspace(-3, 3, n)),
        "array of 500": lambda: np.logspace(-3, 3, 500),
        "array of 300 texts": lambda: np.array(["y" * 1000] * 300),
        "array of 300 escaped": lambda: np.array([b"\x01" * 1000] * 300),
        "objects, 300 texts": lambda: np.array(["y" * 1000] * 300, dtype=object),
    }


def _best(call: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    args = _common.settle(p.parse_args(argv))
    n = 2_000 if args.quick else 20_000
    reps = args.reps or 3
    rows = []
    models: dict[str, Callable[[], Any]] = {
        name: (lambda make=make: RidgeCV(alphas=make()))
        for name, make in _cases(n).items()
    }
    models["200 estimators"] = lambda: VotingRegressor(
        [(f"r{i}", RidgeCV()) for i in range(200)]
    )
    for name, make in models.items():
        for depth in (0, 2):
            model = make()
            for _ in range(depth):
                model = Pipeline([("m", model)])
            units, height = shown(model)
            html = _best(model._repr_html_, reps)
            text = _best(lambda model=model: repr(model), reps)
            rows.append(
                {
                    "case": name,
                    "pipelines": depth,
                    "estimators deep": height,
                    "units": units,
                    "html_s": html,
                    "repr_s": text,
                    "html_ns_per_unit": html / units * 1e9,
                }
            )
            _common.log(
                f"{name:22s} {depth} deep: {units:15,.0f} units  "
                f"html {html * 1e3:8.1f} ms  repr {text * 1e3:8.1f} ms  "
                f"{html / units * 1e9:5.1f} ns a unit"
            )
    spread = [row["html_ns_per_unit"] for row in rows]
    summary = {
        "median_ns_per_unit": statistics.median(spread),
        "min_ns_per_unit": min(spread),
        "max_ns_per_unit": max(spread),
    }
    _common.log(
        "html ns a unit: median {median_ns_per_unit:.1f}, "
        "min {min_ns_per_unit:.1f}, max {max_ns_per_unit:.1f}".format(**summary)
    )
    _common.write_json(
        args.out,
        "display.json",
        {"environment": _common.environment(), "summary": summary, "runs": rows},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
