"""The status rules (README "Reading the status") as pure functions of (figures, framework,
as_of, thresholds).

The same functions serve the read API, the rebuild and the notifier.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shared.domain.catalog import IMPLEMENTATION_START
from shared.domain.framework import Indicator


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    NO_DATA = "no_data"
    BEHIND = "behind"


# "Worst of": a measured shortfall weighs more than a missing report, which weighs more
# than a small lag.
SEVERITY = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.NO_DATA: 2, Status.BEHIND: 3}


@dataclass(frozen=True)
class Thresholds:
    on_track: float = 0.9  # ratio at or above: on track
    at_risk: float = 0.6  # ratio at or above (and below on_track): at risk; below: behind
    stale_after_days: int = 120


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    period_start: date
    period_end: date
    project_id: str = ""


@dataclass(frozen=True)
class IndicatorFigures:
    indicator: Indicator
    actual: float | None
    progress: float | None
    expected: float  # the share of the way from baseline to target due by as_of
    expected_value: float  # the value due by as_of
    ratio: float | None
    status: Status
    projected_completion: date | None
    projected_late: bool


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


def progress_share(actual: float, indicator: Indicator) -> float:
    return (actual - indicator.baseline) / (indicator.target - indicator.baseline)


def expected_path(indicator: Indicator) -> list[tuple[date, float]]:
    """The path an indicator is expected to follow: from its baseline on 2025-01-01, through
    its milestones, to its target on the target date (straight lines between them)."""
    return [
        (IMPLEMENTATION_START, indicator.baseline),
        *((m.date, m.value) for m in indicator.milestones),
        (indicator.target_date, indicator.target),
    ]


def expected_value(indicator: Indicator, as_of: date) -> float:
    """The value due by `as_of`, on the expected path."""
    points = expected_path(indicator)
    if as_of <= points[0][0]:
        return indicator.baseline
    for (start, low), (end, high) in itertools.pairwise(points):
        if as_of <= end:
            return low + (high - low) * (as_of - start).days / (end - start).days
    return indicator.target


def indicator_status(progress: float | None, expected: float, thresholds: Thresholds) -> Status:
    if progress is None:
        return Status.NO_DATA if expected > 0 else Status.ON_TRACK
    if expected <= 0:
        return Status.ON_TRACK
    ratio = progress / expected
    if ratio >= thresholds.on_track:
        return Status.ON_TRACK
    return Status.AT_RISK if ratio >= thresholds.at_risk else Status.BEHIND


def projected_completion(series: Series, indicator: Indicator, as_of: date) -> date | None:
    """The date the target is reached at the pace observed from 2025-01-01 to `as_of`;
    None when nothing was measured or no progress was made (never, at that pace)."""
    done = series.reached_on(indicator.target, as_of)
    if done is not None:
        return done
    actual = series.actual(as_of)
    elapsed = (as_of - IMPLEMENTATION_START).days
    if actual is None or elapsed <= 0 or actual <= indicator.baseline:
        return None
    pace = (actual - indicator.baseline) / elapsed
    days_needed = math.ceil((indicator.target - actual) / pace)
    try:
        return as_of + timedelta(days=days_needed)
    except OverflowError:
        return None


def evaluate_indicator(
    indicator: Indicator, series: Series, as_of: date, thresholds: Thresholds
) -> IndicatorFigures:
    actual = series.actual(as_of)
    progress = None if actual is None else progress_share(actual, indicator)
    due = expected_value(indicator, as_of)
    expected = progress_share(due, indicator)
    completion = projected_completion(series, indicator, as_of)
    reached = actual is not None and actual >= indicator.target
    late = actual is not None and not reached and (completion is None or completion > indicator.target_date)
    return IndicatorFigures(
        indicator=indicator,
        actual=actual,
        progress=progress,
        expected=expected,
        expected_value=due,
        ratio=None if progress is None or expected <= 0 else progress / expected,
        status=indicator_status(progress, expected, thresholds),
        projected_completion=completion,
        projected_late=late,
    )


def is_stale(last_activity: date | None, as_of: date, thresholds: Thresholds) -> bool:
    """No activity for more than `stale_after_days` (counted from 2025-01-01 if none ever)."""
    since = last_activity or IMPLEMENTATION_START
    return (as_of - since).days > thresholds.stale_after_days


def worst(statuses: Sequence[Status]) -> Status:
    return max(statuses, key=SEVERITY.__getitem__)


def action_point_status(
    indicator_statuses: Sequence[Status], last_activity: date | None, as_of: date, thresholds: Thresholds
) -> Status:
    """Worst of its indicators; without indicators, from its activity."""
    if indicator_statuses:
        return worst(indicator_statuses)
    if last_activity is None:
        return Status.NO_DATA
    return Status.AT_RISK if is_stale(last_activity, as_of, thresholds) else Status.ON_TRACK


def priority_status(action_point_statuses: Sequence[Status]) -> Status:
    """Behind when at least a third of its action points are behind or without data;
    at risk when any is at risk or behind; else on track."""
    troubled = sum(s in (Status.BEHIND, Status.NO_DATA) for s in action_point_statuses)
    if action_point_statuses and 3 * troubled >= len(action_point_statuses):
        return Status.BEHIND
    if any(s in (Status.AT_RISK, Status.BEHIND) for s in action_point_statuses):
        return Status.AT_RISK
    return Status.ON_TRACK


# A project is silent (behind) once this many reporting cadences pass without a report.
SILENT_AFTER_CADENCES = 1.5


def days_without_report(last_report: date | None, start: date, as_of: date) -> int:
    """Days since the last report, or since the project started when it has not reported."""
    return (as_of - (last_report or start)).days


def is_silent(days: int, cadence_days: int) -> bool:
    return days > SILENT_AFTER_CADENCES * cadence_days


def milestone_in_trouble(status: str, due: date, as_of: date) -> bool:
    """Missed, or still pending after its due date (overdue)."""
    return status == "missed" or is_overdue(status, due, as_of)


def is_overdue(status: str, due: date, as_of: date) -> bool:
    return status == "pending" and due < as_of


def project_status(
    last_report: date | None,
    start: date,
    cadence_days: int,
    as_of: date,
    milestone_trouble: bool = False,
) -> Status:
    """From reporting: on track within one cadence of the last report (or of the start),
    at risk up to SILENT_AFTER_CADENCES cadences, behind (silent) beyond; a milestone in
    trouble makes it at least at risk."""
    silence = days_without_report(last_report, start, as_of)
    if silence <= cadence_days:
        status = Status.ON_TRACK
    elif not is_silent(silence, cadence_days):
        status = Status.AT_RISK
    else:
        status = Status.BEHIND
    return worst([status, Status.AT_RISK]) if milestone_trouble else status
