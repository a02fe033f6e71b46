"""Build the CSV tables of the Jintan (金坛区) scenario, deterministically.

Run from the repository root with the project venv::

    .venv/bin/python scenarios/jintan/build_tables.py

It (re)writes points.csv, depots.csv, stations.csv, facilities.csv and vehicle_types.csv next to
this file and prints a short summary. scenario.toml is hand-written; the generation constants
in ``sources.py`` (KG_PER_PERSON_DAY, stream shares, capture rates, missorting) mirror it and
are used only to size fleets and stations. See README.md for where every figure comes from.

Modules next to this one: ``sources.py`` (the figures every table uses), ``points.py`` (the
point model below), ``stations.py`` (stations.csv rows), ``fleets.py`` (vehicle types) and
``fleet_sizing.py`` (the sizing rule).

Point model: each of the nine subdistricts/towns gets ``round(residents / residents_per_point)``
collection points. Urban points are Gaussian around the subdistrict centre, clipped to a box;
town points are 60 % around the town seat (σ ≈ 1.2 km) and 40 % scattered villages
(σ ≈ 3.5 km); 金城镇 points form a ring around the city plus three sub-centres. Any draw that
falls in 长荡湖 (with a 0.6 km shore margin), outside the district's bounding box, or too far
from its seat is redrawn. Residents per point are lognormal (σ = 0.35) and rescaled with
largest-remainder rounding so that each subdistrict's total is exact.

Two tiers: every point gets an access class. Old-town points (urban points within OLD_TOWN_KM
of the centre) are ``lane`` (e-tricycles only); a lane point serving more than
LANE_MAX_RESIDENTS is split into several points a few tens of metres apart (the bins of a lane
quarter stand at several spots), so that one visit fits an e-tricycle. Villages are
``residential``: a village collection room on the village road (村收集点), emptied by the town's
small vehicles. Points of more than MAIN_ROAD_RESIDENTS (big estates: bin room at the gate) and
one in four other urban points are ``main_road``; the rest are ``residential``. Markets and
canteens are added as ``large_generator`` points.

Fleets (``fleets.size_fleets``): a point's stream is served by the city depot's e-tricycles at lane
points; at other points by the small vehicle of its stream (4 t kitchen bin truck, 3.5 t small
compactor, van) from its unit's depot (city depot for 西城/东城, the town's 镇环卫所 otherwise),
and residual waste on main roads by the 8 t compactor of the nearest truck depot; hazardous
vans from the city. Each depot × model is sized by load *and* time (``fleet_sizing.py``, rule
illustrative)::

    count = ⌈(1 + SPARE) × max(PEAK × kg ÷ (load × planned trips),
                              PEAK × (service + driving + unload h) ÷ (working h − depot h))⌉

with the driving to the station each point unloads at (the nearest station accepting the
stream, or plant when no station does or for large generators, in whichever of base and
consolidate is farther) and between stops, PEAK = 1.30 and SPARE = 0.10. A vehicle may make
EXTRA_TRIPS = 1 more trip than planned (``max_trips``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
from fleets import VEHICLE_COLS, haul_rows, size_fleets
from lake import barriers
from points import LARGE_GENERATORS, POINT_COLS, make_points, point_kg
from sources import (
    DEPOTS,
    DISTRICTS,
    FACILITIES,
    FACILITY_COLS,
    SHARE,
    TOTAL_RESIDENTS,
    bin_kg_per_person,
)
from stations import CHENGNAN_CAPITAL_CNY, STATION_COLS, station_rows

HERE = Path(__file__).resolve().parent
SEED = 20260105


def write_csv(name: str, cols: list[str], rows: list[dict[str, Any]]) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


def main() -> None:
    rng = np.random.default_rng(SEED)
    assert sum(d[5] for d in DISTRICTS) == TOTAL_RESIDENTS
    per_person = bin_kg_per_person()
    points = make_points(rng)
    write_csv("points.csv", POINT_COLS, points)
    write_csv(
        "depots.csv",
        ["id", "name", "lon", "lat", "open", "close"],
        [dict(zip(["id", "name", "lon", "lat", "open", "close"], d, strict=True)) for d in DEPOTS],
    )
    stations = station_rows(points, per_person)
    write_csv("stations.csv", STATION_COLS, stations)
    write_csv(
        "facilities.csv",
        FACILITY_COLS,
        [dict(zip(FACILITY_COLS, f, strict=True)) for f in FACILITIES],
    )
    vehicles, sizing = size_fleets(points, per_person, stations)
    write_csv("vehicle_types.csv", VEHICLE_COLS, vehicles + haul_rows())
    text = json.dumps(barriers(), ensure_ascii=False, indent=1) + "\n"
    (HERE / "barriers.geojson").write_text(text, encoding="utf-8")
    summary(points, per_person, sizing)


def summary(points: list[dict[str, Any]], per_person: dict[str, float], sizing: list[str]) -> None:
    """Print what the README quotes (this is a build script, so it prints)."""
    residents = sum(int(p.get("residents", 0)) for p in points)
    print(f"points: {len(points)}, residents: {residents}")
    by_district: dict[str, list[int]] = {}
    for p in points:
        if "residents" in p:
            by_district.setdefault(p["district"], []).append(p["residents"])
    for d, rs in by_district.items():
        print(f"  {d}: {len(rs)} points, {sum(rs)} residents, mean {sum(rs) / len(rs):.0f}")
    access: dict[str, int] = {}
    for p in points:
        access[p["access"]] = access.get(p["access"], 0) + 1
    print("access:", access, "large generators:", len(LARGE_GENERATORS))
    print("kg per person per day in each bin:", {s: round(v, 4) for s, v in per_person.items()})
    print(
        "district mean t/day in bins:",
        {s: round(sum(point_kg(p, s, per_person) for p in points) / 1000, 2) for s in SHARE},
    )
    print(f"城南 capital: {CHENGNAN_CAPITAL_CNY:,.0f} CNY")
    print("fleet sizing:")
    for line in sizing:
        print("  " + line)


if __name__ == "__main__":
    main()
