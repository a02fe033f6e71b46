"""The assignment options of the station consolidation model and what each costs: which sites
accept which streams (6), the stations and plants each (point, stream) pair may unload at within
the haul limit (7), the collection fleet of each pair (its stream and access class), the local
tours per stream and fleet, and each option's line haul, unloading, vehicle-day, handling and
gate fee terms and vehicle-hours (model: :mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wasteopt.facilities.collection import (
    N_ACCESS,
    FleetArrays,
    FloatArray,
    access_index,
    fleet_arrays,
    hull_area_km2,
    local_tour_km,
    split_local,
    vehicle_day_share,
)
from wasteopt.facilities.inputs import IntArray, ModelInputs
from wasteopt.facilities.settings import CostSettings
from wasteopt.facilities.stations import BoolArray
from wasteopt.scenario.model import Scenario

__all__ = [
    "Acceptance",
    "DemandPairs",
    "LocalTours",
    "OptionCosts",
    "Options",
    "acceptance",
    "demand_pairs",
    "fleet_vehicles",
    "local_tours",
    "option_costs",
    "pair_fleets",
    "pair_options",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Acceptance:
    """``station[j, s]`` / ``plant[k, s]``: site accepts stream s; ``has_outlet[s]``: some plant
    accepts s; ``station_for[s]``: some station that may open accepts s (else s goes direct)."""

    station: BoolArray
    plant: BoolArray
    has_outlet: BoolArray
    station_for: BoolArray


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandPairs:
    """The (point, stream) pairs q with a positive rate, and w_q in t/day."""

    point: IntArray
    stream: IntArray
    t_per_day: FloatArray


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Options o: pair ``pair[o]`` unloads at station (``is_station``) or plant ``site[o]``;
    ``round_trip_km`` = d(p,j) + d(j,p) and ``one_way_km`` = d(p,j), unscaled; pairs without
    any option are ``unassignable`` (point id, stream id)."""

    pair: IntArray
    site: IntArray
    is_station: BoolArray
    round_trip_km: FloatArray
    one_way_km: FloatArray
    unassignable: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalTours:
    """The local part of the tours: τ^loc_g h per trip of each fleet g (stream and access
    class), and the constant km/day, CNY/yr and kg CO2/day over all streams."""

    h_per_trip: FloatArray
    km_per_day: float
    cny_per_year: float
    co2_kg_per_day: float


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionCosts:
    """Per option: the collection cost C split into line haul, unloading and vehicle-days,
    station handling and plant gate fees (CNY/yr), km/day, t·km/day, kg CO2/day and the
    collection vehicle-hours per day it occupies (η_o). Every field is a sum over the points
    of an option (:mod:`~wasteopt.facilities.zones` adds them up field by field)."""

    linehaul: FloatArray
    unload: FloatArray
    vehicles: FloatArray
    handling: FloatArray
    gate: FloatArray
    km_per_day: FloatArray
    t_km_per_day: FloatArray
    co2_kg_per_day: FloatArray
    vehicle_h_per_day: FloatArray

    @property
    def collect(self) -> FloatArray:
        """C_psj (or C_psk): line haul + unloading + vehicle-days."""
        return self.linehaul + self.unload + self.vehicles


def acceptance(scenario: Scenario, y_ub: FloatArray) -> Acceptance:
    """Which stations and plants accept which streams (constraint 6)."""
    stream_ids = [s.id for s in scenario.streams]
    n_s = len(stream_ids)
    stations, plants = scenario.stations, scenario.facilities
    plant = np.array([[sid in k.streams for sid in stream_ids] for k in plants], dtype=bool)
    plant = plant.reshape(len(plants), n_s)
    station = np.array([[sid in s.streams for sid in stream_ids] for s in stations], dtype=bool)
    station = station.reshape(len(stations), n_s)
    has_outlet = plant.any(axis=0) if len(plants) else np.zeros(n_s, dtype=bool)
    station_for = (
        (station & (y_ub > 0)[:, None]).any(axis=0) if len(stations) else np.zeros(n_s, bool)
    )
    return Acceptance(
        station=station,
        plant=plant,
        has_outlet=np.asarray(has_outlet, dtype=bool),
        station_for=np.asarray(station_for, dtype=bool),
    )


def demand_pairs(inputs: ModelInputs) -> DemandPairs:
    """The modelled pairs in row-major order (point order, then stream order)."""
    point = inputs.active_pairs[:, 0].astype(np.int64)
    stream = inputs.active_pairs[:, 1].astype(np.int64)
    return DemandPairs(point=point, stream=stream, t_per_day=inputs.rates[point, stream] / 1000.0)


def pair_options(
    scenario: Scenario,
    inputs: ModelInputs,
    pairs: DemandPairs,
    accepts: Acceptance,
    y_ub: FloatArray,
    *,
    allow_direct: bool,
    max_haul_km: float | None,
) -> Options:
    """Every allowed option of every pair, pair by pair: stations that may open and accept the
    stream first, then plants (only for a ``large_generator`` point with ``allow_direct``, or
    when no station that may open accepts the stream), none farther than ``max_haul_km``
    (constraints 6, 7). Built stream by stream from the points × sites blocks."""
    limit_km = math.inf if max_haul_km is None else float(max_haul_km)
    dist = inputs.distances
    large = np.array([p.large_generator for p in scenario.points], dtype=bool)
    may_open = y_ub != 0.0
    parts: list[_OptionPart] = []
    for s in np.unique(pairs.stream).tolist():
        if not accepts.has_outlet[s]:
            continue
        qs = np.flatnonzero(pairs.stream == s)
        rows = dist.point_pos[pairs.point[qs]]
        stations = np.flatnonzero(accepts.station[:, s] & may_open)
        parts.append(
            _site_options(qs, rows, stations, 0, (dist.to_station, dist.from_station), limit_km)
        )
        direct = (allow_direct & large[pairs.point[qs]]) | (not accepts.station_for[s])
        plants = np.flatnonzero(accepts.plant[:, s])
        parts.append(
            _site_options(
                qs[direct],
                rows[direct],
                plants,
                len(stations),
                (dist.to_plant, dist.from_plant),
                limit_km,
                is_station=False,
            )
        )
    return _ordered_options(scenario, pairs, parts)


_OptionPart = tuple[IntArray, IntArray, IntArray, BoolArray, FloatArray, FloatArray]
"""Options of one stream and site kind: pair, site, rank within the pair's candidate list,
is_station, round-trip km, one-way km."""


def _site_options(
    qs: IntArray,
    rows: IntArray,
    sites: IntArray,
    rank0: int,
    km: tuple[FloatArray, FloatArray],
    limit_km: float,
    *,
    is_station: bool = True,
) -> _OptionPart:
    """Options of pairs ``qs`` (distance rows ``rows``) at ``sites``, within ``limit_km``;
    ``km`` = (to the sites, from the sites), points × sites."""
    grid = np.ix_(rows, sites)
    d_out, d_back = km[0][grid], km[1][grid]
    qi, si = np.nonzero(d_out <= limit_km)
    return (
        qs[qi],
        sites[si].astype(np.int64),
        (rank0 + si).astype(np.int64),
        np.full(len(qi), is_station, dtype=bool),
        (d_out + d_back)[qi, si],
        d_out[qi, si],
    )


def _ordered_options(scenario: Scenario, pairs: DemandPairs, parts: list[_OptionPart]) -> Options:
    """The parts in pair order, each pair's candidates in their rank order; the pairs left
    without any option named as unassignable."""
    if not parts:
        parts = [(np.zeros(0, np.int64),) * 3 + (np.zeros(0, bool), np.zeros(0), np.zeros(0))]
    q, site, rank, is_st, rt, one = (np.concatenate(col) for col in zip(*parts, strict=True))
    order = np.lexsort((rank, q))
    count = np.bincount(q, minlength=len(pairs.point))
    unassignable = tuple(
        (scenario.points[int(pairs.point[i])].id, scenario.streams[int(pairs.stream[i])].id)
        for i in np.flatnonzero(count == 0).tolist()
    )
    return Options(
        pair=q[order].astype(np.int64),
        site=site[order],
        is_station=is_st[order].astype(bool),
        round_trip_km=rt[order].astype(float),
        one_way_km=one[order].astype(float),
        unassignable=unassignable,
    )


def pair_fleets(scenario: Scenario, points: IntArray, streams: IntArray) -> IntArray:
    """The collection fleet g = s · N_ACCESS + access slot of each (point, stream) pair
    (:func:`~wasteopt.facilities.collection.access_fleets`); a zone pair is its first point's,
    as a zone never mixes access classes."""
    return (streams * N_ACCESS + access_index(scenario)[points]).astype(np.int64)


def fleet_vehicles(scenario: Scenario, inputs: ModelInputs) -> FleetArrays:
    """The parameters of every fleet g = s · N_ACCESS + access slot; the fleets of streams
    without waste get neutral values."""
    fleets = [
        inputs.access_fleets[s][a] if s in inputs.access_fleets else None
        for s in range(len(scenario.streams))
        for a in range(N_ACCESS)
    ]
    density = [s.density_kg_per_m3 for s in scenario.streams for _ in range(N_ACCESS)]
    return fleet_arrays(fleets, density, scenario.planning.fill_margin)


def local_tours(
    scenario: Scenario, inputs: ModelInputs, vehicles: FleetArrays, costs: CostSettings
) -> LocalTours:
    """L_s over each stream's hull, split over its fleets by due stops, the fleets' service
    hours S_g and τ^loc_g; their constant cost, each fleet's part priced with that fleet."""
    alpha = costs.km_factor
    kappa = costs.tour_constant * scenario.network.circuity
    rates, visits = inputs.rates, inputs.visits
    lon = np.array([p.lon for p in scenario.points])
    lat = np.array([p.lat for p in scenario.points])
    service_h = np.array([p.service_time_s for p in scenario.points], dtype=float) / 3600.0
    slot = access_index(scenario)
    n_g = len(vehicles.speed_kmh)
    km_g, hours_g, h_per_trip = np.zeros(n_g), np.zeros(n_g), np.zeros(n_g)
    for s in inputs.active_streams:
        rows = np.flatnonzero(rates[:, s] > 0)
        stops = visits[rows, s]
        if float(stops.sum()) <= 0:
            continue
        g = s * N_ACCESS + slot[rows]
        part = slice(s * N_ACCESS, (s + 1) * N_ACCESS)
        local = split_local(
            local_tour_km(hull_area_km2(lon[rows], lat[rows]), float(stops.sum()), alpha, kappa),
            g - s * N_ACCESS,
            stops,
            service_h[rows],
            rates[rows, s] / vehicles.load_kg[g],
            vehicles.speed_kmh[part],
        )
        km_g[part], hours_g[part], h_per_trip[part] = local.km, local.hours, local.h_per_trip
    return LocalTours(
        h_per_trip=h_per_trip,
        km_per_day=float(km_g.sum()),
        cny_per_year=costs.days_per_year
        * float(np.dot(vehicles.cost_per_km, km_g) + np.dot(vehicles.cost_per_hour, hours_g)),
        co2_kg_per_day=float(np.dot(vehicles.co2_kg_per_km, km_g)),
    )


def _per_option(values: Sequence[float], options: Options, at_station: bool) -> FloatArray | float:
    """``values[site]`` for the options at a station (``at_station``) or at a plant; 0 when
    there are no such sites (the np.where in the callers then ignores it)."""
    if not len(values):
        return 0.0
    arr = np.asarray(values, dtype=float)
    mask = options.is_station if at_station else ~options.is_station
    out: FloatArray = arr[np.where(mask, options.site, 0)]
    return out


def option_costs(
    scenario: Scenario,
    pairs: DemandPairs,
    options: Options,
    vehicles: FleetArrays,
    tours: LocalTours,
    costs: CostSettings,
) -> OptionCosts:
    """The cost terms of each option, priced with its pair's fleet (collection cost of an
    option, module docstring), and the vehicle-hours it occupies."""
    days = costs.days_per_year
    is_st = options.is_station
    o_t = pairs.t_per_day[options.pair]
    o_fleet = pair_fleets(scenario, pairs.point, pairs.stream)[options.pair]
    unload_st = [st.unload_time_s / 3600.0 for st in scenario.stations]
    unload_pl = [k.unload_time_s / 3600.0 for k in scenario.facilities]
    if len(options.site):
        t_unload = np.where(
            is_st, _per_option(unload_st, options, True), _per_option(unload_pl, options, False)
        )
    else:
        t_unload = np.zeros(0)
    rt_km = costs.km_factor * options.round_trip_km
    trips = 1000.0 * o_t / vehicles.load_kg[o_fleet]  # loads per day
    km_day = rt_km * trips
    sp, ch = vehicles.speed_kmh[o_fleet], vehicles.cost_per_hour[o_fleet]
    trip_h = rt_km / sp + t_unload + tours.h_per_trip[o_fleet]
    shift_h = vehicles.shift_h[o_fleet]
    veh_days = trips * vehicle_day_share(trip_h, vehicles.max_trips[o_fleet], shift_h)
    handling_per_t = [s.cost_cny_per_t for s in scenario.stations]
    gate_per_t = [k.gate_fee_cny_per_t for k in scenario.facilities]
    return OptionCosts(
        linehaul=days * trips * (vehicles.cost_per_km[o_fleet] * rt_km + ch * rt_km / sp),
        unload=days * trips * ch * t_unload,
        vehicles=days * veh_days * vehicles.cost_per_day[o_fleet],
        handling=np.where(is_st, days * o_t * _per_option(handling_per_t, options, True), 0.0),
        gate=np.where(~is_st, days * o_t * _per_option(gate_per_t, options, False), 0.0),
        km_per_day=km_day,
        t_km_per_day=o_t * options.one_way_km,
        co2_kg_per_day=vehicles.co2_kg_per_km[o_fleet] * km_day,
        vehicle_h_per_day=veh_days * shift_h,
    )
