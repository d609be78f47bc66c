"""Registrations: every rejection reason, age derivation, duplicates, households."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from collections import Counter
from typing import Any

import pytest

import civicsortition as cs
from civicsortition.algorithms import ALGORITHMS
from civicsortition.registrations import age_bands

#: The certified algorithms, from the registry.
# The max-min family and NASH, whose properties these tests assert; the other objectives are
# checked against brute force in tests/test_epigraph.py.
EXACT = [a for a in ("leximin", "maximin", "nash") if a in ALGORITHMS]

STRATA = cs.Strata([cs.Category("sex", ["female", "male"]),
                    cs.Category("age", ["18-29", "30-49", "50+"]),
                    cs.Category("district", ["d1", "d2"])])
REF = dt.date(2026, 12, 1)


def good(i: int, **changes: Any) -> dict[str, Any]:
    rec = {"id": f"r{i}", "address": f"A{i}", "sex": "female", "birth_date": "1980-02-03",
           "district": "d1", "eligible": "yes", "name": f"Person {i}"}
    rec.update(changes)
    return rec


def validate(records: list[dict[str, Any]], **options: Any) -> cs.Registrations:
    options.setdefault("invited", [f"A{i}" for i in range(50)])
    return cs.validate_registrations(records, STRATA, reference_date=REF, **options)


@pytest.mark.parametrize(("record", "code", "field"), [
    (good(1, address="Z9"), "not-invited", "address"),
    (good(1, birth_date="2008-12-02"), "under-age", "birth_date"),
    (good(1, eligible="no"), "not-eligible", "eligible"),
    (good(1, eligible="maybe"), "unknown-value", "eligible"),
    (good(1, sex=""), "missing-value", "sex"),
    (good(1, sex=None), "missing-value", "sex"),
    (good(1, district="d7"), "unknown-value", "district"),
    (good(1, birth_date="31.02.1980"), "bad-date", "birth_date"),
    (good(1, birth_date="2030-01-01"), "bad-date", "birth_date"),
    (good(1, birth_date=""), "missing-value", "birth_date"),
    (good(1, address=""), "missing-value", "address"),
    (good(1, id=""), "missing-value", "id"),
    (good(1, eligible=""), "missing-value", "eligible"),
])
def test_each_rejection_reason(record: dict[str, Any], code: str, field: str) -> None:
    regs = validate([good(0), record])
    assert regs.pool.ids == ("r0",)
    assert [(r.row, r.code, r.field) for r in regs.rejections] == [(1, code, field)]
    assert regs.counts()[code] == 1
    assert regs.summary()["rejected"] == 1


def test_duplicates_by_id_and_by_identity_fields() -> None:
    records = [good(0), good(0, address="A1"), good(2, name="  person   0 "),
               good(3, name="Person 3")]
    regs = validate(records, identity_fields=["name", "birth_date"])
    assert regs.pool.ids == ("r0", "r3")
    dup = [r for r in regs.rejections if r.code == "duplicate"]
    assert [r.row for r in dup] == [1, 2]
    assert "row 0" in dup[0].message
    assert "row 0" in dup[1].message
    assert regs.counts()["duplicate"] == 2


def test_age_is_completed_years_on_the_reference_date() -> None:
    assert cs.age_on(dt.date(2008, 12, 1), REF) == 18
    assert cs.age_on(dt.date(2008, 12, 2), REF) == 17
    assert cs.age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert cs.age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
    records = [good(0, birth_date="2008-12-01"), good(1, birth_date="1997-12-02"),
               good(2, birth_date="1996-12-01"), good(3, birth_date="01.12.1976"),
               good(4, birth_date="2008-12-02")]
    regs = validate(records)
    assert [regs.pool.value_of(j, "age") for j in range(regs.pool.n)] == \
        ["18-29", "18-29", "30-49", "50+"]
    assert regs.rejections[0].code == "under-age"
    assert regs.rejections[0].row == 4
    assert "17 years old on 2026-12-01" in regs.rejections[0].message


def test_age_without_birth_dates_and_bad_band_labels() -> None:
    regs = validate([good(0, age="30-49"), good(1, age="12-17")], birth_date_field=None)
    assert regs.pool.value_of(0, "age") == "30-49"
    assert regs.rejections[0].code == "unknown-value"
    assert age_bands(["18-29", "30 – 49", "65+"]) == [(18, 29), (30, 49), (65, None)]
    with pytest.raises(cs.InputError, match="bad-age-band"):
        age_bands(["young", "old"])
    gap = cs.Strata([cs.Category("age", ["18-29", "40+"])])
    regs = cs.validate_registrations([good(0, birth_date="1991-01-01")], gap, reference_date=REF)
    assert regs.rejections[0].code == "unknown-value"
    assert "no band" in regs.rejections[0].message


def test_several_reasons_on_one_row_count_once_per_reason() -> None:
    regs = validate([good(0, address="Z", eligible="no", sex="other")])
    assert {r.code for r in regs.rejections} == {"not-invited", "not-eligible", "unknown-value"}
    assert regs.rejected_rows == (0,)
    assert sum(regs.counts().values()) == 3


def test_input_not_mutated_and_summary_has_no_personal_data() -> None:
    records = [good(0), good(1, address="A0", sex="male"), good(2, name="Secret Name",
                                                                   address="Z")]
    before = copy.deepcopy(records)
    regs = validate(records)
    assert records == before
    text = json.dumps(regs.summary())
    assert "Secret" not in text
    assert "A0" not in text
    assert "r1" not in text
    assert regs.summary()["multi_person_households"] == 1
    assert regs.pool.households == ("A0", "A0")


def test_invitations_object_counts_reserves_as_invited() -> None:
    frame = cs.AddressFrame([f"A{i}" for i in range(20)])
    inv = cs.invite(frame, cs.SimpleRandom(3), "s", reserves=2)
    records = [good(0, address=inv.invited[0]), good(1, address=inv.reserves[0]),
               good(2, address=next(a for a in frame.ids
                                    if a not in inv.invited and a not in inv.reserves))]
    regs = cs.validate_registrations(records, STRATA, reference_date=REF, invited=inv)
    assert regs.pool.n == 2
    assert regs.rejections[0].code == "not-invited"


def test_read_registrations_reports_file_lines() -> None:
    text = ("id;address;sex;birth_date;district;eligible\n"
            "r1;A1;female;1980-01-01;d1;yes\n\n"
            "r2;A2;male;2015-01-01;d2;yes\n")
    regs = cs.read_registrations(io.StringIO(text), STRATA, reference_date=REF,
                                 invited=["A1", "A2"])
    assert regs.accepted == (2,)
    assert (regs.rejections[0].row, regs.rejections[0].code) == (4, "under-age")
    problems = cs.registration_problems(regs, source="regs.csv")
    assert "regs.csv:4" in str(problems[0])


def test_household_rule_holds_in_every_panel() -> None:
    records = []
    for i in range(24):
        sex = "female" if i % 2 else "male"
        district = "d1" if i % 3 else "d2"
        year = 1950 + (i * 7) % 50
        records.append(good(i, address=f"A{i // 2}", sex=sex, district=district,
                            birth_date=f"{year}-06-15"))
    regs = validate(records)
    quotas = cs.Quotas(6, [cs.ValueQuota("sex", "female", 3, 3),
                           cs.ValueQuota("sex", "male", 3, 3),
                           cs.ValueQuota("age", "18-29", 1, 3), cs.ValueQuota("age", "30-49", 1, 3),
                           cs.ValueQuota("age", "50+", 1, 3),
                           cs.ValueQuota("district", "d1", 2, 4),
                           cs.ValueQuota("district", "d2", 2, 4)])
    pool = regs.pool
    assert pool.households is not None
    for algorithm in EXACT:
        dist = cs.find_distribution(pool, quotas, algorithm=algorithm, households=True)
        for members, p in dist.panels():
            if p <= 0:
                continue
            per = Counter(pool.households[int(i)] for i in members)
            assert max(per.values()) == 1, (algorithm, per)


def test_household_effect_on_a_pool_where_the_rule_binds() -> None:
    pool = cs.Pool.from_records(
        [{"id": i, "x": "v", "hh": h} for i, h in (("a", "H"), ("b", "H"), ("c", "c"),
                                                   ("d", "d"))],
        categories=["x"], id_field="id", household_field="hh")
    quotas = cs.Quotas(3, [cs.ValueQuota("x", "v", 0, 3)])
    effect = cs.household_effect(pool, quotas)
    # Without the rule every person has 3/4; with it a and b share one seat: 1/2 each.
    assert effect.households == 1
    assert effect.people == 2
    assert effect.shared_mean_with == pytest.approx(0.5, abs=1e-6)
    assert effect.shared_mean_without == pytest.approx(0.75, abs=1e-6)
    assert effect.others_mean_with == pytest.approx(1.0, abs=1e-6)
    assert effect.shared_household_with == pytest.approx(1.0, abs=1e-6)
    assert effect.largest_decrease == pytest.approx(0.25, abs=1e-6)
    assert (effect.decreased, effect.increased) == (2, 2)
    text = " ".join(effect.lines())
    assert "at most one" in text
    assert "50.00%" in text
    report = cs.audit_report(pool, quotas, cs.find_distribution(pool, quotas), households=effect)
    assert "## Households" in report.to_markdown()
    assert '"H"' not in report.to_json()
