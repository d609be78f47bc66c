"""docs/goldilocks.md: it lists every preset, its summary matches its own table, it is up to date.

The page is written by ``tools/make_goldilocks_doc.py``. The fast tests read the page only
(and exercise the tool's row and comparison logic on made-up run records); the slow test runs
``--check --small`` (MAXIMIN, MINIMAX, GOLDILOCKS and LEXIMIN on every preset with n <= 350).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from civicsortition.research.synthetic import CALIBRATED_SKEW, PRESETS

from ._tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "make_goldilocks_doc.py"
DOC = ROOT / "docs" / "goldilocks.md"
NUMBER = re.compile(r"\d+\.\d{4}")


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    """tools/make_goldilocks_doc.py as a module."""
    return load_tool(TOOL)


@pytest.fixture(scope="module")
def text() -> str:
    """The page as committed."""
    assert DOC.exists(), f"missing {DOC} (run python tools/make_goldilocks_doc.py)"
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows(tool: ModuleType, text: str) -> dict[str, dict[str, str]]:
    """The page's table: preset -> column -> cell."""
    return tool.parse_table(text)  # type: ignore[no-any-return]


def test_page_lists_every_preset_once(rows: dict[str, dict[str, str]], text: str) -> None:
    assert set(rows) == set(PRESETS)
    for name, cells in rows.items():
        n, k, _ = PRESETS[name]
        assert (cells["n"], cells["k"]) == (str(n), str(k))
        if name not in CALIBRATED_SKEW:
            assert cells["best min (MAXIMIN bound)"] == "no calibrated version"
    assert "python tools/make_goldilocks_doc.py" in text
    assert "arXiv:2406.15009" in text


def _column(tool: ModuleType, index: int) -> str:
    return tool.HEADER[index]  # type: ignore[no-any-return]


def test_verdicts_agree_with_the_ratios(tool: ModuleType,
                                        rows: dict[str, dict[str, str]]) -> None:
    for cells in rows.values():
        for ratio_col, verdict_col, clears in (
                (_column(tool, 7), _column(tool, 8), lambda r: r >= 0.70),
                (_column(tool, 9), _column(tool, 10), lambda r: r <= 1.38)):
            ratio, verdict = cells[ratio_col], cells[verdict_col]
            if NUMBER.fullmatch(ratio):
                assert verdict == ("yes" if clears(float(ratio)) else "no"), cells
            else:
                assert verdict == "—", cells


def test_summary_counts_match_the_rows(tool: ModuleType, rows: dict[str, dict[str, str]],
                                       text: str) -> None:
    lows = {n: float(c[_column(tool, 7)]) for n, c in rows.items()
            if NUMBER.fullmatch(c[_column(tool, 7)])}
    highs = {n: float(c[_column(tool, 9)]) for n, c in rows.items()
             if NUMBER.fullmatch(c[_column(tool, 9)])}
    calibrated = sum(n in CALIBRATED_SKEW for n in rows)
    found = re.search(r"\*\*Minimum ratio ≥ 0\.70: (\d+) of (\d+)\*\* presets with a minimum "
                      r"ratio \(of (\d+) calibrated presets\)", text)
    assert found is not None
    assert [int(g) for g in found.groups()] == [sum(v >= 0.70 for v in lows.values()),
                                                len(lows), calibrated]
    found = re.search(r"\*\*Maximum ratio ≤ 1\.38: (\d+) of (\d+)\*\* presets with a maximum "
                      r"ratio \(of (\d+) calibrated presets\)", text)
    assert found is not None
    assert [int(g) for g in found.groups()] == [sum(v <= 1.38 for v in highs.values()),
                                                len(highs), calibrated]
    both = [n for n in rows if n in lows and n in highs]
    found = re.search(r"\*\*Both thresholds cleared: (\d+) of (\d+)\*\*", text)
    assert found is not None
    assert [int(g) for g in found.groups()] == [
        sum(lows[n] >= 0.70 and highs[n] <= 1.38 for n in both), len(both)]
    if lows:
        worst = min(lows, key=lambda n: (lows[n], n))
        assert f"Worst minimum ratio: {lows[worst]:.4f} (`{worst}`)." in text
    if highs:
        worst = max(highs, key=lambda n: (highs[n], n))
        assert f"Worst maximum ratio: {highs[worst]:.4f} (`{worst}`)." in text
    forced = sorted(n for n, c in rows.items() if c[_column(tool, 4)] == "1.0000")
    line = re.search(r"Best achievable maximum 1 [^:]*: (.*)\. On these", text, flags=re.M)
    assert sorted(re.findall(r"`(\w+)`", line.group(1)) if line else []) == forced
    missing = sorted(n for n in rows if n in CALIBRATED_SKEW and (n not in lows or n not in highs))
    line = re.search(r"Without both ratios[^:]*: (.*)\.$", text, flags=re.M)
    assert sorted(re.findall(r"`(\w+)`", line.group(1)) if line else []) == missing


def test_rows_from_run_records(tool: ModuleType) -> None:
    def ok(**values: float) -> dict[str, object]:
        return {"status": "ok", "seconds": 3.0, "converged": True, "lower_bound": None,
                **values}

    runs = {"maximin": ok(bound=0.2, minimum=0.2, maximum=0.9),
            "minimax": ok(bound=0.0, minimum=0.0, maximum=0.5, lower_bound=0.5),
            "goldilocks": ok(bound=0.0, minimum=0.15, maximum=0.6),
            "leximin": {"status": "timeout", "seconds": 901.0, "timeout": 900.0}}
    row = dict(zip(tool.HEADER, tool.row("sf_a", runs), strict=True))
    assert row[_column(tool, 7)] == "0.7500"
    assert row[_column(tool, 8)] == "yes"
    assert row[_column(tool, 9)] == "1.2000"
    assert row[_column(tool, 10)] == "yes"
    assert row[_column(tool, 11)] == "n/a (leximin timeout)"
    assert row[tool.TIME_COLUMN] == "3.0 / 3.0 / 3.0 / >901"
    pending = dict(zip(tool.HEADER, tool.row("sf_a", {}), strict=True))
    assert pending[_column(tool, 3)] == tool.NOT_RUN
    assert pending[_column(tool, 8)] == "—"


def test_check_ignores_times_and_unfinished_cells(tool: ModuleType) -> None:
    def ok(**values: float) -> dict[str, object]:
        return {"status": "ok", "seconds": 3.0, "converged": True, "lower_bound": None,
                **values}

    runs = {"maximin": ok(bound=0.2, minimum=0.2, maximum=0.9),
            "minimax": ok(bound=0.0, minimum=0.0, maximum=0.5, lower_bound=0.5),
            "goldilocks": ok(bound=0.0, minimum=0.15, maximum=0.6),
            "leximin": ok(bound=0.2, minimum=0.2, maximum=0.8)}
    page = tool.page([tool.row("sf_a", runs)], 900.0)
    slower = {r: {**v, "seconds": 50.0} for r, v in runs.items()}
    assert tool.compare(page, [tool.row("sf_a", slower)]) == []
    stuck = {**runs, "leximin": {"status": "timeout", "seconds": 901.0, "timeout": 900.0}}
    assert tool.compare(page, [tool.row("sf_a", stuck)]) == []
    nudged = {**runs, "goldilocks": ok(bound=0.0, minimum=0.15001, maximum=0.6)}
    assert tool.compare(page, [tool.row("sf_a", nudged)]) == []
    worse = {**runs, "goldilocks": ok(bound=0.0, minimum=0.13, maximum=0.6)}
    assert tool.compare(page, [tool.row("sf_a", worse)]) != []


@pytest.mark.slow
def test_page_is_up_to_date_on_the_small_presets() -> None:
    # Four rules on every preset with n <= 350 (minutes on a loaded two-core machine).
    done = subprocess.run([sys.executable, "-W", "error", str(TOOL), "--check", "--small"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
