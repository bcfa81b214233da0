"""Stand-ins for classes that older scikit-learn releases pickled and the
current one removed, so that their models still load (see ``_names``).

Each stand-in rebuilds from the state the old class pickled, and behaves as
the current release expects in its place; each is backed by a test that
loads a file written by the real old release and compares its predictions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RemainderColsList"]


class RemainderColsList(list):  # type: ignore[type-arg]
    """``sklearn.compose._column_transformer._RemainderColsList``.

    scikit-learn 1.6 kept the remainder columns of a ``ColumnTransformer``
    in this ``collections.UserList`` (to warn about a future dtype change);
    1.7 removed it and keeps a plain list. Its pickled state is
    ``{"data": [...], "future_dtype": ..., ...}``: the columns are ``data``.

    Examples
    --------
    >>> cols = RemainderColsList.__new__(RemainderColsList)
    >>> cols.__setstate__({"data": [2, 3], "future_dtype": "str"})
    >>> cols == [2, 3]
    True
    """

    def __setstate__(self, state: Any) -> None:
        data = state.get("data", []) if isinstance(state, dict) else []
        self[:] = list(data)
