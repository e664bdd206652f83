"""The notifier's cfa_ series: alerts by state and kind, the outbox's depth and its
notifications failed for good by channel, delivery attempts by channel and outcome, and
evaluations."""

from __future__ import annotations

from collections import Counter
from typing import get_args

from services.notifier.evaluator import Evaluator
from services.notifier.notify import Channel, OutboxEntry, Outcome
from services.notifier.rules import AlertKind
from services.notifier.store import NotifierStore
from shared.adapters.metrics import ServiceMetrics

CHANNELS: tuple[Channel, ...] = ("email", "webhook", "kafka")
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


class NotifierMetrics:
    def __init__(self, metrics: ServiceMetrics, store: NotifierStore, evaluator: Evaluator) -> None:
        self._attempts = metrics.counter(
            "cfa_notification_attempts_total",
            "Delivery attempts by channel and outcome (sent, retry, failed)",
            ["channel", "outcome"],
        )
        self._failures = metrics.counter(
            "cfa_delivery_failures_total",
            "Failed delivery attempts by channel; kind transient (retried) or permanent (not)",
            ["channel", "kind"],
        )
        for channel in CHANNELS:  # shown at 0 from the start, so rates and alerts have a series
            for outcome in OUTCOMES:
                self._attempts.labels(channel=channel, outcome=outcome)
            for kind in ("transient", "permanent"):
                self._failures.labels(channel=channel, kind=kind)
        alerts = metrics.gauge("cfa_alerts", "Alerts by state and kind", ["state", "kind"])
        depth = metrics.gauge("cfa_outbox_depth", "Notifications waiting to be sent, by channel", ["channel"])
        failed = metrics.gauge(
            "cfa_outbox_failed", "Notifications that failed for good (not retried), by channel", ["channel"]
        )
        evaluated = metrics.gauge(
            "cfa_last_evaluation_timestamp_seconds", "When this replica last evaluated the rules"
        )
        firing_now = metrics.gauge("cfa_alerts_firing", "Alerts firing now")

        async def alert_counts() -> None:
            counts = Counter((str(a.state), str(a.kind)) for a in (await store.alerts()).values())
            for state in ("firing", "resolved"):
                for kind in AlertKind:
                    alerts.labels(state=state, kind=str(kind)).set(counts.get((state, str(kind)), 0))
            firing_now.set(sum(n for (state, _), n in counts.items() if state == "firing"))
            if evaluator.last_at is not None:
                evaluated.set(evaluator.last_at.timestamp())

        async def outbox_counts() -> None:
            counts = await store.outbox_counts()
            for channel in CHANNELS:
                depth.labels(channel=channel).set(counts[channel, "pending"] + counts[channel, "sending"])
                failed.labels(channel=channel).set(counts[channel, "failed"])

        metrics.on_scrape("alerts", alert_counts)
        metrics.on_scrape("outbox", outbox_counts)

    def delivery(self, entry: OutboxEntry, outcome: Outcome) -> None:
        self._attempts.labels(channel=entry.channel, outcome=outcome).inc()
        if outcome != "sent":
            kind = "permanent" if outcome == "failed" else "transient"
            self._failures.labels(channel=entry.channel, kind=kind).inc()
