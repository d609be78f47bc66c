"""What every command shares: exit codes, reading people and quotas, output checks, options.

The option builders here give one name, one meaning and one help text to the same thing in
every command (``--targets``, ``--people``, ``--id-column``, ``--household-column``,
``--force``, ``--record`` ...).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .. import io
from .._i18n import say, tr, translate
from ..errors import InputError
from ..io.files import OutputPlan

if TYPE_CHECKING:
    from ..distribution import Distribution
    from ..draw import DrawRecord
    from ..io import PeopleTable
    from ..lottery import TransparentLottery
    from ..quotas import Band, Quotas

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_VERIFICATION_FAILED = 4
EXIT_SOLVER = 5
EXIT_INTERNAL = 1


class _AlgorithmChoices:
    """The ``--algorithm`` choices, read from the algorithm registry when first needed.

    Only checking a given ``--algorithm`` and ``select --help`` load the registry (and with
    it the solvers); building the parser does not.
    """

    def __iter__(self) -> Iterator[str]:
        from ..algorithms import ALGORITHMS

        return iter(sorted(ALGORITHMS))

    def __contains__(self, value: object) -> bool:
        return value in list(self)


def default_algorithm() -> str:
    """The algorithm registry's default (loads the registry)."""
    from ..algorithms import DEFAULT_ALGORITHM

    return DEFAULT_ALGORITHM


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help that states every option's default.

    ``(default: X)`` is appended to an option's help unless the help already says it, or the
    option is a flag (off unless given) or has no default value; an action carrying a
    ``default_text`` callable shows what it returns (computed only when the help is shown, so
    building the parser loads nothing).
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # Every text is translated here, when the help is shown (--lang is known by then).
        text = action.help or ""
        if "%(default)" in text or "default:" in text:
            return translate(text)
        lazy: Callable[[], str] | None = getattr(action, "help_text", None)
        if lazy is not None:
            text = lazy()
        text = translate(text)
        shown: Callable[[], str] | None = getattr(action, "default_text", None)
        if shown is not None:
            return say("{text} (default: {default})", text=text, default=shown())
        if action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        if isinstance(action.default, list):
            return say("{text} (default: {default})", text=text,
                       default=" ".join(map(str, action.default)))
        return say("{text} (default: {default})", text=text, default="%(default)s")

    def _format_text(self, text: str) -> str:
        return super()._format_text(translate(text))

    def start_section(self, heading: str | None) -> None:
        super().start_section(None if heading is None else translate(heading))

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup],
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, say("usage: ") if prefix is None else prefix)


def lottery_and_record(args: argparse.Namespace
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


def people_table(args: argparse.Namespace, quotas: Quotas | None, *, publishes: bool = False,
            **options: Any) -> PeopleTable:
    """Read ``--people`` with the id-column safeguards of every command.

    Without ``--id-column`` (and without ``--row-ids``) a file with an id-like column is an
    error with a hint; with ``publishes`` (the ids go into published files), an id column
    that holds personal data (a name-like header, e-mail addresses, several words) is refused
    unless ``--allow-personal-ids`` is given.
    """
    people = io.read_people(args.people, strata=quotas, id_column=args.id_column,
                            household_column=getattr(args, "household_column", None),
                            categories=[] if quotas is None else None,
                            ignore_case=bool(getattr(args, "ignore_case", False)), **options)
    folded = [h.strip().casefold() for h in people.header]
    if args.id_column is None and not getattr(args, "row_ids", False):
        likely = [h for h, f in zip(people.header, folded, strict=True)
                  if f in ID_LIKE or f.endswith("_id")]
        if likely:
            raise InputError.single(
                "id-column-not-given", tr("the file has a column {likely!r} that looks like a "
                                          "person id, but --id-column was not given, so people "
                                          "would be keyed by row numbers; pass --id-column "
                                          "{likely} (or --row-ids to key by row numbers)",
                                          likely=likely[0]),
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
                "personal-id", tr("the id column {id_column!r} looks like personal data ({why}); "
                                  "ids are published in the lottery and results -- use a "
                                  "pseudonymous id column, or pass --allow-personal-ids if this "
                                  "is intended", id_column=args.id_column, why=why),
                file=people.source, column=args.id_column)
    return people


def inputs(args: argparse.Namespace, *, publishes: bool = False
            ) -> tuple[PeopleTable, Quotas]:
    quotas = io.read_targets(args.targets, args.panel_size)
    return people_table(args, quotas, publishes=publishes), quotas


def write_selection(args: argparse.Namespace, people: PeopleTable | None,
                     record: DrawRecord) -> None:
    """Write the draw record and, with a people file, the selected/remaining CSVs."""
    if args.record:
        io.write_draw_record(args.record, record)
        print(say("written: {record}", record=args.record))
    if args.selected or args.remaining:
        if people is None:
            raise InputError.single("missing-option", "--selected/--remaining need --people",
                                    column="--people")
        flagged = io.write_selected_and_remaining(args.selected, args.remaining,
                                                  kept_columns(args, people), record.panel,
                                                  escape_formulas=not args.no_escape_formulas)
        warn_formulas(flagged)
        for path in (args.selected, args.remaining):
            if path:
                print(say("written: {path}", path=path))


def warn_formulas(flagged: Sequence[Any]) -> None:
    """One warning line per file with formula-like cells (locations only, never values)."""
    by_file: dict[str, list[Any]] = {}
    for p in flagged:
        by_file.setdefault(p.file, []).append(p)
    for name, ps in by_file.items():
        escaped = sum(p.message.startswith("neutralised") for p in ps)
        where = ", ".join(f"line {p.row} column {p.column}" for p in ps[:3])
        print(say("warning: {name}: {n} cell(s) look like spreadsheet formulas ({where}{more}); "
                  "{escaped} neutralised with a leading apostrophe",
                  name=name, n=len(ps), where=where, more=", ..." if len(ps) > 3 else "",
                  escaped=escaped), file=sys.stderr)


def band(args: argparse.Namespace) -> Band:
    from ..quotas import Band

    if args.band_percent is not None:
        return Band.percent(args.band_percent)
    return Band.seats(args.band_seats)

def date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError.single("bad-date", "expected a date as YYYY-MM-DD",
                                value=text) from None


def force_option(p: argparse.ArgumentParser) -> None:
    """``--force``: the same flag, with the same meaning, in every command that writes."""
    p.add_argument("--force", action="store_true", help="replace output files that already "
                   "exist (an input file is never overwritten; default: refuse)")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that are inputs, exist, or cannot be written."""
    plan = OutputPlan([getattr(args, a, None) for a in (*args.inputs, "settings")],
                      force=getattr(args, "force", False))
    for name in args.outputs:
        plan.add("--" + name.replace("_", "-"), getattr(args, name, None))
    plan.check()


def selection_outputs(p: argparse.ArgumentParser, *,
                      record: str = "write the draw record (JSON) here") -> None:
    """``--record``, ``--selected``, ``--remaining`` and ``--no-escape-formulas``."""
    p.add_argument("--record", help=record)
    p.add_argument("--selected", help="write the selected people's rows here (CSV)")
    p.add_argument("--remaining", help="write everybody else's rows here (CSV)")
    p.add_argument("--no-escape-formulas", action="store_true",
                   help="keep formula-like cells (=, +, -, @ ...) of the columns the library "
                   "does not read unchanged in --selected/--remaining (default: neutralised "
                   "with a leading apostrophe for spreadsheet programs)")
    p.add_argument("--keep-columns", type=column_list, metavar="COL[,COL...]",
                   help="write only these columns besides the id, category and household "
                   "columns to --selected/--remaining (the peer's columns_to_keep; default: "
                   "every column)")


def input_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    """The published inputs: ``--targets``, ``--people``, ``--panel-size`` and their keys."""
    p.add_argument("--targets", required=required, help="targets table (feature,value,min,"
                   "max...; written by quotas): CSV, TSV, or a spreadsheet PATH#SHEET")
    p.add_argument("--people", required=required, help="people table, one column per "
                   "category: CSV, TSV, or a spreadsheet PATH#SHEET (.xlsx, .ods)")
    p.add_argument("--panel-size", type=int, required=required, help="number of seats k")
    p.add_argument("--id-column", help="id column (required when the file has an id-like "
                   "column; ids are published, so use a pseudonymous one)")
    p.add_argument("--row-ids", action="store_true", help="key people by row numbers from 0 "
                   "(when the file has no id column)")
    p.add_argument("--allow-personal-ids", action="store_true", help="allow an id column "
                   "that looks like names or e-mail addresses to be published")
    p.add_argument("--household-column", type=column_list, metavar="COL[,COL...]",
                   help="household key column, or several comma-separated columns whose cells "
                   "together are the key, e.g. primary_address1,primary_zip (enables the "
                   "one-per-household rule; a row with all of them blank has no household)")
    p.add_argument("--ignore-case", action=argparse.BooleanOptionalAction, default=None,
                   help="match category values up to case ('female' is the targets' "
                   "'Female'); a value matching two values that differ only in case is an "
                   "error (default: exact match; on with --settings, as the peer library "
                   "does)")
    p.add_argument("--settings", help="a sortition-algorithms settings file (TOML): its id, "
                   "address, kept columns, algorithm and seed, unless given here "
                   "(docs/io.md, 'Migrating from sortition-algorithms')")


def column_list(text: str) -> list[str]:
    """Comma-separated column names (an ``argparse`` type; an empty name is an error)."""
    names = [t.strip() for t in text.split(",")]
    if not names or not all(names):
        raise argparse.ArgumentTypeError(say("expected column names separated by commas: "
                                             "{text!r}", text=text))
    return names


def positive_seconds(text: str) -> float:
    """A number of seconds > 0 (an ``argparse`` type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(say("expected a number of seconds: {text!r}",
                                             text=text)) from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(say("the time limit must be a finite number of "
                                             "seconds > 0: {text!r}", text=text))
    return value


def kept_columns(args: argparse.Namespace, people: PeopleTable) -> PeopleTable:
    """``people`` with only ``--keep-columns`` besides the library's own (if given)."""
    keep = getattr(args, "keep_columns", None)
    if keep is None:
        return people
    from ..io.people import keep_columns

    return keep_columns(people, keep)


def _log_settings(what: str) -> None:
    from .._log import get_logger

    get_logger("cli").info("settings: %s", what)


def apply_settings(args: argparse.Namespace) -> None:
    """Fill the options not given on the command line from ``--settings`` (the peer's TOML).

    Options given explicitly win; a setting with no counterpart is a warning on stderr.
    """
    path = getattr(args, "settings", None)
    if not path:
        return
    from ..io.settings import read_settings

    # an --algorithm given on the command line wins, so the file's is not even resolved
    settings = read_settings(path, resolve_algorithm=hasattr(args, "algorithm")
                             and getattr(args, "algorithm", None) is None)
    notes = list(settings.warnings)
    if settings.id_column and getattr(args, "id_column", None) is None:
        args.id_column = settings.id_column
        _log_settings("id column from id_column")
    if settings.household_columns and getattr(args, "household_column", None) is None:
        args.household_column = list(settings.household_columns)
        _log_settings(f"household key over {len(settings.household_columns)} column(s)")
    if getattr(args, "ignore_case", False) is None:
        args.ignore_case = settings.ignore_case
    if settings.columns_to_keep is not None:
        if not hasattr(args, "keep_columns"):  # writes no people files: nothing to keep
            _log_settings(f"columns_to_keep not used by {args.command}")
        elif args.keep_columns is None:
            args.keep_columns = list(settings.columns_to_keep)
    if settings.algorithm is not None and getattr(args, "algorithm", None) is None:
        args.algorithm = settings.algorithm
        _log_settings(f"algorithm {settings.algorithm} from selection_algorithm")
    if settings.seed is not None:
        if args.command != "select":
            notes.append(f"random_number_seed has no counterpart in {args.command} (its "
                         "public seed is --seed text)")
        else:
            if args.seed is None:
                args.seed = settings.seed
            if (args.algorithm or default_algorithm()) != "legacy":
                notes.append("random_number_seed is used by the legacy algorithm only (the "
                             "other algorithms are deterministic; the public seed of the "
                             "draw is --draw-seed)")
    for note in notes:
        print(say("warning: {path}: {note}", path=path, note=note), file=sys.stderr)


@contextlib.contextmanager
def run_options(args: argparse.Namespace, algorithm: str) -> Iterator[dict[str, Any]]:
    """The ``--time-limit`` and ``--progress`` options of an algorithm run, for its duration.

    ``time_limit`` is passed only to an algorithm that takes it. With ``--progress`` (and
    not ``--quiet``) a progress bar is drawn on stderr and Ctrl-C cancels the run gracefully
    (the best valid lottery found so far is returned); a second Ctrl-C interrupts at once.
    The previous SIGINT handler is restored afterwards.
    """
    from ..algorithms import ALGORITHMS, progress_bar

    spec = ALGORITHMS[algorithm]
    options: dict[str, Any] = {}
    limit = getattr(args, "time_limit", None)
    if limit is not None:
        if spec.accepts("time_limit"):
            options["time_limit"] = limit
        else:
            print(say("warning: algorithm {algorithm} takes no time limit; --time-limit ignored",
                      algorithm=algorithm),
                  file=sys.stderr)
    if not (getattr(args, "progress", False) and not getattr(args, "quiet", False)
            and spec.accepts("progress")):
        yield options
        return
    cancelled = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        if cancelled.is_set():
            raise KeyboardInterrupt
        cancelled.set()
        print("\n" + say("cancelling: the run stops at its next check with the best valid "
                         "lottery found so far (Ctrl-C again to abort)"),
              file=sys.stderr, flush=True)

    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, interrupt) if on_main else None
    bar = progress_bar(sys.stderr, cancel=cancelled.is_set)
    options["progress"] = bar
    try:
        yield options
    finally:
        bar.close()
        if on_main:
            signal.signal(signal.SIGINT, previous)
    if cancelled.is_set():
        print(say("cancelled by Ctrl-C: the result is the best valid lottery found so far"),
              file=sys.stderr)


def time_limit_options(p: argparse.ArgumentParser) -> None:
    """``--time-limit`` and ``--progress`` of a command that runs an algorithm."""
    a = p.add_argument("--time-limit", type=positive_seconds, metavar="SECONDS",
                       help="wall-clock budget")
    a.help_text = _time_limit_help  # type: ignore[attr-defined]
    p.add_argument("--progress", action="store_true", help="show a live progress bar on "
                   "stderr (tqdm when installed, plain lines otherwise); Ctrl-C then cancels "
                   "gracefully with the best valid lottery found so far")


def _time_limit_help() -> str:
    from ..algorithms.registry import BUDGET_OPTIONS

    option = next(o for o in BUDGET_OPTIONS if o.name == "time_limit")
    return say("{help}; passed to algorithms that take it (default: no limit)",
               help=translate(option.help))


def unconverged_notice(dist: Distribution) -> None:
    """On stderr: the message and certified gap of a run that stopped before convergence."""
    d = dist.details
    if not d.converged:
        print(say("not converged: {message}; certified gap {gap:.6g} (the lottery is valid; its "
                  "optimality is certified within the gap only)", message=d.message, gap=d.gap),
              file=sys.stderr)



def algorithm_options(p: argparse.ArgumentParser, *, tickets: bool = True) -> None:
    """``--algorithm``, ``--backend`` and ``--tickets`` as ``select`` has them."""
    # The choices are set after add_argument, which would iterate them (to check a metavar)
    # and so load the algorithms and solvers; None stands for the registry's default.
    a = p.add_argument("--algorithm", help="fair algorithm")
    a.choices = _AlgorithmChoices()
    a.default_text = default_algorithm  # type: ignore[attr-defined]
    p.add_argument("--backend", default="highs", help="solver backend: highs, pulp or "
                   "pulp:SOLVER")
    if tickets:
        p.add_argument("--tickets", type=int, default=1000, help="tickets of the transparent "
                       "lottery")
    time_limit_options(p)


def parameter_option(p: argparse.ArgumentParser) -> None:
    """``--param NAME=VALUE``: an algorithm's own option (repeatable)."""
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="an option of the chosen algorithm, e.g. gamma=2 (goldilocks) or "
                   "floor=maximin (minimax); repeatable; typed as the algorithm declares it "
                   "(python -m civicsortition algorithms lists them)")


def algorithm_parameters(args: argparse.Namespace, spec: Any) -> dict[str, Any]:
    """The ``--param`` values for the registry entry ``spec``, converted to each option's type.

    Raises
    ------
    InputError
        ``bad-parameter`` for a malformed pair, an option the algorithm does not take (or one
        with its own command-line option), or a value of the wrong type.
    """
    own = {"households", "backend", "progress", "time_limit", "draws", "rng"}
    out: dict[str, Any] = {}
    for pair in getattr(args, "param", None) or []:
        name, sep, text = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise InputError.single("bad-parameter", tr("expected NAME=VALUE, got {pair!r}",
                                                        pair=pair), column="--param")
        takes = sorted(o.name for o in spec.options if o.name not in own)
        if name in own or not spec.accepts(name):
            raise InputError.single("bad-parameter", tr("algorithm {algorithm} takes no "
                                                        "parameter {name!r}; it takes: "
                                                        "{takes}", algorithm=spec.id,
                                                        name=name,
                                                        takes=", ".join(takes) or "none"),
                                    column="--param", value=pair)
        kind = spec.option(name).type
        try:
            if kind is bool:
                if text.strip().lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(text)
                value: Any = text.strip().lower() in ("true", "1", "yes")
            elif kind in (int, float):
                value = kind(text)
            elif kind is object:  # a number where it parses as one, else the text
                try:
                    value = float(text)
                except ValueError:
                    value = None if text.strip().lower() == "none" else text.strip()
            else:
                value = text
        except ValueError:
            raise InputError.single("bad-parameter", tr("{name}: expected a value of type "
                                                        "{kind}", name=name,
                                                        kind=kind.__name__),
                                    column="--param", value=pair) from None
        out[name] = value
    return out


def members_options(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--members`` or ``--members-record``: the current panel, as ``tally`` takes it."""
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--members", help="comma-separated ids of the current members")
    g.add_argument("--members-record", help="a draw record, replacement record or alternates "
                   "fill record (JSON) whose panel are the current members")


def id_list(text: str | None) -> list[str]:
    """Comma-separated ids (surrounding spaces and empty items dropped)."""
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def members(args: argparse.Namespace) -> list[str]:
    """The current members from ``--members`` or ``--members-record``."""
    if getattr(args, "members_record", None):
        return list(io.read_panel(args.members_record))
    return id_list(args.members)


def dropout_options(p: argparse.ArgumentParser) -> None:
    """``--dropouts`` or ``--dropouts-file``."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--dropouts", help="comma-separated ids of the members who left")
    g.add_argument("--dropouts-file", help="file with the ids of the members who left, one "
                   "per line ('#' starts a comment)")


def dropouts(args: argparse.Namespace) -> list[str]:
    """The dropouts from ``--dropouts`` or ``--dropouts-file``."""
    if args.dropouts_file:
        return list(io.read_id_list(args.dropouts_file))
    return id_list(args.dropouts)


def on_panel(panel: Sequence[str], leaving: Sequence[str]) -> None:
    """Refuse dropouts who are not members (before any work is done)."""
    from ..errors import Problem

    current = set(panel)
    outside = [pid for pid in leaving if pid not in current]
    if outside:
        raise InputError([Problem("not-on-panel", "a dropout must be a current member",
                                  column="--dropouts", value=pid) for pid in outside])
    if not leaving:
        raise InputError.single("no-dropouts", "nothing to replace", column="--dropouts")


def write_people_split(args: argparse.Namespace, people: PeopleTable,
                       panel: Sequence[str]) -> None:
    """``--selected`` (the rows of ``panel``) and ``--remaining`` (everybody else)."""
    if args.selected or args.remaining:
        flagged = io.write_selected_and_remaining(args.selected, args.remaining,
                                                  kept_columns(args, people), panel,
                                                  escape_formulas=not args.no_escape_formulas)
        warn_formulas(flagged)
        for path in (args.selected, args.remaining):
            if path:
                print(say("written: {path}", path=path))
