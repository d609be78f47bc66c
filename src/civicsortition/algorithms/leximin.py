"""LEXIMIN: maximise the minimum probability, then the second smallest, and so on.

Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596 (2021). Computed exactly with open-source LP/MIP solvers by
*progressive filling*: stage ``s`` solves the max-min LP of
:mod:`~civicsortition.algorithms._core` to optimality by column generation; by complementary
slackness every unfixed type with a positive dual price ``y_t`` has ``π_t = z_s`` in *every*
optimal solution, so those types are fixed at ``z_s`` and the next stage raises the others.
Since the prices of unfixed types sum to 1, every stage fixes at least one type; there are at
most ``T`` stages.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, Progress
from ..backends import SolverError
from ..backends.persistent import HighsMaster, StatelessMaster
from ..distribution import Distribution, RunDetails
from ..errors import InputError
from ..numerics import DEFAULT_TOL, FIX_SLACK_LADDER
from ..pool import Pool
from ..quotas import Quotas
from ._core import (
    Run,
    certified_maximin_bound,
    final_lottery,
    max_min_stage,
    options_record,
    pad,
    setup,
    types_to_fix,
)
from .decompose import Peeling, peel
from .relaxation import RelaxedLeximin, relaxed_leximin

__all__ = ["leximin"]



#: After peeling, the decomposition's column generation may price exactly this many times
#: before the fast path gives way to staged column generation. When the relaxation is exact,
#: peeling leaves almost no mass and the master certifies the lottery in a few rounds; when it
#: is not, proving that by column generation crawls (a 108-person households corpus pool:
#: 80 rounds at ~1 s, still undecided; staged: 65 s in all). A count, so runs are
#: deterministic.
DECOMPOSITION_ROUNDS = 30


def leximin(pool: Pool, quotas: Quotas, *, households: bool = True,
            backend: str | None = None, tol: float = DEFAULT_TOL,
            max_iterations: int = 10_000, progress: Progress | None = None,
            method: str = "auto") -> Distribution:
    """The LEXIMIN lottery (unique in its marginals).

    Parameters are as in :func:`~civicsortition.algorithms.maximin.maximin`, plus:

    method : {"auto", "staged"}
        ``"auto"`` first computes the leximin vector of the LP relaxation and tries to decompose
        it into a lottery over feasible panels (one column generation), falling back to staged
        column generation when it is not reachable; ``"staged"`` goes straight to the latter.
        Both are exact; ``details.extra["method"]`` records which one produced the result.

    Returns
    -------
    Distribution
        ``details.extra["stages"]`` lists each stage's value, certified bound and the number of
        people fixed; ``details.bound`` certifies the first stage (the maximin value);
        ``details.extra["phases"]`` gives the seconds spent in coverage, relaxation, peeling,
        decomposition, staged column generation and the certificate.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> sorted({round(float(p), 6) for p in leximin(pool, quotas).marginals})
    [0.25, 0.5]
    """
    dist = fast_or_staged(pool, quotas, households=households, backend=backend, tol=tol,
                          max_iterations=max_iterations, progress=progress, method=method,
                          staged_fallback=True)
    assert dist is not None
    return dist


def fast_or_staged(pool: Pool, quotas: Quotas, *, households: bool, backend: str | None,
                   tol: float, max_iterations: int, progress: Progress | None, method: str,
                   staged_fallback: bool) -> Distribution | None:
    """The body of :func:`leximin`; None if the fast path fails and not ``staged_fallback``.

    MAXIMIN calls it without the fallback and runs its own column generation instead.
    """
    # Coverage is deferred: the relaxation is solved over every type, its peeled profiles
    # cover most of them, and coverage MIPs run only for the types they missed (on the
    # 1,473-person households corpus pool: 369 coverage MIPs before, a handful now).
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations, coverage=False)
    prog = run.program
    if method not in ("auto", "staged"):  # checked after setup: bad input is reported first
        raise InputError.single("bad-method", "method must be 'auto' or 'staged'",
                                value=repr(method))
    recoveries: list[str] = []
    relaxed, peeled = _relax_and_peel(run, method == "auto", recoveries)
    if run.cover(np.ones(prog.n_types, dtype=bool)):
        # Some type is on no feasible panel: the relaxation counted it; redo without it.
        relaxed, peeled = _relax_and_peel(run, method == "auto", recoveries)
    active = run.active()
    decomposition = None
    deficit = None
    x = None
    master = None
    if relaxed is not None and peeled is not None:
        targets = np.where(active, relaxed.pi, 0.0)
        with run.phase("decomposition"):
            x, deficit = _peeled_lottery(run, peeled, targets)
        if deficit > tol:  # not certified as peeled: the master reweights and prices on
            x = None
            master = run.open_master(np.flatnonzero(active))
            for t in np.flatnonzero(active):
                master.set_target(int(t), float(targets[t]))
            try:
                # The relaxed vector bounds every lottery from above, so a master value of
                # -tol already certifies it; no need to prove the decomposition LP optimal.
                with run.phase("decomposition"):
                    decomposition = max_min_stage(run, targets, "leximin: decomposition",
                                                  stop_at=-tol, max_exact=DECOMPOSITION_ROUNDS)
            except SolverError as e:
                recoveries.append(f"fast path abandoned ({e}); staged column generation "
                                  "instead")
            if (decomposition is not None and decomposition.converged
                    and decomposition.value >= -tol):
                x, deficit = decomposition.x, -decomposition.value
    stages: list[dict[str, float]] = []
    first_stage_prices: FloatArray | None = None
    if relaxed is not None and x is not None:
        method = "lp-relaxation"
        converged = True
        stages = [dict(st, converged=True) for st in relaxed.stages]
    elif not staged_fallback:
        return None
    else:
        method = "staged"
        if master is None:
            master = run.open_master(np.flatnonzero(active))
        for t in np.flatnonzero(active):
            master.set_target(int(t), 0.0)
        with run.phase("staged"):
            x, stages, converged, first_stage_prices = _staged(run, master, active,
                                                               recoveries)
    profiles, weights = final_lottery(run, x, f"leximin ({method})")
    pi = weights @ profiles / prog.sizes
    dist_min = float(pi[active].min()) if active.any() else 0.0
    # Certificate, re-derived from duals by an exact pricing solve (valid for any prices):
    # the first relaxed stage's prices and, when staged, the first stage's certified bound.
    bound = float("inf")
    prices: FloatArray | None = None
    if relaxed is not None:
        with run.phase("certificate"):
            bound = certified_maximin_bound(run, relaxed.first_prices)
        prices = relaxed.first_prices
    if method == "staged" and stages and float(stages[0]["bound"]) < bound:
        bound, prices = float(stages[0]["bound"]), first_stage_prices
    if not np.isfinite(bound):
        bound, prices = dist_min, None
    details = RunDetails(
        algorithm="leximin", backend=run.backend.name, backend_version=run.backend.version(),
        objective=dist_min, bound=bound, gap=bound - dist_min, converged=converged,
        iterations=run.iterations, stages=len(stages), seconds=run.seconds(),
        n_types=prog.n_types,
        options=options_record(households=households, tol=tol, max_iterations=max_iterations),
        message=(f"leximin by {method} in {len(stages)} stages; minimum {dist_min:.6f} "
                 f"(certified bound {bound:.6f})" if converged else
                 "stopped at max_iterations: the lottery is valid but not proven leximin"),
        extra={"stages": stages, "method": method,
               "decomposition_gap": deficit,
               "peeling": (None if peeled is None else
                           {"profiles": len(peeled.profiles), "unpeeled_mass": peeled.remaining,
                            "stop": peeled.stop, "found_by": peeled.found_by}),
               "explanation": [] if relaxed is None else relaxed.explanation,
               "recoveries": recoveries,
               "phases": {k: round(v, 4) for k, v in run.phases.items()}},
        certificate_prices=prices)
    uncovered = run.uncovered_people()
    return Distribution(prog, profiles, weights, details, uncovered)


def _peeled_lottery(run: Run, peeled: Peeling, targets: FloatArray
                    ) -> tuple[FloatArray, float]:
    """The peeled lottery over ``run.columns`` and its largest deficit below ``targets``.

    When peeling left (almost) no mass, its weights, renormalised, already reach the relaxed
    vector within ``tol`` and the master LP is not needed (7,992 types: 9.5 s saved); the
    deficit is recomputed here from the profiles, not taken from peeling's bookkeeping.
    """
    index = {c.tobytes(): i for i, c in enumerate(run.columns)}
    x = np.zeros(len(run.columns))
    for profile, weight in zip(peeled.profiles, peeled.weights, strict=True):
        x[index[profile.astype(np.int64).tobytes()]] += weight
    if x.sum() <= 0:
        return x, float("inf")
    x /= x.sum()
    active = run.active()
    pi = x @ run.coverage()
    return x, float(np.max(targets[active] - pi[active], initial=0.0))


def _relax_and_peel(run: Run, fast: bool, recoveries: list[str]
                    ) -> tuple[RelaxedLeximin | None, Peeling | None]:
    """The relaxed leximin vector over the active types and, if ``fast``, its peeling.

    Either is None when its solves failed for good (recorded in ``recoveries``): the caller
    then goes the staged way.
    """
    prog = run.program
    active = run.active()
    try:
        with run.phase("relaxation"):
            relaxed = relaxed_leximin(prog, active, run.backend)
    except SolverError as e:  # the relaxation is only a shortcut: go the staged way
        recoveries.append(f"LP relaxation abandoned ({e}); staged column generation instead")
        return None, None
    recoveries.extend(relaxed.recoveries)
    if not fast:
        return relaxed, None
    run.report("leximin: LP relaxation", relaxed.stages[0]["value"], relaxed.stages[0]["value"])
    targets = np.where(active, relaxed.pi, 0.0)
    try:
        with run.phase("peeling"):
            peeled = peel(prog, targets * prog.sizes, run.pricing, stop_mass=run.tol * 1e-2,
                          progress=lambda step, mass: run.report("leximin: peeling", mass,
                                                                 1.0))
    except SolverError as e:
        recoveries.append(f"fast path abandoned ({e}); staged column generation instead")
        return relaxed, None
    for profile in peeled.profiles:
        run.add(profile)
    return relaxed, peeled


def _staged(run: Run, master: HighsMaster | StatelessMaster, active: npt.NDArray[np.bool_],
            recoveries: list[str]
            ) -> tuple[FloatArray, list[dict[str, float]], bool, FloatArray | None]:
    """Progressive filling by column generation (when the relaxation is not exact).

    Returns the lottery weights, the stage records, whether every stage converged, and the
    prices behind the first stage's certified bound.

    A stage fixes its newly pinned types at the value the master *returned* for them (less
    the fixing slack; see :mod:`civicsortition.numerics`). If a later stage's master still
    fails after the solver's own recovery, every fixed bound is relaxed to the next slack of
    ``FIX_SLACK_LADDER`` and the stage is re-run.
    """
    prog = run.program
    rhs = np.zeros(prog.n_types)
    fixed = np.zeros(prog.n_types, dtype=bool)
    floor = np.zeros(prog.n_types)  # the returned value of each fixed type
    stages: list[dict[str, float]] = []
    x = np.zeros(len(run.columns))
    slack_step = 0
    first: FloatArray | None = None
    while (active & ~fixed).any():
        unfixed = active & ~fixed
        name = f"leximin stage {len(stages) + 1}"
        try:
            stage = max_min_stage(run, rhs, name, unfixed=unfixed)
        except SolverError as e:
            if slack_step + 1 >= len(FIX_SLACK_LADDER) or not fixed.any():
                raise
            slack_step += 1
            slack = FIX_SLACK_LADDER[slack_step]
            recoveries.append(f"{name}: {e.status.value}; fixed bounds relaxed by {slack:g}")
            for t in np.flatnonzero(fixed):
                master.fix(int(t), float(floor[t] - slack))
                rhs[t] = floor[t] - slack
            continue
        x = stage.x
        if not stages:
            first = stage.bound_prices
        pi = pad(x, len(run.columns)) @ run.coverage()
        newly = types_to_fix(stage.y, unfixed)
        slack = FIX_SLACK_LADDER[slack_step]
        floor[newly] = np.minimum(stage.value, pi[newly])
        for t in np.flatnonzero(newly):
            master.fix(int(t), float(floor[t] - slack))
        rhs[newly] = floor[newly] - slack
        fixed |= newly
        stages.append({"value": stage.value, "bound": stage.bound,
                       "people_fixed": int(prog.sizes[newly].sum()),
                       "converged": stage.converged})
        if not stage.converged:
            return x, stages, False, first
    return x, stages, True, first
