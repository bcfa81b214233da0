"""What the benchmark forkserver imports before it forks any operation.

The libraries every competitor needs, and versioned_estimator's lazily
imported names (touching them imports their modules), so that no measured
operation pays for an import the other competitors do not.
"""

import joblib  # noqa: F401
import numpy  # noqa: F401
import scipy.sparse  # noqa: F401
import sklearn.base
import sklearn.datasets
import sklearn.ensemble
import sklearn.feature_extraction.text
import sklearn.linear_model
import sklearn.model_selection
import sklearn.neighbors
import sklearn.pipeline  # noqa: F401

import versioned_estimator

for _name in ("VersionedEstimator", "_rebuild", "load", "save", "read_envelope"):
    getattr(versioned_estimator, _name)

# What only a safe load imports (the checks of the loaded graph): the other
# competitors import nothing of the kind.
import versioned_estimator._walk  # noqa: E402
