"""The barrier model: legs around lakes and over bridges, on hand-made geometry at the equator."""

from __future__ import annotations

import itertools
import math
import pickle
import time

import numpy as np

from wasteopt.barriers import EARTH_RADIUS_M, BarrierModel, half_vectors
from wasteopt.network import TravelMatrix
from wasteopt.travel_table import TravelTable, arc_block, unit_halves

# A square lake of 0.01° (1.11 km) side with its south-west corner at (0, 0).
SQUARE = [[(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)]]
# A river band from -0.05° to 0.05° E between 0.004° and 0.006° N, one bridge at 0.002° E.
RIVER = [[(-0.05, 0.004), (0.05, 0.004), (0.05, 0.006), (-0.05, 0.006)]]
BRIDGE = [(0.002, 0.0035), (0.002, 0.0065)]


def arc_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle metres between two (lon, lat) by the haversine formula."""
    lo1, la1, lo2, la2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def leg_m(
    model: BarrierModel, a: tuple[float, float], b: tuple[float, float], c: float = 1.0
) -> int:
    """The table's distance of one leg, circuity ``c``."""
    table = TravelTable.geodesic([a[0], b[0]], [a[1], b[1]], c, model)
    return int(table.block([0], [1])[0, 0])


def polyline_m(points: list[tuple[float, float]]) -> float:
    return sum(arc_m(p, q) for p, q in itertools.pairwise(points))


def test_a_leg_across_a_square_lake_goes_around_it():
    """West shore to east shore: around two corners, the length of that polyline exactly."""
    model = BarrierModel([SQUARE])
    a, b = (-0.005, 0.004), (0.015, 0.004)
    expected = polyline_m([a, (0.0, 0.0), (0.01, 0.0), b])  # south side: nearer to 0.004
    assert leg_m(model, a, b) == round(expected)
    assert leg_m(model, a, b, 1.3) == round(1.3 * expected)
    assert model.path(a, b) == [a, (0.0, 0.0), (0.01, 0.0), b]
    assert round(expected) > round(arc_m(a, b)) + 100  # it is a real detour


def test_a_diagonal_between_corners_is_blocked():
    """Opposite corners do not see each other through the lake: two sides, not the diagonal."""
    model = BarrierModel([SQUARE])
    a, b = (-0.002, -0.002), (0.012, 0.012)  # on the diagonal's line, outside the lake
    expected = polyline_m([a, (0.01, 0.0), b])
    assert leg_m(model, a, b) == round(expected)


def test_a_leg_over_the_river_uses_the_bridge():
    """North bank to south bank: to the bridge, along it, then on; the path names it."""
    model = BarrierModel([RIVER], [BRIDGE])
    a, b = (0.01, 0.01), (0.01, 0.0)
    expected = polyline_m([a, BRIDGE[1], BRIDGE[0], b])
    assert leg_m(model, a, b) == round(expected)
    assert model.path(a, b) == [a, BRIDGE[1], BRIDGE[0], b]
    # Without the bridge the way round the river's east end is far longer.
    no_bridge = BarrierModel([RIVER])
    assert leg_m(no_bridge, a, b) == round(polyline_m([a, (0.05, 0.006), (0.05, 0.004), b]))


def test_a_clear_leg_is_unchanged():
    """Legs that miss every barrier keep exactly the value of the model without barriers."""
    model = BarrierModel([SQUARE])
    lon = np.array([-0.01, -0.01, 0.02, 0.005])
    lat = np.array([-0.01, 0.02, -0.01, -0.005])
    scale = 2 * EARTH_RADIUS_M * 1.35
    with_barrier = TravelTable.geodesic(lon, lat, 1.35, model).dense()
    plain = arc_block(unit_halves(lon, lat), unit_halves(lon, lat), scale)
    clear = ~model.blocked(
        *model.plane(half_vectors(lon, lat)), *model.plane(half_vectors(lon, lat))
    )
    assert clear.sum() >= 12
    assert np.array_equal(with_barrier[clear], plain[clear])
    assert np.all(with_barrier >= plain)


def test_blocks_equal_the_whole_matrix():
    """Lazy blocks, single entries, taken sub-tables, travel times and a pickled copy all equal
    the dense matrix around a lake with a bridge-crossed river; the matrix is symmetric."""
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-0.03, 0.04, 300), rng.uniform(-0.02, 0.03, 300)
    model = BarrierModel([SQUARE, RIVER], [[(0.03, 0.0035), (0.03, 0.0065)]])
    inside = model.inside(lon, lat) >= 0
    lon, lat = lon[~inside], lat[~inside]
    n = lon.size
    ids = [f"S{k}" for k in range(n)]
    dense = np.asarray(
        TravelMatrix.from_coordinates(ids, lon, lat, circuity=1.3, barriers=model).distance_m
    )
    assert np.array_equal(dense, dense.T)
    table = TravelTable.geodesic(lon, lat, 1.3, model)
    rows, cols = rng.permutation(n)[:70], rng.permutation(n)[:90]
    assert np.array_equal(table.block(rows, cols), dense[np.ix_(rows, cols)])
    assert all(table.pair(int(i), int(j)) == dense[i, j] for i, j in zip(rows, cols, strict=False))
    sub = table.take(rows)
    assert np.array_equal(sub.block(np.arange(70), np.arange(70)), dense[np.ix_(rows, rows)])
    times = table.travel_time(30.0).block(rows, cols)
    assert np.array_equal(times, np.ceil(dense[np.ix_(rows, cols)] * 3600 / 30000).astype(np.int32))
    copy = pickle.loads(pickle.dumps(table))
    assert np.array_equal(copy.block(rows, cols), dense[np.ix_(rows, cols)])
    assert (
        dense > np.asarray(TravelMatrix.from_coordinates(ids, lon, lat, circuity=1.3).distance_m)
    ).any()


def test_an_island_without_a_crossing_is_cut_off():
    """A site on an island (a hole of the water) reaches nothing; a ferry links it."""
    lake = [[(-0.02, -0.02), (0.03, -0.02), (0.03, 0.03), (-0.02, 0.03)], SQUARE[0]]
    sites_lon, sites_lat = [0.005, -0.03], [0.005, 0.0]
    assert BarrierModel([lake]).unreachable(sites_lon, sites_lat).tolist() != []
    ferry = [(0.009, 0.005), (0.031, 0.005)]
    linked = BarrierModel([lake], [ferry])
    assert linked.unreachable(sites_lon, sites_lat).tolist() == []
    assert linked.inside([0.005, -0.01, -0.03], [0.005, 0.0, 0.0]).tolist() == [-1, 0, -1]


def test_a_city_block_with_a_lake_is_fast():
    """A 1,000 × 1,000 block around a 48-corner lake that blocks 29 % of its legs takes about
    a second of CPU (measured 0.9 s), and is symmetric."""
    n = 1000
    ring = [(0.05 * math.cos(t), 0.07 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 49)[:-1]]
    model = BarrierModel([[ring]])
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-0.2, 0.2, n), rng.uniform(-0.2, 0.2, n)
    keep = model.inside(lon, lat) < 0
    table = TravelTable.geodesic(lon[keep], lat[keep], 1.3, model)
    idx = np.arange(int(keep.sum()))
    t0 = time.process_time()
    block = table.block(idx, idx)
    assert time.process_time() - t0 < 4.0  # CPU seconds: 0.9 measured on this machine

    assert np.array_equal(block, block.T)
