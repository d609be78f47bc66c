r"""DIVERSIMAX: one panel composition as even as possible across intersections of categories.

A deterministic baseline (the peer library sortition-algorithms offers it since 0.11): no
lottery over compositions at all. For every non-empty set :math:`C` of categories (smallest
sets first, at most ``max_cells`` cells in all) and every *cell* -- a combination of one value
of each category in :math:`C`, among the values present in the pool -- the panel's count in
the cell should be near the even share :math:`k / |\text{cells of } C|`:

.. math::

    \min_{c} \sum_{C} \sum_{\text{cell} \in C}
        \Big| \sum_{t \in \text{cell}} c_t - \frac{k}{|\text{cells of } C|} \Big|
    \quad\text{s.t. the quotas and the household rule,}

an integer program over the type counts :math:`c_t \in 0..n_t` with one continuous variable per
cell for the absolute value, solved to optimality. The result is a
:class:`~civicsortition.distribution.Distribution` with a single profile: the composition is
fixed, and only *which* members of each type sit on the panel is drawn (uniformly, by the
public draw) -- so people of the same type keep equal chances, but the chances of different
types are whatever the composition makes them, with no fairness guarantee.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import attrs
import numpy as np

from .._typing import FloatArray
from ..backends.recovery import check_solved
from ..distribution import Distribution, Extra
from ..errors import InputError, Status
from ..pool import Pool
from ..quotas import Quotas
from ._core import Progress, details, options_record, setup, stopped_message

__all__ = ["DEFAULT_MAX_CELLS", "DiversimaxExtra", "diversimax", "intersection_cells"]

#: Cells considered at most (sets of categories are taken smallest first until the next set
#: would pass the limit).
DEFAULT_MAX_CELLS = 2000


@attrs.frozen(eq=False)
class DiversimaxExtra(Extra):
    """DIVERSIMAX's record in ``details.extra``.

    Attributes
    ----------
    loss : float
        The objective: total absolute deviation of the cells from their even shares.
    cells : int
        Cells in the objective.
    category_sets : int
        Sets of categories whose cells were used.
    """

    loss: float
    cells: int
    category_sets: int


def intersection_cells(pool: Pool, max_cells: int = DEFAULT_MAX_CELLS
                       ) -> list[tuple[tuple[int, ...], FloatArray, float]]:
    """The cells of DIVERSIMAX: ``(category indices, membership by person, even share)``.

    Sets of categories in order of size, then of their indices; every combination of values
    present in the pool is a cell (empty ones too: their deviation is constant). The share of
    a cell is ``1 / (number of cells of its set)`` (times ``k`` in the objective).
    """
    present = [sorted({int(v) for v in pool.codes[:, j]}) for j in range(len(pool.strata))]
    out: list[tuple[tuple[int, ...], FloatArray, float]] = []
    for size in range(1, len(present) + 1):
        for cats in itertools.combinations(range(len(present)), size):
            combos = list(itertools.product(*(present[j] for j in cats)))
            if len(out) + len(combos) > max_cells:
                return out
            for combo in combos:
                member = np.all(pool.codes[:, list(cats)] == np.array(combo), axis=1)
                out.append((cats, member.astype(float), 1.0 / len(combos)))
    return out


def diversimax(pool: Pool, quotas: Quotas, *, households: bool = True,
               backend: str | None = None, max_cells: int = DEFAULT_MAX_CELLS,
               progress: Progress | None = None,
               time_limit: float | None = None) -> Distribution:
    """The panel composition closest to even across intersections (a single profile).

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    households : bool
        At most one selected member per household (when the pool has household keys).
    backend : str, optional
        ``"highs"`` (default), ``"pulp"`` or ``"pulp:SOLVER"``.
    max_cells : int
        Cells considered at most (see :func:`intersection_cells`).
    progress, time_limit
        As for every algorithm; ``time_limit`` also bounds the integer program.

    Returns
    -------
    Distribution
        One profile with probability 1; ``details.objective`` is minus the loss (the
        integer program is solved to optimality: ``bound == objective``);
        ``details.extra`` is a :class:`DiversimaxExtra`.

    Raises
    ------
    InputError
        ``bad-max-cells`` for a limit that is not a positive integer.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 0, 2), ValueQuota("sex", "m", 0, 2)])
    >>> d = diversimax(pool, quotas)
    >>> len(d.probabilities), d.details.extra.loss
    (1, 0.0)
    """
    if isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1:
        raise InputError.single("bad-max-cells", "max_cells must be a positive integer",
                                value=repr(max_cells))
    run = setup(pool, quotas, households=households, backend=backend, tol=1e-6,
                progress=progress, max_iterations=1, coverage=False, time_limit=time_limit)
    prog = run.program
    k = prog.panel_size
    cells = intersection_cells(pool, max_cells)
    T, n_cells = prog.n_types, len(cells)
    # cell membership by type (all members of a type share every value)
    first = np.array([int(m[0]) for m in prog.members])
    member = np.array([c[1][first] for c in cells]).reshape(n_cells, T)
    target = np.array([k * c[2] for c in cells])
    A = np.vstack([np.hstack([prog.A, np.zeros((len(prog.A), n_cells))]),
                   np.hstack([member, -np.eye(n_cells)]),
                   np.hstack([member, np.eye(n_cells)])])
    row_lo = np.concatenate([prog.row_lo, np.full(n_cells, -np.inf), target])
    row_hi = np.concatenate([prog.row_hi, target, np.full(n_cells, np.inf)])
    weights = np.concatenate([np.zeros(T), -np.ones(n_cells)])
    var_lo = np.zeros(T + n_cells)
    var_hi = np.concatenate([prog.sizes.astype(float), np.full(n_cells, np.inf)])
    integer = np.concatenate([np.ones(T, dtype=bool), np.zeros(n_cells, dtype=bool)])
    res = run.backend.milp(weights, A, row_lo, row_hi, var_lo, var_hi, integer=integer,
                           time_limit=run.remaining())
    run.iterations += 1
    stopped = res.status is Status.LIMIT  # the time limit: the incumbent, or setup's panel
    if not stopped:
        check_solved(res, "diversimax integer program")
        assert res.x is not None
    if stopped:
        run.stop_reason = "time limit"
    profile = (np.rint(res.x[:T]).astype(np.int64) if res.x is not None
               else np.asarray(run.columns[0], dtype=np.int64))
    counts = member @ profile
    loss = float(np.abs(counts - target).sum())
    options: dict[str, Any] = options_record(households=households, max_cells=max_cells,
                                             time_limit=time_limit)
    extra = DiversimaxExtra(loss=loss, cells=n_cells,
                            category_sets=len({c[0] for c in cells}))
    message = (f"one composition, intersection loss {loss:.6f} over {n_cells} cells "
               "(deterministic: no lottery over compositions)")
    bound = -loss
    if stopped:
        proven = float(res.bound) if res.x is not None and math.isfinite(res.bound) else 0.0
        bound = max(proven, -loss)  # the solver's bound on -loss (0: the loss is >= 0)
        message = f"{stopped_message(run, 'optimal')}; " + message
    record = details(run, "diversimax", objective=-loss, bound=bound, converged=not stopped,
                     stages=1, options=options, extra=extra, message=message)
    return Distribution(prog, profile[None, :], np.ones(1), record, run.uncovered_people())
