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
