"""Results as DataFrames (pandas and polars, through narwhals) and their notebook display.

Every ``_repr_html_`` must be well-formed, show the object's own figures, and never show a
person id; every ``to_frame`` must hold exactly the object's data, in the caller's library.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import civicsortition as cs
from civicsortition._html import number
from civicsortition.examples import rustavi_example, rustavi_synthetic_census
from civicsortition.research import compare_algorithms

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pytest.importorskip("narwhals")

LIBRARIES = ["pandas", "polars"]


class _Balance(HTMLParser):
    """Counts open elements; text collected for searching."""

    VOID = frozenset({"br", "hr", "img", "meta", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.broken = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.broken = True

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(markup: str) -> str:
    parser = _Balance()
    parser.feed(markup)
    parser.close()
    assert not parser.broken
    assert parser.stack == []
    return " ".join(parser.text)


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    pool, quotas = rustavi_example()
    dist = cs.leximin(pool, quotas)
    return pool, quotas, dist


def _no_ids(text: str, pool: cs.Pool) -> None:
    assert not [i for i in pool.ids if i in text]
    assert not [h for h in (pool.households or ()) if h and h in text]


# ----------------------------------------------------------------------------- display
def test_distribution_display_shows_its_figures_and_no_id(example) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, dist = example
    text = _parse(dist._repr_html_())
    _no_ids(text, pool)
    assert number(dist.minimum) in text
    assert number(dist.details.bound) in text
    for cat in pool.strata:
        for value in cat.values:
            assert value in text
    expected = sum(float(dist.marginals[pool.mask("sex", v)].sum())
                   for v in pool.strata["sex"].values)
    assert expected == pytest.approx(quotas.panel_size)


def test_quotas_display_lists_every_bound(example) -> None:  # type: ignore[no-untyped-def]
    _, quotas, _ = example
    text = _parse(quotas._repr_html_())
    assert f"panel of {quotas.panel_size}" in text
    for q in quotas:
        assert q.value in text
    built = cs.build_quotas(rustavi_synthetic_census(), 36, band=cs.Band.seats(1))
    assert "exact_quota" in _parse(built._repr_html_())  # provenance shown when known


def test_diagnosis_tally_report_and_comparison_display(example) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, dist = example
    bad = cs.Quotas(quotas.panel_size, [cs.ValueQuota("sex", "female", 30, 36),
                                        cs.ValueQuota("sex", "male", 30, 36)])
    diag = cs.diagnose(pool, bad)
    assert not diag.ok
    text = _parse(diag._repr_html_())
    assert "cannot be met" in text
    assert all(f.code in text for f in diag.errors)
    fine = cs.diagnose(pool, quotas)
    assert fine.ok
    assert ("no problem found" if not fine.findings else "necessary conditions hold") in \
        _parse(fine._repr_html_())

    members = [f"m{i}" for i in range(10)]
    votes = {"bus lanes": {m: ("yes" if i < 8 else "no") for i, m in enumerate(members)},
             "trees": {m: ("yes" if i < 7 else "no") for i, m in enumerate(members)}}
    tally = cs.tally(votes, members)
    text = _parse(tally._repr_html_())
    assert "bus lanes" in text
    assert "trees" in text
    assert text.count("not adopted") == 1
    assert not [m for m in members if f" {m} " in f" {text} "]

    report = cs.audit_report(pool, quotas, dist)
    text = _parse(report._repr_html_())
    _no_ids(text, pool)
    assert number(report.data["fairness"]["minimum"]) in text

    comp = compare_algorithms(pool, quotas, ["leximin", "maximin"])
    text = _parse(comp._repr_html_())
    assert "leximin" in text
    assert "maximin" in text


def test_display_escapes_text() -> None:
    strata = cs.Strata([cs.Category("<b>x</b>", ["a&b", "c"])])
    quotas = cs.Quotas(1, [cs.ValueQuota("<b>x</b>", "a&b", 0, 1)])
    markup = quotas._repr_html_()
    assert "<b>x</b>" not in markup
    assert "&lt;b&gt;x&lt;/b&gt;" in markup
    assert "a&amp;b" in markup
    assert strata.names == ("<b>x</b>",)


# ----------------------------------------------------------------------------- frames
@pytest.mark.parametrize("library", LIBRARIES)
def test_distribution_frame_holds_the_marginals(example, library: str) -> None:  # type: ignore[no-untyped-def]
    pool, _, dist = example
    frame = dist.to_frame(like=library)
    assert type(frame).__module__.split(".")[0] == library
    data = pd.DataFrame(frame.to_dict(as_series=False)) if library == "polars" else frame
    assert list(data.columns) == ["id", "probability", "covered", *pool.strata.names]
    assert list(data["id"]) == list(pool.ids)
    assert np.allclose(data["probability"].to_numpy(), dist.marginals)
    for j, cat in enumerate(pool.strata):
        assert list(data[cat.name]) == [cat.values[c] for c in pool.codes[:, j]]


@pytest.mark.parametrize("library", LIBRARIES)
def test_quotas_tally_and_group_frames(example, library: str) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, dist = example
    q = quotas.to_frame(like=library)
    rows = q.to_dict("records") if library == "pandas" else q.to_dicts()
    assert [(r["category"], r["value"], r["min"], r["max"]) for r in rows] == \
        [(e.category, e.value, e.min, e.max) for e in quotas]
    members = ["a", "b", "c", "d", "e"]
    tally = cs.tally({"r": dict.fromkeys(members, "yes")}, members)
    t = tally.to_frame(like=library)
    assert list(t["yes"]) == [5]
    groups = cs.to_frame(cs.group_view(dist), like=library)
    assert len(groups) == sum(len(c.values) for c in pool.strata)
    assert float(sum(groups["expected_seats"])) == pytest.approx(
        quotas.panel_size * len(pool.strata))


def test_frames_follow_the_callers_frame(example) -> None:  # type: ignore[no-untyped-def]
    _, quotas, _ = example
    assert isinstance(quotas.to_frame(like=pl.DataFrame({"x": [1]})), pl.DataFrame)
    assert isinstance(quotas.to_frame(like=pd.DataFrame({"x": [1]})), pd.DataFrame)


def test_frames_without_narwhals_say_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     example) -> None:  # type: ignore[no-untyped-def]
    _, quotas, _ = example
    monkeypatch.setitem(sys.modules, "narwhals", None)
    with pytest.raises(ImportError, match=r"civicsortition\[frames\]"):
        quotas.to_frame()


def test_ragged_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        cs.to_frame({"a": [1, 2], "b": [1]})


def test_pool_lottery_draw_and_verdict_display(example) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, dist = example
    text = _parse(pool._repr_html_())
    _no_ids(text, pool)
    assert f"Pool of {pool.n} people" in text
    assert str(int(pool.mask("sex", "female").sum())) in text

    lottery = cs.transparent_lottery(dist, 200)
    text = _parse(lottery._repr_html_())
    _no_ids(text, pool)
    assert lottery.digest() in text
    assert "200" in text

    record = cs.draw(lottery, "notebook test seed")
    text = _parse(record._repr_html_())
    _no_ids(text, pool)                  # the panel is not shown, only its size
    assert f"{record.index} of {record.m}" in text
    assert str(len(record.panel)) in text

    verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lottery,
                                  record=record)
    text = _parse(verdict._repr_html_())
    _no_ids(text, pool)
    assert ("passed" if verdict.ok else "FAILED") in text
    assert all(c.name in text for c in verdict.checks)
