"""Very large plain CVRP (3,000–30,000 stops, one depot) solved by decomposition.

Scope (:func:`large_applies`): ``depot_unloads`` problems (CVRPLIB-style benchmarks) with one
depot and one fleet of the stream, where only capacity binds (no route-length or shift limit,
no lunch, no stop window narrower than the shift), and more than ``LARGE_MIN_STOPS`` stops.
Such a problem is too big to hand to PyVRP whole (dense matrices of 3.6 GB per table at 30,000
stops, and a search that gets few iterations per client); here no step needs more than the
travel-table blocks of a few hundred stops.

Model of the method
-------------------
The plane: FastMap coordinates of the depot and the stops from the travel table (exact for
Euclidean instances, up to rotation), used only to group stops and routes
(:mod:`wasteopt.routing.large_parts` holds this geometry).

1. **Sectors** (initial solution). Stops sorted by polar angle around the depot, the sweep
   starting at the widest empty angle, are cut into sectors of whole routes: each sector gets
   ``k`` routes' worth of load, ``k`` chosen so that a sector holds about
   ``settings.territory_max_stops`` stops (at least one route). Each sector is a dense
   sub-problem routed by the project's engine (:func:`wasteopt.routing.solve.run_engine`),
   sectors in parallel on ``settings.workers`` forked processes, one search each; the
   sector's routes are then *searched jointly*: iterated 2-opt and Or-opt on one tour with a
   depot copy per vehicle, ``KICKS_PER_STOP`` kicks a stop, stops moving between routes
   within capacity (:func:`~wasteopt.routing.intra_route.improve_routes_jointly`: PyVRP never
   reverses a segment inside a route, which routes of hundreds of stops need; the last
   ``POLISH_S_PER_STOP`` a stop of the sector's time is kept for it).
2. **Improvement** until the deadline. Rounds of ``workers`` disjoint *route neighbourhoods*,
   each about ``territory_max_stops`` stops (at least
   :data:`~wasteopt.routing.large_parts.MIN_GROUP_ROUTES` routes): even rounds take routes
   consecutive by the polar angle of their centroid, starting at an angle that advances by
   the golden ratio each time (so the cuts fall elsewhere every round); odd rounds take a
   random route and its nearest routes by centroid, the random route drawn among those not
   yet in a neighbourhood that gained nothing since they last changed (while there are such).
   Each neighbourhood's routes get 2-opt and Or-opt, are re-solved by PyVRP started from them
   (:func:`~wasteopt.routing.engines._pyvrp_warm.improve_routes`), and PyVRP's answer (or the
   start, when it found nothing better) is searched jointly for the last ``JOINT_SHARE`` of
   the round when its routes are long (``LONG_ROUTE_STOPS``), else for the last
   ``POLISH_S_PER_STOP`` a stop; it replaces the routes only when it costs less (fixed cost
   per route plus the fleet's distance and travel-time prices per leg). A round lasts
   ``ROUND_S`` per ``territory_max_stops`` stops of its largest neighbourhood (long routes make
   large ones).
   The neighbourhoods of a round are disjoint and applied in order, so parallel rounds change
   nothing in the result. Warm starts are PyVRP's: with ``settings.engine = "ortools"`` the
   sectors get the whole time and there is no improvement step.
3. **Merge and check.** Stops a sector left unserved (none on a fleet that suffices) are
   inserted where the detour is cheapest among routes with room, else on a spare vehicle; the
   routes are checked once by :func:`wasteopt.routing.check.check_plan` against the whole
   problem (lazy tables are read leg by leg).

Fleet: a fleet of at least one vehicle per stop is free (the Belgium set); otherwise its count
is honoured (the Kytöjoki set's ``VEHICLES``). A free fleet's plan aims at ``ceil(load /
(capacity × FILL))`` routes; a limited one at the fewest, ``ceil(load / capacity)`` (never more
than the count): sectors get whole routes of that plan and the vehicles left over are handed
out over the sectors; a neighbourhood gets its routes plus the vehicles no route uses, shared
over the round. So the routes never exceed the count
(:func:`~wasteopt.routing.large_parts.planned_routes` says why the two differ).

Time and determinism: one deadline covers everything: sectors get ``INITIAL_SHARE`` of the
time left after a reserve for the merge and check (:func:`_reserve_s`), improvement rounds the
rest. With ``settings.iterations`` every search (sector or
neighbourhood) stops after that many iterations and there are ``DETERMINISTIC_PASSES`` × (stops
/ neighbourhood size) neighbourhoods in all, so the same seed, workers and inputs give the same
plan (when everything ends before the deadline, which stays a safety net). Seeds follow from
the settings seed and the sector or round and neighbourhood number only.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from wasteopt.clock import Deadline
from wasteopt.routing.engines._pyvrp_warm import improve_routes
from wasteopt.routing.intra_route import improve_route, improve_routes_jointly, warm_up
from wasteopt.routing.large_parts import (
    Positions,
    block,
    knn_groups,
    legs,
    plane,
    polar_groups,
    sectors,
)
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Fleet, RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import checked_plan, run_engine, validate_stops

__all__ = ["LARGE_MIN_STOPS", "large_applies", "solve_large"]

log = logging.getLogger("wasteopt")

DEFAULT_SETTINGS = RoutingSettings()
LARGE_MIN_STOPS = 2000
"""Fewer stops than this are routed whole (PyVRP handles them well within minutes)."""
INITIAL_SHARE = 0.25
ROUND_S = 4.0
"""Seconds of one improvement round (each neighbourhood's search)."""
KICKS_PER_STOP = 100
"""Kicks of the iterated 2-opt and Or-opt per stop of a route (about 1.2 ms per stop: on
Kytöjoki W's best-known partition, from nearest-neighbour orders, 20 kicks a stop end 2.1 %
above the best-known routes, 100 end 0.03 %, 300 end 0.02 %; measured 2026-12-05)."""
POLISH_S_PER_STOP = 1.5e-3
"""Seconds kept per stop of a sector (or a neighbourhood of short routes) for the joint search
after PyVRP's."""
JOINT_SHARE = 0.5
"""Share of an improvement round for the joint search of a neighbourhood of long routes after
PyVRP's (shorter ones keep ``POLISH_S_PER_STOP`` a stop for it)."""
LONG_ROUTE_STOPS = 50
"""Mean stops a route from which a neighbourhood's routes count as long. On Kytöjoki W (600 a
route) the joint share took 600 s runs from 4.43–5.19 % above best known (polish of each
route alone, two runs) to 2.81 % (measured 2026-12-05); PyVRP's moves serve routes of a few
dozen stops well, and there the search keeps its time."""
DETERMINISTIC_PASSES = 2

T = TypeVar("T")


def large_applies(problem: RoutingProblem, settings: RoutingSettings) -> bool:
    """True for the problems :func:`solve_large` is for: plain (module docstring) and more than
    ``LARGE_MIN_STOPS`` stops (and more than one territory's worth)."""
    big = len(problem.stops) > max(LARGE_MIN_STOPS, settings.territory_max_stops)
    return big and _plain(problem)


def _plain(problem: RoutingProblem) -> bool:
    """Depot unloads, one depot, one fleet of the stream, capacity the only limit."""
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    if not problem.depot_unloads or len(problem.depots) != 1 or len(fleets) != 1:
        return False
    f = fleets[0]
    limits = (f.max_duration_s, f.lunch, f.max_stops, f.max_shift_load_kg)
    start, end = f.shift_start_s, f.shift_end_s
    return all(x is None for x in limits) and all(
        s.tw_start_s <= start and s.tw_end_s >= end and s.fleets is None and not s.volume_l
        for s in problem.stops
    )


# -- the instance as the workers see it -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Instance:
    """The problem and what the decomposition derives from it once (inherited by forked
    workers, pickled once per worker elsewhere)."""

    problem: RoutingProblem
    fleet: Fleet
    settings: RoutingSettings
    depot_loc: int
    stop_loc: npt.NDArray[np.intp]  # location of each stop position
    load: npt.NDArray[np.int64]
    xy: npt.NDArray[np.float64]  # plane coordinates of each stop, depot at the origin
    pos_of: dict[str, int]


_INST: _Instance | None = None


def _install(inst: _Instance) -> None:
    global _INST
    _INST = inst


def _inst() -> _Instance:
    assert _INST is not None, "no instance installed in this process"
    return _INST


def _instance(problem: RoutingProblem, settings: RoutingSettings) -> _Instance:
    fleet = next(f for f in problem.fleets if f.stream == problem.stream and f.count > 0)
    idx = problem.index()
    depot_loc = idx[fleet.depot]
    stop_loc = np.array([idx[s.id] for s in problem.stops], dtype=np.intp)
    xy = plane(problem.distance_m, [depot_loc, *stop_loc.tolist()])
    return _Instance(
        problem=problem,
        fleet=fleet,
        settings=settings,
        depot_loc=depot_loc,
        stop_loc=stop_loc,
        load=np.array([s.load_kg for s in problem.stops], dtype=np.int64),
        xy=xy[1:] - xy[0],
        pos_of={s.id: k for k, s in enumerate(problem.stops)},
    )


def _subproblem(inst: _Instance, stops: Sequence[int], count: int, key: str) -> RoutingProblem:
    """The depot and ``stops`` as a dense problem with ``count`` vehicles of the fleet."""
    p = inst.problem
    locs = [inst.depot_loc, *(int(inst.stop_loc[s]) for s in stops)]
    return RoutingProblem(
        name=f"{p.name}[{key}]",
        stream=p.stream,
        stops=tuple(p.stops[s] for s in stops),
        sites=(),
        depots=tuple(d for d in p.depots if d.id == inst.fleet.depot),
        fleets=(replace(inst.fleet, count=count),),
        locations=tuple(p.locations[i] for i in locs),
        distance_m=block(p.distance_m, locs, locs),
        durations_s=tuple(block(m, locs, locs) for m in p.durations_s),
        distances_m=tuple(block(m, locs, locs) for m in p.distances_m),
        depot_unloads=True,
    )


def _seed(seed: int, key: str) -> int:
    """A search seed from the settings seed and a sector or neighbourhood key only."""
    return (seed + zlib.crc32(key.encode("utf-8"))) % 2**31


# -- sectors: the initial solution ------------------------------------------------------------


def _sector_job(
    key: str, stops: list[int], vehicles: int, seconds: float, latest_wall: float
) -> tuple[list[Positions], list[int]]:
    """One sector routed by the engine, its routes then searched jointly: its routes and
    unserved stops, as positions."""
    inst = _inst()
    sub = _subproblem(inst, stops, vehicles, key)
    own = replace(inst.settings, workers=1, seed=_seed(inst.settings.seed, key))
    now = time.time()
    end = min(now + seconds, latest_wall)
    search_end = max(now, end - POLISH_S_PER_STOP * len(stops))  # the joint search comes after
    routes, unserved = run_engine(
        sub, own, Deadline.at(time.monotonic() + max(0.0, search_end - now))
    )
    local = _Local(inst, sub, stops)
    found = local.jointly([local.of_ids(r.visits) for r in routes], vehicles, key, end)
    pos = inst.pos_of
    return [local.positions(r) for r in found], [pos[u] for u in unserved]


class _Local:
    """A sub-problem's cost matrix (the objective's per-leg cost: distance and travel time
    priced by the fleet) and its local indices (depot 0, ``stops[k]`` at ``k + 1``)."""

    def __init__(self, inst: _Instance, sub: RoutingProblem, stops: Sequence[int]) -> None:
        f = inst.fleet
        cost = np.asarray(sub.distance_of(f.profile), dtype=np.float64) * (f.cost_per_km / 1000.0)
        if f.cost_per_hour:
            travel = np.asarray(sub.durations_s[f.profile], dtype=np.float64)
            cost += travel * (f.cost_per_hour / 3600.0)
        self.cost = cost
        self.fixed = f.fixed_cost
        self.seed = inst.settings.seed
        self.capacity = f.capacity_kg
        self.load = np.concatenate([[0], inst.load[list(stops)]]).astype(np.int64)
        self.stops = list(stops)
        self.index = {s.id: k + 1 for k, s in enumerate(sub.stops)}

    def of_ids(self, ids: Sequence[str]) -> list[int]:
        return [self.index[i] for i in ids]

    def positions(self, route: Sequence[int]) -> Positions:
        return tuple(self.stops[k - 1] for k in route)

    def two_opt(self, route: Sequence[int]) -> list[int]:
        """2-opt and Or-opt to a local optimum, no kicks."""
        return improve_route(self.cost, route)

    def jointly(
        self, routes: Sequence[Sequence[int]], vehicles: int, key: str, end_wall: float
    ) -> list[list[int]]:
        """The routes searched as one tour by the iterated 2-opt and Or-opt, stops moving
        between them within capacity (:func:`~wasteopt.routing.intra_route.improve_routes_jointly`):
        ``KICKS_PER_STOP`` kicks a stop, or until ``end_wall``; seeded by the settings seed
        and the job key."""
        n = sum(len(r) for r in routes)
        return improve_routes_jointly(
            self.cost,
            routes,
            0,
            self.load,
            self.capacity,
            vehicles=vehicles,
            fixed=self.fixed,
            kicks=KICKS_PER_STOP * n,
            seed=_seed(self.seed, key),
            end_wall=end_wall,
        )

    def total(self, routes: Sequence[Sequence[int]]) -> float:
        """The routes' cost (service times aside: the same stops are served either way)."""
        legs = 0.0
        for r in routes:
            if r:
                path = [0, *r, 0]
                legs += float(self.cost[path[:-1], path[1:]].sum()) + self.fixed
        return legs


# -- improvement: route neighbourhoods re-solved from their current routes ---------------------


def _improve_job(
    key: str, group: list[Positions], vehicles: int, end_wall: float
) -> tuple[list[Positions], float, float]:
    """One neighbourhood re-solved by PyVRP from its routes (2-opt and Or-opt before), then
    searched jointly: (routes, start cost, cost) in the objective's units."""
    inst = _inst()
    stops = [s for r in group for s in r]
    sub = _subproblem(inst, stops, vehicles, key)
    local = _Local(inst, sub, stops)
    start = [list(range(k + 1, k + 1 + len(r))) for k, r in _offsets(group)]
    before = local.total(start)
    start = [local.two_opt(r) for r in start]
    now = time.time()
    if len(stops) >= LONG_ROUTE_STOPS * len(group):
        search_end = now + (1.0 - JOINT_SHARE) * max(0.0, end_wall - now)
    else:
        search_end = max(now, end_wall - POLISH_S_PER_STOP * len(stops))
    res = improve_routes(
        sub,
        [[sub.stops[k - 1].id for k in r] for r in start],
        seed=_seed(inst.settings.seed, key),
        end_wall=search_end,
        iterations=inst.settings.iterations,
    )
    found = [local.of_ids(r) for r in res.routes] if res.cost < res.start_cost else start
    found = local.jointly(found, vehicles, key, end_wall)
    return [local.positions(r) for r in found], before, local.total(found)


def _offsets(group: list[Positions]) -> list[tuple[int, Positions]]:
    """(index of the route's first stop in the flattened group, route)."""
    out, k = [], 0
    for r in group:
        out.append((k, r))
        k += len(r)
    return out


def _centroids(inst: _Instance, routes: list[Positions]) -> npt.NDArray[np.float64]:
    return np.array([inst.xy[list(r)].mean(axis=0) for r in routes]).reshape(-1, 2)


# -- running jobs: in this process or on a forked pool ----------------------------------------


class _Lanes:
    """``workers`` processes that have the instance installed (none for one worker)."""

    def __init__(self, inst: _Instance, workers: int) -> None:
        self.count = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None
        _install(inst)
        if self.count > 1:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
            self.pool = ProcessPoolExecutor(
                max_workers=self.count, mp_context=ctx, initializer=_install, initargs=(inst,)
            )

    def run(self, fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
        """``fn(*job)`` for every job, results in job order."""
        if self.pool is None:
            return [fn(*job) for job in jobs]
        futures = [self.pool.submit(fn, *job) for job in jobs]
        return [f.result() for f in futures]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _initial(
    inst: _Instance, lanes: _Lanes, phase: Deadline, latest: Deadline
) -> tuple[list[Positions], list[int]]:
    """Every sector routed (largest first over the lanes); routes and unserved positions."""
    f, size = inst.fleet, inst.settings.territory_max_stops
    parts = sectors(inst.xy, inst.load, f.capacity_kg, f.count, size)
    n = sum(len(p) for p, _ in parts)
    seconds = phase.remaining()
    latest_wall = time.time() + latest.remaining()
    deterministic = inst.settings.iterations is not None
    jobs = []
    for j, (stops, vehicles) in sorted(enumerate(parts), key=lambda e: (-len(e[1][0]), e[0])):
        share = min(1.0, lanes.count * len(stops) / max(1, n))
        budget = latest.remaining() if deterministic else max(0.5, seconds * share)
        jobs.append((f"sector/{j + 1}", stops, vehicles, budget, latest_wall))
    if lanes.count == 1 and not deterministic:  # one after another: each its share of what is left
        out = []
        for key, stops, vehicles, _, wall in jobs:
            share = phase.share(max(1e-9, min(1.0, len(stops) / max(1, n))), floor_s=0.5)
            out.append(_sector_job(key, stops, vehicles, share, wall))
            n -= len(stops)
    else:
        out = lanes.run(_sector_job, jobs)
    routes = [r for rs, _ in out for r in rs]
    unserved = sorted(u for _, us in out for u in us)
    log.info(
        "large: %d sectors routed, %d routes, %d unserved", len(parts), len(routes), len(unserved)
    )
    return routes, unserved


def _round_groups(
    inst: _Instance, routes: list[Positions], r: int, lanes: int, tried: set[Positions]
) -> list[list[int]]:
    """Even rounds polar, odd rounds nearest routes (seeded by the settings seed and the round;
    routes in ``tried`` were in a neighbourhood that gained nothing since they last changed)."""
    size = inst.settings.territory_max_stops
    cent = _centroids(inst, routes)
    if r % 2 == 0:
        return polar_groups(routes, cent, r, lanes, size)
    rng = np.random.default_rng([inst.settings.seed, r])
    fresh = [rt not in tried for rt in routes]
    return knn_groups(routes, cent, rng, fresh, lanes, size)


def _vehicles(inst: _Instance, groups: list[list[int]], n_routes: int) -> list[int]:
    """Vehicles of each neighbourhood: its routes, plus a few (free fleet) or a share of the
    vehicles no route uses (limited fleet)."""
    if inst.fleet.count >= len(inst.load):
        return [len(g) + max(2, math.ceil(0.1 * len(g))) for g in groups]
    spare = max(0, inst.fleet.count - n_routes)
    m = len(groups)
    return [len(g) + spare // m + (1 if j < spare % m else 0) for j, g in enumerate(groups)]


def _improve(
    inst: _Instance, routes: list[Positions], lanes: _Lanes, end: Deadline
) -> list[Positions]:
    """Improvement rounds until ``end`` (or the deterministic number of rounds)."""
    its = inst.settings.iterations
    size = inst.settings.territory_max_stops
    rounds: int | None = None
    if its is not None:
        hoods = DETERMINISTIC_PASSES * math.ceil(len(inst.load) / max(1, size))
        rounds = math.ceil(hoods / lanes.count)
    r = better = 0
    gain = 0.0
    tried: set[Positions] = set()
    while (rounds is None or r < rounds) and end.remaining() > 0.5 and routes:
        groups = _round_groups(inst, routes, r, lanes.count, tried)
        # A round lasts ROUND_S per neighbourhood's worth of stops (long routes make big ones).
        most = max((sum(len(routes[i]) for i in g) for g in groups), default=size)
        seconds = ROUND_S * max(1.0, most / max(1, size))
        wall = time.time() + (end.remaining() if its is not None else min(seconds, end.remaining()))
        counts = _vehicles(inst, groups, len(routes))
        jobs = [
            (f"round/{r}/{g}", [routes[i] for i in group], counts[g], wall)
            for g, group in enumerate(groups)
        ]
        results = lanes.run(_improve_job, jobs)
        drop: set[int] = set()
        new: list[Positions] = []
        for group, (found, before, after) in zip(groups, results, strict=True):
            if after < before - 1e-6:
                drop.update(group)
                new += found
                better += 1
                gain += before - after
            else:
                tried.update(routes[i] for i in group)
        log.debug("large: round %d, %d groups, gain so far %.0f", r, len(groups), gain)
        routes = [rt for i, rt in enumerate(routes) if i not in drop] + new
        r += 1
    log.info("large: %d improvement rounds, %d neighbourhoods improved", r, better)
    return routes


# -- merge, check, solve ----------------------------------------------------------------------


def _insert(
    inst: _Instance, routes: list[Positions], unserved: list[int]
) -> tuple[list[Positions], list[int]]:
    """Each unserved stop at its cheapest detour in a route with room, else on a vehicle no
    route uses; what fits nowhere stays unserved (capacity is the only rule here)."""
    table, cap = inst.problem.distance_of(inst.fleet.profile), inst.fleet.capacity_kg
    out = [list(r) for r in routes]
    loads = [int(inst.load[list(r)].sum()) for r in routes]
    left: list[int] = []
    for u in unserved:
        best: tuple[int, int, int] | None = None  # (detour, route, position)
        u_loc = int(inst.stop_loc[u])
        for k, rt in enumerate(out):
            if loads[k] + inst.load[u] > cap:
                continue
            path = [inst.depot_loc, *(int(inst.stop_loc[s]) for s in rt), inst.depot_loc]
            into = block(table, path, [u_loc])[:, 0]
            out_of = block(table, [u_loc], path)[0]
            base = legs(table, path[:-1], path[1:])
            detour = into[:-1] + out_of[1:] - base
            i = int(np.argmin(detour))
            if best is None or int(detour[i]) < best[0]:
                best = (int(detour[i]), k, i)
        if best is not None:
            out[best[1]].insert(best[2], u)
            loads[best[1]] += int(inst.load[u])
        elif len(out) < inst.fleet.count and inst.load[u] <= cap:
            out.append([u])
            loads.append(int(inst.load[u]))
        else:
            left.append(u)
    return [tuple(r) for r in out], left


def _plan_routes(inst: _Instance, routes: list[Positions]) -> tuple[Route, ...]:
    """Routes by centroid angle (then first stop), numbered ``<fleet>#1..``."""
    routes = [r for r in routes if r]
    cent = _centroids(inst, routes)
    ang = np.arctan2(cent[:, 1], cent[:, 0]) if routes else np.zeros(0)
    order = sorted(range(len(routes)), key=lambda i: (float(ang[i]), routes[i][0]))
    depot = next(d for d in inst.problem.depots if d.id == inst.fleet.depot)
    start = max(inst.fleet.shift_start_s, depot.open_s)
    stops = inst.problem.stops
    return tuple(
        Route(
            vehicle=f"{inst.fleet.id}#{k}",
            fleet=inst.fleet.id,
            start_s=start,
            visits=tuple(stops[s].id for s in routes[i]),
        )
        for k, i in enumerate(order, start=1)
    )


def _reserve_s(n_stops: int, budget_s: float) -> float:
    """Seconds kept for the merge and the check of the whole plan (a leg costs microseconds)."""
    return min(0.2 * budget_s, 0.5 + 2e-4 * n_stops)


def solve_large(
    problem: RoutingProblem,
    settings: RoutingSettings = DEFAULT_SETTINGS,
    *,
    deadline: Deadline | None = None,
) -> RoutePlan:
    """Route a large plain single-depot problem by decomposition (module docstring) and return
    the plan checked against the whole problem. ``ValueError`` for a problem outside the
    scope of :func:`large_applies` (the size aside)."""
    if deadline is None or not math.isfinite(deadline.end):
        deadline = Deadline(settings.time_limit_s)
    validate_stops(problem)
    if not _plain(problem):
        raise ValueError(
            f"{problem.name}: solve_large routes plain single-depot problems (depot unloads, "
            "one fleet, capacity the only limit)"
        )
    t0 = time.perf_counter()
    inst = _instance(problem, settings)
    log.info(
        "routing %s [%s]: %d stops by decomposition, engine=%s, limit=%.1fs, seed=%d, workers=%d%s",
        problem.name,
        problem.stream,
        len(problem.stops),
        settings.engine,
        deadline.remaining(),
        settings.seed,
        settings.workers,
        "" if settings.iterations is None else f", iterations={settings.iterations}",
    )
    reserve = _reserve_s(len(problem.stops), deadline.remaining())
    work = deadline.sub(max(0.0, deadline.remaining() - reserve))
    improve = settings.engine == "pyvrp"  # warm starts are PyVRP's
    warm_up()  # compiled (or loaded from numba's cache) once, before the workers fork
    lanes = _Lanes(inst, settings.workers)
    try:
        phase = work.sub((INITIAL_SHARE if improve else 1.0) * work.remaining())
        routes, unserved = _initial(inst, lanes, phase, work)
        if improve:
            routes = _improve(inst, routes, lanes, work)
    finally:
        lanes.close()
    routes, unserved = _insert(inst, routes, unserved)
    plan = checked_plan(
        problem,
        settings,
        _plan_routes(inst, routes),
        tuple(problem.stops[u].id for u in sorted(unserved)),
        time.perf_counter() - t0,
    )
    log.info("%s", plan.summary())
    return plan
