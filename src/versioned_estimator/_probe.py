"""The probe: the outputs a model gives on a few training rows, and their replay.

The rows are taken at fit (``_rows``). The outputs are recorded when the
model is pickled, from the model as it is then (a model changed after fit
describes itself as saved), and kept in the file's trailer; they are
recorded again only when the pickled state changed (see ``_pickling``). At
load, replaying them catches the case pickle cannot: a model that loads fine
and predicts something else.

Labels must match exactly. Floats match within a tolerance that follows the
output's dtype, set from measurement (``benchmarks/bench_tolerance.py``: 190
estimators plus wide BLAS-heavy models, float32 and float64, between fit,
unpickle, one and two BLAS threads): no output moved by more than 3.1 eps of
its dtype times the output's largest magnitude (float32: 2.95e-7 of scale,
GaussianRandomProjection on 1000 features; float64: 6.8e-16), and values
near zero move by that absolute amount, not relative to themselves. The
tolerance is ``rtol = atol / scale`` = 1e-5 for float32 (34 times the worst
move seen, room for other BLAS builds and CPUs) and 1e-9 for float64, while a
real change, a coefficient scaled by 1.001, moves a linear model's outputs by
1e-4 to 1e-3 of scale. See :data:`TOLERANCES`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import PROBE_METHODS, decode_array, encode_array
from versioned_estimator._rows import decode_input, is_sparse, n_rows
from versioned_estimator._text import printable

__all__ = [
    "PROBE_METHODS",
    "ProbeCheck",
    "VerificationReport",
    "record_outputs",
    "replay",
]

# (rtol, atol as a share of the output's largest magnitude), by itemsize of
# the output's float type: float16, float32, float64 and wider.
TOLERANCES = {2: (1e-2, 1e-2), 4: (1e-5, 1e-5), 8: (1e-9, 1e-9)}
# Outputs kept a method, whatever the model's size.
MAX_OUTPUT_VALUES = 8192

# ----------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------


def _as_array(output: Any) -> np.ndarray:
    if is_sparse(output):
        output = output.toarray()
    elif hasattr(output, "to_numpy"):
        output = output.to_numpy()
    return np.asarray(output)


def _bounded(output: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Keep at most MAX_OUTPUT_VALUES values: the first columns of a wide output."""
    if output.size <= MAX_OUTPUT_VALUES or output.ndim < 2:
        return output, None
    n_columns = max(1, MAX_OUTPUT_VALUES // max(1, output.shape[0]))
    return output[:, :n_columns], n_columns


def _encode_output(output: Any) -> dict[str, Any]:
    array, n_columns = _bounded(_as_array(output))
    record = encode_array(array)
    if n_columns is not None:
        record["first_columns"] = n_columns
    return record


def _call(estimator: Any, method: str, rows: Any) -> Any:
    with warnings.catch_warnings():
        # The user sees the model's own warnings when they call it, not once
        # more from the probe.
        warnings.simplefilter("ignore")
        return getattr(estimator, method)(rows)


def record_outputs(estimator: Any, rows: Any) -> dict[str, Any]:
    """The estimator's outputs on the probe rows, per method (a method that
    fails on them, or gives what cannot be kept, is left out)."""
    outputs: dict[str, Any] = {}
    for method in PROBE_METHODS:
        if not hasattr(estimator, method):
            continue
        try:
            outputs[method] = _encode_output(_call(estimator, method, rows))
        except Exception:  # a method that cannot run on the rows is not probed
            continue
    return outputs


# ----------------------------------------------------------------------------
# Replay
# ----------------------------------------------------------------------------


@dataclass
class ProbeCheck:
    """One comparison: ``status`` is ``same``, ``differs``, ``error``, ``ran``
    (a method ran on the given X) or ``random`` (calls of the loaded model
    already disagree: its outputs are random by design and cannot be replayed)."""

    method: str
    status: str
    detail: str = ""
    max_abs_diff: float | None = None

    @property
    def ok(self) -> bool:
        """Whether this check passed."""
        return self.status in ("same", "ran", "random")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "status": self.status,
            "detail": self.detail,
            "max_abs_diff": self.max_abs_diff,
        }


@dataclass
class VerificationReport:
    """What a probe replay compared and found.

    Attributes
    ----------
    checks : list of ProbeCheck
        One per replayed method.
    data_checks : list of ProbeCheck
        With ``verify(X)``: the schema of ``X`` against the saved one, and each
        probed method run on ``X`` (``ran`` or ``error``).
    probed : bool
        False when the envelope holds no probe (``probe_size=0``).
    skipped : str or None
        Why the replay did not run (the environment provably unchanged).
    remapped : dict
        Names the pickle gives that were found elsewhere here (known renames,
        ``module_aliases``).
    globals : list of str
        In a safe load: every global the verified stream named.
    """

    checks: list[ProbeCheck] = field(default_factory=list)
    probed: bool = True
    data_checks: list[ProbeCheck] = field(default_factory=list)
    skipped: str | None = None
    remapped: dict[str, str] = field(default_factory=dict)
    globals: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(check.ok for check in [*self.checks, *self.data_checks])

    @property
    def failures(self) -> list[ProbeCheck]:
        """The checks that did not pass."""
        return [c for c in [*self.checks, *self.data_checks] if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "ok": self.ok,
            "probed": self.probed,
            "skipped": self.skipped,
            "checks": [check.to_dict() for check in self.checks],
            "data_checks": [check.to_dict() for check in self.data_checks],
            "remapped": dict(self.remapped),
            "globals": list(self.globals),
        }

    def __str__(self) -> str:
        lines = []
        if not self.probed:
            lines.append("no probe recorded (probe_size=0): nothing to replay")
        elif self.skipped:
            lines.append(f"probe replay: skipped ({_one_line(self.skipped)})")
        else:
            replay_ok = all(c.ok for c in self.checks)
            lines.append(f"probe replay: {'ok' if replay_ok else 'DIFFERS'}")
            for check in self.checks:
                extra = f" ({_one_line(check.detail)})" if check.detail else ""
                lines.append(f"  {_one_line(check.method):<20} {check.status}{extra}")
        if self.data_checks:
            data_ok = all(c.ok for c in self.data_checks)
            lines.append(f"given X: {'ok' if data_ok else 'DIFFERS'}")
            for check in self.data_checks:
                extra = f" ({_one_line(check.detail)})" if check.detail else ""
                lines.append(f"  {_one_line(check.method):<20} {check.status}{extra}")
        for old, new in self.remapped.items():
            lines.append(f"remapped {_one_line(old)} -> {_one_line(new)}")
        return "\n".join(lines)


def _one_line(text: Any) -> str:
    """A method name, detail or name quoted from a file, on one line."""
    text = " ".join(str(text).split())
    return text if printable(text) else ascii(text)[1:-1]


def tolerance(dtype: np.dtype[Any]) -> tuple[float, float]:
    """(rtol, atol share of the largest magnitude) for outputs of ``dtype``.

    Examples
    --------
    >>> tolerance(np.dtype("float32")), tolerance(np.dtype("float64"))
    ((1e-05, 1e-05), (1e-09, 1e-09))
    """
    size = dtype.itemsize // (2 if dtype.kind == "c" else 1)
    return TOLERANCES.get(min(max(size, 2), 8), TOLERANCES[8])


def compare(method: str, expected: np.ndarray, found: np.ndarray) -> ProbeCheck:
    """Compare one method's outputs: exact for labels, tolerant for floats.

    The tolerance follows the coarser float type of the two (see
    :data:`TOLERANCES`), with an absolute floor scaled to the output's
    largest magnitude, so that values near zero are judged by the scale of
    the output, not their own.
    """
    if expected.shape != found.shape:
        return ProbeCheck(
            method, "differs", f"shape {found.shape}, saved {expected.shape}"
        )
    if expected.dtype.kind in "fc" or found.dtype.kind in "fc":
        floats = [a.dtype for a in (expected, found) if a.dtype.kind in "fc"]
        rtol, atol_share = max(tolerance(d) for d in floats)
        complex_ = "c" in (expected.dtype.kind, found.dtype.kind)
        try:
            exp = expected.astype(np.complex128 if complex_ else np.float64)
            got = found.astype(exp.dtype)
        except (TypeError, ValueError):
            return ProbeCheck(method, "differs", f"dtype {found.dtype}")
        finite = np.isfinite(exp)
        scale = float(np.max(np.abs(exp[finite]))) if finite.any() else 1.0
        close = np.isclose(got, exp, rtol=rtol, atol=atol_share * scale, equal_nan=True)
        diff = np.abs(got - exp)
        max_diff = float(np.nanmax(diff)) if diff.size and finite.any() else 0.0
        if close.all():
            return ProbeCheck(method, "same", max_abs_diff=max_diff)
        n_bad = int((~close).sum())
        return ProbeCheck(
            method,
            "differs",
            f"{n_bad} of {close.size} values differ, largest by {max_diff:.3g}",
            max_diff,
        )
    try:
        equal = bool(np.all(expected.astype(object) == found.astype(object)))
    except (TypeError, ValueError):
        equal = False
    if equal:
        return ProbeCheck(method, "same")
    try:
        n_bad = int(np.sum(expected.astype(object) != found.astype(object)))
    except (TypeError, ValueError):
        n_bad = expected.size
    return ProbeCheck(method, "differs", f"{n_bad} of {expected.size} labels differ")


def replay(
    estimator: Any,
    probe: Mapping[str, Any] | None,
    outputs: Mapping[str, Any] | None,
    *,
    rows: Any = None,
) -> VerificationReport:
    """Run the probe rows through ``estimator`` and compare with ``outputs``.

    A method whose output differs is called again (up to ``RANDOM_CALLS``
    times): when calls of the loaded model disagree with each other, its
    outputs are random by design (a stratified dummy) and it is reported
    ``random``, not drift.
    """
    if not probe or not outputs:
        return VerificationReport(probed=False)
    report = VerificationReport()
    if rows is None:
        try:
            rows = decode_input(probe["X"])
        except EnvelopeError as exc:
            report.checks.append(ProbeCheck("input", "error", str(exc)))
            return report
    if n_rows(rows) != probe.get("n_rows"):
        report.checks.append(
            ProbeCheck("input", "error", "the probe holds another number of rows")
        )
        return report
    for method, saved in outputs.items():
        if method not in PROBE_METHODS:
            report.checks.append(
                ProbeCheck(str(method)[:40], "error", "not a probe method")
            )
            continue
        if not hasattr(estimator, method):
            report.checks.append(ProbeCheck(method, "differs", "method is gone"))
            continue
        n_columns = saved.get("first_columns") if isinstance(saved, dict) else None
        try:
            expected = decode_array(saved)
        except ValueError as exc:
            report.checks.append(ProbeCheck(method, "error", f"saved outputs: {exc}"))
            continue
        try:
            found = _found(_call(estimator, method, rows), n_columns)
            check = compare(method, expected, found)
            if check.status == "differs" and _random(estimator, method, rows, found):
                check = ProbeCheck(method, "random", "calls disagree: random")
        except Exception as exc:  # MemoryError included: the model's, not ours
            check = ProbeCheck(method, "error", f"{type(exc).__name__}: {exc}"[:300])
        report.checks.append(check)
    return report


RANDOM_CALLS = 5
"""Calls of a differing method before it is called deterministic: a random
output that repeats by chance (two labels over five rows: 1 in 32) repeats
four more times once in a million."""


def _random(estimator: Any, method: str, rows: Any, found: np.ndarray) -> bool:
    """Whether another call of ``method`` disagrees with ``found``."""
    n_columns = found.shape[1] if found.ndim >= 2 else None
    for _ in range(RANDOM_CALLS - 1):
        try:
            again = _found(_call(estimator, method, rows), n_columns)
        except Exception:
            return False
        if not compare(method, found, again).ok:
            return True
    return False


def _found(output: Any, n_columns: Any) -> np.ndarray:
    """A method's output as the saved one was kept: its first columns, and a
    sparse output cut before it is made dense. One wider than any saved
    output (a writer keeps at most ``MAX_OUTPUT_VALUES``) differs by its
    shape alone, and is not made dense to say so."""
    if is_sparse(output):
        if isinstance(n_columns, int) and len(output.shape) == 2:
            output = output[:, :n_columns]
        if math.prod(output.shape) > MAX_OUTPUT_VALUES:
            return np.broadcast_to(np.zeros((), dtype=output.dtype), output.shape)
    found = _as_array(output)
    if isinstance(n_columns, int) and found.ndim >= 2:
        return found[:, :n_columns]
    return found
