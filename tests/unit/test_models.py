"""Event data models: unknown fields rejected, the rules inside one event."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.events.models import DATA_MODELS, EventType, ReportWithdrawn
from tests.factories import SAMPLES

PID = "PK-RETURN-01"


@pytest.mark.parametrize("event_type", list(EventType))
def test_unknown_fields_are_rejected(event_type: EventType) -> None:
    with pytest.raises(ValidationError) as caught:
        DATA_MODELS[event_type].model_validate({**SAMPLES[event_type](PID), "extra": 1})
    assert caught.value.errors()[0]["loc"] == ("extra",)


@pytest.mark.parametrize("bad", ["ab", "lower-case", "-LEADING", "X" * 65, "SPACE D"])
def test_project_id_pattern(bad: str) -> None:
    with pytest.raises(ValidationError):
        DATA_MODELS[EventType.ACTIVITY_REPORTED].model_validate(
            {**SAMPLES[EventType.ACTIVITY_REPORTED](PID), "project_id": bad}
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": "x"},
        {
            "activity_id": "A-1",
            "indicator_id": "i",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "reason": "x",
        },
        {"indicator_id": "i", "period_start": "2026-01-01", "reason": "x"},
    ],
)
def test_a_withdrawal_names_one_report(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReportWithdrawn.model_validate({"project_id": PID, **fields})


def test_a_withdrawal_of_a_measurement() -> None:
    w = ReportWithdrawn.model_validate(
        {
            "project_id": PID,
            "indicator_id": "i",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "reason": "x",
        }
    )
    assert w.activity_id is None


def test_participants_parts_within_total() -> None:
    data = {**SAMPLES[EventType.ACTIVITY_REPORTED](PID), "participants": {"total": 10, "women": 6, "men": 6}}
    with pytest.raises(ValidationError, match="women \\+ men exceeds total"):
        DATA_MODELS[EventType.ACTIVITY_REPORTED].model_validate(data)


def test_registration_defaults_cadence_to_90_days() -> None:
    model = DATA_MODELS[EventType.PROJECT_REGISTERED].model_validate(
        SAMPLES[EventType.PROJECT_REGISTERED](PID)
    )
    assert model.model_dump()["reporting_cadence_days"] == 90
