"""Tests for wasteopt.reporting.xlsx_sheets (with wasteopt.files): names that a spreadsheet
would take for formulas reach the route sheets as text, never as formulas (issue 13)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from wasteopt.cli import main

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
