"""Carathéodory peeling (the LEXIMIN fast path's decomposition) against brute-force oracles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from civicsortition import Pool, Quotas, Strata, ValueQuota
from civicsortition.algorithms import decompose, leximin
from civicsortition.algorithms._pricing import make_pricing
from civicsortition.algorithms.decompose import peel
from civicsortition.algorithms.relaxation import relaxed_nash
from civicsortition.backends import get_backend
from civicsortition.backends.highs import _csc
from civicsortition.distribution import check_distribution
from civicsortition.program import PanelProgram

from . import oracle
from .test_engine import tiny_instances

SETTINGS = settings(deadline=None, max_examples=40,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _pricing(prog: PanelProgram, backend: str = "highs"):  # type: ignore[no-untyped-def]
    return make_pricing(get_backend(backend), prog.A, prog.row_lo, prog.row_hi,
                        np.zeros(prog.n_types), prog.sizes.astype(float))


def _profiles(prog: PanelProgram, panels: list[tuple[int, ...]]) -> np.ndarray:
    out = np.zeros((len(panels), prog.n_types), dtype=np.int64)
    for j, panel in enumerate(panels):
        np.add.at(out[j], prog.type_of[list(panel)], 1)
    return out


@st.composite
def two_category_targets(draw: st.DrawFn) -> tuple[PanelProgram, np.ndarray]:
    """A 2-category pool (integral relaxation) and a random lottery's expected profile."""
    n = draw(st.integers(3, 9))
    k = draw(st.integers(1, min(5, n - 1)))
    cats = {"a": ["a0", "a1", "a2"], "b": ["b0", "b1"]}
    codes = [[draw(st.integers(0, 2)), draw(st.integers(0, 1))] for _ in range(n)]
    pool = Pool(Strata.from_mapping(cats), [f"p{i}" for i in range(n)], codes)
    entries = []
    for name, vals in cats.items():
        for v in vals:
            lo = draw(st.integers(0, k))
            entries.append(ValueQuota(name, v, lo, draw(st.integers(lo, k))))
    quotas = Quotas(k, entries)
    panels = oracle.feasible_panels(pool, quotas)
    assume(panels)
    prog = PanelProgram.build(pool, quotas)
    profiles = _profiles(prog, panels)
    weights = np.array(draw(st.lists(st.integers(0, 5), min_size=len(panels),
                                     max_size=len(panels))), dtype=float)
    assume(weights.sum() > 0)
    return prog, (weights / weights.sum()) @ profiles


@SETTINGS
@given(case=two_category_targets())
def test_peeling_decomposes_any_lottery_mean_with_two_categories(
        case: tuple[PanelProgram, np.ndarray]) -> None:
    # With two categories and no households the relaxed polytope is integral, so every face
    # met on the way has a profile and peeling must end with the exact mean.
    prog, target = case
    result = peel(prog, target, _pricing(prog))
    assert result.stop == "done"
    assert result.weights.min() > 0
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-8)
    np.testing.assert_allclose(result.weights @ result.profiles, target, atol=1e-6)
    for c in result.profiles:
        assert prog.check_profile(c) == []


@SETTINGS
@given(case=two_category_targets())
def test_peeling_invariants_hold_for_any_stop(case: tuple[PanelProgram, np.ndarray]) -> None:
    # Whatever the stop reason: feasible profiles, positive weights, and what is left of the
    # target is a nonnegative multiple of the unpeeled mass (seats sum to k * remaining).
    prog, target = case
    result = peel(prog, target, _pricing(prog), max_steps=2)
    for c in result.profiles:
        assert prog.check_profile(c) == []
    assert (result.weights > 0).all()
    left = target - result.weights @ result.profiles
    assert left.min() >= -1e-7
    assert left.sum() == pytest.approx(prog.panel_size * result.remaining, abs=1e-7)
    assert result.remaining == pytest.approx(1 - result.weights.sum(), abs=1e-12)


def _triangle() -> tuple[Pool, Quotas]:
    """The relaxation is not exact: a, b, c pairwise share a capped value; d shares none.

    Only {a,d}, {b,d}, {c,d} are panels (true LEXIMIN: 1/3, 1/3, 1/3, 1), but the relaxed
    polytope contains (1/2, 1/2, 1/2, 1/2), whose face has no integral point (parity).
    """
    cats = {"c1": ["x", "y"], "c2": ["x", "y"], "c3": ["x", "y"]}
    codes = [[0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 1, 1]]
    pool = Pool(Strata.from_mapping(cats), ["a", "b", "c", "d"], codes)
    quotas = Quotas(2, [ValueQuota(c, v, 0, 1 if v == "x" else 2)
                        for c in cats for v in ("x", "y")])
    return pool, quotas


@pytest.mark.parametrize("backend", ["highs", "pulp"])
def test_peeling_stops_when_the_face_has_no_profile(backend: str) -> None:
    pool, quotas = _triangle()
    prog = PanelProgram.build(pool, quotas)
    result = peel(prog, np.full(prog.n_types, 0.5), _pricing(prog, backend))
    assert result.stop == "no-profile-in-face"
    assert len(result.profiles) == 0


def test_leximin_falls_back_when_the_relaxation_is_not_exact() -> None:
    pool, quotas = _triangle()
    dist = leximin(pool, quotas)
    assert dist.details.extra["method"] == "staged"
    assert dist.details.extra["peeling"]["stop"] == "no-profile-in-face"
    np.testing.assert_allclose(dist.marginals, oracle.leximin_marginals(pool, quotas),
                               atol=1e-6)
    np.testing.assert_allclose(dist.marginals, [1 / 3, 1 / 3, 1 / 3, 1.0], atol=1e-6)
    assert check_distribution(dist) == []


@st.composite
def tiny_pools(draw: st.DrawFn) -> tuple[Pool, Quotas]:
    n = draw(st.integers(3, 8))
    k = draw(st.integers(1, min(4, n - 1)))
    cats = {f"c{j}": ["x", "y", "z"][: draw(st.integers(2, 3))]
            for j in range(draw(st.integers(1, 3)))}
    codes = [[draw(st.integers(0, len(v) - 1)) for v in cats.values()] for _ in range(n)]
    hh = [draw(st.sampled_from([None, "h0", "h1"])) for _ in range(n)]
    pool = Pool(Strata.from_mapping(cats), [f"p{i}" for i in range(n)], codes, hh)
    entries = []
    for name, vals in cats.items():
        for v in vals:
            lo = draw(st.integers(0, k))
            entries.append(ValueQuota(name, v, lo, draw(st.integers(lo, k))))
    return pool, Quotas(k, entries)


@SETTINGS
@given(inst=tiny_pools())
def test_relaxed_nash_is_certified_and_bounds_the_true_optimum(
        inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    assume(oracle.feasible_panels(pool, quotas))
    prog = PanelProgram.build(pool, quotas)
    truth = oracle.nash_marginals(pool, quotas)
    active = np.zeros(prog.n_types, dtype=bool)
    active[prog.type_of[truth > 1e-9]] = True
    rel = relaxed_nash(prog, active)
    # Primal feasible and primal = dual: the relaxed optimum, certified.
    assert rel.violation <= 1e-9
    assert rel.bound - rel.welfare == pytest.approx(0.0, abs=1e-8)
    n = prog.sizes[active]
    assert rel.welfare == pytest.approx(float(n @ np.log(rel.pi[active])), abs=1e-9)
    # The relaxation contains every lottery's marginals, so it bounds the true optimum.
    assert rel.bound >= np.log(truth[truth > 1e-9]).sum() - 1e-6


@SETTINGS
@given(inst=tiny_instances(households=True), data=st.data())
def test_face_point_finds_a_point_exactly_when_one_exists(inst: tuple[Pool, Quotas],
                                                          data: st.DataObject) -> None:
    """The LP dive never returns a point outside the bounds, and never misses a feasible one."""
    pool, quotas = inst
    prog = PanelProgram.build(pool, quotas)
    pricing = _pricing(prog)
    T = prog.n_types
    # Random face-like bounds: some types fixed to 0 or to n_t, some rows pinned.
    fix = data.draw(st.lists(st.sampled_from([None, 0, 1]), min_size=T, max_size=T))
    var_lo = np.array([prog.sizes[t] if f == 1 else 0 for t, f in enumerate(fix)], float)
    var_hi = np.array([0 if f == 0 else prog.sizes[t] for t, f in enumerate(fix)], float)
    weights = np.array(data.draw(st.lists(st.floats(0, 1), min_size=T, max_size=T)))
    res = pricing.face_point(weights, var_lo, var_hi, prog.row_lo, prog.row_hi, gap=1.0)
    feasible = [p for p in _profiles(prog, oracle.feasible_panels(pool, quotas))
                if np.all(p >= var_lo) and np.all(p <= var_hi)]
    if res.x is None:
        assert not feasible
    else:
        x = res.x.astype(np.int64)
        assert prog.check_profile(x) == []
        assert np.all(x >= var_lo)
        assert np.all(x <= var_hi)


@SETTINGS
@given(inst=tiny_instances(households=True), data=st.data())
def test_cheap_face_point_is_in_the_face_and_face_lps_agree(inst: tuple[Pool, Quotas],
                                                            data: st.DataObject) -> None:
    """LP over a neighbourhood + rounding + repair: whatever it returns is in the face; the
    neighbourhood LP of both pricing models reaches the same optimum."""
    pool, quotas = inst
    prog = PanelProgram.build(pool, quotas)
    T = prog.n_types
    fix = data.draw(st.lists(st.sampled_from([None, None, 0, 1]), min_size=T, max_size=T))
    var_lo = np.array([prog.sizes[t] if f == 1 else 0 for t, f in enumerate(fix)], float)
    var_hi = np.array([0 if f == 0 else prog.sizes[t] for t, f in enumerate(fix)], float)
    weights = np.array(data.draw(st.lists(st.floats(0, 1), min_size=T, max_size=T)))
    cols = np.flatnonzero(var_hi > 0)
    lps = [_pricing(prog, b).face_lp(weights, cols, var_lo, var_hi, prog.row_lo, prog.row_hi)
           for b in ("highs", "pulp")]
    assert (lps[0] is None) == (lps[1] is None)
    if lps[0] is not None:
        assert weights @ lps[0] == pytest.approx(weights @ lps[1], abs=1e-6)
    c = decompose._cheap_face_point(prog.A, _pricing(prog), weights, var_lo, var_hi,
                                    prog.row_lo, prog.row_hi)
    feasible = [p for p in _profiles(prog, oracle.feasible_panels(pool, quotas))
                if np.all(p >= var_lo) and np.all(p <= var_hi)]
    if c is None:
        return
    assert feasible  # it never invents a point where there is none
    assert prog.check_profile(c.astype(np.int64)) == []
    assert np.all(c >= var_lo)
    assert np.all(c <= var_hi)


@SETTINGS
@given(inst=tiny_instances(), data=st.data())
def test_repair_undoes_a_swap_or_returns_nothing(inst: tuple[Pool, Quotas],
                                                 data: st.DataObject) -> None:
    """From a feasible profile it changes nothing; from a profile one swap away from a feasible
    one it returns a feasible profile or None, never a broken one."""
    pool, quotas = inst
    panels = oracle.feasible_panels(pool, quotas)
    assume(panels)
    prog = PanelProgram.build(pool, quotas)
    T = prog.n_types
    profile = _profiles(prog, [data.draw(st.sampled_from(panels))])[0].astype(float)
    lo, hi = np.zeros(T), prog.sizes.astype(float)
    everyone = np.arange(T)
    same = decompose._repair(prog.A, profile, np.zeros(T), lo, hi, prog.row_lo, prog.row_hi,
                             everyone)
    assert same is not None
    np.testing.assert_array_equal(same, profile)
    outs, ins = np.flatnonzero(profile > 0), np.flatnonzero(profile < prog.sizes)
    moved = profile.copy()
    moved[data.draw(st.sampled_from(list(outs)))] -= 1
    moved[data.draw(st.sampled_from(list(ins)))] += 1
    fixed = decompose._repair(prog.A, moved, np.ones(T), lo, hi, prog.row_lo, prog.row_hi,
                              everyone)
    if fixed is not None:
        assert prog.check_profile(fixed.astype(np.int64)) == []
        assert fixed.sum() == prog.panel_size


def test_csc_matches_the_dense_matrix() -> None:
    rng = np.random.default_rng(3)
    A = (rng.random((7, 40)) < 0.3) * rng.integers(1, 4, (7, 40)).astype(float)
    A[:, 5] = 0.0  # an empty column keeps its start
    starts, idx, vals = _csc(A)
    back = np.zeros_like(A)
    ends = np.append(starts[1:], len(idx))
    for j in range(A.shape[1]):
        back[idx[starts[j]:ends[j]], j] = vals[starts[j]:ends[j]]
    np.testing.assert_array_equal(back, A)
