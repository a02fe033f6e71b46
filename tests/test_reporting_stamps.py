"""The date written into documents: SOURCE_DATE_EPOCH when set, else the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from wasteopt.errors import InputError
from wasteopt.reporting.stamps import ENV_VAR, document_time


def test_source_date_epoch_fixes_the_date(monkeypatch):
    """A whole number of seconds becomes that UTC time, surrounding blanks allowed."""
    monkeypatch.setenv(ENV_VAR, " 1700000000 ")
    assert document_time() == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


def test_without_it_the_date_is_now(monkeypatch):
    """Unset, the date is the current UTC time in whole seconds."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = document_time()
    assert before <= stamp <= dt.datetime.now(dt.UTC) and stamp.microsecond == 0


@pytest.mark.parametrize("bad", ["", "yesterday", "-5", "1.5e9"])
def test_a_bad_value_is_an_input_error_naming_the_variable(monkeypatch, bad):
    """Anything but whole seconds is an input error that names the variable and its value."""
    monkeypatch.setenv(ENV_VAR, bad)
    with pytest.raises(InputError, match=rf"environment: {ENV_VAR}: not a time") as err:
        document_time()
    assert repr(bad) in str(err.value)
