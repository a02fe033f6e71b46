"""Tests of the collection ledger workbook (收运台账 XLSX), read back with openpyxl."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from wasteopt.generation import generate
from wasteopt.network import build_matrix
from wasteopt.reporting.ledger import LEDGER_SHEETS, write_ledger_xlsx
from wasteopt.routing.build import build_problem
from wasteopt.scenario import load_scenario
from wasteopt.simulation import OperatingPlan, SimulationResult, simulate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(hand_plan):
    """Tiny over 33 days (into April) with an 800 kg kitchen truck: unplanned trips exist."""
    base = load_scenario(ROOT / "scenarios" / "tiny")
    vts = tuple(
        dataclasses.replace(v, payload_kg=800.0) if v.id == "VT-KIT" else v
        for v in base.vehicle_types
    )
    sc = dataclasses.replace(base, vehicle_types=vts)
    matrix = build_matrix(sc)
    demand = generate(sc, days=33, seed=3)
    problems = {s: build_problem(base, demand, 0, s, matrix) for s in sc.stream_ids}
    op = OperatingPlan(problems=problems, plans={s: hand_plan(p) for s, p in problems.items()})
    return sc, simulate(sc, demand=demand, matrix=matrix, operating=op, seed=1)


def test_workbook_has_the_three_sheets_with_real_types(run, tmp_path):
    """Trips, daily and monthly sheets hold every row with real dates, date-times, numbers and
    booleans, and the streams' Chinese names beside their ids."""
    sc, r = run
    path = write_ledger_xlsx(r, tmp_path / "ledger.xlsx", scenario=sc)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(LEDGER_SHEETS)
    trips = wb[LEDGER_SHEETS[0]]
    header = [c.value for c in trips[1]]
    assert header[0] == "日期 Date" and "去向 Destination" in header and "吨 t" in header
    assert trips.max_row == len(r.ledger) + 1
    first = dict(zip(header, [c.value for c in trips[2]], strict=True))
    row0 = r.ledger.iloc[0]
    assert first["日期 Date"] == dt.datetime.combine(row0["date"], dt.time())
    assert first["出发 Depart"] == row0["depart"].to_pydatetime()
    assert isinstance(first["到达 Arrive"], dt.datetime)
    assert first["吨 t"] == pytest.approx(row0["t"]) and isinstance(first["趟次 Trip"], int)
    assert isinstance(first["计划外 Unplanned"], bool)
    names = {c.value for c in trips["B"][1:]}
    assert names == {"厨余垃圾 kitchen", "其他垃圾 other"}
    assert sum(c.value for c in trips["I"][1:]) == pytest.approx(r.ledger["t"].sum())
    daily, monthly = wb[LEDGER_SHEETS[1]], wb[LEDGER_SHEETS[2]]
    assert daily.max_row == len(r.ledger_daily()) + 1
    months = [c.value for c in monthly["A"][1:]]
    assert months == [dt.datetime(2026, 3, 1)] * 2 + [dt.datetime(2026, 4, 1)] * 2
    assert monthly["A2"].number_format == "yyyy-mm"


def test_every_sheet_prints_landscape_on_a4_with_repeated_headers(run, tmp_path):
    """Each sheet prints A4 landscape, one page wide, the header row on every page, the
    title in the print header and page x/y in the footer."""
    sc, r = run
    wb = openpyxl.load_workbook(write_ledger_xlsx(r, tmp_path / "l.xlsx", scenario=sc))
    for ws in wb.worksheets:
        assert ws.print_title_rows == "$1:$1"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # fitToWidth absent: the OOXML default, 1 page wide; 0 pages tall: as many as needed
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.freeze_panes == "A2"
        assert "收运台账" in ws.oddHeader.left.text and sc.name in ws.oddHeader.left.text
        assert ws.oddFooter.center.text == "&P / &N"


def test_formula_like_text_is_stored_as_quoted_text(run, tmp_path):
    """A text cell a spreadsheet would evaluate (``=…``) is a string with the quote-prefix
    mark, never a formula."""
    _, r = run
    ledger = r.ledger.copy()
    ledger.loc[0, "point_ids"] = "=HYPERLINK(1)"
    bad: SimulationResult = dataclasses.replace(r, ledger=ledger)
    ws = openpyxl.load_workbook(write_ledger_xlsx(bad, tmp_path / "f.xlsx"))[LEDGER_SHEETS[0]]
    cell = ws["G2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s" and cell.quotePrefix


def test_same_ledger_same_bytes_with_source_date_epoch(run, tmp_path, monkeypatch):
    """With SOURCE_DATE_EPOCH the workbook is byte-for-byte reproducible."""
    sc, r = run
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = write_ledger_xlsx(r, tmp_path / "a.xlsx", scenario=sc).read_bytes()
    b = write_ledger_xlsx(r, tmp_path / "b.xlsx", scenario=sc).read_bytes()
    assert a == b
