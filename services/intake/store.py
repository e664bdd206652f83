"""MongoDB access of intake: the events the log stores, and the pipeline on the registry."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.intake.pipeline import Claim, IntakePipeline
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, INTAKE_SEEN, only_duplicate_keys
from shared.adapters.registry import ProjectRegistry
from shared.clock import Clock
from shared.trust import Keys


class StoredEvents:
    """The events the log stores (`_id` = source#id), as intake reads them for a verdict it
    gives before the log does: an HTTP batch's 409 and `cfamon import`. And the claims of
    registrations, which intake applies to the registry itself before the log stores them:
    one document per registration's (source, id) in `intake_seen`, with the message position
    that claimed it (the same message redelivered is not a duplicate)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], clock: Clock) -> None:
        self._events = db[EVENTS]
        self._claims = db[INTAKE_SEEN]
        self._clock = clock

    async def claim(self, claims: Sequence[Claim]) -> set[str]:
        if not claims:
            return set()
        now = self._clock()
        docs = [{"_id": c.key, "position": c.position, "at": now} for c in claims]
        try:
            await self._claims.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            if not only_duplicate_keys(error.details):
                raise
            taken = {docs[e["index"]]["_id"] for e in error.details["writeErrors"]}
            owner = {d["_id"]: d["position"] async for d in self._claims.find({"_id": {"$in": list(taken)}})}
            return {c.position for c in claims if c.key in taken and owner.get(c.key) != c.position}
        return set()

    async def known(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        return {d["_id"] async for d in self._events.find({"_id": {"$in": sorted(keys)}}, {"_id": 1})}


def mongo_pipeline(
    settings: IntakeSettings,
    db: AsyncDatabase[dict[str, Any]],
    clock: Clock,
    keys: Keys,
    indicators: Callable[[], frozenset[str] | None],
) -> IntakePipeline:
    """Intake's checks on the registry, the suite's keys and the seen events in `db` (the
    service and `cfamon import`)."""
    return IntakePipeline(
        ProjectRegistry(db),
        StoredEvents(db, clock),
        clock,
        settings.max_event_bytes,
        timedelta(seconds=settings.max_clock_skew_seconds),
        keys,
        indicators,
    )
