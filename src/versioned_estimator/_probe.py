"""The probe: a few training rows, and the outputs the model gives on them.

At fit, the rows are taken at evenly spaced positions of the training ``X``
(first and last included), not just its head, so sorted data still gives a
varied probe; they are kept as plain data in the envelope (so they are stored
in the file: set ``probe_size=0`` to keep training rows out).

The outputs are recorded when the model is pickled, from the model as it is
then (a model changed after fit describes itself as saved), and kept in the
file's trailer; they are recorded again only when the pickled state changed
(see ``_pickling``). At load, replaying them catches the case pickle cannot:
a model that loads fine and predicts something else.

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

import importlib
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import PROBE_METHODS, decode_array, encode_array

__all__ = [
    "PROBE_METHODS",
    "ProbeCheck",
    "VerificationReport",
    "capture_rows",
    "decode_input",
    "record_outputs",
    "replay",
]

# (rtol, atol as a share of the output's largest magnitude), by itemsize of
# the output's float type: float16, float32, float64 and wider.
TOLERANCES = {2: (1e-2, 1e-2), 4: (1e-5, 1e-5), 8: (1e-9, 1e-9)}
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
    if isinstance(X, np.ndarray) and X.dtype.kind != "O":
        return {"kind": "array", "array": encode_array(X)}
    # Lists, and object arrays (strings from a DataFrame's to_numpy()): rows of
    # plain values, given back as lists.
    items = list(X)
    return {"kind": "list", "array": encode_array(np.asarray(items, dtype=object))}


_FRAME_DTYPE = frozenset(
    {"bool", "boolean", "category", "object", "string", "str", "datetime64[ns]"}
)


def _frame_dtype_ok(name: Any) -> bool:
    if not isinstance(name, str) or len(name) > 40:
        return False
    if name in _FRAME_DTYPE:
        return True
    try:
        return np.dtype(name).kind in "biufc"
    except TypeError:
        return name in ("Int8", "Int16", "Int32", "Int64", "Float32", "Float64")


def decode_input(data: Mapping[str, Any]) -> Any:
    """Rebuild probe rows encoded by :func:`encode_input`.

    Only plain arrays, DataFrames of plain columns, CSR matrices and lists of
    plain values come out; anything else in the file is an :class:`EnvelopeError`.
    """
    try:
        return _decode_input(data)
    except EnvelopeError:
        raise
    except Exception as exc:  # whatever numpy or pandas make of crafted rows
        raise EnvelopeError(
            f"The probe rows in the envelope are malformed ({type(exc).__name__}): "
            "the file is corrupt or crafted."
        ) from exc


def _decode_input(data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise TypeError("probe rows that are not a mapping")
    kind = data["kind"]
    if kind == "dataframe":
        import pandas as pd

        names, dtypes, columns = data["columns"], data["dtypes"], data["data"]
        if not (
            isinstance(names, list)
            and isinstance(dtypes, list)
            and isinstance(columns, list)
            and len(names) == len(dtypes) == len(columns)
            and all(isinstance(n, (str, int)) for n in names)
            and all(_frame_dtype_ok(t) for t in dtypes)
        ):
            raise ValueError("a malformed frame")
        series = {
            name: pd.Series(decode_array(col)).astype(dtype)
            for name, dtype, col in zip(names, dtypes, columns, strict=True)
        }
        if len({len(s) for s in series.values()}) > 1:
            raise ValueError("frame columns of different lengths")
        return pd.DataFrame(series)
    if kind == "csr":
        from scipy import sparse

        shape = data["shape"]
        values = decode_array(data["data"])
        indices = decode_array(data["indices"])
        indptr = decode_array(data["indptr"])
        if not (
            isinstance(shape, list)
            and len(shape) == 2
            and all(isinstance(n, int) and 0 <= n < 2**31 for n in shape)
            and values.ndim == indices.ndim == indptr.ndim == 1
            and values.dtype.kind in "biufc"
            and indices.dtype.kind in "iu"
            and indptr.dtype.kind in "iu"
            and len(indptr) == shape[0] + 1
            and len(values) == len(indices)
        ):
            raise ValueError("a malformed sparse matrix")
        matrix = sparse.csr_matrix((values, indices, indptr), shape=tuple(shape))
        matrix.check_format(full_check=True)
        return matrix
    if kind == "array":
        array = decode_array(data["array"])
        if array.dtype.kind == "O" or not 1 <= array.ndim <= 4 or not len(array):
            raise ValueError("rows that are not an array of values with rows")
        return array
    if kind == "list":
        array = decode_array(data["array"])
        if not 1 <= array.ndim <= 4 or not len(array):
            raise ValueError("rows that are not a list of values or of rows")
        return array.tolist()
    raise ValueError(f"unknown probe input kind {str(kind)[:40]!r}")


def _is_other_array(X: Any) -> bool:
    """Whether ``X`` is an array of an array API library other than numpy
    (torch, cupy, array-api-strict ...)."""
    if isinstance(X, np.ndarray):
        return False
    try:
        # By name: the vendored package ships types that would make mypy
        # read all of sklearn as an untyped namespace.
        compat = importlib.import_module("sklearn.externals.array_api_compat")
    except ImportError:  # scikit-learn without the vendored array_api_compat
        return hasattr(X, "__array_namespace__")
    return bool(compat.is_array_api_obj(X))


def _numpy_input(X: Any) -> Any:
    """``X`` as the probe can keep it: as is, or an array of another array
    API library as numpy when scikit-learn converts it so too (array API
    dispatch off). None under dispatch: the model then holds its state in
    that library, and numpy rows would not replay the same."""
    if not _is_other_array(X):
        return X
    import sklearn

    if sklearn.get_config().get("array_api_dispatch", False):
        return None
    try:
        return np.asarray(X)
    except Exception:  # an array numpy cannot read (on a GPU ...)
        return None


def capture_rows(X: Any, size: int) -> dict[str, Any] | None:
    """``size`` rows of ``X`` at evenly spaced positions, as plain data.

    Returns None when ``size`` is 0 or the rows cannot be kept as plain data
    within ``MAX_INPUT_BYTES``, and for arrays of another array API library
    (torch, array-api-strict) under ``array_api_dispatch``.

    Examples
    --------
    >>> capture_rows(np.arange(10.0).reshape(5, 2), 2)["n_rows"]
    2
    >>> import array_api_strict as xp
    >>> capture_rows(xp.ones((4, 2)), 2)["X"]["kind"]
    'array'
    >>> capture_rows(np.array([["a"], ["b"]], dtype=object), 2)["X"]["kind"]
    'list'
    >>> capture_rows(np.zeros((0, 2)), 2) is None  # no rows
    True
    """
    if size <= 0 or X is None:
        return None
    X = _numpy_input(X)
    if X is None:
        return None
    try:
        rows = spread_rows(X, size)
        encoded = encode_input(rows)
        while encoded_size(encoded) > MAX_INPUT_BYTES and _n_rows(rows) > 1:
            rows = spread_rows(rows, max(1, _n_rows(rows) // 2))
            encoded = encode_input(rows)
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if encoded_size(encoded) > MAX_INPUT_BYTES:
        return None
    try:
        # Only rows the reader takes back (see decode_input): the outputs
        # are recorded on the decoded rows, at every pickle, and a load
        # replays those.
        decode_input(encoded)
    except EnvelopeError:
        return None
    return {"n_rows": _n_rows(rows), "X": encoded}


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def text_size(rows: Any) -> int:
    """How many characters of text decoded probe rows hold (the documents a
    vectorizer splits: what its n-grams multiply).

    Examples
    --------
    >>> text_size(["a cat", "a dog"]), text_size(np.ones((3, 2))), text_size(None)
    (10, 0, 0)
    """
    if rows is None or _is_sparse(rows):
        return 0
    if isinstance(rows, np.ndarray) and rows.dtype.kind not in "OUS":
        return 0  # numbers: no text to count, item by item
    if hasattr(rows, "to_numpy"):
        rows = rows.to_numpy(dtype=object)
    values = np.asarray(rows, dtype=object).ravel().tolist()
    return sum(len(v) for v in values if isinstance(v, (str, bytes)))


def encoded_size(encoded: Mapping[str, Any]) -> int:
    """The size of encoded probe rows, as :func:`capture_rows` bounds it
    (``MAX_INPUT_BYTES``)."""
    return len(repr(encoded))


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
    return text if text.isprintable() else ascii(text)[1:-1]


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
    if _n_rows(rows) != probe.get("n_rows"):
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
    if _is_sparse(output):
        if isinstance(n_columns, int) and len(output.shape) == 2:
            output = output[:, :n_columns]
        if math.prod(output.shape) > MAX_OUTPUT_VALUES:
            return np.broadcast_to(np.zeros((), dtype=output.dtype), output.shape)
    found = _as_array(output)
    if isinstance(n_columns, int) and found.ndim >= 2:
        return found[:, :n_columns]
    return found
