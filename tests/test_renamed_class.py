"""A user's class renamed after the model was saved, end to end in subprocesses.

``module_aliases`` maps a whole ``module.Class`` name to its new one (the
class renamed in its module, or moved and renamed); the command line takes
the same with ``--module-alias OLD=NEW``. Without the alias, the error says
the class is missing from a module that imports, not that versions differ.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MODULE = '''
from sklearn.linear_model import LogisticRegression


class {name}(LogisticRegression):
    """The team's classifier."""
'''

TRAIN = """
import json
from sklearn.datasets import load_iris
from shopmod import OldName
from versioned_estimator import VersionedEstimator, save

X, y = load_iris(return_X_y=True)
model = VersionedEstimator(OldName(max_iter=1000)).fit(X, y)
save(model, "m.joblib")
with open("predictions.json", "w") as handle:
    json.dump(model.predict(X).tolist(), handle)
"""

SCRIPT = Path(sys.executable).parent / "versioned-estimator"


def _python(folder: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def _cli(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.skip("the versioned-estimator console script is not installed here")
    return subprocess.run(
        [str(SCRIPT), *argv], cwd=folder, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with m.joblib saved with shopmod.OldName, which is now NewName."""
    folder = tmp_path_factory.mktemp("renamed")
    (folder / "shopmod.py").write_text(MODULE.format(name="OldName"))
    done = _python(folder, TRAIN)
    assert done.returncode == 0, done.stderr
    (folder / "shopmod.py").write_text(MODULE.format(name="NewName"))
    for cache in folder.glob("__pycache__"):
        for compiled in cache.iterdir():
            compiled.unlink()
    return folder


def test_load_with_a_class_alias(renamed: Path) -> None:
    done = _python(
        renamed,
        """
        import json
        from sklearn.datasets import load_iris
        from versioned_estimator import load

        X, _ = load_iris(return_X_y=True)
        model = load(
            "m.joblib",
            module_aliases={"shopmod.OldName": "shopmod.NewName"},
            trusted=["shopmod.NewName"],
        )
        saved = json.load(open("predictions.json"))
        print(type(model.estimator_).__qualname__, model.predict(X).tolist() == saved)
        print(model.verify().remapped)
        """,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "NewName True"
    assert lines[1] == "{'shopmod.OldName': 'shopmod.NewName'}"


def test_joblib_load_with_a_class_alias_in_config(renamed: Path) -> None:
    done = _python(
        renamed,
        """
        import json
        import joblib
        from sklearn.datasets import load_iris
        from versioned_estimator import config_context

        X, _ = load_iris(return_X_y=True)
        with config_context(module_aliases={"shopmod.OldName": "shopmod.NewName"}):
            model = joblib.load("m.joblib")
            predictions = model.predict(X).tolist()
        print(predictions == json.load(open("predictions.json")))
        """,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


@pytest.mark.parametrize("how", ["load", "joblib.load"])
def test_saved_again_after_an_alias_names_the_new_class(renamed: Path, how) -> None:
    """A model loaded under an alias and saved again (without using it first)
    names the new class: the next load needs no alias, and predicts as saved."""
    opener = (
        "load('m.joblib', module_aliases=ALIAS, trusted=['shopmod.NewName'])"
        if how == "load"
        else "joblib.load('m.joblib')"
    )
    done = _python(
        renamed,
        f"""
        import joblib
        from versioned_estimator import config_context, load, save

        ALIAS = {{"shopmod.OldName": "shopmod.NewName"}}
        with config_context(module_aliases=ALIAS):
            model = {opener}
        save(model, "again.joblib")
        """,
    )
    assert done.returncode == 0, done.stderr
    done = _python(
        renamed,
        """
        import json
        from sklearn.datasets import load_iris
        from versioned_estimator import audit, load, read_envelope

        X, _ = load_iris(return_X_y=True)
        print(read_envelope("again.joblib").estimator_class)
        print([n for n in audit("again.joblib").globals if "shopmod" in n])
        model = load("again.joblib", trusted=["shopmod.NewName"])
        print(model.predict(X).tolist() == json.load(open("predictions.json")))
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "shopmod.NewName",
        "['shopmod.NewName']",
        "True",
    ]


def test_a_class_moved_and_renamed(renamed: Path) -> None:
    (renamed / "shopmod_v2.py").write_text(MODULE.format(name="ShopClassifier"))
    done = _python(
        renamed,
        """
        from versioned_estimator import load

        model = load(
            "m.joblib",
            module_aliases={"shopmod.OldName": "shopmod_v2.ShopClassifier"},
            trusted=["shopmod_v2.ShopClassifier"],
        )
        print(type(model.estimator_).__module__, type(model.estimator_).__name__)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["shopmod_v2", "ShopClassifier"]


MISSING = """
from versioned_estimator import InnerLoadError, load

try:
    load("m.joblib", trusted=["shopmod.OldName"])
except InnerLoadError as exc:
    print(exc.module)
    print(" ".join(str(exc).split()))
"""


def test_without_the_alias_the_error_names_the_missing_class(renamed: Path) -> None:
    done = _python(renamed, MISSING)
    assert done.returncode == 0, done.stderr
    module, message = done.stdout.splitlines()
    assert module == "shopmod"
    assert "module 'shopmod' imports here" in message
    # not version advice: nothing about installing the saved versions
    assert "install those versions" not in message


def test_without_the_alias_the_error_gives_the_class_alias_fix(
    renamed: Path,
) -> None:
    done = _python(renamed, MISSING)
    message = done.stdout.splitlines()[1]
    assert "has no 'OldName'" in message
    assert "module_aliases={'shopmod.OldName': 'shopmod.<NewName>'}" in message


def test_the_command_line_takes_a_class_alias(renamed: Path) -> None:
    flags = ["--path", ".", "--trust", "shopmod.NewName"]
    done = _cli(
        renamed,
        "verify",
        "m.joblib",
        "--json",
        "--module-alias",
        "shopmod.OldName=shopmod.NewName",
        *flags,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True
    assert data["probe"]["remapped"] == {"shopmod.OldName": "shopmod.NewName"}
    assert {c["status"] for c in data["probe"]["checks"]} == {"same"}
    # a module alias alone does not find a renamed class
    done = _cli(
        renamed,
        "verify",
        "m.joblib",
        "--module-alias",
        "shopmod=shopmod",
        "--trust",
        "shopmod.OldName",
        "--path",
        ".",
    )
    assert done.returncode == 1
    assert "InnerLoadError" in done.stdout
    assert done.stdout.splitlines()[-1] == "verify: FAILED at unpickle"
    # the help says so
    done = _cli(renamed, "verify", "--help")
    assert "old.mod.OldClass=new.mod.NewClass" in " ".join(done.stdout.split())
