"""The Reference Group's dashboard at `/`: server-rendered HTML with inline SVG charts, no
script and nothing fetched from elsewhere. The 6 priorities and their action points, each
indicator's actual against expected and target over time with its forecast, projects,
countries, firing alerts (all of them at `/alerts`); any `as_of` date, chosen with day, month
and year in the page's language. Sign-in, when reads are not public, is a reader token kept
in an HttpOnly cookie that only reads accept."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.charts import Chart, indicator_chart
from shared.adapters.auth import TOKEN_COOKIE, Role, allowed, role_of
from shared.adapters.eventlog import EventLog
from shared.adapters.mongo import ALERTS
from shared.clock import Clock
from shared.domain import catalog
from shared.domain.history import measurement_history
from shared.domain.liveview import LiveView
from shared.domain.status import Status
from shared.domain.views import PriorityView, ReadModel
from shared.isodate import MONTHS, iso_date, long_date
from shared.settings import CommonSettings

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["long_date"] = lambda day: long_date(day) if day else ""
STATUS_LABEL = {
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.BEHIND: "Behind",
    Status.NO_DATA: "No data",
}
COOKIE_DAYS = 30


SHOWN_ALERTS = 12  # on the dashboard; /alerts lists them all


async def firing_alerts(db: AsyncDatabase[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notifier's firing alerts, critical first, then newest; each with the dashboard
    anchor of what it is about (`where`)."""
    found = db[ALERTS].find(
        {"state": "firing"}, {"summary": 1, "severity": 1, "kind": 1, "subject": 1, "starts_at": 1}
    )
    alerts = [{**doc, "where": anchor_of(doc["subject"])} async for doc in found]
    return sorted(alerts, key=lambda a: (a["severity"] != "critical", -a["starts_at"].timestamp()))


def anchor_of(subject: str) -> str:
    """Where on the dashboard an alert's subject is: action_point:3.1 -> ap-3.1, and so on."""
    kind, _, key = subject.partition(":")
    if kind == "action_point":
        return f"ap-{key}"
    if kind == "priority":
        return f"priority-{key}"
    return f"project-{key.partition('/')[0]}"  # a project, or a milestone of one


def action_point_counts(priority: PriorityView) -> str:
    """Why a priority card has its colour: "2 of 6 action points behind · 1 without data"."""
    counts = Counter(ap.status for ap in priority.action_points)
    total = len(priority.action_points)
    if counts[Status.ON_TRACK] == total:
        return f"all {total} action points on track"
    words = {Status.BEHIND: "behind", Status.NO_DATA: "without data", Status.AT_RISK: "at risk"}
    parts = [f"{counts[status]} {word}" for status, word in words.items() if counts[status]]
    first, *rest = parts
    number, _, word = first.partition(" ")
    return " · ".join([f"{number} of {total} action points {word}", *rest])


TEMPLATES.env.globals["ap_status_counts"] = action_point_counts


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


def charts(view: LiveView, model: ReadModel) -> dict[str, Chart]:
    framework = view.framework.by_id
    series = view.facts.indexes.series
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
            )
    return result


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


def _page_routes(
    settings: CommonSettings, db: AsyncDatabase[dict[str, Any]], view: LiveView, clock: Clock
) -> APIRouter:
    router = APIRouter()
    reports = EventLog(db)

    @router.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        today = clock().date()
        day, problem = chosen_day(request.query_params, today)
        if problem is not None:  # never today's figures under a date that was not asked for
            context = {**page_context(request, today, today), "problem": problem}
            return TEMPLATES.TemplateResponse(request, "bad_date.html", context, status_code=400)
        if not view.ready.is_set():
            return TEMPLATES.TemplateResponse(request, "loading.html", {}, status_code=503)
        model = await view.read_model_off_loop(day)
        alerts = await firing_alerts(db)
        context = {
            **page_context(request, day, today),
            "model": model,
            "labels": STATUS_LABEL,
            "charts": await asyncio.to_thread(charts, view, model),  # may fold in new facts
            "ap_counts": Counter(ap.status for ap in model.action_points.values()),
            "stale": sum(ap.stale for ap in model.action_points.values()),
            "alerts": alerts[:SHOWN_ALERTS],
            "alert_count": len(alerts),
            "twg_names": catalog.TWG_NAMES,
        }
        return TEMPLATES.TemplateResponse(request, "dashboard.html", context)

    @router.get("/alerts", response_class=HTMLResponse)
    async def alerts_page(request: Request) -> Response:
        """Every alert firing now, each with its anchor (alert-<fingerprint>) for links."""
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        today = clock().date()
        context = {**page_context(request, today, today), "alerts": await firing_alerts(db)}
        return TEMPLATES.TemplateResponse(request, "alerts.html", context)

    @router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    async def indicator_page(request: Request, indicator_id: str) -> Response:
        """Every measurement behind an indicator's figure as of a day, and what became of it."""
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        today = clock().date()
        day, problem = chosen_day(request.query_params, today)
        indicator = view.framework.by_id.get(indicator_id)
        if problem is None and indicator is None:
            problem = "There is no such indicator in the results framework."
        if problem is not None or indicator is None:
            context = {**page_context(request, today, today), "problem": problem}
            return TEMPLATES.TemplateResponse(
                request, "bad_date.html", context, status_code=400 if indicator else 404
            )
        if not view.ready.is_set():
            return TEMPLATES.TemplateResponse(request, "loading.html", {}, status_code=503)
        model = await view.read_model_off_loop(day)
        figures = next(
            i for i in model.action_points[indicator.action_point].indicators if i.id == indicator_id
        )
        documents = await reports.indicator_reports(indicator_id)
        context = {
            **page_context(request, day, today),
            "figures": figures,
            "action_point": indicator.action_point,
            "entries": sorted(
                measurement_history(documents, indicator.aggregation, day), key=attrgetter("order")
            ),
            "labels": STATUS_LABEL,
        }
        return TEMPLATES.TemplateResponse(request, "indicator.html", context)

    return router


def _sign_in_routes(settings: CommonSettings) -> APIRouter:
    """The reader signs in with the reader token, kept in a cookie, and out again."""
    router = APIRouter()

    @router.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        return TEMPLATES.TemplateResponse(request, "login.html", {"error": None})

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0].strip()
        # The reader token only: a browser keeps the cookie, and a cookie taken from it must
        # not carry the operator's rights (only reads accept cookies anyway).
        if role_of(token, settings) is not Role.READER:
            error = "That is not a reader token. (The operator token is not used in a browser.)"
            return TEMPLATES.TemplateResponse(request, "login.html", {"error": error}, status_code=401)
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
    settings: CommonSettings, db: AsyncDatabase[dict[str, Any]], view: LiveView, clock: Clock
) -> APIRouter:
    """The pages over `view` (the read API's), today by `clock`; the alerts from `db`."""
    router = APIRouter(include_in_schema=False)
    router.include_router(_page_routes(settings, db, view, clock))
    router.include_router(_sign_in_routes(settings))
    return router
