"""Writing files without losing any: never over an input, never by surprise, never half a file.

Two pieces, used by every writer of :mod:`civicsortition.io` and by the command line:

* :class:`OutputPlan` checks every output location *before* any work is done: an output may not
  be one of the run's inputs (compared by resolved path and, when both exist, by file identity,
  so hard links and ``./x.csv`` vs ``x.csv`` are caught), may not be named twice, must be in an
  existing, writable directory, and may not already exist unless overwriting was asked for
  (``force``).
* :func:`atomic_write` writes through a temporary file in the target's directory, flushes and
  fsyncs it, then renames it over the target (:func:`os.replace`, atomic on POSIX and Windows):
  an interrupted run leaves the old file or the new one, never a mixture.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from .._i18n import tr
from ..errors import InputError, Problem

__all__ = ["OutputPlan", "atomic_open", "atomic_write", "make_directory"]

PathLike = str | os.PathLike[str]


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        try:
            return os.path.samefile(a, b)
        except OSError:
            pass
    return a.resolve() == b.resolve()


def _file_of(path: PathLike) -> str:
    """The file a source names: ``book.xlsx#Sheet`` is ``book.xlsx``."""
    from ._cells import split_sheet

    sheet = split_sheet(path)
    return sheet[0] if sheet is not None else os.fspath(path)


class OutputPlan:
    """The outputs of one run, checked against its inputs and the file system up front.

    Parameters
    ----------
    inputs : iterable of path or None
        Files the run reads (``None`` entries, for options not given, are skipped).
    force : bool
        Allow replacing existing output files (never inputs).

    Examples
    --------
    >>> plan = OutputPlan(["people.csv"])
    >>> plan.add("--selected", "./people.csv")
    >>> [p.code for p in plan.problems]
    ['output-is-input']
    """

    def __init__(self, inputs: Iterable[PathLike | None] = (), *, force: bool = False) -> None:
        # A spreadsheet input "book.xlsx#Sheet" is the file book.xlsx.
        self.inputs = [Path(_file_of(p)) for p in inputs if p is not None and os.fspath(p) != "-"]
        self.force = force
        self.outputs: list[tuple[str, Path]] = []
        self.problems: list[Problem] = []

    def add(self, option: str, path: PathLike | None) -> None:
        """Register one output (``None`` and ``"-"``, standard output, are ignored)."""
        if path is None or os.fspath(path) in ("-", os.devnull):
            return
        where: dict[str, Any] = {"file": os.fspath(path), "column": option}
        from ._cells import output_problem

        unwritable = output_problem(path)
        if unwritable is not None:  # a spreadsheet we cannot write: say so before any work
            self.problems.append(attrs.evolve(unwritable, column=option))
            return
        p = Path(_file_of(path))  # the file a sheet of a workbook is written into
        for src in self.inputs:
            if _same(p, src):
                self.problems.append(Problem(
                    "output-is-input", tr("{option} would overwrite the input file {src}; write "
                                          "the output elsewhere", option=option, src=src), **where))
                return
        for other, q in self.outputs:
            if _same(p, q):
                self.problems.append(Problem(
                    "output-twice", tr("{option} and {other} name the same file",
                                       option=option,
                                       other=other), **where))
                return
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            self.problems.append(Problem("no-such-directory", tr("the directory {parent} of "
                                                                 "{option} does not exist",
                                                                 parent=parent,
                                                                 option=option), **where))
        elif p.is_dir():
            self.problems.append(Problem("output-is-directory", tr("{option} names a directory",
                                                                   option=option),
                                         **where))
        elif not os.access(parent, os.W_OK):
            self.problems.append(Problem("not-writable", tr("the directory {parent} of {option} "
                                                            "is not writable",
                                                            parent=parent,
                                                            option=option), **where))
        elif p.exists() and not self.force:
            self.problems.append(Problem("output-exists", tr("{option}: {p} exists; pass --force "
                                                             "to replace it", option=option, p=p),
                                         **where))
        self.outputs.append((option, p))

    def add_directory(self, option: str, directory: PathLike, names: Iterable[str]) -> None:
        """Register the files ``names`` that a run will write into ``directory``.

        A directory that does not exist yet is fine (the run creates it, see
        :func:`make_directory`) and its files are not checked; an existing directory has each
        of its files registered with :meth:`add`.

        Raises
        ------
        InputError
            ``output-is-file`` at once when ``directory`` exists but is not a directory.
        """
        d = Path(directory)
        if d.exists() and not d.is_dir():
            raise InputError.single("output-is-file", tr("{option} must name a directory",
                                                         option=option),
                                    file=os.fspath(directory), column=option)
        if d.is_dir():
            for name in names:
                self.add(option, d / name)

    def check(self) -> None:
        """Raise one :class:`~civicsortition.errors.InputError` listing every problem found.

        Raises
        ------
        InputError
            Codes ``output-is-input``, ``output-twice``, ``no-such-directory``,
            ``output-is-directory``, ``not-writable``, ``output-exists``.
        """
        if self.problems:
            raise InputError(self.problems)


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", *, encoding: str | None = "utf-8",
                newline: str | None = "") -> Iterator[IO[str]]:
    """Open ``path`` for writing through a temporary file renamed into place on success.

    On any exception the temporary file is removed and the target is left untouched.

    Parameters
    ----------
    path : path
    mode : {"w", "wb"}
    encoding, newline : str or None
        As for :func:`open` (ignored in binary mode).

    Yields
    ------
    file object
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                               prefix=f".{target.name}.", suffix=".tmp")
    try:
        if "b" in mode:
            f = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(OSError):  # keep the target's permissions if it exists
            os.chmod(tmp, os.stat(target).st_mode & 0o777 if target.exists() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dfd = os.open(target.parent if str(target.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write(path: PathLike, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically (see :func:`atomic_open`)."""
    if isinstance(data, bytes):
        with atomic_open(path, "wb", encoding=None, newline=None) as f:
            f.write(data)  # type: ignore[arg-type]
    else:
        with atomic_open(path) as f:
            f.write(data)


def make_directory(path: PathLike) -> None:
    """Create the directory ``path`` and any missing parents (nothing if it exists)."""
    Path(path).mkdir(parents=True, exist_ok=True)
