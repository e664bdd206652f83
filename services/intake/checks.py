"""The content checks of an event, as pure functions of (event, registry entry, now)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.domain.catalog import IMPLEMENTATION_END, IMPLEMENTATION_START, is_action_point
from shared.domain.personal_data import find_in_event
from shared.domain.projects import RegisteredProject
from shared.events.envelope import Event
from shared.events.models import (
    ActivityReported,
    IndicatorMeasured,
    MilestoneUpdated,
    ProjectRegistered,
)
from shared.events.rejections import Rejection, RejectionReason
from shared.events.signing import SIGNATURE_ATTRIBUTE
from shared.trust import Principal, Unproven


@dataclass(frozen=True)
class Context:
    """What the checks of one event need besides the event."""

    project: RegisteredProject | None
    now: datetime
    max_skew: timedelta
    indicators: frozenset[str] | None = None  # None: the framework is not known here
    # Who vouched for it: a principal, a proof that did not hold, or nobody.
    principal: Principal | Unproven | None = None


Check = Callable[[Event, Context], Rejection | None]


def source_matches(event: Event, _: Context) -> Rejection | None:
    source_project = event.envelope.source_project_id
    if source_project != event.project_id:
        return Rejection.of(
            RejectionReason.SOURCE_MISMATCH,
            "data.project_id",
            "names another project than the source does",
        )
    key = event.envelope.partitionkey
    if key is not None and key != event.project_id:
        return Rejection.of(
            RejectionReason.SOURCE_MISMATCH,
            "partitionkey",
            "the message key (partitionkey) is not the project id of the data",
        )
    return None


def project_known(event: Event, context: Context) -> Rejection | None:
    if context.project is None:
        return Rejection.of(
            RejectionReason.UNKNOWN_PROJECT,
            "data.project_id",
            "the project is not registered (the Secretariat registers projects with `cfamon projects add`)",
        )
    return None


def authenticated(event: Event, context: Context) -> Rejection | None:
    """Some credential vouched for it: the project's signature, or a token over HTTP."""
    if isinstance(context.principal, Principal):
        return None
    if isinstance(context.principal, Unproven):
        return Rejection.of(RejectionReason.UNAUTHENTICATED, SIGNATURE_ATTRIBUTE, context.principal.why)
    return Rejection.of(
        RejectionReason.UNAUTHENTICATED,
        SIGNATURE_ATTRIBUTE,
        f"no credential vouches for this event: sign it with project {event.project_id}'s key "
        f"(extension attribute {SIGNATURE_ATTRIBUTE}, see the README) or post it over HTTP with its token",
    )


def permitted(event: Event, context: Context) -> Rejection | None:
    """The credential may send this event: a project reports for itself only, and only the
    Secretariat changes the registry."""
    if not isinstance(context.principal, Principal):
        return None  # `authenticated` refused it already
    why = context.principal.refusal(event.type, event.project_id)
    return None if why is None else Rejection.of(RejectionReason.NOT_PERMITTED, "type", why)


def _action_points(event: Event) -> list[tuple[str, str]]:
    data = event.data
    if isinstance(data, ProjectRegistered | ActivityReported):
        return [(f"data.action_points[{i}]", ap) for i, ap in enumerate(data.action_points)]
    if isinstance(data, MilestoneUpdated):
        return [("data.action_point", data.action_point)]
    return []


def action_points_known(event: Event, context: Context) -> Rejection | None:
    project = context.project
    for field, ap in _action_points(event):
        if not is_action_point(ap):
            return Rejection.of(
                RejectionReason.UNKNOWN_ACTION_POINT,
                field,
                "is not an action point of the Call for Action (1.1 .. 6.8)",
            )
        # A registration sets the project's action points: only the catalog bounds it.
        registering = isinstance(event.data, ProjectRegistered)
        if project is not None and not registering and ap not in project.action_points:
            return Rejection.of(
                RejectionReason.UNKNOWN_ACTION_POINT,
                field,
                f"is not among the action points of project {project.project_id} "
                f"({', '.join(project.action_points)})",
            )
    return None


def _dates(event: Event, project: RegisteredProject | None) -> list[tuple[str, date, date, date, str]]:
    """(field, value, earliest, latest, what the window is) for each dated field."""
    period = (
        IMPLEMENTATION_START,
        IMPLEMENTATION_END,
        "the implementation period 2025-01-01..2030-12-31",
    )
    data = event.data
    if isinstance(data, ProjectRegistered):
        return [
            (
                "data.end_date",
                data.end_date,
                IMPLEMENTATION_START,
                date.max,
                "the implementation period (ends before it starts)",
            ),
            (
                "data.start_date",
                data.start_date,
                date.min,
                IMPLEMENTATION_END,
                "the implementation period (starts after it ends)",
            ),
            (
                "data.end_date",
                data.end_date,
                data.start_date,
                date.max,
                "the project (ends before start_date)",
            ),
        ]
    if isinstance(data, ActivityReported):
        start, end = period[0], period[1]
        what = period[2]
        if project is not None:
            start, end = max(start, project.start_date), min(end, project.end_date)
            what = f"project {project.project_id} within the implementation period ({start}..{end})"
        checks = [("data.start_date", data.start_date, start, end, what)]
        if data.end_date is not None:
            checks.append(("data.end_date", data.end_date, data.start_date, end, f"{what}, from start_date"))
        return checks
    if isinstance(data, IndicatorMeasured):
        return [
            ("data.period_start", data.period_start, *period),
            (
                "data.period_end",
                data.period_end,
                data.period_start,
                IMPLEMENTATION_END,
                "the period from period_start to 2030-12-31",
            ),
        ]
    if isinstance(data, MilestoneUpdated):
        return [("data.due_date", data.due_date, *period)]
    return []


def indicator_known(event: Event, context: Context) -> Rejection | None:
    data = event.data
    if not isinstance(data, IndicatorMeasured) or context.indicators is None:
        return None
    if data.indicator_id not in context.indicators:
        return Rejection.of(
            RejectionReason.UNKNOWN_INDICATOR,
            "data.indicator_id",
            "is not an indicator of the results framework",
        )
    return None


def dates_in_range(event: Event, context: Context) -> Rejection | None:
    if event.envelope.time > context.now + context.max_skew:
        return Rejection.of(
            RejectionReason.DATE_OUT_OF_RANGE,
            "time",
            f"{event.envelope.time.isoformat()} is in the future",
        )
    for field, value, earliest, latest, what in _dates(event, context.project):
        if not earliest <= value <= latest:
            return Rejection.of(RejectionReason.DATE_OUT_OF_RANGE, field, f"{value} is outside {what}")
    return None


def no_personal_data(event: Event, _: Context) -> Rejection | None:
    """No e-mail address or phone number in any string of data or envelope."""
    found = find_in_event(event)
    if found is None:
        return None
    field, what = found  # what kind, never the text found
    return Rejection.of(
        RejectionReason.PERSONAL_DATA,
        field,
        f"{what}: events carry aggregates only, never personal data",
    )


# In this order; the first failing check names the reason (duplicate is checked last, by
# the pipeline, since it needs the store).
CHECKS: tuple[Check, ...] = (
    source_matches,
    project_known,
    authenticated,
    permitted,
    action_points_known,
    indicator_known,
    dates_in_range,
    no_personal_data,
)


def check_event(event: Event, context: Context) -> Rejection | None:
    for check in CHECKS:
        if (rejection := check(event, context)) is not None:
            return rejection
    return None
