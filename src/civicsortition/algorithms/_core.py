r"""Shared machinery of the lottery algorithms: setup, coverage, the max-min column generation.

Notation: types ``t`` with ``n_t`` members; a column is a feasible profile ``c``; its
*coverage vector* is ``a_t = c_t / n_t`` (the probability a member of ``t`` is on a panel with
profile ``c``). A lottery ``x`` over columns gives type marginals ``π = Σ_S x_S a_S``.

The max-min stage LP over the columns generated so far (the *restricted master*) is

.. math::

    \max z \quad\text{s.t.}\quad \pi_t \ge z \;(t \in U), \quad
    \pi_t \ge f_t \;(t \in F), \quad \sum_S x_S = 1, \quad x \ge 0,

with ``U`` the unfixed and ``F`` the fixed types. Its dual is

.. math::

    \min \hat y - \sum_{t \in F} f_t y_t \quad\text{s.t.}\quad
    \sum_t y_t a_{S,t} \le \hat y \;\forall S, \quad \sum_{t \in U} y_t = 1, \quad y \ge 0.

Pricing asks for the feasible profile maximising ``Σ_t (y_t / n_t) c_t``; if its value ``v``
exceeds ``ŷ`` the profile enters, otherwise the stage is optimal. At every iteration
``v − Σ_F f_t y_t`` is a valid upper bound on the stage optimum (weak duality: ``y`` with
``ŷ := v`` is dual feasible for *all* panels), which is the certificate each result carries.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .._i18n import tr
from .._log import get_logger
from .._typing import FloatArray, IntArray
from ..backends import Backend, get_backend
from ..backends.recovery import check_solved
from ..distribution import RunDetails
from ..errors import InfeasibleError, InputError, SolverError, Status
from ..numerics import CHECK_TOL, FIX_PRICE
from ..pool import Pool
from ..program import PanelProgram
from ..quotas import Quotas
from ._master import MasterLP
from ._pricing import Pricing, make_pricing
from .feasibility import explain_infeasible, local_search

__all__ = ["STOPPED_BY", "Progress", "Run", "details", "max_min_stage", "setup"]

#: The callback ``progress(stage, iteration, value, bound)``. Returning ``False`` (not merely
#: a falsy value: ``None`` continues) asks the run to stop at its next check, as a time limit
#: does (see :meth:`Run.should_stop`).
Progress = Callable[[str, int, float, float], "bool | None"]

#: What a stopped run's message says stopped it, by :attr:`Run.stop_reason`.
STOPPED_BY = {"time limit": "stopped by the time limit",
              "cancelled": "cancelled by the progress callback"}

LOG = get_logger("algorithms")


#: At most this many consecutive heuristic-only rounds before an exact pricing solve is forced
#: (see :func:`max_min_stage`). A count, not a time budget, so that a run is deterministic:
#: the same inputs give the same columns and the same lottery on any machine.
HEURISTIC_ROUNDS = 10


@attrs.define
class Run:
    """Mutable state of one algorithm run (columns, models, counters, timing)."""

    program: PanelProgram
    backend: Backend
    tol: float
    progress: Progress | None
    max_iterations: int
    pricing: Pricing
    columns: list[IntArray] = attrs.field(factory=list)
    keys: set[bytes] = attrs.field(factory=set)
    iterations: int = 0          # exact pricing solves
    rounds: int = 0              # master solves (bounded by max_iterations)
    started: float = attrs.field(factory=time.perf_counter)
    uncovered_types: list[int] = attrs.field(factory=list)
    master: MasterLP | None = None
    phases: dict[str, float] = attrs.field(factory=dict)  # seconds per phase of the run
    deadline: float | None = None  # time.perf_counter() at which the time limit runs out
    stop_reason: str | None = None  # "time limit" or "cancelled" once the run must stop

    def should_stop(self) -> bool:
        """Whether the run must stop now: the time limit ran out or the callback cancelled.

        Checked between solves (pricing rounds, stages, peeling steps, coverage solves); a
        solve under way is not interrupted. Once true it stays true.
        """
        if (self.stop_reason is None and self.deadline is not None
                and time.perf_counter() >= self.deadline):
            self.stop_reason = "time limit"
            LOG.info("time limit reached after %.2f s", self.seconds())
        return self.stop_reason is not None

    def remaining(self) -> float | None:
        """Seconds left before the time limit (None without one; never negative)."""
        if self.deadline is None:
            return None
        return max(self.deadline - time.perf_counter(), 0.0)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Add the wall time of the ``with`` block to ``phases[name]``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def add(self, profile: IntArray) -> bool:
        """Add a column unless already present; return whether it was new."""
        key = profile.astype(np.int64).tobytes()
        if key in self.keys:
            return False
        self.keys.add(key)
        self.columns.append(profile.astype(np.int64))
        if self.master is not None:
            self.master.add_column(profile / self.program.sizes)
        return True

    def index_of(self, profile: IntArray) -> int:
        """Position of a column (which must have been added)."""
        key = profile.astype(np.int64).tobytes()
        return next(i for i, c in enumerate(self.columns) if c.tobytes() == key)

    def price(self, weights: FloatArray) -> tuple[IntArray, float]:
        """Solve the pricing problem exactly (zero gap) and count it."""
        self.iterations += 1
        res = self.pricing.solve(np.asarray(weights, dtype=float))
        if res.status is Status.INFEASIBLE:
            raise InfeasibleError("no feasible panel")
        check_solved(res, "pricing problem")
        assert res.x is not None
        return res.x.astype(np.int64), res.objective

    def heuristic(self, weights: FloatArray, threshold: float, starts: int = 4) -> int:
        """Add improving columns found by local search; return how many were added.

        Local search starts from the ``starts`` best existing columns under ``weights``; every
        distinct result whose weight exceeds ``threshold`` enters.
        """
        cols = np.array(self.columns)
        scores = cols @ weights
        added = 0
        for s in np.argsort(-scores, kind="stable")[:starts]:
            profile, v = local_search(self.program, cols[s], weights)
            if v > threshold and self.add(profile):
                added += 1
        return added

    def cover(self, candidates: npt.NDArray[np.bool_]) -> list[int]:
        """Settle which ``candidates`` are on some feasible panel; return those on none.

        Types already on a generated column are covered. For the rest: repeatedly price with
        weight 1 on every not-yet-covered candidate; each solve covers at least one new type,
        and a zero optimum proves that the remaining ones are on no feasible panel at all
        (they are added to :attr:`uncovered_types`).
        """
        uncovered = candidates.copy()
        for c in self.columns:
            uncovered &= c == 0
        with self.phase("coverage"):
            while uncovered.any():
                if self.should_stop() and self.columns:  # one panel in any case; the rest
                    return []                            # stays unsettled: active, counted
                profile, value = self.price(uncovered.astype(float))
                if value < 0.5:
                    break
                self.add(profile)
                uncovered &= profile == 0
        found = [int(t) for t in np.flatnonzero(uncovered)]
        self.uncovered_types = sorted({*self.uncovered_types, *found})
        LOG.info("coverage: %d panels, %d types on no feasible panel", len(self.columns),
                 len(self.uncovered_types))
        self.report("coverage", float(len(self.columns)), float(self.program.n_types))
        return found

    def open_master(self, types: IntArray) -> MasterLP:
        """Create the master LP over ``types`` with every column generated so far."""
        self.master = MasterLP(self.backend, types)
        for c in self.columns:
            self.master.add_column(c / self.program.sizes)
        return self.master

    def active(self) -> npt.NDArray[np.bool_]:
        """Mask of the types that are on at least one feasible panel."""
        mask = np.ones(self.program.n_types, dtype=bool)
        mask[self.uncovered_types] = False
        return mask

    def uncovered_people(self) -> tuple[int, ...]:
        """Person indices on no feasible panel (their probability is 0)."""
        return tuple(int(i) for t in self.uncovered_types for i in self.program.members[t])

    def coverage(self) -> FloatArray:
        """Columns' coverage vectors ``a`` as an (m, T) matrix."""
        return np.array(self.columns, dtype=float) / self.program.sizes

    def report(self, stage: str, value: float, bound: float) -> None:
        """Call the progress callback, if any; a ``False`` answer cancels the run."""
        if self.progress is not None:
            answer = self.progress(stage, self.iterations, value, bound)
            if answer is False and self.stop_reason is None:
                self.stop_reason = "cancelled"
                LOG.info("cancelled by the progress callback at %s", stage)

    def seconds(self) -> float:
        """Wall time since the run started."""
        return time.perf_counter() - self.started

    def phase_seconds(self) -> dict[str, float]:
        """Seconds per phase, rounded for the record."""
        return {k: round(v, 4) for k, v in self.phases.items()}


def setup(pool: Pool, quotas: Quotas, *, households: bool, backend: Backend | str | None,
          tol: float, progress: Progress | None, max_iterations: int,
          compress: bool = True, coverage: bool = True,
          time_limit: float | None = None) -> Run:
    """Formulate the program and generate columns covering every coverable type.

    Validates options, fails with an explanation if the quotas are infeasible, and generates an
    initial set of columns covering every type that is on some feasible panel (see
    :meth:`Run.cover`). With ``coverage=False`` only one feasible panel is found: the caller
    generates columns its own way and calls :meth:`Run.cover` for the types they missed
    (LEXIMIN's fast path, whose peeled profiles cover most types without a coverage MIP).

    ``time_limit`` (seconds, from the start of this call) sets :attr:`Run.deadline`; the first
    feasible panel is always looked for, and coverage stops early when the limit runs out
    (the types it has not settled stay active: they count, with probability 0 if no panel
    generated so far has them).

    Raises
    ------
    InputError
        For invalid options or quotas referring to missing categories.
    civicsortition.program.InfeasibleQuotasError
        When no panel satisfies the quotas, with a minimal relaxation.
    """
    if not (isinstance(tol, float | int) and 0 < tol < 0.01):
        raise InputError.single("bad-tolerance", "tol must be a number in (0, 0.01)",
                                value=repr(tol))
    if not isinstance(max_iterations, int) or max_iterations < 1:
        raise InputError.single("bad-max-iterations", "max_iterations must be a positive "
                                "integer", value=repr(max_iterations))
    check_time_limit(time_limit)
    if quotas.panel_size > pool.n:
        raise InputError.single("panel-larger-than-pool", tr("panel_size must not exceed the "
                                                             "pool (got {panel_size} for a pool "
                                                             "of {n})",
                                                             panel_size=quotas.panel_size,
                                                             n=pool.n),
                                value=str(quotas.panel_size))
    be = get_backend(backend)
    prog = PanelProgram.build(pool, quotas, households=households)
    if not compress:
        prog = _uncompressed(prog)
    pricing = make_pricing(be, prog.A, prog.row_lo, prog.row_hi, np.zeros(prog.n_types),
                           prog.sizes.astype(float))
    run = Run(prog, be, float(tol), progress, max_iterations, pricing)
    if time_limit is not None:
        run.deadline = run.started + float(time_limit)
    LOG.info("setup: %d people, %d types, panel size %d, %d quota rows, households %s, "
             "backend %s", pool.n, prog.n_types, prog.panel_size, prog.n_quota_rows,
             "on" if prog.households else "off", be.name)
    try:
        if coverage:
            run.cover(np.ones(prog.n_types, dtype=bool))
        else:  # one solve: a feasible panel exists (or the quotas are explained)
            profile, _ = run.price(np.ones(prog.n_types))
            run.add(profile)
    except InfeasibleError:
        from ..diagnostics import diagnose

        reasons = [str(f) for f in diagnose(pool, quotas, households=households).errors]
        raise explain_infeasible(prog, be, reasons) from None
    return run


def check_time_limit(time_limit: float | None) -> None:
    """Reject a ``time_limit`` that is not None or a non-negative number of seconds.

    Raises
    ------
    InputError
        ``bad-time-limit``.
    """
    if time_limit is None:
        return
    if (isinstance(time_limit, bool) or not isinstance(time_limit, float | int)
            or not math.isfinite(time_limit) or time_limit < 0):
        raise InputError.single("bad-time-limit", "time_limit must be None or a finite, "
                                "non-negative number of seconds", value=repr(time_limit))


def _uncompressed(prog: PanelProgram) -> PanelProgram:
    """The same program with every person a type of their own (for per-person algorithms)."""
    n = prog.pool.n
    A = np.vstack([prog.A[: 1 + prog.n_quota_rows][:, prog.type_of],
                   _household_rows_people(prog)])
    lo = np.concatenate([prog.row_lo[: 1 + prog.n_quota_rows], np.zeros(len(A) - 1 -
                                                                         prog.n_quota_rows)])
    hi = np.concatenate([prog.row_hi[: 1 + prog.n_quota_rows], np.ones(len(A) - 1 -
                                                                        prog.n_quota_rows)])
    return attrs.evolve(prog, type_of=np.arange(n, dtype=np.int64),
                        members=tuple(np.array([i]) for i in range(n)),
                        sizes=np.ones(n, dtype=np.int64), A=A, row_lo=lo, row_hi=hi)


def _household_rows_people(prog: PanelProgram) -> FloatArray:
    rows = prog.A[1 + prog.n_quota_rows:]
    if len(rows) == 0:
        return np.zeros((0, prog.pool.n))
    out: FloatArray = rows[:, prog.type_of]
    return out


@attrs.frozen
class StageResult:
    """Outcome of one max-min stage."""

    x: FloatArray
    value: float
    bound: float
    y: FloatArray
    converged: bool
    bound_prices: FloatArray | None = None  # the prices whose pricing solve gave ``bound``


def solve_master(run: Run) -> tuple[FloatArray, float, FloatArray, float]:
    """Solve the restricted master; return (x over all columns, z, y per type, ŷ)."""
    assert run.master is not None
    res = run.master.solve()
    check_solved(res, "master LP")
    assert res.x is not None
    assert res.duals_ub is not None
    assert res.duals_eq is not None
    y = np.zeros(run.program.n_types)
    y[run.master.types] = np.maximum(res.duals_ub, 0.0)
    x = np.maximum(res.x[1:], 0.0)
    return x / x.sum(), float(res.x[0]), y, -float(res.duals_eq[0])


def max_min_stage(run: Run, rhs: FloatArray, stage: str, *,
                  heuristic: bool = True, stop_at: float | None = None,
                  unfixed: npt.NDArray[np.bool_] | None = None,
                  max_exact: int | None = None) -> StageResult:
    """Column generation for one max-min stage until no column improves by more than ``tol``.

    ``rhs[t]`` is the right-hand side of type ``t``'s master row: ``f_t`` for a fixed type
    (``π_t ≥ f_t``), the target offset for an unfixed one (``π_t − z ≥ rhs_t``; 0 in plain
    max-min), 0 for inactive types. The stage bound is ``v − Σ_t rhs_t y_t``.

    Rounds alternate between cheap local-search pricing and the exact pricing problem, which
    either supplies the steepest column or proves the stage optimal: at most
    ``HEURISTIC_ROUNDS`` heuristic-only rounds run between two exact solves (a count, so runs
    are deterministic).

    With ``stop_at``, the stage also ends (converged) as soon as the master's value reaches
    it: used when the optimum is known from elsewhere and only a lottery reaching it is wanted.

    ``max_exact`` caps this stage's exact pricing solves (a count, so deterministic); a stage
    that reaches it returns ``converged=False``.

    ``unfixed`` marks the rows with a ``z`` term (default: every type in the master). The
    bound is computed from the prices *rescaled* so that the unfixed ones sum to exactly one,
    ``(v − Σ_t rhs_t y_t) / Σ_{t ∈ U} y_t``: weak duality holds for any non-negative prices,
    so the certificate does not rest on the LP's own feasibility tolerance.

    Returns the master solution, its value, the best certified upper bound found and whether
    it converged (within ``max_iterations`` master solves in total).
    """
    sizes = run.program.sizes
    if unfixed is None:
        assert run.master is not None
        unfixed = np.zeros(run.program.n_types, dtype=bool)
        unfixed[run.master.types] = True
    bound = np.inf
    best: FloatArray | None = None
    since_exact = 0
    exact = 0
    while True:
        x, z, y, yhat = solve_master(run)
        run.rounds += 1
        if stop_at is not None and z >= stop_at:
            return StageResult(x, z, bound, y, True, best)
        if run.should_stop():
            return StageResult(x, z, bound, y, False, best)
        out_of_rounds = run.rounds >= run.max_iterations
        fixed_term = float(rhs @ y)
        w = y / sizes
        if heuristic and since_exact < HEURISTIC_ROUNDS and run.heuristic(w, yhat + run.tol) > 0:
            since_exact += 1
            if out_of_rounds:
                return StageResult(x, z, bound, y, False, best)
            continue
        since_exact = 0
        if max_exact is not None and exact >= max_exact:
            return StageResult(x, z, bound, y, False, best)
        exact += 1
        profile, v = run.price(w)
        scale = float(y[unfixed].sum())
        if scale > 0 and (v - fixed_term) / scale < bound:
            bound, best = (v - fixed_term) / scale, y.copy()
        run.report(stage, z, bound)
        if v <= yhat + run.tol:
            return StageResult(x, z, bound, y, True, best)
        if not run.add(profile) or out_of_rounds:
            # A repeated column means the LP and pricing disagree beyond tolerance
            # (numerical trouble); stop honestly rather than loop.
            return StageResult(x, z, bound, y, False, best)


def types_to_fix(y: FloatArray, unfixed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The unfixed types a max-min stage with dual prices ``y`` pins at its value.

    Complementary slackness: a positive price means the type is at the stage value in every
    optimal solution. If noise leaves no price above ``FIX_PRICE`` (impossible with exact
    duals), the largest price is taken, so every stage makes progress.
    """
    newly = unfixed & (y > FIX_PRICE)
    if not newly.any():
        newly = unfixed & (y >= y[unfixed].max())
    return newly


def pad(x: FloatArray, m: int) -> FloatArray:
    """Extend column weights with zeros for columns added after the last master solve."""
    out = np.zeros(m)
    out[: len(x)] = x
    return out


def options_record(*, time_limit: float | None = None, **kwargs: Any) -> dict[str, Any]:
    """Options as recorded in the run details (JSON-friendly).

    ``time_limit`` is recorded only when one was set (records of runs without one are as
    before it existed).
    """
    if time_limit is not None:
        kwargs["time_limit"] = float(time_limit)
    return {k: (v if isinstance(v, str | int | float | bool) or v is None else repr(v))
            for k, v in kwargs.items()}


def certified_maximin_bound(run: Run, prices: FloatArray) -> float:
    """An upper bound on the maximin value from any non-negative type prices.

    One exact pricing solve: ``max_S Σ_t y_t c_{S,t} / n_t`` divided by ``Σ_t y_t`` (weak
    duality). Used to re-derive the certificate of a result from the final duals,
    independently of the tolerances of the LP that produced them. Returns ``inf`` for
    all-zero prices.
    """
    y = np.where(run.active(), np.maximum(prices, 0.0), 0.0)
    total = float(y.sum())
    if total <= 0:
        return float("inf")
    _, v = run.price(y / run.program.sizes)
    return v / total


def final_lottery(run: Run, weights: FloatArray, stage: str
                  ) -> tuple[IntArray, FloatArray]:
    """The support and probabilities of a result, re-checked exactly.

    Every profile with positive weight must satisfy the panel's integer rows exactly (counts
    within ``[0, n_t]``, every row within ``ROW_TOL``); weights are clipped at zero and must
    sum to one within solver tolerance before they are renormalised.

    Raises
    ------
    SolverError
        When the solver's output fails an exact check (naming ``stage``).
    """
    profiles = np.array(run.columns, dtype=np.int64)
    x = pad(weights, len(profiles))
    x = np.where(x > 0, x, 0.0)
    total = float(x.sum())
    if not np.isfinite(total) or abs(total - 1.0) > CHECK_TOL:
        raise SolverError("lottery weights do not sum to one", Status.ERROR,
                          f"sum {total!r}", stage=stage)
    keep = x > 0
    prog = run.program
    for c in profiles[keep]:
        problems = prog.check_profile(c)  # counts in [0, n_t], every row within ROW_TOL
        if problems:
            raise SolverError("a panel in the lottery breaks the quotas", Status.ERROR,
                              "; ".join(problems), stage=stage)
    return profiles[keep], x[keep] / total


def details(run: Run, algorithm: str, *, objective: float, bound: float, converged: bool,
            stages: int, options: dict[str, Any], message: str, extra: Mapping[str, Any],
            certificate_prices: FloatArray | None = None, iterations: int | None = None,
            seconds: float | None = None) -> RunDetails:
    """The :class:`~civicsortition.distribution.RunDetails` of a run (the one builder).

    Backend, backend version, iterations (exact pricing solves), wall time and the number of
    types are read from ``run`` unless given; ``gap`` is ``bound − objective``. The result is
    logged at INFO (figures only).
    """
    seconds = run.seconds() if seconds is None else seconds
    get_logger(f"algorithms.{algorithm}").info(
        "%s done: objective %.6g, bound %.6g, gap %.3g, converged %s, %d stages, "
        "%d pricing solves, %.2f s", algorithm, objective, bound, bound - objective, converged,
        stages, run.iterations if iterations is None else iterations, seconds)
    return RunDetails(
        algorithm=algorithm, backend=run.backend.name, backend_version=run.backend.version(),
        objective=objective, bound=bound, gap=bound - objective, converged=converged,
        iterations=run.iterations if iterations is None else iterations, stages=stages,
        seconds=seconds, n_types=run.program.n_types,
        options=options, message=message, extra=extra, certificate_prices=certificate_prices)


def stopped_message(run: Run, what: str | None) -> str:
    """The message of a run that a time limit or the progress callback stopped.

    ``what`` names the optimality not proven (None: only why and when the run stopped).
    """
    reason = STOPPED_BY.get(run.stop_reason or "", "stopped")
    text = f"{reason} after {run.seconds():.2f} s"
    return text if what is None else f"{text}: the lottery is valid but not proven {what}"


def best_over_columns(run: Run) -> FloatArray:
    """The max-min lottery over the columns generated so far: a stopped run's result.

    One master LP over the active types that some column covers (a type no column covers
    has probability 0 whatever the weights, and would make every lottery tie at 0); uniform
    weights if that LP fails. Returns weights over ``run.columns``.

    Raises
    ------
    SolverError
        With stage ``"time limit"`` if no feasible panel was found before the run stopped.
    """
    if not run.columns:
        raise SolverError("no feasible panel was found before the run stopped", Status.LIMIT,
                          run.stop_reason or "stopped", stage="time limit")
    m = len(run.columns)
    cols = np.array(run.columns)
    types = np.flatnonzero((cols > 0).any(axis=0) & run.active())
    if m == 1 or len(types) == 0:
        return np.full(m, 1.0 / m)
    master = MasterLP(run.backend, types)
    for c in run.columns:
        master.add_column(c / run.program.sizes)
    res = master.solve()
    if res.status is not Status.OPTIMAL or res.x is None:
        return np.full(m, 1.0 / m)
    x = np.maximum(res.x[1:], 0.0)
    total = float(x.sum())
    if not np.isfinite(total) or total <= 0:
        return np.full(m, 1.0 / m)
    out: FloatArray = x / total
    return out


def stopped_bound(run: Run, bound: float, prices: FloatArray | None
                  ) -> tuple[float, FloatArray | None]:
    """A stopped max-min run's certified bound: ``bound`` or the averaging bound, the smaller.

    The averaging bound ``k / N`` (``N`` the people of the active types) holds for every
    lottery, since the probabilities of the active people add up to ``k``; its certificate
    prices are the type sizes (every person the same weight ``1 / N``), which an exact pricing
    solve re-checks like any other. So a run stopped before it proved anything still states a
    finite, checkable bound.
    """
    active = run.active()
    people = float(run.program.sizes[active].sum())
    if people <= 0:
        return bound, prices
    average = run.program.panel_size / people
    if np.isfinite(bound) and bound <= average:
        return bound, prices
    return average, np.where(active, run.program.sizes, 0).astype(float)
