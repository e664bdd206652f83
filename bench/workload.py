"""A realistic benchmark workload: projects on the Silk Routes and beyond, their activities
and measurements, as Kafka messages built with the official CloudEvents SDK."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.aggregator.store import event_document
from shared.domain.catalog import action_points
from shared.domain.framework import ResultsFramework
from shared.domain.projects import RegisteredProject, hash_token
from shared.events.codec import KafkaRecord, decode_event
from shared.events.keys import ProjectKey
from shared.events.models import EventType
from shared.events.produce import cloud_event, kafka_binary, secretariat_signer, signed
from shared.trust import Principal

COUNTRIES = ("AFG", "BGD", "IRN", "IRQ", "PAK", "TUR", "HUN", "GEO", "UZB", "TJK")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
Message = tuple[bytes | None, dict[str, str], bytes]
# The Secretariat's key of the benchmark's database (installed there before the services
# start), and each benchmark project's signing key: events are signed as in production.
SECRETARIAT_KEY = secrets.token_bytes(32)
_KEYS: dict[str, ProjectKey] = {}


def key_of(project: RegisteredProject) -> ProjectKey:
    return _KEYS[project.project_id]


def project_event(kind: EventType, data: dict[str, Any], at: datetime, event_id: str) -> Message:
    """A project's event, signed with its key, as Kafka binary mode."""
    return kafka_binary(signed(cloud_event(kind, data, at, event_id), _KEYS[data["project_id"]].sign))


def registration_event(p: RegisteredProject, at: datetime, event_id: str) -> Message:
    """The project's registration, signed by the Secretariat."""
    event = cloud_event(EventType.PROJECT_REGISTERED, registration(p), at, event_id)
    return kafka_binary(signed(event, secretariat_signer(SECRETARIAT_KEY)))


def projects(count: int, rng: random.Random, prefix: str = "BENCH") -> list[RegisteredProject]:
    aps = list(action_points())
    keys = [ProjectKey.generate() for _ in range(count)]
    _KEYS.update({f"{prefix}-{n:03d}": key for n, key in enumerate(keys)})
    return [
        RegisteredProject(
            project_id=f"{prefix}-{n:03d}",
            title=f"Field project {n}",
            implementer="ICMPD",
            countries=tuple(rng.sample(COUNTRIES, 2)),
            action_points=tuple(sorted(rng.sample(aps, 4))),
            start_date=date(2025, 1, 1),
            end_date=date(2029, 12, 31),
            token_sha256=hash_token(f"t{n}"),
            registered_at=NOW,
            signing_key=keys[n].public_b64,
            signing_key_id=keys[n].key_id,
        )
        for n in range(count)
    ]


def registration(p: RegisteredProject) -> dict[str, Any]:
    fields = p.model_dump(
        mode="json",
        include={
            "project_id",
            "title",
            "implementer",
            "countries",
            "action_points",
            "start_date",
            "end_date",
            "reporting_cadence_days",
        },
    )
    return {**fields, "countries": list(p.countries), "action_points": list(p.action_points)}


def activity(p: RegisteredProject, n: int, rng: random.Random) -> dict[str, Any]:
    start = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 500))
    women = rng.randrange(0, 30)
    return {
        "project_id": p.project_id,
        "activity_id": f"A-{n}",
        "action_points": [rng.choice(p.action_points)],
        "title": "Training on identification procedures",
        "kind": rng.choice(["training", "workshop", "study"]),
        "status": rng.choice(["ongoing", "completed"]),
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=rng.randrange(1, 10))).isoformat(),
        "countries": [{"code": rng.choice(p.countries), "route_role": "origin"}],
        "participants": {"total": women + 20, "women": women, "men": 20},
    }


def _measurement(
    p: RegisteredProject, n: int, framework: ResultsFramework, rng: random.Random
) -> dict[str, Any] | None:
    indicators = [i for ap in p.action_points for i in framework.by_action_point.get(ap, ())]
    if not indicators:
        return None
    end = date(2025, 1, 31) + timedelta(days=30 * (n % 20))
    return {
        "project_id": p.project_id,
        "indicator_id": rng.choice(indicators).id,
        "value": rng.randrange(1, 50),
        "period_start": (end - timedelta(days=29)).isoformat(),
        "period_end": end.isoformat(),
    }


def events(
    count: int, registered: list[RegisteredProject], framework: ResultsFramework, seed: int = 7
) -> tuple[list[Message], int]:
    """`count` valid events: each project's registration, then 4 activities to 1 measurement;
    answers them and how many are activities."""
    rng = random.Random(seed)
    messages: list[Message] = [
        registration_event(p, NOW - timedelta(days=1), f"reg-{p.project_id}") for p in registered
    ]
    activities = 0
    for n in range(len(registered), count):
        p = registered[n % len(registered)]
        data = _measurement(p, n, framework, rng) if n % 5 == 4 else None
        kind = EventType.INDICATOR_MEASURED
        if data is None:
            data, kind = activity(p, n, rng), EventType.ACTIVITY_REPORTED
            activities += 1
        messages.append(project_event(kind, data, NOW - timedelta(seconds=count - n), f"bench-{n}"))
    return messages, activities


def stored_documents(messages: list[Message]) -> list[dict[str, Any]]:
    """The messages as the event log keeps them (what the aggregator would store)."""
    at = datetime.now(UTC)
    docs = []
    for n, (key, headers, value) in enumerate(messages):
        record = KafkaRecord("bench", 0, n, key, value, tuple((k, v.encode()) for k, v in headers.items()))
        event = decode_event(record)
        by = (
            Principal.secretariat()
            if event.type is EventType.PROJECT_REGISTERED
            else Principal(event.project_id)
        )
        docs.append(event_document(event, record, at, by))
    return docs
