"""What every kind of table shares: cell text, A1 column names, sheet paths, optional packages.

Used by :mod:`~civicsortition.io.tables` (which re-exports every name here),
:mod:`~civicsortition.io.spreadsheets` and :mod:`~civicsortition.io.dataframes`; imports
nothing beyond the standard library and :mod:`civicsortition.errors`.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import importlib.util
import math
import os
from types import ModuleType

from .._i18n import tr
from ..errors import InputError, Problem

__all__ = [
    "SPREADSHEET_SUFFIXES",
    "TSV_SUFFIXES",
    "MissingDependencyError",
    "cell_to_text",
    "column_letters",
    "optional_module",
    "split_sheet",
]

#: File name endings read as spreadsheets (case-insensitive); only ``.xlsx`` is also written.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TSV_SUFFIXES = (".tsv", ".tab")


class MissingDependencyError(InputError, ImportError):
    """An optional package a source or destination needs is not installed.

    Both an :class:`~civicsortition.errors.InputError` (code ``missing-dependency``, so the
    command line reports it like any input problem) and an :class:`ImportError`; the message
    holds the ``pip install`` command that fixes it.
    """


def optional_module(name: str, extra: str, purpose: str, *, file: str | None = None
                    ) -> ModuleType:
    """Import the optional package ``name`` or explain how to install it.

    Parameters
    ----------
    name : str
        Module to import (for example ``"python_calamine"``).
    extra : str
        The extra of ``civicsortition`` that installs it (``"excel"``, ``"frames"``).
    purpose : str
        What needs it, for the message (``"reading .xlsx files"``).
    file : str, optional
        The source or destination concerned.

    Returns
    -------
    module

    Raises
    ------
    MissingDependencyError
        ``missing-dependency``, naming ``pip install 'civicsortition[extra]'``.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependencyError([Problem(
            "missing-dependency", tr("{purpose} needs the Python package {name!r}, which is not "
                                     "installed; install it with: pip install "
                                     "'civicsortition[{extra}]'",
                                     purpose=purpose, name=name,
                                     extra=extra), file=file,
            value=name)]) from None


def column_letters(index: int) -> str:
    """The spreadsheet name of the 0-based column ``index``: ``A`` ... ``Z``, ``AA`` ...

    Examples
    --------
    >>> column_letters(0), column_letters(25), column_letters(26), column_letters(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    if index < 0:
        raise ValueError(f"column index must be >= 0, got {index}")
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("A") + r) + letters
    return letters


def split_sheet(path: str | os.PathLike[str]) -> tuple[str, str | None] | None:
    """``(file, sheet)`` of a spreadsheet path, or ``None`` when ``path`` is no spreadsheet.

    A spreadsheet path ends in one of :data:`SPREADSHEET_SUFFIXES`, optionally followed by
    ``#SHEET`` naming a sheet (``sheet`` is ``None`` without it, or when it is empty).

    Examples
    --------
    >>> split_sheet("pool.xlsx#Respondents"), split_sheet("pool.ods"), split_sheet("pool.csv")
    (('pool.xlsx', 'Respondents'), ('pool.ods', None), None)
    """
    text = os.fspath(path)
    if text.lower().endswith(SPREADSHEET_SUFFIXES):
        return text, None
    at = text.find("#")
    while at != -1:
        if text[:at].lower().endswith(SPREADSHEET_SUFFIXES):
            return text[:at], text[at + 1:] or None
        at = text.find("#", at + 1)
    return None


def cell_to_text(value: object) -> str:
    """A spreadsheet or DataFrame cell as the text a CSV file would hold.

    ``None`` and missing values (NaN, ``NaT``, ``pd.NA``) become ``""``; whole numbers lose
    their ``.0`` (``17.0`` -> ``"17"``); other floats are their shortest round-trip text;
    booleans ``"true"``/``"false"``; dates and times ISO 8601 (a date-time at midnight is the
    date alone); NumPy scalars their Python value; text unchanged.

    Examples
    --------
    >>> import datetime as dt
    >>> [cell_to_text(v) for v in (17.0, 0.1, None, float("nan"), True, dt.date(2027, 3, 1))]
    ['17', '0.1', '', '', 'true', '2027-03-01']
    """
    if isinstance(value, str):
        return value if type(value) is str else str(value)
    if value is None:
        return ""
    item = getattr(value, "item", None)
    if getattr(value, "ndim", None) == 0 and callable(item):
        value = item()  # a NumPy (or similar) scalar
        if isinstance(value, str) or value is None:
            return value or ""
    try:
        if value != value:  # NaN, NaT, pd.NA
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None and value.time() == _dt.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def output_problem(dest: str | os.PathLike[str]) -> Problem | None:
    """Why a table cannot be written to ``dest`` (a spreadsheet name), or None if it can.

    Spreadsheets are written as whole ``.xlsx`` workbooks (no ``#SHEET``, no other format), and
    writing one needs openpyxl. Asked by the writers and, before any work, by
    :class:`~civicsortition.io.files.OutputPlan`.
    """
    sheet = split_sheet(dest)
    if sheet is None:
        return None
    path, name = sheet
    if name is not None or not path.lower().endswith(".xlsx"):
        return Problem("unsupported-output", "spreadsheets are written as whole .xlsx workbooks "
                       "(no other format, no #SHEET); name a .xlsx or .csv file",
                       file=os.fspath(dest))
    if importlib.util.find_spec("openpyxl") is None:
        return Problem("missing-dependency", "writing .xlsx needs openpyxl: pip install "
                       "'civicsortition[excel]'", file=os.fspath(dest))
    return None
