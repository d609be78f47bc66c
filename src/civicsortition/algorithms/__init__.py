"""Lottery algorithms and their registry.

``find_distribution(pool, quotas, algorithm="leximin")`` dispatches through
:data:`ALGORITHMS` (:mod:`~civicsortition.algorithms.registry`: id, display name, function and
options of every algorithm); a callable with the same signature is accepted too. Every result
records the resolved algorithm and backend.

One module per algorithm (:mod:`.leximin`, :mod:`.maximin`, :mod:`.nash`, :mod:`.minimax`,
:mod:`.goldilocks`, :mod:`.lp`, :mod:`.endtoend`, :mod:`.maxentropy`,
:mod:`.fair_maxentropy`, :mod:`.diversimax`, :mod:`.legacy`); none imports another
(MINIMAX and GOLDILOCKS share the epigraph master of :mod:`._epigraph`, ℓp the Frank–Wolfe
core of :mod:`._convex`, with NASH and END-TO-END; END-TO-END takes per-person targets and
is called directly, not through the registry). What they share lives in shared modules:
:mod:`._core` (the run, setup, the max-min column generation, the run-details builder),
:mod:`._master` (the master LP), :mod:`._pricing` (pricing and the LP dive),
:mod:`.feasibility` (a feasible panel, the minimal relaxation), :mod:`.relaxation`,
:mod:`.decompose`, :mod:`.fast_path` (the LP-relaxation fast path) and :mod:`.staged`
(progressive filling). Importing the package loads no SciPy and no solver library: they are
imported on first solve.

For a new algorithm (``docs/extending.md``): :func:`setup` formulates the program and finds
panels covering every coverable type (a :class:`Run`), :func:`run_details` builds the
:class:`~civicsortition.distribution.RunDetails`, :func:`options_record` makes options
JSON-friendly, :class:`Extra` is the base of an algorithm's typed record, and
:func:`register_algorithm` makes the algorithm known to ``find_distribution``, the command line
and the experiment grids.

Embedding: every algorithm takes ``time_limit=`` (seconds) and stops early, with the best valid
lottery found so far and ``details.converged=False``, when it runs out or when the ``progress``
callback returns ``False``; :func:`progress_bar` is a ready-made callback (tqdm when
installed). Runs log to ``logging.getLogger("civicsortition")`` (stages at INFO, solver calls
at DEBUG; never personal data).
"""

from __future__ import annotations

from ..distribution import Extra
from ._core import Progress, Run, options_record, setup
from ._core import details as run_details
from ._counting import PanelCount, count_panels
from ._epigraph import EpigraphExtra
from .diversimax import DiversimaxExtra, diversimax
from .endtoend import EndToEndExtra, end_to_end
from .fair_maxentropy import FairMaxEntropyExtra, fair_maxentropy
from .goldilocks import goldilocks
from .legacy import LegacyExtra, legacy
from .leximin import LeximinExtra, leximin
from .lp import lp
from .maxentropy import MaxEntropyExtra, maxentropy
from .maximin import MaximinExtra, maximin
from .minimax import minimax
from .nash import NashExtra, nash
from .progress import ProgressBar, progress_bar
from .registry import (
    ALGORITHMS,
    BUDGET_OPTIONS,
    COMMON_OPTIONS,
    DEFAULT_ALGORITHM,
    Algorithm,
    AlgorithmSpec,
    Option,
    find_distribution,
    register_algorithm,
)

__all__ = [
    "ALGORITHMS",
    "BUDGET_OPTIONS",
    "COMMON_OPTIONS",
    "DEFAULT_ALGORITHM",
    "Algorithm",
    "AlgorithmSpec",
    "DiversimaxExtra",
    "EndToEndExtra",
    "EpigraphExtra",
    "Extra",
    "FairMaxEntropyExtra",
    "LegacyExtra",
    "LeximinExtra",
    "MaxEntropyExtra",
    "MaximinExtra",
    "NashExtra",
    "Option",
    "PanelCount",
    "Progress",
    "ProgressBar",
    "Run",
    "count_panels",
    "diversimax",
    "end_to_end",
    "fair_maxentropy",
    "find_distribution",
    "goldilocks",
    "legacy",
    "leximin",
    "lp",
    "maxentropy",
    "maximin",
    "minimax",
    "nash",
    "options_record",
    "progress_bar",
    "register_algorithm",
    "run_details",
    "setup",
]
