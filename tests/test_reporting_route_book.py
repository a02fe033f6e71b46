"""The route book (wasteopt.reporting.route_book*): every vehicle-day of every cycle day, dated,
paginated x/y, printable at 9 pt or more on A4 with nothing clipped, and an XLSX with real
dates and times, repeated headings and print set-up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pdf_text import font_sizes

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.operations import build_operating_plan
from wasteopt.reporting.route_book import write_book, write_route_book
from wasteopt.reporting.route_book_data import RouteBook, cycle_calendar, route_book
from wasteopt.reporting.route_book_pdf import (
    FORM_COLUMNS,
    MIN_PT,
    ROW_MM,
    form_cells,
    paginate,
)
from wasteopt.reporting.route_book_xlsx import FORM_HEADINGS, TIME_FORMAT
from wasteopt.reporting.vehicle_maps import WEEKDAYS
from wasteopt.routing.settings import RoutingSettings

GRID = ("P1", "P2", "P3", "P4", "P5", "P6")
ROUTING = RoutingSettings(iterations=150, seed=0, workers=1)
MM = 72 / 25.4  # points per mm


def _cycle_scenario(base):
    """Tiny's grid with kitchen every other day and residual waste weekly (one point per
    weekday), 1.2 t kitchen trucks (several trips) and a lunch window inside the shift."""
    grid = [p for p in base.points if p.id in GRID]
    points = tuple(
        dataclasses.replace(p, frequency={"kitchen": "every_other_day", "other": "weekly"}, phase=i)
        for i, p in enumerate(grid)
    )
    vtypes = tuple(
        dataclasses.replace(
            v, payload_kg=1200 if v.stream == "kitchen" else v.payload_kg, max_trips=4,
            lunch_earliest_s=6 * 3600 + 15 * 60, lunch_latest_s=7 * 3600, lunch_duration_s=1200,
        )
        for v in base.vehicle_types
    )  # fmt: skip
    return dataclasses.replace(base, points=points, vehicle_types=vtypes)


@pytest.fixture(scope="module")
def cycle(tiny_scenario):
    """The cycle scenario's operating plan from day 3 of 14 (kitchen: 2 cycle days, residual
    waste: 7) and its route book."""
    sc = _cycle_scenario(tiny_scenario)
    demand = generate(sc, days=14, seed=0)
    op = build_operating_plan(sc, demand, build_matrix(sc), day=3, routing=ROUTING)
    return sc, op, route_book(sc, op)


@pytest.fixture(scope="module")
def long_book(tiny_scenario):
    """60 points of 20 kg of kitchen waste (none of the other stream) served by one kitchen
    truck in one day: a form longer than a page."""
    p1 = tiny_scenario.point("P1")
    points = tuple(
        dataclasses.replace(
            p1, id=f"L{k:02d}", name=f"长巷收集点{k:02d}", lon=120.0 + 0.002 * (k % 8),
            lat=0.002 * (k // 8), service_time_s=30, kg_per_day={"kitchen": 20.0, "other": 0.0},
        )
        for k in range(60)
    )  # fmt: skip
    sc = dataclasses.replace(tiny_scenario, points=points)
    demand = generate(sc, days=1, seed=0)
    op = build_operating_plan(sc, demand, build_matrix(sc), day=0, routing=ROUTING)
    return route_book(sc, op)


def test_every_vehicle_day_of_every_cycle_day_is_in_the_book(cycle):
    """Each stream's part has its L consecutive cycle days (the window holding the routed
    day) and, on each, one form per route of the plan followed that day."""
    _, op, book = cycle
    parts = {p.stream: p for p in book.streams}
    assert {s: p.cycle_days for s, p in parts.items()} == {"kitchen": 2, "other": 7}
    for stream, part in parts.items():
        days = [d.day for d in part.days]
        assert days == list(range(days[0], days[0] + part.cycle_days)) and op.day in days
        assert [d.key for d in part.days] == [d % part.cycle_days for d in days]
        for d in part.days:
            _, plan = op.plan_for(stream, d.day)
            own = part.vehicles[part.vehicles["key"] == d.key]
            assert sorted(own["vehicle"]) == sorted(r.vehicle for r in plan.routes), (stream, d)
        assert len(part.vehicles) == sum(
            len(op.plan_for(stream, d.day)[1].routes) for d in part.days
        )
    assert cycle_calendar(op, "other") == [(d % 7, d) for d in range(3, 10)]


def test_dates_and_weekdays_are_the_calendar_days(cycle):
    """Day t is the scenario's start date plus t days (tiny starts on Monday 2026-03-02), and
    every form and row carries its own date."""
    sc, _, book = cycle
    assert sc.generation.start_date == dt.date(2026, 3, 2)
    for part in book.streams:
        for d in part.days:
            assert d.date == dt.date(2026, 3, 2) + dt.timedelta(days=d.day)
            assert d.label == f"{d.date.isoformat()} {WEEKDAYS[d.date.weekday()]}"
        by_key = {d.key: d.date for d in part.days}
        assert [by_key[k] for k in part.vehicles["key"]] == list(part.vehicles["date"])
        assert [by_key[k] for k in part.rows["key"]] == list(part.rows["date"])
    other = next(p for p in book.streams if p.stream == "other")
    assert other.days[0].label == "2026-03-05 周四 Thu"


def test_vehicle_day_totals_equal_the_checker(cycle):
    """kg, stops, trips, km and hours of each vehicle-day equal its plan's checked route."""
    _, op, book = cycle
    for part in book.streams:
        for d in part.days:
            _, plan = op.plan_for(part.stream, d.day)
            want = plan.check.route_frame().set_index("vehicle")
            got = part.vehicles[part.vehicles["key"] == d.key].set_index("vehicle")
            for v, r in want.iterrows():
                assert got.loc[v, "kg"] == r["kg"] and got.loc[v, "stops"] == r["stops"]
                assert got.loc[v, "trips"] == r["trips"]
                assert got.loc[v, "km"] == pytest.approx(r["km"], abs=1e-9)
                assert got.loc[v, "hours"] == pytest.approx(r["hours"], abs=1e-9)


def test_a_break_is_never_shown_as_a_trip(cycle):
    """Lunch rows exist, carry no trip number in the table or on the form (kind 午休, the
    place as name), and no row has a trip number above its vehicle-day's trips."""
    _, _, book = cycle
    rows = pd.concat([p.rows for p in book.streams], ignore_index=True)
    lunch = rows["kind"] == "lunch"
    assert lunch.any() and rows.loc[lunch, "trip"].isna().all()
    cells = [c for p in book.streams for c in form_cells(p.rows)]
    breaks = [c for c, is_lunch in zip(cells, lunch, strict=True) if is_lunch]
    assert all(c[1] == "" and c[2] == "午休" for c in breaks)
    assert all(c[4] and "lunch" not in c[4] for c in breaks)  # only the place: kind says 午休
    for part in book.streams:
        top = part.rows.groupby(["key", "vehicle"])["trip"].max()
        trips = part.vehicles.set_index(["key", "vehicle"])["trips"]
        assert (top.reindex(trips.index).fillna(0) <= trips).all()


def test_windows_and_coordinates_on_each_row(cycle):
    """A stop's window is its point's, an unload's the site's hours, depart/return the shift;
    coordinates are the scenario's (WGS-84 here) to 1e-5 degrees on the form."""
    sc, _, book = cycle
    part = book.streams[0]
    cells = form_cells(part.rows)
    for row, cell in zip(part.rows.itertuples(), cells, strict=True):
        if row.kind == "stop":
            assert (row.tw_start_s, row.tw_end_s) == (6 * 3600, 12 * 3600)  # tiny's defaults
            p = sc.point(row.id)
            assert cell[5] == f"{p.lon:.5f},{p.lat:.5f}" and row.town == p.town_name
        if row.kind in ("depart", "return"):
            assert cell[7] == "06:00–14:00"
    assert book.crs == "wgs84" and "WGS-84" in " ".join(book.notes)


def test_paginate_keeps_the_closing_block_with_a_row():
    """Rows fill pages; the totals and signatures never stand alone on a page."""
    assert paginate(10, 40, 4) == [(0, 10)]
    assert paginate(36, 40, 4) == [(0, 36)]
    assert paginate(37, 40, 4) == [(0, 36), (36, 37)]
    assert paginate(80, 40, 4) == [(0, 40), (40, 79), (79, 80)]
    assert paginate(0, 40, 4) == [(0, 0)]
    with pytest.raises(ValueError, match="closing"):
        paginate(5, 4, 4)


def _pdftotext(path: Path, *args: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is missing")
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(text: str) -> list[str]:
    return text.split("\f")[:-1]


def test_pdf_pages_say_x_of_y_and_every_form_is_there(cycle, tmp_path):
    """One cover per depot, then the forms; page k of n on every page, each vehicle-day's
    date, vehicle and driver/plate/sign-off fields on its form; fonts ≥ 9 pt."""
    _, _, book = cycle
    (pdf,) = write_book(book, tmp_path, ("pdf",))
    pages = _pages(_pdftotext(pdf))
    n_forms = sum(len(p.vehicles) for p in book.streams)
    assert len(pages) == len(book.depots) + n_forms  # every tiny form fits on one page
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} of {len(pages)}" in page, k
    forms = iter(pages[len(book.depots) :])
    for part in book.streams:
        for vd in part.vehicles.itertuples():
            page = next(forms)
            assert vd.vehicle in page and vd.date.isoformat() in page
            assert WEEKDAYS[vd.date.weekday()] in page
            for word in ("Driver", "Plate", "实际重量", "签收", "Supervisor", part.title):
                assert word in page, word
    assert "车场汇总 Depot summary" in pages[0] and "Last in" in pages[0]
    assert min(font_sizes(pdf.read_bytes())) >= MIN_PT


def _words(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words as (x0, y0, x1, y1 in mm, text), from ``pdftotext -bbox``."""
    out = []
    for page in _pdftotext(path, "-bbox").split("<page ")[1:]:
        words = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            page,
        )
        out.append([(*(float(v) / MM for v in w[:4]), w[4]) for w in words])
    return out


def test_long_form_continues_with_its_header_and_nothing_is_clipped(long_book, tmp_path):
    """A 60-stop vehicle-day spans two pages: both say vehicle page k/2 and repeat the table
    heading, only the last has the totals; every word lies inside A4 and every table cell's
    words inside their column."""
    (pdf,) = write_book(long_book, tmp_path, ("pdf",))
    pages = _pages(_pdftotext(pdf))
    kitchen = next(p for p in long_book.streams if p.stream == "kitchen")
    assert int(kitchen.vehicles["n_rows"].max()) > 60
    own = [p for p in pages if "vehicle page" in p and "· kitchen ·" in p]
    assert len(own) == 2 and "vehicle page 1/2" in own[0] and "vehicle page 2/2" in own[1]
    assert all("Planned" in p and "Sign-off" in p for p in own)
    assert "Total" not in own[0] and "Total" in own[1]
    edges = [8.0]
    for c in FORM_COLUMNS:
        edges.append(edges[-1] + c[3])
    for words in _words(pdf):
        assert all(x0 >= 8 - 0.5 and x1 <= 210 - 8 + 0.5 for x0, _, x1, _, _ in words)
        assert all(y1 <= 297 - 5 for _, _, _, y1, _ in words)
        rows: dict[float, list] = {}
        for w in words:
            rows.setdefault(round(w[1], 1), []).append(w)
        for line in rows.values():
            first = min(line)
            if not (first[4].isdigit() and first[0] < 15):  # a table row starts with its #
                continue
            for x0, _, x1, _, text in line:
                assert any(a <= x0 and x1 <= b + 0.2 for a, b in itertools.pairwise(edges)), text


def test_rows_per_page_leave_room_to_write(long_book):
    """Rows are at least 5 mm high: room to write an actual weight by hand."""
    assert ROW_MM >= 5.0
    assert sum(c[3] for c in FORM_COLUMNS) <= 210 - 2 * 8


def test_xlsx_has_real_dates_times_and_print_setup(cycle, tmp_path):
    """A summary sheet plus one sheet per vehicle-day; dates are dates, times are numbers in
    [hh]:mm, hours show rounded, headings are bilingual, the actual weight sums by formula, and
    each sheet prints on A4 one page wide with its heading rows repeated and page x of y."""
    _, _, book = cycle
    (path,) = write_book(book, tmp_path, ("xlsx",))
    wb = openpyxl.load_workbook(path)
    n_forms = sum(len(p.vehicles) for p in book.streams)
    assert len(wb.sheetnames) == 1 + n_forms
    part = book.streams[0]
    vd = part.vehicles.iloc[0]
    ws = wb[wb.sheetnames[1]]
    assert ws["D2"].value == dt.datetime.combine(vd["date"], dt.time())
    assert ws["D2"].number_format == "yyyy-mm-dd"
    head = next(r for r in range(1, 12) if ws.cell(r, 1).value == FORM_HEADINGS[0][1])
    assert [ws.cell(head, k + 1).value for k in range(len(FORM_HEADINGS))] == [
        h for _, h, _ in FORM_HEADINGS
    ]
    arrive = ws.cell(head + 2, 9)
    # A number in a time format: openpyxl reads [hh]:mm cells back as durations, text as str.
    assert isinstance(arrive.value, dt.timedelta) and arrive.number_format == TIME_FORMAT
    assert arrive.value.total_seconds() == pytest.approx(part.rows["arrival_s"].iloc[1])
    total = head + 1 + int(vd["n_rows"])
    assert ws.cell(total, 14).value.startswith("=SUM(N")
    assert ws.cell(total, 13).value == int(vd["kg"])
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out of the XML
    assert ws.print_title_rows == f"$1:${head}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    summary = wb[wb.sheetnames[0]]
    cells = {c.coordinate: c for r in summary.iter_rows() for c in r if c.value is not None}
    hours = [c for c in cells.values() if c.column == 9 and isinstance(c.value, float)]
    assert hours and all(c.number_format in ("0.0", "#,##0.0") for c in hours)
    assert any(c.value == "用时 h\nHours" for c in cells.values())
    assert summary.page_setup.paperSize == 9 and summary.print_title_rows == "$1:$1"


def test_write_route_book_writes_pdf_and_xlsx_once_per_variant(cycle, tmp_path):
    """write_route_book writes route_book.pdf and route_book.xlsx and nothing else; an
    unknown format is refused."""
    sc, op, _ = cycle
    paths = write_route_book(sc, op, tmp_path)
    assert [p.name for p in paths] == ["route_book.pdf", "route_book.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["route_book.pdf", "route_book.xlsx"]
    with pytest.raises(ValueError, match="docx"):
        write_book(RouteBook(variant="x", crs="wgs84", streams=(), depots={}), tmp_path, ["docx"])


def test_book_repeats_byte_for_byte_with_source_date_epoch(cycle, tmp_path, monkeypatch):
    """With SOURCE_DATE_EPOCH the PDF and XLSX are byte-identical when written again."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    _, _, book = cycle
    first = write_book(book, tmp_path / "a")
    again = write_book(book, tmp_path / "b")
    for a, b in zip(first, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
