"""Registering the simulated projects (or giving them new tokens, when they exist already)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.simulator.projects import SimProject
from shared.clock import Clock
from shared.events.models import EventType
from shared.events.produce import cloud_event, publish_event
from shared.projects import RegisteredProject, hash_token, new_token
from shared.registry import ProjectRegistry


async def register(
    project: SimProject, registry: ProjectRegistry, broker: KafkaBroker, raw_topic: str, clock: Clock
) -> str:
    """The project's reporting token: a new one, whether it was registered now or before."""
    token = new_token()
    if await registry.set_token_hash(project.project_id, hash_token(token)):
        return token
    data, now = project.registration(), clock()
    await registry.add(RegisteredProject.of(data, token, now))
    await publish_event(broker, raw_topic, cloud_event(EventType.PROJECT_REGISTERED, data, now))
    return token
