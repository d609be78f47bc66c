r"""Second-order (joint) inclusion probabilities of a stage-1 design.

In every design with recorded joint probabilities the addresses fall into *groups* (the strata,
the clusters, or one group ``"all"``) within which they are exchangeable: the probability that
two distinct addresses are both invited depends only on their groups. :class:`JointInclusion`
stores the ``G x G`` matrix of these pair probabilities,

.. math:: \pi_{ab} = P(a \text{ and } b \text{ invited}) = \text{pair}[g(a), g(b)]
          \quad (a \ne b), \qquad \pi_{aa} = \pi_a,

so that an ``N x N`` matrix is never built for a large frame.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import numpy as np

from .._typing import FloatArray, IntArray

__all__ = ["JointInclusion"]


def _names(a: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(x) for x in a)


def _readonly_float(a: object) -> FloatArray:
    out = np.array(a, dtype=np.float64)
    out.setflags(write=False)
    return out


def _readonly_int(a: object) -> IntArray:
    out = np.array(a, dtype=np.int64)
    out.setflags(write=False)
    return out


@attrs.frozen(eq=False)
class JointInclusion:
    """Pair inclusion probabilities by groups of exchangeable addresses.

    Attributes
    ----------
    groups : tuple of str
        Group names (strata or clusters).
    group_of : ndarray of int
        The group of each frame address (aligned with ``Invitations.frame_ids``).
    pair : ndarray
        ``pair[g, h]``: probability that two distinct addresses, one in group ``g`` and one in
        group ``h``, are both invited in the main wave.
    inclusion : ndarray
        First-order probability of each address (the diagonal of the address matrix).
    """

    groups: tuple[str, ...] = attrs.field(converter=_names)
    group_of: IntArray = attrs.field(converter=_readonly_int)
    pair: FloatArray = attrs.field(converter=_readonly_float)
    inclusion: FloatArray = attrs.field(converter=_readonly_float)

    def between(self, i: int, j: int) -> float:
        """Joint probability of the addresses at frame positions ``i`` and ``j``.

        Parameters
        ----------
        i, j : int
            Frame positions; ``i == j`` gives the first-order probability.

        Returns
        -------
        float
        """
        if i == j:
            return float(self.inclusion[i])
        return float(self.pair[self.group_of[i], self.group_of[j]])

    def matrix(self, rows: Iterable[int] | None = None) -> FloatArray:
        """The address-level matrix of joint probabilities over ``rows`` (default: all).

        Parameters
        ----------
        rows : iterable of int, optional
            Frame positions (for example of the addresses that registered).

        Returns
        -------
        ndarray
            ``len(rows) x len(rows)``, with the first-order probabilities on the diagonal.
        """
        idx = np.arange(len(self.group_of)) if rows is None else np.asarray(list(rows), int)
        g = self.group_of[idx]
        out = np.array(self.pair[np.ix_(g, g)], dtype=np.float64)
        np.fill_diagonal(out, self.inclusion[idx])
        return out
