"""Pickle scikit-learn models with an envelope of versions, provenance and a
behaviour probe, checked before the model is touched."""

from versioned_estimator._config import config_context, get_config, set_config
from versioned_estimator._envelope import Envelope
from versioned_estimator._errors import (
    BehaviorDriftError,
    BehaviorDriftWarning,
    EnvelopeError,
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    InnerLoadError,
    IntegrityError,
    UntrustedGlobalError,
    VersionedEstimatorError,
)
from versioned_estimator._estimator import VersionedEstimator
from versioned_estimator._estimator import _rebuild as _rebuild
from versioned_estimator._io import audit, check_environment, load, read_envelope, save
from versioned_estimator._version import __version__

__all__ = [
    "BehaviorDriftError",
    "BehaviorDriftWarning",
    "EnvelopeError",
    "Envelope",
    "EnvironmentMismatchError",
    "EnvironmentMismatchWarning",
    "InnerLoadError",
    "IntegrityError",
    "UntrustedGlobalError",
    "VersionedEstimator",
    "VersionedEstimatorError",
    "__version__",
    "audit",
    "check_environment",
    "config_context",
    "get_config",
    "load",
    "read_envelope",
    "save",
    "set_config",
]
