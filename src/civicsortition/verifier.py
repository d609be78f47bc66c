"""The independent verifier: re-check a selection from scratch, trusting nothing it was given.

Panels are checked against the raw pool records and quota table by counting (not through the
engine's :class:`~civicsortition.program.PanelProgram`); marginals are recomputed from the
expanded panels; the lottery's digest and the draw are re-derived; and an upper bound on the
best possible minimum probability is recomputed with a separate person-level LP (through
:func:`scipy.optimize.linprog`, not the engine's backends), so a LEXIMIN or MAXIMIN result whose
minimum falls short of what the quotas allow is caught.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from scipy import optimize

from .distribution import Distribution
from .draw import EXACT_PROCEDURE, DrawRecord, draw_exact, verify
from .lottery import TransparentLottery
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


def _panel_problems(pool: Pool, quotas: Quotas, members: Sequence[str],
                    households: bool) -> list[str]:
    """Problems of one panel given by ids, counted on the raw records."""
    out: list[str] = []
    index = {pid: i for i, pid in enumerate(pool.ids)}
    unknown = [m for m in members if m not in index]
    if unknown:
        return [f"{len(unknown)} member(s) not in the pool"]
    if len(set(members)) != len(members):
        out.append("a person appears twice")
    if len(members) != quotas.panel_size:
        out.append(f"{len(members)} members, expected {quotas.panel_size}")
    rows = [index[m] for m in members]
    for q in quotas:
        col = pool.strata.index(q.category)
        code = pool.strata[q.category].values.index(q.value)
        have = int(np.sum(pool.codes[rows, col] == code))
        if not q.min <= have <= q.max:
            out.append(f"{q.category}={q.value}: {have} not in [{q.min}, {q.max}]")
    if households and pool.households is not None:
        keys = Counter(pool.households[i] for i in rows if pool.households[i] is not None)
        if any(c > 1 for c in keys.values()):
            out.append("two members of one household")
    return out


def _maximin_relaxation_bound(pool: Pool, quotas: Quotas, households: bool,
                              covered: np.ndarray) -> float:
    """Max z s.t. π_i ≥ z (covered people), π in the person-level relaxed polytope."""
    n, k = pool.n, quotas.panel_size
    rows_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    for q in quotas:
        col = pool.strata.index(q.category)
        code = pool.strata[q.category].values.index(q.value)
        a = np.append((pool.codes[:, col] == code).astype(float), 0.0)
        rows_ub += [a, -a]
        b_ub += [q.max, -q.min]
    if households and pool.households is not None:
        groups: dict[str, list[int]] = {}
        for i, h in enumerate(pool.households):
            if h is not None:
                groups.setdefault(h, []).append(i)
        for ms in groups.values():
            if len(ms) > 1:
                a = np.zeros(n + 1)
                a[ms] = 1.0
                rows_ub.append(a)
                b_ub.append(1.0)
    for i in np.flatnonzero(covered).tolist():
        a = np.zeros(n + 1)
        a[i], a[n] = -1.0, 1.0
        rows_ub.append(a)
        b_ub.append(0.0)
    a_eq = np.append(np.ones(n), 0.0)[None, :]
    c = np.zeros(n + 1)
    c[n] = -1.0
    res = optimize.linprog(c, A_ub=np.array(rows_ub), b_ub=np.array(b_ub), A_eq=a_eq,
                           b_eq=[k], bounds=[(0, 1)] * n + [(None, None)], method="highs")
    return float(-res.fun) if res.status == 0 else float("nan")


def verify_selection(pool: Pool, quotas: Quotas, *, distribution: Distribution | None = None,
                     lottery: TransparentLottery | None = None,
                     record: DrawRecord | None = None,
                     claimed_marginals: Sequence[float] | None = None,
                     households: bool = True, tol: float = 1e-6) -> Verdict:
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
            found = _panel_problems(pool, quotas, names, households)
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
        covered = np.ones(pool.n, dtype=bool)
        covered[list(distribution.uncovered)] = False
        bound = _maximin_relaxation_bound(pool, quotas, households, covered)
        minimum = float(freq[covered].min()) if covered.any() else 0.0
        detail = (f"minimum probability {minimum:.6f}; no lottery can give everyone more than "
                  f"{bound:.6f} (LP relaxation)")
        if minimum > bound + tol:
            add("distribution.minimum", [f"minimum {minimum:.6f} exceeds the upper bound "
                                         f"{bound:.6f}: inconsistent"], "")
        elif (distribution.details.algorithm in ("leximin", "maximin")
              and minimum < bound - 1e-6):
            # The relaxation can be strictly above the true optimum; then the engine's own
            # certificate must say so.
            own = distribution.details.bound
            ok = own < bound - 1e-6 and minimum >= own - 1e-6
            checks.append(Check("distribution.minimum", ok, detail + (
                f"; below the relaxation, certified optimal by the run's bound {own:.6f}"
                if ok else "; below what the quotas allow")))
        else:
            checks.append(Check("distribution.minimum", True, detail))
    if lottery is not None:
        bad = []
        for j, ticket in enumerate(lottery.tickets):
            found = _panel_problems(pool, quotas, list(ticket), households)
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
