"""The selection engine against the brute-force oracle, on every algorithm and backend."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from civicsortition import Pool, Quotas, Strata, ValueQuota, read_people, read_targets
from civicsortition.algorithms import ALGORITHMS, find_distribution, legacy, leximin, maximin, nash
from civicsortition.algorithms.feasibility import feasible_profile
from civicsortition.algorithms.relaxation import relaxed_leximin
from civicsortition.backends import BACKENDS as BUILTIN_BACKENDS
from civicsortition.backends import get_backend
from civicsortition.distribution import check_distribution
from civicsortition.errors import InfeasibleQuotasError, InputError
from civicsortition.program import PanelProgram

from . import oracle

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: The certified algorithms of the registry (leximin, maximin, nash) and the built-in backends.
# The max-min family and NASH, whose properties these tests assert; the other objectives are
# checked against brute force in tests/test_epigraph.py.
EXACT = [a for a in ("leximin", "maximin", "nash") if a in ALGORITHMS]
BACKENDS = list(BUILTIN_BACKENDS)
SLOW_OK = settings(deadline=None, max_examples=40,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ------------------------------------------------------------------------ random tiny cases
@st.composite
def tiny_instances(draw: st.DrawFn, households: bool = False) -> tuple[Pool, Quotas]:
    n = draw(st.integers(4, 8))
    k = draw(st.integers(1, min(4, n - 1)))
    n_cats = draw(st.integers(1, 3))
    cats = {f"c{j}": [f"v{v}" for v in range(draw(st.integers(2, 3)))] for j in range(n_cats)}
    strata = Strata.from_mapping(cats)
    codes = [[draw(st.integers(0, len(vals) - 1)) for vals in cats.values()] for _ in range(n)]
    hh = None
    if households:
        hh = [draw(st.sampled_from([None, "h0", "h1", "h2"])) for _ in range(n)]
    pool = Pool(strata, [f"p{i}" for i in range(n)], codes, hh)
    entries = []
    for name, vals in cats.items():
        for v in vals:
            lo = draw(st.integers(0, k))
            hi = draw(st.integers(lo, k))
            entries.append(ValueQuota(name, v, lo, hi))
    return pool, Quotas(k, entries)


def _feasible(pool: Pool, quotas: Quotas) -> bool:
    return bool(oracle.feasible_panels(pool, quotas))


def _relaxed_leximin_marginals(pool: Pool, quotas: Quotas) -> np.ndarray:
    """The LEXIMIN vector of the LP relaxation over the people on some feasible panel."""
    prog = PanelProgram.build(pool, quotas)
    covered = sorted({i for panel in oracle.feasible_panels(pool, quotas) for i in panel})
    active = np.zeros(prog.n_types, dtype=bool)
    active[prog.type_of[covered]] = True
    return relaxed_leximin(prog, active, get_backend()).pi[prog.type_of]


def _relaxation_not_exact() -> tuple[Pool, Quotas]:
    """Three categories where the relaxation is not integral (found by Hypothesis).

    Every feasible panel takes person 3, one of people 6-7, one of people 1, 2, 4 and one of
    people 0 and 5: the true maximin is 1/3 (people 1, 2, 4), while the relaxed polytope lets
    everyone have 2/5 (the five people with c1=v0 share its 2 seats).
    """
    strata = Strata.from_mapping({c: ["v0", "v1"] for c in ("c0", "c1", "c2")})
    codes = [[0, 0, 0], [0, 0, 1], [0, 0, 1], [1, 1, 1], [0, 0, 1], [1, 0, 0], [0, 1, 0],
             [0, 1, 0]]
    pool = Pool(strata, [f"p{i}" for i in range(len(codes))], codes)
    quotas = Quotas(4, [ValueQuota("c0", "v0", 0, 3), ValueQuota("c0", "v1", 0, 2),
                        ValueQuota("c1", "v0", 0, 2), ValueQuota("c1", "v1", 0, 2),
                        ValueQuota("c2", "v0", 0, 2), ValueQuota("c2", "v1", 0, 2)])
    return pool, quotas


@pytest.mark.parametrize("method", ["auto", "staged"])
@SLOW_OK
@given(inst=tiny_instances())
@example(inst=_relaxation_not_exact())
def test_leximin_matches_brute_force(inst: tuple[Pool, Quotas], method: str) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = leximin(pool, quotas, method=method)
    truth = oracle.leximin_marginals(pool, quotas)
    # The fast path is exact when it succeeds, and it succeeds exactly when the relaxed
    # LEXIMIN vector is that of a lottery over feasible panels (always with two categories,
    # not always with three); otherwise "auto" falls back to staged column generation.
    exact = np.allclose(_relaxed_leximin_marginals(pool, quotas), truth, atol=1e-6)
    assert dist.details.extra["method"] == ("lp-relaxation" if method == "auto" and exact
                                            else "staged")
    assert check_distribution(dist) == []
    np.testing.assert_allclose(dist.marginals, truth, atol=1e-6)
    assert dist.details.converged


def test_fast_path_falls_back_where_the_relaxation_is_not_exact() -> None:
    # Regression (a Hypothesis example): the relaxed first stage is 2/5 but no lottery gives
    # everyone more than 1/3, so the peeled lottery falls short of the relaxed vector and the
    # staged fallback computes the LEXIMIN lottery; its certificate is the staged bound.
    pool, quotas = _relaxation_not_exact()
    assert oracle.maximin_value(pool, quotas) == pytest.approx(1 / 3)
    np.testing.assert_allclose(_relaxed_leximin_marginals(pool, quotas).min(), 0.4)
    dist = leximin(pool, quotas)
    assert dist.details.extra["method"] == "staged"
    assert dist.details.extra["decomposition_gap"] > 1e-7
    np.testing.assert_allclose(dist.marginals, oracle.leximin_marginals(pool, quotas),
                               atol=1e-6)
    assert dist.details.bound == pytest.approx(1 / 3, abs=1e-7)
    assert dist.details.gap <= 1e-7


@pytest.mark.parametrize("method", ["auto", "staged"])
@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_leximin_with_households_matches_brute_force(inst: tuple[Pool, Quotas],
                                                     method: str) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = leximin(pool, quotas, households=True, method=method)
    assert check_distribution(dist) == []
    np.testing.assert_allclose(dist.marginals, oracle.leximin_marginals(pool, quotas), atol=1e-6)


@pytest.mark.parametrize("method", ["auto", "column-generation"])
@SLOW_OK
@given(inst=tiny_instances())
def test_maximin_matches_brute_force(inst: tuple[Pool, Quotas], method: str) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = maximin(pool, quotas, method=method)
    assert check_distribution(dist) == []
    assert dist.details.extra["method"] in (
        ("leximin-fast-path", "column-generation") if method == "auto"
        else ("column-generation",))
    value = oracle.maximin_value(pool, quotas)
    assert dist.minimum == pytest.approx(value, abs=1e-6)
    assert dist.details.bound >= value - 1e-7      # the certificate is a true upper bound
    assert dist.details.gap <= 1e-6


@pytest.mark.parametrize("method", ["auto", "column-generation"])
@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_nash_matches_brute_force(inst: tuple[Pool, Quotas], method: str) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = nash(pool, quotas, method=method)
    assert check_distribution(dist) == []
    truth = oracle.nash_marginals(pool, quotas)
    np.testing.assert_allclose(dist.marginals, truth, atol=2e-4)
    assert dist.details.converged
    assert dist.details.gap <= 1e-9 + 1e-12
    # The certificate is a true upper bound on the best welfare.
    assert dist.details.bound >= np.log(truth[truth > 0]).sum() - 1e-6
    if method == "column-generation":
        assert dist.details.extra["method"] == "column-generation"


@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_infeasible_iff_brute_force_finds_no_panel(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    if quotas.panel_size > pool.n:
        return
    if oracle.feasible_panels(pool, quotas):
        assert feasible_profile(PanelProgram.build(pool, quotas)) is not None
        return
    with pytest.raises(InfeasibleQuotasError) as info:
        maximin(pool, quotas)
    err = info.value
    best = oracle.min_violation(pool, quotas)   # the least total change, by enumeration
    if err.relaxed is not None:
        total = sum(abs(c.new_min - c.old_min) + abs(c.new_max - c.old_max) for c in err.changes)
        assert total == best
        assert err.relaxed_feasible
        assert oracle.feasible_panels(pool, err.relaxed)
    else:
        # Without flex limits, only possible when households leave fewer than k selectable.
        assert best is None


# ------------------------------------------------------------------- backends and registry
def _households_instance() -> tuple[Pool, Quotas]:
    recs = [("f", "y", "a"), ("f", "o", "a"), ("m", "y", None), ("m", "o", "b"),
            ("f", "y", "b"), ("m", "y", None), ("f", "o", None), ("m", "o", None)]
    pool = Pool.from_records([{"id": f"x{i}", "sex": s, "age": a, "hh": h}
                              for i, (s, a, h) in enumerate(recs)],
                             categories=["sex", "age"], id_field="id", household_field="hh")
    quotas = Quotas(4, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 2, 2),
                        ValueQuota("age", "o", 1, 3), ValueQuota("age", "y", 1, 3)])
    return pool, quotas


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("algorithm", EXACT)
def test_backends_agree_with_oracle(algorithm: str, backend: str) -> None:
    pool, quotas = _households_instance()
    dist = find_distribution(pool, quotas, algorithm=algorithm, backend=backend)
    assert dist.details.backend == backend
    assert check_distribution(dist) == []
    if algorithm == "leximin":
        np.testing.assert_allclose(dist.marginals, oracle.leximin_marginals(pool, quotas),
                                   atol=1e-6)
    elif algorithm == "nash":
        np.testing.assert_allclose(dist.marginals, oracle.nash_marginals(pool, quotas), atol=2e-4)
    else:
        assert dist.minimum == pytest.approx(oracle.maximin_value(pool, quotas), abs=1e-6)


def test_registry_and_unknown_algorithm() -> None:
    assert set(ALGORITHMS) == {"leximin", "maximin", "nash", "minimax", "goldilocks", "lp",
                               "maxentropy", "fair-maxentropy", "diversimax", "legacy"}
    pool, quotas = _households_instance()
    with pytest.raises(InputError, match="expected one of"):
        find_distribution(pool, quotas, algorithm="borda")
    with pytest.raises(InputError) as info:
        find_distribution(pool, quotas, backend="gurobi-direct")
    assert info.value.code == "unknown-backend"


def test_callable_algorithm_accepted() -> None:
    pool, quotas = _households_instance()
    dist = find_distribution(pool, quotas, algorithm=maximin)
    assert dist.details.algorithm == "maximin"


# ----------------------------------------------------------------------------- behaviour
def test_uncovered_people_get_zero_and_are_reported() -> None:
    # Nobody old may sit on the panel: the two old people are on no feasible panel.
    pool = Pool.from_records([{"age": a} for a in ["y", "y", "y", "o", "o"]], categories=["age"])
    quotas = Quotas(2, [ValueQuota("age", "y", 2, 2), ValueQuota("age", "o", 0, 0)])
    for algorithm in EXACT:
        dist = find_distribution(pool, quotas, algorithm=algorithm)
        assert sorted(dist.uncovered) == [3, 4]
        assert dist.marginals[3] == 0
        np.testing.assert_allclose(dist.marginals[:3], 2 / 3, atol=1e-6)
        assert dist.minimum == pytest.approx(2 / 3, abs=1e-6)
        assert check_distribution(dist) == []


def test_leximin_stages_recorded_and_progress_called() -> None:
    pool, quotas = _households_instance()
    calls: list[tuple[str, int, float, float]] = []
    dist = leximin(pool, quotas, progress=lambda *a: calls.append(a))
    stages = dist.details.extra["stages"]
    assert dist.details.stages == len(stages) >= 1
    assert sum(s["people_fixed"] for s in stages) == pool.n - len(dist.uncovered)
    assert [s["value"] for s in stages] == sorted(s["value"] for s in stages)
    names = [c[0] for c in calls]
    # The fast path solves the relaxation first; coverage then settles the types its peeled
    # profiles missed.
    assert names[0] == "leximin: LP relaxation"
    assert "coverage" in names


def test_deterministic() -> None:
    pool, quotas = _households_instance()
    a, b = leximin(pool, quotas), leximin(pool, quotas)
    np.testing.assert_array_equal(a.profiles, b.profiles)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)
    assert [m.tolist() for m, _ in a.panels()] == [m.tolist() for m, _ in b.panels()]


def test_inputs_not_mutated() -> None:
    pool, quotas = _households_instance()
    before = (pickle.dumps(pool), pickle.dumps(quotas))
    leximin(pool, quotas)
    assert (pickle.dumps(pool), pickle.dumps(quotas)) == before


def test_max_iterations_stops_honestly() -> None:
    pool, quotas = _households_instance()
    # "staged": the fast path can legitimately finish within one master solve.
    dist = leximin(pool, quotas, max_iterations=1, method="staged")
    assert not dist.details.converged
    assert "not proven" in dist.details.message
    assert check_distribution(dist) == []


def test_bad_options() -> None:
    pool, quotas = _households_instance()
    with pytest.raises(InputError, match="tol"):
        maximin(pool, quotas, tol=0.5)
    with pytest.raises(InputError, match="panel_size must not exceed the pool"):
        maximin(pool, quotas.with_panel_size(9))
    with pytest.raises(InputError, match="method"):
        nash(pool, quotas, method="simplex")
    with pytest.raises(InputError, match="method"):
        leximin(pool, quotas, method="fast")


def test_expansion_is_exact_for_large_types() -> None:
    # One type of 7 people with 3 seats: windows of period 7.
    pool = Pool.from_records([{"g": "a"}] * 7 + [{"g": "b"}] * 2, categories=["g"])
    quotas = Quotas(4, [ValueQuota("g", "a", 3, 3), ValueQuota("g", "b", 1, 1)])
    dist = leximin(pool, quotas)
    np.testing.assert_allclose(dist.marginals, [3 / 7] * 7 + [0.5] * 2, atol=1e-9)
    assert len(dist.panels()) <= 1 + 6 + 1
    assert check_distribution(dist) == []


def test_sample_draws_feasible_panels() -> None:
    pool, quotas = _households_instance()
    dist = leximin(pool, quotas)
    for seed in range(20):
        assert dist.program.check_panel(dist.sample(seed)) == []


# ------------------------------------------------------------------------------ infeasible
def test_infeasible_quotas_explained() -> None:
    # 2 seats, but the quotas demand 2 women and 2 young people, and no woman is young.
    pool = Pool.from_records([{"sex": "f", "age": "o"}] * 3 + [{"sex": "m", "age": "y"}] * 3,
                             categories=["sex", "age"])
    quotas = Quotas(2, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 0, 2),
                        ValueQuota("age", "y", 2, 2), ValueQuota("age", "o", 0, 2)])
    with pytest.raises(InfeasibleQuotasError) as info:
        leximin(pool, quotas)
    err = info.value
    assert err.relaxed is not None
    assert err.relaxed_feasible
    total = sum(abs(c.new_min - c.old_min) + abs(c.new_max - c.old_max) for c in err.changes)
    assert total == 2
    assert {(c.category, c.value) for c in err.changes} <= {("sex", "f"), ("age", "y")}
    assert "smallest relaxation" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert clone.changes == err.changes


def test_infeasible_respects_flex_limits() -> None:
    pool = Pool.from_records([{"sex": "f"}] * 3 + [{"sex": "m"}] * 3, categories=["sex"])
    # 4 seats; women fixed at 4 (min_flex 4: cannot move) but only 3 women exist.
    quotas = Quotas(4, [ValueQuota("sex", "f", 4, 4, min_flex=4, max_flex=4),
                        ValueQuota("sex", "m", 0, 0, min_flex=0, max_flex=1)])
    with pytest.raises(InfeasibleQuotasError) as info:
        maximin(pool, quotas)
    assert info.value.relaxed is None
    assert "no relaxation of the quotas (within their min_flex/max_flex limits" in str(info.value)
    assert any("pool-below-min" in r for r in info.value.reasons)


# ----------------------------------------------------------------------------------- legacy
def test_legacy_is_reproducible_and_valid() -> None:
    pool, quotas = _households_instance()
    a = legacy(pool, quotas, draws=300, rng=20261124)
    b = legacy(pool, quotas, draws=300, rng=20261124)
    np.testing.assert_array_equal(a.marginals, b.marginals)
    assert check_distribution(a) == []
    lo, hi = np.array(a.details.extra["ci_low"]), np.array(a.details.extra["ci_high"])
    assert np.all(lo <= a.marginals + 1e-12)
    assert np.all(a.marginals <= hi + 1e-12)
    assert a.details.algorithm == "legacy"
    assert a.details.options["rng"] == 20261124


def test_legacy_intervals_cover_the_truth_on_a_symmetric_case() -> None:
    # One category, exact quotas: the greedy draw is uniform within each value (truth 1/3).
    pool = Pool.from_records([{"g": "a"}] * 6 + [{"g": "b"}] * 3, categories=["g"])
    quotas = Quotas(3, [ValueQuota("g", "a", 2, 2), ValueQuota("g", "b", 1, 1)])
    est = legacy(pool, quotas, draws=4000, rng=7)
    lo, hi = np.array(est.details.extra["ci_low"]), np.array(est.details.extra["ci_high"])
    assert np.mean((lo <= 1 / 3) & (hi >= 1 / 3)) >= 0.8
    np.testing.assert_allclose(est.marginals, 1 / 3, atol=0.04)


# ------------------------------------------------------------------- the public examples
@pytest.mark.parametrize(("folder", "k"), [("example_small_20", 20), ("example_large_200", 200)])
@pytest.mark.parametrize("algorithm", EXACT)
def test_public_examples_reproduce_published_leximin_minimum(folder: str, k: int,
                                                             algorithm: str) -> None:
    if not (SHARED / folder).exists():
        pytest.skip("shared/data is not beside this checkout")
    quotas = read_targets(SHARED / folder / "categories.csv", k)
    pool = read_people(SHARED / folder / "respondents.csv", strata=quotas).pool
    dist = find_distribution(pool, quotas, algorithm=algorithm)
    # Published (Flanigan et al. 2021): LEXIMIN minimum probability 10.0%, gini 0.0%.
    assert dist.minimum == pytest.approx(0.100, abs=5e-4)
    assert check_distribution(dist, expand=(k == 20)) == []
    if algorithm == "leximin":
        assert np.ptp(dist.marginals) < 1e-6   # gini 0: everybody at 10%
        assert dist.details.gap < 1e-6


def test_explanation_names_the_binding_quota() -> None:
    # 10 volunteers with g=x share at most 2 seats: their chance is capped at 20%.
    pool = Pool.from_records([{"g": "x"}] * 10 + [{"g": "y"}] * 5, categories=["g"])
    quotas = Quotas(5, [ValueQuota("g", "x", 0, 2), ValueQuota("g", "y", 0, 5)])
    dist = leximin(pool, quotas)
    assert dist.minimum == pytest.approx(0.2, abs=1e-7)
    explanation = dist.details.extra["explanation"]
    assert "at most 2 seats for 10 volunteers with g=x (on average 20.0% each)" in explanation[0]
    assert dist.details.bound == pytest.approx(0.2, abs=1e-7)   # relaxation bound is tight


def test_embedded_rustavi_example_end_to_end() -> None:
    from civicsortition import Band, build_quotas
    from civicsortition.examples import rustavi_synthetic_census, rustavi_synthetic_pool

    quotas = build_quotas(rustavi_synthetic_census(), 36, band=Band.seats(1), floors=True)
    people = rustavi_synthetic_pool(quotas)
    assert people.pool.n == 240
    assert people.pool.households is not None
    dist = leximin(people.pool, quotas, households=True)
    assert check_distribution(dist) == []
    assert dist.details.converged
    assert dist.details.gap <= 1e-6
    assert dist.minimum > 0.05
    # Housemates are never on the same panel.
    hh = people.pool.households
    for members, _ in dist.panels():
        keys = [hh[i] for i in members]
        assert len(keys) == len(set(keys))


def test_nash_warm_start_from_leximin_agrees() -> None:
    pool, quotas = _households_instance()
    dist = nash(pool, quotas, warm_start=True)
    assert dist.details.options["warm_start"] is True
    assert check_distribution(dist) == []
    np.testing.assert_allclose(dist.marginals, oracle.nash_marginals(pool, quotas), atol=2e-4)


def test_regression_result_does_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # An earlier version balanced heuristic and exact pricing by measured time, so the panel
    # support (and hence a later public draw) depended on machine speed.
    from civicsortition import Band, build_quotas
    from civicsortition.algorithms import _core
    from civicsortition.examples import rustavi_synthetic_census, rustavi_synthetic_pool

    quotas = build_quotas(rustavi_synthetic_census(), 36, band=Band.seats(1), floors=True)
    pool = rustavi_synthetic_pool(quotas).pool
    first = leximin(pool, quotas)
    ticks = iter(range(0, 10**9, 997))
    monkeypatch.setattr(_core.time, "perf_counter", lambda: float(next(ticks)))
    second = leximin(pool, quotas)
    np.testing.assert_array_equal(first.profiles, second.profiles)
    np.testing.assert_array_equal(first.probabilities, second.probabilities)


@SLOW_OK
@given(sizes=st.lists(st.integers(1, 9), min_size=1, max_size=4), data=st.data())
def test_panels_expansion_is_exact(sizes: list[int], data: st.DataObject) -> None:
    # Distribution.panels (vectorised): every panel has the profile's counts per type, the
    # panel probabilities add up to the profile's, and each member of type t is selected with
    # probability exactly x * c_t / n_t (computed here with fractions, independently).
    from fractions import Fraction

    from civicsortition.distribution import Distribution, RunDetails

    codes = [[t] for t, size in enumerate(sizes) for _ in range(size)]
    strata = Strata.from_mapping({"t": [f"v{t}" for t in range(len(sizes))]})
    pool = Pool(strata, [f"p{i}" for i in range(len(codes))], codes)
    counts = [data.draw(st.integers(0, size)) for size in sizes]
    k = sum(counts)
    assume(k >= 1)
    quotas = Quotas(k, [ValueQuota("t", f"v{t}", 0, k) for t in range(len(sizes))])
    prog = PanelProgram.build(pool, quotas, households=False)
    profile = np.zeros(prog.n_types, dtype=np.int64)
    for t, c in enumerate(counts):
        profile[prog.type_of[sum(sizes[:t])]] = c
    details = RunDetails(algorithm="test", backend="-", backend_version="-", objective=0.0,
                         bound=0.0, gap=0.0, converged=True, iterations=0, stages=0,
                         seconds=0.0, n_types=prog.n_types)
    dist = Distribution(prog, profile[None, :], np.array([1.0]), details)
    freq = [Fraction(0)] * pool.n
    total = 0.0
    for members, p in dist.panels():
        assert len(members) == k
        for i in members:
            freq[int(i)] += Fraction(p)
        total += p
        assert sorted(int(prog.type_of[i]) for i in members) == sorted(
            int(t) for t in np.repeat(np.arange(prog.n_types), profile))
    assert total == pytest.approx(1.0, abs=1e-12)
    for i in range(pool.n):
        t = prog.type_of[i]
        assert float(freq[i]) == pytest.approx(profile[t] / prog.sizes[t], abs=1e-12)
