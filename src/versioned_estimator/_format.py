"""The file format: its versions, and plain-data encodings for the envelope.

A wrapped model pickles as a call to one global, ``versioned_estimator._rebuild``::

    format 1:  _rebuild(envelope, stream, buffers)
    format 2:  _rebuild(envelope, stream, buffers, _rebuild(trailer))

- ``envelope``: a dict of plain data (dict, list, str, int, float, bool,
  None), read by an unpickler that resolves no global but ``_rebuild``
  (``_reader``);
- ``stream``: the wrapped estimator pickled at protocol 5, its object graph;
- ``buffers``: its larger arrays as raw 1-D ``uint8`` arrays;
- ``trailer`` (format 2): a dict of plain data written *after* the buffers:
  the checksums of every part, the probe's outputs, and the signature.

Format versions
---------------
``FORMAT_VERSION`` is an integer, independent of the package version.

* **1** (versioned-estimator 0.1): SHA-256 of every part, in the envelope.
  Computing it before anything is written meant hashing the whole model
  before the first byte reached the file (and caching the result, which went
  stale when the model changed).
* **2**: the checksums move to the trailer. They are computed by threads
  while the pickler writes the buffers (the CRC-32 functions and ``hashlib``
  release the GIL), so a dump costs what the bare model's does and nothing is
  cached. Unsigned files use CRC-32 per 8 MiB block: it detects accidental
  damage, which is all an unsigned checksum can do (anyone who can edit the
  file can recompute any digest), and it runs at 8 GB/s a core with ISA-L's
  implementation (1.3 to 2.1 GB/s with zlib's, the same checksum) where
  SHA-256 runs at 0.2 to 0.3 GB/s on CPUs without SHA extensions (measured on
  this project's machines; 1.8 GB/s with them). Files signed with a key use
  SHA-256 per block, and the signature covers the envelope and the trailer.
  The payload digest binds every part's size and block checksums. The head
  declares the algorithm and every part's size, so a reader checks lengths
  before reading the parts.

Rules:

* Adding an optional field is not a bump: readers tolerate missing optional
  fields (use ``.get`` with a default), writers write every field.
* Renaming or removing a field, changing a field's meaning or encoding, or
  changing the shape of the reduce tuple is a bump: increment
  ``FORMAT_VERSION``, teach the reader to read every older version, add
  ``tests/data/make_reference_files.py``'s output for the new version under
  ``tests/data/``, and describe the change here and in the README's format
  table.

Readers refuse a file whose ``format_version`` is greater than theirs with an
:class:`~versioned_estimator.EnvelopeError` that says which release to install.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

FORMAT_NAME = "versioned-estimator"
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
REBUILD_MODULE = "versioned_estimator"
REBUILD_NAME = "_rebuild"
# The methods a probe records outputs of (no other name is a probe output).
PROBE_METHODS = ("predict", "predict_proba", "decision_function", "transform")
# Checksums cover blocks of this size, so that threads share one large array.
BLOCK_SIZE = 8 * 1024 * 1024

# Largest envelope a reader accepts: far above a real one (probe rows are
# kept under 256 KiB, a search's candidates under 200), low enough that
# reading a hostile one stays quick.
MAX_ENVELOPE_BYTES = 16 * 1024 * 1024

# ----------------------------------------------------------------------------
# JSON-safe values
# ----------------------------------------------------------------------------


def normalize_name(name: str) -> str:
    """Normalize a distribution name as pip does (PEP 503).

    Examples
    --------
    >>> normalize_name("Scikit_Learn")
    'scikit-learn'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def check_json_safe(value: Any, where: str = "metadata") -> Any:
    """Return ``value`` as plain JSON data, or raise a ``TypeError`` naming the
    first offending entry.

    Examples
    --------
    >>> check_json_safe({"owner": "ana", "auc": 0.91, "tags": ["a", "b"]})
    {'owner': 'ana', 'auc': 0.91, 'tags': ['a', 'b']}
    >>> check_json_safe({"when": object()})
    Traceback (most recent call last):
    ...
    TypeError: metadata['when'] is a object, which is not JSON-safe...
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, np.generic):
        return int(value) if isinstance(value, int) else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(
                f"{where} is {value!r}, which JSON cannot hold; store it as a string "
                "or leave it out."
            )
        return float(value)
    if isinstance(value, (list, tuple)):
        return [check_json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has the key {key!r} of type {type(key).__name__}; "
                    "JSON-safe mappings have str keys."
                )
            out[str(key)] = check_json_safe(item, f"{where}[{key!r}]")
        return out
    hint = ""
    if isinstance(value, np.generic):
        hint = " Convert numpy scalars with .item()."
    raise TypeError(
        f"{where} is a {type(value).__name__}, which is not JSON-safe: use only "
        f"dict (str keys), list, str, int, float, bool and None.{hint}"
    )


def describe(value: Any, depth: int = 0) -> Any:
    """Describe any value (an estimator parameter) as plain data, deterministically.

    Plain values stay themselves; classes and functions become their
    ``"module.qualname"``; estimators and other objects their ``repr``.

    Examples
    --------
    >>> import math
    >>> describe({"C": 1.0, "f": math.sqrt, "k": (1, 2)})
    {'C': 1.0, 'f': 'math.sqrt', 'k': [1, 2]}
    """
    if isinstance(value, np.generic):
        value = value.item()  # numpy's text and numbers as Python's
    if value is None or type(value) is bool:
        return value
    if isinstance(value, str):
        return str(value)  # a subclass (np.str_) would pickle as numpy's
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(value)
    if depth < 4 and isinstance(value, (list, tuple)):
        return [describe(v, depth + 1) for v in value]
    if depth < 4 and isinstance(value, Mapping):
        return {str(k): describe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        module = getattr(value, "__module__", None) or "builtins"
        return f"{module}.{value.__qualname__}"
    text = repr(value)
    return text if len(text) <= 2000 else text[:1997] + "..."


def plain_data_problem(
    value: Any, *, max_depth: int = 100, max_nodes: int = 10_000_000
) -> str | None:
    """Why ``value`` is not a tree of plain data with text keys, or None.

    Walks without recursion. A node budget bounds the walk, so a container
    that holds itself, or shared references whose expansion doubles per level,
    is caught rather than walked forever. Text and integers weigh by their
    length (a node per 4 characters or 32 bits), so one long string that the
    memo lets a file refer to thousands of times, two bytes a reference,
    spends the budget as every dump of it would spend memory.

    Examples
    --------
    >>> plain_data_problem({"a": [1, 2.5, None, "x"]}) is None
    True
    >>> plain_data_problem({1: "a"})
    'the non-text key 1'
    >>> loop = []
    >>> loop.append(loop)
    >>> print(plain_data_problem(loop, max_nodes=100))  # doctest: +NORMALIZE_WHITESPACE
    a structure that refers to itself, nests more than 100 levels deep or
    repeats more than its size holds
    >>> text = "x" * 1000
    >>> plain_data_problem([text] * 10, max_nodes=1000) is None
    False
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > max_depth or nodes > max_nodes:
            return (
                "a structure that refers to itself, nests more than "
                f"{max_depth} levels deep or repeats more than its size holds"
            )
        if isinstance(item, str):
            nodes += len(item) >> 2
            continue
        if isinstance(item, int):
            nodes += item.bit_length() >> 5
            continue
        if item is None or isinstance(item, float):
            continue
        if isinstance(item, Mapping):
            for key, sub in item.items():
                if not isinstance(key, str):
                    return f"the non-text key {key!r}"
                nodes += len(key) >> 2
                stack.append((sub, depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, depth + 1) for sub in item)
        else:
            return f"a {type(item).__name__}, where only plain data belongs"
    return None


def plain_size(value: Any) -> int:
    """What a file paid for ``value``, weighed as :func:`plain_data_problem`
    walks it: a node for the root and for every reference a container makes
    (an item costs an opcode byte at least), and the length of each distinct
    text or number, a key's at every dict that names it (one of more than 64
    characters only once, as text). A tree with no
    shared part walks what it weighs; a shared part weighs once here, and
    every time it is referred to there.

    Examples
    --------
    >>> plain_size({"a": [1, 2]})  # the root, its one item, the list's two
    4
    >>> shared = ["x" * 400]
    >>> plain_size([shared, shared]) < plain_size([["x" * 400], ["x" * 400]])
    True
    """
    seen: set[int] = set()
    stack = [value]
    size = 1 + _short_text(value)
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, str):
            size += 0 if len(item) <= _SHORT else len(item) >> 2
        elif isinstance(item, int):
            size += item.bit_length() >> 5
        elif isinstance(item, Mapping):
            size += len(item) + sum(_short_text(v) for v in item.values())
            for key in item:
                if type(key) is str and (len(key) <= _SHORT_KEY or id(key) not in seen):
                    # A long key shared by many dicts weighs once: the file
                    # paid for it once (one of a million characters under
                    # 3,000 dicts, round 95).
                    if len(key) > _SHORT_KEY:
                        seen.add(id(key))
                    size += len(key) >> 2
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            size += len(item) + sum(_short_text(v) for v in item)
            stack.extend(item)
    return size


#: Text this short weighs at every reference to it, as the walk weighs it: a
#: writer may share one such object among many places (a data type's name,
#: a column each), and the memo repeating it costs at most a few times its
#: bytes; longer text weighs once, so a long string repeated is refused.
_SHORT = 16


#: A key this short weighs at every dict that names it: records share their
#: keys (the memo writes each once), and every one is walked and printed.
_SHORT_KEY = 64


def _short_text(value: Any) -> int:
    return len(value) >> 2 if type(value) is str and len(value) <= _SHORT else 0


def canonical_json(value: Any) -> bytes:
    """Serialize plain data to canonical JSON bytes (sorted keys, no spaces)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


# ----------------------------------------------------------------------------
# Arrays as plain data (the probe)
# ----------------------------------------------------------------------------


def encode_array(array: Any) -> dict[str, Any]:
    """Encode an array as plain data, exactly (dtype, shape, raw bytes).

    Numeric and boolean arrays keep their bytes (base64, little-endian);
    string and object arrays of plain scalars become lists.

    Examples
    --------
    >>> import numpy as np
    >>> data = encode_array(np.array([[1.5, np.nan]]))
    >>> data["dtype"], data["shape"]
    ('<f8', [1, 2])
    >>> decode_array(data)
    array([[1.5, nan]])
    """
    arr = np.asarray(array)
    if arr.dtype.kind in "biufc":
        arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
        return {
            "kind": "ndarray",
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "base64": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if arr.dtype.kind in "OUS":
        items = [_plain_scalar(v) for v in arr.ravel().tolist()]
        return {
            "kind": "ndarray",
            "dtype": "object" if arr.dtype.kind == "O" else arr.dtype.str,
            "shape": list(arr.shape),
            "items": items,
        }
    raise TypeError(f"cannot keep an array of dtype {arr.dtype} in the envelope")


def own_texts(value: Any) -> Any:
    """``value``, plain data, with each text longer than :data:`_SHORT` an
    object of its own, not the one it was given (lists and dicts copied).

    A reader weighs a long text at every reference to it and pays for it
    once (:func:`plain_size`: the memo repeats it for two bytes, and every
    dump of it prints it whole), so an envelope whose data shares its
    text, as data from a table often does (a column's repeated labels in
    metadata, the probe rows of 1,000 columns of one set of labels, the
    column names of a frame in its schema and again in every member's
    parameters), or a long key that many dicts share (a search's parameter
    names of 85 characters in each of 64 candidates), was read as crafted.
    Written each as its own, they cost the file what they cost a reader:
    each field of the envelope made so shares no long text with any other.

    Examples
    --------
    >>> label = "a label of more than sixteen characters"
    >>> rows = own_texts([label, label])
    >>> rows == [label, label], rows[0] is rows[1], rows[0] is label
    (True, False, False)
    """

    def own(item: Any, shortest: int = _SHORT) -> Any:
        kind = type(item)
        if kind is str:
            # a copy (a slice of it all is it)
            return (item + " ")[:-1] if len(item) > shortest else item
        if kind is list:
            return [own(v) for v in item]
        if kind is dict:
            # (a key weighs at every dict up to _SHORT_KEY characters)
            return {own(k, _SHORT_KEY): own(v) for k, v in item.items()}
        return item

    return own(value)


def _plain_scalar(value: Any) -> Any:
    """An item of an array of objects as plain data: numpy's text, numbers
    and booleans (``np.str_`` from slicing an array of text) as Python's,
    which the reader builds (it builds no numpy scalar)."""
    if value is None or type(value) in (bool, int, str):
        return value
    if isinstance(value, (np.generic, str, int, float, bytes)) and not isinstance(
        value, (np.complexfloating, np.datetime64, np.timedelta64, np.void)
    ):
        if isinstance(value, np.generic):
            value = value.item()  # its Python value: str, bytes, int, float, bool
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            value = float(value)
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, bytes):
            return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"cannot keep a {type(value).__name__} in the envelope")


def _from_plain_scalar(value: Any) -> Any:
    if isinstance(value, dict):
        if "float" in value and value["float"] in ("nan", "inf", "-inf"):
            return float(value["float"])
        if "bytes" in value and isinstance(value["bytes"], str):
            return base64.b64decode(value["bytes"], validate=True)
        raise ValueError("an unknown encoded scalar")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"a {type(value).__name__} where a scalar belongs")


_ARRAY_DTYPE = re.compile(r"[<>|=]?(?:[biufc][1-9][0-9]?|b1|[US][0-9]{1,6})|object")
# The probe is small (MAX_INPUT_BYTES): a decoded array never needs more.
MAX_DECODED_ITEMS = 10_000_000


def _text_dtype(declared: np.dtype[Any], values: list[Any]) -> np.dtype[Any]:
    """The dtype to rebuild text items with: never wider than the longest item
    (a width is the file's to declare, the memory is not), and objects when a
    fixed width would take far more memory than the text itself."""
    lengths = [len(v) for v in values if isinstance(v, (str, bytes))]
    longest = max(lengths, default=0)
    per_char = 4 if declared.kind == "U" else 1
    if declared.itemsize > per_char * longest:
        declared = np.dtype((declared.kind, max(longest, 1)))
    if len(values) * declared.itemsize > 64 * (sum(lengths) + len(values)) + 2**20:
        return np.dtype(object)
    return declared


def decode_array(data: Mapping[str, Any]) -> np.ndarray:
    """Rebuild an array encoded by :func:`encode_array`.

    Raises ``ValueError`` when ``data`` is not such an encoding (a wrong
    type, a dtype other than numbers, text and objects, a shape its data
    does not fill).
    """
    try:
        return _decode_array(data)
    except (KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise ValueError(f"a malformed encoded array ({type(exc).__name__})") from exc


def _decode_array(data: Mapping[str, Any]) -> np.ndarray:
    if not isinstance(data, Mapping) or not isinstance(data.get("dtype"), str):
        raise ValueError("an encoded array without a dtype")
    shape_list = data["shape"]
    if not isinstance(shape_list, list) or len(shape_list) > 32:
        raise ValueError("an encoded array without a valid shape")
    size = 1
    for n in shape_list:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError("an encoded array without a valid shape")
        size *= n
    if size > MAX_DECODED_ITEMS:
        raise ValueError("an encoded array larger than any probe")
    shape = tuple(shape_list)
    if not _ARRAY_DTYPE.fullmatch(data["dtype"]):
        raise ValueError(f"an encoded array of dtype {data['dtype'][:40]!r}")
    if "base64" in data:
        dtype = np.dtype(data["dtype"])
        if dtype.kind not in "biufc":
            raise ValueError("raw bytes of a non-numeric dtype")
        raw = base64.b64decode(data["base64"], validate=True)
        if len(raw) != size * dtype.itemsize:
            raise ValueError("an encoded array whose bytes do not fill its shape")
        array: np.ndarray = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        return array
    items = data["items"]
    if not isinstance(items, list) or len(items) != size:
        raise ValueError("an encoded array whose items do not fill its shape")
    values = [_from_plain_scalar(v) for v in items]
    dtype = np.dtype(object) if data["dtype"] == "object" else np.dtype(data["dtype"])
    if dtype.kind not in "OUS":
        raise ValueError("listed items of a numeric dtype")
    if dtype.kind in "US":
        dtype = _text_dtype(dtype, values)
    out = np.empty(len(values), dtype=dtype)
    out[:] = values
    reshaped: np.ndarray = out.reshape(shape)
    return reshaped
