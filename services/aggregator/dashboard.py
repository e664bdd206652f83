"""The Reference Group's dashboard at `/`: server-rendered HTML with inline SVG charts, no
script and nothing fetched from elsewhere. The 6 priorities and their action points, each
indicator's actual against expected and target over time with its forecast, projects,
countries, firing alerts (all of them at `/alerts`); any `as_of` date, chosen with day, month
and year in the page's language. Sign-in, when reads are not public, is a reader token kept
in an HttpOnly cookie that only reads accept."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.alerts import firing_alerts
from services.aggregator.charts import Chart, indicator_chart
from services.aggregator.choices import asked, page_context
from services.aggregator.indicators import reports_behind, reviewed
from services.aggregator.pages import map_context, page_language, render
from shared.adapters.auth import TOKEN_COOKIE, Role, allowed, role_of
from shared.adapters.eventlog import EventLog
from shared.adapters.knownat import KnownAt, read_model_known_at
from shared.adapters.translations_store import Translations
from shared.clock import Clock
from shared.domain import catalog
from shared.domain.changes import what_moved
from shared.domain.factset import FactSet
from shared.domain.liveview import LiveView
from shared.domain.views import ReadModel
from shared.i18n import Messages, messages
from shared.settings import CommonSettings

Shows = Callable[..., Response]  # pages.render, with the translations loaded
COOKIE_DAYS = 30
SHOWN_ALERTS = 12  # on the dashboard; /alerts lists them all
SHOWN_EVENTS = 50  # of the events received between two moments


def charts(view: LiveView, facts: FactSet, model: ReadModel, words: Messages) -> dict[str, Chart]:
    """Each indicator's chart, from the facts the model was made of."""
    framework = view.framework.by_id
    series = facts.indexes.series
    result = {}
    for ap in model.action_points.values():
        for figures in ap.indicators:
            indicator = framework[figures.id]
            result[figures.id] = indicator_chart(
                indicator,
                series(indicator.id, indicator.aggregation),
                model.as_of,
                figures.projected_completion,
                figures.actual,
                words,
            )
    return result


def _page_routes(
    settings: CommonSettings,
    db: AsyncDatabase[dict[str, Any]],
    view: LiveView,
    log: EventLog,
    known: KnownAt,
    clock: Clock,
    show: Shows,
) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        """The figures as of a day (`as_of`, or the form's day, month and year), as known at a
        moment (`known_at`, default now), and what moved since another (`since`)."""
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        now = clock()
        choice = asked(request, now)
        day, known_at, since, basis = choice.day, choice.known_at, choice.since, choice.basis
        if choice.problem is not None:  # never today's figures under a date that was not asked for
            context = {**page_context(request, now.date(), now.date()), "problem": choice.problem}
            return show(request, "bad_date.html", {**context, "lang": choice.language}, status_code=400)
        if not view.ready.is_set():
            return show(request, "loading.html", {"lang": choice.language}, status_code=503)
        model = await read_model_known_at(view, known, now, day, known_at, basis)
        facts = (view.figures if known_at is None else await known.figures(known_at)).of(model.figures)
        alerts = await firing_alerts(db)
        context = {
            **page_context(request, day, now.date()),
            "lang": choice.language,
            "model": model,
            "charts": await asyncio.to_thread(charts, view, facts, model, messages(choice.language)),
            "ap_counts": Counter(ap.status for ap in model.action_points.values()),
            "stale": sum(ap.stale for ap in model.action_points.values()),
            "alerts": alerts[:SHOWN_ALERTS],
            "alert_count": len(alerts),
            "twg_names": catalog.TWG_NAMES,
            "known_at": known_at,
            **map_context(
                model,
                choice.language,
                "status" if request.query_params.get("map") == "status" else "activity",
            ),
            **(await _changes_since(model, since, known_at or now) if since is not None else {}),
        }
        return show(request, "dashboard.html", context)

    async def _changes_since(model: ReadModel, since: datetime, until: datetime) -> dict[str, Any]:
        """What moved from `since` to `until` (the figures of the same day), and the events
        received between the two moments, which moved it."""
        before = await read_model_known_at(view, known, clock(), model.as_of, since, model.figures)
        received, events = await log.received_between(since, until, SHOWN_EVENTS)
        return {"since": since, "moved": what_moved(before, model), "received": received, "events": events}

    @router.get("/alerts", response_class=HTMLResponse)
    async def alerts_page(request: Request) -> Response:
        """Every alert firing now, each with its anchor (alert-<fingerprint>) for links."""
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        today = clock().date()
        context = {**page_context(request, today, today), "alerts": await firing_alerts(db)}
        return show(request, "alerts.html", context)

    return router


def _indicator_routes(
    settings: CommonSettings, view: LiveView, log: EventLog, known: KnownAt, clock: Clock, show: Shows
) -> APIRouter:
    router = APIRouter()

    @router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    async def indicator_page(request: Request, indicator_id: str) -> Response:
        """Every measurement behind an indicator's figure as of a day (as known at a moment),
        and what became of it."""
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        now = clock()
        choice = asked(request, now)
        day, known_at, basis, problem = choice.day, choice.known_at, choice.basis, choice.problem
        indicator = view.framework.by_id.get(indicator_id)
        if problem is None and indicator is None:
            problem = messages(choice.language).gettext(
                "There is no such indicator in the results framework."
            )
        if problem is not None or indicator is None:
            context = {
                **page_context(request, now.date(), now.date()),
                "problem": problem,
                "lang": choice.language,
            }
            status = 404 if indicator is None and not choice.problem else 400
            return show(request, "bad_date.html", context, status_code=status)
        if not view.ready.is_set():
            return show(request, "loading.html", {"lang": choice.language}, status_code=503)
        model = await read_model_known_at(view, known, now, day, known_at, basis)
        ap = model.action_points[indicator.action_point]
        entries = await reports_behind(log, indicator_id, indicator.aggregation, day, known_at)
        figures = view.figures if known_at is None else await known.figures(known_at)
        context = {
            **page_context(request, day, now.date()),
            "model": model,
            "figures": next(i for i in ap.indicators if i.id == indicator_id),
            "action_point": indicator.action_point,
            "entries": entries,
            "reviews": {e.event_id: reviewed(e, figures) for e in entries},
            "lang": choice.language,
            "known_at": known_at,
        }
        return show(request, "indicator.html", context)

    return router


def _sign_in_routes(settings: CommonSettings, show: Shows) -> APIRouter:
    """The reader signs in with the reader token, kept in a cookie, and out again."""
    router = APIRouter()

    @router.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        return show(request, "login.html", {"error": None})

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0].strip()
        # The reader token only: a browser keeps the cookie, and a cookie taken from it must
        # not carry the operator's rights (only reads accept cookies anyway).
        if role_of(token, settings) is not Role.READER:
            words = messages(page_language(request)[0])
            error = words.gettext(
                "That is not a reader token. (The operator token is not used in a browser.)"
            )
            return show(request, "login.html", {"error": error}, status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            max_age=COOKIE_DAYS * 86400,
            httponly=True,
            samesite="strict",
            secure=settings.cookie_secure or request.url.scheme == "https",
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE, httponly=True, samesite="strict", secure=settings.cookie_secure)
        return response

    return router


def create_dashboard(
    settings: CommonSettings,
    db: AsyncDatabase[dict[str, Any]],
    view: LiveView,
    known: KnownAt,
    clock: Clock,
    translations: Translations | None = None,
) -> APIRouter:
    """The pages over `view` and `known` (the read API's), today by `clock`; the alerts and
    the events from `db`; the Call for Action's texts in a language from `translations`."""
    router = APIRouter(include_in_schema=False)
    log = EventLog(db)
    show = partial(render, translations=translations)
    router.include_router(_page_routes(settings, db, view, log, known, clock, show))
    router.include_router(_indicator_routes(settings, view, log, known, clock, show))
    router.include_router(_sign_in_routes(settings, show))
    return router
