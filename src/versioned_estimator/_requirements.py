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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from versioned_estimator._envelope import (
    Envelope,
    valid_distribution,
    valid_version,
)
from versioned_estimator._packages import normalize_name

__all__ = [
    "FILES",
    "FORMATS",
    "Pin",
    "RequirementSet",
    "comment",
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
    """

    name: str
    version: str | None
    source: str

    def __post_init__(self) -> None:
        if not valid_distribution(self.name):
            raise ValueError(f"not a distribution name: {self.name!r}")
        if self.version is not None and not valid_version(self.version):
            raise ValueError(f"not a version: {self.version!r}")

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
        python=python if valid_version(python) else None,
        platform=platform,
        complete=complete,
        notes=notes,
        estimator_class=envelope.estimator_class,
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
    escaped = "".join(
        ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else "?"
        for ch in text
    )
    return f"# {escaped}"


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
