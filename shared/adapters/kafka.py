"""Kafka plumbing shared by the services: topic creation, broker factory, record conversion."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.security import parse_security
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from shared.adapters.kafka_batches import tolerate_unreadable_batches
from shared.adapters.metrics import ServiceMetrics
from shared.events.codec import KafkaRecord, record_from
from shared.settings import CommonSettings

TOPIC_ALREADY_EXISTS = 36
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # room for a rejected over-sized event on its way to the DLQ


class TopicCreationError(Exception):
    pass


def kafka_security(settings: CommonSettings) -> BaseSecurity | None:
    """How this process authenticates to Kafka: its own SCRAM user under SASL_*, TLS under
    *SSL (production Kafka with ACLs); nothing on the embedded broker (PLAINTEXT)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = None
    if protocol.endswith("SSL"):
        context = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    assert settings.kafka_username and settings.kafka_password  # checked by the settings
    scram = SASLScram512 if settings.kafka_sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    return scram(
        settings.kafka_username,
        settings.kafka_password.get_secret_value(),
        ssl_context=context,
        use_ssl=context is not None,
    )


def client_options(settings: CommonSettings) -> dict[str, Any]:
    """The aiokafka keyword arguments of `kafka_security`, for clients made outside FastStream."""
    return parse_security(kafka_security(settings))


async def ensure_topics(bootstrap: str, topics: Iterable[str], partitions: int, **options: Any) -> None:
    """Create the topics with the given partition count; existing ones are left as they are.
    `options` are aiokafka's connection options (`client_options`).

    Tansu would auto-create a topic on first produce with 4 partitions, whatever we want,
    so every topic is created explicitly before anything uses it.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **options)
    await admin.start()
    try:
        wanted = [NewTopic(name, partitions, 1) for name in topics]
        response = await admin.create_topics(wanted)
        for topic, code, message in (error[:3] for error in response.topic_errors):
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise TopicCreationError(f"cannot create topic {topic}: error {code} {message or ''}")
    finally:
        await admin.close()


def new_broker(
    settings: CommonSettings, client_id: str, metrics: ServiceMetrics | None = None, **options: Any
) -> KafkaBroker:
    """The service's broker; with `metrics`, FastStream's Prometheus middleware records its
    messages."""
    middlewares = (metrics.kafka_middleware(),) if metrics is not None else ()
    tolerate_unreadable_batches()  # a batch that cannot be read is dead-lettered, never retried
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        security=kafka_security(settings),
        max_request_size=MAX_REQUEST_BYTES,
        # A batch of 16 KB (the default) holds a dozen events: the producer then waits for
        # each to drain. 1 MiB batches, held 5 ms, carry a whole consumer batch at once.
        max_batch_size=1024 * 1024,
        linger_ms=5,
        acks="all",  # an event is "published" once every in-sync replica has it
        logger=logging.getLogger(f"cfa.{client_id}.kafka"),
        log_level=logging.DEBUG,
        middlewares=middlewares,
        **options,
    )


def batch_subscriber(
    broker: KafkaBroker, topic: str, settings: CommonSettings, group_id: str
) -> BatchSubscriber:
    """Batches of raw messages; offsets are committed only after the handler returned, i.e.
    after its work is durable, and rewound when it raised."""
    return broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=settings.consumer_max_records,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_partition_fetch_bytes=MAX_REQUEST_BYTES,
        # Tansu answers a fetch of several partitions only when its wait is over, even
        # when one of them has new messages (measured: 4 partitions, a message every
        # 137 ms, 215 ms per message at 500 ms; 1 partition, 2 ms): the wait is latency.
        # Not lower than 200 ms: at 50 ms, Tansu on S3 storage stopped delivering part of
        # the stream after a restart (the broker-kill fault test, twice; passes at 200).
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        decoder=_raw_body,
    )


async def _raw_body(message: KafkaMessage) -> Any:
    # Bodies are decoded by the contract's codec, not by content type: undecodable bytes
    # must reach the handler to be dead-lettered, never fail inside the framework.
    return message.body


async def publish_exactly(
    broker: KafkaBroker, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]
) -> None:
    """Publish with exactly these headers; returns once Kafka has it. FastStream's publish adds
    `content-type` (empty for bytes) and `correlation_id` to every message, which a DLQ copy
    ("its original headers plus why") must not gain: this goes to the broker's aiokafka
    producer itself. Under FastStream's TestKafkaBroker, which has no such producer, it takes
    FastStream's publish."""
    await publish_all(broker, [(topic, value, key, headers)])


Outgoing = tuple[str, bytes, bytes | None, dict[str, str]]  # topic, value, key, headers


async def publish_all(broker: KafkaBroker, messages: Sequence[Outgoing]) -> None:
    """Publish a batch with exactly these headers; returns once Kafka has every one. Each goes
    to the producer's own batching (a send only queues it), and the batch is awaited once:
    no framework work per message. Under TestKafkaBroker, FastStream's publish, one by one."""
    state = getattr(broker.config.producer, "_producer", None)
    producer = getattr(state, "producer", None)
    if not isinstance(producer, AIOKafkaProducer):
        for topic, value, key, headers in messages:
            await broker.publish(value, topic, key=key, headers=headers)
        return
    delivered = []
    for topic, value, key, headers in messages:
        encoded = [(name, text.encode("utf-8")) for name, text in headers.items()]
        delivered.append(await producer.send(topic, value, key=key, headers=encoded))
    await asyncio.gather(*delivered)


async def publish_record(broker: KafkaBroker, topic: str, record: KafkaRecord) -> Any:
    """Publish a record as it is (key, headers, value) to `topic`; returns once Kafka has it."""
    headers = {name: value.decode("utf-8") for name, value in record.headers}
    return await broker.publish(record.value, topic, key=record.key, headers=headers)


def records_of(message: KafkaMessage) -> list[KafkaRecord]:
    raw = message.raw_message
    batch = raw if isinstance(raw, tuple | list) else (raw,)  # TestKafkaBroker gives a list
    return [
        record_from(r.topic, r.partition, r.offset, r.key, r.value, r.headers or (), r.timestamp)
        for r in batch
    ]
