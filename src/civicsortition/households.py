"""How the one-per-household rule changes individual chances.

With the rule, at most one person per household (invitation address) can sit on the panel, so
people who registered together compete for one seat; the other volunteers gain a little. The
exact effect depends on the quotas, so :func:`household_effect` computes the same fair lottery
with and without the rule and compares the per-person probabilities. The result holds only
aggregates (no ids or household keys) and enters the audit report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs
import numpy as np

from ._i18n import tr
from .algorithms import find_distribution
from .distribution import Distribution
from .numerics import COMPARE_TOL
from .pool import Pool
from .quotas import Quotas

__all__ = ["HouseholdEffect", "household_effect"]

CHANGE_TOL = COMPARE_TOL  # probabilities closer than this count as unchanged


@attrs.frozen
class HouseholdEffect:
    """Aggregate comparison of selection probabilities with and without the household rule.

    Attributes
    ----------
    algorithm : str
    households : int
        Households with more than one registration.
    people : int
        People living in such households.
    shared_mean_with, shared_mean_without : float
        Mean probability of those people with and without the rule.
    shared_household_with, shared_household_without : float
        Mean over those households of the chance that the household has a member on the panel
        (with the rule: the sum of its members' probabilities; without: at most that sum).
    others_mean_with, others_mean_without : float
        Mean probability of everyone else.
    minimum_with, minimum_without : float
        Smallest probability in the pool.
    largest_decrease : float
        Largest drop of one person's probability caused by the rule.
    decreased, increased : int
        People whose probability fell / rose by more than ``CHANGE_TOL``.
    """

    algorithm: str
    households: int
    people: int
    shared_mean_with: float
    shared_mean_without: float
    shared_household_with: float
    shared_household_without: float
    others_mean_with: float
    others_mean_without: float
    minimum_with: float
    minimum_without: float
    largest_decrease: float
    decreased: int
    increased: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return attrs.asdict(self)

    def lines(self) -> list[str]:
        """Plain-language sentences for reports."""
        if self.households == 0:
            return ["No two registrations share an address; the household rule changes nothing."]
        return [
            tr("{people} people registered from {households} shared addresses; at most one of "
               "each address can be selected.", people=self.people, households=self.households),
            tr("Their average chance is {shared_mean_with:.2%} with the rule and "
               "{shared_mean_without:.2%} without it ({algorithm}); the chance that such an "
               "address is represented is {shared_household_with:.2%} on average.",
               shared_mean_with=self.shared_mean_with,
               shared_mean_without=self.shared_mean_without, algorithm=self.algorithm,
               shared_household_with=self.shared_household_with),
            tr("Everyone else: {others_mean_with:.2%} with the rule, {others_mean_without:.2%} "
               "without. Minimum over the pool: {minimum_with:.2%} with, {minimum_without:.2%} "
               "without.",
               others_mean_with=self.others_mean_with,
               others_mean_without=self.others_mean_without,
               minimum_with=self.minimum_with, minimum_without=self.minimum_without),
            tr("{decreased} people lose chance (at most {largest_decrease:.2%}), {increased} "
               "gain.",
               decreased=self.decreased, largest_decrease=self.largest_decrease,
               increased=self.increased),
        ]


def _household_chance(pool: Pool, pi: np.ndarray, shared: list[str]) -> float:
    if not shared:
        return 0.0
    assert pool.households is not None
    index = {h: j for j, h in enumerate(shared)}
    sums = np.zeros(len(shared))
    for i, h in enumerate(pool.households):
        if h in index:
            sums[index[h]] += pi[i]
    return float(np.minimum(sums, 1.0).mean())


def household_effect(pool: Pool, quotas: Quotas, *, algorithm: str = "leximin",
                     with_rule: Distribution | None = None, **options: Any) -> HouseholdEffect:
    """Compare the fair lottery with and without the one-per-household rule.

    Parameters
    ----------
    pool : Pool
        With household keys (otherwise there is nothing to compare).
    quotas : Quotas
    algorithm : str
        Any registered algorithm id (default ``"leximin"``).
    with_rule : Distribution, optional
        An already computed lottery with the rule (saves one solve).
    **options
        Passed to :func:`~civicsortition.algorithms.find_distribution`.

    Returns
    -------
    HouseholdEffect
    """
    dist_with = with_rule if with_rule is not None else find_distribution(
        pool, quotas, algorithm=algorithm, households=True, **options)
    has_households = pool.households is not None
    dist_without = find_distribution(pool, quotas, algorithm=algorithm, households=False,
                                     **options) if has_households else dist_with
    p1, p0 = dist_with.marginals, dist_without.marginals
    sizes = Counter(h for h in pool.households or () if h is not None)
    shared = [h for h, c in sizes.items() if c > 1]
    shared_set = set(shared)
    mask = np.array([h in shared_set for h in (pool.households or [None] * pool.n)],
                    dtype=bool)

    def mean(a: np.ndarray, m: np.ndarray) -> float:
        return float(a[m].mean()) if m.any() else 0.0

    diff = p1 - p0
    return HouseholdEffect(
        algorithm=dist_with.details.algorithm, households=len(shared), people=int(mask.sum()),
        shared_mean_with=mean(p1, mask), shared_mean_without=mean(p0, mask),
        shared_household_with=_household_chance(pool, p1, shared),
        shared_household_without=_household_chance(pool, p0, shared),
        others_mean_with=mean(p1, ~mask), others_mean_without=mean(p0, ~mask),
        minimum_with=float(p1.min()), minimum_without=float(p0.min()),
        largest_decrease=float(max(0.0, -diff.min())) if diff.size else 0.0,
        decreased=int((diff < -CHANGE_TOL).sum()), increased=int((diff > CHANGE_TOL).sum()))
