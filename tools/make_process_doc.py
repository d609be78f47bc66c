"""Regenerate the figures of docs/process.md: two published procedures beside ours.

Usage (from the repository root)::

    python tools/make_process_doc.py            # rewrite the marked blocks of the page
    python tools/make_process_doc.py --check    # exit 1 (with a short diff) if they differ

The page compares two papers with this library:

* Flanigan, Gölz, Gupta and Procaccia, "Neutralizing self-selection bias in sampling for
  sortition" (NeurIPS 2020): :func:`civicsortition.propensity.estimate_propensity` and
  :func:`civicsortition.algorithms.end_to_end` against LEXIMIN, on synthetic cities whose
  response probabilities are known (product form, like the paper's model).
* Gölz, Maly, Schmidt-Kraepelin, Utke and Verpoort, "City sampling for citizens' assemblies"
  (arXiv:2509.07557, 2025): the clustered stage 1 (:class:`~civicsortition.invitations.Clustered`,
  :func:`~civicsortition.invitations.systematic_pps`) on a synthetic country of municipalities.

Only the blocks between ``<!-- process-figures:NAME -->`` and ``<!-- /process-figures:NAME -->``
are generated; the prose around them is written by hand. Every random choice is SHA-256 of a
fixed label (no NumPy random stream), so the instances are the same on every platform. The
figures are functions of selection *probabilities* only: LEXIMIN's marginals are unique, and
END-TO-END's are unique because its objective is strictly convex in them; which panel a solver
would draw never enters.

What ``--check`` compares: the text of every block, with each number allowed to differ by one
unit in its last printed digit (solver tolerances can move a rounded figure across a boundary).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any

import attrs
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicsortition import AddressFrame, Band, Census, Pool, Strata, build_quotas  # noqa: E402
from civicsortition.algorithms import end_to_end, find_distribution  # noqa: E402
from civicsortition.errors import InputError  # noqa: E402
from civicsortition.invitations import (  # noqa: E402
    Clustered,
    ClusterSample,
    Invitations,
    SimpleRandom,
    invite,
    systematic_pps,
)
from civicsortition.propensity import end_to_end_spread, estimate_propensity  # noqa: E402

DOC = ROOT / "docs" / "process.md"
COMMAND = "python tools/make_process_doc.py"
#: The generated blocks, in page order.
BLOCKS = ("end-to-end", "pps")

E2E_PAPER = ("Flanigan, Gölz, Gupta and Procaccia, *Neutralizing self-selection bias in "
             "sampling for sortition*, NeurIPS 2020 (arXiv:2006.10498)")
CITY_PAPER = ("Gölz, Maly, Schmidt-Kraepelin, Utke and Verpoort, *City sampling for citizens' "
              "assemblies*, arXiv:2509.07557 (2025)")
E2E_CODE = "https://github.com/pgoelz/endtoend"
SF_CODE = "https://github.com/sortitionfoundation/german-municipality-selection"

# ----------------------------------------------------------------------------- randomness


def uniform(*keys: object) -> float:
    """A number in [0, 1) from SHA-256 of the keys (the same on every platform)."""
    text = "civicsortition-process-doc\n" + "\n".join(str(k) for k in keys)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


def _pick(shares: Mapping[str, float], x: float) -> int:
    """Index of the value whose cumulative share first exceeds ``x``."""
    acc = 0.0
    for j, share in enumerate(shares.values()):
        acc += share
        if x < acc:
            return j
    return len(shares) - 1


# ----------------------------------------------------------------- part 1: self-selection
#: Population shares of the synthetic city (one dict per category).
SHARES: dict[str, dict[str, float]] = {
    "sex": {"female": 0.52, "male": 0.48},
    "age": {"18-34": 0.28, "35-59": 0.42, "60+": 0.30},
    "education": {"basic": 0.30, "middle": 0.45, "higher": 0.25},
}
#: True response factors per value (product form, as the paper's model and ours assume).
FACTORS: dict[str, dict[str, float]] = {
    "sex": {"female": 1.0, "male": 0.85},
    "age": {"18-34": 0.5, "35-59": 1.0, "60+": 1.4},
    "education": {"basic": 0.55, "middle": 1.0, "higher": 1.8},
}
#: Response probability of the reference combination: the population mean comes out near
#: the 2.9% of the Climate Assembly UK pool that the paper's figure script marks.
BASE = 0.03
#: Residents per address (letters go to addresses; everyone at an invited address may reply).
PER_ADDRESS = 2


@attrs.frozen
class Scenario:
    """One synthetic city and the pools drawn from it.

    Attributes
    ----------
    name : str
    people : int
        Residents ``N`` (``people / PER_ADDRESS`` addresses).
    letters : int
        Addresses invited per pool (simple random sample).
    panel_size : int
    pools : int
        Pools drawn (letters and replies redrawn, the population fixed).
    band : int
        Quota band: every value gets its proportional seats ± ``band``.
    """

    name: str
    people: int
    letters: int
    panel_size: int
    pools: int
    band: int = 2


#: The paper's scale (about 1,700 registrants, 110 seats) and a town's (about 350, 36 seats).
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("paper scale", 200_000, 30_000, 110, 12),
    Scenario("town scale", 40_000, 6_000, 36, 40),
)

#: The lotteries compared, in table order.
RULES: tuple[str, ...] = ("LEXIMIN", "END-TO-END, estimated q", "END-TO-END, true q")


@attrs.frozen(eq=False)
class City:
    """A synthetic population: each resident's values, address and true response probability."""

    people: int
    codes: np.ndarray          # (people, categories) value indices
    address: np.ndarray        # address index of each resident
    q: np.ndarray              # true response probability
    types: np.ndarray          # combination index of each resident
    type_counts: np.ndarray    # residents per combination
    digest: str                # SHA-256 of the data (identifies the instance)

    @property
    def census(self) -> Census:
        """Population counts per value (the census the fit is calibrated to)."""
        return Census.from_counts({c: dict(Counter(
            {v: int((self.codes[:, j] == i).sum()) for i, v in enumerate(SHARES[c])}))
            for j, c in enumerate(SHARES)})


def type_index(codes: np.ndarray) -> np.ndarray:
    """Combination index (mixed radix over the categories' value counts)."""
    out = np.zeros(len(codes), dtype=np.int64)
    for j, c in enumerate(SHARES):
        out = out * len(SHARES[c]) + codes[:, j]
    return out


def n_types() -> int:
    """Number of value combinations."""
    return math.prod(len(v) for v in SHARES.values())


def make_city(people: int, label: str) -> City:
    """The synthetic city ``label`` of ``people`` residents (deterministic)."""
    addresses = people // PER_ADDRESS
    codes = np.array([[_pick(SHARES[c], uniform(label, c, i)) for c in SHARES]
                      for i in range(people)], dtype=np.int64)
    address = np.array([int(uniform(label, "address", i) * addresses) for i in range(people)],
                       dtype=np.int64)
    factor = np.ones(people)
    for j, c in enumerate(SHARES):
        factor *= np.array(list(FACTORS[c].values()))[codes[:, j]]
    types = type_index(codes)
    digest = hashlib.sha256(codes.tobytes() + address.tobytes()).hexdigest()
    return City(people, codes, address, BASE * factor, types,
                np.bincount(types, minlength=n_types()), digest)


def address_ids(city: City) -> list[str]:
    """The addresses' identifiers."""
    return [f"A{a:06d}" for a in range(city.people // PER_ADDRESS)]


def draw_pool(city: City, letters: int, seed: str) -> tuple[Pool, Invitations, np.ndarray]:
    """Letters to ``letters`` addresses, replies with the true ``q``: (pool, letters, residents).

    The pool's household keys are the addresses; ``residents`` maps registrants to residents.
    """
    ids = address_ids(city)
    frame = AddressFrame(ids, {"zone": ["all"] * len(ids)})
    inv = invite(frame, SimpleRandom(letters), seed)
    invited = np.zeros(len(ids), dtype=bool)
    invited[[int(a[1:]) for a in inv.invited]] = True
    candidates = np.flatnonzero(invited[city.address])
    replies = np.array([uniform(seed, "reply", i) for i in candidates])
    residents = candidates[replies < city.q[candidates]]
    strata = Strata.from_mapping({c: list(v) for c, v in SHARES.items()})
    pool = Pool(strata, [f"R{i:06d}" for i in residents], city.codes[residents].tolist(),
                [ids[a] for a in city.address[residents]])
    return pool, inv, residents


@attrs.frozen
class PoolResult:
    """One pool's lotteries, per rule.

    ``spreads``: the end-to-end spread under the true ``q``; ``mass``: the selection
    probability each resident type received (for the population-level averages).
    """

    registrants: int
    spreads: dict[str, Any]
    mass: dict[str, np.ndarray]


def run_pool(city: City, scenario: Scenario, seed: str) -> PoolResult | str:
    """The three lotteries on one pool, or the error code of a propensity fit that failed."""
    pool, inv, residents = draw_pool(city, scenario.letters, seed)
    census = city.census
    k = scenario.panel_size
    quotas = build_quotas(census, k, band=Band.seats(scenario.band))
    try:
        fit = estimate_propensity(pool, inv, census, population=city.people, replicates=0)
    except InputError as exc:
        return exc.code
    q_true = city.q[residents]
    dists = {
        "LEXIMIN": find_distribution(pool, quotas, algorithm="leximin", households=False),
        "END-TO-END, estimated q": end_to_end(pool, quotas, targets=fit.weights,
                                              households=False, tol=1e-9),
        "END-TO-END, true q": end_to_end(pool, quotas, targets=1.0 / (fit.inclusion * q_true),
                                         households=False, tol=1e-9),
    }
    spreads, mass = {}, {}
    for rule, dist in dists.items():
        spreads[rule] = end_to_end_spread(dist.marginals, fit.inclusion, q_true,
                                          population=city.people, panel_size=k,
                                          covered=dist.covered)
        pi = np.asarray(dist.marginals, dtype=float)
        mass[rule] = np.bincount(city.types[residents], weights=pi, minlength=n_types())
    return PoolResult(pool.n, spreads, mass)


@attrs.frozen
class Study:
    """A scenario's pools and what they add up to."""

    scenario: Scenario
    city: City
    results: tuple[PoolResult, ...]
    failed: tuple[str, ...]

    def population_ratios(self, rule: str) -> np.ndarray:
        """Each type's end-to-end probability, averaged over the pools, over ``k/N``."""
        total = sum(r.mass[rule] for r in self.results)
        per_resident = total / (len(self.results) * self.city.type_counts)
        out: np.ndarray = per_resident / (self.scenario.panel_size / self.city.people)
        return out

    def resolution(self, rule: str) -> float:
        """Largest relative Monte-Carlo standard error of a type's average (over the pools)."""
        per_pool = np.array([r.mass[rule] / self.city.type_counts for r in self.results])
        mean = per_pool.mean(axis=0)
        se = per_pool.std(axis=0, ddof=1) / math.sqrt(len(self.results))
        return float((se / mean).max())


def run_study(scenario: Scenario, pools: int | None = None) -> Study:
    """Draw the scenario's city and ``pools`` pools (default ``scenario.pools``)."""
    city = make_city(scenario.people, f"city {scenario.name}")
    wanted = scenario.pools if pools is None else pools
    results: list[PoolResult] = []
    failed: list[str] = []
    j = 0
    while len(results) < wanted:
        j += 1
        result = run_pool(city, scenario, f"process doc {scenario.name} pool {j}")
        if isinstance(result, str):
            failed.append(result)
            if len(failed) > wanted:
                raise RuntimeError(f"{scenario.name}: the propensity fit failed too often")
            continue
        results.append(result)
    return Study(scenario, city, tuple(results), tuple(failed))


def weighted_gini(x: np.ndarray, w: np.ndarray) -> float:
    """Σ_ij w_i w_j |x_i − x_j| / (2 W² x̄), the weights' Gini coefficient of ``x``."""
    W = float(w.sum())
    mean = float(w @ x) / W
    diff = np.abs(x[:, None] - x[None, :])
    return float(w @ diff @ w) / (2 * W * W * mean)


# ------------------------------------------------------------------ part 2: city sampling
#: The synthetic country: municipalities in regions, log-normal populations.
REGIONS = 16
MUNICIPALITIES = 2_000
SIZE_MEDIAN = 2_500
SIZE_SIGMA = 1.6
#: Clusters and letters per cluster: the 80 municipalities and 20,000 letters of the
#: Sortition Foundation's German selection (``n*_init`` and ``L*`` in its notebook).
CLUSTERS = 80
PER_CLUSTER = 250
#: Simulated stage-A draws (each a fresh public seed) against the exact probabilities.
PPS_DRAWS = 500
#: The small address frame run through ``invite(..., Clustered(...))``.
TOWNS = 40
TOWN_CLUSTERS = 8
TOWN_LETTERS = 100
TOWN_DRAWS = 200


@attrs.frozen(eq=False)
class Country:
    """Clusters (municipalities, or parts of them) with a region, a population and a parent.

    ``parent`` names the municipality a cluster belongs to (itself unless it was split).
    """

    names: tuple[str, ...]
    region: tuple[int, ...]
    size: tuple[int, ...]
    parent: tuple[str, ...]

    def order(self, how: str) -> list[int]:
        """``"region"``: by region, then name; ``"hashed"``: by SHA-256 of the name."""
        if how == "region":
            return sorted(range(len(self.names)), key=lambda c: (self.region[c], self.names[c]))
        return sorted(range(len(self.names)), key=lambda c: uniform("order", self.names[c]))

    def sample(self, how: str, seed: str = "process doc pps") -> ClusterSample:
        """Stage A in the given order."""
        idx = self.order(how)
        return systematic_pps([self.names[c] for c in idx], [self.size[c] for c in idx],
                              CLUSTERS, seed)

    def split(self) -> Country:
        """Every municipality too large for the systematic step cut into equal parts.

        A part must stay below ``T / m`` (``T`` the total size), so that no cluster is a
        certainty unit and, with equal letters per cluster, every resident has the same
        chance of a letter; a large city can then receive several clusters' letters.
        """
        limit = Fraction(sum(self.size), CLUSTERS)
        names, region, size, parent = [], [], [], []
        for c, name in enumerate(self.names):
            parts = 1
            while Fraction(self.size[c], parts) >= limit:
                parts += 1
            base, extra = divmod(self.size[c], parts)
            for j in range(parts):
                names.append(name if parts == 1 else f"{name}/{j + 1}")
                region.append(self.region[c])
                size.append(base + (1 if j < extra else 0))
                parent.append(name)
        return Country(tuple(names), tuple(region), tuple(size), tuple(parent))


def make_country() -> Country:
    """The synthetic country (deterministic)."""
    dist = NormalDist(math.log(SIZE_MEDIAN), SIZE_SIGMA)
    names = tuple(f"M{c:04d}" for c in range(MUNICIPALITIES))
    sizes = tuple(max(50, round(math.exp(dist.inv_cdf(min(max(uniform("size", c), 1e-12),
                                                           1 - 1e-12)))))
                  for c in range(MUNICIPALITIES))
    region = tuple(int(uniform("region", c) * REGIONS) for c in range(MUNICIPALITIES))
    return Country(names, region, sizes, names)


@attrs.frozen
class Exact:
    """Exact figures of one stage-A design, over every sample the start can produce."""

    expected: Fraction                 # Σ π_c
    certainty: int
    chance_min: float                  # letter chance per resident over L/N
    chance_max: float
    contacted: tuple[int, int]         # fewest and most distinct municipalities
    worst: float                       # largest |drawn − expected| of a region (clusters)
    off_by_one: float                  # P(some region is a whole cluster or more off)
    mean_total: float                  # E Σ_regions |drawn − expected|
    region_mean: tuple[Fraction, ...]  # E (clusters drawn in region g)
    region_var: tuple[Fraction, ...]   # Var (clusters drawn in region g)


def exact_figures(country: Country, sample: ClusterSample) -> Exact:
    """Every figure of the exact table for ``sample`` (a stage A of ``country``)."""
    at = {c: j for j, c in enumerate(country.names)}
    expected = [Fraction(0)] * REGIONS
    for name, p in zip(sample.names, sample.inclusion, strict=True):
        expected[country.region[at[name]]] += p
    worst, off, total = Fraction(0), Fraction(0), Fraction(0)
    second = [Fraction(0)] * REGIONS
    contacted = []
    for p, chosen in sample.samples():
        drawn = Counter(country.region[at[c]] for c in chosen)
        dev = [abs(drawn.get(g, 0) - expected[g]) for g in range(REGIONS)]
        worst = max(worst, max(dev))
        off += p if max(dev) >= 1 else 0
        total += p * sum(dev)
        for g in range(REGIONS):
            second[g] += p * drawn.get(g, 0) ** 2
        contacted.append(len({country.parent[at[c]] for c in chosen}))
    chances = letter_chances(country, sample)
    return Exact(sum(sample.inclusion, Fraction(0)), len(sample.certainty),
                 float(chances.min()), float(chances.max()), (min(contacted), max(contacted)),
                 float(worst), float(off), float(total), tuple(expected),
                 tuple(s - e * e for s, e in zip(second, expected, strict=True)))


def letter_chances(country: Country, sample: ClusterSample) -> np.ndarray:
    """Each cluster's chance per resident of a letter, over ``L/N`` (1 = equal chances)."""
    size = dict(zip(country.names, country.size, strict=True))
    total = sum(country.size)
    out: np.ndarray = np.array([float(p) * PER_CLUSTER / size[c] for c, p in
                                zip(sample.names, sample.inclusion, strict=True)])
    return out / (CLUSTERS * PER_CLUSTER / total)


@attrs.frozen
class Simulation:
    """Stage-A frequencies over fresh seeds against the exact probabilities."""

    draws: int
    max_abs: float        # max_c |frequency − π_c|
    max_region_z: float   # max_g |mean drawn in g − E| / sqrt(Var / draws) (exact moments)
    clusters_per_draw: tuple[int, int]   # fewest and most distinct clusters in a draw


def simulate(country: Country, how: str, draws: int) -> Simulation:
    """``draws`` independent stage-A draws (seed ``"process doc pps draw i"``)."""
    exact = country.sample(how)
    moments = exact_figures(country, exact)
    pos = {c: j for j, c in enumerate(exact.names)}
    at = {c: j for j, c in enumerate(country.names)}
    hits = np.zeros(len(exact.names))
    region_total = np.zeros(REGIONS)
    counts = []
    for i in range(draws):
        s = country.sample(how, f"process doc pps draw {i}")
        counts.append(len(set(s.chosen)))
        hits[[pos[c] for c in s.chosen]] += 1
        for c in s.chosen:
            region_total[country.region[at[c]]] += 1
    pi = np.array([float(p) for p in exact.inclusion])
    mean = np.array([float(m) for m in moments.region_mean])
    var = np.array([float(v) for v in moments.region_var])
    z = [abs(region_total[g] / draws - mean[g]) / math.sqrt(var[g] / draws)
         for g in range(REGIONS) if var[g] > 0]
    return Simulation(draws, float(np.abs(hits / draws - pi).max()), float(max(z, default=0.0)),
                      (min(counts), max(counts)))


@attrs.frozen
class TownRun:
    """``invite(frame, Clustered(...))`` on a small frame: exactness and frequencies."""

    addresses: int
    formula_error: float      # max |Invitations.inclusion − π_c n / N_c|
    distinct_clusters: int
    max_z: float              # per town: invitations / (draws · N_c) against π_a


def town_run(draws: int = TOWN_DRAWS) -> TownRun:
    """The small-frame check of the whole clustered design."""
    ids: list[str] = []
    town: list[str] = []
    sizes = [150 + int(uniform("town size", t) * 1_350) for t in range(TOWNS)]
    for t, n in enumerate(sizes):
        ids += [f"T{t:02d}-{j:05d}" for j in range(n)]
        town += [f"T{t:02d}"] * n
    frame = AddressFrame(ids, {"town": town})
    design = Clustered(TOWN_CLUSTERS, TOWN_LETTERS, by="town")
    first = invite(frame, design, "process doc town 0")
    assert first.clusters is not None
    prob = {c: float(p) for c, p in zip(first.clusters.names, first.clusters.inclusion,
                                        strict=True)}
    formula = np.array([prob[t] * TOWN_LETTERS / sizes[int(t[1:])] for t in town])
    error = float(np.abs(np.asarray(first.inclusion) - formula).max())
    distinct = len({a.split("-")[0] for a in first.invited})
    letters: Counter[str] = Counter()
    for i in range(draws):
        inv = first if i == 0 else invite(frame, design, f"process doc town {i}")
        letters.update(a.split("-")[0] for a in inv.invited)
    z = []
    for t, n in enumerate(sizes):
        name = f"T{t:02d}"
        pa = prob[name] * TOWN_LETTERS / n
        freq = letters.get(name, 0) / (draws * n)
        # a town's letters come in blocks of TOWN_LETTERS: the variance is the town's
        se = math.sqrt(prob[name] * (1 - prob[name]) / draws) * TOWN_LETTERS / n
        z.append(abs(freq - pa) / se if se > 0 else 0.0)
    return TownRun(len(ids), error, distinct, max(z))


# ------------------------------------------------------------------------------ formatting
def sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, trailing zeros kept ("n/a" if not finite)."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    text = f"{x:#.{digits}g}"
    if "e" in text:
        return f"{x:.{digits - 1}e}"
    return text.rstrip(".")


def fixed(x: float, decimals: int = 3) -> str:
    """``x`` to ``decimals`` places, without a negative zero."""
    x = round(x, decimals)
    return f"{0.0 if x == 0 else x:.{decimals}f}"


def pct(x: float) -> str:
    """A probability as a percentage, two significant digits."""
    return f"{sig(100 * x, 2)}%"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def redrawn(failed: Sequence[str]) -> str:
    """The sentence on pools whose propensity fit raised (and were replaced by the next)."""
    if not failed:
        return "every pool's propensity fit succeeded."
    codes = ", ".join(f"`{c}` ×{n}" for c, n in sorted(Counter(failed).items()))
    return (f"{len(failed)} pool(s) skipped (and the next seed drawn) because "
            f"`estimate_propensity` raised: {codes}.")


def end_to_end_block(studies: Sequence[Study]) -> str:
    """The generated block of the self-selection part."""
    paper_scale = studies[0]
    city = paper_scale.city
    q = city.q
    lines = [
        "#### Setup beside the paper's", "",
        _row(["", "paper (Climate Assembly UK data, synthetic population)", "ours (synthetic "
              "city, known response probabilities)"]),
        "|---|---|---|",
        _row(["population", "n = 60,000,000 (`end_to_end_experiments.py`)",
              f"N = {city.people:,} residents at {city.people // PER_ADDRESS:,} addresses"]),
        _row(["letters", "r = 10,000 to 15,000 and 60,000 recipients drawn uniformly "
              "(README commands; 30,000 addresses in the real recruitment, "
              "`pool_experiments.py`)", f"{paper_scale.scenario.letters:,} addresses "
              "(simple random sample, everyone at the address may reply)"]),
        _row(["response model", "product form fitted to the real pool against the European "
              "Social Survey 2016 (\"contaminated controls\"); mean q 2.9% (label in "
              "`make_figures.py`)", "product form with known factors; population mean q "
              f"{pct(float(q.mean()))}, range {pct(float(q.min()))} to {pct(float(q.max()))}"]),
        _row(["features", "gender, age, education, region, urban/rural, ethnicity "
              "(climate concern dropped)", ", ".join(SHARES)]),
        _row(["panel", "k = 110", " / ".join(f"k = {s.scenario.panel_size}" for s in studies)]),
        _row(["pools averaged", "100,000 per r (`--steps 100000`)",
              " / ".join(f"{len(s.results)}" for s in studies)]),
        _row(["lottery", "π_i ∝ 1/q_i, capped at 1, then rounded to panels by a Beck-Fiala "
              "column generation", "`end_to_end`: the quota-feasible lottery closest to "
              "τ_i ∝ 1/(π^inv_i q_i) (unique marginals)"]),
        _row(["baseline", "the Sortition Foundation's greedy algorithm", "LEXIMIN (equal "
              "chances within the pool)"]),
        _row(["figure", "body: r = 60,000, each background agent's end-to-end probability "
              "against q_i, plotted between 0.9·k/n and 1.1·k/n, counting only the pools that "
              "meet the paper's conditions (`make_figures.py`, `end_to_end_experiments.py`); "
              "its values are not quoted here", "the population-level tables below (every "
              "pool counts)"]),
        "",
    ]
    for study in studies:
        s = study.scenario
        sizes = [r.registrants for r in study.results]
        lines += [
            f"#### {s.name.capitalize()}: {len(study.results)} pools of "
            f"{min(sizes):,} to {max(sizes):,} registrants, {s.panel_size} seats", "",
            f"City digest `{study.city.digest[:16]}`; quotas: proportional seats ± {s.band} "
            f"per value of {', '.join(SHARES)}; " + redrawn(study.failed), "",
            "Per pool, over its registrants: e_i / (k/N) with e_i = π^inv_i q_i π_i and the "
            "*true* q (`end_to_end_spread`); the mean over the pools, and the worst pool in "
            "brackets.", "",
            _row(["lottery", "min", "max", "max / min", "Gini"]),
            "|---|---:|---:|---:|---:|",
        ]
        for rule in RULES:
            sp = [r.spreads[rule] for r in study.results]
            lines.append(_row([
                rule,
                f"{sig(float(np.mean([x.minimum for x in sp])))} "
                f"[{sig(min(x.minimum for x in sp))}]",
                f"{sig(float(np.mean([x.maximum for x in sp])))} "
                f"[{sig(max(x.maximum for x in sp))}]",
                f"{sig(float(np.mean([x.ratio for x in sp])))} "
                f"[{sig(max(x.ratio for x in sp))}]",
                f"{fixed(float(np.mean([x.gini for x in sp])))} "
                f"[{fixed(max(x.gini for x in sp))}]"]))
        lines += [
            "", f"Population level, as in the paper's figure: each of the {n_types()} "
            "resident types' end-to-end probability averaged over the pools, over k/N "
            "(Gini weighted by the residents of each type). The last column is the largest "
            "Monte-Carlo standard error of a type's average, relative: differences smaller "
            "than about twice it are noise of the few pools.", "",
            _row(["lottery", "min", "max", "max / min", "Gini", "MC s.e."]),
            "|---|---:|---:|---:|---:|---:|",
        ]
        for rule in RULES:
            x = study.population_ratios(rule)
            lines.append(_row([rule, sig(float(x.min())), sig(float(x.max())),
                               sig(float(x.max() / x.min())),
                               fixed(weighted_gini(x, study.city.type_counts.astype(float))),
                               pct(study.resolution(rule))]))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


#: The stage-A designs of the exact table: (label, split large cities, systematic order).
DESIGNS: tuple[tuple[str, bool, str], ...] = (
    ("municipalities, ordered by region", False, "region"),
    ("municipalities, hashed order (no geography)", False, "hashed"),
    ("large cities split into parts, ordered by region", True, "region"),
)


def pps_block(country: Country, sims: Sequence[tuple[str, Simulation]], town: TownRun) -> str:
    """The generated block of the city-sampling part."""
    total = sum(country.size)
    rows = []
    for label, split, how in DESIGNS:
        units = country.split() if split else country
        ex = exact_figures(units, units.sample(how))
        rows.append(_row([label, f"{len(units.names):,}", str(ex.expected), str(ex.certainty),
                          sig(ex.chance_min), sig(ex.chance_max),
                          f"{ex.contacted[0]} to {ex.contacted[1]}", sig(ex.worst),
                          sig(ex.off_by_one), sig(ex.mean_total)]))
    big = max(country.size)
    lines = [
        "#### Setup beside the paper's", "",
        _row(["", "paper / practitioners", "ours"]),
        "|---|---|---|",
        _row(["units", "German municipalities (the paper evaluates on \"data from "
              "Germany\"; the Sortition Foundation's notes: about 15,000 municipalities, "
              "N ≈ 80 million)", f"{MUNICIPALITIES:,} synthetic municipalities in {REGIONS} "
              f"regions, log-normal sizes (median {SIZE_MEDIAN:,}, largest {big:,}), "
              f"N = {total:,}"]),
        _row(["cities drawn", "80 to 100 (notes), 80 in the notebook (`n*_init`)",
              f"m = {CLUSTERS} clusters"]),
        _row(["letters", "L* = 20,000 (notebook), about 250 per municipality (notes)",
              f"{PER_CLUSTER} per drawn cluster, {CLUSTERS * PER_CLUSTER:,} in all"]),
        _row(["design", "paper: LP, greedy and column-generation algorithms for equal "
              "chances from few cities; practitioners: PPS systematic within size-and-state "
              "groups, letters corrected per municipality", "`systematic_pps` on population "
              "sizes with certainty units, equal letters per cluster (`Clustered`)"]),
        "",
        "#### Exact figures (every possible sample enumerated)", "",
        _row(["stage A", "clusters", "Σ π_c", "certainty", "letter chance min", "max",
              "municipalities contacted", "worst region deviation", "P(a region ≥ 1 off)",
              "E Σ abs(deviation)"]),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows, "",
        "#### Simulated against exact", "",
        _row(["check", "result"]),
        "|---|---|",
    ]
    for label, sim in sims:
        lines.append(_row([f"stage A, {label}, {sim.draws:,} fresh seeds",
                           f"max over clusters of abs(frequency − π_c) = {sig(sim.max_abs)}; "
                           f"largest z of a region's mean number of clusters = "
                           f"{sig(sim.max_region_z)}; distinct clusters per draw "
                           f"{sim.clusters_per_draw[0]} to {sim.clusters_per_draw[1]}"]))
    lines += [
        _row([f"`invite(frame, Clustered({TOWN_CLUSTERS}, {TOWN_LETTERS}, by=\"town\"))`, "
              f"{town.addresses:,} addresses in {TOWNS} towns",
              "`Invitations.inclusion` equals π_c · n / N_c to "
              f"{'1e-12' if town.formula_error <= 1e-12 else sig(town.formula_error)}; "
              f"{town.distinct_clusters} distinct towns invited"]),
        _row([f"the same, {TOWN_DRAWS} fresh seeds", "largest z of a town's letters per "
              f"address against π_a = {sig(town.max_z)}"]),
    ]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------- the page
def _markers(name: str) -> tuple[str, str]:
    return f"<!-- process-figures:{name} -->", f"<!-- /process-figures:{name} -->"


def extract(text: str, name: str) -> str | None:
    """The content of block ``name`` (None when its markers are missing)."""
    start, end = _markers(name)
    m = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), text, flags=re.S)
    return None if m is None else m.group(1)


def replace(text: str, name: str, content: str) -> str:
    """``text`` with block ``name`` replaced by ``content`` (KeyError if it has no markers)."""
    start, end = _markers(name)
    pattern = re.escape(start) + r"\n.*?" + re.escape(end)
    if re.search(pattern, text, flags=re.S) is None:
        raise KeyError(f"{DOC.name} has no block {start} ... {end}")
    return re.sub(pattern, lambda _: f"{start}\n{content}{end}", text, count=1, flags=re.S)


_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")


def _unit(token: str) -> float:
    """One unit in the last printed digit of a number token."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def same(a: str, b: str) -> bool:
    """Whether two blocks agree: same text, numbers within one unit of their last digit."""
    ta, tb = _NUMBER.split(a), _NUMBER.split(b)
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    if ta != tb or len(na) != len(nb):
        return False
    for x, y in zip(na, nb, strict=True):
        fx, fy = float(x.replace(",", "")), float(y.replace(",", ""))
        if abs(fx - fy) > 1.01 * max(_unit(x), _unit(y)):
            return False
    return True


def build(*, pools: int | None = None) -> dict[str, str]:
    """Compute every block."""
    studies = [run_study(s, pools) for s in SCENARIOS]
    country = make_country()
    sims = [("municipalities by region", simulate(country, "region", PPS_DRAWS)),
            ("large cities split", simulate(country.split(), "region", PPS_DRAWS))]
    return {"end-to-end": end_to_end_block(studies), "pps": pps_block(country, sims, town_run())}


def main(argv: list[str] | None = None) -> int:
    """Rewrite the page's blocks, or with ``--check`` compare them."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the blocks of docs/process.md are out of date")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    text = DOC.read_text(encoding="utf-8")
    fresh = build()
    if args.check:
        stale = []
        for name in BLOCKS:
            current = extract(text, name)
            if current is None or not same(current, fresh[name]):
                stale.append(name)
                diff = difflib.unified_diff((current or "").splitlines(),
                                            fresh[name].splitlines(), "on disk", "fresh run",
                                            lineterm="", n=0)
                print("\n".join(list(diff)[:30]))
        if stale:
            print(f"out of date: {DOC.name} blocks {', '.join(stale)} (run {COMMAND})")
            return 1
        print(f"up to date: {DOC.name} ({time.perf_counter() - start:.0f} s)")
        return 0
    for name in BLOCKS:
        text = replace(text, name, fresh[name])
    DOC.write_text(text, encoding="utf-8")
    print(f"written: {DOC} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
