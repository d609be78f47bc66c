"""Census files: population shares per category value, ``category,value,share``.

The last column is ``share`` (fractions of 1), ``percent`` or ``count`` (population counts;
``population`` is an alias); ``feature``/``name`` are accepted for the first two columns as in
targets files. The domain object is :class:`civicsortition.census.Census`.

Cross tables sit in the same file: a category joining two categories with ``×`` (or ``*``)
and values joining one value of each, ``sex×age,female×18-29,10234``, one row per combination;
they are read with the same share, percent or count column.
"""

from __future__ import annotations

from typing import Any

from .._i18n import tr
from ..census import DEFAULT_SHARE_TOLERANCE, Census
from ..errors import InputError, Problem
from ..strata import normalise_joint, split_joint
from .tables import Source, TableSource, key_columns, open_table, require_rows, write_rows

__all__ = ["read_census", "write_census"]


def read_census(source: TableSource, *, tolerance: Any = DEFAULT_SHARE_TOLERANCE,
                delimiter: str | None = None) -> Census:
    """Read census shares: ``category,value,share`` (or ``percent``, ``count``/``population``).

    Parameters
    ----------
    source : path, text stream or Table
        Anything :func:`~civicsortition.io.tables.open_table` reads.
    tolerance : number
        Largest allowed distance of a category's shares from summing to 1 (see
        :meth:`Census.from_shares`).
    delimiter : str, optional

    Returns
    -------
    Census
        With the cross tables of the file (rows whose category is a joint name).
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        cols = key_columns(table)
        kinds = [("share", "share"), ("percent", "percent"), ("count", "count"),
                 ("population", "count")]
        found = [(table.column(h), kind) for h, kind in kinds if table.column(h) is not None]
        if not found:
            raise InputError.single("missing-column", tr("no share column; expected one of "
                                                         "'share', 'percent', 'count' or "
                                                         "'population' (found {header})",
                                                         header=list(table.header)),
                                    file=table.source, row=1,
                                    column="share")
        idx, kind = found[0]
        assert idx is not None
        require_rows(table)
        shares: dict[str, dict[str, str]] = {}
        rows: dict[tuple[str, str], int] = {}
        names: dict[str, str] = {}
        problems: list[Problem] = []
        for line, cells in table.located():
            cat, val = cells[cols["category"]].strip(), cells[cols["value"]].strip()
            if not cat or not val:
                problems.append(Problem("missing-value", "category and value must not be empty",
                                        file=table.source, row=line))
                continue
            if len(split_joint(cat)) > 1:  # a cross table: written with ×
                cat, val = normalise_joint(cat), normalise_joint(val)
            cat = names.setdefault(cat.casefold(), cat)
            if val in shares.setdefault(cat, {}):
                problems.append(Problem("duplicate-value", tr("{cat}={val} already appears on "
                                                              "line {rows}",
                                                              cat=cat,
                                                              val=val,
                                                              rows=rows[(cat, val)]),
                                        file=table.source, row=line,
                                        value=val))
                continue
            shares[cat][val] = cells[idx]
            rows[(cat, val)] = line
        if problems:
            raise InputError(problems)
        return Census.from_shares(shares, tolerance=tolerance, kind=kind, source=table.source,
                                  rows=rows)


def write_census(dest: Source, census: Census) -> tuple[Problem, ...]:
    """Write ``category,value,share`` with every share as an exact fraction (``543/1000``).

    Cross tables follow the single categories, under their joint names.

    :func:`read_census` reads the file back to the same shares.

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    census : Census

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records of cells that look like spreadsheet formulas.
    """
    rows = [[category, value, str(share)] for category, values in (*census.data, *census.joint)
            for value, share in values]
    return write_rows(dest, ["category", "value", "share"], rows, ",")
