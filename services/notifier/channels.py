"""Delivering one outbox entry: SMTP e-mail (text and HTML parts), webhook, or bp.alerts.v1.

A failure is transient (retried with backoff: connection errors, 429, 5xx, SMTP 4xx) or
permanent (not retried: other HTTP 4xx, SMTP 5xx)."""

from __future__ import annotations

import asyncio
import json
import random
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlparse

import httpx
from faststream.kafka import KafkaBroker

from services.notifier.notify import OutboxEntry

SMTP_TIMEOUT = 10.0


class Transient(Exception):
    """Try again later."""


class Permanent(Exception):
    """Trying again will not help; the entry is marked failed."""


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with ±20 % jitter: 2 s, 4 s, 8 s … capped at 10 minutes."""
    return timedelta(seconds=min(2.0 * 2**attempts, 600.0) * rng.uniform(0.8, 1.2))


def email_message(entry: OutboxEntry) -> EmailMessage:
    payload = entry.payload
    message = EmailMessage()
    message["From"] = payload["from"]
    message["To"] = ", ".join(payload["to"])
    message["Subject"] = payload["subject"]
    # The outbox id as Message-ID: a resend after a crash is recognisably the same message.
    message["Message-ID"] = f"<{entry.id}@cfa-monitor>"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    return message


class Channels:
    def __init__(self, smtp_url: str, http: httpx.AsyncClient, broker: KafkaBroker) -> None:
        url = urlparse(smtp_url)
        self._smtp = (url.hostname or "localhost", url.port or 25, url.scheme == "smtps")
        self._http = http
        self._broker = broker

    async def deliver(self, entry: OutboxEntry) -> None:
        if entry.channel == "email":
            await asyncio.to_thread(self._send_email, email_message(entry))
        elif entry.channel == "webhook":
            await self._post(entry)
        else:
            body = json.dumps(entry.payload["body"]).encode()
            await self._broker.publish(
                body,
                entry.target,
                key=entry.payload["key"].encode(),
                headers={"content-type": "application/json", "notification-id": entry.id},
            )

    def _send_email(self, message: EmailMessage) -> None:
        host, port, tls = self._smtp
        try:
            smtp_class = smtplib.SMTP_SSL if tls else smtplib.SMTP
            with smtp_class(host, port, timeout=SMTP_TIMEOUT) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise Permanent(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from None
            raise Transient(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as error:
            raise Permanent(f"recipients refused: {sorted(error.recipients)}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise Transient(f"SMTP unreachable ({type(error).__name__})") from None

    async def _post(self, entry: OutboxEntry) -> None:
        try:
            response = await self._http.post(
                entry.target, json=entry.payload["body"], headers={"Idempotency-Key": entry.id}
            )
        except httpx.HTTPError as error:
            raise Transient(f"webhook unreachable ({type(error).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise Transient(f"webhook answered {response.status_code}")
        if response.status_code >= 400:
            raise Permanent(f"webhook answered {response.status_code}: {response.text[:200]}")
