"""All MongoDB access of the aggregator, behind a small Protocol."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.events.codec import KafkaRecord, data_json
from shared.events.envelope import Event
from shared.events.models import EventType
from shared.mongo import EVENTS, PROJECTS, only_duplicate_keys


class EventStore(Protocol):
    async def append(self, events: Sequence[dict[str, Any]]) -> int:
        """Store events not stored before; answer how many were new."""
        ...

    async def record_projects(self, registrations: Sequence[Event]) -> None: ...


def event_document(event: Event, record: KafkaRecord, stored_at: datetime) -> dict[str, Any]:
    """An event as the log keeps it: `_id` is source#id, so it is stored once however often it comes."""
    envelope = event.envelope
    return {
        "_id": event.key,
        "source": envelope.source,
        "id": envelope.id,
        "type": str(envelope.type),
        "time": envelope.time,
        "subject": envelope.subject,
        "project_id": event.project_id,
        "data": data_json(event),
        "stored_at": stored_at,
        "kafka": {"partition": record.partition, "offset": record.offset},
    }


class MongoEventStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._events = db[EVENTS]
        self._projects = db[PROJECTS]

    async def prepare(self) -> None:
        await self._events.create_index([("project_id", 1), ("time", 1)])

    async def append(self, events: Sequence[dict[str, Any]]) -> int:
        if not events:
            return 0
        try:
            result = await self._events.insert_many(list(events), ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as error:
            if not only_duplicate_keys(error.details):
                raise
            return int(error.details["nInserted"])

    async def record_projects(self, registrations: Sequence[Event]) -> None:
        """Upsert each project, unless a registration with a later `time` is stored already."""
        updates = []
        for event in registrations:
            assert event.type is EventType.PROJECT_REGISTERED
            doc = {**data_json(event), "registered_at": event.envelope.time}
            doc.pop("project_id")
            updates.append(
                UpdateOne(
                    {"_id": event.project_id, "registered_at": {"$lte": event.envelope.time}},
                    {"$set": doc},
                    upsert=True,
                )
            )
        if not updates:
            return
        try:
            await self._projects.bulk_write(updates, ordered=False)
        except BulkWriteError as error:
            # A newer registration is stored: the upsert's insert collides with it. Keep it.
            if not only_duplicate_keys(error.details):
                raise
