"""Evaluation and delivery: findings of the read model into alert states and outbox
entries (in one transaction), and the outbox out through the channels.

Replicas share the work safely: an evaluation runs under a lease in MongoDB (one replica at
a time), entries have deterministic ids (made once), and each entry is claimed by one
sender; a sender that dies leaves a claim that runs out, and another sends it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from services.notifier.channels import Channels
from services.notifier.config import REFERENCE_GROUP, NotifierConfig
from services.notifier.digest import digest_lines, next_digest
from services.notifier.failures import Permanent, Transient, error_text, retry_delay
from services.notifier.lifecycle import Timing, due, reconcile
from services.notifier.notify import DeliveryOutcome, OutboxEntry, Outcome, digest_entry, outbox_entries
from services.notifier.rules import Finding, evaluate
from services.notifier.store import NotifierStore
from shared.catalog import TWG_PRIORITY
from shared.clock import Clock
from shared.liveview import LiveView
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
    dry_run: bool = True


def receivers_of(finding: Finding) -> list[str]:
    """Every alert to the Reference Group; alerts of priorities 1-3 also to their TWG."""
    groups = [slug for slug, priority in TWG_PRIORITY.items() if priority in finding.priorities]
    return [REFERENCE_GROUP, *groups]


class Evaluator:
    def __init__(
        self,
        view: LiveView,
        store: NotifierStore,
        mongo: AsyncMongoClient[dict[str, Any]],
        config: NotifierConfig,
        alerts_topic: str,
        clock: Clock,
        owner: str,
        lease: timedelta = timedelta(seconds=30),
        dashboard_url: str | None = None,
    ) -> None:
        self._view, self._store, self._mongo = view, store, mongo
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

    async def evaluate(self) -> Evaluation | None:
        """Findings as of today (the services' clock) applied, due notices queued; None when
        another replica holds the evaluation lease. The live alerts only ever move forward
        with that clock: another date is a `dry_run`."""
        day = self._clock().date()
        return await self._step(evaluate(await self._view.read_model_off_loop(day)), day)

    async def dry_run(self, as_of: date) -> DryRun:
        """What would fire as of `as_of`, with nothing changed (no alert, no notice)."""
        findings = evaluate(await self._view.read_model_off_loop(as_of))
        return DryRun(as_of, [WouldFire.of(f) for f in findings])

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
            async with self._mongo.start_session() as session, await session.start_transaction():
                await self._store.save(changed, entries, session)
            firing = sum(a.state == "firing" for a in alerts.values())
            if notices:
                log.info("notices queued", notices=len(notices), entries=len(entries), firing=firing)
            result = Evaluation(day, len(findings or []), firing, len(notices), len(entries))
            if findings is not None:
                self.last, self.last_at = result, now
            return result

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
            entry = None
            if send and due_at is not None:
                lines = digest_lines(
                    await self._view.read_model_off_loop(now.date()),
                    (await self._store.alerts()).values(),
                    due_at - self._config.digest.every,
                )
                entry = digest_entry(self._config, lines, due_at, now)
            if following != due_at:
                async with self._mongo.start_session() as session, await session.start_transaction():
                    await self._store.save([], [entry] if entry else [], session)
                    await self._store.set_digest_due_at(following, session)
            return entry is not None


class Deliverer:
    """Sends what the outbox holds, claiming each entry first (`batch` at a time, each claim
    good for `claim`); `drain` lets the sends in hand finish and takes no more."""

    def __init__(
        self,
        store: NotifierStore,
        channels: Channels,
        clock: Clock,
        owner: str,
        claim: timedelta = timedelta(seconds=60),
        batch: int = 20,
        seed: int | None = None,
        on_outcome: Callable[[OutboxEntry, Outcome], None] = lambda entry, outcome: None,
    ) -> None:
        self._store = store
        self._channels = channels
        self._clock = clock
        self._owner = owner
        self._claim = claim
        self._batch = batch
        self._rng = random.Random(seed)
        self._on_outcome = on_outcome
        self._draining = False
        self._round: asyncio.Future[int] | None = None

    async def deliver_due(self) -> int:
        """Claim and send what is due; the round is shielded: a stop cancels the loop around
        it, never a send half-way (see `drain`)."""
        if self._draining:
            return 0
        self._round = asyncio.ensure_future(self._claim_and_deliver())
        return await asyncio.shield(self._round)

    async def _claim_and_deliver(self) -> int:
        entries = await self._store.claim_due(self._owner, self._clock(), self._claim, self._batch)
        # Sent side by side, marked in one write. Before, one claim and one mark per entry,
        # the marks concurrent, made the database retry conflicting writes: 1,043
        # notifications took 53 s to deliver; claimed and marked per round, 7 s.
        outcomes = await asyncio.gather(*(self._deliver(e) for e in entries))
        await self._store.mark(outcomes, self._clock())
        for done in outcomes:
            self._on_outcome(done.entry, done.outcome)
        return len(entries)

    async def drain(self, grace: float) -> None:
        """Take no more entries; wait (at most `grace` seconds) for the round in hand to be
        sent and marked, so a stop makes no duplicate. What is still unmarked after that is
        sent by a replica once its claim runs out."""
        self._draining = True
        if self._round is not None and not self._round.done():
            await asyncio.wait({self._round}, timeout=grace)

    async def _deliver(self, entry: OutboxEntry) -> DeliveryOutcome:
        """How sending one entry went; never raises, so one entry cannot hold up its round."""
        try:
            await self._channels.deliver(entry)
        except Permanent as error:
            text = error_text(error)
            log.warning("notification failed for good", id=entry.id, channel=entry.channel, error=text)
            return DeliveryOutcome(entry, "failed", text)
        except Exception as error:  # Transient, or unforeseen while sending: tried again, never lost
            text = error_text(error)
            if not isinstance(error, Transient):
                text = f"{type(error).__name__}: {text}"
            retry_at = self._clock() + retry_delay(entry.attempts, self._rng)
            log.info("notification to retry", id=entry.id, channel=entry.channel, error=text)
            return DeliveryOutcome(entry, "retry", text, retry_at)
        return DeliveryOutcome(entry, "sent")
