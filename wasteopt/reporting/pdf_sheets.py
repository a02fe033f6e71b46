"""Route sheets as a printable PDF: one landscape A4 sheet per vehicle shift, Chinese names in
an embedded CJK font (:mod:`wasteopt.reporting.fonts`)."""

from __future__ import annotations

import bisect
import itertools
import math
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from fpdf import FPDF
from fpdf.fonts import TTFFont

from wasteopt.files import atomic_path
from wasteopt.reporting.fonts import find_cjk_font
from wasteopt.reporting.route_table import (
    HEADINGS,
    KIND_LABELS,
    TOTAL_LABEL,
    VEHICLE_COLUMNS,
    display_rows,
    summary_rows,
    vehicle_title,
    vehicle_total,
)
from wasteopt.reporting.stamps import document_time

__all__ = [
    "draw_row",
    "fit_text",
    "open_pdf",
    "put_text",
    "text_width",
    "wrap_text",
    "write_pdf",
]

_PDF_WIDTHS = (7, 9, 20, 24, 62, 13, 13, 13, 12, 14, 15, 17, 17, 14, 14, 12)
_PDF_NUMERIC = frozenset(
    {
        "seq",
        "trip",
        "wait_min",
        "service_min",
        "expected_kg",
        "unload_kg",
        "load_after_kg",
        "leg_km",
        "cum_km",
        "elapsed_h",
    }
)
_PDF_ROW_MM = 4.6
_EM_BOUND = 1.1
"""No glyph of a sheet font is wider than this many ems (CJK ideographs are 1 em)."""


_HEADING_FILL = (221, 230, 240)
_TOTAL_FILL = (240, 240, 240)


def write_pdf(
    sheet: pd.DataFrame, summary: pd.DataFrame, path: Path, title: str, notes: Sequence[str]
) -> Path:
    """Landscape A4, one sheet per vehicle shift (continued on further pages with the heading
    repeated when a shift has more rows than a page holds). Cells are single-line: a text too
    long for its column is shortened with an ellipsis."""
    pdf = open_pdf(title, "L", 10)
    by_vehicle = summary_rows(summary)
    for vehicle, g in sheet.groupby("vehicle", sort=False):
        _vehicle_pages(pdf, str(vehicle), g, by_vehicle[str(vehicle)], title, notes)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path


def open_pdf(title: str, orientation: Literal["P", "L"], margin_mm: float) -> FPDF:
    """An empty A4 document in mm with the CJK font as ``cjk``, no automatic page breaks and
    the document date of :func:`wasteopt.reporting.stamps.document_time`."""
    font = find_cjk_font()
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_creator("wasteopt")
    pdf.set_creation_date(document_time())  # SOURCE_DATE_EPOCH makes the bytes repeatable
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(margin_mm, margin_mm, margin_mm)
    # One regular face: CJK fonts rarely ship a bold one; headings are set apart by shading.
    pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
    return pdf


def _vehicle_pages(
    pdf: FPDF, vehicle: str, g: pd.DataFrame, srow: pd.Series, title: str, notes: Sequence[str]
) -> None:
    """One vehicle shift: heading lines, the table, the shaded total row; a new page (heading
    repeated) whenever the next row would pass the bottom margin."""
    bottom = pdf.h - 12
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 7, vehicle_title(g, srow), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 5, f"{title}    {vehicle_total(srow)}", new_x="LMARGIN", new_y="NEXT")
    for note in notes:
        pdf.cell(0, 5, fit_text(pdf, note, pdf.epw), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table_heading(pdf)
    kind_at = VEHICLE_COLUMNS.index("kind")
    rows = [
        [_blank_zero(c, v, str(r[kind_at])) for c, v in zip(VEHICLE_COLUMNS, r, strict=True)]
        for r in display_rows(g)
    ]
    for k, values in enumerate([*rows, _total_row(srow)]):
        if pdf.get_y() + _PDF_ROW_MM > bottom:
            pdf.add_page()
            pdf.set_font("cjk", size=9)
            pdf.cell(0, 5, f"{vehicle} (续 continued)", new_x="LMARGIN", new_y="NEXT")
            _table_heading(pdf)
        _table_row(pdf, values, _TOTAL_FILL if k == len(rows) else None, _PDF_ROW_MM)


def _total_row(srow: pd.Series) -> list[str]:
    total = [""] * len(VEHICLE_COLUMNS)
    total[VEHICLE_COLUMNS.index("kind")] = TOTAL_LABEL
    total[VEHICLE_COLUMNS.index("id")] = f"{int(srow['stops'])} stops"
    total[VEHICLE_COLUMNS.index("expected_kg")] = str(int(srow["expected_kg"]))
    total[VEHICLE_COLUMNS.index("unload_kg")] = str(int(srow["unload_kg"]))
    total[VEHICLE_COLUMNS.index("cum_km")] = f"{float(srow['km']):.2f}"
    total[VEHICLE_COLUMNS.index("elapsed_h")] = f"{float(srow['hours']):.2f}"
    return total


def _table_row(
    pdf: FPDF,
    values: Sequence[str],
    fill: tuple[int, int, int] | None,
    h: float,
    is_heading: bool = False,
) -> None:
    """One row of the sheet's table (numbers right-aligned, headings left)."""
    right = [c in _PDF_NUMERIC and not is_heading for c in VEHICLE_COLUMNS]
    draw_row(pdf, values, _PDF_WIDTHS, right, fill, h)


def draw_row(
    pdf: FPDF,
    values: Sequence[str],
    widths: Sequence[float],
    right: Sequence[bool],
    fill: tuple[int, int, int] | None,
    h: float,
) -> None:
    """One table row of bordered single-line cells at the current position, in the current
    font; ``right`` right-aligns a cell, a text too wide for its cell is shortened with an
    ellipsis (:func:`fit_text`). A city day has hundreds of thousands of cells, so the row goes
    to the page as one block of PDF operators: the cell borders as rectangles stroked together,
    then every cell's text (the operators ``FPDF.rect`` and ``FPDF.text`` write, without their
    per-call checks, which cost five times the drawing)."""
    x, y = pdf.l_margin, pdf.get_y()
    if fill is not None:
        pdf.set_fill_color(*fill)
        pdf.rect(x, y, sum(widths), h, style="F")
    if not pdf.current_font_is_set_on_page:
        pdf.text(x, y, "")  # FPDF selects the font on this page with the first text
    k, page_h = pdf.k, pdf.h
    baseline = (page_h - (y + 0.5 * h + 0.3 * pdf.font_size)) * k  # where FPDF.cell puts it
    pad = pdf.c_margin
    encoded = _encoder(pdf)
    boxes: list[str] = []
    texts: list[str] = []
    for w, text, to_right in zip(widths, values, right, strict=True):
        boxes.append(f"{x * k:.2f} {(page_h - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re")
        text = fit_text(pdf, text, w - 2 * pad)
        if text:
            tx = x + w - pad - text_width(pdf, text) if to_right else x + pad
            texts.append(f"BT {tx * k:.2f} {baseline:.2f} Td {encoded(text)} ET")
        x += w
    ops = " ".join(boxes) + " S"
    if texts:
        text_ops = " ".join(texts)
        if pdf.fill_color != pdf.text_color:  # text is painted in the fill colour: as FPDF.text
            assert pdf.text_color is not None
            text_ops = f"q {pdf.text_color.serialize().lower()} {text_ops} Q"
        ops = f"{ops} {text_ops}"
    pdf._out(ops)  # fpdf2 (pinned <3) has no public call for raw operators
    pdf.set_xy(pdf.l_margin, y + h)


def _table_heading(pdf: FPDF) -> None:
    pdf.set_font("cjk", size=6.5)
    _table_row(pdf, [HEADINGS[c] for c in VEHICLE_COLUMNS], _HEADING_FILL, 5.5, is_heading=True)
    pdf.set_font("cjk", size=7.5)


def _blank_zero(col: str, value: object, kind: str) -> str:
    """Cell text; kg columns that do not apply to the row's kind are left blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if col == "expected_kg" and kind != KIND_LABELS["stop"]:
        return ""
    if col == "unload_kg" and not value:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def put_text(
    pdf: FPDF, x: float, y: float, w: float, h: float, text: str, align: str = "L"
) -> None:
    """``text`` in the current font inside the box at (``x``, ``y``) of ``w`` × ``h`` mm,
    shortened to fit (:func:`fit_text`), vertically centred as ``FPDF.cell`` puts it and
    aligned ``L``, ``C`` or ``R``; written as raw operators like :func:`draw_row` (a page of
    ``FPDF.cell`` calls costs more than the rest of the page)."""
    text = fit_text(pdf, text, w - 2 * pdf.c_margin)
    if not text:
        return
    if not pdf.current_font_is_set_on_page:
        pdf.text(x, y, "")  # FPDF selects the font on this page with the first text
    k = pdf.k
    tw = text_width(pdf, text)
    tx = {"L": x + pdf.c_margin, "C": x + (w - tw) / 2, "R": x + w - pdf.c_margin - tw}[align]
    baseline = (pdf.h - (y + 0.5 * h + 0.3 * pdf.font_size)) * k
    ops = f"BT {tx * k:.2f} {baseline:.2f} Td {_encoder(pdf)(text)} ET"
    if pdf.fill_color != pdf.text_color:  # text is painted in the fill colour: as FPDF.text
        assert pdf.text_color is not None
        ops = f"q {pdf.text_color.serialize().lower()} {ops} Q"
    pdf._out(ops)  # fpdf2 (pinned <3) has no public call for raw operators


_ENCODED: weakref.WeakKeyDictionary[FPDF, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()


def _encoder(pdf: FPDF) -> Callable[[str], str]:
    """The current font's ``encode_text`` (text as the font's glyph codes in a ``Tj``
    operator), remembered per document: a book repeats the same times, numbers and names
    thousands of times, and a string once encoded always encodes the same (the font subset
    only grows)."""
    font = pdf.current_font
    assert font is not None  # the caller has set it
    cache = _ENCODED.setdefault(pdf, {})
    key = str(font.fontkey)

    def encode(text: str) -> str:
        got = cache.get((key, text))
        if got is None:
            got = cache[key, text] = font.encode_text(text)
        return got

    return encode


def wrap_text(pdf: FPDF, text: str, width_mm: float) -> list[str]:
    """``text`` cut into lines no wider than ``width_mm`` in the current font: at the last
    space of a line when there is one in its second half (English words stay whole), else
    at any character (Chinese has no spaces)."""
    ends = list(itertools.accumulate(_advances(pdf, text)))
    lines: list[str] = []
    start, base = 0, 0.0
    while start < len(text):
        end = max(bisect.bisect_right(ends, base + width_mm, lo=start), start + 1)
        if end < len(text):
            space = text.rfind(" ", start, end + 1)
            end = space if space > start + (end - start) // 2 else end
        lines.append(text[start:end].rstrip())
        start = end
        while start < len(text) and text[start] == " ":
            start += 1
        base = ends[start - 1] if start else 0.0
    return lines


def _advances(pdf: FPDF, text: str) -> list[float]:
    """The advance of each character of ``text`` in mm in the current font."""
    font = pdf.current_font
    if not isinstance(font, TTFFont):
        return [float(pdf.get_string_width(ch)) for ch in text]
    cw, scale = font.cw, pdf.font_size_pt / 1000.0 / pdf.k
    return [cw[ord(ch)] * scale for ch in text]


def text_width(pdf: FPDF, text: str) -> float:
    """Width of ``text`` in mm in the current font: the sum of its glyph advances, what
    ``FPDF.get_string_width`` returns without text shaping, kerning or spacing (none is set
    here), at a fraction of its cost."""
    font = pdf.current_font
    if not isinstance(font, TTFFont):  # only the embedded sheet font is measured this way
        return float(pdf.get_string_width(text))
    return sum(map(font.cw.__getitem__, map(ord, text))) * pdf.font_size_pt / 1000.0 / pdf.k


def fit_text(pdf: FPDF, text: str, width_mm: float) -> str:
    """``text``, shortened with an ellipsis to fit ``width_mm``."""
    if not text or len(text) * _EM_BOUND * pdf.font_size <= width_mm:
        return text  # fits even at the widest glyphs
    if text_width(pdf, text) <= width_mm:
        return text
    ends = list(itertools.accumulate(_advances(pdf, text)))
    room = width_mm - text_width(pdf, "…")
    return text[: bisect.bisect_right(ends, room)] + "…"
