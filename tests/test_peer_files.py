"""The peer library's files read unchanged (issue 14, point 6).

Files in the layout of sortition-algorithms are built here: a features CSV
(``feature,value,min,max,min_flex,max_flex``), a candidates CSV whose values are lower case
and whose households are keyed by two address columns, and its TOML settings file. They go
through ``check`` and ``select`` by ``main([...])``. The checks compare with the same data in
canonical case (same pool codes, same lottery), inspect every panel of the lottery for two
members of one household, and provoke the ambiguity and missing-column errors. The peer's own
fixture files are run too when they are on this machine (its sdist); otherwise skipped.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import importlib.metadata
import json
import os
import site
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from civicsortition import io
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main
from civicsortition.errors import InputError
from civicsortition.io.people import HOUSEHOLD_SEPARATOR
from civicsortition.io.settings import read_settings

K = 6
GENDERS = ("Female", "Male")
REGIONS = ("North", "South East", "West")
HEADER = ["nationbuilder_id", "first_name", "email", "mobile_number", "primary_address1",
          "primary_zip", "gender", "region"]
SETTINGS = """\
id_column = "nationbuilder_id"
check_same_address = true
check_same_address_columns = ["primary_address1", "primary_zip"]
max_attempts = 100
columns_to_keep = ["first_name", "email", "primary_address1", "primary_zip"]
selection_algorithm = "maximin"
solver_backend = "highspy"
random_number_seed = 0
"""


def _people(lower: bool) -> list[list[str]]:
    """30 candidates; pairs 0-1, 6-7, 12-13 ... share an address AND a zip (a household);
    people 2 and 3 share the first address line but not the zip (not a household). Only 0, 1
    and 2 live in the West, which has at least 2 seats: without the household rule the leximin
    lottery seats 0 and 1 together (each of the three gets 2/3)."""
    rows = []
    for i in range(30):
        street = f"{i // 2} High Street" if i % 6 in (0, 1) else f"{i} Low Road"
        zip_code = f"ZP{i // 2}" if i % 6 in (0, 1) else f"ZQ{i}"
        if i % 6 in (2, 3):
            street = f"{i // 6} Mill Lane"
        if i % 6 == 1:
            street = street.upper()  # the peer compares addresses up to case
        # West: only people 0 and 1 (one household) and 2, and at least 2 West seats
        gender, region = GENDERS[(i * 7 // 3) % 2], REGIONS[2 if i < 3 else i % 2]
        if lower:
            gender, region = gender.lower(), region.lower()
        rows.append([f"nb{1000 + i}", f"Name{i}", f"p{i}@example.org", f"0700{i:04d}", street,
                     zip_code, gender, region])
    return rows


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    features = [["Gender", "Female", "3", "3", "0", "6"], ["Gender", "Male", "3", "3", "0", "6"],
                ["region", "North", "1", "3", "0", "6"],
                ["region", "South East", "1", "3", "0", "6"],
                ["region", "West", "2", "3", "0", "6"]]
    out = {
        "features": _write_csv(tmp_path / "features.csv",
                               ["feature", "value", "min", "max", "min_flex", "max_flex"],
                               features),
        "lower": _write_csv(tmp_path / "candidates_lower.csv", HEADER, _people(True)),
        "canonical": _write_csv(tmp_path / "candidates.csv", HEADER, _people(False)),
        "settings": tmp_path / "settings.toml",
    }
    out["settings"].write_text(SETTINGS, encoding="utf-8")
    return out


def _households(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        return {r["nationbuilder_id"]: (r["primary_address1"].casefold(), r["primary_zip"])
                for r in csv.DictReader(f)}


def _base(f: dict[str, Path], people: str) -> list[str]:
    return ["--targets", str(f["features"]), "--people", str(f[people]), "--panel-size", str(K)]


# ------------------------------------------------------------------------------ reading
def test_lower_case_values_fail_without_ignore_case(files: dict[str, Path]) -> None:
    quotas = io.read_targets(files["features"], K)
    with pytest.raises(InputError) as e:
        io.read_people(files["lower"], strata=quotas, id_column="nationbuilder_id")
    assert {p.code for p in e.value.problems} == {"unknown-value"}


def test_ignore_case_reads_the_canonical_values(files: dict[str, Path]) -> None:
    quotas = io.read_targets(files["features"], K)
    hh = ["primary_address1", "primary_zip"]
    lower = io.read_people(files["lower"], strata=quotas, id_column="nationbuilder_id",
                           household_column=hh, ignore_case=True).pool
    canon = io.read_people(files["canonical"], strata=quotas, id_column="nationbuilder_id",
                           household_column=hh, ignore_case=True).pool
    exact = io.read_people(files["canonical"], strata=quotas, id_column="nationbuilder_id").pool
    assert lower.ids == canon.ids == exact.ids
    assert (lower.codes == exact.codes).all()
    assert lower.households == canon.households
    # every value of the targets occurs, so the codes are not trivially equal
    assert all(len(set(lower.codes[:, c])) == len(cat.values)
               for c, cat in enumerate(lower.strata))


def test_household_key_over_two_columns(files: dict[str, Path]) -> None:
    quotas = io.read_targets(files["features"], K)
    pool = io.read_people(files["lower"], strata=quotas, id_column="nationbuilder_id",
                          household_column=["primary_address1", "primary_zip"],
                          ignore_case=True).pool
    assert pool.households is not None
    key = dict(zip(pool.ids, pool.households, strict=True))
    truth = _households(files["lower"])
    for a in pool.ids:
        for b in pool.ids:
            assert (key[a] == key[b]) == (truth[a] == truth[b])
    assert key["nb1002"] != key["nb1003"]          # same street, different zip
    assert key["nb1000"] == key["nb1001"]          # same street up to case, same zip
    assert HOUSEHOLD_SEPARATOR in (key["nb1000"] or "")


def test_household_blank_cells_and_exact_case(tmp_path: Path) -> None:
    people = _write_csv(tmp_path / "p.csv", ["id", "g", "a1", "zip"],
                        [["x1", "f", "", ""], ["x2", "f", "", ""], ["x3", "m", "A", "1"],
                         ["x4", "m", "a", "1"], ["x5", "f", "A", ""]])
    pool = io.read_people(people, categories=["g"], id_column="id",
                          household_column=("a1", "zip")).pool
    assert pool.households is not None
    assert pool.households[:2] == (None, None)               # all blank: no household
    assert pool.households[2] != pool.households[3]          # exact case without ignore_case
    assert pool.households[4] not in (None, pool.households[2])
    folded = io.read_people(people, categories=["g"], id_column="id",
                            household_column=("a1", "zip"), ignore_case=True).pool
    assert folded.households is not None
    assert folded.households[2] == folded.households[3]


def test_missing_household_column_is_named(files: dict[str, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    quotas = io.read_targets(files["features"], K)
    with pytest.raises(InputError) as e:
        io.read_people(files["lower"], strata=quotas, id_column="nationbuilder_id",
                       household_column=["primary_address1", "zip_royal_mail"],
                       ignore_case=True)
    assert [(p.code, p.column) for p in e.value.problems] == [("missing-column",
                                                               "zip_royal_mail")]
    assert main(["check", *_base(files, "lower"), "--id-column", "nationbuilder_id",
                 "--ignore-case", "--household-column",
                 "primary_address1,zip_royal_mail"]) == EXIT_BAD_INPUT
    assert "zip_royal_mail" in capsys.readouterr().err


def test_ambiguous_values_are_an_error_naming_both(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    targets = _write_csv(tmp_path / "t.csv", ["feature", "value", "min", "max"],
                         [["g", "Female", "0", "2"], ["g", "FEMALE", "0", "2"],
                          ["g", "Male", "0", "2"]])
    people = _write_csv(tmp_path / "p.csv", ["id", "g"],
                        [["a", "female"], ["b", "Male"], ["c", "FEMALE"], ["d", "male"]])
    quotas = io.read_targets(targets, 2)
    with pytest.raises(InputError) as e:
        io.read_people(people, strata=quotas, id_column="id", ignore_case=True)
    (problem,) = e.value.problems                    # exact matches are not ambiguous
    assert problem.code == "ambiguous-value"
    assert problem.row == 2
    assert "'Female'" in problem.message
    assert "'FEMALE'" in problem.message
    ok = io.read_people(people, strata=quotas, id_column="id", ignore_case=False,
                        allow_new_values=True).pool
    assert ok.n == 4
    assert main(["check", "--targets", str(targets), "--people", str(people), "--panel-size",
                 "2", "--id-column", "id", "--ignore-case"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "ambiguous-value" in err
    assert "FEMALE" in err


# ------------------------------------------------------------------------------ settings
def test_read_settings_maps_the_peer_keys(tmp_path: Path, files: dict[str, Path]) -> None:
    s = read_settings(files["settings"])
    assert s.id_column == "nationbuilder_id"
    assert s.household_columns == ("primary_address1", "primary_zip")
    assert s.columns_to_keep == ("first_name", "email", "primary_address1", "primary_zip")
    assert s.algorithm == "maximin"
    assert s.backend == "highs"
    assert s.seed is None
    assert s.ignore_case
    assert [w.split()[0] for w in s.warnings] == ["max_attempts"]
    other = tmp_path / "other.toml"
    other.write_text('id_column = "id"\ncheck_same_address = false\n'
                     'check_same_address_columns = ["a", "b"]\nrandom_number_seed = 42\n'
                     'solver_backend = "mip-gurobi"\nnew_key = 1\ncolumns_to_keep = []\n')
    s = read_settings(other)
    assert s.household_columns == ()
    assert s.seed == 42
    assert s.backend is None
    assert s.columns_to_keep == ()
    assert {w.split()[0] for w in s.warnings} == {"solver_backend", "new_key"}


@pytest.mark.parametrize(("text", "code"), [
    ('selection_algorithm = "diversimax"\n', "unknown-algorithm"),
    ("check_same_address = true\ncheck_same_address_columns = []\n", "bad-settings"),
    ('columns_to_keep = "email"\n', "bad-settings"),
    ("random_number_seed = true\n", "bad-settings"),
    ("id_column = \n", "bad-settings"),
])
def test_bad_settings(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        read_settings(path)
    assert e.value.problems[0].code == code
    if code == "unknown-algorithm":
        assert all(a in e.value.problems[0].message for a in ("leximin", "maximin", "nash"))


def test_check_and_select_with_the_settings_file(tmp_path: Path, files: dict[str, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *_base(files, "lower")]) == EXIT_BAD_INPUT
    assert "unknown-value" in capsys.readouterr().err
    assert main(["check", *_base(files, "lower"), "--settings",
                 str(files["settings"])]) == EXIT_OK
    captured = capsys.readouterr()
    assert "pool: 30 people" in captured.out
    assert "max_attempts" in captured.err
    assert "warning" in captured.err
    result, selected = tmp_path / "r.json", tmp_path / "selected.csv"
    assert main(["select", *_base(files, "lower"), "--settings", str(files["settings"]),
                 "--json", str(result), "--draw-seed", "public seed", "--selected",
                 str(selected)]) == EXIT_OK
    doc = json.loads(result.read_text())
    assert doc["algorithm"] == "maximin"                       # from selection_algorithm
    with selected.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == K
    assert list(rows[0]) == ["nationbuilder_id", "first_name", "email", "primary_address1",
                             "primary_zip", "gender", "region"]  # columns_to_keep
    truth = _households(files["lower"])
    assert len({truth[r["nationbuilder_id"]] for r in rows}) == K
    # the same with the flags, on the canonical file: the same lottery
    canon = tmp_path / "canon.json"
    assert main(["select", *_base(files, "canonical"), "--id-column", "nationbuilder_id",
                 "--household-column", "primary_address1,primary_zip", "--ignore-case",
                 "--algorithm", "maximin", "--json", str(canon)]) == EXIT_OK
    other = json.loads(canon.read_text())
    assert [p["id"] for p in doc["people"]] == [p["id"] for p in other["people"]]
    assert [p["probability"] for p in doc["people"]] == pytest.approx(
        [p["probability"] for p in other["people"]], abs=1e-7)


def test_command_line_wins_over_the_settings(tmp_path: Path, files: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    result = tmp_path / "r.json"
    assert main(["select", *_base(files, "lower"), "--settings", str(files["settings"]),
                 "--algorithm", "leximin", "--json", str(result)]) == EXIT_OK
    assert json.loads(result.read_text())["algorithm"] == "leximin"
    assert main(["check", *_base(files, "lower"), "--settings", str(files["settings"]),
                 "--no-ignore-case"]) == EXIT_BAD_INPUT
    assert "unknown-value" in capsys.readouterr().err


def test_households_over_two_columns_on_every_panel(tmp_path: Path, files: dict[str, Path]
                                                    ) -> None:
    """No panel of the lottery has two members of one household; without the rule some does
    (so the check can fail)."""
    quotas = io.read_targets(files["features"], K)
    truth = _households(files["lower"])
    pool = io.read_people(files["lower"], strata=quotas, id_column="nationbuilder_id",
                          household_column=["primary_address1", "primary_zip"],
                          ignore_case=True).pool
    shared: dict[str, float] = {}
    # a unique id as the household key: no household rule, the control
    for flags, name in (([], "with"), (["--household-column", "nationbuilder_id"], "without")):
        out = tmp_path / f"{name}.json"
        assert main(["select", *_base(files, "lower"), "--settings", str(files["settings"]),
                     "--algorithm", "leximin", *flags, "--json", str(out)]) == EXIT_OK
        listed = [(p["members"], p["probability"])
                  for p in json.loads(out.read_text())["panels"]]
        # the household rule of the run (read_result refuses a panel that breaks it, and
        # panels() expands the types with it; counted here independently of both)
        dist = io.read_result(out, pool, quotas, households=name == "with")
        expanded = [([pool.ids[i] for i in members], p) for members, p in dist.panels()]
        for panels, what in ((listed, name), (expanded, name + " (panels())")):
            shared[what] = 0.0
            for members, p in panels:
                keys = [truth[pid] for pid in members]
                if len(set(keys)) < len(keys):
                    shared[what] += p
    assert shared["with"] == shared["with (panels())"] == 0.0
    assert shared["without"] > 0.0


def test_unknown_algorithm_in_settings_exits_2(tmp_path: Path, files: dict[str, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SETTINGS.replace('"maximin"', '"diversimax"'))
    assert main(["select", *_base(files, "lower"), "--settings", str(bad)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "diversimax" in err
    assert "leximin" in err


# ------------------------------------------------------------------------------ the peer's own
def _peer_fixtures(tmp: Path) -> Path | None:
    """The peer's tests/fixtures directory: from a checkout or sdist on this machine, else
    -- only when the peer is installed -- from its sdist fetched from the package index (the
    installed version; the installed wheel carries no fixtures)."""
    wanted = ("features.csv", "candidates.csv", "candidates_lower.csv")
    env = os.environ.get("SORTITION_ALGORITHMS_FIXTURES")
    roots = [Path(env)] if env else []
    roots += [Path(p) / "sortition_algorithms" for p in site.getsitepackages()]
    for root in roots:
        for d in (root, root / "tests" / "fixtures", root.parent / "tests" / "fixtures"):
            if all((d / w).is_file() for w in wanted):
                return d
    patterns = [str(Path.home() / ".cache" / "pip" / "**" / "sortition_algorithms-*.tar.gz"),
                "/tmp/**/sortition_algorithms-*.tar.gz"]
    try:
        version = importlib.metadata.version("sortition-algorithms")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version is not None and not any(glob.glob(p, recursive=True) for p in patterns):
        sdists = tmp / "sdist"
        # no index reachable: nothing is found, and the caller skips with its reason
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                            ":all:", "-q", "-d", str(sdists), f"sortition-algorithms=={version}"],
                           check=True, capture_output=True, timeout=180)
        patterns.append(str(sdists / "sortition_algorithms-*.tar.gz"))
    for pattern in patterns:
        for sdist in glob.glob(pattern, recursive=True):
            with tarfile.open(sdist) as tar:
                names = [m for m in tar.getmembers()
                         if m.name.endswith(tuple(f"tests/fixtures/{w}" for w in wanted))]
                if len(names) == len(wanted):
                    tar.extractall(tmp, members=names, filter="data")
                    return (tmp / names[0].name).parent
    return None


def test_the_peers_own_fixtures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = _peer_fixtures(tmp_path)
    if fixtures is None:
        pytest.skip("the peer's fixture files (sortition-algorithms sdist, tests/fixtures) are "
                    "not on this machine: the peer is not installed (its sdist is fetched "
                    "only for an installed peer) or the index was unreachable; set "
                    "SORTITION_ALGORITHMS_FIXTURES to a checkout's tests/fixtures to run this")
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.replace('"first_name", "email", ', '"first_name", '))
    with (fixtures / "features.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    mins: dict[str, int] = {}
    for r in rows:
        mins[r["feature"]] = mins.get(r["feature"], 0) + int(r["min"])
    k = max(mins.values())
    for name in ("candidates.csv", "candidates_lower.csv"):
        base = ["--targets", str(fixtures / "features.csv"), "--people",
                str(fixtures / name), "--panel-size", str(k), "--settings", str(settings)]
        assert main(["check", *base]) == EXIT_OK, capsys.readouterr().err
        out = tmp_path / f"{name}.json"
        assert main(["select", *base, "--json", str(out)]) == EXIT_OK
        assert json.loads(out.read_text())["panel_size"] == k
