"""Intake served over real HTTP for its tests, the fuzz suite and the fault suite: two
registered projects with their tokens, and the SDK's HTTP bindings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pymongo import MongoClient

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import REGISTRY
from shared.events.http import BATCH
from tests.factories import project_id, registered
from tests.integration.helpers import ServerThread
from tests.kafka_helpers import read_topic

FORMAT = JSONFormat()

TOKEN = "cfa_" + "p" * 43

OTHER_TOKEN = "cfa_" + "q" * 43

OPERATOR = "o" * 40


@dataclass
class Intake:
    url: str
    settings: IntakeSettings
    pid: str
    other: str

    def client(self, token: str | None = TOKEN) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def topic(self, name: str, count: int, timeout: float = 30) -> list[Any]:
        return await read_topic(
            self.settings.kafka_bootstrap_servers, name, lambda r: len(r) >= count, timeout
        )


def register(settings: IntakeSettings, *projects: tuple[str, str]) -> None:
    with MongoClient(settings.mongodb_url) as mongo:
        mongo[settings.mongodb_db][REGISTRY].insert_many(
            [registered(pid, token=token).to_document() for pid, token in projects]
        )


def start_intake(settings: IntakeSettings) -> Iterator[Intake]:
    pid, other = project_id(), project_id()
    register(settings, (pid, TOKEN), (other, OTHER_TOKEN))
    with ServerThread(create_app(settings)) as server:
        yield Intake(server.url, settings, pid, other)


def as_binary(e: CloudEvent) -> dict[str, Any]:
    message = ce_http.to_binary(e, FORMAT)
    return {"headers": message.headers, "content": message.body}


def as_structured(e: CloudEvent) -> dict[str, Any]:
    message = ce_http.to_structured(e, FORMAT)
    return {"headers": message.headers, "content": message.body}


def as_batch(*events: CloudEvent) -> dict[str, Any]:
    # The SDK has no batch writer: a batch is a JSON array of its structured events.
    body = b"[" + b",".join(FORMAT.write(e) for e in events) + b"]"
    return {"headers": {"content-type": BATCH}, "content": body}
