"""The content checks of DESIGN §3, one table row per way an event is refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.intake.checks import Context, check_event
from shared.domain.projects import RegisteredProject
from shared.events.envelope import Envelope, Event
from shared.events.models import DATA_MODELS, EventType
from shared.events.rejections import RejectionReason
from shared.trust import SECRETARIAT_EVENTS, Principal, Unproven
from tests.factories import NOW, SAMPLES, registered

PID = "PK-RETURN-01"
SKEW = timedelta(minutes=5)


def event(event_type: EventType, data: dict[str, Any], **envelope: Any) -> Event:
    attributes = {
        "specversion": "1.0",
        "id": "e-1",
        "source": f"/projects/{PID}",
        "type": str(event_type),
        "time": NOW,
        "partitionkey": PID,
        **envelope,
    }
    return Event(Envelope.model_validate(attributes), DATA_MODELS[event_type].model_validate(data))


INDICATORS = frozenset({"ind-3.1-returnees-supported"})


def verdict(
    e: Event, project: RegisteredProject | None, principal: Principal | Unproven | None = None
) -> tuple[RejectionReason, str] | None:
    """The check's answer, for the event sent by who may send it unless `principal` says otherwise."""
    by = principal if principal is not None else Principal.entitled(e.type, e.project_id)
    rejection = check_event(e, Context(project, NOW, SKEW, INDICATORS, by))
    return None if rejection is None else (rejection.reason, rejection.fields[0])


def test_an_event_nobody_vouched_for_is_unauthenticated() -> None:
    activity = event(EventType.ACTIVITY_REPORTED, SAMPLES[EventType.ACTIVITY_REPORTED](PID))
    rejection = check_event(activity, Context(registered(PID), NOW, SKEW, INDICATORS, None))
    assert rejection is not None and rejection.reason is RejectionReason.UNAUTHENTICATED
    forged = verdict(activity, registered(PID), Unproven("the signature does not hold"))
    assert forged == (RejectionReason.UNAUTHENTICATED, "cfasignature")


@pytest.mark.parametrize("event_type", sorted(set(EventType) - SECRETARIAT_EVENTS))
def test_a_project_reports_for_itself_only(event_type: EventType) -> None:
    e = event(event_type, SAMPLES[event_type](PID))
    assert verdict(e, registered(PID), Principal(PID)) is None
    assert verdict(e, registered(PID), Principal("OTHER-1")) == (RejectionReason.NOT_PERMITTED, "type")
    assert verdict(e, registered(PID), Principal.secretariat()) == (RejectionReason.NOT_PERMITTED, "type")


@pytest.mark.parametrize("event_type", sorted(SECRETARIAT_EVENTS))
def test_only_the_secretariat_registers_projects_and_reviews_figures(event_type: EventType) -> None:
    e = event(event_type, SAMPLES[event_type](PID))
    assert verdict(e, registered(PID), Principal.secretariat()) is None
    assert verdict(e, registered(PID), Principal(PID)) == (RejectionReason.NOT_PERMITTED, "type")


@pytest.mark.parametrize("event_type", list(EventType))
def test_valid_samples_pass(event_type: EventType) -> None:
    assert verdict(event(event_type, SAMPLES[event_type](PID)), registered(PID)) is None


A = EventType.ACTIVITY_REPORTED
R = RejectionReason


@pytest.mark.parametrize(
    ("case", "event_type", "changes", "envelope", "expected"),
    [
        ("other project in data", A, {"project_id": "OTHER-1"}, {}, (R.SOURCE_MISMATCH, "data.project_id")),
        ("key of another project", A, {}, {"partitionkey": "OTHER-1"}, (R.SOURCE_MISMATCH, "partitionkey")),
        (
            "action point not in catalog",
            A,
            {"action_points": ["3.1", "7.1"]},
            {},
            (R.UNKNOWN_ACTION_POINT, "data.action_points[1]"),
        ),
        (
            "action point not the project's",
            A,
            {"action_points": ["6.8"]},
            {},
            (R.UNKNOWN_ACTION_POINT, "data.action_points[0]"),
        ),
        (
            "milestone action point",
            EventType.MILESTONE_UPDATED,
            {"action_point": "9.1"},
            {},
            (R.UNKNOWN_ACTION_POINT, "data.action_point"),
        ),
        (
            "before the period",
            A,
            {"start_date": "2024-12-31", "end_date": None},
            {},
            (R.DATE_OUT_OF_RANGE, "data.start_date"),
        ),
        (
            "after the project",
            A,
            {"start_date": "2028-01-02", "end_date": None},
            {},
            (R.DATE_OUT_OF_RANGE, "data.start_date"),
        ),
        ("ends before it starts", A, {"end_date": "2026-03-01"}, {}, (R.DATE_OUT_OF_RANGE, "data.end_date")),
        (
            "measured after 2030",
            EventType.INDICATOR_MEASURED,
            {"period_end": "2031-01-31"},
            {},
            (R.DATE_OUT_OF_RANGE, "data.period_end"),
        ),
        (
            "period backwards",
            EventType.INDICATOR_MEASURED,
            {"period_end": "2025-12-31"},
            {},
            (R.DATE_OUT_OF_RANGE, "data.period_end"),
        ),
        (
            "milestone due 2031",
            EventType.MILESTONE_UPDATED,
            {"due_date": "2031-03-01"},
            {},
            (R.DATE_OUT_OF_RANGE, "data.due_date"),
        ),
        ("time in the future", A, {}, {"time": NOW + timedelta(hours=1)}, (R.DATE_OUT_OF_RANGE, "time")),
        (
            "e-mail in notes",
            A,
            {"notes": "contact ayesha.khan@example.org"},
            {},
            (R.PERSONAL_DATA, "data.notes"),
        ),
        (
            "phone in title",
            A,
            {"title": "Call +92 300 1234567 to enrol"},
            {},
            (R.PERSONAL_DATA, "data.title"),
        ),
        (
            "e-mail as activity id",
            A,
            {"activity_id": "a.b@example.org"},
            {},
            (R.PERSONAL_DATA, "data.activity_id"),
        ),
        ("e-mail in subject", A, {}, {"subject": "from x@example.org"}, (R.PERSONAL_DATA, "subject")),
        (
            "e-mail in withdrawal",
            EventType.REPORT_WITHDRAWN,
            {"reason": "asked by j@x.org"},
            {},
            (R.PERSONAL_DATA, "data.reason"),
        ),
    ],
)
def test_refusals(
    case: str,
    event_type: EventType,
    changes: dict[str, Any],
    envelope: dict[str, Any],
    expected: tuple[R, str],
) -> None:
    data = {k: v for k, v in {**SAMPLES[event_type](PID), **changes}.items() if v is not None}
    assert verdict(event(event_type, data, **envelope), registered(PID)) == expected, case


def test_unknown_indicator() -> None:
    data = {**SAMPLES[EventType.INDICATOR_MEASURED](PID), "indicator_id": "ind-9.9-nothing"}
    assert verdict(event(EventType.INDICATOR_MEASURED, data), registered(PID)) == (
        R.UNKNOWN_INDICATOR,
        "data.indicator_id",
    )
    # Without a framework at hand (the CLI), indicators are not checked.
    context = Context(registered(PID), NOW, SKEW, principal=Principal(PID))
    assert check_event(event(EventType.INDICATOR_MEASURED, data), context) is None


def test_unregistered_project() -> None:
    assert verdict(event(A, SAMPLES[A](PID)), None) == (R.UNKNOWN_PROJECT, "data.project_id")


def test_project_registration_may_start_before_the_period() -> None:
    data = {**SAMPLES[EventType.PROJECT_REGISTERED](PID), "start_date": "2023-06-01"}
    project = registered(PID, start_date=date(2023, 6, 1))
    assert verdict(event(EventType.PROJECT_REGISTERED, data), project) is None


def test_project_registration_wholly_before_the_period() -> None:
    data = {
        **SAMPLES[EventType.PROJECT_REGISTERED](PID),
        "start_date": "2022-01-01",
        "end_date": "2024-06-30",
    }
    assert verdict(event(EventType.PROJECT_REGISTERED, data), registered(PID)) == (
        R.DATE_OUT_OF_RANGE,
        "data.end_date",
    )


def test_source_mismatch_comes_before_unknown_project() -> None:
    data = {**SAMPLES[A](PID), "project_id": "OTHER-1"}
    assert verdict(event(A, data), None) == (R.SOURCE_MISMATCH, "data.project_id")
