"""The walk: a safe load's last check, over the loaded graph before any
of the model's methods runs.

Every object reachable through containers, instance dicts and slots, object
arrays and partials must be plain data, a numpy array, dtype or scalar, a
global the stream resolved, or an instance of a class the allow-list names;
its state may set no name its class defines (a method, ``SVR._impl``); its
floats must be numbers fit makes (``_magnitudes``: none a processor computes
with slowly); the graph may not refer to its parts far more often than it
holds them; and every estimator's fitted state and compiled-code structures
must pass
``_structures`` (which hands estimators to ``_fitted_state``,
``_class_checks``, ``_shapes`` and ``_refit``). Only a safe load imports this module: a
model unpickled by pickle or joblib pays for none of the checks.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import types
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from versioned_estimator._allowlist import Allowed
from versioned_estimator._fitted_state import graph_width
from versioned_estimator._inner import (
    MAX_DTYPE_DEPTH,
    MAX_DTYPE_FIELDS,
    MAX_NESTING,
    dtype_layout,
)
from versioned_estimator._magnitudes import (
    BATCHED,
    BATCHED_MOST,
    MOMENT_DTYPES,
    slow_array,
    slow_arrays,
    slow_moments,
    slow_number,
    slow_numbers,
    slow_scalars,
)
from versioned_estimator._members import LEAF_LINKS
from versioned_estimator._routing import REQUEST_TYPES
from versioned_estimator._shapes import CONTAINER_TYPES, SCALARS, param_names
from versioned_estimator._structures import check_structure, covering

__all__ = ["MAX_EXPANSION", "MAX_WALK", "walk_loaded"]


#: Values with nothing in them to walk. A slice and a bytearray are objects
#: pickle memoizes, so each reference to one more is two bytes of stream:
#: they are counted as references (10**6 to one slice in a scorer's keywords
#: were 23 characters each in its repr, round 185).
_PLAIN_TYPES = frozenset({*SCALARS, complex, range, type(Ellipsis)})
_CONTAINERS = (list, tuple, set, frozenset)
_PLAIN_FLOATS = frozenset({float, complex})
_FLOATS = frozenset(
    {np.float64, np.float32, np.longdouble, np.complex128, np.complex64, np.clongdouble}
)
MAX_WALK = 50_000_000
_LEAVE = object()


def walk_loaded(
    root: Any,
    allowed: Allowed,
    resolved: AbstractSet[int],
    made: AbstractSet[int] = frozenset(),
    most_references: int = MAX_WALK,
) -> str | None:
    """Why the loaded graph holds an object the allow-list does not name, or
    a compiled structure that would read outside its memory, or refers again
    to objects it holds more than ``most_references`` times
    (:func:`_inner.most_references`); None when fine.

    Every object reachable through containers, instance dicts and slots,
    object arrays and partials must be plain data, a numpy array, dtype or
    scalar, a global the stream resolved (``resolved`` ids), or an instance
    of a class the allow-list names (or that code the caller trusted made,
    ``made`` ids); the trees, predictors and support
    vector models among them must pass ``_structures.check_structure``.
    """
    with covering():
        try:
            return _walk(root, allowed, resolved, made, most_references)
        except _Cycle:
            return (
                "an object that holds, through its members, an object that "
                "holds it (fit makes no cycle; code recursing over members "
                "follows one path by path)"
            )


class _Cycle(Exception):
    """:func:`_expansion` met a member still being counted: a cycle, which
    every count would take for nothing, whichever count met it first."""


#: Small float arrays judged at once (:func:`_magnitudes.slow_arrays`).
_SMALL_BATCH = 4096


def _walk(
    root: Any,
    allowed: Allowed,
    resolved: AbstractSet[int],
    made: AbstractSet[int],
    most_references: int,
) -> str | None:
    seen: set[int] = set()
    stack = [root]
    count = 0
    references = 0  # objects met again
    depth = 0  # containers open on the path to the current object
    # The graph as the walk meets it, for the expansion bound: the members of
    # every container and object (by id), and every node's own weight.
    members: dict[int, list[int]] = {}
    weight: dict[int, int] = {}
    # What the walk made to reach members (a mapping's item pairs) lives as
    # long as the walk: an id is only an object's while the object lives.
    alive: list[list[Any]] = []
    # The Bunches of estimators an ensemble names (where scikit-learn keeps
    # them), by id: any other is refused.
    named: set[int] = set()
    # References no method follows, as {holder: member}: an ensemble's
    # named_estimators_ Bunch and a search's cv_results_ dict (its
    # candidates, each held twice there). The bounds on what methods run
    # leave out that one reference, not the object: reached another way, it
    # counts (round 47 hid a pipeline's own steps under the name).
    unrun: dict[int, int] = {}
    repeated = False  # an object with members or plain values met again
    shared_data = False  # an array of `data` (below) met again
    leaf_repeats = 0  # objects without members met again
    # Objects whose structures and fitted state are checked once the whole
    # graph has passed the walk's own bounds (a check reads members: a list
    # nested 40 deep compared, or 2**27 items of a label array made, before
    # the walk met them, hung the load). Parents come before their parts, as
    # popped: a model's check covers its trees in bulk.
    pending: list[Any] = []
    # Fitted parts (estimators fitted, compiled trees), for the owners bound
    # (:func:`_shared_fitted_part`).
    fitted: set[int] = set()
    # Every estimator and kernel, fitted or not (a step that keeps nothing,
    # a kernel given as a parameter): what a method may run.
    parts: set[int] = set()
    # Arrays of numbers of MIN_OWNED_ARRAY_BYTES or more, and the references
    # of estimators to the data fit keeps by reference ((holder, member)), for
    # the owners bound (:func:`_shared_data`).
    data: set[int] = set()
    # Every array of numbers, of any size and class (a masked array too):
    # its bytes and ARRAY_OVERHEAD, by id, for the bytes reached
    # (:func:`_data_reached`); and the bytes of those met again, at each.
    arrays: dict[int, int] = {}
    again_bytes = 0
    inputs: set[tuple[int, int]] = set()
    # Fitted models' references to the random generator fit used
    # (:data:`FIT_GENERATORS`, a boosting model's trees' to its one,
    # :func:`_boosting_seeds`): fit's own, copied by no code one by one.
    seeds: set[tuple[int, int]] = set()
    # Metadata requests (by id): the id of the object whose routing each
    # is; and the owners they name that are another object.
    routed: dict[int, int | None] = {}
    foreign_owners: set[int] = set()
    # The masked arrays of searches' results (the only ones fit makes).
    masked: set[int] = set()
    # A column transformer's list of column selectors, one a transformer: a
    # user may give one selector to two transformers.
    selectors: set[int] = set()

    # What the walk asks of every object's class, by class (a boosting
    # model's 200 predictors are one class).
    classes: dict[type, tuple[bool, bool, bool]] = {}
    # dtype_layout's results, by id: dtypes share parts (round 123)
    layouts: dict[int, tuple[tuple[int, int, bool], Any]] = {}

    widest = 0  # the widest data an estimator was fitted on (n_features_in_)
    longest_text = 0  # the most characters (str) or bytes of a plain value
    slow: list[str] = []  # numbers a method would compute with slowly, and why
    small: list[np.ndarray] = []  # small float arrays, judged together
    scalars: list[Any] = []  # numpy numbers, judged together
    # Numbers and arrays judged already, by id (kept alive by `alive`): one
    # array of 65,536 values held under 60,000 names of one estimator was
    # judged at each, 5 s from 142 KB compressed (round 143).
    weighed: set[int] = set()
    # Text in lists and tuples: the count in each list or tuple holding
    # some, the longest, and each text once (by id), what the file wrote.
    text_items: dict[int, int] = {}
    longest_listed = 0
    listed_text: dict[int, Any] = {}
    # Text held as a plain value anywhere (lists, dicts, sets, object
    # arrays, attributes): each holder's characters past
    # REACHED_TEXT_PER_ITEM an item, and the texts themselves, for the text
    # the file wrote.
    text_chars: dict[int, int] = {}
    held_text: list[list[Any]] = []
    # Estimators' feature_names_in_ arrays (by id), and the characters of
    # those opened, counted only once one is met again: every member of a
    # meta-estimator fitted on a frame holds its column names, one object
    # each (100 members over 2,000 names of 150 characters were refused).
    feature_names: set[int] = set()
    names_chars: dict[int, int] = {}
    # A network optimizer's lists of moments (by id), each with the ids of
    # the arrays of MOMENT_DTYPES it holds: only partial_fit computes with
    # them (MOMENTS), judged after the walk by their own bounds unless held
    # elsewhere too.
    moments: dict[int, frozenset[int]] = {}
    moment_arrays: list[np.ndarray] = []

    def enter(
        obj: Any,
        values: Iterable[Any],
        exempt: AbstractSet[int] = frozenset(),
        *,
        listed: bool = False,
    ) -> list[Any]:
        """Push the members of ``obj`` that are not plain, and return them.
        Its plain members add to its weight: a check that reads a list reads
        them all, however many times the graph refers to the list. Its
        numbers, plain or numpy's, and arrays of numbers are judged as
        referred to here (but those in ``exempt``), each numpy one once
        however many refer to it: exempt under one name, an array no method
        computes with lends that to no other name. ``listed``: ``obj`` is a
        list or tuple, whose text numpy reads as an array of text."""
        nonlocal longest_text, longest_listed
        values = list(values)
        # Sorted by type in C first: a list of 4 x 10**7 Nones, a byte of
        # stream each, took three passes in Python (round 187).
        kinds = set(map(type, values))
        held = (
            []
            if kinds <= _PLAIN_TYPES
            else [v for v in values if type(v) not in _PLAIN_TYPES]
        )
        if len(held) > 1:
            # Each member held twice here is an object met again below:
            # counted now, before anything reads them all.
            again = len(held) - len(set(map(id, held)))
            if again and references + again > most_references:
                slow.append(_too_many_references(most_references))
                return held
        texts: list[Any] = []
        if len(held) < len(values):  # plain values too (most hold none)
            numbers = (
                [v for v in values if type(v) in _PLAIN_FLOATS and id(v) not in exempt]
                if not kinds.isdisjoint(_PLAIN_FLOATS)
                else []
            )
            if numbers:
                problem = slow_numbers(numbers)
                if problem is not None:
                    slow.append(problem)
            if not kinds.isdisjoint(_TEXT_TYPES):
                texts = [v for v in values if type(v) in _TEXT_TYPES]
        # numpy's text scalars are held (numpy objects), and text all the
        # same: an encoder's categories of np.str_, 1,800 features over the
        # same 1,000 of 1,000 characters, made 2.2 GB of names from 2 MB
        # (round 162).
        texts += [v for v in held if isinstance(v, _TEXT_TYPES_ALL)]
        if texts:
            lengths = list(map(len, texts))
            longest_text = max(longest_text, max(lengths))
            chars = sum(lengths) - REACHED_TEXT_PER_ITEM * len(lengths)
            if chars > 0:
                text_chars[id(obj)] = text_chars.get(id(obj), 0) + chars
            held_text.append(texts)
            if listed:
                # each item as wide as the longest (the bound after the walk)
                text_items[id(obj)] = len(texts)
                longest_listed = max(longest_listed, max(lengths))
                listed_text.update(zip(map(id, texts), texts, strict=True))
        for value in held:
            key = id(value)
            if key not in exempt and key not in weighed:
                if type(value) is not np.matrix:  # judged by its holder
                    weighed.add(key)  # once, whatever refers to it (round 143)
                if type(value) in _FLOATS:
                    scalars.append(value)  # judged together, below
                    continue
                if (
                    type(value) is np.ndarray
                    and 0 < value.size <= BATCHED_MOST
                    and value.dtype in BATCHED
                ):
                    small.append(value)  # judged together, below
                    continue
                problem = _slow(obj, value)
                if problem is not None:
                    slow.append(problem)
                    break
        weight[id(obj)] = weight.get(id(obj), 1) + len(values) - len(held)
        alive.append(held)
        members[id(obj)] = members.get(id(obj), []) + [id(v) for v in held]
        stack.extend(held)
        return held

    while stack:
        if len(small) + len(scalars) >= _SMALL_BATCH:
            slow.extend(filter(None, [slow_arrays(small), slow_scalars(scalars)]))
            small.clear()
            scalars.clear()
        if slow:
            return slow[0]
        obj = stack.pop()
        if obj is _LEAVE:
            depth -= 1
            continue
        if id(obj) in seen:
            # Met before, so already opened: its members are known.
            references += 1
            if references > most_references:
                return _too_many_references(most_references)
            if id(obj) in masked:
                # A search's masked column is its results' alone: held as a
                # fitted array too, code computes with what its mask hides
                # from the checks (round 182: a network's rows of subnormal
                # numbers under a mask, predict 50 times as long).
                return "a search's masked column of parameters held elsewhere too"
            if id(obj) in names_chars:  # one array of names, held twice
                text_chars[id(obj)] = names_chars.pop(id(obj))
            if id(obj) in moments:  # held elsewhere too: its arrays judged
                slow.extend(filter(None, (_slow(obj, value) for value in obj)))
            if members.get(id(obj)) or weight.get(id(obj), 1) > 1:
                repeated = True
            elif type(obj) not in _PLAIN_TYPES:
                leaf_repeats += 1
                shared_data = shared_data or id(obj) in data
                again_bytes += arrays.get(id(obj), 0)
            continue
        seen.add(id(obj))
        count += 1
        if count > MAX_WALK:
            return "more objects than any model holds"
        kind = type(obj)
        if kind in _PLAIN_TYPES:
            continue
        # Every other object weighs one in the expansion bound, a numpy
        # number too (weightless, one list of 100,000 references to one
        # scalar, held by 1,000 attributes of 2 bytes each, passed the bound,
        # and the checks read the list once an attribute: past 60 s from
        # 7 KB, round 141).
        weight[id(obj)] = 1
        if kind in CONTAINER_TYPES and not obj:
            # An empty list, tuple, dict or set holds nothing to walk: one
            # step, not a container opened and closed (1.95 million of them,
            # a byte of stream each, took the walk 33 s, round 140).
            continue
        if kind is np.ndarray:
            # The common object of a model, in one step when it holds
            # numbers of a sane width (else judged below), empty ones too
            # (a boosting model's hundreds of empty bitsets) when small.
            dtype = obj.dtype
            if (
                0 < dtype.itemsize <= MAX_ITEM_BYTES
                and not dtype.hasobject
                and (obj.size or _span(obj.shape) <= MAX_EMPTY_SPAN)
            ):
                arrays[id(obj)] = _copied_bytes(obj.nbytes, dtype)
                if obj.nbytes >= MIN_OWNED_ARRAY_BYTES:
                    data.add(id(obj))
                continue
        elif isinstance(obj, np.generic):
            arrays[id(obj)] = _copied_bytes(obj.nbytes, obj.dtype)
            continue
        # A list or tuple of a class of its own (a named tuple, the list a
        # column transformer's remainder keeps) is a container like any, and
        # an object too: a forest's trees in one went unopened (round 52).
        sequence = kind not in _CONTAINERS and isinstance(obj, (list, tuple))
        if kind in _CONTAINERS or kind is dict or sequence:
            if sequence and not allowed.instance_type(kind) and id(kind) not in made:
                return f"an object of {_type_name(kind)}"
            # hash() of a tuple recurses in C without a limit: a tuple nested
            # 10**5 deep crashes the first set() a method builds of it.
            depth += 1
            if depth > MAX_NESTING:
                return f"containers nested more than {MAX_NESTING} deep"
            stack.append(_LEAVE)
            # Plain members are skipped here, not one by one below: a
            # vocabulary holds hundreds of thousands of them.
            if kind is dict:
                enter(obj, obj)
                problem = _widened(obj, "keys") or _widened(obj.values(), "values")
                if problem is not None:
                    return problem
            held = enter(
                obj,
                obj.values() if kind is dict else obj,
                moments.get(id(obj), frozenset()),
                listed=kind is not dict and kind is not set and kind is not frozenset,
            )
            if sequence:
                namespace = getattr(obj, "__dict__", None)
                if isinstance(namespace, dict):
                    enter(obj, namespace.values())
            # Only what is not plain can be a part: a vocabulary's million
            # values are not looked at one by one twice.
            if (
                not slow
                and kind is not set
                and kind is not frozenset
                and id(obj) not in selectors
                and _repeats_a_part(held)
            ):
                return (
                    f"a {kind.__name__} that holds one estimator, step or array "
                    "more than once (fit makes each its own: code runs over "
                    "every place it holds, and each costs the file a reference)"
                )
            continue
        if isinstance(obj, np.ndarray):
            if type(obj) not in (np.ndarray, np.memmap) and not allowed.instance_type(
                type(obj)
            ):
                return f"an array of type {_type_name(type(obj))}"
            if obj.dtype.itemsize > MAX_ITEM_BYTES:
                # Labels of text as wide as this: a predict returns
                # ``classes_[indices]``, a row's bytes each (a few KB of
                # compressed file, gigabytes at 30,000 rows).
                return f"an array of items of {obj.dtype.itemsize} bytes"
            if obj.dtype.itemsize == 0 and obj.size:
                # Items of no bytes: any count of them costs the file nothing,
                # and code that allocates by their count pays for all.
                return f"an array of {obj.size} items of no bytes"
            if not obj.size and _span(obj.shape) > MAX_EMPTY_SPAN:
                # An empty array's other dimensions cost nothing either: a
                # (0, H) layer multiplied by (n, 0) makes (n, H) from nothing.
                return f"an empty array of shape {obj.shape}"
            if not obj.dtype.hasobject:
                arrays[id(obj)] = _copied_bytes(obj.nbytes, obj.dtype)
            held = enter(obj, obj.ravel().tolist()) if obj.dtype.hasobject else []
            if id(obj) in feature_names and id(obj) in text_chars:
                names_chars[id(obj)] = text_chars.pop(id(obj))
            if obj.dtype.hasobject and _repeats_a_part(held) and id(obj) not in masked:
                # An array of objects is a list to the code that loops over
                # it (a discretizer's bin edges, one array per feature); a
                # search's column of a parameter holds one value a candidate,
                # an estimator of the grid in every candidate that tries it.
                return (
                    "an array of objects that holds one estimator, step or "
                    "array more than once (fit makes each its own)"
                )
            if isinstance(obj, np.ma.MaskedArray):
                if id(obj) not in masked:
                    # Checks of values see what the mask leaves, compiled
                    # code all of them (an index of 2**30 behind a mask
                    # crashed a sparse product); scikit-learn keeps masked
                    # arrays only in a search's columns of parameters.
                    return "a masked array outside a search's columns of parameters"
                stack.append(obj.fill_value)
            continue
        if isinstance(obj, np.dtype):
            fields, nested, sub_arrays = dtype_layout(obj, layouts)
            arrays[id(obj)] = _copied_bytes(0, obj, fields)
            if sub_arrays:
                # ('f8', (20000,)) is one item of 20,000 values: code that
                # makes an array of this dtype makes that many per element.
                return f"a dtype of sub-arrays ({obj.str})"[:200]
            if fields > MAX_DTYPE_FIELDS or nested > MAX_DTYPE_DEPTH:
                # numpy walks its fields again at every reference (round 122)
                return (
                    f"a dtype of {fields:,} fields nested {nested} deep ({obj.str})"
                )[:200]
            continue
        if id(obj) in resolved:
            continue  # a class or function the stream named, already judged
        if id(obj) in made:
            continue  # a class or function code the caller trusted made
        if isinstance(obj, functools.partial):
            enter(obj, [obj.func, *obj.args, *(obj.keywords or {}).values()])
            continue
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            name = _type_name(obj)  # type: ignore[arg-type]
            if allowed.named(name):
                continue
            return f"the {'class' if isinstance(obj, type) else 'function'} {name}"
        facts = classes.get(kind)
        if facts is None:
            facts = classes[kind] = _class_facts(kind, allowed, made)
        admitted, by_library, judged = facts
        if not admitted:
            return f"an object of {_type_name(kind)}"
        if isinstance(obj, _RANDOM_TYPES):
            arrays[id(obj)] = _random_copy_bytes(obj)
        if kind.__name__ == "Bunch" and id(obj) not in named:
            # A Bunch answers every attribute with one of its items: as a
            # pipeline step, step.transform is whatever the file put there.
            return (
                f"a {_type_name(kind)} outside an ensemble's named_estimators_ "
                "(it answers any attribute, a method too, with one of its items)"
            )
        namespace = getattr(obj, "__dict__", None)
        if isinstance(namespace, dict):
            names = namespace.get("feature_names_in_")
            if type(names) is np.ndarray:
                feature_names.add(id(names))
            width = namespace.get("n_features_in_")
            if type(width) is int and width > widest:
                widest = width
            if "_rng" in namespace:
                seeds.update(_boosting_seeds(kind, namespace))
            record = _unrun_record(kind, namespace)
            if record is not None:
                unrun[id(obj)] = id(record)
                if type(record) is dict:  # a search's results: columns masked
                    # only its parameters' (a candidate may not set one)
                    masked.update(
                        id(v)
                        for k, v in record.items()
                        if type(v) is np.ma.MaskedArray
                        and type(k) is str
                        and k.startswith("param_")
                    )
                elif type(record).__name__ == "Bunch":
                    named.add(id(record))
            request = namespace.get("_metadata_request")
            if type(request) in REQUEST_TYPES:
                routed[id(request)] = id(obj)
        if judged and isinstance(namespace, dict):
            problem = _hides_class_attribute(kind, namespace)
            if problem is not None:
                return problem
        pending.append(obj)
        estimator_like = hasattr(obj, "get_params")
        if estimator_like:
            parts.add(id(obj))
            if isinstance(namespace, dict):
                for name in INPUT_REFERENCES:
                    if name in namespace:
                        inputs.add((id(obj), id(namespace[name])))
                for name in FIT_GENERATORS:  # not over the state: 10**5 keys
                    generator = namespace.get(name)
                    if isinstance(generator, _RANDOM_TYPES):
                        seeds.add((id(obj), id(generator)))
                if kind.__name__ == "ColumnTransformer" and "_columns" in namespace:
                    selectors.add(id(namespace["_columns"]))
        if _fitted_part(kind, namespace, estimator_like):
            fitted.add(id(obj))
        if by_library:
            continue  # library code built it while loading: its parts are its own
        values: list[Any] = []
        exempt: AbstractSet[int] = frozenset()
        if isinstance(namespace, dict):
            values.extend(namespace.values())
            exempt = _not_multiplied(namespace)
            optimizer = kind.__name__.endswith("Optimizer")
            for name in MOMENTS.get(_type_name(kind), ()) if optimizer else ():
                kept = namespace.get(name)
                if type(kept) is list and id(kept) not in seen:
                    judged_later = [
                        v
                        for v in kept
                        if type(v) is np.ndarray and v.dtype in MOMENT_DTYPES
                    ]
                    moments[id(kept)] = frozenset(map(id, judged_later))
                    moment_arrays.extend(judged_later)
        for slot in _slots(kind):  # type: ignore[arg-type]
            value = getattr(obj, slot, _MISSING)
            if value is not _MISSING:
                values.append(value)
        if isinstance(obj, dict):
            # Items stored by the dict itself (a Bunch, an OrderedDict); any
            # other mapping keeps them in the state walked above (and the
            # abstract Mapping check cost a first load 1 ms, class by class).
            if any(type(k) is str and k.startswith("__") for k in obj):
                # A Bunch answers attributes with its items: copy.deepcopy
                # asked it for __deepcopy__ and called the item (round 172);
                # fit names no step so.
                return f"a {_type_name(kind)} whose items name special attributes"
            values.extend(obj.items())
        if kind.__name__ == "_CFNode" and isinstance(namespace, dict):
            # Birch's leaves link each to the next and the previous, one
            # list through its tree (its check follows it once): walked for
            # their types, not counted as references code recurses over
            # (5,000 honest subclusters counted over 8 times the graph).
            links = [namespace.get(n) for n in LEAF_LINKS]
            values = [v for v in values if all(v is not link for link in links)]
            stack.extend(link for link in links if link is not None)
        elif kind in REQUEST_TYPES and isinstance(namespace, dict):
            # A metadata request names the estimator it was set on, often
            # the one holding it, and shows it by its class's name alone
            # (_routing): walked for its type, not a member, so neither a
            # reference counted at every request nor a cycle.
            # An owner other than the object whose routing it is (the one a
            # clone was made from) is counted from itself too (below: a
            # scorer's request owned by another scorer whose keywords held
            # lists over and over, reached by no bound from the root; round
            # 183, a load past 60 s and a routing error's repr 12 times an
            # honest file's time).
            owner = namespace.get("owner")
            mine = routed.get(id(obj))
            for value in values:
                if type(value) in REQUEST_TYPES:
                    routed[id(value)] = mine  # a method's, of the same owner
            if owner is not None and type(owner) is not str:
                values = [v for v in values if v is not owner]
                stack.append(owner)
                if id(owner) != mine:
                    foreign_owners.add(id(owner))
        enter(obj, values, exempt)
    moment_arrays = [a for a in moment_arrays if id(a) not in weighed]
    slow.extend(
        filter(
            None,
            [slow_arrays(small), slow_scalars(scalars), slow_moments(moment_arrays)],
        )
    )
    if slow:
        return slow[0]
    if longest_text > MAX_TEXT:
        # An array's text items are bounded by their dtype (below); the
        # same text as objects, a dict's key, a name, is bounded alike: code
        # copies it into a name per output column, a row per prediction, or
        # widens a whole vocabulary to it (np.array of its keys: one key of
        # a million characters among 1,000 asked 4 GB).
        return (
            f"a text of {longest_text} characters (at most {MAX_TEXT}, as "
            "an array's item of text)"
        )
    if text_items:
        # A check or a method reading a list of text as an array makes each
        # item as wide as the longest: one text of 1,024 characters in a
        # list 650,000 times (two bytes a reference) made 2.7 GB of a 36 KB
        # file (round 149), and so would one long text among short ones.
        # Counted as reached, each reference to a list again: a list holding
        # one list of 16,000 such texts 32 times made 2.1 GB of a 384 KB
        # file (round 157).
        written = _written(listed_text.values())
        # numpy makes an array of empty texts one character wide
        width = max(longest_listed, 1)
        most = (LISTED_TEXT_FREE + LISTED_TEXT_PAID * written) // width
        if sum(text_items.values()) > most or (
            repeated and _expansion(id(root), members, text_items, most) is not None
        ):
            return (
                f"lists of text that, as arrays, hold more than {most:,} items "
                f"of {width:,} characters (each reference counted), from "
                f"{written:,} characters written"
            )
    if text_chars:
        # Text reached, each reference to its holder counted, against the
        # text the file wrote: one text written once and held by many
        # holders costs the file a reference each, and code that makes a
        # name of each (an encoder's get_feature_names_out over 2,600
        # features' object arrays, each of the same 1,000 texts of 1,024
        # characters) 2.8 GB from 12 MB (round 160). A short text is paid
        # for by its reference: columns sharing labels of a few characters
        # cost no more than as many labels of their own.
        problem = _text_reached(
            id(root),
            members,
            text_chars,
            held_text,
            repeated,
            MAX_EXPANSION * sum(weight.values()) + MAX_EXPANDED_FREE,
        )
        if problem is not None:
            return problem
    # Without an object of members or of plain values met twice, every
    # reference reaches what it alone holds, and each further reference to
    # an object of neither adds its own weight, one.
    if repeated or leaf_repeats > (MAX_EXPANSION - 1) * len(weight) + MAX_EXPANDED_FREE:
        own = sum(weight.values())
        limit = MAX_EXPANSION * own + MAX_EXPANDED_FREE
        problem = _expansion(id(root), members, weight, limit)
        for owner in foreign_owners if problem is None else ():
            problem = _expansion(owner, members, weight, limit)
            if problem is not None:
                break
        if problem is None:
            # Fitted models against fitted models alone, an ensemble's
            # named_estimators_ aside: fit reaches each through one path, and
            # padding, which weighs in the graph, buys no more runs of one.
            limit = len(fitted) + MAX_MODEL_REPEATS
            runs = dict.fromkeys(fitted, 1)
            problem = _expansion(id(root), members, runs, limit, "models", unrun)
        if problem is None:
            # Every estimator and kernel: a pipeline of two references to one
            # pipeline, 10 deep, over a step that keeps nothing runs it 2**10
            # times; a sum of one kernel with itself, 18 deep, evaluates it
            # 2**18 times. Twice: a bagging model's estimator_ is its
            # estimator, a column transformer's remainder is held twice.
            limit = MAX_PART_REACH * len(parts) + MAX_MODEL_REPEATS
            runs = dict.fromkeys(parts, 1)
            problem = _expansion(
                id(root), members, runs, limit, "estimators and kernels", unrun
            )
        if problem is not None:
            return problem
    problem = _shared_fitted_part(members, fitted, unrun)
    if problem is not None:
        return problem
    if shared_data or (data and repeated):
        problem = _shared_data(members, parts, data, inputs)
        if problem is not None:
            return problem
    # With only arrays (objects holding nothing) met again, each has one
    # path a reference: then they reach their bytes and again_bytes at most
    # (a boosting model's seed is held twice, and counting every path took
    # its load 17%).
    if repeated or (
        again_bytes
        and again_bytes
        > (MAX_EXPANSION - 1) * sum(arrays.values()) + MAX_DATA_REACHED_FREE
    ):
        problem = _data_reached(id(root), members, arrays, inputs | seeds, unrun)
        if problem is not None:
            return problem
    if named and _held_elsewhere(members, named):
        # A Bunch answers any attribute, a method too, with one of its
        # items: its ensemble's reference is the one no method follows.
        return "an ensemble's named_estimators_ held in another place too"
    with graph_width(widest):
        for obj in pending:
            problem = check_structure(obj)
            if problem is not None:
                return problem
    return None


#: How many more objects than the graph holds it may reach with every
#: shared reference counted again (an ensemble's ``named_estimators_``
#: refers to its members a second time), and the count any graph may reach
#: regardless. Every object weighs one, an array too: weighing arrays by
#: their bytes let 16 MiB of zeros, a few bytes of compressed file, pay for
#: a member referred to 4,000 times.
MAX_EXPANSION = 8
MAX_EXPANDED_FREE = 1 << 12
#: How many more times than it holds fitted models a graph may reach them,
#: an ensemble's ``named_estimators_`` aside (a pipeline given one fitted
#: step twice reaches it twice).
MAX_MODEL_REPEATS = 8
#: How many times its estimators and kernels, fitted or not, a graph may
#: reach them on average (beyond ``MAX_MODEL_REPEATS``).
MAX_PART_REACH = 2


def _class_facts(
    kind: type, allowed: Allowed, made: AbstractSet[int]
) -> tuple[bool, bool, bool]:
    """Whether a model may hold objects of ``kind``; whether library code
    alone builds them while loading; whether their state is judged against
    what the class defines (:func:`_hides_class_attribute`)."""
    admitted = allowed.instance_type(kind) or id(kind) in made
    by_library = allowed.built_by_library(kind)
    judged = (
        not by_library
        and id(kind) not in made
        and _type_name(kind) not in allowed.trusted
    )
    return admitted, by_library, judged


def _fitted_part(kind: type, namespace: Any, estimator_like: bool) -> bool:
    """A fitted scikit-learn estimator, or a compiled part of one (a tree, a
    neighbours tree), or a gradient boosting predictor: what a method runs."""
    if not (kind.__module__ or "").startswith("sklearn."):
        return False
    if not isinstance(namespace, dict):
        return True
    if estimator_like:
        return any(k.endswith("_") and not k.startswith("__") for k in namespace)
    return kind.__name__ == "TreePredictor"


#: How many places may hold one fitted part: an ensemble's ``estimators_``
#: and its ``named_estimators_``.
MAX_OWNERS = 2


@functools.lru_cache(maxsize=512)
def _record_name(kind: type) -> str | None:
    """The attribute no method of ``kind`` reads: a search's ``cv_results_``,
    a voting or stacking model's ``named_estimators_`` (scikit-learn's
    predict and transform use ``best_estimator_`` and ``estimators_``), a
    calibrated classifier's ``estimator`` (its members run their own), a
    gradient boosting model's ``init`` (fit fits it in place as ``init_``,
    which predict runs); None for any other class. Once per class: the walk
    asks of every object."""
    mro = {(c.__module__, c.__name__) for c in kind.__mro__}
    if ("sklearn.model_selection._search", "BaseSearchCV") in mro:
        return "cv_results_"
    if ("sklearn.ensemble._base", "_BaseHeterogeneousEnsemble") in mro:
        return "named_estimators_"
    if ("sklearn.calibration", "CalibratedClassifierCV") in mro:
        return "estimator"
    if ("sklearn.ensemble._gb", "BaseGradientBoosting") in mro:
        return "init"
    return None


def _unrun_record(kind: type, namespace: Mapping[str, Any]) -> Any:
    """The value no method of ``kind`` reads, if it holds one of the type
    scikit-learn gives it (a dict, a Bunch, a frozen estimator, its own
    clone, which the calibrated members hold and run, or a boosting model's
    first guess, its ``init_`` too); else None."""
    name = _record_name(kind)
    if name is None:
        return None
    value = namespace.get(name)
    if name == "cv_results_":
        return value if type(value) is dict else None
    if name == "estimator":
        return value if _frozen(value) else None
    if name == "init":  # the first guess, when fit made it init_ in place
        return value if value is namespace.get("init_") is not None else None
    return value if type(value).__name__ == "Bunch" else None


def _boosting_seeds(
    kind: type, namespace: Mapping[str, Any]
) -> Iterator[tuple[int, int]]:
    """The references (tree, generator) from a gradient boosting model's
    trees to the one random generator fit gave them all (``_rng``): 5,000
    trees of 1,000 stages of five classes refer to it, and no code copies
    it at each. None for any other class."""
    if _record_name(kind) != "init":
        return
    generator = namespace.get("_rng")
    trees = namespace.get("estimators_")
    if not isinstance(generator, _RANDOM_TYPES) or type(trees) is not np.ndarray:
        return
    for tree in trees.flat if trees.dtype.hasobject else ():
        state = getattr(tree, "__dict__", None)
        if type(state) is dict and state.get("random_state") is generator:
            yield id(tree), id(generator)


def _frozen(value: Any) -> bool:
    return type(value).__name__ == "FrozenEstimator" and (
        type(value).__module__ == "sklearn.frozen._frozen"
    )


#: Numbers no method multiplies or divides by: the statistics a selector
#: ranks features by (an F-test's p-value of a strong feature honestly
#: underflows to 1e-300), and a Gaussian naive Bayes's ``epsilon_``, which
#: ``partial_fit`` takes from its variances and adds back (of float32 data
#: it is computed in float32: 1e-13 of features scaled to a hundredth,
#: round 81's false positive).
NOT_MULTIPLIED = frozenset({"pvalues_", "scores_", "epsilon_"})


#: A network optimizer's lists of per-weight state (Adam's moments, SGD's
#: velocities), which only ``partial_fit`` reads: scaled by constants and
#: added to, they multiply no data. Adam's second moments are squared
#: gradients, honestly far below the bound (1e-17 in float32 after 30
#: iterations, round 169's false positive), and its first moments and SGD's
#: velocities follow gradients near zero too (judged as weights, an honest
#: float32 network's held one of ten below the bound). Arrays of float32
#: or float64 are held only out of the subnormal range
#: (:func:`_magnitudes.slow_moments`), any other as any array (long
#: doubles made partial_fit 6 to 9 times as long, round 170), and all as
#: any array when held anywhere else too. (The steps partial_fit takes
#: from them are its training: a dead unit's weight it moves to 1e-253 is
#: judged as a weight at the next load, round 171.)
MOMENTS: dict[str, tuple[str, ...]] = {
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer": ("ms", "vs"),
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer": ("velocities",),
}


def _not_multiplied(namespace: Mapping[str, Any]) -> AbstractSet[int]:
    """The values ``namespace`` holds only under :data:`NOT_MULTIPLIED`
    names (by id): held under another name too, a value is judged."""
    if NOT_MULTIPLIED.isdisjoint(namespace):
        return frozenset()
    named = {id(v) for k, v in namespace.items() if k in NOT_MULTIPLIED}
    return named - {id(v) for k, v in namespace.items() if k not in NOT_MULTIPLIED}


def _slow(owner: Any, value: Any) -> str | None:
    """:func:`slow_array` of an array of numbers (of any class: a matrix, a
    memory map), :func:`slow_number` of a numpy number; None for anything
    else. A matrix is refused where fit makes arrays: everywhere but a
    bisecting k-means tree of sparse data."""
    kind = type(value)
    if kind in _FLOATS:
        return slow_number(value)
    if not isinstance(value, np.ndarray):
        return None
    if kind is np.matrix and type(owner).__name__ != "_BisectingTree":
        # Round 81: a neighbours model's rows as a matrix, of subnormal
        # numbers then; `*` multiplies matrices where it broadcasts arrays.
        return "a numpy matrix where fit makes an array"
    if value.dtype.kind not in "fc":
        return None
    if isinstance(value, np.ma.MaskedArray):
        # A search's column of a parameter no candidate set holds whatever
        # memory numpy gave it (4.67e-310 at random, round 178), and the
        # mask hides it from every reader.
        return slow_array(np.ma.getdata(value)[~np.ma.getmaskarray(value)])
    return slow_array(value)


def _held_elsewhere(members: Mapping[int, list[int]], named: AbstractSet[int]) -> bool:
    """Whether a named Bunch has a holder beside its ensemble."""
    holders = 0
    for held in members.values():
        holders += sum(1 for member in held if member in named)
    return holders > len(named)


def _shared_fitted_part(
    members: Mapping[int, list[int]],
    fitted: AbstractSet[int],
    cut: Mapping[int, int] | None = None,
) -> str | None:
    """Why a fitted part, or a container holding one, is held in more places
    than fit puts it, or None. Fit makes every member its own; one forest
    held by 20,000 places of an object array, or one tree under 20,000
    shells, runs 20,000 times a predict, and plain padding could pay the
    expansion bound for it. (A grid's candidates stay unfitted: a search
    fits clones of them; a pipeline fits a step given twice in place, in
    two places.) The references of ``cut``, ``{holder: member}``, which no
    method runs, are no places: a calibrated classifier's frozen
    estimator, its own clone, is its parameter and its member's alike."""
    holders = set(fitted)
    for owner, held in members.items():
        if any(member in fitted for member in held):
            holders.add(owner)
    counts: dict[int, int] = {}
    for owner, held in members.items():
        unrun = (cut or {}).get(owner)  # that one reference no method runs
        for member in held:
            if member == unrun:
                unrun = None
            elif member in holders:
                counts[member] = counts.get(member, 0) + 1
    if any(count > MAX_OWNERS for count in counts.values()):
        return (
            f"a fitted part held in more than {MAX_OWNERS} places (fit makes "
            "each its own: code runs it once a place)"
        )
    return None


#: What fit keeps of its input by reference, by attribute: every member of
#: an ensemble fitted on one ``X`` holds that one array (nearest neighbours,
#: kernel ridge, label propagation, a Gaussian process told not to copy its
#: data and target, a precomputed affinity or dissimilarity matrix, a
#: constant predictor's target, a logistic path's data).
INPUT_REFERENCES = frozenset(
    {
        "_fit_X",
        "_y",
        "_tree",
        "_X",
        "X",
        "X_",
        "y_",
        "X_fit_",
        "X_train_",
        "y_train_",
        "_raw_data",
        "affinity_matrix_",
        "dissimilarity_matrix_",
        "_BaseLibSVM__Xfit",
    }
)

#: Where fit keeps the random generator it drew from (``check_random_state``
#: of the ``random_state`` parameter: numpy's one global generator when
#: None): fitted state, which clone, repr and get_params never copy or
#: show, shared by every member of a one-vs-rest or multi-output network
#: (1,500 outputs were refused, round 179).
FIT_GENERATORS = frozenset({"_random_state", "random_state_", "_rng"})


def _shared_data(
    members: Mapping[int, list[int]],
    parts: AbstractSet[int],
    data: AbstractSet[int],
    inputs: AbstractSet[tuple[int, int]],
) -> str | None:
    """Why an array of numbers is held by estimators fit never shares it
    among, or None. Fit computes each estimator's arrays itself: 1,500
    members of a vote over one ``coef_`` (a few hundred bytes of file each)
    multiply by all of it 1,500 times a predict, and 400 random projections
    over one matrix's arrays do so 400 times; only the data fit keeps by
    reference (:data:`INPUT_REFERENCES`) is shared by honest ensembles, and
    classes along a chain of estimators holding each other (a self-training
    model's are its network's, which are its label binarizer's). An array's
    estimators are those it is reached from without passing another
    estimator (a spline transformer's B-splines share its coefficients: one
    owner); more than :data:`MAX_OWNERS` of them must be one chain, at most
    :data:`MAX_CHAIN` long. Owners are counted up to that bound, so each
    object's grow a few times at most, whatever the graph."""
    owners: dict[int, set[int]] = {}
    todo: list[tuple[int, int]] = []

    def own(node: int, owner: int) -> None:
        found = owners.setdefault(node, set())
        if owner not in found and len(found) <= MAX_CHAIN:
            found.add(owner)
            if node not in parts:
                todo.append((node, owner))

    for part in parts:
        for member in members.get(part, ()):
            if (part, member) not in inputs:
                own(member, part)  # a part's owners are its holders
    while todo:
        node, owner = todo.pop()
        for member in members.get(node, ()):
            own(member, owner)
    for array in data:
        found = owners.get(array, set())
        if len(found) > MAX_OWNERS and not _one_chain(found, owners, parts):
            return (
                f"an array that {len(found)} estimators hold, none of them "
                "holding the others (fit computes each estimator's own: every "
                "one of them runs over all of it)"
            )
    return None


#: Bytes of arrays every reference may reach beyond MAX_EXPANSION times the
#: bytes the arrays hold (:func:`_data_reached`).
MAX_DATA_REACHED_FREE = 1 << 24
#: The bytes an array costs beside its data (numpy's header), counted with
#: it: 1,000 arrays of 504 bytes under 850 references each paid one object
#: of padding, a list's zero, and clone copied all (round 176: 7.3 times
#: an honest file's memory).
ARRAY_OVERHEAD = 128


#: What a copy or a repr of a record dtype costs a field (numpy rebuilds
#: and formats each): one of 4,096 fields under 1,000 dicts of a search's
#: grid weighed one object, and clone and the HTML display rebuilt and
#: formatted it at each (round 177: 9.3 times as long, the display past
#: 60 s from 185 KB).
DTYPE_FIELD_BYTES = 128


def _copied_bytes(nbytes: int, dtype: np.dtype[Any], fields: int | None = None) -> int:
    """What a copy of an array, a numpy number or a dtype (``nbytes`` of
    data) holds: its data, its header, and its dtype's fields."""
    if fields is None:
        fields = len(dtype.names) if dtype.names else 0
    return nbytes + ARRAY_OVERHEAD + DTYPE_FIELD_BYTES * fields


#: numpy's random generators: a copy rebuilds one from its state.
_RANDOM_TYPES = (np.random.RandomState, np.random.Generator, np.random.BitGenerator)
#: What a copy of a random generator costs, in the bytes of array a copy
#: of equal time holds (:data:`ARRAY_OVERHEAD` a copy of a small array,
#: 0.8 us): a Mersenne Twister's 2.5 KB of state, reseeded and restored,
#: 170-240 us a copy; another bit generator's, 22-26 us. One legacy
#: RandomState referred to by 100,000 items of a search's grid weighed one
#: object, and clone copied it at each: 30.7 times an honest file's time
#: (round 178).
MT_COPY_BYTES = 40 << 10
OTHER_GENERATOR_COPY_BYTES = 4 << 10


def _random_copy_bytes(generator: Any) -> int:
    """What :data:`_RANDOM_TYPES` object ``generator`` costs a copy."""
    bits = getattr(generator, "_bit_generator", None) or getattr(
        generator, "bit_generator", generator
    )
    if isinstance(bits, np.random.MT19937):
        return MT_COPY_BYTES
    return OTHER_GENERATOR_COPY_BYTES


def _data_reached(
    root: int,
    members: Mapping[int, list[int]],
    data: Mapping[int, int],
    inputs: AbstractSet[tuple[int, int]],
    cut: Mapping[int, int],
) -> str | None:
    """Why the arrays of numbers (of any size and class, each with
    :data:`ARRAY_OVERHEAD`), numpy numbers and dtypes (each field
    :data:`DTYPE_FIELD_BYTES`) and random generators (by what a copy costs,
    :func:`_random_copy_bytes`), counted in bytes at every reference (but fit's
    own to its input, :data:`INPUT_REFERENCES`, and the records no method
    reads), reach far more than the bytes they hold, or None. An
    array weighs one object in the bounds on references, whatever its size,
    and code copies an array at every reference: scikit-learn's ``clone``
    copies a parameter's list item by item, each item by a ``deepcopy`` of
    its own, and 500 dicts of a search's grid over one array of 2 MiB made
    ``clone`` hold 12.8 times an honest file's memory; 150 over 16 MiB of
    zeros, 78 KB compressed, passed 3 GiB (round 175)."""
    view = dict(members)
    for holder, member in inputs:
        held = view.get(holder)
        if held is not None and member in held:
            view[holder] = kept = list(held)
            kept.remove(member)
    limit = MAX_EXPANSION * sum(data.values()) + MAX_DATA_REACHED_FREE
    if _expansion(root, view, data, limit, "arrays", cut) is None:
        return None
    return (
        "arrays of numbers, numpy numbers, dtypes or random generators referred "
        "to over and over "
        "(code copies one at each reference: over "
        f"{MAX_EXPANSION} times the bytes they hold)"
    )


def _one_chain(
    found: AbstractSet[int], owners: Mapping[int, set[int]], parts: AbstractSet[int]
) -> bool:
    """Whether ``found`` are estimators each holding the next (through their
    members), at most :data:`MAX_CHAIN` of them."""
    if len(found) > MAX_CHAIN:
        return False

    def above(part: int) -> set[int]:
        """The estimators that hold ``part``, up to a bounded search."""
        seen: set[int] = set()
        todo = [part]
        while todo and len(seen) < 4 * MAX_CHAIN:
            for holder in owners.get(todo.pop(), ()):
                if holder in parts and holder not in seen:
                    seen.add(holder)
                    todo.append(holder)
        return seen

    ancestors = {part: above(part) for part in found}
    return all(
        a == b or a in ancestors[b] or b in ancestors[a] for a in found for b in found
    )


def _widened(values: Iterable[Any], what: str) -> str | None:
    """Why a dict's keys or values, text read as an array, would hold far
    more than the text itself, or None. numpy makes each item as wide as the
    longest: a vectorizer's ``inverse_transform`` makes an array of its
    vocabulary's keys, and 300,000 keys of 7 characters beside one of 1,024
    made 2.5 GB of a 1 MB file (round 151). Each text counts once (by id),
    as the file wrote it; an honest vocabulary's longest word is rarely 30
    times its average."""
    texts = [v for v in values if isinstance(v, _TEXT_TYPES_ALL)]
    if not texts:
        return None
    longest = max(map(len, texts))
    cells = len(texts) * longest
    if cells <= KEYED_TEXT_FREE or longest > MAX_TEXT:
        return None  # (a text too long for any array: refused after the walk)
    written = _written(texts)
    if cells <= KEYED_TEXT_FREE + KEYED_TEXT_PAID * written:
        return None
    return (
        f"a dict whose {what}, as an array of text, hold {len(texts):,} items "
        f"of {longest:,} characters, from {written:,} characters written"
    )


def _written(texts: Iterable[Any]) -> int:
    """The characters of ``texts``, each text once (by id): what the file
    wrote of them, against which the text bounds weigh what they reach."""
    return sum(map(len, {id(text): text for text in texts}.values()))


def _text_reached(
    root: int,
    members: Mapping[int, list[int]],
    text_chars: Mapping[int, int],
    held_text: list[list[Any]],
    repeated: bool,
    most_reaches: int,
) -> str | None:
    """Why the text the graph reaches, each reference to its holders
    counted (``text_chars``: the characters each holds past
    :data:`REACHED_TEXT_PER_ITEM` an item), is far more than the text it
    holds, each text once (``held_text``), or None. Reached through
    no holder met twice (not ``repeated``), each holder counts once; else no
    holder is reached more than ``most_reaches`` times (the expansion bound,
    checked after), and the count is made only when that could pass
    :data:`REACHED_TEXT_FREE`."""
    held = sum(text_chars.values())
    if held <= REACHED_TEXT_FREE and (
        not repeated or held * most_reaches <= REACHED_TEXT_FREE
    ):
        return None
    written = _written(itertools.chain.from_iterable(held_text))
    most = REACHED_TEXT_FREE + REACHED_TEXT_PAID * written
    if held <= most and (
        not repeated or _expansion(root, members, text_chars, most) is None
    ):
        return None
    return (
        f"text reached through its holders, past {REACHED_TEXT_PER_ITEM} characters "
        f"an item, over {most:,} characters (each "
        f"reference counted), from {written:,} characters written"
    )


def _too_many_references(most: int) -> str:
    return (
        f"over {most:,} references to objects it holds already (a model refers "
        "again to few; each costs the checks as much as an object, and the "
        "file two bytes or less)"
    )


def _repeats_a_part(items: Iterable[Any]) -> bool:
    """Whether a container holds one estimator, kernel, step (a tuple, a
    named tuple) or non-empty array at two places. Fit makes every member its
    own object; a list of one tree 20,000 times is a forest the file did not
    pay for, whose every predict runs it 20,000 times (paid for by a walk
    allowance of plain padding), an encoder whose 250 features are one list
    of 8 million categories looks each up 250 times, and 2,000 features over
    one array of 4,088 bytes made a million columns a row."""
    items = items if isinstance(items, list) else list(items)
    if len(items) < 2 or len(set(map(id, items))) == len(items):
        return False  # nothing held twice (the common case, asked in C)
    parts = [
        id(v)
        for v in items
        if isinstance(v, tuple)
        or (hasattr(v, "get_params") and not isinstance(v, type))
        or (isinstance(v, np.ndarray) and v.size > 0)
    ]
    return len(parts) != len(set(parts))


#: An array of numbers this large held by more than two estimators is refused
#: (but along one chain of estimators holding each other, see
#: :func:`_shared_data`).
MIN_OWNED_ARRAY_BYTES = 512
#: The most estimators one array may have, a chain of meta-estimators each
#: keeping its member's classes.
MAX_CHAIN = 8


def _expansion(
    root: int,
    members: Mapping[int, list[int]],
    weight: Mapping[int, int],
    limit: int,
    what: str = "parts",
    cut: Mapping[int, int] | None = None,
) -> str | None:
    """Why the graph refers to its parts more often than its size holds, or
    None. Code loops over what a model refers to, not over distinct objects:
    ``coefs_ = [W] * 200_000`` (two bytes a reference in the file) makes an
    MLP multiply by ``W`` 200,000 times a predict, and a kernel whose two
    operands are one object, nested 60 times, is evaluated 2**60 times. So
    every reference counts with what it reaches (a reference back to an
    object being counted counts nothing), against the graph's own weight.
    Counted over fitted models alone (``what="models"``; the references of
    ``cut``, ``{holder: member}``, left out), a DAG of pipelines
    whose every part has two holders, 10 levels deep, runs its last model
    2**10 times however much padding the graph holds."""

    def held(node: int) -> list[int]:
        found = members.get(node, [])
        if cut and node in cut and cut[node] in found:
            found = list(found)
            found.remove(cut[node])  # that one reference, not the member
        return found

    total: dict[int, int] = {}
    opened: set[int] = set()
    # (node, None) to open it; (node, its members) once they are counted
    stack: list[tuple[int, list[int] | None]] = [(root, None)]
    while stack:
        node, counted = stack.pop()
        if counted is not None:
            reached = weight.get(node, 0) + sum(total.get(m, 0) for m in counted)
            total[node] = min(reached, limit + 1)
            continue
        if node in opened:
            continue
        opened.add(node)
        found = held(node)
        if any(m in opened and m not in total for m in found):
            # A member still being counted holds this one: a cycle, which
            # would count nothing here, and which a repr, a copy or a clone
            # recursing over members follows path by path (a pipeline's
            # steps sharing a parameter dict that holds them: a repr of 6
            # steps took 54 s from 114 KB, round 174). fit makes none.
            raise _Cycle
        stack.append((node, found))
        stack.extend((m, None) for m in found if m not in opened)
    if total.get(root, 0) > limit:
        times = {
            "parts": f"over {MAX_EXPANSION} times the {what} themselves",
            "models": "them more often than fit does",
        }.get(what, f"them over {MAX_PART_REACH} times as often as it holds them")
        return (
            f"references to its {what} that reach {times} (one object referred "
            "to over and over, which code then runs over again and again)"
        )
    return None


_MISSING = object()
#: The most bytes an array's item may take: text labels of 1,024 characters
#: (a fitted model's largest numbers take 16, a tree's nodes 64).
MAX_ITEM_BYTES = 4096
#: The most characters (or bytes) of a text held as an object: as many as
#: an array's item of text holds (numpy keeps four bytes a character).
MAX_TEXT = MAX_ITEM_BYTES // 4
_TEXT_TYPES = frozenset({str, bytes})
_TEXT_TYPES_ALL = (str, bytes)  # numpy's text scalars too (subclasses)
#: What lists of text may hold as arrays (each item as wide as the longest,
#: every reference counted), in characters: this many, and so many times
#: the characters of their text, each text once.
LISTED_TEXT_FREE = 1 << 24
LISTED_TEXT_PAID = 8
#: The same of each dict's keys, and of its values: a vocabulary's words
#: are one object each, and their lengths vary more than a list's labels.
KEYED_TEXT_FREE = 1 << 24
KEYED_TEXT_PAID = 32
#: What all text held as plain values may reach, every reference to its
#: holders counted, in characters past so many an item (on average over a
#: holder's items, which the file pays for): this many, and so many times
#: the characters of the text, each text once.
REACHED_TEXT_FREE = 1 << 24
REACHED_TEXT_PAID = 8
REACHED_TEXT_PER_ITEM = 32
#: The most values the other dimensions of an empty array may span. No fitted
#: estimator of scikit-learn's holds an empty array of two dimensions or more.
MAX_EMPTY_SPAN = 1 << 16


def _span(shape: tuple[int, ...]) -> int:
    return math.prod(n for n in shape if n)


def _hides_class_attribute(kind: type, namespace: Mapping[Any, Any]) -> str | None:
    """Why an instance's state is not one its class's code could have set.

    A pickle's state is a dict the file chooses: a key naming what the class
    itself defines (a method, ``SVR._impl``, a class-level table) would hide
    it, and the class's code would then run on the file's value (libsvm told
    a regressor is a classifier reads past its arrays). No fitted estimator
    of scikit-learn's sets such a key, except its parameters where a class
    declares a default for one (``Lars.positive``); non-string keys are
    never set by any class's code either.
    """
    own = _class_attributes(kind)
    for key in namespace:
        if not isinstance(key, str):
            return f"a {_type_name(kind)} whose state has a non-string key"
        if key.startswith("__"):
            # A special name hides object's own too (pickle asks the
            # instance for __reduce_ex__: a file's callable there ran when
            # the loaded model was pickled, round 171), and a name no class
            # mangles is one only code setting it by its text reads:
            # scikit-learn's HTML display formats __doc_link_template into a
            # link, a file's markup and 5e8 characters of padding (round 172).
            # (A mangled name starts with one underscore: _BaseLibSVM__Xfit.)
            return (
                f"a {_type_name(kind)} whose state sets {key!r}, a name that "
                "starts with two underscores, which no fit sets"
            )
        if key in own:
            return (
                f"a {_type_name(kind)} whose state sets {key!r}, which hides "
                "its class's own attribute"
            )
        if key.startswith(_HOOKS):
            return (
                f"a {_type_name(kind)} whose state sets {key!r}, a hook that "
                "display code looks up by name, which no fit sets"
            )
    return None


#: Names display code looks up on any object by their text, defined or not:
#: IPython's ``_repr_html_`` and ``_ipython_display_``, scikit-learn's
#: ``_sk_visual_block_``, which its diagram calls (round 173: a file's
#: ``numpy.float64`` there broke the display).
_HOOKS = ("_repr_", "_ipython_", "_sk_")


@functools.lru_cache(maxsize=1024)
def _class_attributes(kind: type) -> frozenset[str]:
    """Names ``kind`` and its bases (but ``object``) define that an instance
    attribute would hide, less its parameters. A property (any data
    descriptor) is never hidden: an older release's state may still hold
    the attribute it replaced."""
    names = {
        name
        for cls in kind.__mro__[:-1]
        for name, value in vars(cls).items()
        if not (hasattr(type(value), "__set__") or hasattr(type(value), "__delete__"))
    }
    if callable(getattr(kind, "_get_param_names", None)):
        with contextlib.suppress(Exception):
            names.difference_update(param_names(kind))
    return frozenset(names)


@functools.lru_cache(maxsize=1024)
def _slots(kind: type) -> tuple[str, ...]:
    names: list[str] = []
    for cls in kind.__mro__:
        slots = cls.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        names.extend(s for s in slots if s not in ("__dict__", "__weakref__"))
    return tuple(names)


def _type_name(kind: type) -> str:
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"
