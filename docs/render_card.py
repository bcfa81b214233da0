"""Render the Jupyter envelope card to docs/card.png with headless Chromium.

Run from the checkout: ``.venv/bin/python docs/render_card.py`` (needs Debian's
``chromium``). It shows a freshly fitted model, a sealed one as loaded, and a
file whose envelope records other versions than this environment has.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from versioned_estimator import VersionedEstimator


class _Edited:
    """Pickles as ``model`` with some packages recorded at other versions."""

    def __init__(self, model: VersionedEstimator, packages: dict[str, str]) -> None:
        rebuild, (envelope, stream, buffers) = model.__reduce_ex__(5)
        envelope = {**envelope, "packages": {**envelope["packages"], **packages}}
        self.reduced = (rebuild, (envelope, stream, buffers))

    def __reduce_ex__(self, protocol: object) -> object:
        return self.reduced


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    X, y = load_iris(return_X_y=True, as_frame=True)
    search = GridSearchCV(LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]}, cv=3)
    model = VersionedEstimator(search, metadata={"owner": "ana", "data": "iris v3"})
    model.fit(X, y)
    sealed = pickle.loads(pickle.dumps(model))
    changed = pickle.loads(
        pickle.dumps(_Edited(model, {"scikit-learn": "1.5.2", "lightgbm": "4.3.0"}))
    )
    parts = [
        ("Fitted", model._repr_html_()),
        ("Loaded with pickle.load (sealed, not unpickled yet)", sealed._repr_html_()),
        ("Saved with scikit-learn 1.5.2 and lightgbm", changed._repr_html_()),
    ]
    body = "".join(f"<h3 style='font-family:sans-serif'>{t}</h3>{h}" for t, h in parts)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "card.html"
        page.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
        target = Path(__file__).with_name("card.png")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={folder}/profile",
                f"--screenshot={target}",
                "--window-size=1100,1000",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {target.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
