"""The dashboard's indicator chart, as coordinates."""

from __future__ import annotations

from datetime import date

from services.aggregator.charts import HEIGHT, LATEST_END, LEFT, RIGHT, WIDTH, indicator_chart
from shared.domain.framework import Indicator, Milestone
from shared.domain.series import Series

INDICATOR = Indicator(
    id="ind-5.1-officials",
    action_point="5.1",
    name="Asylum officials trained",
    unit="officials",
    aggregation="sum",
    baseline=0,
    target=1000,
    target_date=date(2030, 12, 31),
    milestones=(Milestone(date=date(2027, 12, 31), value=400),),
)


def points(line: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in line.split())]


def test_the_expected_path_runs_from_the_baseline_through_milestones_to_the_target() -> None:
    chart = indicator_chart(INDICATOR, Series((), ()), date(2026, 7, 1), None, None)
    path = points(chart.expected)
    assert len(path) == 3
    assert path[0][0] == LEFT and path[-1][0] == WIDTH - RIGHT  # the target date ends the axis
    assert path[0][1] > path[1][1] > path[2][1] == chart.target_y  # rising (SVG y grows down)
    assert chart.actual == "" and chart.forecast == ""
    assert "nothing measured" in chart.description


def test_the_actual_steps_up_to_as_of_and_the_forecast_goes_on_to_the_projected_day() -> None:
    series = Series((date(2025, 6, 30), date(2025, 12, 31), date(2026, 12, 31)), (100, 250, 900))
    as_of = date(2026, 7, 1)
    chart = indicator_chart(INDICATOR, series, as_of, date(2033, 1, 1), 250)
    actual = points(chart.actual)
    assert actual[-1][0] == chart.as_of_x  # drawn to as_of, not beyond (the 900 is later)
    assert min(y for _, y in actual) > chart.target_y
    forecast = points(chart.forecast)
    assert forecast[0] == actual[-1]
    assert forecast[-1][0] == WIDTH - RIGHT and abs(forecast[-1][1] - chart.target_y) < 0.2
    assert "reached on 1 January 2033" in chart.description
    assert chart.years[-1][1] == "2033"  # the axis reaches the year the text names
    assert all(0 <= y <= HEIGHT for _, y in actual + forecast)


def test_a_far_forecast_is_drawn_to_its_year_with_a_readable_axis() -> None:
    series = Series((date(2025, 6, 30),), (10,))
    chart = indicator_chart(INDICATOR, series, date(2026, 7, 1), date(2090, 1, 1), 10)
    end_x, end_y = points(chart.forecast)[-1]
    assert end_x == WIDTH - RIGHT and abs(end_y - chart.target_y) < 0.2  # it reaches the target then
    assert chart.years[-1][1] == "2090" and "reached on 1 January 2090" in chart.description
    assert len(chart.years) <= 8  # labels that do not overlap


def test_a_forecast_past_the_drawable_end_stops_short_of_the_target() -> None:
    series = Series((date(2025, 6, 30),), (1,))
    chart = indicator_chart(INDICATOR, series, date(2026, 7, 1), date(2400, 1, 1), 1)
    end_x, end_y = points(chart.forecast)[-1]
    assert end_x == WIDTH - RIGHT and end_y > chart.target_y
    assert chart.years[-1][1] == str(LATEST_END.year)
    assert "reached on 1 January 2400 (beyond the chart)" in chart.description
