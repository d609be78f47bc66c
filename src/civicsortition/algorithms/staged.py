r"""Progressive filling by column generation: the LEXIMIN lottery when the relaxation is not exact.

Stage ``s`` solves the max-min LP of :mod:`~civicsortition.algorithms._core` to optimality by
column generation; by complementary slackness every unfixed type with a positive dual price
``y_t`` has ``π_t = z_s`` in *every* optimal solution, so those types are fixed at ``z_s``
and the next stage raises the others. Since the prices of unfixed types sum to 1, every stage
fixes at least one type; there are at most ``T`` stages.

:func:`leximin_lottery` is the whole LEXIMIN computation on a run -- the LP-relaxation fast
path (:mod:`~civicsortition.algorithms.fast_path`), then progressive filling if it fails --
shared by LEXIMIN and NASH's warm start.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from .._log import get_logger
from .._typing import FloatArray
from ..errors import SolverError
from ..numerics import FIX_SLACK_LADDER
from ._core import Run, best_over_columns, max_min_stage, pad, types_to_fix
from ._master import MasterLP
from .fast_path import LeximinFastPath, leximin_fast_path

__all__ = ["LeximinLottery", "leximin_lottery", "progressive_filling"]

LOG = get_logger("algorithms.leximin")


@attrs.frozen(eq=False)
class LeximinLottery:
    """Outcome of :func:`leximin_lottery`.

    Attributes
    ----------
    x : ndarray
        Lottery weights over the run's columns (before :func:`~._core.final_lottery`).
    path : str
        How it was computed: ``"lp-relaxation"`` (the fast path) or ``"staged"``.
    stages : list of dict
        Per stage ``{"value", "bound", "people_fixed", "converged"}`` when staged; on the
        fast path the relaxation's ``{"value", "people_fixed", "converged"}``.
    converged : bool
        Whether every stage converged (always True when the fast path succeeded; False when
        a time limit or the progress callback stopped the run).
    first_stage_prices : ndarray or None
        When staged, the prices behind the first stage's certified bound.
    fast : LeximinFastPath
        What the fast path did (relaxation, peeling, decomposition, recoveries).
    """

    x: FloatArray
    path: str
    stages: list[dict[str, float]]
    converged: bool
    first_stage_prices: FloatArray | None
    fast: LeximinFastPath


def leximin_lottery(run: Run, *, fast: bool = True) -> LeximinLottery:
    """The LEXIMIN lottery on ``run`` (from ``setup(..., coverage=False)``).

    With ``fast``, the LP-relaxation fast path is tried first; either way the relaxation is
    computed (its prices certify the maximin bound), and progressive filling runs when the
    fast path is not tried or fails.

    A run stopped (time limit, cancelled) during the fast path returns the max-min lottery
    over the panels found so far (:func:`~._core.best_over_columns`), unconverged, on the
    path it was taking; one stopped during progressive filling returns the last stage's
    lottery (it keeps every earlier stage's floors).
    """
    fp = leximin_fast_path(run, peeling=fast)
    if fp.succeeded:
        assert fp.relaxed is not None
        assert fp.x is not None
        stages: list[dict[str, float]] = [dict(st, converged=True) for st in fp.relaxed.stages]
        return LeximinLottery(fp.x, "lp-relaxation", stages, True, None, fp)
    if run.should_stop():
        return LeximinLottery(best_over_columns(run), "lp-relaxation" if fast else "staged",
                              [], False, None, fp)
    active = run.active()
    master = fp.master if fp.master is not None else run.open_master(np.flatnonzero(active))
    for t in np.flatnonzero(active):
        master.set_target(int(t), 0.0)
    with run.phase("staged"):
        x, stages, converged, first = progressive_filling(run, master, active, fp.recoveries)
    return LeximinLottery(x, "staged", stages, converged, first, fp)


def progressive_filling(run: Run, master: MasterLP, active: npt.NDArray[np.bool_],
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
        if stages and run.should_stop():
            return x, stages, False, first
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
        LOG.info("%s: value %.6f, bound %.6f, %d people fixed, converged %s", name,
                 stage.value, stage.bound, int(prog.sizes[newly].sum()), stage.converged)
        if not stage.converged:
            return x, stages, False, first
    return x, stages, True, first
