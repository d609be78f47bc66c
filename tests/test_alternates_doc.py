"""docs/pipeline.md: the ERM-versus-baseline alternates table is up to date with a fresh run.

The table is written by ``tools/make_alternates_doc.py``. Nothing in it depends on a solver's
choice among equal optima (a greedy-drawn panel and baseline, ERM's public tie-breaking
weights), so ``--check`` compares it character for character. A fresh run solves three ERM
programs and six evaluations on the Rustavi example: minutes on a loaded two-core machine.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from civicsortition.examples import rustavi_example

from ._tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "make_alternates_doc.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    """tools/make_alternates_doc.py as a module."""
    return load_tool(TOOL)


def test_panel_and_baseline_are_fixed_by_their_seeds(tool: ModuleType) -> None:
    # no solver is involved: the same seeds give the same people, and they are valid
    pool, quotas = rustavi_example()
    panel = tool.panel(pool, quotas)
    assert panel == tool.panel(pool, quotas)
    assert len(panel) == quotas.panel_size
    first = tool.baseline(pool, quotas, panel, 4)
    assert first == tool.baseline(pool, quotas, panel, 4)
    assert len(first) == 4
    assert not set(first) & set(panel)


def test_check_reports_a_stale_table(tool: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "pipeline.md"
    monkeypatch.setattr(tool, "DOC", doc)
    monkeypatch.setattr(tool, "table", lambda: "| fresh |")
    doc.write_text(f"intro\n{tool.START}\n| stale |\n{tool.END}\nrest\n", encoding="utf-8")
    assert tool.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "-| stale |" in out
    assert "+| fresh |" in out
    assert "out of date" in out
    assert tool.main([]) == 0
    assert doc.read_text(encoding="utf-8") == f"intro\n{tool.START}\n| fresh |\n{tool.END}\nrest\n"
    assert tool.main(["--check"]) == 0
    doc.write_text("no markers\n", encoding="utf-8")
    assert tool.main(["--check"]) == 1


@pytest.mark.slow
def test_alternates_table_is_up_to_date(tool: ModuleType,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    # three ERM programs and six held-out evaluations on the Rustavi example (minutes)
    assert tool.main(["--check"]) == 0, capsys.readouterr().out
