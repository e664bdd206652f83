"""Figures as the monitor knew them at a past moment: from the events it had stored by then
(its own receipt time, `stored_at`, not the events' `time`), so that what a meeting saw can
be shown again exactly, whatever arrived later. Folded from the log on the first read of a
moment, then kept for the last few moments asked."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from shared.clock import Clock, utc_now
from shared.domain.facts import fact_of_document
from shared.domain.factset import FactSet
from shared.domain.framework import ResultsFramework
from shared.domain.liveview import LiveView, read_model_over
from shared.domain.receipts import ReceiptTimes
from shared.domain.review import Basis, Figures
from shared.domain.status import Thresholds
from shared.domain.views import ReadModel

KEPT_MOMENTS = 4  # the fact set of 100,000 events takes about 30 MB
SETTLE = timedelta(minutes=5)


class StoredEvents(Protocol):
    def event_batches(
        self, size: int = 5000, known_at: datetime | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The stored events (those stored by `known_at`), in batches."""
        ...


def _fold(figures: Figures, documents: Iterable[Mapping[str, Any]]) -> None:
    for doc in documents:
        figures.apply(fact_of_document(doc))


class KnownAt:
    """`clock` and `settle`: a moment less than `settle` ago is folded for each read, never
    kept, since an event stored by then may still be on its way into the log (a batch is
    stamped as it is taken, and other replicas write too)."""

    def __init__(
        self,
        log: StoredEvents,
        receipts: ReceiptTimes,
        kept: int = KEPT_MOMENTS,
        clock: Clock = utc_now,
        settle: timedelta = SETTLE,
    ) -> None:
        self._log = log
        self._receipts = receipts  # the live view's: which events a moment knew, with no query
        self._kept = kept
        self._clock = clock
        self._settle = settle
        self._figures: OrderedDict[datetime, Figures] = OrderedDict()
        self._lock = asyncio.Lock()  # one fold at a time: at most one core, whoever asks

    async def figures(self, known_at: datetime) -> Figures:
        """The figures of the events stored by `known_at`, reviews included. A settled moment
        is kept by when the last of those events was stored: every moment until the next
        event knows the same ones, so asking for many moments between two events folds the
        log once. A moment still settling is folded as asked, and not kept."""
        if known_at > self._clock() - self._settle:
            async with self._lock:
                return await self._fold(known_at)
        last = self._receipts.last_by(known_at)
        if last is None:
            return Figures()
        kept = self._figures.get(last)
        if kept is not None:  # no waiting behind another moment's fold
            self._figures.move_to_end(last)
            return kept
        async with self._lock:
            figures = self._figures.get(last)
            if figures is None:
                figures = self._figures[last] = await self._fold(last)
                while len(self._figures) > self._kept:
                    self._figures.popitem(last=False)
            return figures

    async def _fold(self, known_at: datetime) -> Figures:
        figures = Figures()
        async for batch in self._log.event_batches(known_at=known_at):
            await asyncio.to_thread(_fold, figures, batch)  # CPU: off the event loop
        return figures

    async def facts(self, known_at: datetime, basis: Basis = Basis.REPORTED) -> FactSet:
        return (await self.figures(known_at)).of(basis)

    async def read_model(
        self,
        known_at: datetime,
        framework: ResultsFramework,
        as_of: date,
        thresholds: Thresholds,
        basis: Basis = Basis.REPORTED,
    ) -> ReadModel:
        """Every figure as of `as_of`, as known at `known_at` (under today's framework)."""
        figures = await self.figures(known_at)
        model = await asyncio.to_thread(read_model_over, figures, framework, as_of, thresholds, basis)
        return model.model_copy(update={"known_at": known_at})


async def read_model_known_at(
    view: LiveView,
    known: KnownAt,
    now: datetime,
    as_of: date,
    known_at: datetime | None,
    basis: Basis | None = None,
) -> ReadModel:
    """The read model as of a date, as known at a moment, over a basis (default the view's):
    the live view's for now (or a moment to come), else the one folded from the events
    stored by then."""
    if known_at is None or known_at >= now:
        return await view.read_model_off_loop(as_of, basis)
    return await known.read_model(known_at, view.framework, as_of, view.thresholds, basis or view.basis)
