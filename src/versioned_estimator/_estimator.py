"""``VersionedEstimator``: the meta-estimator, and ``_rebuild``, its pickle entry.

A fitted wrapper pickles as ``(_rebuild, (envelope, stream, buffers,
trailer))``, built from its current state every time (``_pickling``): a
change made after a first pickle always reaches the next one.

``_rebuild`` returns the wrapper *sealed* (see ``_lazy``): the first method
call, ``estimator_``, a fitted attribute or ``get_params`` materializes it,
once, under a lock.
"""

from __future__ import annotations

import copy
import copyreg
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
from versioned_estimator._envelope import Envelope, validate, validate_trailer
from versioned_estimator._errors import (
    EnvelopeError,
    EnvironmentMismatchError,
    VersionedEstimatorError,
)
from versioned_estimator._format import check_json_safe, describe
from versioned_estimator._html import envelope_card
from versioned_estimator._lazy import Policy, Sealed, environment_error
from versioned_estimator._pickling import Trailer, reduce_fitted
from versioned_estimator._probe import (
    ProbeCheck,
    VerificationReport,
    capture_rows,
    decode_input,
    record_outputs,
    replay,
)
from versioned_estimator._provenance import created_at, schema_of, training_git_state

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


def describe_params(estimator: Any) -> dict[str, Any]:
    """The estimator's parameters as plain data, nested ones flattened the way
    ``get_params(deep=True)`` names them (``clf__C``); a parameter that is
    itself an estimator is named by its class (its own parameters follow).

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> params = describe_params(make_pipeline(LogisticRegression(C=0.5)))
    >>> params["logisticregression"], params["logisticregression__C"]
    ('sklearn.linear_model._logistic.LogisticRegression', 0.5)
    """
    try:
        params = estimator.get_params(deep=True)
    except Exception:
        try:
            params = estimator.get_params(deep=False)
        except Exception:
            return {}
    out: dict[str, Any] = {}
    for key in sorted(params):
        value = params[key]
        if hasattr(value, "get_params") and not isinstance(value, type):
            out[key] = _class_path(value)
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(
                isinstance(v, tuple) and len(v) >= 2 and hasattr(v[1], "get_params")
                for v in value
            )
        ):
            # Pipeline steps, ColumnTransformer transformers: name and class.
            out[key] = [
                [str(v[0]), _class_path(v[1]), *describe(list(v[2:]))] for v in value
            ]
        else:
            out[key] = describe(value)
    return out


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
        if name == "envelope":
            # The property raised AttributeError: an unfitted model says so.
            check_is_fitted(self)
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
        self.__dict__.pop("_cache", None)
        self.__dict__.pop("_verification", None)
        self.__dict__.pop("_loaded_envelope", None)

    def _materialize(self) -> None:
        state = self.__dict__
        if "_sealed" not in state:
            return
        with state["_lock"]:
            sealed: Sealed | None = state.get("_sealed")
            if sealed is None:
                return
            inner, _ = sealed.open()
            envelope = sealed.envelope
            template = None
            if (envelope.get("payload") or {}).get("template"):
                if not (isinstance(inner, tuple) and len(inner) == 2):
                    raise EnvelopeError(
                        "The model's pickle does not hold the estimator and the "
                        "parameters its envelope announces: it is corrupt or crafted."
                    )
                inner, template = inner
            state.update(
                estimator=template if template is not None else _unfitted_copy(inner),
                _provenance=_provenance_from(envelope),
                _saved_outputs=sealed.outputs,
                _loaded_envelope=(envelope, sealed.trailer),
            )
            if sealed.report is not None:
                state["_verification"] = sealed.report
            state["estimator_"] = inner
            del state["_sealed"]

    def _policy_route(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if _routing_enabled():
            routed = process_routing(self, method, **params)
            return dict(routed.estimator[method])
        return params

    def _capture(self, X: Any, *, probe_X: Any = None, n_samples: bool = True) -> None:
        """Record provenance once, at fit or wrap time: when, which commit, the
        data's schema and the probe rows (their outputs are recorded when the
        model is pickled, from the model as it is then)."""
        inner = self.__dict__["estimator_"]
        schema = schema_of(X, inner)
        if not n_samples:
            schema["n_samples"] = None
        self.__dict__["_provenance"] = {
            "created_at": created_at(),
            "git": training_git_state(inner),
            "schema": schema,
            "probe": capture_rows(X if probe_X is None else probe_X, self.probe_size),
        }
        self.__dict__.pop("_saved_outputs", None)

    def _check_params(self) -> None:
        size = self.probe_size
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(
                f"probe_size must be a non-negative int, got {size!r}; use 0 to "
                "store no probe."
            )
        if self.metadata is not None:
            check_json_safe(self.metadata, "metadata")
        if isinstance(self.estimator, VersionedEstimator):
            raise TypeError(
                "VersionedEstimator wraps an estimator that is already a "
                "VersionedEstimator: wrap the inner estimator once "
                "(VersionedEstimator(model.estimator)); one envelope already "
                "records everything."
            )
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
        self._capture(X)
        return self

    @available_if(_inner_has("fit_transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit a clone of ``estimator`` and return its transform of ``X``."""
        estimator = self._start_fit()
        out = estimator.fit_transform(
            X, y, **self._policy_route("fit_transform", fit_params)
        )
        self.estimator_ = estimator
        self._capture(X)
        return out

    @available_if(_inner_has("fit_predict"))
    def fit_predict(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit a clone of ``estimator`` and return its predictions on ``X``."""
        estimator = self._start_fit()
        out = estimator.fit_predict(
            X, y, **self._policy_route("fit_predict", fit_params)
        )
        self.estimator_ = estimator
        self._capture(X)
        return out

    @available_if(_inner_has("partial_fit"))
    def partial_fit(
        self, X: Any, y: Any = None, **fit_params: Any
    ) -> VersionedEstimator:
        """Update the inner estimator on a batch (fitting a clone on the first)."""
        self._materialize()
        self._check_params()
        first = "estimator_" not in self.__dict__
        if first:
            self.estimator_ = clone(self.estimator)
        params = self._policy_route("partial_fit", fit_params)
        self.estimator_.partial_fit(X, y, **params)
        if first or "_provenance" not in self.__dict__:
            self._capture(X)
        else:
            # Later batches: the schema counts every row seen; the probe keeps
            # the first batch's rows.
            self.__dict__.pop("_loaded_envelope", None)
            schema = self.__dict__["_provenance"]["schema"]
            seen = schema.get("n_samples")
            rows = schema_of(X, self.estimator_).get("n_samples")
            if isinstance(seen, int) and isinstance(rows, int):
                schema["n_samples"] = seen + rows
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
            raise TypeError(
                "This estimator is already a VersionedEstimator: it needs no "
                "second wrapper."
            )
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
        self = cls(_unfitted_copy(fitted), metadata=metadata, probe_size=n_probe)
        self._check_params()
        self.estimator_ = fitted
        self._capture(probe, n_samples=False)
        return self

    # -- parameters -------------------------------------------------------

    def set_params(self, **params: Any) -> VersionedEstimator:
        """Set parameters (``estimator__C=...`` reaches the inner estimator)."""
        super().set_params(**params)
        self.__dict__.pop("_loaded_envelope", None)
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
            card = envelope_card(self.envelope.to_dict(), state="sealed")
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
        """The envelope of this model (fitted models only).

        For a model loaded from a file: the envelope that file holds (what it
        was saved with), until ``fit``, ``partial_fit`` or ``set_params``
        changes it through the wrapper. For a fitted model: the envelope its
        next pickle writes, trailer included (checksums and probe outputs,
        computed now). ``read_envelope(pickle.dumps(model))`` always shows the
        next pickle's.
        """
        sealed = self.__dict__.get("_sealed")
        if sealed is not None:
            return Envelope(sealed.envelope, sealed.trailer)
        loaded = self.__dict__.get("_loaded_envelope")
        if loaded is not None:
            return Envelope(*loaded)
        check_is_fitted(self)
        try:
            _, (envelope, _, _, trailer) = self._reduce_fitted()
            return Envelope(envelope, trailer.result())
        except AttributeError as exc:
            # Not "no attribute 'envelope'": say what failed.
            raise VersionedEstimatorError(
                f"The envelope of this model cannot be built: {exc}"
            ) from exc

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
        >>> report = model.verify([[1, 2]])
        >>> report.ok, [c.method for c in report.failures]
        (False, ['schema.n_features'])
        """
        inner = self._fitted()
        provenance = self.__dict__["_provenance"]
        probe = provenance.get("probe")
        outputs = self.__dict__.get("_saved_outputs")
        if outputs is None and probe:
            outputs = record_outputs(inner, decode_input(probe["X"]))
        report = replay(inner, probe, outputs)
        previous = self.__dict__.get("_verification")
        if previous is not None:
            report.remapped = dict(previous.remapped)
            report.globals = list(previous.globals)
        if X is not None:
            report.data_checks.extend(_schema_checks(provenance.get("schema") or {}, X))
            methods = sorted((outputs or {}).keys()) or [
                m for m in ("predict", "transform") if hasattr(inner, m)
            ]
            for method in methods:
                try:
                    getattr(inner, method)(X)
                except Exception as exc:
                    report.data_checks.append(
                        ProbeCheck(
                            f"{method}(X)", "error", f"{type(exc).__name__}: {exc}"
                        )
                    )
                else:
                    report.data_checks.append(ProbeCheck(f"{method}(X)", "ran"))
        return report

    # -- pickling ---------------------------------------------------------

    def _reduce_fitted(self, key: bytes | None = None) -> Any:
        state = self.__dict__
        inner = state["estimator_"]
        provenance = dict(state["_provenance"])
        provenance.update(
            estimator_class=_class_path(inner),
            params=describe_params(inner),
            methods=[m for m in DELEGATED_METHODS if hasattr(inner, m)],
            tags=_tags_to_plain(get_tags(inner)),
            evaluation=evaluation_of(inner),
            metadata=check_json_safe(self.metadata or {}, "metadata"),
            probe_size=self.probe_size,
            probe=_probe_for(provenance.get("probe"), self.probe_size),
        )
        cache = state.setdefault("_cache", {})
        return reduce_fitted(
            inner, state.get("estimator"), provenance, cache, _rebuild, key=key
        )

    def __reduce_ex__(self, protocol: Any) -> Any:
        state = self.__dict__
        sealed: Sealed | None = state.get("_sealed")
        if sealed is not None:
            # Not loaded yet, so not changed: the parts as they were read.
            parts: tuple[Any, ...] = (sealed.envelope, sealed.stream, sealed.buffers)
            if sealed.format_version >= 2:
                parts += (_TrailerParts(sealed.trailer),)
            return (_rebuild, parts)
        if "estimator_" not in state:
            # Unfitted: parameters only (clones shipped to GridSearchCV workers).
            newobj = copyreg.__newobj__  # type: ignore[attr-defined]
            return (newobj, (type(self),), self.__getstate__())
        return self._reduce_fitted()

    def __reduce__(self) -> Any:
        return self.__reduce_ex__(5)

    def __getstate__(self) -> dict[str, Any]:
        # Unfitted wrappers pickle their parameters only; the lock and caches
        # never travel. object.__getstate__ returns the live __dict__: copy.
        state = dict(super().__getstate__())
        for key in (
            "_lock",
            "_cache",
            "_sealed",
            "_verification",
            "_saved_outputs",
            "_loaded_envelope",
        ):
            state.pop(key, None)
        return state


class _TrailerParts:
    """A sealed model's trailer, pickled again as it was read."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self.data,))


def _probe_for(probe: Any, size: Any) -> Any:
    """The probe rows to write under the current ``probe_size``: none for 0
    (``set_params(probe_size=0)`` keeps training rows out of the next file),
    else at most that many of the rows taken at fit."""
    if not probe or not isinstance(size, int) or size <= 0:
        return None
    if size >= probe.get("n_rows", 0):
        return probe
    rows = capture_rows(decode_input(probe["X"]), size)
    return rows


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
    """What a loaded model keeps of its envelope, to pickle again."""
    return {
        "created_at": envelope.get("created_at"),
        "git": envelope.get("git") or {"commit": None, "dirty": None},
        "schema": envelope.get("schema") or {},
        "probe": envelope.get("probe"),
    }


# ----------------------------------------------------------------------------
# The pickle entry point (its path, versioned_estimator._rebuild, is stable)
# ----------------------------------------------------------------------------


def seal(
    envelope: Any,
    stream: Any,
    buffers: Any,
    trailer: Any,
    policy: Policy,
    *,
    source: str = "the pickle",
) -> VersionedEstimator:
    """A sealed wrapper around the parts of a model file.

    The envelope and trailer are checked for shape first; under
    ``on_mismatch="error"`` the environment is checked too, here, when the
    file is read: a strict service fails at load, not at its first request.
    """
    validate(envelope, source=source)
    if isinstance(trailer, Trailer):  # copy.copy hands over the object itself
        trailer = trailer.result()
    elif isinstance(trailer, _TrailerParts):
        trailer = trailer.data
    if envelope["format_version"] >= 2:
        if trailer is None:
            raise EnvelopeError(f"{source} has no trailer: it was truncated.")
        validate_trailer(trailer, envelope, source=source)
    if not isinstance(stream, (bytes, bytearray)) or not isinstance(buffers, list):
        raise EnvelopeError(
            f"{source} has a malformed payload: it is corrupt or crafted."
        )
    if policy.on_mismatch == "error":
        found = environment_error(envelope, policy.on_mismatch)
        if found is not None:
            raise EnvironmentMismatchError(found[0], report=found[1])
    obj = VersionedEstimator.__new__(VersionedEstimator)
    probe_size = envelope.get("probe_size")
    obj.__dict__.update(
        metadata=envelope.get("metadata") or None,
        probe_size=probe_size if isinstance(probe_size, int) else 5,
        _sealed=Sealed(envelope, bytes(stream), buffers, trailer, policy),
        _lock=threading.RLock(),
    )
    return obj


def _rebuild(*parts: Any) -> Any:
    """Unpickling entry point: a sealed wrapper under the current config.

    ``_rebuild(envelope, stream, buffers)`` (format 1) or ``_rebuild(envelope,
    stream, buffers, trailer)`` (format 2); ``_rebuild(trailer)`` returns the
    trailer itself (format 2 writes it after the buffers, as a call to this
    same function, so that a file names one global only).
    """
    if len(parts) == 1:
        if not isinstance(parts[0], dict):
            raise EnvelopeError("The pickle holds a malformed trailer.")
        return parts[0]
    if len(parts) not in (3, 4):
        raise EnvelopeError(
            f"The pickle calls versioned_estimator._rebuild with {len(parts)} "
            "arguments: it is corrupt, or not written by versioned-estimator."
        )
    envelope, stream, buffers = parts[:3]
    trailer = parts[3] if len(parts) == 4 else None
    return seal(envelope, stream, buffers, trailer, Policy.from_config(get_config()))


_rebuild.__module__ = "versioned_estimator"
