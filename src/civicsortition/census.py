"""Population shares per category value (the census the quotas are derived from).

Besides one share table per category, a census may hold *cross tables*: the shares of every
combination of the values of two categories, under a joint name such as ``"sex×age"`` with
values ``"female×18-29"`` (``*`` is accepted for ``×``). :func:`~civicsortition.build_quotas`
derives joint quotas from them by biproportional apportionment
(:mod:`civicsortition.biproportional`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs

from ._deprecated import moved_names
from ._i18n import tr
from .errors import InputError, Problem
from .strata import Category, Strata, joint_name, normalise_joint, split_joint

__getattr__ = moved_names(__name__, {"rustavi_synthetic_census": "civicsortition.examples"})

__all__ = ["DEFAULT_SHARE_TOLERANCE", "Census"]

#: How far the shares of one category may sum from 1 before it is an error (0.5 percentage
#: points): published census tables are rounded, so exact sums are rare; anything larger is
#: almost always a typo or a missing row.
DEFAULT_SHARE_TOLERANCE = Fraction(1, 200)


#: Largest decimal exponent accepted in a number written as text: ``Fraction("1e999999999")``
#: would compute ``10**999999999`` (minutes and gigabytes for a 12-character cell).
_MAX_EXPONENT = 400
_EXPONENT = re.compile(r"[eE]\s*([-+]?[0-9_]+)\s*$")


def _exact(raw: Any, *, decimal_comma: bool) -> Fraction:
    """Exact value of a number given as Fraction, int, float or text.

    A single decimal comma (``"0,53"``) is accepted for shares and percentages, never for counts,
    where ``"31,200"`` would be ambiguous with a thousands separator.
    """
    if isinstance(raw, bool):
        raise ValueError("booleans are not numbers here")
    if isinstance(raw, float):
        return Fraction(str(raw))
    if isinstance(raw, str):
        raw = raw.strip()
        if decimal_comma and raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        exponent = _EXPONENT.search(raw)
        if exponent and abs(int(exponent.group(1).replace("_", "") or "0")) > _MAX_EXPONENT:
            raise ValueError(f"the exponent is beyond ±{_MAX_EXPONENT}")
    return Fraction(raw)


def _show(x: Fraction) -> str:
    """``x`` to 6 significant digits, for messages (never an OverflowError)."""
    try:
        return f"{float(x):.6g}"
    except OverflowError:
        return "more than 1e308"


def _freeze(shares: Mapping[str, Mapping[str, Fraction]]
            ) -> tuple[tuple[str, tuple[tuple[str, Fraction], ...]], ...]:
    return tuple((c, tuple(v.items())) for c, v in shares.items())


def _read(raw: Any, *, kind: str, cat: str, val: str, source: str | None, row: int | None,
          problems: list[Problem]) -> Fraction | None:
    """One share, count or percentage, exactly; ``None`` with a problem if it is not one."""
    try:
        x = _exact(raw, decimal_comma=kind != "count")
    except (TypeError, ValueError, ZeroDivisionError):
        problems.append(Problem("not-a-number", tr("the {kind} of {cat}={val} must "
                                                   "be a number",
                                                   kind=kind,
                                                   cat=cat,
                                                   val=val),
                                file=source, row=row, column=kind,
                                value=str(raw)))
        return None
    if x < 0:
        problems.append(Problem("negative-share", tr("the {kind} of {cat}={val} must "
                                                     "be >= 0",
                                                     kind=kind,
                                                     cat=cat,
                                                     val=val),
                                file=source, row=row, column=kind,
                                value=str(raw)))
        return None
    return x


def _total_problem(total: Fraction, *, kind: str, cat: str, tol: Fraction, scale: Fraction,
                   source: str | None) -> Problem | None:
    """The problem with a category's (or cross table's) total, if any."""
    if total == 0:
        return Problem("zero-total", tr("the {kind}s of category {cat!r} "
                                        "sum to zero", kind=kind, cat=cat),
                       file=source, column=cat)
    if kind != "count" and abs(total - scale) > tol * scale:
        return Problem(
            "shares-do-not-sum-to-one",
            tr("the {kind}s of category {cat!r} sum to {total}, expected {scale} "
               "within ±{value}; check for a missing or mistyped row",
               kind=kind, cat=cat, total=_show(total), scale=scale,
               value=_show(tol * scale)),
            file=source, column=cat, value=_show(total))
    return None


def _cross_tables(raw: Mapping[str, Mapping[str, Any]], singles: Mapping[str, Mapping[str, Any]],
                  *, kind: str, tol: Fraction, scale: Fraction, source: str | None,
                  rows: Mapping[tuple[str, str], int] | None, problems: list[Problem]
                  ) -> dict[str, dict[str, Fraction]]:
    """Validate and normalise the cross tables (joint names) against the single categories."""
    names = {c.casefold(): c for c in singles}
    out: dict[str, dict[str, Fraction]] = {}
    for given, values in raw.items():
        parts = split_joint(given)
        where: dict[str, Any] = {"file": source, "column": normalise_joint(given)}
        if len(parts) != 2 or len({p.casefold() for p in parts}) != 2 or not all(parts):
            problems.append(Problem("unsupported-joint", tr("cross table {name!r}: a census cross "
                                                            "table combines exactly two different "
                                                            "categories", name=given),
                                    value=given, **where))
            continue
        missing = [p for p in parts if p.casefold() not in names]
        if missing:
            problems.extend(Problem("unknown-category", tr("cross table {name!r} names category "
                                                           "{part!r}, which has no shares of its "
                                                           "own; expected one of {names}",
                                                           name=given, part=p,
                                                           names=list(singles)),
                                    value=p, **where) for p in missing)
            continue
        cats = [names[p.casefold()] for p in parts]
        name = joint_name(cats)
        if name in out:
            problems.append(Problem("duplicate-category", tr("cross table {name!r} is given "
                                                             "twice", name=name),
                                    value=name, **where))
            continue
        cells: dict[tuple[str, str], Fraction] = {}
        ok = True
        for val, number in values.items():
            vparts = split_joint(val)
            row = rows.get((given, val)) if rows else None
            if len(vparts) != 2:
                problems.append(Problem("joint-value-parts", tr("{name}={value}: a value of a "
                                                                "cross table names one value of "
                                                                "each of its {n} categories",
                                                                name=name, value=val, n=2),
                                        row=row, value=val, **where))
                ok = False
                continue
            bad = [(c, v) for c, v in zip(cats, vparts, strict=True) if v not in singles[c]]
            for c, v in bad:
                problems.append(Problem("unknown-value", tr("{name}={value}: {part!r} is not a "
                                                            "value of {category!r}; expected one "
                                                            "of {values}", name=name, value=val,
                                                            part=v, category=c,
                                                            values=list(singles[c])),
                                        row=row, value=val, **where))
            key = (vparts[0], vparts[1])
            x = _read(number, kind=kind, cat=name, val=val, source=source, row=row,
                      problems=problems)
            if bad or x is None:
                ok = False
                continue
            if key in cells:
                problems.append(Problem("duplicate-value", tr("{name}={value} is given twice",
                                                              name=name, value=val),
                                        row=row, value=val, **where))
                ok = False
                continue
            cells[key] = x
        if not ok:
            continue
        absent = [joint_name([a, b]) for a in singles[cats[0]] for b in singles[cats[1]]
                  if (a, b) not in cells]
        if absent:
            problems.append(Problem("missing-cell", tr("cross table {name!r} has no row for "
                                                       "{cells}; give every combination (0 for "
                                                       "an empty one)", name=name,
                                                       cells=absent),
                                    value=", ".join(absent), **where))
            continue
        total = sum(cells.values(), Fraction(0))
        problem = _total_problem(total, kind=kind, cat=name, tol=tol, scale=scale,
                                 source=source)
        if problem is not None:
            problems.append(problem)
            continue
        out[name] = {joint_name([a, b]): cells[(a, b)] / total for a in singles[cats[0]]
                     for b in singles[cats[1]]}
    return out


@attrs.frozen
class Census:
    """Population shares per value, for each category; every category's shares sum to 1.

    Construct with :meth:`from_shares` or :meth:`from_counts` (which validate and normalise);
    shares are exact fractions.

    Examples
    --------
    >>> c = Census.from_shares({"sex": {"female": "0.53", "male": "0.47"}})
    >>> c.share("sex", "male")
    Fraction(47, 100)
    """

    data: tuple[tuple[str, tuple[tuple[str, Fraction], ...]], ...]
    source: str | None = None
    #: Cross tables: ``(joint name, ((joint value, share), ...))`` in row-major order.
    joint: tuple[tuple[str, tuple[tuple[str, Fraction], ...]], ...] = ()

    @classmethod
    def from_shares(
        cls,
        shares: Mapping[str, Mapping[str, Any]],
        *,
        tolerance: Fraction | float | str = DEFAULT_SHARE_TOLERANCE,
        kind: str = "share",
        source: str | None = None,
        rows: Mapping[tuple[str, str], int] | None = None,
    ) -> Census:
        """Validate and normalise shares.

        Parameters
        ----------
        shares : mapping
            ``{category: {value: share}}``. Shares may be Fractions, ints, decimal strings or
            floats (floats are read through their shortest decimal representation). A key
            joining two categories with ``×`` (or ``*``), such as ``"sex×age"``, is a *cross
            table*: ``{"female×18-29": share, ...}`` with one entry for every combination of
            the two categories' values (0 for an empty one), read with the same ``kind`` and
            normalised to sum to 1 over the table.
        tolerance : number
            For ``kind="share"`` (``"percent"``), the largest allowed distance of a category's
            sum from 1 (100). Ignored for counts.
        kind : {"share", "percent", "count"}
            How to read the numbers. Counts are normalised without a sum check.
        source, rows
            File name and line numbers for error reports (used by :mod:`civicsortition.io`).

        Raises
        ------
        InputError
            ``"not-a-number"``, ``"negative-share"``, ``"shares-do-not-sum-to-one"``,
            ``"zero-total"`` or ``"no-values"``, naming the category and value at fault; for
            a cross table also ``"unsupported-joint"`` (not two different categories),
            ``"unknown-category"``, ``"unknown-value"``, ``"joint-value-parts"``,
            ``"duplicate-value"``, ``"duplicate-category"`` and ``"missing-cell"``.

        Examples
        --------
        >>> c = Census.from_counts({"sex": {"f": 52, "m": 48}, "age": {"young": 40, "old": 60},
        ...                         "sex*age": {"f*young": 20, "f*old": 32, "m*young": 20,
        ...                                     "m*old": 28}})
        >>> c.joint_names, c.share("sex×age", "m×old")
        (('sex×age',), Fraction(7, 25))
        """
        if kind not in ("share", "percent", "count"):
            raise InputError.single("bad-kind", "kind must be 'share', 'percent' or 'count'",
                                    value=kind)
        tol = Fraction(str(tolerance)) if isinstance(tolerance, float) else Fraction(tolerance)
        scale = Fraction(100) if kind == "percent" else Fraction(1)
        problems: list[Problem] = []
        out: dict[str, dict[str, Fraction]] = {}
        if not shares:
            problems.append(Problem("no-values", "the census has no categories", file=source))
        joint = {c: v for c, v in shares.items() if len(split_joint(c)) > 1}
        for cat, values in shares.items():
            if cat in joint:
                continue
            exact: dict[str, Fraction] = {}
            if not values:
                problems.append(Problem("no-values", tr("category {cat!r} has no values", cat=cat),
                                        file=source, column=cat))
            for val, raw in values.items():
                row = rows.get((cat, val)) if rows else None
                x = _read(raw, kind=kind, cat=cat, val=val, source=source, row=row,
                          problems=problems)
                if x is not None:
                    exact[val] = x
            total = sum(exact.values(), Fraction(0))
            if values and len(exact) == len(values):
                problem = _total_problem(total, kind=kind, cat=cat, tol=tol, scale=scale,
                                         source=source)
                if problem is not None:
                    problems.append(problem)
                    continue
                out[cat] = {v: x / total for v, x in exact.items()}
        cross = _cross_tables(joint, out, kind=kind, tol=tol, scale=scale, source=source,
                              rows=rows, problems=problems) if joint and not problems else {}
        if problems:
            raise InputError(problems)
        Strata(Category(c, list(v)) for c, v in out.items())  # names/values well-formed
        return cls(_freeze(out), source, _freeze(cross))

    @classmethod
    def from_counts(cls, counts: Mapping[str, Mapping[str, Any]], *,
                    source: str | None = None) -> Census:
        """Build from population counts per value (normalised per category)."""
        return cls.from_shares(counts, kind="count", source=source)

    @property
    def strata(self) -> Strata:
        """The categories and values, in census order (single categories only)."""
        return Strata(Category(c, [v for v, _ in vals]) for c, vals in self.data)

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The names of the cross tables (``"sex×age"``), in census order."""
        return tuple(name for name, _ in self.joint)

    def _joint(self, name: str) -> tuple[str, dict[str, Fraction], bool] | None:
        """``(stored name, shares, transposed)`` of the cross table called ``name``, if any."""
        parts = [p.casefold() for p in split_joint(name)]
        for stored, cells in self.joint:
            mine = [p.casefold() for p in split_joint(stored)]
            if mine == parts:
                return stored, dict(cells), False
            if mine == parts[::-1]:
                return stored, dict(cells), True
        return None

    def _no_table(self, name: str) -> InputError:
        return InputError.single("no-cross-table", tr("the census has no cross table "
                                                      "{name!r}; it has {names}",
                                                      name=normalise_joint(name),
                                                      names=list(self.joint_names)),
                                 column=normalise_joint(name))

    def cross_table(self, rows: str, columns: str) -> dict[str, dict[str, Fraction]]:
        """The cross table of two categories as ``{row value: {column value: share}}``.

        Either orientation of a stored table is found (``cross_table("age", "sex")`` of a
        ``"sex×age"`` table is its transpose).

        Raises
        ------
        InputError
            ``"no-cross-table"`` if the census has no cross table of these categories.
        """
        found = self._joint(joint_name([rows, columns]))
        if found is None:
            raise self._no_table(joint_name([rows, columns]))
        _, cells, transposed = found
        out: dict[str, dict[str, Fraction]] = {}
        for value, share in cells.items():
            a, b = split_joint(value)
            if transposed:
                a, b = b, a
            out.setdefault(a, {})[b] = share
        if transposed:  # rows in the order of the row category's values
            order = list(self.shares(rows))
            out = {v: out[v] for v in order}
        return out

    def shares(self, category: str) -> dict[str, Fraction]:
        """``{value: share}`` for one category, or for a cross table by its joint name.

        Raises
        ------
        InputError
            ``"unknown-category"`` (``"no-cross-table"`` for a joint name).
        """
        if len(split_joint(category)) > 1:
            found = self._joint(category)
            if found is None or found[2]:
                raise self._no_table(category)
            return found[1]
        name = self.strata[category].name
        return dict(dict(self.data)[name])

    def share(self, category: str, value: str) -> Fraction:
        """Exact population share of ``value`` within ``category`` (or within a cross table)."""
        shares = self.shares(category)
        value = normalise_joint(value) if len(split_joint(category)) > 1 else value
        if value not in shares:
            raise InputError.single("unknown-value", tr("no census share for {category}={value}",
                                                        category=category,
                                                        value=value),
                                    column=category, value=value)
        return shares[value]
