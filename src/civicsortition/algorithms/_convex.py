r"""Frank–Wolfe column generation for a separable convex objective of the probabilities.

The shared core of the smooth objectives (:mod:`.lp`; NASH keeps its own solver with
multiplicative updates and a barrier polish, :mod:`.nash`). Over the covered types,

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
smooth convex program over the simplex: SLSQP with the analytic gradient, warm-started),
prices, and adds the priced panel; it stops when the gap is at most ``tol``. The certificate
is ``F(x) - gap``, a lower bound on the optimum.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from .._typing import FloatArray
from ._core import Run

__all__ = ["ConvexOutcome", "frank_wolfe"]


@attrs.frozen
class ConvexOutcome:
    """Weights over ``run.columns``, the objective, its certified lower bound, convergence."""

    weights: FloatArray
    value: float
    bound: float
    converged: bool


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
                measure: Callable[[float], float] = float) -> ConvexOutcome:
    """Minimise ``Σ_t n_t φ(π_t)`` over lotteries by Frank–Wolfe column generation.

    Parameters
    ----------
    run : Run
        From :func:`~civicsortition.algorithms._core.setup` (its columns cover every coverable
        type).
    phi, dphi : callable
        ``φ`` and ``φ'``, vectorised over an array of probabilities.
    tol : float
        Stop when ``measure(F) - measure(bound)`` is at most this.
    name : str
        The stage name reported to the progress callback.
    measure : callable
        An increasing map of ``F`` to the units the caller states (``F ** (1/p)`` for the
        ℓp norm); values and bounds are reported in those units.
    """
    prog = run.program
    # the active types some column covers: all of them, unless a time limit cut coverage short
    types = np.flatnonzero(run.active() & (np.array(run.columns) > 0).any(axis=0))
    sizes = prog.sizes[types].astype(float)

    def total(counts: FloatArray) -> float:
        return float((sizes * phi(counts / sizes)).sum())

    def slope(counts: FloatArray) -> FloatArray:  # ∂F/∂counts_t = φ'(π_t)
        out: FloatArray = dphi(counts / sizes)
        return out

    x = np.full(len(run.columns), 1.0 / len(run.columns))
    best = ConvexOutcome(x, np.inf, -np.inf, False)
    for rounds in range(1, run.max_iterations + 1):
        run.rounds = rounds
        C = np.array(run.columns, dtype=float)[:, types].T
        x = _restricted(total, slope, C, np.concatenate([x, np.zeros(C.shape[1] - len(x))]))
        counts = C @ x
        value = total(counts)
        g = slope(counts)
        w = np.zeros(prog.n_types)
        scale = float(np.abs(g).max(initial=0.0)) or 1.0
        w[types] = -g / scale  # O(1) weights: the MIP's absolute tolerances stay meaningful
        profile, best_neg = run.price(w)           # max_S −g·c_S = −min_S g·c_S (scaled)
        gap = float(g @ counts + best_neg * scale)
        bound = max(value - max(gap, 0.0), best.bound)
        best = ConvexOutcome(x, value, bound, False)
        run.report(name, -measure(value), -measure(max(bound, 0.0)))
        if measure(value) - measure(max(bound, 0.0)) <= tol:
            return attrs.evolve(best, converged=True)
        if run.should_stop():
            break
        if not run.add(profile):
            # The priced panel is a column already: the restricted solve stopped short. One
            # Frank–Wolfe step towards it (exact line search) still decreases F by the gap.
            j = run.index_of(profile)
            target = np.zeros(len(x))
            target[j] = 1.0
            step = _line_search(_segment(total, C @ x, C @ target))
            if step <= 0:
                break
            x = (1 - step) * x + step * target
    return best


def _segment(f: Callable[[FloatArray], float], a: FloatArray, b: FloatArray
             ) -> Callable[[float], float]:
    """``t -> f((1 - t) a + t b)``."""
    def along(t: float) -> float:
        return f((1 - t) * a + t * b)

    return along


def _line_search(f: Callable[[float], float], iterations: int = 60) -> float:
    """The minimiser over ``[0, 1]`` of a convex ``f`` (golden section; 0 if it does not help)."""
    lo, hi = 0.0, 1.0
    ratio = (5 ** 0.5 - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = f(b)
    t = (lo + hi) / 2
    return t if f(t) < f(0.0) else 0.0
