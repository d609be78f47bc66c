"""Cross-checks against the peer library sortition-algorithms (skipped when not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import civicsortition as cs
from civicsortition.peer import peer_available, peer_distribution
from civicsortition.synthetic import synthetic_instance

pytestmark = pytest.mark.skipif(
    not peer_available(),
    reason="the peer library is not installed (pip install 'civicsortition[peer]'); "
           "cross-checks against sortition-algorithms skipped")

CASES = [(80, 10, 3, 0, 0.0), (120, 15, 4, 1, 0.0), (100, 12, 5, 2, 0.2), (150, 20, 4, 3, 0.3)]


@pytest.mark.parametrize(("n", "k", "c", "seed", "households"), CASES)
def test_maximin_minimum_equals_peer(n: int, k: int, c: int, seed: int,
                                     households: float) -> None:
    inst = synthetic_instance(n, k, c, seed=seed, households=households)
    hh = inst.pool.households is not None
    ours = cs.maximin(inst.pool, inst.quotas, households=hh)
    peer = peer_distribution(inst.pool, inst.quotas, "maximin", households=hh)
    assert ours.minimum == pytest.approx(float(peer.marginals.min()), abs=1e-6)
    assert peer.marginals.sum() == pytest.approx(k, abs=1e-6)


@pytest.mark.parametrize(("n", "k", "c", "seed", "households"), CASES)
def test_nash_allocation_equals_peer(n: int, k: int, c: int, seed: int,
                                     households: float) -> None:
    inst = synthetic_instance(n, k, c, seed=seed, households=households)
    hh = inst.pool.households is not None
    ours = cs.nash(inst.pool, inst.quotas, households=hh)
    peer = peer_distribution(inst.pool, inst.quotas, "nash", households=hh)
    # The Nash-optimal marginals are unique; the peer's solver stops at a looser tolerance.
    np.testing.assert_allclose(ours.marginals, peer.marginals, atol=2e-3)
    ours_welfare = float(np.sum(np.log(ours.marginals)))
    peer_welfare = float(np.sum(np.log(np.maximum(peer.marginals, 1e-300))))
    assert ours_welfare >= peer_welfare - 1e-6
