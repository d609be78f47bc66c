"""Research tooling: compare algorithms on one instance, and run grids of experiments.

:func:`compare_algorithms` runs several lottery algorithms on the same pool and quotas and
returns a tidy table (one row per algorithm) plus the distributions, for
:func:`~civicsortition.fairness.plot_probabilities`. With ``peer=True`` the maximin and nash
lotteries of the peer library *sortition-algorithms* (optional, GPL, used only as an installed
package through :mod:`civicsortition.peer`) are added as further rows.

:func:`run_grid` runs every :class:`Task` of a grid -- instances × algorithms × seeds ×
options -- on any :class:`concurrent.futures.Executor` (local processes by default; a Dask
cluster's ``client.get_executor()`` or any other executor works the same). Each finished task is
appended at once as one JSON line to the results file, so a crashed or interrupted grid resumes
where it stopped: tasks already in the file are not run again. Progress goes to stderr as a
text bar (or to a callback).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar

import attrs
import numpy as np

from .._i18n import tr
from ..algorithms import ALGORITHMS, find_distribution
from ..distribution import Distribution, json_number
from ..errors import InputError
from ..fairness import fairness_metrics, plot_probabilities
from ..io.artefacts import append_grid_results, read_grid_results
from ..numerics import COMPARE_TOL
from ..pool import Pool
from ..quotas import Quotas
from .synthetic import PRESETS, Instance, preset, synthetic_instance

__all__ = ["Comparison", "RayExecutor", "Task", "compare_algorithms", "grid", "read_results",
           "run_grid", "run_task"]



@attrs.frozen(eq=False)
class Comparison:
    """The outcome of :func:`compare_algorithms`.

    Attributes
    ----------
    rows : list of dict
        One per algorithm: ``algorithm``, ``minimum``, ``gini``, ``geometric_mean``,
        ``share_below_leximin_minimum``, ``support``, ``seconds``, ``gap``, ``converged``.
    distributions : dict
        Our lotteries by algorithm (the peer's are rows only).
    marginals : dict of str to ndarray
        Every row's per-person probabilities (aligned with the pool).
    """

    rows: list[dict[str, Any]]
    distributions: dict[str, Distribution]
    marginals: dict[str, np.ndarray]

    #: The columns of the Markdown and HTML tables, in order.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "algorithm", "minimum", "gini", "geometric_mean", "share_below_leximin_minimum",
        "support", "seconds", "gap", "converged")

    def to_markdown(self) -> str:
        """The table in Markdown (with a ``failed`` column when an algorithm could not run)."""
        cols = self.COLUMNS + (("failed",) if any("failed" in r for r in self.rows) else ())
        out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in self.rows:
            cells = []
            for c in cols:
                v = r.get(c)
                cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out) + "\n"

    def to_frame(self, *, like: Any = "pandas") -> Any:
        """The comparison's rows as a DataFrame (needs narwhals).

        Parameters
        ----------
        like : str or DataFrame
            The library (``"pandas"``, ``"polars"``, ...) or a frame of it.

        Returns
        -------
        DataFrame
            One row per algorithm, the columns of :attr:`rows`.
        """
        from .._frames import to_frame

        return to_frame(self.rows, like=like)

    def _repr_html_(self) -> str:
        from .._html import card, table

        cols = self.COLUMNS
        return card("Comparison of algorithms", [("algorithms", len(self.rows))],
                    [("", table(cols, [[r.get(c) for c in cols] for r in self.rows]))])

    def plot(self, ax: Any = None) -> Any:
        """Sorted probabilities, one line per row (``fairness.plot_probabilities``)."""
        return plot_probabilities({**self.marginals, **self.distributions}, ax)


def _row(name: str, pi: np.ndarray, seconds: float, support: int, gap: float,
         converged: bool) -> dict[str, Any]:
    m = fairness_metrics(pi)
    return {"algorithm": name, "minimum": m.minimum, "gini": m.gini,
            "geometric_mean": m.geometric_mean, "support": support, "seconds": seconds,
            "gap": json_number(gap), "converged": converged}


def compare_algorithms(pool: Pool, quotas: Quotas,
                       algorithms: Sequence[str] | None = None, *,
                       households: bool = True, peer: bool = False,
                       options: Mapping[str, Mapping[str, Any]] | None = None) -> Comparison:
    """Run several algorithms on one instance; one tidy row each.

    Parameters
    ----------
    pool, quotas : Pool, Quotas
    algorithms : sequence of str, optional
        Registered algorithm ids (default: every registered algorithm, in registry order,
        :data:`civicsortition.algorithms.ALGORITHMS`, except those that count every panel and
        run on small pools only -- name them to include them). LEXIMIN is run in any case (its
        minimum is the reference of ``share_below_leximin_minimum``) but only reported if
        listed.
    households : bool
    peer : bool
        Also run the peer library's maximin and nash (requires ``sortition-algorithms``).
    options : mapping, optional
        Per-algorithm keyword options, e.g. ``{"legacy": {"draws": 2000, "rng": 1}}``.

    Returns
    -------
    Comparison
        An algorithm that cannot run on the instance because its support is too large to
        count (``support-too-large``: the exact maximum-entropy rules on large pools) gets a
        row with ``failed`` set to that code; any other error propagates.
    """
    options = options or {}
    algorithms = (tuple(a for a, spec in ALGORITHMS.items() if not spec.small_pools_only)
                  if algorithms is None else tuple(algorithms))
    dists: dict[str, Distribution] = {}
    failed: dict[str, str] = {}
    for alg in dict.fromkeys(["leximin", *algorithms]):
        try:
            dists[alg] = find_distribution(pool, quotas, algorithm=alg, households=households,
                                           **dict(options.get(alg, {})))
        except InputError as e:
            # an algorithm that cannot run on this instance (say, maximum entropy on a pool
            # whose panels are too many to count) is a row saying so, not the end of the table
            if alg == "leximin" or e.code != "support-too-large":
                raise
            failed[alg] = e.code
    reference = dists["leximin"].minimum
    rows: list[dict[str, Any]] = []
    marginals: dict[str, np.ndarray] = {}
    for alg in algorithms:
        if alg in failed:
            rows.append({"algorithm": alg, "failed": failed[alg], "converged": False})
            continue
        d = dists[alg]
        rows.append(_row(alg, d.marginals, d.details.seconds,
                         int((d.probabilities > 0).sum()), d.details.gap, d.details.converged))
        marginals[alg] = d.marginals
    if peer:
        from .peer import peer_distribution

        for alg in ("maximin", "nash"):
            res = peer_distribution(pool, quotas, alg, households=households)
            rows.append(_row(f"peer:{alg}", res.marginals, res.seconds, len(res.panels),
                             float("nan"), True))
            marginals[f"peer:{alg}"] = res.marginals
    for r in rows:
        if r["algorithm"] in marginals:
            pi = marginals[r["algorithm"]]
            r["share_below_leximin_minimum"] = float(np.mean(pi < reference - COMPARE_TOL))
    return Comparison(rows, {a: dists[a] for a in algorithms if a in dists}, marginals)


# ------------------------------------------------------------------------------ grids
def _freeze(options: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((str(k), v) for k, v in options.items()))


@attrs.frozen
class Task:
    """One experiment: an instance (preset name or generator parameters), an algorithm, a seed.

    ``instance`` is a preset name (:data:`~civicsortition.synthetic.PRESETS`) or a tuple of
    ``(key, value)`` pairs passed to :func:`~civicsortition.synthetic.synthetic_instance`
    (``n``, ``k``, ``categories``, ...). ``seed`` seeds the instance generator (and the legacy
    algorithm); ``options`` are algorithm options.
    """

    instance: str | tuple[tuple[str, Any], ...]
    algorithm: str
    seed: int = 0
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """Stable identifier (JSON) used to skip finished tasks when resuming."""
        inst = self.instance if isinstance(self.instance, str) else dict(self.instance)
        return json.dumps({"instance": inst, "algorithm": self.algorithm, "seed": self.seed,
                           "options": dict(self.options)}, sort_keys=True, default=str)

    def build(self) -> Instance:
        """Generate the task's instance."""
        if isinstance(self.instance, str):
            return preset(self.instance, seed=self.seed)
        params = dict(self.instance)
        return synthetic_instance(seed=self.seed, **params)


def grid(instances: Iterable[str | Mapping[str, Any]], algorithms: Iterable[str],
         seeds: Iterable[int] = (0,),
         options: Iterable[Mapping[str, Any]] = ({},)) -> list[Task]:
    """All combinations of instances × algorithms × seeds × options, as tasks.

    Examples
    --------
    >>> tasks = grid(["sf_a", {"n": 500, "k": 50, "categories": 6}], ["leximin", "maximin"],
    ...              seeds=[0, 1])
    >>> len(tasks)
    8
    """
    specs: list[str | tuple[tuple[str, Any], ...]] = []
    for inst in instances:
        if isinstance(inst, str):
            if inst not in PRESETS:
                from ..errors import InputError

                raise InputError.single("unknown-preset", tr("expected one of {presets} or a "
                                                             "mapping of synthetic_instance "
                                                             "parameters", presets=sorted(PRESETS)),
                                        value=inst)
            specs.append(inst)
        else:
            specs.append(_freeze(inst))
    opts = [_freeze(o) for o in options]
    return [Task(i, a, int(s), o) for i in specs for a in algorithms for s in seeds
            for o in opts]


def run_task(task: Task) -> dict[str, Any]:
    """Run one task (in whatever process the executor chose) and return its result row.

    Errors are caught and recorded in the row (``error``), so one bad task does not stop a grid.
    """
    instance = task.instance if isinstance(task.instance, str) else dict(task.instance)
    row: dict[str, Any] = {"key": task.key, "instance": instance, "algorithm": task.algorithm,
                           "seed": task.seed, "options": dict(task.options)}
    try:
        inst = task.build()
        row.update(n=inst.pool.n, k=inst.quotas.panel_size, categories=len(inst.pool.strata),
                   types=inst.n_types, instance_sha256=inst.digest)
        opts = dict(task.options)
        if task.algorithm in ALGORITHMS and ALGORITHMS[task.algorithm].accepts("rng"):
            opts.setdefault("rng", task.seed)  # a randomised algorithm is seeded by the task
        started = time.perf_counter()
        dist = find_distribution(inst.pool, inst.quotas, algorithm=task.algorithm,
                                 households=inst.pool.households is not None, **opts)
        seconds = time.perf_counter() - started
        row.update(_row(task.algorithm, dist.marginals[dist.covered], seconds,
                        int((dist.probabilities > 0).sum()), dist.details.gap,
                        dist.details.converged),
                   backend=dist.details.backend_version, pid=os.getpid())
    except Exception as e:
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc(limit=3)
    return row


def read_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a results file (one JSON object per line; a torn last line is ignored).

    See :func:`civicsortition.io.artefacts.read_grid_results`.
    """
    return read_grid_results(path)


class _Bar:
    """A plain text progress bar on a stream."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int, row: Mapping[str, Any]) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (total - done) if done else float("nan")
        status = "error" if "error" in row else f"{row.get('seconds', 0):.1f} s"
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                          f"tasks, {elapsed:.0f} s elapsed, eta {eta:.0f} s ({status})  ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def run_grid(tasks: Sequence[Task], path: str | os.PathLike[str], *,
             executor: cf.Executor | None = None,
             progress: bool | Callable[[int, int, Mapping[str, Any]], None] = True,
             max_workers: int | None = None) -> list[dict[str, Any]]:
    """Run ``tasks`` on ``executor``, streaming each result to ``path`` as it finishes.

    Parameters
    ----------
    tasks : sequence of Task
    path : path
        JSON-lines results file. Rows already there (same :attr:`Task.key`, no error) are kept
        and their tasks skipped, so an interrupted grid resumes; failed tasks are retried.
    executor : concurrent.futures.Executor, optional
        Where to run: default a :class:`~concurrent.futures.ProcessPoolExecutor` with
        ``max_workers`` (started with ``spawn``: forked children of a process with running
        solver threads can hang); for a Dask cluster pass ``client.get_executor()``.
    progress : bool or callable
        ``True``: a text bar on stderr; a callable receives ``(done, total, row)``.
    max_workers : int, optional
        For the default executor.

    Returns
    -------
    list of dict
        One row per task, in task order (finished earlier or now).
    """
    out = Path(path)
    results = {r["key"]: r for r in read_results(out) if "error" not in r and "key" in r}
    todo = [t for t in dict.fromkeys(tasks) if t.key not in results]
    report: Callable[[int, int, Mapping[str, Any]], None] | None
    if progress is True:
        report = _Bar(len(tasks), sys.stderr)
    elif callable(progress):
        report = progress
    else:
        report = None
    count = len(tasks) - len(todo)
    own = executor is None
    # "spawn": forking a process whose solver threads are running can deadlock the child.
    ex = executor if executor is not None else cf.ProcessPoolExecutor(
        max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        with append_grid_results(out) as append:
            for row in _completed(ex, todo):
                append(row)
                results[row["key"]] = row
                count += 1
                if report is not None:
                    report(count, len(tasks), row)
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    return [results[t.key] for t in tasks]


class RayExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` over Ray tasks (``pip install ray``).

    ``submit(fn, *args)`` runs ``fn`` as a Ray remote task and returns the
    :class:`concurrent.futures.Future` Ray provides for its object reference, so
    :func:`run_grid` can use a Ray cluster like any other executor. Ray must be initialised
    (``ray.init(...)``) by the caller.
    """

    def __init__(self, **remote_options: Any) -> None:
        import ray

        self._ray = ray
        self._options = remote_options

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        """Run ``fn(*args, **kwargs)`` as a Ray task; a future for its result."""
        remote = self._ray.remote(**self._options)(fn) if self._options else \
            self._ray.remote(fn)
        future: cf.Future[Any] = remote.remote(*args, **kwargs).future()
        return future


def _completed(ex: cf.Executor, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
    futures = [ex.submit(run_task, t) for t in tasks]
    for fut in cf.as_completed(futures):
        yield fut.result()
