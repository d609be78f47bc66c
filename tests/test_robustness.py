"""Solver trouble: the recovery ladder, the staged fallback, certificates, CLI exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import civicsortition as cs
from civicsortition import numerics
from civicsortition.backends import HighsBackend, LpResult, SolverError, Status
from civicsortition.backends.recovery import LP_LADDER, solve_lp
from civicsortition.cli import EXIT_INTERNAL, EXIT_OK, EXIT_SOLVER, main
from civicsortition.research.corpus import torture_instance

from .test_engine import EXACT

DATA = Path(__file__).parent / "data" / "relaxed_stage_infeasible"


def regression_pool() -> tuple[cs.Pool, cs.Quotas]:
    quotas = cs.read_targets(DATA / "targets.csv", panel_size=15)
    people = cs.read_people(DATA / "people.csv", strata=quotas, id_column="person_id")
    return people.pool, quotas


def _check_leximin_optimal(dist: cs.Distribution) -> None:
    assert cs.check_distribution(dist) == []
    assert dist.details.converged
    # The certificate is honest end to end: bound recomputed from duals, minimum from the
    # final lottery.
    assert dist.details.bound >= dist.minimum - numerics.CHECK_TOL
    assert dist.details.gap <= numerics.COMPARE_TOL


@pytest.mark.parametrize("algorithm", EXACT)
def test_relaxed_stage_infeasible_pool_is_certified(algorithm: str) -> None:
    # Regression: "relaxed leximin stage LP not solved: infeasible" (HiGHS presolve on stage 6
    # after fixing at the nominal stage value).
    pool, quotas = regression_pool()
    dist = cs.find_distribution(pool, quotas, algorithm=algorithm)
    assert cs.check_distribution(dist) == []
    assert dist.details.converged
    if algorithm != "nash":
        _check_leximin_optimal(dist)


def test_regression_pool_leximin_agrees_across_methods_and_backends() -> None:
    pool, quotas = regression_pool()
    fast = cs.leximin(pool, quotas)
    staged = cs.leximin(pool, quotas, method="staged")
    pulp = cs.leximin(pool, quotas, backend="pulp")
    for other in (staged, pulp):
        _check_leximin_optimal(other)
        # LEXIMIN marginals are unique: compare them, never the panels.
        assert np.abs(np.sort(other.marginals) - np.sort(fast.marginals)).max() < 1e-6


class FlakyBackend(HighsBackend):
    """HiGHS that reports 'infeasible' for the first ``fail`` LP solves of each call chain."""

    name = "flaky"

    def __init__(self, fail_until: str) -> None:
        self.fail_until = fail_until
        self.calls: list[dict[str, Any]] = []

    def lp(self, *args: Any, presolve: bool = True, method: str = "auto") -> LpResult:
        self.calls.append({"presolve": presolve, "method": method})
        rung = {"defaults": (True, "auto"), "presolve off": (False, "auto"),
                "never": (None, None)}[self.fail_until]
        if (presolve, method) == rung or self.fail_until == "never":
            return LpResult(Status.INFEASIBLE, None, float("nan"), None, None, "forced")
        return super().lp(*args, presolve=presolve, method=method)


def _tiny_lp() -> tuple[Any, ...]:
    # min -x - y s.t. x + y <= 1, 0 <= x, y <= 1
    return (np.array([-1.0, -1.0]), np.array([[1.0, 1.0]]), np.array([1.0]), None, None,
            np.zeros(2), np.ones(2))


def test_solve_lp_climbs_the_ladder_and_records_attempts() -> None:
    be = FlakyBackend("defaults")
    res, attempts = solve_lp(be, *_tiny_lp(), stage="test stage")
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(-1.0)
    assert attempts == ("defaults: infeasible",)
    assert be.calls[1] == {"presolve": False, "method": "auto"}


def test_solve_lp_raises_structured_error_after_every_rung() -> None:
    be = FlakyBackend("never")
    with pytest.raises(SolverError) as e:
        solve_lp(be, *_tiny_lp(), stage="relaxed leximin stage 3")
    assert e.value.stage == "relaxed leximin stage 3"
    assert e.value.status is Status.INFEASIBLE
    assert len(e.value.attempts) == len(LP_LADDER)
    assert "relaxed leximin stage 3" in str(e.value)
    # It survives pickling (process pools in experiment grids) with its fields.
    import pickle

    again = pickle.loads(pickle.dumps(e.value))
    assert (again.stage, again.attempts) == (e.value.stage, e.value.attempts)


def test_leximin_falls_back_to_staged_when_relaxation_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pool, quotas = regression_pool()
    reference = cs.leximin(pool, quotas)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise SolverError("LP not solved after recovery", Status.ERROR, "forced",
                          stage="relaxed leximin stage 1")

    # The module of the LP-relaxation fast path, shared by LEXIMIN and MAXIMIN.
    monkeypatch.setattr(sys.modules["civicsortition.algorithms.fast_path"], "relaxed_leximin",
                        broken)
    dist = cs.leximin(pool, quotas)
    assert dist.details.extra["method"] == "staged"
    assert any("abandoned" in r for r in dist.details.extra["recoveries"])
    _check_leximin_optimal(dist)
    assert np.abs(np.sort(dist.marginals) - np.sort(reference.marginals)).max() < 1e-6


def test_fixing_never_asks_more_than_the_solver_delivers() -> None:
    assert numerics.FIX_SLACK_LADDER[-1] <= numerics.SOLVER_FEASIBILITY
    assert list(numerics.FIX_SLACK_LADDER) == sorted(numerics.FIX_SLACK_LADDER)
    assert numerics.COMPARE_TOL >= 2 * numerics.DEFAULT_TOL
    assert numerics.CHECK_TOL >= numerics.SOLVER_FEASIBILITY


def _select_args(tmp_path: Path) -> list[str]:
    return ["select", "--targets", str(DATA / "targets.csv"), "--people",
            str(DATA / "people.csv"), "--panel-size", "15", "--id-column", "person_id",
            "--json", str(tmp_path / "r.json")]


def test_cli_select_regression_pool(tmp_path: Path) -> None:
    assert main(_select_args(tmp_path)) == EXIT_OK


def test_cli_solver_error_is_one_line_exit_5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise SolverError("LP not solved after recovery", Status.ERROR, "numerical trouble",
                          stage="leximin stage 4", attempts=("defaults: error",))

    monkeypatch.setattr("civicsortition.cli.find_distribution", fail)
    assert main(_select_args(tmp_path)) == EXIT_SOLVER
    err = capsys.readouterr().err
    assert err.startswith("solver error: ")
    assert "leximin stage 4" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_cli_unexpected_error_hints_at_debug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("civicsortition.cli.find_distribution", boom)
    assert main(_select_args(tmp_path)) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err
    assert "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        main(["--debug", *_select_args(tmp_path)])


def test_deferred_coverage_redoes_the_relaxation_for_types_on_no_panel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Exactly one "1" per category on a 2-seat panel: only 101 + 010 works. The relaxation
    # happily gives 011, 110 and 000 a chance (011, 101 and 110 at one half each); coverage
    # must find them on no feasible panel and the relaxation be redone without them.
    from . import oracle

    rows = ["011", "101", "110", "000", "000", "000", "010"]
    pool = cs.Pool.from_records(
        [{"id": f"p{i}", "a": r[0], "b": r[1], "c": r[2]} for i, r in enumerate(rows)],
        categories=["a", "b", "c"], id_field="id")
    quotas = cs.Quotas(2, [cs.ValueQuota(cat, v, 1, 1) for cat in "abc" for v in "01"])
    module = sys.modules["civicsortition.algorithms.fast_path"]
    calls: list[int] = []
    original = module.relaxed_leximin

    def counted(prog: Any, active: Any, backend: Any) -> Any:
        calls.append(int(active.sum()))
        return original(prog, active, backend)

    monkeypatch.setattr(module, "relaxed_leximin", counted)
    for algorithm in ("leximin", "maximin"):
        calls.clear()
        dist = cs.find_distribution(pool, quotas, algorithm=algorithm)
        assert len(calls) == 2  # first over every type, then over the coverable ones
        assert calls[1] < calls[0]
        assert cs.check_distribution(dist) == []
        assert sorted(pool.ids[i] for i in dist.uncovered) == ["p0", "p2", "p3", "p4", "p5"]
        np.testing.assert_allclose(dist.marginals, oracle.leximin_marginals(pool, quotas),
                                   atol=1e-7)


def test_leximin_reports_its_phases() -> None:
    pool, quotas = regression_pool()
    dist = cs.leximin(pool, quotas)
    phases = dist.details.extra["phases"]
    assert {"relaxation", "peeling", "coverage", "decomposition", "certificate"} <= set(phases)
    assert all(v >= 0 for v in phases.values())
    assert sum(phases.values()) <= dist.details.seconds + 1e-3
    staged = cs.leximin(pool, quotas, method="staged").details.extra["phases"]
    assert "staged" in staged
    assert "peeling" not in staged


def test_nash_converges_where_the_newton_decrement_stopped_too_early() -> None:
    from . import oracle

    # Found by the Hypothesis corpus test: the polish stopped on a Newton decrement of 1e-16
    # while the Frank-Wolfe gap stayed at 1e-8 (tol 1e-9) for all 10,000 rounds.
    inst = torture_instance("independent", 8, seed=4060)
    dist = cs.nash(inst.pool, inst.quotas)
    assert dist.details.converged
    assert dist.details.gap <= 1e-9
    assert dist.details.iterations < 100
    np.testing.assert_allclose(dist.marginals, oracle.nash_marginals(inst.pool, inst.quotas,
                                                                     False), atol=2e-3)


@pytest.mark.parametrize(("family", "seed"), [("rare-forced", 2), ("extreme-k", 2),
                                              ("households", 1)])
def test_substituted_relaxation_matches_the_plain_stage_lp(family: str, seed: int) -> None:
    # The relaxation substitutes pi_t = z + s_t and caps pi_t <= 1 lazily; on these pools the
    # caps are needed (forced-in types, k close to n). Reference: the plain first-stage LP
    # max z s.t. pi in P_rel, z <= pi_t, written out here with scipy.
    from scipy import optimize

    from civicsortition.algorithms._core import setup
    from civicsortition.algorithms.relaxation import relaxed_leximin

    inst = torture_instance(family, 150, seed=seed)
    run = setup(inst.pool, inst.quotas, households=True, backend=None, tol=1e-7,
                progress=None, max_iterations=100, coverage=False)
    prog = run.program
    rel = relaxed_leximin(prog, run.active(), run.backend)
    T = prog.n_types
    B = prog.A * prog.sizes
    A_ub = np.vstack([np.hstack([B[1:], np.zeros((len(B) - 1, 1))]),
                      np.hstack([-B[1:], np.zeros((len(B) - 1, 1))]),
                      np.hstack([-np.eye(T), np.ones((T, 1))])])
    b_ub = np.concatenate([prog.row_hi[1:], -prog.row_lo[1:], np.zeros(T)])
    ref = optimize.linprog(np.r_[np.zeros(T), -1.0], A_ub=A_ub, b_ub=b_ub,
                           A_eq=np.hstack([B[:1], [[0.0]]]), b_eq=prog.row_lo[:1],
                           bounds=[(0, 1)] * T + [(None, None)], method="highs")
    assert rel.stages[0]["value"] == pytest.approx(-ref.fun, abs=1e-9)
    assert rel.pi.max() <= 1.0
    assert rel.pi.min() >= rel.stages[0]["value"] - 1e-9
    assert rel.first_prices.sum() == pytest.approx(1.0, abs=1e-7)
    # The prices certify the stage value by weak duality (one exact pricing solve).
    _, best = run.price(rel.first_prices / prog.sizes)
    assert best / rel.first_prices.sum() >= rel.stages[0]["value"] - 1e-9
    for row, (lo, hi) in enumerate(zip(prog.row_lo, prog.row_hi, strict=True)):
        assert lo - 1e-7 <= B[row] @ rel.pi <= hi + 1e-7


def test_fast_path_takes_the_peeled_lottery_or_hands_a_short_peel_to_the_master(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A complete peel certifies the relaxed vector by itself (no master LP); a peel cut short
    # leaves a deficit that the master's column generation closes. Both give the same
    # (unique) LEXIMIN marginals.
    import importlib

    from civicsortition.algorithms import decompose

    fast_path = importlib.import_module("civicsortition.algorithms.fast_path")

    from civicsortition.research.synthetic import preset

    inst = preset("rustavi_350")
    full = cs.leximin(inst.pool, inst.quotas)
    assert full.details.extra["method"] == "lp-relaxation"
    assert full.details.extra["decomposition_gap"] <= 1e-7
    assert full.details.extra["peeling"]["stop"] == "done"
    real_peel = decompose.peel
    monkeypatch.setattr(fast_path, "peel", lambda *a, **k: real_peel(*a, **k, max_steps=3))
    short = cs.leximin(inst.pool, inst.quotas)
    assert short.details.extra["peeling"]["stop"] == "max-steps"
    assert short.details.extra["method"] in ("lp-relaxation", "staged")
    for dist in (full, short):
        _check_leximin_optimal(dist)
    np.testing.assert_allclose(short.marginals, full.marginals, atol=1e-6)
