"""Times of day as integer seconds after midnight, their ``HH:MM`` text form, and wall-clock
budgets (:class:`Deadline`).

All times inside wasteopt are ``int`` seconds since 00:00 of the planning day; ``24:00`` is 86400.
Times past midnight (night shifts) may be written ``25:30``; they stay on the same planning day.
Opening hours repeat every day (:func:`daily_hours`): ``19:00``–``27:00`` is open from 19:00 to
03:00 the next morning, every day; ``00:00``–``24:00`` is open around the clock.
"""

from __future__ import annotations

import math
import re
import time

__all__ = ["DAY_S", "Deadline", "daily_hours", "format_hhmm", "parse_hhmm"]

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
MAX_S = 48 * 3600
DAY_S = 24 * 3600


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


def daily_hours(open_s: int, close_s: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """The opening hours ``open_s``–``close_s``, repeated every day, as the intervals they cover
    within ``[lo, hi]`` (seconds after midnight of day 0), in time order. The hours of
    consecutive days that touch or overlap are joined (``close_s - open_s >= 24 h``: open around
    the clock)."""
    out: list[tuple[int, int]] = []
    k = (lo - close_s) // DAY_S  # the first day whose hours may reach lo
    while open_s + k * DAY_S <= hi:
        a, b = max(lo, open_s + k * DAY_S), min(hi, close_s + k * DAY_S)
        if a < b:  # a day whose hours fall outside [lo, hi] adds nothing
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        k += 1
    return out


class Deadline:
    """The wall-clock budget of one command, shared out among its steps.

    ``--time-limit T`` means the same for every command: the whole command (building, solving,
    checking, simulating, writing) should finish within ``T`` seconds. The command creates one
    ``Deadline(T)``; each step asks for its share of what is left (:meth:`share`) or a
    sub-deadline (:meth:`sub`), so a step that finishes early leaves its time to the next ones.
    ``Deadline(None)`` never expires. The clock is :func:`time.monotonic`.
    """

    __slots__ = ("_end", "seconds")

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and not seconds > 0:
            raise ValueError(f"a time limit must be > 0 seconds, got {seconds}")
        self.seconds = seconds
        self._end = math.inf if seconds is None else time.monotonic() + float(seconds)

    @classmethod
    def at(cls, end: float) -> Deadline:
        """A deadline at the monotonic clock time ``end``."""
        d = cls(None)
        d._end = end
        d.seconds = max(0.0, end - time.monotonic()) if math.isfinite(end) else None
        return d

    @property
    def end(self) -> float:
        """The monotonic clock time at which the budget runs out (``inf`` without a limit)."""
        return self._end

    def remaining(self) -> float:
        """Seconds left (never below 0; ``inf`` without a limit)."""
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        """True once the budget is spent."""
        return time.monotonic() >= self._end

    def share(self, fraction: float, *, floor_s: float = 0.0) -> float:
        """Seconds for a step that may use ``fraction`` (0–1] of what is left, at least
        ``floor_s`` (the floor may overrun the deadline: a solver needs a minimum to answer)."""
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
        return max(floor_s, fraction * self.remaining())

    def sub(self, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now, but never later than this one."""
        return Deadline.at(min(self._end, time.monotonic() + max(0.0, seconds)))
