r"""Clustered stage 1: clusters by systematic PPS, then addresses within each chosen cluster.

Stage A draws ``m`` clusters (cities, districts, door-knocking locations) with probability
proportional to a size ``S_c`` by *systematic PPS* in a fixed order (the order of the sizes
table, else of first appearance in the frame); stage B invites ``n`` addresses in each chosen
cluster by simple random sampling. See ``docs/pipeline.md`` ("Clustered designs") for the
procedure ``civicsortition-pps/1`` step by step.

Certainty units. With ``m'`` draws left and total size ``T`` of the clusters not yet taken,
every cluster with ``m' S_c \ge T`` is taken with probability 1; this repeats until none is left
(taking them one at a time gives the same set: removing one only lowers the threshold). The
others are drawn systematically and have

.. math:: \pi_c = m' S_c / T < 1 .

Exactness. Sizes are scaled to coprime integers ``s_c``; the systematic step covers the line
``[0, m' T)`` in which cluster ``c`` holds ``[m' C_{c-1}, m' C_c)`` (``C`` the cumulative sums),
and the points are ``v + jT`` for ``j < m'`` with the start ``v`` uniform on the integers
``0 .. T-1``. Exactly ``m' s_c`` starts select ``c``, so :math:`\pi_c` above holds exactly, and
the sample is constant between the breakpoints ``m' C_c mod T``, so the joint probabilities
:math:`\pi_{cd}` are exact sums over at most ``C`` intervals of starts. Two clusters that never
share a sample (for example neighbours whose sizes add up to less than ``T/m'``) have
:math:`\pi_{cd} = 0`, a known property of systematic sampling.

Addresses. With ``N_c`` addresses in cluster ``c``:
:math:`\pi_a = \pi_c n / N_c`; two addresses of one cluster:
:math:`\pi_c\, n(n-1) / (N_c (N_c-1))`; of clusters ``c \ne d``:
:math:`\pi_{cd}\, n^2 / (N_c N_d)`. With the address counts as sizes and no certainty cluster
every address has :math:`\pi_a = m n / N` (self-weighting).
"""

from __future__ import annotations

import bisect
import decimal
import itertools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .._i18n import tr
from .._typing import FloatArray, IntArray
from ..errors import InputError, Problem
from ..seeds import PPS_PROCEDURE, pps_start

if TYPE_CHECKING:
    from . import AddressFrame

__all__ = ["ClusterSample", "Clustered", "cluster_size", "systematic_pps"]


def _positive_int(value: object, code: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError.single(code, tr("{name} must be a positive integer", name=name),
                                column=name, value=repr(value))
    return int(value)


def cluster_size(value: object) -> Fraction | None:
    """A cluster's measure of size as an exact fraction, or ``None`` if it is not a number.

    Integers and fractions are taken as they are, a float by its shortest decimal form
    (``0.1`` is 1/10), text as a decimal or ``p/q``; non-finite values are not numbers.

    Parameters
    ----------
    value : int, float, Fraction, Decimal or str

    Returns
    -------
    Fraction or None
        The size (possibly zero or negative: :func:`systematic_pps` rejects those).

    Examples
    --------
    >>> cluster_size("2.5"), cluster_size(0.1), cluster_size("many")
    (Fraction(5, 2), Fraction(1, 10), None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    if isinstance(value, float | np.floating):
        return Fraction(repr(float(value))) if math.isfinite(value) else None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, decimal.Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            return None
    return None


@attrs.frozen
class Clustered:
    """Clusters drawn by systematic PPS, then ``per_cluster`` addresses in each.

    Parameters
    ----------
    clusters : int
        Number ``m`` of clusters to draw (certainty clusters included).
    per_cluster : int
        Addresses invited in each chosen cluster (simple random sample); the design sends
        ``clusters * per_cluster`` letters.
    by : str
        Frame column naming each address's cluster.
    sizes : mapping of str to number, optional
        Measure of size per cluster (population, households); its order is the systematic
        order. Default: the number of addresses of each cluster, in order of first appearance
        in the frame (then the design is self-weighting unless a cluster is a certainty unit).
    """

    clusters: int
    per_cluster: int
    by: str = "district"
    sizes: Mapping[str, Any] | None = None

    @property
    def letters(self) -> int:
        """Letters of the main wave: ``clusters * per_cluster``."""
        return self.clusters * self.per_cluster

    def describe(self) -> str:
        """One line for reports."""
        base = tr("the sizes given") if self.sizes is not None else tr("address counts")
        return tr("{clusters} clusters by {by} drawn by systematic PPS on {base}, then "
                  "{per_cluster} addresses in each", clusters=self.clusters, by=self.by,
                  base=base, per_cluster=self.per_cluster)


def _interval_samples(scaled: Sequence[int], draws: int) -> list[tuple[int, tuple[int, ...]]]:
    """Every sample of the systematic step with its number of starts (exact enumeration).

    ``scaled`` are the integer sizes of the units drawn systematically, in order, with
    ``draws * s < sum(scaled)`` for each. Returns ``(number of starts, positions chosen)`` for
    each interval between consecutive breakpoints; the numbers add up to ``sum(scaled)``.
    """
    span = sum(scaled)
    upper = list(itertools.accumulate(draws * s for s in scaled))
    points = sorted({0, *((u % span) for u in upper[:-1])})
    out = []
    for k, start in enumerate(points):
        end = points[k + 1] if k + 1 < len(points) else span
        out.append((end - start, _select(upper, span, draws, start)))
    return out


def _select(upper: Sequence[int], span: int, draws: int, start: int) -> tuple[int, ...]:
    """Positions hit by the points ``start + j * span`` (``j < draws``)."""
    return tuple(bisect.bisect_right(upper, start + j * span) for j in range(draws))


@attrs.frozen(eq=False)
class ClusterSample:
    """Stage A of a clustered design: the clusters drawn by systematic PPS, exactly.

    Attributes
    ----------
    names : tuple of str
        Every cluster, in the systematic order.
    sizes : tuple of Fraction
        Their measures of size.
    scaled : tuple of int
        The sizes scaled to coprime integers (``scaled[c] = sizes[c] * scale``).
    scale : Fraction
    clusters : int
        Number ``m`` of clusters drawn.
    certainty : tuple of str
        Clusters taken with probability 1.
    chosen : tuple of str
        Every drawn cluster (certainty ones included), in the systematic order.
    start : int or None
        The public random start ``v`` in ``[0, span)`` (``None`` when every drawn cluster is
        a certainty unit).
    span : int
        Total scaled size ``T`` of the clusters drawn systematically (0 if none).
    inclusion : tuple of Fraction
        Exact probability that each cluster is drawn.
    """

    names: tuple[str, ...]
    sizes: tuple[Fraction, ...]
    scaled: tuple[int, ...]
    scale: Fraction
    clusters: int
    certainty: tuple[str, ...]
    chosen: tuple[str, ...]
    start: int | None
    span: int
    inclusion: tuple[Fraction, ...]

    def probability(self, name: str) -> Fraction:
        """Exact probability that cluster ``name`` is drawn."""
        if name not in self.names:
            raise InputError.single("unknown-cluster", tr("{name!r} is not a cluster of the "
                                                          "sample", name=name), value=name)
        return self.inclusion[self.names.index(name)]

    def _systematic(self) -> tuple[list[int], int]:
        sure = set(self.certainty)
        rest = [i for i, c in enumerate(self.names) if c not in sure]
        return rest, self.clusters - len(sure)

    def samples(self) -> list[tuple[Fraction, tuple[str, ...]]]:
        """Every possible set of drawn clusters with its exact probability.

        Returns
        -------
        list of (Fraction, tuple of str)
            One entry per interval of random starts with the same outcome (adjacent intervals
            may repeat a set); the probabilities add up to 1.
        """
        rest, draws = self._systematic()
        if draws == 0:
            return [(Fraction(1), self.chosen)]
        sure = set(self.certainty)
        out = []
        for count, hit in _interval_samples([self.scaled[i] for i in rest], draws):
            picked = {rest[k] for k in hit}
            out.append((Fraction(count, self.span),
                        tuple(c for i, c in enumerate(self.names) if c in sure or i in picked)))
        return out

    def joint(self) -> tuple[tuple[Fraction, ...], ...]:
        """Exact joint inclusion probabilities ``pi[c][d]`` of the clusters (``pi[c][c] = pi_c``).

        Enumerates the intervals of random starts between breakpoints (at most one per
        cluster), so it is exact for the fixed order; a pair that no start draws together has
        probability 0.
        """
        rest, draws = self._systematic()
        C = len(self.names)
        counts = [[0] * C for _ in range(C)]
        if draws:
            for count, hit in _interval_samples([self.scaled[i] for i in rest], draws):
                chosen = [rest[k] for k in hit]
                for a in chosen:
                    for b in chosen:
                        counts[a][b] += count
        certain = set(self.certainty)
        sure = [i for i, c in enumerate(self.names) if c in certain]
        out = [[Fraction(counts[a][b], self.span) if draws else Fraction(0) for b in range(C)]
               for a in range(C)]
        for a in sure:
            for b in range(C):
                out[a][b] = out[b][a] = self.inclusion[b]
        return tuple(tuple(row) for row in out)

    def joint_matrix(self) -> FloatArray:
        """:meth:`joint` as floats, computed in floating point (fast for many clusters)."""
        rest, draws = self._systematic()
        C = len(self.names)
        out = np.zeros((C, C))
        if draws:
            runs = _interval_samples([self.scaled[i] for i in rest], draws)
            hits = np.zeros((len(runs), len(rest)))
            for r, (_, hit) in enumerate(runs):
                hits[r, list(hit)] = 1.0
            w = np.array([float(Fraction(count, self.span)) for count, _ in runs])
            out[np.ix_(rest, rest)] = hits.T @ (w[:, None] * hits)
        pi = np.array([float(p) for p in self.inclusion])
        for a, c in enumerate(self.names):
            if c in self.certainty:
                out[a, :] = out[:, a] = pi
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record: enough to recompute the draw and every probability."""
        return {"procedure": PPS_PROCEDURE, "order": list(self.names),
                "sizes": [str(s) for s in self.sizes], "scale": str(self.scale),
                "clusters": self.clusters, "certainty": list(self.certainty),
                "span": self.span, "start": self.start, "chosen": list(self.chosen),
                "inclusion": [str(p) for p in self.inclusion]}


def systematic_pps(names: Sequence[str], sizes: Sequence[object], clusters: int,
                   seed: str) -> ClusterSample:
    r"""Draw ``clusters`` of ``names`` by systematic PPS (procedure ``civicsortition-pps/1``).

    With ``m'`` draws left after the certainty units (every cluster with
    :math:`m' S_c \ge T` is taken, repeatedly) and the sizes scaled to coprime integers
    ``s_c`` of total ``T``, the start is ``v = pps_start(seed, T)`` and the cluster holding
    ``[m' C_{c-1}, m' C_c)`` is drawn when a point ``v + jT`` (``j < m'``) falls in it:
    :math:`\pi_c = m' s_c / T` exactly.

    Parameters
    ----------
    names : sequence of str
        The clusters in the systematic order (unique).
    sizes : sequence of number
        Positive measures of size (see :func:`cluster_size`).
    clusters : int
        Number ``m`` of clusters to draw, ``1 <= m <= len(names)``.
    seed : str
        Public seed text.

    Returns
    -------
    ClusterSample

    Raises
    ------
    InputError
        ``bad-cluster-count``, ``too-many-clusters``, ``bad-cluster-size`` (naming each
        cluster whose size is not a positive number), ``duplicate-cluster``, ``bad-seed``.

    Examples
    --------
    >>> s = systematic_pps(["a", "b", "c", "d"], [60, 20, 10, 10], 2, "demo seed")
    >>> s.certainty, [str(p) for p in s.inclusion]
    (('a',), ['1', '1/2', '1/4', '1/4'])
    """
    names = tuple(str(n) for n in names)
    m = _positive_int(clusters, "bad-cluster-count", "clusters")
    problems = []
    exact: list[Fraction] = []
    seen: set[str] = set()
    for name, raw in zip(names, sizes, strict=True):
        size = cluster_size(raw)
        if name in seen:
            problems.append(Problem("duplicate-cluster", "cluster listed twice", column="cluster",
                                    value=name))
        seen.add(name)
        if size is None or size <= 0:
            problems.append(Problem("bad-cluster-size", tr("the size of cluster {name!r} must "
                                                           "be a positive number", name=name),
                                    column="size", value=str(raw)))
        else:
            exact.append(size)
    if problems:
        raise InputError(problems)
    if m > len(names):
        raise InputError.single("too-many-clusters", tr("{m} clusters requested, but there are "
                                                        "only {n}", m=m, n=len(names)),
                                column="clusters", value=str(m))
    common = math.lcm(*(s.denominator for s in exact))
    ints = [int(s * common) for s in exact]
    g = math.gcd(*ints)
    scaled = tuple(s // g for s in ints)
    sure: set[int] = set()
    while len(sure) < m:
        draws = m - len(sure)
        total = sum(s for i, s in enumerate(scaled) if i not in sure)
        new = {i for i, s in enumerate(scaled) if i not in sure and draws * s >= total}
        if not new:
            break
        sure |= new
    rest = [i for i in range(len(names)) if i not in sure]
    draws = m - len(sure)
    span = sum(scaled[i] for i in rest) if draws else 0
    picked: set[int] = set()
    start = None
    if draws:
        start = pps_start(seed, span)
        upper = list(itertools.accumulate(draws * scaled[i] for i in rest))
        picked = {rest[k] for k in _select(upper, span, draws, start)}
    pi = tuple(Fraction(1) if i in sure else Fraction(draws * scaled[i], span)
               for i in range(len(names)))
    return ClusterSample(names, tuple(exact), scaled, Fraction(common, g), m,
                         tuple(names[i] for i in sorted(sure)),
                         tuple(n for i, n in enumerate(names) if i in sure or i in picked),
                         start, span, pi)


def cluster_plan(frame: AddressFrame, design: Clustered, seed: str,
                 reserves: int) -> tuple[ClusterSample, dict[str, list[int]], int]:
    """Check a clustered design against the frame and draw stage A.

    Returns the cluster sample, the frame rows of each cluster and the reserves per cluster.

    Raises
    ------
    InputError
        ``unknown-column``/``missing-value`` (the cluster column), ``bad-per-cluster``,
        ``unknown-cluster``, ``missing-size``, ``bad-cluster-size``, ``too-many-clusters``,
        ``bad-reserve-count``, ``cluster-too-small``.
    """
    groups = frame.strata(design.by)
    n = _positive_int(design.per_cluster, "bad-per-cluster", "per_cluster")
    m = _positive_int(design.clusters, "bad-cluster-count", "clusters")
    if reserves % m:
        raise InputError.single("bad-reserve-count", tr("{reserves} reserves cannot be split "
                                                        "equally over {m} clusters",
                                                        reserves=reserves, m=m),
                                column="reserves", value=str(reserves))
    per_reserve = reserves // m
    if design.sizes is None:
        names: list[str] = list(groups)
        sizes: list[object] = [len(groups[c]) for c in names]
    else:
        given = {str(k).strip(): v for k, v in design.sizes.items()}
        problems = [Problem("unknown-cluster", tr("a size is given for {by}={k!r}, which no "
                                                  "address has", by=design.by, k=k),
                            column=design.by, value=k) for k in given if k not in groups]
        problems += [Problem("missing-size", tr("no size given for {by}={k!r}", by=design.by,
                                                k=k), column=design.by, value=k)
                     for k in groups if k not in given]
        if problems:
            raise InputError(problems)
        names, sizes = list(given), list(given.values())
    small = [Problem("cluster-too-small", tr("{by}={k!r} has {have} addresses, fewer than the "
                                             "{need} to invite in each chosen cluster",
                                             by=design.by, k=k, have=len(groups[k]),
                                             need=n + per_reserve),
                     column=design.by, value=k)
             for k in names if len(groups[k]) < n + per_reserve]
    if small:
        raise InputError(small)
    return systematic_pps(names, sizes, m, seed), groups, per_reserve


def address_probabilities(sample: ClusterSample, groups: Mapping[str, Sequence[int]],
                          n: int, extra: int, N: int) -> tuple[FloatArray, FloatArray, FloatArray,
                                                               IntArray]:
    """First-order probabilities (main wave, with reserves), cluster pair matrix, group index."""
    pi = np.zeros(N)
    pi_r = np.zeros(N)
    group_of = np.zeros(N, dtype=np.int64)
    sizes = np.array([len(groups[c]) for c in sample.names], dtype=float)
    for g, (c, p) in enumerate(zip(sample.names, sample.inclusion, strict=True)):
        rows = groups[c]
        pi[rows] = float(p * Fraction(n, len(rows)))
        pi_r[rows] = float(p * Fraction(n + extra, len(rows)))
        group_of[rows] = g
    pair = sample.joint_matrix() * np.outer(n / sizes, n / sizes)
    within = [float(p * Fraction(n * (n - 1), len(groups[c]) * (len(groups[c]) - 1)))
              if len(groups[c]) > 1 else 0.0 for c, p in zip(sample.names, sample.inclusion,
                                                             strict=True)]
    np.fill_diagonal(pair, within)
    return pi, pi_r, pair, group_of
