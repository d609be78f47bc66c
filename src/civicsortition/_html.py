"""Compact HTML for notebook display (``_repr_html_``), aggregate figures only.

Each displayable object builds a *card*: a title, a short list of facts, and optionally tables.
Every text is escaped; numbers are shown to four significant digits. Nothing here knows a person
id -- callers pass only aggregates (the tests check that no id of the pool appears).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = ["card", "number", "table"]

_STYLE = "font-family:sans-serif;font-size:90%;"


def number(x: object) -> str:
    """A figure as short text: floats to four significant digits, NaN as "–"."""
    if isinstance(x, bool) or x is None:
        return "–" if x is None else ("yes" if x else "no")
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        return f"{x:.4g}"
    return str(x)


def table(header: Sequence[str] | None, rows: Sequence[Sequence[object]]) -> str:
    """An HTML table (no header row for ``header=None``); numeric cells are right-aligned."""
    head = "" if header is None else "<thead><tr>" + "".join(
        f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>"
    body = []
    for row in rows:
        cells = []
        for cell in row:
            numeric = isinstance(cell, int | float) and not isinstance(cell, bool)
            align = ' style="text-align:right"' if numeric else ""
            cells.append(f"<td{align}>{html.escape(number(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def card(title: str, facts: Sequence[tuple[str, object]] = (),
         tables: Sequence[tuple[str, str]] = ()) -> str:
    """A titled block: facts as a two-column table, then captioned tables (already HTML)."""
    parts = [f'<div class="civicsortition" style="{_STYLE}">',
             f"<strong>{html.escape(title)}</strong>"]
    if facts:
        parts.append(table(None, facts))
    for caption, body in tables:
        parts.append(f"<div><em>{html.escape(caption)}</em></div>{body}")
    parts.append("</div>")
    return "".join(parts)
