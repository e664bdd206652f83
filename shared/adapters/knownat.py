"""Figures as the monitor knew them at a past moment: from the events it had stored by then
(its own receipt time, `stored_at`, not the events' `time`), so that what a meeting saw can
be shown again exactly, whatever arrived later. Folded from the log on the first read of a
moment, then kept for the last few moments asked."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from shared.domain.facts import fact_of_document
from shared.domain.factset import FactSet
from shared.domain.framework import ResultsFramework
from shared.domain.liveview import LiveView
from shared.domain.readmodel import read_model_of
from shared.domain.status import Thresholds
from shared.domain.views import ReadModel

KEPT_MOMENTS = 4  # the fact set of 100,000 events takes about 30 MB


class StoredEvents(Protocol):
    def event_batches(
        self, size: int = 5000, known_at: datetime | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The stored events (those stored by `known_at`), in batches."""
        ...


def _fold(facts: FactSet, documents: Iterable[Mapping[str, Any]]) -> None:
    for doc in documents:
        facts.apply(fact_of_document(doc))


class KnownAt:
    def __init__(self, log: StoredEvents, kept: int = KEPT_MOMENTS) -> None:
        self._log = log
        self._kept = kept
        self._facts: OrderedDict[datetime, FactSet] = OrderedDict()
        self._lock = asyncio.Lock()  # one fold at a time: a second reader of a moment waits for the first

    async def facts(self, known_at: datetime) -> FactSet:
        """The facts of the events stored by `known_at`."""
        async with self._lock:
            facts = self._facts.get(known_at)
            if facts is None:
                facts = FactSet()
                async for batch in self._log.event_batches(known_at=known_at):
                    await asyncio.to_thread(_fold, facts, batch)  # CPU: off the event loop
                self._facts[known_at] = facts
                while len(self._facts) > self._kept:
                    self._facts.popitem(last=False)
            self._facts.move_to_end(known_at)
            return facts

    async def read_model(
        self, known_at: datetime, framework: ResultsFramework, as_of: date, thresholds: Thresholds
    ) -> ReadModel:
        """Every figure as of `as_of`, as known at `known_at` (under today's framework)."""
        facts = await self.facts(known_at)
        model = await asyncio.to_thread(read_model_of, facts.indexes, framework, as_of, thresholds)
        return model.model_copy(update={"known_at": known_at})


async def read_model_known_at(
    view: LiveView, known: KnownAt, now: datetime, as_of: date, known_at: datetime | None
) -> ReadModel:
    """The read model as of a date, as known at a moment: the live view's for now (or a
    moment to come), else the one folded from the events stored by then."""
    if known_at is None or known_at >= now:
        return await view.read_model_off_loop(as_of)
    return await known.read_model(known_at, view.framework, as_of, view.thresholds)
