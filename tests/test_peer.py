"""Cross-checks against the peer library sortition-algorithms (skipped when not installed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import civicsortition as cs
from civicsortition.research.peer import peer_available, peer_distribution
from civicsortition.research.synthetic import synthetic_instance

pytestmark = pytest.mark.skipif(
    not peer_available(),
    reason="the peer library is not installed (pip install 'civicsortition[peer]'); "
           "cross-checks against sortition-algorithms skipped")

CASES = [(80, 10, 3, 0, 0.0), (120, 15, 4, 1, 0.0), (100, 12, 5, 2, 0.2), (150, 20, 4, 3, 0.3)]


def _both(case: tuple[int, int, int, int, float], algorithm: str) -> tuple[Any, Any]:
    """Our and the peer's lottery of one algorithm on one synthetic instance."""
    n, k, c, seed, households = case
    inst = synthetic_instance(n, k, c, seed=seed, households=households)
    hh = inst.pool.households is not None
    ours = cs.find_distribution(inst.pool, inst.quotas, algorithm=algorithm, households=hh)
    return ours, peer_distribution(inst.pool, inst.quotas, algorithm, households=hh)


@pytest.mark.parametrize("case", CASES)
def test_maximin_minimum_equals_peer(case: tuple[int, int, int, int, float]) -> None:
    ours, peer = _both(case, "maximin")
    k = case[1]
    assert ours.minimum == pytest.approx(float(peer.marginals.min()), abs=1e-6)
    assert peer.marginals.sum() == pytest.approx(k, abs=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_nash_allocation_equals_peer(case: tuple[int, int, int, int, float]) -> None:
    ours, peer = _both(case, "nash")
    # The Nash-optimal marginals are unique; the peer's solver stops at a looser tolerance.
    np.testing.assert_allclose(ours.marginals, peer.marginals, atol=2e-3)
    ours_welfare = float(np.sum(np.log(ours.marginals)))
    peer_welfare = float(np.sum(np.log(np.maximum(peer.marginals, 1e-300))))
    assert ours_welfare >= peer_welfare - 1e-6
