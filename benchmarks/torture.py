"""The torture sweep: seeded corpus instances from every family, every algorithm, the verifier.

Usage (from the repository root)::

    python benchmarks/torture.py                      # 300 instances, n = 60-2,000
    python benchmarks/torture.py --count 40 --out /tmp/sweep.jsonl
    python benchmarks/torture.py --summary            # counts from benchmarks/torture.jsonl

Each instance comes from :func:`civicsortition.corpus.torture_sweep` (seed 0) and is run with
LEXIMIN, MAXIMIN and NASH on HiGHS, and with LEXIMIN and MAXIMIN on PuLP/CBC as well when
``n <= PULP_MAX_N``; :func:`civicsortition.corpus.check_instance` records crashes and judges
every result (invariants, convergence, the independent verifier). Records are appended to the
output file as they finish, so an interrupted sweep resumes; ``--summary`` prints the counts
that ``docs/benchmarks.md`` reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "torture.jsonl"
PULP_MAX_N = 150
#: NASH's column generation converges slowly on household pools (see docs/benchmarks.md); the
#: sweep caps its pricing rounds and reports how many runs proved optimality.
OPTIONS = {"nash": {"max_iterations": 600}}


def run(count: int, out: Path) -> None:
    from civicsortition.corpus import check_instance, torture_instance, torture_sweep

    done = set()
    if out.exists():
        done = {(r["index"], r["algorithm"], r["backend"]) for r in map(json.loads,
                                                                        out.open())}
    for index, (family, n, k, seed) in enumerate(torture_sweep(count)):
        backends = ("highs", "pulp") if n <= PULP_MAX_N else ("highs",)
        if all((index, a, b) in done for a in ("leximin", "maximin", "nash") for b in
               backends if not (b == "pulp" and a == "nash")):
            continue
        inst = torture_instance(family, n, k, seed=seed)
        records = check_instance(inst, options=OPTIONS)
        if "pulp" in backends:
            records += check_instance(inst, ("leximin", "maximin"), ("pulp",), options=OPTIONS)
        with out.open("a", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps({"index": index, **r}) + "\n")
        worst = max(float(r["seconds"]) for r in records)  # type: ignore[arg-type]
        bad = [r for r in records if not r["valid"]]
        print(f"{index:3d} {family:14s} n={n:5d} k={inst.quotas.panel_size:4d} "
              f"types={inst.n_types:5d} slowest {worst:6.1f} s"
              + (f"  FAILED: {[(r['algorithm'], r['error']) for r in bad]}" if bad else ""),
              flush=True)


def summary(path: Path) -> dict[str, object]:
    """Counts over a sweep's records (what docs/benchmarks.md reports)."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    by = Counter((r["algorithm"], r["backend"]) for r in rows)
    return {
        "instances": len({r["index"] for r in rows}),
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
                            for a in ("leximin", "maximin", "nash")},
    }


def main(argv: list[str]) -> int:
    """Run the sweep (or print the summary)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--summary", action="store_true")
    args = p.parse_args(argv)
    if not args.summary:
        run(args.count, args.out)
    print(json.dumps(summary(args.out), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
