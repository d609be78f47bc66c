"""The docs site: generated pages up to date, every public name documented, a strict build.

The build (``mkdocs build --strict``: mkdocs-material, mkdocstrings with numpy docstrings,
mkdocs-jupyter executing the Rustavi tutorial notebook) runs when the ``docs`` tools are
installed, as they are by the ``test`` extra; otherwise it is skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import civicsortition

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "mkdocs_jupyter",
         "ipykernel")


def test_generated_pages_are_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "make_docs_site.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_public_name_is_in_the_api_reference() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: ([\w.]+)$", text, flags=re.M))
    leaves = {d.rsplit(".", 1)[-1] for d in documented}
    exports = civicsortition._EXPORTS  # type: ignore[attr-defined]
    missing = []
    for name, where in exports.items():
        _, colon, attribute = where.partition(":")
        if colon and not attribute:
            assert f"## `civicsortition.{name}`" in text  # a subpackage section
        elif (attribute or name) not in leaves:
            missing.append(name)
    assert missing == []


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").iterdir() if p.suffix in (".md", ".ipynb"))
    assert [p for p in pages if f": {p}" not in config] == []


@pytest.mark.skipif(not all(importlib.util.find_spec(t.split(".")[0]) for t in TOOLS),
                    reason="the docs tools are not installed (pip install -e '.[docs]')")
def test_site_builds_strictly_with_the_executed_tutorial(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    assert not (ROOT / ".cache").exists()
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("civicsortition.pool.Pool", "civicsortition.algorithms.registry.find_distribution",
                 "civicsortition.io.tables.Table"):
        assert f'id="{name}"' in api, name
    tutorial = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert "letters to 40000 addresses" in tutorial      # a printed output: the cell ran
    assert "proven optimal" in tutorial                  # the lottery's notebook display
    assert "Traceback" not in tutorial


def test_citation_file_names_this_version() -> None:
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", text, flags=re.M)
    version = re.search(r"^version: (\S+)$", text, flags=re.M)
    assert version is not None
    assert version.group(1) == civicsortition.__version__
