"""civicsortition: fair, verifiable selection of citizens' assemblies by lot.

The package root is the organiser's and embedder's API: the nouns (strata, pool, census,
quotas), stage 1 (invitations, registrations), the selection algorithms, the transparent
lottery and public draw, the verifier, the audit report, replacements, the vote, and every
file reader and writer. Research tooling lives in :mod:`civicsortition.research`, the embedded
synthetic Rustavi example in :mod:`civicsortition.examples`.

Names are loaded on first use, so ``import civicsortition`` does not load SciPy or a solver
until something solves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._deprecated import moved_names
from ._lazy import lazy_exports

__version__ = "0.1.0.dev0"

if TYPE_CHECKING:
    from . import examples, research
    from ._frames import to_frame
    from .algorithms import ALGORITHMS, find_distribution, legacy, leximin, maximin, nash
    from .apportionment import METHODS as APPORTIONMENT_METHODS
    from .apportionment import Apportionment, apportion
    from .audit import AuditReport, audit_report
    from .census import Census
    from .diagnostics import Diagnosis, Finding, diagnose
    from .distribution import Distribution, RunDetails, check_distribution
    from .draw import DrawRecord, DrawVerdict, draw, draw_exact, verify
    from .errors import (
        CivicSortitionError,
        InfeasibleError,
        InfeasibleQuotasError,
        InputError,
        Problem,
        QuotaChange,
        SolverError,
        TieError,
    )
    from .fairness import FairnessMetrics, compare, fairness_metrics, group_view, plot_probabilities
    from .households import HouseholdEffect, household_effect
    from .invitations import (
        AddressFrame,
        Invitations,
        LetterPlan,
        Oversample,
        SimpleRandom,
        Stratified,
        expected_registrations,
        invite,
        plan_letters,
    )
    from .io import (
        PeopleTable,
        Table,
        open_table,
        read_address_frame,
        read_census,
        read_invited,
        read_people,
        read_registrations,
        read_result,
        read_targets,
        read_votes,
        result_distribution,
        write_invitations,
        write_people,
        write_registrations,
        write_selected_and_remaining,
        write_targets,
    )
    from .lottery import TransparentLottery, transparent_lottery
    from .pool import Pool
    from .program import PanelProgram
    from .quotas import Band, QuotaProvenance, Quotas, ValueQuota, build_quotas
    from .registrations import (
        REJECTION_REASONS,
        Registrations,
        Rejection,
        age_on,
        registration_problems,
        validate_registrations,
    )
    from .replacements import (
        Alternates,
        Replacement,
        fill_from_alternates,
        prepare_alternates,
        replace,
        residual_quotas,
    )
    from .strata import Category, Strata
    from .verifier import Check, Verdict, verify_selection
    from .vote import Outcome, Tally, answer_due, required_votes, tally

#: Public name -> the module that defines it (loaded on first access).
_EXPORTS: dict[str, str] = {
    "ALGORITHMS": ".algorithms",
    "find_distribution": ".algorithms",
    "legacy": ".algorithms",
    "leximin": ".algorithms",
    "maximin": ".algorithms",
    "nash": ".algorithms",
    "examples": ".examples:",
    "to_frame": "._frames",
    "research": ".research:",
    "APPORTIONMENT_METHODS": ".apportionment:METHODS",
    "Apportionment": ".apportionment",
    "apportion": ".apportionment",
    "AuditReport": ".audit",
    "audit_report": ".audit",
    "Census": ".census",
    "Diagnosis": ".diagnostics",
    "Finding": ".diagnostics",
    "diagnose": ".diagnostics",
    "Distribution": ".distribution",
    "RunDetails": ".distribution",
    "check_distribution": ".distribution",
    "DrawRecord": ".draw",
    "DrawVerdict": ".draw",
    "draw": ".draw",
    "draw_exact": ".draw",
    "verify": ".draw",
    "CivicSortitionError": ".errors",
    "InfeasibleError": ".errors",
    "InfeasibleQuotasError": ".errors",
    "InputError": ".errors",
    "Problem": ".errors",
    "QuotaChange": ".errors",
    "SolverError": ".errors",
    "TieError": ".errors",
    "FairnessMetrics": ".fairness",
    "compare": ".fairness",
    "fairness_metrics": ".fairness",
    "group_view": ".fairness",
    "plot_probabilities": ".fairness",
    "HouseholdEffect": ".households",
    "household_effect": ".households",
    "AddressFrame": ".invitations",
    "Invitations": ".invitations",
    "LetterPlan": ".invitations",
    "Oversample": ".invitations",
    "SimpleRandom": ".invitations",
    "Stratified": ".invitations",
    "expected_registrations": ".invitations",
    "invite": ".invitations",
    "plan_letters": ".invitations",
    "PeopleTable": ".io",
    "Table": ".io",
    "open_table": ".io",
    "read_address_frame": ".io",
    "read_census": ".io",
    "read_invited": ".io",
    "read_people": ".io",
    "read_registrations": ".io",
    "read_result": ".io",
    "read_targets": ".io",
    "read_votes": ".io",
    "result_distribution": ".io",
    "write_invitations": ".io",
    "write_people": ".io",
    "write_registrations": ".io",
    "write_selected_and_remaining": ".io",
    "write_targets": ".io",
    "TransparentLottery": ".lottery",
    "transparent_lottery": ".lottery",
    "Pool": ".pool",
    "PanelProgram": ".program",
    "Band": ".quotas",
    "QuotaProvenance": ".quotas",
    "Quotas": ".quotas",
    "ValueQuota": ".quotas",
    "build_quotas": ".quotas",
    "REJECTION_REASONS": ".registrations",
    "Registrations": ".registrations",
    "Rejection": ".registrations",
    "age_on": ".registrations",
    "registration_problems": ".registrations",
    "validate_registrations": ".registrations",
    "Alternates": ".replacements",
    "Replacement": ".replacements",
    "fill_from_alternates": ".replacements",
    "prepare_alternates": ".replacements",
    "replace": ".replacements",
    "residual_quotas": ".replacements",
    "Category": ".strata",
    "Strata": ".strata",
    "Check": ".verifier",
    "Verdict": ".verifier",
    "verify_selection": ".verifier",
    "Outcome": ".vote",
    "Tally": ".vote",
    "answer_due": ".vote",
    "required_votes": ".vote",
    "tally": ".vote",
}

#: Names that moved out of the root in 0.2; they keep working, with a DeprecationWarning.
_MOVED: dict[str, str] = {
    "Comparison": "civicsortition.research",
    "Task": "civicsortition.research",
    "compare_algorithms": "civicsortition.research",
    "grid": "civicsortition.research",
    "read_results": "civicsortition.research",
    "run_grid": "civicsortition.research",
    "synthetic_instance": "civicsortition.research",
    "rustavi_example": "civicsortition.examples",
    "rustavi_synthetic_census": "civicsortition.examples",
    "rustavi_synthetic_pool": "civicsortition.examples",
}

__all__ = [
    "ALGORITHMS",
    "APPORTIONMENT_METHODS",
    "REJECTION_REASONS",
    "AddressFrame",
    "Alternates",
    "Apportionment",
    "AuditReport",
    "Band",
    "Category",
    "Census",
    "Check",
    "CivicSortitionError",
    "Diagnosis",
    "Distribution",
    "DrawRecord",
    "DrawVerdict",
    "FairnessMetrics",
    "Finding",
    "HouseholdEffect",
    "InfeasibleError",
    "InfeasibleQuotasError",
    "InputError",
    "Invitations",
    "LetterPlan",
    "Outcome",
    "Oversample",
    "PanelProgram",
    "PeopleTable",
    "Pool",
    "Problem",
    "QuotaChange",
    "QuotaProvenance",
    "Quotas",
    "Registrations",
    "Rejection",
    "Replacement",
    "RunDetails",
    "SimpleRandom",
    "SolverError",
    "Strata",
    "Stratified",
    "Table",
    "Tally",
    "TieError",
    "TransparentLottery",
    "ValueQuota",
    "Verdict",
    "__version__",
    "age_on",
    "answer_due",
    "apportion",
    "audit_report",
    "build_quotas",
    "check_distribution",
    "compare",
    "diagnose",
    "draw",
    "draw_exact",
    "examples",
    "expected_registrations",
    "fairness_metrics",
    "fill_from_alternates",
    "find_distribution",
    "group_view",
    "household_effect",
    "invite",
    "legacy",
    "leximin",
    "maximin",
    "nash",
    "open_table",
    "plan_letters",
    "plot_probabilities",
    "prepare_alternates",
    "read_address_frame",
    "read_census",
    "read_invited",
    "read_people",
    "read_registrations",
    "read_result",
    "read_targets",
    "read_votes",
    "registration_problems",
    "replace",
    "required_votes",
    "research",
    "residual_quotas",
    "result_distribution",
    "tally",
    "to_frame",
    "transparent_lottery",
    "validate_registrations",
    "verify",
    "verify_selection",
    "write_invitations",
    "write_people",
    "write_registrations",
    "write_selected_and_remaining",
    "write_targets",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS,
                                   deprecated=moved_names(__name__, _MOVED))
