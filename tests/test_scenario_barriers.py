"""Barriers and coordinate systems of a scenario: barriers.geojson, [network] crs, their checks."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wasteopt.cli import main
from wasteopt.coordinates import wgs84_to_gcj02
from wasteopt.network import build_matrix
from wasteopt.scenario import load_scenario

RIVER_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "tiny_river"
TINY_DIR = RIVER_DIR.parent / "tiny"
SITE_TABLES = ("points.csv", "depots.csv", "stations.csv", "facilities.csv")


def copy_river(tmp_path: Path) -> Path:
    folder = tmp_path / "river"
    shutil.copytree(RIVER_DIR, folder, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return folder


def edit_geojson(folder: Path, edit: Any) -> None:
    path = folder / "barriers.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def move_sites(folder: Path, move: Any) -> None:
    """Rewrite lon/lat of every site table with ``move(lon, lat) -> (lon, lat)``."""
    for name in SITE_TABLES:
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:
            lon, lat = move(float(r["lon"]), float(r["lat"]))
            r["lon"], r["lat"] = repr(lon), repr(lat)
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


def set_network(folder: Path, lines: str) -> None:
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[network]\n", f"[network]\n{lines}\n", 1), encoding="utf-8")


def test_tiny_river_changes_only_the_legs_over_the_river(tiny_scenario, tiny_matrix):
    """tiny_river is tiny plus a river: legs between the rows grow, all others are equal, and
    P4 → P1 (straight south over the river) goes over the west bridge."""
    river = load_scenario(RIVER_DIR)
    assert [b.id for b in river.network.barriers] == ["RIVER"]
    assert [c.id for c in river.network.crossings] == ["B-W", "B-E"]
    assert river.points == tiny_scenario.points
    m = build_matrix(river)
    ids = list(m.ids)
    d, d0 = m.block(ids, ids), tiny_matrix.block(ids, ids)
    north = np.array(
        [tiny_scenario.point(i).lat > 0.005 if i.startswith("P") else False for i in ids]
    )
    across = north[:, None] != north[None, :]
    assert np.array_equal(d[~across], d0[~across])
    assert np.all(d[across] > d0[across])
    model = river.network
    path = [(120.0, 0.01), (119.995, 0.0065), (119.995, 0.0035), (120.0, 0.0)]
    from wasteopt.network import scenario_barriers

    barrier = scenario_barriers(river)
    assert barrier is not None and barrier.path(path[0], path[-1]) == path
    assert model.barriers_file == "barriers.geojson"


def test_the_tiny_river_build_script_reproduces_the_folder(tmp_path):
    """build.py writes exactly the committed files (tables are tiny's, byte for byte)."""
    folder = tmp_path / "tiny_river"
    shutil.copytree(RIVER_DIR, folder)
    shutil.copytree(TINY_DIR, tmp_path / "tiny")
    for name in ("scenario.toml", "barriers.geojson", *SITE_TABLES):
        (folder / name).unlink()
    import runpy

    runpy.run_path(str(folder / "build.py"), run_name="__main__")
    for name in ("scenario.toml", "barriers.geojson", *SITE_TABLES, "vehicle_types.csv"):
        assert (folder / name).read_bytes() == (RIVER_DIR / name).read_bytes(), name


def _square(x: float, y: float, half: float) -> list[list[float]]:
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]]
    return [*ring, ring[0]]


# Water around P6 (120.02, 0.01) with P6 on the island in its middle.
MOAT = {
    "type": "Feature",
    "properties": {"id": "MOAT", "name": "护城河", "kind": "water"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [_square(120.02, 0.01, 0.002), _square(120.02, 0.01, 0.001)],
    },
}

BAD_INPUTS = [
    (
        "invalid JSON",
        lambda f: (f / "barriers.geojson").write_text('{"type": "FeatureCollection",', "utf-8"),
        "barriers.geojson line 1 column 30: not valid JSON",
    ),
    (
        "unknown kind",
        lambda f: edit_geojson(f, lambda d: d["features"][0]["properties"].update(kind="lake")),
        "barriers.geojson feature 0 (id=RIVER): properties.kind: not a kind of Polygon",
    ),
    (
        "open ring",
        lambda f: edit_geojson(f, lambda d: d["features"][0]["geometry"]["coordinates"][0].pop()),
        "barriers.geojson feature 0 (id=RIVER): geometry.coordinates[0]: ring is not closed",
    ),
    (
        "ring crossing itself",
        lambda f: edit_geojson(
            f,
            lambda d: d["features"][0]["geometry"].update(
                coordinates=[[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
            ),
        ),
        "feature 0 (id=RIVER): geometry.coordinates: edges cross each other",
    ),
    (
        "bridge ending in the water",
        lambda f: edit_geojson(
            f, lambda d: d["features"][1]["geometry"]["coordinates"][0].__setitem__(1, 0.005)
        ),
        "barriers.geojson feature 1 (id=B-W): geometry.coordinates: the first position lies "
        "inside barrier RIVER",
    ),
    (
        "no name",
        lambda f: edit_geojson(f, lambda d: d["features"][2]["properties"].pop("name")),
        "barriers.geojson feature 2 (id=B-E): properties.name: required text is missing",
    ),
    (
        "a point geometry",
        lambda f: edit_geojson(
            f, lambda d: d["features"][2].update(geometry={"type": "Point", "coordinates": [0, 0]})
        ),
        "feature 2 (id=B-E): geometry.type: not a barrier or crossing geometry; expected Polygon",
    ),
    (
        "a point in the river",
        lambda f: move_sites(
            f, lambda lon, lat: (lon, 0.005 if lon == 120.02 and lat == 0.01 else lat)
        ),
        "points.csv line 7 (id=P6): lon, lat: inside barrier RIVER (water, barriers.geojson "
        "feature 0)",
    ),
    (
        "a matrix as well",
        lambda f: set_network(f, 'matrix_file = "matrix.csv"'),
        "scenario.toml [network]: barriers: a user matrix gives every distance",
    ),
    (
        "an unknown system",
        lambda f: set_network(f, 'crs = "utm50"'),
        "scenario.toml [network]: crs: unknown coordinate system; expected wgs84 (GPS)",
    ),
    (
        "a moat without a bridge",
        lambda f: edit_geojson(f, lambda d: d.update(features=[MOAT])),
        "points.csv line 7 (id=P6): lon, lat: cut off by barriers",
    ),
]


@pytest.mark.parametrize(("what", "damage", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_barriers_exit_2_naming_file_feature_and_field(tmp_path, capsys, what, damage, message):
    """A broken barriers file or a site in the water: exit 2, the problem located, no traceback."""
    folder = copy_river(tmp_path)
    if what == "a matrix as well":
        (folder / "matrix.csv").write_text("from_id,to_id,distance_m\n", encoding="utf-8")
    damage(folder)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


def test_a_gcj02_scenario_loads_to_the_same_wgs84_coordinates(tmp_path):
    """Tables and barriers written in GCJ-02 with crs = "gcj02" load to the coordinates of the
    WGS-84 original (tiny_river moved to 31.6° N, where the offset is ~500 m), and to the same
    travel matrix."""
    wgs = copy_river(tmp_path / "w")

    def north(lon: float, lat: float) -> tuple[float, float]:
        return lon, lat + 31.6

    move_sites(wgs, north)
    edit_geojson(wgs, lambda d: _move_features(d, north))
    gcj = tmp_path / "g"
    shutil.copytree(wgs, gcj)
    move_sites(gcj, wgs84_to_gcj02)
    edit_geojson(gcj, lambda d: _move_features(d, wgs84_to_gcj02))
    set_network(gcj, 'crs = "gcj02"')
    a, b = load_scenario(wgs), load_scenario(gcj)
    assert b.network.crs == "gcj02" and b.network.barriers_crs == "gcj02"
    sa, sb = np.array([s[1:] for s in a.sites()]), np.array([s[1:] for s in b.sites()])
    assert np.abs(sa - sb).max() < 1e-9
    ra = np.array(a.network.barriers[0].polygons[0][0])
    rb = np.array(b.network.barriers[0].polygons[0][0])
    assert np.abs(ra - rb).max() < 1e-9
    ids = [s[0] for s in a.sites()]
    assert np.abs(build_matrix(a).block(ids, ids) - build_matrix(b).block(ids, ids)).max() <= 1


def _move_features(data: dict[str, Any], move: Any) -> None:
    def pos(p: list[float]) -> list[float]:
        return [float(v) for v in move(p[0], p[1])]

    for f in data["features"]:
        g = f["geometry"]
        if g["type"] == "LineString":
            g["coordinates"] = [pos(p) for p in g["coordinates"]]
        else:
            g["coordinates"] = [[pos(p) for p in ring] for ring in g["coordinates"]]


def test_sites_that_look_shifted_get_a_crs_hint(tmp_path, capsys):
    """Sites copied from a GCJ-02 map but declared WGS-84 fall into water drawn in WGS-84
    (a pond at each one's GCJ-02 position); validate names crs = "gcj02" as the likely fix."""
    folder = copy_river(tmp_path)
    move_sites(folder, lambda lon, lat: wgs84_to_gcj02(lon, lat + 31.6))
    ponds = []
    for name in SITE_TABLES:
        with (folder / name).open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                x, y = float(r["lon"]), float(r["lat"])
                ponds.append([_square(x, y, 5e-4)])
    pond = {"type": "Feature", "properties": {"id": "PONDS", "name": "塘", "kind": "water"}}
    pond["geometry"] = {"type": "MultiPolygon", "coordinates": ponds}
    edit_geojson(folder, lambda d: d.update(features=[pond]))
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "points.csv line 2 (id=P1): lon, lat: inside barrier PONDS" in err
    assert "scenario.toml [network]: crs: the sites look shifted: 12 lie inside barriers" in err
    assert 'crs = "gcj02"' in err
