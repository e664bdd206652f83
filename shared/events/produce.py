"""Building contract events with the official CloudEvents SDK, as a project system would, and
signing them: a project with its own key, the Secretariat with its key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from faststream.kafka import KafkaBroker

from shared.events.models import EventData, EventType
from shared.events.signing import SIGNATURE_ATTRIBUTE, Signature, secretariat_signature, signing_input

Signer = Callable[[bytes], Signature]  # a ProjectKey's sign, or `secretariat_signer(key)`

_FORMAT = JSONFormat()


def cloud_event(
    event_type: EventType, data: EventData | dict[str, Any], time: datetime, event_id: str | None = None
) -> CloudEvent:
    payload = data.model_dump(mode="json", exclude_none=True) if isinstance(data, EventData) else data
    project_id = str(payload["project_id"])
    return CloudEvent(
        attributes={
            "id": event_id or str(uuid.uuid4()),
            "source": f"/projects/{project_id}",
            "type": str(event_type),
            "time": time,
            "datacontenttype": "application/json",
            "partitionkey": project_id,
        },
        data=payload,
    )


def signed(event: CloudEvent, sign: Signer) -> CloudEvent:
    """The event with its `cfasignature` over its signing input."""
    attributes, data = event.get_attributes(), event.get_data()
    signature = sign(signing_input(attributes, data))
    return CloudEvent(attributes={**attributes, SIGNATURE_ATTRIBUTE: str(signature)}, data=data)


def secretariat_signer(key: bytes) -> Signer:
    return lambda message: secretariat_signature(key, message)


async def publish_event(broker: KafkaBroker, topic: str, event: CloudEvent) -> None:
    """Publish in Kafka binary mode, keyed by the event's partitionkey; returns once Kafka has it."""
    key, headers, value = kafka_binary(event)
    await broker.publish(value, topic, key=key, headers=headers)


def kafka_binary(event: CloudEvent) -> tuple[bytes | None, dict[str, str], bytes]:
    """(key, headers, value) of the Kafka binary mode, ready for a producer taking str headers."""
    message = ce_kafka.to_binary(event, _FORMAT)
    key = message.key.encode("utf-8") if isinstance(message.key, str) else message.key
    return key, {k: v.decode("utf-8") for k, v in message.headers.items()}, message.value
