"""SIGKILL of the aggregator in the middle of a 2,000-event stream: every event stored, none twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, connect
from shared.adapters.registry import ProjectRegistry
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from shared.stack.processes import http_ok
from tests.conftest import service_settings
from tests.factories import NOW, activity_data, project_id, registered
from tests.integration.helpers import eventually, running, service_process
from tests.kafka_helpers import binary, produce, read_topic, sdk_event

pytestmark = pytest.mark.integration
EVENTS_SENT = 2000


async def test_sigkill_mid_stream_loses_nothing_and_stores_nothing_twice(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    settings = service_settings(IntakeSettings, stack, isolation)
    mongo = connect(stack.mongodb_url)
    events = mongo[settings.mongodb_db][EVENTS]
    pid = project_id()
    await ProjectRegistry(mongo[settings.mongodb_db]).add(registered(pid))
    # Small batches: the kill lands mid-stream.
    aggregator, port = service_process(
        "aggregator", settings, tmp_path / "aggregator.log", CFA_CONSUMER_MAX_RECORDS="100"
    )
    try:
        async with running(create_intake(settings, fixed_clock(NOW + timedelta(days=1)))):
            aggregator.start()
            aggregator.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), timeout=60)
            messages = [
                binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, f"A-{i}"), f"e-{i}"))
                for i in range(EVENTS_SENT)
            ]
            await produce(settings.kafka_bootstrap_servers, settings.topics.raw, messages)

            async def some_stored() -> bool:
                return await events.count_documents({}) >= 200

            await eventually(some_stored, what="the first events stored")
            aggregator.kill()
            at_kill = await events.count_documents({})
            assert at_kill < EVENTS_SENT, "the stream ended before the kill: nothing was tested"

            aggregator.start()

            async def all_stored() -> bool:
                return await events.count_documents({}) >= EVENTS_SENT

            await eventually(all_stored, timeout=120, what=f"{EVENTS_SENT} events stored after the restart")
            ids = [doc["id"] async for doc in events.find({}, {"id": 1})]
            assert len(ids) == EVENTS_SENT
            assert set(ids) == {f"e-{i}" for i in range(EVENTS_SENT)}
            # Redelivered messages must not have been taken for re-sent ones by intake.
            dlq = await read_topic(
                settings.kafka_bootstrap_servers, settings.topics.dlq, lambda r: False, timeout=2
            )
            assert dlq == []
    finally:
        aggregator.stop()
        await mongo.drop_database(settings.mongodb_db)
        await mongo.close()
    print(
        f"aggregator killed with {at_kill} of {EVENTS_SENT} events stored; all {EVENTS_SENT} stored once after restart"
    )
