"""Whether two estimators have the same settings: one comparison for the
writer and the safe load.

The writer asks it of a wrapper's ``estimator`` parameter and the fitted
estimator (a parameter changed after fit, ``set_params(estimator__C=0.5)``,
must survive a round trip, so the stream then carries it too); the safe load
asks it of a member an ensemble fit by cloning a parameter and that
parameter (a member of other settings than its template was not fit from
it). Both compare what ``get_params(deep=False)`` gives, recursively:
arrays by dtype, shape and values (NaN equal to NaN, as a missing-value
marker is given), code (a function) as the same object, objects without
parameters by their state. A search's best parameters are one of its
candidates by :func:`same_value`, numbers by value. Every pair of
objects compared counts against a bound, and is compared once: the load
compares graphs from a file, whose shared parts, compared path by path,
double at every level.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Collection
from typing import Any

import numpy as np

__all__ = ["MOST_COMPARED", "UNBOUNDED", "same_settings", "same_value"]

#: The most values two estimators' parameters are compared through; past it
#: they are not the same. Each pair of objects counts once however often the
#: graphs refer to it, and a container of plain values (a vocabulary) or an
#: array once: their own sizes are paid for by the file.
MOST_COMPARED = 100_000
#: For objects of the caller's own: a bound never reached.
UNBOUNDED = 1 << 62

_PLAIN = frozenset({str, bytes, int, float, bool, complex, type(None)})
#: Code, the same only as the same object: two functions' namespaces are
#: both empty, whatever they run.
_CODE = (types.FunctionType, types.BuiltinFunctionType, np.ufunc)


def same_settings(
    a: Any,
    b: Any,
    *,
    ignore: Collection[str] = (),
    random_states: bool = True,
    most: int = MOST_COMPARED,
) -> bool:
    """Whether ``a`` is of ``b``'s class with its parameters.

    Parameters
    ----------
    a, b : estimator
    ignore : collection of str, default=()
        Parameters of ``a`` and ``b`` (not of their nested estimators) left
        out of the comparison.
    random_states : bool, default=True
        Whether parameters named ``*random_state``, at every depth, count:
        an ensemble draws every one of its members', however deep.
    most : int, default=MOST_COMPARED
        The most pairs of values compared before giving up (not the same).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> same_settings(LogisticRegression(C=1), LogisticRegression(C=1))
    True
    >>> same_settings(LogisticRegression(C=1), LogisticRegression(C=0.5))
    False
    >>> same_settings(
    ...     LogisticRegression(random_state=1),
    ...     LogisticRegression(random_state=2),
    ...     random_states=False,
    ... )
    True
    """
    return _Comparison(random_states, most).settings(a, b, ignore)


def same_value(a: Any, b: Any, *, most: int = MOST_COMPARED) -> bool:
    """Whether ``a`` and ``b`` are the same parameter value.

    As :func:`same_settings` compares its parameters, except that numbers
    of one kind are the same by value whatever their types (a grid's
    ``np.float64`` and the ``float`` a search reports for it); never an
    integer and a real (``max_features=1`` is one feature, ``1.0`` all of
    them), nor a bool and a number.

    Parameters
    ----------
    a, b : object
    most : int, default=MOST_COMPARED
        The most pairs of values compared before giving up (not the same).

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> same_value(np.float64(0.5), 0.5), same_value(1, 1.0), same_value(True, 1)
    (True, False, False)
    """
    return _Comparison(True, most, numbers=True).value(a, b)


def _number_kind(value: Any) -> str | None:
    """ "i" for an integer, "f" for a real number, else None (a bool too)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return "i"
    if isinstance(value, (float, np.floating)):
        return "f"
    return None


class _Comparison:
    """One comparison: what is left to compare, and the pairs already met
    (taken as equal while being compared, so a graph that holds itself ends)."""

    def __init__(self, random_states: bool, most: int, numbers: bool = False) -> None:
        self.random_states = random_states
        self.left = most
        self.numbers = numbers
        self.met: dict[tuple[int, int], bool] = {}

    def settings(self, a: Any, b: Any, ignore: Collection[str] = ()) -> bool:
        if a is b:
            return True
        if type(a) is not type(b):
            return False
        try:
            mine = a.get_params(deep=False)
            theirs = b.get_params(deep=False)
        except Exception:  # parameters too broken to read
            return False
        if mine.keys() != theirs.keys():
            return False
        return all(
            name in ignore
            or (not self.random_states and name.endswith("random_state"))
            or self.value(mine[name], theirs[name])
            for name in mine
        )

    def value(self, a: Any, b: Any) -> bool:
        if a is b:
            return True
        if type(a) is not type(b):
            number = _number_kind(a) if self.numbers else None
            if number is not None and number == _number_kind(b):
                return bool(a == b)
            return False
        kind = type(a)
        if kind in _PLAIN:
            if kind is float and a != a:
                return bool(b != b)  # NaN, as a missing value is given
            return bool(a == b)
        pair = (id(a), id(b))
        if pair in self.met:
            return self.met[pair]
        self.left -= 1
        if self.left < 0:
            return False
        self.met[pair] = True
        same = self._compare(a, b)
        self.met[pair] = same
        return same

    def _compare(self, a: Any, b: Any) -> bool:
        if hasattr(a, "get_params") and not isinstance(a, type):
            return self.settings(a, b)
        if isinstance(a, _CODE):
            return False  # not the same object
        if isinstance(a, types.MethodType):
            return a.__func__ is b.__func__ and self.value(a.__self__, b.__self__)
        if isinstance(a, functools.partial):
            return self.items(
                (a.func, a.args, a.keywords), (b.func, b.args, b.keywords)
            )
        if isinstance(a, np.ndarray):
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            if a.dtype.hasobject:
                # Item by item: numpy would compare lists nested into
                # themselves path by path.
                return self.items(a.ravel().tolist(), b.ravel().tolist())
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        if isinstance(a, (list, tuple)):
            return self.items(a, b)
        if isinstance(a, dict):
            if a.keys() != b.keys():
                return False
            return self.items(list(a.values()), [b[key] for key in a])
        namespace = getattr(a, "__dict__", None)
        if isinstance(namespace, dict) and not isinstance(a, type):
            # A scorer, a joblib Memory: cloning copied it, its state is equal.
            return self.value(namespace, getattr(b, "__dict__", None))
        try:
            return bool(a == b)
        except Exception:  # values that do not compare plainly
            return False

    def items(self, a: Any, b: Any) -> bool:
        if len(a) != len(b):
            return False
        if all(type(x) in _PLAIN for x in a) and all(type(y) in _PLAIN for y in b):
            return bool(a == b)  # plain values, compared in C
        return all(self.value(x, y) for x, y in zip(a, b, strict=True))
