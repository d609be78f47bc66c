"""CSV in and out, in the formats practitioners already use. The only module that touches files.

Readers accept a path or an open text stream. Files may be UTF-8 with or without a byte-order
mark, delimited by commas, semicolons or tabs (detected from the header line); header names are
matched case-insensitively and without surrounding spaces; blank lines are skipped; extra
columns are ignored. Every reader reports *all* row problems of a file in one
:class:`~civicsortition.errors.InputError`, each with the file, the line number (header = line 1),
the column and the value. Nothing the caller passed is modified.

Formats
-------
targets
    ``feature,value,min,max[,min_flex,max_flex]``; the aliases ``category,name,...`` and
    ``category,feature,...`` are accepted too.
census
    ``category,value,share`` where the last column is ``share`` (fractions of 1), ``percent``
    or ``count`` (population counts; ``population`` is an alias); ``feature``/``name`` are
    accepted for the first two columns as in targets.
address frame
    ``address`` (or ``address_id``/``id``) plus any strata columns (``district``, a flag).
people
    One row per person, one column per category, optionally an id column and a household
    column; any other columns (names, contact details) are carried through untouched to the
    selected/remaining files and never read by the library.
"""

from __future__ import annotations

import csv
import io as _stdio
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Union

import attrs
import numpy as np
import numpy.typing as npt

from ._files import atomic_write
from .census import DEFAULT_SHARE_TOLERANCE, Census
from .distribution import Distribution, RunDetails
from .errors import InputError, Problem
from .invitations import AddressFrame, Invitations
from .numerics import CHECK_TOL
from .pool import Pool
from .program import PanelProgram
from .quotas import Quotas, ValueQuota
from .registrations import Registrations, validate_registrations
from .strata import Category, Strata
from .vote import VOTE_WORDS

__all__ = [
    "PeopleTable",
    "formula_like",
    "read_address_frame",
    "read_census",
    "read_invited",
    "read_people",
    "read_registrations",
    "read_result",
    "read_targets",
    "read_votes",
    "result_distribution",
    "write_invitations",
    "write_people",
    "write_registrations",
    "write_selected_and_remaining",
    "write_targets",
]

Source = Union[str, "os.PathLike[str]", IO[str]]
_DELIMITERS = (",", ";", "\t")


@attrs.frozen
class _Table:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells)
    delimiter: str

    def column(self, *aliases: str) -> int | None:
        folded = [h.strip().casefold() for h in self.header]
        for a in aliases:
            if a.casefold() in folded:
                return folded.index(a.casefold())
        return None


def _source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def _read_text(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, encoding="utf-8-sig", newline="") as f:
                return f.read()
        except FileNotFoundError:
            raise InputError.single("file-not-found", "no such file",
                                    file=os.fspath(source)) from None
        except UnicodeDecodeError as e:
            line, column = _byte_position(source, e.start)
            raise InputError([Problem(
                "not-utf8", f"the file is not valid UTF-8 (line {line}, character {column}, "
                f"byte {e.start}); save it as UTF-8", file=os.fspath(source), row=line)]
            ) from None
        except OSError as e:
            raise InputError.single("unreadable-file", str(e.strerror or e),
                                    file=os.fspath(source)) from None
    text = source.read()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates, e.g. bytes decoded with surrogateescape
        line = text.count("\n", 0, e.start) + 1
        raise InputError([Problem(
            "not-utf8", f"the text holds a lone surrogate {text[e.start]!r} (line {line}), which "
            "no UTF-8 file can contain; decode the file as UTF-8", file=_source_name(source),
            row=line)]) from None
    return text[1:] if text.startswith("\ufeff") else text


def _byte_position(path: str | os.PathLike[str], offset: int) -> tuple[int, int]:
    """Line (from 1) and character (from 1) of a byte offset, counting the decodable prefix."""
    with open(path, "rb") as f:
        head = f.read(offset)
    line = head.count(b"\n") + 1
    last = head[head.rfind(b"\n") + 1:]
    return line, len(last.decode("utf-8", errors="replace")) + 1


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_table(source: Source, *, delimiter: str | None = None) -> _Table:
    name = _source_name(source)
    text = _read_text(source)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise InputError.single("empty-file", "the file is empty; expected a header row",
                                file=name)
    delim = delimiter or _sniff_delimiter(first)
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delim)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    problems: list[Problem] = []
    cells_iter = iter(reader)
    while True:
        try:
            cells = next(cells_iter)
        except StopIteration:
            break
        except csv.Error as e:
            # Oversized cells (over csv.field_size_limit()), NUL bytes, an unclosed quote at
            # the end of the file: located, never a traceback.
            raise InputError([Problem("bad-csv", f"unreadable CSV ({e}); check the quoting "
                                      "from this line on", file=name, row=reader.line_num)]
                             ) from None
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = tuple(c.strip() for c in cells)
            seen: set[str] = set()
            for h in header:
                if h.casefold() in seen:
                    problems.append(Problem("duplicate-column", "the header names a column twice",
                                            file=name, row=reader.line_num, column=h))
                seen.add(h.casefold())
            continue
        if len(cells) != len(header):
            problems.append(Problem("ragged-row", f"expected {len(header)} fields as in the "
                                    f"header, found {len(cells)}", file=name,
                                    row=reader.line_num, value=delim.join(cells)))
            continue
        rows.append((reader.line_num, tuple(cells)))
    if header is None:  # only blank cells, e.g. a lone quote '"' or '""'
        raise InputError.single("empty-file", "the file has no header row (every cell is "
                                "blank)", file=name)
    if problems:
        raise InputError(problems)
    return _Table(name, header, tuple(rows), delim)


def _require(table: _Table, spec: Sequence[tuple[str, Sequence[str]]]) -> dict[str, int]:
    """Map each logical column to its index; report every missing one."""
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for logical, aliases in spec:
        idx = table.column(*aliases)
        if idx is None:
            problems.append(Problem("missing-column", f"no {logical!r} column; expected one of "
                                    f"{list(aliases)} (found {list(table.header)})",
                                    file=table.name, row=1, column=logical))
        else:
            found[logical] = idx
    if problems:
        raise InputError(problems)
    return found


def _no_rows(table: _Table) -> None:
    if not table.rows:
        raise InputError.single("empty-file", "the file has a header but no data rows",
                                file=table.name)


def _key_columns(table: _Table) -> dict[str, int]:
    """Locate the category and value columns under any of the accepted header conventions."""
    spec: list[tuple[str, Sequence[str]]]
    if table.column("category") is not None:  # category,value | category,name | category,feature
        spec = [("category", ["category"]), ("value", ["value", "name", "feature"])]
    else:  # feature,value | feature,name
        spec = [("category", ["feature", "category"]), ("value", ["value", "name"])]
    return _require(table, spec)


# ------------------------------------------------------------------------------------- targets
def _parse_int(text: str, *, problems: list[Problem], where: dict[str, Any], what: str
               ) -> int | None:
    s = text.strip()
    try:
        x = float(s)
    except ValueError:
        problems.append(Problem("not-a-number", f"{what} must be a whole number", value=text,
                                **where))
        return None
    if not x.is_integer():
        problems.append(Problem("not-an-integer", f"{what} must be a whole number", value=text,
                                **where))
        return None
    if x < 0:
        problems.append(Problem("negative-quota", f"{what} must be >= 0", value=text, **where))
        return None
    return int(x)


def read_targets(source: Source, panel_size: int, *, delimiter: str | None = None) -> Quotas:
    """Read a targets (quota) file.

    Parameters
    ----------
    source : path or text stream
        ``feature,value,min,max[,min_flex,max_flex]`` (or ``category,name,...`` or
        ``category,feature,...``). Extra columns are ignored.
    panel_size : int
        The panel size ``k`` (targets files do not state it).
    delimiter : str, optional
        Force a delimiter instead of detecting it.

    Returns
    -------
    Quotas

    Raises
    ------
    InputError
        All problems of the file at once: ``empty-file``, ``missing-column``, ``ragged-row``,
        ``missing-value``, ``not-a-number``, ``not-an-integer``, ``negative-quota``,
        ``min-greater-than-max``, ``bad-flex``, ``duplicate-quota``.
    """
    table = _read_table(source, delimiter=delimiter)
    cols = _key_columns(table)
    cols.update(_require(table, [("min", ["min"]), ("max", ["max"])]))
    flex = {k: table.column(k) for k in ("min_flex", "max_flex")}
    _no_rows(table)
    problems: list[Problem] = []
    entries: list[ValueQuota] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in table.rows:
        cat, val = cells[cols["category"]].strip(), cells[cols["value"]].strip()
        row_ok = True
        for logical in ("category", "value"):
            if not cells[cols[logical]].strip():
                problems.append(Problem("missing-value", f"the {logical} is empty",
                                        file=table.name, row=line,
                                        column=table.header[cols[logical]]))
                row_ok = False
        nums: dict[str, int | None] = {}
        for logical, idx in [("min", cols["min"]), ("max", cols["max"]), *flex.items()]:
            if idx is None:
                nums[logical] = None
                continue
            text = cells[idx]
            if not text.strip() and logical in ("min_flex", "max_flex"):
                nums[logical] = None
                continue
            where = {"file": table.name, "row": line, "column": table.header[idx]}
            nums[logical] = _parse_int(text, problems=problems, where=where,
                                       what=f"{logical} of {cat}={val}")
            row_ok = row_ok and nums[logical] is not None
        if not row_ok:
            continue
        key = (cat.casefold(), val)
        if key in seen:
            problems.append(Problem("duplicate-quota", f"{cat}={val} already has a quota on line "
                                    f"{seen[key]}", file=table.name, row=line, value=val))
            continue
        seen[key] = line
        lo, hi = nums["min"], nums["max"]
        assert lo is not None  # guaranteed by row_ok
        assert hi is not None
        q = ValueQuota(cat, val, lo, hi, nums["min_flex"], nums["max_flex"])
        for p in q.problems():
            problems.append(attrs.evolve(p, file=table.name, row=line))
        entries.append(q)
    if problems:
        raise InputError(problems)
    return Quotas(panel_size, entries)


def write_targets(dest: Source, quotas: Quotas, *, provenance: bool = False
                  ) -> tuple[Problem, ...]:
    """Write ``quotas`` as ``feature,value,min,max[,min_flex,max_flex]``.

    Flex columns are written when any entry has them. With ``provenance=True`` the columns
    ``share,exact_quota,seats,method,band`` are appended (exact fractions as ``p/q``); readers
    ignore them.
    """
    has_flex = any(q.min_flex is not None or q.max_flex is not None for q in quotas)
    header = ["feature", "value", "min", "max"]
    if has_flex:
        header += ["min_flex", "max_flex"]
    if provenance:
        header += ["share", "exact_quota", "seats", "method", "band"]
    rows: list[list[str]] = []
    for q in quotas:
        row = [q.category, q.value, str(q.min), str(q.max)]
        if has_flex:
            row += ["" if q.min_flex is None else str(q.min_flex),
                    "" if q.max_flex is None else str(q.max_flex)]
        if provenance:
            p = q.provenance
            row += ["", "", "", "", ""] if p is None else [
                str(p.share), str(p.exact_quota), str(p.seats), p.method, p.band]
        rows.append(row)
    return _write_rows(dest, header, rows, ",")


# -------------------------------------------------------------------------------------- census
def read_census(source: Source, *, tolerance: Any = DEFAULT_SHARE_TOLERANCE,
                delimiter: str | None = None) -> Census:
    """Read census shares: ``category,value,share`` (or ``percent``, ``count``/``population``).

    Parameters
    ----------
    source : path or text stream
    tolerance : number
        Largest allowed distance of a category's shares from summing to 1 (see
        :meth:`Census.from_shares`).
    delimiter : str, optional

    Returns
    -------
    Census
    """
    table = _read_table(source, delimiter=delimiter)
    cols = _key_columns(table)
    kinds = [("share", "share"), ("percent", "percent"), ("count", "count"),
             ("population", "count")]
    found = [(table.column(h), kind) for h, kind in kinds if table.column(h) is not None]
    if not found:
        raise InputError.single("missing-column", "no share column; expected one of 'share', "
                                f"'percent', 'count' or 'population' (found {list(table.header)})",
                                file=table.name, row=1, column="share")
    idx, kind = found[0]
    assert idx is not None
    _no_rows(table)
    shares: dict[str, dict[str, str]] = {}
    rows: dict[tuple[str, str], int] = {}
    names: dict[str, str] = {}
    problems: list[Problem] = []
    for line, cells in table.rows:
        cat, val = cells[cols["category"]].strip(), cells[cols["value"]].strip()
        if not cat or not val:
            problems.append(Problem("missing-value", "category and value must not be empty",
                                    file=table.name, row=line))
            continue
        cat = names.setdefault(cat.casefold(), cat)
        if val in shares.setdefault(cat, {}):
            problems.append(Problem("duplicate-value", f"{cat}={val} already appears on line "
                                    f"{rows[(cat, val)]}", file=table.name, row=line, value=val))
            continue
        shares[cat][val] = cells[idx]
        rows[(cat, val)] = line
    if problems:
        raise InputError(problems)
    return Census.from_shares(shares, tolerance=tolerance, kind=kind, source=table.name,
                              rows=rows)


# -------------------------------------------------------------------------------------- people
@attrs.frozen(eq=False)
class PeopleTable:
    """A people file as read: the pool plus the untouched rows for writing selections back.

    Attributes
    ----------
    pool : Pool
        Ids, category codes and households (the only part the algorithms see).
    header : tuple of str
        The file's header, unchanged.
    rows : tuple of tuple of str
        Every data row, unchanged, in file order (``rows[i]`` is ``pool.ids[i]``'s row).
    source : str
        File name.
    delimiter : str
        Delimiter the file used (writers reuse it).
    key_columns : tuple of int
        Positions of the columns the library reads (id, categories, household); writers never
        alter them (formula escaping applies to the other columns only).
    """

    pool: Pool
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source: str
    delimiter: str
    key_columns: tuple[int, ...] = ()


def read_people(
    source: Source,
    *,
    strata: Strata | Quotas | None = None,
    categories: Sequence[str] | None = None,
    id_column: str | None = None,
    household_column: str | None = None,
    allow_new_values: bool = False,
    delimiter: str | None = None,
) -> PeopleTable:
    """Read a people (respondents) file into a :class:`PeopleTable`.

    Parameters
    ----------
    source : path or text stream
    strata : Strata or Quotas, optional
        The categories and values to expect (a quota table's strata when a Quotas object is
        given). Values outside it are ``unknown-value`` errors unless ``allow_new_values``.
    categories : sequence of str, optional
        Category columns; defaults to the strata's categories. One of ``strata`` and
        ``categories`` is required. Matched case-insensitively to the header.
    id_column : str, optional
        Column holding person ids. Without it the ids are the data row numbers from 0.
    household_column : str, optional
        Column holding household keys (for example the invitation address id).
    allow_new_values : bool
        Append unseen values to the strata instead of rejecting them (they then have no quota;
        :func:`~civicsortition.diagnostics.diagnose` reports them).
    delimiter : str, optional

    Returns
    -------
    PeopleTable

    Raises
    ------
    InputError
        ``empty-file``, ``missing-column``, ``ragged-row``, ``missing-value``, ``missing-id``,
        ``unknown-value``, ``duplicate-id`` -- all of a file's problems together.
    """
    if isinstance(strata, Quotas):
        strata = strata.strata
    if categories is None:
        if strata is None:
            raise TypeError("read_people needs strata (or quotas) or categories")
        categories = strata.names
    table = _read_table(source, delimiter=delimiter)
    spec: list[tuple[str, Sequence[str]]] = [(c, [c]) for c in categories]
    if id_column is not None:
        spec.append((id_column, [id_column]))
    if household_column is not None:
        spec.append((household_column, [household_column]))
    cols = _require(table, spec)
    _no_rows(table)
    problems: list[Problem] = []
    ids: list[str] = []
    texts: list[list[str]] = []
    households: list[str | None] | None = [] if household_column else None
    lines: list[int] = []
    for i, (line, cells) in enumerate(table.rows):
        lines.append(line)
        if id_column is not None:
            pid = cells[cols[id_column]].strip()
            if not pid:
                problems.append(Problem("missing-id", "every person needs an id", file=table.name,
                                        row=line, column=table.header[cols[id_column]]))
            ids.append(pid or f"<missing {i}>")
        else:
            ids.append(str(i))
        row_text = []
        for c in categories:
            value = cells[cols[c]].strip()
            if not value:
                problems.append(Problem("missing-value", f"no value for category {c!r}",
                                        file=table.name, row=line, column=table.header[cols[c]]))
            row_text.append(value)
        texts.append(row_text)
        if households is not None:
            assert household_column is not None
            h = cells[cols[household_column]].strip()
            households.append(h or None)
    if strata is not None and allow_new_values:
        strata = _extend(strata, categories, texts)
    pool = Pool._from_texts(ids, texts, list(categories), strata, households, problems,
                            table.name, row_offset=0, row_numbers=lines,
                            id_column=id_column or "row")
    return PeopleTable(pool, table.header, tuple(c for _, c in table.rows), table.name,
                       table.delimiter, tuple(sorted(set(cols.values()))))


def _extend(strata: Strata, categories: Sequence[str], texts: list[list[str]]) -> Strata:
    cats = []
    for cat in strata:
        values = list(cat.values)
        pos = next((j for j, c in enumerate(categories) if c.casefold() == cat.name.casefold()),
                   None)
        if pos is not None:
            for row in texts:
                if row[pos] and row[pos] not in values:
                    values.append(row[pos])
        cats.append(Category(cat.name, values))
    return Strata(cats)


def _free_columns(table: PeopleTable, escape_formulas: bool) -> list[int]:
    if not escape_formulas:
        return []
    return [j for j in range(len(table.header)) if j not in table.key_columns]


def write_people(dest: Source, table: PeopleTable, ids: Iterable[str], *,
                 escape_formulas: bool = True) -> tuple[Problem, ...]:
    """Write the rows of ``table`` whose ids are in ``ids`` (file order, all columns kept).

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    table : PeopleTable
    ids : iterable of str
    escape_formulas : bool
        Neutralise formula-like cells (see :func:`formula_like`) in the columns the library
        does not read (names, contact details) with a leading apostrophe, so that a
        spreadsheet program shows them as text. Id, category and household cells are never
        changed.

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records (file, line, column; no value) for every formula-like cell.

    Raises
    ------
    InputError
        ``unknown-id`` naming every id that is not in the table.
    """
    wanted = _resolve_ids(table, ids)
    return _write_rows(dest, list(table.header), [list(r) for i, r in enumerate(table.rows)
                                                  if i in wanted], table.delimiter,
                       escape=_free_columns(table, escape_formulas))


def write_selected_and_remaining(selected: Source | None, remaining: Source | None,
                                 table: PeopleTable,
                                 selected_ids: Iterable[str], *,
                                 escape_formulas: bool = True) -> tuple[Problem, ...]:
    """Split ``table`` into the selected people and everybody else; two files, all columns.

    ``escape_formulas`` and the returned ``formula-cell`` records are as in
    :func:`write_people`; both files are written atomically; ``None`` skips one of them.
    """
    chosen = _resolve_ids(table, selected_ids)
    rows = [list(r) for r in table.rows]
    esc = _free_columns(table, escape_formulas)
    out: tuple[Problem, ...] = ()
    for dest, keep in ((selected, True), (remaining, False)):
        if dest is not None:
            out += _write_rows(dest, list(table.header),
                               [r for i, r in enumerate(rows) if (i in chosen) == keep],
                               table.delimiter, escape=esc)
    return out


def _resolve_ids(table: PeopleTable, ids: Iterable[str]) -> set[int]:
    wanted = [str(pid) for pid in ids]
    index = {pid: i for i, pid in enumerate(table.pool.ids)}
    problems = [Problem("unknown-id", "no person with this id in the people file",
                        file=table.source, value=pid) for pid in wanted if pid not in index]
    if problems:
        raise InputError(problems)
    return {index[pid] for pid in wanted}


#: First characters that make a spreadsheet program evaluate a cell (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?")


def formula_like(cell: str) -> bool:
    """True if a spreadsheet program could evaluate ``cell`` as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is formula-like
    unless it is a plain number (``-3``, ``+1.5e3``).

    Examples
    --------
    >>> formula_like("=cmd|' /C calc'!A0"), formula_like("-3"), formula_like("Anna")
    (True, False, False)
    """
    return cell.startswith(FORMULA_START) and _NUMBER.fullmatch(cell) is None


def _csv_cell(cell: str, delimiter: str) -> str:
    # Quote whenever a reader could split or strip the cell: the delimiter, quotes, CR or LF
    # anywhere (csv.writer leaves a lone CR unquoted), and a byte-order mark.
    if any(ch in cell for ch in (delimiter, '"', "\r", "\n", "\ufeff")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _write_rows(dest: Source, header: list[str], rows: list[list[str]], delimiter: str, *,
                escape: Iterable[int] = (), line_offset: int = 2) -> tuple[Problem, ...]:
    """Write a CSV; returns the formula-like cells (escaped ones in the ``escape`` columns).

    Cells in the ``escape`` columns that look like formulas get a leading apostrophe (the
    convention spreadsheet programs display as text); every formula-like cell, escaped or
    not, is reported (file, line, column; never the value). Paths are written atomically.
    """
    name = _source_name(dest)
    escape_cols = set(escape)
    flagged: list[Problem] = []
    lines = [delimiter.join(_csv_cell(h, delimiter) for h in header)]
    for r, row in enumerate(rows):
        out = []
        for j, cell in enumerate(row):
            if formula_like(cell):
                escaped = j in escape_cols
                flagged.append(Problem(
                    "formula-cell", "neutralised with a leading apostrophe" if escaped else
                    "looks like a spreadsheet formula (left unchanged)", file=name,
                    row=r + line_offset, column=header[j] if j < len(header) else str(j)))
                if escaped:
                    cell = "'" + cell
            out.append(_csv_cell(cell, delimiter))
        lines.append(delimiter.join(out))
    text = "\n".join(lines) + "\n"
    if isinstance(dest, (str, os.PathLike)):
        atomic_write(dest, text)
    else:
        dest.write(text)
    return tuple(flagged)


# ------------------------------------------------------------------------------ address frame
def read_address_frame(source: Source, *, id_column: str = "address",
                       columns: Sequence[str] | None = None,
                       delimiter: str | None = None) -> AddressFrame:
    """Read an address frame: one row per address that may receive a letter.

    Parameters
    ----------
    source : path or text stream
    id_column : str
        Column holding the address id (``address_id`` and ``id`` are accepted when the
        default ``address`` is absent).
    columns : sequence of str, optional
        Other columns to keep (default: all of them).

    Returns
    -------
    AddressFrame

    Raises
    ------
    InputError
        ``missing-column``, ``missing-address``, ``duplicate-address`` with file lines.
    """
    table = _read_table(source, delimiter=delimiter)
    aliases = [id_column] + (["address_id", "id"] if id_column == "address" else [])
    cols = _require(table, [(id_column, aliases)])
    _no_rows(table)
    keep = [h for h in table.header if table.column(h) != cols[id_column]] \
        if columns is None else list(columns)
    extra = _require(table, [(c, [c]) for c in keep])
    return AddressFrame([cells[cols[id_column]] for _, cells in table.rows],
                        {c: [cells[extra[c]].strip() for _, cells in table.rows] for c in keep},
                        source=table.name, lines=tuple(line for line, _ in table.rows))


def write_invitations(dest: Source, invitations: Invitations) -> tuple[Problem, ...]:
    """Write ``address,status,order,inclusion_probability,inclusion_with_reserves``.

    One row per frame address: ``invited`` (with its letter number), ``reserve`` (with its
    position in the reserve list) or ``not-invited``; probabilities to 12 significant digits.
    """
    invited = {a: j for j, a in enumerate(invitations.invited)}
    reserve = {a: j for j, a in enumerate(invitations.reserves)}
    rows: list[list[str]] = []
    for i, a in enumerate(invitations.frame_ids):
        if a in invited:
            status, order = "invited", str(invited[a] + 1)
        elif a in reserve:
            status, order = "reserve", str(reserve[a] + 1)
        else:
            status, order = "not-invited", ""
        rows.append([a, status, order, f"{invitations.inclusion[i]:.12g}",
                     f"{invitations.inclusion_with_reserves[i]:.12g}"])
    return _write_rows(dest, ["address", "status", "order", "inclusion_probability",
                              "inclusion_with_reserves"], rows, ",")


def read_registrations(source: Source, strata: Strata | Quotas, *, delimiter: str | None = None,
                       **options: Any) -> Registrations:
    """Read a registrations file and validate it (see ``validate_registrations``).

    Rejections carry the file's line numbers. ``options`` are passed on (``reference_date`` is
    required; field names are the file's headers).

    Returns
    -------
    Registrations
    """
    table = _read_table(source, delimiter=delimiter)
    _no_rows(table)
    records = [dict(zip(table.header, cells, strict=True)) for _, cells in table.rows]
    return validate_registrations(records, strata, rows=[line for line, _ in table.rows],
                                  **options)


# ------------------------------------------------------------------------------ results
_NOT_A_RESULT = "not a select result with panels (run select without --no-panels)"


def _json_float(x: Any) -> float:
    """A JSON number (``null`` is NaN) as a float; ValueError for anything else."""
    if x is None:
        return float("nan")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"expected a number, got {type(x).__name__}")
    return float(x)  # OverflowError for an integer beyond the float range


def _json_int(x: Any) -> int:
    """A JSON whole number as an int; ValueError for anything else (never truncated)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"expected a whole number, got {type(x).__name__}")
    if isinstance(x, float) and not x.is_integer():  # also NaN and infinities
        raise ValueError("expected a whole number")
    return int(x)


def read_result(source: Source, pool: Pool, quotas: Quotas, *,
                households: bool = True) -> Distribution:
    """Rebuild a :class:`~civicsortition.distribution.Distribution` from ``select``'s JSON.

    The result must list its panels (``select`` without ``--no-panels``). Every panel is
    checked against the pool and quotas as given here -- size, quotas, households -- so a
    result cannot smuggle in an invalid panel; the probabilities of identical type profiles
    are merged.

    Parameters
    ----------
    source : path or text stream
    pool, quotas : Pool, Quotas
        The published inputs the result claims to be computed from.
    households : bool
        Whether the one-per-household rule applies.

    Returns
    -------
    Distribution
        With the run details recorded in the file.

    Raises
    ------
    InputError
        ``bad-result`` (not a result, or no panels), ``pool-mismatch`` (people differ from the
        pool), ``invalid-panel`` naming every panel that breaks a rule, ``bad-probability``
        (a panel probability that is negative or not finite, or probabilities that do not
        sum to 1).
    """
    name = _source_name(source)
    try:
        doc = json.loads(_read_text(source))
    except ValueError:
        raise InputError.single("bad-result", "not JSON", file=name) from None
    except RecursionError:
        raise InputError.single("bad-result", "not a select result: JSON nested too deeply",
                                file=name) from None
    return result_distribution(doc, pool, quotas, households=households, name=name)


def result_distribution(doc: Any, pool: Pool, quotas: Quotas, *, households: bool = True,
                        name: str = "result") -> Distribution:
    """:func:`read_result` for an already parsed document (``select``'s JSON as a dict)."""
    try:
        if not isinstance(doc, Mapping):
            raise TypeError("not an object")
        people = [str(p["id"]) for p in doc["people"]]
        panels = [([str(m) for m in p["members"]], _json_float(p["probability"]))
                  for p in doc["panels"]]
        cert, run = doc["certificate"], doc["run"]
        if not isinstance(cert, Mapping) or not isinstance(run, Mapping):
            raise TypeError("certificate and run must be objects")
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        raise InputError.single("bad-result", _NOT_A_RESULT, file=name) from None
    if len(set(people)) != len(people) or set(people) != set(pool.ids):
        raise InputError.single("pool-mismatch", "the result's people are not the pool's ids "
                                "(matched by id, in any order)", file=name)
    problems: list[Problem] = [
        Problem("bad-probability", "a panel probability must be a finite number >= 0",
                file=name, column=f"panels[{j}].probability", value=repr(prob))
        for j, (_, prob) in enumerate(panels)
        if not math.isfinite(prob) or prob < -CHECK_TOL][:20]
    total = math.fsum(prob for _, prob in panels)
    if not problems and panels and abs(total - 1.0) > CHECK_TOL:
        problems.append(Problem("bad-probability", f"the panel probabilities sum to {total:.9g}"
                                ", not 1", file=name, column="panels", value=f"{total:.9g}"))
    if problems:
        raise InputError(problems)
    program = PanelProgram.build(pool, quotas, households=households)
    index = {pid: i for i, pid in enumerate(pool.ids)}
    profiles: dict[bytes, tuple[npt.NDArray[np.int64], float]] = {}
    for j, (members, prob) in enumerate(panels):
        unknown = [m for m in members if m not in index]
        rows = [index[m] for m in members if m in index]
        issues = ([f"unknown ids {unknown[:3]}"] if unknown else []) + program.check_panel(rows)
        if issues:
            problems.append(Problem("invalid-panel", "; ".join(issues[:3]), file=name,
                                    column=f"panels[{j}]"))
            continue
        profile = np.bincount(program.type_of[rows], minlength=program.n_types).astype(np.int64)
        key = profile.tobytes()
        old = profiles.get(key, (profile, 0.0))[1]
        profiles[key] = (profile, old + prob)
    if problems:
        raise InputError(problems)
    if not profiles:
        raise InputError.single("bad-result", "the result lists no panels", file=name)
    try:
        options = run.get("options") or {}
        uncovered = doc.get("uncovered", [])
        if not isinstance(options, Mapping) or not isinstance(uncovered, list):
            raise TypeError("run.options must be an object and uncovered a list")
        details = RunDetails(
            algorithm=str(doc.get("algorithm", "")), backend=str(doc.get("backend", "")),
            backend_version=str(doc.get("backend_version", "")),
            objective=_json_float(cert.get("objective")), bound=_json_float(cert.get("bound")),
            gap=_json_float(cert.get("gap")), converged=bool(cert.get("converged")),
            iterations=_json_int(run.get("iterations", 0)),
            stages=_json_int(run.get("stages", 0)),
            seconds=_json_float(run.get("seconds", 0.0)), n_types=program.n_types,
            options=dict(options), message=str(cert.get("message", "")),
            certificate_prices=_prices(cert.get("weights"), program, index))
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        raise InputError.single("bad-result", f"{_NOT_A_RESULT}: malformed certificate or run "
                                f"({e})", file=name) from None
    unc = tuple(sorted({index[u] for u in uncovered if isinstance(u, str) and u in index}))
    return Distribution(program, np.array([p for p, _ in profiles.values()]),
                        np.array([x for _, x in profiles.values()]), details, unc)


def _prices(weights: Any, program: PanelProgram, index: dict[str, int]
            ) -> npt.NDArray[np.float64] | None:
    """Type prices from a result's per-person certificate weights (``None`` if absent).

    Raises ValueError for a weight that is not a finite number.
    """
    if not isinstance(weights, Mapping):
        return None
    prices = np.zeros(program.n_types)
    for pid, w in weights.items():
        x = _json_float(w)
        if not math.isfinite(x):
            raise ValueError("certificate.weights must be finite numbers")
        if pid in index:
            prices[program.type_of[index[pid]]] += x
    return prices


def read_votes(source: Source, *, delimiter: str | None = None) -> list[tuple[str, str, str]]:
    """Read ballots: one row per member and recommendation, ``member,recommendation,vote``.

    Returns
    -------
    list of (member, recommendation, vote)

    Raises
    ------
    InputError
        ``missing-column``, ``missing-value``, ``bad-vote`` (not yes/no/abstain or an alias)
        and ``duplicate-ballot`` (a member voting twice on one recommendation), with file
        lines.
    """
    table = _read_table(source, delimiter=delimiter)
    cols = _require(table, [("member", ["member", "member_id", "id"]),
                            ("recommendation", ["recommendation", "motion"]),
                            ("vote", ["vote", "ballot"])])
    _no_rows(table)
    out: list[tuple[str, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    problems: list[Problem] = []
    for line, cells in table.rows:
        member, rec, vote = (cells[cols[c]].strip() for c in ("member", "recommendation", "vote"))
        for name, val in (("member", member), ("recommendation", rec), ("vote", vote)):
            if not val:
                problems.append(Problem("missing-value", f"no {name}", file=table.name,
                                        row=line, column=table.header[cols[name]]))
        if vote and vote.casefold() not in VOTE_WORDS:
            problems.append(Problem("bad-vote", f"member {member} on {rec}: expected yes, no "
                                    "or abstain (or y, n, for, against, abstention)",
                                    file=table.name, row=line,
                                    column=table.header[cols["vote"]], value=vote))
        if (member, rec) in seen:
            problems.append(Problem("duplicate-ballot", f"second ballot of this member on this "
                                    f"recommendation (first on line {seen[(member, rec)]})",
                                    file=table.name, row=line, value=member))
        seen[(member, rec)] = line
        out.append((member, rec, vote))
    if problems:
        raise InputError(problems)
    return out


def read_invited(source: Source, *, delimiter: str | None = None) -> frozenset[str]:
    """Addresses with status ``invited`` or ``reserve`` in a :func:`write_invitations` file."""
    table = _read_table(source, delimiter=delimiter)
    cols = _require(table, [("address", ["address"]), ("status", ["status"])])
    return frozenset(cells[cols["address"]].strip() for _, cells in table.rows
                     if cells[cols["status"]].strip() in ("invited", "reserve"))


def write_registrations(dest: Source, registrations: Registrations, *,
                        rejections: Source | None = None,
                        escape_formulas: bool = True) -> tuple[Problem, ...]:
    """Write the accepted pool as a people file (``id``, categories, ``address``).

    Only what selection needs is written (the derived age band, not the birth date; no names).
    With ``rejections``, also write ``row,code,field,value,message`` for the organisers (it
    contains the offending values: do not publish it); with ``escape_formulas`` its
    formula-like ``value`` cells get a leading apostrophe. The people file is never altered
    (every column is read by ``select``); its formula-like cells are reported. Both files are
    written atomically.

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records (file, line, column; no value).
    """
    pool = registrations.pool
    header = ["id", *pool.strata.names, "address"]
    rows = [[rec["id"], *(rec[c] for c in pool.strata.names), rec.get("household", "")]
            for rec in pool.records()]
    flagged = _write_rows(dest, header, rows, ",")
    if rejections is not None:
        flagged += _write_rows(rejections, ["row", "code", "field", "value", "message"],
                               [[str(r.row), r.code, r.field or "", r.value or "", r.message]
                                for r in registrations.rejections], ",",
                               escape=[3] if escape_formulas else [])
    return flagged
