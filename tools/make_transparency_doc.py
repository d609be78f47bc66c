"""Regenerate the measured parts of docs/transparency.md (rounding comparison, example report).

Usage: ``python tools/make_transparency_doc.py`` rewrites the two generated blocks of
``docs/transparency.md`` in place (between ``<!-- generated:NAME -->`` and
``<!-- end generated:NAME -->``); ``--print`` writes them to standard output instead.

Both blocks are *an example run*. The parts that depend only on the inputs (hashes, quotas,
the LEXIMIN marginals and everything computed from them: fairness metrics, expected seats)
are the same on every machine and are checked by ``tests/test_audit.py``. The support, the
ticket lottery, its digest and the drawn ticket depend on which of the many optimal lotteries
the solver returns, and the seconds on the machine: they differ between machines.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import civicsortition as cs
from civicsortition.lottery import transparent_lottery

DOC = Path(__file__).resolve().parents[1] / "docs" / "transparency.md"
SEED = "2026-11-24 lotto 3 14 15 92 65 35"

#: Report sections whose content depends only on the inputs (not on the solver's vertex).
STABLE_SECTIONS = ("Inputs", "Quotas", "Fairness", "Groups")


def rounding_table(dist: cs.Distribution) -> str:
    """The rounding comparison (an example run: seconds and deviations vary by machine)."""
    lines = ["| method | m | seconds | largest type-level change | largest per-person change "
             "| promised bound | proven optimal |", "|---|---:|---:|---:|---:|---:|---|"]
    for m in (100, 1000):
        for method in ("dependent", "ilp"):
            t = time.perf_counter()
            lot = transparent_lottery(dist, m, method=method)
            s = lot.summary()
            lines.append(f"| {method} | {m} | {time.perf_counter() - t:.2f} | "
                         f"{s['type_deviation']:.4f} | {s['max_abs_deviation']:.4f} | "
                         f"{s['promised_bound']:.4f} | {s['optimal']} |")
    return "\n".join(lines)


def report_markdown(dist: cs.Distribution | None = None) -> str:
    """The audit report of the embedded example (LEXIMIN, 1,000 tickets, the doc's seed)."""
    pool, quotas = cs.examples.rustavi_example()
    if dist is None:
        dist = cs.leximin(pool, quotas)
    lot = transparent_lottery(dist, 1000)
    rec = cs.draw(lot, SEED)
    verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lot, record=rec)
    report = cs.audit_report(pool, quotas, dist, lottery=lot, record=rec,
                             census=cs.examples.rustavi_synthetic_census(), verdict=verdict)
    # One heading level down: the report sits under a section of the doc.
    return re.sub(r"^#", "##", report.to_markdown().strip(), flags=re.M)


def sections(markdown: str) -> dict[str, str]:
    """``### Heading`` -> its text, for a report's Markdown."""
    out: dict[str, str] = {}
    for part in re.split(r"^### ", markdown, flags=re.M)[1:]:
        head, _, body = part.partition("\n")
        out[head.strip()] = body.strip()
    return out


def generated_block(text: str, name: str) -> str:
    """The content of a generated block of the doc."""
    m = re.search(rf"<!-- generated:{name} -->\n(.*?)\n<!-- end generated:{name} -->", text,
                  flags=re.S)
    if m is None:
        raise ValueError(f"{DOC}: no generated block {name!r}")
    return m.group(1)


def replace_block(text: str, name: str, content: str) -> str:
    """The doc with one generated block replaced."""
    pattern = rf"(<!-- generated:{name} -->\n).*?(\n<!-- end generated:{name} -->)"
    new, count = re.subn(pattern, lambda m: m.group(1) + content + m.group(2), text,
                         flags=re.S)
    if count != 1:
        raise ValueError(f"{DOC}: expected one generated block {name!r}, found {count}")
    return new


def main(argv: list[str]) -> int:
    """Rewrite the generated blocks of the doc (or print them with ``--print``)."""
    pool, quotas = cs.examples.rustavi_example()
    dist = cs.leximin(pool, quotas)
    blocks = {"rounding": rounding_table(dist), "report": report_markdown(dist)}
    if "--print" in argv:
        for content in blocks.values():
            print(content, end="\n\n")
        return 0
    text = DOC.read_text(encoding="utf-8")
    for name, content in blocks.items():
        text = replace_block(text, name, content)
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
