"""What the Reference Group takes into a meeting, as of a date and as known at a moment: the
priorities with their status and why, each action point's indicators, what moved since an
earlier moment, the projects falling silent, the countries, the participants and the alerts
firing. Pure: made from read models, the facts' series and the alerts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from shared.domain.changes import Moved
from shared.domain.framework import ResultsFramework
from shared.domain.said import Said
from shared.domain.series import Series
from shared.domain.status import expected_path
from shared.domain.translations import ENGLISH_TEXTS, CatalogTexts
from shared.domain.views import (
    ActionPointView,
    CountryView,
    Participants,
    PriorityView,
    ProjectView,
    ReadModel,
)


@dataclass(frozen=True)
class Chart:
    """An indicator over time: its actual, its expected path, its target."""

    actual: list[tuple[date, float]]
    expected: list[tuple[date, float]]
    target: float


@dataclass(frozen=True)
class Alert:
    severity: str
    summary: str
    since: datetime


@dataclass(frozen=True)
class MeetingPack:
    as_of: date
    known_at: datetime | None
    figures: str
    made_at: datetime
    priorities: list[PriorityView]
    action_points: list[ActionPointView]
    charts: dict[str, Chart]
    silent: list[ProjectView]
    countries: list[CountryView]
    participants: Participants
    alerts: list[Alert]
    since: datetime | None = None
    moved: list[Moved] = field(default_factory=list)


def summary_of(alert: dict[str, Any]) -> Said:
    """A stored alert's summary, with its messages to say it in another language."""
    return Said.from_json(alert["summary"], (alert.get("phrases") or {}).get("summary"))


def meeting_pack(
    model: ReadModel,
    framework: ResultsFramework,
    series: Callable[[str, str], Series],
    made_at: datetime,
    alerts: Sequence[dict[str, Any]] = (),
    since: datetime | None = None,
    moved: Sequence[Moved] = (),
) -> MeetingPack:
    """The pack of a read model; `series` gives an indicator's actual over time (from the
    same facts as the model), `alerts` the notifier's firing alerts."""
    charts = {}
    for indicator in framework.indicators:
        actual = series(indicator.id, indicator.aggregation)
        points = [(d, v) for d, v in zip(actual.days, actual.values, strict=True) if d <= model.as_of]
        charts[indicator.id] = Chart(points, expected_path(indicator), indicator.target)
    projects = model.projects.values()
    total = Participants(
        total=sum(p.participants.total for p in projects),
        women=sum(p.participants.women for p in projects),
        men=sum(p.participants.men for p in projects),
    )
    return MeetingPack(
        as_of=model.as_of,
        known_at=model.known_at,
        figures=str(model.figures),
        made_at=made_at,
        priorities=model.priorities,
        action_points=list(model.action_points.values()),
        charts=charts,
        silent=[p for p in projects if p.silent and p.start_date <= model.as_of <= p.end_date],
        countries=list(model.countries.values()),
        participants=total,
        alerts=[Alert(a["severity"], summary_of(a), a["starts_at"]) for a in alerts],
        since=since,
        moved=list(moved),
    )


def translated(pack: MeetingPack, texts: CatalogTexts) -> MeetingPack:
    """The pack with the Call for Action's and the framework's texts as `texts` gives them
    (an official translation; English where it has none)."""
    if texts is ENGLISH_TEXTS:
        return pack

    def indicators(ap: ActionPointView) -> list[Any]:
        return [
            i.model_copy(update={"name": texts.indicator(i.id, i.name), "unit": texts.unit(i.id, i.unit)})
            for i in ap.indicators
        ]

    def moved(m: Moved) -> Moved:
        name = {
            "priority": lambda: texts.priority(int(m.id), m.name),
            "action_point": lambda: texts.action_point(m.id, m.name),
            "indicator": lambda: texts.indicator(m.id, m.name),
        }.get(m.kind, lambda: m.name)()
        return replace(m, name=name)

    return replace(
        pack,
        priorities=[p.model_copy(update={"title": texts.priority(p.id, p.title)}) for p in pack.priorities],
        action_points=[
            ap.model_copy(update={"text": texts.action_point(ap.id, ap.text), "indicators": indicators(ap)})
            for ap in pack.action_points
        ],
        moved=[moved(m) for m in pack.moved],
    )
