"""Two `cfamon notifier` processes on one database and one set of topics; one is SIGKILLed
in the middle of sending and restarted. Counted at the receivers: every recipient has each
notification, and a notification reaches a receiver twice only if the killed replica had it
in hand (sent, but not yet marked sent) — the resend then carries the same Message-ID,
Idempotency-Key or notification-id, so the receiver can tell it is the same one."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.notifier.settings import NotifierSettings
from shared.adapters.mongo import OUTBOX, connect
from shared.stack import StackEndpoints
from shared.stack.processes import ManagedProcess, http_ok
from shared.stack.smtp import SmtpSink
from tests.conftest import service_settings
from tests.integration.helpers import ServerThread, eventually, service_process
from tests.integration.notifier_world import RECIPIENTS
from tests.kafka_helpers import header, read_topic

pytestmark = pytest.mark.integration
WEBHOOKS = 10
LATENCY = 0.3  # seconds each webhook call and each SMTP RCPT takes: a kill lands mid-send
OPERATOR = "o" * 40
RECEIVERS = "[reference_group, law_enforcement, legal_pathways, return_reintegration]"
CONFIG = (
    RECIPIENTS
    + """webhooks:
{hooks}
group_wait: 1s
repeat_interval: 7d
evaluate_every: 0
evaluate_on_progress: false
"""
)


@dataclass
class SlowHooks:
    """Webhook receivers at /hook/N, each call recorded as it arrives, answered after LATENCY."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook/{number}")
        async def receive(number: int, request: Request) -> JSONResponse:
            self.calls.append((f"/hook/{number}", request.headers.get("idempotency-key", "")))
            await asyncio.sleep(LATENCY)
            return JSONResponse({})

        return app


def twice(counts: Counter[Any]) -> set[Any]:
    return {item for item, n in counts.items() if n > 1}


def check_once_each(what: str, received: Iterable[Any], expected: set[Any], in_hand: set[Any]) -> int:
    """Every expected notification received; any received twice was in the killed
    replica's hands; returns how many arrived twice."""
    counts = Counter(received)
    assert set(counts) == expected, (
        f"{what}: missing {expected - set(counts)}, unexpected {set(counts) - expected}"
    )
    assert twice(counts) <= in_hand, f"{what}: sent twice though not in the killed replica's hands"
    return len(twice(counts))


@pytest.mark.parametrize(
    ("how", "kill_after_calls"),
    [("sigkill", 1), ("sigkill", 20), ("sigterm", 20)],
    ids=["sigkill-early", "sigkill-half-way", "sigterm-half-way"],
)
async def test_two_replicas_and_a_replica_stopped_mid_delivery_deliver_each_notification_once(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path, how: str, kill_after_calls: int
) -> None:
    """SIGKILL (a crash): resends only of what the dead replica had in hand. SIGTERM (a
    restart): the replica finishes the sends in hand first, so nothing arrives twice."""
    settings = service_settings(NotifierSettings, stack, isolation)
    mongo = connect(settings.mongodb_url)
    outbox = mongo[settings.mongodb_db][OUTBOX]
    smtp = SmtpSink(latency=LATENCY)
    hooks = SlowHooks()
    smtp.start()
    replicas: list[ManagedProcess] = []
    try:
        with ServerThread(hooks.app()) as hook_server:
            lines = [
                f'  - {{url: "{hook_server.url}/hook/{n}", format: json, receivers: {RECEIVERS}}}'
                for n in range(WEBHOOKS)
            ]
            config = tmp_path / "notifier.yaml"
            config.write_text(CONFIG.format(hooks="\n".join(lines)))
            env = {
                "CFA_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                "CFA_NOTIFIER_CONFIG": str(config),
                "CFA_NOTIFIER_TICK_SECONDS": "0.2",
                "CFA_NOTIFIER_LEASE_SECONDS": "3",
                "CFA_NOTIFIER_CLAIM_SECONDS": "3",
                "CFA_NOTIFIER_SEND_BATCH": "8",
                "CFA_OPERATOR_TOKEN": OPERATOR,
            }
            ports = []
            for name in ("a", "b"):
                replica, port = service_process("notifier", settings, tmp_path / f"{name}.log", **env)
                replicas.append(replica)
                ports.append(port)
                replica.start()
            for replica, port in zip(replicas, ports, strict=True):
                replica.wait_until(lambda p=port: http_ok(f"http://127.0.0.1:{p}/readyz"), timeout=60)
            # Either replica evaluates on request: the one without the lease asks the other.
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {OPERATOR}"}) as http:
                for port in ports:
                    evaluated = await http.post(f"http://127.0.0.1:{port}/v1/evaluate")
                    assert evaluated.status_code == 200, evaluated.text
                    assert evaluated.json()["firing"] >= 6
            victim = replicas[0]
            mark = f":{victim.pid}:"

            async def victim_mid_send() -> bool:
                sending = {"status": "sending", "channel": {"$ne": "kafka"}, "claimed_by": {"$regex": mark}}
                arrived = len(hooks.calls) >= kill_after_calls
                return arrived and await outbox.count_documents(sending) > 0

            await eventually(victim_mid_send, what="replica a sending webhooks or e-mails")
            if how == "sigkill":
                victim.kill()
            else:
                victim.stop()
            killed_pid = mark.strip(":")
            in_hand = {
                d["_id"] async for d in outbox.find({"status": "sending", "claimed_by": {"$regex": mark}})
            }
            sent_at_kill = await outbox.count_documents({"status": "sent"})
            if how == "sigkill":
                assert in_hand, "replica a finished before the kill: nothing was tested"
            else:
                assert not in_hand, "a stopped replica left sends unfinished"

            victim.start()
            victim.wait_until(lambda: http_ok(f"http://127.0.0.1:{ports[0]}/readyz"), timeout=60)

            async def all_sent() -> bool:
                total = await outbox.count_documents({})
                return total > 0 and await outbox.count_documents({"status": "sent"}) == total

            await eventually(all_sent, timeout=90, what="every notification sent")
            entries = [d async for d in outbox.find()]
            by_channel = Counter(d["channel"] for d in entries)
            records = await read_topic(
                settings.kafka_bootstrap_servers,
                settings.topics.alerts,
                lambda r: len(r) >= by_channel["kafka"],
            )
    finally:
        for replica in replicas:
            replica.stop()
        smtp.stop()
        await mongo.drop_database(settings.mongodb_db)
        await mongo.close()

    def ids(channel: str) -> set[str]:
        return {d["_id"] for d in entries if d["channel"] == channel}

    assert by_channel["email"] == 4 and by_channel["webhook"] == 4 * WEBHOOKS and by_channel["kafka"] >= 6
    webhook_twice = check_once_each(
        "webhooks",
        hooks.calls,
        {(d["target"].removeprefix(hook_server.url), d["_id"]) for d in entries if d["channel"] == "webhook"},
        {(path, key) for path, key in hooks.calls if key in in_hand},
    )
    email_twice = 0
    for address in ("rg@test.example", "le@test.example", "lp@test.example", "rr@test.example"):
        received = [
            m["Message-ID"].strip("<>").removesuffix("@cfa-monitor")
            for m in smtp.messages
            if address in m["To"]
        ]
        expected = {d["_id"] for d in entries if d["channel"] == "email" and address in d["target"]}
        assert len(expected) == 1
        email_twice += check_once_each(f"e-mail to {address}", received, expected, in_hand)
    kafka_twice = check_once_each(
        "bp.alerts.v1", (header(r, "notification-id") for r in records), ids("kafka"), in_hand
    )
    if how == "sigterm":
        assert webhook_twice == email_twice == kafka_twice == 0
    takers = {d["claimed_by"] for d in entries if d["_id"] in in_hand}
    assert not any(mark in taker for taker in takers), "the killed replica's claims were not taken over"
    senders = Counter(d["claimed_by"].split(":")[1] for d in entries)
    print(
        f"{how}: {len(entries)} notifications ({dict(by_channel)}); replica a (pid {killed_pid}) stopped with "
        f"{len(in_hand)} in hand and {sent_at_kill} sent; sent by pid: {dict(senders)}; received twice (same id): "
        f"webhooks {webhook_twice}, e-mails {email_twice}, kafka {kafka_twice}"
    )
