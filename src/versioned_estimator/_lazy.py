"""A sealed payload and the checked path from it to a live estimator.

``pickle.load`` of a wrapped model returns it *sealed*: the envelope is there,
the inner stream and its buffers are held, nothing of the model is unpickled.
:meth:`Sealed.open` runs the checks in a fixed order, each before the next
touches more of the file:

1. verify the payload (digest; signature when a key is given),
2. compare the environment with the envelope (``on_mismatch``),
3. unpickle the inner stream (``module_aliases``; the allow-list gate in
   safe mode),
4. replay the probe (``on_drift``).
"""

from __future__ import annotations

import mmap
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from versioned_estimator._environment import compare
from versioned_estimator._errors import (
    BehaviorDriftError,
    BehaviorDriftWarning,
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    InnerLoadError,
    UntrustedGlobalError,
    VersionedEstimatorError,
)
from versioned_estimator._payload import (
    apply_alias,
    load_inner,
    numpy_core_module,
    verify_payload,
)
from versioned_estimator._probe import VerificationReport, replay
from versioned_estimator._signing import verify_signature
from versioned_estimator._trust import TrustGate, audit_stream, is_allowed, runs_code

__all__ = ["Policy", "Sealed", "is_mapped"]


class Policy:
    """How a sealed payload is opened: the arguments of ``load`` or the config."""

    __slots__ = ("gate", "key", "module_aliases", "on_drift", "on_mismatch", "verify")

    def __init__(
        self,
        *,
        on_mismatch: str = "warn",
        on_drift: str = "warn",
        verify: str = "auto",
        module_aliases: Mapping[str, str] | None = None,
        gate: Callable[[str, str], Any] | None = None,
        key: bytes | None = None,
    ) -> None:
        self.on_mismatch = on_mismatch
        self.on_drift = on_drift
        self.verify = verify
        self.module_aliases = dict(module_aliases or {})
        self.gate = gate
        self.key = key

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        trusted = config.get("trusted")
        return cls(
            on_mismatch=config["on_mismatch"],
            on_drift=config["on_drift"],
            verify=config["verify"],
            module_aliases=config["module_aliases"],
            # A configured trust list, even empty, turns the allow-list on for
            # pickle.load / joblib.load as well.
            gate=None if trusted is None else TrustGate(trusted),
        )


def is_mapped(buffer: Any) -> bool:
    """Whether an array's memory comes from a memory-mapped file."""
    seen = 0
    while buffer is not None and seen < 32:
        if isinstance(buffer, (np.memmap, mmap.mmap)):
            return True
        base = getattr(buffer, "base", None)
        buffer = base if base is not None else getattr(buffer, "obj", None)
        seen += 1
    return False


def _distribution_hint(envelope: Mapping[str, Any], module: str) -> str:
    top = module.partition(".")[0]
    dist = (envelope.get("modules") or {}).get(top)
    version = (envelope.get("packages") or {}).get(dist) if dist else None
    if dist and version:
        return f"It came from {dist}=={version}: `pip install {dist}=={version}`."
    return (
        f"'{top}' is not an installed distribution in the saved environment: it is "
        "your own code, which must be importable where the model is loaded."
    )


def _saved_versions(envelope: Mapping[str, Any]) -> str:
    packages = envelope.get("packages") or {}
    pins = ", ".join(f"{name}=={version}" for name, version in packages.items())
    return f"python {envelope.get('python', '?')}" + (f", {pins}" if pins else "")


def inner_load_error(
    envelope: Mapping[str, Any],
    exc: BaseException,
    aliases: Mapping[str, str] | None = None,
) -> InnerLoadError:
    """Explain why the inner stream failed to unpickle and what to do."""
    cls = envelope.get("estimator_class", "the estimator")
    saved = _saved_versions(envelope)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        module = exc.name
        for old, new in (aliases or {}).items():
            if (
                module == new
                or module.startswith(new + ".")
                or new.startswith(module + ".")
            ):
                return InnerLoadError(
                    f"Cannot load the wrapped {cls}: module_aliases maps '{old}' to "
                    f"'{new}', and '{module}' is not importable here ({exc}). Check "
                    f"the new module path and that it is on sys.path. The model was "
                    f"saved with {saved}.",
                    module=module,
                )
        return InnerLoadError(
            f"Cannot load the wrapped {cls}: its pickle imports module '{module}', "
            f"which is not importable here ({exc}). "
            f"{_distribution_hint(envelope, module)} "
            f"If the module was renamed or moved, map it: "
            f"versioned_estimator.load(path, module_aliases={{'{module}': "
            f"'<new.module>'}}), or config_context(module_aliases=...) around "
            f"joblib.load / pickle.load. The model was saved with {saved}.",
            module=module,
        )
    if isinstance(exc, (AttributeError, ImportError)):
        return InnerLoadError(
            f"Cannot load the wrapped {cls}: a class or function its pickle names is "
            f"missing ({exc}). The model was saved with {saved}; install those "
            "versions (see `versioned-estimator requirements FILE`), or map a moved "
            "module with module_aliases.",
            module=getattr(exc, "name", None),
        )
    return InnerLoadError(
        f"Cannot load the wrapped {cls}: unpickling failed with "
        f"{type(exc).__name__}: {exc}. The model was saved with {saved}; the "
        "libraries installed here may be incompatible: install the saved versions "
        "(see `versioned-estimator requirements FILE`).",
    )


class Sealed:
    """The envelope, inner stream and buffers of a model not yet unpickled."""

    __slots__ = ("buffers", "envelope", "policy", "report", "stream", "views_buffers")

    def __init__(
        self,
        envelope: dict[str, Any],
        stream: bytes,
        buffers: Sequence[Any],
        policy: Policy,
    ) -> None:
        self.envelope = envelope
        self.stream = stream
        self.buffers = list(buffers)
        self.policy = policy
        self.report: VerificationReport | None = None
        self.views_buffers = False

    def verify(self) -> None:
        """Step 1: the signature when a key is given, then the payload digest
        (every byte unless fast)."""
        if self.policy.key is not None:
            verify_signature(self.envelope, self.policy.key)
        mode = self.policy.verify
        if mode == "auto":
            mode = "fast" if any(is_mapped(b) for b in self.buffers) else "full"
        verify_payload(
            self.envelope.get("payload", {}),
            self.stream,
            self.buffers,
            full=mode == "full",
        )

    def check_environment(self) -> None:
        """Step 2: the saved environment against this one."""
        if self.policy.on_mismatch == "ignore":
            return
        report = compare(self.envelope)
        if report.ok:
            return
        fix = report.fix()
        message = (
            f"This {self.envelope.get('estimator_class')} was saved in another "
            f"environment: {report.summary()}."
            + (f" To recreate it: `{fix}`." if fix else "")
            + " Policy: on_mismatch="
            + self.policy.on_mismatch
            + " (set with versioned_estimator.load(on_mismatch=...), config_context "
            "or VERSIONED_ESTIMATOR_ON_MISMATCH)."
        )
        if self.policy.on_mismatch == "error":
            raise EnvironmentMismatchError(message, report=report)
        warnings.warn(EnvironmentMismatchWarning(message, report=report), stacklevel=5)

    def unpickle(self) -> Any:
        """Step 3: the inner stream, with aliases and, in safe mode, the
        allow-list: first a dry run that builds nothing (every name, and no
        state set on a class), then the real load, gated again name by name."""
        gate = self.policy.gate
        if isinstance(gate, TrustGate):
            self.screen(gate)
        try:
            estimator, self.views_buffers = load_inner(
                self.stream,
                self.buffers,
                aliases=self.policy.module_aliases,
                gate=gate,
            )
        except VersionedEstimatorError:
            raise
        except Exception as exc:
            if isinstance(gate, TrustGate) and gate.untrusted:
                raise self.untrusted(gate.untrusted, gate) from exc
            raise inner_load_error(
                self.envelope, exc, self.policy.module_aliases
            ) from exc
        if isinstance(gate, TrustGate) and gate.untrusted:
            raise self.untrusted(gate.untrusted, gate)
        return estimator

    def screen(self, gate: TrustGate) -> None:
        """The dry run of safe mode: refuse before anything is built."""
        found, error = audit_stream(self.stream)
        if self.untrusted_names(found, gate):
            raise self.untrusted([], gate, found)
        if error is not None and "BUILD on a class object" in error:
            raise UntrustedGlobalError(
                f"The model's pickle is crafted: {error}. Nothing was unpickled; "
                "do not use this file.",
                names=[],
            )

    def untrusted_names(self, found: list[str], gate: TrustGate) -> list[str]:
        """The names of ``found`` (after aliases) outside the allow-list."""
        names = []
        aliases = self.policy.module_aliases
        for full in found:
            module, _, name = full.rpartition(".")
            module = apply_alias(module, aliases) if aliases else module
            module = numpy_core_module(module)
            full = f"{module}.{name}"
            if (
                full not in names
                and full not in gate.trusted
                and not is_allowed(module, name)
            ):
                names.append(full)
        return names

    def untrusted(
        self, seen: list[str], gate: TrustGate, found: list[str] | None = None
    ) -> UntrustedGlobalError:
        """The error for a stream that names globals outside the allow-list."""
        if found is None:
            found, _ = audit_stream(self.stream)
        names = list(seen)
        names += [n for n in self.untrusted_names(found, gate) if n not in names]
        dangerous = [n for n in names if runs_code(*n.rsplit(".", 1))]
        warning = (
            f" {', '.join(dangerous)} can run arbitrary code: do not trust this file."
            if dangerous
            else ""
        )
        return UntrustedGlobalError(
            f"The model's pickle imports {len(names)} global(s) outside the "
            f"allow-list: {', '.join(names)}.{warning} None of them was imported "
            "or run. If you wrote this code and trust the file, pass them: "
            f"versioned_estimator.load(path, trusted={names!r}).",
            names=names,
        )

    def check_probe(self, estimator: Any) -> None:
        """Step 4: replay the probe."""
        if self.policy.on_drift == "ignore":
            return
        report = replay(estimator, self.envelope.get("probe"))
        self.report = report
        if report.ok:
            return
        message = (
            f"The loaded {self.envelope.get('estimator_class')} does not reproduce "
            "the outputs it gave when it was saved:\n"
            f"{report}\nIt loads but behaves differently: the code or libraries "
            f"changed since it was saved ({_saved_versions(self.envelope)}). "
            "Policy: on_drift=" + self.policy.on_drift + "."
        )
        if self.policy.on_drift == "error":
            raise BehaviorDriftError(message, report=report)
        warnings.warn(BehaviorDriftWarning(message, report=report), stacklevel=5)

    def open(self) -> Any:
        """Run the four steps; return the live inner estimator."""
        self.verify()
        self.check_environment()
        estimator = self.unpickle()
        self.check_probe(estimator)
        return estimator
