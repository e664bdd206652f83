"""Delivering one outbox entry: SMTP e-mail (text and HTML parts), webhook, or bp.alerts.v1.

An entry is first built into what goes on the wire. One that cannot be built (a header with a
line break, an address the e-mail library refuses, a payload missing a key, a body that is
not JSON) fails for good: building it again gives the same error. Sending then fails
transiently (retried with backoff: connection errors, 429, 5xx, SMTP 4xx, see smtp.py) or for
good (other HTTP 4xx, a redirect, SMTP 5xx, a record too large for the broker)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from typing import TypeVar

import httpx
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError

from services.notifier.failures import Permanent, Transient, error_text
from services.notifier.notify import OutboxEntry
from services.notifier.smtp import Email, SmtpSender
from shared.adapters.asyncapi import Publisher

T = TypeVar("T")


def _address(text: str) -> Address:
    """One plain ASCII address, or ValueError: a list, a display name or a comment in it
    could send the message elsewhere (SMTPUTF8 is not used)."""
    if not text.isascii():
        raise ValueError("an e-mail address must be ASCII")
    return Address(addr_spec=text)


def email_of(entry: OutboxEntry) -> Email:
    payload = entry.payload
    sender = _address(payload["from"]).addr_spec
    recipients = tuple(_address(a).addr_spec for a in payload["to"])
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = payload["subject"]
    # The outbox id as Message-ID: a resend after a crash is recognisably the same message.
    message["Message-ID"] = f"<{entry.id}@cfa-monitor>"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    for attached in payload.get("attachments", ()):  # the meeting pack
        maintype, _, subtype = attached["content_type"].partition("/")
        data = base64.b64decode(attached["data"], validate=True)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attached["filename"])
    return Email(sender, recipients, message.as_bytes(policy=policy.SMTP))


def json_body(entry: OutboxEntry) -> bytes:
    return json.dumps(entry.payload["body"], allow_nan=False).encode()


def webhook_request(entry: OutboxEntry) -> tuple[httpx.URL, bytes]:
    url = httpx.URL(entry.target)
    if url.scheme not in ("http", "https"):
        raise ValueError("a webhook URL must be http or https")
    return url, json_body(entry)


def kafka_record(entry: OutboxEntry) -> tuple[bytes, bytes]:
    """(key, value)"""
    return str(entry.payload["key"]).encode(), json_body(entry)


def built(entry: OutboxEntry, build: Callable[[OutboxEntry], T]) -> T:
    try:
        return build(entry)
    except Exception as error:  # the entry itself is wrong: it never will be built
        raise Permanent(f"cannot be built ({type(error).__name__}: {error_text(error)})") from None


class Channels:
    def __init__(self, smtp: SmtpSender, http: httpx.AsyncClient, alerts: Publisher) -> None:
        self._smtp = smtp
        self._http = http
        self._alerts = alerts  # bp.alerts.v1, as the AsyncAPI document declares it

    async def deliver(self, entry: OutboxEntry) -> None:
        if entry.channel == "email":
            await asyncio.to_thread(self._smtp.send, built(entry, email_of))
        elif entry.channel == "webhook":
            await self._post(entry, *built(entry, webhook_request))
        else:
            await self._publish(entry, *built(entry, kafka_record))

    async def _post(self, entry: OutboxEntry, url: httpx.URL, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "Idempotency-Key": entry.id}
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise Transient(f"webhook unreachable ({type(error).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise Transient(f"webhook answered {response.status_code}")
        if response.status_code >= 400:
            raise Permanent(f"webhook answered {response.status_code}: {response.text[:200]}")
        if response.status_code >= 300:  # not followed: the URL configured is where it goes
            raise Permanent(f"webhook answered {response.status_code} (redirects are not followed)")

    async def _publish(self, entry: OutboxEntry, key: bytes, body: bytes) -> None:
        headers = {"content-type": "application/json", "notification-id": entry.id}
        try:
            await self._alerts.publish(body, key=key, headers=headers)
        except (MessageSizeTooLargeError, RecordListTooLargeError) as error:
            raise Permanent(f"too large for the broker ({type(error).__name__})") from None
