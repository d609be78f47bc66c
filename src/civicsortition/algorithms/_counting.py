r"""Exact counting of feasible panels, shared by MAXENTROPY, FAIR-MAXENTROPY and the tickets.

The method is written out in :mod:`civicsortition.algorithms.maxentropy`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np

from .._i18n import tr
from .._typing import FloatArray
from ..errors import InputError
from ..program import PanelProgram

__all__ = ["DEFAULT_MAX_PROFILES", "MAX_STATES", "PanelCount", "count_panels", "lottery_of",
           "profiles_of", "too_many_profiles"]

#: Largest support (distinct type profiles) returned as an explicit lottery.
DEFAULT_MAX_PROFILES = 200_000

#: Largest number of dynamic-programming states (over all steps) before giving up.
MAX_STATES = 1_000_000


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


def profiles_of(count: PanelCount, n_types: int) -> Iterator[tuple[np.ndarray, int]]:
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


def too_many_profiles(panels: int, profiles: int, limit: int) -> InputError:
    """The ``support-too-large`` error for more than ``limit`` profiles."""
    return InputError.single("support-too-large", tr(
        "the uniform lottery over the {panels} feasible panels has {profiles} distinct "
        "type profiles, more than max_profiles={limit}; raise max_profiles or use "
        "count_panels for the exact marginals", panels=panels, profiles=profiles,
        limit=limit), value=str(profiles))




def lottery_of(count: PanelCount, n_types: int) -> tuple[np.ndarray, FloatArray]:
    """The explicit lottery of a count: every profile, weighted by its (tilted) panels."""
    listed = list(profiles_of(count, n_types))
    profiles = np.array([q for q, _ in listed], dtype=np.int64)
    weights = np.array([float(w / count.panels) for _, w in listed])
    return profiles, weights / weights.sum()
