"""Benchmarks: civicsortition side by side with the peer library, scaling curves, the demo.

Usage (from the repository root, with ``pip install -e '.[benchmark]'`` for the peer)::

    python benchmarks/run.py                 # everything; then writes docs/benchmarks.md
    python benchmarks/run.py --only table --instances sf_a nexus --timeout 300
    python benchmarks/run.py --only objectives --timeout 300   # the objectives beside LEXIMIN
    python benchmarks/run.py --write          # rebuild docs/benchmarks.md from the results

Every measurement runs in a fresh subprocess (so peak memory, the maximum resident set size,
belongs to that run alone) and is appended at once to ``benchmarks/results.jsonl``; a run that
is interrupted resumes where it stopped (finished measurements are skipped; delete the file to
start over). Ratios compare the peer and us *in the same run on the same machine*.

Instances: the two public examples (if ``../shared/data`` is present) and the synthetic presets
of :mod:`civicsortition.research.synthetic` (seed 0), shaped like the published instances and
the model case. The peer's LEXIMIN needs the commercial Gurobi solver and is not run.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results.jsonl"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks_scaling.png"

TABLE_INSTANCES = ["example_small_20", "example_large_200", "mass", "sf_c", "hd", "sf_b", "sf_a",
                   "obf", "nexus", "sf_d", "cca", "rustavi_200", "rustavi_350", "rustavi_550",
                   "sf_e"]
# The published shapes with self-selection calibrated to the published LEXIMIN minimums
# (civicsortition.research.synthetic.CALIBRATED_SKEW): as hard as the real pools.
TABLE_INSTANCES += [f"{name}:calibrated" for name in
                    ("mass", "sf_c", "hd", "sf_b", "sf_a", "obf", "nexus", "sf_d", "cca", "sf_e")]
OURS = ["leximin", "maximin", "nash"]
PEER = ["maximin", "nash"]
# The fairness objectives measured beside our LEXIMIN on the table's instances (--only objectives).
OBJECTIVES = ["minimax", "goldilocks", "lp", "diversimax", "maxentropy"]
SCALE_N = [100, 300, 1000, 3000, 10000, 30000, 50000]     # k = 50, 6 categories
SCALE_K = [20, 50, 100, 200]                # n = 2000, 6 categories
# LEXIMIN against distinct profiles: n = 10,000, k = 200, this many categories of 3-6 values.
SCALE_PROFILES = [4, 5, 6, 7, 8]
# Hard cases of the engine issue: (instance, our algorithms, run the peer's MAXIMIN).
# many:N:K is synthetic_instance(N, K, 8, values=(3, 6), concentration=1.5, seed=0) (about
# 8,000 types at 10,000 people); corpus:FAMILY:N is corpus.torture_instance(FAMILY, N, seed=0)
# (the parity family's relaxation is not exact: LEXIMIN takes the staged path).
HARD = [("many:10000:200", ["leximin", "maximin"], True),
        ("corpus:parity:300", ["leximin"], True), ("corpus:parity:1000", ["leximin"], True),
        ("many:50000:300", ["leximin"], False)]
PHASES = ["coverage", "relaxation", "peeling", "decomposition", "staged", "certificate"]


def load(name: str) -> tuple[Any, Any]:
    import civicsortition as cs

    if name.startswith("example_"):
        k = int(name.rsplit("_", 1)[1])
        quotas = cs.read_targets(SHARED / name / "categories.csv", k)
        return cs.read_people(SHARED / name / "respondents.csv", strata=quotas).pool, quotas
    if name.startswith(("scale:", "many:", "profiles:")):
        from civicsortition.research.synthetic import synthetic_instance

        kind, *args = name.split(":")
        if kind == "scale":
            inst = synthetic_instance(int(args[0]), int(args[1]), 6, seed=0)
        else:
            n, k, cats = (10000, 200, int(args[0])) if kind == "profiles" else \
                (int(args[0]), int(args[1]), 8)
            inst = synthetic_instance(n, k, cats, seed=0, values=(3, 6), concentration=1.5)
        return inst.pool, inst.quotas
    if name.startswith("corpus:"):
        from civicsortition.research.corpus import torture_instance

        _, family, n = name.split(":")
        inst = torture_instance(family, int(n), seed=0)
        return inst.pool, inst.quotas
    from civicsortition.research.synthetic import preset

    base, _, variant = name.partition(":")
    inst = preset(base, calibrated=variant == "calibrated")
    return inst.pool, inst.quotas


def measure(name: str, impl: str, algorithm: str) -> dict[str, Any]:
    """One measurement (runs inside the fresh subprocess)."""
    import resource

    import numpy as np

    pool, quotas = load(name)
    row: dict[str, Any] = {"instance": name, "impl": impl, "algorithm": algorithm, "n": pool.n,
                           "k": quotas.panel_size, "categories": len(pool.strata)}
    if impl == "ours":
        import civicsortition as cs

        started = time.perf_counter()
        dist = cs.find_distribution(pool, quotas, algorithm=algorithm)
        row["seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        expanded = dist.panels()  # types -> concrete panels of people (not in "seconds")
        row["expansion"] = {"seconds": time.perf_counter() - started, "panels": len(expanded)}
        pi = dist.marginals
        row.update(types=dist.details.n_types, gap=dist.details.gap,
                   converged=dist.details.converged,
                   valid=not cs.check_distribution(dist, expand=False),
                   method=dist.details.extra.get("method"),
                   phases=dist.details.extra.get("phases"))
    else:
        from civicsortition.research.peer import peer_distribution, peer_version

        result = peer_distribution(pool, quotas, algorithm)
        row["seconds"] = result.seconds
        pi = result.marginals
        row["version"] = peer_version()
    row["minimum"] = float(np.min(pi))
    row["nash_welfare"] = float(np.sum(np.log(np.maximum(pi, 1e-300))))
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def _key(name: str, impl: str, algorithm: str) -> str:
    return f"{name}|{impl}|{algorithm}"


def _done() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if RESULTS.exists():
        for line in RESULTS.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            out[_key(r["instance"], r["impl"], r["algorithm"])] = r
    return out


def run_one(name: str, impl: str, algorithm: str, timeout: float) -> dict[str, Any]:
    try:
        proc = subprocess.run([sys.executable, __file__, "--measure", name, impl, algorithm],
                              capture_output=True, text=True, timeout=timeout, check=True)
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except subprocess.TimeoutExpired:
        return {"instance": name, "impl": impl, "algorithm": algorithm,
                "timeout": timeout, "seconds": None}
    except subprocess.CalledProcessError as e:
        return {"instance": name, "impl": impl, "algorithm": algorithm, "seconds": None,
                "error": (e.stderr.strip().splitlines() or ["?"])[-1]}


def plan(args: argparse.Namespace, peer: bool) -> list[tuple[str, str, str]]:
    jobs: list[tuple[str, str, str]] = []
    if args.only in (None, "table"):
        for name in args.instances:
            if name.startswith("example_") and not (SHARED / name).exists():
                continue
            jobs += [(name, "ours", a) for a in OURS]
            if peer:
                jobs += [(name, "peer", a) for a in PEER]
    if args.only in (None, "hard"):
        for name, algorithms, with_peer in HARD:
            jobs += [(name, "ours", a) for a in algorithms]
            if peer and with_peer:
                jobs.append((name, "peer", "maximin"))
    if args.only in (None, "objectives"):
        # LEXIMIN first: its row (usually already measured by the table) is the reference.
        for name in args.instances:
            if name.startswith("example_") and not (SHARED / name).exists():
                continue
            jobs += [(name, "ours", a) for a in ["leximin", *OBJECTIVES]]
    if args.only in (None, "scaling"):
        jobs += [(f"profiles:{c}", "ours", "leximin") for c in SCALE_PROFILES]
        jobs += [(f"scale:{n}:50", "ours", "leximin") for n in SCALE_N]
        jobs += [(f"scale:2000:{k}", "ours", "leximin") for k in SCALE_K]
        if peer:
            jobs += [(f"scale:{n}:50", "peer", "maximin") for n in SCALE_N]
            jobs += [(f"scale:2000:{k}", "peer", "maximin") for k in SCALE_K]
    return jobs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["table", "hard", "objectives", "scaling", "demo"])
    ap.add_argument("--algorithms", nargs="*", help="only these algorithms (both libraries)")
    ap.add_argument("--instances", nargs="*", default=TABLE_INSTANCES)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per measurement")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--write", action="store_true", help="only rebuild docs/benchmarks.md")
    ap.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    if not args.write:
        from civicsortition.research.peer import peer_available

        peer = peer_available() and not args.no_peer
        done = _done()
        for name, impl, alg in plan(args, peer):
            if args.algorithms is not None and alg not in args.algorithms:
                continue
            key = _key(name, impl, alg)
            if key in done and done[key].get("seconds") is not None:
                continue
            row = run_one(name, impl, alg, args.timeout)
            with open(RESULTS, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
        if args.only in (None, "demo"):
            demo = time_demo()
            with open(RESULTS, "a", encoding="utf-8") as f:
                f.write(json.dumps(demo) + "\n")
            print(json.dumps(demo), flush=True)
    write(" ".join(sys.argv[1:]))


def time_demo() -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", (
        "import resource, runpy, sys; sys.argv = ['civicsortition', 'demo'];"
        "import civicsortition.cli as c; code = c.main(['demo']);"
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")],
        capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak = float(proc.stdout.strip().splitlines()[-1].split()[1])
    return {"instance": "demo", "impl": "ours", "algorithm": "pipeline", "seconds": seconds,
            "peak_mb": peak}


# ------------------------------------------------------------------------------ the document
def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"
    return str(x)


def _secs(r: dict[str, Any] | None) -> str:
    if r is None:
        return "–"
    if r.get("seconds") is None:
        return f">{r['timeout']:.0f}" if "timeout" in r else "error"
    return f"{r['seconds']:.2f}"


def _ratio(slow: dict[str, Any] | None, fast: dict[str, Any] | None) -> str:
    if slow is None or fast is None or fast.get("seconds") is None:
        return "–"
    if slow.get("seconds") is None:
        if "timeout" in slow:
            return f">{slow['timeout'] / fast['seconds']:.0f}×"
        return "–"
    return f"{slow['seconds'] / fast['seconds']:.1f}×"


def write(argv: str) -> None:
    """Rebuild docs/benchmarks.md (and the scaling plot) from benchmarks/results.jsonl."""
    rows = _done()
    DOC.write_text(render(rows, argv, _plot(rows)), encoding="utf-8")
    print(f"written: {DOC}")


def render(rows: dict[str, dict[str, Any]], argv: str, plot: bool) -> str:
    """The text of docs/benchmarks.md for these result rows (``plot``: link the figure)."""
    import civicsortition as cs

    def get(name: str, impl: str, alg: str) -> dict[str, Any] | None:
        return rows.get(_key(name, impl, alg))

    names = [n for n in TABLE_INSTANCES if any(k.startswith(n + "|") for k in rows)]
    peer_version = next((r.get("version") for r in rows.values() if r.get("version")), None)
    lines = [
        "# Benchmarks", "",
        "Regenerate everything with `pip install -e '.[benchmark]' && python benchmarks/run.py` "
        "(about an hour, mostly the peer; `--no-peer` for our side only, `--write` to rebuild "
        "this page from `benchmarks/results.jsonl`).", "",
        f"Last run: `python benchmarks/run.py {argv}`".rstrip() + " on "
        f"{platform.machine()} ({_cores()} cores) with {platform.python_implementation()} "
        f"{platform.python_version()}, civicsortition {cs.__version__}"
        + (f", sortition-algorithms {peer_version}" if peer_version else "")
        + f", {time.strftime('%Y-%m-%d')}. Raw rows: `benchmarks/results.jsonl`; each row "
        "keeps the figures of the run that measured it (`--write` only rebuilds this page, "
        "and a measurement is skipped while its row exists: delete rows to re-measure).", "",
        "Each figure is one fresh process. Both libraries use HiGHS through highspy; the peer's "
        "LEXIMIN needs Gurobi and is not run. Synthetic instances "
        "(`civicsortition.research.synthetic`, seed 0) have the published shapes (n, k, "
        "categories) but not the published data.", "",
        "## Side by side with sortition-algorithms (seconds; ratio = peer time / our time)", "",
        "| instance | n | k | cat. | types | our LEXIMIN | our MAXIMIN | peer MAXIMIN | "
        "peer MAXIMIN / our LEXIMIN | peer MAXIMIN / our MAXIMIN | our NASH | peer NASH | "
        "peer NASH / our NASH | same minimum | our peak MB | peer peak MB |",
        "|" + "---|" * 16]
    for name in names:
        lx, mx, nx = (get(name, "ours", a) for a in OURS)
        pm, pn = (get(name, "peer", a) for a in PEER)
        base = lx or mx or nx or {}
        same = ""
        if mx and pm and mx.get("minimum") is not None and pm.get("minimum") is not None:
            same = "yes" if abs(mx["minimum"] - pm["minimum"]) < 1e-6 else \
                f"no ({mx['minimum']:.6f} vs {pm['minimum']:.6f})"
        peaks = [r.get("peak_mb") for r in (lx, mx, nx) if r and r.get("peak_mb")]
        ppeaks = [r.get("peak_mb") for r in (pm, pn) if r and r.get("peak_mb")]
        lines.append(
            f"| {name} | {base.get('n', '')} | {base.get('k', '')} | "
            f"{base.get('categories', '')} | {base.get('types', '')} | {_secs(lx)} | "
            f"{_secs(mx)} | {_secs(pm)} | {_ratio(pm, lx)} | {_ratio(pm, mx)} | {_secs(nx)} | "
            f"{_secs(pn)} | {_ratio(pn, nx)} | {same} | {_fmt(max(peaks, default=None))} | "
            f"{_fmt(max(ppeaks, default=None))} |")
    lines += ["", "Certificates of our runs (gap: probability units for LEXIMIN/MAXIMIN, "
              "welfare units for NASH; every result re-checked by `check_distribution`):", "",
              "| instance | algorithm | minimum | gap | converged | valid |",
              "|---|---|---|---|---|---|"]
    for name in names:
        for a in OURS:
            r = get(name, "ours", a)
            if r and r.get("seconds") is not None:
                lines.append(f"| {name} | {a} | {r['minimum']:.6f} | {r['gap']:.1e} | "
                             f"{r['converged']} | {r['valid']} |")
    lines += _hard_section(rows)
    lines += _objectives_section(rows)
    lines += ["", "## Scaling of LEXIMIN (synthetic, seed 0)", "",
              "Against n (6 categories, k = 50) and k (n = 2,000), then against distinct "
              "profiles (n = 10,000, k = 200, 4-8 categories of 3-6 values, "
              "`concentration=1.5`). Phase seconds are LEXIMIN's own "
              "(`details.extra[\"phases\"]`); the rest of a run is setup (building the "
              "program, one feasible panel) and the final checks. Expansion (the type "
              "lottery written out as panels of people, `Distribution.panels()`) is timed "
              "after the run and not included in its seconds.", "",
              "| n | k | categories | types | our LEXIMIN s | path | "
              + " | ".join(PHASES) + " | expansion s (panels) | our peak MB | peer MAXIMIN s |",
              "|" + "---|" * (9 + len(PHASES))]
    scale = ([(f"scale:{n}:50", n, 50, 6) for n in SCALE_N]
             + [(f"scale:2000:{k}", 2000, k, 6) for k in SCALE_K]
             + [(f"profiles:{c}", 10000, 200, c) for c in SCALE_PROFILES])
    for name, n, k, cats in scale:
        r = get(name, "ours", "leximin")
        p = get(name, "peer", "maximin")
        if r is None and p is None:
            continue
        lines.append(f"| {n} | {k} | {cats} | {(r or {}).get('types', '')} | {_secs(r)} | "
                     f"{(r or {}).get('method') or ''} | {_phases(r)} | "
                     f"{_fmt((r or {}).get('peak_mb'))} | {_secs(p)} |")
    if plot:
        lines += ["", "![LEXIMIN time against n and k](benchmarks_scaling.png)"]
    lines += ["", "## Targets", "", *_targets(rows, names)]
    demo = rows.get(_key("demo", "ours", "pipeline"))
    if demo:
        lines += ["", "## The demo", "",
                  f"`python -m civicsortition demo` (the whole pipeline on the synthetic "
                  f"Rustavi example: 40,000 addresses, about 6,400 letters, about 400 "
                  f"registrations, LEXIMIN with households, the household comparison, 1,000 "
                  f"tickets, draw, verification, report, a replacement, the vote): "
                  f"{demo['seconds']:.1f} s, peak {demo['peak_mb']:.0f} MB."]
    lines += _torture_section()
    lines += _startup_section()
    lines += ["", NOTES]
    return "\n".join(lines) + "\n"


def _phases(r: dict[str, Any] | None) -> str:
    """The phase cells of a row, then the expansion to people (measured after the run)."""
    ph = (r or {}).get("phases") or {}
    ex = (r or {}).get("expansion")
    cells = [f"{ph[p]:.1f}" if p in ph else "" for p in PHASES]
    return " | ".join([*cells, f"{ex['seconds']:.1f} ({ex['panels']})" if ex else ""])


def _hard_section(rows: dict[str, dict[str, Any]]) -> list[str]:
    """Pools with many distinct profiles, national scale, and the staged path."""
    names = [h[0] for h in HARD if any(k.startswith(h[0] + "|") for k in rows)]
    if not names:
        return []
    out = ["", "## Hard cases", "",
           "`many:N:K` is `synthetic_instance(N, K, 8, seed=0, values=(3, 6), "
           "concentration=1.5)`; `corpus:parity:N` is `corpus.torture_instance(\"parity\", N, "
           "seed=0)`, whose LP relaxation is not exact (LEXIMIN by staged column generation). "
           "Seconds per whole process; phases as in the scaling table.", "",
           "| instance | n | k | types | algorithm | seconds | path | " + " | ".join(PHASES)
           + " | expansion s (panels) | peak MB | peer MAXIMIN s | ratio |",
           "|" + "---|" * (11 + len(PHASES))]
    for name in names:
        peer = rows.get(_key(name, "peer", "maximin"))
        for alg in ("leximin", "maximin"):
            r = rows.get(_key(name, "ours", alg))
            if r is None:
                continue
            out.append(f"| {name} | {r.get('n', '')} | {r.get('k', '')} | {r.get('types', '')} "
                       f"| {alg} | {_secs(r)} | {r.get('method') or ''} | {_phases(r)} | "
                       f"{_fmt(r.get('peak_mb'))} | {_secs(peer)} | {_ratio(peer, r)} |")
    return out


def _objective_cells(r: dict[str, Any] | None, lx: dict[str, Any] | None) -> str:
    """Seconds, ratio to LEXIMIN's seconds and peak MB of one objective's row."""
    if r is None:
        return "– | – | –"
    if r.get("seconds") is None:
        if "timeout" in r:
            return f"timeout ({r['timeout']:.0f} s) | {_ratio(r, lx)} | –"
        code = re.search(r"\[([a-z0-9-]+)\]", r.get("error") or "")
        return f"{code.group(1) if code else 'error'} | – | –"
    return f"{_secs(r)} | {_ratio(r, lx)} | {_fmt(r.get('peak_mb'))}"


def _objectives_section(rows: dict[str, dict[str, Any]]) -> list[str]:
    """The fairness objectives beside LEXIMIN on the table's instances (``--only objectives``)."""
    names = [n for n in TABLE_INSTANCES
             if any(_key(n, "ours", a) in rows for a in OBJECTIVES)]
    if not names:
        return []
    out = ["", "## Fairness objectives beside LEXIMIN", "",
           "Seconds of `find_distribution` and peak memory (maximum resident set size, MB) of "
           "the whole process, one fresh process per cell on the machine named above, "
           "sequentially, with LEXIMIN's row of the main table as the reference (ratio = "
           "objective seconds / LEXIMIN seconds; a failure shows its error code, or `timeout` "
           "with the limit and the ratio as a lower bound); regenerate with "
           "`python benchmarks/run.py --only objectives --timeout 300` then "
           "`python benchmarks/run.py --write`.", "",
           "| instance | n | k | LEXIMIN s | LEXIMIN MB | "
           + " | ".join(f"{a} s | {a} / LEXIMIN | {a} MB" for a in OBJECTIVES) + " |",
           "|" + "---|" * (5 + 3 * len(OBJECTIVES))]
    for name in names:
        lx = rows.get(_key(name, "ours", "leximin"))
        objs = [rows.get(_key(name, "ours", a)) for a in OBJECTIVES]
        base = next((r for r in [lx, *objs] if r and r.get("n") is not None), {})
        out.append(f"| {name} | {base.get('n', '')} | {base.get('k', '')} | {_secs(lx)} | "
                   f"{_fmt((lx or {}).get('peak_mb'))} | "
                   + " | ".join(_objective_cells(r, lx) for r in objs) + " |")
    return out


def _startup_section() -> list[str]:
    """Start-up times (``benchmarks/startup.py``), if it has run."""
    from startup import section  # benchmarks/startup.py, next to this file

    return section()


def _torture_section() -> list[str]:
    """The torture sweep's counts (``benchmarks/torture.py``), if it has run."""
    from torture import OUT, summary  # benchmarks/torture.py, next to this file

    if not OUT.exists():
        return []
    s: dict[str, Any] = summary(OUT)
    inst = s["instances"]
    runs = ", ".join(f"{k} {v}" for k, v in s["runs_by_algorithm_backend"].items())
    fams = ", ".join(f"{k} {v}" for k, v in s["families"].items())
    return ["", "## Torture sweep (`python benchmarks/torture.py`)", "",
            "Seeded corpus instances from eight generator families that are not the synthetic "
            "presets (`civicsortition.research.corpus`; n log-uniform in 60-2,000), every result "
            "checked by `check_distribution` and the independent verifier:", "",
            f"* instances: LEXIMIN {inst['leximin']}, MAXIMIN {inst['maximin']}, NASH "
            f"{inst['nash']} (of 300); n from {s['n_range'][0]} to {s['n_range'][1]}",
            f"* runs: {s['runs']} ({runs})",
            f"* families (LEXIMIN on HiGHS): {fams}",
            f"* **crashed: {s['crashed']}; invalid (an invariant or the verifier failed): "
            f"{s['invalid']}**",
            f"* not proven optimal within the sweep's limits: {s['not_converged']} (NASH is "
            "capped at 600 pricing rounds in the sweep)",
            f"* LEXIMIN by staged column generation (relaxation not exact): "
            f"{s['leximin_staged']}",
            f"* slowest run per algorithm (seconds): {s['slowest_seconds']}",
            "", "Raw records: `benchmarks/torture.jsonl` (one per run; resumable)."]


def _targets(rows: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    """The targets of the research-toolkit issue, checked against the measurements."""
    out = []
    ratios = []
    for name in names:
        lx, pm = rows.get(_key(name, "ours", "leximin")), rows.get(_key(name, "peer", "maximin"))
        if lx and pm and lx.get("n", 0) >= 300 and lx.get("seconds"):
            slow = pm.get("seconds") or pm.get("timeout")
            if slow:
                ratios.append((slow / lx["seconds"], name, pm.get("seconds") is None))
    for label, chosen in (("instance", ratios),
                          ("calibrated preset", [r for r in ratios
                                                 if r[1].endswith(":calibrated")])):
        if not chosen:
            continue
        worst = min(chosen)
        out.append(f"* LEXIMIN at least 10x faster than the peer's MAXIMIN for every {label} "
                   f"with n >= 300: {'met' if worst[0] >= 10 else 'NOT met'} (smallest ratio "
                   f"{'>' if worst[2] else ''}{worst[0]:.0f}x, on {worst[1]}; "
                   f"{len(chosen)} measured).")
    big = rows.get(_key("example_large_200", "ours", "leximin"))
    if big and big.get("seconds") is not None:
        out.append(f"* example_large_200 LEXIMIN under 10 s: {big['seconds']:.2f} s "
                   f"({'met' if big['seconds'] < 10 else 'NOT met'}).")
    sfe = rows.get(_key("sf_e", "ours", "leximin"))
    if sfe and sfe.get("seconds") is not None:
        ok = sfe["seconds"] < 300 and sfe["peak_mb"] < 1024
        out.append(f"* sf_e-shaped preset LEXIMIN under 5 minutes and 1 GiB: {sfe['seconds']:.1f} "
                   f"s, {sfe['peak_mb']:.0f} MB ({'met' if ok else 'NOT met'}).")
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lx, mx = (rows.get(_key("many:10000:200", "ours", a)) for a in ("leximin", "maximin"))
    if lx and mx and lx.get("seconds") and mx.get("seconds"):
        peak = max(lx["peak_mb"], mx["peak_mb"])
        out.append(f"* n = 10,000, {lx['types']} distinct profiles, k = 200: LEXIMIN "
                   f"{lx['seconds']:.1f} s (< 120 s: {met(lx['seconds'] < 120)}), MAXIMIN "
                   f"{mx['seconds']:.1f} s (< 60 s: {met(mx['seconds'] < 60)}), peak "
                   f"{peak:.0f} MB (< 2 GiB: {met(peak < 2048)}).")
    big = rows.get(_key("many:50000:300", "ours", "leximin"))
    if big:
        out.append(f"* n = 50,000, {big.get('types', '?')} distinct profiles, k = 300: LEXIMIN "
                   f"{_secs(big)} s (target < 600 s: "
                   f"{met(bool(big.get('seconds')) and big['seconds'] < 600)}).")
    for n in (300, 1000):
        st = rows.get(_key(f"corpus:parity:{n}", "ours", "leximin"))
        if st and st.get("seconds"):
            out.append(f"* staged path, parity pool n = {n}: LEXIMIN {st['seconds']:.1f} s by "
                       f"{st.get('method')} (< 60 s: {met(st['seconds'] < 60)}).")
    return out or ["* (no measurements yet)"]


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _plot(rows: dict[str, dict[str, Any]]) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    if not any(k.startswith("scale:") and r.get("seconds") for k, r in rows.items()):
        return False
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, pts, label in ((a1, [(n, 50) for n in SCALE_N], "n (k = 50)"),
                           (a2, [(2000, k) for k in SCALE_K], "k (n = 2000)")):
        for impl, alg, style in (("ours", "leximin", "o-"), ("peer", "maximin", "s--")):
            xs, ys = [], []
            for n, k in pts:
                r = rows.get(_key(f"scale:{n}:{k}", impl, alg))
                if r and r.get("seconds") is not None:
                    xs.append(n if label.startswith("n") else k)
                    ys.append(r["seconds"])
            if xs:
                ax.plot(xs, ys, style, label=f"{impl} {alg}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds")
        if ax.get_lines():
            ax.legend()
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    plt.close(fig)
    return True


NOTES = """## Reference figures (Flanigan et al. 2021, Gurobi, 2020 laptop)

| instance | n | k | published LEXIMIN minimum | published LEXIMIN time |
|---|---|---|---|---|
| example_small_20 | 200 | 20 | 10.0% | 2.7 s |
| example_large_200 | 2000 | 200 | 10.0% | 1161.8 s |
| sf_e | 1727 | 110 | 2.6% | 4011.6 s |
| nexus | 342 | 170 | 32.5% | 83.4 s |

## Notes

* LEXIMIN, MAXIMIN and NASH finish through the LP-relaxation fast path (relaxed optimum peeled
  into a lottery, `docs/engine.md` §3.1; MAXIMIN reuses LEXIMIN's) on every instance here. A
  pool whose relaxation is not exact falls back to column generation, which is much slower on
  pools with hundreds of types; measured hard cases (parity and household pools, 7,992 types)
  are in `docs/engine.md` §9, and the corpus sweep above runs every path.
* `NAME:calibrated` rows are the presets with self-selection calibrated so that their LEXIMIN
  minimums are within 25% of the published ones (`synthetic.CALIBRATED_SKEW`): as hard as
  the real pools. The plain presets are the easier variant.
* The peer's times are those of its own column generation with HiGHS and cvxpy; a peer run
  that hit the time limit is shown as `>limit` and its ratio as a lower bound.
* Runs are sequential on the machine named above; timings vary by tens of percent when other
  work shares the cores (some of the peer's runs overlapped other jobs on this 2-core machine,
  which makes those ratios somewhat flattering; the conclusions hold by a wide margin).
* `our peak MB` is mostly the interpreter with numpy, scipy and HiGHS loaded (about 130 MB).
"""


if __name__ == "__main__":
    main()
