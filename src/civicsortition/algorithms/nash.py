r"""NASH: maximise the Nash welfare of selection probabilities, ``Σ_i log π_i``.

Over covered people, grouped in types: ``f(x) = Σ_t n_t log π_t`` with
``π_t = Σ_S x_S c_{S,t}/n_t``, a concave function of the lottery ``x``. Its gradient along
column ``S`` is
``g_S = Σ_t c_{S,t} / π_t`` and ``Σ_S x_S g_S = N`` (the number of covered people), so by
concavity, for the best column ``S*``,

.. math::

    f^* - f(x) \le \max_S g_S - N,

a certified optimality gap (in welfare units) that the pricing problem (weights ``1/π_t``)
computes exactly. It runs on the shared Frank–Wolfe core (:mod:`._convex`, ``φ = −log``):
a Frank–Wolfe step towards the priced column (exact line search) alternates with
multiplicative (EM) re-weighting of the current support,
``x_S ← x_S g_S / N``, which increases ``f`` monotonically and needs no convex-optimisation
package, and a barrier Newton polish of the restricted problem. Each pricing MIP is followed
by local search from the best existing columns under the same weights, whose improving
profiles (``g_S > N``) enter too.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .._deprecated import moved_names
from .._log import get_logger
from .._typing import FloatArray
from ..distribution import Distribution, Extra
from ..errors import InputError
from ..numerics import DEFAULT_NASH_TOL, DEFAULT_TOL
from ..pool import Pool
from ..quotas import Quotas
from ._convex import frank_wolfe
from ._core import (
    Progress,
    Run,
    details,
    final_lottery,
    options_record,
    setup,
    stopped_message,
)
from .decompose import Peeling
from .fast_path import nash_fast_path
from .staged import leximin_lottery

__all__ = ["DEFAULT_NASH_TOL", "METHODS", "NashExtra", "nash"]

__getattr__ = moved_names(__name__, {"RELAXED_FEASIBLE": "civicsortition.numerics"})

#: The values of ``method``.
METHODS = ("auto", "column-generation")

#: The restricted master is polished by the barrier Newton method (:func:`_polish`; dense
#: ``m × m`` solves) up to this many columns; beyond it only the multiplicative updates run
#: (cheap per step, slower to converge).
POLISH_MAX_COLUMNS = 400

#: Beyond ``POLISH_MAX_COLUMNS`` columns, the polish runs over those with weight above
#: ``SUPPORT_FLOOR`` and the ``POLISH_RECENT`` newest, if they are at most
#: ``POLISH_MAX_SUPPORT`` (the barrier's dense solves are cubic in that number).
SUPPORT_FLOOR = 1e-12
POLISH_RECENT = 50
POLISH_MAX_SUPPORT = 900

#: :func:`_polish` forms its Hessian by sparse products when at most this fraction of the
#: coverage matrix is non-zero.
SPARSE_DENSITY = 0.05

#: After each pricing MIP, local search (:meth:`~._core.Run.heuristic`) starts from this many
#: of the best existing columns under the pricing weights; every improving profile found
#: enters the restricted master.
HEURISTIC_STARTS = 8

LOG = get_logger("algorithms.nash")


def _welfare(pi: FloatArray, sizes: FloatArray) -> float:
    return float(np.sum(sizes * np.log(np.maximum(pi, 1e-300))))


def _neg_log(pi: FloatArray) -> FloatArray:
    out: FloatArray = -np.log(np.maximum(pi, 1e-300))
    return out


def _neg_log_slope(pi: FloatArray) -> FloatArray:
    out: FloatArray = -1.0 / np.maximum(pi, 1e-300)
    return out


def _em(x: FloatArray, a: FloatArray, sizes: FloatArray, n_cov: float, rounds: int,
        tol: float) -> FloatArray:
    """Multiplicative updates on the support until the support's own gap is below ``tol``."""
    for _ in range(rounds):
        pi = x @ a
        g = (a / np.maximum(pi, 1e-300)) @ sizes  # g_S = Σ_t n_t a_{S,t} / π_t
        if g[x > 0].max() - n_cov <= tol:
            break
        x = x * g / n_cov
        x /= x.sum()
    return x


def _polish(x: FloatArray, a: FloatArray, sizes: FloatArray) -> FloatArray:
    r"""Maximise the welfare over the current columns by a primal barrier (Newton) method.

    Over the simplex of the ``m`` current columns, maximise
    :math:`F_\mu(x) = \sum_t n_t \log (a^\top x)_t + \mu \sum_S \log x_S`, for
    :math:`\mu` falling tenfold from ``1e-4`` to ``1e-13``; each :math:`\mu` takes a few
    Newton steps on the KKT system of ``Σ x = 1`` (Hessian
    :math:`-A^\top \mathrm{diag}(n / \pi^2) A - \mu\, \mathrm{diag}(1/x^2)`), with a
    fraction-to-the-boundary step rule and backtracking on :math:`F_\mu`. The result is
    within about ``m · 1e-13`` of the restricted optimum. It replaced SLSQP here, which took
    thousands of quasi-Newton steps per call (the parity corpus pool, n = 300: 174 s -> see
    CHANGELOG). ``x`` is kept if the result is not better.
    """
    act = sizes > 0
    A = a[:, act]
    n = sizes[act]
    m = len(x)
    v = np.maximum(x, 1e-9)
    v /= v.sum()
    from scipy import sparse

    # Small panels make sparse columns (k = 2: two non-zeros in 1,025 types): the Hessian's
    # product then costs its non-zeros, not m² T.
    As = sparse.csr_matrix(A) if np.count_nonzero(A) <= SPARSE_DENSITY * A.size else None

    def value(w: FloatArray, mu: float) -> float:
        pi = w @ A
        if np.any(pi <= 0) or np.any(w <= 0):
            return -np.inf
        return float(n @ np.log(pi) + mu * np.log(w).sum())

    mu = 1e-4
    while mu >= 1e-13:
        for _ in range(50):
            pi = v @ A
            g = A @ (n / pi) + mu / v
            if As is None:
                H = -(A * (n / pi**2)) @ A.T
            else:
                H = -(As @ sparse.diags(n / pi**2) @ As.T).toarray()
            H[np.diag_indices(m)] -= mu / v**2
            kkt = np.zeros((m + 1, m + 1))
            kkt[:m, :m] = H
            kkt[:m, m] = kkt[m, :m] = 1.0
            try:
                step = np.linalg.solve(kkt, np.concatenate([-g, [0.0]]))[:m]
            except np.linalg.LinAlgError:
                break
            # Stop on the KKT residual (the spread of the barrier gradient over the columns),
            # not on the Newton decrement: near the optimum the welfare changes by the
            # *square* of the residual, so a decrement test stops while the Frank-Wolfe gap
            # (the residual itself) is still far above tol (an 8-person corpus pool: gap
            # 1e-8 against tol 1e-9 at every one of 10,000 rounds).
            if not np.isfinite(step).all() or g.max() - g.min() < 1e-13 * max(1.0, n.sum()):
                break
            neg = step < 0
            t = min(1.0, 0.99 * float(np.min(-v[neg] / step[neg]))) if neg.any() else 1.0
            base = value(v, mu)
            # Backtrack only on a decrease beyond rounding noise: the last Newton steps change
            # the welfare by less than its last digit.
            while t > 1e-12 and value(v + t * step, mu) < base - 1e-15 * abs(base):
                t /= 2
            if t <= 1e-12:
                break
            v = v + t * step
            v = np.maximum(v, 1e-300)
            v /= v.sum()
        mu /= 10
    cand = np.where(v > 1e-14, v, 0.0)
    cand /= cand.sum()
    return cand if _welfare((cand @ a)[act], sizes[act]) > _welfare((x @ a)[act],
                                                                     sizes[act]) else x


def _start_from(run: Run, profiles: npt.NDArray[np.int64], weights: FloatArray, *,
                floor: float) -> FloatArray:
    """Add ``profiles`` as columns; starting weights = theirs plus ``floor`` on every column."""
    for profile in profiles:
        run.add(profile)
    position = {c.tobytes(): i for i, c in enumerate(run.columns)}
    x = np.full(len(run.columns), floor)
    for profile, p in zip(profiles, weights, strict=True):
        x[position[profile.astype(np.int64).tobytes()]] += p
    out: FloatArray = x / x.sum()
    return out


def _leximin_support(pool: Pool, quotas: Quotas, *, households: bool,
                     backend: str | None, max_iterations: int, time_limit: float | None = None
                     ) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """The LEXIMIN lottery's profiles and probabilities (a run of its own: the warm start).

    Under a time limit the LEXIMIN run may stop early: its lottery is still a valid start.
    """
    run = setup(pool, quotas, households=households, backend=backend, tol=DEFAULT_TOL,
                progress=None, max_iterations=max_iterations, coverage=False,
                time_limit=time_limit)
    lottery = leximin_lottery(run)
    return final_lottery(run, lottery.x, f"leximin ({lottery.path})")


@attrs.frozen(eq=False)
class NashExtra(Extra):
    """NASH's record in ``details.extra`` (also readable as the mapping of earlier versions).

    Attributes
    ----------
    requested : str
        The ``method`` asked for: ``"auto"`` or ``"column-generation"`` (attribute only).
    path : str
        What finished: ``"lp-relaxation"`` (the relaxation's dual bound certified the peeled
        lottery) or ``"column-generation"`` (mapping key ``"method"``).
    relaxation : dict or None
        The relaxed optimum's ``bound`` and ``violation`` and, if peeled, ``profiles``,
        ``unpeeled_mass`` and ``stop`` (None with ``method="column-generation"``).
    columns : int
        Columns generated.
    phases : dict
        Seconds per phase (coverage, relaxation, peeling, heuristic pricing).
    """

    requested: str = attrs.field(metadata={"key": None})
    path: str = attrs.field(metadata={"key": "method"})
    relaxation: dict[str, Any] | None
    columns: int
    phases: dict[str, float]


def nash(pool: Pool, quotas: Quotas, *, households: bool = True,
         backend: str | None = None, tol: float = DEFAULT_NASH_TOL,
         max_iterations: int = 10_000, progress: Progress | None = None,
         warm_start: bool = False, method: str = "auto",
         time_limit: float | None = None) -> Distribution:
    """Lottery maximising ``Σ log π_i`` over the people on some feasible panel.

    Parameters are as in :func:`~civicsortition.algorithms.maximin.maximin`, except that
    ``tol`` is the certified gap in Nash-welfare units (``Σ log π``; default 1e-9), and
    ``warm_start=True`` starts from the support of the LEXIMIN lottery (computed first).

    method : {"auto", "column-generation"}
        ``"auto"`` first maximises the welfare over the LP relaxation (a smooth dual with one
        variable per quota row, milliseconds), peels that optimum into a lottery
        (:mod:`~civicsortition.algorithms.decompose`) and stops if the relaxation's dual bound
        certifies it; otherwise, and with ``"column-generation"``, Frank-Wolfe column
        generation continues (from the peeled columns in the first case). Both are exact;
        ``details.extra["method"]`` records which one finished.
    time_limit : float, optional
        Wall-clock budget in seconds, checked between Frank-Wolfe rounds and phases (see
        :func:`~civicsortition.algorithms.maximin.maximin`); a stopped run returns its current
        lottery with ``converged=False`` and the best bound proven: the relaxation's dual
        bound or the last Frank-Wolfe bound, at worst Jensen's ``N log(k / N)``.

    Returns
    -------
    Distribution
        ``details.objective`` is the welfare, ``details.bound`` a certified upper bound.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 0, 2), ValueQuota("sex", "m", 0, 2)])
    >>> sorted({round(float(p), 4) for p in nash(pool, quotas).marginals})
    [0.3333]
    """
    # With the fast path, coverage is deferred (as in LEXIMIN): the relaxed optimum's peeled
    # profiles cover every type it gives a chance, and coverage MIPs run only for the types
    # they missed (the 1,473-person households corpus pool: 369 coverage MIPs, 45 s, before).
    run: Run = setup(pool, quotas, households=households, backend=backend, tol=min(tol, 1e-3),
                     progress=progress, max_iterations=max_iterations,
                     coverage=method != "auto", time_limit=time_limit)
    if method not in METHODS:
        raise InputError.single("bad-method", "method must be 'auto' or 'column-generation'",
                                value=repr(method))
    prog = run.program
    bound = np.inf
    relaxed: dict[str, float | int | str] | None = None
    peeled: Peeling | None = None
    if method == "auto":
        rel, peeled = nash_fast_path(run)
        bound = rel.bound
        relaxed = {"bound": rel.bound, "violation": rel.violation}
        if peeled is not None:
            relaxed.update(profiles=len(peeled.profiles), unpeeled_mass=peeled.remaining,
                           stop=peeled.stop)
    active = run.active()
    sizes = np.where(active, prog.sizes, 0).astype(float)
    n_cov = float(sizes.sum())
    x: FloatArray | None = None
    if peeled is not None:
        x = _start_from(run, peeled.profiles, peeled.weights, floor=1e-12)
    elif warm_start:
        # Start from the LEXIMIN support: its lottery is usually close to the Nash optimum.
        profiles, weights = _leximin_support(pool, quotas, households=households,
                                             backend=backend, max_iterations=max_iterations,
                                             time_limit=run.remaining())
        x = _start_from(run, profiles, weights, floor=1e-6)

    def improve(x: FloatArray, lower: float) -> FloatArray:
        """The restricted master: EM re-weighting, then the barrier polish, while needed.

        Neither runs when the bound already certifies ``x`` (a complete peel of the relaxed
        optimum usually is certified as it stands). The polish covers every column while
        they are few, else the columns in use and the newest ones: an optimal lottery needs
        at most T + 1 columns, whereas Frank-Wolfe keeps every column it ever priced.
        """
        a = run.coverage()
        if -lower - _welfare((x @ a)[active], sizes[active]) > tol:
            x = _em(x, a, sizes, n_cov, rounds=200, tol=tol / 10)
        welfare = _welfare((x @ a)[active], sizes[active])
        if -lower - welfare > tol:
            cols = np.arange(len(x))
            if len(x) > POLISH_MAX_COLUMNS:
                cols = np.union1d(np.flatnonzero(x > SUPPORT_FLOOR), cols[-POLISH_RECENT:])
            if len(cols) <= POLISH_MAX_SUPPORT:
                polished = np.zeros_like(x)
                polished[cols] = _polish(x[cols] / x[cols].sum(), a[cols], sizes)
                if _welfare((polished @ a)[active], sizes[active]) > welfare:
                    x = polished
        return x

    # Frank-Wolfe on F = -Σ n_t log π_t (the shared convex core), pricing with the unscaled
    # weights 1/π_t: max_S Σ_t c_t/π_t - N is the certified gap in welfare units. Local
    # search from the best columns under the same weights adds every improving profile it
    # finds (cheap, deterministic): with one column per pricing MIP the parity corpus pool
    # (n = 404) was still 8.8e-9 from its certificate after 600 rounds; with these, 40.
    outcome = frank_wolfe(run, _neg_log, _neg_log_slope, tol=tol, name="nash",
                          measure=float, improve=improve, x0=x, bound=-bound,
                          types=np.flatnonzero(active), normalise=False,
                          heuristic_starts=HEURISTIC_STARTS, step_always=True)
    x = outcome.weights
    welfare = -outcome.value
    bound = -outcome.bound
    converged = outcome.converged
    finished_by = "lp-relaxation" if outcome.certified_by == "bound" else "column-generation"
    keep = x > 1e-15
    x = np.where(keep, x, 0.0)
    x /= x.sum()
    message = (f"Nash welfare {welfare:.6f} within {bound - welfare:.2e} of optimal"
               if converged else "stopped before the certified gap reached tol")
    if run.stop_reason is not None and not converged:
        if not np.isfinite(bound) and n_cov > 0:
            # Jensen: Σ_t n_t log π_t <= N log(Σ_t n_t π_t / N) = N log(k / N) for every
            # lottery (the active people's probabilities add up to k).
            bound = n_cov * float(np.log(prog.panel_size / n_cov))
        message = (f"{stopped_message(run, 'Nash-optimal')}; Nash welfare {welfare:.6f}, "
                   f"certified bound {bound:.6f}")
    extra = NashExtra(requested=method, path=finished_by, relaxation=relaxed,
                      columns=len(run.columns), phases=run.phase_seconds())
    record = details(
        run, "nash", objective=welfare, bound=float(bound), converged=converged, stages=1,
        options=options_record(households=households, tol=tol, max_iterations=max_iterations,
                               warm_start=warm_start, method=method, time_limit=time_limit),
        message=message, extra=extra)
    uncovered = run.uncovered_people()
    profiles = np.array(run.columns)
    return Distribution(prog, profiles[keep], x[keep], record, uncovered)
