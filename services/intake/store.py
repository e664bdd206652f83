"""MongoDB access of intake: the cached project directory and the record of seen events."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.intake.pipeline import Claim, IntakePipeline
from services.intake.settings import IntakeSettings
from shared.clock import Clock
from shared.mongo import INTAKE_SEEN, only_duplicate_keys
from shared.projects import RegisteredProject
from shared.registry import ProjectRegistry


class CachedProjectDirectory:
    """Registry entries cached for `ttl`; unknown ids are asked again every time, so a
    project registered a moment ago is known at once."""

    def __init__(self, registry: ProjectRegistry, ttl: timedelta, clock: Clock) -> None:
        self._registry = registry
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[RegisteredProject, Any]] = {}

    async def get_many(self, project_ids: Collection[str]) -> dict[str, RegisteredProject]:
        now = self._clock()
        fresh = {
            pid: entry[0]
            for pid in project_ids
            if (entry := self._cache.get(pid)) is not None and now - entry[1] < self._ttl
        }
        missing = set(project_ids) - fresh.keys()
        if missing:
            loaded = await self._registry.get_many(missing)
            self._cache.update({pid: (project, now) for pid, project in loaded.items()})
            fresh.update(loaded)
        return fresh

    def forget(self, project_id: str) -> None:
        self._cache.pop(project_id, None)


class MongoSeenStore:
    """One document per accepted event identity, `_id` = source#id, with the message
    position that claimed it: the same message redelivered is not a duplicate."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], clock: Clock) -> None:
        self._seen = db[INTAKE_SEEN]
        self._clock = clock

    async def claim(self, claims: Sequence[Claim]) -> set[str]:
        if not claims:
            return set()
        now = self._clock()
        docs = [{"_id": c.key, "position": c.position, "at": now} for c in claims]
        try:
            await self._seen.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            if not only_duplicate_keys(error.details):
                raise
            taken = {docs[e["index"]]["_id"] for e in error.details["writeErrors"]}
            owner = {d["_id"]: d["position"] async for d in self._seen.find({"_id": {"$in": list(taken)}})}
            return {c.position for c in claims if c.key in taken and owner.get(c.key) != c.position}
        return set()

    async def known(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        return {d["_id"] async for d in self._seen.find({"_id": {"$in": sorted(keys)}}, {"_id": 1})}


def mongo_pipeline(
    settings: IntakeSettings,
    db: AsyncDatabase[dict[str, Any]],
    clock: Clock,
    indicators: Callable[[], frozenset[str] | None],
) -> IntakePipeline:
    """Intake's checks on the registry and the seen events in `db` (the service and `cfamon import`)."""
    directory = CachedProjectDirectory(
        ProjectRegistry(db), timedelta(seconds=settings.registry_cache_seconds), clock
    )
    return IntakePipeline(
        directory,
        MongoSeenStore(db, clock),
        clock,
        settings.max_event_bytes,
        timedelta(seconds=settings.max_clock_skew_seconds),
        indicators,
    )
