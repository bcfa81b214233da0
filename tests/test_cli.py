"""The command line: every command, text and JSON, real files, real exit codes."""

from __future__ import annotations

import importlib
import json
import os
import pickle
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from tests._forge import forge, parts
from versioned_estimator import (
    EnvironmentMismatchWarning,
    VersionedEstimator,
    __version__,
    load,
    read_envelope,
    save,
)
from versioned_estimator._cli import build_parser, human_size, main

ROOT = Path(__file__).resolve().parents[1]
KEY_VAR = "VE_TEST_CLI_KEY"


# ----------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------


class _RunsCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> Any:
        return (os.system, (self.command,))


def _other_sklearn_version() -> str:
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    return f"{major}.{minor - 1 if minor else minor + 1}.2"


@pytest.fixture(scope="module")
def iris() -> tuple[Any, Any]:
    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, iris: tuple[Any, Any]
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    X, y = iris
    out: dict[str, Path] = {}

    model = VersionedEstimator(
        LogisticRegression(max_iter=1000), metadata={"owner": "tests", "data": "iris"}
    ).fit(X, y)
    out["iris"] = Path(save(model, folder / "iris.joblib"))

    search = GridSearchCV(LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]}, cv=3)
    out["grid"] = Path(
        save(VersionedEstimator(search).fit(X, y), folder / "grid.joblib")
    )
    multi = GridSearchCV(
        LogisticRegression(max_iter=1000),
        {"C": [0.1, 1.0]},
        scoring=["accuracy", "f1_macro"],
        refit="f1_macro",
        cv=3,
    )
    out["multi"] = Path(
        save(VersionedEstimator(multi).fit(X, y), folder / "multi.joblib")
    )

    def pipeline(scaler: Any, C: float) -> Any:
        steps = make_pipeline(scaler, LogisticRegression(C=C, max_iter=1000))
        return VersionedEstimator(steps).fit(X, y)

    for name, scaler, C in [
        ("pipe", StandardScaler(), 1.0),
        ("pipe_c", StandardScaler(), 0.1),
        ("pipe_minmax", MinMaxScaler(), 1.0),
    ]:
        out[name] = Path(save(pipeline(scaler, C), folder / f"{name}.joblib"))

    def older_sklearn(envelope: dict[str, Any]) -> None:
        # what a writer with another scikit-learn records: both version fields
        for field in ("packages", "requirements"):
            envelope[field]["scikit-learn"] = _other_sklearn_version()

    out["old"] = folder / "old.joblib"
    joblib.dump(forge(model, envelope=older_sklearn), out["old"])

    marker = folder / "MARKER"
    evil = pickle.dumps(_RunsCommand(f"touch {marker}"), protocol=5)
    out["marker"] = marker
    # a stream swapped after writing: the checksums no longer match it
    out["evil"] = folder / "evil.joblib"
    joblib.dump(forge(model, stream=evil, recompute=False), out["evil"])
    # the same swap with the checksums recomputed (they are no secret)
    out["evil_rehashed"] = folder / "evil_rehashed.joblib"
    joblib.dump(forge(model, stream=evil), out["evil_rehashed"])

    drifted = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    # the file records outputs of the model as it is; its coefficients then
    # change in the file (an honest writer of the changed model, with the old
    # outputs): what a library changing its internals looks like at load
    recorded = parts(drifted)["trailer"]
    drifted.estimator_.coef_ *= -1
    out["drift"] = folder / "drift.joblib"
    joblib.dump(
        forge(drifted, trailer=lambda t: t.__setitem__("probe", recorded["probe"])),
        out["drift"],
    )

    out["signed"] = Path(save(model, folder / "signed.joblib", key="s3cret"))

    stream = parts(model)["stream"]
    out["half_stream"] = folder / "half_stream.joblib"
    joblib.dump(forge(model, stream=stream[: len(stream) // 2]), out["half_stream"])

    out["plain"] = folder / "plain.pkl"
    out["plain"].write_bytes(pickle.dumps(LogisticRegression(max_iter=1000).fit(X, y)))
    data = out["iris"].read_bytes()
    out["truncated"] = folder / "truncated.joblib"
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["tail_cut"] = folder / "tail_cut.joblib"
    out["tail_cut"].write_bytes(data[:-60])  # envelope intact, payload cut
    out["directory"] = folder / "a_folder"
    out["directory"].mkdir()
    out["missing"] = folder / "missing.joblib"
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert err == ""
    return code, json.loads(out)


# ----------------------------------------------------------------------------
# inspect
# ----------------------------------------------------------------------------


def test_inspect_text(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, err = run(capsys, "inspect", files["iris"])
    assert (code, err) == (0, "")
    envelope = read_envelope(files["iris"])
    assert out.startswith(
        f"{files['iris']}: sklearn.linear_model._logistic.LogisticRegression"
    )
    for text in (
        envelope.created_at,
        envelope.python,
        # format 2 keeps the digest in the trailer, which inspect does not read:
        # the head names the checksum algorithm
        "digest      crc32, kept after the payload (`versioned-estimator verify`",
        "format      2 (written by versioned-estimator ",
        f"scikit-learn  {sklearn.__version__}",
        "max_iter",
        "sepal length (cm)",
        "owner",
        "probe       5 rows (their outputs are kept after the payload)",
        "signed      no",
    ):
        assert text in out
    assert f"payload     {human_size(envelope.payload['nbytes'])}" in out


def test_inspect_json(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "inspect", files["iris"])
    envelope = read_envelope(files["iris"])
    assert code == 0
    assert (
        data["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    )
    assert data["params"] == envelope.params
    assert data["params"]["max_iter"] == 1000
    assert data["packages"]["scikit-learn"] == sklearn.__version__
    assert data["python"] == envelope.python
    assert data["created_at"] == envelope.created_at
    assert data["git"] == {
        "commit": envelope.git["commit"],
        "dirty": envelope.git["dirty"],
        "source": envelope.git["source"],
    }
    assert data["schema"]["n_samples"] == 150
    assert data["schema"]["n_features_in"] == 4
    assert data["schema"]["feature_names_in"][0] == "sepal length (cm)"
    assert data["metadata"] == {"owner": "tests", "data": "iris"}
    assert data["evaluation"] is None
    assert data["format_version"] == 2
    assert data["payload"]["algorithm"] == "crc32"
    assert data["payload"]["nbytes"] == envelope.payload["nbytes"]
    assert data["payload"]["size"] == human_size(envelope.payload["nbytes"])
    assert data["signed"] is False
    assert data["probe"]["n_rows"] == 5


def test_inspect_search_evaluation(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "inspect", files["grid"])
    assert code == 0
    evaluation = data["evaluation"]
    assert evaluation["best_params"] in ({"C": 0.1}, {"C": 1.0})
    assert evaluation["n_splits"] == 3
    assert evaluation["scoring"] is None
    assert 0.9 < evaluation["best_score"] <= 1.0
    code, out, _ = run(capsys, "inspect", files["grid"])
    assert code == 0
    assert "evaluation" in out
    assert f"best_params   {evaluation['best_params']}" in out
    assert "n_splits      3" in out


def test_inspect_signed(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "inspect", files["signed"])
    assert (code, data["signed"], data["signature"]) == (0, True, "hmac-sha256")
    # inspect reads the head only: it shows the file's claim as a claim.
    code, out, _ = run(capsys, "inspect", files["signed"])
    assert _row(out, "signed") == (
        "claimed (hmac-sha256), not checked: verify --key-env VAR"
    )


LOGISTIC = "sklearn.linear_model._logistic.LogisticRegression"
SCALER = "sklearn.preprocessing._data.StandardScaler"


def _row(out: str, key: str, section: str | None = None) -> str:
    """The value column of the text row whose first cell is ``key`` (in
    ``section``, when given)."""
    lines = out.splitlines()
    if section is not None:
        lines = lines[lines.index(section) :]
    for line in lines:
        cells = line.split()
        if cells and cells[0] == key:
            return line.strip()[len(key) :].strip()
    raise AssertionError(f"no row {key!r} in:\n{out}")


def test_inspect_pipeline_shows_nested_parameters_whole(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    envelope = read_envelope(files["pipe"])
    code, data = run_json(capsys, "inspect", files["pipe"])
    assert code == 0
    # --json gives the envelope's params: flattened as get_params(deep=True),
    # estimators as their class path, values as plain data (not repr strings)
    assert data["params"] == envelope.params
    assert data["params"]["logisticregression"] == LOGISTIC
    assert data["params"]["logisticregression__C"] == 1.0
    assert data["params"]["standardscaler__with_mean"] is True
    assert data["params"]["steps"] == [
        ["standardscaler", SCALER],
        ["logisticregression", LOGISTIC],
    ]
    code, out, _ = run(capsys, "inspect", files["pipe"])
    assert code == 0
    assert _row(out, "logisticregression") == LOGISTIC
    assert _row(out, "logisticregression__C") == "1.0"
    assert _row(out, "logisticregression__max_iter") == "1000"
    assert _row(out, "standardscaler") == SCALER
    # the steps, one a line, class paths whole
    lines = out.splitlines()
    steps = next(i for i, line in enumerate(lines) if line.split()[:1] == ["steps"])
    assert lines[steps].split()[1:] == ["standardscaler", SCALER]
    assert lines[steps + 1].split() == ["logisticregression", LOGISTIC]
    assert "..." not in out


def test_inspect_names_the_metric_of_best_score(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "inspect", files["multi"])
    assert code == 0
    evaluation = data["evaluation"]
    assert (evaluation["scoring"], evaluation["refit"]) == (
        ["accuracy", "f1_macro"],
        "f1_macro",
    )
    assert data["best_score_metric"] == "f1_macro"
    code, out, _ = run(capsys, "inspect", files["multi"])
    assert _row(out, "best_score", "evaluation") == (
        f"{evaluation['best_score']!r} (f1_macro, the refit metric)"
    )
    assert _row(out, "scoring", "evaluation") == "accuracy, f1_macro"
    assert _row(out, "refit", "evaluation") == "f1_macro"
    # a single-metric search without scoring ranks by the estimator's score
    code, data = run_json(capsys, "inspect", files["grid"])
    assert data["best_score_metric"] == "score"
    code, out, _ = run(capsys, "inspect", files["grid"])
    assert _row(out, "best_score", "evaluation").endswith(
        "(the estimator's score method)"
    )
    evaluation_rows = out[out.index("\nevaluation\n") :].split("\n\n")[0]
    assert "refit" not in evaluation_rows  # refit=True says nothing more
    code, data = run_json(capsys, "inspect", files["iris"])
    assert data["best_score_metric"] is None


def test_human_size() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(12_900_000) == "12.3 MiB"
    assert human_size(3 * 1024**3) == "3.0 GiB"


# ----------------------------------------------------------------------------
# check
# ----------------------------------------------------------------------------


def test_check_ok(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, err = run(capsys, "check", files["iris"])
    assert (code, err) == (0, "")
    assert "environment: ok (threshold: minor)" in out
    code, data = run_json(capsys, "check", files["iris"])
    assert code == 0
    assert data["ok"] is True
    assert data["threshold"] == "minor"
    assert data["fix"] is None
    assert {p["name"]: p["change"] for p in data["packages"]}["scikit-learn"] == "same"


def test_check_mismatch(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    saved = _other_sklearn_version()
    code, out, err = run(capsys, "check", files["old"])
    assert (code, err) == (1, "")
    assert "MISMATCH" in out
    assert f"pip install scikit-learn=={saved}" in out
    code, data = run_json(capsys, "check", files["old"])
    assert code == 1
    assert data["ok"] is False
    assert data["mismatches"] == ["scikit-learn"]
    entry = {p["name"]: p for p in data["packages"]}["scikit-learn"]
    assert entry == {
        "name": "scikit-learn",
        "saved": saved,
        "installed": sklearn.__version__,
        "change": "minor",
    }
    assert data["fix"] == f"pip install scikit-learn=={saved}"
    # a minor change passes a "major" policy
    code, data = run_json(capsys, "check", files["old"], "--policy", "major")
    assert (code, data["ok"], data["threshold"]) == (0, True, "major")


def test_check_rejects_unknown_policy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "x.joblib", "--policy", "same"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# ----------------------------------------------------------------------------
# audit
# ----------------------------------------------------------------------------


def test_audit_ok(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "audit", files["iris"])
    assert code == 0
    assert "allowed    sklearn.linear_model._logistic.LogisticRegression" in out
    assert out.rstrip().endswith("audit: ok")
    code, data = run_json(capsys, "audit", files["iris"])
    assert code == 0
    assert data["ok"] is True
    assert "sklearn.linear_model._logistic.LogisticRegression" in data["globals"]
    assert data["untrusted"] == data["dangerous"] == []
    assert data["error"] is None


def test_audit_inspect_verify_never_run_the_payload(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    system = f"{os.system.__module__}.system"
    code, out, _ = run(capsys, "audit", files["evil"])
    assert code == 1
    assert f"DANGEROUS  {system}" in out
    code, data = run_json(capsys, "audit", files["evil"])
    assert code == 1
    assert data["dangerous"] == data["untrusted"] == [system]
    code, out, _ = run(capsys, "inspect", files["evil"])
    assert code == 0
    code, out, _ = run(capsys, "verify", files["evil"])
    assert code == 1
    assert "verify: FAILED at digest" in out
    code, data = run_json(capsys, "verify", files["evil"])
    assert code == 1
    assert data["error"]["type"] == "IntegrityError"
    assert data["stages"]["digest"]["status"] == "failed"
    assert data["stages"]["unpickle"]["status"] == "not reached"
    assert not files["marker"].exists()


def test_a_swapped_stream_with_recomputed_checksums_is_refused_by_the_allow_list(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    # checksums are no secret: the digest passes, the allow-list refuses
    system = f"{os.system.__module__}.system"
    code, data = run_json(capsys, "audit", files["evil_rehashed"])
    assert (code, data["dangerous"]) == (1, [system])
    code, data = run_json(capsys, "verify", files["evil_rehashed"])
    assert code == 1
    assert data["error"]["type"] == "UntrustedGlobalError"
    assert data["error"]["names"] == [system]
    assert data["stages"]["digest"]["status"] == "ok"
    assert data["stages"]["unpickle"]["status"] == "failed"
    assert data["stages"]["probe"]["status"] == "not reached"
    code, out, _ = run(capsys, "verify", files["evil_rehashed"])
    assert code == 1
    assert "verify: FAILED at unpickle" in out
    assert not files["marker"].exists()


def test_audit_of_a_broken_inner_stream(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "audit", files["half_stream"])
    assert code == 1
    assert "audit: FAILED" in out
    code, data = run_json(capsys, "audit", files["half_stream"])
    assert code == 1
    assert data["ok"] is False
    assert "past the end of the stream" in data["error"]
    # its checksums were recomputed: the safe load refuses it before unpickling
    code, data = run_json(capsys, "verify", files["half_stream"])
    assert (code, data["error"]["type"]) == (1, "UntrustedGlobalError")
    assert data["stages"]["unpickle"]["status"] == "failed"
    assert "Nothing was unpickled" in data["error"]["message"]


# ----------------------------------------------------------------------------
# requirements
# ----------------------------------------------------------------------------


def test_requirements(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    """requirements pins every distribution the envelope records as needed
    (transitively), at its saved version, after comments naming python and
    the model."""
    envelope = read_envelope(files["iris"])
    code, out, _ = run(capsys, "requirements", files["iris"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"# python {envelope.python}"
    assert lines[1].startswith("# sklearn.linear_model._logistic.LogisticRegression")
    assert str(files["iris"]) in lines[1]
    pins = [f"{k}=={v}" for k, v in sorted(envelope.requirements.items())]
    assert [line for line in lines if not line.startswith("#")] == pins
    assert {f"{k}=={v}" for k, v in envelope.packages.items()} <= set(pins)
    assert f"scikit-learn=={sklearn.__version__}" in pins
    assert f"numpy=={np.__version__}" in pins
    assert f"scipy=={scipy.__version__}" in pins  # scikit-learn's dependency
    assert f"pandas=={pd.__version__}" in pins  # the probe rows are a DataFrame
    assert f"versioned-estimator=={__version__}" in pins
    code, data = run_json(capsys, "requirements", files["iris"])
    assert code == 0
    assert (data["python"], data["requirements"]) == (envelope.python, pins)


def test_requirements_pin_the_saved_versions(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "requirements", files["old"])
    assert code == 0
    assert f"scikit-learn=={_other_sklearn_version()}" in out.splitlines()
    assert f"scikit-learn=={sklearn.__version__}" not in out.splitlines()
    code, data = run_json(capsys, "requirements", files["old"])
    assert f"scikit-learn=={_other_sklearn_version()}" in data["requirements"]


# ----------------------------------------------------------------------------
# diff
# ----------------------------------------------------------------------------


def test_diff_same_file(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "diff", files["iris"], files["iris"])
    assert code == 0
    assert out.splitlines()[-1] == "no differences"
    code, data = run_json(capsys, "diff", files["iris"], files["iris"])
    assert (code, data["same"], data["differences"]) == (0, True, [])


def test_diff_versions(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "diff", files["iris"], files["old"])
    assert code == 1  # different, as diff(1) says it
    by_field = {d["field"]: d for d in data["differences"]}
    assert by_field["packages.scikit-learn"] == {
        "field": "packages.scikit-learn",
        "change": "changed",
        "a": sklearn.__version__,
        "b": _other_sklearn_version(),
    }
    # same model, same payload; requirements repeats no package packages shows
    assert list(by_field) == ["packages.scikit-learn"]
    code, out, _ = run(capsys, "diff", files["iris"], files["old"])
    assert code == 1
    assert _row(out, "packages.scikit-learn").split() == [
        sklearn.__version__,
        _other_sklearn_version(),
    ]
    assert out.splitlines()[-1] == "1 difference"


def test_diff_search(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "diff", files["iris"], files["grid"])
    assert (code, data["same"]) == (1, False)
    by_field = {d["field"]: d for d in data["differences"]}
    assert (
        by_field["estimator_class"]["b"]
        == "sklearn.model_selection._search.GridSearchCV"
    )
    assert by_field["params.param_grid"] == {
        "field": "params.param_grid",
        "change": "added",
        "a": None,
        "b": {"C": [0.1, 1.0]},
    }
    assert by_field["params.max_iter"]["change"] == "removed"
    assert by_field["evaluation.n_splits"]["b"] == 3
    assert by_field["payload.nbytes"]["change"] == "changed"
    assert by_field["params.estimator"] == {
        "field": "params.estimator",
        "change": "added",
        "a": None,
        "b": LOGISTIC,
    }


def _text_fields(out: str, data: dict[str, Any]) -> list[str]:
    """The fields the diff text lists, in order (table or block layout)."""
    fields = [d["field"] for d in data["differences"]]
    return [
        line.split()[0]
        for line in out.splitlines()
        if line.split() and line.split()[0] in fields
    ]


def test_diff_pipelines_that_differ_in_one_nested_parameter(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "diff", files["pipe"], files["pipe_c"])
    assert (code, data["same"]) == (1, False)
    found = {d["field"]: d for d in data["differences"]}
    # created_at too, unless both were fitted within the same second
    assert set(found) - {"created_at"} == {"params.logisticregression__C"}
    assert found["params.logisticregression__C"] == {
        "field": "params.logisticregression__C",
        "change": "changed",
        "a": 1.0,
        "b": 0.1,
    }
    code, out, _ = run(capsys, "diff", files["pipe"], files["pipe_c"])
    assert code == 1
    assert out.splitlines()[:2] == [f"A: {files['pipe']}", f"B: {files['pipe_c']}"]
    assert out.splitlines()[2].split() == ["field", "A", "B"]
    assert _row(out, "params.logisticregression__C").split() == ["1.0", "0.1"]
    assert _text_fields(out, data) == [d["field"] for d in data["differences"]]
    n = len(data["differences"])
    assert out.splitlines()[-1] == f"{n} difference{'s' if n > 1 else ''}"


def test_diff_a_changed_step_shows_whole_class_names(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    minmax = "sklearn.preprocessing._data.MinMaxScaler"
    code, data = run_json(capsys, "diff", files["pipe"], files["pipe_minmax"])
    assert code == 1
    found = {d["field"]: d for d in data["differences"]}
    assert found["params.standardscaler"] == {
        "field": "params.standardscaler",
        "change": "removed",
        "a": SCALER,
        "b": None,
    }
    assert found["params.minmaxscaler"]["b"] == minmax
    assert found["params.steps[0]"] == {
        "field": "params.steps[0]",
        "change": "changed",
        "a": ["standardscaler", SCALER],
        "b": ["minmaxscaler", minmax],
    }
    assert "params.steps[1]" not in found  # the same LogisticRegression
    assert "params.logisticregression__C" not in found
    code, out, _ = run(capsys, "diff", files["pipe"], files["pipe_minmax"])
    assert code == 1
    assert "..." not in out
    assert SCALER in out
    assert minmax in out
    assert _text_fields(out, data) == [d["field"] for d in data["differences"]]
    assert out.splitlines()[-1] == f"{len(data['differences'])} differences"


def test_diff_of_wide_values_is_one_block_per_field(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    # class paths side by side would not fit a terminal: A and B go under
    # each field, whole
    code, data = run_json(capsys, "diff", files["iris"], files["pipe"])
    assert code == 1
    code, out, _ = run(capsys, "diff", files["iris"], files["pipe"])
    lines = out.splitlines()
    at = lines.index("estimator_class")
    assert lines[at + 1].split() == ["A", LOGISTIC]
    assert lines[at + 2].split() == ["B", "sklearn.pipeline.Pipeline"]
    assert _text_fields(out, data) == [d["field"] for d in data["differences"]]


def test_diff_paths_under_a_long_key_are_cut(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A path is repeated for every difference under it: a metadata key of
    megabytes over 500 differing values once made ``diff`` ask 4 GB (red
    team round 43). Paths are cut to a line's worth."""
    X = np.random.default_rng(0).normal(size=(20, 2))
    key = "k" * 2_000_000
    paths = []
    for value in (0, 1):
        model = VersionedEstimator(
            LogisticRegression(),
            metadata={key: {str(i): value for i in range(500)}},
        ).fit(X, (X[:, 0] > 0).astype(int))
        paths.append(tmp_path / f"{value}.joblib")
        save(model, paths[-1])
    code, out, _ = run(capsys, "diff", *paths)
    assert code == 1
    fields = [line for line in out.splitlines() if line.startswith("metadata.")]
    assert len(fields) == 500
    assert max(map(len, fields)) <= 240
    assert len(out) < 500 * 400


def test_diff_compares_every_part_of_the_head(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    """Signature, probe, globals, modules, tags and how the payload was
    written are compared too, not only what ``inspect`` shows first (red
    team round 131: two files differing only there were "no differences")."""
    code, data = run_json(capsys, "diff", files["iris"], files["signed"])
    assert code == 1
    by_field = {d["field"]: d for d in data["differences"]}
    # the head read holds how each is checked, not the signature itself
    assert list(by_field) == ["payload.checksum", "signed"]
    assert (by_field["signed"]["a"], by_field["signed"]["b"]) == (False, True)
    assert by_field["payload.checksum"]["a"] != by_field["payload.checksum"]["b"]

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)

    def saved(name: str, estimator: Any, **kwargs: Any) -> Path:
        model = VersionedEstimator(estimator, **kwargs).fit(X, y)
        return Path(save(model, tmp_path / f"{name}.joblib"))

    five = saved("five", LogisticRegression())
    three = saved("three", LogisticRegression(), probe_size=3)
    code, data = run_json(capsys, "diff", five, three)
    by_field = {d["field"]: d for d in data["differences"]}
    assert (by_field["probe_size"]["a"], by_field["probe_size"]["b"]) == (5, 3)
    assert (by_field["probe.n_rows"]["a"], by_field["probe.n_rows"]["b"]) == (5, 3)
    assert "probe.X" in by_field  # outputs are in the trailer, not the head read
    assert by_field["probe.X"]["a"].startswith("sha256:")

    ridge = saved("ridge", make_pipeline(StandardScaler(), Ridge()))
    code, data = run_json(capsys, "diff", five, ridge)
    by_field = {d["field"]: d for d in data["differences"]}
    assert by_field["tags.estimator_type"]["b"] == "regressor"
    assert by_field["globals.sklearn.pipeline.Pipeline"]["change"] == "added"
    assert by_field["globals.sklearn.linear_model._logistic.LogisticRegression"][
        "change"
    ] == ("removed")
    assert "payload.buffers.nbytes" in by_field or "payload.nbytes" in by_field

    code, out, _ = run(capsys, "diff", five, ridge)
    assert _text_fields(out, data) == [d["field"] for d in data["differences"]]


# ----------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------


def test_verify_ok(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "verify", files["iris"])
    assert code == 0
    assert out.rstrip().endswith("verify: ok")
    code, data = run_json(capsys, "verify", files["iris"])
    assert code == 0
    assert data["ok"] is True
    assert data["error"] is None
    assert data["warnings"] == []
    assert {k: v["status"] for k, v in data["stages"].items()} == {
        "signature": "absent",
        "digest": "ok",
        "environment": "ok",
        "unpickle": "ok",
        "probe": "ok",
    }
    # the digest verified is the one the file's trailer holds
    digest = load(files["iris"]).envelope.payload["digest"]
    assert data["stages"]["digest"]["detail"].startswith(f"crc32:{digest[:16]}...")
    assert [c["method"] for c in data["probe"]["checks"]] == [
        "predict",
        "predict_proba",
        "decision_function",
    ]


def test_verify_reports_a_mismatch_without_failing(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, data = run_json(capsys, "verify", files["old"])
    assert code == 0
    assert data["stages"]["environment"]["status"] == "warned"
    assert [w["category"] for w in data["warnings"]] == ["EnvironmentMismatchWarning"]
    assert "scikit-learn" in data["warnings"][0]["message"]
    code, out, _ = run(capsys, "verify", files["old"])
    assert code == 0
    assert "EnvironmentMismatchWarning" in out


def test_verify_drift(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    # nothing changed in the environment, so load() skips the replay; verify
    # replays it anyway and fails at the probe
    code, data = run_json(capsys, "verify", files["drift"])
    assert code == 1
    assert data["ok"] is False
    assert data["stages"]["probe"]["status"] == "failed"
    assert data["stages"]["unpickle"]["status"] == "ok"
    assert data["probe"]["ok"] is False
    assert {c["method"]: c["status"] for c in data["probe"]["checks"]} == {
        "predict": "differs",
        "predict_proba": "differs",
        "decision_function": "differs",
    }
    code, out, _ = run(capsys, "verify", files["drift"])
    assert code == 1
    assert "probe replay differences:" in out
    assert "verify: FAILED at probe" in out


def test_verify_signature(
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VERSIONED_ESTIMATOR_KEY", raising=False)
    code, data = run_json(capsys, "verify", files["signed"])
    assert (code, data["stages"]["signature"]["status"]) == (0, "unchecked")
    monkeypatch.setenv(KEY_VAR, "s3cret")
    code, data = run_json(capsys, "verify", files["signed"], "--key-env", KEY_VAR)
    assert (code, data["stages"]["signature"]["status"]) == (0, "ok")
    monkeypatch.setenv(KEY_VAR, "wrong")
    code, data = run_json(capsys, "verify", files["signed"], "--key-env", KEY_VAR)
    assert code == 1
    assert data["error"]["type"] == "IntegrityError"
    assert data["stages"]["signature"]["status"] == "failed"
    assert data["stages"]["digest"]["status"] == "not reached"
    monkeypatch.delenv(KEY_VAR)
    code, out, err = run(capsys, "verify", files["signed"], "--key-env", KEY_VAR)
    assert (code, out) == (2, "")
    assert err == (
        f"versioned-estimator: error: --key-env {KEY_VAR}: that environment variable "
        "is not set\n"
    )


def test_verify_a_signed_file_whose_payload_changed_fails_at_the_digest(
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one byte of the pickled coefficients flipped: the signature (over the
    # head and the trailer) still matches, the stream's checksum does not
    data = bytearray(files["signed"].read_bytes())
    tail = parts(load(files["signed"], key="s3cret"))["stream"][-40:-20]
    assert data.count(tail) == 1
    data[data.index(tail) + 5] ^= 0xFF
    path = tmp_path / "signed_changed.joblib"
    path.write_bytes(bytes(data))
    monkeypatch.setenv(KEY_VAR, "s3cret")
    code, result = run_json(capsys, "verify", path, "--key-env", KEY_VAR)
    assert (code, result["error"]["type"]) == (1, "IntegrityError")
    assert result["stages"]["signature"]["status"] == "ok"
    assert result["stages"]["digest"]["status"] == "failed"


def test_own_class_trust_and_module_alias(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    iris: tuple[Any, Any],
) -> None:
    (tmp_path / "cli_shop.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n\n\n"
        "class ShopClassifier(LogisticRegression):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("cli_shop")
    X, y = iris
    path = save(
        VersionedEstimator(module.ShopClassifier(max_iter=1000)).fit(X, y),
        tmp_path / "shop.joblib",
    )
    code, data = run_json(capsys, "audit", path)
    assert (code, data["untrusted"]) == (1, ["cli_shop.ShopClassifier"])
    code, out, _ = run(capsys, "audit", path)
    assert "--trust cli_shop.ShopClassifier" in out
    code, data = run_json(capsys, "audit", path, "--trust", "cli_shop.ShopClassifier")
    assert (code, data["ok"]) == (0, True)
    code, data = run_json(capsys, "verify", path)
    assert (code, data["error"]["type"]) == (1, "UntrustedGlobalError")
    assert data["error"]["names"] == ["cli_shop.ShopClassifier"]
    code, _ = run_json(capsys, "verify", path, "--trust", "cli_shop.ShopClassifier")
    assert code == 0

    # the module is renamed: the envelope still reads, load needs an alias
    (tmp_path / "cli_shop.py").rename(tmp_path / "cli_shop_v2.py")
    monkeypatch.delitem(sys.modules, "cli_shop")
    importlib.invalidate_caches()
    code, data = run_json(capsys, "inspect", path)
    assert (code, data["estimator_class"]) == (0, "cli_shop.ShopClassifier")
    code, data = run_json(capsys, "verify", path, "--trust", "cli_shop.ShopClassifier")
    assert (code, data["error"]["type"], data["error"]["module"]) == (
        1,
        "InnerLoadError",
        "cli_shop",
    )
    assert "module_aliases" in data["error"]["message"]
    argv = [
        "--module-alias",
        "cli_shop=cli_shop_v2",
        "--trust",
        "cli_shop_v2.ShopClassifier",
    ]
    code, data = run_json(capsys, "verify", path, *argv)
    assert (code, data["ok"]) == (0, True)
    monkeypatch.delitem(sys.modules, "cli_shop_v2")


def test_check_fix_line_is_quoted_for_a_shell(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, iris: tuple[Any, Any]
) -> None:
    # An epoch's "!" is history expansion in an interactive bash: the fix
    # line pasted as printed must pin exactly the saved version.
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)

    def edit(envelope: dict[str, Any]) -> None:
        envelope["packages"]["numpy"] = "1!2.4.6"

    path = tmp_path / "epoch.joblib"
    joblib.dump(forge(model, envelope=edit), path)
    code, data = run_json(capsys, "check", path)
    assert code == 1
    assert data["fix"] == "pip install 'numpy==1!2.4.6'"
    assert shlex.split(data["fix"]) == ["pip", "install", "numpy==1!2.4.6"]


def test_keys_and_values_from_the_file_cannot_forge_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    forged_key = "x\n  signed      yes (hmac-sha256)\u2028"

    def edit(envelope: dict[str, Any]) -> None:
        envelope["params"][forged_key] = "v\x1b[2K\nverify: ok"
        envelope["metadata"]["k\r\ninjected"] = ["a\nb", ["c\nd", "e"]]

    path = tmp_path / "keys.joblib"
    joblib.dump(forge(model, envelope=edit), path)
    plain = save(model, tmp_path / "plain.joblib")
    for argv in (["inspect", path], ["diff", plain, path]):
        code, out, _ = run(capsys, *argv)
        assert code == (0 if argv[0] == "inspect" else 1)
        assert "\x1b" not in out
        assert "\u2028" not in out
        starts = [line.split()[0] for line in out.splitlines() if line.split()]
        assert starts.count("signed") == (1 if argv[0] == "inspect" else 0)
        assert not any(line.startswith("verify") for line in out.splitlines())
        assert not any(
            line.lstrip().startswith("injected") for line in out.splitlines()
        )
    code, out, _ = run(capsys, "inspect", path)
    # the key shown quoted with its escapes, the value on one line
    assert (
        _row(out, "'x\\n", "parameters")
        == "signed      yes (hmac-sha256)\\u2028'  v\\x1b[2K verify: ok"
    )
    code, data = run_json(capsys, "inspect", path)
    assert data["params"][forged_key] == "v\x1b[2K\nverify: ok"  # JSON: as stored


def test_characters_that_show_as_blank_space_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, iris: tuple[Any, Any]
) -> None:
    """Printable to Python, blank on a terminal (a Hangul filler, a blank
    Braille pattern, a combining joiner): a key of them would read as two
    columns, a value padded with them as a line of its own (round 124)."""
    X, y = iris
    blank = "\u3164\u2800\u034f"
    key = f"signed{blank * 4}yes{blank}(hmac-sha256)"
    model = VersionedEstimator(
        LogisticRegression(max_iter=1000),
        metadata={key: "x" + "\u2800" * 120 + "verify: ok"},
    ).fit(X, y)
    path = save(model, tmp_path / "blank.joblib")
    other = save(
        VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y),
        tmp_path / "other.joblib",
    )
    for argv in (["inspect", path], ["diff", other, path]):
        code, out, _ = run(capsys, *argv)
        assert code == (0 if argv[0] == "inspect" else 1)
        assert "signed" in out
        assert not any(ch in out for ch in blank), argv[0]
    code, out, _ = run(capsys, "inspect", path)
    assert "'signed\\u3164\\u2800\\u034f" in out
    code, data = run_json(capsys, "inspect", path)
    assert key in data["metadata"]  # JSON: as stored


def test_a_key_in_the_environment_is_taken_as_its_bytes(
    tmp_path: Path, iris: tuple[Any, Any]
) -> None:
    """A binary key (not UTF-8) in the environment signs and verifies as the
    bytes it is; a wrong one fails the signature, never a traceback."""
    X, y = iris
    key = b"\xff\xfe binary key \x80"
    path = save(
        VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y),
        tmp_path / "signed.joblib",
        key=key,
    )
    environ = {**os.environb, b"VERSIONED_ESTIMATOR_KEY": key}
    done = _cli_process("verify", str(path), env=environ, capture_output=True)
    assert (done.returncode, done.stderr) == (0, b"")
    assert b"signature" in done.stdout
    environ[b"VERSIONED_ESTIMATOR_KEY"] = key[:-1] + b"\x81"
    done = _cli_process("verify", str(path), env=environ, capture_output=True)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    assert b"verify: FAILED at signature" in done.stdout


@pytest.mark.parametrize(
    ("variable", "argv", "message"),
    [
        (
            b"bogus",
            ["verify", "--trust", "mine.Model"],
            "VERSIONED_ESTIMATOR_ON_DRIFT=",
        ),
        (None, ["verify", "--trust", ""], "argument --trust: trusted names are"),
        (None, ["audit", "--trust", "a b"], "argument --trust: trusted names are"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(
    files: dict[str, Path], variable: bytes | None, argv: list[str], message: str
) -> None:
    environ = {**os.environb}
    if variable is not None:
        environ[b"VERSIONED_ESTIMATOR_ON_DRIFT"] = variable
    done = _cli_process(
        argv[0], str(files["iris"]), *argv[1:], env=environ, capture_output=True
    )
    lines = done.stderr.decode().splitlines()
    assert (done.returncode, done.stdout) == (2, b"")
    assert message in lines[-1]
    assert "Traceback" not in done.stderr.decode()


def test_verify_imports_own_code_only_from_path(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    iris: tuple[Any, Any],
) -> None:
    # the console script has no implicit current folder on sys.path: the user
    # names the folders their code is in with --path
    (tmp_path / "cli_path_shop.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n\n\n"
        "class PathShop(LogisticRegression):\n    pass\n"
    )
    with monkeypatch.context() as patched:
        patched.syspath_prepend(str(tmp_path))
        module = importlib.import_module("cli_path_shop")
        X, y = iris
        model = VersionedEstimator(module.PathShop(max_iter=1000)).fit(X, y)
        save(model, tmp_path / "s.joblib")
    del sys.modules["cli_path_shop"]
    assert str(tmp_path) not in sys.path
    monkeypatch.chdir(tmp_path)
    trust = ["--trust", "cli_path_shop.PathShop"]
    code, out, _ = run(capsys, "verify", "s.joblib", *trust)
    assert code == 1
    assert "InnerLoadError" in out
    assert "--path DIR" in out  # the hint
    code, data = run_json(capsys, "verify", "s.joblib", *trust, "--path", ".")
    assert (code, data["ok"], data["path"]) == (0, True, [str(tmp_path)])
    assert str(tmp_path) not in sys.path  # taken off again
    monkeypatch.delitem(sys.modules, "cli_path_shop")
    # the console script, as a user types it
    argv = [_console_script(), "verify", "s.joblib", *trust]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "No module named 'cli_path_shop'" in " ".join(done.stdout.split())
    done = subprocess.run(
        [*argv, "--path", "."], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "verify: ok")


def test_verify_path_must_be_a_folder(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "no_such_folder"
    code, out, err = run(capsys, "verify", files["iris"], "--path", missing)
    assert (code, out) == (2, "")
    assert err == f"versioned-estimator: error: --path {missing}: no such folder\n"


def test_module_alias_must_be_old_equals_new(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["verify", "x.joblib", "--module-alias", "nothing"])
    assert info.value.code == 2
    assert "expected OLD=NEW" in capsys.readouterr().err


# ----------------------------------------------------------------------------
# Unreadable files: exit 2, one line, no traceback
# ----------------------------------------------------------------------------

READERS = [
    ["inspect"],
    ["check"],
    ["audit"],
    ["requirements"],
    ["verify"],
    ["diff", "GOOD"],
    ["inspect", "--json"],
    ["verify", "--json"],
]


@pytest.mark.parametrize("kind", ["truncated", "plain", "directory", "missing"])
@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_unreadable_file(
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Path],
    command: list[str],
    kind: str,
) -> None:
    argv = [command[0], str(files[kind])]
    argv += [str(files["iris"]) if a == "GOOD" else a for a in command[1:]]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("versioned-estimator: error: ")
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert files[kind].name in err


def test_unreadable_messages_say_what_the_file_is(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    expected = {
        "truncated": "truncated",
        "plain": "LogisticRegression",
        "directory": "directory",
        "missing": "does not exist",
    }
    for kind, words in expected.items():
        code, _, err = run(capsys, "inspect", files[kind])
        assert code == 2
        assert words in err


def test_diff_second_file_unreadable(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, err = run(capsys, "diff", files["iris"], files["missing"])
    assert (code, out) == (2, "")
    assert err.count("\n") == 1


def test_payload_cut_short(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    # the envelope is intact, so the envelope readers work; the payload readers refuse
    assert run(capsys, "inspect", files["tail_cut"])[0] == 0
    for command in ("audit", "verify"):
        code, out, err = run(capsys, command, files["tail_cut"])
        assert (code, out) == (2, "")
        assert err.startswith("versioned-estimator: error: ")
        assert err.count("\n") == 1


# ----------------------------------------------------------------------------
# The installed entry points
# ----------------------------------------------------------------------------


def test_console_script_is_declared() -> None:
    tomllib = pytest.importorskip("tomllib")
    with open(ROOT / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    assert project["scripts"]["versioned-estimator"] == "versioned_estimator._cli:main"


def _console_script() -> str:
    beside = Path(sys.executable).parent / "versioned-estimator"
    found = str(beside) if beside.exists() else shutil.which("versioned-estimator")
    if found is None:
        pytest.skip("the versioned-estimator console script is not installed")
    return found


def test_console_script(files: dict[str, Path]) -> None:
    done = subprocess.run(
        [_console_script(), "inspect", "--json", str(files["iris"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["packages"]["scikit-learn"] == sklearn.__version__
    done = subprocess.run(
        [_console_script(), "check", str(files["missing"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1


def test_python_dash_m(files: dict[str, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "versioned_estimator", "check", str(files["old"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"pip install scikit-learn=={_other_sklearn_version()}" in done.stdout


def test_version_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    from versioned_estimator import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"versioned-estimator {__version__}"
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    parser = build_parser()
    assert parser.prog == "versioned-estimator"


def test_json_is_strict_with_floats_that_are_not_finite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--json`` is what scripts read: NaN and infinities, which a writer
    refuses in metadata but a crafted file can hold, come out as strings a
    strict parser takes, not bare NaN."""
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
    values = {"loss": float("nan"), "bounds": [float("inf"), -float("inf"), 1.5]}
    path = tmp_path / "nan.joblib"
    joblib.dump(forge(model, envelope=lambda e: e.update(metadata=values)), path)
    code, out, _ = run(capsys, "inspect", path, "--json")
    assert code == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"bare {constant} in --json output")

    data = json.loads(out, parse_constant=refuse)
    assert data["metadata"] == {
        "loss": "NaN",
        "bounds": ["Infinity", "-Infinity", 1.5],
    }


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_text_a_console_cannot_encode_is_escaped(tmp_path: Path, encoding: str) -> None:
    """Metadata in another script, printed to a console of one code page
    (``PYTHONIOENCODING``, a C locale, a Windows console): escapes and the
    command's own exit code, never a traceback (whose exit 1 a CI gate reads
    as "a check failed")."""
    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(
        LogisticRegression(max_iter=1000), metadata={"owner": "Zoë 模型"}
    ).fit(X, y)
    path = tmp_path / "names.joblib"
    joblib.dump(model, path)
    environment = {**os.environ, "PYTHONIOENCODING": encoding}
    for command in (["inspect", str(path)], ["diff", str(path), str(path)]):
        done = subprocess.run(
            [sys.executable, "-m", "versioned_estimator", *command],
            capture_output=True,
            env=environment,
            check=False,
        )
        assert (done.returncode, done.stderr) == (0, b""), done.stderr[-500:]
    done = subprocess.run(
        [sys.executable, "-m", "versioned_estimator", "inspect", str(path)],
        capture_output=True,
        env=environment,
        check=True,
    )
    assert b"\\u6a21\\u578b" in done.stdout
    assert ("Zo\\xeb" if encoding == "ascii" else "Zoë").encode(encoding) in done.stdout


def _cli_process(*argv: str, **streams: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "versioned_estimator", *argv],
        check=False,
        timeout=120,
        **(streams or {"capture_output": True}),
    )


def test_an_output_that_cannot_be_written_is_exit_2(files: dict[str, Path]) -> None:
    """stdout on a full device: exit 2 and one line on stderr, not a
    traceback and exit 1 (which a CI gate reads as "a check failed"); with
    stderr full too, still exit 2; with stderr closed, nothing of the error
    on stdout, which a script parses as JSON."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        done = _cli_process("inspect", str(files["iris"]), stdout=full, stderr=PIPE)
    assert done.returncode == 2
    assert done.stderr.count(b"\n") == 1
    assert b"could not be written" in done.stderr
    with open("/dev/full", "wb") as full:
        done = _cli_process("inspect", "no-such.joblib", stdout=PIPE, stderr=full)
    assert (done.returncode, done.stdout) == (2, b"")
    closed = subprocess.run(
        [sys.executable, "-m", "versioned_estimator", "inspect", "--json", "x"],
        stdout=PIPE,
        check=False,
        timeout=120,
        preexec_fn=lambda: os.close(2),  # stderr closed at start
    )
    assert (closed.returncode, closed.stdout) == (2, b"")


def test_a_file_name_cannot_forge_a_line(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """A file name is shown escaped on one line: a name holding
    "\\nverify: ok\\n" prints no line a grep for "verify: ok" matches."""
    forged = tmp_path / "m\nverify: ok\naudit: ok\nx.joblib"
    forged.write_bytes(files["iris"].read_bytes())
    for command in ("verify", "audit", "check"):
        done = _cli_process(command, str(forged))
        lines = done.stdout.decode().splitlines()
        # Only the command's own verdict, once.
        assert lines.count("verify: ok") == (command == "verify"), lines
        assert lines.count("audit: ok") == (command == "audit"), lines
        assert "m\\nverify: ok\\naudit: ok\\nx.joblib" in lines[0], lines[0]


def test_a_file_url_to_a_pipe_is_refused(tmp_path: Path) -> None:
    """``file://`` goes through fsspec, which opens with a blocking open: a
    FIFO behind it is refused before it, as a plain path's is, not waited on
    forever."""
    pytest.importorskip("fsspec")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # An archive file system opens its target as fsspec builds the chain,
    # before any check of what it opened (red team round 42).
    chained = (
        f"zip://m.joblib::{fifo.as_uri()}",
        f"tar://m.joblib::{fifo}",
        "zip://m.joblib::~/fifo",  # fsspec expands the home folder
    )
    home = {**os.environ, "HOME": str(tmp_path)}
    for source in (str(fifo), fifo.as_uri(), f"local://{fifo}"):
        done = _cli_process("inspect", source, capture_output=True, env=home)
        assert done.returncode == 2
        assert b"not a regular file" in done.stderr
    # A local file fsspec would open by name, checked before by name: a pipe
    # renamed over it in between waited forever (round 133). Refused whole.
    for source in chained:
        done = _cli_process("inspect", source, capture_output=True, env=home)
        assert done.returncode == 2
        assert b"opens it by name" in done.stderr


def test_a_file_url_is_read_as_its_path(tmp_path: Path, iris: Any) -> None:
    """``file://`` names a local file: opened as its path is (the one file
    checked is the one read, memory-mapped too), never through fsspec."""
    pytest.importorskip("fsspec")
    X, y = iris
    model = VersionedEstimator(LogisticRegression(max_iter=500)).fit(X, y)
    path = Path(save(model, tmp_path / "m.joblib"))
    for source in (path.as_uri(), f"local://{path}"):
        assert read_envelope(source).estimator_class.endswith("LogisticRegression")
        loaded = load(source, mmap_mode="r")
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "escape",
    ["plain", "terminal_safe", "comment", "quoted in an error"],
)
def test_text_is_escaped_in_memory_proportional_to_it(escape: str) -> None:
    """Every way text read from a file is escaped for output works in
    memory proportional to what it returns: 4 MiB of NUL characters printed
    (at most 64 KiB longer than they are: 16 MiB escaped whole printed 64 MB
    from 2.5 KB of bz2, round 110) or quoted in an error (60 characters). Escaping one
    character at a time in Python held a string object each: 261 MiB, and a
    head field of 15 MiB took every reader 9 s to quote (round 107)."""
    import tracemalloc

    from versioned_estimator._envelope import _printable
    from versioned_estimator._render import plain, terminal_safe
    from versioned_estimator._requirements import comment
    from versioned_estimator._text import MAX_ESCAPE_GROWTH

    escapes = {
        "plain": plain,
        "terminal_safe": terminal_safe,
        "comment": comment,
        "quoted in an error": _printable,
    }
    text = "\x00" * (4 << 20)
    tracemalloc.start()
    try:
        shown = escapes[escape](text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\x00" not in shown
    if escape == "quoted in an error":
        assert shown.count("\\x00") == 14
    else:  # printed whole, then cut where escapes would grow it too much
        assert shown.endswith(f"... ({len(text):,} characters, cut)")
        assert len(text) <= len(shown) <= len(text) + MAX_ESCAPE_GROWTH + 64
    assert peak < 3 * len(shown) + (1 << 20)


def test_verify_shows_each_warning_once_and_cut() -> None:
    """A file can make scikit-learn warn once an object, quoting its text:
    verify shows each warning once, cut, and at most MAX_WARNINGS of them
    (100 objects naming one version string of 1 MB printed 106 MB, round
    106), environment mismatches first."""
    import warnings

    from versioned_estimator._cli import MAX_WARNING_TEXT, MAX_WARNINGS, _warnings_said

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(100):
            warnings.warn("v" * 1_000_000, UserWarning, stacklevel=1)
            warnings.warn(f"other {i}", RuntimeWarning, stacklevel=1)
        warnings.warn("saved elsewhere", EnvironmentMismatchWarning, stacklevel=1)
    said = _warnings_said(caught)
    assert said[0] == ("EnvironmentMismatchWarning", "saved elsewhere")
    assert said.count(("UserWarning", "v" * (MAX_WARNING_TEXT - 3) + "...")) == 1
    assert len(said) == MAX_WARNINGS + 1
    assert said[-1] == ("note", f"{102 - MAX_WARNINGS} more warnings, not shown")
    assert all(len(message) <= MAX_WARNING_TEXT for _, message in said)


def test_a_long_key_is_shown_cut() -> None:
    """A key that is not one printable word is quoted with its escapes,
    at most MAX_LABEL characters of it: repr of a key of 15 million NULs
    printed 60 MB (round 113)."""
    from versioned_estimator._render import MAX_LABEL, label

    key = "\x00" * (4 << 20)
    shown = label(key)
    assert shown.endswith(f"... ({len(key):,} characters, cut)")
    assert "\x00" not in shown
    assert len(shown) < 4 * MAX_LABEL + 100
    assert label("a\x00b") == repr("a\x00b")
