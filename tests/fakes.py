"""Hand-written fakes of the services' collaborators, and what they start from, for the tests of
pure logic, so no test module imports another."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

from services.intake.pipeline import Claim, IntakePipeline
from shared.clock import fixed_clock
from shared.domain.projects import RegisteredProject
from shared.events.codec import KafkaRecord
from shared.events.models import ProjectRegistered
from shared.trust import ServiceKeys
from tests.factories import NOW, SECRETARIAT_KEY, registered

PID = "PK-RETURN-01"  # the project the fake registry holds


class FakeDirectory:
    def __init__(self, *projects: RegisteredProject) -> None:
        self.projects = {p.project_id: p for p in projects}

    async def get_many(self, project_ids: Collection[str]) -> dict[str, RegisteredProject]:
        return {pid: self.projects[pid] for pid in project_ids if pid in self.projects}

    async def apply(self, registrations: Iterable[tuple[ProjectRegistered, datetime]]) -> None:
        for data, at in registrations:
            before = self.projects[data.project_id]
            if before.registered_at <= at:
                self.projects[data.project_id] = before.model_copy(update={**dict(data), "registered_at": at})


KEYS = {ServiceKeys.INTAKE: b"i" * 32, ServiceKeys.SECRETARIAT: SECRETARIAT_KEY}


class FakeSeenStore:
    """The events the log stores, by source#id (the tests put them there: intake writes none
    but its claims of registrations, by position)."""

    def __init__(self) -> None:
        self.stored: set[str] = set()
        self.owner: dict[str, str] = {}

    async def claim(self, claims: Sequence[Claim]) -> set[str]:
        taken = set()
        for c in claims:
            if self.owner.setdefault(c.key, c.position) != c.position:
                taken.add(c.position)
        return taken

    async def known(self, keys: Collection[str]) -> set[str]:
        return {k for k in keys if k in self.stored}


def pipeline(seen: FakeSeenStore | None = None, directory: FakeDirectory | None = None) -> IntakePipeline:
    return IntakePipeline(
        directory or FakeDirectory(registered(PID)),
        seen or FakeSeenStore(),
        fixed_clock(NOW),
        1 << 20,
        timedelta(minutes=5),
        KEYS,
    )


def as_record(message: tuple[bytes | None, list[tuple[str, bytes]], bytes], offset: int = 0) -> KafkaRecord:
    key, headers, value = message
    return KafkaRecord("raw", 0, offset, key, value, tuple(headers))
