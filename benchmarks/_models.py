"""The benchmark models: built once, cached as pickles in a temporary folder.

The cache lives under the system temporary folder (``BENCH_CACHE`` to move
it), keyed by the scale and the numpy and scikit-learn versions, so a second
run reuses it; ``--rebuild`` (or deleting the folder) builds again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_FORMAT = 1  # bump when a builder changes


@dataclass(frozen=True)
class ModelSpec:
    name: str
    label: str
    category: str  # "numeric", "object-heavy" or "small"
    big: bool
    mmap: bool  # also measure mmap_mode="r" loads
    build: Callable[[float], tuple[Any, Any]]


def _knn(scale: float) -> tuple[Any, Any]:
    from sklearn.neighbors import KNeighborsRegressor

    rng = np.random.default_rng(0)
    n_rows = max(100, int(250_000 * scale))  # x 100 float64 features = 200 MB
    X = rng.standard_normal((n_rows, 100))
    y = rng.standard_normal(n_rows)
    return KNeighborsRegressor(algorithm="brute").fit(X, y), X[:5].copy()


def _forest(scale: float) -> tuple[Any, Any]:
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(1)
    n_rows = max(200, int(22_000 * scale))  # fully grown: ~200 MB of nodes
    X = rng.standard_normal((n_rows, 20))
    y = X[:, 0] + rng.standard_normal(n_rows)
    forest = RandomForestRegressor(
        n_estimators=100, max_features=0.3, n_jobs=2, random_state=0
    ).fit(X, y)
    forest.set_params(n_jobs=None)
    return forest, X[:5].copy()


def _hgb(scale: float) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    n_rows = max(2_000, int(100_000 * min(1.0, scale * 4)))
    X, y = make_classification(n_samples=n_rows, n_features=20, random_state=0)
    model = HistGradientBoostingClassifier(
        max_iter=200, max_leaf_nodes=63, early_stopping=False, random_state=0
    ).fit(X, y)
    return model, X[:5].copy()


def _words(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct random lower-case words of 4 to 10 letters."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(4, 11, size=int(n * 1.2) + 100)
    text = "".join(letters[rng.integers(0, 26, size=int(lengths.sum()))].tolist())
    ends = np.cumsum(lengths)
    starts = ends - lengths
    words = dict.fromkeys(
        text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    )
    return list(words)[:n]


def _text(scale: float) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(2)
    vocabulary = max(1_000, int(500_000 * scale))
    n_docs = max(200, int(20_000 * scale))
    words = np.array(_words(vocabulary, rng), dtype=object)
    # 120 words a document from a uniform vocabulary: nearly every word is seen.
    tokens = rng.integers(0, len(words), size=(n_docs, 120))
    docs = [" ".join(row) for row in words[tokens].tolist()]
    y = (tokens[:, :10] % 2).sum(axis=1) > 5
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=100))
    pipe.fit(docs, y)
    return pipe, docs[:5]


def _iris(scale: float) -> tuple[Any, Any]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=1000).fit(X, y), X[:5].copy()


def _gridsearch(scale: float) -> tuple[Any, Any]:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]},
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    search.set_params(n_jobs=None)
    return search, X[:5].copy()


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("knn", "KNN brute force", "numeric", True, True, _knn),
    ModelSpec("forest", "RandomForest, fully grown", "numeric", True, False, _forest),
    ModelSpec("hgb", "HistGradientBoosting", "numeric", False, True, _hgb),
    ModelSpec(
        "text", "TF-IDF + LogisticRegression", "object-heavy", True, False, _text
    ),
    ModelSpec("iris", "LogisticRegression (iris)", "small", False, False, _iris),
    ModelSpec("gridsearch", "GridSearchCV result", "small", False, False, _gridsearch),
)
BY_NAME = {spec.name: spec for spec in MODELS}


def cache_root() -> str:
    return os.environ.get("BENCH_CACHE") or os.path.join(
        tempfile.gettempdir(), "versioned-estimator-bench-cache"
    )


def _key(scale: float) -> str:
    import sklearn

    text = json.dumps([_FORMAT, scale, np.__version__, sklearn.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_cached(name: str, scale: float, *, rebuild: bool = False) -> dict[str, Any]:
    """Build ``name`` unless cached; return its paths and facts."""
    folder = os.path.join(cache_root(), _key(scale))
    os.makedirs(folder, exist_ok=True)
    model_path = os.path.join(folder, f"{name}.pkl")
    probe_path = os.path.join(folder, f"{name}.probe.pkl")
    meta_path = os.path.join(folder, f"{name}.json")
    if not rebuild and all(
        os.path.exists(p) for p in (model_path, probe_path, meta_path)
    ):
        with open(meta_path) as handle:
            meta = dict(json.load(handle))
        meta["cached"] = True
    else:
        start = time.perf_counter()
        model, probe = BY_NAME[name].build(scale)
        build_s = time.perf_counter() - start
        for path, obj in ((model_path, model), (probe_path, probe)):
            with open(path + ".tmp", "wb") as handle:
                pickle.dump(obj, handle, protocol=5)
            os.replace(path + ".tmp", path)
        meta = {
            "build_s": build_s,
            "pickle_mb": os.path.getsize(model_path) / 2**20,
            "estimator": f"{type(model).__module__}.{type(model).__qualname__}",
        }
        if name == "text":
            meta["vocabulary"] = len(model[0].vocabulary_)
        with open(meta_path, "w") as handle:
            json.dump(meta, handle)
        meta["cached"] = False
        del model
    meta.update(model_path=model_path, probe_path=probe_path)
    return meta
