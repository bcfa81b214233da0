"""This environment against the one a model was saved in.

Each package the envelope names is compared with what is installed here, and
the difference classified as ``same``, ``patch``, ``minor``, ``major`` or
``missing`` (Python alike). The default policy treats ``minor`` and above as a
mismatch: scikit-learn changes estimator internals between minor releases.

Python itself counts only from ``major``: a model's behaviour is its
libraries' (compiled per Python version, and each one pinned), pickle's
protocol 5 reads the same on every Python since 3.8, and the probe replay is
the direct evidence: the 183 estimators of the fidelity matrix saved on
Python 3.13.0 all replay within tolerance on 3.11.7 with the same library
versions (measured 2026-12-02). The report still shows the change.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, NamedTuple

from versioned_estimator._packages import installed_version
from versioned_estimator._provenance import python_version
from versioned_estimator._render import table

__all__ = ["CHANGES", "EnvironmentReport", "PackageChange", "classify", "compare"]

CHANGES = ("same", "patch", "minor", "major", "missing")
_RANK = {name: i for i, name in enumerate(CHANGES)}
DEFAULT_THRESHOLD = "minor"
PYTHON_THRESHOLD = "major"


def _release(version: str) -> tuple[int, ...]:
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", version)
    if not match:
        return ()
    return tuple(int(part) for part in match.group(1).split("."))


def classify(saved: str | None, installed: str | None) -> str:
    """Classify the change from ``saved`` to ``installed``.

    Examples
    --------
    >>> [classify("1.5.2", v) for v in ("1.5.2", "1.5.3", "1.6.0", "2.0", None)]
    ['same', 'patch', 'minor', 'major', 'missing']
    """
    if installed is None:
        return "missing"
    if saved == installed:
        return "same"
    if saved is None:
        return "major"
    old, new = _release(saved), _release(installed)
    if not old or not new:
        return "major"
    old = old + (0,) * (3 - len(old))
    new = new + (0,) * (3 - len(new))
    if old[0] != new[0]:
        return "major"
    if old[1] != new[1]:
        return "minor"
    return "patch"


# Named tuples, not dataclasses: a load whose environment matches still
# compares it, and creating two frozen dataclasses at import costs ~1 ms of a
# process's first load.
class PackageChange(NamedTuple):
    """One package (or Python) then and now."""

    name: str
    saved: str | None
    installed: str | None
    change: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "saved": self.saved,
            "installed": self.installed,
            "change": self.change,
        }


class EnvironmentReport(NamedTuple):
    """The comparison of a saved environment with this one.

    Attributes
    ----------
    packages : list of PackageChange
        One per package the model's pickle needs, sorted by name.
    python : PackageChange
    threshold : str
        The smallest change that counts as a mismatch (default ``"minor"``).
    """

    packages: list[PackageChange]
    python: PackageChange
    threshold: str = DEFAULT_THRESHOLD

    @property
    def mismatches(self) -> list[PackageChange]:
        """Entries whose change reaches the threshold (Python: from major)."""
        limit = _RANK[self.threshold]
        found = [entry for entry in self.packages if _RANK[entry.change] >= limit]
        if _RANK[self.python.change] >= max(limit, _RANK[PYTHON_THRESHOLD]):
            found.insert(0, self.python)
        return found

    @property
    def ok(self) -> bool:
        """True when nothing reaches the threshold."""
        return not self.mismatches

    def with_threshold(self, threshold: str) -> EnvironmentReport:
        """The same comparison judged at another threshold."""
        if threshold not in _RANK or threshold == "same":
            raise ValueError(
                f"threshold={threshold!r}; expected one of {', '.join(CHANGES[1:])}."
            )
        return EnvironmentReport(self.packages, self.python, threshold)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "ok": self.ok,
            "threshold": self.threshold,
            "python": self.python.to_dict(),
            "packages": [entry.to_dict() for entry in self.packages],
        }

    def fix(self) -> str:
        """A pip command that restores the saved versions of what differs,
        quoted for a shell (an epoch's ``!`` is history expansion in bash)."""
        pins = [
            shlex.quote(f"{entry.name}=={entry.saved}")
            for entry in self.mismatches
            if entry.name != "python" and entry.saved
        ]
        return f"pip install {' '.join(pins)}" if pins else ""

    def summary(self) -> str:
        """One line per mismatch, for error messages."""
        return "; ".join(
            f"{e.name} saved {e.saved}, here {e.installed or 'not installed'}"
            for e in self.mismatches
        )

    def __str__(self) -> str:
        rows = [("package", "saved", "installed", "change")]
        for entry in [self.python, *self.packages]:
            rows.append(
                (entry.name, entry.saved or "-", entry.installed or "-", entry.change)
            )
        lines = table(rows, indent=0)
        verdict = "ok" if self.ok else f"MISMATCH ({len(self.mismatches)})"
        lines.append(f"environment: {verdict} (threshold: {self.threshold})")
        return "\n".join(lines)


def compare(
    envelope_data: dict[str, Any], threshold: str = DEFAULT_THRESHOLD
) -> EnvironmentReport:
    """Compare an envelope's environment with the running one."""
    packages = []
    for name, saved in sorted((envelope_data.get("packages") or {}).items()):
        installed = installed_version(name)
        packages.append(
            PackageChange(name, saved, installed, classify(saved, installed))
        )
    saved_python = envelope_data.get("python")
    here = python_version()
    python = PackageChange(
        "python",
        saved_python,
        here,
        classify(saved_python, here) if saved_python else "same",
    )
    return EnvironmentReport(packages, python, threshold)
