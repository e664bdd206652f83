"""`cfamon framework load` and `cfamon rebuild`: the Secretariat's and the operators' upkeep."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
from pymongo.errors import PyMongoError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.aggregator.rebuild import rebuild as rebuild_read_model
from services.aggregator.settings import AggregatorSettings
from services.aggregator.store import MongoReadModelStore
from services.cli.common import err, fail, out, settings_or_exit
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.mongo import EVENTS, connect, shown
from shared.adapters.translations_store import Translations
from shared.domain.framework import FrameworkError, parse_framework
from shared.domain.translations import MAX_FILE_BYTES, CatalogTranslation, TranslationError
from shared.isodate import iso_date, parse_moment

framework_app = typer.Typer(
    help="The results framework: indicators, baselines, targets.", no_args_is_help=True
)


@framework_app.callback()
def _quiet() -> None:
    logging.disable(logging.ERROR)


@framework_app.command("load")
def load(file: Annotated[Path, typer.Argument(help="Results framework YAML", exists=False)]) -> None:
    """Check FILE and make it the framework of every service; stored events are kept."""
    settings = settings_or_exit(AggregatorSettings)
    try:
        text = file.read_text(encoding="utf-8")
        framework = parse_framework(text, str(file))
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    except FrameworkError as error:
        for problem in error.problems:
            err.print(f"cfamon: {problem}", markup=False)
        raise typer.Exit(1) from None

    async def store() -> None:
        mongo = connect(settings.mongodb_url)
        try:
            await FrameworkSource(mongo[settings.mongodb_db], None).save(text, str(file), settings.clock()())
        finally:
            await mongo.close()

    try:
        asyncio.run(store())
    except PyMongoError as error:
        where = shown(settings.mongodb_url)
        fail(f"cannot store the framework in MongoDB at {where}: {type(error).__name__}")
    covered = len(framework.by_action_point)
    out.print(
        f"Loaded {len(framework.indicators)} indicators covering {covered} of 37 action points from {file}; "
        f"the services use it within {settings.config_refresh_seconds:g} s."
    )


catalog_app = typer.Typer(help="The Call for Action's own texts.", no_args_is_help=True)
translations_app = typer.Typer(
    help="Official translations of the Call for Action's and the framework's texts.", no_args_is_help=True
)
catalog_app.add_typer(translations_app, name="translations")


@translations_app.callback()
def _quiet_translations() -> None:
    logging.disable(logging.ERROR)


@translations_app.command("load")
def load_translation(
    file: Annotated[Path, typer.Argument(help="Translation YAML (language, source, texts)", exists=False)],
) -> None:
    """Check FILE against the catalog and the framework loaded, and make it its language's
    translation of the Call for Action's texts (only an official text belongs there)."""
    settings = settings_or_exit(AggregatorSettings)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            fail(
                f"{file}: larger than {MAX_FILE_BYTES // 1024} KiB: not a translation of the catalog's texts"
            )
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")

    async def store() -> CatalogTranslation:
        mongo = connect(settings.mongodb_url)
        try:
            db = mongo[settings.mongodb_db]
            framework = await FrameworkSource(db, settings.results_framework).current()
            return await Translations(db).save(text, str(file), framework, settings.clock()())
        finally:
            await mongo.close()

    try:
        translation = asyncio.run(store())
    except TranslationError as error:
        for problem in error.problems:
            err.print(f"cfamon: {problem}", markup=False)
        raise typer.Exit(1) from None
    except PyMongoError as error:
        where = shown(settings.mongodb_url)
        fail(f"cannot store the translation in MongoDB at {where}: {type(error).__name__}")
    out.print(
        f"Loaded {translation.count()} {translation.language} texts from {file} ({translation.source}); "
        f"the pages and reports use them within {settings.config_refresh_seconds:g} s.",
        markup=False,
    )


def rebuild(
    as_of: Annotated[
        str | None, typer.Option(help="Date of the snapshots, YYYY-MM-DD (default today)")
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option(
            help="A past moment (RFC 3339, such as 2026-06-30T09:00:00Z): the figures from the "
            "events received by then, printed; nothing is compared or written"
        ),
    ] = None,
) -> None:
    """Rebuild the read model from the events collection and compare it with the maintained one."""
    logging.disable(logging.ERROR)
    settings = settings_or_exit(AggregatorSettings)
    try:
        day = iso_date(as_of) if as_of else settings.clock()().date()
    except ValueError:
        fail(f"bad --as-of: {as_of!r} is not a date (YYYY-MM-DD)")
    try:
        moment = parse_moment(known_at) if known_at else None
    except ValueError:
        fail(f"bad --known-at: {known_at!r} is not a moment (RFC 3339, such as 2026-06-30T09:00:00Z)")

    async def run() -> None:
        mongo = connect(settings.mongodb_url)
        db = mongo[settings.mongodb_db]
        try:
            framework = await FrameworkSource(db, settings.results_framework).current()
            total = await db[EVENTS].estimated_document_count()
            columns = (TextColumn("rebuilding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err, transient=False) as bar:
                task = bar.add_task("events", total=total)
                result = await rebuild_read_model(
                    MongoReadModelStore(db),
                    framework,
                    settings.thresholds,
                    day,
                    lambda n: bar.advance(task, n),
                    known_at=moment,
                    basis=settings.figures,
                )
        finally:
            await mongo.close()
        if moment is not None:
            out.print(f"{result.events} events received by {moment.isoformat()} -> {result.facts} facts")
            for p in result.model.priorities:
                out.print(f"priority {p.id}: {p.status} as of {day} ({p.why})")
            return
        out.print(
            f"{result.events} events -> {result.facts} facts -> {result.snapshots} snapshots as of {day}"
        )
        if result.compared:
            verdict = (
                "identical"
                if not result.differing
                else f"{len(result.differing)} differed: {', '.join(result.differing[:10])}"
            )
            out.print(f"compared with the {result.compared} maintained snapshots of that day: {verdict}")
        if result.differing:
            raise typer.Exit(3)

    try:
        asyncio.run(run())
    except PyMongoError as error:
        fail(f"cannot rebuild from MongoDB at {shown(settings.mongodb_url)}: {type(error).__name__}")
