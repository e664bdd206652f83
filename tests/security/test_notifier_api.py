"""The notifier's API on real servers, with hostile or curious callers: readers (and public
reads) see alerts and their failed notifications, but never where those went (webhook URLs,
e-mail addresses) nor what the receivers answered; the operator token sees all. A silence
that would end beyond any date is a 400 naming the field, not a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from services.notifier.app import create_app
from services.notifier.models import MAX_SILENCE
from services.notifier.settings import NotifierSettings
from shared.adapters.mongo import OUTBOX, connect
from shared.stack import StackEndpoints
from shared.stack.processes import free_port
from tests.conftest import service_settings
from tests.integration.helpers import ServerThread, eventually, serving
from tests.integration.notifier_world import AUTH, CONFIG, NOW, MovableClock

pytestmark = pytest.mark.integration
READER = "r" * 40
AS_READER = {"Authorization": f"Bearer {READER}"}
RECEIVER_SAYS = "receiver-detail: token=hunter2 for #alerts"
SILENCE = {"matchers": {"kind": "priority_behind"}, "author": "ana", "comment": "test"}


def refusing_hook() -> FastAPI:
    app = FastAPI()

    @app.post("/hook")
    async def receive() -> PlainTextResponse:
        return PlainTextResponse(RECEIVER_SAYS, status_code=400)

    return app


@dataclass
class Failing:
    """A notifier whose e-mails cannot get through (nothing listens on the SMTP port) and
    whose webhook refuses every notification, saying why."""

    api: httpx.AsyncClient
    settings: NotifierSettings
    hook_url: str


@pytest.fixture
async def failing(stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path) -> AsyncIterator[Failing]:
    with ServerThread(refusing_hook()) as hook:
        config = tmp_path / "notifier.yaml"
        config.write_text(CONFIG.format(hook=f"{hook.url}/hook", on_progress="false"))
        settings = service_settings(
            NotifierSettings,
            stack,
            isolation,
            smtp_url=f"smtp://127.0.0.1:{free_port('127.0.0.1')}",
            notifier_config=config,
            operator_token="o" * 40,
            reader_token=READER,
            public_reads=False,
            notifier_tick_seconds=0.1,
        )
        clock = MovableClock(NOW)
        app = create_app(settings, clock)
        async with serving(app, "http://notifier") as api:
            await api.post("/v1/evaluate", headers=AUTH)
            clock.advance(seconds=30)
            await eventually(lambda: _failed_both_ways(settings), what="e-mails retrying, webhook failed")
            yield Failing(api, settings, f"{hook.url}/hook")


async def _failed_both_ways(settings: NotifierSettings) -> bool:
    mongo = connect(settings.mongodb_url)
    try:
        outbox = mongo[settings.mongodb_db][OUTBOX]
        retrying = {"channel": "email", "status": "pending", "last_error": {"$ne": None}}
        return bool(await outbox.count_documents(retrying)) and bool(
            await outbox.count_documents({"channel": "webhook", "status": "failed"})
        )
    finally:
        await mongo.close()


def secrets_of(failing: Failing) -> list[str]:
    return ["@test.example", failing.hook_url, RECEIVER_SAYS, "hunter2", "unreachable"]


async def test_readers_see_failed_notifications_but_not_where_they_went_nor_why(failing: Failing) -> None:
    as_reader = await failing.api.get("/v1/alerts", headers=AS_READER)
    assert as_reader.status_code == 200
    failures = [f for a in as_reader.json()["items"] for f in a["delivery_failures"]]
    assert {(f["channel"], f["status"]) for f in failures} >= {("email", "retrying"), ("webhook", "failed")}
    assert all(f["target"] is None and f["error"] is None for f in failures)
    for secret in secrets_of(failing):
        assert secret not in as_reader.text, secret

    as_operator = (await failing.api.get("/v1/alerts", headers=AUTH)).text
    for secret in secrets_of(failing):
        assert secret in as_operator, secret
    assert (await failing.api.get("/v1/alerts")).status_code == 401


async def test_public_reads_show_no_more_than_a_reader_sees(failing: Failing) -> None:
    public = create_app(failing.settings.model_copy(update={"public_reads": True}), MovableClock(NOW))
    transport = httpx.ASGITransport(app=public)
    async with httpx.AsyncClient(transport=transport, base_url="http://public") as anyone:
        alerts = await anyone.get("/v1/alerts")
        others = [await anyone.get(path) for path in ("/v1/silences", "/metrics", "/asyncapi.json")]
    assert alerts.status_code == 200 and alerts.json()["items"]
    for response in [alerts, *others]:
        for secret in secrets_of(failing):
            assert secret not in response.text, (response.url, secret)


OUT_OF_RANGE = [
    ({"duration": 300_000_000_000}, "duration"),
    ({"duration": MAX_SILENCE // timedelta(seconds=1) + 1}, "duration"),
    ({"ends_at": "9999-12-31T23:59:59Z"}, "ends_at"),
    ({"starts_at": "9999-12-31T00:00:00Z", "duration": 2 * 86400}, "duration"),
    ({"ends_at": "2026-07-01T00:00:00"}, "ends_at"),  # no time zone: which moment is that?
    ({"duration": 3600, "matchers": {"subject": "*" * 201}}, "matchers"),
]


async def test_a_silence_out_of_range_is_a_400_naming_the_field_and_ten_years_are_taken(
    failing: Failing,
) -> None:
    for change, field in OUT_OF_RANGE:
        response = await failing.api.post("/v1/silences", json={**SILENCE, **change}, headers=AUTH)
        assert response.status_code == 400, (change, response.text)
        assert any(field in error["field"] for error in response.json()["errors"]), (change, response.text)
    ten_years = {**SILENCE, "duration": MAX_SILENCE // timedelta(seconds=1)}
    created = await failing.api.post("/v1/silences", json=ten_years, headers=AUTH)
    assert created.status_code == 201, created.text
