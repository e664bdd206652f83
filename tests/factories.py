"""Valid event data and registry entries to build tests from (each test changes what it checks)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.domain.projects import RegisteredProject, hash_token
from shared.events.keys import ProjectKey
from shared.events.models import EventType

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# The Secretariat's key in the tests' databases (tests.kafka_helpers.install_test_keys).
SECRETARIAT_KEY = hashlib.sha256(b"cfa test secretariat key").digest()


def project_key(pid: str) -> ProjectKey:
    """A test project's signing key, the same for the same id (the registry gets its public half)."""
    return ProjectKey(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"test key {pid}".encode()).digest())
    )


def project_id() -> str:
    return f"T-{uuid.uuid4().hex[:10].upper()}"


def registered(pid: str, token: str = "cfa_test-token", **changes: Any) -> RegisteredProject:
    fields: dict[str, Any] = {
        "project_id": pid,
        "title": "Reintegration support",
        "implementer": "ICMPD",
        "countries": ("PAK", "AFG"),
        "action_points": ("3.1", "3.2", "1.2"),
        "start_date": date(2025, 1, 1),
        "end_date": date(2027, 12, 31),
        "reporting_cadence_days": 90,
        "token_sha256": hash_token(token),
        "registered_at": NOW,
        "signing_key": project_key(pid).public_b64,
        "signing_key_id": project_key(pid).key_id,
    }
    return RegisteredProject.model_validate({**fields, **changes})


def registration_data(pid: str) -> dict[str, Any]:
    return {
        "project_id": pid,
        "title": "Reintegration support",
        "implementer": "ICMPD",
        "countries": ["PAK", "AFG"],
        "action_points": ["3.1", "3.2", "1.2"],
        "start_date": "2025-01-01",
        "end_date": "2027-12-31",
    }


def activity_data(pid: str, activity_id: str = "A-1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project_id": pid,
        "activity_id": activity_id,
        "action_points": ["3.1"],
        "title": "Training of border officers on readmission procedures",
        "kind": "training",
        "status": "completed",
        "start_date": "2026-03-02",
        "end_date": "2026-03-06",
        "countries": [{"code": "PAK", "route_role": "origin"}],
        "participants": {"total": 24, "women": 9, "men": 15},
        "cross_cutting": ["human_rights"],
        "notes": "Five-day course in Islamabad.",
    }
    return {**data, **changes}


def measurement_data(pid: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project_id": pid,
        "indicator_id": "ind-3.1-returnees-supported",
        "value": 120,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
    }
    return {**data, **changes}


def milestone_data(pid: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project_id": pid,
        "milestone_id": "M-1",
        "action_point": "3.2",
        "title": "Referral mechanism operational",
        "due_date": "2026-09-30",
        "status": "pending",
    }
    return {**data, **changes}


def withdrawal_data(pid: str, **changes: Any) -> dict[str, Any]:
    return {"project_id": pid, "activity_id": "A-1", "reason": "reported twice by mistake", **changes}


def review_data(pid: str, **changes: Any) -> dict[str, Any]:
    """The Secretariat approves version e-1 of activity A-1."""
    data = {
        "project_id": pid,
        "activity_id": "A-1",
        "event_id": "e-1",
        "decision": "approved",
        "reviewer": "M. Horváth",
    }
    return {**data, **changes}


SAMPLES = {
    EventType.PROJECT_REGISTERED: registration_data,
    EventType.ACTIVITY_REPORTED: activity_data,
    EventType.INDICATOR_MEASURED: measurement_data,
    EventType.MILESTONE_UPDATED: milestone_data,
    EventType.REPORT_WITHDRAWN: withdrawal_data,
    EventType.FIGURE_REVIEWED: review_data,
}
