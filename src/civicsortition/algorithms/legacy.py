"""LEGACY: the practitioners' greedy sequential draw (pre-2020 practice), for comparison.

Repeat until ``k`` people are selected: for every value that still has available people,
compute its *urgency* ``(ℓ_v − selected_v) / available_v``; take the most urgent value (ties
by a random choice), select a uniformly random available person with it, then make
unavailable everyone whose value reached its upper quota and (with households) the
housemates of the selected person. A draw that ends with a violated quota or no available
person is discarded and restarted.

Its selection probabilities have no closed form: they are estimated by Monte Carlo over
``draws`` panels, each person's with a Jeffreys interval (the Bayesian interval under a
Beta(½, ½) prior, as in Flanigan et al. 2021), computed with :func:`scipy.stats.beta.ppf`.
"""

from __future__ import annotations

import time

import attrs
import numpy as np
import numpy.typing as npt

from .._typing import IntArray
from ..distribution import Distribution, Extra
from ..errors import InputError, SolverError, Status
from ..pool import Pool
from ..program import PanelProgram
from ..quotas import Quotas
from ._core import Progress, details, options_record, setup, stopped_message

__all__ = ["LegacyExtra", "legacy", "legacy_panel"]


@attrs.frozen(eq=False)
class LegacyExtra(Extra):
    """LEGACY's record in ``details.extra`` (also readable as the mapping of earlier versions).

    Attributes
    ----------
    ci_low, ci_high : list of float
        Each person's Jeffreys interval at level ``confidence`` (aligned with the pool).
    failed_draws : int
        Draws that ended with a violated quota or nobody available (discarded).
    confidence : float
        Level of the intervals.
    """

    ci_low: list[float]
    ci_high: list[float]
    failed_draws: int
    confidence: float


def legacy_panel(prog: PanelProgram, rng: np.random.Generator, *, max_restarts: int = 1000
                 ) -> IntArray | None:
    """One greedy draw (person indices), or None if ``max_restarts`` draws all failed."""
    pool, quotas = prog.pool, prog.quotas
    k = quotas.panel_size
    rows = [(q, q.mask(pool)) for q in quotas]  # joint rows too: every part must hold
    # Household keys as integer codes (-1: none), so excluding housemates is one vector op.
    hh: npt.NDArray[np.int64] | None = None
    if prog.households and pool.households is not None:
        keys = {h: j for j, h in enumerate(dict.fromkeys(h for h in pool.households if h))}
        hh = np.array([keys[h] if h else -1 for h in pool.households], dtype=np.int64)
    for _ in range(max_restarts):
        available = np.ones(pool.n, dtype=bool)
        selected: list[int] = []
        counts = np.zeros(len(rows), dtype=np.int64)
        failed = False
        while len(selected) < k:
            urgencies = np.full(len(rows), -np.inf)
            for r, (q, mask) in enumerate(rows):
                avail = int((mask & available).sum())
                if avail > 0:
                    urgencies[r] = (q.min - counts[r]) / avail
            if not np.isfinite(urgencies).any():
                failed = True
                break
            best = np.flatnonzero(urgencies == urgencies.max())
            r = int(best[rng.integers(len(best))])
            candidates = np.flatnonzero(rows[r][1] & available)
            person = int(candidates[rng.integers(len(candidates))])
            selected.append(person)
            available[person] = False
            for j, (q, mask) in enumerate(rows):
                if mask[person]:
                    counts[j] += 1
                    if counts[j] >= q.max:
                        available &= ~mask
            if hh is not None and hh[person] >= 0:
                available &= hh != hh[person]
        if not failed and not prog.check_panel(selected):
            return np.array(sorted(selected), dtype=np.int64)
    return None


def legacy(pool: Pool, quotas: Quotas, *, households: bool = True,
           backend: str | None = None, draws: int = 10_000, confidence: float = 0.99,
           rng: np.random.Generator | int | None = None,
           progress: Progress | None = None, time_limit: float | None = None) -> Distribution:
    """Estimate the greedy draw's lottery by ``draws`` Monte Carlo draws.

    Parameters
    ----------
    pool, quotas, households, backend, progress
        As in :func:`~civicsortition.algorithms.maximin.maximin` (the backend is only used to
        establish feasibility and coverage).
    draws : int
        Number of simulated draws; the result is the empirical lottery over them.
    confidence : float
        Level of the per-person Jeffreys intervals in ``details.extra``.
    rng : int or numpy.random.Generator, optional
        Seed for reproducibility (recorded).
    time_limit : float, optional
        Wall-clock budget in seconds, checked after every draw; when it runs out (or the
        progress callback, called every 1,000 draws, returns ``False``) the empirical lottery
        of the draws made so far is returned with ``converged=False`` (not reproducible from
        the seed alone: how many draws were made depends on the machine).

    Returns
    -------
    Distribution
        Per-person lottery (no type compression); ``details.extra`` holds ``ci_low`` and
        ``ci_high`` (lists aligned with the pool) and ``failed_draws``. ``details.bound`` is
        ``nan``: there is nothing to certify.
    """
    if not isinstance(draws, int) or draws < 1:
        raise InputError.single("bad-draws", "draws must be a positive integer",
                                value=repr(draws))
    if not 0 < confidence < 1:
        raise InputError.single("bad-confidence", "confidence must be in (0, 1)",
                                value=repr(confidence))
    seed = rng if isinstance(rng, int) else None
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    started = time.perf_counter()
    run = setup(pool, quotas, households=households, backend=backend, tol=1e-7,
                progress=progress, max_iterations=10**9, compress=False,
                time_limit=time_limit)
    prog = run.program
    counts: dict[bytes, int] = {}
    panels: dict[bytes, IntArray] = {}
    failed = 0
    made = 0
    for d in range(draws):
        if made and run.should_stop():
            break
        made += 1
        panel = legacy_panel(prog, gen)
        if panel is None:
            failed += 1
            continue
        key = panel.tobytes()
        counts[key] = counts.get(key, 0) + 1
        panels.setdefault(key, panel)
        if (progress is not None and (d + 1) % 1000 == 0
                and progress("legacy", d + 1, float(d + 1), float(draws)) is False):
            run.stop_reason = run.stop_reason or "cancelled"
    from scipy import stats

    if not counts and run.stop_reason is not None:
        raise SolverError("no panel was drawn before the run stopped", Status.LIMIT,
                          f"{made} draws failed", stage="time limit")
    if not counts:
        raise InputError.single("legacy-failed", "the greedy draw failed every time (it can fail "
                                "on quotas that other algorithms satisfy)")
    keys = list(counts)
    profiles = np.zeros((len(keys), pool.n), dtype=np.int64)
    for s, key in enumerate(keys):
        profiles[s, panels[key]] = 1
    successes = np.array([counts[kk] for kk in keys], dtype=float)
    total = successes.sum()
    hits = successes @ profiles
    alpha = 1 - confidence
    low = np.where(hits > 0, stats.beta.ppf(alpha / 2, hits + 0.5, total - hits + 0.5), 0.0)
    high = np.where(hits < total, stats.beta.ppf(1 - alpha / 2, hits + 0.5, total - hits + 0.5),
                    1.0)
    dist_probs = successes / total
    pi = hits / total
    covered = np.ones(pool.n, dtype=bool)
    uncovered = run.uncovered_people()
    covered[list(uncovered)] = False
    stopped = run.stop_reason is not None
    message = (f"{int(total)} greedy draws ({failed} failed); estimated minimum "
               f"{pi[covered].min():.4f}, {confidence:.0%} upper bound "
               f"{high[covered][np.argmin(pi[covered])]:.4f}")
    if stopped:
        message = f"{stopped_message(run, None)}, {made} of {draws} draws made; {message}"
    record = details(
        run, "legacy", objective=float(pi[covered].min()) if covered.any() else 0.0,
        bound=float("nan"), converged=not stopped, stages=1, iterations=int(total),
        seconds=time.perf_counter() - started,
        options=options_record(households=households, draws=draws, confidence=confidence,
                               rng=seed, time_limit=time_limit),
        message=message,
        extra=LegacyExtra(low.tolist(), high.tolist(), failed, confidence))
    return Distribution(prog, profiles, dist_probs, record, uncovered)
