"""Targets (quota) files: ``feature,value,min,max[,min_flex,max_flex]``, read and written.

The aliases ``category,name,...`` and ``category,feature,...`` (the layout of the public
example instances) are read too; ``min_flex``/``max_flex`` may be empty; the panel size is not
part of the file. A joint (intersectional) row names two or more categories joined by ``×``
(or ``*``) and one value of each joined the same way: ``sex×age,female×18-29,2,4``; each of
its categories needs rows of its own in the file. :func:`write_targets` may append the
provenance columns ``share,exact_quota,seats,method,band``; :func:`read_targets` reads them back
into each quota's :class:`~civicsortition.quotas.QuotaProvenance` when they are present (they
never change a bound), so the audit report of a run from files shows where each quota came
from.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import attrs

from .._i18n import tr
from ..errors import InputError, Problem
from ..quotas import QuotaProvenance, Quotas, ValueQuota, joint_problems
from .tables import (
    Source,
    TableSource,
    key_columns,
    open_table,
    require_columns,
    require_rows,
    write_rows,
)

__all__ = ["PROVENANCE_COLUMNS", "read_targets", "write_targets"]

#: The provenance columns :func:`write_targets` appends with ``provenance=True``.
PROVENANCE_COLUMNS = ("share", "exact_quota", "seats", "method", "band")
_TRUE = ("true", "yes", "1")


def _provenance(table: Any, cells: tuple[str, ...], cols: dict[str, int | None], line: int,
                problems: list[Problem]) -> QuotaProvenance | None:
    """The row's provenance, if the file has the columns and the row fills them."""
    texts = {k: cells[i].strip() for k, i in cols.items() if i is not None}
    if not all(texts.get(k) for k in PROVENANCE_COLUMNS):
        return None
    try:
        share, exact = Fraction(texts["share"]), Fraction(texts["exact_quota"])
        seats = int(texts["seats"])
        if not 0 <= share <= 1 or exact < 0 or seats < 0:
            raise ValueError("out of range")
    except (ValueError, ZeroDivisionError):
        problems.append(Problem("bad-provenance", "share must be a fraction in [0, 1] (such as "
                                "543/1000 or 0.543), exact_quota a fraction >= 0 and seats a "
                                "whole number >= 0", file=table.source, row=line,
                                value=",".join(texts[k] for k in ("share", "exact_quota",
                                                                   "seats"))))
        return None
    return QuotaProvenance(share, exact, seats, texts["method"], texts["band"],
                           floor_applied=texts.get("floor_applied", "").casefold() in _TRUE,
                           tie=texts.get("tie", "").casefold() in _TRUE)


def _parse_int(text: str, *, problems: list[Problem], where: dict[str, Any], what: str
               ) -> int | None:
    """A quota bound: a whole number >= 0 (``3`` and ``3.0``), or ``None`` with a problem."""
    s = text.strip()
    try:
        x = float(s)
    except ValueError:
        problems.append(Problem("not-a-number", tr("{what} must be a whole number", what=what),
                                value=text,
                                **where))
        return None
    if not x.is_integer():
        problems.append(Problem("not-an-integer", tr("{what} must be a whole number", what=what),
                                value=text,
                                **where))
        return None
    if x < 0:
        problems.append(Problem("negative-quota", tr("{what} must be >= 0", what=what),
                                value=text, **where))
        return None
    return int(x)


def read_targets(source: TableSource, panel_size: int, *, delimiter: str | None = None
                 ) -> Quotas:
    """Read a targets (quota) file.

    Parameters
    ----------
    source : path, text stream or Table
        ``feature,value,min,max[,min_flex,max_flex]`` (or ``category,name,...`` or
        ``category,feature,...``), optionally followed by the provenance columns
        ``share,exact_quota,seats,method,band`` (and ``floor_applied``, ``tie``) that
        :func:`write_targets` writes; a row with all five filled gets a
        :class:`~civicsortition.quotas.QuotaProvenance`. Other columns are ignored. Anything
        :func:`~civicsortition.io.tables.open_table` reads.
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
        ``min-greater-than-max``, ``bad-flex``, ``duplicate-quota``, ``bad-provenance``;
        for joint rows ``joint-value-parts``, ``repeated-category``, ``empty-name``,
        ``empty-value``, ``unknown-category`` (a category without rows of its own) and
        ``unknown-value`` (a part that is not a value of its category).
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        cols = key_columns(table)
        cols.update(require_columns(table, [("min", ["min"]), ("max", ["max"])]))
        flex = {k: table.column(k) for k in ("min_flex", "max_flex")}
        prov_cols = {k: table.column(k) for k in (*PROVENANCE_COLUMNS, "floor_applied", "tie")}
        with_provenance = all(prov_cols[k] is not None for k in PROVENANCE_COLUMNS)
        require_rows(table)
        problems: list[Problem] = []
        entries: list[ValueQuota] = []
        lines: list[int] = []
        seen: dict[object, int] = {}
        for line, cells in table.located():
            cat, val = cells[cols["category"]].strip(), cells[cols["value"]].strip()
            row_ok = True
            for logical in ("category", "value"):
                if not cells[cols[logical]].strip():
                    problems.append(Problem("missing-value", tr("the {logical} is empty",
                                                                logical=logical),
                                            file=table.source, row=line,
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
                where = {"file": table.source, "row": line, "column": table.header[idx]}
                nums[logical] = _parse_int(text, problems=problems, where=where,
                                           what=f"{logical} of {cat}={val}")
                row_ok = row_ok and nums[logical] is not None
            if not row_ok:
                continue
            lo, hi = nums["min"], nums["max"]
            assert lo is not None  # guaranteed by row_ok
            assert hi is not None
            q = ValueQuota(cat, val, lo, hi, nums["min_flex"], nums["max_flex"])
            key = q.key
            if key in seen:
                problems.append(Problem("duplicate-quota", tr("{cat}={val} already has a quota "
                                                              "on line {seen}",
                                                              cat=q.category,
                                                              val=q.value,
                                                              seen=seen[key]),
                                        file=table.source, row=line,
                                        value=q.value))
                continue
            seen[key] = line
            if with_provenance:
                q = attrs.evolve(q, provenance=_provenance(table, cells, prov_cols, line,
                                                           problems))
            for p in q.problems():
                problems.append(attrs.evolve(p, file=table.source, row=line))
            entries.append(q)
            lines.append(line)
        for n, p in joint_problems(entries):
            problems.append(attrs.evolve(p, file=table.source, row=lines[n]))
        if problems:
            raise InputError(problems)
        return Quotas(panel_size, entries)


def write_targets(dest: Source, quotas: Quotas, *, provenance: bool = False
                  ) -> tuple[Problem, ...]:
    """Write ``quotas`` as ``feature,value,min,max[,min_flex,max_flex]``.

    Flex columns are written when any entry has them. With ``provenance=True`` the columns
    ``share,exact_quota,seats,method,band`` are appended (exact fractions as ``p/q``);
    :func:`read_targets` reads them back as provenance.

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    quotas : Quotas
    provenance : bool

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records of cells that look like spreadsheet formulas.
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
    return write_rows(dest, header, rows, ",")
