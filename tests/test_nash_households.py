"""NASH on pools with households (the one-per-household rule).

(a) Tiny household pools against an independent solve: every feasible panel enumerated on the
raw records, the Nash welfare maximised over all of them by multiplicative (EM) updates, with
the Frank-Wolfe certificate over *all* panels bracketing the true optimum; and the LP
relaxation against a direct convex solve over the relaxed polytope (scipy SLSQP).

(b) Corpus households pools on which NASH stopped unconverged: the Lagrangian dual of the
relaxation was handed to L-BFGS-B with a gradient that did not belong to the value returned,
so the relaxed optimum came back infeasible (up to 1.6 seats), was never peeled, and column
generation ran from scratch into the iteration cap.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from scipy import optimize

from civicsortition import Pool, Quotas, ValueQuota
from civicsortition.algorithms import nash
from civicsortition.algorithms.relaxation import relaxed_nash
from civicsortition.distribution import check_distribution
from civicsortition.program import PanelProgram
from civicsortition.research.corpus import SWEEP_OPTIONS, torture_instance
from civicsortition.strata import Strata

TOL = 1e-9  # nash's default certified gap

# --------------------------------------------------------------------------- brute force


def _household_pool(seed: int) -> tuple[Pool, Quotas]:
    """8-11 people, two categories, about 60% of them in households of two or three."""
    rng = np.random.default_rng([seed, 2024])
    n = int(rng.integers(8, 12))
    cats = {"sex": ["f", "m"], "area": ["n", "s", "e"]}
    codes = [[int(rng.integers(0, 2)), int(rng.integers(0, 3))] for _ in range(n)]
    households: list[str | None] = [None] * n
    order = [int(i) for i in rng.permutation(n)]
    i = h = 0
    while i < int(0.6 * n) - 1:
        size = 3 if rng.random() < 0.3 and i + 3 <= n else 2
        for m in order[i:i + size]:
            households[m] = f"h{h}"
        i, h = i + size, h + 1
    pool = Pool(Strata.from_mapping(cats), [f"p{j}" for j in range(n)], codes, households)
    k = int(rng.integers(3, 5))
    entries = []
    for c, (name, values) in enumerate(cats.items()):
        for v, value in enumerate(values):
            share = sum(1 for row in codes if row[c] == v) / n
            lo = max(0, math.floor(share * k) - int(rng.integers(0, 2)))
            hi = min(k, math.ceil(share * k) + int(rng.integers(0, 2)))
            entries.append(ValueQuota(name, value, lo, max(lo, hi)))
    return pool, Quotas(k, entries)


def _panels(pool: Pool, quotas: Quotas) -> list[tuple[int, ...]]:
    """Every feasible panel, checked on the raw records (quotas and one per household)."""
    recs = list(pool.records())
    hh = pool.households
    out = []
    for panel in itertools.combinations(range(pool.n), quotas.panel_size):
        if not all(q.min <= sum(recs[i][q.category] == q.value for i in panel) <= q.max
                   for q in quotas):
            continue
        keys = [hh[i] for i in panel if hh is not None and hh[i] is not None]
        if len(keys) == len(set(keys)):
            out.append(panel)
    return out


def _reference_nash(pool: Pool, panels: list[tuple[int, ...]]
                    ) -> tuple[np.ndarray, float, float]:
    """Maximise Σ log π_i over lotteries on ``panels`` (people on none excluded).

    Through the dual, ``min −Σ_i log w_i`` subject to ``Σ_{i ∈ S} w_i ≤ N`` for every panel
    ``S`` (SLSQP, one variable per person), whose optimum is ``w = 1/π``: scaled to be exactly
    feasible, any ``w`` bounds the welfare from above. A lottery with marginals ``1/w`` is then
    found by non-negative least squares and improved by a few EM steps
    (``x_S ← x_S g_S / N``, ``g_S = Σ_{i ∈ S} 1/π_i``); its welfare bounds the optimum from
    below. Returns its marginals and the bracket (lower, upper).
    """
    M = np.zeros((pool.n, len(panels)))
    for j, p in enumerate(panels):
        M[list(p), j] = 1.0
    covered = M.sum(axis=1) > 0
    M = M[covered]
    N = float(covered.sum())
    res = optimize.minimize(lambda w: -float(np.log(w).sum()), np.full(len(M), 1.0),
                            jac=lambda w: -1.0 / w, method="SLSQP",
                            constraints=[{"type": "ineq", "fun": lambda w: N - M.T @ w,
                                          "jac": lambda w: -M.T}],
                            bounds=[(1e-12, None)] * len(M),
                            options={"ftol": 1e-16, "maxiter": 2000})
    w = res.x * N / float((M.T @ res.x).max())
    upper = -float(np.log(w).sum())
    x, _ = optimize.nnls(np.vstack([M, np.ones(len(panels))]), np.append(1.0 / w, 1.0))
    x /= x.sum()
    for _ in range(100):
        pi = M @ x
        x = x * (M.T @ (1.0 / pi)) / N
        x /= x.sum()
    pi = M @ x
    full = np.zeros(pool.n)
    full[covered] = pi
    return full, float(np.log(pi).sum()), upper


def _relaxed_reference(prog: PanelProgram, active: np.ndarray) -> float:
    """max Σ n_t log π_t over the relaxed polytope (quota and household rows), by SLSQP."""
    n = prog.sizes[active].astype(float)
    B = prog.A[:, active] * n
    lo, hi = prog.row_lo, prog.row_hi
    cons = [{"type": "eq", "fun": lambda p: B[0] @ p - lo[0], "jac": lambda p: B[0]},
            {"type": "ineq", "fun": lambda p: hi[1:] - B[1:] @ p, "jac": lambda p: -B[1:]},
            {"type": "ineq", "fun": lambda p: B[1:] @ p - lo[1:], "jac": lambda p: B[1:]}]
    start = np.full(len(n), prog.panel_size / n.sum())
    res = optimize.minimize(lambda p: -float(n @ np.log(p)), start,
                            jac=lambda p: -n / p, method="SLSQP", constraints=cons,
                            bounds=[(1e-9, 1.0)] * len(n),
                            options={"ftol": 1e-14, "maxiter": 1000})
    assert res.success, res.message
    return -float(res.fun)


#: Seeds of :func:`_household_pool` on which the rule changes the Nash optimum (measured:
#: by 0.07-0.5 in some marginal); on 17 and 42 the relaxed optimum is no lottery's mean, so
#: ``method="auto"`` ends by column generation; on 46 one person is on no feasible panel.
SEEDS = (3, 14, 15, 17, 18, 37, 42, 46)


def _instances() -> list[tuple[Pool, Quotas, list[tuple[int, ...]]]]:
    out = []
    for seed in SEEDS:
        pool, quotas = _household_pool(seed)
        out.append((pool, quotas, _panels(pool, quotas)))
    return out


INSTANCES = _instances()


@pytest.mark.parametrize("case", range(len(SEEDS)))
def test_the_household_rule_changes_the_tiny_pools_optimum(case: int) -> None:
    pool, quotas, panels = INSTANCES[case]
    assert panels
    free = _panels(Pool(pool.strata, pool.ids, pool.codes, None), quotas)
    assert len(free) > len(panels)
    with_rule, low, high = _reference_nash(pool, panels)
    without, _, _ = _reference_nash(pool, free)
    assert high - low < 1e-9  # the reference is certified
    assert np.abs(with_rule - without).max() > 0.01


FINISHED_BY: dict[int, str] = {}


@pytest.mark.parametrize("method", ["auto", "column-generation"])
@pytest.mark.parametrize("case", range(len(SEEDS)))
def test_nash_on_tiny_household_pools_matches_brute_force(case: int, method: str) -> None:
    pool, quotas, panels = INSTANCES[case]
    truth, low, high = _reference_nash(pool, panels)
    assert high - low < 1e-9
    dist = nash(pool, quotas, method=method)
    d = dist.details
    assert d.converged
    assert d.gap <= TOL
    # The certificate bounds the true optimum from above; the lottery is within tol of it.
    assert d.bound >= low - 1e-9
    assert d.objective <= high + 1e-9
    assert d.objective >= low - 2 * TOL
    # Nash marginals are unique: equal to the reference ones.
    np.testing.assert_allclose(dist.marginals, truth, atol=2e-4)
    assert check_distribution(dist) == []
    # One per household: a household's members share at most one expected seat.
    assert pool.households is not None
    for h in {h for h in pool.households if h is not None}:
        members = [i for i, x in enumerate(pool.households) if x == h]
        assert dist.marginals[members].sum() <= 1 + 1e-9
    if method == "auto":
        FINISHED_BY[SEEDS[case]] = str(d.extra["method"])


def test_auto_ends_by_column_generation_where_the_relaxation_is_not_exact() -> None:
    """Seeds 17 and 42 exercise column generation (with local-search columns) from the
    peeled columns; the others are certified by the relaxation's bound."""
    for seed in SEEDS:
        if seed not in FINISHED_BY:  # run alone: compute it here
            pool, quotas, _ = INSTANCES[SEEDS.index(seed)]
            FINISHED_BY[seed] = str(nash(pool, quotas).details.extra["method"])
    assert {FINISHED_BY[s] for s in (17, 42)} == {"column-generation"}
    assert {FINISHED_BY[s] for s in SEEDS if s not in (17, 42)} == {"lp-relaxation"}


@pytest.mark.parametrize("case", range(len(SEEDS)))
def test_relaxed_nash_with_households_is_exact_and_a_valid_bound(case: int) -> None:
    pool, quotas, panels = INSTANCES[case]
    prog = PanelProgram.build(pool, quotas)
    truth, low, _ = _reference_nash(pool, panels)
    active = np.zeros(prog.n_types, dtype=bool)
    active[prog.type_of[truth > 0]] = True
    rel = relaxed_nash(prog, active)
    assert rel.violation <= 1e-9
    assert rel.bound - rel.welfare == pytest.approx(0.0, abs=1e-8)
    # The relaxed polytope contains every lottery's marginals.
    assert rel.bound >= low - 1e-9
    # The households are eliminated in closed form: same optimum as a direct convex solve.
    assert rel.bound == pytest.approx(_relaxed_reference(prog, active), abs=1e-6)


def test_relaxed_nash_household_with_a_single_active_member() -> None:
    """A household whose other members are on no panel (their value has quota 0)."""
    rows = ["fn", "fs", "mn", "ms", "fn", "ms", "fs", "mn", "fe", "me"]
    keys = ["h0", "h1", "h0", "", "h1", "", "", "h2", "h2", "h0"]
    pool = Pool.from_records([{"sex": r[0], "area": r[1], "home": h}
                              for r, h in zip(rows, keys, strict=True)],
                             categories=["sex", "area"], household_field="home")
    quotas = Quotas(3, [ValueQuota("sex", "f", 1, 2), ValueQuota("sex", "m", 1, 2),
                        ValueQuota("area", "e", 0, 0), ValueQuota("area", "n", 0, 2),
                        ValueQuota("area", "s", 0, 2)])
    panels = _panels(pool, quotas)
    truth, low, high = _reference_nash(pool, panels)
    assert truth[8] == truth[9] == 0  # area e: on no panel
    for method in ("auto", "column-generation"):
        dist = nash(pool, quotas, method=method)
        assert dist.details.converged
        assert low - 1e-9 <= dist.details.bound
        assert dist.details.objective <= high + 1e-9
        np.testing.assert_allclose(dist.marginals, truth, atol=2e-4)
    prog = PanelProgram.build(pool, quotas)
    active = np.zeros(prog.n_types, dtype=bool)
    active[prog.type_of[truth > 0]] = True
    rel = relaxed_nash(prog, active)
    assert rel.violation <= 1e-9
    assert rel.bound == pytest.approx(_relaxed_reference(prog, active), abs=1e-6)


# --------------------------------------------------------------------------- corpus regressions

#: Corpus households pools whose relaxed Nash optimum came back infeasible before the fix
#: (the violation, in seats), with the certified optimum: ``(n, torture_instance seed, old
#: violation, optimum)``. Before, NASH fell back to column generation from scratch: on
#: n = 400 it converged after 251 pricing MIPs (34 s); n = 633 is index 43 of the seeded sweep
#: (``torture_sweep(300)``), which stopped at the sweep's 600-round cap with a gap of 0.52.
REGRESSIONS = [
    (400, 6, 1.57, -1125.944398179),
    (633, 641445060, 0.85, -2100.377827771),
]


def _corpus(n: int, seed: int) -> tuple[Pool, Quotas]:
    inst = torture_instance("households", n, seed=seed)
    return inst.pool, inst.quotas


@pytest.mark.parametrize(("n", "seed", "old_violation", "optimum"), REGRESSIONS)
def test_relaxed_nash_is_solved_on_corpus_household_pools(n: int, seed: int,
                                                          old_violation: float,
                                                          optimum: float) -> None:
    pool, quotas = _corpus(n, seed)
    prog = PanelProgram.build(pool, quotas)
    rel = relaxed_nash(prog, np.ones(prog.n_types, dtype=bool))
    assert rel.violation <= 1e-9  # was `old_violation` seats
    assert abs(rel.bound - rel.welfare) <= 1e-9
    assert rel.bound == pytest.approx(optimum, abs=1e-6)


@pytest.mark.parametrize(("n", "seed", "old_violation", "optimum"), REGRESSIONS)
def test_nash_converges_on_corpus_household_pools(n: int, seed: int, old_violation: float,
                                                  optimum: float) -> None:
    pool, quotas = _corpus(n, seed)
    start = time.perf_counter()
    dist = nash(pool, quotas, **SWEEP_OPTIONS["nash"])  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    d = dist.details
    assert d.converged, d.message
    assert d.gap <= TOL
    assert d.extra["method"] == "lp-relaxation"
    assert d.objective == pytest.approx(optimum, abs=1e-6)
    # Coverage is deferred to the peeled profiles: a handful of pricing MIPs, not one per
    # household member (each coverage MIP used to add a single member of a household).
    assert d.iterations <= 25
    assert check_distribution(dist, expand=False) == []
    assert seconds < 60  # about 1-2 s; generous for a loaded machine
