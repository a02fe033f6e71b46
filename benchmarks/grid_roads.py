"""A synthetic road network for a city: a grid of two-way streets written as a GeoJSON road
layer (``[network] roads``, docs/scenario-format.md "Road networks").

Model (the one ``roads.py`` times): east-west and north-south streets every ``spacing_m``
metres over a box that reaches one spacing beyond the sites on the west and south and two on
the east and north; every 5th street of each direction (the first included) is a
``main_road`` at 40 km/h, the others ``residential`` streets at 20 km/h; no lanes, bans,
weight limits or one-way streets. Every vehicle class drives main roads and e-tricycles,
small compactors and vans drive residential streets too, so every vehicle reaches every site:
a site joins the roads its vehicle may use at their nearest node by a straight snap leg
(``snap_speed_kmh``), a ``lane`` point's e-tricycle at the nearest street corner (the grid
has no lanes: old-town lanes shorter than a block are that snap leg), an 8 t compactor at the
nearest main-road corner.

File: each grid row and each grid column is ONE ``LineString`` with a vertex at every
crossing; coordinates are rounded to ``DIGITS`` decimals once, on the grid's axes, so the
row and the column through a crossing share that vertex exactly (roads meet only where they
share a vertex, ``wasteopt/roads/read.py``). A 300 m grid round the 20,000 Nanjing points is
about 680 lines and 98,000 crossings (a few MB).

A scenario on the grid (:func:`scenario_on_grid`) is a copy of its folder with
``roads.geojson`` written into it and ``[network] roads = "roads.geojson"`` set in the copy's
scenario.toml; the keys a road network replaces (``matrix_file``, ``barriers`` and
``barriers_crs``, refused together with ``roads``) and any ``roads``/``roads_crs`` are removed
from ``[network]``: the grid is written in the sites' own coordinate system (``crs``).

Usage (a copy of the committed city on a 300 m grid; the source folder is never changed)::

    .venv/bin/python benchmarks/grid_roads.py scenarios/nanjing --spacing 300 --out /tmp/nj-roads
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wasteopt.roads.graph import EARTH_RADIUS_M

FloatArray = npt.NDArray[np.float64]
DIGITS = 6
"""Decimals of the written coordinates (0.1 m): crossings coincide because both lines through
one take the same rounded axis values."""
MAIN_EVERY = 5
"""Every 5th street of each direction is a main road."""
SPEED_KMH = {"main_road": 40.0, "residential": 20.0}
ROADS_FILE = "roads.geojson"
REPLACED_KEYS = ("roads", "roads_crs", "matrix_file", "barriers", "barriers_crs")
"""``[network]`` keys removed from a scenario put on the grid (module docstring)."""
_SECTION = re.compile(r"^\[\[?\s*([A-Za-z0-9_.\-\s]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^([A-Za-z0-9_\-]+)\s*=")
SITE_TABLES = ("points.csv", "stations.csv", "facilities.csv", "depots.csv")
"""The scenario tables whose ``lon``, ``lat`` the grid covers (every routed site)."""


@dataclass(frozen=True, slots=True)
class GridFile:
    """What :func:`write_grid_roads` wrote: its street lines, crossings and bytes."""

    path: Path
    spacing_m: float
    columns: int
    rows: int
    size_bytes: int

    @property
    def crossings(self) -> int:
        return self.columns * self.rows

    def describe(self) -> str:
        return (
            f"{self.spacing_m:g} m grid: {self.rows} east-west and {self.columns} north-south "
            f"streets, {self.crossings:,} crossings, {self.size_bytes / 2**20:.1f} MB"
        )


def grid_axes(lon: FloatArray, lat: FloatArray, spacing_m: float) -> tuple[FloatArray, FloatArray]:
    """(longitudes of the north-south streets, latitudes of the east-west streets), rounded to
    ``DIGITS`` decimals, covering the sites' box (module docstring)."""
    if not spacing_m > 0:
        raise ValueError(f"grid spacing must be > 0 m, got {spacing_m!r}")
    lat0 = float(np.mean(lat))
    k = np.radians(1.0) * EARTH_RADIUS_M  # metres per degree of latitude
    dlat = spacing_m / k
    dlon = spacing_m / (k * np.cos(np.radians(lat0)))
    xs = np.arange(lon.min() - dlon, lon.max() + 2 * dlon, dlon)
    ys = np.arange(lat.min() - dlat, lat.max() + 2 * dlat, dlat)
    return np.round(xs, DIGITS).astype(np.float64), np.round(ys, DIGITS).astype(np.float64)


def street_class(index: int) -> str:
    """The class of the ``index``-th street of its direction (every 5th is a main road)."""
    return "main_road" if index % MAIN_EVERY == 0 else "residential"


def _street(sid: str, cls: str, coords: list[list[float]]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"id": sid, "class": cls, "speed_kmh": SPEED_KMH[cls]},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def grid_roads(lon: FloatArray, lat: FloatArray, spacing_m: float) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of the grid round the sites (module docstring)."""
    xs, ys = grid_axes(lon, lat, spacing_m)
    xl, yl = xs.tolist(), ys.tolist()  # Python floats: json writes their shortest repr
    feats = [
        _street(f"EW-{r:04d}", street_class(r), [[x, y] for x in xl]) for r, y in enumerate(yl)
    ]
    feats += [
        _street(f"NS-{c:04d}", street_class(c), [[x, y] for y in yl]) for c, x in enumerate(xl)
    ]
    return {"type": "FeatureCollection", "features": feats}


def write_grid_roads(path: Path, lon: FloatArray, lat: FloatArray, spacing_m: float) -> GridFile:
    """Write the grid round the sites to ``path`` (compact JSON); what was written."""
    collection = grid_roads(lon, lat, spacing_m)
    text = json.dumps(collection, separators=(",", ":")) + "\n"
    path.write_text(text, encoding="utf-8")
    feats = collection["features"]
    rows = sum(1 for f in feats if f["properties"]["id"].startswith("EW-"))
    return GridFile(path, spacing_m, len(feats) - rows, rows, len(text.encode("utf-8")))


def scenario_sites(folder: Path) -> tuple[FloatArray, FloatArray]:
    """``lon``, ``lat`` of every point, station, facility and depot of a scenario folder."""
    frames = [
        pd.read_csv(folder / name, usecols=["lon", "lat"])
        for name in SITE_TABLES
        if (folder / name).exists()
    ]
    every = pd.concat(frames, ignore_index=True).dropna()
    return every["lon"].to_numpy(np.float64), every["lat"].to_numpy(np.float64)


def with_roads(toml_text: str, roads: str = ROADS_FILE) -> str:
    """``toml_text`` with ``[network] roads = roads`` and without the keys a road network
    replaces (:data:`REPLACED_KEYS`); a ``[network]`` table is added when there is none."""
    out: list[str] = []
    section, added = "", False
    for line in toml_text.splitlines():
        head = _SECTION.match(line.strip())
        if head:
            section = head.group(1)
            out.append(line)
            if section == "network" and not added:
                out.append(f'roads = "{roads}"')
                added = True
            continue
        key = _KEY.match(line.strip())
        if section == "network" and key and key.group(1) in REPLACED_KEYS:
            continue
        out.append(line)
    if not added:
        out += ["", "[network]", f'roads = "{roads}"']
    text = "\n".join(out) + "\n"
    net = tomllib.loads(text).get("network", {})
    if net.get("roads") != roads or any(net.get(k) for k in REPLACED_KEYS[1:]):
        raise ValueError(f"could not set [network] roads = {roads!r} in the scenario.toml")
    return text


def scenario_on_grid(src: Path, dst: Path, spacing_m: float) -> GridFile:
    """Copy scenario folder ``src`` to ``dst`` (which must not exist) and put the copy on a
    grid of ``spacing_m`` round its sites (module docstring); ``src`` is only read."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ROADS_FILE))
    toml = dst / "scenario.toml"
    toml.write_text(with_roads(toml.read_text(encoding="utf-8")), encoding="utf-8")
    lon, lat = scenario_sites(dst)
    return write_grid_roads(dst / ROADS_FILE, lon, lat, spacing_m)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("folder", type=Path, help="scenario folder (only read)")
    ap.add_argument("--spacing", type=float, default=300.0, help="metres between streets")
    ap.add_argument("--out", type=Path, required=True, help="new folder: the scenario on roads")
    args = ap.parse_args(argv)
    if args.out.exists():
        ap.error(f"{args.out} exists: give a new folder")
    grid = scenario_on_grid(args.folder, args.out, args.spacing)
    print(f"wrote {args.out}: {grid.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
