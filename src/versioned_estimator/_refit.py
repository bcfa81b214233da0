"""What a fit of a loaded model asks for, held to what its file shows.

A safe load holds what a loaded model does when used (predict, display,
clone) to what the file paid for. A user may also fit it again, alone or in
a search: then the model's parameters say how many estimators are fitted,
and those counts are held here to what the fitted state records.

* a search's candidates: at most those its ``cv_results_`` record, or
  :data:`MAX_CANDIDATES` before a fit (:func:`candidates_problem`), and a
  successive halving's resource at most what its fit recorded;
* the splits of a ``cv``: at most those the fitted state records (a
  search's or ``RFECV``'s split scores, a path's folds, a logistic
  regression's score rows), or :data:`MAX_SPLITS` where a fit records none
  (``RidgeCV``, stacking, a model before a fit); leave-one-out and
  leave-pairs-out counted on the fitted rows, leave-p-out at most pairs
  (:func:`splits_problem`);
* a forest's or bagging model's ``n_estimators``, and a boosting model's
  that did not stop early: at most its members; an AdaBoost model's at
  most the weights its fit sized (:func:`members_problem`);
  a recursive elimination's steps, a path's points: at most its fit's;
* a spline's knots at most its fitted splines', a randomized SVD's extra
  random vectors at most three a component and 30 (:func:`_sized_problem`);
* a search's options counted as scikit-learn counts them (any sequence);
* a template no fit is recorded of (the wrapper's ``estimator`` where it
  differs from ``estimator_``; a search's with ``refit=False``, a
  sequential feature selector's, a search's candidates; an unfitted model
  where a fit belongs): at most four times the fits the fitted model asks
  for, or :data:`MAX_TEMPLATE_FITS` (:func:`fits_asked`,
  :func:`template_problem`).

What a fit repeats inside one estimator (``max_iter`` beside a tolerance
of 0, ``KMeans``' ``n_init``, ``RANSACRegressor``'s ``max_trials``, a
randomized SVD's ``n_iter``, a Gaussian process's restarts, a sequential
selector's direction and tolerance, boosting that may stop early) is not
bounded here, nor a number among a search's candidates (only the best
one's fit is kept), and templates are counted in fits, not in their cost:
a refit runs what the parameters say, and they are what ``get_params``
shows. The README's Known limits list them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from versioned_estimator._fitted_state import (
    _int,
    _name,
    _real,
    grid_options,
    search_grids,
    splits_of,
    walk_memo,
)
from versioned_estimator._members import CLONED
from versioned_estimator._shapes import _FITTED_IN_PLACE, fitted_rows, param_set

__all__ = [
    "MAX_CANDIDATES",
    "MAX_SPLITS",
    "MAX_TEMPLATE_FITS",
    "candidates_problem",
    "fits_asked",
    "refit_problem",
    "template_problem",
]

#: The most candidates a search not yet fitted may ask for: a fitted one
#: asks for at most those its results record. A grid's candidates are the
#: product of its lists' lengths: a list of two dicts, the second of three
#: lists of 100 values (11.7 KB), asked GridSearchCV's fit of the loaded
#: model for 10**6 fits where its results recorded 3 (round 195).
MAX_CANDIDATES = 1 << 16

#: The most splits a ``cv`` may make where no fit records how many it made:
#: ``RepeatedKFold(n_splits=10, n_repeats=10)``. ``ShuffleSplit(n_splits=
#: 10**5)`` on a fitted search of three recorded splits, or 20,000 on a
#: ``RidgeCV``, ran a refit past 60 s (round 196).
MAX_SPLITS = 100

#: The most thresholds a tuned threshold may try where its fit kept none
#: of its scores (its default is 100; 200,000 ran a refit past a minute,
#: round 200).
MAX_THRESHOLDS = 1000

#: The most fits a template may ask for that a fitted model keeps no fit
#: of: a search's ``estimator`` when it keeps no best estimator
#: (``refit=False``), a sequential feature selector's.
MAX_TEMPLATE_FITS = 1 << 10

#: The leave-p-out splitters and their p: C(rows, p) splits, already
#: 500,000 for pairs of 1,000 rows.
_LEAVE_P_OUT = {"LeavePOut": "p", "LeavePGroupsOut": "n_groups"}

#: Ensembles whose every fit makes exactly ``n_estimators`` members (not
#: boosting, which may stop early, nor a warm start asked for fewer).
_ALL_MEMBERS = frozenset(
    {
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "RandomTreesEmbedding",
        "IsolationForest",
        "BaggingClassifier",
        "BaggingRegressor",
    }
)

_SPLIT_KEY = re.compile(r"split(\d+)_test_")


def refit_problem(model: Any) -> str | None:
    """What a fit of ``model`` would ask for beyond its file, or None.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV, ShuffleSplit
    >>> X, y = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]], [0, 1, 2, 3, 5, 4]
    >>> search = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3).fit(X, y)
    >>> refit_problem(search) is None
    True
    >>> search.cv = ShuffleSplit(n_splits=100_000)
    >>> refit_problem(search)
    'a GridSearchCV whose cv makes 100,000 splits, more than its fit recorded (3)'
    """
    kind: type = type(model)
    for check in _checks_of(kind):
        problem = check(model)
        if problem is not None:
            return problem
    return None


@functools.lru_cache(maxsize=1024)
def _checks_of(kind: type) -> tuple[Callable[[Any], str | None], ...]:
    """The checks that apply to estimators of ``kind``, by its parameters
    and name, once a class (a forest holds a hundred trees); none for a
    helper object (a boosting model's 600 predictors)."""
    if not hasattr(kind, "fit"):
        return ()
    params, name = param_set(kind), kind.__name__
    checks: list[Callable[[Any], str | None]] = []
    if params & {"param_grid", "param_distributions"}:
        checks += [candidates_problem, _grid_problem]
    if "resource" in params:
        checks.append(_resources_problem)
    if params & {point for point, _ in _PATHS} or params & {"l1_ratio", "thresholds"}:
        checks.append(_path_problem)
    if name in ("RFE", "RFECV"):
        checks.append(_elimination_problem)
    if params & {"n_knots", "n_bins", *_OVERSAMPLES}:
        checks.append(_sized_problem)
    if "cv" in params:
        checks.append(splits_problem)
    if name in _ALL_MEMBERS | _BOOSTING | _ADAPTIVE_BOOSTING | _HIST_BOOSTING:
        checks.append(members_problem)
    checks.append(_unrecorded_template)
    return tuple(checks)


def candidates_problem(model: Any) -> str | None:
    """A search asks a fit for at most the candidates its results record,
    or :data:`MAX_CANDIDATES` before a fit."""
    asked = _candidates_asked(model)
    if asked is None:
        return None
    results = model.__dict__.get("cv_results_")
    if results is None:
        if asked <= MAX_CANDIDATES:
            return None
        return (
            f"a {_name(model)} whose grid makes {asked:,} candidates (at most "
            f"{MAX_CANDIDATES:,} before a fit)"
        )
    recorded = results.get("params") if isinstance(results, dict) else None
    if isinstance(recorded, list) and asked <= len(recorded):
        return None
    return (
        f"a {_name(model)} whose grid makes {asked:,} candidates, more than its "
        "results record"
    )


def _candidates_asked(model: Any) -> int | None:
    """:func:`_count_candidates`, once a search while a walk lasts (three
    checks ask it of each search)."""
    memo = walk_memo("candidates")
    if id(model) not in memo:
        memo[id(model)] = _count_candidates(model)
    found: int | None = memo[id(model)]
    return found


def _count_candidates(model: Any) -> int | None:
    """How many candidates a fit of a search asks for: a grid's, the
    product of each dict's lists' lengths, summed; a randomized search's,
    its draws (at most the grid's when every option is a list), a
    successive halving's ``"exhaust"`` as many as its fit's resources give
    (round 200: 333 where three were recorded). None when a fit decides
    (an ``"exhaust"`` before a fit)."""
    namespace = getattr(model, "__dict__", {})
    randomized = "param_distributions" in namespace
    grids = search_grids(
        namespace.get("param_distributions" if randomized else "param_grid")
    )
    if grids is None:
        return None
    total, drawn = 0, False
    for grid in grids:
        if not isinstance(grid, Mapping):
            return None
        size = 1
        for value in grid.values():
            options = grid_options(value)
            if options is None:
                drawn = True  # a distribution
            else:
                size *= len(options)
        total += size
    if not randomized:
        return total
    draws = _int(namespace.get("n_iter", namespace.get("n_candidates")))
    if draws is None and namespace.get("n_candidates") == "exhaust":
        # As many as the resources allow a first iteration (its fit's).
        least = _real(namespace.get("min_resources_"))
        most = _int(namespace.get("max_resources_"))
        draws = int(most // least) if most is not None and least else None
    if draws is None:
        return None
    return draws if drawn else min(draws, total)


def _grid_problem(model: Any) -> str | None:
    """A search's candidates that are estimators or splitters are
    templates no fit keeps (only the best one's is refit): each at most
    :data:`MAX_TEMPLATE_FITS` fits, a splitter at most :data:`MAX_SPLITS`
    splits (round 197: ``{"cv": [3, ShuffleSplit(100000)]}`` on an inner
    search)."""
    namespace = getattr(model, "__dict__", {})
    grids = search_grids(
        namespace.get("param_grid", namespace.get("param_distributions"))
    )
    for value in _options(grids or ()):
        kind: type = type(value)
        if hasattr(kind, "fit"):
            fits = fits_asked(value, _data_width(model))
            if fits > MAX_TEMPLATE_FITS:
                return (
                    f"a {_name(model)} whose grid holds a {_name(value)} of "
                    f"{fits:,} fits (at most {MAX_TEMPLATE_FITS:,})"
                )
        elif hasattr(kind, "get_n_splits"):
            splits = splits_of(value)
            if splits is None and _name(value) in _LEAVE_P_OUT:
                splits = MAX_SPLITS + 1  # rows to a power
            if splits is not None and splits > MAX_SPLITS:
                return (
                    f"a {_name(model)} whose grid holds a {_name(value)} of "
                    f"more than {MAX_SPLITS} splits"
                )
    return None


def _halving_fits(namespace: Mapping[str, Any]) -> int:
    """How many times a successive halving's estimator fits per candidate
    and split, at most: once an iteration, and over another resource than
    the rows, up to ``max_resources`` members each time."""
    most = _int(namespace.get("max_resources"))
    if most is None:
        return 1  # the rows decide
    least = _int(namespace.get("min_resources"))
    iterations = _iterations(namespace.get("factor"), most // max(least or 1, 1))
    each = most if namespace.get("resource") != "n_samples" else 1
    return (iterations or MAX_SPLITS) * max(each, 1)


def _options(grids: Any) -> Iterator[Any]:
    """Every option of a search's grids that may be an object: the items of
    its lists and tuples (however nested: a pipeline's steps as one option)
    and of its arrays of objects, and anything else as one option (a
    distribution)."""
    for grid in grids:
        for options in grid.values() if isinstance(grid, Mapping) else [grid]:
            if isinstance(options, np.ndarray):
                if options.dtype.kind == "O":
                    yield from _nested(list(options.ravel()))
            else:
                yield from _nested(options)


def _resources_problem(model: Any) -> str | None:
    """A successive halving asks a fit for as many iterations as its fit
    made, each of at most the resource it recorded: its ``factor`` makes
    its recorded iterations of its recorded resources (``factor=1.0001``
    made 11,000 iterations of a search that made four, round 197), its
    ``min_resources`` its fit's, and over another resource than the rows
    (a forest's ``n_estimators``) its ``max_resources`` its fit's
    (``10**6`` beside a fit's 30 asked for forests of a million trees)."""
    namespace = getattr(model, "__dict__", {})
    if "n_possible_iterations_" not in namespace:
        return None
    problem = f"a {_name(model)} whose {{}} is not what its fit recorded"
    least, most = (
        _real(namespace.get("min_resources_")),
        _int(namespace.get("max_resources_")),
    )
    if least is None or most is None or least < 1:
        return problem.format("resources")
    asked = namespace.get("min_resources")
    if not isinstance(asked, str) and _int(asked) != least:
        return problem.format("min_resources")
    resource = namespace.get("resource")
    if resource != "n_samples":
        asked = _int(namespace.get("max_resources"))
        if asked is None or asked > most:
            return problem.format("max_resources")
        # Every candidate it fitted set the resource (round 199: a search
        # of rows switched to trees, its rows read as 2,000 trees).
        results = namespace.get("cv_results_")
        tried = results.get("params") if isinstance(results, dict) else None
        if not (
            isinstance(tried, list)
            and tried
            and all(isinstance(c, dict) and resource in c for c in tried)
        ):
            return problem.format("resource")
    factor = namespace.get("factor")
    if _iterations(factor, most // least) != _int(namespace["n_possible_iterations_"]):
        return problem.format("factor")
    candidates = _candidates_asked(model)
    if candidates is not None and _iterations(factor, candidates) != _int(
        namespace.get("n_required_iterations_")
    ):
        return problem.format("factor")
    return None


def _iterations(factor: Any, ratio: Any) -> int | None:
    """A successive halving's iterations over a ``ratio`` of resources (or
    of candidates), as its fit computes them; None for a factor it would
    not take or a ratio below one."""
    if _real(factor) is None or factor <= 1 or _real(ratio) is None or ratio < 1:
        return None
    return 1 + math.floor(math.log(ratio, float(factor)))


#: A cross-validated model's path parameters and the fitted arrays whose
#: last axis records their points.
_PATHS = (("Cs", "Cs_"), ("alphas", "alphas_"), ("l1_ratios", "l1_ratios_"))


def _path_problem(model: Any) -> str | None:
    """A fitted cross-validated model's path has at most the points its fit
    recorded (a list of 400 ``l1_ratio`` values beside a fit of one, 17 KB
    of file, fitted 400 paths a split: round 198; numbers are the sizes
    table's)."""
    namespace = getattr(model, "__dict__", {})
    found: list[tuple[str, int, int]] = []
    for param, attribute in _PATHS:
        recorded = namespace.get(attribute)
        if param in namespace and isinstance(recorded, np.ndarray) and recorded.ndim:
            found.append((param, _points(namespace[param]), recorded.shape[-1]))
    errors = namespace.get("mse_path_")
    if "l1_ratio" in namespace and isinstance(errors, np.ndarray):
        ratios = errors.shape[0] if errors.ndim == 3 else 1
        found.append(("l1_ratio", _points(namespace["l1_ratio"]), ratios))
    results = namespace.get("cv_results_")
    results = results if isinstance(results, dict) else {}
    count = _int(namespace.get("thresholds"))
    kept = results.get("thresholds")
    if count is not None and kept is None and count > MAX_THRESHOLDS:
        return (
            f"a {_name(model)} whose thresholds ask a fit for {count:,} (at most "
            f"{MAX_THRESHOLDS:,} where its fit keeps none)"
        )
    if count is not None and kept is not None:  # a tuned threshold's scores
        found.append(("thresholds", count, len(kept)))
    refinements = _int(namespace.get("n_refinements"))
    if refinements is not None and "alphas" in results:  # a graphical lasso's
        count = _int(namespace.get("alphas"))  # grid, refined n times
        asked = (
            count * refinements
            if count is not None
            else _points(namespace.get("alphas"))
        )
        found.append(("alphas", asked, len(results["alphas"])))
    for param, asked, recorded in found:
        if asked > recorded:
            return (
                f"a {_name(model)} whose {param} asks a fit for {asked:,} points "
                f"of its path where its fit made {recorded}"
            )
    return None


def _elimination_problem(model: Any) -> str | None:
    """A fitted recursive elimination asks a fit for at most the steps its
    fit made: ``step=1`` beside a fit of ``step=50`` over 200 columns fitted
    its estimator 200 times where the file's fit did 4 (round 199)."""
    namespace = getattr(model, "__dict__", {})
    kind = _name(model)
    width, ranking = _int(namespace.get("n_features_in_")), namespace.get("ranking_")
    if kind not in ("RFE", "RFECV") or width is None:
        return None
    step = namespace.get("step")
    each, fraction = _int(step), _real(step)
    if each is None and fraction is not None and 0 < fraction < 1:
        each = max(1, int(fraction * width))
    results = namespace.get("cv_results_")
    if kind == "RFECV" and isinstance(results, dict):
        last = _int(namespace.get("min_features_to_select"))
        made = len(results.get("n_features", ()))
    elif isinstance(ranking, np.ndarray) and ranking.size:
        last = _target(namespace.get("n_features_to_select"), width)
        made = int(ranking.max()) - (kind == "RFE")
    else:
        return None
    if each is None or each < 1 or last is None:
        return f"a {kind} whose step is not what its fit took"
    asked = -(-max(width - last, 0) // each) + (kind == "RFECV")
    if asked <= made:
        return None
    return (
        f"a {kind} whose step asks a fit for {asked:,} steps where its fit made {made}"
    )


def _target(asked: Any, width: int) -> int | None:
    """The columns a recursive elimination keeps, as its fit reads its
    ``n_features_to_select`` (round 200: 1 beside a fit that kept 199 of
    200 asked a refit for 199 steps where its fit made 1)."""
    if asked is None:
        return width // 2
    fraction = _real(asked)
    if _int(asked) is None and fraction is not None and 0 < fraction <= 1:
        return int(width * fraction)  # a share of the columns, 1.0 all
    return _int(asked)


#: The bins a quantile or k-means discretizer may ask of a column whatever
#: its fit made (fewer where a column had fewer values).
MIN_BINS_ALLOWED = 32

#: The parameters that add random vectors to a randomized SVD's range
#: (``PCA``, ``TruncatedSVD``; a spectral biclustering's ``n_svd_vecs``).
_OVERSAMPLES = ("n_oversamples", "n_svd_vecs")


def _sized_problem(model: Any, template: Any = None) -> str | None:
    """Parameters that size what a fit computes, which the sizes table
    cannot hold to one fitted axis (``template``: one of ``model``'s class,
    its parameters read against ``model``'s record with the slack of
    :func:`template_problem`):

    * a spline transformer's knots, ``n_knots`` and twice its ``degree``
      a column, at most its fitted splines' (round 201: 12,000 knots
      beside a fit of 5 took 7.7 times its control's memory);
    * a discretizer's ``n_bins``, at most four times its fitted
      ``n_bins_`` and two (quantile and k-means bins at least
      :data:`MIN_BINS_ALLOWED`), and a fitted one holds its ``n_bins_``;
    * a spectral biclustering's ``n_components``, at most four times its
      fitted width and two;
    * a randomized SVD's extra random vectors, at most three for each
      component and 30 (its default is 10; 20,000 beside three
      components crashed scipy in the refit, round 201).
    """
    namespace = getattr(model, "__dict__", {})
    asked = namespace
    if template is not None:
        own = getattr(template, "__dict__", {})
        kind: type = type(model)
        asked = {**namespace, **{p: own[p] for p in param_set(kind) if p in own}}
    problem = f"a {_name(model)} whose {{}} asks a fit for more than {{}}"
    if _name(model) == "SplineTransformer" and isinstance(asked.get("knots"), str):
        count, degree = _int(asked.get("n_knots")), _int(asked.get("degree"))
        splines = namespace.get("bsplines_")
        if count is None or degree is None:
            return problem.format("n_knots", "a count of knots")
        if _fitted(namespace) and not (isinstance(splines, list) and splines):
            return f"a {_name(model)} fitted without its splines"  # round 203
        if isinstance(splines, list) and splines:
            knots = getattr(splines[0], "t", None)  # scipy's BSpline
            made = len(knots) if isinstance(knots, np.ndarray) and knots.ndim else 0
            most, said = made, f"the {made} knots its fit made"
            if template is not None:
                most = 4 * made + 2
                said = f"{most} knots (its fit made {made})"
            if count + 2 * degree > most:
                return problem.format("n_knots", said)
    bins, fitted_bins = asked.get("n_bins"), namespace.get("n_bins_")
    has_bins = isinstance(fitted_bins, np.ndarray) and fitted_bins.size
    discretizer = _name(model) == "KBinsDiscretizer"  # not a _BinMapper's
    if discretizer and _fitted(namespace) and not has_bins:
        return f"a {_name(model)} fitted without its n_bins_"  # round 203
    if discretizer and isinstance(fitted_bins, np.ndarray) and has_bins:
        # Bins are as many as asked, but a constant column's one and, for
        # quantile and k-means bins, fewer where a column has fewer values
        # (round 202: 20,000 uniform bins beside a fit of 5 refit at 10
        # times the memory; round 203: 20 quantile bins of binary columns
        # made one each).
        made_bins = int(fitted_bins.max())
        most = 4 * made_bins + 2
        if asked.get("strategy") != "uniform":
            most = max(most, MIN_BINS_ALLOWED)
        bins_asked = _most_bins(bins)
        if bins_asked is None or bins_asked > most:
            return problem.format("n_bins", f"{most} bins (its fit made {made_bins})")
    width = _int(namespace.get("n_features_in_"))
    if _name(model) == "SpectralBiclustering" and width is not None:
        # Singular vectors of the data, about its width at most (its default
        # of 6 fits data of 4 columns): 20,000 beside a fit of 50 columns
        # crashed scipy in the refit (round 203).
        vectors, most = _int(asked.get("n_components")), 4 * width + 2
        if vectors is None or vectors > most:
            return problem.format("n_components", f"{most} ({width} columns)")
    for name in _OVERSAMPLES:
        extra = asked.get(name)
        if name not in asked or extra is None:
            continue
        fitted = namespace.get("components_")
        components = (
            _int(namespace.get("n_components_"))
            or (
                fitted.shape[0]
                if isinstance(fitted, np.ndarray) and fitted.ndim
                else None
            )
            or _int(asked.get("n_components"))
            or 0
        )
        most, count = 3 * components + 30, _int(extra)
        if count is None or count > most:
            return problem.format(name, f"{most} random vectors")
    return None


def _most_bins(bins: Any) -> int | None:
    """The most bins a discretizer's ``n_bins`` asks of a column, as its fit
    reads it: a count, or one a column (a list, a tuple or an array of
    whole numbers); None for anything else."""
    if _int(bins) is not None:
        return _int(bins)
    if isinstance(bins, (list, tuple)):
        counts = [_real(count) for count in bins]
        if not counts or None in counts:
            return None
        bins = np.array(counts)
    if not isinstance(bins, np.ndarray) or bins.ndim != 1 or not bins.size:
        return None
    if bins.dtype.kind not in "iuf" or not np.isfinite(bins).all():
        return None
    most = float(bins.max())
    return int(most) if most.is_integer() else None


def splits_problem(model: Any) -> str | None:
    """A ``cv`` makes at most the splits its model's fit recorded, or
    :data:`MAX_SPLITS` where none is recorded; one whose splits the rows
    decide (leave one out, leave pairs out) as many on the rows the model
    was fitted on (round 197: ``LeavePOut(2)`` beside three recorded splits
    asked a refit on 300 rows for 44,850)."""
    namespace = getattr(model, "__dict__", {})
    owner: type = type(model)
    if "cv" not in namespace or "cv" not in param_set(owner):
        return None
    cv = namespace["cv"]
    kind = _name(cv)
    recorded = _recorded_splits(namespace)
    if kind in _LEAVE_P_OUT:
        p = _int(getattr(cv, "__dict__", {}).get(_LEAVE_P_OUT[kind]))
        if p is None or p > 2:
            return (
                f"a {_name(model)} whose cv is a {kind} of more than pairs "
                "(its splits grow as the rows to that power)"
            )
        if kind != "LeavePOut" or p < 2:
            return None  # groups decide (a fit without them fails)
        rows = fitted_rows(model)
        if rows is None:
            return (
                f"a {_name(model)} whose cv leaves out pairs of rows, with no "
                "record of its rows"
            )
        asked: int | None = math.comb(rows, p)
    elif kind == "LeaveOneOut":
        asked = fitted_rows(model)  # None where no rows are said
    else:
        asked = splits_of(cv)
    if asked is None:
        return None  # the data's own count (leave one out, groups)
    if recorded is None:
        if asked <= MAX_SPLITS:
            return None
        return (
            f"a {_name(model)} whose cv makes {asked:,} splits (at most "
            f"{MAX_SPLITS} where a fit records none)"
        )
    if asked <= recorded:
        return None
    return (
        f"a {_name(model)} whose cv makes {asked:,} splits, more than its fit "
        f"recorded ({recorded})"
    )


def _recorded_splits(namespace: Mapping[str, Any]) -> int | None:
    """How many splits a fit recorded scores of: a search's (and
    ``RFECV``'s, ``GraphicalLassoCV``'s) ``split<i>_test_*`` results, the
    folds of a regularization path's errors, a calibrated ensemble's
    members, the rows of a logistic regression's scores; None when it
    records none."""
    results = namespace.get("cv_results_")
    if isinstance(results, dict):
        found = {
            match.group(1)
            for key in results
            if isinstance(key, str) and (match := _SPLIT_KEY.match(key))
        }
        if found:
            return len(found)
    path = namespace.get("mse_path_")
    if isinstance(path, np.ndarray) and path.ndim >= 2:
        return int(path.shape[-1])
    members = namespace.get("calibrated_classifiers_")
    if isinstance(members, list) and len(members) > 1:  # one a split
        return len(members)
    scores = namespace.get("scores_")  # by class, or one array (1.8 on)
    for rows in scores.values() if isinstance(scores, dict) else [scores]:
        if isinstance(rows, np.ndarray) and rows.ndim >= 2:
            return int(rows.shape[0])
    return None


def members_problem(model: Any) -> str | None:
    """A model asks a fit for at most the members it holds where every fit
    makes as many as it asks: a forest or bagging model always, boosting
    when it does not stop early (a forest of 10 trees saying
    ``n_estimators=20000`` refit 1,590 times as long, round 196)."""
    namespace = getattr(model, "__dict__", {})
    kind = _name(model)
    members = namespace.get("estimators_")
    stops = namespace.get("n_iter_no_change")
    allowance = 0  # members a fit that stopped early may ask beyond its own
    if kind in _ALL_MEMBERS or (kind in _BOOSTING and stops is None):
        asked = _int(namespace.get("n_estimators"))
    elif kind in _ADAPTIVE_BOOSTING:
        # Its fit sizes its weights to every member asked, then may stop
        # early (a member that fits the data exactly): where it stopped,
        # the weights past its members record nothing a fit made, and cost
        # next to nothing compressed (round 202: 12,000 weights beside 10
        # stumps, 5.8 KB, refit 17.5 times as long), so they count to
        # MAX_TEMPLATE_FITS (round 201: 10 stumps saying 20,000).
        asked = _int(namespace.get("n_estimators"))
        weights = namespace.get("estimator_weights_")
        if not _fitted(namespace):
            return None  # before a fit (a search's template)
        if (
            not isinstance(weights, np.ndarray)
            or not weights.ndim
            or not isinstance(members, list)
        ):  # a record deleted passes no count (round 203)
            return f"a {kind} whose members are not what its fit made"
        if isinstance(members, list) and len(members) < len(weights):
            allowance = min(len(weights), MAX_TEMPLATE_FITS)
    elif kind in _HIST_BOOSTING and namespace.get("do_early_stopping_") is False:
        asked, members = _int(namespace.get("max_iter")), namespace.get("_predictors")
    else:
        return None
    if asked is None or not isinstance(members, (list, np.ndarray)):
        return None
    if isinstance(members, np.ndarray) and not members.ndim:
        return f"a {kind} whose members are not what its fit made"
    made = len(members)
    if asked <= max(made, allowance):
        return None
    if allowance:
        made_text = f"{made} and stopped early (at most {allowance:,})"
    else:
        made_text = str(made)
    return (
        f"a {kind} that asks a fit for {asked:,} members where its fit made {made_text}"
    )


_BOOSTING = frozenset({"GradientBoostingClassifier", "GradientBoostingRegressor"})
_ADAPTIVE_BOOSTING = frozenset({"AdaBoostClassifier", "AdaBoostRegressor"})
_HIST_BOOSTING = frozenset(
    {"HistGradientBoostingClassifier", "HistGradientBoostingRegressor"}
)


def _unrecorded_template(model: Any) -> str | None:
    """A fitted model that keeps no fit of a template it was given (a
    search with ``refit=False``, a sequential feature selector) records
    nothing of that template's own counts: at most
    :data:`MAX_TEMPLATE_FITS` fits. A search of a search whose inner grid
    made 65,536 candidates asked a refit for that many per outer candidate
    (round 196). A template with a fit beside it (``CLONED``) is held to
    that fit's settings."""
    namespace = getattr(model, "__dict__", {})
    if not _fitted(namespace):
        if fitted_rows(model) is None or not _FITTED_IN_PLACE.isdisjoint(namespace):
            # A template, held to the bounds before a fit; or a pipeline or
            # union, fitted in its members (each in a fit's place): they
            # keep no fitted name of their own.
            return None
        # Where a fit belongs (a wrapper's estimator_, a pipeline's step),
        # unfitted: a template no fit recorded (round 199: an unfitted
        # feature selector of 1,000 trees as estimator_).
        fits = fits_asked(model)
        if fits <= MAX_TEMPLATE_FITS:
            return None
        return (
            f"an unfitted {_name(model)} where a fit belongs, of {fits:,} fits "
            f"(at most {MAX_TEMPLATE_FITS:,})"
        )
    owner: type = type(model)
    for param in _sorted_params(owner):
        template = namespace.get(param)
        if (
            type(template) in _PLAIN
            or not hasattr(type(template), "fit")
            or any(
                attribute in namespace for name, attribute in CLONED if name == param
            )
        ):
            continue
        fits = fits_asked(template, _data_width(model))
        if fits > MAX_TEMPLATE_FITS:
            return (
                f"a {_name(model)} whose {param} asks a fit for {fits:,} fits, "
                f"which no fit it keeps recorded (at most {MAX_TEMPLATE_FITS:,})"
            )
    return None


def template_problem(fitted: Any, template: Any) -> str | None:
    """A wrapper's ``estimator`` template, where it differs from the fitted
    ``estimator_``, asks a fit for about as many fits as the fitted one's
    parameters do: at most four times as many and two more (a scaler put
    before a fitted ridge, three ``l1_ratio`` values where one was fitted;
    a template forest of 20,000 trees beside a fitted one of 10 refit 1,590
    times as long, round 196), and is held to the bounds of a model before
    a fit throughout.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> fitted = RandomForestClassifier(n_estimators=3).fit([[0], [1]], [0, 1])
    >>> template_problem(fitted, RandomForestClassifier(n_estimators=14)) is None
    True
    >>> print(template_problem(fitted, RandomForestClassifier(n_estimators=15)))
    a template RandomForestClassifier that asks for 15 fits (the fitted model: 3)
    """
    width = _data_width(fitted)
    asked, allowed = fits_asked(template, width), fits_asked(fitted, width)
    if asked > 4 * allowed + 2:
        return (
            f"a template {_name(template)} that asks for {asked:,} fits (the "
            f"fitted model: {allowed:,})"
        )
    for part, fitted_part in _paired(template, fitted):
        kind: type = type(part)
        if _sized_problem in _checks_of(kind):
            problem = _sized_problem(fitted_part, part)
            if problem is not None:
                return f"a template {problem.removeprefix('a ')}"
    return None


def _paired(template: Any, fitted: Any) -> Iterator[tuple[Any, Any]]:
    """``template`` and ``fitted``, then each estimator the template's
    parameters hold beside the one of the same class and name in the
    fitted model's (a pipeline's step, fitted in place)."""
    yield template, fitted
    try:
        mine, theirs = template.get_params(deep=True), fitted.get_params(deep=True)
    except Exception:  # a model of another release: no pairs
        return
    for key, part in mine.items():
        other = theirs.get(key)
        if type(part) is type(other) and hasattr(type(part), "fit"):
            yield part, other


@functools.lru_cache(maxsize=1024)
def _sorted_params(kind: type) -> tuple[str, ...]:
    return tuple(sorted(param_set(kind)))


def _fitted(namespace: dict[Any, Any]) -> bool:
    """Whether a model's state holds what a fit sets (a public name ending
    in an underscore)."""
    return any(  # from the last set: a fit sets its names after __init__'s
        isinstance(key, str) and key.endswith("_") and not key.startswith("_")
        for key in reversed(namespace)
    )


#: Parameter values that are no estimator, told apart by their type alone.
_PLAIN = frozenset({int, float, str, bool, type(None)})


def _data_width(model: Any) -> int | None:
    """The width of the data ``model`` was fitted on, as its fitted state
    records it (a search's in its best estimator's)."""
    namespace = getattr(model, "__dict__", {})
    best = getattr(namespace.get("best_estimator_"), "__dict__", {})
    for holder in (namespace, best):
        if isinstance(holder, dict) and _int(holder.get("n_features_in_")) is not None:
            return _int(holder["n_features_in_"])
    return None


#: Past this, a count is "more than any bound here" (a product of nested
#: counts is not multiplied further).
_UNBOUNDED = 1 << 62


def fits_asked(model: Any, width: int | None = None) -> int:
    """How many estimators a fit of ``model`` fits, counted from its
    parameters: a search's candidates times its splits, and a refit, times
    its estimator's; an ensemble's ``n_estimators`` times its template's;
    a ``cv``'s splits and a refit for a model fitted across splits, times
    its path's points (``Cs``, ``alphas``, ``l1_ratio``); a feature
    selector's steps over ``width`` columns (the data's, when known); the
    sum of a pipeline's or union's members. A splitter whose count the data
    decides counts as :data:`MAX_SPLITS`.

    Examples
    --------
    >>> from sklearn.ensemble import BaggingRegressor
    >>> from sklearn.linear_model import LogisticRegressionCV, Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> fits_asked(Ridge())
    1
    >>> fits_asked(GridSearchCV(BaggingRegressor(Ridge(), n_estimators=4),
    ...                         {"max_samples": [0.5, 1.0]}, cv=3))
    28
    >>> fits_asked(LogisticRegressionCV(Cs=100, cv=3))
    400
    """
    return _fits(model, 0, max(width or 1, 1), walk_memo(f"fits/{width}"))


#: Parameters whose points a cross-validated model fits on every split:
#: a number of them, or a list of them.
_PATH_POINTS = ("Cs", "alphas", "n_alphas", "l1_ratio", "l1_ratios")

#: Feature selectors that fit their estimator once a step over the columns
#: (recursive elimination), or once a column a step (sequential selection).
_COLUMN_STEPS = {"RFE": 1, "RFECV": 1, "SequentialFeatureSelector": 2}


def _fits(model: Any, depth: int, width: int, known: dict[int, Any]) -> int:
    """:func:`fits_asked`, each object counted once however often it is
    held (``known``, by id, beside the object: its id is not reused while
    the memo lasts)."""
    namespace = getattr(model, "__dict__", None)
    if not isinstance(namespace, dict) or not hasattr(type(model), "fit"):
        return 0
    if _name(model) == "FrozenEstimator":
        return 0  # its fit fits nothing
    if depth > 100:
        return _UNBOUNDED
    if id(model) in known:
        return int(known[id(model)][1])
    owner: type = type(model)
    params = param_set(owner)
    members = 0
    for name in params:
        for part in _nested(namespace.get(name)):
            if hasattr(type(part), "fit"):
                members += _fits(part, depth + 1, width, known)
                members = min(members, _UNBOUNDED)
    count = 1
    if "cv" in params:  # each candidate on each split, and a refit
        splits = splits_of(namespace.get("cv"))
        candidates = _candidates_asked(model)
        count = (candidates or 1) * (MAX_SPLITS if splits is None else splits) + 1
    for name in _PATH_POINTS:
        if name in params:
            count *= _points(namespace.get(name))
    estimators = _int(namespace.get("n_estimators"))
    if estimators is not None and "n_estimators" in params:
        count *= max(estimators, 1)
    if "resource" in params:  # successive halving: each iteration
        count *= _halving_fits(namespace)
    for _ in range(_COLUMN_STEPS.get(_name(model), 0)):
        count *= width
    fits = min(count * max(members, 1), _UNBOUNDED)
    known[id(model)] = (model, fits)
    return fits


def _points(value: Any) -> int:
    """A path's points: a number's own, a list's or an array's length."""
    number = _int(value)
    if number is not None:
        return max(number, 1)
    if isinstance(value, (list, tuple)) or (
        isinstance(value, np.ndarray) and value.ndim
    ):
        return max(len(value), 1)
    return 1


def _nested(value: Any, depth: int = 0) -> Iterator[Any]:
    """Every item of ``value`` through nested lists and tuples (a pipeline's
    steps as one option of a grid: round 198), and ``value`` itself."""
    if isinstance(value, (list, tuple)) and depth < 100:
        for item in value:
            yield from _nested(item, depth + 1)
    else:
        yield value
