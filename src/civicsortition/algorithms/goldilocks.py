r"""GOLDILOCKS: (N/k) max pi + gamma (k/N) / min pi, minimised (Baharav & Flanigan 2024).

"Fair, manipulation-robust, and transparent sortition", arXiv:2406.15009: neither end of
the probability range far from k/N. Program and certificate:
:mod:`civicsortition.algorithms._epigraph`.
"""

from __future__ import annotations

import math

from ..distribution import Distribution
from ..errors import InputError
from ..pool import Pool
from ..quotas import Quotas
from ._core import Progress, options_record, setup
from ._epigraph import DEFAULT_GOLDILOCKS_TOL, check_tol, finish, solve

__all__ = ["DEFAULT_GOLDILOCKS_TOL", "goldilocks"]


def goldilocks(pool: Pool, quotas: Quotas, *, gamma: float = 1.0, households: bool = True,
               backend: str | None = None, tol: float = DEFAULT_GOLDILOCKS_TOL,
               max_iterations: int = 10_000, progress: Progress | None = None,
               time_limit: float | None = None) -> Distribution:
    """GOLDILOCKS: keep both the largest and the smallest selection probability near ``k/N``.

    Minimises ``(N/k) max π + γ (k/N) / min π`` over lotteries (Baharav and Flanigan 2024; see
    the module docstring for the program and its certificate).

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    gamma : float
        Weight of the minimum term (the paper's γ; 1 by default). Larger values favour the
        minimum, smaller ones the maximum.
    households, backend, max_iterations, progress, time_limit
        As :func:`minimax`.
    tol : float
        Certified gap in objective units.

    Returns
    -------
    Distribution
        ``details.objective`` is minus the GOLDILOCKS objective, ``details.bound`` minus the
        certified lower bound; ``details.extra`` is an :class:`EpigraphExtra`. Use
        :func:`civicsortition.transparent_lottery` for the rounded (transparent) lottery.

    Raises
    ------
    InputError
        ``bad-gamma`` for a γ that is not a positive number.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> dist = goldilocks(pool, quotas)
    >>> round(dist.details.extra.minimum, 4), round(dist.details.extra.maximum, 4)
    (0.25, 0.5)
    """
    check_tol(tol)
    if isinstance(gamma, bool) or not isinstance(gamma, float | int) or not (
            math.isfinite(gamma) and gamma > 0):
        raise InputError.single("bad-gamma", "gamma must be a positive number",
                                value=repr(gamma))
    run = setup(pool, quotas, households=households, backend=backend, tol=min(tol, 0.0099),
                progress=progress, max_iterations=max_iterations, time_limit=time_limit)
    options = options_record(households=households, tol=tol, max_iterations=max_iterations,
                             gamma=float(gamma), time_limit=time_limit)
    outcome = solve(run, gamma=float(gamma), floor=None, tol=tol, name="goldilocks")
    return finish(run, outcome, algorithm="goldilocks", options=options, floor=None,
                   gamma=float(gamma), what="GOLDILOCKS objective")
