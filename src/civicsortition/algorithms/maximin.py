r"""MAXIMIN: maximise the minimum selection probability (Flanigan et al., Nature 596, 2021).

.. math::

    \max_{x \in \Delta(\mathcal P)} \min_{i \text{ covered}} \pi_i(x)

``method="auto"`` first tries LEXIMIN's LP-relaxation fast path: a LEXIMIN lottery maximises
the minimum, and the relaxed first stage bounds the maximin value from above, so when the fast
path succeeds its lottery is returned with that bound as certificate (``details.extra["method"]
= "leximin-fast-path"``). Otherwise -- and always with ``method="column-generation"`` -- the
maximin program is solved by column generation over types (see
:mod:`civicsortition.algorithms._core`), certified by the dual bound
``max_S Σ_t y_t c_{S,t}/n_t`` for the final prices ``y``.
"""

from __future__ import annotations

import attrs
import numpy as np

from ..distribution import Distribution, RunDetails
from ..errors import InputError
from ..numerics import DEFAULT_TOL
from ..pool import Pool
from ..quotas import Quotas
from ._core import Progress, final_lottery, max_min_stage, options_record, setup
from .leximin import fast_or_staged

__all__ = ["maximin"]


def maximin(pool: Pool, quotas: Quotas, *, households: bool = True,
            backend: str | None = None, tol: float = DEFAULT_TOL,
            max_iterations: int = 10_000, progress: Progress | None = None,
            method: str = "auto") -> Distribution:
    """Lottery maximising the minimum selection probability of any (covered) pool member.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    households : bool
        Enforce at most one selected member per household (when the pool has household keys).
    backend : str, optional
        ``"highs"`` (default), ``"pulp"`` or ``"pulp:SOLVER"``.
    tol : float
        Optimality tolerance in probability units (the certified gap is at most this).
    max_iterations : int
        Limit on column-generation rounds (master solves); hitting it returns a valid lottery
        with ``converged=False``.
    progress : callable, optional
        ``progress(stage, iteration, value, bound)``.
    method : {"auto", "column-generation"}
        ``"auto"`` tries the LEXIMIN fast path first (see the module docstring).

    Returns
    -------
    Distribution
        Not unique in general: many lotteries attain the maximin value.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> round(maximin(pool, quotas).minimum, 6)
    0.25
    """
    if method not in ("auto", "column-generation"):
        raise InputError.single("bad-method", "method must be 'auto' or 'column-generation'",
                                value=repr(method))
    lex = None
    if method == "auto":
        lex = fast_or_staged(pool, quotas, households=households, backend=backend, tol=tol,
                             max_iterations=max_iterations, progress=progress, method="auto",
                             staged_fallback=False)
        if lex is not None and lex.details.converged and lex.details.gap <= tol:
            d = lex.details
            details = attrs.evolve(
                d, algorithm="maximin", stages=1,
                options=options_record(households=households, tol=tol,
                                       max_iterations=max_iterations, method=method),
                message=f"maximin {d.objective:.6f}, certified upper bound {d.bound:.6f} "
                        "(LEXIMIN fast path)",
                extra={"method": "leximin-fast-path", "explanation": d.extra["explanation"],
                       "recoveries": d.extra["recoveries"]})
            return Distribution(lex.program, lex.profiles, lex.probabilities, details,
                                lex.uncovered)
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations)
    prog = run.program
    active = run.active()
    run.open_master(np.flatnonzero(active))
    if lex is not None:  # the fast path fell just short of tol: its panels are a warm start
        for profile in lex.profiles:
            run.add(profile)
    stage = max_min_stage(run, np.zeros(prog.n_types), "maximin")
    profiles, x = final_lottery(run, stage.x, "maximin")
    minimum = float((x @ profiles / prog.sizes)[active].min()) if active.any() else 0.0
    details = RunDetails(
        algorithm="maximin", backend=run.backend.name, backend_version=run.backend.version(),
        objective=minimum, bound=stage.bound, gap=stage.bound - minimum,
        converged=stage.converged, iterations=run.iterations, stages=1,
        seconds=run.seconds() + (0.0 if lex is None else lex.details.seconds),
        n_types=prog.n_types,
        options=options_record(households=households, tol=tol, max_iterations=max_iterations,
                               method=method),
        message=(f"maximin {minimum:.6f}, certified upper bound {stage.bound:.6f}"
                 if stage.converged else "stopped at max_iterations before proving optimality"),
        extra={"method": "column-generation"}, certificate_prices=stage.bound_prices)
    uncovered = run.uncovered_people()
    return Distribution(prog, profiles, x, details, uncovered)
