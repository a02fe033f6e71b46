"""Tests of the decomposition for very large plain CVRP (wasteopt.routing.large).

A generated Euclidean CVRP of 500 customers with sectors of 120 stops is decomposed for real
(five sectors, see tests/test_routing_large_parts.py; neighbourhoods of about eight routes);
searches stop after a fixed number of iterations, so runs are reproducible and fast.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from wasteopt.clock import Deadline
from wasteopt.routing.check import check_plan
from wasteopt.routing.engines._pyvrp_warm import improve_routes
from wasteopt.routing.large import _instance, _subproblem, large_applies, solve_large
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import Depot, Fleet, RoutingProblem, Stop
from wasteopt.routing.settings import RoutingSettings
from wasteopt.travel_table import TravelTable

N = 500
Solved = tuple[RoutingProblem, RoutePlan]
SETTINGS = RoutingSettings(territory_max_stops=120, iterations=40, workers=1, seed=3)


def generated(
    n: int = N, *, count: int | None = None, lazy: bool = True, capacity: int = 25
) -> RoutingProblem:
    """``n`` customers uniform on a 1000 × 1000 grid (integer coordinates), depot in the
    middle, demands 1–3, capacity 25 (about 15 stops a route); lazy or dense tables."""
    rng = np.random.default_rng(7)
    xy = rng.integers(0, 1001, size=(n + 1, 2))
    xy[0] = (500, 500)
    table = TravelTable.euclidean(xy[:, 0], xy[:, 1])
    zero = TravelTable(np.zeros((2, n + 1)), metric="plane", scale=1.0)
    ids = tuple(str(i) for i in range(n + 1))
    stops = tuple(
        Stop(id=ids[i], stream="b", load_kg=int(rng.integers(1, 4))) for i in range(1, n + 1)
    )
    fleet = Fleet(
        id="v",
        stream="b",
        depot="0",
        count=n if count is None else count,
        capacity_kg=capacity,
        max_trips=1,
        cost_per_km=1000.0,
    )
    dist: np.ndarray | TravelTable = table if lazy else table.dense()
    durs: np.ndarray | TravelTable = zero if lazy else np.zeros((n + 1, n + 1), dtype=np.int32)
    return RoutingProblem(
        name="gen",
        stream="b",
        stops=stops,
        sites=(),
        depots=(Depot(id="0"),),
        fleets=(fleet,),
        locations=ids,
        distance_m=dist,
        durations_s=(durs,),
        depot_unloads=True,
    )


@pytest.fixture(scope="module")
def solved() -> tuple[RoutingProblem, RoutePlan]:
    problem = generated()
    return problem, solve_large(problem, SETTINGS, deadline=Deadline(60))


def test_plan_is_checker_clean_and_serves_every_stop_once(
    solved: tuple[RoutingProblem, RoutePlan],
) -> None:
    """The merged plan of a decomposed 500-stop problem is clean and visits each stop once."""
    problem, plan = solved
    assert plan.status == "feasible" and plan.check is not None and plan.check.ok
    visits = Counter(v for r in plan.routes for v in r.visits)
    assert set(visits) == {s.id for s in problem.stops}
    assert max(visits.values()) == 1 and plan.unserved == ()


def test_lazy_and_dense_problem_cost_the_same_routes_alike(
    solved: tuple[RoutingProblem, RoutePlan],
) -> None:
    """The checker gives the same cost for the same routes on lazy and dense tables."""
    problem, plan = solved
    dense = generated(lazy=False)
    assert isinstance(problem.distance_m, TravelTable)
    assert not isinstance(dense.distance_m, TravelTable)
    lazy_cost = check_plan(problem, plan).totals.cost
    assert check_plan(dense, plan).totals.cost == lazy_cost == plan.objective


def test_deterministic_with_iterations(solved: Solved) -> None:
    """Same seed, workers and iterations: the same routes again."""
    problem, plan = solved
    again = solve_large(problem, SETTINGS, deadline=Deadline(60))
    assert [r.visits for r in again.routes] == [r.visits for r in plan.routes]


def test_improvement_gains_on_the_sector_solution(solved: Solved) -> None:
    """The plan is cheaper than the sectors' routes alone (improvement rounds at work)."""
    problem, plan = solved
    initial = solve_large(problem, replace(SETTINGS, iterations=1), deadline=Deadline(60))
    assert initial.check is not None and initial.check.ok
    assert plan.objective < initial.objective


def test_limited_fleet_is_honoured_on_two_workers() -> None:
    """A fleet of only ceil(load / capacity) + 1 vehicles, two forked workers: a clean plan
    with no more routes than that."""
    base = generated(300)
    need = math.ceil(sum(s.load_kg for s in base.stops) / 25)
    problem = generated(300, count=need + 1)
    settings = replace(SETTINGS, iterations=20, workers=2)
    plan = solve_large(problem, settings, deadline=Deadline(60))
    assert plan.check is not None and plan.check.ok
    assert len(plan.routes) <= need + 1


def test_warm_start_never_returns_a_worse_solution() -> None:
    """PyVRP started from given routes answers feasible routes no dearer than the start."""
    problem = generated(120)
    inst = _instance(problem, SETTINGS)
    sub = _subproblem(inst, list(range(120)), 20, "t")
    ids = [s.id for s in sub.stops]
    start = [ids[k : k + 8] for k in range(0, 120, 8)]  # 15 routes in id order: poor
    res = improve_routes(sub, start, seed=1, end_wall=math.inf, iterations=200)
    assert sorted(v for r in res.routes for v in r) == sorted(ids)
    assert res.cost < res.start_cost < math.inf


def test_scope_of_the_decomposition() -> None:
    """Large plain problems apply; small ones, windows and multi-fleet problems do not."""
    big = generated(2100)
    assert large_applies(big, RoutingSettings())
    assert not large_applies(generated(), RoutingSettings())
    windows = replace(big, stops=(replace(big.stops[0], tw_end_s=3600), *big.stops[1:]))
    assert not large_applies(windows, RoutingSettings())
    two = replace(big, fleets=(*big.fleets, replace(big.fleets[0], id="w")))
    assert not large_applies(two, RoutingSettings())
    with pytest.raises(ValueError, match="plain single-depot"):
        solve_large(replace(generated(), depot_unloads=False), SETTINGS)


def test_long_routes_are_searched_jointly_within_the_fleet() -> None:
    """Routes of about 80 stops (the joint search's long-route share) on a limited fleet:
    every stop served once, checker-clean, no more routes than vehicles."""
    problem = generated(640, count=9, capacity=160)
    settings = RoutingSettings(territory_max_stops=120, iterations=30, workers=2, seed=5)
    plan = solve_large(problem, settings, deadline=Deadline(120))
    served = [s for r in plan.routes for s in r.visits]
    assert plan.check is not None and plan.check.ok
    assert sorted(served, key=int) == [s.id for s in problem.stops] and not plan.unserved
    assert len([r for r in plan.routes if r.visits]) <= 9
