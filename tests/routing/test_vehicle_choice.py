"""Tests of ``wasteopt/routing/vehicle_choice.py``: routes given to the vehicles that drive them
at least cost (near their own depot), and the far-from-home KPI."""

from __future__ import annotations

import time
from pathlib import Path

from two_towns import fleet, two_towns

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.routing.territories import solve_territories
from wasteopt.routing.timetable import RouteScheduler
from wasteopt.routing.vehicle_choice import far_from_home, home_legs_ahead, home_legs_m, reassign
from wasteopt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]

FAST = RoutingSettings(iterations=300, time_limit_s=30.0)


def town_route(site: str, n: int) -> list[str]:
    """The ``n`` stops of ``site``'s town in ring order, then an unload there."""
    return [f"{site}-{i}" for i in range(n)] + [site]


def test_a_route_driven_from_the_far_depot_goes_to_the_unused_vehicle_near_it() -> None:
    """West's stops driven by E from the east depot (2 × 19 km empty) while W stands unused
    next to them: the KPI flags the route as avoidable, reassign gives it to W, cheaper, and
    then no route runs far from home."""
    p = two_towns({"SW": 5}, (fleet("W", "GW", 1), fleet("E", "GE", 1)), load_kg=100)
    sched = RouteScheduler(p)
    far = sched.route("E#1", sched.fleets["E"], town_route("SW", 5))
    (flag,) = far_from_home(sched, [far])
    assert (flag.depot, flag.nearest, flag.avoidable) == ("GE", "GW", True)
    assert flag.legs_m - flag.nearest_legs_m > 30_000
    (near,) = reassign(sched, [far])
    assert (near.fleet, near.vehicle, near.visits) == ("W", "W#1", far.visits)
    cost = sched.plan(sched.fleets["W"], near.visits).cost
    assert cost < sched.plan(sched.fleets["E"], far.visits).cost - 100
    assert far_from_home(sched, [near]) == []


def test_two_routes_each_on_the_other_towns_vehicle_are_swapped() -> None:
    """One vehicle per depot, each driving the other town's route: both change vehicle (no
    fleet over its count), and the KPI counts them as far but not avoidable before."""
    p = two_towns({"SW": 4, "SE": 4}, (fleet("W", "GW", 1), fleet("E", "GE", 1)), load_kg=100)
    sched = RouteScheduler(p)
    routes = [
        sched.route("E#1", sched.fleets["E"], town_route("SW", 4)),
        sched.route("W#1", sched.fleets["W"], town_route("SE", 4)),
    ]
    assert sorted((f.vehicle, f.avoidable) for f in far_from_home(sched, routes)) == [
        ("E#1", False),
        ("W#1", False),
    ]
    swapped = reassign(sched, routes)
    assert [r.fleet for r in swapped] == ["W", "E"]
    assert [r.visits for r in swapped] == [r.visits for r in routes]


def test_a_route_only_its_own_fleet_may_serve_keeps_its_vehicle() -> None:
    """West's stops allow only E (access): however far E's depot, the route stays with E and
    the KPI does not count it (no fleet of its kind is nearer)."""
    only_e = {f"SW-{i}": ("E",) for i in range(3)}
    p = two_towns({"SW": 3}, (fleet("W", "GW", 1), fleet("E", "GE", 1)), access=only_e)
    sched = RouteScheduler(p)
    route = sched.route("E#1", sched.fleets["E"], town_route("SW", 3))
    assert reassign(sched, [route]) == (route,)
    assert far_from_home(sched, [route]) == []


def test_territories_route_each_town_with_its_own_depots_vehicles() -> None:
    """Two towns, one vehicle west and two east: the routed day is checker-clean, every
    route starts from its own town's depot and none runs far from home."""
    p = two_towns({"SW": 8, "SE": 6}, (fleet("W", "GW", 1), fleet("E", "GE", 2)))
    plan = solve_territories(p, FAST)
    assert plan.check is not None and plan.check.ok and check_plan(p, plan).ok
    home = {"W": "SW", "E": "SE"}
    assert all({v.split("-")[0] for v in r.visits} == {home[r.fleet]} for r in plan.routes)
    assert far_from_home(RouteScheduler(p), plan.routes) == []


def test_routes_not_priced_before_the_deadline_keep_their_vehicle() -> None:
    """With the deadline already past, the far route is not priced and keeps its vehicle."""
    p = two_towns({"SW": 3}, (fleet("W", "GW", 1), fleet("E", "GE", 1)), load_kg=100)
    sched = RouteScheduler(p)
    far = sched.route("E#1", sched.fleets["E"], town_route("SW", 3))
    assert reassign(sched, [far], deadline=time.time() - 1) == (far,)
    assert reassign(sched, [far])[0].fleet == "W"


def test_home_legs_of_a_road_day_are_read_ahead_in_two_blocks(road_searches: list[int]) -> None:
    """On tiny_roads (legs computed on demand) far_from_home reads every depot's legs to the
    routes' ends from two blocks computed ahead, equal to the legs read one by one, with
    fewer searches than one per leg."""
    sc = load_scenario(ROOT / "scenarios" / "tiny_roads")
    problem = build_problem(sc, generate(sc, days=1, seed=0), 0, "other", build_matrix(sc))
    plan = solve(problem, RoutingSettings(iterations=200, time_limit_s=30.0))
    routes = [r for r in plan.routes if r.visits]
    searches = road_searches
    searches.clear()
    ahead = RouteScheduler(problem)
    home_legs_ahead(ahead, routes)
    blocks = len(searches)
    depots = sorted({f.depot for f in problem.fleets})
    legs = [home_legs_m(ahead, d, r.visits) for r in routes for d in depots]  # the kept's
    assert len(searches) == blocks <= 2
    # the same problem on fresh tables (nothing kept): each leg read alone
    fresh = build_problem(sc, generate(sc, days=1, seed=0), 0, "other", build_matrix(sc))
    one_by_one = RouteScheduler(fresh)
    assert legs == [home_legs_m(one_by_one, d, r.visits) for r in routes for d in depots]
    assert len(searches) - blocks > blocks
