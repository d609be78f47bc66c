"""The backend protocols, result records and the library's solver status enum.

Two protocols:

* :class:`Backend` -- what every adapter offers: stateless :meth:`~Backend.milp` and
  :meth:`~Backend.lp` solves given as arrays, a ``name`` and a :meth:`~Backend.version`;
* :class:`PersistentModel` -- a solver model kept alive between solves (add rows and columns,
  change costs, bounds and coefficients, solve, read the row duals). A backend that has one
  natively offers it through :meth:`SupportsPersistentModel.persistent_model` (HiGHS, through
  ``highspy``); every other backend gets an emulated one that rebuilds the problem for each
  solve through its stateless calls (:func:`civicsortition.backends.persistent.open_model`).
"""

from __future__ import annotations

import logging
import time
from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from .._log import get_logger
from .._typing import FloatArray, IntArray
from ..errors import SolverError, Status

__all__ = [
    "Backend",
    "LoggedSolves",
    "LpResult",
    "MilpResult",
    "ModelResult",
    "PersistentModel",
    "SolverError",
    "Status",
    "SupportsPersistentModel",
    "integral",
    "log_solve",
]

#: Every solver call is logged here at DEBUG (see :func:`log_solve`).
LOG = get_logger("backends")


def log_solve(backend: str, kind: str, rows: int, cols: int, status: Status,
              started: float) -> None:
    """Log one solver call at DEBUG: backend, kind, size, status and seconds.

    Parameters
    ----------
    backend : str
        The backend's id (``"highs"``, ``"pulp"``, ...).
    kind : str
        ``"MIP"``, ``"LP"`` or, for a persistent model, ``"model MIP"`` / ``"model LP"``.
    rows, cols : int
        The problem's size.
    status : Status
        The status the call ended in.
    started : float
        :func:`time.perf_counter` when the call began.
    """
    if LOG.isEnabledFor(logging.DEBUG):
        LOG.debug("%s %s solve: %d rows x %d columns, %s, %.4f s", backend, kind, rows, cols,
                  status.value, time.perf_counter() - started)


class LoggedSolves:
    """The ``milp`` and ``lp`` of a backend: its own ``_milp``/``_lp``, timed and logged.

    A backend class inherits this and implements ``_milp`` and ``_lp`` with the same
    parameters (``_lp`` also receives ``method``); every call is then logged at DEBUG by
    :func:`log_solve` under its ``name``.
    """

    name: str

    def milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
             var_lo: FloatArray, var_hi: FloatArray, *,
             integer: bool | npt.NDArray[np.bool_] = True, time_limit: float | None = None,
             node_limit: int | None = None, presolve: bool = True) -> MilpResult:
        """See :meth:`Backend.milp`."""
        started = time.perf_counter()
        res = self._milp(weights, A, row_lo, row_hi, var_lo, var_hi, integer=integer,
                         time_limit=time_limit, node_limit=node_limit, presolve=presolve)
        log_solve(self.name, "MIP", len(A), len(weights), res.status, started)
        return res

    def lp(self, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
           A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray,
           hi: FloatArray, *, presolve: bool = True, method: str = "auto") -> LpResult:
        """See :meth:`Backend.lp`."""
        started = time.perf_counter()
        res = self._lp(c, A_ub, b_ub, A_eq, b_eq, lo, hi, presolve=presolve, method=method)
        rows = sum(0 if M is None else M.shape[0] for M in (A_ub, A_eq))
        log_solve(self.name, "LP", rows, len(c), res.status, started)
        return res

    def _milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
              var_lo: FloatArray, var_hi: FloatArray, *,
              integer: bool | npt.NDArray[np.bool_], time_limit: float | None,
              node_limit: int | None, presolve: bool) -> MilpResult:
        raise NotImplementedError

    def _lp(self, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
            A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray,
            hi: FloatArray, *, presolve: bool, method: str) -> LpResult:
        raise NotImplementedError


@attrs.frozen(eq=False)
class MilpResult:
    """Result of :meth:`Backend.milp` (a maximisation).

    ``x`` is rounded to the nearest integers for integer variables; ``bound`` is the solver's
    proven upper bound on the objective (equal to ``objective`` when solved to optimality).
    ``x`` is None unless the status is optimal, or ``LIMIT`` with a feasible solution found
    before the limit (the incumbent).
    """

    status: Status
    x: FloatArray | None
    objective: float
    bound: float
    raw: str


@attrs.frozen(eq=False)
class LpResult:
    """Result of :meth:`Backend.lp` (a minimisation) with the duals of every row.

    ``duals_ub[i]`` and ``duals_eq[j]`` are the derivatives of the optimal objective with
    respect to the right-hand sides ``b_ub[i]`` and ``b_eq[j]`` (non-positive for ``<=`` rows
    of a minimisation).
    """

    status: Status
    x: FloatArray | None
    objective: float
    duals_ub: FloatArray | None
    duals_eq: FloatArray | None
    raw: str


@attrs.frozen(eq=False)
class ModelResult:
    """Result of :meth:`PersistentModel.solve`.

    Attributes
    ----------
    status : Status
    x : ndarray or None
        Column values (integer columns rounded to the nearest integers); None unless optimal.
    objective : float
        Objective value in the model's own sense.
    bound : float
        For a model with integer columns, the solver's proven bound on the objective (an upper
        bound when maximising, never on the wrong side of ``objective``); otherwise
        ``objective``.
    duals : ndarray or None
        Per row, the derivative of the optimal objective with respect to the row's active
        bound (for a minimisation: non-negative at a lower bound, non-positive at an upper
        one). None for models with integer columns.
    raw : str
        The solver's own status text, with every recovery attempt.
    """

    status: Status
    x: FloatArray | None
    objective: float
    bound: float
    duals: FloatArray | None
    raw: str


class Backend(Protocol):
    """What an algorithm needs from a solver."""

    name: str

    def milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
             var_lo: FloatArray, var_hi: FloatArray, *,
             integer: bool | npt.NDArray[np.bool_] = True, time_limit: float | None = None,
             node_limit: int | None = None, presolve: bool = True) -> MilpResult:
        """Maximise ``weights @ x`` s.t. ``row_lo <= A x <= row_hi``, ``var_lo <= x <= var_hi``.

        ``integer`` is True (every variable integer), False (an LP), or a mask of the integer
        variables. Solved to a zero relative gap, unless a ``time_limit`` (seconds) or a
        ``node_limit`` (branch-and-bound nodes; deterministic) stops the solver first: the
        status is then ``LIMIT`` and ``x`` the best solution found, if any. A backend that
        cannot honour a node limit solves to optimality. ``presolve=False`` is the first
        recovery step when a solve ends in a status other than optimal.
        """
        ...

    def lp(self, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
           A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray,
           hi: FloatArray, *, presolve: bool = True, method: str = "auto") -> LpResult:
        """Minimise ``c @ x`` s.t. ``A_ub x <= b_ub``, ``A_eq x = b_eq``, ``lo <= x <= hi``.

        ``A_ub`` may be a ``scipy.sparse`` matrix (the relaxation's type rows are).
        ``presolve`` and ``method`` (``"auto"``, ``"simplex"`` or ``"ipm"``) are recovery
        options (see :func:`civicsortition.backends.recovery.solve_lp`); a backend that cannot
        honour one solves as it can.
        """
        ...

    def version(self) -> str:
        """Solver name and version, for the run record."""
        ...


class PersistentModel(Protocol):
    """A solver model kept alive between solves: the persistent-model capability.

    Rows are ``lo <= A x <= hi`` (``±inf`` for a missing side; ``lo == hi`` an equality);
    columns have a cost, bounds and optionally integrality. Every method changes the model in
    place; :meth:`solve` solves it as it stands. Index arguments are integer arrays.
    """

    #: Whether re-solving after a small change is cheap (a native model warm-starts from its
    #: last basis); False for an emulated model, which rebuilds the problem every time.
    warm: bool

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        ...

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        ...

    def add_rows(self, lo: FloatArray, hi: FloatArray) -> None:
        """Append rows with these bounds and no coefficients yet."""
        ...

    def add_columns(self, cost: FloatArray, lo: FloatArray, hi: FloatArray,
                    coefficients: FloatArray, *, integer: bool = False) -> None:
        """Append columns; ``coefficients`` is dense, shape ``(n_rows, len(cost))``."""
        ...

    def set_costs(self, cols: IntArray, cost: FloatArray) -> None:
        """Change the objective coefficients of ``cols``."""
        ...

    def set_col_bounds(self, cols: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        """Change the bounds of ``cols``."""
        ...

    def set_row_bounds(self, rows: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        """Change the bounds of ``rows``."""
        ...

    def set_coefficient(self, row: int, col: int, value: float) -> None:
        """Change one matrix coefficient."""
        ...

    def set_maximize(self, maximize: bool) -> None:
        """Set the objective sense (a new model minimises)."""
        ...

    def solve(self, *, gap: float = 0.0, recover: bool = True) -> ModelResult:
        """Solve the model as it stands.

        ``gap`` is the relative MIP gap to stop at (0: proven optimal; a backend without the
        option solves exactly). With ``recover``, a status other than optimal is not believed
        on the first answer: the backend re-solves in ways that do not share a failure (see
        :mod:`civicsortition.backends.recovery`) and the last answer stands.
        """
        ...


@runtime_checkable
class SupportsPersistentModel(Protocol):
    """A backend with native persistent models (the capability, asked of the backend)."""

    def persistent_model(self, *, warm_start: bool = False) -> PersistentModel | None:
        """A new, empty native model, or None if the native binding is not installed.

        ``warm_start`` announces a model that is re-solved after every small change (a
        column appended, a bound moved): the backend may then tune it for warm starts.
        """
        ...


def integral(x: FloatArray) -> FloatArray:
    """Round a MILP solution to the nearest integers (solvers return 0.9999999 for 1)."""
    out: FloatArray = np.rint(x)
    return out
