"""The envelope: plain metadata written around the model's own pickle.

``build_envelope`` assembles the dict that ``__reduce_ex__`` writes;
:class:`Envelope` is the read-only view users get back from a model, a file or
bytes. Field order is fixed and every value is plain data, so the same fitted
model always pickles to the same bytes (``joblib.hash`` and ``joblib.Memory``
keys depend on it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import FORMAT_NAME, FORMAT_VERSION
from versioned_estimator._packages import versions_for
from versioned_estimator._payload import Payload
from versioned_estimator._provenance import platform_info, python_version
from versioned_estimator._version import __version__

__all__ = ["Envelope", "build_envelope"]


# ----------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------


def build_envelope(
    provenance: Mapping[str, Any], payload: Payload, digests: Mapping[str, Any]
) -> dict[str, Any]:
    """Assemble the envelope of a fitted model from its provenance and payload.

    ``provenance`` is what fit or wrap captured (class, params, time, git,
    schema, probe, evaluation, metadata, methods, tags); the environment
    (packages, python, platform) is the pickling process's, since that is the
    process whose libraries wrote the inner stream.
    """
    packages, modules = versions_for(payload.modules)
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "writer": __version__,
        "created_at": provenance["created_at"],
        "estimator_class": provenance["estimator_class"],
        "params": provenance["params"],
        "methods": list(provenance["methods"]),
        "tags": provenance["tags"],
        "packages": packages,
        "modules": modules,
        "python": python_version(),
        "platform": dict(platform_info()),
        "git": dict(provenance["git"]),
        "globals": list(payload.globals),
        "payload": dict(digests),
        "schema": dict(provenance["schema"]),
        "probe_size": provenance["probe_size"],
        "probe": provenance["probe"],
        "evaluation": provenance["evaluation"],
        "metadata": provenance["metadata"],
    }


# ----------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------

_REQUIRED = ("format_version", "estimator_class", "payload")


def validate(data: Any, *, source: str = "the envelope") -> dict[str, Any]:
    """Check that ``data`` is an envelope this version can read."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise EnvelopeError(
            f"{source} is not a versioned-estimator envelope (no "
            f"'format': {FORMAT_NAME!r} entry)."
        )
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise EnvelopeError(f"{source} has no integer format_version: {version!r}.")
    if version > FORMAT_VERSION:
        raise EnvelopeError(
            f"{source} uses file format {version}, newer than format "
            f"{FORMAT_VERSION} that versioned-estimator {__version__} reads. It was "
            f"written by versioned-estimator {data.get('writer', '(unknown)')}: "
            "upgrade with `pip install -U versioned-estimator`."
        )
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise EnvelopeError(f"{source} lacks required fields: {', '.join(missing)}.")
    _check_payload_record(data["payload"], source)
    return data


def _check_payload_record(payload: Any, source: str) -> None:
    """The payload record must have the shape the writer gives it."""

    def part_ok(part: Any) -> bool:
        return (
            isinstance(part, dict)
            and isinstance(part.get("nbytes"), int)
            and isinstance(part.get("digest"), str)
        )

    ok = (
        isinstance(payload, dict)
        and isinstance(payload.get("digest"), str)
        and part_ok(payload.get("stream"))
        and isinstance(payload.get("buffers"), list)
        and all(part_ok(part) for part in payload["buffers"])
    )
    if not ok:
        raise EnvelopeError(
            f"{source} has a malformed payload record (digest, stream and buffers "
            "with their sizes): it is corrupt or crafted."
        )


class Envelope:
    """A read-only view of a saved model's envelope.

    Get one from a wrapped model (``model.envelope``), or from a file or bytes
    without loading the model (:func:`read_envelope`).

    Attributes
    ----------
    format_version : int
    created_at : str
        UTC time of fit or wrap, ISO 8601.
    estimator_class : str
        ``"module.qualname"`` of the wrapped estimator.
    params : dict
        The wrapped estimator's parameters, described as plain data.
    packages : dict
        Distribution name (normalized as pip does) -> version, for every
        distribution whose modules the model's pickle imports.
    python : str
    platform : dict
    git : dict
        ``commit`` and ``dirty`` of the training work tree (None outside git).
    globals : list of str
        Every global the inner stream imports, as ``"module.qualname"``.
    payload : dict
        ``protocol``, ``digest``, ``nbytes``, and per-part sizes and digests.
    schema : dict
        ``n_samples``, ``n_features_in``, ``feature_names_in``, ``dtypes``.
    evaluation : dict or None
        For a search: ``best_score``, ``best_params``, ``scoring``, ``n_splits``.
    metadata : dict
        The user's own provenance.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator
    >>> model = VersionedEstimator(LinearRegression(), metadata={"owner": "ana"})
    >>> envelope = model.fit([[0], [1]], [0, 1]).envelope
    >>> envelope.estimator_class
    'sklearn.linear_model._base.LinearRegression'
    >>> envelope.metadata
    {'owner': 'ana'}
    >>> "scikit-learn" in envelope.packages
    True
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", validate(copy.deepcopy(dict(data))))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Envelope is read-only")

    def _get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._data.get(key, default))

    format_version = property(lambda self: self._data["format_version"])
    writer = property(lambda self: self._get("writer"))
    created_at = property(lambda self: self._get("created_at"))
    estimator_class = property(lambda self: self._data["estimator_class"])
    params = property(lambda self: self._get("params", {}))
    methods = property(lambda self: self._get("methods", []))
    packages = property(lambda self: self._get("packages", {}))
    modules = property(lambda self: self._get("modules", {}))
    python = property(lambda self: self._get("python"))
    platform = property(lambda self: self._get("platform", {}))
    git = property(lambda self: self._get("git", {"commit": None, "dirty": None}))
    globals = property(lambda self: self._get("globals", []))
    payload = property(lambda self: self._get("payload", {}))
    schema = property(lambda self: self._get("schema", {}))
    probe = property(lambda self: self._get("probe"))
    evaluation = property(lambda self: self._get("evaluation"))
    metadata = property(lambda self: self._get("metadata", {}))
    signature = property(lambda self: self._get("signature"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable copy of every field."""
        return copy.deepcopy(self._data)

    def to_json(self, **kwargs: Any) -> str:
        """The envelope as JSON text."""
        return json.dumps(self._data, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Envelope) and self._data == other._data

    def __hash__(self) -> int:
        return hash(json.dumps(self._data, sort_keys=True))

    def __repr__(self) -> str:
        commit = (self._data.get("git") or {}).get("commit")
        return (
            f"Envelope({self.estimator_class}, created {self._data.get('created_at')},"
            f" commit {commit[:10] if commit else None},"
            f" {len(self._data.get('packages', {}))} packages,"
            f" {self._data['payload'].get('nbytes', 0)} payload bytes)"
        )
