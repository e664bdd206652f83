"""`cfamon projects add|update|list|token`: the Secretariat's project registry.

Only the Secretariat changes the registry: these commands write it in MongoDB and
publish `project.registered` signed with the Secretariat's key, which intake alone accepts.
A project's credentials (HTTP token, Kafka signing key, production Kafka user) are issued
together, written once to a file for the project, and replaced together."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pymongo.errors import PyMongoError
from rich.table import Table

from services.cli.common import fail, out, settings_or_exit, short_error
from services.intake.checks import Context, check_event
from shared.adapters.kafka import client_options, ensure_topics, new_broker
from shared.adapters.kafka_users import set_scram_user
from shared.adapters.mongo import connect, shown
from shared.adapters.registry import ProjectExistsError, ProjectRegistry
from shared.domain.projects import Credentials, RegisteredProject
from shared.events.envelope import Envelope, Event
from shared.events.models import EventType, ProjectRegistered
from shared.events.produce import cloud_event, publish_event, secretariat_signer, signed
from shared.events.rejections import field_path, plain_message
from shared.settings import CommonSettings
from shared.trust import Principal, ServiceKeys

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


@dataclass(frozen=True)
class Secretariat:
    """The registry, and the Secretariat's key that signs what it publishes."""

    registry: ProjectRegistry
    key: bytes


@asynccontextmanager
async def open_registry(settings: CommonSettings) -> AsyncIterator[Secretariat]:
    mongo = connect(settings.mongodb_url)
    try:
        db = mongo[settings.mongodb_db]
        keys = ServiceKeys(db)
        await keys.load(ServiceKeys.SECRETARIAT)
        yield Secretariat(ProjectRegistry(db), keys[ServiceKeys.SECRETARIAT])
    except PyMongoError as error:
        fail(f"cannot use the registry in MongoDB at {shown(settings.mongodb_url)}: {short_error(error)}")
    finally:
        await mongo.close()


async def publish_registration(settings: CommonSettings, project: RegisteredProject, key: bytes) -> None:
    """`project.registered` of the entry, signed by the Secretariat, on bp.events.raw."""
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        settings.topics.all(),
        settings.topic_partitions,
        **client_options(settings),
    )
    event = signed(
        cloud_event(EventType.PROJECT_REGISTERED, project.registration(), project.registered_at),
        secretariat_signer(key),
    )
    async with new_broker(settings, "cfamon") as broker:
        await publish_event(broker, settings.topics.raw, event)


def _credentials_path(given: Path | None, project_id: str) -> Path:
    path = given or Path(f"{project_id}.credentials.json")
    if path.exists() or path.is_symlink():
        fail(f"{path} exists already; credentials are never overwritten (choose --credentials)")
    if not path.parent.is_dir():
        fail(f"cannot write {path}: {path.parent} is not a folder")
    return path


@contextmanager
def written_credentials(path: Path, credentials: Credentials) -> Iterator[None]:
    """Written first, readable by its owner only (it holds the token and the private key),
    removed again when what follows fails: the registry never holds credentials that no file
    does."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror}")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(credentials.to_json())
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise


async def _kafka_user(settings: CommonSettings, credentials: Credentials) -> None:
    if credentials.kafka_username and credentials.kafka_password:
        try:
            await set_scram_user(settings, credentials.kafka_username, credentials.kafka_password)
        except Exception as error:
            raise KafkaUserError(short_error(error)) from None


class KafkaUserError(Exception):
    """The project's SCRAM user could not be created or changed."""


async def _register(settings: CommonSettings, project: RegisteredProject, credentials: Credentials) -> None:
    async with open_registry(settings) as secretariat:
        try:
            await secretariat.registry.add(project)
        except ProjectExistsError:
            fail(
                f"project {project.project_id} is registered already "
                f"(to change it: cfamon projects update; new credentials: cfamon projects token)"
            )
        try:
            await _kafka_user(settings, credentials)
            await publish_registration(settings, project, secretariat.key)
        except Exception as error:
            await secretariat.registry.remove(project.project_id)  # nothing half-registered
            what = "create its Kafka user" if isinstance(error, KafkaUserError) else "publish to Kafka"
            fail(f"cannot {what} at {settings.kafka_bootstrap_servers}: {short_error(error)}")


def _print_credentials(path: Path, credentials: Credentials) -> None:
    parts = ["reporting token (HTTP)", f"signing key {credentials.signing_key.key_id} (Kafka)"]
    if credentials.kafka_username:
        parts.append(f"Kafka user {credentials.kafka_username}")
    out.print(f"Credentials written to {path}: {', '.join(parts)}.")
    out.print("Give them to the project; the registry keeps only the token's hash and the public key.")
    out.print("Its reporting token follows; it is shown once:")
    print(credentials.token)


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
    path = _credentials_path(credentials_file, data.project_id)
    credentials = Credentials.issue(data.project_id, kafka_user=settings.kafka_project_users)
    project = RegisteredProject.of(data, credentials, settings.clock()())
    _check_like_intake(data, project)
    with written_credentials(path, credentials):
        asyncio.run(_register(settings, project, credentials))
    out.print(
        f"Registered {project.project_id}: {project.title} ({', '.join(project.countries)}; "
        f"action points {', '.join(project.action_points)}; {project.start_date}..{project.end_date})"
    )
    _print_credentials(path, credentials)


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
    path = _credentials_path(credentials_file, project_id)
    credentials = Credentials.issue(project_id, kafka_user=settings.kafka_project_users)

    async def store() -> str | None:
        """Why the Kafka password could not be changed, if it could not."""
        async with open_registry(settings) as secretariat:
            if not await secretariat.registry.set_credentials(credentials):
                fail(f"project {project_id} is not registered")
        try:
            await _kafka_user(settings, credentials)
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
    _print_credentials(path, credentials)
