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
small still yields a plan and the dropped stops come back as unserved. A stop that allows only
some fleets (``Stop.fleets``: access) may only be visited by their vehicles (the others are
removed from its ``VehicleVar``); one with no such vehicle is not a node (unserved).

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
starts no later than the solver's break start. Two relaxations
remain: OR-Tools lets a break interrupt the *drive* to the next visit, while the plan takes it
before driving; and the solver's break may fall after a loaded stop, while the plan takes it
only empty at the depot or an unload site (unless the fleet may eat anywhere). The conversion
therefore re-simulates the route, trying the solver's place (or the nearest allowed one before
it) first and every other allowed place if that one misses a window; an answer with a route
that no place fits is repaired as PyVRP's are (:func:`wasteopt.routing.schedule.repair_routes`:
a trip cut by an extra unload for the break, or stops moved).

Costs are integers in 1e-6 CNY: fixed cost per vehicle, ``cost_per_km * metres / 1000`` per arc
(one arc evaluator per rate and distance table: a fleet whose profile has its own metres, on a
road network, prices its own paths), ``cost_per_hour / 3600`` per second of span.

Search: a first solution (PATH_CHEAPEST_ARC for worker 0) improved by
GUIDED_LOCAL_SEARCH until the deadline. When a lunch break is modelled, worker 0 instead
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

Deterministic mode (``settings.iterations``): OR-Tools has no iteration count; its closest
deterministic counterpart is ``solution_limit``, the number of solutions the search accepts
(first solution and each accepted local-search move), so each search stops after
``iterations`` solutions, the deadline staying as a safety net.

Each route's ``start_s`` is the latest departure that keeps the sequence feasible (it minimises
the route's duration, hence its time cost), found on the plan's schedule.

Modules: the node table (:mod:`._ortools_nodes`), the dimensions and costs
(:mod:`._ortools_dimensions`), the warm start (:mod:`._ortools_warm_start`) and the conversion
of the solver's routes (:mod:`._ortools_routes`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from types import ModuleType
from typing import Any

from wasteopt.clock import Deadline
from wasteopt.errors import SolverUnavailable
from wasteopt.routing.engine import Decoded, wall_clock_end
from wasteopt.routing.engines._ortools_dimensions import build_model
from wasteopt.routing.engines._ortools_nodes import Nodes, build_nodes
from wasteopt.routing.engines._ortools_routes import NO_SOLUTION, Solved, decode, extract
from wasteopt.routing.engines._ortools_warm_start import warm_start
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings

__all__ = ["ORToolsEngine"]

log = logging.getLogger("wasteopt")

# Worker w uses STRATEGIES[w] for its first solution, then guided local search.
STRATEGIES = (
    "PATH_CHEAPEST_ARC",
    "PARALLEL_CHEAPEST_INSERTION",
    "SAVINGS",
    "SEQUENTIAL_CHEAPEST_INSERTION",
)
MIN_BUDGET_S = 0.1
"""The search gets at least this long, however little of the deadline is left."""
# Seconds kept back from the time limit for model building and extraction in each worker.
_EXTRACT_MARGIN_S = 0.05
# How long after the deadline the main process waits for an extra worker's answer.
_WORKER_GRACE_S = 0.1
# At most this share of the budget goes to the warm start's insertion heuristic (lunch models).
WARM_SHARE = 0.3


def _import_ortools() -> tuple[ModuleType, ModuleType]:
    try:
        # lazy: OR-Tools is optional; importing wasteopt must not import it
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except Exception as exc:  # ImportError or a broken binary wheel
        raise SolverUnavailable(
            f"OR-Tools is not usable ({type(exc).__name__}: {exc}); "
            "install it with `pip install ortools`"
        ) from exc
    return pywrapcp, routing_enums_pb2


class ORToolsEngine:
    """OR-Tools routing as a wasteopt routing engine (see the module docstring)."""

    name = "ortools"

    def build(
        self, problem: RoutingProblem, settings: RoutingSettings, deadline: Deadline
    ) -> Nodes | None:
        """The node table (each search process builds its OR-Tools model from it)."""
        _import_ortools()
        return build_nodes(problem)

    def search(self, model: Nodes, settings: RoutingSettings, deadline: Deadline) -> Solved:
        """Worker 0 here, further workers (other first-solution strategies) in spawned
        processes; the lowest objective wins, ties to the lower worker."""
        end = max(deadline.end, time.monotonic() + MIN_BUDGET_S)
        n_workers = max(1, min(int(settings.workers), len(STRATEGIES)))
        if n_workers == 1:
            return _search_one(model, STRATEGIES[0], end, settings.iterations)
        return _search_workers(model, n_workers, end, settings.iterations)

    def decode(
        self, problem: RoutingProblem, model: Nodes, answer: Solved, deadline: Deadline
    ) -> Decoded:
        """Routes of the used vehicles (empty trips dropped, times fixed) and unserved stops."""
        return decode(model, answer, wall_clock_end(deadline))


def _search_workers(nodes: Nodes, n_workers: int, end: float, iterations: int | None) -> Solved:
    ctx = multiprocessing.get_context("spawn")
    wall_deadline = time.time() + (end - time.monotonic())
    # A multiprocessing pool (not an executor) so that workers still busy after the deadline
    # (slow start-up, a first-solution phase that overruns its limit) can be terminated: the
    # time limit is for the whole call, and worker 0's plan is always there.
    pool = ctx.Pool(n_workers - 1)
    try:
        pending = [
            pool.apply_async(_search_one_timed, (nodes, STRATEGIES[w], wall_deadline, iterations))
            for w in range(1, n_workers)
        ]
        results = [_search_one(nodes, STRATEGIES[0], end, iterations)]
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
    return results[best]


def _search_one_timed(
    nodes: Nodes, strategy: str, wall_deadline: float, iterations: int | None
) -> Solved:
    """Worker entry point in a spawned process; the deadline is wall-clock (``time.time``)."""
    return _search_one(nodes, strategy, time.monotonic() + wall_deadline - time.time(), iterations)


def _set_time_limit(params: Any, end: float) -> None:
    """What is left until ``end`` (monotonic) less the extraction margin, at least 50 ms."""
    remaining = end - time.monotonic() - _EXTRACT_MARGIN_S
    params.time_limit.FromMilliseconds(max(50, int(remaining * 1000)))


def _search_one(nodes: Nodes, strategy: str, end: float, iterations: int | None) -> Solved:
    """Build the OR-Tools model, search from ``strategy``'s first solution (or, for worker 0
    of a lunch model, from the warm start) until ``end`` or ``iterations`` solutions."""
    pywrapcp, enums = _import_ortools()
    t0 = time.monotonic()
    model = build_model(nodes, pywrapcp)
    routing = model.routing
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(enums.FirstSolutionStrategy, strategy)
    params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    if iterations is not None:
        params.solution_limit = iterations
    _set_time_limit(params, end)
    params.log_search = bool(os.environ.get("WASTEOPT_ORTOOLS_LOG"))
    assignment = None
    if model.breaks and strategy == STRATEGIES[0]:
        # Cheapest insertion with the lunch break handled exactly (wasteopt's own scheduler):
        # OR-Tools' first-solution heuristics insert stops without room for the break and
        # drop nearly all of them, leaving guided local search to recover (seen on 6–12-stop
        # problems: most stops still dropped after 0.4 s).
        warm_end = t0 + WARM_SHARE * (end - t0)
        seqs = warm_start(nodes, model.manager, time.time() + (warm_end - time.monotonic()))
        if seqs is not None:
            _set_time_limit(params, end)
            routing.CloseModelWithParameters(params)
            # RoutesToAssignment only sets the successor variables; ReadAssignmentFromRoutes
            # would run an unbounded CP search for the cumuls (it hung with breaks).
            warm = model.solver.Assignment()
            if routing.RoutesToAssignment(seqs, True, True, warm):
                assignment = routing.SolveFromAssignmentWithParameters(warm, params)
    if assignment is None:
        assignment = routing.SolveWithParameters(params)
    log.debug("OR-Tools (%s) status %s", strategy, routing.status())
    if assignment is None:
        log.warning("OR-Tools (%s) found no solution for %s", strategy, nodes.problem.name)
        return NO_SOLUTION
    return extract(nodes, model, assignment)
