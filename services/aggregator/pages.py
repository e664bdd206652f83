"""The pages' templates, in the reader's language: `{% trans %}` and `_()` in a template
answer from the language's catalog (`lang` in the page's context), and dates, moments and
numbers are formatted for it. The language is the one asked for with `?lang=` (kept in a
cookie, so every link of the page keeps it), else the browser's Accept-Language, else
English."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import get_month_names
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from services.report import worldmap
from services.report.pack import summary_of
from shared.adapters.translations_store import Translations
from shared.domain.status import STATUS_LABELS, Status
from shared.domain.translations import ENGLISH_TEXTS, CatalogTexts
from shared.domain.views import CountryView, PriorityView, ReadModel
from shared.i18n import LANGUAGES, N_, Messages, chosen_language, country_names, messages

LANGUAGE_COOKIE = "cfa_lang"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)


def _words(context: Context) -> Messages:
    return messages(context.get("lang") or "en")


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _words(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _words(context).ngettext(singular, plural, n)


@pass_context
def _date(context: Context, day: date | None) -> str:
    return _words(context).date(day) if day else ""


@pass_context
def _moment(context: Context, at: datetime) -> str:
    return _words(context).moment(at)


@pass_context
def _number(context: Context, value: float | None) -> str:
    """A figure as people read it: 1,234 (1 234), or 12.5 below a hundred; a dash for none."""
    return _words(context).number(value)


@pass_context
def _ap_counts(context: Context, priority: PriorityView) -> str:
    """Why a priority card has its colour: "2 of 6 action points behind · 1 without data"."""
    words = _words(context)
    counts = Counter(ap.status for ap in priority.action_points)
    total = len(priority.action_points)
    if counts[Status.ON_TRACK] == total:
        return words.ngettext(
            "all {n} action point on track", "all {n} action points on track", total
        ).format(n=total)
    first = {
        Status.BEHIND: N_("{n} of {total} action points behind"),
        Status.NO_DATA: N_("{n} of {total} action points without data"),
        Status.AT_RISK: N_("{n} of {total} action points at risk"),
    }
    rest = {
        Status.BEHIND: N_("{n} behind"),
        Status.NO_DATA: N_("{n} without data"),
        Status.AT_RISK: N_("{n} at risk"),
    }
    shown = [status for status in first if counts[status]]
    parts = [words.gettext(first[shown[0]]).format(n=counts[shown[0]], total=total)]
    parts += [words.gettext(rest[status]).format(n=counts[status]) for status in shown[1:]]
    return " · ".join(parts)


TEMPLATES.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


@pass_context
def _why(context: Context, why: str) -> str:
    return _words(context).said(why)


@pass_context
def _alert_summary(context: Context, alert: dict[str, Any]) -> str:
    return _words(context).said(summary_of(alert))


TEMPLATES.env.filters.update(long_date=_date, long_moment=_moment, why=_why)
TEMPLATES.env.globals.update(
    alert_summary=_alert_summary, number=_number, ap_status_counts=_ap_counts, language_names=LANGUAGE_NAMES
)


def map_context(model: ReadModel, language: str, by: str) -> dict[str, Any]:
    """The countries' map, coloured `by` activity or status, in the page's language."""
    words = messages(language)
    names = country_names(language) if language != "en" else {}

    def title(country: CountryView) -> str:
        shown = words.ngettext("{name}: {n} activity", "{name}: {n} activities", country.activity_count)
        return shown.format(
            name=names.get(country.code, country.name), n=words.number(country.activity_count)
        )

    if by == "status":
        legend = worldmap.status_legend(words, STATUS_LABELS)
    else:
        legend = worldmap.activity_legend(words)
    statuses = worldmap.country_statuses(model.projects.values())
    shown = worldmap.shade(model.countries, by, statuses, title, legend)
    label = words.gettext("Map of the countries where projects report activities")
    return {"world_map": Markup(worldmap.svg(shown, label)), "map_legend": legend, "map_by": by}


def page_language(request: Request) -> tuple[str, str | None]:
    """The reader's language: `?lang=`, else the one chosen before (the cookie), else the
    browser's. A second value is the problem with an unknown `?lang=`, in the language the
    page is then shown in."""
    asked, kept = request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)
    fallback = kept if kept in LANGUAGES else chosen_language(None, request.headers.get("accept-language"))
    if not asked:
        return fallback, None
    if asked in LANGUAGES:
        return asked, None
    problem = messages(fallback).gettext("“{text}” is not a language of the monitor: {languages}.")
    return fallback, problem.format(text=asked[:20], languages=", ".join(LANGUAGES))


def language_context(request: Request, language: str, texts: CatalogTexts) -> dict[str, Any]:
    """What a page needs to speak `language`: its words, status labels, month and country
    names, the Call for Action's texts (`texts`: in English until an official translation
    is loaded), and the links to the page in every language."""
    words = messages(language)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    return {
        "lang": language,
        "texts": texts,
        "catalog_lang": texts.language,
        "labels": {status: words.gettext(label) for status, label in STATUS_LABELS.items()},
        "months": list(get_month_names("wide", context="stand-alone", locale=words.locale).values()),
        "country_names": country_names(language) if language != "en" else {},
        "languages": {other: "?" + urlencode({**query, "lang": other}) for other in LANGUAGES},
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    translations: Translations | None = None,
) -> Response:
    """A page in the reader's language, with the Call for Action's texts as `translations`
    has them in it; a language asked for with `?lang=` is remembered."""
    language = context.get("lang") or page_language(request)[0]
    texts = translations.texts(language) if translations else ENGLISH_TEXTS
    full = {**language_context(request, language, texts), **context}
    response = TEMPLATES.TemplateResponse(request, template, full, status_code=status_code)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Cookie"
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 86400, samesite="lax")
    return response
