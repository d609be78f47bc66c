"""Lottery algorithms and their registry.

``find_distribution(pool, quotas, algorithm="leximin")`` dispatches by id; a callable with the
same signature is accepted too. Every result records the resolved algorithm and backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..distribution import Distribution
from ..errors import InputError
from ..pool import Pool
from ..quotas import Quotas
from .legacy import legacy
from .leximin import leximin
from .maximin import maximin
from .nash import nash

__all__ = ["ALGORITHMS", "DEFAULT_ALGORITHM", "find_distribution", "legacy", "leximin",
           "maximin", "nash"]

Algorithm = Callable[..., Distribution]

#: Registered algorithms: id -> (function, human name).
ALGORITHMS: dict[str, tuple[Algorithm, str]] = {
    "leximin": (leximin, "LEXIMIN (Flanigan et al. 2021)"),
    "maximin": (maximin, "MAXIMIN"),
    "nash": (nash, "Nash welfare (maximise Σ log π)"),
    "legacy": (legacy, "LEGACY greedy sequential draw (Monte Carlo)"),
}

#: The default; it may change between minor versions, and every result records the one used.
DEFAULT_ALGORITHM = "leximin"


def find_distribution(pool: Pool, quotas: Quotas, *, algorithm: str | Algorithm = "leximin",
                      **options: Any) -> Distribution:
    """Compute a lottery over panels with the chosen algorithm.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    algorithm : str or callable
        ``"leximin"`` (default), ``"maximin"``, ``"nash"``, ``"legacy"``, or a callable
        ``f(pool, quotas, **options) -> Distribution``.
    **options
        Passed to the algorithm (``backend``, ``households``, ``tol``, ``progress``, ...).

    Returns
    -------
    Distribution

    Raises
    ------
    InputError
        Unknown algorithm or bad options.
    civicsortition.program.InfeasibleQuotasError
        No panel satisfies the quotas (with a suggested relaxation).
    """
    if callable(algorithm):
        return algorithm(pool, quotas, **options)
    key = algorithm.strip().lower()
    if key not in ALGORITHMS:
        raise InputError.single("unknown-algorithm", f"expected one of {sorted(ALGORITHMS)}",
                                value=algorithm)
    return ALGORITHMS[key][0](pool, quotas, **options)
