"""`cfamon projects add|list|token`: the Secretariat's project registry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from services.cli.common import fail, out, settings_or_exit
from services.intake.checks import check_event
from shared.clock import utc_now
from shared.events.envelope import Envelope, Event
from shared.events.models import EventType, ProjectRegistered
from shared.events.produce import cloud_event, kafka_binary
from shared.events.rejections import field_path
from shared.kafka import ensure_topics, new_broker
from shared.mongo import connect
from shared.projects import RegisteredProject, hash_token, new_token
from shared.registry import ProjectExistsError, ProjectRegistry
from shared.settings import CommonSettings

app = typer.Typer(
    help="The project registry: register projects, list them, rotate tokens.", no_args_is_help=True
)

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
    rejection = check_event(event, project, utc_now(), timedelta(minutes=5))
    if rejection is not None:
        error = rejection.errors[0]
        fail(f"bad {_option(error.field)}: {error.message} ({rejection.reason})")


async def _register(settings: CommonSettings, project: RegisteredProject, data: ProjectRegistered) -> None:
    mongo = connect(settings.mongodb_url)
    registry = ProjectRegistry(mongo[settings.mongodb_db])
    try:
        await registry.add(project)
    except ProjectExistsError:
        fail(
            f"project {project.project_id} is registered already "
            f"(to issue a new token: cfamon projects token {project.project_id})"
        )
    try:
        await ensure_topics(
            settings.kafka_bootstrap_servers, settings.topics.all(), settings.topic_partitions
        )
        key, headers, value = kafka_binary(
            cloud_event(EventType.PROJECT_REGISTERED, data, project.registered_at)
        )
        async with new_broker(settings, "cfamon") as broker:
            await broker.publish(value, settings.topics.raw, key=key, headers=headers)
    except Exception as error:
        await registry.remove(project.project_id)  # nothing half-registered
        fail(f"cannot publish project.registered to Kafka at {settings.kafka_bootstrap_servers}: {error}")
    finally:
        await mongo.close()


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
    project = RegisteredProject.model_validate(
        {**data.model_dump(), "token_sha256": hash_token(token), "registered_at": utc_now()}
    )
    _check_like_intake(data, project)
    try:
        asyncio.run(_register(settings, project, data))
    except TimeoutError as error:
        fail(f"cannot reach MongoDB at {settings.mongodb_url}: {error}")
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
        mongo = connect(settings.mongodb_url)
        try:
            return await ProjectRegistry(mongo[settings.mongodb_db]).all()
        finally:
            await mongo.close()

    try:
        projects = asyncio.run(load())
    except Exception as error:
        fail(f"cannot read the registry at {settings.mongodb_url}: {error}")
    table = Table("id", "title", "implementer", "countries", "action points", "period", "cadence")
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
        mongo = connect(settings.mongodb_url)
        try:
            return await ProjectRegistry(mongo[settings.mongodb_db]).set_token_hash(
                project_id, hash_token(token)
            )
        finally:
            await mongo.close()

    if not asyncio.run(store()):
        fail(f"project {project_id} is not registered")
    out.print(f"New reporting token of {project_id}; the old one no longer works:")
    print(token)
