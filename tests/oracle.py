"""Brute-force oracle for tiny pools: enumerate every panel, solve the fairness programs directly.

Independent of the library's engine: panels are checked on the raw records, the LPs are
written out over *all* feasible panels, and LEXIMIN fixes a person only after an LP proves that
their probability cannot rise above the stage value (instead of reading dual prices).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import optimize

from civicsortition import Pool, Quotas


def feasible_panels(pool: Pool, quotas: Quotas, households: bool = True) -> list[tuple[int, ...]]:
    k = quotas.panel_size
    recs = list(pool.records())
    out = []
    for panel in itertools.combinations(range(pool.n), k):
        ok = True
        for q in quotas:
            have = sum(1 for i in panel if recs[i][q.category] == q.value)
            if not q.min <= have <= q.max:
                ok = False
                break
        if ok and households and pool.households is not None:
            keys = [pool.households[i] for i in panel if pool.households[i] is not None]
            ok = len(keys) == len(set(keys))
        if ok:
            out.append(panel)
    return out


def min_violation(pool: Pool, quotas: Quotas) -> int | None:
    """Least total quota violation of any k-subset obeying the household rule (None: none)."""
    recs = list(pool.records())
    best = None
    for panel in itertools.combinations(range(pool.n), quotas.panel_size):
        if pool.households is not None:
            keys = [pool.households[i] for i in panel if pool.households[i] is not None]
            if len(keys) != len(set(keys)):
                continue
        cost = 0
        for q in quotas:
            have = sum(1 for i in panel if recs[i][q.category] == q.value)
            cost += max(0, q.min - have) + max(0, have - q.max)
        best = cost if best is None else min(best, cost)
    return best


def incidence(pool: Pool, panels: list[tuple[int, ...]]) -> np.ndarray:
    M = np.zeros((pool.n, len(panels)))
    for j, p in enumerate(panels):
        M[list(p), j] = 1
    return M


def _maxmin(M: np.ndarray, people: list[int], fixed: dict[int, float]) -> tuple[float, np.ndarray]:
    m = M.shape[1]
    A_ub, b_ub = [], []
    for i in people:
        if i in fixed:
            A_ub.append(np.concatenate([-M[i], [0]]))
            b_ub.append(-fixed[i] + 1e-9)
        else:
            A_ub.append(np.concatenate([-M[i], [1]]))
            b_ub.append(0)
    res = optimize.linprog(np.concatenate([np.zeros(m), [-1]]), A_ub=np.array(A_ub), b_ub=b_ub,
                           A_eq=np.concatenate([np.ones(m), [0]])[None], b_eq=[1],
                           bounds=[(0, None)] * m + [(None, None)], method="highs")
    assert res.status == 0
    return float(res.x[-1]), res.x[:m]


def maximin_value(pool: Pool, quotas: Quotas, households: bool = True) -> float:
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    covered = [i for i in range(pool.n) if M[i].any()]
    return _maxmin(M, covered, {})[0]


def leximin_marginals(pool: Pool, quotas: Quotas, households: bool = True) -> np.ndarray:
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    m = M.shape[1]
    covered = [i for i in range(pool.n) if M[i].any()]
    fixed: dict[int, float] = {}
    while len(fixed) < len(covered):
        z, _ = _maxmin(M, covered, fixed)
        for i in covered:
            if i in fixed:
                continue
            # Can person i get more than z while everybody else keeps their level?
            A_ub = [-M[j] for j in covered if j != i]
            b_ub = [-(fixed.get(j, z)) + 1e-9 for j in covered if j != i]
            res = optimize.linprog(-M[i], A_ub=np.array(A_ub) if A_ub else None,
                                   b_ub=b_ub if A_ub else None, A_eq=np.ones((1, m)), b_eq=[1],
                                   bounds=[(0, None)] * m, method="highs")
            assert res.status == 0
            if -res.fun <= z + 1e-7:
                fixed[i] = z
    out = np.zeros(pool.n)
    for i, v in fixed.items():
        out[i] = v
    return out


def nash_marginals(pool: Pool, quotas: Quotas, households: bool = True) -> np.ndarray:
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    covered = [i for i in range(pool.n) if M[i].any()]
    Mc = M[covered]
    m = M.shape[1]

    def neg(x: np.ndarray) -> float:
        return -float(np.sum(np.log(np.maximum(Mc @ x, 1e-12))))

    def grad(x: np.ndarray) -> np.ndarray:
        return -(Mc / np.maximum(Mc @ x, 1e-12)[:, None]).sum(axis=0)

    res = optimize.minimize(neg, np.full(m, 1 / m), jac=grad, method="SLSQP",
                            bounds=[(0, 1)] * m,
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1,
                                          "jac": lambda x: np.ones_like(x)}],
                            options={"ftol": 1e-14, "maxiter": 2000})
    assert res.success, res.message
    return M @ res.x


def _least_max(M: np.ndarray, covered: list[int], floor: float | None) -> float:
    """min U s.t. every covered person's probability <= U (and >= floor), over all panels."""
    m = M.shape[1]
    A_ub = [np.concatenate([M[i], [-1.0]]) for i in covered]
    b_ub = [0.0] * len(covered)
    if floor is not None:
        A_ub += [np.concatenate([-M[i], [0.0]]) for i in covered]
        b_ub += [-floor] * len(covered)
    res = optimize.linprog(np.concatenate([np.zeros(m), [1.0]]), A_ub=np.array(A_ub), b_ub=b_ub,
                           A_eq=np.concatenate([np.ones(m), [0.0]])[None], b_eq=[1],
                           bounds=[(0, None)] * (m + 1), method="highs")
    assert res.status == 0, res.message
    return float(res.x[-1])


def minimax_value(pool: Pool, quotas: Quotas, floor: float | None = None,
                  households: bool = True) -> float:
    """The least possible largest probability (with every covered person >= ``floor``)."""
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    covered = [i for i in range(pool.n) if M[i].any()]
    return _least_max(M, covered, floor)


def goldilocks_value(pool: Pool, quotas: Quotas, gamma: float = 1.0,
                     households: bool = True) -> float:
    """min over lotteries of (N/k) max π + γ (k/N) / min π, by golden-section search over the
    minimum L (the objective is convex in L: the least maximum given min π >= L is convex)."""
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    covered = [i for i in range(pool.n) if M[i].any()]
    n, k = len(covered), quotas.panel_size
    top = _maxmin(M, covered, {})[0]

    def g(level: float) -> float:
        return n / k * _least_max(M, covered, level) + gamma * k / n / level

    lo, hi = top * 1e-4, top
    ratio = (5 ** 0.5 - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    ga, gb = g(a), g(b)
    for _ in range(80):
        if ga < gb:
            hi, b, gb = b, a, ga
            a = hi - ratio * (hi - lo)
            ga = g(a)
        else:
            lo, a, ga = a, b, gb
            b = lo + ratio * (hi - lo)
            gb = g(b)
    return min(ga, gb, g(top))


def lp_norm_value(pool: Pool, quotas: Quotas, p: float, households: bool = True) -> float:
    """min over lotteries of the ℓp norm of the covered people's probabilities (all panels)."""
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    covered = [i for i in range(pool.n) if M[i].any()]
    Mc = M[covered]
    m = M.shape[1]
    ref = quotas.panel_size / len(covered)

    def f(x: np.ndarray) -> float:
        return float(np.log(np.sum((Mc @ x / ref) ** p)))

    def grad(x: np.ndarray) -> np.ndarray:
        pi = Mc @ x / ref
        return (Mc.T @ (p * pi ** (p - 1) / ref)) / np.sum(pi ** p)

    res = optimize.minimize(f, np.full(m, 1 / m), jac=grad, method="SLSQP",
                            bounds=[(0, 1)] * m,
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1,
                                          "jac": lambda x: np.ones_like(x)}],
                            options={"ftol": 1e-15, "maxiter": 3000})
    assert res.success, res.message
    return float(ref * np.exp(res.fun) ** (1 / p))


def fair_maxentropy_value(pool: Pool, quotas: Quotas, floor: float,
                          households: bool = True) -> float:
    """max over lotteries on all panels of their entropy, every covered person >= floor."""
    panels = feasible_panels(pool, quotas, households)
    M = incidence(pool, panels)
    covered = [i for i in range(pool.n) if M[i].any()]
    Mc = M[covered]
    m = M.shape[1]

    def neg_entropy(x: np.ndarray) -> float:
        x = np.maximum(x, 1e-300)
        return float(np.sum(x * np.log(x)))

    def grad(x: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(x, 1e-300)) + 1

    res = optimize.minimize(neg_entropy, np.full(m, 1 / m), jac=grad, method="SLSQP",
                            bounds=[(0, 1)] * m,
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1,
                                          "jac": lambda x: np.ones_like(x)},
                                         {"type": "ineq", "fun": lambda x: Mc @ x - floor,
                                          "jac": lambda x: Mc}],
                            options={"ftol": 1e-14, "maxiter": 3000})
    assert res.success, res.message
    return -float(res.fun)
