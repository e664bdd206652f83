"""The read API: priorities, action points, projects, countries, the report.

Every read takes `as_of` (default: today) and every list pages with `limit` and `cursor`."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from services.aggregator.iati import iati_activities
from services.aggregator.indicators import IndicatorReports, indicator_routes
from services.aggregator.reviews import review_routes
from services.aggregator.settings import AggregatorSettings
from services.report.routes import Alerts, pack_routes
from shared.adapters.auth import Role, require
from shared.adapters.knownat import KnownAt, read_model_known_at
from shared.adapters.paging import Cursor, Limit, Page, page
from shared.adapters.problems import Problem
from shared.adapters.translations_store import Translations
from shared.clock import Clock
from shared.domain.liveview import LiveView
from shared.domain.review import Basis
from shared.domain.status import Status
from shared.domain.views import (
    ActionPointView,
    CountryView,
    PriorityView,
    ProjectView,
    ReadModel,
    late_indicators,
)
from shared.isodate import IsoDate, IsoDateTime

KnownAtQuery = Annotated[
    IsoDateTime | None,
    Query(
        description="Figures from the events the monitor had received by then (RFC 3339, such as "
        "2026-06-30T09:00:00Z), whatever arrived later; default now"
    ),
]
FiguresQuery = Annotated[
    Basis | None,
    Query(
        description="Statuses over every reported figure (reported) or over the figures the "
        "Secretariat approved (approved); default CFA_FIGURES"
    ),
]
AsOf = Annotated[
    IsoDate | None, Query(description="The date the figures are as of (YYYY-MM-DD); default today")
]


class LateIndicator(BaseModel):
    action_point: str
    indicator: str
    name: str
    projected_completion: date | None
    target_date: date


class Report(BaseModel):
    as_of: date
    priorities: list[PriorityView]
    action_point_status: dict[Status, int]
    stale_action_points: list[str]
    projected_late: list[LateIndicator]
    projects_by_status: dict[Status, list[str]]


def _not_found(what: str, key: str) -> Problem:
    return Problem(404, "Not Found", f"no {what} {key!r}")


def report_of(rm: ReadModel) -> Report:
    """Everything the Reference Group reads at a meeting, from the read model of a date."""
    aps = rm.action_points.values()
    by_status: dict[Status, list[str]] = {s: [] for s in Status}
    for p in rm.projects.values():
        by_status[p.status].append(p.id)
    return Report(
        as_of=rm.as_of,
        priorities=rm.priorities,
        action_point_status={s: Counter(ap.status for ap in aps)[s] for s in Status},
        stale_action_points=[ap.id for ap in aps if ap.stale],
        projected_late=[
            LateIndicator(
                action_point=ap.id,
                indicator=i.id,
                name=i.name,
                projected_completion=i.projected_completion,
                target_date=i.target_date,
            )
            for ap, i in late_indicators(aps)
        ],
        projects_by_status=by_status,
    )


def _model_reader(
    view: LiveView, known: KnownAt, clock: Clock
) -> Callable[[IsoDate | None, datetime | None, Basis | None], Awaitable[ReadModel]]:
    async def current_model(
        as_of: AsOf = None, known_at: KnownAtQuery = None, figures: FiguresQuery = None
    ) -> ReadModel:
        """The read model as of the date asked (default today), as known at the moment
        asked (default now), over the figures asked (default CFA_FIGURES)."""
        if not view.ready.is_set():
            raise Problem(503, "Service Unavailable", "the read model is still loading the event log")
        now = clock()
        return await read_model_known_at(view, known, now, as_of or now.date(), known_at, figures)

    return current_model


# Each resource's routes take the read model as a dependency default (`Depends`): the
# annotations are strings (PEP 563) and the dependency is made per application.


def _priority_routes(model: Any) -> APIRouter:
    router = APIRouter()

    @router.get("/priorities")
    async def priorities(
        rm: ReadModel = model, limit: Limit = 50, cursor: Cursor = None
    ) -> Page[PriorityView]:
        """The six priority goals with their status and action points."""
        return page(rm.priorities, lambda p: str(p.id), limit, cursor)

    @router.get("/priorities/{priority_id}")
    async def priority(priority_id: int, rm: ReadModel = model) -> PriorityView:
        found = next((p for p in rm.priorities if p.id == priority_id), None)
        if found is None:
            raise _not_found("priority", str(priority_id))
        return found

    return router


def _action_point_routes(model: Any) -> APIRouter:
    router = APIRouter()

    @router.get("/action-points")
    async def action_points(
        rm: ReadModel = model,
        limit: Limit = 50,
        cursor: Cursor = None,
        priority: Annotated[int | None, Query(ge=1, le=6)] = None,
        status: Status | None = None,
    ) -> Page[ActionPointView]:
        """The 37 action points with indicators, activity and status; filter by priority or status."""
        chosen = [
            ap
            for ap in rm.action_points.values()
            if (priority is None or ap.priority == priority) and (status is None or ap.status == status)
        ]
        return page(chosen, lambda ap: f"{ap.priority}.{int(ap.id.split('.')[1]):02d}", limit, cursor)

    @router.get("/action-points/{action_point_id}")
    async def action_point(action_point_id: str, rm: ReadModel = model) -> ActionPointView:
        found = rm.action_points.get(action_point_id)
        if found is None:
            raise _not_found("action point", action_point_id)
        return found

    return router


def _project_and_country_routes(model: Any) -> APIRouter:
    router = APIRouter()

    @router.get("/projects")
    async def projects(
        rm: ReadModel = model, limit: Limit = 50, cursor: Cursor = None, status: Status | None = None
    ) -> Page[ProjectView]:
        chosen = [p for p in rm.projects.values() if status is None or p.status == status]
        return page(chosen, lambda p: p.id, limit, cursor)

    @router.get("/projects/{project_id}")
    async def project(project_id: str, rm: ReadModel = model) -> ProjectView:
        found = rm.projects.get(project_id)
        if found is None:
            raise _not_found("project", project_id)
        return found

    @router.get("/countries")
    async def countries(rm: ReadModel = model, limit: Limit = 50, cursor: Cursor = None) -> Page[CountryView]:
        return page(list(rm.countries.values()), lambda c: c.code, limit, cursor)

    @router.get("/countries/{code}")
    async def country(code: str, rm: ReadModel = model) -> CountryView:
        found = rm.countries.get(code.upper())
        if found is None:
            raise _not_found("country with projects or activities", code)
        return found

    return router


def _report_routes(
    settings: AggregatorSettings, view: LiveView, known: KnownAt, clock: Clock, model: Any
) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/export/iati",
        response_class=Response,
        responses={200: {"content": {"application/xml": {}}, "description": "IATI 2.03 activities"}},
    )
    async def export_iati(rm: ReadModel = model) -> Response:
        """Every project as an IATI 2.03 activity, as of a date (and as known at a moment):
        results per action point, indicators with baselines, yearly periods, targets and the
        project's actuals."""
        figures = view.figures if rm.known_at is None else await known.figures(rm.known_at)
        facts = figures.of(rm.figures)  # the figures the read model is over
        org = (settings.iati_reporting_org_ref, settings.iati_reporting_org_name)

        def write() -> bytes:  # in a thread: reading the indexes may fold in new facts
            return iati_activities(rm, view.framework, facts.indexes.measurements, org, clock())

        document = await asyncio.to_thread(write)
        filename = f"cfa-activities-{rm.as_of.isoformat()}.xml"
        return Response(
            document,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @router.get("/report")
    async def report(rm: ReadModel = model) -> Report:
        """Everything the Reference Group reads at a meeting, as of a date."""
        return report_of(rm)

    return router


async def no_alerts() -> list[dict[str, Any]]:
    """No alerts: the read API without the notifier's collection (tests)."""
    return []


def create_router(
    settings: AggregatorSettings,
    view: LiveView,
    reports: IndicatorReports,
    known: KnownAt,
    clock: Clock,
    alerts: Alerts = no_alerts,
    translations: Translations | None = None,
) -> APIRouter:
    """The read API over `view`, as of any day (default today by `clock`); reads need a reader
    or operator token unless CFA_PUBLIC_READS is true. The meeting pack says the Call for
    Action's texts as `translations` has them."""
    router = APIRouter(
        prefix="/v1", tags=["read model"], dependencies=[Depends(require(Role.READER, settings))]
    )
    model = Depends(_model_reader(view, known, clock))
    for routes in (_priority_routes, _action_point_routes, _project_and_country_routes):
        router.include_router(routes(model))
    router.include_router(indicator_routes(view, reports, known, model))
    router.include_router(review_routes(view, settings))
    router.include_router(_report_routes(settings, view, known, clock, model))
    router.include_router(pack_routes(view, known, clock, model, alerts, translations))
    return router
