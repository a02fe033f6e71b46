"""Route sheets: one table in driving order, and CSV/XLSX/PDF/GeoJSON files whose totals equal
the checker's; the XLSX and PDF are the route book's forms for the routed day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import matplotlib
import openpyxl
import pandas as pd
import pytest
from pdf_text import font_sizes

from wasteopt.coordinates import wgs84_to_gcj02
from wasteopt.generation import generate
from wasteopt.reporting import fonts
from wasteopt.reporting.route_book_data import SHEETS_TITLE, day_book
from wasteopt.reporting.route_book_pdf import MIN_PT
from wasteopt.reporting.route_book_xlsx import FORM_HEADINGS, TIME_FORMAT
from wasteopt.reporting.sheets import (
    FORMATS,
    SHEET_COLUMNS,
    GeoContext,
    route_sheet_frame,
    route_sheets_geojson,
    write_route_sheets,
)
from wasteopt.reporting.xlsx_sheets import xlsx_sheet_name
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve


@pytest.fixture(scope="module")
def tiny_plans(tiny_scenario, tiny_matrix):
    """The tiny scenario with small kitchen trucks (several trips) and a lunch break, routed."""
    base = tiny_scenario
    vtypes = tuple(
        dataclasses.replace(
            v,
            payload_kg=1200 if v.stream == "kitchen" else v.payload_kg,
            max_trips=4,
            lunch_earliest_s=6 * 3600 + 15 * 60,
            lunch_latest_s=7 * 3600,
            lunch_duration_s=20 * 60,
        )
        for v in base.vehicle_types
    )
    scenario = dataclasses.replace(base, vehicle_types=vtypes)
    demand = generate(scenario, days=1, seed=0)
    matrix = tiny_matrix  # vehicle types do not change distances
    out = []
    for stream in scenario.stream_ids:
        problem = build_problem(scenario, demand, 0, stream, matrix)
        plan = solve(problem, RoutingSettings(time_limit_s=1, seed=0))
        assert plan.check is not None and plan.check.ok, plan.check.summary()
        out.append((plan, problem))
    return scenario, out


def test_frame_rows_follow_the_checked_schedule(tiny_plans):
    """Each vehicle's rows run depart → stops/unloads/lunch → return with loads that add up."""
    scenario, plans = tiny_plans
    for plan, problem in plans:
        sheet = route_sheet_frame(plan, problem, scenario)
        assert list(sheet.columns) == list(SHEET_COLUMNS)
        for vehicle, g in sheet.groupby("vehicle"):
            kinds = list(g["kind"])
            assert kinds[0] == "depart" and kinds[-1] == "return", vehicle
            assert list(g["seq"]) == sorted(g["seq"])
            assert "lunch" in kinds, "every fleet has a lunch window overlapping its shift"
            load = 0
            for rec in g.itertuples():
                if rec.kind == "stop":
                    load += rec.expected_kg
                    assert rec.load_after_kg == load
                    assert rec.name.startswith("点")  # Chinese point names carried over
                elif rec.kind == "unload":
                    assert rec.unload_kg == load and rec.load_after_kg == 0
                    load = 0
            assert g["departure_s"].is_monotonic_increasing
    kitchen = route_sheet_frame(*plans[0], scenario)
    assert kitchen["trip"].max() >= 2, "1200 kg trucks need several trips for 2100 kg"


def test_form_totals_equal_the_checker(tiny_plans):
    """The day's forms: one vehicle-day per route, with km, hours, kg, stops and trips equal to
    route_frame(), and their sums equal to the plan's totals; one day, no cycle claimed."""
    scenario, plans = tiny_plans
    for plan, problem in plans:
        book = day_book(scenario, plan, problem, date=dt.date(2026, 3, 2))
        assert book.title == SHEETS_TITLE and len(book.streams) == 1
        part = book.streams[0]
        assert part.cycle_days is None and [d.date for d in part.days] == [dt.date(2026, 3, 2)]
        assert "cycle day" not in part.cycle_label(0) and "this day" in part.cycle_label(0)
        got = part.vehicles.set_index("vehicle")
        rf = plan.check.route_frame().set_index("vehicle")
        assert sorted(got.index) == sorted(rf.index)
        for v, r in rf.iterrows():
            assert got.loc[v, "km"] == pytest.approx(r["km"], abs=1e-9)
            assert got.loc[v, "hours"] == pytest.approx(r["hours"], abs=1e-9)
            assert got.loc[v, "kg"] == r["kg"] == got.loc[v, "unload_kg"]
            assert got.loc[v, "stops"] == r["stops"] and got.loc[v, "trips"] == r["trips"]
        t = plan.check.totals
        assert got["km"].sum() == pytest.approx(t.distance_km, abs=1e-9)
        assert got["hours"].sum() == pytest.approx(t.duration_h, abs=1e-9)
        assert got["kg"].sum() == t.load_kg
        assert got["stops"].sum() == t.stops_served and got["trips"].sum() == t.trips


def test_csv_has_bom_and_reads_back(tiny_plans, tmp_path):
    """The CSV starts with a UTF-8 BOM, keeps Chinese names and sums to the plan's kg and km."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("csv",))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert "车场" in set(back["name"])
    assert back["expected_kg"].sum() == plan.check.totals.load_kg
    assert back["leg_m"].sum() / 1000 == pytest.approx(plan.check.totals.distance_km)


def test_xlsx_is_the_book_workbook_of_the_day(tiny_plans, tmp_path):
    """The workbook has a summary listing every vehicle with the checker's figures, then one
    valid sheet per vehicle whose table has the book's headings, Excel times and the planned
    kg total."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("xlsx",))
    wb = openpyxl.load_workbook(path)
    rf = plan.check.route_frame().set_index("vehicle")
    assert len(wb.sheetnames) == 1 + len(rf)
    for name in wb.sheetnames:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    listed = {
        r[3]: r
        for r in wb.worksheets[0].iter_rows(values_only=True)
        if r[3] in rf.index and isinstance(r[1], dt.datetime)
    }
    assert sorted(listed) == sorted(rf.index)
    for v, r in rf.iterrows():  # trips, stops, kg, km, hours of the vehicle-day list
        assert listed[v][4:7] == (r["trips"], r["stops"], r["kg"])
        assert listed[v][7] == pytest.approx(r["km"]) and listed[v][8] == pytest.approx(r["hours"])
    ws = wb.worksheets[1]
    head = next(r for r in range(1, 12) if ws.cell(r, 1).value == FORM_HEADINGS[0][1])
    assert [ws.cell(head, k + 1).value for k in range(len(FORM_HEADINGS))] == [
        h for _, h, _ in FORM_HEADINGS
    ]
    arrive = ws.cell(head + 2, 9)  # the first stop: a number shown as [hh]:mm
    assert isinstance(arrive.value, dt.timedelta) and arrive.number_format == TIME_FORMAT
    names = [ws.cell(r, 5).value for r in range(head + 1, ws.max_row + 1)]
    assert any(str(n).startswith("点") for n in names if n)
    vehicle = ws["D3"].value
    total = next(r for r in range(head, ws.max_row + 1) if ws.cell(r, 3).value == "合计 Total")
    assert ws.cell(total, 13).value == rf.loc[vehicle, "kg"]


def test_xlsx_sheet_name_rules():
    """Sheet names lose []:*?/\\, stay within 31 characters and never repeat."""
    long = "VT/KIT[city]:*?\\" + "x" * 40
    a = xlsx_sheet_name(long)
    b = xlsx_sheet_name(long, [a])
    assert len(a) <= 31 and len(b) <= 31 and a != b
    assert not re.search(r"[\[\]:*?/\\]", a + b)
    assert xlsx_sheet_name("'quoted'") == "quoted"


def _pdf_page_count(raw: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", raw))


def test_pdf_is_the_book_forms_with_embedded_cjk_font(tiny_plans, tmp_path):
    """A cover per depot, then one portrait A4 form per vehicle shift (tiny's fit one page),
    type 9 pt or more; a CJK TrueType font is embedded and has every glyph."""
    scenario, plans = tiny_plans
    plan, problem = plans[1]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("pdf",))
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-")
    assert _pdf_page_count(raw) == len(scenario.depots) + plan.check.totals.vehicles
    assert min(font_sizes(raw)) >= MIN_PT
    font = fonts.find_cjk_font()
    assert b"/FontFile2" in raw  # the TrueType program itself is in the file
    base = re.findall(rb"/BaseFont\s*/([A-Z]{6}\+[^\s/>]+)", raw)
    assert base, "font is embedded as a subset"
    sheet = route_sheet_frame(plan, problem, scenario)
    text = "".join(sheet["name"]) + "".join(sheet["vehicle_type_name"]) + "合计收集卸载午休"
    assert fonts.missing_glyphs(font, text) == []
    pdftotext = shutil.which("pdftotext")  # poppler-utils: `make system-deps-test` installs it
    assert pdftotext or not os.environ.get("CI"), "pdftotext is missing: run make system-deps-test"
    if pdftotext:  # a developer's machine without it skips only this round trip
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        assert "595.28 x 841.89" in info  # A4 portrait
        out = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        pages = out.split("\f")[:-1]
        assert pages[0].startswith(SHEETS_TITLE) and "Depot summary" in pages[0]
        for vehicle in plan.check.route_frame()["vehicle"]:
            form = next(p for p in pages[1:] if vehicle in p)
            assert "Driver" in form and "Plate" in form and "Sign-off" in form
        for name in set(sheet["name"]) - {""}:
            assert name.split(" @ ")[0].split()[0] in out


def test_sheets_repeat_byte_for_byte_with_source_date_epoch(tiny_plans, tmp_path, monkeypatch):
    """With SOURCE_DATE_EPOCH every sheet format is byte-identical when written again a second
    later, and the PDF and XLSX carry that date instead of the clock's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    first = write_route_sheets(plan, problem, scenario, tmp_path / "a")
    time.sleep(1.0)  # the zip entries and the PDF date have a resolution of one second
    again = write_route_sheets(plan, problem, scenario, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in again] and len(first) == len(FORMATS) + 1
    for a, b in zip(first, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    pdf = next(p for p in first if p.suffix == ".pdf").read_bytes()
    assert b"/CreationDate (D:20231114221320Z)" in pdf
    xlsx = next(p for p in first if p.suffix == ".xlsx")
    props = openpyxl.load_workbook(xlsx).properties
    assert str(props.created) == str(props.modified) == "2023-11-14 22:13:20"


def test_glyph_check_fails_for_a_latin_font():
    """The cmap check used above reports Chinese names as missing from DejaVu Sans."""
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    latin = fonts.CjkFont(path=dejavu, index=0, family="DejaVu Sans", truetype=True)
    assert fonts.missing_glyphs(latin, "西站 ST-W") == ["站", "西"]


def test_missing_font_raises_with_install_hint(monkeypatch):
    """Without any CJK font the error names the Debian package and the environment variable."""
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setattr(fonts, "KNOWN_FONTS", ())
    monkeypatch.setattr(fonts, "_fc_match", lambda: [])
    monkeypatch.setenv(fonts.ENV_VAR, str(dejavu))
    fonts.find_cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.CjkFontMissing, match="fonts-wqy-microhei") as err:
            fonts.find_cjk_font()
        assert "DejaVuSans.ttf" in str(err.value)
    finally:
        fonts.find_cjk_font.cache_clear()


def _strict_json(raw: str):
    def no_constant(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(raw, parse_constant=no_constant)


def _layers(tmp_path, plan, problem, scenario, **kw):
    paths = write_route_sheets(plan, problem, scenario, tmp_path, formats=("geojson",), **kw)
    assert [p.name for p in paths] == [
        f"routes_{plan.stream}_points.geojson",
        f"routes_{plan.stream}_lines.geojson",
    ]
    return [_strict_json(p.read_text(encoding="utf-8")) for p in paths]


def test_geojson_points_and_lines_layers(tiny_plans, tmp_path):
    """RFC 7946: a point layer (stops, unload sites, depots) and a line layer with one
    LineString per trip; trips join end to start from depot to depot, their km and kg add up
    to the plan's, every property is a scalar and every feature has date, variant and crs."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    points, lines = _layers(tmp_path, plan, problem, scenario)
    assert points["type"] == lines["type"] == "FeatureCollection" and "crs" not in points
    assert {f["geometry"]["type"] for f in points["features"]} == {"Point"}
    assert {f["geometry"]["type"] for f in lines["features"]} == {"LineString"}
    trips = lines["features"]
    assert len(trips) == plan.check.totals.trips > plan.check.totals.vehicles  # several trips
    for f in points["features"] + trips:
        props = f["properties"]
        assert props["date"] == "2026-03-02" and props["variant"] == "base"
        assert props["crs"] == "wgs84"
        assert all(not isinstance(v, (list, dict)) for v in props.values()), props
    depot = scenario.depot("D1")
    for vehicle in {t["properties"]["vehicle"] for t in trips}:
        own = [t for t in trips if t["properties"]["vehicle"] == vehicle]
        assert own[0]["geometry"]["coordinates"][0] == [depot.lon, depot.lat]  # lon first
        assert own[-1]["geometry"]["coordinates"][-1] == [depot.lon, depot.lat]
        for a, b in itertools.pairwise(own):  # the next trip starts where one ends
            assert a["geometry"]["coordinates"][-1] == b["geometry"]["coordinates"][0]
    assert sum(t["properties"]["km"] for t in trips) == pytest.approx(
        plan.check.totals.distance_km, abs=0.01
    )
    assert sum(t["properties"]["kg"] for t in trips) == plan.check.totals.load_kg
    stops = [f for f in points["features"] if f["properties"]["feature"] == "stop"]
    assert len(stops) == plan.check.totals.stops_served
    p = scenario.point(stops[0]["properties"]["id"])
    assert stops[0]["geometry"]["coordinates"] == [p.lon, p.lat]
    sites = [f for f in points["features"] if f["properties"]["feature"] == "unload_site"]
    assert sum(f["properties"]["kg"] for f in sites) == plan.check.totals.load_kg
    assert all(f["properties"]["first_arrival"] <= f["properties"]["last_arrival"] for f in sites)
    sheet = route_sheet_frame(plan, problem, scenario)
    assert route_sheets_geojson(sheet, scenario, GeoContext(date=dt.date(2026, 3, 2))) == {
        "points": points,
        "lines": lines,
    }


def test_geojson_in_gcj02_says_so(tiny_plans, tmp_path, jintan_dir):
    """Written in GCJ-02, every feature says crs=gcj02, the collection carries a note, and the
    coordinates are the WGS-84 ones transformed (checked on a Jintan-like point: the equator
    of the tiny scenario lies outside China, where GCJ-02 equals WGS-84)."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    points, lines = _layers(tmp_path, plan, problem, scenario, crs="gcj02")
    assert points["coordinate_system"] == lines["coordinate_system"] == "gcj02"
    assert "not WGS-84" in points["note"]
    assert {f["properties"]["crs"] for f in points["features"] + lines["features"]} == {"gcj02"}
    sheet = route_sheet_frame(plan, problem, scenario)
    moved = sheet.assign(lon=sheet["lon"] - 0.5, lat=sheet["lat"] + 31.7)  # into Jintan
    shifted = route_sheets_geojson(moved, scenario, GeoContext(crs="gcj02"))["points"]
    stop = next(f for f in shifted["features"] if f["properties"]["feature"] == "stop")
    row = moved[(moved["kind"] == "stop")].iloc[0]
    want = wgs84_to_gcj02(float(row["lon"]), float(row["lat"]))
    assert stop["geometry"]["coordinates"] == pytest.approx(list(want), abs=1e-6)
    assert stop["geometry"]["coordinates"][0] != round(float(row["lon"]), 6)


def test_write_all_formats_and_reject_unknown(tiny_plans, tmp_path):
    """Every format is written (no temp files left); an unknown format is refused up front."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    paths = write_route_sheets(plan, problem, scenario, tmp_path)
    assert [p.name for p in paths] == [
        "routes_kitchen.csv",
        "routes_kitchen.xlsx",
        "routes_kitchen.pdf",
        "routes_kitchen_points.geojson",
        "routes_kitchen_lines.geojson",
        "routes_kitchen_maps.pdf",
    ]
    assert FORMATS == ("csv", "xlsx", "pdf", "geojson", "maps")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    with pytest.raises(ValueError, match="docx"):
        write_route_sheets(plan, problem, scenario, tmp_path / "x", formats=("csv", "docx"))
    assert not (tmp_path / "x").exists()


def test_plan_without_check_is_checked(tiny_plans):
    """A plan stripped of its check gives the same sheet (the checker is rerun)."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    bare = dataclasses.replace(plan, check=None)
    a = route_sheet_frame(plan, problem, scenario)
    b = route_sheet_frame(bare, problem, scenario)
    pd.testing.assert_frame_equal(a, b)
    buf = io.StringIO()
    a.to_csv(buf)
    assert buf.getvalue()


def test_fill_margin_is_stated_on_the_sheets(tiny_plans, tmp_path):
    """A scenario planned below full payload says so in the workbook's notes; at 1 it does not."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    texts = {}
    for margin in (1.0, 0.85):
        planning = dataclasses.replace(scenario.planning, fill_margin=margin)
        sc = dataclasses.replace(scenario, planning=planning)
        (path,) = write_route_sheets(plan, problem, sc, tmp_path / str(margin), formats=("xlsx",))
        ws = openpyxl.load_workbook(path).worksheets[0]
        texts[margin] = " ".join(str(c.value) for r in ws.iter_rows() for c in r if c.value)
    assert "fill_margin" not in texts[1.0]
    assert "85%" in texts[0.85] and "fill_margin" in texts[0.85]


def test_sheets_state_the_date_and_weekday(tiny_plans, tmp_path):
    """The forms name the routed day's calendar date and weekday (day 0 of tiny: Monday
    2026-03-02) as text and, in the XLSX, as an Excel date; a date given wins."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("xlsx",))
    wb = openpyxl.load_workbook(path)
    summary = wb.worksheets[0]
    assert summary["A1"].value == f"{SHEETS_TITLE} · base"
    assert "2026-03-02 周一 Mon" in " ".join(str(c.value) for c in summary["A"] if c.value)
    assert wb.worksheets[1]["D2"].value == dt.datetime(2026, 3, 2)
    (later,) = write_route_sheets(
        plan, problem, scenario, tmp_path / "t", formats=("xlsx",), date=dt.date(2026, 3, 5)
    )
    assert openpyxl.load_workbook(later).worksheets[1]["D2"].value == dt.datetime(2026, 3, 5)


def test_a_plan_without_routes_gets_a_cover_naming_its_unserved_stops(tiny_plans, tmp_path):
    """A plan that serves nothing still gives every file: the forms are one depot cover that
    lists no vehicle and names the unserved stops, the workbook only its summary."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    unserved = tuple(s.id for s in problem.stops)
    empty = dataclasses.replace(plan, routes=(), unserved=unserved, check=None)
    paths = write_route_sheets(empty, problem, scenario, tmp_path)
    assert len(paths) == len(FORMATS) + 1
    pdf = next(p for p in paths if p.name == "routes_kitchen.pdf")
    assert _pdf_page_count(pdf.read_bytes()) == len(scenario.depots)
    xlsx = next(p for p in paths if p.suffix == ".xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert len(wb.sheetnames) == 1
    text = " ".join(str(c) for r in wb.worksheets[0].iter_rows(values_only=True) for c in r if c)
    assert f"unserved stops ({len(unserved)}): {', '.join(unserved)}" in text
