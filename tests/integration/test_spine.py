"""intake -> aggregator on the real embedded Tansu and SecantusDB, events made by the SDK."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
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
from shared.events.produce import signed
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import (
    NOW,
    activity_data,
    measurement_data,
    milestone_data,
    project_id,
    project_key,
    registered,
    registration_data,
)
from tests.integration.helpers import eventually, running
from tests.kafka_helpers import (
    Message,
    binary,
    header,
    produce,
    read_topic,
    sdk_event,
    structured,
)

pytestmark = pytest.mark.integration
OFFICERS = "ind-1.2-officers-trained"
READ = "r" * 40  # an indicator of the shipped results framework


@dataclass
class Spine:
    settings: IntakeSettings
    mongo: AsyncMongoClient[dict[str, Any]]
    pid: str
    aggregator: FastAPI

    @property
    def db(self) -> Any:
        return self.mongo[self.settings.mongodb_db]

    async def send(self, *messages: Message) -> None:
        await produce(self.settings.kafka_bootstrap_servers, self.settings.topics.raw, messages)

    async def stored(self) -> list[dict[str, Any]]:
        return await self.db[EVENTS].find({"project_id": self.pid}).to_list(None)

    async def dead_letters(self, count: int) -> list[Any]:
        return await read_topic(
            self.settings.kafka_bootstrap_servers, self.settings.topics.dlq, lambda r: len(r) >= count
        )


@pytest.fixture
async def spine(stack: StackEndpoints, isolation: dict[str, str]) -> AsyncIterator[Spine]:
    clock = fixed_clock(NOW + timedelta(days=1))
    intake = service_settings(IntakeSettings, stack, isolation)
    aggregator = service_settings(AggregatorSettings, stack, isolation, reader_token=READ)
    mongo = connect(stack.mongodb_url)
    pid = project_id()
    await ProjectRegistry(mongo[intake.mongodb_db]).add(registered(pid))
    aggregator_app = create_aggregator(aggregator, clock)
    async with running(create_intake(intake, clock), aggregator_app):
        yield Spine(intake, mongo, pid, aggregator_app)
    await mongo.drop_database(intake.mongodb_db)
    await mongo.close()


async def test_binary_and_structured_events_are_stored_exactly_once(spine: Spine) -> None:
    pid = spine.pid
    first = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, "A-1"), "evt-binary")
    second = sdk_event(
        EventType.INDICATOR_MEASURED, measurement_data(pid, indicator_id=OFFICERS), "evt-structured"
    )
    registration = sdk_event(EventType.PROJECT_REGISTERED, registration_data(pid), "evt-registered")
    await spine.send(binary(registration), binary(first), structured(second), binary(first))

    async def all_stored() -> bool:
        return len(await spine.stored()) >= 3

    await eventually(all_stored, what="three events in MongoDB")
    [duplicate] = await spine.dead_letters(1)
    stored = {doc["id"]: doc for doc in await spine.stored()}
    assert sorted(stored) == ["evt-binary", "evt-registered", "evt-structured"]
    assert stored["evt-binary"]["data"]["participants"] == {"total": 24, "women": 9, "men": 15}
    assert stored["evt-structured"]["type"] == str(EventType.INDICATOR_MEASURED)
    assert stored["evt-structured"]["time"] == NOW
    assert header(duplicate, "reason") == "duplicate"
    # Sent twice in one batch, intake refuses the second: its original bytes. (Had they come in
    # two batches, the log would have refused it: the canonical form intake passed on.)
    kept = json.loads(duplicate.value)
    assert duplicate.value == binary(first)[2] or kept["data"] == json.loads(binary(first)[2])
    assert header(duplicate, "event_id") == "evt-binary"
    # The registration is in the read model (the aggregator's API, public reads off: operator).
    transport = httpx.ASGITransport(app=spine.aggregator)
    async with httpx.AsyncClient(transport=transport, base_url="http://aggregator") as api:
        project = (await api.get(f"/v1/projects/{pid}", headers={"Authorization": f"Bearer {READ}"})).json()
    assert project["action_points"] == ["3.1", "3.2", "1.2"]


async def test_every_rejection_reason_lands_in_the_dlq(spine: Spine) -> None:
    pid = spine.pid
    valid = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, "A-ok"), "ok-1")
    cases: dict[str, Message] = {
        "not json": (
            pid.encode(),
            [("content-type", b"application/cloudevents+json")],
            b"{{{ definitely not json",
        ),
        "bad field": binary(
            sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, kind="party"), "r-schema")
        ),
        "unknown action point": binary(
            sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, action_points=["7.1"]), "r-ap")
        ),
        "unknown project": binary(
            sdk_event(EventType.ACTIVITY_REPORTED, activity_data("NOBODY-1"), "r-project")
        ),
        "source mismatch": structured(
            sdk_event(
                EventType.MILESTONE_UPDATED, milestone_data(pid), "r-source", source="/projects/OTHER-1"
            )
        ),
        "date out of range": binary(
            sdk_event(
                EventType.INDICATOR_MEASURED,
                measurement_data(pid, indicator_id=OFFICERS, period_end="2031-03-31"),
                "r-date",
            )
        ),
        "unknown indicator": binary(
            sdk_event(
                EventType.INDICATOR_MEASURED, measurement_data(pid, indicator_id="ind-9.9-none"), "r-ind"
            )
        ),
        "personal data": binary(
            sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, notes="ask amina@example.org"), "r-pii")
        ),
        "unsigned": binary(
            sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, "A-anon"), "r-anon", sign=False)
        ),
        "a project registering itself": binary(
            signed(
                sdk_event(EventType.PROJECT_REGISTERED, registration_data(pid), "r-self", sign=False),
                project_key(pid).sign,
            )
        ),
    }
    await spine.send(binary(valid), *cases.values(), binary(valid))
    records = await spine.dead_letters(len(cases) + 1)
    by_reason = {header(r, "reason"): r for r in records}
    assert set(by_reason) == {
        "schema",
        "unknown_action_point",
        "unknown_indicator",
        "unknown_project",
        "source_mismatch",
        "date_out_of_range",
        "personal_data",
        "duplicate",
        "unauthenticated",
        "not_permitted",
    }
    assert [header(r, "reason") for r in records].count("schema") == 2
    not_json = next(r for r in records if r.value == cases["not json"][2])
    assert header(not_json, "field") == "value" and "not JSON" in (header(not_json, "error") or "")
    assert header(by_reason["unknown_action_point"], "field") == "data.action_points[0]"
    assert header(by_reason["personal_data"], "field") == "data.notes"
    assert header(by_reason["date_out_of_range"], "event_id") == "r-date"
    assert header(by_reason["unauthenticated"], "event_id") == "r-anon"
    for record in records:  # every DLQ record keeps the bytes it came with, keyed by project
        assert record.value in {m[2] for m in cases.values()} | {binary(valid)[2]}
        assert header(record, "error")

    async def valid_one_stored() -> bool:
        return len(await spine.stored()) >= 1

    await eventually(valid_one_stored, what="the valid event in MongoDB")
    assert [doc["id"] for doc in await spine.stored()] == ["ok-1"]


async def test_an_undecodable_message_keeps_the_id_it_claims(spine: Spine) -> None:
    """Binary mode with data that is not JSON: the refusal still names the ce_id it came with
    (an id that is an e-mail address is not repeated: it is stored with the refusal)."""
    good = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(spine.pid), "claimed-1"))
    pii = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(spine.pid), "amina@example.org"))
    await spine.send((good[0], good[1], b"<not json>"), (pii[0], pii[1], b"<not json>"))
    records = await spine.dead_letters(2)
    assert [header(r, "reason") for r in records] == ["schema", "schema"]
    assert [header(r, "event_id") for r in records] == ["claimed-1", None]
    assert [header(r, "ce_id") for r in records] == ["claimed-1", "amina@example.org"]  # bytes kept


async def test_dead_letters_name_their_origin(spine: Spine) -> None:
    await spine.send((None, [], b"\x00\xff"))
    [record] = await spine.dead_letters(1)
    assert header(record, "original_topic") == spine.settings.topics.raw
    # Its original headers (none) plus why and where from: nothing else is added.
    assert {name for name, _ in record.headers or ()} == {
        "reason",
        "error",
        "field",
        "rejected_by",
        "rejected_at",
        "original_topic",
        "original_partition",
        "original_offset",
    }
    assert header(record, "rejected_by") == "intake"
    assert json.loads(json.dumps(header(record, "rejected_at")))
