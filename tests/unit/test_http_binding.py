"""HTTP CloudEvents (binary, structured, batch) as the Kafka records intake reads."""

from __future__ import annotations

import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat

from shared.events.codec import decode_event
from shared.events.http import BATCH, batch_records, event_record
from shared.events.models import EventType
from shared.events.rejections import Rejected
from tests.factories import activity_data
from tests.kafka_helpers import sdk_event

PID = "PK-RETURN-01"


def test_an_sdk_binary_event_with_percent_encoded_headers_decodes_unchanged() -> None:
    event = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "id with spaces")
    message = ce_http.to_binary(event, JSONFormat())
    assert message.headers["ce-id"] == "id%20with%20spaces"
    decoded = decode_event(event_record("r", PID.encode(), message.headers, message.body))
    assert decoded.envelope.id == "id with spaces"
    assert decoded.envelope.time == event.get_time()


def test_a_structured_event_decodes_and_other_media_types_are_named() -> None:
    message = ce_http.to_structured(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)), JSONFormat())
    assert decode_event(event_record("r", b"k", message.headers, message.body)).project_id == PID
    with pytest.raises(Rejected) as refused:
        event_record("r", b"k", {"content-type": "text/plain"}, message.body)
    assert refused.value.rejection.fields == ("content-type",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{}", "JSON array"),
        (b"[]", "empty"),
        (b"[1,", "not JSON"),
        (b"\xff", "UTF-8"),
        (b"[" * 100_000, "deeply"),
    ],
)
def test_a_batch_that_is_not_an_array_of_events_is_refused_naming_the_body(body: bytes, message: str) -> None:
    with pytest.raises(Rejected) as refused:
        batch_records("r", b"k", body, 10)
    assert refused.value.rejection.fields == ("body",)
    assert message in refused.value.rejection.message


def test_a_batch_splits_into_structured_records_in_order() -> None:
    events = [sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID, f"A-{n}"), f"e{n}") for n in range(3)]
    body = b"[" + b",".join(JSONFormat().write(e) for e in events) + b"]"
    records = batch_records("r", b"k", body, 10)
    assert [decode_event(r).envelope.id for r in records] == ["e0", "e1", "e2"]
    assert [r.partition for r in records] == [0, 1, 2]
    with pytest.raises(Rejected, match="over the limit of 2"):
        batch_records("r", b"k", body, 2)
    assert BATCH == "application/cloudevents-batch+json"
