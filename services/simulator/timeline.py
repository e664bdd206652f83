"""The reports simulated projects make over a period, as a time-ordered list: pure, seeded.

Activities every third of a reporting cadence, measurements of their action points'
indicators each cadence (a share of the target scaled by the project's pace), milestones
met or missed, a few corrections (the same key reported again, later), and a few flawed
reports that intake must refuse.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.simulator.projects import PACE_FACTOR, Pace, SimProject
from shared.domain.catalog import IMPLEMENTATION_END, IMPLEMENTATION_START
from shared.domain.framework import Indicator, ResultsFramework
from shared.events.models import EventType

FULL_PERIOD_DAYS = (IMPLEMENTATION_END - IMPLEMENTATION_START).days
KINDS = ("training", "workshop", "peer_exchange", "study", "campaign", "equipment", "policy_support")
ROLE_OF = {
    **dict.fromkeys(("AFG", "PAK", "BGD", "IRQ", "UZB", "TJK", "KGZ", "KAZ", "TKM"), "origin"),
    **dict.fromkeys(("IRN", "TUR", "GEO", "ARM", "AZE"), "transit"),
    **dict.fromkeys(("DEU", "AUT", "HUN", "BGR", "ROU", "GRC"), "destination"),
}
TITLES = {
    "training": "Training on {topic}",
    "workshop": "Regional workshop on {topic}",
    "peer_exchange": "Peer exchange on {topic}",
    "study": "Study on {topic}",
    "campaign": "Information campaign on {topic}",
    "equipment": "Equipment for {topic}",
    "policy_support": "Policy advice on {topic}",
}
TOPICS = {
    "1": "smuggling and trafficking investigations",
    "2": "legal migration pathways",
    "3": "return, readmission and reintegration",
    "4": "migration and development",
    "5": "international protection",
    "6": "integration and inclusion",
}
CORRECTION_SHARE = 0.04
FLAWED_SHARE = 0.015
FLAWS = ("personal_data", "unknown_action_point", "date_out_of_range")


@dataclass(frozen=True)
class SimEvent:
    at: datetime
    event_type: EventType
    data: dict[str, Any]
    project: SimProject
    event_id: str
    flaw: str | None = None  # the reason intake should refuse it with, if any


@dataclass
class _Ids:
    tag: str
    count: int = 0

    def next(self, project: SimProject) -> str:
        self.count += 1
        return f"{self.tag}-{project.project_id}-{self.count}"


@dataclass
class Timeline:
    """What one run emits: deterministic in `seed`, with event ids unique to `run_tag`."""

    framework: ResultsFramework
    start: date
    end: date
    seed: int
    run_tag: str
    events: list[SimEvent] = field(default_factory=list)

    def build(self, projects: tuple[SimProject, ...]) -> list[SimEvent]:
        ids = _Ids(self.run_tag)
        for project in projects:
            rng = random.Random(f"{self.seed}:{project.project_id}")
            window = self._window(project)
            if window is None:
                continue
            self._activities(project, window, rng, ids)
            self._measurements(project, window, rng, ids)
            self._milestones(project, window, rng, ids)
        return sorted(self.events, key=lambda e: (e.at, e.event_id))

    def _window(self, project: SimProject) -> tuple[date, date] | None:
        first = max(project.start, self.start)
        last = min(project.end, self.end, (project.silent_from or date.max) - timedelta(days=1))
        return (first, last) if first <= last else None

    def _emit(
        self,
        ids: _Ids,
        project: SimProject,
        day: date,
        kind: EventType,
        data: dict[str, Any],
        flaw: str | None = None,
    ) -> None:
        at = datetime.combine(day, time(9), UTC) + timedelta(minutes=len(self.events) % 480)
        data = {"project_id": project.project_id, **data}
        self.events.append(SimEvent(at, kind, data, project, ids.next(project), flaw))

    def _activities(
        self, project: SimProject, window: tuple[date, date], rng: random.Random, ids: _Ids
    ) -> None:
        day, number = window[0] + timedelta(days=rng.randint(5, 20)), 0
        while day <= window[1]:
            number += 1
            data = _activity(project, f"ACT-{number:03d}", day, rng)
            self._emit(ids, project, day, EventType.ACTIVITY_REPORTED, data)
            correction_day = day + timedelta(days=rng.randint(5, 30))
            if rng.random() < CORRECTION_SHARE and correction_day <= window[1]:
                corrected = {**data, "participants": _people(rng), "status": "completed"}
                self._emit(ids, project, correction_day, EventType.ACTIVITY_REPORTED, corrected)
            if rng.random() < FLAWED_SHARE * 3:
                flaw = rng.choice(FLAWS)
                flawed = _flawed(_activity(project, f"ACT-{number:03d}-X", day, rng), flaw)
                self._emit(ids, project, day, EventType.ACTIVITY_REPORTED, flawed, flaw)
            day += timedelta(days=max(5, project.cadence_days // 3 + rng.randint(-5, 5)))

    def _measurements(
        self, project: SimProject, window: tuple[date, date], rng: random.Random, ids: _Ids
    ) -> None:
        indicators = [i for i in self.framework.indicators if i.action_point in project.action_points]
        period_start = project.start
        while True:
            period_end = period_start + timedelta(days=project.cadence_days - 1)
            reported = period_end + timedelta(days=rng.randint(3, 15))
            if reported > window[1]:
                return
            if reported >= window[0]:
                for indicator in indicators:
                    value = _value(indicator, project, period_start, period_end, rng)
                    data = {
                        "indicator_id": indicator.id,
                        "value": value,
                        "period_start": period_start.isoformat(),
                        "period_end": period_end.isoformat(),
                    }
                    self._emit(ids, project, reported, EventType.INDICATOR_MEASURED, data)
            period_start = period_end + timedelta(days=1)

    def _milestones(
        self, project: SimProject, window: tuple[date, date], rng: random.Random, ids: _Ids
    ) -> None:
        action_point = project.action_points[0]
        due = project.start + timedelta(days=420 + rng.randint(0, 60))
        milestone = {
            "milestone_id": f"MS-{action_point}",
            "action_point": action_point,
            "title": f"National working group on {TOPICS[action_point[0]]} operational",
            "due_date": due.isoformat(),
        }
        announced = max(window[0], project.start + timedelta(days=30))
        if announced <= window[1]:
            self._emit(
                ids, project, announced, EventType.MILESTONE_UPDATED, {**milestone, "status": "pending"}
            )
        settled = due + timedelta(days=rng.randint(1, 10))
        if settled <= window[1]:
            status = "missed" if project.pace is Pace.LAGGING else "met"
            self._emit(ids, project, settled, EventType.MILESTONE_UPDATED, {**milestone, "status": status})


def _people(rng: random.Random) -> dict[str, int]:
    total = rng.randint(8, 60)
    women = round(total * rng.uniform(0.25, 0.6))
    return {"total": total, "women": women, "men": total - women}


def _activity(project: SimProject, activity_id: str, reported: date, rng: random.Random) -> dict[str, Any]:
    action_points = rng.sample(
        project.action_points, k=min(len(project.action_points), rng.choice((1, 1, 2)))
    )
    kind = rng.choice(KINDS)
    start = max(project.start, reported - timedelta(days=rng.randint(1, 20)))
    end = min(reported, start + timedelta(days=rng.randint(0, 4)))
    countries = rng.sample(project.countries, k=min(len(project.countries), rng.randint(1, 2)))
    data: dict[str, Any] = {
        "activity_id": activity_id,
        "action_points": sorted(action_points),
        "title": TITLES[kind].format(topic=TOPICS[action_points[0][0]]),
        "kind": kind,
        "status": "completed" if end < reported else "ongoing",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "countries": [{"code": c, "route_role": ROLE_OF[c]} for c in countries],
        "cross_cutting": rng.sample(
            ["whole_of_route", "human_rights", "vulnerability", "data_reliability"], k=rng.randint(0, 2)
        ),
    }
    if kind not in ("equipment", "study", "campaign"):
        data["participants"] = _people(rng)
    return data


def _flawed(data: dict[str, Any], flaw: str) -> dict[str, Any]:
    if flaw == "personal_data":
        return {**data, "notes": "Questions to the focal point: focal.point@example.org"}
    if flaw == "unknown_action_point":
        return {**data, "action_points": ["7.1"]}
    return {**data, "end_date": "2024-12-31"}  # before its start: date_out_of_range


def _value(indicator: Indicator, project: SimProject, start: date, end: date, rng: random.Random) -> float:
    pace = PACE_FACTOR[project.pace] * rng.uniform(0.85, 1.15)
    target, baseline = indicator.target, indicator.baseline
    if indicator.aggregation == "latest":
        elapsed = (end - IMPLEMENTATION_START).days / FULL_PERIOD_DAYS
        return float(round(baseline + (target - baseline) * elapsed * pace))
    share = (end - start).days / FULL_PERIOD_DAYS
    return _whole((target - baseline) * share * pace, rng)


def _whole(amount: float, rng: random.Random) -> float:
    """A count near `amount` whose average is `amount` (small targets would round to 0)."""
    whole = int(amount)
    return float(whole + (1 if rng.random() < amount - whole else 0))


def live_activity(
    projects: tuple[SimProject, ...], now: datetime, rng: random.Random, event_id: str
) -> SimEvent | None:
    """One activity of today by a project still reporting (None when none is)."""
    today = now.date()
    active = [
        p for p in projects if p.start <= today <= p.end and not (p.silent_from and today >= p.silent_from)
    ]
    if not active:
        return None
    project = rng.choice(active)
    data = {"project_id": project.project_id, **_activity(project, f"LIVE-{event_id}", today, rng)}
    return SimEvent(now, EventType.ACTIVITY_REPORTED, data, project, event_id)
