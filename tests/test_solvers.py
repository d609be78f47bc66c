"""Backends behind a registry, the persistent-model capability, and the algorithm registry."""

from __future__ import annotations

import inspect
import sys
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition.algorithms import ALGORITHMS, DEFAULT_ALGORITHM, AlgorithmSpec
from civicsortition.backends import (
    BACKENDS,
    EmulatedModel,
    HighsBackend,
    PulpBackend,
    Status,
    SupportsPersistentModel,
    available,
    backend_specs,
    get_backend,
    open_model,
    register_backend,
)
from civicsortition.backends.highs import HighsModel, highspy_available
from civicsortition.research.corpus import torture_instance

SETTINGS = settings(deadline=None, max_examples=40,
                    suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------- backend registry
def test_builtin_backends_are_registered_and_available() -> None:
    assert set(BACKENDS) <= set(backend_specs())
    assert "highs" in available()
    assert isinstance(get_backend(), HighsBackend)
    assert isinstance(get_backend("highs"), HighsBackend)
    assert isinstance(get_backend("pulp"), PulpBackend)
    be = HighsBackend()
    assert get_backend(be) is be


@pytest.mark.parametrize("bad", ["gurobi-direct", "HiGHS", "highs:x", "highs:"])
def test_unknown_backend_ids_are_input_errors(bad: str) -> None:
    with pytest.raises(cs.InputError) as info:
        get_backend(bad)
    assert info.value.code == "unknown-backend"


def test_a_registered_backend_is_found_and_can_be_unregistered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from civicsortition import backends

    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))

    class Mine(HighsBackend):
        name = "mine"

    register_backend("mine", lambda option: Mine(), requires=("no_such_module_anywhere",))
    assert isinstance(get_backend("mine"), Mine)
    assert "mine" in backend_specs()
    assert "mine" not in available()  # its requirement does not import
    with pytest.raises(ValueError, match="lower-case"):
        register_backend("Bad:id", lambda option: Mine())


def test_importing_the_backends_loads_no_solver_library() -> None:
    import subprocess

    code = ("import sys, civicsortition.backends, civicsortition.algorithms\n"
            "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'pulp', 'highspy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_capability_is_asked_of_the_backend() -> None:
    assert isinstance(HighsBackend(), SupportsPersistentModel)
    assert not isinstance(PulpBackend(), SupportsPersistentModel)
    assert isinstance(open_model(PulpBackend()), EmulatedModel)
    if highspy_available():
        assert isinstance(open_model(HighsBackend()), HighsModel)


# ------------------------------------------------------------ native and emulated models agree
def _models() -> list[Any]:
    out: list[Any] = [EmulatedModel(HighsBackend()), EmulatedModel(PulpBackend())]
    if highspy_available():
        out.insert(0, HighsModel())
    return out


@SETTINGS
@given(data=st.data(), maximize=st.booleans())
def test_lp_models_agree_after_changes(data: st.DataObject, maximize: bool) -> None:
    # A random bounded, feasible LP with ranged, one-sided and equality rows; then a change of
    # costs, bounds and one coefficient, re-solved on the same models.
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    m, n = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    A = np.round(rng.normal(size=(m, n)), 1)
    x0 = rng.uniform(0, 1, n)  # a feasible point
    act = A @ x0
    kind = rng.integers(0, 3, m)
    lo = np.where(kind == 1, -np.inf, np.where(kind == 2, act, act - 1))
    hi = np.where(kind == 0, np.inf, np.where(kind == 2, act, act + 1))
    cost = np.round(rng.normal(size=n), 1)
    results = []
    for model in _models():
        model.add_rows(lo, hi)
        model.add_columns(cost, np.zeros(n), np.ones(n), A)
        model.set_maximize(maximize)
        first = model.solve()
        model.set_costs(np.arange(n), -cost)
        model.set_col_bounds(np.array([0]), np.array([0.0]), np.array([2.0]))
        shift = (A[0, 0] / 2 - A[0, 0]) * x0[0]  # row 0 moves with its coefficient: x0 stays
        model.set_coefficient(0, 0, A[0, 0] / 2)
        model.set_row_bounds(np.array([0]), lo[:1] + shift, hi[:1] + shift)
        second = model.solve()
        results.append((first, second))
    for first, second in results:
        assert first.status is Status.OPTIMAL
        assert second.status is Status.OPTIMAL
    for k in (0, 1):
        objectives = [r[k].objective for r in results]
        assert max(objectives) - min(objectives) < 1e-6
        for r in results:  # duals are not unique in degenerate LPs: only their shape here
            assert r[k].duals is not None
            assert len(r[k].duals) == m


@SETTINGS
@given(data=st.data())
def test_mip_models_agree(data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    A = rng.integers(0, 2, size=(m, n)).astype(float)
    x0 = rng.integers(0, 3, n).astype(float)
    act = A @ x0
    lo, hi = act - rng.integers(0, 2, m), act + rng.integers(0, 2, m)
    cost = rng.integers(-3, 4, n).astype(float)
    values = []
    for model in _models():
        model.add_rows(lo, hi)
        model.add_columns(cost, np.zeros(n), np.full(n, 3.0), A, integer=True)
        model.set_maximize(True)
        res = model.solve()
        assert res.status is Status.OPTIMAL
        assert res.x is not None
        assert np.all(res.x == np.rint(res.x))
        assert np.all(A @ res.x >= lo - 1e-9)
        assert np.all(A @ res.x <= hi + 1e-9)
        assert res.bound >= res.objective - 1e-9
        values.append(res.objective)
    assert max(values) - min(values) < 1e-9


@pytest.mark.parametrize("maximize", [False, True])
def test_emulated_lp_duals_have_the_native_sign_convention(maximize: bool) -> None:
    # min x + y (or max -x - y) s.t. x + y >= 1, x - y <= 5 (slack), x + 2y = 1.5: optimum
    # x = y = 1/2; the duals (derivatives of the optimum by each row's bound) are unique:
    # d_0 + d_2 = 1, d_0 + 2 d_2 = 1 (both columns basic), d_1 = 0 -> (1, 0, 0), negated
    # for the maximisation.
    sign = -1.0 if maximize else 1.0
    for model in _models():
        model.add_rows(np.array([1.0, -np.inf, 1.5]), np.array([np.inf, 5.0, 1.5]))
        model.add_columns(sign * np.ones(2), np.zeros(2), np.full(2, np.inf),
                          np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 2.0]]))
        model.set_maximize(maximize)
        res = model.solve()
        assert res.objective == pytest.approx(sign)
        assert res.duals is not None
        np.testing.assert_allclose(res.duals, [sign, 0.0, 0.0], atol=1e-9)


# -------------------------------------------------------------------------- the registry
def test_algorithm_registry_entries_match_their_functions() -> None:
    assert DEFAULT_ALGORITHM in ALGORITHMS
    for key, spec in ALGORITHMS.items():
        assert isinstance(spec, AlgorithmSpec)
        assert spec.id == key
        assert spec.name
        params = {name: p for name, p in inspect.signature(spec.function).parameters.items()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert spec.options
        assert {o.name for o in spec.options} == set(params)
        for option in spec.options:
            assert params[option.name].default == option.default, (key, option.name)
            assert option.help
            if option.choices is not None:
                assert option.default in option.choices
        assert spec.__module__ == spec.function.__module__
        # The 0.1 tuple access still works.
        assert spec[0] is spec.function
        assert spec[1] == spec.name


def test_the_registry_dispatches_and_a_spec_is_callable() -> None:
    pool = cs.Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    quotas = cs.Quotas(2, [cs.ValueQuota("sex", "f", 1, 1), cs.ValueQuota("sex", "m", 1, 1)])
    a = cs.find_distribution(pool, quotas, algorithm="maximin")
    b = ALGORITHMS["maximin"](pool, quotas)
    c = cs.find_distribution(pool, quotas, algorithm=ALGORITHMS["maximin"])
    for dist in (a, b, c):
        assert dist.details.algorithm == "maximin"
        assert dist.minimum == pytest.approx(0.25)


# --------------------------------------------------------------------- typed run extras
def test_extras_are_typed_and_read_as_the_old_mappings() -> None:
    from civicsortition.algorithms import LegacyExtra, LeximinExtra, MaximinExtra, NashExtra

    pool = cs.Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    quotas = cs.Quotas(2, [cs.ValueQuota("sex", "f", 1, 1), cs.ValueQuota("sex", "m", 1, 1)])
    lex = cs.leximin(pool, quotas).details.extra
    assert isinstance(lex, LeximinExtra)
    assert (lex.requested, lex.path, lex["method"]) == ("auto", "lp-relaxation", "lp-relaxation")
    assert list(lex) == ["stages", "method", "decomposition_gap", "peeling", "explanation",
                         "recoveries", "phases"]
    staged = cs.leximin(pool, quotas, method="staged").details.extra
    assert (staged.requested, staged["method"]) == ("staged", "staged")
    mm = cs.maximin(pool, quotas, method="column-generation").details.extra
    assert isinstance(mm, MaximinExtra)
    assert dict(mm) == {"method": "column-generation"}
    assert mm.get("explanation", []) == []
    fast = cs.maximin(pool, quotas).details.extra
    assert list(fast) == ["method", "explanation", "recoveries"]
    nash = cs.nash(pool, quotas).details.extra
    assert isinstance(nash, NashExtra)
    assert list(nash) == ["method", "relaxation", "columns", "phases"]
    leg = cs.legacy(pool, quotas, draws=50, rng=1).details.extra
    assert isinstance(leg, LegacyExtra)
    assert list(leg) == ["ci_low", "ci_high", "failed_draws", "confidence"]


# --------------------------------------------------------- maximin: one run, honest seconds
def test_maximin_falls_back_on_the_same_run_and_counts_the_fast_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # On this pool the fast path fails (the relaxation is not exact) and MAXIMIN runs its own
    # column generation: with one setup, and with the fast path's time in details.seconds.
    maximin = sys.modules["civicsortition.algorithms.maximin"]
    inst = torture_instance("parity", 60, seed=0)
    setups: list[int] = []
    real_setup, real_fast = maximin.setup, maximin.leximin_fast_path

    def counted(*args: Any, **kwargs: Any) -> Any:
        setups.append(1)
        return real_setup(*args, **kwargs)

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return real_fast(*args, **kwargs)

    monkeypatch.setattr(maximin, "setup", counted)
    monkeypatch.setattr(maximin, "leximin_fast_path", slow)
    dist = cs.maximin(inst.pool, inst.quotas)
    assert dist.details.extra["method"] == "column-generation"
    assert len(setups) == 1
    assert dist.details.seconds >= 0.3
    assert dist.details.gap <= 1e-7
    assert cs.check_distribution(dist) == []


# ---------------------------------------------------------------- rounding through a backend
@pytest.mark.parametrize("backend", BACKENDS)
def test_rounding_goes_through_the_chosen_backend_and_records_it(backend: str) -> None:
    pool = cs.Pool.from_records([{"sex": s} for s in "ffffmmm"], categories=["sex"])
    quotas = cs.Quotas(3, [cs.ValueQuota("sex", "f", 1, 2), cs.ValueQuota("sex", "m", 1, 2)])
    dist = cs.leximin(pool, quotas)
    default = cs.transparent_lottery(dist, m=7)
    lot = cs.transparent_lottery(dist, m=7, backend=backend)
    assert lot.rounding is not None
    assert default.rounding is not None
    assert lot.rounding.backend == backend
    assert default.rounding.backend == "highs"
    assert lot.rounding.backend_version
    assert lot.rounding.optimal
    assert lot.rounding.deviation == pytest.approx(default.rounding.deviation, abs=1e-9)
    assert "backend" not in lot.summary()  # the published aggregates are unchanged
    dep = cs.transparent_lottery(dist, m=7, method="dependent")
    assert dep.rounding is not None
    assert dep.rounding.backend is None


def test_rounding_rejects_an_unknown_backend() -> None:
    pool = cs.Pool.from_records([{"sex": s} for s in "ffmm"], categories=["sex"])
    quotas = cs.Quotas(2, [cs.ValueQuota("sex", "f", 1, 1), cs.ValueQuota("sex", "m", 1, 1)])
    dist = cs.leximin(pool, quotas)
    with pytest.raises(cs.InputError) as info:
        cs.transparent_lottery(dist, m=4, backend="nope")
    assert info.value.code == "unknown-backend"
    with pytest.raises(TypeError):
        cs.transparent_lottery(dist, m=4, backend=3)  # type: ignore[arg-type]
