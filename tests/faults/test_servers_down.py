"""The database or the broker killed (SIGKILL) in the middle of an event stream and started
again: the services stay up, /readyz answers 503 naming what is down, intake's HTTP answers
503 with Retry-After (never 500), consumers wait and resume, and afterwards every valid
event is stored once, every invalid one is in the DLQ, and the read model equals a rebuild.
The broker runs in its durable mode for this (DESIGN §8): Tansu on S3 storage, a local S3
server (moto) holding the bucket; in memory, a restart would empty it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from services.intake.settings import IntakeSettings
from shared.adapters.mongo import connect
from shared.adapters.registry import ProjectRegistry
from shared.events.models import EventType
from shared.stack import EmbeddedStack
from shared.stack.processes import free_port
from tests.conftest import service_settings
from tests.factories import activity_data, project_id, registered
from tests.faults.scale import scaled
from tests.faults.stream import Stream, start_services
from tests.integration.helpers import eventually
from tests.integration.intake_world import as_binary
from tests.kafka_helpers import sdk_event

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]
EVENTS_SENT = scaled(2_000, 10_000)
TOKEN = "cfa_" + "d" * 43


@pytest.fixture(params=["mongodb", "kafka"])
def outage_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedStack]:
    """Servers of this test's own, since it kills one of them (`request.param`)."""
    if request.param == "mongodb":
        with EmbeddedStack(run_dir=tmp_path / "stack") as stack:
            yield stack
        return
    port = free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    s3.start()
    endpoint = f"http://127.0.0.1:{port}"
    aws = {
        "AWS_ENDPOINT": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="eu-west-1",
    )
    client.create_bucket(Bucket="tansu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        with EmbeddedStack(run_dir=tmp_path / "stack", kafka_storage="s3://tansu/", kafka_env=aws) as stack:
            yield stack
    finally:
        s3.stop()


async def test_a_server_killed_mid_stream_loses_nothing(
    outage_stack: EmbeddedStack, isolation: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    down = request.node.callspec.params["outage_stack"]
    own_stack = outage_stack
    rng = random.Random(5)
    settings = service_settings(IntakeSettings, own_stack.endpoints, isolation)
    mongo = connect(own_stack.endpoints.mongodb_url)
    db = mongo[settings.mongodb_db]
    projects = [project_id() for _ in range(3)]
    for pid in projects:
        await ProjectRegistry(db).add(registered(pid, token=TOKEN))
    stream = Stream.draw(rng, projects, EVENTS_SENT)
    services = {}
    try:
        services = start_services(
            ["intake", "aggregator"], settings, tmp_path, CFA_PUBLISH_TIMEOUT_SECONDS="2"
        )
        urls = {name: f"http://127.0.0.1:{port}" for name, (_, port) in services.items()}
        producing = asyncio.create_task(stream.send(settings))
        at_kill = await stream.reached(db, 0.3)
        own_stack.kill(down)
        async with httpx.AsyncClient(timeout=30) as http:

            async def unready() -> bool:
                answers = [await http.get(f"{url}/readyz") for url in urls.values()]
                return all(a.status_code == 503 and down in a.json()["unreachable"] for a in answers)

            await eventually(unready, timeout=60, what=f"/readyz naming {down} on both services")
            event = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(projects[0], "HTTP-1"), "http-1")
            request = as_binary(event)
            request["headers"] = {**request["headers"], "Authorization": f"Bearer {TOKEN}"}
            answer = await http.post(f"{urls['intake']}/v1/events", **request)
            assert answer.status_code in (202, 503), answer.text
            if answer.status_code == 503:
                assert int(answer.headers["Retry-After"]) >= 1
            await asyncio.sleep(3)  # the stream goes on (or waits, as a project's system would)
            own_stack.start_again(down)
            for name, (process, _) in services.items():
                assert process.running(), f"{name} exited while {down} was down"

            async def ready() -> bool:
                answers = [await http.get(f"{url}/readyz") for url in urls.values()]
                return all(a.status_code == 200 for a in answers)

            await eventually(ready, timeout=60, what="both services ready again")
            # The client retries unchanged, as the 503 asks: 202 if the first try never got
            # through, 409 `duplicate` if it did (Kafka may take it once it is back).
            retried = await http.post(f"{urls['intake']}/v1/events", **request)
            assert retried.status_code in (202, 409), retried.text
        await producing
        stream.valid.add("http-1")  # stored once, whichever try got it there
        stream.activities += 1
        found = await stream.check(settings, db, urls["aggregator"])
    finally:
        for process, _ in services.values():
            process.stop()
        await mongo.close()
    print(
        f"{down} killed at {at_kill} stored, down 3 s; HTTP during the outage {answer.status_code}, "
        f"its retry {retried.status_code}; {found}"
    )
