"""intake's handler on FastStream's TestKafkaBroker: routing to v1 and the DLQ, in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from services.intake.handlers import register_handlers
from services.intake.settings import IntakeSettings
from shared.adapters.dlq import Refused
from shared.adapters.kafka import records_of
from shared.adapters.rejections import Channel
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.trust import VALIDATED, Principal, ServiceKeys, vouched_by
from tests.factories import NOW, activity_data
from tests.fakes import KEYS, PID, pipeline
from tests.kafka_helpers import binary, sdk_event

SETTINGS = IntakeSettings(topic_prefix="c.")


class FakeRejections:
    def __init__(self) -> None:
        self.recorded: list[tuple[str, str]] = []

    async def record(self, refused: Sequence[Refused], at: datetime, channel: Channel) -> None:
        self.recorded += [(str(r.rejection.reason), channel) for r in refused]

    async def already_recorded(self, refused: Sequence[Refused]) -> set[str]:
        return set()  # no redelivery here; tests/faults covers it on a real broker


REJECTIONS = FakeRejections()


def wired() -> tuple[KafkaBroker, dict[str, list[KafkaMessage]]]:
    broker = KafkaBroker()
    REJECTIONS.recorded.clear()
    register_handlers(broker, SETTINGS, pipeline(), REJECTIONS, fixed_clock(NOW), KEYS)
    seen: dict[str, list[KafkaMessage]] = {"v1": [], "dlq": []}

    @broker.subscriber(SETTINGS.topics.validated)
    async def validated(_: Any, message: KafkaMessage) -> None:
        seen["v1"].append(message)

    @broker.subscriber(SETTINGS.topics.dlq)
    async def dead(_: Any, message: KafkaMessage) -> None:
        seen["dlq"].append(message)

    return broker, seen


async def test_a_valid_event_goes_to_v1_keyed_by_project() -> None:
    broker, seen = wired()
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "e1"))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            value, SETTINGS.topics.raw, key=key, headers={k: v.decode() for k, v in headers}
        )
    assert seen["dlq"] == []
    [message] = seen["v1"]
    assert message.raw_message.key == PID.encode()
    assert message.headers["content-type"] == "application/cloudevents+json"
    # Marked as vouched for by the project's credential, so the aggregator stores it.
    record = records_of(message)[0]
    assert vouched_by(KEYS[ServiceKeys.INTAKE], VALIDATED, record) == Principal(PID)


async def test_an_unsigned_event_goes_to_the_dlq_as_unauthenticated() -> None:
    broker, seen = wired()
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "e1", sign=False))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            value, SETTINGS.topics.raw, key=key, headers={k: v.decode() for k, v in headers}
        )
    assert seen["v1"] == []
    [message] = seen["dlq"]
    assert (message.headers["reason"], message.headers["field"]) == ("unauthenticated", "cfasignature")
    assert "project_id" not in message.headers  # no credential sent it: it is nobody's refusal


async def test_bad_bytes_go_to_the_dlq_with_reason_and_original_bytes() -> None:
    broker, seen = wired()
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"\x00\x01 not an event", SETTINGS.topics.raw, key=b"X")
    assert seen["v1"] == []
    [message] = seen["dlq"]
    assert message.body == b"\x00\x01 not an event"
    assert message.headers["reason"] == "schema"
    assert message.headers["field"] == "value"
    assert message.headers["rejected_by"] == "intake"
    assert message.headers["original_topic"] == SETTINGS.topics.raw
    assert REJECTIONS.recorded == [("schema", "kafka")]
