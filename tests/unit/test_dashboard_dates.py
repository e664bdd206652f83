"""The day the dashboard is asked for."""

from __future__ import annotations

from datetime import date

import pytest

from services.aggregator.choices import chosen_day

TODAY = date(2026, 12, 2)


def test_the_day_from_the_form_or_the_link() -> None:
    assert chosen_day({}, TODAY) == (TODAY, None)
    assert chosen_day({"as_of": ""}, TODAY) == (TODAY, None)
    assert chosen_day({"as_of": "2025-03-01"}, TODAY) == (date(2025, 3, 1), None)
    assert chosen_day({"day": "1", "month": "3", "year": "2025"}, TODAY) == (date(2025, 3, 1), None)


@pytest.mark.parametrize(
    "query",
    [
        {"as_of": "someday"},
        {"as_of": "0"},
        {"day": "31", "month": "2", "year": "2026"},
        {"day": "1", "month": "1", "year": "99999999999999999999"},
        {"day": "-1", "month": "0", "year": "2026"},
        {"month": "3"},
    ],
)
def test_a_day_that_is_none_is_said_so(query: dict[str, str]) -> None:
    day, problem = chosen_day(query, TODAY)
    assert day == TODAY and problem is not None
    assert len(problem) < 120  # the query is not echoed at length
