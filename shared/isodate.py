"""Dates in requests are ISO 8601 calendar dates (YYYY-MM-DD) and timestamps RFC 3339 strings,
nothing else: pydantic alone reads `0` as 1970-01-01 and `1735689600` as a day of 2025."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, TypeAdapter, WithJsonSchema

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: Any) -> date:
    """`value` as a date when it is one, or a YYYY-MM-DD string naming a real day."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a day of the calendar") from None


IsoDate = Annotated[
    date,
    BeforeValidator(iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def iso_datetime(value: Any) -> Any:
    """An RFC 3339 timestamp string (or a datetime) goes on to pydantic; a number, or a
    string of one, does not (pydantic would read 0 and "0" as 1970-01-01T00:00:00Z)."""
    if isinstance(value, datetime) or (isinstance(value, str) and _TIMESTAMP.fullmatch(value)):
        return value
    raise ValueError("must be a timestamp written YYYY-MM-DDTHH:MM:SS with its zone (Z or ±HH:MM)")


def _representable(value: datetime) -> datetime:
    """In UTC it still is a date there is (9999-12-31T23:00-01:00 is not; MongoDB cannot
    store it)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is past the last moment there is") from None
    return value


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(iso_datetime), AfterValidator(_representable)]


# English month names whatever the process's locale (strftime's %B follows the locale).
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date) -> str:
    """The one way a person reads a day here: 2 December 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def long_moment(at: datetime) -> str:
    """A moment, in UTC: 2 December 2026, 09:00 UTC (a naive time is taken as UTC)."""
    utc = at.astimezone(UTC) if at.tzinfo is not None else at
    return f"{long_date(utc)}, {utc:%H:%M} UTC"


def parse_moment(text: str) -> datetime:
    """An RFC 3339 timestamp with its zone, as a command line or a form gives it; ValueError
    if not."""
    return _MOMENT.validate_python(text)


_MOMENT: TypeAdapter[datetime] = TypeAdapter(IsoDateTime)
