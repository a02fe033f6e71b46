"""Line cases with road access classes for the facility tests under tests/facilities/: the
line scenario of ``tests/test_facilities.py`` (sites on a 1-D road, distances |Δx|) whose
kitchen waste is collected by 20 compactors and one e-tricycle, the only class a lane admits
(``ACCESS_RULES``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from test_facilities import LineMatrix, plant, rates, scenario, station, vehicle

from wasteopt.facilities import FacilityPlan, FacilitySettings, plan_facilities
from wasteopt.scenario.model import Scenario, VehicleType

__all__ = [
    "LineMatrix",
    "kitchen_fleet",
    "plan",
    "plant",
    "rates",
    "scenario",
    "station",
    "vehicle",
    "with_access",
]

COMPACTOR = {"vehicle_class": "compactor", "count": 20}
"""8 t compactors, 10 CNY/km, 30 km/h (the line helpers' collection vehicle)."""
TRICYCLE = {
    "vehicle_class": "e_tricycle",
    "count": 1,
    "payload_kg": 600.0,
    "speed_kmh": 12.0,
    "cost_cny_per_km": 0.2,
    "cost_cny_per_hour": 35.0,
    "max_trips": 7,
}
"""One 600 kg e-tricycle at 12 km/h, 0.2 CNY/km and 35 CNY/h, 24 h shift, 7 trips."""


def kitchen_fleet(sc: Scenario, **tricycle: object) -> Scenario:
    """``sc`` with kitchen collected by :data:`COMPACTOR` and :data:`TRICYCLE` (changed by
    ``tricycle``) instead of its one collection type."""
    keep = [v for v in sc.vehicle_types if not (v.stream == "kitchen" and v.role == "collection")]
    base = vehicle("C-kitchen", "kitchen", "collection", 10.0, payload_kg=8000.0)
    tri: VehicleType = dataclasses.replace(base, id="T-kitchen", **{**TRICYCLE, **tricycle})
    return dataclasses.replace(
        sc, vehicle_types=(*keep, dataclasses.replace(base, **COMPACTOR), tri)
    )


def with_access(sc: Scenario, **access: str) -> Scenario:
    """``sc`` with point id → access class changed as given."""
    pts = tuple(dataclasses.replace(p, access=access.get(p.id, p.access)) for p in sc.points)
    return dataclasses.replace(sc, points=pts)


def plan(sc: Scenario, r: np.ndarray, m: LineMatrix, **kw: Any) -> FacilityPlan:
    """The status-quo plan within 10 s."""
    kw.setdefault("time_limit_s", 10)
    kw.setdefault("mode", "status_quo")
    return plan_facilities(sc, r, m, FacilitySettings(**kw))
