"""Routing territories: a stream's day split by unload site, routed part by part, merged.

Territories
-----------
A *territory* is the stops of one catchment: every stop with the same ``Stop.unload_at`` (the
station a facility plan sends it to; stops that may unload anywhere form one more territory).
Sites are never mixed. A territory of more than ``RoutingSettings.territory_max_stops`` stops
is cut into ``ceil(n / max)`` sectors of (almost) equal stop counts by polar angle around its
unload site, the sweep starting at the widest empty angle so each sector is one wedge. The
problem has no coordinates, so the plane is recovered from the road distances by FastMap
(two projection axes through far-apart pivot pairs; four matrix rows per axis, so it scales
to a city). Small territories are not merged: a sector is never small (sectors are balanced
and only cut from large catchments), and a small catchment has its own site, which the
no-mixing rule keeps apart.

Fleets (no over-count)
----------------------
Every vehicle stays with its depot and fleet. Each fleet's real count is handed out over the
territories, so the solver of a territory sees only vehicles that exist. A stop's workload is
the mean of its share of the day's kg and of its service time; a territory's demand for each
*access class* (the fleets that may serve a stop) is that workload times the day's kg. A
vehicle covers a shift's kg (``capacity × max_trips``, or the shift load limit;
``UNLIMITED_TRIPS`` trips when the fleet has no limit). Vehicles are given in two rounds, each
vehicle to the territory nearest its depot (mean road distance to its stops):

1. whole vehicles up to what each demand needs by capacity, restricted classes first (lanes
   only e-tricycles reach), then by distance;
2. one vehicle at a time to the class with the largest demand left, territories without any
   vehicle first, until every fleet's count is given out (a fleet whose vehicles may serve
   no stop of the day keeps them).

Capacity given beyond a class's demand covers the territory's other classes that the fleet
may serve. The counts of a fleet over the territories therefore sum to its real count. After
a first pass, the vehicles a territory did not use go back to a pool; territories with
unserved stops get the pool's vehicles by the same rule applied to their unserved stops and
are routed again (the answer with fewer unserved stops is kept).

Finally the merged routes are repaired once on the whole problem
(:func:`wasteopt.routing.schedule.repair_routes`), which is where vehicles are shared between
territories: one shift may join routes of one fleet from two territories (one more trip, to
the other site) where that saves cost, and a stop still unserved may join any vehicle. When a
stop only some fleets reach is still unserved, the repair is tried once more with those
fleets' routes in its territory stripped of the stops other fleets may serve (a territory
given only e-tricycles fills them with ordinary stops), and the answer with fewer unserved
stops, then lower cost, is kept.

Solve
-----
:func:`solve_territories` has the contract of :func:`wasteopt.routing.solve.solve` and gives
exactly its plan when the problem is one territory (also for benchmarks: ``depot_unloads``, or
no stop with ``unload_at``). One deadline covers everything: the first pass gets
``FIRST_PASS_SHARE`` of the time left after a reserve for the final repair and check, the
second pass the rest; inside a pass each territory gets the share of its stops. Territories
run in parallel processes when ``settings.workers > 1`` (at most ``workers`` at a time, each
search with one worker, so cores are not multiplied; largest first). Each territory's seed
follows from the settings seed and its key (:func:`territory_seed`), never from the order in
which searches finish, so the same seed and ``iterations`` give the same plan whatever the
number of workers (as long as the searches and the repair end before the deadline, as with
:func:`~wasteopt.routing.solve.solve`). The merged plan, with routes renumbered
``<fleet>#1..`` in territory order, is checked once by
:func:`wasteopt.routing.check.check_plan` against the whole problem.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import pickle
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from wasteopt.clock import Deadline
from wasteopt.compute import CheckpointStore, Executor, TaskFailure, executor_for, run_jobs
from wasteopt.routing.engine import Decoded
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Fleet, RoutingProblem
from wasteopt.routing.schedule import RouteScheduler, repair_routes
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import checked_plan, run_engine, solve, validate_stops
from wasteopt.travel_table import TravelTable

__all__ = [
    "Runner",
    "Territory",
    "allocate",
    "solve_territories",
    "split",
    "subproblem",
    "territory_seed",
]

log = logging.getLogger("wasteopt")

DEFAULT_SETTINGS = RoutingSettings()
ANY_SITE = "*"
"""Key of the territory of stops that may unload at any site."""
UNLIMITED_TRIPS = 4
"""Trips per shift assumed for a fleet without ``max_trips`` or shift load limit (sizing
only: the usual 3–5 of a collection shift)."""
FIRST_PASS_SHARE = 0.8
MIN_TERRITORY_S = 0.5
"""Least budget of one territory's search (may run past its pass, never past the deadline)."""

Counts = dict[str, dict[str, int]]
"""Territory key → fleet id → vehicles."""
_Class = tuple[str, ...]
"""An access class: the fleets (with vehicles) that may serve a stop."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Territory:
    """Stops routed together: one catchment (``unload_at``), or one sector of it."""

    key: str
    unload_at: tuple[str, ...]
    stops: tuple[str, ...]


# -- split ----------------------------------------------------------------------------------


def split(
    problem: RoutingProblem, max_stops: int = DEFAULT_SETTINGS.territory_max_stops
) -> list[Territory]:
    """The territories of ``problem`` (module docstring), by key; sectors ``<key>/1..``."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, s in enumerate(problem.stops):
        groups.setdefault(tuple(sorted(s.unload_at)), []).append(i)
    out: list[Territory] = []
    for sites in sorted(groups):
        members = groups[sites]
        base = "+".join(sites) or ANY_SITE
        k = math.ceil(len(members) / max(1, max_stops))
        parts = [members] if k <= 1 else _sectors(problem, sites, members, k)
        for j, part in enumerate(parts, start=1):
            out.append(
                Territory(
                    key=base if k <= 1 else f"{base}/{j}",
                    unload_at=sites,
                    stops=tuple(problem.stops[i].id for i in part),
                )
            )
    return out


def _sectors(
    problem: RoutingProblem, sites: tuple[str, ...], members: list[int], k: int
) -> list[list[int]]:
    """``members`` (stop positions) cut into ``k`` balanced wedges around the sites."""
    idx = problem.index()
    site_locs = [idx[s] for s in sites if s in idx]
    nodes = site_locs + [idx[problem.stops[i].id] for i in members]
    xy = _plane(problem.distance_m, nodes)
    centre = xy[: len(site_locs)].mean(axis=0) if site_locs else xy.mean(axis=0)
    rel = xy[len(site_locs) :] - centre
    theta = np.arctan2(rel[:, 1], rel[:, 0])
    m = len(members)
    order = np.lexsort((np.arange(m), theta))
    ts = theta[order]
    gaps = np.diff(np.append(ts, ts[0] + 2 * math.pi))
    order = np.roll(order, -((int(np.argmax(gaps)) + 1) % m))
    cuts = [round(j * m / k) for j in range(k + 1)]
    return [sorted(members[int(o)] for o in order[a:b]) for a, b in itertools.pairwise(cuts)]


def _plane(dist: np.ndarray | TravelTable, nodes: list[int]) -> npt.NDArray[np.float64]:
    """2-D FastMap coordinates of ``nodes`` from the (symmetrised) road distances; reads
    four rows and columns per axis, never the whole matrix."""
    n = len(nodes)
    xy = np.zeros((n, 2))

    def sq(i: int, axes: int) -> npt.NDArray[np.float64]:
        """Squared distances from node ``i`` with the first ``axes`` coordinates removed."""
        row = (dist[nodes[i], nodes].astype(np.float64) + dist[nodes, nodes[i]]) / 2.0
        res = row**2 - ((xy[:, :axes] - xy[i, :axes]) ** 2).sum(axis=1)
        return np.maximum(res, 0.0)

    for axis in range(2):
        b = int(np.argmax(sq(0, axis)))
        a = int(np.argmax(sq(b, axis)))
        da, db = sq(a, axis), sq(b, axis)
        dab2 = float(da[b])
        if dab2 <= 0.0:
            break
        xy[:, axis] = (da + dab2 - db) / (2.0 * math.sqrt(dab2))
    return xy


# -- fleets ---------------------------------------------------------------------------------


def _shift_kg(fleet: Fleet) -> float:
    """What one vehicle of ``fleet`` can collect in a shift (sizing; module docstring)."""
    trips = fleet.max_trips if fleet.max_trips is not None else UNLIMITED_TRIPS
    kg = fleet.capacity_kg * max(1, trips)
    if fleet.max_shift_load_kg is not None:
        kg = min(kg, fleet.max_shift_load_kg)
    return float(max(1, kg))


@dataclass(slots=True)
class _Demand:
    """What the rounds of :func:`_hand_out` work on."""

    fleets: list[Fleet]
    left: dict[tuple[str, _Class], float]  # (territory, class) → demand not yet covered
    dist: dict[tuple[str, str], float]  # (territory, depot) → mean distance to its stops
    order: list[str]  # territory keys

    def classes(self, key: str, fleet: str) -> list[_Class]:
        """The territory's classes the fleet may serve, narrowest first."""
        cls = [c for (k, c) in self.left if k == key and fleet in c]
        return sorted(cls, key=lambda c: (len(c), c))

    def cover(self, key: str, first: _Class, fleet: str, kg: float) -> None:
        """Take ``kg`` of capacity off the class, then off the territory's other classes."""
        for c in [first, *(c for c in self.classes(key, fleet) if c != first)]:
            take = min(kg, max(0.0, self.left[(key, c)]))
            self.left[(key, c)] -= take
            kg -= take
        self.left[(key, first)] -= kg


def _demand(
    problem: RoutingProblem,
    territories: Sequence[Territory],
    stops: Mapping[str, Sequence[str]],
) -> _Demand:
    """Demand per (territory, class) of the given stops of each territory, in kg: the day's
    kg shared out by workload (load and service time)."""
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    by_id = {s.id: s for s in problem.stops}
    chosen = [by_id[sid] for t in territories for sid in stops.get(t.key, ())]
    total_kg = sum(s.load_kg for s in chosen) or 1
    total_s = sum(s.service_s for s in chosen)
    left: dict[tuple[str, _Class], float] = {}
    for t in territories:
        for sid in stops.get(t.key, ()):
            s = by_id[sid]
            cls = tuple(f.id for f in fleets if s.allows(f.id))
            if not cls:
                continue  # no vehicle may serve it: it stays unserved
            share = s.load_kg / total_kg
            share = (share + s.service_s / total_s) / 2 if total_s else share
            left[(t.key, cls)] = left.get((t.key, cls), 0.0) + share * total_kg
    idx = problem.index()
    dmat = problem.distance_m
    dist = {
        (t.key, d): float(dmat[idx[d], [idx[s] for s in t.stops]].mean()) if t.stops else 0.0
        for t in territories
        for d in {f.depot for f in fleets}
    }
    return _Demand(fleets=fleets, left=left, dist=dist, order=[t.key for t in territories])


def _hand_out(dem: _Demand, avail: dict[str, int]) -> Counts:
    """Give out ``avail`` (fleet → vehicles) over the demand (rounds 1–3, module docstring)."""
    out: Counts = {k: {} for k in dem.order}
    pos = {k: i for i, k in enumerate(dem.order)}
    cap = {f.id: _shift_kg(f) for f in dem.fleets}
    depot = {f.id: f.depot for f in dem.fleets}
    fpos = {f.id: i for i, f in enumerate(dem.fleets)}

    def give(key: str, cls: _Class, fid: str, n: int) -> None:
        out[key][fid] = out[key].get(fid, 0) + n
        avail[fid] -= n
        dem.cover(key, cls, fid, n * cap[fid])

    pairs = sorted(
        (len(cls), dem.dist[(key, depot[fid])], pos[key], fpos[fid], key, cls, fid)
        for (key, cls) in dem.left
        for fid in cls
    )
    for *_, key, cls, fid in pairs:  # round 1: whole vehicles, nearest first
        n = min(avail.get(fid, 0), int(max(0.0, dem.left[(key, cls)]) // cap[fid]))
        if n > 0:
            give(key, cls, fid, n)
    while True:  # round 2: one vehicle at a time to the largest demand left
        open_ = [(key, cls) for (key, cls) in dem.left if any(avail.get(f, 0) for f in cls)]
        if not open_:
            return out
        key, cls = min(open_, key=lambda kc: (bool(out[kc[0]]), -dem.left[kc], pos[kc[0]], kc[1]))
        fid = min(
            (f for f in cls if avail.get(f, 0) > 0),
            key=lambda f: (dem.dist[(key, depot[f])], fpos[f]),
        )
        give(key, cls, fid, 1)


def allocate(problem: RoutingProblem, territories: Sequence[Territory]) -> Counts:
    """Each fleet's real count over the territories (module docstring): territory key →
    fleet id → vehicles, every fleet of the stream listed (0 where it gets none)."""
    dem = _demand(problem, territories, {t.key: t.stops for t in territories})
    counts = _hand_out(dem, {f.id: f.count for f in dem.fleets})
    return {k: {f.id: v.get(f.id, 0) for f in dem.fleets} for k, v in counts.items()}


def lend_pool(
    problem: RoutingProblem,
    territories: Sequence[Territory],
    used: Mapping[str, Mapping[str, int]],
    unserved: Mapping[str, Sequence[str]],
) -> Counts:
    """The pool (each fleet's count less the vehicles the territories ``used``) handed out
    over the territories' ``unserved`` stops by the rule of :func:`allocate`."""
    dem = _demand(problem, territories, unserved)
    avail = {f.id: f.count - sum(u.get(f.id, 0) for u in used.values()) for f in dem.fleets}
    return _hand_out(dem, {f: n for f, n in avail.items() if n > 0})


def subproblem(
    problem: RoutingProblem, territory: Territory, counts: Mapping[str, int]
) -> RoutingProblem:
    """The territory as a problem of its own: its stops, its sites (all of them for stops
    that may unload anywhere), the fleets with their ``counts`` (others left out), their
    depots, and the matrices cut to those locations."""
    fleets = tuple(
        replace(f, count=counts[f.id]) for f in problem.fleets if counts.get(f.id, 0) > 0
    )
    depots = {f.depot for f in fleets}
    sites = set(territory.unload_at) or {s.id for s in problem.sites}
    stops = set(territory.stops)
    keep = [i for i, loc in enumerate(problem.locations) if loc in depots | sites | stops]
    grid = np.ix_(keep, keep)
    return RoutingProblem(
        name=f"{problem.name}[{territory.key}]",
        stream=problem.stream,
        stops=tuple(s for s in problem.stops if s.id in stops),
        sites=tuple(s for s in problem.sites if s.id in sites),
        depots=tuple(d for d in problem.depots if d.id in depots),
        fleets=fleets,
        locations=tuple(problem.locations[i] for i in keep),
        distance_m=np.ascontiguousarray(problem.distance_m[grid]),
        durations_s=tuple(np.ascontiguousarray(m[grid]) for m in problem.durations_s),
        depot_unloads=problem.depot_unloads,
    )


def territory_seed(seed: int, key: str) -> int:
    """The search seed of territory ``key``: from the settings seed and the key only."""
    return (seed + zlib.crc32(key.encode("utf-8"))) % 2**31


# -- solve ----------------------------------------------------------------------------------


def _stitch_reserve_s(n_stops: int, budget_s: float) -> float:
    """Seconds kept for the final repair on the whole problem and the check."""
    return min(0.15 * budget_s, 0.2 + 2e-3 * n_stops)


def solve_territories(
    problem: RoutingProblem,
    settings: RoutingSettings = DEFAULT_SETTINGS,
    *,
    deadline: Deadline | None = None,
    timings: dict[str, float] | None = None,
    runner: Runner | None = None,
) -> RoutePlan:
    """Route ``problem`` territory by territory and return the merged plan, checked once
    against the whole problem (module docstring); one territory: :func:`solve` itself.
    ``timings`` (when given) gains the seconds of ``search``, ``repair`` and ``check``;
    ``runner`` says where searches run and where finished territories are kept."""
    clock = _Stages(timings)
    if problem.depot_unloads or not any(s.unload_at for s in problem.stops):
        return clock.whole(solve(problem, settings, deadline=deadline))
    territories = split(problem, settings.territory_max_stops)
    if len(territories) <= 1:
        return clock.whole(solve(problem, settings, deadline=deadline))
    if deadline is None or not math.isfinite(deadline.end):
        deadline = Deadline(settings.time_limit_s)
    validate_stops(problem)
    t0 = time.perf_counter()
    log.info(
        "routing %s [%s]: %d stops in %d territories, engine=%s, limit=%.1fs, seed=%d, "
        "workers=%d%s",
        problem.name,
        problem.stream,
        len(problem.stops),
        len(territories),
        settings.engine,
        deadline.remaining(),
        settings.seed,
        settings.workers,
        "" if settings.iterations is None else f", iterations={settings.iterations}",
    )
    reserve = _stitch_reserve_s(len(problem.stops), deadline.remaining())
    work_end = deadline.sub(max(0.0, deadline.remaining() - reserve))
    counts = allocate(problem, territories)
    first = work_end.sub(FIRST_PASS_SHARE * work_end.remaining())
    runner = runner or Runner()
    found = _route_all(problem, territories, counts, settings, (first, work_end), runner)
    used = {k: _used(d) for k, d in found.items()}
    short = {k: d[1] for k, d in found.items() if d[1]}
    if short:
        extra = lend_pool(problem, territories, used, short)
        again = [t for t in territories if any(extra.get(t.key, {}).values())]
        more = {
            t.key: {f: used[t.key].get(f, 0) + extra[t.key].get(f, 0) for f in counts[t.key]}
            for t in again
        }
        second = _route_all(problem, again, more, settings, (work_end, work_end), runner)
        for key, dec in second.items():
            log.debug("territory %s: %d → %d unserved", key, len(found[key][1]), len(dec[1]))
            if len(dec[1]) < len(found[key][1]):
                found[key] = dec
    clock.lap("search")
    end = time.time() + deadline.remaining() - reserve / 2
    routes, unserved = _stitch(problem, [found[t.key] for t in territories], end)
    clock.lap("repair")
    plan = checked_plan(problem, settings, routes, unserved, time.perf_counter() - t0)
    clock.lap("check")
    log.info("%s", plan.summary())
    return plan


class _Stages:
    """Adds the seconds of each stage to a caller's ``timings`` (benchmarks, logs)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.t
        self.t = now

    def whole(self, plan: RoutePlan) -> RoutePlan:
        """A plan from :func:`solve` in one piece: all of it counts as search."""
        self.lap("search")
        return plan


def _stitch(problem: RoutingProblem, parts: list[Decoded], end: float) -> Decoded:
    """The territories' routes (in territory order) and unserved stops repaired once on the
    whole problem (module docstring). When a stop only some fleets reach stays unserved, the
    routes of those fleets in its territory are also tried without the stops other fleets
    may serve (a territory without other vehicles used them for those), keeping the answer
    with fewer unserved stops, then lower cost."""
    sched = RouteScheduler(problem)
    merged = [(r.fleet, list(r.visits)) for routes, _ in parts for r in routes]
    left = [s for _, unserved in parts for s in unserved]
    best = repair_routes(problem, merged, left, scheduler=sched, deadline=end)
    stream = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    blocked = [sched.stops[s] for s in best[1] if sched.stops[s].fleets is not None]
    if not blocked or time.time() >= end:
        return best
    stripped: list[tuple[str, list[str]]] = []
    freed: list[str] = []
    for routes, unserved in parts:
        mine = {f.id for s in blocked if s.id in unserved for f in stream if s.allows(f.id)}
        for r in routes:
            keep = list(r.visits)
            if r.fleet in mine:
                free = [
                    v
                    for v in r.visits
                    if v in sched.stops
                    and any(sched.stops[v].allows(f.id) for f in stream if f.id not in mine)
                ]
                freed += free
                keep = [v for v in r.visits if v not in free]
            stripped.append((r.fleet, keep))
    alt = repair_routes(problem, stripped, left + freed, scheduler=sched, deadline=end)
    return min(best, alt, key=lambda d: (len(d[1]), _cost(sched, d[0])))


def _cost(sched: RouteScheduler, routes: tuple[Route, ...]) -> float:
    """The routes' cost by the engines' timetable."""
    return sum(
        sched.evaluate(sched.fleets[r.fleet], r.visits, r.start_s, r.lunch_after).cost
        for r in routes
    )


def _used(decoded: Decoded) -> dict[str, int]:
    """Vehicles per fleet that the routes use."""
    out: dict[str, int] = {}
    for r in decoded[0]:
        if r.visits:
            out[r.fleet] = out.get(r.fleet, 0) + 1
    return out


@dataclass(slots=True, kw_only=True)
class Runner:
    """Where territory searches run and where finished ones are kept.

    ``executor``: a :mod:`wasteopt.compute` executor (local fork pool, Dask cluster, this
    process); ``None``: one made from ``settings.workers`` for the call. ``store``: finished
    territories by content key, so a killed run resumes without recomputing them.
    ``progress``: a terminal bar counting territories."""

    executor: Executor | None = None
    store: CheckpointStore | None = None
    progress: bool = False


def _route_all(
    problem: RoutingProblem,
    territories: Sequence[Territory],
    counts: Counts,
    settings: RoutingSettings,
    window: tuple[Deadline, Deadline],
    runner: Runner,
) -> dict[str, Decoded]:
    """Each territory routed with its ``counts`` by the engine on the runner's executor; each
    search ends at its share of ``window[0]`` (the pass; at least ``MIN_TERRITORY_S``, never
    after ``window[1]``; with ``iterations`` at ``window[1]``, a safety net only)."""
    pass_end, latest = window
    out: dict[str, Decoded] = {}
    jobs: list[tuple[Territory, RoutingProblem, RoutingSettings]] = []
    for t in territories:
        sub = subproblem(problem, t, counts[t.key])
        if not sub.fleets or not sub.stops:
            out[t.key] = ((), tuple(s.id for s in sub.stops))  # no vehicle given to it
        else:
            own = replace(settings, workers=1, seed=territory_seed(settings.seed, t.key))
            jobs.append((t, sub, own))
    if not jobs:
        return out
    latest_wall = time.time() + latest.remaining()
    ex = runner.executor or executor_for(None, settings.workers, start_method="fork")
    try:
        lanes = min(ex.lanes, len(jobs))
        total = sum(len(sub.stops) for _, sub, _ in jobs)
        seconds = pass_end.remaining()
        pending = total

        def budget(n: int) -> float:
            if settings.iterations is not None:
                return latest.remaining()  # a safety net only
            if lanes == 1:  # one after another: its stops' share of what the pass has left
                return pass_end.share(n / max(1, pending), floor_s=MIN_TERRITORY_S)
            # In parallel each search's budget is fixed when it is submitted: lanes × share.
            return max(MIN_TERRITORY_S, seconds * min(1.0, lanes * n / total))

        jobs.sort(key=lambda j: (-len(j[1].stops), j[0].key))  # largest first: balanced lanes
        for batch in [[j] for j in jobs] if lanes == 1 else [jobs]:
            packed = [
                (t.key, (sub, own, budget(len(sub.stops)), latest_wall)) for t, sub, own in batch
            ]
            done = run_jobs(
                _route_packed,
                packed,
                executor=ex,
                store=runner.store,
                describe=_describe,
                progress=runner.progress,
                desc=f"{problem.stream} territories",
                unit="territory",
            )
            for key, result in done.items():
                if isinstance(result, TaskFailure):
                    result.reraise()
                out[key] = result
                log.debug("territory %s: %d unserved", key, len(result[1]))
            pending -= sum(len(sub.stops) for _, sub, _ in batch)
    finally:
        if runner.executor is None:
            ex.close()
    return out


def _describe(payload: tuple[RoutingProblem, RoutingSettings, float, float]) -> str:
    """The content key of one territory search: its problem and settings, not its budget."""
    sub, own, _seconds, _latest = payload
    return "territory:" + hashlib.sha256(pickle.dumps((sub, own), protocol=5)).hexdigest()


def _route_packed(payload: tuple[RoutingProblem, RoutingSettings, float, float]) -> Decoded:
    """:func:`_route_job` of one packed payload (executors call one-argument functions)."""
    return _route_job(*payload)


def _route_job(
    problem: RoutingProblem, settings: RoutingSettings, seconds: float, latest_wall: float
) -> Decoded:
    """One territory's search, timed from when it starts (``latest_wall``: ``time.time()``
    after which it must not run)."""
    now = time.time()
    end = min(now + seconds, latest_wall)
    return run_engine(problem, settings, Deadline.at(time.monotonic() + (end - now)))
