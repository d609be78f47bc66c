r"""Feasibility: the pricing oracle, any feasible panel, and the minimal relaxation.

These are the solves on a :class:`~civicsortition.program.PanelProgram` (which itself only holds
the problem as data and checks panels):

* :func:`best_profile` -- the feasible profile of maximum weight ``w @ c``, to proven
  optimality (the pricing oracle of every column-generation algorithm);
* :func:`local_search` -- a cheap improvement heuristic for the same problem (never a proof);
* :func:`feasible_profile` -- any feasible profile, or None;
* :func:`explain_infeasible` -- the least-change relaxation of the quotas, verified by solving,
  wrapped in an :class:`~civicsortition.errors.InfeasibleQuotasError`; under
  :class:`RelaxationPriorities` (an order of categories, weights, rows never to relax) the
  lexicographically least, weighted change instead (see :func:`explain_infeasible`);
* :func:`minimal_relaxation` -- the same from a pool and a quota table, ``None`` when the
  quotas hold as they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .._i18n import tr
from .._typing import FloatArray, IntArray
from ..backends import Backend, get_backend
from ..errors import (
    HardQuotasInfeasibleError,
    InfeasibleError,
    InfeasibleQuotasError,
    InputError,
    Problem,
    QuotaChange,
    SolverError,
    Status,
)
from ..pool import Pool
from ..program import PanelProgram
from ..quotas import Quotas, ValueQuota
from ..strata import split_joint

__all__ = ["RelaxationPriorities", "best_profile", "explain_infeasible", "feasible_profile",
           "local_search", "minimal_relaxation", "reprioritised"]


def best_profile(program: PanelProgram, weights: FloatArray, backend: Backend | str | None = None,
                 *, restrict: FloatArray | None = None) -> tuple[IntArray, float]:
    """The feasible profile maximising ``weights @ c`` (the pricing oracle).

    Solved to proven optimality (zero MIP gap). ``restrict`` optionally gives per-type
    upper bounds tighter than ``n_t``.

    Raises
    ------
    InfeasibleError
        If no feasible profile exists.
    SolverError
        On any other non-optimal status.
    """
    be = get_backend(backend)
    hi = program.sizes.astype(float) if restrict is None else np.minimum(program.sizes, restrict)
    res = be.milp(np.asarray(weights, dtype=float), program.A, program.row_lo, program.row_hi,
                  np.zeros(program.n_types), hi)
    if res.status is Status.INFEASIBLE:
        raise InfeasibleError("no feasible panel")
    if res.status is not Status.OPTIMAL or res.x is None:
        raise SolverError("pricing problem not solved", res.status, res.raw)
    return res.x.astype(np.int64), res.objective


def local_search(program: PanelProgram, profile: IntArray, weights: FloatArray, *,
                 max_moves: int = 500) -> tuple[IntArray, float]:
    """Improve a feasible profile by best-improvement swaps that keep every row in bounds.

    A swap takes one member of type ``a`` off the panel and puts one of type ``b`` on. As
    ``A`` is 0/1, it changes each row by at most one, so only rows already at a bound can
    break: a row at its upper bound forbids swaps with ``A[r, b] = 1, A[r, a] = 0``, a row at
    its lower bound those with ``A[r, a] = 1, A[r, b] = 0``. All pairs are checked at once
    with two small matrix products. A cheap pricing heuristic: it never proves optimality.

    Returns the improved profile and its weight.
    """
    c = np.array(profile, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    A = program.A
    act = A @ c
    for _ in range(max_moves):
        ins = np.flatnonzero(c < program.sizes)
        outs = np.flatnonzero(c > 0)
        gain = w[ins][:, None] - w[outs][None, :]
        if gain.size == 0 or gain.max() <= 1e-12:
            break
        at_hi = act >= program.row_hi - 0.5
        at_lo = act <= program.row_lo + 0.5
        a_in, a_out = A[:, ins], A[:, outs]
        bad = a_in[at_hi].T @ (1.0 - a_out[at_hi]) + (1.0 - a_in[at_lo]).T @ a_out[at_lo]
        gain[bad > 0] = -np.inf
        best = int(np.argmax(gain))
        i, j = divmod(best, len(outs))
        if gain[i, j] <= 1e-12:
            break
        enter, leave = ins[i], outs[j]
        c[leave] -= 1
        c[enter] += 1
        act += A[:, enter] - A[:, leave]
    return c, float(w @ c)


def feasible_profile(program: PanelProgram,
                     backend: Backend | str | None = None) -> IntArray | None:
    """Any feasible profile, or None if there is none."""
    try:
        return best_profile(program, np.zeros(program.n_types), backend)[0]
    except InfeasibleError:
        return None


# ------------------------------------------------------------------ relaxation priorities
Weight = int | float | Fraction

#: Largest integer weight a priority level may reach once its weights are scaled to integers
#: (the level objective must stay an exactly representable integer in the solver's doubles).
MAX_SCALED_WEIGHT = 10**6
#: In ``order``, the place of every category the order does not name (default: last).
REST = "*"


def _name_list(x: str | Iterable[str]) -> tuple[str, ...]:
    """Names from ``"a,b"`` or an iterable of strings, stripped (empty ones refused later)."""
    items = x.split(",") if isinstance(x, str) else list(x)
    if isinstance(x, str) and not x.strip():
        return ()
    return tuple(str(t).strip() for t in items)


def _fraction(w: object) -> Fraction | None:
    """A positive finite weight as an exact fraction (None if it is not one)."""
    if isinstance(w, bool):
        return None
    if isinstance(w, str):
        try:
            w = Fraction(w.strip())
        except (ValueError, ZeroDivisionError):
            return None
    if isinstance(w, Fraction | int | np.integer):
        f = Fraction(int(w)) if isinstance(w, np.integer) else Fraction(w)
    elif isinstance(w, float | np.floating) and math.isfinite(float(w)):
        f = Fraction(str(float(w)))  # the decimal the user wrote: 0.1 is 1/10
    else:
        return None
    return f if f > 0 else None


def _weight_pairs(x: Mapping[str, Weight] | str | Iterable[tuple[str, Weight]]
                  ) -> tuple[tuple[str, Any], ...]:
    """``{"age": 2}``, ``"age=2,sex=female=3"`` or pairs, as ``(name, weight)`` pairs."""
    if isinstance(x, str):
        if not x.strip():
            return ()
        out: list[tuple[str, str]] = []
        for item in x.split(","):
            name, sep, value = item.rpartition("=")
            out.append((name.strip() if sep else item.strip(), value.strip() if sep else ""))
        return tuple(out)  # the texts are checked (and turned into numbers) by the validator
    items = x.items() if isinstance(x, Mapping) else x
    return tuple((str(name).strip(), w) for name, w in items)


@attrs.frozen
class RelaxationPriorities:
    r"""Which quotas the minimal relaxation gives up first.

    A *name* is a category (``"age"``, a joint ``"sex×age"``, written with ``×`` or ``*`` in
    any order of its parts; case is ignored) or one quota row (``"age=18-29"``,
    ``"sex×age=female×18-29"``; the value is matched exactly). A joint category is a category
    of its own: it has its own place in the order and its own weight, whatever its parts'.

    Parameters
    ----------
    order : str or sequence of str
        Categories in the order they may be relaxed: the first is given up first, the last is
        the most protected. ``"*"`` stands for every category the order does not name
        (default: after the named ones, i.e. the most protected). Lexicographic: the change
        of the most protected level is minimised first, then the next one's, and so on.
        Empty (default): all quotas form one level.
    weights : mapping of str to number, or str
        Weight of each category's or row's change within its level (positive; a row's weight
        wins over its category's; default 1). ``"education=1,age=2"`` is accepted.
    never : str or sequence of str
        Categories or rows never to relax (hard constraints).

    Notes
    -----
    With slacks :math:`s^-_r, s^+_r \ge 0` per quota row (see :func:`explain_infeasible`),
    level :math:`L_j` (most protected first) minimises
    :math:`\sum_{r \in L_j} w_r (s^-_r + s^+_r)` subject to every earlier level keeping its
    optimum, and :math:`s^-_r = s^+_r = 0` for the rows in ``never``.
    The default ``RelaxationPriorities()`` is the plain least total change.

    Examples
    --------
    >>> p = RelaxationPriorities(order="education,age", never="district",
    ...                          weights={"age=18-29": 2})
    >>> p.order, p.never, p.is_default
    (('education', 'age'), ('district',), False)
    """

    order: tuple[str, ...] = attrs.field(default=(), converter=_name_list)
    weights: tuple[tuple[str, Fraction], ...] = attrs.field(default=(), converter=_weight_pairs)
    never: tuple[str, ...] = attrs.field(default=(), converter=_name_list)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field, names in (("order", self.order), ("never", self.never),
                             ("weights", tuple(n for n, _ in self.weights))):
            seen: set[object] = set()
            for name in names:
                if not name or (name == REST and field != "order"):
                    problems.append(Problem("bad-relax-priority",
                                            tr("RelaxationPriorities({field}=...): expected "
                                               "category or row names", field=field),
                                            column=field, value=name))
                    continue
                key = _name_key(name)
                if key in seen:
                    problems.append(Problem("repeated-relax-priority",
                                            tr("RelaxationPriorities({field}=...): a name is "
                                               "given twice", field=field),
                                            column=field, value=name))
                seen.add(key)
        scaled: list[tuple[str, object]] = []
        for name, w in self.weights:
            f = _fraction(w)
            if f is None:
                problems.append(Problem("bad-relax-weight",
                                        tr("the weight of {name!r} must be a positive number",
                                           name=name),
                                        column="weights", value=str(w)))
            scaled.append((name, w if f is None else f))
        if problems:
            raise InputError(problems)
        object.__setattr__(self, "weights", tuple(scaled))

    @property
    def is_default(self) -> bool:
        """True when nothing is set: the plain least total change."""
        return not (self.order or self.weights or self.never)

    def check(self, quotas: Quotas) -> None:
        """Refuse names that ``quotas`` does not have (before any solve).

        Raises
        ------
        InputError
            ``unknown-relax-priority``, ``relax-order-row``, ``conflicting-relax-priorities``
            or ``bad-relax-weight`` (see :func:`explain_infeasible`).
        """
        _plan(self, quotas)

    def describe(self) -> str:
        """One line for people, e.g. ``never relax district; relax order education, age``."""
        parts: list[str] = []
        if self.never:
            parts.append(tr("never relax {names}", names=", ".join(self.never)))
        if self.order:
            parts.append(tr("relax in this order: {names}", names=", ".join(self.order)))
        if self.weights:
            parts.append(tr("weights {weights}",
                            weights=", ".join(f"{n}={w}" for n, w in self.weights)))
        return "; ".join(parts) if parts else tr("least total change")


def _category_key(name: str) -> object:
    """What makes two category names the same: case, and a joint name's order of parts."""
    parts = split_joint(name)
    if len(parts) > 1:
        return frozenset(p.casefold() for p in parts)
    return name.strip().casefold()


def _row_key(category: str, value: str) -> object:
    """What makes two rows the same: as :func:`_category_key`, the values matched exactly."""
    cats = split_joint(category)
    vals = split_joint(value) if len(cats) > 1 else (value.strip(),)
    if len(cats) > 1 and len(vals) == len(cats):
        return frozenset(zip((c.casefold() for c in cats), vals, strict=True))
    return (_category_key(category), value.strip())


def _name_key(name: str) -> object:
    category, sep, value = name.partition("=")
    return _row_key(category, value) if sep else _category_key(name)


@attrs.frozen(eq=False)
class _Plan:
    """Priorities resolved against a quota table (rows in quota order)."""

    levels: tuple[tuple[str, IntArray], ...]   # (label, row indices), most protected first
    weights: IntArray                          # per row, integers scaled per level
    hard: npt.NDArray[np.bool_]                # rows never to relax
    prioritised: bool                          # False: the plain least change (no levels)


def _plan(priorities: RelaxationPriorities | None, quotas: Quotas) -> _Plan:
    """Resolve ``priorities`` against ``quotas``.

    Raises
    ------
    InputError
        ``unknown-relax-priority`` for a name no quota row has, ``relax-order-row`` for a row
        in ``order`` (it orders categories), ``conflicting-relax-priorities`` for a category
        both ordered and never to relax.
    """
    rows = list(quotas)
    R = len(rows)
    if priorities is None or priorities.is_default:
        return _Plan((("", np.arange(R)),), np.ones(R, dtype=np.int64), np.zeros(R, dtype=bool),
                     False)
    require_priorities(priorities)
    cat_keys = [_category_key(q.category) for q in rows]
    row_keys = [_row_key(q.category, q.value) for q in rows]
    names: dict[object, str] = {}
    for q, key in zip(rows, cat_keys, strict=True):
        names.setdefault(key, q.category)
    problems: list[Problem] = []

    def rows_of(name: str, field: str) -> list[int] | None:
        key = _name_key(name)
        found = [r for r in range(R) if key in (cat_keys[r], row_keys[r])]
        if not found:
            problems.append(Problem("unknown-relax-priority",
                                    tr("RelaxationPriorities({field}=...): no quota row has "
                                       "this category or value", field=field),
                                    column=field, value=name))
            return None
        return found

    hard = np.zeros(R, dtype=bool)
    hard_categories: set[object] = set()
    for name in priorities.never:
        found = rows_of(name, "never")
        if found is not None:
            hard[found] = True
            if "=" not in name:
                hard_categories.add(_category_key(name))
    listed: list[object] = []
    for name in priorities.order:
        if name == REST:
            listed.append(REST)
            continue
        if "=" in name:
            problems.append(Problem("relax-order-row",
                                    "RelaxationPriorities(order=...): the order lists "
                                    "categories, not rows (give a row a weight instead)",
                                    column="order", value=name))
            continue
        if rows_of(name, "order") is None:
            continue
        key = _category_key(name)
        if key in hard_categories:
            problems.append(Problem("conflicting-relax-priorities",
                                    "a category is both in the relaxation order and never to "
                                    "be relaxed", column="order", value=name))
        listed.append(key)
    weight = [Fraction(1)] * R
    for category_level in (True, False):  # a row's own weight wins over its category's
        for name, w in priorities.weights:
            if ("=" in name) == category_level:
                continue
            for r in rows_of(name, "weights") or ():
                weight[r] = Fraction(w)
    if problems:
        raise InputError(problems)
    if REST not in listed:
        listed.append(REST)
    rest = [key for key in names if key not in listed and key not in hard_categories]
    groups: list[list[object]] = [rest if key == REST else [key] for key in listed]
    levels: list[tuple[str, IntArray]] = []
    scaled = np.zeros(R, dtype=np.int64)
    problems = []
    for group in reversed(groups):  # the most protected level is minimised first
        members = np.array([r for r in range(R) if cat_keys[r] in group], dtype=np.int64)
        if len(members) == 0:
            continue
        scale = math.lcm(*(weight[r].denominator for r in members))
        for r in members:
            scaled[r] = int(weight[r] * scale)
        if int(scaled[members].max()) > MAX_SCALED_WEIGHT:
            problems.append(Problem("bad-relax-weight",
                                    tr("the weights of one level need integers up to {n} to "
                                       "be written exactly; use simpler ratios",
                                       n=int(scaled[members].max())), column="weights"))
        levels.append((", ".join(names[key] for key in group), members))
    if problems:
        raise InputError(problems)
    if not levels:  # every category is never to relax: one feasibility solve
        levels.append(("", np.arange(R)))
        scaled[:] = 1
    return _Plan(tuple(levels), scaled, hard, True)


def require_priorities(priorities: object) -> None:
    """Refuse anything but a :class:`RelaxationPriorities` (or None) with a TypeError."""
    from .._checks import require

    if priorities is not None:
        require(priorities, RelaxationPriorities, "priorities=...",
                "a RelaxationPriorities or None")


@attrs.frozen(eq=False)
class _Relaxation:
    """The integer program of the relaxation over (c, s⁻, s⁺) (see :func:`explain_infeasible`)."""

    A: FloatArray
    row_lo: FloatArray
    row_hi: FloatArray
    var_hi: FloatArray

    @classmethod
    def of(cls, program: PanelProgram) -> _Relaxation:
        T, R = program.n_types, program.n_quota_rows
        k = program.panel_size
        q_rows = program.A[1:1 + R]
        h_rows = program.A[1 + R:]
        top = np.hstack([np.ones((1, T)), np.zeros((1, 2 * R))])
        lower = np.hstack([q_rows, np.eye(R), np.zeros((R, R))])     # A c + s- >= lo
        upper = np.hstack([q_rows, np.zeros((R, R)), -np.eye(R)])    # A c - s+ <= hi
        hh = np.hstack([h_rows, np.zeros((len(h_rows), 2 * R))])
        A = np.vstack([top, lower, upper, hh])
        lo_q, hi_q = program.row_lo[1:1 + R], program.row_hi[1:1 + R]
        row_lo = np.concatenate([[k], lo_q, np.full(R, -np.inf), np.zeros(len(h_rows))])
        row_hi = np.concatenate([[k], np.full(R, np.inf), hi_q, np.ones(len(h_rows))])
        s_minus_max = np.array([q.min - q.min_flex if q.min_flex is not None else q.min
                                for q in program.quotas], dtype=float)
        s_plus_max = np.array([q.max_flex - q.max if q.max_flex is not None else k
                               for q in program.quotas], dtype=float)
        var_hi = np.concatenate([program.sizes.astype(float), s_minus_max, s_plus_max])
        return cls(A, row_lo, row_hi, var_hi)


def _objective(T: int, R: int, rows: IntArray, weights: IntArray) -> FloatArray:
    """``-Σ_{r ∈ rows} w_r (s⁻_r + s⁺_r)`` as a vector over (c, s⁻, s⁺) (the backend maximises)."""
    w = np.zeros(R)
    w[rows] = weights[rows]
    return np.concatenate([np.zeros(T), -w, -w])


def _change(s: FloatArray, T: int, R: int, rows: IntArray, weights: IntArray) -> int:
    """The weighted change of ``rows`` at the solution ``s`` (integers: slacks are rounded)."""
    sm, sp = np.rint(s[T:T + R]), np.rint(s[T + R:])
    return round(float(weights[rows] @ (sm[rows] + sp[rows])))


def explain_infeasible(program: PanelProgram, backend: Backend | str | None = None,
                       reasons: Sequence[str] = (), *,
                       priorities: RelaxationPriorities | None = None
                       ) -> InfeasibleQuotasError:
    r"""Build the error for infeasible quotas: a least-change relaxation, verified.

    The relaxation integer program adds slacks :math:`s^-_r, s^+_r \ge 0` to every quota row,

    .. math::

        \ell_r - s^-_r \le (A c)_r \le u_r + s^+_r, \qquad
        s^-_r \le \ell_r - \mathrm{min\_flex}_r, \qquad s^+_r \le \mathrm{max\_flex}_r - u_r,

    with :math:`\sum_t c_t = k`, the household rows and :math:`c` integer, and minimises
    :math:`\sum_r (s^-_r + s^+_r)` (without ``priorities``: exactly this program, as always).

    Under ``priorities`` (:class:`RelaxationPriorities`) the rows in ``never`` get
    :math:`s^-_r = s^+_r = 0`, and the levels :math:`L_1, \dots, L_m` (most protected first)
    are solved in turn: program :math:`j` minimises
    :math:`f_j = \sum_{r \in L_j} w_r (s^-_r + s^+_r)` subject to
    :math:`f_i \le f_i^*` for every :math:`i < j` (:math:`f_i^*` the optimum of program
    :math:`i`). The weights of a level are scaled to integers, so every :math:`f_i` is an
    integer and :math:`f_i \le f_i^* + \tfrac12` imposes it exactly whatever the solver's
    tolerance. The result is lexicographically least: no relaxation has a smaller
    :math:`(f_1, \dots, f_m)` in lexicographic order.

    Parameters
    ----------
    program : PanelProgram
    backend : Backend or str, optional
    reasons : sequence of str
        Necessary conditions that fail (kept in the error).
    priorities : RelaxationPriorities, optional
        Order, weights and rows never to relax (default: the plain least total change).

    Returns
    -------
    InfeasibleQuotasError
        With the moved bounds, the relaxed table (None when no relaxation within the flex
        limits keeps the ``never`` rows) and whether a panel exists under it (solved again);
        under priorities, :attr:`~InfeasibleQuotasError.levels` holds each level's change in
        seats. A :class:`~civicsortition.errors.HardQuotasInfeasibleError` when the ``never``
        rows cannot hold even with every other row dropped.

    Raises
    ------
    InputError
        When ``priorities`` name something the quotas do not have (see
        :class:`RelaxationPriorities`).
    SolverError
        When a level after the first is not solved to optimality (the first level's status
        decides infeasibility, as without priorities).
    """
    be = get_backend(backend)
    plan = _plan(priorities, program.quotas)
    T, R = program.n_types, program.n_quota_rows
    k = program.panel_size
    relax = _Relaxation.of(program)
    var_lo = np.zeros(T + 2 * R)
    var_hi = relax.var_hi.copy()
    var_hi[T:T + R][plan.hard] = 0.0
    var_hi[T + R:][plan.hard] = 0.0
    A, row_lo, row_hi = relax.A, relax.row_lo, relax.row_hi
    totals: list[tuple[str, int]] = []
    x: FloatArray | None = None
    for j, (label, rows) in enumerate(plan.levels):
        res = be.milp(_objective(T, R, rows, plan.weights), A, row_lo, row_hi, var_lo, var_hi)
        if res.status is not Status.OPTIMAL or res.x is None:
            if j > 0:
                raise SolverError("prioritised relaxation not solved", res.status, res.raw,
                                  stage=f"relaxation level {j + 1}")
            if plan.hard.any() and res.status is Status.INFEASIBLE:
                hard_error = _hard_conflict(program, plan, relax, be, reasons)
                if hard_error is not None:
                    return hard_error
            return InfeasibleQuotasError((), None, False, reasons)
        x = res.x
        value = _change(x, T, R, rows, plan.weights)
        seats = _change(x, T, R, rows, np.ones(R, dtype=np.int64))
        totals.append((label, seats))
        if j + 1 < len(plan.levels):  # keep this level at its optimum from now on
            A = np.vstack([A, -_objective(T, R, rows, plan.weights)[None]])
            row_lo = np.append(row_lo, -np.inf)
            row_hi = np.append(row_hi, value + 0.5)
    assert x is not None  # there is at least one level
    s_minus = np.rint(x[T:T + R]).astype(int)
    s_plus = np.rint(x[T + R:]).astype(int)
    changes: list[QuotaChange] = []
    entries: list[ValueQuota] = []
    for r, q in enumerate(program.quotas):
        new_min, new_max = q.min - int(s_minus[r]), q.max + int(s_plus[r])
        if (new_min, new_max) != (q.min, q.max):
            changes.append(QuotaChange(q.category, q.value, q.min, q.max, new_min, new_max))
        entries.append(attrs.evolve(q, min=new_min, max=new_max))
    relaxed = Quotas(k, entries)
    ok = feasible_profile(PanelProgram.build(program.pool, relaxed,
                                           households=program.households), be) is not None
    return InfeasibleQuotasError(changes, relaxed, ok, reasons,
                                 levels=totals if plan.prioritised else ())


def _hard_conflict(program: PanelProgram, plan: _Plan, relax: _Relaxation, be: Backend,
                   reasons: Sequence[str]) -> HardQuotasInfeasibleError | None:
    """The error naming the ``never`` rows if they cannot hold with every other row dropped.

    Two solves over (c, s⁻, s⁺) with no flex limit on any row (``s⁻_r ≤ ℓ_r``,
    ``s⁺_r ≤ k``): whether a panel keeps the ``never`` rows exactly, and if not, the least
    change among those rows alone that would let them hold (the other rows still free).
    """
    T, R = program.n_types, program.n_quota_rows
    k = program.panel_size
    lo_q = np.maximum(program.row_lo[1:1 + R], 0.0)
    free_hi = np.concatenate([program.sizes.astype(float), lo_q, np.full(R, float(k))])
    var_lo = np.zeros(T + 2 * R)
    keep_hi = free_hi.copy()
    keep_hi[T:T + R][plan.hard] = 0.0
    keep_hi[T + R:][plan.hard] = 0.0
    res = be.milp(np.zeros(T + 2 * R), relax.A, relax.row_lo, relax.row_hi, var_lo, keep_hi)
    if res.status is not Status.INFEASIBLE:
        return None  # the never rows can hold together: the flex limits of the others block
    hard_rows = np.flatnonzero(plan.hard)
    res = be.milp(_objective(T, R, hard_rows, np.ones(R, dtype=np.int64)), relax.A,
                  relax.row_lo, relax.row_hi, var_lo, free_hi)
    quotas = program.quotas.entries
    conflict: list[QuotaChange] = []
    if res.status is Status.OPTIMAL and res.x is not None:
        s_minus = np.rint(res.x[T:T + R]).astype(int)
        s_plus = np.rint(res.x[T + R:]).astype(int)
        for r in hard_rows:
            q = quotas[r]
            if s_minus[r] or s_plus[r]:
                conflict.append(QuotaChange(q.category, q.value, q.min, q.max,
                                            q.min - int(s_minus[r]), q.max + int(s_plus[r])))
    return HardQuotasInfeasibleError([(quotas[r].category, quotas[r].value) for r in hard_rows],
                                     conflict, reasons)


def minimal_relaxation(pool: Pool, quotas: Quotas, *,
                       priorities: RelaxationPriorities | None = None, households: bool = True,
                       backend: Backend | str | None = None) -> InfeasibleQuotasError | None:
    """The least relaxation of ``quotas`` that lets a panel exist, or None if none is needed.

    The program of :func:`explain_infeasible`, from a pool and a quota table, with the failing
    necessary conditions of :func:`civicsortition.diagnose` as the error's ``reasons``.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    priorities : RelaxationPriorities, optional
        Order, weights and rows never to relax (default: the plain least total change, the
        relaxation :func:`~civicsortition.algorithms.find_distribution` reports).
    households : bool
        Keep the one-per-household rule.
    backend : Backend or str, optional

    Returns
    -------
    InfeasibleQuotasError or None
        None when the quotas hold as they are; otherwise the error (not raised) with the
        relaxation, exactly as a selection would raise it -- a
        :class:`~civicsortition.errors.HardQuotasInfeasibleError` when the rows never to relax
        cannot hold together.

    Raises
    ------
    TypeError
        If ``pool`` is not a Pool, ``quotas`` not a Quotas table, ``priorities`` not a
        :class:`RelaxationPriorities` or None, ``households`` not a bool.
    InputError
        Quotas naming a category the pool does not have, or priorities naming something the
        quotas do not have.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": "f", "age": "old"}] * 3
    ...                          + [{"sex": "m", "age": "young"}] * 3, categories=["sex", "age"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 0, 2),
    ...                     ValueQuota("age", "young", 2, 2), ValueQuota("age", "old", 0, 2)])
    >>> err = minimal_relaxation(pool, quotas, priorities=RelaxationPriorities(never="sex"))
    >>> [str(c) for c in err.changes]
    ['age=young: [2, 2] -> [0, 2]']
    """
    from .._checks import require, require_bool
    from ..diagnostics import diagnose

    require(pool, Pool, "minimal_relaxation(pool=...)", "a Pool")
    require(quotas, Quotas, "minimal_relaxation(quotas=...)", "a Quotas table")
    require_priorities(priorities)
    require_bool(households, "minimal_relaxation(households=...)")
    be = get_backend(backend)
    program = PanelProgram.build(pool, quotas, households=households)
    _plan(priorities, quotas)  # refuse bad priorities before any solve
    if feasible_profile(program, be) is not None:
        return None
    reasons = [str(f) for f in diagnose(pool, quotas, households=households).errors]
    return explain_infeasible(program, be, reasons, priorities=priorities)


def reprioritised(error: InfeasibleQuotasError, pool: Pool, quotas: Quotas,
                  priorities: RelaxationPriorities | None, *, households: bool = True,
                  backend: Backend | str | None = None) -> InfeasibleQuotasError:
    """``error`` with its suggested relaxation recomputed under ``priorities``.

    The error a selection raised suggests the least total change; organisers who gave
    priorities get the least relaxation in their sense instead (:func:`minimal_relaxation`).
    ``error`` itself when ``priorities`` is None or no relaxation is needed after all.

    Parameters
    ----------
    error : InfeasibleQuotasError
        What the selection raised.
    pool, quotas, priorities, households, backend
        As :func:`minimal_relaxation`.

    Returns
    -------
    InfeasibleQuotasError
        The error to raise.
    """
    if priorities is None:
        return error
    found = minimal_relaxation(pool, quotas, priorities=priorities, households=households,
                               backend=backend)
    return error if found is None else found
