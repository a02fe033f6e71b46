"""Route sheets of one routed day for drivers and planners: CSV, XLSX, PDF and GeoJSON from one
table.

:func:`route_sheet_frame` turns a checked plan into one row per schedule entry of every vehicle
shift, in driving order: departure from the depot, each stop (planned arrival, service time,
expected kg, load after the stop), each unload visit (kg unloaded), the lunch break, and the
return to the depot, with leg and cumulative km and elapsed hours. Times come from the
independent checker (:func:`wasteopt.routing.check.check_plan`), never from an engine, so the
totals of every sheet equal ``plan.check.totals`` and ``plan.check.route_frame()``.

Every format is built from that frame. A night shift's times after midnight continue past
24:00 (``25:10`` is 01:10 the next morning, as in the scenario's own files), and the XLSX and
PDF forms then say so in a note. The XLSX and PDF are the driver's forms of the route book
(:mod:`wasteopt.reporting.route_book`) for this one day (:func:`day_book`), so the project has
one driver form:

- ``routes_<stream>.csv``: UTF-8 with a byte-order mark (Excel shows Chinese names), ``HH:MM``
  text and seconds for every time;
- ``routes_<stream>.xlsx``: the book's workbook: a summary sheet, then one printable sheet per
  vehicle with Excel times (:mod:`wasteopt.reporting.route_book_xlsx`);
- ``routes_<stream>.pdf``: the book's PDF: a cover per depot, then a portrait A4 form per
  vehicle, Chinese names in an embedded CJK font (:mod:`wasteopt.reporting.route_book_pdf`);
- ``routes_<stream>_points.geojson`` and ``routes_<stream>_lines.geojson``: RFC 7946 layers,
  Points for stops, unload sites and depots, and one LineString per trip; scalar properties
  only, each feature with the date, variant and coordinate system (WGS-84 unless asked
  otherwise, and then said in every feature and in the collection);
- ``routes_<stream>_maps.pdf``: one map page per vehicle shift, trips in colour
  (:mod:`wasteopt.reporting.vehicle_maps`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wasteopt.coordinates import CRS_LABELS, Crs, transform
from wasteopt.files import write_frame, write_text
from wasteopt.network import LegPaths, along, leg_paths
from wasteopt.reporting.route_book_data import day_book
from wasteopt.reporting.route_book_pdf import write_book_pdf
from wasteopt.reporting.route_book_xlsx import write_book_xlsx
from wasteopt.reporting.route_table import SHEET_COLUMNS, route_sheet_frame
from wasteopt.reporting.trips import vehicle_trips
from wasteopt.reporting.vehicle_maps import WEEKDAYS, write_vehicle_maps
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.scenario.model import Scenario

__all__ = [
    "FORMATS",
    "SHEET_COLUMNS",
    "GeoContext",
    "route_sheet_frame",
    "route_sheets_geojson",
    "write_route_sheets",
]

FORMATS: tuple[str, ...] = ("csv", "xlsx", "pdf", "geojson", "maps")
"""``geojson`` writes two files (points and lines), ``maps`` the vehicle maps PDF."""


def _write_csv(sheet: pd.DataFrame, path: Path) -> Path:
    return write_frame(path, sheet, bom=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class GeoContext:
    """What every feature of a GeoJSON layer carries besides its own figures: the calendar
    ``date`` of the routed day (None: unknown), the ``variant`` and the coordinate system
    ``crs`` the coordinates are written in (:mod:`wasteopt.coordinates`)."""

    date: dt.date | None = None
    variant: str = "base"
    crs: Crs = "wgs84"

    def properties(self) -> dict[str, object]:
        return {
            "date": "" if self.date is None else self.date.isoformat(),
            "variant": self.variant,
            "crs": self.crs,
        }


def _collection(name: str, features: list[dict[str, object]], geo: GeoContext) -> dict[str, object]:
    """A FeatureCollection; one not in WGS-84 says so in foreign members, since RFC 7946
    readers assume WGS-84."""
    out: dict[str, object] = {"type": "FeatureCollection", "name": name}
    if geo.crs != "wgs84":
        out["coordinate_system"] = geo.crs
        out["note"] = (
            f"coordinates are {CRS_LABELS[geo.crs]}, not WGS-84 as RFC 7946 assumes; "
            "for basemaps in that system only"
        )
    out["features"] = features
    return out


def route_sheets_geojson(
    sheet: pd.DataFrame, scenario: Scenario, geo: GeoContext | None = None
) -> dict[str, dict[str, object]]:
    """Two RFC 7946 FeatureCollections of a :func:`route_sheet_frame`: ``points`` (one Point
    per stop visit, per unload site and per depot) and ``lines`` (one LineString per trip,
    :mod:`wasteopt.reporting.trips`: trips of a shift join end to start). Every property is a
    scalar, and every feature carries the date, variant and coordinate system of ``geo``
    (default: no date, the scenario's variant, WGS-84). Rows without coordinates are left
    out."""
    geo = geo or GeoContext(variant=scenario.variant)
    located = sheet.dropna(subset=["lon", "lat"])
    common = geo.properties()
    points = [
        *_stop_features(located, common, geo.crs),
        *_site_features(located, scenario, common, geo.crs),
    ]
    return {
        "points": _collection("points", points, geo),
        "lines": _collection(
            "lines", _trip_features(located, scenario, common, geo.crs, leg_paths(scenario)), geo
        ),
    }


def _coords(lon: object, lat: object, crs: Crs) -> tuple[list[float], list[float]]:
    """Coordinates in ``crs``, rounded to 1e-6° (about 0.1 m), as lists."""
    x, y = transform(
        np.asarray(lon, dtype=float).ravel(), np.asarray(lat, dtype=float).ravel(), "wgs84", crs
    )
    return np.round(x, 6).tolist(), np.round(y, 6).tolist()


def _trip_features(
    located: pd.DataFrame,
    scenario: Scenario,
    common: dict[str, object],
    crs: Crs,
    paths: LegPaths | None = None,
) -> list[dict[str, object]]:
    """One LineString per trip with at least two vertices (lunch rows add none); each leg
    drawn as it is priced (along its road path, around the barriers, else straight)."""
    colors = {s.id: s.color for s in scenario.streams}
    features: list[dict[str, object]] = []
    for vehicle, g in located.groupby("vehicle", sort=False):
        first = g.iloc[0]
        for trip in vehicle_trips(g):
            if len(trip.rows) < 2:
                continue
            lon, lat = along(
                paths,
                str(first["vehicle_type"]),
                trip.rows["lon"].tolist(),
                trip.rows["lat"].tolist(),
            )
            x, y = _coords(lon, lat, crs)
            props: dict[str, object] = {"feature": "trip", **common}
            props.update(
                vehicle=str(vehicle),
                vehicle_type=str(first["vehicle_type"]),
                stream=str(first["stream"]),
                color=colors.get(str(first["stream"]), ""),
                depot=str(first["depot"]),
                trip=trip.number,
                start=trip.start,
                end=trip.end,
                stops=trip.stops,
                kg=trip.expected_kg,
                unload_kg=trip.unload_kg,
                km=trip.km,
                first_stop=trip.first_stop,
                last_stop=trip.last_stop,
                unload_site=trip.unload_site,
                unload_site_name=trip.unload_site_name,
            )
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [list(c) for c in zip(x, y, strict=True)],
                    },
                    "properties": props,
                }
            )
    return features


_STOP_PROPERTIES = (
    "id",
    "name",
    "vehicle",
    "trip",
    "seq",
    "stream",
    "expected_kg",
    "load_after_kg",
    "arrival",
    "start",
    "departure",
)


def _stop_features(
    located: pd.DataFrame, common: dict[str, object], crs: Crs
) -> list[dict[str, object]]:
    """One Point per stop visit, in driving order (built from column lists: a city day has
    tens of thousands of stops)."""
    stops = located[located["kind"] == "stop"]
    lon, lat = _coords(stops["lon"], stops["lat"], crs)
    cols = {c: stops[c].tolist() for c in _STOP_PROPERTIES}
    cols["trip"] = [None if pd.isna(t) else int(t) for t in cols["trip"]]
    for c in ("seq", "expected_kg", "load_after_kg"):
        cols[c] = [int(v) for v in cols[c]]
    features: list[dict[str, object]] = []
    for k in range(len(stops)):
        props: dict[str, object] = {"feature": "stop"}
        props.update((c if c != "expected_kg" else "kg", cols[c][k]) for c in _STOP_PROPERTIES)
        props.update(common)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon[k], lat[k]]},
                "properties": props,
            }
        )
    return features


def _site_features(
    located: pd.DataFrame, scenario: Scenario, common: dict[str, object], crs: Crs
) -> list[dict[str, object]]:
    """One Point per unload site (visits, kg, first and last arrival), then one per depot
    (vehicles leaving from it)."""
    site_kind = {s.id: "station" for s in scenario.stations}
    site_kind.update({f.id: f.kind for f in scenario.facilities})
    features: list[dict[str, object]] = []
    for kind in ("unload", "depart"):
        rows = located[located["kind"] == kind]
        for site, g in rows.groupby("id", sort=True):
            first = g.iloc[0]
            props: dict[str, object] = {
                "feature": "unload_site" if kind == "unload" else "depot",
                "id": str(site),
                "name": str(first["name"]),
                "stream": str(first["stream"]),
            }
            if kind == "unload":
                arrivals = sorted(zip(g["arrival_s"], g["arrival"], strict=True))
                props["site_kind"] = site_kind.get(str(site), "")
                props["visits"] = len(g)
                props["kg"] = int(g["unload_kg"].sum())
                props["first_arrival"] = str(arrivals[0][1])
                props["last_arrival"] = str(arrivals[-1][1])
            else:
                props["vehicles"] = len(g)
            props.update(common)
            x, y = _coords([first["lon"]], [first["lat"]], crs)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [x[0], y[0]]},
                    "properties": props,
                }
            )
    return features


def _write_geojson(
    sheet: pd.DataFrame, scenario: Scenario, stem: Path, geo: GeoContext
) -> list[Path]:
    """``<stem>_points.geojson`` and ``<stem>_lines.geojson``."""
    layers = route_sheets_geojson(sheet, scenario, geo)
    return [
        write_text(
            stem.with_name(f"{stem.name}_{layer}.geojson"),
            json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n",
        )
        for layer, data in layers.items()
    ]


def _day_date(problem: RoutingProblem, scenario: Scenario) -> dt.date | None:
    """The calendar date of a problem built by :func:`wasteopt.routing.build.build_problem`
    (``…/day<N>/…``: day N from the scenario's start date); None for other names."""
    match = re.search(r"/day(\d+)/", problem.name)
    if match is None:
        return None
    return scenario.generation.start_date + dt.timedelta(days=int(match.group(1)))


# -- all formats --------------------------------------------------------------------------------


def write_route_sheets(
    plan: RoutePlan,
    problem: RoutingProblem,
    scenario: Scenario,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    stem: str | None = None,
    date: dt.date | None = None,
    crs: Crs = "wgs84",
) -> list[Path]:
    """Write the route sheets of ``plan`` as ``<out_dir>/<stem>.<format>`` for each of
    ``formats`` (default stem ``routes_<stream>``; GeoJSON as ``<stem>_points.geojson`` and
    ``<stem>_lines.geojson``, the vehicle maps as ``<stem>_maps.pdf``); each file is written
    atomically. ``date`` is the routed day's calendar date (default: day N of a
    ``…/dayN/…`` problem counted from the scenario's start date; the forms show the start
    date for a problem named otherwise); ``crs`` the coordinate system of the coordinates on
    the forms, the GeoJSON and the maps. Returns the paths written. Raises
    :class:`ValueError` for an unknown format and
    :class:`wasteopt.reporting.fonts.CjkFontMissing` for a PDF without a Chinese font."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown route sheet format(s) {unknown}; expected some of {FORMATS}")
    out = Path(out_dir)
    stem = stem or f"routes_{plan.stream}"
    sheet = route_sheet_frame(plan, problem, scenario)
    geo = GeoContext(
        date=date if date is not None else _day_date(problem, scenario),
        variant=scenario.variant,
        crs=crs,
    )
    forms_date = geo.date or scenario.generation.start_date
    book = None  # the forms of the XLSX and PDF, made once for both
    written: list[Path] = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "csv":
            written.append(_write_csv(sheet, path))
        elif fmt in ("xlsx", "pdf"):
            book = book or day_book(scenario, plan, problem, date=forms_date, crs=crs, sheet=sheet)
            write = write_book_xlsx if fmt == "xlsx" else write_book_pdf
            written.append(write(book, path))
        elif fmt == "geojson":
            written += _write_geojson(sheet, scenario, out / stem, geo)
        else:
            written.append(
                write_vehicle_maps(
                    scenario, sheet, out / f"{stem}_maps.pdf", date=geo.date,
                    variant=geo.variant, crs=crs, title=_maps_title(scenario, problem, geo),
                )
            )  # fmt: skip
    return written


def _maps_title(scenario: Scenario, problem: RoutingProblem, geo: GeoContext) -> str:
    """The maps PDF's document title: problem, date and weekday, stream."""
    stream_name = ""
    with contextlib.suppress(KeyError):  # a stream the scenario does not know: no name
        st = scenario.stream(problem.stream)
        stream_name = f"{st.name_zh} {st.name_en}"
    day = "" if geo.date is None else f"{geo.date.isoformat()} {WEEKDAYS[geo.date.weekday()]}"
    return "  ".join(part for part in (problem.name, day, stream_name) if part)
