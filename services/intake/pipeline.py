"""Intake's decision for a batch of raw messages: accepted (with its event) or refused (why)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.intake.checks import Context, check_event
from shared.clock import Clock
from shared.dlq import Refused
from shared.events.codec import KafkaRecord, decode_event
from shared.events.envelope import Event
from shared.events.models import EventType
from shared.events.rejections import Rejected, Rejection, RejectionReason
from shared.projects import RegisteredProject


@dataclass(frozen=True)
class Accepted:
    record: KafkaRecord
    event: Event


Outcome = Accepted | Refused


@dataclass(frozen=True)
class Claim:
    """A message claiming an event identity; `position` tells a redelivery from a re-send."""

    key: str
    position: str


class ProjectDirectory(Protocol):
    async def get_many(self, project_ids: Collection[str]) -> dict[str, RegisteredProject]: ...

    def forget(self, project_id: str) -> None: ...


class SeenStore(Protocol):
    async def claim(self, claims: Sequence[Claim]) -> set[str]:
        """Record the claims; answer the positions whose key another message claimed first."""
        ...

    async def known(self, keys: Collection[str]) -> set[str]:
        """The keys accepted before (nothing recorded)."""
        ...


def _key_text(record: KafkaRecord) -> str | None:
    try:
        return record.key.decode("utf-8") if record.key else None
    except UnicodeDecodeError:
        return None


class IntakePipeline:
    def __init__(
        self,
        projects: ProjectDirectory,
        seen: SeenStore,
        clock: Clock,
        max_event_bytes: int,
        max_clock_skew: timedelta,
        indicators: Callable[[], frozenset[str] | None] = lambda: None,
    ) -> None:
        self._projects = projects
        self._seen = seen
        self._clock = clock
        self._max_bytes = max_event_bytes
        self._max_skew = max_clock_skew
        self._indicators = indicators

    async def process(self, records: Sequence[KafkaRecord]) -> list[Outcome]:
        """One outcome per record, in order; accepted events are claimed, so a re-sent one
        (even within the batch) is a duplicate, while a redelivered message is not."""
        checked = await self.check(records)
        passed = [o for o in checked if isinstance(o, Accepted)]
        seen_before = await self._seen.claim([Claim(o.event.key, o.record.position) for o in passed])
        final = [
            _duplicate(o) if isinstance(o, Accepted) and o.record.position in seen_before else o
            for o in checked
        ]
        for outcome in final:
            if isinstance(outcome, Accepted) and outcome.event.type is EventType.PROJECT_REGISTERED:
                self._projects.forget(outcome.event.project_id)
        return final

    async def dry_run(self, records: Sequence[KafkaRecord]) -> list[Outcome]:
        """The verdict `process` would give, duplicates included, with nothing recorded."""
        checked = await self.check(records)
        known = await self._seen.known({o.event.key for o in checked if isinstance(o, Accepted)})
        first: set[str] = set()
        final: list[Outcome] = []
        for outcome in checked:
            if isinstance(outcome, Accepted) and (outcome.event.key in known or outcome.event.key in first):
                outcome = _duplicate(outcome)
            elif isinstance(outcome, Accepted):
                first.add(outcome.event.key)
            final.append(outcome)
        return final

    async def check(self, records: Sequence[KafkaRecord]) -> list[Outcome]:
        """Decode and every rule but `duplicate`, in order."""
        outcomes: list[Outcome] = [self._decode(record) for record in records]
        events = [o for o in outcomes if isinstance(o, Accepted)]
        projects = await self._projects.get_many({o.event.project_id for o in events})
        now, indicators = self._clock(), self._indicators()
        return [self._check(o, projects, now, indicators) for o in outcomes]

    def _decode(self, record: KafkaRecord) -> Outcome:
        try:
            return Accepted(record, decode_event(record, self._max_bytes))
        except Rejected as rejected:
            return Refused(record, rejected.rejection, _key_text(record))

    def _check(
        self,
        outcome: Outcome,
        projects: dict[str, RegisteredProject],
        now: datetime,
        indicators: frozenset[str] | None,
    ) -> Outcome:
        if isinstance(outcome, Refused):
            return outcome
        context = Context(projects.get(outcome.event.project_id), now, self._max_skew, indicators)
        rejection = check_event(outcome.event, context)
        if rejection is None:
            return outcome
        return Refused(outcome.record, rejection, outcome.event.project_id, outcome.event.envelope.id)


def _duplicate(outcome: Accepted) -> Refused:
    envelope = outcome.event.envelope
    return Refused(
        outcome.record,
        Rejection.of(
            RejectionReason.DUPLICATE,
            "id",
            f"event {envelope.id!r} of {envelope.source} was accepted before; "
            "a correction is a new event with a new id",
        ),
        outcome.event.project_id,
        envelope.id,
    )
