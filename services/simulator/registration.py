"""Registering the simulated projects (or giving them new tokens, when they exist already)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.simulator.projects import SimProject
from shared.clock import Clock
from shared.events.models import EventType, ProjectRegistered
from shared.events.produce import cloud_event, kafka_binary
from shared.projects import RegisteredProject, hash_token, new_token
from shared.registry import ProjectRegistry


async def register(
    project: SimProject, registry: ProjectRegistry, broker: KafkaBroker, raw_topic: str, clock: Clock
) -> str:
    """The project's reporting token: a new one, whether it was registered now or before."""
    token = new_token()
    if await registry.set_token_hash(project.project_id, hash_token(token)):
        return token
    data = ProjectRegistered(
        project_id=project.project_id,
        title=project.title,
        implementer=project.implementer,
        countries=list(project.countries),
        action_points=list(project.action_points),
        start_date=project.start,
        end_date=project.end,
        reporting_cadence_days=project.cadence_days,
    )
    now = clock()
    await registry.add(
        RegisteredProject.model_validate(
            {**data.model_dump(), "token_sha256": hash_token(token), "registered_at": now}
        )
    )
    key, headers, value = kafka_binary(cloud_event(EventType.PROJECT_REGISTERED, data, now))
    await broker.publish(value, raw_topic, key=key, headers=headers)
    return token
