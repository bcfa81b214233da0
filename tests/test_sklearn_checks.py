"""scikit-learn's own estimator checks, run on the wrapper around real models."""

from __future__ import annotations

from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from versioned_estimator import VersionedEstimator

ESTIMATORS = [
    VersionedEstimator(LogisticRegression(max_iter=200)),
    VersionedEstimator(Ridge()),
    VersionedEstimator(StandardScaler()),
    VersionedEstimator(PCA(random_state=0)),
    VersionedEstimator(KMeans(n_clusters=3, n_init=2, random_state=0)),
    VersionedEstimator(RandomForestClassifier(n_estimators=5, random_state=0)),
    VersionedEstimator(KNeighborsRegressor()),
    VersionedEstimator(LogisticRegression(max_iter=200), probe_size=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    """The wrapper passes every check scikit-learn applies to its own estimators."""
    check(estimator)
