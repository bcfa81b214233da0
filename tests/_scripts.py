"""Scripts of ``tests/data`` (the writers of committed files) as modules."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

DATA = Path(__file__).parent / "data"


def load_script(relative: str, name: str) -> ModuleType:
    """The script at ``tests/data/<relative>``, imported as ``name``."""
    spec = importlib.util.spec_from_file_location(name, DATA / relative)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
