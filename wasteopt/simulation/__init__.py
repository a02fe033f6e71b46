"""Discrete-event simulation of daily operations (SimPy): plans executed over many days.

``simulate(scenario, demand=..., matrix=..., operating=OperatingPlan(...), settings=..., seed=...)``
runs collection tours with random travel, service and unload times, tipping-bay queues (per
stream where a station has its own bays), station stock compacted per stream, trailer or
container hauls (a container pool that fills, waits and blocks tipping when full), plant
capacity, backlog and overflow, carry-over and breakdowns, and returns a
:class:`SimulationResult` with daily tables, an event log, a closed mass balance and the
service level (collected share per stream against :data:`MIN_COLLECTED_SHARE`, overflow
against :data:`MAX_OVERFLOW_SHARE`), the robustness of the route plans (extra unload trips, trips
over ``max_trips`` and overtime per collection vehicle-day, :mod:`wasteopt.simulation.robustness`)
and the collection ledger (:mod:`wasteopt.simulation.ledger`).
Rules: :mod:`wasteopt.simulation.processes` and :mod:`wasteopt.operations`.
"""

from wasteopt.operations import (
    MAX_CYCLE_DAYS,
    OperatingPlan,
    Tour,
    build_operating_plan,
    cycle_length,
    cycle_tours,
    daily_tours,
)
from wasteopt.simulation.processes import DAY_S, Bays, Draws, sampler
from wasteopt.simulation.result import (
    BALANCE_TERMS,
    DAILY_COLUMNS,
    FACILITY_COLUMNS,
    ReplicationSet,
    SimulationResult,
    SimulationStatus,
)
from wasteopt.simulation.robustness import (
    MAX_AFFECTED_SHARE,
    plan_verdict,
    robustness_table,
)
from wasteopt.simulation.run import simulate, simulate_replications
from wasteopt.simulation.service import (
    MAX_OVERFLOW_SHARE,
    MIN_COLLECTED_SHARE,
    Overflow,
    PlaceLeft,
    ServiceFinding,
)
from wasteopt.simulation.settings import DISTRIBUTIONS, SimulationSettings

__all__ = [
    "BALANCE_TERMS",
    "DAILY_COLUMNS",
    "DAY_S",
    "DISTRIBUTIONS",
    "FACILITY_COLUMNS",
    "MAX_AFFECTED_SHARE",
    "MAX_CYCLE_DAYS",
    "MAX_OVERFLOW_SHARE",
    "MIN_COLLECTED_SHARE",
    "Bays",
    "Draws",
    "OperatingPlan",
    "Overflow",
    "PlaceLeft",
    "ReplicationSet",
    "ServiceFinding",
    "SimulationResult",
    "SimulationSettings",
    "SimulationStatus",
    "Tour",
    "build_operating_plan",
    "cycle_length",
    "cycle_tours",
    "daily_tours",
    "plan_verdict",
    "robustness_table",
    "sampler",
    "simulate",
    "simulate_replications",
]
