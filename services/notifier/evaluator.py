"""Evaluation: findings of the read model into alert states and outbox entries (in one
transaction), the digest, and dry runs as of another day.

Replicas share the work safely: an evaluation runs under a lease in MongoDB (one replica at
a time), and entries have deterministic ids (made once); services.notifier.delivery sends them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from services.notifier.config import REFERENCE_GROUP, NotifierConfig
from services.notifier.digest import digest_lines, next_digest
from services.notifier.lifecycle import Alert, Silence, Timing, due, reconcile
from services.notifier.notify import OutboxEntry, digest_entries, due_meetings, outbox_entries, pack_entries
from services.notifier.rules import Finding, evaluate
from services.report.pack import meeting_pack
from shared.adapters.knownat import KnownAt, read_model_known_at
from shared.adapters.translations_store import Translations
from shared.clock import Clock
from shared.domain.catalog import TWG_PRIORITY
from shared.domain.liveview import LiveView
from shared.domain.review import Basis
from shared.domain.translations import ENGLISH_TEXTS
from shared.logging import get_logger

log = get_logger("cfa.notifier")


@dataclass(frozen=True)
class Evaluation:
    """A live evaluation: the alerts' states moved, notices queued."""

    as_of: date
    findings: int
    firing: int
    notices: int
    entries: int
    dry_run: bool = False


@dataclass(frozen=True)
class WouldFire:
    fingerprint: str
    kind: str
    subject: str
    severity: str
    summary: str

    @classmethod
    def of(cls, finding: Finding) -> WouldFire:
        return cls(
            finding.fingerprint, str(finding.kind), finding.subject, str(finding.severity), finding.summary
        )


@dataclass(frozen=True)
class DryRun:
    """What the rules find as of another date than today; nothing was changed or sent."""

    as_of: date
    would_fire: list[WouldFire]
    known_at: datetime | None = None  # figures from the events received by then; None: all
    figures: Basis = Basis.REPORTED  # over every reported figure, or the approved ones
    dry_run: bool = True


class AlertStore(Protocol):
    """What the evaluator keeps (services.notifier.store.NotifierStore in MongoDB)."""

    async def take_lease(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool: ...
    async def alerts(self) -> dict[str, Alert]: ...
    async def silences(self) -> list[Silence]: ...
    async def save(self, alerts: Iterable[Alert], entries: Sequence[OutboxEntry]) -> None: ...
    async def digest_due_at(self) -> datetime | None: ...
    async def save_digest(self, entries: Sequence[OutboxEntry], following: datetime) -> None: ...
    async def packs_sent(self) -> set[date]: ...
    async def save_pack(self, meeting: date, entries: Sequence[OutboxEntry]) -> None: ...
    async def request_evaluation(self, at: datetime) -> str: ...
    async def requested(self) -> list[str]: ...
    async def answer(self, request_id: str, answer: dict[str, Any]) -> None: ...
    async def answer_of(self, request_id: str) -> dict[str, Any] | None: ...
    async def forget_request(self, request_id: str) -> None: ...


def receivers_of(finding: Finding) -> list[str]:
    """Every alert to the Reference Group; alerts of priorities 1-3 also to their TWG."""
    groups = [slug for slug, priority in TWG_PRIORITY.items() if priority in finding.priorities]
    return [REFERENCE_GROUP, *groups]


class Evaluator:
    def __init__(
        self,
        view: LiveView,
        store: AlertStore,
        config: NotifierConfig,
        alerts_topic: str,
        clock: Clock,
        owner: str,
        lease: timedelta = timedelta(seconds=30),
        dashboard_url: str | None = None,
        known: KnownAt | None = None,
        translations: Translations | None = None,
    ) -> None:
        self._view, self._store = view, store
        self._translations = translations  # of the Call for Action's texts, for the meeting pack
        self._known = known  # figures as known at a past moment, for dry runs
        self._dashboard_url = dashboard_url  # the e-mails link each alert there
        self._config = config
        self._topic = alerts_topic
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self.last: Evaluation | None = None  # the latest evaluation this replica made
        self.last_at: datetime | None = None
        self._timing = Timing(config.group_wait, config.repeat_interval)
        self._lock = asyncio.Lock()

    @property
    def basis(self) -> Basis:
        """The figures the live evaluation is over (CFA_FIGURES)."""
        return self._view.basis

    async def evaluate(self) -> Evaluation | None:
        """Findings as of today (the services' clock) applied, due notices queued; None when
        another replica holds the evaluation lease. The live alerts only ever move forward
        with that clock: another date is a `dry_run`."""
        day = self._clock().date()
        return await self._step(evaluate(await self._view.read_model_off_loop(day)), day)

    async def dry_run(
        self, as_of: date, known_at: datetime | None = None, basis: Basis | None = None
    ) -> DryRun:
        """What would fire as of `as_of` (as known at `known_at`: the events received by
        then; over the figures of `basis`, default CFA_FIGURES), with nothing changed (no
        alert, no notice)."""
        if self._known is None:
            model = await self._view.read_model_off_loop(as_of, basis)
        else:
            model = await read_model_known_at(self._view, self._known, self._clock(), as_of, known_at, basis)
        return DryRun(as_of, [WouldFire.of(f) for f in evaluate(model)], known_at, model.figures)

    async def evaluate_anywhere(self, wait: float) -> Evaluation | None:
        """Evaluate here if this replica may; else ask the one holding the lease (through
        MongoDB) and wait up to `wait` seconds for its answer. None: nobody answered."""
        result = await self.evaluate()
        if result is not None:
            return result
        request_id = await self._store.request_evaluation(self._clock())
        try:
            deadline = asyncio.get_running_loop().time() + wait
            while asyncio.get_running_loop().time() < deadline:
                answer = await self._store.answer_of(request_id)
                if answer is not None:
                    return Evaluation(**{**answer, "as_of": date.fromisoformat(answer["as_of"])})
                await asyncio.sleep(0.1)
            return None
        finally:
            await self._store.forget_request(request_id)

    async def answer_requests(self) -> int:
        """Evaluate what other replicas were asked to (this one holds the lease)."""
        answered = 0
        for request_id in await self._store.requested():
            result = await self.evaluate()
            if result is None:
                break
            await self._store.answer(request_id, {**asdict(result), "as_of": result.as_of.isoformat()})
            answered += 1
        return answered

    async def flush(self) -> Evaluation | None:
        """Only the notices that time made due (group_wait passed, repeats, silence ends)."""
        return await self._step(None, self._clock().date())

    async def _step(self, findings: list[Finding] | None, day: date) -> Evaluation | None:
        async with self._lock:
            now = self._clock()
            if not await self._store.take_lease("evaluate", self._owner, now, self._lease):
                return None
            before = await self._store.alerts()
            alerts = reconcile(before, findings, now, receivers_of) if findings is not None else before
            updated, notices = due(alerts, now, self._timing, await self._store.silences())
            alerts = {**alerts, **updated}
            changed = [a for fp, a in alerts.items() if before.get(fp) != a]
            entries = outbox_entries(notices, self._config, self._topic, now, self._dashboard_url)
            await self._store.save(changed, entries)
            firing = sum(a.state == "firing" for a in alerts.values())
            if notices:
                log.info("notices queued", notices=len(notices), entries=len(entries), firing=firing)
            result = Evaluation(day, len(findings or []), firing, len(notices), len(entries))
            if findings is not None:
                self.last, self.last_at = result, now
            return result

    async def meeting_packs(self) -> int:
        """Queue the meeting pack of each meeting whose pack is due and not yet queued, once
        (on the replica holding the lease); answers how many e-mails were queued."""
        if not self._config.reference_group.email or not due_meetings(self._config, self._clock().date()):
            return 0  # nobody to send it to (it is not marked sent: an address added later gets it)
        async with self._lock:
            now = self._clock()
            if not await self._store.take_lease("evaluate", self._owner, now, self._lease):
                return 0
            queued = 0
            for meeting in sorted(
                set(due_meetings(self._config, now.date())) - await self._store.packs_sent()
            ):
                entries = await self._pack_entries(meeting, now)
                await self._store.save_pack(meeting, entries)
                queued += len(entries)
                log.info("meeting pack queued", meeting=meeting.isoformat(), emails=len(entries))
            return queued

    async def _pack_entries(self, meeting: date, now: datetime) -> list[OutboxEntry]:
        model = await self._view.read_model_off_loop(now.date())
        series = self._view.figures.of(model.figures).indexes.series
        firing = [
            {"severity": a.severity, "summary": a.summary, "phrases": a.phrases, "starts_at": a.starts_at}
            for a in (await self._store.alerts()).values()
            if a.state == "firing"
        ]
        pack = await asyncio.to_thread(meeting_pack, model, self._view.framework, series, now, firing)
        from services.report.pdf import document  # here: reportlab's memory only once a pack is due

        languages = self._config.reference_group.by_language()
        translations = self._translations
        if translations is not None:  # the official texts loaded by now, in each language
            await translations.refresh(self._view.framework)
        documents = {
            language: await asyncio.to_thread(
                document, pack, language, translations.texts(language) if translations else ENGLISH_TEXTS
            )
            for language in languages
        }
        return pack_entries(self._config, meeting, model.as_of, documents, now)

    async def digest(self) -> bool:
        """Queue the digest when its period has come; True when one was queued."""
        if self._config.digest is None:
            return False
        async with self._lock:
            now = self._clock()
            if not await self._store.take_lease("evaluate", self._owner, now, self._lease):
                return False
            due_at = await self._store.digest_due_at()
            send, following = next_digest(due_at, now, self._config.digest.every)
            entries = []
            if send and due_at is not None:
                model = await self._view.read_model_off_loop(now.date())
                alerts = (await self._store.alerts()).values()
                since = due_at - self._config.digest.every
                entries = digest_entries(
                    self._config, lambda words: digest_lines(model, alerts, since, words), due_at, now
                )
            if following != due_at:
                await self._store.save_digest(entries, following)
            return bool(entries)
