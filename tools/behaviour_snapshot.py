"""Record what the library computes and says, to compare before and after a restructuring.

Usage (from the repository root)::

    python tools/behaviour_snapshot.py --out /tmp/before.json      # before the change
    python tools/behaviour_snapshot.py --compare /tmp/before.json  # after it: differences

Only what is determined by the inputs is recorded, never a solver's choice among equal optima:
LEXIMIN and NASH marginals (unique), every algorithm's minimum and certified bound (to 1e-7),
LEGACY's marginals with a fixed rng, the error codes and exit codes of a set of bad inputs on
the command line, and the input-determined lines of ``demo``. Instances: the embedded example
and one small pool of each torture family (seed 0).

One section, ``same_machine``, does depend on the solver's choice: the digests of 1,000-ticket
lotteries (and their rounding deviations) of LEXIMIN and NASH. It is meant for a before/after
comparison on one machine, where it catches a change in the rounding or the lottery; the
baseline is made by running this script against the older checkout
(``PYTHONPATH=OLD/src python tools/behaviour_snapshot.py --out ...``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import civicsortition as cs
from civicsortition.cli import main

try:
    from civicsortition.research.corpus import FAMILIES, torture_instance
except ImportError:  # a checkout from before the restructure (issue 13): the baseline's source
    from civicsortition.corpus import FAMILIES, torture_instance  # type: ignore[no-redef]
from civicsortition.verifier import json_differences

TOL = 1e-7


def _instances() -> dict[str, tuple[cs.Pool, cs.Quotas]]:
    out = {"rustavi": cs.examples.rustavi_example()}
    for family in sorted(FAMILIES):
        inst = torture_instance(family, 120, seed=0)
        out[f"corpus:{family}:120"] = (inst.pool, inst.quotas)
    return out


def _engine() -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for name, (pool, quotas) in _instances().items():
        for algorithm in ("leximin", "maximin", "nash", "legacy"):
            options: dict[str, Any] = {"draws": 2000, "rng": 7} if algorithm == "legacy" else {}
            try:
                d = cs.find_distribution(pool, quotas, algorithm=algorithm, **options)
            except cs.InfeasibleQuotasError as e:
                rec[f"{name}/{algorithm}"] = {"infeasible": str(e).splitlines()[0]}
                continue
            bound = d.details.bound
            row: dict[str, Any] = {"minimum": d.minimum, "converged": d.details.converged,
                                   "bound": None if bound != bound else bound}  # NaN: none
            if algorithm in ("leximin", "nash", "legacy"):
                row["marginals"] = [float(x) for x in d.marginals]
            rec[f"{name}/{algorithm}"] = row
    return rec


def _lotteries() -> dict[str, Any]:
    """Ticket lotteries (1,000 tickets): the digest and the rounding's deviation.

    The digest depends on which optimal lottery the solver returned, so it is comparable only
    on one machine with one set of solver versions -- which is what a before/after check is.
    """
    rec: dict[str, Any] = {}
    for name, (pool, quotas) in _instances().items():
        for algorithm in ("leximin", "nash"):
            d = cs.find_distribution(pool, quotas, algorithm=algorithm)
            for method in ("ilp", "dependent"):
                lot = cs.transparent_lottery(d, 1000, method=method)
                rec[f"{name}/{algorithm}/{method}"] = {
                    "digest": lot.digest(), "deviation": float(lot.rounding.deviation),
                    "optimal": bool(lot.rounding.optimal)}
    return rec


def _cli(args: list[str]) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return {"exit": code, "codes": sorted(set(re.findall(r"\[([a-z0-9-]+)\]", err.getvalue())))}


def _command_line() -> dict[str, Any]:
    pool, quotas = cs.examples.rustavi_example()
    rec: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        targets, people = d / "targets.csv", d / "people.csv"
        cs.write_targets(targets, quotas)
        rows = ["id," + ",".join(pool.strata.names) + ",address"]
        rows += [",".join([r["id"], *(r[c] for c in pool.strata.names), r.get("household", "")])
                 for r in pool.records()]
        people.write_text("\n".join(rows) + "\n", encoding="utf-8")
        base = ["--targets", str(targets), "--people", str(people), "--panel-size", "36",
                "--id-column", "id"]
        bad = d / "bad.csv"
        bad.write_text("feature,value,min,max\nsex,f,x,1\nsex,f,0,1\n", encoding="utf-8")
        cases = {
            "select-ok": ["select", *base, "--household-column", "address"],
            "select-output-is-input": ["select", *base, "--draw-seed", "s", "--selected",
                                       str(people)],
            "check-bad-targets": ["check", "--targets", str(bad), "--people", str(people),
                                  "--panel-size", "36", "--id-column", "id"],
            "select-unknown-column": ["select", *base, "--household-column", "nope"],
            "select-too-many-seats": ["select", "--targets", str(targets), "--people",
                                      str(people), "--panel-size", "500", "--id-column", "id"],
            "verify-nothing": ["verify", *base],
            "tally-missing-file": ["tally", "--votes", str(d / "none.csv"), "--members", "a"],
        }
        for name, args in cases.items():
            rec[name] = _cli(args)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["demo"])
    # Steps 1-4 (stage 1, registrations, quotas) depend on the inputs only; from step 5 on the
    # lines carry timings, versions and the lottery the solver chose among equal optima.
    lines = out.getvalue().splitlines()
    rec["demo"] = lines[:next(i for i, ln in enumerate(lines) if ln.startswith("5. "))]
    return rec


def snapshot() -> dict[str, Any]:
    """Everything recorded (see the module docstring)."""
    return {"engine": _engine(), "cli": _command_line(), "same_machine": _lotteries()}


def main_(argv: list[str]) -> int:
    """Write a snapshot, or compare with one (exit 1 on differences)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", type=Path)
    g.add_argument("--compare", type=Path)
    args = p.parse_args(argv)
    now = snapshot()
    if args.out:
        args.out.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"written: {args.out}")
        return 0
    diffs = json_differences(now, json.loads(args.compare.read_text(encoding="utf-8")),
                             tol=TOL)
    for d in diffs:
        print(d)
    print(f"{len(diffs)} difference(s)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1:]))
