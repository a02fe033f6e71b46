"""The records of a simulated district: one row per vehicle shift, and at each day's end per
site and stream and per stream (mass balance and daily totals); the tables of
:class:`wasteopt.simulation.result.SimulationResult` are built from them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wasteopt.simulation.processes import DAY_S, Plant, Station, Vehicle

__all__ = [
    "BALANCE_COLUMNS",
    "BALANCE_TERMS",
    "LEFT_COLUMNS",
    "FleetTally",
    "ShiftTally",
    "StreamStock",
    "daily_row",
    "left_rows",
    "site_rows",
    "stream_stock",
    "vehicle_row",
]

BALANCE_TERMS: tuple[str, ...] = (
    "at_points_kg",
    "taken_elsewhere_kg",
    "in_vehicles_kg",
    "at_stations_kg",
    "in_transit_kg",
    "backlog_kg",
    "treated_kg",
    "overflowed_kg",
)
"""Where every kg is at the end of a day; they add up to ``initial_kg + generated_kg``."""
BALANCE_COLUMNS = ("initial_kg", "generated_kg", *BALANCE_TERMS)

LEFT_COLUMNS = ("stream", "point_id", "catchment", "left_t")
"""One row per point and stream with due waste left in its bins at the end of the horizon:
the site the point unloads at for that stream (its catchment; empty if unknown) and tonnes."""

Row = dict[str, Any]


@dataclass(slots=True)
class FleetTally:
    """One stream's vehicle totals of a planning day (the shifts of that day)."""

    cost_cny: float = 0.0
    km: float = 0.0
    hours: float = 0.0
    overtime_h: float = 0.0
    used: int = 0
    broken: int = 0
    extra_unloads: int = 0
    skipped: int = 0
    co2_kg: float = 0.0

    def add(self, row: Row) -> None:
        """Count one :func:`vehicle_row`."""
        self.cost_cny += row["cost_cny"]
        self.km += row["km"]
        self.hours += row["hours"]
        self.overtime_h += row["overtime_h"]
        self.used += int(row["ran"])
        self.broken += int(row["broke_down"])
        self.extra_unloads += row["extra_unloads"]
        self.skipped += row["skipped_stops"]
        self.co2_kg += row["co2_kg"]


@dataclass(frozen=True, slots=True)
class StreamStock:
    """Where one stream's waste is at the end of the day outside the bins (kg)."""

    in_vehicles: float
    in_transit: float
    at_stations: float
    backlog: float


def stream_stock(
    s: int,
    stream: str,
    collectors: Iterable[Vehicle],
    haulers: Iterable[Vehicle],
    stations: Iterable[Station],
    plants: Iterable[Plant],
) -> StreamStock:
    """Where stream ``stream`` (demand column ``s``) is outside the bins right now."""
    return StreamStock(
        in_vehicles=sum(v.load_kg for v in collectors if v.s == s),
        in_transit=sum(v.load_kg for v in haulers if v.s == s),
        at_stations=sum(st.stock_kg.get(stream, 0.0) for st in stations),
        backlog=sum(pl.backlog_kg.get(stream, 0.0) for pl in plants),
    )


@dataclass(frozen=True, slots=True)
class ShiftTally:
    """What one shift of a vehicle did: its tallies when the shift ended (all zero and no
    departure for a day it stayed at its depot)."""

    depart: float = math.nan
    back: float = math.nan
    m: float = 0.0
    trips: int = 0
    stops: int = 0
    kg: float = 0.0
    extra_unloads: int = 0
    skipped: int = 0
    broken: bool = False

    @classmethod
    def of(cls, veh: Vehicle) -> ShiftTally:
        """The tallies ``veh`` holds now."""
        return cls(
            depart=veh.depart,
            back=veh.back,
            m=veh.m,
            trips=veh.trips,
            stops=veh.stops,
            kg=veh.kg,
            extra_unloads=veh.extra_unloads,
            skipped=veh.skipped,
            broken=veh.broken,
        )


def vehicle_row(veh: Vehicle, shift: ShiftTally, *, day: int, date: object, now: float) -> Row:
    """The row of ``veh``'s shift of planning day ``day``. A vehicle *ran* when it left its
    depot; it then costs its day rate plus distance and hours (departure to return, or to
    ``now`` for a shift still out at the end of the horizon, which has no return time);
    overtime is the time past the shift end (``overtime_h`` and ``overtime_min``);
    ``trips_over_max`` the tips beyond the type's ``max_trips``. Times are seconds after
    midnight of ``day``."""
    t0 = day * DAY_S
    ran = shift.depart == shift.depart  # not NaN
    back = shift.back if shift.back == shift.back else now
    hours = (back - shift.depart) / 3600.0 if ran else 0.0
    ot = max(0.0, back - (t0 + veh.shift_end_s)) / 3600.0 if ran else 0.0
    km = shift.m / 1000.0
    cost = (
        (veh.cost_cny_per_day if ran else 0.0)
        + km * veh.cost_cny_per_km
        + hours * veh.cost_cny_per_hour
    )
    return {
        "day": day,
        "date": date,
        "vehicle": veh.id,
        "vehicle_type": veh.type_id,
        "role": veh.role,
        "stream": veh.stream,
        "broke_down": shift.broken,
        "ran": ran,
        "depart_s": shift.depart - t0,
        "return_s": shift.back - t0,
        "km": km,
        "hours": hours,
        "overtime_h": ot,
        "overtime_min": ot * 60.0,
        "trips": shift.trips,
        "max_trips": veh.max_trips,
        "trips_over_max": max(0, shift.trips - veh.max_trips),
        "stops": shift.stops,
        "t": shift.kg / 1000.0,
        "extra_unloads": shift.extra_unloads,
        "skipped_stops": shift.skipped,
        "cost_cny": cost,
        "co2_kg": km * veh.co2_kg_per_km,
    }


def site_rows(
    stations: Iterable[Station],
    plants: Iterable[Plant],
    treated: Mapping[str, Mapping[str, float]],
    overflowed: Mapping[str, Mapping[str, float]],
    *,
    day: int,
    date: object,
) -> list[Row]:
    """A row per site and stream it holds: inflow, treatment, overflow and stock (t; a
    station's stock includes its containers' contents), today's container trips (containers
    hauled, tipping blocked by a full pool, station → plant → station km), stations first;
    ``treated`` / ``overflowed`` are today's kg per plant and stream."""
    rows: list[Row] = []
    for st in stations:
        pool = st.pool
        for s in st.stock_kg:
            rows.append(
                {
                    "day": day,
                    "date": date,
                    "site_id": st.id,
                    "site_kind": "station",
                    "stream": s,
                    "inflow_t": st.inflow_kg.get(s, 0.0) / 1000.0,
                    "treated_t": 0.0,
                    "overflowed_t": 0.0,
                    "stock_t": st.stock_kg[s] / 1000.0,
                    "capacity_t_per_day": st.capacity_kg_per_day / 1000.0,
                    "containers_hauled": pool.hauled.get(s, 0) if pool else 0,
                    "tipping_blocked_h": pool.blocked_s.get(s, 0.0) / 3600.0 if pool else 0.0,
                    "container_km": pool.trip_m.get(s, 0.0) / 1000.0 if pool else 0.0,
                }
            )
    for pl in plants:
        for s in pl.backlog_kg:
            rows.append(
                {
                    "day": day,
                    "date": date,
                    "site_id": pl.id,
                    "site_kind": "plant",
                    "stream": s,
                    "inflow_t": pl.received_kg.get(s, 0.0) / 1000.0,
                    "treated_t": treated[pl.id].get(s, 0.0) / 1000.0,
                    "overflowed_t": overflowed[pl.id].get(s, 0.0) / 1000.0,
                    "stock_t": pl.backlog_kg[s] / 1000.0,
                    "capacity_t_per_day": pl.capacity_kg_per_day / 1000.0,
                    "containers_hauled": 0,
                    "tipping_blocked_h": 0.0,
                    "container_km": 0.0,
                }
            )
    return rows


def daily_row(
    today: Mapping[str, float],
    fleet: FleetTally,
    stock: StreamStock,
    *,
    generated_kg: float,
    uncollected_kg: float,
    at_points_kg: float,
    treated_kg: float,
    overflowed_kg: float,
    overdue_kg: float,
) -> Row:
    """One stream's daily totals in tonnes (``today``: the day's flows and site costs in kg and
    CNY; vehicle costs come from ``fleet``; ``overdue_kg``: waste left in bins past a due day of
    their point). The caller adds day, date and stream."""
    return {
        "generated_t": generated_kg / 1000.0,
        "collected_t": today["collected_kg"] / 1000.0,
        "uncollected_t": uncollected_kg / 1000.0,
        "at_points_t": at_points_kg / 1000.0,
        "to_stations_t": today["to_stations_kg"] / 1000.0,
        "to_plants_t": today["to_plants_kg"] / 1000.0,
        "hauled_t": today["hauled_kg"] / 1000.0,
        "treated_t": treated_kg / 1000.0,
        "backlog_t": stock.backlog / 1000.0,
        "overflowed_t": overflowed_kg / 1000.0,
        "at_stations_t": stock.at_stations / 1000.0,
        "km": fleet.km,
        "vehicle_h": fleet.hours,
        "overtime_h": fleet.overtime_h,
        "vehicles_used": fleet.used,
        "breakdowns": fleet.broken,
        "extra_unloads": fleet.extra_unloads,
        "skipped_stops": fleet.skipped,
        "cost_cny": today["cost_cny"] + fleet.cost_cny,
        "co2_kg": fleet.co2_kg + today.get("co2_kg", 0.0),  # + overflow transfers
        "overdue_t": overdue_kg / 1000.0,
    }


def left_rows(
    point_ids: Sequence[str],
    streams: Sequence[str],
    overdue_kg: Sequence[Sequence[float]],
    catchments: Mapping[tuple[str, str], str],
) -> list[Row]:
    """A row (:data:`LEFT_COLUMNS`) per point and stream with due waste left (more than
    1 g); ``overdue_kg[p][s]``: kg per point and stream; ``catchments``: (point, stream) →
    unload site."""
    rows: list[Row] = []
    for p, pid in enumerate(point_ids):
        for s, stream in enumerate(streams):
            kg = float(overdue_kg[p][s])
            if kg > 1e-3:
                rows.append(
                    {
                        "stream": stream,
                        "point_id": pid,
                        "catchment": catchments.get((pid, stream), ""),
                        "left_t": kg / 1000.0,
                    }
                )
    return rows
