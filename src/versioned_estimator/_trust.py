"""What the safe ``load`` lets an inner stream import, and the dry-run audit.

An exact allow-list, enforced in ``find_class`` while unpickling: deny-lists
are bypassed again and again (memo tricks, dotted names, gadgets). Trust comes
only from the caller's ``trusted=[...]``, never from the file. The built-in
list is frozen; a caller's additions live in a new :class:`TrustGate` per load.

Allowed without asking: builtin containers, numpy's array, dtype, scalar and
random-state reconstructors, numpy ufuncs, scikit-learn *classes* (plus the
pure metric and feature-scoring functions that searches and selectors keep,
and the ``__pyx_unpickle_<Class>`` helpers Cython writes for allowed classes),
scipy's sparse and frozen-distribution classes, and a few exact names that
fitted estimators keep by default (``functools.partial`` of ``check_array``,
``numpy.mean``, ``BSpline``, the k-means kernels).

A class or function is admitted only under the name it is defined with
(``obj.__module__`` and ``obj.__qualname__``, which is what pickle writes):
a scikit-learn module that merely imports ``operator.attrgetter``,
``threading.Thread`` or ``unittest.mock.Mock`` does not make them scikit-learn
classes. Test modules, build helpers and experimental switches are never
imported on a file's say-so.
"""

from __future__ import annotations

import functools
import importlib
import io
import itertools
import pickle
import sys
from collections.abc import Iterable
from types import MappingProxyType, ModuleType
from typing import Any

__all__ = ["DANGEROUS", "TrustGate", "audit_stream", "is_allowed", "runs_code"]

_EXACT: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "builtins": frozenset(
            {
                "dict",
                "list",
                "set",
                "frozenset",
                "tuple",
                "slice",
                "complex",
                "bytearray",
                "bytes",
                "int",
                "float",
                "str",
                "bool",
                "range",
                "object",
            }
        ),
        "copyreg": frozenset({"_reconstructor"}),
        # HistGradientBoosting on a DataFrame with categorical dtypes keeps
        # partial(check_array, ...) in its preprocessor.
        "functools": frozenset({"partial"}),
        "sklearn.utils.validation": frozenset({"check_array"}),
        # Defaults that fitted estimators keep: BisectingKMeans' algorithm,
        # FeatureAgglomeration's pooling_func, SplineTransformer's splines.
        "sklearn.cluster._kmeans": frozenset(
            {"_kmeans_single_lloyd", "_kmeans_single_elkan"}
        ),
        # scipy >= 1.18 pickles BSpline through its private _BSpline.
        "scipy.interpolate._bsplines": frozenset({"BSpline", "_BSpline"}),
        "scipy._lib.array_api_compat.numpy._aliases": frozenset({"asarray"}),
        "_codecs": frozenset({"encode"}),
        "collections": frozenset({"OrderedDict", "defaultdict", "Counter", "deque"}),
        "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
        "numpy": frozenset({"dtype", "ndarray", "mean"}),
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
        "numpy.random.bit_generator": frozenset(
            {"SeedSequence", "__pyx_unpickle_SeedSequence"}
        ),
        "numpy.random._mt19937": frozenset({"MT19937"}),
        "numpy.random._pcg64": frozenset({"PCG64", "PCG64DXSM"}),
        "numpy.random._philox": frozenset({"Philox"}),
        "numpy.random._sfc64": frozenset({"SFC64"}),
    }
)

# Packages whose classes are allowed, minus modules that touch the outside world.
_CLASS_PACKAGES = ("sklearn", "scipy.sparse", "scipy.stats")
_EXCLUDED_MODULES = (
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.experimental",
    "sklearn.utils._testing",
    "sklearn.utils._test_common",
    "sklearn._build_utils",
)
# Module path parts that mark test code (importing it runs test set-up).
_EXCLUDED_PARTS = frozenset({"tests", "testing", "conftest"})
_CYTHON_UNPICKLE = "__pyx_unpickle_"
# Pure functions that fitted scikit-learn objects keep as attributes.
_FUNCTION_MODULES = (
    "sklearn.metrics",
    "sklearn.feature_selection._univariate_selection",
    "sklearn.feature_selection._mutual_info",
)

DANGEROUS: frozenset[str] = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "shutil",
        "socket",
        "pty",
        "ctypes",
        "importlib",
        "runpy",
        "code",
        "codeop",
        "webbrowser",
        "pdb",
        "marshal",
        "multiprocessing",
        "signal",
        "asyncio",
        "urllib",
        "http",
        "ftplib",
        "telnetlib",
        "smtplib",
        "tempfile",
        "io",
        "_io",
        "pathlib",
        "pickle",
        "_pickle",
        "shelve",
        "dill",
        "cloudpickle",
        "joblib",
        "commands",
        "platform",
        "timeit",
        "threading",
        "_thread",
        "operator",
        "functools",
        "types",
        "inspect",
        "gc",
        "sqlite3",
        "zipimport",
    }
)
_DANGEROUS_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "getattr",
        "setattr",
        "delattr",
        "__import__",
        "globals",
        "locals",
        "vars",
        "breakpoint",
        "input",
        "help",
        "memoryview",
        "print",
        "exit",
        "quit",
        "apply",
        "execfile",
        "file",
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
    # The split between module and name is the file's choice (``builtins`` +
    # ``eval.__call__``, or a report's ``"builtins.eval.__call__".rsplit(".")``):
    # judge the whole dotted path.
    if name in _EXACT.get(module, ()):
        return False
    parts = f"{module}.{name}".split(".")
    if parts[0] in ("builtins", "__builtin__"):
        return len(parts) > 2 or (len(parts) == 2 and parts[1] in _DANGEROUS_BUILTINS)
    if parts[0] in DANGEROUS or module in DANGEROUS:
        return True
    # A dunder attribute reached through a dotted name (``f.__globals__``,
    # ``cls.__subclasses__``, ``system.__call__``) starts a gadget chain.
    if any(_is_dunder(part) for part in parts[1:]):
        return True
    # What a scikit-learn module merely imports (``operator.attrgetter`` as
    # ``sklearn.feature_selection._base.attrgetter``, ``os`` as
    # ``sklearn.utils.parallel.os``) is judged where it lives.
    home = _home(parts)
    return home is not None and runs_code(*home)


def _home(parts: list[str]) -> tuple[str, str] | None:
    """Where a dotted path inside an allowed package really leads, if elsewhere."""
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        if not _in(module, _CLASS_PACKAGES) or _excluded(module):
            return None
        obj = _resolve(module, ".".join(parts[cut:]))
        if obj is None:
            continue
        home: object
        if isinstance(obj, ModuleType):
            home, name = obj.__name__, ""
        else:
            home = getattr(obj, "__module__", None)
            name = str(getattr(obj, "__qualname__", None) or parts[-1])
        if not isinstance(home, str) or _in(home, _CLASS_PACKAGES):
            return None
        return home, name
    return None


def _is_dunder(part: str) -> bool:
    return len(part) > 4 and part.startswith("__") and part.endswith("__")


def _resolve(module: str, name: str) -> Any:
    try:
        obj: Any = importlib.import_module(module)
    except Exception:
        return None
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _in(module: str, packages: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _excluded(module: str) -> bool:
    return _in(module, _EXCLUDED_MODULES) or any(
        part in _EXCLUDED_PARTS or part.startswith("test_")
        for part in module.split(".")
    )


def _defined_as(obj: Any, module: str, name: str) -> bool:
    """Whether ``obj`` is defined at ``module.name``, not merely imported there."""
    return (
        getattr(obj, "__module__", None) == module
        and getattr(obj, "__qualname__", None) == name
    )


def _allowed_class(module: str, name: str) -> bool:
    obj = _resolve(module, name)
    return isinstance(obj, type) and _defined_as(obj, module, name)


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
    if "." in name or not name.isidentifier():
        return False
    if "." not in module and module not in _EXACT:
        return _allowed_in_alias(module, name)
    if module == "numpy":
        import numpy as np

        obj = getattr(np, name, None)
        is_scalar_type = isinstance(obj, type) and issubclass(obj, np.generic)
        return is_scalar_type or isinstance(obj, np.ufunc)
    if name.startswith("__") or not _in(module, _CLASS_PACKAGES) or _excluded(module):
        return name.startswith(_CYTHON_UNPICKLE) and _cython_unpickle(module, name)
    if _allowed_class(module, name):
        return True
    if _in(module, _FUNCTION_MODULES) and not name.startswith("_"):
        obj = _resolve(module, name)
        return (
            callable(obj)
            and not isinstance(obj, type)
            and _defined_as(obj, module, name)
        )
    return False


def _allowed_in_alias(module: str, name: str) -> bool:
    """A class of a Cython extension module that registers itself under its bare
    name too: scikit-learn 1.7's ``sklearn._loss._loss`` is also
    ``sys.modules["_loss"]``, and its classes say ``__module__ == "_loss"``, so
    their pickles name ``_loss.CyHalfGammaLoss``. Allowed when that bare module
    is already imported as the very same object as a module of an allowed
    package; nothing is imported to find out."""
    alias = sys.modules.get(module)
    if alias is None:
        return False
    for full, candidate in list(sys.modules.items()):
        if candidate is alias and full != module:
            if not _in(full, _CLASS_PACKAGES) or _excluded(full):
                continue
            obj = getattr(alias, name, None)
            if name.startswith(_CYTHON_UNPICKLE):
                owner = getattr(alias, name[len(_CYTHON_UNPICKLE) :], None)
                return isinstance(owner, type) and _defined_as(obj, module, name)
            return isinstance(obj, type) and _defined_as(obj, module, name)
    return False


def _cython_unpickle(module: str, name: str) -> bool:
    """Cython's ``__pyx_unpickle_<Class>`` for an allowed extension class: it
    only rebuilds an instance of that class from its state."""
    if not _in(module, _CLASS_PACKAGES) or _excluded(module):
        return False
    owner = name[len(_CYTHON_UNPICKLE) :]
    return (
        owner.isidentifier()
        and not owner.startswith("__")
        and _allowed_class(module, owner)
        and _defined_as(_resolve(module, name), module, name)
    )


# ----------------------------------------------------------------------------
# Gate (used by the safe load) and dry run (used by audit)
# ----------------------------------------------------------------------------


def _ignore(*args: Any) -> None:
    pass


def _class_build(owner: type, *state: Any) -> None:
    builds = vars(owner).get("_ve_builds")
    if isinstance(builds, list):
        builds.append(vars(owner)["_ve_name"])


class _SetState:
    """``__setstate__`` of stubs. BUILD on a stub instance does nothing; BUILD
    on a stub *class* is recorded: no model's pickle sets state on a class
    object, and the real unpickler would set it as class attributes, changing
    the class for the whole process."""

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return functools.partial(_class_build, owner)
        return _ignore


class _StubMeta(type):
    """Class-level operations a stream may apply to a stub class (BUILD, SETITEMS,
    APPENDS, ADDITEMS on the class itself) succeed and do nothing, so that a dry
    run is never stopped by a stub where the real load would go on."""

    def __getattr__(cls, name: str) -> Any:
        if _is_dunder(name):
            raise AttributeError(name)
        return _Stub()

    def __setitem__(cls, key: Any, value: Any) -> None:
        pass


class _Stub(metaclass=_StubMeta):
    """Stands in for any global in a dry run: builds nothing, accepts anything."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Stub:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Stub:
        return _Stub()

    __setstate__ = _SetState()

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        # ``append``, ``extend``, ``add`` (APPENDS, ADDITEMS) and anything else.
        if _is_dunder(name):
            raise AttributeError(name)
        return _Stub()


def _stub_class(full_name: str, builds: list[str] | None = None) -> type:
    name = full_name.rpartition(".")[2]
    namespace = {"_ve_name": full_name, "_ve_builds": builds}
    return _StubMeta(name if name.isidentifier() else "Stub", (_Stub,), namespace)


class _Refused(pickle.UnpicklingError):
    """Raised from ``find_class`` at the first global outside the allow-list."""


class TrustGate:
    """Per-load allow-list: the frozen built-in list plus the caller's names.

    Called from ``find_class``. The first untrusted name is recorded and stops
    the unpickling there, before anything else the stream names is resolved or
    called; the load then raises
    :class:`~versioned_estimator.UntrustedGlobalError` listing every untrusted
    name the dry run (:func:`audit_stream`) finds in the stream.
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
        raise _Refused(f"{full} is not allowed; nothing it names was imported.")


class _DryRun(pickle.Unpickler):
    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), buffers=itertools.repeat(b""))
        self.names: list[str] = []
        self.class_builds: list[str] = []

    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        if full not in self.names:
            self.names.append(full)
        return _stub_class(full, self.class_builds)


def audit_stream(stream: bytes) -> tuple[list[str], str | None]:
    """Every global an inner stream would import, in order, found by a dry run.

    Returns
    -------
    names : list of str
    error : str or None
        Why the dry run stopped early, if it did (a corrupt stream), or what
        else makes the stream unsafe although every name is allowed (state
        set on a class object itself).
    """
    dry = _DryRun(stream)
    try:
        dry.load()
    except Exception as exc:
        return dry.names, f"{type(exc).__name__}: {exc}"
    if dry.class_builds:
        classes = ", ".join(dict.fromkeys(dry.class_builds))
        return dry.names, (
            f"the stream sets attributes on the class {classes} itself (BUILD on "
            "a class object), which no model's pickle does: loading it would "
            "change that class for the whole process"
        )
    return dry.names, None
