"""The persistent-model capability: native where a backend has it, emulated everywhere else.

Column generation solves hundreds of closely related problems: pricing MIPs that differ only
in their objective, and master LPs that differ by one column or one row bound. Building each
from scratch costs more than solving it; a model kept alive, changed only where it changed,
lets the simplex warm-start. :func:`open_model` asks the backend for a native model
(:class:`~civicsortition.backends.SupportsPersistentModel`; HiGHS through ``highspy``) and
otherwise returns an :class:`EmulatedModel`, which keeps the problem as arrays and rebuilds it
for every solve through the backend's stateless :meth:`~Backend.milp` and :meth:`~Backend.lp`.
The algorithms are written once, on the capability (:mod:`civicsortition.algorithms._master`,
:mod:`civicsortition.algorithms._pricing`).
"""

from __future__ import annotations

import numpy as np

from .._deprecated import moved_names
from .._typing import FloatArray, IntArray
from ..errors import SolverError, Status
from ._base import Backend, ModelResult, PersistentModel, SupportsPersistentModel
from .recovery import solve_lp

__all__ = ["EmulatedModel", "open_model"]

# The pricing model and the LP dive moved to the algorithms (the master LP, written once, to
# civicsortition.algorithms._master.MasterLP); the HiGHS specifics to .highs.
__getattr__ = moved_names(__name__, {
    "make_pricing": "civicsortition.algorithms._pricing",
    "DIVE_FIX": "civicsortition.algorithms._pricing",
    "INTEGRALITY_TOL": "civicsortition.numerics",
    "highspy_available": "civicsortition.backends.highs",
    "FEASIBILITY_HEURISTICS_OFF": "civicsortition.backends.highs",
})


def open_model(backend: Backend, *, warm_start: bool = False,
               label: str = "model") -> PersistentModel:
    """A new, empty persistent model on ``backend``: its native one, or an emulated one.

    Parameters
    ----------
    backend : Backend
    warm_start : bool
        The model is re-solved after every small change (passed to a native model, which may
        tune itself for warm starts).
    label : str
        Names the model's solves in the errors of an emulated model's recovery ladder.
    """
    if isinstance(backend, SupportsPersistentModel):
        model = backend.persistent_model(warm_start=warm_start)
        if model is not None:
            return model
    return EmulatedModel(backend, label=label)


class EmulatedModel:
    """A persistent model emulated on a backend's stateless calls (any backend).

    The rows, columns and bounds are kept as arrays and the problem is rebuilt for every
    :meth:`solve`. Columns must be all continuous (an LP through :meth:`Backend.lp`, with the
    recovery ladder of :func:`~civicsortition.backends.recovery.solve_lp`) or all integer (a
    MIP through :meth:`Backend.milp`, re-solved once with presolve off on failure). An LP's
    rows go to the backend as equalities (``lo == hi``) and ``<=`` rows (``A x <= hi`` for the
    finite upper bounds, then ``−A x <= −lo`` for the finite lower ones); the duals are read
    back per row in the convention of :class:`~civicsortition.backends.ModelResult`.
    """

    warm = False

    def __init__(self, backend: Backend, *, label: str = "model") -> None:
        self.backend = backend
        self.label = label
        self._row_lo = np.zeros(0)
        self._row_hi = np.zeros(0)
        self._cols: list[FloatArray] = []   # dense columns, as long as the rows when added
        self._cost = np.zeros(0)
        self._lo = np.zeros(0)
        self._hi = np.zeros(0)
        self._integer = np.zeros(0, dtype=bool)
        self._edits: dict[tuple[int, int], float] = {}
        self._maximize = False
        self._matrix: FloatArray | None = None  # cache, dropped by every change of the matrix

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self._row_lo)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self._cost)

    def add_rows(self, lo: FloatArray, hi: FloatArray) -> None:
        """See :meth:`PersistentModel.add_rows`."""
        self._row_lo = np.concatenate([self._row_lo, np.asarray(lo, dtype=float)])
        self._row_hi = np.concatenate([self._row_hi, np.asarray(hi, dtype=float)])
        self._matrix = None

    def add_columns(self, cost: FloatArray, lo: FloatArray, hi: FloatArray,
                    coefficients: FloatArray, *, integer: bool = False) -> None:
        """See :meth:`PersistentModel.add_columns`."""
        k = len(cost)
        block = np.asarray(coefficients, dtype=float).reshape(self.n_rows, k)
        self._cols.extend(block[:, j].copy() for j in range(k))
        self._cost = np.concatenate([self._cost, np.asarray(cost, dtype=float)])
        self._lo = np.concatenate([self._lo, np.asarray(lo, dtype=float)])
        self._hi = np.concatenate([self._hi, np.asarray(hi, dtype=float)])
        self._integer = np.concatenate([self._integer, np.full(k, integer)])
        self._matrix = None

    def set_costs(self, cols: IntArray, cost: FloatArray) -> None:
        """See :meth:`PersistentModel.set_costs`."""
        self._cost[np.asarray(cols, dtype=np.int64)] = cost

    def set_col_bounds(self, cols: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        """See :meth:`PersistentModel.set_col_bounds`."""
        cols = np.asarray(cols, dtype=np.int64)
        self._lo[cols] = lo
        self._hi[cols] = hi

    def set_row_bounds(self, rows: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        """See :meth:`PersistentModel.set_row_bounds`."""
        rows = np.asarray(rows, dtype=np.int64)
        self._row_lo[rows] = lo
        self._row_hi[rows] = hi

    def set_coefficient(self, row: int, col: int, value: float) -> None:
        """See :meth:`PersistentModel.set_coefficient`."""
        self._edits[(int(row), int(col))] = float(value)
        self._matrix = None

    def set_maximize(self, maximize: bool) -> None:
        """See :meth:`PersistentModel.set_maximize`."""
        self._maximize = bool(maximize)

    def matrix(self) -> FloatArray:
        """The constraint matrix as it stands, dense ``(n_rows, n_cols)`` (do not modify)."""
        if self._matrix is None:
            A = np.zeros((self.n_rows, self.n_cols))
            for j, col in enumerate(self._cols):
                A[: len(col), j] = col
            for (r, j), value in self._edits.items():
                A[r, j] = value
            self._matrix = A
        return self._matrix

    def solve(self, *, gap: float = 0.0, recover: bool = True) -> ModelResult:
        """See :meth:`PersistentModel.solve` (``gap`` is not passed on: solved exactly)."""
        del gap
        if self._integer.any():
            if not self._integer.all():
                raise ValueError("an emulated model is all-integer or all-continuous")
            return self._solve_mip(recover)
        return self._solve_lp(recover)

    def _solve_mip(self, recover: bool) -> ModelResult:
        sign = 1.0 if self._maximize else -1.0
        A = self.matrix()
        args = (sign * self._cost, A, self._row_lo, self._row_hi, self._lo, self._hi)
        res = self.backend.milp(*args)
        if res.status is not Status.OPTIMAL and recover:
            again = self.backend.milp(*args, presolve=False)
            if again.status is not Status.OPTIMAL:
                return ModelResult(again.status, None, float("nan"), float("nan"), None,
                                   f"{res.raw}; presolve off: {again.raw}")
            res = again
        if res.status is not Status.OPTIMAL or res.x is None:
            return ModelResult(res.status, None, float("nan"), float("nan"), None, res.raw)
        return ModelResult(res.status, res.x, sign * res.objective, sign * res.bound, None,
                           res.raw)

    def _solve_lp(self, recover: bool) -> ModelResult:
        sign = -1.0 if self._maximize else 1.0   # the backend minimises
        A = self.matrix()
        lo, hi = self._row_lo, self._row_hi
        eq = lo == hi
        upper = np.flatnonzero(~eq & np.isfinite(hi))
        lower = np.flatnonzero(~eq & np.isfinite(lo))
        equal = np.flatnonzero(eq)
        A_ub = np.vstack([A[upper], -A[lower]]) if len(upper) + len(lower) else None
        b_ub = np.concatenate([hi[upper], -lo[lower]]) if A_ub is not None else None
        A_eq = A[equal] if len(equal) else None
        b_eq = lo[equal] if len(equal) else None
        c = sign * self._cost
        if recover:
            try:
                res, _ = solve_lp(self.backend, c, A_ub, b_ub, A_eq, b_eq, self._lo, self._hi,
                                  stage=self.label)
            except SolverError as e:
                return ModelResult(e.status, None, float("nan"), float("nan"), None, str(e))
        else:
            res = self.backend.lp(c, A_ub, b_ub, A_eq, b_eq, self._lo, self._hi)
        if res.status is not Status.OPTIMAL or res.x is None:
            return ModelResult(res.status, None, float("nan"), float("nan"), None, res.raw)
        duals: FloatArray | None = None
        if (A_ub is None or res.duals_ub is not None) and (A_eq is None
                                                          or res.duals_eq is not None):
            duals = np.zeros(self.n_rows)
            if res.duals_ub is not None:
                duals[upper] += res.duals_ub[: len(upper)]
                duals[lower] -= res.duals_ub[len(upper):]
            if res.duals_eq is not None:
                duals[equal] = res.duals_eq
            duals = sign * duals
        return ModelResult(res.status, res.x, sign * res.objective, sign * res.objective,
                           duals, res.raw)
