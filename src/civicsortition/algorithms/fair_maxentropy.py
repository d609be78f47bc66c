r"""FAIR-MAXENTROPY: maximum entropy with every probability at least a floor.

The fair variant of de Azevedo & Gölz (2026); the counting it relies on is that of
:mod:`civicsortition.algorithms.maxentropy` (:mod:`._counting`). The program, its dual and
the certificate are in :func:`fair_maxentropy`.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from .._i18n import tr
from .._typing import FloatArray
from ..distribution import Distribution, Extra
from ..errors import InputError
from ..pool import Pool
from ..quotas import Quotas
from ._core import Progress, details, options_record, setup
from ._counting import DEFAULT_MAX_PROFILES, count_panels, lottery_of, too_many_profiles

__all__ = ["FairMaxEntropyExtra", "fair_maxentropy"]


@attrs.frozen(eq=False)
class FairMaxEntropyExtra(Extra):
    """FAIR-MAXENTROPY's record in ``details.extra``.

    Attributes
    ----------
    floor : float
        The probability every covered person is held at (at least).
    minimum : float
        The smallest probability of a covered person in the lottery.
    entropy : float
        The lottery's entropy over panels (nats).
    dual_bound : float
        The certified upper bound on the entropy of any lottery meeting the floor.
    profiles : int
        Distinct type profiles (the support).
    """

    floor: float
    minimum: float
    entropy: float
    dual_bound: float
    profiles: int


def fair_maxentropy(pool: Pool, quotas: Quotas, *, floor: float | str = "maximin",
                    slack: float = 1e-3, households: bool = True, backend: str | None = None,
                    tol: float = 1e-6, max_profiles: int = DEFAULT_MAX_PROFILES,
                    progress: Progress | None = None,
                    time_limit: float | None = None) -> Distribution:
    r"""Maximum entropy subject to every covered person's probability being at least a floor.

    The lottery of largest entropy among those giving everyone at least ``floor``
    (de Azevedo & Gölz 2026, the fair variant). By Lagrangian duality its panels weigh
    :math:`p(S) \propto \exp(\sum_t \mu_t c_{S,t})` for multipliers :math:`\mu \ge 0` that
    minimise the convex dual

    .. math::

        D(\mu) = \log Z(\mu) - f \sum_t \mu_t n_t, \qquad
        Z(\mu) = \sum_c \prod_t \binom{n_t}{c_t} e^{\mu_t c_t},

    computed by the weighted count of :func:`count_panels` (its gradient is
    :math:`E_\mu[c_t] - f n_t`), minimised by L-BFGS-B. Weak duality makes :math:`D(\mu)` an
    upper bound on the entropy of every lottery meeting the floor: the certificate
    (``details.bound``). The entropy of the tilted lottery is
    :math:`\log Z - \sum_t \mu_t E_\mu[c_t]`.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    floor : float or "maximin"
        The floor ``f``; ``"maximin"`` takes the MAXIMIN value less ``slack`` (relative): the
        exact best minimum leaves no room for randomness beyond what it forces, and its dual
        multipliers grow without bound.
    slack : float
        Relative slack below the MAXIMIN value for ``floor="maximin"``.
    households, backend, max_profiles, progress, time_limit
        As :func:`maxentropy`.
    tol : float
        Largest allowed shortfall of a probability below the floor, and dual gradient
        tolerance.

    Returns
    -------
    Distribution
        ``details.objective`` is the entropy (nats), ``details.bound`` the dual bound;
        ``details.extra`` is a :class:`FairMaxEntropyExtra`.

    Raises
    ------
    InputError
        ``bad-floor``, ``support-too-large`` (as :func:`maxentropy`).
    """
    from scipy import optimize

    from ._core import max_min_stage

    if floor != "maximin" and (isinstance(floor, bool) or not isinstance(floor, float | int)
                               or not 0 <= floor <= 1):
        raise InputError.single("bad-floor", "floor must be 'maximin' or a probability in "
                                "[0, 1]", value=repr(floor))
    run = setup(pool, quotas, households=households, backend=backend, tol=1e-6,
                progress=progress, max_iterations=10_000, time_limit=time_limit)
    prog = run.program
    active = run.active()
    run.open_master(np.flatnonzero(active))
    stage = max_min_stage(run, np.zeros(prog.n_types), "fair maxentropy floor")
    if floor == "maximin":
        level = max(stage.value * (1 - slack), 0.0)
    elif float(floor) > stage.bound - 1e-9:
        raise InputError.single("bad-floor", tr("no lottery gives everyone {floor:.6f} with "
                                                "room to spare: the best achievable minimum "
                                                "is at most {bound:.6f}", floor=float(floor),
                                                bound=stage.bound), value=repr(floor))
    else:
        level = float(floor)
    types = np.flatnonzero(active)
    sizes = prog.sizes[types].astype(float)
    count0 = count_panels(prog, active)
    if count0.profiles > max_profiles:
        raise too_many_profiles(count0.panels, count0.profiles, max_profiles)

    def dual(mu: FloatArray) -> tuple[float, FloatArray]:
        tilt = np.zeros(prog.n_types)
        tilt[types] = mu
        c = count_panels(prog, active, tilt=tilt)
        value = math.log(c.panels) - level * float(mu @ sizes)
        return value, c.expected[types] - level * sizes

    res = optimize.minimize(dual, np.zeros(len(types)), jac=True, method="L-BFGS-B",
                            bounds=[(0.0, None)] * len(types),
                            options={"gtol": tol, "ftol": 1e-15, "maxiter": 500})
    tilt = np.zeros(prog.n_types)
    tilt[types] = np.maximum(res.x, 0.0)
    count = count_panels(prog, active, tilt=tilt)
    profiles, weights = lottery_of(count, prog.n_types)
    pi = (weights @ profiles / prog.sizes)[active]
    minimum = float(pi.min()) if len(pi) else 0.0
    entropy = math.log(count.panels) - float(tilt[types] @ count.expected[types])
    bound = max(math.log(count.panels) - level * float(tilt[types] @ sizes), entropy)
    converged = bool(res.success) and minimum >= level - tol
    options: dict[str, Any] = options_record(households=households, floor=floor, slack=slack,
                                             tol=tol, max_profiles=max_profiles,
                                             time_limit=time_limit)
    extra = FairMaxEntropyExtra(floor=level, minimum=minimum, entropy=entropy,
                                dual_bound=bound, profiles=count.profiles)
    message = (f"entropy {entropy:.6f} nats with everyone at least {level:.6f} (minimum "
               f"{minimum:.6f}); dual bound {bound:.6f}")
    if not converged:
        message = f"not converged ({res.message}); " + message
    record = details(run, "fair-maxentropy", objective=entropy, bound=bound,
                     converged=converged, stages=1, options=options, extra=extra,
                     message=message)
    return Distribution(prog, profiles, weights, record, run.uncovered_people())
