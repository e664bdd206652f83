"""`cfamon projects add|update|list|token`: the Secretariat's project registry.

Only the Secretariat changes the registry: these commands write it in MongoDB and
publish `project.registered` signed with the Secretariat's key, which intake alone accepts.
A project's credentials (HTTP token, Kafka signing key, production Kafka user) are issued
together, written once to a file for the project, and replaced together."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from services.cli.common import fail, out, settings_or_exit, short_error
from services.cli.secretariat import (
    KafkaUserError,
    credentials_path,
    kafka_user,
    open_registry,
    print_credentials,
    publish_registration,
    register,
    written_credentials,
)
from services.intake.checks import Context, check_event
from shared.domain.projects import Credentials, RegisteredProject
from shared.events.envelope import Envelope, Event
from shared.events.models import EventType, ProjectRegistered
from shared.events.produce import cloud_event
from shared.events.rejections import field_path, plain_message
from shared.settings import CommonSettings
from shared.trust import Principal

app = typer.Typer(
    help="The project registry: register and change projects, list them, replace credentials.",
    no_args_is_help=True,
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
CredentialsOption = Annotated[
    Path | None,
    typer.Option(
        "--credentials",
        help="File to write the project's credentials to (default ./<ID>.credentials.json); "
        "never overwritten",
    ),
]


def _split(values: str) -> list[str]:
    return [v.strip().upper() for v in values.split(",") if v.strip()]


def _action_points(values: str) -> list[str]:
    return [a.strip() for a in values.split(",") if a.strip()]


def _option(field: str) -> str:
    name = field.removeprefix("data.").split(".")[0].split("[")[0]
    return OPTION_OF.get(name, field)


def _validated(fields: dict[str, Any]) -> ProjectRegistered:
    try:
        return ProjectRegistered.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = field_path("", tuple(first["loc"]))
        fail(f"bad {_option(where)}: {plain_message(first['msg'])} (at {where})")


def _check_like_intake(data: ProjectRegistered, project: RegisteredProject) -> None:
    """The same checks intake runs on project.registered, so what is registered is accepted."""
    ce = cloud_event(EventType.PROJECT_REGISTERED, data, project.registered_at)
    event = Event(Envelope.model_validate(ce.get_attributes()), data)
    context = Context(project, project.registered_at, timedelta(minutes=5), principal=Principal.secretariat())
    rejection = check_event(event, context)
    if rejection is not None:
        error = rejection.errors[0]
        # Intake's messages never repeat a value; the Secretariat typed this one, so name it.
        fail(
            f"bad {_option(error.field)}: {_value_at(data, error.field)}{error.message} ({rejection.reason})"
        )


def _value_at(data: ProjectRegistered, field: str) -> str:
    """`'3.9' ` for `data.action_points[1]` (a list item the option holds), else nothing."""
    name, _, index = field.removeprefix("data.").partition("[")
    values = getattr(data, name, None)
    if isinstance(values, list) and index.rstrip("]").isdigit():
        return f"{values[int(index.rstrip(']'))]!r} "
    return ""


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
    credentials_file: CredentialsOption = None,
) -> None:
    """Register a project, publish project.registered, write its credentials to a file and
    print its reporting token (last line)."""
    settings = settings_or_exit(CommonSettings)
    data = _validated(
        {
            "project_id": project_id,
            "title": title,
            "implementer": implementer,
            "countries": _split(countries),
            "action_points": _action_points(action_points),
            "start_date": start,
            "end_date": end,
            "reporting_cadence_days": cadence_days,
            "budget_eur": budget_eur,
        }
    )
    path = credentials_path(credentials_file, data.project_id)
    credentials = Credentials.issue(data.project_id, kafka_user=settings.kafka_project_users)
    project = RegisteredProject.of(data, credentials, settings.clock()())
    _check_like_intake(data, project)
    with written_credentials(path, credentials):
        asyncio.run(register(settings, project, credentials))
    out.print(
        f"Registered {project.project_id}: {project.title} ({', '.join(project.countries)}; "
        f"action points {', '.join(project.action_points)}; {project.start_date}..{project.end_date})"
    )
    print_credentials(path, credentials)


@app.command("update")
def update(
    project_id: Annotated[str, typer.Argument(help="The project to change")],
    title: Annotated[str | None, typer.Option(help="New title")] = None,
    implementer: Annotated[str | None, typer.Option(help="New implementing organisation")] = None,
    countries: Annotated[str | None, typer.Option(help="All its countries, comma-separated")] = None,
    action_points: Annotated[
        str | None, typer.Option("--action-points", help="All its action points, comma-separated")
    ] = None,
    start: Annotated[str | None, typer.Option(help="New start date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="New end date, YYYY-MM-DD")] = None,
    cadence_days: Annotated[int | None, typer.Option(help="Days between expected reports")] = None,
    budget_eur: Annotated[float | None, typer.Option(help="Budget in euros")] = None,
) -> None:
    """Change a registered project and publish its new registration (its credentials stay)."""
    settings = settings_or_exit(CommonSettings)
    changes = {
        "title": title,
        "implementer": implementer,
        "countries": _split(countries) if countries is not None else None,
        "action_points": _action_points(action_points) if action_points is not None else None,
        "start_date": start,
        "end_date": end,
        "reporting_cadence_days": cadence_days,
        "budget_eur": budget_eur,
    }
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes:
        fail(
            "nothing to change: give at least one of --title, --implementer, --countries, "
            "--action-points, --start, --end, --cadence-days, --budget-eur"
        )
    asyncio.run(_update(settings, project_id, changes))


async def _update(settings: CommonSettings, project_id: str, changes: dict[str, Any]) -> None:
    async with open_registry(settings) as secretariat:
        before = (await secretariat.registry.get_many([project_id])).get(project_id)
        if before is None:
            fail(f"project {project_id} is not registered")
        data = _validated({**before.registration().model_dump(), **changes})
        after = RegisteredProject.model_validate(
            {**before.model_dump(), **data.model_dump(), "registered_at": settings.clock()()}
        )
        _check_like_intake(data, after)
        await secretariat.registry.set_registration(data, after.registered_at)
        try:
            await publish_registration(settings, after, secretariat.key)
        except Exception as error:  # as it was: registry and log agree
            await secretariat.registry.set_registration(before.registration(), before.registered_at)
            fail(f"cannot publish to Kafka at {settings.kafka_bootstrap_servers}: {short_error(error)}")
    out.print(
        f"Updated {project_id}: {', '.join(f'{_option(name)} {value}' for name, value in changes.items())}"
    )


@app.command("list")
def list_projects() -> None:
    """List the registered projects."""
    settings = settings_or_exit(CommonSettings)

    async def load() -> list[RegisteredProject]:
        async with open_registry(settings) as secretariat:
            projects: list[RegisteredProject] = await secretariat.registry.all()
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
    table.add_column("signing key", no_wrap=True)
    for p in projects:
        table.add_row(
            p.project_id,
            p.title,
            p.implementer,
            ",".join(p.countries),
            ",".join(p.action_points),
            f"{p.start_date}..{p.end_date}",
            f"{p.reporting_cadence_days} d",
            p.signing_key_id or "none",
        )
    out.print(table)


@app.command("token")
def rotate_credentials(
    project_id: Annotated[str, typer.Argument(help="The project whose credentials to replace")],
    credentials_file: CredentialsOption = None,
) -> None:
    """Issue new credentials (token, signing key, Kafka password); the old ones stop working
    at once. Writes them to a file and prints the token on the last line."""
    settings = settings_or_exit(CommonSettings)
    path = credentials_path(credentials_file, project_id)
    credentials = Credentials.issue(project_id, kafka_user=settings.kafka_project_users)

    async def store() -> str | None:
        """Why the Kafka password could not be changed, if it could not."""
        async with open_registry(settings) as secretariat:
            if not await secretariat.registry.set_credentials(credentials):
                fail(f"project {project_id} is not registered")
        try:
            await kafka_user(settings, credentials)
        except KafkaUserError as error:
            return str(error)
        return None

    with written_credentials(path, credentials):  # kept from here on: the old ones are gone
        kafka_problem = asyncio.run(store())
    if kafka_problem is not None:
        fail(
            f"the token and signing key in {path} work, but the Kafka user's password was not "
            f"changed ({kafka_problem}); run this command again"
        )
    out.print(f"New credentials of {project_id}; the old ones no longer work.")
    print_credentials(path, credentials)
