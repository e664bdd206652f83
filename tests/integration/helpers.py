"""Running services in-process against the real stack, and waiting on conditions (never on time)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, connect
from shared.adapters.registry import ProjectRegistry
from shared.events.models import EventType
from shared.settings import CommonSettings
from shared.stack.processes import ManagedProcess, free_port
from tests.factories import activity_data, project_id, registered
from tests.kafka_helpers import binary, produce, sdk_event


@asynccontextmanager
async def running(*apps: FastAPI) -> AsyncIterator[None]:
    """Each app's lifespan (topics, database, broker) entered in turn and left in reverse."""
    async with _nested(list(apps)):
        yield


@asynccontextmanager
async def _nested(apps: list[FastAPI]) -> AsyncIterator[None]:
    if not apps:
        yield
        return
    async with apps[0].router.lifespan_context(apps[0]), _nested(apps[1:]):
        yield


async def is_ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


@asynccontextmanager
async def serving(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan entered and an in-process client on it, once /readyz answers 200."""
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
    ):
        await eventually(lambda: is_ready(client), what=f"{base_url} ready")
        yield client


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout: float = 60.0, what: str = "condition"
) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.1)


class ServerThread:
    """A real uvicorn server on a free port, in a thread with its own event loop, so sync
    and async tests alike talk to it over real HTTP."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def stack_env(settings: CommonSettings) -> dict[str, str]:
    """The CFA_ variables that put a `cfamon` command on the same stack, topics and database
    as `settings`."""
    return {
        "CFA_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "CFA_MONGODB_URL": settings.mongodb_url,
        "CFA_MONGODB_DB": settings.mongodb_db,
        "CFA_TOPIC_PREFIX": settings.topic_prefix,
        "CFA_TOPIC_PARTITIONS": str(settings.topic_partitions),
    }


def service_process(
    service: str, settings: CommonSettings, log: Path, **env: str
) -> tuple[ManagedProcess, int]:
    """`cfamon SERVICE` as its own process on a free port, on the same stack, topics and
    database as `settings`, with fast group joins; `env` adds CFA_ variables."""
    port = free_port()
    variables = {
        **os.environ,
        **stack_env(settings),
        "CFA_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "CFA_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        **env,
    }
    argv = [sys.executable, "-m", "services.cli.main", service, "--port", str(port)]
    return ManagedProcess(service, argv, log, variables), port


VALID, INVALID = 5, 2

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    """The sum of `name` over the samples whose labels include `labels`."""
    wanted = set(labels.items())
    matching = [v for (n, ls), v in found.items() if n == name and wanted <= ls]
    assert matching, f"no sample {name}{labels or ''}"
    return sum(matching)


async def send_events(settings: IntakeSettings) -> None:
    """VALID activity reports of a registered project and INVALID bad ones (an unknown
    action point, personal data) onto bp.events.raw; returns once the valid ones are stored."""
    mongo = connect(settings.mongodb_url)
    pid = project_id()
    await ProjectRegistry(mongo[settings.mongodb_db]).add(registered(pid))
    valid = [
        binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, f"A-{i}"), f"ok-{i}"))
        for i in range(VALID)
    ]
    invalid = [
        binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, action_points=["7.1"]), "bad-ap")),
        binary(
            sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, notes="mail amina@example.org"), "pii")
        ),
    ]
    await produce(settings.kafka_bootstrap_servers, settings.topics.raw, [*valid, *invalid])

    async def all_stored() -> bool:
        return await mongo[settings.mongodb_db][EVENTS].count_documents({}) == VALID

    await eventually(all_stored, what="the valid events stored")
    await mongo.close()
