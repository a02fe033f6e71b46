"""Build scenarios/tiny_roads: the tiny scenario on a small road network (roads.geojson).

The tables are tiny's, copied byte for byte; scenario.toml is tiny's with its id, name and
description changed and ``[network] roads = "roads.geojson"``. The network (every figure
illustrative) is a grid of 0.005° (556 m) blocks around tiny's points, cut by a river between
0.0 and 0.0075° N that only two bridges cross:

* main road (40 km/h) along the equator from FAC-KITCHEN (119.90° E) to FAC-WTE (120.10° E)
  past both stations, and along 0.01° S past the depot; the link 120.01° E from the depot up;
* residential streets (20 km/h) on the other grid lines; the northern street 0.0075° N is
  one-way eastbound;
* a lane (10 km/h, e-tricycles only) at 0.01° N west of 119.995° E, where P7 stands;
* 西桥 (119.995° E, residential) and 东桥 (120.015° E, main road, limit 8 t gross: tiny's
  5 t-payload compactor, 8.5 t gross, may not cross, the 3 t one may);
* a truck-ban zone round the equator between 120.001° and 120.009° E, 07:00-09:00, for
  small compactors and larger (货车限行): P1 → P2 along the main road is closed to them.

Run from the repository root::

    .venv/bin/python scenarios/tiny_roads/build.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TINY = HERE.parent / "tiny"
TABLES = ("points.csv", "depots.csv", "stations.csv", "facilities.csv", "vehicle_types.csv")
GRID = [round(119.985 + 0.005 * k, 3) for k in range(9)]  # 119.985 … 120.025
NORTH, NORTH_MID, RIVER_S = 0.01, 0.0075, 0.0
SOUTH_MID, SOUTH = -0.005, -0.01


def road(
    rid: str, coords: list[list[float]], cls: str, speed: float, **extra: Any
) -> dict[str, Any]:
    """One road feature."""
    props: dict[str, Any] = {"id": rid, "class": cls, "speed_kmh": speed, **extra}
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def roads() -> dict[str, object]:
    """The GeoJSON FeatureCollection of the network (module docstring)."""
    main_lons = sorted({119.90, 119.99, 120.035, 120.10, *GRID})
    feats = [
        road("MAIN-EQ", [[x, RIVER_S] for x in main_lons], "main_road", 40),
        road("MAIN-S", [[x, SOUTH] for x in GRID], "main_road", 40),
        road("RES-S", [[x, SOUTH_MID] for x in GRID], "residential", 20),
        road("RES-N", [[x, NORTH_MID] for x in GRID[2:]], "residential", 20, oneway=True),
        road("LANE-N", [[x, NORTH] for x in GRID[:3]], "lane", 10),
        road("RES-N2", [[x, NORTH] for x in GRID[2:]], "residential", 20),
        road("BRIDGE-W", [[119.995, RIVER_S], [119.995, NORTH_MID]], "residential", 20),
        road(
            "BRIDGE-E",
            [[120.015, RIVER_S], [120.015, NORTH_MID]],
            "main_road",
            40,
            max_weight_t=8,
        ),
    ]
    for x in GRID:
        cls = "main_road" if x == 120.01 else "residential"
        feats.append(road(f"V-S-{x:.3f}", [[x, SOUTH], [x, SOUTH_MID], [x, RIVER_S]], cls, 20))
        if x >= 119.995:
            feats.append(road(f"V-N-{x:.3f}", [[x, NORTH_MID], [x, NORTH]], "residential", 20))
    zone = [[120.001, -0.001], [120.009, -0.001], [120.009, 0.001], [120.001, 0.001]]
    feats.append(
        {
            "type": "Feature",
            "properties": {
                "id": "BAN-CENTRE",
                "kind": "ban_zone",
                "ban_hours": "07:00-09:00",
                "ban_vehicles": "small_compactor;compactor;hook_lift;semi_trailer",
            },
            "geometry": {"type": "Polygon", "coordinates": [[*zone, zone[0]]]},
        }
    )
    return {"type": "FeatureCollection", "features": feats}


def scenario_toml() -> str:
    """tiny's scenario.toml with this scenario's id, name, description and roads."""
    text = (TINY / "scenario.toml").read_text(encoding="utf-8")
    swaps = [
        ('id = "tiny"', 'id = "tiny_roads"'),
        ('name = "Tiny hand-checkable district"', 'name = "Tiny district on a road network"'),
        (
            'description = "7 points on the equator',
            'description = "tiny on a grid of roads with a river, two bridges (one limited '
            "to 8 t), a lane and a 07:00-09:00 truck ban: 7 points on the equator",
        ),
        ("[network]\ncircuity = 1.3\n", '[network]\ncircuity = 1.3\nroads = "roads.geojson"\n'),
    ]
    for old, new in swaps:
        if old not in text:
            raise SystemExit(f"tiny/scenario.toml changed: {old!r} not found; update build.py")
        text = text.replace(old, new, 1)
    head = "# Built by build.py from ../tiny (do not edit by hand): tiny on roads, README.md.\n"
    return head + text


def main() -> None:
    for name in TABLES:
        shutil.copyfile(TINY / name, HERE / name)
    (HERE / "scenario.toml").write_text(scenario_toml(), encoding="utf-8")
    text = json.dumps(roads(), ensure_ascii=False, indent=1) + "\n"
    (HERE / "roads.geojson").write_text(text, encoding="utf-8")
    print(f"wrote {HERE}")


if __name__ == "__main__":
    main()
