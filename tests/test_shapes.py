"""The table of fitted sizes that must agree (``_shapes_data``) and its check.

The table is generated from real fits (``tests/data/make_shapes.py``); these
tests regenerate it, fit every class it names on data of a shape the
generator never used and with scikit-learn's own test parameters (nothing
refused), and change each group's sizes one at a time (each refused).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

from versioned_estimator._shapes import _member, _shape, _value, check_shapes
from versioned_estimator._shapes_data import DIMENSIONS, EQUAL

DATA = Path(__file__).parent / "data"
#: (rows, width, classes, targets): a shape the generator does not fit on.
UNSEEN = (33, 6, 3, 2)


def _generator() -> Any:
    sys.path.insert(0, str(DATA))
    try:
        return importlib.import_module("make_shapes")
    finally:
        sys.path.remove(str(DATA))


GENERATOR = _generator()
CLASSES = {
    f"{cls.__module__}.{cls.__qualname__}": cls for cls in GENERATOR.classes().values()
}


@pytest.mark.slow
def test_the_table_is_what_fits_make():
    """Regenerating the table gives exactly the committed one (under the
    releases it was generated with)."""
    header = Path(__file__).parents[1] / "src/versioned_estimator/_shapes_data.py"
    if GENERATOR.versions() not in header.read_text():
        pytest.skip("the table was generated under other releases")
    assert GENERATOR.render(GENERATOR.collect()) == header.read_text()


def test_every_entry_names_a_class_and_sizes():
    assert set(EQUAL) == set(DIMENSIONS)
    for name, groups in EQUAL.items():
        assert name in CLASSES, name
        for group in groups:
            assert len(group) > 1, (name, group)
            assert len(set(group)) == len(group), (name, group)
            for member in group:
                attribute, _, axis = _member(member)
                assert attribute, member
                assert axis is None or axis >= 1, member


def _fit(name: str, shape: tuple[int, int, int, int] = UNSEEN) -> Any:
    fitted = GENERATOR._fitted(CLASSES[name], shape)
    if fitted is None:
        pytest.skip(f"{name} does not fit on data of shape {shape}")
    return fitted


@pytest.mark.parametrize("name", list(EQUAL))
def test_a_fit_of_an_unseen_shape_is_not_refused(name):
    assert check_shapes(_fit(name)) is None


def test_scikit_learns_own_test_instances_are_not_refused():
    """Every instance scikit-learn's checks build (with their per-check
    parameters), fitted on iris-like data: nothing refused."""
    generator = pytest.importorskip("sklearn.utils._test_common.instance_generator")
    fitted = refused = 0
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(40, 4)))
    y = np.arange(40) % 3
    for name, cls in CLASSES.items():
        if name not in EQUAL:
            continue
        try:
            base = next(iter(generator._construct_instances(cls)))
        except Exception:  # the helper is private: skip what it cannot build
            continue
        variants = [base]
        for params in generator.PER_ESTIMATOR_CHECK_PARAMS.get(cls, {}).values():
            for p in params if isinstance(params, list) else [params]:
                variants.append(clone(base).set_params(**p))
        for model in variants:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X, y)
            except Exception:
                continue
            fitted += 1
            problem = check_shapes(model)
            refused += problem is not None
            assert problem is None, (name, model, problem)
    assert fitted > 100
    assert refused == 0


def _other(value: Any, axis: int | None) -> Any:
    """``value`` (an array or a count) one larger along ``axis`` from the last."""
    if axis is None:
        return value + 1
    shape = list(value.shape)
    shape[-axis] += 1
    return np.zeros(shape, dtype=value.dtype)


def _cases() -> list[tuple[str, str]]:
    return [
        (name, ", ".join(group)) for name, groups in EQUAL.items() for group in groups
    ]


@pytest.mark.parametrize(("name", "group"), _cases())
def test_every_group_disagreeing_is_refused(name, group):
    """One member of the group made one larger: the check names the sizes."""
    model = _fit(name, GENERATOR.SHAPES[0])
    namespace = vars(model)
    present = [
        (attribute, index, axis)
        for attribute, index, axis in map(_member, group.split(", "))
        if (axis is None and type(_value(namespace, attribute, index)) is int)
        or len(_shape(_value(namespace, attribute, index)) or ()) >= (axis or 1)
    ]
    changeable = [m for m in present if m[1] is None]
    if len(present) < 2 or not changeable:
        pytest.skip("fewer than two of the group in this fit")
    attribute, _, axis = changeable[-1]
    setattr(model, attribute, _other(namespace[attribute], axis))
    problem = check_shapes(model)
    assert problem is not None
    assert "disagree in size" in problem, problem


@pytest.mark.parametrize("name", list(DIMENSIONS))
def test_an_array_of_more_dimensions_than_any_fit_is_refused(name):
    model = _fit(name, GENERATOR.SHAPES[0])
    arrays = [a for a in DIMENSIONS[name] if isinstance(vars(model).get(a), np.ndarray)]
    if not arrays:
        pytest.skip("no plain array of the table here")
    attribute = arrays[0]
    value = vars(model)[attribute]
    extra = (2,) * (DIMENSIONS[name][attribute] + 1 - value.ndim)
    setattr(model, attribute, np.zeros((*extra, *value.shape), dtype=value.dtype))
    problem = check_shapes(model)
    assert problem is not None
    assert f"{attribute} has" in problem, problem
