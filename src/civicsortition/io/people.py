"""People files: one row per person, read into a pool, and written back as selections.

One column per category, optionally an id column and a household column; any other columns
(names, contact details) are carried through untouched to the selected/remaining files and
never read by the library. Writers keep the file's delimiter, order and columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from .._i18n import tr
from ..errors import InputError, Problem
from ..pool import Pool
from ..quotas import Quotas
from ..strata import Category, Strata
from .tables import Source, TableSource, open_table, require_columns, require_rows, write_rows

__all__ = ["HOUSEHOLD_SEPARATOR", "PeopleTable", "keep_columns", "read_id_list", "read_people",
           "write_people", "write_selected_and_remaining"]

#: Joins the cells of a household key over several columns (the unit separator, which no
#: text cell of a people file holds), so that ``("a b", "c")`` and ``("a", "b c")`` differ.
HOUSEHOLD_SEPARATOR = "\x1f"


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
    source: TableSource,
    *,
    strata: Strata | Quotas | None = None,
    categories: Sequence[str] | None = None,
    id_column: str | None = None,
    household_column: str | Sequence[str] | None = None,
    allow_new_values: bool = False,
    delimiter: str | None = None,
    ignore_case: bool = False,
) -> PeopleTable:
    """Read a people (respondents) file into a :class:`PeopleTable`.

    Parameters
    ----------
    source : path, text stream or Table
        Anything :func:`~civicsortition.io.tables.open_table` reads.
    strata : Strata or Quotas, optional
        The categories and values to expect (a quota table's strata when a Quotas object is
        given). Values outside it are ``unknown-value`` errors unless ``allow_new_values``.
    categories : sequence of str, optional
        Category columns; defaults to the strata's categories. One of ``strata`` and
        ``categories`` is required. Matched case-insensitively to the header.
    id_column : str, optional
        Column holding person ids. Without it the ids are the data row numbers from 0.
    household_column : str or sequence of str, optional
        Column holding household keys (for example the invitation address id), or several
        columns (for example ``["primary_address1", "primary_zip"]``) whose cells together are
        the key (joined with :data:`HOUSEHOLD_SEPARATOR`). A row whose household cells are all
        blank has no household.
    allow_new_values : bool
        Append unseen values to the strata instead of rejecting them (they then have no quota;
        :func:`~civicsortition.diagnostics.diagnose` reports them).
    delimiter : str, optional
    ignore_case : bool
        Match category values up to case (:meth:`str.casefold`, after stripping): a cell
        ``"female"`` is read as the strata's ``"Female"``. An exact match always wins; a cell
        matching two values of a category that differ only in case is an ``ambiguous-value``
        error naming both. Household keys are compared up to case too (as the peer library
        sortition-algorithms does). Without strata, the first spelling in the file is used.

    Returns
    -------
    PeopleTable

    Raises
    ------
    InputError
        ``empty-file``, ``missing-column``, ``ragged-row``, ``missing-value``, ``missing-id``,
        ``unknown-value``, ``ambiguous-value``, ``duplicate-id`` -- all of a file's problems
        together.
    """
    if isinstance(strata, Quotas):
        strata = strata.strata
    if categories is None:
        if strata is None:
            raise TypeError("read_people needs strata (or quotas) or categories")
        categories = strata.names
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        hh_columns = _household_columns(household_column)
        spec: list[tuple[str, Sequence[str]]] = [(c, [c]) for c in categories]
        if id_column is not None:
            spec.append((id_column, [id_column]))
        spec.extend((h, [h]) for h in hh_columns if h not in {n for n, _ in spec})
        cols = require_columns(table, spec)
        require_rows(table)
        problems: list[Problem] = []
        ids: list[str] = []
        texts: list[list[str]] = []
        households: list[str | None] | None = [] if hh_columns else None
        lines: list[int] = []
        for i, (line, cells) in enumerate(table.located()):
            lines.append(line)
            if id_column is not None:
                pid = cells[cols[id_column]].strip()
                if not pid:
                    problems.append(Problem("missing-id", "every person needs an id",
                                            file=table.source, row=line,
                                            column=table.header[cols[id_column]]))
                ids.append(pid or f"<missing {i}>")
            else:
                ids.append(str(i))
            row_text = []
            for c in categories:
                value = cells[cols[c]].strip()
                if not value:
                    problems.append(Problem("missing-value", tr("no value for category {c!r}", c=c),
                                            file=table.source, row=line,
                                            column=table.header[cols[c]]))
                row_text.append(value)
            texts.append(row_text)
            if households is not None:
                parts = [cells[cols[h]].strip() for h in hh_columns]
                if ignore_case:
                    parts = [part.casefold() for part in parts]
                households.append(HOUSEHOLD_SEPARATOR.join(parts) if any(parts) else None)
        if ignore_case:
            _fold_values(texts, categories, strata, problems, table.source, lines,
                         [table.header[cols[c]] for c in categories])
        if strata is not None and allow_new_values:
            strata = _extend(strata, categories, texts)
        pool = Pool.from_texts(ids, texts, list(categories), strata, households, problems,
                                table.source, row_offset=0, row_numbers=lines,
                                id_column=id_column or "row")
        return PeopleTable(pool, table.header, table.rows, table.source, table.delimiter,
                           tuple(sorted(set(cols.values()))))


def _household_columns(household_column: str | Sequence[str] | None) -> list[str]:
    """The household key's columns (a string is one column name)."""
    if household_column is None:
        return []
    names = [household_column] if isinstance(household_column, str) else list(household_column)
    if not names or any(not isinstance(h, str) or not h.strip() for h in names):
        raise InputError.single("bad-household-column", "household columns must be non-empty "
                                "column names", value=repr(household_column))
    return [h.strip() for h in names]


def _fold_values(texts: list[list[str]], categories: Sequence[str], strata: Strata | None,
                 problems: list[Problem], source: str, lines: Sequence[int],
                 headers: Sequence[str]) -> None:
    """Rewrite each cell to the category's value it equals up to case (in place)."""
    for pos, name in enumerate(categories):
        known: list[str] = []
        if strata is not None:
            cat = next((c for c in strata if c.name.casefold() == name.casefold()), None)
            known = list(cat.values) if cat is not None else []
        exact = set(known)
        folded: dict[str, list[str]] = {}
        for v in known:
            folded.setdefault(v.strip().casefold(), []).append(v)
        for row, line in zip(texts, lines, strict=True):
            cell = row[pos]
            if not cell or cell in exact:
                continue
            matches = folded.get(cell.casefold())
            if matches is None:
                if strata is None:  # no strata: the first spelling in the file is the value
                    folded[cell.casefold()] = [cell]
                    exact.add(cell)
                continue
            if len(matches) > 1:
                problems.append(Problem(
                    "ambiguous-value", tr("matches {value} of category {name!r} up to case "
                                          "(ignore-case cannot tell which); make the targets' "
                                          "values differ by more than case, or match the case "
                                          "exactly",
                                          value=' and '.join(map(repr, matches)),
                                          name=name),
                    file=source, row=line, column=headers[pos], value=cell))
                row[pos] = ""  # reported (not also an unknown value)
                continue
            row[pos] = matches[0]


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


def keep_columns(table: PeopleTable, columns: Sequence[str]) -> PeopleTable:
    """The table with only the columns the library reads plus ``columns`` (for writing).

    The peer library's ``columns_to_keep``: the selected/remaining files then hold the id,
    category and household columns and the listed ones, in the file's order; the pool is
    unchanged.

    Parameters
    ----------
    table : PeopleTable
    columns : sequence of str
        Header names to keep besides the library's own columns (matched up to case).

    Returns
    -------
    PeopleTable

    Raises
    ------
    InputError
        ``missing-column`` naming every listed column the file does not have.
    """
    folded = [h.strip().casefold() for h in table.header]
    missing = [c for c in columns if c.strip().casefold() not in folded]
    if missing:
        raise InputError([Problem("missing-column", tr("no {c!r} column to keep (found {header})",
                                                       c=c,
                                                       header=list(table.header)),
                                  file=table.source, column=c)
                          for c in missing])
    wanted = {c.strip().casefold() for c in columns}
    keep = [j for j, f in enumerate(folded) if j in table.key_columns or f in wanted]
    position = {j: n for n, j in enumerate(keep)}
    return PeopleTable(table.pool, tuple(table.header[j] for j in keep),
                       tuple(tuple(r[j] for j in keep) for r in table.rows), table.source,
                       table.delimiter, tuple(position[j] for j in table.key_columns))


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
        Neutralise formula-like cells (see :func:`~civicsortition.io.tables.formula_like`) in
        the columns the library does not read (names, contact details) with a leading
        apostrophe, so that a spreadsheet program shows them as text. Id, category and
        household cells are never changed.

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
    return write_rows(dest, list(table.header), [list(r) for i, r in enumerate(table.rows)
                                                 if i in wanted], table.delimiter,
                      escape=_free_columns(table, escape_formulas))


def write_selected_and_remaining(selected: Source | None, remaining: Source | None,
                                 table: PeopleTable,
                                 selected_ids: Iterable[str], *,
                                 escape_formulas: bool = True) -> tuple[Problem, ...]:
    """Split ``table`` into the selected people and everybody else; two files, all columns.

    ``escape_formulas`` and the returned ``formula-cell`` records are as in
    :func:`write_people`; both files are written atomically; ``None`` skips one of them.

    Parameters
    ----------
    selected, remaining : path, text stream or None
    table : PeopleTable
    selected_ids : iterable of str
    escape_formulas : bool

    Returns
    -------
    tuple of Problem
    """
    chosen = _resolve_ids(table, selected_ids)
    rows = [list(r) for r in table.rows]
    esc = _free_columns(table, escape_formulas)
    out: tuple[Problem, ...] = ()
    for dest, keep in ((selected, True), (remaining, False)):
        if dest is not None:
            out += write_rows(dest, list(table.header),
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


def read_id_list(source: Source) -> tuple[str, ...]:
    """Person ids from a text file: one per line (or comma-separated), ``#`` starts a comment.

    Blank lines and surrounding spaces are ignored; a header line ``id`` is skipped.

    Parameters
    ----------
    source : path or text stream

    Returns
    -------
    tuple of str
        In file order.

    Raises
    ------
    InputError
        ``file-not-found``, ``not-utf8``, ``unreadable-file``; ``duplicate-id`` naming the line
        of an id listed twice.
    """
    from .tables import read_text, source_name

    name = source_name(source)
    out: list[str] = []
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for line, text in enumerate(read_text(source).splitlines(), start=1):
        for pid in (t.strip() for t in text.split("#", 1)[0].split(",")):
            if not pid or (line == 1 and pid.casefold() == "id" and not out):
                continue
            if pid in seen:
                problems.append(Problem("duplicate-id", tr("listed twice (first on line {seen})",
                                                           seen=seen[pid]),
                                        file=name, row=line, value=pid))
                continue
            seen[pid] = line
            out.append(pid)
    if problems:
        raise InputError(problems)
    return tuple(out)
