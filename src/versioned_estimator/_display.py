"""What scikit-learn's display of an estimator would cost, weighed before
anything displays it.

scikit-learn's ``repr`` and HTML display print every parameter value in
Python (a list item by item, a dict's items sorted by a key made in Python,
text character by character), and print a nested estimator's parameters
again at every level holding it: its pretty printer formats a too-wide
parameter two or three times, and asks a nested estimator's own ``repr`` to
decide which of its parameters changed. Measured with scikit-learn 1.9,
each enclosing estimator (a pipeline, a column transformer, a search) costs
2.2 to 2.8 times the display of what it holds (``benchmarks/bench_display.py``).

A file pays one or two bytes for a reference to an object it holds already,
and a display pays for the object at each reference: 16,000 references to
one text of 1,000 characters (36 KB of file) in a ``RidgeCV``'s ``alphas``,
three pipelines deep, made the HTML display 25.6 s, 12 times an honest
file's of twice the size, and five deep over a minute (round 189).

So each estimator's display is weighed in units of about 5 ns of HTML
display (:func:`shown`): each object's own cost by its type, every
reference counted, each enclosing estimator a factor of
:data:`NESTED_COST`. Beyond :data:`DISPLAY_FREE`, it is held to a display
of what the file wrote, each object once and each container's item a byte
at least (:func:`_written`), at most :data:`DISPLAY_PAID` times; and past
:data:`MOST_SHOWN` (about 20 s) it is refused whatever the file paid. The
weights are kept while a walk of one graph lasts (:func:`weighing`): a
search's candidates and a pipeline's steps are weighed once, however many
estimators hold them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

import numpy as np

from versioned_estimator._shapes import param_set

__all__ = ["display_problem", "held", "weighing"]

#: How many times its display an enclosing estimator costs (measured 2.2
#: to 2.8 for pipelines, column transformers, ensembles and searches).
NESTED_COST = 3.0
#: Units (about 5 ns of HTML display each) any estimator's display may
#: cost, whatever the file wrote (about 80 ms).
DISPLAY_FREE = 1 << 24
#: Beyond that, how many times a display of what the file wrote (each
#: object once) the display may cost.
DISPLAY_PAID = 4
#: The most any display may cost (about 20 s: a fixed vocabulary of
#: 100,000 words as a dict in a pipeline, 5 s, passes; of 250,000 in a
#: search over a pipeline, 43 s, does not).
MOST_SHOWN = 1 << 32
#: How deep a parameter's containers and estimators may nest.
MAX_DISPLAY_NESTING = 100
#: The items of an array numpy prints before it summarizes, and then the
#: items at each end of every axis.
_PRINTED_ITEMS = 1000
_EDGE_ITEMS = 3

#: What a plain value of a type costs, however many it holds (measured
#: per item of a list: a float 6 us, an int 2.7 us, None 1.4 us).
_FIXED = {
    type(None): 90,
    bool: 90,
    float: 400,
    complex: 800,
    np.float64: 900,
    np.float32: 900,
    np.int64: 600,
    np.int32: 600,
    np.bool_: 600,
}
#: An int, besides its digits (a third of its bits).
_INT = 180
#: A text, besides its characters (each escape Python prints, in full).
_TEXT = 100
_CHARACTER = 2
#: What each object costs besides its members: a list, tuple or set, a
#: dict's pair (sorted by a key made in Python), an estimator (whose
#: changed parameters are found by printing each default), an estimator's
#: parameter, an array's printed item, an object printed by its name.
_CONTAINER = 300
_PAIR = 900
_ESTIMATOR = 20_000
_PARAMETER = 900
_ARRAY_ITEM = 2800
_OBJECT = 300
#: A numpy number of a type ``_FIXED`` does not list (float16: 6 us), a
#: record dtype's field (27 us), a record's value (96 us).
_NUMPY_SCALAR = 1200
#: A character of text in an array, and for each line numpy prints before
#: it, each byte of the character (numpy copies what it printed so far a
#: line at a time); a line's characters, and a text's quotes and separator
#: (round 193: 1,000 texts of 4,096 characters, 1.8 s of HTML display).
_ARRAY_CHARACTER = 4
_LINE_COPY = 0.02
_LINE = 40
_QUOTES = 4
#: A value of a kernel's array (its repr formats each: 5.7 us).
_KERNEL_VALUE = 400
_FIELD = 6000
_RECORD_VALUE = 20_000
#: What the file writes of each item of a container, at least a byte.
_SLOT = 90
_INTS = frozenset({int})
_STRS = frozenset({str, np.str_})
_BYTES = frozenset({bytes, np.bytes_, bytearray})
#: Values weighed a list at a time, in C.
_PLAIN = frozenset({*_FIXED, *_INTS, *_STRS, *_BYTES})


class _Weighed(NamedTuple):
    """One object's display: its cost (each reference counted, each
    enclosing estimator a factor), how many estimators deep it nests, and
    what it is made of: its own cost as displayed and as the file wrote it
    (each item once), its item count, the members that are not plain
    values, whether it is an estimator."""

    units: float
    height: int
    own: float
    paid: float
    items: int
    members: list[Any]
    estimator: bool


_Memo = dict[int, _Weighed]
_SHOWN: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar(
    "shown", default=None
)


class _TooDeep(Exception):
    """Parameters nested deeper than :data:`MAX_DISPLAY_NESTING`."""


@contextlib.contextmanager
def weighing() -> Iterator[None]:
    """While a walk of one loaded graph lasts, each object's display is
    weighed once (the objects stay alive, so their ids are theirs)."""
    token = _SHOWN.set({})
    try:
        yield
    finally:
        _SHOWN.reset(token)


def display_problem(estimator: Any) -> str | None:
    """Why displaying ``estimator`` would take far longer than displaying
    what the file wrote of it, or about 20 s (:data:`MOST_SHOWN`);
    None when fine.

    Examples
    --------
    >>> from sklearn.linear_model import RidgeCV
    >>> display_problem(RidgeCV(alphas=[0.1, 1.0, 10.0])) is None
    True
    >>> print(display_problem(RidgeCV(alphas=["y" * 1000] * 10_000)))
    ... # doctest: +NORMALIZE_WHITESPACE
    a RidgeCV whose display would take 23 times as long as a display of what
    the file wrote of it (each object once; at most 4 times)
    """
    memo = _SHOWN.get()
    memo = {} if memo is None else memo
    try:
        weighed = _shown(estimator, memo, 0)
    except _TooDeep:
        return (
            f"a {type(estimator).__name__} whose parameters nest over "
            f"{MAX_DISPLAY_NESTING} deep"
        )
    units = weighed.units
    if units <= DISPLAY_FREE:
        return None
    name = type(estimator).__name__
    if units > MOST_SHOWN:
        return (
            f"a {name} whose display would take about 20 s or more "
            f"(scikit-learn prints its parameters, {weighed.height} "
            "estimators deep, in Python)"
        )
    # What the file wrote is at least its containers, each once, and a
    # byte an item: enough for most (the plain values are then not read).
    if units <= DISPLAY_FREE + DISPLAY_PAID * _written(estimator, memo, plain=False):
        return None
    written = _written(estimator, memo, plain=True)
    if units <= DISPLAY_FREE + DISPLAY_PAID * written:
        return None
    return (
        f"a {name} whose display would take {units / written:,.0f} times as "
        "long as a display of what the file wrote of it (each object once; "
        f"at most {DISPLAY_PAID} times)"
    )


def shown(value: Any) -> tuple[float, int]:
    """What scikit-learn's display of ``value`` costs, about, in units
    (each reference counted, each enclosing estimator a factor of
    :data:`NESTED_COST`), and how many estimators deep it nests."""
    weighed = _shown(value, {}, 0)
    return weighed.units, weighed.height


def _shown(value: Any, memo: _Memo, depth: int) -> _Weighed:
    kind = type(value)
    if kind in _PLAIN:
        return _Weighed(_costs([value], {kind}), 0, 0.0, 0.0, 0, [], False)
    found = memo.get(id(value))
    if found is not None:
        return found
    if depth > MAX_DISPLAY_NESTING:
        raise _TooDeep
    # Met again while weighed (a scorer's routing request names it): a
    # display prints no cycle.
    memo[id(value)] = _Weighed(0.0, 0, 0.0, 0.0, 0, [], False)
    own, paid, items, estimator = _parts(value)
    kinds = set(map(type, items))
    units = own + _costs(items, kinds)
    height = 0
    members = _of_kinds(items, kinds, kinds - _PLAIN)
    for member in members:
        nested = _shown(member, memo, depth + 1)
        units += nested.units
        height = max(height, nested.height)
    if estimator:
        units, height = units * NESTED_COST, height + 1
    weighed = _Weighed(units, height, own, paid, len(items), members, estimator)
    memo[id(value)] = weighed
    return weighed


def _written(estimator: Any, memo: _Memo, *, plain: bool) -> float:
    """What an honest display of the file's parameters would cost: each
    object once (by id) at a depth it is met, each item of a container a
    byte of file at least; with ``plain``, each plain value once too (by
    id), else none (a lower bound, from the weights of ``memo`` alone)."""
    seen: set[int] = set()
    values: dict[float, dict[int, Any]] = {}  # plain values by id, by scale
    stack = [(estimator, 1.0)]
    total = 0.0
    while stack:
        value, scale = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        weighed = memo[id(value)]
        scale *= NESTED_COST if weighed.estimator else 1.0
        total += (weighed.paid + _SLOT * weighed.items) * scale
        if plain:
            items = held(value) or []
            kinds = set(map(type, items))
            found = _of_kinds(items, kinds, kinds & _PLAIN)
            if found:
                by_id = values.setdefault(scale, {})
                by_id.update(zip(map(id, found), found, strict=True))
        stack.extend((member, scale) for member in weighed.members)
    return total + sum(scale * _costs([*v.values()]) for scale, v in values.items())


def _parts(value: Any) -> tuple[float, float, list[Any], bool]:
    """What displaying an object costs itself, and what of that the file
    paid, its members (:func:`held`), and whether it is an estimator (its
    display printed again at each level holding it). A dict's pairs cost
    its display a sort by a key made in Python, and the file nothing
    beyond their items; an array's text is paid as the file stores it
    (:func:`_array_costs`)."""
    from sklearn.base import BaseEstimator

    items = held(value)
    own: float
    if isinstance(value, BaseEstimator):
        own = _ESTIMATOR + _PARAMETER * len(items or ())
        return own, own, items or [], True
    if type(value) is np.ndarray or isinstance(value, np.void):
        own, paid = _array_costs(value, items or [])
        return own, paid, items or [], False
    if items is None:
        if isinstance(value, np.dtype):
            own = _dtype_cost(value)
        else:  # a number type the table does not list, or a name
            own = _NUMPY_SCALAR if isinstance(value, np.generic) else _OBJECT
        return own, own, [], False
    if isinstance(value, dict):  # an ordered or default dict too
        return _CONTAINER + _PAIR * len(value), _CONTAINER, items, False
    if type(value).__module__ == "sklearn.gaussian_process.kernels":
        # A kernel's repr formats every value of its arrays (no summary).
        values = sum(item.size for item in items if type(item) is np.ndarray)
        items = [item for item in items if type(item) is not np.ndarray]
        own = _OBJECT + _KERNEL_VALUE * values
        return own, own, items, False
    if isinstance(value, (list, tuple, set, frozenset)):
        return _CONTAINER, _CONTAINER, items, False
    return _OBJECT, _OBJECT, items, False


def held(value: Any, *, every_item: bool = False) -> list[Any] | None:
    """What a parameter value holds that scikit-learn's display prints, and
    clone copies, one by one: a container's items (a dict's keys and
    values), a slice's ends, a partial's function and arguments, an
    estimator's parameters, a helper object's attributes (a scorer prints
    its keywords, a splitter its parameters, a kernel every value of its
    arrays); of an array of objects the items numpy prints, or with
    ``every_item`` every item (clone copies each). None for a value that
    holds nothing so: a number, a text, an array of numbers, a dtype, a
    class or function (printed by its name).

    Examples
    --------
    >>> import numpy as np
    >>> held({"a": [1, 2]})
    ['a', [1, 2]]
    >>> nones = np.array([None] * 2000)
    >>> len(held(nones)), len(held(nones, every_item=True))
    (6, 2000)
    >>> held(np.arange(3)) is None
    True
    """
    kind: type = type(value)
    if kind in _PLAIN:
        return None
    if isinstance(value, dict):  # an ordered or default dict too
        return [*value, *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):  # a named tuple too
        return list(value)
    if kind is np.ndarray:
        if not value.dtype.hasobject:
            return None
        items: list[Any] = (value if every_item else _printed(value)).ravel().tolist()
        return items
    if kind is slice:
        return [value.start, value.stop, value.step]
    if isinstance(value, functools.partial):
        return [value.func, *value.args, *value.keywords, *value.keywords.values()]
    if isinstance(value, type):
        return None
    from sklearn.base import BaseEstimator

    if isinstance(value, BaseEstimator):
        namespace = getattr(value, "__dict__", {})
        # None for each parameter a class whose signature is not plain hides.
        return [namespace.get(name) for name in sorted(param_set(kind))]
    namespace = getattr(value, "__dict__", None)
    return list(namespace.values()) if type(namespace) is dict else None


def _array_costs(value: np.ndarray | np.void, items: list[Any]) -> tuple[float, float]:
    """What an array (or a record) costs displayed, its members aside, and
    what of that the file paid: an array of objects each item it refers to
    once; text as stored (a character each, escapes and wide characters
    aside, :func:`_text_cost`)."""
    if value.dtype.hasobject:
        distinct = [*{id(item): item for item in items}.values()]
        return (
            _CONTAINER + _ARRAY_ITEM * len(items) + _text_cost(items, shown=True),
            _CONTAINER
            + _ARRAY_ITEM * len(distinct)
            + _text_cost(distinct, shown=False),
        )
    printed = _printed(np.asarray(value))
    each = _RECORD_VALUE if isinstance(value, np.void) else _ARRAY_ITEM
    own = _dtype_cost(value.dtype) + each * _values_per_item(value.dtype) * printed.size
    # The text of every field of text, however nested in records.
    shown = paid = 0.0
    stack = [printed]
    while stack:
        array = stack.pop()
        if array.dtype.names is not None:
            stack.extend(array[name] for name in array.dtype.names)
        elif array.dtype.kind in "SUV":  # raw bytes print as escapes too
            texts = array.ravel().tolist()
            shown += _text_cost(texts, shown=True)
            paid += _text_cost(texts, shown=False)
    return own + shown, own + paid


def _text_cost(items: list[Any], *, shown: bool) -> float:
    """What the text among an array's printed ``items`` (raw bytes of a
    record too) costs printed: with ``shown``, as numpy prints it (each
    escape in full), else as the file wrote it (each character once, none
    escaped); in characters as wide as the widest.

    numpy builds an array's text a line at a time, copying all it built so
    far for each line (``_extendLine``), and a display prints the array for
    each of its views. Measured (round 193), HTML display of 1,000 texts of
    4,096 ASCII characters: 1.8 s, of 1,024: 0.3 s; of 4,096 bytes each
    escaped (four characters): 6.9 s; of 4,096 zero-width spaces (six):
    11.2 s; of 4,096 emoji (a character four bytes wide): 7.2 s.

    Examples
    --------
    >>> escaped, plain = [chr(1) * 100], ["a" * 100]
    >>> _text_cost(escaped, shown=True) > 3 * _text_cost(plain, shown=True)
    True
    >>> _text_cost(escaped, shown=False) == _text_cost(plain, shown=False)
    True
    """
    texts: list[str | bytes] = [
        t.tobytes() if isinstance(t, np.void) else t
        for t in items
        if isinstance(t, (str, bytes, np.void))
    ]
    if not texts:
        return 0.0
    if shown and not all(isinstance(t, str) and t.isprintable() for t in texts):
        texts = [
            t if isinstance(t, str) and t.isprintable() else repr(t) for t in texts
        ]
    widest = max((ord(max(t)) for t in texts if isinstance(t, str) and t), default=0)
    width = 1 if widest < 256 else 2 if widest < 65536 else 4
    chars = sum(map(len, texts)) + _QUOTES * len(texts)
    lines = min(len(texts), chars // _LINE + 1)
    return _ARRAY_CHARACTER * chars + _LINE_COPY * width * lines * chars


def _printed(array: np.ndarray) -> np.ndarray:
    """The items numpy prints of an array: all up to its threshold, else the
    first and last three along every axis."""
    if array.size <= _PRINTED_ITEMS:
        return array
    edges = [
        np.r_[0:_EDGE_ITEMS, n - _EDGE_ITEMS : n]
        if n > 2 * _EDGE_ITEMS
        else np.arange(n)
        for n in array.shape
    ]
    printed: np.ndarray = array[np.ix_(*edges)]
    return printed


def _dtype_cost(dtype: np.dtype) -> float:
    """numpy prints a record dtype field by field in Python (about 27 us a
    field in a display), its nested records' too."""
    fields = 0
    stack = [dtype]
    while stack:
        current = stack.pop()
        if current.fields is not None:
            fields += len(current.fields)
            stack.extend(field[0] for field in current.fields.values())
        if current.subdtype is not None:
            fields += 1
            stack.append(current.subdtype[0])
    return _OBJECT + _FIELD * fields


def _values_per_item(dtype: np.dtype) -> int:
    """The values an item of ``dtype`` prints: a record's every field's, a
    sub-array's every value."""
    if dtype.fields is not None:
        return sum(_values_per_item(field[0]) for field in dtype.fields.values())
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return int(np.prod(shape)) * _values_per_item(base)
    return 1


def _of_kinds(
    items: list[Any], kinds: set[type], wanted: AbstractSet[type]
) -> list[Any]:
    """The items of the ``wanted`` types (``kinds``: those of all items)."""
    if kinds <= wanted:
        return items
    if kinds.isdisjoint(wanted):
        return []
    return [v for v in items if type(v) in wanted]


def _costs(items: list[Any], kinds: AbstractSet[type] | None = None) -> float:
    """What the plain items among ``items`` cost printed (``kinds``: the
    types of the items, if known), summed in C: a text in quotes, with each
    character Python escapes as its escape (up to ten characters)."""
    kinds = set(map(type, items)) if kinds is None else set(kinds)
    units = 0.0
    if not kinds.isdisjoint(_FIXED):
        fixed = _of_kinds(items, kinds, _FIXED.keys())
        units += sum(map(_FIXED.__getitem__, map(type, fixed)))
    ints = _of_kinds(items, kinds, _INTS)
    units += _INT * len(ints) + sum(map(int.bit_length, ints)) // 3
    for group, printable in ((_STRS, str.isprintable), (_BYTES, None)):
        texts = _of_kinds(items, kinds, group)
        units += _TEXT * len(texts)
        if texts and printable is not None and all(map(printable, texts)):
            units += _CHARACTER * sum(map(len, texts))
        elif texts:
            units += _CHARACTER * sum(map(len, map(repr, texts)))
    return units
