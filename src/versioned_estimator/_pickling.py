"""What a fitted wrapper pickles as: the model as it is now, every time.

``reduce_fitted`` builds ``(_rebuild, (envelope, stream, buffers, trailer))``
from the wrapper's current state. Nothing of a previous pickle is reused
except what provably still holds:

- the uint8 views of the buffers, keyed by the memory they view (they show
  its current content, and loky de-duplicates arrays by identity);
- the probe's outputs, keyed by the payload digest of the state they were
  recorded on: a model whose pickled bytes changed in any way (an array
  changed in place, an attribute rebound, ``partial_fit``, a parameter set)
  gets them recorded again, from the model as it is pickled.

The trailer's checksums start in threads as soon as the stream and buffers
exist, and are collected when the pickler reaches the trailer, after it wrote
the buffers: hashing overlaps writing, and no digest is computed before the
first byte is written.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import Any

from versioned_estimator._envelope import build_envelope
from versioned_estimator._errors import EnvelopeError
from versioned_estimator._format import MAX_ENVELOPE_BYTES
from versioned_estimator._packages import (
    packages_generation,
    requirements_for,
    versions_for,
)
from versioned_estimator._payload import (
    Checksums,
    Payload,
    dump_inner,
    outputs_checksum,
    start_checksums,
)
from versioned_estimator._probe import record_outputs
from versioned_estimator._provenance import platform_info, python_version
from versioned_estimator._rows import decode_input
from versioned_estimator._settings import UNBOUNDED, same_settings
from versioned_estimator._signing import signature_for

__all__ = ["Trailer", "environment_of", "reduce_fitted"]

# ----------------------------------------------------------------------------
# The environment the stream was written in
# ----------------------------------------------------------------------------


_environments: dict[tuple[Any, ...], dict[str, Any]] = {}


def environment_of(payload: Payload, *, dataframe: bool) -> dict[str, Any]:
    """Packages (of the stream's globals), their modules, every distribution
    needed to load and verify the model (transitively), python and platform.

    Facts of this process, looked up once per set of modules (installed
    versions do not change under a running interpreter; tests that install
    packages call ``_packages.forget()``, which drops this too).
    """
    key = (payload.modules, dataframe, payload.pickler, packages_generation())
    found = _environments.get(key)
    if found is None:
        packages, modules = versions_for(payload.modules)
        needed = set(packages) | {"versioned-estimator"}
        if dataframe:
            needed.add("pandas")
        if payload.pickler == "cloudpickle":
            needed.add("cloudpickle")
        found = {
            "packages": packages,
            "modules": modules,
            "requirements": requirements_for(sorted(needed)),
            "python": python_version(),
            "platform": dict(platform_info()),
        }
        if len(_environments) > 256:
            _environments.clear()
        _environments[key] = found
    return {
        "packages": dict(found["packages"]),
        "modules": dict(found["modules"]),
        "requirements": dict(found["requirements"]),
        "python": found["python"],
        "platform": dict(found["platform"]),
    }


# ----------------------------------------------------------------------------
# The trailer
# ----------------------------------------------------------------------------


class Trailer:
    """Pickles as ``_rebuild(trailer_dict)``, computed when it is pickled.

    Parameters
    ----------
    checksums : Checksums
        Started when the reduce tuple was built.
    finish : callable
        ``finish(record) -> dict``: the rest of the trailer (probe outputs,
        signature) from the checksum record.
    rebuild : callable
        ``versioned_estimator._rebuild``.
    """

    __slots__ = ("_checksums", "_finish", "_rebuild", "_result")

    def __init__(
        self,
        checksums: Checksums,
        finish: Callable[[dict[str, Any]], dict[str, Any]],
        rebuild: Callable[..., Any],
    ) -> None:
        self._checksums = checksums
        self._finish = finish
        self._rebuild = rebuild
        self._result: dict[str, Any] | None = None

    def result(self) -> dict[str, Any]:
        """The trailer dict (computed once)."""
        if self._result is None:
            self._result = self._finish(self._checksums.result())
        return self._result

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (self._rebuild, (self.result(),))

    def __reduce__(self) -> Any:
        return self.__reduce_ex__(2)


# ----------------------------------------------------------------------------
# The reduce tuple
# ----------------------------------------------------------------------------


def reduce_fitted(
    inner: Any,
    template: Any,
    provenance: Mapping[str, Any],
    derive: Callable[[], Mapping[str, Any]],
    cache: dict[str, Any],
    rebuild: Callable[..., Any],
    *,
    key: bytes | None = None,
) -> tuple[Any, tuple[Any, ...]]:
    """``(_rebuild, (envelope, stream, buffers, trailer))`` for a fitted wrapper.

    Parameters
    ----------
    inner : estimator
        The fitted estimator (``estimator_``).
    template : estimator
        The ``estimator`` parameter; pickled beside ``inner`` when its
        parameters differ from the fitted estimator's.
    provenance : dict
        What fit or wrap captured, with the current ``metadata`` and
        ``probe_size``.
    derive : callable
        The envelope fields derived from the estimator's state (class,
        parameters, methods, tags, evaluation).
    cache : dict
        The wrapper's: buffer views (``"views"``), the last probe outputs
        with the digest of the state they describe (``"outputs"``), and the
        last derived fields with the exact pickled bytes they describe
        (``"derived"``).
    key : bytes, optional
        Sign: SHA-256 checksums, and an HMAC over the envelope and trailer.

    Notes
    -----
    The derived fields are reused only when the model pickles to exactly the
    same bytes as last time, the template included, with no out-of-band
    buffer (whose contents the stream does not show): then nothing they
    describe can have changed. Small models, where deriving costs as much as
    pickling, are the ones that hit.
    """
    views = cache.setdefault("views", {})
    template_bytes = b"" if template is None else _quick_pickle(template)
    payload = dump_inner(inner, views=views)
    key_bytes = (template_bytes, payload.stream)
    known = cache.get("derived")
    if (
        known is not None
        and not payload.buffers
        and template_bytes is not None
        and known[0] == key_bytes
    ):
        fields, carry_template, payload = known[1], known[2], known[3]
    else:
        fields = dict(derive())
        # The user's own objects, compared without a bound: a parameter array
        # past the load's budget would otherwise be carried twice.
        carry_template = template is not None and not same_settings(
            template, inner, most=UNBOUNDED
        )
        if carry_template:
            payload = dump_inner((inner, template), views=views)
        if not payload.buffers and template_bytes is not None:
            cache["derived"] = (key_bytes, fields, carry_template, payload)
        else:
            cache.pop("derived", None)
    provenance = {**provenance, **fields}
    probe: Any = provenance.get("probe")
    dataframe = bool(probe) and probe["X"].get("kind") == "dataframe"
    algorithm = "sha256" if key is not None else "crc32"
    envelope = build_envelope(
        provenance,
        payload,
        environment_of(payload, dataframe=dataframe),
        checksum=algorithm,
        signed=key is not None,
        template=carry_template,
    )
    head = len(pickle.dumps(envelope, protocol=5))
    if head > MAX_ENVELOPE_BYTES - _HEAD_ROOM:
        # Every reader refuses a longer head (before anything of it is
        # kept): written, the file could not be read back.
        raise EnvelopeError(
            f"The envelope of this {type(inner).__name__} would take {head:,} "
            f"bytes, more than the {MAX_ENVELOPE_BYTES:,} a reader reads of a "
            "file's head: keep less metadata (a path or a digest of large "
            "records instead of the records). The model was not pickled (save "
            "leaves no file)."
        )
    checksums = start_checksums(algorithm, payload.stream, payload.buffers)

    def finish(record: dict[str, Any]) -> dict[str, Any]:
        trailer: dict[str, Any] = {"checksums": record, "probe": None}
        if probe:
            outputs, checksum = _outputs(inner, probe, record, cache)
            trailer["probe"] = {"outputs": outputs, "checksum": checksum}
        if key is not None:
            trailer["signature"] = signature_for(envelope, trailer, key)
        return trailer

    trailer = Trailer(checksums, finish, rebuild)
    return rebuild, (envelope, payload.stream, payload.buffers, trailer)


#: What a file's head holds beside the envelope's own pickle (the protocol,
#: a frame, the loader's name, memo opcodes).
_HEAD_ROOM = 4096


def _quick_pickle(obj: Any) -> bytes | None:
    """The template's bytes, to tell whether it changed; None when it does
    not pickle by itself (then nothing is reused)."""
    try:
        return pickle.dumps(obj, protocol=5)
    except Exception:
        return None


def _outputs(
    inner: Any,
    probe: Mapping[str, Any],
    record: Mapping[str, Any],
    cache: dict[str, Any],
) -> tuple[dict[str, Any], str]:
    """The probe's outputs for the state whose checksums are ``record``, and
    their checksum."""
    state = (record["algorithm"], record["digest"])
    known = cache.get("outputs")
    if known is None or known[0] != state:
        rows = cache.get("rows")
        if rows is None or rows[0] is not probe:
            rows = (probe, decode_input(probe["X"]))
            cache["rows"] = rows
        outputs = record_outputs(inner, rows[1])
        known = cache["outputs"] = (state, outputs, outputs_checksum(outputs))
    return dict(known[1]), known[2]
