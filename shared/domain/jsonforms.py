"""The stored JSON form of each event's data (`model_dump(mode="json", exclude_none=True)`),
as the fold reads it: a test holds each equal to its event model's fields."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from shared.events.models import EventType


class ProjectJson(TypedDict):
    project_id: str
    title: str
    implementer: str
    countries: list[str]
    action_points: list[str]
    start_date: str
    end_date: str
    reporting_cadence_days: NotRequired[int]
    budget_eur: NotRequired[float]


class ActivityCountryJson(TypedDict):
    code: str
    route_role: NotRequired[str]


class ParticipantsJson(TypedDict):
    total: int
    women: NotRequired[int]
    men: NotRequired[int]


class ActivityJson(TypedDict):
    project_id: str
    activity_id: str
    action_points: list[str]
    title: str
    kind: str
    status: str
    start_date: str
    end_date: NotRequired[str]
    countries: NotRequired[list[ActivityCountryJson]]
    participants: NotRequired[ParticipantsJson]
    cross_cutting: NotRequired[list[str]]
    notes: NotRequired[str]


class MeasurementJson(TypedDict):
    project_id: str
    indicator_id: str
    value: float
    period_start: str
    period_end: str
    countries: NotRequired[list[str]]


class MilestoneJson(TypedDict):
    project_id: str
    milestone_id: str
    action_point: str
    title: str
    due_date: str
    status: str


class WithdrawalJson(TypedDict):
    project_id: str
    activity_id: NotRequired[str]
    indicator_id: NotRequired[str]
    period_start: NotRequired[str]
    period_end: NotRequired[str]
    reason: str


class ReviewJson(TypedDict):
    project_id: str
    activity_id: NotRequired[str]
    indicator_id: NotRequired[str]
    period_start: NotRequired[str]
    period_end: NotRequired[str]
    milestone_id: NotRequired[str]
    event_id: str
    decision: str
    comment: NotRequired[str]
    reviewer: str


# Each event type's stored JSON form, for the test that holds them equal to the models.
JSON_FORMS: dict[EventType, type[Any]] = {
    EventType.PROJECT_REGISTERED: ProjectJson,
    EventType.ACTIVITY_REPORTED: ActivityJson,
    EventType.INDICATOR_MEASURED: MeasurementJson,
    EventType.MILESTONE_UPDATED: MilestoneJson,
    EventType.REPORT_WITHDRAWN: WithdrawalJson,
    EventType.FIGURE_REVIEWED: ReviewJson,
}
