r"""The LP relaxation of the panel polytope: an upper bound, a fast path, and an explanation.

Replacing "a lottery over feasible panels" by "any expected panel" gives the relaxed polytope

.. math::

    P_{rel} = \{\pi \in [0, 1]^T : \textstyle\sum_t n_t \pi_t = k,\;
    \ell_r \le \sum_{t \in r} n_t \pi_t \le u_r \;\forall \text{ quota rows } r,\;
    \sum_{t \in h} n_t \pi_t \le 1 \;\forall h\} \supseteq \operatorname{conv}(\mathcal P),

over which LEXIMIN is a sequence of small LPs with ``T + 1`` variables and no integer program.
Its leximin vector :math:`\pi^{rel}` dominates the true one, so if a lottery over feasible
panels reaches :math:`\pi \ge \pi^{rel} - \varepsilon` it is the LEXIMIN lottery within
:math:`\varepsilon` (and its first stage value bounds MAXIMIN from above). The relaxation is
exact for two categories without households (panels are then integral flows) and, measured,
on realistic pools with more; when it is not, the engine falls back to staged column
generation.

The duals of the first relaxed stage also say *what limits the minimum*: an upper quota
``u_r`` that binds caps the average chance of the ``n_r`` volunteers with that value at
``u_r / n_r`` ("7 seats for 255 volunteers with value X").
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

from ..backends import Backend, SolverError
from ..backends.recovery import solve_lp
from ..numerics import FIX_SLACK_LADDER
from ..program import PanelProgram
from ._core import types_to_fix

__all__ = ["RelaxedLeximin", "RelaxedNash", "relaxed_leximin", "relaxed_nash"]

FloatArray = npt.NDArray[np.float64]

#: A quota row "binds" in the explanation when its dual exceeds this.
BINDING_DUAL = 1e-9


@attrs.frozen(eq=False)
class RelaxedLeximin:
    """The leximin vector over the relaxed polytope.

    Attributes
    ----------
    pi : ndarray (T,)
        Relaxed leximin probability per type (0 for inactive types).
    stages : list of dict
        ``{"value", "people_fixed"}`` per stage.
    explanation : list of str
        Binding quotas of the first stage, most binding first.
    first_prices : ndarray (T,)
        Dual prices of the first stage's type rows (non-negative): any such prices certify
        an upper bound on the maximin value by one exact pricing solve.
    recoveries : list of str
        Solver trouble met and recovered from (empty on a clean run).
    """

    pi: FloatArray
    stages: list[dict[str, float]]
    explanation: list[str]
    first_prices: FloatArray
    recoveries: list[str]


def relaxed_leximin(prog: PanelProgram, active: npt.NDArray[np.bool_],
                    backend: Backend) -> RelaxedLeximin:
    """Progressive filling over :math:`P_{rel}` (see the module docstring)."""
    types = np.flatnonzero(active)
    Ta = len(types)
    n = prog.sizes[types].astype(float)
    A = prog.A[:, types] * n  # rows over π (expected counts = n_t π_t)
    R = len(A)
    # Variables: π (Ta), z. Minimise -z.
    # Row 0 (panel size) is an equality; others two-sided -> two <= rows each.
    rows_ub = [np.hstack([A[1:], np.zeros((R - 1, 1))]),
               np.hstack([-A[1:], np.zeros((R - 1, 1))])]
    b_rows = [prog.row_hi[1:], -prog.row_lo[1:]]
    A_eq = np.hstack([A[:1], np.zeros((1, 1))])
    b_eq = prog.row_lo[:1]
    lo = np.concatenate([np.zeros(Ta), [-np.inf]])
    hi = np.concatenate([np.ones(Ta), [np.inf]])
    c = np.zeros(Ta + 1)
    c[-1] = -1.0
    fixed = np.full(Ta, np.nan)
    stages: list[dict[str, float]] = []
    explanation: list[str] = []
    pi = np.zeros(Ta)
    first_prices = np.zeros(Ta)
    recoveries: list[str] = []
    while np.isnan(fixed).any():
        unfixed = np.isnan(fixed)
        stage = f"relaxed leximin stage {len(stages) + 1}"
        res = None
        free = np.flatnonzero(unfixed)
        # Unfixed types: one sparse row  z - π_t <= 0  each; fixed types: the variable bound
        # π_t >= f_t - slack (a dense identity block here cost 512 MB per stage at 8,000 types).
        type_rows = sparse.csr_matrix(
            (np.concatenate([-np.ones(len(free)), np.ones(len(free))]),
             (np.tile(np.arange(len(free)), 2),
              np.concatenate([free, np.full(len(free), Ta)]))), shape=(len(free), Ta + 1))
        A_ub = sparse.vstack([sparse.csr_matrix(rows_ub[0]), sparse.csr_matrix(rows_ub[1]),
                              type_rows], format="csr")
        b_ub = np.concatenate([*b_rows, np.zeros(len(free))])
        for slack in FIX_SLACK_LADDER:
            lo_now = lo.copy()
            lo_now[:Ta] = np.where(unfixed, 0.0, np.maximum(np.nan_to_num(fixed) - slack, 0.0))
            try:
                res, attempts = solve_lp(backend, c, A_ub, b_ub, A_eq, b_eq, lo_now, hi,
                                         stage=stage)
            except SolverError as e:
                if slack == FIX_SLACK_LADDER[-1]:
                    raise
                recoveries.append(f"{stage}: fixing slack {slack:g} failed ({e.status.value})")
                continue
            recoveries.extend(f"{stage}: {a}" for a in attempts)
            break
        assert res is not None
        assert res.x is not None
        if res.duals_ub is None:
            raise SolverError("no duals returned", res.status, res.raw, stage=stage)
        z = float(res.x[-1])
        pi = res.x[:Ta]
        y = np.zeros(Ta)
        y[free] = np.maximum(-res.duals_ub[2 * (R - 1):], 0.0)
        if not stages:
            explanation = _explain(prog, res.duals_ub[: 2 * (R - 1)], z)
            first_prices = y
        newly = types_to_fix(y, unfixed)
        # Fix at what the solver returned, not at the nominal z: the returned point then
        # meets these rows exactly in the next stage (see civicsortition.numerics).
        fixed[newly] = np.minimum(z, pi[newly])
        stages.append({"value": z, "people_fixed": float(n[newly].sum())})
    full = np.zeros(prog.n_types)
    full[types] = np.clip(pi, 0.0, 1.0)
    prices = np.zeros(prog.n_types)
    prices[types] = first_prices
    return RelaxedLeximin(full, stages, explanation, prices, recoveries)


def _explain(prog: PanelProgram, duals: FloatArray, z: float) -> list[str]:
    """Human-readable binding quotas of the first relaxed stage."""
    R = len(prog.A) - 1
    upper, lower = -duals[:R], -duals[R:]
    out: list[tuple[float, str]] = []
    for r in range(min(R, prog.n_quota_rows)):
        q = prog.quotas.entries[r]
        members = prog.A[r + 1] > 0
        count = int(prog.sizes[members].sum())
        if upper[r] > BINDING_DUAL and count > 0:
            out.append((float(upper[r]), f"at most {q.max} seats for {count} volunteers with "
                        f"{q.category}={q.value} (on average {q.max / count:.1%} each)"))
        if lower[r] > BINDING_DUAL:
            out.append((float(lower[r]), f"at least {q.min} seats reserved for "
                        f"{q.category}={q.value} ({count} volunteers) leave fewer for others"))
    out.sort(key=lambda p: -p[0])
    lines = [text for _, text in out]
    if not lines:
        lines = [f"{prog.panel_size} seats for {int(prog.sizes.sum())} volunteers "
                 f"(on average {prog.panel_size / prog.sizes.sum():.1%} each)"]
    return [f"the minimum probability {z:.1%} is limited by: " + lines[0], *lines[1:]]


@attrs.frozen(eq=False)
class RelaxedNash:
    """The Nash-welfare optimum over the relaxed polytope, with a dual certificate.

    Attributes
    ----------
    pi : ndarray (T,)
        Maximiser per type (0 for inactive types), feasible up to ``violation``.
    bound : float
        ``g(ν)`` for the dual point found: an upper bound on the Nash welfare of *every*
        point of the relaxed polytope, hence of every lottery (valid whatever ``ν`` is).
    welfare : float
        ``Σ_t n_t log π_t`` at ``pi``.
    violation : float
        Largest violation of a row of the relaxed polytope by ``pi`` (in seats).
    """

    pi: FloatArray
    bound: float
    welfare: float
    violation: float


def relaxed_nash(prog: PanelProgram, active: npt.NDArray[np.bool_]) -> RelaxedNash:
    r"""Maximise :math:`\sum_t n_t \log \pi_t` over :math:`P_{rel}` through its dual.

    With row multipliers :math:`\nu_r` (positive: upper bound, negative: lower bound) and
    :math:`s_t = \sum_r \nu_r A_{rt} n_t`, maximising the Lagrangian over
    :math:`0 < \pi_t \le 1` gives :math:`\pi_t(\nu) = \min(1, n_t / s_t)` and the dual function

    .. math::

        g(\nu) = \sum_t h_t(s_t) + \sum_r (\nu_r^+ u_r - \nu_r^- \ell_r), \qquad
        h_t(s) = \begin{cases} -s & s \le n_t \\ n_t \log(n_t / s) - n_t & s > n_t,
        \end{cases}

    convex and continuously differentiable, with gradient the row slacks of
    :math:`\pi(\nu)`; every :math:`\nu` gives an upper bound (weak duality). It has one
    variable per row (tens), not per type: L-BFGS-B on :math:`(\nu^+, \nu^-) \ge 0`, then
    Newton's method on the rows it found active makes :math:`\pi(\nu)` feasible to rounding
    error and the gap to :math:`10^{-12}`.
    """
    types = np.flatnonzero(active)
    n = prog.sizes[types].astype(float)
    B = prog.A[:, types] * n
    lo, hi = prog.row_lo.astype(float), prog.row_hi.astype(float)
    R = len(B)

    def pi_of(s: FloatArray) -> FloatArray:
        out: FloatArray = np.where(s > n, n / np.maximum(s, n), 1.0)
        return out

    def dual(nu: FloatArray) -> float:
        s = nu @ B
        big = s > n
        terms = np.where(big, n * np.log(n / np.where(big, s, 1.0)) - n, -s)
        return float(terms.sum() + np.maximum(nu, 0) @ hi - np.maximum(-nu, 0) @ lo)

    def split(lam: FloatArray) -> tuple[float, FloatArray]:
        nu = lam[:R] - lam[R:]
        Bp = B @ pi_of(nu @ B)
        return dual(nu), np.concatenate([hi - Bp, Bp - lo])

    start = np.zeros(2 * R)
    start[0] = n.sum() / prog.panel_size  # row 0 is Σ c = k: every π_t = k / N
    res = optimize.minimize(split, start, jac=True, method="L-BFGS-B",
                            bounds=[(0.0, None)] * (2 * R),
                            options={"maxiter": 20_000, "ftol": 1e-16, "gtol": 1e-13})
    nu = res.x[:R] - res.x[R:]
    for _ in range(30):  # Newton on the active rows: (B π(ν))_r = bound_r
        rows = np.flatnonzero(np.abs(nu) > 1e-10)
        s = nu @ B
        residual = (B @ pi_of(s))[rows] - np.where(nu > 0, hi, lo)[rows]
        if len(rows) == 0 or np.abs(residual).max() < 1e-13:
            break
        slope = np.where(s > n, -n / np.maximum(s, n) ** 2, 0.0)
        J = (B[rows] * slope) @ B[rows].T
        trial = nu.copy()
        trial[rows] += np.linalg.lstsq(J, -residual, rcond=None)[0]
        if dual(trial) > dual(nu) + 1e-9:  # Newton went astray: keep the L-BFGS point
            break
        nu = trial
    pi = pi_of(nu @ B)
    Bp = B @ pi
    violation = float(np.maximum(np.maximum(Bp - hi, lo - Bp), 0.0).max())
    full = np.zeros(prog.n_types)
    full[types] = pi
    return RelaxedNash(full, dual(nu), float(n @ np.log(pi)), violation)
