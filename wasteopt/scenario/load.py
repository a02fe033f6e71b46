"""Reading a scenario folder (``scenario.toml`` + CSV tables) into a :class:`Scenario`.

The loader parses: it checks file presence, encoding, TOML syntax, column names, cell types
(numbers, whole numbers, ``HH:MM`` times, dates) and duplicate ids within a table, and drops
rows it cannot build. It then runs :func:`wasteopt.scenario.validate.run_checks` (ranges, time
windows, references, coverage, every variant) with a locator that names files and line numbers,
and raises one :class:`ScenarioError` carrying every problem found.

Row positions are **file line numbers** (the header is line 1; this is also the row number a
spreadsheet shows), so ``stations.csv line 8`` is the 7th data row of a file without multi-line
cells. The format is described in ``docs/scenario-format.md``. The parts: :mod:`.folder` (files,
line numbers, problems), :mod:`.toml_settings`, :mod:`.csv_reader`, :mod:`.csv_tables` and
:mod:`.rows`.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from wasteopt.coordinates import Crs, parse_crs, transform
from wasteopt.errors import Problem, ScenarioError
from wasteopt.roads import RoadGraph
from wasteopt.scenario.csv_reader import TableReader
from wasteopt.scenario.csv_tables import PointContext
from wasteopt.scenario.folder import MAX_MATRIX_BYTES, TABLES, path_problem
from wasteopt.scenario.geography import Barrier, Crossing
from wasteopt.scenario.geojson_file import read_barriers
from wasteopt.scenario.horizon_read import read_horizon
from wasteopt.scenario.model import (
    CollectionPoint,
    Depot,
    NetworkSettings,
    PlanningSettings,
    Scenario,
    TransferStation,
    TreatmentFacility,
)
from wasteopt.scenario.outages import plant_outage
from wasteopt.scenario.residue_checks import residue_flow, residues_to_wgs84
from wasteopt.scenario.roads import read_roads
from wasteopt.scenario.rows import depot, facility, point, station, vehicle_type
from wasteopt.scenario.toml_settings import (
    NETWORK_KEYS,
    PLANNING_KEYS,
    SCENARIO_KEYS,
    STANDARD_STREAMS,
    SettingsReader,
)
from wasteopt.scenario.validate import run_checks
from wasteopt.scenario.variants import apply_variant

__all__ = ["MAX_SIMILAR_PROBLEMS", "STANDARD_STREAMS", "TABLES", "load_scenario"]

log = logging.getLogger("wasteopt")

#: Identical problems (same file, field and message) beyond this many are summarised.
MAX_SIMILAR_PROBLEMS = 20


def load_scenario(path: str | os.PathLike[str], *, variant: str | None = None) -> Scenario:
    """Load, check and return the scenario in folder ``path`` (or ``path/scenario.toml``).

    With ``variant`` the named variant is applied (``"base"`` or ``None``: none). Every variant
    is validated whichever is chosen. Raises :class:`ScenarioError` with all problems found.
    """
    t0 = time.perf_counter()
    p = Path(path)
    toml_name = "scenario.toml"
    if p.is_file() and p.suffix == ".toml":
        p, toml_name = p.parent, p.name
    try:
        is_dir = stat.S_ISDIR(p.stat().st_mode)
    except OSError as e:
        why = path_problem(p, e)
        message = (
            "scenario folder not found" if why == "file not found" else f"scenario folder: {why}"
        )
        raise ScenarioError([Problem(file=str(path), message=message)]) from None
    if not is_dir:
        raise ScenarioError(
            [
                Problem(
                    file=str(path),
                    message="not a folder",
                    expected="a scenario folder holding scenario.toml",
                )
            ]
        )
    loader = _Loader(p, toml_name)
    s = loader.load()
    problems = loader.problems + run_checks(s, loader.locate, loader.tolerance())
    if problems:
        raise ScenarioError(_summarise(problems))
    log.debug(
        "loaded scenario %s (%d points) in %.3f s", s.id, len(s.points), time.perf_counter() - t0
    )
    if variant is None or variant == "base":
        return s
    return apply_variant(s, variant)


class _Loader(SettingsReader, TableReader):
    """Reads one folder: the settings file first, then the tables in :data:`TABLES` order."""

    def load(self) -> Scenario:
        """The scenario as far as it could be read (the problems are in ``self.problems``)."""
        data = self.parse_toml()
        head = self.section(data, "scenario", SCENARIO_KEYS, required=self.toml_ok)
        self.table_files(data)
        net = self.section(data, "network", NETWORK_KEYS)
        defaults = self.point_defaults(data)
        planning = self.section(data, "planning", PLANNING_KEYS)
        gen = self.generation(data)
        streams = self.streams(data, head.get("standard_streams", True))
        variants = self.variants(data)
        targets = self.targets(data)
        if net.get("matrix_file"):  # read later by the network layer; refused here if unfit
            self.check_file(
                net["matrix_file"],
                MAX_MATRIX_BYTES,
                "the travel matrix named by [network] matrix_file",
            )
        crs = self.crs(net, "crs", "wgs84")
        barriers_crs = self.crs(net, "barriers_crs", crs)
        barriers, crossings = self.barriers(net, barriers_crs)
        roads_crs = self.crs(net, "roads_crs", crs)
        roads = self.roads(net, roads_crs)
        depots = _to_wgs84(self.read_table("depots", depot), crs)
        stations = _to_wgs84(self.read_table("stations", station), crs)
        facilities = _to_wgs84(self.read_table("facilities", facility), crs)
        vehicles = self.read_table("vehicle_types", vehicle_type)
        points = self.read_table(
            "points", partial(point, ctx=PointContext(streams, defaults, self.toml_ok))
        )
        points = _to_wgs84(points, crs)
        horizon = read_horizon(self, data, streams, stations, facilities)
        outages = (
            self.read_table("plant_outages", plant_outage) if "plant_outages" in self.files else []
        )
        residues = self.read_table("residues", residue_flow) if "residues" in self.files else []
        return Scenario(
            id=head.get("id") or self.folder.name,
            name=head.get("name") or self.folder.name,
            description=head.get("description", ""),
            folder=str(self.folder),
            streams=streams,
            points=tuple(points),
            depots=tuple(depots),
            stations=tuple(stations),
            facilities=tuple(facilities),
            vehicle_types=tuple(vehicles),
            generation=gen,
            network=NetworkSettings(
                circuity=net.get("circuity", 1.3),
                matrix_file=net.get("matrix_file", ""),
                crs=crs,
                barriers_file=net.get("barriers", ""),
                barriers_crs=barriers_crs,
                barriers=barriers,
                crossings=crossings,
                roads_file=net.get("roads", ""),
                roads_crs=roads_crs,
                roads=roads,
                snap_speed_kmh=net.get("snap_speed_kmh", 10.0),
                snap_warn_m=net.get("snap_warn_m", 250.0),
            ),
            planning=PlanningSettings(**planning),  # keys are the field names
            variants=variants,
            targets=targets,
            horizon=horizon,
            plant_outages=tuple(outages),
            residues=tuple(residues_to_wgs84(residues, crs)),
        )

    def crs(self, net: dict[str, Any], key: str, default: Crs) -> Crs:
        """``[network] key`` as a coordinate system (``default`` when absent or wrong)."""
        text = net.get(key) or default
        try:
            return parse_crs(text)
        except ValueError:
            self.add(
                self.toml_name,
                "unknown coordinate system",
                "[network]",
                key,
                text,
                "wgs84 (GPS), gcj02 (AMap/Gaode, Tencent) or bd09 (Baidu)",
            )
            return default

    def roads(self, net: dict[str, Any], crs: Crs) -> RoadGraph | None:
        """The road graph of ``[network] roads`` (none when not set)."""
        name = net.get("roads")
        if not name:
            return None
        for key in ("matrix_file", "barriers"):
            if net.get(key):
                self.add(
                    self.toml_name,
                    f"a road network replaces {key}: they cannot be used together",
                    "[network]",
                    "roads",
                    name,
                    f"either roads or {key}, not both",
                )
                return None
        for key in ("snap_speed_kmh", "snap_warn_m"):
            if not net.get(key, 1.0) > 0:
                self.add(self.toml_name, "must be above 0", "[network]", key, net[key], "> 0")
        return read_roads(self, name, crs)

    def barriers(
        self, net: dict[str, Any], crs: Crs
    ) -> tuple[tuple[Barrier, ...], tuple[Crossing, ...]]:
        """The barriers and crossings of ``[network] barriers`` (none when not set)."""
        name = net.get("barriers")
        if not name:
            return (), ()
        if net.get("matrix_file"):
            self.add(
                self.toml_name,
                "a user matrix gives every distance, so barriers would be ignored",
                "[network]",
                "barriers",
                name,
                "either matrix_file or barriers, not both",
            )
            return (), ()
        return read_barriers(self, name, crs)


_Located = TypeVar("_Located", Depot, TransferStation, TreatmentFacility, CollectionPoint)


def _to_wgs84(records: list[_Located], crs: Crs) -> list[_Located]:
    """``records`` with lon/lat converted from ``crs`` to WGS-84; coordinates out of range are
    kept as written, so that the checks report them as the user wrote them."""
    if crs == "wgs84" or not records:
        return records
    lon = np.array([r.lon for r in records], dtype=np.float64)
    lat = np.array([r.lat for r in records], dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    x, y = transform(lon[ok], lat[ok], crs, "wgs84")
    lon[ok], lat[ok] = x, y
    return [
        replace(r, lon=float(lon[k]), lat=float(lat[k])) if ok[k] else r
        for k, r in enumerate(records)
    ]


def _summarise(problems: list[Problem]) -> list[Problem]:
    """Keep at most MAX_SIMILAR_PROBLEMS of each (file, field, message); count the rest."""
    counts: dict[tuple[str, str, str], int] = {}
    out: list[Problem] = []
    for p in problems:
        key = (p.file, p.field, p.message)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= MAX_SIMILAR_PROBLEMS:
            out.append(p)
    for (file, field, message), n in counts.items():
        if n > MAX_SIMILAR_PROBLEMS:
            out.append(
                Problem(
                    file=file,
                    field=field,
                    message=f"{n - MAX_SIMILAR_PROBLEMS} more problems like '{message}' not listed",
                )
            )
    return out
