"""Aggregator's Kafka handler: a batch of validated events in, stored once, then committed.

Only what intake vouched for is stored: a record on bp.events.v1 without intake's mark (anyone
who can reach Kafka can write one) is ignored and counted, never stored nor dead-lettered."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker, KafkaMessage

from services.aggregator.metrics import AggregatorMetrics
from services.aggregator.settings import AggregatorSettings
from services.aggregator.store import EventStore, event_document
from shared.adapters.dlq import Refused, dead_letter, dead_letter_message, duplicate
from shared.adapters.kafka import batch_subscriber, publish_all, records_of
from shared.adapters.kafka_batches import UnreadableBatch
from shared.adapters.rejections import RejectionRecorder
from shared.clock import Clock
from shared.domain.liveview import LiveView
from shared.events.codec import KafkaRecord, decode_canonical
from shared.events.rejections import Rejected, Rejection, RejectionReason
from shared.logging import batch_context, get_logger
from shared.trust import VALIDATED, Keys, Principal, ServiceKeys, vouched_by, vouched_position

log = get_logger("cfa.aggregator")


def register_handlers(
    broker: KafkaBroker,
    settings: AggregatorSettings,
    store: EventStore,
    view: LiveView,
    clock: Clock,
    keys: Keys,
    metrics: AggregatorMetrics | None = None,
    rejections: RejectionRecorder | None = None,
) -> None:
    """`rejections`: where a re-sent event's refusal is recorded, as intake records its own."""
    topics = settings.topics

    @batch_subscriber(broker, topics.validated, settings, settings.aggregator_group_id)
    async def on_validated_events(_: list[bytes], message: KafkaMessage) -> None:
        """Store the batch; the offsets move only after MongoDB acknowledged the writes."""
        now = clock()
        documents = []
        read: dict[int, tuple[KafkaRecord, Principal]] = {}  # each document's record and sender
        records = records_of(message)
        if metrics is not None:
            metrics.unreadable.saw(records)
        for record in records:
            if isinstance(record.value, UnreadableBatch):
                # No one can say who wrote it: kept in the DLQ, the partition moves on.
                rejection = Rejection.of(RejectionReason.UNREADABLE, "record batch", record.value.description)
                await dead_letter(broker, topics.dlq, Refused(record, rejection, None), "aggregator", now)
                continue
            principal = vouched_by(keys[ServiceKeys.INTAKE], VALIDATED, record)
            if not isinstance(principal, Principal):
                _ignore(record, "unauthenticated", metrics)
                continue
            try:
                event = decode_canonical(record)
            except Rejected as rejected:
                # Intake wrote and marked it, yet it does not decode: kept in the DLQ, not lost.
                refused = Refused(record, rejected.rejection, principal.project_id)
                await dead_letter(broker, topics.dlq, refused, "aggregator", now)
                continue
            if principal.refusal(event.type, event.project_id) is not None:
                _ignore(record, "not_permitted", metrics)
                continue
            received = vouched_position(keys[ServiceKeys.INTAKE], record.headers)
            documents.append(event_document(event, record, now, principal, received))
            read[id(documents[-1])] = (record, principal)
        appended = await store.append(documents)
        # Visible to this replica's reads at once; the change stream brings them to the others
        # (never back to this one). A redelivered document is folded again: the first delivery
        # may have been stored by a handler that failed before it folded it (folding is
        # idempotent). A re-sent one is not: the log keeps the first.
        resent = {id(doc) for doc in appended.resent}
        view.apply_documents([doc for doc in documents if id(doc) not in resent])
        if metrics is not None:  # counted before the DLQ's step, which a failure would retry
            metrics.applied(records, len(appended.stored), len(appended.resent))
        if appended.resent and rejections is not None:
            await dead_letter_resent(broker, topics.dlq, appended.resent, read, rejections, now)
        log.debug(
            "events stored", new=len(appended.stored), resent=len(appended.resent), **batch_context(records)
        )


async def dead_letter_resent(
    broker: KafkaBroker,
    dlq: str,
    resent: list[dict[str, Any]],
    read: dict[int, tuple[KafkaRecord, Principal]],
    rejections: RejectionRecorder,
    at: datetime,
) -> None:
    """Each re-sent event to the DLQ once, as intake would have refused it: under the raw
    position it was read at (original_*, and the key of its rejection record), with the bytes
    of its bp.events.v1 record, and the refusal recorded under the credential that sent it
    (never a project it merely names)."""
    refused = []
    for doc in resent:
        record, principal = read[id(doc)]
        topic, partition, offset = doc["received"].rsplit("/", 2)  # shared.trust.POSITION_PATTERN
        raw = replace(record, topic=topic, partition=int(partition), offset=int(offset))
        refused.append(duplicate(raw, doc["source"], doc["id"], principal.project_id))
    done = await rejections.already_recorded(refused)
    fresh = [r for r in refused if r.record.position not in done]
    await publish_all(broker, [dead_letter_message(r, dlq, "aggregator", at) for r in fresh])
    await rejections.record(fresh, at, "kafka")


def _ignore(record: KafkaRecord, reason: str, metrics: AggregatorMetrics | None) -> None:
    log.warning(  # never the body
        "event ignored: intake did not vouch for it",
        reason=reason,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
    if metrics is not None:
        metrics.ignored(reason)
