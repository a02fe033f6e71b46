"""Plan facilities: build the model's coefficients, solve with Pyomo + HiGHS, read the plan back.

The model is stated in :mod:`wasteopt.facilities.model`; the solver adapter is
:mod:`wasteopt.facilities._highs` (which imports Pyomo and HiGHS only when a solve starts); the
MILP is stated in Pyomo in :mod:`wasteopt.facilities._consolidation_milp`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from wasteopt.clock import Deadline
from wasteopt.facilities._consolidation_milp import solve_facility_model
from wasteopt.facilities._highs import MilpOutcome
from wasteopt.facilities.collection import DistanceSource, FloatArray
from wasteopt.facilities.model import FacilityModelData, build_model_data
from wasteopt.facilities.plan import FacilityPlan, FacilityStatus
from wasteopt.facilities.readout import (
    SHORT_TOLERANCE,
    TOL_T,
    capacity_use,
    cost_breakdown,
    fleet_hours,
    haul_needs,
    material_shortfalls,
    plant_shorts,
    waste_routing,
)
from wasteopt.facilities.settings import DEFAULT_SETTINGS, FacilitySettings
from wasteopt.scenario.model import Scenario

__all__ = ["plan_facilities"]

log = logging.getLogger("wasteopt")


def plan_facilities(
    scenario: Scenario,
    rates_kg_per_day: FloatArray,
    matrix: DistanceSource,
    settings: FacilitySettings = DEFAULT_SETTINGS,
    *,
    deadline: Deadline | None = None,
) -> FacilityPlan:
    """Choose stations to keep, close or build and assign every (point, stream) to one station
    or plant, minimising annual cost (model: :mod:`wasteopt.facilities.model`).

    ``rates_kg_per_day``: expected generation, shape (points, streams) in scenario order (e.g.
    ``wasteopt.generation.expected_rates_kg_per_day(scenario)``). ``matrix``: distances with
    ``.block(row_ids, col_ids)`` and ``.index(id)`` (e.g.
    ``wasteopt.network.build_matrix(scenario)``, whole or computed on demand). Building the
    Pyomo model and solving it stop after ``settings.time_limit_s`` or when ``deadline``
    expires, whichever is first. Input problems raise :class:`~wasteopt.errors.InputError`;
    solver outcomes are statuses.
    """
    t0 = time.perf_counter()
    data = build_model_data(scenario, rates_kg_per_day, matrix, settings)
    time_limit_s = settings.time_limit_s
    if deadline is not None:  # what is left once the coefficients are built (seconds at city size)
        time_limit_s = min(time_limit_s, deadline.remaining())
    messages = list(data.notes)
    pre = _precheck(data)
    if pre:
        messages += pre
        return _no_plan(scenario, settings, data, "infeasible", messages, time.perf_counter() - t0)
    # zones cost more accuracy than a tighter gap would buy (benchmarks/facility_zones.py)
    gap = settings.zone_mip_gap if data.zones else settings.mip_gap
    out = solve_facility_model(
        data, time_limit_s=time_limit_s, mip_gap=gap, threads=settings.threads
    )
    log.info(
        "facilities: %s, %d options, %d arcs, build %.2f s, solve %.2f s",
        out.status,
        len(data.opt_pair),
        len(data.arc_station),
        out.build_s,
        out.solve_s,
    )
    if not out.has_solution:
        status = _no_solution_status(out, time_limit_s, messages)
        return _no_plan(scenario, settings, data, status, messages, time.perf_counter() - t0)
    messages += _size_group_messages(scenario, data, out.values["y"])
    return _read_plan(scenario, settings, data, out, messages, time.perf_counter() - t0)


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


def _no_solution_status(
    out: MilpOutcome, time_limit_s: float, messages: list[str]
) -> FacilityStatus:
    """The plan status of a solve without a solution; explains it in ``messages``."""
    if out.status == "infeasible":
        messages.append(
            "no plan satisfies the station limits (max_stations / capital_budget_cny / "
            "forced decisions) while serving every point"
        )
    elif out.status == "time_limit":
        messages.append(f"no plan found within {time_limit_s} s")
    if out.status == "unbounded":
        return "error"
    if out.status == "time_limit":
        return "no_solution"
    return out.status


def _size_group_messages(scenario: Scenario, data: FacilityModelData, y: FloatArray) -> list[str]:
    """Which member of each size group the plan opens."""
    messages = []
    for g in data.size_groups:
        chosen = [data.station_ids[j] for j in g if y[j] > 0.5]
        members = ", ".join(data.station_ids[j] for j in g)
        messages.append(
            f"size group {scenario.stations[g[0]].size_group}: "
            f"{chosen[0] if chosen else 'none'} open (of {members})"
        )
    return messages


def _site_kinds(data: FacilityModelData) -> dict[str, str]:
    kinds = {j: "station" for j in data.station_ids}
    kinds.update({k: "plant" for k in data.plant_ids})
    return kinds


def _no_plan(
    scenario: Scenario,
    settings: FacilitySettings,
    data: FacilityModelData,
    status: FacilityStatus,
    messages: list[str],
    runtime_s: float,
) -> FacilityPlan:
    """A plan without decisions: NaN numbers, empty mappings, the reasons in ``messages``."""
    return FacilityPlan(
        **_plan_head(scenario, settings, data),
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
    )


def _solved_status(
    out: MilpOutcome,
    shortfalls: dict[str, float],
    capacity: dict[str, float],
    fleet_short: dict[tuple[str, str], float],
    messages: list[str],
) -> FacilityStatus:
    """``capacity_short`` (explained in ``messages``) before ``optimal`` / ``time_limit``;
    shortfalls within :data:`SHORT_TOLERANCE` of a site's capacity are named, not short."""
    shortfalls, within = material_shortfalls(shortfalls, capacity)
    if within:
        messages.append(
            f"within tolerance (at most {SHORT_TOLERANCE:.1%} of capacity): "
            + ", ".join(
                f"{k} over by {v:,.3f} t/day ({v / capacity[k]:.3%})" for k, v in within.items()
            )
        )
    if shortfalls:
        messages.append(
            "capacity falls short: "
            + ", ".join(f"{k} by {v:,.3f} t/day" for k, v in shortfalls.items())
        )
    if fleet_short:
        messages.append(
            "collection fleet falls short (points only these vehicle classes reach): "
            + ", ".join(f"{s} {c} by {h:,.2f} h/day" for (s, c), h in fleet_short.items())
        )
    if shortfalls or fleet_short:
        if out.status == "time_limit":
            messages.append("time limit hit: the shortfall may not be the smallest possible")
        return "capacity_short"
    return "optimal" if out.status == "optimal" else "time_limit"


def _read_plan(
    scenario: Scenario,
    settings: FacilitySettings,
    d: FacilityModelData,
    out: MilpOutcome,
    messages: list[str],
    runtime_s: float,
) -> FacilityPlan:
    """Turn solver values into a plan, recomputing every reported number from the decisions."""
    y = out.values["y"] > 0.5
    chosen = np.flatnonzero(out.values["x"] > 0.5)
    flow = np.where(out.values["f"] > TOL_T, out.values["f"], 0.0)
    routing = waste_routing(d, chosen, flow)
    u_plant = plant_shorts(d, routing, out.values["short_plant"])
    use = capacity_use(d, routing, u_plant)
    fleet = fleet_hours(d, chosen)
    u_fleet = np.array([f.short_h_per_day for f in fleet])
    costs = cost_breakdown(d, y, chosen, flow, use.station_short_t, u_plant, u_fleet)
    objective = float(sum(costs.values()))
    co2 = (
        float(d.opt_co2_kg_per_day[chosen].sum())
        + d.local_co2_kg_per_day
        + float(np.dot(d.arc_co2_kg_per_t, flow))
    )
    t_km = float(d.opt_t_km_per_day[chosen].sum()) + float(np.dot(d.arc_distance_km, flow))
    fleet_short = {
        (f.stream, f.vehicle_classes): f.short_h_per_day for f in fleet if f.short_h_per_day
    }
    status = _solved_status(out, use.shortfalls, use.capacity, fleet_short, messages)
    mip_gap = out.mip_gap
    if math.isfinite(out.bound) and objective > 0:
        mip_gap = max(0.0, (out.objective - out.bound) / max(abs(out.objective), 1e-9))
    ids = d.station_ids
    return FacilityPlan(
        **_plan_head(scenario, settings, d),
        status=status,
        objective=objective,
        bound=out.bound,
        mip_gap=mip_gap,
        runtime_s=runtime_s,
        cost_breakdown=costs,
        open_stations=tuple(ids[j] for j in np.flatnonzero(y)),
        closed_stations=tuple(ids[j] for j in np.flatnonzero(~y & d.station_existing)),
        built_stations=tuple(ids[j] for j in np.flatnonzero(y & ~d.station_existing)),
        assignments=routing.assignments,
        demand_t_per_day=routing.demand,
        flows=routing.flows,
        inflow_t_per_day=use.inflow,
        capacity_t_per_day=use.capacity,
        utilisation=use.utilisation,
        binding=use.binding,
        shortfalls_t_per_day=use.shortfalls,
        station_shortfalls_t_per_day=use.station_short,
        plant_shortfalls_t_per_day=use.plant_short,
        haul=haul_needs(d, flow),
        fleet_hours=fleet,
        co2_kg_per_day=co2,
        t_km_per_day=t_km,
        messages=tuple(messages),
    )


def _plan_head(
    scenario: Scenario, settings: FacilitySettings, d: FacilityModelData
) -> dict[str, Any]:
    """The plan fields that do not depend on the solution: ids, the mode planned in, the
    penalty, plant external loads, site kinds and the stations the policy shut."""
    return {
        "scenario": scenario.id,
        "variant": scenario.variant,
        "mode": d.planning.mode,
        "shortfall_penalty_cny_per_t": d.planning.shortfall_penalty_cny_per_t,
        "days_per_year": settings.costs.days_per_year,
        "external_t_per_day": dict(
            zip(d.plant_ids, d.plant_external_t_per_day.tolist(), strict=True)
        ),
        "site_kind": _site_kinds(d),
        "policy_closed": d.policy_closed,
    }
