"""The checker's verdict on a route plan: violations, recomputed times and KPIs.

These are plain result types, shared by :mod:`wasteopt.routing.plan` (a plan carries its
verdict) and :mod:`wasteopt.routing.check` (which produces it), so neither imports the other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from wasteopt.clock import format_hhmm

__all__ = [
    "VIOLATION_KINDS",
    "CheckReport",
    "RouteTimes",
    "Totals",
    "Violation",
    "ViolationKind",
    "VisitKind",
    "VisitTimes",
]

VIOLATION_KINDS: tuple[str, ...] = (
    "time_window",  # service at a stop starts after its tw_end_s
    "capacity",  # load (kg or litres) of one trip above the vehicle's capacity
    "shift_load",  # load over all trips of a shift above max_shift_load_kg
    "max_stops",  # more stops in a shift than max_stops
    "max_trips",  # more trips in a shift than max_trips
    "shift",  # departure before shift/depot opening, return after closing, too long
    "lunch",  # break missing, outside its window, misplaced or not defined for the fleet
    "facility_hours",  # unload starts after the site closes
    "unload_site",  # trip unloads where one of its stops may not, or site refuses the stream
    "stream",  # vehicle or stop of another stream than the problem
    "duplicate",  # stop served more than once
    "unserved",  # stop not served, or plan.unserved disagrees with the routes
    "ended_loaded",  # last trip not ended by an unload visit (depot_unloads false)
    "unknown_id",  # visit, fleet, depot or profile that the problem does not define
    "fleet_size",  # more routes than vehicles in a fleet, or a vehicle id used twice
    "access",  # vehicle class may not serve this point (the stop does not allow the fleet)
    "lunch_place",  # break at a collection point or with load aboard (not at depot/facility)
    "road",  # leg needs a road closed to the vehicle then (class, weight, ban; road_check)
)

ViolationKind = Literal[
    "time_window",
    "capacity",
    "shift_load",
    "max_stops",
    "max_trips",
    "shift",
    "lunch",
    "facility_hours",
    "unload_site",
    "stream",
    "duplicate",
    "unserved",
    "ended_loaded",
    "unknown_id",
    "fleet_size",
    "access",
    "lunch_place",
    "road",
]
VisitKind = Literal["stop", "unload", "depot", "lunch"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One broken rule. ``trip`` is 1-based; ``stop`` is the stop (or, for site rules, the
    unload-site) id concerned; either is ``None`` when the rule concerns the whole route/plan."""

    kind: ViolationKind
    vehicle: str | None
    trip: int | None
    stop: str | None
    message: str

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                self.vehicle or "",
                f"trip {self.trip}" if self.trip is not None else "",
                f"at {self.stop}" if self.stop is not None else "",
            )
            if part
        )
        return f"[{self.kind}] {where + ': ' if where else ''}{self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitTimes:
    """One row of a recomputed schedule. ``kind`` is ``stop``, ``unload``, ``depot`` (first and
    last row of a route) or ``lunch`` (``id`` is then the place where the break is taken).
    ``arrival_s`` is when the vehicle is ready there, ``start_s`` when service starts (after
    waiting), ``end_s`` when it may leave (for the first depot row: the departure)."""

    vehicle: str
    fleet: str
    trip: int | None
    seq: int
    kind: VisitKind
    id: str
    arrival_s: int
    start_s: int
    end_s: int
    load_after_kg: int
    distance_from_prev_m: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteTimes:
    """A route as the checker recomputed it, with its cost split into its three terms."""

    vehicle: str
    fleet: str
    start_s: int
    end_s: int
    distance_m: int
    duration_s: int
    trips: int
    stops: int
    load_kg: int
    fixed_cost: float
    distance_cost: float
    time_cost: float
    co2_kg: float
    visits: tuple[VisitTimes, ...]

    @property
    def cost(self) -> float:
        return self.fixed_cost + self.distance_cost + self.time_cost

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000.0

    @property
    def duration_h(self) -> float:
        return self.duration_s / 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """Plan KPIs over used vehicles. ``utilisation`` is the mean over trips (with at least one
    stop) of trip load / vehicle ``capacity_kg``; ``cost = fixed + distance + time cost``."""

    vehicles: int
    trips: int
    stops_served: int
    unserved: int
    distance_km: float
    duration_h: float
    load_kg: int
    co2_kg: float
    cost: float
    fixed_cost: float
    distance_cost: float
    time_cost: float
    utilisation: float

    @classmethod
    def over(
        cls, routes: list[RouteTimes], trip_utils: list[float], *, stops_served: int, unserved: int
    ) -> Totals:
        """The KPIs of the used vehicles' ``routes`` (``trip_utils``: each trip's load over
        capacity)."""
        return cls(
            vehicles=len(routes),
            trips=sum(r.trips for r in routes),
            stops_served=stops_served,
            unserved=unserved,
            distance_km=sum(r.distance_m for r in routes) / 1000.0,
            duration_h=sum(r.duration_s for r in routes) / 3600.0,
            load_kg=sum(r.load_kg for r in routes),
            co2_kg=sum(r.co2_kg for r in routes),
            cost=sum(r.cost for r in routes),
            fixed_cost=sum(r.fixed_cost for r in routes),
            distance_cost=sum(r.distance_cost for r in routes),
            time_cost=sum(r.time_cost for r in routes),
            utilisation=sum(trip_utils) / len(trip_utils) if trip_utils else 0.0,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    """The checker's verdict: every violation, the KPIs and the recomputed schedule."""

    problem: str
    violations: tuple[Violation, ...]
    totals: Totals
    routes: tuple[RouteTimes, ...]

    @property
    def ok(self) -> bool:
        """True when no rule is broken (unserved stops count as violations)."""
        return not self.violations

    def kinds(self) -> Counter[str]:
        """Number of violations of each kind."""
        return Counter(v.kind for v in self.violations)

    def schedule_frame(self) -> pd.DataFrame:
        """One row per schedule entry (depot, stops, unloads, lunch) of every route."""
        cols = [f for f in VisitTimes.__slots__]
        rows = [{c: getattr(v, c) for c in cols} for r in self.routes for v in r.visits]
        return pd.DataFrame(rows, columns=cols)

    def route_frame(self) -> pd.DataFrame:
        """One row per vehicle: km, hours, trips, stops, kg, cost terms and CO2."""
        cols = [
            "vehicle",
            "fleet",
            "start",
            "end",
            "km",
            "hours",
            "trips",
            "stops",
            "kg",
            "fixed_cost",
            "distance_cost",
            "time_cost",
            "cost",
            "co2_kg",
        ]
        rows = [
            {
                "vehicle": r.vehicle,
                "fleet": r.fleet,
                "start": format_hhmm(r.start_s),
                "end": format_hhmm(r.end_s),
                "km": r.distance_km,
                "hours": r.duration_h,
                "trips": r.trips,
                "stops": r.stops,
                "kg": r.load_kg,
                "fixed_cost": r.fixed_cost,
                "distance_cost": r.distance_cost,
                "time_cost": r.time_cost,
                "cost": r.cost,
                "co2_kg": r.co2_kg,
            }
            for r in self.routes
        ]
        return pd.DataFrame(rows, columns=cols)

    def summary(self, max_violations: int = 10) -> str:
        """A few lines: verdict, totals and the first violations."""
        t = self.totals
        if self.ok:
            head = f"{self.problem}: clean"
        else:
            counts = ", ".join(f"{k}={n}" for k, n in sorted(self.kinds().items()))
            head = f"{self.problem}: {len(self.violations)} violations ({counts})"
        lines = [
            head,
            f"  vehicles={t.vehicles} trips={t.trips} stops={t.stops_served}"
            f" unserved={t.unserved} km={t.distance_km:.2f} hours={t.duration_h:.2f}"
            f" kg={t.load_kg} utilisation={t.utilisation:.1%}",
            f"  cost={t.cost:.2f} (fixed {t.fixed_cost:.2f}, distance {t.distance_cost:.2f},"
            f" time {t.time_cost:.2f}) co2_kg={t.co2_kg:.1f}",
        ]
        lines += [f"  {v}" for v in self.violations[:max_violations]]
        if len(self.violations) > max_violations:
            lines.append(f"  ... and {len(self.violations) - max_violations} more")
        return "\n".join(lines)
