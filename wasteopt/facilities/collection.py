"""The continuous approximation of collection (Daganzo 1984) the planner prices options with:
count-weighted fleet parameters per stream and road access class (the types that may serve
a point of that class, :data:`~wasteopt.scenario.model.ACCESS_RULES`), the local tour length
over a stream's service area and its split over those fleets, the share of a vehicle-day one
trip uses, and :func:`estimate_collection`, one day's collection of a stream predicted with the
same formulas (the model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from wasteopt.errors import InputError, Problem
from wasteopt.facilities.settings import CostSettings
from wasteopt.scenario.model import ACCESS_CLASSES, ACCESS_RULES, Scenario

__all__ = [
    "N_ACCESS",
    "CollectionEstimate",
    "DistanceSource",
    "Fleet",
    "FleetArrays",
    "FloatArray",
    "LocalSplit",
    "access_fleets",
    "access_index",
    "average_fleet",
    "estimate_collection",
    "fleet_arrays",
    "hull_area_km2",
    "local_tour_km",
    "reach_classes",
    "split_local",
    "vehicle_day_share",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

N_ACCESS = len(ACCESS_CLASSES) + 1
"""Fleet slots per stream: one per access class of ``ACCESS_CLASSES`` (that order), then one
for a point of an unknown class (the stream's whole fleet)."""

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


def average_fleet(
    scenario: Scenario, stream: str, role: str, classes: Collection[str] | None = None
) -> Fleet | None:
    """Count-weighted average parameters of the vehicle types of ``stream`` with ``role``
    (only those whose ``effective_class`` is in ``classes`` when given)."""
    types = [
        v
        for v in scenario.vehicle_types
        if v.stream == stream
        and v.role == role
        and (classes is None or v.effective_class in classes)
    ]
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


def reach_classes(scenario: Scenario, stream: str) -> tuple[frozenset[str], ...]:
    """Per slot (:data:`N_ACCESS`): the vehicle classes of the collection types of ``stream``
    that may serve a point of that access class (:data:`ACCESS_RULES`); empty when none may,
    and for the unknown-class slot."""
    have = frozenset(
        v.effective_class
        for v in scenario.vehicle_types
        if v.stream == stream and v.role == "collection"
    )
    return (*(have & ACCESS_RULES[a] for a in ACCESS_CLASSES), frozenset())


def access_fleets(scenario: Scenario, stream: str) -> tuple[Fleet, ...] | None:
    """Per slot (:data:`N_ACCESS`): the count-weighted fleet of the collection types of
    ``stream`` that may serve the access class. Where none may (a point that never has the
    stream collected; scenario validation names every other one) and for the unknown-class
    slot: the stream's whole collection fleet. None when the stream has no collection type."""
    whole = average_fleet(scenario, stream, "collection")
    if whole is None:
        return None
    return tuple(
        average_fleet(scenario, stream, "collection", classes) or whole
        for classes in reach_classes(scenario, stream)
    )


def access_index(scenario: Scenario) -> IntArray:
    """Each point's fleet slot: its position in ``ACCESS_CLASSES`` (the last slot when the
    class is unknown, in a scenario that skipped validation)."""
    slot = {a: i for i, a in enumerate(ACCESS_CLASSES)}
    return np.array(
        [slot.get(p.access, N_ACCESS - 1) for p in scenario.points], dtype=np.int64
    ).reshape(len(scenario.points))


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetArrays:
    """Collection fleet parameters per fleet g (model docstring): c_g, c^t_g, c^d_g (a
    vehicle-day incl. the paid lunch), v_g, T_g, H_g, e_g and Q_g (kg per trip)."""

    cost_per_km: FloatArray
    cost_per_hour: FloatArray
    cost_per_day: FloatArray
    speed_kmh: FloatArray
    max_trips: FloatArray
    shift_h: FloatArray
    co2_kg_per_km: FloatArray
    load_kg: FloatArray


def fleet_arrays(
    fleets: Sequence[Fleet | None], density_kg_per_m3: Sequence[float], fill_margin: float = 1.0
) -> FleetArrays:
    """The parameters of ``fleets[g]`` carrying waste of ``density_kg_per_m3[g]``, loaded per
    trip to ``fill_margin`` of payload or body volume as the routing plans them
    (``[planning] fill_margin``); a missing fleet gets neutral values (no cost, unit speed and
    load)."""

    def get(attr: str, default: float) -> FloatArray:
        return np.array([default if f is None else float(getattr(f, attr)) for f in fleets])

    load = [
        1.0 if f is None else fill_margin * min(f.payload_kg, f.volume_m3 * rho)
        for f, rho in zip(fleets, density_kg_per_m3, strict=True)
    ]
    return FleetArrays(
        cost_per_km=get("cost_cny_per_km", 0.0),
        cost_per_hour=get("cost_cny_per_hour", 0.0),
        # a vehicle-day: fixed cost + the crew's paid lunch
        cost_per_day=get("cost_cny_per_day", 0.0)
        + get("cost_cny_per_hour", 0.0) * get("lunch_h", 0.0),
        speed_kmh=get("speed_kmh", 1.0),
        max_trips=get("max_trips", 1.0),
        shift_h=get("shift_h", 1.0),
        co2_kg_per_km=get("co2_kg_per_km", 0.0),
        load_kg=np.array(load, dtype=float),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSplit:
    """The local part of one stream's tours per fleet: L_g km/day, hours/day
    (L_g / v_g + S_g) and τ^loc_g h per trip (0 for a fleet without trips)."""

    km: FloatArray
    hours: FloatArray
    h_per_trip: FloatArray


def split_local(
    local_km: float,
    fleet: IntArray,
    stops: FloatArray,
    service_h: FloatArray,
    trips: FloatArray,
    speed_kmh: FloatArray,
) -> LocalSplit:
    """Share a stream's local tour length L (km/day) among its fleets by due stops (each stop
    costs the stream's κ/√δ whoever serves it, so the shares sum to L), then add each fleet's
    service hours: point i has ``stops[i]`` stops of ``service_h[i]`` h and ``trips[i]``
    loads, served by fleet ``fleet[i]`` of speed ``speed_kmh[fleet[i]]``."""
    n = len(speed_kmh)
    stops_g = np.bincount(fleet, weights=stops, minlength=n)
    total = float(stops_g.sum())
    km = np.asarray(local_km * stops_g / total if total > 0 else np.zeros(n), dtype=float)
    hours = km / speed_kmh + np.bincount(fleet, weights=stops * service_h, minlength=n)
    trips_g = np.bincount(fleet, weights=trips, minlength=n)
    per_trip = np.divide(hours, trips_g, out=np.zeros(n), where=trips_g > 0)
    return LocalSplit(km=km, hours=hours, h_per_trip=per_trip)


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


def _collection_fleets(scenario: Scenario, stream: str) -> tuple[Fleet, ...]:
    """The fleet of each access slot (:func:`access_fleets`), or raise naming the stream."""
    fleets = access_fleets(scenario, stream)
    if fleets is None:
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
    return fleets


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
    is collected from ``point_ids[i]`` in ``stops[i]`` visits by the fleet that may serve its
    access class and unloaded at ``unload_at[point_id]`` (a station or plant id). Used to
    calibrate the planner against routed days (``benchmarks/facilities_calibration.py``)."""
    cs = costs or CostSettings()
    fleets = _collection_fleets(scenario, stream)
    density = [scenario.stream(stream).density_kg_per_m3] * len(fleets)
    veh = fleet_arrays(fleets, density, scenario.planning.fill_margin)
    load = np.asarray(load_kg, dtype=float)
    n_stops = np.asarray(stops, dtype=float)
    keep = (load > 0) & (n_stops > 0)
    ids = [p for p, k in zip(point_ids, keep.tolist(), strict=True) if k]
    load, n_stops = load[keep], n_stops[keep]
    unload_h = {s.id: s.unload_time_s / 3600.0 for s in scenario.stations}
    unload_h.update({k.id: k.unload_time_s / 3600.0 for k in scenario.facilities})
    pts = [scenario.point(p) for p in ids]
    row = {p.id: i for i, p in enumerate(scenario.points)}
    g = access_index(scenario)[[row[p] for p in ids]]
    rt = cs.km_factor * _round_trip_km(matrix, ids, [unload_at[p] for p in ids])
    t_u = np.array([unload_h[unload_at[p]] for p in ids])
    trips = load / veh.load_kg[g]
    area = hull_area_km2(np.array([p.lon for p in pts]), np.array([p.lat for p in pts]))
    kappa = cs.tour_constant * scenario.network.circuity
    local = split_local(
        local_tour_km(area, float(n_stops.sum()), cs.km_factor, kappa),
        g,
        n_stops,
        np.array([p.service_time_s / 3600.0 for p in pts]),
        trips,
        veh.speed_kmh,
    )
    v, ch = veh.speed_kmh[g], veh.cost_per_hour[g]
    share = vehicle_day_share(rt / v + t_u + local.h_per_trip[g], veh.max_trips[g], veh.shift_h[g])
    lunch_h = np.array([f.lunch_h for f in fleets])[g]
    return CollectionEstimate(
        stream=stream,
        stops=int(n_stops.sum()),
        load_kg=float(load.sum()),
        trips=float(trips.sum()),
        line_haul_km=float(np.dot(trips, rt)),
        local_km=float(local.km.sum()),
        hours=float(np.dot(trips, rt / v + t_u + lunch_h * share) + local.hours.sum()),
        line_haul_cny=float(np.dot(trips * rt, veh.cost_per_km[g] + ch / v)),
        unloading_cny=float(np.dot(trips * t_u, ch)),
        vehicle_days_cny=float(np.dot(trips * share, veh.cost_per_day[g])),
        local_cny=float(np.dot(veh.cost_per_km, local.km) + np.dot(veh.cost_per_hour, local.hours)),
    )
