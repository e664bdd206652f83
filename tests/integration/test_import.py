"""`cfamon import` against real Kafka and MongoDB with intake running: accepted, rejected
with reasons, and a second import of the same file adds nothing."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.cli.rows import COLUMNS
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import EVENTS, connect
from shared.adapters.registry import ProjectRegistry
from shared.domain.projects import Credentials
from shared.stack import StackEndpoints
from tests.cli import cfamon
from tests.conftest import service_settings
from tests.factories import project_key, registered
from tests.integration.helpers import eventually, running, stack_env
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.integration
PID = "PK-IMPORT-01"
GOOD = 40


def activity(n: int, **changes: str) -> dict[str, str]:
    row = {
        "record": "activity",
        "project_id": PID,
        "activity_id": f"A-{n:03d}",
        "action_points": "3.1",
        "title": f"Training session {n}",
        "kind": "training",
        "status": "completed",
        "start_date": "2026-02-02",
        "countries": "PAK:origin",
        "participants_total": str(10 + n),
    }
    return {**row, **changes}


def measurement(n: int) -> dict[str, str]:
    return {
        "record": "measurement",
        "project_id": PID,
        "indicator_id": "ind-3.1-readmission-arrangements",
        "value": str(n),
        "period_start": f"2025-{n:02d}-01",
        "period_end": f"2025-{n:02d}-28",
    }


def sheet_rows() -> list[dict[str, str]]:
    good = [activity(n) for n in range(GOOD - 10)] + [measurement(n) for n in range(1, 11)]
    bad = [
        activity(900, notes="questions to j.doe@example.org"),
        activity(901, action_points="9.9"),
        activity(902, participants_total="lots"),
        activity(903, kind="party"),
        {**measurement(1), "indicator_id": "ind-nope"},
        {**activity(904), "project_id": "PK-OTHER-09"},  # not the project whose key signs
    ]
    return good + bad


def write_csv_file(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def count(summary: str, label: str) -> int:
    """The number on the summary table's line that starts with `label`."""
    for line in summary.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0].startswith(label):
            return int(cells[1])
    raise AssertionError(f"no {label!r} line in:\n{summary}")


async def import_(path: Path, settings: IntakeSettings) -> Any:
    """`cfamon import` with the project's credentials file, as `cfamon projects add` wrote it."""
    env = {**stack_env(settings), "COLUMNS": "200"}
    credentials = path.with_name("credentials.json")
    credentials.write_text(Credentials(PID, "cfa_test-token", project_key(PID)).to_json())
    return await asyncio.to_thread(
        cfamon, "import", str(path), "--wait", "60", "--credentials", str(credentials), env=env, timeout=300
    )


async def test_import_checks_every_row_and_a_second_import_adds_nothing(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    intake = service_settings(IntakeSettings, stack, isolation)
    aggregator = service_settings(AggregatorSettings, stack, isolation)
    mongo = connect(intake.mongodb_url)
    db = mongo[intake.mongodb_db]
    await ProjectRegistry(db).add(registered(PID))
    path = tmp_path / "reports.csv"
    write_csv_file(path, sheet_rows())
    async with running(create_intake(intake), create_aggregator(aggregator)):
        first = await import_(path, intake)
        assert first.returncode == 1, first.stderr  # some rows were rejected
        assert count(first.stdout, "accepted") == GOOD, first.stdout
        assert count(first.stdout, "of which intake has confirmed") == GOOD
        await eventually(lambda: _stored(db, GOOD), what=f"{GOOD} events stored")
        second = await import_(path, intake)
    await mongo.close()
    assert count(second.stdout, "imported before") == GOOD, second.stdout
    assert count(second.stdout, "accepted") == 0
    with (tmp_path / "reports.rejected.csv").open(encoding="utf-8") as handle:
        rejected = {row["activity_id"] or row["indicator_id"]: row for row in csv.DictReader(handle)}
    assert {k: (v["reason"], v["column"]) for k, v in rejected.items()} == {
        "A-900": ("personal_data", "notes"),
        "A-901": ("unknown_action_point", "action_points"),
        "A-902": ("schema", "participants_total"),
        "A-903": ("schema", "kind"),
        "ind-nope": ("unknown_indicator", "indicator_id"),
        "A-904": ("not_permitted", "project_id"),
    }
    assert all(row["line"] for row in rejected.values())
    dlq = await read_topic(intake.kafka_bootstrap_servers, intake.topics.dlq, lambda r: False, timeout=1)
    assert dlq == []  # nothing was published twice


async def _stored(db: Any, count: int) -> bool:
    return bool(await db[EVENTS].count_documents({"project_id": PID}) == count)


async def test_an_xlsx_sheet_imports_like_a_csv(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    intake = service_settings(IntakeSettings, stack, isolation)
    mongo = connect(intake.mongodb_url)
    await ProjectRegistry(mongo[intake.mongodb_db]).add(registered(PID))
    await mongo.close()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    for row in (activity(1), measurement(2)):
        sheet.append([row.get(column) for column in COLUMNS])
    path = tmp_path / "reports.xlsx"
    workbook.save(path)
    async with running(create_intake(intake)):
        result = await import_(path, intake)
    assert result.returncode == 0, result.stdout + result.stderr
    assert count(result.stdout, "accepted") == 2


def test_an_import_without_the_projects_credentials_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    write_csv_file(path, sheet_rows()[:1])
    missing = cfamon("import", str(path))
    assert missing.returncode == 1 and "--credentials is needed" in missing.stderr
    (tmp_path / "junk.json").write_text("{}")
    junk = cfamon("import", str(path), "--credentials", str(tmp_path / "junk.json"))
    assert junk.returncode == 1 and "is not a credentials file" in junk.stderr
    assert len(junk.stderr.strip().splitlines()) == 1
