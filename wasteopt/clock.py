"""Times of day as integer seconds after midnight, and their ``HH:MM`` text form.

All times inside wasteopt are ``int`` seconds since 00:00 of the planning day; ``24:00`` is 86400.
Times past midnight (night shifts) may be written ``25:30``; they stay on the same planning day.
"""

from __future__ import annotations

import re

__all__ = ["format_hhmm", "parse_hhmm"]

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
MAX_S = 48 * 3600


def parse_hhmm(text: str) -> int:
    """Parse ``"7:30"``, ``"07:30"`` or ``"07:30:15"`` into seconds after midnight.

    Raises ``ValueError`` with a short reason for anything else (minutes >= 60, past 48:00).
    """
    m = _HHMM.match(str(text))
    if not m:
        raise ValueError("not a time of day in HH:MM form")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if mi >= 60 or s >= 60:
        raise ValueError("minutes and seconds must be below 60")
    total = h * 3600 + mi * 60 + s
    if total > MAX_S:
        raise ValueError("times past 48:00 are not allowed")
    return total


def format_hhmm(seconds: float, *, with_seconds: bool = False) -> str:
    """Format seconds after midnight as ``HH:MM`` (rounded down to the minute unless asked)."""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{sec:02d}" if with_seconds else f"{h:02d}:{m:02d}"
