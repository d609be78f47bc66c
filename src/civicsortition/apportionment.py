"""Exact seat apportionment: split ``k`` seats among values in proportion to their shares.

All arithmetic is exact (:class:`fractions.Fraction`); no floating point is involved, so results
are identical on every platform. Methods (ids in brackets):

* largest remainder / Hamilton / Hare-Niemeyer (``"largest-remainder"``, alias ``"hamilton"``):
  every value gets the integer part of its exact quota ``k·p``; the remaining seats go to the
  largest fractional remainders. Always *within quota* (``floor(k·p) ≤ seats ≤ ceil(k·p)``), but
  not house-monotone (the Alabama paradox).
* divisor methods, computed as highest-averages sequences: seats are handed out one at a time to
  the value maximising ``p / d(s)`` where ``s`` is its current number of seats:

  - D'Hondt / Jefferson (``"dhondt"``, alias ``"jefferson"``): ``d(s) = s + 1``;
  - Webster / Sainte-Laguë (``"webster"``, alias ``"sainte-lague"``): ``d(s) = s + 1/2``;
  - Huntington-Hill (``"huntington-hill"``): ``d(s) = sqrt(s (s + 1))``;
  - Adams (``"adams"``): ``d(s) = s``.

  Divisor methods are house-monotone (adding a seat never takes one away). With ``d(0) = 0``
  (Huntington-Hill, Adams) every value with a positive share gets a seat before any value gets
  a second one.

References
----------
M. L. Balinski and H. P. Young, *Fair Representation: Meeting the Ideal of One Man, One Vote*,
2nd ed., Brookings Institution Press, 2001.
F. Pukelsheim, *Proportional Representation: Apportionment Methods and Their Applications*,
2nd ed., Springer, 2017.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import attrs

from ._i18n import tr
from .errors import InputError, Problem, TieError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["METHODS", "Apportionment", "apportion", "resolve_method"]

TieBreak = Literal["order", "raise", "random"]

#: Canonical method ids and their human names.
METHODS: dict[str, str] = {
    "largest-remainder": "largest remainder (Hamilton, Hare-Niemeyer)",
    "dhondt": "D'Hondt (Jefferson)",
    "webster": "Webster (Sainte-Laguë)",
    "huntington-hill": "Huntington-Hill (equal proportions)",
    "adams": "Adams (smallest divisors)",
}
_ALIASES = {
    "hamilton": "largest-remainder", "hare": "largest-remainder",
    "hare-niemeyer": "largest-remainder", "jefferson": "dhondt", "d'hondt": "dhondt",
    "sainte-lague": "webster", "sainte-laguë": "webster", "equal-proportions": "huntington-hill",
}


def resolve_method(method: str) -> str:
    """Return the canonical id of an apportionment method (accepting aliases, any case)."""
    key = method.strip().lower().replace("_", "-").replace(" ", "-")
    key = _ALIASES.get(key, key)
    if key not in METHODS:
        raise InputError.single("unknown-method", tr("unknown apportionment method; expected one "
                                                     "of {methods} or aliases {aliases}",
                                                     methods=sorted(METHODS),
                                                     aliases=sorted(_ALIASES)), value=method)
    return key


@attrs.frozen
class Apportionment:
    """The outcome of :func:`apportion`.

    Attributes
    ----------
    method : str
        Canonical method id.
    seats_total : int
        The house size ``k``.
    names : tuple of str
        Value names, in input order.
    shares : tuple of Fraction
        Normalised shares (summing to 1).
    exact : tuple of Fraction
        Exact quotas ``k·p``.
    seats : tuple of int
        Seats per value, summing to ``seats_total``.
    minimums : tuple of int
        The floors that were imposed (0 where none).
    ties : tuple of str
        Names of the values that won a tied comparison for the last contested seat(s); empty
        when the result did not depend on a tie rule.
    tie_break : str
        The tie rule in force.
    """

    method: str
    seats_total: int
    names: tuple[str, ...]
    shares: tuple[Fraction, ...]
    exact: tuple[Fraction, ...]
    seats: tuple[int, ...]
    minimums: tuple[int, ...]
    ties: tuple[str, ...]
    tie_break: str

    def as_dict(self) -> dict[str, int]:
        """``{name: seats}``."""
        return dict(zip(self.names, self.seats, strict=True))


def _exact_number(raw: object) -> Fraction:
    """``raw`` as an exact fraction (a float at its binary value; NumPy numbers accepted).

    Raises
    ------
    TypeError, ValueError, ZeroDivisionError
        If ``raw`` is a bool, not a number or a numeric string, or not finite.
    """
    if isinstance(raw, bool):
        raise TypeError
    if isinstance(raw, numbers.Integral) and not isinstance(raw, int):
        raw = int(raw)  # a NumPy integer
    elif isinstance(raw, numbers.Real) and not isinstance(raw, numbers.Rational):
        if not math.isfinite(raw):
            raise ValueError
        raw = float(raw)
    if isinstance(raw, str | int | float | Fraction):
        return Fraction(raw)  # exact: floats are taken at their binary value
    if isinstance(raw, numbers.Rational):
        return Fraction(int(raw.numerator), int(raw.denominator))
    raise TypeError


def _validate(shares: Mapping[str, Fraction | int | str | float], seats: int,
              minimums: Mapping[str, int] | None) -> tuple[list[str], list[Fraction], list[int]]:
    problems: list[Problem] = []
    if isinstance(seats, bool) or not isinstance(seats, numbers.Integral) or seats < 0:
        problems.append(Problem("bad-seats", "the number of seats must be a non-negative integer",
                                value=repr(seats)))
    names = list(shares)
    values: list[Fraction] = []
    for name in names:
        raw = shares[name]
        try:
            value = _exact_number(raw)
        except (TypeError, ValueError, ZeroDivisionError):
            problems.append(Problem("not-a-number", "a share must be a finite number",
                                    column=name, value=repr(raw)))
            value = Fraction(0)
        if value < 0:
            problems.append(Problem("negative-share", "a share must be >= 0", column=name,
                                    value=str(raw)))
        values.append(value)
    if not names:
        problems.append(Problem("no-values", "nothing to apportion among"))
    elif not problems and sum(values) == 0:
        problems.append(Problem("zero-total", "the shares sum to zero"))
    mins = [0] * len(names)
    if minimums:
        for key, m in minimums.items():
            if key not in shares:
                problems.append(Problem("unknown-value", "minimum given for a value that has no "
                                        "share", column=key, value=str(m)))
            elif isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 0:
                problems.append(Problem("bad-minimum", "a minimum must be a non-negative integer",
                                        column=key, value=repr(m)))
            else:
                mins[names.index(key)] = int(m)
        if not problems and sum(mins) > seats:
            problems.append(Problem("minimums-exceed-seats", tr("the minimums add up to {mins}, "
                                                                "more than the {seats} seats",
                                                                mins=sum(mins),
                                                                seats=seats), value=str(sum(mins))))
    if problems:
        raise InputError(problems)
    total = sum(values)
    return names, [v / total for v in values], mins


def _divisor(method: str, s: int) -> tuple[Fraction, bool]:
    """Return ``(d(s)^2 or d(s), squared)``; Huntington-Hill compares squared priorities."""
    if method == "dhondt":
        return Fraction(s + 1), False
    if method == "webster":
        return Fraction(2 * s + 1, 2), False
    if method == "adams":
        return Fraction(s), False
    return Fraction(s * (s + 1)), True  # huntington-hill, squared


def _priority(method: str, share: Fraction, s: int) -> Fraction | float:
    """Exact priority ``share / d(s)`` (squared for Huntington-Hill); ``inf`` when ``d = 0``."""
    if share == 0:
        return Fraction(-1)  # never receives a seat beyond its minimum
    d, squared = _divisor(method, s)
    if d == 0:
        return math.inf
    return share * share / d if squared else share / d


def _pick(candidates: list[int], names: list[str], tie_break: str,
          rng: np.random.Generator | None, what: str) -> int:
    if len(candidates) == 1 or tie_break == "order":
        return candidates[0]
    if tie_break == "random":
        assert rng is not None
        return candidates[int(rng.integers(len(candidates)))]
    raise TieError([Problem("apportionment-tie", tr("{what} is tied between {value}; choose "
                                                    "tie_break='order' or 'random' or adjust the "
                                                    "shares",
                                                    what=what,
                                                    value=[names[i] for i in candidates]),
                            value=", ".join(names[i] for i in candidates))])


def apportion(
    shares: Mapping[str, Fraction | int | str | float],
    seats: int,
    *,
    method: str = "largest-remainder",
    minimums: Mapping[str, int] | None = None,
    tie_break: TieBreak = "order",
    rng: np.random.Generator | int | None = None,
) -> Apportionment:
    """Apportion ``seats`` among values proportionally to ``shares``, exactly.

    Parameters
    ----------
    shares : mapping of str to number
        Non-negative weights (population shares or counts); they are normalised. Fractions,
        integers and decimal strings (``"0.125"``) are exact; floats are taken at their exact
        binary value.
    seats : int
        House size ``k >= 0``.
    method : str
        One of :data:`METHODS` or an alias (``"hamilton"``, ``"jefferson"``, ``"sainte-lague"``).
    minimums : mapping of str to int, optional
        Seats each value must get at least (floors). Divisor methods start the sequence at these
        minimums; largest remainder fixes at its minimum every value whose proportional share of
        the remaining seats falls below it and re-apportions the rest.
    tie_break : {"order", "raise", "random"}
        What decides a seat when priorities are exactly equal: the input order of the values, an
        error (:class:`~civicsortition.errors.TieError`), or ``rng``. Ties that were decided are
        listed in :attr:`Apportionment.ties`.
    rng : numpy.random.Generator or int, optional
        Only used with ``tie_break="random"``.

    Returns
    -------
    Apportionment

    Examples
    --------
    >>> apportion({"a": 62, "b": 24, "c": 14}, 5).seats
    (3, 1, 1)
    >>> apportion({"a": 62, "b": 24, "c": 14}, 5, method="dhondt").seats
    (4, 1, 0)
    """
    method = resolve_method(method)
    if tie_break not in ("order", "raise", "random"):
        raise InputError.single("bad-tie-break", "tie_break must be 'order', 'raise' or 'random'",
                                value=repr(tie_break))
    names, p, mins = _validate(shares, seats, minimums)
    gen = None
    if tie_break == "random":
        import numpy as np  # only a random tie-break needs NumPy

        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if method == "largest-remainder":
        alloc, ties = _largest_remainder(names, p, int(seats), mins, tie_break, gen)
    else:
        alloc, ties = _highest_averages(method, names, p, int(seats), mins, tie_break, gen)
    return Apportionment(method=method, seats_total=int(seats), names=tuple(names),
                         shares=tuple(p), exact=tuple(x * seats for x in p), seats=tuple(alloc),
                         minimums=tuple(mins), ties=tuple(ties), tie_break=tie_break)


def _largest_remainder(names: list[str], p: list[Fraction], k: int, mins: list[int],
                       tie_break: str, rng: np.random.Generator | None
                       ) -> tuple[list[int], list[str]]:
    fixed = [False] * len(p)
    while True:
        free = [i for i in range(len(p)) if not fixed[i]]
        seats_free = k - sum(mins[i] for i in range(len(p)) if fixed[i])
        mass = sum((p[i] for i in free), Fraction(0))
        quota = {i: (p[i] * seats_free / mass if mass else Fraction(0)) for i in free}
        newly = [i for i in free if quota[i] < mins[i]]
        if not newly:
            break
        for i in newly:
            fixed[i] = True
    alloc = [mins[i] if fixed[i] else 0 for i in range(len(p))]
    free = [i for i in range(len(p)) if not fixed[i]]
    for i in free:
        alloc[i] = math.floor(quota[i])
    left = k - sum(alloc)
    ties: list[str] = []
    # Rank by remainder (descending); equal remainders form tie groups.
    remaining = sorted({quota[i] - alloc[i] for i in free if p[i] > 0}, reverse=True)
    for r in remaining:
        if left == 0:
            break
        group = [i for i in free if p[i] > 0 and quota[i] - alloc[i] == r]
        if len(group) <= left:
            for i in group:
                alloc[i] += 1
            left -= len(group)
            continue
        # More tied values than seats: the tie rule decides.
        while left > 0:
            winner = _pick(group, names, tie_break, rng, "the last remainder seat")
            alloc[winner] += 1
            ties.append(names[winner])
            group.remove(winner)
            left -= 1
    if left > 0:  # only possible when every positive share is fixed at its minimum
        raise InputError.single("cannot-apportion", tr("{left} seat(s) cannot be given to any "
                                                       "value (all values with a positive share "
                                                       "are at their minimum)", left=left))
    return alloc, ties


def _highest_averages(method: str, names: list[str], p: list[Fraction], k: int, mins: list[int],
                      tie_break: str, rng: np.random.Generator | None
                      ) -> tuple[list[int], list[str]]:
    alloc = list(mins)
    ties: list[str] = []
    positive = [i for i in range(len(p)) if p[i] > 0]
    if not positive and k > sum(alloc):
        raise InputError.single("cannot-apportion", "no value has a positive share")
    left = k - sum(alloc)
    while left > 0:
        prios = {i: _priority(method, p[i], alloc[i]) for i in positive}
        best = max(prios.values())
        group = [i for i in positive if prios[i] == best]
        if len(group) <= left:
            # Every tied value gets this seat level in the next rounds: order is immaterial
            # (a winner's next priority is strictly smaller, the others' stay at `best`).
            for i in group:
                alloc[i] += 1
            left -= len(group)
            continue
        while left > 0:  # more tied values than seats: the tie rule decides
            winner = _pick(group, names, tie_break, rng, f"seat {k - left + 1}")
            alloc[winner] += 1
            ties.append(names[winner])
            group.remove(winner)
            left -= 1
    return alloc, ties
