"""A delivery round with hand-written fakes: an entry that cannot be built, is refused or fails
in a way nobody foresaw never holds up the others of its round; only what may succeed later
is tried again, and the backoff holds however many times an entry was tried."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker

from services.notifier.channels import Channels
from services.notifier.delivery import Deliverer
from services.notifier.failures import Permanent, Transient, error_text, retry_delay
from services.notifier.notify import DeliveryOutcome, OutboxEntry
from services.notifier.smtp import SmtpSender

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
MAIL = {"from": "m@test.example", "to": ["rg@test.example"], "subject": "s", "text": "t", "html": "h"}


def entry(name: str, channel: str = "email", attempts: int = 0, **payload: Any) -> OutboxEntry:
    return OutboxEntry(
        id=name,
        channel=channel,  # type: ignore[arg-type]
        receiver="reference_group",
        target="http://127.0.0.1:9/hook" if channel == "webhook" else "rg@test.example",
        payload={**MAIL, **payload} if channel == "email" else payload,
        fingerprints=["f"],
        attempts=attempts,
        next_attempt_at=NOW,
        created_at=NOW,
    )


class FakeStore:
    """Hands out the entries it holds; keeps what each round marked."""

    def __init__(self, entries: list[OutboxEntry]) -> None:
        self.entries = entries
        self.marked: dict[str, DeliveryOutcome] = {}

    async def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxEntry]:
        return self.entries[:limit]

    async def mark(self, outcomes: Sequence[DeliveryOutcome], at: datetime) -> None:
        self.marked.update({o.entry.id: o for o in outcomes})


class FakeChannels:
    """Sends every entry but those it was told to fail, which raise what they were given."""

    def __init__(self, failures: dict[str, Exception]) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def deliver(self, entry: OutboxEntry) -> None:
        if entry.id in self.failures:
            raise self.failures[entry.id]
        self.sent.append(entry.id)


def deliverer(store: object, channels: object) -> Deliverer:
    return Deliverer(store, channels, lambda: NOW, "me", seed=1)  # type: ignore[arg-type]


async def test_one_round_sends_the_others_whatever_one_entry_does() -> None:
    entries = [
        entry("ok-1"),
        entry("refused"),
        entry("down"),
        entry("odd"),
        entry("tried-for-weeks", attempts=5000),
        entry("ok-2"),
    ]
    channels = FakeChannels(
        {
            "refused": Permanent("webhook answered 400"),
            "down": Transient("SMTP unreachable"),
            "odd": RuntimeError("nobody foresaw this"),
            "tried-for-weeks": Transient("SMTP unreachable"),
        }
    )
    store = FakeStore(entries)

    assert await deliverer(store, channels).deliver_due() == 6

    assert channels.sent == ["ok-1", "ok-2"]
    outcomes = {name: done.outcome for name, done in store.marked.items()}
    assert outcomes == {
        "ok-1": "sent",
        "refused": "failed",
        "down": "retry",
        "odd": "retry",
        "tried-for-weeks": "retry",
        "ok-2": "sent",
    }
    assert store.marked["odd"].error == "RuntimeError: nobody foresaw this"
    late = store.marked["tried-for-weeks"].retry_at
    assert late is not None and late - NOW <= timedelta(minutes=12)


async def test_entries_that_cannot_be_built_fail_for_good_and_nothing_is_sent() -> None:
    """Real channels, pointed at a port where nothing listens: had any of these been sent,
    it would have been retried as unreachable."""
    bad = [
        entry("line-break", subject="Hi\r\nBcc: intruder@evil.example"),
        entry("separator", subject="Hi\u2028Bcc: intruder@evil.example"),
        entry("no-html", html=None),
        entry("list", to=["a@test.example, intruder@evil.example"]),
        entry("display-name", to=["Boss <intruder@evil.example>"]),
        entry("non-ascii", to=["lé@test.example"]),
        entry("missing-key", channel="kafka", body={}),
        entry("nan", channel="webhook", body={"ratio": float("nan")}),
        entry("not-json", channel="webhook", body={"at": NOW}),
    ]
    del bad[2].payload["html"]
    store = FakeStore(bad)
    async with httpx.AsyncClient() as http:
        channels = Channels(
            SmtpSender("smtp://127.0.0.1:9"), http, KafkaBroker("127.0.0.1:9").publisher("alerts")
        )
        await deliverer(store, channels).deliver_due()
    for name, done in store.marked.items():
        assert done.outcome == "failed" and done.error is not None, name
        assert done.error.startswith("cannot be built ("), (name, done.error)


@pytest.mark.parametrize("attempts", [0, 1, 5, 9, 10, 1023, 1024, 10**6])
def test_the_backoff_grows_to_ten_minutes_and_stays_there(attempts: int) -> None:
    delay = retry_delay(attempts, random.Random(attempts)).total_seconds()
    assert 0.8 * min(2 * 2**attempts, 600) <= delay <= 1.2 * min(2 * 2**attempts, 600)


def test_an_error_text_is_one_short_printable_line() -> None:
    text = error_text(ValueError("a\r\nb\u2028c\x00d\ud800" + "x" * 1000))
    assert text.startswith("a b c?d?") and len(text) == 300 and text.isprintable()
    assert error_text(KeyError()) == "KeyError"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "sent"),
        (204, "sent"),
        (301, "failed"),
        (400, "failed"),
        (410, "failed"),
        (429, "retry"),
        (503, "retry"),
    ],
)
async def test_a_webhook_answer_decides_between_sent_retried_and_failed(status: int, outcome: str) -> None:
    """A redirect is not followed (the configured URL is where notifications go) and is no delivery."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert (
            request.headers["idempotency-key"] == "hook"
            and request.headers["content-type"] == "application/json"
        )
        return httpx.Response(status, headers={"location": "http://169.254.169.254/"}, text="why")

    store = FakeStore([entry("hook", channel="webhook", body={"alerts": []})])
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        channels = Channels(
            SmtpSender("smtp://127.0.0.1:9"), http, KafkaBroker("127.0.0.1:9").publisher("alerts")
        )
        await deliverer(store, channels).deliver_due()
    assert store.marked["hook"].outcome == outcome
