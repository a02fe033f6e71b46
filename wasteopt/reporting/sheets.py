"""Route sheets for drivers and planners: CSV, XLSX, PDF and GeoJSON from one table.

:func:`route_sheet_frame` turns a checked plan into one row per schedule entry of every vehicle
shift, in driving order: departure from the depot, each stop (planned arrival, service time,
expected kg, load after the stop), each unload visit (kg unloaded), the lunch break, and the
return to the depot, with leg and cumulative km and elapsed hours. Times come from the
independent checker (:func:`wasteopt.routing.check.check_plan`), never from an engine, so the
totals of every sheet equal ``plan.check.totals`` and ``plan.check.route_frame()``.

Every format is built from that frame, with the same ``HH:MM`` text for every time: a night
shift's times after midnight continue past 24:00 (``25:10`` is 01:10 the next morning, as in the
scenario's own files), and the XLSX and PDF sheets then say so in a note:

- ``routes_<stream>.csv``: UTF-8 with a byte-order mark (Excel shows Chinese names);
- ``routes_<stream>.xlsx``: a summary sheet, then one sheet per vehicle;
- ``routes_<stream>.pdf``: a printable sheet per vehicle shift (new page per vehicle), Chinese
  names in an embedded CJK font (:mod:`wasteopt.reporting.fonts`);
- ``routes_<stream>.geojson``: RFC 7946 (lon/lat, WGS 84): one LineString per vehicle shift
  (depot, visits in order, depot) and Points for stops, unload sites and depots.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from wasteopt.files import write_frame, write_text
from wasteopt.reporting.pdf_sheets import write_pdf
from wasteopt.reporting.route_table import (
    NEXT_DAY_NOTE,
    SHEET_COLUMNS,
    TOTAL_LABEL,
    past_midnight,
    route_sheet_frame,
    route_sheet_summary,
    sheet_report,
    summary_rows,
)
from wasteopt.reporting.xlsx_sheets import write_xlsx, xlsx_sheet_name
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.scenario.model import Scenario

__all__ = [
    "FORMATS",
    "SHEET_COLUMNS",
    "TOTAL_LABEL",
    "route_sheet_frame",
    "route_sheet_summary",
    "route_sheets_geojson",
    "write_route_sheets",
    "xlsx_sheet_name",
]

FORMATS: tuple[str, ...] = ("csv", "xlsx", "pdf", "geojson")


def _write_csv(sheet: pd.DataFrame, path: Path) -> Path:
    return write_frame(path, sheet, bom=True)


def _pos(lon: float, lat: float) -> list[float]:
    return [round(float(lon), 6), round(float(lat), 6)]


def route_sheets_geojson(sheet: pd.DataFrame, scenario: Scenario) -> dict[str, object]:
    """An RFC 7946 FeatureCollection of a :func:`route_sheet_frame`: one LineString per vehicle
    shift (depot, visits in order, depot; lunch rows add no vertex) and one Point per stop
    visit, per unload site and per depot. Rows without coordinates are left out."""
    located = sheet.dropna(subset=["lon", "lat"])
    features = [
        *_route_features(sheet, located, scenario),
        *_stop_features(located),
        *_site_features(located, scenario),
    ]
    return {"type": "FeatureCollection", "features": features}


def _route_features(
    sheet: pd.DataFrame, located: pd.DataFrame, scenario: Scenario
) -> list[dict[str, object]]:
    """One LineString per vehicle shift with at least two located vertices."""
    colors = {s.id: s.color for s in scenario.streams}
    summary = summary_rows(route_sheet_summary(sheet, total=False))
    features: list[dict[str, object]] = []
    for vehicle, g in located.groupby("vehicle", sort=False):
        path = g[g["kind"] != "lunch"]
        coords = [_pos(lo, la) for lo, la in zip(path["lon"], path["lat"], strict=True)]
        if len(coords) < 2:
            continue
        s = summary[str(vehicle)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "feature": "route",
                    "vehicle": vehicle,
                    "vehicle_type": s["vehicle_type"],
                    "stream": s["stream"],
                    "color": colors.get(str(s["stream"]), ""),
                    "depot": s["depot"],
                    "start": s["start"],
                    "end": s["end"],
                    "trips": int(s["trips"]),
                    "stops": int(s["stops"]),
                    "kg": int(s["expected_kg"]),
                    "km": float(s["km"]),
                    "hours": float(s["hours"]),
                },
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


def _stop_features(located: pd.DataFrame) -> list[dict[str, object]]:
    """One Point per stop visit, in driving order (built from column lists: a city day has
    tens of thousands of stops)."""
    stops = located[located["kind"] == "stop"]
    lon = stops["lon"].to_numpy(dtype=float).round(6).tolist()
    lat = stops["lat"].to_numpy(dtype=float).round(6).tolist()
    cols = {c: stops[c].tolist() for c in _STOP_PROPERTIES}
    cols["trip"] = [None if pd.isna(t) else int(t) for t in cols["trip"]]
    for c in ("seq", "expected_kg", "load_after_kg"):
        cols[c] = [int(v) for v in cols[c]]
    features: list[dict[str, object]] = []
    for k in range(len(stops)):
        props: dict[str, object] = {"feature": "stop"}
        props.update((c if c != "expected_kg" else "kg", cols[c][k]) for c in _STOP_PROPERTIES)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon[k], lat[k]]},
                "properties": props,
            }
        )
    return features


def _site_features(located: pd.DataFrame, scenario: Scenario) -> list[dict[str, object]]:
    """One Point per unload site (visits, kg, arrival times), then one per depot."""
    site_kind = {s.id: "station" for s in scenario.stations}
    site_kind.update({f.id: f.kind for f in scenario.facilities})
    features: list[dict[str, object]] = []
    for kind in ("unload", "depart"):
        rows = located[located["kind"] == kind]
        for site, g in rows.groupby("id", sort=True):
            first = g.iloc[0]
            props: dict[str, object] = {
                "feature": "unload_site" if kind == "unload" else "depot",
                "id": site,
                "name": first["name"],
                "stream": first["stream"],
            }
            if kind == "unload":
                props["site_kind"] = site_kind.get(str(site), "")
                props["visits"] = len(g)
                props["kg"] = int(g["unload_kg"].sum())
                props["arrivals"] = [str(a) for a in g["arrival"]]
            else:
                props["vehicles"] = len(g)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": _pos(first["lon"], first["lat"])},
                    "properties": props,
                }
            )
    return features


def _write_geojson(sheet: pd.DataFrame, scenario: Scenario, path: Path) -> Path:
    data = route_sheets_geojson(sheet, scenario)
    return write_text(path, json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")


# -- all formats --------------------------------------------------------------------------------


def write_route_sheets(
    plan: RoutePlan,
    problem: RoutingProblem,
    scenario: Scenario,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    stem: str | None = None,
) -> list[Path]:
    """Write the route sheets of ``plan`` as ``<out_dir>/<stem>.<format>`` for each of
    ``formats`` (default stem ``routes_<stream>``); each file is written atomically.
    Returns the paths written. Raises :class:`ValueError` for an unknown format and
    :class:`wasteopt.reporting.fonts.CjkFontMissing` for a PDF without a Chinese font."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown route sheet format(s) {unknown}; expected some of {FORMATS}")
    out = Path(out_dir)
    stem = stem or f"routes_{plan.stream}"
    sheet = route_sheet_frame(plan, problem, scenario)
    summary = route_sheet_summary(sheet)
    stream_name = ""
    with contextlib.suppress(KeyError):  # a stream the scenario does not know: no name
        st = scenario.stream(plan.stream)
        stream_name = f"{st.name_zh} {st.name_en}"
    title = f"{problem.name}  {stream_name}".strip()
    notes: list[str] = []
    if plan.unserved:
        notes.append(f"未收集 unserved stops ({len(plan.unserved)}): {', '.join(plan.unserved)}")
    if past_midnight(sheet):
        notes.append(NEXT_DAY_NOTE)
    report = sheet_report(plan, problem)
    if not report.ok:
        notes.append(f"检查未通过 checker found {len(report.violations)} violation(s)")
    written: list[Path] = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "csv":
            written.append(_write_csv(sheet, path))
        elif fmt == "xlsx":
            written.append(write_xlsx(sheet, summary, path, title, notes))
        elif fmt == "pdf":
            written.append(write_pdf(sheet, summary, path, title, notes))
        else:
            written.append(_write_geojson(sheet, scenario, path))
    return written
