"""Every scikit-learn estimator survives every round trip, wrapped, unchanged.

Over ``sklearn.utils.all_estimators`` (classifiers, regressors, transformers,
clusterers, plus the text vectorizers that are not ``TransformerMixin``s), each
estimator is built with scikit-learn's own fast test parameters when they are
available, fitted bare on small data suited to its tags, wrapped with
:meth:`VersionedEstimator.wrap` and sent through four channels: ``pickle``,
``joblib``, ``joblib`` with ``mmap_mode="r"``, and the safe
``load(save(...))`` with nothing trusted. Every output method must give what
the bare model gives (exact for labels, ``rtol=1e-10`` for floats), and the
first use after the round trip must not raise a false ``BehaviorDriftWarning``.

An estimator is excluded (and counted) when it cannot be built, its bare fit
fails, or its *bare* pickle round trip already fails; a channel is "n/a" for an
estimator when the bare model fails on that channel too (``mmap_mode`` and
read-only arrays). The probe replay runs on every load
(``replay="always"``): in an unchanged environment it would otherwise be
skipped, and "no false drift alarm" would check nothing. Library failures that
are known are listed, with their cause, in ``KNOWN_FAILURES``: the test fails
if one of them starts to pass, so the list stays honest.
"""

from __future__ import annotations

import functools
import inspect
import os
import pickle
import tempfile
import warnings
from dataclasses import dataclass, field

import joblib
import numpy as np
import pytest
from scipy import sparse
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression

# The experimental estimators are part of the matrix whatever else the
# process imported first: scikit-learn lists them only once enabled, and the
# tables generated from this matrix must not depend on import order.
from sklearn.experimental import (  # noqa: F401
    enable_halving_search_cv,
    enable_iterative_imputer,
)
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import all_estimators, get_tags
from threadpoolctl import threadpool_limits

from versioned_estimator import (
    BehaviorDriftWarning,
    VersionedEstimator,
    config_context,
    load,
    save,
)

try:  # private: scikit-learn's fast constructor parameters for its own tests
    from sklearn.utils._test_common.instance_generator import _construct_instances
except ImportError:  # pragma: no cover - depends on the scikit-learn release
    _construct_instances = None

OUTPUT_METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "transform",
    "score_samples",
)
# Estimators without an output method (TSNE, DBSCAN ...): compare what they learnt.
FITTED_OUTPUTS = ("labels_", "embedding_")
CHANNELS = ("pickle", "joblib", "joblib-mmap", "safe-load")
N_SAMPLES = 60
PROBE_ROWS = 5
DEPRECATED_CLASS = r"Class \w+ is deprecated"

# Library failures found by this matrix: {class name: {channel: cause}}.
# Strict: an entry that starts passing fails the test, and must be removed.
KNOWN_FAILURES: dict[str, dict[str, str]] = {}

# Share of the estimators whose bare round trip works that must pass every channel.
REQUIRED_PASS_RATE = 0.98


# ----------------------------------------------------------------------------
# The estimators
# ----------------------------------------------------------------------------


def _estimator_classes():
    """Class name -> class: all of scikit-learn, plus the text vectorizers."""
    classes = {}
    found = all_estimators(
        type_filter=["classifier", "regressor", "transformer", "cluster"]
    )
    for name, cls in found:
        classes.setdefault(name, cls)
    for cls in (CountVectorizer, TfidfVectorizer):
        classes.setdefault(cls.__name__, cls)
    return dict(sorted(classes.items()))


ESTIMATORS = _estimator_classes()


def _fallback_params(cls):
    """Required constructor parameters, for when sklearn's helper is missing."""
    required = {
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is inspect.Parameter.empty
        and name != "self"
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    regressor = "Regressor" in cls.__name__
    base = Ridge if regressor else LogisticRegression
    params = {}
    if "estimator" in required:
        params["estimator"] = base()
    if "estimators" in required:
        params["estimators"] = [
            ("a", base()),
            ("b", base(C=0.5) if not regressor else Ridge(alpha=2.0)),
        ]
    return params


def build(cls, *, fast=True):
    """An instance of ``cls``, deterministic (``random_state=0``) and, with
    ``fast``, with fewer iterations, estimators, folds and hashed columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation warnings of the classes
        estimator = None
        if _construct_instances is not None:
            try:
                estimator = next(iter(_construct_instances(cls)))
            except Exception:  # the helper is private: fall back
                estimator = None
        if estimator is None:
            estimator = cls(**_fallback_params(cls))
    changes = {}
    for key, value in estimator.get_params(deep=True).items():
        leaf = key.rpartition("__")[2]
        small_int = isinstance(value, int) and not isinstance(value, bool)
        if leaf == "random_state" and value is None:
            changes[key] = 0
        elif not fast:
            continue
        elif leaf == "n_estimators" and small_int and value > 5:
            changes[key] = 5
        elif leaf == "max_iter" and small_int and value > 20:
            changes[key] = 20
        elif leaf == "cv" and (value is None or (small_int and value > 2)):
            changes[key] = 2
        elif leaf == "n_features" and small_int and value > 4096:
            changes[key] = 1024  # the hashers: 2**20 columns by default
    if cls.__name__ == "PatchExtractor":
        changes["patch_size"] = (3, 3)
    if changes:
        estimator.set_params(**changes)
    return estimator


def fit(cls):
    """Build and fit ``cls`` bare; retry with its default speed parameters when
    the fast ones are refused (TSNE wants ``max_iter >= 250``)."""
    error = None
    for fast in (True, False):
        estimator = build(cls, fast=fast)
        case = make_case(estimator)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the models' own warnings, at fit
                estimator.fit(*case.fit_args)
        except Exception as exc:
            error = error or exc
            continue
        return estimator, case
    raise error


# ----------------------------------------------------------------------------
# Data suited to each estimator's tags
# ----------------------------------------------------------------------------

_WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "pickle",
    "joblib",
    "model",
    "tree",
    "leaf",
    "root",
    "branch",
    "node",
]


@dataclass
class Case:
    """An estimator's data: how to fit it and what to call its methods on."""

    X: object
    y: object = None
    fit_args: tuple = ()


def _classification(n_classes=3):
    X, y = make_classification(
        n_samples=N_SAMPLES,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, y


def make_case(estimator, *, positive=False):
    """Pick the inputs an estimator takes, from its tags (and its name for the
    few whose inputs are not arrays); ``positive`` forces non-negative X."""
    name = type(estimator).__name__
    tags = get_tags(estimator)
    X, y = _classification()
    rng = np.random.default_rng(0)
    if name in ("CountVectorizer", "TfidfVectorizer", "HashingVectorizer"):
        docs = [" ".join(rng.choice(_WORDS, size=rng.integers(3, 9))) for _ in y]
        return Case(docs, y, (docs,))
    if name in ("DictVectorizer", "FeatureHasher"):
        colors = ("red", "green", "blue")
        rows = [
            {
                **{f"f{j}": float(v) for j, v in enumerate(row) if v > 0},
                "color": colors[k],
            }
            for row, k in zip(X, y, strict=True)
        ]
        return Case(rows, y, (rows,))
    if name in ("LabelEncoder", "LabelBinarizer"):
        labels = np.array(["cat", "dog", "eel"])[y]
        return Case(labels, None, (labels,))
    if name == "MultiLabelBinarizer":
        sets = [
            tuple(sorted({_WORDS[k], _WORDS[(k + j) % 4]})) for j, k in enumerate(y)
        ]
        return Case(sets, None, (sets,))
    if name == "PatchExtractor":
        images = rng.random((4, 8, 8))
        return Case(images, None, (images,))
    if tags.input_tags.pairwise:
        gram = X @ X.T
        return Case(gram, y, (gram, y))
    if is_regressor(estimator):
        n_targets = 1 if tags.target_tags.single_output else 2
        X, y = make_regression(
            n_samples=N_SAMPLES,
            n_features=6,
            n_targets=n_targets,
            noise=0.1,
            random_state=0,
        )
        if tags.target_tags.positive_only:
            y = np.abs(y) + 1.0
        if name == "IsotonicRegression":
            X = X[:, 0]
    elif is_classifier(estimator):
        if tags.classifier_tags is not None and not tags.classifier_tags.multi_class:
            X, y = _classification(n_classes=2)
        if not tags.target_tags.single_output:
            y = np.column_stack([y, (X[:, 0] > 0).astype(int)])
    if tags.input_tags.categorical and not tags.input_tags.string:
        X = np.rint(np.abs(X)).astype(np.int64)
    elif tags.input_tags.positive_only or positive:
        X = np.abs(X)
    dictionary = estimator.get_params().get("dictionary")
    if isinstance(dictionary, np.ndarray):  # SparseCoder: X has its atoms' width
        X = X[:, : dictionary.shape[1]]
    if name in ("MissingIndicator", "SimpleImputer", "KNNImputer", "IterativeImputer"):
        X = X.copy()
        X[::7, 1] = np.nan
    return Case(X, y, (X, y))


# ----------------------------------------------------------------------------
# Outputs and their comparison
# ----------------------------------------------------------------------------


def _plain(value):
    """An output as a dense ndarray (a list of per-output arrays stays a list,
    as MultiOutputClassifier's predict_proba gives)."""
    if isinstance(value, list) and value and all(hasattr(v, "shape") for v in value):
        return [_plain(v) for v in value]
    if sparse.issparse(value):
        return value.toarray()
    if hasattr(value, "to_numpy"):
        return value.to_numpy()
    return np.asarray(value)


def outputs(model, X):
    """Every output method the model answers on X (a method that raises is left
    out), or its fitted labels / embedding when it has no output method."""
    found = {}
    for method in OUTPUT_METHODS:
        if not hasattr(model, method):
            continue
        try:
            found[method] = _plain(getattr(model, method)(X))
        except Exception as exc:
            found[method] = exc
    if not any(not isinstance(v, Exception) for v in found.values()):
        for attribute in FITTED_OUTPUTS:
            value = getattr(model, attribute, None)
            if value is not None:
                found[attribute] = _plain(value)
    return found


def assert_same_output(name, expected, found):
    """Exact for labels and integers, ``rtol=1e-10`` for floats."""
    if isinstance(expected, list):
        assert isinstance(found, list), f"{name}: {type(found).__name__}, not a list"
        assert len(found) == len(expected), f"{name}: {len(found)} outputs"
        for i, (one, other) in enumerate(zip(expected, found, strict=True)):
            assert_same_output(f"{name}[{i}]", one, other)
        return
    assert found.shape == expected.shape, (
        f"{name}: shape {found.shape} != {expected.shape}"
    )
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(found, expected, rtol=1e-10, err_msg=name)
    else:
        np.testing.assert_array_equal(found, expected, err_msg=name)


def _deterministic(first, second):
    """The methods whose bare outputs are the same on two calls."""
    keep = {}
    for method, value in first.items():
        if isinstance(value, Exception):
            continue
        again = second.get(method)
        try:
            assert_same_output(method, value, again)
        except (AssertionError, AttributeError, TypeError):
            continue
        keep[method] = value
    return keep


# ----------------------------------------------------------------------------
# The channels
# ----------------------------------------------------------------------------


def _roundtrip(channel, model, folder, *, bare=False):
    path = os.path.join(folder, f"{channel}-{'bare' if bare else 'wrapped'}.joblib")
    if channel == "pickle":
        return pickle.loads(pickle.dumps(model))
    if channel == "joblib":
        joblib.dump(model, path)
        return joblib.load(path)
    if channel == "joblib-mmap":
        joblib.dump(model, path)
        return joblib.load(path, mmap_mode="r")
    if channel == "safe-load":
        return load(save(model, path), trusted=())
    raise ValueError(channel)


def _check_channel(channel, wrapped, expected, X, folder):
    """Round-trip ``wrapped`` and compare; the first use, which replays the
    probe, must not warn of drift."""
    with warnings.catch_warnings(), config_context(replay="always"):
        warnings.simplefilter("error", BehaviorDriftWarning)
        loaded = _roundtrip(channel, wrapped, folder)
        assert isinstance(loaded, VersionedEstimator)
        found = outputs(loaded, X)
    for method, value in expected.items():
        got = found.get(method)
        if isinstance(got, Exception):
            raise got
        assert got is not None, f"{method} is missing after the round trip"
        assert_same_output(method, value, got)
    return loaded


def _describe(exc):
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:400]}"


@dataclass
class Result:
    """What happened to one estimator."""

    name: str
    excluded: str | None = None
    # channel -> "pass", "n/a: <why the bare model fails too>" or the error
    channels: dict = field(default_factory=dict)
    methods: tuple = ()
    probed: bool = False

    @property
    def failures(self):
        return {
            c: r
            for c, r in self.channels.items()
            if r != "pass" and not r.startswith("n/a")
        }


@functools.cache
def run(name):
    """Fit, wrap and round-trip one estimator through every channel (once per
    session: the per-estimator tests and the summary share it)."""
    result = Result(name)
    with threadpool_limits(1), warnings.catch_warnings():
        # Unpickling a deprecated class warns by design (its __new__ does).
        warnings.filterwarnings("ignore", DEPRECATED_CLASS, FutureWarning)
        try:
            estimator, case = fit(ESTIMATORS[name])
        except Exception as exc:
            result.excluded = f"construction or bare fit failed: {_describe(exc)}"
            return result
        expected = _deterministic(
            outputs(estimator, case.X), outputs(estimator, case.X)
        )
        if not expected and isinstance(case.X, np.ndarray) and (case.X < 0).any():
            # SkewedChi2Sampler's transform refuses X <= -skewedness.
            case = make_case(estimator, positive=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator.fit(*case.fit_args)
            expected = _deterministic(
                outputs(estimator, case.X), outputs(estimator, case.X)
            )
        if not expected:
            result.excluded = "no deterministic output to compare"
            return result
        result.methods = tuple(expected)
        with tempfile.TemporaryDirectory() as folder:
            _run_channels(result, estimator, expected, case.X, folder)
    return result


def _run_channels(result, estimator, expected, X, folder):
    try:
        bare = pickle.loads(pickle.dumps(estimator))
        for method, value in expected.items():
            assert_same_output(method, value, _plain(_bare_output(bare, method, X)))
    except Exception as exc:
        result.excluded = f"bare pickle round trip fails: {_describe(exc)}"
        return
    try:
        wrapped = VersionedEstimator.wrap(estimator, probe=X[:PROBE_ROWS])
        pickle.dumps(wrapped)  # builds the envelope and payload once
        result.probed = wrapped.envelope.probe is not None
    except Exception as exc:  # a library failure, on every channel
        for channel in CHANNELS:
            result.channels[channel] = f"wrap failed: {_describe(exc)}"
        return
    for channel in CHANNELS:
        if channel == "joblib-mmap":
            reason = _bare_mmap_problem(estimator, expected, X, folder)
            if reason:
                result.channels[channel] = f"n/a: bare model fails too: {reason}"
                continue
        try:
            _check_channel(channel, wrapped, expected, X, folder)
        except Exception as exc:  # the failure is the result
            result.channels[channel] = _describe(exc)
        else:
            result.channels[channel] = "pass"


def _bare_output(model, method, X):
    if method in FITTED_OUTPUTS:
        return getattr(model, method)
    return getattr(model, method)(X)


def _bare_mmap_problem(estimator, expected, X, folder):
    """Why the bare estimator itself fails a joblib ``mmap_mode="r"`` round trip."""
    try:
        bare = _roundtrip("joblib-mmap", estimator, folder, bare=True)
        for method, value in expected.items():
            assert_same_output(method, value, _plain(_bare_output(bare, method, X)))
    except Exception as exc:
        return _describe(exc)
    return None


# ----------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_estimator_round_trips_through_every_channel(name):
    """The wrapped estimator gives the bare model's outputs after pickle, joblib,
    joblib mmap and the safe load, without a false drift alarm (or fails exactly
    as ``KNOWN_FAILURES`` says)."""
    result = run(name)
    if result.excluded:
        pytest.skip(result.excluded)
    known = KNOWN_FAILURES.get(name, {})
    failures = result.failures
    unexpected = {c: r for c, r in failures.items() if c not in known}
    assert not unexpected, f"{name} fails: {unexpected}"
    fixed = sorted(set(known) - set(failures))
    assert not fixed, f"{name} now passes {fixed}: remove it from KNOWN_FAILURES"


def test_a_random_predict_raises_no_false_drift_alarm():
    """A model whose predict is random by design loads without a drift alarm
    when its probe is replayed."""
    from sklearn.dummy import DummyClassifier

    X, y = _classification()
    model = VersionedEstimator(DummyClassifier(strategy="stratified")).fit(X, y)
    with warnings.catch_warnings(), config_context(replay="always"):
        warnings.simplefilter("error", BehaviorDriftWarning)
        loaded = pickle.loads(pickle.dumps(model))
        loaded.predict(X)
    assert loaded.verify().ok


def test_known_failures_name_real_estimators_and_channels():
    """Every entry of KNOWN_FAILURES names an estimator and a channel of the matrix."""
    for name, channels in KNOWN_FAILURES.items():
        assert name in ESTIMATORS, name
        assert set(channels) <= set(CHANNELS), (name, channels)
        assert all(reason.strip() for reason in channels.values()), name


def test_matrix_summary(capsys):
    """At least 98% of the estimators whose bare round trip works pass every
    channel, and most record a probe (so "no false drift alarm" is not vacuous);
    prints passes/tested per channel whether or not output is captured."""
    results = [run(name) for name in ESTIMATORS]
    tested = [r for r in results if not r.excluded]
    excluded = [r for r in results if r.excluded]
    all_pass = [r for r in tested if not r.failures]
    unprobed = [r.name for r in tested if not r.probed]
    lines = [
        f"scikit-learn round-trip matrix: {len(results)} estimators, "
        f"{len(tested)} tested, {len(excluded)} excluded, "
        f"{len(all_pass)} pass every channel",
    ]
    for channel in CHANNELS:
        applicable = [r for r in tested if not r.channels[channel].startswith("n/a")]
        passed = [r for r in applicable if r.channels[channel] == "pass"]
        lines.append(
            f"  {channel:<12} {len(passed)}/{len(applicable)} pass"
            f" ({len(tested) - len(applicable)} n/a)"
        )
    lines.append(f"  no probe recorded ({len(unprobed)}): {', '.join(unprobed)}")
    lines.extend(f"  excluded {r.name}: {r.excluded}" for r in excluded)
    lines.extend(
        f"  {r.name} [{channel}]: {outcome}"
        for r in tested
        for channel, outcome in r.channels.items()
        if outcome != "pass"
    )
    summary = "\n".join(lines)
    with capsys.disabled():
        print("\n" + summary)
    assert len(tested) >= 0.9 * len(results), summary
    assert len(all_pass) >= REQUIRED_PASS_RATE * len(tested), summary
    assert len(unprobed) <= 0.1 * len(tested), summary
