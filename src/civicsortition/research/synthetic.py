r"""Synthetic selection instances for research: realistic pools with quotas from a census.

**Model.** A population is a mixture of ``classes`` latent classes (weights drawn from a
Dirichlet(2) distribution); within class :math:`z` every category :math:`f` takes value
:math:`v` with probability :math:`\theta_{z,f,v}` (each class's distribution drawn from a
Dirichlet(``concentration``)). Categories are independent *given* the class and correlated
through it, as age, education and district are in real pools, so the number of distinct
profiles ("types") is a realistic share of ``n``: about 30-90% for 6-8 categories, as on the
published instances.

**Census.** The population margins :math:`P(f=v) = \sum_z w_z \theta_{z,f,v}` act as census
shares; quotas come from them by :func:`~civicsortition.quotas.build_quotas` (largest remainder,
±``band`` seats), with minimums capped at what the pool holds and the band widened seat by seat
until a panel exists (as organisers do).

**Self-selection.** Each class responds with its own rate (uniform in ``response``), so the pool
over-represents some classes and the quotas matter.

**Households.** With ``households=h``, a share ``h`` of the pool registers in pairs sharing a
household key (the second person of a pair copies the first one's value of the ``district``-like
last category, as housemates share an address).

Randomness is NumPy's ``default_rng(seed)``: reproducible for a given NumPy version (NumPy does
not promise identical streams across versions; the instance's :attr:`Instance.digest` tells
whether two runs had the same data).

:data:`PRESETS` holds the shapes (n, k, number of categories) of the ten published instances
(Flanigan et al., Nature 596, 2021; see ``shared/data/README.md``) and of the model case (36
seats, pools of 200-550).
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
import numpy as np

from .._i18n import tr
from ..algorithms.feasibility import feasible_profile
from ..census import Census
from ..errors import InputError
from ..pool import Pool
from ..program import PanelProgram
from ..quotas import Band, Quotas, ValueQuota, build_quotas
from ..strata import Strata

__all__ = ["CALIBRATED_SKEW", "PRESETS", "PUBLISHED_MINIMUM", "Instance", "preset",
           "synthetic_instance"]

#: name -> (n, k, categories): the published instances' shapes and the model case.
PRESETS: dict[str, tuple[int, int, int]] = {
    "sf_a": (312, 35, 6), "sf_b": (250, 20, 6), "sf_c": (161, 44, 7), "sf_d": (404, 40, 6),
    "sf_e": (1727, 110, 7), "cca": (825, 75, 4), "hd": (239, 30, 7), "mass": (70, 24, 5),
    "nexus": (342, 170, 5), "obf": (321, 30, 8),
    "rustavi_200": (200, 36, 4), "rustavi_350": (350, 36, 4), "rustavi_550": (550, 36, 4),
}

MAX_BAND_WIDENING = 20  # seats the quota band may grow by before giving up
SKEW_OVERSAMPLE = 8  # with skew > 0, the pool is n of 8n draws from the population


@attrs.frozen(eq=False)
class Instance:
    """A synthetic instance: pool, quotas and the census they came from.

    Attributes
    ----------
    name : str
    pool : Pool
    quotas : Quotas
    census : Census
        The population margins the quotas were built from.
    params : dict
        Every generator parameter (seed included), for the record.
    band : int
        The ± seat band the quotas ended up with.
    """

    name: str
    pool: Pool
    quotas: Quotas
    census: Census
    params: dict[str, Any]
    band: int

    @property
    def n_types(self) -> int:
        """Distinct category profiles in the pool."""
        return len(np.unique(self.pool.codes, axis=0))

    @property
    def digest(self) -> str:
        """SHA-256 of the pool codes, households and quotas (same digest = same data)."""
        h = hashlib.sha256(self.pool.codes.tobytes())
        h.update(repr(self.pool.households).encode())
        h.update(repr([(q.category, q.value, q.min, q.max) for q in self.quotas]).encode())
        return h.hexdigest()


def _check(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError.single("bad-parameter", tr("{name} must be an integer >= {low}",
                                                    name=name,
                                                    low=low),
                                column=name, value=repr(value))
    return int(value)


def synthetic_instance(n: int, k: int, categories: int = 6, *, seed: int = 0,
                       values: tuple[int, int] = (2, 5), classes: int = 6,
                       concentration: float = 0.7, response: tuple[float, float] = (0.3, 1.0),
                       households: float = 0.0, band: int = 1, skew: float = 0.0,
                       name: str | None = None) -> Instance:
    """Generate a pool of ``n`` and quotas for ``k`` seats over ``categories`` categories.

    Parameters
    ----------
    n, k : int
        Pool size and panel size (``1 <= k < n``).
    categories : int
        Number of categories.
    seed : int
        Seed of ``numpy.random.default_rng``.
    values : (int, int)
        Each category has between ``values[0]`` and ``values[1]`` values (inclusive).
    classes : int
        Latent classes.
    concentration : float
        Dirichlet parameter of the within-class distributions (smaller: more distinct classes,
        stronger correlation between categories).
    response : (float, float)
        Range of the classes' response rates (self-selection).
    households : float
        Share of the pool registered in two-person households.
    band : int
        Initial ± seat band of the quotas (widened until a panel exists).
    skew : float
        Value-level self-selection: every value of every category gets a response factor
        ``exp(skew · N(0, 1))`` and the pool is drawn with probability proportional to the
        product of its members' factors (0: none; the calibrated presets use 0.3-1.2).
    name : str, optional

    Returns
    -------
    Instance

    Examples
    --------
    >>> inst = synthetic_instance(120, 12, 4, seed=7)
    >>> inst.pool.n, inst.quotas.panel_size, len(inst.pool.strata)
    (120, 12, 4)
    """
    n = _check("n", n, 2)
    k = _check("k", k, 1)
    categories = _check("categories", categories, 1)
    classes = _check("classes", classes, 1)
    if k >= n:
        raise InputError.single("bad-parameter", tr("k must be smaller than n (got k={k}, n={n})",
                                                    k=k,
                                                    n=n),
                                column="k", value=str(k))
    lo_v, hi_v = (_check("values", v, 2) for v in values)
    if lo_v > hi_v:
        raise InputError.single("bad-parameter", "values must be (low, high) with low <= high",
                                column="values", value=repr(values))
    if not 0.0 <= households <= 1.0:
        raise InputError.single("bad-parameter", "households must be a share in [0, 1]",
                                column="households", value=repr(households))
    rng = np.random.default_rng(seed)
    sizes = rng.integers(lo_v, hi_v + 1, size=categories)
    class_w = rng.dirichlet(np.full(classes, 2.0))
    theta = [rng.dirichlet(np.full(int(s), concentration), size=classes) for s in sizes]
    rates = rng.uniform(response[0], response[1], size=classes)
    pool_w = class_w * rates / (class_w @ rates)
    # With value-level self-selection, draw a larger sample and keep n of it with
    # probability proportional to each person's response factor (skew = 0: no extra draws,
    # the random stream and the instances of earlier versions are unchanged).
    m = n if skew == 0 else SKEW_OVERSAMPLE * n
    z = rng.choice(classes, size=m, p=pool_w)
    # Vectorised categorical draws: one uniform per person and category.
    codes = np.empty((m, categories), dtype=np.int64)
    for c in range(categories):
        cum = np.cumsum(theta[c][z], axis=1)
        u = rng.random(m)[:, None]
        codes[:, c] = np.minimum((u > cum).sum(axis=1), sizes[c] - 1)
    if skew > 0:
        factor = np.ones(m)
        for c in range(categories):
            factor *= np.exp(skew * rng.standard_normal(int(sizes[c])))[codes[:, c]]
        keep = np.sort(rng.choice(m, size=n, replace=False, p=factor / factor.sum()))
        codes = codes[keep]
    keys: list[str | None] | None = None
    if households > 0:
        keys = [None] * n
        pairs = round(households * n / 2)
        order = rng.permutation(n)
        for j in range(pairs):
            a, b = int(order[2 * j]), int(order[2 * j + 1])
            keys[a] = keys[b] = f"H{j:05d}"
            codes[b, -1] = codes[a, -1]
    names = [f"cat{c}" for c in range(categories)]
    strata = Strata.from_mapping({names[c]: [f"v{j}" for j in range(int(sizes[c]))]
                                  for c in range(categories)})
    pool = Pool(strata, [f"p{i:05d}" for i in range(n)], codes, keys)
    margins = {names[c]: {f"v{j}": f"{float(class_w @ theta[c][:, j]):.12f}"
                          for j in range(int(sizes[c]))} for c in range(categories)}
    census = Census.from_shares(margins, tolerance="0.000001")
    counts = pool.value_counts()
    for b in range(band, band + MAX_BAND_WIDENING + 1):
        built = build_quotas(census, k, band=Band.seats(b))
        quotas = Quotas(k, [ValueQuota(q.category, q.value,
                                       min(q.min, counts[(q.category, q.value)]), q.max,
                                       provenance=q.provenance) for q in built])
        program = PanelProgram.build(pool, quotas, households=keys is not None)
        if feasible_profile(program) is not None:
            params = {"n": n, "k": k, "categories": categories, "seed": seed,
                      "values": list(values), "classes": classes,
                      "concentration": concentration, "response": list(response),
                      "households": households, "band": band, "skew": skew}
            return Instance(name or f"synthetic-n{n}-k{k}-c{categories}-s{seed}", pool, quotas,
                            census, params, b)
    raise InputError.single("no-feasible-instance", tr("no panel exists even with a ±{b}-seat "
                                                       "band; try other parameters", b=b),
                            value=str(seed))


def preset(name: str, *, seed: int = 0, households: float = 0.0,
           calibrated: bool = False) -> Instance:
    """An instance shaped like a published one (or the model case): see :data:`PRESETS`.

    With ``calibrated=True``, the published shapes get the value-level self-selection of
    :data:`CALIBRATED_SKEW`, which brings their LEXIMIN minimum (at seed 0) within ±25% of the
    published one (:data:`PUBLISHED_MINIMUM`); the plain presets are easier (minimums about
    1.1-2x the published ones).

    Examples
    --------
    >>> inst = preset("sf_a")
    >>> inst.pool.n, inst.quotas.panel_size
    (312, 35)
    """
    if name not in PRESETS:
        raise InputError.single("unknown-preset", tr("expected one of {presets}",
                                                     presets=sorted(PRESETS)),
                                value=name)
    if calibrated and name not in CALIBRATED_SKEW:
        raise InputError.single("no-calibration", tr("only the published shapes are calibrated: "
                                                     "{calibrated_skew}",
                                                     calibrated_skew=sorted(CALIBRATED_SKEW)),
                                value=name)
    n, k, c = PRESETS[name]
    skew = CALIBRATED_SKEW[name] if calibrated else 0.0
    return synthetic_instance(n, k, c, seed=seed, households=households, skew=skew,
                              name=f"{name}:calibrated" if calibrated else name)


#: Published LEXIMIN minimum probabilities of the ten real instances (Flanigan et al.,
#: Nature 596, 2021; ``shared/data/README.md``).
PUBLISHED_MINIMUM: dict[str, float] = {
    "sf_a": 0.067, "sf_b": 0.040, "sf_c": 0.086, "sf_d": 0.047, "sf_e": 0.026, "cca": 0.024,
    "hd": 0.051, "mass": 0.200, "nexus": 0.325, "obf": 0.047,
}

#: ``skew`` per published shape, chosen (seed 0, grid 0.1-1.2) so that the LEXIMIN minimum is
#: within ±25% of :data:`PUBLISHED_MINIMUM`; ``tests/test_synthetic.py`` checks it.
CALIBRATED_SKEW: dict[str, float] = {
    "sf_a": 0.3, "sf_b": 0.9, "sf_c": 0.5, "sf_d": 0.7, "sf_e": 0.9, "cca": 0.9, "hd": 0.7,
    "mass": 0.7, "nexus": 0.2, "obf": 0.5,
}
