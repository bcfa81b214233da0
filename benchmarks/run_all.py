"""Run every benchmark, then write the table, the chart and the targets.

    python benchmarks/run_all.py          # the full run (`make bench`), < 15 min
    python benchmarks/run_all.py --quick  # a smoke run, results to a temporary folder

Big models are about 200 MB (``--scale`` or ``BENCH_SCALE`` shrinks them;
``BENCH_ENVELOPE_MAX_MB=500`` caps the ``read_envelope`` series). Models are
cached under the system temporary folder (``BENCH_CACHE`` to move it); the
files each benchmark writes go to a temporary folder (``BENCH_TMPDIR``) and
are deleted. Results: ``benchmarks/results/*.json``, ``table.md``,
``chart.png``, ``targets.json``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import bench_envelope
import bench_io
import bench_parallel
import bench_small
import report


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--only", default="io,envelope,small,parallel")
    args = _common.settle(p.parse_args(argv))
    common: list[str] = ["--scale", str(args.scale), "--out", args.out]
    if args.reps:
        common += ["--reps", str(args.reps)]
    if args.quick:
        common.append("--quick")
    started = time.perf_counter()
    steps = {
        "io": bench_io.main,
        "envelope": bench_envelope.main,
        "small": bench_small.main,
        "parallel": bench_parallel.main,
    }
    timings = {}
    for name in args.only.split(","):
        step = time.perf_counter()
        _common.log(f"== {name} ==")
        steps[name](common)
        timings[name] = time.perf_counter() - step
        _common.log(f"== {name}: {timings[name]:.0f} s ==")
    _common.log("== targets ==")
    report.main(["--out", args.out])
    total = time.perf_counter() - started
    parts = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    _common.log(
        f"run_all: {total:.0f} s ({parts}); results in {os.path.relpath(args.out)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
