"""The current facts, held in memory and indexed for reading as of any date.

The indexes follow the facts incrementally: each change is queued as it is applied (on the
event loop), and a read (in any thread) folds the queued changes in and rebuilds only the
groups they touched, sharing the rest with the indexes before. A group's index, once built,
is never changed, so a read never sees another thread's work half done."""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from shared.domain.activities import ActivityIndex, Groups
from shared.domain.facts import (
    ActivityRecord,
    Fact,
    FactKind,
    MeasurementRecord,
    MilestoneRecord,
    ProjectRecord,
)
from shared.domain.series import Measurement, Series


@dataclass
class Indexes:
    """Everything a read needs, as of one version of the facts. Its dicts and lists are not
    changed once it is made (the series cache only fills)."""

    version: int = 0
    projects: Mapping[str, ProjectRecord] = field(default_factory=dict)
    registered_at: Mapping[str, datetime] = field(default_factory=dict)
    measurements: Mapping[str, Sequence[Measurement]] = field(default_factory=dict)
    by_action_point: Groups = field(default_factory=Groups)
    by_project: Groups = field(default_factory=Groups)
    by_country: Groups = field(default_factory=Groups)
    by_country_action_point: Groups = field(default_factory=Groups)
    by_country_role: Groups = field(default_factory=Groups)
    milestones: Mapping[str, Sequence[MilestoneRecord]] = field(default_factory=dict)
    report_times: Mapping[str, Sequence[datetime]] = field(default_factory=dict)
    series_cache: dict[tuple[str, str], Series] = field(default_factory=dict)

    def series(self, indicator_id: str, aggregation: str) -> Series:
        cached = self.series_cache.get((indicator_id, aggregation))
        if cached is None:
            cached = Series.of(self.measurements.get(indicator_id, ()), aggregation)
            self.series_cache[(indicator_id, aggregation)] = cached
        return cached


def _country_action_points(record: ActivityRecord) -> list[tuple[str, str]]:
    return [(code, ap) for code in record.countries for ap in record.action_points]


GROUPINGS: dict[str, Callable[[ActivityRecord], Iterable[Any]]] = {
    "by_action_point": attrgetter("action_points"),
    "by_project": lambda r: (r.project_id,),
    "by_country": attrgetter("countries"),
    "by_country_action_point": _country_action_points,
    "by_country_role": attrgetter("route_roles"),
}


class _IndexBuilder:
    """The members of every group and the other indexes' parts, changed by the queued
    changes, and the last indexes made from them. Used under its lock only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.indexes = Indexes()
        self._members: dict[str, dict[Any, list[ActivityRecord]]] = {g: defaultdict(list) for g in GROUPINGS}
        self._projects: dict[str, tuple[ProjectRecord, datetime]] = {}
        self._reports: dict[str, list[datetime]] = defaultdict(list)  # sorted, one per fact
        self._milestones: dict[str, dict[str, MilestoneRecord]] = defaultdict(dict)
        self._measurements: dict[str, dict[str, Measurement]] = defaultdict(dict)

    def build(self, changes: Iterable[tuple[str, Fact | None, Fact | None]], version: int) -> Indexes:
        dirty_groups: dict[str, set[Any]] = {g: set() for g in GROUPINGS}
        dirty_projects: set[str] = set()
        dirty_indicators: set[str] = set()
        for key, old, new in changes:
            for fact, sign in ((old, -1), (new, +1)):
                if fact is not None:
                    self._fold(key, fact, sign, dirty_groups, dirty_projects, dirty_indicators)
        before = self.indexes
        groups = {
            name: Groups(self._groups(getattr(before, name), self._members[name], dirty_groups[name]))
            for name in GROUPINGS
        }
        self.indexes = Indexes(
            version=version,
            projects={pid: record for pid, (record, _) in self._projects.items()},
            registered_at={pid: at for pid, (_, at) in self._projects.items()},
            measurements=_refreshed(before.measurements, self._measurements, dirty_indicators, _values),
            milestones=_refreshed(before.milestones, self._milestones, dirty_projects, _values),
            report_times=_refreshed(before.report_times, self._reports, dirty_projects, list),
            series_cache={k: v for k, v in before.series_cache.items() if k[0] not in dirty_indicators},
            **groups,
        )
        return self.indexes

    def _fold(
        self,
        key: str,
        fact: Fact,
        sign: int,
        dirty_groups: dict[str, set[Any]],
        dirty_projects: set[str],
        dirty_indicators: set[str],
    ) -> None:
        """Take a fact out (sign -1) or put it in (+1)."""
        record = fact.record
        pid = fact.project_id
        if isinstance(record, ProjectRecord):
            if sign > 0:
                self._projects[pid] = (record, fact.time)
            return
        dirty_projects.add(pid)
        if sign > 0:
            insort(self._reports[pid], fact.time)
        else:
            times = self._reports[pid]
            del times[bisect_left(times, fact.time)]  # an equal time counts the same
        if isinstance(record, MilestoneRecord):
            if sign > 0:
                self._milestones[pid][key] = record
            else:
                self._milestones[pid].pop(key, None)
        elif isinstance(record, MeasurementRecord):
            dirty_indicators.add(record.indicator_id)
            if sign > 0:
                self._measurements[record.indicator_id][key] = record.measurement
            else:
                self._measurements[record.indicator_id].pop(key, None)
        elif isinstance(record, ActivityRecord) and record.counted:
            for name, keys in GROUPINGS.items():
                for group in keys(record):
                    dirty_groups[name].add(group)
                    members = self._members[name][group]
                    if sign > 0:
                        members.append(record)
                    else:
                        members.remove(record)  # an equal record counts the same

    @staticmethod
    def _groups(
        before: Groups, members: Mapping[Any, list[ActivityRecord]], dirty: set[Any]
    ) -> dict[Any, ActivityIndex]:
        built = {key: before.get(key) for key in before.group_keys() if key not in dirty}
        for key in dirty:
            if members.get(key):
                built[key] = ActivityIndex(members[key])
        return built


def _values(parts: Mapping[str, Any]) -> list[Any]:
    return list(parts.values())


def _refreshed(
    before: Mapping[str, Any],
    parts: Mapping[str, Any],
    dirty: set[str],
    make: Callable[[Any], Any],
) -> dict[str, Any]:
    """`before`, with the entries named in `dirty` made again (a copy) from `parts`."""
    fresh = {key: value for key, value in before.items() if key not in dirty}
    for key in dirty:
        if parts.get(key):
            fresh[key] = make(parts[key])
    return fresh


class FactSet:
    """Facts by key; `apply` keeps the winning version, whatever the order of arrival.

    A fact keeps the typed record its figures read, parsed once when it arrives, not the
    event's data (measured: the data of 100,000 events took 186 MB, the records 30).

    `apply` belongs to one thread (the event loop); `indexes` may be read from any."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._kept: dict[str, Fact] = {}
        self._changes: deque[tuple[str, Fact | None, Fact | None]] = deque()
        self._builder = _IndexBuilder()
        self.version = 0
        for fact in facts:
            self.apply(fact)

    def apply(self, fact: Fact | None) -> bool:
        """Keep `fact` if it supersedes its key's version; a review is not a figure (see
        shared.domain.review)."""
        if fact is None or fact.kind is FactKind.REVIEW:
            return False
        old = self._kept.get(fact.key)
        if not fact.supersedes(old):
            return False
        self._kept[fact.key] = fact
        self.version += 1
        self._changes.append((fact.key, old, fact))  # deque: appended here, taken in another thread
        return True

    def get(self, key: str) -> Fact | None:
        return self._kept.get(key)

    def put(self, key: str, fact: Fact | None) -> bool:
        """Hold `fact` under `key` (None: nothing), whatever its version: for a set derived
        from another (the approved figures), whose owner decides what it holds."""
        old = self._kept.get(key)
        if old is fact:
            return False
        if fact is None:
            del self._kept[key]
        else:
            self._kept[key] = fact
        self.version += 1
        self._changes.append((key, old, fact))
        return True

    @property
    def facts(self) -> Mapping[str, Fact]:
        return dict(self._kept)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def indexes(self) -> Indexes:
        """The indexes of the facts applied so far (at least up to `version` as it was when
        called)."""
        builder = self._builder
        with builder.lock:
            if not self._changes:
                return builder.indexes
            changes, version = [], builder.indexes.version
            while self._changes:
                changes.append(self._changes.popleft())
                version += 1
            return builder.build(changes, version)
