"""Tests for wasteopt.clock."""

import pytest

from wasteopt.clock import format_hhmm, parse_hhmm


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
