"""Status snapshots and progress messages, with a hand-written fake store and publisher."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from services.aggregator.progress import ProgressChange, ProgressTracker
from shared.clock import fixed_clock
from shared.domain.liveview import LiveView
from shared.domain.status import Status, Thresholds
from shared.events.models import EventType
from tests.factories import activity_data
from tests.readmodel_facts import FRAMEWORK, PID, T0, base_facts


class FakeSnapshots:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.writes = 0

    async def snapshots(self) -> dict[str, dict[str, Any]]:
        return {k: {"_id": k, **v} for k, v in self.docs.items()}

    async def write_snapshots(self, docs: Mapping[str, dict[str, Any]]) -> None:
        self.writes += len(docs)
        self.docs.update(docs)


async def tracker(
    view: LiveView, store: FakeSnapshots, sent: list[ProgressChange], at: datetime
) -> ProgressTracker:
    async def publish(change: ProgressChange) -> None:
        sent.append(change)

    tracker = ProgressTracker(view, store, publish, fixed_clock(at), 0, 60)
    await tracker.start()
    return tracker


async def test_first_refresh_publishes_every_subject_then_only_changes() -> None:
    view, store, sent = LiveView(FRAMEWORK, Thresholds()), FakeSnapshots(), []
    for fact in base_facts():
        view.facts.apply(fact)
    at = datetime(2026, 7, 1, tzinfo=UTC)
    progress = await tracker(view, store, sent, at)
    await progress.refresh()
    assert len(sent) == 6 + 37 + 1 and all(c.previous is None for c in sent)
    assert {c.subject for c in sent} >= {"priority:3", "action_point:3.1", f"project:{PID}"}
    assert len(store.docs) == 44

    sent.clear()
    await progress.refresh()  # nothing changed
    assert sent == [] and store.writes == 44

    # A new activity on 3.2 changes its figures and status (no data -> on track).
    view.apply_documents(
        [
            {
                "type": str(EventType.ACTIVITY_REPORTED),
                "id": "a9",
                "time": T0 + timedelta(hours=1),
                "data": activity_data(PID, "A-9", action_points=["3.2"], start_date="2026-06-20"),
            }
        ]
    )
    await progress.refresh()
    changed = {c.subject: c for c in sent}
    assert changed["action_point:3.2"].previous is Status.NO_DATA
    assert changed["action_point:3.2"].status is Status.ON_TRACK


async def test_a_restarted_tracker_does_not_announce_again() -> None:
    view, store, sent = LiveView(FRAMEWORK, Thresholds()), FakeSnapshots(), []
    for fact in base_facts():
        view.facts.apply(fact)
    at = datetime(2026, 7, 1, tzinfo=UTC)
    await (await tracker(view, store, sent, at)).refresh()
    sent.clear()
    await (await tracker(view, store, sent, at)).refresh()  # same snapshots read back at start
    assert sent == []


async def test_time_alone_moves_a_status() -> None:
    view, store, sent = LiveView(FRAMEWORK, Thresholds()), FakeSnapshots(), []
    for fact in base_facts():
        view.facts.apply(fact)
    await (await tracker(view, store, sent, datetime(2026, 7, 1, tzinfo=UTC))).refresh()
    sent.clear()
    # By 2026-11-01 the last activity of 3.1 (2026-05-10) is over 120 days old: stale.
    await (await tracker(view, store, sent, datetime(2026, 11, 1, tzinfo=UTC))).refresh()
    ap = next(c for c in sent if c.subject == "action_point:3.1")
    assert ap.stale is True


def test_the_view_caches_models_of_the_current_version_only() -> None:
    view = LiveView(FRAMEWORK, Thresholds())
    facts = base_facts()
    for fact in facts[:-1]:
        view.facts.apply(fact)
    days = [datetime(2026, 7, d, tzinfo=UTC).date() for d in (1, 2, 3)]
    first = [view.read_model(day) for day in days]
    assert [view.read_model(day) for day in days] == first
    assert all(again is model for again, model in zip([view.read_model(d) for d in days], first, strict=True))
    view.facts.apply(facts[-1])
    newer = view.read_model(days[0])
    assert newer is not first[0]
    assert view.read_model(days[1]) is not first[1]  # the older version's models are gone
    assert len(view._cache) == 2
