"""The evaluator with a hand-written store: alerts fire and their notices are queued together,
only the replica holding the lease evaluates, a dry run changes nothing, and the digest is
queued once per period."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

from pypdf import PdfReader

from services.notifier.channels import email_of
from services.notifier.config import NotifierConfig, load_notifier_config
from services.notifier.evaluator import Evaluator
from services.notifier.lifecycle import Alert, Silence
from services.notifier.notify import OutboxEntry
from shared.adapters.knownat import KnownAt
from shared.domain.liveview import LiveView
from shared.domain.review import Basis
from shared.domain.status import Thresholds
from tests.readmodel_facts import FRAMEWORK, PID, T0, FakeEventLog, base_documents, base_facts, receipts_of

NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)


class FakeAlertStore:
    """Alerts, outbox and leases in memory; each save is one step, as a transaction is."""

    def __init__(self) -> None:
        self.alert_states: dict[str, Alert] = {}
        self.outbox: list[OutboxEntry] = []
        self.saves = 0
        self.lease_owner: str | None = None
        self.digest_at: datetime | None = None
        self.packs: set[date] = set()

    async def take_lease(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        if self.lease_owner in (None, owner):
            self.lease_owner = owner
            return True
        return False

    async def alerts(self) -> dict[str, Alert]:
        return dict(self.alert_states)

    async def silences(self) -> list[Silence]:
        return []

    async def save(self, alerts: Iterable[Alert], entries: Sequence[OutboxEntry]) -> None:
        self.saves += 1
        self.alert_states.update({a.fingerprint: a for a in alerts})
        self.outbox += [e for e in entries if e.id not in {o.id for o in self.outbox}]

    async def digest_due_at(self) -> datetime | None:
        return self.digest_at

    async def save_digest(self, entries: Sequence[OutboxEntry], following: datetime) -> None:
        self.outbox += list(entries)
        self.digest_at = following

    async def packs_sent(self) -> set[date]:
        return set(self.packs)

    async def save_pack(self, meeting: date, entries: Sequence[OutboxEntry]) -> None:
        self.outbox += list(entries)
        self.packs.add(meeting)

    async def request_evaluation(self, at: datetime) -> str:
        return "r-1"

    async def requested(self) -> list[str]:
        return []

    async def answer(self, request_id: str, answer: dict[str, Any]) -> None: ...

    async def answer_of(self, request_id: str) -> dict[str, Any] | None:
        return None

    async def forget_request(self, request_id: str) -> None: ...


class MovableClock:
    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at


def evaluator(store: FakeAlertStore, clock: MovableClock, owner: str = "replica-a") -> Evaluator:
    view = LiveView(FRAMEWORK, Thresholds())
    for fact in base_facts():
        view.facts.apply(fact)
    view.ready.set()
    known = KnownAt(FakeEventLog(base_documents()), receipts_of(base_documents()))
    config = load_notifier_config(None)
    return Evaluator(view, store, config, "bp.alerts.v1", clock, owner, known=known)


async def test_alerts_fire_and_their_notices_follow_group_wait_in_the_same_save() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    first = await evaluator(store, clock).evaluate()
    assert first is not None and first.firing > 0 and first.notices == 0  # group_wait first
    assert {a.state for a in store.alert_states.values()} == {"firing"} and store.outbox == []
    clock.at += timedelta(seconds=30)
    after_wait = await evaluator(store, clock).evaluate()
    assert after_wait is not None and after_wait.notices == first.firing and store.outbox
    assert after_wait.entries == len(store.outbox)


async def test_only_the_lease_holder_evaluates() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    assert await evaluator(store, clock, "replica-a").evaluate() is not None
    assert await evaluator(store, clock, "replica-b").evaluate() is None
    assert store.saves == 1


async def test_a_dry_run_changes_nothing() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    dry = await evaluator(store, clock).dry_run(date(2027, 6, 1))
    assert dry.dry_run and dry.would_fire and dry.as_of == date(2027, 6, 1)
    assert store.saves == 0 and store.alert_states == {} and store.outbox == []


async def test_the_digest_is_queued_once_per_period() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    runs = evaluator(store, clock)
    assert await runs.digest() is False  # the first call sets the schedule
    assert store.digest_at is not None
    clock.at = store.digest_at
    assert await runs.digest() is True and len(store.outbox) == 1
    assert await runs.digest() is False and len(store.outbox) == 1


async def test_a_dry_run_as_known_at_a_past_moment_sees_only_what_was_received_by_then() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    runs = evaluator(store, clock)
    subjects = {w.subject for w in (await runs.dry_run(date(2027, 6, 1))).would_fire}
    assert f"project:{PID}" in subjects  # silent since its last report in January 2026
    before = await runs.dry_run(date(2027, 6, 1), known_at=T0 - timedelta(days=1))
    assert before.known_at == T0 - timedelta(days=1)
    assert f"project:{PID}" not in {w.subject for w in before.would_fire}  # not registered yet then
    assert store.saves == 0 and store.outbox == []


async def test_a_dry_run_over_the_approved_figures_only() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    runs = evaluator(store, clock)
    reported = await runs.dry_run(date(2027, 6, 1))
    approved = await runs.dry_run(date(2027, 6, 1), basis=Basis.APPROVED)
    assert (reported.figures, approved.figures) == (Basis.REPORTED, Basis.APPROVED)
    behind = ("action_point_behind", "action_point:3.1")
    assert behind in {(w.kind, w.subject) for w in reported.would_fire}  # 320 of 1,000: behind
    assert behind not in {(w.kind, w.subject) for w in approved.would_fire}  # nothing approved: no data


async def test_the_meeting_pack_is_e_mailed_once_in_each_members_language() -> None:
    store, clock = FakeAlertStore(), MovableClock()
    config = NotifierConfig.model_validate(
        {
            "reference_group": {
                "email": ["rg@example.org", "ru@example.org"],
                "languages": {"ru@example.org": "ru"},
            },
            "meetings": ["2026-07-05", "2026-12-01"],
            "pack_days_before": 7,
        }
    )
    view = LiveView(FRAMEWORK, Thresholds())
    view.apply_documents(base_documents())
    view.ready.set()
    runs = Evaluator(view, store, config, "bp.alerts.v1", clock, "replica-a")
    clock.at = datetime(2026, 6, 27, 9, tzinfo=UTC)  # 8 days before the first meeting: not yet
    assert await runs.meeting_packs() == 0
    clock.at = datetime(2026, 6, 28, 9, tzinfo=UTC)
    assert await runs.meeting_packs() == 2 and store.packs == {date(2026, 7, 5)}
    clock.at += timedelta(days=1)
    assert await runs.meeting_packs() == 0  # once
    english, russian = sorted(store.outbox, key=lambda e: e.payload["to"][0])
    assert (english.payload["to"], russian.payload["to"]) == (["rg@example.org"], ["ru@example.org"])
    assert (
        russian.payload["subject"]
        == "[Мониторинг Призыва к действию] Материалы к заседанию 5 июля 2026\u202fг."
    )
    message = email_of(russian).data
    [attached] = list(BytesParser(policy=policy.default).parsebytes(message).iter_attachments())
    assert attached.get_filename() == "cfa-meeting-pack-2026-06-28-ru.pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attached.get_content())).pages)
    assert "Шесть приоритетов" in text
