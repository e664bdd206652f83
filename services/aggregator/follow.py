"""Keeping the live view current: load the event log, then follow its new inserts."""

from __future__ import annotations

import asyncio

from services.aggregator.store import MongoReadModelStore
from services.aggregator.view import LiveView
from shared.logging import get_logger

log = get_logger("cfa.aggregator.follow")


async def follow_event_log(store: MongoReadModelStore, view: LiveView, own_writer: str | None = None) -> None:
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
                log.info("event log loaded", events=loaded, facts=len(view.facts.facts))
                delay = 0.5
                async for change in stream:
                    view.apply_documents([change["fullDocument"]])
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("following the event log failed; starting again", error=str(error), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
