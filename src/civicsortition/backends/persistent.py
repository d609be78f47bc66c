"""Persistent, warm-started solver models for column generation.

Column generation solves hundreds of closely related problems: pricing MILPs that differ only
in their objective, and master LPs that differ by one column or one row bound. Building each
from scratch costs more than solving it; keeping one HiGHS model alive (through ``highspy``,
the HiGHS binding PuLP also uses) and changing only what changed lets the simplex warm-start.

Backends without persistent models fall back to :class:`StatelessPricing` and
:class:`StatelessMaster`, which rebuild every time through the backend's stateless calls.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
from scipy import sparse

from .._typing import FloatArray, IntArray
from ..errors import SolverError, Status
from ..numerics import ROW_TOL
from ._base import Backend, LpResult, MilpResult, integral
from .recovery import solve_lp

__all__ = ["HighsMaster", "HighsPricing", "StatelessMaster", "StatelessPricing",
           "highspy_available", "make_master", "make_pricing"]


_BANNER_SILENCED = False


def highspy_available() -> bool:
    """Whether the ``highspy`` package can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def _new_highs() -> Any:
    """A quiet ``highspy.Highs`` (its one-time copyright banner kept off standard output)."""
    global _BANNER_SILENCED
    import highspy

    make: Any = highspy.Highs  # untyped in highspy's stubs
    if _BANNER_SILENCED:
        h = make()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = make()
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)
        _BANNER_SILENCED = True
    h.setOptionValue("output_flag", False)
    return h


def _status(h: Any) -> tuple[Status, str]:
    import highspy

    ms = h.getModelStatus()
    table = {
        highspy.HighsModelStatus.kOptimal: Status.OPTIMAL,
        highspy.HighsModelStatus.kInfeasible: Status.INFEASIBLE,
        highspy.HighsModelStatus.kUnbounded: Status.UNBOUNDED,
        highspy.HighsModelStatus.kUnboundedOrInfeasible: Status.INFEASIBLE,
        highspy.HighsModelStatus.kTimeLimit: Status.LIMIT,
        highspy.HighsModelStatus.kIterationLimit: Status.LIMIT,
        highspy.HighsModelStatus.kSolutionLimit: Status.LIMIT,
    }
    return table.get(ms, Status.ERROR), f"highspy: {h.modelStatusToString(ms)}"


def _csc(A: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Column-wise sparse arrays (starts, row indices, values) of a dense matrix."""
    m = sparse.csc_matrix(np.asarray(A, dtype=float))
    m.sort_indices()
    return (m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32),
            m.data.astype(float))


class HighsPricing:
    """``max w·c`` over the feasible profiles, one HiGHS MIP model, objective changed per call."""

    def __init__(self, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
                 var_lo: FloatArray, var_hi: FloatArray) -> None:
        import highspy

        self.h = h = _new_highs()
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-12)
        n = A.shape[1]
        starts, idx, vals = _csc(A)
        h.addRows(len(A), row_lo.astype(float), row_hi.astype(float), 0,
                  np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        h.addCols(n, np.zeros(n), var_lo.astype(float), var_hi.astype(float), len(vals),
                  starts, idx, vals)
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * n))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.n = n
        self.A = np.asarray(A, dtype=float)
        self.row_lo, self.row_hi = row_lo.astype(float), row_hi.astype(float)
        self.var_lo, self.var_hi = var_lo.astype(float), var_hi.astype(float)
        self._lp: Any = None

    def solve(self, weights: FloatArray) -> MilpResult:
        """Solve for these weights (to a zero gap).

        A status other than optimal is not believed at once: the model is re-solved from
        scratch with presolve off (see :mod:`civicsortition.backends.recovery`), and the
        second answer stands.
        """
        h = self.h
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32),
                         np.asarray(weights, dtype=float))
        h.run()
        status, raw = _status(h)
        if status is not Status.OPTIMAL:
            h.clearSolver()
            h.setOptionValue("presolve", "off")
            try:
                h.run()
            finally:
                h.setOptionValue("presolve", "choose")
            status, raw2 = _status(h)
            raw = f"{raw}; presolve off: {raw2}"
        if status is not Status.OPTIMAL:
            return MilpResult(status, None, float("nan"), float("nan"), raw)
        x = integral(np.array(h.getSolution().col_value, dtype=float))
        obj = float(np.dot(weights, x))
        info = h.getInfo()
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else obj
        return MilpResult(status, x, obj, max(bound, obj), raw)

    def solve_within(self, weights: FloatArray, var_lo: FloatArray, var_hi: FloatArray,
                     row_lo: FloatArray, row_hi: FloatArray, *, gap: float) -> MilpResult:
        """Solve with temporarily tightened bounds to relative ``gap``; restore the model."""
        h = self.h
        cols = np.arange(self.n, dtype=np.int32)
        rows = np.arange(len(self.row_lo), dtype=np.int32)
        h.changeColsBounds(self.n, cols, np.asarray(var_lo, float), np.asarray(var_hi, float))
        h.changeRowsBounds(len(rows), rows, np.asarray(row_lo, float), np.asarray(row_hi, float))
        h.setOptionValue("mip_rel_gap", float(gap))
        saved = {name: h.getOptionValue(name)[1] for name in FEASIBILITY_HEURISTICS_OFF} \
            if gap > 0 else {}
        for name in saved:
            h.setOptionValue(name, False)
        try:
            return self.solve(weights)
        finally:
            h.setOptionValue("mip_rel_gap", 0.0)
            for name, value in saved.items():
                h.setOptionValue(name, value)
            h.changeColsBounds(self.n, cols, self.var_lo, self.var_hi)
            h.changeRowsBounds(len(rows), rows, self.row_lo, self.row_hi)


    def face_point(self, weights: FloatArray, var_lo: FloatArray, var_hi: FloatArray,
                   row_lo: FloatArray, row_hi: FloatArray, *, gap: float) -> MilpResult:
        """Any integral point within these bounds (``weights`` steer); LP dive, then MIP.

        The dive solves the LP relaxation (a persistent, warm-started LP model), fixes every
        fractional variable within ``DIVE_FIX`` of an integer (at least the closest one) to
        that integer and re-solves, until the solution is integral or the LP infeasible. An
        integral result is checked exactly against the bounds; otherwise the MIP decides
        (``solve_within`` with ``gap``). Measured on the peeling faces of the sf_e shape (719
        types): 229 of 236 faces by diving, 4 s instead of 40 s.
        """
        x = self._dive(weights, var_lo, var_hi, row_lo, row_hi)
        if x is not None:
            act = self.A @ x
            if (np.all(x >= var_lo) and np.all(x <= var_hi) and np.all(act >= row_lo - ROW_TOL)
                    and np.all(act <= row_hi + ROW_TOL)):
                obj = float(np.dot(weights, x))
                return MilpResult(Status.OPTIMAL, x, obj, obj, "lp dive")
        return self.solve_within(weights, var_lo, var_hi, row_lo, row_hi, gap=gap)

    def face_lp(self, weights: FloatArray, cols: IntArray, var_lo: FloatArray,
                var_hi: FloatArray, row_lo: FloatArray, row_hi: FloatArray) -> FloatArray | None:
        """The LP relaxation ``max w·c`` within these bounds over the columns ``cols`` only.

        Every other column is held at zero. A fresh small model per call (a few thousand
        columns of a large program solve in milliseconds where the full warm-started model
        takes 20-100 ms). Returns the solution over all columns, or None if not optimal.
        """
        import highspy

        cols = np.asarray(cols, dtype=np.int64)
        h = _new_highs()
        starts, idx, vals = _csc(self.A[:, cols])
        m = len(self.row_lo)
        h.addRows(m, np.asarray(row_lo, float), np.asarray(row_hi, float), 0,
                  np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        h.addCols(len(cols), np.asarray(weights, float)[cols], np.asarray(var_lo, float)[cols],
                  np.asarray(var_hi, float)[cols], len(vals), starts, idx, vals)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.zeros(self.n)
        x[cols] = h.getSolution().col_value
        return x

    def _dive(self, weights: FloatArray, var_lo: FloatArray, var_hi: FloatArray,
              row_lo: FloatArray, row_hi: FloatArray) -> FloatArray | None:
        import highspy

        lp = self._lp
        n, m = self.n, len(self.row_lo)
        cols = np.arange(n, dtype=np.int32)
        if lp is None:
            lp = self._lp = _new_highs()
            starts, idx, vals = _csc(self.A)
            lp.addRows(m, self.row_lo, self.row_hi, 0, np.zeros(0, dtype=np.int32),
                       np.zeros(0, dtype=np.int32), np.zeros(0))
            lp.addCols(n, np.zeros(n), self.var_lo, self.var_hi, len(vals), starts, idx, vals)
            lp.changeObjectiveSense(highspy.ObjSense.kMaximize)
        lp.changeColsBounds(n, cols, np.asarray(var_lo, float), np.asarray(var_hi, float))
        lp.changeRowsBounds(m, np.arange(m, dtype=np.int32), np.asarray(row_lo, float),
                            np.asarray(row_hi, float))
        lp.changeColsCost(n, cols, np.asarray(weights, float))
        for _ in range(n + 1):  # every round fixes at least one more variable
            lp.run()
            if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            x = np.array(lp.getSolution().col_value, dtype=float)
            dist = np.abs(x - np.round(x))
            frac = np.flatnonzero(dist > INTEGRALITY_TOL)
            if frac.size == 0:
                return np.round(x)
            fix = frac[dist[frac] < DIVE_FIX]
            if fix.size == 0:
                fix = frac[[int(np.argmin(dist[frac]))]]
            v = np.round(x[fix])
            lp.changeColsBounds(len(fix), fix.astype(np.int32), v, v)
        return None


#: HiGHS root heuristics switched off for gap-limited (feasibility-like) solves: on the
#: peeling face problems they cost more than they save (sf_a shape: 63 ms -> 26 ms per solve,
#: same profiles). Exact pricing keeps HiGHS' defaults.
FEASIBILITY_HEURISTICS_OFF = ("mip_heuristic_run_root_reduced_cost",
                              "mip_heuristic_run_feasibility_jump",
                              "mip_heuristic_run_zi_round", "mip_heuristic_run_shifting")


#: LP values this close to an integer count as integral in the dive.
INTEGRALITY_TOL = 1e-9
#: The dive fixes at once every fractional variable within this distance of an integer
#: (sf_a/sf_e shapes: 0.1 -> 3-4x more LP solves, 0.5 -> 6x more MIP fallbacks than 0.3).
DIVE_FIX = 0.3


class StatelessPricing:
    """Pricing through a backend's stateless :meth:`Backend.milp`."""

    def __init__(self, backend: Backend, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
                 var_lo: FloatArray, var_hi: FloatArray) -> None:
        self.backend, self.A, self.row_lo, self.row_hi = backend, A, row_lo, row_hi
        self.var_lo, self.var_hi = var_lo, var_hi

    def solve(self, weights: FloatArray) -> MilpResult:
        """Solve for these weights (to a zero gap)."""
        return self.solve_within(weights, self.var_lo, self.var_hi, self.row_lo, self.row_hi,
                                 gap=0.0)

    def solve_within(self, weights: FloatArray, var_lo: FloatArray, var_hi: FloatArray,
                     row_lo: FloatArray, row_hi: FloatArray, *, gap: float) -> MilpResult:
        """Solve with other bounds (to a zero gap: stateless backends take no gap option).

        A non-optimal answer is re-solved once with presolve off.
        """
        del gap
        res = self.backend.milp(weights, self.A, row_lo, row_hi, var_lo, var_hi)
        if res.status is Status.OPTIMAL:
            return res
        again = self.backend.milp(weights, self.A, row_lo, row_hi, var_lo, var_hi,
                                  presolve=False)
        if again.status is Status.OPTIMAL:
            return again
        return MilpResult(again.status, None, float("nan"), float("nan"),
                          f"{res.raw}; presolve off: {again.raw}")

    def face_point(self, weights: FloatArray, var_lo: FloatArray, var_hi: FloatArray,
                   row_lo: FloatArray, row_hi: FloatArray, *, gap: float) -> MilpResult:
        """Any integral point within these bounds (here: the MIP, solved exactly)."""
        return self.solve_within(weights, var_lo, var_hi, row_lo, row_hi, gap=gap)

    def face_lp(self, weights: FloatArray, cols: IntArray, var_lo: FloatArray,
                var_hi: FloatArray, row_lo: FloatArray, row_hi: FloatArray) -> FloatArray | None:
        """As :meth:`HighsPricing.face_lp`, through :meth:`Backend.lp`."""
        cols = np.asarray(cols, dtype=np.int64)
        sub = self.A[:, cols]
        res = self.backend.lp(-np.asarray(weights, float)[cols],
                              np.vstack([sub, -sub]),
                              np.concatenate([row_hi, -np.asarray(row_lo, float)]), None, None,
                              np.asarray(var_lo, float)[cols], np.asarray(var_hi, float)[cols])
        if res.status is not Status.OPTIMAL or res.x is None:
            return None
        x = np.zeros(self.A.shape[1])
        x[cols] = res.x
        return x


class HighsMaster:
    """The max-min master LP, kept alive: columns are appended, types fixed by re-bounding.

    Variables: ``z`` (column 0, free) and one weight per panel column. Rows: one per active type,
    ``Σ_S a_{S,t} x_S − u_t z ≥ b_t`` (``u_t = 1, b_t = 0`` while unfixed; ``u_t = 0,
    b_t = f_t`` once fixed), and ``Σ_S x_S = 1``. Objective: maximise ``z``.
    """

    def __init__(self, types: IntArray) -> None:
        import highspy

        self.h = h = _new_highs()
        self.types = np.asarray(types, dtype=np.int64)
        self.row_of = {int(t): r for r, t in enumerate(self.types)}
        R = len(self.types)
        inf = highspy.kHighsInf
        h.addRows(R, np.zeros(R), np.full(R, inf), 0, np.zeros(0, dtype=np.int32),
                  np.zeros(0, dtype=np.int32), np.zeros(0))
        h.addRow(1.0, 1.0, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        h.addCol(-1.0, -inf, inf, R, np.arange(R, dtype=np.int32), -np.ones(R))
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)  # min -z
        # Presolve would discard the basis between solves; warm-started simplex needs none.
        h.setOptionValue("presolve", "off")
        # Appending columns keeps the basis primal feasible: primal simplex resumes from it
        # (measured: half the time of HiGHS' default dual simplex on this degenerate LP).
        h.setOptionValue("simplex_strategy", 4)
        self.m = 0

    def add_column(self, coverage: FloatArray) -> None:
        """Append a panel column with coverage vector ``a`` (indexed by type)."""
        a = coverage[self.types]
        nz = np.flatnonzero(a)
        rows = np.concatenate([nz, [len(self.types)]]).astype(np.int32)
        vals = np.concatenate([a[nz], [1.0]])
        self.h.addCol(0.0, 0.0, float("inf"), len(rows), rows, vals)
        self.m += 1

    def set_target(self, t: int, value: float) -> None:
        """Make type ``t``'s (unfixed) row ``π_t − z ≥ value``."""
        import highspy

        self.h.changeRowBounds(self.row_of[t], value, highspy.kHighsInf)

    def fix(self, t: int, value: float) -> None:
        """Turn type ``t``'s row into ``π_t ≥ value``."""
        import highspy

        r = self.row_of[t]
        self.h.changeCoeff(r, 0, 0.0)
        self.h.changeRowBounds(r, value, highspy.kHighsInf)

    def solve(self) -> LpResult:
        """Solve (warm-started); return x = (z, weights...) and duals (y per row, ŷ).

        Recovery: a non-optimal answer is re-solved from scratch (basis discarded), then by
        the interior-point method with crossover; the options are restored afterwards.
        """
        h = self.h
        h.run()
        status, raw = _status(h)
        for option, value, restore in (("simplex_strategy", 1, 4), ("solver", "ipm", "choose")):
            if status is Status.OPTIMAL:
                break
            h.clearSolver()
            h.setOptionValue(option, value)
            try:
                h.run()
            finally:
                h.setOptionValue(option, restore)
            status, again = _status(h)
            raw = f"{raw}; {option}={value}: {again}"
        if status is not Status.OPTIMAL:
            return LpResult(status, None, float("nan"), None, None, raw)
        sol = h.getSolution()
        x = np.array(sol.col_value, dtype=float)
        duals = np.array(sol.row_dual, dtype=float)
        return LpResult(status, x, float(h.getInfo().objective_function_value),
                        duals[:-1], duals[-1:], raw)


class StatelessMaster:
    """The master LP rebuilt for every solve through :meth:`Backend.lp` (any backend)."""

    def __init__(self, backend: Backend, types: IntArray) -> None:
        self.backend = backend
        self.types = np.asarray(types, dtype=np.int64)
        self.row_of = {int(t): r for r, t in enumerate(self.types)}
        self.cols: list[FloatArray] = []
        self.fixed = np.full(len(self.types), np.nan)
        self.target = np.zeros(len(self.types))
        self.m = 0

    def add_column(self, coverage: FloatArray) -> None:
        """Append a panel column."""
        self.cols.append(coverage[self.types].astype(float))
        self.m += 1

    def set_target(self, t: int, value: float) -> None:
        """Make type ``t``'s (unfixed) row ``π_t − z ≥ value``."""
        self.target[self.row_of[t]] = value

    def fix(self, t: int, value: float) -> None:
        """Turn type ``t``'s row into ``π_t ≥ value``."""
        self.fixed[self.row_of[t]] = value

    def solve(self) -> LpResult:
        """Solve as ``min −z`` with ``≤`` rows; duals in the same convention as HighsMaster."""
        a = np.array(self.cols).reshape(self.m, len(self.types))
        is_fixed = ~np.isnan(self.fixed)
        # -(a_t . x) + u_t z <= -b_t
        A_ub = np.hstack([(~is_fixed).astype(float)[:, None], -a.T])
        b_ub = np.where(is_fixed, -np.nan_to_num(self.fixed), -self.target)
        A_eq = np.hstack([np.zeros((1, 1)), np.ones((1, self.m))])
        c = np.zeros(self.m + 1)
        c[0] = -1.0
        lo = np.zeros(self.m + 1)
        hi = np.full(self.m + 1, np.inf)
        lo[0] = -np.inf
        try:
            res, _ = solve_lp(self.backend, c, A_ub, b_ub, A_eq, np.array([1.0]), lo, hi,
                              stage="master LP")
        except SolverError as e:
            return LpResult(e.status, None, float("nan"), None, None, str(e))
        if res.duals_ub is None:
            return res
        # Convert to the ≥-row convention of HighsMaster: dual of a ≥ row = -(dual of ≤ row).
        return LpResult(res.status, res.x, res.objective, -res.duals_ub,
                        None if res.duals_eq is None else res.duals_eq, res.raw)


def make_pricing(backend: Backend, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
                 var_lo: FloatArray, var_hi: FloatArray) -> HighsPricing | StatelessPricing:
    """A persistent pricing model for the HiGHS backend, a stateless one otherwise."""
    if backend.name == "highs" and highspy_available():
        return HighsPricing(A, row_lo, row_hi, var_lo, var_hi)
    return StatelessPricing(backend, A, row_lo, row_hi, var_lo, var_hi)


def make_master(backend: Backend, types: IntArray) -> HighsMaster | StatelessMaster:
    """A persistent master for the HiGHS backend, a stateless one otherwise."""
    if backend.name == "highs" and highspy_available():
        return HighsMaster(types)
    return StatelessMaster(backend, types)


def check(res: LpResult | MilpResult, what: str) -> None:
    """Raise :class:`SolverError` (naming ``what``) unless ``res`` is optimal.

    Called after the model's own recovery has run, so the error is final.
    """
    if res.status is not Status.OPTIMAL or res.x is None:
        raise SolverError("not solved after recovery", res.status, res.raw, stage=what)
