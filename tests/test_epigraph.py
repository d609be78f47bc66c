"""MINIMAX and GOLDILOCKS against the brute-force oracle (every panel enumerated)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from civicsortition import Pool, Quotas, ValueQuota
from civicsortition.algorithms import count_panels, fair_maxentropy, find_distribution, maxentropy
from civicsortition.algorithms._epigraph import goldilocks_objective
from civicsortition.algorithms.diversimax import diversimax
from civicsortition.algorithms.goldilocks import goldilocks
from civicsortition.algorithms.lp import lp
from civicsortition.algorithms.minimax import minimax
from civicsortition.distribution import check_distribution
from civicsortition.errors import InputError
from civicsortition.examples import rustavi_example
from civicsortition.program import PanelProgram

from . import oracle
from .test_engine import SLOW_OK, _feasible, tiny_instances


def _covered(dist):  # type: ignore[no-untyped-def]
    mask = np.ones(len(dist.marginals), dtype=bool)
    mask[list(dist.uncovered)] = False
    return dist.marginals[mask]


@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_minimax_matches_brute_force(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = minimax(pool, quotas)
    assert check_distribution(dist) == []
    truth = oracle.minimax_value(pool, quotas)
    e = dist.details.extra
    assert e.maximum == pytest.approx(float(_covered(dist).max()), abs=1e-9)
    assert e.maximum == pytest.approx(truth, abs=1e-6)
    assert e.lower_bound <= truth + 1e-7          # the certificate is a true lower bound
    assert dist.details.converged
    assert dist.details.gap == pytest.approx(e.value - e.lower_bound, abs=1e-12)


@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_minimax_with_the_maximin_floor_matches_brute_force(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = minimax(pool, quotas, floor="maximin")
    assert check_distribution(dist) == []
    best_min = oracle.maximin_value(pool, quotas)
    covered = _covered(dist)
    assert covered.min() >= best_min - 2e-6       # nobody below the best achievable minimum
    truth = oracle.minimax_value(pool, quotas, floor=dist.details.extra.floor)
    assert covered.max() == pytest.approx(truth, abs=1e-6)
    assert dist.details.extra.lower_bound <= truth + 1e-7


@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_goldilocks_matches_brute_force(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = goldilocks(pool, quotas, gamma=1.0)
    assert check_distribution(dist) == []
    truth = oracle.goldilocks_value(pool, quotas, gamma=1.0)
    value = goldilocks_objective(_covered(dist), quotas.panel_size, 1.0)
    assert value == pytest.approx(dist.details.extra.value, rel=1e-9)
    assert value <= truth + 2e-5                  # optimal within the certified gap
    assert value >= truth - 1e-6                  # (the oracle is optimal too)
    assert dist.details.extra.lower_bound <= truth + 1e-6
    assert dist.details.converged


def test_gamma_trades_the_maximum_for_the_minimum() -> None:
    pool, quotas = rustavi_example()
    low, high = goldilocks(pool, quotas, gamma=0.25), goldilocks(pool, quotas, gamma=4.0)
    assert high.details.extra.minimum > low.details.extra.minimum
    assert high.details.extra.maximum > low.details.extra.maximum
    for d in (low, high):
        assert check_distribution(d) == []
        assert d.details.converged
        assert d.details.gap <= 1e-5


def test_goldilocks_keeps_both_ends_near_the_best_on_the_example() -> None:
    # The paper's two ratios (Baharav & Flanigan 2024): its minimum against the best
    # achievable minimum, its maximum against the best achievable maximum.
    pool, quotas = rustavi_example()
    gold = goldilocks(pool, quotas)
    best_min = find_distribution(pool, quotas, algorithm="maximin").details.bound
    best_max = minimax(pool, quotas).details.extra.lower_bound
    assert gold.details.extra.minimum / best_min >= 0.7
    assert gold.details.extra.maximum / best_max <= 1.38


def test_registry_and_bad_parameters() -> None:
    pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    d = find_distribution(pool, quotas, algorithm="goldilocks", gamma=2.0)
    assert d.details.algorithm == "goldilocks"
    assert d.details.options["gamma"] == 2.0
    d = find_distribution(pool, quotas, algorithm="minimax", floor=0.25)
    assert d.details.extra.floor == pytest.approx(0.25, abs=1e-8)
    for bad in (0, -1.0, float("nan"), True, "2"):
        with pytest.raises(InputError) as caught:
            goldilocks(pool, quotas, gamma=bad)  # type: ignore[arg-type]
        assert caught.value.code == "bad-gamma"
    for bad in (1.5, -0.1, "max", True):
        with pytest.raises(InputError) as caught:
            minimax(pool, quotas, floor=bad)  # type: ignore[arg-type]
        assert caught.value.code == "bad-floor"
    with pytest.raises(InputError) as caught:           # above the best achievable minimum
        minimax(pool, quotas, floor=0.3)
    assert caught.value.code == "bad-floor"


def _small() -> tuple[Pool, Quotas]:
    pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    return pool, Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])


@pytest.mark.parametrize("algorithm", ["minimax", "goldilocks"])
def test_the_verifier_recomputes_the_objective_and_catches_forgeries(
        algorithm: str, tmp_path: Path) -> None:
    import civicsortition as cs
    from civicsortition import io

    pool, quotas = rustavi_example()
    dist = find_distribution(pool, quotas, algorithm=algorithm)
    io.write_result(tmp_path / "r.json", dist)
    doc = json.loads((tmp_path / "r.json").read_text())
    verdict = cs.verify_selection(pool, quotas, result=doc)
    assert verdict.ok, [c for c in verdict.checks if not c.ok]
    bound = next(c for c in verdict.checks if c.name == "certificate.bound")
    # MINIMAX's lower bound is the LP relaxation's least maximum here (re-derived by the
    # check); GOLDILOCKS' Lagrangian bound is tighter than the check's separable one.
    assert bound.verified is (algorithm == "minimax"), bound.detail
    forged = json.loads(json.dumps(doc))
    forged["certificate"]["objective"] += 0.01      # a better headline number
    forged["certificate"]["gap"] -= 0.01
    bad = cs.verify_selection(pool, quotas, result=forged)
    assert not bad.ok
    assert "certificate.objective" in {c.name for c in bad.failures}
    if algorithm == "goldilocks":                   # the objective depends on γ: forging it
        forged = json.loads(json.dumps(doc))        # changes the objective the panels give
        forged["run"]["options"]["gamma"] = 2.0
        assert not cs.verify_selection(pool, quotas, result=forged).ok


def test_cli_select_takes_the_algorithms_parameters(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main

    assert main(["algorithms"]) == EXIT_OK
    listing = capsys.readouterr().out
    assert "goldilocks" in listing
    assert "gamma=1.0" in listing
    assert main(["example", "--out", str(tmp_path / "ex")]) == EXIT_OK
    d = tmp_path / "ex"
    base = ["--targets", str(d / "targets.csv"), "--people", str(d / "people.csv"),
            "--panel-size", "36", "--id-column", "id", "--household-column", "address"]
    out = tmp_path / "g.json"
    assert main(["select", *base, "--algorithm", "goldilocks", "--param", "gamma=2",
                 "--json", str(out)]) == EXIT_OK
    doc = json.loads(out.read_text())
    assert doc["algorithm"] == "goldilocks"
    assert doc["run"]["options"]["gamma"] == 2.0
    assert main(["verify", *base, "--result", str(out)]) == EXIT_OK
    capsys.readouterr()
    assert main(["select", *base, "--algorithm", "minimax", "--param", "floor=maximin",
                 "--json", str(tmp_path / "m.json")]) == EXIT_OK
    assert json.loads((tmp_path / "m.json").read_text())["run"]["options"]["floor"] == "maximin"
    for bad in (["--param", "gamma"], ["--param", "speed=3"], ["--param", "gamma=fast"],
                ["--param", "backend=pulp"]):
        capsys.readouterr()
        assert main(["select", *base, "--algorithm", "goldilocks", *bad]) == EXIT_BAD_INPUT
        assert "[bad-parameter]" in capsys.readouterr().err


@SLOW_OK
@given(inst=tiny_instances(households=True), p=st.sampled_from([1.5, 2.0, 3.0, 6.0]))
def test_lp_matches_brute_force(inst: tuple[Pool, Quotas], p: float) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    dist = lp(pool, quotas, p=p)
    assert check_distribution(dist) == []
    truth = oracle.lp_norm_value(pool, quotas, p)
    covered = _covered(dist)
    value = float(np.sum(covered ** p) ** (1 / p))
    assert value == pytest.approx(dist.details.extra.value, rel=1e-9)
    assert value <= truth + 2e-6
    assert dist.details.extra.lower_bound <= truth + 1e-7
    assert dist.details.converged


@pytest.mark.slow   # 36 s of the default run's ~9 minutes; ℓp itself is tested above
def test_lp_large_p_approaches_minimax() -> None:
    pool, quotas = rustavi_example()
    best_max = minimax(pool, quotas).details.extra.lower_bound
    maxima = [lp(pool, quotas, p=p).details.extra.maximum for p in (2.0, 16.0)]
    assert maxima[1] < maxima[0]
    assert maxima[1] <= best_max * 1.02
    with pytest.raises(InputError) as caught:
        lp(pool, quotas, p=1.0)
    assert caught.value.code == "bad-p"


@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_maxentropy_counts_every_panel_and_is_uniform_over_them(
        inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    panels = oracle.feasible_panels(pool, quotas)
    prog = PanelProgram.build(pool, quotas)
    count = count_panels(prog)
    assert count.panels == len(panels)                  # exact, against enumeration
    if not panels:
        return
    dist = maxentropy(pool, quotas)
    assert check_distribution(dist) == []
    assert dist.details.extra.panels == str(len(panels))
    freq = oracle.incidence(pool, panels).mean(axis=1)  # the uniform lottery's marginals
    np.testing.assert_allclose(dist.marginals, freq, atol=1e-12)
    np.testing.assert_allclose(count.expected[prog.type_of] / prog.sizes[prog.type_of], freq,
                               atol=1e-12)
    assert dist.details.objective == pytest.approx(np.log(len(panels)))


def test_maxentropy_says_how_big_the_support_is() -> None:
    from civicsortition.research.synthetic import synthetic_instance

    inst = synthetic_instance(40, 8, 3, seed=1)
    with pytest.raises(InputError) as caught:
        maxentropy(inst.pool, inst.quotas, max_profiles=1000)
    assert caught.value.code == "support-too-large"
    exact = count_panels(PanelProgram.build(inst.pool, inst.quotas)).panels
    assert str(exact) in str(caught.value)      # the exact number of panels, stated
    pool, quotas = rustavi_example()
    with pytest.raises(InputError) as caught:
        count_panels(PanelProgram.build(pool, quotas), max_states=20_000)
    assert caught.value.code == "support-too-large"


def _diversity_loss(pool: Pool, panel: tuple[int, ...], k: int) -> float:
    """The DIVERSIMAX loss of one panel, computed here from its definition (all sets)."""
    import itertools

    recs = list(pool.records())
    names = list(pool.strata.names)
    loss = 0.0
    for size in range(1, len(names) + 1):
        for cats in itertools.combinations(names, size):
            values = [sorted({r[c] for r in recs}) for c in cats]
            combos = list(itertools.product(*values))
            for combo in combos:
                have = sum(1 for i in panel if tuple(recs[i][c] for c in cats) == combo)
                loss += abs(have - k / len(combos))
    return loss


@SLOW_OK
@given(inst=tiny_instances(households=True))
def test_diversimax_finds_the_least_loss_composition(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    panels = oracle.feasible_panels(pool, quotas)
    assume(panels)
    dist = diversimax(pool, quotas)
    assert check_distribution(dist) == []
    assert len(dist.probabilities) == 1                     # one composition
    best = min(_diversity_loss(pool, p, quotas.panel_size) for p in panels)
    assert dist.details.extra.loss == pytest.approx(best, abs=1e-7)
    # people of one type keep equal chances: the members are drawn within types
    prog = PanelProgram.build(pool, quotas)
    for members in prog.members:
        assert np.ptp(dist.marginals[members]) <= 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_fair_maxentropy_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    pool = Pool.from_records([{"sex": str(rng.choice(["f", "m"])),
                               "age": str(rng.choice(["y", "o", "m"]))} for _ in range(n)],
                             categories=["sex", "age"])
    quotas = Quotas(3, [ValueQuota("sex", "f", 1, 2), ValueQuota("sex", "m", 1, 2),
                        ValueQuota("age", "y", 0, 2), ValueQuota("age", "o", 0, 2),
                        ValueQuota("age", "m", 0, 2)])
    if not oracle.feasible_panels(pool, quotas):
        pytest.skip("no feasible panel for this seed")
    dist = fair_maxentropy(pool, quotas, floor="maximin", slack=0.01)
    assert check_distribution(dist) == []
    e = dist.details.extra
    assert _covered(dist).min() >= e.floor - 1e-6                # the floor holds
    truth = oracle.fair_maxentropy_value(pool, quotas, e.floor)
    assert e.entropy == pytest.approx(truth, abs=1e-5)
    assert e.dual_bound >= truth - 1e-7                          # a true upper bound
    uniform = maxentropy(pool, quotas).details.objective
    assert e.entropy <= uniform + 1e-9                           # the floor costs entropy


def test_compare_algorithms_reports_an_algorithm_that_cannot_run() -> None:
    from civicsortition.research import compare_algorithms
    from civicsortition.research.synthetic import synthetic_instance

    inst = synthetic_instance(40, 8, 3, seed=1)
    c = compare_algorithms(inst.pool, inst.quotas, ["minimax", "maxentropy"],
                           options={"maxentropy": {"max_profiles": 10}})
    rows = {r["algorithm"]: r for r in c.rows}
    assert rows["maxentropy"]["failed"] == "support-too-large"
    assert rows["minimax"]["minimum"] >= 0
    assert "| failed |" in c.to_markdown()
    with pytest.raises(InputError):                 # any other error still propagates
        compare_algorithms(inst.pool, inst.quotas, ["goldilocks"],
                           options={"goldilocks": {"gamma": -1.0}})


def test_every_objective_goes_through_the_draw_the_verifier_and_the_report() -> None:
    import civicsortition as cs
    from civicsortition.algorithms import ALGORITHMS
    from civicsortition.research.synthetic import synthetic_instance

    inst = synthetic_instance(24, 5, 2, seed=3)
    pool, quotas = inst.pool, inst.quotas
    for alg in ALGORITHMS:
        if alg == "legacy":
            continue
        dist = find_distribution(pool, quotas, algorithm=alg)
        lottery = cs.transparent_lottery(dist, 100)
        record = cs.draw(lottery, f"seed for {alg}")
        verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lottery,
                                      record=record)
        assert verdict.ok, (alg, [(c.name, c.detail) for c in verdict.failures])
        report = cs.audit_report(pool, quotas, dist, lottery=lottery, record=record,
                                 verdict=verdict)
        for lang in ("en", "ka"):
            assert report.to_markdown(lang=lang).count("\n") > 20


def _recomputed(doc: dict, algorithm: str, pool: Pool, p: float = 2.0) -> float:  # type: ignore[type-arg]
    """The objective the verifier will recompute from the panels (the record's units)."""
    index = {pid: i for i, pid in enumerate(pool.ids)}
    pi = np.zeros(pool.n)
    for panel in doc["panels"]:
        pi[[index[m] for m in panel["members"]]] += panel["probability"]
    pi = pi[pi > 0]
    return float(np.log(pi).sum()) if algorithm == "nash" else -float((pi ** p).sum() ** (1 / p))


@pytest.mark.parametrize("algorithm", ["nash", "lp"])
def test_the_verifier_proves_the_bound_and_refutes_a_false_optimality_claim(
        algorithm: str) -> None:
    import civicsortition as cs

    pool, quotas = rustavi_example()
    doc = find_distribution(pool, quotas, algorithm=algorithm).as_dict()
    bound = next(c for c in cs.verify_selection(pool, quotas, result=doc).checks
                 if c.name == "certificate.bound")
    assert bound.ok
    assert bound.verified, bound.detail              # re-derived from the lottery itself
    # The forgery: the LEXIMIN lottery (valid, but not optimal for this objective) published
    # as optimal -- objective recomputed honestly, bound = objective, gap 0, converged.
    forged = find_distribution(pool, quotas, algorithm="leximin").as_dict()
    forged["algorithm"] = algorithm
    forged["run"] = json.loads(json.dumps(doc["run"]))
    value = _recomputed(forged, algorithm, pool)
    forged["certificate"] = {"objective": value, "bound": value, "gap": 0.0,
                             "converged": True, "message": "forged"}
    bad = cs.verify_selection(pool, quotas, result=forged)
    failed = {c.name: c.detail for c in bad.failures}
    assert "certificate.bound" in failed, [c for c in bad.checks if c.name.startswith("cert")]
    assert "is false" in failed["certificate.bound"]
    # A bound merely tighter than the check can prove (but above the lottery's value) cannot
    # be refuted: it is reported as not re-derived, not passed off as checked.
    tight = json.loads(json.dumps(doc))
    gap = (doc["certificate"]["bound"] - doc["certificate"]["objective"])
    tight["certificate"]["bound"] = doc["certificate"]["objective"] + gap / 2
    tight["certificate"]["gap"] = gap / 2
    check = next(c for c in cs.verify_selection(pool, quotas, result=tight).checks
                 if c.name == "certificate.bound")
    assert check.ok
