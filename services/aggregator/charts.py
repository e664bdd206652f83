"""An indicator's chart for the dashboard, as SVG coordinates (pure): the expected path
(baseline, milestones, target), the actual over time up to `as_of`, the forecast from the
last actual to the projected completion, the target line and the `as_of` line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.domain.catalog import IMPLEMENTATION_START
from shared.domain.framework import Indicator
from shared.domain.series import Series
from shared.domain.status import expected_path
from shared.i18n import Messages, messages

WIDTH, HEIGHT = 360, 140
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 22  # room for the axis labels
LATEST_END = date(2100, 12, 31)  # a forecast further out is drawn to here (and says so)
YEAR_LABELS = 7  # at most this many year labels on the axis


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    expected: str  # SVG polyline points
    actual: str
    forecast: str
    target_y: float
    as_of_x: float
    years: list[tuple[float, str]]
    values: list[tuple[float, str]]
    description: str  # the same in words, for screen readers


def _short(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def indicator_chart(
    indicator: Indicator,
    series: Series,
    as_of: date,
    projected: date | None,
    actual: float | None,
    words: Messages | None = None,
) -> Chart:
    """The chart's coordinates, and its description in `words`' language (English by default)."""
    end = max(indicator.target_date, as_of)
    if projected is not None and projected > end:
        end = min(projected, LATEST_END)
    seen = [v for d, v in zip(series.days, series.values, strict=True) if d <= as_of]
    low = min(indicator.baseline, 0.0, *seen)
    high = max(indicator.target, indicator.baseline, *seen) * 1.05 or 1.0
    span_days = max((end - IMPLEMENTATION_START).days, 1)

    def x(day: date) -> float:
        return round(LEFT + (day - IMPLEMENTATION_START).days / span_days * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    def line(points: list[tuple[date, float]]) -> str:
        return " ".join(f"{x(d)},{y(v)}" for d, v in points)

    path = expected_path(indicator)
    steps: list[tuple[date, float]] = [(IMPLEMENTATION_START, indicator.baseline)]
    for day, value in zip(series.days, series.values, strict=True):
        if day > as_of:
            break
        steps += [(day, steps[-1][1]), (day, value)]
    if seen:
        steps.append((as_of, seen[-1]))
    forecast = ""
    if actual is not None and projected is not None and projected > as_of:
        finish = min(projected, end)
        share = (finish - as_of).days / max((projected - as_of).days, 1)
        forecast = line([(as_of, actual), (finish, actual + (indicator.target - actual) * share)])
    # The axis reaches the projected completion the text names, with a label on its year.
    step = -(-(end.year - IMPLEMENTATION_START.year + 1) // YEAR_LABELS)
    years = [
        (x(date(year, 1, 1)), str(year))
        for year in range(IMPLEMENTATION_START.year, end.year + 1)
        if (year - IMPLEMENTATION_START.year) % step == 0 or year == end.year
    ]
    values = [(y(v), _short(v)) for v in sorted({low, indicator.target})]
    description = _described(indicator, actual, projected, end, words or messages("en"))
    return Chart(
        WIDTH,
        HEIGHT,
        line(path),
        line(steps) if seen else "",
        forecast,
        y(indicator.target),
        x(as_of),
        years,
        values,
        description,
    )


def _described(
    indicator: Indicator, actual: float | None, projected: date | None, end: date, words: Messages
) -> str:
    """The chart in words, for screen readers."""
    _ = words.gettext
    shown = _short(actual) if actual is not None else _("nothing measured")
    text = _("{name}: {actual} of a target of {target} {unit} by {target_date}").format(
        name=indicator.name,
        actual=shown,
        target=_short(indicator.target),
        unit=indicator.unit,
        target_date=words.date(indicator.target_date),
    )
    if projected:
        text += _("; at this pace reached on {day}").format(day=words.date(projected))
    if projected and projected > end:
        text += _(" (beyond the chart)")
    return text
