"""Registering the simulated projects (or giving them new credentials, when they exist already),
as the Secretariat does: the registry in MongoDB, and `project.registered` signed with its key."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.simulator.projects import SimProject
from shared.adapters.registry import ProjectRegistry
from shared.clock import Clock
from shared.domain.projects import Credentials, RegisteredProject
from shared.events.models import EventType
from shared.events.produce import cloud_event, publish_event, secretariat_signer, signed


async def register(
    project: SimProject,
    registry: ProjectRegistry,
    broker: KafkaBroker,
    raw_topic: str,
    clock: Clock,
    secretariat_key: bytes,
) -> Credentials:
    """The project's credentials: new ones, whether it was registered now or before."""
    credentials = Credentials.issue(project.project_id)
    if await registry.set_credentials(credentials):
        return credentials
    data, now = project.registration(), clock()
    await registry.add(RegisteredProject.of(data, credentials, now))
    event = signed(cloud_event(EventType.PROJECT_REGISTERED, data, now), secretariat_signer(secretariat_key))
    await publish_event(broker, raw_topic, event)
    return credentials
