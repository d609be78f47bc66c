"""The public API checks types and values at its boundary (issue 12, point 5).

Every message names the argument at fault and says what was expected; floats are never
truncated to integers, strings are never iterated as sequences of ids, and swapped or missing
arguments give a TypeError rather than an AttributeError from the internals.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition.distribution import Distribution
from civicsortition.draw import DrawRecord, draw, draw_exact, verify
from civicsortition.errors import InfeasibleError, InputError
from civicsortition.lottery import TransparentLottery, transparent_lottery
from civicsortition.pool import Pool
from civicsortition.quotas import Band, Quotas, ValueQuota, build_quotas
from civicsortition.replacements import (
    fill_from_alternates,
    prepare_alternates,
    replace,
    residual_quotas,
)
from civicsortition.strata import Category, Strata
from civicsortition.vote import answer_due, required_votes, tally

STRATA = Strata.from_mapping({"sex": ["f", "m"]})


@functools.cache
def tiny() -> tuple[Pool, Quotas, tuple[str, ...], Distribution, TransparentLottery]:
    """8 people (f f f f m m m m), 4 seats 2 + 2, a panel of the first two of each, a lottery."""
    pool = Pool(STRATA, [f"p{i}" for i in range(8)], [[0]] * 4 + [[1]] * 4)
    quotas = Quotas(4, [ValueQuota("sex", "f", 2, 2), ValueQuota("sex", "m", 2, 2)])
    panel = ("p0", "p1", "p4", "p5")
    dist = cs.leximin(pool, quotas)
    return pool, quotas, panel, dist, transparent_lottery(dist, 6)


def lottery_doc(tickets: Any, m: Any = None, fmt: Any = "civicsortition-lottery/1") -> bytes:
    m = len(tickets) if m is None and isinstance(tickets, list) else m
    return json.dumps({"format": fmt, "m": m, "tickets": tickets}).encode()


# ------------------------------------------------------------------------------ ValueQuota
def test_value_quota_rejects_fractional_min() -> None:
    with pytest.raises(InputError) as e:
        ValueQuota("g", "f", 2.5, 5)
    assert e.value.code == "not-an-integer"
    assert "min" in str(e.value)
    assert "2.5" in str(e.value)


def test_value_quota_rejects_fractional_max_and_flex() -> None:
    for kwargs, name in (({"max": 4.5}, "max"), ({"min_flex": 0.5}, "min_flex"),
                         ({"max_flex": float("inf")}, "max_flex"),
                         ({"max": float("nan")}, "max")):
        args: dict[str, Any] = {"category": "g", "value": "f", "min": 1, "max": 5, **kwargs}
        with pytest.raises(InputError, match=f"{name}=") as e:
            ValueQuota(**args)
        assert e.value.code == "not-an-integer"


def test_value_quota_rejects_bool_text_and_none_counts() -> None:
    for bad in (True, False, "3", None, b"3", [2], 2j):
        with pytest.raises(TypeError, match=r"ValueQuota\(min=\.\.\.\).*expected an integer"):
            ValueQuota("g", "f", bad, 5)  # type: ignore[arg-type]


def test_value_quota_accepts_whole_floats_and_numpy_integers() -> None:
    q = ValueQuota("g", "f", 2.0, np.int64(5), min_flex=np.float64(1.0))  # type: ignore[arg-type]
    assert (q.min, q.max, q.min_flex) == (2, 5, 1)
    assert all(type(x) is int for x in (q.min, q.max, q.min_flex))


def test_value_quota_rejects_non_string_category_and_value() -> None:
    with pytest.raises(TypeError, match=r"ValueQuota\(category=\.\.\.\)"):
        ValueQuota(None, "f", 1, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ValueQuota\(value=\.\.\.\)"):
        ValueQuota("g", 1, 1, 2)  # type: ignore[arg-type]


def test_quotas_rejects_negative_counts() -> None:
    with pytest.raises(InputError) as e:
        Quotas(5, [ValueQuota("g", "f", -1, 5), ValueQuota("g", "m", 0, -2)])
    assert e.value.codes.count("negative-quota") == 2
    assert "min for g=f" in str(e.value)


def test_quotas_rejects_min_greater_than_max() -> None:
    with pytest.raises(InputError) as e:
        Quotas(5, [ValueQuota("g", "f", 4, 3)])
    assert e.value.codes == ("min-greater-than-max",)


def test_quotas_rejects_entries_that_are_not_value_quotas() -> None:
    with pytest.raises(TypeError, match=r"Quotas\(entries=\.\.\.\)\[1\]: expected a ValueQuota"):
        Quotas(5, [ValueQuota("g", "f", 1, 3), ("g", "m", 1, 3)])  # type: ignore[list-item]
    for bad in ("gfm", None, {"g": 1}):
        with pytest.raises(TypeError, match=r"Quotas\(entries=\.\.\.\)"):
            Quotas(5, bad)  # type: ignore[arg-type]


def test_quotas_lookups_reject_non_strings() -> None:
    _, quotas, *_ = tiny()
    with pytest.raises(TypeError, match="category"):
        quotas.get(None, "f")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="category"):
        quotas.category(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strata"):
        quotas.bound_arrays(quotas)  # type: ignore[arg-type]


def test_build_quotas_rejects_swapped_and_string_arguments() -> None:
    census = cs.Census.from_shares({"sex": {"f": "0.5", "m": "0.5"}})
    with pytest.raises(TypeError, match=r"build_quotas\(census=\.\.\.\)"):
        build_quotas(36, census)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"build_quotas\(categories=\.\.\.\)"):
        build_quotas(census, 36, categories="sex")
    with pytest.raises(TypeError, match=r"build_quotas\(band=\.\.\.\)"):
        build_quotas(census, 36, band=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"build_quotas\(method=\.\.\.\)"):
        build_quotas(census, 36, method=None)  # type: ignore[arg-type]
    assert len(build_quotas(census, 36, band=Band.seats(0), categories=["sex"])) == 2


# ------------------------------------------------------------------------------- Strata
def test_strata_rejects_non_string_names_and_values() -> None:
    with pytest.raises(TypeError, match=r"Category\(name=\.\.\.\)"):
        Category(None, ["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Category\(values=\.\.\.\)\[1\]"):
        Category("g", ["a", 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"Category\(values=\.\.\.\)"):
        Category("g", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Strata\(categories=\.\.\.\)\[0\]"):
        Strata(["sex"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"Strata\.from_mapping\(mapping=\.\.\.\)"):
        Strata.from_mapping([("sex", ["f"])])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Strata\.index\(name=\.\.\.\)"):
        STRATA.index(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"code\(value=\.\.\.\)"):
        STRATA["sex"].code(0)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- Pool
def test_pool_rejects_fractional_codes() -> None:
    with pytest.raises(InputError) as e:
        Pool(STRATA, ["a", "b"], [[0.5], [1.0]])
    assert e.value.code == "not-an-integer"
    assert "codes[0, 0] = 0.5" in str(e.value)


def test_pool_rejects_nan_and_infinite_codes() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(InputError, match="not-an-integer"):
            Pool(STRATA, ["a", "b"], np.array([[0.0], [bad]]))


def test_pool_accepts_whole_float_codes() -> None:
    pool = Pool(STRATA, ["a", "b"], np.array([[0.0], [1.0]]))
    assert pool.codes.dtype == np.int64
    assert pool.codes.tolist() == [[0], [1]]


def test_pool_rejects_codes_out_of_range() -> None:
    with pytest.raises(InputError) as e:
        Pool(STRATA, ["a", "b", "c"], [[0], [2], [-1]])
    assert e.value.codes == ("code-out-of-range", "code-out-of-range")
    with pytest.raises(InputError, match="code-out-of-range"):
        Pool(STRATA, ["a"], [[1e300]])
    with pytest.raises(InputError, match="code-out-of-range"):
        Pool(STRATA, ["a"], np.array([[2**63]], dtype=np.uint64))


def test_pool_rejects_wrong_shape() -> None:
    with pytest.raises(InputError, match=r"codes has 2 columns but strata has 1") as e:
        Pool(STRATA, ["a", "b"], [[0, 1], [1, 0]])
    assert e.value.code == "bad-shape"
    with pytest.raises(InputError, match="bad-codes"):
        Pool(STRATA, ["a", "b"], [[0], [1, 0]])  # ragged
    with pytest.raises(InputError, match="bad-codes"):
        Pool(STRATA, ["a"], [[[0]]])  # 3-D
    with pytest.raises(InputError, match="bad-codes"):
        Pool(STRATA, [], float("nan"))  # 0-D (used to reach the int cast unchecked)
    with pytest.raises(InputError, match="bad-shape"):
        Pool(STRATA, ["a", "b", "c"], [[0], [1]])


def test_pool_rejects_empty_codes_for_people() -> None:
    # An empty code matrix used to be silently replaced by zeros (everyone "f").
    with pytest.raises(InputError, match="ids has 2 entries but codes has 0 rows"):
        Pool(STRATA, ["a", "b"], [])
    assert Pool(STRATA, [], []).codes.shape == (0, 1)
    assert Pool(Strata([]), ["a"], []).codes.shape == (1, 0)


def test_pool_rejects_text_and_boolean_codes() -> None:
    for bad in ([["f"], ["m"]], [[True], [False]], [[None], [0]], None, "01"):
        with pytest.raises(TypeError, match=r"Pool\(codes=\.\.\.\)"):
            Pool(STRATA, ["a", "b"], bad)


def test_pool_rejects_string_ids() -> None:
    with pytest.raises(TypeError, match=r"Pool\(ids=\.\.\.\): expected a sequence of person "
                       r"ids, got str 'ab'"):
        Pool(STRATA, "ab", [[0], [1]])


def test_pool_rejects_non_string_ids() -> None:
    with pytest.raises(TypeError, match=r"Pool\(ids=\.\.\.\).*item 1 is int 2"):
        Pool(STRATA, ["a", 2], [[0], [1]])  # type: ignore[list-item]


def test_pool_rejects_duplicate_and_empty_ids() -> None:
    with pytest.raises(InputError) as e:
        Pool(STRATA, ["a", "a", ""], [[0], [1], [0]])
    assert set(e.value.codes) == {"duplicate-id", "missing-id"}


def test_pool_rejects_households_of_wrong_length() -> None:
    with pytest.raises(InputError, match=r"households has 1 entries, expected 2") as e:
        Pool(STRATA, ["a", "b"], [[0], [1]], ["h"])
    assert e.value.code == "bad-shape"


def test_pool_rejects_string_or_non_text_households() -> None:
    with pytest.raises(TypeError, match=r"Pool\(households=\.\.\.\)"):
        Pool(STRATA, ["a", "b"], [[0], [1]], "hh")
    with pytest.raises(TypeError, match=r"Pool\(households=\.\.\.\).*item 1 is float nan"):
        Pool(STRATA, ["a", "b"], [[0], [1]], ["h", float("nan")])


def test_pool_rejects_swapped_strata() -> None:
    _, quotas, *_ = tiny()
    with pytest.raises(TypeError, match=r"Pool\(strata=\.\.\.\): expected a Strata, got Quotas"):
        Pool(quotas, ["a"], [[0]])  # type: ignore[arg-type]


def test_pool_from_records_rejects_string_categories_and_records() -> None:
    with pytest.raises(TypeError, match=r"from_records\(categories=\.\.\.\)"):
        Pool.from_records([{"sex": "f"}], categories="sex")
    with pytest.raises(TypeError, match=r"from_records\(records=\.\.\.\)"):
        Pool.from_records("sex", categories=["sex"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"from_records\(records=\.\.\.\)\[1\]"):
        Pool.from_records([{"sex": "f"}, "m"], categories=["sex"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"from_records\(strata=\.\.\.\)"):
        Pool.from_records([{"sex": "f"}], strata={"sex": ["f"]})  # type: ignore[arg-type]


def test_pool_subset_and_value_of_do_not_truncate_or_wrap() -> None:
    pool, *_ = tiny()
    with pytest.raises(InputError, match="not-an-integer"):
        pool.subset([1.5])  # type: ignore[list-item]
    with pytest.raises(InputError, match="bad-position"):
        pool.subset([-1])
    with pytest.raises(InputError, match="bad-position"):
        pool.subset(np.array([8]))
    with pytest.raises(TypeError, match=r"subset\(indices=\.\.\.\)"):
        pool.subset("12")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="bad-position"):
        pool.value_of(99, "sex")
    assert pool.subset(np.array([4, 0])).ids == ("p4", "p0")
    assert pool.value_of(4.0, "sex") == "m"  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- replacements
def test_replace_rejects_string_dropouts() -> None:
    pool, quotas, panel, *_ = tiny()
    with pytest.raises(TypeError, match=r"replace\(dropouts=\.\.\.\): expected a sequence of "
                       r"person ids, got str 'p0'"):
        replace(pool, quotas, panel, "p0", "seed")


def test_replace_rejects_string_panel_and_excluded() -> None:
    pool, quotas, panel, *_ = tiny()
    with pytest.raises(TypeError, match=r"replace\(panel=\.\.\.\)"):
        replace(pool, quotas, "p0p1p4p5", ["p0"], "seed")
    with pytest.raises(TypeError, match=r"replace\(excluded=\.\.\.\)"):
        replace(pool, quotas, panel, ["p0"], "seed", excluded="p2")


def test_replace_rejects_swapped_pool_and_quotas() -> None:
    pool, quotas, panel, *_ = tiny()
    with pytest.raises(TypeError, match=r"replace\(pool=\.\.\.\): expected a Pool, got Quotas"):
        replace(quotas, pool, panel, ["p0"], "seed")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"replace\(quotas=\.\.\.\)"):
        replace(pool, None, panel, ["p0"], "seed")  # type: ignore[arg-type]


def test_replace_rejects_bad_options() -> None:
    pool, quotas, panel, *_ = tiny()
    with pytest.raises(TypeError, match=r"replace\(households=\.\.\.\)"):
        replace(pool, quotas, panel, ["p0"], "seed", households="no")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"replace\(tickets=\.\.\.\)"):
        replace(pool, quotas, panel, ["p0"], "seed", tickets=0)
    with pytest.raises(InputError, match=r"replace\(tickets=\.\.\.\)"):
        replace(pool, quotas, panel, ["p0"], "seed", tickets=10.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="on_infeasible"):
        replace(pool, quotas, panel, ["p0"], "seed", on_infeasible=None)  # type: ignore[arg-type]


def test_replace_still_works() -> None:
    pool, quotas, panel, *_ = tiny()
    result = replace(pool, quotas, list(panel), ("p0",), "seed", tickets=10)
    assert len(result.replacements) == 1
    assert result.replacements[0] in {"p2", "p3"}


def test_residual_quotas_rejects_string_kept_and_bad_seats() -> None:
    pool, quotas, *_ = tiny()
    with pytest.raises(TypeError, match=r"residual_quotas\(kept=\.\.\.\)"):
        residual_quotas(pool, quotas, "p1", 1)
    with pytest.raises(InputError, match=r"residual_quotas\(seats=\.\.\.\)") as e:
        residual_quotas(pool, quotas, ["p1"], 1.5)  # type: ignore[arg-type]
    assert e.value.code == "not-an-integer"
    with pytest.raises(InputError, match="bad-seats"):
        residual_quotas(pool, quotas, ["p1"], 0)
    with pytest.raises(TypeError, match=r"residual_quotas\(pool=\.\.\.\)"):
        residual_quotas(quotas, pool, ["p1"], 1)  # type: ignore[arg-type]


def test_alternates_reject_string_ids_and_swapped_arguments() -> None:
    pool, quotas, panel, *_ = tiny()
    with pytest.raises(TypeError, match=r"prepare_alternates\(pool=\.\.\.\)"):
        prepare_alternates(quotas, pool, panel, 2, "seed")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"prepare_alternates\(panel=\.\.\.\)"):
        prepare_alternates(pool, quotas, "p0", 2, "seed")
    with pytest.raises(InputError, match="bad-count"):
        prepare_alternates(pool, quotas, panel, 2.0, "seed")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"fill_from_alternates\(alternates=\.\.\.\)"):
        fill_from_alternates(pool, quotas, panel, ["p0"], "p2")
    with pytest.raises(TypeError, match=r"fill_from_alternates\(dropouts=\.\.\.\)"):
        fill_from_alternates(pool, quotas, panel, "p0", ["p2"])
    with pytest.raises(TypeError, match=r"fill_from_alternates\(quotas=\.\.\.\)"):
        fill_from_alternates(pool, pool, panel, ["p0"], ["p2"])  # type: ignore[arg-type]
    assert fill_from_alternates(pool, quotas, panel, ["p0"], ["p6", "p2"]) == ("p2",)


# ----------------------------------------------------------------------------------- vote
MEMBERS = ["a", "b", "c"]


def test_tally_rejects_string_members() -> None:
    with pytest.raises(TypeError, match=r"tally\(members=\.\.\.\): expected a sequence of "
                       r"member ids, got str 'abc'"):
        tally({"R1": {"a": "yes"}}, "abc")


def test_tally_rejects_string_present() -> None:
    with pytest.raises(TypeError, match=r"tally\(present=\.\.\.\)"):
        tally({"R1": {"a": "yes"}}, MEMBERS, denominator="present", present="ab")


def test_tally_bad_vote_names_member_and_recommendation() -> None:
    with pytest.raises(InputError) as e:
        tally({"R1": {"a": "yes", "b": "maybe"}, "R2": {"c": None}}, MEMBERS)  # type: ignore[dict-item]
    assert e.value.codes == ("bad-vote", "bad-vote")
    first, second = e.value.problems
    assert "member 'b' on recommendation 'R1'" in first.message
    assert first.value == "maybe"
    assert "member 'c' on recommendation 'R2'" in second.message
    assert second.value == "None"


def test_tally_bad_vote_reports_the_callers_line() -> None:
    with pytest.raises(InputError) as e:
        tally({"R1": {"a": "maybe"}}, MEMBERS, rows={("R1", "a"): 7}, source="votes.csv")
    problem = e.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("votes.csv", 7, "R1")
    assert str(e.value).startswith("votes.csv:7")


def test_tally_rejects_missing_or_malformed_votes() -> None:
    with pytest.raises(TypeError, match=r"tally\(votes=\.\.\.\)"):
        tally(None, MEMBERS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"tally\(votes=\.\.\.\)\['R1'\]"):
        tally({"R1": "yes"}, MEMBERS)  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"tally\(votes=\.\.\.\)\['R1'\]: expected member ids"):
        tally({"R1": {1: "yes"}}, MEMBERS)  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"tally\(handover=\.\.\.\)"):
        tally({}, MEMBERS, handover="2027-01-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"tally\(threshold=\.\.\.\)"):
        tally({}, MEMBERS, threshold=None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"tally\(response_days=\.\.\.\)"):
        tally({}, MEMBERS, response_days=2.5)  # type: ignore[arg-type]


def test_vote_helpers_name_their_arguments() -> None:
    with pytest.raises(TypeError, match=r"required_votes\(threshold=\.\.\.\)"):
        required_votes(True, 10)
    with pytest.raises(InputError, match=r"required_votes\(denominator=\.\.\.\)"):
        required_votes(0.8, 10.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"answer_due\(handover=\.\.\.\)"):
        answer_due(None)  # type: ignore[arg-type]
    assert required_votes(np.float64(0.8), np.int64(36)) == 29  # type: ignore[arg-type]
    assert answer_due(dt.date(2027, 2, 10), np.int64(30)) == dt.date(2027, 3, 12)  # type: ignore[arg-type]


# -------------------------------------------------------------------------- lottery, draw
def test_lottery_rejects_empty_ticket_list() -> None:
    with pytest.raises(InputError) as e:
        TransparentLottery(())
    assert e.value.code == "empty-lottery"


def test_draw_rejects_empty_lottery() -> None:
    # The constructor refuses it; a lottery smuggled past it is still refused by draw().
    empty = object.__new__(TransparentLottery)
    object.__setattr__(empty, "tickets", ())
    with pytest.raises(InputError) as e:
        draw(empty, "seed")
    assert e.value.code == "empty-lottery"


def test_verify_rejects_empty_lottery() -> None:
    *_, lot = tiny()
    rec = draw(lot, "seed")
    empty = object.__new__(TransparentLottery)
    object.__setattr__(empty, "tickets", ())
    with pytest.raises(InputError, match="empty-lottery"):
        verify(rec, empty)


def test_from_canonical_rejects_empty_ticket_list() -> None:
    with pytest.raises(InputError) as e:
        TransparentLottery.from_canonical(lottery_doc([], m=0))
    assert e.value.codes == ("empty-lottery",)
    assert e.value.problems[0].column == "tickets"


def test_from_canonical_reports_json_path_of_bad_id() -> None:
    tickets: list[list[Any]] = [["a", "b"]] * 3 + [["a", 5]]
    with pytest.raises(InputError) as e:
        TransparentLottery.from_canonical(lottery_doc(tickets))
    assert [p.column for p in e.value.problems] == ["tickets[3][1]"]
    assert "expected a string id" in e.value.problems[0].message
    assert "column 'tickets[3][1]'" in str(e.value)


def test_from_canonical_reports_every_fault() -> None:
    doc = lottery_doc([["a"], "b", [None, "c"]], m=5, fmt="other/1")
    with pytest.raises(InputError) as e:
        TransparentLottery.from_canonical(doc)
    located = {(p.code, p.column) for p in e.value.problems}
    assert located == {("bad-lottery-format", "format"), ("bad-ticket-count", "m"),
                       ("bad-lottery", "tickets[1]"), ("bad-lottery", "tickets[2][0]")}
    with pytest.raises(InputError) as e:
        TransparentLottery.from_canonical(b'{"format": "civicsortition-lottery/1"}')
    assert {p.column for p in e.value.problems} == {"tickets", "m"}
    with pytest.raises(InputError) as e:
        TransparentLottery.from_canonical(b"[1, 2]")
    assert e.value.problems[0].column == "$"
    with pytest.raises(InputError, match="bad-lottery"):
        TransparentLottery.from_canonical(b"\xff\xfe not utf-8")


def test_from_canonical_rejects_non_text() -> None:
    with pytest.raises(TypeError, match=r"from_canonical\(data=\.\.\.\)"):
        TransparentLottery.from_canonical(None)  # type: ignore[arg-type]


def test_lottery_rejects_string_tickets_and_ids() -> None:
    with pytest.raises(TypeError, match=r"TransparentLottery\(tickets=\.\.\.\)\[0\]"):
        TransparentLottery(("ab",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"TransparentLottery\(tickets=\.\.\.\)"):
        TransparentLottery("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"TransparentLottery\(ids=\.\.\.\)"):
        TransparentLottery((("a",),), ids="a")  # type: ignore[arg-type]
    lot = TransparentLottery([["b", "a"], ["c", "a"]])  # type: ignore[arg-type]
    assert lot.tickets == (("b", "a"), ("c", "a"))
    with pytest.raises(InputError, match="unknown-id"):
        lot.ticket_shares(["a", "b"])


def test_transparent_lottery_rejects_swapped_arguments() -> None:
    pool, _, _, dist, _ = tiny()
    with pytest.raises(TypeError, match=r"transparent_lottery\(dist=\.\.\.\): expected a "
                       r"Distribution"):
        transparent_lottery(pool, 10)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"transparent_lottery\(m=\.\.\.\)") as e:
        transparent_lottery(dist, 10.5)  # type: ignore[arg-type]
    assert e.value.code == "not-an-integer"
    with pytest.raises(TypeError, match=r"transparent_lottery\(m=\.\.\.\)"):
        transparent_lottery(dist, True)
    with pytest.raises(InputError, match="bad-ticket-count"):
        transparent_lottery(dist, 0)


def test_draw_rejects_swapped_arguments() -> None:
    *_, dist, lot = tiny()
    with pytest.raises(TypeError, match=r"draw\(lottery=\.\.\.\): expected a "
                       r"TransparentLottery, got Distribution"):
        draw(dist, "seed")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"draw\(lottery=\.\.\.\)"):
        draw("seed", lot)  # type: ignore[arg-type]


def test_verify_rejects_swapped_arguments() -> None:
    *_, lot = tiny()
    rec = draw(lot, "seed")
    with pytest.raises(TypeError, match=r"verify\(record=\.\.\.\)"):
        verify(lot, rec)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"verify\(lottery=\.\.\.\)"):
        verify(rec, None)  # type: ignore[arg-type]
    assert verify(rec, lot).ok


def test_draw_exact_rejects_a_lottery() -> None:
    *_, dist, lot = tiny()
    with pytest.raises(TypeError, match=r"draw_exact\(dist=\.\.\.\)"):
        draw_exact(lot, "seed")  # type: ignore[arg-type]
    assert len(draw_exact(dist, "seed").panel) == 4


def test_draw_record_from_dict_does_not_truncate_or_convert() -> None:
    *_, lot = tiny()
    good = draw(lot, "seed").as_dict()
    assert DrawRecord.from_dict(dict(good)) == draw(lot, "seed")
    with pytest.raises(InputError) as e:
        DrawRecord.from_dict({**good, "index": 2.5, "panel": ["p0", 1], "seed": None})
    assert {p.column for p in e.value.problems} == {"index", "panel[1]", "seed"}
    assert set(e.value.codes) == {"bad-draw-record"}
    with pytest.raises(InputError, match="'m'"):
        DrawRecord.from_dict({k: v for k, v in good.items() if k != "m"})
    with pytest.raises(InputError, match="bad-draw-record"):
        DrawRecord.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"DrawRecord\(index=\.\.\.\)"):
        DrawRecord("p", "d", "s", 0.5, 1, (), 1)  # type: ignore[arg-type]


# --------------------------------------------------------------- random junk, by Hypothesis
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.floats()
    | st.text(max_size=6) | st.binary(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                  max_size=3)
    | st.tuples(inner, inner),
    max_leaves=6)

FORBIDDEN = (AttributeError, IndexError, KeyError, ZeroDivisionError)
JUNK_SETTINGS = settings(max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow])


def outcome(call: Callable[[], object], *names: str) -> None:
    """``call()`` succeeds or fails cleanly: a TypeError or ValueError naming an argument."""
    error: Exception | None = None
    try:
        call()
    except FORBIDDEN as e:  # pragma: no cover - the failure the test exists to catch
        raise AssertionError(f"internal {type(e).__name__} leaked: {e}") from e
    except InfeasibleError:
        pass  # a well-formed request that no panel can meet: a result, not an input fault
    except (TypeError, ValueError) as e:
        error = e
    if error is not None:
        text = str(error)
        assert any(n in text for n in names), f"{names} not named in: {text}"
        assert isinstance(error, TypeError | InputError), f"a bare ValueError leaked: {text}"


@JUNK_SETTINGS
@given(junk=JUNK, position=st.sampled_from(["category", "value", "min", "max", "min_flex",
                                            "max_flex"]))
def test_value_quota_and_quotas_survive_junk(junk: Any, position: str) -> None:
    args: dict[str, Any] = {"category": "g", "value": "f", "min": 1, "max": 3, position: junk}
    outcome(lambda: Quotas(5, [ValueQuota(**args)]), position, "g=f")
    outcome(lambda: Quotas(5, junk), "entries", "panel_size")
    outcome(lambda: Quotas(junk, [ValueQuota("g", "f", 1, 2)]), "panel_size")


@JUNK_SETTINGS
@given(junk=JUNK, position=st.sampled_from(["strata", "ids", "codes", "households"]))
def test_pool_survives_junk(junk: Any, position: str) -> None:
    args: dict[str, Any] = {"strata": STRATA, "ids": ["a", "b"], "codes": [[0], [1]],
                            "households": None, position: junk}
    # Out-of-range codes and duplicate ids are reported per category/row, naming the column.
    outcome(lambda: Pool(**args), position, "sex", "id")
    outcome(lambda: Pool.from_records(junk, categories=["sex"]), "records", "sex", "id")
    # A well-typed category the record lacks is a missing value "for category ...".
    outcome(lambda: Pool.from_records([{"sex": "f"}], categories=junk), "categories",
            "category")


@JUNK_SETTINGS
@given(junk=JUNK, position=st.sampled_from(["pool", "quotas", "panel", "dropouts", "seed",
                                            "excluded", "households", "tickets",
                                            "on_infeasible", "algorithm"]))
def test_replacements_survive_junk(junk: Any, position: str) -> None:
    pool, quotas, panel, *_ = tiny()
    args: dict[str, Any] = {"pool": pool, "quotas": quotas, "panel": panel, "dropouts": ["p0"],
                            "seed": "seed", "tickets": 5, position: junk}
    if position == "tickets" and isinstance(junk, int | float) and abs(junk) > 50:
        junk = args["tickets"] = 50  # a valid but huge lottery would only be slow
    outcome(lambda: replace(**args), position)
    if position in ("pool", "quotas", "panel", "dropouts", "households"):
        fill = {k: args[k] for k in ("pool", "quotas", "panel", "dropouts")}
        outcome(lambda: fill_from_alternates(
            **fill, alternates=["p2", "p6"],
            **({"households": junk} if position == "households" else {})), position)
        outcome(lambda: fill_from_alternates(pool, quotas, panel, ["p0"], junk), "alternates")
    if position in ("pool", "quotas"):
        outcome(lambda: residual_quotas(args["pool"], args["quotas"], ["p1"], 1), position)
        outcome(lambda: prepare_alternates(args["pool"], args["quotas"], panel, 2, "s"),
                position)
    outcome(lambda: residual_quotas(pool, quotas, junk, 1), "kept")
    outcome(lambda: residual_quotas(pool, quotas, ["p1"], junk), "seats")


@JUNK_SETTINGS
@given(junk=JUNK, position=st.sampled_from(["votes", "members", "threshold", "denominator",
                                            "present", "handover", "response_days", "rows",
                                            "source"]))
def test_tally_survives_junk(junk: Any, position: str) -> None:
    args: dict[str, Any] = {"votes": {"R1": {"a": "yes", "b": "no"}}, "members": MEMBERS,
                            "handover": dt.date(2027, 1, 1), position: junk}
    # Bad ballots name the recommendation (their column); bad members their ids.
    outcome(lambda: tally(**args), position, "R1", "member")
    outcome(lambda: tally({"R1": junk}, MEMBERS), "votes", "R1")
    outcome(lambda: tally({"R1": {"a": junk}}, MEMBERS), "member 'a' on recommendation 'R1'")
    outcome(lambda: required_votes(junk, 10), "threshold")
    outcome(lambda: answer_due(junk), "handover")


@JUNK_SETTINGS
@given(junk=JUNK)
def test_lottery_and_draw_survive_junk(junk: Any) -> None:
    *_, dist, lot = tiny()
    rec = draw(lot, "seed")
    outcome(lambda: TransparentLottery(junk), "tickets")
    outcome(lambda: TransparentLottery((("a",),), ids=junk), "ids")
    outcome(lambda: TransparentLottery.from_canonical(junk), "data", "lottery")
    try:
        text = json.dumps(junk)
    except (TypeError, ValueError):  # bytes inside: not JSON at all
        text = repr(junk)
    outcome(lambda: TransparentLottery.from_canonical(text), "lottery")
    outcome(lambda: draw(junk, "seed"), "lottery")
    outcome(lambda: draw(lot, junk), "seed")
    outcome(lambda: verify(junk, lot), "record")
    outcome(lambda: verify(rec, junk), "lottery")
    outcome(lambda: draw_exact(junk, "seed"), "dist")
    outcome(lambda: draw_exact(dist, junk), "seed")
    outcome(lambda: transparent_lottery(junk), "dist")
    if not (isinstance(junk, int | float) and abs(junk) > 100):  # huge lotteries: only slow
        outcome(lambda: transparent_lottery(dist, junk), "m=", "ticket")
    outcome(lambda: DrawRecord.from_dict(junk), "draw record")


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(
    allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                  max_size=3), max_leaves=5)


@JUNK_SETTINGS
@given(tickets=st.lists(st.lists(st.text(max_size=3), min_size=1, max_size=3, unique=True),
                        min_size=1, max_size=5),
       data=st.data(), bad=json_values.filter(lambda v: not isinstance(v, str)))
def test_from_canonical_locates_a_corrupted_id(tickets: list[list[str]], data: st.DataObject,
                                               bad: Any) -> None:
    j = data.draw(st.integers(0, len(tickets) - 1))
    i = data.draw(st.integers(0, len(tickets[j]) - 1))
    good = TransparentLottery.from_canonical(lottery_doc(tickets))
    assert good.m == len(tickets)
    tickets[j][i] = bad
    with pytest.raises(InputError) as e:
        TransparentLottery.from_canonical(lottery_doc(tickets))
    assert [p.column for p in e.value.problems] == [f"tickets[{j}][{i}]"]
    assert "expected a string id" in str(e.value)
