"""Thousands of malformed HTTP bodies and headers on the real server: never a 500, and every
400 names a field (hypothesis)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.settings import IntakeSettings
from shared.events.http import BATCH, STRUCTURED
from shared.events.models import EventType
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import activity_data
from tests.integration.intake_world import TOKEN, start_intake
from tests.kafka_helpers import sdk_event

pytestmark = [
    pytest.mark.integration,
    # The server's own thread (Kafka client jitter) uses `random` while hypothesis draws.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]
FUZZ = settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ALLOWED = {200, 202, 400, 409, 413}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
# Header values an HTTP client can send: printable ASCII without line breaks.
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(str.strip)
header_names = st.sampled_from(
    ["ce-id", "ce-source", "ce-type", "ce-time", "ce-specversion", "ce-subject", "content-type", "ce-x"]
)
content_types = st.sampled_from(
    ["application/json", STRUCTURED, BATCH, "text/plain", "", "application/cloudevents+json; charset=utf-8"]
)


@pytest.fixture(scope="module")
def client(stack: StackEndpoints) -> Iterator[tuple[httpx.Client, str]]:
    tag = uuid.uuid4().hex[:8]
    isolation = {"topic_prefix": f"fuzz{tag}.", "mongodb_db": f"cfa_test_fuzz_{tag}"}
    settings_ = service_settings(IntakeSettings, stack, isolation, rate_per_second=1e6, rate_burst=1_000_000)
    for intake in start_intake(settings_):
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=intake.url, headers=headers, timeout=30) as http:
            yield http, intake.pid


def check(response: httpx.Response) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.text[:500])
    if response.status_code == 400:
        problem = response.json()
        assert problem["errors"], problem
        assert all(isinstance(e["field"], str) and e["field"] for e in problem["errors"]), problem
        assert all(e["reason"] for e in problem["errors"]), problem


def valid_binary(pid: str) -> tuple[dict[str, str], bytes]:
    message = ce_http.to_binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid)), JSONFormat())
    return dict(message.headers), message.body


@FUZZ
@given(body=st.binary(max_size=300), extra=st.dictionaries(header_names, header_values, max_size=6))
def test_random_bytes_and_headers(
    client: tuple[httpx.Client, str], body: bytes, extra: dict[str, str]
) -> None:
    http, _ = client
    check(http.post("/v1/events:validate", content=body, headers=extra))


@FUZZ
@given(
    name=st.sampled_from(["ce-id", "ce-source", "ce-type", "ce-time", "ce-specversion"]), value=header_values
)
def test_one_binary_header_replaced(client: tuple[httpx.Client, str], name: str, value: str) -> None:
    http, pid = client
    headers, body = valid_binary(pid)
    headers[name] = value
    check(http.post("/v1/events:validate", content=body, headers=headers))


@FUZZ
@given(field=st.sampled_from(sorted(activity_data("X"))), value=json_values, content_type=content_types)
def test_one_data_field_replaced_in_a_structured_event(
    client: tuple[httpx.Client, str], field: str, value: Any, content_type: str
) -> None:
    http, pid = client
    document = json.loads(JSONFormat().write(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid))))
    document["data"][field] = value
    body = json.dumps(document).encode()
    check(http.post("/v1/events:validate", content=body, headers={"content-type": content_type}))


@settings(max_examples=300, deadline=None, suppress_health_check=list(FUZZ.suppress_health_check))
@given(items=st.lists(json_values, max_size=5))
def test_batches_of_anything_are_published_or_refused_to_the_dlq(
    client: tuple[httpx.Client, str], items: list[Any]
) -> None:
    http, _ = client
    check(http.post("/v1/events:batch", content=json.dumps(items).encode(), headers={"content-type": BATCH}))
