"""``versioned-estimator demo``: the main job of ``make demo``.

Fits and saves a model on bundled data (iris ships with scikit-learn), shows
its envelope, then shows, each in a real subprocess, what a version mismatch
and a renamed module look like and how they are handled.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence

from versioned_estimator._cli import PROG, inspect_data, inspect_text
from versioned_estimator._inspect import read_envelope

__all__ = ["cmd_demo"]


_DEMO_MISMATCH = """
import sys
import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from versioned_estimator import VersionedEstimator

target, version = sys.argv[1], sys.argv[2]
X, y = load_iris(return_X_y=True, as_frame=True)
model = VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)
function, (envelope, stream, buffers) = model.__reduce_ex__(5)
envelope = dict(envelope)
envelope["packages"] = dict(envelope["packages"], **{"scikit-learn": version})


class Recorded:
    # Pickles as the wrapped model, with an envelope that records another version.
    def __reduce_ex__(self, protocol):
        return (function, (envelope, stream, buffers))


joblib.dump(Recorded(), target)
print(f"wrote {target}: a model whose envelope records scikit-learn {version}")
"""

_DEMO_MISMATCH_LOAD = """
import sys
import textwrap
import warnings
from sklearn.datasets import load_iris
from versioned_estimator import (
    EnvironmentMismatchError,
    EnvironmentMismatchWarning,
    load,
)

path = sys.argv[1]
X, _ = load_iris(return_X_y=True, as_frame=True)
fine = True
try:
    load(path, on_mismatch="error")
except EnvironmentMismatchError as exc:
    print("load(path, on_mismatch='error') raises EnvironmentMismatchError:")
    print(textwrap.fill(str(exc), 84, initial_indent="  ", subsequent_indent="  "))
else:
    print("load(path, on_mismatch='error') did NOT raise")
    fine = False
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = load(path)
found = [w for w in caught if issubclass(w.category, EnvironmentMismatchWarning)]
print(
    f"load(path) (default on_mismatch='warn'): {len(found)} EnvironmentMismatchWarning,"
    f" then predicts {model.predict(X.iloc[:3]).tolist()}"
)
sys.exit(0 if fine and found else 1)
"""

_DEMO_SHOP_MODULE = """\"\"\"A team's own estimator, in the project's code.\"\"\"

from sklearn.linear_model import LogisticRegression


class ShopClassifier(LogisticRegression):
    \"\"\"A LogisticRegression under the team's own name.\"\"\"
"""

_DEMO_SHOP_FIT = """
import json
import sys
from sklearn.datasets import load_iris
from shop_models import ShopClassifier
from versioned_estimator import VersionedEstimator, save

X, y = load_iris(return_X_y=True)
model = VersionedEstimator(ShopClassifier(max_iter=1000), metadata={"team": "shop"})
model.fit(X, y)
save(model, "shop.joblib")
with open("shop_predictions.json", "w") as handle:
    json.dump(model.predict(X).tolist(), handle)
print("saved shop.joblib: a shop_models.ShopClassifier, and its predictions")
"""

_DEMO_SHOP_LOAD = """
import json
import sys
import textwrap
from sklearn.datasets import load_iris
from versioned_estimator import (
    InnerLoadError,
    UntrustedGlobalError,
    load,
    read_envelope,
)


def show(text):
    print(textwrap.fill(str(text), 84, initial_indent="  ", subsequent_indent="  "))


X, _ = load_iris(return_X_y=True)
fine = True
envelope = read_envelope("shop.joblib")
print(f"read_envelope still works: {envelope.estimator_class}, created "
      f"{envelope.created_at}, python {envelope.python}")
try:
    load("shop.joblib")
except UntrustedGlobalError as exc:
    print("load(path): UntrustedGlobalError (your own class is trusted only when you"
          " say so; nothing was imported):")
    show(exc)
else:
    print("load(path) did NOT raise UntrustedGlobalError")
    fine = False
try:
    load("shop.joblib", trusted=["shop_models.ShopClassifier"])
except InnerLoadError as exc:
    print("load(path, trusted=['shop_models.ShopClassifier']): InnerLoadError:")
    show(exc)
    fine = fine and exc.module == "shop_models" and "module_aliases" in str(exc)
else:
    print("load(path, trusted=[...]) did NOT raise InnerLoadError")
    fine = False
model = load(
    "shop.joblib",
    module_aliases={"shop_models": "shop_models_v2"},
    trusted=["shop_models_v2.ShopClassifier"],
)
with open("shop_predictions.json") as handle:
    saved = json.load(handle)
same = model.predict(X).tolist() == saved
print("load(path, module_aliases={'shop_models': 'shop_models_v2'},"
      " trusted=['shop_models_v2.ShopClassifier']):")
print(f"  a {type(model.estimator_).__module__}.{type(model.estimator_).__name__};"
      f" same {len(saved)} predictions as before the rename: {same}")
sys.exit(0 if fine and same else 1)
"""


def _other_version(installed: str) -> str:
    """A scikit-learn version one minor release away from ``installed``."""
    parts = installed.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return "1.5.2"
    return f"{major}.{minor - 1 if minor > 0 else minor + 1}.0"


class _Demo:
    """Runs the demo's steps, printing each and recording which misbehaved."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.failures: list[str] = []
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("VERSIONED_ESTIMATOR_")
        }

    def heading(self, title: str) -> None:
        print(f"\n== {title} ==", flush=True)

    def expect(self, step: str, ok: bool) -> None:
        print(f"-> {step}: {'as expected' if ok else 'NOT AS EXPECTED'}", flush=True)
        if not ok:
            self.failures.append(step)

    def run(self, argv: Sequence[str], shown: str) -> subprocess.CompletedProcess[str]:
        print(f"$ {shown}", flush=True)
        done = subprocess.run(
            [sys.executable, *argv],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        for stream in (done.stdout, done.stderr):
            if stream.strip():
                print(textwrap.indent(stream.rstrip("\n"), "  "), flush=True)
        print(f"  (exit {done.returncode})", flush=True)
        return done

    def python(
        self, code: str, *argv: str, shown: str
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            ["-c", code, *argv], f"python -c <{shown}> {' '.join(argv)}".rstrip()
        )

    def cli(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return self.run(
            ["-m", "versioned_estimator", *argv], f"{PROG} {' '.join(argv)}"
        )


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: save a model, then break it in two honest ways, in subprocesses."""
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from versioned_estimator import VersionedEstimator, save

    folder = os.path.abspath(
        args.dir or tempfile.mkdtemp(prefix="versioned-estimator-demo-")
    )
    os.makedirs(folder, exist_ok=True)
    demo = _Demo(folder)
    print(f"demo folder: {folder}")

    demo.heading("1. fit and save a model with its envelope")
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = VersionedEstimator(
        LogisticRegression(max_iter=1000),
        metadata={
            "owner": "demo",
            "dataset": "iris",
            "purpose": "versioned-estimator demo",
        },
    ).fit(X, y)
    path = save(model, os.path.join(folder, "iris.joblib"))
    print(
        f"saved {os.path.basename(path)}; `{PROG} inspect` reads it"
        " without unpickling:\n"
    )
    print(inspect_text(inspect_data("iris.joblib", read_envelope(path))))

    demo.heading("2. a model saved with another scikit-learn version")
    version = _other_version(sklearn.__version__)
    old = f"iris_sklearn_{version}.joblib"
    done = demo.python(
        _DEMO_MISMATCH, old, version, shown="save with an honest older envelope"
    )
    demo.expect("write a model recording another version", done.returncode == 0)
    done = demo.cli("check", old)
    demo.expect(
        "check exits 1 and prints the pip fix",
        done.returncode == 1 and f"pip install scikit-learn=={version}" in done.stdout,
    )
    done = demo.python(_DEMO_MISMATCH_LOAD, old, shown="load it, strict then default")
    demo.expect("strict load raises, default load warns", done.returncode == 0)

    demo.heading("3. a model whose module was renamed")
    with open(os.path.join(folder, "shop_models.py"), "w", encoding="utf-8") as handle:
        handle.write(_DEMO_SHOP_MODULE)
    print("wrote shop_models.py: class ShopClassifier(LogisticRegression)")
    done = demo.python(_DEMO_SHOP_FIT, shown="fit and save a ShopClassifier")
    demo.expect("fit and save with shop_models", done.returncode == 0)
    os.replace(
        os.path.join(folder, "shop_models.py"),
        os.path.join(folder, "shop_models_v2.py"),
    )
    print("renamed shop_models.py -> shop_models_v2.py (a refactoring)")
    done = demo.python(_DEMO_SHOP_LOAD, shown="load it after the rename")
    demo.expect(
        "envelope readable, clear error, aliases restore it", done.returncode == 0
    )
    done = demo.cli(
        "verify",
        "shop.joblib",
        "--module-alias",
        "shop_models=shop_models_v2",
        "--trust",
        "shop_models_v2.ShopClassifier",
    )
    demo.expect("verify with the alias passes", done.returncode == 0)

    print()
    if demo.failures:
        print(
            f"demo: {len(demo.failures)} step(s) did NOT behave as expected: "
            + "; ".join(demo.failures)
        )
        return 1
    print("demo: all steps behaved as expected")
    return 0
