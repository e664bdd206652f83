"""Sheet rows as events: columns to fields, derived ids, and errors naming the column."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.cli.rows import RowError, column_of, row_event
from services.cli.sheets import read_rows
from services.intake.pipeline import Accepted, IntakePipeline
from shared.clock import fixed_clock
from shared.domain.framework import load_framework
from shared.events.codec import KafkaRecord
from shared.events.models import ActivityReported, EventType, IndicatorMeasured
from shared.events.produce import cloud_event, kafka_binary, signed
from tests.factories import project_key, registered
from tests.fakes import KEYS, FakeDirectory, FakeSeenStore

AT = datetime(2026, 11, 1, tzinfo=UTC)
ACTIVITY = {
    "record": "activity",
    "project_id": "pk-reint-01",
    "activity_id": "A-1",
    "action_points": "3.1; 3.2",
    "title": "Training",
    "kind": "training",
    "status": "completed",
    "start_date": "2026-03-02",
    "countries": "PAK:origin;afg",
    "participants_total": "24",
    "participants_women": 9.0,
    "cross_cutting": "human_rights,vulnerability",
    "notes": "",
}


def test_an_activity_row_becomes_a_valid_activity_event() -> None:
    event = row_event(ACTIVITY, AT)
    assert event.event_type is EventType.ACTIVITY_REPORTED and event.time == AT
    data = ActivityReported.model_validate(event.data)
    assert data.project_id == "PK-REINT-01"
    assert data.action_points == ["3.1", "3.2"]
    assert [(c.code, c.route_role) for c in data.countries] == [("PAK", "origin"), ("AFG", None)]
    assert data.participants is not None and (data.participants.total, data.participants.women) == (24, 9)
    assert data.notes is None


def test_a_measurement_row_with_spreadsheet_cell_types() -> None:
    row = {
        "record": "Measurement",
        "project_id": "PK-REINT-01",
        "indicator_id": "ind-3.1-readmission-arrangements",
        "value": 4.0,
        "period_start": datetime(2025, 4, 1),
        "period_end": date(2025, 6, 30),
        "countries": "PAK;AFG",
        "reported_at": "2025-07-05",
    }
    event = row_event(row, AT)
    data = IndicatorMeasured.model_validate(event.data)
    assert (data.value, data.period_start, data.countries) == (4, date(2025, 4, 1), ["PAK", "AFG"])
    assert event.time == datetime(2025, 7, 5, tzinfo=UTC)


def test_the_id_depends_on_what_the_row_says_not_on_when_it_is_imported() -> None:
    first = row_event(ACTIVITY, AT)
    assert row_event(ACTIVITY, datetime(2027, 1, 1, tzinfo=UTC)).event_id == first.event_id
    assert row_event({**ACTIVITY, "participants_total": "25"}, AT).event_id != first.event_id


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"record": "budget"}, "record"),
        ({"project_id": ""}, "project_id"),
        ({"participants_total": "many"}, "participants_total"),
        ({"reported_at": "yesterday"}, "reported_at"),
    ],
)
def test_a_row_that_cannot_be_an_event_names_its_column(changes: dict[str, str], column: str) -> None:
    with pytest.raises(RowError) as error:
        row_event({**ACTIVITY, **changes}, AT)
    assert error.value.column == column


def test_event_fields_map_back_to_columns() -> None:
    assert column_of("data.participants.total") == "participants_total"
    assert column_of("data.countries[1].code") == "countries"
    assert column_of("data.action_points[0]") == "action_points"
    assert column_of("time") == "reported_at"


async def test_the_shipped_sample_sheet_is_accepted_for_the_readme_project() -> None:
    # As the README registers it: --countries PAK,AFG --action-points 3.1,3.2 --start 2025-01-01 --end 2027-12-31
    project = registered("PK-REINT-01", countries=("PAK", "AFG"), action_points=("3.1", "3.2"))
    records = []
    for line, cells in read_rows(Path(__file__).parents[2] / "deploy" / "samples" / "reports.csv"):
        row = row_event(cells, AT)
        event = signed(
            cloud_event(row.event_type, row.data, row.time, row.event_id),
            project_key(project.project_id).sign,
        )
        key, headers, value = kafka_binary(event)
        records.append(
            KafkaRecord("import", 0, line, key, value, tuple((k, v.encode()) for k, v in headers.items()))
        )
    ids = frozenset(load_framework(None).by_id)
    pipeline = IntakePipeline(
        FakeDirectory(project), FakeSeenStore(), fixed_clock(AT), 1 << 20, timedelta(0), KEYS, lambda: ids
    )
    outcomes = await pipeline.process(records)
    assert len(outcomes) == 10 and all(isinstance(o, Accepted) for o in outcomes), outcomes
