"""Getting an event counted for project B without B's credential, as an anonymous producer or
as project A, through every topic of the real embedded broker (which authenticates nobody).
Each attempt gets nothing counted: refused with a reason in the DLQ where intake reads it,
ignored and counted where the aggregator does."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cloudevents.core.bindings.http import to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from confluent_kafka import Producer

from shared.domain.projects import Credentials
from shared.events.codec import decode_event, encode_structured
from shared.events.keys import ProjectKey
from shared.events.models import EventType
from shared.events.produce import signed
from shared.trust import PRINCIPAL_HEADER, RAW_POSITION, RAW_VOUCH, VALIDATED, VOUCH_HEADER, Principal, mark
from tests.cli import cfamon
from tests.factories import activity_data, project_key, registration_data
from tests.fakes import as_record
from tests.integration.helpers import eventually, samples, stack_env
from tests.integration.helpers import value as metric
from tests.kafka_helpers import Message, binary, header, read_topic, sdk_event, structured
from tests.security.conftest import OPERATOR, TOKEN_A, TOKEN_B, Suite

pytestmark = pytest.mark.integration


def for_b(suite: Suite, event_id: str, sign: bool = False) -> CloudEvent:
    return sdk_event(
        EventType.ACTIVITY_REPORTED, activity_data(suite.b, f"X-{event_id}"), event_id, sign=sign
    )


def canonical_v1(event: CloudEvent) -> Message:
    """What intake writes to bp.events.v1 for this event, byte for byte, but unmarked."""
    key, headers, value = encode_structured(decode_event(as_record(binary(event))))
    return key, [(k, v.encode()) for k, v in headers.items()], value


def with_mark(message: Message, key: bytes, principal: Principal) -> Message:
    record_key, headers, value = message
    return (
        record_key,
        [
            *headers,
            *(
                (k, v.encode())
                for k, v in mark(key, VALIDATED, principal, record_key, headers, value).items()
            ),
        ],
        value,
    )


def librdkafka_produce(bootstrap: str, topic: str, messages: list[Message]) -> None:
    """A producer nobody here wrote (librdkafka 2.16, its own partitioner), with no credentials."""
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": "none"})
    for key, headers, value in messages:
        producer.produce(topic, value=value, key=key, headers=headers)
    assert producer.flush(30) == 0


async def test_no_producer_without_bs_credential_gets_an_event_counted_for_b(aggregator_ready: Suite) -> None:
    suite = aggregator_ready
    topics = suite.settings.topics
    signed_by_a = signed(for_b(suite, "a-signs"), project_key(suite.a).sign)  # A's real key
    a_key_for_b = signed(for_b(suite, "a-key"), ProjectKey.generate().sign)  # anyone's key
    raw_attacks: list[Message] = [
        binary(for_b(suite, "anon-binary")),
        structured(for_b(suite, "anon-structured")),
        binary(signed_by_a),
        binary(a_key_for_b),
        # Intake's own headers, made up: the mark does not hold without intake's key.
        (
            suite.b.encode(),
            [
                *binary(for_b(suite, "fake-mark"))[1],
                (PRINCIPAL_HEADER, f"project:{suite.b}".encode()),
                (VOUCH_HEADER, b"AAAA"),
            ],
            binary(for_b(suite, "fake-mark"))[2],
        ),
    ]
    v1_attacks: list[Message] = [
        canonical_v1(for_b(suite, "v1-plain")),
        with_mark(canonical_v1(for_b(suite, "v1-forged")), b"k" * 32, Principal(suite.b)),
    ]
    await suite.send(topics.raw, *raw_attacks)
    await suite.send(topics.validated, *v1_attacks)
    await asyncio.to_thread(
        librdkafka_produce, suite.bootstrap, topics.raw, [binary(for_b(suite, "rdkafka-raw"))]
    )
    await asyncio.to_thread(
        librdkafka_produce, suite.bootstrap, topics.validated, [canonical_v1(for_b(suite, "rdkafka-v1"))]
    )

    refused = await suite.dead_letters(lambda r: len(r) >= len(raw_attacks) + 1)
    assert [header(r, "reason") for r in refused] == ["unauthenticated"] * (len(raw_attacks) + 1)
    assert all(header(r, "field") == "cfasignature" for r in refused)
    assert all(header(r, "project_id") is None for r in refused)  # nobody's credential sent them

    async def ignored_all() -> bool:
        return await suite.ignored("unauthenticated") >= len(v1_attacks) + 1

    await eventually(ignored_all, what="the aggregator ignoring every unmarked v1 record")
    genuine = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-real"), "b-real")
    await suite.send(topics.raw, binary(genuine))
    assert await suite.wait_stored(suite.b, "b-real") == {"b-real"}
    assert await suite.ignored("unauthenticated") == len(v1_attacks) + 1


async def test_project_a_cannot_report_for_b_over_kafka_or_http(aggregator_ready: Suite) -> None:
    suite = aggregator_ready
    async with suite.client("intake", TOKEN_A) as as_a:
        posted = await as_a.post(
            "/v1/events",
            content=json.dumps(_structured(for_b(suite, "http-a"))),
            headers={"content-type": "application/cloudevents+json"},
        )
        assert posted.status_code == 403 and posted.json()["reason"] == "not_permitted"
        registered = await as_a.post(
            "/v1/events",
            content=json.dumps(
                _structured(
                    sdk_event(
                        EventType.PROJECT_REGISTERED, registration_data(suite.a), "self-reg", sign=False
                    )
                )
            ),
            headers={"content-type": "application/cloudevents+json"},
        )
        assert registered.status_code == 403 and registered.json()["reason"] == "not_permitted"
        a_sees = (await as_a.get("/v1/rejections")).json()["items"]
    async with suite.client("intake", TOKEN_B) as as_b:
        b_sees = (await as_b.get("/v1/rejections")).json()["items"]
    # Recorded under the project whose credential sent them, never under the one named.
    assert sorted(r["event_id"] for r in a_sees) == ["http-a", "self-reg"]
    assert b_sees == []
    genuine = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-real"), "b-marker")
    await suite.send(suite.settings.topics.raw, binary(genuine))
    assert await suite.wait_stored(suite.b, "b-marker") == {"b-marker"}


def _structured(event: CloudEvent) -> dict[str, object]:
    return json.loads(structured(event)[2])


async def test_replayed_copies_of_genuine_events_are_duplicates(aggregator_ready: Suite) -> None:
    suite = aggregator_ready
    topics = suite.settings.topics
    over_kafka = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-1"), "b-1")
    await suite.send(topics.raw, binary(over_kafka))
    async with suite.client("intake", TOKEN_B) as as_b:
        posted = await as_b.post(
            "/v1/events",
            content=structured(for_b(suite, "b-2"))[2],
            headers={"content-type": "application/cloudevents+json"},
        )
        assert posted.status_code == 202
    await suite.wait_stored(suite.b, "b-2")
    await suite.wait_stored(suite.b, "b-1")
    raw = await read_topic(suite.bootstrap, topics.raw, lambda r: len(r) >= 2)
    v1 = await read_topic(suite.bootstrap, topics.validated, lambda r: len(r) >= 2)
    # An attacker who reads the topics sends the records again, headers and marks included.
    await suite.send(topics.raw, *[(r.key, list(r.headers), r.value) for r in raw])
    await suite.send(topics.validated, *[(r.key, list(r.headers), r.value) for r in v1])
    refused = await suite.dead_letters(lambda r: len(r) >= 2)
    assert sorted(header(r, "reason") or "" for r in refused) == ["duplicate", "duplicate"]
    marker = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-3"), "b-3")
    await suite.send(topics.raw, binary(marker))
    assert await suite.wait_stored(suite.b, "b-3") == {"b-1", "b-2", "b-3"}
    assert await suite.ignored("unauthenticated") == 0  # intake's marks held: stored once, not ignored


async def test_a_copy_claiming_another_raw_position_is_no_resend(aggregator_ready: Suite) -> None:
    """Copies of a bp.events.v1 record claiming another raw position (to pass a redelivery off
    as a re-send and fill the DLQ), or none at all: the position's own MAC does not hold, so
    each copy is taken as a redelivery: stored once, nothing dead-lettered, nothing counted."""
    suite = aggregator_ready
    topics = suite.settings.topics
    await suite.send(
        topics.raw, binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-7"), "b-7"))
    )
    await suite.wait_stored(suite.b, "b-7")
    [v1] = await read_topic(suite.bootstrap, topics.validated, lambda r: len(r) >= 1)
    position = header(v1, RAW_POSITION) or ""
    assert position.startswith(f"{topics.raw}/") and header(v1, RAW_VOUCH)  # where intake read it
    moved = [(n, b"bp.events.raw/0/999999" if n == RAW_POSITION else v) for n, v in v1.headers]
    stripped = [(n, v) for n, v in v1.headers if n not in (RAW_POSITION, RAW_VOUCH)]
    await suite.send(topics.validated, (v1.key, moved, v1.value), (v1.key, stripped, v1.value))
    marker = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-8"), "b-8")
    await suite.send(topics.raw, binary(marker))
    assert await suite.wait_stored(suite.b, "b-8") == {"b-7", "b-8"}
    refused = await read_topic(suite.bootstrap, topics.dlq, lambda r: False, timeout=2)
    assert [r for r in refused if header(r, "event_id") == "b-7"] == []
    async with suite.client("aggregator", None) as client:
        text = (await client.get("/metrics")).text
    assert metric(samples(text), "cfa_events_resent_total") == 0


async def test_a_replaced_credential_stops_working_at_once_on_kafka_and_http(
    aggregator_ready: Suite, tmp_path: Path
) -> None:
    suite = aggregator_ready
    env = stack_env(suite.settings)
    path = tmp_path / "b.credentials.json"
    rotated = await asyncio.to_thread(
        cfamon, "projects", "token", suite.b, "--credentials", str(path), env=env
    )
    assert rotated.returncode == 0, rotated.stderr
    new = Credentials.from_json(path.read_text())
    assert rotated.stdout.strip().splitlines()[-1] == new.token
    assert path.stat().st_mode & 0o777 == 0o600
    old_signed = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-old"), "old-key")
    new_signed = signed(for_b(suite, "new-key"), new.signing_key.sign)
    await suite.send(suite.settings.topics.raw, binary(old_signed), binary(new_signed))
    [refused] = await suite.dead_letters(lambda r: len(r) >= 1)
    assert header(refused, "reason") == "unauthenticated" and header(refused, "event_id") == "old-key"
    assert "current signing key" in (header(refused, "error") or "")
    assert await suite.wait_stored(suite.b, "new-key") == {"new-key"}
    async with suite.client("intake", TOKEN_B) as old, suite.client("intake", new.token) as current:
        body = {
            "content": structured(for_b(suite, "http-new"))[2],
            "headers": {"content-type": "application/cloudevents+json"},
        }
        assert (await old.post("/v1/events", **body)).status_code == 401
        assert (await current.post("/v1/events", **body)).status_code == 202


async def test_only_the_secretariat_changes_the_registry(aggregator_ready: Suite) -> None:
    suite = aggregator_ready
    topics = suite.settings.topics
    mine = {**registration_data(suite.b), "reporting_cadence_days": 366, "action_points": ["1.1"]}
    self_signed = signed(
        sdk_event(EventType.PROJECT_REGISTERED, mine, "b-self", sign=False),
        Credentials.issue(suite.b).signing_key.sign,
    )
    b_signed = signed(
        sdk_event(EventType.PROJECT_REGISTERED, mine, "b-own-key", sign=False), project_key(suite.b).sign
    )
    await suite.send(topics.raw, binary(self_signed), binary(b_signed))
    async with suite.client("intake", TOKEN_B) as as_b:
        over_http = await as_b.post(
            "/v1/events",
            content=structured(sdk_event(EventType.PROJECT_REGISTERED, mine, "b-http", sign=False))[2],
            headers={"content-type": "application/cloudevents+json"},
        )
    assert over_http.status_code == 403 and over_http.json()["reason"] == "not_permitted"
    refused = await suite.dead_letters(lambda r: len(r) >= 3)
    assert sorted(header(r, "reason") or "" for r in refused) == [
        "not_permitted",
        "not_permitted",
        "unauthenticated",
    ]
    # The Secretariat: the operator token over HTTP, then `cfamon projects update` over Kafka
    # (signed with the Secretariat's key); the later registration wins, in the registry too.
    theirs = {**registration_data(suite.b), "reporting_cadence_days": 45}
    async with suite.client("intake", OPERATOR) as operator:
        posted = await operator.post(
            "/v1/events",
            content=structured(sdk_event(EventType.PROJECT_REGISTERED, theirs, "sec-http", sign=False))[2],
            headers={"content-type": "application/cloudevents+json"},
        )
    assert posted.status_code == 202, posted.text
    await suite.wait_stored(suite.b, "sec-http")
    assert await cadence(suite) == 45 and suite.registry_entry(suite.b)["reporting_cadence_days"] == 45
    updated = await asyncio.to_thread(
        cfamon, "projects", "update", suite.b, "--cadence-days", "30", env=stack_env(suite.settings)
    )
    assert updated.returncode == 0, updated.stderr
    assert suite.registry_entry(suite.b)["reporting_cadence_days"] == 30

    async def thirty() -> bool:
        return await cadence(suite) == 30

    await eventually(thirty, what="cfamon's registration in the read model")
    assert suite.registry_entry(suite.b)["action_points"] != ["1.1"]  # B's own changed nothing


async def cadence(suite: Suite) -> int:
    async with suite.client("aggregator", OPERATOR) as client:
        return int((await client.get(f"/v1/projects/{suite.b}")).json()["reporting_cadence_days"])


async def test_a_copy_of_an_http_submission_with_headers_added_is_refused(aggregator_ready: Suite) -> None:
    """The mark covers the headers as the decoder reads them: a case variant (CE_ID) or a
    repeated header that would change the event breaks it."""
    suite = aggregator_ready
    topics = suite.settings.topics
    planned = sdk_event(
        EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-9", status="planned"), "b-9", sign=False
    )
    async with suite.client("intake", TOKEN_B) as as_b:
        posted = await as_b.post("/v1/events", **_binary_http(planned))
    assert posted.status_code == 202, posted.text
    await suite.wait_stored(suite.b, "b-9")
    [genuine] = await read_topic(suite.bootstrap, topics.raw, lambda r: len(r) >= 1)
    later = b"2026-06-01T13:00:00Z"
    variants: list[Message] = [
        (genuine.key, [*genuine.headers, ("CE_ID", b"replayed-1"), ("CE_TIME", later)], genuine.value),
        (genuine.key, [*genuine.headers, ("ce_id", b"replayed-2"), ("ce_time", later)], genuine.value),
        (genuine.key, [*genuine.headers, ("Content-Type", b"text/plain")], genuine.value),
    ]
    await suite.send(topics.raw, *variants)
    refused = await suite.dead_letters(lambda r: len(r) >= len(variants))
    # (A text/plain content type is not JSON data: refused before anyone is asked.)
    assert [header(r, "reason") for r in refused] == ["unauthenticated", "unauthenticated", "schema"]
    marker = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-10"), "b-10")
    await suite.send(topics.raw, binary(marker))
    assert await suite.wait_stored(suite.b, "b-10") == {"b-9", "b-10"}


def _binary_http(event: CloudEvent) -> dict[str, object]:
    message = to_binary(event, JSONFormat())
    return {"headers": message.headers, "content": message.body}


async def test_the_readmes_http_example_without_a_content_type_is_stored(aggregator_ready: Suite) -> None:
    suite = aggregator_ready
    attributes = {
        "id": "readme-1",
        "source": f"/projects/{suite.b}",
        "type": str(EventType.ACTIVITY_REPORTED),
        "time": datetime.now(UTC),
        "partitionkey": suite.b,
    }  # no datacontenttype: the SDK then sends no Content-Type
    event = CloudEvent(attributes=attributes, data=activity_data(suite.b, "X-readme"))
    async with suite.client("intake", TOKEN_B) as as_b:
        posted = await as_b.post("/v1/events", **_binary_http(event))
    assert posted.status_code == 202, posted.text
    assert await suite.wait_stored(suite.b, "readme-1") == {"readme-1"}


async def test_the_operator_token_registers_a_change_of_action_points(aggregator_ready: Suite) -> None:
    suite = aggregator_ready
    more = {**registration_data(suite.b), "action_points": ["3.1", "3.2", "1.2", "6.8"]}
    event = sdk_event(EventType.PROJECT_REGISTERED, more, "sec-aps", sign=False)
    async with suite.client("intake", OPERATOR) as operator:
        posted = await operator.post(
            "/v1/events",
            content=structured(event)[2],
            headers={"content-type": "application/cloudevents+json"},
        )
    assert posted.status_code == 202, posted.text
    await suite.wait_stored(suite.b, "sec-aps")
    assert suite.registry_entry(suite.b)["action_points"] == ["3.1", "3.2", "1.2", "6.8"]
    on_new_point = sdk_event(
        EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-68", action_points=["6.8"]), "b-68"
    )
    await suite.send(suite.settings.topics.raw, binary(on_new_point))
    assert "b-68" in await suite.wait_stored(suite.b, "b-68")


async def test_what_a_copy_may_add_stays_small_and_the_secretariat_does_not_report(
    aggregator_ready: Suite,
) -> None:
    """Extension attributes are not signed, so anyone may add them to a copy of a signed event:
    a long one (which would cost the personal-data scan) is refused at once. And the operator
    token, the Secretariat's, cannot report a project's activity."""
    suite = aggregator_ready
    genuine = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(suite.b, "X-ext"), "b-ext"))
    key, headers, value = genuine
    await suite.send(suite.settings.topics.raw, (key, [*headers, ("ce_note", b"0000000;;;;;" * 100)], value))
    [refused] = await suite.dead_letters(lambda r: len(r) >= 1)
    assert (header(refused, "reason"), header(refused, "field")) == ("schema", "note")
    async with suite.client("intake", OPERATOR) as operator:
        posted = await operator.post(
            "/v1/events",
            content=structured(for_b(suite, "sec-activity"))[2],
            headers={"content-type": "application/cloudevents+json"},
        )
    assert posted.status_code == 403 and posted.json()["reason"] == "not_permitted"
    await suite.send(suite.settings.topics.raw, genuine)  # the untouched original still counts
    assert await suite.wait_stored(suite.b, "b-ext") == {"b-ext"}
