"""Reading a solved consolidation MILP back: who unloads where, the flows, each cost term, the
capacity use and shortfalls of every station and plant (stream by stream at plants), the
vehicle-hours of each restricted vehicle class set against its fleet, and the tier-2 haul per
station and stream, all recomputed from the rounded decisions (model:
:mod:`wasteopt.facilities.model`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wasteopt.facilities.collection import FloatArray
from wasteopt.facilities.inputs import IntArray
from wasteopt.facilities.model import FacilityModelData
from wasteopt.facilities.plan import FleetHours, HaulNeed
from wasteopt.facilities.stations import BoolArray

__all__ = [
    "SHORT_TOLERANCE",
    "TOL_H",
    "TOL_T",
    "CapacityUse",
    "Routing",
    "capacity_use",
    "cost_breakdown",
    "fleet_hours",
    "haul_needs",
    "material_shortfalls",
    "plant_shorts",
    "waste_routing",
]

TOL_T = 1e-6
"""t/day below which a slack or flow is numerical noise."""
TOL_H = 1e-6
"""Vehicle-hours/day below which a fleet shortfall is numerical noise."""
SHORT_TOLERANCE = 0.005
"""Share of a site's capacity its inflow may exceed and still count as within tolerance: the
linear shortfall penalty makes a few kg over a station cheaper than moving a whole point
elsewhere, and that is no shortage a planner acts on. The same 0.5 % as the simulation's
overflow tolerance (README, exit codes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Routing:
    """The plan's rounded decisions: who unloads where and what flows to the plants, with the
    resulting inflow of every station, plant and plant-stream pair (t/day)."""

    assignments: dict[tuple[str, str], str]
    demand: dict[tuple[str, str], float]
    flows: dict[tuple[str, str, str], float]
    station_inflow: FloatArray
    plant_inflow: FloatArray
    plant_stream_inflow: dict[tuple[int, int], float]


def waste_routing(d: FacilityModelData, chosen: IntArray, flow: FloatArray) -> Routing:
    """Assignments of the chosen options (every member point of a zone pair gets its zone's
    site) and the positive transfer flows."""
    assignments: dict[tuple[str, str], str] = {}
    demand: dict[tuple[str, str], float] = {}
    st_in = np.zeros(len(d.station_ids))
    pl_in = np.zeros(len(d.plant_ids))
    ks_in: dict[tuple[int, int], float] = {}
    ptr, member_t = d.member_ptr.tolist(), d.member_t_per_day.tolist()
    member_id = [d.point_ids[p] for p in d.member_point.tolist()]
    for o in chosen.tolist():
        q = int(d.opt_pair[o])
        s = int(d.pair_stream[q])
        s_id = d.stream_ids[s]
        site = int(d.opt_site[o])
        t = float(d.pair_t_per_day[q])
        if d.opt_is_station[o]:
            site_id = d.station_ids[site]
            st_in[site] += t
        else:
            site_id = d.plant_ids[site]
            pl_in[site] += t
            ks_in[(site, s)] = ks_in.get((site, s), 0.0) + t
        for m in range(ptr[q], ptr[q + 1]):
            assignments[(member_id[m], s_id)] = site_id
            demand[(member_id[m], s_id)] = member_t[m]
    flows: dict[tuple[str, str, str], float] = {}
    for a in np.flatnonzero(flow).tolist():
        j, s, k = int(d.arc_station[a]), int(d.arc_stream[a]), int(d.arc_plant[a])
        flows[(d.station_ids[j], d.stream_ids[s], d.plant_ids[k])] = float(flow[a])
        pl_in[k] += float(flow[a])
        ks_in[(k, s)] = ks_in.get((k, s), 0.0) + float(flow[a])
    return Routing(
        assignments=assignments,
        demand=demand,
        flows=flows,
        station_inflow=st_in,
        plant_inflow=pl_in,
        plant_stream_inflow=ks_in,
    )


def plant_shorts(d: FacilityModelData, routing: Routing, u_plant: FloatArray) -> FloatArray:
    """u_ks of the solution, clipped to [0, inflow_ks] and cleared below :data:`TOL_T`."""
    inflow = np.array(
        [
            routing.plant_stream_inflow.get((int(k), int(s)), 0.0)
            for k, s in zip(d.short_plant, d.short_stream, strict=True)
        ]
    )
    u = np.clip(u_plant, 0.0, inflow) if len(inflow) else np.zeros(0)
    return np.where(u > TOL_T, u, 0.0)


def cost_breakdown(
    d: FacilityModelData,
    y: BoolArray,
    chosen: IntArray,
    flow: FloatArray,
    short_station: FloatArray,
    short_plant: FloatArray,
    short_fleet: FloatArray,
) -> dict[str, float]:
    """Each cost term of the objective (CNY/yr), recomputed from the rounded decisions; gate
    fees on accepted tonnes only, the shortfall penalty on every short tonne and on every
    short fleet hour (``short_fleet``, per scarce-class row)."""
    gate_short = float(np.dot(d.plant_gate_cny_per_year_per_t_day[d.short_plant], short_plant))
    pen = d.shortfall_penalty_cny_per_year_per_t_per_day
    return {
        "collection_line_haul": float(d.opt_linehaul_cny_per_year[chosen].sum()),
        "collection_unloading": float(d.opt_unload_cny_per_year[chosen].sum()),
        "collection_vehicle_days": float(d.opt_vehicle_cny_per_year[chosen].sum()),
        "collection_local": float(d.local_cny_per_year),
        "station_fixed": float(d.station_fixed_cny_per_year[y].sum()),
        "station_staff": float(d.station_staff_cny_per_year[y].sum()),
        "station_handling": float(d.opt_handling_cny_per_year[chosen].sum()),
        "transfer_haul": float(np.dot(d.arc_haul_cny_per_year_per_t_day, flow)),
        "gate_fees": float(d.opt_gate_cny_per_year[chosen].sum())
        + float(np.dot(d.arc_gate_cny_per_year_per_t_day, flow))
        - gate_short,
        "shortfall_penalty": pen * float(short_station.sum() + short_plant.sum()),
        "fleet_shortfall_penalty": float(np.dot(d.limit_penalty_cny_per_year_per_h, short_fleet)),
        "station_opening_annualised": float(d.station_opening_cny_per_year[y].sum()),
        "station_closing_annualised": float(d.station_closing_cny_per_year[~y].sum()),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityUse:
    """Inflow, capacity and utilisation of every station and plant; the binding sites; the
    shortfalls (t/day) of each station, each plant-stream pair and each site in total."""

    inflow: dict[str, float]
    capacity: dict[str, float]
    utilisation: dict[str, float]
    binding: tuple[str, ...]
    shortfalls: dict[str, float]
    station_short: dict[str, float]
    plant_short: dict[tuple[str, str], float]
    station_short_t: FloatArray


def material_shortfalls(
    shortfalls: dict[str, float], capacity: dict[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Split shortfalls (t/day per site) into those above :data:`SHORT_TOLERANCE` of the site's
    capacity and those within it (a site of capacity 0 is never within tolerance)."""
    above: dict[str, float] = {}
    within: dict[str, float] = {}
    for site, t in shortfalls.items():
        cap = capacity.get(site, 0.0)
        (within if cap > 0 and t <= SHORT_TOLERANCE * cap else above)[site] = t
    return above, within


def capacity_use(d: FacilityModelData, routing: Routing, short_plant: FloatArray) -> CapacityUse:
    """Compare each site's inflow with its capacity (stations first, then plants); a station
    is short by what exceeds its capacity, a plant by the slacks ``short_plant`` (u_ks)."""
    inflow: dict[str, float] = {}
    capacity: dict[str, float] = {}
    util: dict[str, float] = {}
    binding: list[str] = []
    st_short = np.maximum(routing.station_inflow - d.station_capacity_t_per_day, 0.0)
    st_short = np.where(st_short > TOL_T, st_short, 0.0)
    pl_short = np.zeros(len(d.plant_ids))
    np.add.at(pl_short, d.short_plant, short_plant)
    for ids, inflows, caps, short in (
        (d.station_ids, routing.station_inflow, d.station_capacity_t_per_day, st_short),
        (d.plant_ids, routing.plant_inflow, d.plant_capacity_t_per_day, pl_short),
    ):
        for i, site in enumerate(ids):
            t_in, cap = float(inflows[i]), float(caps[i])
            inflow[site] = t_in
            capacity[site] = cap
            util[site] = t_in / cap if cap > 0 else (math.inf if t_in > 0 else 0.0)
            if t_in > 0 and t_in - float(short[i]) >= cap * (1 - 1e-6) - TOL_T:
                binding.append(site)
    plant_short = {
        (d.plant_ids[int(k)], d.stream_ids[int(s)]): float(u)
        for k, s, u in zip(d.short_plant, d.short_stream, short_plant, strict=True)
        if u > 0
    }
    station_short = {d.station_ids[j]: float(st_short[j]) for j in np.flatnonzero(st_short)}
    totals = dict(station_short)
    for k in np.flatnonzero(pl_short > 0).tolist():
        totals[d.plant_ids[k]] = float(pl_short[k])
    return CapacityUse(
        inflow=inflow,
        capacity=capacity,
        utilisation=util,
        binding=tuple(binding),
        shortfalls=totals,
        station_short=station_short,
        plant_short=plant_short,
        station_short_t=st_short,
    )


def haul_needs(d: FacilityModelData, flow: FloatArray) -> tuple[HaulNeed, ...]:
    """Tier-2 haul per (station, stream) with flow: trips = Σ_k f_jsk / L_js, containers filled
    = t/day ÷ ``container_t`` (trips without containers), vehicle-days = Σ trips × share."""
    acc: dict[tuple[int, int], list[float]] = {}
    for a in np.flatnonzero(flow > 0).tolist():
        key = (int(d.arc_station[a]), int(d.arc_stream[a]))
        trips = float(flow[a]) / float(d.arc_load_t[a])
        t, n, vd = acc.get(key, [0.0, 0.0, 0.0])
        acc[key] = [
            t + float(flow[a]),
            n + trips,
            vd + trips * float(d.arc_vehicle_days_per_trip[a]),
        ]
    out = []
    for (j, s), (t, trips, vd) in sorted(acc.items()):
        c_t = float(d.station_container_t[j])
        out.append(
            HaulNeed(
                station=d.station_ids[j],
                stream=d.stream_ids[s],
                t_per_day=t,
                load_t_per_trip=t / trips if trips > 0 else 0.0,
                trips_per_day=trips,
                container_t=c_t,
                containers_per_day=t / c_t if c_t > 0 else trips,
                containers_in_pool=int(d.station_containers[j]),
                vehicle_days_per_day=vd,
            )
        )
    return tuple(out)


def fleet_hours(d: FacilityModelData, chosen: IntArray) -> tuple[FleetHours, ...]:
    """The vehicle-hours/day the chosen options give each restricted class set (constraint
    11), its fleet's hours and what is short (below :data:`TOL_H`: 0)."""
    x = np.zeros(len(d.opt_pair))
    x[chosen] = 1.0
    out = []
    for r, s in enumerate(d.limit_stream.tolist()):
        opts = d.limit_opt[d.limit_ptr[r] : d.limit_ptr[r + 1]]
        used = float(np.dot(d.opt_vehicle_h_per_day[opts], x[opts]))
        cap = float(d.limit_capacity_h_per_day[r])
        short = used - cap if used - cap > TOL_H else 0.0
        out.append(
            FleetHours(
                stream=d.stream_ids[s],
                vehicle_classes=d.limit_classes[r],
                hours_per_day=used,
                capacity_h_per_day=cap,
                short_h_per_day=short,
                penalty_cny_per_year=short * float(d.limit_penalty_cny_per_year_per_h[r]),
            )
        )
    return tuple(out)
