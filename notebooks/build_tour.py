"""Write notebooks/tour.ipynb from the cells below (outputs stripped).

Edit the cells here, then run ``python notebooks/build_tour.py``; the tests
execute the notebook it writes.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

CELLS = [
    (
        "markdown",
        """# A tour of versioned-estimator

`pickle.dump(model)` keeps a class name and the instance state: no code, no
environment. This notebook shows the three ways that goes wrong, and what the
wrapper does about each:

1. the class moved: `ModuleNotFoundError`, and nothing says what the file needed;
2. the code changed: the model loads and **silently predicts something else**;
3. it works, but nobody can say which versions made it.""",
    ),
    (
        "code",
        """import os, pickle, subprocess, sys, tempfile, textwrap, warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_iris

import versioned_estimator as ve

work = Path(tempfile.mkdtemp(prefix="ve-tour-"))
sys.path.insert(0, str(work))
X, y = load_iris(return_X_y=True)


def run(code):
    \"\"\"Run code in a fresh Python process (another session, another day).\"\"\"
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=work,
                          env={**os.environ, "PYTHONPATH": str(work)},
                          capture_output=True, text=True)
    print(done.stdout + done.stderr)
    return done.returncode""",
    ),
    ("markdown", "## 1. The naive pickle of a model from your own module"),
    (
        "code",
        """(work / "shop_models.py").write_text(textwrap.dedent('''
    from sklearn.linear_model import LogisticRegression

    class ShopClassifier(LogisticRegression):
        THRESHOLD = 0.5
        def predict(self, X):
            return (self.predict_proba(X)[:, 1] > self.THRESHOLD).astype(int)
'''))
run('''
    import joblib
    from sklearn.datasets import load_iris
    from shop_models import ShopClassifier
    import versioned_estimator as ve
    X, y = load_iris(return_X_y=True)
    y = (y == 2).astype(int)
    bare = ShopClassifier(max_iter=1000).fit(X, y)
    joblib.dump(bare, "bare.joblib")
    joblib.dump(ve.VersionedEstimator(ShopClassifier(max_iter=1000),
                                      metadata={"owner": "shop team"}).fit(X, y),
                "wrapped.joblib")
    print("saved")
''')""",
    ),
    (
        "markdown",
        "Someone renames the module. The bare pickle no longer loads, and says nothing useful:",
    ),
    (
        "code",
        """(work / "shop_models.py").rename(work / "shop_classifiers.py")
run('''
    import joblib
    joblib.load("bare.joblib")
''')""",
    ),
    (
        "markdown",
        "The wrapped one still tells you what it is, without importing anything, "
        "and its error names the module and the fix:",
    ),
    (
        "code",
        """envelope = ve.read_envelope(work / "wrapped.joblib")
print(envelope.estimator_class, envelope.created_at, envelope.packages, envelope.metadata)
run('''
    import joblib, versioned_estimator as ve
    model = joblib.load("wrapped.joblib")        # returns at once: sealed
    try:
        model.predict([[5.0, 3.0, 1.5, 0.2]])
    except ve.InnerLoadError as exc:
        print("InnerLoadError:", exc)
''')""",
    ),
    (
        "code",
        """run('''
    import joblib, versioned_estimator as ve
    with ve.config_context(module_aliases={"shop_models": "shop_classifiers"}):
        model = joblib.load("wrapped.joblib")
    print(model.predict([[5.0, 3.0, 1.5, 0.2], [6.9, 3.1, 5.4, 2.1]]))
''')""",
    ),
    ("markdown", "## 2. The code changed: it loads, and predicts something else"),
    (
        "code",
        """source = (work / "shop_classifiers.py").read_text()
(work / "shop_classifiers.py").write_text(source.replace("THRESHOLD = 0.5", "THRESHOLD = 0.95"))
run('''
    import warnings, joblib, versioned_estimator as ve
    from sklearn.datasets import load_iris
    X, _ = load_iris(return_X_y=True)
    with ve.config_context(module_aliases={"shop_models": "shop_classifiers"}):
        model = joblib.load("wrapped.joblib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(X[:3])
    for w in caught:
        print(type(w.message).__name__, ":", w.message)
''')""",
    ),
    (
        "markdown",
        'With `on_drift="error"` (or `VERSIONED_ESTIMATOR_ON_DRIFT=error` in a deployment) it refuses:',
    ),
    (
        "code",
        """run('''
    import joblib, versioned_estimator as ve
    with ve.config_context(module_aliases={"shop_models": "shop_classifiers"}, on_drift="error"):
        model = joblib.load("wrapped.joblib")
    try:
        model.predict([[5.0, 3.0, 1.5, 0.2]])
    except ve.BehaviorDriftError as exc:
        print("BehaviorDriftError raised")
''')""",
    ),
    ("markdown", "## 3. Which versions made it? Ask the file, not the model"),
    (
        "code",
        """from sklearn.linear_model import LogisticRegression
model = ve.VersionedEstimator(LogisticRegression(max_iter=1000), metadata={"data": "iris v1"}).fit(X, y)
ve.save(model, work / "iris.joblib")
print(ve.check_environment(work / "iris.joblib"))
model""",
    ),
    ("markdown", "The same from the command line (it never unpickles the model):"),
    (
        "code",
        """run(f'''
    import sys
    from versioned_estimator._cli import main
    sys.exit(main(["inspect", "iris.joblib"]))
''')""",
    ),
    (
        "markdown",
        "## 4. The safe path\n\n`versioned_estimator.load` admits only an allow-list of globals, plus what you trust:",
    ),
    (
        "code",
        """try:
    ve.load(work / "wrapped.joblib", module_aliases={"shop_models": "shop_classifiers"},
            on_drift="ignore")
except ve.UntrustedGlobalError as exc:
    print(exc.names)
safe = ve.load(work / "wrapped.joblib", module_aliases={"shop_models": "shop_classifiers"},
               trusted=["shop_classifiers.ShopClassifier"], on_drift="ignore")
print(type(safe.estimator_).__name__)""",
    ),
    (
        "markdown",
        "## 5. What it costs\n\nThe benchmark chart (`make bench` regenerates it):",
    ),
    (
        "code",
        """from IPython.display import Image, display
chart = Path("..") / "benchmarks" / "results" / "chart.png"
if chart.exists():
    display(Image(filename=str(chart)))
else:
    print("run `make bench` to draw the chart")""",
    ),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    for kind, text in CELLS:
        make = (
            nbformat.v4.new_markdown_cell
            if kind == "markdown"
            else nbformat.v4.new_code_cell
        )
        nb.cells.append(make(text))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


if __name__ == "__main__":
    target = Path(__file__).with_name("tour.ipynb")
    nbformat.write(build(), target)
    print(f"wrote {target.name}")
