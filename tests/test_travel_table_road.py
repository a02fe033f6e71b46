"""Road tables on their way to workers (wasteopt.travel_table.road): cut lazily, twins still
sharing a search after a cut and a pickle, one network per process by content key, keys that
are the same in every process, and territory blocks kept for the whole problem."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wasteopt.generation import generate
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.roads import Profile
from wasteopt.routing import schedule, territories
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.territories import solve_territories, split, subproblem
from wasteopt.routing.timetable import RouteScheduler
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.scenario.roads import vehicle_profile
from wasteopt.travel_table import RoadNetwork, RoadTable, take_tables
from wasteopt.travel_table import road as road_module

ROOT = Path(__file__).resolve().parent.parent
TINY_ROADS = ROOT / "scenarios" / "tiny_roads"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """scenarios/tiny_roads, loaded once."""
    return load_scenario(TINY_ROADS)


@pytest.fixture(scope="module")
def matrix(scenario: Scenario) -> TravelMatrix:
    """Its travel matrix on the road network."""
    return build_matrix(scenario)


def test_twins_cut_together_and_pickled_share_one_search(
    scenario: Scenario, matrix: TravelMatrix, road_searches: list[int]
) -> None:
    """A profile's seconds and metres cut by take_tables, then pickled together (a worker's
    payload), compute their blocks with one search for both, equal to the whole tables' cut."""
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    oth = vehicle_profile(next(v for v in scenario.vehicle_types if v.id == "VT-OTH"))
    secs, metres = table.for_profile(oth), table.for_profile(oth, seconds=False)
    keep = [7, 0, 3, 11, 5]
    want_s, want_m = (t.dense()[np.ix_(keep, keep)] for t in (secs, metres))
    cut = take_tables((secs, metres), keep)
    sent = pickle.loads(pickle.dumps(cut))
    road_searches.clear()
    got_s = sent[0].dense()
    one = len(road_searches)
    got_m = sent[1].dense()
    assert one >= 1 and len(road_searches) == one  # the metres came with the seconds' search
    assert np.array_equal(got_s, want_s) and np.array_equal(got_m, want_m)
    alone = pickle.loads(pickle.dumps(cut[1]))  # sent without its twin: searches itself
    assert np.array_equal(alone.dense(), want_m) and len(road_searches) > one


def test_kept_blocks_are_read_cut_and_pickled_and_the_rest_is_searched(
    matrix: TravelMatrix, road_searches: list[int]
) -> None:
    """RoadTable.block reads the kept block that holds its entries (marked values prove it) and
    searches only the rows and columns it lacks; a cut with ``kept=`` keeps the block's part
    within it, through a pickle (a second pass's worker reads its first pass's tables)."""
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    whole = table.dense()
    mine = table.take(np.arange(table.shape[0]))
    rows = [0, 3, 5, 7]
    marked = whole[np.ix_(rows, rows)] + 1_000_000
    mine.keep("first pass", rows, marked)
    road_searches.clear()
    got = mine.block(rows, rows)
    assert np.array_equal(got, marked) and not road_searches
    wider = [0, 3, 5, 7, 9]  # a lent depot: its row and column are searched
    got = mine.block(wider, wider)
    assert road_searches
    assert np.array_equal(got[:4, :4], marked)
    assert np.array_equal(got[4], whole[9, wider]) and np.array_equal(got[:4, 4], whole[rows, 9])
    cut = take_tables((mine,), [7, 9, 3], kept=("first pass",))[0]
    sent = pickle.loads(pickle.dumps(cut))
    road_searches.clear()
    assert sent.block([0, 2], [0, 2]).tolist() == marked[np.ix_([3, 1], [3, 1])].tolist()
    assert not road_searches
    plain = take_tables((mine,), [7, 9, 3])[0]  # without kept=: nothing carried
    assert np.array_equal(plain.block([0, 2], [0, 2]), whole[np.ix_([7, 3], [7, 3])])


def test_a_row_or_column_missed_often_is_searched_whole(
    matrix: TravelMatrix, monkeypatch: pytest.MonkeyPatch, road_searches: list[int]
) -> None:
    """pair() on a large table searches a leg alone until its row (or column) has missed
    LINE_MISSES times, then the whole row (column), kept: the rest of it costs no search."""
    monkeypatch.setattr(RoadTable, "ROW_AHEAD", 0)
    monkeypatch.setattr(RoadTable, "LINE_MISSES", 2)
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    whole = table.dense()
    fresh = table.take(np.arange(table.shape[0]))
    road_searches.clear()
    got = [fresh.pair(0, j) for j in range(1, 4)]
    assert len(road_searches) == 3 and 0 in fresh._rows_kept  # two alone, then the row
    assert [fresh.pair(0, j) for j in range(4, 10)] == whole[0, 4:10].tolist()
    assert got == whole[0, 1:4].tolist() and len(road_searches) == 3
    cols = [fresh.pair(i, 5) for i in (1, 2, 3)]
    assert 5 in fresh._cols_kept and cols == whole[1:4, 5].tolist()
    assert [fresh.pair(i, 5) for i in range(6, 10)] == whole[6:10, 5].tolist()
    assert len(road_searches) == 6


def test_locations_far_out_are_searched_apart_with_the_same_legs(
    matrix: TravelMatrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the far-out rule tight enough to set some locations apart (a territory's far
    depot), a block is searched in parts and equals the block searched in one part, seconds
    and metres."""
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    every = np.arange(table.shape[0], dtype=np.intp)
    monkeypatch.setattr(road_module, "FAR_OUT", np.inf)
    whole_m = table.take(every).dense()
    whole_s = table.for_profile(table.profile).take(every).dense()
    monkeypatch.setattr(road_module, "FAR_OUT", 1.0)
    monkeypatch.setattr(road_module, "FAR_OUT_M", 0.0)
    x, y = table.router.plane(table.lon, table.lat)
    far = road_module._far_out(x, y, every)
    assert 0 < far.sum() < every.size
    parts: list[tuple[int, int]] = []
    point_legs = table.router.point_legs

    def counted(a: Any, b: Any, straight: Any, limit: float = np.inf) -> Any:
        parts.append(straight.shape)
        return point_legs(a, b, straight, limit)

    monkeypatch.setattr(table.router, "point_legs", counted)
    got_m = table.take(every).dense()
    got_s = table.for_profile(table.profile).take(every).dense()
    assert len(parts) >= 3  # the near block, the far rows, the far columns
    assert np.array_equal(got_m, whole_m) and np.array_equal(got_s, whole_s)


def test_take_tables_cuts_arrays_and_keeps_lazy_tables_lazy(matrix: TravelMatrix) -> None:
    """An array is cut to its block, a lazy table to a lazy table of the same entries."""
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    whole = table.dense()
    keep = [2, 9, 4]
    arr, lazy = take_tables((whole, table), keep)
    assert isinstance(arr, np.ndarray) and isinstance(lazy, RoadTable)
    assert np.array_equal(arr, whole[np.ix_(keep, keep)])
    assert np.array_equal(lazy.dense(), arr)


def test_a_pickled_network_is_the_one_this_process_has(matrix: TravelMatrix) -> None:
    """Unpickling a network this process holds gives that object (its routers built, one per
    process); an unknown token is rebuilt from the graph sent with it and kept, at most
    KEPT_NETWORKS."""
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    net = table.network
    back, again = (pickle.loads(pickle.dumps(table)) for _ in range(2))
    # the network this process holds for the token (``net``, or an equal one made earlier)
    assert back.network is again.network is road_module._LIVE.get(net.token)
    assert back.network.router(table.profile) is again.network.router(table.profile)
    blob = pickle.dumps(net.graph)
    other = road_module._network_for("f" * 32, net.snap_speed_kmh, blob)
    assert other is not net and other.token == "f" * 32
    assert road_module._network_for("f" * 32, net.snap_speed_kmh, blob) is other
    for k in range(road_module.KEPT_NETWORKS):
        road_module._network_for(f"{k:032d}", net.snap_speed_kmh, blob)
    assert "f" * 32 not in road_module._KEPT  # the oldest dropped
    assert RoadNetwork(net.graph, net.snap_speed_kmh).token == net.token
    assert RoadNetwork(net.graph, net.snap_speed_kmh + 1).token != net.token


_KEYS = """
import hashlib, pickle, sys
from wasteopt.network import build_matrix
from wasteopt.scenario import load_scenario
from wasteopt.scenario.roads import vehicle_profile
sc = load_scenario(sys.argv[1])
table = build_matrix(sc).distance_m
profiles = [vehicle_profile(v) for v in sc.vehicle_types]
blob = pickle.dumps((profiles, table.for_profile(profiles[0]).take([0, 3])), protocol=5)
print(table.network.token, hashlib.sha256(blob).hexdigest())
"""


def test_network_token_and_pickles_are_the_same_in_every_process() -> None:
    """The network's token and a pickled profile table (a territory's content key) do not
    depend on the process's string hash seed."""
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _KEYS, str(TINY_ROADS)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        seen.add(out.stdout.strip())
    assert len(seen) == 1


def test_a_road_territory_is_cut_without_a_search(
    scenario: Scenario, matrix: TravelMatrix, road_searches: list[int]
) -> None:
    """subproblem of a problem on roads searches nothing in this process; it keeps only the
    profiles its fleets drive (renumbered), and its tables, computed later (in the worker),
    equal the whole problem's cut entry for entry."""
    problem = _road_day(scenario, matrix)
    assert problem.lazy and len(problem.durations_s) >= 2
    t = split(problem)[0]
    one = next(f for f in problem.fleets if f.profile == 1)  # one fleet, not on profile 0
    road_searches.clear()
    sub = subproblem(problem, t, {one.id: 1})
    assert not road_searches and sub.lazy
    assert [(f.id, f.profile) for f in sub.fleets] == [(one.id, 0)]
    assert len(sub.durations_s) == len(sub.distances_m) == 1
    keep = [problem.locations.index(loc) for loc in sub.locations]
    dense = sub.dense()
    for mine, theirs in zip(
        (dense.distance_m, *dense.durations_s, *dense.distances_m),
        (problem.distance_m, problem.durations_s[1], problem.distances_m[1]),
        strict=True,
    ):
        assert np.array_equal(mine, np.asarray(theirs)[np.ix_(keep, keep)])


def _road_day(scenario: Scenario, matrix: TravelMatrix) -> RoutingProblem:
    """tiny_roads' other waste on day 0, its points split between two unload sites."""
    sites = ["ST-W", "FAC-WTE"]
    points = sorted(p.id for p in scenario.points)
    assignment = {pid: sites[i % 2] for i, pid in enumerate(points)}
    demand = generate(scenario, days=1, seed=0)
    return build_problem(scenario, demand, 0, "other", matrix, assignment=assignment)


def test_territory_blocks_are_kept_for_the_whole_problem(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, road_searches: list[int]
) -> None:
    """The territories' road tables come back from their searches and are kept by the whole
    problem's tables: the merged plan equals the plan without them, and checking it searches
    only legs between territories (a route the repair merged), fewer than without them."""
    monkeypatch.setattr(RoadTable, "ROW_AHEAD", 0)  # a pair read alone: one search, counted
    settings = RoutingSettings(iterations=200, time_limit_s=30.0)
    plain = _road_day(scenario, build_matrix(scenario))
    with monkeypatch.context() as m:
        m.setattr(territories, "_keep", lambda *args: None)
        without = solve_territories(plain, settings)
    problem = _road_day(scenario, build_matrix(scenario))
    plan = solve_territories(problem, settings)
    assert len(split(problem)) == 2 and plan.routes
    got, want = plan.to_dict(), without.to_dict()
    got.pop("runtime_s", None)
    want.pop("runtime_s", None)
    assert got == want
    kept_by = {k for t in problem.durations_s if isinstance(t, RoadTable) for k in t._known}
    assert kept_by == {t.key for t in split(problem)}  # each by the profiles its fleets drive
    road_searches.clear()
    assert check_plan(problem, plan) == plan.check
    kept = len(road_searches)
    assert check_plan(plain, without) == without.check
    assert kept < len(road_searches) - kept


def test_on_roads_territory_tables_are_computed_before_any_search(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, road_searches: list[int]
) -> None:
    """On roads every territory's tables are computed first, one job each, and the searches
    then search no vehicle profile's table (the pass's time they share is what the tables
    left); a territory's unrestricted table is computed only to its sites and depots (a row
    the schedule reads beyond them is searched in the search, whole: a few searches)."""
    problem = _road_day(scenario, build_matrix(scenario))
    tabled: list[str] = []
    searched: list[int] = []
    profiles: list[tuple[object, ...]] = []
    real_tables, real_route = territories._tables_job, territories._route_job
    real_part = RoadTable._part

    def tables_job(lazy: RoutingProblem) -> tuple[np.ndarray, ...]:
        tabled.append(lazy.name)
        blocks = real_tables(lazy)
        stops = {s.id for s in lazy.stops}
        sites = [i for i, loc in enumerate(lazy.locations) if loc not in stops]
        assert blocks[1].tolist() == sites and blocks[0].shape == (len(lazy.locations), len(sites))
        return blocks

    def route_job(*args: object) -> object:
        before = len(road_searches)
        with monkeypatch.context() as m:
            m.setattr(RoadTable, "_part", part)
            out = real_route(*args)  # type: ignore[arg-type]
        searched.append(len(road_searches) - before)
        return out

    def part(table: RoadTable, *args: Any) -> Any:
        profiles.append(table.profile.key)
        return real_part(table, *args)

    monkeypatch.setattr(territories, "_tables_job", tables_job)
    monkeypatch.setattr(territories, "_route_job", route_job)
    settings = RoutingSettings(iterations=200, time_limit_s=30.0, workers=1)
    plan = solve_territories(problem, settings)
    assert plan.routes and len(tabled) == len(split(problem)) == 2
    assert len(searched) == 2 and sum(searched) <= 10
    assert set(profiles) <= {Profile().key}  # the unrestricted table's rows only


def test_tables_ahead_leaves_the_territories_nothing_to_search(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, road_searches: list[int]
) -> None:
    """tables_ahead computes every first-pass territory's tables of a day's problems at once
    and keeps them; the solve then reads them (its table jobs search nothing) and gives the
    plan it gives on its own."""
    settings = RoutingSettings(iterations=200, time_limit_s=30.0, workers=1)
    alone = solve_territories(_road_day(scenario, build_matrix(scenario)), settings)
    problem = _road_day(scenario, build_matrix(scenario))
    road_searches.clear()
    territories.tables_ahead([problem], settings)
    assert road_searches
    searched: list[int] = []
    real = territories._tables_job

    def tables_job(lazy: RoutingProblem) -> tuple[np.ndarray, ...]:
        before = len(road_searches)
        out = real(lazy)
        searched.append(len(road_searches) - before)
        return out

    monkeypatch.setattr(territories, "_tables_job", tables_job)
    plan = solve_territories(problem, settings)
    assert searched == [0, 0]
    got, want = plan.to_dict(), alone.to_dict()
    got.pop("runtime_s", None)
    want.pop("runtime_s", None)
    assert got == want


def test_lines_read_ahead_give_every_leg_of_a_location_without_a_search(
    scenario: Scenario, matrix: TravelMatrix, road_searches: list[int]
) -> None:
    """A profile table's rows and columns of some locations, read ahead as two blocks, give
    every leg to and from them (as searched one by one) with no further search; the
    scheduler reads a repair's stops ahead the same way."""
    table = matrix.distance_m
    assert isinstance(table, RoadTable)
    oth = vehicle_profile(next(v for v in scenario.vehicle_types if v.id == "VT-OTH"))
    n = table.shape[0]
    alone = table.for_profile(oth)
    want = [(alone.pair(i, j), alone.pair(j, i)) for i in (3, 8) for j in range(n)]
    ahead = table.for_profile(oth)
    ahead.lines_ahead([8, 3])
    road_searches.clear()
    assert [(ahead.pair(i, j), ahead.pair(j, i)) for i in (3, 8) for j in range(n)] == want
    assert not road_searches
    problem = _road_day(scenario, matrix)
    sched = RouteScheduler(problem)
    stop = problem.stops[0].id
    sched.legs_ahead([stop])
    road_searches.clear()
    s = sched.index[stop]
    legs = [(sched.durs[0][s][j], sched.durs[0][j][s]) for j in range(len(problem.locations))]
    assert legs and not road_searches


def test_on_roads_a_repair_past_its_deadline_leaves_stops_unserved_without_searching(
    scenario: Scenario,
    matrix: TravelMatrix,
    road_searches: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past its deadline a repair on roads with more than SMALL_REPAIR stops to place leaves
    them unserved (the plan says so) instead of a search per leg; before it, it places them."""
    problem = _road_day(scenario, matrix)
    ids = [s.id for s in problem.stops]
    monkeypatch.setattr(schedule, "SMALL_REPAIR", len(ids) - 1)
    road_searches.clear()
    routes, unserved = schedule.repair_routes(problem, [], ids, deadline=time.time() - 1.0)
    assert not routes and sorted(unserved) == sorted(ids) and not road_searches
    routes, unserved = schedule.repair_routes(problem, [], ids, deadline=time.time() + 60.0)
    assert routes and len(unserved) < len(ids)
