"""Spreadsheets: ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls`` and ``.ods`` in, ``.xlsx`` out.

Optional extra ``excel``: `python-calamine <https://pypi.org/project/python-calamine/>`_ reads
every format (fast, no formulas evaluated: the value a spreadsheet program last computed is
read) and `openpyxl <https://pypi.org/project/openpyxl/>`_ writes ``.xlsx``. Neither is
imported until a spreadsheet is read or written; without them the error says how to install
them.

Every table reader of :mod:`civicsortition.io` accepts a spreadsheet through
:func:`~civicsortition.io.tables.open_table` (registered in
:data:`~civicsortition.io.tables.SOURCE_KINDS`): ``read_people("pool.xlsx#Respondents",
...)``. ``PATH#SHEET`` chooses a sheet by name (case-insensitively when the exact name is
absent); without it the first visible sheet is read. The table is the sheet's used range: the
first non-blank row is the header and may start anywhere (``C3``); blank rows, and columns
blank in every row, are skipped.

Cells become the text a CSV file would hold (:func:`~civicsortition.io.tables.cell_to_text`):
whole numbers without ``.0`` (``17``), other numbers in their shortest form, dates as
``YYYY-MM-DD``, booleans ``true``/``false``, empty cells ``""``. Problems are located in the
spreadsheet's own terms: the file is ``PATH#SHEET`` (with the sheet's name even when none was
given), the row is the spreadsheet's row number, and the table knows the column letter of every
column (:meth:`~civicsortition.io.tables.Table.cell_name` -> ``"B17"``).

:func:`write_workbook` writes one or several sheets into one ``.xlsx`` atomically (the peer
library's one-workbook layout: a categories sheet and a respondents sheet);
:func:`~civicsortition.io.tables.write_rows` uses it for every ``.xlsx`` destination.
"""

from __future__ import annotations

import io as _stdio
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from .._i18n import tr
from ..errors import InputError, Problem
from ._cells import cell_to_text, column_letters, optional_module, split_sheet
from .files import atomic_write
from .tables import Table, _assemble

__all__ = ["read_sheet", "sheet_names", "write_workbook"]

_READ_PURPOSE = "reading spreadsheets (.xlsx, .xls, .ods)"
_INVALID_TITLE = frozenset("[]:*?/\\")
# Characters XML 1.0 (hence .xlsx) cannot hold: C0 controls but tab, LF and CR.
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}
_MAX_EXACT_INT = 10**15  # larger integers lose digits in a spreadsheet program


def _workbook(path: str) -> Any:
    calamine = optional_module("python_calamine", "excel", _READ_PURPOSE, file=path)
    if not os.path.exists(path):
        raise InputError.single("file-not-found", "no such file", file=path)
    try:
        return calamine.CalamineWorkbook.from_path(path)
    except Exception as e:  # CalamineError, ZipError, XmlError, PasswordError, OSError
        raise InputError.single("unreadable-file", tr("not a readable spreadsheet ({e})", e=e),
                                file=path) from None


def sheet_names(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The names of the sheets of a workbook, in workbook order.

    Parameters
    ----------
    path : path
        A spreadsheet file (a ``#SHEET`` suffix is ignored).

    Returns
    -------
    tuple of str

    Raises
    ------
    InputError
        ``file-not-found``, ``unreadable-file``, ``missing-dependency``.
    """
    split = split_sheet(path)
    book = _workbook(split[0] if split else os.fspath(path))
    return tuple(book.sheet_names)


def _choose(book: Any, path: str, wanted: str | None) -> str:
    names: list[str] = list(book.sheet_names)
    if not names:
        raise InputError.single("empty-file", "the workbook has no sheets", file=path)
    if wanted is None:
        calamine = optional_module("python_calamine", "excel", _READ_PURPOSE, file=path)
        visible = [m.name for m in book.sheets_metadata
                   if m.visible == calamine.SheetVisibleEnum.Visible]
        return visible[0] if visible else names[0]
    if wanted in names:
        return wanted
    folded = [n for n in names if n.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InputError.single(
        "missing-sheet", tr("no sheet named {wanted!r}; the workbook's sheets are {sheets}",
                            wanted=wanted, sheets=", ".join(repr(n) for n in names)),
        file=path, value=wanted)


def read_sheet(source: str | os.PathLike[str]) -> Table:
    """Read one sheet of a spreadsheet into a :class:`~civicsortition.io.tables.Table`.

    Parameters
    ----------
    source : path
        ``PATH`` or ``PATH#SHEET`` with ``PATH`` ending in ``.xlsx``, ``.xlsm``, ``.xlsb``,
        ``.xls`` or ``.ods``.

    Returns
    -------
    Table
        Named ``PATH#SHEET``; ``lines`` are the spreadsheet's row numbers and
        ``cell_columns`` its column positions (``0`` is ``A``).

    Raises
    ------
    InputError
        ``missing-dependency`` (python-calamine is not installed), ``file-not-found``,
        ``unreadable-file``, ``missing-sheet`` (naming the sheets there are), ``empty-file``,
        ``duplicate-column`` (naming its cell).
    """
    split = split_sheet(source)
    if split is None:
        raise ValueError(f"not a spreadsheet path: {os.fspath(source)!r}")
    path, wanted = split
    book = _workbook(path)
    try:
        title = _choose(book, path, wanted)
        grid = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
    finally:
        book.close()
    name = f"{path}#{title}"
    texts = [[cell_to_text(v) for v in row] for row in grid]
    width = max((len(r) for r in texts), default=0)
    used = tuple(j for j in range(width)
                 if any(j < len(r) and r[j].strip() for r in texts))
    located = ((i + 1, [r[j] if j < len(r) else "" for j in used]) for i, r in enumerate(texts))
    return _assemble(name, located, ",", used)


# ------------------------------------------------------------------------------------ writing
def _value(text: str) -> str | int | float:
    """The number a cell holds when it reads back as the same text, else the text itself."""
    if not text or text[0] not in "-0123456789" or text.strip() != text:
        return text
    try:
        whole = int(text)
    except ValueError:
        pass
    else:
        return whole if str(whole) == text and abs(whole) < _MAX_EXACT_INT else text
    try:
        x = float(text)
    except ValueError:
        return text
    if math.isfinite(x) and not x.is_integer() and repr(x) == text:
        return x
    return text


def _check_title(title: str, path: str) -> None:
    if not title or len(title) > 31 or _INVALID_TITLE & set(title) or title[0] == "'" \
            or title[-1] == "'":
        raise InputError.single("bad-sheet-name", "a sheet name has 1 to 31 characters, none "
                                "of []:*?/\\ and no apostrophe at either end", file=path,
                                value=title)


def write_workbook(dest: str | os.PathLike[str],
                   sheets: Mapping[str, tuple[Sequence[str], Sequence[Sequence[str]]]]
                   ) -> None:
    """Write sheets of text cells into one ``.xlsx`` workbook, atomically.

    A cell that is a number written the way it reads back (``17``, ``-3``, ``0.25``; not
    ``007`` or ``1e5``) is stored as a number, every other cell as text -- never as a
    formula, so a cell such as ``=HYPERLINK(...)`` is shown, not evaluated, and reads back
    unchanged. The header row is bold and frozen.

    Parameters
    ----------
    dest : path
        Ending in ``.xlsx``; replaced as a whole (other sheets of an existing file are not
        kept).
    sheets : mapping of str to (header, rows)
        Sheet name -> its header and rows, in workbook order.

    Raises
    ------
    InputError
        ``missing-dependency`` (openpyxl is not installed), ``bad-sheet-name``,
        ``unwritable-cell`` (a control character, which ``.xlsx`` cannot hold), each located.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from civicsortition.io import open_table
    >>> book = pathlib.Path(tempfile.mkdtemp()) / "pool.xlsx"
    >>> write_workbook(book, {"categories": (["feature", "value", "min", "max"],
    ...                                      [["sex", "f", "1", "2"]]),
    ...                       "respondents": (["id", "sex"], [["p1", "f"]])})
    >>> open_table(f"{book}#respondents").rows
    (('p1', 'f'),)
    """
    path = os.fspath(dest)
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    openpyxl = optional_module("openpyxl", "excel", "writing .xlsx files", file=path)
    cell_module = optional_module("openpyxl.cell", "excel", "writing .xlsx files", file=path)
    styles = optional_module("openpyxl.styles", "excel", "writing .xlsx files", file=path)
    problems: list[Problem] = []
    for title, (header, rows) in sheets.items():
        _check_title(title, path)
        for r, row in enumerate([list(header), *rows]):
            problems += [Problem("unwritable-cell", tr("cell {j}{value}: a control character, "
                                                       "which .xlsx cannot hold",
                                                       j=column_letters(j),
                                                       value=r + 1), file=f"{path}#{title}",
                                 row=r + 1, column=str(header[j]) if j < len(header) else None)
                         for j, text in enumerate(row) if _CONTROL & set(text)]
    if problems:
        raise InputError(problems)
    book = openpyxl.Workbook(write_only=True)
    bold = styles.Font(bold=True)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        for r, row in enumerate([list(header), *rows]):
            out = []
            for text in row:
                cell = cell_module.WriteOnlyCell(sheet, value=_value(text) if r else text)
                if cell.data_type == "f":  # text starting with "=": text, not a formula
                    cell.data_type = "s"
                if not r:
                    cell.font = bold
                out.append(cell)
            sheet.append(out)
    buffer = _stdio.BytesIO()
    book.save(buffer)
    atomic_write(path, buffer.getvalue())
