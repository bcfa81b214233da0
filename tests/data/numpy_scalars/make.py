"""Write files as releases before the envelope held only Python values did.

Those releases put numpy's own scalars in the envelope where the fit's data
or parameters held them (``np.str_`` items of a text array, ``np.float64``
from ``np.logspace``): the safe load must keep reading them. The files here
were written once by such a release (the tree of commit ``304597e``), with
the current writer they cannot be made again:

    PYTHONPATH=<that release's src> python tests/data/numpy_scalars/make.py

It writes each fit's ``<name>.joblib`` (``versioned_estimator.save``) and
``expected.json``: what each model's predict or transform gave on the first
rows, and the envelope, its numpy values as Python's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent


def fits() -> dict[str, tuple[Any, Any, Any]]:
    """Fits whose data or parameters hold numpy text and numbers."""
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    X = rng.random((60, 3))
    y = (X[:, 0] > 0.5).astype(int)
    words = np.array(["a", "b", "c"])
    text = np.empty((60, 2), dtype=object)
    for index in np.ndindex(text.shape):
        text[index] = words[rng.integers(3)]  # an item of a text array: np.str_
    grid = {"C": np.logspace(-2, 1, 3), "solver": np.array(["lbfgs", "liblinear"])}
    return {
        "search-over-numpy-values": (
            GridSearchCV(LogisticRegression(), grid, cv=2),
            X,
            y,
        ),
        "pipeline-numpy-text": (
            make_pipeline(OneHotEncoder(), LogisticRegression()),
            text,
            y,
        ),
        "dummy-numpy-constant": (
            DummyClassifier(strategy="constant", constant=words[y][0]),
            X,
            words[y],
        ),
    }


def main() -> None:
    import versioned_estimator as ve

    expected = {}
    for name, (model, X, y) in fits().items():
        wrapped = ve.VersionedEstimator(model).fit(X, y)
        path = HERE / f"{name}.joblib"
        ve.save(wrapped, path)
        envelope = wrapped.__reduce_ex__(5)[1][0]  # what the file's head holds
        expected[name] = {
            "predict": np.asarray(wrapped.predict(X[:10])).tolist(),
            "envelope": json.loads(json.dumps(envelope, default=lambda v: v.item())),
        }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
