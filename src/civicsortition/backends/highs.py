"""HiGHS in process: stateless solves through SciPy, persistent models through ``highspy``.

:class:`HighsBackend` solves :meth:`~HighsBackend.milp` and :meth:`~HighsBackend.lp` through
:func:`scipy.optimize.milp` and :func:`scipy.optimize.linprog`, and offers native persistent
models (:class:`HighsModel`, the persistent-model capability) when ``highspy`` -- the HiGHS
binding PuLP also uses -- is installed. SciPy and highspy are imported on first use.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray, IntArray
from ..errors import Status
from ._base import LoggedSolves, LpResult, MilpResult, ModelResult, log_solve

__all__ = ["FEASIBILITY_HEURISTICS_OFF", "HighsBackend", "HighsModel", "highspy_available"]

# scipy's status codes for milp and linprog(method="highs") -> ours.
_STATUS = {
    0: Status.OPTIMAL,
    1: Status.LIMIT,       # iteration, node or time limit
    2: Status.INFEASIBLE,
    3: Status.UNBOUNDED,
    4: Status.ERROR,       # numerical difficulties / other
}


# Our method names -> scipy's HiGHS variants.
_LP_METHOD = {"auto": "highs", "simplex": "highs-ds", "ipm": "highs-ipm"}

#: HiGHS root heuristics switched off for gap-limited (feasibility-like) solves: on the
#: peeling face problems they cost more than they save (sf_a shape: 63 ms -> 26 ms per solve,
#: same profiles). Exact solves keep HiGHS' defaults.
FEASIBILITY_HEURISTICS_OFF = ("mip_heuristic_run_root_reduced_cost",
                              "mip_heuristic_run_feasibility_jump",
                              "mip_heuristic_run_zi_round", "mip_heuristic_run_shifting")


class HighsBackend(LoggedSolves):
    """HiGHS through scipy (``mip_rel_gap = 0``: pricing solves are proven optimal).

    Natively persistent (see :meth:`persistent_model`) when ``highspy`` is installed.
    """

    name = "highs"

    def _milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
              var_lo: FloatArray, var_hi: FloatArray, *,
              integer: bool | npt.NDArray[np.bool_], time_limit: float | None,
              node_limit: int | None, presolve: bool) -> MilpResult:
        from scipy import optimize

        n = len(weights)
        mask = np.broadcast_to(np.asarray(integer, dtype=bool), (n,))
        options: dict[str, object] = {"mip_rel_gap": 0.0, "presolve": presolve}
        if time_limit is not None:
            options["time_limit"] = time_limit
        if node_limit is not None:
            options["node_limit"] = int(node_limit)
        res = optimize.milp(
            -np.asarray(weights, dtype=float),
            integrality=mask.astype(float),
            bounds=optimize.Bounds(var_lo, var_hi),
            constraints=[optimize.LinearConstraint(A, row_lo, row_hi)] if len(A) else [],
            options=options)
        status = _STATUS.get(res.status, Status.ERROR)
        raw = f"scipy.milp status {res.status}: {res.message}"
        if status is Status.ERROR and res.x is not None and "limit reached" in str(res.message):
            # scipy reports HiGHS limits it does not know (e.g. status 16, "Solution limit
            # reached", which a node limit can end in) as status 4; the incumbent is valid.
            status = Status.LIMIT
        if status not in (Status.OPTIMAL, Status.LIMIT) or res.x is None:
            return MilpResult(status, None, float("nan"), float("nan"), raw)
        x = np.asarray(res.x, dtype=float).copy()
        x[mask] = np.rint(x[mask])
        dual = getattr(res, "mip_dual_bound", None)
        bound = -float(dual) if dual is not None and np.isfinite(dual) else -float(res.fun)
        return MilpResult(status, x, -float(res.fun), max(bound, -float(res.fun)), raw)

    def _lp(self, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
            A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray,
            hi: FloatArray, *, presolve: bool, method: str) -> LpResult:
        from scipy import optimize

        res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                               bounds=np.column_stack([lo, hi]), method=_LP_METHOD[method],
                               options={"presolve": presolve})
        status = _STATUS.get(res.status, Status.ERROR)
        raw = f"scipy.linprog status {res.status}: {res.message}"
        if status is not Status.OPTIMAL:
            return LpResult(status, None, float("nan"), None, None, raw)
        duals_ub = np.asarray(res.ineqlin.marginals, dtype=float) if A_ub is not None else None
        duals_eq = np.asarray(res.eqlin.marginals, dtype=float) if A_eq is not None else None
        return LpResult(status, np.asarray(res.x, dtype=float), float(res.fun), duals_ub,
                        duals_eq, raw)

    def persistent_model(self, *, warm_start: bool = False) -> HighsModel | None:
        """A native HiGHS model (see :class:`HighsModel`), or None without ``highspy``."""
        if not highspy_available():
            return None
        return HighsModel(warm_start=warm_start)

    def version(self) -> str:
        """HiGHS with the versions of the bindings in use (highspy models, scipy calls)."""
        import scipy

        try:
            from importlib.metadata import version

            hp = f"highspy {version('highspy')} and "
        except Exception:  # highspy absent: every solve goes through scipy
            hp = ""
        return f"HiGHS via {hp}scipy {scipy.__version__}"


def highspy_available() -> bool:
    """Whether the ``highspy`` package can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


_BANNER_SILENCED = False


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


def _csc(A: FloatArray) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], FloatArray]:
    """Column-wise sparse arrays (starts, row indices, values) of a dense matrix."""
    m = np.asarray(A, dtype=float)
    cols, rows = np.nonzero(m.T)  # column-major order, rows ascending within each column
    starts = np.searchsorted(cols, np.arange(m.shape[1])).astype(np.int32)
    return starts, rows.astype(np.int32), m[rows, cols].astype(float)


_NO_INT = np.zeros(0, dtype=np.int32)

# Recovery ladders: (option, value, value restored afterwards, label in the status text).
_MIP_LADDER: tuple[tuple[str, object, object, str], ...] = (
    ("presolve", "off", "choose", "presolve off"),)
# A warm-started LP: from scratch with the dual simplex, then interior point with crossover.
_WARM_LP_LADDER: tuple[tuple[str, object, object, str], ...] = (
    ("simplex_strategy", 1, 4, "simplex_strategy=1"), ("solver", "ipm", "choose", "solver=ipm"))
_COLD_LP_LADDER: tuple[tuple[str, object, object, str], ...] = (
    ("presolve", "off", "choose", "presolve off"), ("solver", "ipm", "choose", "solver=ipm"))


class HighsModel:
    """A native, warm-started HiGHS model (the persistent-model capability, natively).

    Parameters
    ----------
    warm_start : bool
        Tune for re-solving after every small change: presolve off (it would discard the basis
        between solves) and the primal simplex (appending columns keeps the basis primal
        feasible; measured: half the time of HiGHS' default dual simplex on the degenerate
        master LP).

    Integer columns make it a MIP solved to a zero gap (``mip_rel_gap = 0``,
    ``mip_abs_gap = 1e-12``) unless :meth:`solve` is given one. See
    :class:`~civicsortition.backends.PersistentModel` for the methods.
    """

    warm = True

    def __init__(self, *, warm_start: bool = False) -> None:
        self.h = _new_highs()
        self._warm_start = warm_start
        if warm_start:
            self.h.setOptionValue("presolve", "off")
            self.h.setOptionValue("simplex_strategy", 4)
        self._cost = np.zeros(0)
        self._integer = np.zeros(0, dtype=bool)
        self._rows = 0
        self._maximize = False

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self._rows

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self._cost)

    def add_rows(self, lo: FloatArray, hi: FloatArray) -> None:
        """See :meth:`PersistentModel.add_rows`."""
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        self.h.addRows(len(lo), lo, hi, 0, _NO_INT, _NO_INT, np.zeros(0))
        self._rows += len(lo)

    def add_columns(self, cost: FloatArray, lo: FloatArray, hi: FloatArray,
                    coefficients: FloatArray, *, integer: bool = False) -> None:
        """See :meth:`PersistentModel.add_columns`."""
        import highspy

        cost = np.asarray(cost, dtype=float)
        k, first = len(cost), self.n_cols
        starts, idx, vals = _csc(np.asarray(coefficients, dtype=float).reshape(self._rows, k))
        self.h.addCols(k, cost, np.asarray(lo, dtype=float), np.asarray(hi, dtype=float),
                       len(vals), starts, idx, vals)
        self._cost = np.concatenate([self._cost, cost])
        self._integer = np.concatenate([self._integer, np.full(k, integer)])
        if integer:
            if not self._integer[:first].any():  # the first integer columns: a MIP, exactly
                self.h.setOptionValue("mip_rel_gap", 0.0)
                self.h.setOptionValue("mip_abs_gap", 1e-12)
            self.h.changeColsIntegrality(k, np.arange(first, first + k, dtype=np.int32),
                                         np.array([highspy.HighsVarType.kInteger] * k))

    def set_costs(self, cols: IntArray, cost: FloatArray) -> None:
        """See :meth:`PersistentModel.set_costs`."""
        cols = np.asarray(cols, dtype=np.int32)
        cost = np.asarray(cost, dtype=float)
        self.h.changeColsCost(len(cols), cols, cost)
        self._cost[cols] = cost

    def set_col_bounds(self, cols: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        """See :meth:`PersistentModel.set_col_bounds`."""
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsBounds(len(cols), cols, np.asarray(lo, float), np.asarray(hi, float))

    def set_row_bounds(self, rows: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        """See :meth:`PersistentModel.set_row_bounds`."""
        rows = np.asarray(rows, dtype=np.int32)
        self.h.changeRowsBounds(len(rows), rows, np.asarray(lo, float), np.asarray(hi, float))

    def set_coefficient(self, row: int, col: int, value: float) -> None:
        """See :meth:`PersistentModel.set_coefficient`."""
        self.h.changeCoeff(int(row), int(col), float(value))

    def set_maximize(self, maximize: bool) -> None:
        """See :meth:`PersistentModel.set_maximize`."""
        import highspy

        self._maximize = bool(maximize)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize
                                    else highspy.ObjSense.kMinimize)

    def solve(self, *, gap: float = 0.0, recover: bool = True) -> ModelResult:
        """See :meth:`PersistentModel.solve`.

        Recovery re-solves from scratch (the basis discarded): a MIP with presolve off; a
        warm-started LP with the dual simplex, then by interior point with crossover; another
        LP with presolve off, then by interior point. Options are restored afterwards. A
        ``gap`` above zero also switches off the root heuristics of
        :data:`FEASIBILITY_HEURISTICS_OFF` for this solve.
        """
        started = time.perf_counter()
        res = self._solve(gap, recover)
        log_solve("highs", "model MIP" if self._integer.any() else "model LP", self.n_rows,
                  self.n_cols, res.status, started)
        return res

    def _solve(self, gap: float, recover: bool) -> ModelResult:
        h = self.h
        mip = bool(self._integer.any())
        saved: dict[str, object] = {}
        if mip:
            h.setOptionValue("mip_rel_gap", float(gap))
            if gap > 0:
                saved = {name: h.getOptionValue(name)[1] for name in FEASIBILITY_HEURISTICS_OFF}
                for name in saved:
                    h.setOptionValue(name, False)
        try:
            h.run()
            status, raw = _status(h)
            ladder = (_MIP_LADDER if mip else _WARM_LP_LADDER if self._warm_start
                      else _COLD_LP_LADDER)
            for option, value, restore, label in ladder if recover else ():
                if status is Status.OPTIMAL:
                    break
                h.clearSolver()
                h.setOptionValue(option, value)
                try:
                    h.run()
                finally:
                    h.setOptionValue(option, restore)
                status, again = _status(h)
                raw = f"{raw}; {label}: {again}"
        finally:
            if mip:
                h.setOptionValue("mip_rel_gap", 0.0)
                for name, old in saved.items():
                    h.setOptionValue(name, old)
        if status is not Status.OPTIMAL:
            return ModelResult(status, None, float("nan"), float("nan"), None, raw)
        sol = h.getSolution()
        x = np.array(sol.col_value, dtype=float)
        if mip:
            x[self._integer] = np.rint(x[self._integer])
            obj = float(np.dot(self._cost, x))
            info = h.getInfo()
            bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else obj
            bound = max(bound, obj) if self._maximize else min(bound, obj)
            return ModelResult(status, x, obj, bound, None, raw)
        obj = float(h.getInfo().objective_function_value)
        return ModelResult(status, x, obj, obj, np.array(sol.row_dual, dtype=float), raw)
