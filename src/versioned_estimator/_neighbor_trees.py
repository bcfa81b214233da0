"""A neighbours tree (``KDTree``, ``BallTree``) is the tree scikit-learn builds.

Its compiled queries index the data with the tree's order and prune with its
nodes' bounds, trusting both. :func:`binary_tree` holds a loaded tree to what
the builder guarantees, every part of it computed again from its rows:

* the node layout: the row count alone fixes it (each node halves its rows,
  the last level are the leaves), and the leaf size fixes the levels;
* the order: every row once (an order of all zeros answered row 0 to every
  query);
* the split: each node's rows divided along the column where they spread
  most, the first half at or below the second;
* the bounds: a KD tree's box exactly its rows' range and its radius the
  box's, a ball tree's centre its rows' (weighted) mean and its radius the
  farthest of them. Bounds that take in more than their rows prune nothing:
  a tree of one row a leaf whose boxes spanned +-1e300 made a query visit
  every node, 9 to 40 times a brute-force search (round 88); NaN bounds under
  a Chebyshev power counted every node as wholly inside (5.8 GB);
* its distance, sample weights and numbers, as a model's.

Only reading: ``__getstate__`` of the tree and numpy over its arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from versioned_estimator._class_checks import distance_name, distance_width
from versioned_estimator._magnitudes import slow_array
from versioned_estimator._shapes import fitted_rows

__all__ = ["binary_tree"]

#: Rows gathered at once when a tree's nodes are computed again.
_GATHER_ROWS = 1 << 16

#: The power of each distance's class (``p``, which a KD tree's bounds use
#: for every metric): Minkowski's is its parameter, any finite p >= 1.
_POWERS = {"EuclideanDistance": 2.0, "ManhattanDistance": 1.0}

_MINKOWSKI = (
    "EuclideanDistance",
    "ManhattanDistance",
    "ChebyshevDistance",
    "MinkowskiDistance",
)

#: How far a recomputed mean or radius may sit from the stored one, relative
#: to the node's largest value: sums in another order round differently.
_ROUNDING = 1e-8


def binary_tree(tree: Any) -> str | None:
    """Why a ``KDTree`` or ``BallTree`` is not one scikit-learn builds, or None."""
    state = tree.__getstate__()
    if not (isinstance(state, tuple) and len(state) >= 13):
        return "a neighbours tree with an unknown state"
    data, idx_array, node_data, node_bounds = (np.asarray(s) for s in state[:4])
    n_levels, n_nodes = state[5], state[6]
    if data.ndim != 2 or idx_array.ndim != 1 or node_data.ndim != 1:
        return "a neighbours tree whose arrays have other shapes"
    n, width = data.shape
    rows = fitted_rows(tree)
    if rows is not None and n > rows:
        # Every query visits its data: a density of 200 training rows that
        # keeps 500,000 scores 2,500 times slower.
        return f"a neighbours tree of {n} rows (its envelope says {rows})"
    kd = type(tree).__name__ == "KDTree"
    if not (
        isinstance(n_nodes, int)
        and isinstance(n_levels, int)
        and n_nodes == len(node_data)
        and n_nodes == 2**n_levels - 1
        and node_bounds.ndim == 3
        # KDTree keeps lower and upper bounds, BallTree one centroid a node.
        and node_bounds.shape[0] == (2 if kd else 1)
        and node_bounds.shape[1] == n_nodes
        and node_bounds.shape[2] == width
        and len(idx_array) == n
    ):
        return "a neighbours tree whose node count disagrees with its arrays"
    if n and ((idx_array < 0).any() or (idx_array >= n).any()):
        return "a neighbours tree whose index points outside its data"
    if n and not (np.bincount(idx_array, minlength=n) == 1).all():
        return "a neighbours tree whose order does not hold each row once"
    if not _halving(node_data, n, n_levels):
        return "a neighbours tree whose nodes are not its data halved level by level"
    leaf_size = state[4]
    if not (
        isinstance(leaf_size, int)
        and leaf_size >= 1
        and n_levels == int(np.log2(max(1.0, (n - 1) / leaf_size)) + 1)
    ):
        # Its breadth-first search divides by the leaf size (compiled with C
        # division: a leaf size of 0 killed the process with SIGFPE).
        return "a neighbours tree whose leaf size is not its levels'"
    weights = state[12]
    if weights is not None:
        weights = np.asarray(weights)
        if weights.shape != (n,):
            return "a neighbours tree whose sample weights are not its rows"
        if not (np.isfinite(weights).all() and (weights >= 0).all()):
            # Fit refuses them; a density's tolerance then never prunes.
            return "a neighbours tree whose sample weights are not weights"
    metric = state[11]
    problem = distance_width(metric, width) or _distance_power(metric)
    if problem is not None:
        return f"a neighbours tree whose distance {problem}"
    for values in (data, weights, *metric.__getstate__()[1:3]):
        # Compiled state the walk does not open: its numbers judged as a
        # model's (round 85: a distance's matrix of 1e-310, 8.6x).
        problem = None if values is None else slow_array(np.asarray(values))
        if problem is not None:
            return f"a neighbours tree that holds {problem}"
    if not n:
        return None
    if not (np.isfinite(node_bounds).all() and np.isfinite(node_data["radius"]).all()):
        return "a neighbours tree whose nodes' bounds are not numbers"
    nodes = _Nodes(data, idx_array, node_data, n_levels, weights if not kd else None)
    if not nodes.split_where_spread():
        return "a neighbours tree whose nodes do not split their rows where they spread"
    if kd:
        fits = nodes.kd_bounds_are(node_bounds, metric.__getstate__()[0])
    else:
        fits = nodes.balls_are(node_bounds[0], metric)
    if not fits:
        return "a neighbours tree whose nodes' bounds are not their rows'"
    return None


def _distance_power(metric: Any) -> str | None:
    name = distance_name(metric)
    power = metric.__getstate__()[0]
    if not isinstance(power, float):
        return "has no power"
    if name == "ChebyshevDistance":
        fine = power == np.inf
    elif name == "MinkowskiDistance":
        fine = 1.0 <= power < np.inf
    else:
        fine = power == _POWERS.get(name, 2.0)
    return None if fine else f"has another power than its class ({power})"


def _halving(node_data: np.ndarray, n: int, levels: int) -> bool:
    """Whether a neighbours tree's nodes are the ones scikit-learn builds over
    ``n`` rows: the root covers every row, each node above the last level
    splits its rows in two halves (the first ``len // 2`` to ``2i + 1``, the
    rest to ``2i + 2``), and the last level's nodes, each of two rows or
    more above it, are the leaves. The layout depends on the row count
    alone: leaves that each claimed every row made a query visit the data
    once a leaf (1,024 leaves searched 850 times longer than an honest
    tree)."""
    start = np.zeros(1, dtype=np.int64)
    end = np.full(1, n, dtype=np.int64)
    starts, ends = [start], [end]
    for _ in range(levels - 1):
        if (end - start < 2).any():
            return False
        middle = start + (end - start) // 2
        start = np.stack([start, middle], axis=1).ravel()
        end = np.stack([middle, end], axis=1).ravel()
        starts.append(start)
        ends.append(end)
    leaf = np.zeros(len(node_data), dtype=bool)
    leaf[len(node_data) - len(start) :] = True
    return bool(
        np.array_equal(node_data["idx_start"], np.concatenate(starts))
        and np.array_equal(node_data["idx_end"], np.concatenate(ends))
        and np.array_equal(node_data["is_leaf"] != 0, leaf)
    )


class _Nodes:
    """Every node's rows' range, and with a ball tree their (weighted) sums,
    computed from the leaves up (the nodes of a level, left to right, follow
    the levels above, as the node array holds them)."""

    def __init__(
        self,
        data: np.ndarray,
        order: np.ndarray,
        node_data: np.ndarray,
        levels: int,
        weights: np.ndarray | None,
    ) -> None:
        self.data, self.order, self.levels = data, order, levels
        self.radius = node_data["radius"]
        self.end = node_data["idx_end"]
        start = node_data["idx_start"]
        first = len(node_data) - 2 ** (levels - 1)  # the leaves: the last level
        self.leaves = first
        low, high, total, mass = _leaf_sums(
            data, order, start[first:], self.end[first:], weights
        )
        lows, highs, totals, masses = [low], [high], [total], [mass]
        while len(low) > 1:
            low = np.minimum(low[0::2], low[1::2])
            high = np.maximum(high[0::2], high[1::2])
            total = total[0::2] + total[1::2]
            mass = mass[0::2] + mass[1::2]
            lows.append(low)
            highs.append(high)
            totals.append(total)
            masses.append(mass)
        self.low = np.concatenate(lows[::-1])
        self.high = np.concatenate(highs[::-1])
        self.total = np.concatenate(totals[::-1])
        self.mass = np.concatenate(masses[::-1])

    def split_where_spread(self) -> bool:
        """Each node above the leaves splits its rows along the first column
        of their widest range, its first half at or below its second (what
        scikit-learn's partition of a node guarantees)."""
        inner = np.arange(self.leaves)
        if not len(inner):
            return True
        column = np.argmax(self.high[inner] - self.low[inner], axis=1)
        left, right = 2 * inner + 1, 2 * inner + 2
        return bool((self.high[left, column] <= self.low[right, column]).all())

    def kd_bounds_are(self, bounds: np.ndarray, power: float) -> bool:
        """A KD tree's box is its rows' range, exactly (the builder takes the
        least and greatest of each column), and its radius the box's half
        diagonal under the distance's power."""
        if not (
            np.array_equal(bounds[0], self.low) and np.array_equal(bounds[1], self.high)
        ):
            return False
        half = 0.5 * (self.high - self.low)
        if power == np.inf:  # the builder's pow(rad, 1 / p): 1 for every node
            expected = half.max(axis=1) ** 0.0
        else:
            with np.errstate(over="ignore"):
                expected = (half**power).sum(axis=1) ** (1.0 / power)
        scale = np.abs(np.concatenate([self.low, self.high], axis=1)).max(axis=1)
        return bool(
            (
                np.abs(self.radius - expected)
                <= _ROUNDING * (expected + scale) + 1e-300
            ).all()
        )

    def balls_are(self, centres: np.ndarray, metric: Any) -> bool:
        """A ball tree's centre is its rows' (weighted) mean, and its radius
        the distance of the farthest of them from it."""
        if (self.radius < 0).any() or not (self.mass > 0).all():
            return False
        scale = np.maximum(np.abs(self.low), np.abs(self.high)).max(axis=1)
        mean = self.total / self.mass[:, None]
        if (np.abs(centres - mean) > _ROUNDING * scale[:, None] + 1e-300).any():
            return False
        farthest = np.zeros(len(self.radius))
        levels_of = [
            np.arange(2**level - 1, 2 ** (level + 1) - 1)
            for level in range(self.levels)
        ]
        for first in range(0, len(self.order), _GATHER_ROWS):
            rows = self.data[self.order[first : first + _GATHER_ROWS]]
            positions = np.arange(first, first + len(rows))
            for nodes in levels_of:
                # the node of each row at this level (its rows follow one another)
                owner = nodes[np.searchsorted(self.end[nodes], positions, side="right")]
                far = _distances(metric, rows, centres[owner])
                cuts = np.flatnonzero(np.diff(owner)) + 1
                held = owner[np.concatenate([[0], cuts])]
                farthest[held] = np.maximum(
                    farthest[held],
                    np.maximum.reduceat(far, np.concatenate([[0], cuts])),
                )
        slack = _ROUNDING * (farthest + scale) + 1e-300
        return bool((np.abs(self.radius - farthest) <= slack).all())


def _leaf_sums(
    data: np.ndarray,
    order: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    weights: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each leaf's least and greatest value of each column, the (weighted)
    sum of its rows and their total weight, gathering ``_GATHER_ROWS`` rows
    at a time."""
    low = np.empty((len(start), data.shape[1]))
    high = np.empty_like(low)
    total = np.empty_like(low)
    mass = np.empty(len(start))
    first = 0
    while first < len(start):
        last = int(np.searchsorted(end, start[first] + _GATHER_ROWS, side="right"))
        last = max(last, first + 1)
        taken = order[start[first] : end[last - 1]]
        rows = data[taken]
        offsets = start[first:last] - start[first]
        low[first:last] = np.minimum.reduceat(rows, offsets, axis=0)
        high[first:last] = np.maximum.reduceat(rows, offsets, axis=0)
        weight = np.ones(len(taken)) if weights is None else weights[taken]
        total[first:last] = np.add.reduceat(rows * weight[:, None], offsets, axis=0)
        mass[first:last] = np.add.reduceat(weight, offsets)
        first = last
    return low, high, total, mass


def _distances(metric: Any, rows: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The distance of each row from its centre: in numpy for the Minkowski
    family, by the metric itself, node by node, for any other."""
    name = distance_name(metric)
    if name not in _MINKOWSKI:
        # Rows of one node follow one another: a call of the metric a node.
        cuts = [0, *(np.flatnonzero((centres[1:] != centres[:-1]).any(axis=1)) + 1)]
        far = np.empty(len(rows))
        for a, b in zip(cuts, [*cuts[1:], len(rows)], strict=True):
            far[a:b] = metric.pairwise(rows[a:b], centres[a][None, :])[:, 0]
        return far
    state = metric.__getstate__()
    power, weights = state[0], np.asarray(state[1])
    gap = rows - centres
    result: np.ndarray
    if name == "EuclideanDistance":
        result = np.sqrt(np.einsum("ij,ij->i", gap, gap))
    else:
        np.abs(gap, out=gap)
        if name == "ChebyshevDistance":
            result = gap.max(axis=1)
        elif name == "ManhattanDistance":
            result = gap.sum(axis=1)
        elif weights.size:  # a weighted Minkowski distance
            result = ((gap**power) @ weights) ** (1 / power)
        else:
            result = (gap**power).sum(axis=1) ** (1 / power)
    return result
