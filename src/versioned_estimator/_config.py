"""Policies for loads that take no argument (``pickle.load``, ``joblib.load``).

Mirrors :func:`sklearn.config_context`: a process-wide default, overridden per
thread by :func:`config_context`. Deployments set the defaults with the
``VERSIONED_ESTIMATOR_ON_MISMATCH`` and ``VERSIONED_ESTIMATOR_ON_DRIFT``
environment variables.

Materialization of a lazily loaded model may run on another thread than the one
that called ``pickle.load`` (loky's feeder thread, a web server's workers): the
policies are captured when the model is *unpickled*, so a ``config_context``
around ``pickle.load`` applies even when the first ``predict`` happens later.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

__all__ = ["config_context", "get_config", "set_config"]

# ----------------------------------------------------------------------------
# Allowed values
# ----------------------------------------------------------------------------

ON_MISMATCH = ("warn", "error", "ignore")
ON_DRIFT = ("warn", "error", "ignore")
VERIFY = ("full", "fast", "auto")
REPLAY = ("auto", "always")

_ENV_PREFIX = "VERSIONED_ESTIMATOR_"


def _from_env(name: str, default: str, allowed: Sequence[str]) -> str:
    value = os.environ.get(_ENV_PREFIX + name.upper(), "").strip().lower()
    if not value:
        return default
    if value not in allowed:
        raise ValueError(
            f"{_ENV_PREFIX}{name.upper()}={value!r} is not one of "
            f"{', '.join(allowed)}; unset it or pick one of those."
        )
    return value


def _defaults() -> dict[str, Any]:
    return {
        "on_mismatch": _from_env("on_mismatch", "warn", ON_MISMATCH),
        "on_drift": _from_env("on_drift", "warn", ON_DRIFT),
        "verify": _from_env("verify", "auto", VERIFY),
        "replay": _from_env("replay", "auto", REPLAY),
        "module_aliases": MappingProxyType({}),
        "trusted": None,
    }


def fresh_config() -> dict[str, Any]:
    """The config of a process that set none: what a loky or dask worker
    applies to a model it receives (workers inherit no ``set_config``)."""
    return _defaults()


_global_config: dict[str, Any] | None = None
_local = threading.local()


def _base() -> dict[str, Any]:
    global _global_config
    if _global_config is None:
        _global_config = _defaults()
    return _global_config


def _current() -> dict[str, Any]:
    local: dict[str, Any] | None = getattr(_local, "config", None)
    return local if local is not None else _base()


def _validated(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "on_mismatch" and value not in ON_MISMATCH:
            raise ValueError(f"on_mismatch={value!r}; expected one of {ON_MISMATCH}.")
        if name == "on_drift" and value not in ON_DRIFT:
            raise ValueError(f"on_drift={value!r}; expected one of {ON_DRIFT}.")
        if name == "verify" and value not in VERIFY:
            raise ValueError(f"verify={value!r}; expected one of {VERIFY}.")
        if name == "replay" and value not in REPLAY:
            raise ValueError(f"replay={value!r}; expected one of {REPLAY}.")
        if name == "module_aliases":
            value = normalize_aliases(value)
        if name == "trusted":
            value = normalize_trusted(value)
        out[name] = value
    return out


def normalize_aliases(aliases: Mapping[str, str] | None) -> Mapping[str, str]:
    """Check ``{"old.module": "new.module"}`` and freeze it."""
    if aliases is None:
        return MappingProxyType({})
    if not isinstance(aliases, Mapping):
        raise TypeError(
            "module_aliases must be a mapping of old to new module paths, such as "
            f"{{'models': 'classifiers'}}; got {type(aliases).__name__}."
        )
    clean: dict[str, str] = {}
    for old, new in aliases.items():
        if not (isinstance(old, str) and isinstance(new, str) and old and new):
            raise TypeError(
                f"module_aliases entry {old!r}: {new!r} must map a non-empty module "
                "path to another, both str."
            )
        clean[old] = new
    return MappingProxyType(clean)


def normalize_trusted(trusted: str | Sequence[str] | None) -> tuple[str, ...]:
    """Check trusted ``"module.qualname"`` names and freeze them."""
    if trusted is None:
        return ()
    if isinstance(trusted, str):
        trusted = (trusted,)
    names = tuple(trusted)
    for name in names:
        if not isinstance(name, str) or "." not in name:
            raise TypeError(
                f"trusted names are 'module.qualname' strings, such as "
                f"'mypackage.models.MyClassifier'; got {name!r}."
            )
    return names


# ----------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------


def get_config() -> dict[str, Any]:
    """Return the current policies as a new dict.

    Returns
    -------
    dict
        Keys ``on_mismatch``, ``on_drift``, ``verify``, ``replay``,
        ``module_aliases``, ``trusted``.

    Examples
    --------
    >>> from versioned_estimator import get_config
    >>> get_config()["on_drift"]
    'warn'
    """
    config = _current()
    return {**config, "module_aliases": dict(config["module_aliases"])}


def set_config(
    *,
    on_mismatch: str | None = None,
    on_drift: str | None = None,
    verify: str | None = None,
    module_aliases: Mapping[str, str] | None = None,
    trusted: Sequence[str] | None = None,
    replay: str | None = None,
) -> None:
    """Set process-wide policies for loads that take no argument.

    Parameters
    ----------
    on_mismatch : {"warn", "error", "ignore"}, optional
        What to do when the saved environment differs from this one (a minor or
        major version change, a missing package, another Python minor version).
    on_drift : {"warn", "error", "ignore"}, optional
        What to do when the probe replay gives other outputs than the saved ones.
    verify : {"full", "fast", "auto"}, optional
        How much of the payload to hash before unpickling: every byte, or the
        inner stream and the buffer sizes. ``"auto"`` is full, except for
        memory-mapped buffers.
    module_aliases : dict, optional
        ``{"old.module": "new.module"}``, applied to the inner stream's globals.
    replay : {"auto", "always"}, optional
        Whether to replay the probe when nothing that could change the
        model's behaviour changed since it was saved (same versions of every
        library it needs, none editable, no code of your own, same Python and
        platform): ``"auto"`` skips it then, ``"always"`` replays.
    trusted : sequence of str, optional
        Turns the allow-list of :func:`load` on for ``pickle.load`` and
        ``joblib.load`` too (see ``set_config(trusted=[])``), admitting these
        extra ``"module.qualname"`` globals. By default (None) those loads trust
        the file as pickle does.

    Examples
    --------
    >>> from versioned_estimator import get_config, set_config
    >>> set_config(on_drift="error")
    >>> get_config()["on_drift"]
    'error'
    >>> set_config(on_drift="warn")
    """
    changes = _validated(
        on_mismatch=on_mismatch,
        on_drift=on_drift,
        verify=verify,
        module_aliases=module_aliases,
        trusted=trusted,
        replay=replay,
    )
    global _global_config
    _global_config = {**_base(), **changes}
    local: dict[str, Any] | None = getattr(_local, "config", None)
    if local is not None:
        _local.config = {**local, **changes}


@contextmanager
def config_context(
    *,
    on_mismatch: str | None = None,
    on_drift: str | None = None,
    verify: str | None = None,
    module_aliases: Mapping[str, str] | None = None,
    trusted: Sequence[str] | None = None,
    replay: str | None = None,
) -> Iterator[None]:
    """Set policies for the current thread inside a ``with`` block.

    Parameters are those of :func:`set_config`. The policies in force when a
    wrapped model is unpickled are the ones it uses when it materializes.

    Examples
    --------
    >>> import pickle
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator, config_context
    >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1], [2]], [0, 1, 2])
    >>> data = pickle.dumps(model)
    >>> with config_context(on_drift="error", on_mismatch="error"):
    ...     loaded = pickle.loads(data)
    >>> loaded.predict([[3]]).round(6)
    array([3.])
    """
    changes = _validated(
        on_mismatch=on_mismatch,
        on_drift=on_drift,
        verify=verify,
        module_aliases=module_aliases,
        trusted=trusted,
        replay=replay,
    )
    previous: dict[str, Any] | None = getattr(_local, "config", None)
    _local.config = {**_current(), **changes}
    try:
        yield
    finally:
        _local.config = previous
