"""The whole two-stage assembly selection on the synthetic Rustavi example, as one call.

:func:`rustavi_demo` runs, in order: the synthetic address frame; a letter plan for a target
pool size; stratified invitations by district (seeded public hash order); the synthetic
registrations and their validation; quotas from the synthetic census; the LEXIMIN lottery with
the one-per-household rule and its effect on chances; the transparent lottery of ``tickets``
tickets; the public draw; the independent verifier; the audit report; a replacement for two
dropouts; and a (simulated) vote on three recommendations with the 80% rule. The ``demo``
command prints it; notebooks and tests use the returned :class:`DemoRun`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import attrs

from ..algorithms import find_distribution
from ..algorithms.endtoend import end_to_end
from ..audit import AuditReport, audit_report
from ..census import Census
from ..distribution import Distribution
from ..draw import DrawRecord, draw
from ..households import HouseholdEffect, household_effect
from ..invitations import AddressFrame, Invitations, LetterPlan, Stratified, invite, plan_letters
from ..joint import JointLottery, joint_lottery
from ..lottery import TransparentLottery, transparent_lottery
from ..propensity import PropensityFit, estimate_propensity
from ..quotas import Band, Quotas, build_quotas
from ..registrations import Registrations, validate_registrations
from ..replacements import Replacement, replace
from ..verifier import Verdict, verify_selection
from ..vote import Tally, tally
from .rustavi import (
    RUSTAVI_REFERENCE_DATE,
    rustavi_address_frame,
    rustavi_registrations,
    rustavi_synthetic_census,
)

__all__ = ["DEMO_DRAW_SEED", "DemoRun", "rustavi_demo", "simulated_votes"]

DEMO_INVITATION_SEED = "Rustavi assembly 2027 - invitations - demo seed"
DEMO_DRAW_SEED = "Rustavi assembly 2027 - panel draw - demo seed"
DEMO_REPLACEMENT_SEED = "Rustavi assembly 2027 - replacements - demo seed"
DEMO_RECOMMENDATIONS = ("More bus lanes on the main avenue", "Shade trees in every courtyard",
                        "Close the old market to cars")


@attrs.frozen(eq=False)
class DemoRun:
    """Every artefact of :func:`rustavi_demo`."""

    frame: AddressFrame
    plan: LetterPlan
    invitations: Invitations
    registrations: Registrations
    census: Census
    quotas: Quotas
    distribution: Distribution
    households: HouseholdEffect
    lottery: TransparentLottery
    record: DrawRecord
    verdict: Verdict
    report: AuditReport
    replacement: Replacement
    vote: Tally
    #: The self-selection correction: response rates fitted to the census, and the lottery
    #: closest to equal end-to-end chances (a comparison; the published draw is LEXIMIN's).
    propensity: PropensityFit
    end_to_end: Distribution
    #: The LEXIMIN tickets, each with its ordered alternates (a joint lottery).
    joint: JointLottery


#: Adults the synthetic census describes (the sum of one category's counts in its file).
DEMO_POPULATION = 100_000
#: Bootstrap resamples of the letters for the response rates' standard errors.
DEMO_REPLICATES = 100
#: Alternates per ticket of the demo's joint lottery, and the public seed of their order.
DEMO_ALTERNATES = 4
DEMO_ALTERNATES_SEED = "rustavi demo alternates"


def simulated_votes(members: Sequence[str]) -> dict[str, dict[str, str]]:
    """Deterministic made-up ballots: support 90%, 80% and 60% on the three recommendations.

    Parameters
    ----------
    members : sequence of str
        Who votes.

    Returns
    -------
    dict
        ``{recommendation: {member: "yes" | "no" | "abstain"}}`` (SHA-256 of the
        recommendation and the member: the same on every platform).
    """
    support = (0.9, 0.8, 0.6)
    out: dict[str, dict[str, str]] = {}
    for rec, s in zip(DEMO_RECOMMENDATIONS, support, strict=True):
        ballots = {}
        for m in members:
            u = int(hashlib.sha256(f"{rec}\n{m}".encode()).hexdigest()[:8], 16) / 16**8
            ballots[m] = "yes" if u < s else ("abstain" if u < s + 0.05 else "no")
        out[rec] = ballots
    return out


def rustavi_demo(*, panel_size: int = 36, target_pool: int = 300,
                 response_rate: tuple[float, float] = (0.05, 0.08),
                 invitation_seed: str = DEMO_INVITATION_SEED,
                 draw_seed: str = DEMO_DRAW_SEED, tickets: int = 1000) -> DemoRun:
    """Run the full pipeline on the synthetic Rustavi example.

    Parameters
    ----------
    panel_size : int
        Seats (default 36).
    target_pool : int
        Registrations the letter plan aims for.
    response_rate : (float, float)
        Assumed range of registrations per letter for the plan.
    invitation_seed, draw_seed : str
        Public seeds of the two lotteries.
    tickets : int
        Tickets of the transparent lottery.

    Returns
    -------
    DemoRun
    """
    census = rustavi_synthetic_census()
    frame = rustavi_address_frame()
    plan = plan_letters(target_pool, response_rate)
    population = census.shares("district")
    invitations = invite(frame, Stratified(plan.letters, by="district", population=population),
                         invitation_seed, reserves=plan.letters // 10)
    records = rustavi_registrations(invitations, frame)
    quotas = build_quotas(census, panel_size, method="largest-remainder", band=Band.seats(1),
                          floors=True)
    registrations = validate_registrations(records, quotas, reference_date=RUSTAVI_REFERENCE_DATE,
                                           invited=invitations,
                                           identity_fields=("name", "birth_date"))
    pool = registrations.pool
    dist = find_distribution(pool, quotas, algorithm="leximin", households=True)
    effect = household_effect(pool, quotas, with_rule=dist)
    lottery = transparent_lottery(dist, tickets)
    record = draw(lottery, draw_seed)
    verdict = verify_selection(pool, quotas, distribution=dist, lottery=lottery, record=record)
    report = audit_report(pool, quotas, dist, lottery=lottery, record=record, census=census,
                          verdict=verdict, invitations=invitations, registrations=registrations,
                          households=effect)
    replacement = replace(pool, quotas, record.panel, record.panel[:2], DEMO_REPLACEMENT_SEED,
                          on_infeasible="relax")
    members = replacement.panel
    vote = tally(simulated_votes(members), members, handover=RUSTAVI_REFERENCE_DATE
                 + dt.timedelta(days=120))
    fit = estimate_propensity(registrations, invitations, census,
                              population=DEMO_POPULATION, replicates=DEMO_REPLICATES, rng=1)
    corrected = end_to_end(pool, quotas, targets=fit.weights, households=True)
    joint = joint_lottery(lottery, DEMO_ALTERNATES, DEMO_ALTERNATES_SEED, pool=pool,
                          quotas=quotas, method="uniform")
    return DemoRun(frame, plan, invitations, registrations, census, quotas, dist, effect,
                   lottery, record, verdict, report, replacement, vote, fit, corrected, joint)
