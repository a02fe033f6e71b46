"""Fleet sizing of the Jintan scenario: vehicles per depot × model, by load and by time.

A planning rule of thumb (*illustrative*), not a routing result; the real routing checks it
(README, "Checked with the project code"). For the points one depot's model serves::

    load need = PEAK × kg ÷ (load × planned trips)
    time need = PEAK × (service h + stem h + between-stop h + unload h) ÷ (working h − depot h)
    count     = ⌈(1 + SPARE) × max(load need, time need)⌉, at least 1

- ``load`` = min(payload, volume × stream density): kg one trip carries. A point's share of the
  trips is PEAK × kg ÷ load (fractional).
- service h = Σ visits per day × service time (a point collected every other day counts ½).
- stem h = Σ trips × 2 × road km from the point to the station it unloads at ÷ speed: every
  trip drives from its area to the station and back.
- between-stop h = 1.42 × Σ visits × road km to the nearest other point of the group × √period
  ÷ speed. 1.42 = 0.7124 ÷ 0.5: a tour through n random points is about 0.7124 √(n A)
  (Beardwood–Halton–Hammersley), the mean nearest-neighbour distance 0.5 √(A ÷ n); √period
  because only 1 in ``period`` points is due on a day, so due points lie √period farther apart.
- unload h = trips × the station's unload time.
- working h = shift − lunch; depot h = once a shift, depot → the group's mean point and back.

Road km = great-circle km × the scenario's circuity, as the network model computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

R_EARTH_KM = 6371.0088
TOUR_PER_NEAREST = 0.7124 / 0.5  # BHH tour constant ÷ mean nearest-neighbour factor


@dataclass(frozen=True, slots=True, kw_only=True)
class Work:
    """One point's mean daily work for one stream, and the site where it unloads."""

    lon: float
    lat: float
    kg_per_day: float
    visits_per_day: float  # visits per collection day ÷ period (e.g. every other day: 0.5)
    period_days: int
    service_s: float
    site_lon: float
    site_lat: float
    site_unload_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    """The vehicle model a depot sends: one trip's load, speed, trips and working hours."""

    load_kg: float
    speed_kmh: float
    planned_trips: int  # trips a shift the fleet is sized for
    working_h: float
    depot_lon: float
    depot_lat: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizing:
    """The count and the figures behind it (hours are PEAK hours per day)."""

    count: int
    load_need: float
    time_need: float
    work_h: float
    trips: float


def road_km(lon1: object, lat1: object, lon2: object, lat2: object, circuity: float) -> Any:
    """Great-circle km × circuity (numpy broadcasting)."""
    lo1, la1, lo2, la2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * R_EARTH_KM * np.arcsin(np.sqrt(a)) * circuity


def nearest_km(lon: np.ndarray, lat: np.ndarray, circuity: float) -> np.ndarray:
    """Road km from each point to the nearest other point (0 for a lone point)."""
    if len(lon) < 2:
        return np.zeros(len(lon))
    d = np.asarray(road_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :], circuity))
    np.fill_diagonal(d, np.inf)
    return np.asarray(d.min(axis=1))


def size(demands: list[Work], m: Model, *, peak: float, spare: float, circuity: float) -> Sizing:
    """Vehicles of model ``m`` for ``demands`` (module docstring)."""
    lon = np.array([d.lon for d in demands])
    lat = np.array([d.lat for d in demands])
    kg = np.array([d.kg_per_day for d in demands])
    visits = np.array([d.visits_per_day for d in demands])
    period = np.array([d.period_days for d in demands], dtype=float)
    trips = peak * kg / m.load_kg
    stem_km = np.asarray(
        road_km(lon, lat, [d.site_lon for d in demands], [d.site_lat for d in demands], circuity)
    )
    between_km = TOUR_PER_NEAREST * visits * nearest_km(lon, lat, circuity) * np.sqrt(period)
    service_h = float(np.sum(visits * np.array([d.service_s for d in demands]))) / 3600
    drive_h = float(np.sum(trips * 2 * stem_km) + np.sum(between_km)) / m.speed_kmh
    unload_h = float(np.sum(trips * np.array([d.site_unload_s for d in demands]))) / 3600
    work_h = peak * (service_h + drive_h + unload_h)
    depot_km = float(
        np.asarray(road_km(m.depot_lon, m.depot_lat, lon.mean(), lat.mean(), circuity))
    )
    depot_h = 2 * depot_km / m.speed_kmh
    load_need = float(trips.sum()) / m.planned_trips
    time_need = work_h / (m.working_h - depot_h)
    count = max(1, math.ceil((1 + spare) * max(load_need, time_need) - 1e-9))
    return Sizing(
        count=count,
        load_need=load_need,
        time_need=time_need,
        work_h=work_h,
        trips=float(trips.sum()),
    )
