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
import itertools
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ._checks import (
    as_int,
    id_tuple,
    require,
    require_str,
    sequence,
    type_error,
    utf8_encodable,
)
from ._i18n import tr
from ._typing import FloatArray
from .distribution import Distribution
from .errors import InputError, Problem
from .rounding import Rounding, round_lottery

if TYPE_CHECKING:
    from .backends import Backend

__all__ = ["LOTTERY_FORMAT", "TransparentLottery", "transparent_lottery"]

LOTTERY_FORMAT = "civicsortition-lottery/1"



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

    Raises
    ------
    TypeError
        If ``tickets`` is not a sequence of tickets, a ticket is a single string or holds a
        non-string id, ``ids`` is not a sequence of string ids, ``rounding`` is not a
        :class:`~civicsortition.rounding.Rounding` or ``target`` not an array.
    InputError
        ``empty-lottery`` if there are no tickets (no draw could pick one), ``bad-ticket`` for
        an empty ticket or one naming a person twice, ``not-utf8`` for an id that is not valid
        Unicode text (a lone surrogate: the digest could not be computed).
    """

    tickets: tuple[tuple[str, ...], ...]
    rounding: Rounding | None = None
    target: FloatArray | None = None
    ids: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        where = "TransparentLottery(tickets=...)"
        raw = sequence(self.tickets, where, "a sequence of tickets (each a sequence of ids)")
        tickets = tuple(id_tuple(t, f"{where}[{j}]", "person ids") for j, t in enumerate(raw))
        if not tickets:
            raise InputError.single("empty-lottery", tr("{where}: a lottery needs at least one "
                                                        "ticket", where=where), column="tickets")
        # The digest hashes UTF-8: a lone surrogate would otherwise fail only when drawing.
        if not utf8_encodable("".join(itertools.chain.from_iterable(tickets))):
            j = next(j for j, t in enumerate(tickets) if not utf8_encodable("".join(t)))
            raise InputError.single("not-utf8", tr("{where}: ticket {j} holds an id that is not "
                                                   "valid Unicode text (a lone surrogate)",
                                                   where=where,
                                                   j=j),
                                    column=f"tickets[{j}]")
        bad = [j for j, t in enumerate(tickets) if not t or len(set(t)) != len(t)]
        if bad:
            message = (tr("{where}: ticket {ticket} is empty or names a person twice",
                          where=where, ticket=bad[0]) if len(bad) == 1 else
                       tr("{where}: ticket {ticket} is empty or names a person twice ({n} such "
                          "tickets)", where=where, ticket=bad[0], n=len(bad)))
            raise InputError.single("bad-ticket", message, column=f"tickets[{bad[0]}]")
        object.__setattr__(self, "tickets", tickets)
        object.__setattr__(self, "ids", id_tuple(self.ids, "TransparentLottery(ids=...)",
                                                 "person ids"))
        if self.rounding is not None:
            require(self.rounding, Rounding, "TransparentLottery(rounding=...)",
                    "a Rounding or None")
        if self.target is not None:
            require(self.target, np.ndarray, "TransparentLottery(target=...)",
                    "a numpy array of probabilities or None")

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
        TypeError
            If ``data`` is neither bytes nor text.
        InputError
            If the text is not a lottery in the canonical format; every fault is a problem
            whose ``column`` is its JSON path (``"format"``, ``"m"``, ``"tickets[3][1]"``):
            ``bad-lottery`` (not JSON, not an object, a ticket or id of the wrong type),
            ``bad-lottery-format``, ``bad-ticket-count`` (``m`` disagrees with the tickets),
            ``empty-lottery`` (no tickets), ``bad-ticket`` (an empty ticket or a person twice
            on one), ``not-utf8`` (an id with a lone surrogate).
        """
        require(data, (bytes, bytearray, str), "TransparentLottery.from_canonical(data=...)",
                "the document as bytes or str")
        try:
            doc = json.loads(data)
        except RecursionError:
            raise InputError.single("bad-lottery", tr("not a {lottery_format} document: nested "
                                                      "too deeply", lottery_format=LOTTERY_FORMAT),
                                    column="$") from None
        except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
            raise InputError.single("bad-lottery", tr("not a {lottery_format} document: not "
                                                      "valid UTF-8 JSON ({e})",
                                                      lottery_format=LOTTERY_FORMAT,
                                                      e=e), column="$") from None
        problems = _document_problems(doc)
        if problems:
            raise InputError(problems)
        return cls(tuple(tuple(sorted(t)) for t in doc["tickets"]))

    def ticket_shares(self, ids: Sequence[str] | None = None) -> FloatArray:
        """Share of tickets holding each person (aligned with ``ids``, default :attr:`ids`).

        Raises
        ------
        TypeError
            If ``ids`` is a single string or not a sequence of string ids.
        InputError
            ``unknown-id`` if a ticket holds someone not in ``ids``.
        """
        order = self.ids if ids is None else id_tuple(
            ids, "TransparentLottery.ticket_shares(ids=...)", "person ids")
        pos = {pid: j for j, pid in enumerate(order)}
        counts = np.zeros(len(order))
        for ticket in self.tickets:
            for pid in ticket:
                j = pos.get(pid)
                if j is None:
                    raise InputError.single("unknown-id", "a ticket holds a person missing from "
                                            "the ids the shares are aligned with", column="ids",
                                            value=pid)
                counts[j] += 1
        out: FloatArray = counts / max(self.m, 1)
        return out

    def deviation(self) -> float:
        """Largest ``|ticket share − exact probability|`` over people (needs ``target``)."""
        if self.target is None:
            raise ValueError("this lottery carries no target probabilities")
        return float(np.abs(self.ticket_shares() - self.target).max(initial=0.0))

    def _repr_html_(self) -> str:
        from ._html import card

        s = self.summary()
        facts: list[tuple[str, object]] = [
            ("tickets", self.m), ("distinct panels", len(set(self.tickets))),
            ("SHA-256 (publish before the seed)", s["digest"])]
        for key, label in (("method", "rounding"), ("optimal", "rounding proven optimal"),
                           ("type_deviation", "largest change of a type's probability"),
                           ("promised_bound", "promised bound"),
                           ("max_abs_deviation", "largest change of a person's probability")):
            if key in s:
                facts.append((label, s[key]))
        if self.rounding is not None and self.rounding.backend is not None:
            facts.append(("rounding solved by", self.rounding.backend))
        return card("Transparent lottery", facts)

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


_MAX_PROBLEMS = 20



def _document_problems(doc: Any) -> list[Problem]:
    """Every fault of a parsed lottery document, each located by its JSON path (``column``)."""
    head = f"not a {LOTTERY_FORMAT} document"
    if not isinstance(doc, dict):
        return [Problem("bad-lottery", tr("{head}: expected a JSON object, got {doc}",
                                          head=head,
                                          doc=_json_type(doc)), column="$")]
    out: list[Problem] = []
    fmt = doc.get("format")
    if fmt != LOTTERY_FORMAT:
        out.append(Problem("bad-lottery-format", tr("{head}: expected format {lottery_format!r}",
                                                    head=head,
                                                    lottery_format=LOTTERY_FORMAT),
                           column="format", value=None if fmt is None else repr(fmt)))
    tickets = doc.get("tickets")
    if not isinstance(tickets, list):
        out.append(Problem("bad-lottery", tr("{head}: expected a list of tickets, got {tickets}",
                                             head=head,
                                             tickets=_json_type(tickets)), column="tickets"))
        tickets = None
    elif not tickets:
        out.append(Problem("empty-lottery", tr("{head}: a lottery needs at least one ticket",
                                               head=head),
                           column="tickets"))
    m = doc.get("m")
    if isinstance(m, bool) or not isinstance(m, int):
        out.append(Problem("bad-lottery", tr("{head}: expected the number of tickets as an "
                                             "integer, got {m}", head=head, m=_json_type(m)),
                           column="m",
                           value=None if m is None else repr(m)))
    elif tickets is not None and m != len(tickets):
        out.append(Problem("bad-ticket-count", tr("{head}: m is {m} but {n_tickets} tickets are "
                                                  "listed", head=head, m=m, n_tickets=len(tickets)),
                           column="m", value=repr(m)))
    found = 0
    for j, ticket in enumerate(tickets or ()):
        if found >= _MAX_PROBLEMS:
            break
        if not isinstance(ticket, list):
            out.append(Problem("bad-lottery", tr("{head}: expected a ticket (a list of ids), got "
                                                 "{ticket}", head=head, ticket=_json_type(ticket)),
                               column=f"tickets[{j}]"))
            found += 1
            continue
        for i, pid in enumerate(ticket):
            if not isinstance(pid, str):
                out.append(Problem("bad-lottery", tr("{head}: expected a string id, got {pid}",
                                                     head=head,
                                                     pid=_json_type(pid)),
                                   column=f"tickets[{j}][{i}]",
                                   value=json.dumps(pid)))
                found += 1
                if found >= _MAX_PROBLEMS:
                    break
    if found >= _MAX_PROBLEMS:
        out.append(Problem("bad-lottery", tr("{head}: stopped after {max_problems} faulty "
                                             "tickets or ids",
                                             head=head,
                                             max_problems=_MAX_PROBLEMS), column="tickets"))
    return out


def _json_type(x: object) -> str:
    """The JSON name of a parsed value's type (``"null"``, ``"number"``, ...)."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, int | float):
        return f"the number {x!r}"
    if isinstance(x, str):
        return "a string"
    if isinstance(x, list):
        return "a list"
    return "an object"


def transparent_lottery(dist: Distribution, m: int = 1000, *, method: str = "ilp",
                        seed: int = 0, node_limit: int = 20,
                        time_limit: float | None = None,
                        backend: str | Backend | None = None) -> TransparentLottery:
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
    backend : str or Backend, optional
        The solver backend of ``"ilp"`` (default ``"highs"``), recorded in ``rounding``. The
        lottery itself (its canonical form and digest) does not record it.

    Returns
    -------
    TransparentLottery
        Every ticket is a feasible panel (its profile is in the distribution's support);
        :meth:`TransparentLottery.deviation` is the largest per-person change of probability,
        at most ``rounding.deviation + 1/m``.

    Raises
    ------
    TypeError
        If ``dist`` is not a :class:`~civicsortition.distribution.Distribution` (for example
        a pool or quotas passed by mistake), or ``m``, ``method``, ``seed``, ``node_limit``,
        ``time_limit`` or ``backend`` has the wrong type.
    InputError
        ``bad-ticket-count`` (``m < 1``), ``not-an-integer`` (a fractional ``m``),
        ``bad-rounding-method``, ``unknown-backend``.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota, leximin
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> lot = transparent_lottery(leximin(pool, quotas), m=8)
    >>> lot.m, round(lot.deviation(), 6)
    (8, 0.0)
    """
    fn = "transparent_lottery"
    require(dist, Distribution, f"{fn}(dist=...)", "a Distribution (from find_distribution)")
    m = as_int(m, f"{fn}(m=...)", expected="a number of tickets (int)", column="m")
    if m < 1:
        raise InputError.single("bad-ticket-count", tr("{fn}(m=...): expected a positive number "
                                                       "of tickets", fn=fn),
                                column="m", value=repr(m))
    require_str(method, f"{fn}(method=...)", "a rounding method name (str)")
    seed = as_int(seed, f"{fn}(seed=...)", expected="an integer seed", column="seed")
    node_limit = as_int(node_limit, f"{fn}(node_limit=...)", expected="an integer",
                        column="node_limit")
    if time_limit is not None and (isinstance(time_limit, bool)
                                   or not isinstance(time_limit, int | float)):
        raise type_error(f"{fn}(time_limit=...)", "a number of seconds or None", time_limit)
    if backend is not None and not isinstance(backend, str) and not callable(
            getattr(backend, "milp", None)):
        raise type_error(f"{fn}(backend=...)", "a backend id (str), a Backend or None", backend)
    prog = dist.program
    keep = dist.probabilities > 0
    profiles, x = dist.profiles[keep], dist.probabilities[keep]
    rounding = round_lottery(x, profiles, prog.sizes, m, method=method, seed=seed,
                             node_limit=node_limit, time_limit=time_limit, backend=backend)
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
