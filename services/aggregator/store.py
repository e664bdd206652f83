"""The aggregator's writes to MongoDB: the event log (`_id` is the event's natural key, so no
index is needed: secondary indexes cost inserts) and the status snapshots. The log is read
by shared.adapters.eventlog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Appended:
    """What a batch did to the log: the documents stored now, and those whose (source, id)
    was stored before from another raw position: re-sent, a duplicate. The rest came again
    from the same raw position (a redelivery): nothing to say about them."""

    stored: list[dict[str, Any]]
    resent: list[dict[str, Any]]


class EventStore(Protocol):
    async def append(self, events: Sequence[dict[str, Any]]) -> Appended:
        """Store events not stored before; say which were new and which were re-sent."""
        ...


def event_document(
    event: Event, record: KafkaRecord, stored_at: datetime, vouched_by: Principal, received: str | None = None
) -> dict[str, Any]:
    """An event as the log keeps it: `_id` is source#id, so it is stored once however often it
    comes; `vouched_by` says whose credential sent it (a project, or the Secretariat);
    `received`, where intake read it on bp.events.raw (shared.trust.vouched_position)."""
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
        "received": received,
    }


def resent(document: dict[str, Any], stored_from: str | None) -> bool:
    """Whether an event refused as stored before was re-sent (read at another raw position
    than the stored one) rather than redelivered. When either copy does not say where it was
    read (an older intake's), it is taken as redelivered: stored once either way, and while
    intakes of both kinds run, an older one refuses re-sends itself."""
    received = document.get("received")
    return received is not None and stored_from is not None and received != stored_from


class MongoEventStore:
    """Writes the event log; each document names its writer, so that a replica's change
    stream can leave out what it wrote itself."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], writer: str) -> None:
        self._events = db[EVENTS]
        self.writer = writer

    async def append(self, events: Sequence[dict[str, Any]]) -> Appended:
        """One write for the batch: `_id` (source#id) refuses what was stored before. Only
        for those, where they were stored from is read back to tell a re-send."""
        if not events:
            return Appended([], [])
        try:
            documents = [{**doc, "writer": self.writer} for doc in events]
            await self._events.insert_many(documents, ordered=False)
            return Appended(list(events), [])
        except BulkWriteError as error:
            if not only_duplicate_keys(error.details):
                raise
            taken = {e["index"] for e in error.details["writeErrors"]}
        again = [events[n] for n in sorted(taken)]
        found = self._events.find({"_id": {"$in": [d["_id"] for d in again]}}, {"received": 1})
        kept = {doc["_id"]: doc.get("received") async for doc in found}
        stored = [doc for n, doc in enumerate(events) if n not in taken]
        return Appended(stored, [doc for doc in again if resent(doc, kept.get(doc["_id"]))])


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
