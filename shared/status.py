"""Status rules of DESIGN §5 as pure functions of (figures, framework, as_of, thresholds).

The same functions serve the read API, the rebuild and the notifier.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shared.catalog import IMPLEMENTATION_START
from shared.framework import Indicator


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


@dataclass(frozen=True)
class Measurement:
    value: float
    period_start: date
    period_end: date


@dataclass(frozen=True)
class IndicatorFigures:
    indicator: Indicator
    actual: float | None
    progress: float | None
    expected: float
    ratio: float | None
    status: Status
    projected_completion: date | None
    projected_late: bool


def counted(measurements: Sequence[Measurement], as_of: date) -> list[Measurement]:
    """The measurements that count as of a date: their period ended by then, oldest first."""
    return sorted((m for m in measurements if m.period_end <= as_of), key=lambda m: m.period_end)


def actual_value(measurements: Sequence[Measurement], aggregation: str, as_of: date) -> float | None:
    """Sum of the measurements, or the latest one, among those whose period ended by `as_of`."""
    usable = counted(measurements, as_of)
    if not usable:
        return None
    if aggregation == "latest":
        return usable[-1].value
    return math.fsum(m.value for m in usable)


def progress_share(actual: float, indicator: Indicator) -> float:
    return (actual - indicator.baseline) / (indicator.target - indicator.baseline)


def expected_value(indicator: Indicator, as_of: date) -> float:
    """The value due by `as_of`: linear from 2025-01-01 to the target date, through milestones."""
    points = [
        (IMPLEMENTATION_START, indicator.baseline),
        *((m.date, m.value) for m in indicator.milestones),
        (indicator.target_date, indicator.target),
    ]
    if as_of <= points[0][0]:
        return indicator.baseline
    for (start, low), (end, high) in itertools.pairwise(points):
        if as_of <= end:
            return low + (high - low) * (as_of - start).days / (end - start).days
    return indicator.target


def expected_share(indicator: Indicator, as_of: date) -> float:
    return progress_share(expected_value(indicator, as_of), indicator)


def indicator_status(progress: float | None, expected: float, thresholds: Thresholds) -> Status:
    if progress is None:
        return Status.NO_DATA if expected > 0 else Status.ON_TRACK
    if expected <= 0:
        return Status.ON_TRACK
    ratio = progress / expected
    if ratio >= thresholds.on_track:
        return Status.ON_TRACK
    return Status.AT_RISK if ratio >= thresholds.at_risk else Status.BEHIND


def reached_on(measurements: Sequence[Measurement], indicator: Indicator, as_of: date) -> date | None:
    """When the target was reached, if it was by `as_of`."""
    usable = counted(measurements, as_of)
    for n, m in enumerate(usable):
        value = m.value if indicator.aggregation == "latest" else math.fsum(x.value for x in usable[: n + 1])
        if value >= indicator.target:
            return m.period_end
    return None


def projected_completion(
    measurements: Sequence[Measurement], indicator: Indicator, as_of: date
) -> date | None:
    """The date the target is reached at the pace observed from 2025-01-01 to `as_of`;
    None when nothing was measured or no progress was made (never, at that pace)."""
    done = reached_on(measurements, indicator, as_of)
    if done is not None:
        return done
    actual = actual_value(measurements, indicator.aggregation, as_of)
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
    indicator: Indicator, measurements: Sequence[Measurement], as_of: date, thresholds: Thresholds
) -> IndicatorFigures:
    actual = actual_value(measurements, indicator.aggregation, as_of)
    progress = None if actual is None else progress_share(actual, indicator)
    expected = expected_share(indicator, as_of)
    completion = projected_completion(measurements, indicator, as_of)
    reached = actual is not None and actual >= indicator.target
    late = actual is not None and not reached and (completion is None or completion > indicator.target_date)
    return IndicatorFigures(
        indicator=indicator,
        actual=actual,
        progress=progress,
        expected=expected,
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
