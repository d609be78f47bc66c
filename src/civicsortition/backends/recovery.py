"""Recovery from solver trouble: the same problem re-solved in ways that do not share a failure.

A solve that ends *infeasible*, *unbounded* or in *numerical trouble* on a problem the
algorithm knows to be feasible and bounded (every LP the engine writes has a known feasible
point and bounded variables) is not believed on the first answer. HiGHS' presolve, in
particular, tightens bounds with its own tolerances and can declare a problem infeasible that
the simplex method, started from scratch, solves (measured on the regression pool
``relaxed_stage_infeasible``). The ladder, in order:

1. the solver's defaults;
2. presolve off;
3. presolve off, interior-point method (HiGHS; a different algorithm with a different path
   through the numerics).

Only when every rung fails does :func:`solve_lp` raise :class:`SolverError`, naming the stage
and every attempt with its status.
"""

from __future__ import annotations

from .._typing import FloatArray
from ..errors import SolverError, Status
from ._base import Backend, LpResult, MilpResult, ModelResult

__all__ = ["LP_LADDER", "check_solved", "solve_lp"]

#: The recovery ladder for stateless LP solves: (label, keyword options of Backend.lp).
LP_LADDER: tuple[tuple[str, dict[str, object]], ...] = (
    ("defaults", {}),
    ("presolve off", {"presolve": False}),
    ("presolve off, interior point", {"presolve": False, "method": "ipm"}),
)


def solve_lp(backend: Backend, c: FloatArray, A_ub: FloatArray | None, b_ub: FloatArray | None,
             A_eq: FloatArray | None, b_eq: FloatArray | None, lo: FloatArray, hi: FloatArray,
             *, stage: str) -> tuple[LpResult, tuple[str, ...]]:
    """Solve an LP that is known to be feasible and bounded, climbing the recovery ladder.

    Returns
    -------
    result : LpResult
        The first optimal result (with primal values and duals).
    attempts : tuple of str
        The failed attempts before it (empty when the first solve succeeded).

    Raises
    ------
    SolverError
        When every rung of :data:`LP_LADDER` fails; ``stage`` and the attempts are recorded.
    """
    attempts: list[str] = []
    last: LpResult | None = None
    for label, options in LP_LADDER:
        res = backend.lp(c, A_ub, b_ub, A_eq, b_eq, lo, hi, **options)  # type: ignore[arg-type]
        if res.status is Status.OPTIMAL and res.x is not None:
            return res, tuple(attempts)
        attempts.append(f"{label}: {res.status.value}")
        last = res
    assert last is not None
    raise SolverError("LP not solved after recovery", last.status, last.raw, stage=stage,
                      attempts=tuple(attempts))


def check_solved(res: LpResult | MilpResult | ModelResult, what: str) -> None:
    """Raise :class:`SolverError` (naming ``what``) unless ``res`` is optimal.

    Called after the model's own recovery has run, so the error is final.
    """
    if res.status is not Status.OPTIMAL or res.x is None:
        raise SolverError("not solved after recovery", res.status, res.raw, stage=what)
