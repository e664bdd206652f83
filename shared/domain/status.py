"""The status rules (README "Reading the status") as pure functions of (figures, framework,
as_of, thresholds).

The same functions serve the read API, the rebuild and the notifier.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shared.domain.catalog import IMPLEMENTATION_START
from shared.domain.framework import Indicator
from shared.domain.said import Said, Word
from shared.domain.series import Series
from shared.i18n import N_


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
class Judged:
    """A status with why: the rule that gave it and its numbers, in words."""

    status: Status
    why: Said


# A status as a label ("Behind": badges, headings) and as a word in a sentence or a cell
# ("behind"), for the catalogs; said in the reader's language where they are shown.
STATUS_LABELS = {
    Status.ON_TRACK: N_("On track"),
    Status.AT_RISK: N_("At risk"),
    Status.BEHIND: N_("Behind"),
    Status.NO_DATA: N_("No data"),
}
STATUS_NAMES = {
    Status.ON_TRACK: N_("on track"),
    Status.AT_RISK: N_("at risk"),
    Status.BEHIND: N_("behind"),
    Status.NO_DATA: N_("no data"),
}

# A status in the words of a `why` ("2 of 6 action points behind or without data").
STATUS_WORDS = {
    Status.ON_TRACK: N_("on track"),
    Status.AT_RISK: N_("at risk"),
    Status.NO_DATA: N_("without data"),
    Status.BEHIND: N_("behind"),
}


def _share(value: float) -> str:
    return f"{value:.0%}"


def _compared(value: float, threshold: float) -> str:
    """`value` with as many decimals as it takes not to read equal to `threshold`."""
    for decimals in (2, 3, 4):
        shown = f"{value:.{decimals}f}"
        if value == threshold or shown != f"{threshold:.{decimals}f}":
            return shown
    return f"{value:.6f}"


@dataclass(frozen=True)
class IndicatorFigures:
    indicator: Indicator
    actual: float | None
    progress: float | None
    expected: float  # the share of the way from baseline to target due by as_of
    expected_value: float  # the value due by as_of
    ratio: float | None
    status: Status
    why: Said
    projected_completion: date | None
    projected_late: bool


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


def indicator_status(progress: float | None, expected: float, thresholds: Thresholds) -> Judged:
    """From the ratio of progress made to progress due: on track at `on_track` or above, at
    risk at `at_risk` or above, behind below; without data when something is due and
    nothing was measured; on track while nothing is due."""
    if progress is None:
        if expected > 0:
            return Judged(
                Status.NO_DATA,
                Said.of(N_("nothing measured, while {due} of the way is due"), due=_share(expected)),
            )
        return Judged(Status.ON_TRACK, Said.of(N_("nothing measured, and nothing is due yet")))
    done = _share(progress)
    if expected <= 0:
        return Judged(
            Status.ON_TRACK, Said.of(N_("{done} of the way done, and nothing is due yet"), done=done)
        )
    ratio = progress / expected
    due, on_track, at_risk = _share(expected), f"{thresholds.on_track:.2f}", f"{thresholds.at_risk:.2f}"
    if ratio >= thresholds.on_track:
        shown = _compared(ratio, thresholds.on_track)
        message = N_("ratio {ratio} ≥ {on_track}: {done} of the way done, {due} due")
        return Judged(Status.ON_TRACK, Said.of(message, ratio=shown, on_track=on_track, done=done, due=due))
    if ratio >= thresholds.at_risk:
        shown = _compared(ratio, thresholds.on_track)
        message = N_("{at_risk} ≤ ratio {ratio} < {on_track}: {done} of the way done, {due} due")
        why = Said.of(message, at_risk=at_risk, ratio=shown, on_track=on_track, done=done, due=due)
        return Judged(Status.AT_RISK, why)
    shown = _compared(ratio, thresholds.at_risk)
    message = N_("ratio {ratio} < {at_risk}: {done} of the way done, {due} due")
    return Judged(Status.BEHIND, Said.of(message, ratio=shown, at_risk=at_risk, done=done, due=due))


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
    judged = indicator_status(progress, expected, thresholds)
    return IndicatorFigures(
        indicator=indicator,
        actual=actual,
        progress=progress,
        expected=expected,
        expected_value=due,
        ratio=None if progress is None or expected <= 0 else progress / expected,
        status=judged.status,
        why=judged.why,
        projected_completion=completion,
        projected_late=late,
    )


def is_stale(last_activity: date | None, as_of: date, thresholds: Thresholds) -> bool:
    """No activity for more than `stale_after_days` (counted from 2025-01-01 if none ever)."""
    since = last_activity or IMPLEMENTATION_START
    return (as_of - since).days > thresholds.stale_after_days


def worst(statuses: Sequence[Status]) -> Status:
    return max(statuses, key=SEVERITY.__getitem__)


def _listed(ids: Sequence[str]) -> str:
    return f" ({', '.join(ids)})" if ids else ""


def action_point_status(
    indicators: Sequence[tuple[str, Status]], last_activity: date | None, as_of: date, thresholds: Thresholds
) -> Judged:
    """Worst of its indicators ((name, status) pairs); without indicators, from its
    activity: on track, at risk once stale, without data when it has had none."""
    if indicators:
        status = worst([s for _, s in indicators])
        named = ", ".join(f"“{name}”" for name, s in indicators if s is status)
        if len(indicators) == 1:
            return Judged(
                status,
                Said.of(
                    N_("its one indicator, {names}, {status}"), names=named, status=Word(STATUS_WORDS[status])
                ),
            )
        if status is Status.ON_TRACK:
            return Judged(status, Said.of(N_("all {n} of its indicators on track"), n=len(indicators)))
        message = N_("worst of its {n} indicators: {names} {status}")
        return Judged(
            status, Said.of(message, n=len(indicators), names=named, status=Word(STATUS_WORDS[status]))
        )
    if last_activity is None:
        return Judged(Status.NO_DATA, Said.of(N_("no indicators, and no activity yet")))
    days, limit = (as_of - last_activity).days, thresholds.stale_after_days
    if is_stale(last_activity, as_of, thresholds):
        return Judged(
            Status.AT_RISK,
            Said.of(N_("no indicators; last activity {days} days ago > {limit}"), days=days, limit=limit),
        )
    return Judged(
        Status.ON_TRACK,
        Said.of(N_("no indicators; last activity {days} days ago ≤ {limit}"), days=days, limit=limit),
    )


def priority_status(action_points: Mapping[str, Status]) -> Judged:
    """Behind when at least a third of its action points (by id) are behind or without
    data; at risk when any is at risk or behind; else on track."""
    n = len(action_points)
    troubled = [ap for ap, s in action_points.items() if s in (Status.BEHIND, Status.NO_DATA)]
    lagging = [ap for ap, s in action_points.items() if s in (Status.AT_RISK, Status.BEHIND)]
    counts = {"troubled": len(troubled), "n": n, "listed": _listed(troubled)}
    if n and 3 * len(troubled) >= n:
        return Judged(
            Status.BEHIND,
            Said.of(
                N_("{troubled} of {n} action points behind or without data{listed} ≥ one third"), **counts
            ),
        )
    few = (
        Said.of(N_("{troubled} of {n} action points behind or without data{listed} < one third"), **counts)
        if troubled
        else None
    )
    if lagging:
        why = Said.of(
            N_("{lagging} of {n} action points at risk or behind{listed}"),
            lagging=len(lagging),
            n=n,
            listed=_listed(lagging),
        )
        return Judged(Status.AT_RISK, why.joined(few) if few else why)
    calm = Said.of(N_("none of its {n} action points at risk or behind"), n=n)
    return Judged(Status.ON_TRACK, calm.joined(few) if few else calm)


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
    milestones_in_trouble: Sequence[str] = (),
) -> Judged:
    """From reporting: on track within one cadence of the last report (or of the start),
    at risk up to SILENT_AFTER_CADENCES cadences, behind (silent) beyond; a milestone in
    trouble (by id) makes it at least at risk."""
    silence = days_without_report(last_report, start, as_of)
    values = {"days": silence, "cadence": cadence_days, "times": SILENT_AFTER_CADENCES}
    if silence <= cadence_days:
        status = Status.ON_TRACK
        message = (
            N_("last report {days} days ago ≤ its {cadence}-day cadence")
            if last_report
            else N_("no report yet; started {days} days ago ≤ its {cadence}-day cadence")
        )
    elif not is_silent(silence, cadence_days):
        status = Status.AT_RISK
        message = (
            N_("last report {days} days ago > its {cadence}-day cadence, ≤ {times} × {cadence}")
            if last_report
            else N_(
                "no report yet; started {days} days ago > its {cadence}-day cadence, ≤ {times} × {cadence}"
            )
        )
    else:
        status = Status.BEHIND
        message = (
            N_("last report {days} days ago > {times} × its {cadence}-day cadence: silent")
            if last_report
            else N_("no report yet; started {days} days ago > {times} × its {cadence}-day cadence: silent")
        )
    why = Said.of(message, **values)
    if not milestones_in_trouble:
        return Judged(status, why)
    ids = ", ".join(milestones_in_trouble)
    if len(milestones_in_trouble) > 1:
        trouble = Said.of(N_("milestones {ids} missed or overdue"), ids=ids)
    else:
        trouble = Said.of(N_("milestone {ids} missed or overdue"), ids=ids)
    return Judged(worst([status, Status.AT_RISK]), why.joined(trouble))
