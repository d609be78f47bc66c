"""A ready-made progress callback: a live bar (tqdm when installed) or plain text lines.

:func:`progress_bar` returns a callable for any algorithm's ``progress=`` option. With
`tqdm <https://tqdm.github.io>`_ installed (it is not a dependency; imported only when a bar
is made) it draws one bar that counts progress reports and shows the stage, the current value
and the bound; otherwise it writes a line per stage change and at most one line every
``min_interval`` seconds within a stage. Only stage names and figures are shown, never
personal data. Call :meth:`ProgressBar.close` at the end (or use it as a context manager)::

    with progress_bar() as bar:
        dist = find_distribution(pool, quotas, progress=bar, time_limit=60)

``cancel`` (a callable returning True to stop) lets an application cancel the run from
elsewhere, e.g. a button or a signal handler setting a :class:`threading.Event`
(``cancel=event.is_set``): the bar then returns ``False`` to the algorithm, which stops at its
next check with the best valid lottery found so far.
"""

from __future__ import annotations

import importlib
import math
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

__all__ = ["ProgressBar", "progress_bar"]


def _figure(x: float) -> str:
    return f"{x:.6f}" if math.isfinite(x) else str(x)


class ProgressBar:
    """A progress callback ``bar(stage, iteration, value, bound)`` drawing a bar or lines.

    Made by :func:`progress_bar` (see there for the parameters).

    Attributes
    ----------
    calls : int
        Progress reports received so far.
    uses_tqdm : bool
        Whether a tqdm bar is drawn (else plain text lines).
    """

    def __init__(self, stream: IO[str] | None = None, *, use_tqdm: bool | None = None,
                 min_interval: float = 0.5, cancel: Callable[[], bool] | None = None) -> None:
        self.stream = stream
        self.min_interval = float(min_interval)
        self.cancel = cancel
        self.calls = 0
        self.started = time.perf_counter()
        self._stage: str | None = None
        self._last_line = -math.inf
        self._pending: str | None = None
        self._bar: Any = None
        self._closed = False
        self.uses_tqdm = False
        if use_tqdm is not False:
            try:  # optional, untyped: imported by name
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                if use_tqdm:
                    raise
            else:
                self._bar = tqdm(total=None, file=self._out(), unit=" reports",
                                 dynamic_ncols=True, leave=True)
                self.uses_tqdm = True

    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stderr

    def __call__(self, stage: str, iteration: int, value: float, bound: float) -> bool | None:
        """Show one progress report; return False if ``cancel`` asks to stop, else None."""
        self.calls += 1
        figures = f"iteration {iteration}, value {_figure(value)}, bound {_figure(bound)}"
        if self._bar is not None:
            self._bar.set_description_str(stage, refresh=False)
            self._bar.set_postfix_str(figures, refresh=False)
            self._bar.update(1)
        else:
            now = time.perf_counter()
            line = f"[{now - self.started:7.1f} s] {stage}: {figures}"
            if stage != self._stage or now - self._last_line >= self.min_interval:
                self._write(line)
                self._last_line = now
                self._pending = None
            else:
                self._pending = line
            self._stage = stage
        if self.cancel is not None and self.cancel():
            return False
        return None

    def _write(self, line: str) -> None:
        out = self._out()
        print(line, file=out, flush=True)

    def close(self) -> None:
        """Finish the bar (or write the last report not yet shown). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self._pending is not None:
            self._write(self._pending)
            self._pending = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def progress_bar(stream: IO[str] | None = None, *, use_tqdm: bool | None = None,
                 min_interval: float = 0.5,
                 cancel: Callable[[], bool] | None = None) -> ProgressBar:
    """A progress callback for ``progress=``: a tqdm bar if installed, plain text otherwise.

    Parameters
    ----------
    stream : file-like, optional
        Where to draw (default: ``sys.stderr`` at the time of each write).
    use_tqdm : bool, optional
        None (default): tqdm if it can be imported; True: tqdm or ``ImportError``; False:
        plain text lines.
    min_interval : float
        Plain text only: at most one line per this many seconds within a stage (a new stage
        is always shown; the last report is shown by :meth:`ProgressBar.close`).
    cancel : callable, optional
        Asked after every report; when it returns True the callback returns ``False``, which
        cancels the run (it stops at the next check with the best valid lottery so far and
        ``converged=False``).

    Returns
    -------
    ProgressBar
        Callable as ``bar(stage, iteration, value, bound)``; close it (or use ``with``).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with progress_bar(out, use_tqdm=False) as bar:
    ...     bar("maximin", 3, 0.25, 0.3)
    >>> "maximin: iteration 3, value 0.250000, bound 0.300000" in out.getvalue()
    True
    """
    return ProgressBar(stream, use_tqdm=use_tqdm, min_interval=min_interval, cancel=cancel)
