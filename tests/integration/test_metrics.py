"""/metrics of each service on the real stack: FastStream's message series and the cfa_
series, with the values that the events sent make."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from shared.adapters.mongo import connect
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from tests.conftest import service_settings
from tests.factories import NOW
from tests.integration.helpers import (
    INVALID,
    VALID,
    Samples,
    eventually,
    running,
    samples,
    send_events,
    value,
)

pytestmark = pytest.mark.integration
OPERATOR = "o" * 40


@dataclass
class Services:
    intake: FastAPI
    aggregator: FastAPI
    notifier: FastAPI
    intake_settings: IntakeSettings

    async def metrics(self, app: FastAPI) -> Samples:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return samples(response.text)


@pytest.fixture
async def services(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Services]:
    clock = fixed_clock(NOW + timedelta(days=1))
    smtp = SmtpSink()
    smtp.start()
    config = tmp_path / "notifier.yaml"
    config.write_text(
        "from: m@test.example\nreference_group: {email: [rg@test.example]}\nevaluate_every: 0\n"
    )
    intake = service_settings(IntakeSettings, stack, isolation)
    aggregator = service_settings(AggregatorSettings, stack, isolation)
    notifier = service_settings(
        NotifierSettings,
        stack,
        isolation,
        notifier_config=config,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        operator_token=OPERATOR,
    )
    mongo = connect(stack.mongodb_url)
    try:
        apps = (
            create_intake(intake, clock),
            create_aggregator(aggregator, clock),
            create_notifier(notifier, clock),
        )
        async with running(*apps):
            yield Services(*apps, intake)
    finally:
        smtp.stop()
        await mongo.drop_database(intake.mongodb_db)
        await mongo.close()


async def test_each_service_exports_its_cfa_series_with_the_values_the_events_made(
    services: Services,
) -> None:
    settings = services.intake_settings
    await send_events(settings)

    async def intake_done() -> bool:
        found = await services.metrics(services.intake)
        return value(found, "cfa_dlq_messages") == INVALID and value(found, "cfa_consumer_lag") == 0

    await eventually(intake_done, what="intake's DLQ size and lag on /metrics")
    intake = await services.metrics(services.intake)
    assert value(intake, "cfa_events_accepted_total", type=str(EventType.ACTIVITY_REPORTED)) == VALID
    rejected = {"type": str(EventType.ACTIVITY_REPORTED), "channel": "kafka"}
    assert value(intake, "cfa_events_rejected_total", reason="unknown_action_point", **rejected) == 1
    assert value(intake, "cfa_events_rejected_total", reason="personal_data", **rejected) == 1
    received = value(
        intake, "faststream_received_messages_total", app_name="intake", handler=settings.topics.raw
    )
    assert received == VALID + INVALID
    assert value(intake, "cfa_consumer_lag", topic=settings.topics.raw, group=settings.intake_group_id) == 0

    async def aggregator_done() -> bool:
        return value(await services.metrics(services.aggregator), "cfa_consumer_lag") == 0

    await eventually(aggregator_done, what="the aggregator's lag at 0")
    aggregator = await services.metrics(services.aggregator)
    assert value(aggregator, "cfa_events_stored_total") == VALID
    assert value(aggregator, "cfa_read_model_update_seconds_count") == VALID
    assert 0 < value(aggregator, "cfa_read_model_update_seconds_sum") < 60 * VALID
    assert value(aggregator, "cfa_priorities") == 6
    assert value(aggregator, "cfa_action_points") == 37
    assert value(aggregator, "cfa_priorities", status="behind") >= 1

    transport = httpx.ASGITransport(app=services.notifier)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as api:
        evaluated = await api.post("/v1/evaluate", headers={"Authorization": f"Bearer {OPERATOR}"})
    assert evaluated.status_code == 200, evaluated.text
    notifier = await services.metrics(services.notifier)
    assert value(notifier, "cfa_alerts", state="firing") == evaluated.json()["firing"] > 0
    assert value(notifier, "cfa_alerts", state="firing", kind="priority_behind") >= 1
    assert value(notifier, "cfa_alerts_firing") == evaluated.json()["firing"]
    assert value(notifier, "cfa_outbox_depth", channel="email") == 0  # group_wait has not passed
    assert value(notifier, "cfa_last_evaluation_timestamp_seconds") > 0
    for app in (services.intake, services.aggregator, services.notifier):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            document = (await client.get("/asyncapi.json")).json()
        assert document["asyncapi"] == "3.0.0" and document["channels"]
    for found in (intake, aggregator, notifier):  # every scrape-time reading worked
        assert not [ls for (n, ls), v in found.items() if n == "cfa_metrics_scrape_errors_total" and v > 0]
