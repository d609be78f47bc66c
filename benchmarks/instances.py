"""Synthetic benchmark instances shaped like the published ones (latent-class pools).

Not a public API (the research toolkit will provide one); used by the benchmark scripts only.
People are drawn from a latent-class model: a class is drawn first, then each category's
value from a class-specific distribution, so categories are correlated and the number of
distinct profiles is a realistic fraction of n. Self-selection: classes respond at different
rates, so the pool's shares differ from the population's. Quotas come from the population
shares by largest remainder with a ±band, widened until a panel exists.
"""

from __future__ import annotations

import numpy as np

import civicsortition as cs

#: name: (n, k, number of categories) as in shared/data/README.md.
SHAPES = {
    "sf_a": (312, 35, 6), "sf_b": (250, 20, 6), "sf_c": (161, 44, 7), "sf_d": (404, 40, 6),
    "sf_e": (1727, 110, 7), "cca": (825, 75, 4), "hd": (239, 30, 7), "mass": (70, 24, 5),
    "nexus": (342, 170, 5), "obf": (321, 30, 8), "rustavi": (300, 36, 4),
}


def make_instance(n: int, k: int, n_cats: int, *, seed: int = 0, classes: int = 6,
                  band: int = 1) -> tuple[cs.Pool, cs.Quotas]:
    """A pool of ``n`` and a quota table for ``k`` seats over ``n_cats`` categories."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 6, size=n_cats)
    class_w = rng.dirichlet(np.full(classes, 2.0))
    probs = [rng.dirichlet(np.full(s, 0.7), size=classes) for s in sizes]
    # Population margins (the "census").
    census = {f"cat{c}": {f"v{j}": float(class_w @ probs[c][:, j]) for j in range(sizes[c])}
              for c in range(n_cats)}
    response = rng.uniform(0.3, 1.0, size=classes)           # self-selection
    pool_w = class_w * response / (class_w @ response)
    cls = rng.choice(classes, size=n, p=pool_w)
    codes = np.column_stack([
        np.array([rng.choice(sizes[c], p=probs[c][z]) for z in cls]) for c in range(n_cats)])
    strata = cs.Strata.from_mapping({f"cat{c}": [f"v{j}" for j in range(sizes[c])]
                                     for c in range(n_cats)})
    pool = cs.Pool(strata, [str(i) for i in range(n)], codes)
    shares = cs.Census.from_shares(
        {c: {v: f"{x:.12f}" for v, x in vals.items()} for c, vals in census.items()},
        tolerance="0.000001")
    for b in range(band, band + 20):
        quotas = cs.build_quotas(shares, k, band=cs.Band.seats(b))
        counts = pool.value_counts()
        # Never ask for more of a value than the pool has.
        entries = [cs.ValueQuota(q.category, q.value, min(q.min, counts[(q.category, q.value)]),
                                 q.max, provenance=q.provenance) for q in quotas]
        quotas = cs.Quotas(k, entries)
        if cs.PanelProgram.build(pool, quotas).feasible_profile() is not None:
            return pool, quotas
    raise RuntimeError("could not make a feasible instance")


def shaped(name: str, seed: int = 0) -> tuple[cs.Pool, cs.Quotas]:
    """An instance shaped like a published one."""
    n, k, m = SHAPES[name]
    return make_instance(n, k, m, seed=seed)
