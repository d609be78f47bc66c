"""The 80% vote: thresholds with every denominator, rounding up, exact rationals, answer date."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition.vote import answer_due, required_votes, tally

MEMBERS = [f"m{i:02d}" for i in range(36)]


def ballots(yes: int, no: int, abstain: int = 0) -> dict[str, str]:
    votes = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
    return dict(zip(MEMBERS, votes, strict=False))


@pytest.mark.parametrize("denominator", ["members", "present", "cast"])
def test_29_of_36_adopts_and_28_does_not(denominator: str) -> None:
    result = tally({"R1": ballots(29, 7), "R2": ballots(28, 8)}, MEMBERS,
                   denominator=denominator)
    r1, r2 = result.outcomes
    assert (r1.denominator, r1.required, r1.adopted) == (36, 29, True)
    assert (r2.denominator, r2.required, r2.adopted) == (36, 29, False)
    assert result.adopted == ("R1",)


def test_denominators_differ_when_members_abstain_or_are_absent() -> None:
    votes = {"R": ballots(24, 4, 2)}  # 30 present, 6 absent, 28 cast
    expect = {"members": (36, 29, False), "present": (30, 24, True), "cast": (28, 23, True)}
    for denominator, (base, need, adopted) in expect.items():
        o = tally(votes, MEMBERS, denominator=denominator).outcomes[0]
        assert (o.denominator, o.required, o.adopted) == (base, need, adopted), denominator
        assert (o.yes, o.no, o.abstain, o.not_voting) == (24, 4, 2, 6)
    listed = tally(votes, MEMBERS, denominator="present", present=MEMBERS[:33]).outcomes[0]
    assert (listed.denominator, listed.required, listed.adopted) == (33, 27, False)


@given(st.integers(1, 200), st.integers(1, 100), st.integers(1, 100))
def test_required_votes_is_exact_ceiling(denominator: int, num: int, den: int) -> None:
    t = Fraction(min(num, den), den)
    need = required_votes(t, denominator)
    # need is the least integer with need >= t * D (and at least 1)
    assert Fraction(need) >= t * denominator
    assert need == 1 or Fraction(need - 1) < t * denominator


def test_float_threshold_read_as_decimal() -> None:
    assert required_votes(0.8, 35) == 28  # Fraction(0.8) * 35 would round up to 29
    assert math.ceil(Fraction(0.8) * 35) == 29  # the pitfall this guards against
    assert required_votes("0.80", 36) == 29
    assert required_votes(0.8, 0) == 1  # nothing cast: nothing adopted
    with pytest.raises(cs.InputError, match="bad-threshold"):
        required_votes(1.2, 10)


def test_vote_errors_are_structured() -> None:
    with pytest.raises(cs.InputError) as e:
        tally({"R1": {"m00": "perhaps", "stranger": "yes"}, "R2": {"m01": "yes"}}, MEMBERS,
              denominator="present", present=["m00"])
    assert set(e.value.codes) == {"bad-vote", "not-a-member", "absent-voter"}
    with pytest.raises(cs.InputError, match="bad-denominator"):
        tally({}, MEMBERS, denominator="voters")
    with pytest.raises(cs.InputError, match="duplicate-member"):
        tally({}, ["a", "a"])


def test_answer_due_and_markdown() -> None:
    assert answer_due(dt.date(2026, 12, 15)) == dt.date(2027, 1, 14)
    assert answer_due(dt.date(2028, 2, 10)) == dt.date(2028, 3, 11)  # leap year
    result = tally({"Bus lanes": ballots(30, 6)}, MEMBERS, handover=dt.date(2027, 3, 1))
    assert result.answer_due == dt.date(2027, 3, 31)
    text = result.to_markdown()
    assert "29 of 36" in text
    assert "2027-03-31" in text
    assert "m00" not in str(result.as_dict())
