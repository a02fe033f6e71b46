"""The time written into a document's metadata (PDF creation date, XLSX properties and zip
entries), so that the same inputs can give byte-identical route sheets.

``SOURCE_DATE_EPOCH`` (whole seconds since 1970-01-01 UTC, the reproducible-builds convention)
fixes it; without it the documents carry the time they were written. Tables (CSV, JSON,
GeoJSON) carry no such time.
"""

from __future__ import annotations

import datetime as dt
import os

from wasteopt.errors import InputError, Problem

__all__ = ["ENV_VAR", "document_time"]

ENV_VAR = "SOURCE_DATE_EPOCH"


def document_time() -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` when set, else now; UTC, whole seconds.

    A value that is not a whole number of seconds is an input error naming the variable."""
    text = os.environ.get(ENV_VAR)
    if text is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    if not text.strip().isdigit():
        raise InputError(
            [
                Problem(
                    file="environment",
                    field=ENV_VAR,
                    value=text,
                    message="not a time",
                    expected="whole seconds since 1970-01-01 UTC, e.g. 1700000000",
                )
            ]
        )
    return dt.datetime.fromtimestamp(int(text), dt.UTC)
