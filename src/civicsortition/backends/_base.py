"""The backend protocol, result records and the library's solver status enum."""

from __future__ import annotations

from typing import Protocol

import attrs
import numpy as np

from .._typing import FloatArray
from ..errors import SolverError, Status

__all__ = ["Backend", "LpResult", "MilpResult", "SolverError", "Status"]



@attrs.frozen(eq=False)
class MilpResult:
    """Result of :meth:`Backend.milp` (a maximisation).

    ``x`` is rounded to the nearest integers for integer variables; ``bound`` is the solver's
    proven upper bound on the objective (equal to ``objective`` when solved to optimality).
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


class Backend(Protocol):
    """What an algorithm needs from a solver."""

    name: str

    def milp(self, weights: FloatArray, A: FloatArray, row_lo: FloatArray, row_hi: FloatArray,
             var_lo: FloatArray, var_hi: FloatArray, *, integer: bool = True,
             time_limit: float | None = None, presolve: bool = True) -> MilpResult:
        """Maximise ``weights @ x`` s.t. ``row_lo <= A x <= row_hi``, ``var_lo <= x <= var_hi``.

        Integer variables when ``integer``; solved to a zero relative gap. ``presolve=False``
        is the first recovery step when a solve ends in a status other than optimal.
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


def integral(x: FloatArray) -> FloatArray:
    """Round a MILP solution to the nearest integers (solvers return 0.9999999 for 1)."""
    out: FloatArray = np.rint(x)
    return out
