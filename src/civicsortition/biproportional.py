r"""Biproportional apportionment: integer cell seats of a cross table with given margins.

Given non-negative weights :math:`w_{ij}` (population counts of ``sex×age``, say), row seats
:math:`r_i` and column seats :math:`s_j` with :math:`\sum_i r_i = \sum_j s_j = k`, a
*biproportional apportionment* (Balinski and Demange 1989) is an integer table :math:`x` with
exactly these margins for which row and column multipliers :math:`\rho_i, \sigma_j > 0` exist
with

.. math::

    x_{ij} = [\![ w_{ij} \rho_i \sigma_j ]\!] \quad \text{for all cells,}

where :math:`[\![\cdot]\!]` is standard rounding (Sainte-Laguë / Webster: a number in
:math:`[a - \tfrac12, a + \tfrac12]` may round to :math:`a`; at an exact half either neighbour
is allowed, a *tie*). Zero-weight cells get zero seats. Gaffke and Pukelsheim (2008) show that
these tables are exactly the minimisers of the separable convex program

.. math::

    \min_x \sum_{i,j} \sum_{a=1}^{x_{ij}} \log \frac{a - \frac12}{w_{ij}}
    \quad\text{s.t.}\quad \sum_j x_{ij} = r_i,\ \sum_i x_{ij} = s_j,\ x \in \mathbb Z_{\ge 0},

a transportation problem with convex piecewise-linear cell costs (one unit arc per seat).
:func:`biproportional_apportion` solves it exactly by successive shortest paths: one seat at a
time along a cheapest augmenting path (Bellman-Ford) of the residual graph. Costs are compared
exactly -- a sum of logarithms as a product of rationals -- so the result is the same on every
machine; the multipliers are the shortest-path potentials of the final table, and
:meth:`BiproportionalApportionment.check` re-checks them.

Ties (several optimal tables) are decided by a second, lexicographic objective: with
``tie_break="order"`` the table that is lexicographically largest in row-major order of the
cells (rows, then columns, in input order) among the optimal ones, so an earlier cell wins a
tied seat, as an earlier value does in :func:`~civicsortition.apportionment.apportion`;
``"random"`` uses a random cell order drawn from ``rng``; ``"raise"`` raises
:class:`~civicsortition.errors.TieError`.

References
----------
M. L. Balinski and G. Demange, "An axiomatic approach to proportionality between matrices",
*Mathematics of Operations Research* 14(4), 700-719, 1989.
N. Gaffke and F. Pukelsheim, "Vector and matrix apportionment problems and separable convex
integer optimization", *Mathematical Methods of Operations Research* 67, 133-159, 2008.
F. Pukelsheim, *Proportional Representation*, 2nd ed., Springer, 2017 (double-proportional
divisor methods).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from ._i18n import Text, tr
from .apportionment import TieBreak, _exact_number
from .errors import InputError, Problem, TieError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BiproportionalApportionment", "biproportional_apportion"]

#: A path length: the product ``num/den`` of the arcs' primary ratios, and the sum of their
#: secondary (tie-break) weights; compared lexicographically.
_Label = tuple[int, int, int]
_ONE: _Label = (1, 1, 0)


@attrs.frozen
class BiproportionalApportionment:
    """The outcome of :func:`biproportional_apportion`.

    Attributes
    ----------
    rows, columns : tuple of str
        Row and column names, in input order.
    weights : tuple of tuple of Fraction
        The weights ``w[i][j]`` as given (exact).
    row_seats, column_seats : tuple of int
        The margins.
    seats : tuple of tuple of int
        Seats per cell; rows sum to ``row_seats``, columns to ``column_seats``.
    row_multipliers, column_multipliers : tuple of Fraction
        A certificate: every cell's seats are a standard rounding of
        ``w[i][j] · row_multipliers[i] · column_multipliers[j]`` (the first column's
        multiplier is 1). The *divisors* of the literature are their reciprocals.
    ties : tuple of (str, str)
        Cells whose seats another optimal table changes (decided by the tie rule); empty when
        the apportionment is unique.
    tie_break : str
        The tie rule in force.
    method : str
        ``"biproportional"`` (standard rounding, Sainte-Laguë).
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    weights: tuple[tuple[Fraction, ...], ...]
    row_seats: tuple[int, ...]
    column_seats: tuple[int, ...]
    seats: tuple[tuple[int, ...], ...]
    row_multipliers: tuple[Fraction, ...]
    column_multipliers: tuple[Fraction, ...]
    ties: tuple[tuple[str, str], ...]
    tie_break: str
    method: str = "biproportional"

    def seat(self, row: str, column: str) -> int:
        """Seats of the cell ``(row, column)``.

        Raises
        ------
        InputError
            ``unknown-value`` for a name that is not a row (column).
        """
        for names, name, what in ((self.rows, row, "row"), (self.columns, column, "column")):
            if name not in names:
                raise InputError.single("unknown-value", tr("no {what} called {name!r}",
                                                            what=what, name=name), value=name)
        return self.seats[self.rows.index(row)][self.columns.index(column)]

    def as_dict(self) -> dict[tuple[str, str], int]:
        """``{(row, column): seats}`` in row-major order."""
        return {(r, c): self.seats[i][j] for i, r in enumerate(self.rows)
                for j, c in enumerate(self.columns)}

    def check(self) -> list[Text]:
        """Re-check the result from its own fields (empty if it holds).

        Checks the margins, zero seats in zero-weight cells, and the certificate: for every
        cell, ``x - 1/2 <= w·ρ·σ <= x + 1/2`` (``0 <= w·ρ·σ <= 1/2`` for ``x = 0``).
        """
        out: list[Text] = []
        half = Fraction(1, 2)
        for i, r in enumerate(self.rows):
            got = sum(self.seats[i])
            if got != self.row_seats[i]:
                out.append(tr("row {row!r} has {got} seats, expected {want}", row=r, got=got,
                              want=self.row_seats[i]))
        for j, c in enumerate(self.columns):
            got = sum(row[j] for row in self.seats)
            if got != self.column_seats[j]:
                out.append(tr("column {column!r} has {got} seats, expected {want}", column=c,
                              got=got, want=self.column_seats[j]))
        for i, r in enumerate(self.rows):
            for j, c in enumerate(self.columns):
                x, w = self.seats[i][j], self.weights[i][j]
                scaled = w * self.row_multipliers[i] * self.column_multipliers[j]
                if x < 0 or (w == 0 and x != 0) or scaled > x + half or (
                        x > 0 and scaled < x - half):
                    out.append(tr("cell ({row!r}, {column!r}): {x} seats is not a standard "
                                  "rounding of {scaled:.6g}", row=r, column=c, x=x,
                                  scaled=float(scaled)))
        return out


def _number(raw: object, where: str, problems: list[Problem]) -> Fraction:
    try:
        value = _exact_number(raw)
    except (TypeError, ValueError, ZeroDivisionError):
        problems.append(Problem("not-a-number", "a weight must be a finite number", column=where,
                                value=repr(raw)))
        return Fraction(0)
    if value < 0:
        problems.append(Problem("negative-share", "a weight must be >= 0", column=where,
                                value=str(raw)))
        return Fraction(0)
    return value


def _seats(seats: Mapping[str, int], what: str, problems: list[Problem]
           ) -> tuple[list[str], list[int]]:
    if not isinstance(seats, Mapping):
        raise TypeError(f"biproportional_apportion({what}=...): expected a mapping of name to "
                        "seats")
    names, out = [str(n) for n in seats], []
    for name, s in seats.items():
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            problems.append(Problem("bad-seats", "the number of seats must be a non-negative "
                                    "integer", column=str(name), value=repr(s)))
            out.append(0)
        else:
            out.append(int(s))
    if not names:
        problems.append(Problem("no-values", "nothing to apportion among", column=what))
    return names, out


def _validate(weights: Mapping[str, Mapping[str, object]], row_seats: Mapping[str, int],
              column_seats: Mapping[str, int]
              ) -> tuple[list[str], list[str], list[list[Fraction]], list[int], list[int]]:
    problems: list[Problem] = []
    rows, r = _seats(row_seats, "row_seats", problems)
    cols, s = _seats(column_seats, "column_seats", problems)
    if not isinstance(weights, Mapping):
        raise TypeError("biproportional_apportion(weights=...): expected a mapping "
                        "{row: {column: weight}}")
    w = [[Fraction(0)] * len(cols) for _ in rows]
    for row, cells in weights.items():
        if row not in rows:
            problems.append(Problem("unknown-value", "a weight is given for a row without seats",
                                    value=str(row)))
            continue
        if not isinstance(cells, Mapping):
            raise TypeError("biproportional_apportion(weights=...): expected a mapping "
                            "{row: {column: weight}}")
        for col, raw in cells.items():
            if col not in cols:
                problems.append(Problem("unknown-value", "a weight is given for a column without "
                                        "seats", column=str(row), value=str(col)))
                continue
            w[rows.index(row)][cols.index(col)] = _number(raw, f"{row}, {col}", problems)
    if not problems and sum(r) != sum(s):
        problems.append(Problem("margins-mismatch", tr("the row seats add up to {rows} but the "
                                                       "column seats to {columns}",
                                                       rows=sum(r), columns=sum(s)),
                                value=f"{sum(r)} != {sum(s)}"))
    if not problems:
        for i, name in enumerate(rows):
            if r[i] > 0 and not any(w[i]):
                problems.append(Problem("zero-weight-row", tr("row {row!r} has {seats} seats but "
                                                              "every cell weight is zero",
                                                              row=name, seats=r[i]),
                                        value=name))
        for j, name in enumerate(cols):
            if s[j] > 0 and not any(w[i][j] for i in range(len(rows))):
                problems.append(Problem("zero-weight-column", tr("column {column!r} has {seats} "
                                                                 "seats but every cell weight is "
                                                                 "zero", column=name, seats=s[j]),
                                        value=name))
    if problems:
        raise InputError(problems)
    return rows, cols, w, r, s


def _less(a: _Label, b: _Label) -> bool:
    left, right = a[0] * b[1], b[0] * a[1]
    return left < right or (left == right and a[2] < b[2])


class _Table:
    """The residual graph of the transportation problem, over integer weights ``W``."""

    def __init__(self, W: list[list[int]], priority: list[list[int]]) -> None:
        self.W, self.priority = W, priority
        self.R, self.C = len(W), len(W[0])
        self.x = [[0] * self.C for _ in range(self.R)]

    def shortest(self, sources: list[int]
                 ) -> tuple[list[_Label | None], list[_Label | None], list[int], list[int]]:
        """Bellman-Ford from the rows ``sources`` (label 1): labels and predecessors."""
        R, C, W, x, pr = self.R, self.C, self.W, self.x, self.priority
        row: list[_Label | None] = [None] * R
        col: list[_Label | None] = [None] * C
        pred_row, pred_col = [-1] * R, [-1] * C
        for i in sources:
            row[i] = _ONE
        for _ in range(R + C + 1):
            changed = False
            for i in range(R):
                d = row[i]
                if d is None:
                    continue
                for j in range(C):
                    if W[i][j]:
                        # one more seat for (i, j): ratio (x + 1/2) / w
                        cand = (d[0] * (2 * x[i][j] + 1), d[1] * 2 * W[i][j], d[2] - pr[i][j])
                        old = col[j]
                        if old is None or _less(cand, old):
                            col[j], pred_col[j], changed = cand, i, True
            for j in range(C):
                d = col[j]
                if d is None:
                    continue
                for i in range(R):
                    if x[i][j]:
                        # one seat less for (i, j): ratio w / (x - 1/2)
                        cand = (d[0] * 2 * W[i][j], d[1] * (2 * x[i][j] - 1), d[2] + pr[i][j])
                        old = row[i]
                        if old is None or _less(cand, old):
                            row[i], pred_row[i], changed = cand, j, True
            if not changed:
                return row, col, pred_row, pred_col
        raise AssertionError("negative cycle in a successive-shortest-paths residual graph")

    def _arcs(self) -> list[tuple[int, int, Fraction]]:
        """Residual arcs ``(from, to, ratio)`` over nodes rows ``0..R-1``, columns ``R..``."""
        R, C, W, x = self.R, self.C, self.W, self.x
        arcs = []
        for i in range(R):
            for j in range(C):
                if W[i][j]:
                    arcs.append((i, R + j, Fraction(2 * x[i][j] + 1, 2 * W[i][j])))
                if x[i][j]:
                    arcs.append((R + j, i, Fraction(2 * W[i][j], 2 * x[i][j] - 1)))
        return arcs

    def potentials(self) -> list[Fraction]:
        """Feasible potentials of the final table on the primary costs: ``p_v <= m_uv p_u``.

        Shortest-path products from a virtual source joined to every node by an arc of ratio
        1 (Bellman-Ford): the largest potentials bounded by 1. They exist because an optimal
        table leaves no cycle of ratio below 1; the tight arcs may put a cell's
        ``w·ρ·σ`` on the boundary of its rounding interval without making it a tie.
        """
        arcs = self._arcs()
        n = self.R + self.C
        pot = [Fraction(1)] * n
        for _ in range(n + 1):
            changed = False
            for u, v, m in arcs:
                if pot[u] * m < pot[v]:
                    pot[v], changed = pot[u] * m, True
            if not changed:
                return pot
        raise AssertionError("negative cycle in an optimal residual graph")

    def tied(self, pot: list[Fraction]) -> list[tuple[int, int]]:
        """Cells on a cycle of zero reduced cost: another optimal table moves their seats.

        Every arc of such a cycle is tight for any feasible potentials ``pot``.
        """
        n = self.R + self.C
        tight = [(u, v) for u, v, m in self._arcs() if pot[u] * m == pot[v]]
        reach = [[False] * n for _ in range(n)]
        for u, v in tight:
            reach[u][v] = True
        for m in range(n):  # transitive closure (Warshall); tables have tens of nodes
            for u in range(n):
                if reach[u][m]:
                    for v in range(n):
                        if reach[m][v]:
                            reach[u][v] = True
        return sorted({(min(u, v), max(u, v) - self.R) for u, v in tight if reach[v][u]})


def _order(R: int, C: int, tie_break: str, rng: np.random.Generator | int | None) -> list[int]:
    """Cell ranks (row-major index -> rank, 0 first) for the tie rule."""
    cells = list(range(R * C))
    if tie_break == "random":
        import numpy as np  # only a random tie-break needs NumPy

        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        perm = [int(c) for c in gen.permutation(R * C)]
        rank = [0] * (R * C)
        for t, c in enumerate(perm):
            rank[c] = t
        return rank
    return cells


def biproportional_apportion(
    weights: Mapping[str, Mapping[str, Fraction | int | str | float]],
    row_seats: Mapping[str, int],
    column_seats: Mapping[str, int],
    *,
    tie_break: TieBreak = "order",
    rng: np.random.Generator | int | None = None,
) -> BiproportionalApportionment:
    r"""Apportion the cells of a cross table with exact margins, biproportionally.

    Solves (see the module docstring)

    .. math::

        \min_x \sum_{i,j} \sum_{a=1}^{x_{ij}} \log \frac{a - \frac12}{w_{ij}}
        \ \text{ s.t. }\ \sum_j x_{ij} = r_i,\ \sum_i x_{ij} = s_j,\ x \in \mathbb Z_{\ge 0}

    exactly, whose minimisers are the tables ``x_ij = round(w_ij ρ_i σ_j)`` (standard
    rounding) with exactly the margins. Scaling the whole table, a row or a column of the
    weights does not change the result (the multipliers absorb it).

    Parameters
    ----------
    weights : mapping
        ``{row: {column: weight}}``: non-negative weights (counts or shares; Fractions,
        integers, decimal strings, floats at their exact binary value). A missing cell has
        weight 0 and gets no seat.
    row_seats, column_seats : mapping of str to int
        The margins ``r`` and ``s`` (their order is the order of rows and columns); they must
        have the same total.
    tie_break : {"order", "raise", "random"}
        How to choose among several optimal tables: the lexicographically largest in
        row-major cell order (an earlier cell wins), an error, or a random cell order.
    rng : numpy.random.Generator or int, optional
        Only for ``tie_break="random"``.

    Returns
    -------
    BiproportionalApportionment
        Seats, the multipliers as a certificate, and the cells decided by the tie rule.

    Raises
    ------
    InputError
        ``not-a-number``, ``negative-share``, ``bad-seats``, ``no-values``,
        ``unknown-value`` (a weight for a row or column without seats), ``margins-mismatch``
        (different totals), ``zero-weight-row`` / ``zero-weight-column`` (seats for a row or
        column whose weights are all zero), ``margins-infeasible`` (a set of rows needs more
        seats than the columns of its non-zero cells hold), ``bad-tie-break``; and
        :class:`~civicsortition.errors.TieError` with ``tie_break="raise"``.

    Examples
    --------
    >>> b = biproportional_apportion({"f": {"young": 30, "old": 20}, "m": {"young": 10,
    ...                               "old": 40}}, {"f": 5, "m": 5}, {"young": 4, "old": 6})
    >>> b.seats
    ((3, 2), (1, 4))
    >>> b.check()
    []
    """
    if tie_break not in ("order", "raise", "random"):
        raise InputError.single("bad-tie-break", "tie_break must be 'order', 'raise' or 'random'",
                                value=repr(tie_break))
    rows, cols, w, r, s = _validate(weights, row_seats, column_seats)
    R, C, k = len(rows), len(cols), sum(r)
    scale = math.lcm(*(f.denominator for line in w for f in line))
    W = [[int(f * scale) for f in line] for line in w]
    rank = _order(R, C, tie_break, rng)
    base = k + 1  # a seat of an earlier cell outweighs any number of seats of later ones
    priority = [[base ** (R * C - 1 - rank[i * C + j]) for j in range(C)] for i in range(R)]
    table = _Table(W, priority)
    left_r, left_c = list(r), list(s)
    for _ in range(k):
        row_lab, col_lab, pred_row, pred_col = table.shortest(
            [i for i in range(R) if left_r[i] > 0])
        best = -1
        for j in range(C):
            lab = col_lab[j]
            if left_c[j] > 0 and lab is not None:
                old = col_lab[best] if best >= 0 else None
                if old is None or _less(lab, old):
                    best = j
        if best < 0:
            stuck_rows = [rows[i] for i in range(R) if row_lab[i] is not None]
            stuck_cols = [cols[j] for j in range(C) if col_lab[j] is not None]
            need = sum(r[i] for i in range(R) if row_lab[i] is not None)
            have = sum(s[j] for j in range(C) if col_lab[j] is not None)
            raise InputError.single(
                "margins-infeasible",
                tr("no table has these margins: rows {rows} need {need} seats, but their cells "
                   "with a positive weight lie in columns {columns}, which have {have}",
                   rows=stuck_rows, need=need, columns=stuck_cols, have=have),
                value=", ".join(stuck_rows))
        j = best
        left_c[j] -= 1
        while True:
            i = pred_col[j]
            table.x[i][j] += 1
            if pred_row[i] < 0:
                left_r[i] -= 1
                break
            j = pred_row[i]
            table.x[i][j] -= 1
    pot = table.potentials()
    pot_row, pot_col = pot[:R], pot[R:]
    tied = [(rows[i], cols[j]) for i, j in table.tied(pot)]
    if tied and tie_break == "raise":
        raise TieError([Problem("apportionment-tie", tr("the cells {cells} are tied: another "
                                                        "table with the same margins is as "
                                                        "proportional; choose tie_break='order' "
                                                        "or 'random'", cells=tied),
                                value="; ".join(f"{a}, {b}" for a, b in tied))])
    # W ρ σ = w (scale ρ) σ with ρ_i = 1 / pot_row[i], σ_j = pot_col[j]; first σ made 1.
    first = pot_col[0]
    rho = tuple(scale * first / p for p in pot_row)
    sigma = tuple(p / first for p in pot_col)
    return BiproportionalApportionment(
        rows=tuple(rows), columns=tuple(cols), weights=tuple(tuple(line) for line in w),
        row_seats=tuple(r), column_seats=tuple(s),
        seats=tuple(tuple(line) for line in table.x), row_multipliers=rho,
        column_multipliers=sigma, ties=tuple(tied), tie_break=tie_break)
