"""The node table of the OR-Tools model (:mod:`wasteopt.routing.engines._ortools`): depots used
by a fleet, servable stops (some vehicle of a fleet the stop allows can carry it),
``n_copies`` reload copies per unload site and one end node per vehicle at an unload site.
Plain picklable data: each worker process builds its own OR-Tools model from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from wasteopt.routing.problem import HORIZON_S, Depot, Fleet, RoutingProblem, Stop, UnloadSite

__all__ = ["NodeKind", "Nodes", "Vehicle", "build_nodes", "work_window"]

NodeKind = Literal["depot", "stop", "reload", "end"]
Vehicle = tuple[Fleet, int]
"""A vehicle: its fleet and its number ``1..count`` within the fleet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Nodes:
    """Everything the OR-Tools model is built from (node ``n`` in OR-Tools' node numbering)."""

    problem: RoutingProblem
    fleets: list[Fleet]  # the stream's fleets with vehicles
    sites: list[UnloadSite]  # unload sites of the stream (none with depot_unloads)
    stops: list[Stop]  # servable stops
    dropped: tuple[str, ...]  # stops no vehicle can take
    depots: dict[str, Depot]
    depot_ids: list[str]  # depots used by a fleet (the first nodes)
    vehicles: list[Vehicle]  # vehicles with a non-empty working window
    n_copies: int  # reload copies per site
    ids: list[str]  # id reported in Route.visits (depots never are)
    kind: list[NodeKind]
    obj: list[Depot | Stop | UnloadSite | None]
    n_inner: int  # nodes that may be visited (depots, stops, reload copies)
    end_site: list[UnloadSite | None]  # per vehicle: the site of its final unload
    loc: npt.NDArray[np.int64]  # node → location index
    svc: npt.NDArray[np.int64]  # node → service or unload seconds
    is_stop: npt.NDArray[np.bool_]
    is_reload: npt.NDArray[np.bool_]
    starts: list[int]  # per vehicle: start node
    ends: list[int]  # per vehicle: end node

    @property
    def n_nodes(self) -> int:
        return len(self.ids)


def work_window(fleet: Fleet, depots: dict[str, Depot]) -> tuple[int, int] | None:
    """``(earliest departure, latest return)`` of a fleet's vehicles, ``None`` if empty."""
    d = depots.get(fleet.depot)
    lo = max(fleet.shift_start_s, d.open_s if d else 0, 0)
    hi = min(fleet.shift_end_s, d.close_s if d else HORIZON_S)
    return (lo, hi) if lo <= hi else None


def _servable(problem: RoutingProblem, stop: Stop, site_ids: set[str], fleets: list[Fleet]) -> bool:
    if stop.stream != problem.stream or stop.tw_start_s > stop.tw_end_s:
        return False
    if not any(stop.load_kg <= f.capacity_kg and stop.allows(f.id) for f in fleets):
        return False
    if not problem.depot_unloads:
        allowed = set(stop.unload_at) & site_ids if stop.unload_at else site_ids
        if not allowed:
            return False
    return True


def _reload_copies(stops: list[Stop], vehicles: list[Vehicle]) -> int:
    """Reload copies per site: enough for every trip the fleet could usefully make."""
    n_copies = 0
    total_kg = sum(s.load_kg for s in stops)
    total_l = sum(s.volume_l for s in stops)
    for f, _ in vehicles:
        if f.max_trips is not None:
            n_copies += f.max_trips
        else:
            need = math.ceil(total_kg / max(1, f.capacity_kg))
            if f.capacity_l > 0:
                need = max(need, math.ceil(total_l / f.capacity_l))
            n_copies += need + 2
    return max(1, min(n_copies, len(stops)))


def build_nodes(problem: RoutingProblem) -> Nodes | None:
    """The node table (``None``: no servable stop, fleet or vehicle with working time)."""
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    sites = (
        [] if problem.depot_unloads else [s for s in problem.sites if problem.stream in s.streams]
    )
    site_ids = {s.id for s in sites}
    stops = [s for s in problem.stops if _servable(problem, s, site_ids, fleets)]
    if not stops or not fleets:
        return None
    depots = {d.id: d for d in problem.depots}
    vehicles: list[Vehicle] = [
        (f, k) for f in fleets for k in range(1, f.count + 1) if work_window(f, depots)
    ]
    # A restricted stop needs a vehicle of a fleet it allows (OR-Tools reads an empty list
    # of allowed vehicles as "any vehicle").
    working = {f.id for f, _ in vehicles}
    stops = [s for s in stops if s.fleets is None or working.intersection(s.fleets)]
    if not vehicles or not stops:
        return None
    n_copies = _reload_copies(stops, vehicles) if sites else 0
    depot_ids = list(dict.fromkeys(f.depot for f in fleets))
    ids: list[str] = list(depot_ids)
    kind: list[NodeKind] = ["depot"] * len(depot_ids)
    obj: list[Depot | Stop | UnloadSite | None] = [depots.get(d) for d in depot_ids]
    for s in stops:
        ids.append(s.id)
        kind.append("stop")
        obj.append(s)
    for site in sites:
        for _ in range(n_copies):
            ids.append(site.id)
            kind.append("reload")
            obj.append(site)
    n_inner = len(ids)
    # With unload sites, each vehicle's route *ends* at a site of its own (its final unload),
    # round-robin over the sites within a fleet; unload time and the drive back to the depot
    # are then constants of a used vehicle. A stop can thus always be inserted alone into any
    # route, empty or not, which the first-solution heuristics and local search need.
    end_site = [sites[(k - 1) % len(sites)] if sites else None for _, k in vehicles]
    for end in end_site:
        if end is not None:
            ids.append(end.id)
            kind.append("end")
            obj.append(end)
    idx_of = problem.index()
    depot_node = {d: i for i, d in enumerate(depot_ids)}
    starts = [depot_node[f.depot] for f, _ in vehicles]
    return Nodes(
        problem=problem,
        fleets=fleets,
        sites=sites,
        stops=stops,
        dropped=tuple(s.id for s in problem.stops if s not in stops),
        depots=depots,
        depot_ids=depot_ids,
        vehicles=vehicles,
        n_copies=n_copies,
        ids=ids,
        kind=kind,
        obj=obj,
        n_inner=n_inner,
        end_site=end_site,
        loc=np.array([idx_of[i] for i in ids], dtype=np.int64),
        svc=np.array([_service_s(k, o) for k, o in zip(kind, obj, strict=True)], dtype=np.int64),
        is_stop=np.array([k == "stop" for k in kind]),
        is_reload=np.array([k == "reload" for k in kind]),
        starts=starts,
        ends=list(range(n_inner, len(ids))) if sites else starts,
    )


def _service_s(kind: NodeKind, obj: Depot | Stop | UnloadSite | None) -> int:
    """Seconds spent at a node: a stop's service, a reload copy's unload, else 0."""
    if kind == "stop" and isinstance(obj, Stop):
        return obj.service_s
    if kind == "reload" and isinstance(obj, UnloadSite):
        return obj.unload_s
    return 0
