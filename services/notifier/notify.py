"""From due notices to outbox entries: one message per recipient and channel, each with a
stable id (the e-mail Message-ID, the webhook Idempotency-Key, the Kafka key's companion),
so the same notices always make the same entries and an entry is never made twice."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from services.notifier.config import REFERENCE_GROUP, NotifierConfig
from services.notifier.digest import digest_html
from services.notifier.lifecycle import Notice
from services.notifier.render import alert_json, email_html, email_text, subject_line, webhook_body
from shared.i18n import Messages, messages

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
    for language, addresses in recipients.by_language().items():  # one e-mail per language read
        words = messages(language)
        to = ", ".join(addresses)
        entries.append(
            OutboxEntry(
                id=entry_id("email", receiver, to, *keys),
                channel="email",
                receiver=receiver,
                target=to,
                payload={
                    "from": config.sender,
                    "to": list(addresses),
                    "subject": subject_line(notices, words),
                    "text": email_text(receiver, notices, dashboard_url, words),
                    "html": email_html(receiver, notices, dashboard_url, words),
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


def digest_entries(
    config: NotifierConfig, lines_in: Callable[[Messages], list[str]], due_at: datetime, now: datetime
) -> list[OutboxEntry]:
    """The digest to its receiver, one e-mail per language its members read (`lines_in` a
    language); each id is that of (period, language), so it is made once."""
    assert config.digest is not None
    receiver = config.digest.to
    recipients = config.reference_group if receiver == "reference_group" else config.twg[receiver]
    entries = []
    for language, addresses in recipients.by_language().items():
        words = messages(language)
        lines = lines_in(words)
        subject = words.gettext("Weekly digest, {day}").format(day=words.date(due_at))
        monitor = words.gettext("Call for Action Monitor")
        parts = ("digest", receiver, due_at.isoformat()) + ((language,) if language != "en" else ())
        entries.append(
            OutboxEntry(
                id=entry_id(*parts),
                channel="email",
                receiver=receiver,
                target=", ".join(addresses),
                payload={
                    "from": config.sender,
                    "to": list(addresses),
                    "subject": f"[{monitor}] {subject}",
                    "text": "\n".join(lines),
                    "html": digest_html(lines, language),
                },
                fingerprints=[],
                next_attempt_at=now,
                created_at=now,
            )
        )
    return entries


def due_meetings(config: NotifierConfig, today: date) -> list[date]:
    """The meetings whose pack is due today: from `pack_days_before` days before the meeting
    to the meeting itself (a notifier down on the day sends it when it is back, if in time)."""
    before = timedelta(days=config.pack_days_before)
    return [meeting for meeting in sorted(config.meetings) if meeting - before <= today <= meeting]


def pack_entries(
    config: NotifierConfig, meeting: date, as_of: date, documents: dict[str, bytes], now: datetime
) -> list[OutboxEntry]:
    """The meeting pack to the Reference Group, one e-mail per language its members read, the
    PDF in that language attached; each entry's id is that of (meeting, language): made once."""
    entries = []
    for language, addresses in config.reference_group.by_language().items():
        t = messages(language)
        _ = t.gettext
        subject = _("[Call for Action Monitor] Meeting pack for the meeting of {day}").format(
            day=t.date(meeting)
        )
        text = _(
            "Dear members of the Reference Group,\n\n"
            "The meeting pack for your meeting of {meeting} is attached: the status of the six "
            "priorities, each action point's indicators, the projects falling silent, the "
            "countries and the alerts firing, with figures as of {day}.\n\n"
            "Call for Action Monitor"
        ).format(meeting=t.date(meeting), day=t.date(as_of))
        html_text = "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n"))
        entries.append(
            OutboxEntry(
                id=entry_id("pack", REFERENCE_GROUP, meeting.isoformat(), language),
                channel="email",
                receiver=REFERENCE_GROUP,
                target=", ".join(addresses),
                payload={
                    "from": config.sender,
                    "to": list(addresses),
                    "subject": subject,
                    "text": text,
                    "html": f'<!doctype html><html lang="{language}"><body>{html_text}</body></html>',
                    "attachments": [
                        {
                            "filename": f"cfa-meeting-pack-{as_of.isoformat()}-{language}.pdf",
                            "content_type": "application/pdf",
                            "data": base64.b64encode(documents[language]).decode("ascii"),
                        }
                    ],
                },
                fingerprints=[],
                next_attempt_at=now,
                created_at=now,
            )
        )
    return entries
