r"""Feasibility: the pricing oracle, any feasible panel, and the minimal relaxation.

These are the solves on a :class:`~civicsortition.program.PanelProgram` (which itself only holds
the problem as data and checks panels):

* :func:`best_profile` -- the feasible profile of maximum weight ``w @ c``, to proven
  optimality (the pricing oracle of every column-generation algorithm);
* :func:`local_search` -- a cheap improvement heuristic for the same problem (never a proof);
* :func:`feasible_profile` -- any feasible profile, or None;
* :func:`explain_infeasible` -- the least-change relaxation of the quotas, verified by solving,
  wrapped in an :class:`~civicsortition.errors.InfeasibleQuotasError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from .._typing import FloatArray, IntArray
from ..backends import Backend, get_backend
from ..errors import InfeasibleError, InfeasibleQuotasError, QuotaChange, SolverError, Status
from ..program import PanelProgram
from ..quotas import Quotas, ValueQuota

__all__ = ["best_profile", "explain_infeasible", "feasible_profile", "local_search"]


def best_profile(program: PanelProgram, weights: FloatArray, backend: Backend | str | None = None,
                 *, restrict: FloatArray | None = None) -> tuple[IntArray, float]:
    """The feasible profile maximising ``weights @ c`` (the pricing oracle).

    Solved to proven optimality (zero MIP gap). ``restrict`` optionally gives per-type
    upper bounds tighter than ``n_t``.

    Raises
    ------
    InfeasibleError
        If no feasible profile exists.
    SolverError
        On any other non-optimal status.
    """
    be = get_backend(backend)
    hi = program.sizes.astype(float) if restrict is None else np.minimum(program.sizes, restrict)
    res = be.milp(np.asarray(weights, dtype=float), program.A, program.row_lo, program.row_hi,
                  np.zeros(program.n_types), hi)
    if res.status is Status.INFEASIBLE:
        raise InfeasibleError("no feasible panel")
    if res.status is not Status.OPTIMAL or res.x is None:
        raise SolverError("pricing problem not solved", res.status, res.raw)
    return res.x.astype(np.int64), res.objective


def local_search(program: PanelProgram, profile: IntArray, weights: FloatArray, *,
                 max_moves: int = 500) -> tuple[IntArray, float]:
    """Improve a feasible profile by best-improvement swaps that keep every row in bounds.

    A swap takes one member of type ``a`` off the panel and puts one of type ``b`` on. As
    ``A`` is 0/1, it changes each row by at most one, so only rows already at a bound can
    break: a row at its upper bound forbids swaps with ``A[r, b] = 1, A[r, a] = 0``, a row at
    its lower bound those with ``A[r, a] = 1, A[r, b] = 0``. All pairs are checked at once
    with two small matrix products. A cheap pricing heuristic: it never proves optimality.

    Returns the improved profile and its weight.
    """
    c = np.array(profile, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    A = program.A
    act = A @ c
    for _ in range(max_moves):
        ins = np.flatnonzero(c < program.sizes)
        outs = np.flatnonzero(c > 0)
        gain = w[ins][:, None] - w[outs][None, :]
        if gain.size == 0 or gain.max() <= 1e-12:
            break
        at_hi = act >= program.row_hi - 0.5
        at_lo = act <= program.row_lo + 0.5
        a_in, a_out = A[:, ins], A[:, outs]
        bad = a_in[at_hi].T @ (1.0 - a_out[at_hi]) + (1.0 - a_in[at_lo]).T @ a_out[at_lo]
        gain[bad > 0] = -np.inf
        best = int(np.argmax(gain))
        i, j = divmod(best, len(outs))
        if gain[i, j] <= 1e-12:
            break
        enter, leave = ins[i], outs[j]
        c[leave] -= 1
        c[enter] += 1
        act += A[:, enter] - A[:, leave]
    return c, float(w @ c)


def feasible_profile(program: PanelProgram,
                     backend: Backend | str | None = None) -> IntArray | None:
    """Any feasible profile, or None if there is none."""
    try:
        return best_profile(program, np.zeros(program.n_types), backend)[0]
    except InfeasibleError:
        return None


def explain_infeasible(program: PanelProgram, backend: Backend | str | None = None,
                       reasons: Sequence[str] = ()) -> InfeasibleQuotasError:
    """Build the error for infeasible quotas: a least-change relaxation, verified.

    The relaxation integer program adds slacks ``s⁻_r, s⁺_r ≥ 0`` to every quota row,
    ``ℓ_r − s⁻_r ≤ (A c)_r ≤ u_r + s⁺_r``, bounded by ``ℓ_r − min_flex_r`` and
    ``max_flex_r − u_r`` where given, and minimises ``Σ_r (s⁻_r + s⁺_r)``.
    """
    be = get_backend(backend)
    T, R = program.n_types, program.n_quota_rows
    k = program.panel_size
    # Variables: c (T), s_minus (R), s_plus (R).
    q_rows = program.A[1:1 + R]
    h_rows = program.A[1 + R:]
    top = np.hstack([np.ones((1, T)), np.zeros((1, 2 * R))])
    lower = np.hstack([q_rows, np.eye(R), np.zeros((R, R))])     # A c + s- >= lo
    upper = np.hstack([q_rows, np.zeros((R, R)), -np.eye(R)])    # A c - s+ <= hi
    hh = np.hstack([h_rows, np.zeros((len(h_rows), 2 * R))])
    A = np.vstack([top, lower, upper, hh])
    lo_q, hi_q = program.row_lo[1:1 + R], program.row_hi[1:1 + R]
    row_lo = np.concatenate([[k], lo_q, np.full(R, -np.inf), np.zeros(len(h_rows))])
    row_hi = np.concatenate([[k], np.full(R, np.inf), hi_q, np.ones(len(h_rows))])
    s_minus_max = np.array([q.min - q.min_flex if q.min_flex is not None else q.min
                            for q in program.quotas], dtype=float)
    s_plus_max = np.array([q.max_flex - q.max if q.max_flex is not None else k
                           for q in program.quotas], dtype=float)
    var_lo = np.zeros(T + 2 * R)
    var_hi = np.concatenate([program.sizes.astype(float), s_minus_max, s_plus_max])
    weights = np.concatenate([np.zeros(T), -np.ones(2 * R)])
    res = be.milp(weights, A, row_lo, row_hi, var_lo, var_hi)
    if res.status is not Status.OPTIMAL or res.x is None:
        return InfeasibleQuotasError((), None, False, reasons)
    s_minus = np.rint(res.x[T:T + R]).astype(int)
    s_plus = np.rint(res.x[T + R:]).astype(int)
    changes: list[QuotaChange] = []
    entries: list[ValueQuota] = []
    for r, q in enumerate(program.quotas):
        new_min, new_max = q.min - int(s_minus[r]), q.max + int(s_plus[r])
        if (new_min, new_max) != (q.min, q.max):
            changes.append(QuotaChange(q.category, q.value, q.min, q.max, new_min, new_max))
        entries.append(attrs.evolve(q, min=new_min, max=new_max))
    relaxed = Quotas(k, entries)
    ok = feasible_profile(PanelProgram.build(program.pool, relaxed,
                                           households=program.households), be) is not None
    return InfeasibleQuotasError(changes, relaxed, ok, reasons)
