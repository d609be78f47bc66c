"""Regenerate the ERM-versus-baseline alternates table in ``docs/pipeline.md``.

Run ``.venv/bin/python tools/make_alternates_doc.py``; the table between the markers
``<!-- alternates-table -->`` and ``<!-- /alternates-table -->`` is rewritten. The instance is
the embedded Rustavi example (36 seats), its LEXIMIN panel drawn with a fixed seed, and a
fixed dropout model; losses are on 1000 held-out scenarios (stream ``"test"``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import civicsortition as cs
from civicsortition.alternates import compare_alternates
from civicsortition.dropout import dropout_rates

DOC = Path(__file__).resolve().parents[1] / "docs" / "pipeline.md"
START, END = "<!-- alternates-table -->", "<!-- /alternates-table -->"
RATES = {"age": {"18-29": 0.2, "30-39": 0.14, "40-49": 0.1, "50-64": 0.07, "65+": 0.08},
         "education": {"secondary-or-less": 0.13, "vocational": 0.1, "higher": 0.07}}
CASES = ((4, 50), (6, 50), (8, 50))
#: The published figures, beside ours (different instances and loss normalisation).
PAPER = ("Assos, Baharav, Flanigan and Procaccia (arXiv 2506.15716) report, on their real "
         "instances, an ℓ1 loss of 0.60–0.64 for their ERM alternates against 1.11–1.44 for "
         "the practitioners' quota-based ones: about half, as here.")


def table() -> str:
    """The Markdown table of the cases in CASES."""
    pool, quotas = cs.examples.rustavi_example()
    dist = cs.find_distribution(pool, quotas)
    panel = cs.draw(cs.transparent_lottery(dist), "alternates doc panel").panel
    model = dropout_rates(RATES)
    lines = ["| alternates | training scenarios | ERM loss | baseline loss | ERM valid | "
             "baseline valid | ERM empty seats | baseline empty seats |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ratios = []
    for count, scenarios in CASES:
        c = compare_alternates(pool, quotas, panel, count, "alternates doc seed",
                               dropout=model, scenarios=scenarios, test_scenarios=1000)
        e, b = c.erm_loss, c.baseline_loss
        ratios.append(e.mean / b.mean)
        lines.append(f"| {count} | {scenarios} | {e.mean:.2f} ± {e.std_error:.2f} | "
                     f"{b.mean:.2f} ± {b.std_error:.2f} | {e.valid_share:.0%} | "
                     f"{b.valid_share:.0%} | {e.unfilled:.2f} | {b.unfilled:.2f} |")
    lines += ["", f"ERM's loss is {min(ratios):.2f}–{max(ratios):.2f} of the baseline's here. "
              f"{PAPER}"]
    return "\n".join(lines)


def main() -> int:
    """Rewrite the table between the markers; 1 if they are missing."""
    text = DOC.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print("markers not found in docs/pipeline.md", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{table()}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
