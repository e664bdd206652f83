"""Fixtures: the embedded stack (or real servers named by CFA_TEST_*), isolated per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from bson import Binary
from pymongo import MongoClient

from shared.adapters.mongo import SERVICE_KEYS
from shared.settings import CommonSettings
from shared.stack import EmbeddedStack, StackEndpoints
from shared.trust import ServiceKeys
from tests.factories import SECRETARIAT_KEY

S = TypeVar("S", bound=CommonSettings)
TEST_OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="session")
def embedded_stack() -> Iterator[EmbeddedStack]:
    """Kafka, MongoDB and the SMTP sink for the whole session: embedded on free ports unless
    CFA_TEST_KAFKA_BOOTSTRAP_SERVERS / CFA_TEST_MONGODB_URL name real servers."""
    embedded = EmbeddedStack(
        kafka=os.environ.get("CFA_TEST_KAFKA_BOOTSTRAP_SERVERS"),
        mongodb_url=os.environ.get("CFA_TEST_MONGODB_URL"),
    )
    with embedded:
        yield embedded


@pytest.fixture(scope="session")
def stack(embedded_stack: EmbeddedStack) -> StackEndpoints:
    return embedded_stack.endpoints


@pytest.fixture
def isolation(stack: StackEndpoints) -> dict[str, str]:
    """A topic prefix and a database of this test's own, so tests never see each other's data.
    The database holds the tests' Secretariat key (tests.factories.SECRETARIAT_KEY) before any
    service makes one, so tests can sign the Secretariat's events."""
    tag = uuid.uuid4().hex[:8]
    database = f"cfa_test_{tag}"
    with MongoClient(stack.mongodb_url) as client:
        client[database][SERVICE_KEYS].insert_one(
            {"_id": ServiceKeys.SECRETARIAT, "key": Binary(SECRETARIAT_KEY)}
        )
    return {"topic_prefix": f"t{tag}.", "mongodb_db": database}


def service_settings(cls: type[S], stack: StackEndpoints, isolation: dict[str, str], **more: Any) -> S:
    """Settings for a service under test: fast group joins (DESIGN §8 measured facts)."""
    return cls(
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        mongodb_url=stack.mongodb_url,
        topic_partitions=2,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
        **isolation,
        **more,
    )
