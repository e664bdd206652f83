"""Settings of the notifier service."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.settings import ExistingFile, StatusSettings


class NotifierSettings(StatusSettings):
    port: int = Field(8003, ge=0, le=65535, description="Port the notifier HTTP server listens on")
    smtp_url: str = Field(
        "smtp://localhost:1025", description="SMTP server for alert e-mails, smtp://host:port"
    )
    notifier_config: ExistingFile | None = Field(
        None,
        description="YAML file: Reference Group and TWG recipients, webhooks, intervals (DESIGN §6; "
        "default: deploy/config/notifier.yaml)",
    )
    notifier_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="How long the replica that evaluates keeps the evaluation lease without "
        "renewing it; another replica takes over after that",
    )
    notifier_claim_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a replica's claim on a notification it is sending lasts; if the "
        "replica dies, another sends it after that (keep it above the 10 s channel timeouts)",
    )
    notifier_send_batch: int = Field(
        20, ge=1, description="How many notifications one replica claims and sends at a time"
    )
    notifier_tick_seconds: float = Field(
        1.0, gt=0, description="How often the notifier looks for due notices and sends its outbox"
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        if not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must be smtp://host:port or smtps://host:port")
        return value
