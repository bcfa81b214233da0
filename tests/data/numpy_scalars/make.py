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


#: The fits whose files are kept here (one of each kind of numpy value).
KEPT = ("search-over-numpy-values", "pipeline-numpy-text", "dummy-numpy-constant")


def fits() -> dict[str, tuple[Any, Any, Any]]:
    """Fits whose data, parameters or column names hold numpy's text and
    numbers (``np.str_`` from an item of a text array, ``np.float64`` from
    ``np.logspace``), as (estimator, X, y)."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    rng = np.random.default_rng(0)
    X = rng.random((60, 3))
    y = (X[:, 0] > 0.5).astype(int)
    words = np.array(["a", "b", "c"])
    text = np.empty((60, 2), dtype=object)
    for index in np.ndindex(text.shape):
        text[index] = words[rng.integers(3)]  # an item of a text array: np.str_
    assert type(text[0, 0]) is np.str_
    grid = {"C": np.logspace(-2, 1, 3), "solver": np.array(["lbfgs", "liblinear"])}
    return {
        "search-over-numpy-values": (
            GridSearchCV(LogisticRegression(), grid, cv=2),
            X,
            y,
        ),
        "one-hot-numpy-text": (OneHotEncoder(), text, None),
        "ordinal-numpy-text": (OrdinalEncoder(), text, None),
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
        "frame-numpy-column-names": (
            LogisticRegression(),
            pd.DataFrame(X, columns=np.array(["x", "y", "z"])),
            y,
        ),
        "frame-numpy-text-column": (
            make_pipeline(OneHotEncoder(), LogisticRegression()),
            pd.DataFrame({"w": list(text[:, 0])}),
            y,
        ),
    }


def main() -> None:
    import versioned_estimator as ve

    expected = {}
    every = fits()
    for name in KEPT:
        model, X, y = every[name]
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
