"""Hostile input against the notifier's delivery, on real servers (an aiosmtpd sink, a webhook
server, MongoDB, Kafka): a notification that cannot be built is failed for good, visible and
counted, and the rest of its batch still arrives; titles from project events reach Slack and
Teams inert (no mentions, no links, no HTML) and cannot add a header to an e-mail."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.notifier.app import create_app
from services.notifier.delivery import Deliverer
from services.notifier.rules import AlertKind, fingerprint
from shared.adapters.mongo import EVENTS, OUTBOX, connect
from shared.events.models import EventType
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from tests.factories import milestone_data, registration_data
from tests.integration.helpers import ServerThread, eventually, samples, serving, value
from tests.integration.notifier_world import (
    AUTH,
    NOW,
    RECIPIENTS,
    Hook,
    MovableClock,
    Notifier,
    notifier_settings,
)

pytestmark = pytest.mark.integration
ADDRESSES = ["rg@test.example", "le@test.example", "lp@test.example", "rr@test.example"]
P5 = fingerprint(AlertKind.PRIORITY_BEHIND, "priority:5")
CONFIG = (
    RECIPIENTS
    + """webhooks:
  - {{url: "{url}/hook/json", format: json, receivers: [reference_group]}}
  - {{url: "{url}/hook/slack", format: slack, receivers: [return_reintegration]}}
  - {{url: "{url}/hook/teams", format: teams, receivers: [return_reintegration]}}
group_wait: 30s
repeat_interval: 7d
evaluate_every: 0
evaluate_on_progress: false
"""
)
HOSTILE = (
    "<!channel> <!here> <@U123> <https://evil.example|click here> [click](https://evil.example) "
    "<b>bold</b> <img src=x onerror=alert(1)> &amp; *star* _under_\u2028Bcc: intruder"
)


@dataclass
class Hooks:
    """Webhook receivers at /hook/{name}: every call recorded as (name, raw body)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""  # where they listen, once started

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook/{name}")
        async def receive(name: str, request: Request) -> JSONResponse:
            self.calls.append((name, (await request.body()).decode()))
            return JSONResponse({})

        return app

    def bodies(self, name: str) -> list[Any]:
        return [json.loads(body) for called, body in self.calls if called == name]


@dataclass
class Running:
    notifier: Notifier
    hooks: Hooks
    deliverer: Deliverer


@asynccontextmanager
async def notifier_with_hooks(
    stack: StackEndpoints,
    isolation: dict[str, str],
    tmp_path: Path,
    events: list[dict[str, Any]],
    tick: float,
) -> AsyncIterator[Running]:
    """The notifier (one round claims up to 100 notifications; it looks for work every
    `tick` seconds) over an event log holding `events`, with e-mail to an SMTP sink and json,
    slack and teams webhooks."""
    smtp, hooks = SmtpSink(), Hooks()
    smtp.start()
    mongo = connect(stack.mongodb_url)
    try:
        if events:
            await mongo[isolation["mongodb_db"]][EVENTS].insert_many(events)
        with ServerThread(hooks.app()) as server:
            hooks.url = server.url
            config = tmp_path / "notifier.yaml"
            config.write_text(CONFIG.format(url=server.url))
            settings = notifier_settings(stack, isolation, smtp, config)
            settings = settings.model_copy(update={"notifier_send_batch": 100, "notifier_tick_seconds": tick})
            clock = MovableClock(NOW)
            app = create_app(settings, clock)
            async with serving(app, "http://notifier") as api:
                notifier = Notifier(api, smtp, Hook(), clock, settings, app.state.evaluator)
                yield Running(notifier, hooks, app.state.deliverer)
    finally:
        smtp.stop()
        await mongo.drop_database(isolation["mongodb_db"])
        await mongo.close()


def unbuildable_entries(hook_url: str) -> list[dict[str, Any]]:
    """Outbox entries that cannot be made into a message, due when the first notices are (so
    the same round claims them), each naming the alert of priority 5."""
    due = NOW + timedelta(seconds=30)
    mail = {"from": "monitor@test.example", "to": ["rg@test.example"], "subject": "s", "text": "t"}
    mail["html"] = "<p>t</p>"

    def entry(name: str, channel: str, target: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "_id": f"bad-{name}",
            "id": f"bad-{name}",
            "channel": channel,
            "receiver": "reference_group",
            "target": target,
            "payload": payload,
            "fingerprints": [P5],
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": NOW,
        }

    return [
        entry("header", "email", "rg@test.example", {**mail, "subject": "Hi\r\nBcc: intruder@evil.example"}),
        entry("no-html", "email", "rg@test.example", {k: v for k, v in mail.items() if k != "html"}),
        entry("address", "email", "a,b@evil.example", {**mail, "to": ["a,b@evil.example"]}),
        entry("nan", "webhook", f"{hook_url}/hook/json", {"body": {"ratio": float("nan")}}),
        entry("no-key", "kafka", "bp.alerts.v1", {"body": {}}),
        # not even an outbox entry: an older or broken writer's document
        {"_id": "bad-unreadable", "channel": "email", "status": "pending", "next_attempt_at": due},
    ]


async def outbox_documents(notifier: Notifier) -> list[dict[str, Any]]:
    mongo = connect(notifier.settings.mongodb_url)
    try:
        return await mongo[notifier.settings.mongodb_db][OUTBOX].find().to_list()
    finally:
        await mongo.close()


@pytest.fixture
async def rounds_by_hand(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Running]:
    """The notifier looks for work once, at start (nothing is due then): the test runs the rounds."""
    async with notifier_with_hooks(stack, isolation, tmp_path, [], tick=3600) as running_:

        async def first_round_done() -> bool:
            first = running_.deliverer._round  # the start's round, which must not race the test's
            return first is not None and first.done()

        await eventually(first_round_done, what="the round at start")
        yield running_


async def test_an_unbuildable_notification_fails_for_good_and_the_rest_of_its_batch_arrives(
    rounds_by_hand: Running,
) -> None:
    notifier, hooks = rounds_by_hand.notifier, rounds_by_hand.hooks
    mongo = connect(notifier.settings.mongodb_url)
    await mongo[notifier.settings.mongodb_db][OUTBOX].insert_many(unbuildable_entries(hooks.url))
    await mongo.close()
    assert (await notifier.api.post("/v1/evaluate", headers=AUTH)).status_code == 200
    notifier.clock.advance(seconds=30)
    queued = await notifier.evaluator.flush()
    assert queued is not None and queued.entries > 10

    claimed = await rounds_by_hand.deliverer.deliver_due()  # one round: the bad ones and the rest

    assert claimed == queued.entries + 5  # the unreadable one is failed as it is claimed
    assert all(notifier.mail_to(a) for a in ADDRESSES) and hooks.bodies("json")
    assert await notifier.outbox_settled()
    documents = {d["_id"]: d for d in await outbox_documents(notifier)}
    bad = {i: d for i, d in documents.items() if i.startswith("bad-")}
    assert len(bad) == 6 and {d["status"] for d in bad.values()} == {"failed"}
    assert all(d["attempts"] == 1 and "cannot be built" in d["last_error"] for d in bad.values())
    good = [d for i, d in documents.items() if i not in bad]
    assert len(good) == queued.entries and {d["status"] for d in good} == {"sent"}
    # nothing reached an address the bad entries named, nor a header they tried to add
    assert not [m for m in notifier.smtp.messages if "evil.example" in str(m)]
    assert [body for body in hooks.bodies("json") if "ratio" in body] == []

    alerts = await notifier.api.get("/v1/alerts", params={"kind": "priority_behind", "priority": 5})
    assert alerts.status_code == 200, alerts.text
    [p5] = alerts.json()["items"]
    failures = sorted((f["channel"], f["status"]) for f in p5["delivery_failures"])
    assert failures == [("email", "failed")] * 3 + [("kafka", "failed"), ("webhook", "failed")]

    metrics = samples((await notifier.api.get("/metrics")).text)
    assert value(metrics, "cfa_outbox_failed", channel="email") == 4  # the unreadable one too
    assert value(metrics, "cfa_outbox_failed", channel="webhook") == 1
    assert value(metrics, "cfa_outbox_failed", channel="kafka") == 1
    assert value(metrics, "cfa_notification_attempts_total", outcome="failed") == 5
    assert value(metrics, "cfa_delivery_failures_total", kind="permanent") == 5
    assert value(metrics, "cfa_notification_attempts_total", outcome="sent") == len(good)


def hostile_events() -> list[dict[str, Any]]:
    """A project and a missed milestone whose titles try mentions, links, HTML and a header
    (written straight to the event log: the notifier must not rely on intake's checks)."""
    pid = "HOSTILE-1"
    project = {**registration_data(pid), "title": HOSTILE}
    milestone = milestone_data(pid, title=HOSTILE, status="missed", due_date="2026-03-31")
    return [
        {"_id": "e-1", "id": "e-1", "type": str(EventType.PROJECT_REGISTERED), "data": project},
        {"_id": "e-2", "id": "e-2", "type": str(EventType.MILESTONE_UPDATED), "data": milestone},
    ]


@pytest.fixture
async def hostile(stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path) -> AsyncIterator[Running]:
    events = [{**e, "time": NOW - timedelta(days=60)} for e in hostile_events()]
    async with notifier_with_hooks(stack, isolation, tmp_path, events, tick=0.1) as running_:
        yield running_


def strings(body: Any) -> Iterator[str]:
    """Every string in a JSON body."""
    if isinstance(body, str):
        yield body
    elif isinstance(body, dict):
        for item in body.values():
            yield from strings(item)
    elif isinstance(body, list):
        for item in body:
            yield from strings(item)


async def test_titles_from_events_reach_slack_teams_and_email_inert(hostile: Running) -> None:
    notifier, hooks = hostile.notifier, hostile.hooks
    evaluated = (await notifier.api.post("/v1/evaluate", headers=AUTH)).json()
    assert evaluated["firing"] > 0
    notifier.clock.advance(seconds=30)

    async def delivered() -> bool:
        return bool(hooks.bodies("slack") and hooks.bodies("teams") and notifier.mail_to("rr@test.example"))

    await eventually(delivered, what="slack, teams and the return_reintegration e-mail")
    [slack], [teams] = hooks.bodies("slack"), hooks.bodies("teams")
    slack_text = "\n".join(strings(slack))
    assert "Milestone M-1 of HOSTILE-1" in slack_text
    assert "&lt;!channel&gt;" in slack_text and "&lt;https://evil.example|click here&gt;" in slack_text
    assert "<" not in slack_text and ">" not in slack_text  # no mention, no link, no quote
    assert "\u2028" not in slack_text
    assert "HOSTILE" not in teams["title"] + teams["summary"]  # plain-text fields: our words only
    teams_text = "\n".join(strings(teams))
    assert "Milestone M-1 of HOSTILE-1" in teams_text
    assert "<" not in teams_text and ">" not in teams_text  # no HTML, no autolink
    assert "](" not in teams_text.replace("\\]", "")  # no markdown link
    assert "&lt;b&gt;bold&lt;/b&gt;" in teams_text and "\\[click\\]" in teams_text

    [mail] = notifier.mail_to("rr@test.example")
    assert mail["Bcc"] is None and "\u2028" not in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "Milestone M-1 of HOSTILE-1" in text and "\u2028" not in text
    html = mail.get_body(("html",)).get_content()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
