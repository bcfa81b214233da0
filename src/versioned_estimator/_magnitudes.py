"""Numbers a method computes with far slower than fit's: a safe load's check
of the floats a model holds.

A model's arrays and numbers keep their shapes and dtypes as fit makes them
and still cost a method 10 to 100 times its time when their values are
ones no fit makes (red-team round 78):

- floats wider than 64 bits (``np.longdouble``, ``np.clongdouble``): numpy
  multiplies them in plain loops, without its BLAS routines (a Nystroem
  map 61 to 109 times as long, a brute neighbours search 18 times and
  1.4 GB more);
- subnormal numbers, below the smallest normal one, and numbers so small
  that two of them multiply to one: the processor takes a slow path for each
  (20 to 100 times; a network's layers scaled by 1e-310 made predict 11 to
  48 times as long, a kernel PCA's eigenvectors 27 times).

Fit makes neither from float64 data: the smallest non-zero magnitude of
NMF's multiplicative updates after 2,000 iterations was 3e-21, against the
1.5e-154 below which two float64 numbers multiply to a subnormal one. An
array passes with at most one such value in a thousand (a slowdown of a few
per cent at most: one in a hundred made a product 3 times as long); a large
array is judged on a sample drawn at random here, which its writer cannot
know. Numbers below float32 (numpy computes float16 in float32) pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["slow_array", "slow_number"]

#: Values of an array judged: all of a smaller one, a random sample of a
#: larger one.
SAMPLE = 4096
#: The share of an array's values that may be that small.
MOST_SMALL = 1 / 1000
#: Per float dtype (float32, float64): the magnitude below which two
#: numbers multiply to a subnormal one, the square root of the smallest
#: normal number.
_SMALLEST: dict[np.dtype[Any], float] = {
    np.dtype(kind): float(np.sqrt(np.finfo(kind).tiny))
    for kind in (np.float32, np.float64)
}
_WIDEST = {"f": 8, "c": 16}
_SAMPLER = np.random.default_rng()  # seeded by the system, not the file


def slow_array(array: np.ndarray) -> str | None:
    """Why the numbers of ``array`` would slow a method down, or None.

    Examples
    --------
    >>> slow_array(np.array([0.5, 0.0, -2.0])) is None
    True
    >>> slow_array(np.full(3, 1e-310))
    'an array of float64 numbers 3 of 3 of which are below 1.5e-154 ...'
    >>> wide = np.ones(2, dtype=np.longdouble)  # as wide as float64 on some
    >>> wide.itemsize == 8 or "wider than 64-bit floats" in slow_array(wide)
    True
    """
    dtype = array.dtype
    kind = dtype.kind
    if kind not in _WIDEST or not array.size:
        return None
    if dtype.itemsize > _WIDEST[kind]:
        return (
            f"an array of {dtype} numbers, wider than 64-bit floats (numpy "
            "computes with them without its fast routines, tens of times "
            "slower; no fit makes them)"
        )
    part = np.dtype(dtype.char.lower()) if kind == "c" else dtype
    smallest = _SMALLEST.get(np.dtype(part.char))
    if smallest is None:
        return None  # float16: numpy computes with it in float32
    if array.size <= SAMPLE:
        values = array.reshape(-1)
    else:
        drawn = _SAMPLER.integers(0, array.size, SAMPLE)
        values = array[np.unravel_index(drawn, array.shape)]
    if kind == "c":
        values = np.concatenate([values.real, values.imag])
    size = np.abs(values)
    small = int(np.count_nonzero((size < smallest) & (size > 0)))
    if small > MOST_SMALL * len(values):
        return (
            f"an array of {dtype} numbers {small} of {len(values)} of which "
            f"are below {smallest:.2g} but not zero (subnormal numbers, or "
            "ones two of which multiply to one: the processor computes with "
            "them 20 to 100 times slower; no fit makes them)"
        )
    return None


def slow_number(value: Any) -> str | None:
    """Why one number a model holds would slow a method down (a kernel
    width, a scale), or None: as :func:`slow_array` of one value.

    Examples
    --------
    >>> slow_number(0.1) is None and slow_number(0.0) is None
    True
    >>> slow_number(1e-310)
    'a number, 1e-310, below 1.5e-154 but not zero ...'
    """
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return None
    if isinstance(value, (float, np.floating, complex, np.complexfloating)):
        problem = slow_array(np.asarray([value]))
        if problem is not None and "wider" not in problem:
            smallest = _SMALLEST[np.dtype(np.float64)]
            if isinstance(value, (np.float32, np.complex64)):
                smallest = _SMALLEST[np.dtype(np.float32)]
            return (
                f"a number, {value!r}, below {smallest:.2g} but not zero "
                "(the processor computes with it 20 to 100 times slower; no "
                "fit makes it)"
            )
        return problem
    return None
