"""An event posted over HTTP: the checks of the Kafka path, then bp.events.raw or the DLQ.

Accepted events go to bp.events.raw unchanged (as the Kafka record the same client would
have produced), so the Kafka path makes the final decision (a duplicate: the event log's);
the HTTP answer is the dry run of that decision, reading the log as it is. A batch is all
or nothing: when one event is refused, none is published, and the refused ones go to the DLQ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from faststream.kafka import KafkaBroker

from services.intake.pipeline import Accepted, IntakePipeline, Outcome
from shared.adapters.dlq import Refused, dead_letter
from shared.adapters.kafka import publish_record
from shared.adapters.problems import unavailable
from shared.adapters.rejections import RejectionRecorder
from shared.clock import Clock
from shared.events.codec import KafkaRecord
from shared.events.rejections import RejectionReason
from shared.logging import get_logger
from shared.topics import Topics
from shared.trust import SUBMITTED, Keys, Principal, ServiceKeys, marked

log = get_logger("cfa.intake.http")


@dataclass(frozen=True)
class Verdict:
    outcomes: list[Outcome]

    @property
    def accepted(self) -> list[Accepted]:
        return [o for o in self.outcomes if isinstance(o, Accepted)]

    @property
    def refused(self) -> list[tuple[int, Refused]]:
        return [(i, o) for i, o in enumerate(self.outcomes) if isinstance(o, Refused)]

    @property
    def all_accepted_before(self) -> bool:
        """Every event was accepted before: a retry, nothing left to do (409). When only some
        were, the others were not published either (all or nothing), so it is a 400."""
        return all(
            isinstance(o, Refused) and o.rejection.reason is RejectionReason.DUPLICATE for o in self.outcomes
        )


class Submissions:
    def __init__(
        self,
        pipeline: IntakePipeline,
        broker: KafkaBroker,
        topics: Topics,
        rejections: RejectionRecorder,
        clock: Clock,
        publish_timeout: timedelta,
        keys: Keys,
    ) -> None:
        self._pipeline = pipeline
        self._broker = broker
        self._topics = topics
        self._rejections = rejections
        self._clock = clock
        self._timeout = publish_timeout.total_seconds()
        self._keys = keys

    async def judge(self, records: Sequence[KafkaRecord], caller: Principal) -> Verdict:
        return Verdict(await self._pipeline.dry_run(records, caller))

    async def deliver(self, verdict: Verdict, caller: Principal) -> None:
        """Publish and wait until Kafka has it all; 503 when it does not in time (the producer may
        still deliver it later: a retry is then a 409 duplicate, so it is stored once). Each
        event goes out keyed by its project and marked as vouched for by `caller`, so intake's
        consumer knows which credential sent it."""
        at = self._clock()
        refused = [r for _, r in verdict.refused]
        pending: list[Awaitable[Any]]
        if refused:
            pending = [dead_letter(self._broker, self._topics.dlq, r, "intake-http", at) for r in refused]
        else:
            intake_key = self._keys[ServiceKeys.INTAKE]
            records = [
                marked(intake_key, SUBMITTED, caller, replace(a.record, key=a.event.project_id.encode()))
                for a in verdict.accepted
            ]
            pending = [publish_record(self._broker, self._topics.raw, record) for record in records]
        try:
            await asyncio.wait_for(asyncio.gather(*pending), self._timeout)
        except Exception as error:  # timeout or any broker error: the client must retry
            log.warning("kafka unavailable for an HTTP submission", error=type(error).__name__)
            raise unavailable("Kafka") from None
        await self._rejections.record(refused, at, "http")
