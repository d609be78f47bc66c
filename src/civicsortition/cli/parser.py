"""The argument parser of every command: one description each, help and default on every option.

Building the parser loads neither NumPy nor a solver (``--help`` starts at once); the
``--algorithm`` choices and default are read from the registry only when they are needed.
"""

from __future__ import annotations

import argparse

from .. import __version__
from .._i18n import tr
from ..apportionment import METHODS, resolve_method
from ..vote import DENOMINATORS
from . import commands as c
from . import organiser as o
from ._common import (
    HelpFormatter,
    algorithm_options,
    dropout_options,
    force_option,
    input_options,
    members_options,
    parameter_option,
    selection_outputs,
)

__all__ = ["build_parser"]



def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
             line: str, more: str = "") -> argparse.ArgumentParser:
    """A sub-command with its one-line description (``help``) and a longer ``description``."""
    p = sub.add_parser(name, help=line, description=line + (f". {more}" if more else ""),
                       formatter_class=HelpFormatter)
    # -v/-q also after the command (they override the ones before it only when given)
    talk = p.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                      help="as before the command: -v stages, -vv solver calls (stderr; "
                           "default: what was given before the command)")
    talk.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                      help="as before the command: warnings only, no progress bar (default: "
                           "what was given before the command)")
    return p


def _dropout_model_options(p: argparse.ArgumentParser) -> None:
    """Where ``alternates prepare --method erm`` and ``alternates joint`` get dropout rates."""
    d = p.add_mutually_exclusive_group()
    d.add_argument("--dropout-rates", help="table category,value,probability: each group's "
                   "dropout rate")
    d.add_argument("--past-dropouts", help="table of past members: one column per category "
                   "and a 0/1 dropped column; rates are learned from it")
    p.add_argument("--dropped-column", default="dropped", help="the flag column of "
                   "--past-dropouts")
    p.add_argument("--scenarios", type=int, default=100, help="sampled dropout scenarios "
                   "the alternates are chosen on")
    p.add_argument("--erm-time-limit", type=float, metavar="SECONDS", help="seconds for "
                   "each alternates program (default: solve to optimality)")


def _registration_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    """How a registrations file is validated (shared by ``registrations`` and ``report``)."""
    p.add_argument("--invitations", help="invitations CSV written by invite (registrations "
                   "from addresses without a letter are rejected)")
    p.add_argument("--reference-date", required=required,
                   help="YYYY-MM-DD; ages are judged on it")
    p.add_argument("--address-column", default="address", help="registrations: the address "
                   "column (the household key)")
    p.add_argument("--birth-date-column", default="birth_date",
                   help="registrations: derive the age band from it ('' to read the age "
                   "column)")
    p.add_argument("--eligible-column", default="eligible", help="registrations: the "
                   "eligibility (yes/no) column; '' to skip the check")
    p.add_argument("--identity-columns", help="comma-separated registration columns "
                   "identifying a person for the duplicate check, e.g. name,birth_date "
                   "(default: the id only)")


def _report_registrations(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registrations", help="registrations CSV: adds the registration summary "
                   "(counts per rejection reason, no values) to the report; validated as the "
                   "registrations command does (needs --reference-date)")
    p.add_argument("--registrations-id-column", dest="registration_id_column", default="id",
                   help="registrations: the id column")
    _registration_options(p, required=False)


def _relaxation_options(p: argparse.ArgumentParser) -> None:
    """The priorities of the least relaxation reported when the quotas cannot all hold."""
    p.add_argument("--relax-order", metavar="CAT[,CAT...]", help="categories in the order the "
                   "least relaxation may give them up, the first given up first and the last "
                   "the most protected ('*' stands for every category not named, by default "
                   "after them); a joint category such as sex×age has its own place")
    p.add_argument("--relax-weights", metavar="NAME=W[,NAME=W...]", help="weight of the "
                   "change of a category or of one row (category=value) within its level of "
                   "--relax-order, e.g. education=1,age=2 (default: 1 each)")
    p.add_argument("--never-relax", metavar="NAME[,NAME...]", help="categories or rows "
                   "(category=value) the least relaxation never moves; when they cannot hold "
                   "even alone, the error names them")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m civicsortition", formatter_class=HelpFormatter,
        description="Fair, verifiable selection of citizens' assemblies by lot.",
        epilog="Exit codes: 0 success, 2 bad input, 3 quotas cannot be met, 4 verification "
        "failed, 5 solver failure, 1 internal error. 'COMMAND --help' shows a command's "
        "options.")
    parser.add_argument("--version", action="version", version=f"civicsortition {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an unexpected error")
    parser.add_argument("--lang", choices=("en", "ka"), default=None,
                        help="language of the reports it writes (default: CIVICSORTITION_LANG "
                        "or the locale, else English); error codes never change")
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="count", default=0,
                      help="log what a run does on stderr: -v the stages (INFO), -vv every "
                      "solver call too (DEBUG); never personal data (default: warnings only)")
    talk.add_argument("-q", "--quiet", action="store_true",
                      help="warnings only, and no progress bar")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ex = _command(sub, "example", "write the embedded synthetic example's input files",
                  "The address frame, census, registrations, targets, people and votes, so "
                  "that every command in the docs can be run as printed.")
    ex.add_argument("--out", required=True, help="directory to write the files to (created "
                    "if missing)")
    ex.add_argument("--panel-size", type=int, default=36, help="seats the targets are for")
    force_option(ex)
    ex.set_defaults(func=o.cmd_example, inputs=(), outputs=())

    q = _command(sub, "quotas", "census shares -> quota (targets) CSV")
    q.add_argument("--census", help="census CSV (category,value,share|percent|count); "
                   "default: the embedded synthetic Rustavi census")
    q.add_argument("--panel-size", type=int, required=True, help="number of seats k")
    q.add_argument("--method", default="largest-remainder", type=resolve_method,
                   help=tr("apportionment method: {methods}", methods=", ".join(METHODS)))
    g = q.add_mutually_exclusive_group()
    g.add_argument("--band-seats", type=int, default=1, help="± seats around the apportioned "
                   "number")
    g.add_argument("--band-percent", type=float, help="± percentage points of the share "
                   "(instead of --band-seats)")
    q.add_argument("--joint", action="append", default=[], metavar="NAME",
                   help="joint quota on a combination of two categories, such as sex×age (or "
                   "sex*age), derived from the census cross table by biproportional "
                   "apportionment; repeatable")
    jg = q.add_mutually_exclusive_group()
    jg.add_argument("--joint-band-seats", type=int, help="± seats around each joint cell's "
                    "apportioned number (default: the band of the single categories)")
    jg.add_argument("--joint-band-percent", type=float, help="± percentage points of each "
                    "joint cell's share (instead of --joint-band-seats)")
    q.add_argument("--floors", action="store_true", help="at least one seat per present value")
    q.add_argument("--tie-break", choices=["order", "raise", "random"], default="order",
                   help="how an apportionment tie is broken")
    q.add_argument("--out", help="write the targets CSV here (default: stdout)")
    q.add_argument("--provenance", action="store_true", help="add the share/exact quota "
                   "columns (read back by every command, shown in the report)")
    q.add_argument("--markdown", action="store_true", help="print a Markdown table instead")
    force_option(q)
    q.set_defaults(func=c.cmd_quotas, inputs=("census",), outputs=("out",))

    i = _command(sub, "invite", "stage 1: draw the addresses that get a letter")
    i.add_argument("--frame", required=True, help="address frame CSV (address + strata columns)")
    i.add_argument("--id-column", default="address", help="address frame: the address id "
                   "column")
    n = i.add_mutually_exclusive_group(required=True)
    n.add_argument("--letters", type=int, help="number of letters")
    n.add_argument("--target-pool", type=int, help="plan the letters for this many "
                   "registrations (with --response-rate)")
    n.add_argument("--per-cluster", type=int, help="pps: addresses invited in each chosen "
                   "cluster (instead of --letters; with --letters or --target-pool it is the "
                   "letters divided by --clusters, rounded up)")
    i.add_argument("--response-rate", type=float, nargs=2, default=[0.05, 0.08],
                   metavar=("LOW", "HIGH"), help="registrations per letter")
    i.add_argument("--design", choices=["simple", "stratified", "oversample", "pps"],
                   default="stratified", help="sampling design (pps: clusters drawn with "
                   "probability proportional to size, then addresses in each)")
    i.add_argument("--by", default="district", help="stratification column")
    i.add_argument("--census", help="census CSV: apportion letters to the population shares of "
                   "the --by category (default: to address counts)")
    i.add_argument("--method", default="largest-remainder", type=resolve_method,
                   help=tr("apportionment method of the letters: {methods}",
                           methods=", ".join(METHODS)))
    i.add_argument("--flag", default="low_response", help="oversample: the flag column")
    i.add_argument("--share", type=float, default=0.2, help="oversample: share of letters to "
                   "flagged addresses")
    i.add_argument("--clusters", type=int, help="pps: number of clusters to draw (needed "
                   "with --design pps)")
    i.add_argument("--cluster-column", default="district", help="pps: the address frame "
                   "column naming each address's cluster")
    i.add_argument("--cluster-sizes", help="pps: CSV of cluster,size (the measure of size, in "
                   "the order of the systematic draw; default: the number of addresses of "
                   "each cluster, in frame order)")
    i.add_argument("--reserves", type=int, default=0, help="reserve addresses for a second "
                   "wave (pps: a multiple of --clusters)")
    i.add_argument("--seed", required=True, help="public seed text")
    i.add_argument("--out", required=True, help="invitations CSV (status and probability of "
                   "every address)")
    i.add_argument("--record", help="write the JSON record of the draw here")
    force_option(i)
    i.set_defaults(func=c.cmd_invite, inputs=("frame", "census", "cluster_sizes"),
                   outputs=("out", "record"))

    rg = _command(sub, "registrations", "validate registrations into a people file")
    rg.add_argument("--registrations", required=True, help="registrations CSV (docs/io.md)")
    rg.add_argument("--targets", required=True, help="targets CSV (categories and values)")
    rg.add_argument("--panel-size", type=int, required=True, help="number of seats k")
    rg.add_argument("--id-column", dest="registration_id_column", default="id",
                    help="registrations: the id column")
    _registration_options(rg, required=True)
    rg.add_argument("--out", required=True, help="people CSV for select (id, categories, "
                    "address)")
    rg.add_argument("--rejections", help="rejections CSV (organisers only)")
    rg.add_argument("--no-escape-formulas", action="store_true",
                    help="keep formula-like values in --rejections unchanged (default: "
                    "neutralised with a leading apostrophe)")
    force_option(rg)
    rg.set_defaults(func=c.cmd_registrations,
                    inputs=("registrations", "targets", "invitations"),
                    outputs=("out", "rejections"))

    ck = _command(sub, "check", "read targets and people; check necessary conditions")
    input_options(ck, required=True)
    ck.add_argument("--allow-new-values", action="store_true", help="accept values the "
                    "targets do not list (they get no quota row; select rejects them)")
    ck.add_argument("--solve", action="store_true", help="decide with the solver whether a "
                    "panel exists; when none does, print the least relaxation of the quotas "
                    "and exit 3 (implied by --relax-order, --relax-weights and --never-relax)")
    _relaxation_options(ck)
    members_options(ck, required=False)
    ck.add_argument("--exclude", help="with --members or --members-record: comma-separated "
                    "ids of people who cannot serve (not counted as replacements)")
    ck.set_defaults(func=c.cmd_check, inputs=("targets", "people", "members_record"),
                    outputs=())

    al = _command(sub, "algorithms", "list the fair algorithms and their options")
    al.set_defaults(func=c.cmd_algorithms, inputs=(), outputs=())

    s = _command(sub, "select", "targets + people -> fair lottery over panels (JSON)",
                 "With --draw-seed, round it to a ticket lottery and draw the panel.")
    input_options(s, required=True)
    algorithm_options(s)
    parameter_option(s)
    s.add_argument("--draws", type=int, default=10_000, help="legacy only: simulated draws")
    s.add_argument("--seed", type=int, help="legacy only: random seed (an integer; the "
                   "public seed of a draw is --draw-seed)")
    s.add_argument("--json", help="write the result here")
    s.add_argument("--no-panels", action="store_true", help="omit the panel list from the JSON")
    s.add_argument("--lottery", help="write the transparent lottery (canonical JSON) here")
    s.add_argument("--draw-seed", help="public seed: draw the panel from the lottery now")
    e2e = s.add_argument_group("end-to-end equal chances (self-selection correction)")
    e2e.add_argument("--end-to-end", action="store_true",
                     help="estimate each value's response rate from --invitations, --census "
                     "and --population, and select the lottery closest to equal chances for "
                     "every resident (invitation x registration x selection) instead of "
                     "--algorithm; the people file's --household-column must be the address "
                     "each letter went to")
    e2e.add_argument("--invitations", help="end-to-end: the invitations CSV written by invite "
                     "(every letter and its inclusion probability)")
    e2e.add_argument("--census", help="end-to-end: census CSV with every category of the "
                     "people file")
    e2e.add_argument("--population", type=float, help="end-to-end: the number of residents "
                     "the census describes (eligible adults)")
    e2e.add_argument("--reserves-sent", action="store_true", help="end-to-end: the reserve "
                     "letters were sent too (their addresses count as invited)")
    e2e.add_argument("--weighting", choices=["population", "uniform"], default="population",
                     help="end-to-end: distance to the targets, weighted by the residents each "
                     "person stands for (population) or unweighted (uniform)")
    e2e.add_argument("--replicates", type=int, default=200, help="end-to-end: bootstrap "
                     "replicates of the response rates' standard errors")
    e2e.add_argument("--bootstrap-seed", type=int, default=0, help="end-to-end: seed of the "
                     "bootstrap")
    _relaxation_options(s)
    selection_outputs(s)
    force_option(s)
    s.set_defaults(func=c.cmd_select, inputs=("targets", "people", "invitations", "census"),
                   outputs=("json", "lottery", "record", "selected", "remaining"))

    dr = _command(sub, "draw", "draw a panel from a published lottery with a public seed")
    dr.add_argument("--lottery", required=True, help="the lottery file (canonical JSON)")
    dr.add_argument("--seed", required=True, help="the public seed text")
    dr.add_argument("--people", help="people CSV (to write selected/remaining)")
    dr.add_argument("--id-column", help="id column of the people CSV (the lottery's ids)")
    dr.add_argument("--row-ids", action="store_true", help="the lottery's ids are row numbers")
    selection_outputs(dr)
    force_option(dr)
    dr.set_defaults(func=c.cmd_draw, inputs=("lottery", "people"),
                    outputs=("record", "selected", "remaining"))

    rp = _command(sub, "replace", "draw replacements for members who dropped out",
                  "The seats are filled from everyone not on the panel (minus housemates of "
                  "kept members) by the fair lottery under the residual quotas, rounded to "
                  "tickets and drawn with the public seed; the record re-derives the draw.")
    input_options(rp, required=True)
    members_options(rp)
    dropout_options(rp)
    rp.add_argument("--seed", required=True, help="public seed text of the replacement draw")
    algorithm_options(rp)
    rp.add_argument("--exclude", help="comma-separated ids of people who cannot serve "
                    "(declined, unreachable)")
    rp.add_argument("--relax", action="store_true", help="when no replacement set meets the "
                    "residual quotas, apply the least relaxation and record it (default: "
                    "exit 3 with the relaxation it would need)")
    _relaxation_options(rp)
    rp.add_argument("--lottery", help="write the replacement lottery (canonical JSON) here")
    selection_outputs(rp, record="write the replacement record (JSON) here")
    force_option(rp)
    rp.set_defaults(func=o.cmd_replace,
                    inputs=("targets", "people", "members_record", "dropouts_file"),
                    outputs=("record", "lottery", "selected", "remaining"))

    al = _command(sub, "alternates", "prepare an ordered list of alternates, or fill seats "
                  "from it")
    alsub = al.add_subparsers(dest="action", required=True, metavar="ACTION")
    ap = _command(alsub, "prepare", "prepare an ordered list of alternates from everyone off "
                  "the panel",
                  "--method quotas (default): a fair draw under quotas proportional to the "
                  "panel's; --method erm: the set that best survives dropouts (an integer "
                  "program over sampled dropout scenarios). Either list is ordered by the "
                  "public key of the seed.")
    input_options(ap, required=True)
    members_options(ap)
    ap.add_argument("--count", type=int, required=True, help="number of alternates")
    ap.add_argument("--seed", required=True, help="public seed text of the alternates draw")
    algorithm_options(ap)
    ap.add_argument("--exclude", help="comma-separated ids of people who cannot serve")
    ap.add_argument("--out", required=True, help="write the alternates list (JSON) here")
    _dropout_model_options(ap)
    ap.add_argument("--method", choices=("quotas", "erm"), default="quotas",
                    help="quotas: a fair draw under proportional quotas; erm: the set "
                    "minimising the mean quota loss over sampled dropout scenarios")
    force_option(ap)
    ap.set_defaults(func=o.cmd_alternates_prepare,
                    inputs=("targets", "people", "members_record", "dropout_rates",
                            "past_dropouts"), outputs=("out",))
    aj = _command(alsub, "joint", "give every ticket of a lottery its own ordered alternates",
                  "Each ticket becomes a panel plus alternates; the public draw picks a "
                  "ticket as before, and each volunteer's chance of a seat and of being "
                  "picked at all is counted from the ticket list.")
    input_options(aj, required=True)
    aj.add_argument("--lottery", required=True, help="the lottery file (canonical JSON)")
    aj.add_argument("--count", type=int, required=True, help="alternates per ticket")
    aj.add_argument("--seed", required=True, help="public seed text of the alternates")
    aj.add_argument("--method", choices=("erm", "uniform"), default="erm",
                    help="erm: the ERM type counts per distinct panel, members taken "
                    "round-robin; uniform: the eligible people with the smallest hash keys")
    _dropout_model_options(aj)
    aj.add_argument("--out", required=True, help="write the joint lottery (canonical JSON) "
                    "here")
    aj.add_argument("--probabilities", help="write each volunteer's P(seat) and P(picked at "
                    "all) (CSV) here")
    force_option(aj)
    aj.set_defaults(func=o.cmd_alternates_joint,
                    inputs=("targets", "people", "lottery", "dropout_rates", "past_dropouts"),
                    outputs=("out", "probabilities"))
    af = _command(alsub, "fill", "fill the dropouts' seats with the earliest fitting "
                  "alternates", "The lexicographically first available alternates (in the "
                  "published order) that complete a panel within the quotas.")
    input_options(af, required=True)
    members_options(af)
    dropout_options(af)
    af.add_argument("--alternates", required=True, help="the alternates list written by "
                    "alternates prepare, or a joint lottery (alternates joint): then the drawn "
                    "ticket's alternates, in their order")
    af.add_argument("--ticket-record", help="with a joint lottery: its draw record, naming the "
                    "ticket (default: --members-record, when it is that draw record)")
    af.add_argument("--unavailable", help="comma-separated ids of alternates who cannot be "
                    "reached or declined")
    selection_outputs(af, record="write the fill record (JSON) here")
    force_option(af)
    af.set_defaults(func=o.cmd_alternates_fill,
                    inputs=("targets", "people", "members_record", "dropouts_file",
                            "alternates", "ticket_record"),
                    outputs=("record", "selected", "remaining"))

    v = _command(sub, "verify", "re-check a draw, a lottery and a result independently")
    input_options(v, required=False)
    v.add_argument("--result", help="select's JSON result (with panels)")
    v.add_argument("--lottery", help="the lottery file (canonical JSON)")
    v.add_argument("--record", help="the draw record (JSON)")
    v.add_argument("--report", help="a JSON audit report (report --json) to regenerate from "
                   "the inputs and artefacts and compare, field by field")
    v.add_argument("--census", help="the census CSV the report was made with, if any")
    _report_registrations(v)
    v.set_defaults(func=c.cmd_verify,
                   inputs=("targets", "people", "result", "lottery", "record", "report",
                           "census", "registrations", "invitations"), outputs=())

    r = _command(sub, "report", "audit report (Markdown/JSON, no personal data)")
    input_options(r, required=True)
    r.add_argument("--result", required=True, help="select's JSON result (with panels)")
    r.add_argument("--lottery", help="the lottery file (canonical JSON)")
    r.add_argument("--record", help="the draw record (JSON)")
    r.add_argument("--census", help="census CSV (adds census seats to the group view)")
    _report_registrations(r)
    r.add_argument("--out", help="write the Markdown report here (default: stdout)")
    r.add_argument("--json", help="write the JSON report here")
    r.add_argument("--lang", choices=("en", "ka"), default=argparse.SUPPRESS,
                   help="language of the Markdown report (default: --lang before the command, "
                        "CIVICSORTITION_LANG or the locale, else English)")
    force_option(r)
    r.set_defaults(func=c.cmd_report,
                   inputs=("targets", "people", "result", "lottery", "record", "census",
                           "registrations", "invitations"),
                   outputs=("out", "json"))

    t = _command(sub, "tally", "tally the assembly's votes (supermajority, answer date)")
    t.add_argument("--votes", required=True, help="CSV: member,recommendation,vote")
    members_options(t)
    t.add_argument("--ignore-non-members", action="store_true", help="skip ballots of people "
                   "who are not members (default: an error naming them)")
    t.add_argument("--threshold", default="0.8", help="share needed, e.g. 0.8 or 2/3")
    t.add_argument("--denominator", choices=list(DENOMINATORS), default="members",
                   help="what the threshold is a share of")
    t.add_argument("--handover", help="handover date YYYY-MM-DD (prints the answer deadline)")
    t.add_argument("--response-days", type=int, default=30, help="days the mayor's office has "
                   "to answer after the handover")
    t.set_defaults(func=c.cmd_tally, inputs=("votes", "members_record"), outputs=())

    d = _command(sub, "demo", "run the whole pipeline on the embedded synthetic example")
    d.add_argument("--panel-size", type=int, default=36, help="number of seats k")
    d.add_argument("--seed", help="public seed of the panel draw (default: the demo's seed)")
    d.add_argument("--out", help="directory to write the artefacts to, and the inputs to its "
                   "inputs/ folder")
    force_option(d)
    d.set_defaults(func=o.cmd_demo, inputs=(), outputs=())
    return parser
