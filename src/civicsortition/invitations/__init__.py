r"""Stage 1: invitation letters to randomly selected addresses, with inclusion probabilities.

An :class:`AddressFrame` lists the addresses that may be invited (ids plus optional columns such
as the district or a low-response flag). A *design* says how many letters go where:

* :class:`SimpleRandom` -- ``n`` addresses uniformly without replacement:
  :math:`\pi_a = n / N`.
* :class:`Stratified` -- letters apportioned to the strata of a column (districts) in proportion
  to population (given, or the number of addresses) by an exact apportionment method, then a
  simple random sample in each: :math:`\pi_a = n_h / N_h`.
* :class:`Oversample` -- two phases: ``n_1 = n - n_2`` letters uniformly over the frame, then
  ``n_2 = round(share * n)`` letters uniformly among the *flagged* addresses (for example
  low-response areas) not chosen in phase 1. For a flagged address, with ``F`` flagged of ``N``
  and :math:`X \sim \mathrm{Hypergeometric}(N-1, F-1, n_1)` the number of other flagged
  addresses phase 1 takes,

  .. math:: \pi_a = \frac{n_1}{N} + \Bigl(1 - \frac{n_1}{N}\Bigr)\,
            \mathbb{E}\Bigl[\frac{n_2}{F - X}\Bigr];

  unflagged addresses have :math:`\pi_a = n_1 / N`.

Randomness is the public, platform-independent procedure ``civicsortition-invite/1``: every
address gets the key ``SHA-256("civicsortition-invite/1\n" + phase + "\n" + seed + "\n" +
address)`` (a 256-bit integer, ties broken by the address id); a simple random sample of ``n`` from
a set is the ``n`` addresses with the smallest keys. Anyone holding the frame and the seed can
recompute every key with ``sha256sum``. *Reserves* (letters for a second wave) are the next
addresses in key order in each stratum; the probability of being invited in the main wave or as
one of the ``r_h`` reserves of a stratum is :math:`\pi_a + (1-\pi_a)\, r_h / (N_h - n_h)`, exactly,
because the main wave always has ``n_h`` addresses.

* :class:`Clustered` -- two stages: ``m`` clusters (cities, districts, door-knocking
  locations) drawn with probability proportional to size by systematic PPS (procedure
  ``civicsortition-pps/1``, certainty units taken with probability 1), then ``n`` addresses by
  simple random sampling in each chosen cluster: :math:`\pi_a = \pi_c\, n / N_c`, equal for
  every address when the sizes are the address counts and no cluster is certain. Its joint
  probabilities come from an exact enumeration of the random starts (:class:`ClusterSample`).

Joint (second-order) inclusion probabilities are recorded for every design except
:class:`Oversample`, as a :class:`JointInclusion` of pair probabilities between groups of
exchangeable addresses (strata, clusters, or the one group ``all``).

:func:`plan_letters` estimates how many letters reach a target pool size for a response rate
known only as a range, and :func:`expected_registrations` gives the interval of pool sizes that
a number of letters produces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .._checks import utf8_encodable
from .._i18n import tr
from .._typing import FloatArray
from ..apportionment import apportion
from ..errors import InputError, Problem
from ..seeds import INVITE_PROCEDURE, PPS_PROCEDURE, invitation_key, normalise_seed
from ._joint import JointInclusion
from ._pps import (
    Clustered,
    ClusterSample,
    address_probabilities,
    cluster_plan,
    cluster_size,
    systematic_pps,
)

__all__ = ["INVITE_PROCEDURE", "PPS_PROCEDURE", "AddressFrame", "ClusterSample", "Clustered",
           "Invitations", "JointInclusion", "LetterPlan", "Oversample", "SimpleRandom",
           "Stratified", "cluster_size", "expected_registrations", "invitation_key", "invite",
           "plan_letters", "systematic_pps"]

_TRUE = frozenset({"1", "true", "yes", "y", "x"})


def _str_tuple(a: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(x).strip() for x in a)


def _opt_int_tuple(a: Iterable[int] | None) -> tuple[int, ...] | None:
    return None if a is None else tuple(int(x) for x in a)


def _columns(c: Mapping[str, Iterable[Any]]) -> dict[str, tuple[str, ...]]:
    return {str(k): _str_tuple(v) for k, v in c.items()}


@attrs.frozen(eq=False)
class AddressFrame:
    """The addresses that may receive a letter.

    Parameters
    ----------
    ids : sequence of str
        Unique, non-empty address ids.
    columns : mapping of str to sequence of str, optional
        Extra columns aligned with ``ids`` (``district``, a low-response flag, ...).
    source : str
        Name used in error messages.
    lines : sequence of int, optional
        File line number of each address (set by :func:`~civicsortition.io.read_address_frame`);
        without it error rows are positions from 0.

    Raises
    ------
    InputError
        ``missing-address``, ``duplicate-address``, ``ragged-column`` or ``not-utf8`` (an id
        holding a lone surrogate, which cannot be hashed), naming the row and value.
    """

    ids: tuple[str, ...] = attrs.field(converter=_str_tuple)
    columns: dict[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_columns)
    source: str = "address frame"
    lines: tuple[int, ...] | None = attrs.field(default=None, converter=_opt_int_tuple)

    def row(self, i: int) -> int:
        """The row number of position ``i`` for error messages."""
        return self.lines[i] if self.lines is not None else i

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for i, a in enumerate(self.ids):
            if not a:
                problems.append(Problem("missing-address", "every address needs an id",
                                        file=self.source, row=self.row(i), column="address"))
            elif not utf8_encodable(a):
                problems.append(Problem("not-utf8", "an address id must be text that UTF-8 can "
                                        "encode (it is hashed for the invitation keys); it "
                                        "holds a lone surrogate", file=self.source,
                                        row=self.row(i), column="address", value=repr(a)))
            elif a in seen:
                problems.append(Problem("duplicate-address",
                                        tr("address already listed on row {value}",
                                           value=self.row(seen[a])),
                                        file=self.source, row=self.row(i), column="address",
                                        value=a))
            else:
                seen[a] = i
        for name, col in self.columns.items():
            if len(col) != len(self.ids):
                problems.append(Problem("ragged-column", tr("column has {n_col} entries, "
                                                            "expected {n_ids}",
                                                            n_col=len(col),
                                                            n_ids=len(self.ids)), file=self.source,
                                        column=name))
        if problems:
            raise InputError(problems)

    @property
    def n(self) -> int:
        """Number of addresses."""
        return len(self.ids)

    def column(self, name: str) -> tuple[str, ...]:
        """The values of column ``name`` (raises ``unknown-column``)."""
        for key, col in self.columns.items():
            if key.casefold() == name.casefold():
                return col
        raise InputError.single("unknown-column", tr("the address frame has no column {name!r}; "
                                                     "it has {columns}",
                                                     name=name,
                                                     columns=sorted(self.columns)),
                                file=self.source, column=name)

    def strata(self, by: str) -> dict[str, list[int]]:
        """Row positions per value of column ``by`` (values in first-seen order).

        Raises
        ------
        InputError
            ``missing-value`` for every address without a value.
        """
        col = self.column(by)
        groups: dict[str, list[int]] = {}
        problems = [Problem("missing-value", tr("no {by} for this address", by=by),
                            file=self.source,
                            row=self.row(i), column=by, value=self.ids[i])
                    for i, v in enumerate(col) if not v]
        if problems:
            raise InputError(problems)
        for i, v in enumerate(col):
            groups.setdefault(v, []).append(i)
        return groups

    def flagged(self, flag: str) -> npt.NDArray[np.bool_]:
        """Mask of the addresses whose ``flag`` column is true (1/true/yes/y/x, any case)."""
        return np.array([v.casefold() in _TRUE for v in self.column(flag)], dtype=bool)


def _order(frame: AddressFrame, rows: Iterable[int], seed: str, phase: str) -> list[int]:
    """Rows sorted by their public key (then id): a uniformly random order."""
    return sorted(rows, key=lambda i: (invitation_key(seed, phase, frame.ids[i]), frame.ids[i]))


def _check_letters(letters: object, name: str = "letters") -> int:
    if isinstance(letters, bool) or not isinstance(letters, (int, np.integer)) or letters < 0:
        raise InputError.single("bad-letter-count", tr("{name} must be a non-negative integer",
                                                       name=name),
                                value=repr(letters))
    return int(letters)


@attrs.frozen
class SimpleRandom:
    """``letters`` addresses uniformly at random, without replacement."""

    letters: int

    def describe(self) -> str:
        """One line for reports."""
        return f"simple random sample of {self.letters} addresses"


@attrs.frozen
class Stratified:
    """Letters apportioned to the strata of a column, then a simple random sample in each.

    Parameters
    ----------
    letters : int
        Total number of letters.
    by : str
        Frame column defining the strata (for example ``"district"``).
    population : mapping of str to number, optional
        Population (or share) per stratum; letters are apportioned in proportion to it.
        Default: the number of addresses per stratum.
    method : str
        Apportionment method id (default ``"largest-remainder"``).
    """

    letters: int
    by: str = "district"
    population: Mapping[str, Any] | None = None
    method: str = "largest-remainder"

    def describe(self) -> str:
        """One line for reports."""
        base = "population" if self.population is not None else "address counts"
        return (f"{self.letters} letters stratified by {self.by}, apportioned to {base} "
                f"({self.method})")


@attrs.frozen
class Oversample:
    """A uniform sample plus extra letters to flagged (for example low-response) addresses.

    Parameters
    ----------
    letters : int
        Total number of letters.
    flag : str
        Frame column marking the oversampled addresses (1/true/yes/y/x).
    share : float
        Share of the letters sent in the second, flagged-only phase (default 0.2); the number is
        ``round(share * letters)``.
    """

    letters: int
    flag: str = "low_response"
    share: float = 0.2

    def describe(self) -> str:
        """One line for reports."""
        return (f"{self.letters} letters: {self.letters - self.extra} uniform plus {self.extra} "
                f"to addresses flagged {self.flag!r}")

    @property
    def extra(self) -> int:
        """Letters of the flagged-only phase."""
        return round(self.share * self.letters)


Design = SimpleRandom | Stratified | Oversample | Clustered


@attrs.frozen(eq=False)
class Invitations:
    """The outcome of :func:`invite`: who gets a letter and with which probability.

    Attributes
    ----------
    design : str
        Description of the design.
    seed : str
        The normalised seed.
    invited : tuple of str
        Invited address ids (stratum by stratum, each in key order).
    reserves : tuple of str
        Reserve addresses in the order they would be used.
    letters_by_stratum : dict of str to int
        Letters per stratum (one stratum ``"all"`` for unstratified designs).
    frame_ids : tuple of str
        The frame's ids, aligned with the probability arrays.
    inclusion : ndarray
        Exact probability that each address is invited in the main wave.
    inclusion_with_reserves : ndarray
        Exact probability of being invited in the main wave or as a reserve.
    joint : JointInclusion or None
        Joint inclusion probabilities of the main wave (``None`` for :class:`Oversample`).
    clusters : ClusterSample or None
        Stage A of a :class:`Clustered` design (the drawn clusters, exact probabilities).
    """

    design: str
    seed: str
    invited: tuple[str, ...]
    reserves: tuple[str, ...]
    letters_by_stratum: dict[str, int]
    frame_ids: tuple[str, ...]
    inclusion: FloatArray
    inclusion_with_reserves: FloatArray
    joint: JointInclusion | None = None
    clusters: ClusterSample | None = None

    @property
    def invited_set(self) -> frozenset[str]:
        """The invited ids as a set."""
        return frozenset(self.invited)

    def _position(self, address: str) -> int:
        try:
            return self.frame_ids.index(str(address))
        except ValueError:
            raise InputError.single("unknown-address", "not an address of the frame",
                                    value=str(address)) from None

    def probability(self, address: str, *, reserves: bool = False) -> float:
        """Inclusion probability of one address (with reserves if asked)."""
        arr = self.inclusion_with_reserves if reserves else self.inclusion
        return float(arr[self._position(address)])

    def joint_probability(self, a: str, b: str) -> float:
        """Probability that addresses ``a`` and ``b`` are both invited in the main wave.

        Parameters
        ----------
        a, b : str
            Address ids of the frame (``a == b`` gives the inclusion probability).

        Returns
        -------
        float

        Raises
        ------
        InputError
            ``unknown-address``; ``no-joint-probabilities`` for a design that records none.
        """
        if self.joint is None:
            raise InputError.single("no-joint-probabilities", "this design records no joint "
                                    "inclusion probabilities", value=self.design)
        return self.joint.between(self._position(a), self._position(b))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record of the draw (address ids only; no personal data)."""
        out = {"procedure": INVITE_PROCEDURE, "design": self.design, "seed": self.seed,
               "letters": len(self.invited), "letters_by_stratum": dict(self.letters_by_stratum),
               "invited": list(self.invited), "reserves": list(self.reserves)}
        if self.clusters is not None:
            out["clusters"] = self.clusters.as_dict()
        return out


def _stratum_sizes(design: Stratified, groups: dict[str, list[int]], letters: int,
                   capacity: Mapping[str, int], what: str = "letters") -> dict[str, int]:
    """Apportion ``letters`` to the strata by population; error if a stratum is too small."""
    if design.population is not None:
        weights = {str(k): v for k, v in design.population.items()}
        problems = [Problem("unknown-stratum", tr("population given for {by}={k!r}, which no "
                                                  "address has", by=design.by, k=k),
                            column=design.by, value=k)
                    for k in weights if k not in groups]
        problems += [Problem("missing-population", tr("no population given for {by}={k!r}",
                                                      by=design.by,
                                                      k=k),
                             column=design.by, value=k) for k in groups if k not in weights]
        if problems:
            raise InputError(problems)
        weights = {k: weights[k] for k in groups}
    else:
        weights = {k: len(v) for k, v in groups.items()}
    out = apportion(weights, letters, method=design.method).as_dict()
    too_many = [Problem("stratum-too-small", tr("{out} {what} apportioned to {by}={k!r}, which "
                                                "has only {capacity} addresses left",
                                                out=out[k],
                                                what=what,
                                                by=design.by,
                                                k=k,
                                                capacity=capacity[k]),
                        column=design.by, value=k) for k in groups if out[k] > capacity[k]]
    if too_many:
        raise InputError(too_many)
    return out


def _oversample_flagged_probability(N: int, F: int, n1: int, n2: int) -> float:
    """Exact inclusion probability of a flagged address under :class:`Oversample`."""
    from scipy import stats  # loaded on first use: stage 1 stays light

    if F == 0:
        return 0.0
    p1 = n1 / N
    x = np.arange(0, min(n1, F - 1) + 1)
    pmf = stats.hypergeom.pmf(x, N - 1, F - 1, n1)
    second = float(np.sum(pmf * np.minimum(1.0, n2 / (F - x))))
    return p1 + (1.0 - p1) * second


def invite(frame: AddressFrame, design: Design, seed: str, *, reserves: int = 0) -> Invitations:
    """Draw the invited addresses (procedure ``civicsortition-invite/1``).

    Parameters
    ----------
    frame : AddressFrame
    design : SimpleRandom, Stratified, Oversample or Clustered
    seed : str
        Public seed text (normalised as for the panel draw).
    reserves : int
        Reserve letters, apportioned like the main letters (stratified designs), split
        equally over the chosen clusters (clustered designs: a multiple of the number of
        clusters) or drawn uniformly from the not-invited addresses.

    Returns
    -------
    Invitations

    Raises
    ------
    InputError
        ``bad-letter-count``, ``too-many-letters``, ``stratum-too-small``,
        ``flagged-too-small``, unknown columns or strata; for :class:`Clustered` also
        ``bad-cluster-count``, ``bad-per-cluster``, ``too-many-clusters``,
        ``bad-cluster-size``, ``missing-size``, ``unknown-cluster``, ``bad-reserve-count``
        and ``cluster-too-small``.

    Examples
    --------
    >>> frame = AddressFrame([f"A{i}" for i in range(10)])
    >>> inv = invite(frame, SimpleRandom(4), "demo seed")
    >>> len(inv.invited), inv.probability("A0")
    (4, 0.4)
    """
    s = normalise_seed(seed)
    if isinstance(design, Clustered):
        return _invite_clustered(frame, design, s, _check_letters(reserves, "reserves"))
    letters = _check_letters(design.letters)
    n_reserve = _check_letters(reserves, "reserves")
    N = frame.n
    if letters + n_reserve > N:
        raise InputError.single("too-many-letters", tr("{letters} letters and {n_reserve} "
                                                       "reserves requested from a frame of {n} "
                                                       "addresses",
                                                       letters=letters,
                                                       n_reserve=n_reserve,
                                                       n=N), value=str(letters))
    pi = np.zeros(N)
    pi_r = np.zeros(N)
    invited: list[int] = []
    reserve_rows: list[int] = []
    by_stratum: dict[str, int] = {}
    joint: JointInclusion | None = None
    if isinstance(design, Stratified):
        groups = frame.strata(design.by)
        sizes = _stratum_sizes(design, groups, letters, {k: len(v) for k, v in groups.items()})
        spare = {k: len(v) - sizes[k] for k, v in groups.items()}
        extra = _stratum_sizes(design, groups, n_reserve, spare, "reserves")
        for key, rows in groups.items():
            order = _order(frame, rows, s, f"stratum:{key}")
            n_h, r_h, N_h = sizes[key], extra[key], len(rows)
            invited += order[:n_h]
            reserve_rows += order[n_h:n_h + r_h]
            by_stratum[key] = n_h
            pi[rows] = n_h / N_h
            pi_r[rows] = (n_h + r_h) / N_h
        joint = _stratified_joint(groups, sizes, pi)
    else:
        if isinstance(design, Oversample):
            flagged = frame.flagged(design.flag)
            F = int(flagged.sum())
            n2 = design.extra
            n1 = letters - n2
            if not 0.0 <= design.share <= 1.0:
                raise InputError.single("bad-share", "share must be between 0 and 1",
                                        value=repr(design.share))
            if letters > F:
                raise InputError.single(
                    "flagged-too-small", tr("{f} flagged addresses cannot guarantee {n2} extra "
                                            "letters after {n1} uniform ones (need at least "
                                            "{letters} flagged)",
                                            f=F, n2=n2,
                                            n1=n1,
                                            letters=letters),
                    column=design.flag, value=str(F))
            first = _order(frame, range(N), s, "uniform")[:n1]
            chosen = set(first)
            second = [i for i in _order(frame, np.flatnonzero(flagged).tolist(), s, "flagged")
                      if i not in chosen][:n2]
            invited = first + second
            pi[:] = n1 / N
            pi[flagged] = _oversample_flagged_probability(N, F, n1, n2)
            by_stratum = {"uniform": n1, "flagged": n2}
        else:
            invited = _order(frame, range(N), s, "uniform")[:letters]
            pi[:] = letters / N
            by_stratum = {"all": letters}
            joint = _stratified_joint({"all": list(range(N))}, by_stratum, pi)
        reserve_rows = []
        if n_reserve:
            taken = set(invited)
            reserve_rows = [i for i in _order(frame, range(N), s, "reserve")
                            if i not in taken][:n_reserve]
        rest = N - letters
        pi_r = pi + (1 - pi) * (n_reserve / rest if rest else 0.0)
    return Invitations(design.describe(), s, tuple(frame.ids[i] for i in invited),
                       tuple(frame.ids[i] for i in reserve_rows), by_stratum, frame.ids,
                       _readonly(pi), _readonly(pi_r), joint)


def _stratified_joint(groups: Mapping[str, list[int]], sizes: Mapping[str, int],
                      pi: FloatArray) -> JointInclusion:
    """Pairs: independent strata (``pi_h pi_k``), ``n(n-1)/(N(N-1))`` within one."""
    keys = list(groups)
    share = np.array([sizes[k] / len(groups[k]) if groups[k] else 0.0 for k in keys])
    pair = np.outer(share, share)
    np.fill_diagonal(pair, [sizes[k] * (sizes[k] - 1) / (len(groups[k]) * (len(groups[k]) - 1))
                            if len(groups[k]) > 1 else 0.0 for k in keys])
    group_of = np.zeros(len(pi), dtype=np.int64)
    for g, k in enumerate(keys):
        group_of[groups[k]] = g
    return JointInclusion(keys, group_of, pair, pi)


def _invite_clustered(frame: AddressFrame, design: Clustered, s: str,
                      n_reserve: int) -> Invitations:
    """Stage A by systematic PPS, stage B a key-order sample of each chosen cluster."""
    sample, groups, extra = cluster_plan(frame, design, s, n_reserve)
    n = design.per_cluster
    invited: list[int] = []
    reserve_rows: list[int] = []
    for c in sample.chosen:
        order = _order(frame, groups[c], s, f"cluster:{c}")
        invited += order[:n]
        reserve_rows += order[n:n + extra]
    pi, pi_r, pair, group_of = address_probabilities(sample, groups, n, extra, frame.n)
    return Invitations(design.describe(), s, tuple(frame.ids[i] for i in invited),
                       tuple(frame.ids[i] for i in reserve_rows),
                       dict.fromkeys(sample.chosen, n), frame.ids, _readonly(pi),
                       _readonly(pi_r), JointInclusion(sample.names, group_of, pair, pi), sample)


def _readonly(a: FloatArray) -> FloatArray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


# ------------------------------------------------------------------------------ planning
def _rate_range(response_rate: float | Sequence[float]) -> tuple[float, float]:
    if isinstance(response_rate, (int, float)):
        lo = hi = float(response_rate)
    else:
        vals = [float(x) for x in response_rate]
        if len(vals) != 2:
            raise InputError.single("bad-response-rate", "give a rate or a (low, high) range",
                                    value=repr(response_rate))
        lo, hi = vals
    if not (0.0 < lo <= hi <= 1.0):
        raise InputError.single("bad-response-rate", "rates must satisfy 0 < low <= high <= 1",
                                value=repr(response_rate))
    return lo, hi


def _letters_for(target: int, rate: float, confidence: float) -> int:
    """Smallest L with P(Binomial(L, rate) >= target) >= confidence."""
    from scipy import stats  # loaded on first use: stage 1 stays light

    lo, hi = target, max(target, math.ceil(target / rate) + 1)
    while stats.binom.sf(target - 1, hi, rate) < confidence:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if stats.binom.sf(target - 1, mid, rate) >= confidence:
            hi = mid
        else:
            lo = mid + 1
    return lo


@attrs.frozen
class LetterPlan:
    """How many letters to send for a target pool size.

    Attributes
    ----------
    target : int
        Registrations wanted.
    rate_low, rate_high : float
        The assumed range of the response rate (registrations per letter).
    confidence : float
        Probability of reaching the target that each figure guarantees at its rate.
    letters_optimistic : int
        Letters needed if the rate is ``rate_high``.
    letters : int
        Letters needed if the rate is ``rate_low`` (the recommendation: enough under the
        pessimistic rate).
    """

    target: int
    rate_low: float
    rate_high: float
    confidence: float
    letters_optimistic: int
    letters: int

    def __str__(self) -> str:
        return (f"send {self.letters} letters (between {self.letters_optimistic} and "
                f"{self.letters} for response rates {self.rate_high:.1%} to {self.rate_low:.1%}"
                f"; each reaches {self.target} registrations with probability >= "
                f"{self.confidence:.0%})")


def plan_letters(target: int, response_rate: float | Sequence[float], *,
                 confidence: float = 0.9) -> LetterPlan:
    r"""Letters needed so that the pool reaches ``target`` registrations.

    Each letter is assumed to yield a registration independently with probability ``r``;
    the pool size is then :math:`\mathrm{Binomial}(L, r)`. For each end of the rate range the
    plan gives the smallest ``L`` with :math:`P(\mathrm{Bin}(L, r) \ge \text{target}) \ge`
    ``confidence``, so the answer is an interval; send the upper end.

    Parameters
    ----------
    target : int
        Registrations wanted (at least 1).
    response_rate : float or (float, float)
        Expected registrations per letter, or a (low, high) range (typical assemblies see
        2-10%).
    confidence : float
        In (0, 1).

    Returns
    -------
    LetterPlan

    Examples
    --------
    >>> plan = plan_letters(300, (0.04, 0.08))
    >>> plan.letters_optimistic < plan.letters
    True
    """
    if isinstance(target, bool) or not isinstance(target, int) or target < 1:
        raise InputError.single("bad-target", "target must be a positive integer",
                                value=repr(target))
    if not 0.0 < confidence < 1.0:
        raise InputError.single("bad-confidence", "confidence must be in (0, 1)",
                                value=repr(confidence))
    lo, hi = _rate_range(response_rate)
    return LetterPlan(target, lo, hi, confidence, _letters_for(target, hi, confidence),
                      _letters_for(target, lo, confidence))


def expected_registrations(letters: int, response_rate: float | Sequence[float], *,
                           level: float = 0.9) -> tuple[int, int]:
    """Central ``level`` interval of the pool size ``letters`` produce over the rate range.

    The lower end is the ``(1-level)/2`` binomial quantile at the low rate, the upper end the
    ``(1+level)/2`` quantile at the high rate.

    Examples
    --------
    >>> lo, hi = expected_registrations(5000, (0.04, 0.08))
    >>> lo < 5000 * 0.04 < 5000 * 0.08 < hi
    True
    """
    from scipy import stats  # loaded on first use: stage 1 stays light

    n = _check_letters(letters)
    if not 0.0 < level < 1.0:
        raise InputError.single("bad-level", "level must be in (0, 1)", value=repr(level))
    lo, hi = _rate_range(response_rate)
    tail = (1.0 - level) / 2
    return (int(stats.binom.ppf(tail, n, lo)), int(stats.binom.ppf(1.0 - tail, n, hi)))

