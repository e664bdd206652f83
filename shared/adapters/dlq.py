"""The dead-letter topic: a refused message keeps its original bytes, with why and where from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from faststream.kafka import KafkaBroker

from shared.adapters.kafka import Outgoing, publish_exactly
from shared.adapters.kafka_batches import UnreadableBatch
from shared.events.codec import Claims, KafkaRecord, claims_of
from shared.events.rejections import Rejection, RejectionReason
from shared.logging import get_logger

log = get_logger("cfa.dlq")


DLQ_DESCRIPTION = (
    "Refused messages, byte for byte as they came, with their original headers plus reason, "
    "error, field, rejected_by, rejected_at, original_topic, original_partition, original_offset, "
    "and project_id and event_id when known. A duplicate the event log refused (rejected_by "
    "aggregator) comes in the canonical form intake passed on, original_* naming where it was read "
    "on bp.events.raw. A record batch no consumer could read comes as one "
    "message: the batch's bytes as fetched (compressed; left out over 1,000,000 bytes), reason "
    "unreadable, "
    "with original_offset and original_last_offset, the offsets it covers"
)


@dataclass(frozen=True)
class Refused:
    record: KafkaRecord
    rejection: Rejection
    project_id: str | None
    event_id: str | None = None

    @cached_property
    def claims(self) -> Claims:
        """What the message says it is (read once: metrics and the rejection record ask)."""
        return claims_of(self.record)


def duplicate(record: KafkaRecord, source: str, event_id: str, project_id: str | None) -> Refused:
    """A re-sent event: its (source, id) was accepted before, from another message."""
    rejection = Rejection.of(
        RejectionReason.DUPLICATE,
        "id",
        f"event {event_id!r} of {source} was accepted before; a correction is a new event with a new id",
    )
    return Refused(record, rejection, project_id, event_id)


def dead_letter_headers(refused: Refused, rejected_by: str, at: datetime) -> dict[str, str]:
    """The original headers, plus why and where from."""
    record = refused.record
    headers = {name: value.decode("utf-8", "replace") for name, value in record.headers}
    headers.update(
        {
            "reason": str(refused.rejection.reason),
            "error": refused.rejection.message,
            "field": ",".join(refused.rejection.fields),
            "rejected_by": rejected_by,
            "rejected_at": at.isoformat(),
            "original_topic": record.topic,
            "original_partition": str(record.partition),
            "original_offset": str(record.offset),
        }
    )
    if isinstance(record.value, UnreadableBatch):
        headers["original_offset"] = str(record.value.first_offset)
        headers["original_last_offset"] = str(record.value.last_offset)
        headers["codec"] = record.value.codec
    if refused.project_id:
        headers["project_id"] = refused.project_id
    if refused.event_id:
        headers["event_id"] = refused.event_id
    return headers


def dead_letter_message(refused: Refused, topic: str, rejected_by: str, at: datetime) -> Outgoing:
    """The DLQ copy of a refused message (topic, value, key, headers), said in the log (never
    its body: it may hold the very personal data refused)."""
    record = refused.record
    log.info(
        "event rejected",
        reason=str(refused.rejection.reason),
        field=",".join(refused.rejection.fields),
        event_id=refused.event_id,
        project_id=refused.project_id,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
    key = refused.project_id.encode("utf-8") if refused.project_id else refused.record.key
    return topic, _kept(refused.record.value), key, dead_letter_headers(refused, rejected_by, at)


async def dead_letter(
    broker: KafkaBroker, topic: str, refused: Refused, rejected_by: str, at: datetime
) -> None:
    """Publish to the DLQ; returns once the broker has it (then the offset may move)."""
    _, value, key, headers = dead_letter_message(refused, topic, rejected_by, at)
    await publish_exactly(broker, topic, value, key, headers)


# Room for the headers under a stock broker's largest message (message.max.bytes, 1,048,588).
UNREADABLE_KEPT_BYTES = 1_000_000


def _kept(value: bytes | None) -> bytes:
    """The bytes the DLQ copy keeps: all of a message (its size was bounded when it was
    produced); a whole unreadable batch up to 1,000,000 bytes (a batch can be larger than any
    one message the DLQ takes)."""
    if isinstance(value, UnreadableBatch):
        return bytes(value) if len(value) <= UNREADABLE_KEPT_BYTES else b""
    return value or b""
