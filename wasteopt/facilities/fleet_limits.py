"""The scarce-class limit of the station consolidation model, constraint (11) of
:mod:`wasteopt.facilities.model`: the collection work the plan gives the points only some
vehicle classes of a stream may reach must fit those classes' fleet.

For a stream s with collection classes K_s, the classes that may serve a point of access class
a are R_sa = K_s ∩ ``ACCESS_RULES[a]`` (lane: e-tricycles only). Every R_sa that is neither
empty nor all of K_s is a restricted set Γ, and gets one row: the vehicle-hours per day η_o of
the options chosen for the pairs whose R_sa ⊆ Γ (the points that only classes of Γ reach; a
lane point also counts against the residential set) must fit Σ count × H over the types of Γ.
Nested sets make these the conditions (Hall's) for the restricted work to fit the fleet class
by class. A short hour is a priced slack, so the model stays feasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wasteopt.facilities.collection import N_ACCESS, FloatArray, average_fleet, reach_classes
from wasteopt.facilities.inputs import IntArray, ModelInputs
from wasteopt.facilities.options import DemandPairs, pair_fleets
from wasteopt.scenario.model import Scenario

__all__ = ["FleetLimits", "fleet_limits", "limit_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetLimits:
    """Rows r of constraint (11): stream ``stream[r]``, its restricted vehicle class set
    ``classes[r]`` (class ids joined by "+"), the fleets g (s · N_ACCESS + access slot) whose
    pairs only those classes reach (``fleets[r]``), the hours the set's vehicles work per day
    (``capacity_h``: Σ count × H) and the price of one hour per day short
    (``penalty_cny_per_year_per_h``)."""

    stream: IntArray
    classes: tuple[str, ...]
    fleets: tuple[IntArray, ...]
    capacity_h: FloatArray
    penalty_cny_per_year_per_h: FloatArray


def fleet_limits(
    scenario: Scenario, inputs: ModelInputs, days_per_year: float, penalty_cny_per_t: float
) -> FleetLimits:
    """One row per active stream and restricted class set (module docstring), streams in
    order, then smaller sets first. A short hour costs the shortfall penalty of the tonnes
    a vehicle of the set collects in an hour at most: ψ = Q · T / (1000 · H) t/h of the set's
    count-weighted fleet."""
    stream: list[int] = []
    labels: list[str] = []
    fleets: list[IntArray] = []
    capacity: list[float] = []
    penalty: list[float] = []
    for s in inputs.active_streams:
        sid = scenario.streams[s].id
        reach = reach_classes(scenario, sid)
        every = frozenset().union(*reach)
        for classes in sorted({r for r in reach if r and r != every}, key=_set_order):
            fleet = average_fleet(scenario, sid, "collection", classes)
            if fleet is None:  # unreachable: a non-empty reach set has a type of each class
                continue
            slots = [a for a, r in enumerate(reach) if r and r <= classes]
            load_t = min(fleet.payload_kg, fleet.volume_m3 * scenario.streams[s].density_kg_per_m3)
            psi = load_t / 1000.0 * fleet.max_trips / fleet.shift_h
            stream.append(s)
            labels.append("+".join(sorted(classes)))
            fleets.append(np.array([s * N_ACCESS + a for a in slots], dtype=np.int64))
            capacity.append(_fleet_hours(scenario, sid, classes))
            penalty.append(days_per_year * penalty_cny_per_t * psi)
    return FleetLimits(
        stream=np.array(stream, dtype=np.int64),
        classes=tuple(labels),
        fleets=tuple(fleets),
        capacity_h=np.array(capacity, dtype=float),
        penalty_cny_per_year_per_h=np.array(penalty, dtype=float),
    )


def _set_order(classes: frozenset[str]) -> tuple[int, tuple[str, ...]]:
    return len(classes), tuple(sorted(classes))


def _fleet_hours(scenario: Scenario, stream: str, classes: frozenset[str]) -> float:
    """Σ count × H over the collection types of ``stream`` in ``classes`` (H: the shift less
    lunch, at least an hour, as in the fleet averages)."""
    return float(
        sum(
            v.count * max(v.shift_end_s - v.shift_start_s - v.lunch_duration_s, 3600) / 3600.0
            for v in scenario.vehicle_types
            if v.stream == stream and v.role == "collection" and v.effective_class in classes
        )
    )


def limit_options(
    limits: FleetLimits, scenario: Scenario, pairs: DemandPairs, opt_pair: IntArray
) -> tuple[IntArray, IntArray]:
    """The options of each row in compressed rows: row r's are ``opt[ptr[r]:ptr[r + 1]]``,
    the options (of ``pairs``, point or zone pairs) whose pair's fleet is one of
    ``limits.fleets[r]``."""
    opt_fleet = pair_fleets(scenario, pairs.point, pairs.stream)[opt_pair]
    rows = [np.flatnonzero(np.isin(opt_fleet, f)).astype(np.int64) for f in limits.fleets]
    ptr = np.concatenate([[0], np.cumsum([len(r) for r in rows], dtype=np.int64)])
    opt = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    return ptr.astype(np.int64), opt.astype(np.int64)
