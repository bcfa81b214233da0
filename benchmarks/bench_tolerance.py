"""How far scikit-learn's own outputs move when nothing but the run changes.

The probe replays a model on a few training rows at load and compares with the
outputs recorded at fit. This script measures, for every family of
``sklearn.utils.all_estimators`` (classifiers, regressors, transformers,
clusterers, outlier detectors, density estimators), how much those outputs
move between runs that differ only in:

- ``fit`` -> ``unpickle``: the fitted object, then the same model after a
  pickle round trip, in the same process (its default thread pools);
- the BLAS/OpenMP thread count: fresh subprocesses with
  ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` = 1 and 2,
  set in the child's environment before numpy is imported, plus a second
  2-thread child as a run-to-run control.

Each estimator is built with scikit-learn's fast test parameters, with
``random_state=0``, fitted on small synthetic data in float64 and float32
(``X.astype(np.float32)``), pickled (protocol 5) with 20 probe rows taken at
evenly spaced positions of the training X. A few BLAS-heavy models on wider
data (``[wide 300]``, ``[wide 1000]`` features) make the probe's matrix
products large enough for OpenBLAS to use more than one thread, and bare
matrix products of a few shapes show where the thread count changes the sums.

Per estimator, method, input dtype and pair of settings it records the output
dtype, the largest absolute, relative (``|a-b| / max(|a|,|b|)``) and ulp
(``np.spacing`` of the output dtype) differences, and the output's magnitude
(largest ``|value|``). Then, to choose a tolerance rule from evidence, it
counts the false alarms each candidate rule would raise on those differences,
and how many real changes it would catch: every fitted float array attribute
of every model, scaled by 1.001 one at a time.

Prints the moved outputs and a summary per output dtype; writes everything to
``results/tolerance.json``. About 6 minutes on 2 cores::

    .venv/bin/python benchmarks/bench_tolerance.py [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import copy
import inspect
import itertools
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy
import sklearn
from scipy import sparse
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import all_estimators, get_tags
from threadpoolctl import threadpool_info

try:  # private: scikit-learn's fast constructor parameters for its own tests
    from sklearn.utils._test_common.instance_generator import _construct_instances
except ImportError:  # pragma: no cover - depends on the scikit-learn release
    _construct_instances = None

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "results", "tolerance.json")

METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "transform",
    "score_samples",
)
N_SAMPLES = 100
N_FEATURES = 6
PROBE_ROWS = 20
WIDE_SAMPLES = 200
WIDE_FEATURES = (300, 1000)
# Bare matrix products (rows, inner, columns; 1 column = matrix @ vector) in
# the children, to show where OpenBLAS's thread count changes the sums.
MATMUL_SHAPES = tuple(itertools.product((5, 20), (6, 300, 1000), (1, 3, 256)))
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Settings, in order: the first two run in this process, the others each in a
# fresh subprocess with the given thread count.
SETTINGS = ("fit", "unpickle", "threads=1", "threads=2", "threads=2 again")
CHILD_THREADS = {"threads=1": 1, "threads=2": 2, "threads=2 again": 2}
PAIRS = tuple(itertools.combinations(SETTINGS, 2))

# A differing value is "near zero" when it is this small against the largest
# |value| of its output: there a relative difference says nothing.
NEAR_ZERO = 1e-3
# The real change the rules must catch: one fitted array scaled by this.
PERTURBATION = 1.001


# ----------------------------------------------------------------------------
# The estimators
# ----------------------------------------------------------------------------


def estimator_classes() -> dict[str, type]:
    """Class name -> class: all of scikit-learn, plus the text vectorizers."""
    classes = dict(all_estimators())
    for cls in (CountVectorizer, TfidfVectorizer):
        classes.setdefault(cls.__name__, cls)
    return dict(sorted(classes.items()))


def _fallback_params(cls: type) -> dict[str, Any]:
    """Required constructor parameters, for when sklearn's helper is missing."""
    required = {
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is inspect.Parameter.empty
        and name != "self"
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    base = Ridge if "Regressor" in cls.__name__ else LogisticRegression
    params: dict[str, Any] = {}
    if "estimator" in required:
        params["estimator"] = base()
    if "estimators" in required:
        params["estimators"] = [("a", base()), ("b", base())]
    return params


def build(cls: type, *, fast: bool = True) -> Any:
    """An instance of ``cls`` with ``random_state=0`` everywhere and, with
    ``fast``, few iterations, estimators, folds and hashed columns."""
    estimator = None
    if _construct_instances is not None:
        try:
            estimator = next(iter(_construct_instances(cls)))
        except Exception:  # the helper is private: fall back
            estimator = None
    if estimator is None:
        estimator = cls(**_fallback_params(cls))
    changes: dict[str, Any] = {}
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
    if cls.__name__ == "LocalOutlierFactor":
        changes["novelty"] = True  # predict, score_samples... on new rows
    if changes:
        estimator.set_params(**changes)
    return estimator


def family(estimator: Any) -> str:
    """classifier, regressor, clusterer, outlier_detector, density_estimator,
    transformer or other."""
    kind = getattr(get_tags(estimator), "estimator_type", None)
    if kind:
        return str(kind)
    return "transformer" if hasattr(estimator, "transform") else "other"


def wide_models() -> dict[str, Any]:
    """BLAS-heavy models on wide data: their 20-row products are big enough for
    OpenBLAS to use more than one thread (m*n*k well over 262144) and, at 1000
    features, to split the inner dimension between threads."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA, KernelPCA
    from sklearn.kernel_approximation import Nystroem
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.random_projection import GaussianRandomProjection
    from sklearn.svm import SVC

    return {
        "MLPRegressor": MLPRegressor(
            hidden_layer_sizes=(256, 128), max_iter=50, random_state=0
        ),
        "MLPClassifier": MLPClassifier(
            hidden_layer_sizes=(256, 128), max_iter=50, random_state=0
        ),
        "PCA": PCA(n_components=100, random_state=0),
        "KernelPCA": KernelPCA(n_components=50, kernel="rbf", random_state=0),
        "Nystroem": Nystroem(n_components=150, random_state=0),
        "GaussianRandomProjection": GaussianRandomProjection(300, random_state=0),
        "LogisticRegression": LogisticRegression(max_iter=200),
        "Ridge": Ridge(),
        "SVC": SVC(probability=True, random_state=0),
        "KNeighborsClassifier": KNeighborsClassifier(),
        "KMeans": KMeans(n_clusters=8, n_init=1, random_state=0),
    }


# ----------------------------------------------------------------------------
# Data suited to each estimator's tags
# ----------------------------------------------------------------------------

_WORDS = "alpha beta gamma delta pickle joblib model tree leaf root branch node"


@dataclass
class Case:
    """An estimator's training data; ``with_y`` says whether fit takes y."""

    X: Any
    y: Any = None
    with_y: bool = True


def _classification(n_classes: int = 3, n_features: int = N_FEATURES) -> tuple:
    return make_classification(
        n_samples=N_SAMPLES,
        n_features=n_features,
        n_informative=min(4, n_features),
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )


def make_case(estimator: Any, *, positive: bool = False) -> Case:
    """The inputs an estimator takes, from its tags (and its name for the few
    whose inputs are not numeric arrays); ``positive`` forces X >= 0."""
    name = type(estimator).__name__
    tags = get_tags(estimator)
    X, y = _classification()
    rng = np.random.default_rng(0)
    words = np.array(_WORDS.split())
    if name in ("CountVectorizer", "TfidfVectorizer", "HashingVectorizer"):
        docs = [" ".join(rng.choice(words, size=rng.integers(3, 9))) for _ in y]
        return Case(docs, y, with_y=False)
    if name in ("DictVectorizer", "FeatureHasher"):
        rows = [
            {f"f{j}": float(v) for j, v in enumerate(row) if v > 0} | {"c": str(k)}
            for row, k in zip(X, y, strict=True)
        ]
        return Case(rows, y, with_y=False)
    if name in ("LabelEncoder", "LabelBinarizer"):
        return Case(np.array(["cat", "dog", "eel"])[y], with_y=False)
    if name == "MultiLabelBinarizer":
        sets = [tuple(sorted({words[k], words[(k + j) % 4]})) for j, k in enumerate(y)]
        return Case(sets, with_y=False)
    if name == "PatchExtractor":
        return Case(rng.random((4, 8, 8)), with_y=False)
    if tags.input_tags.pairwise:
        return Case(X @ X.T, y)
    if is_regressor(estimator):
        n_targets = 1 if tags.target_tags.single_output else 2
        X, y = make_regression(
            n_samples=N_SAMPLES,
            n_features=N_FEATURES,
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
        X = np.rint(np.abs(X))
    elif tags.input_tags.positive_only or positive:
        X = np.abs(X)
    dictionary = estimator.get_params().get("dictionary")
    if isinstance(dictionary, np.ndarray):  # SparseCoder: X has its atoms' width
        X = X[:, : dictionary.shape[1]]
    if name in ("MissingIndicator", "SimpleImputer", "KNNImputer", "IterativeImputer"):
        X = X.copy()
        X[::7, 1] = np.nan
    return Case(X, y)


def wide_case(estimator: Any, n_features: int) -> Case:
    if is_regressor(estimator):
        X, y = make_regression(
            n_samples=WIDE_SAMPLES, n_features=n_features, noise=0.1, random_state=0
        )
        return Case(X, y)
    X, y = make_classification(
        n_samples=WIDE_SAMPLES,
        n_features=n_features,
        n_informative=20,
        n_classes=3,
        random_state=0,
    )
    return Case(X, y)


def input_variants(case: Case) -> dict[str, Case]:
    """float64 and float32 copies of a numeric X; other inputs as they are."""
    X = case.X
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiu":
        return {
            dtype: Case(X.astype(dtype), case.y, case.with_y)
            for dtype in ("float64", "float32")
        }
    return {"native": case}


def spread_rows(X: Any, n: int = PROBE_ROWS) -> Any:
    """``n`` rows at evenly spaced positions, first and last included (as the
    probe takes them)."""
    total = X.shape[0] if hasattr(X, "shape") else len(X)
    index = np.unique(np.linspace(0, total - 1, n).round().astype(np.intp))
    if isinstance(X, np.ndarray):
        return X[index]
    return [X[int(i)] for i in index]


# ----------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------


def _dense(value: Any) -> np.ndarray:
    if sparse.issparse(value):
        return value.toarray()
    if hasattr(value, "to_numpy"):
        return value.to_numpy()
    return np.asarray(value)


def outputs(model: Any, X: Any, methods: tuple[str, ...] | None = None) -> dict:
    """Output name -> dense array for every method the model answers on X;
    a list of arrays (one per output) becomes ``method[i]``. With ``methods``,
    a method that raises gives its error message instead."""
    found: dict[str, Any] = {}
    wanted = methods or METHODS
    for method in dict.fromkeys(m.partition("[")[0] for m in wanted):
        if not hasattr(model, method):
            continue
        try:
            value = getattr(model, method)(X)
        except Exception as exc:
            if methods is not None:
                found[method] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        if isinstance(value, list | tuple) and value and hasattr(value[0], "shape"):
            for i, one in enumerate(value):
                found[f"{method}[{i}]"] = _dense(one)
        else:
            found[method] = _dense(value)
    return {k: v for k, v in found.items() if methods is None or k in methods}


def _same(a: Any, b: Any) -> bool:
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return False
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.all(a.astype(object) == b.astype(object)))


# ----------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------


def _as_float(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "c":
        return np.concatenate([a.real.ravel(), a.imag.ravel()]).astype(np.float64)
    return a.astype(np.float64).ravel()


def _coarser(a: np.dtype, b: np.dtype) -> np.dtype:
    """The float dtype of the two with the larger epsilon."""
    fa = np.finfo(a).dtype if a.kind in "fc" else np.dtype(np.float64)
    fb = np.finfo(b).dtype if b.kind in "fc" else np.dtype(np.float64)
    return fa if np.finfo(fa).eps >= np.finfo(fb).eps else fb


def compare(a: Any, b: Any) -> dict[str, Any] | None:
    """None when identical; otherwise what differs and by how much."""
    if isinstance(a, str) or isinstance(b, str):
        return {"kind": "error", "detail": a if isinstance(a, str) else b}
    if a.shape != b.shape:
        return {"kind": "shape", "detail": f"{a.shape} != {b.shape}"}
    if not (a.dtype.kind in "fc" and b.dtype.kind in "fc"):
        differ = a.astype(object) != b.astype(object)
        n = int(np.sum(differ))
        if n == 0 and a.dtype == b.dtype:
            return None
        return {"kind": "exact", "n_differ": n, "n_values": int(a.size)}
    dtype = _coarser(a.dtype, b.dtype)
    x, y = _as_float(a), _as_float(b)
    finite = np.isfinite(x) & np.isfinite(y)
    same_nonfinite = (x == y) | (np.isnan(x) & np.isnan(y))
    nonfinite_differ = int(np.sum(~finite & ~same_nonfinite))
    x, y = x[finite], y[finite]
    mag = np.maximum(np.abs(x), np.abs(y))
    diff = np.abs(x - y)
    if not nonfinite_differ and not diff.any() and a.dtype == b.dtype:
        return None
    scale = float(mag.max()) if mag.size else 0.0
    moved = diff > 0
    spacing = np.spacing(mag.astype(dtype)).astype(np.float64)
    ulp = np.where(moved, diff / spacing, 0.0)
    rel = np.where(moved, diff / np.where(mag > 0, mag, 1.0), 0.0)
    near = moved & (mag < NEAR_ZERO * scale)
    far = moved & ~near
    max_abs = float(diff.max()) if diff.size else 0.0
    return {
        "kind": "float",
        "dtype": str(dtype),
        "dtypes": [str(a.dtype), str(b.dtype)],
        "n_values": int(a.size),
        "n_differ": int(moved.sum()) + nonfinite_differ,
        "nonfinite_differ": nonfinite_differ,
        "scale": scale,
        "max_abs": max_abs,
        "max_rel": float(rel.max()) if rel.size else 0.0,
        "max_ulp": float(ulp.max()) if ulp.size else 0.0,
        "abs_over_scale": max_abs / scale if scale else 0.0,
        "ulps_of_scale": max_abs / float(np.spacing(dtype.type(scale)))
        if scale
        else 0.0,
        "near_zero_differ": int(near.sum()),
        "max_rel_near_zero": float(rel[near].max()) if near.any() else 0.0,
        "max_rel_away_from_zero": float(rel[far].max()) if far.any() else 0.0,
    }


# Candidate rules: (output dtype, input dtype or None) -> (rtol, atol per unit
# of scale, smallest scale). A value passes when
# |found - expected| <= atol + rtol * |expected| with
# atol = atol_per_scale * max(scale, smallest scale), scale = max |expected|
# of that output (np.isclose, as the probe compares).
def _current(dtype: np.dtype, input_dtype: np.dtype | None) -> tuple:
    """today: rtol = 1e-7, atol = 1e-9 * max(scale, 1), whatever the dtype"""
    return 1e-7, 1e-9, 1.0


def _eps_rule(k: float, *, with_input: bool = False) -> Any:
    def rule(dtype: np.dtype, input_dtype: np.dtype | None) -> tuple:
        if with_input and input_dtype is not None:
            dtype = _coarser(dtype, input_dtype)
        eps = float(np.finfo(dtype).eps)
        return k * eps, k * eps, 0.0

    which = "coarser of output and input dtype" if with_input else "output dtype"
    rule.__doc__ = f"rtol = atol/scale = {k:g} * eps({which})"
    return rule


RULES = {
    "current": _current,
    **{f"{k}eps": _eps_rule(k) for k in (4, 16, 32, 64, 256)},
    "32eps-in": _eps_rule(32, with_input=True),
}


def _input_dtype(variant: str) -> np.dtype | None:
    return np.dtype(variant) if variant in ("float32", "float64") else None


def alarms(rule: Any, expected: Any, found: Any, input_dtype: Any = None) -> bool:
    """Whether ``rule`` flags ``found`` against ``expected`` (labels exact)."""
    if isinstance(expected, str) or isinstance(found, str):
        return True
    if expected.shape != found.shape:
        return True
    if not (expected.dtype.kind in "fc" and found.dtype.kind in "fc"):
        return bool(np.any(expected.astype(object) != found.astype(object)))
    dtype = _coarser(expected.dtype, found.dtype)
    exp, got = _as_float(expected), _as_float(found)
    finite = np.isfinite(exp)
    scale = float(np.max(np.abs(exp[finite]))) if finite.any() else 1.0
    rtol, atol_scale, floor = rule(dtype, input_dtype)
    atol = atol_scale * max(scale, floor)
    return not bool(np.isclose(got, exp, rtol=rtol, atol=atol, equal_nan=True).all())


# ----------------------------------------------------------------------------
# Real changes: every fitted float array scaled by 1.001, one at a time
# ----------------------------------------------------------------------------


def _perturbable(model: Any) -> list[str]:
    names = []
    for name, value in vars(model).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        first = value[0] if isinstance(value, list) and value else value
        if (
            isinstance(first, np.ndarray)
            and first.dtype.kind == "f"
            and first.size
            and np.isfinite(first).all()
            and np.any(first)
        ):
            names.append(name)
    return names


def perturbations(model: Any, probe: Any, expected: dict, variant: str) -> list[dict]:
    """Per fitted float attribute: the largest relative output change when it
    is scaled by 1.001, and which rules catch it."""
    found = []
    for name in _perturbable(model):
        changed = copy.deepcopy(model)
        value = getattr(changed, name)
        if isinstance(value, list):
            value[0] = value[0] * PERTURBATION
        else:
            setattr(changed, name, value * PERTURBATION)
        try:
            got = outputs(changed, probe, tuple(expected))
        except Exception:
            continue
        effect, ulps, dtype = 0.0, 0.0, None
        labels = False
        for method, exp in expected.items():
            result = compare(exp, got.get(method, "missing"))
            if result is None:
                continue
            if result["kind"] != "float":
                labels = True
            elif result["abs_over_scale"] > effect:
                effect, ulps = result["abs_over_scale"], result["ulps_of_scale"]
                dtype = result["dtype"]
        if effect == 0.0 and not labels:
            continue  # the attribute plays no part in these outputs
        caught = {
            rule_name: any(
                alarms(rule, exp, got.get(method, "missing"), _input_dtype(variant))
                for method, exp in expected.items()
            )
            for rule_name, rule in RULES.items()
        }
        found.append(
            {
                "attribute": name,
                "float_effect": effect,
                "float_effect_ulps_of_scale": ulps,
                "output_dtype": dtype,
                "labels_changed": labels,
                "caught": caught,
            }
        )
    return found


# ----------------------------------------------------------------------------
# Fitting, in this process
# ----------------------------------------------------------------------------


@dataclass
class Fitted:
    key: str
    estimator: str
    family: str
    input: str
    model: Any
    probe: Any


def fit_variants(name: str, cls: Any, width: int | None = None) -> list[Fitted]:
    """The float64 and float32 fits of one estimator (raises if none works);
    with ``width``, ``cls`` is a wide model to fit on that many features."""
    error: Exception | None = None
    for fast, positive in ((True, False), (True, True), (False, False)):
        try:
            if width is not None:
                template = cls
                case = wide_case(template, width)
            else:
                template = build(cls, fast=fast)
                case = make_case(template, positive=positive)
            fitted = []
            for variant, data in input_variants(case).items():
                model = sklearn.clone(template)
                if data.with_y:
                    model.fit(data.X, data.y)
                else:
                    model.fit(data.X)
                probe = spread_rows(data.X)
                if not outputs(model, probe):
                    raise ValueError("no output method answers on the probe")
                fitted.append(
                    Fitted(
                        f"{name}/{variant}",
                        name,
                        family(model),
                        variant,
                        model,
                        probe,
                    )
                )
            return fitted
        except Exception as exc:
            error = exc  # the last attempt's reason
    assert error is not None
    raise error


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]


# ----------------------------------------------------------------------------
# The subprocesses
# ----------------------------------------------------------------------------


def child(setting: str, folder: str) -> None:
    """Load every model of ``folder`` and record its outputs on the probe."""
    warnings.simplefilter("ignore")
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    results: dict[str, Any] = {}
    for case in manifest["cases"]:
        methods = tuple(case["methods"])
        try:
            with open(os.path.join(folder, case["model_file"]), "rb") as f:
                model = pickle.load(f)
            with open(os.path.join(folder, case["probe_file"]), "rb") as f:
                probe = pickle.load(f)
            results[case["key"]] = outputs(model, probe, methods)
        except Exception as exc:
            results[case["key"]] = dict.fromkeys(methods, _describe(exc))
    found = {"outputs": results, "threadpools": _pools(), "matmul": matmuls()}
    with open(os.path.join(folder, _outputs_file(setting)), "wb") as f:
        pickle.dump(found, f, protocol=5)


def matmuls() -> dict[str, np.ndarray]:
    """``A @ B`` for each of MATMUL_SHAPES and dtypes, on fixed random data."""
    found = {}
    for (m, k, n), dtype in itertools.product(MATMUL_SHAPES, ("float64", "float32")):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n) if n > 1 else k).astype(dtype)
        found[f"{m}x{k} @ {k}x{n} {dtype}"] = a @ b
    return found


def _outputs_file(setting: str) -> str:
    return "outputs-" + setting.replace("=", "").replace(" ", "-") + ".pkl"


def run_child(setting: str, folder: str) -> dict[str, Any]:
    threads = str(CHILD_THREADS[setting])
    env = dict(os.environ) | dict.fromkeys(THREAD_VARIABLES, threads)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", setting, folder],
        env=env,
        check=True,
    )
    with open(os.path.join(folder, _outputs_file(setting)), "rb") as f:
        found = pickle.load(f)
    found["wall_s"] = time.perf_counter() - started
    return found


# ----------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------


def measure(folder: str, quick: bool) -> dict[str, Any]:
    classes = estimator_classes()
    if quick:
        keep = ("PCA", "MLPRegressor", "LogisticRegression", "KMeans", "GaussianNB")
        classes = {k: v for k, v in classes.items() if k in keep}
    jobs: list[tuple[str, Any, int | None]] = [
        (name, cls, None) for name, cls in classes.items()
    ]
    jobs += [
        (f"{name} [wide {width}]", model, width)
        for width in WIDE_FEATURES
        for name, model in wide_models().items()
    ]

    cases: list[dict[str, Any]] = []
    excluded: dict[str, str] = {}
    unrepeatable: dict[str, list[str]] = {}
    outs: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in SETTINGS}
    moved_by_change: dict[str, list[dict]] = {}
    for name, cls, width in jobs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fitted = fit_variants(name, cls, width)
            except Exception as exc:
                excluded[name] = _describe(exc)
                continue
            for one in fitted:
                first = outputs(one.model, one.probe)
                second = outputs(one.model, one.probe)
                methods = tuple(m for m in first if _same(first[m], second.get(m)))
                if len(methods) < len(first):
                    unrepeatable[one.key] = [m for m in first if m not in methods]
                if not methods:
                    continue
                index = len(cases)
                model_file, probe_file = f"model-{index}.pkl", f"probe-{index}.pkl"
                with open(os.path.join(folder, model_file), "wb") as f:
                    pickle.dump(one.model, f, protocol=5)
                with open(os.path.join(folder, probe_file), "wb") as f:
                    pickle.dump(one.probe, f, protocol=5)
                with open(os.path.join(folder, model_file), "rb") as f:
                    loaded = pickle.load(f)
                outs["fit"][one.key] = {m: first[m] for m in methods}
                outs["unpickle"][one.key] = outputs(loaded, one.probe, methods)
                moved_by_change[one.key] = perturbations(
                    one.model, one.probe, outs["fit"][one.key], one.input
                )
                cases.append(
                    {
                        "key": one.key,
                        "estimator": one.estimator,
                        "family": one.family,
                        "input": one.input,
                        "methods": list(methods),
                        "model_file": model_file,
                        "probe_file": probe_file,
                    }
                )
        print(f"  fitted {name}", file=sys.stderr, flush=True)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({"cases": cases}, f)

    pools: dict[str, Any] = {"parent": _pools()}
    walls: dict[str, float] = {}
    products = {"parent": matmuls()}
    for setting in CHILD_THREADS:
        print(f"  running {setting} in a subprocess", file=sys.stderr, flush=True)
        found = run_child(setting, folder)
        outs[setting] = found["outputs"]
        pools[setting] = found["threadpools"]
        walls[setting] = found["wall_s"]
        products[setting] = found["matmul"]
    return {
        "matmul": compare_matmuls(products),
        "cases": cases,
        "excluded": excluded,
        "unrepeatable": unrepeatable,
        "outputs": outs,
        "threadpools": pools,
        "child_wall_s": walls,
        "perturbations": moved_by_change,
    }


def compare_matmuls(products: dict[str, dict[str, np.ndarray]]) -> list[dict]:
    """The bare products that differ between two of the runs."""
    found = []
    for (a, b), key in itertools.product(
        itertools.combinations(products, 2), products["parent"]
    ):
        result = compare(products[a][key], products[b][key])
        if result is not None:
            found.append({"product": key, "pair": f"{a} ~ {b}", **result})
    return found


def _pools() -> list[dict[str, Any]]:
    return [
        {k: p.get(k) for k in ("user_api", "internal_api", "prefix", "num_threads")}
        for p in threadpool_info()
    ]


def analyse(run: dict[str, Any]) -> dict[str, Any]:
    """Per case, method and pair of settings: the differences, and the false
    alarms of each rule."""
    outs = run["outputs"]
    records = []
    false_alarms: dict[str, list[str]] = {r: [] for r in RULES}
    n_outputs: dict[str, int] = {}
    for case in run["cases"]:
        key = case["key"]
        for p in run["perturbations"].get(key, []):
            p["case"] = key
        for method in case["methods"]:
            values = {s: outs[s].get(key, {}).get(method, "missing") for s in SETTINGS}
            fit_value = values["fit"]
            dtype = str(fit_value.dtype)
            n_outputs[dtype] = n_outputs.get(dtype, 0) + 1
            entry: dict[str, Any] = {
                "estimator": case["estimator"],
                "family": case["family"],
                "input": case["input"],
                "method": method,
                "dtype": dtype,
                "shape": list(fit_value.shape),
                "scale": float(np.nanmax(np.abs(fit_value)))
                if fit_value.dtype.kind in "fc" and np.isfinite(fit_value).any()
                else None,
                "identical_pairs": [],
                "moved": {},
            }
            for a, b in PAIRS:
                result = compare(values[a], values[b])
                pair = f"{a} ~ {b}"
                if result is None:
                    entry["identical_pairs"].append(pair)
                else:
                    entry["moved"][pair] = result
                for rule_name, rule in RULES.items():
                    input_dtype = _input_dtype(case["input"])
                    if alarms(rule, values[a], values[b], input_dtype):
                        false_alarms[rule_name].append(f"{key}:{method} [{pair}]")
            records.append(entry)
    return {"records": records, "false_alarms": false_alarms, "n_outputs": n_outputs}


def summarise(analysis: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """Per output dtype: the largest differences and where they are."""
    per_dtype: dict[str, Any] = {}
    for dtype, n in sorted(analysis["n_outputs"].items()):
        rows = [
            (r, pair, m)
            for r in analysis["records"]
            if r["dtype"] == dtype
            for pair, m in r["moved"].items()
        ]
        floats = [(r, p, m) for r, p, m in rows if m["kind"] == "float"]

        def where(item: tuple) -> str:
            r, pair, _ = item
            return f"{r['estimator']}/{r['input']}.{r['method']} [{pair}]"

        def top(field: str, items: list = floats) -> dict[str, Any] | None:
            if not items:
                return None
            best = max(items, key=lambda item: item[2][field])
            return {"value": best[2][field], "where": where(best)}

        near = [x for x in floats if x[2]["near_zero_differ"]]
        per_pair: dict[str, int] = {}
        for _, pair, _ in rows:
            per_pair[pair] = per_pair.get(pair, 0) + 1
        per_input: dict[str, int] = {}
        for r in {id(r): r for r, _, _ in rows}.values():
            per_input[r["input"]] = per_input.get(r["input"], 0) + 1
        per_dtype[dtype] = {
            "outputs": n,
            "outputs_moved": len({id(r) for r, _, _ in rows}),
            "moved_by_pair": per_pair,
            "moved_by_input_dtype": per_input,
            "largest_rel": top("max_rel"),
            "largest_rel_away_from_zero": top("max_rel_away_from_zero"),
            "largest_ulp": top("max_ulp"),
            "largest_abs_over_scale": top("abs_over_scale"),
            "largest_ulps_of_scale": top("ulps_of_scale"),
            "near_zero_cases": [
                {
                    "where": where(x),
                    "n": x[2]["near_zero_differ"],
                    "max_rel_near_zero": x[2]["max_rel_near_zero"],
                    "abs_over_scale": x[2]["abs_over_scale"],
                }
                for x in near
            ],
            "non_float_changes": [where(x) for x in rows if x[2]["kind"] != "float"],
        }
    changes = [p for ps in run["perturbations"].values() for p in ps]
    float_only = [p for p in changes if not p["labels_changed"]]
    rules = {}
    for rule_name, rule in RULES.items():
        missed = [p for p in float_only if not p["caught"][rule_name]]
        rules[rule_name] = {
            "definition": (rule.__doc__ or "").strip(),
            "false_alarms": len(analysis["false_alarms"][rule_name]),
            "false_alarm_cases": analysis["false_alarms"][rule_name][:50],
            "changes_with_float_effect_only": len(float_only),
            "changes_missed": len(missed),
            "largest_missed_effect": max(
                (p["float_effect"] for p in missed), default=0
            ),
            "missed": sorted(missed, key=lambda p: -p["float_effect"])[:20],
        }
    effects = sorted(p["float_effect"] for p in float_only)
    return {
        "per_output_dtype": per_dtype,
        "rules": rules,
        "perturbation": {
            "factor": PERTURBATION,
            "changes": len(changes),
            "changes_with_label_change": len(changes) - len(float_only),
            "smallest_float_effect": effects[0] if effects else None,
            "effect_quantiles": {
                q: float(np.quantile(effects, q)) for q in (0.01, 0.05, 0.5)
            }
            if effects
            else {},
        },
    }


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------


def _g(x: float) -> str:
    return f"{x:.3g}"


def print_report(analysis: dict[str, Any], summary: dict[str, Any], run: dict) -> None:
    header = (
        f"{'estimator/input.method':<58} {'dtype':<8} {'pair':<27} "
        f"{'n':>7} {'max_abs':>9} {'max_rel':>9} {'ulp':>6} {'|max|':>9} "
        f"{'abs/|max|':>9} near0"
    )
    print("\nNon-zero differences")
    print(header)
    print("-" * len(header))
    for r in analysis["records"]:
        label = f"{r['estimator']}/{r['input']}.{r['method']}"
        for pair, m in r["moved"].items():
            if m["kind"] != "float":
                print(f"{label:<58} {r['dtype']:<8} {pair:<27} {m}")
                continue
            print(
                f"{label:<58} {m['dtype']:<8} {pair:<27} "
                f"{m['n_differ']:>3}/{m['n_values']:<3} {_g(m['max_abs']):>9} "
                f"{_g(m['max_rel']):>9} {_g(m['max_ulp']):>6} {_g(m['scale']):>9} "
                f"{_g(m['abs_over_scale']):>9} {m['near_zero_differ'] or ''}"
            )
    print("\nSummary per output dtype")
    for dtype, s in summary["per_output_dtype"].items():
        print(f"  {dtype}: {s['outputs_moved']} of {s['outputs']} outputs moved")
        for field in (
            "largest_rel",
            "largest_rel_away_from_zero",
            "largest_ulp",
            "largest_abs_over_scale",
            "largest_ulps_of_scale",
        ):
            if s[field]:
                print(
                    f"    {field:<28} {_g(s[field]['value']):>9}  {s[field]['where']}"
                )
        for pair, n in s["moved_by_pair"].items():
            print(f"    moved in {pair:<28} {n}")
        for variant, n in s["moved_by_input_dtype"].items():
            print(f"    moved with {variant} input: {n}")
        print(f"    near-zero cases: {len(s['near_zero_cases'])}")
        for x in s["near_zero_cases"]:
            print(
                f"      {x['where']}: {x['n']} values, rel {_g(x['max_rel_near_zero'])}"
                f", abs/|max| {_g(x['abs_over_scale'])}"
            )
        for x in s["non_float_changes"]:
            print(f"    non-float change: {x}")
    print("\nBare matrix products that differ (parent runs with its default threads)")
    for m in run["matmul"]:
        print(
            f"  {m['product']:<28} {m['pair']:<28} "
            f"{m['n_differ']:>5}/{m['n_values']:<5} max_rel {_g(m['max_rel']):>9}"
            f"  abs/|max| {_g(m['abs_over_scale']):>9}"
            f"  ({_g(m['ulps_of_scale'])} ulp of |max|)"
        )
    print("\nRules: false alarms on this evidence / real changes (x1.001) missed")
    for rule_name, s in summary["rules"].items():
        print(
            f"  {rule_name:<8} {s['false_alarms']:>5} false alarms, missed "
            f"{s['changes_missed']}/{s['changes_with_float_effect_only']} changes "
            f"(largest missed effect {_g(s['largest_missed_effect'])})"
        )
    p = summary["perturbation"]
    print(
        f"  {p['changes']} perturbations changed outputs "
        f"({p['changes_with_label_change']} changed labels); smallest float effect "
        f"{p['smallest_float_effect']}, quantiles {p['effect_quantiles']}"
    )
    print(
        f"\n{len(run['cases'])} fitted cases, {len(run['excluded'])} estimators "
        f"excluded, {len(run['unrepeatable'])} cases with methods random by design"
    )


def environment() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "commit": commit,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "parent_thread_variables": {k: os.environ.get(k) for k in THREAD_VARIABLES},
    }


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a few estimators only")
    p.add_argument("--out", default=None, help=f"JSON path (default {DEFAULT_OUT})")
    p.add_argument("--child", nargs=2, metavar=("SETTING", "FOLDER"), help="internal")
    args = p.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    out = args.out or (
        os.path.join(tempfile.gettempdir(), "tolerance.json")
        if args.quick
        else DEFAULT_OUT
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-tolerance-") as folder:
        run = measure(folder, args.quick)
    analysis = analyse(run)
    summary = summarise(analysis, run)
    print_report(analysis, summary, run)
    result = {
        "benchmark": "tolerance",
        "environment": environment(),
        "settings": {
            "order": list(SETTINGS),
            "child_thread_variables": list(THREAD_VARIABLES),
            "child_threads": CHILD_THREADS,
            "threadpools": run["threadpools"],
            "child_wall_s": run["child_wall_s"],
        },
        "data": {
            "n_samples": N_SAMPLES,
            "n_features": N_FEATURES,
            "probe_rows": PROBE_ROWS,
            "wide": f"{WIDE_SAMPLES} rows x {WIDE_FEATURES} features, 20 probe rows",
            "matmul_shapes": MATMUL_SHAPES,
            "near_zero": f"|value| < {NEAR_ZERO:g} * max |value| of the output",
        },
        "wall_s": time.perf_counter() - started,
        "summary": summary,
        "excluded": run["excluded"],
        "random_by_design": run["unrepeatable"],
        "outputs": analysis["records"],
        "matmul": run["matmul"],
        "perturbations": run["perturbations"],
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(_jsonable(result), f, indent=1)
        f.write("\n")
    print(f"\nwrote {out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
