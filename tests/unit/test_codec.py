"""Decoding CloudEvents from Kafka messages built by the official SDK, and every way to fail."""

from __future__ import annotations

import json

import pytest

from shared.events.codec import Claims, KafkaRecord, claims_of, decode_event, encode_structured, record_from
from shared.events.models import ActivityReported, EventType
from shared.events.rejections import Rejected, RejectionReason
from tests.factories import NOW, activity_data
from tests.kafka_helpers import Message, binary, sdk_event, structured

PID = "PK-RETURN-01"


def record(message: Message) -> KafkaRecord:
    key, headers, value = message
    return KafkaRecord("bp.events.raw", 0, 7, key, value, tuple(headers))


def rejection_of(rec: KafkaRecord) -> tuple[RejectionReason, tuple[str, ...], str]:
    with pytest.raises(Rejected) as caught:
        decode_event(rec)
    r = caught.value.rejection
    return r.reason, r.fields, r.message


@pytest.mark.parametrize("mode", [binary, structured])
def test_sdk_messages_decode_in_both_modes(mode: object) -> None:
    ce = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "evt-1")
    event = decode_event(record(mode(ce)))  # type: ignore[operator]
    assert event.key == f"/projects/{PID}#evt-1"
    assert event.envelope.time == NOW
    assert event.envelope.partitionkey == PID
    assert isinstance(event.data, ActivityReported)
    assert event.data.participants is not None and event.data.participants.women == 9


def test_canonical_form_round_trips() -> None:
    # Unsigned: the canonical form keeps the contract's attributes only, not a signature.
    event = decode_event(
        record(binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), sign=False)))
    )
    key, headers, value = encode_structured(event)
    again = decode_event(
        KafkaRecord("v1", 0, 0, key, value, tuple((k, v.encode()) for k, v in headers.items()))
    )
    assert again == event
    assert headers["content-type"] == "application/cloudevents+json"
    assert key == PID.encode()


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        (b"\xff\xfe\x00garbage", "value", "not UTF-8"),
        (b"this is not json", "value", "not JSON"),
        (b"[1, 2, 3]", "value", "JSON object"),
        (b"", "value", "empty"),
    ],
)
def test_undecodable_structured_values(value: bytes, field: str, words: str) -> None:
    reason, fields, message = rejection_of(KafkaRecord("raw", 0, 0, None, value, ()))
    assert (reason, fields) == (RejectionReason.SCHEMA, (field,))
    assert words in message


def test_missing_envelope_attributes_are_all_named() -> None:
    reason, fields, _ = rejection_of(KafkaRecord("raw", 0, 0, None, b'{"data": {}}', ()))
    assert reason is RejectionReason.SCHEMA
    assert {"id", "source", "type", "specversion"} <= set(fields)


def test_unknown_type_and_bad_source() -> None:
    ce = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID))
    key, headers, value = binary(ce)
    headers = [(k, b"org.example.other" if k == "ce_type" else v) for k, v in headers]
    headers = [(k, b"/somewhere/else" if k == "ce_source" else v) for k, v in headers]
    reason, fields, message = rejection_of(record((key, headers, value)))
    assert reason is RejectionReason.SCHEMA
    assert set(fields) == {"type", "source"}
    assert "/projects/<project_id>" in message


def test_bad_time_is_named() -> None:
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))
    headers = [(k, b"yesterday" if k == "ce_time" else v) for k, v in headers]
    assert rejection_of(record((key, headers, value)))[:2] == (RejectionReason.SCHEMA, ("time",))


def test_time_is_required() -> None:
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))
    headers = [(k, v) for k, v in headers if k != "ce_time"]
    assert rejection_of(record((key, headers, value)))[:2] == (RejectionReason.SCHEMA, ("time",))


def test_non_utf8_header_is_named() -> None:
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))
    reason, fields, _ = rejection_of(record((key, [*headers, ("ce_subject", b"\xff")], value)))
    assert (reason, fields) == (RejectionReason.SCHEMA, ("header ce_subject",))


def test_binary_data_that_is_not_json() -> None:
    key, headers, _ = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))
    reason, fields, _ = rejection_of(record((key, headers, b"not json at all")))
    assert (reason, fields) == (RejectionReason.SCHEMA, ("data",))


def test_every_data_error_is_named_with_its_path() -> None:
    data = activity_data(
        PID, kind="party", colour="blue", countries=[{"code": "XXX"}], participants={"total": -1}
    )
    reason, fields, message = rejection_of(record(binary(sdk_event(EventType.ACTIVITY_REPORTED, data))))
    assert reason is RejectionReason.SCHEMA
    assert set(fields) == {"data.kind", "data.colour", "data.countries[0].code", "data.participants.total"}
    assert "'XXX' is not an ISO 3166-1 alpha-3 country code" in message


def test_over_sized_message() -> None:
    data = activity_data(PID, notes="x" * 900)
    rec = record(structured(sdk_event(EventType.ACTIVITY_REPORTED, data)))
    with pytest.raises(Rejected) as caught:
        decode_event(rec, max_bytes=1024)
    assert caught.value.rejection.fields == ("value",)
    assert "over the 1024-byte limit" in caught.value.rejection.message


def test_base64_data_is_refused_in_structured_mode() -> None:
    doc = json.loads(structured(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))[2])
    doc.pop("data")
    doc["data_base64"] = "e30="
    reason, fields, _ = rejection_of(KafkaRecord("raw", 0, 0, None, json.dumps(doc).encode(), ()))
    assert (reason, fields) == (RejectionReason.SCHEMA, ("data_base64",))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ([("ce_x", b"a" * 257)], "x"),
        ([(f"ce_x{n}", b"1") for n in range(17)], "extensions"),
        ([("ce_note", "line\u2028break".encode())], "note"),
    ],
)
def test_extension_attributes_stay_small_and_printable(extra: list[tuple[str, bytes]], field: str) -> None:
    """Nothing signs extension attributes, so anyone may add them to a copy of a signed event:
    they are refused when long, many or not printable (and the headers count in the size)."""
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))
    with pytest.raises(Rejected) as refused:
        decode_event(KafkaRecord("raw", 0, 0, key, value, (*headers, *extra)))
    assert refused.value.rejection.reason is RejectionReason.SCHEMA
    assert refused.value.rejection.fields == (field,)


def test_headers_count_in_the_size_limit() -> None:
    key, headers, value = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID)))
    padded = (*headers, ("x-padding", b"p" * 2048))
    decode_event(KafkaRecord("raw", 0, 0, key, value, padded), max_bytes=len(value) + 4096)
    with pytest.raises(Rejected) as refused:
        decode_event(KafkaRecord("raw", 0, 0, key, value, padded), max_bytes=len(value) + 1024)
    assert "with its headers" in refused.value.rejection.message


def test_claims_of_a_message_that_does_not_decode() -> None:
    binary_headers = [("ce_id", b"evt-7"), ("ce_type", b"org.example.x"), ("ce_source", b"/projects/P")]
    assert claims_of(record_from("t", 0, 0, None, b"<not json>", binary_headers)) == Claims(
        "evt-7", "org.example.x"
    )
    structured_body = b'{"id": "evt-8", "type": "t", "data": [}'  # not JSON: claims nothing
    assert claims_of(record_from("t", 0, 0, None, structured_body, [])) == Claims(None, None)
    document = b'{"id": "evt-9", "type": "t", "specversion": "0.3"}'
    assert claims_of(record_from("t", 0, 0, None, document, [])) == Claims("evt-9", "t")
    # An id that is no id, or that holds personal data, is not repeated with the refusal.
    for bad_id in (b"amina@example.org", b"a\x07b", b"x" * 300, b"", b"\xff\xfe"):
        headers = [("ce_id", bad_id), ("ce_type", b"t")]
        assert claims_of(record_from("t", 0, 0, None, b"{}", headers)).id is None


def test_a_claimed_type_is_kept_only_when_it_reads_as_one() -> None:
    for bad_type in ("john@doe.org", "x\x1b[31m", "t" * 300):
        body = json.dumps({"id": "e-1", "type": bad_type}).encode()
        assert claims_of(record_from("t", 0, 0, None, body, [])) == Claims("e-1", None)
