"""HiGHS in process through :func:`scipy.optimize.milp` and :func:`scipy.optimize.linprog`."""

from __future__ import annotations

import numpy as np
import scipy
from scipy import optimize

from .._typing import FloatArray
from ..errors import Status
from ._base import LpResult, MilpResult, integral

__all__ = ["HighsBackend"]

# scipy's status codes for milp and linprog(method="highs") -> ours.
_STATUS = {
    0: Status.OPTIMAL,
    1: Status.LIMIT,       # iteration or time limit
    2: Status.INFEASIBLE,
    3: Status.UNBOUNDED,
    4: Status.ERROR,       # numerical difficulties / other
}


# Our method names -> scipy's HiGHS variants.
_LP_METHOD = {"auto": "highs", "simplex": "highs-ds", "ipm": "highs-ipm"}


class HighsBackend:
    """HiGHS through scipy (``mip_rel_gap = 0``: pricing solves are proven optimal)."""

    name = "highs"

    def milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
             var_lo: FloatArray, var_hi: FloatArray, *, integer: bool = True,
             time_limit: float | None = None, presolve: bool = True) -> MilpResult:
        """See :meth:`Backend.milp`."""
        options: dict[str, object] = {"mip_rel_gap": 0.0, "presolve": presolve}
        if time_limit is not None:
            options["time_limit"] = time_limit
        res = optimize.milp(
            -np.asarray(weights, dtype=float),
            integrality=np.ones(len(weights)) if integer else np.zeros(len(weights)),
            bounds=optimize.Bounds(var_lo, var_hi),
            constraints=[optimize.LinearConstraint(A, row_lo, row_hi)] if len(A) else [],
            options=options)
        status = _STATUS.get(res.status, Status.ERROR)
        raw = f"scipy.milp status {res.status}: {res.message}"
        if status is not Status.OPTIMAL or res.x is None:
            return MilpResult(status, None, float("nan"), float("nan"), raw)
        x = integral(res.x) if integer else np.asarray(res.x, dtype=float)
        dual = getattr(res, "mip_dual_bound", None)
        bound = -float(dual) if dual is not None and np.isfinite(dual) else -float(res.fun)
        return MilpResult(status, x, -float(res.fun), max(bound, -float(res.fun)), raw)

    def lp(self, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
           A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray,
           hi: FloatArray, *, presolve: bool = True, method: str = "auto") -> LpResult:
        """See :meth:`Backend.lp`."""
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

    def version(self) -> str:
        """HiGHS with the versions of the bindings in use (highspy models, scipy calls)."""
        try:
            from importlib.metadata import version

            hp = f"highspy {version('highspy')} and "
        except Exception:  # highspy absent: every solve goes through scipy
            hp = ""
        return f"HiGHS via {hp}scipy {scipy.__version__}"
