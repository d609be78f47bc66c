"""Regenerate the measured parts of docs/transparency.md (rounding comparison, example report).

Usage: python tools/make_transparency_doc.py > docs/transparency_generated.md
"""

from __future__ import annotations

import time

import civicsortition as cs
from civicsortition.lottery import transparent_lottery

pool, quotas = cs.rustavi_example()
dist = cs.leximin(pool, quotas)
print("| method | m | seconds | largest type-level change | largest per-person change "
      "| promised bound | proven optimal |")
print("|---|---:|---:|---:|---:|---:|---|")
for m in (100, 1000):
    for method in ("dependent", "ilp"):
        t = time.perf_counter()
        lot = transparent_lottery(dist, m, method=method)
        s = lot.summary()
        print(f"| {method} | {m} | {time.perf_counter() - t:.2f} | {s['type_deviation']:.4f} | "
              f"{s['max_abs_deviation']:.4f} | {s['promised_bound']:.4f} | {s['optimal']} |")
lot = transparent_lottery(dist, 1000)
rec = cs.draw(lot, "2026-11-24 lotto 3 14 15 92 65 35")
verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lot, record=rec)
report = cs.audit_report(pool, quotas, dist, lottery=lot, record=rec,
                         census=cs.rustavi_synthetic_census(), verdict=verdict)
print()
print(report.to_markdown())
