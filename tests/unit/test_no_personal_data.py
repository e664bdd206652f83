"""Intake's personal-data check: every string of data and envelope, named, never echoed."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.intake.checks import Context, no_personal_data
from shared.events.envelope import Envelope, Event
from shared.events.keys import ProjectKey
from shared.events.models import DATA_MODELS, EventType
from shared.events.rejections import RejectionReason
from shared.events.signing import SIGNATURE_ATTRIBUTE
from tests.factories import NOW, SAMPLES

PID = "PK-RETURN-01"
A = EventType.ACTIVITY_REPORTED
EMAIL = "ayesha.khan@example.org"
DISGUISED = "ayesha [at] example [dot] org"
PHONE = "+92 300 1234567"


def event(event_type: EventType, changes: dict[str, Any] | None = None, **envelope: Any) -> Event:
    attributes = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"/projects/{PID}",
        "type": str(event_type),
        "time": NOW,
        "partitionkey": PID,
        **envelope,
    }
    data = {**SAMPLES[event_type](PID), **(changes or {})}
    return Event(Envelope.model_validate(attributes), DATA_MODELS[event_type].model_validate(data))


def verdict(e: Event) -> tuple[RejectionReason, str, str] | None:
    rejection = no_personal_data(e, Context(None, NOW, timedelta(minutes=5)))
    return None if rejection is None else (rejection.reason, rejection.fields[0], rejection.message)


@pytest.mark.parametrize("event_type", list(EventType))
def test_valid_samples_pass(event_type: EventType) -> None:
    signature = ProjectKey.generate().sign(b"the signing input")
    assert verdict(event(event_type, **{SIGNATURE_ATTRIBUTE: str(signature), "subject": "A-1"})) is None


def test_a_signature_whose_key_id_reads_as_a_phone_number_passes() -> None:
    """A key id is 16 hex digits; about one in 1,800 keys has only decimal ones, which read as
    a phone number: every event such a project signed was refused as personal data."""
    signature = ProjectKey.generate().sign(b"the signing input")
    digits = f"0676580758991096.{str(signature).partition('.')[2]}"
    assert verdict(event(A, **{SIGNATURE_ATTRIBUTE: digits})) is None
    # Not of a signature's form: read as text, like any other extension.
    forged = "0676580758991096.not-a-signature"
    assert verdict(event(A, **{SIGNATURE_ATTRIBUTE: forged})) is not None


@pytest.mark.parametrize(
    ("event_type", "changes", "envelope", "field"),
    [
        (A, {"notes": f"Questions to {EMAIL}"}, {}, "data.notes"),
        (A, {"notes": f"Line one\nQuestions to {DISGUISED}"}, {}, "data.notes"),
        (A, {"title": f"Call {PHONE} to enrol"}, {}, "data.title"),
        (A, {"activity_id": "03001234567"}, {}, "data.activity_id"),
        (A, {"activity_id": EMAIL}, {}, "data.activity_id"),
        (EventType.INDICATOR_MEASURED, {"indicator_id": "+923001234567"}, {}, "data.indicator_id"),
        (EventType.MILESTONE_UPDATED, {"milestone_id": "ayesha(at)example.org"}, {}, "data.milestone_id"),
        (EventType.MILESTONE_UPDATED, {"title": "Ask 0300-1234567"}, {}, "data.title"),
        (EventType.PROJECT_REGISTERED, {"implementer": f"NGO, {PHONE}"}, {}, "data.implementer"),
        (EventType.REPORT_WITHDRAWN, {"reason": f"asked by {EMAIL}"}, {}, "data.reason"),
        (A, {}, {"id": PHONE}, "id"),
        (A, {}, {"id": EMAIL}, "id"),
        (A, {}, {"subject": f"from {DISGUISED}"}, "subject"),
        (A, {}, {"subject": "call 0300 1234567"}, "subject"),
        (A, {}, {"cfacontact": DISGUISED}, "extension cfacontact"),
        (A, {}, {"cfaphone": "00923001234567"}, "extension cfaphone"),
        (A, {}, {"cfameta": {"who": [EMAIL]}}, "extension cfameta"),
        (A, {}, {"cfameta": {EMAIL: 1}}, "extension cfameta"),
        (A, {}, {SIGNATURE_ATTRIBUTE: PHONE}, f"extension {SIGNATURE_ATTRIBUTE}"),
        (A, {}, {EMAIL: "x"}, "extension attribute name"),
        (A, {}, {"datacontenttype": f"application/json; by={EMAIL}"}, "datacontenttype"),
    ],
)
def test_refused_naming_the_field_and_never_the_value(
    event_type: EventType, changes: dict[str, Any], envelope: dict[str, Any], field: str
) -> None:
    found = verdict(event(event_type, changes, **envelope))
    assert found is not None
    reason, named, message = found
    assert (reason, named) == (RejectionReason.PERSONAL_DATA, field)
    assert message.startswith(f"{field}: contains a")
    assert not re.search(r"\d", message), message  # no digit of a phone number
    for part in ("ayesha", "khan", "example", "org"):
        assert part not in message, message


def test_what_kind_is_said() -> None:
    assert verdict(event(A, {"notes": EMAIL})) == (
        RejectionReason.PERSONAL_DATA,
        "data.notes",
        "data.notes: contains an e-mail address: events carry aggregates only, never personal data",
    )
    assert verdict(event(A, {}, subject=PHONE)) == (
        RejectionReason.PERSONAL_DATA,
        "subject",
        "subject: contains a phone number: events carry aggregates only, never personal data",
    )


def test_ids_that_only_look_numeric_pass() -> None:
    for event_id in ["act-2026-0042", "86ac003f-0832-4314-bfbc-16373f05f22b", "2026-03-02T10:00:00Z"]:
        assert verdict(event(A, {"activity_id": "A-2026-0042"}, id=event_id)) is None
