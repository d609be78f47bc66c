r"""Alternates chosen against dropout scenarios: empirical risk minimisation over types.

Following Assos, Baharav, Flanigan and Procaccia ("Alternates, Assemble! Selecting optimal
alternates for citizens' assemblies", arXiv 2506.15716, 2025), the alternates are the set that
minimises the *average quota loss after replacing the dropouts* over sampled dropout scenarios,
rather than a set drawn under proportional quotas (:func:`~civicsortition.replacements.
prepare_alternates`).

**Loss.** The rows ``r`` are the panel size (bounds ``[k, k]``) and every quota row
``[l_r, u_r]``. A final panel ``X`` with row counts :math:`x_r` has the quota loss

.. math:: L(X) = \sum_r \max(0,\, l_r - x_r) + \max(0,\, x_r - u_r),

the :math:`\ell_1` distance of its counts from the quota intervals (0 for a valid panel; an
empty seat costs 1 through the size row, plus the shortfall it leaves in value rows).

**Scenario and replacement rule.** In a scenario each panel member ``i`` drops out
independently with probability :math:`p_i` and each alternate is unavailable independently
with its own :math:`p_j` (:mod:`civicsortition.dropout`). With kept members ``K_s``, ``d_s``
dropouts and available alternates ``A_s``, the seats are filled by the best subset

.. math:: \ell_s(A) = \min_{R \subseteq A_s,\ |R| \le d_s} L(K_s \cup R).

**Types and slots.** Alternates are chosen among the eligible people off the panel (no
housemate on the panel, not excluded). People with the same values are interchangeable, so a
set is given by its *type counts* :math:`z_t`; within a type the members are taken in the order
of the public key :func:`~civicsortition.seeds.alternate_key` (skipping a second member of a
household). In the training scenarios the ``j``-th chosen member of type ``t`` ("slot"
``(t, j)``) is unavailable with the type's probability :math:`p_t`, so the number available of
:math:`z_t` chosen is :math:`\mathrm{Bin}(z_t, 1 - p_t)` as for real people, and the program
cannot over-fit the noise of one named person.

**The integer program** (:func:`erm_alternates`), with :math:`b_{s,t,j} = 1` when slot
``(t, j)`` is available in scenario ``s``, :math:`a_{r,t} = 1` when type ``t`` counts in row
``r`` and :math:`c_{s,r}` the kept members' row counts:

.. math::

    \min\ \frac1S \sum_s \sum_r e_{s,r} \quad\text{s.t.}\quad
    \sum_{t,j} y_{t,j} = \text{count},\quad y_{t,j+1} \le y_{t,j},\quad
    \sum_{(t,j) \in h} y_{t,j} \le 1\ \ (\text{households}),

    w_{s,t} \le \sum_j b_{s,t,j}\, y_{t,j},\quad \sum_t w_{s,t} \le d_s,\quad
    e_{s,r} \ge l_r - c_{s,r} - \sum_t a_{r,t} w_{s,t},\quad
    e_{s,r} \ge c_{s,r} + \sum_t a_{r,t} w_{s,t} - u_r,

with :math:`y_{t,j} \in \{0,1\}` (slot ``j`` of type ``t`` chosen, :math:`z_t = \sum_j
y_{t,j}`), :math:`w_{s,t} \in \mathbb Z_{\ge 0}` (alternates of type ``t`` used in scenario
``s``; the per-person binary use variables summed within a type) and :math:`e_{s,r} \ge 0`.
Scenarios with no dropout, or no available slot at all, are constants. It is solved with HiGHS
through :func:`scipy.optimize.milp` on a sparse matrix (the dense
:class:`~civicsortition.backends.Backend` protocol would need :math:`S \cdot T` squared
entries).

**Ties.** Several sets can reach the optimal mean loss, and which one a solver returns depends
on its path. So that the answer does not, the program breaks ties exactly by a lexicographic
second objective: slot ``(t, j)`` has the public integer weight :math:`c_{t,j} = 1 + (h \bmod
1024)`, with ``h`` the 256-bit integer of SHA-256 of ``"civicsortition-erm-ties/1\n" + seed
+ "\n" + "slot/<values>/<j>"``, and the program minimises
:math:`W \sum_s \sum_r e_{s,r} + \sum_{t,j} c_{t,j}\, y_{t,j}` with :math:`W` one more
than the largest sum of ``count`` weights. Losses are integers at an optimum, so one unit of
loss outweighs any difference in the second term: the set returned is, among the sets of
least loss, the one of least weight. Only two optimal sets of exactly equal weight (of
chance about one in a thousand per pair) would still tie. Its ``objective`` is computed
exactly from the replacements, not read from the solver.

In the same way the evaluation (:func:`expected_loss`) fills, among the best subsets of a
scenario, one that leaves the fewest seats empty (loss rows weighted by one more than the
most dropouts of a scenario, minus one per seat filled), so the empty seats it reports are
determined too; the losses themselves are unique at the optimum.

**Scenarios** are public and platform independent: person or slot ``x`` is out in scenario
``s`` of stream ``g`` iff the 256-bit integer of SHA-256 of
``"civicsortition-dropout-scenarios/1\n" + seed + "\n" + g + "\n" + s + "\n" + x`` is below
:math:`\lfloor p\, 2^{256} \rfloor` (``x`` is ``panel/<id>``, ``person/<id>`` or
``slot/<values>/<j>``). :func:`expected_loss` evaluates any set on the ``"test"`` stream
(held out from the ``"train"`` stream the program saw), solving the same program with the set
fixed; :func:`compare_alternates` sets ERM against the quota-based baseline.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from ._checks import as_int, require
from ._i18n import tr
from ._typing import FloatArray, IntArray
from .dropout import DropoutModel
from .errors import InfeasibleError, InputError, SolverError, Status
from .pool import Pool, household_count
from .quotas import Quotas
from .replacements import _check_common, _eligible, _ids, prepare_alternates
from .seeds import alternate_key, normalise_seed

__all__ = ["ERM_ALTERNATES_FORMAT", "SCENARIO_PROCEDURE", "AlternatesComparison",
           "ErmAlternates", "LossEstimate", "compare_alternates", "erm_alternates",
           "expected_loss", "quota_loss"]

SCENARIO_PROCEDURE = "civicsortition-dropout-scenarios/1"
ERM_ALTERNATES_FORMAT = "civicsortition-alternates-erm/1"
#: Prefix of the public tie-breaking weights of the slots (module docstring, "Ties").
TIE_PROCEDURE = "civicsortition-erm-ties/1"
#: The slot weights are in ``1..TIE_WEIGHTS``.
TIE_WEIGHTS = 1024
#: Default numbers of training and held-out scenarios.
DEFAULT_SCENARIOS = 100
DEFAULT_TEST_SCENARIOS = 1000


# ---------------------------------------------------------------------------------- rows
@attrs.frozen(eq=False)
class _Rows:
    """The loss rows (size, then quota rows) and how people count in them."""

    labels: tuple[str, ...]
    lo: FloatArray
    hi: FloatArray
    member: FloatArray   # (R, n): person i counts in row r

    @classmethod
    def of(cls, pool: Pool, quotas: Quotas) -> _Rows:
        masks = [np.ones(pool.n)] + [q.mask(pool).astype(float) for q in quotas]
        labels = ["panel size", *(f"{q.category}={q.value}" for q in quotas)]
        lo = np.array([quotas.panel_size, *(q.min for q in quotas)], dtype=float)
        hi = np.array([quotas.panel_size, *(q.max for q in quotas)], dtype=float)
        return cls(tuple(labels), lo, hi, np.array(masks))

    def loss(self, counts: FloatArray) -> FloatArray:
        """``L`` of each row of ``counts`` (shape (..., R))."""
        out: FloatArray = (np.maximum(0.0, self.lo - counts)
                           + np.maximum(0.0, counts - self.hi)).sum(axis=-1)
        return out


def quota_loss(pool: Pool, quotas: Quotas, panel: Sequence[str]) -> int:
    """The quota loss :math:`L` of a panel (module docstring): 0 when it meets the quotas.

    Raises
    ------
    TypeError, InputError
        As the other functions here (unknown or repeated ids).

    Examples
    --------
    >>> from civicsortition.examples import rustavi_example
    >>> pool, quotas = rustavi_example()
    >>> quota_loss(pool, quotas, pool.ids[:3]) > 0
    True
    """
    _check_common("quota_loss", pool, quotas)
    rows = _Rows.of(pool, quotas)
    idx = _ids(pool, panel, "panel", "quota_loss")
    return round(float(rows.loss(rows.member[:, idx].sum(axis=1))))


# ----------------------------------------------------------------------------- scenarios
def _threshold(p: float) -> int:
    return int(Fraction(float(p)) * 2**256)


def _out(seed: str, stream: str, count: int, keys: Sequence[str],
         probs: FloatArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """(count, len(keys)) booleans: key ``x`` is out in scenario ``s`` (module docstring)."""
    out = np.zeros((count, len(keys)), dtype=bool)
    limits = [_threshold(p) for p in probs]
    head = f"{SCENARIO_PROCEDURE}\n{seed}\n{stream}\n"
    for s in range(count):
        prefix = f"{head}{s}\n"
        for j, key in enumerate(keys):
            if limits[j]:
                v = int.from_bytes(hashlib.sha256(f"{prefix}{key}".encode()).digest(), "big")
                out[s, j] = v < limits[j]
    return out


def _value_key(pool: Pool, i: int) -> str:
    return "|".join(c.values[int(pool.codes[i, j])] for j, c in enumerate(pool.strata))


# --------------------------------------------------------------------------- the program
@attrs.frozen(eq=False)
class _Solved:
    objective: float
    used: IntArray | None        # (S, T) alternates used per scenario and type
    y: IntArray | None           # chosen slots (ERM) or None
    status: str
    seconds: float


def _solve(rows_lo: FloatArray, rows_hi: FloatArray, a: FloatArray, kept: FloatArray,
           seats: IntArray, *, avail: IntArray | None = None,
           slot_type: IntArray | None = None, slot_out: np.ndarray[Any, Any] | None = None,
           slot_weight: IntArray | None = None, count: int = 0,
           households: Sequence[Sequence[int]] = (),
           time_limit: float | None = None) -> _Solved:
    """Minimise the mean loss (see the module docstring) with the set free or fixed.

    ``a`` is (R, T); ``kept`` (S, R); ``seats`` (S,). Either ``avail`` (S, T) (a fixed set) or
    the slots (``slot_type`` (Q,), ``slot_out`` (S, Q), ``slot_weight`` (Q,), ``count``) are
    given.

    Ties are broken exactly, by integer weights on a lexicographic second objective (module
    docstring, "Ties"): the loss rows cost ``W`` each, where ``W`` exceeds the whole range of
    the second objective, so only optima of the loss compete on it. With the set free, the
    second objective is the sum of the chosen slots' ``slot_weight``; with the set fixed, it
    is minus the number of seats filled. The returned ``objective`` is the mean loss of the
    solution, computed exactly from the replacements used.
    """
    from scipy import optimize, sparse

    S, R = kept.shape
    T = a.shape[1]
    base = (np.maximum(0.0, rows_lo - kept) + np.maximum(0.0, kept - rows_hi)).sum(axis=1)
    free = avail is None
    assert free == (slot_type is not None and slot_out is not None
                    and slot_weight is not None)
    Q = 0 if slot_type is None else len(slot_type)
    # which (s, t) may use someone: some available slot / alternate of type t in s
    if free:
        assert slot_type is not None
        assert slot_out is not None
        up = np.zeros((S, T), dtype=np.int64)
        for q in range(Q):
            up[:, slot_type[q]] += ~slot_out[:, q]
    else:
        assert avail is not None
        up = np.asarray(avail, dtype=np.int64)
    active = [s for s in range(S) if seats[s] > 0 and up[s].any()]
    r_i: list[int] = []
    c_i: list[int] = []
    v_i: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def row(cols: Sequence[int], vals: Sequence[float], low: float, high: float) -> None:
        r = len(lo)
        r_i.extend([r] * len(cols))
        c_i.extend(cols)
        v_i.extend(vals)
        lo.append(low)
        hi.append(high)

    if free:
        assert slot_weight is not None
        cost: list[float] = [float(c) for c in slot_weight]
        # W above the largest possible sum of ``count`` slot weights: a unit of loss
        # outweighs any difference in the second objective (losses are integers at optima).
        weight = float(np.sort(np.asarray(slot_weight))[::-1][:count].sum() + 1)
        w_cost = 0.0
    else:
        cost = []
        # W above the most seats one scenario can fill (the program separates by scenario).
        weight = float(max(int(np.max(seats, initial=0)), 0) + 1)
        w_cost = -1.0
    var_lo: list[float] = [0.0] * Q
    var_hi: list[float] = [1.0] * Q
    integer: list[float] = [1.0] * Q
    if free:
        assert slot_type is not None
        row(range(Q), [1.0] * Q, count, count)
        for q in range(1, Q):
            if slot_type[q] == slot_type[q - 1]:
                row([q, q - 1], [1.0, -1.0], -np.inf, 0.0)
        for group in households:
            row(list(group), [1.0] * len(group), -np.inf, 1.0)
    w_index: dict[tuple[int, int], int] = {}
    for s in active:
        types = np.flatnonzero(up[s])
        for t in types:
            w_index[(s, int(t))] = len(cost)
            cost.append(w_cost)
            var_lo.append(0.0)
            var_hi.append(float(up[s, t]))
            integer.append(1.0)
        e0 = len(cost)
        cost.extend([weight] * R)
        var_lo.extend([0.0] * R)
        var_hi.extend([np.inf] * R)
        integer.extend([0.0] * R)
        if free:
            assert slot_type is not None
            assert slot_out is not None
            for t in types:
                slots = [q for q in range(Q) if slot_type[q] == t and not slot_out[s, q]]
                row([w_index[(s, int(t))], *slots], [1.0] + [-1.0] * len(slots), -np.inf, 0.0)
        ws = [w_index[(s, int(t))] for t in types]
        row(ws, [1.0] * len(ws), -np.inf, float(seats[s]))
        for r in range(R):
            cols = [w_index[(s, int(t))] for t in types if a[r, t]]
            row([e0 + r, *cols], [1.0] + [1.0] * len(cols), rows_lo[r] - kept[s, r], np.inf)
            row([e0 + r, *cols], [1.0] + [-1.0] * len(cols), kept[s, r] - rows_hi[r], np.inf)
    started = time.perf_counter()
    if len(cost) == 0 or not lo:
        return _Solved(float(base.mean()), np.zeros((S, T), dtype=np.int64), None, "optimal",
                       0.0)
    A = sparse.csr_array((v_i, (r_i, c_i)), shape=(len(lo), len(cost)))
    options: dict[str, Any] = {"mip_rel_gap": 0.0}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = optimize.milp(np.array(cost), integrality=np.array(integer),
                        bounds=optimize.Bounds(np.array(var_lo), np.array(var_hi)),
                        constraints=[optimize.LinearConstraint(A, np.array(lo), np.array(hi))],
                        options=options)
    seconds = time.perf_counter() - started
    if res.x is None:
        status = Status.INFEASIBLE if res.status == 2 else Status.ERROR
        raise SolverError(tr("the alternates program ended without a solution ({message})",
                             message=res.message), status, f"scipy.milp status {res.status}",
                          stage="alternates")
    x = np.asarray(res.x)
    used = np.zeros((S, T), dtype=np.int64)
    for (si, ti), col in w_index.items():
        used[si, ti] = np.rint(x[col])
    y = np.rint(x[:Q]).astype(np.int64) if free else None
    final = kept + used @ a.T
    losses = (np.maximum(0.0, rows_lo - final) + np.maximum(0.0, final - rows_hi)).sum(axis=1)
    return _Solved(float(losses.mean()), used, y, "optimal" if res.status == 0 else
                   "time limit", seconds)


# ------------------------------------------------------------------------------ results
@attrs.frozen(eq=False)
class ErmAlternates:
    """Alternates chosen by :func:`erm_alternates`.

    Attributes
    ----------
    order : tuple of str
        The alternates, in the public key order of ``seed`` (first asked first).
    seed : str
        The normalised seed (scenarios and the order within types).
    panel : tuple of str
        The panel they were chosen for (sorted).
    objective : float
        Mean loss over the training scenarios (the program's optimum, computed exactly).
    status : str
        ``"optimal"`` or ``"time limit"`` (the best set found within ``time_limit``).
    scenarios : int
        Number of training scenarios ``S``.
    type_values : tuple of str
        The candidate types' values (``"v1|v2|..."``), index ``t``.
    type_rows : ndarray (R, T)
        :math:`a_{r,t}`.
    counts : ndarray of int (T,)
        :math:`z_t`, alternates chosen per type.
    slot_type : ndarray of int (Q,)
        The type of each slot (slots of a type are consecutive, ``j = 0, 1, ...``).
    panel_out : ndarray of bool (S, k)
        Training scenarios: panel member ``i`` (in ``panel`` order) drops out.
    slot_out : ndarray of bool (S, Q)
        Training scenarios: slot ``q`` is unavailable.
    rows : tuple of str
        Labels of the loss rows (panel size, then the quota rows).
    seconds : float
        Solver time.
    """

    order: tuple[str, ...]
    seed: str
    panel: tuple[str, ...]
    objective: float
    status: str
    scenarios: int
    type_values: tuple[str, ...]
    type_rows: FloatArray
    counts: IntArray
    slot_type: IntArray
    panel_out: np.ndarray[Any, np.dtype[np.bool_]]
    slot_out: np.ndarray[Any, np.dtype[np.bool_]]
    rows: tuple[str, ...]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """The published record: order, seed, panel, type counts and objective.

        No value of a person is written beyond the aggregate type counts.
        """
        return {"format": ERM_ALTERNATES_FORMAT, "method": "erm", "seed": self.seed,
                "order": list(self.order), "panel": list(self.panel),
                "scenario_procedure": SCENARIO_PROCEDURE, "scenarios": self.scenarios,
                "objective": self.objective, "status": self.status,
                "type_counts": {v: int(c) for v, c in zip(self.type_values, self.counts,
                                                          strict=True) if c}}

    @staticmethod
    def order_of(doc: object) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
        """``(order, seed, panel)`` of a document written from :meth:`as_dict`, checked.

        Raises
        ------
        InputError
            ``bad-alternates`` if it is not such a document or its order is not its ids in
            the public key order of its seed.
        """
        if not isinstance(doc, dict) or doc.get("format") != ERM_ALTERNATES_FORMAT:
            raise InputError.single("bad-alternates", tr(
                "not a {alternates_format} document", alternates_format=ERM_ALTERNATES_FORMAT),
                column="format")
        order, seed, panel = doc.get("order"), doc.get("seed"), doc.get("panel")
        if (not isinstance(order, list) or not all(isinstance(x, str) for x in order)
                or not isinstance(panel, list) or not all(isinstance(x, str) for x in panel)
                or not isinstance(seed, str)):
            raise InputError.single("bad-alternates", tr(
                "malformed alternates document (order, panel and seed are required)"),
                column="order")
        expected = sorted(order, key=lambda pid: (alternate_key(seed, pid), pid))
        if list(order) != expected:
            raise InputError.single("bad-alternates", tr(
                "the order is not the alternates in the public key order of the recorded "
                "seed"), column="order")
        return tuple(order), seed, tuple(panel)


@attrs.frozen
class LossEstimate:
    r"""Quota loss after dropouts of one alternates set, over sampled scenarios.

    Attributes
    ----------
    mean : float
        Mean loss :math:`\\frac1S \\sum_s \\ell_s`.
    std_error : float
        Its standard error (sample standard deviation over :math:`\\sqrt S`).
    valid_share : float
        Share of scenarios whose final panel meets every quota (loss 0).
    unfilled : float
        Mean number of seats left empty (the fewest any best filling leaves).
    scenarios : int
    stream : str
    """

    mean: float
    std_error: float
    valid_share: float
    unfilled: float
    scenarios: int
    stream: str


@attrs.frozen(eq=False)
class AlternatesComparison:
    """ERM alternates against the quota-based baseline, on the same held-out scenarios."""

    erm: ErmAlternates
    baseline: tuple[str, ...]
    erm_loss: LossEstimate
    baseline_loss: LossEstimate

    def as_dict(self) -> dict[str, Any]:
        """Aggregates only."""
        return {"erm": attrs.asdict(self.erm_loss), "baseline": attrs.asdict(self.baseline_loss),
                "training_objective": self.erm.objective, "status": self.erm.status}


# ------------------------------------------------------------------------------ helpers
def _probabilities(dropout: DropoutModel | FloatArray | Sequence[float], pool: Pool,
                   fn: str) -> FloatArray:
    if isinstance(dropout, DropoutModel):
        return dropout.probabilities(pool)
    p = np.asarray(dropout, dtype=float)
    if p.shape != (pool.n,) or np.any(~np.isfinite(p)) or np.any((p < 0) | (p >= 1)):
        raise InputError.single("bad-probability", tr(
            "{fn}(dropout=...): expected a DropoutModel or one probability in [0, 1) per "
            "person of the pool", fn=fn), column="dropout")
    return p


def _count(count: object, fn: str) -> int:
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        raise InputError.single("bad-count", tr("{fn}(count=...): expected a positive integer",
                                                fn=fn), column="count", value=repr(count))
    return int(count)


def _scenario_count(n: object, fn: str, name: str) -> int:
    value = as_int(n, f"{fn}({name}=...)", expected="a number of scenarios (int)", column=name)
    if value < 1:
        raise InputError.single("bad-scenarios", tr("{fn}({name}=...): expected a positive "
                                                    "number of scenarios", fn=fn, name=name),
                                column=name, value=repr(n))
    return value


def _kept(rows: _Rows, panel: Sequence[int], panel_out: np.ndarray[Any, Any]) -> FloatArray:
    """Row counts of the kept members in each scenario, (S, R)."""
    member = rows.member[:, list(panel)]            # (R, k)
    out: FloatArray = (~panel_out).astype(float) @ member.T
    return out


def _caps(members: Sequence[Sequence[int]], hh: Sequence[str | None] | None,
          count: int) -> list[int]:
    """Slots per candidate type: its distinct households, at most ``count``.

    People without a household key count singly.

    Raises
    ------
    InfeasibleError
        Fewer slots in all than ``count``.
    """
    caps = [min(len(ms) if hh is None else household_count(hh, ms), count) for ms in members]
    if sum(caps) < count:
        raise InfeasibleError(tr("only {n} people are eligible for {seats} alternates (off the "
                                 "panel, not excluded, no housemate on the panel)",
                                 n=sum(caps), seats=count))
    return caps


def _recap(caps: Sequence[int], count: int) -> None:
    """After a type fell short: refuse when the slots left cannot give ``count`` alternates.

    The program sees households within a type (its slots are distinct households) but not
    across types; when housemates of different types are chosen, the types that fell short
    are re-capped at what they could give and the program is solved again. Caps only
    decrease, so this ends.
    """
    if sum(caps) < count:
        raise InfeasibleError(tr("only {n} alternates can be chosen without two from one "
                                 "household (housemates of different groups), fewer than "
                                 "{count}", n=sum(caps), count=count))


def _tie_weights(seed: str, keys: Sequence[str]) -> IntArray:
    """The public second-objective weight of each slot, in ``1..TIE_WEIGHTS`` (module docstring)."""
    head = f"{TIE_PROCEDURE}\n{seed}\n"
    return np.array([1 + int.from_bytes(hashlib.sha256(f"{head}{key}".encode()).digest(),
                                        "big") % TIE_WEIGHTS for key in keys], dtype=np.int64)


def _program(rows: _Rows, p: FloatArray, members: Sequence[Sequence[int]],
             caps: Sequence[int], panel: Sequence[int], panel_keys: Sequence[str],
             type_values: Sequence[str], count: int, seed: str, scenarios: int,
             time_limit: float | None
             ) -> tuple[_Solved, FloatArray, IntArray, np.ndarray[Any, np.dtype[np.bool_]],
                        np.ndarray[Any, np.dtype[np.bool_]]]:
    """Sample the training scenarios and solve the ERM program.

    ``members`` are the candidates of each type (``type_values``) in public key order, ``caps``
    their slots, ``panel`` the panel's rows with their scenario keys ``panel_keys``. Returns
    the solution, :math:`a_{r,t}`, the slot types and the panel's and slots' outages.
    """
    a = np.array([rows.member[:, ms[0]] for ms in members]).T      # (R, T)
    slot_type = np.array([t for t, c in enumerate(caps) for _ in range(c)], dtype=np.int64)
    slot_keys = [f"slot/{type_values[t]}/{j}" for t, c in enumerate(caps) for j in range(c)]
    slot_p = np.array([p[members[t][0]] for t in slot_type])
    panel_out = _out(seed, "train", scenarios, panel_keys, p[list(panel)])
    slot_out = _out(seed, "train", scenarios, slot_keys, slot_p)
    kept = _kept(rows, panel, panel_out)
    solved = _solve(rows.lo, rows.hi, a, kept, panel_out.sum(axis=1), slot_type=slot_type,
                    slot_out=slot_out, slot_weight=_tie_weights(seed, slot_keys), count=count,
                    time_limit=time_limit)
    return solved, a, slot_type, panel_out, slot_out


def _type_counts(solved: _Solved, slot_type: IntArray, types: int) -> IntArray:
    """:math:`z_t` of an ERM solution."""
    assert solved.y is not None
    z: IntArray = np.bincount(slot_type[solved.y > 0], minlength=types)
    return z


# ------------------------------------------------------------------------------- the API
def erm_alternates(pool: Pool, quotas: Quotas, panel: Sequence[str], count: int, seed: str, *,
                   dropout: DropoutModel | FloatArray | Sequence[float],
                   scenarios: int = DEFAULT_SCENARIOS, households: bool = True,
                   excluded: Sequence[str] = (), time_limit: float | None = None
                   ) -> ErmAlternates:
    """Choose ``count`` alternates minimising the mean loss over sampled dropout scenarios.

    See the module docstring for the loss, the replacement rule and the integer program.

    Parameters
    ----------
    pool, quotas : Pool, Quotas
    panel : sequence of str
        The drawn panel.
    count : int
        Number of alternates.
    seed : str
        Public seed: the training scenarios (stream ``"train"``) and the order.
    dropout : DropoutModel or array
        Each person's dropout probability (:mod:`civicsortition.dropout`), or the model.
    scenarios : int
        Training scenarios ``S``.
    households : bool
        No alternate shares a household with a panel member or another alternate.
    excluded : sequence of str
        People who cannot serve.
    time_limit : float, optional
        Seconds for the solver; the best set found is returned (``status="time limit"``).

    Returns
    -------
    ErmAlternates

    Raises
    ------
    TypeError
        Wrong argument types (as :func:`~civicsortition.replacements.prepare_alternates`).
    InputError
        ``bad-count``, ``bad-scenarios``, ``bad-probability``, ``bad-seed``, unknown ids.
    InfeasibleError
        Fewer eligible people than ``count``.

    Examples
    --------
    >>> from civicsortition.examples import rustavi_example
    >>> from civicsortition.dropout import dropout_rates
    >>> pool, quotas = rustavi_example(12)
    >>> panel = pool.ids[:12]
    >>> alt = erm_alternates(pool, quotas, panel, 2, "seed", scenarios=5,
    ...                      dropout=dropout_rates({"sex": {"female": 0.1, "male": 0.1}}))
    >>> len(alt.order)
    2
    """
    fn = "erm_alternates"
    _check_common(fn, pool, quotas)
    count = _count(count, fn)
    S = _scenario_count(scenarios, fn, "scenarios")
    seed = normalise_seed(seed)
    p = _probabilities(dropout, pool, fn)
    panel_rows = _ids(pool, panel, "panel", fn)
    candidates = _eligible(pool, panel_rows, panel_rows, _ids(pool, excluded, "excluded", fn),
                           bool(households))
    # value types among the candidates, members in public key order
    by_type: dict[str, list[int]] = {}
    for i in candidates:
        by_type.setdefault(_value_key(pool, i), []).append(i)
    type_values = tuple(sorted(by_type))
    members = [sorted(by_type[v], key=lambda i: (alternate_key(seed, pool.ids[i]), pool.ids[i]))
               for v in type_values]
    hh = pool.households if households else None
    caps = _caps(members, hh, count)
    rows = _Rows.of(pool, quotas)
    ordered_panel = sorted(panel_rows, key=lambda i: pool.ids[i])
    while True:
        program = _program(rows, p, members, caps, ordered_panel,
                           [f"panel/{pool.ids[i]}" for i in ordered_panel], type_values, count,
                           seed, S, time_limit)
        solved, a, slot_type, panel_out, slot_out = program
        z = _type_counts(solved, slot_type, len(type_values))
        chosen: list[int] = []
        taken: set[str] = set()
        short = False
        for t, want in enumerate(z):
            got = _first_of_distinct_households(members[t], int(want), hh, taken)
            chosen += got
            if len(got) < want:     # housemates chosen in other types took these places
                caps[t], short = len(got), True
        if not short:
            break
        _recap(caps, count)
    order = tuple(sorted((pool.ids[i] for i in chosen), key=lambda pid: (alternate_key(seed, pid),
                                                                          pid)))
    return ErmAlternates(order, seed, tuple(pool.ids[i] for i in ordered_panel),
                         solved.objective, solved.status, S, type_values, a, z, slot_type,
                         panel_out, slot_out, rows.labels, solved.seconds)


def expected_loss(pool: Pool, quotas: Quotas, panel: Sequence[str], alternates: Sequence[str],
                  seed: str, *, dropout: DropoutModel | FloatArray | Sequence[float],
                  scenarios: int = DEFAULT_TEST_SCENARIOS, stream: str = "test"
                  ) -> LossEstimate:
    """Mean quota loss after dropouts when the seats are filled from ``alternates``.

    Each scenario (stream ``stream`` of ``seed``) drops panel members and makes alternates
    unavailable person by person; the seats are filled by the best subset of the available
    alternates (module docstring), found exactly by one integer program over all scenarios;
    among equally good subsets, one filling the most seats (so every figure returned is
    determined by the inputs, not by the solver).

    Returns
    -------
    LossEstimate

    Raises
    ------
    TypeError, InputError
        As :func:`erm_alternates` (``alternate-on-panel`` if an alternate is on the panel).
    """
    fn = "expected_loss"
    _check_common(fn, pool, quotas)
    S = _scenario_count(scenarios, fn, "scenarios")
    seed = normalise_seed(seed)
    if not isinstance(stream, str) or not stream:
        raise InputError.single("bad-stream", tr("{fn}(stream=...): expected a non-empty name",
                                                 fn=fn), column="stream")
    p = _probabilities(dropout, pool, fn)
    panel_rows = sorted(_ids(pool, panel, "panel", fn), key=lambda i: pool.ids[i])
    alt_rows = _ids(pool, alternates, "alternates", fn)
    both = set(panel_rows) & set(alt_rows)
    if both:
        raise InputError.single("alternate-on-panel", tr("{fn}: an alternate is on the panel",
                                                         fn=fn),
                                column="alternates", value=pool.ids[min(both)])
    rows = _Rows.of(pool, quotas)
    panel_out = _out(seed, stream, S, [f"panel/{pool.ids[i]}" for i in panel_rows],
                     p[panel_rows])
    kept = _kept(rows, panel_rows, panel_out)
    seats = panel_out.sum(axis=1)
    keys = sorted({_value_key(pool, i) for i in alt_rows})
    type_of = [keys.index(_value_key(pool, i)) for i in alt_rows]
    alt_out = _out(seed, stream, S, [f"person/{pool.ids[i]}" for i in alt_rows], p[alt_rows])
    avail = np.zeros((S, len(keys)), dtype=np.int64)
    for j, t in enumerate(type_of):
        avail[:, t] += ~alt_out[:, j]
    a = np.zeros((len(rows.lo), len(keys)))
    for j, t in enumerate(type_of):
        a[:, t] = rows.member[:, alt_rows[j]]
    solved = _solve(rows.lo, rows.hi, a, kept, seats, avail=avail)
    assert solved.used is not None
    final = kept + solved.used @ a.T
    losses = rows.loss(final)
    unfilled = seats - solved.used.sum(axis=1)
    sd = float(np.std(losses, ddof=1)) if S > 1 else 0.0
    return LossEstimate(float(losses.mean()), sd / math.sqrt(S),
                        float(np.mean(losses < 0.5)), float(unfilled.mean()), S, stream)


def compare_alternates(pool: Pool, quotas: Quotas, panel: Sequence[str], count: int, seed: str,
                       *, dropout: DropoutModel | FloatArray | Sequence[float],
                       scenarios: int = DEFAULT_SCENARIOS,
                       test_scenarios: int = DEFAULT_TEST_SCENARIOS, households: bool = True,
                       algorithm: str = "leximin", time_limit: float | None = None,
                       **options: Any) -> AlternatesComparison:
    """ERM alternates against the quota-based ones, on the same held-out scenarios.

    The baseline is :func:`~civicsortition.replacements.prepare_alternates` with the same seed;
    both are evaluated by :func:`expected_loss` (stream ``"test"``).

    Returns
    -------
    AlternatesComparison

    Raises
    ------
    As :func:`erm_alternates` and :func:`~civicsortition.replacements.prepare_alternates`.
    """
    require(households, bool, "compare_alternates(households=...)", "True or False")
    erm = erm_alternates(pool, quotas, panel, count, seed, dropout=dropout, scenarios=scenarios,
                         households=households, time_limit=time_limit)
    base = prepare_alternates(pool, quotas, panel, count, seed, algorithm=algorithm,
                              households=households, **options)
    test = _scenario_count(test_scenarios, "compare_alternates", "test_scenarios")
    return AlternatesComparison(
        erm, base.order,
        expected_loss(pool, quotas, panel, erm.order, seed, dropout=dropout, scenarios=test),
        expected_loss(pool, quotas, panel, base.order, seed, dropout=dropout, scenarios=test))


def _first_of_distinct_households(candidates: Sequence[int], count: int,
                                 households: Sequence[str | None] | None,
                                 taken: set[str]) -> list[int]:
    """The first ``count`` candidates, in order, skipping a household already in ``taken``.

    ``taken`` is updated with the households of those chosen (people without a household
    key never clash).
    """
    chosen: list[int] = []
    for i in candidates:
        if len(chosen) == count:
            break
        h = None if households is None else households[i]
        if h:
            if h in taken:
                continue
            taken.add(h)
        chosen.append(i)
    return chosen
