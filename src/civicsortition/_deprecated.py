"""Old import paths that keep working for one release, with a :class:`DeprecationWarning`.

Two kinds of forwarding, both listed in ``CHANGELOG.md`` under *Deprecated*:

* a module that moved (``civicsortition.synthetic`` -> ``civicsortition.research.synthetic``):
  the old file calls :func:`moved_module`, which warns and puts the new module in its place in
  ``sys.modules``, so every name (private ones too) resolves as before;
* a name that moved out of a module that stays (``civicsortition.rustavi_synthetic_census``):
  the module's ``__getattr__`` comes from :func:`moved_names`.

The new module is imported only when an old path is used, so forwarding adds no import edge.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType

__all__ = ["REMOVED_IN", "moved_module", "moved_names"]

REMOVED_IN = "0.3"


def _stacklevel(old: str) -> int:
    """Stack level of the first frame that is not forwarding machinery.

    Skipped: this module, the lazy-export hook, the import system, and the old module itself
    (a moved module's file runs while it is being imported).
    """
    here = os.path.dirname(__file__)
    level, frame = 1, sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        file = frame.f_code.co_filename
        if file.startswith("<frozen importlib") or name.startswith("importlib"):
            frame = frame.f_back  # type: ignore[assignment]
            continue  # warnings.warn does not count the import system's frames either
        ours = (os.path.dirname(file) == here
                and os.path.basename(file) in ("_deprecated.py", "_lazy.py"))
        if not ours and not (name == old and file.startswith(here)):
            break
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} moved to {new}; the old path will be removed in civicsortition "
                  f"{REMOVED_IN}", DeprecationWarning, stacklevel=_stacklevel(old))


def moved_module(old: str, new: str) -> ModuleType:
    """Replace module ``old`` (being imported) by module ``new``, with a warning."""
    _warn(old, new)
    module = importlib.import_module(new)
    sys.modules[old] = module
    return module


def moved_names(old: str, moved: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` forwarding each name in ``moved`` to its new module."""
    def __getattr__(name: str) -> object:  # noqa: N807 (the PEP 562 hook)
        target = moved.get(name)
        if target is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        _warn(f"{old}.{name}", f"{target}.{name}")
        return getattr(importlib.import_module(target), name)
    return __getattr__
