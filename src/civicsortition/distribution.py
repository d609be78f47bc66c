"""Lotteries over panels: the result of every selection algorithm, and its invariant checker.

A :class:`Distribution` is held exactly as the algorithms compute it, a lottery over *profiles*
(type counts) with each person's marginal selection probability. :meth:`Distribution.panels`
expands it to a lottery over concrete panels of people with exactly the same marginals:

For a profile ``c`` with probability ``x``, type ``t`` (``n_t`` members in a fixed order,
``c_t`` on the panel) uses period ``L_t = n_t / gcd(n_t, c_t)``; a single uniform number
``u ∈ [0, 1)`` selects, for every type at once, the window of ``c_t`` consecutive members
(cyclically) starting at ``g_t · ⌊u · L_t⌋`` with ``g_t = gcd(n_t, c_t)``. Every member of the type
lies in exactly ``c_t / g_t`` of the ``L_t`` windows, so it is selected with probability
``c_t / n_t``; the panel only changes where ``u`` crosses a multiple of ``1 / L_t``, so the profile
expands into at most ``1 + Σ_t (L_t − 1)`` panels, each feasible because it has profile ``c``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from ._typing import FloatArray, IntArray
from .numerics import CHECK_TOL
from .program import PanelProgram

__all__ = ["Distribution", "Extra", "RunDetails", "check_distribution"]


class Extra(Mapping[str, Any]):
    """Base of the typed, algorithm-specific records in :attr:`RunDetails.extra`.

    A subclass is an ``attrs`` class (e.g. :class:`~civicsortition.algorithms.LeximinExtra`)
    whose fields are typed attributes; the record also reads as a read-only mapping, as the
    plain dict of earlier versions did (``details.extra["method"]``, ``.get(...)``). The
    mapping's keys are the field names, except that a field's ``metadata`` may rename it
    (``{"key": "method"}``), leave it out (``{"key": None}``: attribute only), or leave it out
    while it is None (``{"omit_none": True}``).
    """

    __slots__ = ()

    def _view(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in attrs.fields(cast(Any, type(self))):
            key = field.metadata.get("key", field.name)
            value = getattr(self, field.name)
            if key is None or (value is None and field.metadata.get("omit_none", False)):
                continue
            out[key] = value
        return out

    def person_fields(self) -> dict[str, FloatArray]:
        """Per-person figures the result publishes beside each probability (pool order).

        ``{}`` by default; END-TO-END publishes each person's ``target`` so that anyone can
        re-derive its distance and certificate (:meth:`Distribution.as_dict`).
        """
        return {}

    def __getitem__(self, key: str) -> Any:
        return self._view()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view())

    def __len__(self) -> int:
        return len(self._view())


@attrs.frozen(eq=False)
class RunDetails:
    """How a distribution was computed: enough to reproduce and to judge it.

    Attributes
    ----------
    algorithm, backend, backend_version : str
        Resolved ids (never a silent fallback).
    objective : float
        Achieved value: the minimum selection probability of covered people (maximin, leximin,
        legacy), or the Nash welfare ``Σ log π_i`` (nash).
    bound : float
        Certified upper bound on the optimal value of the first objective (maximin value for
        maximin/leximin, Nash welfare for nash) from LP duality; ``nan`` for legacy.
    gap : float
        ``bound − objective`` (the optimality certificate; ≤ the tolerance when converged).
    converged : bool
        False if a limit stopped the algorithm early (the result is then valid but not proven
        optimal, and ``message`` says why).
    iterations : int
        Pricing (integer program) solves.
    stages : int
        LEXIMIN stages (1 for the other algorithms).
    seconds : float
        Wall time.
    n_types : int
        Number of types the program was solved over.
    options : dict
        The options in force (tolerances, limits, rng seed).
    message : str
        Human-readable summary.
    extra : mapping
        Algorithm-specific records: a typed :class:`Extra` from the library's algorithms (for
        example the LEXIMIN stages or LEGACY's confidence intervals), readable as a mapping;
        any mapping from other sources (an empty dict when read back from a file).
    certificate_prices : ndarray of float, optional
        Non-negative prices per type whose exact pricing solve gives ``bound`` (maximin and
        leximin): ``bound = max_S Σ_t y_t c_{S,t} / n_t / Σ_t y_t`` over every feasible panel
        profile ``c_S``. Published per person (see :meth:`Distribution.as_dict`) so that
        anyone can re-check the bound with one integer program.
    """

    algorithm: str
    backend: str
    backend_version: str
    objective: float
    bound: float
    gap: float
    converged: bool
    iterations: int
    stages: int
    seconds: float
    n_types: int
    options: dict[str, Any] = attrs.field(factory=dict)
    message: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    certificate_prices: FloatArray | None = None


@attrs.frozen(eq=False)
class Distribution:
    """A lottery over panels with per-person selection probabilities.

    Attributes
    ----------
    program : PanelProgram
        The pool, quotas and types it refers to.
    profiles : ndarray of int, shape (m, T)
        The support, as type counts.
    probabilities : ndarray of float, shape (m,)
        Probability of each profile (non-negative, summing to 1).
    details : RunDetails
    uncovered : tuple of int
        Person indices that are on no feasible panel at all (their probability is 0 whatever
        the algorithm).
    """

    program: PanelProgram
    profiles: IntArray
    probabilities: FloatArray
    details: RunDetails
    uncovered: tuple[int, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """Person ids, aligned with :attr:`marginals`."""
        return self.program.pool.ids

    @property
    def type_marginals(self) -> FloatArray:
        """Selection probability of a member of each type: ``Σ_S x_S c_{S,t} / n_t``."""
        out: FloatArray = (self.probabilities @ self.profiles) / self.program.sizes
        return out

    @property
    def marginals(self) -> FloatArray:
        """Selection probability of each person (aligned with :attr:`ids`)."""
        out: FloatArray = self.type_marginals[self.program.type_of]
        return out

    @property
    def covered(self) -> npt.NDArray[np.bool_]:
        """Mask of the people on at least one feasible panel (aligned with :attr:`ids`)."""
        mask = np.ones(self.program.pool.n, dtype=bool)
        mask[list(self.uncovered)] = False
        return mask

    @property
    def minimum(self) -> float:
        """Smallest selection probability among people on at least one feasible panel."""
        covered = self.covered
        return float(self.marginals[covered].min()) if covered.any() else 0.0

    def to_frame(self, *, like: Any = "pandas") -> Any:
        """Each person's selection probability as a DataFrame (needs narwhals).

        Parameters
        ----------
        like : str or DataFrame
            The library (``"pandas"``, ``"polars"``, ...) or a frame of it.

        Returns
        -------
        DataFrame
            Columns ``id``, ``probability``, ``covered`` (on some feasible panel) and one
            column per category with the person's value, in pool order. It holds the pool's
            ids: publish the audit report, not this frame.
        """
        from ._frames import to_frame

        pool = self.program.pool
        columns: dict[str, list[Any]] = {"id": list(pool.ids),
                                         "probability": [min(1.0, max(0.0, float(x)))
                                                         for x in self.marginals],
                                         "covered": [bool(c) for c in self.covered]}
        for j, cat in enumerate(pool.strata):
            columns[cat.name] = [cat.values[int(c)] for c in pool.codes[:, j]]
        return to_frame(columns, like=like)

    def _repr_html_(self) -> str:
        from ._html import card, table

        d = self.details
        pool, k = self.program.pool, self.program.panel_size
        pi = self.marginals
        facts: list[tuple[str, object]] = [
            ("algorithm", d.algorithm), ("backend", d.backend), ("people", pool.n),
            ("seats", k), ("types", self.program.n_types),
            ("panels in the lottery", int((self.probabilities > 0).sum())),
            ("minimum probability", self.minimum), ("maximum probability", float(pi.max())),
            ("uniform k/n", k / pool.n), ("on no feasible panel", len(self.uncovered)),
            ("certified bound", d.bound), ("gap", d.gap), ("proven optimal", d.converged),
            ("seconds", d.seconds)]
        rows = []
        for j, cat in enumerate(pool.strata):
            for code, value in enumerate(cat.values):
                mask = pool.codes[:, j] == code
                rows.append((cat.name, value, int(mask.sum()), k * float(mask.mean()),
                             float(pi[mask].sum())))
        groups = table(["category", "value", "in pool", "pool seats", "expected seats"], rows)
        return card(f"{d.algorithm.upper()} lottery", facts, [("by value", groups)])

    def panels(self) -> list[tuple[IntArray, float]]:
        """Expand to concrete panels: ``[(sorted person indices, probability), ...]``.

        The expansion is exact (see the module docstring) and deterministic. The cut points
        ``j / L_t`` are kept as reduced integer pairs (distinct ones differ by at least
        ``1 / n²``, so their float order is exact), the interval lengths are computed as
        exact fractions, and each type's windows are computed for all intervals at once.
        """
        out: list[tuple[IntArray, float]] = []
        members = self.program.members
        for profile, x in zip(self.profiles, self.probabilities, strict=True):
            if x <= 0:
                continue
            types = [int(t) for t in np.flatnonzero(profile)]
            periods = {t: (len(members[t]) // math.gcd(len(members[t]), int(profile[t])),
                           math.gcd(len(members[t]), int(profile[t]))) for t in types}
            pairs = sorted({(j // math.gcd(j, L), L // math.gcd(j, L)) for L, _ in
                            periods.values() for j in range(L)} | {(1, 1)},
                           key=lambda pq: pq[0] / pq[1])
            cuts = np.array([p / q for p, q in pairs])
            mids = (cuts[:-1] + cuts[1:]) / 2
            blocks = []
            for t in types:
                L, g = periods[t]
                size, count = len(members[t]), int(profile[t])
                start = g * np.floor(mids * L).astype(np.int64)
                pos = (start[:, None] + np.arange(count)) % size
                blocks.append(np.asarray(members[t])[pos])
            chosen = np.sort(np.hstack(blocks), axis=1).astype(np.int64)
            for j, (a, b) in enumerate(itertools.pairwise(pairs)):
                out.append((chosen[j], float(x * (Fraction(*b) - Fraction(*a)))))
        return out

    def as_dict(self, *, panels: bool = True) -> dict[str, Any]:
        """JSON-ready summary: algorithm, backend, certificate, people and (optionally) panels.

        Ids are strings; ``people`` is in pool order. This is the ``select`` command's output
        format (stable: other tools script against it).
        """
        d = self.details
        pi = self.marginals
        out: dict[str, Any] = {
            "algorithm": d.algorithm,
            "backend": d.backend,
            "backend_version": d.backend_version,
            "panel_size": self.program.panel_size,
            "pool_size": self.program.pool.n,
            "minimum_probability": self.minimum,
            "certificate": {"objective": json_number(d.objective),
                            "bound": json_number(d.bound), "gap": json_number(d.gap),
                            "converged": d.converged,
                            "message": d.message},
            "run": {"iterations": d.iterations, "stages": d.stages, "seconds": d.seconds,
                    "types": d.n_types, "options": d.options},
            "uncovered": [self.ids[i] for i in self.uncovered],
            "people": [{"id": pid, "probability": float(p)} for pid, p in zip(self.ids, pi,
                                                                               strict=True)],
        }
        fields = d.extra.person_fields() if isinstance(d.extra, Extra) else {}
        for name, values in fields.items():
            for entry, value in zip(out["people"], values, strict=True):
                entry[name] = float(value)
        weights = self.certificate_weights()
        if weights is not None:  # by id, positive weights only
            out["certificate"]["weights"] = {self.ids[i]: float(weights[i])
                                             for i in np.flatnonzero(weights > 0)}
        if panels:
            out["panels"] = [{"members": [self.ids[i] for i in members], "probability": p}
                             for members, p in self.panels()]
        return out

    def certificate_weights(self) -> FloatArray | None:
        """Per-person weights behind the certified bound, or ``None`` (nash, legacy).

        ``w_i = y_t / (n_t Σ_u y_u)`` for person ``i`` of type ``t``, from
        :attr:`RunDetails.certificate_prices`: non-negative, summing to one, and such that
        no feasible panel has total weight above ``details.bound`` (weak LP duality: every
        lottery gives some covered person at most that probability). Aligned with the pool.
        """
        y = self.details.certificate_prices
        if y is None:
            return None
        y = np.maximum(np.asarray(y, dtype=float), 0.0)
        total = float(y.sum())
        if total <= 0:
            return None
        w: FloatArray = (y / self.program.sizes / total)[self.program.type_of]
        return w

    def sample(self, rng: np.random.Generator | int | None = None) -> IntArray:
        """Draw one panel (person indices) from the exact distribution with numpy randomness.

        For a publicly verifiable draw use the transparent lottery instead.
        """
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        p = np.clip(self.probabilities, 0, None)
        s = int(gen.choice(len(p), p=p / p.sum()))
        chosen: list[int] = []
        for t in np.flatnonzero(self.profiles[s]):
            chosen.extend(int(i) for i in gen.choice(self.program.members[t],
                                                     size=int(self.profiles[s, t]),
                                                     replace=False))
        return np.array(sorted(chosen), dtype=np.int64)


def json_number(x: float) -> float | None:
    """JSON has no NaN or infinity: map them to null."""
    return float(x) if np.isfinite(x) else None


def check_distribution(dist: Distribution, *, expand: bool = True, tol: float = CHECK_TOL
                       ) -> list[str]:
    """Check every invariant of a distribution from scratch; return the violations found.

    * probabilities are finite, ≥ −tol, and sum to 1 ± tol;
    * every profile in the support is feasible (panel size, quotas, households);
    * marginals lie in [−tol, 1 + tol] and add up to the panel size;
    * uncovered people have probability 0;
    * with ``expand``: every concrete panel of :meth:`Distribution.panels` is checked directly
      on the people (size, quotas, households; nobody outside the pool), and the
      panel-weighted inclusion frequencies equal the marginals.
    """
    out: list[str] = []
    prog = dist.program
    x = dist.probabilities
    if not np.all(np.isfinite(x)):
        out.append("a probability is not finite")
        return out
    if x.min(initial=0) < -tol:
        out.append(f"negative probability {x.min():.3g}")
    if abs(x.sum() - 1) > tol:
        out.append(f"probabilities sum to {x.sum():.9f}")
    for s, profile in enumerate(dist.profiles):
        if x[s] > tol:
            out.extend(f"profile {s}: {v}" for v in prog.check_profile(profile))
    pi = dist.marginals
    if pi.min(initial=0) < -tol or pi.max(initial=0) > 1 + tol:
        out.append("a marginal is outside [0, 1]")
    if abs(pi.sum() - prog.panel_size) > tol * max(1, prog.panel_size):
        out.append(f"marginals add up to {pi.sum():.9f}, expected {prog.panel_size}")
    if dist.uncovered and np.abs(pi[list(dist.uncovered)]).max() > tol:
        out.append("a person on no feasible panel has positive probability")
    if expand:
        freq = np.zeros(prog.pool.n)
        total = 0.0
        for members, p in dist.panels():
            problems = prog.check_panel(members)
            if problems:
                out.append(f"panel {members.tolist()}: {problems}")
                break
            freq[members] += p
            total += p
        if abs(total - x[x > 0].sum()) > tol:
            out.append("expanded panel probabilities do not add up")
        if np.abs(freq - pi).max(initial=0) > tol:
            out.append(f"expanded panels give marginals off by {np.abs(freq - pi).max():.3g}")
    return out
