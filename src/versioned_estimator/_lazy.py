"""A sealed payload and the checked path from it to a live estimator.

``pickle.load`` of a wrapped model returns it *sealed*: the envelope is there,
the inner stream and its buffers are held, nothing of the model is unpickled.
:meth:`Sealed.open` runs the checks in a fixed order, each before the next
touches more of the file:

1. verify the payload (checksums; the signature when a key is given),
2. compare the environment with the envelope (``on_mismatch``; under
   ``"error"`` this already ran when the file was read),
3. unpickle the inner stream (``module_aliases`` and known renames; in safe
   mode the scan, the dry run and the allow-list, then the walk of the graph),
4. replay the probe (``on_drift``), unless nothing that could change the
   model's behaviour changed (:func:`unchanged_environment`).
"""

from __future__ import annotations

import mmap
import re
import shlex
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np

from versioned_estimator._config import fresh_config
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
from versioned_estimator._packages import (
    distribution_of,
    installed_version,
    is_editable,
)
from versioned_estimator._payload import (
    verify_checksums,
    verify_format1,
    verify_outputs,
)
from versioned_estimator._probe import VerificationReport, replay
from versioned_estimator._provenance import platform_info, python_version
from versioned_estimator._rows import (
    MAX_INPUT_BYTES,
    decode_input,
    encoded_size,
    text_size,
)
from versioned_estimator._signing import verify_signature
from versioned_estimator._unpickle import load_inner

if TYPE_CHECKING:
    from versioned_estimator._allowlist import Allowed
    from versioned_estimator._environment import EnvironmentReport

__all__ = ["Policy", "Sealed", "environment_error", "is_mapped"]


class Policy:
    """How a sealed payload is opened: the arguments of ``load`` or the config."""

    __slots__ = (
        "allowed",
        "key",
        "module_aliases",
        "on_drift",
        "on_mismatch",
        "replay",
        "verify",
    )

    def __init__(
        self,
        *,
        on_mismatch: str = "warn",
        on_drift: str = "warn",
        verify: str = "auto",
        replay: str = "auto",
        module_aliases: Mapping[str, str] | None = None,
        allowed: Allowed | None = None,
        key: bytes | None = None,
    ) -> None:
        self.on_mismatch = on_mismatch
        self.on_drift = on_drift
        self.verify = verify
        self.replay = replay
        self.module_aliases = dict(module_aliases or {})
        self.allowed = allowed
        self.key = key

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        trusted = config.get("trusted")
        return cls(
            on_mismatch=config["on_mismatch"],
            on_drift=config["on_drift"],
            verify=config["verify"],
            replay=config.get("replay", "auto"),
            module_aliases=config["module_aliases"],
            # A configured trust list, even empty, turns the allow-list on for
            # pickle.load / joblib.load as well.
            allowed=None if trusted is None else _allowed(trusted),
        )

    def travels(self) -> bool:
        """Whether a process that set no config of its own (loky's and dask's
        workers inherit none) opens a model under this same policy: no
        allow-list, no key, no aliases, the environment's defaults. A sealed
        model pickled under any other is opened here first (its checks do
        not travel with its parts)."""
        fresh = fresh_config()
        return (
            self.allowed is None
            and self.key is None
            and not self.module_aliases
            and self.on_mismatch == fresh["on_mismatch"]
            and self.on_drift == fresh["on_drift"]
            and self.verify == fresh["verify"]
            and self.replay == fresh["replay"]
        )


def _allowed(trusted: Sequence[str]) -> Allowed:
    """The allow-list with ``trusted`` names: only safe mode imports it."""
    from versioned_estimator._allowlist import Allowed

    return Allowed(trusted)


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


# ----------------------------------------------------------------------------
# Messages
# ----------------------------------------------------------------------------


def _distribution_hint(envelope: Mapping[str, Any], module: str) -> str:
    top = module.partition(".")[0]
    dist = (envelope.get("modules") or {}).get(top)
    version = (envelope.get("packages") or {}).get(dist) if dist else None
    if dist and version:
        pin = shlex.quote(f"{dist}=={version}")
        return f"It came from {dist}=={version}: `pip install {pin}`."
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
    found = (
        _MISSING_ATTRIBUTE.search(str(exc)) if isinstance(exc, AttributeError) else None
    )
    if found is not None:
        # pickle's own message: the module imports, the class is not in it.
        name, module = found.group(1), found.group(2)
        original = _original_module(module, aliases)
        hint = _distribution_hint(envelope, module)
        return InnerLoadError(
            f"Cannot load the wrapped {cls}: module '{module}' imports here but has "
            f"no '{name}' ({exc}). If the class was renamed, map the old name to "
            f"the new one: versioned_estimator.load(path, module_aliases="
            f"{{'{original}.{name}': '{module}.<NewName>'}}), or on the command "
            f"line --module-alias {original}.{name}={module}.<NewName>. "
            + (hint if "pip install" in hint else "")
            + f" The model was saved with {saved}.",
            module=module,
        )
    if isinstance(exc, ImportError) or (
        # a name missing from a module, not a restore failing on its state
        # (an estimator's restore of a tuple: "'tuple' object has no
        # attribute 'pop'", round 187)
        isinstance(exc, AttributeError) and str(exc).startswith("module ")
    ):
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


_MISSING_ATTRIBUTE = re.compile(r"Can't get attribute '([^']+)' on <module '([^']+)'")


def _original_module(module: str, aliases: Mapping[str, str] | None) -> str:
    """The module name the file wrote, before ``aliases`` moved it here."""
    for old, new in (aliases or {}).items():
        if module == new or module.startswith(new + "."):
            return old + module[len(new) :]
    return module


def _key_of(envelope: Mapping[str, Any], *fields: str) -> Any:
    """The envelope's ``fields`` as one key of a per-process cache (a mapping
    as its sorted items, a list as a tuple), or None when one is of a shape
    no key holds: judged then, not cached."""
    try:
        key = tuple(
            tuple(sorted(value.items()))
            if isinstance(value, Mapping)
            else tuple(value)
            if isinstance(value, list)
            else value
            for value in map(envelope.get, fields)
        )
        hash(key)
    except TypeError:
        return None
    return key


#: Saved environments (packages and python) found to match this process's,
#: as the saved versions compare with the installed ones (which a process
#: reads once, :func:`_packages.installed_version`): a model loaded again
#: and again, or sent to a worker many times, is compared once.
_matching: set[Any] = set()


def environment_error(
    envelope: Mapping[str, Any], policy: str
) -> tuple[str, EnvironmentReport] | None:
    """The mismatch message for this environment, or None when it matches."""
    from versioned_estimator._environment import compare

    key = _key_of(envelope, "packages", "python")
    if key is not None and key in _matching:
        return None
    report = compare(dict(envelope))
    if report.ok:
        if key is not None:
            _matching.add(key)  # (a set's add is atomic)
        return None
    fix = report.fix()
    message = (
        f"This {envelope.get('estimator_class')} was saved in another "
        f"environment: {report.summary()}."
        + (f" To recreate it: `{fix}`." if fix else "")
        + f" Policy: on_mismatch={policy} (set with versioned_estimator.load"
        "(on_mismatch=...), config_context or VERSIONED_ESTIMATOR_ON_MISMATCH)."
    )
    return message, report


# ----------------------------------------------------------------------------
# Replaying only when something could have changed
# ----------------------------------------------------------------------------

#: Untrusted names an error lists before "and N more".
_NAMES_LISTED = 50

_unchanged_lock = threading.Lock()
_unchanged: dict[str, str | None] = {}


def unchanged_environment(envelope: Mapping[str, Any], remapped: bool) -> str | None:
    """Why nothing that can change the model's behaviour changed, or None.

    The replay may be skipped only when (a) every global the model's pickle
    names comes from the standard library or an installed distribution (no
    code of the user's own, whose source can change without any version
    change), stored by reference (no code by value), with nothing remapped;
    (b) every distribution it needs, transitively, is installed here at the
    saved version and not as an editable install (whose code can change under
    the same version); (c) the same Python version and platform.
    """
    if remapped or (envelope.get("payload") or {}).get("pickler", "pickle") != "pickle":
        return None
    key = _key_of(
        envelope, "requirements", "packages", "globals", "modules", "python", "platform"
    )
    if key is None:
        return _unchanged_reason(envelope)
    with _unchanged_lock:
        if key in _unchanged:
            return _unchanged[key]
    reason = _unchanged_reason(envelope)
    with _unchanged_lock:
        _unchanged[key] = reason
    return reason


def _unchanged_reason(envelope: Mapping[str, Any]) -> str | None:
    if envelope.get("python") != python_version():
        return None
    platform = envelope.get("platform") or {}
    here = platform_info()
    if any(platform.get(k) != here[k] for k in ("system", "machine", "implementation")):
        return None
    modules = envelope.get("modules") or {}
    for name in envelope.get("globals") or []:
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top == "builtins":
            continue
        dist = modules.get(top)
        if dist is None or distribution_of(top) != dist:
            return None
    pins = envelope.get("requirements") or envelope.get("packages") or {}
    if not pins:
        return None
    for dist, version in pins.items():
        if dist == "versioned-estimator":
            continue  # it reads the file; the model's outputs are its libraries'
        if installed_version(dist) != version or is_editable(dist):
            return None
    return (
        f"{len(pins)} distributions at their saved versions, python "
        f"{python_version()}, no code of your own"
    )


# ----------------------------------------------------------------------------
# The sealed payload
# ----------------------------------------------------------------------------


class Sealed:
    """The envelope, inner stream, buffers and trailer of a model not yet
    unpickled."""

    __slots__ = (
        "buffer_values",
        "buffers",
        "envelope",
        "most_ops",
        "names",
        "policy",
        "report",
        "rows",
        "stream",
        "template",
        "trailer",
        "verified",
    )

    def __init__(
        self,
        envelope: dict[str, Any],
        stream: bytes,
        buffers: Sequence[Any],
        trailer: dict[str, Any] | None,
        policy: Policy,
    ) -> None:
        self.envelope = envelope
        self.stream = stream
        self.rows: Any = None
        self.buffers = list(buffers)
        self.trailer = trailer
        self.policy = policy
        self.report: VerificationReport | None = None
        self.verified = False
        self.buffer_values: list[list[str]] | None = None
        self.names: list[str] = []
        self.template: Any = None
        self.most_ops: int | None = None  # of a compressed file (Parts.most_ops)

    @property
    def format_version(self) -> int:
        return int(self.envelope["format_version"])

    @property
    def outputs(self) -> Mapping[str, Any] | None:
        """The probe's saved outputs (in the head for format 1, trailer for 2)."""
        if self.format_version >= 2:
            return ((self.trailer or {}).get("probe") or {}).get("outputs")
        return (self.envelope.get("probe") or {}).get("outputs")

    # -- 1. integrity ---------------------------------------------------------

    def verify(self) -> None:
        """The signature when a key is given, then the payload checksums
        (every byte unless fast)."""
        if self.verified:
            return
        for i, buffer in enumerate(self.buffers):
            if not (
                isinstance(buffer, np.ndarray)
                and buffer.dtype == np.uint8
                and buffer.ndim == 1
                and buffer.flags.c_contiguous
            ):
                raise IntegrityError(
                    f"Payload buffer {i} is not a contiguous uint8 array: the file "
                    "was altered after it was written."
                )
        if self.policy.key is not None:
            verify_signature(self.envelope, self.policy.key, self.trailer)
        mode = self.policy.verify
        if mode == "auto":
            mode = "fast" if any(is_mapped(b) for b in self.buffers) else "full"
        if self.policy.key is not None:
            # A signature over checksums nobody computes signs nothing: with a
            # key, every byte is checked, memory-mapped or not.
            mode = "full"
        full = mode == "full"
        if self.format_version >= 2:
            if self.trailer is None:
                raise IntegrityError(
                    "The file has no trailer (its checksums): it was truncated."
                )
            trailer = self.trailer  # (of its head's shape: checked by seal)
            verify_checksums(
                trailer["checksums"],
                self.stream,
                self.buffers,
                full=full,
                buffer_values=self.buffer_values,
            )
            verify_outputs(trailer.get("probe"))
        else:
            verify_format1(
                self.envelope["payload"], self.stream, self.buffers, full=full
            )
        self.verified = True

    # -- 2. environment -------------------------------------------------------

    def check_environment(self, *, stacklevel: int = 5) -> None:
        """The saved environment against this one."""
        if self.policy.on_mismatch == "ignore":
            return
        found = environment_error(self.envelope, self.policy.on_mismatch)
        if found is None:
            return
        message, report = found
        if self.policy.on_mismatch == "error":
            raise EnvironmentMismatchError(message, report=report)
        warnings.warn(
            EnvironmentMismatchWarning(message, report=report), stacklevel=stacklevel
        )

    # -- 3. unpickling --------------------------------------------------------

    def screen(self, allowed: Allowed) -> None:
        """The scan and the dry run of safe mode: refuse before anything is
        built, listing every untrusted name."""
        from versioned_estimator._inner import DryRun, Refusal, scan_stream

        try:
            scan_stream(self.stream, len(self.buffers), self.most_ops)
        except Refusal as exc:
            raise UntrustedGlobalError(
                f"The model's pickle holds {exc}, which no model's pickle does: it "
                "is crafted or corrupt. Nothing was unpickled.",
                names=exc.names,
            ) from exc
        dry = DryRun(allowed, self.policy.module_aliases, self.buffers, self.most_ops)
        dry.run(self.stream)
        self.names = list(dry.names)
        if dry.untrusted:
            raise self.untrusted(dry.untrusted)
        if dry.violations:
            raise UntrustedGlobalError(
                f"The model's pickle {dry.violations[0]}: it is crafted, or uses "
                "a class in a way no model's pickle does. Nothing was unpickled; "
                "do not use this file.",
                names=[],
            )

    def untrusted(self, names: list[str]) -> UntrustedGlobalError:
        """The error for a stream that names globals outside the allow-list."""
        from versioned_estimator._allowlist import runs_code

        dangerous = [n for n in names if runs_code(*n.rsplit(".", 1))]
        warning = (
            f" {', '.join(dangerous)} can run arbitrary code: do not trust this file."
            if dangerous
            else ""
        )
        by_value = (self.envelope.get("payload") or {}).get("pickler") == "cloudpickle"
        code = (
            " The model holds code stored by value (a lambda, a closure, or a class "
            "defined in a script or notebook), pickled by cloudpickle: loading it "
            "runs that code."
            if by_value
            else ""
        )
        listed = ", ".join(names[:_NAMES_LISTED]) + (
            f" and {len(names) - _NAMES_LISTED:,} more"
            if len(names) > _NAMES_LISTED
            else ""
        )
        return UntrustedGlobalError(
            f"The model's pickle imports {len(names)} global(s) outside the "
            f"allow-list: {listed}.{warning}{code} None of them was "
            "imported or run. If you wrote this code and trust the file, pass them: "
            f"versioned_estimator.load(path, trusted={names[:_NAMES_LISTED]!r}"
            f"{' + ...' if len(names) > _NAMES_LISTED else ''}).",
            names=names,
        )

    def screen_within_memory(self, allowed: Allowed) -> None:
        """:meth:`screen`, a process out of memory reported as a refusal of
        the file (never a bare ``MemoryError`` from the safe path)."""
        try:
            self.screen(allowed)
        except MemoryError as exc:
            raise UntrustedGlobalError(
                "The model's pickle asks more memory than this process has "
                "before anything of it is built: it is crafted or corrupt. "
                "Nothing was unpickled."
            ) from exc

    def unpickle(self) -> tuple[Any, dict[str, str]]:
        """The inner stream, with aliases and known renames and, in safe mode,
        the allow-list: scan and dry run first, the walk after."""
        allowed = self.policy.allowed
        if allowed is not None:
            self.screen_within_memory(allowed)
        try:
            estimator, remapped, objects, made = load_inner(
                self.stream,
                self.buffers,
                aliases=self.policy.module_aliases,
                allowed=allowed,
            )
        except VersionedEstimatorError:
            raise
        except Exception as exc:
            raise inner_load_error(
                self.envelope, exc, self.policy.module_aliases
            ) from exc
        if (self.envelope.get("payload") or {}).get("template"):
            # The stream holds the fitted estimator and its parameter template.
            if not (isinstance(estimator, tuple) and len(estimator) == 2):
                raise EnvelopeError(
                    "The model's pickle does not hold the estimator and the "
                    "parameters its envelope announces: it is corrupt or crafted."
                )
            estimator, self.template = estimator
        if not hasattr(type(estimator), "fit"):
            # A stream of None (or any value) loaded as a wrapper of nothing
            # (round 102). Asked of the class: no instance hook runs.
            raise EnvelopeError(
                f"The model's pickle holds {type(estimator).__name__!r} where "
                "an estimator belongs: it is corrupt or crafted."
            )
        if allowed is not None:
            # The checks of the loaded graph: only a safe load imports them.
            from versioned_estimator._class_checks import REPLAY_ROWS, REPLAY_TEXT
            from versioned_estimator._inner import most_references
            from versioned_estimator._shapes import TRAINING_ROWS, training_rows
            from versioned_estimator._walk import walk_loaded

            # Outputs sized by parameters alone are held to what the probe's
            # replay may make them hold over all its rows.
            probe = self.envelope.get("probe")
            self.rows = self.safe_rows(probe) if probe else None
            shape = getattr(self.rows, "shape", None)
            count = shape[0] if shape else len(self.rows or ())
            token = REPLAY_ROWS.set(count)
            text = REPLAY_TEXT.set(text_size(self.rows))
            schema = self.envelope.get("schema") or {}
            rows = TRAINING_ROWS.set(training_rows(estimator, schema.get("n_samples")))
            try:
                problem = walk_loaded(
                    (estimator, self.template),
                    allowed,
                    objects,
                    made,
                    most_references(len(self.stream), self.most_ops),
                )
            finally:
                TRAINING_ROWS.reset(rows)
                REPLAY_TEXT.reset(text)
                REPLAY_ROWS.reset(token)
            if problem is None and self.template is not None:
                from versioned_estimator._refit import template_problem

                problem = template_problem(estimator, self.template)
            if problem is not None:
                raise UntrustedGlobalError(
                    f"The loaded model holds {problem}: a type the allow-list "
                    "does not name, or state its library would trust and a "
                    "model it fitted never has; the file is crafted or corrupt, "
                    "or library code built an object nobody reviewed, or (rare: "
                    "the README's threat model lists them) an honest fit made "
                    "what this check refuses, and a file you made yourself "
                    "opens with joblib.load. Nothing of the model was run.",
                    names=[],
                )
        return estimator, remapped

    # -- 4. the probe ---------------------------------------------------------

    def check_probe(self, estimator: Any, remapped: Mapping[str, str]) -> None:
        """Replay the probe (unless provably pointless), by policy."""
        if self.policy.on_drift == "ignore":
            return
        outputs = self.outputs
        probe = self.envelope.get("probe")
        if probe and outputs and self.policy.replay != "always":
            reason = unchanged_environment(self.envelope, bool(remapped))
            if reason is not None:
                self.report = VerificationReport(
                    skipped=reason, remapped=dict(remapped), globals=list(self.names)
                )
                return
        # Safe mode checked the probe rows before the walk (None otherwise).
        rows = self.rows
        # The file's n_jobs does not choose processes or threads for a check.
        with joblib.parallel_config(backend="sequential"):
            report = replay(estimator, probe, outputs, rows=rows)
        report.remapped = dict(remapped)
        report.globals = list(self.names)
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

    def safe_rows(self, probe: Mapping[str, Any]) -> Any:
        """The probe rows, checked against the saved schema (safe mode)."""
        encoded = probe.get("X") or {}
        if isinstance(encoded, Mapping) and encoded_size(encoded) > MAX_INPUT_BYTES:
            # Every replay runs the model on these rows, which the file chose:
            # no more of them than a writer keeps (compression hides the rest).
            raise EnvelopeError(
                f"The probe rows take more than the {MAX_INPUT_BYTES} bytes a "
                "writer keeps: the file is crafted or corrupt."
            )
        rows = decode_input(encoded)
        schema = self.envelope.get("schema") or {}
        n_features = schema.get("n_features_in")
        shape = getattr(rows, "shape", None)
        if (
            n_features is not None
            and shape is not None
            and len(shape) == 2
            and shape[1] != n_features
        ):
            raise EnvelopeError(
                f"The probe rows have {shape[1]} columns where the model was fit "
                f"on {n_features}: the file is crafted or corrupt."
            )
        return rows

    def open(self) -> tuple[Any, dict[str, str]]:
        """Run the four steps; return the live inner estimator and the names
        that were remapped."""
        self.verify()
        self.check_environment()
        estimator, remapped = self.unpickle()
        self.check_probe(estimator, remapped)
        return estimator, remapped
