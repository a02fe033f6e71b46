"""The checker's road rule (wasteopt.routing.road_check) and routing on scenarios/tiny_roads."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wasteopt.generation import Demand, generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.routing import road_check
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.plan import Route, RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import ENGINES, RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.travel_table import RoadTable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def roads_scenario() -> Scenario:
    """scenarios/tiny_roads, loaded once."""
    return load_scenario(ROOT / "scenarios" / "tiny_roads")


@pytest.fixture(scope="module")
def roads_matrix(roads_scenario: Scenario) -> TravelMatrix:
    """Its travel matrix on the road network."""
    return build_matrix(roads_scenario)


@pytest.fixture(scope="module")
def roads_day0(roads_scenario: Scenario) -> Demand:
    """One day of demand, seed 0."""
    return generate(roads_scenario, days=1, seed=0)


def _problem(sc: Scenario, demand: Demand, matrix: TravelMatrix, stream: str) -> RoutingProblem:
    return build_problem(sc, demand, 0, stream, matrix)


def _unrestricted(problem: RoutingProblem) -> RoutingProblem:
    """The problem with every duration profile computed over every road (the rules ignored),
    its road rules kept: what a broken table builder would hand an engine."""
    dist = problem.distance_m
    assert isinstance(dist, RoadTable)
    assert problem.roads is not None
    speeds = {f.profile: problem.roads.profiles[f.id].speed_kmh for f in problem.fleets}
    return replace(
        problem, durations_s=tuple(dist.travel_time(speeds[k]) for k in range(len(speeds)))
    )


def _plan(problem: RoutingProblem, start_s: int, visits: tuple[str, ...]) -> RoutePlan:
    route = Route(vehicle="VT-OTH#1", fleet="VT-OTH", start_s=start_s, visits=visits)
    served = set(visits)
    return RoutePlan(
        problem=problem.name,
        stream=problem.stream,
        engine="hand",
        seed=0,
        status="feasible",
        objective=0.0,
        runtime_s=0.0,
        routes=(route,),
        unserved=tuple(s.id for s in problem.stops if s.id not in served),
    )


def test_tiny_roads_routes_in_seconds_and_checker_clean(roads_scenario, roads_matrix, roads_day0):
    """Both streams route on the road network, checker clean (road rule included), in seconds."""
    t0 = time.perf_counter()
    for stream in ("kitchen", "other"):
        problem = _problem(roads_scenario, roads_day0, roads_matrix, stream)
        assert problem.roads is not None and isinstance(problem.distance_m, RoadTable)
        plan = solve(problem, RoutingSettings(iterations=200, time_limit_s=10.0))
        assert plan.check is not None and plan.check.ok, plan.check.summary()
        assert not plan.unserved
    assert time.perf_counter() - t0 < 10.0


def test_checker_flags_a_leg_through_the_truck_ban(roads_scenario, roads_matrix, roads_day0):
    """P1 → P2 → ST-W at 07:xx along the banned main road: a ``road`` violation on both legs
    naming the ban, which the plan timed on the real (restricted) tables does not get."""
    real = _problem(roads_scenario, roads_day0, roads_matrix, "other")
    bad = _unrestricted(real)
    plan = _plan(real, 7 * 3600, ("P1", "P2", "ST-W"))
    report = check_plan(bad, plan)
    roads = [v for v in report.violations if v.kind == "road"]
    assert [(v.vehicle, v.stop) for v in roads] == [("VT-OTH#1", "P2"), ("VT-OTH#1", "ST-W")]
    assert "BAN-CENTRE" in roads[0].message and "small_compactor" in roads[0].message
    assert not [v for v in check_plan(real, plan).violations if v.kind == "road"]


def test_the_ban_leg_is_legal_outside_the_ban_hours(roads_scenario, roads_matrix, roads_day0):
    """The same unrestricted leg driven at 10:00, after the ban, is not flagged."""
    bad = _unrestricted(_problem(roads_scenario, roads_day0, roads_matrix, "other"))
    report = check_plan(bad, _plan(bad, 10 * 3600, ("P1", "P2", "ST-W")))
    assert not [v for v in report.violations if v.kind == "road"]


def test_checker_flags_a_leg_over_the_weight_limited_bridge(
    roads_scenario, roads_matrix, roads_day0
):
    """P3 → P6 → ST-W over 东桥 (8 t limit) and back by the 8.5 t compactor at 10:00: a
    ``road`` violation on both legs, no ban involved."""
    bad = _unrestricted(_problem(roads_scenario, roads_day0, roads_matrix, "other"))
    report = check_plan(bad, _plan(bad, 10 * 3600, ("P3", "P6", "ST-W")))
    roads = [v for v in report.violations if v.kind == "road"]
    assert [v.stop for v in roads] == ["P6", "ST-W"]
    assert "8.5 t" in roads[0].message and "bans in force" not in roads[0].message


def test_checker_flags_km_counted_on_roads_closed_to_the_vehicle(
    roads_scenario, roads_matrix, roads_day0
):
    """A problem that hands the 8.5 t compactor the unrestricted metres (times its own): the
    legs round the 07-09 ban and over the 8 t bridge count fewer metres than any way open to
    it, a ``road`` violation naming both lengths; its own metres are clean and longer."""
    real = _problem(roads_scenario, roads_day0, roads_matrix, "other")
    bad = replace(real, distances_m=())
    ban = _plan(real, 7 * 3600, ("P1", "P2", "ST-W"))
    report = check_plan(bad, ban)
    roads = [v for v in report.violations if v.kind == "road"]
    assert [v.stop for v in roads] == ["P2", "ST-W"]
    assert "counts 1,112 m" in roads[0].message and "take 2,224 m" in roads[0].message
    own = check_plan(real, ban)
    assert not [v for v in own.violations if v.kind == "road"]
    assert own.routes[0].distance_m > report.routes[0].distance_m
    bridge = check_plan(bad, _plan(real, 10 * 3600, ("P3", "P6", "ST-W")))
    roads = [v for v in bridge.violations if v.kind == "road"]
    assert [v.stop for v in roads] == ["P6"] and "take 6,672 m" in roads[0].message


@pytest.mark.parametrize("engine", ENGINES)
def test_routes_count_the_km_of_their_own_roads(engine, roads_scenario, roads_matrix, roads_day0):
    """Each engine's routes on tiny_roads: every route's km, cost per km and CO2 are the sum of
    its fleet profile's own legs, and the compactor's exceed the unrestricted table's."""
    problem = _problem(roads_scenario, roads_day0, roads_matrix, "other")
    plan = solve(problem, RoutingSettings(engine=engine, iterations=200, time_limit_s=10.0))
    assert plan.check is not None and plan.check.ok, plan.check.summary()
    idx, fleets = problem.index(), {f.id: f for f in problem.fleets}
    longer = []
    for route, times in zip((r for r in plan.routes if r.visits), plan.check.routes, strict=True):
        f = fleets[route.fleet]
        path = [idx[f.depot], *(idx[v] for v in route.visits), idx[f.depot]]
        own = sum(int(problem.distance_of(f.profile)[a, b]) for a, b in itertools.pairwise(path))
        assert times.distance_m == own
        assert times.distance_cost == pytest.approx(f.cost_per_km * own / 1000)
        assert times.co2_kg == pytest.approx(f.co2_kg_per_km * own / 1000)
        plain = sum(int(problem.distance_m[a, b]) for a, b in itertools.pairwise(path))
        longer.append((route.fleet, own > plain))
    assert ("VT-OTH", True) in longer


def _bad_plans(
    sc: Scenario, demand: Demand, matrix: TravelMatrix
) -> list[tuple[RoutingProblem, RoutePlan]]:
    """The violation cases above: the ban, the bridge, and km on roads closed to the vehicle."""
    real = _problem(sc, demand, matrix, "other")
    bad, km = _unrestricted(real), replace(real, distances_m=())
    return [
        (bad, _plan(bad, 7 * 3600, ("P1", "P2", "ST-W"))),
        (bad, _plan(bad, 10 * 3600, ("P3", "P6", "ST-W"))),
        (km, _plan(real, 7 * 3600, ("P1", "P2", "ST-W"))),
        (km, _plan(real, 10 * 3600, ("P3", "P6", "ST-W"))),
        (real, _plan(real, 7 * 3600, ("P1", "P2", "P3", "P6", "ST-W"))),
    ]


@pytest.mark.parametrize("margin_m", [0.0, 1_000.0])
def test_the_route_box_never_changes_a_verdict(
    margin_m, monkeypatch, roads_scenario, roads_matrix, roads_day0
):
    """Searched first on the route's box (forced on the tiny graph, with no margin or the
    default), every leg gets the verdict and message of the whole-graph search."""
    cases = _bad_plans(roads_scenario, roads_day0, roads_matrix)
    whole = [check_plan(p, plan).violations for p, plan in cases]
    assert sum(len(v) for v in whole) >= 6
    monkeypatch.setattr(road_check, "_LOCAL_SHARE", 1.0)
    monkeypatch.setattr(road_check, "LOCAL_MARGIN", 0.0)
    monkeypatch.setattr(road_check, "LOCAL_MIN_MARGIN_M", margin_m)
    road_check._CACHE.clear()
    assert [check_plan(p, plan).violations for p, plan in cases] == whole


def test_a_clean_route_is_cleared_on_its_box(monkeypatch, roads_scenario, roads_matrix, roads_day0):
    """A legal route's legs are all cleared by searches on its box: no whole-graph search."""
    real = _problem(roads_scenario, roads_day0, roads_matrix, "other")
    assert real.roads is not None
    n = real.roads.graph.node_count
    plan = solve(real, RoutingSettings(iterations=200, time_limit_s=10.0))
    sizes: list[int] = []
    search = road_check.dijkstra

    def counted(graph: Any, *args: Any, **kw: Any) -> Any:
        sizes.append(graph.shape[0])
        return search(graph, *args, **kw)

    monkeypatch.setattr(road_check, "_LOCAL_SHARE", 1.0)
    monkeypatch.setattr(road_check, "LOCAL_MIN_MARGIN_M", 200.0)
    monkeypatch.setattr(road_check, "dijkstra", counted)
    road_check._CACHE.clear()
    report = check_plan(real, plan)
    assert report.ok and sizes and all(k < n for k in sizes), (n, sorted(set(sizes)))


def test_a_box_answer_that_is_not_enough_is_searched_on_the_whole_graph(
    monkeypatch, roads_scenario, roads_matrix, roads_day0
):
    """On a box too small for some legal ways (no margin), each answer is the whole graph's
    whenever the box's is above what the caller needs; pairs whose legal way leaves the box
    exist (else this proves nothing)."""
    real = _problem(roads_scenario, roads_day0, roads_matrix, "other")
    assert real.roads is not None
    roads = road_check._Roads(real.roads)
    router = roads.router("VT-OTH")
    places = [real.roads.places[s] for s in ("P1", "P3", "P6", "ST-W")]
    nodes = [int(k) for k in router.snap([p[0] for p in places], [p[1] for p in places]).nodes]
    monkeypatch.setattr(road_check, "_LOCAL_SHARE", 1.0)
    monkeypatch.setattr(road_check, "LOCAL_MARGIN", 0.0)
    monkeypatch.setattr(road_check, "LOCAL_MIN_MARGIN_M", 0.0)
    box = road_check._Box(router, nodes)
    assert box.nodes is not None
    cut_off = 0
    for graph in roads.graph("VT-OTH", 7 * 3600, 7 * 3600 + 600)[:2]:
        small = graph[box.nodes][:, box.nodes]
        for u, v in itertools.permutations(nodes, 2):
            whole = float(road_check.dijkstra(graph, indices=u)[v])
            i, j = np.searchsorted(box.nodes, [u, v])
            cut_off += float(road_check.dijkstra(small, indices=int(i))[int(j)]) > whole
            ends = (np.array([u]), np.zeros(1)), (np.array([v]), np.zeros(1))
            assert box.fastest(graph, *ends, whole) == whole
    assert cut_off > 0
