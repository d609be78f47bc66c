r"""A joint lottery: each ticket is a panel *and* an ordered list of alternates.

As in Panelot's Washington assembly (10,000 tickets of 80 members plus 10 alternates), the
public draw picks one ticket exactly as for a plain lottery (:func:`civicsortition.draw.draw`
and :func:`~civicsortition.draw.verify` work unchanged: :class:`JointLottery` *is* a
:class:`~civicsortition.lottery.TransparentLottery`), and the ticket's alternates come with it.
Each volunteer's chances are then exact counts over the published ticket list:

.. math:: P(\text{seat}_i) = \frac{\#\{j : i \in P_j\}}{m}, \qquad
          P(\text{alternate}_i) = \frac{\#\{j : i \in A_j\}}{m}, \qquad
          P(\text{picked}_i) = P(\text{seat}_i) + P(\text{alternate}_i)

(a ticket's alternates are off its panel, so the events are disjoint).

Canonical form (format ``civicsortition-joint-lottery/1``): UTF-8 JSON, sorted keys, no
whitespace, ``{"alternates":[[...],...],"format":...,"m":M,"tickets":[[...],...]}`` with each
panel sorted and each alternates list in its order (first asked first); the digest is its
SHA-256, so publishing it commits to the alternates too.

:func:`joint_lottery` builds one from a distribution or a lottery. Per ticket, the alternates
are chosen among the eligible people off that ticket's panel by

``"erm"`` (default)
    the type counts that the program of :func:`~civicsortition.alternates.erm_alternates`
    chooses for the ticket's panel, the members of each type taken *round-robin across
    tickets* (so people of one type hold alternate places differing by at most about one
    ticket), ordered by the public key. The training scenarios are those of
    :mod:`civicsortition.alternates` (stream ``"train"`` of the seed) except that the panel's
    dropouts are keyed by *type slot*: the ``j``-th member of a type (``j = 0, 1, ...``, in
    order of dropout probability, then id) is ``panel/<values>/<j>`` instead of
    ``panel/<id>``. The program then depends on the panel only through its *profile*: its
    members' values and dropout probabilities, and the candidates' types with their slots
    (capped by the eligible households) and probabilities. Tickets of one profile have the
    identical program, which is solved once and its answer reused, exactly what solving it
    again would return; a lottery of 1,000 tickets usually has far fewer profiles;
``"uniform"``
    the ``count`` eligible people with the smallest SHA-256 key of
    ``"civicsortition-joint-alternates/1\n" + seed + "\n" + j + "\n" + id``: uniform among
    the eligible, ignoring quotas (cheap; a baseline).

:func:`verify_joint_lottery` re-checks a joint lottery from scratch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ._checks import id_tuple, require
from ._i18n import tr
from ._typing import FloatArray
from .alternates import (
    DEFAULT_SCENARIOS,
    _caps,
    _count,
    _first_of_distinct_households,
    _probabilities,
    _program,
    _recap,
    _Rows,
    _scenario_count,
    _type_counts,
    _value_key,
)
from .distribution import Distribution
from .draw import DrawRecord
from .dropout import DropoutModel
from .errors import InfeasibleError, InputError
from .lottery import LOTTERY_FORMAT, TransparentLottery, transparent_lottery
from .pool import Pool
from .quotas import Quotas
from .replacements import _check_common, _eligible
from .seeds import alternate_key, normalise_seed
from .verifier import Check, Verdict

__all__ = ["JOINT_ALTERNATES_PROCEDURE", "JOINT_LOTTERY_FORMAT", "JointLottery",
           "drawn_alternates", "joint_lottery", "verify_joint_lottery"]

JOINT_LOTTERY_FORMAT = "civicsortition-joint-lottery/1"
JOINT_ALTERNATES_PROCEDURE = "civicsortition-joint-alternates/1"
METHODS = ("erm", "uniform")
#: Solve the ERM program once per distinct program (panel profile) and reuse the answer;
#: ``False`` solves it for every ticket (the same lottery, slower: for tests).
_SHARE_PROGRAMS = True


@attrs.frozen(eq=False)
class JointLottery(TransparentLottery):
    """A transparent lottery whose ticket ``j`` also carries ``alternates[j]`` (ordered).

    Attributes
    ----------
    alternates : tuple of tuple of str
        Ticket ``j``'s alternates, first asked first; off ticket ``j``'s panel, distinct.

    Raises
    ------
    InputError
        As :class:`~civicsortition.lottery.TransparentLottery`; ``bad-alternates-count`` when
        there is not one alternates list per ticket, ``bad-alternates`` for an alternate on
        its ticket's panel or listed twice.
    """

    alternates: tuple[tuple[str, ...], ...] = ()

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        where = "JointLottery(alternates=...)"
        lists = tuple(id_tuple(a, f"{where}[{j}]", "person ids")
                      for j, a in enumerate(self.alternates))
        if len(lists) != len(self.tickets):
            raise InputError.single("bad-alternates-count", tr(
                "{where}: {n} alternates lists for {m} tickets", where=where, n=len(lists),
                m=len(self.tickets)), column="alternates")
        for j, (panel, alts) in enumerate(zip(self.tickets, lists, strict=True)):
            if len(set(alts)) != len(alts) or set(alts) & set(panel):
                raise InputError.single("bad-alternates", tr(
                    "{where}: ticket {j} lists an alternate twice or one on its panel",
                    where=where, j=j), column=f"alternates[{j}]")
        object.__setattr__(self, "alternates", lists)

    def canonical(self) -> bytes:
        """The canonical serialisation (see the module docstring)."""
        doc = {"format": JOINT_LOTTERY_FORMAT, "m": self.m,
               "tickets": [sorted(t) for t in self.tickets],
               "alternates": [list(a) for a in self.alternates]}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")

    def digest(self) -> str:
        """SHA-256 of :meth:`canonical` (covers the alternates)."""
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def from_canonical(cls, data: bytes | str) -> JointLottery:
        """Read a joint lottery back from its canonical serialisation.

        Raises
        ------
        InputError
            ``bad-lottery-format`` unless the format is ``civicsortition-joint-lottery/1``,
            ``bad-lottery`` for a malformed document, and the problems of the plain lottery
            reader and of the constructor.
        """
        require(data, (bytes, bytearray, str), "JointLottery.from_canonical(data=...)",
                "the document as bytes or str")
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            raise InputError.single("bad-lottery", tr("not a {lottery_format} document",
                                                      lottery_format=JOINT_LOTTERY_FORMAT),
                                    column="$") from None
        if not isinstance(doc, dict) or doc.get("format") != JOINT_LOTTERY_FORMAT:
            raise InputError.single("bad-lottery-format", tr(
                "not a {lottery_format} document", lottery_format=JOINT_LOTTERY_FORMAT),
                column="format")
        alts = doc.get("alternates")
        if not isinstance(alts, list) or not all(
                isinstance(a, list) and all(isinstance(x, str) for x in a) for a in alts):
            raise InputError.single("bad-lottery", tr(
                "not a {lottery_format} document: expected a list of alternates lists",
                lottery_format=JOINT_LOTTERY_FORMAT), column="alternates")
        plain = dict(doc, format=LOTTERY_FORMAT)
        del plain["alternates"]
        base = TransparentLottery.from_canonical(json.dumps(plain))
        return cls(base.tickets, alternates=tuple(tuple(a) for a in alts))

    def alternate_shares(self, ids: Sequence[str] | None = None) -> FloatArray:
        """Share of tickets listing each person as an alternate (aligned as ticket_shares)."""
        order = self.ids if ids is None else id_tuple(
            ids, "JointLottery.alternate_shares(ids=...)", "person ids")
        pos = {pid: j for j, pid in enumerate(order)}
        counts = np.zeros(len(order))
        for alts in self.alternates:
            for pid in alts:
                j = pos.get(pid)
                if j is None:
                    raise InputError.single("unknown-id", tr(
                        "a ticket lists an alternate missing from the ids the shares are "
                        "aligned with"), column="ids", value=pid)
                counts[j] += 1
        out: FloatArray = counts / max(self.m, 1)
        return out

    def probabilities(self, ids: Sequence[str] | None = None) -> dict[str, FloatArray]:
        """``{"seat", "alternate", "picked"}``: each person's exact chances (module docstring).

        Aligned with ``ids``; by default :attr:`ids`, or, for a lottery read back from a file
        (which records no pool), every id on a ticket or an alternates list, sorted.
        """
        if ids is None and not self.ids:
            ids = sorted({pid for t in self.tickets for pid in t}
                         | {pid for a in self.alternates for pid in a})
        seat = self.ticket_shares(ids)
        alt = self.alternate_shares(ids)
        return {"seat": seat, "alternate": alt, "picked": seat + alt}

    def summary(self) -> dict[str, Any]:
        """As :meth:`TransparentLottery.summary`, plus the alternates per ticket."""
        out = super().summary()
        out["format"] = JOINT_LOTTERY_FORMAT
        out["alternates_per_ticket"] = sorted({len(a) for a in self.alternates})
        chances = self.probabilities()
        for name in ("seat", "picked"):  # aggregates over the lottery's ids, no id named
            out[f"{name}_min"] = float(chances[name].min(initial=0.0))
            out[f"{name}_max"] = float(chances[name].max(initial=0.0))
        return out


def drawn_alternates(lottery: JointLottery, record: DrawRecord) -> tuple[str, ...]:
    """The alternates of the ticket a draw record picked (check it with ``verify`` first).

    Raises
    ------
    InputError
        ``bad-draw-record`` if the record's digest or ticket number is not this lottery's.
    """
    require(lottery, JointLottery, "drawn_alternates(lottery=...)", "a JointLottery")
    require(record, DrawRecord, "drawn_alternates(record=...)", "a DrawRecord")
    if record.digest != lottery.digest() or not 0 <= record.index < lottery.m:
        raise InputError.single("bad-draw-record", tr(
            "the draw record is not a draw of this joint lottery"), column="digest")
    return lottery.alternates[record.index]


def _uniform_key(seed: str, j: int, pid: str) -> int:
    text = f"{JOINT_ALTERNATES_PROCEDURE}\n{seed}\n{j}\n{pid}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def joint_lottery(source: Distribution | TransparentLottery, count: int, seed: str, *,
                  pool: Pool | None = None, quotas: Quotas | None = None,
                  method: str = "erm",
                  dropout: DropoutModel | FloatArray | Sequence[float] | None = None,
                  scenarios: int = DEFAULT_SCENARIOS, tickets: int = 1000,
                  households: bool = True, time_limit: float | None = None) -> JointLottery:
    """Give every ticket of a lottery ``count`` ordered alternates (module docstring).

    Parameters
    ----------
    source : Distribution or TransparentLottery
        A distribution is first rounded to ``tickets`` tickets
        (:func:`~civicsortition.lottery.transparent_lottery`); its pool and quotas are used.
    count : int
        Alternates per ticket.
    seed : str
        Public seed of the alternates (scenarios, order, uniform keys).
    pool, quotas : Pool, Quotas
        Required with a lottery as ``source``.
    method : {"erm", "uniform"}
    dropout : DropoutModel or array
        Required for ``"erm"``.
    scenarios : int
        Training scenarios of each program (``"erm"``; one program per distinct panel
        profile, module docstring).
    households : bool
        No alternate shares a household with a member of the ticket's panel or another of its
        alternates.
    time_limit : float, optional
        Seconds per ERM program. A program stopped by the limit returns the best set found,
        which depends on the machine: the lottery is then not reproducible.

    Returns
    -------
    JointLottery

    Raises
    ------
    TypeError
        ``source`` neither a Distribution nor a lottery; ``pool``/``quotas`` of wrong type.
    InputError
        ``bad-option`` (method), ``missing-argument`` (no pool/quotas with a lottery, no
        ``dropout`` for ``"erm"``), as :func:`~civicsortition.alternates.erm_alternates`.
    InfeasibleError
        A ticket leaves fewer than ``count`` eligible people.
    """
    fn = "joint_lottery"
    if isinstance(source, Distribution):
        lottery = transparent_lottery(source, tickets)
        pool = source.program.pool if pool is None else pool
        quotas = source.program.quotas if quotas is None else quotas
    elif isinstance(source, TransparentLottery):
        lottery = source
    else:
        require(source, (Distribution, TransparentLottery), f"{fn}(source=...)",
                "a Distribution or a TransparentLottery")
        raise AssertionError  # unreachable
    if pool is None or quotas is None:
        raise InputError.single("missing-argument", tr(
            "{fn}: pool and quotas are required with a lottery", fn=fn), column="pool")
    _check_common(fn, pool, quotas)
    if not isinstance(method, str) or method not in METHODS:
        raise InputError.single("bad-option", tr("{fn}(method=...): expected 'erm' or "
                                                 "'uniform'", fn=fn),
                                column="method", value=repr(method))
    if method == "erm" and dropout is None:
        raise InputError.single("missing-argument", tr(
            "{fn}(method='erm') needs dropout= (a DropoutModel or probabilities)", fn=fn),
            column="dropout")
    seed = normalise_seed(seed)
    count = _count(count, fn)          # both methods: a list of no alternates is no list
    index = {pid: i for i, pid in enumerate(pool.ids)}
    hh = pool.households if households else None
    value = [_value_key(pool, i) for i in range(pool.n)]
    if method == "erm":
        assert dropout is not None
        n_scenarios = _scenario_count(scenarios, fn, "scenarios")
        p = _probabilities(dropout, pool, fn)
        loss_rows = _Rows.of(pool, quotas)
    solved: dict[tuple[object, ...], dict[str, int]] = {}
    pointer: dict[str, int] = {}
    by_type: dict[str, list[int]] = {}
    for i in range(pool.n):
        by_type.setdefault(value[i], []).append(i)
    for v, ms in by_type.items():
        ms.sort(key=lambda i: (alternate_key(seed, pool.ids[i]), pool.ids[i]))
        pointer[v] = 0
    out: list[tuple[str, ...]] = []
    for j, ticket in enumerate(lottery.tickets):
        rows = [index[pid] for pid in ticket if pid in index]
        if len(rows) != len(ticket):
            raise InputError.single("unknown-id", tr("{fn}: a ticket holds a person missing "
                                                     "from the pool", fn=fn), column="source")
        eligible = _eligible(pool, rows, rows, [], bool(households))
        if method == "uniform":
            keyed = sorted(eligible, key=lambda i: (_uniform_key(seed, j, pool.ids[i]),
                                                    pool.ids[i]))
            chosen = _take(keyed, count, hh, fn)
        else:
            inside = set(eligible)
            type_values = tuple(sorted({value[i] for i in eligible}))
            members = [[i for i in by_type[v] if i in inside] for v in type_values]
            caps = _caps(members, hh, count)
            panel = sorted(rows, key=lambda i: (value[i], float(p[i]), pool.ids[i]))
            # everything the program depends on besides the seed and the options: the
            # panel's values and probabilities, the candidates' types, slots, probabilities
            rank: dict[str, int] = {}
            keys = []
            for i in panel:
                keys.append(f"panel/{value[i]}/{rank.get(value[i], 0)}")
                rank[value[i]] = rank.get(value[i], 0) + 1
            while True:
                profile = (tuple((value[i], float(p[i])) for i in panel),
                           tuple((v, c, float(p[ms[0]]))
                                 for v, c, ms in zip(type_values, caps, members, strict=True)))
                counts = solved.get(profile) if _SHARE_PROGRAMS else None
                if counts is None:
                    program = _program(loss_rows, p, members, caps, panel, keys, type_values,
                                       count, seed, n_scenarios, time_limit)
                    z = _type_counts(program[0], program[2], len(type_values))
                    counts = {v: int(c) for v, c in zip(type_values, z, strict=True) if c}
                    solved[profile] = counts
                trial = dict(pointer)
                chosen, got = _round_robin(counts, by_type, trial, inside, hh)
                if len(chosen) == count:
                    pointer.update(trial)
                    break
                # housemates of different types: re-cap the types that fell short, re-solve
                for t, v in enumerate(type_values):
                    if got.get(v, 0) < counts.get(v, 0):
                        caps[t] = got[v]
                _recap(caps, count)
        out.append(tuple(sorted((pool.ids[i] for i in chosen),
                                key=lambda pid: (alternate_key(seed, pid), pid))))
    return JointLottery(lottery.tickets, lottery.rounding, lottery.target, lottery.ids,
                        alternates=tuple(out))


def _take(keyed: Sequence[int], count: int, hh: Sequence[str | None] | None,
          fn: str) -> list[int]:
    chosen = _first_of_distinct_households(keyed, count, hh, set())
    _enough(chosen, count, fn)
    return chosen


def _round_robin(counts: Mapping[str, int], by_type: Mapping[str, list[int]],
                 pointer: dict[str, int], eligible: set[int], hh: Sequence[str | None] | None
                 ) -> tuple[list[int], dict[str, int]]:
    """The people of each type, from where the type's pointer stands (advanced).

    Also, per type, how many were found: fewer than asked when housemates of other types
    took the places.
    """
    chosen: list[int] = []
    taken: set[str] = set()
    found: dict[str, int] = {}
    for v, want in counts.items():
        ms = by_type[v]
        got = 0
        start = pointer[v]
        for step in range(len(ms)):
            if got == want:
                break
            pos = (start + step) % len(ms)
            i = ms[pos]
            h = None if hh is None else hh[i]
            if i not in eligible or (h and h in taken):
                continue
            if h:
                taken.add(h)
            chosen.append(i)
            got += 1
            pointer[v] = (pos + 1) % len(ms)
        found[v] = got
    return chosen, found


def _enough(chosen: Sequence[int], count: int, fn: str) -> None:
    if len(chosen) < count:
        raise InfeasibleError(tr("{fn}: a ticket leaves only {n} eligible people for {count} "
                                 "alternates", fn=fn, n=len(chosen), count=count))


def verify_joint_lottery(pool: Pool, quotas: Quotas, lottery: JointLottery, *,
                         households: bool = True,
                         claimed: Mapping[str, Mapping[str, float]] | None = None,
                         tol: float = 1e-12) -> Verdict:
    """Re-check a joint lottery from scratch, by counting on the people themselves.

    Checks that every ticket's panel has ``panel_size`` distinct people of the pool within
    every quota (and at most one per household), that every alternates list has the same
    length, names people of the pool, distinct and off the panel (and, with households, no
    housemate of the panel or of another alternate), and re-derives each volunteer's
    ``P(seat)`` and ``P(picked at all)`` from the ticket list; with ``claimed``
    (``{"seat": {id: p}, "picked": {id: p}}``) compares them.

    Returns
    -------
    Verdict
        Checks named ``joint: ...``.

    Raises
    ------
    TypeError
        Arguments of the wrong type.
    """
    _check_common("verify_joint_lottery", pool, quotas)
    require(lottery, JointLottery, "verify_joint_lottery(lottery=...)", "a JointLottery")
    index = {pid: i for i, pid in enumerate(pool.ids)}
    values = [[c.values[int(pool.codes[i, j])] for j, c in enumerate(pool.strata)]
              for i in range(pool.n)]
    hh = pool.households if households else None
    bad_panel: list[int] = []
    bad_alt: list[int] = []
    for j, (panel, alts) in enumerate(zip(lottery.tickets, lottery.alternates, strict=True)):
        rows = [index.get(pid) for pid in panel]
        ok = None not in rows and len(set(panel)) == len(panel) == quotas.panel_size
        if ok:
            for q in quotas:
                have = sum(all(values[i][pool.strata.index(c)] == v for c, v in q.parts)
                           for i in rows if i is not None)
                if not q.min <= have <= q.max:
                    ok = False
                    break
        houses = [hh[i] for i in rows if i is not None and hh is not None and hh[i]]
        if ok and len(set(houses)) != len(houses):
            ok = False
        if not ok:
            bad_panel.append(j)
        arows = [index.get(pid) for pid in alts]
        fine = (None not in arows and len(set(alts)) == len(alts) and not set(alts) & set(panel)
                and len(alts) == len(lottery.alternates[0]))
        ahouses = [hh[i] for i in arows if i is not None and hh is not None and hh[i]]
        if fine and (len(set(ahouses)) != len(ahouses) or set(ahouses) & set(houses)):
            fine = False
        if not fine:
            bad_alt.append(j)
    checks = [
        Check("joint: ticket panels meet the quotas", not bad_panel,
              tr("{n} of {m} tickets fail (first: {first})", n=len(bad_panel), m=lottery.m,
                 first=bad_panel[0]) if bad_panel else
              tr("all {m} tickets are feasible panels", m=lottery.m)),
        Check("joint: alternates off the panel, distinct, in the pool", not bad_alt,
              tr("{n} of {m} tickets fail (first: {first})", n=len(bad_alt), m=lottery.m,
                 first=bad_alt[0]) if bad_alt else
              tr("all {m} alternates lists are valid", m=lottery.m))]
    seat = np.zeros(pool.n)
    picked = np.zeros(pool.n)
    for panel, alts in zip(lottery.tickets, lottery.alternates, strict=True):
        for pid in panel:
            if pid in index:
                seat[index[pid]] += 1
                picked[index[pid]] += 1
        for pid in alts:
            if pid in index:
                picked[index[pid]] += 1
    seat /= lottery.m
    picked /= lottery.m
    if claimed is not None:
        worst = 0.0
        for name, derived in (("seat", seat), ("picked", picked)):
            for pid, p in claimed.get(name, {}).items():
                i = index.get(pid)
                worst = max(worst, 1.0 if i is None else abs(float(p) - derived[i]))
        checks.append(Check("joint: claimed probabilities", worst <= tol,
                            tr("largest difference {worst:.3g}", worst=worst)))
    checks.append(Check("joint: probabilities re-derived", True, tr(
        "largest P(seat) {seat:.4f}, largest P(picked at all) {picked:.4f}",
        seat=float(seat.max(initial=0)), picked=float(picked.max(initial=0)))))
    return Verdict(tuple(checks))
