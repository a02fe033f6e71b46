"""Tests for wasteopt.clock."""

import math

import pytest

from wasteopt.clock import Deadline, format_hhmm, parse_hhmm


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00", 0),
        ("07:30", 27000),
        ("7:30", 27000),
        ("24:00", 86400),
        ("25:30", 91800),
        ("11:59:30", 43170),
    ],
)
def test_parse_hhmm_accepts_times(text, seconds):
    """HH:MM and HH:MM:SS parse to seconds after midnight, padded or not, past 24:00 too."""
    assert parse_hhmm(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "07:60", "ab:cd", "49:00", "12:00:61", "-1:00"])
def test_parse_hhmm_rejects_bad_text(text):
    """Malformed times, minutes >= 60 and times past 48:00 raise ValueError."""
    with pytest.raises(ValueError):
        parse_hhmm(text)


def test_format_round_trip():
    """format_hhmm inverts parse_hhmm on whole minutes and keeps seconds when asked."""
    assert format_hhmm(parse_hhmm("06:05")) == "06:05"
    assert format_hhmm(43170, with_seconds=True) == "11:59:30"


def test_deadline_counts_down_and_expires(monkeypatch):
    """A Deadline reports what is left of its budget and expires when the clock passes it."""
    now = [100.0]
    monkeypatch.setattr("wasteopt.clock.time.monotonic", lambda: now[0])
    d = Deadline(10.0)
    assert d.remaining() == pytest.approx(10.0) and not d.expired()
    now[0] = 104.0
    assert d.remaining() == pytest.approx(6.0)
    assert d.share(0.5) == pytest.approx(3.0)
    assert d.share(0.1, floor_s=1.0) == pytest.approx(1.0)
    now[0] = 111.0
    assert d.remaining() == 0.0 and d.expired()


def test_deadline_sub_never_outlasts_its_parent(monkeypatch):
    """A sub-deadline ends at the earlier of its own span and the parent's end."""
    now = [0.0]
    monkeypatch.setattr("wasteopt.clock.time.monotonic", lambda: now[0])
    parent = Deadline(5.0)
    assert parent.sub(2.0).end == pytest.approx(2.0)
    assert parent.sub(60.0).end == pytest.approx(5.0)


def test_unlimited_deadline_and_bad_budgets():
    """Deadline(None) never expires; a budget that is not positive is refused."""
    d = Deadline(None)
    assert d.remaining() == math.inf and not d.expired()
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="must be > 0"):
            Deadline(bad)
    with pytest.raises(ValueError, match="fraction"):
        d.share(0.0)
