"""Intake's batch decision with hand-written fakes: duplicates, redeliveries, cache refresh."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta

from services.intake.pipeline import Accepted, Claim, IntakePipeline
from services.intake.receipts import refusal
from services.intake.submission import Verdict
from shared.clock import fixed_clock
from shared.dlq import Refused
from shared.events.codec import KafkaRecord, decode_event
from shared.events.models import EventType
from shared.events.rejections import Rejection, RejectionReason
from shared.projects import RegisteredProject
from tests.factories import NOW, activity_data, registered, registration_data
from tests.kafka_helpers import binary, sdk_event

PID = "PK-RETURN-01"


class FakeDirectory:
    def __init__(self, *projects: RegisteredProject) -> None:
        self.projects = {p.project_id: p for p in projects}
        self.forgotten: list[str] = []

    async def get_many(self, project_ids: Collection[str]) -> dict[str, RegisteredProject]:
        return {pid: self.projects[pid] for pid in project_ids if pid in self.projects}

    def forget(self, project_id: str) -> None:
        self.forgotten.append(project_id)


class FakeSeenStore:
    def __init__(self) -> None:
        self.owner: dict[str, str] = {}

    async def claim(self, claims: Sequence[Claim]) -> set[str]:
        taken = set()
        for c in claims:
            owner = self.owner.setdefault(c.key, c.position)
            if owner != c.position:
                taken.add(c.position)
        return taken

    async def known(self, keys: Collection[str]) -> set[str]:
        return {k for k in keys if k in self.owner}


def rec(offset: int, event_id: str, activity: str = "A-1") -> KafkaRecord:
    key, headers, value = binary(
        sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID, activity), event_id)
    )
    return KafkaRecord("raw", 0, offset, key, value, tuple(headers))


def pipeline(seen: FakeSeenStore | None = None, directory: FakeDirectory | None = None) -> IntakePipeline:
    return IntakePipeline(
        directory or FakeDirectory(registered(PID)),
        seen or FakeSeenStore(),
        fixed_clock(NOW),
        1 << 20,
        timedelta(minutes=5),
    )


def reasons(outcomes: list[Accepted | Refused]) -> list[str]:
    return ["accepted" if isinstance(o, Accepted) else str(o.rejection.reason) for o in outcomes]


async def test_a_resent_event_is_a_duplicate_even_within_one_batch() -> None:
    outcomes = await pipeline().process([rec(0, "e1"), rec(1, "e2"), rec(2, "e1")])
    assert reasons(outcomes) == ["accepted", "accepted", "duplicate"]
    refused = outcomes[2]
    assert isinstance(refused, Refused) and refused.rejection.fields == ("id",)


async def test_a_redelivered_message_is_not_a_duplicate() -> None:
    seen = FakeSeenStore()
    first = await pipeline(seen).process([rec(0, "e1"), rec(1, "e2")])
    again = await pipeline(seen).process([rec(0, "e1"), rec(1, "e2"), rec(5, "e1")])
    assert reasons(first) == ["accepted", "accepted"]
    assert reasons(again) == ["accepted", "accepted", "duplicate"]


async def test_a_refused_event_does_not_claim_its_id() -> None:
    seen = FakeSeenStore()
    directory = FakeDirectory()
    assert reasons(await pipeline(seen, directory).process([rec(0, "e1")])) == ["unknown_project"]
    directory.projects[PID] = registered(PID)
    assert reasons(await pipeline(seen, directory).process([rec(1, "e1")])) == ["accepted"]


async def test_outcomes_keep_the_order_of_the_batch() -> None:
    garbage = KafkaRecord("raw", 0, 1, None, b"{nope", ())
    outcomes = await pipeline().process([rec(0, "e1"), garbage, rec(2, "e2")])
    assert reasons(outcomes) == ["accepted", "schema", "accepted"]
    assert [o.record.offset for o in outcomes] == [0, 1, 2]


async def test_an_accepted_registration_refreshes_the_cached_entry() -> None:
    directory = FakeDirectory(registered(PID))
    key, headers, value = binary(sdk_event(EventType.PROJECT_REGISTERED, registration_data(PID)))
    outcomes = await pipeline(directory=directory).process(
        [KafkaRecord("raw", 0, 0, key, value, tuple(headers))]
    )
    assert reasons(outcomes) == ["accepted"]
    assert directory.forgotten == [PID]


async def test_refused_outcomes_carry_project_and_event_ids() -> None:
    key, headers, value = binary(
        sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID, notes="mail me: a@b.org"), "e9")
    )
    [outcome] = await pipeline().process([KafkaRecord("raw", 0, 0, key, value, tuple(headers))])
    assert isinstance(outcome, Refused)
    assert (outcome.rejection.reason, outcome.project_id, outcome.event_id) == (
        RejectionReason.PERSONAL_DATA,
        PID,
        "e9",
    )


async def test_a_dry_run_gives_the_verdict_of_process_and_records_nothing() -> None:
    seen = FakeSeenStore()
    await pipeline(seen).process([rec(0, "e1")])
    batch = [rec(1, "e1"), rec(2, "e2"), rec(3, "e2"), KafkaRecord("raw", 0, 4, None, b"{", ())]
    dry = await pipeline(seen).dry_run(batch)
    assert reasons(dry) == ["duplicate", "accepted", "duplicate", "schema"]
    assert set(seen.owner) == {"/projects/PK-RETURN-01#e1"}
    assert reasons(await pipeline(seen).process(batch)) == reasons(dry)


def test_a_batch_is_409_only_when_every_event_was_accepted_before() -> None:
    accepted = Accepted(rec(0, "new"), decode_event(rec(0, "new")))
    duplicate = Refused(rec(1, "old"), Rejection.of(RejectionReason.DUPLICATE, "id", "seen"), PID, "old")
    assert refusal(Verdict([duplicate, duplicate]), batch=True).status_code == 409
    mixed = refusal(Verdict([accepted, duplicate]), batch=True)
    assert mixed.status_code == 400 and "none published" in str(mixed.detail)
    assert [e["index"] for e in mixed.errors] == [1]
