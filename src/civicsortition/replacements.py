r"""Replacements for members who drop out, and alternates prepared in advance.

**Residual quotas.** If the kept members ``K`` (the panel minus the dropouts) hold :math:`c_{f,v}`
members with value ``v`` of category ``f``, the ``d`` replacement seats must satisfy

.. math:: \max(0, \ell_{f,v} - c_{f,v}) \le \#\{\text{replacements with } v\} \le
          u_{f,v} - c_{f,v},

so that the completed panel meets the original quotas. :func:`residual_quotas` builds this
table; :func:`replace` then runs the same fair algorithms (LEXIMIN by default) on the
*remaining pool* -- everyone not on the original panel, minus people the caller excludes, minus
housemates of kept members when the household rule is on -- rounds the lottery to tickets and
draws with the public procedure, exactly like the main draw, so the replacement is logged and
reproducible from the seed.

**Alternates.** :func:`prepare_alternates` draws, before the assembly starts, a set of
``count`` alternates by a fair lottery from the remaining pool, with quotas proportional to the
panel's (:math:`\lfloor \ell\, c/k \rfloor` to :math:`\lceil u\, c/k \rceil`), and orders them
by a public hash key. :func:`fill_from_alternates` later picks, for the dropouts, the
*lexicographically first* alternates (earliest in the published order) that complete a panel
satisfying the quotas and the household rule; it is computed greedily with a feasibility check
per alternate, which is exact for lexicographic order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ._checks import as_int, id_tuple, require, require_bool, require_str
from ._i18n import tr
from .algorithms import find_distribution
from .algorithms.feasibility import feasible_profile
from .distribution import Distribution
from .draw import DrawRecord, draw
from .errors import InfeasibleError, InfeasibleQuotasError, InputError, Problem, QuotaChange
from .lottery import TransparentLottery, transparent_lottery
from .pool import Pool
from .program import PanelProgram
from .quotas import Quotas, ValueQuota
from .seeds import ALTERNATES_PROCEDURE, alternate_key, normalise_seed

__all__ = ["ALTERNATES_PROCEDURE", "Alternates", "MemberReplacements", "ProfileReplacements",
           "Replacement", "ReplacementCounts", "alternate_key", "fill_from_alternates",
           "prepare_alternates", "replace", "replacement_counts", "residual_quotas"]



def _check_common(fn: str, pool: object, quotas: object) -> None:
    """The arguments every public function here shares: a Pool and a Quotas table."""
    require(pool, Pool, f"{fn}(pool=...)", "a Pool")
    require(quotas, Quotas, f"{fn}(quotas=...)", "a Quotas table")


def _options(fn: str, *, households: object, tickets: object | None = None,
             algorithm: object = "") -> None:
    """Check the options shared by the functions here (``tickets=None``: not an argument)."""
    require_bool(households, f"{fn}(households=...)")
    require_str(algorithm, f"{fn}(algorithm=...)", "an algorithm name (str)")
    if tickets is not None:
        m = as_int(tickets, f"{fn}(tickets=...)", expected="a number of tickets (int)",
                   column="tickets")
        if m < 1:
            raise InputError.single("bad-ticket-count", tr("{fn}(tickets=...): expected a "
                                                           "positive number of tickets", fn=fn),
                                    column="tickets",
                                    value=repr(tickets))


def _ids(pool: Pool, ids: Iterable[Any], what: str, fn: str) -> list[int]:
    """Positions of ``ids`` in the pool; every unknown or repeated id is reported."""
    index = {pid: i for i, pid in enumerate(pool.ids)}
    out: list[int] = []
    seen: set[int] = set()
    problems: list[Problem] = []
    for pid in id_tuple(ids, f"{fn}({what}=...)", "person ids"):
        if pid not in index:
            problems.append(Problem("unknown-id", tr("{what}: no person with this id in the pool",
                                                     what=what),
                                    column=what, value=pid))
        elif index[pid] in seen:
            problems.append(Problem("duplicate-id", tr("{what}: id listed twice", what=what),
                                    column=what,
                                    value=pid))
        else:
            out.append(index[pid])
            seen.add(index[pid])
    if problems:
        raise InputError(problems)
    return out


def _held(pool: Pool, quotas: Quotas, rows: Sequence[int]) -> list[int]:
    """Seats each quota entry's value already holds among the people at ``rows``."""
    idx = list(rows)
    return [int(np.sum(q.mask(pool)[idx])) for q in quotas]  # joint rows: every part holds


def residual_quotas(pool: Pool, quotas: Quotas, kept: Iterable[str], seats: int) -> Quotas:
    """Quotas for ``seats`` new members joining the ``kept`` ones (see the module docstring).

    Raises
    ------
    TypeError
        If ``pool`` is not a :class:`~civicsortition.pool.Pool`, ``quotas`` not a
        :class:`~civicsortition.quotas.Quotas`, ``kept`` a single string or not a sequence of
        string ids, or ``seats`` not an integer.
    InputError
        ``quota-exceeded`` if the kept members alone already exceed a maximum (the quotas
        changed since the draw), ``unknown-id`` for ids not in the pool, ``bad-seats`` if
        ``seats`` is not positive.
    """
    fn = "residual_quotas"
    _check_common(fn, pool, quotas)
    seats = as_int(seats, f"{fn}(seats=...)", expected="a number of seats (int)",
                   column="seats")
    if seats < 1:
        raise InputError.single("bad-seats", tr("{fn}(seats=...): expected a positive number of "
                                                "seats", fn=fn), column="seats", value=repr(seats))
    held = _held(pool, quotas, _ids(pool, kept, "kept", fn))
    problems = [Problem("quota-exceeded", tr("the kept members already hold {have} seats of "
                                             "{category}={value}, above its maximum {max}",
                                             have=have,
                                             category=q.category,
                                             value=q.value,
                                             max=q.max),
                        column=q.category, value=q.value)
                for q, have in zip(quotas, held, strict=True) if have > q.max]
    if problems:
        raise InputError(problems)
    return _residual(quotas, held, seats)


def _residual(quotas: Quotas, held: Sequence[int], seats: int) -> Quotas:
    """The residual table for ``seats`` more members when each value already ``held`` seats."""
    return Quotas(seats, [ValueQuota(
        q.category, q.value, max(0, q.min - have), q.max - have,
        None if q.min_flex is None else max(0, q.min_flex - have),
        None if q.max_flex is None else q.max_flex - have)
        for q, have in zip(quotas, held, strict=True)])


def _eligible(pool: Pool, panel: Sequence[int], kept: Sequence[int], excluded: Sequence[int],
              households: bool) -> list[int]:
    """Pool positions that may fill a seat: off the panel, not excluded, no kept housemate."""
    blocked = set(panel) | set(excluded)
    if households and pool.households is not None:
        taken = {pool.households[i] for i in kept} - {None}
        blocked |= {i for i, h in enumerate(pool.households) if h in taken}
    return [i for i in range(pool.n) if i not in blocked]


def _enough(candidates: Sequence[int], seats: int, what: str) -> None:
    if len(candidates) < seats:
        raise InfeasibleError(f"only {len(candidates)} people are eligible for {seats} {what} "
                              "(off the panel, not excluded, no housemate on the panel)")


@attrs.frozen(eq=False)
class Replacement:
    """The outcome of :func:`replace`.

    Attributes
    ----------
    kept, dropouts, replacements : tuple of str
        Ids; ``panel`` is ``kept + replacements``, sorted.
    residual : Quotas
        Quotas of the replacement seats.
    remaining : Pool
        The people who could fill a seat.
    distribution : Distribution
        The fair lottery over replacement sets (on ``remaining``).
    lottery : TransparentLottery
    record : DrawRecord
        The public draw (re-check with :func:`civicsortition.draw.verify`).
    relaxation : tuple of QuotaChange
        Residual bounds moved because no replacement set met them (``on_infeasible="relax"``);
        empty when the completed panel meets the original quotas.
    """

    kept: tuple[str, ...]
    dropouts: tuple[str, ...]
    replacements: tuple[str, ...]
    residual: Quotas
    remaining: Pool
    distribution: Distribution
    lottery: TransparentLottery
    record: DrawRecord
    relaxation: tuple[QuotaChange, ...] = ()

    @property
    def panel(self) -> tuple[str, ...]:
        """The completed panel, sorted."""
        return tuple(sorted(self.kept + self.replacements))

    def as_dict(self) -> dict[str, Any]:
        """The replacement log (ids of panel members only, as the draw record publishes)."""
        return {"kept": list(self.kept), "dropouts": list(self.dropouts),
                "replacements": list(self.replacements),
                "residual_quotas": [{"category": q.category, "value": q.value, "min": q.min,
                                     "max": q.max} for q in self.residual],
                "remaining_pool": self.remaining.n,
                "algorithm": self.distribution.details.algorithm,
                "minimum_probability": self.distribution.minimum,
                "relaxation": [str(c) for c in self.relaxation],
                "draw": self.record.as_dict()}


def replace(pool: Pool, quotas: Quotas, panel: Sequence[str], dropouts: Sequence[str],
            seed: str, *, algorithm: str = "leximin", households: bool = True,
            excluded: Sequence[str] = (), tickets: int = 1000,
            on_infeasible: str = "raise", relax_priorities: Any = None,
            **options: Any) -> Replacement:
    """Draw replacements for ``dropouts`` so that the completed panel meets ``quotas``.

    Parameters
    ----------
    pool : Pool
        The full registered pool the panel was drawn from.
    quotas : Quotas
        The original quotas.
    panel : sequence of str
        The drawn panel's ids.
    dropouts : sequence of str
        Members leaving (a subset of ``panel``).
    seed : str
        Public seed for the replacement draw.
    algorithm : str
        Fair algorithm for the replacement lottery (default ``"leximin"``).
    households : bool
        Keep the one-per-household rule (housemates of kept members are not eligible).
    excluded : sequence of str
        Pool members who cannot serve (declined, unreachable).
    tickets : int
        Tickets of the transparent lottery.
    on_infeasible : {"raise", "relax"}
        When no replacement set meets the residual quotas (common with tight quotas: one
        dropout may leave exactly one admissible profile), raise, or apply the smallest
        relaxation of the residual bounds (respecting ``min_flex``/``max_flex``) and record it
        in :attr:`Replacement.relaxation`.
    relax_priorities : RelaxationPriorities, optional
        With ``on_infeasible="relax"``: which residual quotas to give up first, which never
        (:class:`~civicsortition.algorithms.feasibility.RelaxationPriorities`; default: all
        alike, the least total change).
    **options
        Passed to :func:`~civicsortition.algorithms.find_distribution`.

    Returns
    -------
    Replacement

    Raises
    ------
    TypeError
        If an argument has the wrong type: ``pool`` not a :class:`~civicsortition.pool.Pool`,
        ``quotas`` not a :class:`~civicsortition.quotas.Quotas` (for example the two
        swapped), ``panel``, ``dropouts`` or ``excluded`` a single string or not a sequence of
        string ids, ``households`` not a bool, ``tickets`` not an integer.
    InputError
        Unknown ids, dropouts not on the panel, a bad ``on_infeasible`` or ``seed``, a
        non-positive ``tickets``.
    civicsortition.program.InfeasibleQuotasError
        The remaining pool cannot fill the seats within the residual quotas (and
        ``on_infeasible="raise"``, or no relaxation exists).
    """
    fn = "replace"
    _check_common(fn, pool, quotas)
    _options(fn, households=households, tickets=tickets, algorithm=algorithm)
    if not isinstance(on_infeasible, str) or on_infeasible not in ("raise", "relax"):
        raise InputError.single("bad-option", "replace(on_infeasible=...): expected 'raise' or "
                                "'relax'", column="on_infeasible", value=repr(on_infeasible))
    seed = normalise_seed(seed)
    panel_rows = _ids(pool, panel, "panel", fn)
    drop_rows = _ids(pool, dropouts, "dropouts", fn)
    outside = [pool.ids[i] for i in drop_rows if i not in panel_rows]
    if outside:
        raise InputError([Problem("not-on-panel", "a dropout must be a panel member",
                                  column="dropouts", value=pid) for pid in outside])
    if not drop_rows:
        raise InputError.single("no-dropouts", "nothing to replace", column="dropouts")
    kept_rows = [i for i in panel_rows if i not in drop_rows]
    kept = tuple(pool.ids[i] for i in kept_rows)
    residual = residual_quotas(pool, quotas, kept, len(drop_rows))
    candidates = _eligible(pool, panel_rows, kept_rows, _ids(pool, excluded, "excluded", fn),
                           households)
    _enough(candidates, len(drop_rows), "seats to fill")
    remaining = pool.subset(candidates)
    changes: tuple[QuotaChange, ...] = ()
    try:
        dist = find_distribution(remaining, residual, algorithm=algorithm,
                                 households=households, relax_priorities=relax_priorities,
                                 **options)
    except InfeasibleQuotasError as e:
        # under relax_priorities, find_distribution's error already carries the least
        # relaxation in the organisers' sense: the suggestion of on_infeasible="raise" too
        if on_infeasible == "raise":
            raise
        if e.relaxed is None or not e.relaxed_feasible:
            raise e from None
        changes, residual = e.changes, e.relaxed
        dist = find_distribution(remaining, residual, algorithm=algorithm,
                                 households=households, **options)
    lottery = transparent_lottery(dist, tickets)
    record = draw(lottery, seed)
    return Replacement(kept, tuple(pool.ids[i] for i in drop_rows), record.panel, residual,
                       remaining, dist, lottery, record, changes)


# ------------------------------------------------------------------------------ alternates
@attrs.frozen(eq=False)
class Alternates:
    """An ordered list of alternates prepared in advance.

    Attributes
    ----------
    order : tuple of str
        Alternate ids, first to be asked first.
    quotas : Quotas
        The proportional quotas the set was drawn under.
    distribution : Distribution
    record : DrawRecord
        The public draw of the set; the order then follows :func:`alternate_key`.
    """

    order: tuple[str, ...]
    quotas: Quotas
    distribution: Distribution
    record: DrawRecord


def prepare_alternates(pool: Pool, quotas: Quotas, panel: Sequence[str], count: int, seed: str,
                       *, algorithm: str = "leximin", households: bool = True,
                       excluded: Sequence[str] = (), tickets: int = 1000,
                       **options: Any) -> Alternates:
    """Draw ``count`` alternates fairly, with quotas proportional to the panel's, and order them.

    Returns
    -------
    Alternates

    Raises
    ------
    TypeError
        If ``pool`` is not a :class:`~civicsortition.pool.Pool`, ``quotas`` not a
        :class:`~civicsortition.quotas.Quotas`, ``panel`` or ``excluded`` a single string or
        not a sequence of string ids, ``households`` not a bool, ``tickets`` not an integer.
    InputError
        ``bad-count``, a bad ``seed``, a non-positive ``tickets``, or unknown ids.
    civicsortition.program.InfeasibleQuotasError
        The remaining pool cannot supply a proportional set of that size.
    """
    fn = "prepare_alternates"
    _check_common(fn, pool, quotas)
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        raise InputError.single("bad-count", "prepare_alternates(count=...): expected a "
                                "positive integer", column="count", value=repr(count))
    count = int(count)
    _options(fn, households=households, tickets=tickets, algorithm=algorithm)
    seed = normalise_seed(seed)
    panel_rows = _ids(pool, panel, "panel", fn)
    k = quotas.panel_size
    alt_quotas = Quotas(count, [ValueQuota(q.category, q.value, (q.min * count) // k,
                                           min(count, math.ceil(q.max * count / k)))
                                for q in quotas])
    candidates = _eligible(pool, panel_rows, panel_rows,
                           _ids(pool, excluded, "excluded", fn), households)
    _enough(candidates, count, "alternates wanted")
    remaining = pool.subset(candidates)
    dist = find_distribution(remaining, alt_quotas, algorithm=algorithm, households=households,
                             **options)
    record = draw(transparent_lottery(dist, tickets), seed)
    order = tuple(sorted(record.panel, key=lambda pid: (alternate_key(seed, pid), pid)))
    return Alternates(order, alt_quotas, dist, record)


def fill_from_alternates(pool: Pool, quotas: Quotas, panel: Sequence[str],
                         dropouts: Sequence[str], alternates: Sequence[str] | Alternates, *,
                         households: bool = True, unavailable: Sequence[str] = ()
                         ) -> tuple[str, ...]:
    """The earliest alternates (in list order) that complete a panel within the quotas.

    Among all sets of ``len(dropouts)`` available alternates that, with the kept members,
    satisfy the quotas (and the household rule), returns the lexicographically first by list
    position: alternate 1 is used whenever some valid completion contains it, and so on.

    Raises
    ------
    TypeError
        If ``pool`` is not a :class:`~civicsortition.pool.Pool`, ``quotas`` not a
        :class:`~civicsortition.quotas.Quotas`, ``panel``, ``dropouts``, ``alternates`` or
        ``unavailable`` a single string or not a sequence of string ids, ``households`` not a
        bool.
    InputError
        Unknown or repeated ids.
    InfeasibleError
        No set of alternates completes the panel (draw replacements with :func:`replace`).
    """
    fn = "fill_from_alternates"
    _check_common(fn, pool, quotas)
    _options(fn, households=households)
    order = alternates.order if isinstance(alternates, Alternates) else alternates
    panel_rows = _ids(pool, panel, "panel", fn)
    drop_rows = set(_ids(pool, dropouts, "dropouts", fn))
    kept_rows = [i for i in panel_rows if i not in drop_rows]
    gone = set(_ids(pool, unavailable, "unavailable", fn))
    skip = gone | set(panel_rows)   # unavailable people and panel members are never used
    alt_rows = [i for i in _ids(pool, order, "alternates", fn) if i not in skip]
    need = len(drop_rows)
    chosen: list[int] = []

    def completable(fixed: list[int], rest: list[int]) -> bool:
        if households and pool.households is not None:
            hh = Counter(pool.households[i] for i in kept_rows + fixed if pool.households[i])
            if any(c > 1 for c in hh.values()):
                return False
            rest = [i for i in rest if pool.households[i] not in hh]
        seats = need - len(fixed)
        held = _held(pool, quotas, kept_rows + fixed)
        if any(have > q.max or q.min - have > seats
               for q, have in zip(quotas, held, strict=True)):
            return False
        if seats == 0:
            return True
        if len(rest) < seats:
            return False
        program = PanelProgram.build(pool.subset(rest), _residual(quotas, held, seats),
                                     households=households)
        return feasible_profile(program) is not None

    for pos, i in enumerate(alt_rows):
        if len(chosen) == need:
            break
        if completable([*chosen, i], alt_rows[pos + 1:]):
            chosen.append(i)
    if len(chosen) < need:
        raise InfeasibleError(f"no {need} of the {len(alt_rows)} available alternates complete "
                              "a panel within the quotas; draw replacements with replace()")
    return tuple(pool.ids[i] for i in chosen)


# ------------------------------------------------------------------ replacement counts
@attrs.frozen
class MemberReplacements:
    """How many people could take one member's seat (a row of :class:`ReplacementCounts`).

    Attributes
    ----------
    member : str
        The member's id.
    profile : tuple of str
        The member's value of each category of :attr:`ReplacementCounts.categories`.
    count : int
        People off the panel ``p`` (not excluded) with ``panel − member + p`` meeting every
        quota (and the household rule, when it is on).
    """

    member: str
    profile: tuple[str, ...]
    count: int


@attrs.frozen
class ProfileReplacements:
    """The members of one profile and their replacement counts (see :class:`ReplacementCounts`).

    Attributes
    ----------
    profile : tuple of str
    members : tuple of str
        The members with this profile, in panel order.
    counts : tuple of int
        Each member's count: equal, except where the household rule keeps a housemate of
        another member out.
    simultaneous : tuple of bool
        With ``replacement_counts(..., simultaneous=True)``: entry ``d − 1`` says whether the
        first ``d`` of :attr:`members` dropping out at once could all be replaced, some ``d``
        people off the panel completing it within every quota (and the household rule);
        empty otherwise.
    """

    profile: tuple[str, ...]
    members: tuple[str, ...]
    counts: tuple[int, ...]
    simultaneous: tuple[bool, ...] = ()

    @property
    def count(self) -> int:
        """The smallest of :attr:`counts` (the profile's count when they are all equal)."""
        return min(self.counts)

    @property
    def absorbs(self) -> int | None:
        """How many of these members can drop out at once and all be replaced.

        The largest ``d`` such that for every ``1 ≤ d' ≤ d`` the seats of ``d'`` of them can
        be filled together within the quotas (:attr:`simultaneous`); None when that was not
        computed (``replacement_counts(..., simultaneous=False)``).
        """
        if not self.simultaneous:
            return None
        return next((d for d, ok in enumerate(self.simultaneous) if not ok),
                    len(self.simultaneous))


@attrs.frozen(eq=False)
class ReplacementCounts:
    """Per panel member, how many people could replace them under the residual quotas.

    Built by :func:`replacement_counts`.

    Attributes
    ----------
    categories : tuple of str
        The single categories of the quotas (a profile is a member's values in them).
    members : tuple of MemberReplacements
        One row per member, in panel order.
    candidates : int
        People off the panel and not excluded (the most any count can be).
    households : bool
        Whether the household rule was kept.
    simultaneous : dict
        Profile -> whether 1, 2, ... of its members dropping out at once could all be
        replaced (see :attr:`ProfileReplacements.simultaneous`); empty unless asked for.
    """

    categories: tuple[str, ...]
    members: tuple[MemberReplacements, ...]
    candidates: int
    households: bool
    simultaneous: dict[tuple[str, ...], tuple[bool, ...]] = attrs.field(factory=dict)

    def by_profile(self) -> tuple[ProfileReplacements, ...]:
        """The members grouped by profile, fewest replacements first (then by profile)."""
        groups: dict[tuple[str, ...], list[MemberReplacements]] = {}
        for row in self.members:
            groups.setdefault(row.profile, []).append(row)
        out = [ProfileReplacements(p, tuple(r.member for r in rows),
                                   tuple(r.count for r in rows), self.simultaneous.get(p, ()))
               for p, rows in groups.items()]
        return tuple(sorted(out, key=lambda g: (g.count, g.profile)))

    def as_rows(self) -> list[dict[str, Any]]:
        """One mapping per member: ``member``, each category, ``replacements`` (a tidy table)."""
        return [{"member": r.member, **dict(zip(self.categories, r.profile, strict=True)),
                 "replacements": r.count} for r in self.members]

    def to_frame(self, *, like: Any = "pandas") -> Any:
        """:meth:`as_rows` as a DataFrame of the library named by ``like`` (needs narwhals)."""
        from ._frames import to_frame

        return to_frame(self.as_rows(), like=like)


def replacement_counts(pool: Pool, quotas: Quotas, panel: Sequence[str], *,
                       households: bool = True, excluded: Sequence[str] = (),
                       simultaneous: bool = False,
                       backend: str | None = None) -> ReplacementCounts:
    r"""For each panel member, how many people off the panel could take their seat.

    Person ``p`` (off the panel, not excluded) can replace member ``m`` when the panel
    ``K ∪ {p}`` with ``K = panel − m`` meets every quota, that is when ``p`` meets the residual
    quotas of one seat (see :func:`residual_quotas`):

    .. math:: \ell_r - c_r(K) \le [p \in r] \le u_r - c_r(K) \quad \text{for every row } r,

    and, with the household rule, no member of ``K`` shares ``p``'s household. The quota
    condition depends on ``m`` only through its values, so members with the same values (a
    *profile*) have the same count -- up to the household rule, which keeps out the
    housemates of the *other* members (see :meth:`ReplacementCounts.by_profile`). No solver
    runs: one vectorised check per profile.

    Parameters
    ----------
    pool : Pool
        The full pool the panel was drawn from.
    quotas : Quotas
        The quotas the panel was drawn under (joint rows included).
    panel : sequence of str
        The drawn members' ids (``quotas.panel_size`` of them).
    households : bool
        Keep the one-per-household rule.
    excluded : sequence of str
        Pool members who cannot serve (not counted).
    simultaneous : bool
        Also say, for each profile with ``m`` members, whether ``d = 1, ..., m`` of them
        dropping out at once could all be replaced: the residual quotas of ``d`` seats (after
        the first ``d`` members of the profile, in panel order, leave) have a solution among
        the eligible people. One small feasibility integer program per profile and ``d``.
        Members of one profile are interchangeable in the quotas, so the answer does not
        depend on which ``d`` leave -- except through the household rule (whose housemates
        are kept out).
    backend : str, optional
        Solver backend of those programs.

    Returns
    -------
    ReplacementCounts

    Raises
    ------
    TypeError
        If ``pool`` is not a Pool, ``quotas`` not a Quotas table, ``panel`` or ``excluded``
        not a sequence of string ids, ``households`` not a bool.
    InputError
        ``unknown-id``/``duplicate-id`` for bad ids, ``panel-size-mismatch`` when the panel
        does not have ``quotas.panel_size`` members, ``panel-breaks-quotas`` (one per row)
        when it does not meet the quotas, ``category-missing-in-pool`` when the quotas name
        a category the pool does not have.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"id": f"p{i}", "sex": s} for i, s in enumerate("ffmmmf")],
    ...                          categories=["sex"], id_field="id")
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> [(r.member, r.count) for r in replacement_counts(pool, quotas, ["p0", "p2"]).members]
    [('p0', 2), ('p2', 2)]
    """
    fn = "replacement_counts"
    _check_common(fn, pool, quotas)
    _options(fn, households=households)
    require_bool(simultaneous, f"{fn}(simultaneous=...)")
    rows = _ids(pool, panel, "panel", fn)
    if len(rows) != quotas.panel_size:
        raise InputError.single("panel-size-mismatch",
                                tr("{fn}(panel=...): the panel has {n} members, the quotas "
                                   "{k} seats", fn=fn, n=len(rows), k=quotas.panel_size),
                                column="panel", value=str(len(rows)))
    excluded_rows = _ids(pool, excluded, "excluded", fn)
    gone = set(rows) | set(excluded_rows)
    PanelProgram.build(pool, quotas, households=False)  # refuses categories the pool lacks
    cand = np.array([i for i in range(pool.n) if i not in gone], dtype=np.int64)
    M = np.array([q.mask(pool) for q in quotas], dtype=np.int64).reshape(len(quotas), pool.n)
    lo = np.array([q.min for q in quotas], dtype=np.int64)
    hi = np.array([q.max for q in quotas], dtype=np.int64)
    held = M[:, rows].sum(axis=1)
    broken = [Problem("panel-breaks-quotas", tr(
        "{fn}(panel=...): the panel has {held} with {row}, outside [{low}, {high}]: counts of "
        "replacements that keep every quota mean nothing for it", fn=fn, held=int(held[r]),
        row=f"{q.category}={q.value}", low=q.min, high=q.max),
        column=q.category, value=q.value)
        for r, q in enumerate(quotas) if not lo[r] <= held[r] <= hi[r]]
    if broken:
        raise InputError(broken)
    fits: dict[bytes, npt.NDArray[np.bool_]] = {}  # by the member's column: who fits the seat
    house = pool.households if households else None
    on_panel = (Counter(house[i] for i in rows if house[i] is not None) if house is not None
                else Counter())
    names = {c.name.casefold(): j for j, c in enumerate(pool.strata)}
    cats = tuple(quotas.strata.names)
    where = [names[c.casefold()] for c in cats]
    out: list[MemberReplacements] = []
    for m in rows:
        key = M[:, m].tobytes()
        if key not in fits:
            after = (held - M[:, m])[:, None] + M[:, cand]
            fits[key] = np.all((after >= lo[:, None]) & (after <= hi[:, None]), axis=0)
        ok = fits[key]
        if house is not None:
            own = house[m]
            blocked = {h for h, c in on_panel.items() if c - (h == own) >= 1}
            ok = ok & np.array([house[p] not in blocked for p in cand], dtype=bool)
        profile = tuple(pool.strata.categories[j].values[pool.codes[m, j]] for j in where)
        out.append(MemberReplacements(pool.ids[m], profile, int(ok.sum())))
    together: dict[tuple[str, ...], tuple[bool, ...]] = {}
    if simultaneous:
        groups: dict[tuple[str, ...], list[int]] = {}
        for m, row in zip(rows, out, strict=True):
            groups.setdefault(row.profile, []).append(m)
        for profile, members in groups.items():
            together[profile] = tuple(
                _fillable(pool, quotas, rows, members[:d], excluded_rows, households, backend)
                for d in range(1, len(members) + 1))
    return ReplacementCounts(cats, tuple(out), len(cand), house is not None, together)


def _fillable(pool: Pool, quotas: Quotas, panel: Sequence[int], leaving: Sequence[int],
              excluded: Sequence[int], households: bool, backend: str | None) -> bool:
    """Whether eligible people can fill the seats of ``leaving`` within every quota."""
    gone = set(leaving)
    kept = [i for i in panel if i not in gone]
    candidates = _eligible(pool, panel, kept, excluded, households)
    if len(candidates) < len(leaving):
        return False
    try:
        residual = residual_quotas(pool, quotas, [pool.ids[i] for i in kept], len(leaving))
    except InputError as e:
        if e.code == "quota-exceeded":   # the kept members alone break a maximum
            return False
        raise
    try:
        program = PanelProgram.build(pool.subset(candidates), residual, households=households)
        return feasible_profile(program, backend) is not None
    except InfeasibleError:
        return False
