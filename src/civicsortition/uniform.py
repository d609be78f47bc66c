r"""Tickets drawn uniformly from *all* feasible panels, by a public SHA-256 procedure.

The maximum-entropy lottery (:func:`civicsortition.algorithms.maxentropy`) is uniform over
every feasible panel; its support is usually far too large to list. This module samples ``m``
panels from it exactly -- as a :class:`~civicsortition.lottery.TransparentLottery` whose
tickets anyone can re-derive from the inputs and a public seed -- so the usual public draw,
verification and audit apply to it unchanged ("a ticket lottery of m panels sampled from the
uniform lottery").

**Procedure** ``civicsortition-uniform/1`` (integer arithmetic and SHA-256 only). Let ``K`` be
the SHA-256 hex digest of the canonical JSON of the inputs (:func:`instance_key`) and ``s``
the normalised seed. With the exact counting programme of
:func:`~civicsortition.algorithms.count_panels` (steps ``i = 0, 1, ...`` in its order, the
number of completions ``B_i(state)``), ticket ``j`` is drawn as follows:

1. at step ``i`` in state ``σ`` draw ``r = uniform("civicsortition-uniform/1",
   "K\nj\nstep\ni", s, B_i(σ))`` (:func:`civicsortition.seeds.uniform`: rejection sampling,
   no bias) and take the first option, in the step's order, whose cumulative
   ``ways · B_{i+1}(σ')`` exceeds ``r``;
2. for each type ``t`` with ``c_t > 0`` members chosen, pick them from the type's ids (sorted
   by code point) one at a time: the ``q``-th pick is
   ``uniform(..., "K\nj\nmember\nt\nq", s, remaining)`` among those not yet picked.

Each ticket is then a uniformly random feasible panel: step 1 picks a profile with probability
``Π_t C(n_t, c_t) / Z`` and step 2 a uniform panel of that profile.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from .algorithms import PanelCount, count_panels
from .errors import InputError
from .lottery import TransparentLottery
from .pool import Pool
from .program import PanelProgram
from .quotas import Quotas
from .seeds import UNIFORM_PROCEDURE, normalise_seed, uniform

__all__ = ["instance_key", "uniform_tickets", "verify_uniform_tickets"]


def instance_key(pool: Pool, quotas: Quotas, households: bool) -> str:
    """SHA-256 (hex) of the canonical JSON of what the tickets depend on."""
    doc = {"format": UNIFORM_PROCEDURE, "panel_size": quotas.panel_size,
           "households": bool(households),
           "categories": [[c.name, list(c.values)] for c in pool.strata],
           "people": [[pid, [int(v) for v in row],
                       None if pool.households is None else pool.households[i]]
                      for i, (pid, row) in enumerate(zip(pool.ids, pool.codes, strict=True))],
           "quotas": [[q.category, q.value, q.min, q.max] for q in quotas]}
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _ticket(prog: PanelProgram, count: PanelCount, key: str, seed: str, j: int
            ) -> tuple[str, ...]:
    steps, backward = count._steps, count._backward
    state: tuple[int, ...] = tuple([0] * len(steps[0][0][0])) if steps else ()
    profile = np.zeros(prog.n_types, dtype=np.int64)
    for i, options in enumerate(steps):
        r, _ = uniform(UNIFORM_PROCEDURE, f"{key}\n{j}\nstep\n{i}", seed, backward[i][state])
        for d, t, c, w in options:
            nxt = count._step(state, d, i)
            weight = 0 if nxt is None else w * backward[i + 1].get(nxt, 0)
            if r < weight:
                assert nxt is not None
                state = nxt
                if t >= 0:
                    profile[t] += c
                break
            r -= weight
    chosen: list[str] = []
    for typ in (int(x) for x in np.flatnonzero(profile)):
        ids = sorted(prog.pool.ids[int(i)] for i in prog.members[typ])
        for q in range(int(profile[typ])):
            pick, _ = uniform(UNIFORM_PROCEDURE, f"{key}\n{j}\nmember\n{typ}\n{q}", seed,
                              len(ids))
            chosen.append(ids.pop(pick))
    return tuple(sorted(chosen))


def uniform_tickets(pool: Pool, quotas: Quotas, m: int, seed: str, *,
                    households: bool = True) -> TransparentLottery:
    """``m`` tickets, each a uniformly random feasible panel, from a public seed.

    Parameters
    ----------
    pool, quotas : Pool, Quotas
    m : int
        The number of tickets.
    seed : str
        Public seed text (normalised as every seed is).
    households : bool
        At most one selected member per household.

    Returns
    -------
    TransparentLottery
        Its ``target`` is the uniform lottery's exact per-person probability.

    Raises
    ------
    InputError
        ``bad-ticket-count``, ``bad-seed``, ``support-too-large`` (the counting programme),
        or ``no-feasible-panel`` when no panel satisfies the quotas.
    """
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InputError.single("bad-ticket-count", "m must be a positive integer",
                                column="m", value=repr(m))
    text = normalise_seed(seed)
    prog = PanelProgram.build(pool, quotas, households=households)
    count = count_panels(prog)
    if count.panels == 0:
        raise InputError.single("no-feasible-panel", "no panel satisfies the quotas",
                                value=str(quotas.panel_size))
    key = instance_key(pool, quotas, households)
    tickets = tuple(_ticket(prog, count, key, text, j) for j in range(m))
    target = count.expected[prog.type_of] / prog.sizes[prog.type_of]
    return TransparentLottery(tickets, None, target, tuple(pool.ids))


def verify_uniform_tickets(pool: Pool, quotas: Quotas, lottery: TransparentLottery, seed: str,
                           *, households: bool = True) -> list[str]:
    """Re-derive every ticket from the inputs and the seed; return the differences found."""
    again = uniform_tickets(pool, quotas, lottery.m, seed, households=households)
    return [f"ticket {j}: not the panel the procedure gives" for j, (a, b)
            in enumerate(zip(lottery.tickets, again.tickets, strict=True)) if a != b]
