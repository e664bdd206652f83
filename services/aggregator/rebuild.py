"""Rebuild the read model from the event log alone, and say whether it matches what the
aggregator maintained incrementally."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from services.aggregator.progress import snapshot_documents
from services.aggregator.store import MongoReadModelStore
from shared.domain.facts import fact_of_document
from shared.domain.framework import ResultsFramework
from shared.domain.liveview import read_model_over
from shared.domain.review import Basis, Figures
from shared.domain.status import Thresholds
from shared.domain.views import ReadModel


@dataclass(frozen=True)
class RebuildResult:
    events: int
    facts: int
    snapshots: int
    differing: list[str]  # snapshots (of the same day) that differed from the incremental ones
    compared: int
    model: ReadModel


async def rebuild(
    store: MongoReadModelStore,
    framework: ResultsFramework,
    thresholds: Thresholds,
    as_of: date,
    advance: Callable[[int], None] = lambda n: None,
    write: bool = True,
    known_at: datetime | None = None,
    basis: Basis = Basis.REPORTED,
) -> RebuildResult:
    """The read model from the event log, compared with the stored snapshots of the same
    day, over the figures of `basis` (the services' CFA_FIGURES), reviews included; `write`
    replaces the stored ones with it (False: only compare). With `known_at`, from
    the events stored by then: the figures as known at that moment, neither compared with
    the maintained snapshots (those are of now) nor written."""
    figures = Figures()
    events = 0
    async for batch in store.event_batches(known_at=known_at):
        for doc in batch:
            figures.apply(fact_of_document(doc))
        events += len(batch)
        advance(len(batch))
    model = read_model_over(figures, framework, as_of, thresholds, basis)
    if known_at is not None:
        model = model.model_copy(update={"known_at": known_at})
        return RebuildResult(events, len(figures), 0, [], 0, model)
    docs = snapshot_documents(model)
    before = {k: {f: v for f, v in d.items() if f != "_id"} for k, d in (await store.snapshots()).items()}
    same_day = {k for k, d in before.items() if d.get("as_of") == as_of.isoformat()}
    differing = sorted(k for k in same_day if docs.get(k) != before[k])
    if write:
        await store.write_snapshots(docs)
        await store.delete_snapshots(before.keys() - docs.keys())
    return RebuildResult(events, len(figures), len(docs), differing, len(same_day), model)
