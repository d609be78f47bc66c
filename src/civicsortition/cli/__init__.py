"""Command line: ``python -m civicsortition COMMAND ...`` -- a thin layer over the public API.

The organiser's whole path, from the example's files to the vote::

    example --out DIR                      the embedded example's input files
    quotas                                 census shares -> targets CSV
    invite                                 stage 1: the addresses that get a letter
    registrations                          registrations -> people CSV (+ rejections)
    check                                  necessary conditions of the quotas
    select                                 the fair lottery; --draw-seed draws the panel
    draw                                   the panel from a published lottery and a seed
    replace                                replacements for dropouts (residual quotas)
    alternates prepare | fill              alternates drawn in advance, and seats filled
    verify                                 independent re-check of result, lottery, draw
    report                                 the audit report (no personal data)
    tally                                  the assembly's votes
    demo                                   all of it on the synthetic example

Exit codes (stable, for scripts):

* 0 -- success;
* 2 -- bad input (the message on stderr names the file, row, column and value);
* 3 -- the quotas cannot be met (the findings are printed on stderr);
* 4 -- ``verify`` found a problem (the failed checks are printed);
* 5 -- a solver failed even after recovery was tried (the stage and status are printed);
* 1 -- an unexpected internal error (a one-line message; ``--debug`` shows the traceback).

Every output of a command is checked before any work is done (not an input, not existing
unless ``--force``, in a writable directory); nothing is written when a command fails.
The package: :mod:`.parser` (options), :mod:`.commands` (``quotas`` ... ``tally``),
:mod:`.organiser` (``replace``, ``alternates``, ``example``, ``demo``), :mod:`._common`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .._i18n import say
from ..errors import InfeasibleError, InputError, SolverError
from ._common import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_SOLVER,
    EXIT_VERIFICATION_FAILED,
    apply_settings,
    check_outputs,
)
from .parser import build_parser

if TYPE_CHECKING:
    from ..distribution import Distribution
    from ..pool import Pool
    from ..quotas import Quotas

__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "EXIT_INTERNAL", "EXIT_OK", "EXIT_SOLVER",
           "EXIT_VERIFICATION_FAILED", "build_parser", "find_distribution", "main"]


def find_distribution(pool: Pool, quotas: Quotas, **options: Any) -> Distribution:
    """:func:`civicsortition.algorithms.find_distribution`, loaded on first use.

    The algorithms load SciPy and the solvers; the commands that do not solve never pay for
    them (and ``--help`` starts at once). ``select`` looks this name up here at run time.
    """
    from ..algorithms import find_distribution as find

    return find(pool, quotas, **options)


@contextmanager
def _logging(verbose: int, quiet: bool) -> Iterator[None]:
    """A stderr handler on the package's logger for one ``main`` call (removed afterwards).

    ``-v``: INFO, ``-vv``: DEBUG; otherwise (and with ``-q``) WARNING. The handler writes to
    the ``sys.stderr`` of the time of the call, and the logger's level is restored.
    """
    from .._log import LOGGER_NAME

    level = logging.WARNING if quiet or not verbose else (
        logging.INFO if verbose == 1 else logging.DEBUG)
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        One of the ``EXIT_*`` codes.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    with _language(_given_language(argv)):  # --help and usage errors come before parsing
        parser = build_parser()
        args = parser.parse_args(argv)
        with _logging(args.verbose, args.quiet):
            return _run(args)


def _given_language(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in ``argv`` (before the command), if any and supported."""
    from .._i18n import LANGUAGES

    for j, arg in enumerate(argv):
        if arg == "--":
            break
        value = (argv[j + 1] if arg == "--lang" and j + 1 < len(argv) else
                 arg.partition("=")[2] if arg.startswith("--lang=") else None)
        if value is not None:
            return value if value in LANGUAGES else None  # argparse reports a bad one
    return None


@contextmanager
def _language(lang: str | None) -> Iterator[None]:
    """``--lang`` for one ``main`` call: the language of every message and report it writes.

    The command line's own words (``usage:``, ``options``, its errors) come from
    :mod:`argparse`, which reads them through :func:`gettext.gettext`; for the length of the
    call, that lookup goes through the package's catalog first.
    """
    import argparse

    from .._i18n import language, translate

    previous = os.environ.get("CIVICSORTITION_LANG")
    if lang is not None:
        os.environ["CIVICSORTITION_LANG"] = lang
    argparse_gettext = argparse._  # type: ignore[attr-defined]
    if language() != "en":
        argparse._ = lambda message: translate(argparse_gettext(message))  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = argparse_gettext  # type: ignore[attr-defined]
        if lang is not None:
            if previous is None:
                os.environ.pop("CIVICSORTITION_LANG", None)
            else:
                os.environ["CIVICSORTITION_LANG"] = previous


def _run(args: argparse.Namespace) -> int:
    """Run a parsed command; map the library's errors to the exit codes."""
    try:
        apply_settings(args)
        check_outputs(args)
        code: int = args.func(args)
    except InputError as e:
        print(say("error: {e}", e=e), file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfeasibleError as e:
        print(say("infeasible: {e}", e=e), file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverError as e:
        if args.debug:
            raise
        print(say("solver error: {e}", e=e), file=sys.stderr)
        return EXIT_SOLVER
    except Exception as e:
        if args.debug:
            raise
        what = str(e).splitlines()[0] if str(e) else ""
        print(say("internal error: {name}: {what} (rerun with --debug for the traceback, and "
                  "please report it)", name=type(e).__name__, what=what), file=sys.stderr)
        return EXIT_INTERNAL
    return code
