"""The organiser's whole path on the command line, from the example's files to the vote.

Driven through ``main([...])`` in a temporary directory. Nothing here depends on which optimal
lottery a solver returns: the checks are invariants (replacements meet the residual quotas, the
completed panel is feasible, every record re-derives from its lottery and seed, the fill is the
earliest fitting alternate).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

import civicsortition as cs
from civicsortition.cli import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    build_parser,
    main,
)
from civicsortition.draw import DrawRecord, verify
from civicsortition.program import PanelProgram
from civicsortition.seeds import alternate_key

K = 36
INVITE_SEED = "Rustavi assembly 2027 - invitations - demo seed"


def _run(*args: str) -> int:
    return main(list(args))


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """example -> quotas -> invite -> registrations -> check -> select, as files."""
    d = tmp_path_factory.mktemp("organiser")
    assert _run("example", "--out", str(d)) == EXIT_OK
    f = {name: d / name for name in ("frame.csv", "census.csv", "registrations.csv",
                                     "targets.csv", "people.csv", "votes.csv")}
    f["targets2"] = d / "targets2.csv"
    assert _run("quotas", "--census", str(f["census.csv"]), "--panel-size", str(K),
                "--floors", "--provenance", "--out", str(f["targets2"])) == EXIT_OK
    f["invitations"] = d / "invitations.csv"
    assert _run("invite", "--frame", str(f["frame.csv"]), "--target-pool", "300",
                "--response-rate", "0.05", "0.08", "--census", str(f["census.csv"]),
                "--reserves", "643", "--seed", INVITE_SEED,
                "--out", str(f["invitations"])) == EXIT_OK
    f["pool"] = d / "pool.csv"
    assert _run("registrations", "--registrations", str(f["registrations.csv"]), "--targets",
                str(f["targets.csv"]), "--panel-size", str(K), "--invitations",
                str(f["invitations"]), "--reference-date", "2027-03-01",
                "--identity-columns", "name,birth_date", "--out", str(f["pool"]),
                "--rejections", str(d / "rejections.csv")) == EXIT_OK
    base = _base(f)
    assert _run("check", *base) == EXIT_OK
    for name in ("result", "lottery", "draw"):
        f[name] = d / f"{name}.json"
    assert _run("select", *base, "--json", str(f["result"]), "--lottery", str(f["lottery"]),
                "--draw-seed", "organiser panel seed", "--record", str(f["draw"])) == EXIT_OK
    return f


def _base(f: dict[str, Path]) -> list[str]:
    return ["--targets", str(f["targets.csv"]), "--people", str(f["pool"]), "--panel-size",
            str(K), "--id-column", "id", "--household-column", "address"]


def _inputs(f: dict[str, Path]) -> tuple[cs.Pool, cs.Quotas]:
    quotas = cs.read_targets(f["targets.csv"], K)
    pool = cs.read_people(f["pool"], strata=quotas, id_column="id",
                          household_column="address").pool
    return pool, quotas


def _valid(pool: cs.Pool, quotas: cs.Quotas, panel: list[str]) -> list[str]:
    index = {pid: i for i, pid in enumerate(pool.ids)}
    return PanelProgram.build(pool, quotas, households=True).check_panel(
        [index[p] for p in panel])


def test_example_inputs_feed_every_step(path: dict[str, Path]) -> None:
    # quotas from the written census are the written targets (with provenance)
    assert path["targets2"].read_text() == path["targets.csv"].read_text()
    census = cs.read_census(path["census.csv"])
    assert census.data == cs.examples.rustavi_synthetic_census().data
    # the registrations answer the invitations the printed invite command draws
    accepted = len(list(csv.DictReader(path["pool"].read_text().splitlines())))
    regs = list(csv.DictReader(path["registrations.csv"].read_text().splitlines()))
    assert 0 < accepted < len(regs)
    rejected = list(csv.DictReader((path["pool"].parent / "rejections.csv").read_text()
                                   .splitlines()))
    assert "not-invited" in {r["code"] for r in rejected}
    assert {r["row"] for r in rejected}
    assert accepted + len({r["row"] for r in rejected}) == \
        len(regs)
    # the embedded pool's file reads as the embedded example
    pool, _ = cs.examples.rustavi_example()
    people = cs.read_people(path["people.csv"], strata=cs.read_targets(path["targets.csv"], K),
                            id_column="id", household_column="address")
    assert people.pool.ids == pool.ids
    # the ballots cover everyone in people.csv and registrations.csv
    assert {m for m, _, _ in cs.io.read_votes(path["votes.csv"])} == \
        set(pool.ids) | {r["id"] for r in regs}


def test_replace_meets_the_residual_quotas_and_re_derives(
        path: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = _inputs(path)
    panel = list(DrawRecord.from_dict(json.loads(path["draw"].read_text())).panel)
    leaving = panel[:2]
    rec, lot, sel = tmp_path / "rep.json", tmp_path / "rep-lottery.json", tmp_path / "sel.csv"
    assert _run("replace", *_base(path), "--members-record", str(path["draw"]), "--dropouts",
                ",".join(leaving), "--seed", "replacement seed", "--relax", "--record",
                str(rec), "--lottery", str(lot), "--selected", str(sel)) == EXIT_OK
    doc = json.loads(rec.read_text())
    new = doc["replacements"]
    assert len(new) == 2
    assert not set(new) & set(panel)
    assert sorted(doc["kept"]) == sorted(set(panel) - set(leaving))
    # the replacements meet the residual quotas the record states
    profile = {pid: dict(zip(pool.strata.names, (pool.strata[c].values[pool.codes[i, j]]
                                                 for j, c in enumerate(pool.strata.names)),
                             strict=True)) for i, pid in enumerate(pool.ids)}
    for q in doc["residual_quotas"]:
        held = sum(profile[p][q["category"]] == q["value"] for p in new)
        assert q["min"] <= held <= q["max"], q
    # without relaxation the completed panel meets the original quotas and households
    completed = sorted(doc["kept"] + new)
    if not doc["relaxation"]:
        assert _valid(pool, quotas, completed) == []
    # the draw re-derives from the published lottery and the seed
    verdict = verify(DrawRecord.from_dict(doc["draw"]), cs.io.read_lottery(str(lot)))
    assert verdict.ok
    assert sorted(r["id"] for r in csv.DictReader(sel.read_text().splitlines())) == completed
    # the replacement record is a members record for the next step
    assert cs.io.read_panel(str(rec)) == tuple(completed)
    assert "id" not in doc  # no personal data beyond panel ids
    # the vote of the completed panel
    capsys.readouterr()
    assert _run("tally", "--votes", str(path["votes.csv"]), "--members-record", str(rec),
                "--ignore-non-members") == EXIT_OK
    out = capsys.readouterr()
    assert f"{K} members" in out.out
    rows = [ln.split("|") for ln in out.out.splitlines() if " of " in ln and ln.startswith("|")]
    assert len(rows) == 3
    assert all(int(cells[5]) == 0 for cells in rows)  # every member has a ballot
    assert _run("tally", "--votes", str(path["votes.csv"]), "--members-record",
                str(rec)) == EXIT_BAD_INPUT


def test_alternates_prepare_and_fill(path: dict[str, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = _inputs(path)
    panel = list(DrawRecord.from_dict(json.loads(path["draw"].read_text())).panel)
    alt = tmp_path / "alternates.json"
    assert _run("alternates", "prepare", *_base(path), "--members-record", str(path["draw"]),
                "--count", "20", "--seed", "alternates seed", "--out", str(alt)) == EXIT_OK
    listed = cs.io.read_alternates(str(alt))
    assert len(listed.order) == 20
    assert not set(listed.order) & set(panel)
    assert list(listed.order) == sorted(listed.order,
                                        key=lambda p: alternate_key("alternates seed",
                                                                             p))
    # one dropout whom some alternate can replace: a swap within the same profile
    def swapped(leaver: str, a: str) -> list[str]:
        return sorted([p for p in panel if p != leaver] + [a])

    leaver = next(p for p in panel
                  if any(_valid(pool, quotas, swapped(p, a)) == [] for a in listed.order))
    filled = tmp_path / "filled.json"
    sel = tmp_path / "sel.csv"
    assert _run("alternates", "fill", *_base(path), "--members-record", str(path["draw"]),
                "--dropouts", leaver, "--alternates", str(alt), "--record", str(filled),
                "--selected", str(sel)) == EXIT_OK
    doc = json.loads(filled.read_text())
    (chosen,) = doc["replacements"]
    # the earliest alternate in the published order that completes a valid panel
    first = next(a for a in listed.order if _valid(pool, quotas, swapped(leaver, a)) == [])
    assert chosen == first
    assert doc["panel"] == swapped(leaver, chosen) == list(cs.io.read_panel(str(filled)))
    # an edited order is refused
    bad = json.loads(alt.read_text())
    bad["order"] = list(reversed(bad["order"]))
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(bad))
    assert _run("alternates", "fill", *_base(path), "--members-record", str(path["draw"]),
                "--dropouts", leaver, "--alternates", str(forged)) == EXIT_BAD_INPUT
    # a second round from the same list, on the panel the first fill left: accepted
    second = next(p for p in doc["panel"] if p != chosen)
    assert _run("alternates", "fill", *_base(path), "--members-record", str(filled),
                "--dropouts", second, "--alternates", str(alt)) in (EXIT_OK, 3)
    # a list prepared for another panel is refused, naming a member it does not know
    other = json.loads(alt.read_text())
    stranger = panel[0]
    other["panel"] = [p for p in other["panel"] if p != stranger] + [listed.order[-1]]
    other_path = tmp_path / "other.json"
    other_path.write_text(json.dumps(other))
    capsys.readouterr()
    assert _run("alternates", "fill", *_base(path), "--members-record", str(path["draw"]),
                "--dropouts", leaver, "--alternates", str(other_path)) == EXIT_BAD_INPUT
    assert "alternates-for-another-panel" in capsys.readouterr().err


def test_report_is_complete(path: dict[str, Path], tmp_path: Path) -> None:
    md, js = tmp_path / "report.md", tmp_path / "report.json"
    reg = ["--registrations", str(path["registrations.csv"]), "--invitations",
           str(path["invitations"]), "--reference-date", "2027-03-01", "--identity-columns",
           "name,birth_date"]
    assert _run("report", *_base(path), "--result", str(path["result"]), "--lottery",
                str(path["lottery"]), "--record", str(path["draw"]), "--census",
                str(path["census.csv"]), *reg, "--out", str(md), "--json", str(js)) == EXIT_OK
    text = md.read_text()
    assert "None" not in text
    assert "nan" not in text
    assert "## Registrations" in text
    assert "## Transparent lottery" in text
    data = json.loads(js.read_text())
    quotas = cs.read_targets(path["targets.csv"], K)
    assert [q["provenance"]["exact_quota"] for q in data["quotas"]] == \
        [float(q.provenance.exact_quota) for q in quotas if q.provenance]
    assert data["registrations"]["accepted"] == len(
        list(csv.DictReader(path["pool"].read_text().splitlines())))
    assert 0 <= data["lottery"]["max_abs_deviation"] < 0.05
    # no ids in the report
    panel = json.loads(path["draw"].read_text())["panel"]
    assert not any(pid in text or pid in js.read_text() for pid in panel)
    # the verifier regenerates the same report
    assert _run("verify", *_base(path), "--result", str(path["result"]), "--lottery",
                str(path["lottery"]), "--record", str(path["draw"]), "--census",
                str(path["census.csv"]), *reg, "--report", str(js)) == EXIT_OK
    # without a lottery: no rounding line at all
    assert _run("report", *_base(path), "--result", str(path["result"]),
                "--out", str(tmp_path / "plain.md")) == EXIT_OK
    assert "rounding" not in (tmp_path / "plain.md").read_text()


def test_targets_without_provenance_read_as_before(path: dict[str, Path],
                                                   tmp_path: Path) -> None:
    quotas = cs.read_targets(path["targets.csv"], K)
    plain = tmp_path / "plain.csv"
    cs.write_targets(plain, quotas)
    again = cs.read_targets(plain, K)
    assert all(q.provenance is None for q in again)
    assert [(q.category, q.value, q.min, q.max) for q in again] == \
        [(q.category, q.value, q.min, q.max) for q in quotas]
    assert all(q.provenance is not None for q in quotas)


def _replace(path: dict[str, Path], *extra: str) -> list[str]:
    return ["replace", *_base(path), "--members-record", str(path["draw"]),
            "--seed", "s", *extra]


def test_replace_errors_write_nothing(path: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    panel = json.loads(path["draw"].read_text())["panel"]
    rec = tmp_path / "rep.json"
    capsys.readouterr()
    assert _run(*_replace(path, "--dropouts", "NOBODY", "--record", str(rec))) == \
        EXIT_BAD_INPUT
    assert "unknown-id" in capsys.readouterr().err
    pool, _ = _inputs(path)
    outside = next(p for p in pool.ids if p not in panel)
    assert _run(*_replace(path, "--dropouts", outside, "--record", str(rec))) == \
        EXIT_BAD_INPUT
    assert "not-on-panel" in capsys.readouterr().err
    assert not rec.exists()
    ids = tmp_path / "dropouts.txt"
    ids.write_text(f"# members who left\n{panel[0]}\n{panel[0]}\n")
    assert _run(*_replace(path, "--dropouts-file", str(ids))) == EXIT_BAD_INPUT
    assert "duplicate-id" in capsys.readouterr().err
    rec.write_text("mine\n")
    assert _run(*_replace(path, "--dropouts", panel[0], "--record", str(rec))) == \
        EXIT_BAD_INPUT
    assert "output-exists" in capsys.readouterr().err
    assert rec.read_text() == "mine\n"
    assert _run(*_replace(path, "--dropouts", panel[0], "--selected", str(path["pool"]),
                          "--force")) == EXIT_BAD_INPUT
    assert "output-is-input" in capsys.readouterr().err


def test_example_refuses_to_overwrite(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "votes.csv").write_text("mine\n")
    assert _run("example", "--out", str(tmp_path)) == EXIT_BAD_INPUT
    assert "output-exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["votes.csv"]


def _subparsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((name, sub))
                out += [(f"{name} {n}", s) for n, s in _subparsers(sub)]
    return out


def test_every_command_and_option_is_described() -> None:
    parser = build_parser()
    commands = _subparsers(parser)
    assert {"replace", "alternates", "alternates prepare", "alternates fill",
            "example"} <= {n for n, _ in commands}
    for name, sub in commands:
        assert sub.description, name
        help_text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, f"{name} {action.option_strings}"
            if action.default not in (None, False) and action.option_strings:
                assert "default" in help_text, f"{name} {action.option_strings}"
        for flag in ("--panel-size", "--tickets", "--backend", "--threshold"):
            matches = [a for a in sub._actions if flag in a.option_strings]
            for a in matches:
                assert a.default is None or str(a.default) in help_text, (name, flag)


def test_same_option_same_meaning_everywhere() -> None:
    commands = dict(_subparsers(build_parser()))
    people_commands = ["check", "select", "verify", "report", "replace", "alternates prepare",
                       "alternates fill"]
    helps: dict[str, set[str]] = {}
    for name in people_commands:
        for a in commands[name]._actions:
            for flag in ("--id-column", "--household-column", "--targets", "--people",
                         "--force", "--members-record"):
                if flag in a.option_strings:
                    helps.setdefault(flag, set()).add(a.help or "")
    for flag, texts in helps.items():
        assert len(texts) == 1, (flag, texts)
