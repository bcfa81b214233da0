"""Whether two estimators have the same settings: one comparison for the
writer and the safe load.

The writer asks it of a wrapper's ``estimator`` parameter and the fitted
estimator (a parameter changed after fit, ``set_params(estimator__C=0.5)``,
must survive a round trip, so the stream then carries it too); the safe load
asks it of a member an ensemble fit by cloning a parameter and that
parameter (a member of other settings than its template was not fit from
it). Both compare what ``get_params(deep=False)`` gives, recursively:
arrays by dtype, shape and values (NaN equal to NaN, as a missing-value
marker is given), objects without parameters by their state. Every value
compared counts against a budget: the load compares graphs from a file,
whose shared parts, compared path by path, double at every level.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

__all__ = ["MOST_COMPARED", "same_settings"]

#: The most values two estimators' parameters are compared through; past it
#: they are not the same.
MOST_COMPARED = 100_000


def same_settings(
    a: Any,
    b: Any,
    *,
    ignore: Collection[str] = (),
    random_states: bool = True,
    budget: list[int] | None = None,
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
    budget : list of one int, optional
        Values left to compare, shared by a caller's comparisons.

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
    budget = [MOST_COMPARED] if budget is None else budget
    return _same_settings(a, b, ignore, random_states, budget)


def _same_settings(
    a: Any, b: Any, ignore: Collection[str], random_states: bool, budget: list[int]
) -> bool:
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
        or (not random_states and name.endswith("random_state"))
        or _same_value(mine[name], theirs[name], random_states, budget)
        for name in mine
    )


def _same_value(a: Any, b: Any, random_states: bool, budget: list[int]) -> bool:
    budget[0] -= 1
    if a is b:
        return True
    if budget[0] < 0 or type(a) is not type(b):
        return False
    if hasattr(a, "get_params") and not isinstance(a, type):
        return _same_settings(a, b, (), random_states, budget)
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.hasobject:
            # Item by item, counted: numpy would compare lists nested into
            # themselves path by path.
            return all(
                _same_value(x, y, random_states, budget)
                for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True)
            )
        budget[0] -= a.size
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(
            _same_value(x, y, random_states, budget) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(
            _same_value(a[key], b[key], random_states, budget) for key in a
        )
    if isinstance(a, float) and a != a:
        return bool(b != b)  # NaN
    if isinstance(a, (str, bytes, int, float, complex, bool, np.generic)):
        return bool(a == b)
    namespace = getattr(a, "__dict__", None)
    if isinstance(namespace, dict) and not isinstance(a, type):
        # A scorer, a joblib Memory: cloning copied it, its state is equal.
        return _same_value(
            namespace, getattr(b, "__dict__", None), random_states, budget
        )
    try:
        return bool(a == b)
    except Exception:  # values that do not compare plainly
        return False
