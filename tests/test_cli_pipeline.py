"""The command line end to end: select -> lottery -> draw -> verify -> report -> tally."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import civicsortition as cs
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_VERIFICATION_FAILED, main


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The embedded example as files, run through select with a lottery and a draw."""
    d = tmp_path_factory.mktemp("cli")
    pool, quotas = cs.examples.rustavi_example()
    targets = d / "targets.csv"
    cs.write_targets(targets, quotas)
    people = d / "people.csv"
    with open(people, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", *pool.strata.names, "address"])
        for i, rec in enumerate(pool.records()):
            w.writerow([rec["id"], f"Person {i}", *(rec[c] for c in pool.strata.names),
                        rec.get("household", "")])
    paths = {"targets": targets, "people": people, "result": d / "result.json",
             "lottery": d / "lottery.json", "record": d / "draw.json",
             "selected": d / "selected.csv", "remaining": d / "remaining.csv"}
    code = main(["select", "--targets", str(targets), "--people", str(people), "--panel-size",
                 "36", "--id-column", "id", "--household-column", "address",
                 "--json", str(paths["result"]), "--lottery", str(paths["lottery"]),
                 "--draw-seed", "CLI test seed 1 2 3", "--record", str(paths["record"]),
                 "--selected", str(paths["selected"]), "--remaining", str(paths["remaining"])])
    assert code == EXIT_OK
    return paths


def _inputs(files: dict[str, Path]) -> list[str]:
    return ["--targets", str(files["targets"]), "--people", str(files["people"]),
            "--panel-size", "36", "--id-column", "id", "--household-column", "address"]


def test_select_writes_lottery_record_and_split(files: dict[str, Path]) -> None:
    record = json.loads(files["record"].read_text())
    lottery = cs.TransparentLottery.from_canonical(files["lottery"].read_bytes())
    assert record["digest"] == lottery.digest()
    assert lottery.m == 1000
    selected = list(csv.DictReader(files["selected"].read_text().splitlines()))
    remaining = list(csv.DictReader(files["remaining"].read_text().splitlines()))
    assert sorted(r["id"] for r in selected) == record["panel"]
    assert len(selected) == 36
    assert len(selected) + len(remaining) == 240
    assert selected[0]["name"].startswith("Person")   # other columns carried through


def test_draw_command_reproduces_select_draw(files: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "again.json"
    sel = tmp_path / "sel.csv"
    assert main(["draw", "--lottery", str(files["lottery"]), "--seed",
                 "  CLI test seed   1 2 3 ", "--record", str(out), "--people",
                 str(files["people"]), "--id-column", "id", "--selected", str(sel)]) == EXIT_OK
    assert json.loads(out.read_text()) == json.loads(files["record"].read_text())
    assert sel.read_text() == files["selected"].read_text()
    assert "ticket" in capsys.readouterr().out


def test_verify_passes_and_catches_tampering(files: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--lottery", str(files["lottery"]), "--record",
                 str(files["record"])]) == EXIT_OK
    assert main(["verify", *_inputs(files), "--result", str(files["result"]), "--lottery",
                 str(files["lottery"]), "--record", str(files["record"])]) == EXIT_OK
    assert "verification passed" in capsys.readouterr().out
    # A record claiming a different panel fails.
    record = json.loads(files["record"].read_text())
    record["panel"] = sorted(record["panel"][1:] + ["R240"])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(record))
    assert main(["verify", "--lottery", str(files["lottery"]), "--record",
                 str(bad)]) == EXIT_VERIFICATION_FAILED
    assert "FAILED" in capsys.readouterr().out
    # A result whose claimed probabilities were edited fails the independent check.
    result = json.loads(files["result"].read_text())
    result["people"][0]["probability"] += 0.05
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(result))
    assert main(["verify", *_inputs(files), "--result", str(forged)]) == \
        EXIT_VERIFICATION_FAILED
    # A result with a panel that breaks the quotas is a failed verification (not bad input).
    result = json.loads(files["result"].read_text())
    result["panels"][0]["members"][0] = result["panels"][0]["members"][1]
    forged.write_text(json.dumps(result))
    assert main(["verify", *_inputs(files), "--result", str(forged)]) == \
        EXIT_VERIFICATION_FAILED
    assert "FAILED result.panels: panels[0]: a person appears twice" in capsys.readouterr().out


def test_report_command(files: dict[str, Path], tmp_path: Path) -> None:
    md, js = tmp_path / "report.md", tmp_path / "report.json"
    assert main(["report", *_inputs(files), "--result", str(files["result"]), "--lottery",
                 str(files["lottery"]), "--record", str(files["record"]), "--out", str(md),
                 "--json", str(js)]) == EXIT_OK
    text = md.read_text()
    assert "## Independent verification" in text
    assert "Verdict: **passed**" in text
    record = json.loads(files["record"].read_text())
    assert not any(pid in text or pid in js.read_text() for pid in record["panel"])
    assert json.loads(js.read_text())["draw"]["seed"] == "CLI test seed 1 2 3"


def test_tally_command(files: dict[str, Path], tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    members = json.loads(files["record"].read_text())["panel"]
    votes = tmp_path / "votes.csv"
    rows = ["member,recommendation,vote"]
    rows += [f"{m},R1,{'yes' if i < 29 else 'no'}" for i, m in enumerate(members)]
    rows += [f"{m},R2,{'yes' if i < 28 else 'abstain'}" for i, m in enumerate(members)]
    votes.write_text("\n".join(rows) + "\n")
    assert main(["tally", "--votes", str(votes), "--members-record", str(files["record"]),
                 "--handover", "2027-05-02"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "| R1 | 29 | 7 | 0 | 0 | 29 of 36 | **adopted** |" in out
    assert "| R2 | 28 | 0 | 8 | 0 | 29 of 36 | not adopted |" in out
    assert "answer by 2027-06-01" in out
    assert main(["tally", "--votes", str(votes), "--members-record", str(files["record"]),
                 "--denominator", "cast"]) == EXIT_OK
    assert "| R2 | 28 | 0 | 8 | 0 | 23 of 28 | **adopted** |" in capsys.readouterr().out
    votes.write_text(votes.read_text() + f"{members[0]},R1,yes\n")
    assert main(["tally", "--votes", str(votes), "--members", ",".join(members)]) == \
        EXIT_BAD_INPUT
    assert "duplicate-ballot" in capsys.readouterr().err


def test_select_draw_outputs_need_a_seed(files: dict[str, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", *_inputs(files), "--selected", "x.csv"]) == EXIT_BAD_INPUT
    assert "--draw-seed" in capsys.readouterr().err


def test_invite_registrations_select_chain(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Stage 1 and validation from files, then select on the validated people file."""
    from civicsortition.examples import (
        RUSTAVI_REFERENCE_DATE,
        rustavi_address_frame,
        rustavi_registrations,
    )

    frame = rustavi_address_frame()
    frame_csv = tmp_path / "frame.csv"
    with open(frame_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["address", "district", "low_response"])
        w.writerows(zip(frame.ids, frame.column("district"), frame.column("low_response"),
                        strict=True))
    census = tmp_path / "census.csv"
    census.write_text("category,value,count\n" + "".join(
        f"district,{v},{float(p) * 100000:.0f}\n"
        for v, p in cs.examples.rustavi_synthetic_census().shares("district").items()))
    inv_csv = tmp_path / "invitations.csv"
    assert main(["invite", "--frame", str(frame_csv), "--target-pool", "300",
                 "--response-rate", "0.05", "0.08", "--census", str(census), "--reserves", "50",
                 "--seed", "invite seed", "--out", str(inv_csv), "--record",
                 str(tmp_path / "inv.json")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "send 6437 letters" in out
    rows = list(csv.DictReader(inv_csv.read_text().splitlines()))
    assert sum(r["status"] == "invited" for r in rows) == 6437
    assert sum(r["status"] == "reserve" for r in rows) == 50
    # Same seed and design through the API: the same addresses.
    api = cs.invite(frame, cs.Stratified(6437, population=cs.read_census(census)
                                         .shares("district")), "invite seed", reserves=50)
    assert {r["address"] for r in rows if r["status"] == "invited"} == api.invited_set

    regs_csv = tmp_path / "registrations.csv"
    records = rustavi_registrations(api, frame)
    with open(regs_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    quotas = cs.build_quotas(cs.examples.rustavi_synthetic_census(), 36, band=cs.Band.seats(1),
                             floors=True)
    targets = tmp_path / "targets.csv"
    cs.write_targets(targets, quotas)
    people = tmp_path / "people.csv"
    rejections = tmp_path / "rejections.csv"
    assert main(["registrations", "--registrations", str(regs_csv), "--targets", str(targets),
                 "--panel-size", "36", "--invitations", str(inv_csv), "--reference-date",
                 RUSTAVI_REFERENCE_DATE.isoformat(), "--identity-columns", "name,birth_date",
                 "--out", str(people), "--rejections", str(rejections)]) == EXIT_OK
    out = capsys.readouterr().out
    rejected = list(csv.DictReader(rejections.read_text().splitlines()))
    expected = cs.validate_registrations(records, quotas, reference_date=RUSTAVI_REFERENCE_DATE,
                                         invited=api, identity_fields=("name", "birth_date"))
    assert len(rejected) == len(expected.rejections)
    assert f"{expected.pool.n} accepted" in out
    text = people.read_text()
    assert "Resident" not in text  # names are not carried into the people file
    assert "birth_date" not in text.splitlines()[0]
    result = tmp_path / "result.json"
    assert main(["select", "--targets", str(targets), "--people", str(people), "--panel-size",
                 "36", "--id-column", "id", "--household-column", "address", "--json",
                 str(result), "--no-panels"]) == EXIT_OK
    assert len(json.loads(result.read_text())["people"]) == expected.pool.n
