"""Solver backends: thin adapters that solve the library's LPs and MILPs given as arrays.

Two backends ship: ``"highs"`` (default; HiGHS in process through :mod:`scipy.optimize`) and
``"pulp"`` (any solver PuLP drives: CBC, HiGHS, Gurobi, CPLEX, ...). Each maps its solver's
statuses to :class:`Status` through one explicit table and checks the status of every solve.
"""

from __future__ import annotations

from ._base import Backend, LpResult, MilpResult, SolverError, Status
from .highs import HighsBackend
from .pulp_backend import PulpBackend

__all__ = ["BACKENDS", "Backend", "HighsBackend", "LpResult", "MilpResult", "PulpBackend",
           "SolverError", "Status", "get_backend"]

#: Registered backend ids.
BACKENDS = ("highs", "pulp")


def get_backend(backend: str | Backend | None = None) -> Backend:
    """Resolve a backend id (``"highs"``, ``"pulp"`` or ``"pulp:SOLVER_NAME"``) or instance.

    ``None`` means the default, ``"highs"``.
    """
    if backend is None or backend == "highs":
        return HighsBackend()
    if isinstance(backend, str):
        if backend == "pulp":
            return PulpBackend()
        if backend.startswith("pulp:"):
            return PulpBackend(solver=backend.split(":", 1)[1])
        from ..errors import InputError

        raise InputError.single("unknown-backend", "unknown backend; expected 'highs', 'pulp' "
                                "or 'pulp:SOLVER' (e.g. 'pulp:PULP_CBC_CMD')", value=backend)
    return backend
