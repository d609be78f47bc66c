"""The shared Frank–Wolfe core (``algorithms._convex``) on an objective of the test's own.

NASH and ℓp are tested against the oracle elsewhere; here the core is given a convex ``φ``
that no algorithm uses, ``φ(π) = exp(3π)``, and its optimum is checked against a direct solve
over every feasible panel (enumerated), so that a new objective module can rely on the core.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import assume, given
from scipy import optimize

from civicsortition import Pool, Quotas
from civicsortition.algorithms import _convex
from civicsortition.algorithms._core import setup
from civicsortition.research.corpus import torture_instance

from . import oracle
from .test_engine import SLOW_OK, _feasible, tiny_instances


def _phi(pi: np.ndarray) -> np.ndarray:
    return np.exp(3.0 * pi)


def _dphi(pi: np.ndarray) -> np.ndarray:
    return 3.0 * np.exp(3.0 * pi)


def _brute_force(pool: Pool, quotas: Quotas) -> float:
    """min Σ_i exp(3 π_i) over the covered people, over lotteries of every feasible panel."""
    panels = oracle.feasible_panels(pool, quotas)
    M = oracle.incidence(pool, panels)                  # people × panels
    covered = M.any(axis=1)
    M = M[covered]
    m = M.shape[1]

    def value(x: np.ndarray) -> float:
        return float(np.exp(3.0 * (M @ x)).sum())

    def grad(x: np.ndarray) -> np.ndarray:
        return np.asarray(M.T @ (3.0 * np.exp(3.0 * (M @ x))))

    best = np.inf
    for start in (np.full(m, 1.0 / m), np.eye(m)[0]):
        res = optimize.minimize(value, start, jac=grad, method="SLSQP",
                                bounds=[(0.0, 1.0)] * m,
                                constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0}],
                                options={"ftol": 1e-14, "maxiter": 2000})
        best = min(best, value(np.clip(res.x, 0, 1) / np.clip(res.x, 0, 1).sum()))
    return best


@SLOW_OK
@given(inst=tiny_instances(households=False))
def test_the_core_minimises_an_objective_no_algorithm_uses(inst: tuple[Pool, Quotas]) -> None:
    pool, quotas = inst
    assume(_feasible(pool, quotas))
    run = setup(pool, quotas, households=False, backend=None, tol=1e-9, progress=None,
                max_iterations=500)
    out = _convex.frank_wolfe(run, _phi, _dphi, tol=1e-9, name="exp")
    truth = _brute_force(pool, quotas)
    assert out.converged
    assert out.certified_by == "gap"
    assert out.bound <= truth + 1e-7                 # a certificate: never above the optimum
    assert out.value <= truth + 1e-6                 # and the lottery attains it
    assert out.value - out.bound <= 1e-9 + 1e-12 * abs(out.value)
    assert out.weights.sum() == pytest.approx(1.0)
    assert (out.weights >= 0).all()
    assert len(out.weights) == len(run.columns)


def test_nash_runs_on_the_shared_core(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = _convex.frank_wolfe

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["name"])
        return real(*args, **kwargs)

    nash = importlib.import_module("civicsortition.algorithms.nash")
    monkeypatch.setattr(nash, "frank_wolfe", spy)
    inst = torture_instance("independent", 60, seed=1)   # small: the route, not the speed
    d = nash.nash(inst.pool, inst.quotas, method="column-generation")
    assert calls == ["nash"]
    assert d.details.converged
    assert d.details.extra.path == "column-generation"
    assert d.details.bound - d.details.objective <= 1e-9
