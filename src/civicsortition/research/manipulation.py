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
each, chosen by a seeded generator). Coalitions (several volunteers misreporting together)
are not covered yet.

A person's probability is well defined only for algorithms whose optimal probabilities are
unique (LEXIMIN, NASH, ℓp, MAXENTROPY): for MAXIMIN, MINIMAX or GOLDILOCKS the solver chooses
among many optimal lotteries, and a "gain" may be that choice. The table says which
(``unique``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np

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
        ``audited`` (volunteers), ``misreports`` (runs), ``max_gain``, ``mean_gain``,
        ``share_gaining`` (volunteers with a gain above ``1e-6``), ``max_harm``, ``exact``.
    gains : dict of str to ndarray
        Per algorithm, the gain of every audited volunteer (aligned with ``audited``).
    audited : tuple of int
        The volunteers audited (indices into the pool).
    """

    rows: list[dict[str, Any]]
    gains: dict[str, np.ndarray]
    audited: tuple[int, ...]

    #: The columns of the Markdown table, in order.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "algorithm", "unique", "audited", "misreports", "max_gain", "mean_gain",
        "share_gaining", "max_harm", "exact")

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


def _misreports(pool: Pool, i: int, limit: int | None, rng: np.random.Generator
                ) -> list[tuple[int, ...]]:
    own = tuple(int(v) for v in pool.codes[i])
    every = [c for c in itertools.product(*(range(len(cat)) for cat in pool.strata))
             if c != own]
    if limit is None or limit >= len(every):
        return every
    picked = rng.choice(len(every), size=limit, replace=False)
    return [every[j] for j in sorted(picked)]


def _with_report(pool: Pool, i: int, report: tuple[int, ...]) -> Pool:
    codes = np.array(pool.codes)
    codes[i] = report
    return Pool(pool.strata, pool.ids, codes, pool.households)


def manipulation_audit(pool: Pool, quotas: Quotas, algorithms: Sequence[str] | None = None,
                       *, people: int | None = None, misreports: int | None = None,
                       seed: int = 0, households: bool = True,
                       options: Mapping[str, Mapping[str, Any]] | None = None
                       ) -> ManipulationAudit:
    """How much volunteers can raise their selection probability by misreporting.

    Parameters
    ----------
    pool, quotas : Pool, Quotas
    algorithms : sequence of str, optional
        Registered ids (default: those with unique probabilities, :data:`UNIQUE_MARGINALS`,
        that are registered).
    people : int, optional
        Audit this many volunteers, drawn by ``seed`` (default: all of them).
    misreports : int, optional
        Try this many misreports per volunteer, drawn by ``seed`` (default: every other
        combination of values).
    seed : int
        Seed of the samples (the audit is reproducible).
    households : bool
        The household rule, as for the algorithms.
    options : mapping, optional
        Per algorithm id, keyword options passed to it.

    Returns
    -------
    ManipulationAudit

    Raises
    ------
    InputError
        ``unknown-algorithm`` or ``bad-parameter``.
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
    rng = np.random.default_rng(seed)
    audited = (tuple(range(pool.n)) if people is None or people >= pool.n else
               tuple(int(i) for i in sorted(rng.choice(pool.n, size=people, replace=False))))
    reports = {i: _misreports(pool, i, misreports, rng) for i in audited}
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
        gain = np.zeros(len(audited))
        harm = 0.0
        runs = 0
        for j, i in enumerate(audited):
            best, best_harm = 0.0, 0.0
            for report in reports[i]:
                pi = run(_with_report(pool, i, report))
                runs += 1
                if pi is None:
                    continue
                g = float(pi[i] - honest[i])
                if g > best:
                    others = np.delete(honest - pi, i)
                    best, best_harm = g, float(others.max(initial=0.0))
            gain[j] = best
            harm = max(harm, best_harm)
        gains[name] = gain
        rows.append({"algorithm": name, "unique": name in UNIQUE_MARGINALS,
                     "audited": len(audited), "misreports": runs,
                     "max_gain": float(gain.max(initial=0.0)),
                     "mean_gain": float(gain.mean()) if len(gain) else 0.0,
                     "share_gaining": float((gain > 1e-6).mean()) if len(gain) else 0.0,
                     "max_harm": harm, "exact": exact})
    return ManipulationAudit(rows, gains, audited)
