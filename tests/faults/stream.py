"""The event stream of the fault suites and what must hold after it: every valid event
stored once, every invalid one in the DLQ with its reason, the read model equal to a rebuild
from the event log, and the read API's count right."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka.errors import KafkaError

from services.aggregator.rebuild import rebuild
from services.aggregator.store import MongoReadModelStore
from shared.adapters.mongo import EVENTS
from shared.domain.framework import load_framework
from shared.domain.status import Thresholds
from shared.events.models import EventType
from shared.settings import CommonSettings
from shared.stack.processes import ManagedProcess, http_ok
from tests.factories import activity_data, measurement_data
from tests.integration.helpers import eventually, service_process
from tests.kafka_helpers import Message, binary, header, produce, read_topic, sdk_event

CHUNK = 100
RATE = 200  # events per second, so the stream lasts while servers and services are killed
FAST = {  # quick group joins, claims and status flushes, so restarts take seconds
    "CFA_CONSUMER_MAX_RECORDS": "100",
    "CFA_NOTIFIER_TICK_SECONDS": "0.2",
    "CFA_NOTIFIER_LEASE_SECONDS": "3",
    "CFA_NOTIFIER_CLAIM_SECONDS": "3",
    "CFA_NOTIFIER_SEND_BATCH": "2",
    "CFA_PROGRESS_MIN_INTERVAL_SECONDS": "0.5",
    "CFA_PROGRESS_REFRESH_SECONDS": "2",
    "CFA_PUBLIC_READS": "true",
}
REASONS = ("unknown_action_point", "personal_data")


@dataclass
class Stream:
    """Activities and measurements of some projects, 5 % of them invalid."""

    messages: list[Message] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    invalid: set[str] = field(default_factory=set)
    activities: int = 0  # valid activity reports, all on action point 3.1

    @classmethod
    def draw(cls, rng: random.Random, projects: list[str], count: int) -> Stream:
        stream = cls()
        for n in range(count):
            pid = rng.choice(projects)
            roll = rng.random()
            event_type = EventType.ACTIVITY_REPORTED
            if roll < 0.025:
                data = activity_data(pid, f"A-{n}", action_points=["7.1"])
            elif roll < 0.05:
                data = activity_data(pid, f"A-{n}", notes=f"call +92 300 {1_000_000 + n}")
            elif roll < 0.2:  # a measurement of a period of its own (unique start and end)
                start = date(2025, 1, 1) + timedelta(days=n % 480)
                end = start + timedelta(days=n // 480)
                event_type = EventType.INDICATOR_MEASURED
                data = measurement_data(
                    pid,
                    indicator_id="ind-1.2-officers-trained",
                    value=rng.randint(1, 40),
                    period_start=start.isoformat(),
                    period_end=end.isoformat(),
                )
            else:
                data = activity_data(pid, f"A-{n}")
                stream.activities += 1
            (stream.invalid if roll < 0.05 else stream.valid).add(f"s-{n}")
            stream.messages.append(binary(sdk_event(event_type, data, f"s-{n}")))
        return stream

    async def send(self, settings: CommonSettings) -> None:
        """The whole stream onto bp.events.raw at RATE. A chunk the broker did not take (it
        was down) is sent again, as a project's system would: intake then refuses the copies
        of what had got through as `duplicate`."""
        for n in range(0, len(self.messages), CHUNK):
            chunk = self.messages[n : n + CHUNK]
            for attempt in range(60):
                try:
                    await produce(settings.kafka_bootstrap_servers, settings.topics.raw, chunk)
                    break
                except KafkaError:
                    await asyncio.sleep(min(0.5 * 2**attempt, 2.0))
            else:
                raise AssertionError("the broker did not come back within a minute")
            await asyncio.sleep(CHUNK / RATE)

    async def reached(self, db: Any, share: float, timeout: float = 180) -> int:
        """Wait until `share` of the valid events is stored; returns how many are."""
        target = int(share * len(self.valid))

        async def enough() -> bool:
            return await db[EVENTS].count_documents({}) >= target

        await eventually(enough, timeout=timeout, what=f"{share:.0%} of the valid events stored")
        return int(await db[EVENTS].count_documents({}))

    async def check(self, settings: CommonSettings, db: Any, aggregator_url: str) -> str:
        """Everything that must hold once the stream is through; a line of what was found."""
        await self.reached(db, 1.0)
        stored = [doc["id"] async for doc in db[EVENTS].find({}, {"id": 1})]
        lost, extra = self.valid - set(stored), set(stored) - self.valid
        assert not lost and not extra, f"{len(lost)} lost (e.g. {sorted(lost)[:5]}), {len(extra)} unexpected"
        assert len(stored) == len(self.valid), "an event stored twice"
        dlq = await read_topic(
            settings.kafka_bootstrap_servers,
            settings.topics.dlq,
            lambda records: (
                len({header(r, "event_id") for r in records if header(r, "reason") != "duplicate"})
                >= len(self.invalid)
            ),
            timeout=120,
        )
        copies = [r for r in dlq if header(r, "reason") == "duplicate"]
        # A copy comes from a chunk sent again, or from the producer's own retry of a batch
        # the broker wrote before it died (no idempotent producer on Tansu): intake refuses
        # it as `duplicate`, and the event itself is stored once (checked above).
        assert {header(r, "event_id") for r in copies} <= self.valid, "a duplicate of an event never stored"
        refused = [r for r in dlq if header(r, "reason") != "duplicate"]
        dead = Counter(header(r, "event_id") for r in refused)
        assert set(dead) == self.invalid, (
            f"DLQ: missing {self.invalid - set(dead)}, extra {set(dead) - self.invalid}"
        )
        assert all(header(r, "reason") in REASONS for r in refused)
        await eventually(
            lambda: read_model_matches_the_log(db), timeout=120, what="read model equal to a rebuild"
        )
        async with httpx.AsyncClient(base_url=aggregator_url, timeout=30) as api:
            shown = (await api.get("/v1/action-points/3.1")).json()["activity_count"]
        assert shown == self.activities, f"the read API shows {shown} activities of {self.activities}"
        return (
            f"{len(self.messages)} events ({len(self.valid)} valid, {len(self.invalid)} invalid): "
            f"{len(stored)} stored once each, {len(refused)} DLQ records for {len(dead)} invalid events "
            f"(and {len(copies)} re-sent copies refused as duplicate), "
            f"{shown} activities shown, read model equal to a rebuild"
        )


async def read_model_matches_the_log(db: Any) -> bool:
    """The aggregator's stored statuses of today equal those rebuilt from the event log."""
    result = await rebuild(
        MongoReadModelStore(db), load_framework(), Thresholds(), datetime.now(UTC).date(), write=False
    )
    return result.compared > 0 and not result.differing


def start_services(
    names: list[str], settings: CommonSettings, logs: Path, **env: str
) -> dict[str, tuple[ManagedProcess, int]]:
    """`cfamon NAME` processes on the test's stack, started and ready."""
    services = {name: service_process(name, settings, logs / f"{name}.log", **FAST, **env) for name in names}
    for process, _ in services.values():
        process.start()
    for process, port in services.values():
        process.wait_until(lambda p=port: http_ok(f"http://127.0.0.1:{p}/readyz"), timeout=90)
    return services
