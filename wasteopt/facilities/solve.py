"""Plan facilities: build the model's coefficients, solve with Pyomo + HiGHS, read the plan back.

The model is stated in :mod:`wasteopt.facilities.model`; the solver adapter is
:mod:`wasteopt.facilities._highs` (imported only when a solve is needed).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from wasteopt.facilities.model import (
    CostSettings,
    DistanceSource,
    FacilityModelData,
    PlanMode,
    build_model_data,
)
from wasteopt.facilities.plan import FacilityPlan, FacilityStatus
from wasteopt.scenario.model import Scenario

__all__ = ["plan_facilities"]

log = logging.getLogger("wasteopt")

_TOL_T = 1e-6  # t/day below which a slack or flow is numerical noise


def plan_facilities(
    scenario: Scenario,
    rates_kg_per_day: np.ndarray,
    matrix: DistanceSource,
    *,
    mode: PlanMode = "free",
    time_limit_s: float = 60.0,
    mip_gap: float = 1e-6,
    allow_direct: bool = True,
    max_haul_km: float | None = None,
    max_stations: int | None = None,
    capital_budget_cny: float | None = None,
    costs: CostSettings | None = None,
    threads: int | None = None,
) -> FacilityPlan:
    """Choose stations to keep, close or build and assign every (point, stream) to one station
    or plant, minimising annual cost (model: :mod:`wasteopt.facilities.model`).

    ``rates_kg_per_day``: expected generation, shape (points, streams) in scenario order (e.g.
    ``wasteopt.generation.expected_rates_kg_per_day(scenario)``). ``matrix``: distances with
    ``.distance_m`` and ``.index(id)`` (e.g. ``wasteopt.network.build_matrix(scenario)``).
    ``mode``: ``"free"`` (optimiser decides every station without a forced decision) or
    ``"status_quo"`` (existing kept, candidates not built, unless forced).
    Input problems raise :class:`~wasteopt.errors.InputError`; solver outcomes are statuses.
    """
    t0 = time.perf_counter()
    data = build_model_data(
        scenario,
        rates_kg_per_day,
        matrix,
        mode=mode,
        allow_direct=allow_direct,
        max_haul_km=max_haul_km,
        max_stations=max_stations,
        capital_budget_cny=capital_budget_cny,
        costs=costs,
    )
    messages = list(data.notes)
    pre = _precheck(data)
    if pre:
        messages += pre
        return _no_plan(scenario, mode, data, "infeasible", messages, time.perf_counter() - t0)

    from wasteopt.facilities._highs import solve_facility_model

    out = solve_facility_model(data, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads)
    log.info(
        "facilities: %s, %d options, %d arcs, build %.2f s, solve %.2f s",
        out.status,
        len(data.opt_pair),
        len(data.arc_station),
        out.build_s,
        out.solve_s,
    )
    if not out.has_solution:
        if out.status == "infeasible":
            messages.append(
                "no plan satisfies the station limits (max_stations / capital_budget_cny / "
                "forced decisions) while serving every point"
            )
        elif out.status == "time_limit":
            messages.append(f"no plan found within {time_limit_s} s")
        status: FacilityStatus = out.status if out.status != "unbounded" else "error"
        if status == "time_limit":
            status = "no_solution"
        return _no_plan(scenario, mode, data, status, messages, time.perf_counter() - t0)
    y = out.values["y"]
    for g in data.size_groups:
        chosen = [data.station_ids[j] for j in g if y[j] > 0.5]
        members = ", ".join(data.station_ids[j] for j in g)
        messages.append(
            f"size group {scenario.stations[g[0]].size_group}: "
            f"{chosen[0] if chosen else 'none'} open (of {members})"
        )
    return _read_plan(scenario, mode, data, out, messages, time.perf_counter() - t0)


def _precheck(data: FacilityModelData) -> list[str]:
    """Problems that make the model infeasible whatever the solver does, named by id."""
    msgs = []
    if data.unassignable:
        listed = ", ".join(f"{p}/{s}" for p, s in data.unassignable[:20])
        more = "" if len(data.unassignable) <= 20 else f" and {len(data.unassignable) - 20} more"
        msgs.append(
            f"{len(data.unassignable)} (point, stream) pairs have no station or plant that "
            f"accepts them within the limits: {listed}{more}"
        )
    exact = [g for g, e in zip(data.size_groups, data.size_group_exact, strict=True) if e]
    forced = int((data.y_lb > 0.5).sum()) + len(exact)
    if data.max_stations is not None and forced > data.max_stations:
        msgs.append(f"{forced} stations are forced open but max_stations is {data.max_stations}")
    if data.capital_budget_cny is not None:
        cap = float(data.station_capital_cny[data.y_lb > 0.5].sum())
        # a forced "one of these" costs at least its cheapest member
        cap += sum(float(min(data.station_capital_cny[j] for j in g)) for g in exact)
        if cap > data.capital_budget_cny:
            msgs.append(
                f"forced builds cost {cap:,.0f} CNY, above capital_budget_cny "
                f"{data.capital_budget_cny:,.0f}"
            )
    return msgs


def _site_kinds(data: FacilityModelData) -> dict[str, str]:
    kinds = {j: "station" for j in data.station_ids}
    kinds.update({k: "plant" for k in data.plant_ids})
    return kinds


def _no_plan(scenario, mode, data, status, messages, runtime_s) -> FacilityPlan:
    return FacilityPlan(
        scenario=scenario.id,
        variant=scenario.variant,
        mode=mode,
        status=status,
        objective=math.nan,
        bound=math.nan,
        mip_gap=math.nan,
        runtime_s=runtime_s,
        cost_breakdown={},
        open_stations=(),
        closed_stations=(),
        built_stations=(),
        assignments={},
        demand_t_per_day={},
        flows={},
        inflow_t_per_day={},
        capacity_t_per_day={},
        utilisation={},
        binding=(),
        shortfalls_t_per_day={},
        co2_kg_per_day=math.nan,
        t_km_per_day=math.nan,
        messages=tuple(messages),
        site_kind=_site_kinds(data),
    )


def _read_plan(scenario, mode, data: FacilityModelData, out, messages, runtime_s) -> FacilityPlan:
    """Turn solver values into a plan, recomputing every reported number from the decisions."""
    d = data
    y = out.values["y"] > 0.5
    chosen = np.flatnonzero(out.values["x"] > 0.5)
    flow = np.where(out.values["f"] > _TOL_T, out.values["f"], 0.0)

    # assignments and inflows, from the rounded decisions
    assignments: dict[tuple[str, str], str] = {}
    demand: dict[tuple[str, str], float] = {}
    st_in = np.zeros(len(d.station_ids))
    pl_in = np.zeros(len(d.plant_ids))
    for o in chosen.tolist():
        q = int(d.opt_pair[o])
        p_id = d.point_ids[int(d.pair_point[q])]
        s_id = d.stream_ids[int(d.pair_stream[q])]
        site = int(d.opt_site[o])
        t = float(d.pair_t_per_day[q])
        if d.opt_is_station[o]:
            assignments[(p_id, s_id)] = d.station_ids[site]
            st_in[site] += t
        else:
            assignments[(p_id, s_id)] = d.plant_ids[site]
            pl_in[site] += t
        demand[(p_id, s_id)] = t
    flows: dict[tuple[str, str, str], float] = {}
    for a in np.flatnonzero(flow).tolist():
        j, s, k = int(d.arc_station[a]), int(d.arc_stream[a]), int(d.arc_plant[a])
        flows[(d.station_ids[j], d.stream_ids[s], d.plant_ids[k])] = float(flow[a])
        pl_in[k] += float(flow[a])

    days_cost = {
        "station_fixed": float(d.station_fixed_cny_per_year[y].sum()),
        "station_opening_annualised": float(d.station_opening_cny_per_year[y].sum()),
        "station_closing_annualised": float(d.station_closing_cny_per_year[~y].sum()),
        "station_handling": float(d.opt_handling_cny_per_year[chosen].sum()),
        "collection_line_haul": float(d.opt_linehaul_cny_per_year[chosen].sum()),
        "collection_unloading": float(d.opt_unload_cny_per_year[chosen].sum()),
        "collection_vehicle_days": float(d.opt_vehicle_cny_per_year[chosen].sum()),
        "collection_local": float(d.local_cny_per_year),
        "transfer_haul": float(np.dot(d.arc_haul_cny_per_year_per_t_day, flow)),
        "gate_fees": float(d.opt_gate_cny_per_year[chosen].sum())
        + float(np.dot(d.arc_gate_cny_per_year_per_t_day, flow)),
    }
    objective = float(sum(days_cost.values()))
    co2 = (
        float(d.opt_co2_kg_per_day[chosen].sum())
        + d.local_co2_kg_per_day
        + float(np.dot(d.arc_co2_kg_per_t, flow))
    )
    t_km = float(d.opt_t_km_per_day[chosen].sum()) + float(np.dot(d.arc_distance_km, flow))

    inflow: dict[str, float] = {}
    capacity: dict[str, float] = {}
    util: dict[str, float] = {}
    binding: list[str] = []
    shortfalls: dict[str, float] = {}
    for ids, inflows, caps in (
        (d.station_ids, st_in, d.station_capacity_t_per_day),
        (d.plant_ids, pl_in, d.plant_capacity_t_per_day),
    ):
        for i, site in enumerate(ids):
            t_in, cap = float(inflows[i]), float(caps[i])
            inflow[site] = t_in
            capacity[site] = cap
            util[site] = t_in / cap if cap > 0 else math.inf
            if t_in > 0 and t_in >= cap * (1 - 1e-6) - _TOL_T:
                binding.append(site)
            if t_in > cap + _TOL_T:
                shortfalls[site] = t_in - cap

    station_ids = d.station_ids
    open_ids = tuple(station_ids[j] for j in np.flatnonzero(y))
    closed_ids = tuple(station_ids[j] for j in np.flatnonzero(~y & d.station_existing))
    built_ids = tuple(station_ids[j] for j in np.flatnonzero(y & ~d.station_existing))

    status: FacilityStatus
    if shortfalls:
        status = "capacity_short"
        messages.append(
            "capacity falls short: "
            + ", ".join(f"{k} by {v:,.3f} t/day" for k, v in shortfalls.items())
        )
        if out.status == "time_limit":
            messages.append("time limit hit: the shortfall may not be the smallest possible")
    elif out.status == "optimal":
        status = "optimal"
    else:
        status = "time_limit"
    mip_gap = out.mip_gap
    if not shortfalls and math.isfinite(out.bound) and objective > 0:
        mip_gap = max(0.0, (out.objective - out.bound) / max(abs(out.objective), 1e-9))
    return FacilityPlan(
        scenario=scenario.id,
        variant=scenario.variant,
        mode=mode,
        status=status,
        objective=objective,
        bound=out.bound if not shortfalls else math.nan,
        mip_gap=mip_gap,
        runtime_s=runtime_s,
        cost_breakdown=days_cost,
        open_stations=open_ids,
        closed_stations=closed_ids,
        built_stations=built_ids,
        assignments=assignments,
        demand_t_per_day=demand,
        flows=flows,
        inflow_t_per_day=inflow,
        capacity_t_per_day=capacity,
        utilisation=util,
        binding=tuple(binding),
        shortfalls_t_per_day=shortfalls,
        co2_kg_per_day=co2,
        t_km_per_day=t_km,
        messages=tuple(messages),
        site_kind=_site_kinds(d),
    )
