"""Regenerate docs/goldilocks.md: GOLDILOCKS against the best achievable extremes, every preset.

Usage (from the repository root)::

    python tools/make_goldilocks_doc.py                  # run everything, write the page
    python tools/make_goldilocks_doc.py --timeout 600    # per-run wall-clock limit (s)
    python tools/make_goldilocks_doc.py --check          # exit 1 if the page is out of date
    python tools/make_goldilocks_doc.py --check --small  # the same, presets with n <= 350 only
    python tools/make_goldilocks_doc.py --results runs.json            # keep run records
    python tools/make_goldilocks_doc.py --results runs.json --no-run   # page from them only

For every preset of :data:`civicsortition.research.synthetic.PRESETS` with a calibrated
version (``preset(name, calibrated=True)``, seed 0), the tool runs MAXIMIN, MINIMAX,
GOLDILOCKS and LEXIMIN with their default options, each in a fresh subprocess under a
wall-clock limit (``--timeout``, default 900 s), so that one stuck run does not hold up the
others; a run over the limit is killed and recorded as ``timeout``. Presets without a
calibrated version (the Rustavi model cases) get a row saying so. The page is rewritten after
every finished run, so an interrupted run leaves a page whose unfinished cells read
``not run (time)``.

The two ratios are those of Baharav and Flanigan (arXiv:2406.15009): GOLDILOCKS' minimum over
the best achievable minimum (MAXIMIN's certified upper bound, ``details.bound``) and its
maximum over the best achievable maximum (MINIMAX's certified lower bound,
``details.extra["lower_bound"]``). Using the certified bounds makes both ratios conservative:
a true optimum could only make them look better.

What ``--check`` compares. Only the rule-determined cells of the table (n, k, the bounds, the
extremes GOLDILOCKS and LEXIMIN pin down, the ratios and the pass/fail columns), with a slack
of one unit in the last printed decimal; never the times, the machine line, or a cell where
either the page or the fresh run has ``timeout`` or ``not run`` (how far a run gets within
the limit depends on the machine). With ``--small``, only the presets with n <= 350 are run
and compared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from civicsortition.research.synthetic import CALIBRATED_SKEW, PRESETS  # noqa: E402

DOC = ROOT / "docs" / "goldilocks.md"
TOOL = Path(__file__).resolve()
COMMAND = "python tools/make_goldilocks_doc.py"

#: The rules run on every preset, in the order they are scheduled within a preset.
RULES: tuple[str, ...] = ("maximin", "minimax", "goldilocks", "leximin")
#: The paper's thresholds (Baharav and Flanigan report these on nine real instances).
MIN_THRESHOLD = 0.70
MAX_THRESHOLD = 1.38
#: ``--small``: presets with at most this many people.
SMALL_N = 350
DEFAULT_TIMEOUT = 900.0
#: Decimals of every number on the page; ``--check`` allows one unit in the last of them.
DECIMALS = 4
SLACK = 1.5 * 10.0 ** -DECIMALS

PAPER = ("Baharav and Flanigan, *Fair, manipulation-robust, and transparent sortition*, "
         "arXiv:2406.15009 (2024)")
MARKER = "GOLDILOCKS-DOC-RESULT "
MACHINE_PREFIX = "Timings measured on:"
NOT_RUN = "not run (time)"
NO_CALIBRATION = "no calibrated version"

TIME_COLUMN = "seconds: maximin / minimax / goldilocks / leximin (this machine, volatile)"
HEADER: tuple[str, ...] = (
    "preset", "n", "k", "best min (MAXIMIN bound)", "best max (MINIMAX bound)",
    "GOLDILOCKS min", "GOLDILOCKS max", "min ÷ best min", f"≥ {MIN_THRESHOLD:.2f}",
    "max ÷ best max", f"≤ {MAX_THRESHOLD:.2f}", "LEXIMIN max ÷ best max", "finished runs converged",
    TIME_COLUMN)
#: Columns ``--check`` compares (everything but the times).
COMPARED: tuple[str, ...] = HEADER[:-1]


# --------------------------------------------------------------------------- one run


def worker(name: str, rule: str) -> int:
    """Run one rule on one calibrated preset and print its record as one JSON line."""
    from civicsortition.algorithms import find_distribution
    from civicsortition.errors import InputError, SolverError
    from civicsortition.research.synthetic import preset

    inst = preset(name, calibrated=True)
    start = time.perf_counter()
    try:
        dist = find_distribution(inst.pool, inst.quotas, algorithm=rule)
    except Exception as exc:  # the page records any failure, whatever it is
        if isinstance(exc, InputError):
            code = exc.code
        elif isinstance(exc, SolverError):
            code = f"solver-{exc.status.value}"
        else:
            code = type(exc).__name__
        record: dict[str, Any] = {"status": "failed", "error": code,
                                  "seconds": time.perf_counter() - start}
    else:
        seconds = time.perf_counter() - start
        pi = np.asarray(dist.marginals[dist.covered], dtype=float)
        extra = dist.details.extra
        record = {"status": "ok", "seconds": seconds, "converged": bool(dist.details.converged),
                  "minimum": float(pi.min()), "maximum": float(pi.max()),
                  "bound": float(dist.details.bound), "covered": int(dist.covered.sum()),
                  "lower_bound": (float(extra["lower_bound"]) if "lower_bound" in extra
                                  else None),
                  "digest": inst.digest}
    print(MARKER + json.dumps(record), flush=True)
    return 0


def run_one(name: str, rule: str, timeout: float) -> dict[str, Any]:
    """One rule on one preset in a fresh subprocess, killed (with its children) at ``timeout``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(TOOL), "--worker", name, rule], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"status": "timeout", "seconds": time.perf_counter() - start,
                "timeout": timeout}
    for line in reversed(out.splitlines()):
        if line.startswith(MARKER):
            record: dict[str, Any] = json.loads(line[len(MARKER):])
            return record
    tail = (err.strip().splitlines() or ["no output"])[-1]
    return {"status": "failed", "error": f"crashed ({tail[:60]})",
            "seconds": time.perf_counter() - start}


# --------------------------------------------------------------------------- the rows


def presets_on_page(small: bool = False) -> list[str]:
    """Every preset (``--small``: those with n <= 350), smallest pool first."""
    names = sorted(PRESETS, key=lambda p: (PRESETS[p][0], p))
    return [p for p in names if not small or PRESETS[p][0] <= SMALL_N]


def number(x: float | None) -> str:
    """``x`` to :data:`DECIMALS` places ("n/a" for None or not finite)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    x = round(x, DECIMALS)
    return f"{0.0 if x == 0 else x:.{DECIMALS}f}"


def status_cell(record: Mapping[str, Any] | None) -> str | None:
    """The text of a run that produced no numbers (None when it did)."""
    if record is None:
        return NOT_RUN
    if record["status"] == "timeout":
        return f"timeout (> {record['timeout']:.0f} s)"
    if record["status"] == "failed":
        return f"failed: {record['error']}"
    return None


def ratio(value: float | None, best: float | None) -> float | None:
    """``value / best`` rounded to the page's decimals (None without both)."""
    if value is None or best is None or best <= 0:
        return None
    return round(value / best, DECIMALS)


def row(name: str, runs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One preset's table row from its run records (missing rule: not run)."""
    n, k, _ = PRESETS[name]
    if name not in CALIBRATED_SKEW:
        return [f"`{name}`", str(n), str(k), *[NO_CALIBRATION] + ["—"] * (len(HEADER) - 4)]
    rec = {r: runs.get(r) for r in RULES}
    ok = {r: v for r, v in rec.items() if v is not None and v["status"] == "ok"}

    def value(rule: str, key: str) -> float | None:
        return ok[rule][key] if rule in ok else None

    def shown(rule: str, x: float | None) -> str:
        bad = status_cell(rec[rule])
        return bad if bad is not None else number(x)

    best_min = value("maximin", "bound")
    best_max = value("minimax", "lower_bound")
    lo, hi = ratio(value("goldilocks", "minimum"), best_min), ratio(
        value("goldilocks", "maximum"), best_max)
    lex = ratio(value("leximin", "maximum"), best_max)

    def verdict(r: float | None, good: bool) -> str:
        return "—" if r is None else ("yes" if good else "no")

    unconverged = [r for r in RULES if r in ok and not ok[r]["converged"]]
    converged = ("—" if not ok else "yes" if not unconverged
                 else "no: " + ", ".join(unconverged))
    times = " / ".join("—" if v is None else
                       f">{v['seconds']:.0f}" if v["status"] == "timeout" else
                       f"{v['seconds']:.1f}" for v in rec.values())

    def ratio_cell(r: float | None, *needed: str) -> str:
        if r is not None:
            return number(r)
        for rule in needed:
            v = rec[rule]
            if v is None:
                return NOT_RUN
            if v["status"] != "ok":
                return f"n/a ({rule} {v['status']})"
        return "n/a"

    return [f"`{name}`", str(n), str(k), shown("maximin", best_min), shown("minimax", best_max),
            shown("goldilocks", value("goldilocks", "minimum")),
            shown("goldilocks", value("goldilocks", "maximum")),
            ratio_cell(lo, "goldilocks", "maximin"),
            verdict(lo, lo is not None and lo >= MIN_THRESHOLD),
            ratio_cell(hi, "goldilocks", "minimax"),
            verdict(hi, hi is not None and hi <= MAX_THRESHOLD),
            ratio_cell(lex, "leximin", "minimax"), converged, times]


def table(rows: Sequence[Sequence[str]]) -> str:
    """The Markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |",
             "|---|" + "---:|" * 10 + "---|---|---:|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def parse_table(text: str) -> dict[str, dict[str, str]]:
    """The page's table as preset -> column -> cell (the first table whose header is ours)."""
    out: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            if header is not None and out:
                break
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(line) <= set("|-: ") or header != list(HEADER):
            continue
        out[cells[0].strip("`")] = dict(zip(header, cells, strict=True))
    return out


def summary(rows: Sequence[Sequence[str]]) -> list[str]:
    """The page's findings, computed from the rows themselves (the test recomputes them)."""
    parsed = [dict(zip(HEADER, r, strict=True)) for r in rows]
    name = HEADER[0]
    lo_col, lo_ok, hi_col, hi_ok = HEADER[7], HEADER[8], HEADER[9], HEADER[10]
    lows = [(float(p[lo_col]), p[name]) for p in parsed if p[lo_ok] in ("yes", "no")]
    highs = [(float(p[hi_col]), p[name]) for p in parsed if p[hi_ok] in ("yes", "no")]
    lex = [(float(p[HEADER[11]]), p[name]) for p in parsed
           if re.fullmatch(r"\d+\.\d+", p[HEADER[11]])]
    calibrated = [p for p in parsed if p[HEADER[3]] != NO_CALIBRATION]
    clear_lo = sum(lo >= MIN_THRESHOLD for lo, _ in lows)
    clear_hi = sum(hi <= MAX_THRESHOLD for hi, _ in highs)
    lines = [f"* **Minimum ratio ≥ {MIN_THRESHOLD:.2f}: {clear_lo} of {len(lows)}** presets "
             f"with a minimum ratio (of {len(calibrated)} calibrated presets).",
             f"* **Maximum ratio ≤ {MAX_THRESHOLD:.2f}: {clear_hi} of {len(highs)}** presets "
             f"with a maximum ratio (of {len(calibrated)} calibrated presets)."]
    both = [p for p in parsed if p[lo_ok] in ("yes", "no") and p[hi_ok] in ("yes", "no")]
    lines.append(f"* **Both thresholds cleared: "
                 f"{sum(p[lo_ok] == p[hi_ok] == 'yes' for p in both)} of {len(both)}** presets "
                 "with both ratios.")
    if lows:
        worst, where = min(lows)
        lines.append(f"* Worst minimum ratio: {number(worst)} ({where}).")
    if highs:
        worst, where = max(highs)
        lines.append(f"* Worst maximum ratio: {number(worst)} ({where}).")
    if lex:
        worst, where = max(lex)
        lines.append(f"* For contrast, LEXIMIN's maximum ratio reaches {number(worst)} "
                     f"({where}); it is above {MAX_THRESHOLD:.2f} on "
                     f"{sum(v > MAX_THRESHOLD for v, _ in lex)} of {len(lex)} presets.")
    forced = [p[name] for p in calibrated if p[HEADER[4]] == number(1.0)]
    if forced:
        lines.append("* Best achievable maximum 1 (someone is on every feasible panel, so every "
                     "rule gives them probability 1 and every maximum ratio is 1): "
                     + ", ".join(forced) + ". On these presets the maximum ratio tests "
                     "nothing.")
    missing = [p[name] for p in calibrated
               if p[lo_ok] not in ("yes", "no") or p[hi_ok] not in ("yes", "no")]
    if missing:
        lines.append("* Without both ratios (a run timed out, failed or was not run): "
                     + ", ".join(missing) + ".")
    return lines


# --------------------------------------------------------------------------- the page


INTRO = f"""\
# GOLDILOCKS on the calibrated presets

<!-- Generated by tools/make_goldilocks_doc.py: edit the script, not this page. -->

GOLDILOCKS minimises (N/k)·max_i π_i + γ·(k/N) / min_i π_i (default γ = 1), where π_i is
person i's selection probability, k the panel size and N the number of people on at least one
feasible panel. It comes from {PAPER}, who judge it by two ratios: its minimum probability
against the **best achievable minimum**, and its maximum probability against the **best
achievable maximum**. On nine real instances they report that GOLDILOCKS keeps at least
{MIN_THRESHOLD:.2f}× the best achievable minimum and at most {MAX_THRESHOLD:.2f}× the best
achievable maximum. This page measures both ratios on every synthetic preset of
`civicsortition.research.synthetic` (see [Fairness objectives compared](objectives.md) for
every rule on the Rustavi example and on `mass`).

* **Instances**: `preset(name, calibrated=True)` at seed 0 for every name of `PRESETS`: pools
  shaped like the published instances (Flanigan et al., Nature 2021) with the self-selection
  skew that brings their LEXIMIN minimum close to the published one. The Rustavi model cases
  (`rustavi_200`, `rustavi_350`, `rustavi_550`) have no calibrated version and are listed as
  such.
* **Best min** is MAXIMIN's certified upper bound (`details.bound`) and **best max** is
  MINIMAX's certified lower bound (`details.extra["lower_bound"]`): no lottery over feasible
  panels has a higher minimum or a lower maximum. Using the certified bounds rather than the
  values the two runs reached makes both ratios conservative (when a run converged the two
  differ by at most its tolerance).
* Each rule runs with its default options through
  `find_distribution(pool, quotas, algorithm=...)`, in a fresh process with a wall-clock
  limit; a run over the limit is recorded as `timeout`, not retried. **LEXIMIN**'s maximum
  over the best maximum is shown for contrast: LEXIMIN settles the bottom of the
  distribution and leaves the top free.
* The seconds are one run each on this machine (two cores shared with other work), wall time
  of the solve inside the subprocess (for a timeout, the limit that stopped it): volatile,
  and ignored by `--check`.
"""


def page(rows: Sequence[Sequence[str]], timeout: float, jobs: int = 1) -> str:
    """The whole Markdown page."""
    parts = [INTRO, "## The table", "", table(rows), "",
             f"Per-run limit: {timeout:.0f} s; {jobs} run(s) at a time. `yes`/`no` say "
             f"whether the ratio clears the paper's {MIN_THRESHOLD:.2f} (minimum) or "
             f"{MAX_THRESHOLD:.2f} (maximum); `—` that there is no ratio to judge.", "",
             "## Summary", "",
             "Computed from the table above (`tests/test_goldilocks_doc.py` recomputes it from "
             "the rows):", "", *summary(rows), "",
             "## Regenerating this page", "", "From the repository root:", "", "```sh",
             COMMAND + (f" --jobs {jobs}" if jobs > 1 else ""), "```", "",
             f"It rewrites `docs/goldilocks.md` (after every finished run, so an interrupted "
             f"run leaves `{NOT_RUN}` in the cells it did not reach). `--timeout SECONDS` "
             f"changes the per-run limit (default {DEFAULT_TIMEOUT:.0f}) and `--jobs N` runs N "
             f"at a time (default 1; the times above are from {jobs} at a time). "
             f"`{COMMAND} --check` "
             "exits 1 when the table's rule-determined cells differ from a fresh run by more "
             "than one unit in the last decimal (it ignores the times, and any cell where "
             "either side timed out or was not run); `--check --small` runs and compares only "
             f"the presets with n ≤ {SMALL_N}.", "",
             f"{MACHINE_PREFIX} {platform.machine() or 'unknown machine'}, Python "
             f"{platform.python_version()}, NumPy {np.__version__} (one run each).", ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------- driving


def run_all(names: Sequence[str], timeout: float, jobs: int,
            runs: dict[str, dict[str, dict[str, Any]]], on_done: Any = None) -> None:
    """Run every missing (preset, rule) of ``names``; ``on_done()`` after each one.

    MAXIMIN, MINIMAX and GOLDILOCKS of every preset come first (smallest pool first), LEXIMIN
    (the contrast column) after them, so a limited run reaches the ratios first.
    """
    todo = [(p, r) for r in RULES[:3] for p in names if p in CALIBRATED_SKEW]
    todo.sort(key=lambda t: (PRESETS[t[0]][0], RULES.index(t[1])))
    todo += [(p, "leximin") for p in names if p in CALIBRATED_SKEW]
    todo = [(p, r) for p, r in todo if r not in runs.get(p, {})]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run_one, p, r, timeout): (p, r) for p, r in todo}
        for future in as_completed(futures):
            p, r = futures[future]
            runs.setdefault(p, {})[r] = future.result()
            status = runs[p][r]["status"]
            print(f"{p:12s} {r:10s} {status:8s} {runs[p][r]['seconds']:8.1f} s", flush=True)
            if on_done is not None:
                on_done()


def compare(on_disk: str, fresh_rows: Sequence[Sequence[str]]) -> list[str]:
    """Differences between the page's table and fresh rows (compared cells only)."""
    page_rows = parse_table(on_disk)
    problems = []
    for r in fresh_rows:
        name = r[0].strip("`")
        old = page_rows.get(name)
        if old is None:
            problems.append(f"{name}: not on the page")
            continue
        new = dict(zip(HEADER, r, strict=True))
        for column in COMPARED:
            a, b = old[column], new[column]
            if any(s in c for c in (a, b) for s in ("timeout", NOT_RUN)):
                continue
            if a == b:
                continue
            try:
                if abs(float(a) - float(b)) <= SLACK:
                    continue
            except ValueError:
                pass
            problems.append(f"{name}, {column}: page {a!r}, fresh run {b!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` compare it with a fresh run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/goldilocks.md is out of date (writes nothing)")
    parser.add_argument("--small", action="store_true",
                        help=f"with --check: only the presets with n <= {SMALL_N}")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="wall-clock limit of each run, in seconds (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs at the same time (default 1; more distorts the times)")
    parser.add_argument("--results", type=Path, default=None,
                        help="JSON file of run records: read to skip finished runs, "
                        "rewritten after each run")
    parser.add_argument("--no-run", action="store_true",
                        help="with --results: write the page from the recorded runs only "
                        "(cells of runs not recorded read 'not run (time)')")
    parser.add_argument("--worker", nargs=2, metavar=("PRESET", "RULE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    if args.small and not args.check:
        parser.error("--small goes with --check (the page always covers every preset)")
    start = time.perf_counter()
    names = presets_on_page(small=args.small)
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    if args.results is not None and args.results.exists():
        runs = json.loads(args.results.read_text(encoding="utf-8"))

    def rows() -> list[list[str]]:
        return [row(p, runs.get(p, {})) for p in names]

    def write() -> None:
        if args.results is not None:
            args.results.write_text(json.dumps(runs, indent=1), encoding="utf-8")
        if not args.check:
            DOC.write_text(page(rows(), args.timeout, args.jobs), encoding="utf-8")

    if args.no_run and (args.check or args.results is None):
        parser.error("--no-run needs --results and writes the page (no --check)")
    if not args.check:
        write()
    if not args.no_run:
        run_all(names, args.timeout, args.jobs, runs, on_done=write)
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        problems = compare(current, rows())
        if problems:
            print("\n".join(problems[:40]))
            print(f"out of date: {DOC.name} (run {COMMAND})")
            return 1
        print(f"up to date: {DOC.name} ({len(names)} presets, "
              f"{time.perf_counter() - start:.0f} s)")
        return 0
    write()
    print(f"written: {DOC} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
