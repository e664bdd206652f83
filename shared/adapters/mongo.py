"""MongoDB client (PyMongo's async API) and the collection names of the suite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pymongo import AsyncMongoClient

REGISTRY = "registry"  # projects as registered by the Secretariat, with token hashes
INTAKE_SEEN = "intake_seen"  # (source, id) of each registration intake accepted, with where it read it
EVENTS = "events"  # the event log: every accepted event once
READ_MODEL = "read_model"  # status snapshots as of today: priorities, action points, projects
REJECTIONS = "rejections"  # why each event was refused, for `GET /v1/rejections` (no bodies)
ALERTS = "alerts"  # the notifier's alerts (the dashboard reads the firing ones)
SILENCES = "silences"  # the notifier's silences
OUTBOX = "outbox"  # the notifier's notifications to send, each claimed by one replica
LEASES = "leases"  # who evaluates (one notifier replica at a time), and the digest's schedule
EVALUATION_REQUESTS = "evaluation_requests"  # POST /v1/evaluate asked of the lease holder
CONFIG = "config"  # the results framework loaded with `cfamon framework load`
SERVICE_KEYS = "service_keys"  # the Secretariat's and intake's signing keys

EVENT_FIELDS = {"type": 1, "data": 1, "time": 1, "id": 1, "stored_at": 1}  # what folding an event needs
DUPLICATE_KEY = 11000


def shown(url: str) -> str:
    """The URL without its user and password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def connect(url: str, timeout_ms: int = 5000) -> AsyncMongoClient[dict[str, Any]]:
    """A client; nothing connects until the first operation."""
    return AsyncMongoClient(url, serverSelectionTimeoutMS=timeout_ms, tz_aware=True)


def only_duplicate_keys(details: Mapping[str, Any]) -> bool:
    """True when every error of a bulk write is a duplicate key (a redelivery, not a fault)."""
    errors = details.get("writeErrors", [])
    return not details.get("writeConcernErrors") and all(e.get("code") == DUPLICATE_KEY for e in errors)
