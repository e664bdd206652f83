"""The notifier's Kafka handler: a status changed on bp.progress.v1, so evaluate soon."""

from __future__ import annotations

import asyncio

from faststream.kafka import KafkaBroker

from services.notifier.config import NotifierConfig
from services.notifier.settings import NotifierSettings


def register_handlers(
    broker: KafkaBroker, settings: NotifierSettings, config: NotifierConfig, seen: asyncio.Event
) -> None:
    """Sets `seen` on each status change (when the config evaluates on progress)."""

    # No consumer group: every replica hears every change (only the one holding the
    # evaluation lease acts on it), and a change made while none ran is caught at start.
    @broker.subscriber(
        settings.topics.progress,
        auto_offset_reset="latest",
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )
    async def on_progress_change(_: bytes) -> None:
        """A status changed: evaluate soon (the change itself is re-derived from the events)."""
        if config.evaluate_on_progress:
            seen.set()
