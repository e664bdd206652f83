"""The status rules of DESIGN §5, with figures worked out by hand in each row.

Day numbers count from 2025-01-01 (day 0); every target here falls on day 400, so the
linear expectation on day 100 is exactly a quarter of the way.
"""

from __future__ import annotations

import pickle
from datetime import date, timedelta
from typing import Any

import pytest

from shared.domain.framework import Indicator, Milestone
from shared.domain.series import Measurement, Series
from shared.domain.status import (
    Status,
    Thresholds,
    action_point_status,
    evaluate_indicator,
    expected_value,
    is_stale,
    priority_status,
    progress_share,
    project_status,
    worst,
)
from shared.i18n import messages

T = Thresholds()
S = Status


def day(n: int) -> date:
    return date(2025, 1, 1) + timedelta(days=n)


def indicator(**fields: Any) -> Indicator:
    base = {
        "id": "ind-x",
        "action_point": "1.2",
        "name": "n",
        "unit": "u",
        "aggregation": "sum",
        "baseline": 0,
        "target": 400,
        "target_date": day(400),
    }
    return Indicator.model_validate({**base, **fields})


def measured(*points: tuple[float, int]) -> list[Measurement]:
    """(value, day the period ended); each period starts 30 days before it ends."""
    return [Measurement(value, day(end - 30), day(end)) for value, end in points]


def series(aggregation: str = "sum", *points: tuple[float, int]) -> Series:
    return Series.of(measured(*points), aggregation)


# Linear: expected on day 100 = 100/400 of the way = 0.25.
@pytest.mark.parametrize(
    ("points", "actual", "progress", "ratio", "status"),
    [
        ([(30, 50), (40, 90), (500, 150)], 70, 0.175, 0.7, S.AT_RISK),  # the 500 ends after as_of
        ([(30, 50)], 30, 0.075, 0.3, S.BEHIND),
        (
            [(30, 50), (40, 90), (20, 100)],
            90,
            0.225,
            0.9,
            S.ON_TRACK,
        ),  # ends on as_of: counts; 0.9 is on track
        ([(30, 50), (40, 90), (19, 100)], 89, 0.2225, 0.89, S.AT_RISK),
        ([(24, 50)], 24, 0.06, 0.24, S.BEHIND),
        ([(60, 50)], 60, 0.15, 0.6, S.AT_RISK),  # 0.6 exactly is at risk
    ],
)
def test_linear_expectation_and_status(
    points: list[tuple[float, int]], actual: float, progress: float, ratio: float, status: Status
) -> None:
    figures = evaluate_indicator(indicator(), series("sum", *points), day(100), T)
    assert figures.expected == pytest.approx(0.25)
    assert figures.actual == pytest.approx(actual)
    assert figures.progress == pytest.approx(progress)
    assert figures.ratio == pytest.approx(ratio)
    assert figures.status is status


def test_latest_with_a_baseline() -> None:
    # baseline 2, target 10; as of day 100 the latest counted value is 5 (the 9 ends on day 200):
    # progress (5-2)/(10-2) = 0.375; expected 0.25; ratio 1.5.
    ind = indicator(aggregation="latest", baseline=2, target=10)
    figures = evaluate_indicator(ind, series("latest", (4, 30), (5, 80), (9, 200)), day(100), T)
    assert (figures.actual, figures.progress, figures.ratio) == (5, 0.375, 1.5)
    assert figures.status is S.ON_TRACK
    # Pace (5-2)/100 days = 0.03 a day; 5 to go -> 166.7, so 167 days -> day 267, before day 400.
    assert figures.projected_completion == day(267)
    assert figures.projected_late is False


def test_latest_adds_up_each_projects_latest_value() -> None:
    a, b = "PROJECT-A", "PROJECT-B"
    points = [
        Measurement(3, day(0), day(30), a),
        Measurement(2, day(0), day(40), b),
        Measurement(4, day(30), day(60), a),  # replaces A's 3, keeps B's 2
    ]
    assert Series.of(points, "latest").actual(day(35)) == 3
    assert Series.of(points, "latest").actual(day(45)) == 5
    assert Series.of(points, "latest").actual(day(60)) == 6
    assert Series.of(points, "sum").actual(day(60)) == 9


def test_sum_versus_latest_of_the_same_measurements() -> None:
    points = measured((4, 30), (5, 80))
    assert Series.of(points, "sum").actual(day(100)) == 9
    assert Series.of(points, "latest").actual(day(100)) == 5
    assert Series.of(points, "sum").actual(day(29)) is None


@pytest.mark.parametrize(
    ("as_of", "share"),
    [
        (0, 0.0),
        (50, 0.05),  # towards the milestone: 100 * 50/100 = 50 of 1000
        (100, 0.1),  # on the milestone
        (250, 0.55),  # 100 + 900 * 150/300 = 550
        (400, 1.0),
        (900, 1.0),  # after the target date: the whole target
    ],
)
def test_expectation_through_milestones(as_of: int, share: float) -> None:
    ind = indicator(target=1000, milestones=[Milestone(date=day(100), value=100)])
    assert progress_share(expected_value(ind, day(as_of)), ind) == pytest.approx(share)


def test_no_data_only_while_something_is_expected() -> None:
    assert evaluate_indicator(indicator(), series(), day(100), T).status is S.NO_DATA
    assert evaluate_indicator(indicator(), series(), day(0), T).status is S.ON_TRACK
    assert evaluate_indicator(indicator(), series("sum", (5, 200)), day(100), T).status is S.NO_DATA


def test_forecast_late_when_the_pace_is_too_slow() -> None:
    # 70 in 100 days = 0.7 a day; 330 to go -> 471.4, so 472 days -> day 572, after day 400.
    figures = evaluate_indicator(indicator(), series("sum", (30, 50), (40, 90)), day(100), T)
    assert figures.projected_completion == day(572)
    assert figures.projected_late is True


def test_forecast_of_a_reached_target_is_the_day_it_was_reached() -> None:
    figures = evaluate_indicator(indicator(), series("sum", (250, 60), (200, 90)), day(100), T)
    assert figures.projected_completion == day(90)
    assert figures.projected_late is False


def test_forecast_without_progress_is_never() -> None:
    figures = evaluate_indicator(
        indicator(aggregation="latest", baseline=2, target=10), series("latest", (2, 50)), day(100), T
    )
    assert figures.projected_completion is None
    assert figures.projected_late is True
    nothing = evaluate_indicator(indicator(), series(), day(100), T)
    assert (nothing.projected_completion, nothing.projected_late) == (None, False)


@pytest.mark.parametrize(
    ("last", "as_of", "stale", "status"),
    [
        (10, 130, False, S.ON_TRACK),  # 120 days: still within
        (10, 131, True, S.AT_RISK),
        (None, 100, False, S.NO_DATA),
        (None, 121, True, S.NO_DATA),  # never active: stale once 120 days of the period passed
    ],
)
def test_action_point_without_indicators(last: int | None, as_of: int, stale: bool, status: Status) -> None:
    last_day = None if last is None else day(last)
    assert is_stale(last_day, day(as_of), T) is stale
    assert action_point_status([], last_day, day(as_of), T).status is status


def test_action_point_is_the_worst_of_its_indicators() -> None:
    judged = action_point_status([("Trained", S.ON_TRACK), ("Returned", S.AT_RISK)], day(10), day(20), T)
    assert judged.status is S.AT_RISK
    assert judged.why == "worst of its 2 indicators: “Returned” at risk"
    assert worst([S.ON_TRACK, S.AT_RISK, S.NO_DATA]) is S.NO_DATA
    assert worst([S.NO_DATA, S.BEHIND]) is S.BEHIND


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([S.BEHIND, S.NO_DATA] + [S.ON_TRACK] * 4, S.BEHIND),  # 2 of 6 = a third
        ([S.BEHIND] + [S.ON_TRACK] * 5, S.AT_RISK),
        ([S.NO_DATA] + [S.ON_TRACK] * 5, S.ON_TRACK),
        ([S.AT_RISK] * 5, S.AT_RISK),
        ([S.BEHIND] * 2 + [S.ON_TRACK] * 6, S.AT_RISK),  # 2 of 8 < a third
        ([S.BEHIND] * 3 + [S.ON_TRACK] * 5, S.BEHIND),  # 3 of 8 >= a third
        ([S.ON_TRACK] * 5, S.ON_TRACK),
    ],
)
def test_the_one_third_rule_for_priorities(statuses: list[Status], expected: Status) -> None:
    assert priority_status({f"1.{n}": s for n, s in enumerate(statuses, 1)}).status is expected


def test_thresholds_are_settings() -> None:
    strict = Thresholds(on_track=0.95, at_risk=0.8)
    figures = evaluate_indicator(indicator(), series("sum", (30, 50), (40, 90), (20, 100)), day(100), strict)
    assert figures.status is S.AT_RISK  # ratio 0.9


@pytest.mark.parametrize(
    ("points", "as_of", "status", "why"),
    [
        ((), 100, S.NO_DATA, "nothing measured, while 25% of the way is due"),
        ((), 0, S.ON_TRACK, "nothing measured, and nothing is due yet"),
        (((100, 90),), 100, S.ON_TRACK, "ratio 1.00 ≥ 0.90: 25% of the way done, 25% due"),
        (((75, 90),), 100, S.AT_RISK, "0.60 ≤ ratio 0.75 < 0.90: 19% of the way done, 25% due"),
        (((20, 90),), 100, S.BEHIND, "ratio 0.20 < 0.60: 5% of the way done, 25% due"),
        # 0.8996 would read "0.90 < 0.90": shown with the decimals that tell it apart
        (((89.96, 90),), 100, S.AT_RISK, "0.60 ≤ ratio 0.8996 < 0.90: 22% of the way done, 25% due"),
    ],
)
def test_an_indicator_says_why(
    points: tuple[tuple[float, int], ...], as_of: int, status: Status, why: str
) -> None:
    figures = evaluate_indicator(indicator(), series("sum", *points), day(as_of), T)
    assert (figures.status, figures.why) == (status, why)


@pytest.mark.parametrize(
    ("indicators", "last", "status", "why"),
    [
        ([("A", S.ON_TRACK), ("B", S.ON_TRACK)], None, S.ON_TRACK, "all 2 of its indicators on track"),
        ([("A", S.BEHIND)], None, S.BEHIND, "its one indicator, “A”, behind"),
        # two indicators of one name: both counted, both named
        (
            [("A", S.BEHIND), ("B", S.NO_DATA), ("A", S.BEHIND)],
            None,
            S.BEHIND,
            "worst of its 3 indicators: “A”, “A” behind",
        ),
        ([], None, S.NO_DATA, "no indicators, and no activity yet"),
        ([], 10, S.AT_RISK, "no indicators; last activity 190 days ago > 120"),
        ([], 150, S.ON_TRACK, "no indicators; last activity 50 days ago ≤ 120"),
    ],
)
def test_an_action_point_says_why(
    indicators: list[tuple[str, Status]], last: int | None, status: Status, why: str
) -> None:
    judged = action_point_status(indicators, None if last is None else day(last), day(200), T)
    assert (judged.status, judged.why) == (status, why)


@pytest.mark.parametrize(
    ("statuses", "status", "why"),
    [
        (
            [S.BEHIND, S.NO_DATA] + [S.ON_TRACK] * 4,
            S.BEHIND,
            "2 of 6 action points behind or without data (1.1, 1.2) ≥ one third",
        ),
        (
            [S.AT_RISK, S.NO_DATA] + [S.ON_TRACK] * 4,
            S.AT_RISK,
            "1 of 6 action points at risk or behind (1.1); 1 of 6 action points behind or without data (1.2) < one third",
        ),
        (
            [S.NO_DATA] + [S.ON_TRACK] * 5,
            S.ON_TRACK,
            "none of its 6 action points at risk or behind; 1 of 6 action points behind or without data (1.1) < one third",
        ),
        ([S.ON_TRACK] * 6, S.ON_TRACK, "none of its 6 action points at risk or behind"),
    ],
)
def test_a_priority_says_why(statuses: list[Status], status: Status, why: str) -> None:
    judged = priority_status({f"1.{n}": s for n, s in enumerate(statuses, 1)})
    assert (judged.status, judged.why) == (status, why)


@pytest.mark.parametrize(
    ("last", "trouble", "status", "why"),
    [
        (170, (), S.ON_TRACK, "last report 30 days ago ≤ its 90-day cadence"),
        (100, (), S.AT_RISK, "last report 100 days ago > its 90-day cadence, ≤ 1.5 × 90"),
        (None, (), S.BEHIND, "no report yet; started 200 days ago > 1.5 × its 90-day cadence: silent"),
        (
            170,
            ("M-1",),
            S.AT_RISK,
            "last report 30 days ago ≤ its 90-day cadence; milestone M-1 missed or overdue",
        ),
        (
            None,
            ("M-1", "M-2"),
            S.BEHIND,
            "no report yet; started 200 days ago > 1.5 × its 90-day cadence: silent; "
            "milestones M-1, M-2 missed or overdue",
        ),
    ],
)
def test_a_project_says_why(last: int | None, trouble: tuple[str, ...], status: Status, why: str) -> None:
    judged = project_status(None if last is None else day(last), day(0), 90, day(200), trouble)
    assert (judged.status, judged.why) == (status, why)


def test_why_in_russian_keeps_its_numbers_and_survives_a_copy() -> None:
    ru = messages("ru")
    priority = priority_status({"5.1": S.BEHIND, "5.2": S.NO_DATA, "5.3": S.ON_TRACK})
    assert priority.why == "2 of 3 action points behind or without data (5.1, 5.2) ≥ one third"
    assert ru.said(priority.why) == "2 из 3 пунктов действий отстают или без данных (5.1, 5.2) ≥ одной трети"
    ap = action_point_status([("Returnees supported", S.BEHIND)], None, day(200), Thresholds())
    assert ru.said(ap.why) == "единственный показатель “Returnees supported”: отставание"
    project = project_status(None, day(0), 90, day(200), ("M-1",))
    assert ru.said(project.why) == (
        "сообщений пока нет; начат 200 дн. назад > 1.5 × периодичности 90 дн.: молчит; "
        "контрольный этап M-1 пропущен или просрочен"
    )
    copied = pickle.loads(pickle.dumps(project.why))
    assert copied == project.why and ru.said(copied) == ru.said(project.why)
    assert ru.said("a text from JSON") == "a text from JSON"  # read back: English, as it is
    assert messages("en").said(project.why) == project.why
