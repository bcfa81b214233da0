"""Signatures: HMAC-SHA256 over the canonical envelope.

The envelope holds the payload digest, so signing the envelope signs the whole
model. The key comes from the caller (``key=``) or the
``VERSIONED_ESTIMATOR_KEY`` environment variable, never from the file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from versioned_estimator._errors import IntegrityError
from versioned_estimator._format import canonical_json, plain_data_problem

__all__ = ["resolve_key", "sign", "signature_for", "verify_signature"]

ALGORITHM = "hmac-sha256"
KEY_VARIABLE = "VERSIONED_ESTIMATOR_KEY"


def resolve_key(key: str | bytes | None) -> bytes | None:
    """The key to use: the argument, else the environment variable, else None."""
    if key is None:
        key = os.environ.get(KEY_VARIABLE) or None
    if key is None:
        return None
    if isinstance(key, str):
        # The bytes the environment holds: Python decodes a variable that is
        # not UTF-8 with surrogate escapes, which give its bytes back (a
        # binary key failed with UnicodeEncodeError, round 124).
        try:
            key = key.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise TypeError(
                "key must be a non-empty str or bytes; this str holds "
                "surrogates that no encoding gives bytes for."
            ) from exc
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise TypeError("key must be a non-empty str or bytes.")
    return bytes(key)


# Bounds for the plain-data walk: far above any real envelope, far below what
# would make canonical JSON recurse too deeply or expand a shared-reference bomb.
_MAX_DEPTH = 100
_MAX_NODES = 10_000_000


def _check_plain(value: Any) -> None:
    """Raise ``TypeError`` unless ``value`` is JSON-shaped plain data.

    The signed bytes are canonical JSON, which writes the keys ``1`` and
    ``"1"`` alike and cannot write an array or a cycle: only ``str`` keys and
    plain values are signed, so that two different envelopes cannot share one
    signature and a crafted one fails as an :class:`IntegrityError`.
    """
    problem = plain_data_problem(value, max_depth=_MAX_DEPTH, max_nodes=_MAX_NODES)
    if problem is not None:
        raise TypeError(f"the envelope holds {problem}: it cannot be signed")


def _mac(envelope: Mapping[str, Any], key: bytes, trailer: Any = None) -> str:
    # Format 1 carries the signature in the envelope; format 2 in the trailer,
    # over every key of the head.
    unsigned = (
        dict(envelope)
        if trailer is not None
        else {k: v for k, v in envelope.items() if k != "signature"}
    )
    _check_plain(unsigned)
    message = canonical_json(unsigned)
    if trailer is not None:
        # Format 2: the trailer holds the checksums and the probe's outputs.
        rest = {k: v for k, v in trailer.items() if k != "signature"}
        _check_plain(rest)
        message += b"\n" + canonical_json(rest)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(envelope: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """Return a copy of a format 1 ``envelope`` with its signature.

    Examples
    --------
    >>> signed = sign({"format_version": 1, "payload": {"digest": "ab"}}, b"k")
    >>> signed["signature"]["algorithm"]
    'hmac-sha256'
    >>> verify_signature(signed, b"k")
    """
    signed = {k: v for k, v in envelope.items() if k != "signature"}
    signed["signature"] = {"algorithm": ALGORITHM, "value": _mac(envelope, key)}
    return signed


def signature_for(
    envelope: Mapping[str, Any], trailer: Mapping[str, Any], key: bytes
) -> dict[str, str]:
    """The signature a format 2 trailer carries: over the head and the trailer."""
    return {"algorithm": ALGORITHM, "value": _mac(envelope, key, trailer)}


def verify_signature(
    envelope: Mapping[str, Any], key: bytes, trailer: Mapping[str, Any] | None = None
) -> None:
    """Check the signature with ``key``; raise :class:`IntegrityError`.

    Format 1 files carry it in the envelope; format 2 files in the trailer,
    over the envelope and the trailer.
    """
    version = envelope.get("format_version")
    holder: Mapping[str, Any] = envelope if version == 1 else (trailer or {})
    signature = holder.get("signature")
    if not isinstance(signature, Mapping) or "value" not in signature:
        raise IntegrityError(
            "A key was given but the model file is not signed: it was saved without "
            "a key, or its signature was stripped. Refusing to load it as trusted."
        )
    if set(signature) != {"algorithm", "value"}:
        raise IntegrityError(
            "The signature carries fields besides its algorithm and value, which "
            "no key covers: the file was altered after it was signed."
        )
    if signature.get("algorithm") != ALGORITHM:
        raise IntegrityError(
            "The model is signed with an algorithm other than "
            f"{ALGORITHM}: it cannot be checked here."
        )
    try:
        expected = _mac(envelope, key, None if version == 1 else trailer)
    except (TypeError, ValueError, RecursionError, MemoryError) as exc:
        raise IntegrityError(
            f"The signed envelope cannot be checked ({type(exc).__name__}: {exc}): "
            "it was altered after "
            "the model was signed."
        ) from exc
    value = signature["value"]
    if not isinstance(value, str) or not hmac.compare_digest(
        value.encode("utf-8", "surrogatepass"), expected.encode("ascii")
    ):
        raise IntegrityError(
            "The signature does not match: the key is wrong, or the envelope or "
            "its checksums changed after the model was signed."
        )
