"""From an OR-Tools assignment to wasteopt routes.

:func:`extract` reads each used vehicle's node sequence, the solver's departure and lunch
position (in the process that solved). :func:`decode` turns those into :class:`Route` s: it
drops empty trips and fixes the break's place and ``start_s`` (the latest feasible departure) on
the plan's earliest-start schedule — the engines' one copy of it,
:meth:`wasteopt.routing.schedule.RouteScheduler.evaluate`. The solver's break may fall after a
loaded stop; the places tried are the scheduler's lunch spots (empty, at a site or the depot,
unless the fleet may eat anywhere), the one nearest before the solver's break first. The model
enforces every other rule (loads, unload sites, shift totals), so a sequence is feasible there
exactly when it meets the time rules.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wasteopt.routing.engine import Decoded
from wasteopt.routing.engines._ortools_dimensions import Model
from wasteopt.routing.engines._ortools_nodes import Nodes
from wasteopt.routing.plan import Route
from wasteopt.routing.problem import Fleet
from wasteopt.routing.schedule import RouteScheduler, repair_routes

__all__ = ["NO_SOLUTION", "RawRoute", "Solved", "decode", "extract"]

log = logging.getLogger("wasteopt")

DEPARTURE_GRID_S = 900
"""Step of the scan for a feasible departure when the solver's own one is not."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawRoute:
    """One used vehicle's route as the solver left it."""

    vehicle: int  # index into Nodes.vehicles
    nodes: tuple[int, ...]  # visited nodes, the final unload (end node) included
    start_s: int  # the solver's departure
    lunch_after: int | None  # the last visit departed before the solver's break
    has_lunch: bool  # the vehicle has a modelled break


@dataclass(frozen=True, slots=True, kw_only=True)
class Solved:
    """A worker's answer: the solver's objective (units) and its routes."""

    objective: int
    routes: tuple[RawRoute, ...]


NO_SOLUTION = Solved(objective=2**62, routes=())


def extract(nodes: Nodes, model: Model, assignment: Any) -> Solved:
    """The routes of the used vehicles in ``assignment`` (vehicle order)."""
    routing, manager, tdim = model.routing, model.manager, model.time
    out: list[RawRoute] = []
    for v in range(len(nodes.vehicles)):
        index = routing.Start(v)
        seq: list[int] = []
        times: list[int] = [assignment.Value(tdim.CumulVar(index))]
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            seq.append(manager.IndexToNode(index))
            times.append(assignment.Value(tdim.CumulVar(index)))
            index = assignment.Value(routing.NextVar(index))
        if not seq:
            continue
        if nodes.end_site[v] is not None:
            seq.append(manager.IndexToNode(index))  # the final unload (the route's end)
            times.append(assignment.Value(tdim.CumulVar(index)))
        lunch_k: int | None = None
        brk = model.breaks.get(v)
        if brk is not None and assignment.PerformedValue(brk):
            b_start = assignment.StartValue(brk)
            departures = [times[0]] + [
                t + int(nodes.svc[n]) for t, n in zip(times[1:], seq, strict=True)
            ]
            lunch_k = max(i for i, dep in enumerate(departures) if dep <= b_start or i == 0) - 1
        out.append(
            RawRoute(
                vehicle=v,
                nodes=tuple(seq),
                start_s=times[0],
                lunch_after=lunch_k,
                has_lunch=brk is not None,
            )
        )
    return Solved(objective=int(assignment.ObjectiveValue()), routes=tuple(out))


def decode(nodes: Nodes, solved: Solved, repair_end: float | None = None) -> Decoded:
    """Routes with empty trips dropped and times fixed; unserved stops in problem order.

    A sequence no departure and break place make feasible (the solver's break fell where
    the plan may not take it, e.g. with load aboard, and no empty place is in time) sends
    the whole answer through :func:`~wasteopt.routing.schedule.repair_routes`
    (``repair_end``: its ``time.time()`` deadline), which cuts a trip for the break or moves
    stops, so the plan stays feasible."""
    problem = nodes.problem
    sched = RouteScheduler(problem)
    routes: list[Route] = []
    served: set[str] = set()
    for raw in solved.routes:
        fleet, k = nodes.vehicles[raw.vehicle]
        visits = tuple(nodes.ids[n] for n in raw.nodes)
        served.update(nodes.ids[n] for n in raw.nodes if nodes.is_stop[n])
        route = _drop_empty_trips(
            sched, fleet, k, visits, raw.start_s, raw.lunch_after, raw.has_lunch
        )
        if route.visits:
            routes.append(route)
    unserved = nodes.dropped + tuple(s.id for s in nodes.stops if s.id not in served)
    order = {s.id: i for i, s in enumerate(problem.stops)}
    if not all(sched.evaluate_route(r).feasible for r in routes):
        log.info("%s: a route has no feasible time plan; repairing the answer", problem.name)
        given = [(r.fleet, list(r.visits)) for r in routes]
        return repair_routes(problem, given, list(unserved), scheduler=sched, deadline=repair_end)
    return tuple(routes), tuple(sorted(unserved, key=order.__getitem__))


def _drop_empty_trips(
    sched: RouteScheduler,
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
    problem = sched.problem
    route = _finish_route(sched, fleet, k, visits, solver_start_s, lunch_k, has_lunch)
    stop_ids = {s.id for s in problem.stops}
    idx = sched.index
    depot = idx[fleet.depot]

    def length(vs: tuple[str, ...]) -> int:
        path = [depot, *(idx[x] for x in vs), depot]
        metres = problem.distance_of(fleet.profile)
        return int(sum(metres[a, b] for a, b in itertools.pairwise(path)))

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
            sched,
            fleet,
            k,
            trial_visits,
            route.start_s,
            trial_lunch,
            has_lunch,
            route.lunch_at_depot,
        )
        same_site = i > 0 and vs[i - 1] == vs[i]
        if same_site or (_feasible(sched, fleet, trial) and length(trial_visits) <= length(vs)):
            route = trial
        else:
            i += 1
    return route


def _feasible(sched: RouteScheduler, fleet: Fleet, route: Route) -> bool:
    return sched.evaluate_route(route).feasible


def _latest_start(ok: Callable[[int], bool], lo: int, hi: int) -> int:
    """Largest ``s`` in ``[lo, hi]`` with ``ok(s)``, given ``ok(lo)`` (binary search)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _finish_route(
    sched: RouteScheduler,
    fleet: Fleet,
    k: int,
    visits: tuple[str, ...],
    solver_start_s: int,
    lunch_k: int | None,
    has_lunch: bool,
    home: bool = False,
) -> Route:
    """Choose the break's place (the solver's, or the nearest lunch spot before it, first;
    ``home``: the solver's place is back at the depot) and the latest feasible departure."""
    vehicle = f"{fleet.id}#{k}"
    candidates = _lunch_candidates(sched, fleet, visits, lunch_k, home) if has_lunch else []
    candidates = candidates or [(lunch_k, home)]
    best: tuple[int, Route] | None = None  # (duration, route): the shortest feasible wins
    for lunch_after, at_depot in candidates:

        def ok(s: int, la: int | None = lunch_after, h: bool = at_depot) -> bool:
            return sched.evaluate(fleet, visits, s, la, h).feasible

        # The solver's departure is feasible for its own lunch position; otherwise scan the
        # shift for a feasible departure (coarse grid, then refine upwards).
        seed_start = solver_start_s if ok(solver_start_s) else None
        if seed_start is None:
            seed_start = next(
                (
                    s
                    for s in range(fleet.shift_start_s, fleet.shift_end_s + 1, DEPARTURE_GRID_S)
                    if ok(s)
                ),
                None,
            )
        if seed_start is None:
            continue
        start = _latest_start(ok, seed_start, fleet.shift_end_s)
        ev = sched.evaluate(fleet, visits, start, lunch_after, at_depot)
        if best is None or ev.end_s - start < best[0]:
            route = Route(
                vehicle=vehicle,
                fleet=fleet.id,
                start_s=start,
                visits=visits,
                lunch_after=ev.lunch_after,
                lunch_at_depot=ev.lunch_at_depot,
            )
            best = (ev.end_s - start, route)
    if best is not None:
        if best[1].lunch_after != lunch_k:
            log.debug("%s: lunch moved from %s to %s", vehicle, lunch_k, best[1].lunch_after)
        return best[1]
    log.debug(
        "%s: no departure/lunch position makes the solver's sequence meet the plan's "
        "time rules; it goes to repair",
        vehicle,
    )
    return Route(
        vehicle=vehicle,
        fleet=fleet.id,
        start_s=solver_start_s,
        visits=visits,
        lunch_after=lunch_k,
        lunch_at_depot=home,
    )


def _lunch_candidates(
    sched: RouteScheduler,
    fleet: Fleet,
    visits: tuple[str, ...],
    lunch_k: int | None,
    home: bool,
) -> list[tuple[int | None, bool]]:
    """Every place the break may take on ``visits``, no break last: the solver's own first
    when allowed, else the latest allowed place at or before it; then the rest, latest
    first. Allowed: after any visit when the fleet may eat anywhere, else (empty) after an
    unload visit, at its site or back at the depot, or at the depot before leaving."""
    if fleet.lunch is not None and fleet.lunch.place == "anywhere":
        rest = [(c, False) for c in [None, *range(-1, len(visits))] if c != lunch_k]
        return [(lunch_k, False), *rest]
    unloads = [j for j, v in enumerate(visits) if v not in sched.stops]
    spots: list[tuple[int | None, bool]] = [
        (j, at_depot) for j in reversed(unloads) for at_depot in (False, True)
    ]
    spots.append((-1, False))
    before = [s for s in spots if lunch_k is not None and s[0] is not None and s[0] <= lunch_k]
    first = (lunch_k, home) if (lunch_k, home) in spots else (before[0] if before else None)
    if first is not None:
        spots.remove(first)
        spots.insert(0, first)
    return [*spots, (None, False)]
