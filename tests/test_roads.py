"""Road graphs, their readers and fastest paths (wasteopt.roads), against hand-computed paths."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wasteopt.roads import Profile, RoadGraph, Router
from wasteopt.roads.graph import overlaps_daily
from wasteopt.roads.read import RoadFileError, parse_hours, read_geojson_roads, read_osm_roads

CLASSES = ("lane", "residential", "main_road", "expressway")
VEHICLES = ("e_tricycle", "small_compactor", "compactor")
DEG_M = math.radians(1.0) * 6_371_008.8  # metres per degree on the equator (great circle)


def _road(coords: list[list[float]], cls: str, speed: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"class": cls, "speed_kmh": speed, **props},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def _graph(*features: dict[str, Any]) -> RoadGraph:
    text = json.dumps({"type": "FeatureCollection", "features": list(features)})
    return read_geojson_roads(text, classes=CLASSES, vehicle_classes=VEHICLES)


A, B, D, E = [0.0, 0.0], [0.01, 0.0], [0.0, 0.005], [0.01, 0.005]


def _two_ways(**lane: Any) -> RoadGraph:
    """A → B: a slow lane (1112 m, 10 km/h) or a fast main road round (2224 m, 50 km/h)."""
    return _graph(
        _road([A, B], "lane", 10, id="LANE", **lane),
        _road([A, D, E, B], "main_road", 50, id="MAIN"),
    )


def test_fastest_path_takes_the_fast_detour_with_its_own_metres():
    """Unrestricted, A → B goes round by the main road: 2224 m in 2224 × 3.6 / 50 s."""
    router = Router(_two_ways())
    snap = router.snap([A[0], B[0]], [A[1], B[1]])
    nodes = snap.nodes
    assert snap.metres == pytest.approx([0.0, 0.0], abs=1e-6)
    secs, metres = router.gather(nodes[:1], nodes[1:])
    assert metres[0, 0] == pytest.approx(0.02 * DEG_M, rel=1e-6)
    assert secs[0, 0] == pytest.approx(0.02 * DEG_M * 3.6 / 50, rel=1e-6)


def test_vehicle_speed_cap_makes_the_short_lane_fastest():
    """At 15 km/h the main road is no faster, so A → B takes the 1112 m lane."""
    router = Router(_two_ways(), Profile(vehicle_class="e_tricycle", speed_kmh=15))
    nodes = router.snap([A[0], B[0]], [A[1], B[1]]).nodes
    secs, metres = router.gather(nodes[:1], nodes[1:])
    assert metres[0, 0] == pytest.approx(0.01 * DEG_M, rel=1e-6)
    assert secs[0, 0] == pytest.approx(0.01 * DEG_M * 3.6 / 10, rel=1e-6)


def test_road_classes_and_weight_limits_close_edges():
    """A profile without lanes, or too heavy for a road, never uses it."""
    graph = _two_ways(max_weight_t=2)
    slow = Profile(vehicle_class="compactor", speed_kmh=15, road_classes=frozenset({"main_road"}))
    heavy = Profile(vehicle_class="e_tricycle", speed_kmh=15, gross_t=3)
    for profile in (slow, heavy):
        leg = Router(graph, profile).leg((A[0], A[1]), (B[0], B[1]))
        assert leg.metres == pytest.approx(0.02 * DEG_M, rel=1e-6)
        assert {graph.road_ids[graph.road[e]] for e in leg.edges} == {"MAIN"}


def test_one_way_road_is_driven_only_in_drawing_order():
    """A one-way A → B lane is taken A → B but B → A goes round."""
    router = Router(_two_ways(oneway=True), Profile(speed_kmh=15))
    forward = router.leg((A[0], A[1]), (B[0], B[1]))
    back = router.leg((B[0], B[1]), (A[0], A[1]))
    assert forward.metres == pytest.approx(0.01 * DEG_M, rel=1e-6)
    assert back.metres == pytest.approx(0.02 * DEG_M, rel=1e-6)
    assert back.line[0] == (B[0], B[1]) and back.line[-1] == (A[0], A[1])


def test_snap_leg_is_added_at_the_snap_speed():
    """A point 0.001° off the road adds its straight 111 m at 10 km/h to metres and seconds."""
    router = Router(_two_ways(), snap_speed_kmh=10)
    leg = router.leg((A[0], A[1] - 0.001), (B[0], B[1]))
    snap = 0.001 * DEG_M
    assert leg.metres == pytest.approx(0.02 * DEG_M + snap, rel=1e-6)
    assert leg.seconds == pytest.approx(0.02 * DEG_M * 3.6 / 50 + snap * 3.6 / 10, rel=1e-6)


def test_dead_end_one_way_is_never_a_snap_target():
    """A node reachable only one way is outside the largest strongly connected part."""
    graph = _graph(
        _road([A, B], "main_road", 40), _road([B, [0.02, 0.0]], "main_road", 40, oneway=True)
    )
    router = Router(graph)
    nodes = router.snap([0.02], [0.0]).nodes
    assert (graph.lon[nodes[0]], graph.lat[nodes[0]]) == (0.01, 0.0)


def test_ban_zone_closes_edges_inside_to_named_classes_in_its_hours():
    """A 07:00-09:00 zone ban closes the lane to a compactor on shift 06-14, not 10-14."""
    zone = {
        "type": "Feature",
        "properties": {"kind": "ban_zone", "ban_hours": "07:00-09:00", "ban_vehicles": "compactor"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[0.004, -0.001], [0.006, -0.001], [0.006, 0.001], [0.004, -0.001]]],
        },
    }
    graph = _graph(
        _road([A, B], "main_road", 10, id="SHORT"), _road([A, D, E, B], "main_road", 10), zone
    )
    assert len(graph.bans) == 1 and len(graph.bans[0].edges) == 2  # both directions
    morning = Profile(vehicle_class="compactor", start_s=6 * 3600, end_s=14 * 3600)
    late = Profile(vehicle_class="compactor", start_s=10 * 3600, end_s=14 * 3600)
    tricycle = Profile(vehicle_class="e_tricycle", start_s=6 * 3600, end_s=14 * 3600)
    assert not graph.usable(morning)[list(graph.bans[0].edges)].any()
    assert graph.usable(late).all() and graph.usable(tricycle).all()


@pytest.mark.parametrize(
    ("shift", "ban", "expected"),
    [
        ((6, 14), (7, 9), True),
        ((10, 14), (7, 9), False),
        ((22, 30), (7, 9), False),  # night shift ends 06:00 next day
        ((22, 32), (7, 9), True),
        ((20, 23), (22, 6), True),  # ban across midnight
        ((7, 9), (9, 11), False),  # touching ends do not overlap
    ],
)
def test_overlaps_daily(shift: tuple[int, int], ban: tuple[int, int], expected: bool):
    """Shift hours meet a daily ban on any day, past 24:00 and across midnight."""
    s, b = [h * 3600 for h in shift], [h * 3600 for h in ban]
    assert overlaps_daily(s[0], s[1], b[0], b[1]) is expected


def test_parse_hours():
    """HH:MM-HH:MM in seconds; other forms refused."""
    assert parse_hours("07:00-09:30") == (25200, 34200)
    for bad in ("7-9", "07:00", "07:00-07:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_geojson_problems_name_feature_and_field():
    """Every bad feature is reported, with its position, id and field."""
    feats = [
        _road([A, B], "boulevard", 40, id="R1"),
        _road([A, B], "lane", -5, id="R2"),
        _road([A, B], "lane", 5, id="R3", ban_hours="7-9", ban_vehicles="compactor"),
        _road([A, B], "lane", 5, id="R4", ban_hours="07:00-09:00", ban_vehicles="tank"),
        _road([A], "lane", 5, id="R5"),
    ]
    with pytest.raises(RoadFileError) as err:
        _graph(*feats)
    got = [(p.where, p.field) for p in err.value.problems]
    assert got == [
        ("feature 0 (id=R1)", "properties.class"),
        ("feature 1 (id=R2)", "properties.speed_kmh"),
        ("feature 2 (id=R3)", "properties.ban_hours"),
        ("feature 3 (id=R4)", "properties.ban_vehicles"),
        ("feature 4 (id=R5)", "geometry.coordinates"),
    ]


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="0.0" lon="0.0"/>
 <node id="2" lat="0.0" lon="0.01"/>
 <node id="3" lat="0.005" lon="0.01"/>
 <way id="10"><nd ref="1"/><nd ref="2"/>
  <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="30"/>
  <tag k="maxweight" v="10"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
 <way id="12"><nd ref="1"/><nd ref="3"/><tag k="waterway" v="canal"/></way>
</osm>
"""


def test_osm_xml_ways_become_classed_edges(tmp_path: Path):
    """highway ways map to classes and default speeds; oneway, maxspeed, maxweight read."""
    path = tmp_path / "city.osm"
    path.write_text(OSM, encoding="utf-8")
    classes = {"primary": ("main_road", 50.0), "footway": ("lane", 8.0)}
    graph = read_osm_roads(path, osm_classes=classes)
    assert graph.node_count == 3 and graph.edge_count == 3  # one-way 1 + footway both ways
    assert graph.road_ids == ("way 10", "way 11")
    assert list(zip(graph.road_class, graph.speed_kmh.tolist(), strict=True)) == [
        ("main_road", 30.0),
        ("lane", 8.0),
        ("lane", 8.0),
    ]
    assert graph.max_weight_t[0] == 10 and np.isinf(graph.max_weight_t[1])
    assert (graph.tail[0], graph.head[0]) == (0, 1)


def test_osm_way_with_missing_node_is_refused(tmp_path: Path):
    """An extract cut through a way is refused with the way named."""
    path = tmp_path / "cut.osm"
    path.write_text(OSM.replace('<node id="3" lat="0.005" lon="0.01"/>', ""), encoding="utf-8")
    with pytest.raises(RoadFileError, match="way 11"):
        read_osm_roads(path, osm_classes={"footway": ("lane", 8.0)})


def test_search_bound_never_changes_an_answer():
    """A bound too small to reach the target is searched again unbounded: same answer, and
    backwards (many sources, one target) agrees with forwards."""
    graph = _two_ways(oneway=True)
    free = Router(graph)
    every = np.arange(graph.node_count)
    secs, metres = free.gather(every, every)
    for limit in (1.0, 50.0, math.inf):
        bounded = Router(graph)
        got = bounded.gather(every, every, limit)
        assert np.array_equal(got[0], secs) and np.array_equal(got[1], metres)
        back = Router(graph).gather(every, every[:1], limit)
        assert np.allclose(back[0][:, 0], secs[:, 0]) and np.allclose(back[1][:, 0], metres[:, 0])
        # few missed targets: searched again backwards from them
        few = Router(graph).gather(every[:4], every[4:6], limit)
        assert np.allclose(few[0], secs[:4, 4:6]) and np.allclose(few[1], metres[:4, 4:6])


def test_osm_pbf_is_read_through_pyosmium(tmp_path: Path):
    """A .osm.pbf written by pyosmium reads like the XML: one-way primary, default speed."""
    osmium = pytest.importorskip("osmium")
    from osmium.osm.mutable import Node, Way

    path = tmp_path / "city.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    writer.add_node(Node(id=1, location=(0.0, 0.0)))
    writer.add_node(Node(id=2, location=(0.01, 0.0)))
    writer.add_way(Way(id=10, nodes=[1, 2], tags={"highway": "primary", "oneway": "yes"}))
    writer.close()
    graph = read_osm_roads(path, osm_classes={"primary": ("main_road", 50.0)})
    assert (graph.node_count, graph.edge_count, graph.road_ids) == (2, 1, ("way 10",))
    assert graph.speed_kmh.tolist() == [50.0] and graph.length_m[0] == pytest.approx(0.01 * DEG_M)
