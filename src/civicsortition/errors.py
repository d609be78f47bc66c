"""Exceptions and structured problem records.

Every problem with caller input is described by a :class:`Problem`: a stable machine-readable
``code``, a human message that says what was expected, and -- where it applies -- the file, the
row (the line number a spreadsheet would show, the header being line 1), the column and the
offending value. Readers collect *all* problems of a file before raising one
:class:`InputError` that carries them, so a user can fix a file in one pass.

All exceptions here are picklable (they survive ``multiprocessing`` and ``concurrent.futures``).

Hierarchy::

    CivicSortitionError
    ├── InputError (also ValueError)          bad input; carries Problem records
    │   └── TieError                           an apportionment tie with tie_break="raise"
    ├── InfeasibleError (also ValueError)      no panel can satisfy the constraints
    │   └── InfeasibleQuotasError              ... with the smallest relaxation that would
    │       └── HardQuotasInfeasibleError      ... not even the rows never to be relaxed hold
    └── SolverError (also RuntimeError)        a solver failed after every recovery attempt

:class:`Status` (a solve's outcome) and :class:`QuotaChange` (one bound moved by the minimal
relaxation) are the records these errors carry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._i18n import say, translate

if TYPE_CHECKING:
    from .quotas import Quotas

__all__ = [
    "CivicSortitionError",
    "HardQuotasInfeasibleError",
    "InfeasibleError",
    "InfeasibleQuotasError",
    "InputError",
    "Problem",
    "QuotaChange",
    "SolverError",
    "Status",
    "TieError",
]


@attrs.frozen
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    code : str
        Stable kebab-case identifier (for example ``"unknown-value"``); safe to match on.
    message : str
        Human-readable explanation stating what was expected.
    file : str or None
        Name of the file (or stream) at fault, if the input came from a file.
    row : int or None
        1-based line number in the file (the header is line 1), as a spreadsheet shows it.
    column : str or None
        Column header at fault.
    value : str or None
        The offending value, as text.
    """

    code: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        """Return ``file:row, column 'c'`` with whatever parts are known.

        In the current language (:func:`civicsortition._i18n.language`), like ``str()``.
        """
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file + (f":{self.row}" if self.row is not None else ""))
        elif self.row is not None:
            parts.append(say("row {row}", row=self.row))
        if self.column is not None:
            parts.append(say("column {column!r}", column=self.column))
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        head = f"{where}: " if where else ""
        val = say(" (got {value!r})", value=self.value) if self.value is not None else ""
        return f"{head}[{self.code}] {translate(self.message)}{val}"


class CivicSortitionError(Exception):
    """Base class of every exception raised on purpose by civicsortition."""


class InputError(CivicSortitionError, ValueError):
    """Invalid caller input; carries one or more :class:`Problem` records.

    Parameters
    ----------
    problems : iterable of Problem
        Everything found wrong (at least one).

    Attributes
    ----------
    problems : tuple of Problem
    code : str
        The code of the first problem (convenient when there is only one).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one Problem")
        super().__init__(self._render())

    def __str__(self) -> str:
        # Rendered when shown, in the language of that time (codes never change).
        return self._render()

    @classmethod
    def single(cls, code: str, message: str, **where: Any) -> InputError:
        """Build an error holding a single problem."""
        return cls([Problem(code, message, **where)])

    @property
    def code(self) -> str:
        """The code of the first problem."""
        return self.problems[0].code

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all problems, in order."""
        return tuple(p.code for p in self.problems)

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [say("{n} problems:", n=len(self.problems))]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


class TieError(InputError):
    """An apportionment needed a tie broken and ``tie_break="raise"`` was requested."""


class InfeasibleError(CivicSortitionError, ValueError):
    """No panel satisfies the constraints (quotas, panel size, households)."""


@attrs.frozen
class QuotaChange:
    """One bound moved by the minimal relaxation."""

    category: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int

    def __str__(self) -> str:
        return (f"{self.category}={self.value}: [{self.old_min}, {self.old_max}] -> "
                f"[{self.new_min}, {self.new_max}]")


class InfeasibleQuotasError(InfeasibleError):
    """No panel satisfies the quotas.

    Attributes
    ----------
    changes : tuple of QuotaChange
        A relaxation of least total change (sum of the amounts bounds move), respecting
        ``min_flex``/``max_flex``; these are the quotas that bind. Under relaxation
        priorities (:class:`~civicsortition.algorithms.feasibility.RelaxationPriorities`), the
        least change in their lexicographic and weighted sense instead.
    relaxed : Quotas or None
        The quota table with the relaxation applied, or None when no relaxation within the
        flex limits (and the rows never to be relaxed) exists.
    relaxed_feasible : bool
        Whether a panel exists under ``relaxed`` (checked by solving).
    reasons : tuple of str
        Necessary conditions that fail (from :func:`civicsortition.diagnose`), if any.
    levels : tuple of (str, int)
        Under relaxation priorities: each priority level (its categories, most protected
        first) with the seats its bounds move in total; empty for the plain least change.
    code : str
        ``"infeasible-quotas"`` (a class attribute; stable, safe to match on).
    """

    code = "infeasible-quotas"

    def __init__(self, changes: Sequence[QuotaChange], relaxed: Quotas | None,
                 relaxed_feasible: bool, reasons: Sequence[str] = (),
                 levels: Sequence[tuple[str, int]] = ()) -> None:
        self.changes = tuple(changes)
        self.relaxed = relaxed
        self.relaxed_feasible = relaxed_feasible
        self.reasons = tuple(reasons)
        self.levels = tuple((str(name), int(total)) for name, total in levels)
        super().__init__(self._render())

    def __str__(self) -> str:
        return self._render()

    def _render(self) -> str:
        lines = [say("no panel satisfies the quotas")]
        lines += [f"  - {translate(r)}" for r in self.reasons]
        if self.relaxed is None:
            lines.append("  " + say("no relaxation of the quotas (within their "
                                    "min_flex/max_flex limits, if any) makes them feasible"))
        else:
            total = sum(abs(c.new_min - c.old_min) + abs(c.new_max - c.old_max)
                        for c in self.changes)
            if self.levels:
                by_level = "; ".join(say("{level}: {total}", level=name, total=n)
                                     for name, n in self.levels)
                lines.append("  " + (say("least relaxation under the priorities (total change "
                                         "{total}; by level, most protected first: {levels}):",
                                         total=total, levels=by_level)
                                     if self.relaxed_feasible else
                                     say("least relaxation under the priorities (total change "
                                         "{total}; by level, most protected first: {levels}; "
                                         "NOT verified feasible):", total=total,
                                         levels=by_level)))
            else:
                lines.append("  " + (say("smallest relaxation (total change {total}):",
                                         total=total)
                                     if self.relaxed_feasible else
                                     say("smallest relaxation (total change {total}, NOT "
                                         "verified feasible):", total=total)))
            lines += [f"    {c}" for c in self.changes]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.changes, self.relaxed, self.relaxed_feasible, self.reasons,
                             self.levels))


class HardQuotasInfeasibleError(InfeasibleQuotasError):
    """The quota rows marked never to relax cannot all hold, even with every other row dropped.

    Raised (returned by :func:`~civicsortition.algorithms.feasibility.explain_infeasible`)
    under relaxation priorities with a ``never`` set: no relaxation keeps those rows, so
    :attr:`relaxed` is None and :attr:`changes` is empty.

    Attributes
    ----------
    hard : tuple of (str, str)
        The rows never to be relaxed, as ``(category, value)``, in quota order.
    conflict : tuple of QuotaChange
        The least change to those rows alone (every other row dropped) that would let them
        hold together: the rows that conflict.
    code : str
        ``"never-relax-infeasible"``.
    """

    code = "never-relax-infeasible"

    def __init__(self, hard: Sequence[tuple[str, str]], conflict: Sequence[QuotaChange],
                 reasons: Sequence[str] = ()) -> None:
        self.hard = tuple((str(c), str(v)) for c, v in hard)
        self.conflict = tuple(conflict)
        super().__init__((), None, False, reasons)

    def _render(self) -> str:
        rows = ", ".join(f"{c}={v}" for c, v in self.hard)
        lines = [say("no panel satisfies the quotas")]
        lines += [f"  - {translate(r)}" for r in self.reasons]
        lines.append("  " + say("[{code}] the rows never to be relaxed cannot all hold, even "
                                "with every other quota dropped: {rows}", code=self.code,
                                rows=rows))
        if self.conflict:
            lines.append("  " + say("they would hold with this least change among them:"))
            lines += [f"    {c}" for c in self.conflict]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.hard, self.conflict, self.reasons))


class Status(enum.Enum):
    """Outcome of one solve, common to all backends."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"        # time/iteration/node limit reached before proving optimality
    ERROR = "error"        # anything else (numerical trouble, solver failure)


class SolverError(CivicSortitionError, RuntimeError):
    """A solver returned a status the caller cannot continue from, after recovery was tried.

    Attributes
    ----------
    status : Status
        The last status the solver reported.
    raw : str
        The solver's own words (status codes and messages of every attempt).
    stage : str or None
        Which solve failed, e.g. ``"relaxed leximin stage 7"`` or ``"pricing problem"``.
    attempts : tuple of str
        The recovery attempts made, in order, with the status each ended in.
    """

    def __init__(self, message: str, status: Status, raw: str, *, stage: str | None = None,
                 attempts: tuple[str, ...] = ()) -> None:
        where = f" [{stage}]" if stage else ""
        tried = f"; {len(attempts)} attempts: " + " | ".join(attempts) if attempts else ""
        super().__init__(f"{message}{where}: {status.value} (solver said: {raw}){tried}")
        self.status = status
        self.raw = raw
        self.stage = stage
        self.attempts = tuple(attempts)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_solver_error, (str(self), self.status, self.raw, self.stage,
                                        self.attempts))


def _rebuild_solver_error(text: str, status: Status, raw: str, stage: str | None = None,
                          attempts: tuple[str, ...] = ()) -> SolverError:
    err = SolverError.__new__(SolverError)
    RuntimeError.__init__(err, text)
    err.status, err.raw, err.stage, err.attempts = status, raw, stage, tuple(attempts)
    return err
