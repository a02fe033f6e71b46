"""wasteopt: logistics planning for sorted municipal waste.

The public API, by stage (scenario → demand → facility plan → routes → simulation → report)::

    load_scenario, validate_scenario, apply_variant, Scenario     # wasteopt.scenario
    build_matrix, TravelMatrix                                    # wasteopt.network
    generate, Demand                                              # wasteopt.generation
    plan_facilities, FacilitySettings, FacilityPlan               # wasteopt.facilities
    build_problem, RoutingProblem, solve, RoutingSettings,        # wasteopt.routing
    RoutePlan, check_plan
    Deadline                                                      # wasteopt.clock: time budgets

Names are imported on first use so that ``import wasteopt`` (and ``wasteopt --version``) stays
fast and no solver library is loaded before it is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "load_scenario": "wasteopt.scenario",
    "validate_scenario": "wasteopt.scenario",
    "apply_variant": "wasteopt.scenario",
    "Scenario": "wasteopt.scenario",
    "build_matrix": "wasteopt.network",
    "TravelMatrix": "wasteopt.network",
    "generate": "wasteopt.generation",
    "Demand": "wasteopt.generation",
    "plan_facilities": "wasteopt.facilities",
    "FacilityPlan": "wasteopt.facilities",
    "FacilitySettings": "wasteopt.facilities.settings",
    "build_problem": "wasteopt.routing.build",
    "RoutingProblem": "wasteopt.routing.problem",
    "solve": "wasteopt.routing.solve",
    "RoutingSettings": "wasteopt.routing.settings",
    "Deadline": "wasteopt.clock",
    "RoutePlan": "wasteopt.routing.plan",
    "check_plan": "wasteopt.routing.check",
    "ScenarioError": "wasteopt.errors",
    "InputError": "wasteopt.errors",
    "SolverUnavailable": "wasteopt.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wasteopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
