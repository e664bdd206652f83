"""Dates in requests: ISO calendar dates only."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.isodate import IsoDate, IsoDateTime

ADAPTER = TypeAdapter(IsoDate)


def test_an_iso_date_is_read() -> None:
    assert ADAPTER.validate_python("2025-01-02") == date(2025, 1, 2)
    assert ADAPTER.validate_python(date(2025, 1, 2)) == date(2025, 1, 2)


@pytest.mark.parametrize("text", ["0", "1735689600", "2025-1-2", "02/01/2025", "2025-01-02T00:00", "", "x"])
def test_anything_else_is_refused_with_the_form_it_needs(text: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        ADAPTER.validate_python(text)


def test_a_day_that_is_not_in_the_calendar() -> None:
    with pytest.raises(ValidationError, match="2025-02-30 is not a day of the calendar"):
        ADAPTER.validate_python("2025-02-30")
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(0)


def test_the_schema_says_so() -> None:
    assert ADAPTER.json_schema() == {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def test_a_timestamp_is_a_string_that_reads_as_one() -> None:
    moments = TypeAdapter(IsoDateTime)
    assert moments.validate_python("2026-06-30T09:00:00Z").year == 2026
    for bad in (0, "0", "1735689600", "2026-06-30", "9999-12-31T23:30:00-01:00"):
        with pytest.raises(ValidationError):
            moments.validate_python(bad)
