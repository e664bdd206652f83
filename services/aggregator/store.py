"""The aggregator's writes to MongoDB: the event log (`_id` is the event's natural key, so no
index is needed: secondary indexes cost inserts) and the status snapshots. The log is read
by shared.adapters.eventlog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.adapters.eventlog import EventLog
from shared.adapters.mongo import EVENTS, READ_MODEL, only_duplicate_keys
from shared.events.codec import KafkaRecord, data_json
from shared.events.envelope import Event
from shared.trust import Principal


class EventStore(Protocol):
    async def append(self, events: Sequence[dict[str, Any]]) -> int:
        """Store events not stored before; answer how many were new."""
        ...


def event_document(
    event: Event, record: KafkaRecord, stored_at: datetime, vouched_by: Principal
) -> dict[str, Any]:
    """An event as the log keeps it: `_id` is source#id, so it is stored once however often it
    comes; `vouched_by` says whose credential sent it (a project, or the Secretariat)."""
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
        "vouched_by": str(vouched_by),
        "kafka": {"partition": record.partition, "offset": record.offset},
    }


class MongoEventStore:
    """Writes the event log; each document names its writer, so that a replica's change
    stream can leave out what it wrote itself."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], writer: str) -> None:
        self._events = db[EVENTS]
        self.writer = writer

    async def append(self, events: Sequence[dict[str, Any]]) -> int:
        if not events:
            return 0
        try:
            documents = [{**doc, "writer": self.writer} for doc in events]
            result = await self._events.insert_many(documents, ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as error:
            if not only_duplicate_keys(error.details):
                raise
            return int(error.details["nInserted"])


class MongoReadModelStore(EventLog):
    """The event log as the live view reads it, and the read-model snapshots it writes."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        super().__init__(db)
        self._snapshots = db[READ_MODEL]

    async def snapshots(self) -> dict[str, dict[str, Any]]:
        return {doc["_id"]: doc async for doc in self._snapshots.find()}

    async def write_snapshots(self, docs: Mapping[str, dict[str, Any]]) -> None:
        if docs:
            await self._snapshots.bulk_write(
                [ReplaceOne({"_id": key}, doc, upsert=True) for key, doc in docs.items()], ordered=False
            )

    async def delete_snapshots(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            await self._snapshots.delete_many({"_id": {"$in": keys}})
