"""An indicator's measurements and its actual over time: the sum of what was measured, or,
for `latest` indicators, each project's latest value added up across projects."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    period_start: date
    period_end: date
    project_id: str = ""


def running_actual(measurements: Iterable[Measurement], aggregation: str) -> Iterator[tuple[date, float]]:
    """(period_end, actual as of that day), in date order.

    sum: all values added up. latest: each project's most recent value, added up across
    projects (each project reports its own stock; one project's report does not erase
    another's)."""
    ordered = sorted(measurements, key=lambda m: (m.period_end, m.period_start))
    total = 0.0
    latest: dict[str, float] = {}
    for n, m in enumerate(ordered):
        if aggregation == "latest":
            total += m.value - latest.get(m.project_id, 0.0)
            latest[m.project_id] = m.value
        else:
            total += m.value
        if n + 1 == len(ordered) or ordered[n + 1].period_end != m.period_end:
            yield m.period_end, total


@dataclass(frozen=True)
class Series:
    """An indicator's actual over time, computed once, read for any `as_of` in O(log n)."""

    days: tuple[date, ...]
    values: tuple[float, ...]

    @classmethod
    def of(cls, measurements: Iterable[Measurement], aggregation: str) -> Series:
        points = list(running_actual(measurements, aggregation))
        return cls(tuple(d for d, _ in points), tuple(v for _, v in points))

    def actual(self, as_of: date) -> float | None:
        """The actual from the measurements whose period ended by `as_of`."""
        n = bisect_right(self.days, as_of)
        return self.values[n - 1] if n else None

    def reached_on(self, target: float, as_of: date) -> date | None:
        """The day the actual first reached `target`, if it did by `as_of`."""
        for day, value in zip(self.days, self.values, strict=True):
            if day > as_of:
                return None
            if value >= target:
                return day
        return None
