"""DataFrames as inputs (issue 14): pandas and polars through narwhals, nothing mutated.

The round trips of every reader through both libraries are in ``test_spreadsheets.py``; here
are the frame specifics: ``Pool.from_dataframe`` for both libraries, locations (``<DataFrame>``,
line ``i + 2``), lazy frames, no import of a library the object does not come from, and the
message without narwhals.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from civicsortition.errors import InputError
from civicsortition.examples import rustavi_synthetic_census, rustavi_synthetic_pool
from civicsortition.io import MissingDependencyError, open_table, read_people, read_targets
from civicsortition.pool import Pool

nw = pytest.importorskip("narwhals")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

LIBRARIES = ("pandas", "polars")


def _records() -> list[dict[str, Any]]:
    people = rustavi_synthetic_pool()
    return [dict(zip(people.header, row, strict=True)) for row in people.rows]


def _frame(library: str, records: list[dict[str, Any]]) -> Any:
    columns = {k: [r.get(k) for r in records] for k in records[0]}
    return pd.DataFrame(columns) if library == "pandas" else pl.DataFrame(columns)


@pytest.mark.parametrize("library", LIBRARIES)
def test_pool_from_dataframe_takes_both_libraries(library: str) -> None:
    records = _records()
    strata = rustavi_synthetic_census().strata
    df = _frame(library, records)
    before = df.clone() if library == "polars" else df.copy()
    pool = Pool.from_dataframe(df, strata=strata, id_column="id", household_column="address")
    assert pool == Pool.from_records(records, strata=strata, id_field="id",
                                     household_field="address")
    assert pool == rustavi_synthetic_pool().pool
    assert df.equals(before)
    assert list(df.columns) == list(records[0])


@pytest.mark.parametrize("library", LIBRARIES)
def test_pool_from_dataframe_reports_missing_values(library: str) -> None:
    df = _frame(library, [{"sex": "female", "age": "18-29"}, {"sex": None, "age": "65+"}])
    with pytest.raises(InputError) as info:
        Pool.from_dataframe(df, strata=rustavi_synthetic_census().strata,
                            categories=["sex", "age"])
    assert info.value.codes == ("missing-value",)
    assert info.value.problems[0].row == 1


def test_pool_from_dataframe_refuses_what_is_not_an_eager_frame() -> None:
    strata = rustavi_synthetic_census().strata
    with pytest.raises(TypeError, match="DataFrame"):
        Pool.from_dataframe([{"sex": "female"}], strata=strata)
    with pytest.raises(TypeError, match="collect"):
        Pool.from_dataframe(pl.DataFrame({"sex": ["female"]}).lazy(), strata=strata)


@pytest.mark.parametrize("library", LIBRARIES)
def test_readers_locate_frame_rows_as_lines_below_a_header(library: str) -> None:
    records = _records()[:5]
    records[3] = dict(records[3], sex="femal")
    df = _frame(library, records)
    with pytest.raises(InputError) as info:
        read_people(df, strata=rustavi_synthetic_census().strata, id_column="id")
    (problem,) = info.value.problems
    assert (problem.code, problem.file, problem.row, problem.column) == (
        "unknown-value", "<DataFrame>", 5, "sex")
    table = open_table(df)
    assert table.source == "<DataFrame>"
    assert table.lines == (2, 3, 4, 5, 6)
    assert table.cell_name(5, "sex") is None  # a frame has no A1 cells


@pytest.mark.parametrize("library", LIBRARIES)
def test_typed_columns_read_as_a_file_holds_them(library: str) -> None:
    df = _frame(library, [{"feature": "sex", "value": "female", "min": 1, "max": 2.0},
                          {"feature": "sex", "value": "male", "min": 0, "max": None}])
    with pytest.raises(InputError) as info:
        read_targets(df, 2)
    assert [(p.code, p.row, p.column) for p in info.value.problems] == [
        ("not-a-number", 3, "max")]
    assert open_table(df).rows == (("sex", "female", "1", "2"), ("sex", "male", "0", ""))


@pytest.mark.parametrize("library", LIBRARIES)
def test_reading_a_frame_does_not_modify_it(library: str) -> None:
    df = _frame(library, [{" Sex ": " female", "n": 1.5}])
    before = df.clone() if library == "polars" else df.copy()
    assert open_table(df).header == ("Sex", "n")
    assert df.equals(before)
    assert list(df.columns) == [" Sex ", "n"]


def test_a_lazy_frame_must_be_collected() -> None:
    with pytest.raises(InputError) as info:
        open_table(pl.DataFrame({"a": [1]}).lazy())
    assert info.value.code == "lazy-frame"


def test_duplicate_frame_columns_are_an_error() -> None:
    df = pd.DataFrame([[1, 2]], columns=["id", "ID"])
    with pytest.raises(InputError) as info:
        open_table(df)
    assert info.value.code == "duplicate-column"


def test_frames_are_detected_without_importing_other_libraries() -> None:
    code = ("import sys\n"
            "from civicsortition.io import open_table\n"
            "open_table([{'a': 1}]); open_table(iter([{'a': 1}]))\n"
            "assert 'pandas' not in sys.modules and 'polars' not in sys.modules, 'imported'\n"
            "import polars as pl\n"
            "assert open_table(pl.DataFrame({'a': [1]})).rows == (('1',),)\n"
            "print(sorted(m for m in ('pandas', 'polars') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "['polars']"


def test_without_narwhals_a_frame_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "narwhals", None)
    df = pd.DataFrame({"id": ["p1"], "sex": ["female"]})
    with pytest.raises(MissingDependencyError) as info:
        open_table(df)
    assert info.value.code == "missing-dependency"
    assert "pip install 'civicsortition[frames]'" in str(info.value)
    # Pool.from_dataframe keeps working for pandas without narwhals, as before.
    pool = Pool.from_dataframe(df, categories=["sex"], id_column="id")
    assert pool.ids == ("p1",)
    assert open_table([{"id": "p1"}]).rows == (("p1",),)  # records need no narwhals


def test_an_id_in_the_index_gets_a_reset_index_hint() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["a", "b"], "sex": ["f", "m"]}).set_index("id")
    with pytest.raises(InputError) as caught:
        Pool.from_dataframe(frame, categories=["sex"], id_column="id")
    assert caught.value.code == "missing-column"
    assert "reset_index()" in str(caught.value)
    pool = Pool.from_dataframe(frame.reset_index(), categories=["sex"], id_column="id")
    assert pool.ids == ("a", "b")
