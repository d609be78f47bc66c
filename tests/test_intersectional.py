"""Intersectional (joint) quotas: biproportional apportionment, joint rows, files, the engine."""

from __future__ import annotations

import io
import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition import (
    Band,
    Census,
    InfeasibleQuotasError,
    InputError,
    Pool,
    Quotas,
    TieError,
    ValueQuota,
    biproportional_apportion,
    build_quotas,
    diagnose,
)
from civicsortition.algorithms.feasibility import explain_infeasible
from civicsortition.io import read_census, read_targets, write_census, write_targets
from civicsortition.program import PanelProgram

HALF = Fraction(1, 2)


# ------------------------------------------------------------------ brute-force oracle
def _tables(r: list[int], s: list[int]) -> list[list[list[int]]]:
    """Every non-negative integer table with row sums ``r`` and column sums ``s``."""
    def rows(n: int, caps: list[int]) -> list[list[int]]:
        if len(caps) == 1:
            return [[n]] if n <= caps[0] else []
        return [[a, *rest] for a in range(min(n, caps[0]) + 1) for rest in rows(n - a, caps[1:])]

    def rec(i: int, left: list[int]) -> list[list[list[int]]]:
        if i == len(r):
            return [[]] if not any(left) else []
        return [[row, *more] for row in rows(r[i], left)
                for more in rec(i + 1, [a - b for a, b in zip(left, row, strict=True)])]

    return rec(0, list(s))


def _cost(x: list[list[int]], w: list[list[int]]) -> Fraction | None:
    """``exp`` of the convex cost: ``Π_ij Π_{a<=x_ij} (a - 1/2) / w_ij`` (None if impossible)."""
    p = Fraction(1)
    for xi, wi in zip(x, w, strict=True):
        for a, b in zip(xi, wi, strict=True):
            if a and not b:
                return None
            for t in range(1, a + 1):
                p *= (t - HALF) / b
    return p


def _oracle(w: list[list[int]], r: list[int], s: list[int]
            ) -> tuple[list[list[list[int]]], list[list[int]] | None]:
    """All minimisers of the cost, and the one the tie rule "order" picks (row-major max)."""
    scored = [(c, x) for x in _tables(r, s) if (c := _cost(x, w)) is not None]
    if not scored:
        return [], None
    best = min(c for c, _ in scored)
    optimal = [x for c, x in scored if c == best]
    return optimal, max(optimal, key=lambda x: [a for row in x for a in row])


def _names(w: list[list[int]], r: list[int], s: list[int]
           ) -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, int]]:
    rows = [f"r{i}" for i in range(len(r))]
    cols = [f"c{j}" for j in range(len(s))]
    return ({a: dict(zip(cols, line, strict=True)) for a, line in zip(rows, w, strict=True)},
            dict(zip(rows, r, strict=True)), dict(zip(cols, s, strict=True)))


def _standard_rounding_holds(b: cs.BiproportionalApportionment) -> bool:
    """The certificate, checked here without the library: x - 1/2 <= w ρ σ <= x + 1/2."""
    for i, j in itertools.product(range(len(b.rows)), range(len(b.columns))):
        x, v = b.seats[i][j], b.weights[i][j] * b.row_multipliers[i] * b.column_multipliers[j]
        if v > x + HALF or (x > 0 and v < x - HALF) or (b.weights[i][j] == 0 and x):
            return False
    return all(m > 0 for m in (*b.row_multipliers, *b.column_multipliers))


@pytest.mark.parametrize("seed", range(60))
def test_biproportional_matches_brute_force(seed: int) -> None:
    rnd = random.Random(20260412 + seed)
    R, C = rnd.randint(1, 3), rnd.randint(1, 3)
    w = [[rnd.choice([0, 1, 2, 3, 5, 8, 13]) for _ in range(C)] for _ in range(R)]
    r, s = [0] * R, [0] * C
    for _ in range(rnd.randint(0, 7)):
        r[rnd.randrange(R)] += 1
        s[rnd.randrange(C)] += 1
    optimal, chosen = _oracle(w, r, s)
    weights, rows, cols = _names(w, r, s)
    if chosen is None:
        with pytest.raises(InputError) as info:
            biproportional_apportion(weights, rows, cols)
        assert set(info.value.codes) <= {"margins-infeasible", "zero-weight-row",
                                         "zero-weight-column"}
        return
    b = biproportional_apportion(weights, rows, cols)
    got = [list(line) for line in b.seats]
    assert got in optimal                      # minimises the convex cost
    assert got == chosen                       # and the documented tie rule
    assert b.check() == []
    assert _standard_rounding_holds(b)         # a divisor certificate
    assert bool(b.ties) == (len(optimal) > 1)  # ties reported exactly when not unique
    for cell in b.ties:
        i, j = b.rows.index(cell[0]), b.columns.index(cell[1])
        assert len({x[i][j] for x in optimal}) > 1


def test_every_optimal_table_has_a_certificate_and_no_other_table_does() -> None:
    # Divisor characterisation, both ways, on a small table with ties.
    w, r, s = [[2, 2], [2, 2]], [1, 1], [1, 1]
    optimal, chosen = _oracle(w, r, s)
    assert optimal == [[[0, 1], [1, 0]], [[1, 0], [0, 1]]]
    b = biproportional_apportion(*_names(w, r, s))
    assert [list(x) for x in b.seats] == chosen == [[1, 0], [0, 1]]
    assert set(b.ties) == {("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")}
    with pytest.raises(TieError):
        biproportional_apportion(*_names(w, r, s), tie_break="raise")
    picks = {biproportional_apportion(*_names(w, r, s), tie_break="random", rng=seed).seats
             for seed in range(20)}
    assert picks == {((1, 0), (0, 1)), ((0, 1), (1, 0))}
    again = biproportional_apportion(*_names(w, r, s), tie_break="random", rng=5)
    assert again == biproportional_apportion(*_names(w, r, s), tie_break="random", rng=5)


def test_worked_example_of_the_docs() -> None:
    # docs/quotas.md: sex × age counts, 10 seats, margins f 5, m 5 and young 4, old 6.
    b = biproportional_apportion({"f": {"young": 30, "old": 20}, "m": {"young": 10, "old": 40}},
                                 {"f": 5, "m": 5}, {"young": 4, "old": 6})
    assert b.seats == ((3, 2), (1, 4))
    assert b.row_multipliers == (Fraction(7, 60), Fraction(7, 60))
    assert b.column_multipliers == (1, Fraction(27, 28))
    assert b.ties == ()
    optimal, _ = _oracle([[30, 20], [10, 40]], [5, 5], [4, 6])
    assert optimal == [[[3, 2], [1, 4]]]


def test_larger_tables_are_fast_and_certified() -> None:
    rnd = random.Random(98765432101)
    R, C = 10, 8
    w = {f"r{i}": {f"c{j}": rnd.randint(1, 100_000) for j in range(C)} for i in range(R)}
    b = biproportional_apportion(w, {f"r{i}": 24 for i in range(R)},
                                 {f"c{j}": 30 for j in range(C)})
    assert b.check() == []
    assert _standard_rounding_holds(b)


# ------------------------------------------------------------------ Hypothesis properties
@st.composite
def _instances(draw: st.DrawFn) -> tuple[list[list[int]], list[int], list[int]]:
    R, C = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    w = [[draw(st.integers(1, 1000)) for _ in range(C)] for _ in range(R)]
    k = draw(st.integers(0, 40))
    r = [0] * R
    s = [0] * C
    for _ in range(k):
        r[draw(st.integers(0, R - 1))] += 1
        s[draw(st.integers(0, C - 1))] += 1
    return w, r, s


@settings(max_examples=60, deadline=None)
@given(inst=_instances())
def test_margins_are_always_met(inst: tuple[list[list[int]], list[int], list[int]]) -> None:
    w, r, s = inst
    b = biproportional_apportion(*_names(w, r, s))
    assert [sum(line) for line in b.seats] == r
    assert [sum(col) for col in zip(*b.seats, strict=True)] == s
    assert _standard_rounding_holds(b)


@settings(max_examples=60, deadline=None)
@given(inst=_instances(), data=st.data())
def test_invariant_under_scaling_the_table_its_rows_and_its_columns(
        inst: tuple[list[list[int]], list[int], list[int]], data: st.DataObject) -> None:
    w, r, s = inst
    base = biproportional_apportion(*_names(w, r, s))
    lam = Fraction(data.draw(st.integers(1, 50)), data.draw(st.integers(1, 50)))
    rows = [data.draw(st.integers(1, 9)) for _ in r]
    cols = [data.draw(st.integers(1, 9)) for _ in s]
    scaled = {f"r{i}": {f"c{j}": w[i][j] * lam * rows[i] * cols[j] for j in range(len(s))}
              for i in range(len(r))}
    other = biproportional_apportion(scaled, *_names(w, r, s)[1:])
    assert other.seats == base.seats


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=1, max_size=4))
def test_a_table_already_proportional_to_its_margins_is_its_own_rounding(
        quarters: list[list[int]]) -> None:
    # Weights (4q + 1)/4 never sit at a half: standard rounding is q rounded from q + 1/4.
    w = [[Fraction(4 * q + 1, 4) for q in line] for line in quarters]
    x = [[round(float(v)) for v in line] for line in w]
    r = [sum(line) for line in x]
    s = [sum(col) for col in zip(*x, strict=True)]
    weights = {f"r{i}": {f"c{j}": v for j, v in enumerate(line)} for i, line in enumerate(w)}
    b = biproportional_apportion(weights, {f"r{i}": v for i, v in enumerate(r)},
                                 {f"c{j}": v for j, v in enumerate(s)})
    assert [list(line) for line in b.seats] == x
    assert b.ties == ()


@settings(max_examples=40, deadline=None)
@given(a=st.lists(st.integers(1, 30), min_size=1, max_size=4),
       c=st.lists(st.integers(1, 30), min_size=1, max_size=4), m=st.integers(1, 4))
def test_a_product_table_with_product_margins_gives_the_product(a: list[int], c: list[int],
                                                                m: int) -> None:
    # w_ij = a_i c_j with margins r_i = m a_i Σc, s_j = m c_j Σa: seats m a_i c_j exactly.
    r = [m * ai * sum(c) for ai in a]
    s = [m * cj * sum(a) for cj in c]
    weights = {f"r{i}": {f"c{j}": ai * cj for j, cj in enumerate(c)} for i, ai in enumerate(a)}
    b = biproportional_apportion(weights, {f"r{i}": v for i, v in enumerate(r)},
                                 {f"c{j}": v for j, v in enumerate(s)})
    assert b.seats == tuple(tuple(m * ai * cj for cj in c) for ai in a)


# ------------------------------------------------------------------ biproportional errors
@pytest.mark.parametrize(("weights", "rows", "cols", "code"), [
    ({"a": {"x": 1, "y": 1}}, {"a": 2}, {"x": 1, "y": 2}, "margins-mismatch"),
    ({"a": {"x": 0, "y": 0}, "b": {"x": 1, "y": 1}}, {"a": 1, "b": 1}, {"x": 1, "y": 1},
     "zero-weight-row"),
    ({"a": {"x": 1, "y": 0}, "b": {"x": 1, "y": 0}}, {"a": 1, "b": 1}, {"x": 1, "y": 1},
     "zero-weight-column"),
    ({"a": {"x": 1, "y": 0}, "b": {"x": 1, "y": 0}, "c": {"x": 1, "y": 1}},
     {"a": 1, "b": 1, "c": 1}, {"x": 1, "y": 2}, "margins-infeasible"),
    ({"a": {"x": -1}}, {"a": 1}, {"x": 1}, "negative-share"),
    ({"a": {"x": "many"}}, {"a": 1}, {"x": 1}, "not-a-number"),
    ({"a": {"x": float("nan")}}, {"a": 1}, {"x": 1}, "not-a-number"),
    ({"a": {"z": 1}}, {"a": 1}, {"x": 1}, "unknown-value"),
    ({"q": {"x": 1}}, {"a": 1}, {"x": 1}, "unknown-value"),
    ({"a": {"x": 1}}, {"a": -1}, {"x": 1}, "bad-seats"),
    ({"a": {"x": 1}}, {}, {"x": 1}, "no-values"),
])
def test_biproportional_errors(weights: dict[str, dict[str, object]], rows: dict[str, int],
                               cols: dict[str, int], code: str) -> None:
    with pytest.raises(InputError) as info:
        biproportional_apportion(weights, rows, cols)  # type: ignore[arg-type]
    assert code in info.value.codes


def test_infeasible_margins_name_the_rows_and_columns() -> None:
    with pytest.raises(InputError) as info:
        biproportional_apportion({"a": {"x": 1, "y": 0}, "b": {"x": 1, "y": 0},
                                  "c": {"x": 1, "y": 1}}, {"a": 1, "b": 1, "c": 1},
                                 {"x": 1, "y": 2})
    message = str(info.value)
    assert "'a', 'b'" in message
    assert "need 2 seats" in message


def test_bad_tie_break() -> None:
    with pytest.raises(InputError) as info:
        biproportional_apportion({"a": {"x": 1}}, {"a": 1}, {"x": 1},
                                 tie_break="coin")  # type: ignore[arg-type]
    assert info.value.codes == ("bad-tie-break",)


# ------------------------------------------------------------------ joint rows in Quotas
def _singles() -> list[ValueQuota]:
    return [ValueQuota("sex", "f", 0, 4), ValueQuota("sex", "m", 0, 4),
            ValueQuota("age", "y", 0, 4), ValueQuota("age", "o", 0, 4)]


def test_joint_rows_are_normalised_and_parsed() -> None:
    q = ValueQuota("sex * age", "f*y", 1, 2)
    assert (q.category, q.value, q.is_joint) == ("sex×age", "f×y", True)
    assert q.categories == ("sex", "age")
    assert q.parts == (("sex", "f"), ("age", "y"))
    assert not ValueQuota("sex", "f*", 0, 1).is_joint
    assert ValueQuota("sex", "f*", 0, 1).value == "f*"     # single values are never split
    quotas = Quotas(4, [*_singles(), q])
    assert quotas.strata.names == ("sex", "age")          # the schema: single categories
    assert quotas.joint == (q,)
    assert quotas.get("age×sex", "y×f") is q               # either order, either spelling
    assert quotas.get("sex*age", "f*y") is q
    assert quotas.category("sex*age") == (q,)


@pytest.mark.parametrize(("row", "code"), [
    (ValueQuota("sex×agee", "f×y", 0, 1), "unknown-category"),
    (ValueQuota("sex×region", "f×north", 0, 1), "unknown-category"),
    (ValueQuota("sex×age", "f", 0, 1), "joint-value-parts"),
    (ValueQuota("sex×age", "f×y×x", 0, 1), "joint-value-parts"),
    (ValueQuota("sex×age", "f×young", 0, 1), "unknown-value"),
    (ValueQuota("sex×age", "F×y", 0, 1), "unknown-value"),
    (ValueQuota("sex×sex", "f×m", 0, 1), "repeated-category"),
    (ValueQuota("sex×", "f×y", 0, 1), "empty-name"),
    (ValueQuota("sex×age", "f×", 0, 1), "empty-value"),
    (ValueQuota("age×sex", "y×f", 0, 1), "duplicate-quota"),
])
def test_joint_row_errors(row: ValueQuota, code: str) -> None:
    entries = [*_singles(), ValueQuota("sex×age", "f×y", 0, 2), row]
    with pytest.raises(InputError) as info:
        Quotas(4, entries)
    assert code in info.value.codes
    problem = next(p for p in info.value.problems if p.code == code)
    assert problem.column == row.category
    assert problem.value == row.value


def test_unknown_value_part_suggests_the_right_case() -> None:
    with pytest.raises(InputError) as info:
        Quotas(4, [*_singles(), ValueQuota("sex×age", "F×y", 0, 1)])
    assert "did you mean 'f'" in str(info.value)


def test_a_joint_row_alone_is_refused_with_a_hint() -> None:
    with pytest.raises(InputError) as info:
        Quotas(4, [ValueQuota("sex×age", "f×y", 0, 1)])
    assert info.value.codes == ("unknown-category", "unknown-category")
    assert "min 0 and max k" in str(info.value)


def test_reports_show_joint_rows() -> None:
    quotas = Quotas(4, [*_singles(), ValueQuota("sex×age", "f×y", 1, 2)])
    assert "| sex×age | f×y | 1 | 2 |" in quotas.to_markdown()
    frame = quotas.to_frame()
    assert list(frame["category"])[-1] == "sex×age"


# ------------------------------------------------------------------ census cross tables
COUNTS = {"sex": {"f": 52, "m": 48}, "age": {"y": 40, "o": 60},
          "sex×age": {"f×y": 25, "f×o": 27, "m×y": 15, "m×o": 33}}


def test_census_cross_tables() -> None:
    c = Census.from_counts(COUNTS)
    assert c.strata.names == ("sex", "age")
    assert c.joint_names == ("sex×age",)
    assert c.share("sex*age", "m*o") == Fraction(33, 100)
    assert c.cross_table("age", "sex")["o"] == {"f": Fraction(27, 100), "m": Fraction(33, 100)}
    with pytest.raises(InputError) as info:
        c.cross_table("sex", "sex")
    assert info.value.codes == ("no-cross-table",)


@pytest.mark.parametrize(("table", "code"), [
    ({"f×y": 25, "f×o": 27, "m×y": 15}, "missing-cell"),
    ({"f×y": 25, "f×o": 27, "m×y": 15, "m×x": 33}, "unknown-value"),
    ({"f×y": 25, "f×o": 27, "m×y": 15, "m": 33}, "joint-value-parts"),
    ({"f×y": 25, "f×o": 27, "m×y": 15, "m×o": -3}, "negative-share"),
    ({"f×y": 0, "f×o": 0, "m×y": 0, "m×o": 0}, "zero-total"),
])
def test_census_cross_table_errors(table: dict[str, int], code: str) -> None:
    with pytest.raises(InputError) as info:
        Census.from_counts({**COUNTS, "sex×age": table})
    assert code in info.value.codes


@pytest.mark.parametrize(("name", "code"), [("sex×region", "unknown-category"),
                                            ("sex×age×sex", "unsupported-joint"),
                                            ("sex×sex", "unsupported-joint")])
def test_census_cross_table_names(name: str, code: str) -> None:
    with pytest.raises(InputError) as info:
        Census.from_counts({"sex": {"f": 1, "m": 1}, "age": {"y": 1}, name: {"f×y": 1}})
    assert code in info.value.codes


def test_census_cross_table_shares_must_sum_to_one() -> None:
    shares = {"sex": {"f": "0.5", "m": "0.5"}, "age": {"y": "1"},
              "sex×age": {"f×y": "0.5", "m×y": "0.4"}}
    with pytest.raises(InputError) as info:
        Census.from_shares(shares)
    assert info.value.codes == ("shares-do-not-sum-to-one",)
    assert info.value.problems[0].column == "sex×age"


# ------------------------------------------------------------------ build_quotas(joint=...)
def test_build_quotas_with_joint_rows() -> None:
    census = Census.from_counts(COUNTS)
    plain = build_quotas(census, 10)
    quotas = build_quotas(census, 10, joint=["sex*age"], joint_band=Band.exact())
    assert quotas.entries[:len(plain)] == plain.entries     # single rows unchanged
    cells = {q.value: q for q in quotas.joint}
    assert list(cells) == ["f×y", "f×o", "m×y", "m×o"]
    margins = {q.value: q.provenance.seats for q in plain if q.provenance}
    for v, total in margins.items():
        assert sum(q.provenance.seats for k, q in cells.items()
                   if q.provenance and v in k.split("×")) == total
    for q in cells.values():
        assert q.provenance is not None
        assert q.provenance.method == "biproportional"
        assert q.min == q.max == q.provenance.seats
        assert q.provenance.share == census.share("sex×age", q.value)
    transposed = build_quotas(census, 10, joint=["age×sex"], joint_band=Band.exact())
    assert {q.value: q.min for q in transposed.joint} == {
        f"{b}×{a}": q.min for q in quotas.joint for a, b in [q.value.split("×")]}


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"joint": ["sex×region"]}, "unknown-category"),
    ({"joint": ["sex×age×sex"]}, "unsupported-joint"),
    ({"joint": ["sex×sex"]}, "repeated-category"),
    ({"joint": ["sex×age"], "categories": ["sex"]}, "joint-without-single"),
])
def test_build_quotas_joint_errors(kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(InputError) as info:
        build_quotas(Census.from_counts(COUNTS), 10, **kwargs)  # type: ignore[arg-type]
    assert code in info.value.codes


def test_build_quotas_without_the_cross_table() -> None:
    census = Census.from_counts({"sex": COUNTS["sex"], "age": COUNTS["age"]})
    with pytest.raises(InputError) as info:
        build_quotas(census, 10, joint=["sex×age"])
    assert info.value.codes == ("no-cross-table",)


def test_build_quotas_infeasible_cross_table_names_the_joint_category() -> None:
    census = Census.from_counts({"sex": {"f": 50, "m": 50}, "age": {"o": 50, "y": 50},
                                 "sex×age": {"f×y": 1, "f×o": 0, "m×y": 0, "m×o": 1}})
    with pytest.raises(InputError) as info:  # f 2, m 1 and o 2, y 1: the 2 women must be young
        build_quotas(census, 3, joint=["sex×age"])
    assert info.value.problems[0].column == "sex×age"
    assert info.value.codes[0] in ("margins-infeasible", "zero-weight-row")


def test_build_quotas_joint_tie_raise() -> None:
    census = Census.from_counts({"sex": {"f": 1, "m": 1}, "age": {"y": 1, "o": 1},
                                 "sex×age": {"f×y": 1, "f×o": 1, "m×y": 1, "m×o": 1}})
    quotas = build_quotas(census, 2, joint=["sex×age"], joint_band=Band.exact())
    assert [q.provenance.tie for q in quotas.joint if q.provenance] == [True] * 4
    with pytest.raises(TieError):
        build_quotas(census, 2, joint=["sex×age"], tie_break="raise")  # the diagonals tie


# ------------------------------------------------------------------ files
TARGETS = """feature,value,min,max
sex,f,1,3
sex,m,1,3
age,y,1,3
age,o,1,3
sex{sep}age,f{sep}y,1,2
sex{sep}age,m{sep}o,0,1
"""


@pytest.mark.parametrize("sep", ["×", "*", " * "])
def test_read_targets_with_joint_rows(sep: str) -> None:
    quotas = read_targets(io.StringIO(TARGETS.format(sep=sep)), 4)
    assert [(q.category, q.value, q.min, q.max) for q in quotas.joint] == [
        ("sex×age", "f×y", 1, 2), ("sex×age", "m×o", 0, 1)]
    out = io.StringIO()
    write_targets(out, quotas)
    assert "sex×age,f×y,1,2" in out.getvalue()
    assert read_targets(io.StringIO(out.getvalue()), 4) == quotas


def test_read_targets_joint_errors_name_the_line() -> None:
    text = TARGETS.format(sep="×") + "sex×age,f×old,0,1\nsex×agee,f×y,0,1\nsex×age,f,0,1\n" \
        "age×sex,y×f,0,1\n"
    with pytest.raises(InputError) as info:
        read_targets(io.StringIO(text), 4)
    found = {(p.code, p.row) for p in info.value.problems}
    assert found == {("unknown-value", 8), ("unknown-category", 9), ("joint-value-parts", 10),
                     ("duplicate-quota", 11)}


def test_census_file_with_a_cross_table() -> None:
    text = ("category,value,count\nsex,f,52\nsex,m,48\nage,y,40\nage,o,60\n"
            "sex*age,f*y,25\nsex*age,f*o,27\nsex×age,m×y,15\nsex × age,m × o,33\n")
    census = read_census(io.StringIO(text))
    expected = Census.from_counts(COUNTS)
    assert (census.data, census.joint) == (expected.data, expected.joint)
    out = io.StringIO()
    write_census(out, census)
    assert read_census(io.StringIO(out.getvalue())) == census
    with pytest.raises(InputError) as info:
        read_census(io.StringIO(text.replace("m × o,33", "m × x,33")))
    assert info.value.problems[0].row == 9
    assert info.value.codes == ("unknown-value",)


# ------------------------------------------------------------------ the engine
POOL = [("f", "y"), ("f", "y"), ("f", "o"), ("f", "o"), ("f", "o"), ("m", "y"), ("m", "y"),
        ("m", "y"), ("m", "o"), ("m", "o")]


def _pool() -> Pool:
    return Pool.from_records([{"id": f"p{i}", "sex": s, "age": a} for i, (s, a) in
                              enumerate(POOL)], categories=["sex", "age"], id_field="id")


def _meets(panel: tuple[int, ...], rows: list[tuple[str, str, int, int]], k: int) -> bool:
    """Count the people directly (not through program.py): every row's bounds hold."""
    if len(panel) != k:
        return False
    for cat, val, lo, hi in rows:
        cats, vals = cat.split("×"), val.split("×")
        want = dict(zip(cats, vals, strict=True))
        have = sum(all(dict(zip(("sex", "age"), POOL[i], strict=True))[c] == v
                       for c, v in want.items()) for i in panel)
        if not lo <= have <= hi:
            return False
    return True


ROWS = [("sex", "f", 2, 2), ("sex", "m", 2, 2), ("age", "y", 1, 3), ("age", "o", 1, 3),
        ("sex×age", "f×y", 1, 1), ("sex×age", "m×o", 0, 0)]


def _quotas(rows: list[tuple[str, str, int, int]], k: int = 4) -> Quotas:
    return Quotas(k, [ValueQuota(*r) for r in rows])


def test_types_are_unchanged_by_joint_rows() -> None:
    pool = _pool()
    plain = PanelProgram.build(pool, _quotas(ROWS[:4]))
    joint = PanelProgram.build(pool, _quotas(ROWS))
    assert joint.n_types == plain.n_types == 4
    assert joint.n_quota_rows == plain.n_quota_rows + 2
    np.testing.assert_array_equal(joint.A[:5], plain.A)


@pytest.mark.parametrize("algorithm", ["leximin", "maximin", "nash"])
def test_every_panel_of_the_lottery_meets_the_joint_rows(algorithm: str) -> None:
    pool, quotas = _pool(), _quotas(ROWS)
    dist = cs.find_distribution(pool, quotas, algorithm=algorithm)
    feasible = {p for p in itertools.combinations(range(pool.n), 4) if _meets(p, ROWS, 4)}
    assert feasible
    panels = dist.panels()
    assert panels
    for members, prob in panels:
        assert prob > 0
        assert tuple(int(i) for i in members) in feasible
        assert dist.program.check_panel(members) == []
    # Nobody outside every feasible panel is given a chance, and each person in one is.
    reachable = {i for p in feasible for i in p}
    if algorithm in ("leximin", "nash"):
        assert {i for i in range(pool.n) if dist.marginals[i] > 1e-9} == reachable
    verdict = cs.verify_selection(pool, quotas, distribution=dist)
    assert verdict.ok, str(verdict)


def test_leximin_with_joint_rows_matches_brute_force_maximin() -> None:
    pool, quotas = _pool(), _quotas(ROWS)
    feasible = [p for p in itertools.combinations(range(pool.n), 4) if _meets(p, ROWS, 4)]
    from scipy import optimize

    covered = sorted({i for p in feasible for i in p})
    M = np.array([[1.0 if i in p else 0.0 for p in feasible] for i in covered])
    c = np.zeros(len(feasible) + 1)
    c[-1] = -1.0
    res = optimize.linprog(c, A_ub=np.hstack([-M, np.ones((len(covered), 1))]),
                           b_ub=np.zeros(len(covered)),
                           A_eq=np.append(np.ones(len(feasible)), 0.0)[None], b_eq=[1.0],
                           bounds=[(0, None)] * len(feasible) + [(None, None)], method="highs")
    dist = cs.leximin(pool, quotas)
    assert math.isclose(dist.minimum, -res.fun, abs_tol=1e-7) or dist.minimum == 0.0
    assert math.isclose(min(dist.marginals[covered]), -res.fun, abs_tol=1e-7)


def test_infeasible_joint_rows_iff_brute_force_finds_no_panel() -> None:
    pool = _pool()
    bad = [*ROWS[:4], ("sex×age", "f×y", 2, 2), ("sex×age", "f×o", 1, 2)]  # 3 women of 2 seats
    assert not any(_meets(p, bad, 4) for p in itertools.combinations(range(pool.n), 4))
    with pytest.raises(InfeasibleQuotasError) as info:
        cs.leximin(pool, _quotas(bad))
    err = info.value
    assert err.relaxed is not None
    assert err.relaxed_feasible
    relaxed_rows = [(q.category, q.value, q.min, q.max) for q in err.relaxed]
    assert any(_meets(p, relaxed_rows, 4) for p in itertools.combinations(range(pool.n), 4))
    assert {c.category for c in err.changes} <= {"sex", "sex×age"}
    again = explain_infeasible(PanelProgram.build(pool, _quotas(bad)))
    assert again.changes == err.changes


def test_check_panel_and_profile_count_joint_rows() -> None:
    prog = PanelProgram.build(_pool(), _quotas(ROWS))
    ok = next(p for p in itertools.combinations(range(10), 4) if _meets(p, ROWS, 4))
    assert prog.check_panel(ok) == []
    bad = (0, 1, 5, 6)   # two young women: f×y = 2 > 1
    problems = prog.check_panel(bad)
    assert "sex×age=f×y: 2 not in [1, 1]" in problems
    profile = np.bincount(prog.type_of[list(bad)], minlength=prog.n_types)
    assert any(p.startswith("sex×age=f×y") for p in prog.check_profile(profile))


def test_joint_row_for_a_category_the_pool_lacks() -> None:
    pool = Pool.from_records([{"sex": s} for s, _ in POOL], categories=["sex"])
    quotas = _quotas([("sex", "f", 0, 4), ("sex", "m", 0, 4), ("age", "y", 0, 4),
                      ("sex×age", "f×y", 0, 1)])
    with pytest.raises(InputError) as info:
        PanelProgram.build(pool, quotas)
    assert set(info.value.codes) == {"category-missing-in-pool"}
    assert any(p.value == "sex×age" for p in info.value.problems)
    assert "category-missing-in-pool" in diagnose(pool, quotas).codes()


@pytest.mark.parametrize(("rows", "code"), [
    ([("sex×age", "f×y", 2, 2), ("sex×age", "f×o", 1, 1)], "joint-min-exceeds-margin"),
    ([("sex×age", "m×y", 0, 0), ("sex×age", "m×o", 1, 1)], "joint-max-below-margin"),
    ([("sex×age", "f×y", 3, 3)], "pool-below-min"),
    ([("sex×age", "f×y", 3, 4), ("sex×age", "m×o", 2, 2)], "category-min-exceeds-panel"),
    ([("sex×age", "f×y", 0, 1), ("sex×age", "f×o", 0, 1), ("sex×age", "m×y", 0, 0),
      ("sex×age", "m×o", 0, 1)], "category-max-below-panel"),
])
def test_diagnose_joint_rows(rows: list[tuple[str, str, int, int]], code: str) -> None:
    quotas = _quotas([("sex", "f", 2, 2), ("sex", "m", 2, 2), ("age", "y", 0, 4),
                      ("age", "o", 0, 4), *rows])
    found = diagnose(_pool(), quotas)
    assert code in found.codes()
    assert not found.ok


def test_diagnose_is_quiet_on_feasible_joint_rows() -> None:
    assert diagnose(_pool(), _quotas(ROWS)).errors == ()


def test_joint_quotas_from_a_census_run_end_to_end() -> None:
    census = Census.from_counts({"sex": {"f": 50, "m": 50}, "age": {"y": 45, "o": 55},
                                 "sex×age": {"f×y": 20, "f×o": 30, "m×y": 25, "m×o": 25}})
    quotas = build_quotas(census, 4, band=Band.seats(1), joint=["sex×age"],
                          joint_band=Band.seats(1))
    rows = [(q.category, q.value, q.min, q.max) for q in quotas]
    pool = _pool()
    dist = cs.leximin(pool, quotas)
    for members, _ in dist.panels():
        assert _meets(tuple(int(i) for i in members), rows, 4)


def test_the_rustavi_style_example_of_the_docs() -> None:
    # docs/quotas.md, "Worked example": rounding cells alone breaks the margins; this does not.
    ages = ["18-29", "30-39", "40-49", "50-64", "65+"]
    women = [9900, 9639, 8851, 13970, 11904]
    men = [9900, 9261, 7849, 11430, 7296]
    cells = {f"female×{a}": f for a, f in zip(ages, women, strict=True)}
    cells.update({f"male×{a}": m for a, m in zip(ages, men, strict=True)})
    census = Census.from_counts({"sex": {"female": 54300, "male": 45700},
                                 "age": dict(zip(ages, [19800, 18900, 16700, 25400, 19200],
                                                 strict=True)), "sex×age": cells})
    table = census.cross_table("sex", "age")
    alone = [[round(36 * float(table[s][a])) for a in ages] for s in ("female", "male")]
    assert [sum(line) for line in alone] == [19, 17]
    b = biproportional_apportion(table, {"female": 20, "male": 16},
                                 dict(zip(ages, [7, 7, 6, 9, 7], strict=True)))
    assert b.seats == ((4, 4, 3, 5, 4), (3, 3, 3, 4, 3))
    assert b.row_multipliers == (Fraction(3500, 99), Fraction(3500, 99))
    assert b.column_multipliers == (1, Fraction(1100, 1029), Fraction(9900, 8851),
                                    Fraction(990, 889), Fraction(7425, 6944))
    assert b.ties == ()
    quotas = build_quotas(census, 36, band=Band.seats(1), joint=["sex×age"])
    assert [q.provenance.seats for q in quotas.joint if q.provenance] == [4, 4, 3, 5, 4,
                                                                          3, 3, 3, 4, 3]


# ------------------------------------------------- the other consumers of quota rows
def test_legacy_draws_meet_the_joint_rows() -> None:
    pool = _pool()
    dist = cs.find_distribution(pool, _quotas(ROWS), algorithm="legacy", draws=300, rng=5)
    for members, _ in dist.panels():
        assert _meets(tuple(int(i) for i in members), ROWS, 4)


def test_residual_quotas_count_the_kept_members_on_joint_rows() -> None:
    pool = _pool()
    quotas = _quotas(ROWS)
    kept = ["p0", "p5"]                                  # (f, y) and (m, y)
    residual = cs.residual_quotas(pool, quotas, kept, 2)
    held = {("sex", "f"): 1, ("sex", "m"): 1, ("age", "y"): 2, ("age", "o"): 0,
            ("sex×age", "f×y"): 1, ("sex×age", "m×o"): 0}
    for q, r in zip(quotas, residual, strict=True):
        have = held[(q.category, q.value)]
        assert (r.min, r.max) == (max(0, q.min - have), q.max - have)


def test_group_view_lists_the_joint_rows() -> None:
    pool = _pool()
    census = Census.from_counts({"sex": {"f": 50, "m": 50}, "age": {"y": 45, "o": 55},
                                 "sex×age": {"f×y": 20, "f×o": 30, "m×y": 25, "m×o": 25}})
    dist = cs.leximin(pool, _quotas(ROWS))
    rows = {(r["category"], r["value"]): r for r in cs.group_view(dist, census)}
    fy = rows[("sex×age", "f×y")]
    members = [i for i, (s, a) in enumerate(POOL) if (s, a) == ("f", "y")]
    assert fy["pool_count"] == len(members)
    assert fy["expected_seats"] == pytest.approx(float(dist.marginals[members].sum()))
    assert fy["expected_seats"] == pytest.approx(1.0)     # the row holds exactly one seat
    assert (fy["quota_min"], fy["quota_max"]) == (1, 1)
    assert fy["census_seats"] == pytest.approx(4 * 0.2)


def test_the_command_line_builds_joint_targets_and_selects_with_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from civicsortition.cli import main

    census = tmp_path / "census.csv"
    census.write_text("category,value,count\nsex,f,50\nsex,m,50\nage,y,45\nage,o,55\n"
                      "sex*age,f*y,20\nsex*age,f*o,30\nsex*age,m*y,25\nsex*age,m*o,25\n",
                      encoding="utf-8")
    targets = tmp_path / "targets.csv"
    assert main(["quotas", "--census", str(census), "--panel-size", "4", "--joint", "sex*age",
                 "--joint-band-seats", "0", "--out", str(targets)]) == 0
    quotas = read_targets(targets, 4)
    joint = {q.value: (q.min, q.max) for q in quotas.joint}
    assert set(joint) == {"f×y", "f×o", "m×y", "m×o"}
    assert all(lo == hi for lo, hi in joint.values())    # band 0: the apportioned seats
    assert sum(lo for lo, _ in joint.values()) == 4
    people = tmp_path / "people.csv"
    people.write_text("id,sex,age\n" + "".join(f"p{i},{s},{a}\n" for i, (s, a) in
                                               enumerate(POOL)), encoding="utf-8")
    out = tmp_path / "result.json"
    assert main(["select", "--targets", str(targets), "--people", str(people),
                 "--id-column", "id", "--panel-size", "4", "--json", str(out)]) == 0
    assert main(["verify", "--targets", str(targets), "--people", str(people),
                 "--id-column", "id", "--panel-size", "4", "--result", str(out)]) == 0
    # a joint name without its cross table is refused, naming the problem
    assert main(["quotas", "--census", str(census), "--panel-size", "4", "--joint",
                 "sex*district", "--out", str(tmp_path / "t2.csv")]) != 0
