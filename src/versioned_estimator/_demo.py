"""``versioned-estimator demo``: the main job of ``make demo``.

Fits and saves models on bundled data (iris ships with scikit-learn), then
runs the commands a user would type (``inspect``, ``diff``, ``check``,
``verify``), each in a real subprocess, in the demo folder, exactly as
printed, and says whether each behaved as expected. It needs only the
runtime dependencies (numpy, scikit-learn, joblib).

Every ``$`` line is run as printed with the console script's folder first on
``PATH``: with ``--dir DIR`` the files stay, and any ``$`` line can be pasted
in ``DIR`` once that folder is on ``PATH`` (the environment activated).
Without ``--dir`` the demo works in a temporary folder and removes it.

Files the demo cannot make honestly in seconds are staged, and it says so: a
model "saved with another scikit-learn" is a fresh model whose envelope is
edited to record another version.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from typing import Any

from versioned_estimator._render import PROG

__all__ = ["cmd_demo", "demo_folder"]


_SHOP_MODULE = '''"""The shop team's own estimator, in the project's code."""

from sklearn.linear_model import LogisticRegression


class ShopClassifier(LogisticRegression):
    """A LogisticRegression under the team's own name."""
'''

_FLOWERS_MODULE = '''"""A model class of the project."""

from sklearn.linear_model import LogisticRegression


class IrisClassifier(LogisticRegression):
    """A LogisticRegression for flowers."""
'''


def _other_version(installed: str) -> str:
    """A scikit-learn version one minor release away from ``installed``.

    Examples
    --------
    >>> _other_version("1.9.1"), _other_version("2.0.3")
    ('1.8.0', '2.1.0')
    """
    parts = installed.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return "1.5.2"
    return f"{major}.{minor - 1 if minor > 0 else minor + 1}.0"


@contextlib.contextmanager
def demo_folder(given: str | None) -> Iterator[str]:
    """The folder the demo works in: ``given`` (created if needed, kept), else
    a temporary folder removed when the demo ends, however it ends."""
    if given:
        folder = os.path.abspath(given)
        os.makedirs(folder, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="versioned-estimator-demo-") as folder:
        yield folder


def _command_prefix() -> tuple[str, str]:
    """How the demo's commands start (``versioned-estimator``), and the
    folder that must be first on PATH for that to be this installation."""
    scripts = os.path.dirname(sys.executable)
    if os.path.exists(os.path.join(scripts, PROG)):
        return PROG, scripts
    found = shutil.which(PROG)
    if found:
        return PROG, os.path.dirname(found)
    return f"{shlex.quote(sys.executable)} -m versioned_estimator", scripts


class _Reduced:
    """Pickles as the reduce tuple it was given."""

    def __init__(self, reduced: tuple[Any, Any]) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, Any]:
        return self.reduced


def _save_recording_version(model: Any, path: str, version: str) -> None:
    """Save ``model`` with an envelope edited to record scikit-learn
    ``version`` (the model itself is unchanged)."""
    import joblib

    function, (envelope, *rest) = model.__reduce_ex__(5)
    envelope = copy.deepcopy(envelope)
    for field in ("packages", "requirements"):
        if "scikit-learn" in (envelope.get(field) or {}):
            envelope[field]["scikit-learn"] = version
    joblib.dump(_Reduced((function, (envelope, *rest))), path)


class _Demo:
    """Runs the demo's commands as printed, recording which misbehaved."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.prefix, self.scripts = _command_prefix()
        self.failures: list[str] = []
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("VERSIONED_ESTIMATOR_")
        }
        env["PATH"] = os.pathsep.join([self.scripts, env.get("PATH", os.defpath)])
        self.env = env

    def heading(self, title: str) -> None:
        print(f"\n== {title} ==", flush=True)

    def say(self, text: str) -> None:
        print(textwrap.fill(" ".join(text.split()), 88), flush=True)

    def expect(self, step: str, ok: bool) -> None:
        print(f"-> {step}: {'as expected' if ok else 'NOT AS EXPECTED'}", flush=True)
        if not ok:
            self.failures.append(step)

    def run(self, arguments: str, step: str, code: int, *shown: str) -> None:
        """Run ``versioned-estimator ARGUMENTS`` as printed; expect exit
        ``code`` and every text of ``shown`` in its output."""
        command = f"{self.prefix} {arguments}"
        print(f"$ {command}", flush=True)
        argv = shlex.split(command)
        argv[0] = shutil.which(argv[0], path=self.env["PATH"]) or argv[0]
        done = subprocess.run(
            argv,
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
        output = done.stdout + done.stderr
        self.expect(
            f"{step} (exit {code})",
            done.returncode == code and all(text in output for text in shown),
        )


def _fit_user_class(
    folder: str, module: str, name: str, X: Any, y: Any, path: str
) -> None:
    """Fit and save a wrapped ``module.name`` defined in ``folder``, as the
    user's training script would; forget the module afterwards."""
    from versioned_estimator import VersionedEstimator, save

    sys.path.insert(0, folder)
    importlib.invalidate_caches()
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        estimator = getattr(importlib.import_module(module), name)(max_iter=1000)
        save(VersionedEstimator(estimator).fit(X, y), path)
    finally:
        sys.dont_write_bytecode = writes
        sys.path.remove(folder)
        sys.modules.pop(module, None)


def _write(folder: str, name: str, text: str) -> None:
    with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
        handle.write(text)


def _steps(demo: _Demo) -> None:
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from versioned_estimator import VersionedEstimator, save

    folder = demo.folder
    X, y = load_iris(return_X_y=True)  # arrays: pandas is not a dependency

    def pipeline(C: float) -> Any:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
        metadata = {"owner": "demo", "dataset": "iris"}
        return VersionedEstimator(model, metadata=metadata).fit(X, y)

    demo.heading("1. a pipeline saved with its envelope")
    model = pipeline(1.0)
    save(model, os.path.join(folder, "iris.joblib"))
    demo.say(
        "Saved iris.joblib in this process: VersionedEstimator(make_pipeline("
        "StandardScaler(), LogisticRegression(max_iter=1000))) fit on iris. "
        "`inspect` reads its envelope without unpickling the model:"
    )
    demo.run(
        "inspect iris.joblib", "inspect shows step__param", 0, "logisticregression__C"
    )

    demo.heading("2. what changed between two models")
    save(pipeline(0.1), os.path.join(folder, "iris_C0.1.joblib"))
    demo.say("Saved iris_C0.1.joblib: the same pipeline with C=0.1.")
    demo.run(
        "diff iris.joblib iris_C0.1.joblib",
        "diff names the nested parameter and exits 1",
        1,
        "params.logisticregression__C",
    )

    demo.heading("3. a model saved with another scikit-learn (staged)")
    version = _other_version(sklearn.__version__)
    old = f"iris_sklearn_{version}.joblib"
    _save_recording_version(model, os.path.join(folder, old), version)
    demo.say(
        f"STAGED: a real file from scikit-learn {version} needs that release "
        f"installed, so this demo wrote {old} as iris.joblib's model with its "
        f"envelope edited to record scikit-learn {version}. The model inside is "
        "the same; only the recorded version differs."
    )
    demo.run(
        f"check {old}",
        "check exits 1 and prints the pip fix",
        1,
        f"pip install scikit-learn=={version}",
    )

    demo.heading("4. your own class, in a module that was renamed")
    _write(folder, "shop_models.py", _SHOP_MODULE)
    _fit_user_class(
        folder,
        "shop_models",
        "ShopClassifier",
        X,
        y,
        os.path.join(folder, "shop.joblib"),
    )
    os.replace(
        os.path.join(folder, "shop_models.py"),
        os.path.join(folder, "shop_models_v2.py"),
    )
    demo.say(
        "Wrote shop_models.py (class ShopClassifier(LogisticRegression)), saved "
        "shop.joblib with it in this process, then renamed shop_models.py to "
        "shop_models_v2.py: a refactoring. Your own classes are outside the "
        "allow-list (--trust), and the command line imports your modules only "
        "from folders you name (--path .):"
    )
    demo.run(
        "verify shop.joblib --path . --trust shop_models.ShopClassifier",
        "verify fails at unpickle, naming the module and the alias fix",
        1,
        "InnerLoadError",
        "module_aliases",
    )
    demo.run(
        "verify shop.joblib --path . --module-alias shop_models=shop_models_v2"
        " --trust shop_models_v2.ShopClassifier",
        "verify with the module alias passes",
        0,
        "verify: ok",
    )

    demo.heading("5. a class renamed in its module")
    _write(folder, "flowers.py", _FLOWERS_MODULE)
    _fit_user_class(
        folder,
        "flowers",
        "IrisClassifier",
        X,
        y,
        os.path.join(folder, "flowers.joblib"),
    )
    _write(
        folder,
        "flowers.py",
        _FLOWERS_MODULE.replace("IrisClassifier", "FlowerClassifier"),
    )
    demo.say(
        "Wrote flowers.py (class IrisClassifier), saved flowers.joblib with it, "
        "then renamed the class to FlowerClassifier in flowers.py. An alias maps "
        "a whole class name too:"
    )
    demo.run(
        "verify flowers.joblib --path . --module-alias"
        " flowers.IrisClassifier=flowers.FlowerClassifier"
        " --trust flowers.FlowerClassifier",
        "verify with the class alias passes",
        0,
        "verify: ok",
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: save models, then run the commands a user would, as printed."""
    with demo_folder(args.dir) as folder:
        demo = _Demo(folder)
        kept = bool(args.dir)
        print(
            f"demo folder: {folder}"
            + ("" if kept else " (temporary: removed at the end)"),
            flush=True,
        )
        demo.say(
            "Each $ line runs in that folder exactly as printed, with "
            f"{demo.scripts} first on PATH."
        )
        _steps(demo)
        print()
        activate = os.path.join(demo.scripts, "activate")
        on_path = (
            f". {shlex.quote(activate)}"
            if os.path.exists(activate)
            else f'export PATH={shlex.quote(demo.scripts)}:"$PATH"'
        )
        if kept:
            print(
                f"To run a $ line yourself: cd {shlex.quote(folder)} && {on_path}",
                flush=True,
            )
        else:
            print(
                "The demo folder is removed now. To keep its files and run the $ "
                f"lines yourself: {PROG} demo --dir DIR (or make demo DIR=DIR), "
                f"then cd DIR && {on_path}",
                flush=True,
            )
    if demo.failures:
        print(
            f"demo: {len(demo.failures)} step(s) did NOT behave as expected: "
            + "; ".join(demo.failures)
        )
        return 1
    print("demo: all steps behaved as expected")
    return 0
