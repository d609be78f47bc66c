"""Stage-1 invitations: exact inclusion probabilities, the public key order, reserves, planner."""

from __future__ import annotations

import hashlib
import io
import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import civicsortition as cs
from civicsortition.invitations import AddressFrame, Oversample, SimpleRandom, Stratified, invite


def frame(n: int = 40, districts: int = 3, flagged: int = 12) -> AddressFrame:
    return AddressFrame([f"A{i:03d}" for i in range(n)],
                        {"district": [f"d{i % districts}" for i in range(n)],
                         "low": ["yes" if i < flagged else "no" for i in range(n)]})


def brute_force_oversample(N: int, F: int, n1: int, n2: int) -> tuple[Fraction, Fraction]:
    """Inclusion probabilities (flagged, unflagged) by enumerating both phases exactly."""
    flagged = set(range(F))
    hits = Counter[int]()
    total = Fraction(0)
    firsts = list(itertools.combinations(range(N), n1))
    for first in firsts:
        rest = sorted(flagged - set(first))
        seconds = list(itertools.combinations(rest, n2))
        for second in seconds:
            w = Fraction(1, len(firsts) * len(seconds))
            total += w
            for a in set(first) | set(second):
                hits[a] += w  # type: ignore[assignment]
    assert total == 1
    return Fraction(hits[0]), Fraction(hits[N - 1])


@pytest.mark.parametrize(("N", "F", "n1", "n2"), [(7, 3, 2, 1), (8, 5, 3, 2), (6, 6, 2, 2),
                                                  (9, 4, 0, 3), (7, 3, 3, 0)])
def test_oversample_probability_matches_enumeration(N: int, F: int, n1: int, n2: int) -> None:
    fr = AddressFrame([str(i) for i in range(N)], {"f": ["1"] * F + ["0"] * (N - F)})
    inv = invite(fr, Oversample(n1 + n2, flag="f", share=n2 / (n1 + n2)), "seed")
    flagged, unflagged = brute_force_oversample(N, F, n1, n2)
    assert inv.inclusion[0] == pytest.approx(float(flagged), abs=1e-12)
    if F < N:
        assert inv.inclusion[N - 1] == pytest.approx(float(unflagged), abs=1e-12)


@given(st.integers(5, 60), st.integers(1, 4), st.integers(0, 60), st.integers(0, 10),
       st.sampled_from(["simple", "stratified", "oversample"]), st.text(min_size=1, max_size=8))
def test_probabilities_sum_to_letters_and_sample_has_design_shape(
        n: int, districts: int, letters: int, reserves: int, kind: str, seed: str) -> None:
    fr = frame(n, districts, flagged=n // 2 + 1)
    design: SimpleRandom | Stratified | Oversample
    if kind == "simple":
        design = SimpleRandom(letters)
    elif kind == "stratified":
        design = Stratified(letters, by="district")
    else:
        design = Oversample(letters, flag="low", share=0.25)
    expected_errors = {"too-many-letters", "stratum-too-small", "flagged-too-small", "bad-seed"}
    error: cs.InputError | None = None
    try:
        inv = invite(fr, design, seed, reserves=reserves)
    except cs.InputError as e:  # only the documented capacity errors may occur
        error = e
    if error is not None:
        assert set(error.codes) <= expected_errors
        return
    assert len(inv.invited) == letters == sum(inv.letters_by_stratum.values())
    assert len(set(inv.invited)) == letters
    assert not set(inv.invited) & set(inv.reserves)
    assert len(inv.reserves) == reserves
    # E[number of letters] = sum of inclusion probabilities (fixed-size designs).
    assert inv.inclusion.sum() == pytest.approx(letters, abs=1e-9)
    assert inv.inclusion_with_reserves.sum() == pytest.approx(letters + reserves, abs=1e-9)
    assert np.all(inv.inclusion_with_reserves >= inv.inclusion - 1e-15)
    if kind == "stratified":
        col = fr.column("district")
        got = Counter(col[fr.ids.index(a)] for a in inv.invited)
        assert {k: got.get(k, 0) for k in inv.letters_by_stratum} == inv.letters_by_stratum


def test_stratified_letters_follow_population_and_sum_to_total() -> None:
    fr = frame(300, 3)
    inv = invite(fr, Stratified(60, population={"d0": 5000, "d1": 3000, "d2": 2000}), "s")
    assert inv.letters_by_stratum == {"d0": 30, "d1": 18, "d2": 12}
    assert sum(inv.letters_by_stratum.values()) == 60
    assert inv.probability("A000") == pytest.approx(30 / 100)
    assert inv.probability("A001") == pytest.approx(18 / 100)


def test_public_key_order_can_be_redone_with_hashlib() -> None:
    fr = frame(25)
    inv = invite(fr, SimpleRandom(5), "  Lotto  7 12\t19 ")
    assert inv.seed == "Lotto 7 12 19"

    def key(a: str) -> int:
        text = "civicsortition-invite/1\nuniform\nLotto 7 12 19\n" + a
        return int(hashlib.sha256(text.encode()).hexdigest(), 16)

    assert inv.invited == tuple(sorted(fr.ids, key=key)[:5])
    assert invite(fr, SimpleRandom(5), "Lotto 7 12 19").invited == inv.invited
    assert invite(fr, SimpleRandom(5), "Lotto 7 12 20").invited != inv.invited


def test_reserves_extend_the_stratified_sample() -> None:
    fr = frame(90, 3)
    inv = invite(fr, Stratified(12), "s", reserves=6)
    col = fr.column("district")
    per = Counter(col[fr.ids.index(a)] for a in inv.reserves)
    assert per == Counter({"d0": 2, "d1": 2, "d2": 2})
    assert inv.probability("A000", reserves=True) == pytest.approx(6 / 30)


@pytest.mark.parametrize(("design", "code"), [
    (SimpleRandom(41), "too-many-letters"),
    (Stratified(30, population={"d0": 10, "d1": 1, "d2": 1}), "stratum-too-small"),
    (Stratified(3, population={"d0": 1, "d1": 1}), "missing-population"),
    (Stratified(3, population={"d0": 1, "d1": 1, "d2": 1, "d9": 1}), "unknown-stratum"),
    (Stratified(3, by="region"), "unknown-column"),
    (Oversample(20, flag="low"), "flagged-too-small"),
    (SimpleRandom(-1), "bad-letter-count"),
])
def test_design_errors_are_structured(design: SimpleRandom | Stratified | Oversample,
                                      code: str) -> None:
    with pytest.raises(cs.InputError) as e:
        invite(frame(40, 3, flagged=12), design, "seed")
    assert code in e.value.codes


def test_frame_errors_name_line_and_value() -> None:
    text = "address,district\nA1,d1\nA2,\nA1,d2\n"
    with pytest.raises(cs.InputError) as e:
        cs.read_address_frame(io.StringIO(text))
    p = e.value.problems[0]
    assert (p.code, p.row, p.value) == ("duplicate-address", 4, "A1")
    fr = cs.read_address_frame(io.StringIO("address,district\nA1,d1\nA2,\n"))
    with pytest.raises(cs.InputError) as e:
        invite(fr, Stratified(1), "s")
    assert (e.value.problems[0].code, e.value.problems[0].row) == ("missing-value", 3)


def test_written_invitations_round_trip() -> None:
    fr = frame(30)
    inv = invite(fr, SimpleRandom(6), "s", reserves=3)
    out = io.StringIO()
    cs.write_invitations(out, inv)
    lines = out.getvalue().splitlines()
    assert lines[0] == "address,status,order,inclusion_probability,inclusion_with_reserves"
    status = Counter(line.split(",")[1] for line in lines[1:])
    assert status == Counter({"invited": 6, "reserve": 3, "not-invited": 21})


def _simulate(fr: AddressFrame, design: SimpleRandom | Stratified | Oversample,
              runs: int) -> np.ndarray:
    counts = Counter[str]()
    for r in range(runs):
        counts.update(invite(fr, design, f"simulation {r}").invited)
    return np.array([counts[a] for a in fr.ids], dtype=float)


def _assert_frequencies(freq: np.ndarray, pi: np.ndarray, runs: int) -> None:
    se = np.sqrt(pi * (1 - pi) / runs)
    z = np.abs(freq / runs - pi) / np.where(se > 0, se, 1)
    assert z.max() < 4.5, f"max z {z.max():.2f}"
    # Aggregate check: chi-square over addresses with the binomial variance.
    chi2 = float(np.sum(((freq - runs * pi) ** 2) / (runs * pi * (1 - pi))))
    assert stats.chi2.sf(chi2, len(pi)) > 1e-4


def test_oversample_frequencies_quick() -> None:
    fr = frame(14, 2, flagged=6)
    design = Oversample(5, flag="low", share=0.4)
    runs = 1500
    inv = invite(fr, design, "x")
    _assert_frequencies(_simulate(fr, design, runs), np.asarray(inv.inclusion), runs)


@pytest.mark.slow
@pytest.mark.parametrize("design", [SimpleRandom(9), Stratified(9, by="district"),
                                    Oversample(9, flag="low", share=1 / 3)])
def test_inclusion_probabilities_by_simulation(
        design: SimpleRandom | Stratified | Oversample) -> None:
    fr = frame(36, 3, flagged=12)
    runs = 20_000
    inv = invite(fr, design, "x")
    _assert_frequencies(_simulate(fr, design, runs), np.asarray(inv.inclusion), runs)


@pytest.mark.parametrize("rates", [0.05, (0.03, 0.09)])
def test_plan_letters_is_minimal_at_both_rates(rates: float | tuple[float, float]) -> None:
    plan = cs.plan_letters(250, rates, confidence=0.95)
    lo, hi = (rates, rates) if isinstance(rates, float) else rates
    for letters, rate in ((plan.letters, lo), (plan.letters_optimistic, hi)):
        assert stats.binom.sf(249, letters, rate) >= 0.95
        assert stats.binom.sf(249, letters - 1, rate) < 0.95
    assert plan.letters_optimistic <= plan.letters
    assert str(plan.letters) in str(plan)


def test_expected_registrations_interval_covers_simulation() -> None:
    lo, hi = cs.expected_registrations(4000, (0.05, 0.07), level=0.9)
    rng = np.random.default_rng(20261125)
    for rate in (0.05, 0.07):
        sims = rng.binomial(4000, rate, size=4000)
        inside = np.mean((sims >= lo) & (sims <= hi))
        assert inside >= 0.93  # at least the central 90% at each end of the range
    with pytest.raises(cs.InputError, match="bad-response-rate"):
        cs.plan_letters(10, (0.2, 0.1))


def test_docs_letter_plan_figures_match_code() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "pipeline.md").read_text()
    plan = cs.plan_letters(300, (0.05, 0.08))
    assert f"{plan.letters_optimistic:,} to {plan.letters:,}" in text
