"""Spreadsheets and DataFrames as table sources (issue 14): every reader, every format.

Each table kind the readers take is built from the embedded example, written as CSV, and
then offered to its reader as TSV, ``.xlsx`` (written by this package, and by pandas with
typed cells: integers, dates), ``.ods`` (pandas through odfpy), a pandas and a polars
DataFrame; every format must parse to the very objects the CSV gives. Then the spreadsheet
specifics: ``PATH#SHEET``, the peer's one-workbook layout, A1 error locations, the writers,
and the message when an optional package is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from civicsortition.errors import InputError
from civicsortition.examples import (
    RUSTAVI_REFERENCE_DATE,
    rustavi_address_frame,
    rustavi_example,
    rustavi_registrations,
    rustavi_synthetic_census,
    rustavi_synthetic_pool,
)
from civicsortition.invitations import Stratified, invite
from civicsortition.io import (
    MissingDependencyError,
    Table,
    open_table,
    read_address_frame,
    read_census,
    read_people,
    read_registrations,
    read_targets,
    read_votes,
    write_people,
    write_targets,
)
from civicsortition.io.spreadsheets import read_sheet, sheet_names, write_workbook
from civicsortition.io.tables import cell_to_text, column_letters, split_sheet, write_table

calamine = pytest.importorskip("python_calamine")
openpyxl = pytest.importorskip("openpyxl")

PANEL = 36
Rows = list[list[str]]


# ----------------------------------------------------------------------------- the tables
def _census_table() -> tuple[list[str], Rows]:
    census = rustavi_synthetic_census()
    return ["category", "value", "share"], [[c, v, str(s)] for c, vals in census.data
                                            for v, s in vals]


def _targets_table(tmp: Path) -> tuple[list[str], Rows]:
    _, quotas = rustavi_example(PANEL)
    write_targets(tmp / "targets-source.csv", quotas)
    t = open_table(tmp / "targets-source.csv")
    return list(t.header), [list(r) for r in t.rows]


def _people_table() -> tuple[list[str], Rows]:
    people = rustavi_synthetic_pool()
    return list(people.header), [list(r) for r in people.rows]


def _frame_table() -> tuple[list[str], Rows]:
    frame = rustavi_address_frame()
    names = list(frame.columns)
    step = len(frame.ids) // 300  # a spread of 300 addresses: every district, both flags
    return ["address", *names], [[a, *(frame.columns[c][i] for c in names)]
                                 for i, a in enumerate(frame.ids) if i % step == 0]


def _registrations_table() -> tuple[list[str], Rows]:
    frame = rustavi_address_frame()
    census = rustavi_synthetic_census()
    invitations = invite(frame, Stratified(3000, by="district",
                                           population=census.shares("district")), "sheets")
    records = rustavi_registrations(invitations, frame)
    header = list(dict.fromkeys(k for r in records for k in r))
    return header, [[cell_to_text(r.get(h)) for h in header] for r in records]


def _votes_table() -> tuple[list[str], Rows]:
    members = rustavi_synthetic_pool().pool.ids[:PANEL]
    rows = []
    for rec in ("R1", "R2", "R3"):
        for m in members:
            u = hashlib.sha256(f"{rec}/{m}".encode()).digest()[0]
            rows.append([m, rec, "yes" if u < 170 else "no" if u < 240 else "abstain"])
    return ["member", "recommendation", "vote"], rows


def _quotas() -> Any:
    return rustavi_example(PANEL)[1]


READERS: dict[str, Callable[[Any], Any]] = {
    "targets": lambda s: read_targets(s, PANEL),
    "census": lambda s: read_census(s).data,
    "people": lambda s: (lambda p: (p.pool, p.header, p.rows))(read_people(
        s, strata=rustavi_synthetic_census().strata, id_column="id",
        household_column="address")),
    "frame": lambda s: (lambda f: (f.ids, f.columns, f.lines))(read_address_frame(s)),
    "registrations": lambda s: (lambda r: (r.pool, r.accepted, r.received, tuple(
        (x.row, x.code, x.field, x.value) for x in r.rejections)))(read_registrations(
            s, _quotas(), reference_date=RUSTAVI_REFERENCE_DATE)),
    "votes": read_votes,
}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str], Rows]]:
    tmp = tmp_path_factory.mktemp("kinds")
    return {"targets": _targets_table(tmp), "census": _census_table(),
            "people": _people_table(), "frame": _frame_table(),
            "registrations": _registrations_table(), "votes": _votes_table()}


# ----------------------------------------------------------------------------- the formats
_INT = re.compile(r"-?(0|[1-9]\d{0,14})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _typed(header: list[str], rows: Rows) -> dict[str, list[Any]]:
    """Columns as a DataFrame library would hold them: integers and dates typed, blanks None."""
    out: dict[str, list[Any]] = {}
    for j, h in enumerate(header):
        cells = [r[j] for r in rows]
        filled = [c for c in cells if c]
        convert: Callable[[str], Any] = str
        if filled and all(_INT.fullmatch(c) for c in filled):
            convert = int
        elif filled and all(_DATE.fullmatch(c) for c in filled):
            convert = dt.date.fromisoformat
        out[h] = [convert(c) if c else None for c in cells]
    return out


def _pandas(header: list[str], rows: Rows) -> Any:
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(_typed(header, rows))


def _source(fmt: str, kind: str, header: list[str], rows: Rows, tmp: Path) -> Any:
    if fmt in ("csv", "tsv", "xlsx"):
        path = tmp / f"{kind}.{fmt}"
        write_table(path, header, rows)
        return path
    if fmt == "xlsx-typed":
        path = tmp / f"{kind}.xlsx"
        _pandas(header, rows).to_excel(path, sheet_name=kind, index=False, engine="openpyxl")
        return f"{path}#{kind}"
    if fmt == "ods":
        pytest.importorskip("odf")
        path = tmp / f"{kind}.ods"
        _pandas(header, rows).to_excel(path, sheet_name=kind, index=False, engine="odf")
        return path
    if fmt == "pandas":
        return _pandas(header, rows)
    assert fmt == "polars"
    pl = pytest.importorskip("polars")
    return pl.DataFrame(_typed(header, rows), strict=False)


FORMATS = ("tsv", "xlsx", "xlsx-typed", "ods", "pandas", "polars")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", sorted(READERS))
def test_every_reader_reads_every_format_alike(kind: str, fmt: str, tables: dict[str, Any],
                                               tmp_path: Path) -> None:
    if fmt in ("pandas", "polars"):
        pytest.importorskip("narwhals")
    header, rows = tables[kind]
    write_table(tmp_path / "reference.csv", header, rows)
    expected = READERS[kind](tmp_path / "reference.csv")
    assert READERS[kind](_source(fmt, kind, header, rows, tmp_path)) == expected


def test_the_tables_are_not_trivial(tables: dict[str, Any]) -> None:
    """The round trips compare something: every kind has rows, typed columns among them."""
    for kind, (_header, rows) in tables.items():
        assert len(rows) >= 10, kind
    typed = _typed(*tables["registrations"])
    assert isinstance(typed["birth_date"][0], dt.date)
    assert isinstance(_typed(*tables["targets"])["min"][0], int)
    assert READERS["registrations"](Table.from_rows(*tables["registrations"]))[3]


@pytest.mark.parametrize("kind", ["targets", "people", "votes"])
def test_csv_xlsx_csv_keeps_every_cell(kind: str, tables: dict[str, Any],
                                       tmp_path: Path) -> None:
    header, rows = tables[kind]
    write_table(tmp_path / "a.xlsx", header, rows)
    back = open_table(tmp_path / "a.xlsx")
    write_table(tmp_path / "b.csv", back.header, back.rows)
    again = open_table(tmp_path / "b.csv")
    assert (list(again.header), [list(r) for r in again.rows]) == (header, rows)


# ----------------------------------------------------------------------------- cells
def test_cells_become_csv_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "S"
    ws.append(["id", "n", "x", "when", "at", "flag", "blank"])
    ws.append(["007", 17, 0.1, dt.date(2027, 3, 1), dt.datetime(2027, 3, 1, 9, 30), True, None])
    ws.append([8, 17.0, -2.5, dt.datetime(2027, 3, 2), "text", False, ""])
    book.save(tmp_path / "c.xlsx")
    t = open_table(tmp_path / "c.xlsx")
    assert t.rows == (("007", "17", "0.1", "2027-03-01", "2027-03-01T09:30:00", "true", ""),
                      ("8", "17", "-2.5", "2027-03-02", "text", "false", ""))


def test_cell_to_text_of_scalars() -> None:
    np = pytest.importorskip("numpy")
    assert [cell_to_text(v) for v in (np.int64(5), np.float64(3.0), np.float64(0.5),
                                      np.bool_(False), np.str_("x"), float("inf"), 1e20)] \
        == ["5", "3", "0.5", "false", "x", "inf", "100000000000000000000"]


def test_column_letters_is_the_bijective_base_26() -> None:
    def index(letters: str) -> int:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - ord("A") + 1
        return n - 1

    names = [column_letters(i) for i in range(2000)]
    assert len(set(names)) == 2000
    assert all(index(n) == i for i, n in enumerate(names))
    assert names[:3] == ["A", "B", "C"]
    assert names[26] == "AA"
    assert names[702] == "AAA"


def test_a_formula_is_written_as_text_and_reads_back(tmp_path: Path) -> None:
    header, rows = ["id", "note"], [["p1", "=HYPERLINK(\"http://x\")"], ["p2", "-3"]]
    assert write_table(tmp_path / "f.xlsx", header, rows) == ()
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    assert sheet["B2"].data_type == "s"
    assert sheet["B3"].value == -3
    assert open_table(tmp_path / "f.xlsx").rows == (("p1", rows[0][1]), ("p2", "-3"))
    flagged = write_table(tmp_path / "f.csv", header, rows)
    assert [p.code for p in flagged] == ["formula-cell"]


def test_numbers_are_stored_as_numbers_only_when_they_read_back_the_same(
        tmp_path: Path) -> None:
    cells = ["17", "007", "1e5", "0.25", "+3", "1.50", "12345678901234567", "nan", " 4"]
    write_table(tmp_path / "n.xlsx", ["v"], [[c] for c in cells])
    sheet = openpyxl.load_workbook(tmp_path / "n.xlsx").active
    kinds = [sheet.cell(row=i + 2, column=1).data_type for i in range(len(cells))]
    assert kinds == ["n", "s", "s", "n", "s", "s", "s", "s", "s"]
    assert [r[0] for r in open_table(tmp_path / "n.xlsx").rows] == cells


# ----------------------------------------------------------------------------- sheets
def test_the_peer_one_workbook_layout(tmp_path: Path, tables: dict[str, Any]) -> None:
    write_targets(tmp_path / "t.csv", _quotas())
    quotas = read_targets(tmp_path / "t.csv", PANEL)  # as a file holds them: no provenance
    targets = open_table(tmp_path / "t.csv")
    people = tables["people"]
    book = tmp_path / "peer.xlsx"
    write_workbook(book, {"categories": (list(targets.header), [list(r) for r in targets.rows]),
                          "respondents": people})
    assert sheet_names(book) == ("categories", "respondents")
    assert read_targets(f"{book}#categories", PANEL) == quotas
    assert read_targets(book, PANEL) == quotas  # the first sheet
    assert read_targets(f"{book}#CATEGORIES", PANEL) == quotas  # as spreadsheets match names
    got = read_people(f"{book}#respondents", strata=quotas, id_column="id",
                      household_column="address")
    assert got.pool == rustavi_synthetic_pool(quotas).pool
    assert got.source == f"{book}#respondents"


def test_a_missing_sheet_names_the_sheets_there_are(tmp_path: Path) -> None:
    book = tmp_path / "b.xlsx"
    write_workbook(book, {"categories": (["a"], [["1"]]), "respondents": (["b"], [["2"]])})
    with pytest.raises(InputError) as info:
        open_table(f"{book}#people")
    (problem,) = info.value.problems
    assert problem.code == "missing-sheet"
    assert problem.value == "people"
    assert "'categories'" in problem.message
    assert "'respondents'" in problem.message
    assert problem.file == str(book)


def test_the_default_sheet_is_the_first_visible_one(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "scratch"
    hidden.append(["junk"])
    hidden.sheet_state = "hidden"
    book.create_sheet("data").append(["id"])
    book["data"].append(["p1"])
    book.save(tmp_path / "h.xlsx")
    assert read_sheet(tmp_path / "h.xlsx").source.endswith("h.xlsx#data")
    assert open_table(f"{tmp_path / 'h.xlsx'}#scratch").header == ("junk",)


def test_split_sheet() -> None:
    assert split_sheet("a.xlsx#Sheet #2") == ("a.xlsx", "Sheet #2")
    assert split_sheet("dir#1/a.ods") == ("dir#1/a.ods", None)
    assert split_sheet("a.XLSX#") == ("a.XLSX", None)
    assert split_sheet("a.csv") is None
    assert split_sheet("a.csv#x") is None


def test_unreadable_and_missing_spreadsheets(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        open_table(tmp_path / "none.xlsx")
    assert info.value.code == "file-not-found"
    (tmp_path / "fake.xlsx").write_text("id,sex\n1,f\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        open_table(tmp_path / "fake.xlsx")
    assert info.value.code == "unreadable-file"
    write_workbook(tmp_path / "empty.xlsx", {"S": ([], [])})
    with pytest.raises(InputError) as info:
        open_table(tmp_path / "empty.xlsx")
    assert info.value.code == "empty-file"


# ----------------------------------------------------------------------------- A1 locations
def _offset_sheet(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table whose header is in C3 (blank rows and columns before it)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Quotas 2027"
    for i, row in enumerate([header, *rows]):
        for j, v in enumerate(row):
            ws.cell(row=3 + i, column=3 + j, value=v)
    book.save(path)


def test_a_bad_value_is_located_in_a1_notation(tmp_path: Path) -> None:
    path = tmp_path / "targets.xlsx"
    rows: list[list[Any]] = [["sex", "female", 1, 3], ["sex", "male", "lots", 3],
                             ["age", "young", 2, 1]]
    _offset_sheet(path, ["feature", "value", "min", "max"], rows)
    with pytest.raises(InputError) as info:
        read_targets(path, 4)
    sheet = f"{path}#Quotas 2027"
    table = open_table(path)
    assert table.header_line == 3
    assert table.lines == (4, 5, 6)
    bad = next(p for p in info.value.problems if p.code == "not-a-number")
    assert (bad.file, bad.row, bad.column, bad.value) == (sheet, 5, "min", "lots")
    assert table.cell_name(bad.row, bad.column) == "E5"
    assert table.locate(5, "min") == f"{sheet}!E5"
    located = table.with_cells(info.value.problems)
    assert located[info.value.problems.index(bad)].message.startswith("cell E5: ")
    other = next(p for p in located if p.code == "min-greater-than-max")
    assert (other.row, other.column) == (6, "age")  # a category, not a column: no cell
    assert not other.message.startswith("cell ")
    assert table.with_cells(located) == located  # idempotent
    csv_table = Table.from_rows(["min"], [["x"]], source=sheet)
    assert csv_table.with_cells(info.value.problems) == info.value.problems
    # the reader itself names the cell (targets.py wraps its checks in table.locating())
    assert bad.message.startswith("cell E5: ")
    assert not other.message.startswith("cell ")


def test_table_level_problems_name_their_cell(tmp_path: Path) -> None:
    path = tmp_path / "dup.xlsx"
    _offset_sheet(path, ["id", "sex", "SEX"], [["p1", "f", "f"]])
    with pytest.raises(InputError) as info:
        open_table(path)
    (problem,) = info.value.problems
    assert (problem.code, problem.row, problem.column) == ("duplicate-column", 3, "SEX")
    assert problem.message.startswith("cell E3: ")
    _offset_sheet(path, ["id", "age"], [["p1", "old"]])
    with pytest.raises(InputError) as info:
        read_people(path, categories=["sex"])
    assert (info.value.code, info.value.problems[0].row) == ("missing-column", 3)


def test_locating_names_the_cell_of_a_record_problem(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    _offset_sheet(path, ["id", "sex"], [["p1", "female"], ["p2", "femal"]])
    table = open_table(path)
    with pytest.raises(InputError) as info, table.locating():
        read_people(table, strata=rustavi_synthetic_census().strata, categories=["sex"],
                    id_column="id")
    (problem,) = info.value.problems
    assert (problem.code, problem.row) == ("unknown-value", 5)
    assert problem.message.startswith("cell D5: ")


def test_readers_name_the_cell_themselves(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    _offset_sheet(path, ["id", "sex"], [["p1", "female"], ["p2", "femal"]])
    with pytest.raises(InputError) as info:
        read_people(path, strata=rustavi_synthetic_census().strata, categories=["sex"],
                    id_column="id")
    assert "D5" in str(info.value)


# ----------------------------------------------------------------------------- writing
def test_the_writers_write_xlsx(tmp_path: Path) -> None:
    quotas = _quotas()
    write_targets(tmp_path / "targets.xlsx", quotas)
    write_targets(tmp_path / "targets.csv", quotas)
    assert read_targets(tmp_path / "targets.xlsx", PANEL) == read_targets(
        tmp_path / "targets.csv", PANEL)
    people = rustavi_synthetic_pool(quotas)
    some = people.pool.ids[::3]
    write_people(tmp_path / "some.xlsx", people, some)
    back = read_people(tmp_path / "some.xlsx", strata=quotas, id_column="id",
                       household_column="address")
    assert back.pool.ids == some
    assert back.pool == people.pool.subset([people.pool.ids.index(i) for i in some])


def test_outputs_other_than_whole_xlsx_are_refused(tmp_path: Path) -> None:
    for name in ("out.ods", "out.xls", "out.xlsx#S"):
        with pytest.raises(InputError) as info:
            write_table(tmp_path / name, ["a"], [["1"]])
        assert info.value.code == "unsupported-output"
        assert not (tmp_path / name).exists()
    with pytest.raises(InputError) as info:
        write_table(tmp_path / "c.xlsx", ["a"], [["bell\x07"]])
    assert info.value.code == "unwritable-cell"
    assert info.value.problems[0].row == 2
    assert not (tmp_path / "c.xlsx").exists()
    with pytest.raises(InputError) as info:
        write_workbook(tmp_path / "t.xlsx", {"a/b": (["a"], [])})
    assert info.value.code == "bad-sheet-name"


def test_tsv_is_tab_separated_both_ways(tmp_path: Path) -> None:
    write_table(tmp_path / "a.tsv", ["name"], [["Smith, Anna"]])
    assert (tmp_path / "a.tsv").read_text(encoding="utf-8") == "name\nSmith, Anna\n"
    assert open_table(tmp_path / "a.tsv").rows == (("Smith, Anna",),)


def test_writing_xlsx_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keep.xlsx"
    write_table(path, ["a"], [["old"]])
    before = path.read_bytes()
    import civicsortition.io.spreadsheets as sheets

    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(sheets, "atomic_write", boom)
    with pytest.raises(OSError, match="disk full"):
        write_table(path, ["a"], [["new"]])
    assert path.read_bytes() == before


# ----------------------------------------------------------------------------- dependencies
@pytest.mark.parametrize(("module", "action"), [
    ("python_calamine", "read"), ("openpyxl", "write")])
def test_a_missing_package_says_how_to_install_it(module: str, action: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write_table(tmp_path / "a.xlsx", ["a"], [["1"]])
    monkeypatch.setitem(sys.modules, module, None)  # "import module" now raises ImportError
    run: Callable[[], object] = (lambda: open_table(tmp_path / "a.xlsx")) \
        if action == "read" else (lambda: write_table(tmp_path / "b.xlsx", ["a"], [["1"]]))
    with pytest.raises(MissingDependencyError) as info:
        run()
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, InputError)
    assert info.value.code == "missing-dependency"
    assert "pip install 'civicsortition[excel]'" in str(info.value)
    assert module in str(info.value)


@pytest.mark.parametrize("output", ["book.xlsx", "book.xlsx#selected"])
def test_an_output_is_never_the_workbook_an_input_sheet_is_in(tmp_path: Path,
                                                              output: str) -> None:
    """``--people book.xlsx#respondents --selected book.xlsx`` would replace the input."""
    from civicsortition.io.files import OutputPlan

    book = tmp_path / "book.xlsx"
    book.write_bytes(b"not really a workbook")
    plan = OutputPlan([f"{book}#respondents"], force=True)
    plan.add("--selected", tmp_path / output if "#" not in output else f"{tmp_path}/{output}")
    codes = [p.code for p in plan.problems]
    # a whole workbook is the input file; a sheet of it is not a writable output at all
    assert codes == (["output-is-input"] if "#" not in output else ["unsupported-output"])
