"""Write the reference files of the current file format, once per format version.

Run it when ``versioned_estimator._format.FORMAT_VERSION`` is bumped (see the
bump procedure in ``_format.py``), never to refresh existing files: files of
an older format must keep loading forever, so they are written once, by the
release that introduced the format, and committed.

    python tests/data/make_reference_files.py [--force]

It writes ``tests/data/format<N>/``:

- ``logistic_iris.pkl``: ``pickle.dump(model, protocol=5)``
- ``logistic_iris.joblib``: ``joblib.dump(model)``, uncompressed
- ``logistic_iris_z3.joblib``: ``joblib.dump(model, compress=3)``
- ``logistic_iris_save.joblib``: ``versioned_estimator.save(model)``
- ``expected.json``: the rows, the predictions the model gave on them, the
  envelope every file holds, and the versions that wrote the files.

``model`` is a :class:`VersionedEstimator` around a ``LogisticRegression``
fitted on iris, with a probe and user metadata.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys

FILES = {
    "logistic_iris.pkl": "pickle.dump(model, file, protocol=5)",
    "logistic_iris.joblib": "joblib.dump(model, path)",
    "logistic_iris_z3.joblib": "joblib.dump(model, path, compress=3)",
    "logistic_iris_save.joblib": "versioned_estimator.save(model, path)",
}
EXPECTED = "expected.json"


def build_model():
    """The reference model, and the rows its predictions are recorded on."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from versioned_estimator import VersionedEstimator

    X, y = load_iris(return_X_y=True)
    model = VersionedEstimator(
        LogisticRegression(max_iter=1000),
        metadata={"purpose": "format reference file", "dataset": "iris"},
    ).fit(X, y)
    return model, X[::5]


def write(folder, *, force=False):
    """Write the reference files into ``folder``; return the paths written."""
    import joblib
    import numpy as np
    import sklearn

    import versioned_estimator
    from versioned_estimator import save

    os.makedirs(folder, exist_ok=True)
    existing = [
        name for name in [*FILES, EXPECTED] if os.path.exists(f"{folder}/{name}")
    ]
    if existing and not force:
        raise SystemExit(
            f"{folder} already holds {', '.join(existing)}: reference files are "
            "written once per format version and kept forever. Pass --force only "
            "to replace files that were never committed."
        )
    model, rows = build_model()
    paths = {name: os.path.join(folder, name) for name in [*FILES, EXPECTED]}
    with open(paths["logistic_iris.pkl"], "wb") as handle:
        pickle.dump(model, handle, protocol=5)
    joblib.dump(model, paths["logistic_iris.joblib"])
    joblib.dump(model, paths["logistic_iris_z3.joblib"], compress=3)
    save(model, paths["logistic_iris_save.joblib"])
    expected = {
        "format_version": model.envelope.format_version,
        "written_by": {
            "versioned-estimator": versioned_estimator.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "joblib": joblib.__version__,
            "python": ".".join(str(v) for v in sys.version_info[:3]),
        },
        "files": FILES,
        "X": rows.tolist(),
        "predict": model.predict(rows).tolist(),
        "predict_proba": model.predict_proba(rows).tolist(),
        "decision_function": model.decision_function(rows).tolist(),
        "envelope": model.envelope.to_dict(),
    }
    with open(paths[EXPECTED], "w", encoding="utf-8") as handle:
        json.dump(expected, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return list(paths.values())


def main(argv=None):
    from versioned_estimator._format import FORMAT_VERSION

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite files")
    args = parser.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.path.join(here, f"format{FORMAT_VERSION}")
    for path in write(folder, force=args.force):
        print(f"{os.path.relpath(path, here)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
