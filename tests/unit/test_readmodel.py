"""The read model from facts: corrections, withdrawals, and the figures a reader sees."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NotRequired, get_origin, get_type_hints

import pytest

from shared.domain.activities import ActivityIndex
from shared.domain.facts import ActivityRecord, MeasurementRecord, ProjectRecord, fact_of
from shared.domain.factset import FactSet
from shared.domain.jsonforms import JSON_FORMS
from shared.domain.readmodel import build_read_model
from shared.domain.status import Status, Thresholds
from shared.events.models import DATA_MODELS, EventType
from tests.factories import activity_data, measurement_data, milestone_data
from tests.readmodel_facts import FRAMEWORK, PID, T0, base_facts, fact, fold


def model(facts: list[Any], as_of: date) -> Any:
    return build_read_model(FactSet(facts), FRAMEWORK, as_of, Thresholds())


def test_figures_as_of_two_dates() -> None:
    # 2026-07-01: both measurements count, 320 of 1000; expected = (2026-07-01 - 2025-01-01) /
    # (2026-12-31 - 2025-01-01) = 546/729 = 0.749; ratio 0.427 -> behind.
    july = model(base_facts(), date(2026, 7, 1)).action_points["3.1"]
    [indicator] = july.indicators
    assert indicator.actual == 320 and indicator.progress == 0.32
    assert round(indicator.expected, 3) == 0.749 and indicator.status is Status.BEHIND
    assert july.status is Status.BEHIND and july.activity_count == 2
    assert july.last_activity_at == date(2026, 5, 10) and july.stale is False
    assert july.projects == [PID] and july.countries == ["AFG", "PAK"]
    # 2026-04-15: only the first quarter counts; A-2 has not started yet.
    april = model(base_facts(), date(2026, 4, 15)).action_points["3.1"]
    assert april.indicators[0].actual == 120 and april.activity_count == 1
    assert april.last_activity_at == date(2026, 3, 6)


def test_a_later_correction_replaces_and_an_earlier_one_arriving_late_does_not() -> None:
    corrected = fact(
        EventType.INDICATOR_MEASURED,
        measurement_data(PID, value=150, period_start="2026-01-01", period_end="2026-03-31"),
        10,
        "m1-fix",
    )
    stale_copy = fact(
        EventType.INDICATOR_MEASURED,
        measurement_data(PID, value=999, period_start="2026-01-01", period_end="2026-03-31"),
        -5,
        "m1-old",
    )
    as_of = date(2026, 7, 1)
    assert (
        model([*base_facts(), corrected, stale_copy], as_of).action_points["3.1"].indicators[0].actual == 350
    )
    assert (
        model([stale_copy, corrected, *base_facts()], as_of).action_points["3.1"].indicators[0].actual == 350
    )


def test_a_withdrawal_takes_a_report_out_and_a_later_report_brings_it_back() -> None:
    withdraw = fact(
        EventType.REPORT_WITHDRAWN, {"project_id": PID, "activity_id": "A-2", "reason": "duplicate"}, 20, "w1"
    )
    withdraw_m = fact(
        EventType.REPORT_WITHDRAWN,
        {
            "project_id": PID,
            "indicator_id": "ind-3.1-returnees-supported",
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "reason": "x",
        },
        21,
        "w2",
    )
    view = model([*base_facts(), withdraw, withdraw_m], date(2026, 7, 1)).action_points["3.1"]
    assert view.activity_count == 1 and view.indicators[0].actual == 120
    again = fact(
        EventType.ACTIVITY_REPORTED, activity_data(PID, "A-2", start_date="2026-05-10"), 30, "a2-again"
    )
    assert model([*base_facts(), withdraw, again], date(2026, 7, 1)).action_points["3.1"].activity_count == 2


def test_priorities_projects_and_countries() -> None:
    facts = [
        *base_facts(),
        fact(EventType.MILESTONE_UPDATED, milestone_data(PID, due_date="2026-03-01"), 5, "ms1"),
    ]
    rm = model(facts, date(2026, 7, 1))
    assert [p.id for p in rm.priorities] == [1, 2, 3, 4, 5, 6]
    p3 = rm.priorities[2]
    assert p3.twg == "return_reintegration" and len(p3.action_points) == 6
    # 3.1 behind; 3.2..3.6 have no indicators here and no activity: no_data -> a third or more.
    assert p3.status is Status.BEHIND
    project = rm.projects[PID]
    assert project.activity_count == 2 and project.participants.total == 48
    # Last report on 2026-01-10; 172 days of silence by 2026-07-01 > 1.5 x 90: behind.
    assert project.last_report_at == T0 + timedelta(minutes=5) and project.status is Status.BEHIND
    # On 2026-03-15 it reported 64 days ago (on track) but a milestone is overdue: at risk.
    march = model(facts, date(2026, 3, 15)).projects[PID]
    assert march.milestones[0].overdue is True and march.status is Status.AT_RISK
    assert rm.countries["PAK"].silk_routes is True and rm.countries["PAK"].action_points == {"3.1": 2}
    assert rm.countries["PAK"].name == "Pakistan"
    assert rm.countries["PAK"].route_roles == {"origin": 2}  # both activities name it the origin


def test_incremental_equals_fold_in_any_order() -> None:
    facts = base_facts()
    kept = FactSet(reversed(facts)).facts
    assert {key: f.version for key, f in kept.items()} == {key: f.version for key, f in fold(facts).items()}


def test_indexes_follow_changes_and_share_what_they_did_not_touch() -> None:
    facts = base_facts()
    live = FactSet(facts[:-1])
    before = live.indexes
    assert live.indexes is before  # nothing changed: the same indexes, no rebuild
    late = fact(
        EventType.ACTIVITY_REPORTED,
        activity_data(PID, "A-LATE", action_points=["1.1"], countries=[{"code": "TUR"}]),
        500,
        "e-late",
    )
    live.apply(late)
    after = live.indexes
    assert after is not before and after.version == before.version + 1
    assert after.by_action_point.get("3.1") is before.by_action_point.get("3.1")  # untouched: shared
    assert after.by_action_point.get("1.1") is not before.by_action_point.get("1.1")
    assert before.by_action_point.get("1.1").count(date(2027, 1, 1)) + 1 == after.by_action_point.get(
        "1.1"
    ).count(date(2027, 1, 1))
    everything = [*facts[:-1], late]
    for as_of in (date(2026, 2, 1), date(2027, 1, 1)):
        assert build_read_model(live, FRAMEWORK, as_of, Thresholds()) == model(everything, as_of)


def test_participants_beyond_64_bits_are_summed_exactly() -> None:
    huge = 2**62
    records = [
        ActivityRecord("P", ("3.1",), date(2026, 1, d), None, ("PAK",), (huge, huge, 0)) for d in (1, 2, 3)
    ]
    assert ActivityIndex(records).participants(date(2026, 1, 3)) == (3 * huge, 3 * huge, 0)
    assert ActivityIndex(records[:1]).participants(date(2026, 1, 3)) == (huge, huge, 0)


@pytest.mark.parametrize("event_type", list(EventType))
def test_each_stored_json_form_names_the_event_models_fields(event_type: EventType) -> None:
    """The fold reads each event's data by the names of its JSON form: a field renamed in the
    event contract fails here, and a name misspelt in the fold fails mypy."""
    form, model = JSON_FORMS[event_type], DATA_MODELS[event_type]
    assert set(form.__annotations__) == set(model.model_fields)
    optional = {name for name, f in model.model_fields.items() if not f.is_required()}
    hints = get_type_hints(form, include_extras=True)
    assert {name for name, hint in hints.items() if get_origin(hint) is NotRequired} == optional


def test_a_stored_event_becomes_a_typed_record() -> None:
    registered, a1, _, m1, _ = base_facts()
    assert isinstance(registered.record, ProjectRecord) and registered.record.start_date == date(2025, 1, 1)
    assert isinstance(a1.record, ActivityRecord) and a1.record.end == date(2026, 3, 6) and a1.record.counted
    assert isinstance(m1.record, MeasurementRecord) and m1.record.measurement.value == 120.0
    planned = fact(EventType.ACTIVITY_REPORTED, activity_data(PID, "A-9", status="planned"), 9, "a9")
    assert planned.record.counted is False and not planned.withdrawn
    assert fact(
        EventType.REPORT_WITHDRAWN, {"project_id": PID, "activity_id": "A-9", "reason": "x"}, 10, "w"
    ).withdrawn
    assert fact_of("org.example.unknown.v1", {"project_id": PID}, T0, "u") is None
