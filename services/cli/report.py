"""`cfamon report`: the Reference Group's meeting pack as a PDF or a workbook, from the event
log (as known at a moment, if asked), with a progress bar while the log is read."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pymongo.errors import PyMongoError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.aggregator.alerts import firing_alerts
from services.cli.common import err, fail, out, settings_or_exit, short_error
from services.report.pack import MeetingPack, meeting_pack
from services.report.pdf import document
from services.report.xlsx import workbook
from shared.adapters.eventlog import EventLog
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.mongo import EVENTS, connect, shown
from shared.adapters.translations_store import Translations
from shared.domain.changes import what_moved
from shared.domain.facts import fact_of_document
from shared.domain.liveview import read_model_over
from shared.domain.review import Figures
from shared.domain.translations import CatalogTexts
from shared.isodate import iso_date, parse_moment
from shared.settings import StatusSettings


class Language(StrEnum):
    EN = "en"
    RU = "ru"


class Format(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"


def report(
    out_file: Annotated[Path, typer.Option("--out", help="The file to write")],
    format_: Annotated[Format, typer.Option("--format", help="pdf or xlsx")] = Format.PDF,
    as_of: Annotated[
        str | None, typer.Option(help="The figures as of this day, YYYY-MM-DD (default today)")
    ] = None,
    known_at: Annotated[
        str | None, typer.Option(help="As known at this moment (RFC 3339): the events received by then")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Also what moved since this moment (RFC 3339)")] = None,
    lang: Annotated[Language, typer.Option(help="The pack's language: en or ru")] = Language.EN,
) -> None:
    """Write the meeting pack: the priorities with status and why, each action point's indicators
    with charts, what moved since, projects falling silent, countries, participants, alerts."""
    logging.disable(logging.ERROR)
    settings = settings_or_exit(StatusSettings)
    now = settings.clock()()
    try:
        day = iso_date(as_of) if as_of else now.date()
    except ValueError:
        fail(f"bad --as-of: {as_of!r} is not a date (YYYY-MM-DD)")
    moments = {}
    for name, text in (("--known-at", known_at), ("--since", since)):
        try:
            moments[name] = parse_moment(text) if text else None
        except ValueError:
            fail(f"bad {name}: {text!r} is not a moment (RFC 3339, such as 2026-06-30T09:00:00Z)")
    known, before = moments["--known-at"], moments["--since"]
    if before is not None and before >= (known or now):
        fail("--since must be before the moment the figures are known at")
    if not out_file.parent.is_dir():
        fail(f"cannot write {out_file}: {out_file.parent} is not a folder")
    try:
        pack, texts = asyncio.run(_pack(settings, day, now, known, before, str(lang)))
    except PyMongoError as error:
        fail(f"cannot read the event log in MongoDB at {shown(settings.mongodb_url)}: {short_error(error)}")
    write = document if format_ is Format.PDF else workbook
    body = write(pack, str(lang), texts)
    out_file.write_bytes(body)
    out.print(f"Wrote the meeting pack as of {day} to {out_file} ({len(body):,} bytes).")


async def _pack(
    settings: StatusSettings,
    day: date,
    now: datetime,
    known: datetime | None,
    since: datetime | None,
    language: str,
) -> tuple[MeetingPack, CatalogTexts]:
    """The pack, and the Call for Action's texts in `language` (an official translation loaded)."""
    mongo = connect(settings.mongodb_url)
    try:
        db = mongo[settings.mongodb_db]
        framework = await FrameworkSource(db, settings.results_framework).current()
        translations = Translations(db)
        await translations.refresh(framework)
        log = EventLog(db)
        total = await db[EVENTS].estimated_document_count()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            figures = await _fold(log, known, bar, "reading the event log", total)
            earlier = await _fold(log, since, bar, "reading it as known then", total) if since else None
        basis = settings.figures
        model = read_model_over(figures, framework, day, settings.thresholds, basis)
        model = model.model_copy(update={"known_at": known})
        moved = []
        if earlier is not None:
            moved = what_moved(read_model_over(earlier, framework, day, settings.thresholds, basis), model)
        alerts = await firing_alerts(db)
    finally:
        await mongo.close()
    pack = meeting_pack(model, framework, figures.of(basis).indexes.series, now, alerts, since, moved)
    return pack, translations.texts(language)


async def _fold(log: EventLog, known_at: datetime | None, bar: Progress, what: str, total: int) -> Figures:
    figures = Figures()
    task = bar.add_task(what, total=total)
    async for batch in log.event_batches(known_at=known_at):
        for doc in batch:
            figures.apply(fact_of_document(doc))
        bar.advance(task, len(batch))
    return figures
