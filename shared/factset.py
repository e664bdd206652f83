"""The current facts, held in memory and indexed for reading as of any date."""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from shared.facts import Fact, FactKind
from shared.status import Measurement, Series

COUNTED_ACTIVITY = frozenset({"ongoing", "completed"})


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    project_id: str
    action_points: tuple[str, ...]
    start: date
    end: date | None
    countries: tuple[str, ...]
    participants: tuple[int, int, int]  # total, women, men


def activity_record(data: Mapping[str, Any], project_id: str) -> ActivityRecord:
    end = data.get("end_date")
    people = data.get("participants") or {}
    return ActivityRecord(
        project_id=project_id,
        action_points=tuple(data["action_points"]),
        start=date.fromisoformat(data["start_date"]),
        end=date.fromisoformat(end) if end else None,
        countries=tuple(c["code"] for c in data.get("countries", ())),
        participants=(
            int(people.get("total") or 0),
            int(people.get("women") or 0),
            int(people.get("men") or 0),
        ),
    )


def _running_sums(column: Sequence[int]) -> Sequence[int]:
    """Running sums as machine integers: a list of Python ints took 37 MB over 100,000
    activities, this a fifth of it. Beyond 64 bits (no bound in the contract), a list."""
    try:
        return array("q", itertools.accumulate(column))
    except OverflowError:
        return list(itertools.accumulate(column))


class ActivityIndex:
    """A group of activities (of an action point, a project, a country) read as of any date
    in O(log n): sorted start dates with running maxima and sums, first appearances."""

    def __init__(self, records: Iterable[ActivityRecord]) -> None:
        self._ordered = sorted(records, key=attrgetter("start"))
        self.starts = [r.start for r in self._ordered]
        self._last = list(itertools.accumulate([r.end or r.start for r in self._ordered], max))
        people = list(zip(*(r.participants for r in self._ordered), strict=True)) or [(), (), ()]
        self._totals = [_running_sums(column) for column in people]
        self._first_country: dict[str, date] | None = None
        self._first_project: dict[str, date] | None = None

    def count(self, as_of: date) -> int:
        return bisect_right(self.starts, as_of)

    def last_day(self, as_of: date) -> date | None:
        """The latest day on which one of them took place, as of a date."""
        n = self.count(as_of)
        return min(self._last[n - 1], as_of) if n else None

    def participants(self, as_of: date) -> tuple[int, int, int]:
        n = self.count(as_of)
        if not n:
            return (0, 0, 0)
        return (self._totals[0][n - 1], self._totals[1][n - 1], self._totals[2][n - 1])

    def countries(self, as_of: date) -> set[str]:
        if self._first_country is None:  # reversed: the earliest start is written last
            self._first_country = {c: r.start for r in reversed(self._ordered) for c in r.countries}
        return {c for c, first in self._first_country.items() if first <= as_of}

    def projects(self, as_of: date) -> set[str]:
        if self._first_project is None:
            self._first_project = {r.project_id: r.start for r in reversed(self._ordered)}
        return {p for p, first in self._first_project.items() if first <= as_of}


EMPTY = ActivityIndex(())


class Groups:
    """Activities grouped by a key; each group's index is built when first read."""

    def __init__(
        self,
        records: Iterable[ActivityRecord] = (),
        keys: Callable[[ActivityRecord], Iterable[Any]] = lambda r: (),
    ) -> None:
        self._records: dict[Any, list[ActivityRecord]] = defaultdict(list)
        for record in records:
            for key in keys(record):
                self._records[key].append(record)
        self._built: dict[Any, ActivityIndex] = {}

    def get(self, key: Any) -> ActivityIndex:
        index = self._built.get(key)
        if index is None:
            records = self._records.get(key)
            if not records:
                return EMPTY
            index = self._built[key] = ActivityIndex(records)
        return index

    def group_keys(self) -> set[Any]:
        return set(self._records)


@dataclass
class Indexes:
    """Everything a read needs, derived once per version of the facts."""

    projects: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    registered_at: dict[str, datetime] = field(default_factory=dict)
    measurements: dict[str, list[Measurement]] = field(default_factory=lambda: defaultdict(list))
    by_action_point: Groups = field(default_factory=Groups)
    by_project: Groups = field(default_factory=Groups)
    by_country: Groups = field(default_factory=Groups)
    by_country_action_point: Groups = field(default_factory=Groups)
    milestones: dict[str, list[Mapping[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    report_times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    series_cache: dict[tuple[str, str], Series] = field(default_factory=dict)

    def series(self, indicator_id: str, aggregation: str) -> Series:
        cached = self.series_cache.get((indicator_id, aggregation))
        if cached is None:
            cached = Series.of(self.measurements.get(indicator_id, ()), aggregation)
            self.series_cache[(indicator_id, aggregation)] = cached
        return cached


def _country_action_points(record: ActivityRecord) -> list[tuple[str, str]]:
    return [(code, ap) for code in record.countries for ap in record.action_points]


def _index(
    facts: Iterable[Fact], activities: Iterable[ActivityRecord], measurements: Iterable[IndicatorMeasurement]
) -> Indexes:
    ix = Indexes()
    for fact in facts:
        if fact.kind is FactKind.PROJECT:
            ix.projects[fact.project_id] = fact.data
            ix.registered_at[fact.project_id] = fact.time
            continue
        ix.report_times[fact.project_id].append(fact.time)
        if fact.kind is FactKind.MILESTONE and not fact.withdrawn:
            ix.milestones[fact.project_id].append(fact.data)
    for times in ix.report_times.values():
        times.sort()
    for indicator_id, measurement in measurements:
        ix.measurements[indicator_id].append(measurement)
    counted = list(activities)
    ix.by_action_point = Groups(counted, attrgetter("action_points"))
    ix.by_project = Groups(counted, lambda r: (r.project_id,))
    ix.by_country = Groups(counted, attrgetter("countries"))
    ix.by_country_action_point = Groups(counted, _country_action_points)
    return ix


IndicatorMeasurement = tuple[str, Measurement]
NO_DATA: Mapping[str, Any] = MappingProxyType({})


def measurement_of(data: Mapping[str, Any], project_id: str) -> IndicatorMeasurement:
    return data["indicator_id"], Measurement(
        float(data["value"]),
        date.fromisoformat(data["period_start"]),
        date.fromisoformat(data["period_end"]),
        project_id,
    )


@dataclass
class _IndexSlot:
    """The indexes of one version of the facts, shared by a fact set and its snapshots: a
    snapshot that builds them (in a worker thread) leaves them for the next read of the same
    version. One assignment replaces both fields, so a reader never pairs the wrong two."""

    built: tuple[int, Indexes] | None = None

    def get(self, version: int) -> Indexes | None:
        built = self.built
        return built[1] if built is not None and built[0] == version else None


class FactSet:
    """Facts by key; `apply` keeps the winning version, whatever the order of arrival.

    An activity or a measurement is kept as the record its figures read, parsed once when it
    arrives; its fact keeps its key and version, not the event's data (measured: the data
    of 100,000 events took 186 MB, the records 30)."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._facts: dict[str, Fact] = {}
        self._activities: dict[str, ActivityRecord] = {}  # only those counted in the figures
        self._measurements: dict[str, IndicatorMeasurement] = {}
        self.version = 0
        self._indexes = _IndexSlot()
        for fact in facts:
            self.apply(fact)

    def apply(self, fact: Fact | None) -> bool:
        if fact is None or not fact.supersedes(self._facts.get(fact.key)):
            return False
        self._activities.pop(fact.key, None)
        self._measurements.pop(fact.key, None)
        if fact.withdrawn or fact.kind not in (FactKind.ACTIVITY, FactKind.MEASUREMENT):
            self._facts[fact.key] = fact
        else:
            if fact.kind is FactKind.MEASUREMENT:
                self._measurements[fact.key] = measurement_of(fact.data, fact.project_id)
            elif fact.data["status"] in COUNTED_ACTIVITY:
                self._activities[fact.key] = activity_record(fact.data, fact.project_id)
            self._facts[fact.key] = replace(fact, data=NO_DATA)
        self.version += 1
        return True

    def snapshot(self) -> FactSet:
        """A copy that later changes leave alone (facts are immutable, so the dicts are
        copied, not the facts): a read model can be built from it in another thread."""
        copy = FactSet()
        copy._facts = dict(self._facts)
        copy._activities = dict(self._activities)
        copy._measurements = dict(self._measurements)
        copy.version = self.version
        copy._indexes = self._indexes
        return copy

    def remove(self, key: str) -> None:
        self._activities.pop(key, None)
        self._measurements.pop(key, None)
        if self._facts.pop(key, None) is not None:
            self.version += 1

    @property
    def facts(self) -> Mapping[str, Fact]:
        return self._facts

    @property
    def indexes(self) -> Indexes:
        indexes = self._indexes.get(self.version)
        if indexes is None:
            indexes = _index(self._facts.values(), self._activities.values(), self._measurements.values())
            self._indexes.built = (self.version, indexes)
        return indexes
