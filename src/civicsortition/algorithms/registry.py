"""The algorithm registry: id -> function, display name and options; ``find_distribution``.

Every consumer that offers a choice of algorithm reads it from here: the command line's
``--algorithm`` choices and per-algorithm options, the experiment grids' defaults and the test
matrix. A new algorithm is one module (a function ``f(pool, quotas, **options) ->
Distribution``) plus one :func:`register_algorithm` call::

    register_algorithm(AlgorithmSpec("mine", "My lottery", mine,
                                     (*COMMON_OPTIONS, Option("tol", float, 1e-7, "gap"))))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from .._i18n import tr
from ..distribution import Distribution
from ..errors import InfeasibleQuotasError, InputError
from ..numerics import DEFAULT_NASH_TOL, DEFAULT_TOL
from ..pool import Pool
from ..quotas import Quotas
from .diversimax import DEFAULT_MAX_CELLS, diversimax
from .fair_maxentropy import fair_maxentropy
from .feasibility import RelaxationPriorities, reprioritised
from .goldilocks import DEFAULT_GOLDILOCKS_TOL, goldilocks
from .legacy import legacy
from .leximin import METHODS as LEXIMIN_METHODS
from .leximin import leximin
from .lp import DEFAULT_LP_TOL, lp
from .maxentropy import DEFAULT_MAX_PROFILES, maxentropy
from .maximin import METHODS as MAXIMIN_METHODS
from .maximin import maximin
from .minimax import minimax
from .nash import METHODS as NASH_METHODS
from .nash import nash

__all__ = ["ALGORITHMS", "BUDGET_OPTIONS", "COMMON_OPTIONS", "DEFAULT_ALGORITHM", "Algorithm",
           "AlgorithmSpec", "Option", "find_distribution", "register_algorithm"]

#: A lottery algorithm: ``f(pool, quotas, **options) -> Distribution``.
Algorithm = Callable[..., Distribution]


@attrs.frozen
class Option:
    """One keyword option of an algorithm.

    Attributes
    ----------
    name : str
        The keyword.
    type : type
        Its type (``bool``, ``int``, ``float``, ``str``; ``object`` for a callable).
    default : object
        The function's default.
    help : str
        One line, for the command line and the documentation.
    choices : tuple, optional
        The allowed values, when they are a fixed set.
    """

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None


@attrs.frozen(slots=False, eq=False)
class AlgorithmSpec:
    """A registered algorithm: id, display name, the function and its options.

    Calling the spec calls the function. Like a wrapper made by :func:`functools.wraps`, it
    carries the function's ``__module__`` and ``__doc__`` (the module implementing it).

    Attributes
    ----------
    id : str
        What ``find_distribution(..., algorithm=...)`` accepts.
    name : str
        Display name.
    function : callable
        ``function(pool, quotas, **options) -> Distribution``.
    options : tuple of Option
        The keyword options the function takes, with their defaults.
    exact : bool
        Whether results are optimal with a certified bound (False: an estimate, e.g. LEGACY's
        Monte Carlo).
    small_pools_only : bool
        Whether the algorithm counts every feasible panel and so runs on small pools only
        (beyond them it raises ``support-too-large``): MAXENTROPY and FAIR-MAXENTROPY. Loops
        over "every algorithm" at realistic sizes (the default of ``compare_algorithms``,
        the torture sweep) leave these out unless they are named.
    """

    id: str
    name: str
    function: Algorithm
    options: tuple[Option, ...] = ()
    exact: bool = True
    small_pools_only: bool = False

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "__module__", getattr(self.function, "__module__", None))
        object.__setattr__(self, "__doc__", getattr(self.function, "__doc__", None))
        object.__setattr__(self, "__wrapped__", self.function)

    def __call__(self, pool: Pool, quotas: Quotas, **options: Any) -> Distribution:
        """Run the algorithm (see :attr:`function`)."""
        return self.function(pool, quotas, **options)

    def __getitem__(self, index: int) -> Any:
        """``spec[0]`` is the function and ``spec[1]`` the display name (the 0.1 tuple)."""
        return (self.function, self.name)[index]

    def accepts(self, name: str) -> bool:
        """Whether the algorithm takes keyword option ``name``."""
        return any(o.name == name for o in self.options)

    def option(self, name: str) -> Option:
        """The option called ``name`` (``KeyError`` if the algorithm has none)."""
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """Every option's default, by name."""
        return {o.name: o.default for o in self.options}


#: Options every built-in algorithm takes.
COMMON_OPTIONS = (
    Option("households", bool, True, "at most one selected member per household (when the "
           "pool has household keys)"),
    Option("backend", str, None, "solver backend: 'highs' (default), 'pulp' or 'pulp:SOLVER'"),
    Option("progress", object, None, "callback progress(stage, iteration, value, bound); "
           "returning False cancels the run (the best valid lottery so far, converged=False)"),
)
#: The wall-clock budget every built-in algorithm takes (kept out of :data:`COMMON_OPTIONS`,
#: which algorithms registered elsewhere build on: add it where the function takes it).
BUDGET_OPTIONS = (
    Option("time_limit", float, None, tr("wall-clock budget in seconds, checked between "
                                         "solves; when it runs out the best valid lottery "
                                         "found so far is returned with converged=False and "
                                         "its certified bound (not deterministic)")),
)
_COLUMN_GENERATION = (
    Option("max_iterations", int, 10_000, "limit on column-generation rounds; reaching it "
           "returns a valid lottery with converged=False"),
)

#: Registered algorithms by id (iterate for the ids; ``in`` tests an id).
ALGORITHMS: dict[str, AlgorithmSpec] = {}

#: The default; it may change between minor versions, and every result records the one used.
DEFAULT_ALGORITHM = "leximin"


def register_algorithm(spec: AlgorithmSpec, *, replace: bool = False) -> AlgorithmSpec:
    """Add an algorithm to :data:`ALGORITHMS` (under ``spec.id``, lower case).

    Raises
    ------
    ValueError
        If the id is taken (unless ``replace``) or not lower case without spaces.
    """
    if not spec.id or spec.id != spec.id.strip().lower() or " " in spec.id:
        raise ValueError(f"algorithm id must be lower case without spaces: {spec.id!r}")
    if spec.id in ALGORITHMS and not replace:
        raise ValueError(f"algorithm {spec.id!r} is already registered")
    ALGORITHMS[spec.id] = spec
    return spec


register_algorithm(AlgorithmSpec("leximin", "LEXIMIN (Flanigan et al. 2021)", leximin, (
    *COMMON_OPTIONS,
    Option("tol", float, DEFAULT_TOL, "certified optimality gap of every stage, in "
           "probability units"),
    *_COLUMN_GENERATION,
    Option("method", str, "auto", "'auto': the LP-relaxation fast path first; 'staged': "
           "progressive filling only", LEXIMIN_METHODS),
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("maximin", "MAXIMIN", maximin, (
    *COMMON_OPTIONS,
    Option("tol", float, DEFAULT_TOL, "certified optimality gap, in probability units"),
    *_COLUMN_GENERATION,
    Option("method", str, "auto", "'auto': the LP-relaxation fast path first; "
           "'column-generation': column generation only", MAXIMIN_METHODS),
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("nash", "Nash welfare (maximise Σ log π)", nash, (
    *COMMON_OPTIONS,
    Option("tol", float, DEFAULT_NASH_TOL, "certified gap in Nash-welfare units (Σ log π)"),
    *_COLUMN_GENERATION,
    Option("warm_start", bool, False, "start column generation from the LEXIMIN support "
           "(computed first)"),
    Option("method", str, "auto", "'auto': the relaxed optimum, peeled, first; "
           "'column-generation': Frank-Wolfe column generation only", NASH_METHODS),
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("minimax", "MINIMAX (least largest probability)", minimax, (
    *COMMON_OPTIONS,
    Option("floor", object, None, "hold everyone at least this high: a probability, "
           "'maximin' (the best achievable minimum, computed first) or None"),
    Option("tol", float, DEFAULT_TOL, "certified optimality gap, in probability units"),
    *_COLUMN_GENERATION,
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("goldilocks", "GOLDILOCKS (Baharav & Flanigan 2024)",
                                 goldilocks, (
    *COMMON_OPTIONS,
    Option("gamma", float, 1.0, "weight of the minimum term in (N/k) max π + γ (k/N) / min π"),
    Option("tol", float, DEFAULT_GOLDILOCKS_TOL, "certified optimality gap, in objective "
           "units"),
    *_COLUMN_GENERATION,
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("lp", "ℓp norm (Flanigan, Liang, Procaccia & Wang 2024)", lp, (
    *COMMON_OPTIONS,
    Option("p", float, 2.0, "the norm, 1 < p < ∞ (p = ∞: the minimax algorithm)"),
    Option("tol", float, DEFAULT_LP_TOL, "certified optimality gap, in norm units"),
    *_COLUMN_GENERATION,
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("maxentropy", "maximum entropy: uniform over all feasible "
                                 "panels (de Azevedo & Gölz 2026)", maxentropy, (
    *COMMON_OPTIONS,
    Option("max_profiles", int, DEFAULT_MAX_PROFILES, "largest support (distinct type "
           "profiles) returned; beyond it support-too-large"),
    *BUDGET_OPTIONS), small_pools_only=True))
register_algorithm(AlgorithmSpec("fair-maxentropy", "maximum entropy with a floor on every "
                                 "probability (de Azevedo & Gölz 2026)", fair_maxentropy, (
    *COMMON_OPTIONS,
    Option("floor", object, "maximin", "every probability at least this: a probability or "
           "'maximin' (the MAXIMIN value less slack)"),
    Option("slack", float, 1e-3, "relative slack below the MAXIMIN value for "
           "floor='maximin'"),
    Option("tol", float, 1e-6, "largest shortfall below the floor; dual gradient tolerance"),
    Option("max_profiles", int, DEFAULT_MAX_PROFILES, "largest support (distinct type "
           "profiles) returned; beyond it support-too-large"),
    *BUDGET_OPTIONS), small_pools_only=True))
register_algorithm(AlgorithmSpec("diversimax", "DIVERSIMAX: one even composition across "
                                 "intersections (deterministic)", diversimax, (
    *COMMON_OPTIONS,
    Option("max_cells", int, DEFAULT_MAX_CELLS, "intersection cells considered at most "
           "(smallest sets of categories first)"),
    *BUDGET_OPTIONS)))
register_algorithm(AlgorithmSpec("legacy", "LEGACY greedy sequential draw (Monte Carlo)",
                                 legacy, (
    *COMMON_OPTIONS,
    Option("draws", int, 10_000, "simulated draws (the result is their empirical lottery)"),
    Option("confidence", float, 0.99, "level of the per-person Jeffreys intervals"),
    Option("rng", int, None, "random seed (recorded)"),
    *BUDGET_OPTIONS), exact=False))


def find_distribution(pool: Pool, quotas: Quotas, *,
                      algorithm: str | Algorithm = DEFAULT_ALGORITHM,
                      relax_priorities: RelaxationPriorities | None = None,
                      **options: Any) -> Distribution:
    """Compute a lottery over panels with the chosen algorithm.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    algorithm : str or callable
        A registered id (:data:`ALGORITHMS`: ``"leximin"`` (default), ``"maximin"``,
        ``"nash"``, ``"legacy"``), or a callable ``f(pool, quotas, **options) ->
        Distribution``.
    relax_priorities : RelaxationPriorities, optional
        The organisers' priorities for the relaxation suggested when no panel satisfies the
        quotas ("never relax district; relax education before age"): the error then carries
        the least relaxation in their sense (:func:`~civicsortition.minimal_relaxation`)
        instead of the least total change. Checked against the quotas before any solve. The
        lottery itself is always computed under ``quotas`` as given.
    **options
        Passed to the algorithm (``backend``, ``households``, ``tol``, ``progress``, ...; see
        ``ALGORITHMS[id].options``).

    Returns
    -------
    Distribution

    Raises
    ------
    InputError
        Unknown algorithm or bad options.
    civicsortition.errors.InfeasibleQuotasError
        No panel satisfies the quotas (with a suggested relaxation, under
        ``relax_priorities`` if given).
    TypeError
        ``relax_priorities`` is not a :class:`RelaxationPriorities`.
    """
    if relax_priorities is not None:
        if not isinstance(relax_priorities, RelaxationPriorities):
            raise TypeError(tr("relax_priorities must be a RelaxationPriorities, not "
                               "{kind}", kind=type(relax_priorities).__name__))
        relax_priorities.check(quotas)
    if callable(algorithm):
        run: Algorithm = algorithm
    else:
        key = algorithm.strip().lower()
        if key not in ALGORITHMS:
            raise InputError.single("unknown-algorithm", tr("expected one of {algorithms}",
                                                            algorithms=sorted(ALGORITHMS)),
                                    value=algorithm)
        run = ALGORITHMS[key]
    try:
        return run(pool, quotas, **options)
    except InfeasibleQuotasError as error:
        found = reprioritised(error, pool, quotas, relax_priorities,
                              households=bool(options.get("households", True)),
                              backend=options.get("backend"))
        if found is error:
            raise
        raise found from None
