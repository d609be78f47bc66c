"""Every tolerance the engine shares, with the reason for its value, in one place.

The numbers are chosen against the solvers' own tolerances, so that no stage asks a later
solve for more precision than the earlier one delivered. HiGHS (and CBC) accept a point as
feasible when every row and bound holds to ``1e-7`` (HiGHS ``primal_feasibility_tolerance``
and ``dual_feasibility_tolerance``, absolute, on our O(1) data). Everything below is stated
relative to that figure:

================================  =======  ================================================
name                              value    what it governs
================================  =======  ================================================
``SOLVER_FEASIBILITY``            1e-7     what a solver's "feasible" means (not ours to set)
``DEFAULT_TOL``                   1e-7     certified optimality gap of max-min stages
``FIX_SLACK``                     1e-9     slack below the *returned* value of a fixed type
``FIX_SLACK_LADDER``              ...      larger slacks tried when a stage LP still fails
``FIX_PRICE``                     1e-6     a dual price above this fixes a LEXIMIN type
``CHECK_TOL``                     1e-6     invariant checks on probabilities and marginals
``COMPARE_TOL``                   1e-6     two certified figures closer than this are equal
``ROW_TOL``                       1e-9     integer rows (counts of people) checked exactly
``INTEGRALITY_TOL``               1e-9     an LP value this close to an integer is one
``FACE_TOL``                      1e-7     a bound or row counts as tight (peeling's faces)
``RELAXED_FEASIBLE``              1e-9     the relaxed Nash optimum is feasible (seats)
``DEFAULT_NASH_TOL``              1e-9     certified gap of NASH, in welfare units (Σ log π)
================================  =======  ================================================

The policy in words:

* **What a stage fixes.** A LEXIMIN stage fixes a type at the value *the solver returned for
  it* (``min(stage value, π_t)``), less ``FIX_SLACK``, never at the nominal stage value: the
  returned point then satisfies every fixed row exactly and every other row to the solver's
  own tolerance, so the next stage's LP contains a point the solver accepts. If the solver
  still reports trouble, the recovery ladder (see
  :func:`civicsortition.backends.recovery.solve_lp`) re-solves without presolve and with the
  interior-point method, and only then widens the slack along ``FIX_SLACK_LADDER``, which
  stops at ``SOLVER_FEASIBILITY`` -- a wider slack could lower a fixed person's chance by more
  than the certificate promises.
* **What a check accepts.** ``CHECK_TOL`` is ten solver tolerances: a lottery read back from
  an LP satisfies its rows to ``1e-7``; summing ``T`` such rows in a marginal adds rounding.
* **What a comparison treats as equal.** Two algorithms each certified to ``DEFAULT_TOL``
  may report minimums ``2 · DEFAULT_TOL`` apart, plus the check noise: ``COMPARE_TOL``.
* **What a certificate promises.** The reported gap is ``bound − minimum`` with the minimum
  recomputed from the final lottery and the bound recomputed from the final dual prices by an
  exact pricing solve (weak duality holds for *any* non-negative prices), so it is the honest
  end-to-end figure, not the last LP's opinion of itself.
"""

from __future__ import annotations

__all__ = ["CHECK_TOL", "COMPARE_TOL", "DEFAULT_NASH_TOL", "DEFAULT_TOL", "FACE_TOL",
           "FIX_PRICE", "FIX_SLACK", "FIX_SLACK_LADDER", "INTEGRALITY_TOL", "RELAXED_FEASIBLE",
           "ROW_TOL", "SOLVER_FEASIBILITY"]

#: HiGHS' default primal and dual feasibility tolerances (absolute). Not set by us: every
#: other figure is chosen so as never to ask a solver for more than this.
SOLVER_FEASIBILITY = 1e-7

#: Default optimality tolerance of max-min stages, in probability units: a stage stops when
#: no panel improves the dual objective by more than this. A 1e-7 change in a selection
#: chance is invisible to anyone, and equals the solver's feasibility tolerance, so asking for
#: less would be asking for noise.
DEFAULT_TOL = SOLVER_FEASIBILITY

#: Slack below a fixed type's *returned* value in later LEXIMIN stages. The returned point
#: meets its fixed rows exactly, so this only has to absorb floating-point rounding of the
#: bound itself; far below the certificate's 1e-7.
FIX_SLACK = 1e-9

#: Slacks tried in turn when a stage LP is still reported infeasible after re-solving without
#: presolve and by interior point. Ends at the solver's own tolerance: beyond it a fixed type
#: could lose more than the certified ``DEFAULT_TOL``.
FIX_SLACK_LADDER = (FIX_SLACK, 1e-8, SOLVER_FEASIBILITY)

#: LEXIMIN fixes a type when its dual price exceeds this. Prices of unfixed types sum to 1, so
#: the largest is at least 1/T; a price this small is solver noise, and not fixing on noise only
#: costs an extra stage, whereas fixing on noise would cap a person's probability too low.
FIX_PRICE = 1e-6

#: Tolerance of the invariant checks on probabilities (sum to one, marginals in [0, 1] and
#: summing to k, claimed marginals against recomputed ones): ten solver tolerances.
CHECK_TOL = 10 * SOLVER_FEASIBILITY

#: Two certified figures (e.g. two algorithms' minimum probabilities) closer than this are the
#: same: each may be off by DEFAULT_TOL, and the checks add rounding.
COMPARE_TOL = 10 * DEFAULT_TOL

#: Rows that count people (quota rows, panel size, household rows) hold integers; a profile is
#: checked against them with only floating-point rounding allowed.
ROW_TOL = 1e-9

#: LP values this close to an integer count as integral (the LP dive of the face problems, the
#: rounding before the repair). Below the solver's feasibility tolerance, since a vertex of a
#: 0/1 program comes back integral up to rounding; any error is caught by the exact checks that
#: every profile passes afterwards (``ROW_TOL``).
INTEGRALITY_TOL = 1e-9

#: Peeling (:mod:`civicsortition.algorithms.decompose`) treats a bound or quota row as tight
#: when the current target is this close to it, in expected seats: the target is read back
#: from LPs feasible to ``SOLVER_FEASIBILITY``, so nearer than that is "on the face". Also the
#: smallest change per unit step that counts as movement along the ray.
FACE_TOL = SOLVER_FEASIBILITY

#: The relaxed Nash optimum is peeled only if it violates no row by more than this (in seats):
#: it is computed by Newton's method to rounding error, so a larger violation means the dual
#: did not converge and its point is no mean of any lottery.
RELAXED_FEASIBLE = 1e-9

#: Default certified gap of NASH in welfare units (Σ log π). The welfare is flat near its
#: optimum, so the error of each marginal is of order π·sqrt(gap/N): 1e-9 keeps marginals
#: within ~1e-5, comparable to the max-min algorithms' ``DEFAULT_TOL`` in probability units.
DEFAULT_NASH_TOL = 1e-9
