"""Tests for the route-sheet workbooks (wasteopt.reporting.xlsx_sheets, route_book_xlsx, with
wasteopt.files): names that a spreadsheet would take for formulas reach the route sheets as
text, never as formulas (issue 13); the workbook's dates come from SOURCE_DATE_EPOCH, a failed
write leaves nothing, and sheet names are valid."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from wasteopt.cli import main
from wasteopt.files import FORMULA_START
from wasteopt.reporting.route_book_data import RouteBook, day_book
from wasteopt.reporting.route_book_xlsx import write_book_xlsx
from wasteopt.reporting.xlsx_sheets import xlsx_sheet_name
from wasteopt.routing.build import build_problem
from wasteopt.routing.settings import RoutingSettings
from wasteopt.routing.solve import solve

FORMULA = '=HYPERLINK("http://evil.example","点2")'
NAMES = {
    ("points.csv", "P2"): FORMULA,
    ("vehicle_types.csv", "VT-KIT"): "-厨余收集车",
    ("depots.csv", "D1"): "@车场",
}
STREAM_NAME = "+厨余垃圾"  # the kitchen stream's Chinese name, which starts summary cells


def _rename(folder: Path) -> None:
    for (file, rid), name in NAMES.items():
        path = folder / file
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        for row in rows[1:]:
            if row[0] == rid:
                row[rows[0].index("name")] = name
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'name_zh = "厨余垃圾"' in text
    toml.write_text(text.replace('name_zh = "厨余垃圾"', f'name_zh = "{STREAM_NAME}"'), "utf-8")


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path) -> Path:
    """The kitchen route sheets of day 0 of the tiny scenario with formula-like names."""
    tmp = tmp_path_factory.mktemp("formula")
    shutil.copytree(tiny_dir, tmp / "scenario")
    _rename(tmp / "scenario")
    argv = ["route", str(tmp / "scenario"), "--stream", "kitchen", "--iterations", "20"]
    assert main([*argv, "--workers", "1", "--out", str(tmp / "out")]) == 0
    return tmp / "out" / "sheets"


def test_csv_sheet_prefixes_formula_names(sheets: Path) -> None:
    """The CSV route sheet shows the names with a leading quote and no cell starts a formula;
    negative numbers stay numbers."""
    with (sheets / "routes_kitchen.csv").open(encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert {"'" + FORMULA, "'-厨余收集车", "'@车场"} <= set(cells)
    text = [c for c in cells if c and not _is_number(c)]
    assert not [c for c in text if c.startswith(("=", "+", "-", "@"))]


def test_xlsx_keeps_formula_names_as_quoted_text(sheets: Path) -> None:
    """In the workbook every text that starts like a formula (a point, depot, fleet or stream
    name at the start of a cell, in any sheet) is a text cell marked quote-prefixed, shown
    exactly as written; no other text is marked; the only formulas are the actual-weight
    totals the forms sum."""
    wb = load_workbook(sheets / "routes_kitchen.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    formulas = [c for c in cells if c.data_type == "f"]
    assert formulas and all(c.value.startswith("=SUM(N") and c.column == 14 for c in formulas)
    texts = [c for c in cells if c.data_type == "s"]
    risky = [c for c in texts if c.value.startswith(FORMULA_START)]
    values = {c.value for c in risky}
    assert {FORMULA, "@车场", STREAM_NAME} <= values
    assert any(v.startswith("-厨余收集车 (VT-KIT)") for v in values)
    assert any(v.startswith(f"{STREAM_NAME} Kitchen/food waste: ") for v in values)
    assert all(c.quotePrefix for c in risky)
    assert not [c.coordinate for c in texts if c.quotePrefix and c not in risky]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- the writer on a routed tiny day (one quick solve) ------------------------------------------

EPOCH = 1_700_000_000  # 2023-11-14 22:13:20 UTC


@pytest.fixture(scope="module")
def book(tiny_scenario, tiny_day0, tiny_matrix) -> RouteBook:
    """The forms of tiny's kitchen routes on day 0."""
    problem = build_problem(tiny_scenario, tiny_day0, 0, "kitchen", tiny_matrix)
    plan = solve(problem, RoutingSettings(iterations=50, seed=0, time_limit_s=5))
    return day_book(tiny_scenario, plan, problem, date=dt.date(2026, 3, 2))


def test_dates_come_from_source_date_epoch_only(
    book: RouteBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The document date is SOURCE_DATE_EPOCH and every zip entry carries the same fixed date,
    so no clock reading reaches the bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    path = write_book_xlsx(book, tmp_path / "r.xlsx")
    assert str(load_workbook(path).properties.created) == "2023-11-14 22:13:20"
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_failed_write_leaves_no_file(book: RouteBook, tmp_path: Path) -> None:
    """A book the writer cannot write (its rows lack a column) raises, and neither the
    workbook nor a temporary file is left behind."""
    part = book.streams[0]
    broken = dataclasses.replace(part, rows=part.rows.drop(columns=["town"]))
    with pytest.raises(KeyError, match="town"):
        write_book_xlsx(dataclasses.replace(book, streams=(broken,)), tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("𠀀" * 20, (), "𠀀" * 15),  # astral characters count two UTF-16 units each
        ("a" * 30 + "'b", (), "a" * 30),  # no apostrophe left at the end after the cut
        ("History", (), "History~2"),  # Excel reserves this name
        ("V1", ("v1",), "V1~2"),
        ("'''", (), "sheet"),
    ],
)
def test_sheet_names_fit_excel(name: str, taken: tuple[str, ...], expected: str) -> None:
    """Sheet names stay within 31 UTF-16 units, never end in an apostrophe, avoid Excel's
    reserved name and repeat no name."""
    assert xlsx_sheet_name(name, taken) == expected


def test_astral_vehicle_ids_make_a_workbook(book: RouteBook, tmp_path: Path) -> None:
    """Two vehicles whose ids of 20 astral characters differ only at the end (cut off in the
    sheet name) give distinct sheets that XlsxWriter accepts."""
    part = book.streams[0]
    one = part.vehicles.iloc[[0]]
    twins = pd.concat([one.assign(vehicle="𠀀" * 20 + "a"), one.assign(vehicle="𠀀" * 20 + "b")])
    renamed = dataclasses.replace(part, vehicles=twins.reset_index(drop=True))
    path = write_book_xlsx(dataclasses.replace(book, streams=(renamed,)), tmp_path / "r.xlsx")
    stem = "kitchen 03-02 " + "𠀀" * 8  # 31 UTF-16 units at most
    assert load_workbook(path).sheetnames[1:] == [stem, stem[:-1] + "~2"]
