"""The probe: a few training rows and the outputs the model gave on them.

The rows are taken at evenly spaced positions of the training ``X`` (first
and last included), not just its head, so sorted data still gives a varied
probe.

Kept as plain data in the envelope (so it is stored in the file: set
``probe_size=0`` to keep training rows out). Replayed at materialization to
catch the case pickle cannot: a model that loads fine and predicts something
else. Labels must match exactly; floats within ``rtol=1e-7`` (plus an absolute
slack of ``1e-9`` times the output's scale, for values near zero).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from versioned_estimator._format import decode_array, encode_array

__all__ = ["PROBE_METHODS", "ProbeCheck", "VerificationReport", "capture", "replay"]

PROBE_METHODS = ("predict", "predict_proba", "decision_function", "transform")
RTOL = 1e-7
ATOL_SCALE = 1e-9
# Bounds that keep the envelope small whatever the model's size.
MAX_INPUT_BYTES = 256 * 1024
MAX_OUTPUT_VALUES = 8192

# ----------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------


def _is_dataframe(X: Any) -> bool:
    return type(X).__name__ == "DataFrame" and hasattr(X, "iloc")


def _is_sparse(X: Any) -> bool:
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def spread_rows(X: Any, n: int) -> Any:
    """``n`` rows of ``X`` at evenly spaced positions, in ``X``'s own type.

    Training data is often sorted (by class, by time): the first rows alone
    would all be alike and miss a change that only shows elsewhere.

    Examples
    --------
    >>> spread_rows(list(range(10)), 3)
    [0, 4, 9]
    """
    total = _n_rows(X)
    if total <= n:
        index = np.arange(total)
    else:
        index = np.unique(np.linspace(0, total - 1, n).round().astype(np.intp))
    if _is_dataframe(X):
        return X.iloc[index]
    if _is_sparse(X):
        return X.tocsr()[index]
    if isinstance(X, np.ndarray):
        return X[index]
    items = X if hasattr(X, "__getitem__") and hasattr(X, "__len__") else list(X)
    return [items[int(i)] for i in index]


def encode_input(X: Any) -> dict[str, Any]:
    """Encode probe rows as plain data; ``TypeError`` when they cannot be kept."""
    if _is_dataframe(X):
        columns = [c if isinstance(c, (str, int)) else str(c) for c in X.columns]
        return {
            "kind": "dataframe",
            "columns": columns,
            "dtypes": [str(t) for t in X.dtypes],
            "data": [encode_array(X.iloc[:, i].to_numpy()) for i in range(X.shape[1])],
        }
    if _is_sparse(X):
        csr = X.tocsr()
        return {
            "kind": "csr",
            "shape": list(csr.shape),
            "data": encode_array(csr.data),
            "indices": encode_array(csr.indices),
            "indptr": encode_array(csr.indptr),
        }
    if isinstance(X, np.ndarray):
        return {"kind": "array", "array": encode_array(X)}
    items = list(X)
    return {"kind": "list", "array": encode_array(np.asarray(items, dtype=object))}


def decode_input(data: Mapping[str, Any]) -> Any:
    """Rebuild probe rows encoded by :func:`encode_input`."""
    kind = data["kind"]
    if kind == "dataframe":
        import pandas as pd

        columns = {
            name: pd.Series(decode_array(col)).astype(dtype)
            for name, dtype, col in zip(
                data["columns"], data["dtypes"], data["data"], strict=True
            )
        }
        return pd.DataFrame(columns)
    if kind == "csr":
        from scipy import sparse

        return sparse.csr_matrix(
            (
                decode_array(data["data"]),
                decode_array(data["indices"]),
                decode_array(data["indptr"]),
            ),
            shape=tuple(data["shape"]),
        )
    if kind == "array":
        return decode_array(data["array"])
    if kind == "list":
        return decode_array(data["array"]).tolist()
    raise ValueError(f"unknown probe input kind {kind!r}")


# ----------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------


def _as_array(output: Any) -> np.ndarray:
    if _is_sparse(output):
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


def capture(estimator: Any, X: Any, size: int) -> dict[str, Any] | None:
    """Record ``size`` rows of ``X`` and the estimator's outputs on them.

    Returns None when ``size`` is 0 or the rows cannot be kept as plain data;
    a method that fails on the rows is left out.
    """
    if size <= 0 or X is None:
        return None
    try:
        rows = spread_rows(X, size)
        encoded = encode_input(rows)
    except (TypeError, ValueError):
        return None
    while _encoded_size(encoded) > MAX_INPUT_BYTES and _n_rows(rows) > 1:
        rows = spread_rows(rows, max(1, _n_rows(rows) // 2))
        encoded = encode_input(rows)
    if _encoded_size(encoded) > MAX_INPUT_BYTES:
        return None
    outputs: dict[str, Any] = {}
    for method in PROBE_METHODS:
        if not hasattr(estimator, method):
            continue
        try:
            with warnings.catch_warnings():
                # The user sees the model's own warnings when they call it, not
                # once more from fit.
                warnings.simplefilter("ignore")
                first = _encode_output(getattr(estimator, method)(rows))
                second = _encode_output(getattr(estimator, method)(rows))
        except Exception:  # a method that cannot run is not probed
            continue
        if first == second:  # random outputs (a stratified dummy) are not probed
            outputs[method] = first
    if not outputs:
        return None
    return {"n_rows": _n_rows(rows), "X": encoded, "outputs": outputs}


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _encoded_size(encoded: Mapping[str, Any]) -> int:
    return len(repr(encoded))


# ----------------------------------------------------------------------------
# Replay
# ----------------------------------------------------------------------------


@dataclass
class ProbeCheck:
    """One method's replay: ``status`` is ``same``, ``differs`` or ``error``."""

    method: str
    status: str
    detail: str = ""
    max_abs_diff: float | None = None

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
        One per replayed method (and one per schema check when ``X`` was given).
    probed : bool
        False when the envelope holds no probe (``probe_size=0``).
    """

    checks: list[ProbeCheck] = field(default_factory=list)
    probed: bool = True

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(check.status == "same" for check in self.checks)

    @property
    def failures(self) -> list[ProbeCheck]:
        """The checks that did not pass."""
        return [check for check in self.checks if check.status != "same"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "ok": self.ok,
            "probed": self.probed,
            "checks": [check.to_dict() for check in self.checks],
        }

    def __str__(self) -> str:
        if not self.probed and not self.checks:
            return "no probe recorded (probe_size=0): nothing to replay"
        lines = [f"probe replay: {'ok' if self.ok else 'DIFFERS'}"]
        for check in self.checks:
            extra = f" ({check.detail})" if check.detail else ""
            lines.append(f"  {check.method:<20} {check.status}{extra}")
        return "\n".join(lines)


def compare(method: str, expected: np.ndarray, found: np.ndarray) -> ProbeCheck:
    """Compare one method's outputs: exact for labels, tolerant for floats."""
    if expected.shape != found.shape:
        return ProbeCheck(
            method, "differs", f"shape {found.shape}, saved {expected.shape}"
        )
    if expected.dtype.kind in "fc" or found.dtype.kind in "fc":
        try:
            exp = expected.astype(
                np.complex128 if expected.dtype.kind == "c" else float
            )
            got = found.astype(exp.dtype)
        except (TypeError, ValueError):
            return ProbeCheck(method, "differs", f"dtype {found.dtype}")
        finite = np.isfinite(exp)
        scale = float(np.max(np.abs(exp[finite]))) if finite.any() else 1.0
        close = np.isclose(
            got, exp, rtol=RTOL, atol=ATOL_SCALE * max(scale, 1.0), equal_nan=True
        )
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
    equal = expected.shape == found.shape and bool(
        np.all(expected.astype(object) == found.astype(object))
    )
    if equal:
        return ProbeCheck(method, "same")
    n_bad = int(np.sum(expected.astype(object) != found.astype(object)))
    return ProbeCheck(method, "differs", f"{n_bad} of {expected.size} labels differ")


def replay(estimator: Any, probe: Mapping[str, Any] | None) -> VerificationReport:
    """Run the probe rows through ``estimator`` and compare with the saved outputs."""
    if not probe:
        return VerificationReport(probed=False)
    report = VerificationReport()
    try:
        rows = decode_input(probe["X"])
    except Exception as exc:
        report.checks.append(
            ProbeCheck("input", "error", f"cannot rebuild rows: {exc}")
        )
        return report
    for method, saved in probe.get("outputs", {}).items():
        if not hasattr(estimator, method):
            report.checks.append(ProbeCheck(method, "differs", "method is gone"))
            continue
        try:
            found = _as_array(getattr(estimator, method)(rows))
        except Exception as exc:
            report.checks.append(
                ProbeCheck(method, "error", f"{type(exc).__name__}: {exc}")
            )
            continue
        expected = decode_array(saved)
        n_columns = saved.get("first_columns")
        if n_columns is not None and found.ndim >= 2:
            found = found[:, :n_columns]
        report.checks.append(compare(method, expected, found))
    return report
