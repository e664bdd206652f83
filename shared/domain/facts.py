"""Facts: the current version of each report, after corrections and withdrawals.

An activity is keyed by (project, activity_id), a measurement by (project, indicator,
period_start, period_end), a milestone by (project, milestone_id), a project by its id.
Of the events for one key, the one with the latest `time` wins (ties: the larger event id),
whatever order they arrive in; a withdrawal is a version that takes the report out of the
figures. Folding is order-independent, so the incremental read model, a rebuild and this
pure function of the final event set always agree.

A fact holds a typed record of what its figures read, made once from the event's data as
stored (its JSON form, already checked at intake): after that, a renamed field is a type
error, not a `KeyError` at a read. shared.domain.jsonforms names the stored fields.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from shared.domain.jsonforms import (
    ActivityJson,
    MeasurementJson,
    MilestoneJson,
    ParticipantsJson,
    ProjectJson,
    ReviewJson,
    WithdrawalJson,
)
from shared.domain.series import Measurement
from shared.events.models import EventType

COUNTED_ACTIVITY = frozenset({"ongoing", "completed"})


class FactKind(StrEnum):
    PROJECT = "project"
    ACTIVITY = "activity"
    MEASUREMENT = "measurement"
    MILESTONE = "milestone"
    REVIEW = "review"  # the Secretariat's latest review of a figure (keyed by the figure's key)


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    title: str
    implementer: str
    countries: tuple[str, ...]
    action_points: tuple[str, ...]
    start_date: date
    end_date: date
    reporting_cadence_days: int
    budget_eur: float | None


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    project_id: str
    action_points: tuple[str, ...]
    start: date
    end: date | None
    countries: tuple[str, ...]
    participants: tuple[int, int, int]  # total, women, men
    # Each country's role on the migration route (origin, transit, destination), where given.
    route_roles: tuple[tuple[str, str], ...] = ()
    counted: bool = True  # ongoing or completed: planned and cancelled ones are not counted

    @property
    def last(self) -> date:
        """The last day it took place on (its start, while it has no end)."""
        return self.end or self.start


@dataclass(frozen=True, slots=True)
class MeasurementRecord:
    indicator_id: str
    measurement: Measurement


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    milestone_id: str
    action_point: str
    title: str
    due_date: date
    status: str


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    figure: str  # the key of the figure reviewed
    event_id: str  # the version reviewed (the id of its event)
    decision: str  # approved, returned
    comment: str | None
    reviewer: str


# A withdrawal holds no record: it takes its key's report out of the figures.
Record = ProjectRecord | ActivityRecord | MeasurementRecord | MilestoneRecord | ReviewRecord | None


@dataclass(frozen=True, slots=True)
class Fact:
    key: str
    kind: FactKind
    project_id: str
    time: datetime
    event_id: str
    record: Record

    @property
    def withdrawn(self) -> bool:
        return self.record is None

    @property
    def version(self) -> tuple[datetime, str]:
        return self.time, self.event_id

    def supersedes(self, other: Fact | None) -> bool:
        return other is None or self.version > other.version


def _key(kind: FactKind, *parts: str) -> str:
    return "|".join((kind, *parts))


def activity_key(project_id: str, activity_id: str) -> str:
    return _key(FactKind.ACTIVITY, project_id, activity_id)


def measurement_key(project_id: str, indicator_id: str, period_start: str, period_end: str) -> str:
    return _key(FactKind.MEASUREMENT, project_id, indicator_id, period_start, period_end)


# Interned: 100,000 facts of 40 projects then hold 40 strings, not 100,000 copies.
_intern = sys.intern
_ROLES: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}


def _shared(roles: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """One tuple for each combination of countries' route roles (a few across all activities:
    100,000 activities then hold a few tuples, not 100,000); up to 10,000 of them."""
    if not roles:
        return ()
    kept = _ROLES.get(roles)
    if kept is None and len(_ROLES) < 10_000:
        kept = _ROLES[roles] = tuple((_intern(code), _intern(role)) for code, role in roles)
    return kept or roles


def _project(data: ProjectJson) -> tuple[FactKind, str, Record]:
    record = ProjectRecord(
        title=data["title"],
        implementer=data["implementer"],
        countries=tuple(map(_intern, data["countries"])),
        action_points=tuple(map(_intern, data["action_points"])),
        start_date=date.fromisoformat(data["start_date"]),
        end_date=date.fromisoformat(data["end_date"]),
        reporting_cadence_days=int(data.get("reporting_cadence_days", 90)),
        budget_eur=data.get("budget_eur"),
    )
    return FactKind.PROJECT, _key(FactKind.PROJECT, data["project_id"]), record


def _activity(data: ActivityJson) -> tuple[FactKind, str, Record]:
    end = data.get("end_date")
    people = data.get("participants") or ParticipantsJson(total=0)
    record = ActivityRecord(
        project_id=_intern(data["project_id"]),
        action_points=tuple(map(_intern, data["action_points"])),
        start=date.fromisoformat(data["start_date"]),
        end=date.fromisoformat(end) if end else None,
        countries=tuple(_intern(c["code"]) for c in data.get("countries", ())),
        # Each (country, role) once, however often the report lists it; one tuple per combination.
        route_roles=_shared(
            tuple(
                dict.fromkeys(
                    (c["code"], c["route_role"]) for c in data.get("countries", ()) if "route_role" in c
                )
            )
        ),
        participants=(int(people["total"]), int(people.get("women") or 0), int(people.get("men") or 0)),
        counted=data["status"] in COUNTED_ACTIVITY,
    )
    return FactKind.ACTIVITY, activity_key(data["project_id"], data["activity_id"]), record


def _measurement(data: MeasurementJson) -> tuple[FactKind, str, Record]:
    pid = data["project_id"]
    start, end = data["period_start"], data["period_end"]
    measurement = Measurement(
        float(data["value"]), date.fromisoformat(start), date.fromisoformat(end), _intern(pid)
    )
    record = MeasurementRecord(_intern(data["indicator_id"]), measurement)
    return FactKind.MEASUREMENT, measurement_key(pid, data["indicator_id"], start, end), record


def _milestone(data: MilestoneJson) -> tuple[FactKind, str, Record]:
    record = MilestoneRecord(
        milestone_id=data["milestone_id"],
        action_point=_intern(data["action_point"]),
        title=data["title"],
        due_date=date.fromisoformat(data["due_date"]),
        status=_intern(data["status"]),
    )
    return FactKind.MILESTONE, milestone_key(data["project_id"], data["milestone_id"]), record


def milestone_key(project_id: str, milestone_id: str) -> str:
    return _key(FactKind.MILESTONE, project_id, milestone_id)


def _review(data: ReviewJson) -> tuple[FactKind, str, Record]:
    pid = data["project_id"]
    if "activity_id" in data:
        figure = activity_key(pid, data["activity_id"])
    elif "milestone_id" in data:
        figure = milestone_key(pid, data["milestone_id"])
    else:
        figure = measurement_key(pid, data["indicator_id"], data["period_start"], data["period_end"])
    record = ReviewRecord(figure, data["event_id"], data["decision"], data.get("comment"), data["reviewer"])
    return FactKind.REVIEW, _key(FactKind.REVIEW, figure), record


def _withdrawal(data: WithdrawalJson) -> tuple[FactKind, str, Record]:
    pid = data["project_id"]
    if "activity_id" in data:
        return FactKind.ACTIVITY, activity_key(pid, data["activity_id"]), None
    key = measurement_key(pid, data["indicator_id"], data["period_start"], data["period_end"])
    return FactKind.MEASUREMENT, key, None


_RECORDS: dict[EventType, Callable[[Any], tuple[FactKind, str, Record]]] = {
    EventType.PROJECT_REGISTERED: _project,
    EventType.ACTIVITY_REPORTED: _activity,
    EventType.INDICATOR_MEASURED: _measurement,
    EventType.MILESTONE_UPDATED: _milestone,
    EventType.REPORT_WITHDRAWN: _withdrawal,
    EventType.FIGURE_REVIEWED: _review,
}


def fact_of(event_type: str, data: Mapping[str, Any], time: datetime, event_id: str) -> Fact | None:
    """The fact an event (its data in JSON form) states, or None for a type with none."""
    make = _RECORDS.get(cast(EventType, event_type))
    if make is None:
        return None
    kind, key, record = make(data)
    return Fact(key, kind, _intern(str(data["project_id"])), time, event_id, record)


def fact_of_document(doc: Mapping[str, Any]) -> Fact | None:
    """The fact of an event as the events collection stores it."""
    return fact_of(doc["type"], doc["data"], doc["time"], doc["id"])
