r"""Carathéodory peeling: write a target point as a lottery over feasible profiles, directly.

Column generation for the decomposition LP of the LEXIMIN fast path (find a lottery whose
expected profile is a given target :math:`\mu`) tails off on large pools: the restricted
master is highly degenerate and every simplex warm start pivots hundreds of times. Peeling
instead builds the lottery one panel at a time, with no master LP.

Let :math:`\mu \in \mathbb R^T` be the current target (expected counts per type) and
:math:`F(\mu)` the smallest face of the relaxed polytope :math:`P_{rel}` containing it: every
type bound and quota row that :math:`\mu` meets with equality is imposed as an equality.
Any lottery over feasible profiles with mean :math:`\mu` uses only profiles in :math:`F(\mu)`,
so one integer program finds a profile :math:`c \in F(\mu) \cap \mathbb Z^T` (if there is
none, :math:`\mu` is not a lottery's mean and peeling stops). Moving away from :math:`c`,

.. math::

    \mu' = \mu + \lambda^* (\mu - c), \qquad
    \lambda^* = \max\{\lambda : \mu + \lambda (\mu - c) \in P_{rel}\},

gives :math:`\mu = \theta c + (1 - \theta) \mu'` with :math:`\theta = \lambda^*/(1+\lambda^*)`,
and :math:`\mu'` lies on a smaller face (the constraint that stopped the ray is now tight).
Repeating on :math:`\mu'` peels off mass :math:`\theta` of what remains each time; with exact
arithmetic and an integral face at every step it ends after at most ``dim + 1`` profiles.

**Finding a profile in the face.** The face problem is an integer program over all ``T``
types, and on large pools it is most of the time (10,000 people, 7,992 types, 34 rows, 28 of
them equalities on the face: 0.3 s per LP dive, 1-34 s per MIP, about 550 faces). So each
face is first tried cheaply: the LP relaxation over a *neighbourhood* (the
``NEIGHBOURHOOD`` types with the largest weight, the ``ROW_NEIGHBOURS`` best of every row's
types, and every type the face forces in), rounded (floor, then the largest fractional parts
up to ``k`` seats) and *repaired* by swaps (one seat out, one in) that reduce the total row
violation :math:`V(c) = \sum_r \operatorname{dist}(A_r c, [\ell_r, u_r])`, best weight gain
among the best reductions, with sideways moves (``ΔV = 0``) and a short tabu list against
cycling. Only if that fails (none of 558 faces on that pool) does the LP over every free
type, then the dive and the MIP of :meth:`~._pricing.Pricing.face_point` run. The whole peeling of
that pool fell from over 460 s (unfinished) to about 21 s.

Nothing here is trusted: :math:`\mu'` need not be a lottery's mean (the relaxation is not
integral in general), and floating point drifts. The profiles found are handed to the master
LP, which computes the actual lottery and its certificate; column generation continues from
there if the peeled mass falls short. Measured on a 1,727-person, 719-type pool: 138 integer
programs (45 s) cover all but 2.5e-6 of the mass, against over 5 minutes of column generation
that stalled at a deficit of 3e-4.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, IntArray
from ..errors import Status
from ..numerics import FACE_TOL, INTEGRALITY_TOL
from ..program import PanelProgram
from ._pricing import Pricing

__all__ = ["Peeling", "peel"]

#: Relative MIP gap of the face problems: any profile in the face is correct, so the first
#: one found is taken (the objective only steers the search). Measured on the sf_a shape
#: (228 types): 1e-2 and 1.0 peel the same number of profiles; 1.0 is faster.
FACE_GAP = 1.0


#: Neighbourhood of the cheap face LP: this many types of largest weight, plus the
#: ``ROW_NEIGHBOURS`` (or twice the row's lower bound, if more) of largest weight among each
#: row's types (so that rows with lower bounds can be met). Measured on a 7,992-type pool:
#: the neighbourhood LP plus repair found 558 of 558 face points, about 30 ms each with the
#: model build, against 80 ms for the full warm-started LP; 800 types found fewer.
NEIGHBOURHOOD = 1500
ROW_NEIGHBOURS = 40
#: Swap moves the repair may make (a count, so runs are deterministic), and how many recently
#: moved types it may not move again (against cycling on sideways moves).
REPAIR_MOVES = 60
REPAIR_TABU = 10


@attrs.frozen(eq=False)
class Peeling:
    """Outcome of :func:`peel`.

    Attributes
    ----------
    profiles : ndarray (m, T)
        The profiles peeled off, in order.
    weights : ndarray (m,)
        Their lottery weights; ``weights @ profiles`` approximates the target minus the
        unpeeled remainder.
    remaining : float
        Mass not yet peeled (``1 - weights.sum()``).
    stop : str
        Why peeling ended: ``"done"``, ``"no-profile-in-face"``, ``"no-progress"`` or
        ``"max-steps"`` or ``"stopped"``.
    found_by : dict
        How many face points each method found: ``"repair"`` (neighbourhood or full LP,
        rounded and repaired), ``"solver"`` (the pricing model's dive or MIP).
    """

    profiles: IntArray
    weights: FloatArray
    remaining: float
    stop: str
    found_by: dict[str, int]


def peel(program: PanelProgram, target: FloatArray,
         pricing: Pricing, *, stop_mass: float = 1e-9,
         max_steps: int | None = None,
         progress: Callable[[int, float], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> Peeling:
    """Peel feasible profiles off ``target`` (expected counts per type, summing to ``k``).

    Parameters
    ----------
    program : PanelProgram
        The panel program (types, rows and bounds).
    target : ndarray (T,)
        Expected number of seats per type, a point of the relaxed polytope.
    pricing : Pricing
        A pricing model of ``program``; its bounds are restored after every solve.
    stop_mass : float
        Stop once less than this much mass remains unpeeled.
    max_steps : int, optional
        At most this many integer programs (default ``2 (T + 1)``).
    progress : callable, optional
        Called as ``progress(step, peeled_mass)`` after every step.
    should_stop : callable, optional
        Asked before every step; when it answers True peeling ends with ``stop="stopped"``
        (a time limit or a cancelled run).

    Returns
    -------
    Peeling
        Deterministic given the inputs (the tie-breaking noise has a fixed seed).
    """
    A = program.A
    n = program.sizes.astype(float)
    lo, hi = program.row_lo.astype(float), program.row_hi.astype(float)
    T = program.n_types
    steps_cap = 2 * (T + 1) if max_steps is None else max_steps
    rng = np.random.default_rng(0)
    residual = np.asarray(target, dtype=float).copy()   # target minus peeled mass, in seats
    mass = 1.0
    profiles: list[IntArray] = []
    weights: list[float] = []
    stop = "max-steps"
    found_by = {"repair": 0, "solver": 0}
    for step in range(steps_cap):
        if mass <= stop_mass:
            stop = "done"
            break
        if should_stop is not None and should_stop():
            stop = "stopped"
            break
        mu = np.clip(residual / mass, 0.0, n)
        act = A @ mu
        var_lo = np.where(mu >= n - FACE_TOL, n, 0.0)
        var_hi = np.where(mu <= FACE_TOL, 0.0, n)
        row_lo = np.where(act >= hi - FACE_TOL, hi, lo)
        row_hi = np.where(act <= lo + FACE_TOL, lo, hi)
        # Prefer types with much target left: they allow the longest steps.
        w = mu / n
        w = w + 1e-3 * max(float(w.mean()), 1e-12) * rng.random(T)
        c = _cheap_face_point(A, pricing, w, var_lo, var_hi, row_lo, row_hi)
        if c is not None:
            found_by["repair"] += 1
        else:
            res = pricing.face_point(w, var_lo, var_hi, row_lo, row_hi, gap=FACE_GAP)
            if res.status is not Status.OPTIMAL or res.x is None:
                stop = "no-profile-in-face"
                break
            c = res.x
            found_by["solver"] += 1
        # Constraints imposed as equalities hold for c exactly and for mu up to drift: the ray
        # may only be stopped by the others.
        free = (mu < n - FACE_TOL, mu > FACE_TOL, act < hi - FACE_TOL, act > lo + FACE_TOL)
        step_len = _ray_length(mu, mu - c, act, A, n, lo, hi, free)
        if step_len == np.inf:          # mu is the profile itself
            theta = 1.0
        elif step_len <= 1e-12:
            stop = "no-progress"
            break
        else:
            theta = step_len / (1.0 + step_len)
        profiles.append(c.astype(np.int64))
        weights.append(mass * theta)
        residual = residual - mass * theta * c
        mass *= 1.0 - theta
        if progress is not None:
            progress(step + 1, 1.0 - mass)
    else:
        if mass <= stop_mass:
            stop = "done"
    return Peeling(np.array(profiles, dtype=np.int64).reshape(len(profiles), T),
                   np.array(weights, dtype=float), float(mass), stop, found_by)


def _cheap_face_point(A: FloatArray, pricing: Pricing, w: FloatArray,
                      var_lo: FloatArray, var_hi: FloatArray, row_lo: FloatArray,
                      row_hi: FloatArray) -> FloatArray | None:
    """A profile in the face by LP over a neighbourhood, rounding and repair; None if not.

    Tries the neighbourhood of :data:`NEIGHBOURHOOD`, then every free type (if more).
    """
    free = np.flatnonzero(var_hi > 0)
    order = free[np.argsort(-w[free], kind="stable")]
    near = [np.flatnonzero(var_lo > 0), order[:NEIGHBOURHOOD]]
    # A row that needs many seats gets twice as many candidates as it needs.
    near += [order[A[r, order] > 0][:max(ROW_NEIGHBOURS, int(2 * row_lo[r]))]
             for r in range(1, len(A))]
    neighbourhood = np.unique(np.concatenate(near)).astype(np.int64)
    tries = [neighbourhood] if len(neighbourhood) == len(free) else [neighbourhood, free]
    for cols in tries:
        x = pricing.face_lp(w, cols, var_lo, var_hi, row_lo, row_hi)
        if x is None:
            continue
        candidates = np.union1d(np.flatnonzero(x > INTEGRALITY_TOL), neighbourhood)
        c = _repair(A, x, w, var_lo, var_hi, row_lo, row_hi, candidates)
        if c is not None:
            return c
    return None


def _repair(A: FloatArray, x: FloatArray, w: FloatArray, var_lo: FloatArray,
            var_hi: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
            candidates: IntArray) -> FloatArray | None:
    """Round ``x`` to ``k`` seats and swap seats until every row is within bounds.

    Row 0 is the panel size (an equality), so swaps keep it; a swap of ``a`` (out) for ``b``
    (in) changes row ``r`` by ``A_rb − A_ra``. With ``p_r`` (``m_r``) the change of row
    ``r``'s violation if it gains (loses) a seat, the change of the total violation is
    ``(Aᵀp)_b + (Aᵀm)_a − Σ_r A_ra A_rb (p_r + m_r)``, for all pairs at once by one matrix
    product. Entering types are drawn from ``candidates``; the result respects the variable
    bounds by construction and the rows exactly (integer arithmetic in floats).
    """
    c = np.floor(x + INTEGRALITY_TOL)
    short = int(np.rint(row_lo[0] - c.sum()))
    if short > 0:
        c[np.argsort(-(x - c), kind="stable")[:short]] += 1
    c = np.clip(c, var_lo, var_hi)
    if c.sum() != row_lo[0]:
        return None
    act = A @ c
    tabu: list[int] = []
    for _ in range(REPAIR_MOVES + 1):
        over, under = np.maximum(act - row_hi, 0.0), np.maximum(row_lo - act, 0.0)
        if not (over.any() or under.any()):
            return c
        now = over + under
        gain_seat = np.maximum(act + 1 - row_hi, 0) + np.maximum(row_lo - act - 1, 0) - now
        lose_seat = np.maximum(act - 1 - row_hi, 0) + np.maximum(row_lo - act + 1, 0) - now
        ins = candidates[c[candidates] < var_hi[candidates]]
        outs = np.flatnonzero(c > var_lo)
        if ins.size == 0 or outs.size == 0:
            return None
        a_in, a_out = A[:, ins], A[:, outs]
        delta = ((gain_seat @ a_in)[:, None] + (lose_seat @ a_out)[None, :]
                 - (a_in.T * (gain_seat + lose_seat)) @ a_out)
        blocked = (ins[:, None] == outs[None, :]) | np.isin(ins, tabu)[:, None] \
            | np.isin(outs, tabu)[None, :]
        delta[blocked] = np.inf
        best = float(delta.min())
        if best > 0 or not np.isfinite(best):
            return None
        gain = np.where(delta <= best, w[ins][:, None] - w[outs][None, :], -np.inf)
        i, j = divmod(int(np.argmax(gain)), len(outs))
        c[outs[j]] -= 1
        c[ins[i]] += 1
        act += A[:, ins[i]] - A[:, outs[j]]
        tabu = [*tabu, int(outs[j]), int(ins[i])][-REPAIR_TABU:]
    return None


def _ray_length(mu: FloatArray, d: FloatArray, act: FloatArray, A: FloatArray, n: FloatArray,
                lo: FloatArray, hi: FloatArray,
                free: tuple[npt.NDArray[np.bool_], ...]) -> float:
    """Largest ``λ`` with ``mu + λ d`` in the relaxed polytope (inf if unbounded).

    ``free`` masks, in the order variable upper bounds, variable lower bounds, row maxima, row
    minima, the constraints that are not part of the face (only those can stop the ray).
    """
    Ad = A @ d
    limits = [np.inf]
    pairs = ((n - mu, d), (mu, -d), (hi - act, Ad), (act - lo, -Ad))
    for (slack, rate), ok in zip(pairs, (free[0], free[1], free[2], free[3]), strict=True):
        moving = (rate > FACE_TOL) & ok
        if moving.any():
            limits.append(float((np.maximum(slack[moving], 0.0) / rate[moving]).min()))
    return min(limits)
