"""The read model's starting facts: a project, two activities and two measurements of one
indicator, for the tests of the read model, its API and its updates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.domain.facts import Fact, fact_of_document
from shared.domain.framework import Indicator, ResultsFramework
from shared.domain.receipts import ReceiptTimes
from shared.events.models import EventType
from tests.factories import activity_data, measurement_data, registration_data

PID = "PK-REINT-01"
T0 = datetime(2026, 1, 10, tzinfo=UTC)
FRAMEWORK = ResultsFramework(
    indicators=(
        Indicator(
            id="ind-3.1-returnees-supported",
            action_point="3.1",
            name="Returnees supported",
            unit="returnees",
            aggregation="sum",
            target=1000,
            target_date=date(2026, 12, 31),
        ),
    )
)


def document(kind: EventType, data: dict[str, Any], minutes: int, event_id: str) -> dict[str, Any]:
    """An event as the events collection stores it (the fields the read side reads), received
    a second after its time."""
    at = T0 + timedelta(minutes=minutes)
    return {
        "type": str(kind),
        "data": data,
        "time": at,
        "id": event_id,
        "stored_at": at + timedelta(seconds=1),
    }


def fact(kind: EventType, data: dict[str, Any], minutes: int, event_id: str) -> Any:
    return fact_of_document(document(kind, data, minutes, event_id))


class FakeEventLog:
    """The events collection as the read side reads it, from documents held in a list."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents

    async def indicator_reports(self, indicator_id: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["data"].get("indicator_id") == indicator_id]

    async def event_batches(
        self, size: int = 5000, known_at: datetime | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        stored = [d for d in self.documents if known_at is None or d["stored_at"] <= known_at]
        for start in range(0, len(stored), size):
            yield stored[start : start + size]


def base_documents() -> list[dict[str, Any]]:
    return [
        document(EventType.PROJECT_REGISTERED, registration_data(PID), 0, "r1"),
        document(
            EventType.ACTIVITY_REPORTED,
            activity_data(PID, "A-1", start_date="2026-03-02", end_date="2026-03-06"),
            1,
            "a1",
        ),
        document(
            EventType.ACTIVITY_REPORTED,
            activity_data(PID, "A-2", start_date="2026-05-10", end_date=None, status="ongoing"),
            2,
            "a2",
        ),
        document(
            EventType.INDICATOR_MEASURED,
            measurement_data(PID, value=120, period_start="2026-01-01", period_end="2026-03-31"),
            3,
            "m1",
        ),
        document(
            EventType.INDICATOR_MEASURED,
            measurement_data(PID, value=200, period_start="2026-04-01", period_end="2026-06-30"),
            4,
            "m2",
        ),
    ]


def base_facts() -> list[Any]:
    return [fact_of_document(d) for d in base_documents()]


def fold(facts: Iterable[Fact | None]) -> dict[str, Fact]:
    """The winning version of every key, from the final set at once: what the incremental
    fact set must always equal."""
    current: dict[str, Fact] = {}
    for fact in facts:
        if fact is not None and fact.supersedes(current.get(fact.key)):
            current[fact.key] = fact
    return current


def receipts_of(documents: Iterable[dict[str, Any]]) -> ReceiptTimes:
    """When the documents were stored, as a live view folding them keeps it."""
    receipts = ReceiptTimes()
    for doc in documents:
        receipts.add(doc["stored_at"])
    return receipts
