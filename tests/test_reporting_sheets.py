"""Route sheets: one table in driving order, and CSV/XLSX/PDF/GeoJSON files whose totals equal
the checker's."""

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

from wasteopt.coordinates import wgs84_to_gcj02
from wasteopt.generation import generate
from wasteopt.reporting import fonts
from wasteopt.reporting.sheets import (
    FORMATS,
    SHEET_COLUMNS,
    TOTAL_LABEL,
    GeoContext,
    route_sheet_frame,
    route_sheet_summary,
    route_sheets_geojson,
    write_route_sheets,
    xlsx_sheet_name,
)
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


def test_summary_totals_equal_the_checker(tiny_plans):
    """km, hours, kg, stops and trips per vehicle and overall equal route_frame()/totals."""
    scenario, plans = tiny_plans
    for plan, problem in plans:
        summary = route_sheet_summary(route_sheet_frame(plan, problem, scenario))
        per_vehicle = summary[summary["vehicle"] != TOTAL_LABEL].set_index("vehicle")
        rf = plan.check.route_frame().set_index("vehicle")
        assert sorted(per_vehicle.index) == sorted(rf.index)
        for v, r in rf.iterrows():
            s = per_vehicle.loc[v]
            assert s["km"] == pytest.approx(r["km"], abs=1e-9)
            assert s["hours"] == pytest.approx(r["hours"], abs=1e-9)
            assert s["expected_kg"] == r["kg"] == s["unload_kg"]
            assert s["stops"] == r["stops"] and s["trips"] == r["trips"]
        total = summary[summary["vehicle"] == TOTAL_LABEL].iloc[0]
        t = plan.check.totals
        assert total["km"] == pytest.approx(t.distance_km, abs=1e-9)
        assert total["hours"] == pytest.approx(t.duration_h, abs=1e-9)
        assert total["expected_kg"] == t.load_kg
        assert total["stops"] == t.stops_served and total["trips"] == t.trips


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


def test_xlsx_summary_and_vehicle_sheets(tiny_plans, tmp_path):
    """The workbook has a summary plus one valid sheet per vehicle, with the plan's totals."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("xlsx",))
    wb = openpyxl.load_workbook(path)
    vehicles = list(plan.check.route_frame()["vehicle"])
    assert len(wb.sheetnames) == 1 + len(vehicles)
    for name in wb.sheetnames:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    summary = wb[wb.sheetnames[0]]
    rows = [[c.value for c in r] for r in summary.iter_rows()]
    header_at = next(i for i, r in enumerate(rows) if r[:2] == ["stream", "vehicle"])
    header = rows[header_at]
    total = next(r for r in rows if r[1] == TOTAL_LABEL)
    t = plan.check.totals
    assert total[header.index("km")] == pytest.approx(t.distance_km)
    assert total[header.index("hours")] == pytest.approx(t.duration_h)
    assert total[header.index("expected_kg")] == t.load_kg
    assert total[header.index("stops")] == t.stops_served
    ws = wb[wb.sheetnames[1]]
    cells = [[c.value for c in r] for r in ws.iter_rows()]
    assert cells[0][0].startswith(vehicles[0])
    names = {r[4] for r in cells[4:] if r[4]}
    assert any(str(n).startswith("点") for n in names)


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


def test_pdf_one_page_per_vehicle_with_embedded_cjk_font(tiny_plans, tmp_path):
    """Each vehicle shift gets its page; a CJK TrueType font is embedded and has every glyph."""
    scenario, plans = tiny_plans
    plan, problem = plans[1]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("pdf",))
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-")
    assert _pdf_page_count(raw) == plan.check.totals.vehicles
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
        out = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
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
    """The workbook's title names the routed day's calendar date and weekday (day 0 of tiny:
    Monday 2026-03-02), not only its day number."""
    scenario, plans = tiny_plans
    plan, problem = plans[0]
    (path,) = write_route_sheets(plan, problem, scenario, tmp_path, formats=("xlsx",))
    title = openpyxl.load_workbook(path).worksheets[0]["A1"].value
    assert "2026-03-02 周一 Mon" in title and problem.name in title
