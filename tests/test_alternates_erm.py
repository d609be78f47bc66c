"""Dropout models, ERM alternates and joint lotteries, against brute force and by counting."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition.alternates import compare_alternates, erm_alternates, expected_loss
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main
from civicsortition.draw import draw, verify
from civicsortition.dropout import dropout_rates, learn_dropout_rates
from civicsortition.joint import (
    JointLottery,
    drawn_alternates,
    joint_lottery,
    verify_joint_lottery,
)


def tiny() -> tuple[cs.Pool, cs.Quotas, list[str]]:
    """Ten people, two categories, a panel of four (the first four ids)."""
    recs = [("f", "y"), ("m", "o"), ("f", "o"), ("m", "y"), ("f", "y"), ("m", "y"),
            ("f", "o"), ("m", "o"), ("f", "y"), ("m", "o")]
    pool = cs.Pool.from_records([{"id": f"p{i}", "sex": s, "age": a}
                                 for i, (s, a) in enumerate(recs)],
                                categories=["sex", "age"], id_field="id")
    quotas = cs.Quotas(4, [cs.ValueQuota("sex", "f", 2, 2), cs.ValueQuota("sex", "m", 2, 2),
                           cs.ValueQuota("age", "o", 1, 3), cs.ValueQuota("age", "y", 1, 3)])
    return pool, quotas, ["p0", "p1", "p2", "p3"]


RATES = {"sex": {"f": 0.2, "m": 0.35}, "age": {"y": 0.4, "o": 0.1}}


def _loss(lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> float:
    return float((np.maximum(0, lo - x) + np.maximum(0, x - hi)).sum())


def _rows(pool: cs.Pool, quotas: cs.Quotas) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    member = np.array([np.ones(pool.n)] + [q.mask(pool).astype(float) for q in quotas])
    lo = np.array([quotas.panel_size, *(q.min for q in quotas)], dtype=float)
    hi = np.array([quotas.panel_size, *(q.max for q in quotas)], dtype=float)
    return member, lo, hi


def _brute_scenario(kept: np.ndarray, d: int, avail_cols: list[np.ndarray], lo: np.ndarray,
                    hi: np.ndarray) -> float:
    """min over subsets R of the available alternates, |R| <= d, of L(kept + R)."""
    best = math.inf
    for r in range(min(d, len(avail_cols)) + 1):
        for sub in itertools.combinations(range(len(avail_cols)), r):
            x = kept + sum((avail_cols[j] for j in sub), np.zeros_like(kept))
            best = min(best, _loss(lo, hi, x))
    return best


# ------------------------------------------------------------------------- brute force
@pytest.mark.parametrize("count", [1, 2, 3])
def test_erm_is_optimal_on_its_scenarios(count: int) -> None:
    pool, quotas, panel = tiny()
    model = dropout_rates(RATES)
    alt = erm_alternates(pool, quotas, panel, count, "brute seed 1", dropout=model,
                         scenarios=12)
    member, lo, hi = _rows(pool, quotas)
    panel_rows = [pool.ids.index(p) for p in alt.panel]
    candidates = [i for i in range(pool.n) if pool.ids[i] not in panel]
    value_of = {i: f"{pool.strata.categories[0].values[pool.codes[i, 0]]}|"
                   f"{pool.strata.categories[1].values[pool.codes[i, 1]]}" for i in candidates}

    def sampled(z: dict[int, int]) -> float:
        """Mean loss of type counts z on the program's own scenarios (slot semantics)."""
        total = 0.0
        for s in range(alt.scenarios):
            kept = member[:, [r for j, r in enumerate(panel_rows) if not alt.panel_out[s, j]]
                          ].sum(axis=1)
            d = int(alt.panel_out[s].sum())
            cols = []
            for t, want in z.items():
                slots = [q for q in range(len(alt.slot_type)) if alt.slot_type[q] == t][:want]
                cols += [alt.type_rows[:, t] for q in slots if not alt.slot_out[s, q]]
            total += _brute_scenario(kept, d, cols, lo, hi)
        return total / alt.scenarios

    best = math.inf
    for subset in itertools.combinations(candidates, count):
        z: dict[int, int] = {}
        for i in subset:
            t = alt.type_values.index(value_of[i])
            z[t] = z.get(t, 0) + 1
        best = min(best, sampled(z))
    chosen = {t: int(c) for t, c in enumerate(alt.counts) if c}
    assert alt.status == "optimal"
    assert alt.objective == pytest.approx(best, abs=1e-9)
    assert sampled(chosen) == pytest.approx(best, abs=1e-9)
    assert len(alt.order) == count
    assert not set(alt.order) & set(panel)


def test_exact_expectation_and_held_out_estimate() -> None:
    """Exact expected loss (every dropout scenario enumerated with its probability) of the
    ERM set agrees with the sampled held-out estimate, and is near the exact optimum."""
    pool, quotas, panel = tiny()
    model = dropout_rates(RATES)
    p = model.probabilities(pool)
    member, lo, hi = _rows(pool, quotas)
    panel_rows = [pool.ids.index(x) for x in panel]
    candidates = [i for i in range(pool.n) if pool.ids[i] not in panel]

    def exact(alts: tuple[int, ...]) -> float:
        people = panel_rows + list(alts)
        total = 0.0
        for out in itertools.product([False, True], repeat=len(people)):
            w = math.prod(p[i] if o else 1 - p[i] for i, o in zip(people, out, strict=True))
            kept = member[:, [i for i, o in zip(panel_rows, out, strict=False) if not o]
                          ].sum(axis=1)
            d = sum(out[:len(panel_rows)])
            cols = [member[:, i] for i, o in zip(alts, out[len(panel_rows):], strict=True)
                    if not o]
            total += w * _brute_scenario(kept, d, cols, lo, hi)
        return total

    exacts = {s: exact(s) for s in itertools.combinations(candidates, 2)}
    alt = erm_alternates(pool, quotas, panel, 2, "exact seed", dropout=model, scenarios=200)
    mine = exact(tuple(sorted(pool.ids.index(x) for x in alt.order)))
    assert mine <= min(exacts.values()) + 0.05
    est = expected_loss(pool, quotas, panel, alt.order, "exact seed", dropout=model,
                        scenarios=3000)
    assert abs(est.mean - mine) < 4 * est.std_error + 1e-9


def test_rustavi_erm_beats_baseline_on_held_out_scenarios() -> None:
    pool, quotas = cs.examples.rustavi_example()
    dist = cs.find_distribution(pool, quotas)
    panel = cs.draw(cs.transparent_lottery(dist), "erm test panel").panel
    model = dropout_rates({"age": {"18-29": 0.2, "30-39": 0.14, "40-49": 0.1, "50-64": 0.07,
                                   "65+": 0.08}})
    c = compare_alternates(pool, quotas, panel, 4, "erm test alternates", dropout=model,
                           scenarios=30, test_scenarios=300)
    assert c.erm_loss.mean <= c.baseline_loss.mean
    assert c.as_dict()["erm"]["scenarios"] == 300


def test_scenarios_are_reproducible() -> None:
    pool, quotas, panel = tiny()
    a = erm_alternates(pool, quotas, panel, 2, "same seed", dropout=dropout_rates(RATES),
                       scenarios=9)
    b = erm_alternates(pool, quotas, panel, 2, "same  seed ", dropout=dropout_rates(RATES),
                       scenarios=9)
    assert np.array_equal(a.panel_out, b.panel_out)
    assert np.array_equal(a.slot_out, b.slot_out)
    assert a.objective == b.objective
    doc = json.loads(json.dumps(a.as_dict()))
    assert cs.ErmAlternates.order_of(doc)[0] == a.order


# -------------------------------------------------------------------------- dropout model
def test_learned_model_recovers_rates_and_shrinks() -> None:
    rng = np.random.default_rng(20250615)
    rows = [{"age": a, "dropped": int(rng.random() < (0.3 if a == "y" else 0.05))}
            for a in ["y"] * 2000 + ["o"] * 2000]
    rows.append({"age": "rare", "dropped": 1})
    m = learn_dropout_rates(rows, ["age"], prior_sd=1.0)
    by = {r.value: r for r in m.report}
    assert by["y"].fitted_rate == pytest.approx(by["y"].raw_rate, abs=0.01)
    assert by["rare"].raw_rate == 1.0
    assert by["rare"].fitted_rate < 0.6
    assert by["rare"].std_error > by["y"].std_error
    pool = cs.Pool.from_records([{"id": "a", "age": "y"}, {"id": "b", "age": "o"}],
                                categories=["age"], id_field="id")
    lo, hi = m.intervals(pool)
    p = m.probabilities(pool)
    assert np.all(lo < p)
    assert np.all(p < hi)


def test_given_rates_combination() -> None:
    m = dropout_rates({"a": {"x": 0.1, "z": 0.1}, "b": {"u": 0.1, "v": 0.1}})
    pool = cs.Pool.from_records([{"id": "1", "a": "x", "b": "v"}], categories=["a", "b"],
                                id_field="id")
    assert m.probabilities(pool)[0] == pytest.approx(0.1)


@pytest.mark.parametrize(("call", "code"), [
    (lambda: dropout_rates({}), "no-rates"),
    (lambda: dropout_rates({"sex": {"f": 1.5}}), "bad-probability"),
    (lambda: learn_dropout_rates([], ["sex"]), "no-records"),
    (lambda: learn_dropout_rates([{"sex": "f", "dropped": "maybe"}], ["sex"]),
     "bad-dropout-flag"),
    (lambda: learn_dropout_rates([{"sex": "f"}], ["sex"]), "missing-column"),
    (lambda: learn_dropout_rates([{"sex": "f", "dropped": 1}], ["sex"], prior_sd=0),
     "bad-prior"),
])
def test_model_errors(call: object, code: str) -> None:
    with pytest.raises(cs.InputError) as e:
        call()  # type: ignore[operator]
    assert e.value.code == code


def test_missing_rate_and_erm_errors() -> None:
    pool, quotas, panel = tiny()
    with pytest.raises(cs.InputError, match="no dropout rate") as e:
        dropout_rates({"sex": {"f": 0.1}}).probabilities(pool)
    assert e.value.code == "missing-rate"
    model = dropout_rates(RATES)
    for kwargs, code in (({"count": 0}, "bad-count"), ({"scenarios": 0}, "bad-scenarios")):
        args = {"count": 2, "scenarios": 5, **kwargs}
        with pytest.raises(cs.InputError) as e:
            erm_alternates(pool, quotas, panel, args["count"], "s", dropout=model,
                           scenarios=args["scenarios"])
        assert e.value.code == code
    with pytest.raises(cs.InputError) as e:
        erm_alternates(pool, quotas, panel, 2, "s", dropout=[0.5] * 3)
    assert e.value.code == "bad-probability"
    with pytest.raises(cs.InfeasibleError):
        erm_alternates(pool, quotas, panel, 7, "s", dropout=model, scenarios=3)
    with pytest.raises(cs.InputError) as e:
        expected_loss(pool, quotas, panel, ["p0"], "s", dropout=model, scenarios=3)
    assert e.value.code == "alternate-on-panel"


# -------------------------------------------------------------------------- joint lottery
@pytest.fixture(scope="module")
def small() -> tuple[cs.Pool, cs.Quotas, cs.Distribution]:
    pool, quotas = cs.examples.rustavi_example(12)
    return pool, quotas, cs.find_distribution(pool, quotas)


@pytest.mark.parametrize("method", ["uniform", "erm"])
def test_joint_lottery_probabilities_by_counting(
        small: tuple[cs.Pool, cs.Quotas, cs.Distribution], method: str) -> None:
    pool, quotas, dist = small
    model = dropout_rates({"sex": {"female": 0.1, "male": 0.15}})
    joint = joint_lottery(dist, 2, "joint seed", method=method, dropout=model, scenarios=5,
                          tickets=40)
    seat = dict.fromkeys(pool.ids, 0)
    picked = dict(seat)
    for panel, alts in zip(joint.tickets, joint.alternates, strict=True):
        assert len(alts) == 2
        assert not set(alts) & set(panel)
        for pid in panel:
            seat[pid] += 1
            picked[pid] += 1
        for pid in alts:
            picked[pid] += 1
    probs = joint.probabilities(pool.ids)
    assert np.allclose(probs["seat"], [seat[p] / joint.m for p in pool.ids])
    assert np.allclose(probs["picked"], [picked[p] / joint.m for p in pool.ids])
    claimed = {"seat": {p: seat[p] / joint.m for p in pool.ids},
               "picked": {p: picked[p] / joint.m for p in pool.ids}}
    assert verify_joint_lottery(pool, quotas, joint, claimed=claimed).ok
    # the draw, its verification and the digest work unchanged
    rec = draw(joint, "public joint seed")
    assert verify(rec, joint).ok
    assert drawn_alternates(joint, rec) == joint.alternates[rec.index]
    back = JointLottery.from_canonical(joint.canonical())
    assert back.digest() == joint.digest()
    assert back.alternates == joint.alternates
    plain = cs.TransparentLottery(joint.tickets)
    assert plain.digest() != joint.digest()   # the alternates are committed to
    assert draw(plain, "public joint seed").index == rec.index or plain.m == joint.m


def test_joint_verifier_catches_tampering(
        small: tuple[cs.Pool, cs.Quotas, cs.Distribution]) -> None:
    pool, quotas, dist = small
    joint = joint_lottery(dist, 2, "tamper", method="uniform", tickets=20)
    alts = list(joint.alternates)
    alts[3] = (alts[3][0],)
    short = JointLottery(joint.tickets, alternates=tuple(alts))
    assert not verify_joint_lottery(pool, quotas, short).ok
    with pytest.raises(cs.InputError) as e:
        JointLottery(joint.tickets, alternates=((joint.tickets[0][0],),) * joint.m)
    assert e.value.code == "bad-alternates"
    with pytest.raises(cs.InputError) as e:
        JointLottery(joint.tickets, alternates=())
    assert e.value.code == "bad-alternates-count"
    with pytest.raises(cs.InputError) as e:
        joint_lottery(dist, 2, "s", method="erm")
    assert e.value.code == "missing-argument"
    with pytest.raises(cs.InputError) as e:
        joint_lottery(dist, 2, "s", method="best")
    assert e.value.code == "bad-option"
    with pytest.raises(cs.InputError) as e:
        JointLottery.from_canonical(cs.TransparentLottery(joint.tickets).canonical())
    assert e.value.code == "bad-lottery-format"


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=3, unique=True),
                min_size=1, max_size=6), st.integers(0, 2**32))
def test_joint_shares_sum(tickets: list[list[str]], salt: int) -> None:
    """P(picked) sums to (panel + alternates) per ticket; shares are within [0, 1]."""
    people = list("abcdefghijkl")
    alts = []
    for j, t in enumerate(tickets):
        rest = [p for p in people if p not in t]
        k = (salt + j) % 3
        alts.append(tuple(rest[(salt + j) % len(rest):][:k]))
    lot = JointLottery(tuple(tuple(t) for t in tickets), alternates=tuple(alts), ids=people)
    pr = lot.probabilities()
    total = sum(len(t) + len(a) for t, a in zip(tickets, alts, strict=True)) / len(tickets)
    assert pr["picked"].sum() == pytest.approx(total)
    assert np.all((pr["picked"] >= 0) & (pr["picked"] <= 1 + 1e-12))
    assert JointLottery.from_canonical(lot.canonical()).digest() == lot.digest()


@settings(max_examples=20, deadline=None)
@given(st.dictionaries(st.sampled_from(["f", "m"]), st.floats(0, 0.99), min_size=2),
       st.dictionaries(st.sampled_from(["y", "o"]), st.floats(0, 0.99), min_size=2))
def test_model_probabilities_in_range(sex: dict[str, float], age: dict[str, float]) -> None:
    pool, _, _ = tiny()
    p = dropout_rates({"sex": sex, "age": age}).probabilities(pool)
    assert np.all((p >= 0) & (p <= 1))


# ----------------------------------------------------------------------------------- CLI
def test_cli_prepare_erm_fill_and_joint(tmp_path: Path) -> None:
    assert main(["example", "--out", str(tmp_path)]) == EXIT_OK
    base = ["--targets", str(tmp_path / "targets.csv"), "--people",
            str(tmp_path / "people.csv"), "--panel-size", "36", "--id-column", "id"]
    lottery, record = tmp_path / "lottery.json", tmp_path / "draw.json"
    result = tmp_path / "result.json"
    assert main(["select", *base, "--lottery", str(lottery), "--tickets", "50",
                 "--draw-seed", "cli panel", "--record", str(record),
                 "--json", str(result)]) == EXIT_OK
    rates = tmp_path / "rates.csv"
    rates.write_text("category,value,probability\nsex,female,0.1\nsex,male,0.12\n")
    out = tmp_path / "erm.json"
    args = ["alternates", "prepare", *base, "--members-record", str(record), "--count", "3",
            "--seed", "cli alternates", "--method", "erm", "--dropout-rates", str(rates),
            "--scenarios", "8", "--out", str(out)]
    assert main(args) == EXIT_OK
    doc = json.loads(out.read_text())
    assert doc["format"] == "civicsortition-alternates-erm/1"
    assert len(doc["order"]) == 3
    assert main(args) == EXIT_BAD_INPUT            # never overwritten without --force
    assert main([*args, "--force"]) == EXIT_OK
    panel = json.loads(record.read_text())["panel"]
    filled = tmp_path / "filled.json"
    for leaver in panel:      # the first member whose seat the list can fill
        if main(["alternates", "fill", *base, "--members-record", str(record), "--dropouts",
                 leaver, "--alternates", str(out), "--record", str(filled)]) == EXIT_OK:
            break
    assert filled.exists()
    if filled.exists():       # the record names the ERM list it was filled from
        import hashlib

        used = json.loads(filled.read_text())["alternates"]
        assert used["method"] == "erm"
        assert used["order"] == doc["order"]
        assert used["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    past = tmp_path / "past.csv"
    past.write_text("sex,age,dropped\n" + "".join(
        f"{'female' if i % 2 else 'male'},18-29,{int(i % 7 == 0)}\n" for i in range(60)))
    joint, probs = tmp_path / "joint.json", tmp_path / "probs.csv"
    assert main(["alternates", "joint", *base, "--lottery", str(lottery), "--count", "2",
                 "--seed", "cli joint", "--method", "uniform", "--past-dropouts", str(past),
                 "--out", str(joint), "--probabilities", str(probs)]) == EXIT_OK
    lot = JointLottery.from_canonical(joint.read_bytes())
    assert lot.m == 50
    assert all(len(a) == 2 for a in lot.alternates)
    assert probs.read_text().startswith("id,p_seat,p_alternate,p_picked")
    # the joint lottery is drawn and verified like any other (its alternates lists too)
    drawn = tmp_path / "joint-draw.json"
    assert main(["draw", "--lottery", str(joint), "--seed", "x", "--record", str(drawn)]) == EXIT_OK
    rec = json.loads(drawn.read_text())
    assert 0 <= rec["index"] < 50
    assert rec["panel"] == sorted(lot.tickets[rec["index"]]) or rec["panel"] == list(
        lot.tickets[rec["index"]])
    assert main(["verify", *base, "--lottery", str(joint), "--record", str(drawn)]) == EXIT_OK
    # seats filled from the drawn ticket's alternates (the draw record names the ticket)
    joint_fill = tmp_path / "joint-fill.json"
    outcomes = []
    for leaver in rec["panel"]:
        outcomes.append(main(["alternates", "fill", *base, "--members-record", str(drawn),
                              "--dropouts", leaver, "--alternates", str(joint),
                              "--record", str(joint_fill)]))
        if outcomes[-1] == EXIT_OK:
            break
    assert set(outcomes) <= {EXIT_OK, 3}
    assert joint_fill.exists()
    if joint_fill.exists():
        filled_doc = json.loads(joint_fill.read_text())
        assert filled_doc["alternates"]["method"] == "joint"
        assert filled_doc["alternates"]["digest"] == lot.digest()
        assert filled_doc["alternates"]["order"] == list(lot.alternates[rec["index"]])
        assert set(filled_doc["replacements"]) <= set(lot.alternates[rec["index"]])
    # without a draw record of the joint lottery, its ticket is unknown: refused
    assert main(["alternates", "fill", *base, "--members-record", str(record), "--dropouts",
                 panel[0], "--alternates", str(joint)]) == EXIT_BAD_INPUT
    # the audit report of the joint draw: the joint digest, its checks, the chances; and the
    # report passes its own verification (it was rebuilt as a plain lottery before)
    report_json, report_md = tmp_path / "report.json", tmp_path / "report.md"
    assert main(["report", *base, "--result", str(result), "--lottery", str(joint),
                 "--record", str(drawn), "--json", str(report_json),
                 "--out", str(report_md)]) == EXIT_OK
    stated = json.loads(report_json.read_text())
    assert stated["lottery"]["digest"] == lot.digest() == rec["digest"]
    names = [c["name"] for c in stated["verification"]["checks"]]
    assert any(n.startswith("joint") for n in names), names
    chances = lot.probabilities()
    assert stated["lottery"]["picked_max"] == pytest.approx(float(chances["picked"].max()))
    assert "picked at all" in report_md.read_text()
    assert main(["verify", *base, "--result", str(result), "--lottery", str(joint),
                 "--record", str(drawn), "--report", str(report_json)]) == EXIT_OK


def test_the_audit_report_takes_a_joint_lottery_unchanged() -> None:
    """Issue 16.2: draw, verify and audit work on tickets that carry alternates."""
    from civicsortition.joint import joint_lottery

    pool, quotas = cs.examples.rustavi_example()
    dist = cs.find_distribution(pool, quotas)
    joint = joint_lottery(dist, 2, "audit joint", method="uniform", tickets=60)
    record = cs.draw(joint, "audit joint seed")
    verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=joint, record=record)
    assert verdict.ok, verdict.failures
    report = cs.audit_report(pool, quotas, dist, lottery=joint, record=record, verdict=verdict)
    doc = report.as_dict()
    assert doc["lottery"]["digest"] == joint.digest()
    assert doc["draw"]["index"] == record.index


def test_joint_erm_solves_one_program_per_profile(
        small: tuple[cs.Pool, cs.Quotas, cs.Distribution],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Tickets whose ERM programs are identical share one solve; the lottery is the one that
    solving for every ticket gives, bit for bit, and it verifies."""
    import civicsortition.alternates as alternates_module
    import civicsortition.joint as joint_module

    pool, quotas, dist = small
    model = dropout_rates({"sex": {"female": 0.1, "male": 0.15}})
    lottery = cs.transparent_lottery(dist, 40)
    real = alternates_module._solve
    calls: list[int] = []

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(alternates_module, "_solve", counting)
    shared = joint_lottery(lottery, 2, "cache seed", pool=pool, quotas=quotas, dropout=model,
                           scenarios=6)
    solves = len(calls)
    calls.clear()
    monkeypatch.setattr(joint_module, "_SHARE_PROGRAMS", False)
    each = joint_lottery(lottery, 2, "cache seed", pool=pool, quotas=quotas, dropout=model,
                         scenarios=6)
    assert len(calls) == lottery.m
    assert solves < lottery.m
    assert each.alternates == shared.alternates
    assert each.digest() == shared.digest()
    assert verify_joint_lottery(pool, quotas, shared).ok


# ------------------------------------------------------ housemates in different value types
def _housemates() -> tuple[cs.Pool, cs.Quotas, list[str]]:
    """Ten people, a panel of three; p0 (f) and p1 (m) share h0, p2 (f) and p3 (m) share h1:
    the program sees households within a type, not across types."""
    recs = [("f", "h0"), ("m", "h0"), ("f", "h1"), ("m", "h1"), ("f", "h4"), ("m", "h5"),
            ("f", "h6"), ("m", "h7"), ("f", "h8"), ("m", "h9")]
    pool = cs.Pool.from_records([{"id": f"p{i}", "sex": s, "home": h}
                                 for i, (s, h) in enumerate(recs)],
                                categories=["sex"], id_field="id", household_field="home")
    quotas = cs.Quotas(3, [cs.ValueQuota("sex", "f", 1, 2), cs.ValueQuota("sex", "m", 1, 2)])
    return pool, quotas, ["p4", "p5", "p6"]


def test_erm_alternates_never_come_short_because_of_housemates_in_other_types() -> None:
    pool, quotas, panel = _housemates()
    model = dropout_rates({"sex": {"f": 0.3, "m": 0.2}})
    # 7 candidates in 5 households: 5 alternates exist, 6 do not
    for count in (2, 3, 4, 5):
        erm = erm_alternates(pool, quotas, panel, count, "housemates", dropout=model,
                             scenarios=12)
        assert len(erm.order) == count
        homes = [pool.households[pool.ids.index(pid)] for pid in erm.order]
        assert len(set(homes)) == count                          # one per household
        assert not set(erm.order) & set(panel)
    from civicsortition.errors import InfeasibleError

    with pytest.raises(InfeasibleError):
        erm_alternates(pool, quotas, panel, 6, "housemates", dropout=model, scenarios=12)


def test_joint_erm_lottery_fills_every_list_despite_housemates() -> None:
    from civicsortition.joint import joint_lottery, verify_joint_lottery

    pool, quotas, _ = _housemates()
    dist = cs.find_distribution(pool, quotas)
    model = dropout_rates({"sex": {"f": 0.3, "m": 0.2}})
    # 4 alternates: before, the round-robin came up one short ("a ticket leaves only 3
    # eligible people") while four households were free
    joint = joint_lottery(dist, 4, "housemates joint", dropout=model, scenarios=10, tickets=30)
    assert all(len(a) == 4 for a in joint.alternates)
    for panel, alts in zip(joint.tickets, joint.alternates, strict=True):
        homes = [pool.households[pool.ids.index(pid)] for pid in (*panel, *alts)]
        assert len(set(homes)) == len(homes)
    assert verify_joint_lottery(pool, quotas, joint).ok


def test_the_printed_dropout_model_shows_the_fitted_rates_it_uses(
        capsys: pytest.CaptureFixture[str]) -> None:
    from civicsortition.cli.organiser import _print_model
    from civicsortition.dropout import learn_dropout_rates

    # 8 young past members, none left: the raw share is 0, the shrunk fitted rate is not
    records = ([{"age": "y", "dropped": 0}] * 8
               + [{"age": "o", "dropped": int(i % 4 == 0)} for i in range(40)])
    model = learn_dropout_rates(records, ["age"])
    _print_model(model)
    out = capsys.readouterr().out
    young = next(r for r in model.report if r.value == "y")
    assert young.raw_rate == 0
    assert young.fitted_rate is not None
    assert young.fitted_rate > 0
    assert f"age=y: rate {young.fitted_rate:.3f} (raw share 0.000)" in out


@pytest.mark.parametrize("method", ["uniform", "erm"])
@pytest.mark.parametrize("count", [0, -1, 2.5, True])
def test_a_joint_lottery_needs_a_positive_count(method: str, count: object) -> None:
    from civicsortition.errors import InputError
    from civicsortition.joint import joint_lottery

    pool, quotas, _ = _housemates()
    dist = cs.find_distribution(pool, quotas)
    with pytest.raises(InputError) as caught:
        joint_lottery(dist, count, "count", method=method,  # type: ignore[arg-type]
                      dropout=dropout_rates({"sex": {"f": 0.1, "m": 0.1}}), tickets=10)
    assert caught.value.problems[0].code == "bad-count"


def test_bad_dropout_files_name_the_file_and_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--out", str(tmp_path)]) == EXIT_OK
    base = ["--targets", str(tmp_path / "targets.csv"), "--people",
            str(tmp_path / "people.csv"), "--panel-size", "36", "--id-column", "id"]
    record = tmp_path / "draw.json"
    assert main(["select", *base, "--lottery", str(tmp_path / "lot.json"), "--tickets", "20",
                 "--draw-seed", "files", "--record", str(record)]) == EXIT_OK
    past = tmp_path / "past.csv"
    past.write_text("sex,dropped\nfemale,0\nmale,maybe\nfemale,1\n", encoding="utf-8")
    rates = tmp_path / "rates.csv"
    rates.write_text("category,value,probability\nsex,female,1.5\n", encoding="utf-8")
    for option, path, where in (("--past-dropouts", past, f"{past}:3"),
                                ("--dropout-rates", rates, str(rates))):
        capsys.readouterr()
        assert main(["alternates", "prepare", *base, "--members-record", str(record),
                     "--count", "2", "--seed", "s", "--method", "erm", option, str(path),
                     "--scenarios", "4", "--out", str(tmp_path / "x.json")]) == EXIT_BAD_INPUT
        assert where in capsys.readouterr().err
