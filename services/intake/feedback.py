"""A project's feedback on its figures: the Secretariat's review of each, at its current
version, read from the project's own events (its reports and the reviews of them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain.facts import fact_of_document
from shared.domain.review import FigureReview, Figures, figure_review


class ProjectEvents(Protocol):
    async def project_events(self, project_id: str) -> list[dict[str, Any]]: ...


class ReviewFeedback:
    def __init__(self, log: ProjectEvents, action_point_of: Callable[[], Mapping[str, str]]) -> None:
        self._log = log
        self._action_point_of = action_point_of

    async def of_project(self, project_id: str) -> tuple[list[FigureReview], int]:
        """Each of the project's figures at its current version, with its review state, and
        how many events were read to say it (the caller pays for them against its rate)."""
        documents = await self._log.project_events(project_id)
        action_point_of = self._action_point_of()

        def fold() -> list[FigureReview]:  # in a worker thread: a project's log may be long
            figures = Figures(fact_of_document(doc) for doc in documents)
            return [figure_review(item, action_point_of) for item in figures.under_review()]

        return await asyncio.to_thread(fold), len(documents)
