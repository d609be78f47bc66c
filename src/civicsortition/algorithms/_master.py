r"""The max-min master LP, written once on the persistent-model capability.

The restricted master of :mod:`~civicsortition.algorithms._core` over the panel columns
generated so far. Variables: ``z`` (column 0, free) and one weight ``x_S ≥ 0`` per panel
column. Rows: one per active type ``t``,

.. math::

    \sum_S a_{S,t} x_S - u_t z \ge b_t \qquad (u_t = 1,\ b_t = \text{target while unfixed};
    \ u_t = 0,\ b_t = f_t \text{ once fixed}),

and :math:`\sum_S x_S = 1`. Objective: minimise :math:`-z`. The model is kept alive
(:func:`civicsortition.backends.open_model` with ``warm_start=True``): columns are appended and
types fixed by re-bounding, so a native model warm-starts from its last basis; any other
backend rebuilds the same LP through its stateless calls.
"""

from __future__ import annotations

import numpy as np

from .._typing import FloatArray, IntArray
from ..backends import Backend, LpResult, open_model

__all__ = ["MasterLP"]


class MasterLP:
    """The max-min master LP over the active ``types`` (see the module docstring).

    Parameters
    ----------
    backend : Backend
    types : ndarray of int
        The types with a row (the active ones), in row order.
    """

    def __init__(self, backend: Backend, types: IntArray) -> None:
        self.types = np.asarray(types, dtype=np.int64)
        self.row_of = {int(t): r for r, t in enumerate(self.types)}
        R = len(self.types)
        self.model = model = open_model(backend, warm_start=True, label="master LP")
        model.add_rows(np.concatenate([np.zeros(R), [1.0]]),
                       np.concatenate([np.full(R, np.inf), [1.0]]))
        z = np.concatenate([-np.ones(R), [0.0]])
        model.add_columns(np.array([-1.0]), np.array([-np.inf]), np.array([np.inf]), z[:, None])
        model.set_maximize(False)  # min -z
        self.m = 0

    def add_column(self, coverage: FloatArray) -> None:
        """Append a panel column with coverage vector ``a`` (indexed by type)."""
        a = np.concatenate([coverage[self.types], [1.0]])
        self.model.add_columns(np.zeros(1), np.zeros(1), np.array([np.inf]), a[:, None])
        self.m += 1

    def set_target(self, t: int, value: float) -> None:
        """Make type ``t``'s (unfixed) row ``π_t − z ≥ value``."""
        r = self.row_of[t]
        self.model.set_row_bounds(np.array([r]), np.array([value]), np.array([np.inf]))

    def fix(self, t: int, value: float) -> None:
        """Turn type ``t``'s row into ``π_t ≥ value``."""
        r = self.row_of[t]
        self.model.set_coefficient(r, 0, 0.0)
        self.model.set_row_bounds(np.array([r]), np.array([value]), np.array([np.inf]))

    def solve(self) -> LpResult:
        """Solve (warm-started where native); return x = (z, weights...) and duals.

        ``duals_ub`` holds the price ``y_t`` of every type row (``≥`` rows of a minimisation:
        non-negative), ``duals_eq`` the dual of ``Σ x = 1``. A non-optimal answer has gone
        through the model's recovery ladder first.
        """
        res = self.model.solve()
        if res.duals is None or res.x is None:
            return LpResult(res.status, res.x, res.objective, None, None, res.raw)
        return LpResult(res.status, res.x, res.objective, res.duals[:-1], res.duals[-1:],
                        res.raw)
