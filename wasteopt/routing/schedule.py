"""Engine-side route scheduling, lunch placement and repair (fast, solver independent).

The independent judge of a plan is :func:`wasteopt.routing.check.check_plan`. Engines need a much
cheaper question answered thousands of times while they repair a solver's answer: *is this one
visit sequence feasible for this fleet, when should it leave, where does lunch go and what does it
cost?* :class:`RouteScheduler` answers it with the same earliest-start schedule the checker uses
(travel, wait for the window, serve; an unload visit empties the vehicle; lunch starts at
``max(ready, earliest)`` after visit ``lunch_after``; a break is required when
``start < latest`` and ``return > earliest``).

Repair (:func:`repair_routes`) turns any set of routes into a feasible one:

1. each route is given its best departure time and lunch position (:meth:`RouteScheduler.plan`);
2. while a route is infeasible, the stop at (or before) the first broken rule is removed, empty
   trips are dropped, and a final unload is added if the route would end loaded;
3. surplus routes of a fleet that runs more routes than it has vehicles are merged into another
   route of the fleet (one multi-trip shift), moved to a fleet with a spare vehicle, or
   dropped (their stops join the pool);
4. the removed stops and the stops the solver left out are re-inserted one by one at the
   cheapest feasible position over all routes (into an existing trip, or as a new trip with its
   own unload visit) or on a new vehicle of a fleet that still has one; positions are ranked by
   a cheap detour estimate and only the best few are scheduled in full (:func:`_insert`); a
   stop that fits nowhere is returned as unserved;
5. two routes of one fleet are joined into one shift while that saves cost.

Every route returned by :func:`repair_routes` is feasible under this schedule, so a plan built
from it is checker-clean apart from the unserved stops it names.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from wasteopt.routing.plan import Route
from wasteopt.routing.problem import Fleet, RoutingProblem, Stop, UnloadSite

__all__ = ["RouteEval", "RouteScheduler", "repair_routes"]

END = 10**9
"""``RouteEval.first_bad`` for a rule of the whole route (return time, duration, totals)."""
INSERT_FEASIBLE = 4
"""Feasible insertions evaluated per stop before the cheapest of them is taken."""
MAX_EVALS = 400
"""Full schedules tried per stop (best estimates first) before it is declared unplaceable."""
LATE_EVALS = 40
"""The same after the repair deadline has passed."""


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
    distance_m: int
    cost: float
    departs: tuple[int, ...]
    delay_room_s: int = 0
    """How much later the vehicle could leave with the same return time and no new violation."""


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
        self.dist = problem.distance_m.tolist()
        self.durs = [m.tolist() for m in problem.durations_s]

    # -- basic evaluation -------------------------------------------------------------------

    def evaluate(
        self,
        fleet: Fleet,
        visits: list[str] | tuple[str, ...],
        start_s: int,
        lunch_after: int | None,
    ) -> RouteEval:
        """Schedule ``visits`` leaving at ``start_s`` with the break after ``lunch_after``."""
        p = self.problem
        dist = self.dist
        dur = self.durs[fleet.profile]
        depot = self.depots[fleet.depot]
        g = self.index[fleet.depot]
        lunch = fleet.lunch
        bad: int | None = None
        reason = ""

        def flag(k: int, why: str) -> None:
            nonlocal bad, reason
            if bad is None:
                bad, reason = k, why

        if start_s < fleet.shift_start_s or start_s < depot.open_s:
            flag(-1, "start")
        t = start_s
        waited = 0  # waiting so far: a later departure absorbs it
        room = END  # min over visits of waited + remaining window slack
        taken = False
        if lunch_after is not None:
            if lunch is None or not -1 <= lunch_after < len(visits):
                flag(END, "lunch")
            elif lunch_after == -1:
                ls = max(t, lunch.earliest_s)
                if ls > lunch.latest_s:
                    flag(-1, "lunch")
                waited += ls - t
                room = min(room, waited + lunch.latest_s - ls)
                t = ls + lunch.duration_s
                taken = True
        pos = g
        d_total = 0
        load = vol = shift_load = n_stops = trips = trip_stops = 0
        allowed: set[str] | None = None
        cap_l = fleet.capacity_l
        departs = []
        stream = p.stream
        for k, v in enumerate(visits):
            j = self.index[v]
            t += dur[pos][j]
            d_total += dist[pos][j]
            pos = j
            stop = self.stops.get(v)
            if stop is not None:
                if stop.stream != stream:
                    flag(k, "stream")
                begin = t if t > stop.tw_start_s else stop.tw_start_s
                if begin > stop.tw_end_s:
                    flag(k, "time_window")
                waited += begin - t
                room = min(room, waited + stop.tw_end_s - begin)
                t = begin + stop.service_s
                load += stop.load_kg
                vol += stop.volume_l
                shift_load += stop.load_kg
                n_stops += 1
                trip_stops += 1
                if load > fleet.capacity_kg or (cap_l > 0 and vol > cap_l):
                    flag(k, "capacity")
                if fleet.max_stops is not None and n_stops > fleet.max_stops:
                    flag(k, "max_stops")
                if fleet.max_shift_load_kg is not None and shift_load > fleet.max_shift_load_kg:
                    flag(k, "shift_load")
                if stop.unload_at:
                    allowed = (
                        set(stop.unload_at) if allowed is None else allowed & set(stop.unload_at)
                    )
            else:
                site = self.sites.get(v)
                if site is None or p.depot_unloads:
                    flag(k, "unload_site")
                    site_open, site_close, unload_s = 0, END, 0
                else:
                    site_open, site_close, unload_s = site.open_s, site.close_s, site.unload_s
                if allowed is not None and v not in allowed:
                    flag(k, "unload_site")
                begin = t if t > site_open else site_open
                if begin > site_close:
                    flag(k, "facility_hours")
                waited += begin - t
                room = min(room, waited + site_close - begin)
                t = begin + unload_s
                if trip_stops:
                    trips += 1
                load = vol = trip_stops = 0
                allowed = None
            if lunch_after == k and lunch is not None:
                ls = max(t, lunch.earliest_s)
                if ls > lunch.latest_s:
                    flag(k, "lunch")
                waited += ls - t
                room = min(room, waited + lunch.latest_s - ls)
                t = ls + lunch.duration_s
                taken = True
            departs.append(t)
        if trip_stops:
            if p.depot_unloads:
                trips += 1
            else:
                flag(END, "ended_loaded")
        t += dur[pos][g]
        d_total += dist[pos][g]
        end = t
        if end > fleet.shift_end_s or end > depot.close_s:
            flag(END, "shift")
        duration = end - start_s
        if fleet.max_duration_s is not None and duration > fleet.max_duration_s:
            flag(END, "shift")
        if fleet.max_trips is not None and trips > fleet.max_trips:
            flag(END, "max_trips")
        if lunch is not None and not taken and start_s < lunch.latest_s and end > lunch.earliest_s:
            flag(END, "lunch_missing")
        cost = (
            fleet.fixed_cost
            + fleet.cost_per_km * d_total / 1000.0
            + fleet.cost_per_hour * duration / 3600.0
        )
        return RouteEval(
            feasible=bad is None,
            first_bad=bad,
            reason=reason,
            start_s=start_s,
            end_s=end,
            lunch_after=lunch_after if taken else None,
            distance_m=d_total,
            cost=cost,
            departs=tuple(departs),
            delay_room_s=max(0, min(room, waited)),
        )

    # -- departure time and lunch -----------------------------------------------------------

    def plan(self, fleet: Fleet, visits: list[str] | tuple[str, ...]) -> RouteEval:
        """Best departure and lunch position for ``visits`` (feasible if any tried one is).

        Departure: the earliest allowed time, delayed by as much of the route's waiting as the
        windows allow (the return time stays the same, the paid duration shrinks). Lunch: when
        the route overlaps the lunch window, the last few visits after which the break can
        still start in time are tried, and the cheapest feasible one is kept.
        """
        depot = self.depots[fleet.depot]
        base = max(fleet.shift_start_s, depot.open_s)
        ev = self.evaluate(fleet, visits, base, None)
        if ev.delay_room_s:
            ev = self.evaluate(fleet, visits, base + ev.delay_room_s, None)
        start = ev.start_s
        lunch = fleet.lunch
        if lunch is None or ev.reason != "lunch_missing":
            return ev
        cands = [-1] + [k for k, dep in enumerate(ev.departs) if dep <= lunch.latest_s]
        if len(cands) > 1:
            cands = cands[1:]
        best: RouteEval | None = None
        fallback: RouteEval | None = None
        for k in reversed(cands[-4:]):
            e = self.evaluate(fleet, visits, start, k)
            if e.delay_room_s:
                e = self.evaluate(fleet, visits, start + e.delay_room_s, k)
            if e.feasible:
                if best is None or e.cost < best.cost - 1e-9:
                    best = e
            elif fallback is None or (e.first_bad or 0) > (fallback.first_bad or 0):
                fallback = e
        if best is not None:
            return best
        assert fallback is not None
        return fallback

    def route(self, vehicle: str, fleet: Fleet, visits: list[str]) -> Route:
        """A :class:`Route` with the departure and lunch chosen by :meth:`plan`."""
        ev = self.plan(fleet, visits)
        return Route(
            vehicle=vehicle,
            fleet=fleet.id,
            start_s=ev.start_s,
            visits=tuple(visits),
            lunch_after=ev.lunch_after,
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
            out.append(self._nearest(out[-1], allowed))
        return out

    def _nearest(self, after: str, allowed: set[str]) -> str:
        i = self.index[after]
        return min(
            (s for s in self.sites if s in allowed), key=lambda s: (self.dist[i][self.index[s]], s)
        )


def _removal_index(sched: RouteScheduler, visits: list[str], ev: RouteEval) -> int:
    """Index of the stop to drop from an infeasible route."""
    stop_idx = [k for k, v in enumerate(visits) if v in sched.stops]
    k = ev.first_bad if ev.first_bad is not None else END
    if k < 0:
        return stop_idx[0]
    if k < len(visits) and visits[k] in sched.stops:
        return k
    if k < len(visits) and ev.reason == "unload_site":
        # Drop a stop of this trip that may not unload here (else the trip's last stop).
        begin = max([i for i in range(k) if visits[i] in sched.sites] + [-1]) + 1
        site = visits[k]
        for i in range(begin, k):
            s = sched.stops.get(visits[i])
            if s is not None and s.unload_at and site not in s.unload_at:
                return i
    before = [i for i in stop_idx if i <= k]
    return before[-1] if before else stop_idx[-1]


def _make_feasible(
    sched: RouteScheduler, fleet: Fleet, visits: list[str]
) -> tuple[list[str], list[str], RouteEval | None]:
    """Remove stops until the route is feasible; returns (visits, removed stop ids, eval)."""
    removed: list[str] = []
    visits = sched.tidy(list(visits))
    while any(v in sched.stops for v in visits):
        ev = sched.plan(fleet, visits)
        if ev.feasible:
            return visits, removed, ev
        k = _removal_index(sched, visits, ev)
        removed.append(visits[k])
        visits = sched.tidy(visits[:k] + visits[k + 1 :])
    return [], removed + [v for v in visits if v in sched.stops], None


@dataclass(slots=True)
class _Work:
    fleet: Fleet
    visits: list[str]
    cost: float


def repair_routes(
    problem: RoutingProblem,
    routes: list[tuple[str, list[str]]],
    left_out: list[str],
    *,
    scheduler: RouteScheduler | None = None,
    deadline: float | None = None,
) -> tuple[tuple[Route, ...], tuple[str, ...]]:
    """Make ``routes`` (fleet id, visit ids) feasible and re-insert removed/left-out stops.

    Returns the feasible routes (vehicles numbered ``<fleet>#1..`` per fleet in input order)
    and the stop ids that could not be placed anywhere, in problem order. ``deadline``
    (``time.time()``): once passed, each insertion tries at most ``LATE_EVALS`` schedules.
    """
    sched = scheduler if scheduler is not None else RouteScheduler(problem)
    work: list[_Work] = []
    pool: list[str] = [s for s in left_out if s in sched.stops]
    for fleet_id, visits in routes:
        fleet = sched.fleets[fleet_id]
        vis, removed, ev = _make_feasible(sched, fleet, visits)
        pool += removed
        if vis and ev is not None:
            work.append(_Work(fleet=fleet, visits=vis, cost=ev.cost))
    pool += _enforce_fleet_size(sched, work)
    used: dict[str, int] = {}
    for w in work:
        used[w.fleet.id] = used.get(w.fleet.id, 0) + 1
    served = {v for w in work for v in w.visits if v in sched.stops}
    pool = [s for s in dict.fromkeys(pool) if s not in served]
    unserved: list[str] = [s for s in pool if sched.stops[s].stream != problem.stream]
    pool = [s for s in pool if sched.stops[s].stream == problem.stream]
    # Hardest first: tight windows, then heavy loads.
    order = sorted(pool, key=lambda s: (sched.stops[s].tw_end_s, -sched.stops[s].load_kg, s))
    fleets = [f for f in problem.fleets if f.stream == problem.stream]
    for sid in order:
        late = deadline is not None and time.time() > deadline
        if not _insert(sched, work, fleets, used, sid, LATE_EVALS if late else MAX_EVALS):
            unserved.append(sid)
    _merge_routes(sched, work, deadline)
    counters: dict[str, int] = {}
    out: list[Route] = []
    for w in work:
        counters[w.fleet.id] = counters.get(w.fleet.id, 0) + 1
        out.append(sched.route(f"{w.fleet.id}#{counters[w.fleet.id]}", w.fleet, w.visits))
    pos = {s.id: i for i, s in enumerate(problem.stops)}
    return tuple(out), tuple(sorted(unserved, key=pos.__getitem__))


def _enforce_fleet_size(sched: RouteScheduler, work: list[_Work]) -> list[str]:
    """Merge, move or drop routes of fleets that run more routes than they have vehicles.

    The shortest surplus route is appended to (or put before) another route of its fleet, or
    handed to a fleet of the stream with a spare vehicle, whichever feasible option costs
    least; otherwise its stops are returned for re-insertion.
    """
    pool: list[str] = []
    stream = sched.problem.stream
    while True:
        counts: dict[str, int] = {}
        for w in work:
            counts[w.fleet.id] = counts.get(w.fleet.id, 0) + 1
        over = [f for f, n in counts.items() if n > sched.fleets[f].count]
        if not over:
            return pool
        fid = over[0]
        mine = [i for i, w in enumerate(work) if w.fleet.id == fid]
        i = min(mine, key=lambda k: (sum(v in sched.stops for v in work[k].visits), k))
        victim = work[i]
        best: tuple[float, int, list[str], Fleet] | None = None  # (added cost, route, ...)
        for k in mine:
            if k == i:
                continue
            for cand in (work[k].visits + victim.visits, victim.visits + work[k].visits):
                ev = sched.plan(victim.fleet, cand)
                if ev.feasible and (best is None or ev.cost - work[k].cost < best[0]):
                    best = (ev.cost - work[k].cost, k, cand, victim.fleet)
        for f in sched.fleets.values():
            if f.stream != stream or f.id == fid or counts.get(f.id, 0) >= f.count:
                continue
            ev = sched.plan(f, victim.visits)
            if ev.feasible and (best is None or ev.cost < best[0]):
                best = (ev.cost, -1, list(victim.visits), f)
        if best is None:
            pool += [v for v in victim.visits if v in sched.stops]
        elif best[1] < 0:
            work.append(_Work(fleet=best[3], visits=best[2], cost=best[0]))
        else:
            work[best[1]].visits = best[2]
            work[best[1]].cost += best[0]
        del work[i]


def _merge_routes(sched: RouteScheduler, work: list[_Work], deadline: float | None) -> None:
    """Greedily join two routes of one fleet into one shift (either order) while that saves
    cost — a vehicle's fixed cost and a drive home; split vehicle types in an engine often
    leave lightly used vehicles that one multi-trip shift can replace."""
    while deadline is None or time.time() < deadline:
        best: tuple[float, int, int, list[str], float] | None = None
        for a in range(len(work)):
            for b in range(a + 1, len(work)):
                wa, wb = work[a], work[b]
                if wa.fleet.id != wb.fleet.id:
                    continue
                for cand in (wa.visits + wb.visits, wb.visits + wa.visits):
                    ev = sched.plan(wa.fleet, cand)
                    if not ev.feasible:
                        continue
                    saving = wa.cost + wb.cost - ev.cost
                    if saving > 1e-6 and (best is None or saving > best[0]):
                        best = (saving, a, b, cand, ev.cost)
        if best is None:
            return
        _, a, b, cand, cost = best
        work[a].visits = cand
        work[a].cost = cost
        del work[b]


def _insert(
    sched: RouteScheduler,
    work: list[_Work],
    fleets: list[Fleet],
    used: dict[str, int],
    sid: str,
    max_evals: int,
) -> bool:
    """Cheapest feasible insertion of one stop; False if it fits nowhere.

    Candidate positions (into a trip, as a new trip with its own unload, on a spare vehicle)
    are ranked by a cheap estimate — the distance and driving-time detour priced with the
    fleet's cost rates — after quick capacity, unload-site and shift-total filters. Full
    schedules are evaluated in that order until ``INSERT_FEASIBLE`` feasible ones are found,
    the estimate exceeds the best exact delta, or ``max_evals`` schedules were tried.
    """
    p = sched.problem
    stop = sched.stops[sid]
    depot_unloads = p.depot_unloads
    sites = [] if depot_unloads else sched.sites_for(stop)
    s = sched.index[sid]
    dist = sched.dist
    cands: list[tuple[float, int, int, str | None, Fleet]] = []  # (estimate, r, pos, site)
    for r, w in enumerate(work):
        f = w.fleet
        if stop.load_kg > f.capacity_kg:
            continue
        v = w.visits
        n = len(v)
        stop_objs = [sched.stops.get(x) for x in v]
        n_stops = sum(o is not None for o in stop_objs)
        if f.max_stops is not None and n_stops + 1 > f.max_stops:
            continue
        if f.max_shift_load_kg is not None and (
            sum(o.load_kg for o in stop_objs if o is not None) + stop.load_kg > f.max_shift_load_kg
        ):
            continue
        dur = sched.durs[f.profile]
        ck = f.cost_per_km / 1000.0
        ch = f.cost_per_hour / 3600.0
        g = sched.index[f.depot]
        locs = [g, *(sched.index[x] for x in v), g]
        # Trip of each position, its load and the site that ends it.
        trip_kg: list[int] = []
        trip_l: list[int] = []
        trip_site: list[str | None] = []
        kg = vol = 0
        for x, o in zip(v, stop_objs, strict=True):
            if o is not None:
                kg += o.load_kg
                vol += o.volume_l
            else:
                trip_kg.append(kg)
                trip_l.append(vol)
                trip_site.append(x)
                kg = vol = 0
        trip_kg.append(kg)
        trip_l.append(vol)
        trip_site.append(None)
        k = 0
        new_trips = f.max_trips is None or len(trip_kg) - 1 < f.max_trips or depot_unloads
        for pos in range(n + 1):
            a, b = locs[pos], locs[pos + 1]
            if depot_unloads or pos < n:
                site_ok = (
                    depot_unloads
                    or not stop.unload_at
                    or trip_site[k] is None
                    or trip_site[k] in stop.unload_at
                )
                fits = trip_kg[k] + stop.load_kg <= f.capacity_kg and (
                    f.capacity_l <= 0 or trip_l[k] + stop.volume_l <= f.capacity_l
                )
                if site_ok and fits:
                    est = ck * (dist[a][s] + dist[s][b] - dist[a][b]) + ch * (
                        dur[a][s] + dur[s][b] - dur[a][b]
                    )
                    cands.append((est, r, pos, None, f))
            if not depot_unloads and new_trips and (pos == 0 or stop_objs[pos - 1] is None):
                for site in sites:
                    c = sched.index[site]
                    est = ck * (dist[a][s] + dist[s][c] + dist[c][b] - dist[a][b]) + ch * (
                        dur[a][s] + dur[s][c] + dur[c][b] - dur[a][b]
                    )
                    cands.append((est, r, pos, site, f))
            if pos < n and stop_objs[pos] is None:
                k += 1
    for fleet in fleets:
        if used.get(fleet.id, 0) >= fleet.count or stop.load_kg > fleet.capacity_kg:
            continue
        g = sched.index[fleet.depot]
        dur = sched.durs[fleet.profile]
        ck = fleet.cost_per_km / 1000.0
        ch = fleet.cost_per_hour / 3600.0
        for site in sites or [None]:
            c = g if site is None else sched.index[site]
            est = fleet.fixed_cost + (
                ck * (dist[g][s] + dist[s][c] + dist[c][g])
                + ch * (dur[g][s] + dur[s][c] + dur[c][g])
            )
            cands.append((est, -1, 0, site, fleet))
    cands.sort(key=lambda c: (c[0], c[1], c[2], c[3] or ""))
    best: tuple[float, int, list[str], Fleet] | None = None  # (delta, route #, visits, fleet)
    found = 0
    for n_eval, (est, r, pos, site, fleet) in enumerate(cands):
        if n_eval >= max_evals or found >= INSERT_FEASIBLE:
            break
        if best is not None and est > best[0] + 1e-9:
            break
        add = [sid] if site is None else [sid, site]
        if r < 0:
            visits = add
            base = 0.0
        else:
            visits = [*work[r].visits[:pos], *add, *work[r].visits[pos:]]
            base = work[r].cost
        ev = sched.plan(fleet, visits)
        if ev.feasible:
            found += 1
            delta = ev.cost - base
            if best is None or delta < best[0] - 1e-9:
                best = (delta, r, visits, fleet)
    if best is None:
        return False
    delta, r, visits, fleet = best
    if r < 0:
        used[fleet.id] = used.get(fleet.id, 0) + 1
        work.append(_Work(fleet=fleet, visits=visits, cost=delta))
    else:
        work[r].visits = visits
        work[r].cost += delta
    return True
