"""The names a model's pickle gives its globals, and where they live now.

A pickle names every class and function by ``module.qualname``. Libraries
move things between releases; users rename their own modules and classes.
:func:`resolve_name` maps a name read from a file, in order, through

1. the caller's ``module_aliases`` (``{"old.module": "new.module"}``, or a
   whole name ``{"old.mod.OldClass": "new.mod.NewClass"}``);
2. the known renames of scikit-learn and numpy (:data:`KNOWN_RENAMES`,
   and :data:`KNOWN_CLASS_RENAMES` for removed classes, read through a
   stand-in of ours in ``_compat``), each found by loading models pickled by
   real older releases (scikit-learn 1.6.1, 1.7.2, 1.8.0 with numpy 1.26 and
   2.x, under 1.9.1: 2308 files, every one loading after these);
3. numpy's core module, whose name depends on the numpy installed.

The result says what was remapped, for the verification report, and the
allow-list then judges the name the object really has.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

__all__ = [
    "KNOWN_CLASS_RENAMES",
    "KNOWN_RENAMES",
    "Resolved",
    "apply_alias",
    "numpy_core_module",
    "resolve_name",
]

# old module -> new module, for names that releases of scikit-learn and numpy
# wrote and the current ones define elsewhere. Each entry says where it was
# found; tests/test_cross_release.py loads real files of those releases.
KNOWN_RENAMES: Mapping[str, str] = MappingProxyType(
    {
        # scikit-learn 1.6 and 1.7 register their Cython loss classes under the
        # bare module name "_loss": HistGradientBoosting pickles name
        # "_loss.CyHalfBinomialLoss" (and the other losses).
        "_loss": "sklearn._loss._loss",
    }
)

# old "module.qualname" -> (new, the scikit-learn release that removed the
# old one): classes that were removed, read through a stand-in of ours.
KNOWN_CLASS_RENAMES: Mapping[str, tuple[str, tuple[int, int]]] = MappingProxyType(
    {
        # scikit-learn 1.6 kept a ColumnTransformer's remainder columns in this
        # UserList; 1.7 removed it (found loading 1.6.1 pickles under 1.9.1).
        "sklearn.compose._column_transformer._RemainderColsList": (
            "versioned_estimator._compat.RemainderColsList",
            (1, 7),
        ),
    }
)

_NUMPY_2 = int(np.__version__.split(".")[0]) >= 2


@functools.cache
def _sklearn_release() -> tuple[int, int]:
    """The installed scikit-learn's (major, minor), read without importing it,
    once a process (0.3 ms a read: a stream naming a renamed class 10,000
    times kept a load 5 s, round 121)."""
    import importlib.metadata

    try:
        version = importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        return (0, 0)
    parts = version.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (IndexError, ValueError):
        return (0, 0)


def numpy_core_module(module: str) -> str:
    """Map numpy's core module between its numpy 1 and numpy 2 names.

    numpy 2 renamed ``numpy.core`` to ``numpy._core``: a numpy 2 pickle names
    ``numpy._core.numeric._frombuffer``, which numpy 1 cannot import, and a
    numpy 1 pickle names ``numpy.core``, which numpy 2 imports with a
    DeprecationWarning. The reconstructors are the same functions under both
    names (checked bit for bit across real numpy 1.26 and 2.x releases).

    Examples
    --------
    >>> numpy_core_module("numpy.core.multiarray") == (
    ...     "numpy._core.multiarray" if _NUMPY_2 else "numpy.core.multiarray")
    True
    >>> numpy_core_module("sklearn.tree._tree")
    'sklearn.tree._tree'
    """
    if _NUMPY_2 and (module == "numpy.core" or module.startswith("numpy.core.")):
        return "numpy._core" + module[len("numpy.core") :]
    if not _NUMPY_2 and (module == "numpy._core" or module.startswith("numpy._core.")):
        return "numpy.core" + module[len("numpy._core") :]
    return module


def apply_alias(module: str, aliases: Mapping[str, str]) -> str:
    """Map ``module`` through ``{"old": "new"}`` aliases, longest prefix first.

    Examples
    --------
    >>> apply_alias("models.trees", {"models": "classifiers"})
    'classifiers.trees'
    >>> apply_alias("modelsx", {"models": "classifiers"})
    'modelsx'
    """
    for old in sorted(aliases, key=len, reverse=True):
        if module == old or module.startswith(old + "."):
            return aliases[old] + module[len(old) :]
    return module


class Resolved:
    """A name read from a file, and the one it resolves to here."""

    __slots__ = ("how", "module", "name", "original")

    def __init__(self, module: str, name: str, original: str, how: str | None) -> None:
        self.module = module
        self.name = name
        self.original = original
        self.how = how  # None, "alias", "class alias", "known rename", "numpy"

    @property
    def full(self) -> str:
        """Where it is imported from here."""
        return f"{self.module}.{self.name}"

    @property
    def canonical(self) -> str:
        """The name the allow-list knows it by (numpy 2's spelling of numpy's
        core module, whichever numpy is installed)."""
        module = self.module
        if module == "numpy.core" or module.startswith("numpy.core."):
            module = "numpy._core" + module[len("numpy.core") :]
        return f"{module}.{self.name}"


def resolve_name(
    module: str, name: str, aliases: Mapping[str, str] | None = None
) -> Resolved:
    """Where ``module.name`` from a file lives here.

    Examples
    --------
    >>> resolve_name("_loss", "CyHalfBinomialLoss").full
    'sklearn._loss._loss.CyHalfBinomialLoss'
    >>> r = resolve_name("shop.models", "Old", {"shop.models.Old": "shop.v2.New"})
    >>> r.full, r.how
    ('shop.v2.New', 'class alias')
    """
    original = f"{module}.{name}"
    how: str | None = None
    if aliases:
        target = aliases.get(original)
        if target is not None and "." in target:
            module, _, name = target.rpartition(".")
            how = "class alias"
        else:
            moved = apply_alias(module, aliases)
            if moved != module:
                module, how = moved, "alias"
    if how is None:
        replaced = KNOWN_CLASS_RENAMES.get(original)
        if replaced is not None and _sklearn_release() >= replaced[1]:
            module, _, name = replaced[0].rpartition(".")
            how = "known rename"
    if how is None:
        moved = apply_alias(module, KNOWN_RENAMES)
        if moved != module:
            module, how = moved, "known rename"
    core = numpy_core_module(module)
    if core != module:
        module = core
        how = how or "numpy"
    return Resolved(module, name, original, how)
