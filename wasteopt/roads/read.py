"""Reading road networks: a GeoJSON line layer or an OpenStreetMap extract (.osm XML, or
.osm.pbf through pyosmium when it is installed).

GeoJSON (a FeatureCollection; ``LineString``/``MultiLineString`` features are roads):

* ``class`` (required): a road class the caller names (e.g. ``lane``, ``residential``,
  ``main_road``, ``expressway``);
* ``speed_kmh`` (required, > 0); ``oneway`` (``true``: only in drawing order; default
  ``false``); ``max_weight_t`` (gross tonnes, optional: no limit);
* ``ban_hours`` (``"HH:MM-HH:MM"``, daily) with ``ban_vehicles`` (vehicle classes joined by
  ``;``): the road is closed to those classes in those hours;
* ``id`` / ``name`` (optional; the id defaults to ``feature K``).

``Polygon``/``MultiPolygon`` features with ``kind = "ban_zone"`` and ``ban_hours``,
``ban_vehicles`` close every road segment whose midpoint lies inside (a truck-ban zone).

Roads meet only where they share a vertex (exact coordinates to 1e-7°, as OSM ways share
nodes); lines that cross without one pass over or under each other.

OSM: ways with a ``highway`` tag the caller maps to a class (``osm_classes``: highway value →
(class, default km/h)); ``maxspeed`` (km/h or ``mph``), ``oneway`` (``yes``/``1``/``true``,
``-1``; ``junction=roundabout`` and motorways are one-way), ``maxweight`` (t).

Every problem names the feature (0-based) or way id and the field; all are raised together
as :class:`RoadFileError` (the scenario layer adds the file name).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wasteopt.roads.graph import EARTH_RADIUS_M, Ban, FloatArray, RoadGraph

__all__ = [
    "RoadFileError",
    "RoadProblem",
    "ToWgs84",
    "parse_hours",
    "read_geojson_roads",
    "read_osm_roads",
]

ToWgs84 = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_KEY_DIGITS = 7


@dataclass(frozen=True, slots=True)
class RoadProblem:
    """One problem of a road file: where (feature or way), field, the value, what was expected."""

    message: str
    where: str = ""
    field: str = ""
    value: str | None = None
    expected: str = ""


class RoadFileError(ValueError):
    """Every problem found in one road file."""

    def __init__(self, problems: list[RoadProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.where} {p.field}: {p.message}" for p in problems))


def parse_hours(text: str) -> tuple[int, int]:
    """``"07:00-09:00"`` → (25200, 32400); ValueError when not of that form."""
    m = _HOURS.match(text)
    if not m:
        raise ValueError("not of the form HH:MM-HH:MM")
    h0, m0, h1, m1 = (int(g) for g in m.groups())
    if h0 > 24 or h1 > 24 or m0 > 59 or m1 > 59:
        raise ValueError("hours above 24:00 or minutes above 59")
    start, end = h0 * 3600 + m0 * 60, h1 * 3600 + m1 * 60
    if start == end:
        raise ValueError("empty hours")
    return start, end


class _Bad(ValueError):
    def __init__(self, field: str, message: str, value: Any = None, expected: str = "") -> None:
        super().__init__(message)
        self.field, self.value, self.expected = field, value, expected


class _Builder:
    """Collects roads and bans, then makes the :class:`RoadGraph`."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[float, float], int] = {}
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.tail: list[int] = []
        self.head: list[int] = []
        self.cls: list[str] = []
        self.speed: list[float] = []
        self.weight: list[float] = []
        self.road: list[int] = []
        self.road_ids: list[str] = []
        self.road_bans: list[tuple[str, int, int, frozenset[str], int]] = []
        self.zones: list[tuple[str, int, int, frozenset[str], list[list[tuple[float, float]]]]] = []

    def node(self, lon: float, lat: float) -> int:
        key = (round(lon, _KEY_DIGITS), round(lat, _KEY_DIGITS))
        k = self.nodes.get(key)
        if k is None:
            k = self.nodes[key] = len(self.lon)
            self.lon.append(lon)
            self.lat.append(lat)
        return k

    def add_road(
        self,
        rid: str,
        line: list[tuple[float, float]],
        cls: str,
        speed: float,
        oneway: int,
        weight: float,
    ) -> int:
        """Add one road (``oneway``: 0 both ways, 1 drawing order, -1 against it)."""
        r = len(self.road_ids)
        self.road_ids.append(rid)
        ids = [self.node(x, y) for x, y in line]
        for a, b in itertools.pairwise(ids):
            if a == b:
                continue
            pairs = [(a, b), (b, a)] if oneway == 0 else [(a, b) if oneway > 0 else (b, a)]
            for t, h in pairs:
                self.tail.append(t)
                self.head.append(h)
                self.cls.append(cls)
                self.speed.append(speed)
                self.weight.append(weight)
                self.road.append(r)
        return r

    def finish(self, to_wgs84: ToWgs84 | None) -> RoadGraph:
        lon, lat = np.asarray(self.lon, np.float64), np.asarray(self.lat, np.float64)
        if to_wgs84 is not None and lon.size:
            lon, lat = to_wgs84(lon, lat)
            lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        tail, head = np.asarray(self.tail, np.int64), np.asarray(self.head, np.int64)
        length = _pair_lengths(lon, lat, tail, head)
        road = np.asarray(self.road, np.int64)
        bans = [
            Ban(
                id=bid,
                start_s=s,
                end_s=e,
                vehicle_classes=v,
                edges=tuple(np.flatnonzero(road == r)),
            )
            for bid, s, e, v, r in self.road_bans
        ]
        mid_lon, mid_lat = (lon[tail] + lon[head]) / 2.0, (lat[tail] + lat[head]) / 2.0
        for bid, s, e, v, rings in self.zones:
            if to_wgs84 is not None:
                rings = [_ring_to(r, to_wgs84) for r in rings]
            inside = _in_rings(mid_lon, mid_lat, rings)
            bans.append(
                Ban(
                    id=bid,
                    start_s=s,
                    end_s=e,
                    vehicle_classes=v,
                    edges=tuple(np.flatnonzero(inside)),
                )
            )
        return RoadGraph(
            lon=lon,
            lat=lat,
            tail=tail,
            head=head,
            length_m=length,
            speed_kmh=np.asarray(self.speed, np.float64),
            road_class=tuple(self.cls),
            max_weight_t=np.asarray(self.weight, np.float64),
            road=road,
            road_ids=tuple(self.road_ids),
            bans=tuple(bans),
        )


def _pair_lengths(lon: FloatArray, lat: FloatArray, tail: Any, head: Any) -> FloatArray:
    """Great-circle metres of each edge (tail → head), haversine."""
    lo1, la1, lo2, la2 = (np.radians(v) for v in (lon[tail], lat[tail], lon[head], lat[head]))
    a = np.sin((la2 - la1) / 2.0) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2.0) ** 2
    out: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def _ring_to(ring: list[tuple[float, float]], to_wgs84: ToWgs84) -> list[tuple[float, float]]:
    x, y = to_wgs84(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
    return list(zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True))


def _in_rings(x: FloatArray, y: FloatArray, rings: list[list[tuple[float, float]]]) -> Any:
    """Even-odd rule over all ``rings`` (shell and holes) for each point."""
    inside = np.zeros(x.shape, dtype=bool)
    for ring in rings:
        pts = np.asarray(ring, dtype=np.float64)
        ax, ay = pts[:, 0], pts[:, 1]
        bx, by = np.roll(ax, -1), np.roll(ay, -1)
        for k in range(ax.size):
            spans = (ay[k] > y) != (by[k] > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = ax[k] + (y - ay[k]) * (bx[k] - ax[k]) / (by[k] - ay[k])
            inside ^= spans & (x < cross)
    return inside


# -- GeoJSON ----------------------------------------------------------------------------------


def read_geojson_roads(
    text: str,
    *,
    classes: Collection[str],
    vehicle_classes: Collection[str],
    to_wgs84: ToWgs84 | None = None,
) -> RoadGraph:
    """The road graph of a GeoJSON text (module docstring)."""
    problems: list[RoadProblem] = []
    expected = 'a GeoJSON object {"type": "FeatureCollection", "features": [...]}'
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        raise RoadFileError(
            [RoadProblem(message=f"not valid JSON: {e.msg}", where=where)]
        ) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or data.get("type") != "FeatureCollection":
        raise RoadFileError([RoadProblem(message="not a FeatureCollection", expected=expected)])
    b = _Builder()
    seen: dict[str, int] = {}
    for k, feature in enumerate(features):
        where = f"feature {k}"
        try:
            if not isinstance(feature, dict):
                raise _Bad("", "not a GeoJSON Feature object")
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                raise _Bad("properties", "not an object")
            fid = str(props.get("id", feature.get("id", f"feature {k}")))
            where = f"feature {k} (id={fid})"
            if fid in seen:
                raise _Bad("properties.id", f"id also used by feature {seen[fid]}", fid)
            seen[fid] = k
            _geojson_feature(b, feature, props, fid, classes, vehicle_classes)
        except _Bad as bad:
            problems.append(
                RoadProblem(
                    message=str(bad),
                    where=where,
                    field=bad.field,
                    value=None if bad.value is None else str(bad.value),
                    expected=bad.expected,
                )
            )
    if not problems and not b.tail:
        problems.append(RoadProblem(message="no road (LineString feature) in the file"))
    if problems:
        raise RoadFileError(problems)
    return b.finish(to_wgs84)


def _geojson_feature(
    b: _Builder,
    feature: dict[str, Any],
    props: dict[str, Any],
    fid: str,
    classes: Collection[str],
    vehicle_classes: Collection[str],
) -> None:
    geom = feature.get("geometry")
    gtype = geom.get("type") if isinstance(geom, dict) else None
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if gtype in ("Polygon", "MultiPolygon"):
        if props.get("kind") != "ban_zone":
            raise _Bad(
                "properties.kind", "a polygon must be a ban zone", props.get("kind"), "ban_zone"
            )
        polys: Any = [coords] if gtype == "Polygon" else coords
        rings = [_positions(r, "geometry.coordinates") for p in _list(polys) for r in _list(p)]
        zone = _ban(props, vehicle_classes, required=True)
        assert zone is not None  # required: a missing ban is a problem, raised above
        b.zones.append((fid, zone[0], zone[1], zone[2], rings))
        return
    if gtype not in ("LineString", "MultiLineString"):
        raise _Bad(
            "geometry.type", "not a road line", gtype, "LineString, MultiLineString or Polygon"
        )
    cls = props.get("class")
    if cls not in classes:
        raise _Bad("properties.class", "unknown road class", cls, " / ".join(classes))
    speed = _number(props, "speed_kmh", None)
    if not speed > 0:
        raise _Bad("properties.speed_kmh", "must be above 0", speed, "km/h above 0")
    weight = _number(props, "max_weight_t", math.inf)
    if not weight > 0:
        raise _Bad("properties.max_weight_t", "must be above 0", weight, "tonnes above 0")
    oneway = props.get("oneway", False)
    if not isinstance(oneway, bool):
        raise _Bad("properties.oneway", "not a boolean", oneway, "true or false")
    lines = [coords] if gtype == "LineString" else _list(coords)
    parts = [_positions(line, "geometry.coordinates") for line in lines]
    if any(len(p) < 2 for p in parts):
        raise _Bad("geometry.coordinates", "a line needs at least two positions")
    ban = _ban(props, vehicle_classes, required=False)
    for part in parts:
        r = b.add_road(fid, part, str(cls), speed, 1 if oneway else 0, weight)
        if ban is not None:
            b.road_bans.append((fid, ban[0], ban[1], ban[2], r))


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad("geometry.coordinates", "not a list of positions")
    return value


def _positions(raw: Any, field: str) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in _list(raw):
        ok = isinstance(p, list) and len(p) >= 2
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p[:2])
        if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise _Bad(field, "not a [lon, lat] position", p, "[lon, lat] in degrees")
        out.append((float(p[0]), float(p[1])))
    return out


def _number(props: dict[str, Any], key: str, default: float | None) -> float:
    value = props.get(key)
    if value is None:
        if default is None:
            raise _Bad(f"properties.{key}", "missing", None, "a number")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Bad(f"properties.{key}", "not a finite number", value, "a number")
    return float(value)


def _ban(
    props: dict[str, Any], vehicle_classes: Collection[str], *, required: bool
) -> tuple[int, int, frozenset[str]] | None:
    hours, veh = props.get("ban_hours"), props.get("ban_vehicles")
    if hours is None and veh is None and not required:
        return None
    try:
        start, end = parse_hours(str(hours)) if hours is not None else parse_hours("")
    except ValueError as e:
        raise _Bad(
            "properties.ban_hours", str(e), hours, '"HH:MM-HH:MM", e.g. "07:00-09:00"'
        ) from None
    names = [v.strip() for v in str(veh or "").split(";") if v.strip()]
    unknown = [v for v in names if v not in vehicle_classes]
    if not names or unknown:
        raise _Bad(
            "properties.ban_vehicles",
            "unknown vehicle class" if unknown else "missing",
            veh,
            "vehicle classes joined by ';' among " + " / ".join(vehicle_classes),
        )
    return start, end, frozenset(names)


# -- OpenStreetMap ----------------------------------------------------------------------------

_MPH = 1.609344


def _osm_speed(tag: str | None) -> float | None:
    if not tag:
        return None
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?", tag)
    if not m:
        return None
    value = float(m.group(1))
    return value * _MPH if m.group(2) else value


def _osm_weight(tag: str | None) -> float:
    m = re.match(r"^\s*(\d+(?:\.\d+)?)", tag or "")
    return float(m.group(1)) if m and float(m.group(1)) > 0 else math.inf


def _osm_oneway(tags: Mapping[str, str]) -> int:
    value = tags.get("oneway", "")
    if value in ("yes", "1", "true"):
        return 1
    if value == "-1":
        return -1
    if value == "no":
        return 0
    return 1 if tags.get("junction") == "roundabout" or tags.get("highway") == "motorway" else 0


def read_osm_roads(
    path: str | Path,
    *,
    osm_classes: Mapping[str, tuple[str, float]],
    to_wgs84: ToWgs84 | None = None,
) -> RoadGraph:
    """The road graph of an OpenStreetMap file: ``.osm`` XML (standard library), or
    ``.osm.pbf`` through pyosmium (module docstring)."""
    if str(path).endswith(".pbf"):
        nodes, ways = _pbf_ways(path)
    else:
        nodes, ways = _xml_ways(path)
    b = _Builder()
    missing: list[str] = []
    for wid, refs, tags in ways:
        kind = osm_classes.get(tags.get("highway", ""))
        if kind is None:
            continue
        if any(r not in nodes for r in refs):
            missing.append(wid)
            continue
        speed = _osm_speed(tags.get("maxspeed")) or kind[1]
        line = [nodes[r] for r in refs]
        b.add_road(
            f"way {wid}",
            line,
            kind[0],
            speed,
            _osm_oneway(tags),
            _osm_weight(tags.get("maxweight")),
        )
    if missing or not b.tail:
        msg = (
            f"{len(missing)} way(s) name nodes not in the file, e.g. way {missing[0]}"
            if missing
            else "no way with a usable highway tag"
        )
        exp = "a complete extract (osmium extract --strategy complete_ways)" if missing else ""
        raise RoadFileError([RoadProblem(message=msg, expected=exp)])
    return b.finish(to_wgs84)


_Way = tuple[str, list[str], dict[str, str]]


def _xml_ways(path: str | Path) -> tuple[dict[str, tuple[float, float]], list[_Way]]:
    nodes: dict[str, tuple[float, float]] = {}
    ways: list[_Way] = []
    try:
        for _, el in ET.iterparse(str(path), events=("end",)):
            if el.tag == "node":
                nodes[el.get("id", "")] = (float(el.get("lon", "nan")), float(el.get("lat", "nan")))
                el.clear()
            elif el.tag == "way":
                refs = [nd.get("ref", "") for nd in el.iter("nd")]
                tags = {t.get("k", ""): t.get("v", "") for t in el.iter("tag")}
                ways.append((el.get("id", ""), refs, tags))
                el.clear()
    except (ET.ParseError, ValueError) as e:
        raise RoadFileError([RoadProblem(message=f"not a readable OSM XML file: {e}")]) from None
    return nodes, ways


def _pbf_ways(path: str | Path) -> tuple[dict[str, tuple[float, float]], list[_Way]]:
    try:
        import osmium  # lazy: an optional dependency, needed only for .osm.pbf files
    except ImportError:
        raise RoadFileError(
            [
                RoadProblem(
                    message="reading .osm.pbf needs pyosmium",
                    expected="pip install osmium, or an .osm XML extract",
                )
            ]
        ) from None
    nodes: dict[str, tuple[float, float]] = {}
    ways: list[_Way] = []
    for obj in osmium.FileProcessor(str(path)):
        if isinstance(obj, osmium.osm.Node) and obj.location.valid():
            nodes[str(obj.id)] = (obj.location.lon, obj.location.lat)
        elif isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
            tags = {t.k: t.v for t in obj.tags}
            ways.append((str(obj.id), [str(n.ref) for n in obj.nodes], tags))
    return nodes, ways
