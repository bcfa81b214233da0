"""``VersionedEstimator``: the meta-estimator, and ``_rebuild``, its pickle entry.

A fitted wrapper pickles as ``(_rebuild, (envelope, stream, buffers,
trailer))``, built from its current state every time (``_pickling``): a
change made after a first pickle always reaches the next one.

``_rebuild`` returns the wrapper *sealed* (see ``_lazy``): the first method
call, ``estimator_``, a fitted attribute or ``get_params`` materializes it,
once, under a lock.
"""

from __future__ import annotations

import contextlib
import copy
import copyreg
import inspect
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from functools import update_wrapper
from types import MethodType
from typing import TYPE_CHECKING, Any

import numpy as np
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
from versioned_estimator._errors import (
    EnvelopeError,
    EnvironmentMismatchError,
    VersionedEstimatorError,
)
from versioned_estimator._format import check_json_safe, own_texts
from versioned_estimator._provenance import created_at, schema_of, training_git_state
from versioned_estimator._rows import capture_rows, decode_input, n_rows

if TYPE_CHECKING:
    from versioned_estimator._envelope import Envelope
    from versioned_estimator._lazy import Policy, Sealed
    from versioned_estimator._probe import VerificationReport

# Imported where used, not here: a loky worker that unpickles a wrapper to fit
# and score clones needs neither the envelope's validation (``_envelope``),
# the description of a model for its file (``_describe``) nor the probe's
# replay (``_probe``).

__all__ = ["DELEGATED_METHODS", "UNRECORDED_METHODS", "VersionedEstimator", "_rebuild"]

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

# Why a wrapped model has no probe, and what to do (verify's report).
NO_PROBE = "no probe: pass probe=X to wrap"
# Methods the envelope does not record (its ``methods``): a sealed wrapper
# loads its model to answer ``hasattr`` for them.
UNRECORDED_METHODS = ("sparsify", "densify", "set_callbacks")
# Arguments that are data, never metadata: scikit-learn's routing leaves them
# out of every request, and so does the wrapper.
_DATA_ARGS = frozenset({"X", "y", "Y", "Xt", "yt"})
# The methods scikit-learn's metadata routing knows (not ``score_samples``).
_ROUTED_METHODS = frozenset(
    {
        "fit",
        "partial_fit",
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "score",
        "transform",
        "inverse_transform",
        "fit_transform",
        "fit_predict",
    }
)

# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------


def _inner_has(method: str) -> Callable[[Any], bool]:
    """Does the inner estimator have ``method``?

    A sealed wrapper answers from its envelope, without loading the model,
    for the methods the envelope records (``DELEGATED_METHODS``).
    """

    def check(self: VersionedEstimator) -> bool:
        state = self.__dict__
        sealed = state.get("_sealed")
        if sealed is not None:
            if method in DELEGATED_METHODS:
                return method in sealed.envelope.get("methods", ())
            self._materialize()
        if "estimator_" in state:
            return hasattr(state["estimator_"], method)
        return hasattr(self.estimator, method)

    return check


class _Delegated:
    """A method of the wrapper that calls the inner estimator's.

    As ``available_if`` does, it exists exactly when the inner estimator has
    the method (``hasattr`` tells the truth). Unlike it, the bound method
    shows the inner method's own signature to ``inspect.signature`` (so
    ``has_fit_parameter(wrapper, "sample_weight")`` answers as for the inner
    estimator, and AdaBoost, calibration and scorers pass the weights on).
    ``fit`` exists always; its signature is the ``estimator`` parameter's.
    """

    def __init__(self, fn: Callable[..., Any], *, always: bool = False) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.always = always
        self.check = _inner_has(self.name)
        update_wrapper(self, fn)  # type: ignore[arg-type]

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.fn
        if not self.always:
            try:
                present = self.check(obj)
            except AttributeError:
                present = False
            if not present:
                raise AttributeError(
                    f"This {type(obj).__name__!r} has no attribute {self.name!r}: "
                    "its estimator has none."
                )
        return MethodType(_SignedFunction(self, obj), obj)


def _delegated(fn: Callable[..., Any]) -> Any:
    """Decorator: a method present when the inner estimator has it."""
    return _Delegated(fn)


def _always(fn: Callable[..., Any]) -> Any:
    """Decorator: a method always present, with the inner one's signature."""
    return _Delegated(fn, always=True)


class _SignedFunction:
    """The function behind a delegated bound method: it runs the wrapper's
    code and shows, as ``__signature__``, the inner estimator's method's
    parameters after a leading ``self``. Its ``__name__`` is the method's, so
    that the bound method pickles as ``getattr(wrapper, name)``."""

    def __init__(self, delegated: _Delegated, obj: Any) -> None:
        self._delegated = delegated
        self._obj = obj
        self._signature: inspect.Signature | None = None
        fn = delegated.fn
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._delegated.fn(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _SignedFunction)
            and other._delegated is self._delegated
            and other._obj is self._obj
        )

    def __hash__(self) -> int:
        return hash((id(self._delegated), id(self._obj)))

    @property
    def __signature__(self) -> inspect.Signature:
        if self._signature is None:
            self._signature = _signature_for(
                self._obj, self._delegated.name, self._delegated.fn
            )
        return self._signature


def _signature_for(obj: Any, method: str, fn: Callable[..., Any]) -> inspect.Signature:
    """``self`` then the parameters of ``method`` of the estimator that will
    run it: ``estimator`` for the fitting methods that start from a clone,
    else ``estimator_`` once fitted. The wrapper's own signature when the
    inner one cannot be read."""
    state = obj.__dict__
    if "_sealed" in state:
        obj._materialize()
    if method in ("fit", "fit_transform", "fit_predict") or "estimator_" not in state:
        inner = obj.estimator
    else:
        inner = state["estimator_"]
    try:
        found = inspect.signature(getattr(inner, method))
        first = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        return found.replace(parameters=[first, *found.parameters.values()])
    except (AttributeError, TypeError, ValueError):
        return inspect.signature(fn)


def _positional_metadata(
    func: Any, args: tuple[Any, ...], params: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Under metadata routing: the positional arguments after ``X`` that the
    inner method names as metadata (``fit(X, y, w)``: ``sample_weight``),
    moved to keywords so that they are routed too; data (``y``, ``Y``) stay."""
    if not args:
        return args, params
    try:
        named = list(inspect.signature(func).parameters.values())[1:]
    except (TypeError, ValueError):
        return args, params
    keep = 0
    while keep < len(args) and keep < len(named) and named[keep].name in _DATA_ARGS:
        keep += 1
    targets = named[keep : len(args)]
    if len(targets) < len(args) - keep or any(
        p.kind != inspect.Parameter.POSITIONAL_OR_KEYWORD or p.name in params
        for p in targets
    ):
        return args, params  # the inner method raises its own error
    moved = {p.name: value for p, value in zip(targets, args[keep:], strict=True)}
    return args[:keep], {**params, **moved}


def _is_fitted_name(name: str) -> bool:
    return name.endswith("_") and not name.startswith("_")


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


# ----------------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------------

# The parameter names of each class (``VersionedEstimator._get_param_names``);
# a subclass redefined in a notebook is a new class, and the old one goes.
_PARAM_NAMES: weakref.WeakKeyDictionary[type, tuple[str, ...]] = (
    weakref.WeakKeyDictionary()
)


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
            self._require_fitted()
        if "_sealed" in state and (
            name in ("estimator", "estimator_") or _is_fitted_name(name)
        ):
            self._materialize()
            return getattr(self, name)
        if name == "estimator" and "estimator_" in state:
            # A loaded model's parameter: an unfitted clone, made once, lazily.
            with state.get("_lock") or threading.RLock():
                if "estimator" not in state:
                    state["estimator"] = _unfitted_copy(state["estimator_"])
            return state["estimator"]
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
                from versioned_estimator._describe import tags_from_plain

                try:
                    return tags_from_plain(plain)
                except (TypeError, ValueError):
                    pass
            self._materialize()
        inner = self.__dict__.get("estimator_")
        if inner is None:
            inner = self.estimator
        # The inner estimator's own, as FrozenEstimator gives them: get_tags
        # builds them anew on every call (a deep copy cost 30 us, twice in
        # every task of a search).
        return get_tags(inner)

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
            template = sealed.template
            if template is not None:
                state["estimator"] = template
            # else: the ``estimator`` parameter is an unfitted clone of the
            # loaded one, made when first asked for (``__getattr__``).
            from versioned_estimator._describe import provenance_from

            state.update(
                _provenance=provenance_from(envelope),
                _saved_outputs=sealed.outputs,
                _loaded_envelope=(envelope, sealed.trailer),
            )
            if sealed.report is not None:
                state["_verification"] = sealed.report
            state["estimator_"] = inner
            del state["_sealed"]

    def _call(
        self, inner: Any, method: str, X: Any, args: tuple[Any, ...], params: Any
    ) -> Any:
        """``inner.method(X, *args, **params)``, the metadata routed first when
        routing is on (``score_samples``, which scikit-learn cannot route, is
        passed as given): unrequested metadata is an error there, and aliases
        (``set_predict_request(w="weights")``) are followed."""
        func = getattr(inner, method)
        if _routing_enabled() and method in _ROUTED_METHODS:
            args, params = _positional_metadata(func, args, dict(params))
            data = {k: params.pop(k) for k in list(params) if k in _DATA_ARGS}
            routed = process_routing(self, method, **params)
            params = {**data, **routed.estimator[method]}
        return func(X, *args, **params)

    @contextlib.contextmanager
    def _callbacks_to(self, inner: Any) -> Iterator[None]:
        """While ``inner`` fits: the callbacks set on the wrapper
        (``set_callbacks``, or auto-propagated to it by an outer
        meta-estimator) and the outer task context are the inner estimator's,
        so they see its fit as they would see it bare (the wrapper adds no
        task of its own). Afterwards ``inner`` has its own callbacks again: the
        fitted model never pickles them."""
        state = self.__dict__
        callbacks = list(state.get("_skl_callbacks") or ())
        parent = state.get("_parent_callback_ctx")
        inner_state = getattr(inner, "__dict__", {})
        own = inner_state.get("_skl_callbacks")
        added = bool(callbacks) and hasattr(inner, "set_callbacks")
        if added:
            extra = [c for c in callbacks if all(c is not o for o in own or ())]
            inner.set_callbacks(*(own or ()), *extra)
        if parent is not None:
            inner._parent_callback_ctx = parent
        try:
            yield
        finally:
            if parent is not None:
                inner_state.pop("_parent_callback_ctx", None)
            if added:
                inner.set_callbacks(*(own or ()))

    def _capture(self, X: Any, *, probe_X: Any = None, n_samples: bool = True) -> None:
        """Record provenance once, at fit or wrap time: when, which commit, the
        data's schema and the probe rows (their outputs are recorded when the
        model is pickled, from the model as it is then)."""
        inner = self.__dict__["estimator_"]
        schema = own_texts(schema_of(X, inner))
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

    @_always
    def fit(self, X: Any, *args: Any, **fit_params: Any) -> VersionedEstimator:
        """Fit a clone of ``estimator`` and capture its provenance.

        The signature is the wrapped estimator's (``inspect.signature``,
        ``has_fit_parameter``): ``fit(X, y, sample_weight=None)`` for a
        ``LogisticRegression``. Arguments are passed on as given; with
        metadata routing on, metadata (``sample_weight`` ...) is routed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        *args : tuple
            Passed to the inner ``fit`` (``y`` ...).
        **fit_params : dict
            Passed to the inner ``fit``, routed when metadata routing is on.

        Returns
        -------
        self : VersionedEstimator
            The fitted wrapper.

        Examples
        --------
        >>> import inspect
        >>> from sklearn.linear_model import LogisticRegression
        >>> model = VersionedEstimator(LogisticRegression())
        >>> "sample_weight" in inspect.signature(model.fit).parameters
        True
        >>> model.fit([[0.0], [1.0]], [0, 1], sample_weight=[1.0, 2.0]).classes_
        array([0, 1])
        """
        estimator = self._start_fit()
        with self._callbacks_to(estimator):
            self._call(estimator, "fit", X, args, fit_params)
        self.estimator_ = estimator
        self._capture(X)
        return self

    @_delegated
    def fit_transform(self, X: Any, *args: Any, **fit_params: Any) -> Any:
        """Fit a clone of ``estimator`` and return its transform of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        *args : tuple
            Passed to the inner ``fit_transform`` (``y`` ...).
        **fit_params : dict
            Passed to the inner ``fit_transform``, routed when metadata
            routing is on.

        Returns
        -------
        X_new : array-like
            What the inner ``fit_transform`` returns.

        Examples
        --------
        >>> from sklearn.preprocessing import StandardScaler
        >>> VersionedEstimator(StandardScaler()).fit_transform([[0.0], [2.0]])
        array([[-1.],
               [ 1.]])
        """
        estimator = self._start_fit()
        with self._callbacks_to(estimator):
            out = self._call(estimator, "fit_transform", X, args, fit_params)
        self.estimator_ = estimator
        self._capture(X)
        return out

    @_delegated
    def fit_predict(self, X: Any, *args: Any, **fit_params: Any) -> Any:
        """Fit a clone of ``estimator`` and return its predictions on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        *args : tuple
            Passed to the inner ``fit_predict`` (``y`` ...).
        **fit_params : dict
            Passed to the inner ``fit_predict``, routed when metadata routing
            is on.

        Returns
        -------
        labels : ndarray
            What the inner ``fit_predict`` returns.

        Examples
        --------
        >>> from sklearn.cluster import KMeans
        >>> model = VersionedEstimator(KMeans(n_clusters=2, n_init=1, random_state=0))
        >>> labels = model.fit_predict([[0.0], [0.1], [5.0], [5.1]])
        >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
        True
        """
        estimator = self._start_fit()
        with self._callbacks_to(estimator):
            out = self._call(estimator, "fit_predict", X, args, fit_params)
        self.estimator_ = estimator
        self._capture(X)
        return out

    @_delegated
    def partial_fit(self, X: Any, *args: Any, **fit_params: Any) -> VersionedEstimator:
        """Update the inner estimator on a batch (a clone of ``estimator`` on
        the first); the envelope's ``n_samples`` counts every row seen.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch.
        *args : tuple
            Passed to the inner ``partial_fit`` (``y``, ``classes`` ...).
        **fit_params : dict
            Passed to the inner ``partial_fit``, routed when metadata routing
            is on.

        Returns
        -------
        self : VersionedEstimator
            The updated wrapper.

        Examples
        --------
        >>> from sklearn.naive_bayes import GaussianNB
        >>> model = VersionedEstimator(GaussianNB())
        >>> model = model.partial_fit([[0.0], [1.0]], [0, 1], classes=[0, 1])
        >>> model = model.partial_fit([[0.2], [0.9], [0.8]], [0, 1, 1])
        >>> model.envelope.schema["n_samples"]
        5
        """
        self._materialize()
        self._check_params()
        first = "estimator_" not in self.__dict__
        if first:
            self.estimator_ = clone(self.estimator)
        with self._callbacks_to(self.estimator_):
            self._call(self.estimator_, "partial_fit", X, args, fit_params)
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
            **Without it, drift is not checked**: nothing records what the
            model predicted, so a load that predicts something else goes
            unnoticed. ``verify()`` then reports "no probe: pass probe=X to
            wrap". A few rows of the training data are enough.

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
        n_probe = 0 if probe is None else n_rows(probe)
        self = cls(_unfitted_copy(fitted), metadata=metadata, probe_size=n_probe)
        self._check_params()
        self.estimator_ = fitted
        self._capture(probe, n_samples=False)
        return self

    # -- parameters -------------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        # scikit-learn reads them off the signature of __init__ at every
        # get_params: clone reads them twice and set_params once, in every
        # task of a search (15 us each). The signature of a class is fixed.
        names = _PARAM_NAMES.get(cls)
        if names is None:
            names = _PARAM_NAMES[cls] = tuple(super()._get_param_names())
        return list(names)

    def set_params(self, **params: Any) -> VersionedEstimator:
        """Set parameters (``estimator__C=...`` reaches the inner estimator)."""
        inner: Any = self.__dict__.get("estimator")
        if (
            params
            and all(key.startswith("estimator__") for key in params)
            and hasattr(inner, "set_params")
        ):
            # A search's every task: straight to the inner estimator, which
            # checks the names (scikit-learn's path reads every parameter
            # of both first: 15 us).
            inner.set_params(**{key[11:]: value for key, value in params.items()})
        else:
            super().set_params(**params)
        self.__dict__.pop("_loaded_envelope", None)
        return self

    def get_metadata_routing(self) -> MetadataRouter:
        """Route metadata of every delegated method to the inner estimator.

        Returns
        -------
        MetadataRouter
            Each method (``fit``, ``predict``, ``transform``, ``score`` ...)
            routes to the same method of ``estimator``.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> router = VersionedEstimator(LogisticRegression()).get_metadata_routing()
        >>> type(router).__name__
        'MetadataRouter'
        """
        mapping = MethodMapping()
        for method in sorted(_ROUTED_METHODS):
            mapping.add(caller=method, callee=method)
        return MetadataRouter(owner=type(self).__name__).add(
            estimator=self.estimator, method_mapping=mapping
        )

    # -- delegated methods ------------------------------------------------

    def _fitted(self) -> Any:
        """The estimator that answers: the fitted one, or, for an estimator
        that needs no fit (``requires_fit=False``: ``Normalizer``,
        ``FunctionTransformer``), the unfitted ``estimator`` itself."""
        state = self.__dict__
        if "_sealed" in state:
            self._materialize()
        inner = state.get("estimator_")
        if inner is not None:
            return inner
        if not get_tags(self.estimator).requires_fit:
            return self.estimator
        self._require_fitted()
        return self.estimator_

    def _require_fitted(self) -> None:
        """``NotFittedError`` unless fitted, whatever the inner tags say (an
        unfitted stateless transformer transforms, but has no envelope)."""
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call "
                "'fit' with appropriate arguments before using this estimator."
            )

    def _delegate(self, method: str, X: Any, args: Any, params: Any) -> Any:
        return self._call(self._fitted(), method, X, args, params)

    @_delegated
    def predict(self, X: Any, *args: Any, **params: Any) -> Any:
        """Predict with the inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method.
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        y_pred : ndarray
            What the inner ``predict`` returns.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 2])
        >>> model.predict([[2]])
        array([4.])
        """
        return self._delegate("predict", X, args, params)

    @_delegated
    def predict_proba(self, X: Any, *args: Any, **params: Any) -> Any:
        """Class probabilities from the inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method.
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            What the inner ``predict_proba`` returns.

        Examples
        --------
        >>> from sklearn.dummy import DummyClassifier
        >>> model = VersionedEstimator(DummyClassifier()).fit([[0], [1]], [0, 1])
        >>> model.predict_proba([[0]])
        array([[0.5, 0.5]])
        """
        return self._delegate("predict_proba", X, args, params)

    @_delegated
    def predict_log_proba(self, X: Any, *args: Any, **params: Any) -> Any:
        """Log class probabilities from the inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method.
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            What the inner ``predict_log_proba`` returns.

        Examples
        --------
        >>> from sklearn.dummy import DummyClassifier
        >>> model = VersionedEstimator(DummyClassifier()).fit([[0], [1]], [0, 1])
        >>> model.predict_log_proba([[0]]).round(3)
        array([[-0.693, -0.693]])
        """
        return self._delegate("predict_log_proba", X, args, params)

    @_delegated
    def decision_function(self, X: Any, *args: Any, **params: Any) -> Any:
        """Decision function of the inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method.
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        scores : ndarray
            What the inner ``decision_function`` returns.

        Examples
        --------
        >>> from sklearn.svm import LinearSVC
        >>> model = VersionedEstimator(LinearSVC()).fit([[-1], [1]], [0, 1])
        >>> bool(model.decision_function([[3]])[0] > 0)
        True
        """
        return self._delegate("decision_function", X, args, params)

    @_delegated
    def transform(self, X: Any, *args: Any, **params: Any) -> Any:
        """Transform with the inner estimator.

        An estimator that needs no fit (``Normalizer``) transforms unfitted,
        as it does bare. Positional arguments pass on (``PLSRegression``'s
        ``transform(X, Y)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method (``Y`` ...).
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        X_new : array-like
            What the inner ``transform`` returns.

        Examples
        --------
        >>> from sklearn.preprocessing import Normalizer
        >>> VersionedEstimator(Normalizer()).transform([[3.0, 4.0]])
        array([[0.6, 0.8]])
        """
        return self._delegate("transform", X, args, params)

    @_delegated
    def inverse_transform(self, X: Any, *args: Any, **params: Any) -> Any:
        """Inverse transform with the inner estimator.

        Parameters
        ----------
        X : array-like
            Transformed data.
        *args : tuple
            Passed to the inner method.
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        X_original : array-like
            What the inner ``inverse_transform`` returns.

        Examples
        --------
        >>> from sklearn.preprocessing import StandardScaler
        >>> model = VersionedEstimator(StandardScaler()).fit([[0.0], [2.0]])
        >>> model.inverse_transform([[1.0]])
        array([[2.]])
        """
        return self._delegate("inverse_transform", X, args, params)

    @_delegated
    def score(self, X: Any, *args: Any, **params: Any) -> Any:
        """Score of the inner estimator.

        Its signature is the inner ``score``'s: a scorer that checks for
        ``sample_weight`` (``GridSearchCV(scoring=None)``) passes the weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method (``y`` ...).
        **params : dict
            Passed to the inner method, routed when metadata routing is on.

        Returns
        -------
        score : float
            What the inner ``score`` returns.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 2])
        >>> model.score([[0], [1]], [0, 2])
        1.0
        """
        return self._delegate("score", X, args, params)

    @_delegated
    def score_samples(self, X: Any, *args: Any, **params: Any) -> Any:
        """Per-sample scores of the inner estimator.

        scikit-learn's metadata routing has no ``score_samples``: arguments
        are passed on as given.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        *args : tuple
            Passed to the inner method.
        **params : dict
            Passed to the inner method.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            What the inner ``score_samples`` returns.

        Examples
        --------
        >>> from sklearn.neighbors import KernelDensity
        >>> model = VersionedEstimator(KernelDensity()).fit([[0.0], [1.0]])
        >>> model.score_samples([[0.5]]).shape
        (1,)
        """
        return self._delegate("score_samples", X, args, params)

    @_delegated
    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Output feature names of the inner estimator.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input feature names.

        Returns
        -------
        feature_names_out : ndarray of str
            What the inner ``get_feature_names_out`` returns.

        Examples
        --------
        >>> from sklearn.decomposition import PCA
        >>> model = VersionedEstimator(PCA(n_components=1)).fit([[0, 1], [2, 0]])
        >>> model.get_feature_names_out()
        array(['pca0'], dtype=object)
        """
        return self._fitted().get_feature_names_out(input_features)

    @_delegated
    def sparsify(self) -> VersionedEstimator:
        """Convert the inner estimator's coefficients to a sparse matrix.

        Returns
        -------
        self : VersionedEstimator
            The wrapper (its next pickle holds the sparse coefficients).

        Examples
        --------
        >>> from sklearn.linear_model import SGDClassifier
        >>> model = VersionedEstimator(SGDClassifier(random_state=0))
        >>> model.fit([[0.0, 1.0], [1.0, 0.0]], [0, 1]).sparsify().coef_.format
        'csr'
        """
        self._fitted().sparsify()
        self.__dict__.pop("_loaded_envelope", None)
        return self

    @_delegated
    def densify(self) -> VersionedEstimator:
        """Convert the inner estimator's coefficients to a dense array.

        Returns
        -------
        self : VersionedEstimator
            The wrapper (its next pickle holds the dense coefficients).

        Examples
        --------
        >>> from sklearn.linear_model import SGDClassifier
        >>> model = VersionedEstimator(SGDClassifier(random_state=0))
        >>> model = model.fit([[0.0, 1.0], [1.0, 0.0]], [0, 1]).sparsify()
        >>> type(model.densify().coef_).__name__
        'ndarray'
        """
        self._fitted().densify()
        self.__dict__.pop("_loaded_envelope", None)
        return self

    @_delegated
    def set_callbacks(self, *callbacks: Any) -> VersionedEstimator:
        """Set callbacks (scikit-learn >= 1.9) for the inner estimator's fit.

        They are kept on the wrapper (``clone`` keeps them) and handed to the
        clone that ``fit`` fits, for that fit only; an outer meta-estimator
        propagates its auto-propagated callbacks (``ProgressBar``) through the
        wrapper the same way. The fitted model does not pickle them.

        Parameters
        ----------
        *callbacks : callback instances
            The callbacks; none clears them.

        Returns
        -------
        self : VersionedEstimator
            The wrapper.
        """
        from sklearn.callback import CallbackSupportMixin

        CallbackSupportMixin.set_callbacks(self, *callbacks)
        return self

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

    def _sk_visual_block_(self) -> Any:
        """scikit-learn's diagram of the wrapper: its fitted model once there
        is one, as a search shows its ``best_estimator_`` (the ``estimator``
        parameter is a template: drawn as fitted, an unfitted one-to-one
        ``FunctionTransformer`` in it broke the diagram)."""
        try:
            from sklearn.utils._repr_html.estimator import _VisualBlock
        except ImportError:  # scikit-learn 1.6
            from sklearn.utils._estimator_html_repr import _VisualBlock

        fitted = self.__dict__.get("estimator_")
        key, shown = (
            ("estimator", self.estimator) if fitted is None else ("estimator_", fitted)
        )
        return _VisualBlock(
            "parallel",
            [shown],
            names=[f"{key}: {type(shown).__name__}"],
            name_details=[str(shown)],
        )

    def _html_repr(self) -> str:
        """scikit-learn's diagram beside the envelope card (Jupyter)."""
        from versioned_estimator._html import envelope_card

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
        from versioned_estimator._envelope import Envelope

        sealed = self.__dict__.get("_sealed")
        if sealed is not None:
            return Envelope(sealed.envelope, sealed.trailer)
        loaded = self.__dict__.get("_loaded_envelope")
        if loaded is not None:
            return Envelope(*loaded)
        self._require_fitted()
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
        (False, ['schema.n_features', 'predict(X)'])
        """
        from versioned_estimator._probe import ProbeCheck, record_outputs, replay

        self._require_fitted()
        inner = self._fitted()
        provenance = self.__dict__["_provenance"]
        probe = provenance.get("probe")
        outputs = self.__dict__.get("_saved_outputs")
        if outputs is None and probe:
            outputs = record_outputs(inner, decode_input(probe["X"]))
        report = replay(inner, probe, outputs)
        if (
            not report.probed
            and (provenance.get("schema") or {}).get("n_samples") is None
        ):
            # Wrapped (wrap) without a probe, not fit with probe_size=0.
            report.skipped = NO_PROBE
        previous = self.__dict__.get("_verification")
        if previous is not None:
            report.remapped = dict(previous.remapped)
            report.globals = list(previous.globals)
        if X is not None:
            from versioned_estimator._describe import schema_checks

            report.data_checks.extend(schema_checks(provenance.get("schema") or {}, X))
            methods = sorted((outputs or {}).keys()) or [
                m for m in ("predict", "transform") if hasattr(inner, m)
            ]
            for method in methods:
                try:
                    getattr(inner, method)(X)
                except Exception as exc:
                    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
                    report.data_checks.append(
                        ProbeCheck(f"{method}(X)", "error", detail[:300])
                    )
                else:
                    report.data_checks.append(ProbeCheck(f"{method}(X)", "ran"))
        return report

    # -- pickling ---------------------------------------------------------

    def _reduce_fitted(self, key: bytes | None = None) -> Any:
        # Imported when a fitted model is first pickled: a loky worker that
        # only fits and scores clones never loads the writing and reading
        # machinery.
        from versioned_estimator._describe import (
            class_path,
            describe_params,
            evaluation_of,
            tags_to_plain,
        )
        from versioned_estimator._pickling import reduce_fitted

        state = self.__dict__
        inner = state["estimator_"]
        provenance = dict(state["_provenance"])
        provenance.update(
            metadata=own_texts(check_json_safe(self.metadata or {}, "metadata")),
            probe_size=self.probe_size,
            probe=_probe_for(provenance.get("probe"), self.probe_size),
        )

        def derive() -> dict[str, Any]:
            return {
                "estimator_class": class_path(inner),
                "params": own_texts(describe_params(inner)),
                "methods": [m for m in DELEGATED_METHODS if hasattr(inner, m)],
                "tags": tags_to_plain(get_tags(inner)),
                "evaluation": own_texts(evaluation_of(inner)),
            }

        cache = state.setdefault("_cache", {})
        return reduce_fitted(
            inner, state.get("estimator"), provenance, derive, cache, _rebuild, key=key
        )

    def __reduce_ex__(self, protocol: Any) -> Any:
        state = self.__dict__
        sealed: Sealed | None = state.get("_sealed")
        if sealed is not None and not sealed.policy.travels():
            # Read under an allow-list, a key, aliases or a policy of its own:
            # opened here under it, then pickled as a fitted model. Its parts
            # as read would be opened under whatever config the reader has (a
            # loky worker has none: a stream naming os.system, read under
            # set_config(trusted=[]), ran in the worker, round 167).
            self._materialize()
            sealed = None
        if sealed is not None:
            return (_rebuild, _parts_of(sealed))
        if "estimator_" not in state:
            # Unfitted: parameters only (clones shipped to GridSearchCV workers).
            newobj = copyreg.__newobj__  # type: ignore[attr-defined]
            return (newobj, (type(self),), self.__getstate__())
        return self._reduce_fitted()

    def __reduce__(self) -> Any:
        return self.__reduce_ex__(5)

    def __copy__(self) -> Any:
        return self._copied(None)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self._copied(memo)

    def _copied(self, memo: dict[int, Any] | None) -> Any:
        """A copy (deep with ``memo``), as pickling makes it; of a sealed
        model (read, not used yet), sealed under the policies it was read
        with, not those in force when it is copied: a copy made outside the
        ``config_context`` a model was read in left its allow-list, its
        ``verify="full"`` and its aliases behind, and a stream running
        ``os.system`` ran at its first use (round 163)."""
        sealed: Sealed | None = self.__dict__.get("_sealed")
        if sealed is None:
            func, args, *rest = self.__reduce_ex__(4)
            return copy._reconstruct(self, memo, func, args, *rest)  # type: ignore[attr-defined]
        args = _parts_of(sealed)
        if memo is not None:
            args = copy.deepcopy(args, memo)
        envelope, stream, buffers, *trailer = args
        copied = seal(
            envelope, stream, buffers, trailer[0] if trailer else None, sealed.policy
        )
        copied.__dict__["_sealed"].most_ops = sealed.most_ops
        return copied

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


def _parts_of(sealed: Sealed) -> tuple[Any, ...]:
    """A sealed model's parts as they were read (not used yet, so not
    changed), to pickle again."""
    buffers = [
        b.view(np.ndarray) if isinstance(b, np.memmap) else b for b in sealed.buffers
    ]
    parts: tuple[Any, ...] = (sealed.envelope, sealed.stream, buffers)
    if sealed.format_version >= 2:
        parts += (_TrailerParts(sealed.trailer),)
    return parts


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
    from versioned_estimator._envelope import validate, validate_trailer
    from versioned_estimator._lazy import Sealed, environment_error

    validate(envelope, source=source)
    # copy.copy hands over the Trailer itself; a process that never pickled
    # a model has none (and need not import the writer to tell).
    writer = sys.modules.get("versioned_estimator._pickling")
    if writer is not None and isinstance(trailer, writer.Trailer):
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
    from versioned_estimator._lazy import Policy

    envelope, stream, buffers = parts[:3]
    trailer = parts[3] if len(parts) == 4 else None
    return seal(envelope, stream, buffers, trailer, Policy.from_config(get_config()))


_rebuild.__module__ = "versioned_estimator"
