"""Files written in every released file format keep reading and loading.

``tests/data/format<N>/`` holds, per format version, a wrapped
LogisticRegression on iris written by ``pickle`` (protocol 5), ``joblib``
(uncompressed and ``compress=3``) and ``versioned_estimator.save``, with the
predictions and the envelope it was written with (``expected.json``; see
``tests/data/make_reference_files.py``). They were written once and are kept
forever: a reader must read every format up to its own, whatever scikit-learn
release loads them, so scikit-learn's own ``InconsistentVersionWarning`` is
allowed here, explicitly. The same checks run on files the current writer
makes now (in a temporary folder), so the format the reference script will
commit next is held to them before it is committed.

From format 2 on, the envelope's checksums and probe outputs are in a trailer
after the payload: ``read_envelope`` reads the head only, a loaded model's
``envelope`` has both (``expected.json`` records the latter, the trailer under
``"trailer"``).

Envelopes the reference files do not cover are built with ``tests/_forge.py``
from a real model (fitted now, or read from a reference file): an unknown
extra field, missing optional fields, a newer format.
"""

from __future__ import annotations

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

from tests._forge import forge
from tests._scripts import load_script
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
OPTIONAL_FIELDS = ("probe", "evaluation", "git", "metadata")
NOW = "now"


MAKER = load_script("make_reference_files.py", "make_reference_files")


def expected(version):
    """What the committed files of a format version were written with."""
    return json.loads((DATA / f"format{version}" / "expected.json").read_text())


# A case is (format version or NOW, file name): the committed files of every
# format, and the files the current writer makes now.
REFERENCE_FILES = [
    (version, name) for version in FORMATS for name in expected(version)["files"]
] + [(NOW, name) for name in MAKER.FILES]


def reference_ids(case):
    version, name = case
    return f"{'written_now' if version == NOW else f'format{version}'}-{name}"


@pytest.fixture(scope="module")
def written_now(tmp_path_factory):
    """The reference files of the current format, written now by the script
    that will write the committed ones."""
    folder = tmp_path_factory.mktemp("reference") / f"format{FORMAT_VERSION}"
    MAKER.write(str(folder))
    return folder


@pytest.fixture
def reference(case, written_now):
    """(path, record, format version) of a case."""
    version, name = case
    folder = written_now if version == NOW else DATA / f"format{version}"
    record = json.loads((folder / "expected.json").read_text())
    skip_if_written_by_a_newer_scikit_learn(record)
    return folder / name, record, record["format_version"]


def skip_if_written_by_a_newer_scikit_learn(record):
    """Pickles only load forward: a scikit-learn older than the one that wrote
    the reference files (the newest on Python 3.10 is 1.7) cannot load them."""
    import sklearn

    from versioned_estimator._environment import _release

    saved = record["envelope"]["packages"]["scikit-learn"]
    if _release(sklearn.__version__) < _release(saved):
        pytest.skip(
            f"the format{record['format_version']} files were written by "
            f"scikit-learn {saved}; scikit-learn {sklearn.__version__} predates it"
        )


@pytest.fixture
def sklearn_version_warning_allowed():
    """Allow scikit-learn's InconsistentVersionWarning, and nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        yield


def head_of(envelope):
    """The part of a recorded envelope that is in the file's head."""
    return {key: value for key, value in envelope.items() if key != "trailer"}


def test_every_format_up_to_the_current_one_has_reference_files():
    """Bumping FORMAT_VERSION without writing its reference files fails here."""
    assert list(range(1, FORMAT_VERSION + 1)) == FORMATS
    for version in FORMATS:
        folder = DATA / f"format{version}"
        names = {p.name for p in folder.iterdir()}
        assert set(expected(version)["files"]) | {"expected.json"} <= names
        assert expected(version)["format_version"] == version


def test_reference_files_stay_small(written_now):
    """The reference files are committed: they must stay far below 100 KB, and
    the ones the current writer makes too."""
    total = sum(p.stat().st_size for p in DATA.glob("format*/*") if p.is_file())
    assert total < 100_000, total
    now = sum(p.stat().st_size for p in written_now.iterdir())
    assert now < 50_000, now


def test_the_reference_script_writes_the_current_format(written_now):
    """The script writes every file it lists, in the current format, and
    records the envelope of a loaded model (the trailer too from format 2)."""
    record = json.loads((written_now / "expected.json").read_text())
    assert record["format_version"] == FORMAT_VERSION
    assert {p.name for p in written_now.iterdir()} == {*MAKER.FILES, "expected.json"}
    trailer = record["envelope"]["trailer"]
    assert trailer["checksums"]["algorithm"] == "crc32"
    assert set(trailer["probe"]["outputs"]) == {
        "predict",
        "predict_proba",
        "decision_function",
    }
    with pytest.raises(SystemExit, match="already holds"):
        MAKER.write(str(written_now))


@pytest.mark.parametrize("case", REFERENCE_FILES, ids=reference_ids)
def test_read_envelope_reads_the_recorded_envelope(case, reference):
    """read_envelope gives the format version, class and packages the file was
    written with, without loading the model: the head of what was recorded."""
    path, record, version = reference
    envelope = read_envelope(path)
    assert envelope.format_version == version
    assert envelope.estimator_class == record["envelope"]["estimator_class"]
    assert (
        envelope.estimator_class == "sklearn.linear_model._logistic.LogisticRegression"
    )
    assert envelope.packages == record["envelope"]["packages"]
    assert envelope.packages["scikit-learn"] == record["written_by"]["scikit-learn"]
    assert envelope.packages["numpy"] == record["written_by"]["numpy"]
    assert envelope.metadata == record["envelope"]["metadata"]
    assert envelope.to_dict() == head_of(record["envelope"])
    if version >= 2:
        # the checksums and the probe's outputs follow the payload
        assert envelope.payload["digest"] is None
        assert "outputs" not in envelope.probe
        assert envelope.probe["n_rows"] == 5
    else:
        assert envelope.payload["digest"] == record["envelope"]["payload"]["digest"]
        assert set(envelope.probe["outputs"]) >= {"predict", "predict_proba"}


@pytest.mark.parametrize("case", REFERENCE_FILES, ids=reference_ids)
def test_safe_load_predicts_the_recorded_predictions(
    case, reference, sklearn_version_warning_allowed
):
    """load(on_mismatch="ignore") of every reference file predicts what the
    model predicted when it was written, and its probe still replays."""
    path, record, _ = reference
    model = load(path, on_mismatch="ignore", on_drift="ignore")
    assert isinstance(model, VersionedEstimator)
    assert model.envelope.to_dict() == record["envelope"]
    assert_predicts_as_recorded(model, record)
    report = model.verify()
    assert report.probed
    assert report.skipped is None
    assert {c.method for c in report.checks} >= {"predict", "predict_proba"}
    assert report.ok, str(report)


@pytest.mark.parametrize("case", REFERENCE_FILES, ids=reference_ids)
def test_pickle_and_joblib_load_the_reference_files(
    case, reference, sklearn_version_warning_allowed
):
    """The lazy path (plain pickle.load / joblib.load) reads them too: pickle
    files with pickle, every file with joblib; the envelope is the recorded
    one, trailer included."""
    path, record, _ = reference
    with config_context(on_mismatch="ignore", on_drift="ignore"):
        loaded = [joblib.load(path)]
        if path.name.endswith(".pkl"):
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


def _fresh_model():
    X, y = load_iris(return_X_y=True)
    return VersionedEstimator(
        LogisticRegression(max_iter=1000), metadata={"owner": "format tests"}
    ).fit(X, y)


def _reference_model(version):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        path = DATA / f"format{version}" / "logistic_iris.pkl"
        with open(path, "rb") as handle:
            return pickle.load(handle)  # sealed: its reduce tuple is the file's own


@pytest.fixture(params=["fresh", *(f"format{v}" for v in FORMATS)])
def source(request):
    """(format version, model) of a real model: one fitted now, and one read
    from the reference file of each format."""
    if request.param == "fresh":
        return FORMAT_VERSION, _fresh_model()
    version = int(request.param.removeprefix("format"))
    skip_if_written_by_a_newer_scikit_learn(expected(version))
    model = _reference_model(version)
    assert "_sealed" in vars(model)
    return version, model


def edited(model, change):
    """Pickled bytes of ``model`` with ``change(envelope)`` applied."""
    return pickle.dumps(forge(model, envelope=change), protocol=5)


def _iris_X():
    return load_iris(return_X_y=True)[0]


def test_an_unknown_optional_field_still_reads_and_loads(
    source, sklearn_version_warning_allowed
):
    """A field a later writer adds (without a format bump) is kept and ignored."""
    version, model = source

    def add(envelope):
        envelope["lineage"] = {"dataset": "iris", "rows": [1, 2, 3]}
        envelope["signed_by"] = None

    data = edited(model, add)
    envelope = read_envelope(data)
    assert envelope.format_version == version
    assert envelope.to_dict()["lineage"] == {"dataset": "iris", "rows": [1, 2, 3]}
    sealed = pickle.loads(data)
    assert sealed.envelope.to_dict()["lineage"]["dataset"] == "iris"
    again = read_envelope(pickle.dumps(sealed))  # a sealed model passes it on
    assert again.to_dict()["lineage"]["dataset"] == "iris"
    loaded = load(data, on_mismatch="ignore")
    assert loaded.predict(_iris_X()[:3]).shape == (3,)


@pytest.mark.parametrize("missing", [*OPTIONAL_FIELDS, "all"])
def test_missing_optional_fields_still_read_and_load(
    source, missing, sklearn_version_warning_allowed
):
    """An envelope without probe, evaluation, git or metadata (one or all of
    them) reads with defaults, and loads and predicts."""
    version, model = source
    fields = OPTIONAL_FIELDS if missing == "all" else (missing,)

    def drop(envelope):
        for key in fields:
            envelope.pop(key)

    data = edited(model, drop)
    envelope = read_envelope(data)
    assert envelope.format_version == version
    if "probe" in fields:
        assert envelope.probe is None
    if "evaluation" in fields:
        assert envelope.evaluation is None
    if "git" in fields:
        assert envelope.git == {"commit": None, "dirty": None}
    if "metadata" in fields:
        assert envelope.metadata == {}
    X = _iris_X()
    for loaded in (load(data, on_mismatch="ignore"), _lazy(data)):
        assert loaded.predict(X[:3]).shape == (3,)
        report = loaded.verify()
        assert report.ok
        assert report.probed == ("probe" not in fields)


def _lazy(data):
    with config_context(on_mismatch="ignore"):
        model = pickle.loads(data)
        model.estimator_  # noqa: B018 - materializes under the config
    return model


def test_a_newer_format_is_refused_with_an_upgrade_hint(source):
    """A format_version above the current one is refused by read_envelope,
    load and pickle.load alike, with an EnvelopeError saying to upgrade, and
    nothing is unpickled."""
    _, model = source

    def bump(envelope):
        envelope["format_version"] = FORMAT_VERSION + 1
        envelope["writer"] = "9.9.9"

    data = edited(model, bump)
    upgrade = re.compile(
        rf"(?s)format {FORMAT_VERSION + 1}.*newer.*9\.9\.9"
        ".*pip install -U versioned-estimator"
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


NUMPY_SCALARS = DATA / "numpy_scalars"


@pytest.mark.parametrize("name", sorted(p.stem for p in NUMPY_SCALARS.glob("*.joblib")))
def test_an_earlier_releases_numpy_values_read_as_python_values(name):
    """Earlier releases wrote numpy's scalars into the envelope where the fit
    held them (``np.str_`` items of text data, a search over ``np.logspace``);
    ``tests/data/numpy_scalars/`` holds files one wrote. The head reads them
    as the Python values they stand for, and the safe load replays them."""
    record = json.loads((NUMPY_SCALARS / "expected.json").read_text())[name]
    skip_if_written_by_a_newer_scikit_learn(record)
    path = NUMPY_SCALARS / f"{name}.joblib"
    head = read_envelope(path).to_dict()
    assert head == record["envelope"]
    loaded = load(path, replay="always", on_drift="error")
    assert loaded.verify().ok
    X = load_script("numpy_scalars/make.py", "make_numpy_scalar_files").fits()[name][1]
    assert np.asarray(loaded.predict(X[:10])).tolist() == record["predict"]
