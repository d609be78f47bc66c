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
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs

from .errors import InputError, Problem

__all__ = ["DENOMINATORS", "Outcome", "Tally", "answer_due", "required_votes", "tally"]

Denominator = Literal["members", "present", "cast"]
DENOMINATORS: tuple[str, ...] = ("members", "present", "cast")
_VOTES = {"yes": "yes", "y": "yes", "for": "yes", "no": "no", "n": "no", "against": "no",
          "abstain": "abstain", "abstention": "abstain"}


def _fraction(x: Fraction | float | int | str) -> Fraction:
    """Exact threshold: floats and strings are read as decimals (0.8 -> 4/5)."""
    try:
        out = Fraction(str(x)) if isinstance(x, float | str) else Fraction(x)
    except (ValueError, ZeroDivisionError):
        raise InputError.single("bad-threshold", "threshold must be a number in (0, 1]",
                                value=repr(x)) from None
    if not 0 < out <= 1:
        raise InputError.single("bad-threshold", "threshold must be a number in (0, 1]",
                                value=repr(x))
    return out


def required_votes(threshold: Fraction | float | int | str, denominator: int) -> int:
    """Yes votes needed: ``max(1, ceil(threshold * denominator))``, exactly.

    Examples
    --------
    >>> required_votes(0.8, 36), required_votes(0.8, 35), required_votes("2/3", 30)
    (29, 28, 20)
    """
    t = _fraction(threshold)
    if isinstance(denominator, bool) or not isinstance(denominator, int) or denominator < 0:
        raise InputError.single("bad-denominator", "denominator must be a non-negative "
                                "integer", value=repr(denominator))
    return max(1, math.ceil(t * denominator))


def answer_due(handover: dt.date, days: int = 30) -> dt.date:
    """The date by which the mayor's office must answer: ``days`` calendar days after handover.

    Examples
    --------
    >>> import datetime as dt
    >>> answer_due(dt.date(2027, 2, 10))
    datetime.date(2027, 3, 12)
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise InputError.single("bad-days", "days must be a non-negative integer",
                                value=repr(days))
    return handover + dt.timedelta(days=days)


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
          handover: dt.date | None = None, response_days: int = 30) -> Tally:
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

    Returns
    -------
    Tally

    Raises
    ------
    InputError
        ``not-a-member``, ``bad-vote``, ``absent-voter``, ``duplicate-member``,
        ``bad-denominator``, ``bad-threshold`` -- every problem found.

    Examples
    --------
    >>> members = [f"m{i}" for i in range(36)]
    >>> votes = {"R1": {m: "yes" if i < 29 else "no" for i, m in enumerate(members)},
    ...          "R2": {m: "yes" if i < 28 else "no" for i, m in enumerate(members)}}
    >>> tally(votes, members).adopted
    ('R1',)
    """
    t = _fraction(threshold)
    if denominator not in DENOMINATORS:
        raise InputError.single("bad-denominator", f"denominator must be one of "
                                f"{list(DENOMINATORS)}", value=repr(denominator))
    member_list = [str(m) for m in members]
    problems: list[Problem] = []
    if len(set(member_list)) != len(member_list):
        dupes = sorted({m for m in member_list if member_list.count(m) > 1})
        problems += [Problem("duplicate-member", "a member is listed twice", value=m)
                     for m in dupes]
    member_set = set(member_list)
    present_set = None if present is None else {str(p) for p in present}
    if present_set is not None:
        problems += [Problem("not-a-member", "listed as present but not a member", value=p)
                     for p in sorted(present_set - member_set)]
    outcomes: list[Outcome] = []
    for rec, ballots in votes.items():
        count = {"yes": 0, "no": 0, "abstain": 0}
        voters: set[str] = set()
        for member, raw in ballots.items():
            m = str(member)
            vote = _VOTES.get(str(raw).strip().casefold())
            if m not in member_set:
                problems.append(Problem("not-a-member", f"a ballot on {rec!r} from someone who "
                                        "is not a member", column=str(rec), value=m))
            elif vote is None:
                problems.append(Problem("bad-vote", "expected yes, no or abstain",
                                        column=str(rec), value=str(raw)))
            elif present_set is not None and m not in present_set:
                problems.append(Problem("absent-voter", f"a ballot on {rec!r} from a member "
                                        "not listed as present", column=str(rec), value=m))
            else:
                count[vote] += 1
                voters.add(m)
        base = {"members": len(member_set),
                "present": len(present_set) if present_set is not None else len(voters),
                "cast": count["yes"] + count["no"]}[denominator]
        need = required_votes(t, base)
        outcomes.append(Outcome(str(rec), count["yes"], count["no"], count["abstain"],
                                len(member_set) - len(voters), base, need,
                                count["yes"] >= need))
    if problems:
        raise InputError(problems)
    due = None if handover is None else answer_due(handover, response_days)
    return Tally(tuple(outcomes), t, denominator, len(member_set), handover, due)
