"""Reading a saved model's envelope, and comparing its environment with this one.

Nothing here imports scikit-learn or unpickles the model: the envelope is read
from the head of the file by ``_reader``, so ``versioned-estimator inspect`` and
``check`` stay fast and safe on any file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from versioned_estimator._envelope import Envelope, validate
from versioned_estimator._environment import EnvironmentReport, compare
from versioned_estimator._reader import read_head
from versioned_estimator._sources import open_source

__all__ = ["check_environment", "read_envelope"]


def _wrapped_envelope(source: Any) -> Envelope | None:
    """The envelope of a VersionedEstimator instance, without importing its module."""
    module = sys.modules.get("versioned_estimator._estimator")
    if module is not None and isinstance(source, module.VersionedEstimator):
        envelope: Envelope = source.envelope
        return envelope
    return None


def read_envelope(source: Any) -> Envelope:
    """Read a saved model's envelope without loading the model.

    Never imports the model's libraries, never runs code named by the file,
    and reads only the head of the file: a 1 GB model costs what a 1 KB one does.

    Parameters
    ----------
    source : str, path-like, bytes or binary file object
        A file written by ``pickle``, ``joblib.dump`` (compressed or not) or
        :func:`save`; a binary file object is read from its current position.

    Returns
    -------
    Envelope

    Raises
    ------
    EnvelopeError
        The source is not a wrapped model (a plain pickle, a joblib file of
        something else, garbage), is truncated, or uses a newer format.

    Examples
    --------
    >>> import pickle
    >>> from sklearn.dummy import DummyClassifier
    >>> from versioned_estimator import VersionedEstimator, read_envelope
    >>> model = VersionedEstimator(DummyClassifier()).fit([[0], [1]], [0, 1])
    >>> read_envelope(pickle.dumps(model)).estimator_class
    'sklearn.dummy.DummyClassifier'
    >>> read_envelope(pickle.dumps({"a": 1}))
    Traceback (most recent call last):
    ...
    versioned_estimator._errors.EnvelopeError: the given bytes is a pickle ...
    """
    wrapped = _wrapped_envelope(source)
    if wrapped is not None:
        return wrapped
    src = open_source(source)
    try:
        data = read_head(src)
    finally:
        src.close()
    return Envelope(validate(data, source=src.what))


def _envelope_data(source: Any) -> dict[str, Any]:
    if isinstance(source, Envelope):
        return source.to_dict()
    if isinstance(source, Mapping):
        return validate(dict(source))
    return read_envelope(source).to_dict()


def check_environment(source: Any, *, threshold: str = "minor") -> EnvironmentReport:
    """Compare the environment a model was saved in with this one.

    Parameters
    ----------
    source : Envelope, VersionedEstimator, path, bytes or binary file
    threshold : {"patch", "minor", "major", "missing"}, default="minor"
        The smallest change that makes ``report.ok`` False.

    Returns
    -------
    EnvironmentReport
        ``.ok``, ``.packages`` and ``.python`` (each with ``name``, ``saved``,
        ``installed``, ``change``), ``str()`` for people, ``to_dict()``.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator, check_environment
    >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 1])
    >>> report = check_environment(model.envelope)
    >>> report.ok, {p.name: p.change for p in report.packages}["scikit-learn"]
    (True, 'same')
    """
    source = _wrapped_envelope(source) or source
    report = compare(_envelope_data(source))
    return report.with_threshold(threshold) if threshold != report.threshold else report
