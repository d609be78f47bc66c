"""Replacements (residual quotas, fair redraw) and alternates, against brute force."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition.replacements import (
    fill_from_alternates,
    prepare_alternates,
    replace,
    residual_quotas,
)

from . import oracle
from .test_engine import SLOW_OK, tiny_instances


@pytest.fixture(scope="module")
def rustavi() -> tuple[cs.Pool, cs.Quotas, tuple[str, ...]]:
    pool, quotas = cs.examples.rustavi_example()
    dist = cs.find_distribution(pool, quotas, households=True)
    panel = cs.draw(cs.transparent_lottery(dist), "main draw seed").panel
    return pool, quotas, panel


def replaceable_dropouts(pool: cs.Pool, panel: tuple[str, ...], d: int) -> list[str]:
    """``d`` panel members chosen by a rule that makes the residual problem feasible whatever
    panel the solver's lottery gave: each has a distinct look-alike (same values in every
    category) outside the panel, in no household with anyone on the panel. Members are taken
    in sorted id order, so the choice depends on the panel only, not on the solver."""
    on_panel = {pool.index_of(p) for p in panel}
    panel_households = {pool.households[i] for i in on_panel} if pool.households else set()
    used: set[int] = set()
    chosen: list[str] = []
    for pid in sorted(panel):
        i = pool.index_of(pid)
        for j in range(pool.n):
            free = (pool.households is None or pool.households[j] is None
                    or pool.households[j] not in panel_households)
            if (j not in on_panel and j not in used and free
                    and np.array_equal(pool.codes[j], pool.codes[i])):
                used.add(j)
                chosen.append(pid)
                break
        if len(chosen) == d:
            return chosen
    pytest.fail("the example pool has too few look-alikes outside the panel")


def test_replacement_panel_meets_quotas_and_reproduces(
        rustavi: tuple[cs.Pool, cs.Quotas, tuple[str, ...]]) -> None:
    pool, quotas, panel = rustavi
    dropouts = replaceable_dropouts(pool, panel, 3)
    first = replace(pool, quotas, panel, dropouts, "replacement 2026-12-03")
    again = replace(pool, quotas, panel, dropouts, "replacement 2026-12-03")
    assert first.record == again.record
    assert first.replacements == again.replacements
    assert len(first.replacements) == 3
    assert not set(first.replacements) & set(panel)
    program = cs.PanelProgram.build(pool, quotas, households=True)
    assert program.check_panel([pool.index_of(p) for p in first.panel]) == []
    # Every replacement set the lottery could have drawn completes a valid panel.
    for ticket in first.lottery.tickets:
        members = [pool.index_of(p) for p in (*first.kept, *ticket)]
        assert program.check_panel(members) == []
    assert cs.verify(first.record, first.lottery).ok
    assert first.as_dict()["draw"]["seed"] == "replacement 2026-12-03"


def test_infeasible_residual_raises_or_relaxes(
        rustavi: tuple[cs.Pool, cs.Quotas, tuple[str, ...]]) -> None:
    pool, quotas, panel = rustavi
    # Find a single dropout whose profile nobody left in the pool can take over exactly.
    for pid in panel:
        try:
            replace(pool, quotas, panel, [pid], "s", tickets=10)
        except cs.InfeasibleQuotasError as e:
            error, dropout = e, pid
            break
    else:
        pytest.skip("every single dropout is replaceable in this example")
    assert error.changes
    rep = replace(pool, quotas, panel, [dropout], "s", on_infeasible="relax")
    assert rep.relaxation == error.changes
    assert rep.as_dict()["relaxation"] == [str(c) for c in error.changes]
    program = cs.PanelProgram.build(rep.remaining, rep.residual, households=True)
    assert program.check_panel([rep.remaining.index_of(p) for p in rep.replacements]) == []


def test_replacement_respects_exclusions_and_households(
        rustavi: tuple[cs.Pool, cs.Quotas, tuple[str, ...]]) -> None:
    pool, quotas, panel = rustavi
    assert pool.households is not None
    kept_households = {pool.households[pool.index_of(p)] for p in panel[1:]}
    excluded = [pid for pid in pool.ids if pid not in panel][:40]
    rep = replace(pool, quotas, panel, panel[:1], "s", excluded=excluded, on_infeasible="relax")
    assert not set(rep.remaining.ids) & set(excluded)
    assert not {h for h in rep.remaining.households or () if h} & kept_households


def test_residual_quotas_shift_bounds() -> None:
    pool = cs.Pool.from_records([{"id": str(i), "s": "f" if i < 3 else "m"} for i in range(6)],
                                categories=["s"], id_field="id")
    quotas = cs.Quotas(4, [cs.ValueQuota("s", "f", 2, 3), cs.ValueQuota("s", "m", 1, 2)])
    res = residual_quotas(pool, quotas, ["0", "1", "3"], 1)
    assert [(q.min, q.max) for q in res] == [(0, 1), (0, 1)]
    with pytest.raises(cs.InputError, match="quota-exceeded"):
        residual_quotas(pool, quotas, ["3", "4", "5"], 1)  # three m, maximum 2
    res = residual_quotas(pool, quotas, ["3", "4"], 2)
    assert [(q.min, q.max) for q in res] == [(2, 3), (0, 0)]


def test_replace_input_errors(rustavi: tuple[cs.Pool, cs.Quotas, tuple[str, ...]]) -> None:
    pool, quotas, panel = rustavi
    outsider = next(p for p in pool.ids if p not in panel)
    with pytest.raises(cs.InputError) as e:
        replace(pool, quotas, panel, [outsider], "s")
    assert e.value.code == "not-on-panel"
    with pytest.raises(cs.InputError) as e:
        replace(pool, quotas, panel, ["nobody"], "s")
    assert (e.value.code, e.value.problems[0].value) == ("unknown-id", "nobody")
    with pytest.raises(cs.InputError, match="no-dropouts"):
        replace(pool, quotas, panel, [], "s")


@SLOW_OK
@given(inst=tiny_instances(households=True), data=st.data())
def test_fill_from_alternates_is_lexicographically_first(
        inst: tuple[cs.Pool, cs.Quotas], data: st.DataObject) -> None:
    pool, quotas = inst
    feasible = set(oracle.feasible_panels(pool, quotas, households=True))
    assume(feasible)
    panel = data.draw(st.sampled_from(sorted(feasible)))
    d = data.draw(st.integers(1, len(panel)))
    dropouts = list(panel[:d])
    kept = list(panel[d:])
    others = [i for i in range(pool.n) if i not in panel]
    alternates = data.draw(st.permutations(others))
    expected = None
    for combo in itertools.combinations(range(len(alternates)), d):
        chosen = [alternates[j] for j in combo]
        if tuple(sorted(kept + chosen)) in feasible:
            expected = tuple(pool.ids[i] for i in chosen)
            break
    # Panel members slipped into the list (kept or dropped out) are never used as alternates.
    listed = [pool.ids[i] for i in alternates] + [pool.ids[i] for i in panel]
    args = (pool, quotas, [pool.ids[i] for i in panel], [pool.ids[i] for i in dropouts], listed)
    if expected is None:
        with pytest.raises(cs.InfeasibleError):
            fill_from_alternates(*args)
    else:
        assert fill_from_alternates(*args) == expected


@SLOW_OK
@given(inst=tiny_instances(households=True), data=st.data())
def test_replacement_support_is_valid_completions(inst: tuple[cs.Pool, cs.Quotas],
                                                  data: st.DataObject) -> None:
    pool, quotas = inst
    feasible = set(oracle.feasible_panels(pool, quotas, households=True))
    assume(feasible)
    panel = data.draw(st.sampled_from(sorted(feasible)))
    d = data.draw(st.integers(1, len(panel)))
    ids = [pool.ids[i] for i in panel]
    kept = [pool.index_of(p) for p in ids[d:]]
    try:
        rep = replace(pool, quotas, ids, ids[:d], "seed", tickets=50)
    except cs.InfeasibleError:
        # Only when no completion exists from people off the panel.
        for combo in itertools.combinations([i for i in range(pool.n) if i not in panel], d):
            assert tuple(sorted(kept + list(combo))) not in feasible
        return
    for members, p in rep.distribution.panels():
        if p > 0:
            full = tuple(sorted(kept + [pool.index_of(rep.remaining.ids[int(i)])
                                        for i in members]))
            assert full in feasible
    assert set(rep.replacements).isdisjoint(ids)


def test_prepare_alternates_public_order_and_proportional_quotas(
        rustavi: tuple[cs.Pool, cs.Quotas, tuple[str, ...]]) -> None:
    pool, quotas, panel = rustavi
    alts = prepare_alternates(pool, quotas, panel, 12, "alternates seed")
    assert len(alts.order) == 12
    assert not set(alts.order) & set(panel)
    assert pool.households is not None
    panel_hh = {pool.households[pool.index_of(p)] for p in panel}
    assert not {pool.households[pool.index_of(p)] for p in alts.order} & panel_hh

    def key(pid: str) -> int:
        text = f"civicsortition-alternates/1\nalternates seed\n{pid}"
        return int(hashlib.sha256(text.encode()).hexdigest(), 16)

    assert list(alts.order) == sorted(alts.order, key=key)
    for q in alts.quotas:
        assert q.min <= q.max
        have = sum(pool.value_of(pool.index_of(p), q.category) == q.value for p in alts.order)
        assert q.min <= have <= q.max
    assert prepare_alternates(pool, quotas, panel, 12, "alternates seed").order == alts.order
    counts = Counter(pool.value_of(pool.index_of(p), "sex") for p in alts.order)
    assert sum(counts.values()) == 12


@pytest.mark.parametrize("seed", ["seed one", "seed two", "seed three"])
def test_replaceable_dropouts_rule_holds_for_any_drawn_panel(seed: str) -> None:
    # Regression (fresh clone failed): the dropouts came from whichever panel the solver's
    # lottery gave. The rule must give a feasible replacement for every panel of the lottery.
    pool, quotas = cs.examples.rustavi_example()
    dist = cs.find_distribution(pool, quotas, households=True)
    panel = cs.draw(cs.transparent_lottery(dist), seed).panel
    rep = replace(pool, quotas, panel, replaceable_dropouts(pool, panel, 3), seed, tickets=10)
    program = cs.PanelProgram.build(pool, quotas, households=True)
    assert program.check_panel([pool.index_of(p) for p in rep.panel]) == []
