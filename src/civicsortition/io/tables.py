"""Tables: what every record reader reads, from a file, a stream or memory, with located rows.

A :class:`Table` is a header, the data rows (cells as text), the name of their source and, for
every row, its location: the line number a spreadsheet shows (the header is line 1). Every
record reader (targets, census, people, address frames, registrations, votes) takes any source
:func:`open_table` accepts and reports each problem with the file, line and column, so a new
kind of source -- a spreadsheet, a DataFrame -- is one function that builds a :class:`Table`
(for example with :meth:`Table.from_rows`), and every reader accepts its result unchanged.
Registered in :data:`SOURCE_KINDS`, the source itself is accepted too (``read_people(
"pool.xlsx", ...)``).

Text sources (paths and streams) are UTF-8 with or without a byte-order mark, delimited by
commas, semicolons or tabs (detected from the header line). Everywhere, header names are
trimmed and matched case-insensitively, rows whose cells are all blank are skipped, a header
naming a column twice and a row with the wrong number of cells are errors, and all problems
of a table are raised together in one :class:`~civicsortition.errors.InputError`.

The writing half, :func:`write_rows`, writes CSV that reads back unchanged and reports (and
optionally neutralises) cells a spreadsheet program would evaluate as formulas.
"""

from __future__ import annotations

import csv
import io as _stdio
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, Union, cast

import attrs

from ..errors import InputError, Problem
from .files import atomic_write

__all__ = [
    "FORMULA_START",
    "SOURCE_KINDS",
    "Source",
    "SourceKind",
    "Table",
    "TableSource",
    "formula_like",
    "key_columns",
    "open_table",
    "read_text",
    "require_columns",
    "require_rows",
    "source_name",
    "write_rows",
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

    @classmethod
    def from_rows(cls, header: Sequence[object], rows: Iterable[Sequence[object]], *,
                  source: str = "<table>", lines: Iterable[int] | None = None) -> Table:
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
        return _assemble(source, iter(located), ",")

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
#: name -> :class:`SourceKind`. Empty by default (every path is CSV).
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
            "no UTF-8 file can contain; decode the file as UTF-8", file=source_name(source),
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
    """``table`` with the checks of a file (blank rows dropped; its delimiter kept)."""
    checked = Table.from_rows(table.header, table.rows, source=table.source, lines=table.lines)
    return attrs.evolve(checked, delimiter=table.delimiter)


def _read_csv(source: Source, *, delimiter: str | None) -> Table:
    name = source_name(source)
    text = read_text(source)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise InputError.single("empty-file", "the file is empty; expected a header row",
                                file=name)
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
                raise InputError([Problem("bad-csv", f"unreadable CSV ({e}); check the "
                                          "quoting from this line on", file=name,
                                          row=reader.line_num)]) from None
            yield reader.line_num, row

    return _assemble(name, cells(), delim)


def _assemble(name: str, located: Iterator[tuple[int, list[str]]], delim: str) -> Table:
    """The table of located cell rows: the first non-blank row is the header."""
    header: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for line, cells in located:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = tuple(c.strip() for c in cells)
            seen: set[str] = set()
            for h in header:
                if h.casefold() in seen:
                    problems.append(Problem("duplicate-column", "the header names a column twice",
                                            file=name, row=line, column=h))
                seen.add(h.casefold())
            continue
        if len(cells) != len(header):
            problems.append(Problem("ragged-row", f"expected {len(header)} fields as in the "
                                    f"header, found {len(cells)}", file=name,
                                    row=line, value=delim.join(cells)))
            continue
        rows.append(tuple(cells))
        lines.append(line)
    if header is None:  # only blank cells, e.g. a lone quote '"' or '""'
        raise InputError.single("empty-file", "the file has no header row (every cell is "
                                "blank)", file=name)
    if problems:
        raise InputError(problems)
    return Table(header, tuple(rows), name, tuple(lines), delim)


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
            problems.append(Problem("missing-column", f"no {logical!r} column; expected one of "
                                    f"{list(aliases)} (found {list(table.header)})",
                                    file=table.source, row=1, column=logical))
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
    """Write a CSV; returns the formula-like cells (escaped ones in the ``escape`` columns).

    Cells in the ``escape`` columns that look like formulas get a leading apostrophe (the
    convention spreadsheet programs display as text); every formula-like cell, escaped or
    not, is reported (file, line, column; never the value). Paths are written atomically.

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
    """
    name = source_name(dest)
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
