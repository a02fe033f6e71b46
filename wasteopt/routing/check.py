"""Independent plan checker: recomputes every route's schedule and lists every violation.

Written from the model in :mod:`wasteopt.routing.problem` and :mod:`wasteopt.routing.plan`
alone; it never imports an engine or a solver library, so an engine cannot grade its own work.

Schedule (earliest start)
-------------------------
A vehicle leaves its fleet's depot at ``route.start_s``. For each visit it travels with the
fleet's duration profile (``problem.durations_s[fleet.profile]``; its km are that profile's own,
``problem.distance_of(fleet.profile)``: on a road network the metres of the vehicle's own
paths, detours round roads closed to it included), waits for the window to open
(``tw_start_s`` of a stop, ``open_s`` of a site) and serves (``service_s`` / ``unload_s``).
An unload visit empties the vehicle and ends a *trip* (trips are numbered from 1). The lunch
break is taken after visit ``lunch_after`` (``-1``: at the depot before leaving; with
``route.lunch_at_depot`` the vehicle first drives from that visit to its depot, and on from there
afterwards) and starts at ``max(ready time, lunch.earliest_s)``; unless the fleet's
``Lunch.place`` is ``"anywhere"`` it must be taken empty at the depot or at an unload site, never
parked at a collection point or with load aboard (``lunch_place``). Finally the vehicle drives
back to its depot; the route's duration runs from ``start_s`` to that return. When
``problem.depot_unloads`` is true the whole route is one trip that ends (and unloads) at the
depot, and unload visits are not expected.

Cost of a used vehicle (a route with at least one visit)::

    fixed_cost + cost_per_km * distance_m / 1000 + cost_per_hour * duration_s / 3600

Violations
----------
Every violation is a :class:`Violation` with a ``kind`` from :data:`VIOLATION_KINDS`, the
vehicle, the 1-based trip and the stop (or unload-site) id it concerns where that applies.
A stop served by a fleet it does not allow (``Stop.fleets``: the vehicle class cannot reach
the point) is an ``access`` violation; on a road network a leg whose time needs a road closed
to its vehicle then, or whose km are shorter than any way open to it, is a ``road`` violation
(:mod:`wasteopt.routing.road_check`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from wasteopt.clock import format_hhmm
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.plan_rules import PlanChecker, check_fleet_sizes, check_unserved
from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.road_check import road_violations
from wasteopt.routing.verdict import (
    VIOLATION_KINDS,
    CheckReport,
    RouteTimes,
    Totals,
    Violation,
    ViolationKind,
    VisitKind,
    VisitTimes,
)

__all__ = [
    "VIOLATION_KINDS",
    "CheckReport",
    "RouteTimes",
    "Totals",
    "Violation",
    "VisitTimes",
    "check_plan",
]


class _RouteWalk:
    """One route walked visit by visit on the earliest-start schedule, flagging every rule it
    breaks; :meth:`run` returns its :class:`RouteTimes` and the loads of its non-empty trips."""

    def __init__(self, checker: PlanChecker, route: Route, fleet: Fleet) -> None:
        self.checker = checker
        self.problem = checker.problem
        self.route = route
        self.fleet = fleet
        self.vehicle = route.vehicle
        self.depot = self._known_depot()
        self.depot_loc = None if self.depot is None else checker.index[self.depot.id]
        profile = self._known_profile()
        self.durations = self.problem.durations_s[profile]
        self.metres = self.problem.distance_of(profile)  # the vehicle's own paths' km
        self.lunch_after = self._valid_lunch_after()
        self.lunch_home = self.lunch_after is not None and route.lunch_at_depot
        self.start = int(route.start_s)
        self.t = self.start
        self.prev: int | None = self.depot_loc
        self.distance = 0
        self.rows: list[VisitTimes] = []
        self.seq = 0
        self.trip = 1
        self.load = 0  # of the current trip
        self.volume = 0  # of the current trip
        self.shift_load = 0
        self.n_stops = 0
        self.trip_stops: list[Stop] = []  # stops of the current trip, for unload_at rules
        self.trip_loads: list[int] = []  # loads of completed non-empty trips
        self.flagged: set[str] = set()  # once-per-trip (capacity) and once-per-shift limits
        self.lunch_taken = False

    def add(self, kind: ViolationKind, trip: int | None, stop: str | None, message: str) -> None:
        self.checker.add(kind, self.vehicle, trip, stop, message)

    def run(self) -> tuple[RouteTimes, list[int]]:
        self._check_departure()
        self._leave_depot()
        for i, vid in enumerate(self.route.visits):
            self._visit(i, vid)
        end = self._return_to_depot()
        self._check_return(end)
        return self._route_times(end), self.trip_loads

    # -- what the route refers to ------------------------------------------------------------

    def _known_depot(self) -> Depot | None:
        fleet = self.fleet
        depot = self.checker.depots.get(fleet.depot)
        if depot is None or depot.id not in self.checker.index:
            self.add(
                "unknown_id",
                None,
                None,
                f"fleet {fleet.id} names depot {fleet.depot!r}, which the problem lacks",
            )
            return None
        return depot

    def _known_profile(self) -> int:
        profile = self.fleet.profile
        n_profiles = len(self.problem.durations_s)
        if not 0 <= profile < n_profiles:
            self.add(
                "unknown_id",
                None,
                None,
                f"fleet {self.fleet.id} uses duration profile {profile}; the problem has "
                f"{n_profiles}",
            )
            return 0
        return profile

    def _valid_lunch_after(self) -> int | None:
        lunch_after = self.route.lunch_after
        n_visits = len(self.route.visits)
        if lunch_after is None:
            if self.route.lunch_at_depot:
                self.add("lunch", None, None, "lunch_at_depot is set but lunch_after is not")
            return None
        if self.fleet.lunch is None:
            msg = f"lunch_after={lunch_after} but fleet {self.fleet.id} has no lunch break"
            self.add("lunch", None, None, msg)
            return None
        if not -1 <= lunch_after < n_visits:
            self.add(
                "lunch", None, None, f"lunch_after={lunch_after} is outside -1..{n_visits - 1}"
            )
            return None
        return lunch_after

    # -- the schedule ------------------------------------------------------------------------

    def _row(
        self,
        kind: VisitKind,
        where: str,
        trip: int | None,
        times: tuple[int, int, int],
        load_after: int,
        distance: int,
    ) -> VisitTimes:
        arrival, start, end = times
        return VisitTimes(
            vehicle=self.vehicle,
            fleet=self.fleet.id,
            trip=trip,
            seq=self.seq,
            kind=kind,
            id=where,
            arrival_s=arrival,
            start_s=start,
            end_s=end,
            load_after_kg=load_after,
            distance_from_prev_m=distance,
        )

    def _check_departure(self) -> None:
        start, fleet = self.start, self.fleet
        # A depot listed but missing from the locations still counts, as opening at 0.
        depot = self.checker.depots.get(fleet.depot)
        opens = 0 if self.depot is None else self.depot.open_s
        if start < fleet.shift_start_s:
            self.add(
                "shift",
                None,
                None,
                f"departs {format_hhmm(start)} before shift start "
                f"{format_hhmm(fleet.shift_start_s)}",
            )
        if depot is not None and start < opens:
            self.add(
                "shift",
                None,
                None,
                f"departs {format_hhmm(start)} before depot {depot.id} opens {format_hhmm(opens)}",
            )

    def _leave_depot(self) -> None:
        """The first depot row records the departure, after a break taken there (-1)."""
        start, depot_id = self.start, self.fleet.depot
        self.rows.append(self._row("depot", depot_id, None, (start, start, start), 0, 0))
        if self.lunch_after == -1:
            self.t = self._take_lunch(start, depot_id)
            self.rows[0] = replace(self.rows[0], end_s=self.t)

    def _take_lunch(self, ready: int, where: str, distance: int = 0) -> int:
        """The break starts at ``max(ready, earliest)`` (``distance``: driven to get there);
        returns when it ends."""
        lunch = self.fleet.lunch
        assert lunch is not None
        begin = max(ready, lunch.earliest_s)
        if begin > lunch.latest_s:
            self.add(
                "lunch",
                self.trip,
                None,
                f"lunch starts {format_hhmm(begin)}, after its latest start "
                f"{format_hhmm(lunch.latest_s)}",
            )
        self.seq += 1
        end = begin + lunch.duration_s
        row = self._row("lunch", where, self.trip, (ready, begin, end), self.load, distance)
        self.rows.append(row)
        self.lunch_taken = True
        return end

    def _visit(self, i: int, vid: str) -> None:
        loc = self.checker.index.get(vid)
        stop = self.checker.stops.get(vid)
        site = self.checker.sites.get(vid) if stop is None else None
        if loc is None or (stop is None and site is None):
            self.add(
                "unknown_id",
                self.trip,
                vid,
                f"visit {i} ({vid!r}) is not a stop or unload site of the problem",
            )
        else:
            prev = self.prev
            d = int(self.metres[prev, loc]) if prev is not None else 0
            tt = int(self.durations[prev, loc]) if prev is not None else 0
            self.distance += d
            self.prev = loc
            if stop is not None:
                self._serve(stop, self.t + tt, d)
            else:
                assert site is not None
                self._unload(site, self.t + tt, d)
        if self.lunch_after == i:
            self._lunch_after_visit(vid, stop is not None)

    def _lunch_after_visit(self, vid: str, at_stop: bool) -> None:
        """The break after visit ``vid``: back at the depot first (``lunch_at_depot``), and
        only empty at the depot or an unload site unless the fleet may eat anywhere."""
        where, distance, prev, home = vid, 0, self.prev, self.depot_loc
        if self.lunch_home and home is not None and prev is not None:
            distance = int(self.metres[prev, home])
            self.t += int(self.durations[prev, home])
            self.distance += distance
            self.prev, where, at_stop = home, self.fleet.depot, False
        lunch = self.fleet.lunch
        assert lunch is not None
        if lunch.place != "anywhere" and (at_stop or self.load > 0 or self.volume > 0):
            place = ("at collection point " if at_stop else "at ") + where
            aboard = f" with {self.load:,} kg aboard" if self.load > 0 else ""
            msg = f"lunch break {place}{aboard}: breaks are taken empty at a depot or unload site"
            self.add("lunch_place", self.trip, vid, msg)
        self.t = self._take_lunch(self.t, where, distance)

    def _serve(self, stop: Stop, arrival: int, distance: int) -> None:
        """Serve a stop: once, of the problem's stream, by a fleet it allows (access),
        starting within its window."""
        p, vid = self.problem, stop.id
        served = self.checker.served
        if vid in served:
            self.add("duplicate", self.trip, vid, f"stop already served by {served[vid]}")
        else:
            served[vid] = self.vehicle
        if stop.stream != p.stream:
            msg = f"stop of stream {stop.stream!r} in a {p.stream!r} problem"
            self.add("stream", self.trip, vid, msg)
        if stop.fleets is not None and self.fleet.id not in stop.fleets:
            allowed = ", ".join(stop.fleets) or "none"
            msg = (
                f"vehicle class may not serve this point: fleet {self.fleet.id} is not among"
                f" the fleets allowed here ({allowed})"
            )
            self.add("access", self.trip, vid, msg)
        begin = max(arrival, stop.tw_start_s)
        if begin > stop.tw_end_s:
            self.add(
                "time_window",
                self.trip,
                vid,
                f"service starts {format_hhmm(begin, with_seconds=True)}, after the"
                f" window closes {format_hhmm(stop.tw_end_s, with_seconds=True)}"
                f" ({begin - stop.tw_end_s} s late)",
            )
        self.t = begin + stop.service_s
        self.load += stop.load_kg
        self.volume += stop.volume_l
        self.shift_load += stop.load_kg
        self.n_stops += 1
        self.trip_stops.append(stop)
        self._check_loads(vid)
        self.seq += 1
        row = self._row("stop", vid, self.trip, (arrival, begin, self.t), self.load, distance)
        self.rows.append(row)

    def _flag_once(self, key: str, broken: bool) -> bool:
        """True the first time ``broken`` holds for ``key`` (per trip or per shift)."""
        if broken and key not in self.flagged:
            self.flagged.add(key)
            return True
        return False

    def _check_loads(self, vid: str) -> None:
        """Trip capacity (kg, litres) and the shift's load and stop limits, each flagged once."""
        f, trip = self.fleet, self.trip
        if self._flag_once("kg", self.load > f.capacity_kg):
            msg = f"trip load {self.load} kg exceeds capacity {f.capacity_kg} kg"
            self.add("capacity", trip, vid, msg)
        if self._flag_once("l", f.capacity_l > 0 and self.volume > f.capacity_l):
            msg = f"trip volume {self.volume} l exceeds capacity {f.capacity_l} l"
            self.add("capacity", trip, vid, msg)
        limit = f.max_shift_load_kg
        if self._flag_once("shift_load", limit is not None and self.shift_load > limit):
            msg = f"shift load {self.shift_load} kg exceeds {limit} kg"
            self.add("shift_load", trip, vid, msg)
        if self._flag_once("max_stops", f.max_stops is not None and self.n_stops > f.max_stops):
            msg = f"stop number {self.n_stops} exceeds max_stops={f.max_stops}"
            self.add("max_stops", trip, vid, msg)

    def _unload(self, site: UnloadSite, arrival: int, distance: int) -> None:
        """Unload at a site within its hours; it empties the vehicle and ends the trip."""
        p, vid = self.problem, site.id
        self._check_unload_site(site)
        begin = max(arrival, site.open_s)
        if begin > site.close_s:
            self.add(
                "facility_hours",
                self.trip,
                vid,
                f"unload starts {format_hhmm(begin, with_seconds=True)}, after site "
                f"closes {format_hhmm(site.close_s, with_seconds=True)}",
            )
        self.t = begin + site.unload_s
        self.seq += 1
        unload_trip = self.trip
        if not p.depot_unloads:
            if self.trip_stops:
                self.trip_loads.append(self.load)
            self.load = 0
            self.volume = 0
            self.flagged -= {"kg", "l"}
            self.trip_stops = []
            self.trip += 1
        times = (arrival, begin, self.t)
        self.rows.append(self._row("unload", vid, unload_trip, times, self.load, distance))

    def _check_unload_site(self, site: UnloadSite) -> None:
        """The site takes the stream, the problem has unload sites, every stop may go there."""
        p, vid, trip = self.problem, site.id, self.trip
        if p.depot_unloads:
            msg = "unload visit in a problem whose loads are dropped at the depot"
            self.add("unload_site", trip, vid, msg)
        if p.stream not in site.streams:
            self.add(
                "unload_site",
                trip,
                vid,
                f"site {vid} does not accept stream {p.stream!r}"
                f" (accepts {', '.join(site.streams) or 'nothing'})",
            )
        for s in self.trip_stops:
            if s.unload_at and vid not in s.unload_at:
                msg = f"load of {s.id} unloaded at {vid}; allowed: {', '.join(s.unload_at)}"
                self.add("unload_site", trip, s.id, msg)

    def _return_to_depot(self) -> int:
        """Drive home; a loaded last trip ends there (depot_unloads) or is flagged."""
        p, prev, home = self.problem, self.prev, self.depot_loc
        known = prev is not None and home is not None
        d = int(self.metres[prev, home]) if known else 0
        tt = int(self.durations[prev, home]) if known else 0
        self.distance += d
        end = self.t + tt
        final_trip: int | None = None
        if self.trip_stops:
            self.trip_loads.append(self.load)
            if p.depot_unloads:
                final_trip = self.trip
            else:
                self.add(
                    "ended_loaded",
                    self.trip,
                    self.trip_stops[-1].id,
                    f"trip {self.trip} ({len(self.trip_stops)} stops, {self.load} kg) is not"
                    " ended by an unload visit before returning to the depot",
                )
        self.seq += 1
        load_after = 0 if p.depot_unloads else self.load
        row = self._row("depot", self.fleet.depot, final_trip, (end, end, end), load_after, d)
        self.rows.append(row)
        return end

    def _check_return(self, end: int) -> None:
        """Shift end, depot closing, route duration, trips per shift and the lunch break."""
        f, start, depot = self.fleet, self.start, self.depot
        if end > f.shift_end_s:
            msg = f"returns {format_hhmm(end)} after shift end {format_hhmm(f.shift_end_s)}"
            self.add("shift", None, None, msg)
        if depot is not None and end > depot.close_s:
            self.add(
                "shift",
                None,
                None,
                f"returns {format_hhmm(end)} after depot {f.depot} closes "
                f"{format_hhmm(depot.close_s)}",
            )
        duration = end - start
        if f.max_duration_s is not None and duration > f.max_duration_s:
            msg = f"route lasts {duration} s, above max_duration_s={f.max_duration_s}"
            self.add("shift", None, None, msg)
        n_trips = len(self.trip_loads)
        if f.max_trips is not None and n_trips > f.max_trips:
            msg = f"{n_trips} trips exceed max_trips={f.max_trips}"
            self.add("max_trips", f.max_trips + 1, None, msg)
        lunch = f.lunch
        overlaps = lunch is not None and start < lunch.latest_s and end > lunch.earliest_s
        if overlaps and not self.lunch_taken:
            assert lunch is not None
            self.add(
                "lunch",
                None,
                None,
                f"route {format_hhmm(start)}–{format_hhmm(end)} overlaps the lunch window "
                f"{format_hhmm(lunch.earliest_s)}–{format_hhmm(lunch.latest_s)} "
                "but takes no break",
            )

    def _route_times(self, end: int) -> RouteTimes:
        f, dist = self.fleet, self.distance
        duration = end - self.start
        return RouteTimes(
            vehicle=self.vehicle,
            fleet=f.id,
            start_s=self.start,
            end_s=end,
            distance_m=dist,
            duration_s=duration,
            trips=len(self.trip_loads),
            stops=self.n_stops,
            load_kg=self.shift_load,
            fixed_cost=float(f.fixed_cost),
            distance_cost=f.cost_per_km * dist / 1000.0,
            time_cost=f.cost_per_hour * duration / 3600.0,
            co2_kg=f.co2_kg_per_km * dist / 1000.0,
            visits=tuple(self.rows),
        )


def check_plan(problem: RoutingProblem, plan: RoutePlan) -> CheckReport:
    """Recompute every route of ``plan`` on ``problem`` and list every violation.

    ``plan.check`` and ``plan.objective`` are ignored: everything is recomputed from the
    problem's data. Routes without visits are unused vehicles (no cost, no checks besides ids).
    """
    checker = PlanChecker(problem)
    if plan.stream != problem.stream:
        msg = f"plan is for stream {plan.stream!r}, problem for {problem.stream!r}"
        checker.add("stream", None, None, None, msg)
    route_times, trip_utils, per_fleet = _check_routes(checker, plan)
    check_fleet_sizes(checker, per_fleet)
    check_unserved(checker, plan)
    return CheckReport(
        problem=problem.name,
        violations=tuple(checker.violations),
        totals=Totals.over(
            route_times,
            trip_utils,
            stops_served=len(checker.served),
            unserved=sum(1 for s in problem.stops if s.id not in checker.served),
        ),
        routes=tuple(route_times),
    )


def _check_routes(
    checker: PlanChecker, plan: RoutePlan
) -> tuple[list[RouteTimes], list[float], Counter[str]]:
    """Walk every used route; returns their times, each trip's load / capacity and the number
    of used vehicles per fleet."""
    problem = checker.problem
    seen_vehicles: set[str] = set()
    per_fleet: Counter[str] = Counter()
    route_times: list[RouteTimes] = []
    trip_utils: list[float] = []
    for route in plan.routes:
        fleet = checker.fleets.get(route.fleet)
        if route.vehicle in seen_vehicles:
            msg = "vehicle id used by more than one route"
            checker.add("fleet_size", route.vehicle, None, None, msg)
        seen_vehicles.add(route.vehicle)
        if fleet is None:
            msg = f"route names fleet {route.fleet!r}, which the problem lacks"
            checker.add("unknown_id", route.vehicle, None, None, msg)
            continue
        if not route.visits:
            continue  # an unused vehicle
        per_fleet[fleet.id] += 1
        if fleet.stream != problem.stream:
            checker.add(
                "stream",
                route.vehicle,
                None,
                None,
                f"vehicle of fleet {fleet.id} (stream {fleet.stream!r}) in a "
                f"{problem.stream!r} problem",
            )
        times, trip_loads = _RouteWalk(checker, route, fleet).run()
        if problem.roads is not None:  # legs on roads closed to the vehicle (road_check)
            checker.violations += road_violations(problem.roads, fleet, times)
        route_times.append(times)
        if fleet.capacity_kg > 0:
            trip_utils += [load / fleet.capacity_kg for load in trip_loads]
    return route_times, trip_utils, per_fleet
