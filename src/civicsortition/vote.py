r"""The assembly's vote: supermajority tallies with an explicit denominator, and the answer date.

A recommendation is adopted when its *yes* votes reach the threshold (default 80%) of a stated
denominator, rounding up:

.. math:: \text{adopted} \iff \text{yes} \ge \max\bigl(1, \lceil t \cdot D \rceil\bigr),

with exact rational arithmetic (a threshold given as ``0.8`` is read as the decimal ``4/5``, so
80% of 35 is 28, not 29). The denominator ``D`` is one of

``"members"``
    all members of the assembly (the strictest reading: absence counts against);
``"present"``
    members present for the vote (given, or those who voted yes, no or abstained);
``"cast"``
    votes cast, yes plus no (abstentions do not count).

With 36 members and the default 80%, 29 votes adopt and 28 do not. The mayor's office must
answer within ``response_days`` (default 30) calendar days of the handover:
:func:`answer_due`.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import attrs

from ._checks import describe, id_tuple, optional_id_tuple, require, type_error
from ._i18n import tr
from .errors import InputError, Problem

__all__ = ["DENOMINATORS", "VOTE_WORDS", "Outcome", "Tally", "answer_due", "required_votes",
           "tally"]

Denominator = Literal["members", "present", "cast"]
DENOMINATORS: tuple[str, ...] = ("members", "present", "cast")
#: Accepted ballot words (case-insensitive) and the vote each one means.
VOTE_WORDS = {"yes": "yes", "y": "yes", "for": "yes", "no": "no", "n": "no", "against": "no",
              "abstain": "abstain", "abstention": "abstain"}


def _fraction(x: Fraction | float | int | str, where: str) -> Fraction:
    """Exact threshold: floats and strings are read as decimals (0.8 -> 4/5).

    ``where`` names the argument in messages, e.g. ``"tally(threshold=...)"``.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Rational | float | str | Decimal):
        raise type_error(where, "a number in (0, 1] (Fraction, float, int or str)", x)
    try:
        out = Fraction(str(x)) if isinstance(x, float | str) else Fraction(x)
    except (ValueError, ArithmeticError):
        out = None
    if out is None or not 0 < out <= 1:
        raise InputError.single("bad-threshold", tr("{where}: threshold must be a number in (0, "
                                                    "1]", where=where),
                                column="threshold", value=repr(x))
    return out


def required_votes(threshold: Fraction | float | int | str, denominator: int) -> int:
    """Yes votes needed: ``max(1, ceil(threshold * denominator))``, exactly.

    Examples
    --------
    >>> required_votes(0.8, 36), required_votes(0.8, 35), required_votes("2/3", 30)
    (29, 28, 20)

    Raises
    ------
    TypeError
        If ``threshold`` is not a number (or numeric text).
    InputError
        ``bad-threshold`` (not in (0, 1]), ``bad-denominator`` (not a non-negative integer).
    """
    t = _fraction(threshold, "required_votes(threshold=...)")
    if isinstance(denominator, bool) or not isinstance(denominator, numbers.Integral) \
            or denominator < 0:
        raise InputError.single("bad-denominator", "required_votes(denominator=...): expected a "
                                "non-negative integer", column="denominator",
                                value=repr(denominator))
    return max(1, math.ceil(t * int(denominator)))


def answer_due(handover: dt.date, days: int = 30) -> dt.date:
    """The date by which the mayor's office must answer: ``days`` calendar days after handover.

    Examples
    --------
    >>> import datetime as dt
    >>> answer_due(dt.date(2027, 2, 10))
    datetime.date(2027, 3, 12)

    Raises
    ------
    TypeError
        If ``handover`` is not a :class:`datetime.date`.
    InputError
        ``bad-days`` if ``days`` is not a non-negative integer.
    """
    require(handover, dt.date, "answer_due(handover=...)", "a datetime.date")
    if isinstance(days, bool) or not isinstance(days, numbers.Integral) or days < 0:
        raise InputError.single("bad-days", "answer_due(days=...): expected a non-negative "
                                "integer", column="days", value=repr(days))
    return handover + dt.timedelta(days=int(days))


@attrs.frozen
class Outcome:
    """The result of one recommendation.

    Attributes
    ----------
    recommendation : str
    yes, no, abstain, not_voting : int
        ``not_voting`` counts members who cast no ballot on it.
    denominator : int
        The base the threshold applies to (see :attr:`Tally.denominator`).
    required : int
        Yes votes needed.
    adopted : bool
    """

    recommendation: str
    yes: int
    no: int
    abstain: int
    not_voting: int
    denominator: int
    required: int
    adopted: bool

    @property
    def support(self) -> float:
        """``yes / denominator`` (0 when the denominator is 0)."""
        return self.yes / self.denominator if self.denominator else 0.0


@attrs.frozen
class Tally:
    """All outcomes of a vote, with the rule that produced them.

    Attributes
    ----------
    outcomes : tuple of Outcome
        In the order the recommendations were given.
    threshold : Fraction
    denominator : str
        ``"members"``, ``"present"`` or ``"cast"``.
    members : int
    handover : datetime.date or None
    answer_due : datetime.date or None
    """

    outcomes: tuple[Outcome, ...]
    threshold: Fraction
    denominator: str
    members: int
    handover: dt.date | None = None
    answer_due: dt.date | None = None

    @property
    def adopted(self) -> tuple[str, ...]:
        """The adopted recommendations."""
        return tuple(o.recommendation for o in self.outcomes if o.adopted)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (counts only; no member ids)."""
        return {"threshold": str(self.threshold), "denominator": self.denominator,
                "members": self.members,
                "handover": None if self.handover is None else self.handover.isoformat(),
                "answer_due": None if self.answer_due is None else self.answer_due.isoformat(),
                "outcomes": [attrs.asdict(o) for o in self.outcomes]}

    def to_frame(self, *, like: Any = "pandas") -> Any:
        """One row per recommendation (counts, votes needed, result) as a DataFrame.

        Parameters
        ----------
        like : str or DataFrame
            The library (``"pandas"``, ``"polars"``, ...) or a frame of it (needs narwhals).

        Returns
        -------
        DataFrame
            Columns ``recommendation, yes, no, abstain, not_voting, denominator, required,
            adopted`` (no member ids).
        """
        from ._frames import to_frame

        return to_frame([attrs.asdict(o) for o in self.outcomes], like=like)

    def _repr_html_(self) -> str:
        from ._html import card, table

        facts: list[tuple[str, object]] = [
            ("rule", f"at least {float(self.threshold):.0%} of {self.denominator}"),
            ("members", self.members)]
        if self.answer_due is not None:
            facts.append(("answer due", self.answer_due.isoformat()))
        body = table(["recommendation", "yes", "no", "abstain", "not voting", "needed",
                      "result"],
                     [(o.recommendation, o.yes, o.no, o.abstain, o.not_voting,
                       f"{o.required} of {o.denominator}",
                       "adopted" if o.adopted else "not adopted") for o in self.outcomes])
        return card("Tally", facts, [("outcomes", body)])

    def to_markdown(self) -> str:
        """A table of the outcomes plus the rule and the answer date."""
        pct = f"{float(self.threshold):.0%}"
        lines = [f"Rule: adopted with at least {pct} of {self.denominator} "
                 f"(rounded up); {self.members} members.", "",
                 "| recommendation | yes | no | abstain | not voting | needed | result |",
                 "|---|---:|---:|---:|---:|---:|---|"]
        lines += [f"| {o.recommendation} | {o.yes} | {o.no} | {o.abstain} | {o.not_voting} | "
                  f"{o.required} of {o.denominator} | "
                  f"{'**adopted**' if o.adopted else 'not adopted'} |" for o in self.outcomes]
        if self.answer_due is not None and self.handover is not None:
            lines += ["", f"Handed over {self.handover.isoformat()}; the mayor's office must "
                      f"answer by {self.answer_due.isoformat()}."]
        return "\n".join(lines) + "\n"


def tally(votes: Mapping[str, Mapping[str, str]], members: Sequence[str], *,
          threshold: Fraction | float | int | str = Fraction(4, 5),
          denominator: str = "members", present: Sequence[str] | None = None,
          handover: dt.date | None = None, response_days: int = 30,
          rows: Mapping[tuple[str, str], int] | None = None,
          source: str | None = None) -> Tally:
    """Tally the members' votes on each recommendation.

    Parameters
    ----------
    votes : mapping of str to mapping of str to str
        ``{recommendation: {member id: "yes" | "no" | "abstain"}}`` (``for``/``against`` and
        ``y``/``n`` accepted, any case). A member missing from a recommendation's mapping did
        not vote on it.
    members : sequence of str
        The assembly's members (for example the drawn panel, after replacements).
    threshold : Fraction, float, int or str
        Share of the denominator needed, in (0, 1]; default 4/5.
    denominator : {"members", "present", "cast"}
    present : sequence of str, optional
        Members present (only with ``denominator="present"``; default: those who cast a yes,
        no or abstain ballot on the recommendation).
    handover : datetime.date, optional
        When the recommendations go to the mayor; sets :attr:`Tally.answer_due`.
    response_days : int
    rows : mapping of (str, str) to int, optional
        Where each ballot came from, ``{(recommendation, member): line}`` (for example the
        file lines of :func:`civicsortition.io.read_votes`); used as the ``row`` of the
        problems reported about that ballot.
    source : str, optional
        Name of the ballots file, used as the ``file`` of those problems.

    Returns
    -------
    Tally

    Raises
    ------
    TypeError
        If an argument has the wrong type: ``votes`` not a mapping of mappings,
        ``members`` or ``present`` a single string or not a sequence of string ids, a
        recommendation or member key that is not a string, ``threshold`` not a number,
        ``handover`` not a date.
    InputError
        ``not-a-member``, ``bad-vote`` (naming the member and the recommendation),
        ``absent-voter``, ``duplicate-member``, ``bad-denominator``, ``bad-threshold``,
        ``bad-days`` -- every problem found.

    Examples
    --------
    >>> members = [f"m{i}" for i in range(36)]
    >>> votes = {"R1": {m: "yes" if i < 29 else "no" for i, m in enumerate(members)},
    ...          "R2": {m: "yes" if i < 28 else "no" for i, m in enumerate(members)}}
    >>> tally(votes, members).adopted
    ('R1',)
    """
    t = _fraction(threshold, "tally(threshold=...)")
    if not isinstance(denominator, str) or denominator not in DENOMINATORS:
        raise InputError.single("bad-denominator", tr("tally(denominator=...): expected one of "
                                                      "{denominators}",
                                                      denominators=list(DENOMINATORS)),
                                column="denominator",
                                value=repr(denominator))
    require(votes, Mapping, "tally(votes=...)",
            "a mapping {recommendation: {member id: vote}}")
    member_list = id_tuple(members, "tally(members=...)", "member ids")
    present_ids = optional_id_tuple(present, "tally(present=...)", "member ids")
    if handover is not None:
        require(handover, dt.date, "tally(handover=...)", "a datetime.date or None")
    if isinstance(response_days, bool) or not isinstance(response_days, numbers.Integral) \
            or response_days < 0:
        raise InputError.single("bad-days", "tally(response_days=...): expected a non-negative "
                                "integer", column="response_days", value=repr(response_days))
    if rows is not None:
        require(rows, Mapping, "tally(rows=...)",
                "a mapping {(recommendation, member): line} or None")
    if source is not None:
        require(source, str, "tally(source=...)", "a file name (str) or None")
    where_of = rows if rows is not None else {}

    def at(rec: str, member: str) -> dict[str, Any]:
        return {"file": source, "row": where_of.get((rec, member)), "column": rec}

    problems: list[Problem] = []
    counts = Counter(member_list)
    problems += [Problem("duplicate-member", "tally(members=...): a member is listed twice",
                         column="members", value=m)
                 for m in sorted(m for m, c in counts.items() if c > 1)]
    member_set = set(member_list)
    present_set = None if present_ids is None else set(present_ids)
    if present_set is not None:
        problems += [Problem("not-a-member", "tally(present=...): listed as present but not a "
                             "member", column="present", value=p)
                     for p in sorted(present_set - member_set)]
    outcomes: list[Outcome] = []
    for rec, ballots in votes.items():
        if not isinstance(rec, str):
            raise TypeError("tally(votes=...): expected recommendations as strings, got key "
                            f"{describe(rec)}")
        require(ballots, Mapping, f"tally(votes=...)[{rec!r}]",
                "a mapping {member id: vote}")
        count = {"yes": 0, "no": 0, "abstain": 0}
        voters: set[str] = set()
        for m, raw in ballots.items():
            if not isinstance(m, str):
                raise TypeError(f"tally(votes=...)[{rec!r}]: expected member ids as strings, "
                                f"got key {describe(m)}")
            vote = VOTE_WORDS.get(raw.strip().casefold()) if isinstance(raw, str) else None
            if m not in member_set:
                problems.append(Problem("not-a-member", tr("a ballot on {rec!r} from {m!r}, who "
                                                           "is not a member", rec=rec, m=m),
                                        value=m, **at(rec, m)))
            elif vote is None:
                problems.append(Problem("bad-vote", tr("member {m!r} on recommendation {rec!r}: "
                                                       "expected yes, no or abstain", m=m, rec=rec),
                                        value=raw if isinstance(raw, str) else repr(raw),
                                        **at(rec, m)))
            elif present_set is not None and m not in present_set:
                problems.append(Problem("absent-voter", tr("a ballot on {rec!r} from member "
                                                           "{m!r}, who is not listed as present",
                                                           rec=rec,
                                                           m=m), value=m,
                                        **at(rec, m)))
            else:
                count[vote] += 1
                voters.add(m)
        base = {"members": len(member_set),
                "present": len(present_set) if present_set is not None else len(voters),
                "cast": count["yes"] + count["no"]}[denominator]
        need = required_votes(t, base)
        outcomes.append(Outcome(rec, count["yes"], count["no"], count["abstain"],
                                len(member_set) - len(voters), base, need,
                                count["yes"] >= need))
    if problems:
        raise InputError(problems)
    due = None if handover is None else answer_due(handover, int(response_days))
    return Tally(tuple(outcomes), t, denominator, len(member_set), handover, due)
