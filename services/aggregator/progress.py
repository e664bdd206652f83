"""Status snapshots in MongoDB and bp.progress.v1: what changed, for whom to act on.

After new events (at most once per `min_interval`) and on a timer (statuses also move with
time alone: expectations grow, activity goes stale), the statuses as of now are computed,
the snapshots that differ are written, and each status change is published, keyed by
subject (`priority:3`, `action_point:3.1`, `project:<id>`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import BaseModel

from shared.clock import Clock
from shared.domain.liveview import LiveView
from shared.domain.status import Status
from shared.domain.views import ReadModel
from shared.logging import get_logger

log = get_logger("cfa.aggregator.progress")


class ProgressChange(BaseModel):
    subject: str
    kind: str
    id: str
    status: Status
    previous: Status | None
    stale: bool | None = None
    as_of: date
    changed_at: datetime


class SnapshotStore(Protocol):
    async def snapshots(self) -> dict[str, dict[str, Any]]: ...

    async def write_snapshots(self, docs: Mapping[str, dict[str, Any]]) -> None: ...


def _document(
    kind: str, id_: str, status: Status, as_of: str, view: BaseModel, **extra: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": id_,
        "status": str(status),
        **extra,
        "as_of": as_of,
        "view": view.model_dump(mode="json"),
    }


def snapshot_documents(model: ReadModel) -> dict[str, dict[str, Any]]:
    """The read model as of a day, one document per subject."""
    as_of = model.as_of.isoformat()
    docs = {
        f"priority:{p.id}": _document("priority", str(p.id), p.status, as_of, p) for p in model.priorities
    }
    for ap in model.action_points.values():
        docs[f"action_point:{ap.id}"] = _document("action_point", ap.id, ap.status, as_of, ap, stale=ap.stale)
    for project in model.projects.values():
        docs[f"project:{project.id}"] = _document("project", project.id, project.status, as_of, project)
    return docs


def status_changes(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]], at: datetime
) -> list[ProgressChange]:
    changes = []
    for subject, doc in after.items():
        old = before.get(subject)
        if old is not None and old["status"] == doc["status"] and old.get("stale") == doc.get("stale"):
            continue
        changes.append(
            ProgressChange(
                subject=subject,
                kind=doc["kind"],
                id=doc["id"],
                status=Status(doc["status"]),
                previous=Status(old["status"]) if old else None,
                stale=doc.get("stale"),
                as_of=date.fromisoformat(doc["as_of"]),
                changed_at=at,
            )
        )
    return changes


class ProgressTracker:
    def __init__(
        self,
        view: LiveView,
        store: SnapshotStore,
        publish: Callable[[ProgressChange], Awaitable[None]],
        clock: Clock,
        min_interval: float,
        every: float,
    ) -> None:
        self._view, self._store, self._publish, self._clock = view, store, publish, clock
        self._min_interval, self._every = min_interval, every
        self._written: dict[str, dict[str, Any]] = {}
        self._dirty = asyncio.Event()

    async def start(self) -> None:
        self._written = {
            key: {k: v for k, v in doc.items() if k != "_id"}
            for key, doc in (await self._store.snapshots()).items()
        }

    def mark_dirty(self) -> None:
        self._dirty.set()

    async def refresh(self) -> list[ProgressChange]:
        """Write what changed and publish the status changes; answers them."""
        now = self._clock()
        docs = snapshot_documents(await self._view.read_model_off_loop(now.date()))
        changed = {key: doc for key, doc in docs.items() if self._written.get(key) != doc}
        changes = status_changes(self._written, changed, now)
        for change in changes:  # published first: a crash before the write publishes again, never less
            await self._publish(change)
        await self._store.write_snapshots(changed)
        self._written.update(changed)
        if changes:
            log.info("statuses changed", changes=len(changes), snapshots_written=len(changed))
        return changes

    async def run(self) -> None:
        """Refresh when marked dirty (at most once per min_interval) and every `every` seconds."""
        await self._view.ready.wait()  # statuses of a half-loaded log would be false alarms
        self._dirty.set()  # a first refresh at once, even of an empty log
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=self._every)
            self._dirty.clear()
            try:
                await self.refresh()
            except Exception as error:  # the next round tries again; nothing is lost meanwhile
                log.warning("status refresh failed", error=str(error))
                self._dirty.set()
            await asyncio.sleep(self._min_interval)
