"""Tables: what every record reader reads, from a file, a stream or memory, with located rows.

A :class:`Table` is a header, the data rows (cells as text), the name of their source and, for
every row, its location: the line number a spreadsheet shows (the header is line 1). Every
record reader (targets, census, people, address frames, registrations, votes) takes any source
:func:`open_table` accepts and reports each problem with the file, line and column, so a new
kind of source -- a spreadsheet, a DataFrame -- is one function that builds a :class:`Table`
(for example with :meth:`Table.from_rows`), and every reader accepts its result unchanged.
Registered in :data:`SOURCE_KINDS`, the source itself is accepted too (``read_people(
"pool.xlsx", ...)``). Two kinds are registered here: spreadsheets (``.xlsx``, ``.xlsm``,
``.xlsb``, ``.xls``, ``.ods``, with ``PATH#SHEET`` choosing a sheet; read by
:mod:`~civicsortition.io.spreadsheets`, extra ``excel``) and DataFrames of any library
narwhals knows (pandas, polars, ...; read by :mod:`~civicsortition.io.dataframes`, extra
``frames``). Neither module, nor any third-party package, is imported until such a source
is read. A table read from a spreadsheet knows the spreadsheet column of each of its columns
(:attr:`Table.cell_columns`), so problems can name the cell in A1 notation
(:meth:`Table.cell_name`, :meth:`Table.with_cells`).

Text sources (paths and streams) are UTF-8 with or without a byte-order mark, delimited by
commas, semicolons or tabs (detected from the header line). Everywhere, header names are
trimmed and matched case-insensitively, rows whose cells are all blank are skipped, a header
naming a column twice and a row with the wrong number of cells are errors, and all problems
of a table are raised together in one :class:`~civicsortition.errors.InputError`.

The writing half, :func:`write_rows` (and its short form :func:`write_table`), writes CSV
that reads back unchanged and reports (and optionally neutralises) cells a spreadsheet program
would evaluate as formulas; a destination ending in ``.xlsx`` is written as a workbook instead
(every cell a text or number cell, never a formula), one ending in ``.tsv`` with tabs.
"""

from __future__ import annotations

import contextlib
import csv
import io as _stdio
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Union, cast

import attrs

from .._i18n import tr
from ..errors import InputError, Problem
from ._cells import (
    SPREADSHEET_SUFFIXES,
    TSV_SUFFIXES,
    MissingDependencyError,
    cell_to_text,
    column_letters,
    optional_module,
    output_problem,
    split_sheet,
)
from .files import atomic_write

__all__ = [
    "FORMULA_START",
    "SOURCE_KINDS",
    "SPREADSHEET_SUFFIXES",
    "MissingDependencyError",
    "Source",
    "SourceKind",
    "Table",
    "TableSource",
    "cell_to_text",
    "column_letters",
    "formula_like",
    "key_columns",
    "open_table",
    "optional_module",
    "read_text",
    "require_columns",
    "require_rows",
    "source_name",
    "split_sheet",
    "write_rows",
    "write_table",
]

#: A file to read or write: a path, or an open text stream (a ``str`` is always a path).
Source = Union[str, "os.PathLike[str]", IO[str]]
_DELIMITERS = (",", ";", "\t")
def _default_lines(table: Table) -> tuple[int, ...]:
    return tuple(range(2, len(table.rows) + 2))


@attrs.frozen
class Table:
    """A table: header, data rows and the location of every row.

    Build one with :func:`open_table` (from a file, a stream or memory), :meth:`from_rows` or
    :meth:`from_records`, which check it; the constructor itself trusts its arguments.

    Attributes
    ----------
    header : tuple of str
        Column names, trimmed.
    rows : tuple of tuple of str
        The data rows (cells unchanged), each as long as the header.
    source : str
        Name of the source, for error messages (a file name, or e.g. ``"<table>"``).
    lines : tuple of int
        ``lines[i]`` is the line number of ``rows[i]`` as a spreadsheet shows it (header = line
        1); by default ``2, 3, ...``.
    delimiter : str
        The delimiter of the source (writers of selections reuse it); ``","`` in memory.
    cell_columns : tuple of int or None
        For a table read from a spreadsheet, the 0-based spreadsheet column of each column
        (``0`` is ``A``), so that :meth:`cell_name` can name a cell in A1 notation; ``None``
        for every other source.
    header_line : int
        The line of the header (1 but in a spreadsheet whose table starts lower down).

    Examples
    --------
    >>> t = Table.from_rows(["Feature", "value"], [["sex", "f"], ["", " "], ["sex", "m"]])
    >>> t.column("feature"), t.rows, t.lines
    (0, (('sex', 'f'), ('sex', 'm')), (2, 4))
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source: str = "<table>"
    lines: tuple[int, ...] = attrs.field(default=attrs.Factory(_default_lines, takes_self=True))
    delimiter: str = ","
    cell_columns: tuple[int, ...] | None = None
    header_line: int = 1

    def column(self, *aliases: str) -> int | None:
        """Position of the first of ``aliases`` in the header (case-insensitive), or ``None``."""
        folded = [h.strip().casefold() for h in self.header]
        for a in aliases:
            if a.casefold() in folded:
                return folded.index(a.casefold())
        return None

    def located(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """``(line, cells)`` for every data row, in order."""
        return zip(self.lines, self.rows, strict=True)

    def cell_name(self, line: int, column: int | str) -> str | None:
        """The A1 name (``"B17"``) of a cell of a spreadsheet table, else ``None``.

        Parameters
        ----------
        line : int
            The row as a spreadsheet shows it (an entry of :attr:`lines`, or 1 for the header).
        column : int or str
            Position in :attr:`header`, or a header name (case-insensitive).

        Returns
        -------
        str or None
            ``None`` when the table was not read from a spreadsheet or the column is unknown.

        Examples
        --------
        >>> t = Table(("id", "sex"), (("7", "f"),), "pool.xlsx#Sheet1", (5,), ",", (2, 3))
        >>> t.cell_name(5, "sex"), t.cell_name(5, 0), t.locate(5, "sex")
        ('D5', 'C5', 'pool.xlsx#Sheet1!D5')
        """
        if self.cell_columns is None:
            return None
        j = column if isinstance(column, int) else self.column(column)
        if j is None or not 0 <= j < len(self.cell_columns):
            return None
        return f"{column_letters(self.cell_columns[j])}{line}"

    def locate(self, line: int, column: int | str) -> str:
        """Where a cell is, in the notation of its source.

        ``people.xlsx#Sheet1!B17`` for a spreadsheet, ``people.csv:17, column 'sex'`` otherwise.
        """
        cell = self.cell_name(line, column)
        if cell is not None:
            return f"{self.source}!{cell}"
        name = self.header[column] if isinstance(column, int) and 0 <= column < len(
            self.header) else column
        return f"{self.source}:{line}, column {name!r}"

    def with_cells(self, problems: Iterable[Problem]) -> tuple[Problem, ...]:
        """``problems`` with the A1 cell named in the message of each one about a cell here.

        A problem is about a cell of this table when its ``file`` is :attr:`source` and it has
        a ``row`` and a ``column`` naming a header column; its message then starts with
        ``cell B17:``. Other problems, and every problem of a table not read from a
        spreadsheet, are returned unchanged (so a reader may call this on any table).

        Parameters
        ----------
        problems : iterable of Problem

        Returns
        -------
        tuple of Problem
        """
        out: list[Problem] = []
        for p in problems:
            cell = None
            if p.file == self.source and p.row is not None and p.column is not None \
                    and not p.message.startswith("cell "):
                cell = self.cell_name(p.row, p.column)
            out.append(p if cell is None else attrs.evolve(p, message=f"cell {cell}: "
                                                           f"{p.message}"))
        return tuple(out)

    @contextlib.contextmanager
    def locating(self) -> Iterator[None]:
        """Name the A1 cell (:meth:`with_cells`) in any ``InputError`` raised in the block.

        Examples
        --------
        >>> t = Table(("id",), (("7",),), "pool.xlsx#S", (2,), ",", (0,))
        >>> try:
        ...     with t.locating():
        ...         raise InputError([Problem("bad-id", "odd", file=t.source, row=2,
        ...                                   column="id")])
        ... except InputError as e:
        ...     print(e.problems[0].message)
        cell A2: odd
        """
        try:
            yield
        except InputError as e:
            if self.cell_columns is None or type(e) is not InputError:
                raise
            raise InputError(self.with_cells(e.problems)) from None

    @classmethod
    def from_rows(cls, header: Sequence[object], rows: Iterable[Sequence[object]], *,
                  source: str = "<table>", lines: Iterable[int] | None = None,
                  cell_columns: Sequence[int] | None = None) -> Table:
        """A checked table from a header and rows held in memory.

        Parameters
        ----------
        header : sequence
            Column names (trimmed).
        rows : iterable of sequences
            Cells; ``None`` becomes ``""``, anything else its ``str``. Rows whose cells are
            all blank are skipped (their line numbers are not reused).
        source : str
            Name for error messages.
        lines : iterable of int, optional
            Line number of each row (default: ``2, 3, ...``, as if written below the header).
        cell_columns : sequence of int, optional
            The 0-based spreadsheet column of each header column (see
            :attr:`Table.cell_columns`); problems of the header then name their cell.

        Returns
        -------
        Table

        Raises
        ------
        InputError
            ``empty-file`` (a blank header), ``duplicate-column``, ``ragged-row``.
        """
        texts = [[_cell(c) for c in row] for row in rows]
        numbers = list(range(2, len(texts) + 2)) if lines is None else list(lines)
        if len(numbers) != len(texts):
            raise ValueError(f"{len(numbers)} line numbers for {len(texts)} rows")
        located = [(1, [_cell(h) for h in header]), *zip(numbers, texts, strict=True)]
        cells = None if cell_columns is None else tuple(cell_columns)
        if cells is not None and len(cells) != len(located[0][1]):
            raise ValueError(f"{len(cells)} cell columns for {len(located[0][1])} header cells")
        return _assemble(source, iter(located), ",", cells)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]], *,
                     source: str = "<table>") -> Table:
        """A checked table from mappings (one per row), e.g. ``DataFrame.to_dict("records")``.

        The header is every key in order of first appearance; a key a record lacks is an
        empty cell; row ``i`` is line ``i + 2``. Cells are converted as in :meth:`from_rows`.

        Raises
        ------
        InputError
            ``empty-file`` when there are no records, and as :meth:`from_rows`.
        """
        rows = list(records)
        for r in rows:
            if not isinstance(r, Mapping):
                raise TypeError("expected a path, a text stream, a Table or mappings (one per "
                                f"row), got a row of type {type(r).__name__}")
        header = list(dict.fromkeys(str(k) for r in rows for k in r))
        if not rows:
            raise InputError.single("empty-file", "the table has no records, hence no header",
                                    file=source)
        return cls.from_rows(header, [[r.get(h) for h in header] for r in rows], source=source)


#: Anything :func:`open_table` reads: a path, a text stream, a :class:`Table`, mappings, or a
#: source of a registered kind (:data:`SOURCE_KINDS`).
TableSource = Source | Table | Iterable[Mapping[str, object]] | Any


@attrs.frozen
class SourceKind:
    """A kind of table source beyond CSV: which sources it reads, and how.

    Attributes
    ----------
    accepts : callable
        ``accepts(source) -> bool``: whether this kind reads ``source`` (a path with a
        suffix, an object of some type ...).
    read : callable
        ``read(source) -> Table``; the result is checked like any other table.
    """

    accepts: Callable[[Any], bool]
    read: Callable[[Any], Table]


#: The registry of table sources beyond CSV, asked in order before a source is read as CSV:
#: name -> :class:`SourceKind`. Holds ``"spreadsheet"`` and ``"dataframe"`` (registered at
#: the end of this module); every other path is CSV.
SOURCE_KINDS: dict[str, SourceKind] = {}


def _cell(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def source_name(source: Source | Table) -> str:
    """The name of a source for messages: the path, a stream's ``name``, a table's source."""
    if isinstance(source, Table):
        return source.source
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def read_text(source: Source) -> str:
    """The text of a path (UTF-8, a byte-order mark removed) or of an open text stream.

    Raises
    ------
    InputError
        ``file-not-found``, ``not-utf8`` (with the line and character), ``unreadable-file``.
    """
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
                "not-utf8", tr("the file is not valid UTF-8 (line {line}, character {column}, "
                               "byte {start}); save it as UTF-8",
                               line=line, column=column,
                               start=e.start), file=os.fspath(source), row=line)]
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
            "not-utf8", tr("the text holds a lone surrogate {text!r} (line {line}), which no "
                           "UTF-8 file can contain; decode the file as UTF-8",
                           text=text[e.start], line=line), file=source_name(source),
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


def open_table(source: TableSource, *, delimiter: str | None = None) -> Table:
    r"""Read any table source into a checked :class:`Table`.

    Parameters
    ----------
    source : path, text stream, Table or iterable of mappings
        A source of a kind registered in :data:`SOURCE_KINDS` (read by it); otherwise a path
        (``str`` or path-like) or an open text stream holding CSV; a :class:`Table` (checked);
        mappings, one per row (see :meth:`Table.from_records`).
    delimiter : str, optional
        Force a delimiter for CSV instead of detecting it from the header line.

    Returns
    -------
    Table

    Raises
    ------
    InputError
        ``file-not-found``, ``unreadable-file``, ``not-utf8``, ``bad-csv``, ``empty-file``,
        ``duplicate-column``, ``ragged-row`` -- every problem of the table at once.

    Examples
    --------
    >>> import io
    >>> t = open_table(io.StringIO("id;sex\n1;f\n\n2;m\n"))
    >>> t.header, t.lines, t.delimiter
    (('id', 'sex'), (2, 4), ';')
    >>> open_table([{"id": 1, "sex": "f"}, {"id": 2}]).rows
    (('1', 'f'), ('2', ''))
    """
    if isinstance(source, Table):
        return _checked(source)
    for kind in SOURCE_KINDS.values():
        if kind.accepts(source):
            table = kind.read(source)
            if not isinstance(table, Table):
                raise TypeError(f"a table reader returned {type(table).__name__}, not a Table")
            return _checked(table)
    if isinstance(source, (str, os.PathLike)):
        return _read_csv(source, delimiter=delimiter)
    if hasattr(source, "read"):
        return _read_csv(cast("IO[str]", source), delimiter=delimiter)
    return Table.from_records(source)


def _checked(table: Table) -> Table:
    """``table`` with the checks of a file (blank rows dropped; delimiter, cells kept)."""
    checked = Table.from_rows(table.header, table.rows, source=table.source, lines=table.lines,
                              cell_columns=table.cell_columns)
    return attrs.evolve(checked, delimiter=table.delimiter, header_line=table.header_line)


def _read_csv(source: Source, *, delimiter: str | None) -> Table:
    name = source_name(source)
    text = read_text(source)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise InputError.single("empty-file", "the file is empty; expected a header row",
                                file=name)
    if delimiter is None and name.lower().endswith(TSV_SUFFIXES):
        delimiter = "\t"
    delim = delimiter or _sniff_delimiter(first)
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delim)

    def cells() -> Iterator[tuple[int, list[str]]]:
        it = iter(reader)
        while True:
            try:
                row = next(it)
            except StopIteration:
                return
            except csv.Error as e:
                # Oversized cells (over csv.field_size_limit()), NUL bytes, an unclosed quote
                # at the end of the file: located, never a traceback.
                raise InputError([Problem("bad-csv", tr("unreadable CSV ({e}); check the quoting "
                                                        "from this line on", e=e), file=name,
                                          row=reader.line_num)]) from None
            yield reader.line_num, row

    return _assemble(name, cells(), delim)


def _assemble(name: str, located: Iterator[tuple[int, list[str]]], delim: str,
              cell_columns: tuple[int, ...] | None = None) -> Table:
    """The table of located cell rows: the first non-blank row is the header."""
    header: tuple[str, ...] | None = None
    header_line = 1
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for line, cells in located:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = tuple(c.strip() for c in cells)
            header_line = line
            seen: set[str] = set()
            for j, h in enumerate(header):
                if h.casefold() in seen:
                    cell = "" if cell_columns is None else \
                        f"cell {column_letters(cell_columns[j])}{line}: "
                    problems.append(Problem("duplicate-column", tr("{cell}the header names a "
                                                                   "column twice", cell=cell),
                                            file=name, row=line, column=h))
                seen.add(h.casefold())
            continue
        if len(cells) != len(header):
            problems.append(Problem("ragged-row", tr("expected {n_header} fields as in the "
                                                     "header, found {n_cells}",
                                                     n_header=len(header),
                                                     n_cells=len(cells)), file=name,
                                    row=line, value=delim.join(cells)))
            continue
        rows.append(tuple(cells))
        lines.append(line)
    if header is None:  # only blank cells, e.g. a lone quote '"' or '""'
        raise InputError.single("empty-file", "the file has no header row (every cell is "
                                "blank)", file=name)
    if problems:
        raise InputError(problems)
    return Table(header, tuple(rows), name, tuple(lines), delim, cell_columns, header_line)


def require_columns(table: Table, spec: Sequence[tuple[str, Sequence[str]]]) -> dict[str, int]:
    """Map each logical column to its position; report every missing one.

    Parameters
    ----------
    table : Table
    spec : sequence of (name, aliases)
        Each logical column and the header names accepted for it.

    Returns
    -------
    dict of str to int

    Raises
    ------
    InputError
        One ``missing-column`` per logical column the header lacks.
    """
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for logical, aliases in spec:
        idx = table.column(*aliases)
        if idx is None:
            problems.append(Problem("missing-column", tr("no {logical!r} column; expected one of "
                                                         "{aliases} (found {header})",
                                                         logical=logical,
                                                         aliases=list(aliases),
                                                         header=list(table.header)),
                                    file=table.source, row=table.header_line, column=logical))
        else:
            found[logical] = idx
    if problems:
        raise InputError(problems)
    return found


def require_rows(table: Table) -> None:
    """Raise ``empty-file`` when the table has a header but no data rows."""
    if not table.rows:
        raise InputError.single("empty-file", "the file has a header but no data rows",
                                file=table.source)


def key_columns(table: Table) -> dict[str, int]:
    """Locate the category and value columns under any of the accepted header conventions.

    ``category,value``, ``category,name`` and ``category,feature``; or ``feature,value`` and
    ``feature,name``.
    """
    spec: list[tuple[str, Sequence[str]]]
    if table.column("category") is not None:  # category,value | category,name | category,feature
        spec = [("category", ["category"]), ("value", ["value", "name", "feature"])]
    else:  # feature,value | feature,name
        spec = [("category", ["feature", "category"]), ("value", ["value", "name"])]
    return require_columns(table, spec)


# ------------------------------------------------------------------------------------ writing
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


def write_rows(dest: Source, header: list[str], rows: list[list[str]], delimiter: str, *,
               escape: Iterable[int] = (), line_offset: int = 2) -> tuple[Problem, ...]:
    """Write a CSV (or a workbook); returns the formula-like cells of a CSV.

    Cells in the ``escape`` columns that look like formulas get a leading apostrophe (the
    convention spreadsheet programs display as text); every formula-like cell, escaped or
    not, is reported (file, line, column; never the value). Paths are written atomically.

    A path ending in ``.xlsx`` is written as a workbook of one sheet (named after the file)
    by :func:`civicsortition.io.spreadsheets.write_workbook` (extra ``excel``): every cell is
    stored as text, or as a number when it reads back as the same text, never as a formula,
    so nothing needs neutralising and nothing is reported. A path ending in ``.tsv`` is
    written with tabs whatever ``delimiter`` says; other spreadsheet formats (``.ods``,
    ``.xls``) and ``PATH#SHEET`` are refused.

    Parameters
    ----------
    dest : path or text stream
    header : list of str
    rows : list of list of str
    delimiter : str
    escape : iterable of int
        Columns whose formula-like cells are neutralised.
    line_offset : int
        Line number of the first row in the reports (the header is line 1).

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records.

    Raises
    ------
    InputError
        ``unsupported-output`` for a spreadsheet destination other than a whole ``.xlsx``
        file; ``missing-dependency`` when writing ``.xlsx`` without openpyxl.
    """
    name = source_name(dest)
    if isinstance(dest, (str, os.PathLike)):
        sheet = split_sheet(dest)
        if sheet is not None:
            path, _ = sheet
            unwritable = output_problem(dest)
            if unwritable is not None and unwritable.code == "unsupported-output":
                raise InputError([attrs.evolve(unwritable, file=name)])
            from .spreadsheets import write_workbook

            write_workbook(path, {_sheet_title(path): (header, rows)})
            return ()
        if name.lower().endswith(TSV_SUFFIXES):
            delimiter = "\t"
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


def write_table(dest: Source, header: Sequence[str], rows: Iterable[Sequence[object]], *,
                delimiter: str = ",", escape: Iterable[int] = ()) -> tuple[Problem, ...]:
    r"""Write a table to CSV, TSV or ``.xlsx``, chosen by the destination's name.

    The short form of :func:`write_rows`: cells are converted with :func:`cell_to_text`
    (``None`` is empty, ``17.0`` is ``17``, dates are ISO 8601), the first row is line 2.

    Parameters
    ----------
    dest : path or text stream
        ``*.xlsx`` is a workbook (extra ``excel``), ``*.tsv`` tab-separated, anything else
        (and every stream) CSV; paths are written atomically.
    header : sequence of str
    rows : iterable of sequences
    delimiter : str
        For CSV.
    escape : iterable of int
        Columns whose formula-like cells a CSV neutralises (see :func:`write_rows`).

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records of a CSV.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> write_table(out, ["id", "age"], [["p1", 41.0], ["p2", None]])
    ()
    >>> out.getvalue()
    'id,age\np1,41\np2,\n'
    """
    return write_rows(dest, [str(h) for h in header],
                      [[cell_to_text(c) for c in row] for row in rows], delimiter, escape=escape)


def _sheet_title(path: str) -> str:
    """A valid sheet name from a file name: its stem, without ``[]:*?/`` or a backslash."""
    stem = os.path.splitext(os.path.basename(path))[0]
    title = re.sub(r"[\[\]:*?/\\]", "_", stem).strip("'")[:31]
    return title or "Sheet1"


# --------------------------------------------------------------------- the registered kinds
def _is_spreadsheet(source: object) -> bool:
    return isinstance(source, (str, os.PathLike)) and split_sheet(source) is not None


def _read_spreadsheet(source: Any) -> Table:
    from .spreadsheets import read_sheet

    return read_sheet(source)


def _is_dataframe(source: object) -> bool:
    if isinstance(source, (str, bytes, os.PathLike, Table, Mapping, list, tuple)) \
            or hasattr(source, "read"):
        return False
    from .dataframes import is_dataframe

    return is_dataframe(source)


def _read_dataframe(source: Any) -> Table:
    from .dataframes import read_dataframe

    return read_dataframe(source)


SOURCE_KINDS["spreadsheet"] = SourceKind(_is_spreadsheet, _read_spreadsheet)
SOURCE_KINDS["dataframe"] = SourceKind(_is_dataframe, _read_dataframe)
