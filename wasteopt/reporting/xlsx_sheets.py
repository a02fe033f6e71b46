"""Route sheets as an Excel workbook: a summary sheet, then one printable sheet per vehicle.

Written with XlsxWriter (two to three times less CPU than openpyxl took): the cell formats are
made once per workbook, the table is turned into cell values column by column (each column
typed once: all numbers, all text, or mixed) and written down the columns.

Every text goes through ``write_string``, never ``write``'s guessing: text that a spreadsheet
would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR,
:data:`wasteopt.files.FORMULA_START`) is stored as text with Excel's quote-prefix mark, the
workbook form of OWASP's leading ``'``: the name shows exactly as written and is never
evaluated, not even after editing the cell. Numbers stay numbers; missing values stay empty.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from wasteopt.files import FORMULA_START, atomic_path
from wasteopt.reporting.route_table import (
    HEADINGS,
    KIND_LABELS,
    SUMMARY_COLUMNS,
    TOTAL_LABEL,
    VEHICLE_COLUMNS,
    summary_rows,
    vehicle_title,
    vehicle_total,
)
from wasteopt.reporting.stamps import document_time

__all__ = ["write_xlsx", "xlsx_sheet_name"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_UNITS = 31  # Excel's limit, counted in UTF-16 code units
_RESERVED_SHEET_NAMES = ("history",)  # Excel refuses a sheet of this name


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit_sheet_name(text: str, units: int) -> str:
    """``text`` cut to at most ``units`` UTF-16 units, without an apostrophe at either end."""
    while _utf16_units(text) > units:
        text = text[:-1]
    return text.strip("'")


def xlsx_sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name: no ``[]:*?/\\``, no leading/trailing apostrophe,
    at most 31 UTF-16 units, not equal (case-insensitively) to any name in ``taken``."""
    clean = _fit_sheet_name(_BAD_SHEET_CHARS.sub("_", name).strip("'"), _SHEET_NAME_UNITS)
    clean = clean or "sheet"
    used = {t.lower() for t in taken} | set(_RESERVED_SHEET_NAMES)
    k = 2
    candidate = clean
    while candidate.lower() in used:
        suffix = f"~{k}"
        candidate = (_fit_sheet_name(clean, _SHEET_NAME_UNITS - len(suffix)) or "sheet") + suffix
        k += 1
    return candidate


CellValue = str | int | float | bool | None
Style = tuple[Format | None, Format]
"""A cell style as (format for plain text and numbers, the same with the quote-prefix mark)."""


class _Styles:
    """The workbook's cell formats, each made once (XlsxWriter shares them by reference)."""

    def __init__(self, wb: Workbook) -> None:
        def style(props: dict[str, Any]) -> Style:
            plain = wb.add_format(props) if props else None  # no format: Excel's default
            return plain, wb.add_format({**props, "quote_prefix": True})

        self.plain = style({})
        self.bold = style({"bold": True})
        self.summary_title = style({"bold": True, "font_size": 13})
        self.vehicle_title = style({"bold": True, "font_size": 12})
        # (plain, total row) number formats of the summary's km and hours
        self.decimals = (
            wb.add_format({"num_format": "0.00"}),
            wb.add_format({"num_format": "0.00", "bold": True}),
        )
        self.heading = style(
            {
                "bold": True,
                "pattern": 1,
                "bg_color": "#DDE6F0",
                "text_wrap": True,
                "valign": "vcenter",
            }
        )


def _put(ws: Worksheet, row: int, col: int, value: CellValue, style: Style) -> None:
    """Write one cell (0-based): text as text (formula-like text quote-prefixed, see module
    doc), numbers as numbers; an empty cell only when it carries a format."""
    if value is None or value == "":
        if style[0] is not None:
            ws.write_blank(row, col, None, style[0])
    elif isinstance(value, str):
        ws.write_string(row, col, value, style[1] if value.startswith(FORMULA_START) else style[0])
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, style[0])
    else:
        ws.write_number(row, col, value, style[0])


def _cell(value: object) -> CellValue:
    """A table value as Excel stores it: missing values empty, numpy scalars as Python ones.

    A float that is not finite is empty too: Excel has no such number, and XlsxWriter would
    write it as an error formula."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a route sheet cell cannot hold {type(value).__name__}: {value!r}")


@dataclass(frozen=True)
class _Column:
    """One table column as cell values, and whether they are all numbers or all text (the
    common cases, written without a type test per cell) or a mix (empty cells included)."""

    values: list[CellValue]
    kind: Literal["number", "text", "mixed"]


def _column(col: pd.Series) -> _Column:
    """``col`` as cell values, typed once for the whole column where its dtype allows."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        numbers = col.to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(numbers).all():
            return _Column(numbers.tolist(), "number")
    values = [_cell(v) for v in col.tolist()]
    text = all(isinstance(v, str) for v in values)
    return _Column(values, "text" if text else "mixed")


def _columns(frame: pd.DataFrame) -> list[_Column]:
    return [_column(frame[c]) for c in frame.columns]


_ROUNDED = ("wait_min", "service_min", "leg_km", "cum_km", "elapsed_h")


def _display_columns(sheet: pd.DataFrame) -> list[_Column]:
    """:data:`VEHICLE_COLUMNS` of the whole route sheet as drivers read them (kinds labelled,
    minutes, km and hours to 2 decimals), the same values as
    :func:`wasteopt.reporting.route_table.display_rows`, computed column by column."""
    shown = sheet.loc[:, list(VEHICLE_COLUMNS)]
    shown["kind"] = [KIND_LABELS.get(k, k) for k in shown["kind"].tolist()]
    for c in _ROUNDED:
        # Python's round, as display_rows uses (numpy's rounds some halves the other way).
        shown[c] = [round(v, 2) for v in shown[c].astype(float).tolist()]
    return _columns(shown)


def _write_column(
    ws: Worksheet, first_row: int, col: int, values: Sequence[CellValue], kind: str, style: Style
) -> None:
    """Write ``values`` down column ``col`` from ``first_row`` (0-based), as :func:`_put`."""
    plain, quoted = style
    if kind == "number":
        for r, v in enumerate(values, first_row):
            ws.write_number(r, col, v, plain)
    elif kind == "text":
        for r, t in enumerate(cast(Sequence[str], values), first_row):
            if t:  # "" stays an empty cell, as _put leaves it (plain text has no format)
                ws.write_string(r, col, t, quoted if t.startswith(FORMULA_START) else plain)
    else:
        for r, v in enumerate(values, first_row):
            _put(ws, r, col, v, style)


def _rows(
    ws: Worksheet,
    header: Sequence[str],
    columns: Sequence[_Column],
    positions: np.ndarray,
    start_row: int,
    styles: _Styles,
) -> int:
    """Write a shaded bold heading at ``start_row`` (0-based) and, below it, the rows at
    ``positions`` (ascending) of ``columns``; return the row after the last one written.

    Column by column: XlsxWriter (outside its constant_memory mode) takes cells in any order."""
    for j, h in enumerate(header):
        _put(ws, start_row, j, h, styles.heading)
    n = len(positions)
    whole = n == 0 or int(positions[-1]) - int(positions[0]) + 1 == n
    a = int(positions[0]) if n else 0
    picks = positions.tolist()
    for j, col in enumerate(columns):
        vals = col.values[a : a + n] if whole else [col.values[i] for i in picks]
        _write_column(ws, start_row + 1, j, vals, col.kind, styles.plain)
    return start_row + 1 + n


_SUMMARY_WIDTHS = (10, 14, 14, 28, 12, 7, 7, 6, 6, 8, 11, 11, 10, 8)


def _summary_sheet(
    ws: Worksheet, summary: pd.DataFrame, title: str, notes: Sequence[str], styles: _Styles
) -> None:
    """The first sheet: title, notes, one row per vehicle shift and the bold total row."""
    head = len(notes) + 2
    ws.freeze_panes(head + 1, 0)
    _widths(ws, _SUMMARY_WIDTHS)
    _put(ws, 0, 0, title, styles.summary_title)
    for k, note in enumerate(notes, start=1):
        _put(ws, k, 0, note, styles.plain)
    columns = _columns(summary.loc[:, list(SUMMARY_COLUMNS)])
    n = len(summary)
    end = _rows(ws, SUMMARY_COLUMNS, columns, np.arange(max(n - 1, 0)), head, styles)
    if n:  # the total row of route_sheet_summary, in bold
        for j, col in enumerate(columns):
            _put(ws, end, j, col.values[n - 1], styles.bold)
    # km and hours show two decimals (the cells keep every digit of the checker's figures).
    for c in ("km", "hours"):
        j = SUMMARY_COLUMNS.index(c)
        for r, v in enumerate(columns[j].values, start=head + 1):
            if isinstance(v, int | float):
                ws.write_number(r, j, v, styles.decimals[r == end])
    ws.set_landscape()
    _print_setup(ws, heading_row=head)


def _print_setup(ws: Worksheet, *, heading_row: int) -> None:
    """A4, one page wide and as many tall as it takes, the table heading (0-based row) on
    every printed page and "page x of y" in the footer."""
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(heading_row)
    ws.set_footer("&C第 &P/&N 页 Page &P of &N")


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)


_VEHICLE_WIDTHS = (5, 6, 12, 16, 30, 8, 8, 8, 8, 9, 9, 10, 10, 8, 8, 7)
_VEHICLE_HEADER = tuple(HEADINGS[c] for c in VEHICLE_COLUMNS)


def _vehicle_sheet(
    vs: Worksheet,
    g: pd.DataFrame,
    srow: pd.Series,
    columns: Sequence[_Column],
    positions: np.ndarray,
    styles: _Styles,
) -> None:
    """One vehicle's sheet: heading, totals line, its rows (``positions`` of ``columns``) in
    driving order, a total row, and landscape printing one page wide with gridlines."""
    vs.freeze_panes(4, 0)
    _widths(vs, _VEHICLE_WIDTHS)
    vs.hide_gridlines(0)  # 0: gridlines on screen and on the printed page
    vs.set_landscape()
    _print_setup(vs, heading_row=3)
    _put(vs, 0, 0, vehicle_title(g, srow), styles.vehicle_title)
    _put(vs, 1, 0, vehicle_total(srow), styles.plain)
    total = _rows(vs, _VEHICLE_HEADER, columns, positions, 3, styles)
    bold = styles.bold
    _put(vs, total, 0, TOTAL_LABEL, bold)
    for col, value in (
        ("expected_kg", int(srow["expected_kg"])),
        ("unload_kg", int(srow["unload_kg"])),
        ("cum_km", float(srow["km"])),
        ("elapsed_h", float(srow["hours"])),
    ):
        _put(vs, total, VEHICLE_COLUMNS.index(col), value, bold)
    _put(vs, total, VEHICLE_COLUMNS.index("id"), f"{int(srow['stops'])} stops", bold)


def write_xlsx(
    sheet: pd.DataFrame, summary: pd.DataFrame, path: Path, title: str, notes: Sequence[str]
) -> Path:
    """Write the summary sheet, then one sheet per vehicle (unique valid names), atomically.

    The document date is :func:`wasteopt.reporting.stamps.document_time` and XlsxWriter dates
    every zip entry 1980-01-01, so with ``SOURCE_DATE_EPOCH`` equal sheets give equal bytes."""
    columns = _display_columns(sheet)
    groups = sheet.groupby("vehicle", sort=False).indices
    by_vehicle = summary_rows(summary)
    with atomic_path(path) as tmp:
        # in_memory: the sheets' XML is built in memory, not in one scratch file per sheet
        # (faster, and no file left behind by a failed write); cells then go in any order.
        wb = Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False})
        wb.set_properties({"created": document_time()})
        styles = _Styles(wb)
        summary_name = xlsx_sheet_name("汇总 Summary")
        _summary_sheet(wb.add_worksheet(summary_name), summary, title, notes, styles)
        taken = [summary_name]
        vehicles = list(pd.unique(sheet["vehicle"]))
        positions = [np.asarray(groups[v]) for v in vehicles]
        # Each vehicle's first row, taken in one go: a take per vehicle costs milliseconds.
        firsts = sheet.iloc[[int(p[0]) for p in positions]]
        for k, (vehicle, pos) in enumerate(zip(vehicles, positions, strict=True)):
            name = xlsx_sheet_name(str(vehicle), taken)
            taken.append(name)
            ws = wb.add_worksheet(name)
            first = firsts.iloc[k : k + 1]
            _vehicle_sheet(ws, first, by_vehicle[str(vehicle)], columns, pos, styles)
        wb.close()
    return path
