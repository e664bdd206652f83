"""What a reader of the pages asked for: the day the figures are as of, the moments they are
known at and compared with; and what every page shows around its figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Request

from services.aggregator.pages import page_language
from shared.adapters.auth import TOKEN_COOKIE
from shared.domain import catalog
from shared.domain.review import Basis
from shared.i18n import Messages, messages
from shared.isodate import iso_date, parse_moment

ENGLISH = messages("en")


def chosen_day(query: Mapping[str, str], today: date, words: Messages = ENGLISH) -> tuple[date, str | None]:
    """The day asked for: `as_of` (YYYY-MM-DD), or `day`, `month` and `year` (the form's
    selects); today when none is given. A second value is the problem, in `words`."""
    _ = words.gettext
    as_of = query.get("as_of")
    if as_of:
        try:
            return iso_date(as_of), None
        except ValueError:
            problem = _("“{text}” is not a date. Choose a day below, or write it YYYY-MM-DD.")
            return today, problem.format(text=as_of[:40])
    parts = [query.get(name) for name in ("year", "month", "day")]
    if not any(parts):
        return today, None
    try:
        year, month, day = (int(part or "") for part in parts)
        return date(year, month, day), None
    except (ValueError, OverflowError):
        shown = " ".join((part or "?")[:10] for part in reversed(parts))
        return today, _("There is no such day as {day}. Choose another.").format(day=shown)


def chosen_basis(query: Mapping[str, str], words: Messages = ENGLISH) -> tuple[Basis | None, str | None]:
    """The figures asked for (`figures`: reported or approved); None: the service's default."""
    text = (query.get("figures") or "").strip()
    if not text:
        return None, None
    try:
        return Basis(text), None
    except ValueError:
        problem = words.gettext("“{text}” is not a choice of figures: reported, or approved.")
        return None, problem.format(text=text[:40])


def chosen_moment(
    query: Mapping[str, str], name: str, now: datetime, words: Messages = ENGLISH
) -> tuple[datetime | None, str | None]:
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
        problem = words.gettext("“{text}” is not a moment. Write it YYYY-MM-DDTHH:MM (UTC).")
        return None, problem.format(text=text[:40])
    return (at if at < now else None), None


@dataclass(frozen=True)
class Asked:
    """What a page was asked for, each choice checked; `problem` names the first one that
    is not right, in the reader's language."""

    language: str
    day: date
    known_at: datetime | None
    since: datetime | None
    basis: Basis | None
    problem: str | None


def asked(request: Request, now: datetime) -> Asked:
    """The language, the day, the moments (known at, changes since) and the figures' basis
    a page is asked for."""
    language, problem = page_language(request)
    words = messages(language)
    query = request.query_params
    day, day_problem = chosen_day(query, now.date(), words)
    known_at, known_problem = chosen_moment(query, "known_at", now, words)
    since, since_problem = chosen_moment(query, "since", now, words)
    basis, basis_problem = chosen_basis(query, words)
    if since is not None and since >= (known_at or now):
        since_problem = words.gettext(
            "“Changes since” must be a moment before the one the figures are known at."
        )
    problems = (day_problem, known_problem, since_problem, basis_problem, problem)
    return Asked(language, day, known_at, since, basis, next((p for p in problems if p), None))


def page_context(request: Request, day: date, today: date) -> dict[str, Any]:
    """What every page shows around its figures: the day, the date form, sign-out."""
    return {
        "as_of": day,
        "today": today,
        "years": range(
            catalog.IMPLEMENTATION_START.year, max(today.year, catalog.IMPLEMENTATION_END.year) + 1
        ),
        "signed_in": TOKEN_COOKIE in request.cookies,
    }
