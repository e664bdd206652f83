"""Data models of the five event types (DESIGN §3); unknown fields are rejected."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    StringConstraints,
    model_validator,
)

from shared.catalog import CROSS_CUTTING
from shared.countries import check_alpha3

PROJECT_ID_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,63}$"


class EventType(StrEnum):
    PROJECT_REGISTERED = "org.budapestprocess.project.registered.v1"
    ACTIVITY_REPORTED = "org.budapestprocess.activity.reported.v1"
    INDICATOR_MEASURED = "org.budapestprocess.indicator.measured.v1"
    MILESTONE_UPDATED = "org.budapestprocess.milestone.updated.v1"
    REPORT_WITHDRAWN = "org.budapestprocess.report.withdrawn.v1"


def _check_cross_cutting(slug: str) -> str:
    if slug not in CROSS_CUTTING:
        raise ValueError(f"{slug!r} is not a cross-cutting approach ({', '.join(sorted(CROSS_CUTTING))})")
    return slug


ProjectId = Annotated[str, StringConstraints(pattern=PROJECT_ID_PATTERN)]
LocalId = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
ActionPointId = Annotated[str, StringConstraints(min_length=1, max_length=8)]
CountryCode = Annotated[str, AfterValidator(check_alpha3)]
CrossCutting = Annotated[str, AfterValidator(_check_cross_cutting)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: ProjectId


class ProjectRegistered(EventData):
    title: ShortText
    implementer: ShortText
    countries: list[CountryCode] = Field(min_length=1)
    action_points: list[ActionPointId] = Field(min_length=1)
    start_date: date
    end_date: date
    reporting_cadence_days: int = Field(default=90, ge=1, le=366)
    budget_eur: NonNegativeFloat | None = None


class ActivityKind(StrEnum):
    TRAINING = "training"
    WORKSHOP = "workshop"
    PEER_EXCHANGE = "peer_exchange"
    STUDY = "study"
    CAMPAIGN = "campaign"
    EQUIPMENT = "equipment"
    POLICY_SUPPORT = "policy_support"
    OPERATIONAL_COOPERATION = "operational_cooperation"
    OTHER = "other"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ActivityCountry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: CountryCode
    route_role: Literal["origin", "transit", "destination"] | None = None


class Participants(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    total: NonNegativeInt
    women: NonNegativeInt | None = None
    men: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _parts_within_total(self) -> Participants:
        if (self.women or 0) + (self.men or 0) > self.total:
            raise ValueError("women + men exceeds total")
        return self


class ActivityReported(EventData):
    activity_id: LocalId
    action_points: list[ActionPointId] = Field(min_length=1)
    title: ShortText
    kind: ActivityKind
    status: ActivityStatus
    start_date: date
    end_date: date | None = None
    countries: list[ActivityCountry] = Field(default_factory=list)
    participants: Participants | None = None
    cross_cutting: list[CrossCutting] = Field(default_factory=list)
    notes: Annotated[str, StringConstraints(max_length=1000)] | None = None


class IndicatorMeasured(EventData):
    indicator_id: LocalId
    value: NonNegativeFloat
    period_start: date
    period_end: date
    countries: list[CountryCode] | None = None


class MilestoneStatus(StrEnum):
    PENDING = "pending"
    MET = "met"
    MISSED = "missed"


class MilestoneUpdated(EventData):
    milestone_id: LocalId
    action_point: ActionPointId
    title: ShortText
    due_date: date
    status: MilestoneStatus


class ReportWithdrawn(EventData):
    """Takes an activity, or a measurement, out of the figures; the log keeps every event."""

    activity_id: LocalId | None = None
    indicator_id: LocalId | None = None
    period_start: date | None = None
    period_end: date | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]

    @model_validator(mode="after")
    def _one_report_named(self) -> ReportWithdrawn:
        measurement = (self.indicator_id, self.period_start, self.period_end)
        has_measurement = all(part is not None for part in measurement)
        if any(part is not None for part in measurement) and not has_measurement:
            raise ValueError("a measurement is named by indicator_id, period_start and period_end together")
        if (self.activity_id is None) == (not has_measurement):
            raise ValueError("name either activity_id or the measurement key, not both or neither")
        return self


DATA_MODELS: dict[EventType, type[EventData]] = {
    EventType.PROJECT_REGISTERED: ProjectRegistered,
    EventType.ACTIVITY_REPORTED: ActivityReported,
    EventType.INDICATOR_MEASURED: IndicatorMeasured,
    EventType.MILESTONE_UPDATED: MilestoneUpdated,
    EventType.REPORT_WITHDRAWN: ReportWithdrawn,
}

# Free-text fields: they are where personal data would hide.
FREE_TEXT_FIELDS: frozenset[str] = frozenset({"title", "implementer", "notes", "reason"})
