"""Synthetic instances: reproducible, realistic numbers of types, feasible quotas from a census."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition.algorithms.feasibility import feasible_profile
from civicsortition.research.synthetic import (
    CALIBRATED_SKEW,
    PRESETS,
    PUBLISHED_MINIMUM,
    Instance,
    preset,
    synthetic_instance,
)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_have_published_shapes_and_feasible_quotas(name: str) -> None:
    inst = preset(name)
    n, k, c = PRESETS[name]
    assert (inst.pool.n, inst.quotas.panel_size, len(inst.pool.strata)) == (n, k, c)
    assert feasible_profile(cs.PanelProgram.build(inst.pool, inst.quotas)) is not None
    counts = inst.pool.value_counts()
    for q in inst.quotas:
        assert q.min <= counts[(q.category, q.value)]
    if 6 <= c <= 8:  # realistic numbers of distinct profiles on 6-8 categories
        assert 0.3 <= inst.n_types / n <= 0.9


def test_same_seed_same_instance_and_different_seed_differs() -> None:
    a, b = preset("sf_a", seed=3), preset("sf_a", seed=3)
    assert a.digest == b.digest
    assert preset("sf_a", seed=4).digest != a.digest


def test_quotas_come_from_the_census_by_the_quota_builder() -> None:
    inst = synthetic_instance(400, 40, 5, seed=11)
    rebuilt = cs.build_quotas(inst.census, 40, band=cs.Band.seats(inst.band))
    counts = inst.pool.value_counts()
    for q, r in zip(inst.quotas, rebuilt, strict=True):
        assert (q.category, q.value, q.max) == (r.category, r.value, r.max)
        assert q.min == min(r.min, counts[(q.category, q.value)])
        assert q.provenance is not None


def test_self_selection_makes_the_pool_differ_from_the_census() -> None:
    inst = synthetic_instance(5000, 50, 4, seed=5, response=(0.1, 1.0))
    gaps = [abs(inst.pool.count(c.name, v) / inst.pool.n - float(inst.census.share(c.name, v)))
            for c in inst.pool.strata for v in c.values]
    assert max(gaps) > 0.02   # some group is clearly over- or under-represented
    even = synthetic_instance(5000, 50, 4, seed=5, response=(1.0, 1.0))
    gaps_even = [abs(even.pool.count(c.name, v) / even.pool.n
                     - float(even.census.share(c.name, v)))
                 for c in even.pool.strata for v in c.values]
    assert max(gaps_even) < 0.03  # no self-selection: sampling noise only


@settings(max_examples=15, deadline=None)
@given(st.integers(30, 300), st.floats(0.0, 0.6), st.integers(0, 2**32 - 1))
def test_households_pair_people_who_share_an_address(n: int, share: float, seed: int) -> None:
    inst = synthetic_instance(n, 5, 3, seed=seed, households=share)
    keys = inst.pool.households
    if share == 0:
        assert keys is None
        return
    assert keys is not None
    groups: dict[str, list[int]] = {}
    for i, h in enumerate(keys):
        if h is not None:
            groups.setdefault(h, []).append(i)
    assert all(len(g) == 2 for g in groups.values())
    assert len(groups) == round(share * n / 2)
    for a, b in groups.values():
        assert inst.pool.codes[a, -1] == inst.pool.codes[b, -1]


def test_household_rule_is_honoured_on_a_synthetic_pool() -> None:
    inst = preset("rustavi_200", households=0.3)
    dist = cs.find_distribution(inst.pool, inst.quotas, households=True)
    assert cs.check_distribution(dist) == []
    keys = inst.pool.households
    assert keys is not None
    for members, _ in dist.panels():
        hh = [keys[int(i)] for i in members if keys[int(i)] is not None]
        assert len(hh) == len(set(hh))


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"n": 10, "k": 10}, "bad-parameter"), ({"n": 10, "k": 2, "households": 1.5}, "bad-parameter"),
    ({"n": 10, "k": 2, "categories": 0}, "bad-parameter"),
    ({"n": 10, "k": 2, "values": (4, 3)}, "bad-parameter"),
])
def test_bad_parameters(kwargs: dict[str, float], code: str) -> None:
    with pytest.raises(cs.InputError) as e:
        synthetic_instance(**kwargs)  # type: ignore[arg-type]
    assert e.value.code == code
    with pytest.raises(cs.InputError, match="unknown-preset"):
        preset("sf_z")


def test_types_grow_with_n() -> None:
    small, large = (synthetic_instance(n, 20, 7, seed=2) for n in (200, 2000))
    assert small.n_types < large.n_types
    assert np.unique(large.pool.codes, axis=0).shape[0] == large.n_types


@pytest.mark.parametrize("name", sorted(CALIBRATED_SKEW))
def test_calibrated_presets_are_as_hard_as_the_published_pools(name: str) -> None:
    # Published reference values: the LEXIMIN minimum of each calibrated shape is within
    # ±25% of the real instance's (Flanigan et al., Nature 596, 2021).
    inst = preset(name, calibrated=True)
    dist = cs.leximin(inst.pool, inst.quotas)
    assert cs.check_distribution(dist, expand=False) == []
    assert 0.75 <= dist.minimum / PUBLISHED_MINIMUM[name] <= 1.25, dist.minimum
    assert inst.params["skew"] == CALIBRATED_SKEW[name]


def test_skew_strengthens_self_selection() -> None:
    # Value-level self-selection moves the pool away from the census: the largest gap between
    # a value's pool share and its census share grows with skew.
    def gap(inst: Instance) -> float:
        worst = 0.0
        for q in inst.quotas:
            pool_share = inst.pool.count(q.category, q.value) / inst.pool.n
            census = q.provenance.share if q.provenance is not None else None
            if census is not None:
                worst = max(worst, abs(pool_share - float(census)))
        return worst

    plain = synthetic_instance(800, 40, 5, seed=4)
    skewed = synthetic_instance(800, 40, 5, seed=4, skew=1.0)
    assert gap(skewed) > 1.5 * gap(plain)
    assert skewed.params["skew"] == 1.0
    with pytest.raises(cs.InputError, match="no-calibration"):
        preset("rustavi_200", calibrated=True)
