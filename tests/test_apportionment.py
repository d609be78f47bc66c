"""Apportionment: hand-computed textbook cases and properties from the theory.

Oracles:
* hand computations (written out below);
* the Balinski-Young min-max characterisation of divisor methods: an allocation ``s`` is a
  divisor-method allocation for the divisor sequence ``d`` iff
  ``max_i p_i / d(s_i) <= min_{i: s_i > 0} p_i / d(s_i - 1)`` -- a definition independent of
  the sequential procedure the library uses;
* Hamilton's quota property ``floor(k p) <= s <= ceil(k p)``.
"""

from __future__ import annotations

import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicsortition import InputError, TieError, apportion
from civicsortition.apportionment import METHODS, resolve_method

DIVISOR_METHODS = ["dhondt", "webster", "huntington-hill", "adams"]


# --------------------------------------------------------------------- hand-computed cases
# Populations 49, 28, 12, 11 (total 100), 6 seats; exact quotas 2.94, 1.68, 0.72, 0.66.
#  Hamilton: floors 2,1,0,0 (3 seats); remainders .94 > .72 > .68 > .66 -> A, C, B: (3,2,1,0).
#  D'Hondt (p/(s+1)): A49, B28, A24.5, A16.3, B14, A12.25 -> (4,2,0,0).
#  Webster (p/(s+1/2)): A98, B56, A32.7, C24, D22, A19.6 -> (3,1,1,1).
#  Huntington-Hill (p/sqrt(s(s+1))): one each (d(0)=0), then A 49/√2=34.6, A 49/√6=20.006
#    (beats B 28/√2=19.8) -> (3,1,1,1).
#  Adams (p/s): one each, then A 49, B 28 (beats A 24.5) -> (2,2,1,1).
FOUR = {"A": 49, "B": 28, "C": 12, "D": 11}
FOUR_EXPECTED = {
    "largest-remainder": (3, 2, 1, 0),
    "dhondt": (4, 2, 0, 0),
    "webster": (3, 1, 1, 1),
    "huntington-hill": (3, 1, 1, 1),
    "adams": (2, 2, 1, 1),
}

# Populations 50, 29, 21, 5 seats: Webster A100, B58, C42, A33.3, A20 (beats B 19.3)
# -> (3,1,1); Huntington-Hill one each, then A 50/√2=35.4, B 29/√2=20.51 (beats A 50/√6=20.41)
# -> (2,2,1). Separates the two methods that agree above.
THREE = {"A": 50, "B": 29, "C": 21}


@pytest.mark.parametrize("method", list(METHODS))
def test_textbook_four_parties(method: str) -> None:
    result = apportion(FOUR, 6, method=method, tie_break="raise")
    assert result.seats == FOUR_EXPECTED[method]
    assert result.ties == ()


def test_webster_and_huntington_hill_differ_on_hand_case() -> None:
    assert apportion(THREE, 5, method="webster").seats == (3, 1, 1)
    assert apportion(THREE, 5, method="huntington-hill").seats == (2, 2, 1)


def test_alabama_paradox_hamilton_is_not_house_monotone() -> None:
    # The classic Alabama paradox instance (populations 6, 6, 2; 10 -> 11 seats): C loses a
    # seat when the house grows. k=10: quotas 4.286, 4.286, 1.429 -> (4,4,2);
    # k=11: quotas 4.714, 4.714, 1.571 -> floors 4,4,1, remainders .714,.714,.571 -> (5,5,1).
    shares = {"A": 6, "B": 6, "C": 2}
    assert apportion(shares, 10).seats == (4, 4, 2)
    assert apportion(shares, 11).seats == (5, 5, 1)


def test_exact_quotas_and_shares_are_fractions() -> None:
    result = apportion({"a": "0.1", "b": "0.2", "c": "0.7"}, 36)
    assert result.shares == (Fraction(1, 10), Fraction(1, 5), Fraction(7, 10))
    assert result.exact == (Fraction(18, 5), Fraction(36, 5), Fraction(126, 5))
    assert result.seats == (4, 7, 25)


def test_aliases_resolve() -> None:
    assert resolve_method("Hamilton") == "largest-remainder"
    assert resolve_method("sainte_lague") == "webster"
    assert resolve_method("Jefferson") == "dhondt"
    with pytest.raises(InputError, match="unknown apportionment method"):
        resolve_method("borda")


# ---------------------------------------------------------------------------------- ties
def test_tie_order_gives_seat_to_first_and_records_it() -> None:
    result = apportion({"x": 1, "y": 1}, 3)
    assert result.seats == (2, 1)
    assert result.ties == ("x",)


def test_tie_raise() -> None:
    with pytest.raises(TieError, match="tied between") as info:
        apportion({"x": 1, "y": 1}, 3, tie_break="raise")
    assert info.value.code == "apportionment-tie"


@pytest.mark.parametrize("method", list(METHODS))
def test_immaterial_tie_is_not_a_tie(method: str) -> None:
    # Two equal shares and an even number of seats: both get the same, no rule needed.
    result = apportion({"x": 1, "y": 1}, 4, method=method, tie_break="raise")
    assert result.seats == (2, 2)
    assert result.ties == ()


def test_tie_random_depends_on_seed_only() -> None:
    outcomes = {apportion({"x": 1, "y": 1, "z": 1}, 4, tie_break="random", rng=s).seats
                for s in range(40)}
    assert outcomes == {(2, 1, 1), (1, 2, 1), (1, 1, 2)}
    a = apportion({"x": 1, "y": 1, "z": 1}, 4, tie_break="random", rng=12345678901)
    b = apportion({"x": 1, "y": 1, "z": 1}, 4, tie_break="random", rng=12345678901)
    assert a == b


# ------------------------------------------------------------------------------- minimums
@pytest.mark.parametrize("method", list(METHODS))
def test_minimums_are_respected(method: str) -> None:
    result = apportion({"big": 97, "small": 2, "tiny": 1}, 10, method=method,
                       minimums={"small": 1, "tiny": 1})
    assert result.seats[1] >= 1
    assert result.seats[2] >= 1
    assert sum(result.seats) == 10


def test_hamilton_minimums_reapportion_the_rest() -> None:
    # tiny is fixed at 1; the remaining 9 seats split 97:2 -> quotas 8.82, 0.18 -> (9, 0)?
    # No: small also has a minimum of 1, so both are fixed and big gets 8.
    assert apportion({"big": 97, "small": 2, "tiny": 1}, 10,
                     minimums={"small": 1, "tiny": 1}).seats == (8, 1, 1)
    # Without minimums: quotas 9.7, 0.2, 0.1 -> (10, 0, 0).
    assert apportion({"big": 97, "small": 2, "tiny": 1}, 10).seats == (10, 0, 0)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("shares", "seats", "code"), [
    ({"a": -1, "b": 2}, 3, "negative-share"),
    ({"a": "x", "b": 2}, 3, "not-a-number"),
    ({"a": float("nan"), "b": 2}, 3, "not-a-number"),
    ({"a": 0, "b": 0}, 3, "zero-total"),
    ({}, 3, "no-values"),
    ({"a": 1}, -1, "bad-seats"),
    ({"a": 1}, 2.5, "bad-seats"),
])
def test_bad_input(shares: dict[str, object], seats: object, code: str) -> None:
    with pytest.raises(InputError) as info:
        apportion(shares, seats)  # type: ignore[arg-type]
    assert code in info.value.codes


def test_minimums_exceeding_seats() -> None:
    with pytest.raises(InputError, match="minimums add up to 3"):
        apportion({"a": 1, "b": 1, "c": 1}, 2, minimums={"a": 1, "b": 1, "c": 1})


def test_error_is_picklable() -> None:
    with pytest.raises(InputError) as info:
        apportion({"a": -1}, 3)
    clone = pickle.loads(pickle.dumps(info.value))
    assert clone.problems == info.value.problems
    assert str(clone) == str(info.value)


def test_input_not_mutated() -> None:
    shares = {"a": 3, "b": 2}
    mins = {"a": 1}
    apportion(shares, 4, minimums=mins)
    assert shares == {"a": 3, "b": 2}
    assert mins == {"a": 1}


# ------------------------------------------------------------------------------ properties
share_maps = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8).filter(
    lambda xs: sum(xs) > 0).map(lambda xs: {f"v{i}": x for i, x in enumerate(xs)})


def _divisor(method: str, s: int) -> float:
    return {"dhondt": s + 1.0, "webster": s + 0.5, "adams": float(s),
            "huntington-hill": math.sqrt(s * (s + 1))}[method]


def _ratio(p: Fraction, d: float) -> float:
    return math.inf if d == 0 else float(p) / d


@settings(deadline=None)
@given(shares=share_maps, k=st.integers(min_value=0, max_value=60),
       method=st.sampled_from(list(METHODS)))
def test_seats_sum_to_k(shares: dict[str, int], k: int, method: str) -> None:
    positive = sum(1 for x in shares.values() if x > 0)
    result = apportion(shares, k, method=method)
    assert sum(result.seats) == k
    assert all(s == 0 for s, x in zip(result.seats, shares.values()) if x == 0)
    if method in ("adams", "huntington-hill") and k >= positive:
        assert all(s >= 1 for s, x in zip(result.seats, shares.values()) if x > 0)


@settings(deadline=None)
@given(shares=share_maps, k=st.integers(min_value=0, max_value=60))
def test_hamilton_stays_within_quota(shares: dict[str, int], k: int) -> None:
    result = apportion(shares, k, method="largest-remainder")
    for s, q in zip(result.seats, result.exact):
        assert math.floor(q) <= s <= math.ceil(q)


@settings(deadline=None)
@given(shares=share_maps, k=st.integers(min_value=0, max_value=50),
       method=st.sampled_from(DIVISOR_METHODS))
def test_divisor_methods_are_house_monotone(shares: dict[str, int], k: int, method: str) -> None:
    small = apportion(shares, k, method=method).seats
    large = apportion(shares, k + 1, method=method).seats
    assert all(b >= a for a, b in zip(small, large))


@settings(deadline=None)
@given(shares=share_maps, k=st.integers(min_value=1, max_value=50),
       method=st.sampled_from(DIVISOR_METHODS))
def test_divisor_min_max_characterisation(shares: dict[str, int], k: int, method: str) -> None:
    result = apportion(shares, k, method=method)
    pos = [i for i, p in enumerate(result.shares) if p > 0]
    worst_unwon = max(_ratio(result.shares[i], _divisor(method, result.seats[i])) for i in pos)
    best_won = min((_ratio(result.shares[i], _divisor(method, result.seats[i] - 1))
                    for i in pos if result.seats[i] > 0), default=math.inf)
    assert worst_unwon <= best_won * (1 + 1e-12)


@settings(deadline=None)
@given(shares=share_maps, k=st.integers(min_value=0, max_value=40),
       method=st.sampled_from(list(METHODS)), data=st.data())
def test_minimums_always_hold(shares: dict[str, int], k: int, method: str,
                              data: st.DataObject) -> None:
    positive = [v for v, x in shares.items() if x > 0]
    chosen = data.draw(st.lists(st.sampled_from(positive), unique=True, max_size=k))
    result = apportion(shares, k, method=method, minimums=dict.fromkeys(chosen, 1))
    assert sum(result.seats) == k
    for v in chosen:
        assert result.as_dict()[v] >= 1


def test_scale_invariance_counts_vs_shares() -> None:
    counts = {"a": 54300, "b": 45700}
    shares = {"a": "0.543", "b": "0.457"}
    for method in METHODS:
        assert apportion(counts, 36, method=method).seats == \
            apportion(shares, 36, method=method).seats


def test_numpy_integers_accepted() -> None:
    assert apportion({"a": np.int64(3), "b": np.int64(1)}, np.int64(4)).seats == (3, 1)
