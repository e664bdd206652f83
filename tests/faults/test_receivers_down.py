"""The SMTP server and the webhook down for a while (nothing listening on their ports): the
notifier keeps retrying with backoff, marks nothing failed, and once they are back every
recipient gets each e-mail once and the webhook its notification once (one key)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.notifier.app import create_app
from shared.adapters.mongo import OUTBOX, connect
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from tests.integration.helpers import ServerThread, eventually, running
from tests.integration.notifier_world import (
    AUTH,
    CONFIG,
    NOW,
    Hook,
    MovableClock,
    Notifier,
    notifier_settings,
    until,
)

pytestmark = pytest.mark.integration
ADDRESSES = ["rg@test.example", "le@test.example", "lp@test.example", "rr@test.example"]


@pytest.fixture
async def receivers_down(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[Notifier, ServerThread]]:
    """The notifier, pointed at an SMTP sink and a webhook server that are not started."""
    smtp, hook = SmtpSink(), Hook()
    hook_server = ServerThread(hook.app())  # its port is chosen; nothing listens yet
    config = tmp_path / "notifier.yaml"
    config.write_text(CONFIG.format(hook=f"{hook_server.url}/hook", on_progress="false"))
    settings = notifier_settings(stack, isolation, smtp, config)
    clock = MovableClock(NOW)
    app = create_app(settings, clock)
    try:
        transport = httpx.ASGITransport(app=app)
        async with running(app), httpx.AsyncClient(transport=transport, base_url="http://n") as api:
            yield Notifier(api, smtp, hook, clock, settings, app.state.evaluator), hook_server
    finally:
        hook_server.__exit__()
        smtp.stop()


async def test_receivers_down_for_a_while_get_each_notification_once_when_back(
    receivers_down: tuple[Notifier, ServerThread],
) -> None:
    notifier, hook_server = receivers_down
    mongo = connect(notifier.settings.mongodb_url)
    outbox = mongo[notifier.settings.mongodb_db][OUTBOX]
    outward = {"channel": {"$in": ["email", "webhook"]}}
    try:
        assert (await notifier.api.post("/v1/evaluate", headers=AUTH)).status_code == 200
        notifier.clock.advance(seconds=30)  # group_wait

        async def retried_three_times() -> bool:
            notifier.clock.advance(seconds=60)  # past each backoff (2 s, 4 s, 8 s … with jitter)
            entries = [e async for e in outbox.find(outward)]
            return bool(entries) and all(e["attempts"] >= 3 and e["status"] == "pending" for e in entries)

        await eventually(retried_three_times, what="every e-mail and webhook call retried 3 times")
        down = [e async for e in outbox.find(outward)]
        assert all("unreachable" in e["last_error"] for e in down), {e["last_error"] for e in down}
        alerts = (
            await notifier.api.get(
                "/v1/alerts", params={"kind": "priority_behind", "priority": 5}, headers=AUTH
            )
        ).json()
        shown = alerts["items"][0]["delivery_failures"]  # the operator sees them retrying, and why
        assert {(f["channel"], f["status"]) for f in shown} == {
            ("email", "retrying"),
            ("webhook", "retrying"),
        }
        assert all(f["attempts"] >= 3 and f["next_attempt_at"] and "unreachable" in f["error"] for f in shown)

        notifier.smtp.start()
        hook_server.__enter__()
        await until(
            lambda: all(notifier.mail_to(a) for a in ADDRESSES) and bool(notifier.hook.delivered()),
            notifier.clock,
            "each e-mail and the webhook delivered once the receivers are back",
        )
        await eventually(notifier.outbox_settled, what="nothing left to send")
        notifier.clock.advance(hours=1)
        await notifier.api.post("/v1/evaluate", headers=AUTH)
        await eventually(notifier.outbox_settled, what="nothing left to send")
        for address in ADDRESSES:
            assert len(notifier.mail_to(address)) == 1, address
        assert len(notifier.hook.calls) == 1 and notifier.hook.delivered()
        assert await outbox.count_documents({"status": "failed"}) == 0
        attempts = {e["channel"]: e["attempts"] async for e in outbox.find(outward)}
    finally:
        await mongo.close()
    print(
        f"receivers down: {len(down)} notifications retried (attempts when sent: {attempts}), each delivered once"
    )
