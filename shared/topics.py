"""Kafka topics of the suite, with an optional prefix to share one cluster."""

from __future__ import annotations

from dataclasses import astuple, dataclass


@dataclass(frozen=True)
class Topics:
    raw: str = "bp.events.raw"  # project systems -> intake
    validated: str = "bp.events.v1"  # intake -> aggregator
    dlq: str = "bp.events.dlq"  # intake: original bytes + reason/error headers
    progress: str = "bp.progress.v1"  # aggregator -> notifier
    alerts: str = "bp.alerts.v1"  # notifier -> anyone

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        base = cls()
        return cls(*(prefix + name for name in astuple(base)))

    def all(self) -> tuple[str, ...]:
        return tuple(astuple(self))
