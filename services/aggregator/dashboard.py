"""The Reference Group's dashboard at `/`: server-rendered HTML with inline SVG charts, no
script and nothing fetched from elsewhere. The 6 priorities and their action points, each
indicator's actual against expected and target over time with its forecast, projects,
countries, firing alerts; any `as_of` date. Sign-in, when reads are not public, is a reader
token kept in an HttpOnly cookie that only reads accept."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.charts import Chart, indicator_chart
from shared import catalog
from shared.auth import TOKEN_COOKIE, Role, allowed, role_of
from shared.clock import Clock
from shared.liveview import LiveView
from shared.mongo import ALERTS
from shared.readmodel import ReadModel
from shared.settings import CommonSettings
from shared.status import Status

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATUS_LABEL = {
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.BEHIND: "Behind",
    Status.NO_DATA: "No data",
}
COOKIE_DAYS = 30


async def firing_alerts(db: AsyncDatabase[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notifier's firing alerts, critical first, then newest."""
    found = db[ALERTS].find(
        {"state": "firing"}, {"summary": 1, "severity": 1, "kind": 1, "subject": 1, "starts_at": 1}
    )
    alerts = [doc async for doc in found]
    return sorted(alerts, key=lambda a: (a["severity"] != "critical", -a["starts_at"].timestamp()))


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


def create_dashboard(settings: CommonSettings, db: AsyncDatabase[dict[str, Any]]) -> APIRouter:
    """Needs `app.state.view` and `app.state.clock`, as the read API does."""
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request, as_of: str | None = None) -> Response:
        if not allowed(request, Role.READER, settings):
            return RedirectResponse("/login", status_code=303)
        view: LiveView = request.app.state.view
        clock: Clock = request.app.state.clock
        today = clock().date()
        day, problem = today, None
        if as_of:
            try:
                day = date.fromisoformat(as_of)
            except ValueError:
                problem = f"“{as_of}” is not a date (YYYY-MM-DD); showing today."
        if not view.ready.is_set():
            return TEMPLATES.TemplateResponse(request, "loading.html", {}, status_code=503)
        model = await view.read_model_off_loop(day)
        context = {
            "model": model,
            "today": today,
            "problem": problem,
            "labels": STATUS_LABEL,
            "charts": await asyncio.to_thread(charts, view, model),  # may fold in new facts
            "ap_counts": Counter(ap.status for ap in model.action_points.values()),
            "stale": sum(ap.stale for ap in model.action_points.values()),
            "alerts": await firing_alerts(db),
            "twg": {p.id: p.twg for p in catalog.priorities()},
            "period_start": catalog.IMPLEMENTATION_START,
            "signed_in": TOKEN_COOKIE in request.cookies,
        }
        return TEMPLATES.TemplateResponse(request, "dashboard.html", context)

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
