"""Embedding: logging without personal data, time limits, cancellation, the progress bar."""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Iterator

import pytest

import civicsortition as cs
from civicsortition.algorithms import ALGORITHMS, progress_bar
from civicsortition.algorithms._core import best_over_columns, setup
from civicsortition.errors import InputError, SolverError
from civicsortition.research.corpus import torture_instance
from civicsortition.verifier import verify_selection

EXACT = ("leximin", "maximin", "nash")
#: Every algorithm that runs on a pool of realistic size (the counting ones do not).
AT_SCALE = sorted(a for a, spec in ALGORITHMS.items() if not spec.small_pools_only)


class Capture(logging.Handler):
    """Keeps every record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[Capture]:
    logger = logging.getLogger("civicsortition")
    handler = Capture()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="module")
def rustavi() -> tuple[cs.Pool, cs.Quotas]:
    return cs.examples.rustavi_example()


@pytest.fixture(scope="module")
def slow() -> tuple[cs.Pool, cs.Quotas]:
    """A pool whose full runs take about a second: the fast path fails, column generation
    runs tens of rounds (so a run can be stopped in the middle)."""
    inst = torture_instance("parity", 120, seed=0)
    return inst.pool, inst.quotas


def _options(algorithm: str) -> dict[str, object]:
    return {"draws": 300, "rng": 1} if algorithm == "legacy" else {}


def _valid(pool: cs.Pool, quotas: cs.Quotas, dist: cs.Distribution) -> None:
    assert cs.check_distribution(dist) == []
    verdict = verify_selection(pool, quotas, distribution=dist)
    assert verdict.ok, [c for c in verdict.checks if not c.ok]
    verdict = verify_selection(pool, quotas, result=dist.as_dict())
    assert verdict.ok, [c for c in verdict.checks if not c.ok]


def _honest_gap(dist: cs.Distribution) -> None:
    d = dist.details
    assert math.isfinite(d.bound)
    assert d.gap >= 0
    assert d.gap == pytest.approx(d.bound - d.objective)


# ---------------------------------------------------------------------------------- logging
def test_the_package_logger_has_a_null_handler() -> None:
    import civicsortition.algorithms  # noqa: F401  (loads civicsortition._log)

    handlers = logging.getLogger("civicsortition").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_stages_at_info_and_solver_calls_at_debug(rustavi: tuple[cs.Pool, cs.Quotas],
                                                  captured: Capture) -> None:
    pool, quotas = rustavi
    cs.find_distribution(pool, quotas, algorithm="leximin")
    info = [r for r in captured.records if r.levelno == logging.INFO]
    debug = [r for r in captured.records if r.levelno == logging.DEBUG]
    messages = [r.getMessage() for r in info]
    assert any(m.startswith(f"setup: {pool.n} people") and "panel size 36" in m
               for m in messages)
    assert any(m.startswith("relaxed leximin:") for m in messages)
    done = [r for r in info if r.getMessage().startswith("leximin done:")]
    assert len(done) == 1
    assert done[0].name == "civicsortition.algorithms.leximin"
    assert "converged True" in done[0].getMessage()
    assert debug
    assert all(r.name == "civicsortition.backends" for r in debug)
    assert all(" solve: " in r.getMessage() and " s" in r.getMessage() for r in debug)
    assert any("MIP" in r.getMessage() for r in debug)
    assert any("LP" in r.getMessage() for r in debug)
    assert all(r.name.startswith("civicsortition.") for r in captured.records)


def test_a_staged_run_logs_its_stages(slow: tuple[cs.Pool, cs.Quotas],
                                      captured: Capture) -> None:
    pool, quotas = slow
    dist = cs.find_distribution(pool, quotas, algorithm="leximin")
    assert dist.details.extra["method"] == "staged"
    stages = [r.getMessage() for r in captured.records
              if r.getMessage().startswith("leximin stage ")]
    assert len(stages) == dist.details.stages


@pytest.mark.parametrize("algorithm", AT_SCALE)
@pytest.mark.parametrize("time_limit", [None, 0.0])
def test_logs_hold_no_personal_data(rustavi: tuple[cs.Pool, cs.Quotas], captured: Capture,
                                    algorithm: str, time_limit: float | None) -> None:
    pool, quotas = rustavi
    cs.find_distribution(pool, quotas, algorithm=algorithm, time_limit=time_limit,
                         **_options(algorithm))
    assert captured.records
    secrets = set(pool.ids) | {h for h in (pool.households or ()) if h}
    assert len(secrets) > pool.n / 2
    for record in captured.records:
        texts = [record.getMessage(), str(record.msg)]
        texts += [str(a) for a in (record.args or ())] if isinstance(record.args, tuple) else []
        for text in texts:
            found = [s for s in secrets if s in text]
            assert not found, (record.name, text, found[:3])


# ------------------------------------------------------------------------------- time limit
@pytest.mark.parametrize("algorithm", EXACT)
@pytest.mark.parametrize("time_limit", [1e-9, 0.05])
def test_a_tiny_time_limit_returns_a_valid_unconverged_lottery(
        slow: tuple[cs.Pool, cs.Quotas], algorithm: str, time_limit: float) -> None:
    pool, quotas = slow
    dist = cs.find_distribution(pool, quotas, algorithm=algorithm, time_limit=time_limit)
    d = dist.details
    assert d.converged is False
    assert "stopped by the time limit" in d.message
    assert d.options["time_limit"] == time_limit
    _valid(pool, quotas, dist)
    _honest_gap(dist)
    if algorithm != "nash":
        assert dist.minimum <= d.bound + 1e-9
        assert d.certificate_prices is not None  # the bound can be re-checked


def test_a_time_limit_in_the_middle_of_column_generation(
        slow: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = slow
    full = cs.find_distribution(pool, quotas, algorithm="leximin", method="staged")
    assert full.details.converged
    assert full.details.stages > 1

    def sleepy(stage: str, iteration: int, value: float, bound: float) -> None:
        time.sleep(0.02)   # slows the run down: every round passes the limit sooner

    dist = cs.find_distribution(pool, quotas, algorithm="leximin", method="staged",
                                time_limit=0.1, progress=sleepy)
    d = dist.details
    assert not d.converged
    assert d.iterations < full.details.iterations
    _valid(pool, quotas, dist)
    _honest_gap(dist)
    # The first stage's bound bounds the optimum: the full run's minimum is below it.
    assert full.minimum <= d.bound + 1e-7


def test_legacy_under_a_time_limit(rustavi: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = rustavi
    dist = cs.find_distribution(pool, quotas, algorithm="legacy", draws=5000, rng=3,
                                time_limit=0.0)
    assert not dist.details.converged
    assert "1 of 5000 draws" in dist.details.message
    assert cs.check_distribution(dist) == []


def test_no_time_limit_changes_nothing(rustavi: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = rustavi
    for algorithm in AT_SCALE:
        dist = cs.find_distribution(pool, quotas, algorithm=algorithm, **_options(algorithm))
        assert dist.details.converged
        assert "time_limit" not in dist.details.options
        assert "stopped" not in dist.details.message
    generous = cs.find_distribution(pool, quotas, algorithm="maximin", time_limit=600.0)
    assert generous.details.converged
    assert generous.minimum == pytest.approx(
        cs.find_distribution(pool, quotas, algorithm="maximin").minimum, abs=1e-7)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "10", True])
def test_a_bad_time_limit_is_refused(rustavi: tuple[cs.Pool, cs.Quotas], bad: object) -> None:
    pool, quotas = rustavi
    with pytest.raises(InputError) as info:
        cs.find_distribution(pool, quotas, algorithm="maximin", time_limit=bad)
    assert "bad-time-limit" in str(info.value)


def test_every_algorithm_registers_time_limit() -> None:
    for spec in ALGORITHMS.values():
        option = spec.option("time_limit")
        assert option.default is None
        assert option.type is float


def test_no_panel_before_the_stop_is_a_clear_error(rustavi: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = rustavi
    run = setup(pool, quotas, households=True, backend=None, tol=1e-7, progress=None,
                max_iterations=10, coverage=False, time_limit=0.0)
    run.columns.clear()
    run.should_stop()
    with pytest.raises(SolverError) as info:
        best_over_columns(run)
    assert info.value.stage == "time limit"


# ------------------------------------------------------------------------------ cancelling
@pytest.mark.parametrize("algorithm", EXACT)
def test_a_callback_returning_false_cancels(slow: tuple[cs.Pool, cs.Quotas],
                                            algorithm: str) -> None:
    pool, quotas = slow
    calls: list[str] = []

    def count(stage: str, iteration: int, value: float, bound: float) -> None:
        calls.append(stage)

    cs.find_distribution(pool, quotas, algorithm=algorithm, progress=count)
    total = len(calls)
    assert total > 6
    k = 3
    seen: list[str] = []

    def cancel_after_k(stage: str, iteration: int, value: float, bound: float) -> bool:
        seen.append(stage)
        return len(seen) < k

    dist = cs.find_distribution(pool, quotas, algorithm=algorithm, progress=cancel_after_k)
    d = dist.details
    assert not d.converged
    assert "cancelled by the progress callback" in d.message
    assert k <= len(seen) <= k + 1 < total
    _valid(pool, quotas, dist)
    _honest_gap(dist)


def test_a_callback_returning_none_or_true_does_not_cancel(
        rustavi: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = rustavi
    dist = cs.find_distribution(pool, quotas, algorithm="leximin",
                                progress=lambda *args: True)
    assert dist.details.converged


def test_legacy_is_cancelled_by_its_callback(rustavi: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = rustavi
    dist = cs.find_distribution(pool, quotas, algorithm="legacy", draws=3000, rng=3,
                                progress=lambda stage, *args: stage != "legacy")
    assert not dist.details.converged
    assert "cancelled" in dist.details.message
    assert "1000 of 3000" in dist.details.message
    assert dist.details.iterations <= 1000
    assert cs.check_distribution(dist) == []


# ---------------------------------------------------------------------------- progress bar
def test_the_plain_progress_bar_writes_lines_and_cancels() -> None:
    out = io.StringIO()
    stop = {"now": False}
    bar = progress_bar(out, use_tqdm=False, min_interval=3600, cancel=lambda: stop["now"])
    assert not bar.uses_tqdm
    assert bar("coverage", 1, 2.0, 3.0) is None
    assert bar("coverage", 2, 2.5, 3.0) is None      # within min_interval: held back
    assert out.getvalue().count("\n") == 1
    stop["now"] = True
    assert bar("maximin", 3, 0.25, float("inf")) is False
    bar.close()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "maximin: iteration 3, value 0.250000, bound inf" in lines[-1]
    assert bar.calls == 3


def test_the_progress_bar_drives_a_run(rustavi: tuple[cs.Pool, cs.Quotas]) -> None:
    pool, quotas = rustavi
    out = io.StringIO()
    with progress_bar(out, use_tqdm=False, min_interval=0.0) as bar:
        dist = cs.find_distribution(pool, quotas, algorithm="maximin", progress=bar)
    assert dist.details.converged
    assert bar.calls > 0
    assert out.getvalue().count("\n") == bar.calls
    ids = set(pool.ids)
    assert not [i for i in ids if i in out.getvalue()]


def test_the_progress_bar_uses_tqdm_only_when_installed() -> None:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError):
            progress_bar(io.StringIO(), use_tqdm=True)
        assert not progress_bar(io.StringIO()).uses_tqdm
    else:
        out = io.StringIO()
        with progress_bar(out) as bar:
            bar("maximin", 1, 0.1, 0.2)
        assert bar.uses_tqdm
        assert "maximin" in out.getvalue()
