r"""Maximum entropy: the uniform lottery over *all* feasible panels (de Azevedo & Gölz 2026).

"Maximally random sortition" (arXiv:2604.02712) proposes drawing the panel uniformly among all
panels that satisfy the quotas (and the household rule): the lottery of largest entropy, the
most random one the quotas allow. Its probabilities follow from counting.

**Counting.** People of one type are interchangeable, and a person who shares a household is a
type of their own (:mod:`civicsortition.program`). A panel with type profile
:math:`c = (c_t)` can be chosen in :math:`\prod_t \binom{n_t}{c_t}` ways, so the uniform
lottery over panels puts weight :math:`w(c) = \prod_t \binom{n_t}{c_t} / Z` on profile
:math:`c`, with :math:`Z` the number of feasible panels. Both are computed exactly (Python
integers) by dynamic programming over *steps* -- one per type outside households
(:math:`c_t \in 0..n_t`) and one per household (at most one of its members) -- whose state is
the vector of counts of the quota rows so far (the panel size and one count per quota value);
states that exceed a maximum, or can no longer reach a minimum with the steps left, are
pruned. A forward pass gives the number of ways :math:`F_i(s)` to reach state :math:`s` before
step :math:`i`, a backward pass the number of completions :math:`B_i(s)`; then
:math:`Z = B_0(0)` and the expected count of type :math:`t` (step :math:`i`) is
:math:`\sum_s F_i(s) \sum_{c} \binom{n_t}{c} \, c \, B_{i+1}(s + c\,a_t) / Z` -- exact marginals.

**The lottery.** When the number of distinct feasible profiles is at most ``max_profiles``,
they are enumerated (following only branches with completions) and returned as an ordinary
:class:`~civicsortition.distribution.Distribution`: the draw picks a profile with probability
:math:`w(c)` and then the members of each type uniformly, which is exactly the uniform draw of
a panel. Beyond that, an :class:`~civicsortition.errors.InputError` (code
``support-too-large``) states the exact numbers of panels and profiles. The size of the
dynamic programme (its states) is reported in ``details.extra``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np

from .._i18n import tr
from .._typing import FloatArray
from ..distribution import Distribution, Extra
from ..errors import InputError
from ..pool import Pool
from ..program import PanelProgram
from ..quotas import Quotas
from ._core import Progress, details, options_record, setup

__all__ = ["DEFAULT_MAX_PROFILES", "FairMaxEntropyExtra", "MaxEntropyExtra", "PanelCount",
           "count_panels", "fair_maxentropy", "maxentropy"]

#: Largest support (distinct type profiles) returned as an explicit lottery.
DEFAULT_MAX_PROFILES = 200_000

#: Largest number of dynamic-programming states (over all steps) before giving up.
MAX_STATES = 2_000_000


@attrs.frozen(eq=False)
class PanelCount:
    """The exact count of feasible panels and the uniform lottery's marginals.

    Attributes
    ----------
    panels : int
        The number of feasible panels ``Z`` (exact).
    profiles : int
        The number of distinct feasible type profiles (exact).
    expected : ndarray
        Expected number of members of each type on a uniformly drawn panel.
    states : int
        States of the dynamic programme, over all steps.
    """

    panels: int
    profiles: int
    expected: FloatArray
    states: int
    _steps: tuple[tuple[tuple[tuple[int, ...], int, int, int], ...], ...] = attrs.field(
        repr=False)
    _backward: tuple[dict[tuple[int, ...], int], ...] = attrs.field(repr=False)
    _step: Callable[[tuple[int, ...], tuple[int, ...], int], tuple[int, ...] | None] = (
        attrs.field(repr=False))

    def entropy(self) -> float:
        """The Shannon entropy of the uniform lottery over panels, ``log Z`` (nats)."""
        return math.log(self.panels) if self.panels > 0 else 0.0


@attrs.frozen(eq=False)
class MaxEntropyExtra(Extra):
    """MAXENTROPY's record in ``details.extra``.

    Attributes
    ----------
    panels : str
        The exact number of feasible panels (a decimal string: it may exceed any float).
    profiles : int
        Distinct type profiles (the support of the returned lottery).
    entropy : float
        ``log`` of the number of panels (nats): the entropy of the uniform lottery.
    states : int
        Dynamic-programming states.
    """

    panels: str
    profiles: int
    entropy: float
    states: int


Step = tuple[tuple[tuple[int, ...], int, int, int], ...]  # (row delta, type, count, ways)


def _steps(prog: PanelProgram, active: np.ndarray, tilt: FloatArray | None = None
           ) -> list[Step]:
    """The steps: per option, its change of the quota-row counts, type, count and ways.

    With ``tilt`` (one multiplier per type), an option putting ``c`` members of type ``t`` on
    the panel weighs ``ways · exp(tilt_t · c)`` (floats): the weighted count of the fair
    variant.
    """

    def weigh(t: int, c: int, ways: int) -> Any:
        return ways if tilt is None or c == 0 else ways * math.exp(float(tilt[t]) * c)

    rows = prog.A[: 1 + prog.n_quota_rows].astype(np.int64)
    zero = tuple([0] * len(rows))
    in_household: set[int] = set()
    steps: list[Step] = []
    for r in range(1 + prog.n_quota_rows, len(prog.A)):
        members = [int(t) for t in np.flatnonzero(prog.A[r]) if active[t]]
        in_household.update(int(t) for t in np.flatnonzero(prog.A[r]))
        if members:
            steps.append(((zero, -1, 0, 1),
                          *((tuple(int(v) for v in rows[:, t]), t, 1, weigh(t, 1, 1))
                            for t in members)))
    # Types in lexicographic order of their values: all types with the first category's
    # first value, then its second, ...; each quota row of that category then stops changing
    # part-way (it is *closed*), and count_panels drops it from the state.
    order = sorted((t for t in range(prog.n_types) if t not in in_household and active[t]),
                   key=lambda t: tuple(-int(v) for v in rows[1:, t]))
    for t in order:
        n = int(prog.sizes[t])
        steps.append(tuple((tuple(int(v) * c for v in rows[:, t]), t, c,
                            weigh(t, c, math.comb(n, c))) for c in range(n + 1)))
    return steps


def _add(s: tuple[int, ...], d: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a + b for a, b in zip(s, d, strict=True))


def count_panels(prog: PanelProgram, active: np.ndarray | None = None, *,
                 max_states: int = MAX_STATES, tilt: FloatArray | None = None) -> PanelCount:
    """Count the feasible panels of ``prog`` exactly, with the uniform lottery's marginals.

    Parameters
    ----------
    prog : PanelProgram
    active : ndarray of bool, optional
        The types that may be on a panel (default: all).
    max_states : int
        Give up (``support-too-large``) beyond this many dynamic-programming states.
    tilt : ndarray, optional
        Per-type multipliers ``μ``: count each panel with weight ``exp(Σ_t μ_t c_t)`` instead
        of 1 (floats; ``panels`` is then the weighted count and ``expected`` the tilted
        lottery's expected counts).

    Raises
    ------
    InputError
        ``support-too-large`` when the state space exceeds ``max_states``.
    """
    if active is None:
        active = np.ones(prog.n_types, dtype=bool)
    lo = tuple(int(v) for v in prog.row_lo[: 1 + prog.n_quota_rows].round())
    hi = tuple(int(v) for v in prog.row_hi[: 1 + prog.n_quota_rows].round())
    steps = _steps(prog, active, tilt)
    # The most each row can still gain from step i on (for pruning unreachable minimums).
    need: list[tuple[int, ...]] = [lo] * (len(steps) + 1)
    gain = tuple([0] * len(lo))
    for i in range(len(steps) - 1, -1, -1):
        best = tuple(max(o[0][r] for o in steps[i]) for r in range(len(lo)))
        gain = _add(gain, best)
        need[i] = tuple(a - b for a, b in zip(lo, gain, strict=True))
    zero = tuple([0] * len(lo))
    # A row no later step changes is closed: once checked, its count leaves the state (set to
    # 0), so states differing only there merge. open_after[i]: rows still open after step i.
    touched = [tuple(any(o[0][r] for o in st) for r in range(len(lo))) for st in steps]
    open_after: list[tuple[bool, ...]] = []
    still = tuple([False] * len(lo))
    for i in range(len(steps) - 1, -1, -1):
        open_after.append(still)
        still = tuple(a or b for a, b in zip(still, touched[i], strict=True))
    open_after.reverse()

    live = [[r for r in range(len(lo)) if i == 0 or open_after[i - 1][r]]
            for i in range(len(steps))]

    def step(s: tuple[int, ...], d: tuple[int, ...], i: int) -> tuple[int, ...] | None:
        """The state after option ``d`` of step ``i`` from ``s``, or None if it breaks a row.

        Rows open before the step are checked (a maximum exceeded, a minimum out of reach);
        rows closed by it are then dropped (set to 0).
        """
        new = _add(s, d)
        floor = need[i + 1]
        if any(new[r] > hi[r] or new[r] < floor[r] for r in live[i]):
            return None
        keep = open_after[i]
        return tuple(a if k else 0 for a, k in zip(new, keep, strict=True))

    forward: list[dict[tuple[int, ...], int]] = [{zero: 1}]
    states = 1
    for i, options in enumerate(steps):
        layer: dict[tuple[int, ...], int] = {}
        for s, ways in forward[-1].items():
            for d, _, _, w in options:
                new = step(s, d, i)
                if new is not None:
                    layer[new] = layer.get(new, 0) + ways * w
        forward.append(layer)
        states += len(layer)
        if states > max_states:
            raise _too_many_states(states, max_states)
    backward: list[dict[tuple[int, ...], int]] = [{} for _ in range(len(steps) + 1)]
    distinct: list[dict[tuple[int, ...], int]] = [{} for _ in range(len(steps) + 1)]
    for s in forward[-1]:  # every surviving final state meets the minimums and maximums
        backward[-1][s] = distinct[-1][s] = 1
    for i in range(len(steps) - 1, -1, -1):
        after, after_d = backward[i + 1], distinct[i + 1]
        for s in forward[i]:
            total = count = 0
            for d, _, _, w in steps[i]:
                key = step(s, d, i)
                b = 0 if key is None else after.get(key, 0)
                if b:
                    assert key is not None
                    total += w * b
                    count += after_d[key]
            if total:
                backward[i][s] = total
                distinct[i][s] = count
    Z = backward[0].get(zero, 0)
    expected = np.zeros(prog.n_types)
    if Z:
        for i, options in enumerate(steps):
            acc: dict[int, int] = {}
            for s, ways in forward[i].items():
                if s not in backward[i]:
                    continue
                for d, t, c, w in options:
                    key = step(s, d, i) if t >= 0 and c else None
                    if key is not None:
                        b = backward[i + 1].get(key, 0)
                        if b:
                            acc[t] = acc.get(t, 0) + ways * w * c * b
            for t, v in acc.items():
                expected[t] = v / Z  # int / int: correctly rounded
    return PanelCount(Z, distinct[0].get(zero, 0), expected, states, tuple(steps),
                      tuple(backward), step)


def _profiles(count: PanelCount, n_types: int) -> Iterator[tuple[np.ndarray, int]]:
    """Every feasible profile with its number of panels (depth first, completions only)."""
    steps, backward = count._steps, count._backward
    if not steps:
        return
    zero = tuple([0] * len(steps[0][0][0]))
    profile = np.zeros(n_types, dtype=np.int64)

    def walk(i: int, s: tuple[int, ...], ways: int) -> Iterator[tuple[np.ndarray, int]]:
        if i == len(steps):
            yield profile.copy(), ways
            return
        for d, t, c, w in steps[i]:
            key = count._step(s, d, i)
            if key is not None and backward[i + 1].get(key, 0):
                if t >= 0:
                    profile[t] += c
                yield from walk(i + 1, key, ways * w)
                if t >= 0:
                    profile[t] -= c

    if backward[0].get(zero, 0):
        yield from walk(0, zero, 1)


def _too_many_states(states: int, limit: int) -> InputError:
    return InputError.single("support-too-large", tr(
        "counting the feasible panels needs more than {limit} dynamic-programming states "
        "(at least {states}); the exact uniform lottery is out of reach for this pool",
        limit=limit, states=states), value=str(states))


def _too_many_profiles(panels: int, profiles: int, limit: int) -> InputError:
    return InputError.single("support-too-large", tr(
        "the uniform lottery over the {panels} feasible panels has {profiles} distinct "
        "type profiles, more than max_profiles={limit}; raise max_profiles or use "
        "count_panels for the exact marginals", panels=panels, profiles=profiles,
        limit=limit), value=str(profiles))


def maxentropy(pool: Pool, quotas: Quotas, *, households: bool = True,
               backend: str | None = None, max_profiles: int = DEFAULT_MAX_PROFILES,
               progress: Progress | None = None,
               time_limit: float | None = None) -> Distribution:
    """The uniform lottery over all feasible panels (maximum entropy), exactly.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    households : bool
        At most one selected member per household (when the pool has household keys).
    backend : str, optional
        Used only to check the quotas (and explain them when no panel exists).
    max_profiles : int
        Largest support to return (distinct type profiles).
    progress, time_limit
        Accepted for a uniform interface; the count runs to completion.

    Returns
    -------
    Distribution
        Weights proportional to the number of panels of each profile;
        ``details.objective`` is the entropy ``log Z`` (nats), equal to ``details.bound``
        (exact); ``details.extra`` is a :class:`MaxEntropyExtra` with the exact count.

    Raises
    ------
    InputError
        ``support-too-large`` beyond ``max_profiles`` profiles or
        :data:`MAX_STATES` counting states; ``bad-max-profiles`` for a bad limit.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> d = maxentropy(pool, quotas)
    >>> d.details.extra.panels, [round(float(v), 4) for v in d.marginals]
    ('8', [0.25, 0.25, 0.25, 0.25, 0.5, 0.5])
    """
    if isinstance(max_profiles, bool) or not isinstance(max_profiles, int) or max_profiles < 1:
        raise InputError.single("bad-max-profiles", "max_profiles must be a positive integer",
                                value=repr(max_profiles))
    run = setup(pool, quotas, households=households, backend=backend, tol=1e-6,
                progress=progress, max_iterations=1, time_limit=time_limit)
    prog = run.program
    count = count_panels(prog, run.active())
    if count.profiles > max_profiles:
        raise _too_many_profiles(count.panels, count.profiles, max_profiles)
    listed = list(_profiles(count, prog.n_types))
    profiles = np.array([p for p, _ in listed], dtype=np.int64)
    weights = np.array([w / count.panels for _, w in listed])
    weights = weights / weights.sum()
    entropy = count.entropy()
    options: dict[str, Any] = options_record(households=households, max_profiles=max_profiles,
                                             time_limit=time_limit)
    extra = MaxEntropyExtra(panels=str(count.panels), profiles=count.profiles,
                            entropy=entropy, states=count.states)
    record = details(run, "maxentropy", objective=entropy, bound=entropy, converged=True,
                     stages=1, options=options, extra=extra,
                     message=f"uniform over {count.panels} feasible panels "
                             f"({count.profiles} type profiles); entropy {entropy:.6f} nats")
    return Distribution(prog, profiles, weights, record, run.uncovered_people())


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
        raise _too_many_profiles(count0.panels, count0.profiles, max_profiles)

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
    listed = list(_profiles(count, prog.n_types))
    profiles = np.array([q for q, _ in listed], dtype=np.int64)
    weights = np.array([w for _, w in listed], dtype=float)
    weights = weights / weights.sum()
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
