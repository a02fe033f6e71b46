"""Drawing helpers of the PDF forms (:mod:`wasteopt.reporting.route_book_pdf`): an A4 document
with the embedded CJK font (:mod:`wasteopt.reporting.fonts`), table rows and text boxes written
as raw PDF operators, and text measured, shortened and wrapped in that font. A city day has
hundreds of thousands of cells: FPDF's per-call checks would cost five times the drawing."""

from __future__ import annotations

import bisect
import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Literal

from fpdf import FPDF
from fpdf.fonts import TTFFont

from wasteopt.reporting.fonts import find_cjk_font
from wasteopt.reporting.stamps import document_time

__all__ = ["draw_row", "fit_text", "open_pdf", "put_text", "text_width", "wrap_text"]

_EM_BOUND = 1.1
"""No glyph of a sheet font is wider than this many ems (CJK ideographs are 1 em)."""


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
