"""Strata, pools and the pre-solve diagnostics."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from civicsortition import Category, InputError, Pool, Quotas, Strata, ValueQuota, diagnose

STRATA = Strata.from_mapping({"sex": ["female", "male"], "age": ["young", "old"]})


def _records() -> list[dict[str, object]]:
    return [
        {"id": "p1", "sex": "female", "age": "young", "hh": "A"},
        {"id": "p2", "sex": "male", "age": "old", "hh": "A"},
        {"id": "p3", "sex": "female", "age": "old", "hh": ""},
    ]


# ---------------------------------------------------------------------------------- strata
def test_category_and_strata_validation() -> None:
    with pytest.raises(InputError) as info:
        Category("sex", ["f", "f", ""])
    assert set(info.value.codes) == {"duplicate-value", "empty-value"}
    with pytest.raises(InputError, match="unique"):
        Strata([Category("Sex", ["f"]), Category("sex", ["m"])])
    with pytest.raises(TypeError):
        Category("sex", "fm")
    with pytest.raises(InputError) as unknown:
        STRATA["sex"].code("Female")
    assert "did you mean 'female'" in str(unknown.value)
    assert STRATA.index("AGE") == 1
    assert list(STRATA.pairs())[2] == ("age", "young")
    assert STRATA.n_values == 4


# ------------------------------------------------------------------------------------ pool
def test_pool_from_records() -> None:
    recs = _records()
    before = copy.deepcopy(recs)
    pool = Pool.from_records(recs, strata=STRATA, id_field="id", household_field="hh")
    assert recs == before  # not mutated
    assert pool.ids == ("p1", "p2", "p3")
    assert pool.codes.tolist() == [[0, 0], [1, 1], [0, 1]]
    assert pool.households == ("A", "A", None)
    assert pool.count("sex", "female") == 2
    assert pool.value_counts()[("age", "old")] == 2
    assert pool.value_of(1, "sex") == "male"
    assert pool.index_of("p3") == 2
    with pytest.raises(ValueError, match="read-only"):
        pool.codes[0, 0] = 1
    assert [r["id"] for r in pool.records()] == ["p1", "p2", "p3"]


def test_pool_codes_are_a_copy() -> None:
    codes = np.array([[0, 1], [1, 0]])
    pool = Pool(STRATA, ["a", "b"], codes)
    codes[0, 0] = 1
    assert pool.codes[0, 0] == 0
    assert codes.flags.writeable  # the caller's array is untouched


def test_pool_infers_strata_sorted() -> None:
    pool = Pool.from_records(_records(), categories=["age", "sex"])
    assert pool.strata == Strata.from_mapping({"age": ["old", "young"],
                                               "sex": ["female", "male"]})
    assert pool.ids == ("0", "1", "2")


def test_pool_errors_collected() -> None:
    recs = _records() + [{"id": "p1", "sex": "Female", "age": None},
                         {"id": None, "sex": "male", "age": "old"}]
    with pytest.raises(InputError) as info:
        Pool.from_records(recs, strata=STRATA, id_field="id")
    assert sorted(info.value.codes) == ["duplicate-id", "missing-id", "missing-value",
                                        "unknown-value"]
    unknown = next(p for p in info.value.problems if p.code == "unknown-value")
    assert (unknown.row, unknown.column, unknown.value) == (3, "sex", "Female")


def test_pool_direct_construction_checks() -> None:
    with pytest.raises(InputError) as info:
        Pool(STRATA, ["a", "a"], [[0, 0], [0, 2]])
    assert set(info.value.codes) == {"duplicate-id", "code-out-of-range"}
    with pytest.raises(ValueError, match="3 entries"):
        Pool(STRATA, ["a", "b", "c"], [[0, 0], [0, 1]])


def test_pool_subset_equality_and_pickle() -> None:
    pool = Pool.from_records(_records(), strata=STRATA, id_field="id", household_field="hh")
    sub = pool.subset([2, 0])
    assert sub.ids == ("p3", "p1")
    assert sub.households == (None, "A")
    assert pickle.loads(pickle.dumps(pool)) == pool
    assert hash(pool) == hash(pickle.loads(pickle.dumps(pool)))
    assert sub != pool


def test_pool_from_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(_records())
    before = df.copy()
    pool = Pool.from_dataframe(df, strata=STRATA, id_column="id", household_column="hh")
    assert pool == Pool.from_records(_records(), strata=STRATA, id_field="id",
                                     household_field="hh")
    assert df.equals(before)
    df2 = pd.DataFrame({"sex": ["female", None], "age": ["old", "young"]})
    with pytest.raises(InputError) as info:
        Pool.from_dataframe(df2, strata=STRATA)
    assert info.value.codes == ("missing-value",)
    with pytest.raises(TypeError):
        Pool.from_dataframe([1, 2], strata=STRATA)


# ----------------------------------------------------------------------------- diagnostics
def _pool(rows: list[tuple[str, str]]) -> Pool:
    return Pool.from_records([{"sex": s, "age": a} for s, a in rows], strata=STRATA)


def _q(k: int, rows: list[tuple[str, str, int, int]]) -> Quotas:
    return Quotas(k, [ValueQuota(c, v, lo, hi) for c, v, lo, hi in rows])


def test_diagnose_clean() -> None:
    pool = _pool([("female", "young"), ("male", "old")] * 5)
    d = diagnose(pool, _q(4, [("sex", "female", 2, 2), ("sex", "male", 2, 2),
                              ("age", "young", 1, 3), ("age", "old", 1, 3)]))
    assert d.ok
    assert d.findings == ()
    assert str(d) == "no problems found"


def test_diagnose_every_error() -> None:
    pool = _pool([("female", "young")] * 3 + [("male", "young")])
    quotas = _q(6, [("sex", "female", 4, 5), ("sex", "male", 3, 6),
                    ("age", "young", 0, 1), ("age", "old", 0, 1),
                    ("district", "north", 0, 6)])
    d = diagnose(pool, quotas)
    assert not d.ok
    codes = d.codes()
    assert "panel-larger-than-pool" in codes
    assert "category-min-exceeds-panel" in codes       # 4 + 3 > 6
    assert "category-max-below-panel" in codes         # age: 1 + 1 < 6
    assert codes.count("pool-below-min") == 2          # 3 women < 4, 1 man < 3
    assert "category-missing-in-pool" in codes
    below = [f for f in d.errors if f.code == "pool-below-min"]
    assert {(f.category, f.value) for f in below} == {("sex", "female"), ("sex", "male")}
    assert "needs at least 4 but the pool has 3" in str(d)


def test_diagnose_warnings() -> None:
    strata = Strata.from_mapping({"sex": ["female", "male", "other"], "age": ["young", "old"]})
    pool = Pool.from_records([{"sex": "other", "age": "old"}, {"sex": "male", "age": "old"},
                              {"sex": "female", "age": "young"}], strata=strata)
    quotas = Quotas(2, [ValueQuota("sex", "female", 0, 2), ValueQuota("sex", "male", 0, 2),
                        ValueQuota("sex", "nonexistent", 0, 1)])
    d = diagnose(pool, quotas)
    assert d.ok
    assert set(d.codes()) == {"value-without-quota", "quota-for-absent-value",
                              "category-without-quota"}
    assert all(f.severity == "warning" for f in d.findings)


def test_unquoted_value_counts_as_unbounded_for_max() -> None:
    strata = Strata.from_mapping({"sex": ["female", "male", "other"]})
    pool = Pool.from_records([{"sex": v} for v in ["female", "male", "other"] * 3],
                             strata=strata)
    quotas = Quotas(6, [ValueQuota("sex", "female", 0, 2), ValueQuota("sex", "male", 0, 2)])
    assert "category-max-below-panel" not in diagnose(pool, quotas).codes()
