"""The independent verifier: re-check a selection from scratch, trusting nothing it was given.

Panels are checked against the raw pool records and quota table by counting (not through the
engine's :class:`~civicsortition.program.PanelProgram`); marginals are recomputed from the
expanded panels; the lottery's digest and the draw are re-derived; and an upper bound on the
best possible minimum probability is recomputed with a separate person-level LP (through
:func:`scipy.optimize.linprog`, not the engine's backends), so a LEXIMIN or MAXIMIN result whose
minimum falls short of what the quotas allow is caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from scipy import optimize

from .distribution import Distribution
from .draw import EXACT_PROCEDURE, DrawRecord, draw_exact, verify
from .lottery import TransparentLottery
from .numerics import CHECK_TOL, COMPARE_TOL
from .pool import Pool
from .quotas import Quotas

__all__ = ["Check", "Verdict", "verify_selection"]


@attrs.frozen
class Check:
    """One verification step: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


@attrs.frozen
class Verdict:
    """All checks run by :func:`verify_selection`; ``ok`` when every one passed."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.ok)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ok": self.ok, "checks": [attrs.asdict(c) for c in self.checks]}


@attrs.frozen(eq=False)
class _Rules:
    """The quota and household rules read off the raw records once (not via the engine)."""

    pool: Pool
    quotas: Quotas
    index: dict[str, int]
    masks: np.ndarray                  # (quotas, n) bool: who holds each quota's value
    groups: list[list[int]]            # households with more than one registered person
    household_of: np.ndarray           # (n,) index into groups, -1 for none

    @classmethod
    def read(cls, pool: Pool, quotas: Quotas, households: bool) -> _Rules:
        masks = np.array([pool.codes[:, pool.strata.index(q.category)]
                          == pool.strata[q.category].values.index(q.value) for q in quotas],
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
            return [f"{len(unknown)} member(s) not in the pool"]
        out: list[str] = []
        if len(set(members)) != len(members):
            out.append("a person appears twice")
        k = self.quotas.panel_size
        if len(members) != k:
            out.append(f"{len(members)} members, expected {k}")
        rows = [self.index[m] for m in members]
        have = self.masks[:, rows].sum(axis=1)
        for q, h in zip(self.quotas, have.tolist(), strict=True):
            if not q.min <= h <= q.max:
                out.append(f"{q.category}={q.value}: {h} not in [{q.min}, {q.max}]")
        if self.groups:
            # Household of each member (-1: none); one count per household, vectorised
            # (a Python loop over every household per panel took minutes on large pools).
            hh = self.household_of[rows]
            if np.bincount(hh[hh >= 0], minlength=1).max(initial=0) > 1:
                out.append("two members of one household")
        return out


    def maximin_relaxation_bound(self, covered: np.ndarray) -> float:
        """Upper bound: max z s.t. π_i ≥ z (covered people), π in the relaxed polytope."""
        n = self.pool.n
        quota = np.hstack([self.masks.astype(float), np.zeros((len(self.masks), 1))])
        house = np.zeros((len(self.groups), n + 1))
        for r, ms in enumerate(self.groups):
            house[r, ms] = 1.0
        cov = np.flatnonzero(covered)
        level = np.zeros((len(cov), n + 1))
        level[np.arange(len(cov)), cov] = -1.0
        level[:, n] = 1.0
        A_ub = np.vstack([quota, -quota, house, level])
        b_ub = np.concatenate([[q.max for q in self.quotas], [-q.min for q in self.quotas],
                               np.ones(len(self.groups)), np.zeros(len(cov))])
        c = np.zeros(n + 1)
        c[n] = -1.0
        res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=np.append(np.ones(n), 0.0)[None],
                               b_eq=[self.quotas.panel_size],
                               bounds=[(0, 1)] * n + [(None, None)], method="highs")
        return float(-res.fun) if res.status == 0 else float("nan")


def verify_selection(pool: Pool, quotas: Quotas, *, distribution: Distribution | None = None,
                     lottery: TransparentLottery | None = None,
                     record: DrawRecord | None = None,
                     claimed_marginals: Sequence[float] | None = None,
                     households: bool = True, tol: float = CHECK_TOL) -> Verdict:
    """Check a distribution, a transparent lottery and/or a draw record from scratch.

    Parameters
    ----------
    pool, quotas : Pool, Quotas
        The inputs as published (not taken from the distribution).
    distribution : Distribution, optional
        Checked: probabilities, every expanded panel, the claimed marginals, and the minimum
        against an independently computed upper bound.
    lottery : TransparentLottery, optional
        Checked: every ticket, and (with a distribution) how far ticket shares are from the
        exact probabilities.
    record : DrawRecord, optional
        Re-derived from the lottery (ticket draw) or the distribution (exact draw).
    claimed_marginals : sequence of float, optional
        Per-person probabilities as published (for example from ``select``'s JSON), aligned
        with the pool; compared with the ones recomputed from the panels.
    households : bool
        Whether the one-per-household rule applies.
    tol : float
        Numerical tolerance on probabilities.

    Returns
    -------
    Verdict
    """
    checks: list[Check] = []
    rules = _Rules.read(pool, quotas, households)

    def add(name: str, problems: list[str], ok_text: str) -> None:
        checks.append(Check(name, not problems, "; ".join(problems[:5]) if problems
                            else ok_text))

    if distribution is not None:
        x = distribution.probabilities
        probs = []
        if not np.all(np.isfinite(x)) or x.min(initial=0) < -tol:
            probs.append("a probability is negative or not finite")
        if abs(float(x.sum()) - 1) > tol:
            probs.append(f"probabilities sum to {x.sum():.9f}")
        add("distribution.probabilities", probs, f"{len(x)} profiles, sum 1")
        ids = distribution.program.pool.ids
        if ids != pool.ids:
            add("distribution.pool", ["the distribution refers to a different pool"], "")
        freq = np.zeros(pool.n)
        bad: list[str] = []
        panels = distribution.panels()
        for members, p in panels:
            names = [ids[i] for i in members]
            found = rules.panel_problems(names)
            if found:
                bad.append(f"panel {len(bad)}: {found[0]}")
            freq[members] += p
        add("distribution.panels", bad, f"{len(panels)} panels, all satisfy the quotas"
            + (" and the household rule" if households else ""))
        claimed = (distribution.marginals if claimed_marginals is None
                   else np.asarray(claimed_marginals, dtype=float))
        off = (float(np.abs(freq - claimed).max(initial=0.0)) if claimed.shape == freq.shape
               else float("inf"))
        add("distribution.marginals", [f"claimed marginals off by {off:.3g}"] if off > tol
            else [], f"recomputed from the panels (max difference {off:.1e})")
        covered = distribution.covered
        bound = rules.maximin_relaxation_bound(covered)
        minimum = float(freq[covered].min()) if covered.any() else 0.0
        detail = (f"minimum probability {minimum:.6f}; no lottery can give everyone more than "
                  f"{bound:.6f} (LP relaxation)")
        if minimum > bound + tol:
            add("distribution.minimum", [f"minimum {minimum:.6f} exceeds the upper bound "
                                         f"{bound:.6f}: inconsistent"], "")
        elif (distribution.details.algorithm in ("leximin", "maximin")
              and minimum < bound - COMPARE_TOL):
            # The relaxation can be strictly above the true optimum; then the engine's own
            # certificate must say so.
            own = distribution.details.bound
            ok = own < bound - COMPARE_TOL and minimum >= own - COMPARE_TOL
            checks.append(Check("distribution.minimum", ok, detail + (
                f"; below the relaxation, certified optimal by the run's bound {own:.6f}"
                if ok else "; below what the quotas allow")))
        else:
            checks.append(Check("distribution.minimum", True, detail))
    if lottery is not None:
        bad = []
        for j, ticket in enumerate(lottery.tickets):
            found = rules.panel_problems(list(ticket))
            if found:
                bad.append(f"ticket {j}: {found[0]}")
        add("lottery.tickets", bad, f"{lottery.m} tickets, all satisfy the quotas")
        if distribution is not None and not bad:
            dev = float(np.abs(lottery.ticket_shares(pool.ids)
                               - distribution.marginals).max(initial=0.0))
            limit = (None if lottery.rounding is None
                     else lottery.rounding.bound + 1 / lottery.m)
            probs = ([f"ticket shares deviate by {dev:.4f}, above the promised {limit:.4f}"]
                     if limit is not None and dev > limit + 1e-9 else [])
            add("lottery.deviation", probs, f"largest change of a person's probability "
                f"{dev:.4f}" + ("" if limit is None else f" (promised at most {limit:.4f})"))
    if record is not None:
        if record.procedure == EXACT_PROCEDURE:
            if distribution is None:
                add("draw", ["an exact draw needs the distribution"], "")
            else:
                again = draw_exact(distribution, record.seed)
                add("draw", [] if again == record else ["the exact draw does not re-derive"],
                    f"profile {record.index} re-derived from the seed")
        elif lottery is None:
            add("draw", ["a ticket draw needs the lottery"], "")
        else:
            add("draw", list(verify(record, lottery).problems),
                f"ticket {record.index} re-derived from the seed and the digest")
    return Verdict(tuple(checks))
