"""Census validation, quota building (bands, floors, provenance) and the quota table."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicsortition import Band, Census, InputError, Quotas, ValueQuota, apportion, build_quotas
from civicsortition.examples import rustavi_synthetic_census


# ---------------------------------------------------------------------------------- census
def test_census_shares_normalised_exactly() -> None:
    c = Census.from_shares({"sex": {"f": "0.531", "m": "0.468"}})  # sums to 0.999
    assert c.share("sex", "f") == Fraction(531, 999)
    assert sum(c.shares("sex").values()) == 1


def test_census_shares_that_do_not_sum_to_one() -> None:
    with pytest.raises(InputError) as info:
        Census.from_shares({"sex": {"f": "0.5", "m": "0.4"}, "age": {"y": "0.5", "o": "0.5"}})
    assert info.value.codes == ("shares-do-not-sum-to-one",)
    assert info.value.problems[0].column == "sex"
    assert "sum to 0.9" in str(info.value)


def test_census_tolerance_is_a_parameter() -> None:
    shares = {"sex": {"f": "0.52", "m": "0.47"}}
    with pytest.raises(InputError):
        Census.from_shares(shares)
    assert Census.from_shares(shares, tolerance="0.02").share("sex", "m") == Fraction(47, 99)


def test_census_counts_and_percent() -> None:
    counts = Census.from_counts({"d": {"a": 300, "b": 100}})
    assert counts.share("d", "a") == Fraction(3, 4)
    pct = Census.from_shares({"d": {"a": "75", "b": "25"}}, kind="percent")
    assert pct == Census.from_shares({"d": {"a": "75", "b": "25"}}, kind="percent")
    assert pct.shares("d") == counts.shares("d")


@pytest.mark.parametrize(("shares", "code"), [
    ({"sex": {"f": "-0.1", "m": "1.1"}}, "negative-share"),
    ({"sex": {"f": "abc", "m": "0.5"}}, "not-a-number"),
    ({"sex": {}}, "no-values"),
    ({}, "no-values"),
])
def test_census_bad_input(shares: dict[str, dict[str, str]], code: str) -> None:
    with pytest.raises(InputError) as info:
        Census.from_shares(shares)
    assert code in info.value.codes


def test_census_counts_reject_thousands_separator() -> None:
    with pytest.raises(InputError) as info:
        Census.from_counts({"d": {"a": "31,200", "b": "100"}})
    assert info.value.codes == ("not-a-number",)


def test_census_decimal_comma_for_shares() -> None:
    c = Census.from_shares({"sex": {"f": "0,5", "m": "0,5"}})
    assert c.share("sex", "f") == Fraction(1, 2)


def test_rustavi_census_is_embedded_and_synthetic() -> None:
    c = rustavi_synthetic_census()
    assert c.strata.names == ("sex", "age", "education", "district")
    assert len(c.strata["age"]) == 5
    assert len(c.strata["education"]) == 3
    assert "rustavi_synthetic_census" in (c.source or "")
    for cat in c.strata:
        assert sum(c.shares(cat.name).values()) == 1


# ---------------------------------------------------------------------------------- bands
def test_band_seats_and_clipping() -> None:
    b = Band.seats(2)
    assert b.bounds(1, Fraction(1, 36), 36) == (0, 3)
    assert b.bounds(35, Fraction(35, 36), 36) == (33, 36)
    assert Band.exact().bounds(7, Fraction(7, 36), 36) == (7, 7)


def test_band_percent() -> None:
    # share 0.25, k = 36, ±5 points: [floor(36*0.20), ceil(36*0.30)] = [7, 11]
    assert Band.percent(5).bounds(9, Fraction(1, 4), 36) == (7, 11)
    # The band always contains the apportioned seats.
    assert Band.percent(0).bounds(9, Fraction(1, 4), 36) == (9, 9)


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_band_seats_rejects(bad: object) -> None:
    with pytest.raises(InputError, match="non-negative integer"):
        Band.seats(bad)  # type: ignore[arg-type]


def test_band_percent_rejects() -> None:
    with pytest.raises(InputError):
        Band.percent(-3)
    with pytest.raises(InputError):
        Band.percent("lots")


# ------------------------------------------------------------------------------ build_quotas
def test_build_quotas_rustavi_36() -> None:
    census = rustavi_synthetic_census()
    quotas = build_quotas(census, 36, floors=True)
    assert quotas.panel_size == 36
    for cat in census.strata:
        rows = quotas.category(cat.name)
        seats = [q.provenance.seats for q in rows if q.provenance]
        assert sum(seats) == 36
        assert sum(q.min for q in rows) <= 36 <= sum(q.max for q in rows)
        for q in rows:
            assert q.provenance is not None
            assert q.provenance.exact_quota == 36 * census.share(cat.name, q.value)
            assert q.min <= q.provenance.seats <= q.max
            assert q.min >= 1
    female = quotas.get("sex", "female")
    assert (female.min, female.max) == (19, 21)  # 36 × 0.543 = 19.548 -> 20 seats ± 1


def test_floors_give_small_groups_a_seat() -> None:
    census = Census.from_shares({"district": {"big": "0.97", "small": "0.02", "tiny": "0.01"}})
    plain = build_quotas(census, 10, band=Band.exact())
    floored = build_quotas(census, 10, band=Band.exact(), floors=True)
    assert [q.min for q in plain] == [10, 0, 0]
    assert [q.min for q in floored] == [8, 1, 1]
    assert [q.provenance.floor_applied for q in floored if q.provenance] == [False, True, True]


def test_floors_impossible() -> None:
    census = Census.from_shares({"d": {"a": "0.5", "b": "0.3", "c": "0.2"}})
    with pytest.raises(InputError, match="floors cannot hold"):
        build_quotas(census, 2, floors=True)


def test_ties_recorded_in_provenance() -> None:
    census = Census.from_shares({"sex": {"f": "0.5", "m": "0.5"}})
    quotas = build_quotas(census, 35, band=Band.exact())
    assert [(q.min, q.provenance.tie) for q in quotas if q.provenance] == [(18, True),
                                                                          (17, False)]


def test_build_quotas_method_is_recorded() -> None:
    census = Census.from_counts({"x": {"A": 49, "B": 28, "C": 12, "D": 11}})
    quotas = build_quotas(census, 6, method="Adams", band=Band.exact())
    assert [q.min for q in quotas] == [2, 2, 1, 1]
    assert {q.provenance.method for q in quotas if q.provenance} == {"adams"}


def test_build_quotas_selected_categories() -> None:
    quotas = build_quotas(rustavi_synthetic_census(), 36, categories=["district", "sex"])
    assert quotas.strata.names == ("district", "sex")


@settings(deadline=None)
@given(counts=st.lists(st.integers(1, 5000), min_size=1, max_size=7),
       k=st.integers(1, 80), d=st.integers(0, 3), floors=st.booleans())
def test_build_quotas_properties(counts: list[int], k: int, d: int, floors: bool) -> None:
    if floors and len(counts) > k:
        return
    census = Census.from_counts({"c": {f"v{i}": x for i, x in enumerate(counts)}})
    quotas = build_quotas(census, k, band=Band.seats(d), floors=floors)
    plain = apportion({f"v{i}": x for i, x in enumerate(counts)}, k)
    for q, s in zip(quotas, plain.seats):
        assert 0 <= q.min <= q.max <= k
        assert q.provenance is not None
        if not floors:
            assert q.provenance.seats == s
            assert q.min == max(0, s - d)
            assert q.max == min(k, s + d)
            # Hamilton is within quota, so the band is within d of the exact quota.
            assert math.floor(q.provenance.exact_quota) - d <= q.min
            assert q.max <= math.ceil(q.provenance.exact_quota) + d
        else:
            assert q.min >= 1
        assert q.max - q.min <= 2 * d
    assert sum(q.min for q in quotas) <= k <= sum(q.max for q in quotas)


# ----------------------------------------------------------------------------- the Quotas type
def test_quotas_validation_collects_everything() -> None:
    with pytest.raises(InputError) as info:
        Quotas(0, [ValueQuota("sex", "f", 5, 3), ValueQuota("sex", "f", 1, 2),
                   ValueQuota("age", "y", -1, 2, min_flex=0)])
    assert set(info.value.codes) == {"bad-panel-size", "min-greater-than-max",
                                     "duplicate-quota", "negative-quota", "bad-flex"}


def test_quotas_lookup_case_insensitive_category() -> None:
    q = Quotas(10, [ValueQuota("Sex", "f", 4, 6), ValueQuota("Sex", "m", 4, 6)])
    assert q.get("sex", "m").min == 4
    with pytest.raises(InputError, match="no quota for sex=x"):
        q.get("sex", "x")
    assert q.with_panel_size(12).panel_size == 12
    assert q.panel_size == 10


def test_bound_arrays_align_with_strata() -> None:
    q = Quotas(10, [ValueQuota("sex", "f", 4, 6), ValueQuota("age", "old", 1, 3)])
    from civicsortition import Strata
    strata = Strata.from_mapping({"sex": ["m", "f"], "age": ["young", "old"]})
    lo, hi = q.bound_arrays(strata)
    assert lo.tolist() == [0, 4, 0, 1]
    assert hi.tolist() == [10, 6, 10, 3]


def test_markdown_table_lists_every_row() -> None:
    quotas = build_quotas(rustavi_synthetic_census(), 36)
    md = quotas.to_markdown()
    assert md.count("\n") == len(quotas) + 2
    assert "| sex | female | 19 | 21 | 54.30% | 19.548 | 20 |" in md
