"""The route book as an Excel workbook: a summary sheet (a table per depot and the list of
vehicle-days, each linked to its sheet), then one printable sheet per vehicle-day.

Cells hold what they mean: dates as Excel dates, times as Excel times (``[hh]:mm``, so a night
shift's 25:10 stays 25:10 and sums as time), kg, t, km and hours as numbers shown rounded
(``#,##0``, ``0.0``), coordinates as numbers; headings are bilingual (中文 over English). Each
sheet prints on A4 one page wide, with its heading rows repeated on every page and "page x of
y" in the footer; a vehicle-day sheet has the driver and plate fields, an actual-weight
column the total row sums by formula, a sign-off column and the signature lines. Text follows
:mod:`wasteopt.reporting.xlsx_sheets`: written by ``write_string``, and quote-prefixed (never
evaluated) wherever a name or id could start it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from wasteopt.files import FORMULA_START, atomic_path
from wasteopt.reporting.route_book_data import RouteBook, StreamBook, day_label
from wasteopt.reporting.route_table import NEXT_DAY_NOTE
from wasteopt.reporting.stamps import document_time
from wasteopt.reporting.xlsx_sheets import xlsx_sheet_name

__all__ = ["FORM_HEADINGS", "TIME_FORMAT", "write_book_xlsx"]

TIME_FORMAT = "[hh]:mm"
_DAY_S = 86400.0
_A4 = 9  # Excel's paper code
_SUMMARY = "汇总 Summary"

FORM_HEADINGS: tuple[tuple[str, str, float], ...] = (
    ("seq", "序\n#", 5),
    ("trip", "趟\nTrip", 5),
    ("kind", "类型\nKind", 10),
    ("id", "编号\nID", 14),
    ("name", "名称\nName", 26),
    ("town", "街道\nTown", 11),
    ("x", "经度\nLon", 11),
    ("y", "纬度\nLat", 10),
    ("arrival", "到达\nArrive", 8),
    ("departure", "离开\nLeave", 8),
    ("tw_start", "时间窗起\nWindow from", 10),
    ("tw_end", "时间窗止\nWindow to", 10),
    ("planned", "计划 kg\nPlanned", 9),
    ("actual", "实际重量 kg\nActual", 11),
    ("sign", "签收\nSign-off", 11),
)
"""(column, heading, width in characters) of a vehicle-day sheet's table."""
_COL = {c[0]: k for k, c in enumerate(FORM_HEADINGS)}
_KINDS = {
    "depart": "出车 depart",
    "stop": "收集 stop",
    "unload": "卸载 unload",
    "lunch": "午休 lunch",
    "return": "回场 return",
}


class _Formats:
    """Every cell format of the book, made once (XlsxWriter shares them by reference)."""

    def __init__(self, wb: Workbook) -> None:
        def f(**props: Any) -> Format:
            return wb.add_format(props)

        self.title = f(bold=True, font_size=13)
        self.label = f(bold=True)
        self.text = f()
        self.quoted = f(quote_prefix=True)
        self.date = f(num_format="yyyy-mm-dd", align="left")
        self.time = f(num_format=TIME_FORMAT, align="left")
        self.int = f(num_format="#,##0", align="left")
        self.dec = f(num_format="#,##0.0", align="left")
        self.field = f(bottom=1)
        self.heading = f(bold=True, text_wrap=True, valign="vcenter", align="center", border=1,
                         pattern=1, bg_color="#DDE6F0")  # fmt: skip
        self.link = f(font_color="blue", underline=1)
        # Table cells: bordered, plain and shaded (unload and lunch rows), text quote-prefixed
        # when it looks like a formula.
        self.cells: dict[tuple[str, bool], Format] = {}
        kinds: dict[str, dict[str, Any]] = {
            "text": {},
            "int": {"num_format": "#,##0"},
            "time": {"num_format": TIME_FORMAT},
            "coord": {"num_format": "0.00000"},
            "dec": {"num_format": "#,##0.0"},
            "quoted": {"quote_prefix": True},
        }
        for name, props in kinds.items():
            for shaded in (False, True):
                extra: dict[str, Any] = {"pattern": 1, "bg_color": "#ECF0EC"} if shaded else {}
                self.cells[name, shaded] = f(border=1, **props, **extra)
        self.total = f(bold=True, border=1, num_format="#,##0", pattern=1, bg_color="#F0F0F0")
        self.total_quoted = f(bold=True, border=1, quote_prefix=True, pattern=1,
                              bg_color="#F0F0F0")  # fmt: skip
        self.total_dec = f(bold=True, border=1, num_format="#,##0.0", pattern=1,
                           bg_color="#F0F0F0")  # fmt: skip


def _text(ws: Worksheet, r: int, c: int, text: str, fmt: Format, quoted: Format | None) -> None:
    """Text as text: formula-like text with the quote-prefix mark (never evaluated)."""
    if text:
        ws.write_string(r, c, text, quoted if quoted and text.startswith(FORMULA_START) else fmt)
    elif fmt is not None:
        ws.write_blank(r, c, None, fmt)


def _time(ws: Worksheet, r: int, c: int, seconds: float, fmt: Format) -> None:
    """Seconds after midnight as an Excel time (a fraction of a day); blank when NaN."""
    if math.isnan(seconds):
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_number(r, c, seconds / _DAY_S, fmt)


def _date(value: dt.date) -> dt.datetime:
    return dt.datetime(value.year, value.month, value.day)


def _escape(text: str) -> str:
    """Text for a page header or footer, where ``&`` starts a control code."""
    return text.replace("&", "&&")


def _print_setup(ws: Worksheet, *, landscape: bool, repeat_to: int, header: str) -> None:
    """A4, one page wide, narrow margins, heading rows ``0..repeat_to`` on every page, the
    book's name in the page header and "page x of y" in the footer."""
    ws.set_paper(_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
    ws.center_horizontally()
    ws.repeat_rows(0, repeat_to)
    ws.set_header(f"&L{_escape(header)[:200]}", {"margin": 0.3})
    ws.set_footer("&C第 &P/&N 页 Page &P of &N", {"margin": 0.3})


def write_book_xlsx(book: RouteBook, path: Path) -> Path:
    """Write ``book`` as a workbook at ``path`` (atomically). With ``SOURCE_DATE_EPOCH`` set
    the same book gives the same bytes (:func:`wasteopt.reporting.stamps.document_time`)."""
    with atomic_path(path) as tmp:
        wb = Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False})
        wb.set_properties({"created": document_time(), "title": f"收运路线册 {book.variant}"})
        fmt = _Formats(wb)
        summary = wb.add_worksheet(_SUMMARY)
        taken = [_SUMMARY]
        names: list[list[str]] = []
        for part in book.streams:
            names.append([])
            for vd in part.vehicles.itertuples(index=False):
                name = xlsx_sheet_name(f"{part.stream} {vd.date:%m-%d} {vd.vehicle}", taken)
                names[-1].append(name)
                taken.append(name)
        _summary_sheet(summary, book, names, fmt)
        for part, part_names in zip(book.streams, names, strict=True):
            columns = _form_columns(part.rows)
            shaded = part.rows["kind"].isin(["unload", "lunch"]).to_numpy()
            for k, name in enumerate(part_names):
                ws = wb.add_worksheet(name)
                _form_sheet(ws, (book, part), part.vehicles.iloc[k], columns, shaded, fmt)
        wb.close()
    return path


_Column = tuple[list[Any], str]
"""A table column of a book's rows: its values and their cell kind (``text``, ``int``,
``time``, ``coord`` or ``blank``); ``None`` or NaN is an empty cell."""


def _form_columns(rows: pd.DataFrame) -> dict[str, _Column]:
    """The table of every vehicle-day sheet, column by column for the whole book."""
    kind = rows["kind"].to_numpy()
    trip = [
        None if pd.isna(t) or k == "lunch" else int(t)
        for t, k in zip(rows["trip"].tolist(), kind.tolist(), strict=True)
    ]
    planned = np.where(kind == "stop", rows["expected_kg"], rows["unload_kg"]).astype(float)
    planned[planned == 0] = np.nan
    blank: list[Any] = [None] * len(rows)
    return {
        "seq": (rows["seq"].astype(int).tolist(), "int"),
        "trip": (trip, "int"),
        "kind": ([_KINDS.get(k, k) for k in kind.tolist()], "text"),
        "id": ([str(v) for v in rows["id"].tolist()], "text"),
        "name": ([str(v) for v in rows["name"].tolist()], "text"),
        "town": ([str(v) for v in rows["town"].tolist()], "text"),
        "x": (rows["x"].astype(float).tolist(), "coord"),
        "y": (rows["y"].astype(float).tolist(), "coord"),
        "arrival": (rows["arrival_s"].astype(float).tolist(), "time"),
        "departure": (rows["departure_s"].astype(float).tolist(), "time"),
        "tw_start": (rows["tw_start_s"].astype(float).tolist(), "time"),
        "tw_end": (rows["tw_end_s"].astype(float).tolist(), "time"),
        "planned": (planned.tolist(), "int"),
        "actual": (blank, "blank"),
        "sign": (blank, "blank"),
    }


def _write_cells(
    ws: Worksheet,
    first_row: int,
    col: int,
    column: _Column,
    rows: range,
    shaded: np.ndarray,
    fmt: _Formats,
) -> None:
    """Rows ``rows`` of one column down from ``first_row`` (bordered, shaded rows shaded)."""
    values, kind = column
    cells = fmt.cells
    for r, i in enumerate(rows, first_row):
        s = bool(shaded[i])
        v = values[i]
        if kind == "text":
            _text(ws, r, col, v, cells["text", s], cells["quoted", s])
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            ws.write_blank(r, col, None, cells["text", s])
        elif kind == "time":
            ws.write_number(r, col, v / _DAY_S, cells["time", s])
        else:
            ws.write_number(r, col, v, cells[kind, s])


_HEAD_ROWS = 6  # rows above the table heading of a vehicle-day sheet


def _form_sheet(
    ws: Worksheet,
    book_part: tuple[RouteBook, StreamBook],
    vd: pd.Series,
    columns: dict[str, _Column],
    shaded: np.ndarray,
    fmt: _Formats,
) -> None:
    """One vehicle-day: the header block, the table, totals and signature lines; printed
    landscape, one page wide, header block and table heading on every page."""
    book, part = book_part
    for k, (_, _, width) in enumerate(FORM_HEADINGS):
        ws.set_column(k, k, width)
    ws.write_string(0, 0, f"收运路线单 Route sheet · {part.title} · {book.variant}", fmt.title)
    ws.write_string(1, 0, "日期 Date", fmt.label)
    ws.write_datetime(1, 3, _date(vd["date"]), fmt.date)
    weekday = day_label(vd["date"]).split(" ", 1)[1]
    ws.write_string(1, 4, f"{weekday} · {part.cycle_label(int(vd['key']))}", fmt.text)
    ws.write_string(2, 0, "车辆 Vehicle", fmt.label)
    _text(ws, 2, 3, str(vd["vehicle"]), fmt.text, fmt.cells["quoted", False])
    _text(ws, 2, 4, f"{vd['fleet_name']} ({vd['fleet']})", fmt.text, fmt.cells["quoted", False])
    _text(ws, 2, 8, f"车场 Depot {vd['depot']} {vd['depot_name']}", fmt.text, None)
    ws.write_string(3, 0, "司机 Driver", fmt.label)
    ws.merge_range(3, 3, 3, 4, "", fmt.field)
    ws.write_string(3, 5, "车牌 Plate", fmt.label)
    ws.merge_range(3, 6, 3, 7, "", fmt.field)
    ws.write_string(3, 8, "出车 Out", fmt.label)
    _time(ws, 3, 9, float(vd["start_s"]), fmt.time)
    ws.write_string(3, 10, "回场 In", fmt.label)
    _time(ws, 3, 11, float(vd["end_s"]), fmt.time)
    ws.write_string(4, 0, "计划 Plan", fmt.label)
    plan = [
        ("趟 Trips", vd["trips"], fmt.int),
        ("点 Stops", vd["stops"], fmt.int),
        ("kg", vd["kg"], fmt.int),
        ("km", vd["km"], fmt.dec),
        ("h", vd["hours"], fmt.dec),
    ]
    for k, (label, value, f) in enumerate(plan):
        ws.write_string(4, 3 + 2 * k, label, fmt.label)
        ws.write_number(4, 4 + 2 * k, float(value), f)
    if bool(vd["past_midnight"]):
        ws.write_string(5, 0, NEXT_DAY_NOTE, fmt.text)
    head = _HEAD_ROWS
    ws.set_row(head, 30)
    for k, (_, heading, _) in enumerate(FORM_HEADINGS):
        ws.write_string(head, k, heading, fmt.heading)
    first, n = int(vd["first_row"]), int(vd["n_rows"])
    span = range(first, first + n)
    for k, (col, _, _) in enumerate(FORM_HEADINGS):
        _write_cells(ws, head + 1, k, columns[col], span, shaded, fmt)
    _form_total(ws, head + 1, n, vd, fmt)
    ws.freeze_panes(head + 1, 0)
    ws.hide_gridlines(2)  # the table has its own borders
    header = f"{book.variant} · {part.stream} · {vd['vehicle']} · {day_label(vd['date'])}"
    _print_setup(ws, landscape=True, repeat_to=head, header=header)


def _form_total(ws: Worksheet, top: int, n: int, vd: pd.Series, fmt: _Formats) -> None:
    """The total row under the ``n`` table rows from ``top`` (planned kg as a number, actual
    weight as a SUM formula the driver's entries fill), then the signature lines."""
    r = top + n
    for k in range(len(FORM_HEADINGS)):
        ws.write_blank(r, k, None, fmt.total)
    ws.write_string(r, _COL["kind"], "合计 Total", fmt.total)
    ws.write_string(r, _COL["name"], f"{int(vd['stops'])} 点 stops · {int(vd['trips'])} 趟 trips",
                    fmt.total)  # fmt: skip
    ws.write_number(r, _COL["planned"], int(vd["kg"]), fmt.total)
    c = _COL["actual"]
    cells = f"{xl_rowcol_to_cell(top, c)}:{xl_rowcol_to_cell(max(r - 1, top), c)}"
    ws.write_formula(r, c, f"=SUM({cells})", fmt.total, 0)
    s = r + 2
    ws.set_row(s, 24)
    ws.write_string(s, 0, "司机签名 Driver signature", fmt.label)
    ws.merge_range(s, 3, s, 4, "", fmt.field)
    ws.write_string(s, 6, "监督员签名 Supervisor", fmt.label)
    ws.merge_range(s, 8, s, 10, "", fmt.field)
    ws.write_string(s, 11, "日期 Date", fmt.label)
    ws.merge_range(s, 12, s, 13, "", fmt.field)


_SUMMARY_COLUMNS: tuple[tuple[str, float], ...] = (
    ("类别\nStream", 12),
    ("日期\nDate", 11),
    ("星期\nWeekday", 9),
    ("车辆\nVehicles", 18),
    ("趟\nTrips", 7),
    ("点\nStops", 8),
    ("计划 t\nPlanned t", 10),
    ("里程 km\nDistance", 10),
    ("用时 h\nHours", 9),
    ("首发\nFirst out", 9),
    ("末回\nLast in", 9),
    ("车型\nFleet", 26),
    ("工作表\nSheet", 26),
)
"""The summary's columns: the depot tables use the first eleven (vehicles counted), the
vehicle-day list all of them (one vehicle, planned in kg, out and in its own)."""


def _heading_row(ws: Worksheet, r: int, headings: Sequence[str], fmt: _Formats) -> None:
    ws.set_row(r, 30)
    for k, h in enumerate(headings):
        ws.write_string(r, k, h, fmt.heading)


def _summary_sheet(
    ws: Worksheet, book: RouteBook, names: Sequence[Sequence[str]], fmt: _Formats
) -> None:
    """Title, each stream's cycle and the notes; per depot a table of each stream's days with
    a total per stream; then every vehicle-day, linked to its sheet."""
    for k, (_, width) in enumerate(_SUMMARY_COLUMNS):
        ws.set_column(k, k, width)
    ws.write_string(0, 0, f"{book.title} · {book.variant}", fmt.title)
    lines = [f"{p.title}: {p.days_label}, {p.span}; {p.repeats}" for p in book.streams]
    lines += book.notes
    lines += [f"{p.short} {d.label}: {x}" for p in book.streams for d in p.days for x in d.notes]
    for k, line in enumerate(lines, start=1):
        _text(ws, k, 0, line, fmt.text, fmt.quoted)  # a stream's name starts the line
    r = 2 + len(lines)
    headings = [h for h, _ in _SUMMARY_COLUMNS]
    for depot, name in book.depots.items():
        ws.write_string(r, 0, f"车场 Depot {depot} {name}", fmt.label)
        _heading_row(ws, r + 1, headings[:11], fmt)
        r += 2
        for part in book.streams:
            rows = part.depots[part.depots["depot"] == depot]
            if len(rows):
                r = _depot_rows(ws, r, part, rows, fmt) + 1
        r += 1
    ws.write_string(r, 0, "车辆日 Vehicle-days", fmt.label)
    _heading_row(ws, r + 1, [*headings[:3], "车辆\nVehicle", *headings[4:6], "计划 kg\nPlanned kg",
                 *headings[7:]], fmt)  # fmt: skip
    r += 2
    for part, part_names in zip(book.streams, names, strict=True):
        for vd, name in zip(part.vehicles.itertuples(index=False), part_names, strict=True):
            _vehicle_day_row(ws, r, part, vd, name, fmt)
            r += 1
    ws.freeze_panes(1, 0)
    _print_setup(ws, landscape=True, repeat_to=0, header=f"{book.title} · {book.variant}")


def _vehicle_day_row(
    ws: Worksheet, r: int, part: StreamBook, vd: Any, name: str, fmt: _Formats
) -> None:
    """One line of the vehicle-day list, its last cell a link to the vehicle-day's sheet."""
    quoted = fmt.cells["quoted", False]
    _text(ws, r, 0, part.short, fmt.text, fmt.quoted)
    ws.write_datetime(r, 1, _date(vd.date), fmt.date)
    ws.write_string(r, 2, day_label(vd.date).split(" ", 1)[1], fmt.text)
    _text(ws, r, 3, str(vd.vehicle), fmt.text, quoted)
    for c, v in ((4, vd.trips), (5, vd.stops), (6, vd.kg)):
        ws.write_number(r, c, int(v), fmt.int)
    ws.write_number(r, 7, float(vd.km), fmt.dec)
    ws.write_number(r, 8, float(vd.hours), fmt.dec)
    _time(ws, r, 9, float(vd.start_s), fmt.time)
    _time(ws, r, 10, float(vd.end_s), fmt.time)
    _text(ws, r, 11, f"{vd.fleet_name} ({vd.fleet}) · {vd.depot}", fmt.text, quoted)
    quoted_name = name.replace("'", "''")  # a sheet reference doubles its apostrophes
    ws.write_url(r, 12, f"internal:'{quoted_name}'!A1", fmt.link, string=name)


def _depot_rows(ws: Worksheet, r: int, part: StreamBook, rows: pd.DataFrame, fmt: _Formats) -> int:
    """One stream's days at one depot from row ``r`` and their total row; returns the total
    row."""
    d: Any  # a row of DEPOT_DAY_COLUMNS
    for d in rows.itertuples(index=False):
        _text(ws, r, 0, part.short, fmt.text, fmt.quoted)
        ws.write_datetime(r, 1, _date(d.date), fmt.date)
        ws.write_string(r, 2, day_label(d.date).split(" ", 1)[1], fmt.text)
        for c, v in ((3, d.vehicles), (4, d.trips), (5, d.stops)):
            ws.write_number(r, c, int(v), fmt.int)
        for c, v in ((6, d.t), (7, d.km), (8, d.hours)):
            ws.write_number(r, c, float(v), fmt.dec)
        _time(ws, r, 9, float(d.first_out_s), fmt.time)
        _time(ws, r, 10, float(d.last_in_s), fmt.time)
        r += 1
    _text(ws, r, 0, part.short, fmt.total, fmt.total_quoted)
    ws.write_string(r, 1, "合计 Total", fmt.total)
    for c in (2, 9, 10):
        ws.write_blank(r, c, None, fmt.total)
    for c, col in ((3, "vehicles"), (4, "trips"), (5, "stops")):
        ws.write_number(r, c, int(rows[col].sum()), fmt.total)
    for c, col in ((6, "t"), (7, "km"), (8, "hours")):
        ws.write_number(r, c, float(rows[col].sum()), fmt.total_dec)
    return r
