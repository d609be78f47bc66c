"""Lazy exports: a package names what it offers, and loads each module on first use.

``import civicsortition`` should cost little more than NumPy: the solver stack (SciPy's HiGHS,
PuLP, highspy) is loaded only when something that solves is first touched. A package lists its
public names with the module that defines each; :func:`lazy_exports` returns the module-level
``__getattr__`` and ``__dir__`` (PEP 562) that import that module on first access and cache the
name in the package's namespace. Static type checkers see the same names through a
``TYPE_CHECKING`` import block, which a test keeps equal to the table.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType

__all__ = ["lazy_exports"]


class _Package(ModuleType):
    """A package whose exported names win over same-named submodules.

    Importing submodule ``pkg.draw`` makes the import system set attribute ``draw`` of ``pkg``
    to the module, which would hide the exported *function* ``draw``. The function wins, as it
    did when the package imported every name eagerly; the module stays in ``sys.modules``.
    """

    def __setattr__(self, name: str, value: object) -> None:
        exports = self.__dict__.get("_EXPORTS", {})
        if (name in exports and isinstance(value, ModuleType)
                and value.__name__ == f"{self.__name__}.{name}"):
            return
        super().__setattr__(name, value)


def lazy_exports(package: str, exports: Mapping[str, str], *,
                 deprecated: Callable[[str], object] | None = None
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> module (relative to ``package``, e.g. ``".pool"``) that defines it;
        ``".module:attribute"`` exports an attribute under another name, and ``".module:"``
        the module itself (a subpackage reachable as an attribute).
    deprecated : callable, optional
        Called for names not in ``exports`` (e.g. from
        :func:`civicsortition._deprecated.moved_names`); raises ``AttributeError`` if unknown.
    """
    def __getattr__(name: str) -> object:  # noqa: N807 (the PEP 562 hook)
        where = exports.get(name)
        if where is None:
            if deprecated is not None:
                return deprecated(name)
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, colon, attribute = where.partition(":")
        value = importlib.import_module(module, package)
        if not (colon and not attribute):
            value = getattr(value, attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807 (the PEP 562 hook)
        return sorted(set(exports) | set(vars(sys.modules[package])))

    module = sys.modules[package]
    module.__dict__.setdefault("_EXPORTS", exports)
    module.__class__ = _Package
    return __getattr__, __dir__
