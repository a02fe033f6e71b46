"""A scenario's road network (``[network] roads``) and which vehicle may use which road.

Road classes tie to the access classes of the two-tier chain (:data:`ACCESS_RULES`): a point's
``access`` class says which vehicles reach it, a road's class says which vehicles may drive it.

==============  ===========================================  =====================
road class      who may drive it                             OSM ``highway``
==============  ===========================================  =====================
``lane``        e-tricycles only (as a ``lane`` point)         footway, path, …
``residential`` e-tricycles, small compactors, vans            residential, service, …
``main_road``   every vehicle class                            primary … tertiary
``expressway``  every class but e-tricycles (快速路)           motorway, trunk
==============  ===========================================  =====================

Weight limits compare a road's ``max_weight_t`` with the vehicle's gross weight, estimated as
the typical kerb weight of its class (:data:`KERB_T`) plus its payload. Bans close roads or
zones to vehicle classes in daily hours (:mod:`wasteopt.roads.graph`). A vehicle's profile
covers its whole shift (the conservative ban rule stated there).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from wasteopt.coordinates import Crs, transform
from wasteopt.roads import Profile, RoadGraph
from wasteopt.roads.graph import FloatArray
from wasteopt.roads.read import RoadFileError, read_geojson_roads, read_osm_roads
from wasteopt.scenario.folder import FolderReader
from wasteopt.scenario.model import (
    ACCESS_RULES,
    COLLECTION_CLASSES,
    HAUL_CLASSES,
    VEHICLE_CLASSES,
    VehicleType,
)

__all__ = [
    "KERB_T",
    "MAX_ROADS_BYTES",
    "OSM_CLASSES",
    "ROAD_CLASSES",
    "ROAD_RULES",
    "read_roads",
    "vehicle_profile",
]

MAX_ROADS_BYTES = 512 * 2**20
"""Largest accepted road file (a city's OSM extract is tens to hundreds of MB)."""

ROAD_CLASSES: tuple[str, ...] = ("lane", "residential", "main_road", "expressway")
ROAD_RULES: dict[str, frozenset[str]] = {
    "lane": ACCESS_RULES["lane"],
    "residential": ACCESS_RULES["residential"],
    "main_road": frozenset(VEHICLE_CLASSES),
    "expressway": frozenset(VEHICLE_CLASSES) - {"e_tricycle"},
}
"""Which vehicle classes may drive each road class (haul classes drive main roads and
expressways: they serve no point, they run station → plant)."""
assert set(COLLECTION_CLASSES) | set(HAUL_CLASSES) == set(VEHICLE_CLASSES)

KERB_T: dict[str, float] = {
    "e_tricycle": 0.4,
    "small_compactor": 3.5,
    "van": 2.5,
    "compactor": 9.0,
    "hook_lift": 11.0,
    "semi_trailer": 15.0,
}
"""Typical kerb (empty) weight in tonnes of each vehicle class; gross = kerb + payload."""

OSM_CLASSES: dict[str, tuple[str, float]] = {
    "motorway": ("expressway", 80.0),
    "motorway_link": ("expressway", 50.0),
    "trunk": ("expressway", 60.0),
    "trunk_link": ("expressway", 40.0),
    "primary": ("main_road", 50.0),
    "primary_link": ("main_road", 40.0),
    "secondary": ("main_road", 40.0),
    "secondary_link": ("main_road", 30.0),
    "tertiary": ("main_road", 30.0),
    "tertiary_link": ("main_road", 30.0),
    "unclassified": ("residential", 25.0),
    "residential": ("residential", 20.0),
    "living_street": ("residential", 10.0),
    "service": ("residential", 15.0),
    "track": ("lane", 10.0),
    "pedestrian": ("lane", 8.0),
    "footway": ("lane", 8.0),
    "path": ("lane", 8.0),
    "cycleway": ("lane", 10.0),
}
"""OSM ``highway`` value → (road class, km/h when the way has no ``maxspeed``)."""


def vehicle_profile(v: VehicleType) -> Profile:
    """The roads vehicle type ``v`` may use over its shift (module docstring)."""
    cls = v.effective_class
    return Profile(
        vehicle_class=cls,
        road_classes=frozenset(r for r, who in ROAD_RULES.items() if cls in who),
        gross_t=KERB_T.get(cls, 0.0) + v.payload_kg / 1000.0,
        speed_kmh=v.speed_kmh,
        start_s=v.shift_start_s,
        end_s=v.shift_end_s,
    )


def read_roads(reader: FolderReader, name: str, crs: Crs) -> RoadGraph | None:
    """The road graph of file ``name`` (GeoJSON, ``.osm`` or ``.osm.pbf``) in WGS-84;
    problems are added to ``reader`` (then ``None``)."""
    path = reader.check_file(name, MAX_ROADS_BYTES, "the road network named by [network] roads")
    if path is None:
        return None

    def to_wgs84(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = transform(lon, lat, crs, "wgs84")
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    convert = None if crs == "wgs84" else to_wgs84
    try:
        if name.endswith((".osm", ".osm.pbf", ".pbf")):
            return read_osm_roads(path, osm_classes=OSM_CLASSES, to_wgs84=convert)
        text = reader.read_text(name, MAX_ROADS_BYTES)
        if text is None:
            return None
        return read_geojson_roads(
            text,
            classes=ROAD_CLASSES,
            vehicle_classes=VEHICLE_CLASSES,
            to_wgs84=convert,
        )
    except RoadFileError as e:
        for p in e.problems:
            reader.add(name, p.message, p.where, p.field, p.value, p.expected)
        return None


def snap_speed(net: dict[str, Any]) -> float:
    """``[network] snap_speed_kmh`` (default 10)."""
    value = float(net.get("snap_speed_kmh", 10.0))
    return value if math.isfinite(value) and value > 0 else 10.0
