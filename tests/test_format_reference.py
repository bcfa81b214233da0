"""Files written in every released file format keep reading and loading.

``tests/data/format<N>/`` holds, per format version, a wrapped
LogisticRegression on iris written by ``pickle`` (protocol 5), ``joblib``
(uncompressed and ``compress=3``) and ``versioned_estimator.save``, with the
predictions and the envelope it was written with (``expected.json``; see
``tests/data/make_reference_files.py``). They were written once and are kept
forever: a reader must read every format up to its own, whatever scikit-learn
release loads them, so scikit-learn's own ``InconsistentVersionWarning`` is
allowed here, explicitly.

Envelopes the reference files do not cover are built by pickling an object
whose ``__reduce_ex__`` returns a real model's reduce tuple with an edited
envelope: an unknown extra field, missing optional fields, a newer format.
"""

from __future__ import annotations

import copy
import io
import json
import pickle
import re
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.linear_model import LogisticRegression

from versioned_estimator import (
    EnvelopeError,
    VersionedEstimator,
    config_context,
    load,
    read_envelope,
)
from versioned_estimator._format import FORMAT_VERSION

DATA = Path(__file__).parent / "data"
FORMATS = sorted(
    int(m.group(1))
    for p in DATA.glob("format*")
    if p.is_dir() and (m := re.fullmatch(r"format(\d+)", p.name))
)
REFERENCE_FILES = [
    (version, name)
    for version in FORMATS
    for name in json.loads((DATA / f"format{version}" / "expected.json").read_text())[
        "files"
    ]
]
OPTIONAL_FIELDS = ("probe", "evaluation", "git", "metadata")


def expected(version):
    """What the files of a format version were written with."""
    return json.loads((DATA / f"format{version}" / "expected.json").read_text())


def reference_ids(case):
    return f"format{case[0]}-{case[1]}"


def skip_if_written_by_a_newer_scikit_learn(version):
    """Pickles only load forward: a scikit-learn older than the one that wrote
    the reference files (the newest on Python 3.10 is 1.7) cannot load them."""
    import sklearn

    from versioned_estimator._environment import _release

    saved = expected(version)["envelope"]["packages"]["scikit-learn"]
    if _release(sklearn.__version__) < _release(saved):
        pytest.skip(
            f"the format{version} files were written by scikit-learn {saved}; "
            f"scikit-learn {sklearn.__version__} predates it"
        )


@pytest.fixture
def sklearn_version_warning_allowed(request):
    """Allow scikit-learn's InconsistentVersionWarning, and nothing else."""
    case = getattr(request, "param", None) or request.node.callspec.params.get("case")
    skip_if_written_by_a_newer_scikit_learn(case[0] if case else FORMAT_VERSION)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        yield


def test_every_format_up_to_the_current_one_has_reference_files():
    """Bumping FORMAT_VERSION without writing its reference files fails here."""
    assert list(range(1, FORMAT_VERSION + 1)) == FORMATS
    for version in FORMATS:
        folder = DATA / f"format{version}"
        names = {p.name for p in folder.iterdir()}
        assert set(expected(version)["files"]) | {"expected.json"} <= names
        assert expected(version)["format_version"] == version


def test_reference_files_stay_small():
    """The reference files are committed: they must stay far below 100 KB."""
    total = sum(p.stat().st_size for p in DATA.glob("format*/*") if p.is_file())
    assert total < 100_000, total


@pytest.mark.parametrize("case", REFERENCE_FILES, ids=reference_ids)
def test_read_envelope_reads_the_recorded_envelope(case):
    """read_envelope gives the format version, class and packages the file was
    written with, without loading the model."""
    version, name = case
    record = expected(version)
    envelope = read_envelope(DATA / f"format{version}" / name)
    assert envelope.format_version == version
    assert envelope.estimator_class == record["envelope"]["estimator_class"]
    assert (
        envelope.estimator_class == "sklearn.linear_model._logistic.LogisticRegression"
    )
    assert envelope.packages == record["envelope"]["packages"]
    assert envelope.packages["scikit-learn"] == record["written_by"]["scikit-learn"]
    assert envelope.packages["numpy"] == record["written_by"]["numpy"]
    assert envelope.metadata == record["envelope"]["metadata"]
    assert envelope.to_dict() == record["envelope"]


@pytest.mark.parametrize("case", REFERENCE_FILES, ids=reference_ids)
def test_safe_load_predicts_the_recorded_predictions(
    case, sklearn_version_warning_allowed
):
    """load(on_mismatch="ignore") of every reference file predicts what the
    model predicted when it was written, and its probe still replays."""
    version, name = case
    record = expected(version)
    model = load(
        DATA / f"format{version}" / name, on_mismatch="ignore", on_drift="ignore"
    )
    assert isinstance(model, VersionedEstimator)
    assert_predicts_as_recorded(model, record)
    report = model.verify()
    assert report.probed
    assert {c.method for c in report.checks} >= {"predict", "predict_proba"}
    assert report.ok, str(report)


@pytest.mark.parametrize("case", REFERENCE_FILES, ids=reference_ids)
def test_pickle_and_joblib_load_the_reference_files(
    case, sklearn_version_warning_allowed
):
    """The lazy path (plain pickle.load / joblib.load) reads them too: pickle
    files with pickle, every file with joblib."""
    version, name = case
    record = expected(version)
    path = DATA / f"format{version}" / name
    with config_context(on_mismatch="ignore", on_drift="ignore"):
        loaded = [joblib.load(path)]
        if name.endswith(".pkl"):
            with open(path, "rb") as handle:
                loaded.append(pickle.load(handle))
        for model in loaded:
            assert isinstance(model, VersionedEstimator)
            assert model.envelope.to_dict() == record["envelope"]
            assert_predicts_as_recorded(model, record)


def assert_predicts_as_recorded(model, record):
    X = np.asarray(record["X"])
    np.testing.assert_array_equal(model.predict(X), record["predict"])
    np.testing.assert_allclose(
        model.predict_proba(X), record["predict_proba"], rtol=1e-7
    )
    np.testing.assert_allclose(
        model.decision_function(X), record["decision_function"], rtol=1e-7
    )


# ----------------------------------------------------------------------------
# Edited envelopes
# ----------------------------------------------------------------------------


class _Edited:
    """Pickles as a real model's reduce tuple with another envelope."""

    def __init__(self, reduced, envelope):
        self.reduced = reduced
        self.envelope = envelope

    def __reduce_ex__(self, protocol):
        _, (_, stream, buffers) = self.reduced
        return (self.reduced[0], (self.envelope, stream, buffers))


def _fresh_model():
    X, y = load_iris(return_X_y=True)
    return VersionedEstimator(
        LogisticRegression(max_iter=1000), metadata={"owner": "format tests"}
    ).fit(X, y)


def _reference_model():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        path = DATA / f"format{FORMAT_VERSION}" / "logistic_iris.pkl"
        with open(path, "rb") as handle:
            return pickle.load(handle)  # sealed: its reduce tuple is the file's own


@pytest.fixture(params=["fresh", "reference"])
def reduced(request):
    """A real model's reduce tuple: one fitted now, one read from the reference
    file of the current format."""
    if request.param == "reference":
        skip_if_written_by_a_newer_scikit_learn(FORMAT_VERSION)
    model = _fresh_model() if request.param == "fresh" else _reference_model()
    result = model.__reduce_ex__(5)
    assert result[0].__name__ == "_rebuild"
    return result


def edited(reduced, change):
    """Pickled bytes of ``reduced`` with ``change(envelope)`` applied."""
    envelope = copy.deepcopy(reduced[1][0])
    change(envelope)
    return pickle.dumps(_Edited(reduced, envelope), protocol=5)


def _iris_X():
    return load_iris(return_X_y=True)[0]


def test_an_unknown_optional_field_still_reads_and_loads(
    reduced, sklearn_version_warning_allowed
):
    """A field a later writer adds (without a format bump) is kept and ignored."""

    def add(envelope):
        envelope["lineage"] = {"dataset": "iris", "rows": [1, 2, 3]}
        envelope["signed_by"] = None

    data = edited(reduced, add)
    envelope = read_envelope(data)
    assert envelope.format_version == 1
    assert envelope.to_dict()["lineage"] == {"dataset": "iris", "rows": [1, 2, 3]}
    sealed = pickle.loads(data)
    assert sealed.envelope.to_dict()["lineage"]["dataset"] == "iris"
    again = read_envelope(pickle.dumps(sealed))  # a sealed model passes it on
    assert again.to_dict()["lineage"]["dataset"] == "iris"
    model = load(data, on_mismatch="ignore")
    assert model.predict(_iris_X()[:3]).shape == (3,)


@pytest.mark.parametrize("missing", [*OPTIONAL_FIELDS, "all"])
def test_missing_optional_fields_still_read_and_load(
    reduced, missing, sklearn_version_warning_allowed
):
    """An envelope without probe, evaluation, git or metadata (one or all of
    them) reads with defaults, and loads and predicts."""
    fields = OPTIONAL_FIELDS if missing == "all" else (missing,)

    def drop(envelope):
        for key in fields:
            envelope.pop(key)

    data = edited(reduced, drop)
    envelope = read_envelope(data)
    assert envelope.format_version == 1
    if "probe" in fields:
        assert envelope.probe is None
    if "evaluation" in fields:
        assert envelope.evaluation is None
    if "git" in fields:
        assert envelope.git == {"commit": None, "dirty": None}
    if "metadata" in fields:
        assert envelope.metadata == {}
    X = _iris_X()
    for model in (load(data, on_mismatch="ignore"), _lazy(data)):
        assert model.predict(X[:3]).shape == (3,)
        report = model.verify()
        assert report.ok
        assert report.probed == ("probe" not in fields)


def _lazy(data):
    with config_context(on_mismatch="ignore"):
        model = pickle.loads(data)
        model.estimator_  # noqa: B018 - materializes under the config
    return model


def test_a_newer_format_is_refused_with_an_upgrade_hint(reduced):
    """format_version 2 is refused by read_envelope, load and pickle.load alike,
    with an EnvelopeError saying to upgrade, and nothing is unpickled."""

    def bump(envelope):
        envelope["format_version"] = FORMAT_VERSION + 1
        envelope["writer"] = "9.9.9"

    data = edited(reduced, bump)
    upgrade = re.compile(
        r"(?s)format 2.*newer.*9\.9\.9.*pip install -U versioned-estimator"
    )
    with pytest.raises(EnvelopeError, match=upgrade):
        read_envelope(data)
    with pytest.raises(EnvelopeError, match=upgrade):
        read_envelope(io.BytesIO(data))
    with pytest.raises(EnvelopeError, match=upgrade):
        load(data)
    with pytest.raises(EnvelopeError, match=upgrade):
        pickle.loads(data)
    with pytest.raises(EnvelopeError, match=upgrade):
        joblib.load(io.BytesIO(data))
