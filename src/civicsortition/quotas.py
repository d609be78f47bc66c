"""Quotas: per-value lower and upper bounds on the panel, and how they were derived.

A quota table states, for every value ``v`` of every category ``f``, that a panel of size ``k``
must contain between ``min`` and ``max`` people with value ``v``. :func:`build_quotas` derives
such a table from census shares: apportion ``k`` seats to the values of each category by an
explicit method (:mod:`civicsortition.apportionment`), then widen each apportioned seat count
into a band. Every bound records its provenance (share, exact quota ``k·p``, method, band, floor,
tie), so an audit report can show how it came about.

A *joint* (intersectional) quota bounds the people who hold a combination of values: category
``"sex×age"``, value ``"female×18-29"`` counts the people with ``sex=female`` and
``age=18-29`` (``*`` is accepted for ``×`` and normalised). Every category of a joint quota
must also have single-category rows in the same table, and every part of a joint value must
be one of their values; :func:`build_quotas` derives joint quotas from census cross tables by
biproportional apportionment (:mod:`civicsortition.biproportional`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from ._checks import as_int, describe, did_you_mean, require, require_bool, require_str, sequence
from ._i18n import tr
from .apportionment import TieBreak, apportion, resolve_method
from .biproportional import biproportional_apportion
from .census import Census
from .errors import InputError, Problem, TieError
from .strata import Category, Strata, joint_name, normalise_joint, split_joint

if TYPE_CHECKING:
    from .pool import Pool

__all__ = ["Band", "QuotaProvenance", "Quotas", "ValueQuota", "build_quotas", "joint_problems"]


@attrs.frozen
class Band:
    """How far a bound may lie from the apportioned number of seats.

    Use the named constructors:

    * ``Band.seats(d)``: ``[s - d, s + d]`` around the apportioned seats ``s``;
    * ``Band.percent(x)``: ``[floor(k·(p - x/100)), ceil(k·(p + x/100))]``, ``x`` percentage
      points of the population share ``p`` (widened, if needed, to contain ``s``);
    * ``Band.exact()``: ``[s, s]``.

    Bounds are always clipped to ``[0, k]``.
    """

    kind: Literal["seats", "percent"]
    amount: Fraction

    @classmethod
    def seats(cls, d: int) -> Band:
        """Plus or minus ``d`` seats around the apportioned value."""
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0:
            raise InputError.single("bad-band", "Band.seats(d=...): a seat band must be a "
                                    "non-negative integer", value=repr(d))
        return cls("seats", Fraction(int(d)))

    @classmethod
    def percent(cls, x: float | int | str | Fraction) -> Band:
        """Plus or minus ``x`` percentage points of the population share."""
        try:
            if isinstance(x, bool):
                raise TypeError("a boolean is not a percentage")
            amount = Fraction(str(x)) if isinstance(x, float) else Fraction(x)
        except (TypeError, ValueError, ArithmeticError):
            amount = Fraction(-1)
        if amount < 0 or amount > 100:
            raise InputError.single("bad-band", "Band.percent(x=...): a percent band must be "
                                    "a number between 0 and 100", value=repr(x))
        return cls("percent", amount)

    @classmethod
    def exact(cls) -> Band:
        """No tolerance: ``min = max =`` apportioned seats."""
        return cls("seats", Fraction(0))

    def describe(self) -> str:
        """Short human-readable description, e.g. ``"±1 seat"``."""
        if self.kind == "seats":
            d = int(self.amount)
            return "exact" if d == 0 else f"±{d} seat" + ("s" if d != 1 else "")
        return f"±{float(self.amount):g} percentage points"

    def bounds(self, seats: int, share: Fraction, k: int) -> tuple[int, int]:
        """``(lo, hi)`` for a value with ``seats`` apportioned seats and population ``share``."""
        if self.kind == "seats":
            d = int(self.amount)
            lo, hi = seats - d, seats + d
        else:
            delta = self.amount / 100
            lo = min(seats, math.floor(k * (share - delta)))
            hi = max(seats, math.ceil(k * (share + delta)))
        return max(0, lo), min(k, hi)


@attrs.frozen
class QuotaProvenance:
    """How one quota was derived from the census.

    Attributes
    ----------
    share : Fraction
        Population share of the value within its category.
    exact_quota : Fraction
        ``panel_size × share``: the ideal, usually fractional, number of seats.
    seats : int
        Seats the apportionment method gave the value.
    method : str
        Apportionment method id.
    band : str
        Description of the tolerance band.
    floor_applied : bool
        True if the "at least one seat" floor raised this value's seats or lower bound.
    tie : bool
        True if this value won a seat by the tie rule.
    """

    share: Fraction
    exact_quota: Fraction
    seats: int
    method: str
    band: str
    floor_applied: bool = False
    tie: bool = False


@attrs.frozen
class ValueQuota:
    """Bounds on the number of panel members with one value.

    Attributes
    ----------
    category, value : str
    min, max : int
        ``0 <= min <= max``.
    min_flex, max_flex : int or None
        How far a relaxation may go if the quotas prove infeasible: ``min_flex <= min`` and
        ``max_flex >= max`` (the practitioners' targets format). ``None`` means unrestricted.
    provenance : QuotaProvenance or None
        Set when the quota was derived from a census.

    Raises
    ------
    TypeError
        If ``category`` or ``value`` is not a string, a bound is not a number (booleans and
        text are refused), or ``provenance`` is not a :class:`QuotaProvenance`.
    InputError
        ``not-an-integer`` for a fractional, infinite or NaN bound (``2.5`` is never
        truncated; a whole-valued ``2.0`` is accepted as ``2``).

    Notes
    -----
    The *values* of the bounds (negative, ``min > max``, flex on the wrong side) are checked
    by :meth:`problems`, which :class:`Quotas` calls, so a reader can report every bad row of
    a file at once.
    """

    category: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None
    provenance: QuotaProvenance | None = None

    def __attrs_post_init__(self) -> None:
        require_str(self.category, "ValueQuota(category=...)", "a category name (str)")
        require_str(self.value, "ValueQuota(value=...)", "a value name (str)")
        if len(split_joint(self.category)) > 1:  # a joint row: written with ×, parts stripped
            object.__setattr__(self, "category", normalise_joint(self.category))
            object.__setattr__(self, "value", normalise_joint(self.value))
        where = {"column": self.category}
        for name in ("min", "max", "min_flex", "max_flex"):
            x = getattr(self, name)
            if x is None and name.endswith("_flex"):
                continue
            expected = "an integer" + (" or None" if name.endswith("_flex") else "")
            n = as_int(x, f"ValueQuota({name}=...) for {self.category}={self.value}",
                       expected=expected, **where)
            object.__setattr__(self, name, n)
        if self.provenance is not None:
            require(self.provenance, QuotaProvenance, "ValueQuota(provenance=...)",
                    "a QuotaProvenance or None")

    @property
    def key(self) -> object:
        """What makes two rows the same constraint (a joint row's parts in any order)."""
        return _key(self.category, self.value)

    @property
    def is_joint(self) -> bool:
        """True for a joint (intersectional) row such as ``sex×age=female×18-29``."""
        return len(split_joint(self.category)) > 1

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories this row counts: ``("sex", "age")`` for ``sex×age``, else one."""
        return split_joint(self.category)

    @property
    def parts(self) -> tuple[tuple[str, str], ...]:
        """``((category, value), ...)``: what a person must hold to count for this row.

        Raises
        ------
        InputError
            ``joint-value-parts`` if a joint value does not name one value per category.
        """
        cats = self.categories
        vals = split_joint(self.value) if len(cats) > 1 else (self.value,)
        if len(vals) != len(cats):
            raise InputError([self._parts_problem()])
        return tuple(zip(cats, vals, strict=True))

    def mask(self, pool: Pool) -> npt.NDArray[np.bool_]:
        """Boolean mask of the people of ``pool`` this row counts (every part of a joint value).

        A value the pool's category does not have counts nobody.

        Raises
        ------
        InputError
            ``unknown-category`` if the pool lacks one of the row's categories.
        """
        out = np.ones(pool.n, dtype=bool)
        for cat, val in self.parts:
            c = pool.strata.index(cat)
            values = pool.strata.categories[c].values
            if val not in values:
                return np.zeros(pool.n, dtype=bool)
            out &= pool.codes[:, c] == values.index(val)
        return out

    def _parts_problem(self) -> Problem:
        return Problem("joint-value-parts", tr("{category}={value}: a joint value names one value "
                                               "of each of its {n} categories, joined by '×'",
                                               category=self.category, value=self.value,
                                               n=len(self.categories)),
                       column=self.category, value=self.value)

    def _joint_problems(self) -> list[Problem]:
        """What is wrong with the shape of a joint row (its own names, not the table's)."""
        cats = self.categories
        where: dict[str, Any] = {"column": self.category, "value": self.value}
        out: list[Problem] = []
        if not all(cats):
            out.append(Problem("empty-name", tr("joint category {category!r} has an empty part",
                                                category=self.category), **where))
        folded = [c.casefold() for c in cats]
        repeated = sorted({c for c in cats if folded.count(c.casefold()) > 1})
        if repeated:
            out.append(Problem("repeated-category", tr("joint category {category!r} names "
                                                       "{repeated} more than once",
                                                       category=self.category,
                                                       repeated=repeated), **where))
        vals = split_joint(self.value)
        if len(vals) != len(cats):
            out.append(self._parts_problem())
        elif not all(vals):
            out.append(Problem("empty-value", tr("joint value {value!r} has an empty part",
                                                 value=self.value), **where))
        return out

    def problems(self) -> list[Problem]:
        """Everything wrong with these bounds (empty if they are well-formed)."""
        out: list[Problem] = self._joint_problems() if self.is_joint else []
        where: dict[str, Any] = {"column": self.category, "value": self.value}
        if self.min < 0:
            out.append(Problem("negative-quota", tr("min for {category}={value} must be >= 0 "
                                                    "(got {min})",
                                                    category=self.category,
                                                    value=self.value,
                                                    min=self.min), **where))
        if self.max < 0:
            out.append(Problem("negative-quota", tr("max for {category}={value} must be >= 0 "
                                                    "(got {max})",
                                                    category=self.category,
                                                    value=self.value,
                                                    max=self.max), **where))
        if self.min > self.max:
            out.append(Problem("min-greater-than-max", tr("min ({min}) exceeds max ({max}) for "
                                                          "{category}={value}",
                                                          min=self.min,
                                                          max=self.max,
                                                          category=self.category,
                                                          value=self.value), **where))
        if self.min_flex is not None and self.min_flex > self.min:
            out.append(Problem("bad-flex", tr("min_flex ({min_flex}) must be <= min ({min}) for "
                                              "{category}={value}",
                                              min_flex=self.min_flex,
                                              min=self.min,
                                              category=self.category,
                                              value=self.value), **where))
        if self.max_flex is not None and self.max_flex < self.max:
            out.append(Problem("bad-flex", tr("max_flex ({max_flex}) must be >= max ({max}) for "
                                              "{category}={value}",
                                              max_flex=self.max_flex,
                                              max=self.max,
                                              category=self.category,
                                              value=self.value), **where))
        if self.min_flex is not None and self.min_flex < 0:
            out.append(Problem("negative-quota", tr("min_flex for {category}={value} must be >= 0",
                                                    category=self.category,
                                                    value=self.value), **where))
        return out


def _key(category: str, value: str) -> object:
    """What makes two rows the same constraint: a joint row's parts in any order."""
    cats = split_joint(category)
    vals = split_joint(value) if len(cats) > 1 else (value,)
    if len(cats) > 1 and len(vals) == len(cats):
        return frozenset(zip((c.casefold() for c in cats), vals, strict=True))
    return (category.casefold(), value)


def joint_problems(entries: Sequence[ValueQuota]) -> list[tuple[int, Problem]]:
    """Problems of the joint rows against the single-category rows of the same table.

    Every category of a joint row must have rows of its own, and every part of a joint value
    must be one of their values. Returns ``(index of the entry, problem)`` pairs, so a file
    reader can name the line.
    """
    singles: dict[str, tuple[str, list[str]]] = {}
    for q in entries:
        if not q.is_joint:
            singles.setdefault(q.category.casefold(), (q.category, []))[1].append(q.value)
    out: list[tuple[int, Problem]] = []
    for n, q in enumerate(entries):
        if not q.is_joint:
            continue
        vals = split_joint(q.value)
        where: dict[str, Any] = {"column": q.category, "value": q.value}
        for pos, cat in enumerate(q.categories):
            single = singles.get(cat.casefold())
            if not cat:
                continue  # reported by ValueQuota.problems
            if single is None:
                out.append((n, Problem("unknown-category", tr(
                    "joint quota {category}={value}: category {part!r} has no rows of its own; "
                    "every category of a joint quota needs its single-category rows (min 0 and "
                    "max k leave it unconstrained); the table has {names}",
                    category=q.category, value=q.value, part=cat,
                    names=[name for name, _ in singles.values()]), **where)))
            elif len(vals) == len(q.categories) and vals[pos] not in single[1]:
                out.append((n, Problem("unknown-value", tr(
                    "joint quota {category}={value}: {part!r} is not a value of {name!r}; "
                    "expected one of {values}{hint}", category=q.category, value=q.value,
                    part=vals[pos], name=single[0], values=single[1],
                    hint=did_you_mean(vals[pos], single[1])), **where)))
    return out


def _entries(x: Iterable[ValueQuota]) -> tuple[ValueQuota, ...]:
    items = sequence(x, "Quotas(entries=...)", "a sequence of ValueQuota")
    for j, q in enumerate(items):
        require(q, ValueQuota, f"Quotas(entries=...)[{j}]", "a ValueQuota")
    return items


@attrs.frozen
class Quotas:
    """A complete quota table: panel size plus one :class:`ValueQuota` per value.

    Parameters
    ----------
    panel_size : int
        Number of seats ``k >= 1``.
    entries : sequence of ValueQuota
        One entry per ``(category, value)``; categories appear in the order of first mention.

    Raises
    ------
    TypeError
        If ``entries`` is not a sequence of :class:`ValueQuota` (a single string or mapping
        is refused).
    InputError
        Listing every malformed bound and duplicate entry, and a ``panel_size`` that is not a
        positive integer (``bad-panel-size``).
    """

    panel_size: int
    entries: tuple[ValueQuota, ...] = attrs.field(converter=_entries)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        k = self.panel_size
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            problems.append(Problem("bad-panel-size", "Quotas(panel_size=...): panel_size must "
                                    "be a positive integer", value=repr(k)))
        seen: set[object] = set()
        for q in self.entries:
            problems.extend(q.problems())
            key = q.key
            if key in seen:
                problems.append(Problem("duplicate-quota", "a value has two quota rows",
                                        column=q.category, value=q.value))
            seen.add(key)
        problems.extend(p for _, p in joint_problems(self.entries))
        if not self.entries:
            problems.append(Problem("no-values", "Quotas(entries=...): the quota table is "
                                    "empty"))
        if problems:
            raise InputError(problems)

    @property
    def strata(self) -> Strata:
        """Categories and values named in the table, in order of first appearance.

        Single categories only: the categories of joint rows have rows of their own.
        """
        cats: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        for q in self.entries:
            if q.is_joint:
                continue
            name = names.setdefault(q.category.casefold(), q.category)
            cats.setdefault(name, []).append(q.value)
        return Strata(Category(c, v) for c, v in cats.items())

    @property
    def joint(self) -> tuple[ValueQuota, ...]:
        """The joint (intersectional) rows, in order."""
        return tuple(q for q in self.entries if q.is_joint)

    def __iter__(self) -> Iterator[ValueQuota]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, category: str, value: str) -> ValueQuota:
        """The entry for ``category=value``.

        Raises
        ------
        TypeError
            If ``category`` or ``value`` is not a string.
        InputError
            ``"unknown-value"`` if there is no such entry.
        """
        require_str(category, "Quotas.get(category=...)", "a category name (str)")
        require_str(value, "Quotas.get(value=...)", "a value name (str)")
        key = _key(category, value)
        for q in self.entries:
            if q.key == key:
                return q
        raise InputError.single("unknown-value", tr("no quota for {category}={value}",
                                                    category=category,
                                                    value=value),
                                column=category, value=value)

    def category(self, category: str) -> tuple[ValueQuota, ...]:
        """All entries of one category, in order.

        Raises
        ------
        TypeError
            If ``category`` is not a string.
        """
        require_str(category, "Quotas.category(category=...)", "a category name (str)")
        folded = normalise_joint(category).casefold()
        return tuple(q for q in self.entries if q.category.casefold() == folded)

    def with_panel_size(self, panel_size: int) -> Quotas:
        """The same bounds for another panel size (a new object)."""
        return Quotas(panel_size, self.entries)

    def bound_arrays(self, strata: Strata) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds aligned with ``strata.pairs()``.

        Values of ``strata`` without a quota row get ``[0, panel_size]`` (unconstrained).

        Raises
        ------
        TypeError
            If ``strata`` is not a :class:`~civicsortition.strata.Strata`.
        """
        require(strata, Strata, "Quotas.bound_arrays(strata=...)", "a Strata")
        lo = np.zeros(strata.n_values, dtype=np.int64)
        hi = np.full(strata.n_values, self.panel_size, dtype=np.int64)
        index = {(q.category.casefold(), q.value): q for q in self.entries}
        for j, (c, v) in enumerate(strata.pairs()):
            q = index.get((c.casefold(), v))
            if q is not None:
                lo[j], hi[j] = q.min, q.max
        return lo, hi

    def _rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for q in self.entries:
            row: dict[str, Any] = {"category": q.category, "value": q.value, "min": q.min,
                                   "max": q.max}
            p = q.provenance
            if p is not None:
                row.update(share=float(p.share), exact_quota=float(p.exact_quota),
                           seats=p.seats, floor=p.floor_applied, tie=p.tie)
            rows.append(row)
        return rows

    def to_frame(self, *, like: Any = "pandas") -> Any:
        """The quota table as a DataFrame (one row per value; provenance columns when known).

        Parameters
        ----------
        like : str or DataFrame
            The library (``"pandas"``, ``"polars"``, ...) or a frame of it (needs narwhals).

        Returns
        -------
        DataFrame
            Columns ``category, value, min, max`` and, where known, ``share, exact_quota,
            seats, floor, tie``.
        """
        from ._frames import to_frame

        return to_frame(self._rows(), like=like)

    def _repr_html_(self) -> str:
        from ._html import card, table

        rows = self._rows()
        header = list(dict.fromkeys(k for r in rows for k in r))
        body = table(header, [[r.get(h) for h in header] for r in rows])
        return card(f"Quotas for a panel of {self.panel_size}",
                    [("categories", len({q.category for q in self.entries})),
                     ("values", len(self.entries))], [("bounds", body)])

    def to_markdown(self) -> str:
        """A Markdown table of the bounds with their provenance where known."""
        with_prov = any(q.provenance is not None for q in self.entries)
        head = "| category | value | min | max |"
        rule = "|---|---|---:|---:|"
        if with_prov:
            head += " share | exact quota k·p | seats | note |"
            rule += "---:|---:|---:|---|"
        lines = [head, rule]
        for q in self.entries:
            line = f"| {q.category} | {q.value} | {q.min} | {q.max} |"
            p = q.provenance
            if with_prov and p is not None:
                notes = [n for n, on in (("floor", p.floor_applied), ("tie", p.tie)) if on]
                line += (f" {float(p.share) * 100:.2f}% | {float(p.exact_quota):.3f} |"
                         f" {p.seats} | {', '.join(notes)} |")
            elif with_prov:
                line += " | | | |"
            lines.append(line)
        return "\n".join(lines) + "\n"


def build_quotas(
    census: Census,
    panel_size: int,
    *,
    method: str = "largest-remainder",
    band: Band | None = None,
    floors: bool = False,
    tie_break: TieBreak = "order",
    rng: np.random.Generator | int | None = None,
    categories: Sequence[str] | None = None,
    joint: Sequence[str] | None = None,
    joint_band: Band | None = None,
) -> Quotas:
    """Derive a quota table from census shares.

    For each category, ``panel_size`` seats are apportioned to its values by ``method``; the
    seats ``s`` of each value are widened into ``[min, max]`` by ``band`` and clipped to
    ``[0, panel_size]``. For each joint name in ``joint`` (``"sex×age"``), the cells of the
    census cross table get the biproportional apportionment whose margins are the two
    categories' apportioned seats
    (:func:`~civicsortition.biproportional.biproportional_apportion`), widened by
    ``joint_band``; these rows follow the single-category ones.

    Parameters
    ----------
    census : Census
        Population shares.
    panel_size : int
        Panel size ``k``.
    method : str
        Apportionment method id or alias (see :data:`civicsortition.apportionment.METHODS`).
    band : Band, optional
        Tolerance band; defaults to ``Band.seats(1)``.
    floors : bool
        If True, every value with a positive share gets at least one apportioned seat and a
        lower bound of at least 1.
    tie_break : {"order", "raise", "random"}
        Tie rule of the apportionment.
    rng : numpy.random.Generator or int, optional
        Only for ``tie_break="random"``.
    categories : sequence of str, optional
        Restrict to these census categories (in this order).
    joint : sequence of str, optional
        Joint quotas to add, each naming two categories with ``×`` (or ``*``); the census
        must hold their cross table (either orientation), and both categories must be among
        the apportioned ones. Floors apply to the single categories only.
    joint_band : Band, optional
        Tolerance band of the joint rows; defaults to ``band``.

    Returns
    -------
    Quotas
        With :class:`QuotaProvenance` on every entry (method ``"biproportional"`` and the
        cell's share of the cross table for joint rows).

    Raises
    ------
    TypeError
        If an argument has the wrong type (``census`` not a :class:`Census`, ``band`` not a
        :class:`Band`, ``categories`` a single string, ...).
    InputError
        ``bad-panel-size``, ``unknown-method``, ``unknown-category``, ``floors-exceed-seats``,
        or a tie with ``tie_break="raise"`` (:class:`~civicsortition.errors.TieError`); for
        ``joint``: ``unsupported-joint``, ``repeated-category``, ``joint-without-single``,
        ``no-cross-table`` and the errors of
        :func:`~civicsortition.biproportional.biproportional_apportion`
        (``zero-weight-row``, ``margins-infeasible``, ...), naming the joint category.

    Examples
    --------
    >>> census = Census.from_shares({"sex": {"female": "0.53", "male": "0.47"}})
    >>> [(q.value, q.min, q.max) for q in build_quotas(census, 36)]
    [('female', 18, 20), ('male', 16, 18)]
    >>> census = Census.from_counts({"sex": {"f": 52, "m": 48}, "age": {"young": 40, "old": 60},
    ...                              "sex×age": {"f×young": 25, "f×old": 27, "m×young": 15,
    ...                                          "m×old": 33}})
    >>> [(q.category, q.value, q.provenance.seats) for q in
    ...  build_quotas(census, 10, band=Band.exact(), joint=["sex×age"]).joint]
    [('sex×age', 'f×young', 2), ('sex×age', 'f×old', 3), ('sex×age', 'm×young', 2),
     ('sex×age', 'm×old', 3)]
    """
    require(census, Census, "build_quotas(census=...)", "a Census")
    method = resolve_method(require_str(method, "build_quotas(method=...)",
                                        "an apportionment method name (str)"))
    if band is not None:
        require(band, Band, "build_quotas(band=...)", "a Band or None")
    band = band if band is not None else Band.seats(1)
    if joint_band is not None:
        require(joint_band, Band, "build_quotas(joint_band=...)", "a Band or None")
    joint_band = joint_band if joint_band is not None else band
    require_bool(floors, "build_quotas(floors=...)")
    if rng is not None and not isinstance(rng, np.random.Generator) and (
            isinstance(rng, bool) or not isinstance(rng, int | np.integer)):
        raise TypeError("build_quotas(rng=...): expected a numpy Generator, an integer seed or "
                        f"None, got {describe(rng)}")
    if categories is not None:
        categories = sequence(categories, "build_quotas(categories=...)",
                              "a sequence of category names")
        for j, c in enumerate(categories):
            require_str(c, f"build_quotas(categories=...)[{j}]", "a category name (str)")
    if joint is not None:
        joint = sequence(joint, "build_quotas(joint=...)", "a sequence of joint category names")
        for j, c in enumerate(joint):
            require_str(c, f"build_quotas(joint=...)[{j}]", "a joint category name (str)")
    if isinstance(panel_size, bool) or not isinstance(panel_size, (int, np.integer)) \
            or panel_size < 1:
        raise InputError.single("bad-panel-size", "panel_size must be a positive integer",
                                value=repr(panel_size))
    k = int(panel_size)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    names = list(categories) if categories is not None else list(census.strata.names)
    entries: list[ValueQuota] = []
    seats: dict[str, dict[str, int]] = {}
    for cat in names:
        shares = census.shares(cat)
        mins = {v: 1 for v, p in shares.items() if p > 0} if floors else None
        if mins is not None and len(mins) > k:
            raise InputError.single(
                "floors-exceed-seats", tr("category {cat!r} has {n_mins} values with a positive "
                                          "share but the panel has only {k} seats; floors cannot "
                                          "hold", cat=cat, n_mins=len(mins), k=k), column=cat)
        result = apportion(shares, k, method=method, minimums=mins, tie_break=tie_break,
                           rng=gen)
        # Without floors, for the provenance flag only (ties decided by order: no rng, no raise).
        plain = apportion(shares, k, method=method, tie_break="order") if floors else result
        seats[census.strata[cat].name.casefold()] = result.as_dict()
        for v, p, exact, s, s0 in zip(result.names, result.shares, result.exact, result.seats,
                                      plain.seats, strict=True):
            lo, hi = band.bounds(s, p, k)
            floored = floors and p > 0 and (s > s0 or lo < 1)
            if floors and p > 0:
                lo = max(lo, 1)
            entries.append(ValueQuota(
                census.strata[cat].name, v, lo, hi,
                provenance=QuotaProvenance(share=p, exact_quota=exact, seats=s, method=method,
                                           band=band.describe(), floor_applied=floored,
                                           tie=v in result.ties)))
    for name in joint or ():
        entries.extend(_joint_quotas(census, name, seats, k, joint_band, tie_break, gen))
    return Quotas(k, entries)


def _joint_quotas(census: Census, name: str, seats: dict[str, dict[str, int]], k: int,
                  band: Band, tie_break: TieBreak, rng: np.random.Generator) -> list[ValueQuota]:
    """The rows of one joint category: biproportional cell seats widened by ``band``."""
    parts = split_joint(name)
    label = normalise_joint(name)
    if len(parts) != 2 or not all(parts):
        raise InputError.single("unsupported-joint", tr("joint quota {name!r}: quotas derived "
                                                        "from a census combine exactly two "
                                                        "categories", name=name),
                                column=label, value=name)
    if parts[0].casefold() == parts[1].casefold():
        raise InputError.single("repeated-category", tr("joint category {category!r} names "
                                                        "{repeated} more than once",
                                                        category=label, repeated=[parts[0]]),
                                column=label, value=name)
    cats = [census.strata[p].name for p in parts]  # unknown-category
    for c in cats:
        if c.casefold() not in seats:
            raise InputError.single("joint-without-single", tr(
                "joint quota {name!r} needs the seats of category {category!r}; include it in "
                "categories=...", name=label, category=c), column=label, value=c)
    label = joint_name(cats)
    table = census.cross_table(cats[0], cats[1])
    try:
        result = biproportional_apportion(table, seats[cats[0].casefold()],
                                          seats[cats[1].casefold()], tie_break=tie_break,
                                          rng=rng)
    except InputError as e:  # name the joint category in every problem
        problems = [attrs.evolve(p, column=label) for p in e.problems]
        raise (TieError(problems) if isinstance(e, TieError) else InputError(problems)) from e
    out: list[ValueQuota] = []
    for (a, b), x in result.as_dict().items():
        share = table[a][b]
        lo, hi = band.bounds(x, share, k)
        out.append(ValueQuota(label, joint_name([a, b]), lo, hi, provenance=QuotaProvenance(
            share=share, exact_quota=k * share, seats=x, method=result.method,
            band=band.describe(), tie=(a, b) in result.ties)))
    return out
