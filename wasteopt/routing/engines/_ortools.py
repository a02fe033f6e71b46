"""OR-Tools routing engine (``ortools.constraint_solver.pywrapcp``) for :class:`RoutingProblem`.

Model
-----
Nodes: one per depot used by a fleet, one per servable stop, for every unload site that accepts
the stream ``c`` interchangeable *reload copies* (``c`` bounds the trips the whole fleet can
make; unused copies cost nothing: each is a disjunction of its own with penalty 0), and one
*end node per vehicle* located at an unload site (round-robin over the sites within a fleet).

The final unload is the route's end: a vehicle's route ends at its end site, after which it
unloads and drives home, both constants of a used vehicle (added to its fixed cost, subtracted
from its latest end time and from ``max_duration``). So every route ends with an unload, and a
stop can always be inserted alone into any route, empty or not. (Requiring the depot return to
follow a reload copy instead made every insertion into an empty route a two-node move: the
first-solution heuristics and the local search then used one vehicle and dropped the rest.)
The price: a vehicle's last trip unloads at its own end site; earlier trips may use any site.

Each stop is a disjunction with a penalty larger than any plan's cost, so a fleet that is too
small still yields a plan and the dropped stops come back as unserved.

Dimensions (cumul at a node = value on arrival there, transits evaluated at the from-node):

- ``time``: transit ``service(from) + duration[profile](from, to)`` per fleet, waiting as slack;
  cumul = start of service. Windows: stops ``[tw_start, tw_end]``, reload copies and end nodes
  the site's ``[open, close]``, vehicle start ``>= max(shift_start, depot open)``, final unload
  early enough to be home by ``min(shift_end, depot close)``; ``max_duration`` is a span upper
  bound and ``cost_per_hour`` a span cost.
- ``kg`` and ``l`` (trip loads): stops add their load, a reload copy adds ``-M`` with slack in
  ``[0, M]`` (slack is fixed to 0 everywhere else), cumuls in ``[0, capacity]``. After a reload
  the load may be anything in ``[0, load before]``; any such plan stays feasible when the
  vehicle really empties (loads are only bounded above), so this is exact (the cvrp_reload
  pattern). Volume is skipped for fleets with ``capacity_l == 0`` (capacity = total volume).
  Empty trips (two unloads in a row) are allowed; extraction removes them.
- ``ban:<site>`` (one per site some stop may not use): counts stops of the current trip whose
  ``unload_at`` excludes the site, reset at every reload; ``== 0`` at that site's copies and end
  nodes, so a trip only ends where all of its stops may unload.
- ``shift_kg`` (no reset, capacity ``max_shift_load_kg``), ``stops`` (``max_stops``) and
  ``trips`` (reload copies count 1, capacity ``max_trips - 1``: the end is a trip too), each only
  when some fleet sets it.

With ``depot_unloads`` there are no reload copies nor end sites: each route is one trip, loads
bounded by capacity, dropped at the depot.

Lunch is a native break interval (start in ``[earliest, latest]``, fixed duration) of the time
dimension, inside the route (``start cumul <= break start``, ``break end <= end cumul``). The
checker requires it only when a route overlaps the window (``start < latest`` and ``end >
earliest``); the model makes it mandatory for every vehicle whose shift can overlap the window
(a conservative simplification: an optional break tied to that condition needs reified
constraints, which the routing cumul optimisers ignore, so no solution was ever accepted).
Fleets whose shift cannot hold a break must end their routes before ``earliest``.
The solved break becomes ``lunch_after = k``, the last visit whose departure is ``<=`` the
break start. The plan's earliest-start schedule is no later than the solver's times (same
departure, never later at any node by induction), so lunch at ``max(departure_k, earliest)``
starts no later than the solver's break start. One relaxation
remains: OR-Tools lets a break interrupt the *drive* to the next visit, while the plan takes it
before driving; the conversion therefore re-simulates the route, trying the solver's ``k`` first
and every other position if that one misses a window (and logs a warning if none fits).

Costs are integers in 1e-6 CNY: fixed cost per vehicle, ``cost_per_km * metres / 1000`` per arc
(one arc evaluator per fleet), ``cost_per_hour / 3600`` per second of span.

Search: a first solution (PATH_CHEAPEST_ARC for worker 0) improved by
GUIDED_LOCAL_SEARCH until the time limit. When a lunch break is modelled, worker 0 instead
starts from wasteopt's own cheapest insertion (:func:`wasteopt.routing.schedule.repair_routes`
on empty routes, at most ``WARM_SHARE`` of the budget), which places the break exactly:
OR-Tools' first-solution heuristics insert stops without room for the break and dropped nearly
every stop on 6–12-stop problems, so guided local search had to recover them and a loaded
machine's short run could end with stops unserved. OR-Tools routing has no random seed and its
trajectory is deterministic; two runs differ only when the time limit stops them at different
points (``seed`` is therefore not used by the search; the caller records it). With
``workers >= 2`` further workers run in spawned processes with other first-solution
strategies; the lowest objective wins, ties go to the lower worker number. A worker that has
not answered shortly after the deadline is terminated and ignored (so ``workers >= 2`` is
deterministic only when every worker finishes in time).

Each route's ``start_s`` is the latest departure that keeps the sequence feasible (it minimises
the route's duration, hence its time cost), found by re-simulating the plan's schedule.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wasteopt.errors import SolverUnavailable
from wasteopt.routing.plan import Route
from wasteopt.routing.problem import HORIZON_S, Fleet, RoutingProblem, Stop

__all__ = ["solve"]

log = logging.getLogger("wasteopt")

COST_SCALE = 1_000_000  # integer cost units per CNY
# Worker w uses STRATEGIES[w] for its first solution, then guided local search.
STRATEGIES = (
    "PATH_CHEAPEST_ARC",
    "PARALLEL_CHEAPEST_INSERTION",
    "SAVINGS",
    "SEQUENTIAL_CHEAPEST_INSERTION",
)
# Seconds kept back from the time limit for model building and extraction in each worker.
_EXTRACT_MARGIN_S = 0.05
# How long after the deadline the main process waits for an extra worker's answer.
_WORKER_GRACE_S = 0.1
# At most this share of the budget goes to the warm start's insertion heuristic (lunch models).
WARM_SHARE = 0.3


def _import_ortools():
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except Exception as exc:  # ImportError or a broken binary wheel
        raise SolverUnavailable(
            f"OR-Tools is not usable ({type(exc).__name__}: {exc}); "
            "install it with `pip install ortools`"
        ) from exc
    return pywrapcp, routing_enums_pb2


@dataclass(frozen=True, slots=True, kw_only=True)
class _Result:
    objective: int
    routes: tuple[Route, ...]
    unserved: tuple[str, ...]


def solve(
    problem: RoutingProblem, *, time_limit_s: float, seed: int, workers: int = 1
) -> tuple[tuple[Route, ...], tuple[str, ...]]:
    """Solve ``problem`` within ``time_limit_s``; return ``(routes of used vehicles, unserved
    stop ids)``. ``seed`` does not influence OR-Tools (deterministic search, see module doc)."""
    _import_ortools()
    deadline = time.monotonic() + max(0.1, float(time_limit_s))
    n_workers = max(1, min(int(workers), len(STRATEGIES)))
    if n_workers == 1:
        res = _solve_one(problem, STRATEGIES[0], deadline_in_s=deadline - time.monotonic())
        return res.routes, res.unserved

    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    wall_deadline = time.time() + (deadline - time.monotonic())
    # A multiprocessing pool (not an executor) so that workers still busy after the deadline
    # (slow start-up, a first-solution phase that overruns its limit) can be terminated: the
    # time limit is for the whole call, and worker 0's plan is always there.
    pool = ctx.Pool(n_workers - 1)
    try:
        pending = [
            pool.apply_async(_solve_one_timed, (problem, STRATEGIES[w], wall_deadline))
            for w in range(1, n_workers)
        ]
        results = [_solve_one(problem, STRATEGIES[0], deadline_in_s=deadline - time.monotonic())]
        for w, job in enumerate(pending, start=1):
            try:
                results.append(
                    job.get(timeout=max(0.0, wall_deadline - time.time()) + _WORKER_GRACE_S)
                )
            except multiprocessing.TimeoutError:
                log.debug("OR-Tools worker %d (%s) missed the deadline", w, STRATEGIES[w])
            except Exception as exc:  # a failed extra worker must not lose worker 0's plan
                log.warning("OR-Tools worker failed: %s", exc)
    finally:
        pool.terminate()
        pool.join()
    best = min(range(len(results)), key=lambda i: (results[i].objective, i))
    log.debug("OR-Tools workers' objectives: %s", [r.objective for r in results])
    return results[best].routes, results[best].unserved


def _solve_one_timed(problem: RoutingProblem, strategy: str, wall_deadline: float) -> _Result:
    """Worker entry point in a spawned process; the deadline is wall-clock (``time.time``)."""
    return _solve_one(problem, strategy, deadline_in_s=wall_deadline - time.time())


# --------------------------------------------------------------------------------------------
# Model


def _usable_sites(problem: RoutingProblem):
    return [s for s in problem.sites if problem.stream in s.streams]


def _work_window(fleet: Fleet, depots: dict) -> tuple[int, int] | None:
    """``(earliest departure, latest return)`` of a fleet's vehicles, ``None`` if empty."""
    d = depots.get(fleet.depot)
    lo = max(fleet.shift_start_s, d.open_s if d else 0, 0)
    hi = min(fleet.shift_end_s, d.close_s if d else HORIZON_S)
    return (lo, hi) if lo <= hi else None


def _servable(problem: RoutingProblem, stop: Stop, site_ids: set[str], fleets: list[Fleet]) -> bool:
    if stop.stream != problem.stream or stop.tw_start_s > stop.tw_end_s:
        return False
    if not any(stop.load_kg <= f.capacity_kg for f in fleets):
        return False
    if not problem.depot_unloads:
        allowed = set(stop.unload_at) & site_ids if stop.unload_at else site_ids
        if not allowed:
            return False
    return True


def _solve_one(problem: RoutingProblem, strategy: str, *, deadline_in_s: float) -> _Result:
    pywrapcp, enums = _import_ortools()
    t0 = time.monotonic()
    idx_of = problem.index()
    fleets = [f for f in problem.fleets if f.stream == problem.stream and f.count > 0]
    sites = [] if problem.depot_unloads else _usable_sites(problem)
    site_ids = {s.id for s in sites}
    stops = [s for s in problem.stops if _servable(problem, s, site_ids, fleets)]
    dropped = tuple(s.id for s in problem.stops if s not in stops)
    if not stops or not fleets:
        return _Result(objective=0, routes=(), unserved=tuple(s.id for s in problem.stops))

    depots = {d.id: d for d in problem.depots}
    depot_ids = list(dict.fromkeys(f.depot for f in fleets))
    vehicles: list[tuple[Fleet, int]] = [
        (f, k) for f in fleets for k in range(1, f.count + 1) if _work_window(f, depots)
    ]
    if not vehicles:
        return _Result(objective=0, routes=(), unserved=tuple(s.id for s in problem.stops))

    # Reload copies per site: enough for every trip the fleet could usefully make.
    n_copies = 0
    if sites:
        total_kg = sum(s.load_kg for s in stops)
        total_l = sum(s.volume_l for s in stops)
        for f, _ in vehicles:
            if f.max_trips is not None:
                n_copies += f.max_trips
            else:
                need = math.ceil(total_kg / max(1, f.capacity_kg))
                if f.capacity_l > 0:
                    need = max(need, math.ceil(total_l / f.capacity_l))
                n_copies += need + 2
        n_copies = max(1, min(n_copies, len(stops)))

    # Node table: depots, stops, reload copies.
    node_ids: list[str] = list(depot_ids)  # id reported in Route.visits (depots never are)
    node_kind: list[str] = ["depot"] * len(depot_ids)
    node_obj: list[object] = [depots.get(d) for d in depot_ids]
    for s in stops:
        node_ids.append(s.id)
        node_kind.append("stop")
        node_obj.append(s)
    for site in sites:
        for _ in range(n_copies):
            node_ids.append(site.id)
            node_kind.append("reload")
            node_obj.append(site)
    n_inner = len(node_ids)  # nodes that may be visited (depots, stops, reload copies)
    n_v = len(vehicles)
    # With unload sites, each vehicle's route *ends* at a site of its own (its final unload),
    # round-robin over the sites within a fleet; unload time and the drive back to the depot
    # are then constants of a used vehicle. A stop can thus always be inserted alone into any
    # route, empty or not, which the first-solution heuristics and local search need.
    end_site = [sites[(k - 1) % len(sites)] if sites else None for _, k in vehicles]
    for site in end_site:
        if site is not None:
            node_ids.append(site.id)
            node_kind.append("end")
            node_obj.append(site)
    n_nodes = len(node_ids)
    loc = np.array([idx_of[i] for i in node_ids], dtype=np.int64)
    svc = np.array(
        [
            o.service_s if k == "stop" else (o.unload_s if k == "reload" else 0)
            for k, o in zip(node_kind, node_obj, strict=True)
        ],
        dtype=np.int64,
    )
    is_stop = np.array([k == "stop" for k in node_kind])
    is_reload = np.array([k == "reload" for k in node_kind])
    depot_node = {d: i for i, d in enumerate(depot_ids)}
    starts = [depot_node[f.depot] for f, _ in vehicles]
    ends = list(range(n_inner, n_nodes)) if sites else starts

    manager = pywrapcp.RoutingIndexManager(n_nodes, n_v, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    def unary(values: np.ndarray) -> int:
        return routing.RegisterUnaryTransitVector([int(v) for v in values])

    # ---- costs ---------------------------------------------------------------------------
    dist = np.asarray(problem.distance_m, dtype=np.int64)[np.ix_(loc, loc)]
    cost_cb: dict[float, int] = {}
    for v, (f, _) in enumerate(vehicles):
        if f.cost_per_km not in cost_cb:
            m = np.rint(dist * (f.cost_per_km * COST_SCALE / 1000.0)).astype(np.int64)
            cost_cb[f.cost_per_km] = routing.RegisterTransitMatrix(m.tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[f.cost_per_km], v)
        routing.SetFixedCostOfVehicle(round(f.fixed_cost * COST_SCALE), v)

    # ---- time ----------------------------------------------------------------------------
    time_cb: dict[int, int] = {}
    for f in fleets:
        if f.profile not in time_cb:
            dur = np.asarray(problem.durations_s[f.profile], dtype=np.int64)[np.ix_(loc, loc)]
            mat = dur + svc[:, None]
            time_cb[f.profile] = routing.RegisterTransitMatrix(mat.tolist())
    horizon = max(
        [HORIZON_S]
        + [f.shift_end_s for f in fleets]
        + [s.tw_end_s for s in stops]
        + [s.close_s for s in sites]
    )
    routing.AddDimensionWithVehicleTransits(
        [time_cb[f.profile] for f, _ in vehicles], horizon, horizon, False, "time"
    )
    tdim = routing.GetDimensionOrDie("time")
    for n in range(len(depot_ids), n_inner):
        o = node_obj[n]
        lo, hi = (o.tw_start_s, o.tw_end_s) if node_kind[n] == "stop" else (o.open_s, o.close_s)
        tdim.CumulVar(manager.NodeToIndex(n)).SetRange(max(0, lo), min(horizon, hi))
    max_cost_per_s = 0
    for v, (f, _) in enumerate(vehicles):
        lo, hi = _work_window(f, depots)
        hi = min(hi, horizon)
        coef = round(f.cost_per_hour * COST_SCALE / 3600.0)
        max_dur = f.max_duration_s
        end_lo, end_hi = lo, hi
        site = end_site[v]
        if site is not None:
            # End cumul = start of the final unload; then unload and drive home (constants).
            back_s = int(problem.durations_s[f.profile][idx_of[site.id], idx_of[f.depot]])
            back_m = int(problem.distance_m[idx_of[site.id], idx_of[f.depot]])
            tail_s = site.unload_s + back_s
            end_lo, end_hi = max(lo, site.open_s), min(hi - tail_s, site.close_s)
            max_dur = None if max_dur is None else max_dur - tail_s
            tail_cost = coef * tail_s + f.cost_per_km * back_m * COST_SCALE / 1000.0
            routing.SetFixedCostOfVehicle(round(f.fixed_cost * COST_SCALE + tail_cost), v)
        tdim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        if end_lo > end_hi or (max_dur is not None and max_dur < 0):
            routing.NextVar(routing.Start(v)).SetValue(routing.End(v))  # cannot work
        else:
            tdim.CumulVar(routing.End(v)).SetRange(end_lo, end_hi)
            if max_dur is not None:
                tdim.SetSpanUpperBoundForVehicle(int(max_dur), v)
        if coef > 0:
            tdim.SetSpanCostCoefficientForVehicle(coef, v)
        max_cost_per_s = max(max_cost_per_s, coef)
    # Let the finalizer choose the tightest schedule (it may otherwise leave starts early).
    for v in range(n_v):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))

    # ---- lunch breaks -------------------------------------------------------------------
    breaks: dict[int, object] = {}
    if any(f.lunch is not None for f in fleets):
        nvt = [0] * routing.Size()
        for index in range(routing.Size()):
            nvt[index] = int(svc[manager.IndexToNode(index)])
        for v, (f, k) in enumerate(vehicles):
            lunch = f.lunch
            if lunch is None:
                continue
            lo, hi = _work_window(f, depots)
            if hi <= lunch.earliest_s or lo >= lunch.latest_s:
                continue  # no route of this fleet can overlap the lunch window
            start_c = tdim.CumulVar(routing.Start(v))
            end_c = tdim.CumulVar(routing.End(v))
            first = max(lunch.earliest_s, lo)
            if first > lunch.latest_s or first + lunch.duration_s > hi:
                # No break fits in the shift: routes must end before the window opens.
                end_c.SetMax(lunch.earliest_s)
                continue
            iv = solver.FixedDurationIntervalVar(
                int(lunch.earliest_s), int(lunch.latest_s), int(lunch.duration_s), False,
                f"lunch {f.id}#{k}",
            )  # fmt: skip
            tdim.SetBreakIntervalsOfVehicle([iv], v, nvt)
            # Inside the route: never before departure nor after the return.
            solver.Add(iv.StartExpr() >= start_c)
            solver.Add(iv.EndExpr() <= end_c)
            breaks[v] = iv

    # ---- loads ---------------------------------------------------------------------------
    def reset_dimension(name: str, per_stop: np.ndarray, caps: Sequence[int]) -> object:
        """A cumulative quantity that a reload copy may drop to any value down to 0."""
        big = int(max(max(caps), 1))
        transit = np.where(is_stop, per_stop, 0) - np.where(is_reload, big, 0)
        slack = big if sites else 0
        routing.AddDimensionWithVehicleCapacity(
            unary(transit), slack, [int(c) for c in caps], True, name
        )
        dim = routing.GetDimensionOrDie(name)
        if sites:
            for index in range(routing.Size()):
                if not is_reload[manager.IndexToNode(index)]:
                    dim.SlackVar(index).SetValue(0)
        return dim

    kg_of = np.array(
        [o.load_kg if k == "stop" else 0 for k, o in zip(node_kind, node_obj, strict=True)]
    )
    reset_dimension("kg", kg_of, [f.capacity_kg for f, _ in vehicles])
    total_l = int(sum(s.volume_l for s in stops))
    if total_l > 0 and any(f.capacity_l > 0 for f in fleets):
        l_of = np.array(
            [o.volume_l if k == "stop" else 0 for k, o in zip(node_kind, node_obj, strict=True)]
        )
        reset_dimension(
            "l", l_of, [f.capacity_l if f.capacity_l > 0 else total_l for f, _ in vehicles]
        )
    if sites:
        n_s = len(stops)
        for site in sites:
            banned = np.array(
                [
                    k == "stop" and bool(o.unload_at) and site.id not in o.unload_at
                    for k, o in zip(node_kind, node_obj, strict=True)
                ]
            )
            if not banned.any():
                continue
            ban_dim = reset_dimension(f"ban:{site.id}", banned.astype(np.int64), [n_s] * n_v)
            for n in range(n_inner):
                if is_reload[n] and node_obj[n] is site:
                    ban_dim.CumulVar(manager.NodeToIndex(n)).SetMax(0)
            for v in range(n_v):
                if end_site[v] is site:
                    ban_dim.CumulVar(routing.End(v)).SetMax(0)
    total_kg = int(kg_of.sum())
    if any(f.max_shift_load_kg is not None and f.max_shift_load_kg < total_kg for f in fleets):
        caps = [
            total_kg if f.max_shift_load_kg is None else int(f.max_shift_load_kg)
            for f, _ in vehicles
        ]
        routing.AddDimensionWithVehicleCapacity(unary(kg_of), 0, caps, True, "shift_kg")
    if any(f.max_stops is not None and f.max_stops < len(stops) for f in fleets):
        caps = [len(stops) if f.max_stops is None else int(f.max_stops) for f, _ in vehicles]
        routing.AddDimensionWithVehicleCapacity(
            unary(is_stop.astype(np.int64)), 0, caps, True, "stops"
        )
    if sites and any(f.max_trips is not None for f in fleets):
        caps = [
            # The final unload (the route's end) is one trip; reload copies count the others.
            n_copies * len(sites) if f.max_trips is None else int(f.max_trips) - 1
            for f, _ in vehicles
        ]
        routing.AddDimensionWithVehicleCapacity(
            unary(is_reload.astype(np.int64)), 0, caps, True, "trips"
        )

    # ---- optional nodes ------------------------------------------------------------------
    # A dropped stop must cost more than any plan: every vehicle used all day on the longest arcs.
    max_arc_m = int(dist.max()) if dist.size else 0
    bound = max_cost_per_s * horizon * n_v + sum(
        (f.fixed_cost + f.cost_per_km * max_arc_m / 1000.0 * (n_nodes + 1)) * COST_SCALE
        for f, _ in vehicles
    )
    penalty = int(min(max(bound + 1, 1e9), 2**52))
    for n in range(len(depot_ids), n_inner):
        routing.AddDisjunction([manager.NodeToIndex(n)], penalty if is_stop[n] else 0)

    # ---- search --------------------------------------------------------------------------
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(enums.FirstSolutionStrategy, strategy)
    params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    remaining = deadline_in_s - (time.monotonic() - t0) - _EXTRACT_MARGIN_S
    params.time_limit.FromMilliseconds(max(50, int(remaining * 1000)))
    params.log_search = bool(os.environ.get("WASTEOPT_ORTOOLS_LOG"))
    assignment = None
    if breaks and strategy == STRATEGIES[0]:
        # Cheapest insertion with the lunch break handled exactly (wasteopt's own scheduler):
        # OR-Tools' first-solution heuristics insert stops without room for the break and
        # drop nearly all of them, leaving guided local search to recover (seen on 6–12-stop
        # problems: most stops still dropped after 0.4 s).
        seqs = _warm_start(
            problem,
            manager,
            vehicles,
            end_site,
            node_ids,
            node_kind,
            t0 + WARM_SHARE * deadline_in_s,
        )
        if seqs is not None:
            remaining = deadline_in_s - (time.monotonic() - t0) - _EXTRACT_MARGIN_S
            params.time_limit.FromMilliseconds(max(50, int(remaining * 1000)))
            routing.CloseModelWithParameters(params)
            # RoutesToAssignment only sets the successor variables; ReadAssignmentFromRoutes
            # would run an unbounded CP search for the cumuls (it hung with breaks).
            warm = solver.Assignment()
            if routing.RoutesToAssignment(seqs, True, True, warm):
                assignment = routing.SolveFromAssignmentWithParameters(warm, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)
    log.debug("OR-Tools (%s) status %s", strategy, routing.status())
    if assignment is None:
        log.warning("OR-Tools (%s) found no solution for %s", strategy, problem.name)
        return _Result(objective=2**62, routes=(), unserved=tuple(s.id for s in problem.stops))

    # ---- extraction ----------------------------------------------------------------------
    routes: list[Route] = []
    served: set[str] = set()
    for v, (f, k) in enumerate(vehicles):
        index = routing.Start(v)
        nodes: list[int] = []
        times: list[int] = [assignment.Value(tdim.CumulVar(index))]
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            times.append(assignment.Value(tdim.CumulVar(index)))
            index = assignment.Value(routing.NextVar(index))
        if not nodes:
            continue
        if end_site[v] is not None:
            nodes.append(manager.IndexToNode(index))  # the final unload (the route's end)
            times.append(assignment.Value(tdim.CumulVar(index)))
        visits = tuple(node_ids[n] for n in nodes)
        served.update(node_ids[n] for n in nodes if is_stop[n])
        lunch_k: int | None = None
        if v in breaks and assignment.PerformedValue(breaks[v]):
            b_start = assignment.StartValue(breaks[v])
            departures = [times[0]] + [
                t + int(svc[n]) for t, n in zip(times[1:], nodes, strict=True)
            ]
            lunch_k = max(i for i, dep in enumerate(departures) if dep <= b_start or i == 0) - 1
        route = _drop_empty_trips(problem, f, k, visits, times[0], lunch_k, v in breaks)
        if route.visits:
            routes.append(route)
    unserved = dropped + tuple(s.id for s in stops if s.id not in served)
    order = {s.id: i for i, s in enumerate(problem.stops)}
    return _Result(
        objective=int(assignment.ObjectiveValue()),
        routes=tuple(routes),
        unserved=tuple(sorted(unserved, key=order.__getitem__)),
    )


def _warm_start(
    problem: RoutingProblem, manager, vehicles, end_site, node_ids, node_kind, deadline_mono: float
) -> list[list[int]] | None:
    """Initial routes (routing indices per vehicle) from
    :func:`wasteopt.routing.schedule.repair_routes` (insertion of every stop into empty
    routes), or ``None`` if they do not map onto the model.

    Each route goes to an unused vehicle of its fleet, preferably one whose end site is the
    route's last unload (that visit becomes the route's end); other unloads use free reload
    copies of their site.
    """
    from wasteopt.routing.schedule import repair_routes

    wall_deadline = time.time() + (deadline_mono - time.monotonic())
    stop_node = {node_ids[n]: n for n, k in enumerate(node_kind) if k == "stop"}
    copies: dict[str, list[int]] = {}
    for n, k in enumerate(node_kind):
        if k == "reload":
            copies.setdefault(node_ids[n], []).append(n)
    sub = dataclasses.replace(problem, stops=tuple(s for s in problem.stops if s.id in stop_node))
    try:
        routes, _ = repair_routes(sub, [], [s.id for s in sub.stops], deadline=wall_deadline)
    except Exception as exc:  # the warm start is an optimisation, never a failure
        log.debug("OR-Tools warm start failed: %s", exc)
        return None
    free = list(range(len(vehicles)))
    seqs: list[list[int]] = [[] for _ in vehicles]
    for r in routes:
        mine = [v for v in free if vehicles[v][0].id == r.fleet]
        if not mine:
            return None
        last = r.visits[-1] if r.visits else None
        v = next((v for v in mine if end_site[v] is not None and end_site[v].id == last), mine[0])
        free.remove(v)
        visits = list(r.visits)
        if end_site[v] is not None and visits and visits[-1] == end_site[v].id:
            visits.pop()
        seq = []
        for x in visits:
            if x in stop_node:
                seq.append(stop_node[x])
            elif copies.get(x):
                seq.append(copies[x].pop())
            else:
                return None
        seqs[v] = [manager.NodeToIndex(n) for n in seq]
    return seqs


# --------------------------------------------------------------------------------------------
# The plan's schedule (earliest start), used to fix start_s and lunch_after


def _simulate(
    problem: RoutingProblem,
    fleet: Fleet,
    visits: tuple[str, ...],
    start_s: int,
    lunch_after: int | None,
    lookup: dict[str, object],
) -> int | None:
    """Return time to the depot if the route meets every time rule of the checker from
    departure ``start_s``, else ``None``."""
    idx = lookup["__index__"]
    dur = problem.durations_s[fleet.profile]
    depot = next((d for d in problem.depots if d.id == fleet.depot), None)
    if start_s < fleet.shift_start_s or (depot is not None and start_s < depot.open_s):
        return None
    lunch = fleet.lunch
    t = start_s
    taken = False

    def take(ready: int) -> int | None:
        ls = max(ready, lunch.earliest_s)
        return None if ls > lunch.latest_s else ls + lunch.duration_s

    if lunch_after == -1:
        t = take(t)
        taken = True
        if t is None:
            return None
    prev = idx[fleet.depot]
    for i, vid in enumerate(visits):
        o = lookup[vid]
        here = idx[vid]
        arrival = t + int(dur[prev, here])
        prev = here
        if isinstance(o, Stop):
            begin = max(arrival, o.tw_start_s)
            if begin > o.tw_end_s:
                return None
            t = begin + o.service_s
        else:
            begin = max(arrival, o.open_s)
            if begin > o.close_s:
                return None
            t = begin + o.unload_s
        if lunch_after == i:
            t = take(t)
            taken = True
            if t is None:
                return None
    end = t + int(dur[prev, idx[fleet.depot]])
    if end > fleet.shift_end_s or (depot is not None and end > depot.close_s):
        return None
    if fleet.max_duration_s is not None and end - start_s > fleet.max_duration_s:
        return None
    # A route overlapping the lunch window must take the break.
    if lunch is None or taken or start_s >= lunch.latest_s or end <= lunch.earliest_s:
        return end
    return None


def _latest_start(ok, lo: int, hi: int) -> int:
    """Largest ``s`` in ``[lo, hi]`` with ``ok(s)``, given ``ok(lo)`` (binary search)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _drop_empty_trips(
    problem: RoutingProblem,
    fleet: Fleet,
    k: int,
    visits: tuple[str, ...],
    solver_start_s: int,
    lunch_k: int | None,
    has_lunch: bool,
) -> Route:
    """Remove unload visits that end a trip without stops, then fix times (``_finish_route``).

    An unload right after another unload at the same site is always safe to drop: the next
    visit is reached from the same place, no later. Other empty trips (an unload first thing,
    or at a second site) are dropped only if the route stays feasible and gets no longer.
    """
    route = _finish_route(problem, fleet, k, visits, solver_start_s, lunch_k, has_lunch)
    stop_ids = {s.id for s in problem.stops}
    idx = problem.index()
    depot = idx[fleet.depot]

    def length(vs: tuple[str, ...]) -> int:
        path = [depot, *(idx[x] for x in vs), depot]
        return int(sum(problem.distance_m[a, b] for a, b in itertools.pairwise(path)))

    i = 0
    while i < len(route.visits):
        vs = route.visits
        empty = vs[i] not in stop_ids and (i == 0 or vs[i - 1] not in stop_ids)
        if not empty:
            i += 1
            continue
        trial_visits = vs[:i] + vs[i + 1 :]
        la = route.lunch_after
        trial_lunch = None if la is None else (la - 1 if la >= i else la)
        trial = _finish_route(
            problem, fleet, k, trial_visits, route.start_s, trial_lunch, has_lunch
        )
        same_site = i > 0 and vs[i - 1] == vs[i]
        if same_site or (_route_ok(problem, fleet, trial) and length(trial_visits) <= length(vs)):
            route = trial
        else:
            i += 1
    return route


def _route_ok(problem: RoutingProblem, fleet: Fleet, route: Route) -> bool:
    lookup: dict[str, object] = {s.id: s for s in problem.stops}
    lookup.update({s.id: s for s in problem.sites})
    lookup["__index__"] = problem.index()
    end = _simulate(problem, fleet, route.visits, route.start_s, route.lunch_after, lookup)
    return end is not None


def _finish_route(
    problem: RoutingProblem,
    fleet: Fleet,
    k: int,
    visits: tuple[str, ...],
    solver_start_s: int,
    lunch_k: int | None,
    has_lunch: bool,
) -> Route:
    """Choose ``lunch_after`` (solver's position first) and the latest feasible departure."""
    lookup: dict[str, object] = {s.id: s for s in problem.stops}
    lookup.update({s.id: s for s in problem.sites})
    lookup["__index__"] = problem.index()
    hi = fleet.shift_end_s
    candidates: list[int | None] = [lunch_k]
    if has_lunch:
        candidates += [c for c in [None, *range(-1, len(visits))] if c != lunch_k]
    lo_bound = fleet.shift_start_s
    best: tuple[int, Route] | None = None  # (duration, route): the shortest feasible wins
    for lunch_after in candidates:

        def ok(s: int, la=lunch_after) -> bool:
            return _simulate(problem, fleet, visits, s, la, lookup) is not None

        # The solver's departure is feasible for its own lunch position; otherwise scan the
        # shift for a feasible departure (coarse grid, then refine upwards).
        seed_start = solver_start_s if ok(solver_start_s) else None
        if seed_start is None:
            for s in range(lo_bound, hi + 1, 900):
                if ok(s):
                    seed_start = s
                    break
        if seed_start is None:
            continue
        start = _latest_start(ok, seed_start, hi)
        duration = _simulate(problem, fleet, visits, start, lunch_after, lookup) - start
        if best is None or duration < best[0]:
            route = Route(vehicle=f"{fleet.id}#{k}", fleet=fleet.id, start_s=start,
                          visits=visits, lunch_after=lunch_after)  # fmt: skip
            best = (duration, route)
    if best is not None:
        if best[1].lunch_after != lunch_k:
            log.debug("%s#%d: lunch moved from %s to %s", fleet.id, k, lunch_k, best[1].lunch_after)
        return best[1]
    log.warning(
        "%s#%d: no departure/lunch position makes the solver's sequence meet the plan's "
        "time rules; returning it as solved", fleet.id, k,
    )  # fmt: skip
    return Route(vehicle=f"{fleet.id}#{k}", fleet=fleet.id, start_s=solver_start_s,
                 visits=visits, lunch_after=lunch_k)  # fmt: skip
