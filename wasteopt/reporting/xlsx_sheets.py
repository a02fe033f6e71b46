"""Route sheets as an Excel workbook: a summary sheet, then one printable sheet per vehicle.

Every cell is written through :func:`_put`: text that a spreadsheet would take for a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or CR, :data:`wasteopt.files.FORMULA_START`) is
stored as text with Excel's quote-prefix mark, the workbook form of OWASP's leading ``'``: the
name shows exactly as written and is never evaluated, not even after editing the cell. Numbers
stay numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring

from wasteopt.files import FORMULA_START, atomic_path
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
from wasteopt.reporting.stamps import document_time

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
        c = _put(ws, start_row, j, h)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    r = start_row
    for r, row in enumerate(rows, start=start_row + 1):
        for j, value in enumerate(row, start=1):
            _put(ws, r, j, _cell(value))
    return r


CellValue = str | int | float | bool | None


def _put(ws: Worksheet, row: int, column: int, value: CellValue) -> Cell:
    """Write one cell; formula-like text is kept as quote-prefixed text (see module doc)."""
    c = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        c.data_type = "s"  # openpyxl made a leading "=" a formula
        c.quotePrefix = True
    return c


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
    _put(ws, 1, 1, title).font = Font(bold=True, size=13)
    for k, note in enumerate(notes, start=2):
        _put(ws, k, 1, note)
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
    _put(vs, 1, 1, vehicle_title(g, srow)).font = Font(bold=True, size=12)
    _put(vs, 2, 1, vehicle_total(srow))
    last = _xlsx_rows(vs, [HEADINGS[c] for c in VEHICLE_COLUMNS], display_rows(g), 4)
    total_row = last + 1
    _put(vs, total_row, 1, TOTAL_LABEL).font = Font(bold=True)
    for col, value in (
        ("expected_kg", int(srow["expected_kg"])),
        ("unload_kg", int(srow["unload_kg"])),
        ("cum_km", float(srow["km"])),
        ("elapsed_h", float(srow["hours"])),
    ):
        _put(vs, total_row, VEHICLE_COLUMNS.index(col) + 1, value).font = Font(bold=True)
    stops = _put(vs, total_row, VEHICLE_COLUMNS.index("id") + 1, f"{int(srow['stops'])} stops")
    stops.font = Font(bold=True)
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
        _save_stamped(wb, tmp, document_time())
    return path


_ZIP_EPOCH = dt.datetime(1980, 1, 1)  # the earliest time a zip entry can carry


def _save_stamped(wb: Workbook, path: Path, when: dt.datetime) -> None:
    """``wb.save(path)`` with ``when`` instead of the clock in the document properties and on
    every zip entry (openpyxl stamps both with the current time), so that with
    ``SOURCE_DATE_EPOCH`` equal sheets give equal bytes."""
    raw = io.BytesIO()
    wb.save(raw)
    stamp = when.astimezone(dt.UTC).replace(tzinfo=None)  # openpyxl reads naive times as UTC
    wb.properties.created = wb.properties.modified = stamp
    core = tostring(wb.properties.to_tree())
    entry_time = max(stamp, _ZIP_EPOCH).timetuple()[:6]
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=entry_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = item.external_attr
            dst.writestr(entry, core if item.filename == ARC_CORE else src.read(item))
