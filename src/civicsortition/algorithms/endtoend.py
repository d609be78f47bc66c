r"""END-TO-END: the lottery closest to per-person targets (Flanigan, Gölz, Gupta, Procaccia 2020).

Given targets :math:`\tau_i` (for self-selection correction :math:`\tau_i \propto
1/(\pi^{\mathrm{inv}}_i q_i)`, from :func:`civicsortition.estimate_propensity`), scaled by
water-filling to :math:`\min(1, c\,\tau_i)` summing to ``k`` over the people on some feasible
panel, find the lottery over quota-feasible panels minimising the weighted squared distance

.. math::

    F(x) = \sum_{i \text{ covered}} w_i \, (\pi_i(x) - \tau_i)^2, \qquad
    w_i = 1/\tau_i \;(\text{"population"}) \text{ or } w_i = 1 \;(\text{"uniform"}).

With the population weights, :math:`F` is (up to the factor ``k/N``) the Horvitz–Thompson
estimate of the population variance of the end-to-end probabilities
:math:`\pi^{\mathrm{inv}}_i q_i \pi_i` around their mean ``k/N``: each registrant stands for
:math:`1/(\pi^{\mathrm{inv}}_i q_i) \propto \tau_i` residents, and
:math:`\sum_i \tau_i (\pi_i/\tau_i - 1)^2 = \sum_i (\pi_i - \tau_i)^2/\tau_i`. The uniform
weights give the plain Euclidean projection of the targets onto the lotteries' marginals.

:math:`F` is separable and strictly convex in the marginals, so the optimal marginals are
unique. People whose targets are equal and who are interchangeable in the quotas share a
type (:math:`F = \sum_t n_t w_t (\pi_t - \tau_t)^2`); when the targets differ within a type
(for example letters oversampled in some districts) the program runs person by person, so
that each person can get their own probability. Solved by the Frank–Wolfe column generation
of :mod:`._convex` with a per-type :math:`\varphi_t(p) = w_t (p - \tau_t)^2`; the certificate
is the Frank–Wolfe gap: :math:`F(x) - F^* \le \sum_t \varphi_t'(\pi_t)(n_t \pi_t - c_{S^*,t})`
for the best panel :math:`S^*` under the weights :math:`-\varphi'`, computed exactly by one
pricing problem, and ``details.bound`` is minus the resulting lower bound on :math:`F^*`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._i18n import tr
from .._typing import FloatArray
from ..distribution import Distribution, Extra
from ..errors import InputError, Problem
from ..pool import Pool
from ..program import PanelProgram
from ..propensity import water_fill
from ..quotas import Quotas
from ._convex import frank_wolfe
from ._core import Progress, details, final_lottery, options_record, setup
from ._epigraph import check_tol, minimised_message

__all__ = ["DEFAULT_END_TO_END_TOL", "WEIGHTINGS", "EndToEndExtra", "end_to_end"]

#: Default certified gap of the weighted squared distance.
DEFAULT_END_TO_END_TOL = 1e-7
#: The values of ``weighting``.
WEIGHTINGS = ("population", "uniform")
#: Targets within this relative distance count as equal (people of one type share a type).
SAME_TARGET = 1e-12
#: Weight of the ``Σ x = 1`` row in the restricted master's least squares, relative to the
#: largest column norm: the equality then holds to about 1e-8 (relative) before the weights
#: are renormalised.
SUM_ROW_WEIGHT = 1e4


@attrs.frozen(eq=False)
class EndToEndExtra(Extra):
    """The record of an END-TO-END run in ``details.extra``.

    Attributes
    ----------
    value : float
        The weighted squared distance ``F`` of the lottery's probabilities from the targets.
    lower_bound : float
        Its certified lower bound on the optimum.
    weighting : str
        ``"population"`` or ``"uniform"``.
    level : str
        ``"types"`` (targets equal within every type) or ``"people"`` (a type per person).
    max_deviation : float
        ``max_i |π_i - τ_i|`` over the covered people.
    capped : int
        People whose scaled target was capped at probability 1.
    targets : ndarray of float
        Each person's scaled target ``τ_i`` (pool order; 0 for people on no feasible panel):
        published per person in the result (``people[].target``) so that the verifier can
        re-derive ``F`` and its certificate. An attribute only, not a mapping key.
    """

    value: float
    lower_bound: float
    weighting: str
    level: str
    max_deviation: float
    capped: int
    targets: FloatArray = attrs.field(factory=lambda: np.zeros(0), metadata={"key": None})

    def person_fields(self) -> dict[str, FloatArray]:
        """``{"target": τ}``, each person's scaled target."""
        return {"target": self.targets} if len(self.targets) else {}


def _raw_targets(pool: Pool, targets: Sequence[float] | Mapping[str, float] | FloatArray | None,
                 weighting: str) -> FloatArray:
    if targets is None:
        return np.ones(pool.n)
    if isinstance(targets, Mapping):
        missing = [pid for pid in pool.ids if pid not in targets]
        if missing:
            raise InputError([Problem("bad-targets", "no target for this person",
                                      column="targets", value=pid) for pid in missing[:20]])
        raw = [targets[pid] for pid in pool.ids]
    else:
        raw = list(targets)
        if len(raw) != pool.n:
            raise InputError.single("bad-targets", tr("targets has {n_targets} entries for a "
                                                      "pool of {n}", n_targets=len(raw),
                                                      n=pool.n), column="targets")
    try:
        out = np.array([float(t) for t in raw], dtype=float)
    except (TypeError, ValueError):
        raise InputError.single("bad-targets", "targets must be numbers",
                                column="targets") from None
    low = 0.0 if weighting == "uniform" else np.nextafter(0.0, 1.0)
    if not np.isfinite(out).all() or (out < low).any() or not (out > 0).any():
        raise InputError.single("bad-targets", tr("targets must be finite numbers, {what}, "
                                                  "and not all zero",
                                                  what="positive" if weighting == "population"
                                                  else "non-negative"), column="targets")
    return out


def _restricted(C: FloatArray, sizes: FloatArray, w: FloatArray, tau: FloatArray,
                x0: FloatArray) -> FloatArray:
    """``min Σ_t n_t w_t ((C x)_t / n_t - τ_t)²`` over the simplex of the current columns.

    A least-squares problem with ``x ≥ 0`` and ``Σ x = 1``: solved by non-negative least
    squares (Lawson–Hanson, exact for ``x ≥ 0``) with the equality as a row of weight
    :data:`SUM_ROW_WEIGHT` times the largest column norm (it then holds to about the square
    of that factor's inverse, relative), and renormalised. Measured ~100× faster than SLSQP
    on the Rustavi pool; the Frank–Wolfe certificate does not depend on its accuracy.
    """
    from scipy import optimize

    m = C.shape[1]
    if m == 1:
        return np.ones(1)
    root = np.sqrt(sizes * w)
    M = (C / sizes[:, None]) * root[:, None]
    b = root * tau
    rho = SUM_ROW_WEIGHT * max(float(np.linalg.norm(M, axis=0).max()), 1.0)
    x, _ = optimize.nnls(np.vstack([M, np.full((1, m), rho)]), np.append(b, rho),
                         maxiter=50 * m)
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    total = float(x.sum())
    x = x / total if total > 0 else x0

    def value(y: FloatArray) -> float:
        r = M @ y - b
        return float(r @ r)

    # Polish: on the support NNLS found, the equality-constrained least squares exactly
    # (its KKT system); kept if it stays non-negative and is no worse up to rounding. The
    # value is flat at the optimum (an error δ in x changes it by O(δ²) but the Frank–Wolfe
    # gap by O(δ)), so comparing values exactly would keep NNLS's ~1e-8-accurate weights,
    # whose gap can stay above a tight tolerance forever.
    S = np.flatnonzero(x > 0)
    if len(S) > 1:
        K = np.zeros((len(S) + 1, len(S) + 1))
        K[:-1, :-1] = M[:, S].T @ M[:, S]
        K[:-1, -1] = K[-1, :-1] = 1.0
        rhs = np.append(M[:, S].T @ b, 1.0)
        y = np.linalg.lstsq(K, rhs, rcond=None)[0][:-1]
        if (y >= 0).all() and abs(float(y.sum()) - 1.0) <= 1e-12:
            polished = np.zeros(m)
            polished[S] = y
            if value(polished) <= _slack(value(x)):
                x = polished
    return x if value(x) <= _slack(value(x0)) else x0  # never worse than the warm start


def _slack(v: float) -> float:
    """``v`` plus the rounding of a sum of squares of that size (a few ulps, relative)."""
    return v + 1e-13 * max(v, 1e-300) + 1e-300


def end_to_end(pool: Pool, quotas: Quotas, *,
               targets: Sequence[float] | Mapping[str, float] | FloatArray | None = None,
               weighting: str = "population", households: bool = True,
               backend: str | None = None, tol: float = DEFAULT_END_TO_END_TOL,
               max_iterations: int = 10_000, progress: Progress | None = None,
               time_limit: float | None = None) -> Distribution:
    """The lottery whose selection probabilities are closest to per-person targets.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    targets : sequence of float or mapping of id to float, optional
        Each person's target, up to scale: ``PropensityFit.weights`` (``1/(π^inv q)``) for
        equal end-to-end chances. They are capped at 1 and scaled to sum to ``k`` over the
        people on some feasible panel (water-filling). Default: equal targets (the lottery
        closest to ``k/N`` for everyone, the ℓ2 rule).
    weighting : {"population", "uniform"}
        ``w_i = 1/τ_i`` (the population variance of end-to-end probabilities; targets must
        be positive) or ``w_i = 1``.
    households, backend, max_iterations, progress, time_limit
        As :func:`~civicsortition.algorithms.maximin`.
    tol : float
        Certified gap of ``F`` (the weighted squared distance).

    Returns
    -------
    Distribution
        ``details.objective`` is ``-F``, ``details.bound`` minus its certified lower bound;
        ``details.extra`` is an :class:`EndToEndExtra`.

    Raises
    ------
    InputError
        ``bad-targets`` (wrong length, a person without one, negative, non-finite or all
        zero), ``bad-weighting``, ``bad-tolerance``.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 0, 2), ValueQuota("sex", "m", 0, 2)])
    >>> d = end_to_end(pool, quotas, targets=[1, 1, 1, 1, 4, 4])
    >>> [round(float(v), 4) for v in d.marginals]
    [0.1667, 0.1667, 0.1667, 0.1667, 0.6667, 0.6667]
    """
    check_tol(tol)
    if weighting not in WEIGHTINGS:
        raise InputError.single("bad-weighting", tr("weighting must be one of {choices}",
                                                    choices=list(WEIGHTINGS)),
                                value=repr(weighting))
    raw = _raw_targets(pool, targets, weighting)
    types = PanelProgram.build(pool, quotas, households=households).type_of
    same = all(np.ptp(raw[types == t]) <= SAME_TARGET * float(raw[types == t].max())
               for t in np.unique(types))
    run = setup(pool, quotas, households=households, backend=backend, tol=min(tol, 0.0099),
                progress=progress, max_iterations=max_iterations, time_limit=time_limit,
                compress=same)
    options: dict[str, Any] = options_record(households=households, tol=tol,
                                             weighting=weighting,
                                             max_iterations=max_iterations,
                                             time_limit=time_limit)
    prog = run.program
    active = np.flatnonzero(run.active())
    people = np.concatenate([prog.members[t] for t in active]) if len(active) else np.zeros(0)
    people = people.astype(np.int64)
    tau_person = np.zeros(pool.n)
    positive = int((raw[people] > 0).sum())
    if positive < prog.panel_size:
        raise InputError.single("bad-targets", tr("only {positive} people on a feasible panel "
                                                  "have a positive target, fewer than the "
                                                  "{k} seats", positive=positive,
                                                  k=prog.panel_size), column="targets")
    tau_person[people] = water_fill(raw[people], float(prog.panel_size))
    sizes = prog.sizes[active].astype(float)
    tau = np.array([float(tau_person[prog.members[t]].mean()) for t in active])
    w = 1.0 / tau if weighting == "population" else np.ones(len(active))

    def phi(pi: FloatArray) -> FloatArray:
        out: FloatArray = w * (pi - tau) ** 2
        return out

    def dphi(pi: FloatArray) -> FloatArray:
        out: FloatArray = 2.0 * w * (pi - tau)
        return out

    def improve(x: FloatArray, bound: float) -> FloatArray:
        C = np.array(run.columns, dtype=float)[:, active].T
        return _restricted(C, sizes, w, tau, x)

    outcome = frank_wolfe(run, phi, dphi, tol=tol, name="end-to-end", improve=improve,
                          bound=0.0, types=active)
    profiles, x = final_lottery(run, outcome.weights, "end-to-end")
    pi = (x @ profiles / prog.sizes)[active]
    value = float((sizes * w * (pi - tau) ** 2).sum())
    bound = max(min(outcome.bound, value), 0.0)
    deviation = (float(np.abs(pi[np.searchsorted(active, prog.type_of[people])]
                              - tau_person[people]).max()) if len(people) else 0.0)
    tau_person.setflags(write=False)
    extra = EndToEndExtra(value=value, lower_bound=bound, weighting=weighting,
                          level="types" if same else "people", max_deviation=deviation,
                          capped=int((tau_person >= 1.0).sum()), targets=tau_person)
    message = minimised_message(run, outcome.converged, "weighted squared distance", value,
                                bound)
    record = details(run, "end-to-end", objective=-value, bound=-bound,
                     converged=outcome.converged,
                     stages=1, options=options, message=message, extra=extra)
    return Distribution(prog, profiles, x, record, run.uncovered_people())
