"""civicsortition: fair, verifiable selection of citizens' assemblies by lot.

The public API is re-exported here; submodules are importable for the details.
"""

from __future__ import annotations

from .algorithms import ALGORITHMS, find_distribution, legacy, leximin, maximin, nash
from .apportionment import METHODS as APPORTIONMENT_METHODS
from .apportionment import Apportionment, apportion
from .census import Census, rustavi_synthetic_census
from .diagnostics import Diagnosis, Finding, diagnose
from .distribution import Distribution, RunDetails, check_distribution
from .errors import CivicSortitionError, InfeasibleError, InputError, Problem, TieError
from .examples import rustavi_synthetic_pool
from .io import (
    PeopleTable,
    read_census,
    read_people,
    read_targets,
    write_people,
    write_selected_and_remaining,
    write_targets,
)
from .pool import Pool
from .program import InfeasibleQuotasError, PanelProgram, QuotaChange
from .quotas import Band, QuotaProvenance, Quotas, ValueQuota, build_quotas
from .strata import Category, Strata

__version__ = "0.1.0.dev0"

__all__ = [
    "ALGORITHMS",
    "APPORTIONMENT_METHODS",
    "Apportionment",
    "Band",
    "Category",
    "Census",
    "CivicSortitionError",
    "Diagnosis",
    "Distribution",
    "Finding",
    "InfeasibleError",
    "InfeasibleQuotasError",
    "InputError",
    "PanelProgram",
    "PeopleTable",
    "Pool",
    "Problem",
    "QuotaChange",
    "QuotaProvenance",
    "Quotas",
    "RunDetails",
    "Strata",
    "TieError",
    "ValueQuota",
    "__version__",
    "apportion",
    "build_quotas",
    "check_distribution",
    "diagnose",
    "find_distribution",
    "legacy",
    "leximin",
    "maximin",
    "nash",
    "read_census",
    "read_people",
    "read_targets",
    "rustavi_synthetic_census",
    "rustavi_synthetic_pool",
    "write_people",
    "write_selected_and_remaining",
    "write_targets",
]
