"""Transparent lottery, rounding and the public draw."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import assume, given
from scipy import stats

from civicsortition import Pool, Quotas, ValueQuota, leximin, maximin
from civicsortition.draw import (
    DrawRecord,
    draw,
    draw_exact,
    normalise_seed,
    seed_to_index,
    verify,
)
from civicsortition.errors import InputError
from civicsortition.lottery import TransparentLottery, transparent_lottery
from civicsortition.rounding import dependent_rounding, round_lottery

from . import oracle
from .test_engine import SLOW_OK, _households_instance, tiny_instances

GOLDEN = Path(__file__).parent / "data" / "draw_golden.json"


def _spelled_out_index(digest: str, seed: str, m: int) -> tuple[int, int]:
    """The documented procedure written out independently of the library."""
    limit = 2**256 - (2**256 % m)
    j = 0
    while True:
        h = hashlib.sha256(f"civicsortition-draw/1\n{digest}\n{seed}\n{j}".encode()).digest()
        v = int.from_bytes(h, "big")
        if v < limit:
            return v % m, j + 1
        j += 1


# ---------------------------------------------------------------------------- rounding
@pytest.mark.parametrize("m", [1, 7, 50, 1000])
@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_tickets_are_feasible_and_within_the_promised_bound(inst: tuple[Pool, Quotas],
                                                            m: int) -> None:
    pool, quotas = inst
    assume(oracle.feasible_panels(pool, quotas))
    dist = leximin(pool, quotas)
    prog = dist.program
    index = {pid: i for i, pid in enumerate(pool.ids)}
    deviations = {}
    for method in ("dependent", "ilp"):
        lot = transparent_lottery(dist, m, method=method)
        assert lot.m == m
        for ticket in lot.tickets:
            assert prog.check_panel([index[i] for i in ticket]) == []
        r = lot.rounding
        assert r is not None
        assert r.counts.sum() == m
        assert r.counts.min() >= 0
        assert r.deviation <= r.bound + 1e-9
        # Round-robin within types adds less than one ticket per person.
        assert lot.deviation() < r.deviation + 1 / m + 1e-9
        np.testing.assert_allclose(lot.ticket_shares().sum(), quotas.panel_size)
        deviations[method] = r.deviation
    assert deviations["ilp"] <= deviations["dependent"] + 1e-9


def test_dependent_rounding_keeps_sum_bounds_and_expectation() -> None:
    values = np.array([0.3, 1.7, 2.25, 0.75, 3.0, 1.0, 0.6, 0.4])   # sums to 10
    draws = np.array([dependent_rounding(values, np.random.default_rng(s))
                      for s in range(4000)])
    assert (draws.sum(axis=1) == 10).all()
    assert (draws >= np.floor(values)).all()
    assert (draws <= np.ceil(values)).all()
    # Expectation kept: each mean within 4 standard errors of the target.
    se = np.sqrt((values - np.floor(values)) * (np.ceil(values) - values) / len(draws))
    assert (np.abs(draws.mean(axis=0) - values) <= 4 * se + 1e-12).all()


def test_rounding_rejects_bad_options() -> None:
    x, profiles, sizes = np.array([1.0]), np.array([[1]]), np.array([1])
    with pytest.raises(InputError, match="rounding method"):
        round_lottery(x, profiles, sizes, 10, method="nearest")
    with pytest.raises(InputError, match="positive"):
        round_lottery(x, profiles, sizes, 0)


def test_round_robin_spreads_tickets_within_a_type() -> None:
    # 6 interchangeable women, 2 seats of 4 for them: each must hold 1/3 of the tickets +-1.
    pool = Pool.from_records([{"sex": s} for s in "ffffffmm"], categories=["sex"])
    quotas = Quotas(4, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 2, 2)])
    lot = transparent_lottery(leximin(pool, quotas), m=100)
    held = lot.ticket_shares()[:6] * 100
    assert held.max() - held.min() <= 1
    assert lot.deviation() < 0.01 + 1e-12


# ---------------------------------------------------------------- canonical form, digest
def test_canonical_round_trip_and_digest() -> None:
    pool, quotas = _households_instance()
    lot = transparent_lottery(leximin(pool, quotas), m=20)
    back = TransparentLottery.from_canonical(lot.canonical())
    assert back.digest() == lot.digest() == hashlib.sha256(lot.canonical()).hexdigest()
    doc = json.loads(lot.canonical())
    assert doc["format"] == "civicsortition-lottery/1"
    assert doc["m"] == 20
    changed = attrs.evolve(lot, tickets=(lot.tickets[1], lot.tickets[0], *lot.tickets[2:]))
    if lot.tickets[0] != lot.tickets[1]:
        assert changed.digest() != lot.digest()
    for bad in (b"{}", b"not json", b'{"format":"civicsortition-lottery/1","m":2,"tickets":[]}'):
        with pytest.raises(InputError, match="lottery"):
            TransparentLottery.from_canonical(bad)


# --------------------------------------------------------------------------- the draw
def test_golden_vectors() -> None:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert data["procedure"] == "civicsortition-draw/1"
    assert any(v["attempts"] > 1 for v in data["vectors"])     # rejection is exercised
    for v in data["vectors"]:
        m = int(v["m"])
        expected = (int(v["index"]), v["attempts"])
        assert seed_to_index(v["digest"], v["seed"], m) == expected
        assert _spelled_out_index(v["digest"], v["seed"], m) == expected


def test_seed_normalisation() -> None:
    assert normalise_seed("  7  12\t19\n") == "7 12 19"
    assert normalise_seed("e\u0301") == "\u00e9"                # NFC
    for bad in ("", "   ", 7):
        with pytest.raises(InputError, match="seed"):
            normalise_seed(bad)  # type: ignore[arg-type]


def _lottery() -> TransparentLottery:
    pool, quotas = _households_instance()
    return transparent_lottery(leximin(pool, quotas), m=50)


def test_draw_verifies_and_matches_the_documented_procedure() -> None:
    lot = _lottery()
    rec = draw(lot, "  04 11 23 36 41 45 ")
    assert rec.seed == "04 11 23 36 41 45"
    assert (rec.index, rec.attempts) == _spelled_out_index(lot.digest(), rec.seed, 50)
    assert rec.panel == tuple(sorted(lot.tickets[rec.index]))
    assert verify(rec, lot).ok
    assert DrawRecord.from_dict(json.loads(json.dumps(rec.as_dict()))) == rec


@pytest.mark.parametrize("field", ["digest", "seed", "index", "panel", "attempts", "m",
                                   "procedure"])
def test_verify_rejects_any_tampered_field(field: str) -> None:
    lot = _lottery()
    rec = draw(lot, "dice: 3 5 1 6 2 2")
    other = next(t for t in lot.tickets if t != lot.tickets[rec.index])
    tampered = {"digest": "f" * 64, "seed": "dice: 3 5 1 6 2 3",
                "index": (rec.index + 1) % lot.m, "panel": other, "attempts": 2, "m": 51,
                "procedure": "civicsortition-draw/0"}[field]
    verdict = verify(attrs.evolve(rec, **{field: tampered}), lot)
    assert not verdict.ok
    assert verdict.problems


def test_verify_rejects_a_swapped_lottery() -> None:
    lot = _lottery()
    rec = draw(lot, "beacon 8f1c")
    other = next(t for t in lot.tickets if t != lot.tickets[0])
    forged = TransparentLottery((other, *lot.tickets[1:]))
    assert forged.digest() != lot.digest()
    assert not verify(rec, forged).ok


def test_same_panel_in_two_fresh_processes() -> None:
    code = ("import civicsortition as cs\n"
            "from civicsortition.lottery import transparent_lottery\n"
            "from civicsortition.draw import draw\n"
            "from civicsortition.examples import rustavi_example\n"
            "pool, quotas = rustavi_example()\n"
            "lot = transparent_lottery(cs.leximin(pool, quotas), 1000)\n"
            "r = draw(lot, '2026-11-24 lotto 3 14 15 92 65 35')\n"
            "print(r.digest, r.index, ','.join(r.panel))\n")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert outs[0] == outs[1]
    assert len(outs[0].split()) == 3


@pytest.mark.slow
def test_ticket_index_is_uniform_chi_square() -> None:
    m, n = 20, 40_000
    counts = np.bincount([seed_to_index("ab" * 32, f"seed {i}", m)[0] for i in range(n)],
                         minlength=m)
    assert stats.chisquare(counts).pvalue > 1e-3


# --------------------------------------------------------------------------- exact draw
def test_exact_draw_is_reproducible_feasible_and_unbiased() -> None:
    pool, quotas = _households_instance()
    dist = maximin(pool, quotas)
    prog = dist.program
    index = {pid: i for i, pid in enumerate(pool.ids)}
    freq = np.zeros(pool.n)
    n = 3000
    for s in range(n):
        rec = draw_exact(dist, f"seed {s}")
        assert rec == draw_exact(dist, f"seed {s}")
        members = [index[i] for i in rec.panel]
        assert prog.check_panel(members) == []
        freq[members] += 1
    se = np.sqrt(dist.marginals * (1 - dist.marginals) / n)
    assert (np.abs(freq / n - dist.marginals) <= 4.5 * se + 1e-9).all()


# ------------------------------------------------------------------ rounding through a backend
def _fake_milp(status: int, message: str):  # type: ignore[no-untyped-def]
    from scipy import optimize

    def milp(c, **kwargs):  # type: ignore[no-untyped-def]
        return optimize.OptimizeResult(status=status, message=message, x=np.ones(len(c)),
                                       fun=float(np.sum(c)), mip_dual_bound=None)
    return milp


@pytest.mark.parametrize(("status", "message", "kept"), [
    (1, "Time limit reached. (HiGHS Status 13: ...)", True),
    (4, "The HiGHS status code was not recognized. (HiGHS Status 16: Solution limit reached)",
     True),
    (4, "The HiGHS status code was not recognized. (HiGHS Status 4: Numerical error)", False),
])
def test_highs_backend_keeps_the_incumbent_of_a_limit(monkeypatch: pytest.MonkeyPatch,
                                                      status: int, message: str,
                                                      kept: bool) -> None:
    """A node limit can end in HiGHS status 16, which scipy reports as status 4: the
    incumbent is still a valid solution (the rounding ILP relies on it)."""
    from scipy import optimize

    from civicsortition.backends import get_backend
    from civicsortition.errors import Status

    monkeypatch.setattr(optimize, "milp", _fake_milp(status, message))
    res = get_backend("highs").milp(np.ones(2), np.ones((1, 2)), np.zeros(1), np.full(1, 2.0),
                                    np.zeros(2), np.ones(2), node_limit=5)
    assert (res.x is not None) is kept
    assert res.status is (Status.LIMIT if kept else Status.ERROR)


def test_ilp_rounding_improves_on_dependent_rounding_within_its_node_limit() -> None:
    """On the embedded example the ILP's incumbent at the node limit beats dependent rounding
    (0.00116 against 0.00275 with HiGHS 1.x); a lost incumbent would fall back to the latter."""
    from civicsortition.examples import rustavi_example

    pool, quotas = rustavi_example()
    lottery = transparent_lottery(leximin(pool, quotas), 1000)
    assert lottery.rounding.method == "ilp"
    assert lottery.rounding.backend == "highs"
    assert lottery.rounding.deviation < 0.75 * lottery.rounding.bound
