"""The checker's road rule: no leg may need a road its vehicle may not use at that hour.

Rule
----
On a road network (``RoutingProblem.roads``) each leg of a recomputed schedule (from one row's
place to the next row's place, leaving at the first row's ``end_s`` and arriving at the next
row's ``arrival_s``) leaves its point by the road it joins and reaches the next point by its
road (:mod:`wasteopt.roads.snap`: a straight leg to the point's foot on the street, then along
the street to either end node), under the fleet's profile (:class:`~wasteopt.roads.Profile`:
road classes, gross weight, speed). The checker recomputes, independently of how the
problem's tables were made, the fastest way between the points' ends over the roads the
vehicle may use *during that leg*: road classes open to its class, weight limits it meets,
and no ban on its class whose hours meet ``[departure, arrival)``; the joins themselves are
not judged (a bin on a street is reached from it), and neither is a leg that stays on one
street or goes straight at the snap speed. When the fastest legal way, joins included, is
slower than the time the plan's schedule gives the leg, the schedule can only be kept on a
road closed to the vehicle, and the leg is a ``road`` violation; so is a leg with no legal
way at all.

Km: likewise a leg whose metres (the schedule's ``distance_from_prev_m``) are shorter than
the shortest way, joins included, over the roads the vehicle may use during that leg is
counted on a road closed to it (a table of unrestricted paths handed a restricted vehicle): a
``road`` violation, its km, cost and CO2 understated.

Search: Dijkstra runs from each end of the leg's first point, for time and for metres, with
``limit=`` the leg's own time and its own metres, so it explores only what the vehicle could
reach in that time or length. It runs first on the legal
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
from wasteopt.roads.snap import direct
from wasteopt.routing.problem import Fleet, RoadRules
from wasteopt.routing.verdict import RouteTimes, Violation, VisitTimes

__all__ = ["road_violations"]

_SLACK_S = 1e-6  # the schedule's times are whole seconds rounded up: equal is legal
_SLACK_M = 1.0  # the tables' metres are rounded to whole metres (half to even)
LOCAL_MARGIN = 0.25
LOCAL_MIN_MARGIN_M = 1_000.0
_LOCAL_SHARE = 0.5  # a box with more of the graph's nodes than this: the whole graph at once


class _Roads:
    """Per problem: a router per vehicle profile (where points join the roads) and one graph
    per set of bans in force (built once, reused by every leg under the same bans)."""

    def __init__(self, rules: RoadRules) -> None:
        self.rules = rules
        self.routers: dict[str, Router] = {}
        self.graphs: dict[tuple[object, ...], Any] = {}

    def router(self, fleet: str) -> Router:
        """The router of ``fleet``'s profile (one per profile: fleets of a kind share it)."""
        profile = self.rules.profiles.get(fleet, Profile())
        key = repr(profile.key)
        if key not in self.routers:
            self.routers[key] = Router(
                self.rules.graph, profile, snap_speed_kmh=self.rules.snap_speed_kmh
            )
        return self.routers[key]

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
    pairs = [
        (prev, row)
        for prev, row in itertools.pairwise(times.visits)
        if prev.id != row.id and prev.id in rules.places and row.id in rules.places
    ]
    if not pairs:
        return out
    # every place of the route joined once, the legs' ways that pass no node in one call
    ids = sorted({v.id for pair in pairs for v in pair})
    at = {p: k for k, p in enumerate(ids)}
    lon, lat = (np.array([rules.places[p][k] for p in ids]) for k in (0, 1))
    snap = router.snap(lon, lat)
    x, y = router.plane(lon, lat)
    ia = np.array([at[prev.id] for prev, _ in pairs])
    ib = np.array([at[row.id] for _, row in pairs])
    one, two = snap.take(ia), snap.take(ib)
    d_s, d_m = direct(one, two, np.hypot(x[ia] - x[ib], y[ia] - y[ib]), router.snap_kmh)
    # a point's end nearer the next point's foot is searched first (often all it takes)
    nx, ny = router.plane(router.graph.lon[one.ends], router.graph.lat[one.ends])
    gap = np.hypot(nx - two.foot_x[:, None], ny - two.foot_y[:, None])
    box = _Box(router, np.unique(snap.ends).tolist())
    for k, (prev, row) in enumerate(pairs):
        direct_s, direct_m = float(d_s[k]), float(d_m[k])
        order = np.argsort(gap[k], kind="stable")
        start_s = (one.ends[k][order], one.end_s[k][order])
        start_m = (one.ends[k][order], one.end_m[k][order])
        end_s, end_m = (two.ends[k], two.end_s[k]), (two.ends[k], two.end_m[k])
        given_s = float(row.arrival_s - prev.end_s)
        graph, by_length, bans = roads.graph(fleet.id, prev.end_s, row.arrival_s)
        given = float(row.distance_from_prev_m)
        if direct_m > given + _SLACK_M:
            shortest = box.fastest(by_length, start_m, end_m, given + _SLACK_M)
            if given + _SLACK_M < shortest:  # named by an unbounded search of the whole graph
                named = _Box(router, []).fastest(by_length, start_m, end_m, math.inf)
                out += _short_km(times.vehicle, prev, row, min(named, direct_m), given)
        if direct_s <= given_s + _SLACK_S:
            continue
        legal = math.inf
        if given_s >= 0:
            legal = box.fastest(graph, start_s, end_s, given_s + _SLACK_S)
        if legal <= given_s + _SLACK_S:
            continue
        p = rules.profiles.get(fleet.id, Profile())
        found = "no legal way" if math.isinf(legal) else f"{legal:,.0f} s on roads open to it"
        within = " (within the time given)" if math.isinf(legal) and given_s >= 0 else ""
        msg = (
            f"leg {prev.id} → {row.id} leaving {format_hhmm(prev.end_s)} is given "
            f"{max(given_s, 0):,.0f} s, but a {p.vehicle_class or 'vehicle'} of "
            f"{p.gross_t:g} t has {found}{within}"
            + (f" (bans in force: {', '.join(bans)})" if bans else "")
            + ": the schedule needs a road closed to it"
        )
        out.append(
            Violation(kind="road", vehicle=times.vehicle, trip=row.trip, stop=row.id, message=msg)
        )
    return out


_Ends = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
"""A point's two end nodes and what reaching each costs (seconds or metres)."""


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

    def fastest(self, graph: Any, start: _Ends, end: _Ends, enough: float) -> float:
        """Least cost from a point to the next on ``graph`` through the points' ends (each end's
        cost added; the start's ends searched in the order given, each search bounded by
        ``enough``): the box's answer as soon as it is at most ``enough`` (a legal way: the
        whole graph's best is no worse), else the whole graph's least (infinite when nothing
        is within ``enough``)."""
        best = math.inf
        for whole in (False, True) if self.nodes is not None else (True,):
            best, seen = math.inf, set()
            for u, cost in zip(start[0].tolist(), start[1].tolist(), strict=True):
                if u in seen:
                    continue
                seen.add(u)
                row = self._row(graph, u, end[0], enough - cost + 1.0, whole)
                best = min(best, cost + float(np.min(row + end[1])))
                if best <= enough and not whole:
                    return best
        return best

    def _row(
        self, graph: Any, u: int, targets: npt.NDArray[np.int64], limit: float, whole: bool
    ) -> npt.NDArray[np.float64]:
        if limit < 0:
            return np.full(targets.size, np.inf)
        if whole or self.nodes is None:
            return np.asarray(dijkstra(graph, indices=u, limit=limit)[targets], dtype=np.float64)
        cut = self.cuts.get(id(graph))
        if cut is None:
            cut = self.cuts[id(graph)] = (graph, graph[self.nodes][:, self.nodes])
        local = np.searchsorted(self.nodes, np.concatenate([[u], targets]))
        row = dijkstra(cut[1], indices=int(local[0]), limit=limit)
        return np.asarray(row[local[1:]], dtype=np.float64)


def _short_km(
    vehicle: str, prev: VisitTimes, row: VisitTimes, shortest: float, given: float
) -> list[Violation]:
    """The violation of leg ``prev`` → ``row``, whose ``given`` metres are shorter than the
    ``shortest`` way over the roads its vehicle may use then (see Km)."""
    legal = "no way" if math.isinf(shortest) else f"{shortest:,.0f} m"
    msg = (
        f"leg {prev.id} → {row.id} counts {max(given, 0):,.0f} m, but the roads "
        f"open to the vehicle then take {legal}: its km are counted on a road closed to it"
    )
    return [Violation(kind="road", vehicle=vehicle, trip=row.trip, stop=row.id, message=msg)]
