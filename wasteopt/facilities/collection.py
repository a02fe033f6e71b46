"""The continuous approximation of collection (Daganzo 1984) the planner prices options with:
count-weighted fleet parameters per stream, the local tour length over a stream's service area,
the share of a vehicle-day one trip uses, and :func:`estimate_collection`, one day's collection
of a stream predicted with the same formulas (the model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.facilities.settings import CostSettings
from wasteopt.scenario.model import Scenario

__all__ = [
    "CollectionEstimate",
    "DistanceSource",
    "Fleet",
    "FloatArray",
    "average_fleet",
    "estimate_collection",
    "hull_area_km2",
    "local_tour_km",
    "vehicle_day_share",
]

FloatArray = npt.NDArray[np.float64]

_EARTH_RADIUS_KM = 6371.0088


class DistanceSource(Protocol):
    """Anything with ``index(site_id) -> row`` and ``block(row_ids, col_ids)``, the road metres
    from each row site to each column site (e.g. a :class:`wasteopt.network.TravelMatrix`,
    whole or computed on demand). The planner reads only the blocks it needs (points ×
    stations and plants, stations × plants), never a whole city-wide matrix."""

    def index(self, site_id: str) -> int: ...

    def block(self, row_ids: Sequence[str], col_ids: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Fleet:
    """The vehicles of one stream and role, averaged over their types weighted by ``count``."""

    cost_cny_per_km: float
    cost_cny_per_hour: float
    cost_cny_per_day: float
    speed_kmh: float
    payload_kg: float
    volume_m3: float
    co2_kg_per_km: float
    max_trips: float
    shift_h: float  # working hours per shift (shift length less lunch)
    lunch_h: float  # paid lunch break per vehicle-day


def average_fleet(scenario: Scenario, stream: str, role: str) -> Fleet | None:
    """Count-weighted average parameters of the vehicle types of ``stream`` with ``role``."""
    types = [v for v in scenario.vehicle_types if v.stream == stream and v.role == role]
    if not types:
        return None
    w = np.array([max(v.count, 1) for v in types], dtype=float)
    w /= w.sum()

    def avg(attr: str) -> float:
        return float(np.dot(w, [getattr(v, attr) for v in types]))

    shift_h = float(
        np.dot(
            w,
            [
                max(v.shift_end_s - v.shift_start_s - v.lunch_duration_s, 3600) / 3600.0
                for v in types
            ],
        )
    )
    return Fleet(
        cost_cny_per_km=avg("cost_cny_per_km"),
        cost_cny_per_hour=avg("cost_cny_per_hour"),
        cost_cny_per_day=avg("cost_cny_per_day"),
        speed_kmh=avg("speed_kmh"),
        payload_kg=avg("payload_kg"),
        volume_m3=avg("volume_m3"),
        co2_kg_per_km=avg("co2_kg_per_km"),
        max_trips=avg("max_trips"),
        shift_h=shift_h,
        lunch_h=avg("lunch_duration_s") / 3600.0,
    )


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _half_hull(pts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """One chain of Andrew's monotone convex hull over ``pts`` (sorted one way or the other)."""
    chain: list[tuple[float, float]] = []
    for p in pts:
        while len(chain) >= 2 and _cross(chain[-2], chain[-1], p) <= 0:
            chain.pop()
        chain.append(p)
    return chain


def hull_area_km2(lon: FloatArray, lat: FloatArray) -> float:
    """Convex-hull area (km²) of points, in a local equirectangular projection."""
    if len(lon) < 3:
        return 0.0
    lat0 = math.radians(float(np.mean(lat)))
    xs = np.radians(lon) * _EARTH_RADIUS_KM * math.cos(lat0)
    ys = np.radians(lat) * _EARTH_RADIUS_KM
    pts = sorted(set(zip(xs.tolist(), ys.tolist(), strict=True)))
    if len(pts) < 3:
        return 0.0
    hull = _half_hull(pts)[:-1] + _half_hull(pts[::-1])[:-1]
    hx = np.array([h[0] for h in hull])
    hy = np.array([h[1] for h in hull])
    return float(0.5 * abs(np.dot(hx, np.roll(hy, -1)) - np.dot(hy, np.roll(hx, -1))))


def local_tour_km(area_km2: float, stops_per_day: float, alpha: float, kappa: float) -> float:
    """Daganzo's local tour length L = α·κ·sqrt(A·n) km/day over ``stops_per_day`` stops."""
    return alpha * kappa * math.sqrt(area_km2 * stops_per_day) if stops_per_day > 0 else 0.0


def vehicle_day_share(
    trip_h: FloatArray, max_trips: FloatArray | float, shift_h: FloatArray | float
) -> FloatArray:
    """Share of a vehicle-day one trip uses: max(1/T, τ/H) (at most T trips and H hours)."""
    return np.maximum(1.0 / max_trips, trip_h / shift_h)


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionEstimate:
    """The continuous approximation of one stream's collection on one day (module docstring):
    distances in km, hours of vehicle work, and CNY split like the plan's cost breakdown."""

    stream: str
    stops: int
    load_kg: float
    trips: float
    line_haul_km: float
    local_km: float
    hours: float
    line_haul_cny: float
    unloading_cny: float
    vehicle_days_cny: float
    local_cny: float

    @property
    def km(self) -> float:
        """Line haul plus local tour km."""
        return self.line_haul_km + self.local_km

    @property
    def cost_cny(self) -> float:
        """Every cost term of the day."""
        return self.line_haul_cny + self.unloading_cny + self.vehicle_days_cny + self.local_cny


def _collection_fleet(scenario: Scenario, stream: str) -> Fleet:
    fleet = average_fleet(scenario, stream, "collection")
    if fleet is None:
        raise InputError(
            [
                Problem(
                    file="vehicle_types.csv",
                    field="stream",
                    value=stream,
                    message="stream has no collection vehicle type",
                    expected="a vehicle type with role=collection for it",
                )
            ]
        )
    return fleet


def _round_trip_km(matrix: DistanceSource, ids: list[str], sites: list[str]) -> FloatArray:
    """d(p, site_p) + d(site_p, p) in km for each point ``ids[i]`` and its ``sites[i]``, read
    from the points × unload-sites blocks only."""
    cols = sorted(set(sites))
    pos = {s: i for i, s in enumerate(cols)}
    col = np.array([pos[s] for s in sites], dtype=np.int64)
    at = np.arange(len(ids))
    out = np.asarray(matrix.block(ids, cols), dtype=float)[at, col] / 1000.0
    back = np.asarray(matrix.block(cols, ids), dtype=float)[col, at] / 1000.0
    result: FloatArray = out + back
    return result


def estimate_collection(
    scenario: Scenario,
    stream: str,
    point_ids: tuple[str, ...] | list[str],
    load_kg: FloatArray,
    stops: FloatArray,
    matrix: DistanceSource,
    unload_at: dict[str, str],
    *,
    costs: CostSettings | None = None,
) -> CollectionEstimate:
    """Predict one day's collection of ``stream`` with the planner's formulas: ``load_kg[i]``
    is collected from ``point_ids[i]`` in ``stops[i]`` visits and unloaded at
    ``unload_at[point_id]`` (a station or plant id). Used to calibrate the planner against
    routed days (``benchmarks/facilities_calibration.py``)."""
    cs = costs or CostSettings()
    fleet = _collection_fleet(scenario, stream)
    st = scenario.stream(stream)
    q_kg = min(fleet.payload_kg, fleet.volume_m3 * st.density_kg_per_m3)
    alpha = cs.km_factor
    kappa = cs.tour_constant * scenario.network.circuity
    load = np.asarray(load_kg, dtype=float)
    n_stops = np.asarray(stops, dtype=float)
    keep = (load > 0) & (n_stops > 0)
    ids = [p for p, k in zip(point_ids, keep.tolist(), strict=True) if k]
    load, n_stops = load[keep], n_stops[keep]
    unload_h = {s.id: s.unload_time_s / 3600.0 for s in scenario.stations}
    unload_h.update({k.id: k.unload_time_s / 3600.0 for k in scenario.facilities})
    pts = [scenario.point(p) for p in ids]
    rt = alpha * _round_trip_km(matrix, ids, [unload_at[p] for p in ids])
    t_u = np.array([unload_h[unload_at[p]] for p in ids])
    trips = load / q_kg
    total_trips = float(trips.sum())
    n = float(n_stops.sum())
    area = hull_area_km2(np.array([p.lon for p in pts]), np.array([p.lat for p in pts]))
    local_km = local_tour_km(area, n, alpha, kappa)
    service_h = float(np.dot(n_stops, [p.service_time_s / 3600.0 for p in pts]))
    v = fleet.speed_kmh
    local_h_trip = (local_km / v + service_h) / total_trips if total_trips > 0 else 0.0
    trip_h = rt / v + t_u + local_h_trip
    share = vehicle_day_share(trip_h, fleet.max_trips, fleet.shift_h)
    line_km = float(np.dot(trips, rt))
    vehicle_days = float(np.dot(trips, share))
    unload_hours = float(np.dot(trips, t_u))
    return CollectionEstimate(
        stream=stream,
        stops=int(n),
        load_kg=float(load.sum()),
        trips=total_trips,
        line_haul_km=line_km,
        local_km=local_km,
        hours=line_km / v + unload_hours + local_km / v + service_h + fleet.lunch_h * vehicle_days,
        line_haul_cny=line_km * (fleet.cost_cny_per_km + fleet.cost_cny_per_hour / v),
        unloading_cny=fleet.cost_cny_per_hour * unload_hours,
        vehicle_days_cny=(fleet.cost_cny_per_day + fleet.cost_cny_per_hour * fleet.lunch_h)
        * vehicle_days,
        local_cny=fleet.cost_cny_per_km * local_km
        + fleet.cost_cny_per_hour * (local_km / v + service_h),
    )
