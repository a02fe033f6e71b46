"""Reading ``[network] barriers``: a GeoJSON FeatureCollection of barriers and crossings.

Each feature is one record. ``Polygon`` and ``MultiPolygon`` features are barriers with
``properties.kind`` ``water`` or ``no_go``; ``LineString`` features are crossings with
``kind`` ``bridge`` or ``ferry``, drawn from one bank to the other. ``properties.name`` is
required; the id is ``properties.id``, else the feature's ``id``, else its position. Rings are
closed (first position = last, RFC 7946), hold at least three distinct corners and do not
cross themselves or each other. Every problem names the file, the feature's position
(0-based, as a JSON array counts) and id, and the field. Positions are converted from
``[network] barriers_crs`` to WGS-84 here.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from wasteopt.barriers.plane import EdgeSet, Projection
from wasteopt.coordinates import Crs, transform
from wasteopt.scenario.folder import FolderReader
from wasteopt.scenario.geography import (
    BARRIER_KINDS,
    CROSSING_KINDS,
    Barrier,
    Crossing,
    Line,
)
from wasteopt.scenario.text import TEXT_EXPECTED, bad_char_message

__all__ = ["MAX_BARRIER_BYTES", "MAX_BARRIER_CORNERS", "read_barriers"]

MAX_BARRIER_BYTES = 16 * 2**20
"""Largest accepted barriers file (a few hundred corners take tens of kB)."""
MAX_BARRIER_CORNERS = 5_000
"""Most corners over all barriers: the model's cost grows with them (simplify the outlines
to tens or a few hundred corners per lake)."""

_KINDS = {"Polygon": BARRIER_KINDS, "MultiPolygon": BARRIER_KINDS, "LineString": CROSSING_KINDS}
_RADIUS_M = 6_371_008.8


class _Bad(ValueError):
    """A problem of one feature: ``field`` and the message (``ValueError``'s text)."""

    def __init__(self, field: str, message: str, value: Any = None, expected: str = "") -> None:
        super().__init__(message)
        self.field, self.value, self.expected = field, value, expected


def read_barriers(
    reader: FolderReader, name: str, crs: Crs
) -> tuple[tuple[Barrier, ...], tuple[Crossing, ...]]:
    """The barriers and crossings of file ``name`` (WGS-84), problems added to ``reader``."""
    text = reader.read_text(name, MAX_BARRIER_BYTES)
    if text is None:
        return (), ()
    expected = 'a GeoJSON object {"type": "FeatureCollection", "features": [...]}'
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        reader.add(
            name,
            f"not valid JSON: {e.msg}",
            f"line {e.lineno} column {e.colno}",
            "",
            None,
            expected,
        )
        return (), ()
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        reader.add(name, "not a GeoJSON FeatureCollection", field="type", expected=expected)
        return (), ()
    if not isinstance(features, list):
        reader.add(name, "features is not a list", field="features", expected=expected)
        return (), ()
    barriers: list[Barrier] = []
    crossings: list[Crossing] = []
    seen: dict[str, int] = {}
    corners = 0
    for k, feature in enumerate(features):
        where = f"feature {k}"
        try:
            fid = _feature_id(feature, k)
            where = f"feature {k} (id={fid})"
            record = _feature(feature, k, fid, crs)
        except _Bad as bad:
            reader.add(name, str(bad), where, bad.field, bad.value, bad.expected)
            continue
        if fid in seen:
            reader.add(
                name,
                f"id also used by feature {seen[fid]}",
                where,
                "properties.id",
                fid,
                "ids unique in the file",
            )
            continue
        seen[fid] = k
        if isinstance(record, Barrier):
            barriers.append(record)
            corners += sum(len(r) - 1 for poly in record.polygons for r in poly)
        else:
            crossings.append(record)
    if corners > MAX_BARRIER_CORNERS:
        reader.add(
            name,
            f"the barriers have {corners:,} corners in all",
            field="geometry.coordinates",
            expected=f"at most {MAX_BARRIER_CORNERS:,} (simplify the outlines, e.g. to 20-50 m)",
        )
        return (), ()
    return tuple(barriers), tuple(crossings)


def _feature_id(feature: Any, k: int) -> str:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _Bad("type", "not a GeoJSON Feature", expected='{"type": "Feature", ...}')
    props = feature.get("properties")
    raw = props.get("id") if isinstance(props, dict) else None
    raw = feature.get("id") if raw is None else raw
    if raw is None:
        return str(k)
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _Bad("properties.id", "not a text or whole number", raw)
    text = str(raw).strip()
    if not text or bad_char_message(text) is not None:
        raise _Bad("properties.id", "not a usable id", raw, TEXT_EXPECTED)
    return text


def _feature(feature: dict[str, Any], k: int, fid: str, crs: Crs) -> Barrier | Crossing:
    """The record of one feature, or :class:`_Bad` naming its first problem."""
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise _Bad(
            "properties", "missing or not an object", expected="an object with kind and name"
        )
    geom = feature.get("geometry")
    gtype = geom.get("type") if isinstance(geom, dict) else None
    if gtype not in _KINDS:
        raise _Bad(
            "geometry.type",
            "not a barrier or crossing geometry",
            gtype,
            "Polygon or MultiPolygon (a barrier), LineString (a crossing)",
        )
    assert isinstance(geom, dict)
    kinds = _KINDS[gtype]
    kind = props.get("kind")
    if kind not in kinds:
        raise _Bad("properties.kind", f"not a kind of {gtype}", kind, " or ".join(kinds))
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Bad("properties.name", "required text is missing or empty", name, "a name")
    if (why := bad_char_message(name)) is not None:
        raise _Bad("properties.name", why, name, TEXT_EXPECTED)
    coords = geom.get("coordinates")
    if gtype == "LineString":
        line = _line(coords, crs, "geometry.coordinates", closed=False)
        return Crossing(id=fid, name=name, kind=kind, line=line, feature=k)
    polys = [coords] if gtype == "Polygon" else coords
    if not isinstance(polys, list) or not polys:
        raise _Bad("geometry.coordinates", "not a list of polygons", None, "[[ring, ...], ...]")
    out = []
    for j, poly in enumerate(polys):
        field = "geometry.coordinates" + ("" if gtype == "Polygon" else f"[{j}]")
        if not isinstance(poly, list) or not poly:
            raise _Bad(field, "not a list of rings", None, "[shell, hole, ...]")
        rings = tuple(_line(r, crs, f"{field}[{i}]", closed=True) for i, r in enumerate(poly))
        _no_crossing_edges(rings, field)
        out.append(rings)
    return Barrier(id=fid, name=name, kind=kind, polygons=tuple(out), feature=k)


def _line(raw: Any, crs: Crs, field: str, *, closed: bool) -> Line:
    """Positions ``[[lon, lat], ...]`` as WGS-84 tuples; a ring must be closed."""
    least = 4 if closed else 2
    if not isinstance(raw, list) or len(raw) < least:
        what = "a closed ring of at least 4 positions" if closed else "at least 2 positions"
        raise _Bad(
            field, "too few positions", None if not isinstance(raw, list) else len(raw), what
        )
    pts: list[tuple[float, float]] = []
    for i, p in enumerate(raw):
        ok = isinstance(p, list) and len(p) >= 2
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p[:2])
        if not ok or not (math.isfinite(p[0]) and math.isfinite(p[1])):
            raise _Bad(f"{field}[{i}]", "not a position", p, "[lon, lat] in degrees")
        if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise _Bad(f"{field}[{i}]", "outside -180..180, -90..90", p, "[lon, lat] in degrees")
        pts.append((float(p[0]), float(p[1])))
    if closed and pts[0] != pts[-1]:
        raise _Bad(
            field, "ring is not closed", [pts[0], pts[-1]], "the first position repeated at the end"
        )
    if closed and len(set(pts)) < 3:
        raise _Bad(field, "ring has fewer than 3 distinct corners", len(set(pts)), "an area")
    lon, lat = transform(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]), crs, "wgs84")
    return tuple(zip(lon.tolist(), lat.tolist(), strict=True))


def _no_crossing_edges(rings: tuple[Line, ...], field: str) -> None:
    """A polygon's edges cross no other of its edges (a ring crossing itself or another ring
    has no inside the model can use)."""
    pts = np.array([p for r in rings for p in r])
    proj = Projection(float(pts[:, 0].mean()), float(pts[:, 1].mean()), _RADIUS_M)
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for r in rings:
        a = np.array(r, dtype=np.float64)
        starts.append(a[:-1])
        ends.append(a[1:])
    ax, ay = proj.forward(np.concatenate(starts)[:, 0], np.concatenate(starts)[:, 1])
    bx, by = proj.forward(np.concatenate(ends)[:, 0], np.concatenate(ends)[:, 1])
    hit = EdgeSet(ax, ay, bx, by).crossed(ax, ay, bx, by)
    if hit.any():
        at = np.concatenate(starts)[int(np.argmax(hit))]
        raise _Bad(
            field,
            "edges cross each other (a ring crosses itself or another ring)",
            f"[{at[0]:.6f}, {at[1]:.6f}]",
            "simple rings: a shell and holes inside it that touch nothing",
        )
