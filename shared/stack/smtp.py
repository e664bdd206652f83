"""An SMTP sink (aiosmtpd) that keeps every message it receives, for the demo and the tests."""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from shared.stack.processes import free_port


class _Keeper:
    def __init__(self, maildir: Path | None, latency: float) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._maildir = maildir
        self._latency = latency

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        await asyncio.sleep(self._latency)  # a slow server, for tests of senders that die mid-way
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=default_policy)
        with self._lock:
            self.messages.append(message)
            if self._maildir is not None:
                self._maildir.mkdir(parents=True, exist_ok=True)
                (self._maildir / f"{len(self.messages):06d}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"


class SmtpSink:
    """Keeps every message in `messages` (and in `maildir` when given); answers each RCPT
    after `latency` seconds."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, maildir: Path | None = None, latency: float = 0.0
    ) -> None:
        self._keeper = _Keeper(maildir, latency)
        # aiosmtpd checks its server by connecting to the port it was given: never 0.
        self.host = host
        self._port = port or free_port(host)
        self._controller = Controller(self._keeper, hostname=host, port=self._port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def messages(self) -> list[Message]:
        with self._keeper._lock:
            return list(self._keeper.messages)
