"""The Secretariat's review: a figure counts under `approved` only while its current version
is approved; a correction waits for review again; whatever the order of arrival."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from shared.domain.facts import Fact
from shared.domain.factset import FactSet
from shared.domain.liveview import read_model_over
from shared.domain.readmodel import build_read_model
from shared.domain.review import Basis, Figures, ReviewState
from shared.domain.status import Thresholds
from shared.events.models import EventType, FigureReviewed
from tests.factories import measurement_data, registration_data
from tests.readmodel_facts import FRAMEWORK, PID, fact

IND = "ind-3.1-returnees-supported"
AP_OF = {IND: "3.1"}
REGISTERED = fact(EventType.PROJECT_REGISTERED, registration_data(PID), 0, "r1")
M1 = fact(EventType.INDICATOR_MEASURED, measurement_data(PID, value=120), 1, "m1")
M1_CORRECTED = fact(EventType.INDICATOR_MEASURED, measurement_data(PID, value=150), 5, "m1b")


def review(of: str, decision: str, minutes: int, event_id: str, comment: str | None = None) -> Fact:
    data: dict[str, Any] = {
        "project_id": PID,
        "indicator_id": IND,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "event_id": of,
        "decision": decision,
        "reviewer": "Secretariat",
    }
    if comment:
        data["comment"] = comment
    return fact(EventType.FIGURE_REVIEWED, data, minutes, event_id)


def actual(figures: Figures, basis: Basis) -> float | None:
    model = build_read_model(figures.of(basis), FRAMEWORK, date(2026, 7, 1), Thresholds())
    return model.action_points["3.1"].indicators[0].actual


def test_a_figure_counts_under_approved_once_approved_and_waits_again_when_corrected() -> None:
    figures = Figures([REGISTERED, M1])
    assert (actual(figures, Basis.REPORTED), actual(figures, Basis.APPROVED)) == (120, None)
    assert figures.pending_by_action_point(AP_OF) == {"3.1": 1}
    [waiting] = figures.under_review()
    assert (waiting.figure.event_id, waiting.state) == ("m1", ReviewState.PENDING)

    figures.apply(review("m1", "approved", 2, "v1"))
    assert actual(figures, Basis.APPROVED) == 120 and figures.pending_by_action_point(AP_OF) == {}

    figures.apply(M1_CORRECTED)  # the approval named m1, not its correction
    assert (actual(figures, Basis.REPORTED), actual(figures, Basis.APPROVED)) == (150, None)
    [waiting] = figures.under_review()
    assert (waiting.figure.event_id, waiting.state) == ("m1b", ReviewState.PENDING)
    assert waiting.review is not None and waiting.review.event_id == "m1"  # the older review, kept

    figures.apply(review("m1b", "returned", 6, "v2", "Give the returnees of the quarter only"))
    [returned] = figures.under_review()
    assert returned.state is ReviewState.RETURNED and returned.review is not None
    assert returned.review.comment == "Give the returnees of the quarter only"
    assert actual(figures, Basis.APPROVED) is None and figures.pending_by_action_point(AP_OF) == {}
    assert actual(figures, Basis.REPORTED) == 150  # reported still counts every reported figure


def test_a_review_of_an_older_version_never_approves_the_current_one() -> None:
    late_review = review("m1", "approved", 9, "v9")  # after the correction, of the first version
    figures = Figures([REGISTERED, M1, M1_CORRECTED, late_review])
    assert actual(figures, Basis.APPROVED) is None
    assert [u.state for u in figures.under_review()] == [ReviewState.PENDING]


def test_both_bases_are_the_same_whatever_the_order_of_arrival() -> None:
    events = [
        REGISTERED,
        M1,
        review("m1", "approved", 2, "v1"),
        M1_CORRECTED,
        review("m1b", "approved", 6, "v2"),
    ]
    seen = set()
    for order in itertools.permutations(events):
        figures = Figures(order)
        seen.add(
            (
                tuple(sorted((k, f.event_id) for k, f in figures.approved.facts.items())),
                tuple(sorted((k, f.event_id) for k, f in figures.reported.facts.items())),
                tuple(sorted(figures.pending_by_action_point(AP_OF).items())),
            )
        )
    assert len(seen) == 1
    [(approved, reported, pending)] = seen
    assert dict(reported).get(M1.key) == "m1b"
    assert dict(approved).get(M1.key) == "m1b" and pending == ()


def test_a_review_is_not_a_figure() -> None:
    assert FactSet().apply(review("m1", "approved", 2, "v1")) is False


def test_a_review_names_a_version_by_its_exact_event_id() -> None:
    """An event id is never stripped: a review of version "x " cannot approve a later "x"."""
    checked = FigureReviewed.model_validate(
        {"project_id": PID, "activity_id": "A-1", "event_id": "x ", "decision": "approved", "reviewer": "S"}
    )
    assert checked.event_id == "x "
    first = fact(EventType.INDICATOR_MEASURED, measurement_data(PID, value=120), 1, "x ")
    again = fact(EventType.INDICATOR_MEASURED, measurement_data(PID, value=999), 5, "x")
    figures = Figures([REGISTERED, first, review("x ", "approved", 2, "v1"), again])
    assert actual(figures, Basis.APPROVED) is None and actual(figures, Basis.REPORTED) == 999


def test_a_project_whose_reports_wait_for_review_is_not_silent_under_approved() -> None:
    figures = Figures([REGISTERED, M1])  # reported on 10 January 2026, not reviewed
    model = read_model_over(figures, FRAMEWORK, date(2026, 3, 15), Thresholds(), Basis.APPROVED)
    project = model.projects[PID]
    assert (project.silent, project.days_without_report) == (False, 64)
    assert project.last_report_at is not None
