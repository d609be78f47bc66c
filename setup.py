"""The build step that compiles the message catalogs (everything else is in pyproject.toml).

``build_py`` writes ``civicsortition/locale/<lang>.mo`` next to each ``<lang>.po`` in the
built package, compiled by :func:`civicsortition._i18n.compile_mo` (the standard GNU format,
read by :mod:`gettext`); the module is loaded from its file, so the build needs nothing but
setuptools. An installed package reads the ``.mo``; a source checkout reads the ``.po``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
I18N = HERE / "src" / "civicsortition" / "_i18n.py"


def _i18n():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_civicsortition_i18n_build", I18N)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {I18N}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile every ``source/*.po`` into ``target/*.mo``; return the files written."""
    i18n = _i18n()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for po in sorted(source.glob("*.po")):
        mo = target / (po.stem + ".mo")
        mo.write_bytes(i18n.compile_mo(i18n.read_po(po.read_text(encoding="utf-8"))))
        written.append(mo)
    return written


class BuildWithCatalogs(build_py):
    """``build_py`` that also compiles the gettext catalogs."""

    def run(self) -> None:
        """Build as usual, then write the ``.mo`` files into the built package."""
        super().run()
        if not self.dry_run:
            compile_catalogs(HERE / "src" / "civicsortition" / "locale",
                             Path(self.build_lib) / "civicsortition" / "locale")


setup(cmdclass={"build_py": BuildWithCatalogs})
