"""The vehicle maps: one A4 page per vehicle shift with its trips in a legend, date and
variant in the title, the same bytes when written again."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest

from wasteopt.reporting.vehicle_maps import vehicle_title, write_vehicle_maps


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
