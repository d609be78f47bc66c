r"""Response propensities: who registers, estimated from the letters, the pool and the census.

Self-selection makes some groups register at a fraction of others' rates, so a lottery fair
to the pool is not fair to the population (Flanigan, Gölz, Gupta and Procaccia, "Neutralizing
self-selection bias in sampling for sortition", NeurIPS 2020). This module estimates each
registered person's *response probability* :math:`q_i` and the selection targets that make
the end-to-end chance

.. math:: P(\text{invited}) \cdot P(\text{registers}) \cdot P(\text{selected} \mid \text{pool})
          = \pi^{\mathrm{inv}}_i \, q_i \, \pi_i

as equal as the quotas allow.

**Model.** Product form (log-linear, main effects): over the modelled categories :math:`c`,
:math:`q_i = \exp(\alpha + \sum_c \beta_{c, v_c(i)})`, the first value of each category the
reference (:math:`\beta = 0`). Everyone at an invited address registers independently with
their own :math:`q`.

**Calibration (Horvitz–Thompson).** With :math:`d_i = 1/\pi^{\mathrm{inv}}_i`, the weight
:math:`d_i / q_i` is the number of residents registrant :math:`i` stands for, and
:math:`\mathbb{E} \sum_{i \in R,\, v_c(i) = v} d_i / q_i = N_{c,v}` (the census count of value
:math:`v`). The estimating equations are those expectations made exact:

.. math:: \sum_{i \in R:\, v_c(i) = v} \frac{d_i}{q_i} = N_{c,v} = N \, s_{c,v}
          \quad \text{for every category } c \text{ and value } v,

with :math:`N` the population and :math:`s` the census shares. They are the stationarity
conditions of the strictly convex function (on the identified parameters)

.. math:: L(\theta) = \sum_{i \in R} d_i\, e^{-x_i^\top \theta} + T^\top \theta,

with :math:`x_i` the intercept-plus-dummies row of person :math:`i` and :math:`T` the census
counts (:math:`N` for the intercept), so they are solved exactly by Newton's method with a
backtracking line search (this is raking ratio estimation, Deville and Särndal 1992, with
the response rate as the raking factor). The calibration view is used rather than a
likelihood because the values of the invited people who did *not* register are unknown:
only the registrants, their letters' probabilities and the census margins are observed.
Every modelled category must therefore be in the census; a value with people in the census
and no registrant has no finite solution (``no-registrants``), and a fit whose Newton
iterations do not close the equations raises ``calibration-did-not-converge``.

**Response rates.** The mean response rate of the residents with value :math:`v` is
:math:`r_{c,v} = \sum_{i \in R, v_c(i) = v} d_i / N_{c,v}` (the model's rate averaged over the
population composition the fit implies, which the calibration makes equal to this
Horvitz–Thompson ratio). Its uncertainty, and that of the model's factors
:math:`e^{\beta_{c,v}}`, comes from a seeded bootstrap over the *invited addresses*: the
letters of each stratum (the design's groups) are resampled with replacement, each drawn
address bringing its registrants (a clustered design resamples its chosen clusters, and the
addresses within each certainty cluster, which was not sampled), and the model is refitted on
every replicate. The bootstrap was chosen over the delta method because
it needs no variance formula per design and includes the refit's non-linearity; it treats
the letters as drawn with replacement (slightly conservative for sampling without
replacement).

**Targets.** :math:`\tau_i \propto 1 / (\pi^{\mathrm{inv}}_i q_i)`, capped at 1 and scaled to
sum to the panel size by water-filling (:func:`water_fill`); the lottery closest to them
within the quotas is :func:`civicsortition.algorithms.end_to_end`, and
:func:`end_to_end_spread` says how equal the resulting end-to-end probabilities are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ._i18n import tr
from ._typing import FloatArray
from .census import Census
from .errors import InputError, Problem
from .invitations import Invitations
from .pool import Pool
from .registrations import Registrations

__all__ = ["DEFAULT_REPLICATES", "PropensityFit", "ResponseRate", "SelectionSpread",
           "end_to_end_spread", "estimate_propensity", "water_fill"]

#: Bootstrap replicates by default: enough for a standard error to about 5% (relative).
DEFAULT_REPLICATES = 200
#: The calibration equations count as solved when every one holds to this fraction of the
#: population: far below any census count's precision, far above floating-point noise.
CALIBRATION_TOL = 1e-10
#: Newton iterations at most; a solvable calibration converges in well under 50 (quadratic
#: convergence from the overall rate), so reaching it means the equations have no solution.
MAX_NEWTON = 100
#: A log factor beyond this (e^60) means a rate running off to 0 or infinity: no solution.
MAX_LOG_FACTOR = 60.0


@attrs.frozen
class ResponseRate:
    """The estimated response of one category value.

    Attributes
    ----------
    category, value : str
    registrants : int
        Registered people with the value.
    population : float
        Census count ``N · share``.
    rate : float
        Mean response rate of the residents with the value (registrations per resident).
    std_error : float
        Bootstrap standard error of ``rate`` (``nan`` without replicates).
    low, high : float
        Bootstrap percentile interval of ``rate`` at the fit's ``level``.
    factor : float
        The model's factor ``exp(β)`` relative to the category's reference value (1 for it).
    factor_std_error : float
        Bootstrap standard error of ``factor``.
    """

    category: str
    value: str
    registrants: int
    population: float
    rate: float
    std_error: float
    low: float
    high: float
    factor: float
    factor_std_error: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (no personal data: aggregates only)."""
        return _json_ready(self)


@attrs.frozen(eq=False)
class PropensityFit:
    """The outcome of :func:`estimate_propensity`.

    Attributes
    ----------
    categories : tuple of str
        The modelled categories.
    population : float
        The population ``N`` the census describes.
    intercept : float
        ``α``: the log response rate of the reference combination.
    rates : tuple of ResponseRate
        One per value of every modelled category, in the pool's order.
    inclusion : ndarray
        Each pool member's invitation probability ``π^inv`` (that of their address).
    response : ndarray
        Each pool member's estimated response probability ``q``.
    iterations : int
        Newton iterations of the fit.
    replicates : int
        Bootstrap replicates used (those whose refit converged).
    failed_replicates : int
        Bootstrap replicates whose resample had no finite solution (left out).
    level : float
        Level of the percentile intervals.
    seed : int or None
        The bootstrap's seed, when one was given as an integer.
    """

    categories: tuple[str, ...]
    population: float
    intercept: float
    rates: tuple[ResponseRate, ...]
    inclusion: FloatArray
    response: FloatArray
    iterations: int
    replicates: int
    failed_replicates: int
    level: float
    seed: int | None

    @property
    def weights(self) -> FloatArray:
        """``1 / (π^inv q)``: the residents each registrant stands for (sums to ``N``)."""
        out: FloatArray = 1.0 / (self.inclusion * self.response)
        return out

    def rate(self, category: str, value: str) -> ResponseRate:
        """The :class:`ResponseRate` of one value (``unknown-value`` if not modelled)."""
        for r in self.rates:
            if r.category == category and r.value == value:
                return r
        raise InputError.single("unknown-value", tr("no estimated rate for {category}={value}",
                                                    category=category, value=value),
                                column=category, value=value)

    def targets(self, panel_size: int) -> FloatArray:
        """Selection targets ``τ ∝ 1/(π^inv q)``, capped at 1, summing to ``panel_size``."""
        return water_fill(self.weights, panel_size)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (aggregates per value; no per-person figures)."""
        return {"categories": list(self.categories), "population": self.population,
                "intercept": self.intercept, "iterations": self.iterations,
                "replicates": self.replicates, "failed_replicates": self.failed_replicates,
                "level": self.level, "seed": self.seed,
                "rates": [r.as_dict() for r in self.rates]}


def water_fill(weights: Sequence[float] | FloatArray, total: float) -> FloatArray:
    r"""``τ_i = min(1, c w_i)`` with ``c`` chosen so that ``Σ τ = total`` (zero weights stay 0).

    The largest weights are capped at 1 one by one until the rest, scaled, stay below 1.

    Raises
    ------
    InputError
        ``bad-targets`` for a negative or non-finite weight, or a ``total`` that is negative
        or more than the number of positive weights.

    Examples
    --------
    >>> [float(t) for t in water_fill([4.0, 1.0, 1.0, 2.0], 2)]
    [1.0, 0.25, 0.25, 0.5]
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or not np.isfinite(w).all() or (w < 0).any():
        raise InputError.single("bad-targets", "targets must be finite, non-negative numbers",
                                column="targets")
    positive = int((w > 0).sum())
    if not (0 <= total <= positive):
        raise InputError.single("bad-targets", tr("the targets must sum to {total}, more than "
                                                  "the {positive} people with a positive "
                                                  "target can hold at probability 1",
                                                  total=total, positive=positive),
                                column="targets", value=str(total))
    out = np.zeros(len(w))
    if total == 0:
        return out
    order = np.argsort(-w, kind="stable")
    sw = w[order]
    rest = np.cumsum(sw[::-1])[::-1]            # rest[j] = Σ_{l ≥ j} sw[l]
    for j in range(positive):                   # the j largest are capped at 1
        c = (total - j) / rest[j]
        if c * sw[j] <= 1.0 + 1e-12:
            out[order[:j]] = 1.0
            out[order[j:]] = np.minimum(c * sw[j:], 1.0)
            return out
    out[order[:positive]] = 1.0
    return out


# ------------------------------------------------------------------------------- inputs
def _addresses(pool: Pool, addresses: Sequence[str] | None) -> list[str]:
    if addresses is not None:
        out = [str(a).strip() for a in addresses]
        if len(out) != pool.n:
            raise InputError.single("bad-shape", tr("addresses has {n_addresses} entries for a "
                                                    "pool of {n}", n_addresses=len(out),
                                                    n=pool.n), column="addresses")
    else:
        out = [("" if h is None else h) for h in (pool.households or [None] * pool.n)]
    missing = [Problem("missing-address", "every registered person needs the address their "
                       "letter went to (the pool's household keys, or addresses=...)",
                       column="address", value=pool.ids[i])   # the person, by id
               for i, a in enumerate(out) if not a]
    if missing:
        raise InputError(missing)
    return out


def _letters(invitations: Invitations | Mapping[str, float], reserves: bool
             ) -> tuple[dict[str, float], dict[str, int], list[int]]:
    """(address -> inclusion probability, address -> bootstrap unit, units' groups)."""
    if isinstance(invitations, Invitations):
        probs = invitations.inclusion_with_reserves if reserves else invitations.inclusion
        sent = list(invitations.invited) + (list(invitations.reserves) if reserves else [])
        pos = {a: i for i, a in enumerate(invitations.frame_ids)}
        letters = {a: float(probs[pos[a]]) for a in sent}
        joint = invitations.joint
        if invitations.clusters is not None and joint is not None:
            # ultimate clusters: a unit per chosen cluster, all in one group -- except the
            # certainty clusters, which were not sampled: each is a stratum of its own whose
            # units are its addresses (resampling them as clusters would add stage-1
            # variance that does not exist)
            sure = set(invitations.clusters.certainty)
            units: dict[str, int] = {}
            groups: list[int] = []
            unit_of_cluster: dict[int, int] = {}
            stratum: dict[int, int] = {}
            for a in sent:
                c = int(joint.group_of[pos[a]])
                if joint.groups[c] in sure:
                    units[a] = len(groups)
                    groups.append(stratum.setdefault(c, len(stratum) + 1))
                else:
                    if c not in unit_of_cluster:
                        unit_of_cluster[c] = len(groups)
                        groups.append(0)
                    units[a] = unit_of_cluster[c]
            return letters, units, groups
        units = {a: j for j, a in enumerate(sent)}
        groups = ([int(joint.group_of[pos[a]]) for a in sent] if joint is not None
                  else [0] * len(sent))
        return letters, units, groups
    letters = {}
    problems: list[Problem] = []
    for a, p in invitations.items():
        try:
            letters[str(a).strip()] = float(p)
        except (TypeError, ValueError):
            problems.append(Problem("not-a-number", "an inclusion probability must be a "
                                    "number", column="inclusion_probability", value=str(a)))
    if problems:
        raise InputError(problems)
    sent = list(letters)
    return letters, {a: j for j, a in enumerate(sent)}, [0] * len(sent)


def _design(pool: Pool, census: Census, categories: Sequence[str] | None, population: float
            ) -> tuple[list[int], FloatArray, list[tuple[str, str, float, bool]]]:
    """The modelled categories' columns, the design matrix and per-value census counts.

    Returns (category positions, X with an intercept column, [(category, value, N_v,
    is a parameter)] in pool order); the reference value of each category and values with
    neither registrants nor population carry no parameter.
    """
    if isinstance(population, bool) or not isinstance(population, int | float) or not (
            math.isfinite(population) and population > 0):
        raise InputError.single("bad-population", "population must be a positive number (the "
                                "residents the census describes)", value=repr(population))
    if population < pool.n:
        raise InputError.single("bad-population", tr(
            "population {population} is below the {n} registrants: it must count every "
            "resident the census describes", population=population, n=pool.n),
            column="population", value=repr(population))
    names = list(pool.strata.names) if categories is None else [str(c) for c in categories]
    cols = [pool.strata.index(c) for c in names]
    problems: list[Problem] = []
    census_names = {c.casefold(): c for c in census.strata.names}
    shares: dict[int, dict[str, Any]] = {}
    for c in cols:
        cat = pool.strata.categories[c]
        found = census_names.get(cat.name.casefold())
        if found is None:
            problems.append(Problem("census-category-missing", tr(
                "the census has no shares for category {category!r}, which the response "
                "model uses; add it to the census or leave it out of categories=...",
                category=cat.name), column=cat.name))
            continue
        s = census.shares(found)
        for v in cat.values:
            if v not in s:
                problems.append(Problem("census-value-missing", tr(
                    "the census has no share for {category}={value}", category=cat.name,
                    value=v), column=cat.name, value=v))
        extra = [v for v in s if v not in cat.values and s[v] > 0]
        for v in extra:
            problems.append(Problem("census-value-missing", tr(
                "the census gives {category}={value} a share, but it is not a value of the "
                "pool's category", category=cat.name, value=v), column=cat.name, value=v))
        shares[c] = s
    if problems:
        raise InputError(problems)
    blocks: list[FloatArray] = [np.ones((pool.n, 1))]
    values: list[tuple[str, str, float, bool]] = []
    for c in cols:
        cat = pool.strata.categories[c]
        codes = pool.codes[:, c]
        for j, v in enumerate(cat.values):
            count = float(population * float(shares[c][v]))
            has = bool((codes == j).any())
            if count > 0 and not has:
                problems.append(Problem("no-registrants", tr(
                    "nobody with {category}={value} registered, but the census counts "
                    "{count:.0f} residents with it: its response rate is estimated as 0 and "
                    "no weighting can represent them (merge the value with another, or leave "
                    "the category out)", category=cat.name, value=v, count=count),
                    column=cat.name, value=v))
            elif count == 0 and has:
                problems.append(Problem("registrants-without-population", tr(
                    "people with {category}={value} registered, but the census share of the "
                    "value is 0", category=cat.name, value=v), column=cat.name, value=v))
            param = j > 0 and has and count > 0
            values.append((cat.name, v, count, param))
            if param:
                blocks.append((codes == j).astype(float)[:, None])
    if problems:
        raise InputError(problems)
    return cols, np.hstack(blocks), values


# ------------------------------------------------------------------------------ fitting
def _residual(X: FloatArray, d: FloatArray, T: FloatArray, theta: FloatArray) -> float:
    """Largest residual of the calibration equations at ``theta``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.abs(T - X.T @ (d * np.exp(-(X @ theta)))).max())


def _solve(X: FloatArray, d: FloatArray, T: FloatArray, theta0: FloatArray
           ) -> tuple[FloatArray, int, bool]:
    """Minimise ``Σ d_i exp(-x_i θ) + T θ`` by damped Newton; (θ, iterations, converged)."""
    theta = theta0.copy()
    scale = float(T[0])

    def loss(t: FloatArray) -> float:
        with np.errstate(over="ignore"):   # a trial step may overflow: inf, refused below
            return float(d @ np.exp(-(X @ t)) + T @ t)

    value = loss(theta)
    for it in range(1, MAX_NEWTON + 1):
        u = d * np.exp(-(X @ theta))            # calibrated weights d_i / q_i
        grad = T - X.T @ u
        if float(np.abs(grad).max()) <= CALIBRATION_TOL * scale:
            return theta, it - 1, True
        H = (X * u[:, None]).T @ X
        step = np.linalg.lstsq(H, -grad, rcond=None)[0]
        t = 1.0
        slope = float(grad @ step)
        # Near the solution the loss changes by less than its rounding (the decrease is
        # quadratic in the gradient): a step that keeps the loss within rounding and shrinks
        # the gradient is then accepted, else Armijo's test would refuse every step.
        level = 64 * np.finfo(float).eps * abs(value)
        size = float(np.abs(grad).max())
        while t > 1e-12:
            cand = theta + t * step
            new = loss(cand)
            if np.isfinite(new) and (new <= value + 1e-4 * t * slope or (
                    new <= value + level
                    and _residual(X, d, T, cand) < size)):
                break
            t /= 2
        else:
            return theta, it, False
        theta, value = cand, new
        if float(np.abs(theta[1:]).max(initial=0.0)) > MAX_LOG_FACTOR:
            return theta, it, False
    return theta, MAX_NEWTON, _residual(X, d, T, theta) <= CALIBRATION_TOL * scale


def estimate_propensity(registrations: Registrations | Pool,
                        invitations: Invitations | Mapping[str, float], census: Census, *,
                        population: float, categories: Sequence[str] | None = None,
                        addresses: Sequence[str] | None = None, reserves: bool = False,
                        replicates: int = DEFAULT_REPLICATES, level: float = 0.95,
                        rng: int | np.random.Generator | None = None) -> PropensityFit:
    r"""Estimate every registrant's response probability by calibration to the census.

    Fits :math:`q_i = \exp(\alpha + \sum_c \beta_{c,v_c(i)})` so that the registrants,
    weighted by :math:`1/(\pi^{\mathrm{inv}}_i q_i)`, reproduce the census count of every
    value of every modelled category exactly (see the module docstring for the equations),
    and bootstraps the invited addresses for standard errors.

    Parameters
    ----------
    registrations : Registrations or Pool
        The registered people; a pool's household keys are the addresses their letters went
        to (as :func:`~civicsortition.validate_registrations` sets them) unless
        ``addresses`` is given.
    invitations : Invitations or mapping of str to float
        The letters: an :class:`~civicsortition.invitations.Invitations`, or every address
        that received a letter (whether or not anyone registered) with its inclusion
        probability (the ``inclusion_probability`` column of the invitations file).
    census : Census
        Shares per value of every modelled category.
    population : float
        The number of residents the census describes (eligible adults): the shares times
        ``population`` are the counts the weights must reproduce.
    categories : sequence of str, optional
        The categories of the response model (default: all of the pool's).
    addresses : sequence of str, optional
        Address of each pool member (default: the pool's household keys).
    reserves : bool
        Whether the reserve letters of an :class:`Invitations` were sent too (their
        addresses then count as invited, with the probabilities including reserves).
    replicates : int
        Bootstrap replicates (0: no standard errors).
    level : float
        Level of the percentile intervals, in (0, 1).
    rng : int or numpy.random.Generator, optional
        Seed of the bootstrap (recorded when an integer).

    Returns
    -------
    PropensityFit

    Raises
    ------
    InputError
        ``missing-address``; ``not-invited`` (a registrant's address received no letter);
        ``zero-inclusion-probability``; ``census-category-missing`` and
        ``census-value-missing``; ``no-registrants`` (a value with residents and no
        registrant) and ``registrants-without-population``; ``bad-population``,
        ``bad-replicates``, ``bad-level``; ``calibration-did-not-converge`` when the
        equations have no solution (for example categories whose registrants' combinations
        cannot reproduce the margins).

    Examples
    --------
    >>> import civicsortition as cs
    >>> pool = cs.Pool.from_records(
    ...     [{"id": "a", "sex": "f", "address": "A1"}, {"id": "b", "sex": "m", "address": "A2"},
    ...      {"id": "c", "sex": "f", "address": "A3"}],
    ...     categories=["sex"], id_field="id", household_field="address")
    >>> census = cs.Census.from_shares({"sex": {"f": "0.5", "m": "0.5"}})
    >>> fit = estimate_propensity(pool, {"A1": 0.5, "A2": 0.5, "A3": 0.5, "A4": 0.5},
    ...                           census, population=40, replicates=0)
    >>> round(fit.rate("sex", "f").rate, 3), round(fit.rate("sex", "m").rate, 3)
    (0.2, 0.1)
    """
    pool = registrations.pool if isinstance(registrations, Registrations) else registrations
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 0:
        raise InputError.single("bad-replicates", "replicates must be a non-negative integer",
                                value=repr(replicates))
    if isinstance(level, bool) or not isinstance(level, float | int) or not 0 < level < 1:
        raise InputError.single("bad-level", "level must be in (0, 1)", value=repr(level))
    where = _addresses(pool, addresses)
    letters, unit_of, groups = _letters(invitations, reserves)
    problems: list[Problem] = []
    for i, a in enumerate(where):
        if a not in letters:
            problems.append(Problem("not-invited", tr(
                "registered from address {address!r}, which received no letter{hint}",
                address=a, hint=" (pass reserves=True if the reserve letters were sent)"
                if isinstance(invitations, Invitations) and not reserves
                and a in invitations.reserves else ""), column="address",
                value=pool.ids[i]))
    bad = sorted(a for a, p in letters.items() if not (math.isfinite(p) and 0 < p <= 1))
    problems += [Problem("zero-inclusion-probability", tr(
        "address {address!r} received a letter but its inclusion probability is {p}; it must "
        "be in (0, 1]", address=a, p=letters[a]), column="inclusion_probability", value=a)
        for a in bad]
    if problems:
        raise InputError(problems)
    cols, X, values = _design(pool, census, categories, population)
    d = np.array([1.0 / letters[a] for a in where])
    T = np.array([float(population)] + [n for _, _, n, p in values if p])
    theta0 = np.zeros(X.shape[1])
    theta0[0] = math.log(float(d.sum()) / float(population))
    theta, iterations, converged = _solve(X, d, T, theta0)
    if not converged:
        raise InputError.single("calibration-did-not-converge", tr(
            "the response model could not be calibrated to the census after {iterations} "
            "Newton iterations: no product of per-value response rates reproduces every "
            "census margin from these registrations (check the census against the pool, or "
            "model fewer categories)", iterations=iterations), value=str(iterations))

    owner = [(cat, v) for cat, v, _, p in values if p]
    units = np.array([unit_of[a] for a in where])
    rate_rows = _rates(pool, cols, values, d)
    boot_rates: list[FloatArray] = []
    boot_factors: list[FloatArray] = []
    failed = 0
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(seed)
    group_arr = np.array(groups, dtype=np.int64)
    for _ in range(replicates):
        mult = _multiplicities(group_arr, gen)
        db = d * mult[units]
        if not all(float(db[mask].sum()) > 0 for mask in _value_masks(pool, cols, values)):
            failed += 1
            continue
        tb, _, ok = _solve(X, db, T, theta)
        if not ok:
            failed += 1
            continue
        boot_rates.append(_rates(pool, cols, values, db))
        boot_factors.append(tb[1:])
    R = np.array(boot_rates) if boot_rates else np.zeros((0, len(values)))
    B = np.array(boot_factors) if boot_factors else np.zeros((0, len(owner)))
    tail = (1.0 - float(level)) / 2
    out: list[ResponseRate] = []
    for j, (cat, v, count, param) in enumerate(values):
        registrants = int((pool.codes[:, pool.strata.index(cat)]
                           == pool.strata[cat].values.index(v)).sum())
        if len(R) >= 2:
            se = float(R[:, j].std(ddof=1))
            lo, hi = (float(x) for x in np.quantile(R[:, j], [tail, 1 - tail]))
        else:
            se = lo = hi = math.nan
        if param:
            k = owner.index((cat, v))
            factor = math.exp(float(theta[1 + k]))
            fse = float(np.exp(B[:, k]).std(ddof=1)) if len(B) >= 2 else math.nan
        else:
            factor, fse = (1.0, 0.0) if registrants or count else (math.nan, math.nan)
        out.append(ResponseRate(cat, v, registrants, count, float(rate_rows[j]), se, lo, hi,
                             factor, fse))
    q = np.exp(X @ theta)
    inclusion = 1.0 / d
    for arr in (q, inclusion):
        arr.setflags(write=False)
    return PropensityFit(tuple(pool.strata.categories[c].name for c in cols), float(population),
                         float(theta[0]), tuple(out), inclusion, q, iterations,
                         len(boot_rates), failed, float(level), seed)


def _value_masks(pool: Pool, cols: list[int], values: list[tuple[str, str, float, bool]]
                 ) -> list[Any]:
    """The registrants of every value with residents (each must keep a positive weight)."""
    return [pool.codes[:, pool.strata.index(cat)] == pool.strata[cat].values.index(v)
            for cat, v, count, _ in values if count > 0]


def _rates(pool: Pool, cols: list[int], values: list[tuple[str, str, float, bool]],
           d: FloatArray) -> FloatArray:
    """``Σ_{i ∈ R, v} d_i / N_v`` per value (nan for a value without residents)."""
    out = np.full(len(values), math.nan)
    for j, (cat, v, count, _) in enumerate(values):
        if count > 0:
            mask = pool.codes[:, pool.strata.index(cat)] == pool.strata[cat].values.index(v)
            out[j] = float(d[mask].sum()) / count
    return out


def _multiplicities(groups: Any, gen: np.random.Generator) -> FloatArray:
    """How often each bootstrap unit is drawn: ``n_g`` draws with replacement per group."""
    mult = np.zeros(len(groups))
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        mult[members] = gen.multinomial(len(members), np.full(len(members),
                                                              1.0 / len(members)))
    return mult


# ----------------------------------------------------------------------- the guarantee
@attrs.frozen
class SelectionSpread:
    """How equal the estimated end-to-end selection probabilities are.

    For registrant ``i`` the end-to-end probability is ``e_i = π^inv_i q_i π_i``; the
    figures are of ``e_i / (k / N)``, 1 meaning exactly the equal chance of every resident.

    Attributes
    ----------
    n : int
        Registrants on some feasible panel (the others are counted in ``uncovered``).
    minimum, maximum : float
        The smallest and largest ratio.
    ratio : float
        ``maximum / minimum`` (inf if the minimum is 0).
    gini : float
        Gini coefficient of the ratios over the *population*: each registrant weighted by
        the ``1/(π^inv q)`` residents they stand for.
    mean : float
        The population-weighted mean ratio (1 when ``q`` comes from the calibration and the
        lottery covers everyone: the weights then sum to ``N``).
    uncovered : int
        Registrants on no feasible panel (end-to-end probability 0).
    """

    n: int
    minimum: float
    maximum: float
    ratio: float
    gini: float
    mean: float
    uncovered: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return _json_ready(self)


def _json_ready(record: Any) -> dict[str, Any]:
    """An attrs record's fields, a non-finite float as None (JSON has no NaN)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in attrs.asdict(record).items()}


def _weighted_gini(x: FloatArray, w: FloatArray) -> float:
    """``Σ_i Σ_j w_i w_j |x_i - x_j| / (2 W² x̄)`` in ``O(n log n)``."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    W = float(w.sum())
    mean = float(w @ x) / W
    if W <= 0 or mean <= 0:
        return 0.0
    below_w = np.cumsum(w) - w                  # weight strictly before i
    below_wx = np.cumsum(w * x) - w * x
    total = float(np.sum(w * (x * below_w - below_wx)))  # Σ_{j<i} w_i w_j (x_i - x_j)
    return min(max(total / (W * W * mean), 0.0), 1.0)


def end_to_end_spread(marginals: Sequence[float] | FloatArray,
                      inclusion: Sequence[float] | FloatArray,
                      response: Sequence[float] | FloatArray, *, population: float,
                      panel_size: int,
                      covered: Sequence[bool] | npt.NDArray[np.bool_] | None = None
                      ) -> SelectionSpread:
    r"""The spread of the end-to-end probabilities :math:`\pi^{\mathrm{inv}}_i q_i \pi_i`.

    Parameters
    ----------
    marginals : array
        Each registrant's selection probability given the pool (``Distribution.marginals``).
    inclusion, response : array
        Their invitation and response probabilities (:class:`PropensityFit` gives both; a
        simulation may pass the true response probabilities instead).
    population : float
        ``N``: the residents the ratios are relative to (``e / (k/N)``).
    panel_size : int
        ``k``.
    covered : array of bool, optional
        Who is on some feasible panel (``Distribution.covered``; default: everyone with a
        positive probability).

    Returns
    -------
    SelectionSpread
    """
    pi = np.asarray(marginals, dtype=float)
    inc = np.asarray(inclusion, dtype=float)
    q = np.asarray(response, dtype=float)
    mask = pi > 0 if covered is None else np.asarray(covered, dtype=bool)
    ratio = inc * q * pi / (panel_size / float(population))
    r, w = ratio[mask], 1.0 / (inc[mask] * q[mask])
    if len(r) == 0:
        return SelectionSpread(0, 0.0, 0.0, math.inf, 0.0, 0.0, int((~mask).sum()))
    lo, hi = float(r.min()), float(r.max())
    return SelectionSpread(len(r), lo, hi, hi / lo if lo > 0 else math.inf,
                           _weighted_gini(r, w), float(w @ r) / float(w.sum()),
                           int((~mask).sum()))
