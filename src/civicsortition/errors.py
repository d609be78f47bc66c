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
    └── InfeasibleError (also ValueError)      no panel can satisfy the constraints
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

__all__ = [
    "CivicSortitionError",
    "InfeasibleError",
    "InputError",
    "Problem",
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
        """Return ``file:row, column 'c'`` with whatever parts are known."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file + (f":{self.row}" if self.row is not None else ""))
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        head = f"{where}: " if where else ""
        val = f" (got {self.value!r})" if self.value is not None else ""
        return f"{head}[{self.code}] {self.message}{val}"


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
        lines = [f"{len(self.problems)} problems:"] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,))


class TieError(InputError):
    """An apportionment needed a tie broken and ``tie_break="raise"`` was requested."""


class InfeasibleError(CivicSortitionError, ValueError):
    """No panel satisfies the constraints (quotas, panel size, households)."""
