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
  a duration matrix per profile; the distances are the fleet profile's own,
  ``RoutingProblem.distance_of``) prices the edge ``j → END`` as the cheapest detour
  ``j → site → garage`` over the sites the type may use: distance ``d(j,s) + d(s,g)``, duration
  ``t(j,s) + unload_s + t(s,g)``. Route distance, duration, cost, shift end and maximum duration
  thus include the final unload and the drive home exactly; only that final site's opening hours
  are not seen by PyVRP (repair below catches a late final unload).
- **Restricted unloading** (``Stop.unload_at``): when some stop may not unload at every site,
  each fleet is split into one vehicle type per site, whose reloads and final unload use only
  that site; a stop that may not unload there is made unreachable in that type's profile
  (duration 10^7 s into it, which no shift window can absorb). Routing profiles are shared per
  (duration profile, group). The split types of a fleet get its full count (budgets of 10 s
  or more) or twice their group's load share of it (:func:`split_counts`, also with access
  restrictions, by measurement); repair enforces the real count (merging surplus routes into
  multi-trip shifts, moving them to a fleet with a spare vehicle, or breaking them up so that
  stops only that fleet may serve join its other routes, and re-inserting the rest).
- **Access** (``Stop.fleets``: the vehicle classes that reach a point): a stop is made
  unreachable, by the same 10^7 s, in the profiles of the vehicle types of fleets it does not
  allow. Fleets that may not serve the same stops (in practice: one vehicle class) share
  their profiles, so there is one profile per (duration profile, group, such set); without
  restricted stops that is one set and the model is exactly the unrestricted one. A stop no
  fleet with room for it allows is left out and named unserved.
- **Vehicle types** (one per fleet, or per fleet and site): shift window ``[max(shift_start,
  depot open), min(shift_end, depot close)]``, ``shift_duration = max_duration_s``, capacities
  (kg; litres or unlimited), fixed cost, cost per metre and per second, all integers in the
  smallest unit (1, 0.1, ... 1e-4 CNY) that keeps every rate within 0.5 % (:func:`cost_scale`;
  PyVRP caps its penalty weights, so needlessly fine units made infeasible moves too cheap).
- **Lunch** (PyVRP has no breaks, PyVRP issues #352/#415): PyVRP solves conservative data — each
  lunch fleet's shift end and maximum duration are reduced by its lunch duration, and the
  ``tw_end`` of every stop and the close time of every site later than the earliest lunch start
  are pulled forward by the longest lunch — so that pushing every visit after the break by one
  lunch usually keeps it feasible. The break is then placed where the cheapest feasible
  schedule allows among the places the vehicle is empty at (after one of the last unloads it
  leaves in time, at the site or back at the depot, or at the depot before leaving: the
  scheduler's lunch spots); a route with no such place in time gets a trip cut by an extra
  unload in repair.
- **Totals over a shift** (``max_stops``, ``max_shift_load_kg``) have no PyVRP counterpart (a
  reload resets every load dimension); repair enforces them.

Repair (:func:`wasteopt.routing.schedule.repair_routes`) schedules every decoded route exactly
(same rules as the checker), removes stops at the first broken rule until the route is
feasible, and re-inserts every removed or left-out stop at the cheapest feasible position (an
existing trip, a new trip, or a spare vehicle), stops fewest fleets may serve first; an
access-restricted stop that fits nowhere may take the place of a nearby stop other fleets can
take. What fits nowhere is returned as unserved. So the routes returned are always feasible.

Time limit: the deadline bounds the whole call. The search stops at a wall-clock time (a
stopping criterion that also counts PyVRP's own set-up) that leaves a reserve for decoding and
repair (:func:`_reserve_s`); repair itself shortens its insertion search once the deadline has
passed. The model is built by :mod:`._pyvrp_model`.

Determinism and cores: PyVRP is single-threaded. With ``workers >= 2`` it runs ``workers``
independent searches with seeds ``seed, seed+1, ...`` in parallel (forked) processes, each with
the same deadline, repairs each answer and keeps the best (fewest unserved, lowest cost, lowest
seed). Searches of at most ``SMALL_CLIENTS`` clients also stop after ``max(2000, 20 × clients)``
non-improving iterations: on such small problems the same seed and workers then give the same
plan. Larger searches use the whole budget (stopping on stalls cost quality on CVRPLIB X), so
their result depends on machine speed, as with any time-limited search.

Deterministic mode (``settings.iterations``): every search stops after exactly that many
iterations (``pyvrp.stop.MaxIterations``; the deadline stays as a safety net, no stall
criterion) and every split vehicle type gets its fleet's full count, so
the same seed, workers and inputs give the same plan on any machine that finishes before the
deadline.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from types import ModuleType
from typing import Any

from wasteopt.clock import Deadline
from wasteopt.errors import SolverUnavailable
from wasteopt.routing.engine import Decoded, budget_s, wall_clock_end
from wasteopt.routing.engines._pyvrp_model import Built, Decoder, build_data
from wasteopt.routing.plan import Route
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.schedule import RouteScheduler, repair_routes
from wasteopt.routing.settings import RoutingSettings

__all__ = ["PyVRPEngine"]

log = logging.getLogger("wasteopt")

SMALL_CLIENTS = 50
"""Searches of at most this many clients also stop after ``max(2000, 20 × clients)``
iterations without improvement (not in the deterministic mode)."""

RawRoute = tuple[int, tuple[tuple[bool, int], ...], int]
"""(vehicle type, ((is client, index), ...) between the end depots, start time)."""
Answer = list[tuple[int, list[RawRoute]]]
"""(seed, best solution of the search with that seed) per worker."""


def _import_pyvrp() -> ModuleType:
    try:
        import pyvrp  # lazy: PyVRP is optional; importing wasteopt must not import it
        import pyvrp.stop  # lazy: as above
    except Exception as exc:  # a broken install can raise more than ImportError
        raise SolverUnavailable(
            f"the PyVRP engine needs the 'pyvrp' package (>= 0.14), which failed to import: {exc}"
        ) from exc
    return pyvrp


class _WallClock:
    """PyVRP stopping criterion: stop at a wall-clock time (``time.time()``), so the search's
    own set-up (neighbourhoods, first local search) counts against the budget too."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, best_cost: float) -> bool:
        return time.time() >= self.deadline


_FORKED_DATA: Any = None  # ProblemData inherited by forked workers (not pickled per task)


def _stopping_criterion(
    pyvrp: ModuleType, deadline: float, no_improve: int | None, iterations: int | None
) -> Any:
    """The wall-clock deadline, with ``MaxIterations`` (deterministic mode) or
    ``NoImprovement`` (small searches) when given."""
    stop: Any = _WallClock(deadline)
    if iterations is not None:
        return pyvrp.stop.MultipleCriteria([stop, pyvrp.stop.MaxIterations(iterations)])
    if no_improve is not None:
        return pyvrp.stop.MultipleCriteria([stop, pyvrp.stop.NoImprovement(no_improve)])
    return stop


def _search(
    data: Any, seed: int, deadline: float, no_improve: int | None, iterations: int | None
) -> list[RawRoute]:
    """One PyVRP search until ``deadline`` (wall clock); returns its best solution as plain
    tuples (picklable). ``data=None`` reads the data a forked worker inherited."""
    pyvrp = _import_pyvrp()
    if data is None:
        data = _FORKED_DATA
    stop = _stopping_criterion(pyvrp, deadline, no_improve, iterations)
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


def _search_workers(
    data: Any, seeds: list[int], deadline: float, no_improve: int | None, iterations: int | None
) -> list[list[RawRoute]]:
    """One search per seed in parallel processes (forked where possible, so the workers
    inherit the possibly large data instead of unpickling a copy)."""
    global _FORKED_DATA
    ctx: BaseContext
    if "fork" in multiprocessing.get_all_start_methods():
        _FORKED_DATA = data
        ctx = multiprocessing.get_context("fork")
        payload = None
    else:
        ctx = multiprocessing.get_context()
        payload = data
    try:
        with ProcessPoolExecutor(max_workers=len(seeds), mp_context=ctx) as pool:
            futs = [
                pool.submit(_search, payload, s, deadline, no_improve, iterations) for s in seeds
            ]
            return [f.result() for f in futs]
    finally:
        _FORKED_DATA = None


def _decode(
    problem: RoutingProblem, dec: Decoder, raw: list[RawRoute]
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(fleet id, visits) per route with its final unload, and the clients left out."""
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
    cost = sum(sched.evaluate_route(r).cost for r in routes)
    return len(unserved), cost


def _reserve_s(n_stops: int, time_limit_s: float, required: bool, workers: int) -> float:
    """Seconds of the budget kept for decoding and repair after the search (each worker's
    answer is repaired in turn, in the main process).

    Repair of an answer that PyVRP made feasible is one schedule per route; a multi-trip
    answer can leave a few dozen stops to re-insert (measured ~0.3 s for 690 stops).
    """
    need = (0.02 + (2e-4 if required else 6e-4) * n_stops) * workers
    return min(0.3 * time_limit_s, need)


class PyVRPEngine:
    """PyVRP as a wasteopt routing engine (see the module docstring)."""

    name = "pyvrp"

    def build(
        self, problem: RoutingProblem, settings: RoutingSettings, deadline: Deadline
    ) -> Built | None:
        """The PyVRP data; the deterministic mode splits fleets as a long budget would."""
        pyvrp = _import_pyvrp()
        split_budget = math.inf if settings.iterations is not None else budget_s(deadline)
        return build_data(problem, pyvrp, split_budget)

    def search(self, model: Built, settings: RoutingSettings, deadline: Deadline) -> Answer:
        """``settings.workers`` searches with seeds ``seed, seed+1, ...`` until the deadline
        less the repair reserve (or ``settings.iterations`` iterations)."""
        n_clients = len(model.decoder.client_ids)
        # Small problems stop once the search has stalled (their result is then reproducible);
        # larger ones use the whole budget.
        no_improve = max(2000, 20 * n_clients) if n_clients <= SMALL_CLIENTS else None
        required = bool(model.data.clients()[0].required) if n_clients else False
        workers = max(1, int(settings.workers))
        reserve = _reserve_s(model.n_stops, budget_s(deadline), required, workers)
        search_end = wall_clock_end(deadline) - reserve
        seeds = [settings.seed + k for k in range(workers)]
        its = settings.iterations
        if workers == 1:
            raws = [_search(model.data, settings.seed, search_end, no_improve, its)]
        else:
            raws = _search_workers(model.data, seeds, search_end, no_improve, its)
        return list(zip(seeds, raws, strict=True))

    def decode(
        self, problem: RoutingProblem, model: Built, answer: Answer, deadline: Deadline
    ) -> Decoded:
        """Each worker's answer decoded and repaired; the best kept (fewest unserved, lowest
        cost, lowest seed)."""
        sched = RouteScheduler(problem)
        end = wall_clock_end(deadline)
        best: tuple[tuple[int, float, int], tuple[Route, ...], tuple[str, ...]] | None = None
        for s, raw in answer:
            routes, left = _decode(problem, model.decoder, raw)
            fixed, unserved = repair_routes(
                problem, routes, left + list(model.unservable), scheduler=sched, deadline=end
            )
            n_un, cost = _score(sched, fixed, unserved)
            key = (n_un, round(cost, 6), s)
            log.debug("pyvrp seed %d: %d routes, cost %.2f, %d unserved", s, len(fixed), cost, n_un)
            if best is None or key < best[0]:
                best = (key, fixed, unserved)
        assert best is not None
        return best[1], best[2]
