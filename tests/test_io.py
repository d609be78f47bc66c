"""CSV readers and writers: formats, encodings, delimiters, and every error code."""

from __future__ import annotations

import io
import pickle
from fractions import Fraction
from pathlib import Path

import pytest

from civicsortition import (
    InputError,
    Quotas,
    ValueQuota,
    build_quotas,
    diagnose,
    read_census,
    read_people,
    read_targets,
    write_people,
    write_selected_and_remaining,
    write_targets,
)
from civicsortition.examples import rustavi_synthetic_census

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------------ public examples
@pytest.mark.parametrize(("folder", "k", "n"), [("example_small_20", 20, 200),
                                               ("example_large_200", 200, 2000)])
def test_shared_examples_load(folder: str, k: int, n: int) -> None:
    if not (SHARED / folder).exists():
        pytest.skip("shared/data is not beside this checkout")
    quotas = read_targets(SHARED / folder / "categories.csv", k)
    people = read_people(SHARED / folder / "respondents.csv", strata=quotas)
    assert quotas.strata.names == ("gender", "leaning")
    assert len(quotas) == 4
    assert people.pool.n == n
    assert people.pool.ids[:3] == ("0", "1", "2")  # no id column: row numbers from 0
    assert diagnose(people.pool, quotas).ok
    # Spot-check a value against the raw file.
    lines = (SHARED / folder / "respondents.csv").read_text().splitlines()
    assert people.pool.value_of(0, "gender") == lines[1].split(",")[0]


# -------------------------------------------------------------------------------- targets
@pytest.mark.parametrize("header", ["feature,value,min,max", "category,name,min,max",
                                    "category,feature,min,max", " Category , VALUE ,Min,MAX"])
def test_targets_header_aliases(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path, "t.csv", f"{header}\nsex,female,4,6\nsex,male,4,6\n")
    quotas = read_targets(path, 10)
    assert [(q.category, q.value, q.min, q.max) for q in quotas] == [
        ("sex", "female", 4, 6), ("sex", "male", 4, 6)]


def test_targets_flex_and_extra_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "feature,value,min,max,min_flex,max_flex,comment\n"
                  "sex,female,4,6,3,7,hello\nsex,male,4,6,,,\n")
    quotas = read_targets(path, 10)
    assert (quotas.entries[0].min_flex, quotas.entries[0].max_flex) == (3, 7)
    assert quotas.entries[1].min_flex is None


def test_targets_bom_semicolon_and_georgian_round_trip(tmp_path: Path) -> None:
    text = "\ufefffeature;value;min;max\nსქესი;ქალი;4;6\nსქესი;კაცი;4;6\n"
    quotas = read_targets(_write(tmp_path, "t.csv", text), 10)
    assert quotas.strata.names == ("სქესი",)
    assert quotas.strata["სქესი"].values == ("ქალი", "კაცი")
    out = tmp_path / "out.csv"
    write_targets(out, quotas)
    assert read_targets(out, 10) == quotas


def test_targets_from_stream_tab_delimited() -> None:
    stream = io.StringIO("feature\tvalue\tmin\tmax\nsex\tf\t1\t2\n")
    assert read_targets(stream, 3).get("sex", "f").max == 2


def test_targets_all_row_problems_reported_together(tmp_path: Path) -> None:
    path = _write(tmp_path, "targets.csv", "feature,value,min,max\n"
                  "sex,female,x,6\n"       # line 2: not a number
                  "sex,male,-1,6\n"        # line 3: negative
                  "age,young,5,3\n"        # line 4: min > max
                  "age,old,2.5,3\n"        # line 5: not an integer
                  "age,young,1,2\n"        # line 6: duplicate
                  ",mid,1,2\n")            # line 7: missing category
    with pytest.raises(InputError) as info:
        read_targets(path, 10)
    got = {(p.code, p.row) for p in info.value.problems}
    assert got == {("not-a-number", 2), ("negative-quota", 3), ("min-greater-than-max", 4),
                   ("not-an-integer", 5), ("duplicate-quota", 6), ("missing-value", 7)}
    first = info.value.problems[0]
    assert (first.file, first.column, first.value) == (str(path), "min", "x")
    assert f"{path}:2, column 'min'" in str(info.value)
    # Structured errors survive pickling (for process pools).
    assert pickle.loads(pickle.dumps(info.value)).problems == info.value.problems


def test_targets_missing_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "feature,value,lower\nsex,f,1\n")
    with pytest.raises(InputError) as info:
        read_targets(path, 10)
    assert [(p.code, p.column) for p in info.value.problems] == [("missing-column", "min"),
                                                                  ("missing-column", "max")]


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError) as info:
        read_targets(_write(tmp_path, "t.csv", text), 10)
    assert info.value.code == "empty-file"


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no data rows"):
        read_targets(_write(tmp_path, "t.csv", "feature,value,min,max\n"), 10)


def test_ragged_row_and_duplicate_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_targets(_write(tmp_path, "t.csv", "feature,value,min,max\nsex,f,1\n"), 10)
    assert (info.value.code, info.value.problems[0].row) == ("ragged-row", 2)
    with pytest.raises(InputError) as dup:
        read_targets(_write(tmp_path, "u.csv", "feature,value,min,MIN,max\nsex,f,1,1,2\n"), 10)
    assert dup.value.code == "duplicate-column"


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_targets(tmp_path / "nope.csv", 10)
    assert info.value.code == "file-not-found"
    path = tmp_path / "latin1.csv"
    path.write_bytes("feature,value,min,max\nsex,fémme,1,2\n".encode("latin-1"))
    with pytest.raises(InputError) as enc:
        read_targets(path, 10)
    assert enc.value.code == "not-utf8"


def test_write_targets_with_provenance_reads_back(tmp_path: Path) -> None:
    quotas = build_quotas(rustavi_synthetic_census(), 36, floors=True)
    out = tmp_path / "targets.csv"
    write_targets(out, quotas, provenance=True)
    header = out.read_text().splitlines()[0]
    assert header == "feature,value,min,max,share,exact_quota,seats,method,band"
    again = read_targets(out, 36)
    assert [(q.category, q.value, q.min, q.max) for q in again] == \
        [(q.category, q.value, q.min, q.max) for q in quotas]


# --------------------------------------------------------------------------------- census
def test_read_embedded_census_counts() -> None:
    census = rustavi_synthetic_census()
    assert census.share("sex", "female") == Fraction(543, 1000)


@pytest.mark.parametrize(("header", "rows"), [
    ("category,value,share", ["sex,f,0.25", "sex,m,0.75"]),
    ("feature,name,percent", ["sex,f,25", "sex,m,75"]),
    ("Category;Value;Population", ["sex;f;250", "sex;m;750"]),
])
def test_read_census_kinds(tmp_path: Path, header: str, rows: list[str]) -> None:
    census = read_census(_write(tmp_path, "c.csv", "\n".join([header, *rows]) + "\n"))
    assert census.share("sex", "f") == Fraction(1, 4)


def test_read_census_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "category,value,share\nsex,f,0.5\nsex,m,0.2\n"
                  "age,y,abc\nage,o,0.5\nage,o,0.5\n")
    with pytest.raises(InputError) as info:
        read_census(path)
    assert info.value.codes == ("duplicate-value",)
    assert info.value.problems[0].row == 6
    path2 = _write(tmp_path, "d.csv", "category,value,share\nsex,f,0.5\nsex,m,0.2\n"
                   "age,y,abc\nage,o,0.5\n")
    with pytest.raises(InputError) as info2:
        read_census(path2)
    assert set(info2.value.codes) == {"shares-do-not-sum-to-one", "not-a-number"}
    nan = next(p for p in info2.value.problems if p.code == "not-a-number")
    assert (nan.row, nan.value) == (4, "abc")
    with pytest.raises(InputError, match="no share column"):
        read_census(_write(tmp_path, "e.csv", "category,value,weight\nsex,f,1\n"))


# --------------------------------------------------------------------------------- people
QUOTAS = Quotas(2, [ValueQuota("sex", "female", 1, 1), ValueQuota("sex", "male", 1, 1),
                    ValueQuota("age", "young", 0, 2), ValueQuota("age", "old", 0, 2)])

PEOPLE = ("id,name,Sex,AGE,address\n"
          "a1,Nino,female,young,addr-1\n"
          "a2,Giorgi,male,old,addr-1\n"
          "a3,Tamar,female,old,addr-2\n"
          "a4,Levan,male,young,\n")


def test_read_people_with_ids_households_and_passthrough(tmp_path: Path) -> None:
    table = read_people(_write(tmp_path, "p.csv", PEOPLE), strata=QUOTAS, id_column="ID",
                        household_column="address")
    pool = table.pool
    assert pool.ids == ("a1", "a2", "a3", "a4")
    assert pool.households == ("addr-1", "addr-1", "addr-2", None)
    assert pool.count("sex", "male") == 2
    assert table.header == ("id", "name", "Sex", "AGE", "address")
    # The pool itself holds no names.
    assert "Nino" not in repr(pool)


def test_write_selected_and_remaining_keeps_all_columns(tmp_path: Path) -> None:
    table = read_people(_write(tmp_path, "p.csv", PEOPLE), strata=QUOTAS, id_column="id")
    sel, rem = tmp_path / "selected.csv", tmp_path / "remaining.csv"
    write_selected_and_remaining(sel, rem, table, ["a3", "a1"])
    assert sel.read_text().splitlines() == ["id,name,Sex,AGE,address",
                                            "a1,Nino,female,young,addr-1",
                                            "a3,Tamar,female,old,addr-2"]
    assert [ln.split(",")[0] for ln in rem.read_text().splitlines()] == ["id", "a2", "a4"]
    with pytest.raises(InputError) as info:
        write_people(tmp_path / "x.csv", table, ["a1", "zz", "yy"])
    assert [p.value for p in info.value.problems] == ["zz", "yy"]


def test_people_semicolon_bom_georgian_round_trip(tmp_path: Path) -> None:
    quotas = Quotas(1, [ValueQuota("სქესი", "ქალი", 0, 1), ValueQuota("სქესი", "კაცი", 0, 1)])
    text = "\ufeffსახელი;სქესი\nნინო;ქალი\nგიორგი;კაცი\n"
    table = read_people(_write(tmp_path, "p.csv", text), strata=quotas)
    assert table.delimiter == ";"
    assert table.pool.ids == ("0", "1")
    out = tmp_path / "sel.csv"
    write_people(out, table, ["1"])
    assert out.read_text(encoding="utf-8") == "სახელი;სქესი\nგიორგი;კაცი\n"


def test_people_problems_all_reported(tmp_path: Path) -> None:
    text = ("id,sex,age\n"
            "a1,female,young\n"
            "a1,male,old\n"           # line 3: duplicate id
            "a3,Female,old\n"         # line 4: unknown value (case)
            "a4,,old\n"               # line 5: missing value
            ",male,old\n"             # line 6: missing id
            "a6,male,ancient\n")      # line 7: unknown value
    with pytest.raises(InputError) as info:
        read_people(_write(tmp_path, "p.csv", text), strata=QUOTAS, id_column="id")
    got = sorted((p.code, p.row, p.column, p.value) for p in info.value.problems)
    assert got == [("duplicate-id", 3, "id", "a1"),
                   ("missing-id", 6, "id", None),
                   ("missing-value", 5, "sex", None),
                   ("unknown-value", 4, "sex", "Female"),
                   ("unknown-value", 7, "age", "ancient")]
    assert "did you mean 'female'" in str(info.value)


def test_people_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_people(_write(tmp_path, "p.csv", "name,sex\nx,female\n"), strata=QUOTAS,
                    id_column="id")
    assert sorted(p.column or "" for p in info.value.problems) == ["age", "id"]


def test_people_allow_new_values(tmp_path: Path) -> None:
    text = "sex,age\nfemale,young\nother,old\n"
    table = read_people(_write(tmp_path, "p.csv", text), strata=QUOTAS, allow_new_values=True)
    assert table.pool.strata["sex"].values == ("female", "male", "other")
    assert "value-without-quota" in diagnose(table.pool, QUOTAS).codes()
