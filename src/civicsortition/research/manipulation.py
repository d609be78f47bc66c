r"""Manipulation audit: how much a volunteer gains by misreporting their values.

The experiment of Flanigan, Liang, Procaccia and Wang ("Manipulation-robust selection of
citizens' assemblies", AAAI 2024), for any registered algorithm: a volunteer :math:`i` who
reports values :math:`v'` instead of their own :math:`v_i` changes the pool, hence the lottery
and everyone's probabilities. For each audited volunteer and each misreport (every other
combination of values, or a seeded sample of them) the algorithm is run again on the changed
pool, and

* the **gain** of :math:`i` is :math:`\max_{v'} \pi_i(v') - \pi_i(v_i)` (0 if no misreport
  helps; a misreport that makes the quotas impossible is skipped);
* the **harm** of that best misreport is the largest fall of another volunteer's probability.

Exact -- every volunteer, every misreport -- when the pool is small (``people=None`` and
``misreports=None``); by sampling otherwise (``people`` volunteers and ``misreports`` reports
each, chosen by a seeded generator).

**Coalitions** (``coalition=c > 1``): a group :math:`C` of :math:`c` volunteers misreports
together, each member choosing a report, :math:`v'_C = (v'_j)_{j \in C}`. The coalition's
gain is the rise of its expected number of seats,

.. math::

    \max_{v'_C} \sum_{j \in C} \big(\pi_j(v'_C) - \pi_j(v_C)\big),

(the third incentive of Flanigan et al.: a group misappropriating seats), and the table also
gives the largest rise of one member's probability under that best joint report; the harm is
the largest fall of a volunteer outside the coalition. Exact: every coalition of ``c`` and
every joint report (``(V^c - 1)`` per coalition for ``V`` value combinations); sampled:
``people`` coalitions drawn by the seed, each trying ``misreports`` random joint reports plus
the ``V`` coordinated ones (every member reporting the same combination -- the strategy that
moves a whole group into an under-filled quota cell).

A person's probability is well defined only for algorithms whose optimal probabilities are
unique (LEXIMIN, NASH, ℓp, MAXENTROPY): for MAXIMIN, MINIMAX or GOLDILOCKS the solver chooses
among many optimal lotteries, and a "gain" may be that choice. The table says which
(``unique``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np

from .._i18n import tr
from ..errors import CivicSortitionError, InputError
from ..pool import Pool
from ..quotas import Quotas

__all__ = ["UNIQUE_MARGINALS", "ManipulationAudit", "manipulation_audit"]

#: Algorithms whose optimal selection probabilities are unique (a gain is then the rule's, not
#: the solver's choice among equal optima).
UNIQUE_MARGINALS = frozenset({"leximin", "nash", "lp", "maxentropy"})


@attrs.frozen(eq=False)
class ManipulationAudit:
    """The outcome of :func:`manipulation_audit`.

    Attributes
    ----------
    rows : list of dict
        One per algorithm: ``algorithm``, ``unique`` (probabilities unique at the optimum),
        ``coalition`` (its size), ``audited`` (volunteers or coalitions), ``misreports``
        (runs), ``max_gain``, ``mean_gain``, ``share_gaining`` (those with a gain above
        ``1e-6``), ``max_member_gain`` (the largest rise of one member's probability under
        their coalition's best report; the gain itself for single volunteers), ``max_harm``,
        ``exact``.
    gains : dict of str to ndarray
        Per algorithm, the gain of every audited coalition (aligned with ``coalitions``; for
        single volunteers also with ``audited``).
    audited : tuple of int
        The volunteers audited (indices into the pool; the union of the coalitions).
    coalitions : tuple of tuple of int
        The coalitions audited (one-element tuples for single volunteers).
    """

    rows: list[dict[str, Any]]
    gains: dict[str, np.ndarray]
    audited: tuple[int, ...]
    coalitions: tuple[tuple[int, ...], ...] = ()

    #: The columns of the Markdown table, in order.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "algorithm", "unique", "coalition", "audited", "misreports", "max_gain", "mean_gain",
        "share_gaining", "max_member_gain", "max_harm", "exact")

    def to_markdown(self) -> str:
        """The table in Markdown."""
        cols = self.COLUMNS
        out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in self.rows:
            out.append("| " + " | ".join(f"{r[c]:.4g}" if isinstance(r[c], float)
                                         else str(r[c]) for c in cols) + " |")
        return "\n".join(out) + "\n"

    def to_frame(self, *, like: Any = "pandas") -> Any:
        """The rows as a DataFrame of the library ``like`` names (needs narwhals)."""
        from .._frames import to_frame

        return to_frame(self.rows, like=like)


def _joint_reports(pool: Pool, members: tuple[int, ...], limit: int | None,
                   rng: np.random.Generator) -> list[tuple[tuple[int, ...], ...]]:
    """The joint misreports tried for ``members``: all, or ``limit`` drawn plus coordinated.

    A joint report gives every member a combination of values; the honest one is excluded.
    With a ``limit``, the coordinated reports (every member reporting the same combination)
    are always tried for coalitions, besides ``limit`` drawn at random among the others.
    """
    combos = list(itertools.product(*(range(len(cat)) for cat in pool.strata)))
    own = tuple(tuple(int(v) for v in pool.codes[i]) for i in members)
    c = len(members)
    total = len(combos) ** c
    coordinated = [] if c == 1 else [tuple([v] * c) for v in combos]
    coordinated = [r for r in coordinated if r != own]
    if limit is None or limit + len(coordinated) >= total - 1:
        return [r for r in itertools.product(combos, repeat=c) if r != own]

    def joint(index: int) -> tuple[tuple[int, ...], ...]:  # the index-th joint report
        out = []
        for _ in range(c):
            index, digit = divmod(index, len(combos))
            out.append(combos[digit])
        return tuple(reversed(out))

    taken = set(coordinated) | {own}
    drawn: list[tuple[tuple[int, ...], ...]] = []
    # Rejection sampling over the V^c joint reports (never materialised): at most half of
    # them are excluded here, since limit + coordinated < total - 1.
    while len(drawn) < limit:
        r = joint(int(rng.integers(total)))
        if r not in taken:
            taken.add(r)
            drawn.append(r)
    return coordinated + sorted(drawn)


def _with_reports(pool: Pool, members: tuple[int, ...],
                  reports: tuple[tuple[int, ...], ...]) -> Pool:
    codes = np.array(pool.codes)
    for i, report in zip(members, reports, strict=True):
        codes[i] = report
    return Pool(pool.strata, pool.ids, codes, pool.households)


def _coalitions(n: int, size: int, limit: int | None, rng: np.random.Generator
                ) -> tuple[tuple[int, ...], ...]:
    """Every coalition of ``size`` (``limit=None``) or ``limit`` distinct ones drawn."""
    if limit is None or limit >= math.comb(n, size):
        return tuple(itertools.combinations(range(n), size))
    if size == 1:
        return tuple((int(i),) for i in sorted(rng.choice(n, size=limit, replace=False)))
    seen: set[tuple[int, ...]] = set()
    while len(seen) < limit:
        seen.add(tuple(sorted(int(i) for i in rng.choice(n, size=size, replace=False))))
    return tuple(sorted(seen))


def manipulation_audit(pool: Pool, quotas: Quotas, algorithms: Sequence[str] | None = None,
                       *, people: int | None = None, misreports: int | None = None,
                       seed: int = 0, households: bool = True,
                       options: Mapping[str, Mapping[str, Any]] | None = None,
                       coalition: int = 1) -> ManipulationAudit:
    """How much volunteers, alone or in coalitions, can gain by misreporting.

    Parameters
    ----------
    pool, quotas : Pool, Quotas
    algorithms : sequence of str, optional
        Registered ids (default: those with unique probabilities, :data:`UNIQUE_MARGINALS`,
        that are registered).
    people : int, optional
        Audit this many volunteers (or coalitions, with ``coalition > 1``), drawn by ``seed``
        (default: all of them).
    misreports : int, optional
        Try this many misreports per volunteer or coalition, drawn by ``seed`` (default: every
        other combination of values; for coalitions, every other joint report). Coalitions
        also try every coordinated report (all members reporting the same values).
    seed : int
        Seed of the samples (the audit is reproducible).
    households : bool
        The household rule, as for the algorithms.
    options : mapping, optional
        Per algorithm id, keyword options passed to it.
    coalition : int
        Volunteers misreporting together (default 1: one volunteer alone). For ``c > 1`` the
        gain is the coalition's rise in expected seats (see the module documentation).

    Returns
    -------
    ManipulationAudit

    Raises
    ------
    InputError
        ``unknown-algorithm`` or ``bad-parameter``.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> audit = manipulation_audit(pool, quotas, ["leximin"])
    >>> round(audit.rows[0]["max_gain"], 4)  # a woman reporting "m": 1/4 -> 1/2
    0.25
    >>> pair = manipulation_audit(pool, quotas, ["leximin"], coalition=2)
    >>> round(pair.rows[0]["max_gain"], 4)  # two women, one reports "m": 1/4 + 1/4 -> 1/3 + 1/2
    0.3333
    """
    from ..algorithms import ALGORITHMS, find_distribution

    names = ([a for a in ALGORITHMS if a in UNIQUE_MARGINALS] if algorithms is None
             else list(algorithms))
    unknown = [a for a in names if a not in ALGORITHMS]
    if unknown:
        raise InputError.single("unknown-algorithm", "not a registered algorithm",
                                value=unknown[0])
    for name, value in (("people", people), ("misreports", misreports)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise InputError.single("bad-parameter", "people and misreports must be None or "
                                    "positive integers", column=name, value=repr(value))
    if (isinstance(coalition, bool) or not isinstance(coalition, int) or coalition < 1
            or coalition > pool.n):
        raise InputError.single("bad-parameter", tr("coalition must be an integer from 1 to "
                                                    "the pool size {n}", n=pool.n),
                                column="coalition", value=repr(coalition))
    rng = np.random.default_rng(seed)
    groups = _coalitions(pool.n, coalition, people, rng)
    reports = {g: _joint_reports(pool, g, misreports, rng) for g in groups}
    exact = people is None and misreports is None
    rows, gains = [], {}
    for name in names:
        opts = dict((options or {}).get(name, {}))

        def run(p: Pool, name: str = name, opts: dict[str, Any] = opts) -> np.ndarray | None:
            try:
                return np.asarray(find_distribution(p, quotas, algorithm=name,
                                                    households=households, **opts).marginals)
            except CivicSortitionError:  # the misreport makes the quotas impossible
                return None

        honest = run(pool)
        if honest is None:
            raise InputError.single("bad-parameter", "the honest pool has no feasible panel",
                                    value=name)
        gain = np.zeros(len(groups))
        member_gain = 0.0
        harm = 0.0
        runs = 0
        for j, group in enumerate(groups):
            members = list(group)
            best, best_member, best_harm = 0.0, 0.0, 0.0
            for report in reports[group]:
                pi = run(_with_reports(pool, group, report))
                runs += 1
                if pi is None:
                    continue
                rise = pi[members] - honest[members]
                g = float(rise.sum())
                if g > best:
                    others = np.delete(honest - pi, members)
                    best, best_member = g, float(rise.max())
                    best_harm = float(others.max(initial=0.0))
            gain[j] = best
            member_gain = max(member_gain, best_member)
            harm = max(harm, best_harm)
        gains[name] = gain
        rows.append({"algorithm": name, "unique": name in UNIQUE_MARGINALS,
                     "coalition": coalition, "audited": len(groups), "misreports": runs,
                     "max_gain": float(gain.max(initial=0.0)),
                     "mean_gain": float(gain.mean()) if len(gain) else 0.0,
                     "share_gaining": float((gain > 1e-6).mean()) if len(gain) else 0.0,
                     "max_member_gain": member_gain, "max_harm": harm, "exact": exact})
    audited = tuple(sorted({i for g in groups for i in g}))
    return ManipulationAudit(rows, gains, audited, groups)
