"""The probe's rows: a few training rows, taken at fit and kept as plain data.

At fit, the rows are taken at evenly spaced positions of the training ``X``
(first and last included), not just its head, so sorted data still gives a
varied probe; they are kept as plain data in the envelope (so they are stored
in the file: set ``probe_size=0`` to keep training rows out). What the model
gives on them, and the replay at load, are ``_probe``'s: a worker that only
fits takes rows and never imports the replay.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import decode_array, encode_array, own_texts

__all__ = [
    "MAX_INPUT_BYTES",
    "capture_rows",
    "decode_input",
    "encode_input",
    "encoded_size",
    "is_sparse",
    "n_rows",
    "spread_rows",
    "text_size",
]

# Bounds that keep the envelope small whatever the model's size.
MAX_INPUT_BYTES = 256 * 1024


def _is_dataframe(X: Any) -> bool:
    return type(X).__name__ == "DataFrame" and hasattr(X, "iloc")


def is_sparse(X: Any) -> bool:
    """Whether ``X`` is a scipy sparse matrix or array."""
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
    total = n_rows(X)
    if total <= n:
        index = np.arange(total)
    else:
        index = np.unique(np.linspace(0, total - 1, n).round().astype(np.intp))
    if _is_dataframe(X):
        return X.iloc[index]
    if is_sparse(X):
        return X.tocsr()[index]
    if isinstance(X, np.ndarray):
        return X[index]
    items = X if hasattr(X, "__getitem__") and hasattr(X, "__len__") else list(X)
    return [items[int(i)] for i in index]


def encode_input(X: Any) -> dict[str, Any]:
    """Encode probe rows as plain data; ``TypeError`` when they cannot be kept."""
    if _is_dataframe(X):
        # Plain text and integers only (numpy's text is str's subclass).
        columns = [c if type(c) in (str, int) else str(c) for c in X.columns]
        return {
            "kind": "dataframe",
            "columns": columns,
            "dtypes": [str(t) for t in X.dtypes],
            "data": [encode_array(X.iloc[:, i].to_numpy()) for i in range(X.shape[1])],
        }
    if is_sparse(X):
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
        while encoded_size(encoded) > MAX_INPUT_BYTES and n_rows(rows) > 1:
            rows = spread_rows(rows, max(1, n_rows(rows) // 2))
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
    # each long text its own object, across columns too (own_texts)
    return {"n_rows": n_rows(rows), "X": own_texts(encoded)}


def n_rows(X: Any) -> int:
    """How many rows ``X`` has (its first dimension, else its length)."""
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
    if rows is None or is_sparse(rows):
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
