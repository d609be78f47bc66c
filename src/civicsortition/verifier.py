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

from ._i18n import join, tr
from ._verify_rules import Rules as _Rules
from ._verify_rules import proven_bound as _proven_bound
from .distribution import Distribution
from .draw import DrawRecord, draw_exact, verify
from .lottery import TransparentLottery
from .numerics import CHECK_TOL, COMPARE_TOL
from .pool import Pool
from .quotas import Quotas
from .seeds import EXACT_PROCEDURE

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


def _end_to_end_targets(claims: Mapping[str, Any], rules: _Rules, covered: np.ndarray,
                        options: Any, add: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """END-TO-END's published targets ``people[].target`` and weights, checked for form.

    The targets are inputs of the run (from a response model the check cannot re-fit), so
    their check is marked unverified; what is checked is that they are a lottery's possible
    targets (in [0, 1], summing to ``k`` over the covered people, 0 for the others) and that
    the weighting is one of the two the method defines.
    """
    k = rules.quotas.panel_size
    n = len(covered)
    targets = np.full(n, np.nan)
    problems: list[str] = []
    for p in claims["people"]:
        t = p.get("target")
        if t is not None and _number(t):
            targets[rules.index[p["id"]]] = float(t)
    absent = int(np.isnan(targets[covered]).sum())
    if absent:
        problems.append(tr("{n_absent} covered people have no people[].target",
                           n_absent=absent))
    weighting = options.get("weighting") if isinstance(options, Mapping) else None
    if weighting not in ("population", "uniform"):
        problems.append(tr("run.options.weighting: expected 'population' or 'uniform'"))
    if not problems:
        t_cov = targets[covered]
        if not np.all((t_cov >= 0) & (t_cov <= 1)):
            problems.append(tr("a target is outside [0, 1]"))
        elif abs(float(t_cov.sum()) - k) > 1e-6 * max(k, 1):
            problems.append(tr("the targets sum to {total:.9g} over the covered people, not "
                               "the {k} seats", total=float(t_cov.sum()), k=k))
        elif np.nan_to_num(targets[~covered]).any():
            problems.append(tr("a person on no feasible panel has a positive target"))
        elif weighting == "population" and float(t_cov.min(initial=1.0)) <= 0:
            problems.append(tr("population weighting needs every covered target positive"))
    add("certificate.targets", problems,
        tr("{n} targets as published ({weighting} weighting), summing to {k}; their "
           "derivation from the response model is not re-derived here",
           n=int(covered.sum()), weighting=weighting, k=k), verified=False)
    if problems:
        return None, None
    targets = np.nan_to_num(targets)
    weights = np.zeros(n)
    weights[covered] = 1.0 / targets[covered] if weighting == "population" else 1.0
    return targets, weights


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
    minimised = algorithm in ("minimax", "goldilocks", "lp", "end-to-end")
    pi_cov = freq[covered]
    options = claims["run"].get("options")
    stated_gamma: Any = options.get("gamma") if isinstance(options, Mapping) else None
    gamma, power = 1.0, 2.0
    targets = weights_e2e = None
    if algorithm == "end-to-end":
        targets, weights_e2e = _end_to_end_targets(claims, rules, covered, options, add)
        model = doc.get("response_model")
        if isinstance(model, Mapping):
            add("result.response_model", [], tr(
                "{n} response rates and the end-to-end spread as published: they need the "
                "letters and the census to re-derive", n=len(model.get("rates") or [])),
                verified=False)
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
    elif algorithm == "end-to-end":
        if targets is None or weights_e2e is None:
            objective, otol = float("nan"), tol
        else:
            dev = pi_cov - targets[covered]
            objective = -float((weights_e2e[covered] * dev ** 2).sum())
            # F moves by about Σ 2 w |π − τ| δ when every π_i moves by δ
            otol = tol * max(1.0, float((2 * weights_e2e[covered] * np.abs(dev)).sum()))
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
        + (tr(" (minus Σ w (π − τ)², to the published targets)")
           if algorithm == "end-to-end" else "")
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
                                            gamma=gamma, power=power, targets=targets,
                                            weights=weights_e2e)
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
