"""The route book of a run: every vehicle, every day of each stream's collection cycle, for
drivers to carry and fill in (what it holds: :mod:`wasteopt.reporting.route_book_data`).

One book per variant, as ``<out_dir>/route_book.pdf`` (depot covers, then portrait A4 forms,
:mod:`wasteopt.reporting.route_book_pdf`) and ``route_book.xlsx`` (a summary and one printable
sheet per vehicle-day, :mod:`wasteopt.reporting.route_book_xlsx`), its streams one after the
other: a depot prints one file and hands each crew its pages (the cover lists them), and the
PDF loads its Chinese font once (about a second, most of the writing time) instead of once per
stream or day. The per-day route sheets (:mod:`wasteopt.reporting.sheets`) print the same
forms for the one routed day (:func:`wasteopt.reporting.route_book_data.day_book`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wasteopt.coordinates import Crs
from wasteopt.operations import OperatingPlan
from wasteopt.reporting.route_book_data import RouteBook, route_book
from wasteopt.reporting.route_book_pdf import write_book_pdf
from wasteopt.reporting.route_book_xlsx import write_book_xlsx
from wasteopt.scenario.model import Scenario

__all__ = ["BOOK_FORMATS", "BOOK_STEM", "write_book", "write_route_book"]

BOOK_FORMATS: tuple[str, ...] = ("pdf", "xlsx")
BOOK_STEM = "route_book"


def write_book(
    book: RouteBook, out_dir: str | Path, formats: Sequence[str] = BOOK_FORMATS
) -> list[Path]:
    """Write ``book`` as ``<out_dir>/route_book.<format>``; return the paths written."""
    unknown = [f for f in formats if f not in BOOK_FORMATS]
    if unknown:
        raise ValueError(f"unknown route book format(s) {unknown}; expected some of {BOOK_FORMATS}")
    out = Path(out_dir)
    written: list[Path] = []
    for fmt in formats:
        path = out / f"{BOOK_STEM}.{fmt}"
        written.append(write_book_pdf(book, path) if fmt == "pdf" else write_book_xlsx(book, path))
    return written


def write_route_book(
    scenario: Scenario,
    operating: OperatingPlan,
    out_dir: str | Path,
    *,
    crs: Crs = "wgs84",
    formats: Sequence[str] = BOOK_FORMATS,
) -> list[Path]:
    """The route book of every stream with vehicles on some day of its cycle (coordinates in
    ``crs``), each file written atomically; nothing when no vehicle leaves on any day.
    Returns the paths written."""
    book = route_book(scenario, operating, crs=crs)
    return write_book(book, out_dir, formats) if book.streams else []
