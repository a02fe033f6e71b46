"""The OR-Tools routing model over the node table: arc and fixed costs, the ``time`` dimension
with windows and lunch breaks, the trip-load dimensions that a reload resets, the per-shift
limits, the optional nodes and the vehicles allowed at access-restricted stops (see
:mod:`wasteopt.routing.engines._ortools` for the model).

OR-Tools objects are untyped (``Any``); ``pywrapcp`` is passed in by the engine, which imports
it lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from wasteopt.routing.engines._ortools_nodes import Nodes, work_window
from wasteopt.routing.problem import HORIZON_S, Stop, UnloadSite

__all__ = ["COST_SCALE", "Model", "build_model"]

COST_SCALE = 1_000_000  # integer cost units per CNY
IntVector = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    """The OR-Tools objects a search and its extraction need."""

    manager: Any  # pywrapcp.RoutingIndexManager
    routing: Any  # pywrapcp.RoutingModel
    solver: Any  # the model's constraint solver
    time: Any  # the "time" dimension
    breaks: dict[int, Any]  # vehicle → its lunch break interval


def build_model(nodes: Nodes, pywrapcp: ModuleType) -> Model:
    """Costs, dimensions and optional nodes, in this order (the order of OR-Tools' rows)."""
    manager = pywrapcp.RoutingIndexManager(
        nodes.n_nodes, len(nodes.vehicles), nodes.starts, nodes.ends
    )
    routing = pywrapcp.RoutingModel(manager)
    grid = np.ix_(nodes.loc, nodes.loc)
    cut: dict[int, IntVector] = {}  # one cut per distinct table (profiles may share one)
    dist: dict[int, IntVector] = {}  # fleet profile → its own metres
    for f in nodes.fleets:
        table = nodes.problem.distance_of(f.profile)
        if id(table) not in cut:
            cut[id(table)] = np.asarray(table, dtype=np.int64)[grid]
        dist[f.profile] = cut[id(table)]
    _add_arc_costs(nodes, routing, dist)
    horizon = max(
        [HORIZON_S]
        + [f.shift_end_s for f in nodes.fleets]
        + [s.tw_end_s for s in nodes.stops]
        + [s.close_s for s in nodes.sites]
    )
    tdim = _add_time(nodes, manager, routing, horizon)
    max_cost_per_s = _add_vehicle_hours(nodes, routing, tdim, horizon)
    breaks = _add_lunch_breaks(nodes, manager, routing, tdim)
    kg_of = _add_trip_loads(nodes, manager, routing)
    _add_shift_limits(nodes, routing, kg_of)
    _add_optional_nodes(nodes, manager, routing, dist, horizon, max_cost_per_s)
    _add_access(nodes, manager, routing)
    return Model(
        manager=manager, routing=routing, solver=routing.solver(), time=tdim, breaks=breaks
    )


def _unary(routing: Any, values: IntVector) -> int:
    return int(routing.RegisterUnaryTransitVector([int(v) for v in values]))


def _add_arc_costs(nodes: Nodes, routing: Any, dist: dict[int, IntVector]) -> None:
    """``cost_per_km`` per arc of the vehicle's own metres (one evaluator per rate and
    distance table) and each vehicle's fixed cost."""
    cost_cb: dict[tuple[float, int], int] = {}  # (rate, which table) → evaluator
    for v, (f, _) in enumerate(nodes.vehicles):
        key = (f.cost_per_km, id(dist[f.profile]))
        if key not in cost_cb:
            m = np.rint(dist[f.profile] * (f.cost_per_km * COST_SCALE / 1000.0)).astype(np.int64)
            cost_cb[key] = routing.RegisterTransitMatrix(m.tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], v)
        routing.SetFixedCostOfVehicle(round(f.fixed_cost * COST_SCALE), v)


def _add_time(nodes: Nodes, manager: Any, routing: Any, horizon: int) -> Any:
    """The ``time`` dimension (transit: service at the from-node plus the fleet profile's
    duration; waiting as slack) with the windows of stops, reload copies and end nodes."""
    time_cb: dict[int, int] = {}
    for f in nodes.fleets:
        if f.profile not in time_cb:
            dur = np.asarray(nodes.problem.durations_s[f.profile], dtype=np.int64)
            mat = dur[np.ix_(nodes.loc, nodes.loc)] + nodes.svc[:, None]
            time_cb[f.profile] = routing.RegisterTransitMatrix(mat.tolist())
    routing.AddDimensionWithVehicleTransits(
        [time_cb[f.profile] for f, _ in nodes.vehicles], horizon, horizon, False, "time"
    )
    tdim = routing.GetDimensionOrDie("time")
    for n in range(len(nodes.depot_ids), nodes.n_inner):
        o = nodes.obj[n]
        if isinstance(o, Stop):
            lo, hi = o.tw_start_s, o.tw_end_s
        else:
            assert isinstance(o, UnloadSite)
            lo, hi = o.open_s, o.close_s
        tdim.CumulVar(manager.NodeToIndex(n)).SetRange(max(0, lo), min(horizon, hi))
    return tdim


def _add_vehicle_hours(nodes: Nodes, routing: Any, tdim: Any, horizon: int) -> int:
    """Each vehicle's working window, final unload and drive home (constants of a used
    vehicle: off its latest end and ``max_duration``, on its fixed cost), span cost and span
    bound; returns the largest cost per second (units)."""
    problem = nodes.problem
    idx_of = problem.index()
    max_cost_per_s = 0
    for v, (f, _) in enumerate(nodes.vehicles):
        window = work_window(f, nodes.depots)
        assert window is not None  # vehicles without a working window are not in the table
        lo, hi = window
        hi = min(hi, horizon)
        coef = round(f.cost_per_hour * COST_SCALE / 3600.0)
        max_dur = f.max_duration_s
        end_lo, end_hi = lo, hi
        site = nodes.end_site[v]
        if site is not None:
            # End cumul = start of the final unload; then unload and drive home (constants).
            back_s = int(problem.durations_s[f.profile][idx_of[site.id], idx_of[f.depot]])
            back_m = int(problem.distance_of(f.profile)[idx_of[site.id], idx_of[f.depot]])
            tail_s = site.unload_s + back_s
            end_lo, end_hi = max(lo, site.open_s), min(hi - tail_s, site.close_s)
            max_dur = None if max_dur is None else max_dur - tail_s
            tail_cost = coef * tail_s + f.cost_per_km * back_m * COST_SCALE / 1000.0
            routing.SetFixedCostOfVehicle(round(f.fixed_cost * COST_SCALE + tail_cost), v)
        tdim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        if end_lo > end_hi or (max_dur is not None and max_dur < 0):
            routing.NextVar(routing.Start(v)).SetValue(routing.End(v))  # cannot work
        else:
            tdim.CumulVar(routing.End(v)).SetRange(end_lo, end_hi)
            if max_dur is not None:
                tdim.SetSpanUpperBoundForVehicle(int(max_dur), v)
        if coef > 0:
            tdim.SetSpanCostCoefficientForVehicle(coef, v)
        max_cost_per_s = max(max_cost_per_s, coef)
    # Let the finalizer choose the tightest schedule (it may otherwise leave starts early).
    for v in range(len(nodes.vehicles)):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
    return max_cost_per_s


def _add_lunch_breaks(nodes: Nodes, manager: Any, routing: Any, tdim: Any) -> dict[int, Any]:
    """A mandatory break interval inside the route of every vehicle whose shift can overlap
    its fleet's lunch window; a shift too short for it must end before the window opens."""
    breaks: dict[int, Any] = {}
    if not any(f.lunch is not None for f in nodes.fleets):
        return breaks
    solver = routing.solver()
    nvt = [0] * routing.Size()
    for index in range(routing.Size()):
        nvt[index] = int(nodes.svc[manager.IndexToNode(index)])
    for v, (f, k) in enumerate(nodes.vehicles):
        lunch = f.lunch
        if lunch is None:
            continue
        window = work_window(f, nodes.depots)
        assert window is not None
        lo, hi = window
        if hi <= lunch.earliest_s or lo >= lunch.latest_s:
            continue  # no route of this fleet can overlap the lunch window
        start_c = tdim.CumulVar(routing.Start(v))
        end_c = tdim.CumulVar(routing.End(v))
        first = max(lunch.earliest_s, lo)
        if first > lunch.latest_s or first + lunch.duration_s > hi:
            # No break fits in the shift: routes must end before the window opens.
            end_c.SetMax(lunch.earliest_s)
            continue
        iv = solver.FixedDurationIntervalVar(
            int(lunch.earliest_s), int(lunch.latest_s), int(lunch.duration_s), False,
            f"lunch {f.id}#{k}",
        )  # fmt: skip
        tdim.SetBreakIntervalsOfVehicle([iv], v, nvt)
        # Inside the route: never before departure nor after the return.
        solver.Add(iv.StartExpr() >= start_c)
        solver.Add(iv.EndExpr() <= end_c)
        breaks[v] = iv
    return breaks


def _add_reset_dimension(
    nodes: Nodes, manager: Any, routing: Any, name: str, per_stop: IntVector, caps: Sequence[int]
) -> Any:
    """A cumulative quantity that a reload copy may drop to any value down to 0."""
    big = int(max(max(caps), 1))
    transit = np.where(nodes.is_stop, per_stop, 0) - np.where(nodes.is_reload, big, 0)
    slack = big if nodes.sites else 0
    routing.AddDimensionWithVehicleCapacity(
        _unary(routing, transit), slack, [int(c) for c in caps], True, name
    )
    dim = routing.GetDimensionOrDie(name)
    if nodes.sites:
        for index in range(routing.Size()):
            if not nodes.is_reload[manager.IndexToNode(index)]:
                dim.SlackVar(index).SetValue(0)
    return dim


def _add_trip_loads(nodes: Nodes, manager: Any, routing: Any) -> IntVector:
    """``kg``, ``l`` (when some fleet limits volume) and one ``ban:<site>`` per site some stop
    may not use (``== 0`` at that site's copies and end nodes); returns kg per node."""
    vehicles = nodes.vehicles
    kg_of = np.array([o.load_kg if isinstance(o, Stop) else 0 for o in nodes.obj])
    _add_reset_dimension(nodes, manager, routing, "kg", kg_of, [f.capacity_kg for f, _ in vehicles])
    total_l = int(sum(s.volume_l for s in nodes.stops))
    if total_l > 0 and any(f.capacity_l > 0 for f in nodes.fleets):
        l_of = np.array([o.volume_l if isinstance(o, Stop) else 0 for o in nodes.obj])
        caps = [f.capacity_l if f.capacity_l > 0 else total_l for f, _ in vehicles]
        _add_reset_dimension(nodes, manager, routing, "l", l_of, caps)
    n_s = len(nodes.stops)
    for site in nodes.sites:
        banned = np.array(
            [
                isinstance(o, Stop) and bool(o.unload_at) and site.id not in o.unload_at
                for o in nodes.obj
            ]
        )
        if not banned.any():
            continue
        ban_dim = _add_reset_dimension(
            nodes,
            manager,
            routing,
            f"ban:{site.id}",
            banned.astype(np.int64),
            [n_s] * len(vehicles),
        )
        for n in range(nodes.n_inner):
            if nodes.is_reload[n] and nodes.obj[n] is site:
                ban_dim.CumulVar(manager.NodeToIndex(n)).SetMax(0)
        for v in range(len(vehicles)):
            if nodes.end_site[v] is site:
                ban_dim.CumulVar(routing.End(v)).SetMax(0)
    return kg_of


def _add_shift_limits(nodes: Nodes, routing: Any, kg_of: IntVector) -> None:
    """``shift_kg``, ``stops`` and ``trips`` (the final unload is one trip; reload copies count
    the others), each only when some fleet's limit can bind."""
    fleets, vehicles, stops = nodes.fleets, nodes.vehicles, nodes.stops
    total_kg = int(kg_of.sum())
    if any(f.max_shift_load_kg is not None and f.max_shift_load_kg < total_kg for f in fleets):
        caps = [
            total_kg if f.max_shift_load_kg is None else int(f.max_shift_load_kg)
            for f, _ in vehicles
        ]
        routing.AddDimensionWithVehicleCapacity(_unary(routing, kg_of), 0, caps, True, "shift_kg")
    if any(f.max_stops is not None and f.max_stops < len(stops) for f in fleets):
        caps = [len(stops) if f.max_stops is None else int(f.max_stops) for f, _ in vehicles]
        routing.AddDimensionWithVehicleCapacity(
            _unary(routing, nodes.is_stop.astype(np.int64)), 0, caps, True, "stops"
        )
    if nodes.sites and any(f.max_trips is not None for f in fleets):
        caps = [
            nodes.n_copies * len(nodes.sites) if f.max_trips is None else int(f.max_trips) - 1
            for f, _ in vehicles
        ]
        routing.AddDimensionWithVehicleCapacity(
            _unary(routing, nodes.is_reload.astype(np.int64)), 0, caps, True, "trips"
        )


def _add_access(nodes: Nodes, manager: Any, routing: Any) -> None:
    """A stop that allows only some fleets may only be visited by their vehicles: the other
    vehicles are removed from its vehicle variable (-1, unperformed, stays possible).
    (``SetAllowedVehiclesForIndex`` is not callable from Python in OR-Tools 9.15: its
    ``absl::Span`` argument has no binding.)"""
    for n in range(len(nodes.depot_ids), nodes.n_inner):
        o = nodes.obj[n]
        if not isinstance(o, Stop) or o.fleets is None:
            continue
        banned = [v for v, (f, _) in enumerate(nodes.vehicles) if f.id not in o.fleets]
        if banned:
            routing.VehicleVar(manager.NodeToIndex(n)).RemoveValues(banned)


def _add_optional_nodes(
    nodes: Nodes,
    manager: Any,
    routing: Any,
    dist: dict[int, IntVector],
    horizon: int,
    max_cost_per_s: int,
) -> None:
    """Every stop and reload copy is optional; a dropped stop costs more than any plan (every
    vehicle used all day on the longest arcs), an unused copy nothing."""
    max_arc_m = max((int(d.max()) for d in dist.values() if d.size), default=0)
    bound = max_cost_per_s * horizon * len(nodes.vehicles) + sum(
        (f.fixed_cost + f.cost_per_km * max_arc_m / 1000.0 * (nodes.n_nodes + 1)) * COST_SCALE
        for f, _ in nodes.vehicles
    )
    penalty = int(min(max(bound + 1, 1e9), 2**52))
    for n in range(len(nodes.depot_ids), nodes.n_inner):
        routing.AddDisjunction([manager.NodeToIndex(n)], penalty if nodes.is_stop[n] else 0)
