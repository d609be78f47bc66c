"""Command line end to end, docs kept in sync with the code, and static checks of src/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from civicsortition import Band, build_quotas, read_targets, rustavi_synthetic_census
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]


def test_cli_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert "| sex | female | 19 | 21 |" in out


def test_cli_quotas_to_file(tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    assert main(["quotas", "--panel-size", "36", "--method", "webster", "--floors",
                 "--out", str(out)]) == EXIT_OK
    quotas = read_targets(out, 36)
    expected = build_quotas(rustavi_synthetic_census(), 36, method="webster", floors=True)
    assert [(q.value, q.min, q.max) for q in quotas] == [(q.value, q.min, q.max)
                                                         for q in expected]


def test_cli_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets = tmp_path / "t.csv"
    targets.write_text("feature,value,min,max\nsex,f,1,2\nsex,m,1,2\n")
    people = tmp_path / "p.csv"
    people.write_text("id,sex\na,f\nb,m\nc,m\n")
    assert main(["check", "--targets", str(targets), "--people", str(people),
                 "--panel-size", "2", "--id-column", "id"]) == EXIT_OK
    assert main(["check", "--targets", str(targets), "--people", str(people),
                 "--panel-size", "5", "--id-column", "id"]) == EXIT_INFEASIBLE
    assert "panel-larger-than-pool" in capsys.readouterr().err
    people.write_text("id,sex\na,f\nb,x\n")
    assert main(["check", "--targets", str(targets), "--people", str(people),
                 "--panel-size", "2", "--id-column", "id"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{people}:3, column 'sex'" in err
    assert "'x'" in err


def test_cli_subprocess_module_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "civicsortition", "quotas", "--panel-size",
                           "10", "--band-percent", "5"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "feature,value,min,max"
    assert len(proc.stdout.splitlines()) == 15


def test_docs_quota_table_matches_code() -> None:
    """docs/quotas.md shows the 36-seat Rustavi table; it must be what the code produces."""
    text = (ROOT / "docs" / "quotas.md").read_text(encoding="utf-8")
    table = build_quotas(rustavi_synthetic_census(), 36, method="largest-remainder",
                         band=Band.seats(1), floors=True).to_markdown()
    assert table in text


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def test_mypy_strict_clean() -> None:
    proc = subprocess.run([_tool("mypy"), "--strict", "src/"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_clean() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "src/", "tests/"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
