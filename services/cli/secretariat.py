"""The Secretariat's side of the registry for the `cfamon projects` commands: the registry
with the Secretariat's key, the signed `project.registered` it publishes, and a project's
credentials (written once to a file readable by its owner, its Kafka user created)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pymongo.errors import PyMongoError

from services.cli.common import fail, out, short_error
from shared.adapters.eventlog import EventLog
from shared.adapters.kafka import client_options, ensure_topics, new_broker
from shared.adapters.kafka_users import set_scram_user
from shared.adapters.mongo import connect, shown
from shared.adapters.registry import ProjectExistsError, ProjectRegistry
from shared.domain.projects import Credentials, RegisteredProject
from shared.events.models import EventData, EventType
from shared.events.produce import cloud_event, publish_event, secretariat_signer, signed
from shared.settings import CommonSettings
from shared.trust import ServiceKeys


@dataclass(frozen=True)
class Secretariat:
    """The registry, the event log, and the Secretariat's key that signs what it publishes."""

    registry: ProjectRegistry
    key: bytes
    log: EventLog


@asynccontextmanager
async def open_registry(settings: CommonSettings) -> AsyncIterator[Secretariat]:
    mongo = connect(settings.mongodb_url)
    try:
        db = mongo[settings.mongodb_db]
        keys = ServiceKeys(db)
        await keys.load(ServiceKeys.SECRETARIAT)
        yield Secretariat(ProjectRegistry(db), keys[ServiceKeys.SECRETARIAT], EventLog(db))
    except PyMongoError as error:
        fail(f"cannot use the registry in MongoDB at {shown(settings.mongodb_url)}: {short_error(error)}")
    finally:
        await mongo.close()


async def publish_registration(settings: CommonSettings, project: RegisteredProject, key: bytes) -> None:
    """`project.registered` of the entry, signed by the Secretariat, on bp.events.raw."""
    await publish_signed(
        settings, EventType.PROJECT_REGISTERED, project.registration(), project.registered_at, key
    )


async def publish_signed(
    settings: CommonSettings, event_type: EventType, data: EventData, at: datetime, key: bytes
) -> None:
    """A Secretariat event, signed with its key, on bp.events.raw (intake checks it as any)."""
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        settings.topics.all(),
        settings.topic_partitions,
        **client_options(settings),
    )
    event = signed(cloud_event(event_type, data, at), secretariat_signer(key))
    async with new_broker(settings, "cfamon") as broker:
        await publish_event(broker, settings.topics.raw, event)


def credentials_path(given: Path | None, project_id: str) -> Path:
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


async def kafka_user(settings: CommonSettings, credentials: Credentials) -> None:
    if credentials.kafka_username and credentials.kafka_password:
        try:
            await set_scram_user(settings, credentials.kafka_username, credentials.kafka_password)
        except Exception as error:
            raise KafkaUserError(short_error(error)) from None


class KafkaUserError(Exception):
    """The project's SCRAM user could not be created or changed."""


async def register(settings: CommonSettings, project: RegisteredProject, credentials: Credentials) -> None:
    async with open_registry(settings) as secretariat:
        try:
            await secretariat.registry.add(project)
        except ProjectExistsError:
            fail(
                f"project {project.project_id} is registered already "
                f"(to change it: cfamon projects update; new credentials: cfamon projects token)"
            )
        try:
            await kafka_user(settings, credentials)
            await publish_registration(settings, project, secretariat.key)
        except Exception as error:
            await secretariat.registry.remove(project.project_id)  # nothing half-registered
            what = "create its Kafka user" if isinstance(error, KafkaUserError) else "publish to Kafka"
            fail(f"cannot {what} at {settings.kafka_bootstrap_servers}: {short_error(error)}")


def print_credentials(path: Path, credentials: Credentials) -> None:
    parts = ["reporting token (HTTP)", f"signing key {credentials.signing_key.key_id} (Kafka)"]
    if credentials.kafka_username:
        parts.append(f"Kafka user {credentials.kafka_username}")
    out.print(f"Credentials written to {path}: {', '.join(parts)}.")
    out.print("Give them to the project; the registry keeps only the token's hash and the public key.")
    out.print("Its reporting token follows; it is shown once:")
    print(credentials.token)
