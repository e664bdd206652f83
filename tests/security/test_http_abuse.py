"""An anonymous client or a hostile project against every service's HTTP server: bodies over
the limit, numbers too long to read, floods of events or of bad tokens, and the sign-in."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from shared.adapters.mongo import REGISTRY
from shared.events.models import EventType
from shared.stack import StackEndpoints
from shared.stack.processes import http_ok
from shared.stack.smtp import SmtpSink
from tests.conftest import service_settings
from tests.factories import activity_data, project_id, registered
from tests.integration.helpers import ServerThread, service_process
from tests.integration.notifier_world import notifier_settings
from tests.kafka_helpers import sdk_event, structured
from tests.security.conftest import OPERATOR, READER, TOKEN_A, TOKEN_B

pytestmark = pytest.mark.integration
STRUCTURED = {"content-type": "application/cloudevents+json"}
NOTIFIER_CONFIG = """
from: monitor@test.example
reference_group: {email: [rg@test.example]}
twg:
  law_enforcement: {email: [le@test.example]}
  legal_pathways: {email: [lp@test.example]}
  return_reintegration: {email: [rr@test.example]}
evaluate_every: 0
"""


def answer_to_headers_only(url: str, path: str, declared: int, chunked: bool = False) -> tuple[int, float]:
    """Send only the request head announcing `declared` bytes (or a chunked body that runs past
    the limit and then stalls): the status line, and how long it took. A server that waits for
    the whole body never answers."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        head += f"Authorization: Bearer {OPERATOR}\r\n"  # past the credential check, to the body
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {declared}\r\n\r\n"
        started = time.monotonic()
        conn.sendall(head.encode())
        if chunked:
            chunk = b"x" * 65_536
            for _ in range(declared // len(chunk) + 1):
                conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        status = conn.recv(4096).split(b"\r\n", 1)[0]
        return int(status.split()[1]), time.monotonic() - started


@pytest.fixture
def servers(stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    common = {"operator_token": OPERATOR, "reader_token": READER}
    intake = service_settings(IntakeSettings, stack, isolation, **common)
    aggregator = service_settings(AggregatorSettings, stack, isolation, **common)
    config = tmp_path / "notifier.yaml"
    config.write_text(NOTIFIER_CONFIG)
    smtp = SmtpSink()
    smtp.start()
    try:
        notifier = notifier_settings(stack, isolation, smtp, config)
        with (
            ServerThread(create_intake(intake)) as i,
            ServerThread(create_aggregator(aggregator)) as a,
            ServerThread(create_notifier(notifier)) as n,
        ):
            yield {"intake": i.url, "aggregator": a.url, "notifier": n.url}
    finally:
        smtp.stop()


def test_every_body_over_its_limit_is_refused_before_it_is_read(servers: dict[str, str]) -> None:
    endpoints = [
        ("intake", "/v1/events", 1024 * 1024),
        ("intake", "/v1/events:batch", 8 * 1024 * 1024),
        ("intake", "/v1/events:validate", 8 * 1024 * 1024),
        ("aggregator", "/login", 65_536),
        ("notifier", "/v1/silences", 65_536),
        ("notifier", "/v1/alerts/abc/ack", 65_536),
        ("notifier", "/v1/evaluate", 65_536),  # takes no body: a chunked one is never read
    ]
    for service, path, limit in endpoints:
        # A gigabyte announced: answered at once, nothing read.
        status, seconds = answer_to_headers_only(servers[service], path, 1 << 30)
        assert (service, path, status) == (service, path, 413)
        assert seconds < 5
        # No length announced: refused once the stream passes the limit, not at its end.
        status, _ = answer_to_headers_only(servers[service], path, limit + 1, chunked=True)
        assert (service, path, status) == (service, path, 200 if path == "/v1/evaluate" else 413)


async def test_numbers_too_long_to_read_are_schema_errors_never_500(servers: dict[str, str]) -> None:
    intake = servers["intake"]
    with_token = {"Authorization": f"Bearer {OPERATOR}"}
    event = json.loads(structured(sdk_event(EventType.ACTIVITY_REPORTED, activity_data("PK-X-01")))[2])
    async with httpx.AsyncClient(base_url=intake, headers=with_token, timeout=30) as client:
        for digits in (400, 4000, 5000):
            huge = json.dumps(event).replace('"total": 24', f'"total": {"9" * digits}')
            one = await client.post("/v1/events", content=huge, headers=STRUCTURED)
            batch = await client.post(
                "/v1/events:batch",
                content=f"[{huge}]",
                headers={"content-type": "application/cloudevents-batch+json"},
            )
            for response in (one, batch):
                assert response.status_code == 400, (digits, response.text[:300])
                assert response.json()["reason"] == "schema"
                assert "9" * 50 not in response.text  # the number is not echoed back


@pytest.fixture
def limited(stack: StackEndpoints, isolation: dict[str, str]) -> Iterator[tuple[str, str]]:
    settings = service_settings(
        IntakeSettings,
        stack,
        isolation,
        rate_per_second=0.01,
        rate_burst=5,
        max_batch_events=5,
        anonymous_rate_per_second=0.01,
        anonymous_rate_burst=3,
    )
    pid = project_id()
    with MongoClient(stack.mongodb_url) as mongo:
        mongo[settings.mongodb_db][REGISTRY].insert_many(
            [
                registered(pid, token=TOKEN_A).to_document(),
                registered(project_id(), token=TOKEN_B).to_document(),
            ]
        )
    with ServerThread(create_intake(settings)) as server:
        yield server.url, pid


async def test_rates_count_events_and_requests_without_a_credential_per_address(
    limited: tuple[str, str],
) -> None:
    url, pid = limited
    events = [
        sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, f"A-{n}"), f"r-{n}") for n in range(6)
    ]
    batch = b"[" + b",".join(structured(e)[2] for e in events[:5]) + b"]"
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN_A}"}, timeout=30
    ) as project:
        five = await project.post(
            "/v1/events:validate",
            content=batch,
            headers={"content-type": "application/cloudevents-batch+json"},
        )
        sixth = await project.post(
            "/v1/events:validate", content=structured(events[5])[2], headers=STRUCTURED
        )
    assert five.status_code == 200 and five.json()["accepted"] == 5
    assert sixth.status_code == 429 and int(sixth.headers["retry-after"]) >= 1  # one request, six events
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN_B}"}, timeout=30
    ) as other:
        assert (await other.get("/v1/rejections")).status_code == 200  # B has signed in before
    async with httpx.AsyncClient(base_url=url, timeout=30) as anonymous:
        guesses = [
            await anonymous.post(
                "/v1/events", headers={"Authorization": f"Bearer cfa_guess{n}"}, content=b"{}"
            )
            for n in range(4)
        ]
        bare = await anonymous.get("/v1/rejections")
    assert [g.status_code for g in guesses] == [401, 401, 401, 429]
    assert bare.status_code == 429
    # B's credential still works from the same address: a known token is still looked up.
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN_B}"}, timeout=30
    ) as other:
        assert (await other.get("/v1/rejections")).status_code == 200


async def test_sign_in_takes_reader_tokens_only_and_signs_out(
    stack: StackEndpoints, isolation: dict[str, str]
) -> None:
    settings = service_settings(
        AggregatorSettings, stack, isolation, operator_token=OPERATOR, reader_token=READER, cookie_secure=True
    )
    with ServerThread(create_aggregator(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
            operator = await browser.post("/login", data={"token": OPERATOR})
            reader = await browser.post("/login", data={"token": READER})
            out = await browser.post("/logout")
    assert operator.status_code == 401 and "set-cookie" not in operator.headers
    assert reader.status_code == 303
    cookie = reader.headers["set-cookie"].lower()
    assert all(flag in cookie for flag in ("httponly", "samesite=strict", "secure"))
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert 'cfa_token=""' in out.headers["set-cookie"] and "max-age=0" in out.headers["set-cookie"].lower()


def intake_process_answers(settings: IntakeSettings, log: Path, **env: str) -> list[int]:
    """Four guessed tokens, each from a made-up X-Forwarded-For, to `cfamon intake` as deployed."""
    process, port = service_process(
        "intake", settings, log, CFA_ANONYMOUS_RATE_PER_SECOND="0.001", CFA_ANONYMOUS_RATE_BURST="2", **env
    )
    process.start()
    try:
        process.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), timeout=90)
        return [
            httpx.get(
                f"http://127.0.0.1:{port}/v1/rejections",
                headers={"Authorization": f"Bearer cfa_guess{n}", "X-Forwarded-For": f"203.0.113.{n}"},
                timeout=30,
            ).status_code
            for n in range(4)
        ]
    finally:
        process.stop()


def test_a_forged_x_forwarded_for_does_not_escape_the_per_address_limit(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    """No proxy is trusted unless CFA_TRUSTED_PROXIES names it, so a client cannot pose as many
    addresses by sending X-Forwarded-For; a named proxy's header is believed."""
    settings = service_settings(IntakeSettings, stack, isolation)
    assert intake_process_answers(settings, tmp_path / "a.log") == [401, 401, 429, 429]
    trusting = intake_process_answers(settings, tmp_path / "b.log", CFA_TRUSTED_PROXIES="127.0.0.1")
    assert trusting == [401, 401, 401, 401]
