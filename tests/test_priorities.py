"""Priorities of the minimal relaxation, and replacement counts, against brute force.

The oracle here enumerates every k-subset of a tiny pool and counts each quota row's violation
from the raw records (no ``PanelProgram``, no solver): a prioritised relaxation must reach the
lexicographically least vector of weighted level violations over all panels, keep the rows
never to relax, and be feasible; the default must be the plain least change it always was;
replacement counts must equal a direct count of the people who can take each seat.
"""

from __future__ import annotations

import csv
import itertools
import pickle
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition import (
    HardQuotasInfeasibleError,
    InfeasibleQuotasError,
    InputError,
    Pool,
    Quotas,
    RelaxationPriorities,
    Strata,
    ValueQuota,
    minimal_relaxation,
    replacement_counts,
)
from civicsortition.algorithms.feasibility import explain_infeasible
from civicsortition.backends import get_backend
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_OK, main
from civicsortition.errors import QuotaChange, Status
from civicsortition.program import PanelProgram

WEIGHTS: list[int | float | Fraction] = [1, 2, 3, 0.5, Fraction(3, 2)]
SLOW_OK = settings(deadline=None, max_examples=40,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ------------------------------------------------------------------------------ the oracle
def _holds(rec: dict[str, str], q: ValueQuota) -> bool:
    """Whether a person's record has every part of a (single or joint) row's value."""
    return all(rec[c] == v for c, v in q.parts)


def _panels(pool: Pool, k: int, households: bool = True) -> list[tuple[int, ...]]:
    """Every k-subset obeying the household rule."""
    out = []
    for panel in itertools.combinations(range(pool.n), k):
        if households and pool.households is not None:
            keys = [pool.households[i] for i in panel if pool.households[i] is not None]
            if len(keys) != len(set(keys)):
                continue
        out.append(panel)
    return out


def _violations(pool: Pool, quotas: Quotas, panel: Sequence[int]) -> list[int]:
    """Per row, the seats by which the panel misses it (below the min or above the max)."""
    recs = list(pool.records())
    out = []
    for q in quotas:
        have = sum(1 for i in panel if _holds(recs[i], q))
        out.append(max(0, q.min - have) + max(0, have - q.max))
    return out


def _feasible(pool: Pool, quotas: Quotas) -> bool:
    return any(not any(_violations(pool, quotas, p)) for p in _panels(pool, quotas.panel_size))


def _slacks(quotas: Quotas, changes: Sequence[QuotaChange]) -> list[int]:
    """Per row, how far the relaxation moved its bounds."""
    moved = {(c.category, c.value): (c.old_min - c.new_min) + (c.new_max - c.old_max)
             for c in changes}
    return [moved.get((q.category, q.value), 0) for q in quotas]


def _category(name: str) -> object:
    parts = cs.strata.split_joint(name)
    return frozenset(p.casefold() for p in parts) if len(parts) > 1 else name.casefold()


def _levels(quotas: Quotas, order: Sequence[str], hard_categories: set[object]
            ) -> list[list[int]]:
    """Row indices per level, most protected first (independent of the library's plan)."""
    cats = [_category(q.category) for q in quotas]
    listed = [n if n == "*" else _category(n) for n in order]
    if "*" not in listed:
        listed.append("*")
    rest = [c for c in dict.fromkeys(cats) if c not in listed and c not in hard_categories]
    groups = [rest if x == "*" else [x] for x in listed]
    out = [[r for r, c in enumerate(cats) if c in g] for g in reversed(groups)]
    return [g for g in out if g]


def _weights(quotas: Quotas, weights: dict[str, Fraction]) -> list[Fraction]:
    out = []
    for q in quotas:
        w = Fraction(1)
        for name, x in weights.items():
            if "=" not in name and _category(name) == _category(q.category):
                w = x
        for name, x in weights.items():
            cat, _, value = name.partition("=")
            if "=" in name and _category(cat) == _category(q.category) and value == q.value:
                w = x
        out.append(w)
    return out


def _best(pool: Pool, quotas: Quotas, levels: list[list[int]], w: list[Fraction],
          hard: set[int]) -> tuple[Fraction, ...] | None:
    """The lexicographically least level vector over every panel keeping the hard rows."""
    best = None
    for panel in _panels(pool, quotas.panel_size):
        v = _violations(pool, quotas, panel)
        if any(v[r] for r in hard):
            continue
        vec = tuple(sum((w[r] * v[r] for r in g), Fraction(0)) for g in levels)
        best = vec if best is None or vec < best else best
    return best


# ----------------------------------------------------------------------------- instances
@st.composite
def instances(draw: st.DrawFn) -> tuple[Pool, Quotas]:
    """A tiny pool and quota table, sometimes with households and a joint ``c0×c1`` quota."""
    n = draw(st.integers(4, 7))
    k = draw(st.integers(1, min(3, n - 1)))
    n_cats = draw(st.integers(1, 3))
    cats = {f"c{j}": [f"v{v}" for v in range(draw(st.integers(2, 3)))] for j in range(n_cats)}
    codes = [[draw(st.integers(0, len(vals) - 1)) for vals in cats.values()] for _ in range(n)]
    hh = None
    if draw(st.booleans()):
        hh = [draw(st.sampled_from([None, "h0", "h1"])) for _ in range(n)]
    pool = Pool(Strata.from_mapping(cats), [f"p{i}" for i in range(n)], codes, hh)
    entries = []
    for name, vals in cats.items():
        for v in vals:
            lo = draw(st.integers(0, k))
            entries.append(ValueQuota(name, v, lo, draw(st.integers(lo, k))))
    if n_cats >= 2 and draw(st.booleans()):
        for a, b in itertools.product(cats["c0"], cats["c1"]):
            if draw(st.booleans()):
                lo = draw(st.integers(0, k))
                entries.append(ValueQuota("c0×c1", f"{a}×{b}", lo, draw(st.integers(lo, k))))
    return pool, Quotas(k, entries)


@st.composite
def prioritised(draw: st.DrawFn) -> tuple[Pool, Quotas, RelaxationPriorities]:
    pool, quotas = draw(instances())
    names = list(dict.fromkeys(q.category for q in quotas))
    chosen = draw(st.permutations(names))
    n_order = draw(st.integers(0, len(names)))
    order = list(chosen[:n_order])
    if order and draw(st.integers(0, 1)) == 1:
        order.insert(draw(st.integers(0, len(order))), "*")
    others = [c for c in names if c not in order]
    never = [c for c in others if draw(st.integers(0, 3)) == 0]
    rows = [f"{q.category}={q.value}" for q in quotas]
    never += [r for r in rows if r.partition("=")[0] not in never and draw(st.integers(0, 5)) == 0]
    weights: dict[str, int | float | Fraction] = {}
    for name in names + rows:
        if draw(st.integers(0, 3)) == 0:
            weights[name] = draw(st.sampled_from(WEIGHTS))
    return pool, quotas, RelaxationPriorities(order=order, weights=weights, never=never)


def _todays_relaxation(program: PanelProgram) -> tuple[QuotaChange, ...] | None:
    """The minimal relaxation exactly as it was computed before priorities existed."""
    be = get_backend(None)
    T, R = program.n_types, program.n_quota_rows
    k = program.panel_size
    q_rows, h_rows = program.A[1:1 + R], program.A[1 + R:]
    A = np.vstack([np.hstack([np.ones((1, T)), np.zeros((1, 2 * R))]),
                   np.hstack([q_rows, np.eye(R), np.zeros((R, R))]),
                   np.hstack([q_rows, np.zeros((R, R)), -np.eye(R)]),
                   np.hstack([h_rows, np.zeros((len(h_rows), 2 * R))])])
    lo_q, hi_q = program.row_lo[1:1 + R], program.row_hi[1:1 + R]
    row_lo = np.concatenate([[k], lo_q, np.full(R, -np.inf), np.zeros(len(h_rows))])
    row_hi = np.concatenate([[k], np.full(R, np.inf), hi_q, np.ones(len(h_rows))])
    s_minus_max = [q.min - q.min_flex if q.min_flex is not None else q.min
                   for q in program.quotas]
    s_plus_max = [q.max_flex - q.max if q.max_flex is not None else k for q in program.quotas]
    var_hi = np.concatenate([program.sizes.astype(float), s_minus_max, s_plus_max])
    res = be.milp(np.concatenate([np.zeros(T), -np.ones(2 * R)]), A, row_lo, row_hi,
                  np.zeros(T + 2 * R), var_hi)
    if res.status is not Status.OPTIMAL or res.x is None:
        return None
    sm, sp = np.rint(res.x[T:T + R]).astype(int), np.rint(res.x[T + R:]).astype(int)
    return tuple(QuotaChange(q.category, q.value, q.min, q.max, q.min - int(sm[r]),
                             q.max + int(sp[r]))
                 for r, q in enumerate(program.quotas) if sm[r] or sp[r])


# --------------------------------------------------------------------- brute-force checks
@SLOW_OK
@given(inst=prioritised())
def test_prioritised_relaxation_is_lexicographically_least(
        inst: tuple[Pool, Quotas, RelaxationPriorities]) -> None:
    pool, quotas, priorities = inst
    hard_categories = {_category(n) for n in priorities.never if "=" not in n}
    hard = {r for r, q in enumerate(quotas)
            if _category(q.category) in hard_categories
            or f"{q.category}={q.value}" in priorities.never}
    levels = _levels(quotas, priorities.order, hard_categories)
    if not levels:
        levels = [list(range(len(quotas)))]
    w = _weights(quotas, {n: Fraction(x) for n, x in priorities.weights})
    best = _best(pool, quotas, levels, w, hard)
    err = minimal_relaxation(pool, quotas, priorities=priorities)
    if best is not None and not any(best):
        assert err is None   # some panel meets every quota
        return
    assert err is not None
    if best is None:   # no panel keeps the hard rows (there are no flex limits here)
        assert err.relaxed is None
        assert not err.changes
        if hard:
            assert isinstance(err, HardQuotasInfeasibleError)
            assert err.code == "never-relax-infeasible"
            assert set(err.hard) == {(quotas.entries[r].category, quotas.entries[r].value)
                                     for r in hard}
        return
    assert err.relaxed is not None
    assert err.relaxed_feasible
    s = _slacks(quotas, err.changes)
    assert all(s[r] == 0 for r in hard)   # never relaxed
    got = tuple(sum((w[r] * s[r] for r in g), Fraction(0)) for g in levels)
    assert got == best
    assert _feasible(pool, err.relaxed)
    if priorities.is_default:
        assert not err.levels   # the plain least change, reported as always
    else:
        assert sum(t for _, t in err.levels) == sum(s)


@SLOW_OK
@given(inst=instances())
def test_the_default_is_todays_minimal_relaxation(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    program = PanelProgram.build(pool, quotas)
    plain = explain_infeasible(program)
    default = explain_infeasible(program, priorities=RelaxationPriorities())
    today = _todays_relaxation(program)
    assert plain.changes == default.changes
    assert str(plain) == str(default)
    assert not default.levels
    if today is None:
        assert plain.relaxed is None
    else:
        assert plain.changes == today
        best = min((sum(_violations(pool, quotas, p)) for p in _panels(pool, quotas.panel_size)),
                   default=None)
        assert sum(_slacks(quotas, plain.changes)) == best


def _some_panel(pool: Pool, quotas: Quotas, data: st.DataObject) -> list[int]:
    """Mostly a panel that meets the quotas (when one exists), sometimes any k people."""
    valid = [list(p) for p in _panels(pool, quotas.panel_size)
             if not any(_violations(pool, quotas, p))]
    if valid and data.draw(st.integers(0, 4)) > 0:
        return sorted(data.draw(st.sampled_from(valid)))
    return sorted(data.draw(st.permutations(range(pool.n)))[:quotas.panel_size])


def _drawn_case(pool: Pool, quotas: Quotas, data: st.DataObject
                ) -> tuple[list[int], bool, list[int]]:
    """A panel, whether the household rule applies, and some people excluded off the panel."""
    panel = _some_panel(pool, quotas, data)
    households = data.draw(st.booleans())
    excluded = [i for i in range(pool.n) if i not in panel and data.draw(st.integers(0, 4)) == 0]
    return panel, households, excluded


@SLOW_OK
@given(inst=instances(), data=st.data())
def test_replacement_counts_equal_direct_enumeration(inst: tuple[Pool, Quotas],
                                                     data: st.DataObject) -> None:
    pool, quotas = inst
    panel, households, excluded = _drawn_case(pool, quotas, data)
    if any(_violations(pool, quotas, panel)):        # counts are refused for such a panel
        with pytest.raises(InputError) as caught:
            replacement_counts(pool, quotas, [pool.ids[i] for i in panel])
        assert {p.code for p in caught.value.problems} == {"panel-breaks-quotas"}
        return
    got = replacement_counts(pool, quotas, [pool.ids[i] for i in panel], households=households,
                             excluded=[pool.ids[i] for i in excluded])
    recs = list(pool.records())
    for row, m in zip(got.members, panel, strict=True):
        count = 0
        for p in range(pool.n):
            if p in panel or p in excluded:
                continue
            new = [i for i in panel if i != m] + [p]
            if any(_violations(pool, quotas, new)):
                continue
            if households and pool.households is not None:
                keys = [pool.households[i] for i in new if pool.households[i] is not None]
                if len(keys) != len(set(keys)):
                    continue
            count += 1
        assert row.member == pool.ids[m]
        assert row.count == count
        assert row.profile == tuple(recs[m][c] for c in got.categories)
    # grouped by profile: every member of the table, and the same count without households
    groups = got.by_profile()
    assert sorted(x for g in groups for x in g.members) == sorted(pool.ids[i] for i in panel)
    if not households or pool.households is None:
        assert all(len(set(g.counts)) == 1 for g in groups)


# ------------------------------------------------------------------------ worked examples
def _two_categories() -> tuple[Pool, Quotas]:
    # 2 seats; 2 women and 2 young people required, and no woman is young.
    pool = Pool.from_records([{"sex": "f", "age": "old"}] * 3
                             + [{"sex": "m", "age": "young"}] * 3, categories=["sex", "age"])
    quotas = Quotas(2, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 0, 2),
                        ValueQuota("age", "young", 2, 2), ValueQuota("age", "old", 0, 2)])
    return pool, quotas


@pytest.mark.parametrize(("priorities", "moved"), [
    (RelaxationPriorities(order="sex,age"), {("sex", "f")}),
    (RelaxationPriorities(order="age,sex"), {("age", "young")}),
    (RelaxationPriorities(order="sex"), {("sex", "f")}),        # age unlisted: protected
    (RelaxationPriorities(order="*,age"), {("sex", "f")}),
    (RelaxationPriorities(never="age"), {("sex", "f")}),
    (RelaxationPriorities(never="sex=f"), {("age", "young")}),
    (RelaxationPriorities(weights={"age": 2}), {("sex", "f")}),
    (RelaxationPriorities(weights="sex=f=1.5,age=1.25"), {("age", "young")}),
])
def test_worked_priorities(priorities: RelaxationPriorities, moved: set[tuple[str, str]]
                           ) -> None:
    pool, quotas = _two_categories()
    err = minimal_relaxation(pool, quotas, priorities=priorities)
    assert err is not None
    assert err.relaxed_feasible
    assert {(c.category, c.value) for c in err.changes} == moved
    assert "least relaxation under the priorities" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert clone.changes == err.changes
    assert clone.levels == err.levels


def test_never_relax_rows_that_cannot_hold_alone_are_named() -> None:
    pool, quotas = _two_categories()
    err = minimal_relaxation(pool, quotas,
                             priorities=RelaxationPriorities(never=["sex=f", "age"]))
    assert isinstance(err, HardQuotasInfeasibleError)
    assert isinstance(err, InfeasibleQuotasError)   # caught like any infeasible quotas
    assert err.code == "never-relax-infeasible"
    assert err.relaxed is None
    assert err.hard == (("sex", "f"), ("age", "young"), ("age", "old"))
    assert {(c.category, c.value) for c in err.conflict} <= {("sex", "f"), ("age", "young")}
    assert "[never-relax-infeasible]" in str(err)
    assert "sex=f" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert clone.hard == err.hard
    assert clone.conflict == err.conflict


def test_never_rows_that_hold_alone_but_not_within_flex_limits() -> None:
    # The never row holds on its own; the other row cannot move (its flex limits): the
    # ordinary "no relaxation within the limits" error, not the never-relax one.
    pool = Pool.from_records([{"sex": "f", "age": "o"}] * 2 + [{"sex": "m", "age": "y"}] * 2,
                             categories=["sex", "age"])
    quotas = Quotas(2, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 0, 2),
                        ValueQuota("age", "y", 2, 2, min_flex=2, max_flex=2),
                        ValueQuota("age", "o", 0, 2)])
    err = minimal_relaxation(pool, quotas, priorities=RelaxationPriorities(never="sex"))
    assert err is not None
    assert type(err) is InfeasibleQuotasError
    assert err.relaxed is None


def test_joint_category_has_its_own_priority() -> None:
    pool = Pool.from_records([{"sex": s, "age": a} for s, a in
                              [("f", "y"), ("f", "o"), ("m", "y"), ("m", "o"), ("f", "o")]],
                             categories=["sex", "age"])
    # 2 seats: the joint row wants 2 young women, of whom there is one.
    quotas = Quotas(2, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 0, 2),
                        ValueQuota("age", "y", 0, 2), ValueQuota("age", "o", 0, 2),
                        ValueQuota("sex×age", "f×y", 2, 2)])
    err = minimal_relaxation(pool, quotas, priorities=RelaxationPriorities(
        order="age*sex,sex", weights={"sex×age=f×y": 3}))
    assert err is not None
    assert {(c.category, c.value) for c in err.changes} == {("sex×age", "f×y")}
    err = minimal_relaxation(pool, quotas, priorities=RelaxationPriorities(never="sex"))
    assert err is not None
    assert {(c.category, c.value) for c in err.changes} == {("sex×age", "f×y")}
    # the joint row alone cannot hold: there is one young woman
    assert isinstance(minimal_relaxation(pool, quotas, priorities=RelaxationPriorities(
        never="sex×age=f×y")), HardQuotasInfeasibleError)


def test_feasible_quotas_need_no_relaxation() -> None:
    pool, quotas = _two_categories()
    easy = Quotas(2, [ValueQuota(q.category, q.value, 0, 2) for q in quotas])
    assert minimal_relaxation(pool, easy, priorities=RelaxationPriorities(order="age")) is None


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"order": "sex,,age"}, "bad-relax-priority"),
    ({"order": "sex,sex"}, "repeated-relax-priority"),
    ({"order": "sex×age,age×sex"}, "repeated-relax-priority"),
    ({"never": "*"}, "bad-relax-priority"),
    ({"weights": {"sex": 0}}, "bad-relax-weight"),
    ({"weights": "sex=heavy"}, "bad-relax-weight"),
    ({"weights": {"sex": float("nan")}}, "bad-relax-weight"),
    ({"weights": {"sex": True}}, "bad-relax-weight"),
])
def test_bad_priorities_are_refused_with_codes(kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(InputError) as info:
        RelaxationPriorities(**kwargs)
    assert code in info.value.codes


@pytest.mark.parametrize(("priorities", "code"), [
    (RelaxationPriorities(order="sex,colour"), "unknown-relax-priority"),
    (RelaxationPriorities(never="sex=x"), "unknown-relax-priority"),
    (RelaxationPriorities(weights={"height": 2}), "unknown-relax-priority"),
    (RelaxationPriorities(order="sex=f"), "relax-order-row"),
    (RelaxationPriorities(order="sex", never="SEX"), "conflicting-relax-priorities"),
    (RelaxationPriorities(weights={"sex": Fraction(1), "age": Fraction(1, 10**7)}),
     "bad-relax-weight"),
])
def test_priorities_naming_what_the_quotas_lack(priorities: RelaxationPriorities,
                                                code: str) -> None:
    pool, quotas = _two_categories()
    with pytest.raises(InputError) as info:
        minimal_relaxation(pool, quotas, priorities=priorities)
    assert info.value.codes == (code,)
    with pytest.raises(InputError):
        priorities.check(quotas)


def test_argument_types_are_checked() -> None:
    pool, quotas = _two_categories()
    with pytest.raises(TypeError):
        minimal_relaxation(quotas, pool)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        minimal_relaxation(pool, quotas, priorities={"order": "sex"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        replacement_counts(pool, quotas, "p0")


def test_replacement_counts_errors_and_table() -> None:
    pool = Pool.from_records([{"id": f"p{i}", "sex": s, "hh": h} for i, (s, h) in
                              enumerate([("f", "a"), ("m", None), ("f", "a"), ("m", "b"),
                                         ("f", None), ("m", "b")])],
                             categories=["sex"], id_field="id", household_field="hh")
    quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    with pytest.raises(InputError) as info:
        replacement_counts(pool, quotas, ["p0"])
    assert info.value.code == "panel-size-mismatch"
    with pytest.raises(InputError) as info:
        replacement_counts(pool, quotas, ["p0", "nobody"])
    assert info.value.code == "unknown-id"
    got = replacement_counts(pool, quotas, ["p0", "p3"])
    # p0's seat: p2 (p0's own housemate may take it) and p4; p3's seat: p1 only (p5 shares
    # p3's household, but p3 leaves, so p5 may come) -> p1, p5.
    assert [(r.member, r.count) for r in got.members] == [("p0", 2), ("p3", 2)]
    assert got.as_rows() == [{"member": "p0", "sex": "f", "replacements": 2},
                             {"member": "p3", "sex": "m", "replacements": 2}]
    assert replacement_counts(pool, quotas, ["p0", "p3"], excluded=["p4"]).members[0].count == 1
    # with p1 on the panel, p3 and p5 stay eligible (no housemate among the kept)
    two_men = Quotas(2, [ValueQuota("sex", "f", 0, 2), ValueQuota("sex", "m", 0, 2)])
    got = replacement_counts(pool, two_men, ["p0", "p3"])
    assert [r.count for r in got.members] == [3, 3]   # p0: p1, p2, p4 (p5 shares with p3)
    assert got.by_profile()[0].count == 3


# ------------------------------------------------------------------------- command line
def _files(d: Path) -> tuple[Path, Path]:
    targets = d / "targets.csv"
    targets.write_text("feature,value,min,max\nsex,f,2,2\nsex,m,0,2\nage,young,2,2\n"
                       "age,old,0,2\n", encoding="utf-8")
    people = d / "people.csv"
    with open(people, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "sex", "age"])
        for i in range(6):
            w.writerow([f"p{i}", "f" if i < 3 else "m", "old" if i < 3 else "young"])
    return targets, people


def test_cli_check_and_select_report_the_prioritised_relaxation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets, people = _files(tmp_path)
    base = ["--targets", str(targets), "--people", str(people), "--panel-size", "2",
            "--id-column", "id"]
    assert main(["check", *base]) == EXIT_OK   # the necessary conditions hold, as before
    capsys.readouterr()
    assert main(["check", *base, "--never-relax", "age"]) == EXIT_INFEASIBLE
    err = capsys.readouterr().err
    assert "least relaxation under the priorities" in err
    assert "sex=f: [2, 2] -> [0, 2]" in err
    assert main(["check", *base, "--relax-order", "sex,age"]) == EXIT_INFEASIBLE
    assert "sex=f: [2, 2] -> [0, 2]" in capsys.readouterr().err
    assert main(["check", *base, "--relax-weights", "sex=3"]) == EXIT_INFEASIBLE
    assert "age=young: [2, 2] -> [0, 2]" in capsys.readouterr().err
    assert main(["check", *base, "--never-relax", "age,sex=f"]) == EXIT_INFEASIBLE
    assert "[never-relax-infeasible]" in capsys.readouterr().err
    assert main(["check", *base, "--relax-order", "colour"]) == EXIT_BAD_INPUT
    assert "unknown-relax-priority" in capsys.readouterr().err
    assert main(["select", *base, "--relax-order", "age,sex"]) == EXIT_INFEASIBLE
    assert "age=young: [2, 2] -> [0, 2]" in capsys.readouterr().err
    assert main(["select", *base, "--relax-order", "sex,age"]) == EXIT_INFEASIBLE
    assert "sex=f: [2, 2] -> [0, 2]" in capsys.readouterr().err
    assert main(["select", *base]) == EXIT_INFEASIBLE   # the plain least change, as before
    assert "smallest relaxation (total change 2)" in capsys.readouterr().err


def test_cli_check_counts_replacements_for_a_drawn_panel(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets, people = _files(tmp_path)
    targets.write_text("feature,value,min,max\nsex,f,1,1\nsex,m,1,1\nage,young,0,2\n"
                       "age,old,0,2\n", encoding="utf-8")
    base = ["--targets", str(targets), "--people", str(people), "--panel-size", "2",
            "--id-column", "id"]
    assert main(["check", *base, "--members", "p0,p3", "--solve"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "the solver found a panel that meets every quota" in out
    assert "2 for each of 1 member(s) with sex=f, age=old: p0" in out
    assert "4 people off the panel" in out
    assert main(["check", *base, "--members", "p0,p3", "--exclude", "p1,p2"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "0 for each of 1 member(s) with sex=f, age=old: p0" in captured.out
    assert "1 member(s) have no possible replacement" in captured.err
    assert main(["check", *base, "--members", "p0"]) == EXIT_BAD_INPUT
    assert "panel-size-mismatch" in capsys.readouterr().err


def _residual_tie() -> tuple[Pool, Quotas]:
    """Seven people, four seats, every value exactly 2 (see the replace tests below)."""
    people = [("f", "y"), ("f", "o"), ("m", "y"), ("m", "o"), ("m", "o"), ("f", "o"),
              ("m", "y")]
    pool = Pool.from_records([{"id": f"p{i}", "sex": s, "age": a}
                              for i, (s, a) in enumerate(people)],
                             categories=["sex", "age"], id_field="id")
    quotas = Quotas(4, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 2, 2),
                        ValueQuota("age", "y", 2, 2), ValueQuota("age", "o", 2, 2)])
    return pool, quotas


@pytest.mark.parametrize(("never", "expected", "moved"), [("sex", "p5", "age"),
                                                          ("age", "p6", "sex")])
def test_replace_relaxes_under_the_priorities(never: str, expected: str, moved: str) -> None:
    """After a dropout the only candidates each break one category; the order decides which.

    Kept: (f,o), (m,y), (m,o); dropped: (f,y). Residual for one seat: f, y exactly. Candidate
    p5 (f,o) breaks age only, p6 (m,y) sex only: both cost 2 seats of change, so plain
    relaxation is a tie; "never relax sex" must take p5, "never relax age" p6.
    """
    import civicsortition as cs

    pool, quotas = _residual_tie()
    panel = ["p0", "p1", "p2", "p3"]
    r = cs.replace(pool, quotas, panel, ["p0"], "priorities seed", excluded=["p4"],
                   on_infeasible="relax", relax_priorities=RelaxationPriorities(never=never))
    assert r.replacements == (expected,)
    assert r.relaxation
    assert {c.category for c in r.relaxation} == {moved}


@pytest.mark.parametrize(("priorities", "moved"), [
    (None, None),                                            # the plain least change
    (RelaxationPriorities(order="sex,age"), {("sex", "f")}),
    (RelaxationPriorities(order="age,sex"), {("age", "young")}),
])
@pytest.mark.parametrize("algorithm", ["leximin", "nash"])
def test_find_distribution_suggests_the_relaxation_under_the_priorities(
        priorities: RelaxationPriorities | None, moved: set[tuple[str, str]] | None,
        algorithm: str) -> None:
    from civicsortition.algorithms import find_distribution
    from civicsortition.errors import InfeasibleQuotasError

    pool, quotas = _two_categories()
    with pytest.raises(InfeasibleQuotasError) as caught:
        find_distribution(pool, quotas, algorithm=algorithm, relax_priorities=priorities)
    err = caught.value
    direct = minimal_relaxation(pool, quotas, priorities=priorities)
    assert direct is not None
    assert err.changes == direct.changes                     # what minimal_relaxation says
    assert err.levels == direct.levels
    if moved is not None:
        assert {(c.category, c.value) for c in err.changes} == moved
        assert "least relaxation under the priorities" in str(err)


def test_find_distribution_checks_the_priorities_before_solving() -> None:
    from civicsortition.algorithms import find_distribution

    pool, quotas = _two_categories()
    calls: list[int] = []

    def never_called(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise AssertionError("solved before the priorities were checked")

    with pytest.raises(InputError) as caught:
        find_distribution(pool, quotas, algorithm=never_called,
                          relax_priorities=RelaxationPriorities(order="colour"))
    assert caught.value.problems[0].code == "unknown-relax-priority"
    assert calls == []
    with pytest.raises(TypeError, match="RelaxationPriorities"):
        find_distribution(pool, quotas, relax_priorities="sex,age")  # type: ignore[arg-type]
    # feasible quotas: the priorities change nothing
    pool2 = Pool.from_records([{"sex": s, "age": a} for s, a in
                               (("f", "old"), ("m", "young"), ("f", "young"), ("m", "old"))],
                              categories=["sex", "age"])
    quotas2 = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1),
                         ValueQuota("age", "young", 1, 1), ValueQuota("age", "old", 1, 1)])
    a = find_distribution(pool2, quotas2)
    b = find_distribution(pool2, quotas2, relax_priorities=RelaxationPriorities(never="sex"))
    np.testing.assert_allclose(a.marginals, b.marginals, atol=1e-9)


@pytest.mark.parametrize(("never", "expected"), [("sex", "p5"), ("age", "p6")])
def test_cli_replace_relaxes_under_the_priorities(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], never: str, expected: str) -> None:
    # The instance of test_replace_relaxes_under_the_priorities, through the command line.
    targets = tmp_path / "targets.csv"
    targets.write_text("feature,value,min,max\nsex,f,2,2\nsex,m,2,2\nage,y,2,2\nage,o,2,2\n",
                       encoding="utf-8")
    people = tmp_path / "people.csv"
    rows = [("f", "y"), ("f", "o"), ("m", "y"), ("m", "o"), ("m", "o"), ("f", "o"), ("m", "y")]
    people.write_text("id,sex,age\n" + "".join(f"p{i},{s},{a}\n"
                                               for i, (s, a) in enumerate(rows)),
                      encoding="utf-8")
    record = tmp_path / "replacement.json"
    base = ["replace", "--targets", str(targets), "--people", str(people), "--panel-size", "4",
            "--id-column", "id", "--members", "p0,p1,p2,p3", "--dropouts", "p0",
            "--exclude", "p4", "--seed", "priorities seed"]
    assert main([*base]) == EXIT_INFEASIBLE                  # no --relax: the suggestion only
    capsys.readouterr()
    assert main([*base, "--relax", "--never-relax", never, "--record", str(record)]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"replacements: {expected}" in out
    assert "relaxed: " in out
    assert record.exists()
    assert main([*base, "--relax", "--relax-order", "colour"]) == EXIT_BAD_INPUT
    assert "unknown-relax-priority" in capsys.readouterr().err


@SLOW_OK
@given(inst=instances(), data=st.data())
def test_simultaneous_dropouts_equal_direct_enumeration(inst: tuple[Pool, Quotas],
                                                        data: st.DataObject) -> None:
    """d members of one profile leave at once: can some d people complete the panel?"""
    pool, quotas = inst
    panel, households, excluded = _drawn_case(pool, quotas, data)
    assume(not any(_violations(pool, quotas, panel)))
    got = replacement_counts(pool, quotas, [pool.ids[i] for i in panel], households=households,
                             excluded=[pool.ids[i] for i in excluded], simultaneous=True)
    index = {pid: i for i, pid in enumerate(pool.ids)}
    for group in got.by_profile():
        assert len(group.simultaneous) == len(group.members)
        for d in range(1, len(group.members) + 1):
            leaving = {index[m] for m in group.members[:d]}
            kept = [i for i in panel if i not in leaving]
            kept_houses = ({pool.households[i] for i in kept} - {None}
                           if households and pool.households is not None else set())
            free = [p for p in range(pool.n) if p not in panel and p not in excluded
                    and not (households and pool.households is not None
                             and pool.households[p] in kept_houses)]
            direct = False
            for new in itertools.combinations(free, d):
                if any(_violations(pool, quotas, [*kept, *new])):
                    continue
                if households and pool.households is not None:
                    keys = [pool.households[i] for i in new if pool.households[i] is not None]
                    if len(keys) != len(set(keys)):
                        continue
                direct = True
                break
            assert group.simultaneous[d - 1] == direct, (group, d)
        first = group.simultaneous.index(False) if False in group.simultaneous else None
        assert group.absorbs == (len(group.members) if first is None else first)
    # one dropout: possible exactly when the first member of the profile has a replacement
    for group in got.by_profile():
        assert group.simultaneous[0] == (group.counts[0] > 0)


def test_simultaneous_is_off_by_default_and_checked() -> None:
    pool, quotas = _two_categories()
    quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1),
                        ValueQuota("age", "young", 0, 2), ValueQuota("age", "old", 0, 2)])
    plain = replacement_counts(pool, quotas, ["p0", "p3"] if "p0" in pool.ids
                               else [pool.ids[0], pool.ids[3]])
    assert all(g.simultaneous == () and g.absorbs is None for g in plain.by_profile())
    with pytest.raises(TypeError, match="simultaneous"):
        replacement_counts(pool, quotas, [pool.ids[0], pool.ids[3]],
                           simultaneous="yes")  # type: ignore[arg-type]


def test_cli_check_says_how_many_of_a_profile_can_drop_out_together(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets, people = _files(tmp_path)     # p0-p2: f, old; p3-p5: m, young
    base = ["--targets", str(targets), "--people", str(people), "--panel-size", "2",
            "--id-column", "id", "--members", "p0,p1", "--solve"]
    targets.write_text("feature,value,min,max\nsex,f,2,2\nsex,m,0,0\nage,young,0,2\n"
                       "age,old,0,2\n", encoding="utf-8")
    assert main(["check", *base]) == EXIT_OK
    out = capsys.readouterr().out
    assert "1 for each of 2 member(s) with sex=f, age=old: p0 p1" in out
    assert "at once: 1 of these 2 can drop out together" in out     # only p2 is left
    targets.write_text("feature,value,min,max\nsex,f,0,2\nsex,m,0,2\nage,young,0,2\n"
                       "age,old,0,2\n", encoding="utf-8")
    assert main(["check", *base]) == EXIT_OK
    assert "at once: 2 of these 2 can drop out together" in capsys.readouterr().out
    assert main(["check", *base[:-1]]) == EXIT_OK                  # without --solve: no MIPs
    assert "at once" not in capsys.readouterr().out


@pytest.mark.parametrize(("never", "moved"), [("sex", "age"), ("age", "sex")])
def test_replace_without_relax_suggests_the_prioritised_relaxation(never: str, moved: str
                                                                    ) -> None:
    """The instance of test_replace_relaxes_under_the_priorities, with on_infeasible="raise":
    the error's suggestion must follow the priorities too (it moved a never-relax row)."""
    import civicsortition as cs
    from civicsortition.errors import InfeasibleQuotasError

    pool, quotas = _residual_tie()
    with pytest.raises(InfeasibleQuotasError) as caught:
        cs.replace(pool, quotas, ["p0", "p1", "p2", "p3"], ["p0"], "priorities seed",
                   excluded=["p4"], relax_priorities=RelaxationPriorities(never=never))
    assert caught.value.changes
    assert {c.category for c in caught.value.changes} == {moved}


def test_cli_check_refuses_a_panel_that_breaks_the_quotas(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets, people = _files(tmp_path)     # sex f exactly 2: p0 (f) and p3 (m) break it
    assert main(["check", "--targets", str(targets), "--people", str(people), "--panel-size",
                 "2", "--id-column", "id", "--members", "p0,p3"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "panel-breaks-quotas" in err
    assert "sex=f" in err


def test_too_few_households_for_the_seats_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text("id,sex,home\n" + "".join(f"p{i},{'fm'[i % 2]},h{i // 2}\n"
                                                for i in range(6)), encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text("feature,value,min,max\nsex,f,0,4\nsex,m,0,4\n", encoding="utf-8")
    base = ["--targets", str(targets), "--people", str(people), "--panel-size", "4",
            "--id-column", "id"]
    assert main(["check", *base, "--household-column", "home"]) == EXIT_INFEASIBLE
    assert "3 households for 4 seats" in capsys.readouterr().err
    assert main(["check", *base]) == EXIT_OK                  # no household rule: fine
    capsys.readouterr()
    assert main(["select", *base, "--household-column", "home"]) == EXIT_INFEASIBLE
    err = capsys.readouterr().err
    assert "3 households for 4 seats" in err
    assert "within their min_flex/max_flex limits, if any" in err
