"""LEXIMIN: maximise the minimum probability, then the second smallest, and so on.

Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596 (2021). Computed exactly with open-source LP/MIP solvers: first by the
LP-relaxation fast path (:mod:`~civicsortition.algorithms.fast_path`), which succeeds whenever
the relaxed LEXIMIN vector is the mean of some lottery over feasible panels; otherwise by
*progressive filling* (:mod:`~civicsortition.algorithms.staged`), one max-min column
generation per stage.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from .._deprecated import moved_names
from ..distribution import Distribution, Extra
from ..errors import InputError
from ..numerics import DEFAULT_TOL
from ..pool import Pool
from ..quotas import Quotas
from ._core import (
    Progress,
    details,
    final_lottery,
    options_record,
    setup,
    stopped_bound,
    stopped_message,
)
from .fast_path import relaxed_certificate
from .staged import leximin_lottery

__all__ = ["METHODS", "LeximinExtra", "leximin"]

__getattr__ = moved_names(__name__, {
    "DECOMPOSITION_ROUNDS": "civicsortition.algorithms.fast_path"})

#: The values of ``method``.
METHODS = ("auto", "staged")


@attrs.frozen(eq=False)
class LeximinExtra(Extra):
    """LEXIMIN's record in ``details.extra`` (also readable as the mapping of earlier versions).

    Attributes
    ----------
    stages : list of dict
        Each stage's ``value``, certified ``bound`` (staged), ``people_fixed``, ``converged``.
    path : str
        The way that produced the result: ``"lp-relaxation"`` or ``"staged"`` (mapping key
        ``"method"``); for a run stopped early, the way it was taking.
    decomposition_gap : float or None
        Largest shortfall of the fast path's lottery below the relaxed vector.
    peeling : dict or None
        ``profiles``, ``unpeeled_mass``, ``stop`` and ``found_by`` of the peeling.
    explanation : list of str
        What limits the minimum (the binding quotas of the relaxation).
    recoveries : list of str
        Solver trouble met and recovered from.
    phases : dict
        Seconds spent in coverage, relaxation, peeling, decomposition, staged column
        generation and the certificate.
    requested : str
        The ``method`` asked for: ``"auto"`` or ``"staged"`` (attribute only).
    """

    stages: list[dict[str, float]]
    path: str = attrs.field(metadata={"key": "method"})
    decomposition_gap: float | None
    peeling: dict[str, Any] | None
    explanation: list[str]
    recoveries: list[str]
    phases: dict[str, float]
    requested: str = attrs.field(metadata={"key": None})


def leximin(pool: Pool, quotas: Quotas, *, households: bool = True,
            backend: str | None = None, tol: float = DEFAULT_TOL,
            max_iterations: int = 10_000, progress: Progress | None = None,
            method: str = "auto", time_limit: float | None = None) -> Distribution:
    """The LEXIMIN lottery (unique in its marginals).

    Parameters are as in :func:`~civicsortition.algorithms.maximin.maximin`, plus:

    method : {"auto", "staged"}
        ``"auto"`` first computes the leximin vector of the LP relaxation and tries to decompose
        it into a lottery over feasible panels (one column generation), falling back to staged
        column generation when it is not reachable; ``"staged"`` goes straight to the latter.
        Both are exact; ``details.extra.path`` (``details.extra["method"]``) records which one
        produced the result.
    time_limit : float, optional
        Wall-clock budget in seconds, checked between solves (see
        :func:`~civicsortition.algorithms.maximin.maximin`); a stopped run returns the best
        lottery found so far -- the current stage's, or the max-min lottery over the panels
        found -- with ``converged=False`` and the best bound proven on the first stage.

    Returns
    -------
    Distribution
        ``details.extra`` is a :class:`LeximinExtra`: its ``stages`` list each stage's value,
        certified bound and the number of people fixed; ``details.bound`` certifies the first
        stage (the maximin value); ``phases`` gives the seconds spent in coverage, relaxation,
        peeling, decomposition, staged column generation and the certificate.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> sorted({round(float(p), 6) for p in leximin(pool, quotas).marginals})
    [0.25, 0.5]
    """
    # Coverage is deferred (see civicsortition.algorithms.fast_path).
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations, coverage=False,
                time_limit=time_limit)
    prog = run.program
    if method not in METHODS:  # checked after setup: bad input is reported first
        raise InputError.single("bad-method", "method must be 'auto' or 'staged'",
                                value=repr(method))
    lottery = leximin_lottery(run, fast=method == "auto")
    fp, path, stages = lottery.fast, lottery.path, lottery.stages
    profiles, weights = final_lottery(run, lottery.x, f"leximin ({path})")
    active = run.active()
    pi = weights @ profiles / prog.sizes
    dist_min = float(pi[active].min()) if active.any() else 0.0
    # Certificate, re-derived from duals by an exact pricing solve (valid for any prices):
    # the first relaxed stage's prices and, when staged, the first stage's certified bound.
    bound, prices = relaxed_certificate(run, fp.relaxed)
    if path == "staged" and stages and float(stages[0]["bound"]) < bound:
        bound, prices = float(stages[0]["bound"]), lottery.first_stage_prices
    converged = lottery.converged
    if run.stop_reason is not None and not converged:
        bound, prices = stopped_bound(run, bound, prices)
    if not np.isfinite(bound):
        bound, prices = dist_min, None
    extra = LeximinExtra(
        requested=method, path=path, stages=stages, decomposition_gap=fp.deficit,
        peeling=fp.peeling_record(),
        explanation=[] if fp.relaxed is None else fp.relaxed.explanation,
        recoveries=fp.recoveries, phases=run.phase_seconds())
    message = (f"leximin by {path} in {len(stages)} stages; minimum {dist_min:.6f} "
               f"(certified bound {bound:.6f})" if converged else
               f"{stopped_message(run, 'leximin')}; minimum {dist_min:.6f} (certified bound "
               f"{bound:.6f})" if run.stop_reason is not None else
               "stopped at max_iterations: the lottery is valid but not proven leximin")
    record = details(run, "leximin", objective=dist_min, bound=bound, converged=converged,
                     stages=len(stages), message=message, extra=extra,
                     options=options_record(households=households, tol=tol,
                                            max_iterations=max_iterations,
                                            time_limit=time_limit),
                     certificate_prices=prices)
    return Distribution(prog, profiles, weights, record, run.uncovered_people())
