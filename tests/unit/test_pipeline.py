"""Intake's batch decision with hand-written fakes: duplicates, redeliveries, and who vouched."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from cloudevents.core.v1.event import CloudEvent

from services.intake.pipeline import Accepted
from services.intake.receipts import refusal
from services.intake.submission import Verdict
from shared.adapters.dlq import Refused
from shared.events.codec import KafkaRecord, decode_event
from shared.events.keys import ProjectKey
from shared.events.models import EventType
from shared.events.produce import signed
from shared.events.rejections import Rejection, RejectionReason
from shared.trust import SUBMITTED, VALIDATED, Principal, ServiceKeys, marked
from tests.factories import activity_data, project_key, registered, registration_data
from tests.fakes import KEYS, PID, FakeDirectory, FakeSeenStore, as_record, pipeline
from tests.kafka_helpers import binary, sdk_event


def rec(offset: int, event_id: str, activity: str = "A-1") -> KafkaRecord:
    key, headers, value = binary(
        sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID, activity), event_id)
    )
    return KafkaRecord("raw", 0, offset, key, value, tuple(headers))


def reasons(outcomes: list[Accepted | Refused]) -> list[str]:
    return ["accepted" if isinstance(o, Accepted) else str(o.rejection.reason) for o in outcomes]


def registration_record(offset: int, event_id: str, cadence: int) -> KafkaRecord:
    """The Secretariat's registration of PID with a reporting cadence, read at `offset`."""
    change = {**registration_data(PID), "reporting_cadence_days": cadence}
    return as_record(binary(sdk_event(EventType.PROJECT_REGISTERED, change, event_id)), offset)


async def test_intake_writes_nothing_per_event_the_log_tells_a_resend() -> None:
    """An event sent twice in a batch is refused at once; sent again later, it passes intake
    (the aggregator's write of the log refuses it and dead-letters it as a duplicate:
    tests/integration/test_event_store.py). Intake reads the log for none of them."""
    seen = FakeSeenStore()
    seen.stored.add("/projects/PK-RETURN-01#e1")
    looked: list[set[str]] = []
    known = seen.known

    async def counted(keys: Collection[str]) -> set[str]:
        looked.append(set(keys))
        return await known(keys)

    seen.known = counted  # type: ignore[method-assign]
    outcomes = await pipeline(seen).process([rec(0, "e1"), rec(1, "e2"), rec(2, "e1")])
    assert reasons(outcomes) == ["accepted", "accepted", "duplicate"] and looked == []  # twice in the batch
    again = await pipeline(seen).process([rec(0, "e1"), rec(5, "e2")])
    assert reasons(again) == ["accepted", "accepted"] and looked == []  # the log tells, later


async def test_a_resent_registration_changes_nothing_a_redelivered_one_is_no_duplicate() -> None:
    """A registration intake applies to the registry itself, before the log stores it: it is
    claimed by its raw position, so one sent again (in the batch or later, stored or not yet)
    changes nothing, and the same message redelivered is accepted again."""
    seen, directory = FakeSeenStore(), FakeDirectory(registered(PID))
    first = registration_record(0, "reg-1", cadence=30)
    outcomes = await pipeline(seen, directory).process([first, registration_record(1, "reg-1", cadence=60)])
    assert reasons(outcomes) == ["accepted", "duplicate"]
    assert directory.projects[PID].reporting_cadence_days == 30
    again = await pipeline(seen, directory).process([registration_record(5, "reg-1", cadence=90), first])
    assert (
        reasons(again) == ["duplicate", "accepted"] and directory.projects[PID].reporting_cadence_days == 30
    )


async def test_outcomes_keep_the_order_of_the_batch() -> None:
    garbage = KafkaRecord("raw", 0, 1, None, b"{nope", ())
    outcomes = await pipeline().process([rec(0, "e1"), garbage, rec(2, "e2")])
    assert reasons(outcomes) == ["accepted", "schema", "accepted"]
    assert [o.record.offset for o in outcomes] == [0, 1, 2]


async def test_only_a_signature_that_holds_vouches_for_an_event() -> None:
    activity = activity_data(PID)
    unsigned = as_record(binary(sdk_event(EventType.ACTIVITY_REPORTED, activity, "u1", sign=False)))
    other = ProjectKey.generate()
    forged = as_record(
        binary(signed(sdk_event(EventType.ACTIVITY_REPORTED, activity, "f1", sign=False), other.sign))
    )
    tampered_event = sdk_event(EventType.ACTIVITY_REPORTED, activity, "t1")
    tampered = CloudEvent(tampered_event.get_attributes(), {**activity, "title": "Something else"})
    outcomes = await pipeline().process([unsigned, forged, as_record(binary(tampered)), rec(3, "ok")])
    assert reasons(outcomes) == ["unauthenticated", "unauthenticated", "unauthenticated", "accepted"]
    # Nobody's credential sent the refused ones: they are recorded under no project.
    assert [o.project_id for o in outcomes if isinstance(o, Refused)] == [None, None, None]
    accepted = outcomes[3]
    assert isinstance(accepted, Accepted) and accepted.principal == Principal(PID)


async def test_a_replaced_signing_key_fails_at_once() -> None:
    directory = FakeDirectory(registered(PID))
    assert reasons(await pipeline(directory=directory).process([rec(0, "e1")])) == ["accepted"]
    new_key = ProjectKey.generate()
    directory.projects[PID] = registered(PID, signing_key=new_key.public_b64, signing_key_id=new_key.key_id)
    [old] = await pipeline(directory=directory).process([rec(1, "e2")])
    assert isinstance(old, Refused) and old.rejection.reason is RejectionReason.UNAUTHENTICATED
    assert "not project PK-RETURN-01's current signing key" in old.rejection.message
    fresh = signed(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "e3", sign=False), new_key.sign)
    assert reasons(await pipeline(directory=directory).process([as_record(binary(fresh))])) == ["accepted"]


async def test_a_project_signs_for_itself_only_and_the_secretariat_alone_registers() -> None:
    other = "PK-OTHER-02"
    directory = FakeDirectory(registered(PID), registered(other))
    for_other = sdk_event(EventType.ACTIVITY_REPORTED, activity_data(other), "x1", sign=False)
    signed_by_pid = as_record(binary(signed(for_other, project_key(PID).sign)))
    self_change = {**registration_data(PID), "reporting_cadence_days": 366}
    registration = sdk_event(EventType.PROJECT_REGISTERED, self_change, "r1", sign=False)
    self_registered = as_record(binary(signed(registration, project_key(PID).sign)), 1)
    change = {**registration_data(PID), "reporting_cadence_days": 30}
    by_secretariat = as_record(binary(sdk_event(EventType.PROJECT_REGISTERED, change, "r2")), 2)
    outcomes = await pipeline(directory=directory).process([signed_by_pid, self_registered, by_secretariat])
    assert reasons(outcomes) == ["unauthenticated", "not_permitted", "accepted"]
    # The Secretariat's registration is the registry's now; the project's own changed nothing.
    assert directory.projects[PID].reporting_cadence_days == 30
    assert outcomes[1].project_id == PID  # refused under the project whose key signed it
    assert isinstance(outcomes[2], Accepted) and outcomes[2].principal.is_secretariat


async def test_intakes_mark_of_an_http_submission_vouches_only_with_intakes_key() -> None:
    plain = as_record(binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "h1", sign=False)))
    genuine = marked(KEYS[ServiceKeys.INTAKE], SUBMITTED, Principal(PID), plain)
    forged = marked(b"x" * 32, SUBMITTED, Principal(PID), replace(plain, offset=1))
    validated_mark = marked(KEYS[ServiceKeys.INTAKE], VALIDATED, Principal(PID), replace(plain, offset=2))
    outcomes = await pipeline().dry_run([genuine, forged, validated_mark])
    assert reasons(outcomes) == ["accepted", "unauthenticated", "unauthenticated"]


async def test_a_callers_credential_vouches_for_what_it_posts() -> None:
    plain = as_record(binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(PID), "c1", sign=False)))
    assert reasons(await pipeline().dry_run([plain], Principal(PID))) == ["accepted"]
    [refused] = await pipeline().dry_run([plain], Principal("PK-OTHER-02"))
    assert isinstance(refused, Refused) and refused.rejection.reason is RejectionReason.NOT_PERMITTED
    assert refused.project_id == "PK-OTHER-02"  # the caller's, not the project the body names


async def test_a_signed_event_refused_by_its_schema_is_recorded_under_its_signer() -> None:
    bad = sdk_event(EventType.ACTIVITY_REPORTED, {**activity_data(PID), "kind": "picnic"}, "s1")
    [refused] = await pipeline().process([as_record(binary(bad))])
    assert isinstance(refused, Refused) and refused.rejection.reason is RejectionReason.SCHEMA
    assert refused.project_id == PID


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


async def test_a_dry_run_reads_the_log_and_records_nothing() -> None:
    """The verdict before the log's (HTTP's 409, `cfamon import`): stored before, or twice in
    the batch, is a duplicate."""
    seen = FakeSeenStore()
    seen.stored.add("/projects/PK-RETURN-01#e1")
    batch = [rec(1, "e1"), rec(2, "e2"), rec(3, "e2"), KafkaRecord("raw", 0, 4, None, b"{", ())]
    dry = await pipeline(seen).dry_run(batch)
    assert reasons(dry) == ["duplicate", "accepted", "duplicate", "schema"]
    assert seen.stored == {"/projects/PK-RETURN-01#e1"}


def test_a_batch_is_409_only_when_every_event_was_accepted_before() -> None:
    accepted = Accepted(rec(0, "new"), decode_event(rec(0, "new")), Principal(PID))
    duplicate = Refused(rec(1, "old"), Rejection.of(RejectionReason.DUPLICATE, "id", "seen"), PID, "old")
    assert refusal(Verdict([duplicate, duplicate]), batch=True).status_code == 409
    mixed = refusal(Verdict([accepted, duplicate]), batch=True)
    assert mixed.status_code == 400 and "none published" in str(mixed.detail)
    assert [e["index"] for e in mixed.errors] == [1]
