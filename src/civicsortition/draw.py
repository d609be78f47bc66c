r"""The public draw: a seed from a public source picks a ticket, and anyone can re-derive it.

Procedure ``civicsortition-draw/1`` (uses only SHA-256 and integer arithmetic, no numpy, so it
is the same on every platform and version; ``docs/transparency.md`` shows it done by hand):

1. Publish the lottery's digest ``D`` (64 hex digits, :meth:`TransparentLottery.digest`).
2. Obtain the seed: text from a public source fixed in advance (lottery numbers, dice rolled on
   a live stream, a randomness-beacon value). Normalise it: Unicode NFC, whitespace runs
   replaced by one space, leading and trailing whitespace removed. Call it ``s``.
3. For ``j = 0, 1, 2, ...`` compute ``h_j = SHA-256("civicsortition-draw/1\\n" + D + "\\n" + s +
   "\\n" + str(j))`` over UTF-8 and read it as a 256-bit big-endian integer ``v_j``. With
   ``L = 2^256 − (2^256 mod m)``, the first ``v_j < L`` gives the ticket ``v_j mod m``
   (rejection sampling: every ticket is exactly equally likely, no modulo bias; a rejection has
   probability below ``m / 2^256``).

:func:`draw` returns a :class:`DrawRecord` (digest, seed, ticket index, attempts, panel);
:func:`verify` re-derives every field from the lottery. :func:`draw_exact` samples from the exact
distribution with the same kind of seed instead (no rounding, but no short public ticket list).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from ._checks import as_int, describe, id_tuple, require, require_str
from ._i18n import tr
from .distribution import Distribution
from .errors import InputError, Problem
from .lottery import TransparentLottery
from .seeds import DRAW_PROCEDURE, EXACT_PROCEDURE, normalise_seed, seed_to_index, uniform

__all__ = ["DRAW_PROCEDURE", "DrawRecord", "DrawVerdict", "distribution_digest", "draw",
           "draw_exact", "normalise_seed", "seed_to_index", "verify"]

@attrs.frozen
class DrawRecord:
    """What a draw publishes: enough for anyone to re-derive the panel.

    Attributes
    ----------
    procedure : str
        ``"civicsortition-draw/1"`` (tickets) or ``"civicsortition-draw-exact/1"``.
    digest : str
        SHA-256 of the lottery (or of the distribution, for an exact draw).
    seed : str
        The normalised seed.
    index : int
        Ticket number (exact draw: profile number).
    attempts : int
        Hashes computed (1 unless a rejection happened).
    panel : tuple of str
        The selected ids, sorted.
    m : int
        Number of tickets (exact draw: number of profiles).
    """

    procedure: str
    digest: str
    seed: str
    index: int
    attempts: int
    panel: tuple[str, ...]
    m: int

    def __attrs_post_init__(self) -> None:
        for name in ("procedure", "digest", "seed"):
            require_str(getattr(self, name), f"DrawRecord({name}=...)")
        for name in ("index", "attempts", "m"):
            object.__setattr__(self, name, as_int(getattr(self, name), f"DrawRecord({name}=...)",
                                                  column=name))
        object.__setattr__(self, "panel", id_tuple(self.panel, "DrawRecord(panel=...)",
                                                   "person ids"))

    def _repr_html_(self) -> str:
        from ._html import card

        return card("Public draw", [
            ("procedure", self.procedure), ("lottery SHA-256", self.digest),
            ("seed", self.seed), ("ticket", f"{self.index} of {self.m}"),
            ("hashes computed", self.attempts), ("members drawn", len(self.panel))])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"procedure": self.procedure, "digest": self.digest, "seed": self.seed,
                "index": self.index, "attempts": self.attempts, "panel": list(self.panel),
                "m": self.m}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DrawRecord:
        """Inverse of :meth:`as_dict`.

        Raises
        ------
        InputError
            ``bad-draw-record``, one problem per missing or ill-typed field, located by its
            key (``column``, e.g. ``"index"`` or ``"panel[2]"``); numbers are never truncated
            and ids never converted.
        """
        if not isinstance(d, Mapping):
            raise InputError.single("bad-draw-record", tr("malformed draw record: expected a "
                                                          "JSON object, got {d}", d=describe(d)),
                                    column="$")
        problems: list[Problem] = []
        for key, kind in _RECORD_FIELDS:
            if key not in d:
                problems.append(Problem("bad-draw-record", tr("malformed draw record: no {key!r}",
                                                              key=key),
                                        column=key))
                continue
            x = d[key]
            if kind == "str" and not isinstance(x, str):
                problems.append(Problem("bad-draw-record", tr("malformed draw record: expected "
                                                              "text, got {x}", x=describe(x)),
                                        column=key))
            elif kind == "int" and (isinstance(x, bool) or not isinstance(x, int)):
                problems.append(Problem("bad-draw-record", tr("malformed draw record: expected "
                                                              "an integer, got {x}", x=describe(x)),
                                        column=key))
            elif kind == "ids":
                if not isinstance(x, list | tuple):
                    problems.append(Problem("bad-draw-record", tr("malformed draw record: "
                                                                  "expected a list of ids, got "
                                                                  "{x}", x=describe(x)),
                                            column=key))
                else:
                    problems += [Problem("bad-draw-record", tr("malformed draw record: expected "
                                                               "a string id, got {i}",
                                                               i=describe(i)), column=f"{key}[{j}]")
                                 for j, i in enumerate(x) if not isinstance(i, str)][:20]
        if problems:
            raise InputError(problems)
        return cls(d["procedure"], d["digest"], d["seed"], d["index"], d["attempts"],
                   tuple(d["panel"]), d["m"])


_RECORD_FIELDS = (("procedure", "str"), ("digest", "str"), ("seed", "str"), ("index", "int"),
                  ("attempts", "int"), ("panel", "ids"), ("m", "int"))


def _check_lottery(lottery: object, where: str) -> TransparentLottery:
    require(lottery, TransparentLottery, where, "a TransparentLottery")
    assert isinstance(lottery, TransparentLottery)
    if lottery.m < 1:  # the constructor refuses this; kept for objects built around it
        raise InputError.single("empty-lottery", tr("{where}: the lottery has no tickets",
                                                    where=where),
                                column="tickets")
    return lottery


def draw(lottery: TransparentLottery, seed: str) -> DrawRecord:
    """Draw the ticket the seed designates (procedure ``civicsortition-draw/1``).

    Raises
    ------
    TypeError
        If ``lottery`` is not a :class:`~civicsortition.lottery.TransparentLottery` (for
        example a distribution passed by mistake).
    InputError
        ``bad-seed``; ``empty-lottery``.

    Examples
    --------
    >>> lot = TransparentLottery((("a", "b"), ("a", "c"), ("b", "c")))
    >>> rec = draw(lot, "7 12 19 23 31 40")
    >>> verify(rec, lot).ok
    True
    """
    lottery = _check_lottery(lottery, "draw(lottery=...)")
    digest = lottery.digest()
    s = normalise_seed(seed)
    index, attempts = uniform(DRAW_PROCEDURE, digest, s, lottery.m)
    return DrawRecord(DRAW_PROCEDURE, digest, s, index, attempts,
                      tuple(sorted(lottery.tickets[index])), lottery.m)


@attrs.frozen
class DrawVerdict:
    """Outcome of :func:`verify`: ``ok`` and the list of problems found."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every field was re-derived identically."""
        return not self.problems


def verify(record: DrawRecord, lottery: TransparentLottery) -> DrawVerdict:
    """Re-derive a ticket draw from the lottery and the seed; report every mismatch.

    Raises
    ------
    TypeError
        If ``record`` is not a :class:`DrawRecord` or ``lottery`` not a
        :class:`~civicsortition.lottery.TransparentLottery` (for example the two swapped).
    InputError
        ``empty-lottery``.
    """
    require(record, DrawRecord, "verify(record=...)", "a DrawRecord")
    lottery = _check_lottery(lottery, "verify(lottery=...)")
    problems: list[str] = []
    if record.procedure != DRAW_PROCEDURE:
        problems.append(f"unknown procedure {record.procedure!r}")
    digest = lottery.digest()
    if record.digest != digest:
        problems.append("the digest does not match the lottery")
    if record.m != lottery.m:
        problems.append(f"the record says {record.m} tickets, the lottery has {lottery.m}")
    try:
        s = normalise_seed(record.seed)
    except InputError:
        return DrawVerdict((*problems, "the seed is empty or not text"))
    if s != record.seed:
        problems.append("the seed is not in normal form")
    index, attempts = uniform(DRAW_PROCEDURE, digest, s, lottery.m)
    if record.index != index:
        problems.append(f"the seed gives ticket {index}, the record says {record.index}")
    if record.attempts != attempts:
        problems.append(f"the seed needs {attempts} hash(es), the record says "
                        f"{record.attempts}")
    if tuple(sorted(record.panel)) != tuple(sorted(lottery.tickets[index])):
        problems.append(f"the panel is not ticket {index}")
    return DrawVerdict(tuple(problems))


def distribution_digest(dist: Distribution) -> str:
    """SHA-256 of a canonical form of the exact distribution (ids, types, profiles, weights).

    Probabilities are written as ``float.hex`` strings, exact and platform-independent.

    Raises
    ------
    TypeError
        If ``dist`` is not a :class:`~civicsortition.distribution.Distribution`.
    """
    require(dist, Distribution, "distribution_digest(dist=...)", "a Distribution")
    prog = dist.program
    ids = prog.pool.ids
    doc = {"format": "civicsortition-distribution/1",
           "types": [[ids[int(i)] for i in members] for members in prog.members],
           "profiles": dist.profiles.tolist(),
           "probabilities": [float(p).hex() for p in dist.probabilities]}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_exact(dist: Distribution, seed: str) -> DrawRecord:
    """Sample one panel from the exact distribution with a public seed (no rounding).

    A profile is chosen by comparing a uniform 53-bit integer ``u`` (procedure as above with
    label ``civicsortition-draw-exact/1``, key = :func:`distribution_digest`) against the
    cumulative probabilities times ``2^53``; then within each type, in type order, members are
    taken by a partial Fisher–Yates shuffle driven by further uniform integers (key =
    digest + ``"/t/i"``). Reproducible by anyone holding the distribution; ``index`` is the
    profile number.

    Raises
    ------
    TypeError
        If ``dist`` is not a :class:`~civicsortition.distribution.Distribution` (for example
        a lottery passed by mistake).
    InputError
        ``bad-seed``; ``empty-distribution`` if ``dist`` has no profile of positive
        probability.
    """
    require(dist, Distribution, "draw_exact(dist=...)",
            "a Distribution (draw a TransparentLottery with draw())")
    if len(dist.profiles) == 0 or not np.clip(dist.probabilities, 0, None).sum() > 0:
        raise InputError.single("empty-distribution", "draw_exact(dist=...): the distribution "
                                "has no panel of positive probability", column="dist")
    digest = distribution_digest(dist)
    s = normalise_seed(seed)
    u, attempts = uniform(EXACT_PROCEDURE, digest, s, 2**53)
    cum = np.cumsum(np.clip(dist.probabilities, 0, None))
    cum = cum / cum[-1]
    index = min(int(np.searchsorted(cum * 2**53, u, side="right")), len(cum) - 1)
    prog = dist.program
    chosen: list[str] = []
    profile = dist.profiles[index]
    for t in np.flatnonzero(profile):
        members = [int(i) for i in prog.members[t]]
        for i in range(int(profile[t])):
            j, _ = uniform(EXACT_PROCEDURE, f"{digest}/{int(t)}/{i}", s, len(members) - i)
            members[i], members[i + j] = members[i + j], members[i]
            chosen.append(prog.pool.ids[members[i]])
    return DrawRecord(EXACT_PROCEDURE, digest, s, index, attempts, tuple(sorted(chosen)),
                      len(dist.profiles))
