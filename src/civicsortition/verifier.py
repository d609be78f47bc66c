"""The independent verifier: re-check a selection from scratch, trusting nothing it was given.

Panels are checked against the raw pool records and quota table by counting (not through the
engine's :class:`~civicsortition.program.PanelProgram`); marginals are recomputed from the
expanded panels; the lottery's digest and the draw are re-derived; and an upper bound on the
best possible minimum probability is recomputed with a separate person-level LP (through
:func:`scipy.optimize.linprog`, not the engine's backends), so a LEXIMIN or MAXIMIN result whose
minimum falls short of what the quotas allow is caught.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ._i18n import Text, join, tr
from .distribution import Distribution
from .draw import DrawRecord, draw_exact, verify
from .lottery import TransparentLottery
from .numerics import CHECK_TOL, COMPARE_TOL
from .pool import Pool
from .quotas import Quotas, ValueQuota
from .seeds import EXACT_PROCEDURE
from .strata import split_joint

__all__ = ["Check", "Verdict", "json_differences", "verify_selection"]

#: At most this many claims "person i is on no feasible panel" are re-checked (one integer
#: program each); any beyond are reported as unverified.
MAX_UNCOVERED_CHECKS = 50


@attrs.frozen
class Check:
    """One verification step: its name, whether it passed, and what was found.

    ``verified`` is False for a claim the verifier could not re-derive (for example a run's
    wall time): such a check does not fail, but it is listed as unverified.
    """

    name: str
    ok: bool
    detail: str
    verified: bool = True


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

    @property
    def unverified(self) -> tuple[Check, ...]:
        """Claims reported but not re-derived (they neither pass nor fail)."""
        return tuple(c for c in self.checks if not c.verified)

    def _repr_html_(self) -> str:
        from ._html import card, table

        rows = [(c.name, "passed" if c.ok else "FAILED",
                 "re-derived" if c.verified else "not verifiable") for c in self.checks]
        return card(tr("Independent verification: {value}",
                       value='passed' if self.ok else 'FAILED'),
                    [("checks", len(self.checks)), ("failed", len(self.failures)),
                     ("not verifiable", len(self.unverified))],
                    [("checks (details: as_dict())", table(["check", "result", "how"], rows))])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ok": self.ok, "checks": [attrs.asdict(c) for c in self.checks]}


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


def verify_selection(pool: Pool, quotas: Quotas, *, distribution: Distribution | None = None,
                     lottery: TransparentLottery | None = None,
                     record: DrawRecord | None = None,
                     claimed_marginals: Sequence[float] | None = None,
                     households: bool = True, tol: float = CHECK_TOL,
                     result: Mapping[str, Any] | None = None) -> Verdict:
    """Check a distribution, a transparent lottery and/or a draw record from scratch.

    Given ``result`` (``select``'s JSON as published), every figure it states is re-derived
    by id from its panels and the inputs -- the people and their probabilities, pool and
    panel size, every panel, the uncovered people, ``minimum_probability``, the certificate's
    objective, bound (re-proved from its weights by one integer program, or implied by an
    independent LP relaxation) and gap -- and each failure names the field; what cannot be
    re-derived (wall time, iterations) is listed as unverified. A call that checks nothing
    fails (``nothing-to-verify``).

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
    result : mapping, optional
        A ``select`` result document (see :meth:`Distribution.as_dict`), matched to the pool
        by id (row order does not matter). When given, ``distribution`` (if any) is used only
        to re-derive an exact draw.

    Returns
    -------
    Verdict
    """
    checks: list[Check] = []
    rules = _Rules.read(pool, quotas, households)
    if distribution is None and lottery is None and record is None and result is None:
        return Verdict((Check("nothing-to-verify", False, tr("no result, lottery or draw record "
                                 "was given: nothing was checked")),))
    result_marginals = None
    if result is not None:
        result_marginals = _result_checks(rules, result, tol, checks)

    def add(name: str, problems: Sequence[str], ok_text: str) -> None:
        checks.append(Check(name, not problems, join("; ", problems[:5]) if problems
                            else ok_text))

    if distribution is not None and result is None:
        x = distribution.probabilities
        probs = []
        if not np.all(np.isfinite(x)) or x.min(initial=0) < -tol:
            probs.append(tr("a probability is negative or not finite"))
        if abs(float(x.sum()) - 1) > tol:
            probs.append(tr("probabilities sum to {value:.9f}", value=x.sum()))
        add("distribution.probabilities", probs, tr("{n_x} profiles, sum 1", n_x=len(x)))
        ids = distribution.program.pool.ids
        if ids != pool.ids:
            add("distribution.pool", [tr("the distribution refers to a different pool")], "")
        freq = np.zeros(pool.n)
        bad: list[str] = []
        panels = distribution.panels()
        for members, p in panels:
            names = [ids[i] for i in members]
            found = rules.panel_problems(names)
            if found:
                bad.append(tr("panel {n_bad}: {found}", n_bad=len(bad), found=found[0]))
            freq[members] += p
        add("distribution.panels", bad, tr("{n_panels} panels, all satisfy the quotas",
                                           n_panels=len(panels))
            + (tr(" and the household rule") if households else ""))
        claimed = (distribution.marginals if claimed_marginals is None
                   else np.asarray(claimed_marginals, dtype=float))
        off = (float(np.abs(freq - claimed).max(initial=0.0)) if claimed.shape == freq.shape
               else float("inf"))
        add("distribution.marginals",
            [tr("claimed marginals off by {off:.3g}", off=off)] if off > tol else [],
            tr("recomputed from the panels (max difference {off:.1e})", off=off))
        covered = distribution.covered
        bound = rules.maximin_relaxation_bound(covered)
        minimum = float(freq[covered].min()) if covered.any() else 0.0
        detail = (tr("minimum probability {minimum:.6f}; no lottery can give everyone more than "
                     "{bound:.6f} (LP relaxation)", minimum=minimum, bound=bound))
        if minimum > bound + tol:
            add("distribution.minimum", [tr("minimum {minimum:.6f} exceeds the upper bound "
                                            "{bound:.6f}: inconsistent",
                                            minimum=minimum,
                                            bound=bound)], "")
        elif (distribution.details.algorithm in ("leximin", "maximin")
              and minimum < bound - COMPARE_TOL and not distribution.details.converged):
            # A run stopped early (time limit, cancelled, max_iterations) claims no optimality:
            # its lottery need only be valid, and below the bound it states.
            own = distribution.details.bound
            ok = not minimum > own + tol
            checks.append(Check("distribution.minimum", ok, detail + (
                tr("; the run stopped early (not converged): valid, not proven optimal, within "
                   "its stated bound {own:.6f}", own=own) if ok
                else tr("; above the run's own stated bound {own:.6f}: inconsistent", own=own))))
        elif (distribution.details.algorithm in ("leximin", "maximin")
              and minimum < bound - COMPARE_TOL):
            # The relaxation can be strictly above the true optimum; then the engine's own
            # certificate must say so.
            own = distribution.details.bound
            ok = own < bound - COMPARE_TOL and minimum >= own - COMPARE_TOL
            checks.append(Check("distribution.minimum", ok, detail + (
                tr("; below the relaxation, certified optimal by the run's bound {own:.6f}",
                   own=own)
                if ok else tr("; below what the quotas allow"))))
        else:
            checks.append(Check("distribution.minimum", True, detail))
    if lottery is not None:
        bad = []
        for j, ticket in enumerate(lottery.tickets):
            found = rules.panel_problems(list(ticket))
            if found:
                bad.append(tr("ticket {j}: {found}", j=j, found=found[0]))
        add("lottery.tickets", bad, tr("{m} tickets, all satisfy the quotas", m=lottery.m))
        exact = (result_marginals if result is not None
                 else None if distribution is None else distribution.marginals)
        if exact is not None and not bad:
            dev = float(np.abs(lottery.ticket_shares(pool.ids) - exact).max(initial=0.0))
            limit = (None if lottery.rounding is None
                     else lottery.rounding.bound + 1 / lottery.m)
            probs = ([tr("ticket shares deviate by {dev:.4f}, above the promised {limit:.4f}",
                         dev=dev, limit=limit)]
                     if limit is not None and dev > limit + 1e-9 else [])
            add("lottery.deviation", probs,
                tr("largest change of a person's probability {dev:.4f}", dev=dev)
                + ("" if limit is None else tr(" (promised at most {limit:.4f})", limit=limit)))
    if record is not None:
        if record.procedure == EXACT_PROCEDURE:
            if distribution is None:
                add("draw", [tr("an exact draw needs the distribution")], "")
            else:
                again = draw_exact(distribution, record.seed)
                add("draw", [] if again == record else [tr("the exact draw does not re-derive")],
                    tr("profile {index} re-derived from the seed", index=record.index))
        elif lottery is None:
            add("draw", [tr("a ticket draw needs the lottery")], "")
        else:
            add("draw", list(verify(record, lottery).problems),
                tr("ticket {index} re-derived from the seed and the digest", index=record.index))
    return Verdict(tuple(checks))


def _number(x: Any) -> bool:
    """A JSON number that converts to a float (an integer beyond 1e308 does not)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    try:
        float(x)
    except OverflowError:
        return False
    return True


def _parse_result(doc: Any) -> tuple[dict[str, Any], list[str]]:
    """The claims of a ``select`` result, or the JSON paths of its malformed fields."""
    bad: list[str] = []
    if not isinstance(doc, Mapping):
        return {}, [tr("$: expected a JSON object")]
    people = doc.get("people")
    if not isinstance(people, list):
        bad.append(tr("people: expected a list"))
        people = []
    for j, p in enumerate(people):
        if not (isinstance(p, Mapping) and isinstance(p.get("id"), str)
                and _number(p.get("probability"))):
            bad.append(tr("people[{j}]: expected {{\"id\": string, \"probability\": number}}", j=j))
    panels = doc.get("panels")
    if panels is None:
        bad.append(tr("panels: missing (run select without --no-panels)"))
        panels = []
    elif not isinstance(panels, list):
        bad.append(tr("panels: expected a list"))
        panels = []
    for j, p in enumerate(panels):
        if not (isinstance(p, Mapping) and isinstance(p.get("members"), list)
                and all(isinstance(m, str) for m in p["members"])
                and _number(p.get("probability"))):
            bad.append(tr("panels[{j}]: expected {{\"members\": [string], \"probability\": "
                          "number}}", j=j))
    cert = doc.get("certificate")
    if not isinstance(cert, Mapping):
        bad.append(tr("certificate: expected an object"))
        cert = {}
    for key in ("objective", "bound", "gap"):
        if cert.get(key) is not None and not _number(cert.get(key)):
            bad.append(tr("certificate.{key}: expected a number or null", key=key))
    if not isinstance(cert.get("converged", False), bool):
        bad.append(tr("certificate.converged: expected true or false"))
    weights = cert.get("weights")
    if weights is not None and not (isinstance(weights, Mapping)
                                    and all(_number(w) for w in weights.values())):
        bad.append(tr("certificate.weights: expected an object {{id: number}}"))
    for key in ("minimum_probability",):
        if doc.get(key) is not None and not _number(doc.get(key)):
            bad.append(tr("{key}: expected a number or null", key=key))
    for key in ("panel_size", "pool_size"):
        if key in doc and not (isinstance(doc[key], int) and not isinstance(doc[key], bool)):
            bad.append(tr("{key}: expected an integer", key=key))
    uncovered = doc.get("uncovered", [])
    if not (isinstance(uncovered, list) and all(isinstance(u, str) for u in uncovered)):
        bad.append(tr("uncovered: expected a list of ids"))
        uncovered = []
    run = doc.get("run", {})
    if not isinstance(run, Mapping):
        bad.append(tr("run: expected an object"))
        run = {}
    return {"people": people, "panels": panels, "cert": cert, "uncovered": uncovered,
            "run": run, "algorithm": algorithm if isinstance(algorithm := doc.get("algorithm"),
                                                             str) else ""}, bad


def _f(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _result_checks(rules: _Rules, doc: Any, tol: float, checks: list[Check]
                   ) -> np.ndarray | None:
    """Every figure a ``select`` result states, re-derived; returns the marginals (by index)."""
    def add(name: str, problems: Sequence[str], ok_text: str, verified: bool = True) -> None:
        checks.append(Check(name, not problems, join("; ", problems[:5]) if problems
                            else ok_text, verified))

    claims, bad = _parse_result(doc)
    add("result.format", bad, tr("a select result with panels"))
    if bad:
        return None
    pool, quotas = rules.pool, rules.quotas
    n, k = pool.n, quotas.panel_size
    ids = [p["id"] for p in claims["people"]]
    unknown = sorted({i for i in ids if i not in rules.index})
    missing = sorted(set(rules.index) - set(ids))
    twice = sorted(i for i, c in Counter(ids).items() if c > 1)
    add("result.people", ([tr("{n_unknown} id(s) not in the pool, e.g. {unknown}",
                              n_unknown=len(unknown),
                              unknown=unknown[:3])]
                          if unknown else [])
        + ([tr("{n_missing} pool member(s) missing, e.g. {missing}",
               n_missing=len(missing), missing=missing[:3])] if missing else [])
        + ([tr("listed twice: {twice}", twice=twice[:3])] if twice else []),
        tr("the {n} pool members, matched by id", n=n))
    sizes = []
    if doc.get("pool_size", n) != n:
        sizes.append(tr("pool_size {doc} but the pool has {n} people", doc=doc['pool_size'], n=n))
    if doc.get("panel_size", k) != k:
        sizes.append(tr("panel_size {doc} but the quotas are for {k} seats",
                        doc=doc['panel_size'], k=k))
    add("result.sizes", sizes, tr("pool {n}, panel {k}", n=n, k=k))
    probs = np.array([float(p["probability"]) for p in claims["panels"]], dtype=float)
    problems = []
    if len(probs) == 0:
        problems.append(tr("no panels"))
    elif not np.all(np.isfinite(probs)) or probs.min() < -tol:
        problems.append(tr("a panel probability is negative or not finite"))
    elif abs(float(probs.sum()) - 1.0) > tol:
        problems.append(tr("panel probabilities sum to {value:.9f}, not 1", value=probs.sum()))
    freq = np.zeros(n)
    for j, p in enumerate(claims["panels"]):
        found = rules.panel_problems(list(p["members"]))
        if found:
            problems.append(tr("panels[{j}]: {found}", j=j, found=found[0]))
            continue
        freq[[rules.index[m] for m in p["members"]]] += float(p["probability"])
    add("result.panels", problems, tr("{n_probs} panels, every one meets the quotas",
                                      n_probs=len(probs))
        + (tr(" and the household rule") if rules.groups else "") + tr(", probabilities sum to 1"))
    if problems or unknown or missing or twice:
        return None
    claimed = np.zeros(n)
    for p in claims["people"]:
        claimed[rules.index[p["id"]]] = float(p["probability"])
    off = float(np.abs(claimed - freq).max(initial=0.0))
    add("result.marginals", [tr("people[].probability off by up to {off:.3g} from the panels",
                                off=off)]
        if not off <= tol else [], tr("recomputed from the panels (max difference {off:.1e})",
                                      off=off))
    # Uncovered people: claimed ones must have probability 0 and be on no feasible panel.
    unc = [rules.index[u] for u in claims["uncovered"] if u in rules.index]
    problems = [tr("uncovered: {value} unknown id(s)",
                   value=len(set(claims['uncovered']) - set(rules.index)))
                ] if len(unc) != len(claims["uncovered"]) else []
    problems += [tr("uncovered: {ids} has probability {freq:.6f}", ids=pool.ids[i], freq=freq[i])
                 for i in unc if freq[i] > tol][:3]
    unchecked = 0
    for i in unc[:MAX_UNCOVERED_CHECKS]:
        if not problems:
            can = rules.coverable(i)
            if can:
                problems.append(tr("uncovered: {ids} is on a feasible panel", ids=pool.ids[i]))
            unchecked += can is None
    unchecked += max(len(unc) - MAX_UNCOVERED_CHECKS, 0)
    add("result.uncovered", problems, tr("{n_unc} people on no feasible panel", n_unc=len(unc))
        + (tr(" ({unchecked} not re-checked)", unchecked=unchecked) if unchecked
           else tr(" (each re-checked)")),
        verified=not unchecked)
    covered = np.ones(n, dtype=bool)
    covered[unc] = False
    minimum = float(freq[covered].min()) if covered.any() else 0.0
    stated = doc.get("minimum_probability")
    add("result.minimum_probability",
        [tr("minimum_probability {stated} but the panels give {minimum:.9f}",
            stated=stated, minimum=minimum)]
        if stated is None or not abs(_f(stated) - minimum) <= tol else [],
        tr("{minimum:.6f}, recomputed from the panels", minimum=minimum))
    cert, algorithm = claims["cert"], claims["algorithm"]
    nash = algorithm == "nash"
    # Minimised objectives are stated negated (every record maximises); re-derived here from
    # the panels by their published formulas, not by the engine's code.
    minimised = algorithm in ("minimax", "goldilocks", "lp")
    pi_cov = freq[covered]
    options = claims["run"].get("options")
    stated_gamma: Any = options.get("gamma") if isinstance(options, Mapping) else None
    gamma, power = 1.0, 2.0
    if algorithm == "goldilocks":
        if _number(stated_gamma) and float(stated_gamma) > 0:
            gamma = float(stated_gamma)
        else:
            add("certificate.gamma", [tr("run.options.gamma: expected a positive number")], "")
    if nash:
        objective = float(np.log(np.maximum(pi_cov, 1e-300)).sum())
        # Σ log π moves by about Σ δ/π_i when every π_i moves by δ.
        otol = tol * float((1 / np.maximum(pi_cov, tol)).sum())
    elif algorithm == "minimax":
        objective, otol = -float(pi_cov.max(initial=0.0)), tol
    elif algorithm == "lp":
        stated_p: Any = options.get("p") if isinstance(options, Mapping) else None
        power = float(stated_p) if _number(stated_p) and float(stated_p) > 1 else 2.0
        if power != stated_p:
            add("certificate.p", [tr("run.options.p: expected a number above 1")], "")
        objective = -float(np.sum(pi_cov ** power) ** (1 / power))
        otol = tol * max(1.0, float(len(pi_cov)) ** (1 / power))
    elif algorithm == "goldilocks":
        n_cov, low = len(pi_cov), max(minimum, 1e-300)
        objective = -(n_cov / k * float(pi_cov.max(initial=0.0)) + gamma * k / n_cov / low)
        otol = tol * (n_cov / k + gamma * k / n_cov / max(low, tol) ** 2)
    else:
        objective, otol = minimum, tol
    obj, bnd, gap = _f(cert.get("objective")), _f(cert.get("bound")), _f(cert.get("gap"))
    # MAXENTROPY's objective is log(number of feasible panels): a count this check does not
    # redo (the panels and their weights are checked like any lottery's).
    counted = algorithm in ("maxentropy", "fair-maxentropy", "diversimax")
    if counted:
        objective = obj
    add("certificate.objective", [tr("objective {obj} but the panels give {objective:.9g}",
                                     obj=obj,
                                     objective=objective)]
        if not abs(obj - objective) <= otol else [],
        tr("{objective:.6g}, recomputed", objective=objective)
        + (tr(" (Nash welfare Σ log π)") if nash else "")
        + (tr(" (minus the largest probability)") if algorithm == "minimax" else "")
        + (tr(" (minus the ℓp norm of the probabilities)") if algorithm == "lp" else "")
        + (tr(" (minus (N/k) max π + γ (k/N) / min π)") if algorithm == "goldilocks" else "")
        if not counted else tr("{objective:.6g}, as stated (not re-derived: {algorithm}'s "
                               "objective is a count over all panels or intersection cells)",
                               objective=objective, algorithm=algorithm),
        verified=not counted)
    bound_ok: list[str] = []
    bound_verified = True
    text: str
    if math.isnan(bnd):
        if algorithm != "legacy":
            bound_ok.append(tr("no bound stated"))
        text = tr("none stated (legacy)")
    elif bnd < objective - otol:
        bound_ok.append(tr("bound {bnd:.9g} is below the achieved {objective:.9g}: impossible",
                           bnd=bnd, objective=objective))
        text = ""
    elif counted:
        text = tr("{bnd:.6g} (as stated; not re-derived)", bnd=bnd)
        bound_verified = False
    elif nash or minimised:
        proven, how, better = _proven_bound(rules, algorithm, freq, covered, objective,
                                            gamma=gamma, power=power)
        if better > bnd + otol:
            bound_ok.append(tr("bound {bnd:.9g} is false: mixing the published lottery with "
                               "one feasible panel gives {better:.9g}", bnd=bnd, better=better))
            text = ""
        elif math.isnan(proven):
            text, bound_verified = tr("{bnd:.6g} (not re-derived: the check's solver failed)",
                                      bnd=bnd), False
        elif proven < objective - otol:
            bound_ok.append(tr("the panels give {objective:.9g}, beyond the bound {proven:.9g} "
                               "the check proves ({how}): inconsistent",
                               objective=objective, proven=proven, how=how))
            text = ""
        elif bnd >= proven - otol:
            text = tr("{bnd:.6g}: proven, the check's own bound is {proven:.6g} ({how})",
                      bnd=bnd, proven=proven, how=how)
        else:
            text = tr("{bnd:.6g} (not re-derived: tighter than the check's own bound "
                      "{proven:.6g}, {how})", bnd=bnd, proven=proven, how=how)
            bound_verified = False
    else:
        relax = rules.maximin_relaxation_bound(covered)
        weights = cert.get("weights")
        if weights is not None:
            w = np.zeros(n)
            strangers = [pid for pid in weights if pid not in rules.index]
            if strangers:
                bound_ok.append(tr("certificate.weights names {n_strangers} id(s) not in the "
                                   "pool, e.g. {strangers}",
                                   n_strangers=len(strangers),
                                   strangers=strangers[:3]))
            else:
                for pid, wt in weights.items():
                    w[rules.index[pid]] = float(wt)
                if (not np.all(np.isfinite(w)) or w.min() < 0 or abs(w.sum() - 1.0) > 1e-6
                        or w[~covered].any()):
                    bound_ok.append(tr("certificate.weights must be finite, non-negative, sum "
                                       "to 1 and be 0 for uncovered people"))
            if not bound_ok:
                best = rules.heaviest_panel(w)
                if math.isnan(best):
                    text, bound_verified = tr("{bnd:.6f} (the check's integer program failed)",
                                              bnd=bnd), \
                        False
                elif best > bnd + tol:
                    bound_ok.append(tr("bound {bnd:.9f} but the stated weights only prove "
                                       "{best:.9f} (a panel of that total weight exists)",
                                       bnd=bnd, best=best))
                else:
                    text = (tr("{bnd:.6f}: no feasible panel has total weight above it "
                               "({best:.6f}, one integer program)", bnd=bnd, best=best))
        elif bnd >= relax - tol:
            text = tr("{bnd:.6f}, implied by the LP relaxation bound {relax:.6f}",
                      bnd=bnd, relax=relax)
        else:
            text, bound_verified = (tr("{bnd:.6f}, below the LP relaxation bound {relax:.6f} and "
                                       "no weights to re-check it", bnd=bnd, relax=relax)), False
        if minimum > relax + tol:
            bound_ok.append(tr("minimum {minimum:.6f} exceeds what any lottery can give "
                               "({relax:.6f}, LP relaxation): inconsistent",
                               minimum=minimum, relax=relax))
    add("certificate.bound", bound_ok, text if not bound_ok else "", bound_verified)
    problems = []
    if not math.isnan(bnd) and not abs(gap - (bnd - objective)) <= otol:
        problems.append(tr("gap {gap} but bound − objective = {value:.3g}",
                           gap=gap, value=bnd - objective))
    options = claims["run"].get("options")
    run_tol: Any = options.get("tol") if isinstance(options, Mapping) else None
    limit = (float(run_tol) if _number(run_tol) and math.isfinite(run_tol) else 1e-6) + tol
    if cert.get("converged") and not math.isnan(bnd) and bnd - objective > limit + otol:
        problems.append(tr("claims converged but bound − objective = {value:.3g}",
                           value=bnd - objective))
    add("certificate.gap", problems, tr("consistent with the bound and the objective"))
    kept = [key for key in ("seconds", "iterations", "stages", "types")
            if key in claims["run"]]
    checks.append(Check("result.run", True, tr("the run's own account, not re-derivable: ")
                        + (", ".join(f"run.{key}" for key in kept) or tr("nothing stated"))
                        + tr("; backend and version as stated"), verified=False))
    return freq


def _proven_bound(rules: _Rules, algorithm: str, freq: np.ndarray, covered: np.ndarray,
                  objective: float, *, gamma: float, power: float
                  ) -> tuple[float, Text, float]:
    """The check's own bound on a NASH or minimised objective, in the record's (max) units.

    NASH (an upper bound on the welfare): the smaller of the Frank–Wolfe certificate of the
    published lottery itself, ``f(π) + max_S Σ_{i∈S} 1/π_i − N`` (concavity; one integer
    program), and a Lagrangian bound over the relaxed polytope
    (:meth:`_Rules.nash_dual_bound`). ℓp (minus a lower bound on the norm): the Frank–Wolfe
    certificate ``F(π) − ∇F·π + min_S Σ_{i∈S} ∇F_i`` of ``F = Σ π_i^p`` (convexity).
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
    least_max = rules.minimax_relaxation_bound(covered)
    if algorithm == "minimax":
        return -least_max, tr("the LP relaxation's least maximum"), objective
    most_min = rules.maximin_relaxation_bound(covered)
    if math.isnan(least_max) or math.isnan(most_min) or most_min <= 0 or not n_cov:
        return float("nan"), tr("the LP relaxation"), objective
    return (-(n_cov / k * least_max + gamma * k / n_cov / most_min),
            tr("the LP relaxation's least maximum and largest minimum"), objective)


def _along(rules: _Rules, panel: np.ndarray, freq: np.ndarray, covered: np.ndarray,
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


def json_differences(stated: Any, expected: Any, *, tol: float = 0.0, path: str = "$"
                     ) -> list[str]:
    """The JSON paths at which a stated document differs from the expected one.

    Parameters
    ----------
    stated, expected : JSON-like
        Parsed documents (dicts, lists, numbers, strings, booleans, None).
    tol : float
        Numbers (not booleans) within ``tol`` are equal; with ``0`` they must be equal and of
        the same type.
    path : str
        The path of the documents themselves (``$`` for the root).

    Returns
    -------
    list of str
        One line per difference, e.g. ``$.fairness.gini: 0.31, expected 0.30``.
    """
    if isinstance(stated, dict) and isinstance(expected, dict):
        out = [f"{path}.{k}: {'missing' if k not in stated else 'not expected'}"
               for k in sorted(set(stated) ^ set(expected), key=str)]
        for k in sorted(stated.keys() & expected.keys(), key=str):
            out += json_differences(stated[k], expected[k], tol=tol, path=f"{path}.{k}")
        return out
    if isinstance(stated, list) and isinstance(expected, list):
        if len(stated) != len(expected):
            return [tr("{path}: {n_stated} entries, expected {n_expected}",
                       path=path, n_stated=len(stated),
                       n_expected=len(expected))]
        return [d for j, (a, b) in enumerate(zip(stated, expected, strict=True))
                for d in json_differences(a, b, tol=tol, path=f"{path}[{j}]")]
    if tol > 0 and _number(stated) and _number(expected):
        same = abs(float(stated) - float(expected)) <= tol
    else:
        same = stated == expected and type(stated) is type(expected)
    return [] if same else [tr("{path}: {value}, expected {value2}",
                               path=path,
                               value=json.dumps(stated)[:40],
                               value2=json.dumps(expected)[:40])]
