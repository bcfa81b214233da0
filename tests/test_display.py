"""The display weight: what scikit-learn's repr and HTML display of an
estimator would cost, held to what the file wrote of it.

These call :func:`display_problem` on estimators built here (the loads of
crafted files that it refuses are ``test_compiled_state``'s cases
``ridge-alphas-*``; an honest fixed vocabulary three estimators deep is its
intact ``GridSearchCV-of-a-fixed-vocabulary``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from versioned_estimator._display import (
    DISPLAY_FREE,
    MAX_DISPLAY_NESTING,
    NESTED_COST,
    display_problem,
    shown,
    weighing,
)


def _nested(model: Any, depth: int) -> Any:
    for _ in range(depth):
        model = Pipeline([("m", model)])
    return model


def test_each_reference_is_weighed_the_file_paying_once() -> None:
    """One long text referred to from every item is printed at each; the
    same characters as distinct texts, written out, are an honest
    display of what the file holds."""
    one = "y" * 1000
    referred = RidgeCV(alphas=[one] * 10_000)
    written = RidgeCV(alphas=["y" * 999 + str(i % 10) for i in range(10_000)])
    assert shown(referred)[0] > DISPLAY_FREE
    assert shown(referred)[0] == pytest.approx(shown(written)[0])
    assert "times as long as a display of what the file wrote" in str(
        display_problem(referred)
    )
    assert display_problem(written) is None
    # a few references pass, at any size: under the free allowance
    assert display_problem(RidgeCV(alphas=[one] * 100)) is None


def test_each_enclosing_estimator_multiplies_the_display() -> None:
    """scikit-learn prints a nested estimator's parameters again at each
    level: three pipelines deep, the same references weigh over 27 times."""
    alphas = ["y" * 1000] * 1_000
    flat, height = shown(RidgeCV(alphas=alphas))
    deep, deep_height = shown(_nested(RidgeCV(alphas=alphas), 3))
    assert (height, deep_height) == (1, 4)
    assert deep >= NESTED_COST**3 * flat
    assert display_problem(RidgeCV(alphas=alphas)) is None
    assert "times as long as" in str(
        display_problem(_nested(RidgeCV(alphas=alphas), 3))
    )


def test_a_display_past_20_seconds_is_refused_whatever_the_file_paid() -> None:
    """Distinct numbers, nine pipelines deep: each written once, yet the
    display would print them some 20,000 times over."""
    model = _nested(RidgeCV(alphas=np.logspace(-3, 3, 4_000).tolist()), 9)
    assert "about 20 s or more" in str(display_problem(model))
    assert display_problem(_nested(RidgeCV(alphas=[0.1, 1.0]), 9)) is None


def test_escaped_characters_weigh_their_escapes() -> None:
    """A text Python prints escaped costs each escape (``\\x00``: four
    characters), not its length."""
    printable, escaped = "a" * 1000, "\x00" * 1000
    extra = shown(RidgeCV(alphas=[escaped]))[0] - shown(RidgeCV(alphas=[printable]))[0]
    assert extra == pytest.approx(NESTED_COST * 2 * (3 * 1000 + 2))  # and quotes
    many = 3_000
    assert display_problem(RidgeCV(alphas=[printable] * many)) is None
    assert display_problem(RidgeCV(alphas=[escaped] * many)) is not None


def test_parameters_nested_past_the_bound_are_refused() -> None:
    """No display goes deeper than a hundred containers (nor the weighing,
    which recurses as the display does)."""
    value: Any = [0.5]
    for _ in range(MAX_DISPLAY_NESTING + 5):
        value = [value]
    assert "nest over 100 deep" in str(display_problem(RidgeCV(alphas=value)))


def test_honest_large_parameters_pass() -> None:
    """What users give estimators: a fixed vocabulary of 100,000 words as a
    dict and as a list, three deep; one list of 20,000 column names given
    to three transformers; categories of 50,000 values; a grid of 200,000
    small integers."""
    words = [f"word{i}" for i in range(100_000)]
    names = [f"column_{i}" for i in range(20_000)]
    grid = {"C": list(range(200_000))}
    honest = [
        GridSearchCV(
            make_pipeline(
                CountVectorizer(
                    vocabulary=dict(zip(words, range(len(words)), strict=True))
                ),
                LogisticRegression(),
            ),
            {"logisticregression__C": [0.5, 1.0]},
        ),
        _nested(CountVectorizer(vocabulary=words), 2),
        ColumnTransformer([(f"t{i}", StandardScaler(), names) for i in range(3)]),
        make_pipeline(OneHotEncoder(categories=[np.array(words[:50_000], object)])),
        GridSearchCV(LogisticRegression(), grid),
    ]
    with weighing():
        for model in honest:
            assert display_problem(model) is None, model
    # all but the encoder's (numpy prints 6 of its categories) weigh more
    # than the free allowance: what the file wrote is what passes them
    assert sum(shown(model)[0] > DISPLAY_FREE for model in honest) == 4


def test_weights_are_kept_while_a_walk_lasts() -> None:
    """Within one walk each object is weighed once: the pipeline's weighing
    reuses its step's, and a problem found is found again."""
    step = RidgeCV(alphas=["y" * 1000] * 10_000)
    model = _nested(step, 1)
    with weighing():
        first = display_problem(step)
        assert first is not None
        assert display_problem(step) == first
        assert display_problem(model) is not None
    assert display_problem(step) == first  # and alike outside a walk


def test_what_numpy_prints_in_python_is_weighed_by_its_fields() -> None:
    """A record dtype prints field by field, a record each field's value, a
    structured array each printed record's: one of 50 fields referred to
    2,300 times (round 190) is refused; the same dtype once passes."""
    record = np.dtype([(f"f{i}", "f8") for i in range(50)])
    plain = np.dtype("f8")
    assert shown(record)[0] > 40 * shown(plain)[0]
    assert "times as long as" in str(display_problem(RidgeCV(alphas=[record] * 2_300)))
    assert display_problem(RidgeCV(alphas=[record])) is None
    values = np.zeros(3, record)
    assert shown(values[0])[0] > shown(record)[0]
    assert shown(values)[0] > 3 * 50 * shown(np.zeros(1))[0] / 2
    # a numpy number of a type the table does not list, and a slice's ends
    assert shown(np.float16(1.5))[0] > shown(1.5)[0]
    assert shown(slice("y" * 1000, None))[0] > 2 * 1000


def test_subclasses_of_containers_are_weighed_by_their_items() -> None:
    """An ordered dict or a named tuple prints its every item too."""
    from collections import OrderedDict, namedtuple

    text = "y" * 1000
    pair = namedtuple("pair", "a b")
    assert shown(OrderedDict(a=text))[0] == pytest.approx(shown({"a": text})[0])
    assert shown(pair(text, text))[0] == pytest.approx(shown((text, text))[0])
    refused = RidgeCV(alphas=OrderedDict((i, text) for i in range(10_000)))
    assert display_problem(refused) is not None


def test_an_array_of_objects_is_weighed_by_the_items_numpy_prints() -> None:
    """Past 1,000 items numpy prints three at each end of every axis: a
    long text at the end is printed, one in the middle is not."""
    middle = np.full(5_000, None, dtype=object)
    end = middle.copy()
    middle[2_500] = end[-1] = "y" * 10_000
    assert shown(end)[0] > shown(middle)[0] + 10_000
    small = np.full(500, None, dtype=object)
    small[250] = "y" * 10_000
    assert shown(small)[0] > 10_000


def test_helper_objects_are_weighed_by_what_they_hold() -> None:
    """A splitter prints its folds, a scorer its keywords, a kernel each
    value of its arrays (no numpy summary): none is a name alone."""
    from sklearn.gaussian_process.kernels import RBF
    from sklearn.metrics import make_scorer, mean_pinball_loss
    from sklearn.model_selection._split import _CVIterableWrapper

    folds = _CVIterableWrapper([])
    folds.cv = [None] * 10_000
    assert shown(folds)[0] > 10_000 * 90
    scorer = make_scorer(mean_pinball_loss, alpha=["y" * 1000] * 100)
    assert shown(scorer)[0] > 100 * 2 * 1000
    assert shown(RBF(np.ones(5_000)))[0] > 100 * shown(RBF(np.ones(50)))[0] / 2


def test_a_cycle_through_helper_objects_is_weighed_once() -> None:
    """A scorer's routing request holds the scorer: weighed, not followed
    round and round (nor refused as nested past the bound)."""
    from sklearn import config_context
    from sklearn.metrics import get_scorer

    with config_context(enable_metadata_routing=True):
        scorer = get_scorer("accuracy").set_score_request(sample_weight=True)
        model = GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=scorer)
        assert display_problem(model) is None
        assert shown(model)[0] < DISPLAY_FREE


def test_text_in_an_array_of_objects_weighs_more_the_wider_it_is() -> None:
    """A display prints an array for each of its views, and numpy copies
    what it printed so far for each line: a character costs far more than
    in a list, a wide one more again (round 192). One text referred to by
    every item is refused; as many distinct texts pass."""
    text = "\U0001f600" * 300
    referred = np.array([text] * 1_000, dtype=object)
    distinct = np.array(
        [text[:-1] + chr(0x1F600 + i % 50) for i in range(1_000)], object
    )
    assert shown(referred)[0] > 10 * shown([text] * 1_000)[0]
    assert shown(np.array([text], object))[0] > shown(np.array(["x" * 300], object))[0]
    assert display_problem(OneHotEncoder(categories=[referred])) is not None
    assert display_problem(OneHotEncoder(categories=[distinct])) is None


def test_text_in_arrays_of_text_weighs_by_what_numpy_prints() -> None:
    """numpy copies the text it printed so far for each line of an array,
    and prints each escape in full (round 193: 1,000 texts of 4,096 bytes,
    each an escape of four characters, HTML 6.9 s, weighed as 1,000
    numbers; two pipelines deep past a minute). Text costs by its printed
    characters and lines, in an array of text, of objects or in a record's
    field; what the file wrote of it, by its characters unescaped."""
    plain = np.array([b"a" * 4096] * 1_000)
    escaped = np.array([b"\x01" * 4096] * 1_000)
    assert shown(plain)[0] > 30 * shown(np.zeros(1_000))[0]
    assert shown(plain)[0] > 3 * shown(np.array([b"a" * 1024] * 1_000))[0]
    assert shown(escaped)[0] > 3.5 * shown(plain)[0]
    assert shown(np.array(["\u200b" * 4096] * 1_000))[0] > 5 * shown(plain)[0]
    record = np.dtype([("text", "S4096"), ("value", "f8")])
    records = np.array([(b"\x01" * 4096, 1.0)] * 1_000, dtype=record)
    assert shown(records)[0] > shown(escaped)[0]
    short = np.array([(b"\x01", 1.0)], dtype=record)[0]
    assert shown(records[0])[0] > 2 * shown(short)[0]
    # Raw bytes print as escaped bytes (round 194): as an array, a record's
    # field, an array of objects' items, a record alone.
    raw = np.zeros(1_000, dtype="V4096")
    assert shown(raw)[0] > 3.5 * shown(plain)[0]
    fields = np.zeros(1_000, dtype=[("a", "V4000"), ("b", "i1")])
    assert shown(fields)[0] > 3 * shown(plain)[0]
    items = np.empty(1_000, dtype=object)
    items[:] = [np.void(b"\0" * 4096) for _ in range(1_000)]
    assert shown(items)[0] > 3.5 * shown(plain)[0]
    assert shown(raw[0])[0] > 3 * shown(np.zeros(1, dtype="V4")[0])[0]
    # A row prints as a flat array does (round 195: a (1, 1000) array of
    # objects was weighed as a list of its rows).
    spaces = np.empty(1_000, dtype=object)
    spaces[:] = ["\u200b" * 1020 + f"{i:04d}" for i in range(1_000)]
    assert shown(spaces.reshape(1, 1_000))[0] > 0.9 * shown(spaces)[0]
    assert shown(plain.reshape(1, 1_000))[0] > 0.9 * shown(plain)[0]
    deep = make_pipeline(make_pipeline(RidgeCV(alphas=escaped)))
    assert "about 20 s or more" in str(display_problem(deep))
    honest = np.array([f"category {i:04d} " + "x" * 1000 for i in range(1_000)])
    assert display_problem(RidgeCV(alphas=honest)) is None
    assert display_problem(OneHotEncoder(categories=[honest.astype(object)])) is None
