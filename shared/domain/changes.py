"""What moved between two read models of one date (known at two moments, typically: "what
changed since the last meeting"): each status that changed, and each indicator whose
figure changed, with why it is as it is now."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shared.domain.status import Status
from shared.domain.views import ReadModel


@dataclass(frozen=True, slots=True)
class Moved:
    kind: str  # priority, action_point, indicator, project
    id: str
    name: str
    before: Status | None  # None: it was not there (a project registered since)
    after: Status
    why: str
    actual_before: float | None = None  # indicators: the figure then and now
    actual_after: float | None = None

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}"


def what_moved(before: ReadModel, after: ReadModel) -> list[Moved]:
    """Priorities, action points and projects whose status changed, and indicators whose
    status or figure changed, from `before` to `after`, in the order of the catalog."""
    return list(_moved(before, after))


def _moved(before: ReadModel, after: ReadModel) -> Iterator[Moved]:
    then = {p.id: p for p in before.priorities}
    for p in after.priorities:
        if then[p.id].status != p.status:
            yield Moved("priority", str(p.id), p.title, then[p.id].status, p.status, p.why)
    for ap in after.action_points.values():
        old = before.action_points[ap.id]
        if old.status != ap.status:
            yield Moved("action_point", ap.id, ap.text, old.status, ap.status, ap.why)
        was = {i.id: i for i in old.indicators}
        for i in ap.indicators:
            prior = was.get(i.id)
            if prior is None or (prior.status, prior.actual) != (i.status, i.actual):
                before_status = None if prior is None else prior.status
                before_actual = None if prior is None else prior.actual
                yield Moved(
                    "indicator", i.id, i.name, before_status, i.status, i.why, before_actual, i.actual
                )
    for project in after.projects.values():
        old_project = before.projects.get(project.id)
        if old_project is None or old_project.status != project.status:
            before_status = None if old_project is None else old_project.status
            yield Moved("project", project.id, project.title, before_status, project.status, project.why)
