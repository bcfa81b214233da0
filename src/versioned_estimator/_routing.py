"""Metadata requests: a safe load admits only what ``set_*_request`` builds.

An estimator (or scorer) whose metadata requests were set keeps them in
``_metadata_request``: a ``MetadataRequest`` holding one
``MethodMetadataRequest`` a method, each a dict of requests, all naming one
``owner`` (the object ``set_*_request`` was called on: the estimator
itself, the one a clone was made of; its class's name in earlier
releases). ``sklearn.clone``, ``get_metadata_routing`` and every routed fit
rebuild that structure by walking it, ten methods a request: a request held
in a request's method slot, ten slots of one child nested seven deep, made
``clone`` run 10**7 steps from 7.5 MB (round 173). Nothing but this
structure is admitted, whatever holds it. The walk (``_walk``) judges an
owner's type but counts no reference to it: only its class's name is shown.
"""

from __future__ import annotations

from typing import Any

from sklearn.utils._metadata_requests import (
    SIMPLE_METHODS,
    MetadataRequest,
    MethodMetadataRequest,
)

__all__ = ["REQUEST_TYPES", "method_request", "metadata_request", "request_owned_by"]

#: The longest name of a metadata parameter, an alias or an owner's name.
MAX_REQUEST_NAME = 256

REQUEST_TYPES = (MetadataRequest, MethodMetadataRequest)

_METHODS = frozenset(SIMPLE_METHODS)
_METHOD_STATE = frozenset({"_requests", "owner", "method"})


def _name(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= MAX_REQUEST_NAME


def _owner(value: Any) -> bool:
    """An owner: None, a class's name, or an instance with a state of its
    own (an estimator, a scorer: the walk judged what it is; routing shows
    its class's name, a warning its repr)."""
    state = getattr(value, "__dict__", None)
    return value is None or _name(value) or isinstance(state, dict)


def method_request(request: Any) -> str | None:
    """What is wrong with a ``MethodMetadataRequest``, or None: its state is
    a method's name, an owner and a dict of requests, each a parameter's
    name mapped to True, False, None or an alias. Not scikit-learn's
    ``"$WARN$"`` marker, which no class of it declares: a request marked so
    formats its owner whole into a warning at every call (round 174: one
    owner of 100,000 items under 32 requests made a score 15 times as long);
    ``"$UNUSED$"`` is never kept."""
    state = getattr(request, "__dict__", None)
    if not isinstance(state, dict) or set(state) != _METHOD_STATE:
        return "a method's metadata request whose state is not one scikit-learn makes"
    requests = state["_requests"]
    if state["method"] not in _METHODS or not _owner(state["owner"]):
        return "a method's metadata request of an unknown method or owner"
    if type(requests) is not dict:
        return "a method's metadata request whose requests are not a dict"
    for param, alias in requests.items():
        if not (_name(param) and param.isidentifier()):
            return "a metadata request for a parameter that is not a name"
        if alias is True or alias is False or alias is None:
            continue
        if not (_name(alias) and alias.isidentifier()):
            return "a metadata request whose alias is not a name"
    return None


def metadata_request(request: Any) -> str | None:
    """What is wrong with a ``MetadataRequest``, or None: an owner and a
    method's request of its own for each method it names, for that method
    and that owner (each judged on its own by :func:`method_request`, as the
    walk meets it)."""
    state = getattr(request, "__dict__", None)
    if not isinstance(state, dict) or "owner" not in state:
        return "a metadata request without an owner"
    owner = state["owner"]
    if not _owner(owner):
        return "a metadata request whose owner is not an object or a name"
    seen: set[int] = set()
    for method, held in state.items():
        if method == "owner":
            continue
        if method not in _METHODS or type(held) is not MethodMetadataRequest:
            return (
                f"a metadata request holding {str(method)[:40]!r}, which is "
                "not one method's request"
            )
        if id(held) in seen or held.__dict__.get("method") != method:
            return "a metadata request whose methods share a request or swap names"
        seen.add(id(held))
        # Its own state is judged as the walk meets it (method_request).
        mine = held.__dict__.get("owner")
        if not (mine is owner or (type(owner) is str and mine == owner)):
            return "a metadata request whose methods name another owner"
    return None


def request_owned_by(holder: Any, request: Any) -> bool:
    """Whether ``request``, held in ``holder._metadata_request``, is the
    structure ``set_*_request`` leaves there: a ``MetadataRequest`` whose
    owner is a name, None, ``holder`` or another instance of its class (a
    clone keeps the owner it was cloned from)."""
    if type(request) is not MetadataRequest:
        return False
    owner = request.__dict__.get("owner")
    return owner is None or _name(owner) or type(owner) is type(holder)
