"""Registrations: the replies to the letters, validated into a pool and written as a people file.

:func:`read_registrations` reads a registrations file (any columns; the field names are its
headers) and validates it with :func:`~civicsortition.registrations.validate_registrations`,
rejections carrying the file's line numbers. :func:`write_registrations` writes the accepted
pool as the people file ``select`` reads, and the rejections for the organisers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Problem
from ..quotas import Quotas
from ..registrations import Registrations, validate_registrations
from ..strata import Strata
from .tables import Source, TableSource, open_table, require_rows, write_rows

__all__ = ["read_registrations", "write_registration_records", "write_registrations"]


def read_registrations(source: TableSource, strata: Strata | Quotas, *,
                       delimiter: str | None = None, **options: Any) -> Registrations:
    """Read a registrations file and validate it (see ``validate_registrations``).

    Rejections carry the file's line numbers. ``options`` are passed on (``reference_date`` is
    required; field names are the file's headers).

    Parameters
    ----------
    source : path, text stream or Table
        Anything :func:`~civicsortition.io.tables.open_table` reads.
    strata : Strata or Quotas
        The categories and values a registration must have.
    delimiter : str, optional
    **options
        For :func:`~civicsortition.registrations.validate_registrations`.

    Returns
    -------
    Registrations
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        require_rows(table)
        records = [dict(zip(table.header, cells, strict=True)) for cells in table.rows]
        return validate_registrations(records, strata, rows=list(table.lines), **options)


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

    Parameters
    ----------
    dest : path or text stream
    registrations : Registrations
    rejections : path or text stream, optional
    escape_formulas : bool

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records (file, line, column; no value).
    """
    pool = registrations.pool
    header = ["id", *pool.strata.names, "address"]
    rows = [[rec["id"], *(rec[c] for c in pool.strata.names), rec.get("household", "")]
            for rec in pool.records()]
    flagged = write_rows(dest, header, rows, ",")
    if rejections is not None:
        flagged += write_rows(rejections, ["row", "code", "field", "value", "message"],
                              [[str(r.row), r.code, r.field or "", r.value or "", r.message]
                               for r in registrations.rejections], ",",
                              escape=[3] if escape_formulas else [])
    return flagged


def write_registration_records(dest: Source, records: Sequence[Mapping[str, Any]], *,
                               escape_formulas: bool = True) -> tuple[Problem, ...]:
    """Write registrations as received (one row per record) for :func:`read_registrations`.

    The columns are the union of the records' fields, in order of first appearance; a missing
    field is an empty cell. This is the organisers' file (it holds names and birth dates): with
    ``escape_formulas`` formula-like cells get a leading apostrophe.

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    records : sequence of mapping
        For example :func:`civicsortition.examples.rustavi_registrations`.
    escape_formulas : bool

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records (file, line, column; no value).
    """
    header: list[str] = []
    for rec in records:
        header += [str(k) for k in rec if str(k) not in header]
    rows = [["" if rec.get(h) is None else str(rec.get(h)) for h in header] for rec in records]
    return write_rows(dest, header, rows, ",",
                      escape=range(len(header)) if escape_formulas else ())
