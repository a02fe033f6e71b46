"""Route sheets for drivers and planners: CSV, XLSX, PDF and GeoJSON from one table.

:func:`route_sheet_frame` turns a checked plan into one row per schedule entry of every vehicle
shift, in driving order: departure from the depot, each stop (planned arrival, service time,
expected kg, load after the stop), each unload visit (kg unloaded), the lunch break, and the
return to the depot, with leg and cumulative km and elapsed hours. Times come from the
independent checker (:func:`wasteopt.routing.check.check_plan`), never from an engine, so the
totals of every sheet equal ``plan.check.totals`` and ``plan.check.route_frame()``.

Every format is built from that frame:

- ``routes_<stream>.csv``: UTF-8 with a byte-order mark (Excel shows Chinese names);
- ``routes_<stream>.xlsx``: a summary sheet, then one sheet per vehicle;
- ``routes_<stream>.pdf``: a printable sheet per vehicle shift (new page per vehicle), Chinese
  names in an embedded CJK font (:mod:`wasteopt.reporting.fonts`);
- ``routes_<stream>.geojson``: RFC 7946 (lon/lat, WGS 84): one LineString per vehicle shift
  (depot, visits in order, depot) and Points for stops, unload sites and depots.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from wasteopt.clock import format_hhmm
from wasteopt.files import atomic_path, write_frame, write_text
from wasteopt.routing.check import CheckReport, check_plan
from wasteopt.routing.plan import RoutePlan
from wasteopt.routing.problem import RoutingProblem
from wasteopt.scenario.model import Scenario
from wasteopt.stopids import point_of

__all__ = [
    "FORMATS",
    "SHEET_COLUMNS",
    "route_sheet_frame",
    "route_sheet_summary",
    "route_sheets_geojson",
    "write_route_sheets",
    "xlsx_sheet_name",
]

FORMATS: tuple[str, ...] = ("csv", "xlsx", "pdf", "geojson")

SHEET_COLUMNS: tuple[str, ...] = (
    "stream",
    "vehicle",
    "vehicle_type",
    "vehicle_type_name",
    "depot",
    "trip",
    "seq",
    "kind",
    "id",
    "name",
    "lon",
    "lat",
    "arrival",
    "start",
    "departure",
    "wait_min",
    "service_min",
    "expected_kg",
    "unload_kg",
    "load_after_kg",
    "leg_km",
    "cum_km",
    "elapsed_h",
    "arrival_s",
    "start_s",
    "departure_s",
    "leg_m",
)
"""Columns of :func:`route_sheet_frame`. ``kind`` is ``depart``, ``stop``, ``unload``,
``lunch`` or ``return``; times are ``HH:MM`` (``_s``: seconds after midnight of the day)."""

SUMMARY_COLUMNS: tuple[str, ...] = (
    "stream",
    "vehicle",
    "vehicle_type",
    "vehicle_type_name",
    "depot",
    "start",
    "end",
    "trips",
    "stops",
    "unload_visits",
    "expected_kg",
    "unload_kg",
    "km",
    "hours",
)

TOTAL_LABEL = "合计 Total"

# Display headings for the XLSX and PDF sheets (bilingual: drivers read Chinese).
HEADINGS: dict[str, str] = {
    "seq": "#",
    "trip": "趟 Trip",
    "kind": "类型 Kind",
    "id": "编号 ID",
    "name": "名称 Name",
    "arrival": "到达 Arrive",
    "start": "开始 Start",
    "departure": "离开 Leave",
    "wait_min": "等待 min",
    "service_min": "作业 min",
    "expected_kg": "预计 kg",
    "unload_kg": "卸载 Unload kg",
    "load_after_kg": "车载 Load kg",
    "leg_km": "路段 km",
    "cum_km": "累计 km",
    "elapsed_h": "用时 h",
}
KIND_LABELS: dict[str, str] = {
    "depart": "出车 depart",
    "stop": "收集 stop",
    "unload": "卸载 unload",
    "lunch": "午休 lunch",
    "return": "回场 return",
}
VEHICLE_COLUMNS: tuple[str, ...] = tuple(HEADINGS)

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _report(plan: RoutePlan, problem: RoutingProblem) -> CheckReport:
    return plan.check if plan.check is not None else check_plan(problem, plan)


def _places(scenario: Scenario, problem: RoutingProblem) -> dict[str, tuple[str, float, float]]:
    """Location id → (name, lon, lat) for every depot, site and stop of the problem."""
    coords = {sid: (lon, lat) for sid, lon, lat in scenario.sites()}
    names: dict[str, str] = {}
    for group in (scenario.depots, scenario.stations, scenario.facilities, scenario.points):
        names.update({x.id: x.name for x in group})
    for group in (problem.depots, problem.sites, problem.stops):
        names.update({x.id: x.name for x in group if x.name})
    out: dict[str, tuple[str, float, float]] = {}
    for loc in problem.locations:
        base = point_of(loc) if loc not in coords else loc
        lon, lat = coords.get(base, (math.nan, math.nan))
        out[loc] = (names.get(loc) or names.get(base, ""), lon, lat)
    return out


def route_sheet_frame(plan: RoutePlan, problem: RoutingProblem, scenario: Scenario) -> pd.DataFrame:
    """One row per schedule entry of every used vehicle, in driving order (see
    :data:`SHEET_COLUMNS`). Uses ``plan.check`` (or checks the plan when it has none)."""
    report = _report(plan, problem)
    places = _places(scenario, problem)
    stops = {s.id: s for s in problem.stops}
    fleets = {f.id: f for f in problem.fleets}
    type_names = {v.id: v.name for v in scenario.vehicle_types}
    rows: list[dict[str, object]] = []
    for rt in report.routes:
        fleet = fleets.get(rt.fleet)
        depot = fleet.depot if fleet is not None else ""
        cum_m = 0
        load_before = 0
        last = len(rt.visits) - 1
        for i, v in enumerate(rt.visits):
            name, lon, lat = places.get(v.id, ("", math.nan, math.nan))
            kind = v.kind
            expected = unload = 0
            if kind == "depot":
                kind = "depart" if i == 0 else "return"
                if kind == "return" and problem.depot_unloads:
                    unload = load_before
            elif kind == "stop":
                expected = stops[v.id].load_kg if v.id in stops else 0
            elif kind == "unload":
                unload = load_before
            elif kind == "lunch":
                name = f"午休 lunch break @ {name}" if name else "午休 lunch break"
            cum_m += v.distance_from_prev_m
            # The departure row: leaving time is its end (after a lunch taken at the depot).
            depart_s = v.end_s
            rows.append(
                {
                    "stream": plan.stream,
                    "vehicle": rt.vehicle,
                    "vehicle_type": rt.fleet,
                    "vehicle_type_name": type_names.get(rt.fleet, ""),
                    "depot": depot,
                    "trip": v.trip,
                    "seq": v.seq,
                    "kind": kind,
                    "id": v.id,
                    "name": name,
                    "lon": lon,
                    "lat": lat,
                    "arrival": format_hhmm(v.arrival_s),
                    "start": format_hhmm(v.start_s),
                    "departure": format_hhmm(depart_s),
                    "wait_min": (v.start_s - v.arrival_s) / 60.0 if kind != "depart" else 0.0,
                    "service_min": (v.end_s - v.start_s) / 60.0 if kind != "depart" else 0.0,
                    "expected_kg": expected,
                    "unload_kg": unload,
                    "load_after_kg": v.load_after_kg,
                    "leg_km": v.distance_from_prev_m / 1000.0,
                    "cum_km": cum_m / 1000.0,
                    "elapsed_h": ((v.end_s if i < last else v.arrival_s) - rt.start_s) / 3600.0,
                    "arrival_s": v.arrival_s,
                    "start_s": v.start_s,
                    "departure_s": depart_s,
                    "leg_m": v.distance_from_prev_m,
                }
            )
            if kind in ("stop", "unload"):
                load_before = v.load_after_kg
    frame = pd.DataFrame(rows, columns=list(SHEET_COLUMNS))
    frame["trip"] = frame["trip"].astype("Int64")
    return frame


def route_sheet_summary(sheet: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """One row per vehicle shift of a :func:`route_sheet_frame` (plus a total row): trips,
    stops, kg collected and unloaded, km (sum of legs) and hours (departure to return)."""
    rows = []
    for vehicle, g in sheet.groupby("vehicle", sort=False):
        first, last = g.iloc[0], g.iloc[-1]
        trips = g.loc[g["kind"] == "stop", "trip"].dropna().nunique()
        rows.append(
            {
                "stream": first["stream"],
                "vehicle": vehicle,
                "vehicle_type": first["vehicle_type"],
                "vehicle_type_name": first["vehicle_type_name"],
                "depot": first["depot"],
                "start": format_hhmm(int(first["start_s"])),
                "end": format_hhmm(int(last["arrival_s"])),
                "trips": int(trips),
                "stops": int((g["kind"] == "stop").sum()),
                "unload_visits": int((g["kind"] == "unload").sum()),
                "expected_kg": int(g["expected_kg"].sum()),
                "unload_kg": int(g["unload_kg"].sum()),
                "km": int(g["leg_m"].sum()) / 1000.0,
                "hours": (int(last["arrival_s"]) - int(first["start_s"])) / 3600.0,
            }
        )
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    if total and len(out):
        tot: dict[str, object] = {c: "" for c in SUMMARY_COLUMNS}
        tot["stream"] = out["stream"].iloc[0] if out["stream"].nunique() == 1 else ""
        tot["vehicle"] = TOTAL_LABEL
        for c in ("trips", "stops", "unload_visits", "expected_kg", "unload_kg"):
            tot[c] = int(out[c].sum())
        tot["km"] = int(sheet["leg_m"].sum()) / 1000.0
        tot["hours"] = float(out["hours"].sum())
        out = pd.concat([out, pd.DataFrame([tot])], ignore_index=True)
    return out


# -- CSV ----------------------------------------------------------------------------------------


def _write_csv(sheet: pd.DataFrame, path: Path) -> Path:
    return write_frame(path, sheet, bom=True)


# -- XLSX ---------------------------------------------------------------------------------------


def xlsx_sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name: no ``[]:*?/\\``, no leading/trailing apostrophe,
    at most 31 characters, not equal (case-insensitively) to any name in ``taken``."""
    clean = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "sheet"
    clean = clean[:31]
    used = {t.lower() for t in taken}
    k = 2
    candidate = clean
    while candidate.lower() in used:
        suffix = f"~{k}"
        candidate = clean[: 31 - len(suffix)] + suffix
        k += 1
    return candidate


def _xlsx_rows(ws, header: Sequence[str], rows: Iterable[Sequence[object]], start_row: int):
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="DDE6F0")
    for j, h in enumerate(header, start=1):
        c = ws.cell(row=start_row, column=j, value=h)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    r = start_row
    for r, row in enumerate(rows, start=start_row + 1):
        for j, value in enumerate(row, start=1):
            ws.cell(row=r, column=j, value=_cell(value))
    return r


def _cell(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _widths(ws, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _vehicle_title(g: pd.DataFrame, summary_row: pd.Series) -> str:
    first = g.iloc[0]
    return (
        f"{first['vehicle']}  {first['vehicle_type_name']}  [{first['stream']}]  "
        f"车场 depot {first['depot']}  {summary_row['start']}–{summary_row['end']}"
    )


def _vehicle_total(summary_row: pd.Series) -> str:
    return (
        f"趟 trips {summary_row['trips']} · 点 stops {summary_row['stops']} · "
        f"{summary_row['expected_kg']} kg · {summary_row['km']:.2f} km · "
        f"{summary_row['hours']:.2f} h"
    )


def _display_rows(g: pd.DataFrame) -> list[list[object]]:
    out = []
    for rec in g.itertuples(index=False):
        row = []
        for c in VEHICLE_COLUMNS:
            v = getattr(rec, c)
            if c == "kind":
                v = KIND_LABELS.get(v, v)
            elif c in ("wait_min", "service_min", "leg_km", "cum_km", "elapsed_h"):
                v = round(float(v), 2)
            row.append(v)
        out.append(row)
    return out


def _write_xlsx(
    sheet: pd.DataFrame, summary: pd.DataFrame, path: Path, title: str, notes: Sequence[str]
) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = xlsx_sheet_name("汇总 Summary")
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    for k, note in enumerate(notes, start=2):
        ws.cell(row=k, column=1, value=note)
    hdr = len(notes) + 3
    last = _xlsx_rows(
        ws, list(SUMMARY_COLUMNS), (list(r) for r in summary.itertuples(index=False)), hdr
    )
    if len(summary):
        for j in range(1, len(SUMMARY_COLUMNS) + 1):
            ws.cell(row=last, column=j).font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=hdr + 1, column=1)
    _widths(ws, [10, 14, 14, 28, 12, 7, 7, 6, 6, 8, 11, 11, 10, 8])

    taken = [ws.title]
    by_vehicle = summary.set_index("vehicle")
    widths = [5, 6, 12, 16, 30, 8, 8, 8, 8, 9, 9, 10, 10, 8, 8, 7]
    for vehicle, g in sheet.groupby("vehicle", sort=False):
        name = xlsx_sheet_name(str(vehicle), taken)
        taken.append(name)
        vs = wb.create_sheet(name)
        srow = by_vehicle.loc[vehicle]
        vs.cell(row=1, column=1, value=_vehicle_title(g, srow)).font = Font(bold=True, size=12)
        vs.cell(row=2, column=1, value=_vehicle_total(srow))
        last = _xlsx_rows(vs, [HEADINGS[c] for c in VEHICLE_COLUMNS], _display_rows(g), 4)
        total_row = last + 1
        vs.cell(row=total_row, column=1, value=TOTAL_LABEL).font = Font(bold=True)
        for col, value in (
            ("expected_kg", int(srow["expected_kg"])),
            ("unload_kg", int(srow["unload_kg"])),
            ("cum_km", float(srow["km"])),
            ("elapsed_h", float(srow["hours"])),
        ):
            c = vs.cell(row=total_row, column=VEHICLE_COLUMNS.index(col) + 1, value=value)
            c.font = Font(bold=True)
        vs.cell(
            row=total_row,
            column=VEHICLE_COLUMNS.index("id") + 1,
            value=f"{int(srow['stops'])} stops",
        ).font = Font(bold=True)
        vs.freeze_panes = vs.cell(row=5, column=1)
        _widths(vs, widths)
        vs.print_options.gridLines = True
        vs.page_setup.orientation = "landscape"
        vs.page_setup.fitToWidth = 1
        vs.sheet_properties.pageSetUpPr.fitToPage = True
        vs.page_setup.fitToHeight = 0
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


# -- PDF ----------------------------------------------------------------------------------------

_PDF_WIDTHS = (7, 9, 20, 24, 62, 13, 13, 13, 12, 14, 15, 17, 17, 14, 14, 12)
_PDF_NUMERIC = frozenset(
    {
        "seq",
        "trip",
        "wait_min",
        "service_min",
        "expected_kg",
        "unload_kg",
        "load_after_kg",
        "leg_km",
        "cum_km",
        "elapsed_h",
    }
)
_PDF_ROW_MM = 4.6


def _write_pdf(
    sheet: pd.DataFrame, summary: pd.DataFrame, path: Path, title: str, notes: Sequence[str]
) -> Path:
    """Landscape A4, one sheet per vehicle shift (continued on further pages with the heading
    repeated when a shift has more rows than a page holds). Cells are single-line: a text too
    long for its column is shortened with an ellipsis."""
    from fpdf import FPDF

    from wasteopt.reporting.fonts import find_cjk_font

    font = find_cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_creator("wasteopt")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(10, 10, 10)
    # One regular face: CJK fonts rarely ship a bold one; headings are set apart by shading.
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    by_vehicle = summary.set_index("vehicle")
    widths = _PDF_WIDTHS
    bottom = pdf.h - 12
    heading = [HEADINGS[c] for c in VEHICLE_COLUMNS]

    def row(
        values: Sequence[str], fill: tuple[int, int, int] | None, h: float, is_heading: bool = False
    ) -> None:
        if fill is not None:
            pdf.set_fill_color(*fill)
        for c, w, text in zip(VEHICLE_COLUMNS, widths, values, strict=True):
            text = _fit(pdf, text, w - 1.0)
            align = "R" if c in _PDF_NUMERIC and not is_heading else "L"
            pdf.cell(w, h, text, border=1, align=align, fill=fill is not None)
        pdf.ln(h)

    def head() -> None:
        pdf.set_font("cjk", size=6.5)
        row(heading, (221, 230, 240), 5.5, is_heading=True)
        pdf.set_font("cjk", size=7.5)

    for vehicle, g in sheet.groupby("vehicle", sort=False):
        srow = by_vehicle.loc[vehicle]
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 7, _vehicle_title(g, srow), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=9)
        pdf.cell(0, 5, f"{title}    {_vehicle_total(srow)}", new_x="LMARGIN", new_y="NEXT")
        for note in notes:
            pdf.cell(0, 5, _fit(pdf, note, pdf.epw), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        head()
        rows = [
            [
                _blank_zero(c, v, r[VEHICLE_COLUMNS.index("kind")])
                for c, v in zip(VEHICLE_COLUMNS, r, strict=True)
            ]
            for r in _display_rows(g)
        ]
        total = [""] * len(VEHICLE_COLUMNS)
        total[VEHICLE_COLUMNS.index("kind")] = TOTAL_LABEL
        total[VEHICLE_COLUMNS.index("id")] = f"{int(srow['stops'])} stops"
        total[VEHICLE_COLUMNS.index("expected_kg")] = str(int(srow["expected_kg"]))
        total[VEHICLE_COLUMNS.index("unload_kg")] = str(int(srow["unload_kg"]))
        total[VEHICLE_COLUMNS.index("cum_km")] = f"{float(srow['km']):.2f}"
        total[VEHICLE_COLUMNS.index("elapsed_h")] = f"{float(srow['hours']):.2f}"
        for k, values in enumerate([*rows, total]):
            if pdf.get_y() + _PDF_ROW_MM > bottom:
                pdf.add_page()
                pdf.set_font("cjk", size=9)
                pdf.cell(0, 5, f"{vehicle} (续 continued)", new_x="LMARGIN", new_y="NEXT")
                head()
            row(values, (240, 240, 240) if k == len(rows) else None, _PDF_ROW_MM)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path


def _blank_zero(col: str, value: object, kind: str) -> str:
    """Cell text; kg columns that do not apply to the row's kind are left blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if col == "expected_kg" and kind != KIND_LABELS["stop"]:
        return ""
    if col == "unload_kg" and not value:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _fit(pdf, text: str, width_mm: float) -> str:
    if pdf.get_string_width(text) <= width_mm:
        return text
    while text and pdf.get_string_width(text + "…") > width_mm:
        text = text[:-1]
    return text + "…"


# -- GeoJSON ------------------------------------------------------------------------------------


def _pos(lon: float, lat: float) -> list[float]:
    return [round(float(lon), 6), round(float(lat), 6)]


def route_sheets_geojson(sheet: pd.DataFrame, scenario: Scenario) -> dict[str, object]:
    """An RFC 7946 FeatureCollection of a :func:`route_sheet_frame`: one LineString per vehicle
    shift (depot, visits in order, depot; lunch rows add no vertex) and one Point per stop
    visit, per unload site and per depot. Rows without coordinates are left out."""
    colors = {s.id: s.color for s in scenario.streams}
    features: list[dict[str, object]] = []
    located = sheet.dropna(subset=["lon", "lat"])
    summary = route_sheet_summary(sheet, total=False).set_index("vehicle")
    for vehicle, g in located.groupby("vehicle", sort=False):
        path = g[g["kind"] != "lunch"]
        coords = [_pos(lo, la) for lo, la in zip(path["lon"], path["lat"], strict=True)]
        if len(coords) < 2:
            continue
        s = summary.loc[vehicle]
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
    for rec in located[located["kind"] == "stop"].itertuples(index=False):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _pos(rec.lon, rec.lat)},
                "properties": {
                    "feature": "stop",
                    "id": rec.id,
                    "name": rec.name,
                    "vehicle": rec.vehicle,
                    "trip": None if pd.isna(rec.trip) else int(rec.trip),
                    "seq": int(rec.seq),
                    "stream": rec.stream,
                    "kg": int(rec.expected_kg),
                    "load_after_kg": int(rec.load_after_kg),
                    "arrival": rec.arrival,
                    "start": rec.start,
                    "departure": rec.departure,
                },
            }
        )
    site_kind = {s.id: "station" for s in scenario.stations}
    site_kind.update({f.id: f.kind for f in scenario.facilities})
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
    return {"type": "FeatureCollection", "features": features}


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
    try:
        st = scenario.stream(plan.stream)
        stream_name = f"{st.name_zh} {st.name_en}"
    except KeyError:
        pass
    title = f"{problem.name}  {stream_name}".strip()
    notes = []
    if plan.unserved:
        notes.append(f"未收集 unserved stops ({len(plan.unserved)}): {', '.join(plan.unserved)}")
    report = _report(plan, problem)
    if not report.ok:
        notes.append(f"检查未通过 checker found {len(report.violations)} violation(s)")
    written: list[Path] = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "csv":
            written.append(_write_csv(sheet, path))
        elif fmt == "xlsx":
            written.append(_write_xlsx(sheet, summary, path, title, notes))
        elif fmt == "pdf":
            written.append(_write_pdf(sheet, summary, path, title, notes))
        else:
            written.append(_write_geojson(sheet, scenario, path))
    return written
