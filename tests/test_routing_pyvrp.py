"""PyVRP engine specifics: lazy import, parallel seeds, fleet split, repair and scheduling."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import pyvrp  # a dependency: a missing install fails these tests, it never skips them

from tests.test_routing_engines import H, make_problem
from wasteopt.clock import Deadline
from wasteopt.errors import SolverUnavailable
from wasteopt.routing.check import check_plan
from wasteopt.routing.engines._pyvrp import PyVRPEngine
from wasteopt.routing.engines._pyvrp_model import build_data, cost_scale
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import Lunch, RoutingProblem
from wasteopt.routing.schedule import RouteScheduler, repair_routes
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve

ROOT = Path(__file__).resolve().parents[1]


def _plan(
    problem: RoutingProblem, routes: tuple[Route, ...], unserved: tuple[str, ...]
) -> RoutePlan:
    return RoutePlan(
        problem=problem.name,
        stream=problem.stream,
        engine="test",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=routes,
        unserved=unserved,
    )


def test_importing_routing_does_not_import_pyvrp() -> None:
    """wasteopt.routing.solve and the engine module load without importing pyvrp."""
    code = (
        "import sys, wasteopt.routing.solve, wasteopt.routing.engines._pyvrp;"
        "print('pyvrp' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "False"


def test_missing_pyvrp_raises_solver_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken PyVRP install gives SolverUnavailable, not an ImportError."""
    monkeypatch.setitem(sys.modules, "pyvrp", None)
    with pytest.raises(SolverUnavailable, match="pyvrp"):
        solve(make_problem(4), RoutingSettings(time_limit_s=0.5))


def test_two_workers_deterministic_and_no_worse() -> None:
    """workers=2 (seeds s, s+1 in parallel) repeats itself and is never worse than seed s alone."""
    p = make_problem(12, count=3, seed=5)
    one = solve(p, RoutingSettings(time_limit_s=1.0, seed=7, workers=1))
    a = solve(p, RoutingSettings(time_limit_s=1.0, seed=7, workers=2))
    b = solve(p, RoutingSettings(time_limit_s=1.0, seed=7, workers=2))
    assert a.status == "feasible", a.check.summary()
    assert a.routes == b.routes
    assert a.objective <= one.objective + 1e-6


def test_restricted_sites_respect_fleet_count() -> None:
    """With one vehicle and stops bound to two sites, one route unloads at both sites."""
    p = make_problem(6, count=1, sites=("A", "B"), load_kg=300)
    stops = tuple(
        dataclasses.replace(s, unload_at=("A",) if i < 3 else ("B",)) for i, s in enumerate(p.stops)
    )
    p = dataclasses.replace(p, stops=stops)
    plan = solve(p, RoutingSettings(time_limit_s=1.0))
    assert plan.status == "feasible", plan.check
    (route,) = plan.routes
    assert {"A", "B"} <= set(route.visits)


def test_repair_fixes_broken_routes_and_names_leftovers() -> None:
    """repair_routes turns an overfull, unterminated route into checker-clean routes."""
    p = make_problem(6, count=1, max_stops=4)
    # One trip with every stop (2400 kg > 1000 kg), no final unload, above max_stops.
    routes, unserved = repair_routes(p, [("F", [s.id for s in p.stops])], [])
    report = check_plan(p, _plan(p, routes, unserved))
    assert {v.kind for v in report.violations} <= {"unserved"}, report.summary()
    served = [v for r in routes for v in r.visits if v.startswith("P")]
    assert len(served) == 4  # max_stops of the only vehicle
    assert sorted(served + list(unserved)) == sorted(s.id for s in p.stops)


def test_scheduler_places_lunch_and_delays_departure() -> None:
    """The scheduler puts the break inside its window and leaves late when the first stop opens
    late, and the checker agrees with its schedule."""
    p = make_problem(3, count=1, lunch=Lunch(earliest_s=11 * H, latest_s=12 * H, duration_s=H))
    first = dataclasses.replace(p.stops[0], tw_start_s=10 * H, tw_end_s=11 * H)
    last = dataclasses.replace(p.stops[1], tw_start_s=13 * H, tw_end_s=14 * H)
    p = dataclasses.replace(p, stops=(first, last, p.stops[2]))
    sched = RouteScheduler(p)
    route = sched.route("F#1", p.fleets[0], ["P0", "P2", "S", "P1", "S"])
    assert route.lunch_after is not None
    assert route.start_s > p.fleets[0].shift_start_s
    report = check_plan(p, _plan(p, (route,), ()))
    assert report.ok, report.summary()
    ev = sched.evaluate_route(route)
    assert ev.cost == pytest.approx(report.totals.cost)
    assert ev.end_s == report.routes[0].end_s


def test_cost_scale_keeps_data_units_when_rates_are_integral() -> None:
    """Benchmark rates (1 per distance unit) keep unit 1; fractional CNY rates get finer units
    that round within 0.5 %."""
    bench = dataclasses.replace(
        make_problem(2).fleets[0], cost_per_km=1000.0, cost_per_hour=0.0, fixed_cost=0.0
    )
    assert cost_scale([bench]) == 1
    waste = dataclasses.replace(bench, cost_per_km=3.4, cost_per_hour=75.0, fixed_cost=300.0)
    scale = cost_scale([waste])
    assert scale == 10_000
    rate = 75.0 / 3600 * scale
    assert abs(round(rate) - rate) <= 0.005 * rate


def test_split_types_share_the_fleet_by_load() -> None:
    """With stops bound to two sites (3:1 load) and a short budget, the split vehicle types get
    about twice their load share of the fleet (a long budget: all of it); the plan is clean."""
    p = make_problem(8, count=4, sites=("A", "B"), load_kg=300)
    stops = tuple(
        dataclasses.replace(s, unload_at=("A",) if i < 6 else ("B",)) for i, s in enumerate(p.stops)
    )
    p = dataclasses.replace(p, stops=stops)
    built = build_data(p, pyvrp, 1.0)
    assert built is not None
    counts = {vt.name: vt.num_available for vt in built.data.vehicle_types()}
    assert counts == {"F:A": 4, "F:B": 2}  # min(4, ceil(2·4·3/4)), ceil(2·4·1/4)
    long = build_data(p, pyvrp, 60.0)
    assert long is not None
    assert [vt.num_available for vt in long.data.vehicle_types()] == [4, 4]
    plan = solve(p, RoutingSettings(time_limit_s=1.0))
    assert plan.status == "feasible", plan.check.summary()
    assert len(plan.routes) <= 4


def test_depot_unloads_clients_required_only_when_fleet_suffices() -> None:
    """CVRP-like problems give PyVRP required clients (as its own reader does); a fleet too
    small for the total load keeps them optional so the plan names the unserved."""
    p = dataclasses.replace(make_problem(8, count=4), sites=(), depot_unloads=True)
    full = build_data(p, pyvrp, 1.0)
    assert full is not None and all(c.required for c in full.data.clients())
    small = dataclasses.replace(p, fleets=(dataclasses.replace(p.fleets[0], count=2),))
    short = build_data(small, pyvrp, 1.0)
    assert short is not None and not any(c.required for c in short.data.clients())
    plan = solve(small, RoutingSettings(time_limit_s=1.0))
    assert plan.status == "partial"
    assert len(plan.unserved) == 4  # two single-trip 1000 kg vehicles carry 2 × 400 kg each


def test_repair_moves_surplus_route_to_fleet_with_spare_vehicle() -> None:
    """A fleet with one vehicle (one stop per shift) given two routes: the surplus route moves
    to another fleet's spare vehicle instead of its stop being dropped."""
    p = make_problem(2, count=1, max_stops=1)
    spare = dataclasses.replace(p.fleets[0], id="F2", count=1, max_stops=None)
    p = dataclasses.replace(p, fleets=(p.fleets[0], spare))
    routes, unserved = repair_routes(p, [("F", ["P0", "S"]), ("F", ["P1", "S"])], [])
    assert unserved == ()
    report = check_plan(p, _plan(p, routes, unserved))
    assert report.ok, report.summary()
    assert sorted(r.fleet for r in routes) == ["F", "F2"]


def test_repair_joins_light_routes_of_one_fleet() -> None:
    """Two one-stop routes of one fleet become one two-trip shift (saves a fixed cost)."""
    p = make_problem(2, count=2)
    routes, unserved = repair_routes(p, [("F", ["P0", "S"]), ("F", ["P1", "S"])], [])
    assert unserved == ()
    (route,) = routes
    assert sorted(v for v in route.visits if v.startswith("P")) == ["P0", "P1"]
    assert check_plan(p, _plan(p, routes, unserved)).ok


def test_repair_after_deadline_still_feasible() -> None:
    """A repair deadline already passed shortens the insertion search but every returned
    route stays feasible and every stop is either served or named."""
    p = make_problem(10, count=3)
    routes, unserved = repair_routes(p, [], [s.id for s in p.stops], deadline=0.0)
    report = check_plan(p, _plan(p, routes, unserved))
    assert {v.kind for v in report.violations} <= {"unserved"}, report.summary()
    served = [v for r in routes for v in r.visits if v.startswith("P")]
    assert sorted(served + list(unserved)) == sorted(s.id for s in p.stops)
    assert len(served) == 10


def test_iterations_mode_gives_split_types_the_full_fleet() -> None:
    """In the deterministic mode every split vehicle type gets its fleet's full count, as with
    a long budget, even under a short deadline."""
    p = make_problem(8, count=4, sites=("A", "B"), load_kg=300)
    stops = tuple(
        dataclasses.replace(s, unload_at=("A",) if i < 6 else ("B",)) for i, s in enumerate(p.stops)
    )
    p = dataclasses.replace(p, stops=stops)
    built = PyVRPEngine().build(p, RoutingSettings(iterations=10), Deadline(1.0))
    assert built is not None
    assert [vt.num_available for vt in built.data.vehicle_types()] == [4, 4]


def _restricted(n: int, allowed: dict[int, tuple[str, ...]]) -> RoutingProblem:
    """Fleets F and T (one vehicle each); stop ``P<i>`` allows only ``allowed[i]``."""
    p = make_problem(n, count=1)
    tri = dataclasses.replace(p.fleets[0], id="T", fixed_cost=50.0)
    stops = tuple(
        dataclasses.replace(s, fleets=allowed[i]) if i in allowed else s
        for i, s in enumerate(p.stops)
    )
    return dataclasses.replace(p, fleets=(p.fleets[0], tri), stops=stops)


def test_access_adds_one_profile_per_ban_and_none_without() -> None:
    """Unrestricted stops give one routing profile for both fleets; a stop only T may serve
    gives F its own profile, in which that stop is unreachable."""
    plain = build_data(_restricted(4, {}), pyvrp, 1.0)
    assert plain is not None and plain.data.num_profiles == 1
    built = build_data(_restricted(4, {2: ("T",)}), pyvrp, 1.0)
    assert built is not None and built.data.num_profiles == 2
    f_type, t_type = built.data.vehicle_types()
    p2 = 4  # location of P2: G, S, P0, P1, P2
    assert built.data.duration_matrix(f_type.profile)[0, p2] >= 10_000_000
    assert built.data.duration_matrix(t_type.profile)[0, p2] < 10_000_000


def test_repair_inserts_a_stop_only_into_a_fleet_it_allows() -> None:
    """Re-inserting every stop puts the stop only T may serve on T (never on the cheaper F),
    and one that allows no fleet is named unserved."""
    p = _restricted(5, {1: ("T",), 3: ()})
    routes, unserved = repair_routes(p, [], [s.id for s in p.stops])
    assert unserved == ("P3",)
    assert {v: r.fleet for r in routes for v in r.visits}["P1"] == "T"
    report = check_plan(p, _plan(p, routes, unserved))
    assert {v.kind for v in report.violations} == {"unserved"}, report.summary()


def test_repair_moves_a_stop_off_a_fleet_it_does_not_allow() -> None:
    """A decoded route that serves a stop with a fleet it does not allow loses that stop,
    which is re-inserted on an allowed fleet."""
    p = _restricted(3, {0: ("T",)})
    routes, unserved = repair_routes(p, [("F", ["P0", "P1", "P2", "S"])], [])
    assert unserved == ()
    assert {v: r.fleet for r in routes for v in r.visits}["P0"] == "T"
    assert check_plan(p, _plan(p, routes, unserved)).ok


def test_repair_breaks_up_the_route_whose_lane_stops_fit_elsewhere() -> None:
    """A lane fleet T (one vehicle, 4 stops a shift) given two routes: the route broken up is
    the one whose other stops F can take, and its lane stop joins T's other route, so every
    lane stop is served (dropping the shorter route, as before, stranded a lane stop)."""
    p = _restricted(5, {0: ("T",), 1: ("T",), 2: ("T",)})
    p = dataclasses.replace(
        p,
        fleets=(
            dataclasses.replace(p.fleets[0], count=2),
            dataclasses.replace(p.fleets[1], max_stops=4),
        ),
        stops=tuple(dataclasses.replace(s, load_kg=200) for s in p.stops),
    )
    given = [("T", ["P0", "P3", "P4", "S"]), ("T", ["P1", "P2", "S"])]
    routes, unserved = repair_routes(p, given, [])
    assert unserved == ()
    by_stop = {v: r.fleet for r in routes for v in r.visits if v.startswith("P")}
    assert [by_stop[f"P{i}"] for i in range(3)] == ["T", "T", "T"]
    assert sum(r.fleet == "T" for r in routes) == 1
    assert check_plan(p, _plan(p, routes, unserved)).ok


def test_repair_ejects_an_open_stop_to_make_room_for_a_lane_stop() -> None:
    """A lane stop that fits nowhere (T's only shift is at its stop limit) takes the place of
    a stop F may also serve, which moves to F."""
    p = _restricted(4, {0: ("T",), 1: ("T",)})
    p = dataclasses.replace(
        p,
        fleets=(p.fleets[0], dataclasses.replace(p.fleets[1], max_stops=2)),
        stops=tuple(dataclasses.replace(s, load_kg=200) for s in p.stops),
    )
    routes, unserved = repair_routes(p, [("T", ["P0", "P2", "S"])], ["P1", "P3"])
    assert unserved == ()
    by_stop = {v: r.fleet for r in routes for v in r.visits if v.startswith("P")}
    assert by_stop["P0"] == by_stop["P1"] == "T"
    assert check_plan(p, _plan(p, routes, unserved)).ok


def test_repair_of_a_few_stops_ignores_a_passed_deadline() -> None:
    """With at most SMALL_REPAIR stops to place the repair searches in full even after its
    deadline: the lane stop still takes an open stop's place (a cut-short search left it
    unserved)."""
    p = _restricted(4, {0: ("T",), 1: ("T",)})
    p = dataclasses.replace(
        p,
        fleets=(p.fleets[0], dataclasses.replace(p.fleets[1], max_stops=2)),
        stops=tuple(dataclasses.replace(s, load_kg=200) for s in p.stops),
    )
    routes, unserved = repair_routes(p, [("T", ["P0", "P2", "S"])], ["P1", "P3"], deadline=0.0)
    assert unserved == ()
    assert check_plan(p, _plan(p, routes, unserved)).ok
