"""The event log in MongoDB as readers see it: every stored event in batches, then the new
ones as they are inserted (a change stream), to fold into a live view."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import EVENT_FIELDS, EVENTS
from shared.domain.liveview import LiveView
from shared.events.models import EventType
from shared.logging import get_logger

log = get_logger("cfa.eventlog")
INDICATOR_REPORTS = [str(EventType.INDICATOR_MEASURED), str(EventType.REPORT_WITHDRAWN)]


class EventLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._events = db[EVENTS]

    async def event_batches(
        self, size: int = 5000, known_at: datetime | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every stored event, or those stored by `known_at`, in batches."""
        query = {} if known_at is None else {"stored_at": {"$lte": known_at}}
        batch: list[dict[str, Any]] = []
        async for doc in self._events.find(query, EVENT_FIELDS, batch_size=size):
            batch.append(doc)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def prepare(self) -> None:
        """The indexes of the drill-down from an indicator to its measurements, of the events
        known at a past moment, and of a project's own events (its review feedback)."""
        await self._events.create_index("data.indicator_id")
        await self._events.create_index("stored_at")
        await self._events.create_index("project_id")

    async def indicator_reports(self, indicator_id: str) -> list[dict[str, Any]]:
        """Every measured and withdrawn event of an indicator, with when it was stored."""
        query = {"data.indicator_id": indicator_id, "type": {"$in": INDICATOR_REPORTS}}
        return await self._events.find(query, {**EVENT_FIELDS, "stored_at": 1}).to_list()

    async def project_events(self, project_id: str) -> list[dict[str, Any]]:
        """Every stored event of one project (its reports, and the Secretariat's reviews of them)."""
        return await self._events.find({"project_id": project_id}, EVENT_FIELDS).to_list()

    async def received_between(
        self, after: datetime, until: datetime, limit: int = 50
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many events were stored after `after` and by `until`, and the first `limit`
        of them in the order received."""
        query = {"stored_at": {"$gt": after, "$lte": until}}
        count = await self._events.count_documents(query)
        fields = {"_id": 0, "id": 1, "type": 1, "project_id": 1, "time": 1, "stored_at": 1}
        found = self._events.find(query, fields).sort([("stored_at", 1), ("_id", 1)]).limit(limit)
        return count, await found.to_list()

    async def watch_inserts(self, except_writer: str | None = None) -> AsyncChangeStream[dict[str, Any]]:
        """New events, from the moment it is opened (open it before loading the log), but
        those `except_writer` wrote (it has applied them already)."""
        match: dict[str, Any] = {"operationType": "insert"}
        if except_writer is not None:
            match["fullDocument.writer"] = {"$ne": except_writer}
        return await self._events.watch([{"$match": match}])


async def follow_event_log(store: EventLog, view: LiveView, own_writer: str | None = None) -> None:
    """Runs until cancelled. The change stream is opened before the log is read, so no
    event falls between the two; events seen twice change nothing (the fold is idempotent)."""
    delay = 0.5
    while True:
        try:
            async with await store.watch_inserts(except_writer=own_writer) as stream:
                loaded = 0
                async for batch in store.event_batches():
                    view.apply_documents(batch)
                    loaded += len(batch)
                view.ready.set()
                log.info("event log loaded", events=loaded, facts=len(view.facts))
                delay = 0.5
                async for change in stream:
                    view.apply_documents([change["fullDocument"]])
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("following the event log failed; starting again", error=str(error), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
