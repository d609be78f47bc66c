r"""The feasible panels as one integer program, formulated once, at the level of *types*.

People with identical values in every category and no household link are interchangeable, so
the program works over *types* ``t`` with ``n_t`` members and integer *profiles*
``0 <= c_t <= n_t`` (how many of type ``t`` sit on the panel). A person who shares a household
with another registered person is a type of their own. The feasible profiles are

.. math::

    \sum_t c_t = k, \qquad
    \ell_{f,v} \le \sum_{t : v_f(t) = v} c_t \le u_{f,v} \;\; \forall (f, v), \qquad
    \sum_{t \in h} c_t \le 1 \;\; \forall \text{ households } h, \qquad
    c \in \mathbb{Z}^T,\ 0 \le c \le n.

A profile is realised as a panel by taking ``c_t`` members of each type; any choice gives a
feasible panel. See ``docs/engine.md`` for the algorithms built on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from .backends import Backend, SolverError, Status, get_backend
from .errors import InfeasibleError, InputError, Problem
from .numerics import ROW_TOL
from .pool import Pool
from .quotas import Quotas, ValueQuota

__all__ = ["InfeasibleQuotasError", "PanelProgram", "QuotaChange"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@attrs.frozen
class QuotaChange:
    """One bound moved by the minimal relaxation."""

    category: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int

    def __str__(self) -> str:
        return (f"{self.category}={self.value}: [{self.old_min}, {self.old_max}] -> "
                f"[{self.new_min}, {self.new_max}]")


class InfeasibleQuotasError(InfeasibleError):
    """No panel satisfies the quotas.

    Attributes
    ----------
    changes : tuple of QuotaChange
        A relaxation of least total change (sum of the amounts bounds move), respecting
        ``min_flex``/``max_flex``; these are the quotas that bind.
    relaxed : Quotas or None
        The quota table with the relaxation applied, or None when no relaxation within the
        flex limits exists.
    relaxed_feasible : bool
        Whether a panel exists under ``relaxed`` (checked by solving).
    reasons : tuple of str
        Necessary conditions that fail (from :func:`civicsortition.diagnose`), if any.
    """

    def __init__(self, changes: Sequence[QuotaChange], relaxed: Quotas | None,
                 relaxed_feasible: bool, reasons: Sequence[str] = ()) -> None:
        self.changes = tuple(changes)
        self.relaxed = relaxed
        self.relaxed_feasible = relaxed_feasible
        self.reasons = tuple(reasons)
        lines = ["no panel satisfies the quotas"]
        lines += [f"  - {r}" for r in self.reasons]
        if relaxed is None:
            lines.append("  no relaxation within the min_flex/max_flex limits makes them feasible")
        else:
            total = sum(abs(c.new_min - c.old_min) + abs(c.new_max - c.old_max)
                        for c in self.changes)
            lines.append(f"  smallest relaxation (total change {total}"
                         f"{'' if relaxed_feasible else ', NOT verified feasible'}):")
            lines += [f"    {c}" for c in self.changes]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.changes, self.relaxed, self.relaxed_feasible, self.reasons))


def _types(pool: Pool, households: bool) -> tuple[IntArray, list[IntArray], list[list[int]]]:
    """Group people into types; return (type_of, members per type, household groups of types)."""
    linked: dict[str, list[int]] = {}
    if households and pool.households is not None:
        for i, h in enumerate(pool.households):
            if h is not None:
                linked.setdefault(h, []).append(i)
    in_household = {i for members in linked.values() if len(members) > 1 for i in members}
    keys: dict[tuple[int, ...], int] = {}
    type_of = np.empty(pool.n, dtype=np.int64)
    for i in range(pool.n):
        key = tuple(int(x) for x in pool.codes[i])
        if i in in_household:
            key = (*key, -1 - i)  # a type of its own
        type_of[i] = keys.setdefault(key, len(keys))
    members = [np.flatnonzero(type_of == t) for t in range(len(keys))]
    groups = [[int(type_of[i]) for i in ms] for ms in linked.values() if len(ms) > 1]
    return type_of, members, groups


@attrs.frozen(eq=False)
class PanelProgram:
    """The panel integer program of a pool and a quota table (build with :meth:`build`).

    Attributes
    ----------
    pool, quotas : Pool, Quotas
    households : bool
        Whether the at-most-one-per-household rule is on.
    type_of : ndarray of int, shape (n,)
        Type of each person.
    members : tuple of ndarray
        Person indices of each type (ascending).
    sizes : ndarray of int, shape (T,)
        ``n_t``.
    A, row_lo, row_hi : ndarrays
        Constraint rows over profiles: row 0 is the panel size, then one row per quota entry
        (in quota order), then one row per household.
    """

    pool: Pool
    quotas: Quotas
    households: bool
    type_of: IntArray
    members: tuple[IntArray, ...]
    sizes: IntArray
    A: FloatArray
    row_lo: FloatArray
    row_hi: FloatArray
    n_quota_rows: int

    @classmethod
    def build(cls, pool: Pool, quotas: Quotas, *, households: bool = True) -> PanelProgram:
        """Formulate the program.

        Raises
        ------
        InputError
            If the quotas name a category the pool does not have.
        """
        type_of, members, groups = _types(pool, households)
        T = len(members)
        k = quotas.panel_size
        first = np.array([int(ms[0]) for ms in members], dtype=np.int64)
        rows: list[FloatArray] = [np.ones(T)]
        lo: list[float] = [k]
        hi: list[float] = [k]
        problems: list[Problem] = []
        pool_cats = {c.name.casefold(): j for j, c in enumerate(pool.strata)}
        for q in quotas:
            j = pool_cats.get(q.category.casefold())
            if j is None:
                problems.append(Problem("category-missing-in-pool", "the quotas constrain a "
                                        "category the pool does not have", column=q.category))
                continue
            cat = pool.strata.categories[j]
            row = np.zeros(T)
            if q.value in cat.values:
                code = cat.values.index(q.value)
                row[pool.codes[first, j] == code] = 1.0
            rows.append(row)
            lo.append(q.min)
            hi.append(q.max)
        if problems:
            raise InputError(problems)
        n_quota = len(rows) - 1
        for g in groups:
            row = np.zeros(T)
            row[g] = 1.0
            rows.append(row)
            lo.append(0)
            hi.append(1)
        return cls(pool, quotas, households, type_of, tuple(members),
                   np.array([len(m) for m in members], dtype=np.int64),
                   np.array(rows), np.array(lo, dtype=float), np.array(hi, dtype=float), n_quota)

    # ------------------------------------------------------------------ basic facts
    @property
    def n_types(self) -> int:
        """Number of types ``T``."""
        return len(self.members)

    @property
    def panel_size(self) -> int:
        """``k``."""
        return self.quotas.panel_size

    # ------------------------------------------------------------------ solves
    def best_profile(self, weights: FloatArray, backend: Backend | str | None = None,
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
        hi = self.sizes.astype(float) if restrict is None else np.minimum(self.sizes, restrict)
        res = be.milp(np.asarray(weights, dtype=float), self.A, self.row_lo, self.row_hi,
                      np.zeros(self.n_types), hi)
        if res.status is Status.INFEASIBLE:
            raise InfeasibleError("no feasible panel")
        if res.status is not Status.OPTIMAL or res.x is None:
            raise SolverError("pricing problem not solved", res.status, res.raw)
        return res.x.astype(np.int64), res.objective

    def local_search(self, profile: IntArray, weights: FloatArray, *,
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
        A = self.A
        act = A @ c
        for _ in range(max_moves):
            ins = np.flatnonzero(c < self.sizes)
            outs = np.flatnonzero(c > 0)
            gain = w[ins][:, None] - w[outs][None, :]
            if gain.size == 0 or gain.max() <= 1e-12:
                break
            at_hi = act >= self.row_hi - 0.5
            at_lo = act <= self.row_lo + 0.5
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

    def feasible_profile(self, backend: Backend | str | None = None) -> IntArray | None:
        """Any feasible profile, or None if there is none."""
        try:
            return self.best_profile(np.zeros(self.n_types), backend)[0]
        except InfeasibleError:
            return None

    def check_profile(self, profile: IntArray) -> list[str]:
        """Violations of a profile (empty if feasible)."""
        c = np.asarray(profile)
        out = []
        if np.any(c < 0) or np.any(c > self.sizes):
            out.append("a type count is outside [0, n_t]")
        act = self.A @ c
        for r in range(len(self.A)):
            if act[r] < self.row_lo[r] - ROW_TOL or act[r] > self.row_hi[r] + ROW_TOL:
                out.append(f"{self._row_label(r)}: {act[r]:g} not in "
                           f"[{self.row_lo[r]:g}, {self.row_hi[r]:g}]")
        return out

    def check_panel(self, members: Iterable[int]) -> list[str]:
        """Violations of a concrete panel given as person indices (empty if feasible).

        Checks size, duplicates, quotas and households directly on the people (not via types).
        """
        idx = np.asarray(list(members), dtype=np.int64)
        out: list[str] = []
        if len(np.unique(idx)) != len(idx):
            out.append("a person appears twice")
        if np.any(idx < 0) or np.any(idx >= self.pool.n):
            return [*out, "a member is not in the pool"]
        if len(idx) != self.panel_size:
            out.append(f"panel has {len(idx)} members, expected {self.panel_size}")
        for q in self.quotas:
            have = int(self.pool.mask(q.category, q.value)[idx].sum()) if \
                q.value in self.pool.strata[q.category].values else 0
            if not q.min <= have <= q.max:
                out.append(f"{q.category}={q.value}: {have} not in [{q.min}, {q.max}]")
        if self.households and self.pool.households is not None:
            seen: set[str] = set()
            for i in idx:
                h = self.pool.households[i]
                if h is not None:
                    if h in seen:
                        out.append(f"two members share household {h!r}")
                    seen.add(h)
        return out

    def _row_label(self, r: int) -> str:
        if r == 0:
            return "panel size"
        if r <= self.n_quota_rows:
            q = self.quotas.entries[r - 1]
            return f"{q.category}={q.value}"
        return f"household row {r - self.n_quota_rows}"

    # ------------------------------------------------------------------ infeasibility
    def explain_infeasible(self, backend: Backend | str | None = None,
                           reasons: Sequence[str] = ()) -> InfeasibleQuotasError:
        """Build the error for infeasible quotas: a least-change relaxation, verified.

        The relaxation integer program adds slacks ``s⁻_r, s⁺_r ≥ 0`` to every quota row,
        ``ℓ_r − s⁻_r ≤ (A c)_r ≤ u_r + s⁺_r``, bounded by ``ℓ_r − min_flex_r`` and
        ``max_flex_r − u_r`` where given, and minimises ``Σ_r (s⁻_r + s⁺_r)``.
        """
        be = get_backend(backend)
        T, R = self.n_types, self.n_quota_rows
        k = self.panel_size
        # Variables: c (T), s_minus (R), s_plus (R).
        q_rows = self.A[1:1 + R]
        h_rows = self.A[1 + R:]
        top = np.hstack([np.ones((1, T)), np.zeros((1, 2 * R))])
        lower = np.hstack([q_rows, np.eye(R), np.zeros((R, R))])     # A c + s- >= lo
        upper = np.hstack([q_rows, np.zeros((R, R)), -np.eye(R)])    # A c - s+ <= hi
        hh = np.hstack([h_rows, np.zeros((len(h_rows), 2 * R))])
        A = np.vstack([top, lower, upper, hh])
        lo_q, hi_q = self.row_lo[1:1 + R], self.row_hi[1:1 + R]
        row_lo = np.concatenate([[k], lo_q, np.full(R, -np.inf), np.zeros(len(h_rows))])
        row_hi = np.concatenate([[k], np.full(R, np.inf), hi_q, np.ones(len(h_rows))])
        s_minus_max = np.array([q.min - q.min_flex if q.min_flex is not None else q.min
                                for q in self.quotas], dtype=float)
        s_plus_max = np.array([q.max_flex - q.max if q.max_flex is not None else k
                               for q in self.quotas], dtype=float)
        var_lo = np.zeros(T + 2 * R)
        var_hi = np.concatenate([self.sizes.astype(float), s_minus_max, s_plus_max])
        weights = np.concatenate([np.zeros(T), -np.ones(2 * R)])
        res = be.milp(weights, A, row_lo, row_hi, var_lo, var_hi)
        if res.status is Status.INFEASIBLE or res.x is None:
            return InfeasibleQuotasError((), None, False, reasons)
        s_minus = np.rint(res.x[T:T + R]).astype(int)
        s_plus = np.rint(res.x[T + R:]).astype(int)
        changes: list[QuotaChange] = []
        entries: list[ValueQuota] = []
        for r, q in enumerate(self.quotas):
            new_min, new_max = q.min - int(s_minus[r]), q.max + int(s_plus[r])
            if (new_min, new_max) != (q.min, q.max):
                changes.append(QuotaChange(q.category, q.value, q.min, q.max, new_min, new_max))
            entries.append(attrs.evolve(q, min=new_min, max=new_max))
        relaxed = Quotas(k, entries)
        ok = PanelProgram.build(self.pool, relaxed, households=self.households
                                ).feasible_profile(be) is not None
        return InfeasibleQuotasError(changes, relaxed, ok, reasons)
