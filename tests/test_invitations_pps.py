"""Clustered stage 1: systematic PPS over clusters, then addresses in each chosen cluster.

The oracle below re-implements the documented procedure independently (docs/pipeline.md,
"Clustered designs"): it determines the certainty clusters, then *enumerates every random
start* of the systematic step and every simple random sample of addresses within the chosen
clusters, and computes exact first- and second-order inclusion probabilities with Fractions.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import civicsortition as cs
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main
from civicsortition.invitations import (
    AddressFrame,
    Clustered,
    Oversample,
    SimpleRandom,
    Stratified,
    invite,
    systematic_pps,
)

Set = frozenset[int]


# ------------------------------------------------------------------------------ the oracle
def oracle_clusters(sizes: list[Fraction], m: int) -> dict[Set, Fraction]:
    """Distribution of the set of drawn clusters, by enumerating every integer start."""
    scale = math.lcm(*(s.denominator for s in sizes))
    s = [int(x * scale) for x in sizes]
    sure: set[int] = set()
    changed = True
    while changed and len(sure) < m:
        changed = False
        left = m - len(sure)
        total = sum(s[i] for i in range(len(s)) if i not in sure)
        for i in range(len(s)):
            if i not in sure and left * s[i] >= total:
                sure.add(i)
                changed = True
    rest = [i for i in range(len(s)) if i not in sure]
    draws = m - len(sure)
    if draws == 0:
        return {frozenset(sure): Fraction(1)}
    span = sum(s[i] for i in rest)
    out: Counter[Set] = Counter()
    for v in range(span):  # every equally likely start
        chosen = set(sure)
        for j in range(draws):
            point = v + j * span
            low = 0
            for i in rest:  # cluster i holds [draws * C_{i-1}, draws * C_i)
                high = low + draws * s[i]
                if low <= point < high:
                    chosen.add(i)
                low = high
        assert len(chosen) == m
        out[frozenset(chosen)] += 1
    return {k: Fraction(c, span) for k, c in out.items()}


def oracle_addresses(groups: list[list[int]], dist: dict[Set, Fraction], n: int,
                     N: int) -> tuple[list[Fraction], list[list[Fraction]]]:
    """Exact pi_a and pi_ab over every cluster set and every within-cluster SRS."""
    pi = [Fraction(0)] * N
    joint = [[Fraction(0)] * N for _ in range(N)]
    for chosen, p in dist.items():
        per = [list(itertools.combinations(groups[c], n)) for c in sorted(chosen)]
        w = p / math.prod(len(x) for x in per)
        for pick in itertools.product(*per):
            invited = [a for part in pick for a in part]
            for a in invited:
                pi[a] += w
                for b in invited:
                    joint[a][b] += w
    return pi, joint


def clustered_frame(counts: list[int]) -> tuple[AddressFrame, list[list[int]]]:
    ids: list[str] = []
    col: list[str] = []
    groups: list[list[int]] = []
    for c, k in enumerate(counts):
        groups.append(list(range(len(ids), len(ids) + k)))
        ids += [f"c{c}-{i}" for i in range(k)]
        col += [f"c{c}"] * k
    return AddressFrame(ids, {"city": col}), groups


CASES = [  # address counts, sizes (None: the counts), clusters, per cluster
    ([3, 2, 4, 1, 2], None, 2, 1),
    ([3, 3, 4, 2, 3], None, 3, 2),
    ([4, 2, 3, 2], [60, 20, 10, 10], 2, 2),          # a certainty cluster
    ([3, 3, 2, 2], [50, 30, 10, 10], 3, 1),          # certainty found in the second pass
    ([2, 3, 2, 3, 2], ["1.5", "2/3", "1", "0.25", "3"], 2, 2),
    ([2, 2, 2], None, 3, 1),                           # every cluster drawn
]


@pytest.mark.parametrize(("counts", "sizes", "m", "n"), CASES)
def test_probabilities_match_enumeration(counts: list[int], sizes: list[object] | None,
                                         m: int, n: int) -> None:
    fr, groups = clustered_frame(counts)
    names = [f"c{c}" for c in range(len(counts))]
    given_sizes = None if sizes is None else dict(zip(names, sizes, strict=True))
    inv = invite(fr, Clustered(m, n, by="city", sizes=given_sizes), "enumeration seed")
    exact_sizes = [Fraction(k) for k in counts] if sizes is None else \
        [Fraction(str(x)) for x in sizes]
    dist = oracle_clusters(exact_sizes, m)
    sample = inv.clusters
    assert sample is not None
    # stage A, exactly
    for c in range(len(counts)):
        assert sample.inclusion[c] == sum(p for k, p in dist.items() if c in k)
    exact_joint = sample.joint()
    for c, d in itertools.product(range(len(counts)), repeat=2):
        assert exact_joint[c][d] == sum(p for k, p in dist.items() if c in k and d in k)
    by_set: Counter[Set] = Counter()
    for p, chosen in sample.samples():
        by_set[frozenset(names.index(x) for x in chosen)] += p  # type: ignore[assignment]
    assert dict(by_set) == dist
    assert np.allclose(sample.joint_matrix(), np.array(exact_joint, dtype=float), atol=1e-15)
    # addresses: first and second order
    pi, joint = oracle_addresses(groups, dist, n, fr.n)
    assert np.allclose(inv.inclusion, [float(x) for x in pi], atol=1e-14, rtol=0)
    assert inv.joint is not None
    assert np.allclose(inv.joint.matrix(), np.array(joint, dtype=float), atol=1e-14, rtol=0)
    a, b = fr.ids[0], fr.ids[-1]
    assert inv.joint_probability(a, b) == pytest.approx(float(joint[0][fr.n - 1]), abs=1e-14)
    assert inv.joint_probability(a, a) == inv.probability(a)
    assert math.isclose(inv.inclusion.sum(), m * n)


@pytest.mark.parametrize(("counts", "sizes", "m", "n", "r"), [
    ([3, 3, 4, 2, 3], None, 2, 1, 2),
    ([4, 3, 3, 3], [60, 20, 10, 10], 2, 1, 4),
])
def test_reserves_match_enumeration(counts: list[int], sizes: list[int] | None, m: int, n: int,
                                    r: int) -> None:
    fr, groups = clustered_frame(counts)
    names = [f"c{c}" for c in range(len(counts))]
    given_sizes = None if sizes is None else dict(zip(names, sizes, strict=True))
    inv = invite(fr, Clustered(m, n, by="city", sizes=given_sizes), "s", reserves=r)
    dist = oracle_clusters([Fraction(x) for x in (sizes or counts)], m)
    # main wave plus reserves is a simple random sample of n + r/m in each chosen cluster
    pi, _ = oracle_addresses(groups, dist, n + r // m, fr.n)
    assert np.allclose(inv.inclusion_with_reserves, [float(x) for x in pi], atol=1e-14)
    assert len(inv.reserves) == r
    assert not set(inv.reserves) & inv.invited_set
    assert math.isclose(inv.inclusion_with_reserves.sum(), m * n + r)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=7), st.data())
def test_systematic_pps_is_exact_for_any_sizes(sizes: list[int], data: st.DataObject) -> None:
    m = data.draw(st.integers(1, len(sizes)))
    seed = data.draw(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=6))
    sample = systematic_pps([f"k{i}" for i in range(len(sizes))], sizes, m, seed)
    dist = oracle_clusters([Fraction(s) for s in sizes], m)
    assert list(sample.inclusion) == [sum(p for k, p in dist.items() if c in k)
                                      for c in range(len(sizes))]
    assert sum(sample.inclusion) == m
    joint = sample.joint()
    for c in range(len(sizes)):  # a fixed-size design: sum_d pi_cd = m pi_c
        assert sum(joint[c]) == m * sample.inclusion[c]
        for d in range(len(sizes)):
            assert joint[c][d] == joint[d][c] <= min(sample.inclusion[c], sample.inclusion[d])
    assert len(sample.chosen) == m
    assert frozenset(int(c[1:]) for c in sample.chosen) in dist


def test_certainty_clusters_are_always_drawn() -> None:
    sample = systematic_pps(["a", "b", "c", "d"], [50, 30, 10, 10], 3, "x")
    assert sample.certainty == ("a", "b")  # b only after a is taken: 2 * 30 >= 50
    assert [str(p) for p in sample.inclusion] == ["1", "1", "1/2", "1/2"]
    fr, _ = clustered_frame([5, 4, 3, 3])
    design = Clustered(3, 2, by="city", sizes={"c0": 50, "c1": 30, "c2": 10, "c3": 10})
    for seed in ("one", "two", "three", "four"):
        inv = invite(fr, design, seed)
        assert {"c0", "c1"} <= set(inv.letters_by_stratum)
        assert inv.probability("c0-0") == pytest.approx(2 / 5)  # n / N_c
        assert inv.probability("c2-0") == pytest.approx(1 / 2 * 2 / 3)
    everything = systematic_pps(["a", "b"], [1, 99], 2, "x")
    assert everything.start is None
    assert everything.chosen == ("a", "b")


def test_some_pairs_of_clusters_are_never_drawn_together() -> None:
    sample = systematic_pps([f"k{i}" for i in range(6)], [1] * 6, 2, "x")
    joint = sample.joint()
    together = {(c, d) for c in range(6) for d in range(c + 1, 6) if joint[c][d]}
    assert together == {(0, 3), (1, 4), (2, 5)}
    assert all(joint[c][d] == Fraction(1, 3) for c, d in together)


def test_equal_addresses_per_cluster_is_self_weighting() -> None:
    fr, _ = clustered_frame([6, 9, 3, 12, 6, 9])
    inv = invite(fr, Clustered(3, 2, by="city"), "self-weighting")
    assert np.allclose(inv.inclusion, 3 * 2 / fr.n)
    assert inv.clusters is not None
    assert inv.clusters.certainty == ()


def test_the_draw_is_the_documented_procedure() -> None:
    fr, groups = clustered_frame([3, 5, 4, 2, 6])
    seed = "  Lotto 4 8\t15 "
    inv = invite(fr, Clustered(2, 2, by="city"), seed)
    assert invite(fr, Clustered(2, 2, by="city"), "Lotto 4 8 15").invited == inv.invited
    assert invite(fr, Clustered(2, 2, by="city"), "Lotto 4 8 16").as_dict() != inv.as_dict()

    def sha(text: str) -> int:
        return int(hashlib.sha256(text.encode()).hexdigest(), 16)

    span, draws = 20, 2  # sizes are the counts (coprime already), no certainty cluster
    j = 0
    while (v := sha(f"civicsortition-pps/1\nstart\nLotto 4 8 15\n{j}")) >= 2**256 - 2**256 % span:
        j += 1
    start = v % span
    bounds = list(itertools.accumulate(draws * k for k in (3, 5, 4, 2, 6)))
    chosen = sorted({next(i for i, b in enumerate(bounds) if start + k * span < b)
                     for k in range(draws)})
    assert inv.clusters is not None
    assert inv.clusters.start == start
    expected = []
    for c in chosen:
        ids = [fr.ids[i] for i in groups[c]]
        phase = f"civicsortition-invite/1\ncluster:c{c}\nLotto 4 8 15\n"
        expected += sorted(ids, key=lambda a: sha(phase + a))[:2]
    assert inv.invited == tuple(expected)
    record = inv.as_dict()["clusters"]
    assert (record["procedure"], record["start"], record["span"]) == ("civicsortition-pps/1",
                                                                      start, span)


def _chi2_ok(observed: Counter[str], expected: dict[str, float], runs: int) -> None:
    keys = list(expected)
    obs = np.array([observed[k] for k in keys], dtype=float)
    exp = np.array([expected[k] * runs for k in keys])
    assert observed.keys() <= set(keys)
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    assert stats.chi2.sf(chi2, max(len(keys) - 1, 1)) > 1e-4


def test_frequencies_over_many_seeds() -> None:
    fr, _ = clustered_frame([4, 6, 3, 5, 2])
    design = Clustered(2, 2, by="city", sizes={"c0": 5, "c1": 2, "c2": 7, "c3": 3, "c4": 4})
    runs = 3000
    per_address: Counter[str] = Counter()
    per_set: Counter[str] = Counter()
    for r in range(runs):
        inv = invite(fr, design, f"simulation {r}")
        per_address.update(inv.invited)
        per_set[",".join(inv.letters_by_stratum)] += 1
    ref = invite(fr, design, "reference")
    assert ref.clusters is not None
    expected_sets: Counter[str] = Counter()
    for p, chosen in ref.clusters.samples():
        expected_sets[",".join(chosen)] += float(p)  # type: ignore[assignment]
    _chi2_ok(per_set, dict(expected_sets), runs)
    pi = np.asarray(ref.inclusion)
    freq = np.array([per_address[a] for a in fr.ids], dtype=float)
    z = np.abs(freq / runs - pi) / np.sqrt(pi * (1 - pi) / runs)
    assert z.max() < 4.5


@pytest.mark.parametrize(("design", "code", "column", "value"), [
    (Clustered(2, 1, by="region"), "unknown-column", "region", None),
    (Clustered(6, 1, by="city"), "too-many-clusters", "clusters", "6"),
    (Clustered(0, 1, by="city"), "bad-cluster-count", "clusters", "0"),
    (Clustered(2, 0, by="city"), "bad-per-cluster", "per_cluster", "0"),
    (Clustered(2, 3, by="city"), "cluster-too-small", "city", "c3"),
    (Clustered(2, 1, by="city", sizes={"c0": 1, "c1": 0, "c2": 1, "c3": 1, "c4": 1}),
     "bad-cluster-size", "size", "0"),
    (Clustered(2, 1, by="city", sizes={"c0": 1, "c1": -2, "c2": 1, "c3": 1, "c4": 1}),
     "bad-cluster-size", "size", "-2"),
    (Clustered(2, 1, by="city", sizes={"c0": 1, "c1": "lots", "c2": 1, "c3": 1, "c4": 1}),
     "bad-cluster-size", "size", "lots"),
    (Clustered(2, 1, by="city", sizes={"c0": 1, "c1": float("nan"), "c2": 1, "c3": 1,
                                       "c4": 1}), "bad-cluster-size", "size", "nan"),
    (Clustered(2, 1, by="city", sizes={"c0": 1, "c1": 1, "c2": 1, "c3": 1}),
     "missing-size", "city", "c4"),
    (Clustered(2, 1, by="city", sizes={"c0": 1, "c1": 1, "c2": 1, "c3": 1, "c4": 1, "c9": 1}),
     "unknown-cluster", "city", "c9"),
])
def test_design_errors_are_structured(design: Clustered, code: str, column: str,
                                      value: str | None) -> None:
    fr, _ = clustered_frame([3, 3, 4, 2, 3])
    with pytest.raises(cs.InputError) as e:
        invite(fr, design, "seed")
    problem = next(p for p in e.value.problems if p.code == code)
    assert (problem.column, problem.value) == (column, value)


def test_more_errors_name_what_is_wrong() -> None:
    fr, _ = clustered_frame([3, 3, 4])
    with pytest.raises(cs.InputError) as e:
        invite(fr, Clustered(2, 1, by="city"), "seed", reserves=3)
    assert e.value.codes == ("bad-reserve-count",)
    with pytest.raises(cs.InputError) as e:  # reserves count against the cluster's addresses
        invite(fr, Clustered(2, 2, by="city"), "seed", reserves=4)
    assert e.value.codes == ("cluster-too-small",) * 2
    holes = AddressFrame(["a", "b", "c"], {"city": ["x", "", "y"]})
    with pytest.raises(cs.InputError) as e:
        invite(holes, Clustered(1, 1, by="city"), "seed")
    assert (e.value.problems[0].code, e.value.problems[0].row) == ("missing-value", 1)
    with pytest.raises(cs.InputError) as e:
        systematic_pps(["a", "a"], [1, 2], 1, "seed")
    assert e.value.codes == ("duplicate-cluster",)
    with pytest.raises(cs.InputError, match="bad-span"):
        cs.seeds.pps_start("seed", 0)


def test_other_designs_record_joint_probabilities() -> None:
    fr = AddressFrame([f"A{i}" for i in range(12)],
                      {"d": ["x"] * 5 + ["y"] * 7, "f": ["1"] * 6 + ["0"] * 6})
    srs = invite(fr, SimpleRandom(4), "s")
    assert srs.joint_probability("A0", "A7") == pytest.approx(4 * 3 / (12 * 11))
    strat = invite(fr, Stratified(5, by="d"), "s")
    n_x, n_y = strat.letters_by_stratum["x"], strat.letters_by_stratum["y"]
    assert strat.joint_probability("A0", "A1") == pytest.approx(n_x * (n_x - 1) / 20)
    assert strat.joint_probability("A0", "A9") == pytest.approx(n_x / 5 * n_y / 7)
    over = invite(fr, Oversample(4, flag="f", share=0.5), "s")
    with pytest.raises(cs.InputError, match="no-joint-probabilities"):
        over.joint_probability("A0", "A1")
    # the SRS joint probabilities by enumeration of every 4-subset
    pairs = Counter(p for s in itertools.combinations(range(12), 4)
                    for p in itertools.combinations(s, 2))
    assert srs.joint is not None
    assert srs.joint.between(0, 7) == pytest.approx(pairs[(0, 7)] / math.comb(12, 4))


def test_registrations_accept_the_clustered_invitations() -> None:
    import datetime as dt

    fr, _ = clustered_frame([4, 5, 3])
    inv = invite(fr, Clustered(2, 2, by="city"), "registrations", reserves=2)
    strata = cs.Strata([cs.Category("age", ["18-39", "40+"])])
    records = [{"id": f"r{i}", "address": a, "birth_date": "1980-01-01", "eligible": "yes"}
               for i, a in enumerate((*inv.invited, *inv.reserves))]
    outsider = next(a for a in fr.ids if a not in inv.invited_set and a not in inv.reserves)
    records.append({"id": "rx", "address": outsider, "birth_date": "1980-01-01",
                    "eligible": "yes"})
    regs = cs.validate_registrations(records, strata, reference_date=dt.date(2027, 3, 1),
                                     invited=inv)
    assert regs.pool.n == 6
    assert regs.counts()["not-invited"] == 1
    # the weights 1/pi of the registered addresses, and their joint probabilities
    rows = [fr.ids.index(a) for a in regs.pool.households or () if a is not None]
    assert inv.joint is not None
    matrix = inv.joint.matrix(rows[:4])
    assert np.allclose(np.diag(matrix), inv.inclusion[rows[:4]])


def test_read_cluster_sizes(tmp_path: Path) -> None:
    path = tmp_path / "sizes.csv"
    path.write_text("district,population\nd1,1200\nd2,0\nd1,7\nd3,x\n", encoding="utf-8")
    with pytest.raises(cs.InputError) as e:
        cs.read_cluster_sizes(path, id_column="district")
    found = [(p.code, p.row, p.column, p.value) for p in e.value.problems]
    assert found == [("bad-cluster-size", 3, "population", "0"),
                     ("duplicate-cluster", 4, "district", "d1"),
                     ("bad-cluster-size", 5, "population", "x")]
    path.write_text("cluster,size\nb,2.5\na,1/3\n", encoding="utf-8")
    assert cs.read_cluster_sizes(path) == {"b": Fraction(5, 2), "a": Fraction(1, 3)}


# ------------------------------------------------------------------------------ command line
def test_invite_pps_on_the_command_line(tmp_path: Path) -> None:
    assert main(["example", "--out", str(tmp_path)]) == EXIT_OK
    frame = str(tmp_path / "frame.csv")
    out, record = tmp_path / "inv.csv", tmp_path / "inv.json"
    args = ["invite", "--frame", frame, "--design", "pps", "--clusters", "2", "--per-cluster",
            "30", "--reserves", "4", "--seed", "pps seed", "--out", str(out),
            "--record", str(record)]
    assert main(args) == EXIT_OK
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    status = Counter(r["status"] for r in rows)
    assert status["invited"] == 60
    assert status["reserve"] == 4
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["clusters"]["procedure"] == "civicsortition-pps/1"
    assert len(data["clusters"]["chosen"]) == 2
    api = invite(cs.read_address_frame(frame), Clustered(2, 30), "pps seed", reserves=4)
    assert {r["address"] for r in rows if r["status"] == "invited"} == api.invited_set
    probs = {r["address"]: float(r["inclusion_probability"]) for r in rows}
    assert probs == pytest.approx(dict(zip(api.frame_ids, api.inclusion.tolist(), strict=True)),
                                  rel=1e-11)
    before = out.read_bytes()
    assert main(args) == EXIT_BAD_INPUT  # an existing output is never replaced ...
    assert out.read_bytes() == before
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("district,households\ndistrict-4,900\ndistrict-3,1100\ndistrict-2,1500\n"
                     "district-1,1400\n", encoding="utf-8")
    assert main(["invite", "--frame", frame, "--design", "pps", "--clusters", "2",
                 "--letters", "61", "--cluster-sizes", str(sizes), "--seed", "pps seed",
                 "--out", str(out), "--force"]) == EXIT_BAD_INPUT  # no size column
    assert main(["invite", "--frame", frame, "--design", "pps", "--clusters", "2",
                 "--letters", "61", "--seed", "pps seed", "--out", str(out),
                 "--force"]) == EXIT_OK  # ... unless --force: 61 letters -> 2 x 31
    with out.open(encoding="utf-8") as f:
        assert sum(r["status"] == "invited" for r in csv.DictReader(f)) == 62
    sizes.write_text("district,size\ndistrict-4,900\ndistrict-3,1100\ndistrict-2,1500\n"
                     "district-1,1400\n", encoding="utf-8")
    assert main(["invite", "--frame", frame, "--design", "pps", "--clusters", "2",
                 "--per-cluster", "10", "--cluster-sizes", str(sizes), "--seed", "pps seed",
                 "--out", str(out), "--force", "--record", str(record)]) == EXIT_OK
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["clusters"]["order"] == ["district-4", "district-3", "district-2", "district-1"]


@pytest.mark.parametrize(("extra", "code"), [
    (["--design", "pps", "--per-cluster", "5"], "missing-option"),
    (["--design", "simple", "--per-cluster", "5"], "conflicting-options"),
    (["--design", "simple", "--letters", "5", "--clusters", "2"], "conflicting-options"),
    (["--design", "pps", "--clusters", "9", "--per-cluster", "5"], "too-many-clusters"),
])
def test_invite_pps_option_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  extra: list[str], code: str) -> None:
    frame = tmp_path / "frame.csv"
    frame.write_text("address,district\n" + "".join(f"a{i},d{i % 3}\n" for i in range(30)),
                     encoding="utf-8")
    assert main(["invite", "--frame", str(frame), *extra, "--seed", "s",
                 "--out", str(tmp_path / "out.csv")]) == EXIT_BAD_INPUT
    assert code in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
