"""Issue 12: no hidden pool count of the audit report can be recovered from what it publishes.

An attacker reads the published report (the JSON and, separately, the Markdown) and tries
every route to a suppressed count: the columns computed from it (pool seats = k·count/n,
expected seats with the published probabilities), the pool size minus the other published
counts of the category, and a brute-force search over every count vector consistent with all
published figures (pool size, counts, expected seats, quotas, panel composition, minimum and
maximum probability, people on no panel). No route may single out a hidden count. The
attacker below is written from the report's format alone, not from the library's code.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from civicsortition import (
    InfeasibleQuotasError,
    Pool,
    Quotas,
    ValueQuota,
    audit_report,
    draw_exact,
    group_view,
    leximin,
)
from civicsortition.audit import AuditReport
from civicsortition.distribution import Distribution
from civicsortition.examples import rustavi_example, rustavi_synthetic_census

Counts = dict[str, dict[str, int]]

# Fields of a group row that are public inputs (or labels), not computed from the pool count.
PUBLIC_FIELDS = {"category", "value", "quota_min", "quota_max", "census_seats", "small_cell",
                 "suppressed"}


# --------------------------------------------------------------------------- the pools
def _pool(counts: Counts, seed: int = 0) -> Pool:
    """A pool with exactly these counts per value; categories paired up by a fixed shuffle."""
    sizes = {sum(values.values()) for values in counts.values()}
    assert len(sizes) == 1, "every category must add up to the same pool size"
    (n,) = sizes
    rng = random.Random(seed)
    columns = {}
    for name, values in counts.items():
        column = [v for v, c in values.items() for _ in range(c)]
        rng.shuffle(column)
        columns[name] = column
    records = [{name: columns[name][i] for name in counts} for i in range(n)]
    return Pool.from_records(records, categories=list(counts))


def _quotas(counts: Counts, k: int, bounds: dict[str, tuple[int, int]] | None = None) -> Quotas:
    bounds = bounds or {}
    return Quotas(k, [ValueQuota(name, v, *bounds.get(v, (0, k)))
                      for name, values in counts.items() for v in values])


def _report(counts: Counts, k: int, bounds: dict[str, tuple[int, int]] | None = None, *,
            with_draw: bool = True, seed: int = 0) -> tuple[AuditReport, Distribution]:
    pool = _pool(counts, seed)
    quotas = _quotas(counts, k, bounds)
    dist = leximin(pool, quotas)
    record = draw_exact(dist, f"privacy {seed}") if with_draw else None
    return audit_report(pool, quotas, dist, record=record), dist


# Values held by 1, 2, 3 and 4 people; one or two (or more) small cells per category; uniform
# and non-uniform lotteries; with and without a published panel composition.
POOLS: list[tuple[str, Counts, int, dict[str, tuple[int, int]] | None]] = [
    ("one-small-cell", {"age": {"a": 1, "b": 7, "c": 9, "d": 12},
                        "sex": {"f": 13, "m": 16}}, 6, None),
    ("two-small-cells", {"age": {"a": 1, "b": 2, "c": 10, "d": 12},
                         "sex": {"f": 11, "m": 14}}, 6, None),
    ("two-singletons", {"age": {"a": 1, "b": 1, "c": 10, "d": 13},
                        "sex": {"f": 12, "m": 13}}, 6, None),
    ("small-in-two-categories", {"age": {"a": 3, "b": 8, "c": 9, "d": 10},
                                 "region": {"x": 4, "y": 26}}, 5, None),
    ("one-two-three-four", {"group": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 15},
                            "sex": {"f": 12, "m": 13}}, 6, None),
    ("twos-and-fours", {"age": {"a": 2, "b": 4, "c": 6, "d": 12},
                        "sex": {"f": 2, "m": 22}}, 6, None),
    ("tight-quotas", {"age": {"a": 2, "b": 3, "c": 9, "d": 11},
                      "sex": {"f": 12, "m": 13}}, 6,
     {"a": (1, 1), "b": (1, 2), "c": (1, 3), "d": (1, 3), "f": (3, 3), "m": (3, 3)}),
    ("tied-complement", {"age": {"a": 4, "b": 6, "c": 6, "d": 6},
                         "sex": {"f": 1, "m": 6, "x": 15}}, 4, None),
]
POOL_IDS = [p[0] for p in POOLS]


# ----------------------------------------------------------------------- the attacker
def _parse_json(report: AuditReport) -> dict[str, Any]:
    """What an attacker reads off the published JSON."""
    data = json.loads(report.to_json())
    composition = (data.get("draw") or {}).get("composition") or {}
    categories: dict[str, list[dict[str, Any]]] = {}
    for g in data["groups"]:
        categories.setdefault(g["category"], []).append(
            {**g, "drawn": composition.get(g["category"], {}).get(g["value"], 0)})
    fair = data["fairness"]
    return {"n": data["inputs"]["pool_size"], "k": data["inputs"]["panel_size"],
            "small_cell": data["small_cell"], "p_min": fair["minimum"],
            "p_max": fair["maximum"], "uncovered": fair["uncovered"],
            "categories": categories}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _parse_markdown(report: AuditReport) -> dict[str, Any]:
    """What an attacker reads off the published Markdown (header, fairness, group table)."""
    text = report.to_markdown()
    pool_line = re.search(r"^- pool: (\d+) registrations", text, flags=re.M)
    panel_line = re.search(r"^- quotas: panel of (\d+);", text, flags=re.M)
    fair_line = re.search(r"^- minimum selection probability ([\d.]+)%, maximum ([\d.]+)%",
                          text, flags=re.M)
    assert pool_line is not None
    assert panel_line is not None
    assert fair_line is not None
    table = text.split("## Groups", 1)[1].split("\n\n", 2)[1]
    header, _, *rows = table.splitlines()
    assert header.split("|")[1:-1] == [" category ", " value ", " pool ", " pool seats ",
                                       " expected seats ", " quota ", " census seats ",
                                       " note "]
    categories: dict[str, list[dict[str, Any]]] = {}
    for line in rows:
        cat, value, pool, seats, expected, quota, _census, note = (
            c.strip() for c in line.split("|")[1:-1])
        count = _number(pool)
        categories.setdefault(cat, []).append(
            {"value": value, "pool_count": None if count is None else int(count),
             "pool_seats": _number(seats), "expected_seats": _number(expected),
             "quota": quota, "note": note})
    return {"n": int(pool_line.group(1)), "k": int(panel_line.group(1)),
            "p_min": float(fair_line.group(1)) / 100, "p_max": float(fair_line.group(2)) / 100,
            "categories": categories, "text": text}


def _derived_route(row: dict[str, Any], n: int, k: int, p_min: float, p_max: float,
                   decimals: int | None = None) -> set[int]:
    """Counts implied by figures computed from a hidden count (empty: nothing to go on)."""
    found: set[int] = set()
    step = 0.0 if decimals is None else 0.5 * 10.0 ** -decimals
    seats = row.get("pool_seats")
    if seats is not None and k:                      # pool seats = k * count / n
        found.add(round(seats * n / k))
    expected = row.get("expected_seats")
    if expected is not None:
        if p_max > 0 and abs(p_max - p_min) <= 1e-9 + 2 * step:
            found.add(round(expected / p_max))       # everyone has the same probability
        if p_max > 0:                                # expected / p_max <= count <= expected / p_min
            low = int(-(-(expected - step - 1e-9) // p_max))
            high = int((expected + step + 1e-9) // p_min) if p_min > 0 else n
            if low == high:
                found.add(low)
    return found


def _subtraction_route(rows: list[dict[str, Any]], n: int) -> dict[str, int]:
    """n minus the other published counts, when exactly one count of a category is hidden."""
    hidden = [r["value"] for r in rows if r["pool_count"] is None]
    if len(hidden) != 1:
        return {}
    return {hidden[0]: n - sum(r["pool_count"] for r in rows if r["pool_count"] is not None)}


def _search_route(rows: list[dict[str, Any]], info: dict[str, Any],
                  small_values: set[str] | None = None,
                  tol: float = 1e-6) -> dict[str, set[int]]:
    """Every count each hidden value can have, by brute force over all published constraints.

    The hidden counts add up to n minus the published ones; each is at least 1 (the value
    occurs), its quota minimum and its members on the panel, and at most every published count
    of the category (hidden values are the smallest; a published value earlier in the table
    with the same count would have been hidden first); at least one is a small cell; and the
    hidden expected seats add up to k minus the published ones, each within its quota and
    within [count * p_min, count * p_max] (fewer covered members if people are uncovered).
    The same route bounds a value whose quota maximum is 0 by the people on no panel.

    ``small_values`` grants the attacker more than the report says: which hidden values are
    small cells (below ``small_cell``) and which were hidden to protect them, as census shares
    or local knowledge may tell.
    """
    n, k, small = info["n"], info["k"], info["small_cell"]
    p_min, p_max, uncovered = info["p_min"], info["p_max"], info["uncovered"]
    hidden = [i for i, r in enumerate(rows) if r["pool_count"] is None]
    shown = [j for j, r in enumerate(rows) if r["pool_count"] is not None]
    if not hidden:
        return {}
    total = n - sum(rows[j]["pool_count"] for j in shown)
    seats = None
    if all(rows[j]["expected_seats"] is not None for j in shown):
        seats = k - sum(rows[j]["expected_seats"] for j in shown)
    ranges = []
    for i in hidden:
        r = rows[i]
        low = max(1, r["quota_min"] or 0, r["drawn"])
        high = min([rows[j]["pool_count"] - (j < i) for j in shown], default=total)
        if small_values is not None:
            if r["value"] in small_values:
                high = min(high, small - 1)
            else:
                low = max(low, small)
        ranges.append(range(low, high + 1))
    found: dict[str, set[int]] = {rows[i]["value"]: set() for i in hidden}
    for head in itertools.product(*ranges[:-1]):
        xs = (*head, total - sum(head))
        if xs[-1] not in ranges[-1] or min(xs) >= small:
            continue
        if seats is not None:
            lows = highs = 0.0
            fits = True
            for i, x in zip(hidden, xs, strict=True):
                q_min = rows[i]["quota_min"] or 0
                q_max = k if rows[i]["quota_max"] is None else rows[i]["quota_max"]
                low = max(q_min, max(0, x - uncovered) * p_min)
                high = min(q_max, x * p_max)
                fits = fits and low <= high + tol
                lows, highs = lows + low, highs + high
            if not fits or lows > seats + tol or highs < seats - tol:
                continue
        for i, x in zip(hidden, xs, strict=True):
            found[rows[i]["value"]].add(x)
    return found


def _attack(report: AuditReport, truth: Counts) -> list[str]:
    """Every hidden count the attacker pins down, by any route, from the JSON or the Markdown."""
    leaks: list[str] = []
    info = _parse_json(report)
    md = _parse_markdown(report)
    assert (md["n"], md["k"]) == (info["n"], info["k"])
    unprotected = set(json.loads(report.to_json()).get("suppression", {}).get("unprotected", []))
    for cat, rows in info["categories"].items():
        if cat in unprotected:
            continue
        for r in rows:
            if r["pool_count"] is None:
                extra = {f: v for f, v in r.items()
                         if f not in PUBLIC_FIELDS | {"pool_count", "drawn"} and v is not None}
                if extra:
                    leaks.append(f"json {cat}={r['value']}: published {sorted(extra)}")
                got = _derived_route(r, info["n"], info["k"], info["p_min"], info["p_max"])
                if got:
                    leaks.append(f"json {cat}={r['value']}: derived columns give {got}")
        for value, count in _subtraction_route(rows, info["n"]).items():
            leaks.append(f"json {cat}={value}: n minus the others gives {count}")
        small = {v for v, c in truth[cat].items() if c < info["small_cell"]}
        for knows, known in (("", None), (" and which are small", small)):
            for value, options in _search_route(rows, info, known).items():
                assert truth[cat][value] in options, "the attacker's reasoning must be sound"
                if len(options) < 2:
                    leaks.append(f"json {cat}={value}: only {options} fits the published "
                                 f"figures{knows}")
    for cat, rows in md["categories"].items():
        if cat in unprotected:
            continue
        for r in rows:
            if r["pool_count"] is None:
                got = _derived_route(r, md["n"], md["k"], md["p_min"], md["p_max"], decimals=2)
                if got:
                    leaks.append(f"markdown {cat}={r['value']}: derived columns give {got}")
        for value, count in _subtraction_route(rows, md["n"]).items():
            leaks.append(f"markdown {cat}={value}: n minus the others gives {count}")
    return leaks


# ------------------------------------------------------------------------------ tests
@pytest.mark.parametrize(("name", "counts", "k", "bounds"), POOLS, ids=POOL_IDS)
def test_no_hidden_count_can_be_recovered(name: str, counts: Counts, k: int,
                                          bounds: dict[str, tuple[int, int]] | None) -> None:
    for with_draw in (False, True):
        report, _ = _report(counts, k, bounds, with_draw=with_draw)
        assert _attack(report, counts) == []
        data = json.loads(report.to_json())
        unprotected = data["suppression"]["unprotected"]
        if not with_draw:
            assert unprotected == []
        for cat in unprotected:                      # flagged only when all is hidden already
            assert all(g["suppressed"] for g in data["groups"] if g["category"] == cat)


@pytest.mark.parametrize(("name", "counts", "k", "bounds"), POOLS, ids=POOL_IDS)
def test_every_small_cell_is_hidden_with_a_complement(
        name: str, counts: Counts, k: int, bounds: dict[str, tuple[int, int]] | None) -> None:
    report, _ = _report(counts, k, bounds)
    info = _parse_json(report)
    md = _parse_markdown(report)
    for cat, rows in info["categories"].items():
        hidden = {r["value"] for r in rows if r["pool_count"] is None}
        assert {v for v, c in counts[cat].items() if c < 5} <= hidden
        assert len(hidden) != 1                      # never a lone hidden cell
        for r in rows:                               # one flag, the same for both kinds
            assert r["suppressed"] is r["small_cell"] is (r["value"] in hidden)
        md_rows = {r["value"]: r for r in md["categories"][cat]}
        for value in hidden:                          # the same marker in every hidden column
            assert md_rows[value]["note"] == "suppressed"
            assert md["text"].count(f"| {cat} | {value} | suppressed | suppressed | "
                                    "suppressed |") == 1
        assert {v for v, r in md_rows.items() if r["pool_count"] is None} == hidden


def test_a_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    counts: Counts = {"age": {"a": 1, "b": 7, "c": 9, "d": 12}, "sex": {"f": 13, "m": 16}}
    report, _ = _report(counts, 6)
    groups = json.loads(report.to_json())["groups"]
    assert [g["value"] for g in groups if g["suppressed"]] == ["a", "b"]
    # Two singletons: 1 + 1 = 2 with each at least 1 would give both away; a third is hidden.
    counts = {"age": {"a": 1, "b": 1, "c": 10, "d": 13}, "sex": {"f": 12, "m": 13}}
    report, _ = _report(counts, 6)
    groups = json.loads(report.to_json())["groups"]
    assert [g["value"] for g in groups if g["suppressed"]] == ["a", "b", "c"]


@pytest.mark.parametrize(("name", "counts", "k", "bounds"), POOLS, ids=POOL_IDS)
def test_unsuppressed_rows_are_unchanged(name: str, counts: Counts, k: int,
                                         bounds: dict[str, tuple[int, int]] | None) -> None:
    shown = 0
    for with_draw in (False, True):
        report, dist = _report(counts, k, bounds, with_draw=with_draw)
        expected = {(g["category"], g["value"]): g for g in group_view(dist)}
        markdown = report.to_markdown()
        for g in json.loads(report.to_json())["groups"]:
            if g.get("suppressed", g["small_cell"]):
                continue
            shown += 1
            plain = {f: v for f, v in g.items() if f not in ("small_cell", "suppressed")}
            assert plain == expected[g["category"], g["value"]]
            assert (f"| {g['category']} | {g['value']} | {g['pool_count']} "
                    f"| {g['pool_seats']:.2f} | {g['expected_seats']:.2f} "
                    f"| {g['quota_min']}–{g['quota_max']} |  |  |" in markdown)
    assert shown >= 1


def test_ties_with_a_published_count_are_hidden_too() -> None:
    # Hiding only a (4) and its complement b (6) next to published 6s: b is at most 6 (a tie
    # is broken by table order), so a = 10 - b is at least 4, and exactly 4 for whoever knows
    # that a is the small one. The tied 6s must all be hidden.
    counts: Counts = {"age": {"a": 4, "b": 6, "c": 6, "d": 6}, "sex": {"f": 1, "m": 21}}
    report, _ = _report(counts, 4)
    info = _parse_json(report)
    rows = info["categories"]["age"]
    assert [r["value"] for r in rows if r["pool_count"] is None] == ["a", "b", "c", "d"]
    only_two = [rows[0], rows[1], {**rows[2], "pool_count": 6}, {**rows[3], "pool_count": 6}]
    assert _search_route(only_two, info, {"a"})["a"] == {4}


def test_a_count_that_cannot_be_hidden_is_flagged() -> None:
    # One person holds a value with quota maximum 0: nobody else is on no feasible panel, so
    # "people on no feasible panel: 1" gives the count away whatever the table hides.
    counts: Counts = {"age": {"a": 1, "b": 6, "c": 8, "d": 10}, "sex": {"f": 12, "m": 13}}
    report, dist = _report(counts, 5, {"a": (0, 0)})
    assert len(dist.uncovered) == 1
    info = _parse_json(report)
    assert _search_route(info["categories"]["age"], info)["a"] == {1}
    data = json.loads(report.to_json())
    assert data["suppression"]["unprotected"] == ["age"]
    assert all(g["suppressed"] for g in data["groups"] if g["category"] == "age")
    assert "Do not publish this report" in report.to_markdown()
    assert _attack(report, counts) == []             # the attacker skips what is flagged
    # The panel took all four members of a small group: whoever knows the group is small
    # (below 5) learns it has exactly 4 members, whatever the table hides.
    counts = {"age": {"a": 2, "b": 4, "c": 6, "d": 12}, "sex": {"f": 2, "m": 22}}
    report, _ = _report(counts, 6)
    data = json.loads(report.to_json())
    assert data["draw"]["composition"]["age"]["b"] == 4
    assert data["suppression"]["unprotected"] == ["age"]
    info = _parse_json(report)
    assert _search_route(info["categories"]["age"], info, {"a", "b"})["b"] == {4}


def test_reports_without_small_cells_are_unchanged() -> None:
    pool, quotas = rustavi_example()
    dist = leximin(pool, quotas)
    census = rustavi_synthetic_census()
    report = audit_report(pool, quotas, dist, census=census)
    data = json.loads(report.to_json())
    assert data.get("suppression", {}).get("cells", 0) == 0
    assert [{f: v for f, v in g.items() if f != "suppressed"} for g in data["groups"]] == \
        [{**g, "small_cell": False} for g in group_view(dist, census)]
    assert not any(g.get("suppressed") for g in data["groups"])
    assert "suppressed" not in report.to_markdown()


# -------------------------------------------------------------------------- property
@st.composite
def small_pools(draw: st.DrawFn) -> tuple[Counts, int, dict[str, tuple[int, int]]]:
    """One to three categories of two to four values, at least one small cell, n <= 40."""
    first = draw(st.lists(st.integers(1, 12), min_size=2, max_size=4))
    n = sum(first)
    assume(5 <= n <= 40)
    counts: Counts = {"c0": {f"c0v{i}": c for i, c in enumerate(first)}}
    for c in range(1, draw(st.integers(1, 3))):
        m = draw(st.integers(2, 4))
        cuts = sorted(draw(st.lists(st.integers(1, n - 1), min_size=m - 1, max_size=m - 1,
                                    unique=True)))
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        counts[f"c{c}"] = {f"c{c}v{i}": s for i, s in enumerate(sizes)}
    assume(any(s < 5 for values in counts.values() for s in values.values()))
    k = draw(st.integers(1, min(6, n - 1)))
    bounds = {}
    for values in counts.values():
        for v in values:
            if draw(st.booleans()):
                lo = draw(st.integers(0, 1))
                bounds[v] = (lo, draw(st.integers(max(lo, 1), k)))
    return counts, k, bounds


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(case=small_pools(), with_draw=st.booleans(), seed=st.integers(0, 3))
def test_no_suppressed_count_is_recoverable_in_random_pools(
        case: tuple[Counts, int, dict[str, tuple[int, int]]], with_draw: bool,
        seed: int) -> None:
    counts, k, bounds = case
    try:
        report, _ = _report(counts, k, bounds, with_draw=with_draw, seed=seed)
    except InfeasibleQuotasError:
        assume(False)
        return
    assert _attack(report, counts) == []
    data = json.loads(report.to_json())
    for cat, values in counts.items():
        rows = [g for g in data["groups"] if g["category"] == cat]
        hidden = [g for g in rows if g["suppressed"]]
        assert all(g["suppressed"] for g in rows if values[g["value"]] < 5)
        assert len(hidden) != 1
        if cat in data["suppression"]["unprotected"]:
            assert len(hidden) == len(rows)          # flagged only when hiding all is not enough
