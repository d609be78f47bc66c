r"""Maximum entropy: the uniform lottery over *all* feasible panels (de Azevedo & Gölz 2026).

"Maximally random sortition" (arXiv:2604.02712) proposes drawing the panel uniformly among all
panels that satisfy the quotas (and the household rule): the lottery of largest entropy, the
most random one the quotas allow. Its probabilities follow from counting.

**Counting.** People of one type are interchangeable, and a person who shares a household is a
type of their own (:mod:`civicsortition.program`). A panel with type profile
:math:`c = (c_t)` can be chosen in :math:`\prod_t \binom{n_t}{c_t}` ways, so the uniform
lottery over panels puts weight :math:`w(c) = \prod_t \binom{n_t}{c_t} / Z` on profile
:math:`c`, with :math:`Z` the number of feasible panels. Both are computed exactly (Python
integers) by dynamic programming over *steps* -- one per type outside households
(:math:`c_t \in 0..n_t`) and one per household (at most one of its members) -- whose state is
the vector of counts of the quota rows so far (the panel size and one count per quota value);
states that exceed a maximum, or can no longer reach a minimum with the steps left, are
pruned. A forward pass gives the number of ways :math:`F_i(s)` to reach state :math:`s` before
step :math:`i`, a backward pass the number of completions :math:`B_i(s)`; then
:math:`Z = B_0(0)` and the expected count of type :math:`t` (step :math:`i`) is
:math:`\sum_s F_i(s) \sum_{c} \binom{n_t}{c} \, c \, B_{i+1}(s + c\,a_t) / Z` -- exact marginals.

**The lottery.** When the number of distinct feasible profiles is at most ``max_profiles``,
they are enumerated (following only branches with completions) and returned as an ordinary
:class:`~civicsortition.distribution.Distribution`: the draw picks a profile with probability
:math:`w(c)` and then the members of each type uniformly, which is exactly the uniform draw of
a panel. Beyond that, an :class:`~civicsortition.errors.InputError` (code
``support-too-large``) states the exact numbers of panels and profiles. The size of the
dynamic programme (its states) is reported in ``details.extra``.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..distribution import Distribution, Extra
from ..errors import InputError
from ..pool import Pool
from ..quotas import Quotas
from ._core import Progress, details, options_record, setup
from ._counting import DEFAULT_MAX_PROFILES, count_panels, lottery_of, too_many_profiles

__all__ = ["DEFAULT_MAX_PROFILES", "MaxEntropyExtra", "maxentropy"]


@attrs.frozen(eq=False)
class MaxEntropyExtra(Extra):
    """MAXENTROPY's record in ``details.extra``.

    Attributes
    ----------
    panels : str
        The exact number of feasible panels (a decimal string: it may exceed any float).
    profiles : int
        Distinct type profiles (the support of the returned lottery).
    entropy : float
        ``log`` of the number of panels (nats): the entropy of the uniform lottery.
    states : int
        Dynamic-programming states.
    """

    panels: str
    profiles: int
    entropy: float
    states: int


def maxentropy(pool: Pool, quotas: Quotas, *, households: bool = True,
               backend: str | None = None, max_profiles: int = DEFAULT_MAX_PROFILES,
               progress: Progress | None = None,
               time_limit: float | None = None) -> Distribution:
    """The uniform lottery over all feasible panels (maximum entropy), exactly.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    households : bool
        At most one selected member per household (when the pool has household keys).
    backend : str, optional
        Used only to check the quotas (and explain them when no panel exists).
    max_profiles : int
        Largest support to return (distinct type profiles).
    progress, time_limit
        Accepted for a uniform interface; the count runs to completion.

    Returns
    -------
    Distribution
        Weights proportional to the number of panels of each profile;
        ``details.objective`` is the entropy ``log Z`` (nats), equal to ``details.bound``
        (exact); ``details.extra`` is a :class:`MaxEntropyExtra` with the exact count.

    Raises
    ------
    InputError
        ``support-too-large`` beyond ``max_profiles`` profiles or
        :data:`MAX_STATES` counting states; ``bad-max-profiles`` for a bad limit.

    Examples
    --------
    >>> from civicsortition import Pool, Quotas, ValueQuota
    >>> pool = Pool.from_records([{"sex": s} for s in "ffffmm"], categories=["sex"])
    >>> quotas = Quotas(2, [ValueQuota("sex", "f", 1, 1), ValueQuota("sex", "m", 1, 1)])
    >>> d = maxentropy(pool, quotas)
    >>> d.details.extra.panels, [round(float(v), 4) for v in d.marginals]
    ('8', [0.25, 0.25, 0.25, 0.25, 0.5, 0.5])
    """
    if isinstance(max_profiles, bool) or not isinstance(max_profiles, int) or max_profiles < 1:
        raise InputError.single("bad-max-profiles", "max_profiles must be a positive integer",
                                value=repr(max_profiles))
    run = setup(pool, quotas, households=households, backend=backend, tol=1e-6,
                progress=progress, max_iterations=1, time_limit=time_limit)
    prog = run.program
    count = count_panels(prog, run.active())
    if count.profiles > max_profiles:
        raise too_many_profiles(count.panels, count.profiles, max_profiles)
    profiles, weights = lottery_of(count, prog.n_types)
    entropy = count.entropy()
    options: dict[str, Any] = options_record(households=households, max_profiles=max_profiles,
                                             time_limit=time_limit)
    extra = MaxEntropyExtra(panels=str(count.panels), profiles=count.profiles,
                            entropy=entropy, states=count.states)
    record = details(run, "maxentropy", objective=entropy, bound=entropy, converged=True,
                     stages=1, options=options, extra=extra,
                     message=f"uniform over {count.panels} feasible panels "
                             f"({count.profiles} type profiles); entropy {entropy:.6f} nats")
    return Distribution(prog, profiles, weights, record, run.uncovered_people())
