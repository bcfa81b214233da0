"""Pickle scikit-learn models with an envelope of versions, provenance and a
behaviour probe, checked before the model is touched.

Reading an envelope (``read_envelope``, ``check_environment``, the CLI's
``inspect`` and ``check``) never imports scikit-learn: the names that need it
(``VersionedEstimator``, ``load``, ``save``, ``audit``, and ``_rebuild``, the
pickle entry point) are imported on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from versioned_estimator._config import config_context, get_config, set_config
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
from versioned_estimator._version import __version__

if TYPE_CHECKING:
    from versioned_estimator._envelope import Envelope
    from versioned_estimator._estimator import VersionedEstimator
    from versioned_estimator._estimator import _rebuild as _rebuild
    from versioned_estimator._inspect import check_environment, read_envelope
    from versioned_estimator._io import audit, load, save

__all__ = [
    "BehaviorDriftError",
    "BehaviorDriftWarning",
    "Envelope",
    "EnvelopeError",
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

# Names loaded when first asked for: those whose modules import scikit-learn,
# and the file reader (a loky worker that unpickles a wrapper to fit it needs
# neither the reader nor the environment comparison). ``_rebuild`` is the
# stable pickle path of every saved model.
_LAZY = {
    "Envelope": "versioned_estimator._envelope",
    "VersionedEstimator": "versioned_estimator._estimator",
    "_rebuild": "versioned_estimator._estimator",
    "audit": "versioned_estimator._io",
    "check_environment": "versioned_estimator._inspect",
    "read_envelope": "versioned_estimator._inspect",
    "load": "versioned_estimator._io",
    "save": "versioned_estimator._io",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'versioned_estimator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
