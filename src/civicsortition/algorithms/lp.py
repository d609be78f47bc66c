r"""ℓp: minimise the ℓp norm of the selection probabilities (Flanigan, Liang, Procaccia, Wang 2024).

.. math::

    \min_x \|\pi(x)\|_p = \Big(\sum_{i \text{ covered}} \pi_i^p\Big)^{1/p}, \qquad 1 < p < \infty.

Since every lottery's probabilities add up to ``k``, a smaller norm means probabilities closer
to equal; ``p = 2`` is the squared-deviation rule, ``p → ∞`` is MINIMAX (:mod:`.minimax`).
"Manipulation-robust selection of citizens' assemblies" (AAAI 2024) shows these rules far less
manipulable by coalitions than LEXIMIN or NASH. The objective is strictly convex in the
probabilities, so the optimal probabilities are unique. Solved by the Frank–Wolfe column
generation of :mod:`._convex` on ``Σ_t n_t π_t^p``; the certified gap is in norm units.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._typing import FloatArray
from ..distribution import Distribution
from ..errors import InputError
from ..pool import Pool
from ..quotas import Quotas
from ._convex import frank_wolfe
from ._core import Progress, details, final_lottery, options_record, setup
from ._epigraph import EpigraphExtra, check_tol, minimised_message

__all__ = ["DEFAULT_LP_TOL", "lp"]

#: Default certified gap of the ℓp norm.
DEFAULT_LP_TOL = 1e-6


def lp(pool: Pool, quotas: Quotas, *, p: float = 2.0, households: bool = True,
       backend: str | None = None, tol: float = DEFAULT_LP_TOL, max_iterations: int = 10_000,
       progress: Progress | None = None, time_limit: float | None = None) -> Distribution:
    """Lottery minimising the ℓp norm of the covered people's selection probabilities.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    p : float
        The norm, ``1 < p < ∞`` (2 by default). For ``p = ∞`` use :func:`minimax`.
    households, backend, max_iterations, progress, time_limit
        As :func:`~civicsortition.algorithms.maximin`.
    tol : float
        Certified gap in norm units.

    Returns
    -------
    Distribution
        ``details.objective`` is minus the norm, ``details.bound`` minus its certified lower
        bound; ``details.extra`` is an :class:`~civicsortition.algorithms.EpigraphExtra`
        (``value`` the norm, ``lower_bound``, ``maximum``, ``minimum``).

    Raises
    ------
    InputError
        ``bad-p`` for a ``p`` that is not a number in ``(1, ∞)``.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> d = lp(pool, quotas, p=2)
    >>> [round(float(v), 4) for v in d.marginals]
    [0.25, 0.25, 0.25, 0.25, 0.5, 0.5]
    """
    check_tol(tol)
    if isinstance(p, bool) or not isinstance(p, float | int) or not (
            math.isfinite(p) and p > 1):
        raise InputError.single("bad-p", "p must be a number in (1, ∞); use the minimax "
                                "algorithm for p = ∞", value=repr(p))
    power = float(p)
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations, time_limit=time_limit)
    options: dict[str, Any] = options_record(households=households, tol=tol, p=power,
                                             max_iterations=max_iterations,
                                             time_limit=time_limit)

    # Σ n_t (π_t / r)^p with r = k/N (the uniform probability) keeps the program well scaled
    # for large p; the norm is r · F^(1/p).
    active = run.active()
    ref = run.program.panel_size / max(float(run.program.sizes[active].sum()), 1.0)

    def phi(pi: FloatArray) -> FloatArray:
        out: FloatArray = np.power(pi / ref, power)
        return out

    def dphi(pi: FloatArray) -> FloatArray:
        out: FloatArray = power / ref * np.power(pi / ref, power - 1.0)
        return out

    def norm(F: float) -> float:
        return float(ref * max(F, 0.0) ** (1.0 / power))

    outcome = frank_wolfe(run, phi, dphi, tol=tol, name=f"l{power:g}", measure=norm)
    prog = run.program
    profiles, x = final_lottery(run, outcome.weights, "lp")
    pi = (x @ profiles / prog.sizes)[active]
    value = float(np.power((prog.sizes[active] * np.power(pi, power)).sum(), 1.0 / power))
    bound = min(norm(outcome.bound), value)
    what = f"l{power:g} norm"
    message = minimised_message(run, outcome.converged, what, value, bound)
    extra = EpigraphExtra(value=value, lower_bound=bound,
                          maximum=float(pi.max()) if len(pi) else 0.0,
                          minimum=float(pi.min()) if len(pi) else 0.0)
    record = details(run, "lp", objective=-value, bound=-bound, converged=outcome.converged,
                     stages=1, options=options, message=message, extra=extra)
    return Distribution(prog, profiles, x, record, run.uncovered_people())
