"""The audit report: everything needed to judge a selection, and no personal data.

An :class:`AuditReport` holds SHA-256 hashes of the inputs (so a published file can be matched
to the run without publishing it), the quotas with their provenance, the algorithm, backend,
versions and optimality certificate, fairness metrics, the per-value group view, the lottery
digest and rounding deviation, the draw record (digest, seed, ticket number; the panel only as
counts per value) and the independent verifier's verdict. It never contains a name, an id or a
household key: only aggregates.

Small-cell suppression
----------------------
A published count of 1 or 2 could identify someone, so the group view hides some cells:

* a value held by fewer than ``small_cell`` (default :data:`SMALL_CELL` = 5) pool members is a
  *small cell* (a count of 0 included);
* for every hidden cell, the count and every figure computed from it are withheld: the pool
  count, the pool seats (k · count / n) and the expected seats (the sum of the members'
  probabilities: with the published minimum and maximum probability it bounds the count, and
  with equal probabilities it is count × probability). In the Markdown these and the note read
  ``suppressed``; in the JSON they are ``null`` and the row has ``"suppressed": true``
  (``"small_cell"`` is the same flag, kept for compatibility);
* the pool size is published and the counts of a category add up to it, so a single hidden
  value could be recovered by subtraction. Further values of the *same category* are therefore
  hidden too (*complementary suppression*), smallest count first (ties in table order), until
  no hidden count is determined by what the report publishes: the pool size, the other counts
  and expected seats of the category (which add up to n and k), the quotas, the panel
  composition, the minimum and maximum selection probability and the number of people on no
  feasible panel. The check grants the reader even which hidden values are the small ones.
  A lone hidden value never passes it, so at least two values of a category are hidden;
* small cells and the cells hidden to protect them are marked alike (the report does not say
  which is which); "not determined" means at least two counts remain possible for each hidden
  value, not that nothing about it can be bounded;
* quota minimum and maximum and census seats are public inputs and stay; figures of cells that
  are not hidden are unchanged, and so is the panel composition (the panel is public);
* ``suppression`` in the JSON gives the number of hidden cells and the ``unprotected``
  categories: those where even hiding every value leaves a count determined (a pool of a
  handful of people; exact quotas with equal probabilities for everyone; a value with quota
  maximum 0 whose members are the only people on no feasible panel; a panel holding all 4
  members of a small group). The Markdown then carries a warning: such a report must not be
  published as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ._i18n import translate, translator
from .census import Census
from .distribution import Distribution, json_number
from .draw import DrawRecord
from .fairness import fairness_metrics, group_view
from .invitations import INVITE_PROCEDURE, Invitations
from .lottery import TransparentLottery
from .numerics import COMPARE_TOL
from .pool import Pool
from .quotas import Quotas
from .registrations import Registrations
from .verifier import Verdict

if TYPE_CHECKING:  # the household comparison runs the engine; the report only reads it
    from .households import HouseholdEffect

__all__ = ["AuditReport", "audit_report", "pool_digest", "quotas_digest"]

SMALL_CELL = 5

#: Marker of a withheld figure in the Markdown report (count, pool seats, expected seats, note).
SUPPRESSED = "suppressed"

# Relative slack when checking whether candidate counts fit the published expected seats
# (on top of whatever the true counts need): a reader can rely on no less.
_SEATS_TOL = 1e-9
# Search steps allowed per hidden cell when looking for another count that fits.
_SEARCH_LIMIT = 100_000


def _sha(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class _Cell:
    """One value of a category as the suppression rule sees it."""

    count: int                 # pool members holding the value (the secret)
    seats: float               # expected seats: the sum of their probabilities (also secret)
    floor: int                 # public lower bound on the count: quota minimum, panel members
    seats_min: float           # public bounds on the expected seats: the quota
    seats_max: float


@attrs.frozen
class _Evidence:
    """Pool-wide published figures that constrain the hidden counts."""

    small_cell: int
    p_min: float               # minimum and maximum selection probability of covered people
    p_max: float
    uncovered: int             # people on no feasible panel (probability 0)


def _recoverable(cells: list[_Cell], hidden: frozenset[int], ev: _Evidence) -> bool:
    """Whether the published figures pin down some hidden count of one category.

    The reader is granted more than the report says: which hidden cells are small (below
    ``small_cell``) and which hide one, as context such as census shares may tell. Besides
    that the reader knows: the hidden counts add up to the pool size minus the published
    counts; each is at least its public floor (and at least 1 if the value occurs) and at most
    every published count of the category (hidden cells are the smallest, ties broken by table
    order); and the hidden expected seats add up to the panel size minus the published ones,
    each within its quota and between ``max(0, count - uncovered) * p_min`` and
    ``count * p_max``. A count is pinned down when no other value of it fits all of that
    together with some counts of the other hidden cells (the true counts always fit). A search
    that grows too large counts as "does not fit", which errs towards hiding more.
    """
    if not hidden:
        return False
    if len(hidden) == 1:
        return True                                  # pool size minus the other counts
    hid = sorted(hidden)
    shown = [j for j in range(len(cells)) if j not in hidden]
    h = len(hid)
    total = sum(cells[i].count for i in hid)
    seats = sum(cells[i].seats for i in hid)
    true = [cells[i].count for i in hid]
    t = ev.small_cell
    lo = [min(c, max(cells[i].floor, 1 if c else 0, t if c >= t else 0))
          for i, c in zip(hid, true, strict=True)]
    hi = [min([cells[j].count - (j < i) for j in shown] + [total] + ([t - 1] if c < t else []))
          for i, c in zip(hid, true, strict=True)]

    def low(r: int, x: int) -> float:
        return max(cells[hid[r]].seats_min, max(0, x - ev.uncovered) * ev.p_min)

    def high(r: int, x: int) -> float:
        return min(cells[hid[r]].seats_max, x * ev.p_max)

    # The true counts must fit: allow the solver's own error on them, and no more.
    slack = max([0.0, sum(low(r, x) for r, x in enumerate(true)) - seats,
                 seats - sum(high(r, x) for r, x in enumerate(true)),
                 *(low(r, x) - high(r, x) for r, x in enumerate(true))])
    tol = _SEATS_TOL * max(1.0, abs(seats)) + slack
    for r in range(h):            # each cell's own seats: quota against count x probability
        while lo[r] < true[r] and low(r, lo[r]) > high(r, lo[r]) + tol:
            lo[r] += 1
        while hi[r] > true[r] and low(r, hi[r]) > high(r, hi[r]) + tol:
            hi[r] -= 1

    def completes(order: list[int], left: int, s_low: float, s_high: float,
                  budget: list[int]) -> bool:
        """Whether the cells in ``order`` can take counts that make everything fit."""
        budget[0] -= 1
        if budget[0] < 0:
            return False
        if not order:
            return left == 0 and s_low <= seats + tol and s_high >= seats - tol
        if (left < sum(lo[q] for q in order) or left > sum(hi[q] for q in order)
                or s_low + sum(low(q, lo[q]) for q in order) > seats + tol
                or s_high + sum(high(q, hi[q]) for q in order) < seats - tol):
            return False
        r, rest = order[0], order[1:]
        start = max(lo[r], left - sum(hi[q] for q in rest))
        stop = min(hi[r], left - sum(lo[q] for q in rest))
        return any(low(r, x) <= high(r, x) + tol
                   and completes(rest, left - x, s_low + low(r, x), s_high + high(r, x), budget)
                   for x in range(start, stop + 1))

    for r in range(h):
        others = [q for q in range(h) if q != r]
        budget = [_SEARCH_LIMIT]
        # Another value for this count, nearest to the true one first.
        alternatives = sorted((x for x in range(lo[r], hi[r] + 1) if x != true[r]),
                              key=lambda x: abs(x - true[r]))
        if not any(low(r, x) <= high(r, x) + tol
                   and completes(others, total - x, low(r, x), high(r, x), budget)
                   for x in alternatives):
            return True
    return False


def _suppressed_cells(cells: list[_Cell], ev: _Evidence) -> tuple[frozenset[int], bool]:
    """The cells of one category to hide, and whether that protects every hidden count.

    Small cells first; then the smallest remaining cells (ties in table order) one by one
    while a hidden count can still be worked out from the published figures.
    """
    order = sorted(range(len(cells)), key=lambda i: (cells[i].count, i))
    hidden = frozenset(i for i in order if cells[i].count < ev.small_cell)
    if not hidden:
        return hidden, True
    for i in order:
        if i in hidden:
            continue
        if not _recoverable(cells, hidden, ev):
            break
        hidden |= {i}
    return hidden, not _recoverable(cells, hidden, ev)


def pool_digest(pool: Pool) -> str:
    """SHA-256 of a canonical form of the pool (ids, categories, values, households)."""
    return _sha({"format": "civicsortition-pool/1",
                 "categories": [[c.name, list(c.values)] for c in pool.strata],
                 "people": [[pid, [int(v) for v in row],
                             None if pool.households is None else pool.households[i]]
                            for i, (pid, row) in enumerate(zip(pool.ids, pool.codes,
                                                               strict=True))]})


def quotas_digest(quotas: Quotas) -> str:
    """SHA-256 of a canonical form of the quota table."""
    return _sha({"format": "civicsortition-quotas/1", "panel_size": quotas.panel_size,
                 "quotas": [[q.category, q.value, q.min, q.max] for q in quotas]})


def _check_word(check: dict[str, Any], t: Callable[[str], str]) -> str:
    """``ok``, ``FAILED`` or, for a claim nobody can re-derive, ``unverified``."""
    if not check["ok"]:
        return t("FAILED")
    return t("ok") if check.get("verified", True) else t("unverified")


def _rounding_line(lot: dict[str, Any], t: Callable[[str], str] = str) -> str:
    """The rounding line of the report; a lottery read from a file records no method."""
    method, dev = lot.get("method"), lot.get("max_abs_deviation")
    if method is None:
        if dev is None:
            return t("- rounding method not recorded in the lottery file")
        return t("- largest change of a person's probability by the rounding (ticket shares "
                 "against the result): {deviation:.4f}; rounding method not recorded in the "
                 "lottery file").format(deviation=dev)
    shown = t("not computed") if dev is None else f"{dev:.4f}"
    return t("- rounding {method}: largest change of a person's probability {shown}").format(
        method=method, shown=shown)


@attrs.frozen(eq=False)
class AuditReport:
    """Aggregates of one selection; export with :meth:`to_json` or :meth:`to_markdown`."""

    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the report's content."""
        out: dict[str, Any] = json.loads(self.to_json())
        return out

    def as_dict(self) -> dict[str, Any]:
        """The same as :meth:`to_dict` (the name the other records use)."""
        return self.to_dict()

    def to_json(self) -> str:
        """JSON text (UTF-8 safe, keys in a fixed order)."""
        return json.dumps(self.data, ensure_ascii=False, indent=1)

    def _repr_html_(self) -> str:
        from ._html import card

        d = self.data
        run, fair, inputs = d["run"], d["fairness"], d["inputs"]
        facts: list[tuple[str, object]] = [
            ("pool", inputs["pool_size"]), ("seats", inputs["panel_size"]),
            ("algorithm", run["algorithm"]), ("proven optimal", run["converged"]),
            ("minimum probability", fair["minimum"]), ("certified bound", run["bound"]),
            ("maximum probability", fair["maximum"]), ("uniform k/n", fair["uniform"]),
            ("Gini", fair["gini"]), ("on no feasible panel", fair["uncovered"]),
            ("pool SHA-256", inputs["pool_sha256"][:16] + "…")]
        if d.get("lottery"):
            facts.append(("lottery tickets", d["lottery"].get("m")))
        if d.get("draw"):
            facts.append(("ticket drawn", f"{d['draw']['index']} of {d['draw']['m']}"))
        if d.get("verification"):
            facts.append(("verifier", "passed" if d["verification"].get("ok") else "FAILED"))
        return card("Selection audit report (no names or ids)", facts)

    def to_markdown(self, *, lang: str | None = None) -> str:
        """A human-readable Markdown report.

        Parameters
        ----------
        lang : {"en", "ka"}, optional
            Language of the text (default: from the environment, else English; see
            :mod:`civicsortition._i18n`). Figures, codes, values and digests are the same in
            every language.
        """
        t = translator(lang).gettext
        d = self.data
        run, fair, inp = d["run"], d["fairness"], d["inputs"]
        lines = [t("# Selection audit report"), "",
                 t("Created with civicsortition {version}. No names or ids of people appear in "
                   "this report.").format(version=d["library_version"]), "",
                 t("## Inputs"), "",
                 t("- pool: {n} registrations, {households} multi-person households; SHA-256 "
                   "`{digest}`").format(n=inp["pool_size"], households=inp["households"],
                                        digest=inp["pool_sha256"]),
                 t("- quotas: panel of {k}; SHA-256 `{digest}`").format(
                     k=inp["panel_size"], digest=inp["quotas_sha256"]), ""]
        if d.get("invitations"):
            inv = d["invitations"]
            lines += [t("## Invitations"), "",
                      t("- design: {design}; procedure `{procedure}`, seed `{seed}`").format(
                          design=inv["design"], procedure=inv["procedure"], seed=inv["seed"]),
                      t("- {letters} letters, {reserves} reserves, from a frame of {frame} "
                        "addresses; inclusion probability {low:.4%} to {high:.4%}").format(
                          letters=inv["letters"], reserves=inv["reserves"],
                          frame=inv["frame_size"], low=inv["inclusion_min"],
                          high=inv["inclusion_max"]),
                      t("- letters per stratum: ") + ", ".join(
                          f"{k}: {v}" for k, v in inv["letters_by_stratum"].items()), ""]
        if d.get("registrations"):
            reg = d["registrations"]
            lines += [t("## Registrations"), "",
                      t("- {received} received, {accepted} accepted, {rejected} rejected "
                        "(reference date {date}); {multi} addresses with more than one "
                        "registration").format(
                          received=reg["received"], accepted=reg["accepted"],
                          rejected=reg["rejected"], date=reg["reference_date"],
                          multi=reg["multi_person_households"]),
                      t("- rejections by reason: ") + ", ".join(
                          f"{k}: {v}" for k, v in reg["reasons"].items()), ""]
        if d.get("household_effect"):
            lines += [t("## Households"), ""]
            lines += [f"- {translate(line, lang)}" for line in d["household_effect"]["lines"]]
            lines += [""]
        lines += [t("## Quotas"), "",
                  t("| category | value | min | max | census share | exact quota | method | "
                    "band |"),
                  "|---|---|---:|---:|---:|---:|---|---|"]
        for q in d["quotas"]:
            p = q.get("provenance") or {}
            share = "" if "share" not in p else f"{p['share']:.2%}"
            exact = "" if "exact_quota" not in p else f"{p['exact_quota']:.3f}"
            lines.append(f"| {q['category']} | {q['value']} | {q['min']} | {q['max']} | {share} "
                         f"| {exact} | {p.get('method', '')} | {p.get('band', '')} |")
        lines += ["", t("## Algorithm and certificate"), "",
                  t("- algorithm: **{algorithm}**, backend {backend}").format(
                      algorithm=run["algorithm"], backend=run["backend_version"]),
                  t("- converged: {converged}; {message}").format(
                      converged=run["converged"], message=run["message"]),
                  t("- certified bound {bound}, gap {gap}").format(bound=run["bound"],
                                                                    gap=run["gap"]),
                  t("- {types} types, {support} profiles in the support, {seconds:.2f} s").format(
                      types=run["types"], support=run["support"], seconds=run["seconds"]), "",
                  t("## Fairness"), "",
                  t("- minimum selection probability {minimum:.4%}, maximum {maximum:.4%} "
                    "(ratio {ratio})").format(minimum=fair["minimum"], maximum=fair["maximum"],
                                              ratio="∞" if fair["max_min_ratio"] is None
                                              else f"{fair['max_min_ratio']:.4f}"),
                  t("- gini {gini:.4f}, geometric mean {mean:.4%}").format(
                      gini=fair["gini"], mean=fair["geometric_mean"]),
                  t("- share of people below k/n = {uniform:.4%}: {share:.1%}").format(
                      uniform=fair["uniform"], share=fair["share_below_uniform"]),
                  t("- people on no feasible panel: {n}").format(n=fair["uncovered"]), "",
                  t("## Groups"), "",
                  t("| category | value | pool | pool seats | expected seats | quota | census "
                    "seats | note |"), "|---|---|---:|---:|---:|---|---:|---|"]
        hidden = t(SUPPRESSED)
        for g in d["groups"]:
            census = "" if g.get("census_seats") is None else f"{g['census_seats']:.2f}"
            if g.get("suppressed", g["small_cell"]):
                pool = seats = expected = note = hidden
            else:
                pool, note = str(g["pool_count"]), ""
                seats, expected = f"{g['pool_seats']:.2f}", f"{g['expected_seats']:.2f}"
            lines.append(f"| {g['category']} | {g['value']} | {pool} | {seats} | "
                         f"{expected} | {g['quota_min']}–{g['quota_max']} | "
                         f"{census} | {note} |")
        sup = d.get("suppression") or {}
        if sup.get("cells"):
            lines += ["", t("Cells marked *{hidden}* hide a value held by fewer than {small} pool "
                            "members, or another value of the same category hidden as well so "
                            "that the first cannot be worked out from the pool size and the "
                            "other figures; the report does not say which.").format(
                                hidden=hidden, small=d["small_cell"])]
        if sup.get("unprotected"):
            lines += ["", t("**Warning:** the counts of {values} can be worked out from the "
                            "published figures even with every value hidden (a very small "
                            "pool, or quotas and probabilities that pin a value's size down). "
                            "Do not publish this report as it is.").format(
                                values=", ".join(sup["unprotected"]))]
        if d.get("lottery"):
            lot = d["lottery"]
            lines += ["", t("## Transparent lottery"), "",
                      t("- {m} tickets, SHA-256 `{digest}`").format(m=lot["m"],
                                                                    digest=lot["digest"]),
                      _rounding_line(lot, t)]
            if lot.get("alternates_per_ticket"):
                lines.append(t("- a joint lottery: every ticket also lists {count} ordered "
                               "alternate(s); a person's chance of a seat is {seat_min:.4f} "
                               "to {seat_max:.4f}, of being picked at all (seat or "
                               "alternates list) {picked_min:.4f} to {picked_max:.4f}").format(
                    count="/".join(str(c) for c in lot["alternates_per_ticket"]),
                    seat_min=lot["seat_min"], seat_max=lot["seat_max"],
                    picked_min=lot["picked_min"], picked_max=lot["picked_max"]))
        if d.get("draw"):
            dr = d["draw"]
            lines += ["", t("## Draw"), "",
                      t("- procedure `{procedure}`, seed `{seed}`").format(
                          procedure=dr["procedure"], seed=dr["seed"]),
                      t("- ticket {index} of {m} ({attempts} hash(es))").format(
                          index=dr["index"], m=dr["m"], attempts=dr["attempts"]),
                      t("- panel composition: ") + ", ".join(
                          f"{c}={v}: {n}" for c, vals in dr["composition"].items()
                          for v, n in vals.items())]
        if d.get("verification"):
            ver = d["verification"]
            lines += ["", t("## Independent verification"), "",
                      t("Verdict: **{verdict}**").format(
                          verdict=t("passed") if ver["ok"] else t("FAILED")), ""]
            lines += [f"- {_check_word(c, t)} {c['name']}: {translate(c['detail'], lang)}"
                      for c in ver["checks"]]
        return "\n".join(lines) + "\n"

def audit_report(pool: Pool, quotas: Quotas, dist: Distribution, *,
                 lottery: TransparentLottery | None = None, record: DrawRecord | None = None,
                 census: Census | None = None, verdict: Verdict | None = None,
                 invitations: Invitations | None = None,
                 registrations: Registrations | None = None,
                 households: HouseholdEffect | None = None,
                 small_cell: int = SMALL_CELL) -> AuditReport:
    """Assemble the audit report of a selection (aggregates only).

    Parameters
    ----------
    pool, quotas : Pool, Quotas
        The inputs (only their hashes and aggregates enter the report).
    dist : Distribution
        The lottery computed from them.
    lottery : TransparentLottery, optional
    record : DrawRecord, optional
        The draw; its panel enters only as counts per value.
    census : Census, optional
        Adds census seats (share × k) to the group view.
    verdict : Verdict, optional
        The independent verifier's result.
    invitations : Invitations, optional
        Stage 1: design, seed and letter counts (no address ids).
    registrations : Registrations, optional
        Counts of registrations received, accepted and rejected per reason (no values).
    households : HouseholdEffect, optional
        How the one-per-household rule changed chances.
    small_cell : int
        Values with fewer pool members than this are *small cells*. Their pool count, pool
        seats and expected seats are withheld, and so are those of further values of the same
        category (smallest count first, never a lone hidden value) until no withheld count is
        determined by the published figures (pool size, other counts and expected seats,
        quotas, panel composition, minimum and maximum probability, people on no feasible
        panel). Withheld figures are ``null`` in the JSON (the row has ``"suppressed": true``;
        ``"small_cell"`` is the same flag) and ``suppressed`` in the Markdown; small cells and
        the cells hiding them are marked alike. Quotas and census seats (public inputs) stay,
        as do all figures of other cells. Categories that even hiding every value cannot
        protect are listed in ``suppression["unprotected"]`` and flagged in the Markdown. See
        the module docstring for the full rule.

    Returns
    -------
    AuditReport
    """
    from . import __version__

    d = dist.details
    metrics = fairness_metrics(dist.marginals[dist.covered])
    uniform = quotas.panel_size / pool.n
    multi_households = 0
    if pool.households is not None:
        sizes = Counter(h for h in pool.households if h is not None)
        multi_households = sum(1 for c in sizes.values() if c > 1)
    composition: dict[str, dict[str, int]] | None = None
    if record is not None:
        index = {pid: i for i, pid in enumerate(pool.ids)}
        rows = [index[p] for p in record.panel if p in index]
        composition = {cat.name: {v: int(np.sum(pool.codes[rows, c] == j))
                                  for j, v in enumerate(cat.values)}
                       for c, cat in enumerate(pool.strata)}
    evidence = _Evidence(small_cell=small_cell, p_min=metrics.minimum, p_max=metrics.maximum,
                         uncovered=len(dist.uncovered))
    view = group_view(dist, census)
    by_category: dict[str, list[int]] = {}
    for r, g in enumerate(view):
        by_category.setdefault(g["category"], []).append(r)
    hidden_rows: set[int] = set()
    unprotected = []
    for cat_name, members in by_category.items():
        cells = []
        for r in members:
            g = view[r]
            drawn = 0 if composition is None else composition.get(cat_name, {}).get(
                g["value"], 0)
            q_min = 0 if g["quota_min"] is None else g["quota_min"]
            q_max = quotas.panel_size if g["quota_max"] is None else g["quota_max"]
            cells.append(_Cell(count=g["pool_count"], seats=g["expected_seats"],
                               floor=max(q_min, drawn), seats_min=float(q_min),
                               seats_max=float(q_max)))
        hidden, protected = _suppressed_cells(cells, evidence)
        hidden_rows.update(members[i] for i in hidden)
        if not protected:
            unprotected.append(cat_name)
    groups = []
    for r, g in enumerate(view):
        hide = r in hidden_rows
        group = {**g, "small_cell": hide, "suppressed": hide}
        if hide:
            group.update(pool_count=None, pool_seats=None, expected_seats=None)
        groups.append(group)
    quota_rows = []
    for q in quotas:
        row: dict[str, Any] = {"category": q.category, "value": q.value, "min": q.min,
                               "max": q.max}
        if q.provenance is not None:
            p = q.provenance
            row["provenance"] = {"share": float(p.share), "exact_quota": float(p.exact_quota),
                                 "seats": p.seats, "method": p.method, "band": p.band,
                                 "floor_applied": p.floor_applied, "tie": p.tie}
        quota_rows.append(row)
    data: dict[str, Any] = {
        "format": "civicsortition-audit/1",
        "library_version": __version__,
        "inputs": {"pool_sha256": pool_digest(pool), "quotas_sha256": quotas_digest(quotas),
                   "pool_size": pool.n, "panel_size": quotas.panel_size,
                   "households": multi_households},
        "quotas": quota_rows,
        "run": {"algorithm": d.algorithm, "backend": d.backend,
                "backend_version": d.backend_version, "converged": d.converged,
                "objective": json_number(d.objective), "bound": json_number(d.bound),
                "gap": json_number(d.gap),
                "message": d.message, "types": d.n_types, "seconds": d.seconds,
                "support": int((dist.probabilities > 0).sum()), "options": d.options},
        "fairness": {**metrics.as_dict(), "uniform": uniform,
                     "share_below_uniform": metrics.share_below(uniform - COMPARE_TOL),
                     "uncovered": len(dist.uncovered)},
        "groups": groups,
        "small_cell": small_cell,
        "suppression": {"cells": len(hidden_rows), "unprotected": unprotected},
    }
    if lottery is not None:
        data["lottery"] = dict(lottery.summary().items())
    if record is not None:
        data["draw"] = {"procedure": record.procedure, "digest": record.digest,
                        "seed": record.seed, "index": record.index, "m": record.m,
                        "attempts": record.attempts, "composition": composition}
    if verdict is not None:
        data["verification"] = verdict.as_dict()
    if invitations is not None:
        data["invitations"] = {
            "procedure": INVITE_PROCEDURE, "design": invitations.design,
            "seed": invitations.seed, "letters": len(invitations.invited),
            "reserves": len(invitations.reserves), "frame_size": len(invitations.frame_ids),
            "letters_by_stratum": dict(invitations.letters_by_stratum),
            "inclusion_min": float(invitations.inclusion.min()),
            "inclusion_max": float(invitations.inclusion.max())}
    if registrations is not None:
        data["registrations"] = registrations.summary()
    if households is not None:
        data["household_effect"] = {**households.as_dict(), "lines": households.lines()}
    return AuditReport(data)
