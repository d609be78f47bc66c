"""Georgian script round-trips through every table format (issue 14, point 8).

Category names, values, ids and household keys in Georgian script (and age bands with an en
dash) are read from CSV, TSV, XLSX (ours and pandas-written), ODS, pandas and polars, and must
give the same objects every time; a selection on them runs, and its audit report in Georgian
keeps the values as they are and names nobody.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

import civicsortition as cs
from civicsortition.io.tables import write_table

from .test_spreadsheets import FORMATS, _source

SEX = ("ქალი", "კაცი")
AGE = ("18–29", "30–49", "50+")
DISTRICT = ("რუსთავი-1", "რუსთავი-2", "რუსთავი-3")
STRATA = cs.Strata([cs.Category("სქესი", SEX), cs.Category("ასაკი", AGE),
                    cs.Category("რაიონი", DISTRICT)])


def _pick(options: tuple[str, ...], *key: object) -> str:
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return options[digest[0] % len(options)]


def _people() -> tuple[list[str], list[list[str]]]:
    rows = [[f"მონაწილე-{i:03d}", _pick(SEX, "s", i), _pick(AGE, "a", i),
             _pick(DISTRICT, "d", i), f"მისამართი-{i // 2:03d}"] for i in range(80)]
    return ["id", "სქესი", "ასაკი", "რაიონი", "მისამართი"], rows


def _targets() -> tuple[list[str], list[list[str]]]:
    rows = [["სქესი", v, "4", "6"] for v in SEX] + [["ასაკი", v, "2", "5"] for v in AGE]
    rows += [["რაიონი", v, "2", "5"] for v in DISTRICT]
    return ["feature", "value", "min", "max"], rows


READERS = {
    "people": lambda s: (lambda p: (p.pool, p.header, p.rows))(cs.read_people(
        s, strata=STRATA, id_column="id", household_column="მისამართი")),
    "targets": lambda s: cs.read_targets(s, 10),
}
TABLES = {"people": _people, "targets": _targets}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", sorted(READERS))
def test_georgian_tables_read_alike_in_every_format(kind: str, fmt: str,
                                                    tmp_path: Path) -> None:
    if fmt in ("pandas", "polars"):
        pytest.importorskip("narwhals")
    header, rows = TABLES[kind]()
    write_table(tmp_path / "reference.csv", header, rows)
    expected = READERS[kind](tmp_path / "reference.csv")
    assert READERS[kind](_source(fmt, kind, header, rows, tmp_path)) == expected


def test_a_georgian_selection_keeps_its_values(tmp_path: Path) -> None:
    header, rows = _people()
    write_table(tmp_path / "people.xlsx", header, rows)
    people = cs.read_people(tmp_path / "people.xlsx", strata=STRATA, id_column="id",
                            household_column="მისამართი")
    assert people.pool.ids[0] == "მონაწილე-000"
    quotas = cs.read_targets(Path(_write(tmp_path, *_targets())), 10)
    dist = cs.leximin(people.pool, quotas)
    assert cs.check_distribution(dist) == []
    text = cs.audit_report(people.pool, quotas, dist).to_markdown(lang="ka")
    assert "| სქესი | ქალი |" in text
    assert "რუსთავი-2" in text
    assert not [i for i in people.pool.ids if i in text]
    frame: Any = dist.to_frame(like="pandas") if _has("pandas", "narwhals") else None
    if frame is not None:
        assert set(frame["სქესი"]) == set(SEX)


def _write(tmp: Path, header: list[str], rows: list[list[str]]) -> str:
    path = tmp / "targets.csv"
    write_table(path, header, rows)
    return str(path)


def _has(*modules: str) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)
