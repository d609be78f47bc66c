"""docs/process.md: its generated blocks match a fresh run, and the claims its prose makes hold.

The blocks are written by ``tools/make_process_doc.py``; ``--check`` (the slow test) reruns
every study, about a minute and a half on a two-core machine. The fast tests check, on small
instances, the invariants the page's prose relies on.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import pytest

from ._tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "make_process_doc.py"
DOC = ROOT / "docs" / "process.md"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    """tools/make_process_doc.py as a module."""
    return load_tool(TOOL)


@pytest.mark.slow
def test_process_page_is_up_to_date() -> None:
    done = subprocess.run([sys.executable, "-W", "error", str(TOOL), "--check"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_end_to_end_with_true_rates_is_more_equal_than_leximin(tool: ModuleType) -> None:
    # A small city, one pool: the lottery aimed at equal end-to-end chances (true q) spreads
    # them less than LEXIMIN, which follows the response rates.
    scenario = tool.Scenario("test", 20_000, 4_000, 24, 1)
    city = tool.make_city(scenario.people, "city test")
    result = tool.run_pool(city, scenario, "process doc test pool 1")
    assert not isinstance(result, str), result
    lex = result.spreads["LEXIMIN"]
    fair = result.spreads["END-TO-END, true q"]
    assert fair.gini < lex.gini
    assert fair.ratio < lex.ratio
    assert lex.uncovered == fair.uncovered == 0
    # the probability mass per type adds up to the panel size for every rule
    for rule in tool.RULES:
        assert result.mass[rule].sum() == pytest.approx(scenario.panel_size, abs=1e-6)


def test_city_is_deterministic_and_has_the_papers_mean_rate(tool: ModuleType) -> None:
    a, b = tool.make_city(4_000, "city x"), tool.make_city(4_000, "city x")
    assert a.digest == b.digest
    assert tool.make_city(4_000, "city y").digest != a.digest
    assert a.type_counts.sum() == 4_000
    assert 0.025 < float(a.q.mean()) < 0.033       # about the 2.9% the paper's figure marks


def test_pps_invariants_the_page_states(tool: ModuleType) -> None:
    country = tool.make_country()
    by_region = country.sample("region")
    assert sum(by_region.inclusion, Fraction(0)) == tool.CLUSTERS   # exactly m expected
    assert all(len(set(chosen)) == tool.CLUSTERS for _, chosen in by_region.samples())
    assert sum(p for p, _ in by_region.samples()) == 1
    ordered = tool.exact_figures(country, by_region)
    assert ordered.certainty > 0                       # the page's point about large cities
    assert ordered.chance_min < 1 < ordered.chance_max
    assert ordered.worst < 1                           # implicit strata: within a cluster
    assert ordered.off_by_one == 0
    hashed = tool.exact_figures(country, country.sample("hashed"))
    assert hashed.worst >= 1
    split = country.split()
    assert sum(split.size) == sum(country.size)
    cut = tool.exact_figures(split, split.sample("region"))
    assert cut.certainty == 0
    assert cut.chance_min == pytest.approx(1.0, abs=1e-12)
    assert cut.chance_max == pytest.approx(1.0, abs=1e-12)
    assert cut.contacted[1] <= tool.CLUSTERS


def test_simulated_frequencies_agree_with_the_exact_probabilities(tool: ModuleType) -> None:
    sim = tool.simulate(tool.make_country(), "region", 60)
    assert sim.clusters_per_draw == (tool.CLUSTERS, tool.CLUSTERS)
    assert sim.max_region_z < 5


def test_check_tolerates_one_unit_in_the_last_digit(tool: ModuleType) -> None:
    a = "| LEXIMIN | 0.505 [0.474] | 2.40 | 1,706 | 7.4% |\n"
    assert tool.same(a, a.replace("0.505", "0.506"))
    assert tool.same(a, a.replace("2.40", "2.39"))
    assert tool.same("ratio 1.00\n", "ratio 0.999\n")
    assert not tool.same(a, a.replace("0.505", "0.507"))
    assert not tool.same(a, a.replace("LEXIMIN", "NASH"))
    assert not tool.same(a, a.replace("1,706", "1,712"))


def test_blocks_are_replaced_in_place(tool: ModuleType) -> None:
    text = "intro\n<!-- process-figures:pps -->\nold\n<!-- /process-figures:pps -->\nend\n"
    new = tool.replace(text, "pps", "new\n")
    assert tool.extract(new, "pps") == "new\n"
    assert new.startswith("intro\n")
    assert new.endswith("end\n")
    with pytest.raises(KeyError):
        tool.replace(text, "end-to-end", "x\n")


def test_page_has_every_block_and_names_its_sources(tool: ModuleType) -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in tool.BLOCKS:
        assert tool.extract(text, name), name
    for source in ("github.com/pgoelz/endtoend", "arxiv.org/abs/2509.07557",
                   "github.com/sortitionfoundation/german-municipality-selection"):
        assert source in text
