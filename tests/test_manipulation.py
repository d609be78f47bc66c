"""The manipulation audit against brute force: every misreport, re-solved by the oracle."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from civicsortition import Pool, Quotas, ValueQuota
from civicsortition.errors import InputError
from civicsortition.research import manipulation_audit

from . import oracle


def _instance() -> tuple[Pool, Quotas]:
    pool = Pool.from_records([{"sex": s, "age": a} for s, a in zip("ffffmmmf", "yoyoyooy",
                                                                   strict=True)],
                             categories=["sex", "age"])
    quotas = Quotas(3, [ValueQuota("sex", "f", 1, 2), ValueQuota("sex", "m", 1, 2),
                        ValueQuota("age", "y", 1, 2), ValueQuota("age", "o", 1, 2)])
    return pool, quotas


def _uniform(pool: Pool, quotas: Quotas) -> np.ndarray | None:
    panels = oracle.feasible_panels(pool, quotas)
    return oracle.incidence(pool, panels).mean(axis=1) if panels else None


def _leximin(pool: Pool, quotas: Quotas) -> np.ndarray | None:
    return oracle.leximin_marginals(pool, quotas) if oracle.feasible_panels(pool, quotas) \
        else None


@pytest.mark.parametrize(("algorithm", "truth"), [("leximin", _leximin),
                                                  ("maxentropy", _uniform)])
def test_gains_match_brute_force(algorithm: str, truth) -> None:  # type: ignore[no-untyped-def]
    pool, quotas = _instance()
    audit = manipulation_audit(pool, quotas, [algorithm])
    honest = truth(pool, quotas)
    expected = []
    for i in range(pool.n):
        best = 0.0
        for report in itertools.product(*(range(len(c)) for c in pool.strata)):
            if report == tuple(pool.codes[i]):
                continue
            codes = np.array(pool.codes)
            codes[i] = report
            pi = truth(Pool(pool.strata, pool.ids, codes), quotas)
            if pi is not None:
                best = max(best, float(pi[i] - honest[i]))
        expected.append(best)
    np.testing.assert_allclose(audit.gains[algorithm], expected, atol=1e-6)
    row = audit.rows[0]
    assert row["exact"] is True
    assert row["max_gain"] == pytest.approx(max(expected), abs=1e-6)
    assert row["misreports"] == pool.n * 3                 # every other combination, each
    if algorithm == "maxentropy":                            # the uniform rule is manipulable
        assert row["max_gain"] > 0.01


def test_sampled_audits_are_reproducible_and_checked() -> None:
    pool, quotas = _instance()
    a = manipulation_audit(pool, quotas, ["leximin"], people=3, misreports=2, seed=7)
    b = manipulation_audit(pool, quotas, ["leximin"], people=3, misreports=2, seed=7)
    assert a.audited == b.audited
    assert len(a.audited) == 3
    assert a.rows[0]["misreports"] == 6
    assert a.rows[0]["exact"] is False
    np.testing.assert_array_equal(a.gains["leximin"], b.gains["leximin"])
    assert "| leximin |" in a.to_markdown()
    with pytest.raises(InputError):
        manipulation_audit(pool, quotas, ["nonsense"])
    with pytest.raises(InputError):
        manipulation_audit(pool, quotas, ["leximin"], people=0)


def _coalition_truth(pool: Pool, quotas: Quotas, truth, size: int  # type: ignore[no-untyped-def]
                     ) -> tuple[list[float], float, float]:
    """Every coalition of ``size``, every joint report, re-solved by the oracle."""
    honest = truth(pool, quotas)
    combos = list(itertools.product(*(range(len(c)) for c in pool.strata)))
    gains, member, harm = [], 0.0, 0.0
    for group in itertools.combinations(range(pool.n), size):
        best, best_member, best_harm = 0.0, 0.0, 0.0
        for joint in itertools.product(combos, repeat=size):
            codes = np.array(pool.codes)
            for i, report in zip(group, joint, strict=True):
                codes[i] = report
            if (codes == pool.codes).all():
                continue
            pi = truth(Pool(pool.strata, pool.ids, codes), quotas)
            if pi is None:
                continue
            rise = [float(pi[i] - honest[i]) for i in group]
            if sum(rise) > best:
                outside = [float(honest[j] - pi[j]) for j in range(pool.n) if j not in group]
                best, best_member, best_harm = sum(rise), max(rise), max([0.0, *outside])
        gains.append(best)
        member, harm = max(member, best_member), max(harm, best_harm)
    return gains, member, harm


@pytest.mark.parametrize(("algorithm", "truth"), [("leximin", _leximin),
                                                  ("maxentropy", _uniform)])
def test_coalition_gains_match_brute_force(algorithm: str, truth) -> None:  # type: ignore[no-untyped-def]
    pool, quotas = _instance()
    audit = manipulation_audit(pool, quotas, [algorithm], coalition=2)
    gains, member, harm = _coalition_truth(pool, quotas, truth, 2)
    assert audit.coalitions == tuple(itertools.combinations(range(pool.n), 2))
    np.testing.assert_allclose(audit.gains[algorithm], gains, atol=1e-6)
    row = audit.rows[0]
    assert row["coalition"] == 2
    assert row["exact"] is True
    assert row["misreports"] == 28 * 15                      # 4^2 - 1 joint reports each
    assert row["max_member_gain"] == pytest.approx(member, abs=1e-6)
    assert row["max_harm"] == pytest.approx(harm, abs=1e-6)
    if algorithm == "maxentropy":
        assert row["max_gain"] > 0.01


def test_sampled_coalitions_try_the_coordinated_reports() -> None:
    pool, quotas = _instance()
    audit = manipulation_audit(pool, quotas, ["leximin"], coalition=3, people=4,
                               misreports=5, seed=11)
    assert len(audit.coalitions) == 4
    assert all(len(g) == 3 for g in audit.coalitions)
    assert len(set(audit.coalitions)) == 4
    assert audit.audited == tuple(sorted({i for g in audit.coalitions for i in g}))
    row = audit.rows[0]
    assert row["exact"] is False
    # 5 drawn + the coordinated reports that differ from the truth (4 combinations each)
    coordinated = [sum(1 for v in itertools.product(range(2), range(2))
                       if any(tuple(pool.codes[i]) != v for i in g)) for g in audit.coalitions]
    assert row["misreports"] == sum(5 + c for c in coordinated)
    again = manipulation_audit(pool, quotas, ["leximin"], coalition=3, people=4,
                               misreports=5, seed=11)
    np.testing.assert_array_equal(audit.gains["leximin"], again.gains["leximin"])
    for bad in (0, pool.n + 1, True, 1.5):
        with pytest.raises(InputError) as info:
            manipulation_audit(pool, quotas, ["leximin"], coalition=bad)  # type: ignore[arg-type]
        assert info.value.problems[0].column == "coalition"
