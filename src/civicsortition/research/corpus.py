r"""A torture corpus: pool generators that are *not* :func:`~civicsortition.synthetic_instance`.

The engine was built and benchmarked on latent-class pools; these families stress what those
do not. Each generator draws a population model, a pool from it, and quotas from the
population's shares, then widens the quotas (both sides; seat by seat, then faster) until a
panel exists:

=====================  ======================================================================
family                 what it stresses
=====================  ======================================================================
``independent``        independent categories, no self-selection, floor/ceil quotas
``self-selected``      response rates differing 10x between groups (a multiplicative
                       response model, Flanigan et al., NeurIPS 2020), floor/ceil quotas
``exact-quotas``       min = max on one or two categories (the apportioned seat counts)
``districts``          one category with 20-30 values (districts), floor/ceil quotas
``rare-forced``        rare values whose every holder must be selected (min = pool count)
``households``         two- and three-person households covering 40% of the pool
``extreme-k``          panels of 2-3 seats, or all but a few of the pool
``parity``             a parity structure the LP relaxation cannot see: the relaxation is
                       not exact, so LEXIMIN needs staged column generation
=====================  ======================================================================

Quotas are ``floor``/``ceil`` of ``share · k`` (population shares, not pool shares), minimums
capped at what the pool holds. Randomness is ``numpy.random.default_rng(seed)``;
:attr:`~civicsortition.synthetic.Instance.digest` identifies the data.

Examples
--------
>>> inst = torture_instance("districts", 150, 15, seed=3)
>>> inst.pool.n, inst.quotas.panel_size, inst.params["family"]
(150, 15, 'districts')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._i18n import tr
from .._typing import FloatArray, IntArray
from ..algorithms.feasibility import feasible_profile
from ..census import Census
from ..errors import InputError
from ..pool import Pool
from ..program import PanelProgram
from ..quotas import Quotas, ValueQuota
from ..strata import Strata
from .synthetic import Instance

__all__ = ["FAMILIES", "SWEEP_OPTIONS", "SWEEP_PULP_MAX_N", "check_instance", "sweep_records",
           "torture_instance", "torture_sweep"]




class _Draft:
    """A pool in the making: codes per category, population shares, optional households."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng, self.n = rng, n
        self.names: list[str] = []
        self.values: list[list[str]] = []
        self.shares: list[FloatArray] = []
        self.columns: list[IntArray] = []
        self.households: list[str | None] | None = None
        self.exact: set[str] = set()         # categories with min = max
        self.forced: list[tuple[str, str]] = []  # values whose holders are all forced in

    def category(self, size: int, *, alpha: float = 2.0, name: str | None = None,
                 shares: FloatArray | None = None) -> int:
        """Add a category with ``size`` values and population shares (Dirichlet(alpha))."""
        c = len(self.names)
        self.names.append(name or f"c{c}")
        self.values.append([f"{self.names[-1]}v{j}" for j in range(size)])
        self.shares.append(self.rng.dirichlet(np.full(size, alpha)) if shares is None
                           else np.asarray(shares, dtype=float))
        return c

    def sample_independent(self, weights: list[FloatArray] | None = None) -> None:
        """Draw every person's values independently.

        ``weights`` (one array of response factors per category) thin a larger population
        by response rate before the pool is taken (self-selection).
        """
        m = self.n if weights is None else self.n * 40
        cols = [self.rng.choice(len(s), size=m, p=s) for s in self.shares]
        if weights is not None:
            rate = np.ones(m)
            for c, w in enumerate(weights):
                rate = rate * w[cols[c]]
            chosen = self.rng.choice(m, size=self.n, replace=False, p=rate / rate.sum())
            cols = [col[chosen] for col in cols]
        self.columns = [np.asarray(col, dtype=np.int64) for col in cols]

    def build(self, k: int, family: str, seed: int, extra: dict[str, object]) -> Instance:
        """Quotas from the shares (floor/ceil of share · k), widened until a panel exists."""
        codes = np.column_stack(self.columns).astype(np.int64)
        strata = Strata.from_mapping(dict(zip(self.names, self.values, strict=True)))
        pool = Pool(strata, [f"t{i:06d}" for i in range(self.n)], codes, self.households)
        census = Census.from_shares(
            {name: {v: f"{float(s):.12f}" for v, s in zip(vals, shares, strict=True)}
             for name, vals, shares in zip(self.names, self.values, self.shares, strict=True)},
            tolerance="0.000001")
        counts = pool.value_counts()
        forced = set(self.forced)
        exact_names = set(self.exact)
        # One seat at a time up to 10, then by half again, until the band spans the panel.
        steps = list(range(11))
        while steps[-1] < k:
            steps.append(min(k, steps[-1] + steps[-1] // 2))
        attempts = [(w, exact_names) for w in steps]
        if exact_names:  # last resort, recorded in params: the exact categories relaxed too
            attempts += [(w, set()) for w in steps]
        for widen, exact_now in attempts:
            entries = []
            for name, vals, shares in zip(self.names, self.values, self.shares, strict=True):
                have_all = [counts[(name, v)] for v in vals]
                exact = _apportion(shares, k, have_all) if name in exact_now else None
                for j, v in enumerate(vals):
                    have = counts[(name, v)]
                    if (name, v) in forced:
                        lo = hi = min(have, k)
                    elif exact is not None:
                        lo = hi = exact[j]
                    else:
                        lo = math.floor(shares[j] * k) - widen
                        hi = math.ceil(shares[j] * k) + widen
                    lo, hi = max(0, min(lo, have, k)), max(0, min(hi, k))
                    entries.append(ValueQuota(name, v, lo, max(lo, hi)))
            quotas = Quotas(k, entries)
            program = PanelProgram.build(pool, quotas, households=self.households is not None)
            if feasible_profile(program) is not None:
                params: dict[str, object] = {"family": family, "n": self.n, "k": k,
                                             "seed": seed, "widened": widen, **extra}
                if exact_names:
                    params["exact"] = sorted(exact_now)
                return Instance(f"{family}-n{self.n}-k{k}-s{seed}", pool, quotas, census,
                                params, widen)
        raise InputError.single("no-feasible-instance", tr("{family}: no panel exists even with "
                                                           "quotas widened to the whole panel",
                                                           family=family), value=str(seed))


def _apportion(shares: FloatArray, k: int, have: list[int]) -> list[int]:
    """Largest-remainder seats for ``shares``, none above what the pool holds (``have``).

    The exact quotas of a min = max category: seats a value cannot fill go to the values with
    the largest remainders among those with room.
    """
    raw = np.asarray(shares) * k
    seats = np.minimum(np.floor(raw).astype(int), have)
    # Hand out the remaining seats one at a time, largest remainder first, cycling.
    order = [int(j) for j in np.argsort(-(raw - seats), kind="stable")]
    while seats.sum() < k and any(seats[j] < have[j] for j in order):
        j = next(j for j in order if seats[j] < have[j])
        seats[j] += 1
        order.remove(j)
        order.append(j)
    return [int(v) for v in seats]


def _independent(d: _Draft, k: int) -> dict[str, object]:
    for _ in range(int(d.rng.integers(3, 7))):
        d.category(int(d.rng.integers(2, 6)))
    d.sample_independent()
    return {}


def _self_selected(d: _Draft, k: int) -> dict[str, object]:
    cats = int(d.rng.integers(3, 7))
    weights: list[FloatArray] = []
    for _ in range(cats):
        size = int(d.rng.integers(2, 6))
        d.category(size)
        weights.append(np.ones(size))
    # Two categories carry the self-selection: response rates 10x apart within each.
    for c in d.rng.choice(cats, size=min(2, cats), replace=False):
        w = np.exp(d.rng.uniform(0.0, math.log(10.0), size=len(weights[c])))
        w[np.argmin(w)], w[np.argmax(w)] = 1.0, 10.0
        weights[c] = w
    d.sample_independent(weights)
    return {"response_ratio": 10.0}


def _exact_quotas(d: _Draft, k: int) -> dict[str, object]:
    _self_selected(d, k)
    for c in d.rng.choice(len(d.names), size=min(2, len(d.names)), replace=False)[
            : int(d.rng.integers(1, 3))]:
        d.exact.add(d.names[c])
    return {}


def _districts(d: _Draft, k: int) -> dict[str, object]:
    size = int(d.rng.integers(20, 31))
    weights = [np.exp(d.rng.normal(0.0, 0.5, size=size))]
    d.category(size, alpha=5.0, name="district")
    for _ in range(int(d.rng.integers(2, 4))):
        s = int(d.rng.integers(2, 5))
        d.category(s)
        weights.append(np.ones(s))
    d.sample_independent(weights)
    return {"districts": size}


def _rare_forced(d: _Draft, k: int) -> dict[str, object]:
    _independent(d, k)
    # One or two values held by very few people (1-3), all of whom must be selected.
    # Together the forced people never outnumber the seats.
    budget = k
    for c in d.rng.choice(len(d.names), size=min(2, len(d.names)), replace=False):
        if budget == 0:
            break
        rare = len(d.values[c])
        d.values[c].append(f"{d.names[c]}rare")
        d.shares[c] = np.append(d.shares[c] * 0.99, 0.01)
        size = int(d.rng.integers(1, min(3, budget) + 1))
        budget -= size
        holders = d.rng.choice(d.n, size=size, replace=False)
        d.columns[c][holders] = rare
        d.forced.append((d.names[c], d.values[c][-1]))
    return {"forced": [f"{c}={v}" for c, v in d.forced]}


def _households(d: _Draft, k: int) -> dict[str, object]:
    _self_selected(d, k)
    keys: list[str | None] = [None] * d.n
    order = d.rng.permutation(d.n)
    covered, h, i = int(0.4 * d.n), 0, 0
    last = len(d.names) - 1  # housemates share the last category (their district)
    while i < covered - 1:
        size = 3 if d.rng.random() < 0.3 and i + 3 <= covered else 2
        members = [int(m) for m in order[i:i + size]]
        for m in members:
            keys[m] = f"H{h:05d}"
            d.columns[last][m] = d.columns[last][members[0]]
        h, i = h + 1, i + size
    d.households = keys
    return {"household_share": 0.4}


def _extreme_k(d: _Draft, k: int) -> dict[str, object]:
    return _independent(d, k)


def _parity(d: _Draft, k: int) -> dict[str, object]:
    # Three binary categories whose "1"s must number exactly one each on the panel. Most
    # volunteers have two 1s (011, 101, 110) or none; a few have one (100, 010, 001). Three 1s
    # in all is odd, so every panel holds a one-1 person and at most one two-1 person: the
    # two-1 people share at most one seat per panel (π ≤ 1/n₂ on average), while the LP
    # relaxation lets them pair up fractionally (011, 101 and 110 at one half each) and
    # promises them 3/(n₁ + 2n₂). The relaxation is not exact: LEXIMIN must go staged.
    for j in range(3):
        d.category(2, name=f"par{j}", shares=np.array([1 - 1 / k, 1 / k]))
    others = int(d.rng.integers(2, 5))  # a realistic pool around the parity structure
    for _ in range(others):
        d.category(int(d.rng.integers(2, 5)))
    two = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    one = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    n_one = 3 + d.n // 100
    n_two = max(3, d.n // 3)
    rows = np.vstack([one, one[d.rng.integers(0, 3, size=n_one - 3)],
                      two, two[d.rng.integers(0, 3, size=n_two - 3)],
                      np.zeros((d.n - n_one - n_two, 3), dtype=np.int64)])
    rows = rows[d.rng.permutation(d.n)]
    d.columns = [rows[:, j].astype(np.int64) for j in range(3)]
    d.columns.extend(d.rng.choice(len(d.shares[c]), size=d.n, p=d.shares[c]).astype(np.int64)
                     for c in range(3, 3 + others))
    d.exact.update(f"par{j}" for j in range(3))
    return {"one_1_people": n_one, "two_1_people": n_two}


#: family id -> generator (draft, k) -> extra params. See the module docstring.
FAMILIES: dict[str, Callable[[_Draft, int], dict[str, object]]] = {
    "independent": _independent, "self-selected": _self_selected,
    "exact-quotas": _exact_quotas, "districts": _districts, "rare-forced": _rare_forced,
    "households": _households, "extreme-k": _extreme_k, "parity": _parity,
}


def torture_instance(family: str, n: int, k: int | None = None, *, seed: int = 0) -> Instance:
    """One instance of a torture family (see the module docstring).

    Parameters
    ----------
    family : str
        A key of :data:`FAMILIES`.
    n : int
        Pool size (at least 6).
    k : int, optional
        Panel size; default ``max(2, n // 10)``; ``"extreme-k"`` picks its own when omitted
        (2-3 seats or ``n`` minus 1-5, by the seed).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    Instance
    """
    if family not in FAMILIES:
        raise InputError.single("unknown-family", tr("expected one of {families}",
                                                     families=sorted(FAMILIES)),
                                value=repr(family))
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 6:
        raise InputError.single("bad-parameter", "n must be an integer >= 6", column="n",
                                value=repr(n))
    rng = np.random.default_rng([seed, sorted(FAMILIES).index(family)])
    if k is None:
        if family == "extreme-k":
            k = int(rng.integers(2, 4)) if rng.random() < 0.5 else n - int(rng.integers(1, 6))
        else:
            k = max(2, n // 10)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n:
        raise InputError.single("bad-parameter", tr("k must be an integer in [1, n) (got {k!r} "
                                                    "for n={n})", k=k, n=n),
                                column="k", value=repr(k))
    draft = _Draft(rng, int(n))
    extra = FAMILIES[family](draft, int(k))
    return draft.build(int(k), family, seed, extra)


def torture_sweep(count: int, *, n_range: tuple[int, int] = (60, 2000), seed: int = 0
                  ) -> list[tuple[str, int, int | None, int]]:
    """A seeded list of ``count`` corpus instances ``(family, n, k, seed)``, families in turn.

    ``n`` is log-uniform in ``n_range``; ``k`` is left to the family (``None``).
    """
    rng = np.random.default_rng(seed)
    names = sorted(FAMILIES)
    lo, hi = math.log(n_range[0]), math.log(n_range[1])
    return [(names[i % len(names)], round(math.exp(rng.uniform(lo, hi))), None,
             int(rng.integers(0, 2**31))) for i in range(count)]


def check_instance(inst: Instance, algorithms: tuple[str, ...] | None = None,
                   backends: tuple[str, ...] = ("highs",), *,
                   options: dict[str, dict[str, object]] | None = None
                   ) -> list[dict[str, object]]:
    """Run algorithms on an instance and judge every result independently; never raise.

    Each record says whether the run *crashed* (any exception other than
    :class:`~civicsortition.program.InfeasibleQuotasError`, which corpus instances never
    deserve: they are feasible by construction) and whether the result is *valid*: every
    invariant of :func:`~civicsortition.check_distribution` holds and
    :func:`~civicsortition.verify_selection` passes it; *converged* says whether the run also
    proved its optimality (a run stopped by an iteration limit in ``options`` is valid but
    unproven). ``options`` maps an algorithm id to keyword options for it. ``algorithms``
    defaults to every registered algorithm that certifies its result (``exact`` in
    :data:`civicsortition.algorithms.ALGORITHMS`).

    Returns
    -------
    list of dict
        One record per (algorithm, backend): ``family, n, k, types, seed, algorithm, backend,
        seconds, crashed, valid, converged, minimum, gap, method, error``.
    """
    import time

    from ..algorithms import ALGORITHMS, find_distribution
    from ..distribution import check_distribution
    from ..verifier import verify_selection

    if algorithms is None:
        # the certified max-min family and NASH (name other objectives to sweep them)
        algorithms = tuple(a for a in ("leximin", "maximin", "nash") if a in ALGORITHMS)
    out: list[dict[str, object]] = []
    for backend in backends:
        for algorithm in algorithms:
            rec: dict[str, object] = {
                "family": inst.params.get("family"), "n": inst.pool.n,
                "k": inst.quotas.panel_size, "types": inst.n_types,
                "seed": inst.params.get("seed"), "algorithm": algorithm, "backend": backend}
            start = time.perf_counter()
            try:
                given: dict[str, Any] = dict((options or {}).get(algorithm, {}))
                dist = find_distribution(inst.pool, inst.quotas, algorithm=algorithm,
                                         backend=backend, **given)
                rec["seconds"] = time.perf_counter() - start
                problems = check_distribution(dist)
                verdict = verify_selection(inst.pool, inst.quotas, distribution=dist)
                failed = [c.name for c in verdict.checks if not c.ok]
                rec.update(crashed=False, valid=not problems and not failed,
                           converged=dist.details.converged, minimum=dist.minimum,
                           gap=dist.details.gap, method=dist.details.extra.get("method"),
                           error="; ".join([*problems, *failed]) or None)
            except Exception as e:  # the point: record, never stop the sweep
                rec.update(seconds=time.perf_counter() - start, crashed=True, valid=False,
                           converged=False,
                           error=f"{type(e).__name__}: {str(e)[:300]}")
            out.append(rec)
    return out


#: Pools up to this size are also run on PuLP/CBC (LEXIMIN and MAXIMIN) in a sweep: its
#: subprocess per solve makes larger pools slow, not wrong.
SWEEP_PULP_MAX_N = 150

#: Options of the sweep's runs. NASH's column generation converges slowly on household pools
#: (docs/benchmarks.md), so the sweep caps its pricing rounds and reports how many converged.
SWEEP_OPTIONS: dict[str, dict[str, object]] = {"nash": {"max_iterations": 600}}


def sweep_records(count: int = 300, *, seed: int = 0,
                  algorithms: tuple[str, ...] = ("leximin", "maximin", "nash"),
                  skip: Callable[[int], bool] | None = None
                  ) -> Iterator[list[dict[str, object]]]:
    """Run the seeded sweep of :func:`torture_sweep`; yield each instance's records.

    The ``algorithms`` on HiGHS for every instance, plus LEXIMIN and MAXIMIN (those of them
    asked for) on PuLP when ``n <= SWEEP_PULP_MAX_N``; each record carries its ``index`` in
    the sweep. ``skip(index)`` leaves an instance out (to resume an interrupted sweep).
    """
    on_pulp = tuple(a for a in algorithms if a in ("leximin", "maximin"))
    for index, (family, n, k, inst_seed) in enumerate(torture_sweep(count, seed=seed)):
        if skip is not None and skip(index):
            continue
        try:
            inst = torture_instance(family, n, k, seed=inst_seed)
        except InputError as e:  # a corpus bug, not an engine one: recorded, never skipped
            yield [{"index": index, "family": family, "n": n, "k": k, "types": 0,
                    "seed": inst_seed, "algorithm": "generator", "backend": "-",
                    "seconds": 0.0, "crashed": True, "valid": False, "converged": False,
                    "error": str(e)}]
            continue
        records = check_instance(inst, algorithms, options=SWEEP_OPTIONS)
        if n <= SWEEP_PULP_MAX_N and on_pulp:
            records += check_instance(inst, on_pulp, ("pulp",), options=SWEEP_OPTIONS)
        yield [{"index": index, **r} for r in records]
