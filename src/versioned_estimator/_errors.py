"""Errors and warnings.

One root, :class:`VersionedEstimatorError`; each error also subclasses the
builtin a caller would naturally catch. Messages say what happened, what the
file says, what this environment has, and what to do. Structured fields are kept
as attributes, as scikit-learn's ``InconsistentVersionWarning`` does.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

__all__ = [
    "BehaviorDriftError",
    "BehaviorDriftWarning",
    "EnvelopeError",
    "EnvironmentMismatchError",
    "EnvironmentMismatchWarning",
    "InnerLoadError",
    "IntegrityError",
    "UntrustedGlobalError",
    "VersionedEstimatorError",
]


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------


class VersionedEstimatorError(Exception):
    """Root of every error this package raises."""


class EnvelopeError(VersionedEstimatorError, ValueError):
    """The file holds no readable envelope: not ours, corrupt, or a newer format."""


class IntegrityError(VersionedEstimatorError, ValueError):
    """The payload digest or the envelope signature does not match."""


class EnvironmentMismatchError(VersionedEstimatorError, RuntimeError):
    """The running environment differs from the saved one beyond the policy.

    Attributes
    ----------
    report : EnvironmentReport
        The full comparison, one entry per package.
    """

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class UntrustedGlobalError(VersionedEstimatorError, pickle.UnpicklingError):
    """The inner stream names globals outside the allow-list.

    Attributes
    ----------
    names : tuple of str
        Every untrusted global, as ``"module.qualname"``.
    """

    def __init__(self, message: str, *, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.names = tuple(names)


class InnerLoadError(VersionedEstimatorError, ImportError):
    """The wrapped estimator could not be unpickled (a moved module, a missing
    class, an incompatible library).

    Attributes
    ----------
    module : str or None
        The module that could not be imported, when that was the cause.
    """

    def __init__(self, message: str, *, module: str | None = None) -> None:
        super().__init__(message)
        self.module = module


class BehaviorDriftError(VersionedEstimatorError, RuntimeError):
    """Replaying the probe gave outputs other than the saved ones.

    Attributes
    ----------
    report : VerificationReport
        What was compared and what differed.
    """

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


# ----------------------------------------------------------------------------
# Warnings
# ----------------------------------------------------------------------------


class EnvironmentMismatchWarning(UserWarning):
    """Warns that the model was saved in a different environment.

    Attributes
    ----------
    report : EnvironmentReport
        The full comparison, one entry per package.
    """

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class BehaviorDriftWarning(UserWarning):
    """Warns that the probe replay gave other outputs than the saved ones.

    Attributes
    ----------
    report : VerificationReport
        What was compared and what differed.
    """

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report
