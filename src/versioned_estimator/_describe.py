"""What the envelope says about an estimator, in plain data.

The fields a fitted wrapper writes about its model (class path, parameters
flattened as ``get_params(deep=True)`` names them, tags, a search's
evaluation) and reads back (tags for ``hasattr`` and ``is_classifier`` on a
sealed model, the provenance a loaded model keeps, the schema checks of
``verify(X)``). Nothing here touches a pickle.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from versioned_estimator._format import describe
from versioned_estimator._probe import ProbeCheck
from versioned_estimator._provenance import schema_of

__all__ = [
    "class_path",
    "describe_params",
    "evaluation_of",
    "provenance_from",
    "schema_checks",
    "tags_from_plain",
    "tags_to_plain",
]


def class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def tags_to_plain(tags: Any) -> Any:
    if not dataclasses.is_dataclass(tags) or isinstance(tags, type):
        return None
    return describe(_fields(tags))


def _fields(value: Any) -> Any:
    """A dataclass as nested dicts (``dataclasses.asdict`` without its deep
    copies: a fifth of the first pickle of a small model)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _fields(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    return value


def tags_from_plain(data: dict[str, Any]) -> Any:
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
            out[key] = class_path(value)
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
                [str(v[0]), class_path(v[1]), *describe(list(v[2:]))] for v in value
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


def schema_checks(schema: dict[str, Any], X: Any) -> list[ProbeCheck]:
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
        same = saved == found[key]
        if key == "dtypes" and not same and (len(saved) == 1 or len(found[key]) == 1):
            # One dtype for an array against one per column of a frame: the
            # container differs, the values' types may not.
            same = set(saved) == set(found[key])
        if same:
            checks.append(ProbeCheck(f"schema.{label}", "same"))
        else:
            checks.append(
                ProbeCheck(
                    f"schema.{label}", "differs", f"X has {found[key]}, saved {saved}"
                )
            )
    return checks


def provenance_from(envelope: dict[str, Any]) -> dict[str, Any]:
    """What a loaded model keeps of its envelope, to pickle again."""
    return {
        "created_at": envelope.get("created_at"),
        "git": envelope.get("git") or {"commit": None, "dirty": None},
        "schema": envelope.get("schema") or {},
        "probe": envelope.get("probe"),
    }
