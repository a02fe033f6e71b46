"""The checker's road rule: no leg may need a road its vehicle may not use at that hour.

Rule
----
On a road network (``RoutingProblem.roads``) each leg of a recomputed schedule (from one row's
place to the next row's place, leaving at the first row's ``end_s`` and arriving at the next
row's ``arrival_s``) is driven from the road node its point joins to that of the next point,
under the fleet's profile (:class:`~wasteopt.roads.Profile`: road classes, gross weight,
speed). The checker recomputes, independently of how the problem's tables were made, the
fastest way between those nodes over the roads the vehicle may use *during that leg*: road
classes open to its class, weight limits it meets, and no ban on its class whose hours meet
``[departure, arrival)``. When that legal way is slower than the time the plan's schedule
gives the leg (less the two snap legs), the schedule can only be kept on a road closed to the
vehicle, and the leg is a ``road`` violation; so is a leg with no legal way at all.

Km: likewise a leg whose metres (the schedule's ``distance_from_prev_m``, less the two snap
legs) are shorter than the shortest way over the roads the vehicle may use during that leg is
counted on a road closed to it (a table of unrestricted paths handed a restricted vehicle): a
``road`` violation, its km, cost and CO2 understated.

Search: Dijkstra runs twice per leg, with ``limit=`` the leg's own time and its own metres, so
it explores only what the vehicle could reach in that time or length. It runs first on the legal
graph cut to the box of the route's road nodes, widened by ``LOCAL_MARGIN`` × (width + height)
and at least ``LOCAL_MIN_MARGIN_M`` each side (cut once per route and set of bans): a path
inside the box is a legal path, so a leg that is legal there is legal, and only a leg the box
cannot clear is searched again on the whole graph (whose answer is the verdict). A whole-graph
call costs at least its graph's size (scipy returns a row over every node); the box makes a
clean leg cost about the box's size.
"""

from __future__ import annotations

import itertools
import math
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from wasteopt.clock import format_hhmm
from wasteopt.roads import Profile, Router
from wasteopt.routing.problem import Fleet, RoadRules
from wasteopt.routing.verdict import RouteTimes, Violation, VisitTimes

__all__ = ["road_violations"]

_SLACK_S = 1e-6  # the schedule's times are whole seconds rounded up: equal is legal
_SLACK_M = 1.0  # the tables' metres are rounded to whole metres (half to even)
LOCAL_MARGIN = 0.25
LOCAL_MIN_MARGIN_M = 1_000.0
_LOCAL_SHARE = 0.5  # a box with more of the graph's nodes than this: the whole graph at once


class _Roads:
    """Per problem: each fleet's router (where points join the roads) and one graph per set of
    bans in force (built once, reused by every leg under the same bans)."""

    def __init__(self, rules: RoadRules) -> None:
        self.rules = rules
        self.routers: dict[str, Router] = {}
        self.graphs: dict[tuple[object, ...], Any] = {}

    def router(self, fleet: str) -> Router:
        if fleet not in self.routers:
            profile = self.rules.profiles.get(fleet, Profile())
            self.routers[fleet] = Router(
                self.rules.graph, profile, snap_speed_kmh=self.rules.snap_speed_kmh
            )
        return self.routers[fleet]

    def graph(self, fleet: str, depart: int, arrive: int) -> tuple[Any, Any, list[str]]:
        """The fleet's legal graph during ``[depart, arrive)`` weighted by seconds and by
        metres, and the ids of bans in force."""
        g = self.rules.graph
        profile = self.rules.profiles.get(fleet, Profile())
        bans = [
            b for b in g.bans if b.applies(profile.vehicle_class, depart, max(arrive, depart + 1))
        ]
        key = (profile.key, tuple(b.id for b in bans))
        if key not in self.graphs:
            static = Profile(
                vehicle_class=profile.vehicle_class,
                road_classes=profile.road_classes,
                gross_t=profile.gross_t,
                speed_kmh=profile.speed_kmh,
            )  # no shift hours: no ban applies, the leg's own bans are taken below
            ok = g.usable(static)
            for b in bans:
                ok[list(b.edges)] = False
            ends, n = (g.tail[ok], g.head[ok]), g.node_count
            self.graphs[key] = tuple(
                csr_matrix((np.maximum(w[ok], 1e-9), ends), shape=(n, n))
                for w in (g.edge_seconds(profile), g.length_m)
            )
        secs, metres = self.graphs[key]
        return secs, metres, [b.id for b in bans]


_CACHE: WeakKeyDictionary[RoadRules, _Roads] = WeakKeyDictionary()


def road_violations(rules: RoadRules, fleet: Fleet, times: RouteTimes) -> list[Violation]:
    """Every leg of ``times`` (one route of ``fleet``) that needs a road closed to it."""
    roads = _CACHE.get(rules)
    if roads is None:
        roads = _CACHE[rules] = _Roads(rules)
    router = roads.router(fleet.id)
    out: list[Violation] = []
    legs = []
    for prev, row in itertools.pairwise(times.visits):
        a, b = rules.places.get(prev.id), rules.places.get(row.id)
        if prev.id == row.id or a is None or b is None:
            continue
        nodes, snap_m = router.snap([a[0], b[0]], [a[1], b[1]])
        u, v = int(nodes[0]), int(nodes[1])
        if u != v:  # else no road between: the straight walk to and from one node
            legs.append((prev, row, u, v, snap_m))
    box = _Box(router, [leg[2] for leg in legs] + [leg[3] for leg in legs])
    for prev, row, u, v, snap_m in legs:
        budget = row.arrival_s - prev.end_s - float(np.sum(router.snap_seconds(snap_m)))
        graph, by_length, bans = roads.graph(fleet.id, prev.end_s, row.arrival_s)
        given = row.distance_from_prev_m - float(np.sum(snap_m))
        shortest = box.search(by_length, (u, v), max(given, 0.0) + 1.0, given + _SLACK_M)
        if given + _SLACK_M < shortest:
            out += _short_km(times.vehicle, prev, row, by_length, (u, v), given)
        if budget >= 0:
            legal = box.search(graph, (u, v), budget + 1.0, budget + _SLACK_S)
        else:
            legal = math.inf
        if legal <= budget + _SLACK_S:
            continue
        p = rules.profiles.get(fleet.id, Profile())
        found = "no legal way" if math.isinf(legal) else f"{legal:,.0f} s on roads open to it"
        within = " (within the time given)" if math.isinf(legal) and budget >= 0 else ""
        msg = (
            f"leg {prev.id} → {row.id} leaving {format_hhmm(prev.end_s)} is given "
            f"{max(budget, 0):,.0f} s on the roads, but a {p.vehicle_class or 'vehicle'} of "
            f"{p.gross_t:g} t has {found}{within}"
            + (f" (bans in force: {', '.join(bans)})" if bans else "")
            + ": the schedule needs a road closed to it"
        )
        out.append(
            Violation(kind="road", vehicle=times.vehicle, trip=row.trip, stop=row.id, message=msg)
        )
    return out


class _Box:
    """One route's legal graphs cut to the box round its road nodes (module docstring)."""

    def __init__(self, router: Router, nodes: list[int]) -> None:
        g = router.graph
        self.nodes: npt.NDArray[np.int64] | None = None
        if nodes:
            x, y = router.plane(g.lon[nodes], g.lat[nodes])
            span = float(x.max() - x.min() + y.max() - y.min())
            near = router.nodes_near(nodes, max(LOCAL_MARGIN * span, LOCAL_MIN_MARGIN_M))
            self.nodes = near if near.size <= _LOCAL_SHARE * g.node_count else None
        self.cuts: dict[int, Any] = {}

    def search(self, graph: Any, ends: tuple[int, int], limit: float, enough: float) -> float:
        """Fastest ``ends[0]`` → ``ends[1]`` on ``graph`` searched up to ``limit``: the box's
        answer when it is at most ``enough`` (a legal path: the whole graph is no slower),
        else the whole graph's."""
        if self.nodes is not None:
            cut = self.cuts.get(id(graph))
            if cut is None:
                cut = self.cuts[id(graph)] = (graph, graph[self.nodes][:, self.nodes])
            u, v = np.searchsorted(self.nodes, ends)
            found = float(dijkstra(cut[1], indices=int(u), limit=limit)[int(v)])
            if found <= enough:
                return found
        return float(dijkstra(graph, indices=ends[0], limit=limit)[ends[1]])


def _short_km(
    vehicle: str,
    prev: VisitTimes,
    row: VisitTimes,
    by_length: Any,
    nodes: tuple[int, int],
    given: float,
) -> list[Violation]:
    """The violation of leg ``prev`` → ``row``, whose ``given`` metres (less the snap legs)
    are shorter than the shortest way over the roads its vehicle may use then (``by_length``;
    see Km)."""
    shortest = float(dijkstra(by_length, indices=nodes[0])[nodes[1]])  # unbounded, to name it
    legal = "no way" if math.isinf(shortest) else f"{shortest:,.0f} m"
    msg = (
        f"leg {prev.id} → {row.id} counts {max(given, 0):,.0f} m on the roads, but the roads "
        f"open to the vehicle then take {legal}: its km are counted on a road closed to it"
    )
    return [Violation(kind="road", vehicle=vehicle, trip=row.trip, stop=row.id, message=msg)]
