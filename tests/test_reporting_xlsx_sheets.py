"""Tests for wasteopt.reporting.xlsx_sheets (with wasteopt.files): names that a spreadsheet
would take for formulas reach the route sheets as text, never as formulas (issue 13); the
XlsxWriter workbook keeps the route sheet's values and layout, its dates and valid sheet names."""

from __future__ import annotations

import csv
import math
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from wasteopt.cli import main
from wasteopt.files import FORMULA_START
from wasteopt.reporting.route_table import (
    HEADINGS,
    SHEET_COLUMNS,
    SUMMARY_COLUMNS,
    TOTAL_LABEL,
    VEHICLE_COLUMNS,
    display_rows,
    route_sheet_summary,
)
from wasteopt.reporting.xlsx_sheets import write_xlsx, xlsx_sheet_name

FORMULA = '=HYPERLINK("http://evil.example","点2")'
NAMES = {("points.csv", "P2"): FORMULA, ("vehicle_types.csv", "VT-KIT"): "-厨余收集车"}


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


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path) -> Path:
    """The kitchen route sheets of day 0 of the tiny scenario with two formula-like names."""
    tmp = tmp_path_factory.mktemp("formula")
    shutil.copytree(tiny_dir, tmp / "scenario")
    _rename(tmp / "scenario")
    argv = ["route", str(tmp / "scenario"), "--stream", "kitchen", "--iterations", "20"]
    assert main([*argv, "--workers", "1", "--out", str(tmp / "out")]) == 0
    return tmp / "out" / "sheets"


def test_csv_sheet_prefixes_formula_names(sheets: Path) -> None:
    """The CSV route sheet shows both names with a leading quote and no cell starts a formula;
    negative numbers stay numbers."""
    with (sheets / "routes_kitchen.csv").open(encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert "'" + FORMULA in cells and "'-厨余收集车" in cells
    text = [c for c in cells if c and not _is_number(c)]
    assert not [c for c in text if c.startswith(("=", "+", "-", "@"))]


def test_xlsx_sheet_keeps_formula_names_as_quoted_text(sheets: Path) -> None:
    """In the workbook the names are text cells marked quote-prefixed, shown exactly as
    written; no cell of any sheet is a formula."""
    wb = load_workbook(sheets / "routes_kitchen.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    named = [c for c in cells if c.value in NAMES.values()]
    assert {c.value for c in named} == set(NAMES.values())
    assert all(c.data_type == "s" and c.quotePrefix for c in named)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- the writer on a hand-made route sheet (no routing: fast) -----------------------------------

EPOCH = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def _visit(vehicle: str, seq: int, kind: str, name: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "stream": "kitchen",
        "vehicle": vehicle,
        "vehicle_type": "VT-KIT",
        "vehicle_type_name": "+厨余车",
        "depot": "D1",
        "trip": 1,
        "seq": seq,
        "kind": kind,
        "id": f"P{seq}",
        "name": name,
        "lon": 119.5,
        "lat": 31.7,
        "arrival": "06:00",
        "start": "06:00",
        "departure": "06:05",
        "wait_min": 0.0,
        "service_min": 5.0,
        "expected_kg": 0,
        "unload_kg": 0,
        "load_after_kg": 0,
        "leg_km": 1.0,
        "cum_km": 1.0,
        "elapsed_h": 0.5,
        "arrival_s": 21600 + 600 * seq,
        "start_s": 21600 + 600 * seq,
        "departure_s": 21900 + 600 * seq,
        "leg_m": 1000,
    }
    row.update(values)
    return row


def _hand_sheet() -> pd.DataFrame:
    """Two vehicles (one named like a formula) with formula-like names, a missing trip, a NaN
    minute and values that round on a half."""
    rows = [
        _visit("V1", 0, "depart", "车场", trip=None),
        _visit("V1", 1, "stop", "=SUM(A1:A9)", expected_kg=120, load_after_kg=120),
        _visit("V1", 2, "stop", "@点", expected_kg=80, load_after_kg=200, wait_min=math.nan),
        _visit("V1", 3, "stop", "\t点3", expected_kg=5, load_after_kg=205, leg_km=2.675),
        _visit("V1", 4, "unload", "-站", unload_kg=205, cum_km=1.005),
        _visit("V1", 5, "return", "车场", trip=None, elapsed_h=2.0),
        _visit("=V2", 0, "depart", "车场", trip=None),
        _visit("=V2", 1, "stop", "点", expected_kg=-3, load_after_kg=-3),
        _visit("=V2", 2, "return", "车场", trip=None, unload_kg=-3),
    ]
    frame = pd.DataFrame(rows, columns=list(SHEET_COLUMNS))
    frame["trip"] = frame["trip"].astype("Int64")
    return frame


@pytest.fixture
def hand_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, Path]:
    """The hand-made sheet written to a workbook with SOURCE_DATE_EPOCH set."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    sheet = _hand_sheet()
    path = tmp_path / "routes.xlsx"
    write_xlsx(sheet, route_sheet_summary(sheet), path, "=title", ["-note", "plain note"])
    return sheet, path


def test_every_formula_like_text_is_quoted_text_and_numbers_stay_numbers(
    hand_book: tuple[pd.DataFrame, Path],
) -> None:
    """Title, notes, names, type names and the vehicle id that start like a formula are quoted
    text cells in every sheet; no cell is a formula; negative kg stay numbers."""
    _, path = hand_book
    wb = load_workbook(path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c for c in cells if isinstance(c.value, str)]
    risky = [c for c in texts if c.value.startswith(FORMULA_START)]
    assert {c.value for c in risky} >= {"=title", "-note", "=SUM(A1:A9)", "@点", "\t点3", "-站"}
    assert {"+厨余车", "=V2"} <= {c.value for c in risky}
    assert all(c.quotePrefix for c in risky)
    assert not [c.coordinate for c in texts if c.quotePrefix and c not in risky]
    assert -3 in [c.value for c in cells if c.data_type == "n"]


def test_vehicle_sheets_hold_the_display_rows_and_the_layout(
    hand_book: tuple[pd.DataFrame, Path],
) -> None:
    """Each vehicle sheet holds display_rows of its vehicle (missing values empty), a bold total
    row, the shaded heading, frozen panes, widths and landscape one-page-wide gridded print."""
    sheet, path = hand_book
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总 Summary", "V1", "=V2"]
    for name, (_, g) in zip(wb.sheetnames[1:], sheet.groupby("vehicle", sort=False), strict=True):
        ws = wb[name]
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        want = [[None if pd.isna(v) else v for v in row] for row in display_rows(g)]
        assert grid[4 : 4 + len(g)] == want
        assert grid[3] == [HEADINGS[c] for c in VEHICLE_COLUMNS]
        assert ws.cell(4, 1).font.b and ws.cell(4, 1).fill.fgColor.rgb.endswith("DDE6F0")
        total = ws[4 + len(g) + 1]
        assert total[0].value == TOTAL_LABEL and all(c.font.b for c in total if c.value)
        assert ws.freeze_panes == "A5" and ws.column_dimensions["E"].width > 30
        assert ws.print_options.gridLines and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert ws.page_setup.paperSize == 9 and ws.print_title_rows == "$4:$4"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    v1 = wb["V1"]
    assert v1["N8"].value == 2.67  # Python's round of 2.675 (numpy's gives 2.68)
    assert v1["I7"].value is None and v1["B5"].value is None  # NaN minutes, missing trip
    summary = wb["汇总 Summary"]
    assert summary["A1"].value == "=title" and summary["A1"].font.b
    assert summary.freeze_panes == "A6"  # title, two notes, a blank row, then the heading
    assert [c.value for c in summary[5]][:2] == ["stream", "vehicle"]
    assert summary["B8"].value == TOTAL_LABEL and all(c.font.b for c in summary[8])
    hours = [summary.cell(r, SUMMARY_COLUMNS.index("hours") + 1) for r in (6, 7, 8)]
    assert all(isinstance(c.value, float) and c.number_format == "0.00" for c in hours)
    assert summary.page_setup.paperSize == 9 and summary.print_title_rows == "$5:$5"


def test_dates_come_from_source_date_epoch_only(hand_book: tuple[pd.DataFrame, Path]) -> None:
    """The document date is SOURCE_DATE_EPOCH and every zip entry carries the same fixed date,
    so no clock reading reaches the bytes."""
    _, path = hand_book
    assert str(load_workbook(path).properties.created) == "2023-11-14 22:13:20"
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_cell_the_writer_cannot_hold_leaves_no_file(tmp_path: Path) -> None:
    """A cell of an unknown type raises TypeError naming it, and neither the workbook nor a
    temporary file is left behind."""
    sheet = _hand_sheet()
    sheet["name"] = sheet["name"].astype(object)
    sheet.at[1, "name"] = ["not", "a", "cell"]
    with pytest.raises(TypeError, match="cannot hold list"):
        write_xlsx(sheet, route_sheet_summary(sheet), tmp_path / "r.xlsx", "t", [])
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


def test_astral_vehicle_ids_make_a_workbook(tmp_path: Path) -> None:
    """Vehicle ids of 20 astral characters differing only at the end give distinct sheets that
    XlsxWriter accepts."""
    sheet = _hand_sheet()
    sheet["vehicle"] = sheet["vehicle"].map({"V1": "𠀀" * 20 + "a", "=V2": "𠀀" * 20 + "b"})
    path = write_xlsx(sheet, route_sheet_summary(sheet), tmp_path / "r.xlsx", "t", [])
    assert load_workbook(path).sheetnames[1:] == ["𠀀" * 15, "𠀀" * 14 + "~2"]
