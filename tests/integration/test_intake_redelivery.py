"""A refused message that Kafka delivers again (its offset was not committed when intake
died) is dead-lettered and counted once: intake finds its rejection already recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import REJECTIONS, connect
from shared.adapters.registry import ProjectRegistry
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import NOW, activity_data, project_id, registered
from tests.integration.helpers import eventually, running
from tests.kafka_helpers import binary, produce, read_topic, sdk_event

pytestmark = pytest.mark.integration


async def test_a_redelivered_refused_message_is_dead_lettered_once(
    stack: StackEndpoints, isolation: dict[str, str]
) -> None:
    settings = service_settings(IntakeSettings, stack, isolation)
    mongo = connect(stack.mongodb_url)
    pid = project_id()
    db = mongo[settings.mongodb_db]
    await ProjectRegistry(db).add(registered(pid))
    bad = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, action_points=["7.1"]), "bad"))
    good = binary(sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, "A-1"), "good"))
    clock = fixed_clock(NOW + timedelta(days=1))
    try:
        async with running(create_intake(settings, clock)):
            await produce(settings.kafka_bootstrap_servers, settings.topics.raw, [bad, good])

            async def recorded() -> bool:
                return await db[REJECTIONS].count_documents({}) == 1

            await eventually(recorded, what="the rejection recorded")
        # A consumer group with no committed offset reads the topic from its start: both
        # messages come again, as after a crash before the commit.
        again_settings = settings.model_copy(update={"intake_group_id": f"{settings.intake_group_id}-again"})
        async with running(create_intake(again_settings, clock)):
            again = await read_topic(
                settings.kafka_bootstrap_servers, settings.topics.validated, lambda r: len(r) >= 2, timeout=30
            )
            assert len(again) == 2, "the good event was not delivered again: nothing was redelivered"
            dlq = await read_topic(
                settings.kafka_bootstrap_servers, settings.topics.dlq, lambda r: False, timeout=3
            )
        assert len(dlq) == 1, f"the refused message is {len(dlq)} times in the DLQ"
        assert await db[REJECTIONS].count_documents({}) == 1
    finally:
        await mongo.drop_database(settings.mongodb_db)
        await mongo.close()
