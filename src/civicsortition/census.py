"""Population shares per category value (the census the quotas are derived from)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs

from ._deprecated import moved_names
from ._i18n import tr
from .errors import InputError, Problem
from .strata import Category, Strata

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
            floats (floats are read through their shortest decimal representation).
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
            ``"zero-total"`` or ``"no-values"``, naming the category and value at fault.
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
        for cat, values in shares.items():
            exact: dict[str, Fraction] = {}
            if not values:
                problems.append(Problem("no-values", tr("category {cat!r} has no values", cat=cat),
                                        file=source, column=cat))
            for val, raw in values.items():
                row = rows.get((cat, val)) if rows else None
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
                    continue
                if x < 0:
                    problems.append(Problem("negative-share", tr("the {kind} of {cat}={val} must "
                                                                 "be >= 0",
                                                                 kind=kind,
                                                                 cat=cat,
                                                                 val=val),
                                            file=source, row=row, column=kind,
                                            value=str(raw)))
                    continue
                exact[val] = x
            total = sum(exact.values(), Fraction(0))
            if values and len(exact) == len(values):
                if total == 0:
                    problems.append(Problem("zero-total", tr("the {kind}s of category {cat!r} "
                                                             "sum to zero", kind=kind, cat=cat),
                                            file=source, column=cat))
                    continue
                if kind != "count" and abs(total - scale) > tol * scale:
                    problems.append(Problem(
                        "shares-do-not-sum-to-one",
                        tr("the {kind}s of category {cat!r} sum to {total}, expected {scale} "
                           "within ±{value}; check for a missing or mistyped row",
                           kind=kind, cat=cat, total=_show(total), scale=scale,
                           value=_show(tol * scale)),
                        file=source, column=cat, value=_show(total)))
                    continue
                out[cat] = {v: x / total for v, x in exact.items()}
        if problems:
            raise InputError(problems)
        Strata(Category(c, list(v)) for c, v in out.items())  # names/values well-formed
        return cls(_freeze(out), source)

    @classmethod
    def from_counts(cls, counts: Mapping[str, Mapping[str, Any]], *,
                    source: str | None = None) -> Census:
        """Build from population counts per value (normalised per category)."""
        return cls.from_shares(counts, kind="count", source=source)

    @property
    def strata(self) -> Strata:
        """The categories and values, in census order."""
        return Strata(Category(c, [v for v, _ in vals]) for c, vals in self.data)

    def shares(self, category: str) -> dict[str, Fraction]:
        """``{value: share}`` for one category."""
        name = self.strata[category].name
        return dict(dict(self.data)[name])

    def share(self, category: str, value: str) -> Fraction:
        """Exact population share of ``value`` within ``category``."""
        shares = self.shares(category)
        if value not in shares:
            raise InputError.single("unknown-value", tr("no census share for {category}={value}",
                                                        category=category,
                                                        value=value),
                                    column=category, value=value)
        return shares[value]
