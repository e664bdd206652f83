"""The "falling behind" rules: pure functions of (read model, as_of).

Each finding is identified by its fingerprint, a hash of (kind, subject) only: the
figures that change from one evaluation to the next are annotations, never identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shared.domain import catalog
from shared.domain.said import Said
from shared.domain.status import Status
from shared.domain.views import ActionPointView, PriorityView, ProjectView, ReadModel
from shared.i18n import N_


class AlertKind(StrEnum):
    PRIORITY_BEHIND = "priority_behind"
    ACTION_POINT_BEHIND = "action_point_behind"
    ACTION_POINT_STALE = "action_point_stale"
    PROJECT_SILENT = "project_silent"
    MILESTONE_MISSED = "milestone_missed"


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"


def fingerprint(kind: AlertKind, subject: str) -> str:
    return hashlib.sha256(f"{kind}\x00{subject}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """Something wrong as of a date: what, about what, how bad, for which priorities."""

    kind: AlertKind
    subject: str
    severity: Severity
    priorities: tuple[int, ...]
    summary: Said  # English, and its messages for other languages
    annotations: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.subject)


def evaluate(model: ReadModel) -> list[Finding]:
    """Every finding as of the model's date, in a stable order."""
    findings = [
        *(_priority_behind(p) for p in model.priorities if p.status is Status.BEHIND),
        *(_action_point_behind(ap) for ap in model.action_points.values() if ap.status is Status.BEHIND),
        *(_action_point_stale(ap) for ap in model.action_points.values() if ap.stale),
        *(f for p in model.projects.values() for f in _project_findings(p, model.as_of)),
    ]
    return sorted(findings, key=lambda f: (f.kind, f.subject))


def _priority_behind(p: PriorityView) -> Finding:
    lagging = [a.id for a in p.action_points if a.status in (Status.BEHIND, Status.NO_DATA)]
    return Finding(
        AlertKind.PRIORITY_BEHIND,
        f"priority:{p.id}",
        Severity.CRITICAL,
        (p.id,),
        Said.of(
            N_("Priority {id} is behind: {n} of {total} action points behind or without data ({ids})"),
            id=p.id,
            n=len(lagging),
            total=len(p.action_points),
            ids=", ".join(lagging),
        ),
        {"title": p.title, "why": p.why, "action_points": {a.id: str(a.status) for a in p.action_points}},
    )


def _indicator_figures(ap: ActionPointView) -> list[dict[str, Any]]:
    return [
        {
            "id": i.id,
            "name": i.name,
            "unit": i.unit,
            "actual": i.actual,
            "expected": round(i.expected_value, 2),
            "target": i.target,
            "target_date": str(i.target_date),
            "ratio": None if i.ratio is None else round(i.ratio, 2),
            "status": str(i.status),
            "projected_completion": None if i.projected_completion is None else str(i.projected_completion),
        }
        for i in ap.indicators
    ]


def _action_point_behind(ap: ActionPointView) -> Finding:
    behind = [i.name for i in ap.indicators if i.status is Status.BEHIND]
    return Finding(
        AlertKind.ACTION_POINT_BEHIND,
        f"action_point:{ap.id}",
        Severity.WARNING,
        (ap.priority,),
        Said.of(N_("Action point {id} is behind ({names})"), id=ap.id, names=", ".join(behind))
        if behind
        else Said.of(N_("Action point {id} is behind (its activity)"), id=ap.id),
        {"text": ap.text, "why": ap.why, "indicators": _indicator_figures(ap), "projects": ap.projects},
    )


def _action_point_stale(ap: ActionPointView) -> Finding:
    if ap.last_activity_at:
        summary = Said.of(
            N_("Action point {id} has had no activity since {day}"), id=ap.id, day=ap.last_activity_at
        )
    else:
        summary = Said.of(N_("Action point {id} has had no activity yet"), id=ap.id)
    return Finding(
        AlertKind.ACTION_POINT_STALE,
        f"action_point:{ap.id}",
        Severity.WARNING,
        (ap.priority,),
        summary,
        {"text": ap.text, "last_activity_at": _text(ap.last_activity_at)},
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _priorities_of(action_points: list[str]) -> tuple[int, ...]:
    points = catalog.action_points()
    return tuple(sorted({points[a].priority for a in action_points if a in points}))


def _project_findings(p: ProjectView, as_of: date) -> Iterator[Finding]:
    if p.start_date <= as_of <= p.end_date and p.silent:
        yield Finding(
            AlertKind.PROJECT_SILENT,
            f"project:{p.id}",
            Severity.WARNING,
            _priorities_of(p.action_points),
            Said.of(
                N_("Project {id} has not reported for {days} days (cadence {cadence} days)"),
                id=p.id,
                days=p.days_without_report,
                cadence=p.reporting_cadence_days,
            ),
            {
                "title": p.title,
                "implementer": p.implementer,
                "why": p.why,
                "last_report_at": _text(p.last_report_at),
            },
        )
    for m in p.milestones:
        if m.in_trouble:
            yield Finding(
                AlertKind.MILESTONE_MISSED,
                f"milestone:{p.id}/{m.id}",
                Severity.WARNING,
                _priorities_of([m.action_point]),
                Said.of(
                    N_("Milestone {id} of {project} ({title}) was due {day}: missed")
                    if m.status == "missed"
                    else N_("Milestone {id} of {project} ({title}) was due {day}: overdue, not reported met"),
                    id=m.id,
                    project=p.id,
                    title=m.title,
                    day=m.due_date,
                ),
                {"project": p.title, "action_point": m.action_point, "due_date": str(m.due_date)},
            )
