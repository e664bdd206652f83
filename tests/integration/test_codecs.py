"""Every compression codec Kafka clients use, from aiokafka and from librdkafka (the C client
that Go, .NET, Python's confluent-kafka and kcat are built on), on the real broker; and a
record batch no one can read, which is dead-lettered while the partition moves on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka.partitioner import murmur2
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, connect
from shared.adapters.registry import ProjectRegistry
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import NOW, activity_data, project_id, registered
from tests.integration.helpers import eventually, running
from tests.kafka_helpers import (
    Message,
    batch_claiming,
    binary,
    header,
    produce,
    produce_batch,
    read_topic,
    sdk_event,
    structured,
)

pytestmark = pytest.mark.integration
CODECS = ("gzip", "snappy", "lz4", "zstd")
LZ4 = 3
PARTITIONS = 2  # tests.conftest.service_settings


@dataclass
class Services:
    settings: IntakeSettings
    mongo: AsyncMongoClient[dict[str, Any]]
    intake: FastAPI
    aggregator: FastAPI
    pid: str

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap_servers

    async def stored_ids(self) -> set[str]:
        documents = self.mongo[self.settings.mongodb_db][EVENTS].find({"project_id": self.pid}, {"id": 1})
        return {d["id"] async for d in documents}

    async def until_stored(self, ids: set[str]) -> None:
        async def all_there() -> bool:
            return ids <= await self.stored_ids()

        await eventually(all_there, what=f"{len(ids)} events stored")

    def http(self, app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


@pytest.fixture
async def services(stack: StackEndpoints, isolation: dict[str, str]) -> AsyncIterator[Services]:
    clock = fixed_clock(NOW + timedelta(days=1))
    intake = service_settings(IntakeSettings, stack, isolation)
    aggregator = service_settings(AggregatorSettings, stack, isolation)
    mongo = connect(stack.mongodb_url)
    pid = project_id()
    await ProjectRegistry(mongo[intake.mongodb_db]).add(registered(pid))
    intake_app, aggregator_app = create_intake(intake, clock), create_aggregator(aggregator, clock)
    async with running(intake_app, aggregator_app):
        yield Services(intake, mongo, intake_app, aggregator_app, pid)
    await mongo.drop_database(intake.mongodb_db)
    await mongo.close()


def event(pid: str, event_id: str) -> Any:
    return sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, f"A-{event_id}"), event_id)


async def test_events_compressed_with_every_codec_are_stored(services: Services) -> None:
    pid = services.pid
    for codec in CODECS:
        messages = [binary(event(pid, f"{codec}-binary")), structured(event(pid, f"{codec}-structured"))]
        await produce(services.bootstrap, services.settings.topics.raw, messages, compression=codec)
    await services.until_stored({f"{codec}-{mode}" for codec in CODECS for mode in ("binary", "structured")})


def _produce_with_librdkafka(bootstrap: str, topic: str, messages: list[tuple[str, Message]]) -> set[int]:
    """Each message with its codec, as a Go, .NET or kcat user's librdkafka sends it, keyed
    with the Java client's partitioner; answers the partitions they landed on."""
    import confluent_kafka

    partitions: set[int] = set()
    errors: list[Any] = []

    def delivered(error: Any, message: Any) -> None:
        if error is not None:
            errors.append(error)
        else:
            partitions.add(message.partition())

    for codec, (key, headers, value) in messages:
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": bootstrap, "compression.codec": codec, "partitioner": "murmur2_random"}
        )
        producer.produce(topic, value, key=key, headers=headers, on_delivery=delivered)
        assert producer.flush(30) == 0
    assert not errors
    return partitions


async def test_librdkafka_in_binary_and_structured_mode_with_every_codec(services: Services) -> None:
    pid = services.pid
    messages: list[tuple[str, Message]] = []
    for codec in CODECS:
        messages.append((codec, binary(event(pid, f"rd-{codec}-binary"))))
        messages.append((codec, structured(event(pid, f"rd-{codec}-structured"))))
    landed = await asyncio.to_thread(
        _produce_with_librdkafka, services.bootstrap, services.settings.topics.raw, messages
    )
    await services.until_stored(
        {f"rd-{codec}-{mode}" for codec in CODECS for mode in ("binary", "structured")}
    )
    # murmur2_random is the Java client's partitioner, and aiokafka's: every client puts a
    # project's events on the same partition, so they stay in order.
    java_partition = (murmur2(pid.encode()) & 0x7FFFFFFF) % PARTITIONS
    assert landed == {java_partition}


async def test_an_unreadable_batch_is_dead_lettered_and_the_partition_moves_on(services: Services) -> None:
    pid, topics = services.pid, services.settings.topics
    partition = (murmur2(pid.encode()) & 0x7FFFFFFF) % PARTITIONS
    broken = batch_claiming(LZ4, [binary(event(pid, "in-broken-batch")), binary(event(pid, "also-broken"))])
    await produce_batch(services.bootstrap, topics.raw, partition, broken)
    # After it on the same partition: an HTTP event answered 202 and a Kafka one.
    http_event = event(pid, "by-http")
    message = ce_http.to_binary(http_event, JSONFormat())
    async with services.http(services.intake) as intake:
        answer = await intake.post(
            "/v1/events",
            content=message.body,
            headers={**message.headers, "Authorization": "Bearer cfa_test-token"},
        )
        assert answer.status_code == 202, answer.text
        await produce(services.bootstrap, topics.raw, [binary(event(pid, "by-kafka"))])
        await services.until_stored({"by-http", "by-kafka"})
        ready = (await intake.get("/readyz")).json()
        exposition = (await intake.get("/metrics")).text

    [dead] = await read_topic(services.bootstrap, topics.dlq, lambda records: len(records) >= 1)
    assert header(dead, "reason") == "unreadable"
    assert header(dead, "codec") == "lz4"
    assert header(dead, "original_partition") == str(partition)
    assert (header(dead, "original_offset"), header(dead, "original_last_offset")) == ("0", "1")
    assert "cannot be read" in (header(dead, "error") or "")
    assert dead.value == broken  # byte for byte: whoever has a reader for it can recover it
    assert ready["status"] == "ready"
    assert "lz4" in ready["notices"]["unreadable_batches"]
    assert f'cfa_unreadable_batches_total{{codec="lz4",topic="{topics.raw}"}} 1.0' in exposition
    assert {"in-broken-batch", "also-broken"}.isdisjoint(await services.stored_ids())


async def test_an_unreadable_batch_on_the_validated_topic_is_dead_lettered_by_the_aggregator(
    services: Services,
) -> None:
    pid, topics = services.pid, services.settings.topics
    await produce_batch(
        services.bootstrap, topics.validated, 0, batch_claiming(LZ4, [binary(event(pid, "x"))])
    )
    [dead] = await read_topic(services.bootstrap, topics.dlq, lambda records: len(records) >= 1)
    assert (header(dead, "reason"), header(dead, "rejected_by")) == ("unreadable", "aggregator")
    async with services.http(services.aggregator) as aggregator:
        assert "unreadable_batches" in (await aggregator.get("/readyz")).json()["notices"]
