"""Activities grouped (by action point, project, country, ...) and read as of any date in
O(log n); each group's index is made once and never changed."""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

from shared.domain.facts import ActivityRecord


def _running_sums(column: Sequence[int]) -> Sequence[int]:
    """Running sums as machine integers: a list of Python ints took 37 MB over 100,000
    activities, this a fifth of it. Beyond 64 bits (no bound in the contract), a list."""
    try:
        return array("q", itertools.accumulate(column))
    except OverflowError:
        return list(itertools.accumulate(column))


class ActivityIndex:
    """A group of activities (of an action point, a project, a country) read as of any date
    in O(log n): sorted start dates, and, made on the first read that needs them (a country's
    activities per action point are only counted), running maxima and sums, first
    appearances. Made once, by one thread; a part two threads make at once is made alike."""

    def __init__(self, records: Iterable[ActivityRecord]) -> None:
        self._ordered = sorted(records, key=attrgetter("start"))
        self.starts = list(map(attrgetter("start"), self._ordered))
        self._last: list[date] | None = None
        self._totals: list[Sequence[int]] | None = None
        self._first_country: dict[str, date] | None = None
        self._first_project: dict[str, date] | None = None

    def count(self, as_of: date) -> int:
        return bisect_right(self.starts, as_of)

    def last_day(self, as_of: date) -> date | None:
        """The latest day on which one of them took place, as of a date."""
        n = self.count(as_of)
        if not n:
            return None
        if self._last is None:
            self._last = list(itertools.accumulate(map(attrgetter("last"), self._ordered), max))
        return min(self._last[n - 1], as_of)

    def participants(self, as_of: date) -> tuple[int, int, int]:
        n = self.count(as_of)
        if not n:
            return (0, 0, 0)
        if self._totals is None:
            people = zip(*map(attrgetter("participants"), self._ordered), strict=True)
            self._totals = [_running_sums(column) for column in people]
        totals = self._totals
        return (totals[0][n - 1], totals[1][n - 1], totals[2][n - 1])

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
    """Activities grouped by a key (an action point, a project, a country, ...), each group's
    index built already. Never changed once made: a later version is a new Groups, which
    shares the index of every group that did not change."""

    def __init__(self, built: Mapping[Any, ActivityIndex] | None = None) -> None:
        self._built: Mapping[Any, ActivityIndex] = built or {}

    def get(self, key: Any) -> ActivityIndex:
        return self._built.get(key, EMPTY)

    def group_keys(self) -> set[Any]:
        return set(self._built)
