"""`cfamon import FILE.csv|FILE.xlsx --credentials FILE`: a project's old reports in bulk,
signed with that project's key, through intake's own checks.

Each row is checked exactly as intake would check its event (a dry run); accepted rows are
published to bp.events.raw, refused ones written to a file with the reason. Rows imported
before are recognised by their derived ids and skipped. Only the project whose credentials
are given reports in one import: rows of other projects are refused.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from services.cli.common import fail, out, settings_or_exit, short_error
from services.cli.rows import RowError, column_of, row_event
from services.cli.sheets import Row, SheetError, read_rows, write_csv
from services.intake.pipeline import Accepted
from services.intake.settings import IntakeSettings
from services.intake.store import StoredEvents, mongo_pipeline
from shared.adapters.dlq import Refused
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.kafka import client_options, ensure_topics, new_broker, publish_record
from shared.adapters.mongo import connect
from shared.domain.projects import Credentials
from shared.events.codec import KafkaRecord
from shared.events.produce import cloud_event, kafka_binary, signed
from shared.events.rejections import RejectionReason
from shared.trust import ServiceKeys

CHUNK = 500


@dataclass
class Summary:
    rows: int = 0
    published: list[str] = field(default_factory=list)  # event keys
    already: int = 0
    rejected: list[Row] = field(default_factory=list)
    confirmed: int = 0
    seconds: float = 0.0

    def reasons(self) -> Counter[str]:
        return Counter(str(r["reason"]) for r in self.rejected)


def _refused_row(line: int, cells: Row, reason: str, column: str, error: str) -> Row:
    return {**cells, "line": line, "reason": reason, "column": column, "error": error}


def _records(
    chunk: Sequence[tuple[int, Row]], summary: Summary, credentials: Credentials, imported_at: datetime
) -> list[tuple[int, Row, KafkaRecord]]:
    records = []
    for line, cells in chunk:
        try:
            row = row_event(cells, imported_at)
        except RowError as error:
            summary.rejected.append(_refused_row(line, cells, "schema", error.column, error.message))
            continue
        if row.data["project_id"] != credentials.project_id:
            why = f"the credentials are {credentials.project_id}'s; they cannot report for another project"
            summary.rejected.append(_refused_row(line, cells, "not_permitted", "project_id", why))
            continue
        event = signed(
            cloud_event(row.event_type, row.data, row.time, row.event_id), credentials.signing_key.sign
        )
        key, headers, value = kafka_binary(event)
        encoded = tuple((k, v.encode("utf-8")) for k, v in headers.items())
        records.append((line, cells, KafkaRecord("import", 0, line, key, value, encoded)))
    return records


def _tally(line: int, cells: Row, outcome: Accepted | Refused, summary: Summary) -> KafkaRecord | None:
    if isinstance(outcome, Accepted):
        summary.published.append(outcome.event.key)
        return outcome.record
    rejection = outcome.rejection
    if rejection.reason is RejectionReason.DUPLICATE:
        summary.already += 1
        return None
    columns = ",".join(dict.fromkeys(column_of(f) for f in rejection.fields))
    summary.rejected.append(_refused_row(line, cells, str(rejection.reason), columns, rejection.message))
    return None


async def _import(
    settings: IntakeSettings, rows: list[tuple[int, Row]], wait: float, credentials: Credentials
) -> Summary:
    summary, started = Summary(rows=len(rows)), time.perf_counter()
    clock = settings.clock()
    mongo = connect(settings.mongodb_url)
    try:
        db = mongo[settings.mongodb_db]
        indicators = frozenset((await FrameworkSource(db, settings.results_framework).current()).by_id)
        keys = ServiceKeys(db)
        await keys.load(ServiceKeys.INTAKE, ServiceKeys.SECRETARIAT)
        pipeline = mongo_pipeline(settings, db, clock, keys, lambda: indicators)
        await ensure_topics(
            settings.kafka_bootstrap_servers,
            settings.topics.all(),
            settings.topic_partitions,
            **client_options(settings),
        )
        async with new_broker(settings, "cfamon-import") as broker:
            with progress_bar() as progress:
                task = progress.add_task("importing", total=len(rows))
                for start in range(0, len(rows), CHUNK):
                    chunk = _records(rows[start : start + CHUNK], summary, credentials, clock())
                    outcomes = await pipeline.dry_run([record for _, _, record in chunk])
                    publish = [
                        _tally(line, cells, o, summary)
                        for (line, cells, _), o in zip(chunk, outcomes, strict=True)
                    ]
                    await asyncio.gather(
                        *(publish_record(broker, settings.topics.raw, r) for r in publish if r is not None)
                    )
                    progress.advance(task, min(CHUNK, len(rows) - start))
        summary.confirmed = await _confirmed(StoredEvents(db, clock), summary.published, wait)
    finally:
        await mongo.close()
    summary.seconds = time.perf_counter() - started
    return summary


async def _confirmed(seen: StoredEvents, keys: list[str], wait: float) -> int:
    """How many published events the log stores, waiting up to `wait` seconds for all."""
    deadline = time.monotonic() + wait
    pending = set(keys)
    while True:
        remaining = sorted(pending)
        for start in range(0, len(remaining), CHUNK):
            pending -= await seen.known(remaining[start : start + CHUNK])
        if not pending or time.monotonic() > deadline:
            return len(keys) - len(pending)
        await asyncio.sleep(0.5)


def read_credentials(path: Path | None) -> Credentials:
    """A project's credentials file, or one clear line saying why not."""
    if path is None:
        fail("--credentials is needed: the project's credentials file, whose key signs its rows")
    try:
        return Credentials.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
    except (ValueError, KeyError, TypeError):
        fail(f"{path} is not a credentials file of `cfamon projects add|token`")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
    )


def _report(summary: Summary, file: Path, rejected_file: Path) -> None:
    table = Table(
        title=f"{file.name}: {summary.rows} rows in {summary.seconds:.1f} s "
        f"({summary.rows / max(summary.seconds, 1e-9):,.0f} rows/s)"
    )
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    table.add_row("accepted (published to bp.events.raw)", str(len(summary.published)))
    table.add_row("  of which intake has confirmed", str(summary.confirmed))
    table.add_row("imported before or repeated in the file (skipped)", str(summary.already))
    for reason, count in sorted(summary.reasons().items()):
        table.add_row(f"rejected: {reason}", str(count))
    out.print(table)
    if summary.rejected:
        out.print(f"Rejected rows, with the reason and column of each: {rejected_file}")
    if summary.confirmed < len(summary.published):
        out.print(
            f"{len(summary.published) - summary.confirmed} published rows are not yet confirmed by intake "
            "(is intake running?); they are safe on bp.events.raw and will be checked when it runs."
        )


def import_file(
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx sheet, one activity or measurement per row")],
    rejected: Annotated[
        Path | None, typer.Option(help="Where to write the rejected rows (default: FILE.rejected.csv)")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for intake to confirm the accepted rows")
    ] = 60.0,
    credentials_file: Annotated[
        Path | None,
        typer.Option(
            "--credentials",
            help="The project's credentials file (from `cfamon projects add|token`): its key signs the rows",
        ),
    ] = None,
) -> None:
    """Import one project's reports in bulk, signed with its key: the same checks as intake, a
    progress bar, a summary, and a file of the rejected rows. Importing the same file again
    adds nothing."""
    settings = settings_or_exit(IntakeSettings)
    if not file.is_file():
        fail(f"{file}: no such file")
    credentials = read_credentials(credentials_file)
    try:
        rows = read_rows(file)
    except SheetError as error:
        fail(str(error))
    if not rows:
        fail(f"{file.name}: no rows under the header")
    try:
        summary = asyncio.run(_import(settings, rows, wait, credentials))
    except Exception as error:  # servers down, mostly: one line, not a traceback
        fail(f"import stopped: {short_error(error)}")
    rejected_file = rejected or file.with_name(f"{file.stem}.rejected.csv")
    if summary.rejected:
        columns = [*(k for k in rows[0][1] if k), "line", "reason", "column", "error"]
        write_csv(rejected_file, columns, summary.rejected)
    _report(summary, file, rejected_file)
    if summary.rejected:
        raise typer.Exit(1)
