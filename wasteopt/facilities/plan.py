"""A facility plan: which stations are open, who unloads where, and what flows to the plants.

Produced by :func:`wasteopt.facilities.plan_facilities`; the model behind it is stated in
:mod:`wasteopt.facilities.model`. Mappings are plain dicts (picklable); treat them as read-only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

__all__ = ["COST_TERMS", "FacilityPlan", "FacilityStatus", "FleetHours", "HaulNeed"]

FacilityStatus = Literal[
    "optimal", "time_limit", "capacity_short", "infeasible", "no_solution", "error"
]
"""``optimal``: proven optimal within ``mip_gap`` and every capacity respected;
``time_limit``: the best plan found when the time limit stopped the search (capacities respected);
``capacity_short``: the best plan needs more capacity than some station or plant has — see
``shortfalls_t_per_day`` — or more vehicle-hours than a restricted vehicle class set has — see
``fleet_shortfalls_h_per_day``; ``infeasible``: no plan exists (e.g. a point with no station or
plant accepting its stream, or station limits that cannot be met) — see ``messages``;
``no_solution``: the solver stopped without any plan; ``error``: the solver failed."""

COST_TERMS: dict[str, tuple[str, ...]] = {
    "tier1_collection": (
        "collection_line_haul",
        "collection_unloading",
        "collection_vehicle_days",
        "collection_local",
    ),
    "station_operation": ("station_fixed", "station_staff", "station_handling"),
    "tier2_haul": ("transfer_haul",),
    "gate_fees": ("gate_fees",),
    "shortfall_penalty": ("shortfall_penalty", "fleet_shortfall_penalty"),
    "capital_annualised": ("station_opening_annualised", "station_closing_annualised"),
}
"""The six terms of the cost waterfall and the ``cost_breakdown`` items each one sums."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HaulNeed:
    """Tier-2 haul of one stream from one station (daily averages from the plan's flows):
    ``t_per_day`` shipped, ``trips_per_day`` haul trips of ``load_t_per_trip`` t on average,
    ``containers_per_day`` containers filled (t/day ÷ ``container_t``; = trips when the station
    has no containers, ``container_t`` = 0), ``containers_in_pool`` the station's pool, and
    ``vehicle_days_per_day`` haul vehicle-days used per day (trucks needed, before rounding)."""

    station: str
    stream: str
    t_per_day: float
    load_t_per_trip: float
    trips_per_day: float
    container_t: float
    containers_per_day: float
    containers_in_pool: int
    vehicle_days_per_day: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetHours:
    """Constraint (11) of one stream and restricted vehicle class set (``vehicle_classes``,
    joined by "+"): the collection vehicle-hours per day the plan gives the points only those
    classes reach, the hours their fleet works (Σ count × shift less lunch), what is short
    and its penalty."""

    stream: str
    vehicle_classes: str
    hours_per_day: float
    capacity_h_per_day: float
    short_h_per_day: float
    penalty_cny_per_year: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityPlan:
    """The result of planning facilities.

    ``objective`` and ``cost_breakdown`` are in CNY/yr and include the priced shortfall
    (``shortfall_penalty``; :attr:`cost_terms` groups the items into the six waterfall terms).
    ``mode`` is the mode planned in: ``free`` plans are a cost-only lower bound
    (:attr:`is_cost_only_bound`). ``assignments`` maps ``(point_id, stream_id)`` to the
    station or plant id where that point's stream is unloaded; ``demand_t_per_day`` holds the rate
    of each assigned pair. ``flows`` maps ``(station_id, stream_id, plant_id)`` to t/day.
    ``inflow_t_per_day``/``capacity_t_per_day``/``utilisation`` cover every station and plant
    (a closed station has inflow 0; a plant's capacity is what is left after its
    ``external_t_per_day``). ``binding`` lists the sites whose capacity is fully used,
    ``shortfalls_t_per_day`` the sites whose capacity falls short and by how much (t/day;
    within ``readout.SHORT_TOLERANCE`` of every site's capacity, the status stays ``optimal``
    or ``time_limit`` and ``messages`` names them);
    ``station_shortfalls_t_per_day`` and ``plant_shortfalls_t_per_day`` (keyed
    ``(plant_id, stream_id)``) split them, each short tonne costing
    ``shortfall_penalty_cny_per_t`` × ``days_per_year``. ``haul`` lists the tier-2 haul per
    station and stream; ``policy_closed`` the stations the standard policy kept shut;
    ``fleet_hours`` the work of each restricted vehicle class set against its fleet."""

    scenario: str
    variant: str
    mode: str
    status: FacilityStatus
    objective: float
    bound: float
    mip_gap: float
    runtime_s: float
    cost_breakdown: dict[str, float]
    open_stations: tuple[str, ...]
    closed_stations: tuple[str, ...]
    built_stations: tuple[str, ...]
    assignments: dict[tuple[str, str], str]
    demand_t_per_day: dict[tuple[str, str], float]
    flows: dict[tuple[str, str, str], float]
    inflow_t_per_day: dict[str, float]
    capacity_t_per_day: dict[str, float]
    utilisation: dict[str, float]
    binding: tuple[str, ...]
    shortfalls_t_per_day: dict[str, float]
    co2_kg_per_day: float
    t_km_per_day: float
    messages: tuple[str, ...] = ()
    site_kind: dict[str, str] = field(default_factory=dict)
    station_shortfalls_t_per_day: dict[str, float] = field(default_factory=dict)
    plant_shortfalls_t_per_day: dict[tuple[str, str], float] = field(default_factory=dict)
    shortfall_penalty_cny_per_t: float = math.nan
    days_per_year: float = 365.0
    external_t_per_day: dict[str, float] = field(default_factory=dict)
    haul: tuple[HaulNeed, ...] = ()
    policy_closed: tuple[str, ...] = ()
    fleet_hours: tuple[FleetHours, ...] = ()

    @property
    def fleet_shortfalls_h_per_day(self) -> dict[tuple[str, str], float]:
        """``(stream, vehicle classes)`` → vehicle-hours/day short, for the short ones."""
        return {
            (f.stream, f.vehicle_classes): f.short_h_per_day
            for f in self.fleet_hours
            if f.short_h_per_day > 0
        }

    @property
    def is_cost_only_bound(self) -> bool:
        """True for a ``free`` plan: stations closed or built on cost alone, a lower bound."""
        return self.mode == "free"

    @property
    def cost_terms(self) -> dict[str, float]:
        """The six waterfall terms (:data:`COST_TERMS`), CNY/yr; they sum to ``objective``."""
        return {
            term: float(sum(self.cost_breakdown.get(item, 0.0) for item in items))
            for term, items in COST_TERMS.items()
        }

    @property
    def has_plan(self) -> bool:
        """True when assignments exist (every status except infeasible/no_solution/error)."""
        return self.status in ("optimal", "time_limit", "capacity_short")

    def assignment_for(self, stream: str) -> dict[str, str]:
        """``point_id -> station or plant id`` for one stream (routing's ``Stop.unload_at``)."""
        return {p: site for (p, s), site in self.assignments.items() if s == stream}

    @property
    def shortfall_word(self) -> str:
        """How the plan's shortfalls read: short, or within the tolerance (``readout``)."""
        return "capacity short" if self.status == "capacity_short" else "within tolerance"

    def summary(self) -> str:
        """A few lines: status, cost, stations kept/closed/built, shortfalls, CO2."""
        if not self.has_plan:
            head = f"{self.scenario}/{self.variant} facilities: {self.status}"
            return "\n".join([head, *self.messages])
        gap = "" if math.isnan(self.mip_gap) else f", gap {self.mip_gap:.1e}"
        lines = [
            f"{self.scenario}/{self.variant} facilities ({self.mode}): {self.status}, "
            f"{self.objective:,.0f} CNY/yr{gap}, {self.runtime_s:.2f} s",
            *(
                [
                    "  free mode: a cost-only lower bound (stations kept, closed or built on cost "
                    "alone, ignoring why they really stay open)"
                ]
                if self.is_cost_only_bound
                else []
            ),
            f"  open {len(self.open_stations)} stations ({', '.join(self.open_stations) or '-'}); "
            f"closed: {', '.join(self.closed_stations) or '-'}; "
            f"built: {', '.join(self.built_stations) or '-'}",
            f"  {sum(self.demand_t_per_day.values()):,.1f} t/day, "
            f"{self.t_km_per_day:,.0f} t·km/day, {self.co2_kg_per_day:,.0f} kg CO2/day",
        ]
        if self.shortfalls_t_per_day:
            short = [f"{k} {v:,.2f} t/day" for k, v in self.station_shortfalls_t_per_day.items()]
            short += [
                f"{k}/{s} {v:,.2f} t/day" for (k, s), v in self.plant_shortfalls_t_per_day.items()
            ]
            lines.append(
                f"  {self.shortfall_word}: {', '.join(short)} "
                f"(penalty {self.cost_breakdown.get('shortfall_penalty', 0.0):,.0f} CNY/yr)"
            )
        if self.fleet_shortfalls_h_per_day:
            short = [
                f"{s} {c} {h:,.2f} h/day" for (s, c), h in self.fleet_shortfalls_h_per_day.items()
            ]
            lines.append(f"  fleet short: {', '.join(short)}")
        if self.policy_closed:
            lines.append(f"  closed by the standard policy: {', '.join(self.policy_closed)}")
        if self.binding:
            lines.append(f"  binding capacities: {', '.join(self.binding)}")
        lines += [f"  {m}" for m in self.messages]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per assigned (point, stream): ``point_id, stream, site_id, site_kind,
        t_per_day``."""
        rows = [
            {
                "point_id": p,
                "stream": s,
                "site_id": site,
                "site_kind": self.site_kind.get(site, ""),
                "t_per_day": self.demand_t_per_day.get((p, s), 0.0),
            }
            for (p, s), site in self.assignments.items()
        ]
        cols = ["point_id", "stream", "site_id", "site_kind", "t_per_day"]
        return pd.DataFrame(rows, columns=cols)

    def utilisation_frame(self) -> pd.DataFrame:
        """One row per station and plant: ``site_id, site_kind, open, inflow_t_per_day,
        capacity_t_per_day, utilisation, binding, shortfall_t_per_day``."""
        open_set = set(self.open_stations)
        rows = []
        for site, cap in self.capacity_t_per_day.items():
            kind = self.site_kind.get(site, "")
            rows.append(
                {
                    "site_id": site,
                    "site_kind": kind,
                    "open": site in open_set if kind == "station" else True,
                    "inflow_t_per_day": self.inflow_t_per_day.get(site, 0.0),
                    "capacity_t_per_day": cap,
                    "utilisation": self.utilisation.get(site, 0.0),
                    "binding": site in self.binding,
                    "shortfall_t_per_day": self.shortfalls_t_per_day.get(site, 0.0),
                    "external_t_per_day": self.external_t_per_day.get(site, 0.0),
                }
            )
        return pd.DataFrame(rows)

    def shortfalls_frame(self) -> pd.DataFrame:
        """One row per shortfall: ``site_id, site_kind, stream`` (empty for a station: its
        capacity is shared), ``short_t_per_day, penalty_cny_per_year``."""
        pen = self.days_per_year * self.shortfall_penalty_cny_per_t
        short: list[tuple[str, str, str, float]] = [
            (j, "station", "", t) for j, t in self.station_shortfalls_t_per_day.items()
        ] + [(k, "plant", s, t) for (k, s), t in self.plant_shortfalls_t_per_day.items()]
        cols = ["site_id", "site_kind", "stream", "short_t_per_day", "penalty_cny_per_year"]
        return pd.DataFrame([(*r, pen * r[3]) for r in short], columns=cols)

    def haul_frame(self) -> pd.DataFrame:
        """One row per (station, stream) with tier-2 flow: the fields of :class:`HaulNeed`."""
        cols = [
            "station",
            "stream",
            "t_per_day",
            "load_t_per_trip",
            "trips_per_day",
            "container_t",
            "containers_per_day",
            "containers_in_pool",
            "vehicle_days_per_day",
        ]
        rows = [{c: getattr(h, c) for c in cols} for h in self.haul]
        return pd.DataFrame(rows, columns=cols)

    def flows_frame(self) -> pd.DataFrame:
        """One row per positive transfer flow: ``station_id, stream, plant_id, t_per_day``."""
        rows = [
            {"station_id": j, "stream": s, "plant_id": k, "t_per_day": t}
            for (j, s, k), t in self.flows.items()
        ]
        return pd.DataFrame(rows, columns=["station_id", "stream", "plant_id", "t_per_day"])

    def fleet_frame(self) -> pd.DataFrame:
        """One row per stream and restricted vehicle class set: the fields of
        :class:`FleetHours` and ``utilisation`` (hours / capacity)."""
        cols = [
            "stream",
            "vehicle_classes",
            "hours_per_day",
            "capacity_h_per_day",
            "utilisation",
            "short_h_per_day",
            "penalty_cny_per_year",
        ]
        rows = [
            {
                **{c: getattr(f, c) for c in cols if c != "utilisation"},
                "utilisation": f.hours_per_day / f.capacity_h_per_day
                if f.capacity_h_per_day > 0
                else (math.inf if f.hours_per_day > 0 else 0.0),
            }
            for f in self.fleet_hours
        ]
        return pd.DataFrame(rows, columns=cols)
