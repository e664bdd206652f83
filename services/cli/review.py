"""`cfamon review list|approve|return`: the Secretariat's review of reported figures.

A review names the figure (an activity, a measurement or a milestone of a project) and the
version reviewed, its current one; it is a Secretariat event, signed with the Secretariat's
key and checked by intake like any other, so the event log holds every review."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pymongo.errors import PyMongoError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from services.cli.common import err, fail, out, settings_or_exit, short_error
from services.cli.secretariat import open_registry, publish_signed
from shared.adapters.eventlog import EventLog
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.mongo import EVENTS, connect, shown
from shared.domain.facts import activity_key, fact_of_document, measurement_key, milestone_key
from shared.domain.review import FigureReview, Figures, ReviewState, figure_review
from shared.events.models import EventType, FigureReviewed
from shared.events.rejections import field_path, plain_message
from shared.settings import StatusSettings

app = typer.Typer(
    help="Review reported figures: list what waits for review, approve, or return with a comment.",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Option("--project", help="The project that reported the figure")]
Activity = Annotated[str | None, typer.Option(help="An activity, by its activity_id")]
Indicator = Annotated[
    str | None, typer.Option(help="A measurement: its indicator (with --period-start, --period-end)")
]
PeriodStart = Annotated[str | None, typer.Option(help="A measurement's period_start, YYYY-MM-DD")]
PeriodEnd = Annotated[str | None, typer.Option(help="A measurement's period_end, YYYY-MM-DD")]
Milestone = Annotated[str | None, typer.Option(help="A milestone, by its milestone_id")]
Reviewer = Annotated[str, typer.Option(help="Who reviewed it, as the project will read it")]
Version = Annotated[
    str | None,
    typer.Option(
        help="The event id of the version reviewed; default the current one (refused if not current)"
    ),
]


@app.command("list")
def list_reviews(
    state: Annotated[
        ReviewState | None, typer.Option(help="pending (default), approved or returned")
    ] = ReviewState.PENDING,
    project: Annotated[str | None, typer.Option(help="Of one project")] = None,
    action_point: Annotated[str | None, typer.Option(help="Counting toward one action point")] = None,
    indicator: Annotated[str | None, typer.Option(help="Measurements of one indicator")] = None,
) -> None:
    """The figures waiting for review (or approved, or returned), oldest report first."""
    logging.disable(logging.ERROR)
    settings = settings_or_exit(StatusSettings)

    async def run() -> list[FigureReview]:
        mongo = connect(settings.mongodb_url)
        try:
            db = mongo[settings.mongodb_db]
            framework = await FrameworkSource(db, settings.results_framework).current()
            figures = Figures()
            columns = (TextColumn("reading the log"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task("events", total=await db[EVENTS].estimated_document_count())
                async for batch in EventLog(db).event_batches():
                    for doc in batch:
                        figures.apply(fact_of_document(doc))
                    bar.advance(task, len(batch))
        finally:
            await mongo.close()
        action_point_of = {i.id: i.action_point for i in framework.indicators}
        return [figure_review(item, action_point_of) for item in figures.under_review()]

    try:
        reviewed = asyncio.run(run())
    except PyMongoError as error:
        fail(f"cannot read the event log in MongoDB at {shown(settings.mongodb_url)}: {short_error(error)}")
    chosen = sorted(
        (
            r
            for r in reviewed
            if (state is None or r.state is state)
            and (project is None or r.project_id == project)
            and (action_point is None or action_point in r.action_points)
            and (indicator is None or r.indicator_id == indicator)
        ),
        key=lambda r: (r.reported_at, r.key),
    )
    table = Table(title=f"{len(chosen)} figure{'s' if len(chosen) != 1 else ''} {state or 'in all'}")
    for column in ("project", "figure", "value", "action points", "version", "reported", "state", "comment"):
        table.add_column(column, overflow="fold")
    for r in chosen:
        table.add_row(
            r.project_id,
            _figure_name(r),
            "" if r.value is None else f"{r.value:g}",
            ", ".join(r.action_points),
            r.event_id,
            r.reported_at.date().isoformat(),
            str(r.state),
            r.comment or "",
        )
    out.print(table)


def _figure_name(r: FigureReview) -> str:
    if r.activity_id is not None:
        return f"activity {r.activity_id}"
    if r.milestone_id is not None:
        return f"milestone {r.milestone_id}"
    return f"{r.indicator_id} {r.period_start}..{r.period_end}"


@app.command("approve")
def approve(
    project: Project,
    reviewer: Reviewer,
    activity: Activity = None,
    indicator: Indicator = None,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    milestone: Milestone = None,
    version: Version = None,
    comment: Annotated[str | None, typer.Option(help="A note for the project (optional)")] = None,
) -> None:
    """Approve the current version of a figure: it counts under figures=approved."""
    _review(locals(), "approved")


@app.command("return")
def return_figure(
    project: Project,
    reviewer: Reviewer,
    comment: Annotated[str, typer.Option(help="What the project is to correct; it reads it in its feedback")],
    activity: Activity = None,
    indicator: Indicator = None,
    period_start: PeriodStart = None,
    period_end: PeriodEnd = None,
    milestone: Milestone = None,
    version: Version = None,
) -> None:
    """Return the current version of a figure to its project, with what to correct."""
    _review(locals(), "returned")


OPTION_OF = {"activity_id": "--activity", "indicator_id": "--indicator", "milestone_id": "--milestone"}


def _review(given: dict[str, Any], decision: str) -> None:
    logging.disable(logging.ERROR)
    settings = settings_or_exit(StatusSettings)
    fields = {
        "project_id": given["project"],
        "activity_id": given["activity"],
        "indicator_id": given["indicator"],
        "period_start": given["period_start"],
        "period_end": given["period_end"],
        "milestone_id": given["milestone"],
        "event_id": given["version"] or "to be found",
        "decision": decision,
        "comment": given["comment"],
        "reviewer": given["reviewer"],
    }
    try:
        data = FigureReviewed.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = field_path("", tuple(first["loc"]))
        fail(f"{OPTION_OF.get(where, where or 'the figure')}: {plain_message(first['msg'])}")
    key = _figure_key(data)

    async def run() -> str:
        async with open_registry(settings) as secretariat:
            figures = Figures(
                fact_of_document(d) for d in await secretariat.log.project_events(data.project_id)
            )
            current = figures.reported.get(key)
            if current is None or current.withdrawn:
                fail(f"{data.project_id} has no such figure reported ({key.split('|', 1)[1]})")
            if given["version"] is not None and given["version"] != current.event_id:
                fail(f"--version {given['version']} is not the figure's current version ({current.event_id})")
            reviewed = data.model_copy(update={"event_id": current.event_id})
            await publish_signed(
                settings, EventType.FIGURE_REVIEWED, reviewed, settings.clock()(), secretariat.key
            )
            return current.event_id

    try:
        version = asyncio.run(run())
    except PyMongoError as error:
        fail(f"cannot read the event log in MongoDB at {shown(settings.mongodb_url)}: {short_error(error)}")
    except typer.Exit:
        raise
    except Exception as error:  # Kafka: the review is not sent; nothing changed
        fail(
            f"cannot publish the review to Kafka at {settings.kafka_bootstrap_servers}: {short_error(error)}"
        )
    out.print(f"{decision.capitalize()}: {key.split('|', 1)[1]} at version {version} (intake checks it).")


def _figure_key(data: FigureReviewed) -> str:
    if data.activity_id is not None:
        return activity_key(data.project_id, data.activity_id)
    if data.milestone_id is not None:
        return milestone_key(data.project_id, data.milestone_id)
    assert data.indicator_id and data.period_start and data.period_end  # the model checked it
    return measurement_key(
        data.project_id, data.indicator_id, data.period_start.isoformat(), data.period_end.isoformat()
    )
