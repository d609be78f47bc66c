r"""Frank–Wolfe column generation for a separable convex objective of the probabilities.

The shared core of the smooth objectives (:mod:`.nash` with ``φ = −log``, :mod:`.lp` with
``φ = (π/r)^p``); each supplies ``φ``, ``φ'`` and its restricted master. Over the covered types,

.. math::

    \min_x F(x) = \sum_t n_t \, \varphi(\pi_t), \qquad
    \pi_t = \frac{1}{n_t} \sum_S x_S c_{S,t},

for a convex, differentiable :math:`\varphi`. Along panel :math:`S` the gradient is
:math:`\partial F / \partial x_S = \sum_t \varphi'(\pi_t) c_{S,t}`, so convexity gives, for the
lottery :math:`x` and the best panel :math:`S^*` under the weights :math:`\varphi'(\pi_t)`,

.. math::

    F(x) - F^* \le \sum_t \varphi'(\pi_t)\Big(\sum_S x_S c_{S,t} - c_{S^*,t}\Big),

the Frank–Wolfe gap, computed exactly by one pricing problem (weights :math:`-\varphi'(\pi_t)`,
maximised). Each round solves the restricted problem over the panels generated so far (a
smooth convex program over the simplex: by default SLSQP with the analytic gradient,
warm-started; NASH brings multiplicative updates and a barrier polish), prices, adds the
priced panel and steps towards it by exact line search; it stops when the gap is at most
``tol``. The certificate is ``F(x) - gap``, a lower bound on the optimum.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from .._typing import FloatArray, IntArray
from ._core import Run

__all__ = ["ConvexOutcome", "frank_wolfe"]

#: Rounds in a row without a new column and without a lower ``F`` after which the run stops
#: unconverged: the descent has reached rounding (a master accurate to 1e-8 cannot certify a
#: gap of 1e-9), and the rest of ``max_iterations`` would change nothing.
STALL_ROUNDS = 50


@attrs.frozen
class ConvexOutcome:
    """Weights over ``run.columns``, the objective, its certified lower bound, convergence."""

    weights: FloatArray
    value: float
    bound: float
    converged: bool
    certified_by: str | None = None


def _restricted(F: Callable[[FloatArray], float],
                dF: Callable[[FloatArray], FloatArray], C: FloatArray,
                x0: FloatArray) -> FloatArray:
    """``min F(C x)`` over the simplex of the current columns (C: types × columns, counts).

    ``F`` must be positive (as ``Σ_t n_t (π_t / r)^p`` is).
    """
    from scipy import optimize

    m = C.shape[1]
    if m == 1:
        return np.ones(1)

    # log F has the same minimisers (F > 0 here) and is far better scaled for SLSQP when F
    # spans many orders of magnitude (large p).
    def value(x: FloatArray) -> float:
        return float(np.log(F(C @ x)))

    def grad(x: FloatArray) -> FloatArray:
        counts = C @ x
        out: FloatArray = C.T @ dF(counts) / F(counts)
        return out

    res = optimize.minimize(value, x0, jac=grad, method="SLSQP", bounds=[(0.0, 1.0)] * m,
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0,
                                          "jac": lambda x: np.ones_like(x)}],
                            options={"ftol": 1e-15, "maxiter": 1000})
    x = np.maximum(np.asarray(res.x, dtype=float), 0.0)
    total = x.sum()
    x = x / total if total > 0 else x0
    return x if value(x) <= value(x0) else x0  # never worse than the warm start


def frank_wolfe(run: Run, phi: Callable[[FloatArray], FloatArray],
                dphi: Callable[[FloatArray], FloatArray], *, tol: float, name: str,
                measure: Callable[[float], float] = float,
                improve: Callable[[FloatArray, float], FloatArray] | None = None,
                x0: FloatArray | None = None, bound: float = -np.inf,
                types: IntArray | None = None, normalise: bool = True,
                heuristic_starts: int = 0, step_always: bool = False) -> ConvexOutcome:
    """Minimise ``Σ_t n_t φ(π_t)`` over lotteries by Frank–Wolfe column generation.

    Each round: improve the weights over the current columns (the restricted master), stop
    if a known lower bound already certifies them, price (the Frank–Wolfe gap and a new lower
    bound), add the priced panel -- and, optionally, improving panels found by local search
    from the best columns under the same weights -- and take an exact line-search step
    towards the priced panel.

    Parameters
    ----------
    run : Run
        From :func:`~civicsortition.algorithms._core.setup`.
    phi, dphi : callable
        ``φ`` and ``φ'``, vectorised over an array of probabilities.
    tol : float
        Stop when ``measure(F) - measure(bound)`` is at most this.
    name : str
        The stage name reported to the progress callback.
    measure : callable
        An increasing map of ``F`` to the units the caller states (``F ** (1/p)`` for the
        ℓp norm); values and bounds are reported in those units, negated (the progress
        callback sees a maximisation).
    improve : callable, optional
        The restricted master: ``improve(x, bound)`` returns weights over ``run.columns`` (as
        many as there are columns) at least as good as ``x``, given the best lower bound on
        ``F`` so far. Default: SLSQP over the simplex of the columns (:func:`_restricted`).
    x0 : array, optional
        Starting weights over the columns (default uniform).
    bound : float
        A lower bound on the optimum of ``F`` known beforehand (a relaxation's dual bound).
    types : array of int, optional
        The types in the objective (default: the active types some column covers). A type
        no column covers yet has ``π_t = 0``; ``φ(0)`` must then be finite.
    normalise : bool
        Scale the pricing weights to a largest weight of 1, so that the MIP's absolute
        tolerances stay meaningful when the gradient is tiny (ℓp with large ``p``).
    heuristic_starts : int
        After each pricing MIP, local search from this many of the best columns adds every
        distinct panel that would also decrease ``F`` (0: none).
    step_always : bool
        Step towards the priced panel by line search in every round (NASH, whose multiplicative
        master cannot move a weight away from 0); by default only when the priced panel is a
        column already (the restricted master stopped short), since SLSQP re-optimises the
        new column's weight anyway and converges more slowly from the moved point (measured:
        ℓ2 on an extreme-k pool, 13 s -> 104 s with a step every round).

    Returns
    -------
    ConvexOutcome
        ``certified_by`` is ``"bound"`` if the bound given beforehand certified the result,
        ``"gap"`` if a Frank–Wolfe gap did, ``None`` if the run stopped first.
    """
    prog = run.program
    if types is None:
        # the active types some column covers: all of them, unless a time limit cut coverage
        # short
        types = np.flatnonzero(run.active() & (np.array(run.columns) > 0).any(axis=0))
    sizes = prog.sizes[types].astype(float)

    def total(counts: FloatArray) -> float:
        return float((sizes * phi(counts / sizes)).sum())

    def slope(counts: FloatArray) -> FloatArray:  # ∂F/∂counts_t = φ'(π_t)
        out: FloatArray = dphi(counts / sizes)
        return out

    def matrix() -> FloatArray:  # types × columns, counts
        out: FloatArray = np.array(run.columns, dtype=float)[:, types].T
        return out

    if improve is None:
        def improve(x: FloatArray, bound: float) -> FloatArray:
            return _restricted(total, slope, matrix(), x)

    x = (np.full(len(run.columns), 1.0 / len(run.columns)) if x0 is None
         else np.asarray(x0, dtype=float))
    certified_by: str | None = None
    rounds = 0
    stalled = 0          # rounds in a row that added no column and did not lower F
    previous = np.inf
    while True:
        rounds += 1
        run.rounds = rounds
        x = np.concatenate([x, np.zeros(len(run.columns) - len(x))])
        if run.should_stop():  # before the master: coverage may be unsettled
            break
        x = improve(x, bound)
        C = matrix()
        counts = C @ x
        value = total(counts)
        if measure(value) - measure(bound) <= tol:  # the known bound certifies x
            certified_by = "bound"
            break
        if run.should_stop():
            break
        g = slope(counts)
        w = np.zeros(prog.n_types)
        scale = (float(np.abs(g).max(initial=0.0)) or 1.0) if normalise else 1.0
        w[types] = -g / scale
        profile, best_neg = run.price(w)           # max_S −g·c_S = −min_S g·c_S (scaled)
        here = float(g @ counts)
        gap = here + best_neg * scale
        bound = max(value - max(gap, 0.0), bound)
        run.report(name, -measure(value), -measure(bound))
        if measure(value) - measure(bound) <= tol:
            certified_by = "gap"
            break
        if run.iterations >= run.max_iterations:
            break
        added = run.add(profile)
        stalled = 0 if added or value < previous else stalled + 1
        previous = min(previous, value)
        if stalled >= STALL_ROUNDS:
            break  # rounding stops the descent short of the tolerance: stop honestly
        if heuristic_starts:
            with run.phase("heuristic pricing"):
                run.heuristic(w, (tol - here) / scale, starts=heuristic_starts)
        if added and not step_always:
            continue  # the restricted master will weigh the new panel
        # An exact line-search step towards the priced panel: F decreases whenever the gap is
        # positive, even when the restricted master stopped short of its optimum.
        C = matrix()
        x = np.concatenate([x, np.zeros(C.shape[1] - len(x))])
        j = run.index_of(profile)
        target = np.zeros(len(x))
        target[j] = 1.0
        step = _line_search(slope, C @ x, C @ target)
        if step > 0:
            x = (1 - step) * x + step * target
        elif not added:
            break  # no progress possible numerically: stop honestly
    x = np.concatenate([x, np.zeros(len(run.columns) - len(x))])
    value = total(matrix() @ x)
    return ConvexOutcome(x, value, min(bound, value), certified_by is not None, certified_by)


def _line_search(slope: Callable[[FloatArray], FloatArray], a: FloatArray, b: FloatArray,
                 iterations: int = 60) -> float:
    """The minimiser over ``[0, 1]`` of the convex ``t -> F((1 - t) a + t b)`` (0 if none).

    Bisects the sign of the derivative ``φ'((1 - t) a + t b) · (b - a)``: near the optimum
    ``F`` itself changes by less than its rounding error, its slope does not.
    """
    d = b - a

    def along(t: float) -> float:
        return float(slope(a + t * d) @ d)

    if along(0.0) >= 0:
        return 0.0
    if along(1.0 - 1e-12) <= 0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if along(mid) < 0:
            lo = mid
        else:
            hi = mid
    return lo
