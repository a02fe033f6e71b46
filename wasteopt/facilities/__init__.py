"""Facility consolidation: which transfer stations stay, close or are built, where every point
unloads each stream, and what flows to the treatment plants (Pyomo MILP solved by HiGHS).

The model is stated in :mod:`wasteopt.facilities.model`; Beasley's OR-Library capacitated
warehouse instances, solved through the same adapter, are in :mod:`wasteopt.facilities.instances`.
"""

from wasteopt.facilities.collection import DistanceSource
from wasteopt.facilities.compare import plan_variants, write_plan
from wasteopt.facilities.instances import CFLPInstance, CFLPResult, read_orlib_cap, solve_cflp
from wasteopt.facilities.plan import COST_TERMS, FacilityPlan, FacilityStatus, HaulNeed
from wasteopt.facilities.policy import PolicyCost, policy_cost
from wasteopt.facilities.settings import (
    CostSettings,
    FacilitySettings,
    PlanMode,
    Planning,
    capital_recovery_factor,
    resolve_planning,
)
from wasteopt.facilities.solve import plan_facilities

__all__ = [
    "COST_TERMS",
    "CFLPInstance",
    "CFLPResult",
    "CostSettings",
    "DistanceSource",
    "FacilityPlan",
    "FacilitySettings",
    "FacilityStatus",
    "HaulNeed",
    "PlanMode",
    "Planning",
    "PolicyCost",
    "capital_recovery_factor",
    "plan_facilities",
    "plan_variants",
    "policy_cost",
    "read_orlib_cap",
    "resolve_planning",
    "solve_cflp",
    "write_plan",
]
