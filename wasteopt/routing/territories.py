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

Fleets (no over-count, near home, lanes first)
----------------------------------------------
Each fleet's real count is handed out over the territories
(:mod:`wasteopt.routing.fleet_shares`, by the kg and the hours each territory needs), so the
solver of a territory sees only vehicles that exist: stops only some fleets reach (lanes only
e-tricycles enter) are covered first and those fleets are spent on other stops only when
nothing else is left, each vehicle goes to a territory near its depot, and a spare stays with
its own depot's territories. After a first pass the vehicles a territory did not use are lent
to territories with unserved stops, which are routed again (the answer with fewer unserved
stops is kept). Fleets that alone reach some stops are kept for those stops in a territory
where they are scarce (:data:`SCARCE_SHARE`: its ordinary stops may not use them). On the
20,000-point city's day-0 kitchen waste (500 iterations per territory, same catchments) these
shares with the vehicle choice below took the unserved lane stops from 37 to 0 and the cost
from 227,231 to 221,995 CNY; a higher engine prize for lane stops alone changed nothing (138
lane stops left out in the lane territories either way: those were given too few tricycles).

Finally the merged routes are repaired once on the whole problem
(:func:`wasteopt.routing.schedule.repair_routes`), which is where vehicles are shared between
territories: one shift may join routes of one fleet from two territories (one more trip, to
the other site) where that saves cost, and a stop still unserved may join any vehicle. When a
stop only some fleets reach is still unserved, the repair is tried once more with those
fleets' routes in its territory stripped of the stops other fleets may serve (a territory
given only e-tricycles fills them with ordinary stops), and the answer with fewer unserved
stops, then lower cost, is kept. Then each route is given to the vehicle that drives it at
least cost (:func:`wasteopt.routing.vehicle_choice.reassign`: a least-cost assignment of
routes to vehicles, so a route a far vehicle was lent for goes to an unused one near it), and
the log counts the routes that still run far from home
(:func:`~wasteopt.routing.vehicle_choice.far_from_home`).

Solve
-----
:func:`solve_territories` has the contract of :func:`wasteopt.routing.solve.solve` and gives
exactly its plan when the problem is one territory (also for benchmarks: ``depot_unloads``, or
no stop with ``unload_at``), except a very large plain CVRP, which
:func:`wasteopt.routing.large.solve_large` decomposes by sectors around its depot. One
deadline covers everything: the first pass gets
``FIRST_PASS_SHARE`` of the time left after a reserve for the final repair and check, the
second pass the rest; inside a pass each territory gets the share of its stops. Territories
run on a :class:`Runner`'s executor (:mod:`wasteopt.compute`): by default a local pool of
``settings.workers`` forked processes, or a Dask cluster; each search with one worker, so
cores are not multiplied; largest first. With a store, each finished territory is kept under
a key of its sub-problem and settings (not its budget), and a rerun reuses it. Each
territory's seed follows from the settings seed and its key (:func:`territory_seed`), never
from the order in which searches finish, so the same seed and ``iterations`` give the same
plan whatever the number of workers (as long as the searches and the repair end before the
deadline, as with :func:`~wasteopt.routing.solve.solve`). The merged plan, with routes
renumbered ``<fleet>#1..`` in territory order, is checked once by
:func:`wasteopt.routing.check.check_plan` against the whole problem.

Scale: the whole problem's tables may be computed on demand
(:class:`~wasteopt.travel_table.TravelTable`, a city of 20,000 points): splitting reads a few
rows, each sub-problem is cut lazily and computes its dense blocks in a worker, and the repair
and the check read memoised legs. On a road network the blocks are most of a territory's cost,
and what they cost follows its spread, not its stops: every territory's blocks are computed
first, in parallel (:func:`_ready_all`, costliest first), and the searches then share what the
pass has left by stops, each handed its blocks. A leg on roads is a search of the city, so the
whole problem's tables keep the blocks (:meth:`~wasteopt.travel_table.RoadTable.keep`): the
repair, the check and the route sheets search only legs between territories, a row or column
read often enough as a whole. A second pass reads its first pass's blocks and searches only
what the lent vehicles add (their depots, their profiles).
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
from typing import Any

import numpy as np

from wasteopt.clock import Deadline
from wasteopt.compute import (
    CheckpointStore,
    Executor,
    TaskFailure,
    executor_for,
    job_key,
    run_jobs,
)
from wasteopt.routing.engine import Decoded
from wasteopt.routing.fleet_shares import Counts, allocate, lend_pool, shift_kg
from wasteopt.routing.large import large_applies, solve_large
from wasteopt.routing.large_parts import plane
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import SITES_BLOCK, Fleet, RoutingProblem, Stop
from wasteopt.routing.schedule import RouteScheduler, repair_routes
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import checked_plan, run_engine, solve, validate_stops
from wasteopt.routing.vehicle_choice import FAR_KM, far_from_home, reassign
from wasteopt.travel_table import RoadTable, take_tables

__all__ = [
    "Runner",
    "Territory",
    "allocate",
    "lend_pool",
    "solve_territories",
    "split",
    "subproblem",
    "tables_ahead",
    "territory_seed",
]

log = logging.getLogger("wasteopt")

DEFAULT_SETTINGS = RoutingSettings()
ANY_SITE = "*"
"""Key of the territory of stops that may unload at any site."""
FIRST_PASS_SHARE = 0.8
SCARCE_SHARE = 0.4
"""Restricted demand over the restricted fleets' shift capacity from which those fleets are
kept for the stops only they reach (:func:`_reserve_scarce`)."""
MIN_TERRITORY_S = 0.5
"""Least budget of one territory's search (may run past its pass, never past the deadline)."""


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
    xy = plane(problem.distance_m, nodes)
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


def subproblem(
    problem: RoutingProblem,
    territory: Territory,
    counts: Mapping[str, int],
    *,
    kept: Sequence[str] = (),
) -> RoutingProblem:
    """The territory as a problem of its own: its stops, its sites (all of them for stops
    that may unload anywhere), the fleets with their ``counts`` (others left out), their
    depots, and the tables cut to those locations (arrays cut; lazy tables cut lazily, so
    the process that routes the territory computes them), of the profiles its fleets drive
    only (renumbered). ``kept``: keys of blocks the road tables keep
    (:meth:`~wasteopt.travel_table.RoadTable.keep`) that the cut tables keep too."""
    given = [f for f in problem.fleets if counts.get(f.id, 0) > 0]
    # Only the duration profiles its fleets drive, renumbered in their order: a profile is a
    # search per table on a road network, and a stream has several no territory uses all of.
    used = sorted({f.profile for f in given}) or [0]
    renumber = {prof: k for k, prof in enumerate(used)}
    fleets = tuple(replace(f, count=counts[f.id], profile=renumber[f.profile]) for f in given)
    depots = {f.depot for f in fleets}
    sites = set(territory.unload_at) or {s.id for s in problem.sites}
    stops = set(territory.stops)
    wanted = depots | sites | stops  # one set: a union per location cost seconds at 20,000
    keep = [i for i, loc in enumerate(problem.locations) if loc in wanted]
    own = [s for s in problem.stops if s.id in stops]
    # Lazy tables stay lazy (cut, not computed): a worker computes the territory's blocks
    # (on a road network most of a territory's time), not this process.
    # Seconds, then each profile's own metres: twins cut together still share their searches.
    n_prof = len(used)
    own_m = [problem.distances_m[k] for k in used] if problem.distances_m else []
    cut = take_tables(
        (problem.distance_m, *(problem.durations_s[k] for k in used), *own_m), keep, kept=kept
    )
    return RoutingProblem(
        name=f"{problem.name}[{territory.key}]",
        stream=problem.stream,
        stops=tuple(_reserve_scarce(own, fleets)),
        sites=tuple(s for s in problem.sites if s.id in sites),
        depots=tuple(d for d in problem.depots if d.id in depots),
        fleets=fleets,
        locations=tuple(problem.locations[i] for i in keep),
        distance_m=cut[0],
        durations_s=cut[1 : 1 + n_prof],
        distances_m=cut[1 + n_prof :],
        depot_unloads=problem.depot_unloads,
    )


def _reserve_scarce(stops: list[Stop], fleets: tuple[Fleet, ...]) -> list[Stop]:
    """``stops`` with the fleets that alone reach some stops (e-tricycles in lanes) kept for
    those stops when they are scarce: when the restricted stops' kg is at least
    ``SCARCE_SHARE`` of what those fleets carry in a shift, ordinary stops may not use them
    (as long as another fleet of the territory may serve them), so a search cannot spend the
    only vehicles a lane has on streets a compactor reaches."""
    restricted = [s for s in stops if s.fleets is not None]
    if not restricted:
        return stops
    scarce = {fid for s in restricted for fid in (s.fleets or ())}
    cap = sum(f.count * shift_kg(f) for f in fleets if f.id in scarce)
    others = tuple(f.id for f in fleets if f.id not in scarce)
    if not others or sum(s.load_kg for s in restricted) < SCARCE_SHARE * cap:
        return stops
    return [replace(s, fleets=others) if s.fleets is None else s for s in stops]


def territory_seed(seed: int, key: str) -> int:
    """The search seed of territory ``key``: from the settings seed and the key only."""
    return (seed + zlib.crc32(key.encode("utf-8"))) % 2**31


# -- solve ----------------------------------------------------------------------------------


def _stitch_reserve_s(n_stops: int, budget_s: float) -> float:
    """Seconds kept for the final repair on the whole problem and the check."""
    return min(0.15 * budget_s, 0.2 + 2e-3 * n_stops)


def _territories(problem: RoutingProblem, settings: RoutingSettings) -> list[Territory]:
    """The territories :func:`solve_territories` routes ``problem`` in; none when it routes
    it whole (benchmark CVRPs, stops that name no unload site, a single territory)."""
    if problem.depot_unloads or not any(s.unload_at for s in problem.stops):
        return []
    territories = split(problem, settings.territory_max_stops)
    return territories if len(territories) > 1 else []


def tables_ahead(
    problems: Sequence[RoutingProblem],
    settings: RoutingSettings = DEFAULT_SETTINGS,
    *,
    runner: Runner | None = None,
) -> None:
    """On a road network, the first-pass territories' tables of every problem of ``problems``
    (a day's streams) computed now, all together in parallel, and kept by each problem's
    tables under its territory's key: :func:`solve_territories` then reads them (its searches
    compute none), so the streams share the time those tables leave by their stops. A stream's
    tables cost what its spread costs (the few hazardous-waste stops of a city are spread over
    all of it), and inside its own share of the day they left its searches no time. Nothing
    to do for problems on other tables or routed whole."""
    runner = runner or Runner()
    store = runner.store
    todo: list[tuple[RoutingProblem, list[tuple[str, RoutingProblem]]]] = []
    for problem in problems:
        territories = _territories(problem, settings) if _on_roads(problem) else []
        if not territories:
            continue
        counts = allocate(problem, territories)
        subs = []
        for t in territories:
            sub = subproblem(problem, t, counts[t.key])
            own = replace(settings, workers=1, seed=territory_seed(settings.seed, t.key))
            stored = store is not None and job_key(_content_key(sub, own)) in store
            if sub.fleets and sub.stops and not stored:
                subs.append((t.key, sub))
        todo.append((problem, subs))
    if not any(subs for _, subs in todo):
        return
    ex = runner.executor or executor_for(None, settings.workers, start_method="fork")
    jobs = [((k, n), sub) for n, (_, subs) in enumerate(todo) for k, sub in subs]
    jobs.sort(key=lambda job: -_tables_cost(job[1]))  # costliest first: balanced lanes
    try:
        done = run_jobs(
            _tables_job,
            [(f"{n}:{k}", sub) for (k, n), sub in jobs],
            executor=ex,
            progress=runner.progress,
            desc="road tables",
            unit="territory",
        )
    finally:
        if runner.executor is None:
            ex.close()
    for (key, n), sub in jobs:
        result = done[f"{n}:{key}"]
        if isinstance(result, TaskFailure):
            result.reraise()
        _keep(todo[n][0], key, sub, result)


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
    territories = _territories(problem, settings)
    if not territories:
        if large_applies(problem, settings):  # a very large plain CVRP: its own decomposition
            return clock.whole(solve_large(problem, settings, deadline=deadline))
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
    whole problem (:func:`_repaired`), then given to the vehicles that drive them at least
    cost (:func:`~wasteopt.routing.vehicle_choice.reassign`: a route a far vehicle was lent
    for goes to an unused one near it); logs the routes that still run far from home."""
    sched = RouteScheduler(problem)
    routes, unserved = _repaired(problem, sched, parts, end)
    routes = reassign(sched, routes, deadline=end)
    far = far_from_home(sched, routes)
    log.log(
        logging.WARNING if any(f.avoidable for f in far) else logging.INFO,
        "%s: %d of %d routes run from a depot more than %.0f km farther (out and back) than "
        "the nearest depot with a fleet of their kind, %d of them avoidable (an unused "
        "vehicle there could drive it for less)%s",
        problem.name,
        len(far),
        len(routes),
        FAR_KM,
        sum(f.avoidable for f in far),
        "".join(
            f"; {f.vehicle} from {f.depot} {f.legs_m / 1000:.1f} km, from {f.nearest} "
            f"{f.nearest_legs_m / 1000:.1f} km"
            for f in far[:3]
        ),
    )
    return routes, unserved


def _repaired(
    problem: RoutingProblem, sched: RouteScheduler, parts: list[Decoded], end: float
) -> Decoded:
    """The territories' routes and unserved stops repaired once on the whole problem (module
    docstring). When a stop only some fleets reach stays unserved, the routes of those fleets
    in its territory are also tried without the stops other fleets may serve (a territory
    without other vehicles used them for those), keeping the answer with fewer unserved
    stops, then lower cost."""
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
    return sum(sched.evaluate_route(r).cost for r in routes)


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
    after ``window[1]``; with ``iterations`` at ``window[1]``, a safety net only).

    On a road network the territories' tables are computed first, all of them, in parallel
    (:func:`_tables_job`; blocks kept under a territory's key are read, not searched: those
    of :func:`tables_ahead`, or of its first pass in a second pass, which then searches only
    the lent vehicles' depots and profiles), and the searches then share what the pass has
    left: a territory's tables cost what its spread costs, not what its stops do, and
    computed inside its search's share they left spread-out territories no time to search."""
    pass_end, latest = window
    out: dict[str, Decoded] = {}
    jobs: list[tuple[Territory, RoutingProblem, RoutingSettings, str]] = []
    for t in territories:
        plain = subproblem(problem, t, counts[t.key])
        if not plain.fleets or not plain.stops:
            out[t.key] = ((), tuple(s.id for s in plain.stops))  # no vehicle given to it
            continue
        own = replace(settings, workers=1, seed=territory_seed(settings.seed, t.key))
        # the blocks kept under its key: a first pass's read what tables_ahead computed, a
        # second pass's what its first pass did (searching only what lent vehicles add); its
        # content key is the plain sub-problem's (kept blocks are a cache, not content)
        sub = subproblem(problem, t, counts[t.key], kept=(t.key,)) if _on_roads(problem) else plain
        jobs.append((t, sub, own, _content_key(plain, own)))
    if not jobs:
        return out
    latest_wall = time.time() + latest.remaining()
    ex = runner.executor or executor_for(None, settings.workers, start_method="fork")
    try:
        lanes = min(ex.lanes, len(jobs))
        jobs.sort(key=lambda j: (-len(j[1].stops), j[0].key))  # largest first: balanced lanes
        ready = _ready_all(problem, jobs, ex, runner)
        total = sum(len(sub.stops) for _, sub, _, _ in jobs)
        seconds = pass_end.remaining()
        pending = total

        def budget(n: int) -> float:
            if settings.iterations is not None:
                return latest.remaining()  # a safety net only
            if lanes == 1:  # one after another: its stops' share of what the pass has left
                return pass_end.share(n / max(1, pending), floor_s=MIN_TERRITORY_S)
            # In parallel each search's budget is fixed when it is submitted: lanes × share.
            return max(MIN_TERRITORY_S, seconds * min(1.0, lanes * n / total))

        for batch in [[j] for j in jobs] if lanes == 1 else [jobs]:
            packed = [
                (t.key, (ready.get(t.key, sub), own, budget(len(sub.stops)), latest_wall, key))
                for t, sub, own, key in batch
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
            subs = {t.key: sub for t, sub, _, _ in batch}
            for key in sorted(done):  # keys in one order: which kept block a leg reads
                result = done[key]
                if isinstance(result, TaskFailure):
                    result.reraise()
                out[key], blocks = result
                if key not in ready:  # kept when its tables were computed
                    _keep(problem, key, subs[key], blocks)
                log.debug("territory %s: %d unserved", key, len(out[key][1]))
            pending -= sum(len(sub.stops) for _, sub, _, _ in batch)
    finally:
        if runner.executor is None:
            ex.close()
    return out


def _ready_all(
    problem: RoutingProblem,
    jobs: Sequence[tuple[Territory, RoutingProblem, RoutingSettings, str]],
    ex: Executor,
    runner: Runner,
) -> dict[str, RoutingProblem]:
    """On a road network, the territories of ``jobs`` with their tables computed (in
    parallel on ``ex``) and kept by the whole problem's tables, by key; territories whose
    search the runner's store holds are left out (nothing to compute). Elsewhere none: a
    formula table's block costs less than sending it."""
    if not _on_roads(problem):
        return {}
    store = runner.store
    todo = [(t.key, sub) for t, sub, _, key in jobs if store is None or job_key(key) not in store]
    if not todo:
        return {}
    # kept already (tables_ahead): read here, a slice of the kept blocks; else by the workers
    done: dict[str, Any] = {k: _tables_job(sub) for k, sub in todo if _held(k, sub)}
    rest = sorted((job for job in todo if job[0] not in done), key=lambda j: -_tables_cost(j[1]))
    if rest:  # costliest first: balanced lanes
        done |= run_jobs(
            _tables_job,
            rest,
            executor=ex,
            progress=runner.progress,
            desc=f"{problem.stream} tables",
            unit="territory",
        )
    out: dict[str, RoutingProblem] = {}
    for key, sub in todo:
        result = done[key]
        if isinstance(result, TaskFailure):
            result.reraise()
        _keep(problem, key, sub, result)
        out[key] = _with_blocks(sub, result)
    return out


def _held(key: str, sub: RoutingProblem) -> bool:
    """True when every road table of ``sub`` keeps a whole block under ``key``."""
    tables = (sub.distance_m, *sub.durations_s, *sub.distances_m)
    return all(isinstance(t, RoadTable) and t.holds(key) for t in tables)


def _on_roads(problem: RoutingProblem) -> bool:
    """True when ``problem``'s tables are road tables (each block a search)."""
    return isinstance(problem.distance_m, RoadTable)


def _tables_cost(sub: RoutingProblem) -> float:
    """A guess of what computing ``sub``'s road tables costs, to order the jobs: a search per
    location and profile, each over the area of the territory's box."""
    table = sub.distance_m
    assert isinstance(table, RoadTable)
    x, y = table.router.plane(table.lon, table.lat)
    area = (float(np.ptp(x)) + 1000.0) * (float(np.ptp(y)) + 1000.0)
    return len(sub.locations) * (1 + len(sub.durations_s)) * area


def _with_blocks(lazy: RoutingProblem, blocks: Blocks) -> RoutingProblem:
    """``lazy`` with the tables of ``blocks`` (:func:`_tables`) in place of its road tables:
    what its search reads, so it computes nothing (:meth:`RoutingProblem.dense` is itself)."""
    n_prof = len(lazy.durations_s)
    every = np.arange(len(lazy.locations), dtype=np.intp)
    distance: np.ndarray | RoadTable = blocks[0]
    if lazy.distances_m:  # a new table (the lazy one's key must not change): to sites kept
        table = take_tables((lazy.distance_m,), every)[0]
        assert isinstance(table, RoadTable)
        table.keep(SITES_BLOCK, every, blocks[0], cols=blocks[1])
        distance = table
    return replace(
        lazy,
        distance_m=distance,
        durations_s=blocks[2 : 2 + n_prof],
        distances_m=blocks[2 + n_prof :],
    )


def _content_key(sub: RoutingProblem, own: RoutingSettings) -> str:
    """The content key of one territory search: its problem (lazy, before its tables are
    computed) and settings, not its budget."""
    return "territory3:" + hashlib.sha256(pickle.dumps((sub, own), protocol=5)).hexdigest()


def _describe(payload: tuple[RoutingProblem, RoutingSettings, float, float, str]) -> str:
    """The content key of one territory search (:func:`_content_key`), carried by its job."""
    return payload[4]


def _route_packed(
    payload: tuple[RoutingProblem, RoutingSettings, float, float, str],
) -> tuple[Decoded, Blocks]:
    """:func:`_route_job` of one packed payload (executors call one-argument functions)."""
    return _route_job(*payload[:4])


def _tables_job(lazy: RoutingProblem) -> Blocks:
    """The blocks of one territory's tables (:func:`_tables`), computed where it runs."""
    return _tables(lazy)[1]


Blocks = tuple[np.ndarray, ...]
"""A territory's road tables as the worker computed them (:func:`_tables`), or none."""


def _route_job(
    problem: RoutingProblem, settings: RoutingSettings, seconds: float, latest_wall: float
) -> tuple[Decoded, Blocks]:
    """One territory's search, timed from when it starts (``latest_wall``: ``time.time()``
    after which it must not run), with its road tables (:func:`_tables`)."""
    now = time.time()
    end = min(now + seconds, latest_wall)
    dense, blocks = _tables(problem)  # on roads given (_ready_all); formula blocks made here
    found = run_engine(dense, settings, Deadline.at(time.monotonic() + (end - now)))
    return found, blocks


def _tables(lazy: RoutingProblem) -> tuple[RoutingProblem, Blocks]:
    """``lazy`` with the tables its search reads computed (:meth:`RoutingProblem.dense`), and
    the blocks the whole problem keeps: none unless road tables (the repair, the check and
    the route sheets of the whole problem read a road table's legs one by one, each a search
    of the city unless kept, :meth:`~wasteopt.travel_table.RoadTable.keep`, while a formula
    table computes a leg faster than it could be sent back). Blocks: the unrestricted table's
    block, its columns, then the profiles' seconds and metres."""
    dense = lazy.dense()
    table = dense.distance_m
    if not isinstance(lazy.distance_m, RoadTable):
        return dense, ()
    if isinstance(table, RoadTable):  # to the sites and depots only (dense's docstring)
        _rows, cols, block = table.kept(SITES_BLOCK)
    else:
        cols, block = np.arange(len(lazy.locations), dtype=np.intp), np.asarray(table)
    return dense, (block, cols, *map(np.asarray, (*dense.durations_s, *dense.distances_m)))


def _keep(problem: RoutingProblem, key: str, sub: RoutingProblem, blocks: Blocks) -> None:
    """A territory's road tables (``blocks``, in ``sub``'s locations) kept by the whole
    problem's tables for the legs the repair, the check and the sheets read."""
    if not blocks:
        return
    idx = problem.index()
    positions = [idx[loc] for loc in sub.locations]
    whole = {f.id: f.profile for f in problem.fleets}
    of = {f.profile: whole[f.id] for f in sub.fleets}  # sub's profiles were renumbered
    n = len(sub.durations_s)
    if isinstance(problem.distance_m, RoadTable):  # the unrestricted block: sites, depots
        cols = [positions[int(c)] for c in blocks[1]]
        problem.distance_m.keep(key, positions, blocks[0], cols=cols)
    pairs = []
    for k, w in of.items():
        pairs.append((problem.durations_s[w], blocks[2 + k]))
        if sub.distances_m:
            pairs.append((problem.distances_m[w], blocks[2 + n + k]))
    for table, block in pairs:
        if isinstance(table, RoadTable):
            table.keep(key, positions, block)
