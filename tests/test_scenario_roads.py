"""A scenario's road network (wasteopt.scenario.roads): loading, refusals, vehicle profiles,
and the travel tables it gives (wasteopt.travel_table.RoadTable, wasteopt.network)."""

from __future__ import annotations

import itertools
import json
import logging
import pickle
import runpy
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from wasteopt.cli import main
from wasteopt.errors import InputError
from wasteopt.generation import generate
from wasteopt.network import build_matrix, leg_paths
from wasteopt.reporting.maps import plot_routes
from wasteopt.reporting.sheets import write_route_sheets
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve
from wasteopt.scenario import load_scenario
from wasteopt.scenario.roads import ROAD_RULES, vehicle_profile
from wasteopt.travel_table import RoadTable

ROOT = Path(__file__).resolve().parent.parent
TINY_ROADS = ROOT / "scenarios" / "tiny_roads"
BLOCK_M = 0.005 * 6_371_008.8 * np.pi / 180  # one 0.005° grid block on the equator, metres


@pytest.fixture(scope="module")
def scenario():
    """scenarios/tiny_roads, loaded once."""
    return load_scenario(TINY_ROADS)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "roads"
    shutil.copytree(TINY_ROADS, folder, ignore=shutil.ignore_patterns("build.py", "*.md"))
    return folder


def test_loads_the_network_and_its_ban(scenario):
    """The shipped network loads in WGS-84 with its classes, limits and the centre ban."""
    g = scenario.network.roads
    assert g is not None and scenario.network.roads_file == "roads.geojson"
    assert set(g.road_class) == {"lane", "residential", "main_road"}
    assert float(np.min(g.max_weight_t)) == 8.0
    assert [(b.id, b.start_s, b.end_s, len(b.edges)) for b in g.bans] == [
        ("BAN-CENTRE", 7 * 3600, 9 * 3600, 4)
    ]


def test_distances_are_road_paths_by_hand(scenario):
    """P1 → P2 is one main-road block pair (2 blocks); P1 → P4 crosses 西桥 and the one-way
    street: 1 + 1.5 + 1 + 0.5 blocks."""
    m = build_matrix(scenario)
    assert isinstance(m.distance_m, RoadTable)
    got = m.block(["P1"], ["P2", "P4"])[0]
    assert got.tolist() == [round(2 * BLOCK_M), round(4 * BLOCK_M)]
    assert m.block(["P4"], ["P1"])[0, 0] >= got[1]  # back against the one-way street


def test_vehicle_profiles_follow_the_access_classes(scenario):
    """Road classes open to each vehicle class tie to the points' access classes; gross weight
    is kerb + payload."""
    by_id = {v.id: vehicle_profile(v) for v in scenario.vehicle_types}
    # e-tricycles: every road but expressways (快速路)
    assert by_id["VT-TRI"].road_classes == frozenset(ROAD_RULES) - {"expressway"}
    assert "lane" not in (by_id["VT-OTH"].road_classes or ())
    assert by_id["VT-OTH"].gross_t == pytest.approx(8.5)


def test_profile_times_detour_round_the_ban_and_the_bridge(scenario):
    """The 8.5 t compactor detours round the 07-09 ban (P1 → P2: 4 blocks at 20 km/h) while
    the e-tricycle drives the main road (2 blocks at 15 km/h)."""
    m = build_matrix(scenario)
    table = m.distance_m
    assert isinstance(table, RoadTable)
    types = {v.id: v for v in scenario.vehicle_types}
    rows, cols = m.indices(["P1"]), m.indices(["P2"])
    oth = table.for_profile(vehicle_profile(types["VT-OTH"])).block(rows, cols)[0, 0]
    tri = table.for_profile(vehicle_profile(types["VT-TRI"])).block(rows, cols)[0, 0]
    assert oth == int(np.ceil(4 * BLOCK_M * 3.6 / 20))
    assert tri == int(np.ceil(2 * BLOCK_M * 3.6 / 15))


def test_table_pickles_takes_and_agrees_entry_by_entry(scenario):
    """A road table survives pickling (worker pools) and take() keeps its entries."""
    table = build_matrix(scenario).distance_m
    assert isinstance(table, RoadTable)
    whole = table.dense()
    again = pickle.loads(pickle.dumps(table))
    assert np.array_equal(again.dense(), whole)
    idx = [5, 2, 5]
    assert np.array_equal(table.take(idx).dense(), whole[np.ix_(idx, idx)])
    assert table.pair(5, 2) == whole[5, 2] and np.all(np.diag(whole) == 0)


def test_leg_paths_follow_the_vehicle_roads(scenario):
    """Drawn legs follow the road path of the vehicle type: the compactor's P1 → P2 bends
    south round the ban, the e-tricycle's stays on the equator."""
    paths = leg_paths(scenario)
    assert paths is not None
    oth = paths("VT-OTH", (120.0, 0.0), (120.01, 0.0))
    tri = paths("VT-TRI", (120.0, 0.0), (120.01, 0.0))
    assert min(lat for _, lat in oth) == pytest.approx(-0.005)
    assert all(lat == 0.0 for _, lat in tri)


def test_far_point_is_named_in_a_warning(tmp_path, caplog):
    """A point farther from every road than snap_warn_m is named with its distance."""
    folder = _copy(tmp_path)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'roads = "roads.geojson"\n', 'roads = "roads.geojson"\nsnap_warn_m = 100\n'
        ),
        encoding="utf-8",
    )
    pts = folder / "points.csv"
    pts.write_text(pts.read_text(encoding="utf-8").replace("120.02,0.01,", "120.02,0.012,"))
    with caplog.at_level(logging.WARNING, logger="wasteopt"):
        build_matrix(load_scenario(folder))
    assert "P6 (222 m)" in caplog.text


def test_bad_road_file_is_exit_2_naming_file_feature_and_field(tmp_path, capsys):
    """A bad feature is refused at load: exit 2, file, feature, id and field named, no trace."""
    folder = _copy(tmp_path)
    data = json.loads((folder / "roads.geojson").read_text(encoding="utf-8"))
    data["features"][2]["properties"]["class"] = "motorway"
    data["features"][3]["properties"]["ban_hours"] = "7-9"
    data["features"][3]["properties"]["ban_vehicles"] = "compactor"
    (folder / "roads.geojson").write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "roads.geojson feature 2 (id=RES-S): properties.class: unknown road class" in err
    assert "roads.geojson feature 3 (id=RES-N): properties.ban_hours" in err
    assert "Traceback" not in err


def test_roads_with_barriers_is_refused(tmp_path, capsys):
    """roads and barriers together are refused: the network replaces the barrier model."""
    folder = _copy(tmp_path)
    shutil.copy(ROOT / "scenarios" / "tiny_river" / "barriers.geojson", folder)
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[network]\n", '[network]\nbarriers = "barriers.geojson"\n'))
    assert main(["validate", str(folder)]) == 2
    assert "either roads or barriers" in capsys.readouterr().err


def test_the_tiny_roads_build_script_reproduces_the_folder(tmp_path):
    """build.py writes exactly the committed files (tables are tiny's, byte for byte)."""
    folder = tmp_path / "tiny_roads"
    shutil.copytree(TINY_ROADS, folder)
    shutil.copytree(ROOT / "scenarios" / "tiny", tmp_path / "tiny")
    written = ("scenario.toml", "roads.geojson", "points.csv", "vehicle_types.csv")
    for name in written:
        (folder / name).unlink()
    runpy.run_path(str(folder / "build.py"), run_name="__main__")
    for name in written:
        assert (folder / name).read_bytes() == (TINY_ROADS / name).read_bytes(), name


def test_route_lines_follow_the_grid_roads(scenario, tmp_path):
    """Every trip line of the route sheets' GeoJSON runs along the grid roads: each piece is
    north-south or east-west (tiny_roads' points stand on road nodes), none across a block."""

    matrix = build_matrix(scenario)
    problem = build_problem(scenario, generate(scenario, days=1, seed=0), 0, "other", matrix)
    plan = solve(problem, RoutingSettings(iterations=100, time_limit_s=10.0))
    write_route_sheets(plan, problem, scenario, tmp_path, formats=("geojson",))
    lines = json.loads((tmp_path / "routes_other_lines.geojson").read_text(encoding="utf-8"))
    pieces = 0
    for feature in lines["features"]:
        coords = feature["geometry"]["coordinates"]
        for (x0, y0), (x1, y1) in itertools.pairwise(coords):
            assert x0 == x1 or y0 == y1, feature["properties"]["vehicle"]
            pieces += 1
    assert pieces > sum(f["properties"]["stops"] for f in lines["features"])


def test_backward_dijkstra_for_tall_blocks_gives_the_same_entries(scenario):
    """Points to one site (Dijkstra run backwards from the site) equal pair by pair (forwards),
    metres and profile seconds, one-way streets included."""
    table = build_matrix(scenario).distance_m
    assert isinstance(table, RoadTable)
    oth = table.for_profile(vehicle_profile(scenario.vehicle_types[1]))
    rows = np.arange(table.shape[0])
    for t in (table, oth):
        for col in (1, 8):
            tall = t.block(rows, [col])[:, 0]
            assert tall.tolist() == [t.pair(int(i), col) for i in rows]


def test_routes_map_draws_the_road_network_under_the_routes(scenario):
    """Each routes panel carries the network as one light line collection, one piece per
    two-way road piece and per one-way piece."""
    sheet = pd.DataFrame(
        {"stream": ["other"] * 2, "vehicle": ["V1"] * 2, "vehicle_type": ["VT-OTH"] * 2,
         "kind": ["depart", "stop"], "id": ["D1", "P1"], "lon": [120.01, 120.0],
         "lat": [-0.01, 0.0], "leg_m": [0, 1668], "depot": ["D1"] * 2, "trip": [None, 1]}
    )  # fmt: skip
    fig = plot_routes(scenario, sheet)
    g = scenario.network.roads
    one_way = int(np.sum(~np.isin(g.tail * g.node_count + g.head, g.head * g.node_count + g.tail)))
    pieces = [len(c.get_segments()) for ax in fig.axes for c in ax.collections
              if isinstance(c, LineCollection)]  # fmt: skip
    assert pieces == [(g.edge_count - one_way) // 2 + one_way]


def test_vehicle_with_no_open_road_is_an_input_error(scenario):
    """A vehicle no road is open to (only expressways, none in the network) is refused by
    name, not a traceback."""
    table = build_matrix(scenario).distance_m
    assert isinstance(table, RoadTable)
    odd = replace(
        vehicle_profile(scenario.vehicle_types[0]), road_classes=frozenset({"expressway"})
    )
    with pytest.raises(InputError, match=r"open to a small_compactor of 6\.5 t"):
        table.for_profile(odd).block([0], [1])


def _moved_to_china(tmp_path: Path, gcj02: bool) -> Path:
    """A copy of tiny_roads 31° north (inside China, where GCJ-02 shifts coordinates), its
    site tables written in GCJ-02 (as copied from Amap) when ``gcj02``; crs stays wgs84."""
    from wasteopt.coordinates import wgs84_to_gcj02

    folder = _copy(tmp_path)
    for name in ("points", "depots", "stations", "facilities"):
        path = folder / f"{name}.csv"
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        lon, lat = table["lon"].astype(float), table["lat"].astype(float) + 31.0
        if gcj02:
            lon, lat = wgs84_to_gcj02(lon.to_numpy(), lat.to_numpy())
        table["lon"], table["lat"] = np.round(lon, 7), np.round(lat, 7)
        table.to_csv(path, index=False)
    roads = json.loads((folder / "roads.geojson").read_text(encoding="utf-8"))

    def north(c):
        return [c[0], c[1] + 31.0] if isinstance(c[0], (int, float)) else [north(x) for x in c]

    for f in roads["features"]:
        f["geometry"]["coordinates"] = north(f["geometry"]["coordinates"])
    (folder / "roads.geojson").write_text(json.dumps(roads), encoding="utf-8")
    return folder


def test_points_copied_in_gcj02_are_warned_about(tmp_path, caplog):
    """Sites written in GCJ-02 but declared WGS-84 lie off the roads (the offset is ~500 m):
    building the matrix warns that they look shifted and names GCJ-02; in WGS-84 it does not."""
    for gcj, warned in ((True, True), (False, False)):
        sc = load_scenario(_moved_to_china(tmp_path / str(gcj), gcj))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="wasteopt"):
            build_matrix(sc)
        shifted = [r.getMessage() for r in caplog.records if "look shifted" in r.getMessage()]
        assert bool(shifted) == warned, shifted
        if warned:
            assert "if the tables were gcj02" in shifted[0]
