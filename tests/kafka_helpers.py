"""Producing with the official CloudEvents SDK and reading topics back, on a real broker."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.protocol.produce import ProduceRequest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.util import calc_crc32c
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.events.models import EventType
from shared.events.produce import cloud_event, secretariat_signer, signed
from shared.events.signing import SigningInputError
from tests.factories import NOW, SECRETARIAT_KEY, project_key

Message = tuple[bytes | None, list[tuple[str, bytes]], bytes]


def sdk_event(
    event_type: EventType,
    data: dict[str, Any],
    event_id: str | None = None,
    source: str | None = None,
    sign: bool = True,
) -> CloudEvent:
    """An event as a project system builds it with the SDK, signed as it would sign it: with
    its project's key (tests.factories.project_key of the source's project), or the
    Secretariat's for project.registered; `sign=False`: as an anonymous producer sends it."""
    event = cloud_event(event_type, data, NOW, event_id)
    if source is not None:
        event = CloudEvent({**event.get_attributes(), "source": source}, event.get_data())
    if not sign:
        return event
    signer = str(event.get_attributes()["source"]).removeprefix("/projects/")
    sign_with = (
        secretariat_signer(SECRETARIAT_KEY)
        if event_type is EventType.PROJECT_REGISTERED
        else project_key(signer).sign
    )
    try:
        return signed(event, sign_with)
    except SigningInputError:  # data no JSON canonicaliser writes (huge numbers): as a client would, unsigned
        return event


def binary(event: CloudEvent) -> Message:
    m = ce_kafka.to_binary(event, JSONFormat())
    key = m.key.encode() if isinstance(m.key, str) else m.key
    return key, list(m.headers.items()), m.value


def structured(event: CloudEvent) -> Message:
    m = ce_kafka.to_structured(event, JSONFormat())
    key = m.key.encode() if isinstance(m.key, str) else m.key
    return key, list(m.headers.items()), m.value


async def produce(
    bootstrap: str, topic: str, messages: Sequence[Message], compression: str | None = None
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, max_request_size=8 * 1024 * 1024, compression_type=compression
    )
    try:
        await producer.start()
        batch = [
            await producer.send(topic, value, key=key, headers=headers) for key, headers, value in messages
        ]
        await asyncio.gather(*batch)
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from the start, polling until `until(records)` or the timeout."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        while not until(records) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for part in batches.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


def batch_claiming(codec: int, messages: Sequence[Message]) -> bytes:
    """A record batch whose header says `codec` (3 = lz4) while its records are not compressed
    at all: what a broken client or a flipped bit sends; its CRC holds."""
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for delta, (key, headers, value) in enumerate(messages):
        builder.append(delta, timestamp=None, key=key, value=value, headers=headers)
    batch = bytearray(builder.build())
    attributes = struct.unpack_from(">h", batch, 21)[0]
    struct.pack_into(">h", batch, 21, (attributes & ~0x07) | codec)
    struct.pack_into(">I", batch, 17, calc_crc32c(bytes(batch[21:])))
    return bytes(batch)


async def produce_batch(bootstrap: str, topic: str, partition: int, batch: bytes) -> None:
    """Write a record batch as it is (no client would send a broken one): a Produce request."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.partitions_for(topic)  # the topic's metadata, leaders included
        leader = producer.client.cluster.leader_for_partition(TopicPartition(topic, partition))
        request = ProduceRequest(
            transactional_id=None, required_acks=-1, timeout=10_000, topics=[(topic, [(partition, batch)])]
        )
        response = await producer.client.send(leader, request)
        [(_, [(_, error, *_)])] = response.topics
        assert error == 0, f"the broker refused the batch: error {error}"
    finally:
        await producer.stop()


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode("utf-8")
    return None
