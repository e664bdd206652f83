"""The current facts, held in memory and indexed for reading as of any date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.facts import Fact, FactKind
from shared.status import Measurement, Series

COUNTED_ACTIVITY = frozenset({"ongoing", "completed"})


@dataclass(frozen=True)
class ActivityRecord:
    project_id: str
    action_points: tuple[str, ...]
    start: date
    end: date | None
    countries: tuple[str, ...]
    participants: Mapping[str, int]

    def took_place(self, as_of: date) -> bool:
        return self.start <= as_of

    def last_day(self, as_of: date) -> date:
        return min(self.end or self.start, as_of)


@dataclass
class Indexes:
    """Everything a read needs, derived once per version of the facts."""

    projects: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    registered_at: dict[str, datetime] = field(default_factory=dict)
    measurements: dict[str, list[Measurement]] = field(default_factory=lambda: defaultdict(list))
    activities: dict[str, list[ActivityRecord]] = field(default_factory=lambda: defaultdict(list))
    project_activities: dict[str, list[ActivityRecord]] = field(default_factory=lambda: defaultdict(list))
    milestones: dict[str, list[Mapping[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    report_times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    series_cache: dict[tuple[str, str], Series] = field(default_factory=dict)

    def series(self, indicator_id: str, aggregation: str) -> Series:
        cached = self.series_cache.get((indicator_id, aggregation))
        if cached is None:
            cached = Series.of(self.measurements.get(indicator_id, ()), aggregation)
            self.series_cache[(indicator_id, aggregation)] = cached
        return cached


def _activity(data: Mapping[str, Any], project_id: str) -> ActivityRecord:
    end = data.get("end_date")
    return ActivityRecord(
        project_id=project_id,
        action_points=tuple(data["action_points"]),
        start=date.fromisoformat(data["start_date"]),
        end=date.fromisoformat(end) if end else None,
        countries=tuple(c["code"] for c in data.get("countries", ())),
        participants=data.get("participants") or {},
    )


def _index(facts: Iterable[Fact]) -> Indexes:
    ix = Indexes()
    for fact in facts:
        if fact.kind is FactKind.PROJECT:
            ix.projects[fact.project_id] = fact.data
            ix.registered_at[fact.project_id] = fact.time
            continue
        ix.report_times[fact.project_id].append(fact.time)
        if fact.withdrawn:
            continue
        data = fact.data
        if fact.kind is FactKind.MEASUREMENT:
            ix.measurements[data["indicator_id"]].append(
                Measurement(
                    float(data["value"]),
                    date.fromisoformat(data["period_start"]),
                    date.fromisoformat(data["period_end"]),
                    fact.project_id,
                )
            )
        elif fact.kind is FactKind.ACTIVITY and data["status"] in COUNTED_ACTIVITY:
            record = _activity(data, fact.project_id)
            for ap in data["action_points"]:
                ix.activities[ap].append(record)
            ix.project_activities[fact.project_id].append(record)
        elif fact.kind is FactKind.MILESTONE:
            ix.milestones[fact.project_id].append(data)
    for times in ix.report_times.values():
        times.sort()
    return ix


class FactSet:
    """Facts by key; `apply` keeps the winning version, whatever the order of arrival."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._facts: dict[str, Fact] = {}
        self.version = 0
        self._indexes: Indexes | None = None
        for fact in facts:
            self.apply(fact)

    def apply(self, fact: Fact | None) -> bool:
        if fact is None or not fact.supersedes(self._facts.get(fact.key)):
            return False
        self._facts[fact.key] = fact
        self.version += 1
        self._indexes = None
        return True

    def remove(self, key: str) -> None:
        if self._facts.pop(key, None) is not None:
            self.version += 1
            self._indexes = None

    @property
    def facts(self) -> Mapping[str, Fact]:
        return self._facts

    @property
    def indexes(self) -> Indexes:
        if self._indexes is None:
            self._indexes = _index(self._facts.values())
        return self._indexes
