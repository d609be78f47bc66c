"""Adapter to the peer library *sortition-algorithms* for side-by-side runs (optional).

The peer (Sortition Foundation, GPL-3.0) is **not** a dependency and none of its code is part of
civicsortition: this module only converts our pool and quotas into the peer's public input
format and calls its public functions when the package is installed
(``pip install 'civicsortition[peer]'``). Its LEXIMIN needs the commercial Gurobi solver; its
MAXIMIN, NASH and LEGACY run with open-source solvers.
"""

from __future__ import annotations

import contextlib
import io
import time
from typing import Any

import attrs
import numpy as np

from ..pool import Pool
from ..quotas import Quotas

__all__ = ["PeerResult", "peer_available", "peer_distribution", "peer_version"]

HOUSEHOLD_COLUMN = "household"


def peer_available() -> bool:
    """Whether ``sortition_algorithms`` can be imported."""
    try:
        import sortition_algorithms  # noqa: F401
    except ImportError:
        return False
    return True


def peer_version() -> str | None:
    """The installed peer version, or None."""
    try:
        from importlib.metadata import version

        return version("sortition-algorithms")
    except Exception:
        return None


@attrs.frozen(eq=False)
class PeerResult:
    """The peer's lottery, as per-person marginals aligned with our pool.

    Attributes
    ----------
    algorithm : str
    panels : list of frozenset of str
    probabilities : ndarray
    marginals : ndarray
        Aligned with ``pool.ids``.
    seconds : float
        Wall time of the peer's call (input conversion excluded).
    """

    algorithm: str
    panels: list[frozenset[str]]
    probabilities: np.ndarray
    marginals: np.ndarray
    seconds: float


def _inputs(pool: Pool, quotas: Quotas, households: bool) -> tuple[Any, Any, list[str]]:
    import sortition_algorithms as sa

    head = ["feature", "value", "min", "max"]
    body = [{"feature": q.category, "value": q.value, "min": str(q.min), "max": str(q.max)}
            for q in quotas]
    features, *_ = sa.read_in_features(head, body, quotas.panel_size)
    address = households and pool.households is not None
    cols = ["id", *pool.strata.names] + ([HOUSEHOLD_COLUMN] if address else [])
    people_rows = []
    for i, rec in enumerate(pool.records()):
        row = {c: rec[c] for c in ["id", *pool.strata.names]}
        if address:
            assert pool.households is not None
            # People without a household get a key of their own.
            row[HOUSEHOLD_COLUMN] = pool.households[i] or f"__single_{i}"
        people_rows.append(row)
    settings = sa.Settings(id_column="id", columns_to_keep=[], check_same_address=address,
                           check_same_address_columns=[HOUSEHOLD_COLUMN] if address else [])
    people, _ = sa.read_in_people(cols, people_rows, features, settings)
    return features, people, [HOUSEHOLD_COLUMN] if address else []


def peer_distribution(pool: Pool, quotas: Quotas, algorithm: str = "maximin", *,
                      households: bool = True, quiet: bool = True) -> PeerResult:
    """Run the peer's ``maximin``, ``nash`` or ``leximin`` (Gurobi only) on our instance.

    Raises
    ------
    ImportError
        If the peer is not installed.
    ValueError
        For another algorithm name.
    """
    from sortition_algorithms import committee_generation as cg

    funcs = {"maximin": cg.find_distribution_maximin, "nash": cg.find_distribution_nash,
             "leximin": cg.find_distribution_leximin}
    if algorithm not in funcs:
        raise ValueError(f"peer algorithm must be one of {sorted(funcs)}")
    features, people, address = _inputs(pool, quotas, households)
    sink = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        panels, probs, _ = funcs[algorithm](features, people, quotas.panel_size, address)
    seconds = time.perf_counter() - started
    index = {pid: i for i, pid in enumerate(pool.ids)}
    pi = np.zeros(pool.n)
    p = np.asarray(probs, dtype=float)
    for panel, x in zip(panels, p, strict=True):
        for m in panel:
            pi[index[str(m)]] += x
    return PeerResult(algorithm, list(panels), p, pi, seconds)
