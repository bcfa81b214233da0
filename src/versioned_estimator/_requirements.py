"""What to install to rebuild the environment a saved model needs.

Files of format 2 record ``requirements``: every installed distribution the
model needs to load and verify, transitively (the packages of the pickled
globals, what they require, versioned-estimator itself, pandas for a
DataFrame probe, cloudpickle for code pickled by value), each at the version
it had where the model was saved. :func:`requirements_of` turns them into
pins; files of format 1 recorded only ``packages`` (the distributions the
pickle imports), so their pins are those plus what the envelope shows for
sure (the writer's release of versioned-estimator, pandas for a DataFrame
probe), and a note says that the rest is left to the installer.

The renderers write the three files of an MLflow model directory:
``requirements.txt`` (pip), ``python_env.yaml`` (MLflow's virtualenv
manager) and ``conda.yaml``. Every name and version comes from a validated
envelope (PEP 508 names, PEP 440 versions); text that was not validated that
way (file names, platform fields) reaches a file only as an escaped comment,
so no line of the output can be anything but a pin or a comment.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from versioned_estimator._envelope import (
    Envelope,
    checked_distribution,
    checked_version,
    valid_version,
)
from versioned_estimator._packages import _guess, distribution_of, normalize_name
from versioned_estimator._text import escaped

__all__ = [
    "FILES",
    "FORMATS",
    "InstallPlan",
    "Pin",
    "RequirementSet",
    "comment",
    "plan_install",
    "provider_of",
    "render",
    "requirements_of",
    "write_files",
]

SELF = "versioned-estimator"
# The output formats, and the file each is written to by ``--out DIR``
# (the names MLflow gives them in a model directory).
FORMATS = ("pip", "python-env", "conda")
FILES = {
    "pip": "requirements.txt",
    "python-env": "python_env.yaml",
    "conda": "conda.yaml",
}
_PLATFORM_VALUE = re.compile(r"[A-Za-z0-9_.+-]{1,40}")

# ----------------------------------------------------------------------------
# Pins
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """One distribution to install.

    Attributes
    ----------
    name : str
        Normalized distribution name (PEP 503).
    version : str or None
        The saved version; None when the file does not record it (the
        installer then chooses).
    source : str
        Where the pin comes from: ``"requirements"`` (the recorded
        transitive set), ``"packages"`` (a distribution the pickle imports),
        ``"writer"`` (the versioned-estimator release that wrote the file) or
        ``"inferred"`` (needed, by what the envelope shows, version unknown).

    Examples
    --------
    >>> Pin("scikit-learn", "1.9.1", "requirements").line
    'scikit-learn==1.9.1'
    >>> Pin("pandas", None, "inferred").line
    'pandas'

    The name and version are checked by the strict grammar of
    :func:`~versioned_estimator._envelope.checked_distribution` and
    :func:`~versioned_estimator._envelope.checked_version` and kept as they
    render (an :class:`~versioned_estimator.EnvelopeError` otherwise):

    >>> Pin("Scikit_Learn", "v1.9.1-post1", "packages").line
    'scikit-learn==1.9.1.post1'
    """

    name: str
    version: str | None
    source: str

    def __post_init__(self) -> None:
        what = "the name of a distribution to install"
        object.__setattr__(self, "name", checked_distribution(self.name, what=what))
        if self.version is not None:
            version = checked_version(
                self.version, what=f"the version of {self.name} to install"
            )
            object.__setattr__(self, "version", version)

    @property
    def line(self) -> str:
        """The requirement as pip reads it."""
        return self.name if self.version is None else f"{self.name}=={self.version}"


@dataclass
class RequirementSet:
    """Everything needed to rebuild a model's environment.

    Attributes
    ----------
    pins : list of Pin
        Sorted by name.
    python : str or None
        The saved Python version (``"3.11.7"``).
    platform : dict
        System, machine and implementation where it was saved (only values
        made of letters, digits and ``._+-``).
    complete : bool
        True when the file records the transitive ``requirements`` (format
        2); False when the pins are rebuilt from ``packages`` (format 1).
    notes : list of str
        What the pins leave out or add, in words.
    estimator_class : str
    """

    pins: list[Pin]
    python: str | None
    platform: dict[str, str] = field(default_factory=dict)
    complete: bool = True
    notes: list[str] = field(default_factory=list)
    estimator_class: str = ""

    @property
    def lines(self) -> list[str]:
        """One requirement per pin, as pip reads them."""
        return [pin.line for pin in self.pins]

    def get(self, name: str) -> Pin | None:
        """The pin of ``name``, if any."""
        wanted = normalize_name(name)
        return next((pin for pin in self.pins if pin.name == wanted), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the ``requirements --json`` document, less the file)."""
        return {
            "python": self.python,
            "platform": dict(self.platform),
            "requirements": self.lines,
            "pins": {pin.name: pin.version for pin in self.pins},
            "sources": {pin.name: pin.source for pin in self.pins},
            "complete": self.complete,
            "notes": list(self.notes),
            "estimator_class": self.estimator_class,
        }


def _probe_is_frame(envelope: Envelope) -> bool:
    probe = envelope.probe or {}
    rows = probe.get("X")
    return isinstance(rows, Mapping) and rows.get("kind") == "dataframe"


def _uses_cloudpickle(envelope: Envelope) -> bool:
    if envelope.payload.get("pickler") == "cloudpickle":
        return True
    return any(name.startswith("cloudpickle.") for name in envelope.globals)


def requirements_of(envelope: Envelope) -> RequirementSet:
    """The pins that rebuild the environment ``envelope`` was saved in.

    Parameters
    ----------
    envelope : Envelope
        A validated envelope (from :func:`~versioned_estimator.read_envelope`
        or a model).

    Returns
    -------
    RequirementSet

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator
    >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 1])
    >>> found = requirements_of(model.envelope)
    >>> found.complete
    True
    >>> sorted({"numpy", "scipy", "scikit-learn", "versioned-estimator"}
    ...        - {pin.name for pin in found.pins})
    []
    """
    recorded: Mapping[str, str] = envelope.requirements
    packages: Mapping[str, str] = envelope.packages
    notes: list[str] = []
    pins: dict[str, Pin] = {}
    complete = bool(recorded)
    for name, version in recorded.items():
        pins[normalize_name(name)] = Pin(normalize_name(name), version, "requirements")
    if not complete:
        notes.append(
            f"format {envelope.format_version} file: it records only the "
            "distributions the model's pickle imports (packages), not what they "
            "require; those dependencies are left to the installer, unpinned"
        )
    for name, version in packages.items():
        key = normalize_name(name)
        if key not in pins:
            pins[key] = Pin(key, version, "packages")
    if SELF not in pins:
        writer = envelope.writer
        if valid_version(writer):
            pins[SELF] = Pin(SELF, writer, "writer")
            notes.append(
                f"{SELF}=={writer}: the release that wrote the file (its writer field)"
            )
        else:
            pins[SELF] = Pin(SELF, None, "inferred")
            notes.append(f"{SELF}: the file does not say which release wrote it")
    if _probe_is_frame(envelope) and "pandas" not in pins:
        pins["pandas"] = Pin("pandas", None, "inferred")
        notes.append(
            "pandas: the probe rows are a DataFrame, so verifying needs pandas; "
            "the file does not record its version"
        )
    if _uses_cloudpickle(envelope) and "cloudpickle" not in pins:
        pins["cloudpickle"] = Pin("cloudpickle", None, "inferred")
        notes.append(
            "cloudpickle: the model holds code pickled by value; the file does "
            "not record its version"
        )
    platform = {
        key: value
        for key, value in (envelope.platform or {}).items()
        if key in ("system", "machine", "implementation")
        and isinstance(value, str)
        and _PLATFORM_VALUE.fullmatch(value)
    }
    python = envelope.python
    return RequirementSet(
        pins=[pins[name] for name in sorted(pins)],
        python=checked_version(python) if valid_version(python) else None,
        platform=platform,
        complete=complete,
        notes=notes,
        estimator_class=envelope.estimator_class,
    )


# ----------------------------------------------------------------------------
# What ``env`` and ``upgrade-check`` install
# ----------------------------------------------------------------------------

# The distributions that provide the modules the built-in allow-list names
# (the standard library's modules need none).
ALLOWED_PROVIDERS = {
    "numpy": "numpy",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "versioned_estimator": SELF,
}


def provider_of(
    module: str, claimed: Mapping[str, str] | None = None
) -> tuple[str | None, str | None]:
    """The distribution to install for a top-level module the model imports.

    Never the file's word alone: the modules of the built-in allow-list have
    fixed providers; another module's is the distribution that provides it
    here, else the file's claim when it is the name the module conventionally
    comes from (``lightgbm`` from ``lightgbm``, ``cv2`` from
    ``opencv-python``). A claim that is neither is refused.

    Parameters
    ----------
    module : str
        A top-level module name (``"sklearn"``).
    claimed : mapping, optional
        The file's ``modules`` field: module -> distribution.

    Returns
    -------
    distribution : str or None
        None when nothing is to be installed for it.
    note : str or None
        Why a claim of the file was not followed, if one was not.

    Examples
    --------
    >>> provider_of("sklearn", {"sklearn": "evil-dist"})[0]
    'scikit-learn'
    >>> provider_of("functools")
    (None, None)
    >>> provider_of("shop_nowhere", {"shop_nowhere": "shop-nowhere"})
    ('shop-nowhere', None)
    >>> provider_of("shop_nowhere", {"shop_nowhere": "evil"})[0] is None
    True
    """
    claim = (claimed or {}).get(module)
    claim = normalize_name(claim) if isinstance(claim, str) else None
    if module in sys.stdlib_module_names or module in sys.builtin_module_names:
        found: str | None = None
    elif module in ALLOWED_PROVIDERS:
        found = ALLOWED_PROVIDERS[module]
    else:
        found = distribution_of(module)
        if found is None:
            conventional = normalize_name(_guess(module))
            if claim is not None and claim != conventional:
                return None, (
                    f"the file says {module} comes from {claim}, which is not the "
                    f"distribution known to provide it: {claim} is not installed "
                    "(install it yourself if you trust it)"
                )
            found = claim
    if claim is not None and found is not None and claim != found:
        return found, f"the file says {module} comes from {claim}: {found} provides it"
    return found, None


@dataclass
class InstallPlan:
    """What ``env`` and ``upgrade-check`` give the installer.

    Only ``install`` is named on the installer's command line: the
    distributions that provide the modules the model's pickle imports (and
    the safe load accepts), versioned-estimator, pandas for a DataFrame probe.
    Every pin of the file is passed as a constraint (``-c``): it fixes the
    version of what those distributions require, and installs nothing by
    itself. Wheels only (``--only-binary=:all:``): no source distribution's
    build script runs.

    Attributes
    ----------
    install : list of Pin
    constraints : list of Pin
        The file's pins that have a version.
    left_out : list of str
        Recorded distributions not named, installed only when a distribution
        of ``install`` requires them.
    notes : list of str
        Claims of the file that were not followed, and why.

    Examples
    --------
    >>> plan = InstallPlan([Pin("numpy", "2.2.6", "packages")],
    ...                    [Pin("numpy", "2.2.6", "packages")])
    >>> plan.requirement_lines, plan.constraint_lines
    (['numpy==2.2.6'], ['numpy==2.2.6'])
    """

    install: list[Pin]
    constraints: list[Pin]
    left_out: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def requirement_lines(self) -> list[str]:
        """The distributions to install, as pip reads them."""
        return [pin.line for pin in self.install]

    @property
    def constraint_lines(self) -> list[str]:
        """The constraints file's lines."""
        return [pin.line for pin in self.constraints]

    def describe(self) -> list[str]:
        """The plan in words, one item a line (printed before installing)."""
        lines = [
            "install plan (wheels only, --only-binary=:all:; the file's pins as "
            "constraints, -c):",
            "  install      " + (" ".join(self.requirement_lines) or "(nothing)"),
            f"  constraints  {len(self.constraints)} pins of the file",
        ]
        if self.left_out:
            lines.append(
                "  not named    "
                + " ".join(self.left_out)
                + " (installed only if a distribution above requires it)"
            )
        lines += [f"  note: {note}" for note in self.notes]
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the ``plan`` of the commands' JSON)."""
        return {
            "install": self.requirement_lines,
            "constraints": self.constraint_lines,
            "left_out": list(self.left_out),
            "notes": list(self.notes),
            "only_binary": True,
        }


def plan_install(
    found: RequirementSet,
    imported: Iterable[str],
    *,
    claimed: Mapping[str, str] | None = None,
    frame_probe: bool = False,
) -> InstallPlan:
    """The distributions to install for a model, and the file's pins as
    constraints.

    Parameters
    ----------
    found : RequirementSet
        The file's pins (:func:`requirements_of`).
    imported : iterable of str
        The modules (dotted or top-level) of the globals the model's pickle
        imports that the safe load accepts (allowed, or trusted by the
        caller): read from the stream itself, not from the envelope.
    claimed : mapping, optional
        The file's ``modules`` field (module -> distribution), followed only
        as :func:`provider_of` says.
    frame_probe : bool
        The probe rows are a DataFrame: pandas is needed to verify.

    Returns
    -------
    InstallPlan
        ``install``: the providers of ``imported`` that the file pins (a
        provider it does not record is left out, with a note),
        versioned-estimator, and pandas for a DataFrame probe.

    Examples
    --------
    >>> found = RequirementSet(
    ...     [Pin("evil-dist", "6.6.6", "requirements"),
    ...      Pin("numpy", "2.2.6", "requirements"),
    ...      Pin("scikit-learn", "1.6.1", "requirements"),
    ...      Pin("scipy", "1.15.3", "requirements"),
    ...      Pin("versioned-estimator", "0.1.0", "requirements")], "3.11.7")
    >>> plan = plan_install(found, ["sklearn.linear_model._base", "numpy", "copyreg"])
    >>> plan.requirement_lines
    ['numpy==2.2.6', 'scikit-learn==1.6.1', 'versioned-estimator==0.1.0']
    >>> plan.left_out
    ['evil-dist==6.6.6', 'scipy==1.15.3']
    >>> len(plan.constraint_lines)
    5
    """
    notes: list[str] = []
    wanted: set[str] = {SELF}
    for top in sorted({module.partition(".")[0] for module in imported}):
        dist, note = provider_of(top, claimed)
        if note is not None:
            notes.append(note)
        if dist is not None:
            wanted.add(dist)
    if frame_probe:
        wanted.add("pandas")
    install: list[Pin] = []
    for name in sorted(wanted):
        pin = found.get(name)
        if pin is not None:
            install.append(pin)
        elif name in (SELF, "pandas"):
            install.append(Pin(name, None, "inferred"))
        else:
            notes.append(
                f"the model imports modules of {name}, which the file does not "
                "record: it is not installed"
            )
    named = {pin.name for pin in install}
    return InstallPlan(
        install=install,
        constraints=[pin for pin in found.pins if pin.version is not None],
        left_out=[pin.line for pin in found.pins if pin.name not in named],
        notes=notes,
    )


# ----------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------


def comment(text: str) -> str:
    r"""``text`` as one comment line: every character that is not printable
    (a newline included) escaped, so it cannot start a line of its own.

    Examples
    --------
    >>> comment("model.joblib\n--index-url http://x")
    '# model.joblib\\x0a--index-url http://x'
    """
    return f"# {escaped(text, _comment_form)}"


def _comment_form(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else "?"


def _header(found: RequirementSet, source: str | None) -> list[str]:
    lines = [f"# python {found.python or 'unknown'}"]
    where = f" saved in {source}" if source is not None else ""
    lines.append(comment(f"{found.estimator_class}{where}"))
    platform = " ".join(
        found.platform[key]
        for key in ("system", "machine", "implementation")
        if key in found.platform
    )
    if platform:
        lines.append(f"# platform {platform}")
    if found.complete:
        lines.append(
            "# every distribution the model needs to load and verify, at its "
            "saved version"
        )
    lines += [comment(note) for note in found.notes]
    return lines


def _yaml_scalar(text: str) -> str:
    return '"' + text + '"'


def render(
    found: RequirementSet, fmt: str = "pip", *, source: str | None = None
) -> str:
    """The requirements in one of :data:`FORMATS`.

    Parameters
    ----------
    found : RequirementSet
    fmt : {"pip", "python-env", "conda"}
        ``pip``: a requirements file, the Python version in a comment;
        ``python-env``: MLflow's ``python_env.yaml``; ``conda``: a conda
        environment file with the pins under ``pip:``.
    source : str, optional
        The model file's name, shown in a comment.

    Returns
    -------
    str
        Text ending without a newline.

    Examples
    --------
    >>> found = RequirementSet([Pin("numpy", "2.4.6", "requirements")], "3.11.7",
    ...                        estimator_class="sklearn.linear_model.Ridge")
    >>> print(render(found))
    # python 3.11.7
    # sklearn.linear_model.Ridge
    # every distribution the model needs to load and verify, at its saved version
    numpy==2.4.6
    >>> print(render(found, "python-env"))
    # sklearn.linear_model.Ridge
    # every distribution ...
    python: "3.11.7"
    build_dependencies:
      - pip
      - setuptools
      - wheel
    dependencies:
      - numpy==2.4.6
    >>> print(render(found, "conda"))
    # sklearn.linear_model.Ridge
    # every distribution ...
    name: model-env
    channels:
      - conda-forge
    dependencies:
      - python=3.11.7
      - pip
      - pip:
          - numpy==2.4.6
    """
    header = _header(found, source)
    if fmt == "pip":
        return "\n".join([*header, *found.lines])
    comments = header[1:]  # the Python version is a field of its own
    if fmt == "python-env":
        lines = [*comments]
        if found.python:
            lines.append(f"python: {_yaml_scalar(found.python)}")
        lines += ["build_dependencies:", "  - pip", "  - setuptools", "  - wheel"]
        lines += ["dependencies:", *(f"  - {line}" for line in found.lines)]
        return "\n".join(lines)
    if fmt == "conda":
        lines = [*comments, "name: model-env", "channels:", "  - conda-forge"]
        lines.append("dependencies:")
        if found.python:
            lines.append(f"  - python={found.python}")
        lines += ["  - pip", "  - pip:", *(f"      - {line}" for line in found.lines)]
        return "\n".join(lines)
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def write_files(
    found: RequirementSet,
    folder: str | os.PathLike[str],
    *,
    source: str | None = None,
    force: bool = False,
    formats: Sequence[str] = FORMATS,
) -> list[str]:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml``.

    Parameters
    ----------
    found : RequirementSet
    folder : path
        Created when missing.
    source : str, optional
        The model file's name, shown in a comment.
    force : bool, default=False
        Overwrite files that exist; otherwise a ``FileExistsError`` is raised
        before anything is written.
    formats : sequence of str
        Which of :data:`FORMATS` to write.

    Returns
    -------
    list of str
        The paths written.

    Examples
    --------
    >>> import tempfile
    >>> found = RequirementSet([Pin("numpy", "2.4.6", "requirements")], "3.11.7")
    >>> folder = tempfile.mkdtemp()
    >>> [os.path.basename(p) for p in write_files(found, folder)]
    ['requirements.txt', 'python_env.yaml', 'conda.yaml']
    """
    targets = [(fmt, os.path.join(os.fspath(folder), FILES[fmt])) for fmt in formats]
    if not force:
        existing = [path for _, path in targets if os.path.lexists(path)]
        if existing:
            raise FileExistsError(
                f"{', '.join(existing)} already exist(s); pass --force to overwrite"
            )
    os.makedirs(os.fspath(folder), exist_ok=True)
    written = []
    for fmt, path in targets:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(render(found, fmt, source=source) + "\n")
        written.append(path)
    return written
