"""The notifier on real servers, as its tests and the security and fault suites run it: a clock
that moves when told, a webhook receiver that fails for a while, the settings and the polling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.notifier.app import create_app
from services.notifier.evaluator import Evaluator
from services.notifier.settings import NotifierSettings
from shared.adapters.mongo import EVENTS, OUTBOX, connect
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from tests.conftest import service_settings
from tests.integration.helpers import ServerThread, eventually, serving

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
OPERATOR = "o" * 40
AUTH = {"Authorization": f"Bearer {OPERATOR}"}
DASHBOARD = "https://monitor.test.example"


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Hook:
    """A webhook receiver that answers `failures` with 500 (then 200), recording each call."""

    failures: int = 0
    status: int = 200
    calls: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def receive(request: Request) -> JSONResponse:
            status = 500 if self.failures > 0 else self.status
            self.failures -= 1
            self.calls.append((request.headers.get("idempotency-key", ""), status, await request.json()))
            return JSONResponse({}, status_code=status)

        return app

    def delivered(self) -> list[str]:
        return [key for key, status, _ in self.calls if status == 200]


@dataclass
class Notifier:
    api: httpx.AsyncClient
    smtp: SmtpSink
    hook: Hook
    clock: MovableClock
    settings: NotifierSettings
    evaluator: Evaluator

    async def outbox_settled(self) -> bool:
        mongo = connect(self.settings.mongodb_url)
        try:
            unsent = {"status": {"$in": ["pending", "sending"]}}
            return await mongo[self.settings.mongodb_db][OUTBOX].count_documents(unsent) == 0
        finally:
            await mongo.close()

    def mail_to(self, address: str) -> list[Any]:
        """Alert e-mails (not digests) to `address`."""
        return [m for m in self.smtp.messages if address in m["To"] and "Weekly digest" not in m["Subject"]]

    def digests(self) -> list[Any]:
        return [m for m in self.smtp.messages if "Weekly digest" in m["Subject"]]


# The recipients every notifier test writes to (braces doubled: the configurations are templates).
RECIPIENTS = """
from: monitor@test.example
reference_group: {{email: [rg@test.example]}}
twg:
  law_enforcement: {{email: [le@test.example]}}
  legal_pathways: {{email: [lp@test.example]}}
  return_reintegration: {{email: [rr@test.example]}}
"""
CONFIG = (
    RECIPIENTS
    + """webhooks: [{{url: "{hook}", format: json, receivers: [reference_group]}}]
group_wait: 30s
repeat_interval: 7d
evaluate_every: 0
evaluate_on_progress: {on_progress}
"""
)


async def running_notifier(
    stack: StackEndpoints,
    isolation: dict[str, str],
    tmp_path: Path,
    hook: Hook,
    on_progress: bool = False,
    events: list[dict[str, Any]] | None = None,
    more_config: str = "",
) -> AsyncIterator[Notifier]:
    """The notifier over an event log holding `events` (none by default); `more_config` is
    added to its configuration file (a key given again there wins)."""
    smtp = SmtpSink()
    smtp.start()
    try:
        if events:
            mongo = connect(stack.mongodb_url)
            try:
                await mongo[isolation["mongodb_db"]][EVENTS].insert_many(events)
            finally:
                await mongo.close()
        with ServerThread(hook.app()) as hook_server:
            config = tmp_path / "notifier.yaml"
            config.write_text(
                CONFIG.format(hook=f"{hook_server.url}/hook", on_progress=str(on_progress).lower())
                + more_config
            )
            settings = notifier_settings(stack, isolation, smtp, config)
            clock = MovableClock(NOW)
            app = create_app(settings, clock)
            async with serving(app, "http://notifier") as api:
                yield Notifier(api, smtp, hook, clock, settings, app.state.evaluator)
    finally:
        smtp.stop()


def notifier_settings(
    stack: StackEndpoints, isolation: dict[str, str], smtp: SmtpSink, config: Path
) -> NotifierSettings:
    return service_settings(
        NotifierSettings,
        stack,
        isolation,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        notifier_config=config,
        operator_token=OPERATOR,
        public_reads=True,
        notifier_tick_seconds=0.1,
        dashboard_url=DASHBOARD,
    )


async def until(condition: Callable[[], bool], clock: MovableClock | None = None, what: str = "") -> None:
    """Poll; when a clock is given, move it 10 s each round so retries come due."""

    async def check() -> bool:
        if clock is not None:
            clock.advance(seconds=10)
        return condition()

    await eventually(check, timeout=60, what=what)
