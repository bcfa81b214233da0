"""Which installed distribution provides a module, and at which version.

``importlib.metadata.packages_distributions()`` answers exactly but costs about
100 ms in a fresh process, too much for the first ``pickle.dumps``. So the
lookup goes, per top-level module and cached for the process:

1. the standard library and modules not installed in a site directory (a
   user's ``models.py``) have no distribution: no metadata is read;
2. a guess from the module name (``sklearn`` -> ``scikit-learn``), confirmed by
   that distribution's file list or ``top_level.txt``;
3. only then the full ``packages_distributions()`` map, built once.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import sys
import sysconfig
import threading
from collections.abc import Iterable

__all__ = ["distribution_of", "installed_version", "normalize_name", "versions_for"]

# Module names whose distribution is not named like them.
_KNOWN = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "imblearn": "imbalanced-learn",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "google": "protobuf",
    "attr": "attrs",
    "umap": "umap-learn",
    "hdbscan": "hdbscan",
    "Bio": "biopython",
}

_lock = threading.Lock()
_module_cache: dict[str, str | None] = {}
_version_cache: dict[str, str | None] = {}
_full_map: dict[str, list[str]] | None = None


def normalize_name(name: str) -> str:
    """Normalize a distribution name as pip does (PEP 503).

    Examples
    --------
    >>> normalize_name("Scikit_Learn")
    'scikit-learn'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _site_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.realpath(d) for d in dirs if d)


def _is_installed(top: str) -> bool:
    """Whether a top-level module lives in a site directory."""
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        return False
    module = sys.modules.get(top)
    origin = getattr(module, "__file__", None)
    if origin is None:
        paths = list(getattr(module, "__path__", []) or [])
        origin = paths[0] if paths else None
    if origin is None:
        return module is None  # not imported: let metadata decide
    real = os.path.realpath(origin)
    return any(real.startswith(site + os.sep) for site in _site_dirs()) or (
        # an editable install: metadata knows the module even outside site dirs
        _provides(top, _guess(top))
    )


def _guess(top: str) -> str:
    return _KNOWN.get(top, top)


def _provides(top: str, dist_name: str) -> bool:
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return False
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        return top in top_level.split()
    # No top_level.txt (hatchling, flit, editable installs): the name matched
    # the module or a known mapping, which is as good as it gets without the
    # full map.
    return True


def _full() -> dict[str, list[str]]:
    global _full_map
    if _full_map is None:
        _full_map = dict(metadata.packages_distributions())
    return _full_map


def distribution_of(module: str) -> str | None:
    """Return the normalized distribution name that provides ``module``, if any.

    Examples
    --------
    >>> distribution_of("sklearn.linear_model._logistic")
    'scikit-learn'
    >>> distribution_of("collections") is None
    True
    """
    top = module.partition(".")[0]
    with _lock:
        if top in _module_cache:
            return _module_cache[top]
    result: str | None = None
    if _is_installed(top):
        guess = _guess(top)
        if _provides(top, guess):
            result = normalize_name(guess)
        else:
            names = _full().get(top)
            result = normalize_name(names[0]) if names else None
    with _lock:
        _module_cache[top] = result
    return result


def installed_version(distribution: str) -> str | None:
    """Return the installed version of a distribution, or None when missing.

    Examples
    --------
    >>> import numpy
    >>> installed_version("numpy") == numpy.__version__
    True
    >>> installed_version("no-such-distribution-here") is None
    True
    """
    name = normalize_name(distribution)
    with _lock:
        if name in _version_cache:
            return _version_cache[name]
    try:
        version: str | None = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = None
    with _lock:
        _version_cache[name] = version
    return version


def versions_for(modules: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Map modules to distributions and versions.

    Returns
    -------
    packages : dict
        ``{distribution: version}``, sorted by name.
    modules : dict
        ``{top-level module: distribution}`` for the modules that have one.
    """
    packages: dict[str, str] = {}
    provided: dict[str, str] = {}
    for module in sorted({m.partition(".")[0] for m in modules}):
        dist = distribution_of(module)
        if dist is None:
            continue
        version = installed_version(dist)
        if version is None:
            continue
        provided[module] = dist
        packages[dist] = version
    return dict(sorted(packages.items())), provided


def forget() -> None:
    """Drop the caches (tests install and remove packages)."""
    global _full_map
    with _lock:
        _module_cache.clear()
        _version_cache.clear()
        _full_map = None
