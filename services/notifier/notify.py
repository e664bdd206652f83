"""From due notices to outbox entries: one message per recipient and channel, each with a
stable id (the e-mail Message-ID, the webhook Idempotency-Key, the Kafka key's companion),
so the same notices always make the same entries and an entry is never made twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from services.notifier.config import NotifierConfig
from services.notifier.digest import digest_html
from services.notifier.lifecycle import Notice
from services.notifier.render import alert_json, email_html, email_text, subject_line, webhook_body
from shared.isodate import long_date

Channel = Literal["email", "webhook", "kafka"]
Status = Literal["pending", "sending", "sent", "failed"]


class OutboxEntry(BaseModel):
    id: str
    channel: Channel
    receiver: str
    target: str
    payload: dict[str, Any]
    fingerprints: list[str]
    status: Status = "pending"
    attempts: int = 0
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None
    claimed_by: str | None = None
    claim: str | None = None  # the id of the claim that took it (one per claiming round)
    claimed_until: datetime | None = None


Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one send went: `sent`, `retry` (at `retry_at`) or `failed` for good."""

    entry: OutboxEntry
    outcome: Outcome
    error: str | None = None
    retry_at: datetime | None = None


def entry_id(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def outbox_entries(
    notices: Sequence[Notice],
    config: NotifierConfig,
    alerts_topic: str,
    now: datetime,
    dashboard_url: str | None = None,
) -> list[OutboxEntry]:
    """`dashboard_url`: the dashboard's public address, for the e-mails' links to each alert."""
    entries: list[OutboxEntry] = []
    for receiver in sorted(config.receivers()):
        mine = [n for n in notices if receiver in n.alert.receivers]
        if mine:
            entries += _for_receiver(receiver, mine, config, now, dashboard_url)
    for notice in notices:  # bp.alerts.v1: one record per notice, keyed by fingerprint
        entries.append(
            OutboxEntry(
                id=entry_id("kafka", notice.key),
                channel="kafka",
                receiver="bp.alerts.v1",
                target=alerts_topic,
                payload={"key": notice.alert.fingerprint, "body": alert_json(notice)},
                fingerprints=[notice.alert.fingerprint],
                next_attempt_at=now,
                created_at=now,
            )
        )
    return entries


def _for_receiver(
    receiver: str, notices: list[Notice], config: NotifierConfig, now: datetime, dashboard_url: str | None
) -> list[OutboxEntry]:
    keys = sorted(n.key for n in notices)
    fingerprints = [n.alert.fingerprint for n in notices]
    recipients = config.reference_group if receiver == "reference_group" else config.twg[receiver]
    entries = []
    if recipients.email:
        to = ", ".join(recipients.email)
        entries.append(
            OutboxEntry(
                id=entry_id("email", receiver, to, *keys),
                channel="email",
                receiver=receiver,
                target=to,
                payload={
                    "from": config.sender,
                    "to": list(recipients.email),
                    "subject": subject_line(notices),
                    "text": email_text(receiver, notices, dashboard_url),
                    "html": email_html(receiver, notices, dashboard_url),
                },
                fingerprints=fingerprints,
                next_attempt_at=now,
                created_at=now,
            )
        )
    for hook in config.webhooks:
        if receiver in hook.receivers:
            notification_id = entry_id("webhook", receiver, hook.url, *keys)
            entries.append(
                OutboxEntry(
                    id=notification_id,
                    channel="webhook",
                    receiver=receiver,
                    target=hook.url,
                    payload={"body": webhook_body(hook.format, notification_id, receiver, notices)},
                    fingerprints=fingerprints,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return entries


def digest_entry(
    config: NotifierConfig, lines: list[str], due_at: datetime, now: datetime
) -> OutboxEntry | None:
    """The digest e-mail to its receiver; its id is that of the period, so it is made once."""
    assert config.digest is not None
    receiver = config.digest.to
    recipients = config.reference_group if receiver == "reference_group" else config.twg[receiver]
    if not recipients.email:
        return None
    return OutboxEntry(
        id=entry_id("digest", receiver, due_at.isoformat()),
        channel="email",
        receiver=receiver,
        target=", ".join(recipients.email),
        payload={
            "from": config.sender,
            "to": list(recipients.email),
            "subject": f"[Call for Action Monitor] Weekly digest, {long_date(due_at)}",
            "text": "\n".join(lines),
            "html": digest_html(lines),
        },
        fingerprints=[],
        next_attempt_at=now,
        created_at=now,
    )
