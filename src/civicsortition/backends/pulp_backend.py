"""PuLP adapter: CBC, HiGHS or any other solver PuLP drives, chosen by PuLP's solver name."""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .._typing import FloatArray
from ..errors import SolverError, Status
from ._base import LoggedSolves, LpResult, MilpResult, integral

__all__ = ["PulpBackend"]

# PuLP's LpStatus codes -> ours. PuLP reports "Not Solved" (0) when a limit stopped the solver.
_STATUS = {1: Status.OPTIMAL, 0: Status.LIMIT, -1: Status.INFEASIBLE, -2: Status.UNBOUNDED,
           -3: Status.ERROR}

# Tried in order when no solver is named: CBC first (the point of this backend), then HiGHS.
# COIN_CMD is CBC found on PATH, beside the interpreter, or from the `cbcbox` package
# (`pip install "civicsortition[cbc]"`); PULP_CBC_CMD is the CBC binary bundled with PuLP < 4.
_PREFERRED = ("COIN_CMD", "PULP_CBC_CMD", "HiGHS", "HiGHS_CMD")


def _cbc_path() -> str | None:
    """Locate a CBC executable without running it."""
    found = shutil.which("cbc") or shutil.which("cbc", path=str(Path(sys.executable).parent))
    if found:
        return found
    try:
        import cbcbox
    except ImportError:
        return None
    candidate = Path(cbcbox.__file__).parent / "cbc_dist" / "bin" / "cbc"
    return str(candidate) if candidate.exists() else None


def _available() -> list[str]:
    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        names = list(pulp.listSolvers(onlyAvailable=True))
    if _cbc_path() is not None and "COIN_CMD" not in names:
        names.append("COIN_CMD")
    return names


def _finite(v: float) -> float | None:
    """A bound for PuLP (None: unbounded)."""
    return float(v) if np.isfinite(v) else None


def _var(prob: Any, name: str, lo: float | None, hi: float | None, cat: str) -> Any:
    """A variable attached to ``prob`` (PuLP >= 3.3 API, falling back to the older one)."""
    import pulp

    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, lowBound=lo, upBound=hi, cat=cat)
    return pulp.LpVariable(name, lowBound=lo, upBound=hi, cat=cat)


class PulpBackend(LoggedSolves):
    """Solve through PuLP with the named solver (default: CBC if available, else HiGHS).

    Parameters
    ----------
    solver : str, optional
        A PuLP solver name, e.g. ``"PULP_CBC_CMD"``, ``"HiGHS"``, ``"GUROBI"``.

    Notes
    -----
    ``milp``'s ``node_limit`` reaches CBC (``maxNodes``); other PuLP solvers solve to
    optimality. ``lp`` reads the duals from PuLP's ``constraint.pi``; its ``method`` is not
    passed on (PuLP has no common option for it), ``presolve=False`` reaches CBC and HiGHS.
    """

    name = "pulp"

    def __init__(self, solver: str | None = None) -> None:
        available = _available()
        if solver is None:
            solver = next((s for s in _PREFERRED if s in available), None)
            if solver is None:
                raise SolverError("no PuLP solver is available", Status.ERROR, str(available))
        elif solver not in available:
            raise SolverError(f"PuLP solver {solver!r} is not available", Status.ERROR,
                              f"available: {available}")
        self.solver_name = solver

    def _solver(self, time_limit: float | None = None, presolve: bool = True,
                node_limit: int | None = None) -> Any:
        import pulp

        kwargs: dict[str, Any] = {"msg": False}
        if node_limit is not None and self.solver_name in ("PULP_CBC_CMD", "COIN_CMD"):
            kwargs["maxNodes"] = int(node_limit)
        if not presolve and self.solver_name in ("PULP_CBC_CMD", "COIN_CMD"):
            kwargs["presolve"] = False
        elif not presolve and self.solver_name in ("HiGHS",):
            kwargs["presolve"] = "off"
        if time_limit is not None:
            kwargs["timeLimit"] = time_limit
        if self.solver_name in ("PULP_CBC_CMD", "COIN_CMD", "HiGHS", "HiGHS_CMD"):
            kwargs["gapRel"] = 0.0
        if self.solver_name == "COIN_CMD":
            kwargs["path"] = _cbc_path()
        with warnings.catch_warnings():
            # PuLP 3.3 deprecates its bundled CBC (PULP_CBC_CMD); it is still the fallback
            # when no other CBC is installed.
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.getSolver(self.solver_name, **kwargs)

    def _milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
              var_lo: FloatArray, var_hi: FloatArray, *,
              integer: bool | npt.NDArray[np.bool_], time_limit: float | None,
              node_limit: int | None, presolve: bool) -> MilpResult:
        import pulp

        prob = pulp.LpProblem("civicsortition", pulp.LpMaximize)
        mask = np.broadcast_to(np.asarray(integer, dtype=bool), (len(weights),))
        xs = [_var(prob, f"x{j}", _finite(var_lo[j]), _finite(var_hi[j]),
                   pulp.LpInteger if mask[j] else pulp.LpContinuous)
              for j in range(len(weights))]
        prob += pulp.lpSum(float(w) * x for w, x in zip(weights, xs, strict=True) if w != 0)
        for i in range(len(A)):
            nz = np.flatnonzero(A[i])
            expr = pulp.lpSum(float(A[i, j]) * xs[j] for j in nz)
            if row_lo[i] == row_hi[i]:
                prob += expr == float(row_lo[i])
            else:
                if np.isfinite(row_lo[i]):
                    prob += expr >= float(row_lo[i])
                if np.isfinite(row_hi[i]):
                    prob += expr <= float(row_hi[i])
        code = prob.solve(self._solver(time_limit, presolve, node_limit))
        status = _STATUS.get(code, Status.ERROR)
        raw = f"PuLP {self.solver_name}: {pulp.LpStatus.get(code, code)}"
        # A limit that stopped the solver with a solution in hand: the incumbent, as LIMIT.
        if ((time_limit is not None or node_limit is not None)
                and status in (Status.OPTIMAL, Status.LIMIT)
                and getattr(prob, "sol_status", None) == pulp.LpSolutionIntegerFeasible):
            status, raw = Status.LIMIT, f"{raw} (a limit stopped it with a feasible solution)"
        elif status is not Status.OPTIMAL:
            return MilpResult(status, None, float("nan"), float("nan"), raw)
        x = np.array([v.value() or 0.0 for v in xs], dtype=float)
        x[mask] = integral(x[mask])
        obj = float(np.dot(weights, x))
        return MilpResult(status, x, obj, obj if status is Status.OPTIMAL else float("inf"),
                          raw)

    def _lp(self, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
            A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray,
            hi: FloatArray, *, presolve: bool, method: str) -> LpResult:
        del method  # not passed on (see the class notes)
        if A_ub is not None and not isinstance(A_ub, np.ndarray):  # scipy.sparse
            A_ub = A_ub.toarray()
        import pulp

        prob = pulp.LpProblem("civicsortition_lp", pulp.LpMinimize)
        xs = [_var(prob, f"x{j}", float(lo[j]) if np.isfinite(lo[j]) else None,
                   float(hi[j]) if np.isfinite(hi[j]) else None, pulp.LpContinuous)
              for j in range(len(c))]
        prob += pulp.lpSum(float(cj) * x for cj, x in zip(c, xs, strict=True) if cj != 0)
        ub_names: list[str] = []
        eq_names: list[str] = []
        for rows, rhs, names, sense in ((A_ub, b_ub, ub_names, "ub"), (A_eq, b_eq, eq_names,
                                                                       "eq")):
            if rows is None or rhs is None:
                continue
            for i in range(len(rows)):
                nz = np.flatnonzero(rows[i])
                expr = pulp.lpSum(float(rows[i, j]) * xs[j] for j in nz)
                name = f"{sense}{i}"
                prob += ((expr <= float(rhs[i])) if sense == "ub"
                         else (expr == float(rhs[i]))), name
                names.append(name)
        code = prob.solve(self._solver(presolve=presolve))
        status = _STATUS.get(code, Status.ERROR)
        raw = f"PuLP {self.solver_name}: {pulp.LpStatus.get(code, code)}"
        if status is not Status.OPTIMAL:
            return LpResult(status, None, float("nan"), None, None, raw)
        def pi(name: str) -> float:
            con = (prob.get_constraint_by_name(name) if hasattr(prob, "get_constraint_by_name")
                   else prob.constraints[name])
            return float(con.pi or 0.0)

        duals_ub = np.array([pi(n) for n in ub_names], dtype=float) if A_ub is not None else None
        duals_eq = np.array([pi(n) for n in eq_names], dtype=float) if A_eq is not None else None
        x = np.array([v.value() or 0.0 for v in xs], dtype=float)
        return LpResult(status, x, float(np.dot(c, x)), duals_ub, duals_eq, raw)

    def version(self) -> str:
        """PuLP's version and the solver name."""
        import pulp

        return f"{self.solver_name} via PuLP {pulp.__version__}"
