"""Where the engines' timetable puts the lunch break: empty, at the depot or an unload site.

Locations lie on a line (metres, 10 m/s, so travel seconds = metres / 10), as in
``test_routing_check.py``; the checker judges every schedule the scheduler builds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from wasteopt.routing.check import check_plan
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Depot, Fleet, Lunch, RoutingProblem, Stop, UnloadSite
from wasteopt.routing.schedule import _cheapest_feasible, _Work, repair_routes
from wasteopt.routing.timetable import RouteScheduler

H = 3600


def make_problem(
    pos: dict[str, int], stops: dict[str, dict[str, int]], lunch: Lunch
) -> RoutingProblem:
    """Depot D, site S and the given stops at ``pos``; one fleet V with ``lunch``."""
    locs = tuple(pos)
    x = np.array([pos[k] for k in locs])
    dist = np.abs(x[:, None] - x[None, :])
    fleet = Fleet(
        id="V",
        stream="rest",
        depot="D",
        count=1,
        capacity_kg=1000,
        shift_start_s=6 * H,
        shift_end_s=18 * H,
        lunch=lunch,
        fixed_cost=100.0,
        cost_per_km=2.0,
        cost_per_hour=30.0,
    )
    return RoutingProblem(
        name="line",
        stream="rest",
        stops=tuple(Stop(id=sid, stream="rest", service_s=60, **kw) for sid, kw in stops.items()),
        sites=(UnloadSite(id="S", streams=("rest",), unload_s=600),),
        depots=(Depot(id="D"),),
        fleets=(fleet,),
        locations=locs,
        distance_m=dist,
        durations_s=(dist // 10,),
    )


def checked(problem: RoutingProblem, *routes: Route) -> RoutePlan:
    """The plan of ``routes`` with the independent checker's report."""
    plan = RoutePlan(
        problem=problem.name,
        stream=problem.stream,
        engine="test",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=routes,
    )
    return replace(plan, check=check_plan(problem, plan))


def lunch_row(plan: RoutePlan) -> tuple[str, int]:
    """(place, kg aboard) of the plan's only break."""
    assert plan.check is not None
    [row] = [v for r in plan.check.routes for v in r.visits if v.kind == "lunch"]
    return row.id, row.load_after_kg


# c opens at 11:00 and the break may start until 11:03: without the rule the cheapest break is
# right after c, with c's 300 kg aboard (no waiting); the only empty place in time is S.
NATURAL_POS = {"D": 0, "a": 1000, "b": 2000, "c": 3000, "d": 4000, "S": 5000}
NATURAL_STOPS = {
    "a": {"load_kg": 100},
    "b": {"load_kg": 200},
    "c": {"load_kg": 300, "tw_start_s": 11 * H},
    "d": {"load_kg": 50},
}
NATURAL_LUNCH = Lunch(earliest_s=11 * H, latest_s=11 * H + 180, duration_s=1800)


def test_natural_lunch_after_a_loaded_stop_moves_to_the_unload() -> None:
    """Where a break anywhere would go after stop c with 300 kg aboard, the strict rule puts
    it after the unload at S, empty; the checker agrees with the scheduler's schedule."""
    visits = ["a", "b", "S", "c", "d", "S"]
    anywhere = make_problem(NATURAL_POS, NATURAL_STOPS, replace(NATURAL_LUNCH, place="anywhere"))
    loose = RouteScheduler(anywhere).route("V#1", anywhere.fleets[0], visits)
    assert lunch_row(checked(anywhere, loose)) == ("c", 300)

    strict = make_problem(NATURAL_POS, NATURAL_STOPS, NATURAL_LUNCH)
    sched = RouteScheduler(strict)
    route = sched.route("V#1", strict.fleets[0], visits)
    assert (route.lunch_after, route.lunch_at_depot) == (2, False)
    plan = checked(strict, route)
    assert plan.check is not None and plan.check.ok, plan.check.summary()
    assert lunch_row(plan) == ("S", 0)
    assert sched.evaluate_route(route).cost == pytest.approx(plan.check.totals.cost)
    # The loose route's break after c is exactly what the strict checker rejects.
    bad = check_plan(strict, checked(strict, loose))
    assert [(v.kind, v.stop) for v in bad.violations] == [("lunch_place", "c")]


def test_lunch_back_at_the_depot_when_the_crew_would_wait_far_away() -> None:
    """After an early unload at a far site (S at 9 km), waiting for the window at home, 500 m
    from the next stop, is cheaper than waiting at S (8.5 km from it): the break is taken at
    the depot, the route's cost includes both drives and the checker agrees."""
    pos = {"D": 0, "a": 1000, "b": 500, "S": 9000}
    stops = {
        "a": {"load_kg": 300, "tw_end_s": 7 * H},
        "b": {"load_kg": 300, "tw_start_s": 11 * H + 1800},
    }
    p = make_problem(pos, stops, Lunch(earliest_s=11 * H, latest_s=12 * H, duration_s=1800))
    sched = RouteScheduler(p)
    route = sched.route("V#1", p.fleets[0], ["a", "S", "b", "S"])
    assert (route.lunch_after, route.lunch_at_depot) == (1, True)
    plan = checked(p, route)
    assert plan.check is not None and plan.check.ok, plan.check.summary()
    assert lunch_row(plan) == ("D", 0)
    # D-a-S 9 km, S-D 9 km, D-b-S 9 km, S-D 9 km.
    assert plan.check.totals.distance_km == pytest.approx(36.0)
    assert sched.evaluate_route(route).cost == pytest.approx(plan.check.totals.cost)
    at_site = sched.evaluate(p.fleets[0], route.visits, route.start_s, 1, False)
    assert at_site.feasible and at_site.cost > sched.evaluate_route(route).cost


def test_repair_cuts_a_trip_that_spans_the_lunch_window() -> None:
    """One trip from 06:00 to past 12:30 has no empty place for the break in time; repair
    cuts it with an unload after c, the last stop from which S is reached before 12:00,
    and the break is taken there empty (dropping and re-inserting stops gave a dearer
    a S b c d S)."""
    pos = {"D": 0, "a": 1000, "b": 2000, "c": 3000, "d": 4000, "S": 5000}
    stops = {
        "a": {"load_kg": 100, "tw_end_s": 6 * H + 1800},
        "b": {"load_kg": 100},
        "c": {"load_kg": 100},
        "d": {"load_kg": 100, "tw_start_s": 12 * H + 1800},
    }
    p = make_problem(pos, stops, Lunch(earliest_s=11 * H, latest_s=12 * H, duration_s=1800))
    routes, unserved = repair_routes(p, [("V", ["a", "b", "c", "d", "S"])], [])
    assert unserved == ()
    [route] = routes
    assert route.visits == ("a", "b", "c", "S", "d", "S")
    assert (route.lunch_after, route.lunch_at_depot) == (3, False)
    plan = checked(p, route)
    assert plan.check is not None and plan.check.ok, plan.check.summary()
    assert lunch_row(plan) == ("S", 0)


def test_scheduler_and_checker_count_the_fleet_profiles_own_metres() -> None:
    """A second fleet W of profile 1, whose metres are twice the shared table's (same times):
    the scheduler's distance and cost and the checker's km of the same visits are W's own,
    double V's, with the break back at the depot included."""
    p = make_problem(NATURAL_POS, NATURAL_STOPS, NATURAL_LUNCH)
    w = replace(p.fleets[0], id="W", profile=1)
    p = replace(
        p,
        fleets=(*p.fleets, w),
        durations_s=(p.durations_s[0],) * 2,
        distances_m=(p.distance_m, p.distance_m * 2),
    )
    sched = RouteScheduler(p)
    visits = ("a", "b", "S", "c", "d", "S")
    ev = {f.id: sched.evaluate(f, visits, 6 * H, 2, True) for f in p.fleets}
    assert ev["W"].distance_m == 2 * ev["V"].distance_m == 2 * (2 * 5000 + 2 * 5000)
    assert ev["W"].cost - ev["V"].cost == pytest.approx(2.0 * ev["V"].distance_m / 1000)
    plan = checked(
        p, *(sched.route(f"{f}#1", p.fleets[k], list(visits)) for k, f in enumerate("VW"))
    )
    assert plan.check is not None
    km = {r.fleet: r.distance_m for r in plan.check.routes}
    assert km["W"] == 2 * km["V"]


def test_insertion_tries_a_spare_vehicle_after_its_evaluations_run_out() -> None:
    """Two cheap insertions into a full trip fail and use up the evaluations: the stop still
    goes to the spare vehicle (depot, x, S, depot) instead of staying unserved."""
    p = make_problem(
        {"D": 0, "a": 1000, "x": 1500, "S": 5000},
        {"a": {"load_kg": 900}, "x": {"load_kg": 200}},
        NATURAL_LUNCH,
    )
    p = replace(p, fleets=(replace(p.fleets[0], count=2),))
    sched = RouteScheduler(p)
    v = p.fleets[0]
    work = [_Work(fleet=v, visits=["a", "S"], cost=sched.plan(v, ["a", "S"]).cost)]
    options = [(1.0, 0, 0, None, v), (1.0, 0, 1, None, v), (500.0, -1, 0, "S", v)]
    got = _cheapest_feasible(sched, work, options, "x", max_evals=2)
    assert got is not None and got[1:3] == (-1, ["x", "S"])
