"""Events whose alerts the notifier tests read, and checks of the text people read."""

from __future__ import annotations

import re
from typing import Any

from shared.events.models import EventType
from tests.factories import activity_data, measurement_data, milestone_data, registration_data


def seeded_events() -> list[tuple[EventType, dict[str, Any], int]]:
    """(type, data, days before NOW it was reported) of a project of priority 3 that lags:
    1,234 return cases monitored of 10,000, last active in October 2025, a milestone missed."""
    pid = "WORDS-1"
    return [
        (EventType.PROJECT_REGISTERED, {**registration_data(pid), "action_points": ["3.3", "3.2"]}, 500),
        (
            EventType.INDICATOR_MEASURED,
            measurement_data(pid, indicator_id="ind-3.3-return-cases-monitored", value=1234),
            200,
        ),
        (
            EventType.ACTIVITY_REPORTED,
            activity_data(pid, action_points=["3.3"], start_date="2025-10-01", end_date="2025-10-03"),
            200,
        ),
        (EventType.MILESTONE_UPDATED, milestone_data(pid, status="missed", due_date="2025-09-30"), 240),
    ]


def decimals_outside_ratios(text: str) -> list[str]:
    """Numbers written with decimals that are no ratio ("0.52 of the progress expected"):
    action point ids (3.3) have one decimal, so two or more, or a trailing .0, are figures."""
    figures = re.finditer(r"\d+\.\d{2,}(?! of the progress expected)|\d+\.0\b", text)
    return [m[0] for m in figures]
