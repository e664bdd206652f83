"""Intake's Kafka handler: a batch of raw messages in, each routed to v1 or the DLQ."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaMessage

from services.intake.metrics import IntakeMetrics
from services.intake.pipeline import Accepted, IntakePipeline
from services.intake.routing import route
from services.intake.settings import IntakeSettings
from shared.adapters.asyncapi import declare_publisher
from shared.adapters.kafka import batch_subscriber, records_of
from shared.adapters.rejections import RejectionRecorder
from shared.clock import Clock
from shared.events.envelope import Envelope
from shared.logging import batch_context, get_logger
from shared.trust import Keys, ServiceKeys

log = get_logger("cfa.intake")


def register_handlers(
    broker: KafkaBroker,
    settings: IntakeSettings,
    pipeline: IntakePipeline,
    rejections: RejectionRecorder,
    clock: Clock,
    keys: Keys,
    metrics: IntakeMetrics | None = None,
) -> None:
    topics = settings.topics
    # Declared for the AsyncAPI document; the batches go to the producer itself (routing.py).
    declare_publisher(
        broker,
        topics.validated,
        "Accepted events as structured CloudEvents (JSON); key = the project id",
        Envelope,
    )

    @batch_subscriber(broker, topics.raw, settings, settings.intake_group_id)
    async def on_raw_events(_: list[bytes], message: KafkaMessage) -> None:
        """Validate project events; offsets are committed only once all are published."""
        records = records_of(message)
        if metrics is not None:
            metrics.unreadable.saw(records)
        outcomes = await pipeline.process(records)
        await route(broker, topics.validated, topics, outcomes, clock(), rejections, keys[ServiceKeys.INTAKE])
        if metrics is not None:
            metrics.decided(outcomes)
        accepted = sum(isinstance(o, Accepted) for o in outcomes)
        log.debug(
            "batch routed", accepted=accepted, rejected=len(outcomes) - accepted, **batch_context(records)
        )
