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

import functools
import importlib.metadata as metadata
import os
import re
import sys
import sysconfig
import threading
from collections.abc import Iterable
from importlib.machinery import PathFinder as _PathFinder

from versioned_estimator._format import normalize_name

__all__ = [
    "distribution_of",
    "installed_version",
    "is_editable",
    "normalize_name",
    "requirements_for",
    "versions_for",
]

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
_full_map: dict[str, list[str]] | None = None


def library_dirs(*keys: str) -> tuple[str, ...]:
    """The real paths of sysconfig's ``keys`` ("purelib", "stdlib", ...) and
    of the site directories on ``sys.path``, each ending in a separator."""
    return _library_dirs(tuple(sys.path), keys)


@functools.lru_cache(maxsize=8)
def _library_dirs(path: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, ...]:
    paths = sysconfig.get_paths()  # expands its templates on every call
    dirs = {paths[key] for key in keys}
    dirs.update(p for p in path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


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
    return any(
        real.startswith(site) for site in library_dirs("purelib", "platlib")
    ) or (
        # an editable install: metadata knows the module even outside site dirs
        _provides(top, _guess(top))
    )


def _guess(top: str) -> str:
    return _KNOWN.get(top, top)


# ----------------------------------------------------------------------------
# Where each distribution's metadata is: one listing of each path entry
# ----------------------------------------------------------------------------

_index_key: tuple[tuple[str, ...], str] | None = None
_index: dict[str, str] = {}


def _metadata_dirs(paths: Iterable[str]) -> dict[str, str]:
    """``{normalized name: metadata directory}``, the first along ``paths``
    as ``importlib.metadata`` finds it (``name-version.dist-info``, or an
    ``.egg-info`` directory)."""
    found: dict[str, str] = {}
    for entry in paths:
        folder = os.path.abspath(entry or ".")
        try:
            with os.scandir(folder) as listing:
                names = [
                    e.name for e in listing if e.name.endswith(_SUFFIXES) and e.is_dir()
                ]
        except OSError:  # missing, a file (a zip of the standard library)
            continue
        for name in names:
            # The name before the version ("scikit_learn-1.9.1.dist-info").
            stem = name.rpartition(".")[0].partition("-")[0]
            if stem:
                found.setdefault(normalize_name(stem), folder + os.sep + name)
    return found


_SUFFIXES = (".dist-info", ".egg-info")


def _metadata_dir(distribution: str) -> str | None:
    """The metadata directory of an installed distribution, from one listing
    of each ``sys.path`` entry per process (``importlib.metadata`` lists or
    stats every entry on every look-up: 0.1 ms a distribution, 2 ms of a
    load). None when it is not there, or when an import hook other than
    the standard path finder could find distributions: then the caller asks
    ``importlib.metadata``."""
    global _index_key, _index
    if any(
        hasattr(finder, "find_distributions") and finder is not _PathFinder
        for finder in sys.meta_path
    ):
        return None
    key = (tuple(sys.path), os.getcwd())
    with _lock:
        if key != _index_key:
            _index, _index_key = _metadata_dirs(key[0]), key
        return _index.get(distribution)


def _read_metadata(distribution: str, filename: str) -> str | None:
    """A metadata file of an installed distribution, or None when missing."""
    folder = _metadata_dir(distribution)
    if folder is not None:
        try:
            with open(os.path.join(folder, filename), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            if os.path.isdir(folder):
                return None
        except (OSError, UnicodeDecodeError):
            pass
    try:  # not indexed, or moved since: ask importlib.metadata
        return metadata.distribution(distribution).read_text(filename)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def _installed(distribution: str) -> bool:
    if _metadata_dir(distribution) is not None:
        return True
    try:
        metadata.distribution(distribution)
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return True


def _provides(top: str, dist_name: str) -> bool:
    dist_name = normalize_name(dist_name)
    if not _installed(dist_name):
        return False
    top_level = _read_metadata(dist_name, "top_level.txt")
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


_metadata_cache: dict[str, tuple[str | None, tuple[str, ...]]] = {}


def _headers(distribution: str) -> tuple[str | None, tuple[str, ...]]:
    """Version and ``Requires-Dist`` lines of an installed distribution.

    Read from the headers of its METADATA file directly: parsing the whole
    file as email (what ``importlib.metadata`` does) costs milliseconds per
    distribution, because METADATA holds the long description too.
    """
    with _lock:
        if distribution in _metadata_cache:
            return _metadata_cache[distribution]
    version: str | None = None
    requires: list[str] = []
    text = _read_metadata(distribution, "METADATA")
    if text is None:
        text = _read_metadata(distribution, "PKG-INFO")
    if text is not None:
        for line in text.split("\n\n", 1)[0].splitlines():
            key, _, value = line.partition(":")
            if key == "Version" and version is None:
                version = value.strip()
            elif key == "Requires-Dist":
                requires.append(value.strip())
        if version is None:
            try:
                version = metadata.version(distribution)
            except (metadata.PackageNotFoundError, ValueError):
                version = None
    result = (version, tuple(requires))
    with _lock:
        _metadata_cache[distribution] = result
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
    return _headers(normalize_name(distribution))[0]


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


_generation = 0


def packages_generation() -> int:
    """Increases each time the caches are dropped (for caches built on them)."""
    return _generation


def forget() -> None:
    """Drop the caches (tests install and remove packages)."""
    global _full_map, _generation, _index_key
    _generation += 1
    with _lock:
        _index_key = None
        _module_cache.clear()
        _metadata_cache.clear()
        _requires_cache.clear()
        _editable_cache.clear()
        _full_map = None


# ----------------------------------------------------------------------------
# What a model needs to load and verify: the transitive requirements
# ----------------------------------------------------------------------------

_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_requires_cache: dict[str, tuple[str, ...]] = {}


def _requires(distribution: str) -> tuple[str, ...]:
    """The distributions ``distribution`` requires (not its optional extras)."""
    with _lock:
        if distribution in _requires_cache:
            return _requires_cache[distribution]
    names: list[str] = []
    for line in _headers(distribution)[1]:
        requirement, _, marker = line.partition(";")
        if "extra" in marker:
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.append(normalize_name(match.group(1)))
    result = tuple(sorted(set(names)))
    with _lock:
        _requires_cache[distribution] = result
    return result


def requirements_for(distributions: Iterable[str]) -> dict[str, str]:
    """Every installed distribution that ``distributions`` need, transitively,
    with its installed version.

    A requirement behind an environment marker is kept when it is installed
    here (it is then needed here); optional extras are left out.

    Examples
    --------
    >>> pins = requirements_for(["scikit-learn"])
    >>> sorted(set(pins) & {"numpy", "scipy", "joblib", "scikit-learn"})
    ['joblib', 'numpy', 'scikit-learn', 'scipy']
    """
    pending = [normalize_name(d) for d in distributions]
    pins: dict[str, str] = {}
    while pending:
        name = pending.pop()
        if name in pins:
            continue
        version = installed_version(name)
        if version is None:
            continue
        pins[name] = version
        pending.extend(_requires(name))
    return dict(sorted(pins.items()))


_editable_cache: dict[str, bool] = {}


def is_editable(distribution: str) -> bool:
    """Whether a distribution is installed in editable mode (its code can change
    without its version changing).

    Examples
    --------
    >>> is_editable("numpy")
    False
    """
    name = normalize_name(distribution)
    with _lock:
        if name in _editable_cache:
            return _editable_cache[name]
    editable = False
    text = _read_metadata(name, "direct_url.json")
    if text:
        editable = '"editable": true' in text.replace("'", '"').lower() or (
            '"editable":true' in text.replace(" ", "").lower()
        )
    with _lock:
        _editable_cache[name] = editable
    return editable
