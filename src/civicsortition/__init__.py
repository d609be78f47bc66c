"""civicsortition: fair, verifiable selection of citizens' assemblies by lot.

The public API is re-exported here; submodules are importable for the details.
"""

from __future__ import annotations

from .algorithms import ALGORITHMS, find_distribution, legacy, leximin, maximin, nash
from .apportionment import METHODS as APPORTIONMENT_METHODS
from .apportionment import Apportionment, apportion
from .audit import AuditReport, audit_report
from .census import Census, rustavi_synthetic_census
from .diagnostics import Diagnosis, Finding, diagnose
from .distribution import Distribution, RunDetails, check_distribution
from .draw import DrawRecord, DrawVerdict, draw, draw_exact, verify
from .errors import CivicSortitionError, InfeasibleError, InputError, Problem, TieError
from .examples import rustavi_example, rustavi_synthetic_pool
from .experiments import Comparison, Task, compare_algorithms, grid, read_results, run_grid
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
from .program import InfeasibleQuotasError, PanelProgram, QuotaChange
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
from .synthetic import synthetic_instance
from .verifier import Check, Verdict, verify_selection
from .vote import Outcome, Tally, answer_due, required_votes, tally

__version__ = "0.1.0.dev0"

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
    "Comparison",
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
    "Strata",
    "Stratified",
    "Tally",
    "Task",
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
    "compare_algorithms",
    "diagnose",
    "draw",
    "draw_exact",
    "expected_registrations",
    "fairness_metrics",
    "fill_from_alternates",
    "find_distribution",
    "grid",
    "group_view",
    "household_effect",
    "invite",
    "legacy",
    "leximin",
    "maximin",
    "nash",
    "plan_letters",
    "plot_probabilities",
    "prepare_alternates",
    "read_address_frame",
    "read_census",
    "read_invited",
    "read_people",
    "read_registrations",
    "read_result",
    "read_results",
    "read_targets",
    "read_votes",
    "registration_problems",
    "replace",
    "required_votes",
    "residual_quotas",
    "result_distribution",
    "run_grid",
    "rustavi_example",
    "rustavi_synthetic_census",
    "rustavi_synthetic_pool",
    "synthetic_instance",
    "tally",
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
