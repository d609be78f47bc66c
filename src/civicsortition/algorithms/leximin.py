"""LEXIMIN: maximise the minimum probability, then the second smallest, and so on.

Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596 (2021). Computed exactly with open-source LP/MIP solvers by
*progressive filling*: stage ``s`` solves the max-min LP of
:mod:`~civicsortition.algorithms._core` to optimality by column generation; by complementary
slackness every unfixed type with a positive dual price ``y_t`` has ``π_t = z_s`` in *every*
optimal solution, so those types are fixed at ``z_s`` and the next stage raises the others.
Since the prices of unfixed types sum to 1, every stage fixes at least one type; there are at
most ``T`` stages.
"""

from __future__ import annotations

import numpy as np

from ..distribution import Distribution, RunDetails
from ..pool import Pool
from ..quotas import Quotas
from ._core import (
    DEFAULT_TOL,
    FIX_SLACK,
    Progress,
    max_min_stage,
    options_record,
    pad,
    setup,
)

__all__ = ["leximin"]

#: A type is fixed when its dual price exceeds this. Prices of unfixed types sum to 1, so the
#: largest is at least 1/T; a price this small is solver noise, and not fixing on noise only
#: costs an extra stage, whereas fixing on noise would cap a person's probability too low.
FIX_PRICE = 1e-6


def leximin(pool: Pool, quotas: Quotas, *, households: bool = True,
            backend: str | None = None, tol: float = DEFAULT_TOL,
            max_iterations: int = 10_000, progress: Progress | None = None) -> Distribution:
    """The LEXIMIN lottery (unique in its marginals).

    Parameters are as in :func:`~civicsortition.algorithms.maximin.maximin`.

    Returns
    -------
    Distribution
        ``details.extra["stages"]`` lists each stage's value, certified bound and the number of
        people fixed; ``details.bound`` certifies the first stage (the maximin value).

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> sorted({round(float(p), 6) for p in leximin(pool, quotas).marginals})
    [0.25, 0.5]
    """
    run = setup(pool, quotas, households=households, backend=backend, tol=tol,
                progress=progress, max_iterations=max_iterations)
    prog = run.program
    active = np.ones(prog.n_types, dtype=bool)
    active[run.uncovered_types] = False
    master = run.open_master(np.flatnonzero(active))
    fixed = np.full(prog.n_types, np.nan)
    stages: list[dict[str, float]] = []
    first_bound = np.nan
    converged = True
    x = np.ones(len(run.columns)) / max(len(run.columns), 1)
    while active.any() and np.isnan(fixed[active]).any():
        stage = max_min_stage(run, fixed, f"leximin stage {len(stages) + 1}")
        x = stage.x
        if not stages:
            first_bound = stage.bound
        unfixed = active & np.isnan(fixed)
        newly = unfixed & (stage.y > FIX_PRICE)
        if not newly.any():  # cannot happen with exact duals; guard against solver noise
            newly = unfixed & (stage.y >= stage.y[unfixed].max())
        fixed[newly] = stage.value
        for t in np.flatnonzero(newly):
            master.fix(int(t), stage.value - FIX_SLACK)
        stages.append({"value": stage.value, "bound": stage.bound,
                       "people_fixed": int(prog.sizes[newly].sum()),
                       "converged": stage.converged})
        if not stage.converged:
            converged = False
            fixed[unfixed] = stage.value  # stop: report what we have, honestly
            break
    profiles = np.array(run.columns)
    weights = pad(x, len(profiles))
    keep = weights > 0
    first = stages[0]["value"] if stages else 0.0
    details = RunDetails(
        algorithm="leximin", backend=run.backend.name, backend_version=run.backend.version(),
        objective=first, bound=first_bound, gap=first_bound - first, converged=converged,
        iterations=run.iterations, stages=len(stages), seconds=run.seconds(),
        n_types=prog.n_types,
        options=options_record(households=households, tol=tol, max_iterations=max_iterations),
        message=(f"leximin in {len(stages)} stages; minimum {first:.6f} (certified bound "
                 f"{first_bound:.6f})" if converged else
                 "stopped at max_iterations: the lottery is valid but not proven leximin"),
        extra={"stages": stages})
    uncovered = tuple(int(i) for t in run.uncovered_types for i in prog.members[t])
    return Distribution(prog, profiles[keep], weights[keep], details, uncovered)
