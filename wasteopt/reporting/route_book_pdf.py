"""The route book as a printable PDF: portrait A4, a cover page per depot, then one form per
vehicle-day, streams in scenario order (:mod:`wasteopt.reporting.route_book_data`).

Every text is at least :data:`MIN_PT` (9 pt) in the embedded CJK font. A form's header (stream,
date and weekday, cycle day, vehicle, fleet, depot, driver and plate fields, planned shift and
totals) and the table heading repeat on each of its pages; rows are :data:`ROW_MM` high, room
to write a weight in. The last page of a form closes with the totals and the driver's and
supervisor's signature lines. Pages are laid out before anything is drawn, so each page can
say "page x of y" of the whole book and of its form. Portrait, because it holds about 42
rows on one page against about 24 in landscape: most vehicle-days then fit on one sheet.
Text is drawn as raw operators (:func:`wasteopt.reporting.pdf_sheets.put_text`): a Jintan
book has hundreds of pages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from fpdf import FPDF

from wasteopt.clock import format_hhmm
from wasteopt.files import atomic_path
from wasteopt.reporting.pdf_sheets import draw_row, open_pdf, put_text, wrap_text
from wasteopt.reporting.route_book_data import RouteBook, StreamBook, day_label
from wasteopt.reporting.route_table import LUNCH_NAME, NEXT_DAY_NOTE

__all__ = ["FORM_COLUMNS", "LEGEND", "MIN_PT", "ROW_MM", "form_cells", "paginate", "write_book_pdf"]

MIN_PT = 9.0
"""The smallest type anywhere in the book."""
ROW_MM = 5.0
_TITLE_PT, _LINE_PT = 12.0, 10.0
_MARGIN = 8.0
_PAGE_H = 297.0
_TOP = 9.0
_TITLE_MM, _LINE_MM = 6.5, 5.5
_HEADING_MM = 9.0  # two lines: Chinese over English
_FOOTER_Y = _PAGE_H - 10.0  # top of the page footer line
_TABLE_BOTTOM = _PAGE_H - 13.0
_CLOSING_MM = ROW_MM + 13.0  # totals row, signature line
_NOTE_MM = 4.5
_HEADING_FILL = (221, 230, 240)
_SITE_FILL = (236, 240, 236)
_TOTAL_FILL = (240, 240, 240)

FORM_COLUMNS: tuple[tuple[str, str, str, float, bool], ...] = (
    ("seq", "序", "#", 7, True),
    ("trip", "趟", "Trip", 8.5, True),
    ("kind", "类型", "Kind", 9, False),
    ("id", "编号", "ID", 23, False),
    ("name", "名称", "Name", 40.2, False),
    ("coords", "经度,纬度", "Lon,lat", 31, False),
    ("time", "到达", "Arrive", 11, True),
    ("window", "时间窗", "Window", 19.3, False),
    ("planned", "计划 kg", "Planned", 14, True),
    ("actual", "实际重量", "Actual kg", 16, True),
    ("sign", "签收", "Sign-off", 15, False),
)
"""(key, Chinese heading, English heading, width mm, right-aligned) of a form's table: 194 mm,
the width of portrait A4 inside 8 mm margins. ``time`` is the departure on the depart row and
the planned arrival elsewhere; ``planned`` the expected kg of a stop or the kg unloaded."""
_WIDTHS = tuple(c[3] for c in FORM_COLUMNS)
_RIGHT = tuple(c[4] for c in FORM_COLUMNS)
_KINDS = {"depart": "出车", "stop": "收集", "unload": "卸载", "lunch": "午休", "return": "回场"}
LEGEND = (
    "类型 Kind: 出车 depart · 收集 stop · 卸载 unload · 午休 lunch (不计趟 no trip of its own) "
    "· 回场 return. 时间窗 Window: 收运时段 the point's collection window (stops), 开放时间 "
    "opening hours (unloads), 班次 the shift (depart, return), 午休开始时段 when the break may "
    "start (lunch). 实际重量与签收由司机填写 actual weight and sign-off are filled in by the "
    "driver; 合计 the planned kg collected."
)


def _hhmm(seconds: Sequence[float]) -> list[str]:
    return ["" if math.isnan(s) else format_hhmm(s) for s in seconds]


def _place(name: str, kind: str) -> str:
    """A row's name on the form: a break shows only where it is taken (its kind says 午休)."""
    prefix = f"{LUNCH_NAME} @ "
    return name[len(prefix) :] if kind == "lunch" and name.startswith(prefix) else name


def form_cells(rows: pd.DataFrame) -> list[list[str]]:
    """The text of every form row of ``rows`` (a part's rows) as :data:`FORM_COLUMNS`: kinds
    in Chinese, no trip number on a break, coordinates to 1e-5° (about a metre), windows
    ``HH:MM–HH:MM``, kg with thousands separators; actual weight and sign-off empty."""
    kind = rows["kind"].to_numpy()
    trip = [
        "" if pd.isna(t) or k == "lunch" else str(int(t))
        for t, k in zip(rows["trip"].tolist(), kind.tolist(), strict=True)
    ]
    coords = [
        "" if math.isnan(a) or math.isnan(b) else f"{a:.5f},{b:.5f}"
        for a, b in zip(rows["x"].astype(float).tolist(), rows["y"].astype(float).tolist(),
                        strict=True)
    ]  # fmt: skip
    times = np.where(kind == "depart", rows["departure_s"], rows["arrival_s"]).astype(float)
    start = _hhmm(rows["tw_start_s"].astype(float).tolist())
    end = _hhmm(rows["tw_end_s"].astype(float).tolist())
    planned = np.where(kind == "stop", rows["expected_kg"], rows["unload_kg"]).tolist()
    blank = [""] * len(rows)
    columns = [
        [str(s) for s in rows["seq"].tolist()],
        trip,
        [_KINDS.get(k, k) for k in kind.tolist()],
        [str(i) for i in rows["id"].tolist()],
        [_place(str(n), k) for n, k in zip(rows["name"].tolist(), kind.tolist(), strict=True)],
        coords,
        _hhmm(times.tolist()),
        [f"{a}–{b}" if a else "" for a, b in zip(start, end, strict=True)],
        [f"{int(p):,}" if p else "" for p in planned],
        blank,
        blank,
    ]
    return [list(r) for r in zip(*columns, strict=True)]


def paginate(n_rows: int, capacity: int, closing: int) -> list[tuple[int, int]]:
    """``(first, end)`` row ranges of a table's pages: each page holds ``capacity`` rows, and
    the last also the closing block (``closing`` rows' worth); when the closing block does not
    fit after the last rows, the last page carries at least one row with it (never a page of
    signatures alone)."""
    if capacity <= closing:
        raise ValueError(f"a page of {capacity} rows cannot hold a closing block of {closing}")
    pages: list[tuple[int, int]] = []
    i = 0
    while n_rows - i + closing > capacity:
        take = min(capacity, max(n_rows - i - 1, 0))
        pages.append((i, i + take))
        i += take
    pages.append((i, n_rows))
    return pages


@dataclass(frozen=True, slots=True)
class _Form:
    """One vehicle-day's place in the book: its part, its row in the part's ``vehicles``, its
    pages (row ranges) and the first of them (1-based, in the whole book)."""

    part: int
    vehicle_day: int
    pages: tuple[tuple[int, int], ...]
    night: bool
    first_page: int


def _form_header_mm(night: bool) -> float:
    return _TITLE_MM + _LINE_MM * (5 + night) + 1.5 + _HEADING_MM


def _rows_that_fit(header_mm: float) -> int:
    return int((_TABLE_BOTTOM - _TOP - header_mm) // ROW_MM)


def _layout(book: RouteBook, first_page: int) -> list[_Form]:
    """Every form's pages, numbered on from ``first_page``."""
    forms = []
    closing = math.ceil(_CLOSING_MM / ROW_MM)
    page = first_page
    for p, part in enumerate(book.streams):
        for k, (n_rows, night) in enumerate(
            zip(part.vehicles["n_rows"].tolist(), part.vehicles["past_midnight"].tolist(),
                strict=True)
        ):  # fmt: skip
            capacity = _rows_that_fit(_form_header_mm(bool(night)))
            pages = tuple(paginate(int(n_rows), capacity, closing))
            forms.append(_Form(p, k, pages, bool(night), page))
            page += len(pages)
    return forms


@dataclass(frozen=True, slots=True)
class _CoverRow:
    """One line of a depot's cover: a day of a stream (``day`` None: the stream's total)."""

    part: int
    day: int | None


def _cover_rows(book: RouteBook, depot: str) -> list[_CoverRow]:
    rows = []
    for p, part in enumerate(book.streams):
        if depot in set(part.depots["depot"].tolist()):
            rows += [_CoverRow(p, d) for d in range(len(part.days))]
            rows.append(_CoverRow(p, None))
    return rows


def _cover_header_mm(book: RouteBook) -> float:
    return 7 + 6.5 + _LINE_MM * len(book.streams) + 2 + _HEADING_MM


def write_book_pdf(book: RouteBook, path: Path) -> Path:
    """Write ``book`` as a PDF at ``path`` (atomically): the depots' cover pages, then every
    form. Raises :class:`wasteopt.reporting.fonts.CjkFontMissing` without a Chinese font."""
    pdf = open_pdf(f"{book.title} — {book.variant}", "P", _MARGIN)
    capacity = _rows_that_fit(_cover_header_mm(book))
    covers = {d: paginate(len(_cover_rows(book, d)), capacity, 0) for d in book.depots}
    n_covers = sum(len(p) for p in covers.values())
    forms = _layout(book, n_covers + 1)
    total = n_covers + sum(len(f.pages) for f in forms)
    page = 1
    for depot, pages in covers.items():
        _cover(pdf, book, depot, forms, (page, len(pages), total))
        page += len(pages)
    parts = [(form_cells(p.rows), p.rows["kind"].tolist()) for p in book.streams]
    for f in forms:
        _form_pages(pdf, book, f, parts[f.part], total)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path


def _line(pdf: FPDF, text: str, size: float, h: float, right: str = "") -> None:
    """A full-width line at ``size`` pt (never below :data:`MIN_PT`) with an optional
    right-aligned part; the left part is shortened to fit beside it."""
    pdf.set_font("cjk", size=max(size, MIN_PT))
    x, y = pdf.l_margin, pdf.get_y()
    room = pdf.epw
    if right:
        rw = pdf.get_string_width(right) + 2 * pdf.c_margin
        put_text(pdf, x + pdf.epw - rw, y, rw, h, right, "R")
        room -= rw + 2
    put_text(pdf, x, y, room, h, text)
    pdf.set_xy(x, y + h)


def _page_label(page: int, total: int) -> str:
    return f"第 {page}/{total} 页 Page {page} of {total}"


def _page_footer(pdf: FPDF, text: str, page: int, total: int) -> None:
    pdf.set_font("cjk", size=MIN_PT)
    half = pdf.epw / 2
    put_text(pdf, pdf.l_margin, _FOOTER_Y, half, 5, text)
    put_text(pdf, pdf.l_margin + half, _FOOTER_Y, half, 5, _page_label(page, total), "R")


def _heading(pdf: FPDF, columns: Sequence[tuple[str, str, float]]) -> None:
    """A table heading of (Chinese, English, width) columns: Chinese over English, shaded."""
    pdf.set_font("cjk", size=MIN_PT)
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(*_HEADING_FILL)
    pdf.rect(x, y, sum(c[2] for c in columns), _HEADING_MM, style="DF")
    half = (_HEADING_MM - 0.6) / 2
    for zh, en, w in columns:
        pdf.rect(x, y, w, _HEADING_MM)
        put_text(pdf, x, y + 0.3, w, half, zh, "C")
        put_text(pdf, x, y + 0.3 + half, w, half, en, "C")
        x += w
    pdf.set_xy(pdf.l_margin, y + _HEADING_MM)


def _form_pages(
    pdf: FPDF,
    book: RouteBook,
    form: _Form,
    part_cells: tuple[Sequence[Sequence[str]], Sequence[str]],
    total: int,
) -> None:
    """Every page of one vehicle-day: header and table heading on each, rows, and the totals
    and signature line on the last."""
    cells, kinds = part_cells
    part = book.streams[form.part]
    vd = part.vehicles.iloc[form.vehicle_day]
    base = int(vd["first_row"])
    n_pages = len(form.pages)
    heading = [(zh, en, w) for _, zh, en, w, _ in FORM_COLUMNS]
    for k, (a, b) in enumerate(form.pages):
        page = form.first_page + k
        pdf.add_page()
        pdf.set_xy(pdf.l_margin, _TOP)
        own = f"本车第 {k + 1}/{n_pages} 页 vehicle page {k + 1}/{n_pages}" if n_pages > 1 else ""
        _form_header(pdf, book, part, vd, form.night, own, _page_label(page, total))
        _heading(pdf, heading)
        pdf.set_font("cjk", size=MIN_PT)
        for i in range(base + a, base + b):
            fill = _SITE_FILL if kinds[i] in ("unload", "lunch") else None
            draw_row(pdf, cells[i], _WIDTHS, _RIGHT, fill, ROW_MM)
        if k == n_pages - 1:
            _closing(pdf, vd)
        footer = f"{book.variant} · {part.stream} · {vd['vehicle']} · {vd['date'].isoformat()}"
        _page_footer(pdf, footer, page, total)


def _form_header(
    pdf: FPDF,
    book: RouteBook,
    part: StreamBook,
    vd: pd.Series,
    night: bool,
    own_pages: str,
    book_pages: str,
) -> None:
    """Title, date and cycle day, vehicle, driver and plate fields, the planned shift."""
    _line(pdf, f"收运路线单 Route sheet · {part.title} · {book.variant}", _TITLE_PT, _TITLE_MM,
          book_pages)  # fmt: skip
    cycle = part.cycle_label(int(vd["key"]))
    _line(pdf, f"日期 Date {day_label(vd['date'])} · {cycle}", _LINE_PT, _LINE_MM)
    vehicle = f"车辆 Vehicle {vd['vehicle']} · 车型 Fleet {vd['fleet_name']} ({vd['fleet']})"
    _line(pdf, vehicle, _LINE_PT, _LINE_MM, own_pages)
    out, back = format_hhmm(vd["start_s"]), format_hhmm(vd["end_s"])
    depot = f"车场 Depot {vd['depot']} {vd['depot_name']}"
    _line(pdf, f"{depot} · 出车 Out {out} · 回场 In {back}", _LINE_PT, _LINE_MM)
    fields = "司机 Driver ______________________     车牌 Plate ____________________"
    _line(pdf, fields, _LINE_PT, _LINE_MM)
    plan = (
        f"计划 Plan: {vd['trips']} 趟 trips · {vd['stops']} 点 stops · {int(vd['kg']):,} kg · "
        f"{vd['km']:.1f} km · {vd['hours']:.1f} h"
    )
    _line(pdf, plan, _LINE_PT, _LINE_MM)
    if night:
        _line(pdf, NEXT_DAY_NOTE, MIN_PT, _LINE_MM)
    pdf.set_y(pdf.get_y() + 1.5)


def _closing(pdf: FPDF, vd: pd.Series) -> None:
    """The shaded totals row, then the signature line."""
    total = [""] * len(FORM_COLUMNS)
    total[2] = "合计"
    total[3] = "Total"
    total[4] = f"{vd['stops']} 点 stops · {vd['trips']} 趟 trips"
    total[5] = f"{vd['km']:.1f} km · {vd['hours']:.1f} h"
    total[8] = f"{int(vd['kg']):,}"
    draw_row(pdf, total, _WIDTHS, _RIGHT, _TOTAL_FILL, ROW_MM)
    pdf.set_y(pdf.get_y() + 5)
    signatures = (
        "司机签名 Driver ____________________   监督员签名 Supervisor ____________________   "
        "日期 Date ____________"
    )
    _line(pdf, signatures, _LINE_PT, _LINE_MM + 2)


_COVER_COLUMNS: tuple[tuple[str, str, float, bool], ...] = (
    ("类别", "Stream", 16, False),
    ("日期", "Date", 20, False),
    ("星期", "Weekday", 17, False),
    ("车辆", "Vehicles", 14, True),
    ("趟", "Trips", 12, True),
    ("点", "Stops", 13, True),
    ("计划 t", "Planned", 16, True),
    ("里程 km", "Distance", 17, True),
    ("用时 h", "Hours", 15, True),
    ("首发", "First out", 16, True),
    ("末回", "Last in", 16, True),
    ("页码", "Pages", 22, False),
)
_COVER_WIDTHS = tuple(c[2] for c in _COVER_COLUMNS)
_COVER_RIGHT = tuple(c[3] for c in _COVER_COLUMNS)


def _cover(
    pdf: FPDF,
    book: RouteBook,
    depot: str,
    forms: Sequence[_Form],
    pages: tuple[int, int, int],
) -> None:
    """One depot's cover (``pages``: its first page, how many, the book's total): the book,
    each stream's cycle, a row per stream and day (vehicles leaving the depot, trips, stops,
    planned t, km, hours, first departure, last return, the pages of the forms) with a total
    per stream, then the notes and the legend."""
    first, n_pages, total = pages
    rows = _cover_rows(book, depot)
    capacity = _rows_that_fit(_cover_header_mm(book))
    heading = [(zh, en, w) for zh, en, w, _ in _COVER_COLUMNS]
    for k, (a, b) in enumerate(paginate(len(rows), capacity, 0)):
        pdf.add_page()
        pdf.set_xy(pdf.l_margin, _TOP)
        _line(pdf, f"{book.title} · {book.variant}", 13, 7,
              _page_label(first + k, total))  # fmt: skip
        more = f" ({k + 1}/{n_pages})" if n_pages > 1 else ""
        _line(pdf, f"车场汇总 Depot summary: {depot} {book.depots[depot]}{more}", 11, 6.5)
        for part in book.streams:
            line = f"{part.title}: {part.days_label}, {part.span}; {part.repeats}"
            _line(pdf, line, _LINE_PT, _LINE_MM)
        pdf.set_y(pdf.get_y() + 2)
        _heading(pdf, heading)
        pdf.set_font("cjk", size=MIN_PT)
        for row in rows[a:b]:
            part = book.streams[row.part]
            fill = _TOTAL_FILL if row.day is None else None
            values = _cover_values(part, depot, row.day, forms, row.part)
            draw_row(pdf, values, _COVER_WIDTHS, _COVER_RIGHT, fill, ROW_MM)
        if k == n_pages - 1:
            pdf.set_y(pdf.get_y() + 3)
            _notes(pdf, book)
        _page_footer(pdf, f"{book.variant} · {depot}", first + k, total)


def _cover_values(
    part: StreamBook, depot: str, day: int | None, forms: Sequence[_Form], p: int
) -> list[str]:
    """A cover line: one day of ``part`` at ``depot``, or (``day`` None) the cycle's total."""
    own = part.depots[part.depots["depot"] == depot]
    if day is not None:
        own = own[own["key"] == part.days[day].key]
    first_out, last_in = own["first_out_s"].min(), own["last_in_s"].max()
    if day is None:
        head = ["", "合计 Total", ""]
    else:
        head = [part.short, *day_label(part.days[day].date).split(" ", 1)]
    keys = {part.days[day].key} if day is not None else {d.key for d in part.days}
    return [
        *head,
        f"{int(own['vehicles'].sum())}",
        f"{int(own['trips'].sum())}",
        f"{int(own['stops'].sum()):,}",
        f"{own['t'].sum():,.1f}",
        f"{own['km'].sum():,.1f}",
        f"{own['hours'].sum():,.1f}",
        "" if day is None or math.isnan(first_out) else format_hhmm(first_out),
        "" if day is None or math.isnan(last_in) else format_hhmm(last_in),
        _pages_of(part, forms, p, depot, keys),
    ]


def _pages_of(part: StreamBook, forms: Sequence[_Form], p: int, depot: str, keys: set[int]) -> str:
    """``12–15``: the pages of the forms of ``depot``'s vehicles on the cycle days ``keys``
    of part ``p`` (they are consecutive: a part's forms run by day, then depot)."""
    vehicles = part.vehicles
    hits = np.flatnonzero(
        (vehicles["depot"] == depot).to_numpy() & vehicles["key"].isin(list(keys)).to_numpy()
    )
    if not len(hits):
        return ""
    own = [f for f in forms if f.part == p]
    a = own[int(hits[0])].first_page
    last = own[int(hits[-1])]
    b = last.first_page + len(last.pages) - 1
    return str(a) if a == b else f"{a}–{b}"


_NOTE_LINES = 3


def _notes(pdf: FPDF, book: RouteBook) -> None:
    """The book's notes, each day's notes and the legend, wrapped (at most
    :data:`_NOTE_LINES` lines each: an unserved list can name hundreds of stops, all of them
    in the CSV route sheet), down to the page footer."""
    pdf.set_font("cjk", size=MIN_PT)
    day_notes = [
        f"{part.short} {d.label}: {n}" for part in book.streams for d in part.days for n in d.notes
    ]
    for note in [*book.notes, *day_notes, LEGEND]:
        lines = wrap_text(pdf, note, pdf.epw - 2 * pdf.c_margin)
        if len(lines) > _NOTE_LINES:
            lines = [*lines[: _NOTE_LINES - 1], lines[_NOTE_LINES - 1][:-1] + "…"]
        for line in lines:
            if pdf.get_y() + _NOTE_MM > _TABLE_BOTTOM:
                return
            put_text(pdf, pdf.l_margin, pdf.get_y(), pdf.epw, _NOTE_MM, line)
            pdf.set_y(pdf.get_y() + _NOTE_MM)
