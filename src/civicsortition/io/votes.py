"""Ballots of the assembly: ``member,recommendation,vote``, one row per member and question.

The accepted vote words (``yes``, ``no``, ``abstain`` and their aliases) are
:data:`civicsortition.vote.VOTE_WORDS`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._i18n import tr
from ..errors import InputError, Problem
from ..vote import VOTE_WORDS
from .tables import Source, TableSource, open_table, require_columns, require_rows, write_rows

__all__ = ["VOTE_WORDS", "read_votes", "write_votes"]


def read_votes(source: TableSource, *, delimiter: str | None = None
               ) -> list[tuple[str, str, str]]:
    """Read ballots: one row per member and recommendation, ``member,recommendation,vote``.

    Parameters
    ----------
    source : path, text stream or Table
        Anything :func:`~civicsortition.io.tables.open_table` reads.
    delimiter : str, optional

    Returns
    -------
    list of (member, recommendation, vote)

    Raises
    ------
    InputError
        ``missing-column``, ``missing-value``, ``bad-vote`` (not yes/no/abstain or an alias)
        and ``duplicate-ballot`` (a member voting twice on one recommendation), with file
        lines.
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        cols = require_columns(table, [("member", ["member", "member_id", "id"]),
                                       ("recommendation", ["recommendation", "motion"]),
                                       ("vote", ["vote", "ballot"])])
        require_rows(table)
        out: list[tuple[str, str, str]] = []
        seen: dict[tuple[str, str], int] = {}
        problems: list[Problem] = []
        for line, cells in table.located():
            member, rec, vote = (cells[cols[c]].strip()
                                 for c in ("member", "recommendation", "vote"))
            for name, val in (("member", member), ("recommendation", rec), ("vote", vote)):
                if not val:
                    problems.append(Problem("missing-value", tr("no {name}", name=name),
                                            file=table.source,
                                            row=line, column=table.header[cols[name]]))
            if vote and vote.casefold() not in VOTE_WORDS:
                problems.append(Problem("bad-vote", tr("member {member} on {rec}: expected yes, "
                                                       "no or abstain (or y, n, for, against, "
                                                       "abstention)", member=member, rec=rec),
                                        file=table.source, row=line,
                                        column=table.header[cols["vote"]], value=vote))
            if (member, rec) in seen:
                problems.append(Problem("duplicate-ballot", tr("second ballot of this member on "
                                                               "this recommendation (first on "
                                                               "line {seen})",
                                                               seen=seen[(member, rec)]),
                                        file=table.source, row=line, value=member))
            seen[(member, rec)] = line
            out.append((member, rec, vote))
        if problems:
            raise InputError(problems)
        return out


def write_votes(dest: Source, votes: Mapping[str, Mapping[str, str]]) -> tuple[Problem, ...]:
    """Write ballots ``{recommendation: {member: vote}}`` as ``member,recommendation,vote``.

    Rows follow the recommendations' order, then the members' order within each; the file
    reads back with :func:`read_votes`.

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    votes : mapping
        As :func:`civicsortition.vote.tally` takes them.

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records of cells that look like spreadsheet formulas.
    """
    rows = [[member, rec, vote] for rec, ballots in votes.items()
            for member, vote in ballots.items()]
    return write_rows(dest, ["member", "recommendation", "vote"], rows, ",")
