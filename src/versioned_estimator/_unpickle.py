"""Unpickling a model's own pickle: every global it names remapped, and in
safe mode only the names and uses the dry run allowed.

The C unpickler with a ``find_class`` that resolves names through ``_names``
(``module_aliases``, known renames, numpy's core module). In safe mode the
scan and dry run of ``_inner`` have passed before it runs, ``numpy.dtype``
and ``_frombuffer`` are wrapped to check their arguments once more, and the
walk of ``_walk`` runs after. This is all a plain ``pickle.load`` of a
wrapper imports of the reading code: the checks live in their own modules.
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from versioned_estimator._names import resolve_name

if TYPE_CHECKING:
    from versioned_estimator._allowlist import Allowed

__all__ = ["FLOAT_NAME", "load_inner"]

#: The dtype descriptions numpy pickles a plain dtype by: a kind and a size.
FLOAT_NAME = re.compile(r"(?:[biufcSUVOMm]\d{0,9}|b1)")


class _Unpickler(pickle.Unpickler):
    """The C unpickler with names remapped, and in safe mode only the names
    and uses the dry run allowed."""

    def __init__(
        self,
        file: io.BytesIO,
        buffers: Sequence[Any],
        aliases: Mapping[str, str],
        allowed: Allowed | None,
    ) -> None:
        super().__init__(file, buffers=buffers)
        self._aliases = aliases
        self._allowed = allowed
        self.remapped: dict[str, str] = {}
        self.objects: set[int] = set()
        self.made: set[int] = set()  # what code the caller trusted returned

    def find_class(self, module: str, name: str) -> Any:
        resolved = resolve_name(module, name, self._aliases)
        if resolved.how is not None and resolved.how != "numpy":
            self.remapped[resolved.original] = resolved.full
        canonical = resolved.canonical
        if self._allowed is not None and not self._allowed.named(canonical):
            raise pickle.UnpicklingError(f"{canonical} is not allowed")
        found = super().find_class(resolved.module, resolved.name)
        self.objects.add(id(found))
        if self._allowed is not None and canonical in _SAFE_CALLABLES:
            found = _SAFE_CALLABLES[canonical](found)
        elif (
            self._allowed is not None
            and canonical in self._allowed.trusted
            and canonical.partition(".")[0] in _BY_VALUE_MODULES
            and callable(found)
            and not isinstance(found, type)
        ):
            # Only code that rebuilds code: any other trusted function (a
            # FunctionTransformer's func, a kernel) is a value of the model,
            # and must stay itself.
            found = _recording(found, self.made)
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not supported")


#: Where the functions live that rebuild code stored by value (cloudpickle's
#: ``_make_function``, ``_make_skeleton_class``, ``types.CodeType`` ...).
_BY_VALUE_MODULES = frozenset({"cloudpickle", "builtins", "types", "copyreg"})


def _recording(real: Any, made: set[int]) -> Any:
    """A function the caller trusted (cloudpickle's rebuilders of code stored
    by value): what it returns, and the class of that, may be in the model."""

    def call(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        made.add(id(out))
        return out

    return call


def _safe_dtype(real: Any) -> Any:
    """``numpy.dtype`` for safe loads: the dry run checked the state each
    dtype gets; here the description is checked once more."""

    def dtype(obj: Any, align: Any = False, copy: Any = False) -> Any:
        if not (isinstance(obj, str) and FLOAT_NAME.fullmatch(obj)):
            raise pickle.UnpicklingError(f"refused dtype description {obj!r}")
        return real(obj, bool(align), bool(copy))

    return dtype


def _safe_frombuffer(real: Any) -> Any:
    """numpy's ``_frombuffer`` for safe loads: never an object array."""

    def frombuffer(buf: Any, dtype: Any, shape: Any, order: Any, *rest: Any) -> Any:
        if not isinstance(dtype, np.dtype) or dtype.hasobject:
            raise pickle.UnpicklingError("refused an object array from raw bytes")
        return real(buf, dtype, shape, order, *rest)

    return frombuffer


_SAFE_CALLABLES: dict[str, Callable[[Any], Any]] = {
    "numpy.dtype": _safe_dtype,
    "numpy._core.numeric._frombuffer": _safe_frombuffer,
}


def load_inner(
    stream: bytes,
    buffers: Sequence[Any],
    *,
    aliases: Mapping[str, str] | None = None,
    allowed: Allowed | None = None,
) -> tuple[Any, dict[str, str], set[int], set[int]]:
    """Unpickle the inner stream with its buffers (zero-copy views).

    Returns
    -------
    estimator : object
    remapped : dict
        Names read from the file -> where they were found here.
    objects : set of int
        ids of the globals the stream resolved (for ``_walk.walk_loaded``).
    made : set of int
        ids of what functions the caller trusted returned (classes and
        functions stored by value): the walk admits them and their instances.
    """
    unpickler = _Unpickler(io.BytesIO(stream), buffers, aliases or {}, allowed)
    estimator = unpickler.load()
    remapped, objects, made = unpickler.remapped, unpickler.objects, unpickler.made
    unpickler.memo.clear()  # the memo holds every rebuilt array
    del unpickler
    return estimator, remapped, objects, made
