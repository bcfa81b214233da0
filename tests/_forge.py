"""Build model files with chosen parts, as an attacker or an older writer would.

A wrapped model pickles as ``_rebuild(envelope, stream, buffers, trailer)``
(format 2). :func:`forge` returns an object that pickles as such a call with
the parts you choose, and a trailer whose checksums and payload digest are
recomputed for them: checksums are no secret, so anyone can do this. Only a
signature (with a key the attacker lacks) tells a forged file apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from versioned_estimator._payload import outputs_checksum, start_checksums


def parts(model: Any) -> dict[str, Any]:
    """The parts a fitted or loaded wrapper pickles as, the trailer computed."""
    rebuild, args = model.__reduce_ex__(5)
    envelope, stream, buffers = args[:3]
    trailer = args[3] if len(args) == 4 else None
    if trailer is not None and hasattr(trailer, "result"):
        trailer = trailer.result()
    elif trailer is not None and hasattr(trailer, "data"):
        trailer = trailer.data
    return {
        "rebuild": rebuild,
        "envelope": copy.deepcopy(envelope),
        "stream": stream,
        "buffers": list(buffers),
        "trailer": copy.deepcopy(trailer),
    }


class Reduced:
    """Pickles as the reduce tuple it was given."""

    def __init__(self, reduced: tuple[Any, Any]) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, Any]:
        return self.reduced


class _Trailer:
    def __init__(self, rebuild: Any, data: dict[str, Any]) -> None:
        self.rebuild, self.data = rebuild, data

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (self.rebuild, (self.data,))


def forge(
    model: Any,
    *,
    envelope: Callable[[dict[str, Any]], Any] | dict[str, Any] | None = None,
    stream: bytes | None = None,
    buffers: list[Any] | None = None,
    trailer: Callable[[dict[str, Any]], Any] | None = None,
    recompute: bool = True,
) -> Reduced:
    """A file of ``model`` with the parts replaced or edited.

    ``envelope`` is a dict of fields to set, or a function that edits the
    envelope in place; ``trailer`` a function that edits the trailer in place
    (after its checksums were recomputed, unless ``recompute`` is False; the
    probe outputs' checksum is recomputed after the edit).
    """
    found = parts(model)
    head = found["envelope"]
    if callable(envelope):
        envelope(head)
    elif envelope:
        head.update(envelope)
    new_stream = found["stream"] if stream is None else stream
    new_buffers = found["buffers"] if buffers is None else buffers
    tail = found["trailer"]
    if head.get("format_version", 2) >= 2 and isinstance(head.get("payload"), dict):
        payload = head["payload"]
        if recompute and isinstance(payload.get("stream"), dict):
            payload["stream"] = {"nbytes": len(new_stream)}
            payload["buffers"] = [{"nbytes": memoryview(b).nbytes} for b in new_buffers]
            payload["nbytes"] = len(new_stream) + sum(
                memoryview(b).nbytes for b in new_buffers
            )
        if recompute and tail is not None:
            algorithm = payload.get("checksum", "crc32")
            tail["checksums"] = start_checksums(
                algorithm, new_stream, new_buffers
            ).result()
    if trailer is not None and tail is not None:
        trailer(tail)
        probe = tail.get("probe") if isinstance(tail, dict) else None
        if recompute and isinstance(probe, dict) and "checksum" in probe:
            # A writer that recorded these outputs would checksum them.
            probe["checksum"] = outputs_checksum(probe.get("outputs") or {})
    args: tuple[Any, ...] = (head, new_stream, new_buffers)
    if tail is not None:
        args += (_Trailer(found["rebuild"], tail),)
    return Reduced((found["rebuild"], args))
