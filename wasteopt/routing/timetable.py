"""One visit sequence's earliest-start timetable for one fleet (fast, solver independent).

The independent judge of a plan is :func:`wasteopt.routing.check.check_plan`. Engines need a much
cheaper question answered thousands of times while they repair a solver's answer: *is this one
visit sequence feasible for this fleet, when should it leave, where does lunch go and what does it
cost?* :class:`RouteScheduler` answers it with the same rules and earliest-start schedule the
checker uses (only stops the fleet may serve, ``Stop.fleets``; travel, wait for the window,
serve; an unload visit empties the vehicle; lunch starts at
``max(ready, earliest)`` after visit ``lunch_after``, back at the depot first when
``lunch_at_depot``; a break is required when ``start < latest`` and ``return > earliest``; unless
the fleet's ``Lunch.place`` is ``"anywhere"`` the break is taken empty at the depot or at an unload
site, never at a collection point with load aboard). It stops at the first broken rule's
position (:attr:`RouteEval.first_bad`), which is what repair needs, rather than listing every
violation.

Where the break goes (:meth:`RouteScheduler.plan`): the cheapest feasible of a few *lunch
spots* (:meth:`RouteScheduler.lunch_spots`) — after each of the last ``LUNCH_UNLOADS`` unload
visits the vehicle leaves before the latest lunch start (at that site, or back at the depot),
and at the depot before leaving. A vehicle that unloaded early waits for the window there;
a route with no unload in time has no feasible spot, and repair then splits its trip with an
extra unload (:mod:`wasteopt.routing.schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wasteopt.routing.plan import Route
from wasteopt.routing.problem import Fleet, Lunch, RoutingProblem, Stop, UnloadSite
from wasteopt.travel_table import RoadTable, TravelTable

__all__ = ["END", "LUNCH_UNLOADS", "LunchSpot", "RouteEval", "RouteScheduler"]

END = 10**9
"""``RouteEval.first_bad`` for a rule of the whole route (return time, duration, totals)."""
LUNCH_UNLOADS = 3
"""Unload visits (the last ones before the latest lunch start) tried as the break's place."""
ANYWHERE_SPOTS = 4
"""Visits (the last ones before the latest lunch start) tried when lunch may be anywhere."""

LunchSpot = tuple[int, bool]
"""``(lunch_after, lunch_at_depot)``: the break after that visit (``-1``: at the depot before
leaving), at the place of the visit or back at the depot."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteEval:
    """One visit sequence scheduled from ``start_s``. ``first_bad`` is the index of the visit at
    which the first rule breaks (``END`` for whole-route rules, ``None`` when feasible)."""

    feasible: bool
    first_bad: int | None
    reason: str
    start_s: int
    end_s: int
    lunch_after: int | None
    lunch_at_depot: bool
    distance_m: int
    cost: float
    departs: tuple[int, ...]
    delay_room_s: int = 0
    """How much later the vehicle could leave with the same return time and no new violation."""


@dataclass(slots=True)
class _Walk:
    """Running state of one visit sequence being scheduled (see :meth:`RouteScheduler.evaluate`).

    ``room`` is the smallest, over the visits so far, of the waiting before it plus the slack
    left in its window: a later departure absorbs up to that much without a new violation.
    """

    t: int
    pos: int
    bad: int | None = None
    reason: str = ""
    waited: int = 0
    room: int = END
    taken: bool = False
    distance: int = 0
    load: int = 0
    vol: int = 0
    shift_load: int = 0
    n_stops: int = 0
    trips: int = 0
    trip_stops: int = 0
    allowed: set[str] | None = None  # sites every stop of the current trip may unload at

    def flag(self, k: int, why: str) -> None:
        """Record the first broken rule only."""
        if self.bad is None:
            self.bad, self.reason = k, why

    def wait_until(self, opens: int, closes: int) -> int:
        """Wait for a window to open; returns when service starts."""
        t = self.t
        begin = t if t > opens else opens
        self.waited += begin - t
        self.room = min(self.room, self.waited + closes - begin)
        self.t = begin
        return begin

    def take_lunch(self, lunch: Lunch, k: int) -> None:
        """The break after visit ``k``, starting at ``max(ready, earliest)``."""
        if self.wait_until(lunch.earliest_s, lunch.latest_s) > lunch.latest_s:
            self.flag(k, "lunch")
        self.t += lunch.duration_s
        self.taken = True


def _rows(table: np.ndarray | TravelTable) -> Any:
    """``table[i][j]``-indexable rows: nested lists of a dense array, memo rows of a lazy one."""
    return table.rows() if isinstance(table, TravelTable) else table.tolist()


class RouteScheduler:
    """Schedules visit sequences of one problem (see module docstring for the rules)."""

    def __init__(self, problem: RoutingProblem) -> None:
        self.problem = problem
        self.index = problem.index()
        self.stops: dict[str, Stop] = {s.id: s for s in problem.stops}
        self.sites: dict[str, UnloadSite] = {
            s.id: s for s in problem.sites if problem.stream in s.streams
        }
        self.depots = {d.id: d for d in problem.depots}
        self.fleets: dict[str, Fleet] = {f.id: f for f in problem.fleets}
        # Nested lists: element access is several times faster than numpy scalar indexing.
        # A lazy table (city scale) gives rows that compute each leg once, then memoise it.
        # ``dist``: unrestricted (nearest sites); ``dists``: each profile's own km (shared rows
        # when every profile drives the one table).
        self.dist: Any = _rows(problem.distance_m)
        self.durs: list[Any] = [_rows(m) for m in problem.durations_s]
        own = [_rows(m) for m in problem.distances_m]
        self.dists: list[Any] = own or [self.dist] * len(self.durs)

    def dist_from(self, i: int, cols: list[int]) -> list[int]:
        """Unrestricted metres from location ``i`` to each of ``cols``: on a lazy table the
        ones not read yet computed as one block (a search, not one per leg) and memoised."""
        row = self.dist[i]
        table = self.problem.distance_m
        if isinstance(table, TravelTable):
            todo = sorted({j for j in cols if j not in row})
            if todo:
                for j, value in zip(todo, table.block([i], todo)[0].tolist(), strict=True):
                    row[j] = value
        return [row[j] for j in cols]

    @property
    def on_roads(self) -> bool:
        """True when the tables are road tables (each leg read alone is a search)."""
        return isinstance(self.problem.distance_m, RoadTable)

    def legs_ahead(self, ids: list[str] | tuple[str, ...]) -> None:
        """On a road network, every leg to and from the locations ``ids`` in the unrestricted
        table and the tables of the fleets that may serve them, computed as blocks (a search
        per location and table, both ways) and kept by the tables
        (:meth:`~wasteopt.travel_table.RoadTable.lines_ahead`): inserting a stop anywhere
        reads its legs to every route's visits, one search each when read one by one.
        Nothing to do on other tables (a leg costs microseconds)."""
        if not ids or not self.on_roads:
            return
        p = self.problem
        rows = sorted({self.index[i] for i in ids})
        profiles = sorted(
            {
                f.profile
                for f in p.fleets
                if any(i not in self.stops or self.stops[i].allows(f.id) for i in ids)
            }
        )
        tables = [p.distance_m, *(p.durations_s[k] for k in profiles)]
        tables += [p.distances_m[k] for k in profiles] if p.distances_m else []
        for table in tables:
            if isinstance(table, RoadTable):
                table.lines_ahead(rows)

    # -- basic evaluation -------------------------------------------------------------------

    def evaluate(
        self,
        fleet: Fleet,
        visits: list[str] | tuple[str, ...],
        start_s: int,
        lunch_after: int | None,
        lunch_at_depot: bool = False,
    ) -> RouteEval:
        """Schedule ``visits`` leaving at ``start_s`` with the break after ``lunch_after`` (back
        at the depot first when ``lunch_at_depot``)."""
        depot = self.depots[fleet.depot]
        lunch = fleet.lunch
        walk = _Walk(t=start_s, pos=self.index[fleet.depot])
        if start_s < fleet.shift_start_s or start_s < depot.open_s:
            walk.flag(-1, "start")
        if lunch_after is not None:
            if lunch is None or not -1 <= lunch_after < len(visits):
                walk.flag(END, "lunch")
            elif lunch_after == -1:
                walk.take_lunch(lunch, -1)
        dist = self.dists[fleet.profile]
        dur = self.durs[fleet.profile]
        index = self.index
        stops = self.stops
        departs = []
        for k, v in enumerate(visits):
            j = index[v]
            walk.t += dur[walk.pos][j]
            walk.distance += dist[walk.pos][j]
            walk.pos = j
            stop = stops.get(v)
            if stop is not None:
                self._serve(walk, fleet, stop, k)
            else:
                self._unload(walk, v, k)
            if lunch_after == k and lunch is not None:
                self._break(walk, fleet, lunch, k, stop is not None, lunch_at_depot)
            departs.append(walk.t)
        spot = (lunch_after, lunch_at_depot and lunch_after != -1)
        return self._return_home(walk, fleet, start_s, spot, tuple(departs))

    def evaluate_route(self, route: Route) -> RouteEval:
        """:meth:`evaluate` of a planned route (its fleet, departure and break)."""
        fleet = self.fleets[route.fleet]
        return self.evaluate(
            fleet, route.visits, route.start_s, route.lunch_after, route.lunch_at_depot
        )

    def _break(
        self, walk: _Walk, fleet: Fleet, lunch: Lunch, k: int, after_stop: bool, home: bool
    ) -> None:
        """The break after visit ``k`` (a stop when ``after_stop``), back at the depot first
        when ``home``; flagged ``lunch_place`` when parked at a collection point or with load
        aboard, unless the fleet may eat anywhere."""
        if home:
            depot = self.index[fleet.depot]
            walk.t += self.durs[fleet.profile][walk.pos][depot]
            walk.distance += self.dists[fleet.profile][walk.pos][depot]
            walk.pos = depot
        if lunch.place != "anywhere" and ((after_stop and not home) or walk.load or walk.vol):
            walk.flag(k, "lunch_place")
        walk.take_lunch(lunch, k)

    def _serve(self, walk: _Walk, fleet: Fleet, stop: Stop, k: int) -> None:
        """Serve a stop the fleet may reach, in its window; check the trip's capacity and the
        shift's limits."""
        if stop.stream != self.problem.stream:
            walk.flag(k, "stream")
        if stop.fleets is not None and fleet.id not in stop.fleets:
            walk.flag(k, "access")
        if walk.wait_until(stop.tw_start_s, stop.tw_end_s) > stop.tw_end_s:
            walk.flag(k, "time_window")
        walk.t += stop.service_s
        walk.load += stop.load_kg
        walk.vol += stop.volume_l
        walk.shift_load += stop.load_kg
        walk.n_stops += 1
        walk.trip_stops += 1
        cap_l = fleet.capacity_l
        if walk.load > fleet.capacity_kg or (cap_l > 0 and walk.vol > cap_l):
            walk.flag(k, "capacity")
        if fleet.max_stops is not None and walk.n_stops > fleet.max_stops:
            walk.flag(k, "max_stops")
        if fleet.max_shift_load_kg is not None and walk.shift_load > fleet.max_shift_load_kg:
            walk.flag(k, "shift_load")
        if stop.unload_at:
            allowed = walk.allowed
            walk.allowed = set(stop.unload_at) if allowed is None else allowed & set(stop.unload_at)

    def _unload(self, walk: _Walk, site_id: str, k: int) -> None:
        """Unload at a site that takes every stop of the trip, within its hours; ends the trip."""
        site = self.sites.get(site_id)
        if site is None or self.problem.depot_unloads:
            walk.flag(k, "unload_site")
            site_open, site_close, unload_s = 0, END, 0
        else:
            site_open, site_close, unload_s = site.open_s, site.close_s, site.unload_s
        if walk.allowed is not None and site_id not in walk.allowed:
            walk.flag(k, "unload_site")
        if walk.wait_until(site_open, site_close) > site_close:
            walk.flag(k, "facility_hours")
        walk.t += unload_s
        if walk.trip_stops:
            walk.trips += 1
        walk.load = walk.vol = walk.trip_stops = 0
        walk.allowed = None

    def _return_home(
        self,
        walk: _Walk,
        fleet: Fleet,
        start_s: int,
        spot: tuple[int | None, bool],
        departs: tuple[int, ...],
    ) -> RouteEval:
        """Drive home; check the last trip, the shift, the trips and the break; price it."""
        if walk.trip_stops:
            if self.problem.depot_unloads:
                walk.trips += 1
            else:
                walk.flag(END, "ended_loaded")
        home = self.index[fleet.depot]
        end = walk.t + self.durs[fleet.profile][walk.pos][home]
        walk.distance += self.dists[fleet.profile][walk.pos][home]
        if end > fleet.shift_end_s or end > self.depots[fleet.depot].close_s:
            walk.flag(END, "shift")
        duration = end - start_s
        if fleet.max_duration_s is not None and duration > fleet.max_duration_s:
            walk.flag(END, "shift")
        if fleet.max_trips is not None and walk.trips > fleet.max_trips:
            walk.flag(END, "max_trips")
        lunch = fleet.lunch
        if (
            lunch is not None
            and not walk.taken
            and start_s < lunch.latest_s
            and end > lunch.earliest_s
        ):
            walk.flag(END, "lunch_missing")
        cost = (
            fleet.fixed_cost
            + fleet.cost_per_km * walk.distance / 1000.0
            + fleet.cost_per_hour * duration / 3600.0
        )
        return RouteEval(
            feasible=walk.bad is None,
            first_bad=walk.bad,
            reason=walk.reason,
            start_s=start_s,
            end_s=end,
            lunch_after=spot[0] if walk.taken else None,
            lunch_at_depot=spot[1] and walk.taken,
            distance_m=walk.distance,
            cost=cost,
            departs=departs,
            delay_room_s=max(0, min(walk.room, walk.waited)),
        )

    # -- departure time and lunch -----------------------------------------------------------

    def plan(self, fleet: Fleet, visits: list[str] | tuple[str, ...]) -> RouteEval:
        """Best departure and lunch position for ``visits`` (feasible if any tried one is).

        Departure: the earliest allowed time, delayed by as much of the route's waiting as the
        windows allow (the return time stays the same, the paid duration shrinks). Lunch: when
        the route overlaps the lunch window, the :meth:`lunch_spots` are tried and the cheapest
        feasible one is kept (else the one that breaks a rule latest, for repair).
        """
        ev = self.unbroken(fleet, visits)
        start = ev.start_s
        lunch = fleet.lunch
        if lunch is None or ev.reason != "lunch_missing":
            return ev
        best: RouteEval | None = None
        fallback: RouteEval | None = None
        for k, home in self.lunch_spots(fleet, visits, ev.departs):
            e = self.evaluate(fleet, visits, start, k, home)
            if e.delay_room_s:
                e = self.evaluate(fleet, visits, start + e.delay_room_s, k, home)
            if e.feasible:
                if best is None or e.cost < best.cost - 1e-9:
                    best = e
            elif fallback is None or (e.first_bad or 0) > (fallback.first_bad or 0):
                fallback = e
        if best is not None:
            return best
        assert fallback is not None
        return fallback

    def unbroken(self, fleet: Fleet, visits: list[str] | tuple[str, ...]) -> RouteEval:
        """``visits`` without a break, leaving as late as the route's waiting allows (the
        schedule :meth:`plan` starts from; ``reason == "lunch_missing"`` when only the break
        is missing)."""
        base = max(fleet.shift_start_s, self.depots[fleet.depot].open_s)
        ev = self.evaluate(fleet, visits, base, None)
        if ev.delay_room_s:
            ev = self.evaluate(fleet, visits, base + ev.delay_room_s, None)
        return ev

    def lunch_spots(
        self, fleet: Fleet, visits: list[str] | tuple[str, ...], departs: tuple[int, ...]
    ) -> list[LunchSpot]:
        """The places tried for the break, latest first, given each visit's departure without
        a break (``departs``): after each of the last :data:`LUNCH_UNLOADS` unload visits left
        by the latest lunch start, at the site and (when left before the earliest start) back
        at the depot, then at the depot before leaving. With ``Lunch.place == "anywhere"``:
        after each of the last :data:`ANYWHERE_SPOTS` visits left in time (at the depot before
        leaving if none)."""
        lunch = fleet.lunch
        if lunch is None:
            return []
        in_time = [k for k, dep in enumerate(departs) if dep <= lunch.latest_s]
        if lunch.place == "anywhere":
            return [(k, False) for k in reversed(in_time[-ANYWHERE_SPOTS:])] or [(-1, False)]
        unloads = [k for k in in_time if visits[k] not in self.stops]
        spots: list[LunchSpot] = []
        for k in reversed(unloads[-LUNCH_UNLOADS:]):
            spots.append((k, False))
            # Home pays only when the crew would wait for the window anyway (with travel times
            # that obey the triangle inequality, a detour home never gains time otherwise).
            if departs[k] < lunch.earliest_s:
                spots.append((k, True))
        return [*spots, (-1, False)]

    def route(self, vehicle: str, fleet: Fleet, visits: list[str]) -> Route:
        """A :class:`Route` with the departure and lunch chosen by :meth:`plan`."""
        ev = self.plan(fleet, visits)
        return Route(
            vehicle=vehicle,
            fleet=fleet.id,
            start_s=ev.start_s,
            visits=tuple(visits),
            lunch_after=ev.lunch_after,
            lunch_at_depot=ev.lunch_at_depot,
        )

    # -- helpers for repair -----------------------------------------------------------------

    def sites_for(self, stop: Stop) -> list[str]:
        """Unload sites that may take ``stop``'s load (problem order)."""
        return [s for s in self.sites if not stop.unload_at or s in stop.unload_at]

    def tidy(self, visits: list[str]) -> list[str]:
        """Drop unload visits that end empty trips; end a loaded route with an unload."""
        out: list[str] = []
        trip_stops: list[Stop] = []
        for v in visits:
            if v in self.stops:
                out.append(v)
                trip_stops.append(self.stops[v])
            elif trip_stops:
                out.append(v)
                trip_stops = []
        if trip_stops and not self.problem.depot_unloads:
            allowed = set(self.sites)
            for s in trip_stops:
                if s.unload_at:
                    allowed &= set(s.unload_at)
            site = next((s for s in self.sites if s in allowed), None)
            if site is None:
                return out  # stays infeasible; repair removes stops until it is not
            out.append(self.nearest(out[-1], allowed))
        return out

    def nearest(self, after: str, allowed: set[str]) -> str:
        """The site of ``allowed`` nearest to visit ``after`` (ties: the smaller id)."""
        i = self.index[after]
        return min(
            (s for s in self.sites if s in allowed), key=lambda s: (self.dist[i][self.index[s]], s)
        )
