"""The audit report: everything needed to judge a selection, and no personal data.

An :class:`AuditReport` holds SHA-256 hashes of the inputs (so a published file can be matched
to the run without publishing it), the quotas with their provenance, the algorithm, backend,
versions and optimality certificate, fairness metrics, the per-value group view, the lottery
digest and rounding deviation, the draw record (digest, seed, ticket number; the panel only as
counts per value) and the independent verifier's verdict. It never contains a name, an id or a
household key: only aggregates. Values held by fewer than ``small_cell`` pool members are
flagged and their counts suppressed, as a published count of 1 or 2 could identify someone.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import attrs
import numpy as np

from .census import Census
from .distribution import Distribution, json_number
from .draw import DrawRecord
from .fairness import fairness_metrics, group_view
from .households import HouseholdEffect
from .invitations import INVITE_PROCEDURE, Invitations
from .lottery import TransparentLottery
from .numerics import COMPARE_TOL
from .pool import Pool
from .quotas import Quotas
from .registrations import Registrations
from .verifier import Verdict

__all__ = ["AuditReport", "audit_report", "pool_digest", "quotas_digest"]

SMALL_CELL = 5


def _sha(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


@attrs.frozen(eq=False)
class AuditReport:
    """Aggregates of one selection; export with :meth:`to_json` or :meth:`to_markdown`."""

    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the report's content."""
        out: dict[str, Any] = json.loads(self.to_json())
        return out

    def to_json(self) -> str:
        """JSON text (UTF-8 safe, keys in a fixed order)."""
        return json.dumps(self.data, ensure_ascii=False, indent=1)

    def to_markdown(self) -> str:
        """A human-readable Markdown report."""
        d = self.data
        run, fair = d["run"], d["fairness"]
        lines = ["# Selection audit report", "",
                 f"Created with civicsortition {d['library_version']}. No names or ids of "
                 "people appear in this report.", "",
                 "## Inputs", "",
                 f"- pool: {d['inputs']['pool_size']} registrations, "
                 f"{d['inputs']['households']} multi-person households; "
                 f"SHA-256 `{d['inputs']['pool_sha256']}`",
                 f"- quotas: panel of {d['inputs']['panel_size']}; SHA-256 "
                 f"`{d['inputs']['quotas_sha256']}`", ""]
        if d.get("invitations"):
            inv = d["invitations"]
            lines += ["## Invitations", "",
                      f"- design: {inv['design']}; procedure `{inv['procedure']}`, seed "
                      f"`{inv['seed']}`",
                      f"- {inv['letters']} letters, {inv['reserves']} reserves, from a frame of "
                      f"{inv['frame_size']} addresses; inclusion probability "
                      f"{inv['inclusion_min']:.4%} to {inv['inclusion_max']:.4%}",
                      "- letters per stratum: " + ", ".join(
                          f"{k}: {v}" for k, v in inv["letters_by_stratum"].items()), ""]
        if d.get("registrations"):
            reg = d["registrations"]
            lines += ["## Registrations", "",
                      f"- {reg['received']} received, {reg['accepted']} accepted, "
                      f"{reg['rejected']} rejected (reference date {reg['reference_date']}); "
                      f"{reg['multi_person_households']} addresses with more than one "
                      "registration",
                      "- rejections by reason: " + ", ".join(
                          f"{k}: {v}" for k, v in reg["reasons"].items()), ""]
        if d.get("household_effect"):
            lines += ["## Households", ""]
            lines += [f"- {line}" for line in d["household_effect"]["lines"]] + [""]
        lines += ["## Quotas", "",
                 "| category | value | min | max | census share | exact quota | method | band |",
                 "|---|---|---:|---:|---:|---:|---|---|"]
        for q in d["quotas"]:
            p = q.get("provenance") or {}
            share = "" if "share" not in p else f"{p['share']:.2%}"
            exact = "" if "exact_quota" not in p else f"{p['exact_quota']:.3f}"
            lines.append(f"| {q['category']} | {q['value']} | {q['min']} | {q['max']} | {share} "
                         f"| {exact} | {p.get('method', '')} | {p.get('band', '')} |")
        lines += ["", "## Algorithm and certificate", "",
                  f"- algorithm: **{run['algorithm']}**, backend {run['backend_version']}",
                  f"- converged: {run['converged']}; {run['message']}",
                  f"- certified bound {run['bound']}, gap {run['gap']}",
                  f"- {run['types']} types, {run['support']} profiles in the support, "
                  f"{run['seconds']:.2f} s", "",
                  "## Fairness", "",
                  f"- minimum selection probability {fair['minimum']:.4%}, maximum "
                  f"{fair['maximum']:.4%} (ratio {fair['max_min_ratio']:.4f})",
                  f"- gini {fair['gini']:.4f}, geometric mean {fair['geometric_mean']:.4%}",
                  f"- share of people below k/n = {fair['uniform']:.4%}: "
                  f"{fair['share_below_uniform']:.1%}",
                  f"- people on no feasible panel: {fair['uncovered']}", "",
                  "## Groups", "",
                  "| category | value | pool | pool seats | expected seats | quota | census seats "
                  "| note |", "|---|---|---:|---:|---:|---|---:|---|"]
        for g in d["groups"]:
            census = "" if g.get("census_seats") is None else f"{g['census_seats']:.2f}"
            pool = f"<{d['small_cell']}" if g["small_cell"] else str(g["pool_count"])
            lines.append(f"| {g['category']} | {g['value']} | {pool} | {g['pool_seats']:.2f} | "
                         f"{g['expected_seats']:.2f} | {g['quota_min']}–{g['quota_max']} | "
                         f"{census} | {'small cell' if g['small_cell'] else ''} |")
        if d.get("lottery"):
            lot = d["lottery"]
            lines += ["", "## Transparent lottery", "",
                      f"- {lot['m']} tickets, SHA-256 `{lot['digest']}`",
                      f"- rounding {lot.get('method')}: largest change of a person's "
                      f"probability {lot.get('max_abs_deviation', float('nan')):.4f}"]
        if d.get("draw"):
            dr = d["draw"]
            lines += ["", "## Draw", "",
                      f"- procedure `{dr['procedure']}`, seed `{dr['seed']}`",
                      f"- ticket {dr['index']} of {dr['m']} ({dr['attempts']} hash(es))",
                      "- panel composition: " + ", ".join(
                          f"{c}={v}: {n}" for c, vals in dr["composition"].items()
                          for v, n in vals.items())]
        if d.get("verification"):
            ver = d["verification"]
            lines += ["", "## Independent verification", "",
                      f"Verdict: **{'passed' if ver['ok'] else 'FAILED'}**", ""]
            lines += [f"- {'ok' if c['ok'] else 'FAILED'} {c['name']}: {c['detail']}"
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
        Values with fewer pool members than this are flagged and their counts suppressed.

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
    groups = []
    for g in group_view(dist, census):
        small = g["pool_count"] < small_cell
        groups.append({**g, "pool_count": None if small else g["pool_count"],
                       "small_cell": small})
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
    }
    if lottery is not None:
        data["lottery"] = dict(lottery.summary().items())
    if record is not None:
        index = {pid: i for i, pid in enumerate(pool.ids)}
        rows = [index[p] for p in record.panel if p in index]
        composition = {cat.name: {v: int(np.sum(pool.codes[rows, c] == j))
                                  for j, v in enumerate(cat.values)}
                       for c, cat in enumerate(pool.strata)}
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
