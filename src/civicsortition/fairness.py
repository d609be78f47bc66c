r"""Fairness metrics on selection probabilities, comparisons and the group view.

All metrics are pure functions of the marginals :math:`\pi_1, \dots, \pi_n` of the people on
some feasible panel (people on none are reported separately, as their zero is forced):

* ``minimum`` and ``maximum``; ``max_min_ratio`` = max / min (inf when min = 0);
* ``gini``: :math:`G = \frac{\sum_i \sum_j |\pi_i - \pi_j|}{2 n^2 \bar\pi}`, computed from the
  sorted values as :math:`\frac{2 \sum_i i\,\pi_{(i)}}{n \sum_i \pi_i} - \frac{n+1}{n}`;
* ``geometric_mean``: :math:`\exp(\frac1n \sum_i \log \pi_i)` (0 if someone has 0);
* ``share_below(τ)``: fraction of people with :math:`\pi_i < τ`;
* ``leximin profile``: the sorted vector itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ._typing import FloatArray
from .census import Census
from .distribution import Distribution
from .errors import InputError
from .numerics import COMPARE_TOL

__all__ = ["FairnessMetrics", "compare", "fairness_metrics", "group_view",
           "plot_probabilities"]



@attrs.frozen(eq=False)
class FairnessMetrics:
    """Summary statistics of selection probabilities (see the module docstring)."""

    n: int
    minimum: float
    maximum: float
    mean: float
    gini: float
    geometric_mean: float
    max_min_ratio: float
    profile: FloatArray

    def share_below(self, threshold: float) -> float:
        """Fraction of people whose probability is below ``threshold``."""
        return float(np.mean(self.profile < threshold)) if self.n else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (without the full profile)."""
        return {"n": self.n, "minimum": self.minimum, "maximum": self.maximum,
                "mean": self.mean, "gini": self.gini, "geometric_mean": self.geometric_mean,
                "max_min_ratio": (None if not np.isfinite(self.max_min_ratio)
                                  else self.max_min_ratio)}


def fairness_metrics(marginals: Sequence[float] | FloatArray) -> FairnessMetrics:
    """Metrics of a vector of selection probabilities.

    Examples
    --------
    >>> m = fairness_metrics([0.1, 0.1, 0.2, 0.6])
    >>> round(m.gini, 4), round(m.max_min_ratio, 6), round(m.geometric_mean, 4)
    (0.4, 6.0, 0.1861)
    """
    p = np.sort(np.asarray(marginals, dtype=float))
    n = len(p)
    if n == 0:
        return FairnessMetrics(0, 0.0, 0.0, 0.0, 0.0, 0.0, float("inf"), p)
    total = float(p.sum())
    # The Gini coefficient is scale-free: computing it on p / max(p) keeps subnormal inputs
    # (found by Hypothesis: [0, 5e-324, 5e-324]) from losing every digit in the division.
    scaled = p / p[-1] if p[-1] > 0 else p
    gini = (float(2 * np.arange(1, n + 1) @ scaled / (n * scaled.sum()) - (n + 1) / n)
            if total > 0 else 0.0)
    gini = min(max(gini, 0.0), 1.0)  # rounding can leave it a hair outside [0, 1]
    geo = float(np.exp(np.mean(np.log(p)))) if p[0] > 0 else 0.0
    with np.errstate(over="ignore"):
        ratio = float(p[-1] / p[0]) if p[0] > 0 else float("inf")
    return FairnessMetrics(n, float(p[0]), float(p[-1]), total / n, gini, geo, ratio, p)


def compare(distributions: Mapping[str, Distribution]) -> list[dict[str, Any]]:
    """Side-by-side table of several lotteries on the same instance (one row each).

    Columns: name, algorithm, minimum, maximum, gini, geometric_mean, max_min_ratio,
    ``share_below_best_minimum`` (people below the best minimum of the compared lotteries,
    the LEXIMIN minimum when LEXIMIN is among them; "below" means by more than
    :data:`~civicsortition.numerics.COMPARE_TOL`, the precision certificates promise),
    support (profiles), seconds, gap, converged.
    """
    metrics = {name: fairness_metrics(d.marginals[d.covered]) for name, d in distributions.items()}
    best = max((m.minimum for m in metrics.values()), default=0.0)
    rows = []
    for name, d in distributions.items():
        m = metrics[name]
        rows.append({"name": name, "algorithm": d.details.algorithm, **m.as_dict(),
                     "share_below_best_minimum": m.share_below(best - COMPARE_TOL),
                     "support": int((d.probabilities > 0).sum()),
                     "seconds": d.details.seconds, "gap": d.details.gap,
                     "converged": d.details.converged})
    return rows


def group_view(dist: Distribution, census: Census | None = None) -> list[dict[str, Any]]:
    """Per category value: pool count and share, expected seats, quota, census seats.

    Joint quota rows (``sex×age``) follow the single categories, one row per combination
    with a quota.

    ``expected_seats`` is the sum of members' probabilities (what the lottery gives the group
    on average); ``pool_seats`` = pool share × k (what a uniform draw from the pool would give);
    ``census_seats`` = census share × k (what proportionality to the population asks).
    """
    prog = dist.program
    pool, quotas = prog.pool, prog.quotas
    k = quotas.panel_size
    pi = dist.marginals
    bounds = {(q.category, q.value): (q.min, q.max) for q in quotas}
    rows = []
    for cat in pool.strata:
        for value in cat.values:
            mask = pool.mask(cat.name, value)
            count = int(mask.sum())
            row: dict[str, Any] = {
                "category": cat.name, "value": value, "pool_count": count,
                "pool_seats": k * count / pool.n, "expected_seats": float(pi[mask].sum()),
                "quota_min": bounds.get((cat.name, value), (None, None))[0],
                "quota_max": bounds.get((cat.name, value), (None, None))[1]}
            if census is not None:
                share = census.shares(cat.name).get(value)
                row["census_seats"] = None if share is None else k * float(share)
            rows.append(row)
    for q in quotas.joint:  # a joint row's combination: the people holding every part
        mask = q.mask(pool)
        count = int(mask.sum())
        row = {"category": q.category, "value": q.value, "pool_count": count,
               "pool_seats": k * count / pool.n, "expected_seats": float(pi[mask].sum()),
               "quota_min": q.min, "quota_max": q.max}
        if census is not None:
            try:
                share = census.share(q.category, q.value)
            except InputError:  # the census has no such cross table
                share = None
            row["census_seats"] = None if share is None else k * float(share)
        rows.append(row)
    return rows


def plot_probabilities(distributions: Mapping[str, Distribution | Sequence[float] | FloatArray],
                       ax: Any = None) -> Any:
    """Each person's selection probability, sorted, one line per lottery (needs matplotlib).

    Like Figure 2 of Flanigan et al. (Nature 2021). Values may be distributions or plain
    probability vectors (for example another library's marginals). Returns the matplotlib Axes.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install civicsortition[plots]``).
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'civicsortition[plots]'") from e
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for name, d in distributions.items():
        p = np.sort(d.marginals if isinstance(d, Distribution) else np.asarray(d, dtype=float))
        ax.plot(np.arange(1, len(p) + 1), p, label=name, drawstyle="steps-post")
    first = next((d for d in distributions.values() if isinstance(d, Distribution)), None)
    if first is not None:
        prog = first.program
        ax.axhline(prog.panel_size / prog.pool.n, color="grey", linestyle=":",
                   label="k / n (no quotas)")
    ax.set_xlabel("pool members, sorted by selection probability")
    ax.set_ylabel("selection probability")
    ax.legend()
    return ax
