"""The transparent lottery: ``m`` equally likely tickets, each a feasible panel, with a digest.

Built from a :class:`~civicsortition.distribution.Distribution` in two steps:

1. the profile lottery is rounded to integer ticket counts (:mod:`civicsortition.rounding`);
2. concrete people are assigned *round-robin within each type*: the tickets are taken in order
   and each takes the next ``c_t`` members of type ``t`` cyclically. Members of one type then
   hold ticket counts differing by at most one, so a person's selection chance differs from the
   type-level rounded chance by less than ``1/m``.

The lottery's canonical serialisation (:meth:`TransparentLottery.canonical`) is UTF-8 JSON with
sorted keys and no whitespace::

    {"format":"civicsortition-lottery/1","m":M,"tickets":[["id",...],...]}

with each ticket's ids sorted (as strings, by code point) and tickets in ticket-number order.
Its SHA-256 (:meth:`TransparentLottery.digest`) is what organisers publish *before* the seed
exists; :mod:`civicsortition.draw` turns the seed into a ticket number. Ids are whatever the
pool uses: publish a lottery only over pseudonymous registration numbers, never names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .distribution import Distribution
from .errors import InputError
from .rounding import Rounding, round_lottery

__all__ = ["LOTTERY_FORMAT", "TransparentLottery", "transparent_lottery"]

LOTTERY_FORMAT = "civicsortition-lottery/1"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class TransparentLottery:
    """A uniform lottery over ``m`` numbered tickets; ticket ``j`` is a panel of person ids.

    Attributes
    ----------
    tickets : tuple of tuple of str
        Ticket ``j``'s panel (ids sorted by code point).
    rounding : Rounding or None
        How the tickets were obtained (None when read back from a canonical file).
    target : ndarray or None
        The exact per-person probabilities the tickets approximate, aligned with ``ids``.
    ids : tuple of str
        The pool's ids (for aligning ``target`` and :meth:`ticket_shares`).
    """

    tickets: tuple[tuple[str, ...], ...]
    rounding: Rounding | None = None
    target: FloatArray | None = None
    ids: tuple[str, ...] = ()

    @property
    def m(self) -> int:
        """Number of tickets."""
        return len(self.tickets)

    def canonical(self) -> bytes:
        """The canonical serialisation (see the module docstring)."""
        doc = {"format": LOTTERY_FORMAT, "m": self.m,
               "tickets": [sorted(t) for t in self.tickets]}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")

    def digest(self) -> str:
        """SHA-256 of :meth:`canonical`, as 64 lowercase hex digits."""
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def from_canonical(cls, data: bytes | str) -> TransparentLottery:
        """Read a lottery back from its canonical serialisation (as published).

        Raises
        ------
        InputError
            If the text is not a lottery in the canonical format.
        """
        try:
            doc = json.loads(data)
            ok = (isinstance(doc, dict) and doc.get("format") == LOTTERY_FORMAT
                  and isinstance(doc.get("tickets"), list) and doc.get("m") == len(doc["tickets"])
                  and all(isinstance(t, list) and all(isinstance(i, str) for i in t)
                          for t in doc["tickets"]))
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise InputError.single("bad-lottery", f"not a {LOTTERY_FORMAT} document")
        return cls(tuple(tuple(sorted(t)) for t in doc["tickets"]))

    def ticket_shares(self, ids: Sequence[str] | None = None) -> FloatArray:
        """Share of tickets holding each person (aligned with ``ids``, default :attr:`ids`)."""
        order = list(self.ids if ids is None else ids)
        pos = {pid: j for j, pid in enumerate(order)}
        counts = np.zeros(len(order))
        for ticket in self.tickets:
            for pid in ticket:
                counts[pos[pid]] += 1
        out: FloatArray = counts / max(self.m, 1)
        return out

    def deviation(self) -> float:
        """Largest ``|ticket share − exact probability|`` over people (needs ``target``)."""
        if self.target is None:
            raise ValueError("this lottery carries no target probabilities")
        return float(np.abs(self.ticket_shares() - self.target).max(initial=0.0))

    def summary(self) -> dict[str, Any]:
        """Aggregates only (no ids): m, digest, rounding method, deviations and bound."""
        out: dict[str, Any] = {"m": self.m, "digest": self.digest()}
        if self.rounding is not None:
            out.update(method=self.rounding.method, optimal=self.rounding.optimal,
                       type_deviation=self.rounding.deviation,
                       promised_bound=self.rounding.bound)
        if self.target is not None:
            out["max_abs_deviation"] = self.deviation()
        return out


def transparent_lottery(dist: Distribution, m: int = 1000, *, method: str = "ilp",
                        seed: int = 0, node_limit: int = 20,
                        time_limit: float | None = None) -> TransparentLottery:
    """Round a distribution to ``m`` equally likely tickets (default 1000).

    Parameters
    ----------
    dist : Distribution
        The exact lottery (any algorithm).
    m : int
        Number of tickets.
    method : {"ilp", "dependent"}
        Rounding method (:mod:`civicsortition.rounding`).
    seed : int
        Seed of the dependent rounding.
    node_limit, time_limit : int, float or None
        Limits of the integer program of ``"ilp"`` (see
        :func:`~civicsortition.rounding.round_lottery`).

    Returns
    -------
    TransparentLottery
        Every ticket is a feasible panel (its profile is in the distribution's support);
        :meth:`TransparentLottery.deviation` is the largest per-person change of probability,
        at most ``rounding.deviation + 1/m``.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota, leximin
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> lot = transparent_lottery(leximin(pool, quotas), m=8)
    >>> lot.m, round(lot.deviation(), 6)
    (8, 0.0)
    """
    prog = dist.program
    keep = dist.probabilities > 0
    profiles, x = dist.profiles[keep], dist.probabilities[keep]
    rounding = round_lottery(x, profiles, prog.sizes, m, method=method, seed=seed,
                             node_limit=node_limit, time_limit=time_limit)
    ids = prog.pool.ids
    pointer = np.zeros(prog.n_types, dtype=np.int64)
    tickets: list[tuple[str, ...]] = []
    for profile, count in zip(profiles, rounding.counts, strict=True):
        for _ in range(int(count)):
            members: list[str] = []
            for t in np.flatnonzero(profile):
                group = prog.members[t]
                pos = (pointer[t] + np.arange(int(profile[t]))) % len(group)
                members.extend(ids[int(i)] for i in group[pos])
                pointer[t] = (pointer[t] + int(profile[t])) % len(group)
            tickets.append(tuple(sorted(members)))
    return TransparentLottery(tuple(tickets), rounding, dist.marginals.copy(), ids)
