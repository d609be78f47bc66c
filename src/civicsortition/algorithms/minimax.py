r"""MINIMAX: minimise the largest selection probability, optionally above a floor.

Flanigan, Liang, Procaccia and Wang (AAAI 2024): the limit p -> infinity of the l_p
objectives, the least manipulable of them. Program and certificate:
:mod:`civicsortition.algorithms._epigraph`.
"""

from __future__ import annotations

import numpy as np

from .._i18n import tr
from ..distribution import Distribution
from ..errors import InputError
from ..numerics import DEFAULT_TOL
from ..pool import Pool
from ..quotas import Quotas
from ._core import Progress, max_min_stage, options_record, setup
from ._epigraph import check_tol, finish, solve

__all__ = ["minimax"]


def minimax(pool: Pool, quotas: Quotas, *, floor: float | str | None = None,
            households: bool = True, backend: str | None = None, tol: float = DEFAULT_TOL,
            max_iterations: int = 10_000, progress: Progress | None = None,
            time_limit: float | None = None) -> Distribution:
    """Lottery minimising the largest selection probability (optionally above a floor).

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    floor : float, "maximin" or None
        Hold every covered person's probability at least this high: a number, or
        ``"maximin"`` for the MAXIMIN value (the best achievable minimum, computed first on
        the same run, whose panels then start the minimax master). None: no floor --
        MINIMAX alone may give people probability 0.
    households : bool
        At most one selected member per household (when the pool has household keys).
    backend : str, optional
        ``"highs"`` (default), ``"pulp"`` or ``"pulp:SOLVER"``.
    tol : float
        Certified gap, in probability units.
    max_iterations : int
        Limit on column-generation rounds; reaching it returns a valid lottery with
        ``converged=False``.
    progress : callable, optional
        ``progress(stage, iteration, value, bound)`` (values negated: larger is better);
        returning ``False`` cancels the run.
    time_limit : float, optional
        Wall-clock budget in seconds, checked between solves.

    Returns
    -------
    Distribution
        ``details.objective`` is minus the largest probability, ``details.bound`` minus the
        certified lower bound; ``details.extra`` is an :class:`EpigraphExtra`.

    Raises
    ------
    InputError
        ``bad-floor`` for a floor that is not a probability or is above the MAXIMIN bound.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> round(minimax(pool, quotas).details.extra.maximum, 6)
    0.5
    """
    check_tol(tol)
    if floor is not None and floor != "maximin" and (
            isinstance(floor, bool) or not isinstance(floor, float | int)
            or not 0 <= floor <= 1):
        raise InputError.single("bad-floor", "floor must be None, 'maximin' or a probability "
                                "in [0, 1]", value=repr(floor))
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations, time_limit=time_limit)
    level: float | None = None
    if floor is not None:
        # The MAXIMIN stage on this run: its columns start the minimax master, and its lottery
        # shows the floor feasible (the achieved minimum) or impossible (above the bound).
        prog = run.program
        active = run.active()
        run.open_master(np.flatnonzero(active))
        stage = max_min_stage(run, np.zeros(prog.n_types), "minimax floor")
        pi = (stage.x @ np.array(run.columns, dtype=float) / prog.sizes)[active]
        achieved = float(pi.min()) if len(pi) else 0.0
        if floor != "maximin" and float(floor) > stage.bound + tol:
            raise InputError.single(
                "bad-floor", tr("no lottery gives everyone {floor:.6f}: the best achievable "
                                "minimum is at most {bound:.6f}", floor=float(floor),
                                bound=stage.bound), value=repr(floor))
        level = achieved if floor == "maximin" else min(float(floor), achieved)
        level = max(level - 1e-9, 0.0)  # the stage's lottery keeps it: the master is feasible
    options = options_record(households=households, tol=tol, max_iterations=max_iterations,
                             floor=floor, time_limit=time_limit)
    outcome = solve(run, gamma=None, floor=level, tol=tol, name="minimax")
    return finish(run, outcome, algorithm="minimax", options=options, floor=level,
                   gamma=None, what="maximum probability")
