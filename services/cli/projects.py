"""`cfamon projects add|list|token`: the Secretariat's project registry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pymongo.errors import PyMongoError
from rich.table import Table

from services.cli.common import fail, out, settings_or_exit, short_error
from services.intake.checks import Context, check_event
from shared.clock import utc_now
from shared.events.envelope import Envelope, Event
from shared.events.models import EventType, ProjectRegistered
from shared.events.produce import cloud_event, publish_event
from shared.events.rejections import field_path
from shared.kafka import ensure_topics, new_broker
from shared.mongo import connect
from shared.projects import RegisteredProject, hash_token, new_token
from shared.registry import ProjectExistsError, ProjectRegistry
from shared.settings import CommonSettings

app = typer.Typer(
    help="The project registry: register projects, list them, rotate tokens.", no_args_is_help=True
)


@app.callback()
def _quiet_libraries() -> None:
    # These commands report failures themselves, in one line; library loggers would add
    # their own tracebacks and retries to stderr.
    logging.disable(logging.ERROR)


OPTION_OF = {
    "project_id": "--id",
    "title": "--title",
    "implementer": "--implementer",
    "countries": "--countries",
    "action_points": "--action-points",
    "start_date": "--start",
    "end_date": "--end",
    "reporting_cadence_days": "--cadence-days",
    "budget_eur": "--budget-eur",
}


def _split(values: str) -> list[str]:
    return [v.strip().upper() for v in values.split(",") if v.strip()]


def _option(field: str) -> str:
    name = field.removeprefix("data.").split(".")[0].split("[")[0]
    return OPTION_OF.get(name, field)


def _validated(fields: dict[str, Any]) -> ProjectRegistered:
    try:
        return ProjectRegistered.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = field_path("", tuple(first["loc"]))
        fail(f"bad {_option(where)}: {first['msg'].removeprefix('Value error, ')} (at {where})")


def _check_like_intake(data: ProjectRegistered, project: RegisteredProject) -> None:
    """The same checks intake runs on project.registered, so what is registered is accepted."""
    ce = cloud_event(EventType.PROJECT_REGISTERED, data, project.registered_at)
    event = Event(Envelope.model_validate(ce.get_attributes()), data)
    rejection = check_event(event, Context(project, utc_now(), timedelta(minutes=5)))
    if rejection is not None:
        error = rejection.errors[0]
        fail(f"bad {_option(error.field)}: {error.message} ({rejection.reason})")


@asynccontextmanager
async def open_registry(settings: CommonSettings) -> AsyncIterator[ProjectRegistry]:
    mongo = connect(settings.mongodb_url)
    try:
        yield ProjectRegistry(mongo[settings.mongodb_db])
    except PyMongoError as error:
        fail(f"cannot use the registry in MongoDB at {settings.mongodb_url}: {short_error(error)}")
    finally:
        await mongo.close()


async def _publish_registration(settings: CommonSettings, data: ProjectRegistered, at: datetime) -> None:
    await ensure_topics(settings.kafka_bootstrap_servers, settings.topics.all(), settings.topic_partitions)
    async with new_broker(settings, "cfamon") as broker:
        await publish_event(broker, settings.topics.raw, cloud_event(EventType.PROJECT_REGISTERED, data, at))


async def _register(settings: CommonSettings, project: RegisteredProject, data: ProjectRegistered) -> None:
    async with open_registry(settings) as registry:
        try:
            await registry.add(project)
        except ProjectExistsError:
            fail(
                f"project {project.project_id} is registered already "
                f"(to issue a new token: cfamon projects token {project.project_id})"
            )
        try:
            await _publish_registration(settings, data, project.registered_at)
        except Exception as error:
            await registry.remove(project.project_id)  # nothing half-registered
            fail(f"cannot publish to Kafka at {settings.kafka_bootstrap_servers}: {short_error(error)}")


@app.command("add")
def add(
    project_id: Annotated[str, typer.Option("--id", help="Project id: A-Z, 0-9 and -, 3 to 64 characters")],
    title: Annotated[str, typer.Option(help="Project title")],
    implementer: Annotated[str, typer.Option(help="Implementing organisation")],
    countries: Annotated[str, typer.Option(help="ISO 3166-1 alpha-3 codes, comma-separated: PAK,AFG")],
    action_points: Annotated[
        str, typer.Option("--action-points", help="Action points, comma-separated: 3.1,3.2")
    ],
    start: Annotated[str, typer.Option(help="Start date, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="End date, YYYY-MM-DD")],
    cadence_days: Annotated[int, typer.Option(help="Days between expected reports")] = 90,
    budget_eur: Annotated[float | None, typer.Option(help="Budget in euros")] = None,
) -> None:
    """Register a project, publish project.registered, and print its reporting token (last line)."""
    settings = settings_or_exit(CommonSettings)
    data = _validated(
        {
            "project_id": project_id,
            "title": title,
            "implementer": implementer,
            "countries": _split(countries),
            "action_points": [a.strip() for a in action_points.split(",") if a.strip()],
            "start_date": start,
            "end_date": end,
            "reporting_cadence_days": cadence_days,
            "budget_eur": budget_eur,
        }
    )
    token = new_token()
    project = RegisteredProject.of(data, token, utc_now())
    _check_like_intake(data, project)
    asyncio.run(_register(settings, project, data))
    out.print(
        f"Registered {project.project_id}: {project.title} ({', '.join(project.countries)}; "
        f"action points {', '.join(project.action_points)}; {project.start_date}..{project.end_date})"
    )
    out.print("Its reporting token follows; it is shown once and stored only as a hash:")
    print(token)


@app.command("list")
def list_projects() -> None:
    """List the registered projects."""
    settings = settings_or_exit(CommonSettings)

    async def load() -> list[RegisteredProject]:
        async with open_registry(settings) as registry:
            projects: list[RegisteredProject] = await registry.all()
            return projects

    projects = asyncio.run(load())
    table = Table(title=f"{len(projects)} registered projects")
    # Ids, codes and dates are copied into other commands: they are never cut or wrapped.
    widest_id = max((len(p.project_id) for p in projects), default=2)
    table.add_column("id", no_wrap=True, min_width=widest_id)
    table.add_column("title", overflow="fold")
    table.add_column("implementer", overflow="fold")
    table.add_column("countries", overflow="fold")
    table.add_column("action points", overflow="fold")
    table.add_column("period", no_wrap=True)
    table.add_column("cadence", no_wrap=True)
    for p in projects:
        table.add_row(
            p.project_id,
            p.title,
            p.implementer,
            ",".join(p.countries),
            ",".join(p.action_points),
            f"{p.start_date}..{p.end_date}",
            f"{p.reporting_cadence_days} d",
        )
    out.print(table)


@app.command("token")
def rotate_token(
    project_id: Annotated[str, typer.Argument(help="The project whose token to replace")],
) -> None:
    """Issue a new reporting token; the old one stops working. Prints it on the last line."""
    settings = settings_or_exit(CommonSettings)
    token = new_token()

    async def store() -> bool:
        async with open_registry(settings) as registry:
            stored: bool = await registry.set_token_hash(project_id, hash_token(token))
            return stored

    if not asyncio.run(store()):
        fail(f"project {project_id} is not registered")
    out.print(f"New reporting token of {project_id}; the old one no longer works:")
    print(token)
