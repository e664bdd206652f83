"""Intake's decision for a batch of raw messages: accepted (with its event and who vouched for
it) or refused (why, attributed to the credential that sent it, if any)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.intake.checks import Context, check_event
from services.intake.vouching import Vouch, verify_proof
from shared.adapters.dlq import Refused, duplicate
from shared.clock import Clock
from shared.domain.projects import RegisteredProject
from shared.events.codec import KafkaRecord, claims_of, decode_event
from shared.events.envelope import SOURCE_PATTERN, Event
from shared.events.models import ProjectRegistered
from shared.events.rejections import Rejected, Rejection
from shared.events.signing import Proof
from shared.trust import SUBMITTED, Keys, Principal, ServiceKeys, vouched_by


@dataclass(frozen=True)
class Accepted:
    record: KafkaRecord
    event: Event
    principal: Principal


Outcome = Accepted | Refused


class ProjectDirectory(Protocol):
    """The registry, read for every batch (no cache): a replaced key fails at once."""

    async def get_many(self, project_ids: Collection[str]) -> dict[str, RegisteredProject]: ...

    async def apply(self, registrations: Iterable[tuple[ProjectRegistered, datetime]]) -> None:
        """The Secretariat's accepted registrations, so the registry says what the log says."""
        ...


@dataclass(frozen=True)
class Claim:
    """A message claiming an event identity; `position` tells a redelivery from a re-send."""

    key: str
    position: str


class SeenStore(Protocol):
    async def claim(self, claims: Sequence[Claim]) -> set[str]:
        """Record the claims (registrations only); answer the positions whose key another
        message claimed first."""
        ...

    async def known(self, keys: Collection[str]) -> set[str]:
        """The keys (source#id) of the events stored before (a read: nothing recorded)."""
        ...


@dataclass(frozen=True)
class _Read:
    """A record decoded (event) or not (rejection), with the proof of origin it carried."""

    record: KafkaRecord
    event: Event | None
    rejection: Rejection | None
    proof: Proof | None


class IntakePipeline:
    def __init__(
        self,
        projects: ProjectDirectory,
        seen: SeenStore,
        clock: Clock,
        max_event_bytes: int,
        max_clock_skew: timedelta,
        keys: Keys,
        indicators: Callable[[], frozenset[str] | None] = lambda: None,
    ) -> None:
        self._projects = projects
        self._seen = seen
        self._keys = keys
        self._clock = clock
        self._max_bytes = max_event_bytes
        self._max_skew = max_clock_skew
        self._indicators = indicators

    async def process(self, records: Sequence[KafkaRecord]) -> list[Outcome]:
        """One outcome per record, in order. Intake writes nothing per event: an event sent
        again in a later batch is told where the log stores it (the aggregator's one write,
        `_id` = source#id) and dead-lettered there as a duplicate; one sent twice in a batch
        is refused here. A registration, which intake applies to the registry itself before
        the log stores it, is claimed first (rare: the Secretariat's), so a re-sent one
        changes nothing, and a redelivered one is no duplicate."""
        checked = await self.check(records)
        registrations = [
            Claim(o.event.key, o.record.position)
            for o in checked
            if isinstance(o, Accepted) and isinstance(o.event.data, ProjectRegistered)
        ]
        claimed_before = await self._seen.claim(registrations) if registrations else set()
        claimed = {c.key for c in registrations}  # their claims decide, in the batch too
        final = [
            _duplicate(o) if isinstance(o, Accepted) and o.record.position in claimed_before else o
            for o in self._duplicates_marked(checked, set(), claimed)
        ]
        await self._projects.apply(
            (o.event.data, o.event.envelope.time)
            for o in final
            if isinstance(o, Accepted) and isinstance(o.event.data, ProjectRegistered)
        )
        return final

    async def dry_run(self, records: Sequence[KafkaRecord], caller: Principal | None = None) -> list[Outcome]:
        """The verdict `process` would give, duplicates included, with nothing recorded;
        `caller`: the credential of an HTTP request, which vouches for its events."""
        checked = await self.check(records, caller)
        known = await self._seen.known({o.event.key for o in checked if isinstance(o, Accepted)})
        return self._duplicates_marked(checked, known)

    @staticmethod
    def _duplicates_marked(
        checked: list[Outcome], known: set[str], exempt: Collection[str] = ()
    ) -> list[Outcome]:
        """`checked` with each accepted event stored before (`known`), or earlier in the
        batch, refused as a duplicate (but those `exempt`: decided otherwise)."""
        first: set[str] = set()
        final: list[Outcome] = []
        for outcome in checked:
            if isinstance(outcome, Accepted) and outcome.event.key in exempt:
                pass
            elif isinstance(outcome, Accepted) and (outcome.event.key in known or outcome.event.key in first):
                outcome = _duplicate(outcome)
            elif isinstance(outcome, Accepted):
                first.add(outcome.event.key)
            final.append(outcome)
        return final

    async def check(self, records: Sequence[KafkaRecord], caller: Principal | None = None) -> list[Outcome]:
        """Decode, find who vouched, and every rule but `duplicate`, in order."""
        # Decoding and checking are CPU work (canonical JSON, signatures, the personal-data
        # scan): done in a worker thread, so the event loop keeps answering HTTP and keeps the
        # consumer's heartbeats going however hard a batch is to check.
        reads = await asyncio.to_thread(lambda: [self._decode(record) for record in records])
        projects = await self._projects.get_many(_named_projects(reads))
        now, indicators = self._clock(), self._indicators()
        return await asyncio.to_thread(
            lambda: [self._judge(read, caller, projects, now, indicators) for read in reads]
        )

    def _decode(self, record: KafkaRecord) -> _Read:
        try:
            event = decode_event(record, self._max_bytes)
        except Rejected as rejected:
            return _Read(record, None, rejected.rejection, rejected.proof)
        return _Read(record, event, None, event.proof)

    def _judge(
        self,
        read: _Read,
        caller: Principal | None,
        projects: dict[str, RegisteredProject],
        now: datetime,
        indicators: frozenset[str] | None,
    ) -> Outcome:
        principal = caller or self._vouch(read, projects)
        # A refusal is recorded under the project whose credential sent it, never under one
        # the message merely names.
        sender = principal.project_id if isinstance(principal, Principal) else None
        if read.event is None:
            assert read.rejection is not None
            claimed_id = None if "id" in read.rejection.fields else claims_of(read.record).id
            return Refused(read.record, read.rejection, sender, claimed_id)
        event = read.event
        context = Context(projects.get(event.project_id), now, self._max_skew, indicators, principal)
        rejection = check_event(event, context)
        if rejection is not None:
            # The id is not repeated when it is what was refused (it may be personal data).
            event_id = None if "id" in rejection.fields else event.envelope.id
            return Refused(read.record, rejection, sender, event_id)
        assert isinstance(principal, Principal)  # the `authenticated` check passed
        return Accepted(read.record, event, principal)

    def _vouch(self, read: _Read, projects: dict[str, RegisteredProject]) -> Vouch:
        """Intake's own mark of an HTTP submission, else the event's signature, else nothing."""
        marked = vouched_by(self._keys[ServiceKeys.INTAKE], SUBMITTED, read.record)
        if marked is not None or read.proof is None:
            return marked
        return verify_proof(read.proof, projects, self._keys[ServiceKeys.SECRETARIAT])


def _named_projects(reads: Sequence[_Read]) -> set[str]:
    """The projects the batch names: in data, and in the sources whose keys sign."""
    named = {read.event.project_id for read in reads if read.event is not None}
    for read in reads:
        match = SOURCE_PATTERN.match(read.proof.source) if read.proof is not None else None
        if match is not None:
            named.add(match["project_id"])
    return named


def _duplicate(outcome: Accepted) -> Refused:
    envelope = outcome.event.envelope
    return duplicate(outcome.record, envelope.source, envelope.id, outcome.principal.project_id)
