"""The organiser's commands after the draw, and the example files.

``replace``, ``alternates prepare|fill``, ``example`` and ``demo`` (see
:mod:`civicsortition.cli`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import io
from ..errors import InputError, Problem
from ..io.files import OutputPlan, make_directory
from ._common import (
    EXIT_OK,
    EXIT_VERIFICATION_FAILED,
    default_algorithm,
    dropouts,
    id_list,
    inputs,
    members,
    on_panel,
    run_options,
    unconverged_notice,
    write_people_split,
)

if TYPE_CHECKING:
    from ..io import PeopleTable


def _known(people: PeopleTable, ids: Sequence[str], option: str) -> None:
    """Refuse ids that are not in the people file (before any work is done)."""
    index = set(people.pool.ids)
    unknown = [pid for pid in ids if pid not in index]
    if unknown:
        raise InputError([Problem("unknown-id", f"{option}: no person with this id in "
                                  f"{people.source}", file=people.source, column=option,
                                  value=pid) for pid in unknown[:20]])


def _current(args: argparse.Namespace, people: PeopleTable) -> list[str]:
    """The current members, each checked to be in the people file."""
    panel = members(args)
    option = "--members-record" if args.members_record else "--members"
    _known(people, panel, option)
    if not panel:
        raise InputError.single("no-members", "the current panel is empty", column=option)
    return panel


def _leaving(args: argparse.Namespace, people: PeopleTable, panel: Sequence[str]) -> list[str]:
    """The dropouts: in the people file and on the current panel."""
    leaving = dropouts(args)
    _known(people, leaving, "--dropouts")
    on_panel(panel, leaving)
    return leaving


def cmd_replace(args: argparse.Namespace) -> int:
    """``replace``: draw replacements under the residual quotas and write the record."""
    people, quotas = inputs(args, publishes=True)
    panel = _current(args, people)
    leaving = _leaving(args, people, panel)
    excluded = id_list(args.exclude)
    _known(people, excluded, "--exclude")
    from ..replacements import replace

    algorithm = default_algorithm() if args.algorithm is None else args.algorithm
    with run_options(args, algorithm) as run:
        rep = replace(people.pool, quotas, panel, leaving, args.seed, algorithm=algorithm,
                      households=args.household_column is not None, excluded=excluded,
                      tickets=args.tickets, on_infeasible="relax" if args.relax else "raise",
                      backend=args.backend, **run)
    unconverged_notice(rep.distribution)
    d, lot, rec = rep.distribution, rep.lottery, rep.record
    print(f"{len(rep.dropouts)} dropout(s): {' '.join(rep.dropouts)}; {len(rep.kept)} members "
          f"kept; {rep.remaining.n} people eligible to fill the seats")
    seats = rep.residual.panel_size
    binding = [q for q in rep.residual if q.min > 0 or q.max < seats]  # rows that restrict
    print(f"residual quotas for {seats} seat(s): " + (", ".join(
        f"{q.category}={q.value} " + ("none" if q.max == 0 else f"{q.min}-{min(q.max, seats)}")
        for q in binding) or "no restriction"))
    for change in rep.relaxation:
        print(f"relaxed: {change}")
    print(f"{d.details.algorithm}: minimum selection probability {d.minimum:.6f}")
    print(f"transparent lottery: {lot.m} tickets, SHA-256 {lot.digest()}")
    print(f"draw with seed {rec.seed!r}: ticket {rec.index} of {rec.m}")
    print(f"replacements: {' '.join(rep.replacements)}")
    if args.record:
        io.write_replacement(args.record, rep)
        print(f"written: {args.record}")
    if args.lottery:
        io.write_lottery(args.lottery, lot)
        print(f"written: {args.lottery}")
    write_people_split(args, people, rep.panel)
    return EXIT_OK


def cmd_alternates_prepare(args: argparse.Namespace) -> int:
    """``alternates prepare``: draw an ordered list of alternates and write it."""
    people, quotas = inputs(args, publishes=True)
    panel = _current(args, people)
    excluded = id_list(args.exclude)
    _known(people, excluded, "--exclude")
    from ..replacements import prepare_alternates

    algorithm = default_algorithm() if args.algorithm is None else args.algorithm
    with run_options(args, algorithm) as run:
        alt = prepare_alternates(people.pool, quotas, panel, args.count, args.seed,
                                 algorithm=algorithm,
                                 households=args.household_column is not None,
                                 excluded=excluded, tickets=args.tickets, backend=args.backend,
                                 **run)
    unconverged_notice(alt.distribution)
    print(f"{len(alt.order)} alternates drawn with seed {alt.record.seed!r} (ticket "
          f"{alt.record.index} of {alt.record.m}); minimum selection probability "
          f"{alt.distribution.minimum:.6f}")
    print("order: " + " ".join(alt.order))
    io.write_alternates(args.out, alt, panel)
    print(f"written: {args.out}")
    return EXIT_OK


def cmd_alternates_fill(args: argparse.Namespace) -> int:
    """``alternates fill``: the earliest alternates that complete the panel within the quotas."""
    people, quotas = inputs(args, publishes=True)
    panel = _current(args, people)
    leaving = _leaving(args, people, panel)
    listed = io.read_alternates(args.alternates)
    _known(people, listed.order, "--alternates")
    unavailable = id_list(args.unavailable)
    _known(people, unavailable, "--unavailable")
    from ..replacements import fill_from_alternates

    chosen = fill_from_alternates(people.pool, quotas, panel, leaving, listed.order,
                                  households=args.household_column is not None,
                                  unavailable=unavailable)
    kept = [pid for pid in panel if pid not in set(leaving)]
    print(f"{len(leaving)} dropout(s): {' '.join(leaving)}; filled from the alternates list "
          f"(seed {listed.seed!r}) by: {' '.join(chosen)}")
    if args.record:
        io.write_alternates_fill(args.record, kept=kept, dropouts=leaving, replacements=chosen,
                                 unavailable=unavailable, alternates=listed)
        print(f"written: {args.record}")
    write_people_split(args, people, sorted([*kept, *chosen]))
    return EXIT_OK


def cmd_example(args: argparse.Namespace) -> int:
    """``example``: write the embedded example's input files."""
    from ..examples.inputs import EXAMPLE_FILES, write_example_inputs

    plan = OutputPlan(force=args.force)
    plan.add_directory("--out", args.out, EXAMPLE_FILES)
    plan.check()
    make_directory(args.out)
    written = write_example_inputs(args.out, panel_size=args.panel_size)
    print("SYNTHETIC Rustavi-like example (not official statistics, no real people or "
          "addresses)")
    for name, what in written.items():
        print(f"written: {Path(args.out) / name} -- {what}")
    return EXIT_OK


DEMO_FILES = ("invitations.csv", "lottery.json", "draw.json", "result.json", "replacement.json",
              "report.md", "report.json")


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: the whole pipeline on the synthetic example, printed (and written)."""
    from ..examples.demo import DEMO_DRAW_SEED, rustavi_demo
    from ..examples.inputs import EXAMPLE_FILES, write_demo_inputs

    if args.out:
        plan = OutputPlan(force=args.force)
        plan.add_directory("--out", args.out, DEMO_FILES)
        plan.add_directory("--out", Path(args.out) / "inputs", EXAMPLE_FILES)
        plan.check()
    print("civicsortition demo -- the whole two-stage selection on SYNTHETIC Rustavi-like data "
          "(not official statistics, no real people or addresses)\n")
    run = rustavi_demo(panel_size=args.panel_size,
                       draw_seed=DEMO_DRAW_SEED if args.seed is None else args.seed)
    inv, regs, dist, d = run.invitations, run.registrations, run.distribution, \
        run.distribution.details
    print(f"1. Address frame: {run.frame.n} addresses in "
          f"{len(inv.letters_by_stratum)} districts.")
    print(f"   Letter plan: {run.plan}.")
    print(f"2. Invitations ({inv.design}); seed {inv.seed!r}:")
    print("   " + ", ".join(f"{k}: {v}" for k, v in inv.letters_by_stratum.items())
          + f"; {len(inv.reserves)} reserves; inclusion probability "
          f"{inv.inclusion.min():.3%}-{inv.inclusion.max():.3%}")
    summary = regs.summary()
    print(f"3. Registrations: {summary['received']} received, {summary['accepted']} accepted, "
          f"{summary['rejected']} rejected (" + ", ".join(
              f"{k} {v}" for k, v in summary["reasons"].items() if v) + ")")
    print(f"   {summary['multi_person_households']} addresses registered more than one person "
          "(at most one of them can be selected)")
    print(f"\n4. Quotas for {args.panel_size} seats from the synthetic census (largest "
          "remainder, ±1 seat, at least one seat per value):\n")
    sys.stdout.write(run.quotas.to_markdown())
    print(f"\n5. LEXIMIN lottery ({d.backend_version}, {d.seconds:.1f} s, {d.n_types} types):")
    print(f"   minimum selection probability {dist.minimum:.2%} (certified upper bound "
          f"{d.bound:.2%}; k/n = {args.panel_size / regs.pool.n:.2%}); maximum "
          f"{dist.marginals.max():.2%}; {len(dist.probabilities)} panel profiles")
    for line in d.extra.get("explanation", [])[:2]:
        print(f"   {line}")
    for line in run.households.lines():
        print(f"   {line}")
    lot, rec = run.lottery, run.record
    print(f"6. Transparent lottery: {lot.m} tickets, SHA-256 {lot.digest()}")
    print(f"   largest change of a probability by rounding {lot.deviation():.4f}")
    print(f"7. Public draw with seed {rec.seed!r}: ticket {rec.index}; panel of "
          f"{len(rec.panel)}: {' '.join(rec.panel[:6])} ...")
    print(f"8. Independent verification: {'passed' if run.verdict.ok else 'FAILED'} "
          f"({len(run.verdict.checks)} checks)")
    rep = run.replacement
    print(f"9. Two members drop out ({', '.join(rep.dropouts)}); replacements drawn from "
          f"{rep.remaining.n} eligible people under the residual quotas: "
          f"{', '.join(rep.replacements)}"
          + (f" (quotas relaxed: {'; '.join(map(str, rep.relaxation))})"
             if rep.relaxation else ""))
    print("10. The assembly votes (SIMULATED ballots):\n")
    sys.stdout.write(run.vote.to_markdown())
    if args.out:
        out = Path(args.out)
        make_directory(out / "inputs")
        io.write_invitations(out / "invitations.csv", inv)
        io.write_lottery(out / "lottery.json", lot)
        io.write_draw_record(out / "draw.json", rec)
        io.write_result(out / "result.json", dist, indent=1)
        io.write_replacement(out / "replacement.json", rep)
        io.write_report_markdown(out / "report.md", run.report)
        io.write_report_json(out / "report.json", run.report)
        write_demo_inputs(out / "inputs", run)
        print(f"\nwritten to {out}: invitations.csv, lottery.json, draw.json, result.json, "
              "replacement.json, report.md, report.json; the inputs in inputs/: "
              + ", ".join(EXAMPLE_FILES))
    return EXIT_OK if run.verdict.ok else EXIT_VERIFICATION_FAILED
