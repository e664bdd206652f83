"""Every measurement behind an indicator's figure, with what became of it: the current
version of its report, superseded by a correction, or withdrawn; and whether it counts in
the figure as of a date. A pure function of the indicator's events (measured and
withdrawn), ordered as the fold orders them (the latest `time` wins, ties: the larger id)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.domain.facts import Fact, MeasurementRecord, fact_of


class ReportState(StrEnum):
    CURRENT = "current"  # the latest version of its report
    SUPERSEDED = "superseded"  # a later version of the same report (project, period) replaced it
    WITHDRAWN = "withdrawn"  # a withdrawal took the report out of the figures


@dataclass(frozen=True, slots=True)
class MeasurementEntry:
    event_id: str
    project_id: str
    indicator_id: str
    period_start: date
    period_end: date
    value: float
    time: datetime  # when the project says it reported it
    received_at: datetime  # when this system stored it
    state: ReportState
    counted: bool  # in the figure as of the date asked
    replaced_by: str | None  # the event that superseded or withdrew it
    reason: str | None  # a withdrawal's reason

    @property
    def order(self) -> str:
        """Its place in a list: by period, project and version."""
        return (
            f"{self.period_end}|{self.period_start}|{self.project_id}|{self.time.isoformat()}|{self.event_id}"
        )


def measurement_history(
    documents: Iterable[Mapping[str, Any]], aggregation: str, as_of: date
) -> list[MeasurementEntry]:
    """The entries of an indicator's measured and withdrawn events (as the events collection
    stores them, with `stored_at`). A measurement counts as of `as_of` when it is current and
    its period ended by then; for an indicator of `latest` values, only each project's most
    recent such period counts."""
    versions: dict[str, list[tuple[Fact, Mapping[str, Any]]]] = defaultdict(list)
    for doc in documents:
        fact = fact_of(doc["type"], doc["data"], doc["time"], doc["id"])
        if fact is not None:
            versions[fact.key].append((fact, doc))
    entries = []
    for reports in versions.values():
        reports.sort(key=lambda version: version[0].version)
        for n, (fact, doc) in enumerate(reports):
            if not isinstance(fact.record, MeasurementRecord):
                continue  # a withdrawal: named by the measurement it withdrew
            after = reports[n + 1] if n + 1 < len(reports) else None
            state = ReportState.CURRENT
            if after is not None:
                state = ReportState.WITHDRAWN if after[0].withdrawn else ReportState.SUPERSEDED
            m = fact.record.measurement
            entries.append(
                MeasurementEntry(
                    event_id=fact.event_id,
                    project_id=fact.project_id,
                    indicator_id=fact.record.indicator_id,
                    period_start=m.period_start,
                    period_end=m.period_end,
                    value=m.value,
                    time=fact.time,
                    received_at=doc["stored_at"],
                    state=state,
                    counted=state is ReportState.CURRENT and m.period_end <= as_of,
                    replaced_by=None if after is None else after[0].event_id,
                    reason=None
                    if after is None or not after[0].withdrawn
                    else after[1]["data"].get("reason"),
                )
            )
    return _latest_only(entries) if aggregation == "latest" else entries


def _latest_only(entries: list[MeasurementEntry]) -> list[MeasurementEntry]:
    """Of each project's counted entries, the one of its most recent period only."""
    latest: dict[str, MeasurementEntry] = {}
    for e in sorted((e for e in entries if e.counted), key=lambda e: (e.period_end, e.period_start)):
        latest[e.project_id] = e
    kept = set(map(id, latest.values()))
    return [e if not e.counted or id(e) in kept else replace(e, counted=False) for e in entries]
