"""Numbers a method computes with far slower than fit's: a safe load's check
of the floats a model holds.

A model's arrays and numbers keep their shapes and dtypes as fit makes them
and still cost a method 10 to 100 times its time when their values are
ones no fit makes:

- floats wider than 64 bits (``np.longdouble``, ``np.clongdouble``): numpy
  multiplies them in plain loops, without its BLAS routines (a Nystroem
  map 61 to 109 times as long, a brute neighbours search 18 times and
  1.4 GB more; red-team round 78);
- numbers whose products, or whose quotients of the data, are subnormal:
  the processor takes a slow path for each (20 to 100 times). A network's
  layers scaled by 1e-310 made predict 11 to 48 times as long (round 78);
  a scaler's scale of 1e308, a normal number, made every row it divides
  near 1e-308 and a neighbours search after it 19 to 22 times as long
  (round 79).

So a float64 array may hold at most one value in a thousand, and a fitted
number none, whose magnitude is below 2.2e-103 or 9e74 or more: three of
the small ones multiply to a subnormal number, but the data times two of
them stays normal unless it is below 1e-102 (two at 1.5e-154, each
allowed by a bound at the square root of the smallest normal number, made
a scaler and the neighbours search after it 23 times as long, round 80),
and the data over a large one is three products from the subnormal range.
Zero, infinity and NaN take no slow path and pass. Fit makes none from
data of sane magnitudes (a label spreading's distributions went to 5e-86
honestly, and no fit of the red team's 1,256 honest files made a number
above 1e75) but one: NMF's multiplicative updates, run for thousands of
iterations, can leave components near 1e-139, and such a model is
refused. float32 numbers are held to [2.3e-13, 9e18); float16 ones pass
(numpy computes with them in float32). A large array is judged on a
sample drawn at random here, which its writer cannot know.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "MOMENT_DTYPES",
    "slow_array",
    "slow_arrays",
    "slow_moments",
    "slow_number",
    "slow_numbers",
    "slow_scalars",
    "wider_than_float64",
]

#: Values of an array judged: all of one of up to :data:`WHOLE` values, a
#: random sample of ``SAMPLE`` of a larger one (a sample costs more than
#: comparing a few thousand values: a forest's hundred trees of 4,000 leaf
#: values each took 10 ms sampled, 2 ms whole).
SAMPLE = 4096
WHOLE = 1 << 16
#: The share of an array's values that may be outside its bounds.
MOST_OUTSIDE = 1 / 1000
#: Per float dtype, the magnitudes a fitted value keeps to: from the cube
#: root of the smallest normal number, 2**-341 for float64 (2.2e-103) and
#: 2**-42 for float32 (2.3e-13), to below 2**249 (9e74) and 2**63 (9e18).
#: Zero, infinity and NaN are outside neither way.
_BOUNDS: dict[np.dtype[Any], tuple[float, float]] = {
    np.dtype(np.float32): (2.0**-42, 2.0**63),
    np.dtype(np.float64): (2.0**-341, 2.0**249),
}
#: The bounds of a network optimizer's moments (``_walk.MOMENTS``), numbers
#: no method multiplies the data by: from the smallest normal number (not
#: its cube root) to the same large bound.
_MOMENT_BOUNDS: dict[np.dtype[Any], tuple[float, float]] = {
    np.dtype(np.float32): (float(np.finfo(np.float32).tiny), 2.0**63),
    np.dtype(np.float64): (float(np.finfo(np.float64).tiny), 2.0**249),
}
#: The dtypes a moment judged by those bounds may have (this machine's byte
#: order); any other is judged as any array.
MOMENT_DTYPES = frozenset(_MOMENT_BOUNDS)
_WIDEST = {"f": 8, "c": 16}
_SAMPLER = np.random.default_rng()  # seeded by the system, not the file


def slow_array(array: np.ndarray) -> str | None:
    """Why the numbers of ``array`` would slow a method down, or None.

    Examples
    --------
    >>> slow_array(np.array([0.5, 0.0, -2.0, np.inf, np.nan])) is None
    True
    >>> slow_array(np.full(3, 1e-310))
    'an array of float64 numbers 3 of 3 of which are outside [2.2e-103, 9e+74) ...'
    >>> wide = np.ones(2, dtype=np.longdouble)  # as wide as float64 on some
    >>> wide.itemsize == 8 or "wider than 64-bit floats" in slow_array(wide)
    True
    """
    return _slow_in(array, _BOUNDS)


def slow_moments(arrays: list[np.ndarray]) -> str | None:
    """Why a network optimizer's moments (arrays of :data:`MOMENT_DTYPES`)
    would slow its ``partial_fit`` down, or None: as :func:`slow_array`,
    within :data:`_MOMENT_BOUNDS`.

    Examples
    --------
    >>> slow_moments([np.full(3, 1e-17, dtype=np.float32)]) is None
    True
    >>> slow_moments([np.full(3, 1e-310)])
    'an array of float64 numbers 3 of 3 of which are outside [2.2e-308, 9e+74) ...'
    """
    return next(filter(None, (_slow_in(a, _MOMENT_BOUNDS) for a in arrays)), None)


def _slow_in(
    array: np.ndarray, table: dict[np.dtype[Any], tuple[float, float]]
) -> str | None:
    """:func:`slow_array` with the bounds of ``table``."""
    array = np.asarray(array)  # a matrix stays two-dimensional when flattened
    dtype = array.dtype
    kind = dtype.kind
    if kind not in _WIDEST or not array.size:
        return None
    if wider_than_float64(dtype):
        return (
            f"an array of {dtype} numbers, wider than 64-bit floats (numpy "
            "computes with them without its fast routines, tens of times "
            "slower; no fit makes them)"
        )
    bounds = _bounds(dtype, table)
    if bounds is None:
        return None  # float16: numpy computes with it in float32
    if array.size <= WHOLE:
        values = array.reshape(-1)
    else:
        drawn = _SAMPLER.integers(0, array.size, SAMPLE)
        values = array[np.unravel_index(drawn, array.shape)]
    outside = int(_outside(values, bounds).sum())
    judged = values.size * (2 if kind == "c" else 1)  # a complex number's parts
    if outside > MOST_OUTSIDE * judged:
        return (
            f"an array of {dtype} numbers {outside} of {judged} of which "
            f"are outside {_shown(*bounds)} but not zero or infinite (the "
            "data times or over such numbers comes near the subnormal range, "
            "which the processor computes in 20 to 100 times slower; no fit "
            "makes them)"
        )
    return None


#: The arrays :func:`slow_arrays` judges together: of these dtypes, with at
#: most this many values each.
BATCHED = frozenset(
    np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128)
)
BATCHED_MOST = 64


def slow_arrays(arrays: list[np.ndarray]) -> str | None:
    """:func:`slow_array` of many small arrays (of :data:`BATCHED` dtypes,
    at most :data:`BATCHED_MOST` values each) at once, each judged on its
    own values as :func:`slow_array` judges it: one by one, 150,000 arrays
    of one value took the walk 1.3 s (round 132).

    Examples
    --------
    >>> slow_arrays([np.ones(3), np.zeros(2, dtype=np.float32)]) is None
    True
    >>> slow_arrays([np.ones(3), np.full(2, 1e-310)])
    'an array of float64 numbers 2 of 2 of which are outside [2.2e-103, 9e+74) ...'
    """
    groups: dict[np.dtype[Any], list[np.ndarray]] = {}
    for array in arrays:
        groups.setdefault(array.dtype, []).append(array)
    for dtype, group in groups.items():
        bounds = _bounds(dtype)
        if dtype not in BATCHED or bounds is None:
            for array in group:
                problem = slow_array(array)
                if problem is not None:
                    return problem
            continue
        values = np.concatenate([array.reshape(-1) for array in group])
        sizes = np.fromiter((array.size for array in group), np.intp, len(group))
        counts = np.add.reduceat(_outside(values, bounds), np.cumsum(sizes) - sizes)
        parts = 2 if dtype.kind == "c" else 1  # a complex number's parts
        over = np.flatnonzero(counts > MOST_OUTSIDE * sizes * parts)
        if len(over):
            return slow_array(group[int(over[0])])
    return None


def slow_scalars(values: list[Any]) -> str | None:
    """:func:`slow_number` of many numpy numbers at once, each judged on its
    own: one by one, 150,000 float64 scalars took the walk 1.5 s (round 132).

    Examples
    --------
    >>> slow_scalars([np.float64(1.0), np.float32(2.0)]) is None
    True
    >>> slow_scalars([np.float64(1.0), np.float64(1e-310)])
    'a number, np.float64(1e-310), outside [2.2e-103, 9e+74) ...'
    """
    groups: dict[type, list[Any]] = {}
    for value in values:
        groups.setdefault(type(value), []).append(value)
    for group in groups.values():
        values_of = np.array(group)  # one dtype: the scalars' own
        if values_of.dtype not in BATCHED:
            problem = next(filter(None, map(slow_number, group)), None)
            if problem is not None:
                return problem
            continue
        bounds = _bounds(values_of.dtype)
        assert bounds is not None  # every BATCHED dtype has its bounds
        over = np.flatnonzero(_outside(values_of, bounds))
        if len(over):
            return slow_number(group[int(over[0])])
    return None


def _outside(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """For each of ``values``, how many of its parts (one, or a complex
    number's two) have a magnitude outside ``bounds``: not zero, infinite
    or NaN (NaN compares false both ways)."""
    smallest, largest = bounds
    count = np.zeros(values.shape, dtype=np.intp)
    for part in (values.real, values.imag) if values.dtype.kind == "c" else (values,):
        magnitude = np.abs(part)
        count += ((magnitude < smallest) & (magnitude > 0)) | (
            (magnitude >= largest) & (magnitude < np.inf)
        )
    return count


def wider_than_float64(dtype: np.dtype[Any]) -> bool:
    """Whether ``dtype`` holds floats (or complex numbers) of more than 64
    bits a part, which numpy computes with in plain loops.

    Examples
    --------
    >>> wider_than_float64(np.dtype(np.complex128)), wider_than_float64(np.dtype("i8"))
    (False, False)
    """
    return dtype.kind in _WIDEST and dtype.itemsize > _WIDEST[dtype.kind]


def slow_number(value: Any) -> str | None:
    """Why one number a model holds would slow a method down (a kernel
    width, a scale), or None: as :func:`slow_array` of one value.

    Examples
    --------
    >>> slow_number(0.1) is None and slow_number(0.0) is None
    True
    >>> slow_number(1e-310)
    'a number, 1e-310, outside [2.2e-103, 9e+74) ...'
    >>> slow_number(1e308)[:28]
    'a number, 1e+308, outside [2'
    """
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return None
    if isinstance(value, (float, np.floating, complex, np.complexfloating)):
        array = np.asarray([value])
        problem = slow_array(array)
        bounds = _bounds(array.dtype)
        if problem is None or bounds is None:
            return problem  # None, or a number wider than float64
        return (
            f"a number, {value!r}, outside {_shown(*bounds)} but not "
            "zero or infinite (the data times or over it comes near the "
            "subnormal range, which the processor computes in 20 to 100 "
            "times slower; no fit makes it)"
        )
    return None


def slow_numbers(values: list[Any]) -> str | None:
    """Why plain numbers a model holds together (an object's, a list's: a
    Gaussian process's length scales) would slow a method down, or None:
    as :func:`slow_array` of them, told by the first number outside.

    Examples
    --------
    >>> slow_numbers([1.0, 2.5, 0.0]) is None
    True
    >>> slow_numbers([1.0, 1e155])
    'a number, 1e+155, outside [2.2e-103, 9e+74) ...'
    """
    if slow_array(np.asarray(values)) is None:
        return None
    return next(filter(None, map(slow_number, values)), None)


def _bounds(
    dtype: np.dtype[Any],
    table: dict[np.dtype[Any], tuple[float, float]] = _BOUNDS,
) -> tuple[float, float] | None:
    """:data:`_BOUNDS` (or ``table``) of a float dtype, or of a complex one's
    parts; None for any other (float16, long double)."""
    part = np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype
    return table.get(np.dtype(part.char))


def _shown(smallest: float, largest: float) -> str:
    """The magnitudes from ``smallest`` to below ``largest``, as an interval."""
    return f"[{smallest:.2g}, {largest:.0e})"
