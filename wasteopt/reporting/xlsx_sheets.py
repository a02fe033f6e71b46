"""Excel's rules the route-sheet workbooks follow (:mod:`wasteopt.reporting.route_book_xlsx`).

Sheet names: :func:`xlsx_sheet_name` makes a valid, unique name of any vehicle or day.

Text: every text goes through ``write_string``, never ``write``'s guessing, and text that a
spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR,
:data:`wasteopt.files.FORMULA_START`) is stored as text with Excel's quote-prefix mark, the
workbook form of OWASP's leading ``'``: the name shows exactly as written and is never
evaluated, not even after editing the cell. Numbers stay numbers; missing values stay empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["xlsx_sheet_name"]

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
