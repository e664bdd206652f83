"""Where intake's outcomes go: accepted events to bp.events.v1, refused ones to the DLQ."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from faststream.kafka import KafkaBroker

from services.intake.pipeline import Accepted, Outcome
from shared.adapters.dlq import Refused, dead_letter_message
from shared.adapters.kafka import Outgoing, publish_all
from shared.adapters.rejections import RejectionRecorder
from shared.events.codec import encode_structured
from shared.topics import Topics
from shared.trust import VALIDATED, mark, vouch_position


def validated_message(intake_key: bytes, accepted: Accepted) -> tuple[bytes, dict[str, str], bytes]:
    """(key, headers, value) of an accepted event on bp.events.v1: its canonical form and where
    it was read on bp.events.raw, marked with the principal that vouched for it (the
    aggregator stores nothing unmarked)."""
    key, headers, value = encode_structured(accepted.event)
    encoded = [(name, text.encode()) for name, text in headers.items()]
    marked_with = mark(intake_key, VALIDATED, accepted.principal, key, encoded, value)
    where = vouch_position(intake_key, marked_with, accepted.record.position)
    return key, {**headers, **marked_with, **where}, value


async def route(
    broker: KafkaBroker,
    validated: str,
    topics: Topics,
    outcomes: Sequence[Outcome],
    at: datetime,
    rejections: RejectionRecorder,
    intake_key: bytes,
) -> None:
    """Publish every outcome (accepted ones to `validated`, the topic) and wait until the
    broker has them all, and record why each
    refused one was refused (then offsets may move). A refused message redelivered after a
    crash is not dead-lettered again if its rejection was recorded: that record is written
    only once its DLQ copy is confirmed. (A crash between the two still leaves a second copy,
    recognisable by its original_* headers.)"""
    refused = [o for o in outcomes if isinstance(o, Refused)]
    done = await rejections.already_recorded(refused)
    messages: list[Outgoing] = []
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            key, headers, value = validated_message(intake_key, outcome)
            messages.append((validated, value, key, headers))
        elif outcome.record.position not in done:
            messages.append(dead_letter_message(outcome, topics.dlq, "intake", at))
    # One send each into the producer's batching, and one wait for the broker to have them all.
    await publish_all(broker, messages)
    await rejections.record([r for r in refused if r.record.position not in done], at, "kafka")
