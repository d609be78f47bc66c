"""The torture sweep: seeded corpus instances from every family, every algorithm, the verifier.

Usage (from the repository root)::

    python benchmarks/torture.py                      # 300 instances, n = 60-2,000
    python benchmarks/torture.py --count 40 --out /tmp/sweep.jsonl
    python benchmarks/torture.py --summary            # counts from benchmarks/torture.jsonl

The sweep is :func:`civicsortition.research.corpus.sweep_records` (seed 0): LEXIMIN, MAXIMIN and NASH on
HiGHS for every instance, LEXIMIN and MAXIMIN on PuLP/CBC as well for small pools;
:func:`civicsortition.research.corpus.check_instance` records crashes and judges every result
(invariants, the independent verifier, convergence). Records are appended to the output file
as each instance finishes, so an interrupted sweep resumes; ``--summary`` prints the counts
that ``docs/benchmarks.md`` reports. The same sweep runs as ``pytest -m slow``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "torture.jsonl"


def run(count: int, out: Path, algorithms: tuple[str, ...]) -> None:
    """Run the sweep, appending records to ``out`` (instances already there are skipped)."""
    from civicsortition.research.corpus import sweep_records

    done: set[int] = set()
    if out.exists():
        seen = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        done = {r["index"] for r in seen if r["algorithm"] == algorithms[0]}
    for records in sweep_records(count, algorithms=algorithms, skip=done.__contains__):
        with out.open("a", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        r0 = records[0]
        worst = max(float(r["seconds"]) for r in records)  # type: ignore[arg-type]
        bad = [(r["algorithm"], r["backend"], r["error"]) for r in records if not r["valid"]]
        print(f"{r0['index']:3d} {r0['family']:14s} n={r0['n']:5d} k={r0['k']:4d} "
              f"types={r0['types']:5d} slowest {worst:6.1f} s"
              + (f"  FAILED: {bad}" if bad else ""), flush=True)


def summary(path: Path) -> dict[str, object]:
    """Counts over a sweep's records (what docs/benchmarks.md reports)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    by = Counter((r["algorithm"], r["backend"]) for r in rows)
    return {
        "instances": {a: len({r["index"] for r in rows if r["algorithm"] == a})
                      for a in ("leximin", "maximin", "nash")},
        "runs": len(rows),
        "crashed": sum(r["crashed"] for r in rows),
        "invalid": sum(not r["valid"] for r in rows),
        "not_converged": {a: sum(not r["converged"] for r in rows if r["algorithm"] == a)
                          for a in ("leximin", "maximin", "nash")},
        "runs_by_algorithm_backend": {f"{a}/{b}": c for (a, b), c in sorted(by.items())},
        "families": dict(sorted(Counter(r["family"] for r in rows
                                        if r["algorithm"] == "leximin"
                                        and r["backend"] == "highs").items())),
        "leximin_staged": sum(r.get("method") == "staged" for r in rows
                              if r["algorithm"] == "leximin"),
        "n_range": [min(r["n"] for r in rows), max(r["n"] for r in rows)],
        "slowest_seconds": {a: round(max(r["seconds"] for r in rows if r["algorithm"] == a), 1)
                            for a in ("leximin", "maximin", "nash")
                            if any(r["algorithm"] == a for r in rows)},
    }


def main(argv: list[str]) -> int:
    """Run the sweep (or print the summary)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--summary", action="store_true")
    p.add_argument("--algorithms", nargs="+", default=["leximin", "maximin", "nash"],
                   help="run these (e.g. LEXIMIN and MAXIMIN first, NASH in a second pass)")
    args = p.parse_args(argv)
    if not args.summary:
        run(args.count, args.out, tuple(args.algorithms))
    print(json.dumps(summary(args.out), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
