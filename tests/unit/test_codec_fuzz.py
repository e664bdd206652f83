"""Whatever the bytes and headers, decoding ends in an Event or a named `schema` rejection."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.events.codec import KafkaRecord, decode_event
from shared.events.envelope import Event
from shared.events.models import EventType
from shared.events.rejections import Rejected
from tests.factories import activity_data
from tests.kafka_helpers import binary, sdk_event

VALID_KEY, VALID_HEADERS, VALID_VALUE = binary(
    sdk_event(EventType.ACTIVITY_REPORTED, activity_data("PK-1-FUZZ"))
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
header_names = st.sampled_from(
    ["ce_id", "ce_source", "ce_type", "ce_time", "ce_specversion", "content-type", "x"]
)
headers = st.lists(st.tuples(header_names, st.binary(max_size=40)), max_size=6)


def outcome(record: KafkaRecord) -> Event | Rejected:
    try:
        return decode_event(record)
    except Rejected as rejected:
        assert rejected.rejection.fields and all(rejected.rejection.fields)
        return rejected


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(value=st.binary(max_size=200), extra=headers)
def test_random_bytes_and_headers(value: bytes, extra: list[tuple[str, bytes]]) -> None:
    outcome(KafkaRecord("raw", 0, 0, None, value, tuple(extra)))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(field=st.sampled_from(sorted(json.loads(VALID_VALUE))), value=json_values)
def test_one_data_field_replaced_by_anything(field: str, value: object) -> None:
    data = {**json.loads(VALID_VALUE), field: value}
    outcome(KafkaRecord("raw", 0, 0, VALID_KEY, json.dumps(data).encode(), tuple(VALID_HEADERS)))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=st.sampled_from([h for h, _ in VALID_HEADERS]), value=st.binary(max_size=60))
def test_one_header_replaced_by_anything(name: str, value: bytes) -> None:
    replaced = tuple((h, value if h == name else v) for h, v in VALID_HEADERS)
    outcome(KafkaRecord("raw", 0, 0, VALID_KEY, VALID_VALUE, replaced))


def test_deeply_nested_json_is_refused_not_crashing() -> None:
    for value in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        result = outcome(KafkaRecord("raw", 0, 0, None, value, ()))
        assert isinstance(result, Rejected) and result.rejection.fields == ("value",)
