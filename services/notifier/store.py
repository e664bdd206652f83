"""All MongoDB access of the notifier: alerts, silences, the outbox, and leases."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from pymongo import ASCENDING, ReplaceOne, ReturnDocument, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notifier.lifecycle import Alert, Silence
from services.notifier.notify import DeliveryOutcome, OutboxEntry
from shared.adapters.mongo import ALERTS, EVALUATION_REQUESTS, LEASES, OUTBOX, SILENCES, only_duplicate_keys
from shared.logging import get_logger

UNREADABLE = "cannot be built (not a readable outbox entry)"
log = get_logger("cfa.notifier")


class NotifierStore:
    """The notifier's MongoDB: alerts, silences, the outbox, leases and requests. What must
    change together (alerts and their notices, a digest and its next date) is written in one
    transaction."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._client = db.client
        self._alerts = db[ALERTS]
        self._silences = db[SILENCES]
        self._outbox = db[OUTBOX]
        self._leases = db[LEASES]
        self._requests = db[EVALUATION_REQUESTS]

    async def prepare(self) -> None:
        await self._outbox.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])

    # alerts
    async def alerts(self) -> dict[str, Alert]:
        return {d["_id"]: Alert.model_validate(d) async for d in self._alerts.find()}

    async def save(self, alerts: Iterable[Alert], entries: Sequence[OutboxEntry]) -> None:
        """Alerts as they are now and the notices they made, together or not at all."""
        async with self._client.start_session() as session, await session.start_transaction():
            await self._write(alerts, entries, session)

    async def save_digest(self, entries: Sequence[OutboxEntry], following: datetime) -> None:
        """The digest (one e-mail per language, if due) and when the next one is, together or
        not at all."""
        async with self._client.start_session() as session, await session.start_transaction():
            await self._write([], entries, session)
            await self._leases.update_one(
                {"_id": "digest-schedule"}, {"$set": {"due_at": following}}, upsert=True, session=session
            )

    async def _write(
        self, alerts: Iterable[Alert], entries: Sequence[OutboxEntry], session: AsyncClientSession
    ) -> None:
        docs = [{**a.model_dump(mode="python"), "_id": a.fingerprint} for a in alerts]
        replacements = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in docs]
        if replacements:  # one round trip for a thousand alerts, not a thousand
            await self._alerts.bulk_write(replacements, ordered=False, session=session)
        if entries:
            try:
                await self._outbox.insert_many(
                    [{**e.model_dump(), "_id": e.id} for e in entries], ordered=False, session=session
                )
            except BulkWriteError as error:  # made before, by this or another replica
                if not only_duplicate_keys(error.details):
                    raise

    async def acknowledge(self, fingerprint: str, by: str, comment: str, at: datetime) -> Alert | None:
        doc = await self._alerts.find_one_and_update(
            {"_id": fingerprint, "state": "firing"},
            {"$set": {"acknowledged_at": at, "acknowledged_by": by, "acknowledgement": comment}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else Alert.model_validate(doc)

    # silences
    async def silences(self) -> list[Silence]:
        return [Silence.model_validate(d) async for d in self._silences.find().sort("created_at", ASCENDING)]

    async def add_silence(self, silence: Silence) -> None:
        await self._silences.insert_one({**silence.model_dump(), "_id": silence.id})

    async def expire_silence(self, silence_id: str, at: datetime) -> Silence | None:
        doc = await self._silences.find_one_and_update(
            {"_id": silence_id},
            {"$min": {"ends_at": at}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else Silence.model_validate(doc)

    # outbox
    async def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxEntry]:
        """Entries to send now, each claimed by `owner` alone; one whose claimer died (its
        claim ran out) is claimed again. One update per way of being due claims them (each
        document is updated atomically, so two replicas never claim the same one); the
        claim's own id then reads back which ones this call got."""
        ways_due = {
            "pending": {"status": "pending", "next_attempt_at": {"$lte": now}},
            "sending": {"status": "sending", "claimed_until": {"$lt": now}},
        }
        found = self._outbox.find({"$or": list(ways_due.values())}, {"status": 1}).limit(limit)
        candidates: dict[str, list[str]] = {}
        async for doc in found:
            candidates.setdefault(doc["status"], []).append(doc["_id"])
        if not candidates:
            return []
        claim = uuid.uuid4().hex
        until = now + lease
        taking = {"$set": {"status": "sending", "claimed_by": owner, "claim": claim, "claimed_until": until}}
        # One update per way of being due, not one with $or: SecantusDB then finds the
        # candidates by _id instead of matching every entry of the outbox against the list
        # (measured over 1,100 entries: 0.12 s instead of 0.36 s a round).
        for status, ids in candidates.items():
            await self._outbox.update_many({"_id": {"$in": ids}, **ways_due[status]}, taking)
        return await self._read_claim(claim, [i for ids in candidates.values() for i in ids])

    async def _read_claim(self, claim: str, ids: list[str]) -> list[OutboxEntry]:
        """The entries `claim` took. A document that is no readable entry is failed at once:
        it would fail every round that claims it, and hold up every entry claimed with it."""
        entries: list[OutboxEntry] = []
        unreadable: list[str] = []
        async for doc in self._outbox.find({"_id": {"$in": ids}, "claim": claim}):
            entry = _entry(doc)
            if entry is None:
                unreadable.append(doc["_id"])
            else:
                entries.append(entry)
        if unreadable:
            log.warning("unreadable outbox entries failed", ids=[str(i) for i in unreadable])
            failed = {"status": "failed", "last_error": UNREADABLE, "claimed_until": None}
            await self._outbox.update_many(
                {"_id": {"$in": unreadable}}, {"$set": failed, "$inc": {"attempts": 1}}
            )
        return entries

    async def mark(self, outcomes: Sequence[DeliveryOutcome], at: datetime) -> None:
        """Record a round's outcomes: those sent in one update per claim, the others one by
        one (each its own error and time). An entry whose claim ran out and was taken by
        another round is left to that round."""
        sent: dict[str | None, list[str]] = {}
        updates: list[UpdateOne | UpdateMany] = []
        for done in outcomes:
            if done.outcome == "sent":
                sent.setdefault(done.entry.claim, []).append(done.entry.id)
                continue
            change: dict[str, Any] = {"claimed_until": None}
            if done.outcome == "retry":
                change |= {"status": "pending", "last_error": done.error, "next_attempt_at": done.retry_at}
            else:
                change |= {"status": "failed", "last_error": done.error}
            match = {"_id": done.entry.id, "claim": done.entry.claim}
            updates.append(UpdateOne(match, {"$set": change, "$inc": {"attempts": 1}}))
        for claim, ids in sent.items():
            change = {"status": "sent", "sent_at": at, "claimed_until": None}
            updates.append(
                UpdateMany({"_id": {"$in": ids}, "claim": claim}, {"$set": change, "$inc": {"attempts": 1}})
            )
        if updates:
            await self._outbox.bulk_write(updates, ordered=False)

    async def outbox_counts(self) -> Counter[tuple[str, str]]:
        """How many entries each (channel, status) holds."""
        counts: Counter[tuple[str, str]] = Counter()
        grouped = await self._outbox.aggregate(
            [{"$group": {"_id": {"channel": "$channel", "status": "$status"}, "n": {"$sum": 1}}}]
        )
        async for doc in grouped:
            counts[doc["_id"]["channel"], doc["_id"]["status"]] = doc["n"]
        return counts

    async def outbox(self, query: dict[str, Any] | None = None) -> list[OutboxEntry]:
        """The entries matching `query` (those that are not readable entries left out)."""
        found = [_entry(d) async for d in self._outbox.find(query or {})]
        return [e for e in found if e is not None]

    # the digest's schedule
    async def packs_sent(self) -> set[date]:
        """The meetings whose pack is queued already."""
        doc = await self._leases.find_one({"_id": "meeting-packs"})
        return {date.fromisoformat(day) for day in (doc or {}).get("sent", [])}

    async def save_pack(self, meeting: date, entries: Sequence[OutboxEntry]) -> None:
        """A meeting's pack e-mails, and that they are queued, together or not at all."""
        async with self._client.start_session() as session, await session.start_transaction():
            await self._write([], entries, session)
            await self._leases.update_one(
                {"_id": "meeting-packs"},
                {"$addToSet": {"sent": meeting.isoformat()}},
                upsert=True,
                session=session,
            )

    async def digest_due_at(self) -> datetime | None:
        doc = await self._leases.find_one({"_id": "digest-schedule"})
        return None if doc is None else doc["due_at"]

    # evaluations asked of the replica holding the lease
    async def request_evaluation(self, at: datetime) -> str:
        """Ask the replica holding the evaluation lease to evaluate now."""
        request_id = uuid.uuid4().hex
        await self._requests.insert_one({"_id": request_id, "requested_at": at, "answer": None})
        return request_id

    async def requested(self) -> list[str]:
        """Unanswered requests, oldest first."""
        found = self._requests.find({"answer": None}).sort("requested_at", ASCENDING)
        return [d["_id"] async for d in found]

    async def answer(self, request_id: str, answer: dict[str, Any]) -> None:
        await self._requests.update_one({"_id": request_id}, {"$set": {"answer": answer}})

    async def answer_of(self, request_id: str) -> dict[str, Any] | None:
        doc = await self._requests.find_one({"_id": request_id})
        return None if doc is None else doc["answer"]

    async def forget_request(self, request_id: str) -> None:
        await self._requests.delete_one({"_id": request_id})

    # leases
    async def take_lease(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Hold `name` until now + ttl, unless another owner holds it and it has not run out."""
        try:
            await self._leases.update_one(
                {"_id": name, "$or": [{"owner": owner}, {"until": {"$lt": now}}]},
                {"$set": {"owner": owner, "until": now + ttl}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True


def _entry(doc: dict[str, Any]) -> OutboxEntry | None:
    """The outbox entry a document holds; None when it holds none: written by a broken or
    another version's writer, it must not stop the others being sent or shown."""
    try:
        return OutboxEntry.model_validate(doc)
    except ValidationError:
        return None
