"""Quick necessary conditions checked before any solver runs.

These checks are *necessary* for a feasible panel to exist, not sufficient: quotas of different
categories interact (all women in the pool may be young, say), which only the panel program can
decide. They are cheap, exact and explain themselves, so they run first.
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np

from ._i18n import say, tr, translate
from .pool import Pool, household_count
from .quotas import Quotas, ValueQuota

__all__ = ["Diagnosis", "Finding", "diagnose"]

Severity = Literal["error", "warning"]


@attrs.frozen
class Finding:
    """One result of :func:`diagnose`.

    Attributes
    ----------
    code : str
        Stable identifier, e.g. ``"pool-below-min"``.
    severity : {"error", "warning"}
        ``"error"``: no panel can exist; ``"warning"``: suspicious but not blocking.
    message : str
        Explanation with the numbers involved.
    category, value : str or None
        The quota row concerned, if any.
    """

    code: str
    severity: Severity
    message: str
    category: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        # In the current language; the code and the severity's key never change.
        label = say("error") if self.severity == "error" else say("warning")
        return f"{label}: [{self.code}] {translate(self.message)}"


@attrs.frozen
class Diagnosis:
    """All findings; :attr:`ok` is False when any is an error."""

    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True if no finding is an error."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``"error"``."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings of severity ``"warning"``."""
        return tuple(f for f in self.findings if f.severity == "warning")

    def _repr_html_(self) -> str:
        from ._html import card, table

        verdict = "no problem found" if not self.findings else (
            "necessary conditions hold" if self.ok else "the quotas cannot be met")
        rows = [(f.severity, f.code, f.message) for f in self.findings]
        return card(f"Diagnosis: {verdict}",
                    [("errors", len(self.errors)), ("warnings", len(self.warnings))],
                    [("findings", table(["severity", "code", "finding"], rows))] if rows else [])

    def codes(self) -> tuple[str, ...]:
        """Codes of all findings, in order."""
        return tuple(f.code for f in self.findings)

    def __str__(self) -> str:
        if not self.findings:
            return "no problems found"
        return "\n".join(str(f) for f in self.findings)


def diagnose(pool: Pool, quotas: Quotas, *, households: bool = True) -> Diagnosis:
    """Check necessary conditions for a panel of ``quotas.panel_size`` to exist.

    Findings (codes):

    * ``panel-larger-than-pool`` (error): ``k > n``;
    * ``fewer-households-than-seats`` (error): with the one-per-household rule (``households``
      and a pool with household keys), fewer distinct households than seats (people without
      a key count singly);
    * ``category-min-exceeds-panel`` (error): ``Σ_v min_{f,v} > k`` for a category ``f``;
    * ``category-max-below-panel`` (error): ``Σ_v max_{f,v} < k`` (values without a quota
      row count as unbounded);
    * ``pool-below-min`` (error): fewer people with a value than its ``min``;
    * ``category-missing-in-pool`` (error): a quota category that the pool does not have;
    * ``quota-for-absent-value`` (warning; an error when ``min > 0``, already reported as
      ``pool-below-min``): a quota for a value nobody in the pool has;
    * ``value-without-quota`` (warning): pool members have a value with no quota row (it is
      unconstrained);
    * ``category-without-quota`` (warning): a pool category the quota table never mentions.

    Joint rows (``sex×age=female×18-29``) get the same checks per joint category (the rows of
    ``sex×age`` are disjoint: ``Σ min <= k``, ``Σ max >= k`` when they cover the pool, ``min``
    no more than the people holding the combination), and two against the single rows:

    * ``joint-min-exceeds-margin`` (error): the minimums of the joint rows with
      ``sex=female`` add up to more than the maximum of ``sex=female``;
    * ``joint-max-below-margin`` (error): their maximums add up to less than its minimum,
      while every pool member with ``sex=female`` is counted by one of them.

    Parameters
    ----------
    pool : Pool
    quotas : Quotas
    households : bool
        Whether the one-per-household rule applies (it does only when the pool has keys).

    Returns
    -------
    Diagnosis
    """
    k = quotas.panel_size
    out: list[Finding] = []
    if k > pool.n:
        out.append(Finding("panel-larger-than-pool", "error",
                           tr("the panel needs {k} people but the pool has only {n}",
                              k=k, n=pool.n)))
    elif households and pool.households is not None:
        homes = household_count(pool.households)
        if homes < k:
            out.append(Finding("fewer-households-than-seats", "error",
                               tr("the pool has {homes} households for {k} seats: at most "
                                  "one person per household can sit", homes=homes, k=k)))
    counts = pool.value_counts()
    pool_names = {c.name.casefold(): c for c in pool.strata}
    for cat in quotas.strata:
        rows = quotas.category(cat.name)
        pcat = pool_names.get(cat.name.casefold())
        if pcat is None:
            out.append(Finding("category-missing-in-pool", "error",
                               tr("the quotas constrain category {name!r}, which the pool does "
                                  "not have", name=cat.name), category=cat.name))
            continue
        sum_min = sum(q.min for q in rows)
        if sum_min > k:
            out.append(Finding("category-min-exceeds-panel", "error",
                               tr("the minimums of {name!r} add up to {sum_min}, more than the "
                                  "{k} seats", name=cat.name, sum_min=sum_min, k=k),
                               category=cat.name))
        unquoted = [v for v in pcat.values if v not in cat.values
                    and counts[(pcat.name, v)] > 0]
        sum_max = sum(min(q.max, k) for q in rows) + (k if unquoted else 0)
        if sum_max < k:
            out.append(Finding("category-max-below-panel", "error",
                               tr("the maximums of {name!r} add up to {sum_max}, fewer than the "
                                  "{k} seats", name=cat.name, sum_max=sum_max, k=k),
                               category=cat.name))
        for q in rows:
            have = counts.get((pcat.name, q.value), 0)
            if have < q.min:
                out.append(Finding("pool-below-min", "error",
                                   tr("{name}={value} needs at least {min} but the pool has "
                                      "{have}", name=cat.name, value=q.value, min=q.min, have=have),
                                   category=cat.name, value=q.value))
            elif have == 0:
                out.append(Finding("quota-for-absent-value", "warning",
                                   tr("there is a quota for {name}={value} but nobody in the "
                                      "pool has it", name=cat.name, value=q.value),
                                   category=cat.name, value=q.value))
        for v in unquoted:
            out.append(Finding("value-without-quota", "warning",
                               tr("{counts} people have {name}={v}, which has no quota row "
                                  "(unconstrained)",
                                  counts=counts[(pcat.name, v)],
                                  name=pcat.name, v=v), category=pcat.name, value=v))
    out.extend(_joint_findings(pool, quotas))
    quota_names = {c.casefold() for c in quotas.strata.names}
    for pcat in pool.strata:
        if pcat.name.casefold() not in quota_names:
            out.append(Finding("category-without-quota", "warning",
                               tr("the pool has category {name!r} but no quota mentions it",
                                  name=pcat.name),
                               category=pcat.name))
    return Diagnosis(tuple(out))


def _joint_findings(pool: Pool, quotas: Quotas) -> list[Finding]:
    """The checks of :func:`diagnose` for the joint rows, per joint category."""
    k = quotas.panel_size
    out: list[Finding] = []
    groups: dict[str, list[ValueQuota]] = {}
    for q in quotas.joint:
        groups.setdefault(q.category.casefold(), []).append(q)
    pool_names = {c.name.casefold() for c in pool.strata}
    for rows in groups.values():
        name = rows[0].category
        missing = [c for c in rows[0].categories if c.casefold() not in pool_names]
        if missing:
            out.append(Finding("category-missing-in-pool", "error",
                               tr("the quotas constrain category {name!r}, which the pool does "
                                  "not have", name=missing[0]), category=name))
            continue
        masks = [q.mask(pool) for q in rows]
        covered = np.logical_or.reduce(masks)
        sum_min = sum(q.min for q in rows)
        if sum_min > k:
            out.append(Finding("category-min-exceeds-panel", "error",
                               tr("the minimums of {name!r} add up to {sum_min}, more than the "
                                  "{k} seats", name=name, sum_min=sum_min, k=k), category=name))
        sum_max = sum(min(q.max, k) for q in rows) + (k if not covered.all() else 0)
        if sum_max < k:
            out.append(Finding("category-max-below-panel", "error",
                               tr("the maximums of {name!r} add up to {sum_max}, fewer than the "
                                  "{k} seats", name=name, sum_max=sum_max, k=k), category=name))
        for q, mask in zip(rows, masks, strict=True):
            have = int(mask.sum())
            if have < q.min:
                out.append(Finding("pool-below-min", "error",
                                   tr("{name}={value} needs at least {min} but the pool has "
                                      "{have}", name=name, value=q.value, min=q.min, have=have),
                                   category=name, value=q.value))
            elif have == 0:
                out.append(Finding("quota-for-absent-value", "warning",
                                   tr("there is a quota for {name}={value} but nobody in the "
                                      "pool has it", name=name, value=q.value),
                                   category=name, value=q.value))
        for pos, cat in enumerate(rows[0].categories):
            for single in quotas.category(cat):
                part = [j for j, q in enumerate(rows) if q.parts[pos][1] == single.value]
                if not part:
                    continue
                low = sum(rows[j].min for j in part)
                if low > single.max:
                    out.append(Finding("joint-min-exceeds-margin", "error",
                                       tr("the minimums of the {name} rows with {cat}={value} "
                                          "add up to {low}, more than its maximum {max}",
                                          name=name, cat=single.category, value=single.value,
                                          low=low, max=single.max),
                                       category=single.category, value=single.value))
                holders = single.mask(pool)
                counted = np.logical_or.reduce([masks[j] for j in part])
                high = sum(rows[j].max for j in part)
                if high < single.min and not (holders & ~counted).any():
                    out.append(Finding("joint-max-below-margin", "error",
                                       tr("the maximums of the {name} rows with {cat}={value} "
                                          "add up to {high}, less than its minimum {min}",
                                          name=name, cat=single.category, value=single.value,
                                          high=high, min=single.min),
                                       category=single.category, value=single.value))
    return out
