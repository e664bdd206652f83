"""SIGKILL of intake, the aggregator and the notifier at random points of an event stream
(seeded), each restarted: every valid event stored once, every invalid one in the DLQ with
its reason, every notification delivered (a repeat only with the same Message-ID), and the
read model identical to a rebuild from the event log."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.aggregator.rebuild import rebuild
from services.aggregator.store import MongoReadModelStore
from services.intake.settings import IntakeSettings
from services.notifier.store import OUTBOX
from shared.events.models import EventType
from shared.framework import load_framework
from shared.mongo import EVENTS, connect
from shared.processes import ManagedProcess, http_ok
from shared.registry import ProjectRegistry
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from shared.status import Thresholds
from tests.conftest import service_settings
from tests.factories import activity_data, measurement_data, project_id, registered
from tests.faults.scale import FULL, scaled
from tests.integration.helpers import eventually, service_process
from tests.kafka_helpers import Message, binary, header, produce, read_topic, sdk_event

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]
EVENTS_SENT = scaled(2_000, 10_000)
CHUNK = 100
RATE = 200  # events per second, so the stream lasts while the services are killed
SEEDS = [7, 11, 23] if FULL else [7]
NOTIFIER_CONFIG = """
from: monitor@test.example
reference_group: {email: [rg@test.example]}
twg:
  return_reintegration: {email: [rr@test.example]}
group_wait: 0s
repeat_interval: 7d
evaluate_every: 2s
evaluate_on_progress: true
"""
FAST = {  # quick group joins, claims and status flushes, so the restarts take seconds
    "CFA_CONSUMER_MAX_RECORDS": "100",
    "CFA_NOTIFIER_TICK_SECONDS": "0.2",
    "CFA_NOTIFIER_LEASE_SECONDS": "3",
    "CFA_NOTIFIER_CLAIM_SECONDS": "3",
    "CFA_NOTIFIER_SEND_BATCH": "2",
    "CFA_PROGRESS_MIN_INTERVAL_SECONDS": "0.5",
    "CFA_PROGRESS_REFRESH_SECONDS": "2",
    "CFA_PUBLIC_READS": "true",
}


def stream(rng: random.Random, projects: list[str]) -> tuple[list[Message], set[str], set[str], int]:
    """Activities and measurements of `projects`, 5 % of them invalid; (messages, valid ids,
    invalid ids, valid activities)."""
    messages: list[Message] = []
    valid: set[str] = set()
    invalid: set[str] = set()
    activities = 0
    for n in range(EVENTS_SENT):
        pid = rng.choice(projects)
        event_id = f"s-{n}"
        roll = rng.random()
        if roll < 0.025:
            data, event_type = (
                activity_data(pid, f"A-{n}", action_points=["7.1"]),
                EventType.ACTIVITY_REPORTED,
            )
        elif roll < 0.05:
            data = activity_data(pid, f"A-{n}", notes=f"call +92 300 {1_000_000 + n}")
            event_type = EventType.ACTIVITY_REPORTED
        elif roll < 0.2:  # a measurement of a period of its own (unique start and end)
            start = date(2025, 1, 1) + timedelta(days=n % 480)
            end = start + timedelta(days=n // 480)
            data = measurement_data(
                pid,
                indicator_id="ind-1.2-officers-trained",
                value=rng.randint(1, 40),
                period_start=start.isoformat(),
                period_end=end.isoformat(),
            )
            event_type = EventType.INDICATOR_MEASURED
        else:
            data, event_type = activity_data(pid, f"A-{n}"), EventType.ACTIVITY_REPORTED
            activities += 1
        (invalid if roll < 0.05 else valid).add(event_id)
        messages.append(binary(sdk_event(event_type, data, event_id)))
    return messages, valid, invalid, activities


async def read_model_matches_the_log(db: Any) -> bool:
    """The aggregator's stored statuses of today equal those rebuilt from the event log."""
    result = await rebuild(
        MongoReadModelStore(db), load_framework(), Thresholds(), datetime.now(UTC).date(), write=False
    )
    return result.compared > 0 and not result.differing


@pytest.mark.parametrize("seed", SEEDS)
async def test_services_killed_at_random_points_lose_nothing_and_count_nothing_twice(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    settings = service_settings(IntakeSettings, stack, isolation)
    mongo = connect(stack.mongodb_url)
    db = mongo[settings.mongodb_db]
    projects = [project_id() for _ in range(3)]
    for pid in projects:
        await ProjectRegistry(db).add(registered(pid))
    messages, valid, invalid, activities = stream(rng, projects)
    config = tmp_path / "notifier.yaml"
    config.write_text(NOTIFIER_CONFIG)
    smtp = SmtpSink(latency=0.05)
    smtp.start()
    env = {**FAST, "CFA_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "CFA_NOTIFIER_CONFIG": str(config)}
    services: dict[str, tuple[ManagedProcess, int]] = {
        name: service_process(name, settings, tmp_path / f"{name}.log", **env)
        for name in ("intake", "aggregator", "notifier")
    }
    chunks = [messages[n : n + CHUNK] for n in range(0, len(messages), CHUNK)]
    # Each service killed once (three times in the full form) when a share of the valid
    # events drawn by the seed is stored: mid-stream, while the services are at work.
    victims = [name for name in services for _ in range(3 if FULL else 1)]
    plan = sorted((rng.uniform(0.05, 0.9), name) for name in victims)
    log: list[str] = []

    async def paced() -> None:
        for chunk in chunks:
            await produce(settings.kafka_bootstrap_servers, settings.topics.raw, chunk)
            await asyncio.sleep(CHUNK / RATE)

    try:
        for process, _ in services.values():
            process.start()
        for process, port in services.values():
            process.wait_until(lambda p=port: http_ok(f"http://127.0.0.1:{p}/readyz"), timeout=90)
        producing = asyncio.create_task(paced())
        for share, name in plan:

            async def reached(target: int = int(share * len(valid))) -> bool:
                return await db[EVENTS].count_documents({}) >= target

            await eventually(reached, timeout=180, what=f"{share:.0%} of the valid events stored")
            victim = services[name][0]
            victim.kill()
            log.append(f"{name} killed at {await db[EVENTS].count_documents({})} stored")
            await asyncio.sleep(rng.uniform(0, 1))
            victim.start()
        await producing

        async def all_stored() -> bool:
            return await db[EVENTS].count_documents({}) >= len(valid)

        await eventually(all_stored, timeout=180, what=f"{len(valid)} valid events stored")
        stored = [doc["id"] async for doc in db[EVENTS].find({}, {"id": 1})]
        assert len(stored) == len(valid) and set(stored) == valid, "an event lost or stored twice"

        dlq = await read_topic(
            settings.kafka_bootstrap_servers,
            settings.topics.dlq,
            lambda records: len({header(r, "event_id") for r in records}) >= len(invalid),
            timeout=120,
        )
        dead = Counter(header(r, "event_id") for r in dlq)
        assert set(dead) == invalid, f"DLQ: missing {invalid - set(dead)}, unexpected {set(dead) - invalid}"
        assert all(header(r, "reason") in ("unknown_action_point", "personal_data") for r in dlq)

        await eventually(
            lambda: read_model_matches_the_log(db), timeout=120, what="read model equal to a rebuild"
        )
        aggregator_port = services["aggregator"][1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{aggregator_port}", timeout=30) as api:
            shown = (await api.get("/v1/action-points/3.1")).json()["activity_count"]  # every activity's
        assert shown == activities, f"the read API shows {shown} activities of {activities}"

        outbox = db[OUTBOX]

        async def delivered() -> bool:
            return await outbox.count_documents({"status": {"$in": ["pending", "sending"]}}) == 0

        await eventually(delivered, timeout=120, what="the outbox sent")
        emails = {doc["_id"] async for doc in outbox.find({"channel": "email"})}
        failed = await outbox.count_documents({"status": "failed"})
        received = Counter(m["Message-ID"].strip("<>").removesuffix("@cfa-monitor") for m in smtp.messages)
        assert emails and set(received) == emails, f"e-mails: missing {emails - set(received)}"
        assert failed == 0
    finally:
        for process, _ in services.values():
            process.stop()
        smtp.stop()
        await mongo.drop_database(settings.mongodb_db)
        await mongo.close()
    repeats = sum(n - 1 for n in received.values())
    print(
        f"seed {seed}: {EVENTS_SENT} events ({len(valid)} valid, {len(invalid)} invalid); {'; '.join(log)}; "
        f"stored {len(stored)} once each; DLQ {len(dlq)} records for {len(dead)} events; "
        f"{len(emails)} e-mails, received {sum(received.values())} ({repeats} repeats, same Message-ID)"
    )
