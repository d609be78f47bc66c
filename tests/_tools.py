"""Load a script of ``tools/`` as a module, for the tests of the pages it writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_tool(path: Path) -> ModuleType:
    """The script at ``path`` imported as a module named after its file."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
