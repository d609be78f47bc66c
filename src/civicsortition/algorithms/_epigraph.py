r"""The epigraph core of MINIMAX and GOLDILOCKS (shared; each has its own module).

Both are linear programs over lotteries once the maximum and minimum probabilities get
variables of their own (epigraph form), solved by column generation over types on the run of
:mod:`~civicsortition.algorithms._core`. Write :math:`a_{S,t} = c_{S,t} / n_t` for the
probability that panel :math:`S` gives each member of type :math:`t`, :math:`x` for the
lottery over the panels generated so far, :math:`N` for the people on some feasible panel
(the *covered* ones; the others have probability 0 under every lottery and are left out) and
:math:`k` for the panel size.

**MINIMAX** (Flanigan, Liang, Procaccia and Wang, "Manipulation-robust selection of citizens'
assemblies", AAAI 2024, the limit :math:`p \to \infty` of their :math:`\ell_p` objectives):

.. math::

    \min_{x, U} \; U \quad\text{s.t.}\quad \sum_S a_{S,t} x_S \le U,\quad
    \sum_S a_{S,t} x_S \ge f \;(\text{optional floor}),\quad \sum_S x_S = 1,\; x \ge 0.

Alone it may give people probability 0; ``floor="maximin"`` asks for the least maximum among
the lotteries whose minimum is the MAXIMIN value (computed first).

**GOLDILOCKS** (Baharav and Flanigan, "Fair, manipulation-robust, and transparent
sortition", arXiv:2406.15009, 2024):

.. math::

    \min_x \; \frac{N}{k} \max_t \pi_t + \gamma \frac{k}{N} \frac{1}{\min_t \pi_t},

convex in :math:`x`. With variables :math:`U \ge \pi_t \ge L` and :math:`s \ge 1/L`, the
constraint :math:`s \ge 1/L` is replaced by its tangents
:math:`s \ge 2/L_j - L/L_j^2` at the levels :math:`L_j` met so far (outer approximation, one
new tangent per round), which keeps the master a linear program whose optimum bounds the true
one from below.

**Certificates.** For any multipliers :math:`y, \lambda, \rho \ge 0` of the rows
:math:`\pi_t \le U`, :math:`\pi_t \ge L` (or :math:`\ge f`) and the tangents, with
:math:`\sum_t y_t \le N/k` and :math:`\sum_j \rho_j \le \gamma k / N` (for MINIMAX:
:math:`\sum_t y_t \le 1`, no :math:`s`), Lagrangian duality over *all* feasible panels gives

.. math::

    \mathrm{OPT} \ge \sum_j \frac{2 \rho_j}{L_j} + \min_{L \in [\varepsilon, 1]} c_L L +
    \min_S \sum_t (y_t - \lambda_t)\, a_{S,t},\qquad
    c_L = \sum_t \lambda_t - \sum_j \frac{\rho_j}{L_j^2}

(for MINIMAX: :math:`f \sum_t \lambda_t + \min_S \sum_t (y_t - \lambda_t) a_{S,t}`). The last
term is one exact pricing problem (weights :math:`(y_t - \lambda_t)/n_t`, minimised); the
multipliers are the master's duals, clipped and scaled into the region above, so the bound is
valid whatever the solver returns. The run stops when the true objective of the current
lottery minus this bound is at most ``tol``; ``details.objective`` and ``details.bound`` are
the *negated* objective and lower bound (every algorithm's record maximises), so
``details.gap`` is the certified distance from the optimum.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from .._typing import FloatArray
from ..backends.recovery import solve_lp
from ..distribution import Distribution, Extra
from ..errors import InputError
from ._core import (
    Run,
    details,
    final_lottery,
    stopped_message,
)

__all__ = ["DEFAULT_GOLDILOCKS_TOL", "EPSILON", "EpigraphExtra", "check_tol", "finish",
           "goldilocks_objective", "minimised_message", "solve"]

#: Default certified gap of GOLDILOCKS, in objective units (the objective is about 1 + γ).
DEFAULT_GOLDILOCKS_TOL = 1e-5

#: The smallest minimum probability GOLDILOCKS' master considers (its objective is at least
#: ``γ k / (N ε)`` below it, far above any lottery's; checked against the result).
EPSILON = 1e-9


@attrs.frozen(eq=False)
class EpigraphExtra(Extra):
    """The record of a MINIMAX or GOLDILOCKS run in ``details.extra``.

    Attributes
    ----------
    value : float
        The objective (minimised) of the lottery: its largest probability for MINIMAX,
        ``(N/k) max π + γ (k/N) / min π`` for GOLDILOCKS.
    lower_bound : float
        The certified lower bound on the optimum (``value - lower_bound <= tol`` when
        converged).
    maximum, minimum : float
        The largest and smallest probability of a covered person.
    floor : float or None
        MINIMAX: the floor every covered person's probability was held at.
    gamma : float or None
        GOLDILOCKS: the weight of the minimum term.
    tangents : int
        GOLDILOCKS: tangents of ``1/L`` in the final master.
    """

    value: float
    lower_bound: float
    maximum: float
    minimum: float
    floor: float | None = attrs.field(default=None, metadata={"omit_none": True})
    gamma: float | None = attrs.field(default=None, metadata={"omit_none": True})
    tangents: int = 0


def goldilocks_objective(pi: FloatArray, panel_size: int, gamma: float) -> float:
    """``(N/k) max π + γ (k/N) / min π`` over the probabilities ``pi`` of the covered people.

    Parameters
    ----------
    pi : ndarray
        One probability per covered person (``N = len(pi)``).
    panel_size : int
        ``k``.
    gamma : float
        Weight of the minimum term.
    """
    pi = np.asarray(pi, dtype=float)
    n = len(pi)
    low = float(pi.min()) if n else 0.0
    if low <= 0:
        return math.inf
    return n / panel_size * float(pi.max()) + gamma * panel_size / n / low


@attrs.frozen
class _Outcome:
    weights: FloatArray
    value: float
    bound: float
    converged: bool
    tangents: int


def _master(run: Run, types: np.ndarray, *, gamma: float | None, floor: float | None,
            cuts: list[float], low: float = EPSILON
            ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, float]:
    """Solve the restricted master; return (x, y, λ, ρ, L) -- the weights and multipliers."""
    prog = run.program
    A = (np.array(run.columns, dtype=float)[:, types] / prog.sizes[types]).T  # R × m
    R, m = A.shape
    N = float(prog.sizes[types].sum())
    k = prog.panel_size
    if gamma is None:  # MINIMAX: variables x, U
        c = np.concatenate([np.zeros(m), [1.0]])
        rows = [np.hstack([A, -np.ones((R, 1))])]
        rhs = [np.zeros(R)]
        if floor is not None:
            rows.append(np.hstack([-A, np.zeros((R, 1))]))
            rhs.append(np.full(R, -floor))
        lo = np.zeros(m + 1)
        hi = np.full(m + 1, np.inf)
    else:  # GOLDILOCKS: variables x, U, L, s
        c = np.concatenate([np.zeros(m), [N / k, 0.0, gamma * k / N]])
        rows = [np.hstack([A, -np.ones((R, 1)), np.zeros((R, 2))]),
                np.hstack([-A, np.zeros((R, 1)), np.ones((R, 1)), np.zeros((R, 1))])]
        rhs = [np.zeros(R), np.zeros(R)]
        for level in cuts:
            rows.append(np.concatenate([np.zeros(m + 1), [-1.0 / level**2, -1.0]])[None])
            rhs.append(np.array([-2.0 / level]))
        lo = np.concatenate([np.zeros(m + 1), [low, 0.0]])
        hi = np.concatenate([np.full(m + 1, np.inf), [1.0, np.inf]])
    eq = np.concatenate([np.ones(m), np.zeros(len(c) - m)])[None]
    res, _ = solve_lp(run.backend, c, np.vstack(rows), np.concatenate(rhs), eq, np.ones(1), lo, hi,
                   stage="minimax master" if gamma is None else "goldilocks master")
    assert res.x is not None
    duals = np.zeros(len(np.concatenate(rhs))) if res.duals_ub is None else -res.duals_ub
    duals = np.maximum(duals, 0.0)
    y = duals[:R]
    lam = duals[R:2 * R] if (gamma is not None or floor is not None) else np.zeros(R)
    rho = duals[2 * R:] if gamma is not None else np.zeros(0)
    x = np.maximum(res.x[:m], 0.0)
    level = float(res.x[m + 1]) if gamma is not None else 0.0
    return x / x.sum(), y, lam, rho, level


def _lower_bound(run: Run, types: np.ndarray, y: FloatArray, lam: FloatArray, rho: FloatArray,
                 *, gamma: float | None, floor: float | None, cuts: list[float],
                 low: float = EPSILON) -> tuple[float, np.ndarray]:
    """The Lagrangian bound of the module docstring and the panel attaining its minimum."""
    prog = run.program
    N = float(prog.sizes[types].sum())
    k = prog.panel_size
    y = y.copy()
    cap_y = 1.0 if gamma is None else N / k
    if y.sum() > cap_y:
        y *= cap_y / y.sum()
    w = np.zeros(prog.n_types)
    w[types] = (y - lam) / prog.sizes[types]
    profile, neg_min = run.price(-w)  # max_S -w·c_S = -min_S w·c_S
    bound = -neg_min
    if gamma is None:
        if floor is not None:
            bound += floor * float(lam.sum())
        return bound, profile
    rho = rho.copy()
    cap_rho = gamma * k / N
    if rho.sum() > cap_rho:
        rho *= cap_rho / rho.sum()
    levels = np.array(cuts)
    c_l = float(lam.sum() - (rho / levels**2).sum())
    bound += float((2 * rho / levels).sum()) + min(c_l * low, c_l)
    return bound, profile


def solve(run: Run, *, gamma: float | None, floor: float | None, tol: float,
          name: str) -> _Outcome:
    """Column generation on the epigraph master until the certified gap is at most ``tol``."""
    prog = run.program
    # the active types some column covers: all of them, unless a time limit cut coverage short
    types = np.flatnonzero(run.active() & (np.array(run.columns) > 0).any(axis=0))
    N = float(prog.sizes[types].sum())
    k = prog.panel_size
    cuts = [] if gamma is None else [min(1.0, k / N)]
    best: _Outcome | None = None
    # GOLDILOCKS: a lottery whose minimum is L scores at least γ(k/N)/L, so once some lottery
    # scores U the optimum has L >= low = γ(k/N)/U. The master's L is held there: the optimum
    # stays in, the bound below stays valid, and no tangent has a huge slope 1/L² (a master
    # with L near 0 is a model error for the solver). U starts at the even mixture of the
    # columns setup found (they cover every active type).
    low = EPSILON
    if gamma is not None and run.columns:
        mix = np.mean(np.array(run.columns, dtype=float), axis=0)[types] / prog.sizes[types]
        if mix.min() > 0:
            low = gamma * k / N / (N / k * float(mix.max()) + gamma * k / N / float(mix.min()))
    for rounds in range(1, run.max_iterations + 1):
        run.rounds = rounds
        x, y, lam, rho, level = _master(run, types, gamma=gamma, floor=floor, cuts=cuts,
                                        low=low)
        cols = np.array(run.columns, dtype=float)
        pi = (x @ cols)[types] / prog.sizes[types]
        value = (float(pi.max()) if gamma is None else
                 N / k * float(pi.max()) + gamma * k / N / max(float(pi.min()), EPSILON))
        bound, profile = _lower_bound(run, types, y, lam, rho, gamma=gamma, floor=floor,
                                      cuts=cuts, low=low)
        lower = max(bound, best.bound if best is not None else -math.inf)
        if best is None or value < best.value:
            best = _Outcome(x, value, lower, False, len(cuts))
        else:
            best = attrs.evolve(best, bound=lower)
        if gamma is not None and math.isfinite(best.value):
            low = max(low, gamma * k / N / best.value)
        run.report(name, -best.value, -best.bound)
        if best.value - best.bound <= tol:
            return attrs.evolve(best, converged=True)
        added = run.add(profile)
        cut = gamma is not None and level > 0 and all(abs(level - c) > 1e-12 for c in cuts)
        if cut:
            cuts.append(level)
        if not (added or cut) or run.should_stop():
            break
    assert best is not None
    return best


def check_tol(tol: float) -> None:
    """Reject a ``tol`` outside ``(0, 0.01)`` (``bad-tolerance``)."""
    if not (isinstance(tol, float | int) and 0 < tol < 0.01):
        raise InputError.single("bad-tolerance", "tol must be a number in (0, 0.01)",
                                value=repr(tol))


def minimised_message(run: Run, converged: bool, what: str, value: float, bound: float
                      ) -> str:
    """The run message of a minimised objective: its value and certified lower bound."""
    figures = f"{what} {value:.6f}, certified lower bound {bound:.6f}"
    if converged:
        return figures
    if run.stop_reason is not None:
        return f"{stopped_message(run, 'optimal')}; {figures}"
    return f"stopped at max_iterations before proving optimality; {figures}"


def finish(run: Run, outcome: _Outcome, *, algorithm: str, options: dict[str, Any],
           floor: float | None, gamma: float | None, what: str) -> Distribution:
    """The :class:`~civicsortition.distribution.Distribution` of a finished epigraph run."""
    prog = run.program
    profiles, x = final_lottery(run, outcome.weights, algorithm)
    active = run.active()
    pi = (x @ profiles / prog.sizes)[active]
    minimum, maximum = (float(pi.min()), float(pi.max())) if len(pi) else (0.0, 0.0)
    value = (maximum if gamma is None else
             goldilocks_objective(np.repeat(pi, prog.sizes[active]), prog.panel_size, gamma))
    bound = min(outcome.bound, value)
    message = minimised_message(run, outcome.converged, what, value, bound)
    extra = EpigraphExtra(value=value, lower_bound=bound, maximum=maximum, minimum=minimum,
                          floor=floor, gamma=gamma, tangents=outcome.tangents)
    record = details(run, algorithm, objective=-value, bound=-bound,
                     converged=outcome.converged, stages=1, options=options, message=message,
                     extra=extra)
    return Distribution(prog, profiles, x, record, run.uncovered_people())


