"""Start-up cost: how long ``import civicsortition`` and small command-line runs take.

Usage (from the repository root)::

    python benchmarks/startup.py                      # this checkout only
    python benchmarks/startup.py --before e6b8a10^    # and an older commit, side by side

Every figure is a whole process (``python -c ...`` or ``python -m civicsortition ...``), run
``--runs`` times with the commands interleaved; the minimum and the median are reported, in
seconds. ``--before REV`` checks REV out into a temporary git worktree and runs the same
commands against it (``PYTHONPATH`` pointing at its ``src/``), in the same run on the same
machine, so the ratio is fair. Results go to ``benchmarks/startup.jsonl`` (replaced on each run);
``python benchmarks/run.py --write`` puts them into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "startup.jsonl"


def _commands(work: Path, src: Path) -> dict[str, list[str]]:
    """Name -> argv. ``work`` is a scratch directory with the example inputs."""
    py = sys.executable
    return {
        "python (no import)": [py, "-c", "pass"],
        "import numpy": [py, "-c", "import numpy"],
        "import civicsortition": [py, "-c", "import civicsortition"],
        "civicsortition --help": [py, "-m", "civicsortition", "--help"],
        "invite (stage 1: 6,000 letters from 40,000 addresses)": [
            py, "-m", "civicsortition", "invite", "--frame", str(work / "frame.csv"),
            "--letters", "6000", "--design", "stratified", "--by", "district",
            "--seed", "startup benchmark", "--out", str(work / "invited.csv"), "--force"],
        "quotas (stage 0: census -> targets)": [
            py, "-m", "civicsortition", "quotas", "--panel-size", "36", "--floors"],
        "check (targets + people)": [
            py, "-m", "civicsortition", "check", "--targets", str(work / "targets.csv"),
            "--people", str(work / "people.csv"), "--panel-size", "36", "--id-column", "id"],
        "select LEXIMIN (embedded example, n = 240)": [
            py, "-m", "civicsortition", "select", "--targets", str(work / "targets.csv"),
            "--people", str(work / "people.csv"), "--panel-size", "36", "--id-column", "id",
            "--household-column", "address"],
    }


def _prepare(work: Path, src: Path) -> None:
    """Write the example's targets and people into ``work`` (from the checkout under test)."""
    pool = next(src.rglob("rustavi_synthetic_pool.csv"))
    (work / "people.csv").write_bytes(pool.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(src)}
    frame = ("import csv, sys\n"
             "from civicsortition.examples import rustavi_address_frame\n"
             "f = rustavi_address_frame()\n"
             "w = csv.writer(open(sys.argv[1], 'w', newline=''))\n"
             "w.writerow(['address', *f.columns])\n"
             "w.writerows([a, *(f.columns[c][i] for c in f.columns)] for i, a in enumerate(f.ids))\n")
    subprocess.run([sys.executable, "-c", frame, str(work / "frame.csv")], check=True, env=env,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "civicsortition", "quotas", "--panel-size", "36",
                    "--floors", "--out", str(work / "targets.csv")], check=True, env=env,
                   capture_output=True)


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n"
                         f"{done.stderr.decode(errors='replace')[-2000:]}")
    return took


def measure(checkouts: dict[str, Path], runs: int) -> list[dict[str, Any]]:
    """Time every command in every checkout, interleaved; one row per (checkout, command)."""
    plans = []
    for label, root in checkouts.items():
        work = Path(tempfile.mkdtemp(prefix=f"startup-{label}-"))
        src = root / "src"
        _prepare(work, src)
        env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
        for name, argv in _commands(work, src).items():
            plans.append((label, name, argv, env))
    times: dict[tuple[str, str], list[float]] = {}
    for label, name, argv, env in plans:  # one warm-up each (file cache, .pyc)
        _time(argv, env)
    for _ in range(runs):
        for label, name, argv, env in plans:
            times.setdefault((label, name), []).append(_time(argv, env))
    return [{"checkout": label, "command": name, "runs": runs,
             "min": round(min(ts), 4), "median": round(statistics.median(ts), 4)}
            for (label, name), ts in times.items()]


def section(path: Path = OUT) -> list[str]:
    """The Markdown section of ``docs/benchmarks.md`` for ``benchmarks/startup.jsonl``."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    meta = next((r for r in rows if "meta" in r), {}).get("meta", {})
    rows = [r for r in rows if "command" in r]
    labels = list(dict.fromkeys(r["checkout"] for r in rows))
    by = {(r["checkout"], r["command"]): r for r in rows}
    commands = list(dict.fromkeys(r["command"] for r in rows))
    head = "| command | " + " | ".join(f"{lab} min / median (s)" for lab in labels)
    head += " | before / now (median) |" if len(labels) == 2 else " |"
    out = ["", "## Start-up (`python benchmarks/startup.py`)", "",
           f"Whole processes, {rows[0]['runs'] if rows else 0} runs each, interleaved; "
           f"{meta.get('when', '')} on {meta.get('machine', '')}. "
           + (f"`before` is commit `{meta['before']}`, checked out beside this one and run in "
              "the same session." if meta.get("before") else ""), "",
           head, "|---|" + "---|" * (len(labels) + (len(labels) == 2))]
    for c in commands:
        cells = [f"{by[(lab, c)]['min']:.3f} / {by[(lab, c)]['median']:.3f}"
                 if (lab, c) in by else "–" for lab in labels]
        line = f"| {c} | " + " | ".join(cells)
        if len(labels) == 2 and all((lab, c) in by for lab in labels):
            line += f" | {by[(labels[0], c)]['median'] / by[(labels[1], c)]['median']:.1f}× |"
        else:
            line += " |"
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="a git revision to measure side by side")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    checkouts: dict[str, Path] = {}
    tmp = None
    if args.before:
        tmp = Path(tempfile.mkdtemp(prefix="startup-before-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp),
                        args.before], check=True, capture_output=True)
        checkouts["before"] = tmp
    checkouts["now"] = ROOT
    try:
        rows = measure(checkouts, args.runs)
    finally:
        if tmp is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp)],
                           check=False, capture_output=True)
    before = None
    if args.before:
        before = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.before],
                                capture_output=True, text=True, check=True).stdout.strip()
    import platform

    meta = {"meta": {"when": time.strftime("%Y-%m-%d"), "before": before,
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                                f"{platform.python_version()}"}}
    OUT.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in [meta, *rows]),
                   encoding="utf-8")
    print("\n".join(section()))


if __name__ == "__main__":
    main()
