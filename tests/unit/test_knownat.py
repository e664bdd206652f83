"""Figures as known at a past moment: folded once per set of events known, not per moment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from shared.adapters.knownat import KnownAt
from shared.domain.receipts import ReceiptTimes
from tests.readmodel_facts import T0, FakeEventLog, base_documents, receipts_of


class CountingLog(FakeEventLog):
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        super().__init__(documents)
        self.folds = 0

    async def event_batches(
        self, size: int = 5000, known_at: datetime | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        self.folds += 1
        async for batch in super().event_batches(size, known_at):
            yield batch


async def test_moments_between_the_same_two_events_share_one_fold() -> None:
    log = CountingLog(base_documents())  # stored at minutes 0..4, one second past each
    known = KnownAt(log, receipts_of(log.documents), kept=2)
    first = await known.figures(T0 + timedelta(minutes=2, seconds=10))
    again = await known.figures(T0 + timedelta(minutes=2, seconds=50))  # nothing stored in between
    assert again is first and log.folds == 1 and len(first) == 3
    later = await known.figures(T0 + timedelta(minutes=9))
    assert len(later) == 5 and log.folds == 2
    assert len(await known.figures(T0 - timedelta(days=1))) == 0 and log.folds == 2  # nothing known: no fold


async def test_many_moments_fold_at_most_once_per_set_of_events_known() -> None:
    log = CountingLog(base_documents())
    known = KnownAt(
        log, receipts_of(log.documents), kept=8
    )  # room for every set: what is counted is the folds, not evictions
    for second in range(0, 600, 7):  # 86 moments over ten minutes
        await known.figures(T0 + timedelta(seconds=second))
    assert log.folds <= len(base_documents())


async def test_a_moment_still_settling_is_folded_for_each_read_never_kept() -> None:
    """An event stored by a moment a minute ago may still be on its way into the log."""
    log = CountingLog(base_documents())
    moment = T0 + timedelta(minutes=9)
    known = KnownAt(log, receipts_of(log.documents), clock=lambda: moment + timedelta(minutes=1))
    first, again = await known.figures(moment), await known.figures(moment)
    assert first is not again and log.folds == 2 and len(again) == 5
    settled = KnownAt(log, receipts_of(log.documents), clock=lambda: moment + timedelta(minutes=10))
    assert await settled.figures(moment) is await settled.figures(moment) and log.folds == 3


def test_receipt_times_answer_the_last_event_stored_by_a_moment_in_any_order_of_folding() -> None:
    receipts = ReceiptTimes()
    for minutes in (3, 1, 4, 1, 2):  # loaded out of order, one twice (a reconnection)
        receipts.add(T0 + timedelta(minutes=minutes))
    assert receipts.last_by(T0 + timedelta(minutes=2, seconds=30)) == T0 + timedelta(minutes=2)
    assert receipts.last_by(T0) is None
    receipts.add(T0 + timedelta(minutes=9))
    assert receipts.last_by(T0 + timedelta(hours=1)) == T0 + timedelta(minutes=9)
