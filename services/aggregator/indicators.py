"""The drill-down from a figure to the reports that make it: an indicator with its figures
as of a date, and every measurement behind it, with what became of each."""

from __future__ import annotations

from datetime import date, datetime
from operator import attrgetter
from typing import Any, Protocol

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.adapters.knownat import KnownAt
from shared.adapters.paging import Cursor, Limit, Page, page
from shared.adapters.problems import Problem
from shared.domain.facts import measurement_key
from shared.domain.history import MeasurementEntry, ReportState, measurement_history
from shared.domain.liveview import LiveView
from shared.domain.review import Figures, ReviewState
from shared.domain.views import IndicatorView, ReadModel


class IndicatorReports(Protocol):
    async def indicator_reports(self, indicator_id: str) -> list[dict[str, Any]]:
        """Every measured and withdrawn event of the indicator, with `stored_at`."""
        ...


class ReportCounts(BaseModel):
    current: int = Field(description="Measurements in their latest version")
    counted: int = Field(description="Of those, the ones in the figure as of as_of")
    superseded: int = Field(description="Versions a later report of the same project and period replaced")
    withdrawn: int = Field(description="Measurements a withdrawal took out of the figures")


class IndicatorDetail(IndicatorView):
    action_point: str
    reports: ReportCounts
    measurements: str = Field(description="Where every measurement behind the figure is listed")


class MeasurementView(BaseModel):
    event_id: str
    project_id: str
    period_start: date
    period_end: date
    value: float
    time: datetime = Field(description="When the project reported it (the event's time)")
    received_at: datetime = Field(description="When the monitor stored it")
    state: ReportState
    counted: bool = Field(description="In the figure as of as_of")
    replaced_by: str | None = Field(description="The event that superseded or withdrew it")
    reason: str | None = Field(description="Why it was withdrawn, as the withdrawal says")
    review: ReviewState | None = Field(
        description="The Secretariat's review of this version: pending (the current one, not yet "
        "reviewed), approved or returned; null for an older version no review names"
    )


async def reports_behind(
    reports: IndicatorReports, indicator_id: str, aggregation: str, as_of: date, known_at: datetime | None
) -> list[MeasurementEntry]:
    """Every measurement of the indicator received by `known_at` (None: all), in order."""
    documents = await reports.indicator_reports(indicator_id)
    if known_at is not None:
        documents = [d for d in documents if d["stored_at"] <= known_at]
    return sorted(measurement_history(documents, aggregation, as_of), key=attrgetter("order"))


def _figures(rm: ReadModel, view: LiveView, indicator_id: str) -> IndicatorView:
    indicator = view.framework.by_id.get(indicator_id)
    found = None
    if indicator is not None:
        found = next(
            (i for i in rm.action_points[indicator.action_point].indicators if i.id == indicator_id), None
        )
    if found is None:
        raise Problem(404, "Not Found", f"no indicator {indicator_id!r} in the results framework")
    return found


def _fields(entry: MeasurementEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in MeasurementView.model_fields if name != "review"}


def _counts(entries: list[MeasurementEntry]) -> ReportCounts:
    states = [e.state for e in entries]
    return ReportCounts(
        current=states.count(ReportState.CURRENT),
        counted=sum(e.counted for e in entries),
        superseded=states.count(ReportState.SUPERSEDED),
        withdrawn=states.count(ReportState.WITHDRAWN),
    )


def reviewed(entry: MeasurementEntry, figures: Figures) -> ReviewState | None:
    """The review state of a measurement's version under the latest review of its report."""
    start, end = entry.period_start.isoformat(), entry.period_end.isoformat()
    key = measurement_key(entry.project_id, entry.indicator_id, start, end)
    review = figures.review_of(key)
    if review is not None and review.event_id == entry.event_id:
        return ReviewState(review.decision)
    return ReviewState.PENDING if entry.state is ReportState.CURRENT else None


def indicator_routes(view: LiveView, reports: IndicatorReports, known: KnownAt, model: Any) -> APIRouter:
    """`model`: the read model as of the date asked, as a dependency."""
    router = APIRouter()

    async def history(indicator_id: str, rm: ReadModel) -> tuple[IndicatorView, list[MeasurementEntry]]:
        figures = _figures(rm, view, indicator_id)
        return figures, await reports_behind(
            reports, indicator_id, figures.aggregation, rm.as_of, rm.known_at
        )

    @router.get("/indicators/{indicator_id}")
    async def indicator(indicator_id: str, rm: ReadModel = model) -> IndicatorDetail:
        """An indicator's figures as of a date, and how many reports make them."""
        figures, entries = await history(indicator_id, rm)
        return IndicatorDetail(
            **figures.model_dump(),
            action_point=view.framework.by_id[indicator_id].action_point,
            reports=_counts(entries),
            measurements=f"/v1/indicators/{indicator_id}/measurements?as_of={rm.as_of}",
        )

    @router.get("/indicators/{indicator_id}/measurements")
    async def measurements(
        indicator_id: str, rm: ReadModel = model, limit: Limit = 50, cursor: Cursor = None
    ) -> Page[MeasurementView]:
        """Every measurement behind the figure, by period: its project, value, event, when it
        was received, whether it counts as of the date, and what superseded or withdrew it."""
        _, entries = await history(indicator_id, rm)
        figures = view.figures if rm.known_at is None else await known.figures(rm.known_at)
        views = [(e.order, MeasurementView(**_fields(e), review=reviewed(e, figures))) for e in entries]
        chosen = page(views, lambda v: v[0], limit, cursor)
        return Page[MeasurementView](items=[v for _, v in chosen.items], next_cursor=chosen.next_cursor)

    return router
