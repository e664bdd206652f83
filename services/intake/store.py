"""MongoDB access of intake: the events the log stores, and the pipeline on the registry."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.pipeline import IntakePipeline
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS
from shared.adapters.registry import ProjectRegistry
from shared.clock import Clock
from shared.trust import Keys


class StoredEvents:
    """The events the log stores (`_id` = source#id), as intake reads them for a verdict it
    gives before the log does: an HTTP batch's 409, `cfamon import`, a registration."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._events = db[EVENTS]

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
        StoredEvents(db),
        clock,
        settings.max_event_bytes,
        timedelta(seconds=settings.max_clock_skew_seconds),
        keys,
        indicators,
    )
