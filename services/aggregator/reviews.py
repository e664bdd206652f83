"""The Secretariat's review queue: every reported figure's current version with its review
state, filtered and paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shared.adapters.paging import Cursor, Limit, Page, page
from shared.domain.liveview import LiveView
from shared.domain.review import FigureReview, ReviewState, figure_review


def review_routes(view: LiveView) -> APIRouter:
    router = APIRouter()

    @router.get("/reviews")
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
        action_point_of = {i.id: i.action_point for i in view.framework.indicators}
        chosen = [
            r
            for r in (figure_review(item, action_point_of) for item in view.figures.under_review())
            if (state is None or r.state is state)
            and (project is None or r.project_id == project)
            and (action_point is None or action_point in r.action_points)
            and (indicator is None or r.indicator_id == indicator)
        ]
        return page(chosen, lambda r: f"{r.reported_at.isoformat()}|{r.key}", limit, cursor)

    return router
