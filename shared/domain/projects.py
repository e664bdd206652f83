"""The project registry entry and its credentials: a reporting token for HTTP (random, shown
once, stored as a hash) and a signing key for Kafka (the registry keeps its public half)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from shared.events.models import ProjectRegistered

if TYPE_CHECKING:  # the crypto library is loaded by who issues or reads credentials only
    from shared.events.keys import ProjectKey

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
    # The public half of the project's Kafka signing key (base64url), and its id; None for
    # a project registered before keys existed (`cfamon projects token` issues one).
    signing_key: str | None = None
    signing_key_id: str | None = None

    @classmethod
    def of(cls, data: ProjectRegistered, credentials: Credentials, at: datetime) -> RegisteredProject:
        """The registry entry of a registration: only the token's hash and the public key."""
        return cls.model_validate({**data.model_dump(), **credentials.registry_fields(), "registered_at": at})

    def registration(self) -> ProjectRegistered:
        """What `project.registered` says of this entry."""
        return ProjectRegistered.model_validate(self.model_dump(include=set(ProjectRegistered.model_fields)))

    def to_document(self) -> dict[str, Any]:
        doc = self.model_dump(mode="json")
        doc["_id"] = doc.pop("project_id")
        doc["registered_at"] = self.registered_at
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> RegisteredProject:
        return cls.model_validate({**doc, "project_id": doc["_id"]})


@dataclass(frozen=True)
class Credentials:
    """What a project needs to report: issued together, replaced together, shown once."""

    project_id: str
    token: str = field(repr=False)  # never in a log line or a traceback
    signing_key: ProjectKey = field(repr=False)
    kafka_username: str | None = None
    kafka_password: str | None = field(default=None, repr=False)

    @classmethod
    def issue(cls, project_id: str, kafka_user: bool = False) -> Credentials:
        """New credentials; with `kafka_user`, a SCRAM user for production Kafka too."""
        from shared.events.keys import ProjectKey

        return cls(
            project_id,
            new_token(),
            ProjectKey.generate(),
            f"project-{project_id.lower()}" if kafka_user else None,
            secrets.token_urlsafe(32) if kafka_user else None,
        )

    def registry_fields(self) -> dict[str, str]:
        return {
            "token_sha256": hash_token(self.token),
            "signing_key": self.signing_key.public_b64,
            "signing_key_id": self.signing_key.key_id,
        }

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "project_id": self.project_id,
            "token": self.token,
            "signing_key_id": self.signing_key.key_id,
            "signing_key": self.signing_key.pem(),
        }
        if self.kafka_username:
            document["kafka"] = {"username": self.kafka_username, "password": self.kafka_password}
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        """Raises ValueError (KeyError, JSONDecodeError) when it is not a credentials file."""
        from shared.events.keys import ProjectKey

        document = json.loads(text)
        kafka = document.get("kafka") or {}
        return cls(
            document["project_id"],
            document["token"],
            ProjectKey.from_pem(document["signing_key"]),
            kafka.get("username"),
            kafka.get("password"),
        )


def new_token() -> str:
    """256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of entropy, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_sha256: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_sha256)
