"""The read model's views: what the read API answers and the dashboard, the notifier and
the reports read, as of a date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, SkipValidation

from shared.domain.review import Basis
from shared.domain.status import Status

# What the count counts, in the OpenAPI document too.
ActivityCount = Annotated[
    int,
    Field(
        description="Activities that took place by as_of: ongoing or completed, from their start "
        "date; planned and cancelled ones are not counted",
        ge=0,
    ),
]

# A status's why, a `Said` (shared.domain.said), kept as it is: English in JSON, in any language on
# the pages. Read back from JSON, it is the English text.
WhyText = SkipValidation[str]


class IndicatorView(BaseModel):
    id: str
    name: str
    unit: str
    aggregation: str
    baseline: float
    target: float
    target_date: date
    actual: float | None
    progress: float | None
    expected: float = Field(description="The share of the way from baseline to target due by as_of")
    expected_value: float = Field(description="The value due by as_of, on the expected path")
    ratio: float | None
    status: Status
    why: WhyText = Field(
        description="Why the status: the rule and its numbers, such as "
        '"ratio 0.20 < 0.60: 8% of the way done, 40% due"'
    )
    projected_completion: date | None
    projected_late: bool


class ActionPointView(BaseModel):
    id: str
    priority: int
    text: str
    status: Status
    why: WhyText = Field(
        description="Why the status: its worst indicators, or its activity when it has no indicators"
    )
    stale: bool
    last_activity_at: date | None
    projects: list[str]
    countries: list[str]
    activity_count: ActivityCount
    awaiting_review: int = Field(
        0, description="Its figures whose current version waits for the Secretariat's review"
    )
    indicators: list[IndicatorView]


class ActionPointSummary(BaseModel):
    id: str
    text: str
    status: Status
    why: WhyText = Field(
        description="Why the status: its worst indicators, or its activity when it has no indicators"
    )
    stale: bool
    activity_count: ActivityCount
    awaiting_review: int = Field(
        0, description="Its figures whose current version waits for the Secretariat's review"
    )
    last_activity_at: date | None


class PriorityView(BaseModel):
    id: int
    title: str
    twg: str | None
    status: Status
    why: WhyText = Field(
        description="Why the status: how many of its action points are behind or without data, "
        "against one third"
    )
    action_points: list[ActionPointSummary]


class Participants(BaseModel):
    total: int = 0
    women: int = 0
    men: int = 0


class MilestoneView(BaseModel):
    id: str
    action_point: str
    title: str
    due_date: date
    status: str
    overdue: bool
    in_trouble: bool = Field(description="Missed, or overdue: the project is at least at risk")


class ProjectView(BaseModel):
    id: str
    title: str
    implementer: str
    countries: list[str]
    action_points: list[str]
    start_date: date
    end_date: date
    reporting_cadence_days: int
    budget_eur: float | None
    registered_at: datetime
    last_report_at: datetime | None
    activity_count: ActivityCount
    participants: Participants
    status: Status
    why: WhyText = Field(
        description="Why the status: days since its last report against its cadence, milestones in trouble"
    )
    milestones: list[MilestoneView]
    days_without_report: int = Field(
        description="Days since the last report by as_of (since the start when none yet)"
    )
    silent: bool = Field(description="No report for more than 1.5 reporting cadences")


class CountryView(BaseModel):
    code: str
    name: str
    silk_routes: bool
    projects: list[str]
    action_points: dict[str, int]  # action point -> activities there
    route_roles: dict[str, int] = Field(
        default_factory=dict,
        description="Activities that took place there by as_of, by the country's role on the route "
        "(origin, transit, destination) as the reports give it",
    )
    activity_count: ActivityCount
    participants: Participants


def late_indicators(action_points: Iterable[ActionPointView]) -> list[tuple[ActionPointView, IndicatorView]]:
    """The indicators whose target would be reached after its date at the pace so far."""
    return [(ap, i) for ap in action_points for i in ap.indicators if i.projected_late]


class ReadModel(BaseModel):
    as_of: date
    figures: Basis = Field(
        Basis.REPORTED,
        description="What the figures are over: every reported figure, or the approved ones only",
    )
    known_at: datetime | None = Field(
        None,
        description="Figures from the events the monitor had received by then; null: all received so far",
    )
    priorities: list[PriorityView]
    action_points: dict[str, ActionPointView]
    projects: dict[str, ProjectView]
    countries: dict[str, CountryView]
