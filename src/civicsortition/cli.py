"""Command line: ``python -m civicsortition COMMAND ...`` -- a thin layer over the public API.

Exit codes (stable, for scripts):

* 0 -- success;
* 2 -- bad input (the message on stderr names the file, row, column and value);
* 3 -- the quotas cannot be met (the findings are printed on stderr);
* 4 -- ``verify`` found a problem (the failed checks are printed);
* 5 -- a solver failed even after recovery was tried (the stage and status are printed);
* 1 -- an unexpected internal error (a one-line message; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, io
from .apportionment import METHODS, resolve_method
from .errors import InfeasibleQuotasError, InputError, SolverError
from .io.files import OutputPlan, make_directory
from .vote import DENOMINATORS, tally

if TYPE_CHECKING:
    from .audit import AuditReport
    from .distribution import Distribution
    from .draw import DrawRecord
    from .io import PeopleTable
    from .lottery import TransparentLottery
    from .pool import Pool
    from .quotas import Band, Quotas
    from .verifier import Check, Verdict

__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "EXIT_INTERNAL", "EXIT_OK", "EXIT_SOLVER",
           "EXIT_VERIFICATION_FAILED", "main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_VERIFICATION_FAILED = 4
EXIT_SOLVER = 5
EXIT_INTERNAL = 1


def find_distribution(pool: Pool, quotas: Quotas, **options: Any) -> Distribution:
    """:func:`civicsortition.algorithms.find_distribution`, loaded on first use.

    The algorithms load SciPy and the solvers; the commands that do not solve never pay for
    them (and ``--help`` starts at once).
    """
    from .algorithms import find_distribution as find

    return find(pool, quotas, **options)


class _AlgorithmChoices:
    """The ``--algorithm`` choices, read from the algorithm registry when first needed.

    Only checking a given ``--algorithm`` and ``select --help`` load the registry (and with
    it the solvers); building the parser does not.
    """

    def __iter__(self) -> Iterator[str]:
        from .algorithms import ALGORITHMS

        return iter(sorted(ALGORITHMS))

    def __contains__(self, value: object) -> bool:
        return value in list(self)


def _default_algorithm() -> str:
    from .algorithms import DEFAULT_ALGORITHM

    return DEFAULT_ALGORITHM


def _lottery_and_record(args: argparse.Namespace
                        ) -> tuple[TransparentLottery | None, DrawRecord | None]:
    """The optional ``--lottery`` and ``--record`` files."""
    lottery = io.read_lottery(args.lottery) if args.lottery else None
    record = io.read_draw_record(args.record) if args.record else None
    return lottery, record


#: Header names that look like a person id (``--id-column`` was probably forgotten).
ID_LIKE = ("id", "person_id", "personid", "participant_id", "registration_id", "respondent_id",
           "uid", "uuid", "code", "nr", "no")
#: Header names of personal data that must not be published as ids.
PERSONAL = ("name", "full_name", "fullname", "first_name", "firstname", "last_name", "lastname",
            "surname", "given_name", "family_name", "email", "e-mail", "mail", "phone",
            "telephone", "mobile", "birth_date", "date_of_birth", "dob", "address", "street",
            "personal_number", "national_id", "passport")


def _people(args: argparse.Namespace, quotas: Quotas | None, *, publishes: bool = False,
            **options: Any) -> PeopleTable:
    """Read ``--people`` with the id-column safeguards of every command.

    Without ``--id-column`` (and without ``--row-ids``) a file with an id-like column is an
    error with a hint; with ``publishes`` (the ids go into published files), an id column
    that holds personal data (a name-like header, e-mail addresses, several words) is refused
    unless ``--allow-personal-ids`` is given.
    """
    people = io.read_people(args.people, strata=quotas, id_column=args.id_column,
                            household_column=getattr(args, "household_column", None),
                            categories=[] if quotas is None else None, **options)
    folded = [h.strip().casefold() for h in people.header]
    if args.id_column is None and not getattr(args, "row_ids", False):
        likely = [h for h, f in zip(people.header, folded, strict=True)
                  if f in ID_LIKE or f.endswith("_id")]
        if likely:
            raise InputError.single(
                "id-column-not-given", f"the file has a column {likely[0]!r} that looks like "
                f"a person id, but --id-column was not given, so people would be keyed by row "
                f"numbers; pass --id-column {likely[0]} (or --row-ids to key by row numbers)",
                file=people.source, column=likely[0])
    if publishes and args.id_column is not None and not getattr(args, "allow_personal_ids",
                                                                   False):
        col = args.id_column.strip().casefold()
        ids = people.pool.ids
        wordy = sum(1 for pid in ids if "@" in pid or len(pid.split()) > 1)
        if col in PERSONAL or wordy > len(ids) // 2:
            why = ("its name" if col in PERSONAL else
                   f"{wordy} of its {len(ids)} values contain spaces or '@'")
            raise InputError.single(
                "personal-id", f"the id column {args.id_column!r} looks like personal data "
                f"({why}); ids are published in the lottery and results -- use a "
                "pseudonymous id column, or pass --allow-personal-ids if this is intended",
                file=people.source, column=args.id_column)
    return people


def _inputs(args: argparse.Namespace, *, publishes: bool = False
            ) -> tuple[PeopleTable, Quotas]:
    quotas = io.read_targets(args.targets, args.panel_size)
    return _people(args, quotas, publishes=publishes), quotas


def _write_selection(args: argparse.Namespace, people: PeopleTable | None,
                     record: DrawRecord) -> None:
    """Write the draw record and, with a people file, the selected/remaining CSVs."""
    if args.record:
        io.write_draw_record(args.record, record)
        print(f"written: {args.record}")
    if args.selected or args.remaining:
        if people is None:
            raise InputError.single("missing-option", "--selected/--remaining need --people",
                                    column="--people")
        flagged = io.write_selected_and_remaining(args.selected, args.remaining, people,
                                                  record.panel,
                                                  escape_formulas=not args.no_escape_formulas)
        _warn_formulas(flagged)
        for path in (args.selected, args.remaining):
            if path:
                print(f"written: {path}")


def _warn_formulas(flagged: Sequence[Any]) -> None:
    """One warning line per file with formula-like cells (locations only, never values)."""
    by_file: dict[str, list[Any]] = {}
    for p in flagged:
        by_file.setdefault(p.file, []).append(p)
    for name, ps in by_file.items():
        escaped = sum(p.message.startswith("neutralised") for p in ps)
        where = ", ".join(f"line {p.row} column {p.column}" for p in ps[:3])
        print(f"warning: {name}: {len(ps)} cell(s) look like spreadsheet formulas ({where}"
              f"{', ...' if len(ps) > 3 else ''}); {escaped} neutralised with a leading "
              "apostrophe", file=sys.stderr)


def _band(args: argparse.Namespace) -> Band:
    from .quotas import Band

    if args.band_percent is not None:
        return Band.percent(args.band_percent)
    return Band.seats(args.band_seats)


def _cmd_quotas(args: argparse.Namespace) -> int:
    from .quotas import build_quotas

    if args.census:
        census = io.read_census(args.census)
    else:
        from .examples.rustavi import rustavi_synthetic_census

        census = rustavi_synthetic_census()
    quotas = build_quotas(census, args.panel_size, method=args.method, band=_band(args),
                          floors=args.floors, tie_break=args.tie_break)
    if args.markdown:
        sys.stdout.write(quotas.to_markdown())
    elif args.out:
        io.write_targets(args.out, quotas, provenance=args.provenance)
    else:
        io.write_targets(sys.stdout, quotas, provenance=args.provenance)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from .diagnostics import diagnose

    quotas = io.read_targets(args.targets, args.panel_size)
    people = _people(args, quotas, allow_new_values=args.allow_new_values)
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
    people, quotas = _inputs(args, publishes=bool(args.json or args.lottery or args.record))
    algorithm = _default_algorithm() if args.algorithm is None else args.algorithm
    options: dict[str, object] = {"backend": args.backend,
                                  "households": args.household_column is not None}
    from .algorithms import ALGORITHMS

    spec = ALGORITHMS[algorithm]  # the registry says which options an algorithm takes
    if spec.accepts("draws"):
        options["draws"] = args.draws
    if spec.accepts("rng"):
        options["rng"] = args.seed
    if args.progress:
        started = time.perf_counter()

        def report(stage: str, iteration: int, value: float, bound: float) -> None:
            print(f"[{time.perf_counter() - started:7.1f} s] {stage}: iteration {iteration}, "
                  f"value {value:.6f}, bound {bound:.6f}", file=sys.stderr, flush=True)

        options["progress"] = report
    dist = find_distribution(people.pool, quotas, algorithm=algorithm, **options)
    d = dist.details
    print(f"{d.algorithm} on {people.pool.n} people, {quotas.panel_size} seats "
          f"({d.n_types} types) with {d.backend_version}: {d.seconds:.2f} s")
    print(f"minimum selection probability {dist.minimum:.6f}; {d.message}")
    for line in d.extra.get("explanation", []):
        print(line)
    if dist.uncovered:
        print(f"{len(dist.uncovered)} people are on no feasible panel (probability 0)")
    if args.json:
        io.write_result(args.json, dist, panels=not args.no_panels)
        print(f"written: {args.json}")
    if args.lottery or args.draw_seed:
        from .draw import draw
        from .lottery import transparent_lottery

        lottery = transparent_lottery(dist, args.tickets, backend=args.backend)
        print(f"transparent lottery: {lottery.m} tickets, SHA-256 {lottery.digest()} "
              f"(largest change of a probability {lottery.deviation():.4f})")
        if args.lottery:
            io.write_lottery(args.lottery, lottery)
            print(f"written: {args.lottery}")
        if args.draw_seed:
            record = draw(lottery, args.draw_seed)
            print(f"draw: ticket {record.index} of {record.m}; panel of {len(record.panel)}")
            _write_selection(args, people, record)
    elif args.selected or args.remaining or args.record:
        raise InputError.single("missing-option", "--selected/--remaining/--record need "
                                "--draw-seed", column="--draw-seed")
    return EXIT_OK


def _cmd_draw(args: argparse.Namespace) -> int:
    from .draw import draw

    lottery = io.read_lottery(args.lottery)
    record = draw(lottery, args.seed)
    print(f"lottery SHA-256 {record.digest}; seed {record.seed!r}")
    print(f"ticket {record.index} of {record.m} ({record.attempts} hash(es)); panel:")
    print(" ".join(record.panel))
    people = None
    if args.people:
        people = _people(args, None)
    _write_selection(args, people, record)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from .draw import verify
    from .verifier import Verdict, verify_selection

    lottery, record = _lottery_and_record(args)
    if args.targets or args.people:
        if not (args.targets and args.people and args.panel_size):
            raise InputError.single("missing-option", "checking against the inputs needs "
                                    "--targets, --people and --panel-size", column="--targets")
        people, quotas = _inputs(args)
        hh = args.household_column is not None
        dist, doc = None, None
        if args.result:
            doc = io.read_result_document(args.result)
            # for an exact draw and the report (the result checks say what is wrong)
            dist = io.try_result_distribution(doc, people.pool, quotas, households=hh,
                                              name=args.result)
        verdict = verify_selection(people.pool, quotas, distribution=dist, lottery=lottery,
                                   record=record, households=hh, result=doc)
        if args.report:
            verdict = Verdict((*verdict.checks, _report_check(args, people, quotas, dist,
                                                              lottery, record, verdict)))
        for c in verdict.checks:
            status = "FAILED" if not c.ok else "ok    " if c.verified else "unverified"
            print(f"{status} {c.name}: {c.detail}")
        ok = verdict.ok
    elif lottery is not None and record is not None:
        result = verify(record, lottery)
        for problem in result.problems:
            print(f"FAILED {problem}")
        if result.ok:
            print(f"ok     draw re-derived: ticket {record.index} of {record.m}, same panel")
        ok = result.ok
    else:
        raise InputError.single("missing-option", "give --lottery and --record, or the inputs "
                                "(--targets, --people, --panel-size) with any of --result, "
                                "--lottery, --record", column="--record")
    print("verification passed" if ok else "verification FAILED")
    return EXIT_OK if ok else EXIT_VERIFICATION_FAILED


def _audit(args: argparse.Namespace, people: PeopleTable, quotas: Quotas, dist: Distribution,
           lottery: TransparentLottery | None, record: DrawRecord | None,
           verdict: Verdict) -> AuditReport:
    from .audit import audit_report

    census = io.read_census(args.census) if args.census else None
    return audit_report(people.pool, quotas, dist, lottery=lottery, record=record,
                        census=census, verdict=verdict)


def _report_of(args: argparse.Namespace, people: PeopleTable, quotas: Quotas,
               doc: dict[str, Any], lottery: TransparentLottery | None,
               record: DrawRecord | None) -> tuple[AuditReport, Verdict]:
    """The audit report of a result, with the verdict that re-derives every figure in it."""
    from .verifier import verify_selection

    hh = args.household_column is not None
    dist = io.result_distribution(doc, people.pool, quotas, households=hh, name=args.result)
    # The verdict re-derives every figure the result states (a forged bound fails it).
    verdict = verify_selection(people.pool, quotas, distribution=dist, lottery=lottery,
                               record=record, households=hh, result=doc)
    return _audit(args, people, quotas, dist, lottery, record, verdict), verdict


def _report_check(args: argparse.Namespace, people: PeopleTable, quotas: Quotas,
                  dist: Distribution | None, lottery: TransparentLottery | None,
                  record: DrawRecord | None, verdict: Verdict) -> Check:
    """Regenerate the report from the inputs, artefacts and verdict; compare with the stated."""
    from .verifier import Check, json_differences

    stated = io.read_json_object(args.report)
    if not args.result:
        raise InputError.single("missing-option", "--report needs --result (the result it "
                                "reports on)", column="--result")
    if dist is None:
        return Check("report", False, "the result it reports on is invalid (see above)")
    again = io.report_document(_audit(args, people, quotas, dist, lottery, record, verdict))
    for key in ("library_version",):  # may differ between the writer's and the checker's
        stated.pop(key, None)
        again.pop(key, None)
    diffs = json_differences(stated, again)
    return Check("report", not diffs, "; ".join(diffs[:5]) + (f" (and {len(diffs) - 5} more)"
                                                              if len(diffs) > 5 else "")
                 if diffs else "regenerated from the inputs and artefacts: identical")


def _cmd_report(args: argparse.Namespace) -> int:
    people, quotas = _inputs(args)
    doc = io.read_result_document(args.result)
    lottery, record = _lottery_and_record(args)
    report, verdict = _report_of(args, people, quotas, doc, lottery, record)
    if args.json:
        io.write_report_json(args.json, report)
        print(f"written: {args.json}")
    if args.out:
        io.write_report_markdown(args.out, report)
        print(f"written: {args.out}")
    if not args.out and not args.json:
        sys.stdout.write(report.to_markdown())
    return EXIT_OK if verdict.ok else EXIT_VERIFICATION_FAILED


def _cmd_tally(args: argparse.Namespace) -> int:
    votes: dict[str, dict[str, str]] = {}
    for row in io.read_votes(args.votes):
        votes.setdefault(row[1], {})[row[0]] = row[2]
    if args.members_record:
        members = list(io.read_draw_record(args.members_record).panel)
    else:
        members = [m.strip() for m in args.members.split(",") if m.strip()]
    handover = _date(args.handover) if args.handover else None
    result = tally(votes, members, threshold=args.threshold, denominator=args.denominator,
                   handover=handover, response_days=args.response_days)
    sys.stdout.write(result.to_markdown())
    return EXIT_OK


DEMO_FILES = ("invitations.csv", "lottery.json", "draw.json", "result.json", "replacement.json",
              "report.md", "report.json")


def _cmd_demo(args: argparse.Namespace) -> int:
    from .examples.demo import DEMO_DRAW_SEED, rustavi_demo

    if args.out:
        plan = OutputPlan(force=args.force)
        plan.add_directory("--out", args.out, DEMO_FILES)
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
        make_directory(out)
        io.write_invitations(out / "invitations.csv", inv)
        io.write_lottery(out / "lottery.json", lot)
        io.write_draw_record(out / "draw.json", rec)
        io.write_result(out / "result.json", dist, indent=1)
        io.write_replacement(out / "replacement.json", rep)
        io.write_report_markdown(out / "report.md", run.report)
        io.write_report_json(out / "report.json", run.report)
        print(f"\nwritten to {out}: invitations.csv, lottery.json, draw.json, result.json, "
              "replacement.json, report.md, report.json")
    return EXIT_OK if run.verdict.ok else EXIT_VERIFICATION_FAILED


def _cmd_invite(args: argparse.Namespace) -> int:
    from .invitations import Oversample, SimpleRandom, Stratified, invite, plan_letters

    frame = io.read_address_frame(args.frame, id_column=args.id_column)
    if args.letters is None:
        plan = plan_letters(args.target_pool, tuple(args.response_rate))
        print(plan)
        letters = plan.letters
    else:
        letters = args.letters
    design: SimpleRandom | Stratified | Oversample
    if args.design == "stratified":
        population = None
        if args.census:
            population = io.read_census(args.census).shares(args.by)
        design = Stratified(letters, by=args.by, population=population, method=args.method)
    elif args.design == "oversample":
        design = Oversample(letters, flag=args.flag, share=args.share)
    else:
        design = SimpleRandom(letters)
    inv = invite(frame, design, args.seed, reserves=args.reserves)
    print(f"{inv.design}; seed {inv.seed!r}")
    print("letters: " + ", ".join(f"{k}: {v}" for k, v in inv.letters_by_stratum.items())
          + f"; {len(inv.reserves)} reserves; inclusion probability "
          f"{inv.inclusion.min():.4%} to {inv.inclusion.max():.4%}")
    io.write_invitations(args.out, inv)
    print(f"written: {args.out}")
    if args.record:
        io.write_invitation_record(args.record, inv)
        print(f"written: {args.record}")
    return EXIT_OK


def _cmd_registrations(args: argparse.Namespace) -> int:
    quotas = io.read_targets(args.targets, args.panel_size)
    invited = io.read_invited(args.invitations) if args.invitations else None
    regs = io.read_registrations(
        args.registrations, quotas, reference_date=_date(args.reference_date),
        invited=invited, id_field=args.id_column, address_field=args.address_column,
        birth_date_field=args.birth_date_column or None,
        eligible_field=args.eligible_column or None,
        identity_fields=[c.strip() for c in (args.identity_columns or "").split(",")
                         if c.strip()])
    summary = regs.summary()
    print(f"{summary['received']} received, {summary['accepted']} accepted, "
          f"{summary['rejected']} rejected")
    for code, count in summary["reasons"].items():
        if count:
            print(f"  {code}: {count}")
    _warn_formulas(io.write_registrations(args.out, regs, rejections=args.rejections,
                                          escape_formulas=not args.no_escape_formulas))
    print(f"written: {args.out}" + (f", {args.rejections} (organisers only: contains the "
                                    "rejected values)" if args.rejections else ""))
    return EXIT_OK


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError.single("bad-date", "expected a date as YYYY-MM-DD",
                                value=text) from None


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="replace output files that already "
                   "exist (an input file is never overwritten)")


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that are inputs, exist, or cannot be written."""
    plan = OutputPlan([getattr(args, a, None) for a in args.inputs],
                      force=getattr(args, "force", False))
    for name in args.outputs:
        plan.add("--" + name.replace("_", "-"), getattr(args, name, None))
    plan.check()


def _selection_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--record", help="write the draw record (JSON) here")
    p.add_argument("--selected", help="write the selected people's rows here (CSV)")
    p.add_argument("--remaining", help="write everybody else's rows here (CSV)")
    p.add_argument("--no-escape-formulas", action="store_true",
                   help="keep formula-like cells (=, +, -, @ ...) of the columns the library "
                   "does not read unchanged in --selected/--remaining (default: neutralised "
                   "with a leading apostrophe for spreadsheet programs)")


def _input_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--targets", required=required, help="targets CSV "
                   "(feature,value,min,max...)")
    p.add_argument("--people", required=required, help="people CSV, one column per category")
    p.add_argument("--panel-size", type=int, required=required)
    p.add_argument("--id-column", help="id column (required when the file has an id-like "
                   "column; ids are published, so use a pseudonymous one)")
    p.add_argument("--row-ids", action="store_true", help="key people by row numbers from 0 "
                   "(when the file has no id column)")
    p.add_argument("--allow-personal-ids", action="store_true", help="allow an id column "
                   "that looks like names or e-mail addresses to be published")
    p.add_argument("--household-column", help="household key column (enables the "
                   "one-per-household rule)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m civicsortition",
        description="Fair, verifiable selection of citizens' assemblies by lot.")
    parser.add_argument("--version", action="version", version=f"civicsortition {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an unexpected error")
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
    _force(q)
    q.set_defaults(func=_cmd_quotas, inputs=("census",), outputs=("out",))

    i = sub.add_parser("invite", help="stage 1: draw the addresses that get a letter")
    i.add_argument("--frame", required=True, help="address frame CSV (address + strata columns)")
    i.add_argument("--id-column", default="address")
    n = i.add_mutually_exclusive_group(required=True)
    n.add_argument("--letters", type=int, help="number of letters")
    n.add_argument("--target-pool", type=int, help="plan the letters for this many "
                   "registrations (with --response-rate)")
    i.add_argument("--response-rate", type=float, nargs=2, default=[0.05, 0.08],
                   metavar=("LOW", "HIGH"), help="registrations per letter (default 0.05 0.08)")
    i.add_argument("--design", choices=["simple", "stratified", "oversample"],
                   default="stratified")
    i.add_argument("--by", default="district", help="stratification column (default district)")
    i.add_argument("--census", help="census CSV: apportion letters to the population shares of "
                   "the --by category (default: to address counts)")
    i.add_argument("--method", default="largest-remainder", type=resolve_method)
    i.add_argument("--flag", default="low_response", help="oversample: the flag column")
    i.add_argument("--share", type=float, default=0.2, help="oversample: share of letters to "
                   "flagged addresses (default 0.2)")
    i.add_argument("--reserves", type=int, default=0)
    i.add_argument("--seed", required=True, help="public seed text")
    i.add_argument("--out", required=True, help="invitations CSV (status and probability of "
                   "every address)")
    i.add_argument("--record", help="JSON record of the draw")
    _force(i)
    i.set_defaults(func=_cmd_invite, inputs=("frame", "census"), outputs=("out", "record"))

    rg = sub.add_parser("registrations", help="validate registrations into a people file")
    rg.add_argument("--registrations", required=True, help="registrations CSV")
    rg.add_argument("--targets", required=True, help="targets CSV (categories and values)")
    rg.add_argument("--panel-size", type=int, required=True)
    rg.add_argument("--invitations", help="invitations CSV written by invite")
    rg.add_argument("--reference-date", required=True, help="YYYY-MM-DD; ages are judged on it")
    rg.add_argument("--id-column", default="id")
    rg.add_argument("--address-column", default="address")
    rg.add_argument("--birth-date-column", default="birth_date",
                    help="derive the age band from it ('' to read the age column)")
    rg.add_argument("--eligible-column", default="eligible", help="'' to skip the check")
    rg.add_argument("--identity-columns", help="comma-separated columns identifying a person "
                    "(duplicate check), e.g. name,birth_date")
    rg.add_argument("--out", required=True, help="people CSV for select (id, categories, "
                    "address)")
    rg.add_argument("--rejections", help="rejections CSV (organisers only)")
    rg.add_argument("--no-escape-formulas", action="store_true",
                    help="keep formula-like values in --rejections unchanged (default: "
                    "neutralised with a leading apostrophe)")
    _force(rg)
    rg.set_defaults(func=_cmd_registrations,
                    inputs=("registrations", "targets", "invitations"),
                    outputs=("out", "rejections"))

    c = sub.add_parser("check", help="read targets and people; check necessary conditions")
    _input_options(c, required=True)
    c.add_argument("--allow-new-values", action="store_true")
    c.set_defaults(func=_cmd_check, inputs=("targets", "people"), outputs=())

    s = sub.add_parser("select", help="targets + people -> fair lottery over panels (JSON)")
    _input_options(s, required=True)
    # The choices are set after add_argument, which would iterate them (to check a metavar)
    # and so load the algorithms and solvers; None stands for the registry's default.
    s.add_argument("--algorithm").choices = _AlgorithmChoices()
    s.add_argument("--backend", default="highs", help="highs (default), pulp or pulp:SOLVER")
    s.add_argument("--draws", type=int, default=10_000, help="legacy only: simulated draws")
    s.add_argument("--seed", type=int, help="legacy only: random seed")
    s.add_argument("--json", help="write the result here")
    s.add_argument("--no-panels", action="store_true", help="omit the panel list from the JSON")
    s.add_argument("--progress", action="store_true", help="report solver progress on stderr")
    s.add_argument("--lottery", help="write the transparent lottery (canonical JSON) here")
    s.add_argument("--tickets", type=int, default=1000, help="tickets of the transparent "
                   "lottery (default 1000)")
    s.add_argument("--draw-seed", help="public seed: draw the panel from the lottery now")
    _selection_outputs(s)
    _force(s)
    s.set_defaults(func=_cmd_select,
                   inputs=("targets", "people"),
                   outputs=("json", "lottery", "record", "selected", "remaining"))

    dr = sub.add_parser("draw", help="draw a panel from a published lottery with a public seed")
    dr.add_argument("--lottery", required=True, help="the lottery file (canonical JSON)")
    dr.add_argument("--seed", required=True, help="the public seed text")
    dr.add_argument("--people", help="people CSV (to write selected/remaining)")
    dr.add_argument("--id-column", help="id column of the people CSV (the lottery's ids)")
    dr.add_argument("--row-ids", action="store_true", help="the lottery's ids are row numbers")
    _selection_outputs(dr)
    _force(dr)
    dr.set_defaults(func=_cmd_draw,
                    inputs=("lottery", "people"), outputs=("record", "selected", "remaining"))

    v = sub.add_parser("verify", help="re-check a draw, a lottery and a result independently")
    _input_options(v, required=False)
    v.add_argument("--result", help="select's JSON result (with panels)")
    v.add_argument("--lottery", help="the lottery file (canonical JSON)")
    v.add_argument("--record", help="the draw record (JSON)")
    v.add_argument("--report", help="a JSON audit report (report --json) to regenerate from "
                   "the inputs and artefacts and compare, field by field")
    v.add_argument("--census", help="the census CSV the report was made with, if any")
    v.set_defaults(func=_cmd_verify,
                   inputs=("targets", "people", "result", "lottery", "record", "report",
                           "census"), outputs=())

    r = sub.add_parser("report", help="audit report (Markdown/JSON, no personal data)")
    _input_options(r, required=True)
    r.add_argument("--result", required=True, help="select's JSON result (with panels)")
    r.add_argument("--lottery", help="the lottery file (canonical JSON)")
    r.add_argument("--record", help="the draw record (JSON)")
    r.add_argument("--census", help="census CSV (adds census seats to the group view)")
    r.add_argument("--out", help="write the Markdown report here (default: stdout)")
    r.add_argument("--json", help="write the JSON report here")
    _force(r)
    r.set_defaults(func=_cmd_report,
                   inputs=("targets", "people", "result", "lottery", "record", "census"),
                   outputs=("out", "json"))

    t = sub.add_parser("tally", help="tally the assembly's votes (supermajority, answer date)")
    t.add_argument("--votes", required=True, help="CSV: member,recommendation,vote")
    g2 = t.add_mutually_exclusive_group(required=True)
    g2.add_argument("--members", help="comma-separated member ids")
    g2.add_argument("--members-record", help="a draw record JSON whose panel are the members")
    t.add_argument("--threshold", default="0.8", help="share needed, e.g. 0.8 or 2/3 "
                   "(default 0.8)")
    t.add_argument("--denominator", choices=list(DENOMINATORS), default="members")
    t.add_argument("--handover", help="handover date YYYY-MM-DD (prints the answer deadline)")
    t.add_argument("--response-days", type=int, default=30)
    t.set_defaults(func=_cmd_tally, inputs=("votes", "members_record"), outputs=())

    d = sub.add_parser("demo", help="run the whole pipeline on the embedded synthetic example")
    d.add_argument("--panel-size", type=int, default=36)
    d.add_argument("--seed", help="public seed of the panel draw")  # None: the demo's seed
    d.add_argument("--out", help="directory to write the artefacts to")
    _force(d)
    d.set_defaults(func=_cmd_demo, inputs=(), outputs=())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_outputs(args)
        code: int = args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfeasibleQuotasError as e:
        print(f"infeasible: {e}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverError as e:
        if args.debug:
            raise
        print(f"solver error: {e}", file=sys.stderr)
        return EXIT_SOLVER
    except Exception as e:
        if args.debug:
            raise
        what = str(e).splitlines()[0] if str(e) else ""
        print(f"internal error: {type(e).__name__}: {what} (rerun with --debug for the "
              "traceback, and please report it)", file=sys.stderr)
        return EXIT_INTERNAL
    return code
