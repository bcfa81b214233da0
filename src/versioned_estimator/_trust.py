"""What the safe ``load`` lets an inner stream import, and the dry-run audit.

An exact allow-list, enforced in ``find_class`` while unpickling: deny-lists
are bypassed again and again (memo tricks, dotted names, gadgets). Trust comes
only from the caller's ``trusted=[...]``, never from the file. The built-in
list is frozen; a caller's additions live in a new :class:`TrustGate` per load.

Allowed without asking: builtin containers, numpy's array, dtype, scalar and
random-state reconstructors, numpy ufuncs, scikit-learn *classes* (plus the
pure metric and feature-scoring functions that searches and selectors keep),
and scipy's sparse and frozen-distribution classes.
"""

from __future__ import annotations

import importlib
import io
import itertools
import pickle
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

__all__ = ["DANGEROUS", "TrustGate", "audit_stream", "is_allowed", "runs_code"]

_EXACT: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "builtins": frozenset(
            {
                "dict", "list", "set", "frozenset", "tuple", "slice", "complex",
                "bytearray", "bytes", "int", "float", "str", "bool", "range",
                "object",
            }
        ),
        "copyreg": frozenset({"_reconstructor"}),
        "_codecs": frozenset({"encode"}),
        "collections": frozenset({"OrderedDict", "defaultdict", "Counter", "deque"}),
        "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
        "numpy": frozenset({"dtype", "ndarray"}),
        "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
        "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
        "numpy._core.numeric": frozenset({"_frombuffer"}),
        "numpy.core.numeric": frozenset({"_frombuffer"}),
        "numpy.ma.core": frozenset({"_mareconstruct", "MaskedArray"}),
        "numpy.ma": frozenset({"MaskedArray"}),
        # KDTree and BallTree reduce through a module-level helper.
        "sklearn.neighbors._kd_tree": frozenset({"newObj"}),
        "sklearn.neighbors._ball_tree": frozenset({"newObj"}),
        "numpy.random._pickle": frozenset(
            {"__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor"}
        ),
        "numpy.random.mtrand": frozenset({"RandomState"}),
        "numpy.random._generator": frozenset({"Generator"}),
        "numpy.random.bit_generator": frozenset({"SeedSequence"}),
        "numpy.random._mt19937": frozenset({"MT19937"}),
        "numpy.random._pcg64": frozenset({"PCG64", "PCG64DXSM"}),
        "numpy.random._philox": frozenset({"Philox"}),
        "numpy.random._sfc64": frozenset({"SFC64"}),
    }
)

# Packages whose classes are allowed, minus modules that touch the outside world.
_CLASS_PACKAGES = ("sklearn", "scipy.sparse", "scipy.stats")
_EXCLUDED_MODULES = ("sklearn.datasets", "sklearn.externals", "sklearn.utils._testing")
# Pure functions that fitted scikit-learn objects keep as attributes.
_FUNCTION_MODULES = ("sklearn.metrics", "sklearn.feature_selection._univariate_selection",
                     "sklearn.feature_selection._mutual_info")

DANGEROUS: frozenset[str] = frozenset(
    {
        "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "pty",
        "ctypes", "importlib", "runpy", "code", "codeop", "webbrowser", "pdb",
        "marshal", "multiprocessing", "signal", "asyncio", "urllib", "http",
        "ftplib", "telnetlib", "smtplib", "tempfile", "io", "_io", "pathlib",
        "pickle", "_pickle", "shelve", "dill", "cloudpickle", "joblib",
        "commands", "platform", "timeit", "threading", "_thread", "operator",
        "functools", "types", "inspect", "gc", "sqlite3", "zipimport",
    }
)
_DANGEROUS_BUILTINS = frozenset(
    {
        "eval", "exec", "compile", "open", "getattr", "setattr", "delattr",
        "__import__", "globals", "locals", "vars", "breakpoint", "input", "help",
        "memoryview", "print", "exit", "quit", "apply", "execfile", "file",
    }
)


def runs_code(module: str, name: str) -> bool:
    """Whether a global is known to run code, spawn processes or touch files.

    Examples
    --------
    >>> runs_code("os", "system"), runs_code("builtins", "eval")
    (True, True)
    >>> runs_code("sklearn.linear_model._logistic", "LogisticRegression")
    False
    """
    top = module.partition(".")[0]
    if module in ("builtins", "__builtin__"):
        return name in _DANGEROUS_BUILTINS
    return top in DANGEROUS or module in DANGEROUS


def _resolve(module: str, name: str) -> Any:
    try:
        obj: Any = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - anything failing to import is not allowed
        return None
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _in(module: str, packages: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def is_allowed(module: str, name: str) -> bool:
    """Whether the built-in allow-list admits ``module.name``.

    Examples
    --------
    >>> is_allowed("sklearn.linear_model._logistic", "LogisticRegression")
    True
    >>> is_allowed("os", "system")
    False
    >>> is_allowed("sklearn.datasets._openml", "fetch_openml")
    False
    """
    if name in _EXACT.get(module, ()):
        return True
    if "." in name or name.startswith("__") or not name.isidentifier():
        return False
    if _in(module, _EXCLUDED_MODULES):
        return False
    if module == "numpy":
        import numpy as np

        obj = getattr(np, name, None)
        is_scalar_type = isinstance(obj, type) and issubclass(obj, np.generic)
        return is_scalar_type or isinstance(obj, np.ufunc)
    if _in(module, _CLASS_PACKAGES):
        obj = _resolve(module, name)
        if isinstance(obj, type):
            return True
        if _in(module, _FUNCTION_MODULES) and callable(obj):
            return _in(getattr(obj, "__module__", "") or "", _FUNCTION_MODULES)
    return False


# ----------------------------------------------------------------------------
# Gate (used by the safe load) and dry run (used by audit)
# ----------------------------------------------------------------------------


class _Stub:
    """Stands in for any global in a dry run or after a refusal: builds nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Stub:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Stub:
        return _Stub()

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass


def _stub_class(full_name: str) -> type:
    return type(full_name.rpartition(".")[2] or "Stub", (_Stub,), {})


class TrustGate:
    """Per-load allow-list: the frozen built-in list plus the caller's names.

    Called from ``find_class``; an untrusted name is recorded and replaced by an
    inert stub so the rest of the stream can still be scanned, then the load
    raises :class:`~versioned_estimator.UntrustedGlobalError` listing them all.
    """

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        self.trusted = frozenset(trusted)
        self.untrusted: list[str] = []

    def __call__(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        if full in self.trusted or is_allowed(module, name):
            return None
        if full not in self.untrusted:
            self.untrusted.append(full)
        return _stub_class(full)


class _DryRun(pickle.Unpickler):
    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), buffers=itertools.repeat(b""))
        self.names: list[str] = []

    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        if full not in self.names:
            self.names.append(full)
        return _stub_class(full)


def audit_stream(stream: bytes) -> tuple[list[str], str | None]:
    """Every global an inner stream would import, in order, found by a dry run.

    Returns
    -------
    names : list of str
    error : str or None
        Why the dry run stopped early, if it did (a corrupt stream).
    """
    dry = _DryRun(stream)
    try:
        dry.load()
    except Exception as exc:  # noqa: BLE001 - a broken stream is reported
        return dry.names, f"{type(exc).__name__}: {exc}"
    return dry.names, None
