"""The verifier's own reading of the rules and its own bounds (no engine code).

:class:`Rules` reads the quota and household rules off the raw records and solves the
verifier's integer and linear programs with SciPy directly; :func:`proven_bound` is its own
bound on a stated certificate (see ``docs/security.md``). Private to
:mod:`civicsortition.verifier`, split off to keep that module readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from ._i18n import Text, tr
from .pool import Pool
from .quotas import Quotas, ValueQuota
from .strata import split_joint

__all__ = ["Rules", "proven_bound"]


def _holders(pool: Pool, q: ValueQuota) -> np.ndarray:
    """Who holds the value of quota row ``q``, read off the codes (every part of a joint value).

    Written here rather than taken from :meth:`ValueQuota.mask`, so the verifier does not
    count through the code it checks.
    """
    cats = split_joint(q.category)
    values = split_joint(q.value) if len(cats) > 1 else (q.value,)
    out = np.ones(pool.n, dtype=bool)
    for cat, value in zip(cats, values, strict=True):
        out &= pool.codes[:, pool.strata.index(cat)] == pool.strata[cat].values.index(value)
    return out


@attrs.frozen(eq=False)
class Rules:
    """The quota and household rules read off the raw records once (not via the engine)."""

    pool: Pool
    quotas: Quotas
    index: dict[str, int]
    masks: np.ndarray                  # (quotas, n) bool: who holds each quota's value
    groups: list[list[int]]            # households with more than one registered person
    household_of: np.ndarray           # (n,) index into groups, -1 for none

    @classmethod
    def read(cls, pool: Pool, quotas: Quotas, households: bool) -> Rules:
        masks = np.array([_holders(pool, q) for q in quotas],
                         dtype=bool).reshape(len(quotas.entries), pool.n)
        members: dict[str, list[int]] = {}
        if households and pool.households is not None:
            for i, h in enumerate(pool.households):
                if h is not None:
                    members.setdefault(h, []).append(i)
        groups = [ms for ms in members.values() if len(ms) > 1]
        household_of = np.full(pool.n, -1, dtype=np.int64)
        for r, ms in enumerate(groups):
            household_of[ms] = r
        return cls(pool, quotas, {pid: i for i, pid in enumerate(pool.ids)}, masks, groups,
                   household_of)

    def panel_problems(self, members: Sequence[str]) -> list[str]:
        """Problems of one panel given by ids, counted on the raw records."""
        unknown = [m for m in members if m not in self.index]
        if unknown:
            return [tr("{n_unknown} member(s) not in the pool", n_unknown=len(unknown))]
        out: list[str] = []
        if len(set(members)) != len(members):
            out.append(tr("a person appears twice"))
        k = self.quotas.panel_size
        if len(members) != k:
            out.append(tr("{n_members} members, expected {k}", n_members=len(members), k=k))
        rows = [self.index[m] for m in members]
        have = self.masks[:, rows].sum(axis=1)
        for q, h in zip(self.quotas, have.tolist(), strict=True):
            if not q.min <= h <= q.max:
                out.append(tr("{category}={value}: {h} not in [{min}, {max}]",
                              category=q.category, value=q.value, h=h,
                              min=q.min, max=q.max))
        if self.groups:
            # Household of each member (-1: none); one count per household, vectorised
            # (a Python loop over every household per panel took minutes on large pools).
            hh = self.household_of[rows]
            if np.bincount(hh[hh >= 0], minlength=1).max(initial=0) > 1:
                out.append(tr("two members of one household"))
        return out


    def _panel_milp(self, c: np.ndarray, lower: np.ndarray | None = None
                    ) -> tuple[int, float, np.ndarray | None]:
        """Maximise c·x over feasible panels x ∈ {0,1}^n (person level, scipy's HiGHS MIP).

        Returns scipy's status (0 optimal, 2 infeasible, others: not solved), the value and
        the panel (a 0/1 vector, None if not solved).
        """
        from scipy import optimize  # the verifier's own solver, loaded when first needed

        n = self.pool.n
        rows = [optimize.LinearConstraint(np.ones((1, n)), self.quotas.panel_size,
                                          self.quotas.panel_size)]
        if len(self.masks):
            rows.append(optimize.LinearConstraint(self.masks.astype(float),
                                                  [q.min for q in self.quotas],
                                                  [q.max for q in self.quotas]))
        if self.groups:
            house = np.zeros((len(self.groups), n))
            for r, ms in enumerate(self.groups):
                house[r, ms] = 1.0
            rows.append(optimize.LinearConstraint(house, 0, 1))
        lo = np.zeros(n) if lower is None else lower
        res = optimize.milp(-np.asarray(c, dtype=float), constraints=rows,
                            integrality=np.ones(n), bounds=optimize.Bounds(lo, np.ones(n)),
                            options={"mip_rel_gap": 0.0})
        if res.status != 0:
            return int(res.status), float("nan"), None
        x = np.round(np.asarray(res.x, dtype=float))
        return 0, float(np.asarray(c, dtype=float) @ x), x

    def heaviest_panel(self, weights: np.ndarray) -> float:
        """The largest total weight of a feasible panel (``nan`` if the MIP failed)."""
        return self._panel_milp(weights)[1]

    def heaviest(self, weights: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The largest total weight of a feasible panel and that panel (0/1 per person)."""
        _, value, x = self._panel_milp(weights)
        return value, x

    def coverable(self, person: int) -> bool | None:
        """Whether some feasible panel includes ``person`` (None if the MIP was not solved)."""
        lower = np.zeros(self.pool.n)
        lower[person] = 1.0
        status, _, _ = self._panel_milp(np.zeros(self.pool.n), lower)
        return True if status == 0 else False if status == 2 else None

    def _relaxed_rows(self, extra: int) -> tuple[np.ndarray, np.ndarray]:
        """``A π ≤ b`` of the relaxed polytope (quota rows both ways, households), padded.

        ``extra`` zero columns are appended for the caller's own variables.
        """
        n = self.pool.n
        quota = np.hstack([self.masks.astype(float), np.zeros((len(self.masks), extra))])
        house = np.zeros((len(self.groups), n + extra))
        for r, ms in enumerate(self.groups):
            house[r, ms] = 1.0
        return (np.vstack([quota, -quota, house]),
                np.concatenate([[q.max for q in self.quotas], [-q.min for q in self.quotas],
                                np.ones(len(self.groups))]))

    def maximin_relaxation_bound(self, covered: np.ndarray) -> float:
        """Upper bound: max z s.t. π_i ≥ z (covered people), π in the relaxed polytope."""
        from scipy import optimize

        n = self.pool.n
        rows, rhs = self._relaxed_rows(1)
        cov = np.flatnonzero(covered)
        level = np.zeros((len(cov), n + 1))
        level[np.arange(len(cov)), cov] = -1.0
        level[:, n] = 1.0
        c = np.zeros(n + 1)
        c[n] = -1.0
        res = optimize.linprog(c, A_ub=np.vstack([rows, level]),
                               b_ub=np.concatenate([rhs, np.zeros(len(cov))]),
                               A_eq=np.append(np.ones(n), 0.0)[None],
                               b_eq=[self.quotas.panel_size],
                               bounds=[(0, 1)] * n + [(None, None)], method="highs")
        return float(-res.fun) if res.status == 0 else float("nan")

    def minimax_relaxation_bound(self, covered: np.ndarray) -> float:
        """Lower bound: min u s.t. π_i ≤ u (covered people), π in the relaxed polytope.

        Every lottery's probabilities lie in the relaxed polytope, so no lottery has a
        smaller largest probability (uncovered people are not held at 0: valid without
        trusting the ``uncovered`` claims).
        """
        from scipy import optimize

        n = self.pool.n
        rows, rhs = self._relaxed_rows(1)
        cov = np.flatnonzero(covered)
        level = np.zeros((len(cov), n + 1))
        level[np.arange(len(cov)), cov] = 1.0
        level[:, n] = -1.0
        c = np.zeros(n + 1)
        c[n] = 1.0
        res = optimize.linprog(c, A_ub=np.vstack([rows, level]),
                               b_ub=np.concatenate([rhs, np.zeros(len(cov))]),
                               A_eq=np.append(np.ones(n), 0.0)[None],
                               b_eq=[self.quotas.panel_size],
                               bounds=[(0, 1)] * n + [(None, None)], method="highs")
        return float(res.fun) if res.status == 0 else float("nan")

    def nash_dual_bound(self, covered: np.ndarray) -> float:
        r"""Upper bound on Σ_{covered} log π_i over the relaxed polytope, by Lagrangian duality.

        With multipliers ``w ≥ 0`` on the rows ``A π ≤ b`` and ``μ`` on ``Σ π = k``, and
        ``s = Aᵀ w + μ``, every choice gives the bound
        ``g = Σ_{covered} h(s_i) + Σ_{others} max(0, -s_i) + w·b + μ k`` with
        ``h(s) = -s`` for ``s ≤ 1`` and ``-log s - 1`` above (the inner maximum over
        ``0 < π_i ≤ 1``); the multipliers are improved by L-BFGS-B, but any returned value is
        a valid bound whatever the optimiser did (it is evaluated at the multipliers found).
        """
        from scipy import optimize

        rows, rhs = self._relaxed_rows(0)
        k = float(self.quotas.panel_size)
        cov = covered.astype(bool)
        n_rows = len(rhs)

        def value(z: np.ndarray) -> tuple[float, np.ndarray]:
            w, mu = z[:n_rows], z[n_rows]
            s = rows.T @ w + mu
            pi = np.where(cov, np.where(s > 1.0, 1.0 / np.maximum(s, 1.0), 1.0),
                          (s < 0).astype(float))
            inner = np.where(cov, np.where(s > 1.0, -np.log(np.maximum(s, 1.0)) - 1.0, -s),
                             np.maximum(0.0, -s))
            g = float(inner.sum() + w @ rhs + mu * k)
            grad = np.concatenate([rhs - rows @ pi, [k - pi.sum()]])
            return g, grad

        start = np.zeros(n_rows + 1)
        start[n_rows] = max(float(cov.sum()), 1.0) / k   # the uniform π = k/N
        res = optimize.minimize(value, start, jac=True, method="L-BFGS-B",
                                bounds=[(0.0, None)] * n_rows + [(None, None)],
                                options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-12})
        best = min(value(np.asarray(res.x, dtype=float))[0], value(start)[0])
        return best if np.isfinite(best) else float("nan")


def proven_bound(rules: Rules, algorithm: str, freq: np.ndarray, covered: np.ndarray,
                  objective: float, *, gamma: float, power: float,
                  targets: np.ndarray | None = None, weights: np.ndarray | None = None
                  ) -> tuple[float, Text, float]:
    """The check's own bound on a NASH or minimised objective, in the record's (max) units.

    NASH (an upper bound on the welfare): the smaller of the Frank–Wolfe certificate of the
    published lottery itself, ``f(π) + max_S Σ_{i∈S} 1/π_i − N`` (concavity; one integer
    program), and a Lagrangian bound over the relaxed polytope
    (:meth:`Rules.nash_dual_bound`). ℓp (minus a lower bound on the norm): the Frank–Wolfe
    certificate ``F(π) − ∇F·π + min_S Σ_{i∈S} ∇F_i`` of ``F = Σ π_i^p`` (convexity).
    END-TO-END (minus a lower bound on ``F = Σ w_i (π_i − τ_i)²`` to the published
    targets): the same certificate with ``∇F_i = 2 w_i (π_i − τ_i)``.
    MINIMAX: minus the relaxation's least possible maximum. GOLDILOCKS: minus
    ``(N/k) u + γ (k/N) / z`` with ``u`` that least maximum and ``z`` the relaxation's largest
    possible minimum (each term is a bound on its own). Every one holds for all lotteries,
    whatever solver produced the result. The third value is the best objective the check
    reaches by mixing the published lottery with its Frank–Wolfe panel (NASH, ℓp; the
    objective itself otherwise): a lottery that exists, so no true bound lies below it.
    """
    pi = freq[covered]
    n_cov = float(covered.sum())
    k = rules.quotas.panel_size
    if algorithm == "nash":
        dual = rules.nash_dual_bound(covered)
        fw, better = float("nan"), objective
        if n_cov and float(pi.min()) > 1e-12:
            w = np.zeros(len(freq))
            w[covered] = 1.0 / pi
            heavy, panel = rules.heaviest(w)
            if panel is not None:
                fw = objective + heavy - n_cov
                better = _along(rules, panel, freq, covered, lambda q: float(np.log(q).sum()),
                                lambda q, d: float((d / q).sum()), objective)
        found = [b for b in (fw, dual) if not math.isnan(b)]
        return (min(found) if found else float("nan"),
                tr("the lottery's Frank–Wolfe certificate and a Lagrangian bound of the "
                   "relaxation"), better)
    if algorithm == "lp":
        grad = np.zeros(len(freq))
        grad[covered] = power * np.power(pi, power - 1.0)
        heavy, panel = rules.heaviest(-grad)             # = −min_S Σ_{i∈S} ∇F_i
        if panel is None:
            return float("nan"), tr("one integer program"), objective
        F = float(np.sum(pi ** power))
        low = F - float(grad[covered] @ pi) - heavy
        better = _along(rules, panel, freq, covered,
                        lambda q: -float(np.sum(q ** power)) ** (1.0 / power),
                        lambda q, d: -float((np.power(q, power - 1.0) * d).sum()), objective)
        return (-float(max(low, 0.0) ** (1.0 / power)),
                tr("the lottery's Frank–Wolfe certificate, one integer program"), better)
    if algorithm == "end-to-end":
        if targets is None or weights is None:
            return float("nan"), tr("no targets"), objective
        tau, w = targets[covered], weights[covered]
        grad = np.zeros(len(freq))
        grad[covered] = 2.0 * w * (pi - tau)
        heavy, panel = rules.heaviest(-grad)             # = −min_S Σ_{i∈S} ∇F_i
        if panel is None:
            return float("nan"), tr("one integer program"), objective
        F = float((w * (pi - tau) ** 2).sum())
        low = F - float(grad[covered] @ pi) - heavy
        better = _along(rules, panel, freq, covered,
                        lambda q: -float((w * (q - tau) ** 2).sum()),
                        lambda q, d: -float((2.0 * w * (q - tau) * d).sum()), objective)
        return (-max(low, 0.0), tr("the lottery's Frank–Wolfe certificate, one integer "
                                   "program"), better)
    least_max = rules.minimax_relaxation_bound(covered)
    if algorithm == "minimax":
        return -least_max, tr("the LP relaxation's least maximum"), objective
    most_min = rules.maximin_relaxation_bound(covered)
    if math.isnan(least_max) or math.isnan(most_min) or most_min <= 0 or not n_cov:
        return float("nan"), tr("the LP relaxation"), objective
    return (-(n_cov / k * least_max + gamma * k / n_cov / most_min),
            tr("the LP relaxation's least maximum and largest minimum"), objective)


def _along(rules: Rules, panel: np.ndarray, freq: np.ndarray, covered: np.ndarray,
           value: Any, slope: Any, objective: float) -> float:
    """The best objective on the segment from the published lottery towards ``panel``.

    Mixing the lottery with one more feasible panel is a lottery too, so the value at any
    point of the segment is achievable: if it beats a stated bound, that bound is false.
    ``value(q)`` and ``slope(q, d)`` (its derivative along ``d``) are over the covered
    people; the derivative's sign is bisected (the objective is concave along the segment).
    """
    members = [str(rules.pool.ids[i]) for i in np.flatnonzero(panel > 0.5)]
    if rules.panel_problems(members):
        return objective                  # not a feasible panel after all: prove nothing
    a, d = freq[covered], panel[covered] - freq[covered]
    if slope(a, d) <= 0:
        return objective
    lo, hi = 0.0, 1.0
    if slope(a + (1 - 1e-12) * d, d) > 0:
        lo = 1.0
    else:
        for _ in range(60):
            mid = (lo + hi) / 2
            if slope(a + mid * d, d) > 0:
                lo = mid
            else:
                hi = mid
    q = a + lo * d
    return max(objective, float(value(q))) if np.all(q > 0) else objective
