"""The commands from the census to the vote: ``quotas`` ... ``tally`` (see :mod:`..cli`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .. import io
from .._i18n import say, tr, translate
from ..errors import InfeasibleQuotasError, InputError
from ..vote import tally
from ._common import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    EXIT_VERIFICATION_FAILED,
    algorithm_parameters,
    band,
    date,
    default_algorithm,
    inputs,
    lottery_and_record,
    members,
    people_table,
    run_options,
    unconverged_notice,
    warn_formulas,
    write_selection,
)

if TYPE_CHECKING:
    from ..algorithms.feasibility import RelaxationPriorities
    from ..audit import AuditReport
    from ..distribution import Distribution
    from ..draw import DrawRecord
    from ..invitations import Clustered
    from ..io import PeopleTable
    from ..lottery import TransparentLottery
    from ..pool import Pool
    from ..quotas import Quotas
    from ..registrations import Registrations
    from ..verifier import Check, Verdict


def cmd_quotas(args: argparse.Namespace) -> int:
    """``quotas``: census shares to a targets CSV (or Markdown)."""
    from ..quotas import build_quotas

    if args.census:
        census = io.read_census(args.census)
    else:
        from ..examples.rustavi import rustavi_synthetic_census

        census = rustavi_synthetic_census()
    from ..quotas import Band

    joint_band = (Band.percent(args.joint_band_percent) if args.joint_band_percent is not None
                  else Band.seats(args.joint_band_seats) if args.joint_band_seats is not None
                  else None)
    quotas = build_quotas(census, args.panel_size, method=args.method, band=band(args),
                          floors=args.floors, tie_break=args.tie_break,
                          joint=list(args.joint), joint_band=joint_band)
    if args.markdown:
        sys.stdout.write(quotas.to_markdown())
    elif args.out:
        io.write_targets(args.out, quotas, provenance=args.provenance)
        print(say("written: {out}", out=args.out))
    else:
        io.write_targets(sys.stdout, quotas, provenance=args.provenance)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """``check``: read the inputs and test the necessary conditions of the quotas."""
    from ..diagnostics import diagnose

    quotas = io.read_targets(args.targets, args.panel_size)
    people = people_table(args, quotas, allow_new_values=args.allow_new_values)
    diagnosis = diagnose(people.pool, quotas, households=args.household_column is not None)
    print(say("pool: {n} people; panel: {panel_size} seats; {n_quotas} quota rows in {n_strata} "
              "categories",
              n=people.pool.n, panel_size=quotas.panel_size, n_quotas=len(quotas),
              n_strata=len(quotas.strata)))
    for finding in diagnosis.warnings:
        print(finding)
    for finding in diagnosis.errors:
        print(finding, file=sys.stderr)
    priorities = relaxation_priorities(args, quotas)
    solve = args.solve or priorities is not None
    panel = members(args)
    if not diagnosis.ok and not solve and not panel:
        return EXIT_INFEASIBLE
    if diagnosis.ok:
        print(say("necessary conditions hold (a panel may exist; the solver decides)"))
    code = EXIT_OK if diagnosis.ok else EXIT_INFEASIBLE
    if solve:
        from ..algorithms.feasibility import minimal_relaxation

        err = minimal_relaxation(people.pool, quotas, priorities=priorities,
                                 households=args.household_column is not None)
        if err is None:
            print(say("the solver found a panel that meets every quota"))
        else:
            print(say("infeasible: {e}", e=err), file=sys.stderr)
            code = EXIT_INFEASIBLE
    if panel:
        _replacement_table(args, people.pool, quotas, panel)
    return code


def relaxation_priorities(args: argparse.Namespace,
                          quotas: Quotas) -> RelaxationPriorities | None:
    """``--relax-order``, ``--relax-weights``, ``--never-relax`` (None when none is given).

    Checked against the quotas at once, so a misspelt name fails before any solve.
    """
    given = [getattr(args, name, None) for name in ("relax_order", "relax_weights",
                                                     "never_relax")]
    if not any(given):
        return None
    from ..algorithms.feasibility import RelaxationPriorities

    order, weights, never = (text or "" for text in given)
    priorities = RelaxationPriorities(order=order, weights=weights, never=never)
    priorities.check(quotas)
    return priorities


def _replacement_table(args: argparse.Namespace, pool: Pool, quotas: Quotas,
                       panel: list[str]) -> None:
    """``check --members``: per profile, how many people could take a member's seat."""
    from ..replacements import replacement_counts
    from ._common import id_list

    together = bool(getattr(args, "solve", False))
    counts = replacement_counts(pool, quotas, panel,
                                households=args.household_column is not None,
                                excluded=id_list(getattr(args, "exclude", None)),
                                simultaneous=together, backend=getattr(args, "backend", None))
    print(say("replacements before any dropout (people off the panel who could take a "
              "member's seat with every quota kept; {n} people off the panel):",
              n=counts.candidates))
    for group in counts.by_profile():
        profile = ", ".join(f"{c}={v}" for c, v in zip(counts.categories, group.profile,
                                                        strict=True))
        low, high = min(group.counts), max(group.counts)
        if low == high:
            print(say("  {count} for each of {n} member(s) with {profile}: {members}",
                      count=low, n=len(group.members), profile=profile,
                      members=" ".join(group.members)))
        else:
            print(say("  {low} to {high} (the household rule) for each of {n} member(s) with "
                      "{profile}: {members}", low=low, high=high, n=len(group.members),
                      profile=profile, members=" ".join(group.members)))
        if together and len(group.members) > 1:
            print(say("    at once: {absorbs} of these {n} can drop out together and all be "
                      "replaced", absorbs=group.absorbs, n=len(group.members)))
    alone = sum(1 for r in counts.members if r.count == 0)
    if alone:
        print(say("warning: {n} member(s) have no possible replacement: a dropout there needs "
                  "relaxed quotas (replace --relax)", n=alone), file=sys.stderr)


def cmd_select(args: argparse.Namespace) -> int:
    """``select``: the fair lottery; optionally its tickets and the public draw."""
    if (args.selected or args.remaining or args.record) and not args.draw_seed:
        raise InputError.single("missing-option", "--selected/--remaining/--record need "
                                "--draw-seed", column="--draw-seed")
    if args.draw_seed and not (args.record and args.lottery):
        print(say("warning: --draw-seed without --record and --lottery: nobody can re-check "
                  "this draw; pass both to publish it"), file=sys.stderr)
    given = [name for name, value in (("--invitations", args.invitations),
                                      ("--census", args.census),
                                      ("--population", args.population),
                                      ("--reserves-sent", args.reserves_sent))
             if value]
    if given and not args.end_to_end:   # options that would otherwise be silently ignored
        raise InputError.single("missing-option", tr(
            "{options} only apply with --end-to-end", options=", ".join(given)),
            column="--end-to-end")
    people, quotas = inputs(args, publishes=bool(args.json or args.lottery or args.record))
    algorithm = default_algorithm() if args.algorithm is None else args.algorithm
    options: dict[str, object] = {"backend": args.backend,
                                  "households": args.household_column is not None}
    from ..algorithms import ALGORITHMS

    spec = ALGORITHMS[algorithm]  # the registry says which options an algorithm takes
    if spec.accepts("draws"):
        options["draws"] = args.draws
    if spec.accepts("rng"):
        options["rng"] = args.seed
    options.update(algorithm_parameters(args, spec))
    from . import find_distribution  # looked up at run time (tests replace it)

    priorities = relaxation_priorities(args, quotas)
    with run_options(args, algorithm) as run:
        try:
            published: dict[str, Any] | None = None
            if args.end_to_end:
                dist, published = end_to_end_lottery(args, people, quotas, run)
            else:
                dist = find_distribution(people.pool, quotas, algorithm=algorithm, **options,
                                         **run)
        except InfeasibleQuotasError as error:
            from ..algorithms.feasibility import reprioritised

            # the same error, with the least relaxation under the priorities
            found = reprioritised(error, people.pool, quotas, priorities,
                                  households=args.household_column is not None,
                                  backend=args.backend)
            if found is error:
                raise
            raise found from None
    d = dist.details
    print(say("{algorithm} on {n} people, {panel_size} seats ({n_types} types) with "
              "{backend_version}: {seconds:.2f} s",
              algorithm=d.algorithm, n=people.pool.n, panel_size=quotas.panel_size,
              n_types=d.n_types, backend_version=d.backend_version, seconds=d.seconds))
    print(say("minimum selection probability {minimum:.6f}; {message}",
              minimum=dist.minimum, message=d.message))
    for line in d.extra.get("explanation", []):
        print(translate(line))
    unconverged_notice(dist)
    if dist.uncovered:
        print(say("{n_uncovered} people are on no feasible panel (probability 0)",
                  n_uncovered=len(dist.uncovered)))
    if args.json:
        io.write_result(args.json, dist, panels=not args.no_panels, extra=published)
        print(say("written: {json}", json=args.json))
    if args.lottery or args.draw_seed:
        from ..draw import draw
        from ..lottery import transparent_lottery

        lottery = transparent_lottery(dist, args.tickets, backend=args.backend)
        print(say("transparent lottery: {m} tickets, SHA-256 {value} (largest change of a "
                  "probability {value2:.4f})",
                  m=lottery.m, value=lottery.digest(), value2=lottery.deviation()))
        if args.lottery:
            io.write_lottery(args.lottery, lottery)
            print(say("written: {lottery}", lottery=args.lottery))
        if args.draw_seed:
            record = draw(lottery, args.draw_seed)
            print(say("draw: ticket {index} of {m}; panel of {n_panel}",
                      index=record.index, m=record.m, n_panel=len(record.panel)))
            write_selection(args, people, record)
    return EXIT_OK


def end_to_end_lottery(args: argparse.Namespace, people: PeopleTable, quotas: Quotas,
                       run: dict[str, Any]) -> tuple[Distribution, dict[str, Any]]:
    """``select --end-to-end``: response rates, targets, the closest lottery and its spread.

    Also returns what the result publishes beside the lottery (aggregates only): the
    response model and the spread of end-to-end chances under it and under LEXIMIN.
    """
    missing = [name for name, value in (("--invitations", args.invitations),
                                        ("--census", args.census),
                                        ("--population", args.population),
                                        ("--household-column", args.household_column))
               if value is None]
    if missing:
        raise InputError.single("missing-option", tr("--end-to-end needs {options} (the "
                                                     "household column is the address each "
                                                     "letter went to)",
                                                     options=", ".join(missing)),
                                column=missing[0])
    if args.algorithm is not None:
        raise InputError.single("bad-option", "--end-to-end chooses its own lottery; leave out "
                                "--algorithm", column="--algorithm")
    from ..algorithms import end_to_end, leximin
    from ..propensity import end_to_end_spread, estimate_propensity

    letters = io.read_inclusion_probabilities(args.invitations, reserves=args.reserves_sent)
    try:
        fit = estimate_propensity(people.pool, letters,
                                  io.read_census(args.census), population=args.population,
                                  reserves=args.reserves_sent, replicates=args.replicates,
                                  rng=args.bootstrap_seed)
    except InputError as e:   # a person's address: name the people file (the id is the row)
        import attrs

        raise InputError([attrs.evolve(p, file=people.source)
                          if p.code in ("not-invited", "missing-address") else p
                          for p in e.problems]) from None
    print(say("response rates (registrations per resident; bootstrap over {replicates} "
              "resamples of the letters):", replicates=fit.replicates))
    if fit.failed_replicates:
        rare = [f"{r.category}={r.value}" for r in fit.rates if 0 < r.registrants < 5]
        print(say("warning: {failed} of {asked} bootstrap resamples were left out (a value "
                  "with no registrant in the resample, or no calibration): the intervals of "
                  "rare values{rare} are too narrow; merge them with a neighbour",
                  failed=fit.failed_replicates,
                  asked=fit.failed_replicates + fit.replicates,
                  rare=f" ({', '.join(rare)})" if rare else ""), file=sys.stderr)
    for r in fit.rates:
        if r.rate > 1:
            print(say("warning: {category}={value} has a response rate above 1 ({rate:.3f}): "
                      "check --population and the census", category=r.category,
                      value=r.value, rate=r.rate), file=sys.stderr)
    for r in fit.rates:
        print(say("  {category}={value}: {rate:.4f} ± {std_error:.4f} ({registrants} "
                  "registered of {population:.0f}); model factor {factor:.3f}",
                  category=r.category, value=r.value, rate=r.rate, std_error=r.std_error,
                  registrants=r.registrants, population=r.population, factor=r.factor))
    households = args.household_column is not None
    dist = end_to_end(people.pool, quotas, targets=fit.weights, weighting=args.weighting,
                      households=households, backend=args.backend, **run)
    plain = leximin(people.pool, quotas, households=households, backend=args.backend)
    spreads: dict[str, Any] = {}
    for name, d in (("end-to-end", dist), ("leximin", plain)):
        spread = end_to_end_spread(d.marginals, fit.inclusion, fit.response,
                                   population=fit.population, panel_size=quotas.panel_size,
                                   covered=d.covered)
        spreads[name] = spread.as_dict()
        print(say("{name}: end-to-end chance relative to k/N from {minimum:.3f} to "
                  "{maximum:.3f} (ratio {ratio:.3f}, population Gini {gini:.4f})",
                  name=name, minimum=spread.minimum, maximum=spread.maximum,
                  ratio=spread.ratio, gini=spread.gini))
    published = {"response_model": {**fit.as_dict(), "weighting": args.weighting,
                                    "reserves_sent": bool(args.reserves_sent)},
                 "end_to_end_spread": spreads}
    return dist, published


def cmd_draw(args: argparse.Namespace) -> int:
    """``draw``: the panel from a published lottery and a public seed."""
    from ..draw import draw

    lottery = io.read_lottery(args.lottery)
    record = draw(lottery, args.seed)
    print(say("lottery SHA-256 {digest}; seed {seed!r}", digest=record.digest, seed=record.seed))
    print(say("ticket {index} of {m} ({attempts} hash(es)); panel:",
              index=record.index, m=record.m, attempts=record.attempts))
    print(" ".join(record.panel))
    from ..joint import JointLottery, drawn_alternates

    if isinstance(lottery, JointLottery):  # the drawn ticket's alternates, in their order
        print(say("alternates, in order:"))
        print(" ".join(drawn_alternates(lottery, record)))
    people = None
    if args.people:
        people = people_table(args, None)
    write_selection(args, people, record)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """``verify``: re-check a draw, a lottery, a result and a report independently."""
    from ..draw import verify
    from ..verifier import Verdict, verify_selection

    lottery, record = lottery_and_record(args)
    if args.targets or args.people:
        if not (args.targets and args.people and args.panel_size):
            raise InputError.single("missing-option", "checking against the inputs needs "
                                    "--targets, --people and --panel-size", column="--targets")
        people, quotas = inputs(args)
        hh = args.household_column is not None
        dist, doc = None, None
        if args.result:
            doc = io.read_result_document(args.result)
            # for an exact draw and the report (the result checks say what is wrong)
            dist = io.try_result_distribution(doc, people.pool, quotas, households=hh,
                                              name=args.result)
        verdict = _with_joint_checks(verify_selection(
            people.pool, quotas, distribution=dist, lottery=lottery, record=record,
            households=hh, result=doc), people, quotas, lottery, hh)
        if args.report:
            verdict = Verdict((*verdict.checks, _report_check(args, people, quotas, dist,
                                                              lottery, record, verdict)))
        for c in verdict.checks:
            status = "FAILED" if not c.ok else "ok    " if c.verified else "unverified"
            print(say("{status} {name}: {detail}", status=status, name=c.name, detail=c.detail))
        ok = verdict.ok
    elif lottery is not None and record is not None:
        result = verify(record, lottery)
        for problem in result.problems:
            print(say("FAILED {problem}", problem=problem))
        if result.ok:
            print(say("ok     draw re-derived: ticket {index} of {m}, same panel",
                      index=record.index, m=record.m))
        ok = result.ok
    else:
        raise InputError.single("missing-option", "give --lottery and --record, or the inputs "
                                "(--targets, --people, --panel-size) with any of --result, "
                                "--lottery, --record", column="--record")
    print(say("verification passed") if ok else say("verification FAILED"))
    return EXIT_OK if ok else EXIT_VERIFICATION_FAILED


def _audit(args: argparse.Namespace, people: PeopleTable, quotas: Quotas, dist: Distribution,
           lottery: TransparentLottery | None, record: DrawRecord | None,
           verdict: Verdict) -> AuditReport:
    from ..audit import audit_report

    census = io.read_census(args.census) if args.census else None
    regs = registrations_of(args, quotas, people) if args.registrations else None
    return audit_report(people.pool, quotas, dist, lottery=_with_target(lottery, people, dist),
                        record=record, census=census, verdict=verdict, registrations=regs)


def _with_target(lottery: TransparentLottery | None, people: PeopleTable,
                 dist: Distribution) -> TransparentLottery | None:
    """The lottery with the result's probabilities as its target (for the rounding figure).

    A lottery file holds only the tickets; the largest change of a person's probability by
    the rounding is re-derived against the result. A lottery naming people outside the pool
    is left as it is (the verdict reports that).
    """
    if lottery is None or lottery.target is not None:
        return lottery
    known = set(people.pool.ids)
    if any(pid not in known for t in lottery.tickets for pid in t):
        return lottery
    import attrs

    # evolve keeps the class: a joint lottery keeps its alternates (and its digest)
    return attrs.evolve(lottery, target=dist.marginals.copy(), ids=people.pool.ids)


def registrations_of(args: argparse.Namespace, quotas: Quotas,
                     people: PeopleTable | None = None) -> Registrations:
    """Validate ``--registrations`` with the options of the ``registrations`` command.

    With ``people``, warn when the accepted registrations are not the people file's ids.
    """
    if not args.reference_date:
        raise InputError.single("missing-option", "--registrations needs --reference-date "
                                "(the date ages are judged on)", column="--reference-date")
    invited = io.read_invited(args.invitations) if args.invitations else None
    regs = io.read_registrations(
        args.registrations, quotas, reference_date=date(args.reference_date),
        invited=invited, id_field=getattr(args, "registration_id_column", None) or "id",
        address_field=args.address_column,
        birth_date_field=args.birth_date_column or None,
        eligible_field=args.eligible_column or None,
        identity_fields=[c.strip() for c in (args.identity_columns or "").split(",")
                         if c.strip()])
    if people is not None and set(regs.pool.ids) != set(people.pool.ids):
        print(say("warning: the {n} accepted registrations are not the {n2} people of {people} "
                  "(compared by id)", n=regs.pool.n, n2=people.pool.n, people=args.people),
              file=sys.stderr)
    return regs


def _report_of(args: argparse.Namespace, people: PeopleTable, quotas: Quotas,
               doc: dict[str, Any], lottery: TransparentLottery | None,
               record: DrawRecord | None) -> tuple[AuditReport, Verdict]:
    """The audit report of a result, with the verdict that re-derives every figure in it."""
    from ..verifier import verify_selection

    hh = args.household_column is not None
    dist = io.result_distribution(doc, people.pool, quotas, households=hh, name=args.result)
    # The verdict re-derives every figure the result states (a forged bound fails it).
    verdict = _with_joint_checks(verify_selection(
        people.pool, quotas, distribution=dist, lottery=lottery, record=record,
        households=hh, result=doc), people, quotas, lottery, hh)
    return _audit(args, people, quotas, dist, lottery, record, verdict), verdict


def _with_joint_checks(verdict: Verdict, people: PeopleTable, quotas: Quotas,
                       lottery: TransparentLottery | None, households: bool) -> Verdict:
    """``verdict`` plus the checks of a joint lottery's alternates lists (if it is one)."""
    from ..joint import JointLottery, verify_joint_lottery
    from ..verifier import Verdict

    if not isinstance(lottery, JointLottery):
        return verdict
    return Verdict((*verdict.checks, *verify_joint_lottery(
        people.pool, quotas, lottery, households=households).checks))


def _report_check(args: argparse.Namespace, people: PeopleTable, quotas: Quotas,
                  dist: Distribution | None, lottery: TransparentLottery | None,
                  record: DrawRecord | None, verdict: Verdict) -> Check:
    """Regenerate the report from the inputs, artefacts and verdict; compare with the stated."""
    from ..verifier import Check, json_differences

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


def cmd_report(args: argparse.Namespace) -> int:
    """``report``: the audit report of a result (Markdown and/or JSON)."""
    people, quotas = inputs(args)
    doc = io.read_result_document(args.result)
    lottery, record = lottery_and_record(args)
    report, verdict = _report_of(args, people, quotas, doc, lottery, record)
    if args.json:
        io.write_report_json(args.json, report)
        print(say("written: {json}", json=args.json))
    if args.out:
        io.write_markdown(args.out, report.to_markdown(lang=args.lang))
        print(say("written: {out}", out=args.out))
    if not args.out and not args.json:
        sys.stdout.write(report.to_markdown(lang=args.lang))
    return EXIT_OK if verdict.ok else EXIT_VERIFICATION_FAILED


def cmd_tally(args: argparse.Namespace) -> int:
    """``tally``: the members' votes on each recommendation."""
    votes: dict[str, dict[str, str]] = {}
    current = members(args)
    voters = set(current)
    skipped = 0
    for row in io.read_votes(args.votes):
        if args.ignore_non_members and row[0] not in voters:
            skipped += 1
            continue
        votes.setdefault(row[1], {})[row[0]] = row[2]
    if skipped:
        print(say("{skipped} ballot(s) of people who are not members ignored", skipped=skipped),
              file=sys.stderr)
    handover = date(args.handover) if args.handover else None
    result = tally(votes, current, threshold=args.threshold, denominator=args.denominator,
                   handover=handover, response_days=args.response_days)
    sys.stdout.write(result.to_markdown())
    return EXIT_OK


def _clustered_design(args: argparse.Namespace, letters: int | None) -> Clustered:
    """``--design pps``: the clusters, the addresses per cluster and the cluster sizes."""
    from ..invitations import Clustered

    if args.clusters is None:
        raise InputError.single("missing-option", "--design pps needs --clusters",
                                column="--clusters")
    if args.cluster_sizes and args.census:
        raise InputError.single("conflicting-options", "give the cluster sizes by "
                                "--cluster-sizes or by --census, not both",
                                column="--cluster-sizes")
    per_cluster = args.per_cluster
    if per_cluster is None:
        assert letters is not None  # --letters or --target-pool
        per_cluster = -(-letters // args.clusters) if args.clusters > 0 else letters
        if args.clusters > 0 and per_cluster * args.clusters != letters:
            print(say("{letters} letters rounded up to {clusters} clusters of {per_cluster}",
                      letters=letters, clusters=args.clusters, per_cluster=per_cluster))
    sizes = None
    if args.cluster_sizes:
        sizes = io.read_cluster_sizes(args.cluster_sizes, id_column=args.cluster_column)
    elif args.census:
        sizes = io.read_census(args.census).shares(args.cluster_column)
    return Clustered(args.clusters, per_cluster, by=args.cluster_column, sizes=sizes)


def cmd_invite(args: argparse.Namespace) -> int:
    """``invite``: stage 1, the addresses that get a letter."""
    from ..invitations import Oversample, SimpleRandom, Stratified, invite, plan_letters

    frame = io.read_address_frame(args.frame, id_column=args.id_column)
    if args.design != "pps":
        for option, value in (("--per-cluster", args.per_cluster),
                              ("--clusters", args.clusters),
                              ("--cluster-sizes", args.cluster_sizes)):
            if value is not None:
                raise InputError.single("conflicting-options", tr("{option} is for --design "
                                                                  "pps", option=option),
                                        column=option)
    if args.per_cluster is not None:
        letters = None
    elif args.letters is None:
        plan = plan_letters(args.target_pool, tuple(args.response_rate))
        print(plan)
        letters = plan.letters
    else:
        letters = args.letters
    design: SimpleRandom | Stratified | Oversample | Clustered
    if args.design == "pps":
        design = _clustered_design(args, letters)
    elif letters is None:  # refused above: --per-cluster is for pps only
        raise AssertionError("letters")
    elif args.design == "stratified":
        population = None
        if args.census:
            population = io.read_census(args.census).shares(args.by)
        design = Stratified(letters, by=args.by, population=population, method=args.method)
    elif args.design == "oversample":
        design = Oversample(letters, flag=args.flag, share=args.share)
    else:
        design = SimpleRandom(letters)
    inv = invite(frame, design, args.seed, reserves=args.reserves)
    print(say("{design}; seed {seed!r}", design=inv.design, seed=inv.seed))
    print(say("letters: {letters}; {reserves} reserves; inclusion probability {low:.4%} to "
              "{high:.4%}", letters=", ".join(f"{k}: {v}" for k, v in
                                                inv.letters_by_stratum.items()),
              reserves=len(inv.reserves), low=inv.inclusion.min(), high=inv.inclusion.max()))
    io.write_invitations(args.out, inv)
    print(say("written: {out}", out=args.out))
    if args.record:
        io.write_invitation_record(args.record, inv)
        print(say("written: {record}", record=args.record))
    return EXIT_OK


def cmd_registrations(args: argparse.Namespace) -> int:
    """``registrations``: validate registrations into a people file."""
    quotas = io.read_targets(args.targets, args.panel_size)
    regs = registrations_of(args, quotas)
    summary = regs.summary()
    print(say("{received} received, {accepted} accepted, {rejected} rejected",
              received=summary["received"], accepted=summary["accepted"],
              rejected=summary["rejected"]))
    for code, count in summary["reasons"].items():
        if count:
            print(say("  {code}: {count}", code=code, count=count))
    warn_formulas(io.write_registrations(args.out, regs, rejections=args.rejections,
                                          escape_formulas=not args.no_escape_formulas))
    print(say("written: {out}", out=args.out))
    if args.rejections:
        print(say("written: {rejections} (organisers only: contains the rejected values)",
                  rejections=args.rejections))
    return EXIT_OK



def cmd_algorithms(args: argparse.Namespace) -> int:
    """``algorithms``: every registered algorithm with its options and their defaults."""
    from ..algorithms import ALGORITHMS, DEFAULT_ALGORITHM

    common = {"households", "backend", "progress", "time_limit"}
    for spec in ALGORITHMS.values():
        mark = say(" (default)") if spec.id == DEFAULT_ALGORITHM else ""
        print(f"{spec.id}{mark}: {translate(spec.name)}")
        for o in spec.options:
            if o.name not in common:
                choices = f" {{{', '.join(map(str, o.choices))}}}" if o.choices else ""
                print(f"  {o.name}={o.default!r}{choices}: {translate(o.help)}")
    print(say("Give an option with select --param NAME=VALUE; every algorithm also takes "
              "--backend, --time-limit and the household rule."))
    return EXIT_OK
