"""Where points join the roads (wasteopt.roads.snap), against hand-computed feet and joins."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from wasteopt.roads import RoadGraph, Router
from wasteopt.roads import router as router_module
from wasteopt.roads.read import read_geojson_roads
from wasteopt.travel_table import RoadNetwork, RoadTable

DEG_M = math.radians(1.0) * 6_371_008.8  # metres per degree on the equator


def _road(coords: list[list[float]], speed: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"class": "residential", "speed_kmh": speed, **props},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def _graph(*features: dict[str, Any]) -> RoadGraph:
    text = json.dumps({"type": "FeatureCollection", "features": list(features)})
    return read_geojson_roads(text, classes=("residential",), vehicle_classes=("van",))


# A 1 km street west → east along the equator, with a 1 km street north from each end.
STREET = (
    _road([[0.0, 0.0], [0.009, 0.0]], 36),
    _road([[0.0, 0.0], [0.0, 0.009]], 36),
    _road([[0.009, 0.0], [0.009, 0.009]], 36),
)


def test_point_beside_a_street_joins_at_its_foot_then_drives_to_the_nearer_end():
    """100 m south of the street, 300 m from its west end: 100 m at 10 km/h to the kerb, then
    300 m at 36 km/h to the west crossing (not the 316 m diagonal to that crossing)."""
    router = Router(_graph(*STREET), snap_speed_kmh=10)
    lon, lat = 300 / DEG_M, -100 / DEG_M
    snap = router.snap([lon], [lat])
    g = router.graph
    node = int(snap.nodes[0])
    assert (g.lon[node], g.lat[node]) == (0.0, 0.0)
    assert snap.off_m[0] == pytest.approx(100.0, rel=1e-4)
    assert snap.metres[0] == pytest.approx(400.0, rel=1e-3)
    assert snap.seconds[0] == pytest.approx(100 * 3.6 / 10 + 300 * 3.6 / 36, rel=1e-3)
    flon, flat = router.unplane(snap.foot_x, snap.foot_y)
    assert (flon[0], flat[0]) == pytest.approx((lon, 0.0), abs=1e-9)


def test_point_past_the_middle_drives_to_the_east_end():
    """700 m along the 1,000.75 m street the east crossing is the nearer end."""
    router = Router(_graph(*STREET))
    snap = router.snap([700 / DEG_M], [-50 / DEG_M])
    assert router.graph.lon[int(snap.nodes[0])] == 0.009
    assert snap.metres[0] - snap.off_m[0] == pytest.approx(0.009 * DEG_M - 700, rel=1e-4)


def test_one_way_street_is_joined_at_its_nearest_node_only():
    """A one-way street cannot be left the way it was entered: the point walks to a node."""
    one_way = _road([[0.0, 0.0], [0.009, 0.0]], 36, oneway=True)
    router = Router(_graph(one_way, *STREET[1:], _road([[0.0, 0.009], [0.009, 0.009]], 36)))
    snap = router.snap([300 / DEG_M], [-100 / DEG_M])
    assert snap.off_m[0] == pytest.approx(math.hypot(300, 100), rel=1e-4)
    assert snap.metres[0] == pytest.approx(snap.off_m[0])


def test_long_street_is_found_between_its_far_ends():
    """A 10 km street with no node near the point is still the nearest road (pieces index)."""
    long = _road([[0.0, 0.0], [0.09, 0.0]], 36)
    router = Router(_graph(long, _road([[0.0, 0.0], [0.0, 0.09]], 36)))
    snap = router.snap([0.045], [0.0002])
    assert snap.off_m[0] == pytest.approx(0.0002 * DEG_M, rel=1e-3)


def test_drawn_leg_runs_through_the_feet_and_matches_the_table():
    """Router.leg passes each point's foot and counts what the travel table counts."""
    graph = _graph(*STREET)
    a, b = (300 / DEG_M, -100 / DEG_M), (0.009 + 80 / DEG_M, 500 / DEG_M)
    router = Router(graph, snap_speed_kmh=10)
    leg = router.leg(a, b)
    snap = router.snap([a[0], b[0]], [a[1], b[1]])
    feet = router.unplane(snap.foot_x, snap.foot_y)
    assert leg.line[0] == a and leg.line[-1] == b
    assert leg.line[1] == pytest.approx((feet[0][0], feet[1][0]), abs=1e-9)
    assert leg.line[-2] == pytest.approx((feet[0][1], feet[1][1]), abs=1e-9)
    table = RoadTable(RoadNetwork(graph, 10.0), [a[0], b[0]], [a[1], b[1]])
    assert table.block([0], [1])[0, 0] == round(leg.metres)
    assert np.ceil(leg.seconds) == table.for_profile(router.profile).block([0], [1])[0, 0]


def test_leg_leaves_by_the_end_towards_the_next_point():
    """300 m from the west end, bound for the east street: it drives 700 m east along its own
    street instead of 300 m west to its nearer crossing and back."""
    router = Router(_graph(*STREET), snap_speed_kmh=10)
    a, b = (300 / DEG_M, -100 / DEG_M), (0.009, 0.009)  # b: the east street's north end
    leg = router.leg(a, b)
    street = 0.009 * DEG_M
    assert leg.metres == pytest.approx(100 + (street - 300) + street, rel=1e-4)
    assert leg.seconds == pytest.approx(100 * 3.6 / 10 + (2 * street - 300) * 3.6 / 36, rel=1e-4)


def test_two_points_on_one_street_drive_along_it():
    """Two bins 200 m apart beside one street: straight legs and the 200 m between the feet."""
    router = Router(_graph(*STREET), snap_speed_kmh=10)
    a, b = (400 / DEG_M, -30 / DEG_M), (600 / DEG_M, 20 / DEG_M)
    leg = router.leg(a, b)
    assert leg.metres == pytest.approx(30 + 200 + 20, rel=1e-4)
    assert leg.seconds == pytest.approx(50 * 3.6 / 10 + 200 * 3.6 / 36, rel=1e-4)
    assert leg.edges == [] and len(leg.line) == 4


def test_drawn_legs_follow_the_tables_paths_from_bounded_searches(monkeypatch):
    """Router.lines and Router.leg (a bounded search per leg, its limit grown until the leg is
    proved) draw, on a 6 × 6 street grid with points beside streets, on one street and at one
    node, every leg along the table's canonical path with the table's metres and seconds,
    though most first limits are too small to reach the far legs."""
    step = 200 / DEG_M
    ticks = [k * step for k in range(6)]  # a vertex at every crossing: streets meet there
    rows = [_road([[x, y] for x in ticks], 36) for y in ticks]
    cols = [_road([[x, y] for y in ticks], 36) for x in ticks]
    graph = _graph(*rows, *cols)
    router = Router(graph, snap_speed_kmh=10)
    rng = np.random.default_rng(3)
    pts = [(float(x), float(y)) for x, y in rng.uniform(0, 5 * step, size=(12, 2))]
    pts += [(step * 1.2, step * 0.1), (step * 1.7, step * 0.05), (step * 2, step * 2)]
    pairs = [(a, b) for a in pts for b in pts if a != b]
    monkeypatch.setattr(router_module, "_DRAW_SLACK_S", 0.0)  # first limits short of many legs
    limits: list[float] = []
    real = router_module.dijkstra

    def counted(*args: Any, **kw: Any) -> Any:
        limits.append(kw.get("limit", math.inf))
        return real(*args, **kw)

    monkeypatch.setattr(router_module, "dijkstra", counted)
    drawn = router.lines(pairs)
    assert len(limits) > len(pairs)  # some legs needed a second, wider search
    table = RoadTable(RoadNetwork(graph, 10.0), [p[0] for p in pts], [p[1] for p in pts])
    secs = table.for_profile(router.profile)
    for (a, b), line in zip(pairs, drawn, strict=True):
        leg = router.leg(a, b)
        i, j = pts.index(a), pts.index(b)
        assert leg.line == line
        assert round(leg.metres) == table.pair(i, j) and np.ceil(leg.seconds) == secs.pair(i, j)
        if leg.edges:
            first, last = graph.tail[leg.edges[0]], graph.head[leg.edges[-1]]
            assert leg.edges == router.node_path(int(first), int(last))
