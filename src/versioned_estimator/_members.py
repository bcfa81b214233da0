"""Fitted estimators a model holds, each accounted for by what made it.

A model's parameters are the settings its reader sees; what runs at predict
is the fitted state, and a fitted member held apart from what made it runs
whatever the parameters say. Each estimator a model holds is one of:

- a parameter (shown in the envelope, the user's own settings);
- a fit of a parameter (:data:`CLONED`: a meta-estimator's ``estimator_``,
  an ensemble's members, a search's best estimator): of the parameter's
  class and settings (:func:`fitted_members`);
- a part fit builds itself (:data:`BUILT_PARTS`: a neighbours graph, an
  encoder, a scaler): of the class and settings fit gives it
  (:func:`built_parts`);
- a member another check holds (:data:`CHECKED_MEMBERS`);

and any estimator elsewhere is refused (:func:`accounted_members`). The
safe load runs these on every scikit-learn estimator of a loaded graph,
beside the checks of :mod:`versioned_estimator._fitted_state` and
:mod:`versioned_estimator._class_checks`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from versioned_estimator._routing import REQUEST_TYPES, request_owned_by
from versioned_estimator._settings import same_settings
from versioned_estimator._shapes import CONTAINER_TYPES, param_set

__all__ = [
    "BUILT_PARTS",
    "HIST_BOOSTING",
    "CHECKED_MEMBERS",
    "CLONED",
    "DEFAULT_MEMBERS",
    "accounted_members",
    "class_name",
    "built_parts",
    "fitted_members",
]


def class_name(obj: Any) -> str:
    """The name of ``obj``'s class, as the checks' tables name classes."""
    return type(obj).__name__


_name = class_name


#: Fitted members scikit-learn makes by cloning a parameter, as (parameter,
#: attribute): a stacking model's final estimator, a meta-estimator's
#: ``estimator_``, a target regressor, the members of bagging, boosting,
#: one-vs-rest and one-vs-one, multi-output models and chains, voting's and
#: stacking's members, a search's best estimator.
CLONED = (
    ("final_estimator", "final_estimator_"),
    ("estimator", "estimator_"),
    ("regressor", "regressor_"),
    ("estimator", "estimators_"),
    ("estimators", "estimators_"),
    ("estimator", "best_estimator_"),
    ("transformer", "transformer_"),
    ("estimator", "_estimator"),
    ("init", "init_"),
)
#: The class a parameter left None stands for, by (class, parameter).
DEFAULT_MEMBERS = {
    ("StackingClassifier", "final_estimator"): "LogisticRegression",
    ("StackingRegressor", "final_estimator"): "RidgeCV",
    ("RANSACRegressor", "estimator"): "LinearRegression",
    ("TransformedTargetRegressor", "regressor"): "LinearRegression",
    ("TransformedTargetRegressor", "transformer"): "FunctionTransformer",
    ("AdaBoostClassifier", "estimator"): "DecisionTreeClassifier",
    ("AdaBoostRegressor", "estimator"): "DecisionTreeRegressor",
    ("BaggingClassifier", "estimator"): "DecisionTreeClassifier",
    ("BaggingRegressor", "estimator"): "DecisionTreeRegressor",
    ("IterativeImputer", "estimator"): "BayesianRidge",
    ("GradientBoostingClassifier", "init"): "DummyClassifier",
    ("GradientBoostingRegressor", "init"): "DummyRegressor",
}
#: What a member may hold in place of a clone: one-vs-rest and output codes
#: keep a constant for a class no row of the training data was outside.
_STAND_INS = frozenset({"_ConstantPredictor"})


def fitted_members(model: Any) -> str | None:
    """A member fit cloned from a parameter is of that parameter's class and
    settings (its random state aside, which ensembles draw for each): a
    final estimator of ``Ridge()`` fitted as a Gaussian process of a
    60-kernel product costs at predict what no setting of the file asked
    for. A search's best estimator may differ in the parameters it says
    were best."""
    namespace = getattr(model, "__dict__", {})
    if not any(attribute in namespace for _, attribute in CLONED):
        return None
    kind = _name(model)
    owner: type = type(model)
    params = param_set(owner)
    for param, attribute in CLONED:
        if param not in params or attribute not in namespace:
            continue
        given = namespace.get(param)
        fitted = namespace[attribute]
        if attribute == "estimators_":
            if param == "estimators":
                problem = _named_members(model, given, fitted)
                if problem is not None:
                    return problem
                pairs = list(zip(fitted, _kept(given), strict=True))
            else:
                if not isinstance(fitted, list):
                    continue  # gradient boosting's array of trees
                pairs = [(member, given) for member in fitted]
        else:
            pairs = [(fitted, given)]
        ignore = {"random_state"}
        if attribute == "best_estimator_" and hasattr(given, "get_params"):
            # What refit fits: the estimator with the best parameters set
            # (nested ones and whole steps too), every other setting its own.
            expected = _refit_template(given, namespace.get("best_params_"))
            if expected is None:
                return f"a {kind} whose best parameters do not set its estimator"
            pairs, ignore = [(fitted, expected)], set()
        for member, template in pairs:
            if member is None or (_name(member) in _STAND_INS and param == "estimator"):
                continue
            if template is None:
                expected = DEFAULT_MEMBERS.get((kind, param))
                if expected is not None and _name(member) != expected:
                    return (
                        f"a {kind} whose {attribute} is a {_name(member)}, not "
                        f"the {expected} its {param} of None makes"
                    )
                continue
            if isinstance(template, str):
                # "zero" (boosting's init), or a release's "deprecated"
                # placeholder: no clone of it; anything else is not its fit.
                if template != "deprecated" and not (
                    isinstance(member, str) and member == template
                ):
                    return f"a {kind} whose {attribute} is not its {param} {template!r}"
                continue
            if not hasattr(template, "get_params"):
                continue
            if not same_settings(member, template, ignore=ignore, random_states=False):
                return (
                    f"a {kind} whose {attribute} is not a fit of its {param} "
                    f"(a {_name(member)} where it was given a {_name(template)} "
                    "of other settings)"
                    if type(member) is not type(template)
                    else f"a {kind} whose {attribute} is not a fit of its {param}"
                )
    return None


def _dropped(step: Any) -> bool:
    return isinstance(step, str) and step == "drop"


def _named_members(model: Any, given: Any, fitted: Any) -> str | None:
    """Voting's and stacking's members: one fit of each estimator it names
    and does not drop, in order (fewer escaped the comparison of each with
    its estimator: a one-member list holding a neighbours model of a Python
    metric), and ``named_estimators_`` those members by name."""
    problem = (
        f"a {_name(model)} whose estimators_ are not one fit of each of its estimators"
    )
    if not (
        isinstance(given, (list, tuple))
        and all(isinstance(step, tuple) and len(step) == 2 for step in given)
        and isinstance(fitted, list)
    ):
        return problem
    if len(fitted) != len(_kept(given)):
        return problem
    named = model.__dict__.get("named_estimators_")
    if named is None:
        return None
    members = iter(fitted)
    expected = {
        step[0]: step[1] if _dropped(step[1]) else next(members) for step in given
    }
    if not (
        isinstance(named, dict)
        and list(named) == list(expected)
        and all(named[name] is expected[name] for name in expected)
    ):
        return f"a {_name(model)} whose named_estimators_ are not its members"
    return None


def _kept(named: Any) -> list[Any]:
    """The estimators of (name, estimator) pairs that a fit does not drop."""
    return [step[1] for step in named if not _dropped(step[1])]


def _refit_template(estimator: Any, best: Any) -> Any:
    """What a search's refit fits: its estimator cloned, the best
    parameters set; None if they do not set it."""
    from sklearn.base import clone

    if not isinstance(best, dict) or not all(isinstance(k, str) for k in best):
        return None
    try:
        return clone(estimator).set_params(**clone(best, safe=False))
    except Exception:  # parameters that do not set it
        return None


def _neighbours_graph(model: Any) -> dict[str, Any]:
    return {"n_neighbors": model.n_neighbors, "n_jobs": model.n_jobs}


def _indicator(model: Any) -> dict[str, Any]:
    return {"missing_values": model.missing_values, "error_on_new": False}


def _nothing(model: Any) -> dict[str, Any]:
    return {}


#: A part fit builds: the attribute, the part's class, the parameters fit
#: gives it (every other at its default), and those it sets from the data.
_Part = tuple[str, str, Callable[[Any], dict[str, Any]], tuple[str, ...]]

#: Histogram boosting's binning of the data (its bins from the data, its
#: threads from the machine).
_BIN_MAPPER: _Part = (
    "_bin_mapper",
    "_BinMapper",
    lambda m: {"n_bins": m.max_bins + 1},
    ("is_categorical", "known_categories", "random_state", "n_threads"),
)

#: Parts fit builds itself, from the model's own parameters or from none
#: (a clone of a parameter is ``fitted_members``'), by the model's class.
#: A part set apart from what fit builds hides what runs behind the
#: parameters a reader sees: a neighbours graph asking 600 neighbours behind
#: ``n_neighbors=5``, or a Python function as its metric; a dense one-hot
#: encoder behind ``sparse_output=True`` (1.4 GB instead of 36 MB); 500
#: kernels behind a Gaussian process's one; a PolynomialFeatures of degree 8
#: as a power transformer's scaler (229x, or MemoryError).
BUILT_PARTS: dict[str, tuple[_Part, ...]] = {
    "Isomap": (
        (
            "nbrs_",
            "NearestNeighbors",
            lambda m: {
                "n_neighbors": m.n_neighbors,
                "radius": m.radius,
                "algorithm": m.neighbors_algorithm,
                "metric": m.metric,
                "p": m.p,
                "metric_params": m.metric_params,
                "n_jobs": m.n_jobs,
            },
            (),
        ),
        (
            "kernel_pca_",
            "KernelPCA",
            lambda m: {
                "n_components": m.n_components,
                "kernel": "precomputed",
                "eigen_solver": m.eigen_solver,
                "tol": m.tol,
                "max_iter": m.max_iter,
                "n_jobs": m.n_jobs,
            },
            (),
        ),
    ),
    "LocallyLinearEmbedding": (
        (
            "nbrs_",
            "NearestNeighbors",
            lambda m: {
                "n_neighbors": m.n_neighbors,
                "algorithm": m.neighbors_algorithm,
                "n_jobs": m.n_jobs,
            },
            (),
        ),
    ),
    "LabelSpreading": (("nn_fit", "NearestNeighbors", _neighbours_graph, ()),),
    "LabelPropagation": (("nn_fit", "NearestNeighbors", _neighbours_graph, ()),),
    "KBinsDiscretizer": (
        (
            "_encoder",
            "OneHotEncoder",
            lambda m: {"sparse_output": m.encode == "onehot"},
            ("categories", "dtype"),  # the bins' codes, the data's float type
        ),
    ),
    "RandomTreesEmbedding": (
        (
            "one_hot_encoder_",
            "OneHotEncoder",
            lambda m: {"sparse_output": m.sparse_output},
            (),
        ),
    ),
    "GaussianProcessClassifier": (
        (
            "base_estimator_",
            "_BinaryGaussianProcessClassifierLaplace",
            lambda m: {
                "kernel": m.kernel,
                "optimizer": m.optimizer,
                "n_restarts_optimizer": m.n_restarts_optimizer,
                "max_iter_predict": m.max_iter_predict,
                "warm_start": m.warm_start,
                "copy_X_train": m.copy_X_train,
                "random_state": m.random_state,
            },
            (),
        ),
    ),
    "PowerTransformer": (("_scaler", "StandardScaler", lambda m: {"copy": False}, ()),),
    "KernelPCA": (("_centerer", "KernelCenterer", _nothing, ()),),
    "SimpleImputer": (("indicator_", "MissingIndicator", _indicator, ()),),
    "KNNImputer": (("indicator_", "MissingIndicator", _indicator, ()),),
    "IterativeImputer": (
        ("indicator_", "MissingIndicator", _indicator, ()),
        (
            "initial_imputer_",
            "SimpleImputer",
            lambda m: {
                "missing_values": m.missing_values,
                "strategy": m.initial_strategy,
                "fill_value": m.fill_value,
                "keep_empty_features": m.keep_empty_features,
            },
            (),
        ),
    ),
    "TfidfVectorizer": (
        (
            "_tfidf",
            "TfidfTransformer",
            lambda m: {
                "norm": m.norm,
                "use_idf": m.use_idf,
                "smooth_idf": m.smooth_idf,
                "sublinear_tf": m.sublinear_tf,
            },
            (),
        ),
    ),
    "MLPClassifier": (("_label_binarizer", "LabelBinarizer", _nothing, ()),),
    **{
        name: (
            (
                "_label_binarizer",
                "LabelBinarizer",
                lambda m: {"pos_label": 1, "neg_label": -1},
                (),
            ),
        )
        for name in ("RidgeClassifier", "RidgeClassifierCV")
    },
    "OneVsRestClassifier": (
        (
            "label_binarizer_",
            "LabelBinarizer",
            lambda m: {"sparse_output": True},
            (),
        ),
    ),
    "VotingClassifier": (("le_", "LabelEncoder", _nothing, ()),),
    "StackingClassifier": (("_label_encoder", "LabelEncoder", _nothing, ()),),
    "HistGradientBoostingClassifier": (
        ("_label_encoder", "LabelEncoder", _nothing, ()),
        _BIN_MAPPER,
    ),
    "HistGradientBoostingRegressor": (_BIN_MAPPER,),
}


def built_parts(model: Any) -> str | None:
    """Every part fit builds itself is of the class and settings fit gives
    it (:data:`BUILT_PARTS`)."""
    for part in BUILT_PARTS.get(_name(model), ()):
        problem = _built_part(model, part)
        if problem is not None:
            return problem
    return None


def _built_part(model: Any, entry: _Part) -> str | None:
    attribute, kind, settings, from_data = entry
    parts: Any = getattr(model, "__dict__", {}).get(attribute)
    if parts is None:
        return None  # not fitted, or not built under these parameters
    if kind == "_BinaryGaussianProcessClassifierLaplace" and _name(parts) in (
        "OneVsRestClassifier",
        "OneVsOneClassifier",
    ):
        # More than two classes: the binary model, each class's (or pair's)
        # a clone of it (``fitted_members`` holds those).
        expected = "one_vs_rest" if _name(parts) == "OneVsRestClassifier" else ""
        own = getattr(parts, "__dict__", {}).get("classes_")
        classes = getattr(model, "__dict__", {}).get("classes_")
        if (
            getattr(model, "multi_class", None) != (expected or "one_vs_one")
            or getattr(parts, "n_jobs", None) != getattr(model, "n_jobs", None)
            # Of the model's classes (round 67: 300 members behind 3
            # classes timed predict out).
            or not isinstance(own, np.ndarray)
            or not isinstance(classes, np.ndarray)
            or own.shape != classes.shape
            or not np.array_equal(own, classes)
        ):
            return f"a {_name(model)} whose {attribute} is not what fit builds"
        parts = parts.__dict__.get("estimator")
    if kind == "LabelEncoder" and isinstance(parts, list):
        pass  # stacking over several outputs: an encoder an output
    else:
        parts = [parts]
    problem = f"a {_name(model)} whose {attribute} is not what its parameters build"
    for part in parts:
        if _name(part) != kind:
            return problem
        try:
            template = type(part)(**settings(model))
        except Exception:  # parameters too broken to build from
            return problem
        if not same_settings(part, template, ignore=from_data):
            return problem
    return None


#: The trees a forest or boosting fit makes of a class of its own (not of a
#: parameter): ``estimator`` (a forest's template), ``estimator_`` and
#: every member are of that class. A member predicts at every call, whatever
#: it is: a neighbours model among a forest's trees would run its metric.
_FOREST_TREES = {
    "RandomForestClassifier": "DecisionTreeClassifier",
    "RandomForestRegressor": "DecisionTreeRegressor",
    "ExtraTreesClassifier": "ExtraTreeClassifier",
    "ExtraTreesRegressor": "ExtraTreeRegressor",
    "RandomTreesEmbedding": "ExtraTreeRegressor",
    "IsolationForest": "ExtraTreeRegressor",
    "GradientBoostingClassifier": "DecisionTreeRegressor",
    "GradientBoostingRegressor": "DecisionTreeRegressor",
}
#: Histogram gradient boosting's classes.
HIST_BOOSTING = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")

#: Attributes holding estimators that a check of their own holds to what
#: fit makes, by class: besides parameters, :data:`CLONED`'s members and
#: :data:`BUILT_PARTS`. Any other attribute holding an estimator, at any
#: depth, is refused (:func:`accounted_members`).
CHECKED_MEMBERS: dict[str, frozenset[str]] = {
    "CalibratedClassifierCV": frozenset({"calibrated_classifiers_"}),
    # Not estimators, holding them: a calibrated member's classifier and
    # calibrators (``_calibrated``), the scorer of an estimator's own score
    # (it scores the estimator it is given; this one only routes metadata).
    "_CalibratedClassifier": frozenset({"estimator", "calibrators"}),
    "_PassthroughScorer": frozenset({"_estimator"}),
    "ColumnTransformer": frozenset({"transformers_", "_remainder"}),
    "IterativeImputer": frozenset({"imputation_sequence_"}),
    **dict.fromkeys(
        (
            "VotingClassifier",
            "VotingRegressor",
            "StackingClassifier",
            "StackingRegressor",
        ),
        frozenset({"named_estimators_"}),
    ),
    # Its predictors, each held to a TreePredictor of its three arrays.
    **dict.fromkeys(HIST_BOOSTING, frozenset({"_preprocessor", "_predictors"})),
    # The search's own checks: its scorer is what its scoring makes, its
    # best parameters a candidate; the results only record the candidates.
    **dict.fromkeys(
        (
            "GridSearchCV",
            "RandomizedSearchCV",
            "HalvingGridSearchCV",
            "HalvingRandomSearchCV",
        ),
        frozenset({"scorer_", "best_params_", "cv_results_"}),
    ),
    **dict.fromkeys(
        _FOREST_TREES, frozenset({"estimator", "estimator_", "estimators_"})
    ),
}


def accounted_members(model: Any) -> str | None:
    """Every estimator a model holds is accounted for: a parameter (the
    settings a reader sees), a fit of one (:data:`CLONED`), a part fit
    builds (:data:`BUILT_PARTS`), or a member a check of its own holds
    (:data:`CHECKED_MEMBERS`), or the owner of its metadata requests
    (:func:`_routing.request_owned_by`). Each of those was a hole once: a
    member held apart from what made it runs at predict whatever the
    parameters say (six red-team rounds found one more each time)."""
    namespace = getattr(model, "__dict__", None)
    if not isinstance(namespace, dict):
        return None
    if type(model) in REQUEST_TYPES:
        return None  # its owner is shown by name, never run (_routing)
    kind = _name(model)
    owner: type = type(model)
    accounted = _accounted(owner, kind)
    for attribute, value in namespace.items():
        if attribute in LEAF_LINKS and owner.__name__ == "_CFNode":
            continue  # a leaf of the tree, judged as one (_state_values)
        held = type(value)
        if held in _PLAIN_ITEMS or (held is np.ndarray and not value.dtype.hasobject):
            continue  # holds nothing (a boosting model's 600 arrays of nodes)
        if attribute == "_metadata_request" and request_owned_by(model, value):
            continue  # its owner: the model, or the one it was cloned from
        if attribute not in accounted and _holds_estimator(value):
            return (
                f"a {kind} holding an estimator in {str(attribute)[:40]!r}, "
                "which no parameter or fit of it accounts for"
            )
    return _forest_trees(model) or _remainder(model) or _hist_preprocessor(model)


@functools.lru_cache(maxsize=512)
def _accounted(owner: type, kind: str) -> frozenset[str]:
    """The attributes of a class that may hold an estimator."""
    params = param_set(owner)
    return frozenset(
        {
            *params,
            *(attribute for param, attribute in CLONED if param in params),
            *(part[0] for part in BUILT_PARTS.get(kind, ())),
            *CHECKED_MEMBERS.get(kind, ()),
        }
    )


def _holds_estimator(value: Any) -> bool:
    """Whether ``value`` is an estimator or holds one: in lists, tuples,
    dicts, object arrays and the state of plain objects, each object seen
    once."""
    from sklearn.base import BaseEstimator

    seen: set[int] = set()
    todo = [value]
    while todo:
        item = todo.pop()
        kind = type(item)
        if kind in _PLAIN_ITEMS or id(item) in seen:
            continue
        if kind in CONTAINER_TYPES and not item:  # holds nothing
            continue
        seen.add(id(item))
        values: Any = ()
        if kind is np.ndarray:
            # Numbers hold nothing (a boosting model's 600 arrays of nodes).
            if not item.dtype.hasobject:
                continue
            values = item.ravel().tolist()
        elif isinstance(item, BaseEstimator):
            return True
        elif isinstance(item, (list, tuple)):
            values = item
        elif isinstance(item, dict):
            values = item.values()
        elif isinstance(item, np.ndarray):
            if item.dtype.hasobject:
                values = item.ravel().tolist()
        elif not isinstance(item, type) and isinstance(
            getattr(item, "__dict__", None), dict
        ):
            values = _state_values(kind, item.__dict__)
        # A vocabulary of 300,000 words: its values' types at C speed.
        if not set(map(type, values)) <= _PLAIN_ITEMS:
            todo.extend(values)
    return False


#: Birch's leaves link each to the next and the previous (a tree node's
#: links along its list of leaves, which the walk follows apart): every one is a
#: leaf of its tree (``_class_checks._birch``), whose own state is judged
#: as it is. Followed from each, the list made a check of n leaves read n
#: times n nodes (an honest Birch of 5,299 subclusters loaded in 9 s; 4,000
#: linked nodes of nothing took 40 s, round 175).
LEAF_LINKS = ("prev_leaf_", "next_leaf_")


def _state_values(kind: type, state: dict[str, Any]) -> Any:
    """An object's state values, but Birch's leaf links."""
    if kind.__name__ != "_CFNode":
        return state.values()
    return [v for k, v in state.items() if k not in LEAF_LINKS]


_PLAIN_ITEMS = frozenset(
    {str, bytes, int, float, bool, type(None), np.float64, np.int64, np.str_}
)


def _forest_trees(model: Any) -> str | None:
    tree = _FOREST_TREES.get(_name(model))
    if tree is None:
        return None
    namespace = model.__dict__
    members: list[Any] = []
    for attribute in ("estimator", "estimator_", "estimators_"):
        value = namespace.get(attribute)
        if isinstance(value, np.ndarray) and value.dtype.hasobject:
            members.extend(value.ravel().tolist())
        elif isinstance(value, list):
            members.extend(value)
        elif value is not None:
            members.append(value)
    if any(_name(member) != tree for member in members):
        return f"a {_name(model)} whose trees are not all {tree}s"
    return None


def _remainder(model: Any) -> str | None:
    """A column transformer's ``_remainder``: its ``remainder`` parameter."""
    held = getattr(model, "__dict__", {}).get("_remainder")
    if held is None or _name(model) != "ColumnTransformer":
        return None
    if not (
        isinstance(held, tuple)
        and len(held) == 3
        and held[0] == "remainder"
        and held[1] is model.__dict__.get("remainder")
    ):
        return "a ColumnTransformer whose _remainder is not its remainder"
    return None


def _hist_preprocessor(model: Any) -> str | None:
    """Histogram boosting's preprocessor for categories given by their
    dtype: what fit builds, an ordinal encoder of the categorical columns
    and a check of the others, run at every predict."""
    part = getattr(model, "__dict__", {}).get("_preprocessor")
    if part is None or _name(model) not in HIST_BOOSTING:
        return None
    problem = f"a {_name(model)} whose _preprocessor is not what fit builds"
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder
    from sklearn.utils.validation import check_array

    mask = model.__dict__.get("is_categorical_")
    steps = getattr(part, "__dict__", {}).get("transformers")
    if (
        type(part) is not ColumnTransformer
        or not isinstance(mask, np.ndarray)
        or mask.dtype != bool
        or not isinstance(steps, list)
        or len(steps) != 2
        or not all(isinstance(step, tuple) and len(step) == 3 for step in steps)
        or [step[0] for step in steps] != ["encoder", "numerical"]
        or not same_settings(part, ColumnTransformer(steps))
    ):
        return problem
    (_, encoder, categorical), (_, numerical, others) = steps
    encoder_settings = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        dtype=np.float64,
    )
    check = getattr(numerical, "__dict__", {}).get("func")
    if not (
        same_settings(encoder, encoder_settings)
        and type(numerical) is FunctionTransformer
        and isinstance(check, functools.partial)
        and check.func is check_array
        and not check.args
        and check.keywords.get("dtype") == [np.float64]
        and len(check.keywords) == 2
        # The name of a release before 1.6 for ensure_all_finite.
        and any(
            check.keywords.get(flag) is False
            for flag in ("ensure_all_finite", "force_all_finite")
        )
        and same_settings(numerical, FunctionTransformer(check))
        and isinstance(categorical, np.ndarray)
        and isinstance(others, np.ndarray)
        and np.array_equal(categorical, mask)
        and np.array_equal(others, ~mask)
    ):
        return problem
    return None
