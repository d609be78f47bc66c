r"""ℓp: minimise the ℓp norm of the selection probabilities (Flanigan, Liang, Procaccia, Wang 2024).

.. math::

    \min_x \|\pi(x)\|_p = \Big(\sum_{i \text{ covered}} \pi_i^p\Big)^{1/p}, \qquad 1 < p < \infty.

Since every lottery's probabilities add up to ``k``, a smaller norm means probabilities closer
to equal; ``p = 2`` is the squared-deviation rule, ``p → ∞`` is MINIMAX (:mod:`.minimax`).
"Manipulation-robust selection of citizens' assemblies" (AAAI 2024) shows these rules far less
manipulable by coalitions than LEXIMIN or NASH. The objective is strictly convex in the
probabilities, so the optimal probabilities are unique. Solved by the Frank–Wolfe column
generation of :mod:`._convex` on ``Σ_t n_t π_t^p``; the certified gap is in norm units.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._typing import FloatArray
from ..distribution import Distribution
from ..errors import InputError
from ..pool import Pool
from ..quotas import Quotas
from ._convex import frank_wolfe
from ._core import Progress, Run, details, final_lottery, options_record, setup
from ._epigraph import EpigraphExtra, check_tol, minimised_message
from .decompose import peel

__all__ = ["DEFAULT_LP_TOL", "lp"]

#: Default certified gap of the ℓp norm.
DEFAULT_LP_TOL = 1e-6


#: Frank–Wolfe steps over the LP relaxation for the starting point (each one LP, milliseconds):
#: a start for the column generation, not a certificate, so a rough optimum does.
RELAXED_STEPS = 150
#: ... or until the relaxed Frank–Wolfe gap is this fraction of ``|∇F|·c``.
RELAXED_GAP = 1e-5


def _relaxed_counts(run: Run, dphi: Callable[[FloatArray], FloatArray],
                    steps: int = RELAXED_STEPS) -> FloatArray | None:
    r"""An approximate minimiser of ``Σ_t n_t φ(c_t/n_t)`` over the relaxed polytope.

    Frank–Wolfe over :math:`P_{rel} = \{c : \ell \le A c \le u, 0 \le c \le n\}` (the
    program's rows over expected seats per type), one LP per step and an exact line search;
    every iterate is a convex combination of the LP's vertices, hence in :math:`P_{rel}`.
    None if an LP fails.
    """
    from scipy import optimize

    prog = run.program
    A = prog.A.astype(float)
    n = prog.sizes.astype(float)
    lo, hi = prog.row_lo.astype(float), prog.row_hi.astype(float)
    eq = lo == hi
    A_ub = np.vstack([A[~eq], -A[~eq]])
    b_ub = np.concatenate([hi[~eq], -lo[~eq]])
    bounds = list(zip(np.zeros(len(n)), n, strict=True))

    def vertex(g: FloatArray) -> FloatArray | None:
        res = optimize.linprog(g, A_ub=A_ub if len(A_ub) else None,
                               b_ub=b_ub if len(A_ub) else None,
                               A_eq=A[eq] if eq.any() else None,
                               b_eq=lo[eq] if eq.any() else None, bounds=bounds,
                               method="highs")
        return np.asarray(res.x, dtype=float) if res.status == 0 else None

    c = vertex(np.zeros(len(n)))
    if c is None:
        return None
    for _ in range(steps):
        if run.should_stop():
            break
        g = dphi(c / n)
        v = vertex(g / max(float(np.abs(g).max()), 1e-300))
        if v is None:
            return None
        d = v - c
        # Frank–Wolfe gap -g·d (an upper bound on F(c) - min F) within 1e-5 of F: a start, not
        # a certificate, needs no more (tiny pools stop after a step or two).
        if -float(g @ d) <= RELAXED_GAP * max(float(np.abs(g) @ np.abs(c)), 1e-300):
            break
        lo_t, hi_t = 0.0, 1.0  # bisect the slope of t -> F(c + t d)
        if float(dphi((c + d) / n) @ d) <= 0:
            lo_t = 1.0
        else:
            for _ in range(50):
                mid = (lo_t + hi_t) / 2
                if float(dphi((c + mid * d) / n) @ d) < 0:
                    lo_t = mid
                else:
                    hi_t = mid
        c = c + lo_t * d
    return c


def _relaxed_start(run: Run, dphi: Callable[[FloatArray], FloatArray]) -> FloatArray | None:
    """Starting weights over ``run.columns``: the relaxed optimum peeled into panels.

    The peeled profiles become columns, then coverage runs for the types they missed; the
    weights are the peeled ones (renormalised) plus a small floor on every column. None (a
    uniform start) if the relaxation or the peeling fails.
    """
    prog = run.program
    with run.phase("relaxation"):
        target = _relaxed_counts(run, dphi)
    start = None
    if target is not None and not run.should_stop():
        with run.phase("peeling"):
            peeled = peel(prog, target, run.pricing, stop_mass=1e-9,
                          should_stop=run.should_stop)
        for profile in peeled.profiles:
            run.add(profile)
        if len(peeled.profiles):
            position = {c.tobytes(): i for i, c in enumerate(run.columns)}
            start = {position[pr.astype(np.int64).tobytes()]: float(w)
                     for pr, w in zip(peeled.profiles, peeled.weights, strict=True)}
    run.cover(np.ones(prog.n_types, dtype=bool))
    if start is None:
        return None
    x = np.full(len(run.columns), 1e-9)
    for j, w in start.items():
        x[j] += w
    out: FloatArray = x / x.sum()
    return out


def lp(pool: Pool, quotas: Quotas, *, p: float = 2.0, households: bool = True,
       backend: str | None = None, tol: float = DEFAULT_LP_TOL, max_iterations: int = 10_000,
       progress: Progress | None = None, time_limit: float | None = None) -> Distribution:
    """Lottery minimising the ℓp norm of the covered people's selection probabilities.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    p : float
        The norm, ``1 < p < ∞`` (2 by default). For ``p = ∞`` use :func:`minimax`.
    households, backend, max_iterations, progress, time_limit
        As :func:`~civicsortition.algorithms.maximin`.
    tol : float
        Certified gap in norm units.

    Returns
    -------
    Distribution
        ``details.objective`` is minus the norm, ``details.bound`` minus its certified lower
        bound; ``details.extra`` is an :class:`~civicsortition.algorithms.EpigraphExtra`
        (``value`` the norm, ``lower_bound``, ``maximum``, ``minimum``).

    Raises
    ------
    InputError
        ``bad-p`` for a ``p`` that is not a number in ``(1, ∞)``.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> d = lp(pool, quotas, p=2)
    >>> [round(float(v), 4) for v in d.marginals]
    [0.25, 0.25, 0.25, 0.25, 0.5, 0.5]
    """
    check_tol(tol)
    if isinstance(p, bool) or not isinstance(p, float | int) or not (
            math.isfinite(p) and p > 1):
        raise InputError.single("bad-p", "p must be a number in (1, ∞); use the minimax "
                                "algorithm for p = ∞", value=repr(p))
    power = float(p)
    # Coverage is deferred, as in NASH: the peeled relaxed optimum covers most types.
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations, time_limit=time_limit,
                coverage=False)
    options: dict[str, Any] = options_record(households=households, tol=tol, p=power,
                                             max_iterations=max_iterations,
                                             time_limit=time_limit)

    # Σ n_t (π_t / r)^p with r = k/N (the uniform probability) keeps the program well scaled
    # for large p; the norm is r · F^(1/p).
    active = run.active()
    ref = run.program.panel_size / max(float(run.program.sizes[active].sum()), 1.0)

    def phi(pi: FloatArray) -> FloatArray:
        out: FloatArray = np.power(pi / ref, power)
        return out

    def dphi(pi: FloatArray) -> FloatArray:
        out: FloatArray = power / ref * np.power(pi / ref, power - 1.0)
        return out

    def norm(F: float) -> float:
        return float(ref * max(F, 0.0) ** (1.0 / power))

    x0 = _relaxed_start(run, dphi)
    outcome = frank_wolfe(run, phi, dphi, tol=tol, name=f"l{power:g}", measure=norm, x0=x0)
    prog = run.program
    profiles, x = final_lottery(run, outcome.weights, "lp")
    pi = (x @ profiles / prog.sizes)[active]
    value = float(np.power((prog.sizes[active] * np.power(pi, power)).sum(), 1.0 / power))
    bound = min(norm(outcome.bound), value)
    what = f"l{power:g} norm"
    message = minimised_message(run, outcome.converged, what, value, bound)
    extra = EpigraphExtra(value=value, lower_bound=bound,
                          maximum=float(pi.max()) if len(pi) else 0.0,
                          minimum=float(pi.min()) if len(pi) else 0.0)
    record = details(run, "lp", objective=-value, bound=-bound, converged=outcome.converged,
                     stages=1, options=options, message=message, extra=extra)
    return Distribution(prog, profiles, x, record, run.uncovered_people())
