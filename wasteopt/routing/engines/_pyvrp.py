"""PyVRP (0.14) engine: multi-trip collection with unload sites, lunch and shift limits.

Model given to PyVRP
--------------------
- **Locations** are the problem's locations plus one virtual *END* location per garage.
- **Clients** are the stops of the problem's stream: pickup ``load_kg`` (and ``volume_l`` as a
  second load dimension when some fleet limits volume), service time, window ``[tw_start_s,
  tw_end_s]`` for the start of service. With ``depot_unloads`` and a fleet that can carry the
  total load (CVRP/VRPTW benchmarks) they are required, exactly as PyVRP reads its own
  instances. Otherwise they are optional (``required=False``) with a prize far above any
  route's cost, so a fleet that is too small leaves stops out (named as unserved) instead of
  making the model infeasible.
- **Unload sites** are *reload depots* (``VehicleType.reload_depots``): PyVRP empties every load
  dimension there, checks the depot window ``[open_s, close_s]`` on arrival and spends the depot's
  ``service_duration`` (= ``unload_s``) there — verified on 0.14.1: a reload visit's activity lasts
  ``service_duration``. ``max_reloads = max_trips - 1``: the last trip's unload is not a reload.
- **The final unload.** PyVRP delivers the last trip's load at the route's end depot, but our
  vehicles must unload at a site and then drive home empty. Each vehicle type therefore ends at
  its garage's virtual END location, and its *own* routing profile (PyVRP 0.14 has a distance and
  a duration matrix per profile) prices the edge ``j → END`` as the cheapest detour
  ``j → site → garage`` over the sites the type may use: distance ``d(j,s) + d(s,g)``, duration
  ``t(j,s) + unload_s + t(s,g)``. Route distance, duration, cost, shift end and maximum duration
  thus include the final unload and the drive home exactly; only that final site's opening hours
  are not seen by PyVRP (repair below catches a late final unload).
- **Restricted unloading** (``Stop.unload_at``): when some stop may not unload at every site,
  each fleet is split into one vehicle type per site, whose reloads and final unload use only
  that site; a stop that may not unload there is made unreachable in that type's profile
  (duration 10^7 s into it, which no shift window can absorb). Routing profiles are shared per
  (duration profile, group). The split types of a fleet get its full count (budgets of 10 s
  or more) or twice their group's load share of it (:func:`_split_counts`); repair enforces
  the real count
  (merging surplus routes into multi-trip shifts, moving them to a fleet with a spare vehicle,
  or re-inserting their stops).
- **Vehicle types** (one per fleet, or per fleet and site): shift window ``[max(shift_start,
  depot open), min(shift_end, depot close)]``, ``shift_duration = max_duration_s``, capacities
  (kg; litres or unlimited), fixed cost, cost per metre and per second, all integers in the
  smallest unit (1, 0.1, ... 1e-4 CNY) that keeps every rate within 0.5 % (:func:`_cost_scale`;
  PyVRP caps its penalty weights, so needlessly fine units made infeasible moves too cheap).
- **Lunch** (PyVRP has no breaks, PyVRP issues #352/#415): PyVRP solves conservative data — each
  lunch fleet's shift end and maximum duration are reduced by its lunch duration, and the
  ``tw_end`` of every stop and the close time of every site later than the earliest lunch start
  are pulled forward by the longest lunch — so that pushing every visit after the break by one
  lunch usually keeps it feasible. The break is then placed after the visit that gives the
  cheapest feasible schedule (among the last visits after which it can still start in time).
- **Totals over a shift** (``max_stops``, ``max_shift_load_kg``) have no PyVRP counterpart (a
  reload resets every load dimension); repair enforces them.

Repair (:func:`wasteopt.routing.schedule.repair_routes`) schedules every decoded route exactly
(same rules as the checker), removes stops at the first broken rule until the route is
feasible, and re-inserts every removed or left-out stop at the cheapest feasible position (an
existing trip, a new trip, or a spare vehicle); what fits nowhere is returned as unserved. So the
routes returned are always feasible.

Time limit: ``time_limit_s`` is the budget of the whole call. The search stops at a wall-clock
deadline (a stopping criterion that also counts PyVRP's own set-up) that leaves a reserve for
decoding and repair (:func:`_reserve_s`); repair itself shortens its insertion search once the
overall deadline has passed.

Determinism and cores: PyVRP is single-threaded. With ``workers >= 2`` it runs ``workers``
independent searches with seeds ``seed, seed+1, ...`` in parallel (forked) processes, each with
the same deadline, repairs each answer and keeps the best (fewest unserved, lowest cost, lowest
seed). Searches of at most ``SMALL_CLIENTS`` clients also stop after ``max(2000, 20 × clients)``
non-improving iterations: on such small problems the same seed and workers then give the same
plan. Larger searches use the whole budget (stopping on stalls cost quality on CVRPLIB X), so
their result depends on machine speed, as with any time-limited search.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from wasteopt.errors import SolverUnavailable
from wasteopt.routing.plan import Route
from wasteopt.routing.problem import Fleet, RoutingProblem, Stop
from wasteopt.routing.schedule import RouteScheduler, repair_routes

__all__ = ["solve"]

log = logging.getLogger("wasteopt")

MAX_COST_UNITS_PER_CNY = 10_000
RATE_TOLERANCE = 0.005
SPLIT_SLACK = 2.0
"""Under ``FULL_SPLIT_S`` of budget a split vehicle type gets ``min(count, ceil(SPLIT_SLACK ×
count × its group's load share))`` vehicles, from then on the fleet's full count (see
:func:`_split_counts`)."""
FULL_SPLIT_S = 10.0
UNREACHABLE_S = 10_000_000
SMALL_CLIENTS = 50
"""Searches of at most this many clients also stop after ``max(2000, 20 × clients)``
iterations without improvement."""


def _import_pyvrp() -> Any:
    try:
        import pyvrp
        import pyvrp.stop
    except Exception as exc:  # a broken install can raise more than ImportError
        raise SolverUnavailable(
            f"the PyVRP engine needs the 'pyvrp' package (>= 0.14), which failed to import: {exc}"
        ) from exc
    return pyvrp


@dataclass(frozen=True, slots=True, kw_only=True)
class _Decoder:
    """How to turn PyVRP indices back into ids."""

    client_ids: tuple[str, ...]
    depot_site: dict[int, str]  # PyVRP depot index of a reload depot → site id
    type_fleet: tuple[str, ...]  # vehicle type → fleet id
    type_end_site: tuple[tuple[str, ...], ...]  # vehicle type → location → final unload site


@dataclass(frozen=True, slots=True, kw_only=True)
class _Built:
    data: Any  # pyvrp.ProblemData
    decoder: _Decoder
    unservable: tuple[str, ...]


def _eligible_sites(stop: Stop, sites: list[str]) -> list[str]:
    return [s for s in sites if not stop.unload_at or s in stop.unload_at]


def _shift_load_proxy(fleet: Fleet, depot_unloads: bool) -> tuple[int, int | None]:
    """(per-trip kg capacity, trip limit) given to PyVRP for this fleet.

    When ``max_shift_load_kg`` can bind (below ``capacity_kg × max_trips``), the fleet is given
    ``t = ceil(max_shift_load_kg / capacity_kg)`` trips of ``max_shift_load_kg // t`` kg: any
    PyVRP route then respects the shift total (a conservative but exact restriction).
    """
    trips = None if depot_unloads else fleet.max_trips
    msl = fleet.max_shift_load_kg
    cap = fleet.capacity_kg
    if msl is None or depot_unloads or (trips is not None and msl >= cap * trips):
        return cap, trips
    t = max(1, -(-msl // max(1, cap)))
    return min(cap, msl // t), t


def _cost_scale(fleets: list[Fleet]) -> int:
    """Integer cost units per CNY: the smallest power of ten (at most 10^4) at which every
    rate (per metre, per second) and fixed cost rounds within 0.5 %.

    Small units matter: PyVRP's penalties for excess load and time warp are capped (10^5 per
    unit), so costs scaled far above the data's own units leave infeasibility too cheap (seen
    on CVRPLIB X: 9 % worse than PyVRP on its own reading at 10^4 units per CNY).
    """
    rates = [
        r
        for f in fleets
        for r in (f.cost_per_km / 1000, f.cost_per_hour / 3600, f.fixed_cost)
        if r > 0
    ]
    scale = 1
    while scale < MAX_COST_UNITS_PER_CNY and any(
        abs(round(r * scale) - r * scale) > RATE_TOLERANCE * r * scale for r in rates
    ):
        scale *= 10
    return scale


def _split_counts(
    fleets: list[Fleet], used: list[int], load: list[float], time_limit_s: float
) -> dict[tuple[str, int], int]:
    """Vehicles of each fleet given to each unload group's vehicle type.

    One group, or a budget of at least ``FULL_SPLIT_S``: the fleet's full count per type.
    Otherwise ``min(count, ceil(SPLIT_SLACK × count × share))`` where ``share`` is the group's
    part of the total load. Measured on Jintan day 25 ("other": 16 sites, "kitchen": 8, 690
    stops each, one seed, a loaded machine): at 5 s the load shares cost 2–7 % less on "other"
    (kitchen mixed), at 20 s the full counts cost 2 % ("other") and 6 % ("kitchen") less — a
    longer search uses the freedom of choosing sites, a short one is better off with fewer
    surplus routes. Either way PyVRP may use more vehicles than exist; repair merges or moves
    surplus routes (:func:`wasteopt.routing.schedule.repair_routes`).
    """
    if len(used) == 1 or time_limit_s >= FULL_SPLIT_S:
        return {(f.id, k): f.count for f in fleets for k in used}
    total = sum(load[k] for k in used) or 1.0
    return {
        (f.id, k): min(f.count, math.ceil(SPLIT_SLACK * f.count * load[k] / total))
        for f in fleets
        for k in used
    }


def _build(problem: RoutingProblem, pyvrp: Any, time_limit_s: float = 0.0) -> _Built | None:
    """The PyVRP data described in the module docstring (None: nothing can be routed)."""
    idx = problem.index()
    n_loc = len(problem.locations)
    stream = problem.stream
    fleets = [f for f in problem.fleets if f.stream == stream and f.count > 0]
    sites = [s for s in problem.sites if stream in s.streams]
    site_ids = [s.id for s in sites]
    depots = {d.id: d for d in problem.depots}
    if not fleets or (not problem.depot_unloads and not sites):
        return None
    max_cap = max(f.capacity_kg for f in fleets)
    stops: list[Stop] = []
    unservable: list[str] = []
    for s in problem.stops:
        ok = s.stream == stream and s.load_kg <= max_cap
        if not problem.depot_unloads and not _eligible_sites(s, site_ids):
            ok = False
        (stops if ok else unservable).append(s)
    if not stops:
        return None

    lunches = [f.lunch for f in fleets if f.lunch is not None]
    lunch_d = max((lu.duration_s for lu in lunches), default=0)
    lunch_e = min((lu.earliest_s for lu in lunches), default=0)

    def tighten(late: int, early: int) -> int:
        if lunch_d and late >= lunch_e:
            return max(early, late - lunch_d)
        return late

    if problem.depot_unloads:
        groups: list[list[str]] = [[]]
    elif any(s.unload_at and set(site_ids) - set(s.unload_at) for s in stops):
        groups = [[s] for s in site_ids]
    else:
        groups = [site_ids]

    garages = sorted({f.depot for f in fleets}, key=lambda d: idx[d])
    end_loc = {g: n_loc + i for i, g in enumerate(garages)}
    n_all = n_loc + (0 if problem.depot_unloads else len(garages))

    locations = [pyvrp.Location(x=0, y=0, name=loc) for loc in problem.locations]
    locations += [
        pyvrp.Location(x=0, y=0, name=f"END:{g}") for g in garages if not problem.depot_unloads
    ]
    pd_depots = []
    garage_depot: dict[str, int] = {}
    for g in garages:
        d = depots[g]
        garage_depot[g] = len(pd_depots)
        pd_depots.append(pyvrp.Depot(location=idx[g], tw_early=d.open_s, tw_late=d.close_s, name=g))
    site_depot: dict[str, int] = {}
    for s in sites:
        if problem.depot_unloads:
            break
        site_depot[s.id] = len(pd_depots)
        pd_depots.append(
            pyvrp.Depot(
                location=idx[s.id],
                tw_early=s.open_s,
                tw_late=tighten(s.close_s, s.open_s),
                service_duration=s.unload_s,
                name=s.id,
            )
        )
    end_depot: dict[str, int] = {}
    for g in garages:
        if problem.depot_unloads:
            break
        end_depot[g] = len(pd_depots)
        pd_depots.append(pyvrp.Depot(location=end_loc[g], name=f"END:{g}"))

    vol_cap_free = sum(s.volume_l for s in stops) + 1
    base_dist = np.asarray(problem.distance_m, dtype=np.int64)
    scale = _cost_scale(fleets)
    max_fixed = max(round(f.fixed_cost * scale) for f in fleets)
    unit_d = {f.id: max(0, round(f.cost_per_km * scale / 1000)) for f in fleets}
    unit_t = {f.id: max(0, round(f.cost_per_hour * scale / 3600)) for f in fleets}
    max_d = int(base_dist.max(initial=0))
    max_t = max(int(np.asarray(m).max(initial=0)) for m in problem.durations_s)
    prize = (
        10
        * (
            max_fixed
            + 4 * max_d * max(unit_d.values())
            + 4 * max_t * max(unit_t.values())
            + 4 * max_t
        )
        + 1_000_000
    )

    # A second load dimension only when some fleet limits volume.
    n_dims = 2 if any(f.capacity_l > 0 for f in fleets) and any(s.volume_l for s in stops) else 1
    # Required clients when the fleet can plainly carry everything (CVRP/VRPTW benchmarks):
    # PyVRP then searches exactly as on its own instances. Otherwise optional with a prize far
    # above any route's cost, so a too-small fleet leaves stops out instead of failing.
    total_kg = sum(s.load_kg for s in stops)
    required = problem.depot_unloads and total_kg <= sum(f.count * f.capacity_kg for f in fleets)
    clients = [
        pyvrp.Client(
            location=idx[s.id],
            pickup=[s.load_kg, s.volume_l][:n_dims],
            service_duration=s.service_s,
            tw_early=s.tw_start_s,
            tw_late=tighten(s.tw_end_s, s.tw_start_s),
            prize=0 if required else prize,
            required=required,
            name=s.id,
        )
        for s in stops
    ]

    # Stops per unload group (a stop eligible in several groups counts a share in each).
    group_load = [0.0] * len(groups)
    for s in stops:
        elig = [
            k for k, grp in enumerate(groups) if problem.depot_unloads or _eligible_sites(s, grp)
        ]
        for k in elig:
            group_load[k] += s.load_kg / len(elig)
    used_groups = [k for k in range(len(groups)) if group_load[k] > 0]

    # One routing profile per (duration profile, unload group); every garage's END column.
    profile_of: dict[tuple[int, int], int] = {}
    dist_mats: list[np.ndarray] = []
    dur_mats: list[np.ndarray] = []
    end_site_of: dict[tuple[int, str, int], tuple[str, ...]] = {}
    unload_of = {x.id: x.unload_s for x in sites}
    cost_fleet = {}  # one representative fleet per profile for the cheapest-detour choice
    for fleet in fleets:
        cost_fleet.setdefault(fleet.profile, fleet)
    for prof, rep in sorted(cost_fleet.items()):
        dur = np.asarray(problem.durations_s[prof], dtype=np.int64)
        for k in used_groups:
            group = groups[k]
            dm = np.zeros((n_all, n_all), dtype=np.int64)
            tm = np.zeros((n_all, n_all), dtype=np.int64)
            dm[:n_loc, :n_loc] = base_dist
            tm[:n_loc, :n_loc] = dur
            if not problem.depot_unloads:
                for g in garages:
                    gi = idx[g]
                    cols = [idx[sid] for sid in group]
                    dd = base_dist[:n_loc, cols] + base_dist[cols, gi][None, :]
                    tt = (
                        dur[:n_loc, cols]
                        + np.array([unload_of[s] for s in group])[None, :]
                        + dur[cols, gi][None, :]
                    )
                    price = (
                        rep.cost_per_km * dd / 1000
                        + rep.cost_per_hour * tt / 3600
                        + 1e-9 * (dd + tt)
                    )
                    choice = np.argmin(price, axis=1)
                    rows = np.arange(n_loc)
                    e = end_loc[g]
                    dm[:n_loc, e] = dd[rows, choice]
                    tm[:n_loc, e] = tt[rows, choice]
                    end_site_of[(prof, g, k)] = tuple(group[int(c)] for c in choice)
                banned = [idx[s.id] for s in stops if not _eligible_sites(s, group)]
                if banned:
                    tm[:, banned] = UNREACHABLE_S
                    tm[banned, banned] = 0
            profile_of[(prof, k)] = len(dist_mats)
            dist_mats.append(dm)
            dur_mats.append(tm)

    split = _split_counts(fleets, used_groups, group_load, time_limit_s)
    vtypes = []
    type_fleet: list[str] = []
    type_end_site: list[tuple[str, ...]] = []
    for fleet in fleets:
        lunch = fleet.lunch.duration_s if fleet.lunch is not None else 0
        depot = depots[fleet.depot]
        early = max(fleet.shift_start_s, depot.open_s)
        late = max(early, min(fleet.shift_end_s, depot.close_s) - lunch)
        kwargs: dict[str, Any] = {}
        if fleet.max_duration_s is not None:
            kwargs["shift_duration"] = max(0, fleet.max_duration_s - lunch)
        cap_kg, trips = _shift_load_proxy(fleet, problem.depot_unloads)
        if trips is not None:
            kwargs["max_reloads"] = max(0, trips - 1)
        for k in used_groups:
            group = groups[k]
            count = split[(fleet.id, k)]
            if count <= 0:
                continue
            vtypes.append(
                pyvrp.VehicleType(
                    num_available=count,
                    capacity=[cap_kg, fleet.capacity_l or vol_cap_free][:n_dims],
                    start_depot=garage_depot[fleet.depot],
                    end_depot=(
                        garage_depot[fleet.depot]
                        if problem.depot_unloads
                        else end_depot[fleet.depot]
                    ),
                    fixed_cost=round(fleet.fixed_cost * scale),
                    tw_early=early,
                    tw_late=late,
                    unit_distance_cost=unit_d[fleet.id],
                    unit_duration_cost=unit_t[fleet.id],
                    profile=profile_of[(fleet.profile, k)],
                    reload_depots=[site_depot[s] for s in group],
                    name=f"{fleet.id}:{'+'.join(group)}",
                    **kwargs,
                )
            )
            type_fleet.append(fleet.id)
            type_end_site.append(end_site_of.get((fleet.profile, fleet.depot, k), ()))

    data = pyvrp.ProblemData(locations, clients, pd_depots, vtypes, dist_mats, dur_mats)
    decoder = _Decoder(
        client_ids=tuple(s.id for s in stops),
        depot_site={v: k for k, v in site_depot.items()},
        type_fleet=tuple(type_fleet),
        type_end_site=tuple(type_end_site),
    )
    return _Built(data=data, decoder=decoder, unservable=tuple(s.id for s in unservable))


RawRoute = tuple[int, tuple[tuple[bool, int], ...], int]
"""(vehicle type, ((is client, index), ...) between the end depots, start time)."""


class _Deadline:
    """PyVRP stopping criterion: stop at a wall-clock time (``time.time()``), so the search's
    own set-up (neighbourhoods, first local search) counts against the budget too."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, best_cost: float) -> bool:
        return time.time() >= self.deadline


_FORKED_DATA: Any = None  # ProblemData inherited by forked workers (not pickled per task)


def _search(data: Any, seed: int, deadline: float, no_improve: int | None) -> list[RawRoute]:
    """One PyVRP search until ``deadline`` (wall clock); returns its best solution as plain
    tuples (picklable). ``data=None`` reads the data a forked worker inherited."""
    pyvrp = _import_pyvrp()
    from pyvrp.stop import MultipleCriteria, NoImprovement

    if data is None:
        data = _FORKED_DATA
    stop: Any = _Deadline(deadline)
    if no_improve is not None:
        stop = MultipleCriteria([stop, NoImprovement(no_improve)])
    with warnings.catch_warnings():
        # Tight or over-full instances hit PyVRP's penalty bound; repair handles the outcome.
        warnings.simplefilter("ignore", pyvrp.exceptions.PenaltyBoundWarning)
        res = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False, display=False)
    client = pyvrp.ActivityType.CLIENT
    out: list[RawRoute] = []
    for r in res.best.routes():
        acts = list(r)[1:-1]
        out.append(
            (r.vehicle_type(), tuple((a.type == client, a.idx) for a in acts), r.start_time())
        )
    return out


def _decode(
    problem: RoutingProblem, dec: _Decoder, raw: list[RawRoute]
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    idx = problem.index()
    routes: list[tuple[int, int, tuple[str, ...], list[str]]] = []
    served: set[str] = set()
    for vt, acts, start in raw:
        visits: list[str] = []
        for is_client, i in acts:
            if is_client:
                visits.append(dec.client_ids[i])
                served.add(dec.client_ids[i])
            elif i in dec.depot_site:
                visits.append(dec.depot_site[i])
        if not problem.depot_unloads and visits and visits[-1] not in dec.depot_site.values():
            visits.append(dec.type_end_site[vt][idx[visits[-1]]])
        if any(v in served for v in visits):
            fleet_pos = [f.id for f in problem.fleets].index(dec.type_fleet[vt])
            routes.append((fleet_pos, start, tuple(visits), visits))
    routes.sort(key=lambda r: r[:3])
    left = [c for c in dec.client_ids if c not in served]
    fleet_ids = [f.id for f in problem.fleets]
    return [(fleet_ids[r[0]], r[3]) for r in routes], left


def _score(
    sched: RouteScheduler, routes: tuple[Route, ...], unserved: tuple[str, ...]
) -> tuple[int, float]:
    cost = sum(
        sched.evaluate(sched.fleets[r.fleet], r.visits, r.start_s, r.lunch_after).cost
        for r in routes
    )
    return len(unserved), cost


def _reserve_s(problem: RoutingProblem, time_limit_s: float, required: bool, workers: int) -> float:
    """Seconds of the budget kept for decoding and repair after the search (each worker's
    answer is repaired in turn, in the main process).

    Repair of an answer that PyVRP made feasible is one schedule per route; a multi-trip
    answer can leave a few dozen stops to re-insert (measured ~0.3 s for 690 stops).
    """
    n = len(problem.stops)
    need = (0.02 + (2e-4 if required else 6e-4) * n) * workers
    return min(0.3 * time_limit_s, need)


def solve(
    problem: RoutingProblem, *, time_limit_s: float, seed: int, workers: int = 1
) -> tuple[tuple[Route, ...], tuple[str, ...]]:
    """Route ``problem`` with PyVRP within ``time_limit_s`` in total (model building, search,
    repair); returns (feasible routes, unserved stop ids)."""
    global _FORKED_DATA
    deadline = time.time() + time_limit_s
    pyvrp = _import_pyvrp()
    built = _build(problem, pyvrp, time_limit_s)
    if built is None:
        log.warning("pyvrp: nothing to route in %s (no fleet, site or servable stop)", problem.name)
        return (), tuple(s.id for s in problem.stops)
    n_clients = len(built.decoder.client_ids)
    # Small problems stop once the search has stalled (their result is then reproducible);
    # larger ones use the whole budget.
    no_improve = max(2000, 20 * n_clients) if n_clients <= SMALL_CLIENTS else None
    required = bool(built.data.clients()[0].required) if n_clients else False
    workers = max(1, int(workers))
    search_deadline = deadline - _reserve_s(problem, time_limit_s, required, workers)
    seeds = [seed + k for k in range(workers)]
    if workers == 1:
        raws = [_search(built.data, seed, search_deadline, no_improve)]
    else:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods:
            # Forked workers inherit the (possibly large) data instead of unpickling a copy.
            _FORKED_DATA = built.data
            ctx = multiprocessing.get_context("fork")
            payload = None
        else:
            ctx = multiprocessing.get_context()
            payload = built.data
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futs = [
                    pool.submit(_search, payload, s, search_deadline, no_improve) for s in seeds
                ]
                raws = [f.result() for f in futs]
        finally:
            _FORKED_DATA = None
    sched = RouteScheduler(problem)
    best: tuple[tuple[int, float, int], tuple[Route, ...], tuple[str, ...]] | None = None
    for s, raw in zip(seeds, raws, strict=True):
        routes, left = _decode(problem, built.decoder, raw)
        fixed, unserved = repair_routes(
            problem, routes, left + list(built.unservable), scheduler=sched, deadline=deadline
        )
        n_un, cost = _score(sched, fixed, unserved)
        key = (n_un, round(cost, 6), s)
        log.debug("pyvrp seed %d: %d routes, cost %.2f, %d unserved", s, len(fixed), cost, n_un)
        if best is None or key < best[0]:
            best = (key, fixed, unserved)
    assert best is not None
    return best[1], best[2]
