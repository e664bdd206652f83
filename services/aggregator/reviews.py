"""The Secretariat's review queue: every reported figure's current version with its review
state, filtered and paged."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.aggregator.settings import AggregatorSettings
from shared.adapters.auth import Role, require
from shared.adapters.paging import Cursor, Limit, Page, page
from shared.domain.liveview import LiveView
from shared.domain.review import FigureReview, ReviewState, figure_review, review_order


def _queue(
    view: LiveView,
    state: ReviewState | None,
    project: str | None,
    action_point: str | None,
    indicator: str | None,
) -> list[FigureReview]:
    """The figures chosen, filtered before their views are made (in a worker thread: a long
    log holds many)."""
    action_point_of = {i.id: i.action_point for i in view.framework.indicators}
    chosen = [
        item
        for item in view.figures.under_review()
        if (state is None or item.state is state) and (project is None or item.figure.project_id == project)
    ]
    views = [figure_review(item, action_point_of) for item in chosen]
    return [
        r
        for r in views
        if (action_point is None or action_point in r.action_points)
        and (indicator is None or r.indicator_id == indicator)
    ]


def review_routes(view: LiveView, settings: AggregatorSettings) -> APIRouter:
    """The queue is the Secretariat's: the operator token (the comments and the reviewers'
    names are not for every reader)."""
    router = APIRouter()

    @router.get("/reviews", dependencies=[Depends(require(Role.OPERATOR, settings))])
    async def reviews(
        state: ReviewState | None = ReviewState.PENDING,
        project: Annotated[str | None, Query(description="Of one project")] = None,
        action_point: Annotated[str | None, Query(description="Counting toward one action point")] = None,
        indicator: Annotated[str | None, Query(description="Measurements of one indicator")] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[FigureReview]:
        """The Secretariat's queue: each reported figure's current version with its review
        state (default: those waiting for review), oldest report first."""
        chosen = await asyncio.to_thread(_queue, view, state, project, action_point, indicator)
        return page(chosen, review_order, limit, cursor)

    return router
