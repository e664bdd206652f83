"""Alert lifecycle, pure: findings make alerts fire and resolve; the clock decides which
notices are due (first after group_wait, repeats every repeat_interval, resolve once, again
when a silence ends); acknowledgements and silences stop repeats."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.notifier.rules import AlertKind, Finding, Severity
from shared.domain.said import Said
from shared.i18n import Messages

NoticeEvent = Literal["firing", "repeat", "resolved", "silence_ended"]


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Alert(BaseModel):
    """One alert instance: from the moment it fires until it resolves."""

    fingerprint: str
    kind: AlertKind
    subject: str
    severity: Severity
    priorities: list[int]
    summary: str
    annotations: dict[str, Any] = Field(default_factory=dict)
    # The summary's and its why's messages and values (Said.to_json), to say them in each
    # recipient's language; an alert stored before they were kept has none: English then.
    phrases: dict[str, list[Any]] = Field(default_factory=dict)
    state: AlertState = AlertState.FIRING
    starts_at: datetime
    ends_at: datetime | None = None
    receivers: list[str]
    notices: int = 0
    last_notice_at: datetime | None = None
    resolve_sent: bool = False
    suppressed: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledgement: str | None = None


SilenceState = Literal["pending", "active", "expired"]


class Silence(BaseModel):
    """Matchers are glob patterns on kind, subject, severity, fingerprint or priority."""

    id: str
    matchers: dict[Literal["kind", "subject", "severity", "fingerprint", "priority"], str]
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str
    created_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def state_at(self, now: datetime) -> SilenceState:
        return "pending" if now < self.starts_at else "active" if now < self.ends_at else "expired"

    def matches(self, alert: Alert) -> bool:
        values: dict[str, list[str]] = {
            "kind": [str(alert.kind)],
            "subject": [alert.subject],
            "severity": [str(alert.severity)],
            "fingerprint": [alert.fingerprint],
            "priority": [str(p) for p in alert.priorities],
        }
        return all(
            any(fnmatch.fnmatchcase(v, pattern) for v in values[name])
            for name, pattern in self.matchers.items()
        )


@dataclass(frozen=True)
class Timing:
    group_wait: timedelta
    repeat_interval: timedelta


@dataclass(frozen=True)
class Notice:
    alert: Alert
    event: NoticeEvent

    @property
    def key(self) -> str:
        """Stable across replicas and restarts: the same notice always has the same key."""
        return (
            f"{self.alert.fingerprint}/{self.alert.starts_at.isoformat()}/{self.alert.notices}/{self.event}"
        )


def phrases(finding: Finding) -> dict[str, list[Any]]:
    """What of a finding is said in words, as messages: its summary, and its why if any."""
    why = finding.annotations.get("why")
    summary = finding.summary if isinstance(finding.summary, Said) else Said(finding.summary)
    kept = {"summary": summary.to_json()}
    return kept | ({"why": why.to_json()} if isinstance(why, Said) else {})


def said(alert: Alert, words: Messages, name: str = "summary") -> str:
    """The alert's summary (or its why) in the language of `words`."""
    text = alert.summary if name == "summary" else str(alert.annotations.get(name, ""))
    return words.said(Said.from_json(text, alert.phrases.get(name)))


def reconcile(
    alerts: Mapping[str, Alert],
    findings: Iterable[Finding],
    now: datetime,
    receivers_of: Callable[[Finding], list[str]],
) -> dict[str, Alert]:
    """Alerts after an evaluation: new findings fire, gone ones resolve, figures refresh."""
    found = {f.fingerprint: f for f in findings}
    result: dict[str, Alert] = {}
    for fp, alert in alerts.items():
        if fp not in found and alert.state is AlertState.FIRING:
            result[fp] = alert.model_copy(update={"state": AlertState.RESOLVED, "ends_at": now})
        elif fp not in found:
            result[fp] = alert
    for fp, finding in found.items():
        current = alerts.get(fp)
        figures = {
            "summary": finding.summary,
            "annotations": finding.annotations,
            "phrases": phrases(finding),
        }
        if current is not None and current.state is AlertState.FIRING:
            result[fp] = current.model_copy(update=figures)
        else:  # new, or firing again after a resolve: a new instance
            result[fp] = Alert(
                fingerprint=fp,
                kind=finding.kind,
                subject=finding.subject,
                severity=finding.severity,
                priorities=list(finding.priorities),
                starts_at=now,
                receivers=receivers_of(finding),
                **figures,
            )
    return result


def due(
    alerts: Mapping[str, Alert], now: datetime, timing: Timing, silences: Iterable[Silence]
) -> tuple[dict[str, Alert], list[Notice]]:
    """The notices due now, and the alerts as they are once those are sent."""
    active = [s for s in silences if s.active(now)]
    updated: dict[str, Alert] = {}
    notices: list[Notice] = []

    def send(alert: Alert, event: NoticeEvent, **changes: Any) -> None:
        notices.append(Notice(alert, event))
        updated[alert.fingerprint] = alert.model_copy(
            update={"notices": alert.notices + 1, "last_notice_at": now, **changes}
        )

    first = [a for a in alerts.values() if _waiting_first(a, active)]
    group_ready = bool(first) and min(a.starts_at for a in first) + timing.group_wait <= now
    for alert in alerts.values():
        silenced = any(s.matches(alert) for s in active)
        if alert.state is AlertState.RESOLVED:
            if alert.notices and not alert.resolve_sent:
                if silenced:
                    updated[alert.fingerprint] = alert.model_copy(update={"resolve_sent": True})
                else:
                    send(alert, "resolved", resolve_sent=True)
        elif silenced:
            if not alert.suppressed:
                updated[alert.fingerprint] = alert.model_copy(update={"suppressed": True})
        elif alert.acknowledged_at is not None:
            continue
        elif alert.notices == 0:
            if group_ready:
                send(alert, "firing", suppressed=False)
        elif alert.suppressed:
            send(alert, "silence_ended", suppressed=False)
        elif alert.last_notice_at is not None and now >= alert.last_notice_at + timing.repeat_interval:
            send(alert, "repeat")
    return updated, notices


def _waiting_first(alert: Alert, silences: list[Silence]) -> bool:
    return (
        alert.state is AlertState.FIRING
        and alert.notices == 0
        and alert.acknowledged_at is None
        and not any(s.matches(alert) for s in silences)
    )
