"""Regenerate docs/objectives.md and docs/objectives.png: the fairness objectives compared.

Usage (from the repository root)::

    python tools/make_objectives_doc.py            # write both files
    python tools/make_objectives_doc.py --check    # exit 1 if docs/objectives.md is out of date

Every exact algorithm of :data:`civicsortition.algorithms.ALGORITHMS` (all but the Monte-Carlo
LEGACY estimate, and any other algorithm registered with ``exact=False``) runs with its
default options on the embedded Rustavi example and on the smallest calibrated synthetic
presets of :mod:`civicsortition.research.synthetic`. An algorithm that raises on an instance
gets a ``failed: <code>`` row instead of numbers.

What ``--check`` compares. Only the Markdown (never the PNG), and only what is the same for
every optimal lottery of a rule: a rule's minimum, its maximum, its objective value and
whether it converged (see :data:`UNIQUE` for which rule pins down which probabilities).
Figures that depend on the run are kept on the page but ignored by the comparison: the wall
times and the support size (columns :data:`VOLATILE_COLUMNS`, blanked), the line naming the
machine, and every number written in parentheses -- a quantity that differs between optimal
lotteries, so it describes the lottery this run happened to return.
"""

from __future__ import annotations

import argparse
import difflib
import math
import platform
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicsortition.algorithms import ALGORITHMS, find_distribution  # noqa: E402
from civicsortition.distribution import Distribution  # noqa: E402
from civicsortition.errors import InputError, SolverError  # noqa: E402
from civicsortition.examples import rustavi_example  # noqa: E402
from civicsortition.fairness import fairness_metrics  # noqa: E402
from civicsortition.numerics import COMPARE_TOL  # noqa: E402
from civicsortition.pool import Pool  # noqa: E402
from civicsortition.quotas import Quotas  # noqa: E402
from civicsortition.research.manipulation import UNIQUE_MARGINALS, manipulation_audit  # noqa: E402
from civicsortition.research.synthetic import CALIBRATED_SKEW, PRESETS, preset  # noqa: E402

DOC = ROOT / "docs" / "objectives.md"
FIGURE = ROOT / "docs" / "objectives.png"
COMMAND = "python tools/make_objectives_doc.py"

#: Calibrated presets on the page: only the smallest pool (mass, n = 70). Every rule on one
#: instance costs about 65 s there and 85 s on the Rustavi example, two thirds of it in the two
#: maximum-entropy rules giving up (``support-too-large``); the next presets cost about 175 s
#: (sf_c, n = 161) and 350 s (hd, n = 239) on a loaded two-core machine, so adding them would
#: take the run well past three minutes.
PRESET_NAMES: tuple[str, ...] = ("mass",)

#: Decimals of every number on the page.
DECIMALS = 4

#: Per rule, what every optimal lottery shares once the run converged: "min" and "max" (the
#: extreme probabilities) or "profile" (every person's probability, hence the Gini coefficient
#: and the share below k/N too). LEXIMIN's optimum is unique; NASH and lp are strictly concave
#: / convex in the probabilities; GOLDILOCKS is strictly convex in the minimum and linear in
#: the maximum, so both extremes are unique; MAXIMIN pins down only the minimum and MINIMAX
#: only the maximum. MAXENTROPY's uniform lottery over all feasible panels is unique, and so is
#: FAIR-MAXENTROPY's (entropy is strictly concave in the lottery); DIVERSIMAX's composition may
#: tie with another. A rule not listed here (a newly registered one) gets every
#: probability-derived figure in parentheses until it is added.
UNIQUE: dict[str, frozenset[str]] = {
    "leximin": frozenset({"min", "max", "profile"}),
    "maximin": frozenset({"min"}),
    "nash": frozenset({"min", "max", "profile"}),
    "minimax": frozenset({"max"}),
    "goldilocks": frozenset({"min", "max"}),
    "lp": frozenset({"min", "max", "profile"}),
    "maxentropy": frozenset({"min", "max", "profile"}),
    "fair-maxentropy": frozenset({"min", "max", "profile"}),
    "diversimax": frozenset(),
}

#: Table columns that depend on the machine or on the lottery returned (blanked by --check).
SUPPORT_COLUMN = "support (panel profiles, this run)"
TIME_COLUMN = "seconds (this machine, one run)"
VOLATILE_COLUMNS = (SUPPORT_COLUMN, TIME_COLUMN)
#: Lines naming the machine the times come from (dropped by --check).
MACHINE_PREFIX = "Timings measured on:"

#: Invariants claimed on the page for the Rustavi example (and checked by the fast test).
GOLDILOCKS_MIN_RATIO = 0.7
GOLDILOCKS_MAX_RATIO = 1.38

NATURE_PAPER = ("Flanigan, Gölz, Gupta, Hennig and Procaccia, *Fair algorithms for selecting "
              "citizens' assemblies*, Nature 596 (2021)")
AAAI_PAPER = ("Flanigan, Liang, Procaccia and Wang, *Manipulation-robust selection of "
              "citizens' assemblies*, AAAI 2024")
GOLDILOCKS_PAPER = ("Baharav and Flanigan, *Fair, manipulation-robust, and transparent "
                    "sortition*, arXiv:2406.15009 (2024)")
ENTROPY_PAPER = "de Azevedo and Gölz, *Maximally random sortition*, arXiv:2604.02712 (2026)"

#: One paragraph per known rule (formula and source); others get a generic paragraph.
DESCRIPTIONS: dict[str, str] = {
    "leximin": (
        "**LEXIMIN** first makes the smallest selection probability as large as possible, "
        "then, without lowering it, the second smallest, and so on up the sorted vector "
        "π₍₁₎ ≤ π₍₂₎ ≤ … ≤ π₍N₎: the lottery whose sorted probabilities are "
        f"lexicographically largest. It was brought to sortition by {NATURE_PAPER}, whose "
        "implementation had already selected more than 40 assemblies when the paper "
        "appeared. The optimal probabilities are unique. Once the bottom of the vector is "
        "settled, nothing holds the top down, so a few people can end up far above the "
        "uniform level (compare the maximum with MINIMAX's in the tables)."),
    "maximin": (
        "**MAXIMIN** maximises min_i π_i and nothing else; it is the first stage of LEXIMIN "
        f"and comes from the same paper ({NATURE_PAPER}). Its optimal minimum is unique, but "
        "many lotteries reach it, so its other figures (maximum, Gini, support) describe only "
        "the lottery this run returned and are shown in parentheses. Its certified upper "
        "bound (`details.bound`) is the **best achievable minimum** used in the ratios "
        "below: no lottery over feasible panels has a higher minimum."),
    "nash": (
        "**NASH** maximises the Nash welfare Σ_i log π_i (equivalently, the product of the "
        "probabilities). A zero anywhere makes the objective −∞, so everyone on some "
        "feasible panel gets a positive chance, and strict concavity makes the optimal "
        "probabilities unique. It is one of the measures of closeness to equality the "
        f"framework of {NATURE_PAPER} optimises; {AAAI_PAPER}, show that it is, like "
        "LEXIMIN, open to manipulation by volunteers who misreport their features."),
    "minimax": (
        "**MINIMAX** minimises max_i π_i: nobody is much more likely than anyone else to be "
        "picked. It is the p → ∞ end of the ℓp family of "
        f"{AAAI_PAPER}, the end where the incentive to misreport shrinks fastest (at the "
        "optimal rate O(1/n) in the pool size). The optimal maximum is unique; the rest is "
        "not, and with the default `floor=None` the rule may leave people at probability 0 "
        "(`floor=\"maximin\"` keeps everyone at the MAXIMIN value). Its certified lower "
        "bound (`details.extra.lower_bound`) is the **best achievable maximum** used in the "
        "ratios below."),
    "goldilocks": (
        "**GOLDILOCKS** minimises (N/k)·max_i π_i + γ·(k/N) / min_i π_i (default γ = 1), "
        f"from {GOLDILOCKS_PAPER}. Each term is at least 1, and both equal 1 exactly at the "
        "uniform lottery π_i = k/N, so the rule trades the top of the distribution against "
        "the bottom: neither too high nor too low. The paper judges it by two ratios, the "
        "minimum against the best achievable minimum and the maximum against the best "
        "achievable maximum, which the tables report for every rule. Both extremes are "
        "unique at the optimum."),
    "lp": (
        "**lp** minimises the ℓp norm (Σ_i π_i^p)^(1/p) of the probabilities (default "
        "p = 2). The probabilities always add up to k, so a smaller norm means more equal "
        f"chances. From {AAAI_PAPER}: the manipulability of this rule falls like "
        "O(1/n^(1−1/p)) as the pool grows, against no decrease at all for LEXIMIN and NASH. "
        "Strict convexity makes the optimal probabilities unique. Unlike NASH, nothing in "
        "the objective keeps a person's probability above 0."),
    "maxentropy": (
        "**MAXENTROPY** draws the panel uniformly among *all* panels that satisfy the quotas "
        "(and the household rule): the lottery of largest entropy −Σ_S x_S log x_S, the most "
        f"random one the quotas allow ({ENTROPY_PAPER}). Its probabilities come from exactly "
        "counting the feasible panels, and the lottery is unique. On pools where the count "
        "needs too many dynamic-programming states, or the lottery too many panel profiles, "
        "it stops with `support-too-large`."),
    "fair-maxentropy": (
        "**FAIR-MAXENTROPY** maximises the same entropy subject to every covered person's "
        "probability being at least a floor f (by default the MAXIMIN value less a relative "
        f"slack of 0.001), the fair variant in {ENTROPY_PAPER}. Entropy is strictly concave, "
        "so the lottery is unique; it relies on the same counting as MAXENTROPY and stops "
        "the same way when the count is out of reach."),
    "diversimax": (
        "**DIVERSIMAX** is a deterministic baseline, not a lottery over compositions: one "
        "panel composition minimising Σ_C Σ_cell |seats in the cell − k / (cells of C)| over "
        "the intersections (cells) of small sets C of categories, subject to the quotas; only "
        "which members of each type sit is drawn. It comes from the peer library "
        "sortition-algorithms, not from a paper. Its loss is unique at the optimum, but another "
        "composition may tie, so its probabilities are shown in parentheses."),
}


@attrs.frozen
class Outcome:
    """One rule on one instance: its lottery, or the code of the error it raised.

    Attributes
    ----------
    algorithm : str
        The registry id.
    seconds : float
        Wall time of the call (this machine, one run).
    dist : Distribution or None
        The result (None when the rule failed).
    error : str or None
        The failure's code (None when the rule succeeded).
    """

    algorithm: str
    seconds: float
    dist: Distribution | None = None
    error: str | None = None

    @property
    def probabilities(self) -> np.ndarray:
        """Selection probabilities of the covered people (not sorted)."""
        assert self.dist is not None
        return np.asarray(self.dist.marginals[self.dist.covered], dtype=float)

    @property
    def minimum(self) -> float:
        """Smallest probability of a covered person."""
        return float(self.probabilities.min())

    @property
    def maximum(self) -> float:
        """Largest probability of a covered person."""
        return float(self.probabilities.max())

    @property
    def objective(self) -> float:
        """The rule's own objective value, as the rule states it (minimised or maximised)."""
        assert self.dist is not None
        extra = self.dist.details.extra
        for key in ("value", "loss"):  # minimised: epigraph and convex rules, DIVERSIMAX
            if key in extra:
                return float(extra[key])
        return float(self.dist.details.objective)

    def unique(self, what: str) -> bool:
        """Whether ``what`` ("min", "max", "profile") is the same at every optimum."""
        return (self.dist is not None and self.dist.details.converged
                and what in UNIQUE.get(self.algorithm, frozenset()))


def rule_ids() -> list[str]:
    """The rules on the page: the registry's exact algorithms, in registry order."""
    return [a for a, spec in ALGORITHMS.items() if a != "legacy" and spec.exact]


def error_code(exc: BaseException) -> str:
    """A short, stable code for an algorithm's error (its problem code where it has one)."""
    if isinstance(exc, InputError):
        return exc.code
    if isinstance(exc, SolverError):
        return f"solver-{exc.status.value}"
    return type(exc).__name__


def run_rules(pool: Pool, quotas: Quotas, ids: Iterable[str] | None = None
              ) -> dict[str, Outcome]:
    """Run every rule (default options) on one instance; failures are recorded, not raised."""
    out: dict[str, Outcome] = {}
    for algorithm in rule_ids() if ids is None else ids:
        start = time.perf_counter()
        try:
            dist = find_distribution(pool, quotas, algorithm=algorithm)
        except Exception as exc:  # the page records any failure, whatever it is
            out[algorithm] = Outcome(algorithm, time.perf_counter() - start,
                                     error=error_code(exc))
        else:
            out[algorithm] = Outcome(algorithm, time.perf_counter() - start, dist=dist)
    return out


def references(outcomes: Mapping[str, Outcome]) -> tuple[float | None, float | None]:
    """Best achievable minimum and maximum: MAXIMIN's and MINIMAX's certified bounds."""
    best_min = best_max = None
    maximin, minimax = outcomes.get("maximin"), outcomes.get("minimax")
    if maximin is not None and maximin.dist is not None:
        best_min = float(maximin.dist.details.bound)
    if minimax is not None and minimax.dist is not None:
        best_max = float(minimax.dist.details.extra["lower_bound"])
    return best_min, best_max


def number(x: float | None) -> str:
    """``x`` to :data:`DECIMALS` places ("n/a" for None or not finite; no negative zero)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    x = round(x, DECIMALS)
    return f"{0.0 if x == 0 else x:.{DECIMALS}f}"


def cell(x: float | None, unique: bool) -> str:
    """A table cell: plain when unique at the optimum, in parentheses when not."""
    text = number(x)
    return text if unique or text == "n/a" else f"({text})"


def ratio(value: float, best: float | None) -> float | None:
    """``value / best`` (None when there is no reference)."""
    return None if best is None or best <= 0 else value / best


def uniform_level(outcomes: Mapping[str, Outcome], quotas: Quotas) -> float | None:
    """k/N, with N the people on some feasible panel (from any successful run)."""
    for o in outcomes.values():
        if o.dist is not None:
            return quotas.panel_size / int(o.dist.covered.sum())
    return None


HEADER = ("rule", "min π", "max π", "min π ÷ best min", "max π ÷ best max", "Gini",
          "share below k/N", "objective", "converged", SUPPORT_COLUMN, TIME_COLUMN)


def table(outcomes: Mapping[str, Outcome], quotas: Quotas) -> str:
    """The Markdown table of one instance (one row per rule)."""
    best_min, best_max = references(outcomes)
    level = uniform_level(outcomes, quotas)
    lines = ["| " + " | ".join(HEADER) + " |",
             "|---|" + "---:|" * 7 + "---|---:|---:|"]
    for o in outcomes.values():
        seconds = f"{o.seconds:.2f}"
        if o.dist is None:
            row = [f"`{o.algorithm}`", f"failed: {o.error}", *["—"] * 7, "—", seconds]
        else:
            metrics = fairness_metrics(o.probabilities)
            below = (None if level is None else metrics.share_below(level - COMPARE_TOL))
            row = [f"`{o.algorithm}`",
                   cell(o.minimum, o.unique("min")), cell(o.maximum, o.unique("max")),
                   cell(ratio(o.minimum, best_min), o.unique("min")),
                   cell(ratio(o.maximum, best_max), o.unique("max")),
                   cell(metrics.gini, o.unique("profile")),
                   cell(below, o.unique("profile")),
                   cell(o.objective, o.dist.details.converged),
                   "yes" if o.dist.details.converged else "no",
                   str(int((o.dist.probabilities > 0).sum())), seconds]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def references_line(outcomes: Mapping[str, Outcome], quotas: Quotas) -> str:
    """The instance's uniform level and the two references, as a sentence."""
    best_min, best_max = references(outcomes)
    level = uniform_level(outcomes, quotas)
    return (f"Uniform level k/N = {number(level)}; best achievable minimum (MAXIMIN's "
            f"certified bound) = {number(best_min)}; best achievable maximum (MINIMAX's "
            f"certified lower bound) = {number(best_max)}.")


def forced_note(outcomes: Mapping[str, Outcome]) -> list[str]:
    """A sentence when the best achievable maximum is 1 (some people are on every panel)."""
    _, best_max = references(outcomes)
    if best_max is None or best_max < 1 - COMPARE_TOL:
        return []
    return ["", "Here some people are on every feasible panel (the best achievable maximum is "
            "1): every rule gives them probability 1, so every maximum ratio is 1."]


def rustavi_findings(outcomes: Mapping[str, Outcome]) -> list[str]:
    """The claims the page makes about the Rustavi example (checked by the fast test)."""
    best_min, best_max = references(outcomes)
    lines = []
    gold, minimax = outcomes.get("goldilocks"), outcomes.get("minimax")
    if gold is not None and gold.dist is not None:
        lo, hi = ratio(gold.minimum, best_min), ratio(gold.maximum, best_max)
        lines.append(f"* GOLDILOCKS keeps its minimum at {number(lo)} of the best achievable "
                     f"minimum and its maximum at {number(hi)} of the best achievable maximum "
                     f"(claimed: at least {GOLDILOCKS_MIN_RATIO} and at most "
                     f"{GOLDILOCKS_MAX_RATIO}).")
    if minimax is not None and minimax.dist is not None:
        lines.append(f"* MINIMAX reaches its certified lower bound: its maximum is "
                     f"{number(minimax.maximum)} (claimed: equal to the bound within 1e-6).")
    if best_min is not None:
        done = [o for o in outcomes.values() if o.dist is not None]
        top = max(done, key=lambda o: o.minimum)
        lines.append(f"* No rule's minimum exceeds the best achievable minimum "
                     f"{number(best_min)} (claimed: within 1e-6); the highest is "
                     f"{number(top.minimum)}.")
    failed = [f"`{o.algorithm}` ({o.error})" for o in outcomes.values() if o.dist is None]
    if failed:
        lines.append("* Failed on this example: " + ", ".join(failed) + ".")
    return lines


def figure(outcomes: Mapping[str, Outcome], quotas: Quotas, path: Path) -> None:
    """The sorted probability curve of every rule, with the uniform level dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    styles = ("-", ":", "-.")  # curves can coincide (MAXIMIN may return LEXIMIN's lottery)
    for j, o in enumerate(o for o in outcomes.values() if o.dist is not None):
        p = np.sort(o.probabilities)
        label = o.algorithm if o.unique("profile") else f"{o.algorithm} (one optimal lottery)"
        ax.plot(np.arange(1, len(p) + 1), p, label=label, linestyle=styles[j % len(styles)],
                linewidth=2.2 if styles[j % len(styles)] == ":" else 1.5)
    level = uniform_level(outcomes, quotas)
    if level is not None:
        ax.axhline(level, color="black", linestyle="--", linewidth=1,
                   label=f"uniform k/N = {level:.4f}")
    ax.set_xlabel("people, sorted by selection probability")
    ax.set_ylabel("selection probability π")
    ax.set_title("Rustavi example: selection probabilities under each rule")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def objective_paragraphs(ids: Sequence[str]) -> list[str]:
    """One paragraph per rule on the page."""
    out = []
    for a in ids:
        if a in DESCRIPTIONS:
            out.append(DESCRIPTIONS[a])
            continue
        spec = ALGORITHMS[a]
        doc = (spec.__doc__ or "").strip().splitlines()
        first = doc[0].strip() if doc else "no description"
        out.append(f"**{a}** ({spec.name}): {first} This page has no description of it "
                   "yet; its figures are in parentheses until `UNIQUE` in "
                   "`tools/make_objectives_doc.py` says which of them every optimal lottery "
                   "shares.")
    return out


INTRO = """\
# Fairness objectives compared

<!-- Generated by tools/make_objectives_doc.py: edit the script, not this page. -->

Every rule here is a lottery over panels that satisfy the quotas; they differ only in what
they make fair. Write π_i for person i's probability of being selected, k for the panel size
and N for the number of people on at least one feasible panel (people on none have
probability 0 under every lottery and are left out of every figure below). The probabilities
always add up to k, so their average is k/N, the *uniform level* a lottery without quotas
would give everyone. This page compares the exact rules of the algorithm registry
(`civicsortition.algorithms.ALGORITHMS`, all but the Monte-Carlo LEGACY estimate), each with
its default options, through `find_distribution(pool, quotas, algorithm=...)`.

## The objectives
"""

READING = """\
## How to read the tables

* **min π**, **max π**: the smallest and largest probability of a covered person.
* **min π ÷ best min** and **max π ÷ best max**: the two ratios of Baharav and Flanigan. The
  best achievable minimum is MAXIMIN's certified bound and the best achievable maximum is
  MINIMAX's certified lower bound, so the first ratio is at most 1 and the second at least 1
  (up to the certified gaps); 1 is the best either can be.
* **Gini**: the Gini coefficient of the probabilities (0 for equal chances);
  **share below k/N**: the fraction of covered people below the uniform level (both from
  `civicsortition.fairness.fairness_metrics`).
* **objective**: the rule's own objective at the returned lottery, as the rule states it (a
  minimum for LEXIMIN and MAXIMIN, Σ log π for NASH, the entropy in nats for the
  maximum-entropy rules, the minimised value or loss for the others).
* **converged**: whether the run proved its lottery optimal within its tolerance.
* A number **in parentheses** is not determined by the rule: other optimal lotteries give
  other values (for example MAXIMIN's maximum, or MINIMAX's minimum), so it only describes the
  lottery this run returned. Every figure of a run that did not converge is in parentheses.
* The support (how many distinct panel profiles the lottery uses) and the wall time are of
  this run on this machine; `--check` ignores them, as it ignores the numbers in parentheses.
* `failed: <code>` means the rule raised an error on the instance (the code is the error's
  problem code, or `solver-<status>` for a solver failure).
"""


#: The manipulation audit's small pool (exact: every volunteer or pair, every misreport):
#: 10 volunteers, 4 seats, two binary categories; the old and the men are scarce.
AUDIT_RECORDS = tuple({"sex": s, "age": a} for s, a in zip("ffffffmmmm", "yyyyyoyyoo",
                                                          strict=True))
AUDIT_SEATS = 4
#: The rules audited exactly (those with unique probabilities, so a gain is the rule's).
AUDIT_RULES: tuple[str, ...] = ("leximin", "nash", "lp", "maxentropy")
#: On the Rustavi example: these rules, this many volunteers and misreports each, this seed.
RUSTAVI_AUDIT = (("leximin", "nash"), 12, 4, 2026)
AUDIT_COLUMNS = ("algorithm", "coalition", "audited", "misreports", "max_gain", "mean_gain",
                 "share_gaining", "max_member_gain", "max_harm")


def audit_instance() -> tuple[Pool, Quotas]:
    """The audit's small pool and its quotas (1 to 2 seats for each value)."""
    from civicsortition.quotas import ValueQuota

    pool = Pool.from_records(list(AUDIT_RECORDS), categories=["sex", "age"])
    quotas = Quotas(AUDIT_SEATS, [ValueQuota(c, v, 1, 3) for c, vs in
                                  (("sex", "fm"), ("age", "yo")) for v in vs])
    return pool, quotas


def audits() -> list[tuple[str, Any]]:
    """The audits on the page: exact singles and pairs on the small pool, sampled Rustavi."""
    pool, quotas = audit_instance()
    rules = [r for r in AUDIT_RULES if r in ALGORITHMS and r in UNIQUE_MARGINALS]
    out = [("small pool, single volunteers (exact)", manipulation_audit(pool, quotas, rules)),
           ("small pool, pairs (exact)", manipulation_audit(pool, quotas, rules,
                                                            coalition=2))]
    names, people, misreports, seed = RUSTAVI_AUDIT
    r_pool, r_quotas = rustavi_example()
    out.append((f"Rustavi example, {people} volunteers drawn, {misreports} misreports each "
                f"(sampled, seed {seed})",
                manipulation_audit(r_pool, r_quotas, list(names), people=people,
                                   misreports=misreports, seed=seed)))
    return out


def audit_table(audit: Any) -> str:
    """One audit's rows as Markdown, with this page's rounding."""
    lines = ["| " + " | ".join(AUDIT_COLUMNS) + " |", "|" + "---|" * len(AUDIT_COLUMNS)]
    for row in audit.rows:
        lines.append("| " + " | ".join(number(row[c]) if isinstance(row[c], float)
                                       else str(row[c]) for c in AUDIT_COLUMNS) + " |")
    return "\n".join(lines)


AUDIT_TEXT = f"""\
## Manipulation audit

`civicsortition.research.manipulation_audit` reruns a rule for every misreport of a
volunteer's values (or a coalition's joint misreport) and records the best **gain**: the rise
of the volunteer's selection probability, or of the coalition's expected number of seats; the
**harm** is the largest fall it causes to anyone else. Only rules whose optimal probabilities
are unique are audited here, so a gain is the rule's and not a solver's choice. The question
and the experiment are from {AAAI_PAPER}, who prove that LEXIMIN and NASH can be manipulated
no matter how large the pool, and that ℓp rules become harder to manipulate as it grows.

The small pool has {len(AUDIT_RECORDS)} volunteers (six women, four men; three of them old)
and {AUDIT_SEATS} seats, with 1 to 3 seats for each sex and each age group: every volunteer
and every pair of volunteers, with every misreport, is tried (exact).
"""


def audit_sections() -> list[str]:
    """The audit section of the page."""
    parts = [AUDIT_TEXT]
    for title, audit in audits():
        parts += [f"**{title}**", "", audit_table(audit), ""]
    return parts


def page(rustavi: Mapping[str, Outcome], rustavi_quotas: Quotas, rustavi_n: int,
         synthetic: Sequence[tuple[str, Any, Mapping[str, Outcome]]],
         audit_parts: Sequence[str] = ()) -> str:
    """The whole Markdown page."""
    ids = list(rustavi)
    parts = [INTRO, "\n\n".join(objective_paragraphs(ids)), "", READING]
    parts += ["## The Rustavi example", "",
              f"The embedded synthetic Rustavi pool "
              f"(`civicsortition.examples.rustavi_example()`): {rustavi_n} registrants, "
              f"{rustavi_quotas.panel_size} seats, quotas on sex, age, education and district, "
              "at most one person per household.", "",
              "![Sorted selection probabilities of every rule on the Rustavi example]"
              "(objectives.png)", "",
              "Each curve is one rule's probabilities, sorted from the least to the most "
              "likely person; the dashed line is the uniform level. A curve marked *one "
              "optimal lottery* is one of several optima of its rule.", "",
              references_line(rustavi, rustavi_quotas), "",
              table(rustavi, rustavi_quotas), "",
              "What the example shows (`tests/test_objectives_doc.py` checks these claims):",
              "", *rustavi_findings(rustavi), ""]
    parts += ["## Synthetic instances", "",
              "Calibrated presets of `civicsortition.research.synthetic` "
              "(`preset(name, calibrated=True)`, seed 0): pools shaped like published "
              "instances (Flanigan et al., Nature 2021) with self-selection skew "
              "`CALIBRATED_SKEW[name]`, which brings the LEXIMIN minimum close to the "
              "published one. To keep the page quick to regenerate, only "
              f"{', '.join(f'`{n}`' for n in PRESET_NAMES)} is here: the larger presets "
              "take minutes per instance, mostly in the lp and maximum-entropy rules. The "
              "digest identifies the data (NumPy does not promise the same random streams "
              "across versions).", ""]
    for name, inst, outcomes in synthetic:
        n, k, categories = PRESETS[name]
        parts += [f"### `{name}` (calibrated)", "",
                  f"n = {n}, k = {k}, {categories} categories, skew "
                  f"{CALIBRATED_SKEW[name]}, {inst.n_types} types, digest "
                  f"`{inst.digest[:16]}`.", "",
                  references_line(outcomes, inst.quotas), *forced_note(outcomes), "",
                  table(outcomes, inst.quotas), ""]
    parts += list(audit_parts)
    parts += ["## Regenerating this page", "",
              "From the repository root:", "", "```sh", COMMAND, "```", "",
              f"It rewrites `docs/objectives.md` and `docs/objectives.png`; `{COMMAND} "
              "--check` exits 1 when the page's rule-determined numbers differ from a fresh "
              "run (the test suite runs it). A rule newly added to the registry appears on "
              "its own.", "",
              f"{MACHINE_PREFIX} {platform.machine() or 'unknown machine'}, Python "
              f"{platform.python_version()}, NumPy {np.__version__} (one run each).", ""]
    return "\n".join(parts)


def comparable(text: str) -> str:
    """The page without what --check ignores (times, support, machine, parenthesised cells)."""
    out = []
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(MACHINE_PREFIX):
            continue
        if not line.startswith("|"):
            header = None
            out.append(line)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(line) <= set("|-: "):
            cells = ["" if i < len(header) and header[i] in VOLATILE_COLUMNS
                     else "()" if re.fullmatch(r"\(.*\)", c) else c
                     for i, c in enumerate(cells)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def build(*, with_figure: bool) -> str:
    """Run everything and return the page (writing the figure when asked)."""
    pool, quotas = rustavi_example()
    rustavi = run_rules(pool, quotas)
    synthetic = []
    for name in PRESET_NAMES:
        inst = preset(name, calibrated=True)
        synthetic.append((name, inst, run_rules(inst.pool, inst.quotas)))
    if with_figure:
        figure(rustavi, quotas, FIGURE)
    return page(rustavi, quotas, pool.n, synthetic, audit_sections())


def main(argv: list[str] | None = None) -> int:
    """Write the page and the figure, or with ``--check`` compare the page only."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/objectives.md is out of date (writes nothing)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    text = build(with_figure=not args.check)
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if comparable(current) != comparable(text):
            diff = difflib.unified_diff(comparable(current).splitlines(),
                                        comparable(text).splitlines(), "on disk", "fresh run",
                                        lineterm="", n=0)
            print("\n".join(list(diff)[:40]))
            print(f"out of date: {DOC.name} (run {COMMAND})")
            return 1
        print(f"up to date: {DOC.name} ({time.perf_counter() - start:.0f} s)")
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"written: {DOC} and {FIGURE} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
