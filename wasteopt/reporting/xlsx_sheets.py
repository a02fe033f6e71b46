"""Route sheets as an Excel workbook: a summary sheet, then one printable sheet per vehicle."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from wasteopt.files import atomic_path
from wasteopt.reporting.route_table import (
    HEADINGS,
    SUMMARY_COLUMNS,
    TOTAL_LABEL,
    VEHICLE_COLUMNS,
    display_rows,
    summary_rows,
    vehicle_title,
    vehicle_total,
)

__all__ = ["write_xlsx", "xlsx_sheet_name"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


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


def _xlsx_rows(
    ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]], start_row: int
) -> int:
    """Write a shaded bold heading at ``start_row`` and the rows below; return the last row."""
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


CellValue = str | int | float | bool | None


def _cell(value: object) -> CellValue:
    """A table value as Excel stores it: missing values empty, numpy scalars as Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        item: CellValue = value.item()
        return item
    if isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a route sheet cell cannot hold {type(value).__name__}: {value!r}")


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _summary_sheet(ws: Worksheet, summary: pd.DataFrame, title: str, notes: Sequence[str]) -> None:
    """The first sheet: title, notes, one row per vehicle shift and the bold total row."""
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
    ws.freeze_panes = ws.cell(row=hdr + 1, column=1).coordinate
    _widths(ws, [10, 14, 14, 28, 12, 7, 7, 6, 6, 8, 11, 11, 10, 8])


_VEHICLE_WIDTHS = (5, 6, 12, 16, 30, 8, 8, 8, 8, 9, 9, 10, 10, 8, 8, 7)


def _vehicle_sheet(vs: Worksheet, g: pd.DataFrame, srow: pd.Series) -> None:
    """One vehicle's sheet: heading, totals line, its rows in driving order, a total row, and
    landscape printing one page wide."""
    vs.cell(row=1, column=1, value=vehicle_title(g, srow)).font = Font(bold=True, size=12)
    vs.cell(row=2, column=1, value=vehicle_total(srow))
    last = _xlsx_rows(vs, [HEADINGS[c] for c in VEHICLE_COLUMNS], display_rows(g), 4)
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
    vs.freeze_panes = vs.cell(row=5, column=1).coordinate
    _widths(vs, _VEHICLE_WIDTHS)
    vs.print_options.gridLines = True
    vs.page_setup.orientation = "landscape"
    vs.page_setup.fitToWidth = 1
    fit = vs.sheet_properties.pageSetUpPr or PageSetupProperties()
    fit.fitToPage = True
    vs.sheet_properties.pageSetUpPr = fit
    vs.page_setup.fitToHeight = 0


def write_xlsx(
    sheet: pd.DataFrame, summary: pd.DataFrame, path: Path, title: str, notes: Sequence[str]
) -> Path:
    """Write the summary sheet, then one sheet per vehicle (unique valid names), atomically."""
    wb = Workbook()
    ws = wb.active
    if not isinstance(ws, Worksheet):  # a new workbook always has one worksheet
        raise TypeError("openpyxl returned no active worksheet")
    _summary_sheet(ws, summary, title, notes)
    taken = [ws.title]
    by_vehicle = summary_rows(summary)
    for vehicle, g in sheet.groupby("vehicle", sort=False):
        name = xlsx_sheet_name(str(vehicle), taken)
        taken.append(name)
        _vehicle_sheet(wb.create_sheet(name), g, by_vehicle[str(vehicle)])
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
