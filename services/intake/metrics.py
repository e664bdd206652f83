"""Intake's cfa_ series: events accepted by type, rejected by type, reason and channel, the
DLQ's size and the lag of intake's consumer group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.intake.pipeline import Accepted, Outcome
from services.intake.settings import IntakeSettings
from shared.adapters.dlq import Refused
from shared.adapters.metrics import ServiceMetrics
from shared.adapters.rejections import Channel, RejectionRecorder
from shared.events.models import EventType

KNOWN_TYPES = frozenset(t.value for t in EventType)


def claimed_type(refused: Refused) -> str:
    """The event type a refused message claims, if it is one of the contract's; else
    "unknown" (labels stay few)."""
    claimed = refused.claims.type
    return claimed if claimed in KNOWN_TYPES else "unknown"


class IntakeMetrics:
    def __init__(self, metrics: ServiceMetrics, settings: IntakeSettings) -> None:
        self.unreadable = metrics.unreadable
        self.unreadable.expect(settings.topics.raw)
        self._accepted = metrics.counter(
            "cfa_events_accepted_total", "Events accepted onto bp.events.v1", ["type"]
        )
        self._rejected = metrics.counter(
            "cfa_events_rejected_total",
            "Events refused (each also in the DLQ), by claimed type, reason and how it came",
            ["type", "reason", "channel"],
        )
        for event_type in EventType:  # each type shown at 0 until its first event
            self._accepted.labels(type=str(event_type))
        metrics.topic_size("cfa_dlq_messages", "Messages in the dead-letter topic", settings.topics.dlq)
        metrics.consumer_lag(settings.intake_group_id, settings.topics.raw)

    def decided(self, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Accepted):
                self._accepted.labels(type=str(outcome.event.type)).inc()

    def rejected(self, refused: Sequence[Refused], channel: Channel) -> None:
        for r in refused:
            self._rejected.labels(type=claimed_type(r), reason=str(r.rejection.reason), channel=channel).inc()


class CountedRejections:
    """A rejection recorder that also counts what it records."""

    def __init__(self, inner: RejectionRecorder, metrics: IntakeMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def record(self, refused: Sequence[Refused], at: datetime, channel: Channel) -> None:
        await self._inner.record(refused, at, channel)
        self._metrics.rejected(refused, channel)

    async def already_recorded(self, refused: Sequence[Refused]) -> set[str]:
        return await self._inner.already_recorded(refused)
