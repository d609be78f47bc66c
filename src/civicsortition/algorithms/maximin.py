r"""MAXIMIN: maximise the minimum selection probability (Flanigan et al., Nature 596, 2021).

.. math::

    \max_{x \in \Delta(\mathcal P)} \min_{i \text{ covered}} \pi_i(x)

``method="auto"`` first tries the LP-relaxation fast path
(:mod:`~civicsortition.algorithms.fast_path`): a LEXIMIN lottery maximises the minimum, and the
relaxed first stage bounds the maximin value from above, so when the fast path succeeds its
lottery is returned with that bound as certificate (``details.extra["method"] =
"leximin-fast-path"``). Otherwise -- and always with ``method="column-generation"`` -- the
maximin program is solved by column generation over types (see
:mod:`civicsortition.algorithms._core`), on the same run (the fast path's panels are a warm
start), certified by the dual bound ``max_S Σ_t y_t c_{S,t}/n_t`` for the final prices ``y``.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from .._typing import FloatArray
from ..distribution import Distribution, Extra
from ..errors import InputError
from ..numerics import DEFAULT_TOL
from ..pool import Pool
from ..quotas import Quotas
from ._core import (
    Progress,
    Run,
    best_over_columns,
    details,
    final_lottery,
    max_min_stage,
    options_record,
    setup,
    stopped_bound,
    stopped_message,
)
from ._master import MasterLP
from .fast_path import leximin_fast_path, relaxed_certificate

__all__ = ["METHODS", "MaximinExtra", "maximin"]

#: The values of ``method``.
METHODS = ("auto", "column-generation")


@attrs.frozen(eq=False)
class MaximinExtra(Extra):
    """MAXIMIN's record in ``details.extra`` (also readable as the mapping of earlier versions).

    Attributes
    ----------
    requested : str
        The ``method`` asked for: ``"auto"`` or ``"column-generation"`` (attribute only).
    path : str
        What produced the result: ``"leximin-fast-path"`` or ``"column-generation"`` (mapping
        key ``"method"``).
    explanation : list of str or None
        What limits the minimum (fast path only; left out of the mapping when None).
    recoveries : list of str or None
        Solver trouble met and recovered from (fast path only; likewise).
    """

    requested: str = attrs.field(metadata={"key": None})
    path: str = attrs.field(metadata={"key": "method"})
    explanation: list[str] | None = attrs.field(default=None, metadata={"omit_none": True})
    recoveries: list[str] | None = attrs.field(default=None, metadata={"omit_none": True})


def maximin(pool: Pool, quotas: Quotas, *, households: bool = True,
            backend: str | None = None, tol: float = DEFAULT_TOL,
            max_iterations: int = 10_000, progress: Progress | None = None,
            method: str = "auto", time_limit: float | None = None) -> Distribution:
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
        ``progress(stage, iteration, value, bound)``; returning ``False`` cancels the run: it
        stops at the next check as if the time limit had run out (``None`` continues).
    method : {"auto", "column-generation"}
        ``"auto"`` tries the LP-relaxation fast path first (see the module docstring).
    time_limit : float, optional
        Wall-clock budget in seconds (None: none), checked between solves -- a solve under way
        is not interrupted, so a run may overrun by one solve and the few that assemble the
        result (one master LP, one pricing solve for the certificate). When it runs out, the
        best valid lottery found so far is returned with ``converged=False``, a message
        saying so, and the best bound proven (at worst the averaging bound ``k / N``, with
        its prices), so ``details.gap`` stays honest. Results under a time limit are not
        deterministic: where the run stops depends on the machine.

    Returns
    -------
    Distribution
        Not unique in general: many lotteries attain the maximin value. ``details.extra`` is
        a :class:`MaximinExtra`; ``details.seconds`` and ``details.iterations`` count the
        whole run, fast path included.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> round(maximin(pool, quotas).minimum, 6)
    0.25
    """
    if method not in METHODS:
        raise InputError.single("bad-method", "method must be 'auto' or 'column-generation'",
                                value=repr(method))
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations, coverage=method != "auto",
                time_limit=time_limit)
    prog = run.program
    options = options_record(households=households, tol=tol, max_iterations=max_iterations,
                             method=method, time_limit=time_limit)
    master: MasterLP | None = None
    if method == "auto":
        fp = leximin_fast_path(run)   # covers every coverable type, as setup would have
        if fp.succeeded:
            assert fp.x is not None
            assert fp.relaxed is not None
            profiles, weights = final_lottery(run, fp.x, "leximin (lp-relaxation)")
            active = run.active()
            pi = weights @ profiles / prog.sizes
            minimum = float(pi[active].min()) if active.any() else 0.0
            bound, prices = relaxed_certificate(run, fp.relaxed)
            if not np.isfinite(bound):
                bound, prices = minimum, None
            if bound - minimum <= tol:
                extra = MaximinExtra(requested=method, path="leximin-fast-path",
                                     explanation=fp.relaxed.explanation,
                                     recoveries=fp.recoveries)
                record = details(run, "maximin", objective=minimum, bound=bound,
                                 converged=True, stages=1, options=options, extra=extra,
                                 message=f"maximin {minimum:.6f}, certified upper bound "
                                         f"{bound:.6f} (LEXIMIN fast path)",
                                 certificate_prices=prices)
                return Distribution(prog, profiles, weights, record, run.uncovered_people())
            # Just short of tol: the fast path's panels are columns of this run already.
        master = fp.master
        if run.should_stop():
            return _stopped(run, options, method, *relaxed_certificate(run, fp.relaxed))
    elif run.should_stop():
        return _stopped(run, options, method, float("inf"), None)
    active = run.active()
    if master is None:
        run.open_master(np.flatnonzero(active))
    else:  # the decomposition's master: plain max-min from here, every target 0
        for t in np.flatnonzero(active):
            master.set_target(int(t), 0.0)
    stage = max_min_stage(run, np.zeros(prog.n_types), "maximin")
    profiles, x = final_lottery(run, stage.x, "maximin")
    minimum = float((x @ profiles / prog.sizes)[active].min()) if active.any() else 0.0
    bound, prices = stage.bound, stage.bound_prices
    message = (f"maximin {minimum:.6f}, certified upper bound {stage.bound:.6f}"
               if stage.converged else "stopped at max_iterations before proving optimality")
    if run.stop_reason is not None and not stage.converged:
        bound, prices = stopped_bound(run, bound, prices)
        message = (f"{stopped_message(run, 'maximin')}; minimum {minimum:.6f}, certified "
                   f"upper bound {bound:.6f}")
    record = details(run, "maximin", objective=minimum, bound=bound,
                     converged=stage.converged, stages=1, options=options, message=message,
                     extra=MaximinExtra(requested=method, path="column-generation"),
                     certificate_prices=prices)
    return Distribution(prog, profiles, x, record, run.uncovered_people())


def _stopped(run: Run, options: dict[str, Any], method: str, bound: float,
             prices: FloatArray | None) -> Distribution:
    """A MAXIMIN run stopped before its column generation: the best lottery over its panels."""
    prog = run.program
    profiles, x = final_lottery(run, best_over_columns(run), "maximin (stopped)")
    active = run.active()
    minimum = float((x @ profiles / prog.sizes)[active].min()) if active.any() else 0.0
    bound, prices = stopped_bound(run, bound, prices)
    record = details(run, "maximin", objective=minimum, bound=bound, converged=False,
                     stages=1, options=options,
                     message=(f"{stopped_message(run, 'maximin')}; minimum {minimum:.6f}, "
                              f"certified upper bound {bound:.6f}"),
                     extra=MaximinExtra(requested=method, path="leximin-fast-path"
                                        if method == "auto" else "column-generation"),
                     certificate_prices=prices)
    return Distribution(prog, profiles, x, record, run.uncovered_people())
