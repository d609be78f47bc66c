"""Tickets drawn uniformly from all feasible panels: exact, reproducible, re-derivable."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import civicsortition as cs
from civicsortition import Pool, Quotas, ValueQuota
from civicsortition.errors import InputError
from civicsortition.lottery import TransparentLottery
from civicsortition.uniform import uniform_tickets, verify_uniform_tickets

from . import oracle


def _instance(households: bool = False) -> tuple[Pool, Quotas]:
    recs = [{"sex": s, "age": a} for s, a in zip("ffffmmmf", "yoyoyooy", strict=True)]
    hh = ["a", "a", None, "b", "b", None, None, None] if households else None
    pool = Pool.from_records(recs, categories=["sex", "age"])
    pool = Pool(pool.strata, pool.ids, pool.codes, hh)
    quotas = Quotas(3, [ValueQuota("sex", "f", 1, 2), ValueQuota("sex", "m", 1, 2),
                        ValueQuota("age", "y", 1, 2), ValueQuota("age", "o", 1, 2)])
    return pool, quotas


@pytest.mark.parametrize("households", [False, True])
def test_tickets_are_feasible_reproducible_and_re_derivable(households: bool) -> None:
    pool, quotas = _instance(households)
    panels = {tuple(sorted(pool.ids[i] for i in p))
              for p in oracle.feasible_panels(pool, quotas, households)}
    lot = uniform_tickets(pool, quotas, 300, "Rustavi 2026", households=households)
    assert set(lot.tickets) <= panels                        # every ticket a feasible panel
    again = uniform_tickets(pool, quotas, 300, "  Rustavi   2026 ", households=households)
    assert again.tickets == lot.tickets                       # the seed is normalised
    other = uniform_tickets(pool, quotas, 300, "another seed", households=households)
    assert other.tickets != lot.tickets
    assert verify_uniform_tickets(pool, quotas, lot, "Rustavi 2026",
                                  households=households) == []
    forged = TransparentLottery((lot.tickets[1], *lot.tickets[1:]), None, lot.target,
                                lot.ids)
    assert verify_uniform_tickets(pool, quotas, forged, "Rustavi 2026",
                                  households=households) != []
    truth = oracle.incidence(pool, oracle.feasible_panels(pool, quotas, households)).mean(axis=1)
    assert lot.target is not None
    np.testing.assert_allclose(lot.target, truth, atol=1e-12)
    record = cs.draw(lot, "draw seed")
    assert cs.verify_selection(pool, quotas, lottery=lot, record=record,
                               households=households).ok


def test_bad_arguments() -> None:
    pool, quotas = _instance()
    with pytest.raises(InputError) as caught:
        uniform_tickets(pool, quotas, 0, "s")
    assert caught.value.code == "bad-ticket-count"
    impossible = Quotas(3, [ValueQuota("sex", "m", 3, 3), ValueQuota("age", "y", 3, 3)])
    with pytest.raises(InputError) as caught:
        uniform_tickets(pool, impossible, 5, "s")
    assert caught.value.code == "no-feasible-panel"


@pytest.mark.slow
def test_ticket_frequencies_match_the_uniform_lottery() -> None:
    from scipy import stats

    pool, quotas = _instance(households=True)
    panels = [tuple(sorted(pool.ids[i] for i in p))
              for p in oracle.feasible_panels(pool, quotas, True)]
    m = 6000
    lot = uniform_tickets(pool, quotas, m, "chi-square", households=True)
    seen = Counter(lot.tickets)
    observed = np.array([seen[p] for p in panels])
    assert observed.sum() == m
    _, p_value = stats.chisquare(observed)          # against equal frequencies
    assert p_value > 1e-3
