"""Engine-specific tests of the OR-Tools routing engine on tiny hand-checkable problems.

Every plan is graded by the independent checker (``wasteopt.routing.check``).
"""

from __future__ import annotations

import builtins
import dataclasses
import time

import numpy as np
import pytest
from ortools.constraint_solver import pywrapcp  # a dependency: missing, the module fails

from tests.test_routing_engines import make_problem
from wasteopt.errors import SolverUnavailable
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import (
    Depot,
    Fleet,
    Lunch,
    RoutingProblem,
    Stop,
    UnloadSite,
)
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.routing.verdict import CheckReport

H = 3600
LIMIT_S = 1.0
# Wall time a solve may take beyond its limit: the checker, the warm start's last insertion
# and the hand-back from the search; generous because CI shares two cores.
TOLERANCE_S = 1.0


def _problem(*, n_stops: int = 8, fleets=None, sites=None, stops=None, **kw) -> RoutingProblem:
    """Depot at the origin, sites S (east) and T (west), stops on a small grid; 10 m/s."""
    pts = {"D": (0, 0), "S": (5000, 0), "T": (-5000, 0)}
    for i in range(n_stops):
        pts[f"a{i}"] = (1000 * (i % 4) + 500, 2000 * (i // 4) - 1000)
    ids = tuple(pts)
    xy = np.array([pts[i] for i in ids], dtype=float)
    dist = np.rint(np.abs(xy[:, None, :] - xy[None, :, :]).sum(-1)).astype(np.int64)
    if stops is None:
        stops = tuple(
            Stop(id=f"a{i}", stream="mixed", load_kg=400, service_s=300) for i in range(n_stops)
        )
    if sites is None:
        sites = (UnloadSite(id="S", streams=("mixed",), unload_s=600),)
    if fleets is None:
        fleets = (
            Fleet(id="F", stream="mixed", depot="D", count=1, capacity_kg=1000,
                  shift_start_s=6 * H, shift_end_s=18 * H, fixed_cost=100, cost_per_hour=30),
        )  # fmt: skip
    return RoutingProblem(name="tiny", stream="mixed", stops=stops, sites=sites,
                          depots=(Depot(id="D"),), fleets=fleets, locations=ids,
                          distance_m=dist, durations_s=(dist // 10,), **kw)  # fmt: skip


def _run(
    problem: RoutingProblem, workers: int = 1, iterations: int | None = None
) -> tuple[RoutePlan, CheckReport]:
    """Solve with OR-Tools in LIMIT_S (deterministic mode with ``iterations``, 10 s at most)."""
    limit = LIMIT_S if iterations is None else 10.0
    settings = RoutingSettings(
        engine="ortools", time_limit_s=limit, seed=1, workers=workers, iterations=iterations
    )
    plan = solve(problem, settings)
    assert plan.check is not None
    return plan, plan.check


def _trips(route, site_ids):
    """Split a route's visits into trips: (stops, unload site)."""
    trips, cur = [], []
    for v in route.visits:
        if v in site_ids:
            trips.append((tuple(cur), v))
            cur = []
        else:
            cur.append(v)
    assert not cur, "last trip not ended by an unload"
    return trips


def test_multi_trip_with_reloads_serves_all_and_checker_clean():
    """One 1000 kg truck collects 8 x 400 kg by unloading several times; the checker agrees."""
    p = _problem()
    plan, rep = _run(p)
    assert rep.ok, rep.summary()
    assert plan.unserved == ()
    (route,) = plan.routes
    trips = _trips(route, {"S"})
    assert len(trips) >= 4  # 3200 kg / 1000 kg per trip
    loads = {s.id: s.load_kg for s in p.stops}
    assert all(0 < sum(loads[x] for x in stops) <= 1000 for stops, _ in trips)
    assert sorted(x for stops, _ in trips for x in stops) == sorted(s.id for s in p.stops)


def test_lunch_is_placed_and_schedule_follows_plan_rule():
    """A route overlapping the lunch window gets lunch_after, and the break starts in window."""
    lunch = Lunch(earliest_s=6 * H + 1200, latest_s=6 * H + 2400, duration_s=1800)
    fleet = Fleet(id="F", stream="mixed", depot="D", count=1, capacity_kg=1000,
                  shift_start_s=6 * H, shift_end_s=9 * H + 1800, lunch=lunch)  # fmt: skip
    # Stops must be served early, so the route cannot start after the lunch window.
    stops = tuple(
        Stop(id=f"a{i}", stream="mixed", load_kg=400, service_s=300, tw_end_s=6 * H + 1800)
        for i in range(2)
    )
    p = _problem(n_stops=2, fleets=(fleet,), stops=stops)
    plan, rep = _run(p)
    assert rep.ok, rep.summary()
    (route,) = plan.routes
    assert route.lunch_after is not None
    rows = [v for v in rep.routes[0].visits if v.kind == "lunch"]
    assert len(rows) == 1
    assert lunch.earliest_s <= rows[0].start_s <= lunch.latest_s
    # The break happens where the plan says: right after visit lunch_after (or at the depot).
    place = "D" if route.lunch_after == -1 else route.visits[route.lunch_after]
    assert rows[0].id == place


def test_max_shift_load_splits_work_across_vehicles():
    """max_shift_load_kg caps each vehicle's total over all trips."""
    fleet = Fleet(id="F", stream="mixed", depot="D", count=3, capacity_kg=1000,
                  shift_start_s=6 * H, shift_end_s=18 * H, max_shift_load_kg=1200,
                  fixed_cost=10)  # fmt: skip
    p = _problem(fleets=(fleet,))
    # Deterministic: at 1 s a loaded machine sometimes stopped before the last stop fitted
    # (200 solutions suffice, 1.2 s on a loaded machine).
    plan, rep = _run(p, iterations=400)
    assert rep.ok, rep.summary()
    loads = {s.id: s.load_kg for s in p.stops}
    per_vehicle = [sum(loads.get(v, 0) for v in r.visits) for r in plan.routes]
    assert all(x <= 1200 for x in per_vehicle)
    assert sum(per_vehicle) == 3200 and len(plan.routes) == 3


def test_unload_at_restricts_trip_sites():
    """Stops allowed only at the far site T never share a trip that unloads at S."""
    sites = (
        UnloadSite(id="S", streams=("mixed",), unload_s=600),
        UnloadSite(id="T", streams=("mixed",), unload_s=600),
    )
    stops = tuple(
        Stop(id=f"a{i}", stream="mixed", load_kg=300, service_s=120,
             unload_at=("T",) if i % 2 else ())
        for i in range(8)
    )  # fmt: skip
    p = _problem(sites=sites, stops=stops)
    plan, rep = _run(p)
    assert rep.ok, rep.summary()
    restricted = {s.id for s in stops if s.unload_at}
    used_sites = set()
    for r in plan.routes:
        for trip_stops, site in _trips(r, {"S", "T"}):
            used_sites.add(site)
            if restricted & set(trip_stops):
                assert site == "T"
    assert "S" in used_sites  # unrestricted loads still go to the nearer site


def test_site_opening_hours_are_honoured():
    """Unloads start inside the site's opening hours even when the truck arrives early/late."""
    sites = (UnloadSite(id="S", streams=("mixed",), unload_s=600, open_s=8 * H, close_s=9 * H),)
    fleet = Fleet(id="F", stream="mixed", depot="D", count=2, capacity_kg=1000,
                  shift_start_s=6 * H, shift_end_s=18 * H)  # fmt: skip
    p = _problem(sites=sites, fleets=(fleet,))
    _, rep = _run(p)
    assert rep.ok, rep.summary()
    unloads = [v for r in rep.routes for v in r.visits if v.kind == "unload"]
    assert unloads and all(8 * H <= u.start_s <= 9 * H for u in unloads)


def test_depot_unloads_single_trip_routes():
    """With depot_unloads the routes hold no site visits and respect capacity per route."""
    fleet = Fleet(id="F", stream="mixed", depot="D", count=4, capacity_kg=1000,
                  shift_start_s=0, shift_end_s=24 * H)  # fmt: skip
    p = _problem(fleets=(fleet,), sites=(), depot_unloads=True)
    plan, rep = _run(p)
    assert rep.ok, rep.summary()
    assert len(plan.routes) == 4 and all(len(r.visits) == 2 for r in plan.routes)


def test_two_workers_give_a_clean_plan():
    """workers=2 runs a second strategy in another process and still returns a clean plan."""
    _, rep = _run(_problem(), workers=2)
    assert rep.ok, rep.summary()


def test_missing_ortools_raises_solver_unavailable(monkeypatch):
    """A broken OR-Tools install surfaces as SolverUnavailable, not ImportError."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("ortools"):
            raise ImportError("simulated missing ortools")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(SolverUnavailable, match="OR-Tools"):
        solve(_problem(), RoutingSettings(engine="ortools", time_limit_s=0.5))


def test_lunch_problem_solved_from_warm_start_at_short_limit():
    """With a lunch break, 12 stops and two vehicles are all served at a 0.5 s limit, which the
    call keeps to within TOLERANCE_S (OR-Tools' own first solutions drop most stops there; the
    insertion warm start must not)."""
    p = make_problem(
        12, count=2, seed=3, lunch=Lunch(earliest_s=11 * H, latest_s=12 * H, duration_s=H)
    )
    early = dataclasses.replace(p.stops[0], tw_start_s=10 * H, tw_end_s=int(10.5 * H))
    late = dataclasses.replace(p.stops[1], tw_start_s=13 * H, tw_end_s=14 * H)
    p = dataclasses.replace(p, stops=(early, late, *p.stops[2:]))
    assert pywrapcp.RoutingModel  # loaded above, so the timed call does not import it
    t0 = time.perf_counter()
    plan = solve(p, RoutingSettings(engine="ortools", time_limit_s=0.5))
    assert time.perf_counter() - t0 <= 0.5 + TOLERANCE_S
    assert plan.unserved == ()
    assert plan.check is not None and plan.check.ok, plan.check.summary()
