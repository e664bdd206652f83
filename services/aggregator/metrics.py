"""The aggregator's cfa_ series: events stored, how long an event takes from intake's
publication to the read model, priorities and action points by status (as of today), and
the lag of the aggregator's consumer group."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from services.aggregator.settings import AggregatorSettings
from shared.adapters.metrics import ServiceMetrics
from shared.clock import Clock
from shared.domain.liveview import LiveView
from shared.domain.status import Status
from shared.events.codec import KafkaRecord

IGNORED_REASONS = ("unauthenticated", "not_permitted")
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class AggregatorMetrics:
    def __init__(
        self, metrics: ServiceMetrics, settings: AggregatorSettings, view: LiveView, clock: Clock
    ) -> None:
        self.unreadable = metrics.unreadable
        self.unreadable.expect(settings.topics.validated)
        self._stored = metrics.counter("cfa_events_stored_total", "Events stored (redeliveries not counted)")
        self._ignored = metrics.counter(
            "cfa_events_ignored_total",
            "Records on bp.events.v1 not stored: intake did not vouch for them (unauthenticated), or "
            "the credential that did may not send them (not_permitted)",
            ["reason"],
        )
        for reason in IGNORED_REASONS:
            self._ignored.labels(reason=reason)
        self._resent = metrics.counter(
            "cfa_events_resent_total",
            "Events the event log refused as stored before from another message: each in the DLQ "
            "as duplicate (one sent twice in a batch is refused by intake, in cfa_events_rejected_total)",
        )
        self._latency = metrics.histogram(
            "cfa_read_model_update_seconds",
            "From intake publishing an event on bp.events.v1 to the read model showing it",
            LATENCY_BUCKETS,
        )
        priorities = metrics.gauge("cfa_priorities", "Priorities by status, as of today", ["status"])
        action_points = metrics.gauge("cfa_action_points", "Action points by status, as of today", ["status"])
        metrics.consumer_lag(settings.aggregator_group_id, settings.topics.validated)

        async def statuses() -> None:
            if not view.ready.is_set():
                return
            model = await view.read_model_off_loop(clock().date())
            for gauge, counts in (
                (priorities, Counter(p.status for p in model.priorities)),
                (action_points, Counter(a.status for a in model.action_points.values())),
            ):
                for status in Status:
                    gauge.labels(status=str(status)).set(counts.get(status, 0))

        metrics.on_scrape("statuses", statuses)

    def ignored(self, reason: str) -> None:
        self._ignored.labels(reason=reason).inc()

    def applied(self, records: Sequence[KafkaRecord], stored: int, resent: int = 0) -> None:
        """A batch is in the read model now (wall time, as the records' timestamps are: an
        operational measure, not a rule, so not the injected clock)."""
        self._stored.inc(stored)
        self._resent.inc(resent)
        now_ms = time.time() * 1000
        for record in records:
            if record.timestamp_ms is not None:
                self._latency.observe(max(now_ms - record.timestamp_ms, 0) / 1000)
