"""Independent plan checker: recomputes every route's schedule and lists every violation.

Written from the model in :mod:`wasteopt.routing.problem` and :mod:`wasteopt.routing.plan`
alone; it never imports an engine or a solver library, so an engine cannot grade its own work.

Schedule (earliest start)
-------------------------
A vehicle leaves its fleet's depot at ``route.start_s``. For each visit it travels with the
fleet's duration profile (``problem.durations_s[fleet.profile]``), waits for the window to open
(``tw_start_s`` of a stop, ``open_s`` of a site) and serves (``service_s`` / ``unload_s``).
An unload visit empties the vehicle and ends a *trip* (trips are numbered from 1). The lunch
break is taken after visit ``lunch_after`` (``-1``: at the depot before leaving) and starts at
``max(ready time, lunch.earliest_s)``. Finally it drives back to its depot; the route's duration
runs from ``start_s`` to that return. When ``problem.depot_unloads`` is true the whole route is
one trip that ends (and unloads) at the depot, and unload visits are not expected.

Cost of a used vehicle (a route with at least one visit)::

    fixed_cost + cost_per_km * distance_m / 1000 + cost_per_hour * duration_s / 3600

Violations
----------
Every violation is a :class:`Violation` with a ``kind`` from :data:`VIOLATION_KINDS`, the
vehicle, the 1-based trip and the stop (or unload-site) id it concerns where that applies.
"""

from __future__ import annotations

from collections import Counter

from wasteopt.clock import format_hhmm
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Fleet, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.verdict import (
    VIOLATION_KINDS,
    CheckReport,
    RouteTimes,
    Totals,
    Violation,
    ViolationKind,
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


class _RouteChecker:
    """Walks one route; appends violations and returns its :class:`RouteTimes`."""

    def __init__(
        self,
        problem: RoutingProblem,
        index: dict[str, int],
        stops: dict[str, Stop],
        sites: dict[str, UnloadSite],
        out: list[Violation],
    ) -> None:
        self.problem = problem
        self.index = index
        self.stops = stops
        self.sites = sites
        self.depots = {d.id: d for d in problem.depots}
        self.out = out

    def add(
        self,
        kind: ViolationKind,
        vehicle: str | None,
        trip: int | None,
        stop: str | None,
        message: str,
    ) -> None:
        self.out.append(
            Violation(kind=kind, vehicle=vehicle, trip=trip, stop=stop, message=message)
        )

    def run(
        self, route: Route, fleet: Fleet, served: dict[str, str]
    ) -> tuple[RouteTimes, list[int]]:
        p = self.problem
        veh = route.vehicle
        add = self.add
        depot = self.depots.get(fleet.depot)
        if depot is None or depot.id not in self.index:
            add(
                "unknown_id",
                veh,
                None,
                None,
                f"fleet {fleet.id} names depot {fleet.depot!r}, which the problem lacks",
            )
            depot_open, depot_close = 0, None
            depot_loc = None
        else:
            depot_open, depot_close = depot.open_s, depot.close_s
            depot_loc = self.index[depot.id]
        profile = fleet.profile
        if not 0 <= profile < len(p.durations_s):
            add(
                "unknown_id",
                veh,
                None,
                None,
                f"fleet {fleet.id} uses duration profile {profile}; the problem has "
                f"{len(p.durations_s)}",
            )
            profile = 0
        dur = p.durations_s[profile]
        dist = p.distance_m
        lunch = fleet.lunch
        n_visits = len(route.visits)
        lunch_after = route.lunch_after
        if lunch_after is not None:
            if lunch is None:
                add(
                    "lunch",
                    veh,
                    None,
                    None,
                    f"lunch_after={lunch_after} but fleet {fleet.id} has no lunch break",
                )
                lunch_after = None
            elif not -1 <= lunch_after < n_visits:
                add(
                    "lunch",
                    veh,
                    None,
                    None,
                    f"lunch_after={lunch_after} is outside -1..{n_visits - 1}",
                )
                lunch_after = None

        start = int(route.start_s)
        if start < fleet.shift_start_s:
            add(
                "shift",
                veh,
                None,
                None,
                f"departs {format_hhmm(start)} before shift start "
                f"{format_hhmm(fleet.shift_start_s)}",
            )
        if depot is not None and start < depot_open:
            add(
                "shift",
                veh,
                None,
                None,
                f"departs {format_hhmm(start)} before depot {depot.id} opens "
                f"{format_hhmm(depot_open)}",
            )

        rows: list[VisitTimes] = []
        seq = 0
        depot_id = fleet.depot
        trip = 1
        load = 0
        volume = 0
        shift_load = 0
        n_stops = 0
        trip_stops: list[Stop] = []  # stops of the current trip, for unload_at rules
        trip_loads: list[int] = []  # loads of completed non-empty trips
        cap_flagged = False
        vol_flagged = False
        shift_flagged = False
        stops_flagged = False
        lunch_taken = False

        def take_lunch(ready: int, where: str) -> int:
            nonlocal seq, lunch_taken
            assert lunch is not None
            ls = max(ready, lunch.earliest_s)
            if ls > lunch.latest_s:
                add(
                    "lunch",
                    veh,
                    trip,
                    None,
                    f"lunch starts {format_hhmm(ls)}, after its latest start "
                    f"{format_hhmm(lunch.latest_s)}",
                )
            seq += 1
            rows.append(
                VisitTimes(
                    vehicle=veh,
                    fleet=fleet.id,
                    trip=trip,
                    seq=seq,
                    kind="lunch",
                    id=where,
                    arrival_s=ready,
                    start_s=ls,
                    end_s=ls + lunch.duration_s,
                    load_after_kg=load,
                    distance_from_prev_m=0,
                )
            )
            lunch_taken = True
            return ls + lunch.duration_s

        rows.append(
            VisitTimes(
                vehicle=veh,
                fleet=fleet.id,
                trip=None,
                seq=0,
                kind="depot",
                id=depot_id,
                arrival_s=start,
                start_s=start,
                end_s=start,
                load_after_kg=0,
                distance_from_prev_m=0,
            )
        )
        t = start
        if lunch_after == -1:
            t = take_lunch(t, depot_id)
            # The first depot row records the departure, which now follows the break.
            rows[0] = VisitTimes(
                vehicle=veh,
                fleet=fleet.id,
                trip=None,
                seq=0,
                kind="depot",
                id=depot_id,
                arrival_s=start,
                start_s=start,
                end_s=t,
                load_after_kg=0,
                distance_from_prev_m=0,
            )
        prev = depot_loc
        total_dist = 0
        for i, vid in enumerate(route.visits):
            loc = self.index.get(vid)
            stop = self.stops.get(vid)
            site = self.sites.get(vid) if stop is None else None
            if loc is None or (stop is None and site is None):
                add(
                    "unknown_id",
                    veh,
                    trip,
                    vid,
                    f"visit {i} ({vid!r}) is not a stop or unload site of the problem",
                )
                if lunch_after == i:
                    t = take_lunch(t, vid)
                continue
            d = int(dist[prev, loc]) if prev is not None else 0
            tt = int(dur[prev, loc]) if prev is not None else 0
            total_dist += d
            arrival = t + tt
            prev = loc
            if stop is not None:
                if vid in served:
                    add("duplicate", veh, trip, vid, f"stop already served by {served[vid]}")
                else:
                    served[vid] = veh
                if stop.stream != p.stream:
                    add(
                        "stream",
                        veh,
                        trip,
                        vid,
                        f"stop of stream {stop.stream!r} in a {p.stream!r} problem",
                    )
                svc_start = max(arrival, stop.tw_start_s)
                if svc_start > stop.tw_end_s:
                    add(
                        "time_window",
                        veh,
                        trip,
                        vid,
                        f"service starts {format_hhmm(svc_start, with_seconds=True)}, after the"
                        f" window closes {format_hhmm(stop.tw_end_s, with_seconds=True)}"
                        f" ({svc_start - stop.tw_end_s} s late)",
                    )
                t = svc_start + stop.service_s
                load += stop.load_kg
                volume += stop.volume_l
                shift_load += stop.load_kg
                n_stops += 1
                trip_stops.append(stop)
                if load > fleet.capacity_kg and not cap_flagged:
                    cap_flagged = True
                    add(
                        "capacity",
                        veh,
                        trip,
                        vid,
                        f"trip load {load} kg exceeds capacity {fleet.capacity_kg} kg",
                    )
                if fleet.capacity_l > 0 and volume > fleet.capacity_l and not vol_flagged:
                    vol_flagged = True
                    add(
                        "capacity",
                        veh,
                        trip,
                        vid,
                        f"trip volume {volume} l exceeds capacity {fleet.capacity_l} l",
                    )
                if (
                    fleet.max_shift_load_kg is not None
                    and shift_load > fleet.max_shift_load_kg
                    and not shift_flagged
                ):
                    shift_flagged = True
                    add(
                        "shift_load",
                        veh,
                        trip,
                        vid,
                        f"shift load {shift_load} kg exceeds {fleet.max_shift_load_kg} kg",
                    )
                if fleet.max_stops is not None and n_stops > fleet.max_stops and not stops_flagged:
                    stops_flagged = True
                    add(
                        "max_stops",
                        veh,
                        trip,
                        vid,
                        f"stop number {n_stops} exceeds max_stops={fleet.max_stops}",
                    )
                seq += 1
                rows.append(
                    VisitTimes(
                        vehicle=veh,
                        fleet=fleet.id,
                        trip=trip,
                        seq=seq,
                        kind="stop",
                        id=vid,
                        arrival_s=arrival,
                        start_s=svc_start,
                        end_s=t,
                        load_after_kg=load,
                        distance_from_prev_m=d,
                    )
                )
            else:
                assert site is not None
                if p.depot_unloads:
                    add(
                        "unload_site",
                        veh,
                        trip,
                        vid,
                        "unload visit in a problem whose loads are dropped at the depot",
                    )
                if p.stream not in site.streams:
                    add(
                        "unload_site",
                        veh,
                        trip,
                        vid,
                        f"site {vid} does not accept stream {p.stream!r}"
                        f" (accepts {', '.join(site.streams) or 'nothing'})",
                    )
                for s in trip_stops:
                    if s.unload_at and vid not in s.unload_at:
                        add(
                            "unload_site",
                            veh,
                            trip,
                            s.id,
                            f"load of {s.id} unloaded at {vid}; allowed: {', '.join(s.unload_at)}",
                        )
                u_start = max(arrival, site.open_s)
                if u_start > site.close_s:
                    add(
                        "facility_hours",
                        veh,
                        trip,
                        vid,
                        f"unload starts {format_hhmm(u_start, with_seconds=True)}, after site "
                        f"closes {format_hhmm(site.close_s, with_seconds=True)}",
                    )
                t = u_start + site.unload_s
                seq += 1
                unload_trip = trip
                if not p.depot_unloads:
                    if trip_stops:
                        trip_loads.append(load)
                    load = 0
                    volume = 0
                    cap_flagged = vol_flagged = False
                    trip_stops = []
                    trip += 1
                rows.append(
                    VisitTimes(
                        vehicle=veh,
                        fleet=fleet.id,
                        trip=unload_trip,
                        seq=seq,
                        kind="unload",
                        id=vid,
                        arrival_s=arrival,
                        start_s=u_start,
                        end_s=t,
                        load_after_kg=load,
                        distance_from_prev_m=d,
                    )
                )
            if lunch_after == i:
                t = take_lunch(t, vid)

        # Back to the depot.
        d = int(dist[prev, depot_loc]) if prev is not None and depot_loc is not None else 0
        tt = int(dur[prev, depot_loc]) if prev is not None and depot_loc is not None else 0
        total_dist += d
        end = t + tt
        final_trip: int | None = None
        if trip_stops:
            trip_loads.append(load)
            if p.depot_unloads:
                final_trip = trip
            else:
                add(
                    "ended_loaded",
                    veh,
                    trip,
                    trip_stops[-1].id,
                    f"trip {trip} ({len(trip_stops)} stops, {load} kg) is not ended by an unload"
                    " visit before returning to the depot",
                )
        seq += 1
        rows.append(
            VisitTimes(
                vehicle=veh,
                fleet=fleet.id,
                trip=final_trip,
                seq=seq,
                kind="depot",
                id=depot_id,
                arrival_s=end,
                start_s=end,
                end_s=end,
                load_after_kg=0 if p.depot_unloads else load,
                distance_from_prev_m=d,
            )
        )

        if end > fleet.shift_end_s:
            add(
                "shift",
                veh,
                None,
                None,
                f"returns {format_hhmm(end)} after shift end {format_hhmm(fleet.shift_end_s)}",
            )
        if depot_close is not None and end > depot_close:
            add(
                "shift",
                veh,
                None,
                None,
                f"returns {format_hhmm(end)} after depot {depot_id} closes "
                f"{format_hhmm(depot_close)}",
            )
        duration = end - start
        if fleet.max_duration_s is not None and duration > fleet.max_duration_s:
            add(
                "shift",
                veh,
                None,
                None,
                f"route lasts {duration} s, above max_duration_s={fleet.max_duration_s}",
            )
        n_trips = len(trip_loads)
        if fleet.max_trips is not None and n_trips > fleet.max_trips:
            add(
                "max_trips",
                veh,
                fleet.max_trips + 1,
                None,
                f"{n_trips} trips exceed max_trips={fleet.max_trips}",
            )
        overlaps_lunch = lunch is not None and start < lunch.latest_s and end > lunch.earliest_s
        if overlaps_lunch and not lunch_taken:
            assert lunch is not None
            add(
                "lunch",
                veh,
                None,
                None,
                f"route {format_hhmm(start)}–{format_hhmm(end)} overlaps the lunch window "
                f"{format_hhmm(lunch.earliest_s)}–{format_hhmm(lunch.latest_s)} "
                "but takes no break",
            )

        return RouteTimes(
            vehicle=veh,
            fleet=fleet.id,
            start_s=start,
            end_s=end,
            distance_m=total_dist,
            duration_s=duration,
            trips=n_trips,
            stops=n_stops,
            load_kg=shift_load,
            fixed_cost=float(fleet.fixed_cost),
            distance_cost=fleet.cost_per_km * total_dist / 1000.0,
            time_cost=fleet.cost_per_hour * duration / 3600.0,
            co2_kg=fleet.co2_kg_per_km * total_dist / 1000.0,
            visits=tuple(rows),
        ), trip_loads


def check_plan(problem: RoutingProblem, plan: RoutePlan) -> CheckReport:
    """Recompute every route of ``plan`` on ``problem`` and list every violation.

    ``plan.check`` and ``plan.objective`` are ignored: everything is recomputed from the
    problem's data. Routes without visits are unused vehicles (no cost, no checks besides ids).
    """
    violations: list[Violation] = []

    def add(
        kind: ViolationKind, vehicle: str | None, trip: int | None, stop: str | None, message: str
    ) -> None:
        violations.append(
            Violation(kind=kind, vehicle=vehicle, trip=trip, stop=stop, message=message)
        )

    index = problem.index()
    stops = {s.id: s for s in problem.stops}
    sites = {s.id: s for s in problem.sites}
    fleets = {f.id: f for f in problem.fleets}
    walker = _RouteChecker(problem, index, stops, sites, violations)

    if plan.stream != problem.stream:
        add(
            "stream",
            None,
            None,
            None,
            f"plan is for stream {plan.stream!r}, problem for {problem.stream!r}",
        )

    served: dict[str, str] = {}  # stop id -> first vehicle serving it
    seen_vehicles: set[str] = set()
    per_fleet: Counter[str] = Counter()
    route_times: list[RouteTimes] = []
    trip_utils: list[float] = []
    for route in plan.routes:
        fleet = fleets.get(route.fleet)
        if route.vehicle in seen_vehicles:
            add("fleet_size", route.vehicle, None, None, "vehicle id used by more than one route")
        seen_vehicles.add(route.vehicle)
        if fleet is None:
            add(
                "unknown_id",
                route.vehicle,
                None,
                None,
                f"route names fleet {route.fleet!r}, which the problem lacks",
            )
            continue
        if not route.visits:
            continue  # an unused vehicle
        per_fleet[fleet.id] += 1
        if fleet.stream != problem.stream:
            add(
                "stream",
                route.vehicle,
                None,
                None,
                f"vehicle of fleet {fleet.id} (stream {fleet.stream!r}) in a "
                f"{problem.stream!r} problem",
            )
        rt, trip_loads = walker.run(route, fleet, served)
        route_times.append(rt)
        if fleet.capacity_kg > 0:
            trip_utils += [load / fleet.capacity_kg for load in trip_loads]

    for fid, n in per_fleet.items():
        if n > fleets[fid].count:
            add(
                "fleet_size",
                None,
                None,
                None,
                f"fleet {fid} runs {n} routes but has {fleets[fid].count} vehicles",
            )

    listed = set(plan.unserved)
    for s in problem.stops:
        if s.id not in served:
            if s.stream != problem.stream:
                add(
                    "stream",
                    None,
                    None,
                    s.id,
                    f"stop of stream {s.stream!r} in a {problem.stream!r} problem",
                )
            note = "" if s.id in listed else " (and not listed in plan.unserved)"
            add("unserved", None, None, s.id, f"stop is not served{note}")
    for sid in plan.unserved:
        if sid not in stops:
            add("unknown_id", None, None, sid, "plan.unserved names an unknown stop")
        elif sid in served:
            add(
                "unserved", served[sid], None, sid, "plan.unserved lists a stop that a route serves"
            )

    n_unserved = sum(1 for s in problem.stops if s.id not in served)
    totals = Totals(
        vehicles=len(route_times),
        trips=sum(r.trips for r in route_times),
        stops_served=len(served),
        unserved=n_unserved,
        distance_km=sum(r.distance_m for r in route_times) / 1000.0,
        duration_h=sum(r.duration_s for r in route_times) / 3600.0,
        load_kg=sum(r.load_kg for r in route_times),
        co2_kg=sum(r.co2_kg for r in route_times),
        cost=sum(r.cost for r in route_times),
        fixed_cost=sum(r.fixed_cost for r in route_times),
        distance_cost=sum(r.distance_cost for r in route_times),
        time_cost=sum(r.time_cost for r in route_times),
        utilisation=sum(trip_utils) / len(trip_utils) if trip_utils else 0.0,
    )
    return CheckReport(
        problem=problem.name,
        violations=tuple(violations),
        totals=totals,
        routes=tuple(route_times),
    )
