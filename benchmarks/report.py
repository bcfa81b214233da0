"""Turn ``results/*.json`` into the targets (PASS/MISS), ``table.md`` and ``chart.png``.

    python benchmarks/report.py [--out benchmarks/results]

Every target compares medians measured in the same run (wrapped against bare).
The same ratio over the fastest run of each side is printed beside it: on a
shared machine a median of 5 can still move by 20 % or more, while the fastest
runs estimate the cost without the neighbours' load. When the two give
different verdicts the target is flagged NOISY.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common

NAMES = {
    "pickle": "pickle (protocol 5)",
    "joblib": "joblib",
    "joblib_c3": "joblib, compress=3",
    "skops": "skops.io",
    "ve_joblib": "wrapped, joblib (lazy)",
    "ve_joblib_c3": "wrapped, joblib compress=3",
    "ve_pickle": "wrapped, pickle (lazy)",
    "ve_save": "save / load (safe, eager)",
    "joblib_mmap": "joblib, mmap_mode='r'",
    "ve_joblib_mmap": "wrapped, joblib, mmap_mode='r' (lazy)",
    "ve_load_mmap": "load(mmap_mode='r')",
    "ve_load_mmap_fast": "load(mmap_mode='r', verify='fast')",
}
TABLE_ORDER = _common.DUMPS
CHART_COMPETITORS = ("pickle", "joblib", "joblib_c3", "skops", "ve_joblib", "ve_save")
SECTIONS = {
    "io": "io.json",
    "read_envelope": "read_envelope.json",
    "small": "small.json",
    "parallel": "parallel.json",
}

Number = float | None

# ----------------------------------------------------------------------------
# Reading the results
# ----------------------------------------------------------------------------


def _stat(summary: dict[str, Any] | None, key: str, stat: str = "median") -> Number:
    value = (summary or {}).get(stat, {}).get(key)
    return None if value is None else float(value)


def _io_summary(data: dict[str, Any], model: str, phase: str, competitor: str) -> Any:
    results = data.get("models", {}).get(model, {}).get("results", {})
    return results.get(phase, {}).get(competitor)


def _io(
    data: dict[str, Any],
    model: str,
    phase: str,
    competitor: str,
    key: str,
    stat: str = "median",
) -> Number:
    return _stat(_io_summary(data, model, phase, competitor), key, stat)


def _ratio(a: Number, b: Number) -> Number:
    return None if a is None or b is None or b == 0 else a / b


def _sum(a: Number, b: Number) -> Number:
    return None if a is None or b is None else a + b


def _diff(a: Number, b: Number) -> Number:
    return None if a is None or b is None else a - b


def _scale(value: Number, factor: float) -> Number:
    return None if value is None else value * factor


def _fmt(value: Number, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _s(value: Number) -> str:
    """Seconds, for people."""
    if value is None:
        return "-"
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def _mib(value: Number) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 10 else f"{value:.0f}"


def load_all(folder: str) -> dict[str, dict[str, Any]]:
    found = {}
    for section, name in SECTIONS.items():
        data = _common.read_json(folder, name)
        if data is not None:
            found[section] = data
    return found


# ----------------------------------------------------------------------------
# Targets
# ----------------------------------------------------------------------------


@dataclass
class Target:
    section: str
    name: str
    value: Number
    limit: float
    unit: str = "x"
    higher_is_better: bool = False
    detail: str = ""
    extra_ok: bool = True
    fastest: Number = None  # the same ratio over the fastest runs

    def _meets(self, value: float) -> bool:
        if self.higher_is_better:
            return value >= self.limit and self.extra_ok
        return value <= self.limit and self.extra_ok

    @property
    def passed(self) -> bool | None:
        """The verdict on the medians."""
        return None if self.value is None else self._meets(self.value)

    @property
    def noisy(self) -> bool:
        """The fastest runs give the other verdict: the medians are not settled."""
        return (
            self.passed is not None
            and self.fastest is not None
            and self._meets(self.fastest) != self.passed
        )

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a"}[self.passed]

    def result(self) -> str:
        if self.noisy:
            other = "MISS" if self.passed else "PASS"
            return f"{self.verdict} (fastest runs: {other})"
        return self.verdict

    def measured(self) -> str:
        if self.value is None:
            return "not measured"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        return f"{self.value:.2f} {self.unit}"

    def wanted(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        unit = "x" if self.unit == "x" else f" {self.unit}"
        return f"{sign} {self.limit:g}{unit}"

    def line(self) -> str:
        text = (
            f"{self.verdict:4}  {self.name}: {self.measured()} (target {self.wanted()})"
        )
        notes = [self.detail] if self.detail else []
        if self.fastest is not None:
            notes.insert(0, f"fastest runs {self.fastest:.2f}x")
        if self.noisy:
            notes.append("NOISY: the fastest runs give the other verdict")
        return text + (f" [{'; '.join(notes)}]" if notes else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "target": self.name,
            "measured": self.value,
            "unit": self.unit,
            "limit": self.limit,
            "higher_is_better": self.higher_is_better,
            "result": self.verdict,
            "fastest_runs": self.fastest,
            "noisy": self.noisy,
            "detail": self.detail,
        }


def _versus_joblib(
    data: dict[str, Any],
    model: str,
    phase: str,
    competitor: str,
    key: str,
    name: str,
    limit: float,
    *,
    fastest: bool = True,
) -> Target:
    """A target on the median of ``competitor`` over the median of bare joblib."""
    ratio = _ratio(
        _io(data, model, phase, competitor, key), _io(data, model, phase, "joblib", key)
    )
    best = None
    if fastest:
        best = _ratio(
            _io(data, model, phase, competitor, key, "min"),
            _io(data, model, phase, "joblib", key, "min"),
        )
    return Target("io", name, ratio, limit, fastest=best)


def _io_targets(data: dict[str, Any]) -> list[Target]:
    out: list[Target] = []
    models = data.get("models", {})
    for name, model in models.items():
        category = model.get("category")
        if category == "small":
            continue
        numeric = category == "numeric"
        kind = "numeric" if numeric else "object-heavy"
        out += [
            _versus_joblib(
                data,
                name,
                "dump",
                "ve_joblib",
                "dump_s",
                f"joblib.dump, wrapped / bare, {kind} ({name})",
                1.10 if numeric else 0.5,
            ),
            _versus_joblib(
                data,
                name,
                "load",
                "ve_joblib",
                "total_s",
                f"joblib.load + first predict (full verify), wrapped / bare, {kind} "
                f"({name})",
                1.15 if numeric else 0.5,
            ),
            _versus_joblib(
                data,
                name,
                "load",
                "ve_save",
                "total_s",
                f"safe load() + first predict / joblib.load + first predict ({name})",
                1.3,
            ),
        ]
        if model.get("pickle_mb", 0) >= 10:
            for phase in ("dump", "load"):
                out.append(
                    _versus_joblib(
                        data,
                        name,
                        phase,
                        "ve_joblib",
                        "footprint_mb",
                        f"peak memory of {phase}, wrapped / bare joblib ({name})",
                        1.05,
                        fastest=False,
                    )
                )
            out.append(
                _versus_joblib(
                    data,
                    name,
                    "load",
                    "ve_joblib",
                    "retained_mb",
                    f"memory held once loaded and used, wrapped / bare joblib ({name})",
                    1.05,
                    fastest=False,
                )
            )
        out.append(
            _versus_joblib(
                data,
                name,
                "dump",
                "ve_joblib",
                "file_mb",
                f"file size, wrapped / bare joblib ({name})",
                1.01,
                fastest=False,
            )
        )
    if "knn" in models:
        seconds = _io(data, "knn", "mmap", "ve_joblib_mmap", "load_materialize_s")
        mapped = _io(data, "knn", "mmap", "ve_joblib_mmap", "mapped_fraction")
        mb = models["knn"].get("pickle_mb", 0)
        out.append(
            Target(
                "io",
                f"joblib.load(mmap_mode='r') + materialize, wrapped {mb:.0f} MiB KNN, "
                "arrays mapped",
                None if seconds is None else seconds * 1000,
                10,
                unit="ms",
                detail=f"mapped fraction {_fmt(mapped, 2)}",
                extra_ok=mapped is not None and mapped >= 0.99,
            )
        )
    for name, limit in (("text", 20.0), ("forest", 2.0)):
        if name not in models:
            continue
        skops = _sum(
            _io(data, name, "dump", "skops", "dump_s"),
            _io(data, name, "load", "skops", "total_s"),
        )
        ours = _sum(
            _io(data, name, "dump", "ve_save", "dump_s"),
            _io(data, name, "load", "ve_save", "total_s"),
        )
        out.append(
            Target(
                "io",
                f"skops dump + load / save + load ({name})",
                _ratio(skops, ours),
                limit,
                higher_is_better=True,
                detail=f"skops {_s(skops)}, save + load {_s(ours)}",
            )
        )
    return out


def _envelope_targets(data: dict[str, Any]) -> list[Target]:
    results = data.get("results", {})
    sizes = sorted(int(s) for s in results)
    if not sizes:
        return []
    worst: Number = None
    growth: Number = None
    for fmt in ("pickle", "joblib", "save"):
        big = _stat(results[str(sizes[-1])]["formats"].get(fmt), "first_s")
        small = _stat(results[str(sizes[0])]["formats"].get(fmt), "first_s")
        if big is None or small is None:
            continue
        worst = big if worst is None else max(worst, big)
        growth = big - small if growth is None else max(growth, big - small)
    label = "1 GB" if sizes[-1] >= 1000 else f"{sizes[-1]} MB (scaled down)"
    return [
        Target(
            "read_envelope",
            f"read_envelope of a {label} model, first call in a process, slowest file",
            None if worst is None else worst * 1000,
            20,
            unit="ms",
        ),
        Target(
            "read_envelope",
            f"read_envelope is flat: {label} minus {sizes[0]} MB, slowest file",
            None if growth is None else growth * 1000,
            5,
            unit="ms",
        ),
    ]


def _small_targets(data: dict[str, Any]) -> list[Target]:
    warm = data.get("warm", {})
    cold = data.get("cold", {})

    def ms(key: str) -> Number:
        value = warm.get(key, {}).get("median_us")
        return None if value is None else float(value) / 1000

    bare = ms("round_trip_bare")
    added = _diff(ms("round_trip_wrapped_uncached"), bare)
    cached = _diff(ms("round_trip_wrapped_cached"), bare)
    dumps = _diff(
        _stat(cold.get("first_pickle_wrapped"), "first_dumps_s"),
        _stat(cold.get("first_pickle_bare"), "first_dumps_s"),
    )
    loads = _diff(
        _stat(cold.get("first_unpickle_wrapped"), "total_s"),
        _stat(cold.get("first_unpickle_bare"), "total_s"),
    )
    first = _sum(dumps, loads)
    imported = _stat(cold.get("first_pickle_wrapped"), "import_versioned_estimator_s")
    return [
        Target(
            "small",
            "small model: added to a warm pickle round trip (dumps, loads, predict)",
            added,
            0.3,
            unit="ms",
            detail=f"{_fmt(cached, 2)} ms when the reduce tuple is cached",
        ),
        Target(
            "small",
            "small model: added to the first round trip in a fresh process",
            None if first is None else first * 1000,
            2,
            unit="ms",
            detail=(
                f"first dumps +{_fmt(_scale(dumps, 1000), 2)} ms, first loads + "
                f"predict +{_fmt(_scale(loads, 1000), 2)} ms; importing the package "
                f"({_s(imported)}) not counted"
            ),
        ),
    ]


def _parallel_targets(data: dict[str, Any]) -> list[Target]:
    results = data.get("results", {})
    out = []
    for name, label in (
        ("gridsearch", "GridSearchCV(n_jobs=2), large data"),
        ("gridsmall", "GridSearchCV(n_jobs=2), 2000 x 20"),
        ("parallel", "joblib.Parallel(n_jobs=2), 8 tasks"),
    ):
        if f"{name}_wrapped" not in results:
            continue
        wrapped, bare = results.get(f"{name}_wrapped"), results.get(f"{name}_bare")
        fastest = _ratio(_stat(wrapped, "wall_s", "min"), _stat(bare, "wall_s", "min"))
        detail = ""
        if name == "parallel":
            detail = (
                f"loky temp files {_fmt(_stat(wrapped, 'temp_files'), 0)} / "
                f"{_fmt(_stat(bare, 'temp_files'), 0)}, "
                f"{_fmt(_stat(wrapped, 'temp_mb'))} / "
                f"{_fmt(_stat(bare, 'temp_mb'))} MiB (wrapped / bare)"
            )
        ratio = _ratio(_stat(wrapped, "wall_s"), _stat(bare, "wall_s"))
        out.append(
            Target(
                "parallel",
                f"{label}, wall time wrapped / bare",
                ratio,
                1.05,
                detail=detail,
                fastest=fastest,
            )
        )
    return out


MAKERS: dict[str, Callable[[dict[str, Any]], list[Target]]] = {
    "io": _io_targets,
    "read_envelope": _envelope_targets,
    "small": _small_targets,
    "parallel": _parallel_targets,
}


def targets(folder: str, sections: Iterable[str] | None = None) -> list[Target]:
    data = load_all(folder)
    wanted = set(sections) if sections is not None else set(MAKERS)
    out: list[Target] = []
    for section, make in MAKERS.items():
        if section in data and section in wanted:
            out.extend(make(data[section]))
    return out


def print_targets(folder: str, sections: Iterable[str] | None = None) -> list[Target]:
    found = targets(folder, sections)
    for target in found:
        _common.log(target.line())
    return found


# ----------------------------------------------------------------------------
# The markdown table
# ----------------------------------------------------------------------------


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(*cells: str, left: int = 1) -> list[str]:
    """A table header: ``left`` text columns, then right-aligned numbers."""
    aligns = ["---"] * left + ["---:"] * (len(cells) - left)
    return [_row(cells), _row(aligns)]


def _environment_lines(data: dict[str, dict[str, Any]]) -> list[str]:
    env = next(iter(data.values())).get("environment", {})
    pk = env.get("packages", {})
    source = env.get("source", {})
    commit = source.get("commit") or "?"
    if source.get("src_modified"):
        commit += " with local changes"
    return [
        f"Measured {env.get('date')} on {env.get('cpu') or 'an unknown CPU'}, "
        f"{env.get('cpu_count')} cores, {env.get('memory_gib')} GiB, "
        f"{env.get('platform')}; Python {env.get('python')}, numpy {pk.get('numpy')}, "
        f"scikit-learn {pk.get('scikit-learn')}, joblib {pk.get('joblib')}, "
        f"skops {pk.get('skops')}, versioned-estimator {pk.get('versioned-estimator')} "
        f"(commit {commit}).",
        "",
        "Each operation ran in a process of its own; medians of 5 runs (3, 2 or 1",
        "for operations over 2, 6 or 20 s); min and max are in the JSON. Files are",
        "read from the page cache. Load times include the first `predict` on 5 rows,",
        "which is when a lazily loaded wrapper verifies and unpickles its model.",
        "Peak: the highest resident memory of the process, over its size after",
        "imports; held: its resident memory after the load, the predict and a",
        "garbage collection, over the same base.",
        "",
    ]


def _io_table(io: dict[str, Any]) -> list[str]:
    lines = []
    if io.get("scale", 1) != 1:
        lines += [f"**Scaled down:** big models at {io['scale']:g} of full size.", ""]
    lines += _header(
        "Model",
        "Method",
        "Dump",
        "Load + predict",
        "Peak dump / load (MiB)",
        "Held (MiB)",
        "File (MiB)",
        left=2,
    )
    for model in io.get("models", {}).values():
        first = True
        for competitor in TABLE_ORDER:
            dump = model["results"].get("dump", {}).get(competitor)
            load = model["results"].get("load", {}).get(competitor)
            if not dump and not load:
                continue
            label = f"{model['label']}, {_mib(model['pickle_mb'])} MiB" if first else ""
            first = False
            peak = f"{_fmt(_stat(dump, 'footprint_mb'), 0)} / "
            peak += _fmt(_stat(load, "footprint_mb"), 0)
            lines.append(
                _row(
                    [
                        label,
                        NAMES[competitor],
                        _s(_stat(dump, "dump_s")),
                        _s(_stat(load, "total_s")),
                        peak,
                        _fmt(_stat(load, "retained_mb"), 0),
                        _mib(_stat(dump, "file_mb")),
                    ]
                )
            )
    lines.append("")
    rows = []
    for model in io.get("models", {}).values():
        for competitor, summary in model["results"].get("mmap", {}).items():
            share = _stat(summary, "mapped_fraction")
            rows.append(
                _row(
                    [
                        model["label"],
                        NAMES[competitor],
                        _s(_stat(summary, "load_materialize_s")),
                        "-" if share is None else f"{100 * share:.0f} %",
                        _s(_stat(summary, "predict_s")),
                    ]
                )
            )
    if rows:
        lines += _header(
            "Model", "mmap load", "Load (+ materialize)", "Mapped", "Predict", left=2
        )
        lines += [*rows, ""]
    return lines


def _envelope_table(env: dict[str, Any]) -> list[str]:
    sizes = env.get("sizes_mb", [])
    lines = _header("`read_envelope`, first call", *[f"{mb} MB model" for mb in sizes])
    for fmt in ("pickle", "joblib", "save"):
        cells = [
            _s(_stat(env["results"][str(mb)]["formats"].get(fmt), "first_s"))
            for mb in sizes
        ]
        lines.append(_row([f"{fmt} file", *cells]))
    return [*lines, ""]


def _small_parallel_table(small: Any, parallel: Any) -> list[str]:
    lines = _header("Small model, parallelism", "Bare", "Wrapped")
    if small:
        warm, cold = small.get("warm", {}), small.get("cold", {})

        def ms(key: str) -> str:
            value = warm.get(key, {}).get("median_us")
            return "-" if value is None else f"{value / 1000:.2f} ms"

        lines += [
            _row(
                [
                    "iris: `pickle.loads(pickle.dumps(m)).predict(X)`, warm",
                    ms("round_trip_bare"),
                    ms("round_trip_wrapped_uncached"),
                ]
            ),
            _row(
                [
                    "iris: `__reduce_ex__`, cached / rebuilt",
                    "-",
                    f"{ms('reduce_ex_cached')} / {ms('reduce_ex_uncached')}",
                ]
            ),
            _row(
                [
                    "iris: first `pickle.dumps` in a fresh process",
                    _s(_stat(cold.get("first_pickle_bare"), "first_dumps_s")),
                    _s(_stat(cold.get("first_pickle_wrapped"), "first_dumps_s")),
                ]
            ),
            _row(
                [
                    "iris: first `pickle.loads` + predict in a fresh process",
                    _s(_stat(cold.get("first_unpickle_bare"), "total_s")),
                    _s(_stat(cold.get("first_unpickle_wrapped"), "total_s")),
                ]
            ),
            _row(
                [
                    "`import versioned_estimator` (after scikit-learn)",
                    "-",
                    _s(
                        _stat(
                            cold.get("first_pickle_wrapped"),
                            "import_versioned_estimator_s",
                        )
                    ),
                ]
            ),
        ]
    if parallel:
        res = parallel.get("results", {})
        for key in ("gridsearch", "gridsmall"):
            grid = parallel.get(key)
            if not grid:
                continue
            lines.append(
                _row(
                    [
                        f"`GridSearchCV(n_jobs=2)`, {grid.get('estimator')}, "
                        f"{grid.get('candidates')} candidates x {grid.get('cv')} "
                        f"folds, {grid.get('n_samples')} x {grid.get('n_features')}",
                        _s(_stat(res.get(f"{key}_bare"), "wall_s")),
                        _s(_stat(res.get(f"{key}_wrapped"), "wall_s")),
                    ]
                )
            )
        lines += [
            _row(
                [
                    f"`Parallel(n_jobs=2)`: a {parallel['parallel']['model_mb']:.0f} "
                    "MB KNN to 8 tasks",
                    _s(_stat(res.get("parallel_bare"), "wall_s")),
                    _s(_stat(res.get("parallel_wrapped"), "wall_s")),
                ]
            ),
            _row(
                [
                    "... written to loky's temporary folder",
                    f"{_fmt(_stat(res.get('parallel_bare'), 'temp_mb'), 0)} MiB",
                    f"{_fmt(_stat(res.get('parallel_wrapped'), 'temp_mb'), 0)} MiB",
                ]
            ),
        ]
    return [*lines, ""]


def markdown(folder: str) -> str:
    data = load_all(folder)
    if not data:
        return "No results yet: run `make bench`.\n"
    lines = [
        "<!-- generated by benchmarks/report.py from benchmarks/results/*.json -->",
        "",
        *_environment_lines(data),
    ]
    if "io" in data:
        lines += _io_table(data["io"])
    if "read_envelope" in data:
        lines += _envelope_table(data["read_envelope"])
    if "small" in data or "parallel" in data:
        lines += _small_parallel_table(data.get("small"), data.get("parallel"))
    found = targets(folder)
    if found:
        lines += _header("Target", "Measured", "Wanted", "Result")
        lines += [_row([t.name, t.measured(), t.wanted(), t.result()]) for t in found]
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# The chart
# ----------------------------------------------------------------------------


def chart(folder: str, path: str) -> str | None:
    data = load_all(folder)
    io = data.get("io")
    if not io:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [n for n, m in io["models"].items() if m.get("category") != "small"]
    labels = [
        io["models"][m]["label"].replace(", ", ",\n").replace(" + ", " +\n")
        for m in models
    ]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    width = 0.8 / len(CHART_COMPETITORS)
    colors = plt.get_cmap("tab10")
    panels = (
        (axes[0][0], "dump", "dump_s", "Dump (s, log scale)", True),
        (axes[0][1], "load", "total_s", "Load + first predict (s, log scale)", True),
        (axes[1][0], "load", "footprint_mb", "Peak memory of load (MiB)", False),
    )
    for ax, phase, key, title, log in panels:
        for i, competitor in enumerate(CHART_COMPETITORS):
            values = [_io(io, m, phase, competitor, key) or 0.0 for m in models]
            offset = (i - (len(CHART_COMPETITORS) - 1) / 2) * width
            xs = [j + offset for j in range(len(models))]
            ax.bar(xs, values, width, label=NAMES[competitor], color=colors(i))
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_title(title)
        if log:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    ax = axes[1][1]
    env = data.get("read_envelope")
    if env:
        sizes = env["sizes_mb"]
        for i, fmt in enumerate(("pickle", "joblib", "save")):
            values = [
                1000
                * (_stat(env["results"][str(mb)]["formats"].get(fmt), "first_s") or 0)
                for mb in sizes
            ]
            ax.plot(sizes, values, marker="o", label=f"{fmt} file", color=colors(i + 6))
        ax.axhline(20, color="grey", linestyle="--", linewidth=1, label="target: 20 ms")
        ax.set_xscale("log")
        ax.set_ylim(0, 25)
        ax.set_xlabel("model size (MB)")
        ax.set_title("read_envelope, first call in a process (ms)")
        ax.legend(fontsize=8, loc="center right")
        ax.grid(alpha=0.3)
    else:
        ax.axis("off")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8)
    fig.suptitle("versioned-estimator against pickle, joblib and skops (medians)")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> list[Target]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=_common.RESULTS)
    args = p.parse_args(argv)
    found = print_targets(args.out)
    records = {"targets": [t.to_dict() for t in found]}
    _common.write_json(args.out, "targets.json", records)
    with open(os.path.join(args.out, "table.md"), "w") as handle:
        handle.write(markdown(args.out))
    chart(args.out, os.path.join(args.out, "chart.png"))
    passed = sum(t.passed is True for t in found)
    missed = sum(t.passed is False for t in found)
    _common.log(f"targets: {passed} PASS, {missed} MISS; wrote table.md, chart.png")
    return found


if __name__ == "__main__":
    main()
