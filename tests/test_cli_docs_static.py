"""Command line end to end, docs kept in sync with the code, and static checks of src/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from civicsortition import Band, build_quotas, read_targets
from civicsortition.algorithms import ALGORITHMS
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_OK, main
from civicsortition.examples import rustavi_synthetic_census

ROOT = Path(__file__).resolve().parents[1]


def test_cli_demo(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import json

    assert main(["demo", "--out", str(tmp_path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert "| sex | female | 19 | 21 |" in out
    for step in ("Address frame", "Invitations", "Registrations", "LEXIMIN lottery",
                 "Transparent lottery", "Public draw", "Independent verification: passed",
                 "drop out", "29 of 36", "must answer by"):
        assert step in out, step
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {"invitations.csv", "lottery.json", "draw.json", "result.json",
                       "replacement.json", "report.md", "report.json", "inputs"}
    assert {p.name for p in (tmp_path / "inputs").iterdir()} == {
        "frame.csv", "census.csv", "registrations.csv", "targets.csv", "people.csv",
        "votes.csv"}
    record = json.loads((tmp_path / "draw.json").read_text())
    report = (tmp_path / "report.md").read_text() + (tmp_path / "report.json").read_text()
    assert not any(pid in report for pid in record["panel"])  # no ids in the report
    assert "Resident" not in report
    assert "## Registrations" in report


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


# ------------------------------------------------------------------------------ select
def _select_files(tmp_path: Path) -> tuple[Path, Path]:
    targets = tmp_path / "targets.csv"
    targets.write_text("category,feature,min,max\nsex,f,2,2\nsex,m,2,2\nage,y,1,3\nage,o,1,3\n")
    people = tmp_path / "people.csv"
    rows = ["pid,name,sex,age,address"]
    data = [("f", "y", "a1"), ("f", "o", "a1"), ("m", "y", ""), ("m", "o", "a2"),
            ("f", "y", "a2"), ("m", "y", ""), ("f", "o", ""), ("m", "o", "")]
    rows += [f"id{i},Person {i},{s},{a},{h}" for i, (s, a, h) in enumerate(data)]
    people.write_text("\n".join(rows) + "\n")
    return targets, people


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_cli_select_json(tmp_path: Path, algorithm: str) -> None:
    import json

    targets, people = _select_files(tmp_path)
    out = tmp_path / "out.json"
    args = ["select", "--targets", str(targets), "--people", str(people), "--panel-size", "4",
            "--id-column", "pid", "--household-column", "address", "--algorithm", algorithm,
            "--json", str(out)]
    if algorithm == "legacy":
        args += ["--draws", "200", "--seed", "5"]
    assert main(args) == EXIT_OK
    result = json.loads(out.read_text())
    assert result["algorithm"] == algorithm
    assert result["backend"] == "highs"
    ids = [p["id"] for p in result["people"]]
    assert ids == [f"id{i}" for i in range(8)]
    probs = [p["probability"] for p in result["people"]]
    assert sum(probs) == pytest.approx(4)
    assert sum(p["probability"] for p in result["panels"]) == pytest.approx(1)
    by_id = dict(zip(ids, probs))
    freq = dict.fromkeys(ids, 0.0)
    for panel in result["panels"]:
        assert len(panel["members"]) == 4
        assert not {"id0", "id1"} <= set(panel["members"])     # same household
        for m in panel["members"]:
            freq[m] += panel["probability"]
    for pid in ids:
        assert freq[pid] == pytest.approx(by_id[pid], abs=1e-6)
    assert "Person" not in out.read_text()                       # no names in the output


def test_cli_select_row_numbers_as_ids(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import json

    targets, people = _select_files(tmp_path)
    out = tmp_path / "out.json"
    assert main(["select", "--targets", str(targets), "--people", str(people), "--panel-size",
                 "4", "--json", str(out), "--no-panels", "--progress"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "limited by" in captured.out            # the explanation for organisers
    assert "iteration" in captured.err             # progress on stderr
    result = json.loads(out.read_text())
    assert [p["id"] for p in result["people"]] == [str(i) for i in range(8)]
    assert "panels" not in result


def test_cli_select_bad_input_and_infeasible(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    targets, people = _select_files(tmp_path)
    people.write_text(people.read_text().replace("id3,Person 3,m,o", "id3,Person 3,m,old"))
    assert main(["select", "--targets", str(targets), "--people", str(people),
                 "--panel-size", "4", "--id-column", "pid"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{people}:5, column 'age'" in err
    assert "'old'" in err
    targets2, people2 = _select_files(tmp_path)
    targets2.write_text("feature,value,min,max\nsex,f,4,4\nsex,m,0,0\nage,y,0,4\nage,o,0,4\n")
    people2.write_text("sex,age\nf,y\nf,o\nf,y\nm,o\nm,y\n")
    assert main(["select", "--targets", str(targets2), "--people", str(people2),
                 "--panel-size", "4"]) == EXIT_INFEASIBLE
    err = capsys.readouterr().err
    assert "smallest relaxation" in err
    assert "sex=f: [4, 4] -> [3, 4]" in err


def test_cli_select_subprocess_on_public_example(tmp_path: Path) -> None:
    import json

    shared = ROOT.parent / "shared" / "data" / "example_small_20"
    if not shared.exists():
        pytest.skip("shared/data is not beside this checkout")
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, "-m", "civicsortition", "select", "--targets",
                           str(shared / "categories.csv"), "--people",
                           str(shared / "respondents.csv"), "--panel-size", "20", "--json",
                           str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert min(p["probability"] for p in result["people"]) == pytest.approx(0.1, abs=1e-6)


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_docs_have_no_control_characters(page: Path) -> None:
    # A TeX "\tau" or "\nabla" written through a Python string once became a tab and a
    # newline: the page then rendered "abla F" and "<TAB>au".
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        bad = [c for c in line if ord(c) < 32]
        assert not bad, f"{page.name}:{number}: control character {bad[0]!r}"
