"""Command line: ``python -m civicsortition COMMAND ...`` -- a thin layer over the public API.

Exit codes (stable, for scripts):

* 0 -- success;
* 2 -- bad input (the message on stderr names the file, row, column and value);
* 3 -- the quotas cannot be met (the findings are printed on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from . import __version__
from .algorithms import ALGORITHMS, DEFAULT_ALGORITHM, find_distribution
from .apportionment import METHODS, resolve_method
from .census import rustavi_synthetic_census
from .diagnostics import diagnose
from .distribution import check_distribution
from .errors import InputError
from .examples import rustavi_example
from .io import read_census, read_people, read_targets, write_targets
from .program import InfeasibleQuotasError
from .quotas import Band, build_quotas

__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "EXIT_OK", "main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3


def _band(args: argparse.Namespace) -> Band:
    if args.band_percent is not None:
        return Band.percent(args.band_percent)
    return Band.seats(args.band_seats)


def _cmd_quotas(args: argparse.Namespace) -> int:
    census = read_census(args.census) if args.census else rustavi_synthetic_census()
    quotas = build_quotas(census, args.panel_size, method=args.method, band=_band(args),
                          floors=args.floors, tie_break=args.tie_break)
    if args.markdown:
        sys.stdout.write(quotas.to_markdown())
    elif args.out:
        write_targets(args.out, quotas, provenance=args.provenance)
    else:
        write_targets(sys.stdout, quotas, provenance=args.provenance)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    quotas = read_targets(args.targets, args.panel_size)
    people = read_people(args.people, strata=quotas, id_column=args.id_column,
                         household_column=args.household_column,
                         allow_new_values=args.allow_new_values)
    diagnosis = diagnose(people.pool, quotas)
    print(f"pool: {people.pool.n} people; panel: {quotas.panel_size} seats; "
          f"{len(quotas)} quota rows in {len(quotas.strata)} categories")
    for finding in diagnosis.warnings:
        print(finding)
    for finding in diagnosis.errors:
        print(finding, file=sys.stderr)
    if not diagnosis.ok:
        return EXIT_INFEASIBLE
    print("necessary conditions hold (a panel may exist; the solver decides)")
    return EXIT_OK


def _cmd_select(args: argparse.Namespace) -> int:
    quotas = read_targets(args.targets, args.panel_size)
    people = read_people(args.people, strata=quotas, id_column=args.id_column,
                         household_column=args.household_column)
    options: dict[str, object] = {"backend": args.backend,
                                  "households": args.household_column is not None}
    if args.algorithm == "legacy":
        options.update(draws=args.draws, rng=args.seed)
    if args.progress:
        started = time.perf_counter()

        def report(stage: str, iteration: int, value: float, bound: float) -> None:
            print(f"[{time.perf_counter() - started:7.1f} s] {stage}: iteration {iteration}, "
                  f"value {value:.6f}, bound {bound:.6f}", file=sys.stderr, flush=True)

        options["progress"] = report
    dist = find_distribution(people.pool, quotas, algorithm=args.algorithm, **options)
    d = dist.details
    print(f"{d.algorithm} on {people.pool.n} people, {quotas.panel_size} seats "
          f"({d.n_types} types) with {d.backend_version}: {d.seconds:.2f} s")
    print(f"minimum selection probability {dist.minimum:.6f}; {d.message}")
    for line in d.extra.get("explanation", []):
        print(line)
    if dist.uncovered:
        print(f"{len(dist.uncovered)} people are on no feasible panel (probability 0)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(dist.as_dict(panels=not args.no_panels), f, ensure_ascii=False)
            f.write("\n")
        print(f"written: {args.json}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    pool, quotas = rustavi_example(args.panel_size)
    print("civicsortition demo -- the embedded SYNTHETIC Rustavi-like census and registration "
          "pool (not official statistics, no real people)\n")
    print(f"1. Quotas for a {args.panel_size}-member assembly (largest remainder, ±1 seat, "
          "at least one seat per value):\n")
    sys.stdout.write(quotas.to_markdown())
    n_households = len({h for h in pool.households or () if h is not None})
    print(f"\n2. Pool: {pool.n} registrations from {n_households} invited addresses")
    diagnosis = diagnose(pool, quotas)
    print(f"   pre-solve checks: {diagnosis}")
    if not diagnosis.ok:
        return EXIT_INFEASIBLE
    dist = find_distribution(pool, quotas, algorithm="leximin", households=True)
    d = dist.details
    pi = dist.marginals
    print(f"\n3. LEXIMIN lottery ({d.backend_version}, {d.seconds:.1f} s, {d.n_types} types):")
    print(f"   minimum selection probability {dist.minimum:.2%} (certified upper bound "
          f"{d.bound:.2%}; a uniform lottery ignoring quotas would give "
          f"{quotas.panel_size / pool.n:.2%})")
    print(f"   maximum {pi.max():.2%}; {len(dist.probabilities)} panel profiles in the support")
    for line in d.extra.get("explanation", [])[:3]:
        print(f"   {line}")
    problems = check_distribution(dist)
    print(f"   independent invariant check: {problems if problems else 'passed'}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m civicsortition",
        description="Fair, verifiable selection of citizens' assemblies by lot.")
    parser.add_argument("--version", action="version", version=f"civicsortition {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    q = sub.add_parser("quotas", help="census shares -> quota (targets) CSV")
    q.add_argument("--census", help="census CSV (category,value,share|percent|count); "
                   "default: the embedded synthetic Rustavi census")
    q.add_argument("--panel-size", type=int, required=True)
    q.add_argument("--method", default="largest-remainder", type=resolve_method,
                   help=f"apportionment method: {', '.join(METHODS)} (default largest-remainder)")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--band-seats", type=int, default=1, help="± seats around the apportioned "
                   "number (default 1)")
    g.add_argument("--band-percent", type=float, help="± percentage points of the share")
    q.add_argument("--floors", action="store_true", help="at least one seat per present value")
    q.add_argument("--tie-break", choices=["order", "raise", "random"], default="order")
    q.add_argument("--out", help="write the targets CSV here (default: stdout)")
    q.add_argument("--provenance", action="store_true", help="add share/exact quota columns")
    q.add_argument("--markdown", action="store_true", help="print a Markdown table instead")
    q.set_defaults(func=_cmd_quotas)

    c = sub.add_parser("check", help="read targets and people; check necessary conditions")
    c.add_argument("--targets", required=True)
    c.add_argument("--people", required=True)
    c.add_argument("--panel-size", type=int, required=True)
    c.add_argument("--id-column")
    c.add_argument("--household-column")
    c.add_argument("--allow-new-values", action="store_true")
    c.set_defaults(func=_cmd_check)

    s = sub.add_parser("select", help="targets + people -> fair lottery over panels (JSON)")
    s.add_argument("--targets", required=True, help="targets CSV (feature,value,min,max...)")
    s.add_argument("--people", required=True, help="people CSV, one column per category")
    s.add_argument("--panel-size", type=int, required=True)
    s.add_argument("--id-column", help="id column (default: row numbers from 0)")
    s.add_argument("--household-column", help="household key column (enables the "
                   "one-per-household rule)")
    s.add_argument("--algorithm", choices=sorted(ALGORITHMS), default=DEFAULT_ALGORITHM)
    s.add_argument("--backend", default="highs", help="highs (default), pulp or pulp:SOLVER")
    s.add_argument("--draws", type=int, default=10_000, help="legacy only: simulated draws")
    s.add_argument("--seed", type=int, help="legacy only: random seed")
    s.add_argument("--json", help="write the result here")
    s.add_argument("--no-panels", action="store_true", help="omit the panel list from the JSON")
    s.add_argument("--progress", action="store_true", help="report solver progress on stderr")
    s.set_defaults(func=_cmd_select)

    d = sub.add_parser("demo", help="run the pipeline on the embedded synthetic example")
    d.add_argument("--panel-size", type=int, default=36)
    d.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfeasibleQuotasError as e:
        print(f"infeasible: {e}", file=sys.stderr)
        return EXIT_INFEASIBLE
    return code
