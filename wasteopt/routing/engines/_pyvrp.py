"""PyVRP (0.14) engine: multi-trip collection with unload sites, lunch and shift limits.

Model given to PyVRP
--------------------
- **Locations** are the problem's locations plus one virtual *END* location per garage.
- **Clients** are the stops of the problem's stream: pickup ``[load_kg, volume_l]`` (two load
  dimensions), service time, window ``[tw_start_s, tw_end_s]`` for the start of service. They are
  optional (``required=False``) with a prize far above any route's cost, so PyVRP always returns
  its best plan and a fleet that is too small leaves stops out (named as unserved) instead of
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
  (duration 10^7 s into it, which no shift window can absorb). Each split type gets the fleet's
  full ``count``; repair enforces the real count (merging or re-inserting surplus routes).
- **Vehicle types** (one per fleet, or per fleet and site): shift window ``[max(shift_start,
  depot open), min(shift_end, depot close)]``, ``shift_duration = max_duration_s``, capacities
  (kg; litres or unlimited), fixed cost, cost per metre and per second, all in integer units of
  1e-4 CNY (per metre ``cost_per_km * 10``; per second ``cost_per_hour / 0.36``).
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

Determinism and cores: PyVRP is single-threaded. With ``workers >= 2`` it runs ``workers``
independent searches with seeds ``seed, seed+1, ...`` in parallel processes, each with the full
time limit, repairs each answer and keeps the best (fewest unserved, lowest cost, lowest seed).
Each search stops after the time limit or after a number of non-improving iterations
(``max(2000, 20 × stops)``). When the iteration criterion stops it (tiny and small instances),
the same seed and workers give the same plan; when the time limit stops it, the result depends on
machine speed, as with any time-limited search.
"""

from __future__ import annotations

import logging
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

COST_UNITS_PER_CNY = 10_000
UNREACHABLE_S = 10_000_000


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


def _build(problem: RoutingProblem, pyvrp: Any) -> _Built | None:
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
    locations += [pyvrp.Location(x=0, y=0, name=f"END:{g}")
                  for g in garages if not problem.depot_unloads]
    pd_depots = []
    garage_depot: dict[str, int] = {}
    for g in garages:
        d = depots[g]
        garage_depot[g] = len(pd_depots)
        pd_depots.append(pyvrp.Depot(location=idx[g], tw_early=d.open_s, tw_late=d.close_s,
                                     name=g))
    site_depot: dict[str, int] = {}
    for s in sites:
        if problem.depot_unloads:
            break
        site_depot[s.id] = len(pd_depots)
        pd_depots.append(pyvrp.Depot(location=idx[s.id], tw_early=s.open_s,
                                     tw_late=tighten(s.close_s, s.open_s),
                                     service_duration=s.unload_s, name=s.id))
    end_depot: dict[str, int] = {}
    for g in garages:
        if problem.depot_unloads:
            break
        end_depot[g] = len(pd_depots)
        pd_depots.append(pyvrp.Depot(location=end_loc[g], name=f"END:{g}"))

    vol_cap_free = sum(s.volume_l for s in stops) + 1
    base_dist = np.asarray(problem.distance_m, dtype=np.int64)
    max_fixed = max(round(f.fixed_cost * COST_UNITS_PER_CNY) for f in fleets)
    unit_d = {f.id: max(0, round(f.cost_per_km * COST_UNITS_PER_CNY / 1000)) for f in fleets}
    unit_t = {f.id: max(0, round(f.cost_per_hour * COST_UNITS_PER_CNY / 3600)) for f in fleets}
    max_d = int(base_dist.max(initial=0))
    max_t = max(int(np.asarray(m).max(initial=0)) for m in problem.durations_s)
    prize = 10 * (max_fixed + 4 * max_d * max(unit_d.values()) + 4 * max_t
                  * max(unit_t.values()) + 4 * max_t) + 1_000_000

    clients = [
        pyvrp.Client(location=idx[s.id], pickup=[s.load_kg, s.volume_l],
                     service_duration=s.service_s, tw_early=s.tw_start_s,
                     tw_late=tighten(s.tw_end_s, s.tw_start_s), prize=prize, required=False,
                     name=s.id)
        for s in stops
    ]

    vtypes = []
    dist_mats: list[np.ndarray] = []
    dur_mats: list[np.ndarray] = []
    type_fleet: list[str] = []
    type_end_site: list[tuple[str, ...]] = []
    for fleet in fleets:
        dur = np.asarray(problem.durations_s[fleet.profile], dtype=np.int64)
        for group in groups:
            dm = np.zeros((n_all, n_all), dtype=np.int64)
            tm = np.zeros((n_all, n_all), dtype=np.int64)
            dm[:n_loc, :n_loc] = base_dist
            tm[:n_loc, :n_loc] = dur
            end_sites: tuple[str, ...] = ()
            if not problem.depot_unloads:
                g = idx[fleet.depot]
                costs = []
                for sid in group:
                    s = idx[sid]
                    unload = next(x.unload_s for x in sites if x.id == sid)
                    dd = base_dist[:n_loc, s] + base_dist[s, g]
                    tt = dur[:n_loc, s] + unload + dur[s, g]
                    costs.append((dd, tt, fleet.cost_per_km * dd / 1000
                                  + fleet.cost_per_hour * tt / 3600 + 1e-9 * (dd + tt)))
                choice = np.argmin(np.stack([c[2] for c in costs]), axis=0)
                e = end_loc[fleet.depot]
                dm[:n_loc, e] = np.choose(choice, [c[0] for c in costs])
                tm[:n_loc, e] = np.choose(choice, [c[1] for c in costs])
                end_sites = tuple(group[int(c)] for c in choice)
                for s in stops:
                    if not _eligible_sites(s, group):
                        tm[:, idx[s.id]] = UNREACHABLE_S
                        tm[idx[s.id], idx[s.id]] = 0
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
            vtypes.append(pyvrp.VehicleType(
                num_available=fleet.count,
                capacity=[cap_kg, fleet.capacity_l or vol_cap_free],
                start_depot=garage_depot[fleet.depot],
                end_depot=(garage_depot[fleet.depot] if problem.depot_unloads
                           else end_depot[fleet.depot]),
                fixed_cost=round(fleet.fixed_cost * COST_UNITS_PER_CNY),
                tw_early=early,
                tw_late=late,
                unit_distance_cost=unit_d[fleet.id],
                unit_duration_cost=unit_t[fleet.id],
                profile=len(dist_mats),
                reload_depots=[site_depot[s] for s in group],
                name=f"{fleet.id}:{'+'.join(group)}",
                **kwargs,
            ))
            dist_mats.append(dm)
            dur_mats.append(tm)
            type_fleet.append(fleet.id)
            type_end_site.append(end_sites)

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


def _search(data: Any, seed: int, time_limit_s: float, no_improve: int) -> list[RawRoute]:
    """One PyVRP search; returns its best solution as plain tuples (picklable)."""
    pyvrp = _import_pyvrp()
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    stop = MultipleCriteria([MaxRuntime(max(0.01, time_limit_s)), NoImprovement(no_improve)])
    with warnings.catch_warnings():
        # Tight or over-full instances hit PyVRP's penalty bound; repair handles the outcome.
        warnings.simplefilter("ignore", pyvrp.exceptions.PenaltyBoundWarning)
        res = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False, display=False)
    client = pyvrp.ActivityType.CLIENT
    out: list[RawRoute] = []
    for r in res.best.routes():
        acts = list(r)[1:-1]
        out.append((r.vehicle_type(),
                    tuple((a.type == client, a.idx) for a in acts), r.start_time()))
    return out


def _decode(problem: RoutingProblem, dec: _Decoder,
            raw: list[RawRoute]) -> tuple[list[tuple[str, list[str]]], list[str]]:
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


def _score(problem: RoutingProblem, routes: tuple[Route, ...],
           unserved: tuple[str, ...]) -> tuple[int, float]:
    sched = RouteScheduler(problem)
    fleets = {f.id: f for f in problem.fleets}
    cost = sum(sched.evaluate(fleets[r.fleet], r.visits, r.start_s, r.lunch_after).cost
               for r in routes)
    return len(unserved), cost


def solve(problem: RoutingProblem, *, time_limit_s: float, seed: int,
          workers: int = 1) -> tuple[tuple[Route, ...], tuple[str, ...]]:
    """Route ``problem`` with PyVRP; returns (feasible routes, unserved stop ids)."""
    pyvrp = _import_pyvrp()
    built = _build(problem, pyvrp)
    if built is None:
        log.warning("pyvrp: nothing to route in %s (no fleet, site or servable stop)",
                    problem.name)
        return (), tuple(s.id for s in problem.stops)
    no_improve = max(2000, 20 * len(built.decoder.client_ids))
    workers = max(1, int(workers))
    seeds = [seed + k for k in range(workers)]
    if workers == 1:
        raws = [_search(built.data, seed, time_limit_s, no_improve)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futs = [pool.submit(_search, built.data, s, time_limit_s, no_improve)
                    for s in seeds]
            raws = [f.result() for f in futs]
    best: tuple[tuple[int, float, int], tuple[Route, ...], tuple[str, ...]] | None = None
    for s, raw in zip(seeds, raws, strict=True):
        routes, left = _decode(problem, built.decoder, raw)
        fixed, unserved = repair_routes(problem, routes, left + list(built.unservable))
        n_un, cost = _score(problem, fixed, unserved)
        key = (n_un, round(cost, 6), s)
        log.debug("pyvrp seed %d: %d routes, cost %.2f, %d unserved", s, len(fixed), cost, n_un)
        if best is None or key < best[0]:
            best = (key, fixed, unserved)
    assert best is not None
    return best[1], best[2]
