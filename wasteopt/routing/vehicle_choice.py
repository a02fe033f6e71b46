"""Which vehicle drives each route, and how far from home a plan's routes run.

Vehicles near their own depot
-----------------------------
The territories' searches and the repair fix each route's visits (stops and unloads, in order)
and give it to a vehicle of some fleet. A short search, or a spare vehicle a territory was lent
from far away, can leave a route with a vehicle whose depot is far while a vehicle of the same
kind stands unused near the route. :func:`reassign` gives the routes to vehicles anew. Route
``r`` driven by fleet ``f`` costs ``c(r, f)``: ``r``'s visits driven from ``f``'s depot with the
best departure and lunch (:meth:`~wasteopt.routing.timetable.RouteScheduler.plan`); the pair is
left out when ``f`` may not drive them (access, payload, trips, shift, opening hours). The routes
go to vehicles by a least-cost assignment (``scipy.optimize.linear_sum_assignment`` over routes
× vehicles, each fleet with as many vehicles as it has), so no fleet drives more routes than it
has vehicles and the total cost is the least of all such assignments. The candidates of a route
are its own fleet and the stream's fleets at its ``NEAR_DEPOTS`` nearest depots (by home legs,
below), so a route may pass to a nearer vehicle and a chain of routes may each move one depot
over. Keeping every route where it is is one of the assignments, so the cost never rises; a
route's own fleet counts ``MIN_SAVING`` CNY cheaper, so routes only move for a real saving.
The visits are not changed, so every route stays feasible.

Far from home (a KPI)
---------------------
A route's *home legs* are the road distance from its depot to its first visit plus from its
last visit back. It runs *far from home* when its home legs are more than ``FAR_KM`` km longer
than from the nearest depot with a fleet of the same *kind* (same stream, payload and volume,
allowed at all the route's stops). :func:`far_from_home` lists those routes and says whether an
unused vehicle at that depot could have driven it for less (avoidable; after :func:`reassign`
none is, so what is left is lending where the near depot's vehicles were all at work, or a
near fleet too slow or dear for the route). Measured with the fleet shares of
:mod:`wasteopt.routing.fleet_shares` on Jintan's day 0 (every stream, 300 iterations per
territory): far routes 6 → 2 (4 → 0 avoidable), cost 55,663 → 54,983 CNY; the 20,000-point
city's kitchen day (270 s command): far routes 16 → 3 (10 → 0 avoidable).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from wasteopt.routing.plan import Route
from wasteopt.routing.problem import Fleet
from wasteopt.routing.timetable import RouteScheduler
from wasteopt.travel_table import RoadTable

__all__ = [
    "FAR_KM",
    "NEAR_DEPOTS",
    "FarRoute",
    "far_from_home",
    "home_legs_ahead",
    "home_legs_m",
    "reassign",
]

NEAR_DEPOTS = 4
"""Depots (nearest to a route by home legs) whose fleets are tried for it."""
MIN_SAVING = 1.0
"""CNY a route must save to change vehicle (ties and rounding keep the current one)."""
FAR_KM = 5.0
"""Home legs this much longer than from the nearest depot of the kind make a route far."""
_NO = 1e15  # cost of a (route, vehicle) pair that may not be driven


def home_legs_ahead(sched: RouteScheduler, routes: Sequence[Route]) -> None:
    """On a road network, every depot's legs to and from the routes' first and last visits
    computed as two blocks and kept by the unrestricted table
    (:meth:`~wasteopt.travel_table.RoadTable.keep`): a search per depot instead of one per
    leg; nothing to do on other tables (a leg costs microseconds)."""
    table = sched.problem.distance_m
    if not isinstance(table, RoadTable):
        return
    i = sched.index
    depots = sorted({i[f.depot] for f in sched.problem.fleets})
    ends = sorted({i[v] for r in routes if r.visits for v in (r.visits[0], r.visits[-1])})
    if not depots or not ends:
        return
    table.keep("home legs out", depots, table.block(depots, ends), cols=ends)
    table.keep("home legs back", ends, table.block(ends, depots), cols=depots)


def home_legs_m(sched: RouteScheduler, depot: str, visits: Sequence[str]) -> int:
    """Road metres from ``depot`` to the first visit plus from the last visit back."""
    i, dist = sched.index, sched.dist
    return int(dist[i[depot]][i[visits[0]]]) + int(dist[i[visits[-1]]][i[depot]])


def _may_serve(sched: RouteScheduler, fleet: Fleet, visits: Sequence[str]) -> bool:
    """Every stop of ``visits`` allows ``fleet`` (access), a cheap filter before planning."""
    return all(sched.stops[v].allows(fleet.id) for v in visits if v in sched.stops)


def _candidates(
    sched: RouteScheduler, route: Route, by_depot: dict[str, list[Fleet]]
) -> dict[str, float]:
    """Fleet id → cost of ``route``'s visits driven by that fleet, for its own fleet and the
    feasible fleets at its ``NEAR_DEPOTS`` nearest depots."""
    own = sched.fleets[route.fleet]
    out = {own.id: sched.plan(own, route.visits).cost - MIN_SAVING}
    near = sorted(by_depot, key=lambda d: (home_legs_m(sched, d, route.visits), d))
    for depot in near[:NEAR_DEPOTS]:
        for f in by_depot[depot]:
            if f.id in out or not _may_serve(sched, f, route.visits):
                continue
            ev = sched.plan(f, route.visits)
            if ev.feasible:
                out[f.id] = ev.cost
    return out


def reassign(
    sched: RouteScheduler, routes: Sequence[Route], *, deadline: float | None = None
) -> tuple[Route, ...]:
    """``routes`` given to the vehicles that drive them at least cost (module docstring),
    renumbered ``<fleet>#1..`` in their order. ``deadline`` (``time.time()``): routes not yet
    priced when it passes keep their fleet."""
    stream = sched.problem.stream
    home_legs_ahead(sched, routes)
    by_depot: dict[str, list[Fleet]] = {}
    for f in sched.problem.fleets:
        if f.stream == stream and f.count > 0:
            by_depot.setdefault(f.depot, []).append(f)
    priced: list[dict[str, float]] = []
    for r in routes:
        late = deadline is not None and time.time() > deadline
        priced.append({r.fleet: 0.0} if late or not r.visits else _candidates(sched, r, by_depot))
    fleets = sorted({fid for p in priced for fid in p})
    slots = [fid for fid in fleets for _ in range(sched.fleets[fid].count)]
    cost = np.full((len(routes), len(slots)), _NO)
    col = {fid: [k for k, s in enumerate(slots) if s == fid] for fid in fleets}
    for i, p in enumerate(priced):
        for fid, c in p.items():
            cost[i, col[fid]] = c
    rows, cols = linear_sum_assignment(cost)
    chosen = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    out: list[Route] = []
    for i, r in enumerate(routes):
        fid = slots[chosen[i]]
        if fid == r.fleet:
            out.append(r)
        else:
            out.append(sched.route(r.vehicle, sched.fleets[fid], list(r.visits)))
    return _numbered(out)


def _numbered(routes: Sequence[Route]) -> tuple[Route, ...]:
    """Vehicles renamed ``<fleet>#1..`` per fleet in route order."""
    seen: dict[str, int] = {}
    out: list[Route] = []
    for r in routes:
        seen[r.fleet] = seen.get(r.fleet, 0) + 1
        out.append(replace(r, vehicle=f"{r.fleet}#{seen[r.fleet]}"))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class FarRoute:
    """A route that runs far from home: its depot's home legs against the nearest depot with
    a fleet of its kind; ``avoidable``: an unused vehicle there could drive it for less."""

    vehicle: str
    depot: str
    legs_m: int
    nearest: str
    nearest_legs_m: int
    avoidable: bool


def far_from_home(
    sched: RouteScheduler, routes: Sequence[Route], far_km: float = FAR_KM
) -> list[FarRoute]:
    """The routes whose home legs are more than ``far_km`` longer than from the nearest depot
    with a fleet of their kind (module docstring), farthest first."""
    home_legs_ahead(sched, routes)
    used: dict[str, int] = {}
    for r in routes:
        used[r.fleet] = used.get(r.fleet, 0) + 1
    out: list[FarRoute] = []
    for r in routes:
        if not r.visits:
            continue
        own = sched.fleets[r.fleet]
        kind = [
            f
            for f in sched.problem.fleets
            if f.stream == own.stream
            and f.count > 0
            and (f.capacity_kg, f.capacity_l) == (own.capacity_kg, own.capacity_l)
            and _may_serve(sched, f, r.visits)
        ]
        legs = home_legs_m(sched, own.depot, r.visits)
        best = min(kind, key=lambda f: (home_legs_m(sched, f.depot, r.visits), f.depot))
        near = home_legs_m(sched, best.depot, r.visits)
        if legs - near <= far_km * 1000:
            continue
        cost = sched.plan(own, r.visits).cost
        idle = [f for f in kind if f.depot == best.depot and used.get(f.id, 0) < f.count]
        evals = [sched.plan(f, r.visits) for f in idle]
        out.append(
            FarRoute(
                vehicle=r.vehicle,
                depot=own.depot,
                legs_m=legs,
                nearest=best.depot,
                nearest_legs_m=near,
                avoidable=any(e.feasible and e.cost < cost for e in evals),
            )
        )
    return sorted(out, key=lambda x: (x.nearest_legs_m - x.legs_m, x.vehicle))
