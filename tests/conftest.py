"""Shared fixtures: small real data sets and real scikit-learn models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@pytest.fixture(scope="session")
def iris():
    """Iris features and labels (ships with scikit-learn)."""
    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def regression():
    """A small regression problem."""
    return make_regression(n_samples=120, n_features=6, noise=0.5, random_state=0)


@pytest.fixture(scope="session")
def frame():
    """A mixed-type DataFrame with a binary target."""
    rng = np.random.default_rng(0)
    n = 150
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(np.int64),
            "income": rng.normal(50_000, 12_000, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )
    y = (X["income"] + 1000 * (X["city"] == "paris") > 50_000).astype(int).to_numpy()
    return X, y


def column_pipeline() -> Pipeline:
    """A Pipeline with a ColumnTransformer for the ``frame`` fixture."""
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])


# Each case: (name, estimator factory, data fixture name).
MODEL_CASES = [
    ("logistic", lambda: LogisticRegression(max_iter=500), "iris"),
    ("ridge", lambda: Ridge(alpha=0.5), "regression"),
    (
        "forest",
        lambda: RandomForestClassifier(n_estimators=20, random_state=0),
        "iris",
    ),
    ("knn", lambda: KNeighborsClassifier(n_neighbors=3), "iris"),
    ("pipeline", column_pipeline, "frame"),
    (
        "grid",
        lambda: GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3),
        "iris",
    ),
]


@pytest.fixture(params=MODEL_CASES, ids=[case[0] for case in MODEL_CASES])
def model_case(request):
    """(estimator, X, y) for each kind of model the core must round-trip."""
    _, factory, data = request.param
    X, y = request.getfixturevalue(data)
    return factory(), X, y
