"""Generate the embedded SYNTHETIC Rustavi-like registration pool (seeded, reproducible).

    python tools/make_rustavi_pool.py > src/civicsortition/examples/data/rustavi_synthetic_pool.csv

People are drawn from the synthetic census margins with self-selection: older and more
educated residents register more often (as observed in real assemblies), so the pool does not
mirror the city and quotas matter. About one registration in eight shares its invitation
address (household) with another. Nothing here describes real people.
"""

from __future__ import annotations

import csv
import sys

import numpy as np

import civicsortition as cs

SEED = 20261124
POOL_SIZE = 240


def main() -> None:
    rng = np.random.default_rng(SEED)
    census = cs.examples.rustavi_synthetic_census()
    cats = census.strata
    # Response propensity per value (self-selection), relative.
    propensity = {
        "age": {"18-29": 0.6, "30-39": 0.8, "40-49": 1.0, "50-64": 1.3, "65+": 1.2},
        "education": {"secondary-or-less": 0.7, "vocational": 0.9, "higher": 1.5},
    }
    rows = []
    household = 0
    while len(rows) < POOL_SIZE:
        person = {}
        weight = 1.0
        for cat in cats:
            shares = census.shares(cat.name)
            values = list(shares)
            p = np.array([float(shares[v]) for v in values])
            person[cat.name] = values[int(rng.choice(len(values), p=p))]
            weight *= propensity.get(cat.name, {}).get(person[cat.name], 1.0)
        if rng.random() > weight / 2.0:
            continue
        household += 1
        person["address"] = f"A{household:04d}"
        rows.append(person)
        if rng.random() < 0.07 and len(rows) < POOL_SIZE:  # a housemate registers too
            mate = dict(person)
            mate["sex"] = "male" if person["sex"] == "female" else "female"
            rows.append(mate)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "sex", "age", "education", "district", "address"])
    for i, r in enumerate(rows[:POOL_SIZE]):
        w.writerow([f"R{i + 1:03d}", r["sex"], r["age"], r["education"], r["district"],
                    r["address"]])


if __name__ == "__main__":
    main()
