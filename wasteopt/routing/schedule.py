"""Engine-side repair of a solver's routes into feasible ones (fast, solver independent).

Repair (:func:`repair_routes`) turns any set of routes into a feasible one under the
earliest-start timetable of :class:`~wasteopt.routing.timetable.RouteScheduler`:

1. each route is given its best departure time and lunch position (:meth:`RouteScheduler.plan`);
2. while a route is infeasible, a route whose only missing piece is a break it can take empty
   (no unload falls in the lunch window) gets a trip cut by an extra unload visit, the break
   then taken there (:func:`_split_for_lunch`); otherwise the stop at (or before) the first
   broken rule is removed, empty trips are dropped, and a final unload is added if the route
   would end loaded;
3. surplus routes of a fleet that runs more routes than it has vehicles are merged into another
   route of the fleet (one multi-trip shift), moved to a fleet with a spare vehicle, or
   dropped (their stops join the pool);
4. the removed stops and the stops the solver left out are re-inserted one by one at the
   cheapest feasible position over all routes (into an existing trip, or as a new trip with its
   own unload visit) or on a new vehicle of a fleet that still has one; positions are ranked by
   a cheap detour estimate and only the best few are scheduled in full (:func:`_insert`); a
   stop goes only to fleets it allows (``Stop.fleets``: access), and one that fits nowhere is
   returned as unserved;
5. two routes of one fleet are joined into one shift while that saves cost.

Every route returned by :func:`repair_routes` is feasible under this schedule, so a plan built
from it is checker-clean apart from the unserved stops it names. ``RouteScheduler`` and
``RouteEval`` are re-exported here for the engines.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from wasteopt.routing.plan import Route
from wasteopt.routing.problem import Fleet, RoutingProblem, Stop
from wasteopt.routing.timetable import END, RouteEval, RouteScheduler

__all__ = ["RouteEval", "RouteScheduler", "repair_routes"]

INSERT_FEASIBLE = 4
"""Feasible insertions evaluated per stop before the cheapest of them is taken."""
MAX_EVALS = 400
"""Full schedules tried per stop (best estimates first) before it is declared unplaceable."""
LATE_EVALS = 40
"""The same after the repair deadline has passed."""
SMALL_REPAIR = 25
"""Stops to re-insert up to which the repair ignores its deadline: cut short, a Jintan
hazardous cycle day (20 stops) left one far village point unserved for want of 0.05 s."""
LUNCH_SPLITS = 3
"""Stops (the last ones from which a site is reached before the latest lunch start) after
which an extra unload visit is tried so that the break can be taken empty there."""


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
        split = _split_for_lunch(sched, fleet, visits)
        if split is not None:
            return split[0], removed, split[1]
        k = _removal_index(sched, visits, ev)
        removed.append(visits[k])
        visits = sched.tidy(visits[:k] + visits[k + 1 :])
    return [], removed + [v for v in visits if v in sched.stops], None


def _split_for_lunch(
    sched: RouteScheduler, fleet: Fleet, visits: list[str]
) -> tuple[list[str], RouteEval] | None:
    """``visits`` with one extra unload visit that lets a route whose only fault is a missing
    break take it empty at a site: the cheapest feasible cut after one of the last
    :data:`LUNCH_SPLITS` stops from which the trip's nearest allowed site is reached before
    the latest lunch start (``None`` when no cut helps or the break may be taken anywhere)."""
    lunch = fleet.lunch
    if lunch is None or lunch.place == "anywhere" or sched.problem.depot_unloads:
        return None
    ev = sched.unbroken(fleet, visits)
    if ev.reason != "lunch_missing":
        return None
    dur = sched.durs[fleet.profile]
    cuts: list[tuple[int, str]] = []
    allowed: set[str] = set(sched.sites)
    for p, v in enumerate(visits[:-1]):
        stop = sched.stops.get(v)
        if stop is None:
            allowed = set(sched.sites)
            continue
        if stop.unload_at:
            allowed &= set(stop.unload_at)
        if not allowed or visits[p + 1] not in sched.stops:
            continue
        site = sched.nearest(v, allowed)
        unload_s = sched.sites[site].unload_s
        if ev.departs[p] + dur[sched.index[v]][sched.index[site]] + unload_s <= lunch.latest_s:
            cuts.append((p, site))
    best: tuple[list[str], RouteEval] | None = None
    for p, site in cuts[-LUNCH_SPLITS:]:
        cand = [*visits[: p + 1], site, *visits[p + 1 :]]
        got = sched.plan(fleet, cand)
        if got.feasible and (best is None or got.cost < best[1].cost - 1e-9):
            best = (cand, got)
    return best


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
    (``time.time()``): once passed, each insertion tries at most ``LATE_EVALS`` schedules and
    no stop is ejected to make room, unless at most ``SMALL_REPAIR`` stops are to be placed.
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
    fleets = [f for f in problem.fleets if f.stream == problem.stream]
    # Hardest first: fewest fleets allowed (access), tight windows, then heavy loads.
    n_ok = {s: _n_allowed(sched.stops[s], fleets) for s in pool}
    order = sorted(
        pool, key=lambda s: (n_ok[s], sched.stops[s].tw_end_s, -sched.stops[s].load_kg, s)
    )
    # A few stops are always re-inserted in full: at most SMALL_REPAIR × (MAX_EVALS schedules
    # and one ejection search), milliseconds each, past the deadline.
    small = len(order) <= SMALL_REPAIR
    for sid in order:
        late = not small and deadline is not None and time.time() > deadline
        if late and sched.on_roads:
            # On roads every leg an insertion reads is a search (seconds a stop, even read
            # ahead): past the deadline the stop stays unserved, and the plan says so.
            unserved.append(sid)
            continue
        sched.legs_ahead([sid])  # on roads: its legs as blocks, not one search per leg
        evals = LATE_EVALS if late else MAX_EVALS
        if not _insert(sched, work, fleets, used, sid, evals) and (
            late or not _eject_for(sched, work, fleets, used, sid, evals)
        ):
            unserved.append(sid)
    _merge_routes(sched, work, deadline)
    counters: dict[str, int] = {}
    out: list[Route] = []
    for w in work:
        counters[w.fleet.id] = counters.get(w.fleet.id, 0) + 1
        out.append(sched.route(f"{w.fleet.id}#{counters[w.fleet.id]}", w.fleet, w.visits))
    pos = {s.id: i for i, s in enumerate(problem.stops)}
    return tuple(out), tuple(sorted(unserved, key=pos.__getitem__))


def _n_allowed(stop: Stop, fleets: list[Fleet]) -> int:
    """How many of ``fleets`` with vehicles the stop allows (access)."""
    return sum(f.count > 0 and stop.allows(f.id) for f in fleets)


def _exclusive(sched: RouteScheduler, fleet: Fleet, visits: list[str]) -> list[str]:
    """The access-restricted stops of ``visits`` that no other fleet of the stream may serve."""
    others = [f for f in sched.fleets.values() if f.stream == fleet.stream and f.id != fleet.id]
    return [
        v
        for v in visits
        if v in sched.stops
        and sched.stops[v].fleets is not None
        and _n_allowed(sched.stops[v], others) == 0
    ]


def _enforce_fleet_size(sched: RouteScheduler, work: list[_Work]) -> list[str]:
    """Merge, move or break up routes of fleets that run more routes than they have vehicles.

    The surplus route with the fewest stops only its fleet may serve (access), then the
    fewest stops, is appended to (or put before) another route of its fleet, or handed to a
    fleet of the stream with a spare vehicle, whichever feasible option costs least. Otherwise
    it is broken up: its stops only this fleet may serve are inserted into the fleet's other
    routes (as extra trips or into a trip) where they fit, and the rest is returned for
    re-insertion on any allowed fleet. Without access restrictions no stop is exclusive and
    this is the plain shortest-route rule.
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
        excl = {k: len(_exclusive(sched, work[k].fleet, work[k].visits)) for k in mine}
        i = min(mine, key=lambda k: (excl[k], sum(v in sched.stops for v in work[k].visits), k))
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
            own = set(_exclusive(sched, victim.fleet, victim.visits))
            rest = [work[k] for k in mine if k != i]
            pool += [
                v
                for v in victim.visits
                if v in sched.stops
                and (v not in own or not _insert(sched, rest, [], {}, v, MAX_EVALS))
            ]
        elif best[1] < 0:
            work.append(_Work(fleet=best[3], visits=best[2], cost=best[0]))
        else:
            work[best[1]].visits = best[2]
            work[best[1]].cost += best[0]
        del work[i]


EJECT_TRIES = 12
"""Nearest less-restricted stops tried per ejection (:func:`_eject_for`)."""


def _eject_for(
    sched: RouteScheduler,
    work: list[_Work],
    fleets: list[Fleet],
    used: dict[str, int],
    sid: str,
    max_evals: int,
) -> bool:
    """Make room for an access-restricted stop that fits nowhere: take a nearby stop that
    more fleets may serve out of a route of a fleet ``sid`` allows, put ``sid`` into that
    route and the taken stop anywhere else (first success of the ``EJECT_TRIES`` nearest);
    undone when either fails. False (nothing changed) for an unrestricted stop."""
    stop = sched.stops[sid]
    if stop.fleets is None:
        return False
    n_mine = _n_allowed(stop, fleets)
    s = sched.index[sid]
    near = [
        (r, v)
        for r, w in enumerate(work)
        if stop.allows(w.fleet.id)
        for v in w.visits
        if v in sched.stops and _n_allowed(sched.stops[v], fleets) > n_mine
    ]
    metres = sched.dist_from(s, [sched.index[v] for _, v in near])
    cands = [(m, r, v) for m, (r, v) in zip(metres, near, strict=True)]
    for _, r, v in sorted(cands)[:EJECT_TRIES]:
        w = work[r]
        old_visits, old_cost = w.visits, w.cost
        visits = sched.tidy([x for x in w.visits if x != v])
        ev = sched.plan(w.fleet, visits)
        if not ev.feasible:
            continue
        w.visits, w.cost = visits, ev.cost
        if _insert(sched, [w], [], {}, sid, max_evals) and _insert(
            sched, work, fleets, used, v, max_evals
        ):
            return True
        w.visits, w.cost = old_visits, old_cost
    return False


def _merge_routes(sched: RouteScheduler, work: list[_Work], deadline: float | None) -> None:
    """Greedily join two routes of one fleet into one shift (either order) while that saves
    cost — a vehicle's fixed cost and a drive home; split vehicle types in an engine often
    leave lightly used vehicles that one multi-trip shift can replace.

    Each pair is scheduled once and remembered until one of its routes changes (a city day
    has hundreds of routes per fleet); pairs whose trips, stops or shift load together exceed
    the fleet's limits are never scheduled. Stops at ``deadline`` (``time.time()``)."""
    shape = {id(w): _shape(sched, w) for w in work}
    joined: dict[tuple[int, int], tuple[float, list[str], float] | None] = {}
    while True:
        best: tuple[float, int, int, list[str], float] | None = None
        for a in range(len(work)):
            if deadline is not None and time.time() >= deadline:
                return
            for b in range(a + 1, len(work)):
                wa, wb = work[a], work[b]
                if wa.fleet.id != wb.fleet.id:
                    continue
                key = (id(wa), id(wb))
                if key not in joined:
                    joined[key] = _join(sched, wa, wb, shape)
                got = joined[key]
                if got is not None and (best is None or got[0] > best[0]):
                    best = (got[0], a, b, got[1], got[2])
        if best is None:
            return
        _, a, b, cand, cost = best
        kept, gone = id(work[a]), id(work[b])
        work[a].visits = cand
        work[a].cost = cost
        del work[b]
        shape[kept] = _shape(sched, work[a])
        joined = {k: v for k, v in joined.items() if kept not in k and gone not in k}


def _shape(sched: RouteScheduler, w: _Work) -> tuple[int, int, int]:
    """Trips (unload visits), stops and kg of a route: what its fleet's limits bound."""
    stops = [sched.stops[v] for v in w.visits if v in sched.stops]
    return len(w.visits) - len(stops), len(stops), sum(s.load_kg for s in stops)


def _join(
    sched: RouteScheduler, wa: _Work, wb: _Work, shape: dict[int, tuple[int, int, int]]
) -> tuple[float, list[str], float] | None:
    """The best saving of ``wa`` and ``wb`` as one shift (either order), with its visits and
    cost; ``None`` when no order is feasible and cheaper."""
    f = wa.fleet
    (ta, sa, ka), (tb, sb, kb) = shape[id(wa)], shape[id(wb)]
    if (
        (f.max_trips is not None and ta + tb > f.max_trips)
        or (f.max_stops is not None and sa + sb > f.max_stops)
        or (f.max_shift_load_kg is not None and ka + kb > f.max_shift_load_kg)
    ):
        return None
    best: tuple[float, list[str], float] | None = None
    for cand in (wa.visits + wb.visits, wb.visits + wa.visits):
        ev = sched.plan(f, cand)
        if not ev.feasible:
            continue
        saving = wa.cost + wb.cost - ev.cost
        if saving > 1e-6 and (best is None or saving > best[0]):
            best = (saving, cand, ev.cost)
    return best


_Option = tuple[float, int, int, str | None, Fleet]
"""An insertion option: (estimated added cost, route index or -1 for a new vehicle, position in
its visits, unload site of a new trip or ``None`` to join a trip, fleet)."""


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
    stop = sched.stops[sid]
    sites = [] if sched.problem.depot_unloads else sched.sites_for(stop)
    options: list[_Option] = []
    for r, w in enumerate(work):
        options += _route_options(sched, r, w, stop, sites)
    options += _new_vehicle_options(sched, fleets, used, stop, sites)
    options.sort(key=lambda c: (c[0], c[1], c[2], c[3] or ""))
    best = _cheapest_feasible(sched, work, options, sid, max_evals)
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


def _trip_contents(
    visits: list[str], stop_objs: list[Stop | None]
) -> tuple[list[int], list[int], list[str | None]]:
    """Per trip of ``visits``: its kg, its litres and the site that ends it (``None`` for the
    open trip after the last unload)."""
    trip_kg: list[int] = []
    trip_l: list[int] = []
    trip_site: list[str | None] = []
    kg = vol = 0
    for x, o in zip(visits, stop_objs, strict=True):
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
    return trip_kg, trip_l, trip_site


def _route_options(
    sched: RouteScheduler, r: int, w: _Work, stop: Stop, sites: list[str]
) -> list[_Option]:
    """Positions in route ``r``: into a trip that has room and unloads where the stop may, or
    as a new trip with its own unload after an unload visit (or at the start)."""
    f = w.fleet
    if stop.load_kg > f.capacity_kg or not stop.allows(f.id):
        return []
    v = w.visits
    stop_objs = [sched.stops.get(x) for x in v]
    n_stops = sum(o is not None for o in stop_objs)
    if f.max_stops is not None and n_stops + 1 > f.max_stops:
        return []
    if f.max_shift_load_kg is not None and (
        sum(o.load_kg for o in stop_objs if o is not None) + stop.load_kg > f.max_shift_load_kg
    ):
        return []
    depot_unloads = sched.problem.depot_unloads
    s = sched.index[stop.id]
    dist = sched.dists[f.profile]
    dur = sched.durs[f.profile]
    ck = f.cost_per_km / 1000.0
    ch = f.cost_per_hour / 3600.0
    g = sched.index[f.depot]
    locs = [g, *(sched.index[x] for x in v), g]
    trip_kg, trip_l, trip_site = _trip_contents(v, stop_objs)
    out: list[_Option] = []
    k = 0  # trip of the current position
    n = len(v)
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
                out.append((est, r, pos, None, f))
        if not depot_unloads and new_trips and (pos == 0 or stop_objs[pos - 1] is None):
            for site in sites:
                c = sched.index[site]
                est = ck * (dist[a][s] + dist[s][c] + dist[c][b] - dist[a][b]) + ch * (
                    dur[a][s] + dur[s][c] + dur[c][b] - dur[a][b]
                )
                out.append((est, r, pos, site, f))
        if pos < n and stop_objs[pos] is None:
            k += 1
    return out


def _new_vehicle_options(
    sched: RouteScheduler,
    fleets: list[Fleet],
    used: dict[str, int],
    stop: Stop,
    sites: list[str],
) -> list[_Option]:
    """A new vehicle of each fleet with one to spare: depot, stop, unload, depot."""
    s = sched.index[stop.id]
    ends: list[str | None] = [*sites] if sites else [None]  # None: unload at the depot
    out: list[_Option] = []
    for fleet in fleets:
        if (
            used.get(fleet.id, 0) >= fleet.count
            or stop.load_kg > fleet.capacity_kg
            or not stop.allows(fleet.id)
        ):
            continue
        g = sched.index[fleet.depot]
        dist, dur = sched.dists[fleet.profile], sched.durs[fleet.profile]
        ck = fleet.cost_per_km / 1000.0
        ch = fleet.cost_per_hour / 3600.0
        for site in ends:
            c = g if site is None else sched.index[site]
            est = fleet.fixed_cost + (
                ck * (dist[g][s] + dist[s][c] + dist[c][g])
                + ch * (dur[g][s] + dur[s][c] + dur[c][g])
            )
            out.append((est, -1, 0, site, fleet))
    return out


def _cheapest_feasible(
    sched: RouteScheduler,
    work: list[_Work],
    options: list[_Option],
    sid: str,
    max_evals: int,
) -> tuple[float, int, list[str], Fleet] | None:
    """Schedule options in estimate order; the feasible one adding least cost as (added cost,
    route index or -1, new visits, fleet), or ``None``. When ``max_evals`` runs out with
    nothing feasible, the spare-vehicle options left are still tried: one schedule per fleet
    and site, and a stop a spare vehicle can serve alone is never left unserved for want of
    evaluations (cheap insertions into full routes rank first and may all fail)."""
    best: tuple[float, int, list[str], Fleet] | None = None
    found = tried = 0

    def evaluate(r: int, pos: int, site: str | None, fleet: Fleet) -> None:
        nonlocal best, found
        add = [sid] if site is None else [sid, site]
        if r < 0:
            visits, base = add, 0.0
        else:
            visits, base = [*work[r].visits[:pos], *add, *work[r].visits[pos:]], work[r].cost
        ev = sched.plan(fleet, visits)
        if ev.feasible:
            found += 1
            delta = ev.cost - base
            if best is None or delta < best[0] - 1e-9:
                best = (delta, r, visits, fleet)

    for est, r, pos, site, fleet in options:
        if tried >= max_evals or found >= INSERT_FEASIBLE:
            break
        if best is not None and est > best[0] + 1e-9:
            break
        tried += 1
        evaluate(r, pos, site, fleet)
    if best is None:
        for _, r, pos, site, fleet in options[tried:]:
            if r < 0:
                evaluate(r, pos, site, fleet)
    return best
