"""The suite seen by an attacker: intake and the aggregator as real HTTP servers on the
embedded Kafka and MongoDB, two registered projects (A and B) with their tokens and keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from pymongo import MongoClient

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, REGISTRY, connect
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import project_id, registered
from tests.integration.helpers import ServerThread, eventually, is_ready, samples, value
from tests.kafka_helpers import Message, produce, read_topic

OPERATOR = "o" * 40
READER = "r" * 40
TOKEN_A = "cfa_" + "a" * 43
TOKEN_B = "cfa_" + "b" * 43


@dataclass
class Suite:
    intake_url: str
    aggregator_url: str
    settings: IntakeSettings
    a: str
    b: str

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap_servers

    def client(self, service: str, token: str | None) -> httpx.AsyncClient:
        url = self.intake_url if service == "intake" else self.aggregator_url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=url, headers=headers, timeout=30)

    async def send(self, topic: str, *messages: Message) -> None:
        await produce(self.bootstrap, topic, messages)

    async def stored_ids(self, project: str) -> set[str]:
        mongo = connect(self.settings.mongodb_url)
        try:
            docs = mongo[self.settings.mongodb_db][EVENTS].find({"project_id": project}, {"id": 1})
            return {doc["id"] async for doc in docs}
        finally:
            await mongo.close()

    async def wait_stored(self, project: str, event_id: str) -> set[str]:
        async def there() -> bool:
            return event_id in await self.stored_ids(project)

        await eventually(there, timeout=60, what=f"{event_id} stored")
        return await self.stored_ids(project)

    async def dead_letters(self, until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool]) -> list[Any]:
        return await read_topic(self.bootstrap, self.settings.topics.dlq, until, timeout=60)

    async def ignored(self, reason: str) -> float:
        async with self.client("aggregator", None) as client:
            text = (await client.get("/metrics")).text
        return value(samples(text), "cfa_events_ignored_total", reason=reason)

    def registry_entry(self, project: str) -> dict[str, Any]:
        with MongoClient(self.settings.mongodb_url) as mongo:
            entry = mongo[self.settings.mongodb_db][REGISTRY].find_one({"_id": project})
        assert entry is not None
        return entry


@pytest.fixture
def suite(stack: StackEndpoints, isolation: dict[str, str]) -> Iterator[Suite]:
    common: dict[str, Any] = {"operator_token": OPERATOR, "reader_token": READER}
    intake = service_settings(IntakeSettings, stack, isolation, **common)
    aggregator = service_settings(AggregatorSettings, stack, isolation, **common)
    a, b = project_id(), project_id()
    with MongoClient(stack.mongodb_url) as mongo:
        mongo[intake.mongodb_db][REGISTRY].insert_many(
            [registered(a, token=TOKEN_A).to_document(), registered(b, token=TOKEN_B).to_document()]
        )
    with ExitStack() as servers:
        intake_server = servers.enter_context(ServerThread(create_intake(intake)))
        aggregator_server = servers.enter_context(ServerThread(create_aggregator(aggregator)))
        yield Suite(intake_server.url, aggregator_server.url, intake, a, b)
    with MongoClient(stack.mongodb_url) as mongo:
        mongo.drop_database(intake.mongodb_db)


@pytest.fixture
async def aggregator_ready(suite: Suite) -> AsyncIterator[Suite]:
    async with suite.client("aggregator", None) as client:
        await eventually(lambda: is_ready(client), what="the aggregator ready")
    yield suite
