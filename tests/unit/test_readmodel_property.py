"""For any events, in any order, with duplicates, corrections, late arrivals and withdrawals:
the incrementally kept facts equal the fold of the final event set, and so do the figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.facts import Fact, fact_of
from shared.domain.factset import FactSet
from shared.domain.readmodel import build_read_model
from shared.domain.review import Basis, Figures
from shared.domain.status import Thresholds
from shared.events.models import EventType
from tests.factories import activity_data, registration_data
from tests.readmodel_facts import FRAMEWORK, PID, T0, fold

QUARTERS = [("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30")]


@st.composite
def events(draw: st.DrawFn) -> Fact:
    minute = draw(st.integers(0, 20))  # few distinct times: ties happen
    kind = draw(st.sampled_from(["activity", "measurement", "withdraw_activity", "withdraw_measurement"]))
    activity_id = draw(st.sampled_from(["A-1", "A-2", "A-3"]))
    start, end = draw(st.sampled_from(QUARTERS))
    data: dict[str, Any]
    if kind == "activity":
        event_type = EventType.ACTIVITY_REPORTED
        day = date(2026, 1, 5) + timedelta(days=draw(st.integers(0, 250)))
        data = activity_data(
            PID,
            activity_id,
            start_date=day.isoformat(),
            end_date=None,
            status=draw(st.sampled_from(["planned", "ongoing", "completed", "cancelled"])),
            action_points=draw(st.sampled_from([["3.1"], ["3.2"], ["3.1", "1.2"]])),
        )
    elif kind == "measurement":
        event_type = EventType.INDICATOR_MEASURED
        data = {
            "project_id": PID,
            "indicator_id": "ind-3.1-returnees-supported",
            "value": draw(st.integers(0, 500)),
            "period_start": start,
            "period_end": end,
        }
    elif kind == "withdraw_activity":
        event_type = EventType.REPORT_WITHDRAWN
        data = {"project_id": PID, "activity_id": activity_id, "reason": "x"}
    else:
        event_type = EventType.REPORT_WITHDRAWN
        data = {
            "project_id": PID,
            "indicator_id": "ind-3.1-returnees-supported",
            "period_start": start,
            "period_end": end,
            "reason": "x",
        }
    fact = fact_of(str(event_type), data, T0 + timedelta(minutes=minute), "to be numbered")
    assert fact is not None
    return fact


REGISTRATION = fact_of(str(EventType.PROJECT_REGISTERED), registration_data(PID), T0, "r")


@settings(max_examples=150, deadline=None)
@given(st.lists(events(), min_size=1, max_size=25), st.randoms(use_true_random=False), st.data())
def test_incremental_equals_the_fold_of_the_final_set(
    sent: list[Fact], rnd: Any, data: st.DataObject
) -> None:
    # (source, id) is unique per event: a re-sent one is the same fact again (a duplicate).
    final = [REGISTRATION, *(replace(f, event_id=f"e{n:02d}") for n, f in enumerate(sent))]
    duplicates = data.draw(st.lists(st.sampled_from(final), max_size=10))
    arrival = [*final, *duplicates]
    rnd.shuffle(arrival)
    incremental = FactSet()
    reads = data.draw(st.lists(st.booleans(), min_size=len(arrival), max_size=len(arrival)))
    for fact, read in zip(arrival, reads, strict=True):
        incremental.apply(fact)
        if read:  # indexes made between arrivals are then changed, not made again
            build_read_model(incremental, FRAMEWORK, date(2026, 7, 1), Thresholds())
    # The same winning event for every key (the set keeps records, not the events' data).
    assert {k: f.event_id for k, f in incremental.facts.items()} == {
        k: f.event_id for k, f in fold(final).items()
    }
    rebuilt = FactSet(fold(final).values())
    for as_of in (date(2026, 2, 1), date(2026, 7, 1), date(2027, 1, 1)):
        assert build_read_model(incremental, FRAMEWORK, as_of, Thresholds()) == build_read_model(
            rebuilt, FRAMEWORK, as_of, Thresholds()
        )


@st.composite
def reviewed_events(draw: st.DrawFn) -> Fact:
    """A report (as `events` draws them) or the Secretariat's review of one of its versions."""
    if not draw(st.booleans()):
        return draw(events())
    start, end = draw(st.sampled_from(QUARTERS))
    target = draw(
        st.sampled_from(
            [
                {"activity_id": draw(st.sampled_from(["A-1", "A-2", "A-3"]))},
                {"indicator_id": "ind-3.1-returnees-supported", "period_start": start, "period_end": end},
            ]
        )
    )
    data = {
        "project_id": PID,
        **target,
        "event_id": f"e{draw(st.integers(0, 24)):02d}",  # a version of those drawn, or none
        "decision": draw(st.sampled_from(["approved", "returned"])),
        "comment": "check",
        "reviewer": "S",
    }
    fact = fact_of(
        str(EventType.FIGURE_REVIEWED), data, T0 + timedelta(minutes=draw(st.integers(0, 20))), "r"
    )
    assert fact is not None
    return fact


@settings(max_examples=150, deadline=None)
@given(st.lists(reviewed_events(), min_size=1, max_size=25), st.randoms(use_true_random=False), st.data())
def test_both_bases_at_every_moment_equal_the_fold_of_what_had_arrived(
    sent: list[Fact], rnd: Any, data: st.DataObject
) -> None:
    """Reviews and reports in any order, with duplicates: the figures kept as they arrive,
    under either basis, equal those folded from what had arrived by then in another order,
    at every moment of arrival (what a read `known_at` that moment answers)."""
    final = [REGISTRATION, *(replace(f, event_id=f"e{n:02d}") for n, f in enumerate(sent))]
    arrival = [*final, *data.draw(st.lists(st.sampled_from(final), max_size=10))]
    rnd.shuffle(arrival)
    live = Figures()
    for n, fact in enumerate(arrival, 1):
        live.apply(fact)
        if n % 5 and n != len(arrival):
            continue
        known = arrival[:n]
        rnd.shuffle(known)
        rebuilt = Figures(known)
        for basis in Basis:
            assert {k: f.event_id for k, f in live.of(basis).facts.items()} == {
                k: f.event_id for k, f in rebuilt.of(basis).facts.items()
            }
            assert build_read_model(
                live.of(basis), FRAMEWORK, date(2026, 7, 1), Thresholds()
            ) == build_read_model(rebuilt.of(basis), FRAMEWORK, date(2026, 7, 1), Thresholds())
        action_point_of = {i.id: i.action_point for i in FRAMEWORK.indicators}
        assert live.pending_by_action_point(action_point_of) == rebuilt.pending_by_action_point(
            action_point_of
        )
        states = {u.figure.key: (u.figure.event_id, u.state) for u in live.under_review()}
        assert states == {u.figure.key: (u.figure.event_id, u.state) for u in rebuilt.under_review()}
