"""Travel tables computed on demand: equal entry for entry to the dense matrices, refused when
too big to densify, and a lazy city-scale day routed exactly like the dense one."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from wasteopt.errors import InputError
from wasteopt.generation import Demand
from wasteopt.network import TravelMatrix, build_matrix
from wasteopt.routing.build import build_problem
from wasteopt.routing.check import check_plan
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.territories import solve_territories
from wasteopt.scenario import load_scenario
from wasteopt.scenario.model import Scenario
from wasteopt.scenario.roads import vehicle_profile
from wasteopt.travel_table import DENSE_LIMIT, RoadTable, TravelTable

BLOCK_M = 0.005 * 6_371_008.8 * np.pi / 180  # one 0.005° grid block of tiny_roads, metres


@pytest.fixture(scope="module")
def city_points() -> tuple[np.ndarray, np.ndarray]:
    """400 random points over a 60 km square around Nanjing, plus two duplicates."""
    rng = np.random.default_rng(7)
    lon = 118.5 + 0.6 * rng.random(400)
    lat = 31.8 + 0.5 * rng.random(400)
    return np.append(lon, lon[:2]), np.append(lat, lat[:2])


def test_geodesic_table_equals_the_dense_matrix_in_blocks_and_pairs(
    city_points: tuple[np.ndarray, np.ndarray],
) -> None:
    """Every block and every single entry equals TravelMatrix.from_coordinates, durations too."""
    lon, lat = city_points
    ids = [f"S{i}" for i in range(lon.size)]
    dense = TravelMatrix.from_coordinates(ids, lon, lat, circuity=1.35)
    table = TravelTable.geodesic(lon, lat, 1.35)
    np.testing.assert_array_equal(np.asarray(table), dense.distance_m)
    rng = np.random.default_rng(1)
    for i, j in rng.integers(0, lon.size, size=(2000, 2)):
        assert table.pair(int(i), int(j)) == int(dense.distance_m[i, j])
    minutes = table.travel_time(23.0)
    np.testing.assert_array_equal(np.asarray(minutes), dense.durations_s(23.0))
    assert minutes[5, 9] == int(dense.durations_s(23.0)[5, 9])
    assert minutes[5][9] == int(dense.durations_s(23.0)[5, 9])


def test_indexing_follows_numpy(city_points: tuple[np.ndarray, np.ndarray]) -> None:
    """Rows, vectors, np.ix_ grids, pairwise arrays and take() index like the dense array."""
    lon, lat = city_points
    table = TravelTable.geodesic(lon, lat, 1.2)
    dense = np.asarray(table)
    rows, cols = [3, 1, 4], [1, 5, 9, 2]
    np.testing.assert_array_equal(table[np.ix_(rows, cols)], dense[np.ix_(rows, cols)])
    np.testing.assert_array_equal(table[7, cols], dense[7, cols])
    np.testing.assert_array_equal(table[rows, 7], dense[rows, 7])
    np.testing.assert_array_equal(table[rows, [0, 0, 6]], dense[rows, [0, 0, 6]])
    np.testing.assert_array_equal(np.asarray(table.take(rows)), dense[np.ix_(rows, rows)])
    assert table.max() == int(dense.max())
    assert table[400, 0] == 0  # a duplicate of point 0


def test_euclidean_table_rounds_each_edge_half_to_even() -> None:
    """Plane tables round scale × hypot per edge like numpy.rint (TSPLIB EUC_2D at scale 1)."""
    x, y = np.array([0.0, 3.0, 0.5, 10.0]), np.array([0.0, 4.0, 0.0, 0.0])
    table = TravelTable.euclidean(x, y)
    assert table[0, 1] == 5 and table[0, 2] == 0 and table[0, 3] == 10
    scaled = TravelTable.euclidean(x, y, scale=1000.0)
    assert scaled[0, 2] == 500
    np.testing.assert_array_equal(np.asarray(scaled), scaled.block(range(4), range(4)))


def test_a_table_too_big_to_densify_is_refused_by_name() -> None:
    """np.asarray of a table above DENSE_LIMIT raises an InputError naming the size."""
    n = DENSE_LIMIT + 1
    table = TravelTable.euclidean(np.arange(n, dtype=float), np.zeros(n))
    with pytest.raises(InputError, match=f"{n:,} × {n:,} travel matrix"):
        np.asarray(table)
    assert table.block([0], [n - 1])[0, 0] == n - 1  # blocks are still fine


def test_tables_pickle_without_their_values(city_points: tuple[np.ndarray, np.ndarray]) -> None:
    """A pickled table (to a worker) is small and gives the same entries."""
    lon, lat = city_points
    table = TravelTable.geodesic(lon, lat, 1.3).travel_time(20.0)
    back = pickle.loads(pickle.dumps(table))
    assert len(pickle.dumps(table)) < 40 * lon.size
    np.testing.assert_array_equal(np.asarray(back), np.asarray(table))


def test_lazy_matrix_reads_blocks_and_nearest_like_the_dense_one(
    tiny_scenario: Scenario,
) -> None:
    """build_matrix(lazy=True) gives the dense matrix's blocks, sub-matrices and nearest sites."""
    dense, lazy = build_matrix(tiny_scenario), build_matrix(tiny_scenario, lazy=True)
    assert lazy.lazy and not dense.lazy
    pts = [p.id for p in tiny_scenario.points]
    sites = [s.id for s in tiny_scenario.stations] + [f.id for f in tiny_scenario.facilities]
    np.testing.assert_array_equal(lazy.block(pts, sites), dense.block(pts, sites))
    np.testing.assert_array_equal(lazy.sub(sites).distance_m, dense.sub(sites).distance_m)
    np.testing.assert_array_equal(lazy.nearest(pts, sites), dense.nearest(pts, sites))
    assert lazy.nearest(pts[:1], sites)[0] == int(dense.block(pts[:1], sites).argmin())


def test_a_lazy_day_is_routed_exactly_like_the_dense_day(
    tiny_scenario: Scenario, tiny_day0: Demand
) -> None:
    """Same seed and iterations: the plan over lazy tables equals the plan over dense arrays,
    and its check reads legs from the lazy tables."""
    settings = RoutingSettings(iterations=200, time_limit_s=30.0)
    sites = ["ST-W", "FAC-WTE"]
    points = sorted(p.id for p in tiny_scenario.points)
    assignment = {pid: sites[i % 2] for i, pid in enumerate(points)}
    plans = []
    for lazy in (False, True):
        matrix = build_matrix(tiny_scenario, lazy=lazy)
        p = build_problem(tiny_scenario, tiny_day0, 0, "other", matrix, assignment=assignment)
        assert p.lazy is lazy
        plan = solve_territories(p, settings)
        assert plan.check == check_plan(p, plan)
        plans.append(plan)
    dense_plan, lazy_plan = (p.to_dict() for p in plans)
    dense_plan.pop("runtime_s", None)
    lazy_plan.pop("runtime_s", None)
    assert lazy_plan == dense_plan


def test_road_metres_follow_the_profile_and_twins_share_one_search(road_searches):
    """On tiny_roads the 8.5 t compactor's metres P1 → P2 are its detour round the truck ban
    (4 blocks, the unrestricted table 2); its seconds read after its metres need no search of
    their own, and both equal tables built alone, entry for entry."""
    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "tiny_roads")
    m = build_matrix(sc)
    table = m.distance_m
    assert isinstance(table, RoadTable)
    oth = vehicle_profile(next(v for v in sc.vehicle_types if v.id == "VT-OTH"))
    i, j = (int(k) for k in m.indices(["P1", "P2"]))
    metres, secs = table.for_profile(oth, seconds=False), table.for_profile(oth)
    assert table.pair(i, j) == pytest.approx(2 * BLOCK_M, abs=1)
    whole_m = metres.dense()
    assert whole_m[i, j] == pytest.approx(4 * BLOCK_M, abs=1)
    searches = road_searches
    searches.clear()
    whole_s = secs.dense()
    assert not searches  # every block was kept by its twin
    alone_s = RoadTable(table.network, table.lon, table.lat, profile=oth, seconds=True).dense()
    assert searches and np.array_equal(whole_s, alone_s)
    alone_m = RoadTable(table.network, table.lon, table.lat, profile=oth).dense()
    assert np.array_equal(whole_m, alone_m)


def test_road_twin_keeps_no_more_blocks_than_its_bound(monkeypatch):
    """Legs read from one kind only are kept for the twin up to ``TWIN_BLOCKS`` (the oldest
    dropped); the twin then computes what was dropped, with the same entries."""
    monkeypatch.setattr(RoadTable, "TWIN_BLOCKS", 2)
    monkeypatch.setattr(RoadTable, "ROW_AHEAD", 0)  # each pair its own block, not its row
    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "tiny_roads")
    table = build_matrix(sc).distance_m
    assert isinstance(table, RoadTable)
    oth = vehicle_profile(next(v for v in sc.vehicle_types if v.id == "VT-OTH"))
    metres, secs = table.for_profile(oth, seconds=False), table.for_profile(oth)
    legs = [(0, k) for k in range(1, 6)]
    for i, j in legs:
        metres.pair(i, j)
    assert len(metres._twin or {}) == 2
    alone = RoadTable(table.network, table.lon, table.lat, profile=oth, seconds=True)
    assert [secs.pair(i, j) for i, j in legs] == [alone.pair(i, j) for i, j in legs]
