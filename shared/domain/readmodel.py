"""The read model the Reference Group reads: priorities, action points, indicators, projects,
countries, each with progress against targets and a status, as of any date."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from operator import attrgetter

from shared.domain import catalog
from shared.domain.activities import ActivityIndex
from shared.domain.countries import country_name
from shared.domain.facts import MilestoneRecord
from shared.domain.factset import FactSet, Indexes
from shared.domain.framework import ResultsFramework
from shared.domain.review import Basis
from shared.domain.status import (
    Thresholds,
    action_point_status,
    days_without_report,
    evaluate_indicator,
    is_overdue,
    is_silent,
    is_stale,
    milestone_in_trouble,
    priority_status,
    project_status,
)
from shared.domain.views import (
    ActionPointSummary,
    ActionPointView,
    CountryView,
    IndicatorView,
    MilestoneView,
    Participants,
    PriorityView,
    ProjectView,
    ReadModel,
)

ROUTE_ROLES = ("origin", "transit", "destination")
INDICATOR_FIELDS = {"id", "name", "unit", "aggregation", "baseline", "target", "target_date"}
SUMMARY_FIELDS = {
    "id",
    "text",
    "status",
    "why",
    "stale",
    "activity_count",
    "last_activity_at",
    "awaiting_review",
}


def _participants(index: ActivityIndex, as_of: date) -> Participants:
    total, women, men = index.participants(as_of)
    return Participants(total=total, women=women, men=men)


def _action_point(
    ix: Indexes,
    framework: ResultsFramework,
    ap: catalog.ActionPoint,
    as_of: date,
    thresholds: Thresholds,
    awaiting_review: int,
) -> ActionPointView:
    activity = ix.by_action_point.get(ap.id)
    last = activity.last_day(as_of)
    indicators = [
        evaluate_indicator(i, ix.series(i.id, i.aggregation), as_of, thresholds)
        for i in framework.by_action_point.get(ap.id, ())
    ]
    registered = {pid for pid, p in ix.projects.items() if ap.id in p.action_points}
    countries = activity.countries(as_of) | {c for pid in registered for c in ix.projects[pid].countries}
    judged = action_point_status([(f.indicator.name, f.status) for f in indicators], last, as_of, thresholds)
    return ActionPointView(
        id=ap.id,
        priority=ap.priority,
        text=ap.text,
        status=judged.status,
        why=judged.why,
        stale=is_stale(last, as_of, thresholds),
        last_activity_at=last,
        projects=sorted(registered | activity.projects(as_of)),
        countries=sorted(countries),
        activity_count=activity.count(as_of),
        awaiting_review=awaiting_review,
        indicators=[
            IndicatorView(
                **f.indicator.model_dump(include=INDICATOR_FIELDS),
                actual=f.actual,
                progress=f.progress,
                expected=f.expected,
                expected_value=f.expected_value,
                ratio=f.ratio,
                status=f.status,
                why=f.why,
                projected_completion=f.projected_completion,
                projected_late=f.projected_late,
            )
            for f in indicators
        ],
    )


def _milestones(records: Iterable[MilestoneRecord], as_of: date) -> list[MilestoneView]:
    return [
        MilestoneView(
            id=m.milestone_id,
            action_point=m.action_point,
            title=m.title,
            due_date=m.due_date,
            status=m.status,
            overdue=is_overdue(m.status, m.due_date, as_of),
            in_trouble=milestone_in_trouble(m.status, m.due_date, as_of),
        )
        for m in sorted(records, key=attrgetter("due_date", "milestone_id"))
    ]


def _project(
    ix: Indexes, pid: str, as_of: date, report_times: Mapping[str, Sequence[datetime]]
) -> ProjectView:
    p = ix.projects[pid]
    times = report_times.get(pid, [])
    reported = bisect_right(times, datetime.combine(as_of, time.max, tzinfo=UTC))
    last_report = times[reported - 1] if reported else None
    activity = ix.by_project.get(pid)
    milestones = _milestones(ix.milestones.get(pid, []), as_of)
    start, cadence = p.start_date, p.reporting_cadence_days
    trouble = [m.id for m in milestones if m.in_trouble]
    reported_on = last_report.date() if last_report else None
    silence = days_without_report(reported_on, start, as_of)
    judged = project_status(reported_on, start, cadence, as_of, trouble)
    return ProjectView(
        id=pid,
        title=p.title,
        implementer=p.implementer,
        countries=list(p.countries),
        action_points=list(p.action_points),
        start_date=start,
        end_date=p.end_date,
        reporting_cadence_days=cadence,
        budget_eur=p.budget_eur,
        registered_at=ix.registered_at[pid],
        last_report_at=last_report,
        activity_count=activity.count(as_of),
        participants=_participants(activity, as_of),
        status=judged.status,
        why=judged.why,
        milestones=milestones,
        days_without_report=silence,
        silent=is_silent(silence, cadence),
    )


def _countries(ix: Indexes, as_of: date) -> dict[str, CountryView]:
    registered: dict[str, set[str]] = defaultdict(set)
    for pid, p in ix.projects.items():
        for code in p.countries:
            registered[code].add(pid)
    views = {}
    for code in sorted(ix.by_country.group_keys() | registered.keys()):
        activity = ix.by_country.get(code)
        per_ap = {
            ap: ix.by_country_action_point.get((c, ap)).count(as_of)
            for c, ap in ix.by_country_action_point.group_keys()
            if c == code
        }
        views[code] = CountryView(
            code=code,
            name=country_name(code),
            silk_routes=code in catalog.SILK_ROUTES_COUNTRIES,
            projects=sorted(registered.get(code, set()) | activity.projects(as_of)),
            action_points={ap: n for ap, n in sorted(per_ap.items()) if n},
            route_roles={
                role: n for role in ROUTE_ROLES if (n := ix.by_country_role.get((code, role)).count(as_of))
            },
            activity_count=activity.count(as_of),
            participants=_participants(activity, as_of),
        )
    return views


def build_read_model(
    facts: FactSet, framework: ResultsFramework, as_of: date, thresholds: Thresholds
) -> ReadModel:
    """Every figure of every read, as of a date, from the current facts alone."""
    return read_model_of(facts.indexes, framework, as_of, thresholds)


def _priority(p: catalog.Priority, action_points: Mapping[str, ActionPointView]) -> PriorityView:
    judged = priority_status({ap.id: action_points[ap.id].status for ap in p.action_points})
    return PriorityView(
        id=p.id,
        title=p.title,
        twg=p.twg,
        status=judged.status,
        why=judged.why,
        action_points=[
            ActionPointSummary(**action_points[ap.id].model_dump(include=SUMMARY_FIELDS))
            for ap in p.action_points
        ],
    )


def read_model_of(
    ix: Indexes,
    framework: ResultsFramework,
    as_of: date,
    thresholds: Thresholds,
    basis: Basis = Basis.REPORTED,
    pending: Mapping[str, int] | None = None,
    report_times: Mapping[str, Sequence[datetime]] | None = None,
) -> ReadModel:
    """The read model from one version of the indexes (of the figures of `basis`); `pending`:
    how many figures wait for review, per action point; `report_times`: when each project
    reported (default the indexes'; a project that reported is not silent because its
    reports wait for review)."""
    waiting = pending or {}
    action_points = {
        ap.id: _action_point(ix, framework, ap, as_of, thresholds, waiting.get(ap.id, 0))
        for p in catalog.priorities()
        for ap in p.action_points
    }
    priorities = [_priority(p, action_points) for p in catalog.priorities()]
    return ReadModel(
        as_of=as_of,
        figures=basis,
        priorities=priorities,
        action_points=action_points,
        projects={
            pid: _project(ix, pid, as_of, report_times or ix.report_times) for pid in sorted(ix.projects)
        },
        countries=_countries(ix, as_of),
    )
