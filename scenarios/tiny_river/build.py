"""Build scenarios/tiny_river: the tiny scenario with a river between its two rows of points.

The tables are tiny's, copied byte for byte; scenario.toml is tiny's with its id, name and
description changed and ``[network] barriers`` added; barriers.geojson holds the river (a
water band from 119.85° to 120.15° E between 0.004° and 0.006° N, 222 m wide) and two bridges
(西桥 at 119.995° E, 东桥 at 120.015° E, each from 0.0035° to 0.0065° N, so both ends stand
55 m off the banks). Every figure is illustrative. Run from the repository root::

    .venv/bin/python scenarios/tiny_river/build.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY = HERE.parent / "tiny"
TABLES = ("points.csv", "depots.csv", "stations.csv", "facilities.csv", "vehicle_types.csv")

RIVER = [[119.85, 0.004], [120.15, 0.004], [120.15, 0.006], [119.85, 0.006], [119.85, 0.004]]
BRIDGES = [("B-W", "西桥", 119.995), ("B-E", "东桥", 120.015)]


def barriers() -> dict[str, object]:
    """The GeoJSON FeatureCollection of the river and its bridges."""
    river = {
        "type": "Feature",
        "properties": {"id": "RIVER", "name": "小河", "kind": "water"},
        "geometry": {"type": "Polygon", "coordinates": [RIVER]},
    }
    bridges = [
        {
            "type": "Feature",
            "properties": {"id": bid, "name": name, "kind": "bridge"},
            "geometry": {"type": "LineString", "coordinates": [[lon, 0.0035], [lon, 0.0065]]},
        }
        for bid, name, lon in BRIDGES
    ]
    return {"type": "FeatureCollection", "features": [river, *bridges]}


def scenario_toml() -> str:
    """tiny's scenario.toml with this scenario's id, name, description and barriers."""
    text = (TINY / "scenario.toml").read_text(encoding="utf-8")
    swaps = [
        ('id = "tiny"', 'id = "tiny_river"'),
        ('name = "Tiny hand-checkable district"', 'name = "Tiny district with a river"'),
        (
            'description = "7 points on the equator',
            'description = "tiny with a river between its rows and two bridges: 7 points on '
            "the equator",
        ),
        (
            "[network]\ncircuity = 1.3\n",
            '[network]\ncircuity = 1.3\nbarriers = "barriers.geojson"\n',
        ),
    ]
    for old, new in swaps:
        if old not in text:
            raise SystemExit(f"tiny/scenario.toml changed: {old!r} not found; update build.py")
        text = text.replace(old, new, 1)
    head = "# Built by build.py from ../tiny (do not edit by hand): tiny plus a river, README.md.\n"
    return head + text


def main() -> None:
    for name in TABLES:
        shutil.copyfile(TINY / name, HERE / name)
    (HERE / "scenario.toml").write_text(scenario_toml(), encoding="utf-8")
    text = json.dumps(barriers(), ensure_ascii=False, indent=1) + "\n"
    (HERE / "barriers.geojson").write_text(text, encoding="utf-8")
    print(f"wrote {HERE}")


if __name__ == "__main__":
    main()
