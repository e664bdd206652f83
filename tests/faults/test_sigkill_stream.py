"""SIGKILL of intake, the aggregator and the notifier at random points of an event stream
(seeded), each restarted: every valid event stored once, every invalid one in the DLQ with
its reason, the read model identical to a rebuild from the event log, and every
notification delivered (a repeat only with the same Message-ID)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from shared.adapters.mongo import OUTBOX, connect
from shared.adapters.registry import ProjectRegistry
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from tests.conftest import service_settings
from tests.factories import project_id, registered
from tests.faults.scale import FULL, scaled
from tests.faults.stream import Stream, start_services
from tests.integration.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]
EVENTS_SENT = scaled(2_000, 10_000)
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
    stream = Stream.draw(rng, projects, EVENTS_SENT)
    config = tmp_path / "notifier.yaml"
    config.write_text(NOTIFIER_CONFIG)
    smtp = SmtpSink(latency=0.05)
    smtp.start()
    names = ["intake", "aggregator", "notifier"]
    # Each service killed once (three times in the full form) when a share of the valid
    # events drawn by the seed is stored: mid-stream, while the services are at work.
    plan = sorted((rng.uniform(0.05, 0.9), name) for name in names for _ in range(3 if FULL else 1))
    log: list[str] = []
    services = {}
    try:
        services = start_services(
            names,
            settings,
            tmp_path,
            CFA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
            CFA_NOTIFIER_CONFIG=str(config),
        )
        producing = asyncio.create_task(stream.send(settings))
        for share, name in plan:
            await stream.reached(db, share)
            victim = services[name][0]
            victim.kill()
            log.append(f"{name} killed at {await stream.reached(db, 0)} stored")
            await asyncio.sleep(rng.uniform(0, 1))
            victim.start()
        await producing
        found = await stream.check(settings, db, f"http://127.0.0.1:{services['aggregator'][1]}")

        outbox = db[OUTBOX]

        async def delivered() -> bool:
            return await outbox.count_documents({"status": {"$in": ["pending", "sending"]}}) == 0

        await eventually(delivered, timeout=120, what="the outbox sent")
        emails = {doc["_id"] async for doc in outbox.find({"channel": "email"})}
        received = Counter(m["Message-ID"].strip("<>").removesuffix("@cfa-monitor") for m in smtp.messages)
        assert emails and set(received) == emails, f"e-mails: missing {emails - set(received)}"
        assert await outbox.count_documents({"status": "failed"}) == 0
    finally:
        for process, _ in services.values():
            process.stop()
        smtp.stop()
        await mongo.drop_database(settings.mongodb_db)
        await mongo.close()
    repeats = sum(n - 1 for n in received.values())
    print(
        f"seed {seed}: {'; '.join(log)}; {found}; {len(emails)} e-mails, received "
        f"{sum(received.values())} ({repeats} repeats, same Message-ID)"
    )
