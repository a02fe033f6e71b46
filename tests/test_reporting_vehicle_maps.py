"""The vehicle maps: one A4 page per vehicle shift with its trips in a legend, date and
variant in the title, the same bytes when written again; text a person reads at 9 pt, inside
the page, labels without overlaps."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from fpdf import FPDF
from pdf_text import font_sizes

from wasteopt.reporting.fonts import find_cjk_font
from wasteopt.reporting.vehicle_maps import (
    _LEGEND_BOTTOM,
    LEGEND_PT,
    STOP_NUMBER_PT,
    _Frame,
    _Legend,
    _Page,
    vehicle_title,
    write_vehicle_maps,
)


@pytest.fixture(scope="module")
def sheet(tiny_route_sheet: pd.DataFrame) -> pd.DataFrame:
    """Both tiny streams routed on day 0."""
    return tiny_route_sheet


def test_one_page_per_vehicle_with_a_trip_legend(tiny_scenario, sheet, tmp_path, monkeypatch):
    """The PDF has one page per vehicle; its text names the vehicle, date, weekday, variant
    and each trip; a second write gives the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    day = dt.date(2026, 3, 2)
    path = write_vehicle_maps(tiny_scenario, sheet, tmp_path / "m.pdf", date=day, variant="base")
    again = write_vehicle_maps(tiny_scenario, sheet, tmp_path / "n.pdf", date=day, variant="base")
    data = path.read_bytes()
    assert data == again.read_bytes()
    vehicles = sheet["vehicle"].nunique()
    assert len(re.findall(rb"/Type /Page\b", data)) == vehicles
    if not shutil.which("pdftotext"):
        assert not os.environ.get("CI"), "pdftotext is missing: run make system-deps-test"
        return
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2026-03-02 周一 Mon" in text and "base" in text
    assert text.count("趟 1 trip 1") == vehicles
    assert f"1/{vehicles}" in text


def test_title_without_date(tiny_scenario, sheet):
    """Without a date the title names vehicle, type and stream only."""
    rows = sheet[sheet["vehicle"] == sheet["vehicle"].iloc[0]]
    title = vehicle_title(tiny_scenario, rows, date=None, variant="")
    assert title.count(" — ") == 1 and title.startswith(str(rows["vehicle"].iloc[0]))


def test_text_is_9_pt_but_the_stop_numbers_and_stays_on_the_page(tiny_scenario, sheet, tmp_path):
    """Title, legend, site names and footer are set at 9 pt or more, only the stop numbers on
    the map smaller; every word lies inside the landscape A4 page's 10 mm margins."""
    path = write_vehicle_maps(tiny_scenario, sheet, tmp_path / "m.pdf", date=None, variant="b")
    sizes = font_sizes(path.read_bytes())
    assert STOP_NUMBER_PT in sizes and LEGEND_PT == 9.0
    assert min(sizes - {STOP_NUMBER_PT}) >= LEGEND_PT
    if not shutil.which("pdftotext"):
        assert not os.environ.get("CI"), "pdftotext is missing: run make system-deps-test"
        return
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    mm = 25.4 / 72
    boxes = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', bbox)
    assert boxes
    for x0, y0, x1, y1 in ((float(v) * mm for v in b) for b in boxes):
        assert x0 >= 10 - 0.5 and x1 <= 297 - 10 + 0.5 and y0 >= 5 and y1 <= 210 - 3


def test_a_long_legend_stops_above_the_footer(tiny_scenario):
    """A legend of more lines than its column holds ends in "…" above the footer; long lines
    wrap inside the column."""
    font = find_cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    pdf.add_page()
    pdf.set_font("cjk", size=LEGEND_PT)
    legend = _Legend(pdf)
    legend.line("编号 key: " + "很长的转运站名称 a long station name " * 4)
    assert legend.y > 22.0 + 2 * 4.0  # wrapped onto several lines
    for k in range(80):
        legend.line(f"趟 {k} trip {k}: 06:00–07:00")
    assert legend.full and legend.y <= _LEGEND_BOTTOM


def test_labels_never_overlap_when_crowded(tiny_scenario):
    """Thirty labels around one point: each placed one overlaps no other placed box (the
    neighbourhood filter misses no box that matters), and the rest are refused."""
    font = find_cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    pdf.add_page()
    pdf.set_font("cjk", size=LEGEND_PT)
    page = _Page(pdf, _Frame.around(np.array([120.0, 120.1]), np.array([30.0, 30.1])))
    page.mark(100.0, 100.0, 2.4)
    shown = [page.label(100.0 + k % 3, 100.0, f"站 {k}", LEGEND_PT, "#000000", box=True)
             for k in range(30)]  # fmt: skip
    assert 1 < sum(shown) < 30
    for a, b in itertools.combinations(page.placed, 2):
        assert not a.overlaps(b)
