"""Fleet sizing of the Nanjing-like city: vehicles per depot × model, by load and by time.

The rule of ``scenarios/jintan/fleet_sizing.py`` (*illustrative*, a planning rule of thumb,
not a routing result), with nearest neighbours from a k-d tree so that groups of thousands of
points stay cheap. For the points one depot's model serves::

    load need = PEAK × kg ÷ (load × planned trips)
    time need = PEAK × (service h + stem h + between-stop h + unload h) ÷ (working h − depot h)
    count     = ⌈(1 + SPARE) × max(load need, time need)⌉, at least 1

- ``load`` = min(payload, volume × stream density): kg one trip carries; a point's share of the
  trips is PEAK × kg ÷ load (fractional).
- service h = Σ visits per day × service time (a point collected every other day counts ½).
- stem h = Σ trips × 2 × road km from the point to the site it unloads at ÷ speed.
- between-stop h = 1.42 × Σ visits × road km to the nearest other point of the group × √period
  ÷ speed (a tour through n random points is ≈ 0.7124 √(n A), Beardwood–Halton–Hammersley; the
  mean nearest-neighbour distance 0.5 √(A ÷ n); only 1 in ``period`` points is due a day).
- unload h = trips × the site's unload time; depot h = once a shift to the group's mean point
  and back.

Road km = great-circle km × the scenario's circuity, as the network model computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

R_EARTH_KM = 6371.0088
TOUR_PER_NEAREST = 0.7124 / 0.5  # BHH tour constant ÷ mean nearest-neighbour factor


@dataclass(frozen=True, slots=True, kw_only=True)
class Work:
    """The mean daily work of a group of points for one stream (arrays, one entry a point)."""

    lon: np.ndarray
    lat: np.ndarray
    kg_per_day: np.ndarray
    visits_per_day: np.ndarray  # visits per collection day ÷ period (every other day: 0.5)
    period_days: np.ndarray
    service_s: np.ndarray
    site_km: np.ndarray  # road km to the site the point unloads at
    site_unload_s: np.ndarray


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


def road_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any, circuity: float) -> Any:
    """Great-circle km × circuity (numpy broadcasting)."""
    lo1, la1, lo2, la2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * R_EARTH_KM * np.arcsin(np.sqrt(a)) * circuity


def nearest_km(lon: np.ndarray, lat: np.ndarray, circuity: float) -> np.ndarray:
    """Road km from each point to the nearest other point (0 for a lone point): a k-d tree on
    a local flat projection (a city is small enough for it)."""
    if len(lon) < 2:
        return np.zeros(len(lon))
    k = math.pi / 180 * R_EARTH_KM
    xy = np.column_stack([lon * k * math.cos(math.radians(float(lat.mean()))), lat * k])
    dist, _ = cKDTree(xy).query(xy, k=2)
    return np.asarray(dist[:, 1] * circuity)


def size(w: Work, m: Model, *, peak: float, spare: float, circuity: float) -> Sizing:
    """Vehicles of model ``m`` for the group ``w`` (module docstring)."""
    trips = peak * w.kg_per_day / m.load_kg
    between_km = (
        TOUR_PER_NEAREST
        * w.visits_per_day
        * nearest_km(w.lon, w.lat, circuity)
        * np.sqrt(w.period_days)
    )
    service_h = float(np.sum(w.visits_per_day * w.service_s)) / 3600
    drive_h = float(np.sum(trips * 2 * w.site_km) + np.sum(between_km)) / m.speed_kmh
    unload_h = float(np.sum(trips * w.site_unload_s)) / 3600
    work_h = peak * (service_h + drive_h + unload_h)
    depot_km = float(road_km(m.depot_lon, m.depot_lat, w.lon.mean(), w.lat.mean(), circuity))
    depot_h = 2 * depot_km / m.speed_kmh
    load_need = float(trips.sum()) / m.planned_trips
    # a depot farther than the shift allows still leaves an hour: the count grows, not flips
    time_need = work_h / max(m.working_h - depot_h, 1.0)
    count = max(1, math.ceil((1 + spare) * max(load_need, time_need) - 1e-9))
    return Sizing(
        count=count,
        load_need=load_need,
        time_need=time_need,
        work_h=work_h,
        trips=float(trips.sum()),
    )
