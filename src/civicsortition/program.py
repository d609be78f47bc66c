r"""The feasible panels as one integer program, formulated once, at the level of *types*.

People with identical values in every category and no household link are interchangeable, so
the program works over *types* ``t`` with ``n_t`` members and integer *profiles*
``0 <= c_t <= n_t`` (how many of type ``t`` sit on the panel). A person who shares a household
with another registered person is a type of their own. The feasible profiles are

.. math::

    \sum_t c_t = k, \qquad
    \ell_{f,v} \le \sum_{t : v_f(t) = v} c_t \le u_{f,v} \;\; \forall (f, v), \qquad
    \sum_{t \in h} c_t \le 1 \;\; \forall \text{ households } h, \qquad
    c \in \mathbb{Z}^T,\ 0 \le c \le n.

A joint quota row (``sex×age=female×18-29``) is one more row of the same kind, over the types
that hold every part of its value: the types are built from the single categories alone, so a
joint row never splits a type.

A profile is realised as a panel by taking ``c_t`` members of each type; any choice gives a
feasible panel. See ``docs/engine.md`` for the algorithms built on top.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import numpy as np

from ._i18n import tr
from ._typing import FloatArray, IntArray
from .errors import InfeasibleQuotasError, InputError, Problem, QuotaChange
from .numerics import ROW_TOL
from .pool import Pool
from .quotas import Quotas

__all__ = ["InfeasibleQuotasError", "PanelProgram", "QuotaChange"]



def _types(pool: Pool, households: bool) -> tuple[IntArray, list[IntArray], list[list[int]]]:
    """Group people into types; return (type_of, members per type, household groups of types)."""
    linked: dict[str, list[int]] = {}
    if households and pool.households is not None:
        for i, h in enumerate(pool.households):
            if h is not None:
                linked.setdefault(h, []).append(i)
    in_household = {i for members in linked.values() if len(members) > 1 for i in members}
    keys: dict[tuple[int, ...], int] = {}
    type_of = np.empty(pool.n, dtype=np.int64)
    for i in range(pool.n):
        key = tuple(int(x) for x in pool.codes[i])
        if i in in_household:
            key = (*key, -1 - i)  # a type of its own
        type_of[i] = keys.setdefault(key, len(keys))
    members = [np.flatnonzero(type_of == t) for t in range(len(keys))]
    groups = [[int(type_of[i]) for i in ms] for ms in linked.values() if len(ms) > 1]
    return type_of, members, groups


@attrs.frozen(eq=False)
class PanelProgram:
    """The panel integer program of a pool and a quota table (build with :meth:`build`).

    Attributes
    ----------
    pool, quotas : Pool, Quotas
    households : bool
        Whether the at-most-one-per-household rule is on.
    type_of : ndarray of int, shape (n,)
        Type of each person.
    members : tuple of ndarray
        Person indices of each type (ascending).
    sizes : ndarray of int, shape (T,)
        ``n_t``.
    A, row_lo, row_hi : ndarrays
        Constraint rows over profiles: row 0 is the panel size, then one row per quota entry
        (in quota order), then one row per household.
    """

    pool: Pool
    quotas: Quotas
    households: bool
    type_of: IntArray
    members: tuple[IntArray, ...]
    sizes: IntArray
    A: FloatArray
    row_lo: FloatArray
    row_hi: FloatArray
    n_quota_rows: int

    @classmethod
    def build(cls, pool: Pool, quotas: Quotas, *, households: bool = True) -> PanelProgram:
        """Formulate the program.

        Raises
        ------
        InputError
            If the quotas name a category the pool does not have.
        """
        type_of, members, groups = _types(pool, households)
        T = len(members)
        k = quotas.panel_size
        first = np.array([int(ms[0]) for ms in members], dtype=np.int64)
        rows: list[FloatArray] = [np.ones(T)]
        lo: list[float] = [k]
        hi: list[float] = [k]
        problems: list[Problem] = []
        pool_cats = {c.name.casefold(): j for j, c in enumerate(pool.strata)}
        for q in quotas:
            row = np.ones(T)
            for cat_name, value in q.parts:
                j = pool_cats.get(cat_name.casefold())
                if j is None:
                    problems.append(Problem("category-missing-in-pool", "the quotas constrain a "
                                            "category the pool does not have", column=cat_name,
                                            value=None if not q.is_joint else q.category))
                    break
                cat = pool.strata.categories[j]
                if value in cat.values:
                    row *= pool.codes[first, j] == cat.values.index(value)
                else:
                    row[:] = 0.0
            rows.append(row)
            lo.append(q.min)
            hi.append(q.max)
        if problems:
            raise InputError(problems)
        n_quota = len(rows) - 1
        for g in groups:
            row = np.zeros(T)
            row[g] = 1.0
            rows.append(row)
            lo.append(0)
            hi.append(1)
        return cls(pool, quotas, households, type_of, tuple(members),
                   np.array([len(m) for m in members], dtype=np.int64),
                   np.array(rows), np.array(lo, dtype=float), np.array(hi, dtype=float), n_quota)

    # ------------------------------------------------------------------ basic facts
    @property
    def n_types(self) -> int:
        """Number of types ``T``."""
        return len(self.members)

    @property
    def panel_size(self) -> int:
        """``k``."""
        return self.quotas.panel_size

    def check_profile(self, profile: IntArray) -> list[str]:
        """Violations of a profile (empty if feasible)."""
        c = np.asarray(profile)
        out = []
        if np.any(c < 0) or np.any(c > self.sizes):
            out.append("a type count is outside [0, n_t]")
        act = self.A @ c
        for r in range(len(self.A)):
            if act[r] < self.row_lo[r] - ROW_TOL or act[r] > self.row_hi[r] + ROW_TOL:
                out.append(f"{self._row_label(r)}: {act[r]:g} not in "
                           f"[{self.row_lo[r]:g}, {self.row_hi[r]:g}]")
        return out

    def check_panel(self, members: Iterable[int]) -> list[str]:
        """Violations of a concrete panel given as person indices (empty if feasible).

        Checks size, duplicates, quotas and households directly on the people (not via types).
        """
        idx = np.asarray(list(members), dtype=np.int64)
        out: list[str] = []
        if len(np.unique(idx)) != len(idx):
            out.append(tr("a person appears twice"))
        if np.any(idx < 0) or np.any(idx >= self.pool.n):
            return [*out, "a member is not in the pool"]
        if len(idx) != self.panel_size:
            out.append(tr("panel has {n} members, expected {k}", n=len(idx), k=self.panel_size))
        for q in self.quotas:
            have = int(q.mask(self.pool)[idx].sum())
            if not q.min <= have <= q.max:
                out.append(tr("{category}={value}: {have} not in [{min}, {max}]",
                              category=q.category, value=q.value, have=have, min=q.min,
                              max=q.max))
        if self.households and self.pool.households is not None:
            seen: set[str] = set()
            for i in idx:
                h = self.pool.households[i]
                if h is not None:
                    if h in seen:
                        out.append(tr("two members share household {household!r}",
                                      household=h))
                    seen.add(h)
        return out

    def _row_label(self, r: int) -> str:
        if r == 0:
            return "panel size"
        if r <= self.n_quota_rows:
            q = self.quotas.entries[r - 1]
            return f"{q.category}={q.value}"
        return f"household row {r - self.n_quota_rows}"
