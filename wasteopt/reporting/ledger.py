"""The collection ledger (收运台账) as a printable Excel workbook: trips, daily and monthly sheets.

The tables are :mod:`wasteopt.simulation.ledger`'s (one row per trip and day, and the roll-ups);
their CSV copies are written with the other simulation tables. Here each becomes a sheet with
bilingual headers, real numbers, real dates and date-times (shown ``mm-dd hh:mm``: a shift may
pass midnight), the header row repeated on every printed page, A4 landscape one page wide,
and the title and page x/y in the print header and footer.

Every text goes through ``write_string`` (never a formula); a text that a spreadsheet would
take for one (:data:`wasteopt.files.FORMULA_START`) also gets Excel's quote-prefix mark.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from wasteopt.files import FORMULA_START, atomic_path
from wasteopt.reporting.stamps import document_time
from wasteopt.scenario.model import Scenario
from wasteopt.simulation import SimulationResult

__all__ = ["LEDGER_SHEETS", "write_ledger_xlsx"]

Column = tuple[str, str, str, float]
"""``(table column, header, kind, width)``; kind: text, wrap (text wrapped in the column),
int, t (tonnes), bool, date, month, time (date-time)."""

TRIP_SHEET: tuple[Column, ...] = (
    ("date", "日期 Date", "date", 11),
    ("stream", "类别 Stream", "text", 14),
    ("vehicle", "车辆 Vehicle", "text", 16),
    ("trip", "趟次 Trip", "int", 6),
    ("unplanned", "计划外 Unplanned", "bool", 9),
    ("points_served", "点数 Points", "int", 7),
    ("point_ids", "收集点 Points served", "wrap", 30),
    ("destination", "去向 Destination", "text", 15),
    ("t", "吨 t", "t", 8),
    ("depart", "出发 Depart", "time", 12),
    ("arrive", "到达 Arrive", "time", 12),
    ("unloaded", "卸毕 Unloaded", "time", 12),
)
DAILY_SHEET: tuple[Column, ...] = (
    ("date", "日期 Date", "date", 11),
    ("stream", "类别 Stream", "text", 14),
    ("vehicles", "车辆 Vehicles", "int", 10),
    ("trips", "趟数 Trips", "int", 9),
    ("unplanned_trips", "计划外趟数 Unplanned trips", "int", 13),
    ("points_served", "收集点 Points served", "int", 12),
    ("t", "吨 t", "t", 10),
)
MONTHLY_SHEET: tuple[Column, ...] = (
    ("month", "月份 Month", "month", 10),
    ("stream", "类别 Stream", "text", 14),
    ("days", "天数 Days", "int", 8),
    ("vehicle_days", "车日 Vehicle-days", "int", 11),
    ("trips", "趟数 Trips", "int", 9),
    ("unplanned_trips", "计划外趟数 Unplanned trips", "int", 13),
    ("t", "吨 t", "t", 11),
    ("t_per_day", "吨/日 t/day", "t", 11),
)
LEDGER_SHEETS = ("收运台账 Trips", "日汇总 Daily", "月汇总 Monthly")
"""The workbook's sheet names, in order."""

_NUMBER_FORMATS = {
    "int": "0",
    "t": "#,##0.000",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "time": "mm-dd hh:mm",  # with the day: a shift may pass midnight
}


class _Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.header.set_bottom(1)
        self.text = wb.add_format({"valign": "top"})
        self.quoted = wb.add_format({"valign": "top", "quote_prefix": True})
        self.wrap = wb.add_format({"valign": "top", "text_wrap": True})
        self.wrap_quoted = wb.add_format({"valign": "top", "text_wrap": True, "quote_prefix": True})
        self.kind = {
            k: wb.add_format({"num_format": f, "valign": "top"}) for k, f in _NUMBER_FORMATS.items()
        }


def _put(ws: Worksheet, row: int, col: int, value: Any, kind: str, fm: _Formats) -> None:
    """One cell of ``kind``; missing values stay empty."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None)
    elif kind in ("date", "month", "time"):
        ws.write_datetime(row, col, _datetime(value), fm.kind[kind])
    elif kind == "bool":
        ws.write_boolean(row, col, bool(value))
    elif kind in ("int", "t"):
        ws.write_number(row, col, float(value), fm.kind[kind])
    else:
        text = str(value)
        quoted = text.startswith(FORMULA_START)
        if kind == "wrap":
            ws.write_string(row, col, text, fm.wrap_quoted if quoted else fm.wrap)
        else:
            ws.write_string(row, col, text, fm.quoted if quoted else fm.text)


def _datetime(value: Any) -> dt.datetime:
    """A date or date-time of the tables as a naive :class:`datetime.datetime`."""
    if isinstance(value, pd.Timestamp):
        out: dt.datetime = value.to_pydatetime()
        return out
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _sheet(
    wb: Workbook,
    name: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    title: str,
    fm: _Formats,
) -> None:
    """One printable sheet: the header row (repeated on each page), then a row per record."""
    ws = wb.add_worksheet(name)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as it takes
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header(f"&L{_header_text(title)}&R{_header_text(name)}")
    ws.set_footer("&C&P / &N")
    ws.freeze_panes(1, 0)
    for col, (_, header, _, width) in enumerate(columns):
        ws.set_column(col, col, width)
        ws.write_string(0, col, header, fm.header)
    data = [frame[c].tolist() if c in frame else [None] * len(frame) for c, *_ in columns]
    for r, values in enumerate(zip(*data, strict=True), start=1):
        for col, (value, (_, _, kind, _)) in enumerate(zip(values, columns, strict=True)):
            _put(ws, r, col, value, kind, fm)
    ws.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)


def _header_text(text: str) -> str:
    """``text`` safe in a print header: ``&`` doubled (it starts a control code there)."""
    return text.replace("&", "&&")


def write_ledger_xlsx(
    result: SimulationResult, path: str | os.PathLike[str], *, scenario: Scenario | None = None
) -> Path:
    """Write ``result``'s ledger, daily and monthly roll-ups as the sheets
    :data:`LEDGER_SHEETS` of one workbook at ``path``, atomically; with ``scenario`` (the one
    simulated) the title names it and each stream shows its Chinese name beside its id. The
    document date is :func:`wasteopt.reporting.stamps.document_time`, so with
    ``SOURCE_DATE_EPOCH`` equal ledgers give equal bytes."""
    names: dict[str, str] = {}
    title = f"{result.scenario}/{result.variant} 收运台账 collection ledger"
    if scenario is not None:
        names = {st.id: f"{st.name_zh} {st.id}".strip() for st in scenario.streams}
        title = f"{scenario.name} — {result.variant} 收运台账 collection ledger"
    tables = (
        (result.ledger, TRIP_SHEET),
        (result.ledger_daily(), DAILY_SHEET),
        (result.ledger_monthly(), MONTHLY_SHEET),
    )
    target = Path(path)
    with atomic_path(target) as tmp:
        wb = Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False})
        wb.set_properties({"created": document_time(), "title": title})
        fm = _Formats(wb)
        for name, (frame, columns) in zip(LEDGER_SHEETS, tables, strict=True):
            shown = frame.assign(stream=frame["stream"].map(lambda s: names.get(s, s)))
            _sheet(wb, name, shown, columns, title, fm)
        wb.close()
    return target
