"""Intake over HTTP on a real uvicorn server, with real Kafka and MongoDB behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloudevents.core.v1.event import CloudEvent

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, connect
from shared.events.models import EventType
from shared.stack import EmbeddedStack, StackEndpoints
from tests.cli import cfamon
from tests.conftest import service_settings
from tests.factories import activity_data
from tests.integration.helpers import eventually, running
from tests.integration.intake_world import (
    OPERATOR,
    OTHER_TOKEN,
    TOKEN,
    Intake,
    as_batch,
    as_binary,
    as_structured,
    start_intake,
)
from tests.kafka_helpers import binary, header, produce, sdk_event

pytestmark = pytest.mark.integration


@pytest.fixture
def intake(stack: StackEndpoints, isolation: dict[str, str]) -> Iterator[Intake]:
    settings = service_settings(IntakeSettings, stack, isolation, operator_token=OPERATOR)
    yield from start_intake(settings)


def event(pid: str, event_id: str | None = None, **changes: Any) -> CloudEvent:
    return sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, **changes), event_id)


async def test_binary_structured_and_batch_events_from_the_sdk_are_accepted(intake: Intake) -> None:
    pid = intake.pid
    async with intake.client() as client:
        one = await client.post("/v1/events", **as_binary(event(pid, "b1", activity_id="A-1")))
        two = await client.post("/v1/events", **as_structured(event(pid, "s1", activity_id="A-2")))
        many = await client.post(
            "/v1/events:batch",
            **as_batch(event(pid, "m1", activity_id="A-3"), event(pid, "m2", activity_id="A-4")),
        )
    assert [r.status_code for r in (one, two, many)] == [202, 202, 202], [one.text, two.text, many.text]
    assert one.json()["events"] == [
        {"id": "b1", "source": f"/projects/{pid}", "type": str(EventType.ACTIVITY_REPORTED)}
    ]
    assert many.json()["accepted"] == 2 and many.json()["published"] is True
    async with intake.client(token=None) as anonymous:
        paths = (await anonymous.get("/openapi.json")).json()["paths"]
    assert {"/v1/events", "/v1/events:batch", "/v1/events:validate", "/v1/rejections"} <= set(paths)
    validated = await intake.topic(intake.settings.topics.validated, 4)
    assert sorted(json.loads(r.value)["id"] for r in validated) == ["b1", "m1", "m2", "s1"]
    assert {r.key for r in validated} == {pid.encode()}


async def test_missing_wrong_and_foreign_tokens(intake: Intake) -> None:
    body = as_binary(event(intake.pid))
    async with intake.client(token=None) as anonymous, intake.client("cfa_nope") as wrong:
        missing = await anonymous.post("/v1/events", **body)
        bad = await wrong.post("/v1/events", **body)
    async with intake.client(OTHER_TOKEN) as other:
        foreign = await other.post("/v1/events", **body)
    assert (missing.status_code, bad.status_code, foreign.status_code) == (401, 401, 403), foreign.text
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"] == "application/problem+json"
    assert intake.pid in foreign.json()["detail"] and intake.other in foreign.json()["detail"]


async def test_a_400_lists_every_field_error_and_the_event_lands_in_the_dlq(intake: Intake) -> None:
    bad = event(intake.pid, "bad-1", kind="party", participants={"total": -1, "women": 0, "men": 0})
    async with intake.client() as client:
        response = await client.post("/v1/events", **as_structured(bad))
    assert response.status_code == 400
    problem = response.json()
    assert problem["reason"] == "schema"
    fields = {e["field"] for e in problem["errors"]}
    assert {"data.kind", "data.participants.total"} <= fields
    [dead] = await intake.topic(intake.settings.topics.dlq, 1)
    assert header(dead, "reason") == "schema" and header(dead, "rejected_by") == "intake-http"
    assert dead.value == as_structured(bad)["content"]  # the original bytes


async def test_the_same_invalid_event_gets_the_same_verdict_over_http_and_kafka(intake: Intake) -> None:
    cases = {
        "pii": event(intake.pid, "x-pii", notes="call +36 1 234 5678"),
        "ap": event(intake.pid, "x-ap", action_points=["9.9"]),
        "date": event(intake.pid, "x-date", start_date="2031-01-01", end_date="2031-01-02"),
    }
    over_http = {}
    async with intake.client() as client:
        for name, e in cases.items():
            answer = (await client.post("/v1/events", **as_binary(e))).json()
            over_http[name] = (answer["reason"], sorted(x["field"] for x in answer["errors"]))
    await produce(
        intake.settings.kafka_bootstrap_servers,
        intake.settings.topics.raw,
        [binary(e) for e in cases.values()],
    )
    dead = await intake.topic(intake.settings.topics.dlq, 6)
    over_kafka = {
        name: (header(r, "reason"), sorted((header(r, "field") or "").split(",")))
        for name, e in cases.items()
        for r in dead
        if header(r, "event_id") == e.get_id() and header(r, "rejected_by") == "intake"
    }
    assert over_http == over_kafka
    assert {reason for reason, _ in over_http.values()} == {
        "personal_data",
        "unknown_action_point",
        "date_out_of_range",
    }


async def test_too_large_too_many_and_already_accepted(
    stack: StackEndpoints, isolation: dict[str, str]
) -> None:
    settings = service_settings(
        IntakeSettings, stack, isolation, rate_per_second=0.01, rate_burst=2, max_batch_events=2
    )  # two events' worth: the 413 reads no event, so it costs nothing
    aggregator = create_aggregator(service_settings(AggregatorSettings, stack, isolation))
    for intake in start_intake(settings):
        async with intake.client() as client, running(aggregator):
            huge = await client.post(
                "/v1/events",
                headers={"content-type": "application/cloudevents+json"},
                content=b"x" * (1024 * 1024 + 1),
            )
            first = await client.post("/v1/events", **as_binary(event(intake.pid, "d1")))
            mongo = connect(stack.mongodb_url)
            try:  # the log stores it: a batch holding it again is 409 from then on
                events = mongo[settings.mongodb_db][EVENTS]
                await eventually(lambda e=events: _stored(e, "d1"), what="d1 in the event log")
            finally:
                await mongo.close()
            again = await client.post("/v1/events", **as_binary(event(intake.pid, "d1")))
            limited = await client.post("/v1/events", **as_binary(event(intake.pid, "d2")))
        assert huge.status_code == 413
        assert first.status_code == 202
        assert again.status_code == 409 and again.json()["reason"] == "duplicate"
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


async def _stored(events: Any, event_id: str) -> bool:
    return await events.count_documents({"id": event_id}) == 1


async def test_validate_runs_every_check_and_publishes_nothing(intake: Intake) -> None:
    async with intake.client() as client:
        good = await client.post("/v1/events:validate", **as_binary(event(intake.pid, "v1")))
        bad = await client.post(
            "/v1/events:validate",
            **as_batch(event(intake.pid, "v2"), event(intake.pid, "v3", notes="a@b.org")),
        )
        marker = await client.post("/v1/events", **as_binary(event(intake.pid, "marker")))
    assert good.status_code == 200 and good.json() == {
        "accepted": 1,
        "published": False,
        "events": [
            {"id": "v1", "source": f"/projects/{intake.pid}", "type": str(EventType.ACTIVITY_REPORTED)}
        ],
    }
    assert bad.status_code == 400
    assert [(e["index"], e["reason"], e["field"]) for e in bad.json()["errors"]] == [
        (1, "personal_data", "data.notes")
    ]
    assert marker.status_code == 202
    # The marker was confirmed after the dry runs answered: anything they published is there too.
    raw = await intake.topic(intake.settings.topics.raw, 1)
    assert [json.loads(r.value)["activity_id"] for r in raw] == ["A-1"]
    assert [header(r, "ce_id") for r in raw] == ["marker"]
    assert await intake.topic(intake.settings.topics.dlq, 1, timeout=1) == []


async def test_a_project_pages_its_own_rejections(intake: Intake) -> None:
    async with intake.client() as client:
        for n in range(3):
            await client.post("/v1/events", **as_binary(event(intake.pid, f"r{n}", notes=f"mail a{n}@b.org")))
        first = await client.get("/v1/rejections", params={"limit": 2})
        second = await client.get(
            "/v1/rejections", params={"limit": 2, "cursor": first.json()["next_cursor"]}
        )
        foreign = await client.get("/v1/rejections", params={"project_id": intake.other})
    async with intake.client(OTHER_TOKEN) as other:
        none_of_mine = await other.get("/v1/rejections")
    async with intake.client(OPERATOR) as operator:
        by_operator = await operator.get("/v1/rejections", params={"project_id": intake.pid})
        unnamed = await operator.get("/v1/rejections")
    items = first.json()["items"] + second.json()["items"]
    assert [i["event_id"] for i in items] == ["r2", "r1", "r0"]  # newest first
    assert second.json()["next_cursor"] is None
    assert {(i["reason"], i["field"], i["received_over"]) for i in items} == {
        ("personal_data", "data.notes", "http")
    }
    assert "a0@b.org" not in json.dumps(items)  # never the body
    assert foreign.status_code == 403 and none_of_mine.json()["items"] == []
    assert len(by_operator.json()["items"]) == 3 and unnamed.status_code == 400


async def test_rejections_over_kafka_are_listed_too(intake: Intake) -> None:
    bad = event(intake.pid, "k1", action_points=["9.9"])
    await produce(intake.settings.kafka_bootstrap_servers, intake.settings.topics.raw, [binary(bad)])
    await intake.topic(intake.settings.topics.dlq, 1)
    async with intake.client() as client:
        items = (await client.get("/v1/rejections")).json()["items"]
    assert [(i["event_id"], i["reason"], i["received_over"]) for i in items] == [
        ("k1", "unknown_action_point", "kafka")
    ]


async def test_a_rotated_token_stops_working(intake: Intake) -> None:
    env = {
        "CFA_MONGODB_URL": intake.settings.mongodb_url,
        "CFA_MONGODB_DB": intake.settings.mongodb_db,
    }
    rotated = cfamon("projects", "token", intake.pid, env=env)
    assert rotated.returncode == 0, rotated.stderr
    new_token = rotated.stdout.strip().splitlines()[-1]
    async with intake.client() as old, intake.client(new_token) as new:
        refused = await old.post("/v1/events", **as_binary(event(intake.pid, "t1")))
        accepted = await new.post("/v1/events", **as_binary(event(intake.pid, "t1")))
    assert (refused.status_code, accepted.status_code) == (401, 202)


def test_broker_down_means_503_with_retry_after(stack: StackEndpoints, isolation: dict[str, str]) -> None:
    with EmbeddedStack(mongodb_url=stack.mongodb_url) as own:
        settings = service_settings(
            IntakeSettings, own.endpoints, isolation, publish_timeout_seconds=2, shutdown_grace_seconds=1
        )
        for intake in start_intake(settings):
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=intake.url, headers=headers, timeout=30) as client:
                before = client.post("/v1/events", **as_binary(event(intake.pid, "u1")))
                own.processes["kafka"].stop()
                down = client.post("/v1/events", **as_binary(event(intake.pid, "u2")))
                ready = client.get("/readyz")
            assert before.status_code == 202
            assert down.status_code == 503, down.text
            assert int(down.headers["retry-after"]) >= 1
            assert ready.status_code == 503 and "kafka" in ready.json()["unreachable"]
