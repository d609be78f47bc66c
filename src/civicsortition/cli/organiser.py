"""The organiser's commands after the draw, and the example files.

``replace``, ``alternates prepare|fill``, ``example`` and ``demo`` (see
:mod:`civicsortition.cli`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import io
from .._i18n import say, tr, translate
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
    from ..dropout import DropoutModel
    from ..io import PeopleTable
    from ..quotas import Quotas


def _known(people: PeopleTable, ids: Sequence[str], option: str) -> None:
    """Refuse ids that are not in the people file (before any work is done)."""
    index = set(people.pool.ids)
    unknown = [pid for pid in ids if pid not in index]
    if unknown:
        raise InputError([Problem("unknown-id", tr("{option}: no person with this id in {source}",
                                                   option=option,
                                                   source=people.source),
                                  file=people.source, column=option,
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
    from .commands import relaxation_priorities

    priorities = relaxation_priorities(args, quotas)
    algorithm = default_algorithm() if args.algorithm is None else args.algorithm
    with run_options(args, algorithm) as run:
        rep = replace(people.pool, quotas, panel, leaving, args.seed, algorithm=algorithm,
                      households=args.household_column is not None, excluded=excluded,
                      tickets=args.tickets, on_infeasible="relax" if args.relax else "raise",
                      relax_priorities=priorities, backend=args.backend, **run)
    unconverged_notice(rep.distribution)
    d, lot, rec = rep.distribution, rep.lottery, rep.record
    print(say("{n_dropouts} dropout(s): {dropouts}; {n_kept} members kept; {n} people eligible "
              "to fill the seats",
              n_dropouts=len(rep.dropouts), dropouts=' '.join(rep.dropouts),
              n_kept=len(rep.kept), n=rep.remaining.n))
    seats = rep.residual.panel_size
    binding = [q for q in rep.residual if q.min > 0 or q.max < seats]  # rows that restrict
    rows = ", ".join(f"{q.category}={q.value} " + (say("none") if q.max == 0 else
                                                    f"{q.min}-{min(q.max, seats)}")
                     for q in binding)
    print(say("residual quotas for {seats} seat(s): {rows}", seats=seats,
              rows=rows or say("no restriction")))
    for change in rep.relaxation:
        print(say("relaxed: {change}", change=change))
    print(say("{algorithm}: minimum selection probability {minimum:.6f}",
              algorithm=d.details.algorithm, minimum=d.minimum))
    print(say("transparent lottery: {m} tickets, SHA-256 {value}", m=lot.m, value=lot.digest()))
    print(say("draw with seed {seed!r}: ticket {index} of {m}",
              seed=rec.seed, index=rec.index, m=rec.m))
    print(say("replacements: {replacements}", replacements=' '.join(rep.replacements)))
    if args.record:
        io.write_replacement(args.record, rep)
        print(say("written: {record}", record=args.record))
    if args.lottery:
        io.write_lottery(args.lottery, lot)
        print(say("written: {lottery}", lottery=args.lottery))
    write_people_split(args, people, rep.panel)
    return EXIT_OK


def _dropout_model(args: argparse.Namespace, people: PeopleTable) -> DropoutModel:
    """The dropout model of ``--dropout-rates`` or ``--past-dropouts`` (one is required)."""
    from ..dropout import dropout_rates, learn_dropout_rates

    if args.dropout_rates:
        table = io.open_table(args.dropout_rates)
        header = [h.strip().casefold() for h in table.header]
        need = [c for c in ("category", "value", "probability") if c not in header]
        if need:
            raise InputError([Problem("missing-column", tr("the dropout rates need the column "
                                                           "{column}", column=c),
                                      file=table.source, column=c) for c in need])
        at = {c: header.index(c) for c in ("category", "value", "probability")}
        rates: dict[str, dict[str, float]] = {}
        for line, row in table.located():
            text = row[at["probability"]].strip()
            try:
                p = float(text)
            except ValueError:
                raise InputError.single("bad-probability", tr("not a probability: {text}",
                                                              text=text),
                                        file=table.source, row=line,
                                        column="probability") from None
            rates.setdefault(row[at["category"]].strip(), {})[row[at["value"]].strip()] = p
        with _in_file(table, records=False):
            return dropout_rates(rates)
    if args.past_dropouts:
        table = io.open_table(args.past_dropouts)
        cats = [c.name for c in people.pool.strata if c.name in table.header]
        if args.dropped_column not in table.header:
            raise InputError.single("missing-column", tr("the past dropouts need the column "
                                                         "{column}", column=args.dropped_column),
                                    file=table.source, column=args.dropped_column)
        records = [dict(zip(table.header, row, strict=False)) for row in table.rows]
        with _in_file(table, records=True):
            return learn_dropout_rates(records, cats, dropped=args.dropped_column)
    raise InputError.single("missing-argument", tr("give --dropout-rates FILE or "
                                                   "--past-dropouts FILE"),
                            column="--dropout-rates")


@contextlib.contextmanager
def _in_file(table: Any, *, records: bool) -> Iterator[None]:
    """Name the file (and, for records read from its rows, the line) in the block's errors.

    ``records``: the problems' rows are 1-based record numbers of ``table.rows``, turned into
    the file's line numbers; otherwise rows are left as they are.
    """
    try:
        yield
    except InputError as e:
        def line(row: int | None) -> int | None:
            if records and row is not None and 1 <= row <= len(table.lines):
                return int(table.lines[row - 1])
            return row

        raise InputError([attrs.evolve(p, file=table.source, row=line(p.row))
                          for p in e.problems]) from None


def _print_model(model: DropoutModel) -> None:
    print(say("dropout model: {method}", method=model.method))
    for r in model.report:
        # the fitted rate is what the model uses; the raw share is shown beside it
        used = r.fitted_rate if r.fitted_rate is not None else r.raw_rate
        rate = "" if used is None else f"{used:.3f}"
        if r.fitted_rate is not None and r.raw_rate is not None:
            rate += say(" (raw share {raw:.3f})", raw=r.raw_rate)
        spread = "" if r.std_error is None else say(" (effect {effect:+.2f} ± {se:.2f}, {n} "
                                                    "past members)", effect=r.effect,
                                                    se=r.std_error, n=r.n)
        print(say("  {category}={value}: rate {rate}{spread}", category=r.category,
                  value=r.value, rate=rate, spread=spread))


def _cmd_alternates_erm(args: argparse.Namespace, people: PeopleTable, quotas: Quotas,
                        panel: list[str], excluded: list[str]) -> int:
    """``alternates prepare --method erm``."""
    from ..alternates import erm_alternates, expected_loss

    model = _dropout_model(args, people)
    _print_model(model)
    alt = erm_alternates(people.pool, quotas, panel, args.count, args.seed, dropout=model,
                         scenarios=args.scenarios,
                         households=args.household_column is not None, excluded=excluded,
                         time_limit=args.erm_time_limit)
    loss = expected_loss(people.pool, quotas, panel, alt.order, args.seed, dropout=model)
    print(say("{n_order} alternates chosen on {scenarios} dropout scenarios ({status}); mean "
              "quota loss {objective:.3f} (held-out: {held:.3f} ± {se:.3f})",
              n_order=len(alt.order), scenarios=alt.scenarios, status=alt.status,
              objective=alt.objective, held=loss.mean, se=loss.std_error))
    print(say("order: {order}", order=" ".join(alt.order)))
    doc = alt.as_dict()
    doc["dropout_model"] = model.as_dict()
    doc["held_out"] = {"mean": loss.mean, "std_error": loss.std_error,
                       "scenarios": loss.scenarios}
    io.write_json(args.out, doc)
    print(say("written: {out}", out=args.out))
    return EXIT_OK


def cmd_alternates_joint(args: argparse.Namespace) -> int:
    """``alternates joint``: give every ticket of a lottery its own ordered alternates."""
    people, quotas = inputs(args, publishes=True)
    lottery = io.read_lottery(args.lottery)
    model = _dropout_model(args, people) if args.method == "erm" else None
    if model is not None:
        _print_model(model)
    from ..joint import joint_lottery, verify_joint_lottery

    joint = joint_lottery(lottery, args.count, args.seed, pool=people.pool, quotas=quotas,
                          method=args.method, dropout=model, scenarios=args.scenarios,
                          households=args.household_column is not None,
                          time_limit=args.erm_time_limit)
    verdict = verify_joint_lottery(people.pool, quotas, joint,
                                   households=args.household_column is not None)
    for check in verdict.checks:
        print(say("{name}: {result} ({detail})", name=check.name,
                  result=say("passed") if check.ok else say("FAILED"), detail=check.detail))
    if not verdict.ok:
        return EXIT_VERIFICATION_FAILED
    print(say("joint lottery: {m} tickets, SHA-256 {value}", m=joint.m, value=joint.digest()))
    from ..io.files import atomic_write

    atomic_write(args.out, joint.canonical())
    print(say("written: {out}", out=args.out))
    if args.probabilities:
        shares = joint.probabilities(people.pool.ids)
        io.write_table(args.probabilities, ["id", "p_seat", "p_alternate", "p_picked"],
                       [[pid, f"{shares['seat'][i]:.6f}", f"{shares['alternate'][i]:.6f}",
                         f"{shares['picked'][i]:.6f}"]
                        for i, pid in enumerate(people.pool.ids)])
        print(say("written: {out}", out=args.probabilities))
    return EXIT_OK


def cmd_alternates_prepare(args: argparse.Namespace) -> int:
    """``alternates prepare``: draw an ordered list of alternates and write it."""
    people, quotas = inputs(args, publishes=True)
    panel = _current(args, people)
    excluded = id_list(args.exclude)
    _known(people, excluded, "--exclude")
    if args.method == "erm":
        return _cmd_alternates_erm(args, people, quotas, panel, excluded)
    from ..replacements import prepare_alternates

    algorithm = default_algorithm() if args.algorithm is None else args.algorithm
    with run_options(args, algorithm) as run:
        alt = prepare_alternates(people.pool, quotas, panel, args.count, args.seed,
                                 algorithm=algorithm,
                                 households=args.household_column is not None,
                                 excluded=excluded, tickets=args.tickets, backend=args.backend,
                                 **run)
    unconverged_notice(alt.distribution)
    print(say("{n_order} alternates drawn with seed {seed!r} (ticket {index} of {m}); minimum "
              "selection probability {minimum:.6f}",
              n_order=len(alt.order), seed=alt.record.seed, index=alt.record.index,
              m=alt.record.m, minimum=alt.distribution.minimum))
    print(say("order: {order}", order=" ".join(alt.order)))
    io.write_alternates(args.out, alt, panel)
    print(say("written: {out}", out=args.out))
    return EXIT_OK


def cmd_alternates_fill(args: argparse.Namespace) -> int:
    """``alternates fill``: the earliest alternates that complete the panel within the quotas."""
    people, quotas = inputs(args, publishes=True)
    panel = _current(args, people)
    leaving = _leaving(args, people, panel)
    from ..alternates import ERM_ALTERNATES_FORMAT, ErmAlternates
    from ..joint import JOINT_LOTTERY_FORMAT

    doc = io.read_json_object(args.alternates)
    erm = doc.get("format") == ERM_ALTERNATES_FORMAT
    used: dict[str, Any] | None = None
    if doc.get("format") == JOINT_LOTTERY_FORMAT:
        order, seed, prepared_for, used = _joint_list(args)
    elif erm:
        try:
            order, seed, prepared_for = ErmAlternates.order_of(doc)
        except InputError as e:
            raise InputError([Problem(p.code, p.message, file=args.alternates,
                                      column=p.column) for p in e.problems]) from None
    else:
        listed = io.read_alternates(args.alternates)
        order, seed, prepared_for = listed.order, listed.seed, listed.panel
    _known(people, order, "--alternates")
    # the list must be this panel's: its members are the list's panel, or alternates of the
    # list who filled seats earlier
    strangers = sorted(set(panel) - set(prepared_for) - set(order))
    if strangers:
        raise InputError.single("alternates-for-another-panel", tr(
            "the alternates list was prepared for another panel: {n} current member(s) are "
            "neither on the panel it names nor among its alternates, e.g. {member}",
            n=len(strangers), member=strangers[0]), file=args.alternates, column="panel",
            value=strangers[0])
    unavailable = id_list(args.unavailable)
    _known(people, unavailable, "--unavailable")
    from ..replacements import fill_from_alternates

    chosen = fill_from_alternates(people.pool, quotas, panel, leaving, order,
                                  households=args.household_column is not None,
                                  unavailable=unavailable)
    kept = [pid for pid in panel if pid not in set(leaving)]
    print(say("{n_leaving} dropout(s): {leaving}; filled from the alternates list (seed "
              "{seed!r}) by: {chosen}",
              n_leaving=len(leaving), leaving=' '.join(leaving), seed=seed,
              chosen=' '.join(chosen)))
    if args.record:
        import hashlib

        if erm:
            used = {"method": "erm", "seed": seed, "order": list(order),
                    "file_sha256": hashlib.sha256(Path(args.alternates).read_bytes()).hexdigest()}
        io.write_alternates_fill(args.record, kept=kept, dropouts=leaving, replacements=chosen,
                                 unavailable=unavailable,
                                 alternates=None if erm or used else listed, erm=used)
        print(say("written: {record}", record=args.record))
    write_people_split(args, people, sorted([*kept, *chosen]))
    return EXIT_OK


def _joint_list(args: argparse.Namespace
                ) -> tuple[tuple[str, ...], str, tuple[str, ...], dict[str, Any]]:
    """A joint lottery's drawn ticket as an alternates list: (order, seed, panel, record).

    The ticket is the one its draw record (``--ticket-record``, else ``--members-record``)
    picked, checked against the lottery's digest.
    """
    from ..joint import JointLottery, drawn_alternates

    lottery = io.read_lottery(args.alternates)
    source = args.ticket_record or args.members_record
    if not isinstance(lottery, JointLottery) or not source:
        raise InputError.single("missing-option", tr(
            "filling from a joint lottery needs its draw record (--ticket-record, or "
            "--members-record when the panel is that draw's)"), column="--ticket-record")
    try:
        record = io.read_draw_record(source)
        order = drawn_alternates(lottery, record)
    except InputError as e:
        raise InputError([Problem(p.code, p.message, file=source, column=p.column,
                                  value=p.value) for p in e.problems]) from None
    used = {"method": "joint", "digest": lottery.digest(), "ticket": record.index,
            "seed": record.seed, "order": list(order)}
    return order, record.seed, tuple(record.panel), used


def cmd_example(args: argparse.Namespace) -> int:
    """``example``: write the embedded example's input files."""
    from ..examples.inputs import EXAMPLE_FILES, write_example_inputs

    plan = OutputPlan(force=args.force)
    plan.add_directory("--out", args.out, EXAMPLE_FILES)
    plan.check()
    make_directory(args.out)
    written = write_example_inputs(args.out, panel_size=args.panel_size)
    print(say("SYNTHETIC Rustavi-like example (not official statistics, no real people or "
              "addresses)"))
    for name, what in written.items():
        print(say("written: {value} -- {what}", value=Path(args.out) / name, what=what))
    return EXIT_OK


DEMO_FILES = ("invitations.csv", "lottery.json", "draw.json", "result.json", "replacement.json",
              "report.md", "report.json")


def _demo_extensions(run: Any) -> None:
    """The demo's two comparisons: self-selection corrected, and tickets with alternates."""
    import numpy as np  # not at import: `--help` loads no numpy

    from ..propensity import end_to_end_spread

    fit = run.propensity
    print("\n" + say("11. Volunteers are not the city: response rates fitted to the census "
                     "(registrations per resident; bootstrap over {replicates} resamples of "
                     "the letters), three of them:", replicates=fit.replicates))
    rates = sorted(fit.rates, key=lambda r: r.rate)
    for r in (rates[0], rates[len(rates) // 2], rates[-1]):
        print("   " + say("{category}={value}: {rate:.4f} ± {std_error:.4f}",
                          category=r.category, value=r.value, rate=r.rate,
                          std_error=r.std_error))
    k = run.quotas.panel_size
    for name, d in (("LEXIMIN", run.distribution), ("end-to-end", run.end_to_end)):
        spread = end_to_end_spread(d.marginals, fit.inclusion, fit.response,
                                   population=fit.population, panel_size=k, covered=d.covered)
        print("   " + say("{name}: a resident's chance of a seat, relative to the average, from "
                          "{minimum:.2f} to {maximum:.2f} (population Gini {gini:.3f})",
                          name=name, minimum=spread.minimum, maximum=spread.maximum,
                          gini=spread.gini))
    print("   " + say("(the draw above stays LEXIMIN's, fair to the volunteers; select "
                      "--end-to-end publishes the corrected lottery instead)"))
    joint = run.joint
    chances = joint.probabilities()
    seat, picked = chances["seat"], chances["picked"]
    print(say("12. Joint lottery: the same {m} tickets, each with {count} ordered alternates "
              "(SHA-256 {digest}); largest chance of a seat {seat:.3f}, of being picked at "
              "all {picked:.3f}",
              m=joint.m, count=len(joint.alternates[0]) if joint.alternates else 0,
              digest=joint.digest()[:16], seat=float(np.max(seat)), picked=float(np.max(picked))))


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: the whole pipeline on the synthetic example, printed (and written)."""
    from ..examples.demo import DEMO_DRAW_SEED, rustavi_demo
    from ..examples.inputs import EXAMPLE_FILES, write_demo_inputs

    if args.out:
        plan = OutputPlan(force=args.force)
        plan.add_directory("--out", args.out, DEMO_FILES)
        plan.add_directory("--out", Path(args.out) / "inputs", EXAMPLE_FILES)
        plan.check()
    print(say("civicsortition demo -- the whole two-stage selection on SYNTHETIC Rustavi-like "
              "data (not official statistics, no real people or addresses)") + "\n")
    run = rustavi_demo(panel_size=args.panel_size,
                       draw_seed=DEMO_DRAW_SEED if args.seed is None else args.seed)
    inv, regs, dist, d = run.invitations, run.registrations, run.distribution, \
        run.distribution.details
    print(say("1. Address frame: {n} addresses in {n_letters_by_stratum} districts.",
              n=run.frame.n, n_letters_by_stratum=len(inv.letters_by_stratum)))
    print(say("   Letter plan: {plan}.", plan=run.plan))
    print(say("2. Invitations ({design}); seed {seed!r}:", design=inv.design, seed=inv.seed))
    print("   " + say("{letters}; {reserves} reserves; inclusion probability {low:.3%}-"
                      "{high:.3%}", letters=", ".join(f"{k}: {v}" for k, v in
                                                      inv.letters_by_stratum.items()),
                      reserves=len(inv.reserves), low=inv.inclusion.min(),
                      high=inv.inclusion.max()))
    summary = regs.summary()
    print(say("3. Registrations: {received} received, {accepted} accepted, {rejected} rejected "
              "({reasons})", received=summary["received"], accepted=summary["accepted"],
              rejected=summary["rejected"],
              reasons=", ".join(f"{k} {v}" for k, v in summary["reasons"].items() if v)))
    print("   " + say("{households} addresses registered more than one person (at most one of "
                      "them can be selected)", households=summary["multi_person_households"]))
    print(say("\n4. Quotas for {panel_size} seats from the synthetic census (largest remainder, "
              "±1 seat, at least one seat per value):\n", panel_size=args.panel_size))
    sys.stdout.write(run.quotas.to_markdown())
    print(say("\n5. LEXIMIN lottery ({backend_version}, {seconds:.1f} s, {n_types} types):",
              backend_version=d.backend_version, seconds=d.seconds, n_types=d.n_types))
    print(say("   minimum selection probability {minimum:.2%} (certified upper bound "
              "{bound:.2%}; k/n = {value:.2%}); maximum {value2:.2%}; {n_probabilities} panel "
              "profiles",
              minimum=dist.minimum, bound=d.bound, value=args.panel_size / regs.pool.n,
              value2=dist.marginals.max(), n_probabilities=len(dist.probabilities)))
    for line in [*d.extra.get("explanation", [])[:2], *run.households.lines()]:
        print("   " + translate(line))
    lot, rec = run.lottery, run.record
    print(say("6. Transparent lottery: {m} tickets, SHA-256 {value}", m=lot.m, value=lot.digest()))
    print(say("   largest change of a probability by rounding {value:.4f}", value=lot.deviation()))
    print(say("7. Public draw with seed {seed!r}: ticket {index}; panel of {n_panel}: {value} ...",
              seed=rec.seed, index=rec.index, n_panel=len(rec.panel),
              value=' '.join(rec.panel[:6])))
    print(say("8. Independent verification: {outcome} ({n_checks} checks)",
              outcome=say("passed") if run.verdict.ok else say("FAILED"),
              n_checks=len(run.verdict.checks)))
    rep = run.replacement
    print(say("9. Two members drop out ({dropouts}); replacements drawn from {n} eligible people "
              "under the residual quotas: {replacements}", dropouts=", ".join(rep.dropouts),
              n=rep.remaining.n, replacements=", ".join(rep.replacements))
          + (say(" (quotas relaxed: {changes})", changes="; ".join(map(str, rep.relaxation)))
             if rep.relaxation else ""))
    print(say("10. The assembly votes (SIMULATED ballots):") + "\n")
    sys.stdout.write(run.vote.to_markdown())
    _demo_extensions(run)
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
        print("\n" + say("written to {out}: {files}; the inputs in inputs/: {inputs}", out=out,
                         files=", ".join(DEMO_FILES), inputs=", ".join(EXAMPLE_FILES)))
    return EXIT_OK if run.verdict.ok else EXIT_VERIFICATION_FAILED
