r"""Rounding a lottery to ``m`` equally likely tickets (Flanigan, Kehne, Procaccia, NeurIPS 2021).

A lottery puts probability :math:`x_S` on profile :math:`S` (type counts :math:`c_{S,t}`); a
*transparent* lottery gives each profile an integer number of tickets :math:`m_S \ge 0` with
:math:`\sum_S m_S = m`, so that drawing one of ``m`` numbered tickets uniformly is the whole
lottery. Rounding changes the selection probability of a member of type ``t`` by

.. math::

    \Delta_t = \frac{1}{m} \Big| \sum_S (m_S - m x_S) \frac{c_{S,t}}{n_t} \Big|.

Two methods, both over the support of the lottery only (every ticket is a profile the lottery
already uses, so no ticket can violate a quota):

``"dependent"``
    Dependent (pipage) rounding of the vector :math:`m x` (Srinivasan 2001; Gandhi et al.
    2006): repeatedly take two fractional entries and move mass between them, up or down at
    random with probabilities that keep each entry's expectation, until all are integral. The
    sum stays ``m``, every :math:`m_S` is :math:`\lfloor m x_S \rfloor` or
    :math:`\lceil m x_S \rceil`, and :math:`E[m_S] = m x_S` (marginals are kept in expectation).
    Promised bound: :math:`\Delta_t \le \frac{1}{m} \sum_{S : m x_S \notin \mathbb Z}
    c_{S,t}/n_t`.

``"ilp"``
    The integer program :math:`\min d` s.t. :math:`-d \le \sum_S m_S c_{S,t}/n_t - m \pi_t \le d`
    for every type, :math:`\sum_S m_S = m`, :math:`m_S \in \mathbb Z_{\ge 0}` (the
    optimisation-based rounding of the paper), solved through the chosen solver backend
    (default HiGHS; :mod:`civicsortition.backends`) within a branch-and-bound node limit (a
    count, so the result is the same on every machine; a time limit is optional). The
    dependent rounding is a feasible solution, so the result is never worse than it: the
    promised bound is the dependent rounding's deviation (seed 0), and ``optimal`` says
    whether the solver proved the minimum. The backend is recorded in the :class:`Rounding`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from ._i18n import tr
from ._typing import FloatArray, IntArray
from .errors import InputError, Status

if TYPE_CHECKING:
    from .backends import Backend

__all__ = ["Rounding", "round_lottery"]


METHODS = ("dependent", "ilp")


@attrs.frozen(eq=False)
class Rounding:
    """Integer ticket counts for the profiles of a lottery.

    Attributes
    ----------
    counts : ndarray of int (s,)
        Tickets per profile (summing to ``m``).
    deviation : float
        Largest type-level change of a selection probability, ``max_t Δ_t``.
    bound : float
        The bound on ``deviation`` that the method promises (see the module docstring).
    method : str
    optimal : bool
        For ``"ilp"``, whether the minimum deviation was proven; True for ``"dependent"``.
    backend, backend_version : str or None
        The solver backend of ``"ilp"`` (its id and version, as in
        :class:`~civicsortition.distribution.RunDetails`); None for ``"dependent"``.
    """

    counts: IntArray
    deviation: float
    bound: float
    method: str
    optimal: bool
    backend: str | None = None
    backend_version: str | None = None


def type_deviation(counts: IntArray, x: FloatArray, profiles: IntArray, sizes: IntArray,
                   m: int) -> float:
    """``max_t |Σ_S (m_S − m x_S) c_{S,t} / n_t| / m``."""
    diff = (counts - m * x) @ (profiles / sizes)
    return float(np.abs(diff).max(initial=0.0) / m)


def dependent_rounding(values: FloatArray, rng: np.random.Generator) -> IntArray:
    """Pipage rounding of a vector with an integer sum: floors or ceilings, expectations kept."""
    y = np.array(values, dtype=float)
    frac = [j for j in range(len(y)) if abs(y[j] - round(y[j])) > 1e-12]
    while len(frac) >= 2:
        i, j = frac[-1], frac[-2]
        fi, fj = y[i] - np.floor(y[i]), y[j] - np.floor(y[j])
        up = min(1 - fi, fj)      # raise i, lower j
        down = min(fi, 1 - fj)    # lower i, raise j
        if rng.random() < down / (up + down):
            y[i] += up
            y[j] -= up
        else:
            y[i] -= down
            y[j] += down
        frac = [k for k in frac if abs(y[k] - round(y[k])) > 1e-9]
    out: IntArray = np.rint(y).astype(np.int64)
    # Floating-point residue can leave the sum one off: settle it on the entry rounded
    # furthest in the wrong direction.
    short = round(float(np.sum(values))) - int(out.sum())
    if short:
        order = np.argsort((y - out) * -np.sign(short), kind="stable")
        out[order[:abs(short)]] += int(np.sign(short))
    return out


def round_lottery(probabilities: FloatArray, profiles: IntArray, sizes: IntArray, m: int, *,
                  method: str = "ilp", seed: int = 0, node_limit: int = 20,
                  time_limit: float | None = None,
                  backend: str | Backend | None = None) -> Rounding:
    """Round profile probabilities to ticket counts summing to ``m``.

    Parameters
    ----------
    probabilities : ndarray (s,)
        Lottery weights of the profiles (non-negative, summing to 1).
    profiles : ndarray of int (s, T)
        Type counts of each profile.
    sizes : ndarray of int (T,)
        Members per type.
    m : int
        Number of tickets (at least 1).
    method : {"ilp", "dependent"}
    seed : int
        Seed of the dependent rounding (recorded; the result is deterministic given it).
    node_limit : int
        Branch-and-bound nodes allowed to the integer program of ``"ilp"`` (deterministic).
    time_limit : float, optional
        Seconds allowed as well (makes the result depend on machine speed).
    backend : str or Backend, optional
        The solver backend of ``"ilp"`` (an id of :func:`civicsortition.backends.get_backend`
        or an instance; default ``"highs"``). Loaded only for ``"ilp"``.

    Returns
    -------
    Rounding

    Raises
    ------
    InputError
        For an unknown method, ``m < 1`` or an unknown backend id.
    """
    if method not in METHODS:
        raise InputError.single("bad-rounding-method", tr("rounding method must be one of "
                                                          "{methods}", methods=', '.join(METHODS)),
                                value=repr(method))
    if not isinstance(m, int | np.integer) or m < 1:
        raise InputError.single("bad-ticket-count", "the number of tickets must be a positive "
                                "integer", value=repr(m))
    x = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
    x = x / x.sum()
    m = int(m)
    mx = m * x
    fractional = np.abs(mx - np.rint(mx)) > 1e-12
    dep_bound = float((fractional @ (profiles / sizes)).max(initial=0.0) / m)
    dep = dependent_rounding(mx, np.random.default_rng(seed))
    dep_dev = type_deviation(dep, x, profiles, sizes, m)
    if method == "dependent":
        return Rounding(dep, dep_dev, dep_bound, "dependent", True)
    from .backends import get_backend  # the solver stack, on first use

    be = get_backend(backend)
    counts, optimal = _ilp(x, profiles, sizes, m, node_limit, time_limit, be)
    dev = np.inf if counts is None else type_deviation(counts, x, profiles, sizes, m)
    if counts is None or dev > dep_dev:
        counts, optimal, dev = dep, False, dep_dev
    return Rounding(counts, dev, dep_dev, "ilp", optimal, be.name, be.version())


def _ilp(x: FloatArray, profiles: IntArray, sizes: IntArray, m: int, node_limit: int,
         time_limit: float | None, backend: Backend) -> tuple[IntArray | None, bool]:
    """Minimise the largest type deviation over integer ticket counts (through ``backend``)."""
    s, T = profiles.shape
    a = (profiles / sizes).T                    # (T, s)
    target = m * (x @ profiles / sizes)         # m π_t
    # Variables: m_S (s, integer), d (1). Rows: a m - d <= target, -a m - d <= -target.
    ones = np.ones((T, 1))
    A = np.vstack([np.hstack([a, -ones]), np.hstack([-a, -ones]),
                   np.hstack([np.ones((1, s)), np.zeros((1, 1))])])
    lo = np.concatenate([np.full(2 * T, -np.inf), [m]])
    hi = np.concatenate([target, -target, [m]])
    c = np.zeros(s + 1)
    c[-1] = 1.0
    integer = np.concatenate([np.ones(s, dtype=bool), [False]])
    res = backend.milp(-c, A, lo, hi, np.zeros(s + 1), np.concatenate([np.full(s, m), [np.inf]]),
                       integer=integer, node_limit=int(node_limit),
                       time_limit=None if time_limit is None else float(time_limit))
    if res.x is None:  # neither optimal nor stopped by a limit with a solution in hand
        return None, False
    return np.rint(res.x[:s]).astype(np.int64), res.status is Status.OPTIMAL
