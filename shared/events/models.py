"""Data models of the five event types: unknown fields are rejected and every
string is printable text (§11)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from shared.domain.catalog import CROSS_CUTTING
from shared.domain.countries import check_alpha3

PROJECT_ID_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,63}$"


class EventType(StrEnum):
    PROJECT_REGISTERED = "org.budapestprocess.project.registered.v1"
    ACTIVITY_REPORTED = "org.budapestprocess.activity.reported.v1"
    INDICATOR_MEASURED = "org.budapestprocess.indicator.measured.v1"
    MILESTONE_UPDATED = "org.budapestprocess.milestone.updated.v1"
    REPORT_WITHDRAWN = "org.budapestprocess.report.withdrawn.v1"
    FIGURE_REVIEWED = "org.budapestprocess.figure.reviewed.v1"


# Printable text. Never, in any string: control characters (Cc, tab included),
# the line and paragraph separators (NEL U+0085, U+2028, U+2029) that break logs, CSV exports
# and line-based readers; the bidirectional embeddings, overrides and isolates that make text
# read otherwise than it is stored ("Trojan Source", CVE-2021-42574); unpaired surrogates,
# which no UTF-8 writer (Kafka, MongoDB) accepts. Only notes may hold line breaks (\n, \r\n).
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# Unicode 14's format characters (Cf). Prose needs some (Persian and Urdu write with the
# zero-width non-joiner, mixed-direction text with U+200E/U+200F marks); in an id they only
# make two different ids look the same, so ids refuse them.
# (Apart, since a character class with characters past U+FFFF is four times slower to search.)
FORMAT_CHARACTERS_BMP = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
FORMAT_CHARACTERS_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
FORMAT_CHARACTERS = FORMAT_CHARACTERS_BMP + FORMAT_CHARACTERS_ASTRAL
_NEVER = f"\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff"
_NOT_IN_NOTES = re.compile(f"[{_NEVER}\r]")  # a "\r" only before "\n"
_NOT_IN_LINE = re.compile(f"[{_NEVER}\n\r]")
_NOT_IN_ID = re.compile(f"[{_NEVER}\n\r{FORMAT_CHARACTERS}]")


def _what(char: str, line_breaks: bool) -> str:
    if char == "\r" and line_breaks:
        return "a carriage return not followed by a line feed"
    if char in "\n\r":
        return "a line break"
    if char in "\x85\u2028\u2029":
        return "a line or paragraph separator"
    if re.match(f"[{BIDI_CONTROLS}]", char):
        return "a bidirectional control character"
    category = unicodedata.category(char)
    if category == "Cs":
        return "an unpaired surrogate"
    return "a control character" if category == "Cc" else "an invisible format character"


def _printable(refused: re.Pattern[str], line_breaks: bool = False) -> Callable[[object], object]:
    """Refuses a string holding a character `refused` finds; names it, never echoes the text.
    Used before the string's own constraints, so stripping cannot hide a control character."""

    def check(value: object) -> object:
        if not isinstance(value, str) or (value.isascii() and value.isprintable()):
            return value
        for bad in refused.finditer(value):
            char = bad.group()
            if line_breaks and char == "\r" and value.startswith("\n", bad.end()):
                continue
            where = f"(U+{ord(char):04X}) at position {bad.start()}"
            why = ": only notes may span lines" if char in "\n\r" and not line_breaks else ""
            raise ValueError(f"contains {_what(char, line_breaks)} {where}{why}")
        return value

    return check


check_one_line = _printable(_NOT_IN_LINE)  # also outside a model (extension attributes)
IDENTIFIER = BeforeValidator(_printable(_NOT_IN_ID))
ONE_LINE = BeforeValidator(check_one_line)
LINES = BeforeValidator(_printable(_NOT_IN_NOTES, line_breaks=True))


def _check_country(code: str) -> str:
    if len(code) == 3 and code.isascii() and code.isalpha():
        return check_alpha3(code)  # naming three letters cannot disclose anything
    raise ValueError("is not an ISO 3166-1 alpha-3 country code (three capital letters, such as PAK)")


def _check_cross_cutting(slug: str) -> str:
    if slug not in CROSS_CUTTING:  # the field is named; the value could be anything, so not echoed
        raise ValueError(f"is not a cross-cutting approach ({', '.join(sorted(CROSS_CUTTING))})")
    return slug


# Every string field of event data is one of these (each carries IDENTIFIER, ONE_LINE or LINES).
ProjectId = Annotated[str, StringConstraints(pattern=PROJECT_ID_PATTERN), IDENTIFIER]
# An event's id as its envelope gives it, never stripped: a review names a version by it.
EventId = Annotated[str, StringConstraints(min_length=1, max_length=256), IDENTIFIER]
LocalId = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True), IDENTIFIER]
ActionPointId = Annotated[str, StringConstraints(min_length=1, max_length=8), IDENTIFIER]
CountryCode = Annotated[str, IDENTIFIER, AfterValidator(_check_country)]
CrossCutting = Annotated[str, IDENTIFIER, AfterValidator(_check_cross_cutting)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), ONE_LINE]
Notes = Annotated[str, StringConstraints(max_length=1000), LINES]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000), ONE_LINE]
# Numbers within what any report can mean and MongoDB can store (int64, finite doubles): a
# JSON integer of thousands of digits is a `schema` error, never a failed write downstream.
MAX_COUNT = 1_000_000_000
MAX_AMOUNT = 1e15
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]


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
    budget_eur: Amount | None = None


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

    total: Count
    women: Count | None = None
    men: Count | None = None

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
    notes: Notes | None = None


class IndicatorMeasured(EventData):
    indicator_id: LocalId
    value: Amount
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
    reason: Reason

    @model_validator(mode="after")
    def _one_report_named(self) -> ReportWithdrawn:
        measurement = (self.indicator_id, self.period_start, self.period_end)
        has_measurement = all(part is not None for part in measurement)
        if any(part is not None for part in measurement) and not has_measurement:
            raise ValueError("a measurement is named by indicator_id, period_start and period_end together")
        if (self.activity_id is None) == (not has_measurement):
            raise ValueError("name either activity_id or the measurement key, not both or neither")
        return self


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"


class FigureReviewed(EventData):
    """The Secretariat's review of one version of a reported figure: the report named by its
    key (an activity, a measurement or a milestone of the project) and `event_id`, the id of
    the event of the version reviewed. Naming the version makes a correction pending again:
    no review names it yet."""

    activity_id: LocalId | None = None
    indicator_id: LocalId | None = None
    period_start: date | None = None
    period_end: date | None = None
    milestone_id: LocalId | None = None
    event_id: EventId
    decision: ReviewDecision
    comment: Notes | None = None
    reviewer: ShortText

    @model_validator(mode="after")
    def _one_figure_named(self) -> FigureReviewed:
        measurement = (self.indicator_id, self.period_start, self.period_end)
        has_measurement = all(part is not None for part in measurement)
        if any(part is not None for part in measurement) and not has_measurement:
            raise ValueError("a measurement is named by indicator_id, period_start and period_end together")
        named = (self.activity_id is not None) + has_measurement + (self.milestone_id is not None)
        if named != 1:
            raise ValueError("name one figure: activity_id, milestone_id, or the measurement key")
        if self.decision is ReviewDecision.RETURNED and not (self.comment or "").strip():
            raise ValueError("a returned figure needs a comment: what the project is to correct")
        return self


DATA_MODELS: dict[EventType, type[EventData]] = {
    EventType.PROJECT_REGISTERED: ProjectRegistered,
    EventType.ACTIVITY_REPORTED: ActivityReported,
    EventType.INDICATOR_MEASURED: IndicatorMeasured,
    EventType.MILESTONE_UPDATED: MilestoneUpdated,
    EventType.REPORT_WITHDRAWN: ReportWithdrawn,
    EventType.FIGURE_REVIEWED: FigureReviewed,
}
