"""Fairness metrics, the audit report (no personal data) and the independent verifier."""

from __future__ import annotations

import itertools
import json

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicsortition import (
    Pool,
    Quotas,
    ValueQuota,
    audit_report,
    compare,
    draw,
    draw_exact,
    fairness_metrics,
    group_view,
    legacy,
    leximin,
    maximin,
    nash,
    transparent_lottery,
    verify_selection,
)
from civicsortition.examples import rustavi_example, rustavi_synthetic_census
from civicsortition.lottery import TransparentLottery

from .test_engine import _households_instance

probabilities = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=30)


# ---------------------------------------------------------------------------- metrics
@settings(max_examples=200)
@given(p=probabilities)
def test_gini_matches_the_pairwise_definition(p: list[float]) -> None:
    m = fairness_metrics(p)
    x = np.array(p)
    if x.sum() > 0:
        x = x / x.max()  # scale-free; keeps the oracle itself exact on subnormal inputs
        pairwise = sum(abs(a - b) for a, b in itertools.product(x, x)) / (2 * len(x) ** 2
                                                                         * x.mean())
        assert m.gini == pytest.approx(pairwise, abs=1e-9)
    assert 0 <= m.gini <= 1 + 1e-12
    assert m.minimum <= m.geometric_mean + 1e-12 <= m.mean + 2e-12
    assert list(m.profile) == sorted(p)


def test_gini_of_subnormal_probabilities() -> None:
    # Hypothesis found [0, 5e-324, 5e-324]: the same shape as [0, 1, 1], whose Gini is 1/3.
    assert fairness_metrics([0.0, 5e-324, 5e-324]).gini == pytest.approx(1 / 3, abs=1e-12)


def test_metrics_by_hand() -> None:
    m = fairness_metrics([0.1, 0.1, 0.2, 0.6])
    assert (m.minimum, m.maximum, m.mean) == (0.1, 0.6, 0.25)
    assert m.max_min_ratio == pytest.approx(6.0)
    assert m.geometric_mean == pytest.approx((0.1 * 0.1 * 0.2 * 0.6) ** 0.25)
    assert m.share_below(0.15) == 0.5
    assert fairness_metrics([0.0, 0.5]).max_min_ratio == float("inf")
    assert fairness_metrics([0.3, 0.3]).gini == pytest.approx(0.0)


def test_compare_and_group_view() -> None:
    pool, quotas = _households_instance()
    dists = {"leximin": leximin(pool, quotas), "maximin": maximin(pool, quotas),
             "nash": nash(pool, quotas), "legacy": legacy(pool, quotas, draws=500, rng=1)}
    rows = compare(dists)
    assert [r["name"] for r in rows] == list(dists)
    lex = rows[0]
    assert lex["share_below_best_minimum"] == 0.0        # nobody is below LEXIMIN's minimum
    assert all(r["minimum"] <= lex["minimum"] + 1e-7 for r in rows)
    view = group_view(dists["leximin"])
    for g in view:
        assert g["quota_min"] - 1e-7 <= g["expected_seats"] <= g["quota_max"] + 1e-7
    assert sum(g["expected_seats"] for g in view if g["category"] == "sex") == \
        pytest.approx(quotas.panel_size)


def test_plot_probabilities() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from civicsortition import plot_probabilities

    pool, quotas = _households_instance()
    ax = plot_probabilities({"leximin": leximin(pool, quotas), "nash": nash(pool, quotas)})
    assert len(ax.get_lines()) == 3                     # two lotteries and the k/n line
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["leximin", "nash"]


# ----------------------------------------------------------------------------- report
def _pipeline():  # type: ignore[no-untyped-def]
    pool, quotas = rustavi_example()
    dist = leximin(pool, quotas)
    lot = transparent_lottery(dist, 1000)
    rec = draw(lot, "2026-11-24 lotto 3 14 15 92 65 35")
    verdict = verify_selection(pool, quotas, distribution=dist, lottery=lot, record=rec)
    report = audit_report(pool, quotas, dist, lottery=lot, record=rec,
                          census=rustavi_synthetic_census(), verdict=verdict)
    return pool, quotas, dist, lot, rec, verdict, report


def test_report_contains_no_person_ids_or_household_keys() -> None:
    pool, quotas, dist, lot, rec, verdict, report = _pipeline()
    assert verdict.ok, verdict.failures
    texts = [report.to_json(), report.to_markdown()]
    secrets = set(pool.ids) | {h for h in pool.households or () if h is not None}
    # Ids like "R-0001" are distinctive; check every one of them, as a whole token.
    for text in texts:
        tokens = set(text.replace("|", " ").replace(",", " ").replace('"', " ").split())
        assert not (tokens & secrets)
    data = json.loads(report.to_json())
    assert data["inputs"]["pool_size"] == pool.n
    assert data["lottery"]["digest"] == lot.digest() == data["draw"]["digest"]
    assert data["draw"]["index"] == rec.index
    assert sum(data["draw"]["composition"]["sex"].values()) == quotas.panel_size
    assert data["run"]["algorithm"] == "leximin"
    assert data["run"]["converged"]
    assert data["fairness"]["minimum"] == pytest.approx(dist.minimum)


def test_small_cells_are_flagged_and_suppressed() -> None:
    pool, quotas = _households_instance()           # 8 people: every value is a small cell
    report = audit_report(pool, quotas, leximin(pool, quotas), small_cell=5)
    groups = report.to_dict()["groups"]
    assert all(g["small_cell"] and g["pool_count"] is None for g in groups)
    markdown = report.to_markdown()
    assert "| suppressed | suppressed | suppressed |" in markdown
    # Exact quotas (2 of 4 women, 2 of 4 men) and a uniform lottery pin the expected seats and
    # every probability: count = seats / probability, so no hiding can protect sex here; and two
    # small age groups in a pool of 8 can only be 4 and 4.
    assert report.to_dict()["suppression"]["unprotected"] == ["sex", "age"]
    assert "Do not publish this report" in markdown
    big = audit_report(pool, quotas, leximin(pool, quotas), small_cell=1).to_dict()["groups"]
    assert not any(g["small_cell"] for g in big)


# --------------------------------------------------------------------------- verifier
def test_verifier_passes_honest_results_for_every_algorithm() -> None:
    pool, quotas = _households_instance()
    for dist in (leximin(pool, quotas), maximin(pool, quotas), nash(pool, quotas)):
        lot = transparent_lottery(dist, 100)
        verdict = verify_selection(pool, quotas, distribution=dist, lottery=lot,
                                   record=draw(lot, "x"))
        assert verdict.ok, verdict.failures
    dist = maximin(pool, quotas)
    assert verify_selection(pool, quotas, distribution=dist,
                            record=draw_exact(dist, "seed")).ok


def test_verifier_catches_tampering() -> None:
    pool, quotas = _households_instance()
    dist = leximin(pool, quotas)
    lot = transparent_lottery(dist, 100)
    rec = draw(lot, "x")
    # A ticket that breaks a quota (three men where exactly two are required).
    men = [pid for pid, r in zip(pool.ids, pool.records(), strict=True) if r["sex"] == "m"]
    bad_ticket = tuple(sorted(men[:3] + [pool.ids[0]]))
    forged = TransparentLottery((bad_ticket, *lot.tickets[1:]))
    v = verify_selection(pool, quotas, lottery=forged)
    assert not v.ok
    assert v.failures[0].name == "lottery.tickets"
    # Claimed marginals that do not match the panels.
    claimed = dist.marginals.copy()
    claimed[[0, 2]] += [0.05, -0.05]
    v = verify_selection(pool, quotas, distribution=dist, claimed_marginals=claimed)
    assert [c.name for c in v.failures] == ["distribution.marginals"]
    # Probabilities that do not sum to one.
    v = verify_selection(pool, quotas, distribution=attrs.evolve(
        dist, probabilities=dist.probabilities * 0.9))
    assert "distribution.probabilities" in [c.name for c in v.failures]
    # A draw record from another lottery.
    other = transparent_lottery(maximin(pool, quotas), 99)
    assert not verify_selection(pool, quotas, lottery=other, record=rec).ok
    # A "leximin" whose minimum is below what the quotas allow (probability 0 for someone,
    # the failure mode of the peer's silent bug).
    unfair = attrs.evolve(dist, profiles=dist.profiles[:1], probabilities=np.array([1.0]))
    v = verify_selection(pool, quotas, distribution=unfair)
    assert not v.ok
    assert any(c.name == "distribution.minimum" for c in v.failures)


def test_verifier_bound_matches_the_published_minimum() -> None:
    # Two categories: the relaxation is exact, so the bound equals the LEXIMIN minimum.
    pool = Pool.from_records([{"sex": s, "age": a} for s, a in
                              zip("ffffffmmmm", "yyyooyyooo", strict=True)],
                             categories=["sex", "age"])
    quotas = Quotas(4, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 2, 2),
                        ValueQuota("age", "y", 1, 3), ValueQuota("age", "o", 1, 3)])
    dist = leximin(pool, quotas)
    check = next(c for c in verify_selection(pool, quotas, distribution=dist).checks
                 if c.name == "distribution.minimum")
    assert check.ok
    assert f"{dist.minimum:.6f}" in check.detail


def test_docs_show_the_example_report_without_person_ids() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "transparency.md").read_text(
        encoding="utf-8")
    pool, _ = rustavi_example()
    assert "# Selection audit report" in text
    tokens = set(text.replace("|", " ").replace(",", " ").replace("`", " ").split())
    assert not tokens & (set(pool.ids) | {h for h in pool.households or () if h})


def _doc_tool():  # type: ignore[no-untyped-def]
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "make_transparency_doc.py"
    spec = importlib.util.spec_from_file_location("make_transparency_doc", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_example_report_matches_a_fresh_run_where_inputs_decide() -> None:
    # The worked example is regenerated by tools/make_transparency_doc.py; its input-determined
    # sections (hashes, quotas, LEXIMIN marginals and what follows from them) must be what the
    # code computes today on any machine. Digest, support and ticket are marked example-only.
    tool = _doc_tool()
    doc = tool.sections(tool.generated_block(tool.DOC.read_text(encoding="utf-8"), "report"))
    fresh = tool.sections(tool.report_markdown())
    for name in tool.STABLE_SECTIONS:
        assert doc[name] == fresh[name], f"docs/transparency.md section {name!r} is stale"
    # The block is an example run: the page must say so next to the digest.
    assert "an example run" in tool.DOC.read_text(encoding="utf-8")
