r"""The LP-relaxation fast path, shared by LEXIMIN, MAXIMIN and NASH.

Each algorithm first solves its problem over the relaxed polytope
(:mod:`~civicsortition.algorithms.relaxation`: no integer program, milliseconds to seconds),
*peels* the relaxed optimum into a lottery over feasible panels
(:mod:`~civicsortition.algorithms.decompose`) and keeps that lottery if it reaches the relaxed
optimum -- which bounds every lottery, so reaching it is a certificate. Coverage is deferred:
the peeled profiles cover most types, and coverage MIPs run only for the types they missed (on
the 1,473-person households corpus pool: 369 coverage MIPs, 45 s, before). If coverage finds a
type on no feasible panel, the relaxation counted it and is redone without it.

* :func:`leximin_fast_path` -- the relaxed LEXIMIN vector, peeled, then (if peeling fell
  short) a capped column generation of the decomposition LP. LEXIMIN falls back to
  progressive filling when it fails; MAXIMIN to its own column generation, on the same run.
* :func:`relaxed_certificate` -- the maximin bound certified from the relaxation's prices.
* :func:`nash_fast_path` -- the relaxed Nash optimum, peeled (NASH's Frank-Wolfe column
  generation starts from the peeled lottery).
"""

from __future__ import annotations

import attrs
import numpy as np

from .._log import get_logger
from .._typing import FloatArray
from ..errors import SolverError
from ..numerics import RELAXED_FEASIBLE
from ._core import Run, StageResult, certified_maximin_bound, max_min_stage
from ._master import MasterLP
from .decompose import Peeling, peel
from .relaxation import RelaxedLeximin, RelaxedNash, relaxed_leximin, relaxed_nash

__all__ = ["DECOMPOSITION_ROUNDS", "LeximinFastPath", "leximin_fast_path", "nash_fast_path",
           "relaxed_certificate"]

#: After peeling, the decomposition's column generation may price exactly this many times
#: before the fast path gives way (to staged column generation, or MAXIMIN's own). When the
#: relaxation is exact, peeling leaves almost no mass and the master certifies the lottery in a
#: few rounds; when it is not, proving that by column generation crawls (a 108-person
#: households corpus pool: 80 rounds at ~1 s, still undecided; staged: 65 s in all). A count,
#: so runs are deterministic.
DECOMPOSITION_ROUNDS = 30

LOG = get_logger("algorithms.fast_path")


@attrs.frozen(eq=False)
class LeximinFastPath:
    """Outcome of :func:`leximin_fast_path`.

    Attributes
    ----------
    x : ndarray or None
        Lottery weights over ``run.columns`` that reach the relaxed LEXIMIN vector within
        ``tol``; None if the fast path failed (or was not tried).
    relaxed : RelaxedLeximin or None
        The relaxed LEXIMIN vector over the active types; None if its solves failed.
    peeled : Peeling or None
        The peeling of it; None if not tried or failed.
    deficit : float or None
        Largest shortfall of the lottery found below the relaxed vector (None if none).
    master : MasterLP or None
        The master LP opened for the decomposition (rows targeted at the relaxed vector), for
        the caller's column generation to continue on.
    recoveries : list of str
        Solver trouble met and recovered from, fast path abandoned included.
    """

    x: FloatArray | None
    relaxed: RelaxedLeximin | None
    peeled: Peeling | None
    deficit: float | None
    master: MasterLP | None
    recoveries: list[str]

    @property
    def succeeded(self) -> bool:
        """Whether the lottery ``x`` reaches the relaxed vector (is the LEXIMIN lottery)."""
        return self.relaxed is not None and self.x is not None

    def peeling_record(self) -> dict[str, object] | None:
        """The peeling summary kept in the run details (None if there was no peeling)."""
        p = self.peeled
        return None if p is None else {"profiles": len(p.profiles),
                                       "unpeeled_mass": p.remaining, "stop": p.stop,
                                       "found_by": p.found_by}


def leximin_fast_path(run: Run, *, peeling: bool = True) -> LeximinFastPath:
    """Relax, peel, cover, decompose: the LEXIMIN lottery without staged column generation.

    ``run`` comes from :func:`~civicsortition.algorithms._core.setup` with ``coverage=False``;
    on return every coverable type is covered (:meth:`Run.cover`). With ``peeling=False``
    only the relaxation is computed (its prices certify a bound; ``x`` is None).

    A run that must stop (:meth:`Run.should_stop`) returns at the next check with ``x`` None:
    the caller builds its stopped result from the columns found so far.
    """
    prog = run.program
    recoveries: list[str] = []
    relaxed, peeled = _relax_and_peel(run, peeling, recoveries)
    if run.should_stop():
        return LeximinFastPath(None, relaxed, peeled, None, None, recoveries)
    if run.cover(np.ones(prog.n_types, dtype=bool)):
        # Some type is on no feasible panel: the relaxation counted it; redo without it.
        relaxed, peeled = _relax_and_peel(run, peeling, recoveries)
    if run.should_stop():
        return LeximinFastPath(None, relaxed, peeled, None, None, recoveries)
    active = run.active()
    decomposition: StageResult | None = None
    deficit: float | None = None
    x: FloatArray | None = None
    master: MasterLP | None = None
    if relaxed is not None and peeled is not None:
        targets = np.where(active, relaxed.pi, 0.0)
        with run.phase("decomposition"):
            x, deficit = _peeled_lottery(run, peeled, targets)
        if deficit > run.tol:  # not certified as peeled: the master reweights and prices on
            x = None
            master = run.open_master(np.flatnonzero(active))
            for t in np.flatnonzero(active):
                master.set_target(int(t), float(targets[t]))
            try:
                # The relaxed vector bounds every lottery from above, so a master value of
                # -tol already certifies it; no need to prove the decomposition LP optimal.
                with run.phase("decomposition"):
                    decomposition = max_min_stage(run, targets, "leximin: decomposition",
                                                  stop_at=-run.tol,
                                                  max_exact=DECOMPOSITION_ROUNDS)
            except SolverError as e:
                recoveries.append(f"fast path abandoned ({e}); staged column generation "
                                  "instead")
            if (decomposition is not None and decomposition.converged
                    and decomposition.value >= -run.tol):
                x, deficit = decomposition.x, -decomposition.value
        LOG.info("leximin fast path: %s (largest deficit %.3g, %d panels)",
                 "the relaxed vector is reached" if x is not None else "not reached",
                 float("nan") if deficit is None else deficit, len(run.columns))
    return LeximinFastPath(x, relaxed, peeled, deficit, master, recoveries)


def relaxed_certificate(run: Run, relaxed: RelaxedLeximin | None
                        ) -> tuple[float, FloatArray | None]:
    """The maximin bound certified by the relaxation's first-stage prices, and the prices.

    One exact pricing solve (weak duality holds for any non-negative prices, so the bound does
    not rest on the LP's tolerances); ``(inf, None)`` without a relaxation.
    """
    if relaxed is None:
        return float("inf"), None
    with run.phase("certificate"):
        bound = certified_maximin_bound(run, relaxed.first_prices)
    return bound, relaxed.first_prices


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
    then goes its exact way.
    """
    prog = run.program
    active = run.active()
    if run.should_stop():
        return None, None
    try:
        with run.phase("relaxation"):
            relaxed = relaxed_leximin(prog, active, run.backend)
    except SolverError as e:  # the relaxation is only a shortcut: go the staged way
        recoveries.append(f"LP relaxation abandoned ({e}); staged column generation instead")
        LOG.info("LP relaxation abandoned after a solver failure")
        return None, None
    recoveries.extend(relaxed.recoveries)
    LOG.info("relaxed leximin: %d stages, minimum %.6f (%.2f s)", len(relaxed.stages),
             relaxed.stages[0]["value"], run.phases.get("relaxation", 0.0))
    if not fast or run.should_stop():
        return relaxed, None
    run.report("leximin: LP relaxation", relaxed.stages[0]["value"], relaxed.stages[0]["value"])
    targets = np.where(active, relaxed.pi, 0.0)
    try:
        with run.phase("peeling"):
            peeled = peel(prog, targets * prog.sizes, run.pricing, stop_mass=run.tol * 1e-2,
                          progress=lambda step, mass: run.report("leximin: peeling", mass,
                                                                 1.0),
                          should_stop=run.should_stop)
    except SolverError as e:
        recoveries.append(f"fast path abandoned ({e}); staged column generation instead")
        return relaxed, None
    _log_peeling(run, peeled)
    for profile in peeled.profiles:
        run.add(profile)
    return relaxed, peeled


def _log_peeling(run: Run, peeled: Peeling) -> None:
    LOG.info("peeling: %d profiles, unpeeled mass %.3g, stop %s (%.2f s)",
             len(peeled.profiles), peeled.remaining, peeled.stop,
             run.phases.get("peeling", 0.0))


def nash_fast_path(run: Run) -> tuple[RelaxedNash, Peeling | None]:
    """The relaxed Nash optimum over the active types and, if it is feasible, its peeling.

    ``run`` comes from :func:`~civicsortition.algorithms._core.setup` with ``coverage=False``;
    the peeled profiles become columns at once, so that :meth:`Run.cover` (run here) skips the
    types they cover.
    """
    rel, peeled = _relax_and_peel_nash(run)
    if run.should_stop():
        return rel, peeled
    if run.cover(np.ones(run.program.n_types, dtype=bool)):
        # Some type is on no feasible panel: the relaxation counted it; redo without it.
        rel, peeled = _relax_and_peel_nash(run)
    return rel, peeled


def _relax_and_peel_nash(run: Run) -> tuple[RelaxedNash, Peeling | None]:
    prog = run.program
    with run.phase("relaxation"):
        rel = relaxed_nash(prog, run.active())
    LOG.info("relaxed Nash optimum: bound %.6g, violation %.3g seats (%.2f s)", rel.bound,
             rel.violation, run.phases.get("relaxation", 0.0))
    if rel.violation > RELAXED_FEASIBLE or run.should_stop():
        return rel, None
    with run.phase("peeling"):
        peeled = peel(prog, rel.pi * prog.sizes, run.pricing, stop_mass=1e-12,
                      progress=lambda step, mass: run.report("nash: peeling", mass, 1.0),
                      should_stop=run.should_stop)
    _log_peeling(run, peeled)
    for profile in peeled.profiles:
        run.add(profile)
    return rel, peeled
