"""The project registry entry and its reporting token (random, shown once, stored as a hash)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.events.models import ProjectRegistered

TOKEN_PREFIX = "cfa_"


class RegisteredProject(BaseModel):
    """What the Secretariat registered; intake checks every event against it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    project_id: str
    title: str
    implementer: str
    countries: tuple[str, ...]
    action_points: tuple[str, ...]
    start_date: date
    end_date: date
    reporting_cadence_days: int = 90
    budget_eur: float | None = None
    token_sha256: str
    registered_at: datetime

    @classmethod
    def of(cls, data: ProjectRegistered, token: str, at: datetime) -> RegisteredProject:
        """The registry entry of a registration, holding only the token's hash."""
        return cls.model_validate(
            {**data.model_dump(), "token_sha256": hash_token(token), "registered_at": at}
        )

    def to_document(self) -> dict[str, Any]:
        doc = self.model_dump(mode="json")
        doc["_id"] = doc.pop("project_id")
        doc["registered_at"] = self.registered_at
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> RegisteredProject:
        return cls.model_validate({**doc, "project_id": doc["_id"]})


def new_token() -> str:
    """256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of entropy, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_sha256: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_sha256)
