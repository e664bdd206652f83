"""What a reader of the pages asked for: the day the figures are as of, the moments they are
known at and compared with; and what every page shows around its figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from fastapi import Request

from shared.adapters.auth import TOKEN_COOKIE
from shared.domain import catalog
from shared.domain.review import Basis
from shared.isodate import MONTHS, iso_date, parse_moment


def chosen_day(query: Mapping[str, str], today: date) -> tuple[date, str | None]:
    """The day asked for: `as_of` (YYYY-MM-DD), or `day`, `month` and `year` (the form's
    selects); today when none is given. A second value is the problem, in words."""
    as_of = query.get("as_of")
    if as_of:
        try:
            return iso_date(as_of), None
        except ValueError:
            return today, f"“{as_of[:40]}” is not a date. Choose a day below, or write it YYYY-MM-DD."
    parts = [query.get(name) for name in ("year", "month", "day")]
    if not any(parts):
        return today, None
    try:
        year, month, day = (int(part or "") for part in parts)
        return date(year, month, day), None
    except (ValueError, OverflowError):
        shown = " ".join((part or "?")[:10] for part in reversed(parts))
        return today, f"There is no such day as {shown}. Choose another."


def chosen_basis(query: Mapping[str, str]) -> tuple[Basis | None, str | None]:
    """The figures asked for (`figures`: reported or approved); None: the service's default."""
    text = (query.get("figures") or "").strip()
    if not text:
        return None, None
    try:
        return Basis(text), None
    except ValueError:
        return None, f"“{text[:40]}” is not a choice of figures: reported, or approved."


def chosen_moment(query: Mapping[str, str], name: str, now: datetime) -> tuple[datetime | None, str | None]:
    """The moment in `name`: RFC 3339, or a form's YYYY-MM-DDTHH:MM (taken as UTC); None when
    not given, or now or later (the figures of now). A second value is the problem, in words."""
    text = (query.get(name) or "").strip()
    if not text:
        return None, None
    if len(text) == 16 and text[10:11] == "T":  # a datetime-local input: no zone, UTC meant
        text += ":00Z"
    try:
        at = parse_moment(text)
    except ValueError:
        return None, f"“{text[:40]}” is not a moment. Write it YYYY-MM-DDTHH:MM (UTC)."
    return (at if at < now else None), None


def page_context(request: Request, day: date, today: date) -> dict[str, Any]:
    """What every page shows around its figures: the day, the date form, sign-out."""
    return {
        "as_of": day,
        "today": today,
        "months": MONTHS,
        "years": range(
            catalog.IMPLEMENTATION_START.year, max(today.year, catalog.IMPLEMENTATION_END.year) + 1
        ),
        "signed_in": TOKEN_COOKIE in request.cookies,
    }
