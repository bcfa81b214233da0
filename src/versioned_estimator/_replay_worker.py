"""Load a model in this environment and report how it behaves, as JSON.

``upgrade-check`` runs this module in the environment it builds (and, with
``--data``, in the running one) as ``python -m
versioned_estimator._replay_worker SPEC``, where ``SPEC`` is a JSON file::

    {"file": "/abs/model.joblib", "trusted": [...], "aliases": {...},
     "key_env": "VAR" | null,
     "data": {"npy": "/abs/X.npy"} | {"encoded": "/abs/X.json"} | null,
     "out": "/abs/result.json"}

It loads the model through the safe :func:`versioned_estimator.load` (the
allow-list, ``trusted`` and ``aliases`` as given; the signature checked with
the key of environment variable ``key_env``, else of
``VERSIONED_ESTIMATOR_KEY`` when set), replays the probe
(:meth:`VersionedEstimator.verify`), runs each probe method on the data, and
writes::

    {"writer": "0.1.0", "python": "3.11.7", "versions": {...},
     "load": {"ok": true} | {"ok": false, "type": ..., "message": ...},
     "probe": {...VerificationReport.to_dict()...} | null,
     "outputs": {method: {"ok": true, "array": {...}} | {"ok": false,
                 "error": "..."}} | null,
     "data_error": "..." (only when the data could not be read),
     "warnings": [{"category": ..., "message": ...}]}

to ``out``. The result goes to a file, not to stdout, so that whatever the
model's code prints cannot corrupt it. Both sides of the exchange are the same
release of versioned-estimator (``upgrade-check`` installs the running one).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["main", "run"]


def _versions() -> dict[str, str]:
    import importlib.metadata as metadata
    import re

    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[re.sub(r"[-_.]+", "-", name).lower()] = dist.version
    return dict(sorted(found.items()))


def _read_data(spec: Mapping[str, Any] | None) -> Any:
    if not spec:
        return None
    import numpy as np

    if "npy" in spec:
        return np.load(spec["npy"], allow_pickle=False)
    from versioned_estimator._rows import decode_input

    with open(spec["encoded"], encoding="utf-8") as handle:
        return decode_input(json.load(handle))


def _outputs(model: Any, X: Any) -> dict[str, Any]:
    from versioned_estimator._format import encode_array
    from versioned_estimator._probe import PROBE_METHODS, _as_array

    found: dict[str, Any] = {}
    for method in PROBE_METHODS:
        if not hasattr(model, method):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = getattr(model, method)(X)
            found[method] = {"ok": True, "array": encode_array(_as_array(output))}
        except Exception as exc:
            found[method] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return found


def run(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Load, replay and run the model as ``spec`` says; return the findings."""
    from versioned_estimator._io import load
    from versioned_estimator._provenance import python_version
    from versioned_estimator._version import __version__

    result: dict[str, Any] = {
        "writer": __version__,
        "python": python_version(),
        "versions": _versions(),
        "load": {"ok": False},
        "probe": None,
        "outputs": None,
        "warnings": [],
    }
    key_env = spec.get("key_env")
    key = os.environ.get(key_env) or None if key_env else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if key_env and key is None:
                raise KeyError(f"{key_env} is not set in the environment")
            model = load(
                spec["file"],
                key=key,
                trusted=list(spec.get("trusted") or []),
                module_aliases=dict(spec.get("aliases") or {}) or None,
                on_mismatch="ignore",
                on_drift="ignore",
                replay="always",
            )
        except Exception as exc:
            result["load"] = {
                "ok": False,
                "type": type(exc).__name__,
                "message": " ".join(str(exc).split()),
                "names": list(getattr(exc, "names", None) or []),
            }
        else:
            result["load"] = {"ok": True}
            result["probe"] = model.verify().to_dict()
            try:
                data = _read_data(spec.get("data"))
            except Exception as exc:
                result["data_error"] = f"{type(exc).__name__}: {exc}"
            else:
                if data is not None:
                    result["outputs"] = _outputs(model, data)
    seen = set()
    for warning in caught:
        entry = (warning.category.__name__, " ".join(str(warning.message).split()))
        if entry not in seen:
            seen.add(entry)
            result["warnings"].append({"category": entry[0], "message": entry[1]})
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the spec file named by the only argument; 0 once the result is written."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m versioned_estimator._replay_worker SPEC", file=sys.stderr
        )
        return 2
    with open(args[0], encoding="utf-8") as handle:
        spec = json.load(handle)
    result = run(spec)
    with open(spec["out"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a subprocess
    raise SystemExit(main())
