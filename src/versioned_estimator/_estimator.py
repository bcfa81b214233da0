"""``VersionedEstimator``: the meta-estimator, and ``_rebuild``, its pickle entry.

A fitted wrapper pickles as ``(_rebuild, (envelope, inner_stream, buffers))``
(see ``_payload`` and ``_envelope``); the tuple is built once per fitted state
and cached, because loky de-duplicates arrays by identity and GridSearchCV
pickles an estimator dozens of times. ``fit``, ``partial_fit``, ``set_params``
and ``set_output`` drop the cache.

``_rebuild`` returns the wrapper *sealed* (see ``_lazy``): the first method
call, ``estimator_``, a fitted attribute or ``get_params`` materializes it,
once, under a lock.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import sklearn
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_html_repr, get_tags
from sklearn.utils._metadata_requests import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from versioned_estimator._config import get_config
from versioned_estimator._envelope import Envelope, build_envelope, validate
from versioned_estimator._format import check_json_safe, describe
from versioned_estimator._html import envelope_card
from versioned_estimator._lazy import Policy, Sealed
from versioned_estimator._payload import dump_inner, payload_digests
from versioned_estimator._probe import ProbeCheck, VerificationReport, capture, replay
from versioned_estimator._provenance import created_at, git_state, schema_of

__all__ = ["DELEGATED_METHODS", "VersionedEstimator", "_rebuild"]

DELEGATED_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "inverse_transform",
    "fit_transform",
    "fit_predict",
    "score",
    "score_samples",
    "partial_fit",
    "get_feature_names_out",
    "set_output",
)

# A loaded model keeps its original inner stream up to this size (or 1/16 of
# its buffers), so that it pickles to the same bytes as before it was loaded.
_KEEP_STREAM_BYTES = 1024 * 1024

# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


def _inner_has(method: str) -> Callable[[Any], bool]:
    """For ``available_if``: does the inner estimator have ``method``?

    A sealed wrapper answers from its envelope, without loading the model.
    """

    def check(self: VersionedEstimator) -> bool:
        state = self.__dict__
        sealed = state.get("_sealed")
        if sealed is not None:
            return method in sealed.envelope.get("methods", ())
        if "estimator_" in state:
            return hasattr(state["estimator_"], method)
        return hasattr(self.estimator, method)

    return check


def _is_fitted_name(name: str) -> bool:
    return name.endswith("_") and not name.startswith("_")


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _tags_to_plain(tags: Any) -> Any:
    try:
        return describe(dataclasses.asdict(tags))
    except TypeError:
        return None


def _tags_from_plain(data: dict[str, Any]) -> Any:
    from sklearn.utils import (
        ClassifierTags,
        InputTags,
        RegressorTags,
        Tags,
        TargetTags,
        TransformerTags,
    )

    nested = {
        "target_tags": TargetTags,
        "transformer_tags": TransformerTags,
        "classifier_tags": ClassifierTags,
        "regressor_tags": RegressorTags,
        "input_tags": InputTags,
    }
    kwargs: dict[str, Any] = {}
    for item in dataclasses.fields(Tags):
        if item.name not in data:
            continue
        value = data[item.name]
        if item.name in nested and isinstance(value, dict):
            sub = nested[item.name]
            names = {f.name for f in dataclasses.fields(sub)}
            value = sub(**{k: v for k, v in value.items() if k in names})
        kwargs[item.name] = value
    return Tags(**kwargs)


def _unfitted_copy(fitted: Any) -> Any:
    """An unfitted clone for the ``estimator`` parameter of a loaded model.

    A model loaded under another scikit-learn release may not clone (its
    ``get_params`` can name attributes the old pickle lacks): then the loaded
    object itself stands in, as ``wrap`` would have it.
    """
    try:
        return clone(fitted)
    except Exception:  # any clone failure falls back
        return fitted


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def evaluation_of(estimator: Any) -> dict[str, Any] | None:
    """What a search estimator learned about its own quality, as plain data."""
    results = getattr(estimator, "cv_results_", None)
    if not isinstance(results, dict):
        return None
    evaluation: dict[str, Any] = {
        "best_score": describe(getattr(estimator, "best_score_", None)),
        "best_params": describe(getattr(estimator, "best_params_", None)),
        "best_index": describe(getattr(estimator, "best_index_", None)),
        "scoring": describe(getattr(estimator, "scoring", None)),
        "refit": describe(getattr(estimator, "refit", None)),
        "n_splits": describe(getattr(estimator, "n_splits_", None)),
    }
    params = results.get("params", [])
    columns = {
        key: [describe(v) for v in results[key]]
        for key in sorted(results)
        if key.startswith(("mean_test_", "std_test_", "rank_test_"))
    }
    limit = 200
    evaluation["n_candidates"] = len(params)
    evaluation["candidates"] = [
        {"params": describe(p), **{k: v[i] for k, v in columns.items()}}
        for i, p in enumerate(params[:limit])
    ]
    return evaluation


# ----------------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------------


class VersionedEstimator(MetaEstimatorMixin, BaseEstimator):
    """Wrap a scikit-learn estimator so that its pickle carries an envelope.

    The envelope holds the versions of every package the model's pickle
    imports, python, platform, the git commit of the training work tree, the
    schema of the fit data, a probe of expected outputs and your own metadata.
    It is readable without importing the model's libraries
    (:func:`read_envelope`), and it is checked before the model is unpickled.

    Parameters
    ----------
    estimator : estimator object
        The estimator to wrap; ``fit`` fits a clone of it.
    metadata : dict, optional
        Your own JSON-safe provenance (owner, data version, validation score).
    probe_size : int, default=5
        How many rows of the training ``X`` to keep, with the model's outputs on
        them, to detect silent behaviour changes on load. They are stored in the
        file: set 0 to keep training rows out of it.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted estimator. Fitted attributes of it (``coef_``, ``classes_``,
        ``best_params_`` ...) read through the wrapper.
    envelope : Envelope
        The envelope this model pickles with.

    Examples
    --------
    >>> import pickle
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from versioned_estimator import VersionedEstimator, read_envelope
    >>> X, y = load_iris(return_X_y=True)
    >>> model = VersionedEstimator(LogisticRegression(max_iter=500),
    ...                            metadata={"owner": "ana"}).fit(X, y)
    >>> model.classes_
    array([0, 1, 2])
    >>> data = pickle.dumps(model)
    >>> read_envelope(data).schema["n_features_in"]
    4
    >>> (pickle.loads(data).predict(X) == model.predict(X)).all()
    np.True_
    """

    def __init__(
        self,
        estimator: Any,
        *,
        metadata: dict[str, Any] | None = None,
        probe_size: int = 5,
    ) -> None:
        self.estimator = estimator
        self.metadata = metadata
        self.probe_size = probe_size

    # -- attribute access -------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: a sealed wrapper's parameters and
        # fitted attributes, or a fitted attribute of the inner estimator.
        if name.startswith("__"):
            raise AttributeError(name)
        state = self.__dict__
        if "_sealed" in state and (
            name in ("estimator", "estimator_") or _is_fitted_name(name)
        ):
            self._materialize()
            return getattr(self, name)
        if _is_fitted_name(name) and "estimator_" in state:
            try:
                return getattr(state["estimator_"], name)
            except AttributeError:
                pass
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def __sklearn_is_fitted__(self) -> bool:
        return "_sealed" in self.__dict__ or "estimator_" in self.__dict__

    def __sklearn_tags__(self) -> Any:
        sealed = self.__dict__.get("_sealed")
        if sealed is not None:
            plain = sealed.envelope.get("tags")
            if isinstance(plain, dict):
                try:
                    return _tags_from_plain(plain)
                except (TypeError, ValueError):
                    pass
            self._materialize()
        inner = self.__dict__.get("estimator_")
        if inner is None:
            inner = self.estimator
        return copy.deepcopy(get_tags(inner))

    # -- state ------------------------------------------------------------

    def _drop_cache(self) -> None:
        self.__dict__.pop("_reduce_cache", None)
        self.__dict__.pop("_verification", None)

    def _materialize(self) -> None:
        state = self.__dict__
        if "_sealed" not in state:
            return
        with state["_lock"]:
            sealed: Sealed | None = state.get("_sealed")
            if sealed is None:
                return
            inner = sealed.open()
            envelope = sealed.envelope
            state.update(
                estimator=_unfitted_copy(inner),
                _provenance=_provenance_from(envelope),
            )
            if sealed.report is not None:
                state["_verification"] = sealed.report
            state["estimator_"] = inner
            del state["_sealed"]
            stream, buffers = sealed.stream, sealed.buffers
            if sealed.views_buffers and len(stream) <= max(
                _KEEP_STREAM_BYTES, sum(memoryview(b).nbytes for b in buffers) // 16
            ):
                # The model views every buffer (zero-copy): keeping the original
                # pickle costs no memory, and re-pickling gives the same bytes
                # (joblib.hash, joblib.Memory keys) in any process. Otherwise drop
                # them: trees copy their arrays, keeping ours would double memory.
                state["_reduce_cache"] = (_rebuild, (envelope, stream, buffers))

    def _policy_route(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if _routing_enabled():
            routed = process_routing(self, method, **params)
            return dict(routed.estimator[method])
        return params

    def _capture(
        self, X: Any, inner: Any, *, probe_X: Any = None, n_samples: bool = True
    ) -> None:
        """Record provenance once, at fit or wrap time."""
        size = self.probe_size
        metadata = check_json_safe(self.metadata or {}, "metadata")
        schema = schema_of(X, inner)
        if not n_samples:
            schema["n_samples"] = None
        try:
            params = describe(inner.get_params(deep=False))
        except (AttributeError, TypeError):
            params = {}
        self.__dict__["_provenance"] = {
            "created_at": created_at(),
            "estimator_class": _class_path(inner),
            "params": params,
            "methods": [m for m in DELEGATED_METHODS if hasattr(inner, m)],
            "tags": _tags_to_plain(get_tags(inner)),
            "git": git_state(),
            "schema": schema,
            "probe_size": size,
            "probe": capture(inner, X if probe_X is None else probe_X, size),
            "evaluation": evaluation_of(inner),
            "metadata": metadata,
        }

    def _check_params(self) -> None:
        size = self.probe_size
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(
                f"probe_size must be a non-negative int, got {size!r}; use 0 to "
                "store no probe."
            )
        if self.metadata is not None:
            check_json_safe(self.metadata, "metadata")
        if not hasattr(self.estimator, "fit"):
            raise TypeError(
                f"VersionedEstimator wraps an estimator with a fit method; got "
                f"{type(self.estimator).__name__}: {self.estimator!r}."
            )

    def _start_fit(self) -> Any:
        self._check_params()
        self._drop_cache()
        self.__dict__.pop("_sealed", None)
        return clone(self.estimator)

    # -- fitting ----------------------------------------------------------

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> VersionedEstimator:
        """Fit a clone of ``estimator`` and capture its provenance.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), optional
        **fit_params : dict
            Passed to the inner ``fit`` (``sample_weight`` ...), routed when
            metadata routing is enabled.

        Returns
        -------
        self : VersionedEstimator
        """
        estimator = self._start_fit()
        estimator.fit(X, y, **self._policy_route("fit", fit_params))
        self.estimator_ = estimator
        self._capture(X, estimator)
        return self

    @available_if(_inner_has("fit_transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit a clone of ``estimator`` and return its transform of ``X``."""
        estimator = self._start_fit()
        out = estimator.fit_transform(
            X, y, **self._policy_route("fit_transform", fit_params)
        )
        self.estimator_ = estimator
        self._capture(X, estimator)
        return out

    @available_if(_inner_has("fit_predict"))
    def fit_predict(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit a clone of ``estimator`` and return its predictions on ``X``."""
        estimator = self._start_fit()
        out = estimator.fit_predict(
            X, y, **self._policy_route("fit_predict", fit_params)
        )
        self.estimator_ = estimator
        self._capture(X, estimator)
        return out

    @available_if(_inner_has("partial_fit"))
    def partial_fit(
        self, X: Any, y: Any = None, **fit_params: Any
    ) -> VersionedEstimator:
        """Update the inner estimator on a batch (fitting a clone on the first)."""
        self._materialize()
        self._check_params()
        self._drop_cache()
        if "estimator_" not in self.__dict__:
            self.estimator_ = clone(self.estimator)
        params = self._policy_route("partial_fit", fit_params)
        self.estimator_.partial_fit(X, y, **params)
        self._capture(X, self.estimator_)
        return self

    @classmethod
    def wrap(
        cls,
        fitted: Any,
        *,
        metadata: dict[str, Any] | None = None,
        probe: Any = None,
    ) -> VersionedEstimator:
        """Wrap an already fitted estimator, without refitting or copying it.

        Parameters
        ----------
        fitted : estimator object
            A fitted estimator (a ``best_estimator_``, a model from a notebook).
            It becomes ``estimator_`` as is; ``estimator`` is an unfitted clone.
        metadata : dict, optional
            Your own JSON-safe provenance.
        probe : array-like, optional
            Sample input to record the model's outputs on (stored in the file).

        Returns
        -------
        VersionedEstimator

        Examples
        --------
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> tree = DecisionTreeClassifier(random_state=0).fit([[0], [1]], [0, 1])
        >>> wrapped = VersionedEstimator.wrap(tree, probe=[[0], [1]])
        >>> wrapped.estimator_ is tree
        True
        >>> sorted(wrapped.envelope.probe["outputs"])
        ['predict', 'predict_proba']
        """
        if isinstance(fitted, VersionedEstimator):
            raise TypeError("This estimator is already a VersionedEstimator.")
        try:
            check_is_fitted(fitted)
        except TypeError as exc:
            raise TypeError(
                f"VersionedEstimator.wrap takes a fitted scikit-learn estimator; got "
                f"{type(fitted).__name__}."
            ) from exc
        except NotFittedError as exc:
            raise NotFittedError(
                f"{type(fitted).__name__} is not fitted: fit it first, or use "
                "VersionedEstimator(estimator).fit(X, y)."
            ) from exc
        n_probe = 0 if probe is None else _n_rows(probe)
        self = cls(clone(fitted), metadata=metadata, probe_size=n_probe)
        self._check_params()
        self.estimator_ = fitted
        self._capture(probe, fitted, n_samples=False)
        return self

    # -- parameters -------------------------------------------------------

    def set_params(self, **params: Any) -> VersionedEstimator:
        """Set parameters (``estimator__C=...`` reaches the inner estimator)."""
        super().set_params(**params)
        self._drop_cache()
        return self

    def get_metadata_routing(self) -> MetadataRouter:
        """Route fit parameters (``sample_weight``) to the inner estimator."""
        mapping = MethodMapping()
        for method in ("fit", "partial_fit", "fit_transform", "fit_predict", "score"):
            mapping.add(caller=method, callee=method)
        return MetadataRouter(owner=type(self).__name__).add(
            estimator=self.estimator, method_mapping=mapping
        )

    # -- delegated methods ------------------------------------------------

    def _fitted(self) -> Any:
        check_is_fitted(self)
        return self.estimator_

    @available_if(_inner_has("predict"))
    def predict(self, X: Any, **params: Any) -> Any:
        """Predict with the inner estimator."""
        return self._fitted().predict(X, **params)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X: Any, **params: Any) -> Any:
        """Class probabilities from the inner estimator."""
        return self._fitted().predict_proba(X, **params)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X: Any, **params: Any) -> Any:
        """Log class probabilities from the inner estimator."""
        return self._fitted().predict_log_proba(X, **params)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X: Any, **params: Any) -> Any:
        """Decision function of the inner estimator."""
        return self._fitted().decision_function(X, **params)

    @available_if(_inner_has("transform"))
    def transform(self, X: Any, **params: Any) -> Any:
        """Transform with the inner estimator."""
        return self._fitted().transform(X, **params)

    @available_if(_inner_has("inverse_transform"))
    def inverse_transform(self, X: Any, **params: Any) -> Any:
        """Inverse transform with the inner estimator."""
        return self._fitted().inverse_transform(X, **params)

    @available_if(_inner_has("score"))
    def score(self, X: Any, y: Any = None, **params: Any) -> Any:
        """Score of the inner estimator."""
        fitted = self._fitted()
        return fitted.score(X, y, **self._policy_route("score", params))

    @available_if(_inner_has("score_samples"))
    def score_samples(self, X: Any, **params: Any) -> Any:
        """Per-sample scores of the inner estimator."""
        return self._fitted().score_samples(X, **params)

    @available_if(_inner_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Output feature names of the inner estimator."""
        return self._fitted().get_feature_names_out(input_features)

    @available_if(_inner_has("set_output"))
    def set_output(self, *, transform: str | None = None) -> VersionedEstimator:
        """Configure the output container of the inner estimator's transform."""
        self._materialize()
        self.estimator.set_output(transform=transform)
        if "estimator_" in self.__dict__:
            self.estimator_.set_output(transform=transform)
            self._drop_cache()
        return self

    # -- display ----------------------------------------------------------

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        sealed = self.__dict__.get("_sealed")
        if sealed is not None:
            # Printing a loaded model must not load it.
            envelope = sealed.envelope
            return (
                f"VersionedEstimator(<sealed {envelope.get('estimator_class')}, "
                f"created {envelope.get('created_at')}>)"
            )
        return str(super().__repr__(N_CHAR_MAX))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """Jupyter's display: plain text, and the HTML diagram with its card."""
        output = {"text/plain": repr(self)}
        if sklearn.get_config()["display"] == "diagram":
            output["text/html"] = self._html_repr()
        return output

    def _repr_html_inner(self) -> str:
        """What ``_repr_html_`` returns (scikit-learn's hook name before 1.7)."""
        return self._html_repr()

    def _html_repr(self) -> str:
        """scikit-learn's diagram beside the envelope card (Jupyter)."""
        sealed = self.__dict__.get("_sealed")
        if sealed is not None:
            card = envelope_card(sealed.envelope, state="sealed")
            return f"<div>{card}</div>"
        diagram = estimator_html_repr(self)
        if not self.__sklearn_is_fitted__():
            return str(diagram)
        report = self.__dict__.get("_verification")
        card = envelope_card(
            self.envelope.to_dict(),
            state="loaded" if report is not None else "fitted",
            probe_status=None if report is None else str(report).splitlines()[0],
        )
        return (
            '<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
            f"<div>{diagram}</div>{card}</div>"
        )

    # -- the envelope -----------------------------------------------------

    @property
    def envelope(self) -> Envelope:
        """The envelope this model pickles with (fitted models only)."""
        sealed = self.__dict__.get("_sealed")
        if sealed is not None:
            return Envelope(sealed.envelope)
        check_is_fitted(self)
        return Envelope(self.__reduce_ex__(5)[1][0])

    def verify(self, X: Any = None) -> VerificationReport:
        """Replay the probe now, and check ``X`` against the saved schema.

        Parameters
        ----------
        X : array-like, optional
            Data to check against the recorded schema (feature count, names,
            dtypes); each probed method must also run on it.

        Returns
        -------
        VerificationReport
            ``.ok`` is True when everything matched.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 1])
        >>> model.verify().ok
        True
        >>> model.verify([[1, 2]]).ok
        False
        """
        inner = self._fitted()
        provenance = self.__dict__["_provenance"]
        report = replay(inner, provenance.get("probe"))
        if X is not None:
            report.checks.extend(_schema_checks(provenance.get("schema") or {}, X))
            for method in (provenance.get("probe") or {}).get("outputs", {}):
                try:
                    getattr(inner, method)(X)
                except Exception as exc:
                    report.checks.append(
                        ProbeCheck(
                            f"{method}(X)", "error", f"{type(exc).__name__}: {exc}"
                        )
                    )
                else:
                    report.checks.append(ProbeCheck(f"{method}(X)", "same"))
        return report

    # -- pickling ---------------------------------------------------------

    def __reduce_ex__(self, protocol: Any) -> Any:
        state = self.__dict__
        cached = state.get("_reduce_cache")
        if cached is not None:
            return cached
        sealed: Sealed | None = state.get("_sealed")
        if sealed is not None:
            return (_rebuild, (sealed.envelope, sealed.stream, sealed.buffers))
        if "estimator_" not in state:
            return super().__reduce_ex__(protocol)
        payload = dump_inner(state["estimator_"])
        digests = payload_digests(payload.stream, payload.buffers)
        envelope = build_envelope(state["_provenance"], payload, digests)
        result = (_rebuild, (envelope, payload.stream, payload.buffers))
        state["_reduce_cache"] = result
        return result

    def __getstate__(self) -> dict[str, Any]:
        # Unfitted wrappers pickle their parameters only (clones shipped to
        # GridSearchCV workers); the lock and caches never travel.
        # object.__getstate__ returns the live __dict__: copy before popping.
        state = dict(super().__getstate__())
        for key in ("_lock", "_reduce_cache", "_sealed", "_verification"):
            state.pop(key, None)
        return state


def _schema_checks(schema: dict[str, Any], X: Any) -> list[ProbeCheck]:
    found = schema_of(X)
    checks = []
    for key, label in (
        ("n_features_in", "n_features"),
        ("feature_names_in", "feature_names"),
        ("dtypes", "dtypes"),
    ):
        saved = schema.get(key)
        if saved is None or found.get(key) is None:
            continue
        if saved == found[key]:
            checks.append(ProbeCheck(f"schema.{label}", "same"))
        else:
            checks.append(
                ProbeCheck(
                    f"schema.{label}", "differs", f"X has {found[key]}, saved {saved}"
                )
            )
    return checks


def _provenance_from(envelope: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "created_at",
        "estimator_class",
        "params",
        "methods",
        "tags",
        "git",
        "schema",
        "probe_size",
        "probe",
        "evaluation",
        "metadata",
    )
    provenance = {key: envelope.get(key) for key in keys}
    provenance["methods"] = provenance["methods"] or []
    provenance["git"] = provenance["git"] or {"commit": None, "dirty": None}
    provenance["schema"] = provenance["schema"] or {}
    provenance["metadata"] = provenance["metadata"] or {}
    return provenance


# ----------------------------------------------------------------------------
# The pickle entry point (its path, versioned_estimator._rebuild, is stable)
# ----------------------------------------------------------------------------


def seal(
    envelope: dict[str, Any], stream: bytes, buffers: Any, policy: Policy
) -> VersionedEstimator:
    """A sealed wrapper around an envelope, stream and buffers."""
    validate(envelope)
    obj = VersionedEstimator.__new__(VersionedEstimator)
    probe_size = envelope.get("probe_size")
    obj.__dict__.update(
        metadata=envelope.get("metadata") or None,
        probe_size=probe_size if isinstance(probe_size, int) else 5,
        _sealed=Sealed(envelope, stream, buffers, policy),
        _lock=threading.RLock(),
    )
    return obj


def _rebuild(
    envelope: dict[str, Any], inner_stream: bytes, buffers: Any
) -> VersionedEstimator:
    """Unpickling entry point: a sealed wrapper under the current config."""
    return seal(envelope, inner_stream, buffers, Policy.from_config(get_config()))


_rebuild.__module__ = "versioned_estimator"
