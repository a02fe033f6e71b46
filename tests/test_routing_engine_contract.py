"""Contract suite: every registered routing engine keeps the same promises on tiny problems."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import time
from pathlib import Path

import numpy as np
import pytest

from tests.test_routing_engines import H, make_problem
from wasteopt.clock import Deadline
from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.engines import REGISTRY
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Lunch, RoutingProblem
from wasteopt.routing.settings import ENGINES, RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.scenario import load_scenario

LIMIT_S = 2.0  # seconds; tiny problems, generous for a loaded machine
TOLERANCE_S = 1.0  # wall time allowed beyond a deadline (process start-up, checking)
ITERATIONS = 200
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=sorted(REGISTRY))
def engine(request: pytest.FixtureRequest) -> str:
    """Each registered engine, its solver library already imported (not timed). Both are
    dependencies: a missing one fails here, it is never skipped."""
    name: str = request.param
    importlib.import_module({"pyvrp": "pyvrp", "ortools": "ortools.constraint_solver"}[name])
    return name


def run(problem: RoutingProblem, engine: str, **settings: int) -> RoutePlan:
    return solve(problem, RoutingSettings(engine=engine, time_limit_s=LIMIT_S, **settings))


def test_registry_holds_every_engine_name() -> None:
    """The registry and RoutingSettings accept exactly the same engine names."""
    assert set(REGISTRY) == set(ENGINES)
    assert all(REGISTRY[name].name == name for name in REGISTRY)


def test_same_seed_same_plan(engine: str) -> None:
    """In the deterministic mode two runs with the same seed return the identical plan."""
    p = make_problem(10, count=2)
    a = run(p, engine, seed=3, iterations=ITERATIONS)
    b = run(p, engine, seed=3, iterations=ITERATIONS)
    assert a.routes == b.routes
    assert a.unserved == b.unserved
    assert a.objective == b.objective


def test_inputs_unchanged(engine: str) -> None:
    """Solving changes neither the problem's dataclasses nor its matrices (deep compare)."""
    p = make_problem(8, count=2, lunch=Lunch(earliest_s=11 * H, latest_s=13 * H, duration_s=H))
    before = copy.deepcopy(p)
    run(p, engine, iterations=ITERATIONS)
    for f in dataclasses.fields(p):
        now, then = getattr(p, f.name), getattr(before, f.name)
        if f.name == "distance_m":
            np.testing.assert_array_equal(now, then)
        elif f.name == "durations_s":
            assert len(now) == len(then)
            for a, b in zip(now, then, strict=True):
                np.testing.assert_array_equal(a, b)
        else:
            assert now == then, f.name


def test_feasible_instance_is_checker_clean(engine: str) -> None:
    """A comfortable problem is solved completely and the checker finds nothing."""
    plan = run(make_problem(10, count=3), engine)
    assert plan.check is not None and plan.check.ok, plan.check.summary()
    assert plan.status == "feasible"
    assert plan.objective == pytest.approx(plan.check.totals.cost)
    served = sorted(v for r in plan.routes for v in r.visits if v.startswith("P"))
    assert served == sorted(f"P{i}" for i in range(10))


def test_stop_no_vehicle_can_take_is_partial_and_named(engine: str) -> None:
    """A stop heavier than every vehicle makes the plan partial with that stop unserved."""
    p = make_problem(6, count=2)
    heavy = dataclasses.replace(p.stops[3], load_kg=5000)
    p = dataclasses.replace(p, stops=(*p.stops[:3], heavy, *p.stops[4:]))
    plan = run(p, engine)
    assert plan.status == "partial", plan.check.summary() if plan.check else ""
    assert plan.unserved == ("P3",)
    assert plan.check is not None
    assert {v.kind for v in plan.check.violations} == {"unserved"}


@pytest.mark.parametrize("workers", [1, 2])
def test_deadline_honoured(engine: str, workers: int) -> None:
    """The whole call returns within its deadline plus TOLERANCE_S, whatever time_limit_s says."""
    p = make_problem(12, count=2)
    settings = RoutingSettings(engine=engine, time_limit_s=60.0, workers=workers)
    t0 = time.perf_counter()
    solve(p, settings, deadline=Deadline(1.0))
    assert time.perf_counter() - t0 <= 1.0 + TOLERANCE_S


def two_fleets(n: int = 8) -> RoutingProblem:
    """``make_problem`` plus a dearer fleet SMALL next to the cheap fleet F (two vehicles)."""
    p = make_problem(n, count=2)
    (big,) = p.fleets
    small = dataclasses.replace(big, id="SMALL", count=1, fixed_cost=big.fixed_cost + 500)
    return dataclasses.replace(p, fleets=(big, small))


def restrict(problem: RoutingProblem, stop_id: str, fleets: tuple[str, ...]) -> RoutingProblem:
    """``problem`` with ``stop_id`` allowing only ``fleets``."""
    stops = tuple(
        dataclasses.replace(s, fleets=fleets) if s.id == stop_id else s for s in problem.stops
    )
    return dataclasses.replace(problem, stops=stops)


def test_stop_reachable_only_by_small_fleet_is_served_by_it(engine: str) -> None:
    """A stop only the dearer small fleet may reach is served by it; every other stop stays
    on the cheap fleet, and the plan is checker-clean."""
    p = restrict(two_fleets(), "P2", ("SMALL",))
    plan = run(p, engine, iterations=ITERATIONS)
    assert plan.status == "feasible", plan.check.summary() if plan.check else ""
    by_stop = {v: r.fleet for r in plan.routes for v in r.visits if v.startswith("P")}
    assert by_stop["P2"] == "SMALL"
    assert sorted(by_stop) == sorted(s.id for s in p.stops)


def test_stop_no_fleet_may_serve_is_partial_and_named(engine: str) -> None:
    """A stop that allows no fleet of the problem stays in it and ends unserved, by name."""
    for allowed in ((), ("GHOST",)):
        p = restrict(two_fleets(6), "P3", allowed)
        plan = run(p, engine, iterations=ITERATIONS)
        assert plan.status == "partial", plan.check.summary() if plan.check else ""
        assert plan.unserved == ("P3",)
        assert plan.check is not None
        assert {v.kind for v in plan.check.violations} == {"unserved"}


def test_checker_flags_a_compactor_serving_a_lane_point() -> None:
    """On the tiny scenario with P1 in a lane, a hand-made plan whose compactor serves P1 has
    an access violation there (any such violation makes a plan infeasible)."""
    scenario = load_scenario(ROOT / "scenarios" / "tiny")
    points = tuple(
        dataclasses.replace(p, access="lane" if p.id == "P1" else "main_road")
        for p in scenario.points
    )
    vtypes = tuple(
        dataclasses.replace(v, vehicle_class="compactor") if v.id == "VT-OTH" else v
        for v in scenario.vehicle_types
    )
    sc = dataclasses.replace(scenario, points=points, vehicle_types=vtypes)
    problem = build_problem(sc, generate(sc, days=1, seed=1), 0, "other", build_matrix(sc))
    p1 = next(s for s in problem.stops if s.id == "P1")
    assert p1.fleets is not None and "VT-OTH" not in p1.fleets
    route = Route(vehicle="VT-OTH#1", fleet="VT-OTH", start_s=6 * H, visits=("P1", *p1.unload_at))
    others = tuple(s.id for s in problem.stops if s.id != "P1")
    plan = RoutePlan(
        problem=problem.name,
        stream="other",
        engine="hand",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=(route,),
        unserved=others,
    )
    report = check_plan(problem, plan)
    access = [(v.kind, v.vehicle, v.stop) for v in report.violations if v.kind != "unserved"]
    assert access == [("access", "VT-OTH#1", "P1")], report.summary()
